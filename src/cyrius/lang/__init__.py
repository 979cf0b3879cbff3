"""The Cyrius dialect as importable Python (host mode). See docs/dialect.md."""
from enum import IntEnum
from typing import Callable, Final

from . import memory
from .host import install_host_mode, dialect_conv, dialect_range
from .intrinsics import addr, cast, export, volatile_load, volatile_store
from .memtypes import NULL, Array, Ptr, offsetof, sizeof, struct
from .scalars import i8, i16, i32, i64, u8, u16, u32, u64, usize

__all__ = [
    "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize",
    "Ptr", "Array", "struct", "NULL", "cast", "sizeof", "offsetof", "addr",
    "volatile_load", "volatile_store", "export", "Final", "IntEnum", "Callable", "memory",
    "install_host_mode", "dialect_conv", "dialect_range",
]
