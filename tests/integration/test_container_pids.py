"""Each container is its own pid namespace: two containers side by side, and a static probe
(tests/fixtures/containers/pidns.c) in one of them tries to see and reach the other's process by
its kernel-wide pid, by guessing pids, by /proc, kill(-1), wait and ptrace. Inside, the container's
shell is pid 1 and its processes are numbered from there (F_GETLK names a lock's holder so too:
tests/fixtures/linux/locks.c run inside); the host shell's `ps` still shows kernel-wide pids and the
container each process belongs to."""
import re
from pathlib import Path

import pytest

import linux_programs as lp
from busybox_bundles import busybox_disk
from container_kit import build_static, in_container, leave_container, start_attached
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration, needs("umoci", "musl-gcc")]
vm_expected: dict[str, str] = {}  # what the programs run inside print on the host

SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "containers" / "pidns.c"
LOCKS = Path(__file__).resolve().parents[1] / "fixtures" / "linux" / "locks.c"


@pytest.fixture(scope="module")
def vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("pidns")
    probe = build_static(SOURCE, work / "pidns")
    locks = build_static(LOCKS, work / "locks")
    disk = busybox_disk(work, {"a": {"terminal": True},
                               "b": {"terminal": False, "args": ["sh", "-c", "sleep 600 & wait"]}},
                        files={"bin/pidns": probe, "bin/locks": locks})
    vm_expected["locks"] = lp.run_on_host(locks).stdout.strip("\n")
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    for name in ("a", "b"):
        assert console.run(f"tar mnt/{name}.tar {name}", timeout=300) == ""
        assert console.run(f"oci-runtime create {name} {name}") == f"container {name} created"
    assert console.run("oci-runtime start b") == ""
    yield console
    console.close()


def host_pid_of(vm: Console, container: str, name: str) -> int:
    """The kernel-wide pid the host shell's `ps` shows for the container's process `name`."""
    rows = [line.split() for line in vm.run("ps").splitlines()[1:]]
    pids = [int(row[0]) for row in rows if len(row) >= 5 and row[3] == container and row[4] == name]
    assert len(pids) == 1, rows
    return pids[0]


@pytest.fixture(scope="module")
def probe(vm):
    outside = host_pid_of(vm, "b", "sleep")  # b's second process: pid 2 in b, kernel-wide 3 or more
    assert outside > 2  # a number the probe's own container does not have
    start_attached(vm, "a")
    report = in_container(vm, f"pidns {outside}")
    inside = {"$$": in_container(vm, "echo $$"), "ps": in_container(vm, "ps -o pid,comm"),
              "kill": in_container(vm, "kill -9 1; echo still here"),
              "locks": in_container(vm, "mkdir -p /tmp; locks /tmp", timeout=180),
              "mknod": in_container(vm, "mknod /tmp/null c 1 3; mkfifo /tmp/fifo && ls -l /tmp/fifo")}
    leave_container(vm)
    return dict(line.split(": ", 1) for line in report.splitlines()), inside, outside


def test_a_containers_processes_are_numbered_from_one(probe):
    report, inside, _ = probe
    assert inside["$$"] == "1"
    assert report["getppid"] == "1" and report["getpid"] == "2" and report["/proc/self"] == "2"
    assert report["fork returns the child's pid here"] == "yes"
    assert report["the child saw its parent as 2"] == "yes"
    # the probe was 2 and its child 3: numbers go on from there, whatever the kernel-wide ones are
    assert [row.split() for row in inside["ps"].splitlines()[1:]] == [["1", "sh"], ["4", "ps"]]


def test_nothing_outside_the_container_can_be_named(probe):
    report, _, _ = probe
    assert report["pids kill reaches"] == "2, the highest 2"  # its shell and itself, of thousands tried
    assert report["/proc lists"] == "2"
    for what in ("kill(outside, 0)", "kill(outside, SIGKILL)"):
        assert report[what] == "No such process"
    assert report["open /proc/outside/status"] == "No such file or directory"
    assert report["waitpid(outside)"] == "No child process"
    assert report["ptrace(ATTACH, outside)"] == "fails"


def test_kill_minus_one_and_kill_of_init_stay_inside(vm, probe):
    report, inside, outside = probe
    assert report["kill(-1, SIGUSR1)"] == "ok, reached itself: no"
    assert report["kill(1, SIGKILL)"] == "ok"
    assert inside["kill"] == "still here"  # the container's init ignores what it has no handler for
    assert re.search(r'"status":"running"', vm.run("oci-runtime state b"))
    assert host_pid_of(vm, "b", "sleep") == outside


def test_record_locks_name_their_holder_in_the_containers_pids(probe):
    _, inside, _ = probe
    assert inside["locks"] == vm_expected["locks"]  # "holder parent": l_pid is the parent's getppid()


def test_no_device_nodes_in_a_container_but_fifos(probe):
    _, inside, _ = probe
    lines = inside["mknod"].splitlines()
    assert lines[0] == "mknod: /tmp/null: Operation not permitted"
    assert lines[1].startswith("prw-") and lines[1].endswith("/tmp/fifo")


def test_the_host_sees_kernel_wide_pids(vm, probe):
    _, _, outside = probe
    rows = [line.split() for line in vm.run("ps").splitlines()[1:]]
    assert [int(row[0]) for row in rows if row[-1] == "sleep"] == [outside]
    assert vm.run("oci-runtime kill b KILL") == ""
    vm.run("oci-runtime delete b")
