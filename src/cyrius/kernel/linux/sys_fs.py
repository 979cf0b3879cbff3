"""File-family system calls: descriptors, reading and writing, paths and metadata, pipes, ioctl;
poll, select, epoll and eventfd live in sys_poll.py and are defined here with the rest.

Handlers decode their arguments and call the function doing the work. Shared conventions:
* a path argument is copied into a page-sized PATH_MAX buffer (path_in) and freed by path_done on
  every path out; a relative path starts at the *at call's dirfd (AT_FDCWD: the cwd), an absolute
  one at the process root, which `..` never leaves;
* user buffers are reached only through uaccess, a page-sized kernel bounce buffer at a time;
* a descriptor that is not open is -EBADF (get_file).
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u16, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..dev import bcache
from ..fs import devfs, file, pipe, vfs
from ..fs.file import File
from ..mm import frames, phys, uaccess, uspace
from ..mm.heap import kalloc, kfree
from ..proc import process, task
from ..proc.task import Process
from . import sys_poll
from ..tty import sys_tty
from .syscalls import FULL, PARTIAL, define

AT_FDCWD: Final = -100
AT_SYMLINK_NOFOLLOW: Final = 0x100
AT_REMOVEDIR: Final = 0x200
AT_EACCESS: Final = 0x200
AT_SYMLINK_FOLLOW: Final = 0x400
AT_NO_AUTOMOUNT: Final = 0x800
AT_EMPTY_PATH: Final = 0x1000
AT_STATX_SYNC_TYPE: Final = 0x6000
STATX_BASIC_STATS: Final = 0x7FF
STATX_RESERVED: Final = 0x80000000
POSIX_FADV_NOREUSE: Final = 5
UTIME_NOW: Final = 0x3FFFFFFF
UTIME_OMIT: Final = 0x3FFFFFFE
PATH_MAX: Final = 4096
CHUNK: Final = 4096  # the bounce buffer: one page
MAX_RW: Final = 0x7FFFF000  # Linux's MAX_RW_COUNT: longer reads and writes are cut to this
IOV_MAX: Final = 1024
RLIMIT_NOFILE: Final = 7
O_LARGEFILE: Final = 0o100000
O_TMPFILE_BIT: Final = 0o20000000
F_DUPFD: Final = 0
F_GETFD: Final = 1
F_SETFD: Final = 2
F_GETFL: Final = 3
F_SETFL: Final = 4
F_DUPFD_CLOEXEC: Final = 1030
SETFL_MASK: Final = file.O_APPEND | file.O_NONBLOCK
# What an open File keeps of the open flags (the rest only acts during open).
KEPT_FLAGS: Final = file.O_ACCMODE | file.O_APPEND | file.O_NONBLOCK | file.O_DIRECTORY | file.O_NOFOLLOW | file.O_PATH
FIONREAD: Final = 0x541B
FIONBIO: Final = 0x5421
FIONCLEX: Final = 0x5450
FIOCLEX: Final = 0x5451
ST_VALID: Final = 0x20


@struct
class Path:
    """A path argument copied in, and the directory a relative one starts from."""
    name: Ptr[u8]  # a path_buffer(), NUL-terminated; path_done frees it
    base: Ptr[vfs.Inode]  # not referenced: the cwd or an open descriptor holds it during the call


@struct
class IoVec:  # struct iovec
    base: u64
    len: u64


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


# ---------------------------------------------------------------- shared helpers

def me() -> Ptr[Process]:
    return process.current()


def int_arg(x: u64) -> i64:
    """A C `int` argument (descriptors, dirfd, counts)."""
    return i64(i32(u32(x)))


def min_u64(a: u64, b: u64) -> u64:
    if a < b:
        return a
    return b


def get_file(fd: u64) -> Ptr[File]:
    """The open file behind descriptor fd, or NULL (the caller answers -EBADF)."""
    return process.fd_get(me(), int_arg(fd))


def fd_limit(p: Ptr[Process]) -> i64:
    limit: u64 = p.rlimits[RLIMIT_NOFILE].soft
    if limit > task.MAX_FDS:
        limit = task.MAX_FDS
    return i64(limit)


def fd_inode(dirfd: u64, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The inode a descriptor names (AT_FDCWD: the cwd), for AT_EMPTY_PATH; not referenced."""
    if int_arg(dirfd) == AT_FDCWD:
        out[0] = me().cwd
        return 0
    f: Ptr[File] = get_file(dirfd)
    if f == NULL:
        return -errno.EBADF
    out[0] = f.inode
    return 0


def path_buffer() -> Ptr[u8]:
    """PATH_MAX bytes for a path: one page straight from the frame allocator (a kalloc of 4096
    would take a zeroed two-frame run; bench/ showed that dominating open and stat)."""
    frame: u64 = frames.alloc()
    if frame == 0:
        return NULL
    return phys.bytes_at(frame)


def free_path_buffer(buf: Ptr[u8]) -> None:
    if buf != NULL:
        frames.free(phys.to_phys(cast(u64, buf)))


