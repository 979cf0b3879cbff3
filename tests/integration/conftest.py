"""Boot Cyrius in QEMU (TCG) and talk to its serial console with pexpect.

One VM per test module is shared through the `vm` fixture; tests that end the machine (poweroff,
panics) take `fresh_vm` instead. Timeouts fit TCG: OVMF alone needs about 4 s to reach our loader.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from qemu_console import Console

from cyrius.build import Builder
from cyrius.compiler import REPO_ROOT


@pytest.fixture(scope="session")
def image() -> Path:
    """The image `cyrius build` makes (incremental, in the repository's build/)."""
    return Builder(REPO_ROOT, log=lambda line: None).build_image()


def _boot(image, workdir) -> Console:
    console = Console(image, workdir)
    start = time.monotonic()
    console.wait_for_prompt()
    console.boot_seconds = time.monotonic() - start
    return console


@pytest.fixture(scope="module")
def vm(image, tmp_path_factory):
    console = _boot(image, tmp_path_factory.mktemp("vm"))
    yield console
    console.close()


@pytest.fixture
def fresh_vm(image, tmp_path):
    console = _boot(image, tmp_path)
    yield console
    console.close()
