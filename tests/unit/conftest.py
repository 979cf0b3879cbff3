"""Fixtures for the compiler unit tests: the test programs compiled once per session."""
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent
for _path in (UNIT, UNIT.parent / "diff"):  # the `programs` package, and the shared two-worlds harness
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import compiled_programs  # noqa: E402  (needs the path above)


@pytest.fixture(scope="session")
def programs_build(tmp_path_factory) -> compiled_programs.Build:
    return compiled_programs.build(tmp_path_factory.mktemp("programs"))
