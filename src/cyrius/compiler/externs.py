"""Signatures of the hand-written C runtime, read from runtime-c/include/*.h with pycparser.

Dialect code calls these functions through `from cyrius.rt import name`; the checker uses the
signatures to type-check arguments, and the emitter casts each argument to the exact C type.
"""
from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pycparser import c_ast, c_generator, c_parser

from .types import BOOL, INTS, VOID, PtrType, Type

FAKE_LIBC = Path(__file__).parent / "fake_libc"

_C_TO_DIALECT = {
    "uint8_t": INTS["u8"], "uint16_t": INTS["u16"], "uint32_t": INTS["u32"], "uint64_t": INTS["u64"],
    "int8_t": INTS["i8"], "int16_t": INTS["i16"], "int32_t": INTS["i32"], "int64_t": INTS["i64"],
    "size_t": INTS["usize"], "uintptr_t": INTS["usize"], "bool": BOOL, "_Bool": BOOL,
    "char": INTS["u8"], "void": VOID,
}


@dataclass
class ExternFunction:
    name: str
    params: list  # [(dialect Type, C type text)]
    ret: Type
    ret_c: str
    header: str


@dataclass
class ExternVariable:
    """A symbol defined outside C (by the linker script), declared `extern T name[];`: its value
    in the dialect is its address, a Ptr[T]."""
    name: str
    type: PtrType
    header: str


class ExternError(Exception):
    pass


def _dialect_type(node, header: str, fn: str) -> Type:
    if isinstance(node, c_ast.TypeDecl) and isinstance(node.type, c_ast.IdentifierType):
        name = " ".join(n for n in node.type.names if n not in ("const", "volatile"))
        if name in _C_TO_DIALECT:
            return _C_TO_DIALECT[name]
    if isinstance(node, c_ast.PtrDecl):
        inner = _dialect_type(node.type, header, fn)
        return PtrType(None if inner is VOID else inner)
    raise ExternError(f"{header}: {fn}: C type {c_generator.CGenerator().visit(node)!r} has no dialect "
                      f"equivalent; use stdint types, bool, or pointers to them")


def _c_text(node) -> str:
    """The C spelling of a parameter's type, without its name."""
    decl = c_ast.Typename(name=None, quals=[], align=None, type=node)
    # Remove the declared name so the generator prints an abstract declarator.
    inner = node
    while not isinstance(inner, c_ast.TypeDecl):
        inner = inner.type
    saved, inner.declname = inner.declname, None
    text = c_generator.CGenerator().visit(decl)
    inner.declname = saved
    return text


def read_headers(include_dir: Path) -> dict[str, ExternFunction | ExternVariable]:
    """Parse every `*.h` directly under include_dir; return the functions and extern arrays they declare.

    The result is cached while no header under include_dir changes (tests translate many programs)."""
    include_dir = Path(include_dir).resolve()
    stamp = tuple((str(h), h.stat().st_mtime_ns, h.stat().st_size) for h in sorted(include_dir.rglob("*.h")))
    return dict(_read_headers(include_dir, stamp))


@functools.lru_cache(maxsize=8)
def _read_headers(include_dir: Path, stamp: tuple) -> dict[str, ExternFunction | ExternVariable]:
    functions: dict[str, ExternFunction | ExternVariable] = {}
    for header in sorted(include_dir.glob("*.h")):
        pre = subprocess.run(
            ["gcc", "-E", "-P", "-nostdinc", "-D__CYRIUS_PYCPARSER__", f"-I{FAKE_LIBC}", f"-I{include_dir}",
             str(header)], capture_output=True, text=True)
        if pre.returncode != 0:
            raise ExternError(f"{header}: preprocessing failed:\n{pre.stderr}")
        try:
            ast = c_parser.CParser().parse(pre.stdout, filename=str(header))
        except Exception as exc:  # pycparser raises ParseError with file:line in the text
            raise ExternError(f"{header}: {exc}") from None
        for decl in ast.ext:
            if isinstance(decl, c_ast.Decl) and isinstance(decl.type, c_ast.ArrayDecl) and "extern" in decl.storage:
                elem = _dialect_type(decl.type.type, header.name, decl.name)
                functions[decl.name] = ExternVariable(decl.name, PtrType(elem), header.name)
                continue
            if not (isinstance(decl, c_ast.Decl) and isinstance(decl.type, c_ast.FuncDecl)):
                continue
            fdecl = decl.type
            params = []
            for p in (fdecl.args.params if fdecl.args else []):
                if isinstance(p, c_ast.Typename) and _dialect_type(p.type, header.name, decl.name) is VOID:
                    continue  # f(void)
                ptype = p.type
                params.append((_dialect_type(ptype, header.name, decl.name), _c_text(ptype)))
            ret = _dialect_type(fdecl.type, header.name, decl.name)
            functions[decl.name] = ExternFunction(decl.name, params, ret, _c_text(fdecl.type),
                                                  header.name)
    return functions
