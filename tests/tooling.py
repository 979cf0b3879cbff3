"""What the tests need from the host, and how they run the cyrius CLI.

A test that needs a tool scripts/setup.sh installs says so with `needs(...)` (a mark) or
`require_tools(...)` (a call, for fixtures and helpers). Without the tool it is skipped on a developer's
machine, with the reason, but under CI (CI=true) it fails: CI ran setup.sh, so a missing tool there
is a broken setup, and a skip would hide that the test never ran.

Also a pytest plugin: tests/conftest.py imports the hooks below; the unit test of this module loads it
with `-p tooling`.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

# Each tool a test may need -> the Debian package scripts/setup.sh installs it from. Names with a slash
# are files that must exist; the others are commands looked up on PATH.
SETUP_PACKAGES = {
    "gcc": "gcc",
    "mkfs.fat": "dosfstools",
    "fsck.fat": "dosfstools",
    "mcopy": "mtools",
    "mmd": "mtools",
    "mdir": "mtools",
    "mattrib": "mtools",
    "mformat": "mtools",
    "mdel": "mtools",
    "umoci": "umoci",
    "musl-gcc": "musl-tools",
    "gdb": "gdb",
    "tar": "tar",
    "/bin/busybox": "busybox-static",
    "/bin/ps": "procps",
    "runc": "runc",  # only their `spec` subcommand: the config.json they generate
    "crun": "crun",
    "/usr/bin/python3": "python3",
    "go": "golang-go",
    "/usr/bin/redis-server": "redis-server",
    "/usr/bin/redis-cli": "redis-tools",
}

# The CLI as the README's setup installs it: .venv/bin/cyrius, next to the Python running the tests.
# Not `cyrius` from PATH: `.venv/bin/nox -s tests` does not put .venv/bin on PATH.
CYRIUS = str(Path(sys.executable).parent / "cyrius")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """This test cannot run here: skip it, or under CI fail it (setup.sh should have provided what it needs)."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: scripts/setup.sh should have provided it, so this is not skipped)",
                    pytrace=False)
    pytest.skip(reason)


def _known(tools) -> None:
    """Only tools setup.sh installs may be needed: anything else would skip in CI too."""
    for tool in tools:
        if tool not in SETUP_PACKAGES:
            raise ValueError(f"{tool!r} is not a tool scripts/setup.sh installs (tests/tooling.py SETUP_PACKAGES)")


def missing_tools(*tools: str) -> str | None:
    """Why some of `tools` cannot be used here (naming the packages setup.sh installs them from), or None."""
    _known(tools)
    missing = [t for t in tools if not (Path(t).exists() if "/" in t else shutil.which(t))]
    if not missing:
        return None
    packages = sorted({SETUP_PACKAGES[t] for t in missing})
    return f"{', '.join(missing)} not found (package {', '.join(packages)}; scripts/setup.sh installs it)"


def require_tools(*tools: str) -> None:
    """Skip (or under CI fail) the running test unless every one of `tools` is here."""
    reason = missing_tools(*tools)
    if reason:
        unavailable(reason)


def needs(*tools: str) -> pytest.MarkDecorator:
    """Mark: the test needs these setup-installed tools (checked before its fixtures are set up)."""
    _known(tools)
    return pytest.mark.needs(*tools)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*tools): needs tools scripts/setup.sh installs; "
                                       "skipped without them, failed without them under CI=true")


@pytest.hookimpl(tryfirst=True)  # like skipif: before fixtures boot a VM the test cannot use
def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs"):
        require_tools(*mark.args)
