"""Host-mode stand-ins for the hand-written C runtime (runtime-c/include/*.h).

Kernel modules write `from cyrius.rt import memcpy, outb`. Compiled, those are calls to the C
functions; under CPython they land here. Each public function is a thin dispatcher: it converts
its arguments as the C prototype does, calls the implementation currently installed under its
name, and converts the result to the C return type. Because kernel modules bind the dispatcher,
not the implementation, a test can swap the implementation after the module was imported:

    with rt.fake("inb", lambda port: 0x20):     # undone when the block ends
        ...
    undo = rt.fake("outb", lambda port, value: sent.append((port, value)))
    undo.undo()                                 # or keep the handle and undo explicitly
    rt.reset()                                  # every default back, CPU state re-initialised

An implementation (default or fake) receives scalar arguments as the declared dialect type (u16,
u8, ...) and pointer arguments as plain int addresses into `cyrius.lang.memory`. Its return
value is converted to the declared type: a fake `inb` returning 0x1ff yields u8(0xff), a
pointer-returning one may return an int address.

Defaults, chosen so that host mode never pretends to have hardware it does not have:
- mem*, str*, fmt_*: C semantics over the simulated memory, byte-for-byte equal to runtime-c.
- Port I/O, MSRs, control registers, XCR0 and cpuid raise RuntimeError naming the call and
  saying how to install a fake: there is no device or CPU model to answer.
- cli/sti clear and set a simulated interrupt flag that read_rflags reports (bit 9), so
  "save flags, cli, restore" code can be tested; it starts clear, as at boot.
- rdtsc returns 1, 2, 3, ... (strictly increasing, restarted by reset()).
- read_rbp returns 0, the end of any frame-pointer chain.
- hlt, cpu_relax, mfence, io_wait, invlpg and the FPU save/restore functions do nothing:
  waiting, ordering, TLBs and user FPU state have no meaning in host mode.
"""
import functools
import inspect

from cyrius.lang import Ptr, i8, i16, i32, i64, memory, u8, u16, u32, u64, usize

_SCALARS = (u8, u16, u32, u64, i8, i16, i32, i64, usize)
_PAGE = 4096
_RFLAGS_RESERVED = 0x2   # bit 1 always reads as 1
_RFLAGS_IF = 0x200

_defaults: dict = {}
_installed: dict = {}


