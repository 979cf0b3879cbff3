"""A running Cyrius VM's serial console, driven with pexpect (shared by the integration tests)."""
from __future__ import annotations

import re
from pathlib import Path

import pexpect

from cyrius.qemu import RunConfig, free_tcp_port, spawn

BOOT_TIMEOUT = 120
COMMAND_TIMEOUT = 30
PROMPT = r"\r+\n\$ "


class Console:
    """The serial console of one running Cyrius VM."""

    def __init__(self, image: Path, workdir: Path, forwards: tuple[int, ...] = (), **config):
        """forwards: guest TCP ports to forward besides the echo server's; self.ports maps each
        to the host port chosen for it."""
        self.echo_port = free_tcp_port()
        self.ports = {guest: free_tcp_port() for guest in forwards}
        cfg = RunConfig(esp_image=image, accel="tcg",
                        port_forwards=[(self.echo_port, 12345), *((h, g) for g, h in self.ports.items())], **config)
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
