"""Host mode: run dialect modules under CPython with the compiled semantics.

In C, a value stored into a `u32` variable *is* a u32. Under plain CPython, `x: u32 = 0` binds a
plain int, and `x - 1` would then be -1 instead of 0xffffffff. So dialect packages are imported
through a small syntactic normalisation: every value entering a typed slot — an annotated
variable, a parameter, a return value — is converted to the slot's type, and `range` yields
values of its bounds' type. Nothing else changes; line numbers are preserved.

A package opts in by calling `install_host_mode(__name__)` in its `__init__.py`.
"""
from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import sys
import types
import typing

from . import memory
from .memtypes import PtrBase
from .scalars import Scalar, i64, u8

CONV = "_cyrius_conv"
RANGE = "_cyrius_range"
SETATTR = "_cyrius_setattr"
BYTE = "_cyrius_byte"

_packages: set[str] = set()


def dialect_conv(slot_type, value):
    """Convert an untyped (plain int) value entering a slot of `slot_type`."""
    if typing.get_origin(slot_type) is typing.Final:
        slot_type = typing.get_args(slot_type)[0]
    if (isinstance(slot_type, type) and issubclass(slot_type, Scalar) and isinstance(value, int)
            and not isinstance(value, (bool, Scalar))):
        return slot_type(value)
    if isinstance(slot_type, type) and issubclass(slot_type, PtrBase) and isinstance(value, bytes):
        return slot_type(memory.intern_bytes(value))  # a byte-string literal is a pointer to its bytes
    return value


def dialect_byte(data: bytes, index) -> u8:
    """`b"..."[i]`: a byte of a literal is a u8 (CPython would give a plain int)."""
    return u8(data[int(index)])


def dialect_setattr(value, obj, name: str) -> None:
    """`obj.name = value`; a value stored into another module's global takes the global's type."""
    if isinstance(obj, types.ModuleType):
        slot = getattr(obj, "__annotations__", {}).get(name)
        if isinstance(slot, str):  # the module uses `from __future__ import annotations`
            slot = eval(slot, vars(obj))  # noqa: S307 — an annotation of a dialect module
        if slot is not None:
            value = dialect_conv(slot, value)
    setattr(obj, name, value)


def dialect_range(*bounds):
    """`range` whose values have the type of its typed bounds (i64 when all are constants)."""
    kind = next((type(b) for b in bounds if isinstance(b, Scalar)), i64)
    for value in range(*(int(b) for b in bounds)):
        yield kind(value)


class _Normalise(ast.NodeTransformer):
    def __init__(self):
        self.module_slots: dict[str, ast.expr] = {}
        self.slots: dict[str, ast.expr] | None = None
        self.returns: ast.expr | None = None

    @staticmethod
    def _conv(annotation: ast.expr, value: ast.expr) -> ast.expr:
        call = ast.Call(func=ast.Name(CONV, ast.Load()), args=[annotation, value], keywords=[])
        return ast.copy_location(call, value)

    def visit_Module(self, node):
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                self.module_slots[stmt.target.id] = stmt.annotation
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node):
        outer = (self.slots, self.returns)
        self.slots = {a.arg: a.annotation for a in node.args.args if a.annotation is not None}
        for inner in ast.walk(node):
            if isinstance(inner, ast.AnnAssign) and isinstance(inner.target, ast.Name):
                self.slots.setdefault(inner.target.id, inner.annotation)
            elif isinstance(inner, ast.Global):
                for name in inner.names:
                    if name in self.module_slots:
                        self.slots[name] = self.module_slots[name]
        self.returns = node.returns
        self.generic_visit(node)
        prologue = []
        for a in node.args.args:
            if a.annotation is not None:
                assign = ast.Assign(targets=[ast.Name(a.arg, ast.Store())],
                                    value=self._conv(a.annotation, ast.Name(a.arg, ast.Load())))
                prologue.append(ast.copy_location(assign, node))
        docstring = (node.body and isinstance(node.body[0], ast.Expr)
                     and isinstance(node.body[0].value, ast.Constant))
        node.body[int(bool(docstring)):int(bool(docstring))] = prologue
        self.slots, self.returns = outer
        return node

    def visit_Return(self, node):
        if node.value is not None and self.returns is not None:
            node.value = self._conv(self.returns, self.visit(node.value))
        return node

    def visit_AnnAssign(self, node):
        if node.value is not None:
            node.value = self._conv(node.annotation, self.visit(node.value))
        return node

    def visit_Assign(self, node):
        node.value = self.visit(node.value)
        target = node.targets[0]
        slots = self.slots if self.slots is not None else self.module_slots
        if len(node.targets) == 1 and isinstance(target, ast.Name) and target.id in slots:
            node.value = self._conv(slots[target.id], node.value)
        elif len(node.targets) == 1 and isinstance(target, ast.Attribute):
            # Python evaluates the value before the object: keep that order.
            call = ast.Call(func=ast.Name(SETATTR, ast.Load()),
                            args=[node.value, self.visit(target.value), ast.Constant(target.attr)], keywords=[])
            return ast.copy_location(ast.Expr(ast.copy_location(call, node)), node)
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Constant) and isinstance(
                node.value.value, bytes):
            call = ast.Call(func=ast.Name(BYTE, ast.Load()), args=[node.value, node.slice], keywords=[])
            return ast.copy_location(call, node)
        return node

    def visit_For(self, node):
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            it.func = ast.copy_location(ast.Name(RANGE, ast.Load()), it.func)
        self.generic_visit(node)
        return node


def normalise(tree: ast.Module) -> ast.Module:
    return ast.fix_missing_locations(_Normalise().visit(tree))


class _DialectLoader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname):
        # Never share __pycache__ with the plain loader: its bytecode lacks the normalisation.
        return self.source_to_code(self.get_data(self.path), self.path)

    def source_to_code(self, data, path, *, _optimize=-1):
        tree = ast.parse(data, filename=path)
        return compile(normalise(tree), path, "exec", dont_inherit=True, optimize=_optimize)

    def exec_module(self, module):
        module.__dict__[CONV] = dialect_conv
        module.__dict__[RANGE] = dialect_range
        module.__dict__[SETATTR] = dialect_setattr
        module.__dict__[BYTE] = dialect_byte
        super().exec_module(module)


class _DialectFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if not any(fullname.startswith(p + ".") for p in _packages):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = _DialectLoader(fullname, spec.origin)
        return spec


_finder = _DialectFinder()


def install_host_mode(package: str) -> None:
    """Import the submodules of `package` with dialect semantics."""
    _packages.add(package)
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
