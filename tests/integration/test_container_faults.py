"""A container process that faults dies of the signal Linux gives, and nothing else does.

tests/fixtures/containers/faults.c (static, musl) is put into the BusyBox bundle; for each way of
faulting, the same binary first runs on the host, whose wait status is the reference. In the
container it runs twice: as a child of BusyBox's sh (which reports the wait status as 128 + signal,
like any Linux shell) and then as the container's init (`exec`), whose end the host shell reports.
The container stops, the kernel lives, the next container works and no memory is lost.
"""
import signal

import pytest

from container_kit import (FIXTURES, boot, build_static, in_container, leave_container, make_disk, memory,
                           start_attached, status)
from linux_programs import run_on_host
from qemu_console import PROMPT

pytestmark = pytest.mark.integration

# What Linux gives for each fault (checked again on this host by the first test).
LINUX_SIGNALS = {
    "null-write": signal.SIGSEGV,
    "ud2": signal.SIGILL,
    "divide": signal.SIGFPE,
    "hlt": signal.SIGSEGV,  # #GP in ring 3
    "non-canonical": signal.SIGSEGV,  # #GP
    "kernel-read": signal.SIGSEGV,  # a supervisor page
    "stack-overflow": signal.SIGSEGV,
}


@pytest.fixture(scope="module")
def faults_binary(tmp_path_factory):
    return build_static(FIXTURES / "containers" / "faults.c", tmp_path_factory.mktemp("faults-bin") / "faults")


@pytest.fixture(scope="module")
def faults_vm(image, faults_binary, tmp_path_factory):
    work = tmp_path_factory.mktemp("faults")
    disk = make_disk(work, {"faults": faults_binary}, {"faults": lambda config: None})
    console = boot(image, work, disk, ("faults",))
    # One container first, so that caches and heap size classes are warm before the baseline.
    assert console.run("oci-runtime create warm faults") == "container warm created"
    start_attached(console, "warm")
    assert in_container(console, "echo warm") == "warm"
    leave_container(console)
    assert console.run("oci-runtime delete warm") == ""
    console.baseline = memory(console)
    yield console
    console.close()


@pytest.mark.parametrize("mode", list(LINUX_SIGNALS))
def test_the_host_linux_gives_the_expected_signal(faults_binary, mode):
    done = run_on_host(faults_binary, [mode])
    assert done.stdout == f"faults: {mode}\n"
    assert done.returncode == -LINUX_SIGNALS[mode]


@pytest.mark.parametrize("mode", list(LINUX_SIGNALS))
def test_fault_kills_the_process_with_linuxs_signal_and_stops_the_container(faults_vm, mode):
    vm = faults_vm
    sig = LINUX_SIGNALS[mode]
    cid = f"fault-{mode}"
    assert vm.run(f"oci-runtime create {cid} faults") == f"container {cid} created"
    start_attached(vm, cid)
    out = in_container(vm, f"faults {mode}; echo status $?").splitlines()
    assert out[0] == f"faults: {mode}"
    assert out[-1] == f"status {128 + sig}"  # what wait4 gave BusyBox's sh
    vm.child.send(f"exec faults {mode}\r")
    vm.child.expect(PROMPT, timeout=60)
    told = vm.child.before.replace("\r", "").splitlines()
    assert f"oci-runtime: init of {cid} killed by signal {sig.name} ({int(sig)})" in told
    assert status(vm, cid) == "stopped"
    assert vm.run("echo alive") == "alive"
    assert vm.run(f"oci-runtime delete {cid}") == ""


def test_after_every_fault_the_next_container_works_and_no_memory_is_lost(faults_vm):
    vm = faults_vm
    assert vm.run("oci-runtime create next faults") == "container next created"
    start_attached(vm, "next")
    assert in_container(vm, "echo still here") == "still here"
    assert leave_container(vm) == ""  # exit status 0: nothing to report
    assert status(vm, "next") == "stopped"
    assert vm.run("oci-runtime delete next") == ""
    assert vm.run("oci-runtime list") == "ID               STATUS   PID   BUNDLE"
    assert memory(vm) == vm.baseline
