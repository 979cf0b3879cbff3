"""Directories: getdents64, getcwd, chdir, fchdir and chroot."""
from cyrius.lang import NULL, Array, Ptr, addr, i64, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import file, vfs
from ..fs.file import File
from ..mm import frames, phys, uaccess
from ..proc import caps, cred, process
from ..proc.task import Process
from .syscalls import FULL, define
from .fsargs import caller_may, AT_FDCWD, PATH_MAX, free_path_buffer, get_file, lookup_user, min_u64, path_buffer
from .sys_rw import CHUNK, bounce
from .syscall_names import SYS_CHDIR, SYS_CHROOT, SYS_FCHDIR, SYS_GETCWD, SYS_GETDENTS64


def getdents(fd: u64, user: u64, count: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    page: u64 = bounce()
    if page == 0:
        return -errno.ENOMEM
    buf: Ptr[u8] = phys.bytes_at(page)
    got: i64 = file.getdents64(f, buf, usize(min_u64(u64(u32(count)), u64(CHUNK))))
    if got > 0 and uaccess.copy_out(process.current().space, user, buf, u64(got)) < 0:
        got = -errno.EFAULT
    frames.free(page)
    return got


def getcwd(user: u64, size: u64) -> i64:
    p: Ptr[Process] = process.current()
    buf: Ptr[u8] = path_buffer()
    if buf == NULL:
        return -errno.ENOMEM
    n: i64 = vfs.path_of(p.world, p.root, p.cwd, buf, usize(min_u64(size, u64(PATH_MAX))))
    if n >= 0:
        n += 1  # the terminating NUL counts
        if uaccess.copy_out(p.space, user, buf, u64(n)) < 0:
            n = -errno.EFAULT
    free_path_buffer(buf)
    return n


def set_cwd(node: Ptr[vfs.Inode]) -> i64:
    """Make node (a reference the caller gives away) the cwd."""
    p: Ptr[Process] = process.current()
    if not vfs.is_dir(node):
        vfs.put(node)
        return -errno.ENOTDIR
    if not caller_may(node, u32(vfs.X_OK)):
        vfs.put(node)
        return -errno.EACCES
    vfs.put(p.cwd)
    p.cwd = node
    return 0


def chdir(user_path: u64) -> i64:
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(u64(i64(AT_FDCWD)), user_path, True, False, addr(slot))
    if err < 0:
        return err
    return set_cwd(slot[0])


def fchdir(fd: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    return set_cwd(vfs.get(f.inode))


def chroot(user_path: u64) -> i64:
    """chroot: "/" becomes the directory named, for this process and its future children (needs
    CAP_SYS_CHROOT and search permission on it). Confined as any root is: `..` never climbs above
    it, and the mounts seen stay the process's world's (a container's chroot stays in the container);
    the cwd is left where it is, as on Linux."""
    p: Ptr[Process] = process.current()
    if not cred.capable(p, u32(caps.CAP_SYS_CHROOT)):
        return -errno.EPERM
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(u64(i64(AT_FDCWD)), user_path, True, False, addr(slot))
    if err < 0:
        return err
    if not vfs.is_dir(slot[0]):
        vfs.put(slot[0])
        return -errno.ENOTDIR
    if not caller_may(slot[0], u32(vfs.X_OK)):
        vfs.put(slot[0])
        return -errno.EACCES
    vfs.put(p.root)
    p.root = slot[0]
    return 0


def sys_chroot(f: Ptr[TrapFrame]) -> i64:
    return chroot(f.rdi)


def sys_getdents64(f: Ptr[TrapFrame]) -> i64:
    return getdents(f.rdi, f.rsi, f.rdx)


def sys_getcwd(f: Ptr[TrapFrame]) -> i64:
    return getcwd(f.rdi, f.rsi)


def sys_chdir(f: Ptr[TrapFrame]) -> i64:
    return chdir(f.rdi)


def sys_fchdir(f: Ptr[TrapFrame]) -> i64:
    return fchdir(f.rdi)


def init() -> None:
    define(SYS_GETCWD, sys_getcwd, FULL, NULL)
    define(SYS_CHDIR, sys_chdir, FULL, NULL)
    define(SYS_FCHDIR, sys_fchdir, FULL, NULL)
    define(SYS_CHROOT, sys_chroot, FULL, NULL)
    define(SYS_GETDENTS64, sys_getdents64, FULL, NULL)
