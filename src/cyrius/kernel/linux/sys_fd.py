"""Descriptors: open/openat/creat and close, dup/dup2/dup3, fcntl (with its record locks), flock,
pipe/pipe2 and ioctl. Locks are fs/lock.py's; this module only decodes struct flock and picks the
owner: the process for F_SETLK, the open file for F_OFD_SETLK and flock."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i16, i32, i64, sizeof, struct, u8, u32, u64

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import devfs, file, lock, memfs, pipe, vfs
from ..fs.file import File
from ..mm import uaccess
from ..proc import process, task
from ..proc.task import Process
from ..tty import sys_tty
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_CLOSE, SYS_CLOSE_RANGE, SYS_CREAT, SYS_DUP, SYS_DUP2, SYS_DUP3, SYS_FCNTL, SYS_FLOCK,
                            SYS_IOCTL, SYS_OPEN, SYS_OPENAT, SYS_PIPE, SYS_PIPE2)
from .fsargs import AT_FDCWD, Path, fd_limit, get_file, int_arg, min_u64, path_done, path_in


O_LARGEFILE: Final = 0o100000


O_TMPFILE_BIT: Final = 0o20000000


F_DUPFD: Final = 0


F_GETFD: Final = 1


F_SETFD: Final = 2


F_GETFL: Final = 3


F_SETFL: Final = 4


F_DUPFD_CLOEXEC: Final = 1030
F_ADD_SEALS: Final = 1033
F_GET_SEALS: Final = 1034


SETFL_MASK: Final = file.O_APPEND | file.O_NONBLOCK

F_GETLK: Final = 5
F_SETLK: Final = 6
F_SETLKW: Final = 7
F_OFD_GETLK: Final = 36
F_OFD_SETLK: Final = 37
F_OFD_SETLKW: Final = 38

LOCK_SH: Final = 1
LOCK_EX: Final = 2
LOCK_NB: Final = 4
LOCK_UN: Final = 8


@struct
class Flock:
    """Linux's struct flock on x86_64."""
    l_type: i16
    l_whence: i16
    pad: u32
    l_start: i64
    l_len: i64
    l_pid: i32
    pad2: u32




FIONREAD: Final = 0x541B


FIONBIO: Final = 0x5421


FIONCLEX: Final = 0x5450


FIOCLEX: Final = 0x5451


def open_path(pa: Ptr[Path], flags: u32, mode: u32, out: Ptr[Ptr[File]]) -> i64:
    """file.open for the caller, with its umask."""
    p: Ptr[Process] = process.current()
    return file.open(addr(pa.cred), p.root, pa.base, pa.name, flags, mode & ~p.umask & 0o7777, out)


def open_at(dirfd: u64, user_path: u64, flags: u64, mode: u64) -> i64:
    if (flags & O_TMPFILE_BIT) != 0:
        return -errno.EOPNOTSUPP
    pa: Path = Path()
    slot: Array[Ptr[File], 1] = Array[Ptr[File], 1]()
    err: i64 = path_in(dirfd, user_path, False, addr(pa))
    if err >= 0:
        err = open_path(addr(pa), u32(flags), u32(mode), addr(slot))
    path_done(addr(pa))
    if err < 0:
        return err
    return process.fd_install(process.current(), slot[0], (flags & file.O_CLOEXEC) != 0, i64(0))


def make_pipe(user_fds: u64, flags: u64) -> i64:
    if (flags & ~u64(file.O_CLOEXEC | file.O_NONBLOCK)) != 0:
        return -errno.EINVAL
    p: Ptr[Process] = process.current()
    ends: Array[Ptr[File], 2] = Array[Ptr[File], 2]()
    err: i64 = pipe.create(u32(flags), p.euid, p.egid, addr(ends))
    if err < 0:
        return err
    cloexec: bool = (flags & file.O_CLOEXEC) != 0
    r: i64 = process.fd_install(p, ends[0], cloexec, i64(0))
    if r < 0:
        file.close(ends[1])
        return r
    w: i64 = process.fd_install(p, ends[1], cloexec, i64(0))
    if w < 0:
        process.fd_close(p, r)
        return w
    fds: Array[i32, 2] = Array[i32, 2]()
    fds[0] = i32(r)
    fds[1] = i32(w)
    if uaccess.copy_out(p.space, user_fds, cast(Ptr[u8], addr(fds)), u64(8)) < 0:
        process.fd_close(p, r)
        process.fd_close(p, w)
        return -errno.EFAULT
    return 0


