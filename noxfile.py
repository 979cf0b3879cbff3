"""Test sessions. They run in the environment made by scripts/setup.sh (.venv), not in new venvs:
the tests need the system tools that setup installs anyway, and CI time matters more than isolation."""
import sys

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["tests"]


@nox.session
def tests(session):
    """Everything: compiler, kernel-under-CPython, differential and QEMU integration tests."""
    session.run(sys.executable, "-m", "pytest", "-q", "tests", *session.posargs)


@nox.session
def unit(session):
    """Fast tests only: no QEMU."""
    session.run(sys.executable, "-m", "pytest", "-q", "tests/unit", "tests/kernel", "tests/diff", *session.posargs)


@nox.session
def integration(session):
    """Boot Cyrius in QEMU (TCG) and drive it over the serial console."""
    session.run(sys.executable, "-m", "pytest", "-q", "tests/integration", *session.posargs)


@nox.session
def lint(session):
    session.run(sys.executable, "-m", "ruff", "check", "src", "tests", "noxfile.py")


BENCHMARKS = ["bench_codegen.py", "bench_toolchain.py", "bench_boot.py", "bench_syscalls.py", "bench_containers.py",
              "bench_network.py"]


@nox.session
def bench(session):
    """Every benchmark against its peer, measured in the same run; regenerates bench/RESULTS.md (each script
    replaces its own section, so a script that fails leaves its previous rows). Arguments go to each script
    (e.g. `nox -s bench -- --repeat 1`). Ends with the figures of RESULTS.md that miss their target."""
    for script in BENCHMARKS:
        session.run(sys.executable, f"bench/{script}", *session.posargs)
    session.run(sys.executable, "bench/missed_targets.py")
