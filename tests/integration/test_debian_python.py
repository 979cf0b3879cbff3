"""Debian's own python3 (the host's interpreter, the libraries ldd names and its standard library) in a
BusyBox container: a script with threads, locks, conditions and events with timeouts, a thread pool and
queues, subprocesses and signals among threads, and asyncio prints what the same interpreter prints on
the host. Underneath: clone with the thread flags, futex waits with timeouts (glibc's sem_clockwait,
pthread_cond_clockwait), thread exits and joins, fork and close_range, epoll."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from busybox_bundles import busybox_disk, host_programs
from container_kit import boot
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("umoci", "/usr/bin/python3")]

SCRIPT = Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "py_threads.py"
# Parts of the standard library the script does not need, left out to keep the disk small.
PRUNE = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data", "distutils", "unittest",
         "site-packages", "dist-packages", "sqlite3", "xml", "email", "http", "urllib", "xmlrpc", "wsgiref", "html",
         "dbm", "curses", "venv", "ctypes", "tomllib", "zoneinfo"}


def python() -> Path:
    """Debian's interpreter: /usr/bin/python3 resolved (python3.11 on Debian 12)."""
    return Path(os.path.realpath("/usr/bin/python3"))


def stdlib() -> Path:
    return Path("/usr/lib") / python().name


# A module the script imports and its compiled form, whose times the container's stat reports after the run.
TAG = "cpython-" + python().name.removeprefix("python").replace(".", "")  # cpython-311
MTIMES = [str(stdlib() / "threading.py"), str(stdlib() / "__pycache__" / f"threading.{TAG}.pyc")]


def stdlib_files() -> dict[str, Path]:
    """Rootfs paths -> host files of the interpreter's standard library (compiled .pyc files
    included, so nothing is compiled under TCG), without PRUNE and the static libpython (config-*)."""
    root = stdlib()
    files = {}
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in PRUNE and not d.startswith("config-")]
        for name in names:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                files[str(path).lstrip("/")] = path
    return files


def host_output() -> str:
    return subprocess.run([str(python()), str(SCRIPT)], capture_output=True, text=True, check=True,
                          timeout=120).stdout


@pytest.fixture(scope="module")
def run(image, tmp_path_factory):
    """The script's output in the container and dmesg after."""
    files = host_programs([str(python())]) | stdlib_files() | {"py_threads.py": SCRIPT}
    work = tmp_path_factory.mktemp("python")
    script = f"/usr/bin/{python().name} /py_threads.py; echo '== mtimes'; stat -c %Y {' '.join(MTIMES)}"
    disk = busybox_disk(work, {"py": {"terminal": True, "args": ["sh", "-c", script],
                                      "env": ["PATH=/usr/bin:/bin", "HOME=/root"]}}, files=files)
    console = boot(image, work, disk, ("py",), timeout=600, memory_mib=1024)
    assert console.run("oci-runtime create py py") == "container py created"
    out = console.run("oci-runtime start py", timeout=600)
    log = console.run("dmesg")
    console.close()
    out, mtimes = out.split("== mtimes\n")
    return out, mtimes.split(), log


def test_threaded_script_prints_what_it_prints_on_the_host(run):
    out, _, _ = run
    expected = host_output()
    assert expected.endswith("python threads done\n")
    assert out == expected


def test_the_compiled_standard_library_was_used_not_rewritten(run):
    """The modules' and their .pyc files' times are the host's after the run: tar kept them, so the
    .pyc files were valid and python did not compile the modules again (and write new ones)."""
    _, mtimes, _ = run
    assert mtimes == [str(int(Path(f).stat().st_mtime)) for f in MTIMES]


def test_no_system_call_is_missing(run):
    _, _, log = run
    assert "[shell] ready" in log
    assert not re.search(r"unimplemented system call", log), log
