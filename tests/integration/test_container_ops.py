"""The operations runc users expect beyond the runtime-spec's (issue 17): exec (with and without a
terminal), detached containers' logs and exit status, pause/resume, stats, ps, kill --all,
delete --force, run, 64 containers at once, the host shell's $? and cp. One VM, BusyBox bundles."""
import json
import re
import time

import pytest

from container_kit import SH_PROMPT, boot, in_container, leave_container, make_disk, memory, status
from qemu_console import PROMPT
from tooling import needs

pytestmark = [pytest.mark.integration, needs("umoci")]


def detached(args: list[str], env: list[str] | None = None, mounts: bool = True):
    def change(config: dict) -> None:
        config["process"]["terminal"] = False
        config["process"]["args"] = args
        config["process"]["env"] += env or []
        if not mounts:
            config["mounts"] = []  # containers may then share one rootfs (nothing is mounted on it)
    return change


VARIANTS = {
    "svc": detached(["sleep", "600"], env=["FOO=from-config", "KEEP=kept"]),
    "chatty": detached(["sh", "-c", "echo hi; echo oops >&2; sleep 3; echo bye; exit 3"]),
    "busy": detached(["sh", "-c", "while :; do :; done"]),
    "many": detached(["sleep", "30"], mounts=False),
    "family": detached(["sh", "-c", "sleep 600 & sleep 600 & wait"]),
}


@pytest.fixture(scope="module")
def ops_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("ops")
    disk = make_disk(work, {}, VARIANTS)
    console = boot(image, work, disk, tuple(VARIANTS))
    yield console
    console.close()


def stopped(vm, cid: str) -> None:
    """Wait until the container's init has gone (signals take a moment to be acted on)."""
    for _ in range(50):
        if status(vm, cid) == "stopped":
            return
    raise AssertionError(f"{cid} did not stop")


def cpu_ns(vm, cid: str) -> int:
    line = vm.run(f"oci-runtime stats {cid}")
    stats = json.loads(line)
    assert stats["type"] == "stats" and stats["id"] == cid, line
    return stats["data"]["cpu"]["usage"]["total"]


def test_exec_without_a_terminal_prints_on_the_console(ops_vm):
    vm = ops_vm
    assert vm.run("oci-runtime run svc svc") == ""  # detached: run returns at once
    assert status(vm, "svc") == "running"
    out = vm.run("oci-runtime exec --env FOO=bar --cwd /tmp svc sh -c 'echo $FOO $KEEP; pwd; id -u; hostname'")
    assert out.splitlines() == ["bar kept", "/tmp", "0", "cyrius"]
    assert vm.run("echo $?") == "0"
    assert vm.run("oci-runtime exec svc sh -c 'read x; echo got [$x]; exit 7'") == "got []"  # stdin: end of file
    assert vm.run("echo $?") == "7"
    assert vm.run("oci-runtime exec svc nosuchprogram") == \
        "oci-runtime: exec svc: not found in the container: nosuchprogram"
    assert vm.run("echo $?") == "1"


def test_exec_with_a_terminal_owns_the_console(ops_vm):
    vm = ops_vm
    vm.child.send("oci-runtime exec -t svc sh\r")
    vm.child.expect_exact(SH_PROMPT, timeout=60)
    assert in_container(vm, "echo $FOO") == "from-config"
    assert "sleep" in in_container(vm, "ps")  # the container's init, seen from inside
    assert leave_container(vm) == ""


def test_exec_into_a_missing_or_stopped_container_is_an_error(ops_vm):
    vm = ops_vm
    assert vm.run("oci-runtime exec nosuch ls") == "oci-runtime: exec nosuch: no container with id nosuch"
    assert vm.run("oci-runtime create idle many") == "container idle created"
    assert vm.run("oci-runtime exec idle ls") == "oci-runtime: exec idle: exec needs a running container"
    assert vm.run("oci-runtime delete --force idle") == ""
    assert vm.run("oci-runtime exec").startswith("usage: oci-runtime")


def test_a_detached_container_logs_its_output_and_keeps_its_exit_status(ops_vm):
    vm = ops_vm
    assert vm.run("oci-runtime run chatty chatty") == ""
    followed = vm.run("oci-runtime logs -f chatty", timeout=60)  # until the init exits
    assert followed.splitlines() == ["hi", "oops", "bye"]
    assert vm.run("oci-runtime wait chatty") == "3"
    state = vm.run("oci-runtime state chatty")
    assert '"org.cyrius.exit-status":"3"' in state and '"pid":null,"status":"stopped"' in state
    assert vm.run("oci-runtime logs chatty").splitlines() == ["hi", "oops", "bye"]
    assert vm.run("oci-runtime delete chatty") == ""


def test_logs_follow_ends_with_ctrl_c(ops_vm):
    vm = ops_vm
    vm.child.send("oci-runtime logs -f svc\r")
    vm.child.expect_exact("oci-runtime logs -f svc")
    time.sleep(1)
    vm.child.send("\x03")
    vm.child.expect(PROMPT, timeout=30)
    assert vm.run("oci-runtime logs idle") == "oci-runtime: logs idle: no container with id idle"


