"""Run one dialect function in both worlds and compare: CPython (host mode) and the compiled C.

    lib = HostLibrary([root], ["corpus.checksum"], workdir)
    twin = Twin(lib, "corpus.checksum")
    twin.check("crc32", Buf(b"abc"), 3)        # results and final buffer bytes must be equal

Scalar arguments are plain ints (host mode converts them to the parameter's type, ctypes does the
same in C). A `Buf` argument is allocated twice: in `cyrius.lang.memory` for CPython (passed as a
`Ptr[T]` of the parameter's type) and as a ctypes buffer for C (passed by address). After the
call the return values must be equal — pointers are compared as "NULL" or an offset into one of
the argument buffers — and every buffer must hold the same bytes in both worlds.
"""
from __future__ import annotations

import collections
import ctypes
import importlib
from dataclasses import dataclass, field

from cyrius.compiler.types import BOOL, VOID, EnumType, IntType, PtrType, StructType
from cyrius.lang import Ptr, memory
from cyrius.lang import scalars

# Generated cases compared so far, per "module.function" (the suites check their totals).
CASES: collections.Counter = collections.Counter()


@dataclass
class Buf:
    """Bytes given to a pointer parameter; `size` (default len(data)) bytes, zero-padded."""
    data: bytes
    size: int | None = None
    py_addr: int = field(default=0, init=False)
    c_buf: object = field(default=None, init=False)

    def __post_init__(self):
        if self.size is None:
            self.size = len(self.data)
        assert len(self.data) <= self.size

    def allocate(self) -> None:
        self.py_addr = memory.alloc(self.size)
        memory.write(self.py_addr, self.data)
        self.c_buf = ctypes.create_string_buffer(self.data, max(self.size, 1))

    @property
    def c_addr(self) -> int:
        return ctypes.addressof(self.c_buf)

    def py_bytes(self) -> bytes:
        return memory.read(self.py_addr, self.size)

    def c_bytes(self) -> bytes:
        return self.c_buf.raw[:self.size]


@dataclass
class PtrTable:
    """A Ptr[Ptr[T]] argument: an array of pointers to the given buffers, in each world."""
    bufs: list

    def allocate(self) -> None:
        for b in self.bufs:
            b.allocate()
        n = len(self.bufs)
        self.py_addr = memory.alloc(8 * n)
        memory.write(self.py_addr, b"".join(b.py_addr.to_bytes(8, "little") for b in self.bufs))
        self.c_buf = (ctypes.c_uint64 * max(n, 1))(*[b.c_addr for b in self.bufs])

    @property
    def c_addr(self) -> int:
        return ctypes.addressof(self.c_buf)


def host_type(t):
    """The cyrius.lang (host-mode) type for a checker type."""
    if isinstance(t, IntType):
        return scalars.SCALARS[t.name]
    if t is BOOL:
        return bool
    if isinstance(t, PtrType):
        return Ptr[None if t.target is None else host_type(t.target)]
    if isinstance(t, (StructType, EnumType)):
        return getattr(importlib.import_module(t.module), t.name)
    raise TypeError(f"no host type for {t}")


class Mismatch(AssertionError):
    pass


class Twin:
    """One dialect module, imported in host mode and loaded from the compiled library."""

    def __init__(self, lib, module: str):
        self.lib = lib
        self.module = module
        self.py = importlib.import_module(module)
        self._fns = {}

    def _function(self, name: str):
        if name not in self._fns:
            decl = next(f for f in self.lib.program.modules[self.module].functions
                        if f.name == name and f.struct is None)
            self._fns[name] = (decl, self.lib.function(self.module, name), getattr(self.py, name))
        return self._fns[name]

    def run(self, name: str, *args):
        """Call both versions; return (python result, C result) normalised for comparison."""
        decl, cfn, pyfn = self._function(name)
        assert len(args) == len(decl.params), f"{name} takes {len(decl.params)} arguments"
        bufs = []
        py_args, c_args = [], []
        for a, (_, t) in zip(args, decl.params, strict=True):
            if isinstance(a, (Buf, PtrTable)):
                a.allocate()
                bufs.extend(a.bufs if isinstance(a, PtrTable) else [a])
                py_args.append(host_type(t)(a.py_addr))
                c_args.append(a.c_addr)
            else:
                py_args.append(a)
                c_args.append(a)
        py_result = pyfn(*py_args)  # first: a Python exception must not become a C crash
        c_result = cfn(*c_args)
        return (self._normal(decl.ret, py_result, bufs, "py"), self._normal(decl.ret, c_result, bufs, "c"),
                [b.py_bytes() for b in bufs], [b.c_bytes() for b in bufs])

    def check(self, name: str, *args):
        """Run both and require equal results and buffers; return the (normalised) result."""
        py, c, py_mem, c_mem = self.run(name, *args)
        where = f"{self.module}.{name}{_show(args)}"
        if py != c:
            raise Mismatch(f"{where}: CPython returned {py!r}, C returned {c!r}")
        for i, (a, b) in enumerate(zip(py_mem, c_mem, strict=True)):
            if a != b:
                raise Mismatch(f"{where}: buffer {i} differs\n  CPython: {a.hex()}\n  C:       {b.hex()}")
        CASES[f"{self.module}.{name}"] += 1
        return py

    @staticmethod
    def _normal(t, value, bufs, world):
        if t is VOID:
            assert value is None, value
            return None
        if isinstance(t, IntType) or isinstance(t, EnumType):
            assert isinstance(value, int) and not isinstance(value, bool), value
            return int(value)
        if t is BOOL:
            assert isinstance(value, bool), value
            return value
        if isinstance(t, PtrType):
            address = (value.address if value is not None else 0) if world == "py" else (value or 0)
            if address == 0:
                return "NULL"
            for i, b in enumerate(bufs):
                base = b.py_addr if world == "py" else b.c_addr
                if base <= address <= base + b.size:
                    return f"buffer {i} + {address - base}"
            return "a pointer outside the argument buffers"
        raise TypeError(f"cannot compare values of type {t}")


def _show(args) -> str:
    parts = []
    for a in args:
        parts.append(f"Buf({a.data!r}, {a.size})" if isinstance(a, Buf) else repr(a))
    return "(" + ", ".join(parts) + ")"
