"""Simulated byte-addressed memory for host mode.

Pointers and structs under CPython are addresses into this memory: a sparse set of 4 KiB pages
created on first touch, plus optional device windows whose reads and writes call Python functions
(so a driver's MMIO can be tested against a fake device).
"""
from __future__ import annotations

from typing import Callable

PAGE = 4096
_HEAP_BASE = 0x1000_0000

_pages: dict[int, bytearray] = {}
_devices: list[tuple[int, int, Callable[[int, int], int], Callable[[int, int, int], None]]] = []
_interned: dict[bytes, int] = {}
_next_free = _HEAP_BASE


def reset() -> None:
    """Remove every device window (tests call this between cases).

    Allocations are never reused, even across resets: module-level structs and arrays live in
    this memory from import time on, exactly like a kernel's .data and .bss, and must stay valid.
    """
    _devices.clear()


def _device_at(addr: int):
    for base, size, read_fn, write_fn in _devices:
        if base <= addr < base + size:
            return base, read_fn, write_fn
    return None


def map_device(base: int, size: int, read: Callable[[int, int], int],
               write: Callable[[int, int, int], None]) -> None:
    """Route accesses in [base, base+size) to read(offset, width) / write(offset, width, value)."""
    _devices.append((base, size, read, write))


def read(addr: int, n: int) -> bytes:
    if addr <= 0 or addr + n > 1 << 64:
        raise MemoryError(f"host-mode read of {n} bytes at bad address {addr:#x}")
    dev = _device_at(addr)
    if dev is not None:
        base, read_fn, _ = dev
        return int(read_fn(addr - base, n)).to_bytes(n, "little")
    out = bytearray()
    while n > 0:
        page, off = divmod(addr, PAGE)
        chunk = min(n, PAGE - off)
        data = _pages.get(page)
        out += data[off:off + chunk] if data is not None else bytes(chunk)
        addr += chunk
        n -= chunk
    return bytes(out)


def write(addr: int, data: bytes) -> None:
    n = len(data)
    if addr <= 0 or addr + n > 1 << 64:
        raise MemoryError(f"host-mode write of {n} bytes at bad address {addr:#x}")
    dev = _device_at(addr)
    if dev is not None:
        base, _, write_fn = dev
        write_fn(addr - base, n, int.from_bytes(data, "little"))
        return
    pos = 0
    while pos < n:
        page, off = divmod(addr + pos, PAGE)
        chunk = min(n - pos, PAGE - off)
        buf = _pages.get(page)
        if buf is None:
            buf = _pages[page] = bytearray(PAGE)
        buf[off:off + chunk] = data[pos:pos + chunk]
        pos += chunk


def alloc(n: int, align: int = 16) -> int:
    """Reserve `n` zeroed bytes and return their address (never reused until reset())."""
    global _next_free
    addr = (_next_free + align - 1) & ~(align - 1)
    _next_free = addr + max(n, 1)
    write(addr, bytes(n))
    return addr


def intern_bytes(data: bytes) -> int:
    """Address of a NUL-terminated copy of a byte-string literal (one copy per distinct value)."""
    addr = _interned.get(data)
    if addr is None:
        addr = alloc(len(data) + 1, 1)
        write(addr, data + b"\0")
        _interned[data] = addr
    return addr