def test_pause_freezes_a_busy_loop_and_resume_thaws_it(ops_vm):
    vm = ops_vm
    assert vm.run("oci-runtime run busy busy") == ""
    first = cpu_ns(vm, "busy")
    time.sleep(2)
    running = cpu_ns(vm, "busy")
    assert running > first
    assert vm.run("oci-runtime pause busy") == ""
    assert status(vm, "busy") == "paused"
    assert re.search(r"\d+ paused\s+sh", vm.run("oci-runtime ps busy"))
    assert vm.run("oci-runtime exec busy ls") == \
        "oci-runtime: exec busy: exec needs a running container, and it is paused"
    paused = cpu_ns(vm, "busy")
    time.sleep(3)
    assert cpu_ns(vm, "busy") == paused
    assert vm.run("oci-runtime kill busy TERM") == ""  # pending until resumed: nothing runs meanwhile
    assert status(vm, "busy") == "paused"
    assert vm.run("oci-runtime resume busy") == ""
    stopped(vm, "busy")
    assert vm.run("oci-runtime wait busy") == "143"  # 128 + SIGTERM
    assert vm.run("oci-runtime delete busy") == ""


def test_a_paused_container_resumes_and_a_paused_one_dies_of_sigkill(ops_vm):
    vm = ops_vm
    assert vm.run("oci-runtime run busy2 busy") == ""  # the bundle is free again: busy was deleted
    assert vm.run("oci-runtime pause busy2") == ""
    before = cpu_ns(vm, "busy2")
    assert vm.run("oci-runtime resume busy2") == ""
    time.sleep(2)
    assert cpu_ns(vm, "busy2") > before
    assert vm.run("oci-runtime pause busy2") == ""
    assert vm.run("oci-runtime kill busy2 KILL") == ""  # SIGKILL reaches a frozen task
    stopped(vm, "busy2")
    assert vm.run("oci-runtime wait busy2") == "137"
    assert vm.run("oci-runtime delete busy2") == ""


def test_kill_all_and_ps(ops_vm):
    vm = ops_vm
    assert vm.run("oci-runtime run family family") == ""
    for _ in range(50):
        lines = vm.run("oci-runtime ps family").splitlines()
        if len(lines) == 4:
            break
    assert lines[0].split() == ["PID", "STATE", "NAME"]
    assert sorted(line.split()[2] for line in lines[1:]) == ["sh", "sleep", "sleep"]
    assert vm.run("oci-runtime kill --all family KILL") == ""
    stopped(vm, "family")
    assert vm.run("oci-runtime wait family") == "137"
    assert vm.run("oci-runtime delete family") == ""


def test_delete_force_of_a_running_container_leaks_nothing(ops_vm):
    vm = ops_vm
    assert vm.run("oci-runtime run warm family") == ""  # caches and size classes settle
    assert vm.run("oci-runtime delete --force warm") == ""
    before = memory(vm)
    assert vm.run("oci-runtime run fam family") == ""
    assert vm.run("oci-runtime delete fam").startswith("oci-runtime: delete fam: delete needs a stopped container")
    assert vm.run("oci-runtime delete --force fam") == ""
    assert "fam " not in vm.run("oci-runtime list")
    assert memory(vm) == before


def test_64_detached_containers_at_once(ops_vm):
    vm = ops_vm
    vm.run("oci-runtime delete --force svc")
    assert vm.run("oci-runtime run warm many") == ""
    assert vm.run("oci-runtime delete --force warm") == ""
    before = memory(vm)
    for i in range(64):
        assert vm.run(f"oci-runtime run m{i} many") == "", i
    listing = vm.run("oci-runtime list").splitlines()[1:]
    assert len(listing) == 64 and all(" running " in line for line in listing)
    assert vm.run("oci-runtime run m64 many") == "oci-runtime: run m64: too many containers"
    assert vm.run("oci-runtime exec m5 echo no /dev needed") == "no /dev needed"  # the host's console
    for i in range(64):
        assert vm.run(f"oci-runtime delete --force m{i}") == "", i
    assert vm.run("oci-runtime list") == "ID               STATUS   PID   BUNDLE"
    assert memory(vm) == before


def test_the_host_shell_status(ops_vm):
    vm = ops_vm
    assert vm.run("echo $?") == "0"
    assert vm.run("cat /nonexistent") == "cat: /nonexistent: No such file or directory"
    assert vm.run("echo $?") == "1"
    assert vm.run("echo $?") == "0"  # echo itself succeeded
    vm.run("nosuchcommand")
    assert vm.run("echo status=$? '$?' \\$?") == "status=127 $? $?"
    vm.run("oci-runtime")
    assert vm.run("echo $?") == "2"


def test_cp_between_the_host_and_a_container(ops_vm):
    vm = ops_vm
    assert vm.run("oci-runtime run cpc svc") == ""
    assert vm.run("write /tmp/note hello from the host") == ""
    assert vm.run("cp /tmp/note cpc:/root/note") == ""
    assert vm.run("oci-runtime exec cpc cat /root/note") == "hello from the host"
    assert json.loads(vm.run("oci-runtime events --stats cpc"))["data"]["pids"] == {"current": 1, "limit": 256}
    assert vm.run("cp /tmp/note cpc:/tmp") == ""  # into a directory: its own name
    assert vm.run("oci-runtime exec cpc cat /tmp/note") == "hello from the host"
    assert vm.run("oci-runtime exec cpc sh -c 'echo made inside > /root/made'") == ""
    assert vm.run("cp cpc:/root/made /tmp/made") == ""
    assert vm.run("cat /tmp/made") == "made inside"
    assert vm.run("cp svc/rootfs/root/made /tmp/again") == ""  # the rootfs is a host directory too
    assert vm.run("cat /tmp/again") == "made inside"
    assert vm.run("cp /tmp/made nosuch:/x") == "cp: no container with id nosuch"
    assert vm.run("cp /tmp/missing cpc:/x") == "cp: /tmp/missing: No such file or directory"
    assert vm.run("echo $?") == "1"
    assert vm.run("oci-runtime delete --force cpc") == ""