class _CPU:
    """The little machine state the defaults simulate."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.interrupts = False
        self.tsc = 0


_cpu = _CPU()


def _addr(p) -> int:
    """The address a pointer argument denotes: a Ptr, a plain int, or a byte-string literal."""
    if isinstance(p, bytes):
        return memory.intern_bytes(p)
    if isinstance(p, int):
        return int(p)
    address = getattr(p, "address", None)
    if address is None:
        raise TypeError(f"expected a pointer, got {type(p).__name__}")
    return int(address)


def _to_c(ctype, value):
    return ctype(value) if ctype in _SCALARS else _addr(value)


def _from_c(ctype, value):
    if ctype is None:
        return None
    if ctype in _SCALARS:
        return ctype(value)
    return ctype(_addr(value))


def _extern(spec):
    """Make `spec` the default implementation of a C function whose prototype its annotations
    give, and return the public dispatcher for it."""
    name = spec.__name__
    params = [p.annotation for p in inspect.signature(spec).parameters.values()]
    ret = inspect.signature(spec).return_annotation
    _defaults[name] = _installed[name] = spec

    @functools.wraps(spec)
    def dispatch(*args):
        if len(args) != len(params):
            raise TypeError(f"{name}() takes {len(params)} arguments ({len(args)} given)")
        converted = [_to_c(t, a) for t, a in zip(params, args, strict=True)]
        return _from_c(ret, _installed[name](*converted))

    return dispatch


class _Undo:
    """Handle returned by fake(): undo() or the end of a `with` block reinstates what was
    installed before. Undoing twice is harmless."""

    def __init__(self, name: str, previous):
        self._name = name
        self._previous = previous
        self._done = False

    def undo(self) -> None:
        if not self._done:
            _installed[self._name] = self._previous
            self._done = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.undo()


def fake(name: str, fn) -> _Undo:
    """Install `fn` as the implementation of the C function `name` until the handle is undone.
    Fakes nest: undoing one reinstates the one it replaced."""
    if name not in _defaults:
        raise KeyError(f"cyrius.rt has no C function {name!r}; known: {', '.join(sorted(_defaults))}")
    if not callable(fn):
        raise TypeError(f"the fake for {name} must be callable")
    previous = _installed[name]
    _installed[name] = fn
    return _Undo(name, previous)


def reset() -> None:
    """Reinstate every default and re-initialise the simulated CPU state (the simulated memory
    is cyrius.lang.memory's, reset separately with memory.reset())."""
    _installed.update(_defaults)
    _cpu.reset()


def _no_fake(call: str, name: str):
    return RuntimeError(f"host mode has no hardware behind {call}: install a fake with "
                        f"cyrius.rt.fake({name!r}, ...)")


def _read_cstring(addr: int, limit: int | None = None) -> bytes:
    """The bytes at `addr` before the first NUL, looking at no more than `limit` bytes. Reads a
    page at a time, never past the page holding the NUL, as the C loop touches no further."""
    out = bytearray()
    while limit is None or len(out) < limit:
        chunk = _PAGE - addr % _PAGE
        if limit is not None:
            chunk = min(chunk, limit - len(out))
        data = memory.read(addr, chunk)
        end = data.find(0)
        if end >= 0:
            return bytes(out + data[:end])
        out += data
        addr += chunk
    return bytes(out)


def _first_difference(a: bytes, b: bytes) -> int:
    """C comparison result over the common length of a and b: the difference of the first
    differing bytes, or 0. Callers include the NUL that ends a string where C would read it."""
    for x, y in zip(a, b, strict=False):
        if x != y:
            return x - y
    return 0


# ---------------------------------------------------------------- mem.h
# Scalar arguments are converted to plain int before arithmetic: a usize operand would make
# the arithmetic wrap like C's, and memory's bounds checks need the true sums.

@_extern
def memcpy(dst: Ptr[None], src: Ptr[None], n: usize) -> Ptr[None]:
    if n:
        memory.write(dst, memory.read(src, int(n)))
    return dst


@_extern
def memmove(dst: Ptr[None], src: Ptr[None], n: usize) -> Ptr[None]:
    if n:
        memory.write(dst, memory.read(src, int(n)))
    return dst


@_extern
def memset(dst: Ptr[None], c: i32, n: usize) -> Ptr[None]:
    if n:
        memory.write(dst, bytes([c & 0xFF]) * int(n))
    return dst


@_extern
def memcmp(a: Ptr[None], b: Ptr[None], n: usize) -> i32:
    return _first_difference(memory.read(a, int(n)), memory.read(b, int(n))) if n else 0


@_extern
def strlen(s: Ptr[u8]) -> usize:
    return len(_read_cstring(s))


@_extern
def strnlen(s: Ptr[u8], maxlen: usize) -> usize:
    return len(_read_cstring(s, int(maxlen)))


@_extern
def strcmp(a: Ptr[u8], b: Ptr[u8]) -> i32:
    sa = _read_cstring(a)
    # C stops at a's NUL or the first difference, so b is read no further than len(a) + 1.
    sb = _read_cstring(b, len(sa) + 1)
    return _first_difference(sa + b"\0", (sb + b"\0")[:len(sa) + 1])


@_extern
def strncmp(a: Ptr[u8], b: Ptr[u8], n: usize) -> i32:
    sa = _read_cstring(a, int(n))
    # C compares up to n bytes, a's NUL included when it comes first.
    k = min(len(sa) + 1, int(n))
    sb = _read_cstring(b, k)
    return _first_difference((sa + b"\0")[:k], (sb + b"\0")[:k])


# ---------------------------------------------------------------- fmt.h

def _format(buf: int, cap: int, magnitude: int, negative: bool, base: int, min_width: int,
            pad: int) -> int:
    text = b""
    if 2 <= base <= 16:
        digits = bytearray()
        while True:
            digits.append(b"0123456789abcdef"[magnitude % base])
            magnitude //= base
            if magnitude == 0:
                break
        digits.reverse()
        sign = b"-" if negative else b""
        # Only the first `cap` characters are kept, so more padding than that cannot matter.
        fill = bytes([pad]) * min(max(min_width - len(digits) - len(sign), 0), cap)
        text = sign + fill + digits if pad == ord("0") else fill + sign + digits
    out = text[:cap]
    written = len(out)
    if written < cap:
        out += b"\0"
    if out:
        memory.write(buf, out)
    return written


@_extern
def fmt_u64(buf: Ptr[u8], cap: usize, value: u64, base: u32, min_width: u32, pad: u8) -> usize:
    return _format(buf, int(cap), int(value), False, int(base), int(min_width), int(pad))


@_extern
def fmt_i64(buf: Ptr[u8], cap: usize, value: i64, base: u32, min_width: u32, pad: u8) -> usize:
    return _format(buf, int(cap), abs(int(value)), value < 0, int(base), int(min_width), int(pad))


# ---------------------------------------------------------------- cpu.h

@_extern
def inb(port: u16) -> u8:
    raise _no_fake(f"inb({port:#x})", "inb")


@_extern
def inw(port: u16) -> u16:
    raise _no_fake(f"inw({port:#x})", "inw")


@_extern
def inl(port: u16) -> u32:
    raise _no_fake(f"inl({port:#x})", "inl")


@_extern
def outb(port: u16, value: u8) -> None:
    raise _no_fake(f"outb({port:#x}, {value:#x})", "outb")


@_extern
def outw(port: u16, value: u16) -> None:
    raise _no_fake(f"outw({port:#x}, {value:#x})", "outw")


@_extern
def outl(port: u16, value: u32) -> None:
    raise _no_fake(f"outl({port:#x}, {value:#x})", "outl")


@_extern
def io_wait() -> None:
    pass


@_extern
def rdmsr(msr: u32) -> u64:
    raise _no_fake(f"rdmsr({msr:#x})", "rdmsr")


@_extern
def wrmsr(msr: u32, value: u64) -> None:
    raise _no_fake(f"wrmsr({msr:#x}, {value:#x})", "wrmsr")


@_extern
def read_cr0() -> u64:
    raise _no_fake("read_cr0()", "read_cr0")


@_extern
def read_cr2() -> usize:
    raise _no_fake("read_cr2()", "read_cr2")


@_extern
def read_cr3() -> u64:
    raise _no_fake("read_cr3()", "read_cr3")


@_extern
def read_cr4() -> u64:
    raise _no_fake("read_cr4()", "read_cr4")


@_extern
def write_cr0(value: u64) -> None:
    raise _no_fake(f"write_cr0({value:#x})", "write_cr0")


@_extern
def write_cr3(value: u64) -> None:
    raise _no_fake(f"write_cr3({value:#x})", "write_cr3")


@_extern
def write_cr4(value: u64) -> None:
    raise _no_fake(f"write_cr4({value:#x})", "write_cr4")


@_extern
def xgetbv(xcr: u32) -> u64:
    raise _no_fake(f"xgetbv({xcr})", "xgetbv")


@_extern
def xsetbv(xcr: u32, value: u64) -> None:
    raise _no_fake(f"xsetbv({xcr}, {value:#x})", "xsetbv")


@_extern
def invlpg(vaddr: usize) -> None:
    pass


@_extern
def cli() -> None:
    _cpu.interrupts = False


@_extern
def sti() -> None:
    _cpu.interrupts = True


@_extern
def hlt() -> None:
    pass


@_extern
def sti_hlt() -> None:
    """Waiting for an interrupt: host mode has none to wait for, so interrupts are enabled and it returns."""
    _cpu.interrupts = True


@_extern
def cpu_relax() -> None:
    pass


@_extern
def read_rflags() -> u64:
    return _RFLAGS_RESERVED | (_RFLAGS_IF if _cpu.interrupts else 0)


@_extern
def mfence() -> None:
    pass


@_extern
def rdtsc() -> u64:
    _cpu.tsc += 1
    return _cpu.tsc


@_extern
def cpuid(leaf: u32, subleaf: u32, out: Ptr[u32]) -> None:
    raise _no_fake(f"cpuid({leaf:#x}, {subleaf:#x})", "cpuid")


@_extern
def read_rbp() -> usize:
    return 0


@_extern
def fxsave(area: Ptr[None]) -> None:
    pass


@_extern
def fxrstor(area: Ptr[None]) -> None:
    pass


@_extern
def xsave(area: Ptr[None], mask: u64) -> None:
    pass


@_extern
def xrstor(area: Ptr[None], mask: u64) -> None:
    pass


@_extern
def switch_context(save_rsp: Ptr[u64], next_rsp: u64) -> None:
    raise _no_fake("switch_context", "switch_context")


# Linker symbols (runtime-c/include/symbols.h). Host mode links nothing: there is no line table,
# which the kernel treats as "no source locations"; a test may rebind these to simulated memory.
kernel_linetable_start = Ptr[u8](0)
kernel_linetable_end = Ptr[u8](0)
thread_entry = Ptr[u8](0)
boot_tss = Ptr[u8](0)
LINKER_SYMBOLS = ["kernel_linetable_start", "kernel_linetable_end", "thread_entry", "boot_tss"]

__all__ = sorted(_defaults) + LINKER_SYMBOLS + ["fake", "reset"]
