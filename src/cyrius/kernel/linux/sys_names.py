"""Name operations: mkdir, mknod, rmdir, unlink, rename, link, symlink and readlink (and their *at forms)."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, i64, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import vfs
from ..mm import uaccess
from ..proc import process
from ..proc.task import Process
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_LINK, SYS_LINKAT, SYS_MKDIR, SYS_MKDIRAT, SYS_MKNOD, SYS_MKNODAT, SYS_READLINK,
                            SYS_READLINKAT, SYS_RENAME,
                            SYS_RENAMEAT, SYS_RENAMEAT2, SYS_RMDIR, SYS_SYMLINK, SYS_SYMLINKAT, SYS_UNLINK,
                            SYS_UNLINKAT)
from .fsargs import (AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, PATH_MAX, Path, free_path_buffer,
                     int_arg, last_dots, lookup_user, min_u64, path_buffer, path_done,
                     path_in)


def mkdir_at(dirfd: u64, user_path: u64, mode: u64) -> i64:
    p: Ptr[Process] = process.current()
    pa: Path = Path()
    err: i64 = path_in(dirfd, user_path, False, addr(pa))
    if err >= 0:
        err = vfs.mkdir(addr(pa.cred), p.root, pa.base, pa.name, u32(mode) & 0o1777 & ~p.umask)
    path_done(addr(pa))
    return err


def mknod_at(dirfd: u64, user_path: u64, mode: u64) -> i64:
    """mknod: a regular file (type 0 or S_IFREG), a FIFO (mkfifo) or a socket name, where the
    filesystem can hold one (memfs; FAT32 cannot: EPERM, as vfat). Device nodes (S_IFCHR,
    S_IFBLK) are EPERM for everyone: unprivileged callers as on Linux (euid 0 stands for
    CAP_MKNOD until the capability model replaces it), and privileged ones too, in containers and
    out, because no filesystem here can back a device number (devfs's nodes are fixed, and a
    container's /dev is devfs)."""
    p: Ptr[Process] = process.current()
    kind: u32 = u32(mode) & vfs.S_IFMT
    if kind == 0:
        kind = vfs.S_IFREG
    if kind == vfs.S_IFCHR or kind == vfs.S_IFBLK:
        return -errno.EPERM
    if kind != vfs.S_IFREG and kind != vfs.S_IFIFO and kind != vfs.S_IFSOCK:
        return -errno.EPERM if kind == vfs.S_IFDIR else -errno.EINVAL
    pa: Path = Path()
    err: i64 = path_in(dirfd, user_path, False, addr(pa))
    if err >= 0:
        slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
        err = vfs.mknod(addr(pa.cred), p.root, pa.base, pa.name, kind | (u32(mode) & 0o7777 & ~p.umask), addr(slot))
        if err >= 0:
            vfs.put(slot[0])
    path_done(addr(pa))
    return err


def rmdir_path(pa: Ptr[Path]) -> i64:
    dots: u32 = last_dots(pa.name)
    if dots == 1:
        return -errno.EINVAL
    if dots == 2:
        return -errno.ENOTEMPTY
    return vfs.rmdir(addr(pa.cred), process.current().root, pa.base, pa.name)


def unlink_at(dirfd: u64, user_path: u64, flags: u64) -> i64:
    if (flags & ~u64(AT_REMOVEDIR)) != 0:
        return -errno.EINVAL
    pa: Path = Path()
    err: i64 = path_in(dirfd, user_path, False, addr(pa))
    if err >= 0:
        if (flags & AT_REMOVEDIR) != 0:
            err = rmdir_path(addr(pa))
        else:
            err = vfs.unlink(addr(pa.cred), process.current().root, pa.base, pa.name)
    path_done(addr(pa))
    return err


def two_paths_in(olddirfd: u64, old_path: u64, newdirfd: u64, new_path: u64, a: Ptr[Path], b: Ptr[Path]) -> i64:
    """path_in for both paths of rename and link; path_done both afterwards, whatever this returns."""
    err: i64 = path_in(olddirfd, old_path, False, a)
    if err >= 0:
        err = path_in(newdirfd, new_path, False, b)
    return err


RENAME_NOREPLACE: Final = 1


def rename_at(olddirfd: u64, old_path: u64, newdirfd: u64, new_path: u64, flags: u64) -> i64:
    """renameat2 takes RENAME_NOREPLACE; RENAME_EXCHANGE and RENAME_WHITEOUT are EINVAL, as on a
    filesystem without them."""
    if (flags & ~u64(RENAME_NOREPLACE)) != 0:
        return -errno.EINVAL
    a: Path = Path()
    b: Path = Path()
    err: i64 = two_paths_in(olddirfd, old_path, newdirfd, new_path, addr(a), addr(b))
    if err >= 0:
        err = vfs.rename_at(addr(a.cred), process.current().root, a.base, a.name, b.base, b.name,
                            (flags & RENAME_NOREPLACE) != 0)
    path_done(addr(a))
    path_done(addr(b))
    return err


def link_at(olddirfd: u64, old_path: u64, newdirfd: u64, new_path: u64, flags: u64) -> i64:
    if (flags & ~u64(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0:
        return -errno.EINVAL
    a: Path = Path()
    b: Path = Path()
    err: i64 = two_paths_in(olddirfd, old_path, newdirfd, new_path, addr(a), addr(b))
    if err >= 0:
        err = vfs.link_at(addr(a.cred), process.current().root, a.base, a.name, b.base, b.name,
                          (flags & AT_SYMLINK_FOLLOW) != 0)
    path_done(addr(a))
    path_done(addr(b))
    return err


def symlink_at(user_target: u64, newdirfd: u64, user_path: u64) -> i64:
    p: Ptr[Process] = process.current()
    target: Ptr[u8] = path_buffer()
    if target == NULL:
        return -errno.ENOMEM
    err: i64 = uaccess.copy_string_in(p.space, target, user_target, u64(PATH_MAX))
    if err == 0:
        err = -errno.ENOENT
    pa: Path = Path()
    if err >= 0:
        err = path_in(newdirfd, user_path, False, addr(pa))
    if err >= 0:
        err = vfs.symlink(addr(pa.cred), p.root, pa.base, target, pa.name)
    path_done(addr(pa))
    free_path_buffer(target)
    return err


def readlink_at(dirfd: u64, user_path: u64, user_buf: u64, size: u64) -> i64:
    if int_arg(size) <= 0:
        return -errno.EINVAL
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(dirfd, user_path, False, False, addr(slot))
    if err < 0:
        return err
    buf: Ptr[u8] = path_buffer()
    if buf == NULL:
        err = -errno.ENOMEM
    elif not vfs.is_symlink(slot[0]):
        err = -errno.EINVAL
    else:
        err = vfs.read_link(slot[0], buf, usize(PATH_MAX))
    if err > 0:
        err = i64(min_u64(u64(err), u64(int_arg(size))))
        if uaccess.copy_out(process.current().space, user_buf, buf, u64(err)) < 0:
            err = -errno.EFAULT
    free_path_buffer(buf)
    vfs.put(slot[0])
    return err


def sys_rename(f: Ptr[TrapFrame]) -> i64:
    return rename_at(u64(i64(AT_FDCWD)), f.rdi, u64(i64(AT_FDCWD)), f.rsi, u64(0))


def sys_renameat(f: Ptr[TrapFrame]) -> i64:
    return rename_at(f.rdi, f.rsi, f.rdx, f.r10, u64(0))


def sys_renameat2(f: Ptr[TrapFrame]) -> i64:
    return rename_at(f.rdi, f.rsi, f.rdx, f.r10, u64(u32(f.r8)))


def sys_mkdir(f: Ptr[TrapFrame]) -> i64:
    return mkdir_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi)


def sys_mkdirat(f: Ptr[TrapFrame]) -> i64:
    return mkdir_at(f.rdi, f.rsi, f.rdx)


def sys_mknod(f: Ptr[TrapFrame]) -> i64:
    return mknod_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi)


def sys_mknodat(f: Ptr[TrapFrame]) -> i64:
    return mknod_at(f.rdi, f.rsi, f.rdx)


def sys_rmdir(f: Ptr[TrapFrame]) -> i64:
    return unlink_at(u64(i64(AT_FDCWD)), f.rdi, u64(AT_REMOVEDIR))


def sys_unlink(f: Ptr[TrapFrame]) -> i64:
    return unlink_at(u64(i64(AT_FDCWD)), f.rdi, u64(0))


def sys_unlinkat(f: Ptr[TrapFrame]) -> i64:
    return unlink_at(f.rdi, f.rsi, u64(u32(f.rdx)))


def sys_link(f: Ptr[TrapFrame]) -> i64:
    return link_at(u64(i64(AT_FDCWD)), f.rdi, u64(i64(AT_FDCWD)), f.rsi, u64(0))


def sys_linkat(f: Ptr[TrapFrame]) -> i64:
    return link_at(f.rdi, f.rsi, f.rdx, f.r10, u64(u32(f.r8)))


def sys_symlink(f: Ptr[TrapFrame]) -> i64:
    return symlink_at(f.rdi, u64(i64(AT_FDCWD)), f.rsi)


def sys_symlinkat(f: Ptr[TrapFrame]) -> i64:
    return symlink_at(f.rdi, f.rsi, f.rdx)


def sys_readlink(f: Ptr[TrapFrame]) -> i64:
    return readlink_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, f.rdx)


