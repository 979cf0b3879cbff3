"""Hostile system calls from inside a container never take the kernel down, and leak nothing.

tests/fixtures/hostile/syscall_fuzz.c (built static with musl-gcc at test time, put into the
BusyBox bundle's rootfs) makes random system calls with hostile arguments - the kernel's own
addresses, unmapped, non-canonical and misaligned pointers, huge lengths, bad descriptors, random
flags - from forked children, reproducibly from a seed: `syscall_fuzz SEED CALLS [THREADS] [trace]` replays
a run (trace prints every call). It only ever runs inside Cyrius: on a host it would make those
calls as root. Each chunk is one seed, typed at BusyBox's prompt in the container; more than
100,000 calls are made in all, by children of 2, 4 or 8 threads, which also make thread calls
(futexes, tgkill, exit vs exit_group, munmap of what a sibling uses, sigaltstack, robust lists,
odd clones). Afterwards the shell answers and, once the container is deleted and its bundle
removed, free frames, heap use and the processes and threads alive are what they were.
"""
import re

import pytest

from container_kit import (FIXTURES, SH_PROMPT, boot, build_static, in_container, leave_container, live_tasks,
                           make_disk, memory, start_attached)
from qemu_console import Console

pytestmark = pytest.mark.integration

THREADS = (2, 4, 8)  # per fuzzing child, in turn
CHUNKS = [(seed, 20_000, THREADS[seed % 3]) for seed in (11, 12, 13, 14, 15, 16)]
CHUNK_TIMEOUT = 900  # seconds for 20,000 calls under TCG: generous, it takes about a minute
UNKNOWN_LOGGED = re.compile(r"unimplemented system call unknown \((\d+)\)")
TABLE_SIZE = 512  # more than Linux's x86_64 table (syscall_names.COUNT)


@pytest.fixture(scope="module")
def fuzz_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    fuzz = build_static(FIXTURES / "hostile" / "syscall_fuzz.c", work / "syscall_fuzz")
    disk = make_disk(work, {"syscall_fuzz": fuzz}, {"fuzz": lambda config: None})
    console = boot(image, work, disk, ())
    yield console
    console.close()


def fuzz(vm: Console, seed: int, calls: int, threads: int) -> str:
    """One chunk at BusyBox's prompt; everything the console showed meanwhile (kernel logs too).
    The host shell reporting the container's init dead ends it at once."""
    command = f"syscall_fuzz {seed} {calls} {threads}"
    vm.child.send(command + "\r")
    vm.child.expect_exact(command, timeout=60)
    ended = vm.child.expect([re.escape(SH_PROMPT), r"oci-runtime: init of .*\n"], timeout=CHUNK_TIMEOUT)
    out = vm.child.before.replace("\r", "")
    assert ended == 0, f"seed {seed}: {vm.child.after.strip()}"
    done = re.search(rf"syscall fuzz: seed {seed}: (\d+) calls in (\d+) children of {threads} threads, (\d+) ended",
                     out)
    assert done, f"seed {seed}: no summary in {out[-2000:]!r}"
    issued, children, ended = map(int, done.groups())
    assert issued >= calls and ended == children, f"seed {seed}: {done.group(0)}"
    return out


def in_fresh_container(vm: Console, chunks: list[tuple[int, int, int]]) -> list[str]:
    """Unpack the bundle, run the chunks in a container, delete it and remove the bundle."""
    assert vm.run("tar mnt/fuzz.tar fuzz", timeout=180) == ""
    assert vm.run("oci-runtime create fz fuzz") == "container fz created"
    start_attached(vm, "fz")
    outputs = [fuzz(vm, seed, calls, threads) for seed, calls, threads in chunks]
    assert in_container(vm, "echo init alive") == "init alive"  # BusyBox's sh, the container's init
    assert leave_container(vm) == ""
    assert vm.run("oci-runtime delete fz") == ""
    assert vm.run("rm -r fuzz", timeout=180) == ""
    return outputs


def test_seed_2_unknown_numbers_past_the_table_are_logged_once(fuzz_vm):
    # Seed 2 calls about 600 random 64-bit numbers: each was logged, flooding the console. Now they
    # go to the kernel log (dmesg), never the terminal, the ones past the table once in all.
    out = in_fresh_container(fuzz_vm, [(2, 10_000, 1)])[0]
    assert not UNKNOWN_LOGGED.findall(out)
    log = fuzz_vm.run("dmesg")
    past_the_table = [int(n) for n in UNKNOWN_LOGGED.findall(log) if int(n) >= TABLE_SIZE]
    assert len(past_the_table) == 1
    numbers = UNKNOWN_LOGGED.findall(log)
    assert len(numbers) == len(set(numbers))  # every unknown number once at most


def test_seed_2_an_orphans_exit_signal_does_not_kill_the_container_init(fuzz_vm):
    # Orphans went to the container's init with the exit signal a fuzzed clone chose (33), which
    # killed BusyBox's sh when they exited; Linux resets it to SIGCHLD on reparenting.
    out = in_fresh_container(fuzz_vm, [(2, 10_000, 1)])[0]
    assert "oci-runtime: init of fz" not in out


def test_100k_hostile_calls_from_threads_in_a_container_leave_the_kernel_running_and_leak_nothing(fuzz_vm):
    vm = fuzz_vm
    in_fresh_container(vm, [(1, 2_000, 4)])  # warm-up: caches and heap size classes settle
    before, tasks_before = memory(vm), live_tasks(vm)
    in_fresh_container(vm, CHUNKS)
    assert sum(calls for _, calls, _ in CHUNKS) >= 100_000
    assert vm.run("echo alive") == "alive"
    assert vm.run("oci-runtime list") == "ID               STATUS   PID   BUNDLE"
    assert live_tasks(vm) == tasks_before
    assert memory(vm) == before
