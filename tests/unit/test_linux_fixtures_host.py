"""The Linux ABI test programs (tests/fixtures/linux) on the host Linux, before they judge Cyrius.

Each program, built static with musl and with glibc, compiles without warnings, runs here, exits 0 (`fault`:
dies with SIGSEGV after its one line), ends with `done`, and prints the same thing on every run and under
both libcs: its output is what tests/integration/test_linux_abi.py expects from Cyrius.
"""
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import linux_programs as lp  # noqa: E402  (needs the path above)

CASES = [(name, compiler) for name in lp.PROGRAMS for compiler in lp.COMPILERS]


def test_every_family_has_a_program():
    assert set(lp.PROGRAMS) == {"files", "process", "signals", "pipes", "time", "ids", "mmap", "fault", "usage",
                                "attrs", "epoll", "unix_pairs", "unix_names", "unix_rights", "threads_basic",
                                "threads_sync", "threads_signals", "threads_exec", "threads_futex", "altstack",
                                "jobctl", "epoll_edge", "mremap", "close_range", "vectors", "procmaps", "mmsg",
                                "copyrange", "memfd", "sigfd", "locks", "fifos", "timers", "caps", "chroot"}


@pytest.mark.parametrize("path", sorted(lp.SOURCE_DIR.glob("*.c")), ids=lambda p: p.name)
def test_programs_are_small(path):
    assert len(path.read_text().splitlines()) <= 150


@pytest.mark.parametrize(("name", "compiler"), CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_program_runs_on_the_host(name, compiler):
    binary = lp.compile_program(name, compiler)
    first, second = lp.run_on_host(binary), lp.run_on_host(binary)
    assert first.stderr == ""
    if name == lp.FAULT:
        assert first.returncode == -signal.SIGSEGV
        assert first.stdout == lp.FAULT_LINE + "\n"
    else:
        assert first.returncode == 0, first.stdout
        assert first.stdout.endswith("\ndone\n")
        assert all(": " in line for line in first.stdout.splitlines()[:-1]), "every check prints `what: result`"
    assert second.stdout == first.stdout, "output is not deterministic"
    assert second.returncode == first.returncode


@pytest.mark.parametrize("name", lp.PROGRAMS)
def test_musl_and_glibc_agree(name):
    for compiler in lp.COMPILERS:
        lp.require_compiler(compiler)
    outputs = {compiler: lp.run_on_host(lp.compile_program(name, compiler)).stdout for compiler in lp.COMPILERS}
    assert outputs["musl"] == outputs["glibc"]


def test_cache_reuses_the_binary():
    lp.require_compiler("glibc")
    first = lp.compile_program("time", "glibc")
    mtime = first.stat().st_mtime_ns
    assert lp.compile_program("time", "glibc") == first and first.stat().st_mtime_ns == mtime
