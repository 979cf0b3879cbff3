"""Escapes from a container, tried by a static C program (tests/fixtures/escape/escape.c, built with
musl-gcc) running as one container's init while a second container runs beside it.

The host world holds what an escape would reach: a marker at the host's /, one on the FAT32 data
disk at /mnt, and one in the other container's root (/b/rootfs). The program tries `..` past the
root by chdir, openat and fchdir on directory descriptors (of /tmp, /proc, /dev), absolute,
relative and chained symlinks, hard links, renames, /proc/PID/root and cwd of every pid, the
descriptors it was started with, and a working directory removed under it; it prints where each
attempt led. The test checks the program's report and, from the host shell, that nothing outside
the container's root was read, written, created or renamed into.
"""
import re
import subprocess
from pathlib import Path

import pytest

from busybox_bundles import busybox_disk
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("umoci", "musl-gcc")]

SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "escape" / "escape.c"
UP = "../../../../../../../../../.."
SECRETS = {"/host-marker": "host-secret-one", "/mnt/host-marker": "host-secret-two",
           "/b/rootfs/b-marker": "b-secret-three"}


@pytest.fixture(scope="module")
def escape_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("escape")
    program = work / "escape"
    subprocess.run(["musl-gcc", "-static", "-O1", "-Wall", "-Wextra", "-Werror", "-o", str(program), str(SOURCE)],
                   check=True)
    disk = busybox_disk(work, {"a": {"terminal": True, "args": ["/escape"]},
                               "b": {"terminal": False, "args": ["sh", "-c", "cd /tmp; exec sleep 600"]}},
                        files={"escape": program})
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    for name in ("a", "b"):
        assert console.run(f"tar mnt/{name}.tar /{name}", timeout=120) == ""
    for path, secret in SECRETS.items():
        assert console.run(f"write {path} {secret}") == ""
    yield console
    console.close()


@pytest.fixture(scope="module")
def report(escape_vm):
    """What escape.c printed as container a's init, with container b running beside it; b's init pid."""
    vm = escape_vm
    assert vm.run("oci-runtime create b /b") == "container b created"
    assert vm.run("oci-runtime start b") == ""
    other = re.search(r'"pid":(\d+),"status":"running"', vm.run("oci-runtime state b"))
    assert other
    assert vm.run("oci-runtime create a /a") == "container a created"
    out = vm.run("oci-runtime start a", timeout=300)
    assert '"status":"stopped"' in vm.run("oci-runtime state a")
    return out.splitlines(), int(other.group(1))


MOUNTS = ("/proc", "/proc/self", "/proc/self/fd", "/dev")
LEADS_TO_ROOT = ["chdir ..", f"openat {UP}", f"openat tmpfd {UP}", "fchdir tmpfd, chdir ..",
                 *(f"openat {m} fd {UP}" for m in MOUNTS), *(f"fchdir {m} fd, chdir .." for m in MOUNTS),
                 f"absolute symlink /{UP}", f"relative symlink {UP}", "openat tmpfd relative symlink",
                 "chained symlinks", f"/proc/self/cwd/{UP}", f"/proc/self/root/{UP}", f"/proc/self/fd/TMPFD/{UP}"]


def outcomes(lines: list[str]) -> dict[str, str]:
    """attempt -> what became of it, from the program's `NAME: OUTCOME` lines."""
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def names(listing: str) -> set[str]:
    return {line.split()[-1] for line in listing.splitlines()}


def test_no_attempt_reaches_the_host_or_the_other_container(report):
    lines, other = report
    assert lines[-1] == "escape: done", lines
    assert [line for line in lines if "ESCAPED" in line] == []
    assert not any(secret in line for line in lines for secret in SECRETS.values())
    done = outcomes(lines)
    assert {attempt: done.get(attempt) for attempt in LEADS_TO_ROOT} == dict.fromkeys(LEADS_TO_ROOT, "contained at /")
    links = {attempt: outcome for attempt, outcome in done.items() if attempt.startswith(("link ", "linkat "))}
    assert len(links) == 40 and set(links.values()) == {"contained (ENOENT)"}
    assert done["symlink to /mnt"] == "contained (ENOENT)"
    renames = {attempt: outcome for attempt, outcome in done.items() if attempt.startswith("rename")}
    assert renames == {f"rename to /{UP}/escaped-rename": "renamed", f"rename to {UP}/escaped-rename": "renamed",
                       f"rename to /{UP}/mnt/escaped-rename": "contained (ENOENT)",
                       f"rename to /{UP}/b/rootfs/escaped-rename": "contained (ENOENT)",
                       f"rename to /proc/self/root/{UP}/escaped-rename": "renamed",
                       "renameat updirfd": "renamed"}  # renamed: within its own root (the host checks where)


def test_the_container_sees_only_itself_in_proc_and_inherits_only_the_console(report):
    lines, other = report
    pid = int(outcomes(lines)["pid"])
    assert pid == 1  # its container's init, in the container's own pid namespace
    assert outcomes(lines)["pids"] == "1"
    assert not any(line.startswith(f"/proc/{other}/") for line in lines)  # b's init, by its kernel-wide pid
    assert all(outcome == "contained at /" for path, outcome in outcomes(lines).items()
               if path.startswith("/proc/1/"))  # its own links lead to its own root
    assert lines[:4] == ["fds: 0 1 2", "fd 0: /dev/console", "fd 1: /dev/console", "fd 2: /dev/console"]


def test_a_removed_working_directory_takes_no_names_and_leads_nowhere(report):
    lines, _ = report
    done = outcomes(lines)
    assert [done[f"{what} a removed directory"] for what in ("create in", "getcwd in", "chdir .. in")] == [
        "ENOENT"] * 3
    assert done["removed directories, chdir .."] == "contained in ? (getcwd: ENOENT)"


def test_the_host_world_is_untouched(escape_vm, report):
    vm = escape_vm
    for path, secret in SECRETS.items():
        assert vm.run(f"cat {path}") == secret
    for outside in ("/", "/mnt", "/b/rootfs", "/b"):
        assert not any(name.startswith("escaped") for name in names(vm.run(f"ls {outside}"))), outside
    assert {"escaped", "escaped-rename", "escaped-renameat"} <= names(vm.run("ls /a/rootfs"))
    assert '"status":"running"' in vm.run("oci-runtime state b")  # b ran beside a all along
    assert vm.run("oci-runtime kill b KILL") == ""
    assert '"status":"stopped"' in vm.run("oci-runtime state b")
    assert vm.run("oci-runtime delete b") == ""
    assert vm.run("oci-runtime delete a") == ""
