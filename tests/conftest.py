"""For every test directory: tests/ on sys.path (for the shared tooling module) and its hooks."""
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from tooling import pytest_configure, pytest_runtest_setup  # noqa: E402,F401  (hooks, found here by pytest)