def sys_readlinkat(f: Ptr[TrapFrame]) -> i64:
    return readlink_at(f.rdi, f.rsi, f.rdx, f.r10)


def init() -> None:
    define(SYS_RENAME, sys_rename, FULL, NULL)
    define(SYS_MKDIR, sys_mkdir, FULL, NULL)
    define(SYS_RMDIR, sys_rmdir, FULL, NULL)
    define(SYS_LINK, sys_link, FULL, NULL)
    define(SYS_UNLINK, sys_unlink, FULL, NULL)
    define(SYS_SYMLINK, sys_symlink, FULL, NULL)
    define(SYS_READLINK, sys_readlink, FULL, NULL)
    define(SYS_MKDIRAT, sys_mkdirat, FULL, NULL)
    define(SYS_MKNOD, sys_mknod, PARTIAL,
           b"regular files, FIFOs and socket names (memfs); device nodes EPERM (no filesystem backs them)")
    define(SYS_MKNODAT, sys_mknodat, PARTIAL,
           b"regular files, FIFOs and socket names (memfs); device nodes EPERM (no filesystem backs them)")
    define(SYS_UNLINKAT, sys_unlinkat, FULL, NULL)
    define(SYS_RENAMEAT, sys_renameat, FULL, NULL)
    define(SYS_LINKAT, sys_linkat, PARTIAL, b"AT_EMPTY_PATH is accepted but an empty path is ENOENT")
    define(SYS_SYMLINKAT, sys_symlinkat, FULL, NULL)
    define(SYS_READLINKAT, sys_readlinkat, PARTIAL, b"an empty path (the dirfd's own symlink) is ENOENT")
    define(SYS_RENAMEAT2, sys_renameat2, PARTIAL,
           b"flags must be 0 (no RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT)")
