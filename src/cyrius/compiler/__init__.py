"""The Cyrius transpiler: dialect Python -> freestanding C.

Stages, each a module: parse -> resolve -> check -> lower -> emit. `translate` runs them all.
Resolve produces a `Program` of `symbols`; check produces `facts`, the typed contract lower reads.
"""
from __future__ import annotations

from pathlib import Path

from .check import check_program
from .emit import CUnit, emit_module
from .errors import CompileError, CompileErrors
from .externs import read_headers
from .lower import lower_function, lower_global
from .resolve import Program

REPO_ROOT = Path(__file__).resolve().parents[3]
RUNTIME_INCLUDE = REPO_ROOT / "runtime-c" / "include"

__all__ = ["translate", "CompileError", "CompileErrors", "CUnit", "Program", "REPO_ROOT", "RUNTIME_INCLUDE"]


def translate(roots: list[Path], modules: list[str], include_dir: Path = RUNTIME_INCLUDE,
              display_root: Path | None = REPO_ROOT) -> tuple[Program, list[CUnit]]:
    """Translate `modules` (dotted names under `roots`) and everything they import to C units."""
    program = Program(roots, read_headers(include_dir), display_root)
    try:
        for name in modules:
            program.load(name)
    except CompileError as err:
        raise CompileErrors([err]) from None
    program.declare_all()
    facts = check_program(program)
    units = []
    for mod in program.order:
        if mod.is_package:
            continue
        units.append(emit_module(mod, [lower_function(f, facts) for f in mod.functions],
                                 [lower_global(g, facts) for g in mod.globals]))
    return program, units
