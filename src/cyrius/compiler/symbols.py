"""What a name can stand for once resolved: the symbols of a `Program`.

Shared by resolve (which creates them), consteval (which reads constants through them) and the
later stages, so none of those needs to import another for its data types.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .errors import SourceFile
from .externs import ExternFunction, ExternVariable
from .types import VOID, FuncType, StructType, Type


@dataclass(eq=False)
class Function:
    module: Module
    name: str
    c_name: str
    node: ast.FunctionDef
    params: list = field(default_factory=list)  # [(name, Type)]
    ret: Type = VOID
    struct: StructType | None = None  # set for methods

    @property
    def type(self) -> FuncType:
        return FuncType(tuple(t for _, t in self.params), self.ret)


@dataclass(eq=False)
class Global:
    module: Module
    name: str
    c_name: str
    type: Type
    node: ast.AnnAssign


@dataclass(eq=False)
class Const:
    name: str
    type: Type  # UNTYPED or an IntType / BOOL
    value: int


@dataclass(eq=False)
class PendingConst:
    """A Final constant not evaluated yet: constants are evaluated on first use, because one may need
    a struct's layout (sizeof) that in turn needs other constants (array lengths)."""
    module: Module
    stmt: ast.AnnAssign
    busy: bool = False


@dataclass(eq=False)
class Intrinsic:
    name: str


@dataclass(eq=False)
class Extern:
    fn: ExternFunction | ExternVariable


@dataclass(eq=False)
class Module:
    name: str
    source: SourceFile
    tree: ast.Module
    prefix: str
    symbols: dict = field(default_factory=dict)
    deps: list = field(default_factory=list)  # dialect modules imported
    uses_externs: set = field(default_factory=set)  # header names
    functions: list = field(default_factory=list)
    structs: list = field(default_factory=list)
    enums: list = field(default_factory=list)
    globals: list = field(default_factory=list)
    is_package: bool = False
