"""Physical frame allocator: one bit per 4 KiB frame, built from the UEFI memory map.

The bitmap lives in the first usable region large enough to hold it. Frames below 1 MiB stay
reserved (real-mode structures, and later the AP start-up trampoline).
"""
from cyrius.lang import NULL, Array, Final, Ptr, cast, u8, u32, u64, usize
from cyrius.rt import memset

from ..bootinfo import (MEM_BOOT_SERVICES_CODE, MEM_BOOT_SERVICES_DATA, MEM_CONVENTIONAL, MEM_LOADER_CODE,
                        BootInfo, BootMemDesc)
from ..panic import panic
from . import phys

LOW_RESERVED: Final = 256  # frames below 1 MiB

bitmap: Ptr[u8] = NULL  # bit set = frame in use
frame_count: u64 = 0  # frames the bitmap covers
usable_frames: u64 = 0
free_frames: u64 = 0
cursor: u64 = 0  # next-fit search start
lowest_free: u64 = 0  # every frame below it is in use: where a search for a contiguous run starts
run_cursor: u64 = 0  # where alloc_contiguous's next search starts (next fit)
# Frames freed last, handed out first: a page used a moment ago is still in the CPU's caches and
# TLB (and in QEMU's), while next fit alone would touch fresh memory on every allocation.
HOT_MAX: Final = 64
hot: Array[u64, HOT_MAX] = Array[u64, HOT_MAX]()
hot_count: u32 = 0


def usable(kind: u64) -> bool:
    """Memory the kernel may reuse once it runs on its own stack, GDT and IDT."""
    return (kind == MEM_CONVENTIONAL or kind == MEM_BOOT_SERVICES_CODE or kind == MEM_BOOT_SERVICES_DATA
            or kind == MEM_LOADER_CODE)


def is_used(frame: u64) -> bool:
    return (bitmap[frame >> 3] >> u8(frame & 7)) & 1 != 0


def set_used(frame: u64, used: bool) -> None:
    bit: u8 = u8(1) << u8(frame & 7)
    if used:
        bitmap[frame >> 3] = bitmap[frame >> 3] | bit
    else:
        bitmap[frame >> 3] = bitmap[frame >> 3] & ~bit


def init(info: Ptr[BootInfo]) -> None:
    global bitmap, frame_count, usable_frames, free_frames, cursor, hot_count, lowest_free, run_cursor
    hot_count = 0
    descs: Ptr[BootMemDesc] = cast(Ptr[BootMemDesc], usize(info.memmap))
    top: u64 = 0
    for i in range(info.memmap_count):
        d: Ptr[BootMemDesc] = descs + i
        if usable(u64(d.type)):
            end: u64 = (d.phys_start >> phys.PAGE_SHIFT) + d.num_pages
            if end > top:
                top = end
    frame_count = top
    bitmap_bytes: u64 = (top + 7) // 8
    bitmap_frames: u64 = (bitmap_bytes + phys.PAGE - 1) // phys.PAGE
    bitmap_at: u64 = 0
    for i in range(info.memmap_count):
        d: Ptr[BootMemDesc] = descs + i
        first: u64 = d.phys_start >> phys.PAGE_SHIFT
        if first < LOW_RESERVED:
            continue
        if u64(d.type) == MEM_CONVENTIONAL and d.num_pages >= bitmap_frames and bitmap_at == 0:
            bitmap_at = d.phys_start
    if bitmap_at == 0:
        panic(b"frames: no usable region can hold the frame bitmap")
    bitmap = phys.bytes_at(bitmap_at)
    memset(bitmap, 0xFF, usize(bitmap_bytes))
    usable_frames = 0
    free_frames = 0
    for i in range(info.memmap_count):
        d: Ptr[BootMemDesc] = descs + i
        if usable(u64(d.type)):
            first: u64 = d.phys_start >> phys.PAGE_SHIFT
            for f in range(first, first + d.num_pages):
                if f >= LOW_RESERVED and is_used(f):
                    set_used(f, False)
                    free_frames += 1
    first_bitmap: u64 = bitmap_at >> phys.PAGE_SHIFT
    for f in range(first_bitmap, first_bitmap + bitmap_frames):
        set_used(f, True)
        free_frames -= 1
    usable_frames = free_frames
    cursor = LOW_RESERVED
    lowest_free = LOW_RESERVED
    run_cursor = LOW_RESERVED


def alloc() -> u64:
    """Physical address of a free frame (not zeroed), or 0 when memory is exhausted."""
    global cursor, free_frames, hot_count
    if free_frames == 0:
        return 0
    while hot_count > 0:
        hot_count -= 1
        recent: u64 = hot[hot_count]
        if not is_used(recent):  # alloc_contiguous may have taken it since
            set_used(recent, True)
            free_frames -= 1
            return recent << phys.PAGE_SHIFT
    scanned: u64 = 0
    f: u64 = cursor
    while scanned < frame_count:
        if f >= frame_count:
            f = 0
        if (f & 7) == 0 and bitmap[f >> 3] == 0xFF:
            f += 8
            scanned += 8
            continue
        if not is_used(f):
            set_used(f, True)
            free_frames -= 1
            cursor = f + 1
            return f << phys.PAGE_SHIFT
        f += 1
        scanned += 1
    return 0


def find_run(lo: u64, hi: u64, count: u64) -> u64:
    """The first frame of `count` free frames in a row within [lo, hi), or frame_count; whole bytes
    of used frames are skipped at once."""
    run: u64 = 0
    f: u64 = lo
    while f < hi:
        if (f & 7) == 0 and bitmap[f >> 3] == 0xFF:
            run = 0
            f += 8
            continue
        if is_used(f):
            run = 0
            f += 1
            continue
        run += 1
        if run == count:
            return f + 1 - count
        f += 1
    return frame_count


def alloc_contiguous(count: u64) -> u64:
    """`count` physically contiguous frames, or 0 (kernel stacks and multi-page heap blocks).
    Next fit: the search resumes where the last run was found, and goes back to the bottom only
    when nothing fits above; first fit rescanned, on every call, the low memory that single-frame
    allocations and frees keep fragmented (a fork's kernel stack cost hundreds of microseconds
    once a big bundle had been unpacked and freed)."""
    global free_frames, run_cursor
    start: u64 = find_run(run_cursor if run_cursor > lowest_free else lowest_free, frame_count, count)
    if start == frame_count:
        start = find_run(lowest_free, run_cursor + count if run_cursor + count < frame_count else frame_count, count)
    if start == frame_count:
        return 0
    for g in range(start, start + count):
        set_used(g, True)
    free_frames -= count
    run_cursor = start + count
    return start << phys.PAGE_SHIFT


def free(address: u64) -> None:
    global free_frames, hot_count, lowest_free
    frame: u64 = address >> phys.PAGE_SHIFT
    if (address & (phys.PAGE - 1)) != 0 or frame >= frame_count or frame < LOW_RESERVED:
        panic(b"frames: free of an address that is not an allocatable frame")
    if not is_used(frame):
        panic(b"frames: double free of a physical frame")
    set_used(frame, False)
    free_frames += 1
    if frame < lowest_free:
        lowest_free = frame
    if hot_count < HOT_MAX:
        hot[hot_count] = frame
        hot_count += 1
