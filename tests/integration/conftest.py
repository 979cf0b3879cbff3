"""Boot Cyrius in QEMU (TCG) and talk to its serial console with pexpect.

One VM per test module is shared through the `vm` fixture; tests that end the machine (poweroff,
panics) take `fresh_vm` instead. Timeouts fit TCG: OVMF alone needs about 4 s to reach our loader.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pexpect
import pytest

from cyrius.build import Builder
from cyrius.compiler import REPO_ROOT
from cyrius.qemu import RunConfig, free_tcp_port, spawn

BOOT_TIMEOUT = 120
COMMAND_TIMEOUT = 30
PROMPT = r"\r+\n\$ "


@pytest.fixture(scope="session")
def image() -> Path:
    """The image `cyrius build` makes (incremental, in the repository's build/)."""
    return Builder(REPO_ROOT, log=lambda line: None).build_image()


class Console:
    """The serial console of one running Cyrius VM."""

    def __init__(self, image: Path, workdir: Path, **config):
        self.echo_port = free_tcp_port()
        cfg = RunConfig(esp_image=image, accel="tcg", port_forwards=[(self.echo_port, 12345)], **config)
        self.log = open(workdir / "serial.log", "w")
        self.child = spawn(cfg, workdir, timeout=COMMAND_TIMEOUT, logfile=self.log)
        self.boot_output = ""

    def wait_for_prompt(self) -> str:
        self.child.expect_exact("[shell] ready; type `help` for command list", timeout=BOOT_TIMEOUT)
        self.boot_output = self.child.before
        self.child.expect_exact("$ ", timeout=COMMAND_TIMEOUT)
        return self.boot_output

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """Type a command, return everything it printed (lines joined with \\n) before the next prompt.

        The pty between QEMU and us adds a \\r before each \\n the kernel sends (\\r\\n becomes
        \\r\\r\\n), so line ends are matched as \\r+\\n."""
        self.child.send(command + "\r")
        self.child.expect_exact(command, timeout=timeout)  # the echo of what we typed
        self.child.expect(PROMPT, timeout=timeout)
        out = self.child.before.replace("\r", "")
        return out[1:] if out.startswith("\n") else out

    def expect(self, pattern: str, timeout: float = COMMAND_TIMEOUT) -> re.Match:
        self.child.expect(pattern, timeout=timeout)
        return self.child.match

    def wait_exit(self, timeout: float = COMMAND_TIMEOUT) -> int:
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()


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
