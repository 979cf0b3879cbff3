"""A runaway container meets its limits; the host does not notice.

tests/fixtures/containers/exhaust.c (static, musl) runs as (or under) a detached container's init:
a fork bomb stops at linux.resources.pids.limit (or the runtime's default of 256) with EAGAIN; a
memory hog is killed with SIGKILL (BusyBox's sh reports 137, as for Linux's OOM killer) at
linux.resources.memory.limit, or at the kernel's reserve when the config sets no limit. Meanwhile
the host shell answers, and once the container is killed and deleted its memory is back.
"""
import re

import pytest

from container_kit import FIXTURES, boot, build_static, make_disk, memory, status
from qemu_console import PROMPT, Console

pytestmark = pytest.mark.integration

DEFAULT_PIDS_LIMIT = 256  # container/runtime.py
HOG_THEN_WAIT = 'exhaust {mode}; echo "{mode} hog exit $?"; exec sleep 600'


def detached(args: list[str], pids: int | None = None, memory_bytes: int | None = None):
    def change(config: dict) -> None:
        config["process"]["terminal"] = False
        config["process"]["args"] = args
        resources = config.setdefault("linux", {}).setdefault("resources", {})
        if pids is not None:
            resources["pids"] = {"limit": pids}
        if memory_bytes is not None:
            resources["memory"] = {"limit": memory_bytes}
    return change


VARIANTS = {
    "bomb": detached(["exhaust", "fork-bomb"], pids=24),
    "bomb-default": detached(["exhaust", "fork-bomb"]),
    "hog-mmap": detached(["sh", "-c", HOG_THEN_WAIT.format(mode="mmap")], memory_bytes=32 << 20),
    "hog-brk": detached(["sh", "-c", HOG_THEN_WAIT.format(mode="brk")], memory_bytes=24 << 20),
    "hog-unlimited": detached(["sh", "-c", HOG_THEN_WAIT.format(mode="mmap")]),
}


@pytest.fixture(scope="module")
def limits_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("limits")
    exhaust = build_static(FIXTURES / "containers" / "exhaust.c", work / "exhaust")
    disk = make_disk(work, {"exhaust": exhaust}, VARIANTS)
    console = boot(image, work, disk, tuple(VARIANTS))
    yield console
    console.close()


def container_processes(vm: Console, cid: str) -> list[str]:
    """The `ps` lines of the container's processes."""
    return [line for line in vm.run("ps").splitlines() if re.match(rf"\s*\d+\s+\d+ \w+\s+{re.escape(cid)} ", line)]


def stop_following(vm: Console) -> None:
    """Ctrl-C ends `oci-runtime logs -f` of a container whose init lives on."""
    vm.child.send("\x03")
    vm.child.expect(PROMPT, timeout=60)


def host_answers(vm: Console) -> None:
    assert vm.run("echo alive") == "alive"
    assert "frames:" in vm.run("mem")
    assert "host" in vm.run("ps")


def kill_and_delete(vm: Console, cid: str) -> None:
    """KILL the init (which takes every process of the container with it), then delete once the
    last of them has run to its end."""
    assert vm.run(f"oci-runtime kill {cid} KILL") == ""
    for _ in range(50):
        if not container_processes(vm, cid):
            break
    assert vm.run(f"oci-runtime delete {cid}") == ""
    assert cid not in vm.run("oci-runtime list")


def run_bomb(vm: Console, cid: str, limit: int) -> None:
    before = memory(vm)
    assert vm.run(f"oci-runtime create {cid} {cid}") == f"container {cid} created"
    assert vm.run(f"oci-runtime start {cid}") == ""  # detached: its output goes to its log
    vm.child.send(f"oci-runtime logs -f {cid}\r")
    made = vm.expect(r"fork-bomb: (\d+) processes made, then fork failed: (\w+)\r", timeout=600)
    stop_following(vm)
    assert (int(made.group(1)) + 1, made.group(2)) == (limit, "EAGAIN")  # the init counts too
    assert status(vm, cid) == "running"
    host_answers(vm)
    assert len(container_processes(vm, cid)) == limit  # still there, still trying
    kill_and_delete(vm, cid)
    assert memory(vm) == before


def test_fork_bomb_stops_at_the_pids_limit_with_eagain(limits_vm):
    run_bomb(limits_vm, "bomb", 24)


def test_fork_bomb_without_a_pids_limit_stops_at_the_default(limits_vm):
    run_bomb(limits_vm, "bomb-default", DEFAULT_PIDS_LIMIT)


@pytest.mark.parametrize("cid,mode,limit_mib", [("hog-mmap", "mmap", 32), ("hog-brk", "brk", 24),
                                                 ("hog-unlimited", "mmap", None)])
def test_memory_hog_is_killed_inside_its_container(limits_vm, cid, mode, limit_mib):
    vm = limits_vm
    before = memory(vm)
    assert vm.run(f"oci-runtime create {cid} {cid}") == f"container {cid} created"
    assert vm.run(f"oci-runtime start {cid}") == ""  # detached: its output goes to its log
    vm.child.send(f"oci-runtime logs -f {cid}\r")
    vm.expect(r"\[mm\] out of memory: killed process \d+ \(exhaust\)", timeout=900)  # the kernel's, on the console
    shown = vm.child.before
    vm.expect(rf"{mode} hog exit 137", timeout=60)  # 128 + SIGKILL, from wait4
    reached = [int(m) for m in re.findall(rf"{mode}: (\d+) MiB", shown + vm.child.before)]
    stop_following(vm)
    if limit_mib is not None:
        assert reached and max(reached) < limit_mib
    else:
        assert max(reached) >= 256  # most of the 512 MiB machine, minus the kernel's reserve
    host_answers(vm)
    assert status(vm, cid) == "running"  # its init (sh) lives on; only the hog was killed
    kill_and_delete(vm, cid)
    assert memory(vm) == before
