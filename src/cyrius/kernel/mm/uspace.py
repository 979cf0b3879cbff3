"""User address spaces: the lower half of a page-table root, described by a sorted list of
mappings (Vma). Pages are made present on first touch (demand paging): anonymous memory is zeroed,
file-backed memory is read from the file into a private frame - or, where the file keeps its data
in whole frames of its own (memfs: InodeOps.page_frame), a private mapping maps the file's frame
itself, read-only, until it writes. fork() shares every frame read-only and counts its users; the
first write to a shared frame copies it (copy-on-write). Sharing a file's frames is what lets
every exec of one program use the same physical pages, as Linux's page cache does (and under QEMU's
TCG, the same translated code).

Every function takes the space explicitly, so the ELF loader can fill a space that is not yet
running and the fault handler does not need to know who is current.

Memory limits: a frame for a user page is refused (-ENOMEM, and the fault handler kills the
process) when its space's MemoryCharge (a container's) is at its limit, or when no more than
reserve_frames frames would be left free - those are kept for the kernel (heap, page tables, kernel
stacks), so user memory never starves the host. A frame is charged to the space that allocated it
and returned when its last user lets go; every sharer of a frame has the same charge, since fork is
the only way anonymous frames are shared. A file's frames are charged to nobody (file_owned):
mapping one costs a space nothing, and the frame lives until the file and every mapping let go.
Page tables are not charged: the reserve covers them.
"""
from cyrius.lang import NULL, Final, Ptr, cast, i64, sizeof, struct, u8, u16, u32, u64, usize
from cyrius.rt import memcpy, memset

from .. import errno
from ..fs import vfs
from .heap import kalloc, kfree
from . import frames, paging, phys
from .phys import PAGE

PROT_READ: Final = 1
PROT_WRITE: Final = 2
PROT_EXEC: Final = 4

USER_TOP: Final = 0x0000800000000000  # first non-canonical address: user space ends below it
STACK_TOP: Final = 0x00007FFFFFFFF000
STACK_SIZE: Final = 8 << 20
MMAP_TOP: Final = 0x00007F0000000000  # mmap without a hint places mappings below this, top down
TABLE_SPAN: Final = 1 << 21  # bytes one page table (level 1) covers

RESERVE_SHARE: Final = 16  # 1/16 of usable memory is never given to user pages

# The number of address spaces (beyond the first) that map each physical frame: a frame with
# sharers is copied before it is written.
sharers: Ptr[u16] = NULL
# 1 for a frame a file allocated for its data (charged to no space), until the frame is freed.
file_owned: Ptr[u8] = NULL
tracked_frames: u64 = 0
reserve_frames: u64 = 0


@struct
class MemoryCharge:
    """User frames a group of address spaces (a container's) may hold, and holds."""
    limit: u64  # frames; 0: no limit of its own (the global reserve still applies)
    used: u64


@struct
class Vma:
    start: u64
    end: u64  # exclusive; both page aligned
    prot: u32
    inode: Ptr[vfs.Inode]  # NULL for anonymous memory; holds a reference
    file_offset: u64  # file offset of `start`
    file_bytes: u64  # bytes from `start` that come from the file; the rest reads as zero
    shared: bool  # MAP_SHARED anonymous memory: fork shares the frames writable, never copies
    next: Ptr["Vma"]


@struct
class AddressSpace:
    root: u64
    vmas: Ptr[Vma]
    brk_start: u64
    brk: u64
    resident: u64  # present user pages
    charge: Ptr[MemoryCharge]  # NULL: the host world's, bound by the reserve only
    users: u32  # processes using it: a vfork or CLONE_VM child shares its parent's (threads share their process's)
    program: Ptr[vfs.Inode]  # the file it was loaded from (a reference and a write denial), or NULL


def init() -> None:
    global sharers, file_owned, tracked_frames, reserve_frames
    tracked_frames = frames.frame_count
    sharers = cast(Ptr[u16], kalloc(usize(tracked_frames * 2)))
    file_owned = cast(Ptr[u8], kalloc(usize(tracked_frames)))
    reserve_frames = frames.usable_frames // RESERVE_SHARE


def page_down(a: u64) -> u64:
    return a & ~u64(PAGE - 1)


def page_up(a: u64) -> u64:
    return (a + PAGE - 1) & ~u64(PAGE - 1)


def share(frame: u64) -> None:
    i: u64 = frame >> phys.PAGE_SHIFT
    sharers[i] = sharers[i] + 1


