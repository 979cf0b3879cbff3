"""Dialect intrinsics with their host-mode meaning; the compiler emits each as plain C."""
from __future__ import annotations

from . import memory
from .memtypes import ArrayBase, PtrBase, Ptr, StructBase, enum_value, is_enum_type
from .scalars import Scalar


def cast(target, value):
    """Reinterpret: pointer<->pointer, pointer<->usize/u64, integer<->enum."""
    if isinstance(target, type) and issubclass(target, PtrBase):
        if isinstance(value, PtrBase):
            return target(value.address)
        if isinstance(value, bytes):
            return target(memory.intern_bytes(value))
        return target(int(value))
    if isinstance(target, type) and issubclass(target, Scalar):
        return target(value.address if isinstance(value, PtrBase) else int(value))
    if is_enum_type(target):
        return enum_value(target, int(value))
    raise TypeError(f"cast to {target!r} is not supported")


def addr(value):
    """Address of a struct or array value (C `&value`)."""
    if isinstance(value, StructBase):
        return Ptr[type(value)](value._addr_)
    if isinstance(value, ArrayBase):
        return Ptr[value._elem_](value._addr_)
    raise TypeError("addr() takes a struct or array value")


def volatile_load(p: PtrBase):
    return p[0]


def volatile_store(p: PtrBase, value) -> None:
    p[0] = value


def export(symbol: str):
    """Give a function a fixed C symbol name (for entry points called from assembly)."""
    def mark(fn):
        fn.__cyrius_export__ = symbol
        return fn
    return mark
