"""Leak soak: 200 real create/start/exit/delete cycles of a BusyBox container, driven from the host
shell one command per step, give back every frame and every heap byte.

The container's init is BusyBox `sh -c` without a terminal: it forks a shell that leaves an orphan
behind (reparented to the host world), writes a file in a tmpfs at /tmp and copies it to its root,
reads its own /proc entry (the config mounts procfs, devfs and that tmpfs), and exits. Nobody waits
for such an init: the runtime must; and every mount goes with the container.
"""
import re

import pytest

from busybox_bundles import busybox_disk
from qemu_console import Console
from test_hostile import memory
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("umoci")]

CYCLES = 200
WARM_UP = 2
INIT = 'sh -c "true &"; echo soak > /tmp/soak; cat /tmp/soak > /root/soak; cat /proc/self/status > /dev/null'
TMPFS = {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=1777"]}


@pytest.fixture(scope="module")
def soak_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("soak")
    disk = busybox_disk(work, {"soak": {"terminal": False, "args": ["sh", "-c", INIT]}}, mounts=[TMPFS])
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    assert console.run("tar mnt/soak.tar soak", timeout=120) == ""
    yield console
    console.close()


def wait_until_stopped(vm: Console, cid: str) -> None:
    for _ in range(100):
        state = vm.run(f"oci-runtime state {cid}")
        if '"status":"stopped"' in state:
            return
        assert '"status":"running"' in state, state
    raise AssertionError(f"{cid} never stopped: {state}")


def delete(vm: Console, cid: str) -> None:
    """delete; the init's orphan may still be finishing for a moment after the init stopped."""
    for _ in range(100):
        out = vm.run(f"oci-runtime delete {cid}")
        if out == "":
            return
        assert out.endswith("processes of the container are still running"), out
    raise AssertionError(f"{cid} could not be deleted: {out}")


def cycle(vm: Console, cid: str) -> None:
    assert vm.run(f"oci-runtime create {cid} soak") == f"container {cid} created"
    assert vm.run(f"oci-runtime start {cid}") == ""
    wait_until_stopped(vm, cid)
    delete(vm, cid)


def test_the_container_init_ran(soak_vm):
    vm = soak_vm
    cycle(vm, "first")
    assert vm.run("cat soak/rootfs/root/soak") == "soak"
    assert "soak" not in vm.run("ls soak/rootfs/tmp")  # it was written in the tmpfs, gone with the container


def test_create_start_exit_delete_200_times_leaks_nothing(soak_vm):
    vm = soak_vm
    for i in range(WARM_UP):  # caches and size classes settle
        cycle(vm, f"warm{i}")
    before = memory(vm)
    for i in range(CYCLES):
        cycle(vm, f"soak{i}")
    assert memory(vm) == before
    assert vm.run("oci-runtime list") == "ID               STATUS   PID   BUNDLE"
    processes = vm.run("ps").splitlines()[1:]
    assert [re.split(r"\s+", line.strip())[-1] for line in processes] == ["host"], processes
