"""Pointers, structs, arrays and enums over the simulated memory (host mode).

A struct or array *value* in host mode is a view: an address plus a type. Loading a field reads
bytes from `memory`, storing writes them, so pointer aliasing behaves exactly as in C.
"""
from __future__ import annotations

import collections.abc
import enum
import typing

from . import memory
from .scalars import Scalar, i32, i64

_structs_by_name: dict[str, type] = {}
_FN_BASE = 0xF000_0000_0000_0000  # fake addresses for function pointers stored in memory
_functions: list[collections.abc.Callable] = []


def _function_id(fn) -> int:
    for i, known in enumerate(_functions):
        if known is fn:
            return _FN_BASE + i * 16
    _functions.append(fn)
    return _FN_BASE + (len(_functions) - 1) * 16


def is_callable_type(t) -> bool:
    return typing.get_origin(t) is collections.abc.Callable


def is_enum_type(t) -> bool:
    return isinstance(t, type) and issubclass(t, enum.IntEnum)


def enum_value(t, value: int):
    """`value` as enum `t`: its member, or (as in C, where an enum is an int32_t) the plain i32
    for a value no member has — a zero-filled field, an error code from the hardware."""
    value = i32(value)
    try:
        return t(value)
    except ValueError:
        return value


def sizeof(t) -> int:
    if t is bool:
        return 1
    if isinstance(t, type) and issubclass(t, Scalar):
        return t.BITS // 8
    if isinstance(t, type) and issubclass(t, (PtrBase,)) or is_callable_type(t):
        return 8
    if is_enum_type(t):
        return 4
    if isinstance(t, type) and issubclass(t, (StructBase, ArrayBase)):
        return t._size_
    raise TypeError(f"sizeof: {t!r} is not a dialect type")


def alignof(t) -> int:
    if isinstance(t, type) and issubclass(t, StructBase):
        return t._align_
    if isinstance(t, type) and issubclass(t, ArrayBase):
        return alignof(t._elem_)
    return sizeof(t)