def dup_lowest(fd: u64, lowest: i64, cloexec: bool) -> i64:
    p: Ptr[Process] = process.current()
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    if lowest < 0 or lowest >= fd_limit(p):
        return -errno.EINVAL
    return process.fd_install(p, file.dup(f), cloexec, lowest)


def dup_to(oldfd: u64, newfd: u64, cloexec: bool) -> i64:
    """dup2/dup3: newfd (closed first if open) becomes a copy of oldfd."""
    p: Ptr[Process] = process.current()
    f: Ptr[File] = get_file(oldfd)
    if f == NULL:
        return -errno.EBADF
    target: i64 = int_arg(newfd)
    if target < 0 or target >= fd_limit(p):
        return -errno.EBADF
    if target == int_arg(oldfd):
        return target
    if process.fd_get(p, target) != NULL:
        process.fd_close(p, target)
    return process.fd_install(p, file.dup(f), cloexec, target)


def fcntl(fd: u64, cmd: u64, arg: u64) -> i64:
    p: Ptr[Process] = process.current()
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    n: i64 = int_arg(fd)
    c: u32 = u32(cmd)
    if c == F_DUPFD or c == F_DUPFD_CLOEXEC:
        if arg >= u64(fd_limit(p)):
            return -errno.EINVAL
        return dup_lowest(fd, i64(arg), c == F_DUPFD_CLOEXEC)
    if c == F_GETFD:
        return i64(p.fd_flags[n] & task.FD_CLOEXEC)
    if c == F_SETFD:
        p.fd_flags[n] = u8(arg & task.FD_CLOEXEC)
        return 0
    if c == F_GETFL:
        return i64((f.flags & file.KEPT_FLAGS) | O_LARGEFILE)
    if c == F_SETFL:
        f.flags = (f.flags & ~u32(SETFL_MASK)) | (u32(arg) & SETFL_MASK)
        return 0
    if c == F_ADD_SEALS:
        if not file.writable(f):
            return -errno.EPERM
        return memfs.add_seals(f.inode, u32(arg))
    if c == F_GET_SEALS:
        return memfs.seals_of(f.inode)
    if (c >= F_GETLK and c <= F_SETLKW) or (c >= F_OFD_GETLK and c <= F_OFD_SETLKW):
        if (f.flags & file.O_PATH) != 0:
            return -errno.EBADF
        return record_lock(f, c, arg)
    return -errno.EINVAL


def lock_range(f: Ptr[File], fl: Ptr[Flock], out: Ptr[lock.Lock]) -> i64:
    """struct flock's whence, start and length as an inclusive range in out (Linux's rules: length
    0 is to the end of the file, a negative one ends just before start)."""
    base: i64 = 0
    if fl.l_whence == file.SEEK_CUR:
        base = i64(f.offset)
    elif fl.l_whence == file.SEEK_END:
        base = i64(f.inode.size)
    elif fl.l_whence != file.SEEK_SET:
        return -errno.EINVAL
    start: i64 = base + fl.l_start
    if start < 0:
        return -errno.EINVAL
    end: i64 = lock.OFFSET_MAX
    if fl.l_len > 0:
        if fl.l_len - 1 > lock.OFFSET_MAX - start:
            return -errno.EOVERFLOW
        end = start + (fl.l_len - 1)
    elif fl.l_len < 0:
        if start + fl.l_len < 0:
            return -errno.EINVAL
        end = start - 1
        start = start + fl.l_len
    out.start = start
    out.end = end
    return 0


