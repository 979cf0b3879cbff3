"""A 64 KiB byte ring made of 16 separately allocated pages (no large contiguous allocation):
TCP's send and receive buffers.

`head` is the ring position of the first byte held and `count` how many are held. Bytes can also
be written beyond `count` (write_at): TCP's receive side parks out-of-order segments there, at
their distance from the next expected byte, until the gap before them is filled.
"""
from cyrius.lang import NULL, Array, Final, Ptr, cast, struct, u8, u32, u64, usize
from cyrius.rt import memcpy

from ..mm import frames, phys
from ..mm.phys import PAGE

SIZE: Final = 65536
MASK: Final = SIZE - 1
PAGES: Final = SIZE // PAGE


@struct
class ByteRing:
    pages: Array[Ptr[u8], PAGES]
    head: u32
    count: u32


def init(r: Ptr[ByteRing]) -> bool:
    """Allocate the pages (False, holding nothing, when memory runs out)."""
    r.head = 0
    r.count = 0
    for i in range(PAGES):
        frame: u64 = frames.alloc()
        if frame == 0:
            release(r)
            return False
        r.pages[i] = phys.bytes_at(frame)
    return True


def release(r: Ptr[ByteRing]) -> None:
    for i in range(PAGES):
        if r.pages[i] != NULL:
            frames.free(phys.to_phys(cast(u64, r.pages[i])))
            r.pages[i] = NULL
    r.count = 0


def allocated(r: Ptr[ByteRing]) -> bool:
    return r.pages[0] != NULL


def space(r: Ptr[ByteRing]) -> u32:
    return u32(SIZE) - r.count


def copy(r: Ptr[ByteRing], offset: u32, buf: Ptr[u8], n: u32, into_ring: bool) -> None:
    """Copy n bytes between buf and the ring, `offset` bytes after the first byte held, a page
    piece at a time (offset + n <= SIZE)."""
    pos: u32 = (r.head + offset) & MASK
    done: u32 = 0
    while done < n:
        within: u32 = pos & (PAGE - 1)
        chunk: u32 = u32(PAGE) - within
        if chunk > n - done:
            chunk = n - done
        held: Ptr[u8] = r.pages[pos // PAGE] + within
        if into_ring:
            memcpy(cast(Ptr[None], held), cast(Ptr[None], buf + done), usize(chunk))
        else:
            memcpy(cast(Ptr[None], buf + done), cast(Ptr[None], held), usize(chunk))
        done += chunk
        pos = (pos + chunk) & MASK


def write_at(r: Ptr[ByteRing], offset: u32, src: Ptr[u8], n: u32) -> None:
    """Copy n bytes to `offset` bytes after the first byte held (offset + n <= SIZE)."""
    copy(r, offset, src, n, True)


def read_at(r: Ptr[ByteRing], offset: u32, dst: Ptr[u8], n: u32) -> None:
    """Copy n bytes starting `offset` bytes after the first byte held."""
    copy(r, offset, dst, n, False)


def append(r: Ptr[ByteRing], src: Ptr[u8], n: u32) -> u32:
    """Add up to n bytes at the end; how many fitted."""
    if n > space(r):
        n = space(r)
    write_at(r, r.count, src, n)
    r.count += n
    return n


def consume(r: Ptr[ByteRing], n: u32) -> None:
    """Forget the first n bytes held."""
    if n > r.count:
        n = r.count
    r.head = (r.head + n) & MASK
    r.count -= n


def take(r: Ptr[ByteRing], dst: Ptr[u8], n: u32) -> u32:
    """Move up to n bytes from the front into dst; how many."""
    if n > r.count:
        n = r.count
    read_at(r, u32(0), dst, n)
    consume(r, n)
    return n
