"""Kernel heap: kalloc/kfree.

Small blocks come from per-size-class free lists carved out of whole frames; blocks larger than
the biggest class get their own run of contiguous frames. Every block starts with a header that
names its class and whether it is live, so a double free or a stray pointer panics instead of
corrupting the heap.
"""
from cyrius.lang import NULL, Array, Final, Ptr, cast, struct, u32, u64, usize
from cyrius.rt import memset

from ..panic import panic
from . import frames, phys

HEADER: Final = 16
CLASSES: Final = 8  # block sizes 32, 64, ..., 4096 (header included)
MIN_SHIFT: Final = 5
LIVE: Final = 0xA110C8ED
FREED: Final = 0xF7EED000
BIG: Final = 0xFFFFFFFF


@struct
class BlockHeader:
    magic: u32
    size_class: u32  # index into free_lists, or BIG
    size: u64  # bytes requested (BIG: frames in the run)


@struct
class FreeBlock:
    header: BlockHeader
    next: Ptr["FreeBlock"]


free_lists: Array[Ptr[FreeBlock], CLASSES] = Array[Ptr[FreeBlock], CLASSES]()
bytes_in_use: u64 = 0  # as requested by callers
live_blocks: u64 = 0
frames_held: u64 = 0


def init() -> None:
    global bytes_in_use, live_blocks, frames_held
    for c in range(CLASSES):
        free_lists[c] = NULL
    bytes_in_use = 0
    live_blocks = 0
    frames_held = 0


def class_for(size: usize) -> u32:
    c: u32 = 0
    while c < CLASSES and (usize(1) << (c + MIN_SHIFT)) < size + HEADER:
        c += 1
    return c


def refill(c: u32) -> bool:
    """Split one fresh frame into blocks of class c."""
    global frames_held
    frame: u64 = frames.alloc()
    if frame == 0:
        return False
    frames_held += 1
    block: usize = usize(1) << (c + MIN_SHIFT)
    base: usize = usize(phys.to_virt(frame))
    off: usize = 0
    while off < phys.PAGE:
        b: Ptr[FreeBlock] = cast(Ptr[FreeBlock], base + off)
        b.header.magic = FREED
        b.header.size_class = c
        b.next = free_lists[c]
        free_lists[c] = b
        off += block
    return True


def kalloc(size: usize) -> Ptr[None]:
    """Zeroed memory for `size` bytes (16-byte aligned), or NULL when memory is exhausted."""
    global bytes_in_use, live_blocks, frames_held
    if size == 0:
        return NULL
    c: u32 = class_for(size)
    header: Ptr[BlockHeader] = NULL
    if c == CLASSES:
        count: u64 = (u64(size) + HEADER + phys.PAGE - 1) // phys.PAGE
        run: u64 = frames.alloc_contiguous(count)
        if run == 0:
            return NULL
        frames_held += count
        header = cast(Ptr[BlockHeader], usize(phys.to_virt(run)))
        header.size_class = BIG
    else:
        if free_lists[c] == NULL and not refill(c):
            return NULL
        b: Ptr[FreeBlock] = free_lists[c]
        free_lists[c] = b.next
        header = cast(Ptr[BlockHeader], b)
        header.size_class = c
    header.magic = LIVE
    header.size = u64(size)
    bytes_in_use += u64(size)
    live_blocks += 1
    data: Ptr[None] = cast(Ptr[None], cast(usize, header) + HEADER)
    memset(data, 0, size)
    return data


def kfree(p: Ptr[None]) -> None:
    global bytes_in_use, live_blocks, frames_held
    if p == NULL:
        return
    header: Ptr[BlockHeader] = cast(Ptr[BlockHeader], cast(usize, p) - HEADER)
    if header.magic == FREED:
        panic(b"kfree: double free")
    if header.magic != LIVE:
        panic(b"kfree: pointer was not returned by kalloc")
    bytes_in_use -= header.size
    live_blocks -= 1
    if header.size_class == BIG:
        count: u64 = (header.size + HEADER + phys.PAGE - 1) // phys.PAGE
        header.magic = FREED
        start: u64 = phys.to_phys(cast(u64, header))
        for i in range(count):
            frames.free(start + i * phys.PAGE)
        frames_held -= count
        return
    b: Ptr[FreeBlock] = cast(Ptr[FreeBlock], header)
    header.magic = FREED
    b.next = free_lists[header.size_class]
    free_lists[header.size_class] = b
