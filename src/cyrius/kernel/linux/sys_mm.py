"""Memory system calls: brk, mmap, munmap, mprotect, madvise."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, i64, u8, u32, u64

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import file
from ..mm import paging, phys, uaccess, uspace
from ..proc import process
from ..proc.task import Process
from .syscalls import FULL, PARTIAL, define
from .syscall_names import SYS_BRK, SYS_MADVISE, SYS_MINCORE, SYS_MMAP, SYS_MPROTECT, SYS_MUNMAP

MAP_SHARED: Final = 0x01
MAP_PRIVATE: Final = 0x02
MAP_FIXED: Final = 0x10
MAP_ANONYMOUS: Final = 0x20
MAP_FIXED_NOREPLACE: Final = 0x100000
MADV_DONTNEED: Final = 4
PROT_ALL: Final = 7
RLIMIT_DATA: Final = 2
RLIMIT_AS: Final = 9


def space() -> Ptr[uspace.AddressSpace]:
    return process.current().space


def vm_bytes(s: Ptr[uspace.AddressSpace], lo: u64, hi: u64, data: bool) -> u64:
    """Bytes of s's mappings within [lo, hi); with `data`, only what Linux's RLIMIT_DATA counts:
    private writable mappings but the stack."""
    n: u64 = 0
    v: Ptr[uspace.Vma] = s.vmas
    while v != NULL:
        counts: bool = not data or ((v.prot & uspace.PROT_WRITE) != 0 and not v.shared and v.end != uspace.STACK_TOP)
        start: u64 = v.start if v.start > lo else lo
        end: u64 = v.end if v.end < hi else hi
        if counts and start < end:
            n += end - start
        v = v.next
    return n


def may_expand(s: Ptr[uspace.AddressSpace], start: u64, size: u64, data: bool) -> bool:
    """Mapping [start, start + size) (replacing what is there) stays within RLIMIT_AS and, for a
    mapping RLIMIT_DATA counts, RLIMIT_DATA (Linux's may_expand_vm)."""
    p: Ptr[Process] = process.current()
    whole: u64 = vm_bytes(s, u64(0), uspace.USER_TOP, False) - vm_bytes(s, start, start + size, False) + size
    if whole > p.rlimits[RLIMIT_AS].soft:
        return False
    if not data:
        return True
    counted: u64 = vm_bytes(s, u64(0), uspace.USER_TOP, True) - vm_bytes(s, start, start + size, True) + size
    return counted <= p.rlimits[RLIMIT_DATA].soft


def sys_brk(f: Ptr[TrapFrame]) -> i64:
    """brk; growth must stay within RLIMIT_AS and RLIMIT_DATA (else the break stays)."""
    s: Ptr[uspace.AddressSpace] = space()
    old_end: u64 = uspace.page_up(s.brk)
    new_end: u64 = uspace.page_up(f.rdi)
    if f.rdi >= s.brk_start and new_end > old_end and not may_expand(s, old_end, new_end - old_end, True):
        return i64(s.brk)
    return i64(uspace.set_brk(s, f.rdi))


def do_mmap(addr_hint: u64, length: u64, prot: u32, flags: u32, fd: i64, offset: u64) -> i64:
    s: Ptr[uspace.AddressSpace] = space()
    if length == 0 or (offset & (phys.PAGE - 1)) != 0 or (prot & ~u32(PROT_ALL)) != 0:
        return -errno.EINVAL
    size: u64 = uspace.page_up(length)
    if size == 0 or size >= uspace.USER_TOP:
        return -errno.ENOMEM
    kind: u32 = flags & u32(MAP_SHARED | MAP_PRIVATE)
    if kind != MAP_PRIVATE and kind != MAP_SHARED:
        return -errno.EINVAL
    f: Ptr[file.File] = NULL
    if (flags & MAP_ANONYMOUS) == 0:
        f = process.fd_get(process.current(), fd)
        if f == NULL:
            return -errno.EBADF
        if not file.readable(f) or f.inode.ops.read == NULL:
            return -errno.EACCES
        if kind == MAP_SHARED and (prot & uspace.PROT_WRITE) != 0:
            return -errno.ENODEV  # writes would have to reach the file: not supported
    data: bool = (prot & uspace.PROT_WRITE) != 0 and kind == MAP_PRIVATE
    start: u64 = 0
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0:
        if (addr_hint & (phys.PAGE - 1)) != 0 or addr_hint + size > uspace.USER_TOP or addr_hint + size < addr_hint:
            return -errno.EINVAL
        start = addr_hint
        if (flags & MAP_FIXED_NOREPLACE) != 0 and uspace.overlaps(s, start, start + size):
            return -errno.EEXIST
        if not may_expand(s, start, size, data):
            return -errno.ENOMEM
        r: i64 = uspace.unmap(s, start, start + size)
        if r < 0:
            return r
    else:
        hint: u64 = uspace.page_down(addr_hint)
        fits: bool = hint != 0 and hint + size <= uspace.MMAP_TOP and hint + size > hint
        if fits and not uspace.overlaps(s, hint, hint + size):
            start = hint
        else:
            start = uspace.find_free(s, size)
        if start == 0 or not may_expand(s, start, size, data):
            return -errno.ENOMEM
    if f != NULL:
        file_bytes: u64 = 0
        if f.inode.size > offset:
            file_bytes = f.inode.size - offset
        r2: i64 = uspace.add(s, start, start + size, prot, f.inode, offset, file_bytes)
        if r2 < 0:
            return r2
    else:
        r3: i64 = uspace.add(s, start, start + size, prot, NULL, u64(0), u64(0))
        if r3 == 0 and kind == MAP_SHARED:
            r3 = uspace.make_shared(s, start, start + size)
            if r3 < 0:
                uspace.unmap(s, start, start + size)
        if r3 < 0:
            return r3
    return i64(start)


def sys_mmap(f: Ptr[TrapFrame]) -> i64:
    return do_mmap(f.rdi, f.rsi, u32(f.rdx), u32(f.r10), i64(f.r8), f.r9)


def checked_range(start: u64, length: u64, out_end: Ptr[u64]) -> i64:
    if (start & (phys.PAGE - 1)) != 0:
        return -errno.EINVAL
    end: u64 = start + uspace.page_up(length)
    if end < start or end > uspace.USER_TOP:
        return -errno.EINVAL
    out_end[0] = end
    return 0


def sys_munmap(f: Ptr[TrapFrame]) -> i64:
    end: Array[u64, 1] = Array[u64, 1]()
    if f.rsi == 0:
        return -errno.EINVAL
    r: i64 = checked_range(f.rdi, f.rsi, addr(end))
    if r < 0:
        return r
    return uspace.unmap(space(), f.rdi, end[0])


def sys_mprotect(f: Ptr[TrapFrame]) -> i64:
    end: Array[u64, 1] = Array[u64, 1]()
    r: i64 = checked_range(f.rdi, f.rsi, addr(end))
    if r < 0:
        return r
    if (u32(f.rdx) & ~u32(PROT_ALL | 0x01000000 | 0x02000000)) != 0:
        return -errno.EINVAL
    return uspace.protect(space(), f.rdi, end[0], u32(f.rdx) & u32(PROT_ALL))


def sys_madvise(f: Ptr[TrapFrame]) -> i64:
    end: Array[u64, 1] = Array[u64, 1]()
    r: i64 = checked_range(f.rdi, f.rsi, addr(end))
    if r < 0:
        return r
    if f.rdx == MADV_DONTNEED:
        uspace.drop_pages(space(), f.rdi, end[0])  # private memory reads back as zero or file data
    return 0


def sys_mincore(f: Ptr[TrapFrame]) -> i64:
    """One byte per page of [addr, addr+length): 1 if the page is in memory. Every page must be
    mapped (ENOMEM otherwise), as on Linux; demand paging means untouched pages say 0."""
    end: Array[u64, 1] = Array[u64, 1]()
    r: i64 = checked_range(f.rdi, f.rsi, addr(end))
    if r < 0:
        return r
    s: Ptr[uspace.AddressSpace] = space()
    chunk: Array[u8, 64] = Array[u8, 64]()
    page: u64 = f.rdi
    out: u64 = f.rdx
    while page < end[0]:
        n: u64 = 0
        while n < 64 and page < end[0]:
            if uspace.find(s, page) == NULL:
                return -errno.ENOMEM
            e: Ptr[u64] = uspace.leaf(s, page)
            chunk[n] = u8(1) if e != NULL and (e[0] & paging.PTE_PRESENT) != 0 else u8(0)
            n += 1
            page += phys.PAGE
        if uaccess.copy_out(s, out, addr(chunk), n) < 0:
            return -errno.EFAULT
        out += n
    return 0


def init() -> None:
    define(SYS_BRK, sys_brk, FULL, NULL)
    define(SYS_MMAP, sys_mmap, PARTIAL, b"writable MAP_SHARED file mappings: ENODEV; shared anonymous memory is "
           b"allocated at mmap time")
    define(SYS_MUNMAP, sys_munmap, FULL, NULL)
    define(SYS_MPROTECT, sys_mprotect, FULL, NULL)
    define(SYS_MINCORE, sys_mincore, FULL, NULL)
    define(SYS_MADVISE, sys_madvise, PARTIAL, b"MADV_DONTNEED drops pages; other advice is accepted and ignored")