def record_lock(f: Ptr[File], cmd: u32, arg: u64) -> i64:
    """F_GETLK/F_SETLK/F_SETLKW and their OFD forms."""
    p: Ptr[Process] = process.current()
    fl: Flock = Flock()
    if uaccess.copy_in(p.space, cast(Ptr[u8], addr(fl)), arg, u64(sizeof(Flock))) < 0:
        return -errno.EFAULT
    ofd: bool = cmd >= F_OFD_GETLK
    if ofd and fl.l_pid != 0:
        return -errno.EINVAL
    want: u32 = u32(fl.l_type)
    if fl.l_type < 0 or want > lock.F_UNLCK:
        return -errno.EINVAL
    r: lock.Lock = lock.Lock()
    err: i64 = lock_range(f, addr(fl), addr(r))
    if err < 0:
        return err
    kind: u32 = u32(lock.OFD) if ofd else u32(lock.POSIX)
    owner: u64 = cast(u64, f) if ofd else cast(u64, p)
    if cmd == F_GETLK or cmd == F_OFD_GETLK:
        if want == lock.F_UNLCK:
            return -errno.EINVAL
        held: lock.Lock = lock.Lock()
        if not lock.get(f.inode, kind, owner, want, r.start, r.end, addr(held)):
            fl.l_type = i16(lock.F_UNLCK)
        else:
            fl.l_type = i16(held.type)
            fl.l_whence = i16(file.SEEK_SET)
            fl.l_start = held.start
            fl.l_len = 0
            if held.end != lock.OFFSET_MAX:
                fl.l_len = held.end - held.start + 1
            fl.l_pid = -1
            if held.kind == lock.POSIX:
                fl.l_pid = i32(process.pid_of(p, process.find(held.pid)))
        if uaccess.copy_out(p.space, arg, cast(Ptr[u8], addr(fl)), u64(sizeof(Flock))) < 0:
            return -errno.EFAULT
        return 0
    if (want == lock.F_RDLCK and not file.readable(f)) or (want == lock.F_WRLCK and not file.writable(f)):
        return -errno.EBADF
    wait: bool = cmd == F_SETLKW or cmd == F_OFD_SETLKW
    return lock.lock(f.inode, kind, owner, p.pid, want, r.start, r.end, wait)


def flock(fd: u64, op: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    if (f.flags & file.O_PATH) != 0:
        return -errno.EBADF
    how: u64 = op & ~u64(LOCK_NB)
    want: u32 = u32(lock.F_UNLCK)
    if how == LOCK_SH:
        want = u32(lock.F_RDLCK)
    elif how == LOCK_EX:
        want = u32(lock.F_WRLCK)
    elif how != LOCK_UN:
        return -errno.EINVAL
    return lock.lock(f.inode, u32(lock.FLOCK), cast(u64, f), process.current().pid, want, 0, 0,
                     (op & LOCK_NB) == 0)


def is_terminal(node: Ptr[vfs.Inode]) -> bool:
    """/dev/tty or /dev/console: the console terminal sys_tty serves."""
    return (node.ops == addr(devfs.ops) and (node.mode & vfs.S_IFMT) == vfs.S_IFCHR
            and (node.rdev == devfs.DEV_TTY or node.rdev == devfs.DEV_CONSOLE))


def ioctl(fd: u64, request: u64, arg: u64) -> i64:
    p: Ptr[Process] = process.current()
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    r: u32 = u32(request)
    if r == FIOCLEX or r == FIONCLEX:
        p.fd_flags[int_arg(fd)] = u8(task.FD_CLOEXEC) if r == FIOCLEX else u8(0)
        return 0
    if r == FIONBIO:
        box: Array[u32, 1] = Array[u32, 1]()
        if uaccess.copy_in(p.space, cast(Ptr[u8], addr(box)), arg, u64(4)) < 0:
            return -errno.EFAULT
        f.flags &= ~u32(file.O_NONBLOCK)
        if box[0] != 0:
            f.flags |= file.O_NONBLOCK
        return 0
    if is_terminal(f.inode):
        return sys_tty.ioctl(u64(r), arg)
    if r == FIONREAD:
        if pipe.is_pipe(f):
            return uaccess.put_u32(p.space, arg, pipe.available(f.inode))
        if (f.inode.mode & vfs.S_IFMT) == vfs.S_IFREG:
            left: u64 = 0
            if f.inode.size > f.offset:
                left = f.inode.size - f.offset
            return uaccess.put_u32(p.space, arg, u32(min_u64(left, u64(0x7FFFFFFF))))
    return -errno.ENOTTY


def sys_open(f: Ptr[TrapFrame]) -> i64:
    return open_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, f.rdx)