def path_in(dirfd: u64, user: u64, empty_ok: bool, pa: Ptr[Path]) -> i64:
    """Copy the path at user into pa.name and find where it starts. An empty path is -ENOENT unless
    empty_ok (AT_EMPTY_PATH): then pa.base is the inode dirfd itself names. Call path_done(pa)
    afterwards whatever this returns."""
    p: Ptr[Process] = me()
    pa.base = NULL
    pa.name = path_buffer()
    if pa.name == NULL:
        return -errno.ENOMEM
    n: i64 = uaccess.copy_string_in(p.space, pa.name, user, u64(PATH_MAX))
    if n < 0:
        return n
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if n == 0:
        if not empty_ok:
            return -errno.ENOENT
        err: i64 = fd_inode(dirfd, addr(slot))
        pa.base = slot[0]
        return err
    if pa.name[0] == 0x2F:
        pa.base = p.cwd  # unused: the walk starts at the root
        return 0
    if int_arg(dirfd) == AT_FDCWD:
        pa.base = p.cwd
        return 0
    f: Ptr[File] = get_file(dirfd)
    if f == NULL:
        return -errno.EBADF
    if not vfs.is_dir(f.inode):
        return -errno.ENOTDIR
    pa.base = f.inode
    return 0


def path_done(pa: Ptr[Path]) -> None:
    free_path_buffer(pa.name)
    pa.name = NULL