def user_frame(s: Ptr[AddressSpace]) -> u64:
    """A frame for a user page of s, charged to it; 0 past its limit or the kernel's reserve."""
    c: Ptr[MemoryCharge] = s.charge
    if c != NULL and c.limit != 0 and c.used >= c.limit:
        return 0
    if frames.free_frames <= reserve_frames:
        return 0
    frame: u64 = frames.alloc()
    if frame != 0 and c != NULL:
        c.used += 1
    return frame


def release(s: Ptr[AddressSpace], frame: u64) -> None:
    """s stops using `frame`; the last user frees it (and its charge, unless a file's)."""
    i: u64 = frame >> phys.PAGE_SHIFT
    if sharers[i] > 0:
        sharers[i] = sharers[i] - 1
        return
    if file_owned[i] != 0:
        file_owned[i] = 0
    elif s.charge != NULL:
        s.charge.used -= 1
    frames.free(frame)


def file_frame() -> u64:
    """A frame for a file's data (memfs): charged to no space, mappable by private mappings."""
    frame: u64 = frames.alloc()
    if frame != 0:
        file_owned[frame >> phys.PAGE_SHIFT] = 1
    return frame


def drop_file_frame(frame: u64) -> None:
    """The file lets go of its frame: freed now, or by the last mapping that still has it."""
    i: u64 = frame >> phys.PAGE_SHIFT
    if sharers[i] > 0:
        sharers[i] = sharers[i] - 1
        return
    file_owned[i] = 0
    frames.free(frame)


