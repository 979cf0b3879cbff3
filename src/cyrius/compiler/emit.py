"""Stage 5: emit — render one C unit and one header per module from the codegen/ templates."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .lower import CFunction, CGlobal, cname
from .symbols import Module
from .types import ArrayType, FuncType, PtrType, StructType, Type

CODEGEN_DIR = Path(__file__).resolve().parents[3] / "codegen"


@dataclass
class CUnit:
    module: str
    name: str  # file stem
    header: str
    source: str


@functools.cache
def _env() -> jinja2.Environment:
    """One environment for the whole run: it caches the compiled templates (compiling them per module
    cost as much as the rest of emission)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(CODEGEN_DIR)), trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def _func_types(t: Type, out: list) -> None:
    """Function-pointer types reachable from t, innermost first (their typedefs must come first)."""
    if isinstance(t, FuncType):
        for p in (*t.params, t.ret):
            _func_types(p, out)
        if t not in out:
            out.append(t)
    elif isinstance(t, PtrType) and t.target is not None:
        _func_types(t.target, out)
    elif isinstance(t, ArrayType):
        _func_types(t.elem, out)


def _struct_order(structs: list[StructType]) -> list[StructType]:
    """Structs of one module so that each follows the structs it contains by value."""
    done: list[StructType] = []

    def visit(s):
        if s in done:
            return
        for _, ft, _ in s.fields:
            while isinstance(ft, ArrayType):
                ft = ft.elem
            if isinstance(ft, StructType) and ft in structs:
                visit(ft)
        done.append(s)

    for s in structs:
        visit(s)
    return done


def emit_module(mod: Module, functions: list[CFunction], globals_: list[CGlobal]) -> CUnit:
    env = _env()
    fts: list[FuncType] = []
    for s in mod.structs:
        for _, ft, _ in s.fields:
            _func_types(ft, fts)
    for g in globals_:
        _func_types(g.glob.type, fts)
    for f in functions:
        _func_types(f.fn.type, fts)
        for t in f.local_types:
            _func_types(t, fts)
    structs = [{"c_name": s.c_name, "name": s.name, "line": s.node.lineno, "packed": s.packed, "size": s.size,
                "fields": [t.declare(cname(n)) for n, t, _ in s.fields]} for s in _struct_order(mod.structs)]
    stem = mod.prefix
    header = env.get_template("module.h.j2").render(
        source=mod.source.display, guard=f"CY_{stem.upper()}_H", deps=[d.prefix for d in dict.fromkeys(mod.deps)],
        structs=structs, typedefs=[ft.typedef() for ft in fts],
        globals=[g.glob.type.declare(g.glob.c_name) for g in globals_],
        prototypes=[f.signature for f in functions])
    source = env.get_template("module.c.j2").render(
        source=mod.source.display, header=stem, extern_headers=sorted(mod.uses_externs),
        globals=[{"line": g.glob.node.lineno, "decl": g.glob.type.declare(g.glob.c_name) + g.initialiser}
                 for g in globals_],

        functions=[{"line": f.fn.node.lineno, "signature": f.signature, "locals": f.locals, "body": f.body}
                   for f in functions])
    return CUnit(mod.name, stem, header, source)
