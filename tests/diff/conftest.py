"""The corpus compiled once per session, and the check that enough generated cases ran."""
import sys
from pathlib import Path

import pytest

from cyrius.compiler import REPO_ROOT
from cyrius.hostbuild import HostLibrary

DIFF = Path(__file__).resolve().parent
if str(DIFF) not in sys.path:
    sys.path.insert(0, str(DIFF))

import harness  # noqa: E402  (needs the path above)

CORPUS = sorted(f"corpus.{p.stem}" for p in (DIFF / "corpus").glob("*.py") if p.name != "__init__.py")
MIN_CASES = 200  # the floor for one run of the whole differential suite

_ran: set[str] = set()


@pytest.fixture(scope="session")
def corpus_lib(tmp_path_factory) -> HostLibrary:
    # mem.c: the corpus calls memcpy from cyrius.rt (host mode runs cyrius.rt's stand-in)
    return HostLibrary([DIFF], CORPUS, tmp_path_factory.mktemp("corpus"),
                       extra_c=[REPO_ROOT / "runtime-c" / "src" / "mem.c"])


@pytest.fixture(autouse=True)
def _record_differential_test(request):
    yield
    _ran.add(f"{request.node.module.__name__}::{request.node.originalname}")


def _required(session) -> set[str]:
    modules = {item.module for item in session.items if DIFF in Path(str(item.path)).parents}
    return {f"{m.__name__}::{name}" for m in modules for name, obj in vars(m).items()
            if name.startswith("test_") and callable(obj)}


def corpus_cases() -> int:
    """Generated cases compared so far: the corpus's and those of kernel modules (test_diff_*.py)."""
    return sum(harness.CASES.values())


def pytest_sessionfinish(session, exitstatus):
    """Fail a run of the whole differential suite that compared fewer than MIN_CASES generated cases."""
    required = _required(session)
    if required and required <= _ran and corpus_cases() < MIN_CASES and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        session.config._cyrius_too_few = True


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if corpus_cases():
        terminalreporter.write_line(f"differential: {corpus_cases()} generated cases compared "
                                    f"(CPython vs compiled C), 0 mismatches")
    if getattr(config, "_cyrius_too_few", False):
        terminalreporter.write_line(f"differential: FAILED — fewer than {MIN_CASES} generated cases ran",
                                    red=True)
