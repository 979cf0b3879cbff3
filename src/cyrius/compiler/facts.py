"""The check -> lower contract: what the checker learnt about each node, which the lowering reads.

The checker leaves the AST as parsed and records its findings here instead, keyed by the nodes
themselves (AST nodes hash by identity): the type and `ExprKind` of every expression it accepted,
the loop variable's type and step of every `for`, and each function's body and locals.
"""
from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, field

from .externs import ExternFunction, ExternVariable
from .symbols import Function, Global
from .types import IntType, Type


class ExprKind(enum.Enum):
    """What an expression is, which decides how it is lowered."""
    CONSTANT = enum.auto()  # known at compile time: literal, constant, enum member, folded, sizeof, u8(5)
    BYTES_LITERAL = enum.auto()
    LOCAL = enum.auto()
    GLOBAL = enum.auto()
    FUNCTION = enum.auto()  # a function used as a value (its address)
    EXTERN_VARIABLE = enum.auto()  # a linker symbol
    NULL = enum.auto()
    FIELD = enum.auto()
    PTR_INDEX = enum.auto()
    ARRAY_INDEX = enum.auto()  # bounds-checked
    BYTES_INDEX = enum.auto()  # b"..."[i]: read-only
    UNARY = enum.auto()  # -x, +x, ~x
    NOT = enum.auto()
    BOOL_OP = enum.auto()  # 'and'/'or' as a value
    ARITH = enum.auto()
    PTR_ARITH = enum.auto()  # p + n, p - n
    PTR_DIFF = enum.auto()  # p - q
    COMPARE = enum.auto()
    CONDITIONAL = enum.auto()  # a if c else b
    CALL = enum.auto()
    EXTERN_CALL = enum.auto()
    METHOD_CALL = enum.auto()
    INDIRECT_CALL = enum.auto()  # through a function pointer
    CONVERSION = enum.auto()  # u32(x)
    CAST = enum.auto()
    ADDR = enum.auto()
    VOLATILE_LOAD = enum.auto()
    VOLATILE_STORE = enum.auto()
    CONSTRUCTOR = enum.auto()  # S(...) or Array[T, N]() initialising a variable


@dataclass
class ExprFacts:
    ty: Type
    kind: ExprKind
    const: int | None = None  # CONSTANT: the value (a bool for bool constants)
    sym: Global | Function | ExternFunction | ExternVariable | None = None  # what a name or call refers to
    via_ptr: bool = False  # FIELD, METHOD_CALL: the base is a pointer to the struct
    cast_to: Type | None = None  # a bytes literal passed where a pointer type is expected


@dataclass
class LoopFacts:
    var_type: IntType
    step: int


@dataclass
class FunctionFacts:
    body: list[ast.stmt]  # without the docstring
    locals: dict[str, Type]  # parameters first


@dataclass
class Facts:
    exprs: dict[ast.AST, ExprFacts] = field(default_factory=dict)  # also augmented assignments
    loops: dict[ast.For, LoopFacts] = field(default_factory=dict)
    functions: dict[Function, FunctionFacts] = field(default_factory=dict)

    def expr(self, node: ast.AST) -> ExprFacts:
        return self.exprs[node]
