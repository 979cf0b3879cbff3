"""The Linux ABI test programs (tests/fixtures/linux/*.c): compiled static with musl and glibc, run on the host.

Each program prints one line per check and ends with `done`; its output must be the same on the host Linux
and on Cyrius (tests/integration/test_linux_abi.py), like gVisor's syscall tests. Importable helper, not a
test module: tests/unit/test_linux_fixtures_host.py checks the programs on the host.

Binaries are cached in build/fixtures/linux under a name carrying the hash of the compiler command, the
source and check.h, so an edited program is rebuilt and an unchanged one is not.
"""
from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tooling import missing_tools, require_tools

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = REPO_ROOT / "tests" / "fixtures" / "linux"
BUILD_DIR = REPO_ROOT / "build" / "fixtures" / "linux"
HEADER = SOURCE_DIR / "check.h"

PROGRAMS = sorted(p.stem for p in SOURCE_DIR.glob("*.c"))
COMPILERS = {"musl": "musl-gcc", "glibc": "gcc"}  # binary suffix -> compiler driver
CFLAGS = ["-static", "-O1", "-Wall", "-Wextra", "-Werror", "-pthread"]
FAULT = "fault"  # the program that dies with SIGSEGV after one line
FAULT_LINE = "fault: dereferencing NULL"
RUN_TIMEOUT = 60


@dataclass(frozen=True)
class HostRun:
    stdout: str
    stderr: str
    returncode: int  # negative: killed by that signal (subprocess convention)


def compiler_missing(compiler: str) -> str | None:
    """Why `compiler` (musl/glibc) cannot be used here, or None."""
    return missing_tools(COMPILERS[compiler])


def require_compiler(compiler: str) -> None:
    require_tools(COMPILERS[compiler])


def _flags(dynamic: bool) -> list[str]:
    """CFLAGS, without -static for a dynamically linked build (the host's PT_INTERP loader and libc)."""
    return [f for f in CFLAGS if f != "-static"] if dynamic else CFLAGS


def _key(name: str, compiler: str, dynamic: bool) -> str:
    h = hashlib.sha256()
    h.update(" ".join([COMPILERS[compiler], *_flags(dynamic)]).encode())
    for part in (SOURCE_DIR / f"{name}.c", HEADER):
        h.update(b"\0" + part.read_bytes())
    return h.hexdigest()[:16]


def compile_program(name: str, compiler: str, build_dir: Path = BUILD_DIR, dynamic: bool = False) -> Path:
    """The binary of tests/fixtures/linux/NAME.c built with `compiler` (musl/glibc), static unless
    `dynamic`, cached."""
    require_compiler(compiler)
    variant = f"{compiler}-dynamic" if dynamic else compiler
    out = build_dir / f"{name}.{variant}.{_key(name, compiler, dynamic)}"
    if out.exists():
        return out
    build_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    cmd = [COMPILERS[compiler], *_flags(dynamic), "-I", str(SOURCE_DIR), str(SOURCE_DIR / f"{name}.c"), "-o", str(tmp)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise AssertionError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    tmp.replace(out)  # atomic: concurrent sessions may build the same binary
    for stale in build_dir.glob(f"{name}.{variant}.*"):
        if stale != out and not stale.name.endswith(".tmp"):
            stale.unlink(missing_ok=True)
    return out


def _no_core_dumps() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the fault programs must not leave core files


def run_on_host(binary: Path, args: list[str] | None = None, timeout: float = RUN_TIMEOUT) -> HostRun:
    """Run `binary BASE` (BASE: a fresh temporary directory, the programs' scratch area) with a minimal
    environment and nothing open but stdin (/dev/null), stdout and stderr."""
    with tempfile.TemporaryDirectory(prefix="cyrius-abi-") as base:
        base = os.path.realpath(base)
        done = subprocess.run([str(binary), *(args if args is not None else [base])], cwd=base,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                              env={"PATH": "/usr/bin:/bin"}, preexec_fn=_no_core_dumps)
        leftovers = os.listdir(base)
    if leftovers:
        raise AssertionError(f"{binary.name} left {leftovers} in its base directory")
    return HostRun(done.stdout, done.stderr, done.returncode)


_host_outputs: dict[tuple[str, str, bool], str] = {}


def host_output(name: str, compiler: str, dynamic: bool = False) -> str:
    """The program's stdout on the host (cached per session): what Cyrius must print too."""
    key = (name, compiler, dynamic)
    if key not in _host_outputs:
        result = run_on_host(compile_program(name, compiler, dynamic=dynamic))
        expected = -11 if name == FAULT else 0
        if result.returncode != expected:
            raise AssertionError(f"{name}.{compiler} on the host: status {result.returncode}, expected {expected}\n"
                                 f"{result.stdout}{result.stderr}")
        _host_outputs[key] = result.stdout
    return _host_outputs[key]


def install(dest: Path) -> list[Path]:
    """Copy every program, both builds, to dest/NAME.musl and dest/NAME.glibc (for a data disk)."""
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for compiler in COMPILERS:
        for name in PROGRAMS:
            target = dest / f"{name}.{compiler}"
            shutil.copyfile(compile_program(name, compiler), target)
            target.chmod(0o755)
            copied.append(target)
    return copied