def shared_file_frame(v: Ptr[Vma], page: u64) -> u64:
    """The file's own frame for `page` of a private mapping, when the page is file data through and
    through and the file keeps it in a whole frame; 0 when it must be read into a frame of its own."""
    if v.inode == NULL or v.shared or v.inode.ops.page_frame == NULL:
        return 0
    rel: u64 = page - v.start
    at: u64 = v.file_offset + rel
    if rel + PAGE > v.file_bytes or (at & (PAGE - 1)) != 0:
        return 0
    return v.inode.ops.page_frame(v.inode, at // PAGE)


def create() -> Ptr[AddressSpace]:
    s: Ptr[AddressSpace] = cast(Ptr[AddressSpace], kalloc(usize(sizeof(AddressSpace))))
    if s == NULL:
        return NULL
    s.root = paging.new_space()
    if s.root == 0:
        kfree(cast(Ptr[None], s))
        return NULL
    s.users = 1
    return s


def set_program(s: Ptr[AddressSpace], node: Ptr[vfs.Inode]) -> None:
    """s runs `node`: the file may not be written while s lives (Inode.write_denied)."""
    s.program = vfs.get(node)
    node.write_denied += 1


def get(s: Ptr[AddressSpace]) -> Ptr[AddressSpace]:
    """One more process uses s (a vfork or CLONE_VM child)."""
    s.users += 1
    return s


def put(s: Ptr[AddressSpace]) -> None:
    """A process stops using s; the last one destroys it (it must not be the loaded CR3 then)."""
    s.users -= 1
    if s.users == 0:
        destroy(s)


def find(s: Ptr[AddressSpace], a: u64) -> Ptr[Vma]:
    v: Ptr[Vma] = s.vmas
    while v != NULL:
        if a < v.start:
            return NULL
        if a < v.end:
            return v
        v = v.next
    return NULL


def overlaps(s: Ptr[AddressSpace], start: u64, end: u64) -> bool:
    v: Ptr[Vma] = s.vmas
    while v != NULL:
        if v.start < end and start < v.end:
            return True
        v = v.next
    return False


def insert(s: Ptr[AddressSpace], vma: Ptr[Vma]) -> None:
    """Link vma into the sorted list (the range must be free)."""
    prev: Ptr[Vma] = NULL
    cur: Ptr[Vma] = s.vmas
    while cur != NULL and cur.start < vma.start:
        prev = cur
        cur = cur.next
    vma.next = cur
    if prev == NULL:
        s.vmas = vma
    else:
        prev.next = vma


def add(s: Ptr[AddressSpace], start: u64, end: u64, prot: u32, inode: Ptr[vfs.Inode], file_offset: u64,
        file_bytes: u64) -> i64:
    """Describe [start, end) as a new mapping; nothing is made present until it is touched."""
    if (start & (PAGE - 1)) != 0 or (end & (PAGE - 1)) != 0 or start >= end or end > USER_TOP:
        return -errno.EINVAL
    if overlaps(s, start, end):
        return -errno.EEXIST
    v: Ptr[Vma] = cast(Ptr[Vma], kalloc(usize(sizeof(Vma))))
    if v == NULL:
        return -errno.ENOMEM
    v.start = start
    v.end = end
    v.prot = prot
    v.inode = inode
    if inode != NULL:
        vfs.get(inode)
    v.file_offset = file_offset
    v.file_bytes = file_bytes
    insert(s, v)
    return 0


def leaf(s: Ptr[AddressSpace], a: u64) -> Ptr[u64]:
    """The page-table entry for a, or NULL when no page table covers it."""
    return paging.entry_at(s.root, a, u64(1), False)


def pte_flags(prot: u32) -> u64:
    flags: u64 = paging.PTE_USER
    if (prot & PROT_WRITE) != 0:
        flags |= paging.PTE_WRITE
    if (prot & PROT_EXEC) == 0:
        flags |= paging.PTE_NX
    return flags


def fill(v: Ptr[Vma], page: u64, dest: Ptr[u8]) -> i64:
    """The initial contents of `page` of v: file bytes, then zeros (only the bytes no file data
    covers are cleared: a program's pages are mostly file, and clearing a page costs as much as
    filling it)."""
    got: i64 = 0
    rel: u64 = page - v.start
    if v.inode != NULL and rel < v.file_bytes:
        count: u64 = v.file_bytes - rel
        if count > PAGE:
            count = PAGE
        got = v.inode.ops.read(v.inode, dest, usize(count), v.file_offset + rel)
        if got < 0:
            return got
    memset(cast(Ptr[None], dest + got), 0, usize(PAGE - u64(got)))
    return 0


def fault(s: Ptr[AddressSpace], a: u64, write: bool) -> i64:
    """Make the page holding `a` present (and private if `write`); -EFAULT if the access is not
    allowed, -ENOMEM if memory ran out."""
    v: Ptr[Vma] = find(s, a)
    if v == NULL:
        return -errno.EFAULT
    if write and (v.prot & PROT_WRITE) == 0:
        return -errno.EFAULT
    if not write and (v.prot & (PROT_READ | PROT_EXEC)) == 0:
        return -errno.EFAULT
    page: u64 = page_down(a)
    e: Ptr[u64] = paging.entry_at(s.root, page, u64(1), True)
    if e == NULL:
        return -errno.ENOMEM
    if (e[0] & paging.PTE_PRESENT) != 0:
        if (e[0] & paging.PTE_USER) == 0:  # back from PROT_NONE
            e[0] = (e[0] & paging.ADDR_MASK) | (pte_flags(v.prot) & ~u64(paging.PTE_WRITE)) | paging.PTE_PRESENT
            paging.flush(s.root, page)
        if not write or (e[0] & paging.PTE_WRITE) != 0:
            return 0
        old: u64 = e[0] & paging.ADDR_MASK
        if sharers[old >> phys.PAGE_SHIFT] == 0 or v.shared:
            e[0] = e[0] | paging.PTE_WRITE  # the last user of a shared frame owns it
        else:
            copy: u64 = user_frame(s)
            if copy == 0:
                return -errno.ENOMEM
            memcpy(cast(Ptr[None], phys.bytes_at(copy)), cast(Ptr[None], phys.bytes_at(old)), usize(PAGE))
            release(s, old)
            e[0] = copy | pte_flags(v.prot) | paging.PTE_PRESENT
        paging.flush(s.root, page)
        return 0
    if not write:
        cached: u64 = shared_file_frame(v, page)
        if cached != 0:
            share(cached)  # read-only: the first write copies it
            e[0] = cached | (pte_flags(v.prot) & ~u64(paging.PTE_WRITE)) | paging.PTE_PRESENT
            s.resident += 1
            paging.flush(s.root, page)
            return 0
    frame: u64 = user_frame(s)
    if frame == 0:
        return -errno.ENOMEM
    r: i64 = fill(v, page, phys.bytes_at(frame))
    if r < 0:
        release(s, frame)
        return -errno.EIO
    e[0] = frame | pte_flags(v.prot) | paging.PTE_PRESENT
    s.resident += 1
    paging.flush(s.root, page)
    return 0


def make_shared(s: Ptr[AddressSpace], start: u64, end: u64) -> i64:
    """Turn the new anonymous mapping at start into MAP_SHARED memory: every page is made present
    now, so a fork shares the same frames and writes on either side are seen by both."""
    v: Ptr[Vma] = find(s, start)
    v.shared = True
    if (v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0:
        return 0  # nothing can touch it until mprotect; its pages appear then, unshared
    a: u64 = start
    while a < end:
        r: i64 = fault(s, a, (v.prot & PROT_WRITE) != 0)
        if r < 0:
            return r
        a += PAGE
    return 0


def past_missing_tables(s: Ptr[AddressSpace], a: u64) -> u64:
    """The first address after a's region without page tables (see paging.missing_span)."""
    span: u64 = paging.missing_span(s.root, a)
    if span == 0:
        span = TABLE_SPAN
    return (a + span) & ~u64(span - 1)


def next_present(s: Ptr[AddressSpace], a: u64, end: u64) -> u64:
    """The next address from a, below end, whose page is present (end if none), skipping regions
    without page tables whole."""
    while a < end:
        e: Ptr[u64] = leaf(s, a)
        if e == NULL:
            a = past_missing_tables(s, a)
        elif (e[0] & paging.PTE_PRESENT) != 0:
            return a
        else:
            a += PAGE
    return end


def drop_pages(s: Ptr[AddressSpace], start: u64, end: u64) -> None:
    """Unmap and release every present page in [start, end)."""
    a: u64 = next_present(s, start, end)
    while a < end:
        e: Ptr[u64] = leaf(s, a)
        release(s, e[0] & paging.ADDR_MASK)
        e[0] = 0
        paging.flush(s.root, a)
        s.resident -= 1
        a = next_present(s, a + PAGE, end)


def discard_private(s: Ptr[AddressSpace], start: u64, end: u64) -> None:
    """madvise(MADV_DONTNEED): the private pages of [start, end) go (they read back as zero or as
    the file); shared anonymous memory keeps its data, as Linux's shmem does."""
    v: Ptr[Vma] = s.vmas
    while v != NULL:
        if not v.shared and v.end > start and v.start < end:
            drop_pages(s, start if start > v.start else v.start, end if end < v.end else v.end)
        v = v.next


def protect_pages(s: Ptr[AddressSpace], start: u64, end: u64, prot: u32) -> None:
    """New rights for present pages; write access is granted again by the next write fault, which
    also settles copy-on-write."""
    a: u64 = next_present(s, start, end)
    while a < end:
        e: Ptr[u64] = leaf(s, a)
        e[0] = (e[0] & paging.ADDR_MASK) | (pte_flags(prot) & ~u64(paging.PTE_WRITE)) | paging.PTE_PRESENT
        if (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0:
            e[0] = e[0] & ~u64(paging.PTE_USER)  # PROT_NONE keeps the contents, not the access
        paging.flush(s.root, a)
        a = next_present(s, a + PAGE, end)


def free_vma(v: Ptr[Vma]) -> None:
    if v.inode != NULL:
        vfs.put(v.inode)
    kfree(cast(Ptr[None], v))


def split(s: Ptr[AddressSpace], v: Ptr[Vma], at: u64) -> bool:
    """Cut v in two at `at` (inside it); False when out of memory."""
    tail: Ptr[Vma] = cast(Ptr[Vma], kalloc(usize(sizeof(Vma))))
    if tail == NULL:
        return False
    memcpy(cast(Ptr[None], tail), cast(Ptr[None], v), usize(sizeof(Vma)))
    rel: u64 = at - v.start
    tail.start = at
    tail.file_offset = v.file_offset + rel
    if v.file_bytes > rel:
        tail.file_bytes = v.file_bytes - rel
    else:
        tail.file_bytes = 0
    if tail.inode != NULL:
        vfs.get(tail.inode)
    v.end = at
    v.next = tail
    return True


def isolate(s: Ptr[AddressSpace], start: u64, end: u64) -> i64:
    """Split mappings so none straddles start or end."""
    v: Ptr[Vma] = s.vmas
    while v != NULL:
        if v.start < start and start < v.end:
            if not split(s, v, start):
                return -errno.ENOMEM
        elif v.start < end and end < v.end:
            if not split(s, v, end):
                return -errno.ENOMEM
        v = v.next
    return 0


def unmap(s: Ptr[AddressSpace], start: u64, end: u64) -> i64:
    """munmap: forget [start, end) (page aligned); unmapped parts are fine."""
    r: i64 = isolate(s, start, end)
    if r < 0:
        return r
    prev: Ptr[Vma] = NULL
    v: Ptr[Vma] = s.vmas
    while v != NULL:
        nxt: Ptr[Vma] = v.next
        if v.start >= start and v.end <= end:
            drop_pages(s, v.start, v.end)
            if prev == NULL:
                s.vmas = nxt
            else:
                prev.next = nxt
            free_vma(v)
        else:
            prev = v
        v = nxt
    return 0


def protect(s: Ptr[AddressSpace], start: u64, end: u64, prot: u32) -> i64:
    """mprotect: every page of [start, end) must be mapped (else -ENOMEM, as Linux)."""
    a: u64 = start
    while a < end:
        v: Ptr[Vma] = find(s, a)
        if v == NULL:
            return -errno.ENOMEM
        a = v.end
    r: i64 = isolate(s, start, end)
    if r < 0:
        return r
    v2: Ptr[Vma] = s.vmas
    while v2 != NULL:
        if v2.start >= start and v2.end <= end:
            v2.prot = prot
            protect_pages(s, v2.start, v2.end, prot)
        v2 = v2.next
    return 0


def move_pages(s: Ptr[AddressSpace], start: u64, end: u64, to: u64) -> i64:
    """Move the present pages of [start, end) to the same offsets from `to` (a free range of the same
    space: the frames, their sharers and the resident count stay as they are); -ENOMEM, with nothing
    moved, when a page table for the destination cannot be had."""
    a: u64 = next_present(s, start, end)
    while a < end:
        if paging.entry_at(s.root, to + (a - start), u64(1), True) == NULL:
            return -errno.ENOMEM
        a = next_present(s, a + PAGE, end)
    a = next_present(s, start, end)
    while a < end:
        e: Ptr[u64] = leaf(s, a)
        moved: Ptr[u64] = paging.entry_at(s.root, to + (a - start), u64(1), True)
        moved[0] = e[0]
        e[0] = 0
        paging.flush(s.root, a)
        a = next_present(s, a + PAGE, end)
    return 0


def move(s: Ptr[AddressSpace], old: u64, old_size: u64, to: u64, new_size: u64) -> i64:
    """mremap's move: the mapping [old, old+old_size) with its pages becomes [to, to+new_size) (a free
    range); returns `to` or -ENOMEM."""
    r: i64 = isolate(s, old, old + old_size)
    if r < 0:
        return r
    r = move_pages(s, old, old + old_size, to)
    if r < 0:
        return r
    v: Ptr[Vma] = find(s, old)
    prev: Ptr[Vma] = NULL
    cur: Ptr[Vma] = s.vmas
    while cur != v:
        prev = cur
        cur = cur.next
    if prev == NULL:
        s.vmas = v.next
    else:
        prev.next = v.next
    v.start = to
    v.end = to + new_size  # file_offset and file_bytes count from start: they move with it
    insert(s, v)
    return grown_shared(s, v, to + old_size, to)


def grown_shared(s: Ptr[AddressSpace], v: Ptr[Vma], added: u64, result: u64) -> i64:
    """v grew from `added` on: shared anonymous memory has its pages from the start (make_shared)."""
    if v.shared and added < v.end:
        r: i64 = make_shared(s, added, v.end)
        if r < 0:
            return r
    return i64(result)


def remap(s: Ptr[AddressSpace], old: u64, old_size: u64, new_size: u64, may_move: bool, fixed: bool,
          to: u64) -> i64:
    """mremap: [old, old+old_size), inside one mapping (else -EFAULT), resized to new_size (sizes page
    aligned, not zero): shrunk where it is, grown where it is when the range after it is free, else
    moved (with may_move) to a free range or, `fixed`, to `to` (whatever was there is unmapped).
    Returns the mapping's address or -errno."""
    v: Ptr[Vma] = find(s, old)
    if v == NULL or old + old_size < old or old + old_size > v.end:
        return -errno.EFAULT
    if fixed:
        if (to & (PAGE - 1)) != 0 or to + new_size < to or to + new_size > USER_TOP:
            return -errno.EINVAL
        if to < old + old_size and old < to + new_size:
            return -errno.EINVAL
        r: i64 = unmap(s, to, to + new_size)
        if r == 0 and new_size < old_size:
            r = unmap(s, old + new_size, old + old_size)
            old_size = new_size
        if r < 0:
            return r
        return move(s, old, old_size, to, new_size)
    if new_size <= old_size:
        r2: i64 = unmap(s, old + new_size, old + old_size)
        return r2 if r2 < 0 else i64(old)
    grown: u64 = old + new_size
    if old + old_size == v.end and grown > old and grown <= USER_TOP and not overlaps(s, v.end, grown):
        added: u64 = v.end
        v.end = grown
        return grown_shared(s, v, added, old)
    if not may_move:
        return -errno.ENOMEM
    dest: u64 = find_free(s, new_size)
    if dest == 0:
        return -errno.ENOMEM
    return move(s, old, old_size, dest, new_size)


def find_free(s: Ptr[AddressSpace], length: u64) -> u64:
    """The highest free range of `length` bytes below MMAP_TOP, or 0."""
    top: u64 = MMAP_TOP
    while top >= length + 0x10000:
        start: u64 = top - length
        clash: Ptr[Vma] = NULL
        v: Ptr[Vma] = s.vmas
        while v != NULL:
            if v.start < top and start < v.end:
                clash = v  # keep the lowest clashing mapping: the search continues below it
                break
            v = v.next
        if clash == NULL:
            return start
        top = clash.start
    return 0


def set_brk(s: Ptr[AddressSpace], want: u64) -> u64:
    """brk: move the program break; returns the break in effect (unchanged on failure)."""
    if want < s.brk_start:
        return s.brk
    old_end: u64 = page_up(s.brk)
    new_end: u64 = page_up(want)
    if new_end > old_end:
        if overlaps(s, old_end, new_end):
            return s.brk
        heap_vma: Ptr[Vma] = NULL
        if old_end > s.brk_start:
            heap_vma = find(s, old_end - 1)
        if heap_vma != NULL and heap_vma.end == old_end and heap_vma.inode == NULL:
            heap_vma.end = new_end
        elif add(s, old_end, new_end, u32(PROT_READ | PROT_WRITE), NULL, u64(0), u64(0)) < 0:
            return s.brk
    elif new_end < old_end:
        unmap(s, new_end, old_end)
    s.brk = want
    return s.brk


def copy_vma(parent: Ptr[AddressSpace], child: Ptr[AddressSpace], v: Ptr[Vma]) -> i64:
    """fork: the child gets v's range sharing every present frame; both sides lose write access
    until they write (copy-on-write)."""
    r: i64 = add(child, v.start, v.end, v.prot, v.inode, v.file_offset, v.file_bytes)
    if r < 0:
        return r
    find(child, v.start).shared = v.shared
    a: u64 = next_present(parent, v.start, v.end)
    while a < v.end:
        e: Ptr[u64] = leaf(parent, a)
        ce: Ptr[u64] = paging.entry_at(child.root, a, u64(1), True)
        if ce == NULL:
            return -errno.ENOMEM
        if not v.shared:
            e[0] = e[0] & ~u64(paging.PTE_WRITE)
            paging.flush(parent.root, a)
        ce[0] = e[0]
        share(e[0] & paging.ADDR_MASK)
        child.resident += 1
        a = next_present(parent, a + PAGE, v.end)
    return 0


def fork(parent: Ptr[AddressSpace]) -> Ptr[AddressSpace]:
    """A copy-on-write copy of parent, or NULL when memory ran out."""
    child: Ptr[AddressSpace] = create()
    if child == NULL:
        return NULL
    child.brk_start = parent.brk_start
    child.brk = parent.brk
    child.charge = parent.charge
    if parent.program != NULL:
        set_program(child, parent.program)
    v: Ptr[Vma] = parent.vmas
    while v != NULL:
        if copy_vma(parent, child, v) < 0:
            destroy(child)
            return NULL
        v = v.next
    return child


def free_tables(t: u64, level: u64) -> None:
    """Free the page tables under table t (level 4 = the PML4's lower half only)."""
    entries: Ptr[u64] = paging.table(t)
    count: u64 = 512
    if level == 4:
        count = 256  # the upper half is the shared kernel map
    for i in range(count):
        if (entries[i] & paging.PTE_PRESENT) != 0 and level > 1:
            free_tables(entries[i] & paging.ADDR_MASK, level - 1)
            entries[i] = 0
    if level < 4:
        frames.free(t)


def destroy(s: Ptr[AddressSpace]) -> None:
    """Release every page, mapping and page table; s must not be the loaded CR3."""
    v: Ptr[Vma] = s.vmas
    while v != NULL:
        nxt: Ptr[Vma] = v.next
        drop_pages(s, v.start, v.end)
        free_vma(v)
        v = nxt
    s.vmas = NULL
    if s.program != NULL:
        s.program.write_denied -= 1
        vfs.put(s.program)
    free_tables(s.root, u64(4))
    frames.free(s.root)
    kfree(cast(Ptr[None], s))