def sys_openat(f: Ptr[TrapFrame]) -> i64:
    return open_at(f.rdi, f.rsi, f.rdx, f.r10)


def sys_creat(f: Ptr[TrapFrame]) -> i64:
    return open_at(u64(i64(AT_FDCWD)), f.rdi, u64(file.O_CREAT | file.O_WRONLY | file.O_TRUNC), f.rsi)


def sys_close(f: Ptr[TrapFrame]) -> i64:
    return process.fd_close(process.current(), int_arg(f.rdi))


CLOSE_RANGE_UNSHARE: Final = 2
CLOSE_RANGE_CLOEXEC: Final = 4


def sys_close_range(f: Ptr[TrapFrame]) -> i64:
    """close_range(first, last, flags), all unsigned ints (glibc's closefrom, Python's subprocess in the
    child). CLOSE_RANGE_UNSHARE gives the caller a table of its own: it has one unless it is one of
    several threads, which share theirs (that is refused)."""
    first: u64 = u64(u32(f.rdi))
    last: u64 = u64(u32(f.rsi))
    flags: u32 = u32(f.rdx)
    if (flags & ~u32(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) != 0 or first > last:
        return -errno.EINVAL
    p: Ptr[Process] = process.current()
    if (flags & CLOSE_RANGE_UNSHARE) != 0 and p.threads != NULL and p.threads.group_next != NULL:
        return -errno.EINVAL
    process.fd_close_range(p, first, last, (flags & CLOSE_RANGE_CLOEXEC) != 0)
    return 0


def sys_pipe(f: Ptr[TrapFrame]) -> i64:
    return make_pipe(f.rdi, u64(0))


def sys_pipe2(f: Ptr[TrapFrame]) -> i64:
    return make_pipe(f.rdi, f.rsi)


def sys_dup(f: Ptr[TrapFrame]) -> i64:
    return dup_lowest(f.rdi, i64(0), False)


def sys_dup2(f: Ptr[TrapFrame]) -> i64:
    return dup_to(f.rdi, f.rsi, False)


def sys_dup3(f: Ptr[TrapFrame]) -> i64:
    if (f.rdx & ~u64(file.O_CLOEXEC)) != 0 or int_arg(f.rdi) == int_arg(f.rsi):
        return -errno.EINVAL
    return dup_to(f.rdi, f.rsi, f.rdx != 0)


def sys_fcntl(f: Ptr[TrapFrame]) -> i64:
    return fcntl(f.rdi, f.rsi, f.rdx)


def sys_flock(f: Ptr[TrapFrame]) -> i64:
    return flock(f.rdi, f.rsi)


def sys_ioctl(f: Ptr[TrapFrame]) -> i64:
    return ioctl(f.rdi, f.rsi, f.rdx)


def init() -> None:
    pipe.init()
    lock.init()
    define(SYS_OPEN, sys_open, PARTIAL, b"O_TMPFILE: EOPNOTSUPP")
    define(SYS_CLOSE, sys_close, FULL, NULL)
    define(SYS_CLOSE_RANGE, sys_close_range, PARTIAL, b"CLOSE_RANGE_UNSHARE from one of several threads: EINVAL")
    define(SYS_IOCTL, sys_ioctl, PARTIAL, b"terminal (termios, job control, window size), FIONREAD, FIONBIO, FIOCLEX")
    define(SYS_PIPE, sys_pipe, FULL, NULL)
    define(SYS_DUP, sys_dup, FULL, NULL)
    define(SYS_DUP2, sys_dup2, FULL, NULL)
    define(SYS_FCNTL, sys_fcntl, PARTIAL,
           b"F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL, record locks (F_GETLK/F_SETLK/F_SETLKW and "
           b"F_OFD_GETLK/SETLK/SETLKW); no owners, leases or notifications")
    define(SYS_FLOCK, sys_flock, FULL, NULL)
    define(SYS_CREAT, sys_creat, FULL, NULL)
    define(SYS_OPENAT, sys_openat, PARTIAL, b"O_TMPFILE: EOPNOTSUPP")
    define(SYS_DUP3, sys_dup3, FULL, NULL)
    define(SYS_PIPE2, sys_pipe2, PARTIAL, b"O_CLOEXEC and O_NONBLOCK; no O_DIRECT (packet) pipes")
