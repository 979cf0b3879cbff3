"""tests/tooling.py: a missing setup-installed tool skips a test on a developer's machine and fails it under CI."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tooling

TESTS = Path(__file__).resolve().parents[1]
ABSENT = "cyrius-test-no-such-tool"


@pytest.fixture
def absent_tool(monkeypatch):
    monkeypatch.setitem(tooling.SETUP_PACKAGES, ABSENT, "cyrius-no-such-package")
    return ABSENT


def test_missing_tool_fails_under_ci(monkeypatch, absent_tool):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=f"{ABSENT} not found .*cyrius-no-such-package.*CI=true"):
        tooling.require_tools("gcc", absent_tool)


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing_tool_skips_outside_ci(monkeypatch, absent_tool, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match=f"{ABSENT} not found"):
        tooling.require_tools(absent_tool)


def test_present_tools_pass_everywhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    tooling.require_tools("gcc", "tar")  # the tests need gcc anyway; tar is essential on Debian
    assert tooling.missing_tools("gcc") is None


def test_only_setup_tools_can_be_needed():
    with pytest.raises(ValueError, match="not a tool scripts/setup.sh installs"):
        tooling.needs("some-tool-setup-does-not-install")


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_needs_mark_in_a_pytest_run(tmp_path, ci, outcome):
    """The mark through pytest itself: an error under CI (the hook fails the setup), a skip otherwise."""
    (tmp_path / "test_marked.py").write_text(
        "import tooling\n"
        f"tooling.SETUP_PACKAGES[{ABSENT!r}] = 'cyrius-no-such-package'\n"
        f"@tooling.needs({ABSENT!r})\n"
        "def test_marked():\n"
        "    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tooling", "-p", "no:cacheprovider", "-rs",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_marked.py")],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(TESTS), "CI": ci})
    assert outcome in done.stdout, done.stdout + done.stderr
    assert f"{ABSENT} not found" in done.stdout
