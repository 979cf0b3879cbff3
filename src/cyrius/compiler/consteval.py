"""Compile-time evaluation of constant expressions (Python's integer rules, as in host mode)."""
from __future__ import annotations

import ast
import operator

from .errors import CompileError
from .symbols import Const, Intrinsic
from .types import EnumType, StructType

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.LShift: operator.lshift,
           ast.RShift: operator.rshift, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
           ast.BitXor: operator.xor}
_UNOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
_LIMIT = 1 << 128  # constants stay within a sane range (no accidental 2**10**9)


def fold(op, a: int, b: int, source=None, node=None) -> int:
    if isinstance(op, (ast.FloorDiv, ast.Mod)) and b == 0:
        raise CompileError(source, node, "constant division by zero")
    if isinstance(op, (ast.LShift, ast.RShift)) and (b < 0 or b > 256):
        raise CompileError(source, node, f"constant shift count {b} is out of range")
    value = _BINOPS[type(op)](a, b)
    if abs(value) > _LIMIT:
        raise CompileError(source, node, "constant expression is too large")
    return value


def fold_unary(op, a: int) -> int:
    return _UNOPS[type(op)](a)


def character_code(call: ast.Call) -> int | None:
    """The value of `ord(c)` when c is a one-character str or bytes literal, else None."""
    if len(call.args) != 1 or call.keywords:
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, (str, bytes)) and len(arg.value) == 1:
        return ord(arg.value)
    return None


def evaluate(program, mod, node) -> int:
    """Value of a constant expression: literals, Final constants, enum members, sizeof/offsetof,
    len(b"...") and ord("c")."""
    src = mod.source
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
        return fold_unary(node.op, evaluate(program, mod, node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return fold(node.op, evaluate(program, mod, node.left), evaluate(program, mod, node.right), src, node)
    if isinstance(node, (ast.Name, ast.Attribute)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
            owner = program.lookup(mod, node.value)
            if isinstance(owner, EnumType):
                program.complete_type(owner)
                if node.attr not in owner.members:
                    raise CompileError(src, node, f"enum {owner.name} has no member '{node.attr}'")
                return owner.members[node.attr]
        sym = program.lookup(mod, node)
        if isinstance(sym, Const):
            return sym.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if (node.func.id == "len" and node.func.id not in mod.symbols and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, bytes)):
            return len(node.args[0].value)
        code = character_code(node) if node.func.id == "ord" and "ord" not in mod.symbols else None
        if code is not None:
            return code
        sym = program.lookup(mod, node.func)
        if isinstance(sym, Intrinsic) and sym.name in ("sizeof", "offsetof"):
            t = program.resolve_type(mod, node.args[0]) if node.args else None
            program.complete_type(t)
            if sym.name == "sizeof" and len(node.args) == 1:
                return t.size
            if (len(node.args) == 2 and isinstance(t, StructType) and isinstance(node.args[1], ast.Constant)
                    and t.field(node.args[1].value)):
                return t.field(node.args[1].value)[1]
    raise CompileError(src, node, f"'{ast.unparse(node)}' is not a constant expression",
                       "module constants, array lengths and enum values must be computable at compile time")
