"""Memory system calls: brk, mmap, munmap, mremap, mprotect, madvise, mincore."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, i64, u8, u32, u64

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import file, memfs, vfs
from ..mm import paging, phys, uaccess, uspace
from ..proc import process
from ..proc.task import Process
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_BRK, SYS_MADVISE, SYS_MEMFD_CREATE, SYS_MINCORE, SYS_MMAP, SYS_MPROTECT, SYS_MREMAP,
                            SYS_MUNMAP)

MAP_SHARED: Final = 0x01
MAP_PRIVATE: Final = 0x02
MAP_FIXED: Final = 0x10
MAP_ANONYMOUS: Final = 0x20
MAP_FIXED_NOREPLACE: Final = 0x100000
MADV_DONTNEED: Final = 4
MREMAP_MAYMOVE: Final = 1
MREMAP_FIXED: Final = 2
MREMAP_DONTUNMAP: Final = 4
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
        if (prot & uspace.PROT_EXEC) != 0 and (vfs.node_flags(process.current().world, f.inode) & vfs.MNT_NOEXEC) != 0:
            return -errno.EPERM  # a file of a noexec mount is never run
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


def sys_mremap(f: Ptr[TrapFrame]) -> i64:
    """mremap(old, old_len, new_len, flags, new_addr): resize or move a mapping (glibc's realloc of a
    large block). MREMAP_DONTUNMAP and an old_len of 0 (a second view of a shared mapping) are refused."""
    old: u64 = f.rdi
    flags: u32 = u32(f.r10)
    if (flags & ~u32(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0 or (old & (phys.PAGE - 1)) != 0:
        return -errno.EINVAL
    if (flags & MREMAP_FIXED) != 0 and (flags & MREMAP_MAYMOVE) == 0:
        return -errno.EINVAL
    if (flags & MREMAP_DONTUNMAP) != 0:
        return -errno.EINVAL
    old_size: u64 = uspace.page_up(f.rsi)
    new_size: u64 = uspace.page_up(f.rdx)
    if old_size == 0 or new_size == 0:
        return -errno.EINVAL
    if new_size >= uspace.USER_TOP:
        return -errno.ENOMEM
    return uspace.remap(space(), old, old_size, new_size, (flags & MREMAP_MAYMOVE) != 0,
                        (flags & MREMAP_FIXED) != 0, f.r8)


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
        uspace.discard_private(space(), f.rdi, end[0])
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


MFD_CLOEXEC: Final = 1
MFD_ALLOW_SEALING: Final = 2
MFD_NAME_MAX: Final = 249


def sys_memfd_create(f: Ptr[TrapFrame]) -> i64:
    """memfd_create(name, flags): an open memfs file in no directory, named `memfd:NAME` in
    /proc/PID/fd; MFD_HUGETLB and the others are EINVAL (no huge pages here)."""
    if (f.rsi & ~u64(MFD_CLOEXEC | MFD_ALLOW_SEALING)) != 0:
        return -errno.EINVAL
    name: Array[u8, 256] = Array[u8, 256]()
    n: i64 = uaccess.copy_string_in(space(), addr(name), f.rdi, u64(MFD_NAME_MAX + 1))
    if n < 0:
        return -errno.EINVAL if n == -errno.ENAMETOOLONG else n
    node: Ptr[vfs.Inode] = memfs.new_unnamed_file((f.rsi & MFD_ALLOW_SEALING) != 0)
    if node == NULL:
        return -errno.ENOMEM
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    r: i64 = file.wrap(node, u32(file.O_RDWR), addr(slot))
    if r < 0:
        return r
    file.name_unnamed(slot[0], b"/memfd:", addr(name), b" (deleted)")
    return process.fd_install(process.current(), slot[0], (f.rsi & MFD_CLOEXEC) != 0, i64(0))


def init() -> None:
    define(SYS_BRK, sys_brk, FULL, NULL)
    define(SYS_MEMFD_CREATE, sys_memfd_create, PARTIAL,
           b"no MFD_HUGETLB (EINVAL); writable shared mappings of it: ENODEV")
    define(SYS_MMAP, sys_mmap, PARTIAL, b"writable MAP_SHARED file mappings: ENODEV; shared anonymous memory is "
           b"allocated at mmap time")
    define(SYS_MUNMAP, sys_munmap, FULL, NULL)
    define(SYS_MREMAP, sys_mremap, PARTIAL, b"MREMAP_DONTUNMAP and old_len 0 (a second view of a shared mapping): "
           b"EINVAL")
    define(SYS_MPROTECT, sys_mprotect, FULL, NULL)
    define(SYS_MINCORE, sys_mincore, FULL, NULL)
    define(SYS_MADVISE, sys_madvise, PARTIAL, b"MADV_DONTNEED drops pages; other advice is accepted and ignored")
