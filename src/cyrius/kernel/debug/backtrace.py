"""Frame-pointer backtraces printed as Python source locations."""
from cyrius.lang import NULL, Final, Ptr, cast, u32, u64

from .. import console
from . import linetable

MAX_FRAMES: Final = 32
KERNEL_BASE: Final = 0xFFFFFFFF80000000


def print_location(address: u64) -> None:
    console.puts(b"  ")
    console.put_hex(address)
    entry: Ptr[linetable.LineEntry] = linetable.find(address)
    if entry != NULL:
        console.puts(b" ")
        console.puts(linetable.string(entry.file))
        console.puts(b":")
        console.put_dec(u64(entry.line))
        console.puts(b" ")
        console.puts(linetable.string(entry.function))
    console.puts(b"\n")


def print_from(rbp: u64) -> None:
    """Walk saved-rbp links from rbp: each frame holds [saved rbp, return address]."""
    console.puts(b"backtrace (most recent call first):\n")
    frames: u32 = 0
    while rbp >= u64(KERNEL_BASE) and frames < MAX_FRAMES and (rbp & 7) == 0:
        frame: Ptr[u64] = cast(Ptr[u64], rbp)
        ret: u64 = frame[1]
        if ret == 0:
            break
        # The return address is the instruction after the call: look up the call itself.
        print_location(ret - 1)
        rbp = frame[0]
        frames += 1