def lookup(pa: Ptr[Path], follow: bool, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The inode a copied-in path names (one reference in out[0]); an empty path names pa.base."""
    if pa.name[0] == 0:
        out[0] = vfs.get(pa.base)
        return 0
    return vfs.lookup_path(me().root, pa.base, pa.name, follow, out)


def lookup_user(dirfd: u64, user: u64, follow: bool, empty_ok: bool, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """path_in + lookup: the inode a user path names (one reference in out[0])."""
    pa: Path = Path()
    err: i64 = path_in(dirfd, user, empty_ok, addr(pa))
    if err >= 0:
        err = lookup(addr(pa), follow, out)
    path_done(addr(pa))
    return err


def lookup_flagged(dirfd: u64, user: u64, flags: u64, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """lookup_user for the *at calls, with AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH taken from flags."""
    return lookup_user(dirfd, user, (flags & AT_SYMLINK_NOFOLLOW) == 0, (flags & AT_EMPTY_PATH) != 0, out)


def last_dots(name: Ptr[u8]) -> u32:
    """1 if the last component of a path is `.`, 2 if it is `..`, else 0 (trailing slashes ignored)."""
    end: usize = 0
    while name[end] != 0:
        end += 1
    while end > 1 and name[end - 1] == 0x2F:
        end -= 1
    start: usize = end
    while start > 0 and name[start - 1] != 0x2F:
        start -= 1
    n: usize = end - start
    if n == 1 and name[start] == 0x2E:
        return 1
    if n == 2 and name[start] == 0x2E and name[start + 1] == 0x2E:
        return 2
    return 0


def may_change_dir(pa: Ptr[Path]) -> i64:
    """Adding or removing a name needs write and search permission on the directory holding it
    (root always has it: no second walk then). No sticky-bit rules."""
    p: Ptr[Process] = me()
    if p.euid == 0 or pa.name[0] == 0:
        return 0
    w: vfs.Walk = vfs.Walk()
    err: i64 = vfs.resolve(p.root, pa.base, pa.name, u32(vfs.MAY_NOT_EXIST), addr(w))
    if err < 0:
        return err
    if w.parent != NULL and not vfs.permitted(w.parent, p.euid, p.egid, u32(vfs.W_OK | vfs.X_OK)):
        err = -errno.EACCES
    vfs.done(addr(w))
    return err


def own_new(pa: Ptr[Path]) -> None:
    """A file the caller just created belongs to its effective uid and gid."""
    p: Ptr[Process] = me()
    if p.euid == 0 and p.egid == 0:
        return
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if lookup(pa, False, addr(slot)) == 0:
        vfs.change(slot[0], u32(0), p.euid, p.egid, u32(2))
        vfs.put(slot[0])


# ---------------------------------------------------------------- reading and writing

def bounce() -> u64:
    """A page for staging user data (physical address; 0 when memory is exhausted)."""
    return frames.alloc()


def iov_copy(iov: Ptr[IoVec], count: u64, pos: u64, kbuf: Ptr[u8], n: u64, to_user: bool) -> i64:
    """Copy n bytes between kbuf and the user buffers iov[0..count) taken as one run of bytes,
    starting pos bytes into the run; 0 or -EFAULT."""
    s: Ptr[uspace.AddressSpace] = me().space
    i: u64 = 0
    copied: u64 = 0
    while copied < n and i < count:
        v: Ptr[IoVec] = iov + i
        if pos >= v.len:
            pos -= v.len
            i += 1
            continue
        step: u64 = min_u64(v.len - pos, n - copied)
        r: i64 = 0
        if to_user:
            r = uaccess.copy_out(s, v.base + pos, kbuf + copied, step)
        else:
            r = uaccess.copy_in(s, kbuf + copied, v.base + pos, step)
        if r < 0:
            return r
        copied += step
        pos += step
    return 0


def read_chunk(f: Ptr[File], buf: Ptr[u8], n: usize, offset: i64, more: bool) -> i64:
    """One chunk of a read. `more`: something was already transferred, so a stream must not wait
    for further data now (what it has, or 0)."""
    if offset >= 0:
        return file.pread(f, buf, n, u64(offset))
    if more and f.inode.ops.stream_read != NULL:
        got: i64 = f.inode.ops.stream_read(f.inode, buf, n, f.flags | file.O_NONBLOCK)
        if got == -errno.EAGAIN:
            return 0
        return got
    return file.read(f, buf, n)


def piece(f: Ptr[File], buf: Ptr[u8], n: u64, writing: bool, offset: i64, done: u64) -> i64:
    """One piece of a transfer between f and a kernel buffer, `done` bytes into it: at the file
    position (offset < 0) or at offset + done."""
    at: i64 = offset
    if offset >= 0:
        at = offset + i64(done)
    if not writing:
        return read_chunk(f, buf, usize(n), at, done > 0)
    if at >= 0:
        return file.pwrite(f, buf, usize(n), u64(at))
    return file.write(f, buf, usize(n))


def transfer(f: Ptr[File], iov: Ptr[IoVec], count: u64, total: u64, writing: bool, offset: i64) -> i64:
    """read/write/readv/writev/pread64/pwrite64: move `total` bytes between f and the user buffers
    iov[0..count), at the file position (offset < 0) or at offset. The bytes transferred, or -errno
    when nothing was."""
    if (f.flags & file.O_PATH) != 0:
        return -errno.EBADF
    # Writes to pipes and sockets keep the page-sized pieces of the bounce buffer: a piece is what
    # PIPE_BUF atomicity applies to, so pieces must not depend on how the user buffer is aligned.
    if count == 1 and not (writing and file.is_stream(f)):
        return transfer_direct(f, iov.base, total, writing, offset)
    page: u64 = bounce()
    if page == 0:
        return -errno.ENOMEM
    buf: Ptr[u8] = phys.bytes_at(page)
    done: u64 = 0
    result: i64 = 0
    while True:
        n: u64 = min_u64(total - done, u64(CHUNK))
        if writing and iov_copy(iov, count, done, buf, n, False) < 0:
            result = -errno.EFAULT
            break
        got: i64 = piece(f, buf, n, writing, offset, done)
        if not writing and got > 0 and iov_copy(iov, count, done, buf, u64(got), True) < 0:
                result = -errno.EFAULT
                break
        if got < 0:
            result = got
            break
        done += u64(got)
        if u64(got) < n or done == total:
            break
    frames.free(page)
    if done > 0:
        return i64(done)
    return result


def transfer_direct(f: Ptr[File], user: u64, total: u64, writing: bool, offset: i64) -> i64:
    """transfer() for one user buffer without a bounce copy: each piece of it within one page is
    handed to the file through the direct map, after uaccess checked it (and made it present and
    private for a read). Nothing else runs in this address space meanwhile, so the page stays."""
    s: Ptr[uspace.AddressSpace] = me().space
    done: u64 = 0
    result: i64 = 0
    while done < total:
        at_user: u64 = user + done
        n: u64 = min_u64(total - done, u64(CHUNK) - (at_user & (CHUNK - 1)))
        kernel: u64 = uaccess.frame_of(s, at_user, not writing)
        if kernel == 0:
            result = -errno.EFAULT
            break
        got: i64 = piece(f, cast(Ptr[u8], usize(kernel)), n, writing, offset, done)
        if got < 0:
            result = got
            break
        done += u64(got)
        if u64(got) < n:
            break
    if done > 0:
        return i64(done)
    return result


def rw(fd: u64, buf: u64, count: u64, writing: bool, offset: i64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    one: IoVec = IoVec()
    one.base = buf
    one.len = min_u64(count, u64(MAX_RW))
    return transfer(f, addr(one), u64(1), one.len, writing, offset)


def positioned(fd: u64, buf: u64, count: u64, offset: u64, writing: bool) -> i64:
    if i64(offset) < 0:
        return -errno.EINVAL
    return rw(fd, buf, count, writing, i64(offset))


def rw_vector(fd: u64, user_iov: u64, iovcnt: u64, writing: bool) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    count: i64 = int_arg(iovcnt)
    if count < 0 or count > IOV_MAX:
        return -errno.EINVAL
    if count == 0:
        return 0
    size: u64 = u64(count) * sizeof(IoVec)
    iov: Ptr[IoVec] = cast(Ptr[IoVec], kalloc(usize(size)))
    if iov == NULL:
        return -errno.ENOMEM
    err: i64 = uaccess.copy_in(me().space, cast(Ptr[u8], iov), user_iov, size)
    total: u64 = 0
    for i in range(count):
        if err < 0:
            break
        if i64((iov + i).len) < 0 or total + (iov + i).len > 0x7FFFFFFFFFFFFFFF:
            err = -errno.EINVAL
        else:
            total += (iov + i).len
    if err >= 0:
        err = transfer(f, iov, u64(count), min_u64(total, u64(MAX_RW)), writing, i64(-1))
    kfree(cast(Ptr[None], iov))
    return err


def send_file(out_fd: u64, in_fd: u64, offset_addr: u64, count: u64) -> i64:
    """sendfile: copy from in_fd (at *offset_addr if given, else its offset) to out_fd, a page
    at a time through a kernel buffer."""
    src: Ptr[File] = get_file(in_fd)
    dst: Ptr[File] = get_file(out_fd)
    if src == NULL or dst == NULL:
        return -errno.EBADF
    if not file.readable(src) or not file.writable(dst):
        return -errno.EBADF
    at: Array[u64, 1] = Array[u64, 1]()
    if offset_addr != 0 and uaccess.get_u64(me().space, offset_addr, addr(at)) < 0:
        return -errno.EFAULT
    page: u64 = bounce()
    if page == 0:
        return -errno.ENOMEM
    buf: Ptr[u8] = phys.bytes_at(page)
    total: u64 = 0
    err: i64 = 0
    count = min_u64(count, u64(MAX_RW))
    while total < count:
        want: usize = usize(min_u64(count - total, u64(CHUNK)))
        got: i64 = 0
        if offset_addr != 0:
            got = file.pread(src, buf, want, at[0] + total)
        else:
            got = file.read(src, buf, want)
        if got <= 0:
            err = got
            break
        put: i64 = file.write(dst, buf, usize(got))
        if put < 0:
            err = put
            break
        total += u64(put)
        if put < got or got < i64(want):
            break  # a short read: a pipe or terminal has no more for now, a file is at its end
    frames.free(page)
    if offset_addr != 0:
        uaccess.put_u64(me().space, offset_addr, at[0] + total)
    if total == 0 and err < 0:
        return err
    return i64(total)


def getdents(fd: u64, user: u64, count: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    page: u64 = bounce()
    if page == 0:
        return -errno.ENOMEM
    buf: Ptr[u8] = phys.bytes_at(page)
    got: i64 = file.getdents64(f, buf, usize(min_u64(u64(u32(count)), u64(CHUNK))))
    if got > 0 and uaccess.copy_out(me().space, user, buf, u64(got)) < 0:
        got = -errno.EFAULT
    frames.free(page)
    return got


def seek(fd: u64, offset: u64, whence: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    if whence > 2:
        return -errno.EINVAL
    return file.lseek(f, i64(offset), u32(whence))


# ---------------------------------------------------------------- opening and descriptors

def may_open(p: Ptr[Process], w: Ptr[vfs.Walk], flags: u32) -> i64:
    """Permission bits for an open (root passes, see vfs.permitted). Errors Linux reports first
    (EEXIST, ENOTDIR, EISDIR) are left to file.open_walked."""
    if (flags & file.O_PATH) != 0:
        return 0
    if w.node == NULL:
        if w.parent != NULL and not vfs.permitted(w.parent, p.euid, p.egid, u32(vfs.W_OK | vfs.X_OK)):
            return -errno.EACCES
        return 0
    if (flags & file.O_CREAT) != 0 and (flags & file.O_EXCL) != 0:
        return 0
    if (flags & file.O_DIRECTORY) != 0 and not vfs.is_dir(w.node):
        return 0
    if vfs.is_dir(w.node) and (flags & file.O_ACCMODE) != file.O_RDONLY:
        return 0
    want: u32 = 0
    mode: u32 = flags & file.O_ACCMODE
    if mode == file.O_RDONLY or mode == file.O_RDWR:
        want |= vfs.R_OK
    if mode == file.O_WRONLY or mode == file.O_RDWR or (flags & file.O_TRUNC) != 0:
        want |= vfs.W_OK
    if not vfs.is_symlink(w.node) and not vfs.permitted(w.node, p.euid, p.egid, want):
        return -errno.EACCES
    return 0


def open_path(pa: Ptr[Path], flags: u32, mode: u32, out: Ptr[Ptr[File]]) -> i64:
    """file.open with Linux's permission checks, the umask and the creator as owner."""
    p: Ptr[Process] = me()
    walk_flags: u32 = 0
    if (flags & file.O_NOFOLLOW) == 0:
        walk_flags |= vfs.FOLLOW
    if (flags & file.O_CREAT) != 0:
        walk_flags |= vfs.MAY_NOT_EXIST
    w: vfs.Walk = vfs.Walk()
    err: i64 = vfs.resolve(p.root, pa.base, pa.name, walk_flags, addr(w))
    if err < 0:
        return err
    creating: bool = w.node == NULL
    err = may_open(p, addr(w), flags)
    if err >= 0:
        err = file.open_walked(addr(w), flags, mode & ~p.umask & 0o7777)
    if err < 0:
        vfs.done(addr(w))
        return err
    if creating and (w.node.uid != p.euid or w.node.gid != p.egid):
        vfs.change(w.node, u32(0), p.euid, p.egid, u32(2))
    return file.wrap_walked(addr(w), flags & KEPT_FLAGS, out)


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
    return process.fd_install(me(), slot[0], (flags & file.O_CLOEXEC) != 0, i64(0))


def make_pipe(user_fds: u64, flags: u64) -> i64:
    if (flags & ~u64(file.O_CLOEXEC | file.O_NONBLOCK)) != 0:
        return -errno.EINVAL
    p: Ptr[Process] = me()
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
    p: Ptr[Process] = me()
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    if lowest < 0 or lowest >= fd_limit(p):
        return -errno.EINVAL
    return process.fd_install(p, file.dup(f), cloexec, lowest)


def dup_to(oldfd: u64, newfd: u64, cloexec: bool) -> i64:
    """dup2/dup3: newfd (closed first if open) becomes a copy of oldfd."""
    p: Ptr[Process] = me()
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
    p: Ptr[Process] = me()
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
        return i64((f.flags & KEPT_FLAGS) | O_LARGEFILE)
    if c == F_SETFL:
        f.flags = (f.flags & ~u32(SETFL_MASK)) | (u32(arg) & SETFL_MASK)
        return 0
    return -errno.EINVAL


# ---------------------------------------------------------------- metadata

def put_stat(node: Ptr[vfs.Inode], user: u64) -> i64:
    st: vfs.Stat = vfs.Stat()
    vfs.fill_stat(node, addr(st))
    if uaccess.copy_out(me().space, user, cast(Ptr[u8], addr(st)), u64(sizeof(vfs.Stat))) < 0:
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
    if uaccess.copy_out(me().space, user_buf, cast(Ptr[u8], addr(sx)), u64(sizeof(Statx))) < 0:
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
    p: Ptr[Process] = me()
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_flagged(dirfd, user_path, flags, addr(slot))
    if err < 0:
        return err
    uid: u32 = p.uid
    gid: u32 = p.gid
    if (flags & AT_EACCESS) != 0:
        uid = p.euid
        gid = p.egid
    if not vfs.permitted(slot[0], uid, gid, u32(mode)):
        err = -errno.EACCES
    vfs.put(slot[0])
    return err


def chmod_node(node: Ptr[vfs.Inode], mode: u64) -> i64:
    p: Ptr[Process] = me()
    if p.euid != 0 and p.euid != node.uid:
        return -errno.EPERM
    return vfs.change(node, u32(mode) & 0o7777, u32(0), u32(0), u32(1))


def chown_node(node: Ptr[vfs.Inode], uid: u64, gid: u64) -> i64:
    """Root may give a file to anyone; its owner may only hand it to their own group."""
    p: Ptr[Process] = me()
    u: u32 = u32(uid)
    g: u32 = u32(gid)
    if p.euid != 0:
        if u != 0xFFFFFFFF and u != node.uid:
            return -errno.EPERM
        if g != 0xFFFFFFFF and (p.euid != node.uid or (g != p.egid and g != node.gid)):
            return -errno.EPERM
    return vfs.change(node, u32(0), u, g, u32(2))


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
    p: Ptr[Process] = me()
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
    if p.euid != 0 and p.euid != node.uid:
        if explicit:
            return -errno.EPERM
        if not vfs.permitted(node, p.euid, p.egid, u32(vfs.W_OK)):
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
    return node.ops.truncate(node, length)


def truncate_path(user_path: u64, length: u64) -> i64:
    p: Ptr[Process] = me()
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(u64(i64(AT_FDCWD)), user_path, True, False, addr(slot))
    if err < 0:
        return err
    if not vfs.is_dir(slot[0]) and not vfs.permitted(slot[0], p.euid, p.egid, u32(vfs.W_OK)):
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
    if uaccess.copy_out(me().space, user, cast(Ptr[u8], addr(out)), u64(sizeof(LinuxStatFs))) < 0:
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


def fsync(fd: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    return file.fsync(f)


# ---------------------------------------------------------------- directories and names

def getcwd(user: u64, size: u64) -> i64:
    p: Ptr[Process] = me()
    buf: Ptr[u8] = path_buffer()
    if buf == NULL:
        return -errno.ENOMEM
    n: i64 = vfs.path_of(p.root, p.cwd, buf, usize(min_u64(size, u64(PATH_MAX))))
    if n >= 0:
        n += 1  # the terminating NUL counts
        if uaccess.copy_out(p.space, user, buf, u64(n)) < 0:
            n = -errno.EFAULT
    free_path_buffer(buf)
    return n


def set_cwd(node: Ptr[vfs.Inode]) -> i64:
    """Make node (a reference the caller gives away) the cwd."""
    p: Ptr[Process] = me()
    if not vfs.is_dir(node):
        vfs.put(node)
        return -errno.ENOTDIR
    if not vfs.permitted(node, p.euid, p.egid, u32(vfs.X_OK)):
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


def mkdir_at(dirfd: u64, user_path: u64, mode: u64) -> i64:
    p: Ptr[Process] = me()
    pa: Path = Path()
    err: i64 = path_in(dirfd, user_path, False, addr(pa))
    if err >= 0:
        err = may_change_dir(addr(pa))
    if err >= 0:
        err = vfs.mkdir(p.root, pa.base, pa.name, u32(mode) & 0o1777 & ~p.umask)
        if err >= 0:
            own_new(addr(pa))
    path_done(addr(pa))
    return err


def rmdir_path(pa: Ptr[Path]) -> i64:
    dots: u32 = last_dots(pa.name)
    if dots == 1:
        return -errno.EINVAL
    if dots == 2:
        return -errno.ENOTEMPTY
    return vfs.rmdir(me().root, pa.base, pa.name)


def unlink_at(dirfd: u64, user_path: u64, flags: u64) -> i64:
    if (flags & ~u64(AT_REMOVEDIR)) != 0:
        return -errno.EINVAL
    pa: Path = Path()
    err: i64 = path_in(dirfd, user_path, False, addr(pa))
    if err >= 0:
        err = may_change_dir(addr(pa))
    if err >= 0:
        if (flags & AT_REMOVEDIR) != 0:
            err = rmdir_path(addr(pa))
        else:
            err = vfs.unlink(me().root, pa.base, pa.name)
    path_done(addr(pa))
    return err


def rename_at(olddirfd: u64, old_path: u64, newdirfd: u64, new_path: u64, flags: u64) -> i64:
    if flags != 0:
        return -errno.EINVAL
    a: Path = Path()
    b: Path = Path()
    err: i64 = path_in(olddirfd, old_path, False, addr(a))
    if err >= 0:
        err = path_in(newdirfd, new_path, False, addr(b))
    if err >= 0:
        err = may_change_dir(addr(a))
    if err >= 0:
        err = may_change_dir(addr(b))
    if err >= 0:
        err = vfs.rename_at(me().root, a.base, a.name, b.base, b.name)
    path_done(addr(a))
    path_done(addr(b))
    return err


def link_at(olddirfd: u64, old_path: u64, newdirfd: u64, new_path: u64, flags: u64) -> i64:
    if (flags & ~u64(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0:
        return -errno.EINVAL
    a: Path = Path()
    b: Path = Path()
    err: i64 = path_in(olddirfd, old_path, False, addr(a))
    if err >= 0:
        err = path_in(newdirfd, new_path, False, addr(b))
    if err >= 0:
        err = may_change_dir(addr(b))
    if err >= 0:
        err = vfs.link_at(me().root, a.base, a.name, b.base, b.name, (flags & AT_SYMLINK_FOLLOW) != 0)
    path_done(addr(a))
    path_done(addr(b))
    return err


def symlink_at(user_target: u64, newdirfd: u64, user_path: u64) -> i64:
    p: Ptr[Process] = me()
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
        err = may_change_dir(addr(pa))
    if err >= 0:
        err = vfs.symlink(p.root, pa.base, target, pa.name)
        if err >= 0:
            own_new(addr(pa))
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
        if uaccess.copy_out(me().space, user_buf, buf, u64(err)) < 0:
            err = -errno.EFAULT
    free_path_buffer(buf)
    vfs.put(slot[0])
    return err


# ---------------------------------------------------------------- ioctl

def is_terminal(node: Ptr[vfs.Inode]) -> bool:
    """/dev/tty or /dev/console: the console terminal sys_tty serves."""
    return (node.ops == addr(devfs.ops) and (node.mode & vfs.S_IFMT) == vfs.S_IFCHR
            and (node.rdev == devfs.DEV_TTY or node.rdev == devfs.DEV_CONSOLE))


def ioctl(fd: u64, request: u64, arg: u64) -> i64:
    p: Ptr[Process] = me()
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
        if pipe.is_pipe(f.inode):
            return uaccess.put_u32(p.space, arg, pipe.available(f.inode))
        if (f.inode.mode & vfs.S_IFMT) == vfs.S_IFREG:
            left: u64 = 0
            if f.inode.size > f.offset:
                left = f.inode.size - f.offset
            return uaccess.put_u32(p.space, arg, u32(min_u64(left, u64(0x7FFFFFFF))))
    return -errno.ENOTTY


# ---------------------------------------------------------------- handlers

def sys_read(f: Ptr[TrapFrame]) -> i64:
    return rw(f.rdi, f.rsi, f.rdx, False, i64(-1))


def sys_write(f: Ptr[TrapFrame]) -> i64:
    return rw(f.rdi, f.rsi, f.rdx, True, i64(-1))


def sys_open(f: Ptr[TrapFrame]) -> i64:
    return open_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, f.rdx)


def sys_openat(f: Ptr[TrapFrame]) -> i64:
    return open_at(f.rdi, f.rsi, f.rdx, f.r10)


def sys_creat(f: Ptr[TrapFrame]) -> i64:
    return open_at(u64(i64(AT_FDCWD)), f.rdi, u64(file.O_CREAT | file.O_WRONLY | file.O_TRUNC), f.rsi)


def sys_close(f: Ptr[TrapFrame]) -> i64:
    return process.fd_close(me(), int_arg(f.rdi))


def sys_stat(f: Ptr[TrapFrame]) -> i64:
    return stat_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, u64(0))


def sys_lstat(f: Ptr[TrapFrame]) -> i64:
    return stat_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, u64(AT_SYMLINK_NOFOLLOW))


def sys_fstat(f: Ptr[TrapFrame]) -> i64:
    return fstat(f.rdi, f.rsi)


def sys_newfstatat(f: Ptr[TrapFrame]) -> i64:
    return stat_at(f.rdi, f.rsi, f.rdx, f.r10)


def sys_lseek(f: Ptr[TrapFrame]) -> i64:
    return seek(f.rdi, f.rsi, f.rdx)


def sys_pread64(f: Ptr[TrapFrame]) -> i64:
    return positioned(f.rdi, f.rsi, f.rdx, f.r10, False)


def sys_pwrite64(f: Ptr[TrapFrame]) -> i64:
    return positioned(f.rdi, f.rsi, f.rdx, f.r10, True)


def sys_readv(f: Ptr[TrapFrame]) -> i64:
    return rw_vector(f.rdi, f.rsi, f.rdx, False)


def sys_writev(f: Ptr[TrapFrame]) -> i64:
    return rw_vector(f.rdi, f.rsi, f.rdx, True)


def sys_access(f: Ptr[TrapFrame]) -> i64:
    return access_at(u64(i64(AT_FDCWD)), f.rdi, f.rsi, u64(0))


def sys_faccessat(f: Ptr[TrapFrame]) -> i64:
    return access_at(f.rdi, f.rsi, f.rdx, u64(0))


def sys_faccessat2(f: Ptr[TrapFrame]) -> i64:
    return access_at(f.rdi, f.rsi, f.rdx, f.r10)


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


def sys_ioctl(f: Ptr[TrapFrame]) -> i64:
    return ioctl(f.rdi, f.rsi, f.rdx)


def sys_sendfile(f: Ptr[TrapFrame]) -> i64:
    return send_file(f.rdi, f.rsi, f.rdx, f.r10)


def sys_getdents64(f: Ptr[TrapFrame]) -> i64:
    return getdents(f.rdi, f.rsi, f.rdx)


def sys_getcwd(f: Ptr[TrapFrame]) -> i64:
    return getcwd(f.rdi, f.rsi)


def sys_chdir(f: Ptr[TrapFrame]) -> i64:
    return chdir(f.rdi)


def sys_fchdir(f: Ptr[TrapFrame]) -> i64:
    return fchdir(f.rdi)


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


def xattr_target(f: Ptr[TrapFrame], follow: bool, by_fd: bool) -> i64:
    """0 when the file an xattr call names exists (by path in rdi, or descriptor), else -errno."""
    if by_fd:
        if get_file(f.rdi) == NULL:
            return -errno.EBADF
        return 0
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(u64(i64(AT_FDCWD)), f.rdi, follow, False, addr(slot))
    if err == 0:
        vfs.put(slot[0])
    return err


def no_xattrs(f: Ptr[TrapFrame], follow: bool, by_fd: bool) -> i64:
    """Cyrius' filesystems keep no extended attributes: reading or changing one is EOPNOTSUPP, as on
    a filesystem without them (ls and cp take that as "no ACL, no security label")."""
    err: i64 = xattr_target(f, follow, by_fd)
    if err < 0:
        return err
    return -errno.EOPNOTSUPP


def sys_xattr(f: Ptr[TrapFrame]) -> i64:
    """getxattr, setxattr, removexattr on a path."""
    return no_xattrs(f, True, False)


def sys_lxattr(f: Ptr[TrapFrame]) -> i64:
    """lgetxattr, lsetxattr, lremovexattr: the link itself."""
    return no_xattrs(f, False, False)


def sys_fxattr(f: Ptr[TrapFrame]) -> i64:
    """fgetxattr, fsetxattr, fremovexattr on a descriptor."""
    return no_xattrs(f, True, True)


def sys_listxattr(f: Ptr[TrapFrame]) -> i64:
    return xattr_target(f, True, False)  # an empty list


def sys_llistxattr(f: Ptr[TrapFrame]) -> i64:
    return xattr_target(f, False, False)


def sys_flistxattr(f: Ptr[TrapFrame]) -> i64:
    return xattr_target(f, True, True)


def sys_fadvise64(f: Ptr[TrapFrame]) -> i64:
    """Advice about future reads: checked, then nothing to do (no read-ahead to tune)."""
    fl: Ptr[File] = get_file(f.rdi)
    if fl == NULL:
        return -errno.EBADF
    if file.is_stream(fl):
        return -errno.ESPIPE
    if f.r10 > POSIX_FADV_NOREUSE or i64(f.rdx) < 0:
        return -errno.EINVAL
    return 0


def sys_statx(f: Ptr[TrapFrame]) -> i64:
    return statx_at(f.rdi, f.rsi, u64(u32(f.rdx)), u64(u32(f.r10)), f.r8)


def sys_utimensat(f: Ptr[TrapFrame]) -> i64:
    return times_at(f.rdi, f.rsi, f.rdx, u64(u32(f.r10)))


def sys_umask(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = me()
    old: u32 = p.umask
    p.umask = u32(f.rdi) & 0o777
    return i64(old)


def sys_truncate(f: Ptr[TrapFrame]) -> i64:
    return truncate_path(f.rdi, f.rsi)


def sys_ftruncate(f: Ptr[TrapFrame]) -> i64:
    return ftruncate(f.rdi, f.rsi)


def sys_fsync(f: Ptr[TrapFrame]) -> i64:
    return fsync(f.rdi)


def sys_sync(f: Ptr[TrapFrame]) -> i64:
    vfs.sync_filesystems()
    bcache.sync_all()
    return 0


def sys_syncfs(f: Ptr[TrapFrame]) -> i64:
    # A filesystem's fsync writes back all of it (FAT: every dirty sector, the FATs, FSInfo, then the
    # device's cache), which is what syncfs asks for the filesystem holding fd.
    return fsync(f.rdi)


def sys_statfs(f: Ptr[TrapFrame]) -> i64:
    return statfs_path(f.rdi, f.rsi)


def sys_fstatfs(f: Ptr[TrapFrame]) -> i64:
    return fstatfs(f.rdi, f.rsi)


def init() -> None:
    pipe.init()
    sys_poll.init()
    define(u32(0), sys_read, FULL, NULL)
    define(u32(1), sys_write, FULL, NULL)
    define(u32(2), sys_open, PARTIAL, b"O_TMPFILE: EOPNOTSUPP; search (x) permission on directories is not checked")
    define(u32(3), sys_close, FULL, NULL)
    define(u32(4), sys_stat, FULL, NULL)
    define(u32(5), sys_fstat, FULL, NULL)
    define(u32(6), sys_lstat, FULL, NULL)
    define(u32(7), sys_poll.sys_poll, FULL, NULL)
    define(u32(8), sys_lseek, PARTIAL, b"no SEEK_DATA/SEEK_HOLE")
    define(u32(16), sys_ioctl, PARTIAL, b"terminal (termios, job control, window size), FIONREAD, FIONBIO, FIOCLEX")
    define(u32(17), sys_pread64, FULL, NULL)
    define(u32(18), sys_pwrite64, FULL, NULL)
    define(u32(19), sys_readv, FULL, NULL)
    define(u32(20), sys_writev, FULL, NULL)
    define(u32(21), sys_access, FULL, NULL)
    define(u32(22), sys_pipe, FULL, NULL)
    define(u32(23), sys_poll.sys_select, FULL, NULL)
    define(u32(32), sys_dup, FULL, NULL)
    define(u32(33), sys_dup2, FULL, NULL)
    define(u32(72), sys_fcntl, PARTIAL, b"F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL; no locks or owners")
    define(u32(74), sys_fsync, FULL, NULL)
    define(u32(75), sys_fsync, FULL, NULL)
    define(u32(76), sys_truncate, FULL, NULL)
    define(u32(77), sys_ftruncate, FULL, NULL)
    define(u32(79), sys_getcwd, FULL, NULL)
    define(u32(80), sys_chdir, FULL, NULL)
    define(u32(81), sys_fchdir, FULL, NULL)
    define(u32(82), sys_rename, FULL, NULL)
    define(u32(83), sys_mkdir, FULL, NULL)
    define(u32(84), sys_rmdir, FULL, NULL)
    define(u32(85), sys_creat, FULL, NULL)
    define(u32(86), sys_link, FULL, NULL)
    define(u32(87), sys_unlink, FULL, NULL)
    define(u32(88), sys_symlink, FULL, NULL)
    define(u32(89), sys_readlink, FULL, NULL)
    define(u32(90), sys_chmod, FULL, NULL)
    define(u32(91), sys_fchmod, FULL, NULL)
    define(u32(92), sys_chown, FULL, NULL)
    define(u32(93), sys_fchown, FULL, NULL)
    define(u32(94), sys_lchown, FULL, NULL)
    define(u32(95), sys_umask, FULL, NULL)
    define(u32(137), sys_statfs, FULL, NULL)
    define(u32(138), sys_fstatfs, FULL, NULL)
    define(u32(162), sys_sync, FULL, NULL)
    define(u32(306), sys_syncfs, FULL, NULL)
    define(u32(217), sys_getdents64, FULL, NULL)
    define(u32(40), sys_sendfile, FULL, NULL)
    define(u32(257), sys_openat, PARTIAL, b"O_TMPFILE: EOPNOTSUPP; search (x) permission on directories is not checked")
    define(u32(258), sys_mkdirat, FULL, NULL)
    define(u32(260), sys_fchownat, FULL, NULL)
    define(u32(280), sys_utimensat, FULL, NULL)
    for first in range(188, 200, 3):  # setxattr, getxattr, listxattr, removexattr, each then its l and f forms
        if first != 194:
            define(u32(first), sys_xattr, PARTIAL, b"no filesystem keeps extended attributes: EOPNOTSUPP")
            define(u32(first + 1), sys_lxattr, PARTIAL, b"no filesystem keeps extended attributes: EOPNOTSUPP")
            define(u32(first + 2), sys_fxattr, PARTIAL, b"no filesystem keeps extended attributes: EOPNOTSUPP")
    define(u32(194), sys_listxattr, PARTIAL, b"always an empty list")
    define(u32(195), sys_llistxattr, PARTIAL, b"always an empty list")
    define(u32(196), sys_flistxattr, PARTIAL, b"always an empty list")
    define(u32(221), sys_fadvise64, FULL, NULL)
    define(u32(332), sys_statx, PARTIAL, b"the basic stats; no birth time or mount id")
    define(u32(262), sys_newfstatat, FULL, NULL)
    define(u32(263), sys_unlinkat, FULL, NULL)
    define(u32(264), sys_renameat, FULL, NULL)
    define(u32(265), sys_linkat, PARTIAL, b"AT_EMPTY_PATH is accepted but an empty path is ENOENT")
    define(u32(266), sys_symlinkat, FULL, NULL)
    define(u32(267), sys_readlinkat, PARTIAL, b"an empty path (the dirfd's own symlink) is ENOENT")
    define(u32(268), sys_fchmodat, FULL, NULL)
    define(u32(269), sys_faccessat, FULL, NULL)
    define(u32(270), sys_poll.sys_pselect6, FULL, NULL)
    define(u32(271), sys_poll.sys_ppoll, FULL, NULL)
    define(u32(213), sys_poll.sys_epoll_create, FULL, NULL)
    define(u32(291), sys_poll.sys_epoll_create1, FULL, NULL)
    define(u32(233), sys_poll.sys_epoll_ctl, PARTIAL,
           b"level-triggered only (EPOLLET acts level-triggered); no nested epoll sets")
    define(u32(232), sys_poll.sys_epoll_wait, FULL, NULL)
    define(u32(281), sys_poll.sys_epoll_pwait, FULL, NULL)
    define(u32(284), sys_poll.sys_eventfd, FULL, NULL)
    define(u32(290), sys_poll.sys_eventfd2, FULL, NULL)
    define(u32(292), sys_dup3, FULL, NULL)
    define(u32(293), sys_pipe2, PARTIAL, b"O_CLOEXEC and O_NONBLOCK; no O_DIRECT (packet) pipes")
    define(u32(316), sys_renameat2, PARTIAL, b"flags must be 0 (no RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT)")
    define(u32(439), sys_faccessat2, FULL, NULL)
