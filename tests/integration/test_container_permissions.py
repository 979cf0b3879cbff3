"""Permissions inside a container: a process that is not root (config.json's process.user) is refused
a path through a directory it may not search, as on Linux; a readable twin of the same tree is
served. The directories and files come in the bundle's tarball with their modes, owned by root."""
import pytest

from busybox_bundles import busybox_disk
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration, needs("umoci")]

SCRIPT = ("cat /locked/inner/f; echo cat=$?; ls /locked/inner; echo ls=$?; cd /locked/inner; echo cd=$?; "
          "cat /open/inner/f; echo open=$?; id -u")


@pytest.fixture(scope="module")
def output(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("permissions")
    secret = work / "secret"
    secret.write_text("locked-secret\n")
    readable = work / "readable"
    readable.write_text("readable-text\n")
    disk = busybox_disk(work, {"u": {"terminal": True, "user": {"uid": 1000, "gid": 1000},
                                     "args": ["sh", "-c", SCRIPT]}},
                        files={"locked/inner/f": secret, "open/inner/f": readable},
                        modes={"locked": 0o744, "locked/inner/f": 0o644, "open/inner/f": 0o644})
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    assert console.run("tar mnt/u.tar /u", timeout=120) == ""
    assert console.run("oci-runtime create u /u") == "container u created"
    out = console.run("oci-runtime start u", timeout=120)
    yield out.splitlines()
    console.close()


def test_a_non_root_process_is_refused_a_directory_without_search_permission(output):
    assert "locked-secret" not in "\n".join(output)
    assert "cat: can't open '/locked/inner/f': Permission denied" in output
    assert "cat=1" in output
    assert any(line.startswith("ls: ") and line.endswith("Permission denied") for line in output), output
    assert "ls=1" in output
    assert any("cd" in line and line.endswith("Permission denied") for line in output), output
    assert "cd=0" not in output


def test_the_same_tree_with_search_permission_is_served(output):
    assert "readable-text" in output
    assert "open=0" in output
    assert output[-1] == "1000"
