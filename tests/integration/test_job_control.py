"""Job control at a container's terminal, driven as a user types it: ^Z stops the foreground job,
`jobs`, `bg` and `fg` work, and ^C ends the job brought back, in BusyBox's `sh` and in Debian's
`bash` (the host's, with its libraries). What the shells print is their own: they only print
"Stopped" once wait4's WUNTRACED reported the stop, and a job resumed by `bg`/`fg` only runs on
because SIGCONT continued it and its interrupted sleep was restarted."""
import re

import pytest

from busybox_bundles import busybox_disk, host_programs
from container_kit import SH_PROMPT, start_attached
from qemu_console import PROMPT, Console
from tooling import needs

pytestmark = [pytest.mark.integration, needs("umoci")]

BASH_PROMPT = "bash# "
CTRL_Z, CTRL_C = "\x1a", "\x03"


@pytest.fixture(scope="module")
def vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("jobs")
    files = host_programs(["/bin/bash"], under="usr/debian")
    disk = busybox_disk(work, {
        "sh": {"terminal": True},
        "bash": {"terminal": True, "args": ["/usr/debian/bash", "--norc", "--noprofile", "-i"],
                 "env": ["PATH=/bin:/usr/debian", f"PS1={BASH_PROMPT}", "TERM=dumb", "HOME=/root"]},
    }, files=files)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    for name in ("sh", "bash"):
        assert console.run(f"tar mnt/{name}.tar {name}", timeout=300) == ""
    yield console
    console.close()


def typed(vm: Console, keys: str, prompt: str, timeout: float = 60) -> str:
    """Keys typed at the container's shell; what came back until its next prompt."""
    vm.child.send(keys)
    vm.child.expect_exact(prompt, timeout=timeout)
    return vm.child.before.replace("\r", "")


def command(vm: Console, line: str, prompt: str) -> str:
    vm.child.send(line + "\r")
    vm.child.expect_exact(line, timeout=60)
    return typed(vm, "", prompt)


def job_control_session(vm: Console, prompt: str, sees_continue: bool) -> None:
    """^Z, jobs, bg, jobs, fg, ^C; kill -STOP/-CONT of a background job; a background job that
    reads the terminal is stopped by SIGTTIN. Only a shell that
    asks wait4 for WCONTINUED (bash; BusyBox's ash does not, on Linux as here) sees the job run again."""
    vm.child.send("sleep 300\r")
    vm.child.expect_exact("sleep 300", timeout=60)
    out = typed(vm, CTRL_Z, prompt)
    assert re.search(r"\[1\]\+\s+Stopped\s+sleep 300", out), out
    assert re.search(r"\[1\]\+\s+Stopped\s+sleep 300", command(vm, "jobs", prompt))
    assert "sleep 300" in command(vm, "bg", prompt)
    assert re.search(r"\[1\]\+\s+Running\s+sleep 300", command(vm, "jobs", prompt))
    vm.child.send("fg\r")
    vm.child.expect_exact("sleep 300", timeout=60)
    typed(vm, CTRL_C, prompt)
    assert command(vm, "echo status $?", prompt).strip().endswith("status 130")  # 128 + SIGINT
    assert command(vm, "jobs", prompt).strip() == ""
    command(vm, "sleep 200 &", prompt)
    command(vm, "kill -STOP %1", prompt)
    assert re.search(r"Stopped.*sleep 200", command(vm, "jobs", prompt))
    command(vm, "kill -CONT %1", prompt)
    assert re.search(r"Running\s+sleep 200" if sees_continue else r"Stopped.*sleep 200", command(vm, "jobs", prompt))
    command(vm, "kill %1", prompt)
    command(vm, "wait", prompt)
    command(vm, "cat &", prompt)  # reading the terminal from the background: SIGTTIN stops it
    assert re.search(r"Stopped.*cat", command(vm, "sleep 1; jobs", prompt))
    command(vm, "kill -9 %1", prompt)
    command(vm, "wait", prompt)
    assert command(vm, "jobs", prompt).strip() == ""


def test_busybox_sh_stops_and_resumes_jobs(vm):
    assert vm.run("oci-runtime create jsh sh") == "container jsh created"
    start_attached(vm, "jsh")
    job_control_session(vm, SH_PROMPT, sees_continue=False)
    vm.child.send("exit\r")
    vm.child.expect(PROMPT, timeout=60)
    assert vm.run("oci-runtime delete jsh") == ""


def test_debian_bash_stops_and_resumes_jobs(vm):
    assert vm.run("oci-runtime create jbash bash") == "container jbash created"
    start_attached(vm, "jbash", expect=BASH_PROMPT, timeout=120)
    job_control_session(vm, BASH_PROMPT, sees_continue=True)
    vm.child.send("exit\r")
    vm.child.expect(PROMPT, timeout=60)
    assert vm.run("oci-runtime delete jbash") == ""
