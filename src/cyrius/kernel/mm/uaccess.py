"""The one path between kernel and user memory. Every user pointer a system call receives goes
through copy_in, copy_out or copy_string_in: the range must lie in the lower half and in mappings
that allow the access; pages not yet present are faulted in here. A bad pointer is -EFAULT, never a
kernel page fault.
"""
from cyrius.lang import NULL, Array, Ptr, addr, cast, i64, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from . import paging, phys, uspace
from .uspace import AddressSpace


def frame_of(s: Ptr[AddressSpace], a: u64, write: bool) -> u64:
    """Kernel (direct-map) address of user byte a, made present and writable if asked; 0 if the
    access is not allowed."""
    if a >= uspace.USER_TOP or s == NULL:
        return 0
    # A present user page is inside a mapping that allows what its entry allows (munmap clears
    # entries, mprotect narrows them, PROT_NONE takes PTE_USER away), so only a miss needs the
    # mapping list: uspace.fault looks the address up and says whether the access is allowed.
    e: Ptr[u64] = uspace.leaf(s, a)
    ok: bool = False
    if e != NULL and (e[0] & paging.PTE_PRESENT) != 0 and (e[0] & paging.PTE_USER) != 0:
        ok = not write or (e[0] & paging.PTE_WRITE) != 0
    if not ok:
        if uspace.fault(s, a, write) < 0:
            return 0
        e = uspace.leaf(s, a)
    return phys.to_virt((e[0] & paging.ADDR_MASK) | (a & (phys.PAGE - 1)))


def chunk(a: u64, left: u64) -> u64:
    n: u64 = phys.PAGE - (a & (phys.PAGE - 1))
    if n > left:
        n = left
    return n


def copy(s: Ptr[AddressSpace], user: u64, kernel: Ptr[u8], count: u64, to_user: bool) -> i64:
    """Copy count bytes between user address `user` and kernel memory, a page piece at a time;
    0 or -EFAULT."""
    done: u64 = 0
    while done < count:
        n: u64 = chunk(user + done, count - done)
        k: u64 = frame_of(s, user + done, to_user)
        if k == 0:
            return -errno.EFAULT
        if to_user:
            memcpy(cast(Ptr[None], usize(k)), cast(Ptr[None], kernel + done), usize(n))
        else:
            memcpy(cast(Ptr[None], kernel + done), cast(Ptr[None], usize(k)), usize(n))
        done += n
    return 0


def copy_in(s: Ptr[AddressSpace], dst: Ptr[u8], src: u64, count: u64) -> i64:
    """Copy count bytes from user address src; 0 or -EFAULT."""
    return copy(s, src, dst, count, False)


def copy_out(s: Ptr[AddressSpace], dst: u64, src: Ptr[u8], count: u64) -> i64:
    """Copy count bytes to user address dst; 0 or -EFAULT."""
    return copy(s, dst, src, count, True)


def copy_string_in(s: Ptr[AddressSpace], dst: Ptr[u8], src: u64, cap: u64) -> i64:
    """A NUL-terminated string of at most cap - 1 bytes; its length, -EFAULT or -ENAMETOOLONG."""
    i: u64 = 0
    while i < cap:
        k: u64 = frame_of(s, src + i, False)
        if k == 0:
            return -errno.EFAULT
        n: u64 = chunk(src + i, cap - i)
        p: Ptr[u8] = cast(Ptr[u8], usize(k))
        for j in range(n):
            dst[i + j] = p[j]
            if p[j] == 0:
                return i64(i + j)
        i += n
    return -errno.ENAMETOOLONG


def put_u64(s: Ptr[AddressSpace], dst: u64, value: u64) -> i64:
    box: Array[u64, 1] = Array[u64, 1]()
    box[0] = value
    return copy_out(s, dst, cast(Ptr[u8], addr(box)), u64(8))


def put_u32(s: Ptr[AddressSpace], dst: u64, value: u32) -> i64:
    box: Array[u32, 1] = Array[u32, 1]()
    box[0] = value
    return copy_out(s, dst, cast(Ptr[u8], addr(box)), u64(4))


def get_u64(s: Ptr[AddressSpace], src: u64, out: Ptr[u64]) -> i64:
    return copy_in(s, cast(Ptr[u8], out), src, u64(8))