def load(t, addr: int):
    """Read a value of type `t` at `addr` (structs and arrays come back as views)."""
    if isinstance(t, type) and issubclass(t, (StructBase, ArrayBase)):
        return t._view(addr)
    n = sizeof(t)
    raw = memory.read(addr, n)
    if t is bool:
        return raw[0] != 0
    if isinstance(t, type) and issubclass(t, Scalar):
        return t(int.from_bytes(raw, "little"))
    value = int.from_bytes(raw, "little")
    if isinstance(t, type) and issubclass(t, PtrBase):
        return t(value)
    if is_enum_type(t):
        return enum_value(t, value)
    if is_callable_type(t):
        if value == 0:
            return NULL  # compares equal to NULL and is false, like a C null function pointer
        return _functions[(value - _FN_BASE) // 16]
    raise TypeError(f"cannot load {t!r}")


def store(t, addr: int, value) -> None:
    if isinstance(t, type) and issubclass(t, (StructBase, ArrayBase)):
        memory.write(addr, memory.read(value._addr_, t._size_))
        return
    n = sizeof(t)
    if isinstance(t, type) and issubclass(t, PtrBase):
        raw = _address_of(value)
    elif is_callable_type(t):
        raw = 0 if value is None or isinstance(value, PtrBase) and value.address == 0 else _function_id(value)
    else:
        raw = int(value)
    memory.write(addr, (raw & ((1 << (8 * n)) - 1)).to_bytes(n, "little"))


def _address_of(value) -> int:
    if isinstance(value, PtrBase):
        return value.address
    if isinstance(value, bytes):
        return memory.intern_bytes(value)
    if isinstance(value, (StructBase, ArrayBase)):
        return value._addr_
    return int(value)


# ---------------------------------------------------------------- pointers

class PtrBase:
    """Instances of Ptr[T]: an address and a target type."""

    __slots__ = ("address",)
    _target_ = None

    def __init__(self, address: int = 0):
        object.__setattr__(self, "address", int(address) & ((1 << 64) - 1))

    @classmethod
    def _tgt(cls):
        if isinstance(cls._target_, str):  # forward reference such as Ptr["Node"]
            cls._target_ = _structs_by_name[cls._target_]
        return cls._target_

    def _elem_size(self) -> int:
        if self._tgt() is None:
            raise TypeError("Ptr[None] (void *) cannot be indexed or advanced: cast it first")
        return sizeof(self._tgt())

    def __add__(self, n):
        if isinstance(n, PtrBase) or not isinstance(n, int):
            raise TypeError("pointer + pointer is not allowed")
        return type(self)(self.address + int(n) * self._elem_size())

    def __sub__(self, other):
        if isinstance(other, PtrBase):
            return i64((self.address - other.address) // self._elem_size())  # p - q is an i64
        return type(self)(self.address - int(other) * self._elem_size())

    def __getitem__(self, i):
        return load(self._tgt(), self.address + int(i) * self._elem_size())

    def __setitem__(self, i, value):
        store(self._tgt(), self.address + int(i) * self._elem_size(), value)

    def __getattr__(self, name):
        return getattr(self[0], name)

    def __setattr__(self, name, value):
        setattr(self[0], name, value)

    def __eq__(self, other):
        return isinstance(other, PtrBase) and other.address == self.address

    def __ne__(self, other):
        return not self.__eq__(other)

    # Ordering compares addresses (C compares pointers into one object the same way).
    def __lt__(self, other):
        return self.address < _address_of(other)

    def __le__(self, other):
        return self.address <= _address_of(other)

    def __gt__(self, other):
        return self.address > _address_of(other)

    def __ge__(self, other):
        return self.address >= _address_of(other)

    def __hash__(self):
        return hash(self.address)

    def __bool__(self):
        return self.address != 0

    def __repr__(self):
        name = getattr(self._target_, "__name__", repr(self._target_))
        return f"Ptr[{name}]({self.address:#x})"


class _PtrFactory:
    """`Ptr[T]` makes (and caches) the pointer class for target type T."""

    _cache: dict = {}

    def __getitem__(self, target):
        cls = self._cache.get(target)
        if cls is None:
            name = getattr(target, "__name__", "None" if target is None else repr(target))
            cls = type(f"Ptr[{name}]", (PtrBase,), {"__slots__": (), "_target_": target})
            self._cache[target] = cls
        return cls


Ptr = _PtrFactory()
NULL = Ptr[None](0)


# ---------------------------------------------------------------- arrays

class ArrayBase:
    _elem_ = None
    _len_ = 0
    _size_ = 0

    def __init__(self):
        self._addr_ = memory.alloc(self._size_, max(alignof(self._elem_), 8))

    @classmethod
    def _view(cls, addr: int):
        obj = cls.__new__(cls)
        obj._addr_ = addr
        return obj

    def _slot(self, i) -> int:
        i = int(i)
        if not 0 <= i < self._len_:
            raise IndexError(f"array index {i} out of range 0..{self._len_ - 1}")
        return self._addr_ + i * sizeof(self._elem_)

    def __getitem__(self, i):
        return load(self._elem_, self._slot(i))

    def __setitem__(self, i, value):
        store(self._elem_, self._slot(i), value)

    def __len__(self):
        return self._len_


class _ArrayFactory:
    _cache: dict = {}

    def __getitem__(self, key):
        elem, n = key
        cls = self._cache.get((elem, n))
        if cls is None:
            name = f"Array[{getattr(elem, '__name__', elem)}, {n}]"
            cls = type(name, (ArrayBase,), {"_elem_": elem, "_len_": int(n),
                                            "_size_": sizeof(elem) * int(n)})
            self._cache[(elem, n)] = cls
        return cls


Array = _ArrayFactory()


# ---------------------------------------------------------------- structs

class StructBase:
    _fields_: list = []
    _size_ = 0
    _align_ = 1

    def __init__(self, **fields):
        object.__setattr__(self, "_addr_", memory.alloc(self._size_, max(self._align_, 8)))
        for name, value in fields.items():
            if name not in self._offsets_:
                raise AttributeError(f"{type(self).__name__} has no field {name!r}")
            setattr(self, name, value)

    @classmethod
    def _view(cls, addr: int):
        obj = cls.__new__(cls)
        object.__setattr__(obj, "_addr_", addr)
        return obj

    def __setattr__(self, name, value):
        if name not in self._offsets_:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        raise TypeError("structs are compared field by field, not with ==")

    __hash__ = None


def _field_property(name: str, ftype, offset: int):
    def get(self):
        return load(ftype, self._addr_ + offset)

    def set(self, value):
        store(ftype, self._addr_ + offset, value)

    return property(get, set, doc=f"{name}: {getattr(ftype, '__name__', ftype)} at +{offset}")


def _method_through_pointer(cls, fn):
    """Struct methods receive `self` as a Ptr in both modes."""
    def method(view, *args):
        return fn(Ptr[cls](view._addr_), *args)
    method.__name__ = fn.__name__
    method.__wrapped__ = fn
    return method


def struct(cls=None, *, packed: bool = False):
    """Class decorator: lay out annotated fields as C would (or packed) over simulated memory."""
    def build(cls):
        hints = typing.get_type_hints(cls, include_extras=False)
        offset = 0
        align = 1
        fields = []
        for name in cls.__dict__.get("__annotations__", {}):
            if name in PtrBase.__slots__:
                raise TypeError(f"{cls.__name__}.{name}: a struct field cannot be named {name!r}: "
                                "a pointer's own attribute would hide it")
            ftype = hints[name]
            falign = 1 if packed else alignof(ftype)
            offset = (offset + falign - 1) // falign * falign
            fields.append((name, ftype, offset))
            offset += sizeof(ftype)
            align = max(align, falign)
        size = (offset + align - 1) // align * align
        namespace = {"_fields_": fields, "_size_": size, "_align_": align, "_packed_": packed,
                     "_offsets_": {n: o for n, _, o in fields}, "__doc__": cls.__doc__,
                     "__module__": cls.__module__, "__qualname__": cls.__qualname__}
        for name, ftype, off in fields:
            namespace[name] = _field_property(name, ftype, off)
        new = type(cls.__name__, (StructBase,), namespace)
        for name, value in cls.__dict__.items():
            if callable(value) and not name.startswith("__"):
                setattr(new, name, _method_through_pointer(new, value))
        _structs_by_name[new.__name__] = new
        return new

    return build if cls is None else build(cls)


def offsetof(cls, field: str) -> int:
    return cls._offsets_[field]
