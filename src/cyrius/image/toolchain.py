"""Shared plumbing for the image builders: where the boot sources are, running tools, and
content-hash stamps that let a build step skip itself when nothing it reads has changed."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Iterable, Sequence

REPO_ROOT = Path(__file__).resolve().parents[3]
BOOT_DIR = REPO_ROOT / "boot"
BOOT_INCLUDE = BOOT_DIR / "include"

Log = Callable[[str], None]


class ToolError(RuntimeError):
    """A host tool is missing or failed; the message names the tool, the command and its output."""


def require_tool(name: str, apt_package: str) -> str:
    """Absolute path of `name` on PATH, or a ToolError saying which Debian package provides it."""
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"'{name}' not found on PATH; install it with: apt-get install {apt_package}")
    return path


def run(cmd: Sequence[str | Path], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a command; on failure raise ToolError with the command line and everything it printed."""
    argv = [str(c) for c in cmd]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    except FileNotFoundError as e:
        raise ToolError(f"cannot run {argv[0]}: {e}") from None
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).strip()
        raise ToolError(f"command failed (exit {proc.returncode}): {' '.join(argv)}\n{out}")
    return proc.stdout


def fingerprint(files: Iterable[Path], commands: Iterable[Sequence[str | Path]]) -> str:
    """A hash of the inputs' contents and of the exact command lines that consume them."""
    h = hashlib.sha256()
    for f in sorted({Path(f) for f in files}):
        h.update(str(f).encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    for cmd in commands:
        h.update("\0".join(str(c) for c in cmd).encode() + b"\n")
    return h.hexdigest()


class Stamp:
    """`<output>.stamp` beside an output records the fingerprint it was built from."""

    def __init__(self, output: Path):
        self.output = output
        self.path = output.with_name(output.name + ".stamp")

    def is_current(self, fp: str) -> bool:
        if not self.output.exists() or not self.path.exists():
            return False
        try:
            return json.loads(self.path.read_text()).get("fingerprint") == fp
        except (OSError, ValueError):
            return False

    def record(self, fp: str) -> None:
        self.path.write_text(json.dumps({"fingerprint": fp}) + "\n")
