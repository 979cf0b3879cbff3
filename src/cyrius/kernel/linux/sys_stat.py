"""The stat family and metadata: stat/lstat/fstat/newfstatat, statx, statfs, access, chmod, chown,
utimensat, truncate and umask."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u16, u32, u64

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import file, vfs
from ..fs.file import File
from ..mm import uaccess
from ..proc import caps, cred, process
from ..proc.task import Process
from . import sys_rw
from .syscalls import FULL, PARTIAL, define
from .fsargs import (AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_SYMLINK_NOFOLLOW, caller_may, get_file,
                     int_arg, lookup_flagged, lookup_user)
from .syscall_names import (SYS_ACCESS, SYS_CHMOD, SYS_CHOWN, SYS_FACCESSAT, SYS_FACCESSAT2, SYS_FCHMOD, SYS_FCHMODAT,
                            SYS_FCHOWN, SYS_FCHOWNAT, SYS_FSTAT, SYS_FSTATFS, SYS_FTRUNCATE, SYS_LCHOWN, SYS_LSTAT,
                            SYS_NEWFSTATAT, SYS_STAT, SYS_STATFS, SYS_STATX, SYS_TRUNCATE, SYS_UMASK, SYS_UTIMENSAT)


AT_STATX_SYNC_TYPE: Final = 0x6000


STATX_BASIC_STATS: Final = 0x7FF


STATX_RESERVED: Final = 0x80000000


UTIME_NOW: Final = 0x3FFFFFFF


UTIME_OMIT: Final = 0x3FFFFFFE
S_ISGID: Final = 0o2000  # chmod drops it for a caller outside the file's group without CAP_FSETID


ST_VALID: Final = 0x20


@struct
class LinuxStatFs:  # struct statfs, x86_64 (120 bytes)
    f_type: i64
    f_bsize: i64
    f_blocks: u64
    f_bfree: u64
    f_bavail: u64
    f_files: u64
    f_ffree: u64
    f_fsid: Array[i32, 2]
    f_namelen: i64
    f_frsize: i64
    f_flags: i64
    f_spare: Array[i64, 4]


def put_stat(node: Ptr[vfs.Inode], user: u64) -> i64:
    st: vfs.Stat = vfs.Stat()
    vfs.fill_stat(node, addr(st))
    if uaccess.copy_out(process.current().space, user, cast(Ptr[u8], addr(st)), u64(sizeof(vfs.Stat))) < 0:
        return -errno.EFAULT
    return 0


def stat_at(dirfd: u64, user_path: u64, user_buf: u64, flags: u64) -> i64:
    if (flags & ~u64(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) != 0:
        return -errno.EINVAL
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_flagged(dirfd, user_path, flags, addr(slot))
    if err < 0:
        return err
    err = put_stat(slot[0], user_buf)
    vfs.put(slot[0])
    return err


@struct
class StatxTime:
    sec: i64
    nsec: u32
    pad: u32


@struct
class Statx:
    """struct statx (256 bytes)."""
    mask: u32
    blksize: u32
    attributes: u64
    nlink: u32
    uid: u32
    gid: u32
    mode: u16
    pad1: u16
    ino: u64
    size: u64
    blocks: u64
    attributes_mask: u64
    atime: StatxTime
    btime: StatxTime
    ctime: StatxTime
    mtime: StatxTime
    rdev_major: u32
    rdev_minor: u32
    dev_major: u32
    dev_minor: u32
    spare: Array[u64, 14]


def set_statx_time(t: Ptr[StatxTime], ns: u64) -> None:
    t.sec = i64(ns // 1000000000)
    t.nsec = u32(ns % 1000000000)


def statx_at(dirfd: u64, user_path: u64, flags: u64, mask: u64, user_buf: u64) -> i64:
    """statx: the basic stats (no birth time), whatever the mask asks; sync flags change nothing here."""
    if (flags & ~u64(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) != 0:
        return -errno.EINVAL
    if (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE or (mask & STATX_RESERVED) != 0:
        return -errno.EINVAL
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_flagged(dirfd, user_path, flags, addr(slot))
    if err < 0:
        return err
    st: vfs.Stat = vfs.Stat()
    vfs.fill_stat(slot[0], addr(st))
    vfs.put(slot[0])
    sx: Statx = Statx()
    sx.mask = STATX_BASIC_STATS
    sx.blksize = u32(st.st_blksize)
    sx.nlink = u32(st.st_nlink)
    sx.uid = st.st_uid
    sx.gid = st.st_gid
    sx.mode = u16(st.st_mode)
    sx.ino = st.st_ino
    sx.size = u64(st.st_size)
    sx.blocks = u64(st.st_blocks)
    set_statx_time(addr(sx.atime), st.st_atime * 1000000000 + st.st_atime_nsec)
    set_statx_time(addr(sx.ctime), st.st_ctime * 1000000000 + st.st_ctime_nsec)
    set_statx_time(addr(sx.mtime), st.st_mtime * 1000000000 + st.st_mtime_nsec)
    sx.rdev_major = dev_major(st.st_rdev)
    sx.rdev_minor = dev_minor(st.st_rdev)
    sx.dev_major = dev_major(st.st_dev)
    sx.dev_minor = dev_minor(st.st_dev)
    if uaccess.copy_out(process.current().space, user_buf, cast(Ptr[u8], addr(sx)), u64(sizeof(Statx))) < 0:
        return -errno.EFAULT
    return 0


def dev_major(dev: u64) -> u32:
    """Linux's dev_t encoding (new_decode_dev), as st_dev and st_rdev carry it."""
    return u32((dev >> 8) & 0xFFF)


