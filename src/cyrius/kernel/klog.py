"""The kernel log: the last LOG_SIZE bytes of what the kernel reported, for the shell's `dmesg`.

Boot messages (console.log) land here as well as on the console. Notes that would interleave with
a program's own output on the terminal, such as a system call Cyrius does not implement, go only
here, as Linux keeps such things in its log rather than on the terminal.
"""
from cyrius.lang import Array, Callable, Final, Ptr, addr, u8, u32, u64, usize
from cyrius.rt import fmt_u64

from .lib import cstr

LOG_SIZE: Final = 16384

ring: Array[u8, LOG_SIZE] = Array[u8, LOG_SIZE]()
written: u64 = 0  # bytes ever logged; the ring holds the last LOG_SIZE of them


def write(data: Ptr[u8], length: usize) -> None:
    global written
    for i in range(length):
        ring[(written + u64(i)) % LOG_SIZE] = data[i]
    written += u64(length)


def puts(text: Ptr[u8]) -> None:
    write(text, cstr.length(text))


def put_dec(value: u64) -> None:
    digits: Array[u8, 24] = Array[u8, 24]()
    write(addr(digits), fmt_u64(addr(digits), usize(24), value, u32(10), u32(0), u8(0x20)))


def replay(out: Callable[[Ptr[u8], usize], None]) -> None:
    """Hand what the ring holds, oldest first, to out (in at most two pieces)."""
    if written <= LOG_SIZE:
        out(addr(ring), usize(written))
        return
    start: u64 = written % LOG_SIZE
    out(addr(ring) + start, usize(LOG_SIZE - start))
    out(addr(ring), usize(start))
