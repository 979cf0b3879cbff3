"""Debian's own dynamically linked tools (dash, coreutils, grep, findutils, procps) with the host's glibc and
loader, put into a BusyBox bundle's rootfs, run as a container's processes: the everyday calls of a glibc
userland (statx, xattrs for ls -l, fadvise, /proc for ps, locale and NSS lookups) work as on Linux."""
import re
import time
from pathlib import Path

import pytest

from busybox_bundles import busybox_disk, host_programs
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("umoci")]

TOOLS = ["/bin/dash", "/bin/ls", "/bin/cat", "/usr/bin/id", "/bin/uname", "/usr/bin/stat", "/usr/bin/find",
         "/bin/grep", "/usr/bin/sort", "/bin/date", "/bin/ps"]
SCRIPT = """
echo "== ls"; ls -l /etc/passwd 2>&1
echo "== cat"; cat /etc/passwd 2>&1
echo "== id"; id 2>&1
echo "== uname"; uname -s -n -m 2>&1
echo "== stat"; stat -c '%s %a %U' /usr/debian/dash 2>&1
echo "== find"; find /etc -name 'pass*' 2>&1
echo "== grep"; grep -c root /etc/passwd 2>&1
echo "== sort"; printf 'b\\na\\nc\\n' | sort 2>&1
echo "== date"; date +%Y 2>&1
echo "== ps"; ps -o comm= 2>&1
echo "== end"
"""


@pytest.fixture(scope="module")
def sections(image, tmp_path_factory):
    tools = [t for t in TOOLS if Path(t).exists()]
    files = host_programs(tools, under="usr/debian")
    work = tmp_path_factory.mktemp("debian")
    disk = busybox_disk(work, {"deb": {"terminal": True, "args": ["/usr/debian/dash", "-c", SCRIPT],
                                       "env": ["PATH=/usr/debian:/bin", "HOME=/root"]}}, files=files)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    assert console.run("tar mnt/deb.tar deb", timeout=300) == ""
    assert console.run("oci-runtime create deb deb") == "container deb created"
    out = console.run("oci-runtime start deb", timeout=300)
    log = console.run("dmesg")
    console.close()
    parts = re.split(r"^== (\w+)$", out, flags=re.M)
    return {name: body.strip("\n") for name, body in zip(parts[1::2], parts[2::2], strict=True)}, out, log


def test_no_call_is_missing(sections):
    _, out, log = sections
    assert "== end" in out
    assert "not implemented" not in out.lower() and "Unable" not in out, out
    assert "[shell] ready" in log and "unimplemented system call" not in log, log


def test_each_tool_says_what_it_says_on_linux(sections):
    parts = sections[0]
    assert re.fullmatch(r"-rw-r--r-- 1 root root \d+ .+ /etc/passwd", parts["ls"])
    assert parts["cat"].splitlines()[0].startswith("root:x:0:0:")
    assert parts["id"] == "uid=0(root) gid=0(root) groups=0(root)"
    assert parts["uname"] == "Linux cyrius x86_64"
    assert parts["stat"] == f"{Path('/bin/dash').stat().st_size} 755 root"
    assert parts["find"] == "/etc/passwd"
    assert parts["grep"] == "1"
    assert parts["sort"] == "a\nb\nc"
    assert parts["date"] == time.strftime("%Y", time.gmtime())


@needs("/bin/ps")
def test_ps_reads_proc(sections):
    parts = sections[0]
    assert parts["ps"].split() == ["dash", "ps"]