def dev_minor(dev: u64) -> u32:
    return u32((dev & 0xFF) | ((dev >> 12) & 0xFFF00))


def fstat(fd: u64, user_buf: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    return put_stat(f.inode, user_buf)


def access_at(dirfd: u64, user_path: u64, mode: u64, flags: u64) -> i64:
    if (mode & ~u64(vfs.R_OK | vfs.W_OK | vfs.X_OK)) != 0:
        return -errno.EINVAL
    if (flags & ~u64(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0:
        return -errno.EINVAL
    p: Ptr[Process] = process.current()
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_flagged(dirfd, user_path, flags, addr(slot))
    if err < 0:
        return err
    who: vfs.Cred = vfs.Cred()  # access() asks for the real ids, AT_EACCESS for the effective ones
    process.cred_of(p, addr(who))
    if (flags & AT_EACCESS) == 0:
        who.uid = p.uid
        who.gid = p.gid
        if p.uid != 0:
            who.caps = 0  # as Linux: the real ids' capabilities are root's permitted set, or none
        else:
            who.caps = p.cap_permitted
    if not vfs.permitted(addr(who), slot[0], u32(mode)):
        err = -errno.EACCES
    vfs.put(slot[0])
    return err


def read_only(node: Ptr[vfs.Inode]) -> bool:
    """node is on a read-only mount of the caller's world: its attributes cannot change (EROFS)."""
    return (vfs.node_flags(process.current().world, node) & vfs.MNT_RDONLY) != 0


def chmod_node(node: Ptr[vfs.Inode], mode: u64) -> i64:
    """The owner or CAP_FOWNER; the set-group-ID bit goes unless the caller is in the file's group
    or has CAP_FSETID."""
    p: Ptr[Process] = process.current()
    if read_only(node):
        return -errno.EROFS
    if p.euid != node.uid and not cred.capable(p, u32(caps.CAP_FOWNER)):
        return -errno.EPERM
    if not cred.in_group(p, node.gid) and not cred.capable(p, u32(caps.CAP_FSETID)):
        mode &= ~u64(S_ISGID)
    return vfs.set_mode(node, u32(mode))


def chown_node(node: Ptr[vfs.Inode], uid: u64, gid: u64) -> i64:
    """CAP_CHOWN may give a file to anyone; its owner may only hand it to one of their groups."""
    p: Ptr[Process] = process.current()
    u: u32 = u32(uid)
    g: u32 = u32(gid)
    if read_only(node):
        return -errno.EROFS
    if not cred.capable(p, u32(caps.CAP_CHOWN)):
        if u != vfs.KEEP_ID and u != node.uid:
            return -errno.EPERM
        if g != vfs.KEEP_ID and (p.euid != node.uid or (not cred.in_group(p, g) and g != node.gid)):
            return -errno.EPERM
    return vfs.set_owner(node, u, g)


def chmod_at(dirfd: u64, user_path: u64, mode: u64) -> i64:
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(dirfd, user_path, True, False, addr(slot))
    if err < 0:
        return err
    err = chmod_node(slot[0], mode)
    vfs.put(slot[0])
    return err


def chown_at(dirfd: u64, user_path: u64, uid: u64, gid: u64, flags: u64) -> i64:
    if (flags & ~u64(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0:
        return -errno.EINVAL
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_flagged(dirfd, user_path, flags, addr(slot))
    if err < 0:
        return err
    err = chown_node(slot[0], uid, gid)
    vfs.put(slot[0])
    return err


def times_node(node: Ptr[vfs.Inode], user_times: u64) -> i64:
    """utimensat on one inode. user_times: two timespecs (access, modification), each a time,
    UTIME_NOW or UTIME_OMIT; 0 means both now. Explicit times need the owner (or root); "now" also
    suits anyone who may write the file."""
    p: Ptr[Process] = process.current()
    if read_only(node):
        return -errno.EROFS
    ts: Array[u64, 4] = Array[u64, 4]()  # sec, nsec, sec, nsec
    if user_times == 0:
        ts[1] = UTIME_NOW
        ts[3] = UTIME_NOW
    elif uaccess.copy_in(p.space, cast(Ptr[u8], addr(ts)), user_times, u64(32)) < 0:
        return -errno.EFAULT
    now: u64 = vfs.now_ns()
    explicit: bool = False
    for i in range(2):
        nsec: u64 = ts[2 * i + 1]
        if nsec == UTIME_NOW:
            ts[2 * i] = now
        elif nsec != UTIME_OMIT:
            if nsec >= 1000000000 or i64(ts[2 * i]) < 0:
                return -errno.EINVAL
            ts[2 * i] = ts[2 * i] * 1000000000 + nsec
            explicit = True
    if ts[1] == UTIME_OMIT and ts[3] == UTIME_OMIT:
        return 0
    if p.euid != node.uid and not cred.capable(p, u32(caps.CAP_FOWNER)):
        if explicit:
            return -errno.EPERM
        if not caller_may(node, u32(vfs.W_OK)):
            return -errno.EACCES
    return vfs.set_times(node, ts[0], ts[1] != UTIME_OMIT, ts[2], ts[3] != UTIME_OMIT)


def times_at(dirfd: u64, user_path: u64, user_times: u64, flags: u64) -> i64:
    """utimensat; a NULL path means the file dirfd is open on (futimens)."""
    if (flags & ~u64(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0:
        return -errno.EINVAL
    if user_path == 0:
        fl: Ptr[File] = get_file(dirfd)
        if fl == NULL:
            return -errno.EBADF if int_arg(dirfd) != AT_FDCWD else -errno.EFAULT
        return times_node(fl.inode, user_times)
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_flagged(dirfd, user_path, flags, addr(slot))
    if err < 0:
        return err
    err = times_node(slot[0], user_times)
    vfs.put(slot[0])
    return err


def truncate_node(node: Ptr[vfs.Inode], length: u64) -> i64:
    if i64(length) < 0:
        return -errno.EINVAL
    if vfs.is_dir(node):
        return -errno.EISDIR
    if (node.mode & vfs.S_IFMT) != vfs.S_IFREG or node.ops.truncate == NULL:
        return -errno.EINVAL
    if read_only(node):
        return -errno.EROFS
    if node.write_denied != 0:
        return -errno.ETXTBSY
    if sys_rw.too_big(node, length):
        return sys_rw.file_too_big()  # RLIMIT_FSIZE
    return node.ops.truncate(node, length)


def truncate_path(user_path: u64, length: u64) -> i64:
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(u64(i64(AT_FDCWD)), user_path, True, False, addr(slot))
    if err < 0:
        return err
    if not vfs.is_dir(slot[0]) and not caller_may(slot[0], u32(vfs.W_OK)):
        err = -errno.EACCES
    else:
        err = truncate_node(slot[0], length)
    vfs.put(slot[0])
    return err


def ftruncate(fd: u64, length: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    if i64(length) < 0 or not file.writable(f) or vfs.is_dir(f.inode):
        return -errno.EINVAL
    return truncate_node(f.inode, length)


def put_statfs(node: Ptr[vfs.Inode], user: u64) -> i64:
    s: vfs.StatFs = vfs.StatFs()
    s.name_max = vfs.NAME_MAX
    s.block_size = 4096
    if node.ops.statfs != NULL:
        err: i64 = node.ops.statfs(node, addr(s))
        if err < 0:
            return err
    out: LinuxStatFs = LinuxStatFs()
    out.f_type = i64(s.fs_type)
    out.f_bsize = i64(s.block_size)
    out.f_blocks = s.blocks
    out.f_bfree = s.blocks_free
    out.f_bavail = s.blocks_free
    out.f_files = s.files
    out.f_ffree = s.files_free
    out.f_fsid[0] = i32(u32(node.dev))
    out.f_namelen = i64(s.name_max)
    out.f_frsize = i64(s.block_size)
    out.f_flags = ST_VALID
    if uaccess.copy_out(process.current().space, user, cast(Ptr[u8], addr(out)), u64(sizeof(LinuxStatFs))) < 0:
        return -errno.EFAULT
    return 0


def statfs_path(user_path: u64, user_buf: u64) -> i64:
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(u64(i64(AT_FDCWD)), user_path, True, False, addr(slot))
    if err < 0:
        return err
    err = put_statfs(slot[0], user_buf)
    vfs.put(slot[0])
    return err


def fstatfs(fd: u64, user_buf: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    return put_statfs(f.inode, user_buf)


def sys_stat(f: Ptr[TrapFrame]) -> i64:
    return stat_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, u64(0))


def sys_lstat(f: Ptr[TrapFrame]) -> i64:
    return stat_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, u64(AT_SYMLINK_NOFOLLOW))


def sys_fstat(f: Ptr[TrapFrame]) -> i64:
    return fstat(f.rdi, f.rsi)


def sys_newfstatat(f: Ptr[TrapFrame]) -> i64:
    return stat_at(f.rdi, f.rsi, f.rdx, f.r10)


def sys_access(f: Ptr[TrapFrame]) -> i64:
    return access_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, u64(0))


def sys_faccessat(f: Ptr[TrapFrame]) -> i64:
    return access_at(f.rdi, f.rsi, f.rdx, u64(0))


def sys_faccessat2(f: Ptr[TrapFrame]) -> i64:
    return access_at(f.rdi, f.rsi, f.rdx, f.r10)


def sys_chmod(f: Ptr[TrapFrame]) -> i64:
    return chmod_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi)


def sys_fchmod(f: Ptr[TrapFrame]) -> i64:
    fl: Ptr[File] = get_file(f.rdi)
    if fl == NULL:
        return -errno.EBADF
    return chmod_node(fl.inode, f.rsi)


def sys_fchmodat(f: Ptr[TrapFrame]) -> i64:
    return chmod_at(f.rdi, f.rsi, f.rdx)


def sys_chown(f: Ptr[TrapFrame]) -> i64:
    return chown_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, f.rdx, u64(0))


def sys_lchown(f: Ptr[TrapFrame]) -> i64:
    return chown_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, f.rdx, u64(AT_SYMLINK_NOFOLLOW))


def sys_fchown(f: Ptr[TrapFrame]) -> i64:
    fl: Ptr[File] = get_file(f.rdi)
    if fl == NULL:
        return -errno.EBADF
    return chown_node(fl.inode, f.rsi, f.rdx)


def sys_fchownat(f: Ptr[TrapFrame]) -> i64:
    return chown_at(f.rdi, f.rsi, f.rdx, f.r10, u64(u32(f.r8)))


def sys_statx(f: Ptr[TrapFrame]) -> i64:
    return statx_at(f.rdi, f.rsi, u64(u32(f.rdx)), u64(u32(f.r10)), f.r8)


def sys_utimensat(f: Ptr[TrapFrame]) -> i64:
    return times_at(f.rdi, f.rsi, f.rdx, u64(u32(f.r10)))


def sys_umask(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    old: u32 = p.umask
    p.umask = u32(f.rdi) & 0o777
    return i64(old)


def sys_truncate(f: Ptr[TrapFrame]) -> i64:
    return truncate_path(f.rdi, f.rsi)


def sys_ftruncate(f: Ptr[TrapFrame]) -> i64:
    return ftruncate(f.rdi, f.rsi)


def sys_statfs(f: Ptr[TrapFrame]) -> i64:
    return statfs_path(f.rdi, f.rsi)


def sys_fstatfs(f: Ptr[TrapFrame]) -> i64:
    return fstatfs(f.rdi, f.rsi)


def init() -> None:
    define(SYS_STAT, sys_stat, FULL, NULL)
    define(SYS_FSTAT, sys_fstat, FULL, NULL)
    define(SYS_LSTAT, sys_lstat, FULL, NULL)
    define(SYS_ACCESS, sys_access, FULL, NULL)
    define(SYS_TRUNCATE, sys_truncate, FULL, NULL)
    define(SYS_FTRUNCATE, sys_ftruncate, FULL, NULL)
    define(SYS_CHMOD, sys_chmod, FULL, NULL)
    define(SYS_FCHMOD, sys_fchmod, FULL, NULL)
    define(SYS_CHOWN, sys_chown, FULL, NULL)
    define(SYS_FCHOWN, sys_fchown, FULL, NULL)
    define(SYS_LCHOWN, sys_lchown, FULL, NULL)
    define(SYS_UMASK, sys_umask, FULL, NULL)
    define(SYS_STATFS, sys_statfs, FULL, NULL)
    define(SYS_FSTATFS, sys_fstatfs, FULL, NULL)
    define(SYS_FCHOWNAT, sys_fchownat, FULL, NULL)
    define(SYS_UTIMENSAT, sys_utimensat, FULL, NULL)
    define(SYS_STATX, sys_statx, PARTIAL, b"the basic stats; no birth time or mount id")
    define(SYS_NEWFSTATAT, sys_newfstatat, FULL, NULL)
    define(SYS_FCHMODAT, sys_fchmodat, FULL, NULL)
    define(SYS_FACCESSAT, sys_faccessat, FULL, NULL)
    define(SYS_FACCESSAT2, sys_faccessat2, FULL, NULL)
