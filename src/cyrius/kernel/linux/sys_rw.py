"""Reading and writing: read/write, their positioned and vector forms, sendfile, lseek, fadvise,
and the fsync family. User buffers are reached only through uaccess, a page-sized kernel bounce
buffer at a time (or straight into the file's own pages where its filesystem allows)."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..dev import bcache
from ..fs import file, vfs
from ..fs.file import File
from ..mm import frames, phys, uaccess, uspace
from ..proc import process, signal
from ..mm.heap import kalloc, kfree
from .syscalls import FULL, PARTIAL, define
from .fsargs import get_file, int_arg, min_u64
from .syscall_names import (SYS_COPY_FILE_RANGE, SYS_FADVISE64, SYS_FDATASYNC, SYS_FSYNC, SYS_LSEEK, SYS_PREAD64,
                            SYS_PREADV, SYS_PREADV2, SYS_PWRITE64, SYS_PWRITEV, SYS_PWRITEV2, SYS_READ, SYS_READV,
                            SYS_SENDFILE, SYS_SYNC, SYS_SYNCFS, SYS_WRITE, SYS_WRITEV)


POSIX_FADV_NOREUSE: Final = 5


CHUNK: Final = 4096  # the bounce buffer: one page


MAX_RW: Final = 0x7FFFF000  # Linux's MAX_RW_COUNT: longer reads and writes are cut to this


IOV_MAX: Final = 1024
RLIMIT_FSIZE: Final = 1
SIGXFSZ: Final = 25


@struct
class IoVec:  # struct iovec
    base: u64
    len: u64


def bounce() -> u64:
    """A page for staging user data (physical address; 0 when memory is exhausted)."""
    return frames.alloc()


def iov_copy(iov: Ptr[IoVec], count: u64, pos: u64, kbuf: Ptr[u8], n: u64, to_user: bool) -> i64:
    """Copy n bytes between kbuf and the user buffers iov[0..count) taken as one run of bytes,
    starting pos bytes into the run; 0 or -EFAULT."""
    s: Ptr[uspace.AddressSpace] = process.current().space
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
    if more and f.ops.stream_read != NULL:
        got: i64 = f.ops.stream_read(f.inode, buf, n, f.flags | file.O_NONBLOCK)
        if got == -errno.EAGAIN:
            return 0
        return got
    return file.read(f, buf, n)


def too_big(node: Ptr[vfs.Inode], size: u64) -> bool:
    """A regular file may not reach `size` bytes under the caller's RLIMIT_FSIZE (soft)."""
    limit: u64 = process.current().rlimits[RLIMIT_FSIZE].soft
    return (node.mode & vfs.S_IFMT) == vfs.S_IFREG and size > limit


def file_too_big() -> i64:
    """RLIMIT_FSIZE's answer: SIGXFSZ to the caller, EFBIG."""
    signal.send(process.current(), u32(SIGXFSZ))
    return -errno.EFBIG


def write_at(f: Ptr[File], buf: Ptr[u8], n: u64, at: i64) -> i64:
    """Write n bytes to f at `at` (< 0: at its offset, or its end under O_APPEND), as far as
    RLIMIT_FSIZE allows a regular file to grow (Linux's generic_write_check_limits): a write that
    starts at or past the limit is file_too_big(), one that crosses it stops there."""
    pos: u64 = u64(at)
    if at < 0:
        pos = f.offset
        if (f.flags & file.O_APPEND) != 0:
            pos = f.inode.size
    if n > 0 and too_big(f.inode, pos):
        return file_too_big()
    if n > 0 and too_big(f.inode, pos + n):
        limit: u64 = process.current().rlimits[RLIMIT_FSIZE].soft
        n = limit - pos
        if n == 0:
            return file_too_big()
    if at >= 0:
        return file.pwrite(f, buf, usize(n), u64(at))
    return file.write(f, buf, usize(n))


def piece(f: Ptr[File], buf: Ptr[u8], n: u64, writing: bool, offset: i64, done: u64) -> i64:
    """One piece of a transfer between f and a kernel buffer, `done` bytes into it: at the file
    position (offset < 0) or at offset + done."""
    at: i64 = offset
    if offset >= 0:
        at = offset + i64(done)
    if not writing:
        return read_chunk(f, buf, usize(n), at, done > 0)
    return write_at(f, buf, n, at)


def transfer(f: Ptr[File], iov: Ptr[IoVec], count: u64, total: u64, writing: bool, offset: i64) -> i64:
    """read/write/readv/writev/pread64/pwrite64: move `total` bytes between f and the user buffers
    iov[0..count), at the file position (offset < 0) or at offset. The bytes transferred, or -errno
    when nothing was."""
    # As Linux: a descriptor not open for this direction is EBADF before any buffer is looked at.
    if (f.flags & file.O_PATH) != 0 or (writing and not file.writable(f)) or (not writing and not file.readable(f)):
        return -errno.EBADF
    if writing and file.write_discarded(f):
        return i64(total)
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
    s: Ptr[uspace.AddressSpace] = process.current().space
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


def iov_in(user_iov: u64, count: u64, out: Ptr[Ptr[IoVec]]) -> i64:
    """Copy in count iovecs (at most IOV_MAX: the caller checks, with its own error) into a kalloc'd
    array in out[0] (NULL when count is 0), which the caller frees whatever this returns. The total
    length, or -ENOMEM, -EFAULT, or -EINVAL when a length (or their sum) passes SSIZE_MAX."""
    out[0] = NULL
    if count == 0:
        return 0
    size: u64 = count * sizeof(IoVec)
    iov: Ptr[IoVec] = cast(Ptr[IoVec], kalloc(usize(size)))
    if iov == NULL:
        return -errno.ENOMEM
    out[0] = iov
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], iov), user_iov, size) < 0:
        return -errno.EFAULT
    total: u64 = 0
    for i in range(count):
        if i64((iov + i).len) < 0 or total + (iov + i).len > 0x7FFFFFFFFFFFFFFF:
            return -errno.EINVAL
        total += (iov + i).len
    return i64(total)


def rw_vector(fd: u64, user_iov: u64, iovcnt: u64, writing: bool, offset: i64) -> i64:
    """readv/writev (offset -1: the file position), preadv/pwritev and their v2 forms (at offset)."""
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    count: i64 = int_arg(iovcnt)
    if count < 0 or count > IOV_MAX:
        return -errno.EINVAL
    iov: Array[Ptr[IoVec], 1] = Array[Ptr[IoVec], 1]()
    r: i64 = iov_in(user_iov, u64(count), addr(iov))
    if r >= 0 and count > 0:
        r = transfer(f, iov[0], u64(count), min_u64(u64(r), u64(MAX_RW)), writing, offset)
    kfree(cast(Ptr[None], iov[0]))
    return r


def send_file(out_fd: u64, in_fd: u64, offset_addr: u64, count: u64) -> i64:
    """sendfile: copy from in_fd (at *offset_addr if given, else its offset) to out_fd."""
    src: Ptr[File] = get_file(in_fd)
    dst: Ptr[File] = get_file(out_fd)
    if src == NULL or dst == NULL:
        return -errno.EBADF
    return copy_between(src, offset_addr, dst, u64(0), count)


def copy_file_range(in_fd: u64, in_addr: u64, out_fd: u64, out_addr: u64, count: u64, flags: u64) -> i64:
    """copy_file_range: between regular files (at *in_addr / *out_addr if given, else the files'
    offsets); no flags; EINVAL for overlapping ranges of one file."""
    src: Ptr[File] = get_file(in_fd)
    dst: Ptr[File] = get_file(out_fd)
    if src == NULL or dst == NULL:
        return -errno.EBADF
    if flags != 0:
        return -errno.EINVAL
    if vfs.is_dir(src.inode) or vfs.is_dir(dst.inode):
        return -errno.EISDIR
    if (src.inode.mode & vfs.S_IFMT) != vfs.S_IFREG or (dst.inode.mode & vfs.S_IFMT) != vfs.S_IFREG:
        return -errno.EINVAL
    if (dst.flags & file.O_APPEND) != 0:
        return -errno.EBADF
    if src.inode == dst.inode:
        space: Ptr[uspace.AddressSpace] = process.current().space
        ends: Array[u64, 2] = Array[u64, 2]()
        ends[0] = src.offset
        ends[1] = dst.offset
        if (in_addr != 0 and uaccess.get_u64(space, in_addr, addr(ends)) < 0) or (
                out_addr != 0 and uaccess.get_u64(space, out_addr, addr(ends) + 1) < 0):
            return -errno.EFAULT
        if ends[0] < ends[1] + count and ends[1] < ends[0] + count:
            return -errno.EINVAL
    return copy_between(src, in_addr, dst, out_addr, count)


def copy_between(src: Ptr[File], src_at: u64, dst: Ptr[File], dst_at: u64, count: u64) -> i64:
    """Copy up to count bytes from src to dst, a page at a time through a kernel buffer, at the
    offsets in the user words src_at / dst_at (advanced) or, where 0, at the files' own."""
    if not file.readable(src) or not file.writable(dst):
        return -errno.EBADF
    space: Ptr[uspace.AddressSpace] = process.current().space
    at: Array[u64, 1] = Array[u64, 1]()
    to: Array[u64, 1] = Array[u64, 1]()
    if src_at != 0 and uaccess.get_u64(space, src_at, addr(at)) < 0:
        return -errno.EFAULT
    if dst_at != 0 and uaccess.get_u64(space, dst_at, addr(to)) < 0:
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
        if src_at != 0:
            got = file.pread(src, buf, want, at[0] + total)
        else:
            got = file.read(src, buf, want)
        if got <= 0:
            err = got
            break
        put: i64 = write_at(dst, buf, u64(got), i64(to[0] + total) if dst_at != 0 else i64(-1))
        if put < 0:
            err = put
            break
        total += u64(put)
        if put < got or got < i64(want):
            break  # a short read: a pipe or terminal has no more for now, a file is at its end
    frames.free(page)
    if src_at != 0:
        uaccess.put_u64(space, src_at, at[0] + total)
    if dst_at != 0:
        uaccess.put_u64(space, dst_at, to[0] + total)
    if total == 0 and err < 0:
        return err
    return i64(total)


def seek(fd: u64, offset: u64, whence: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    if whence > 2:
        return -errno.EINVAL
    return file.lseek(f, i64(offset), u32(whence))


def fsync(fd: u64) -> i64:
    f: Ptr[File] = get_file(fd)
    if f == NULL:
        return -errno.EBADF
    return file.fsync(f)


def sys_read(f: Ptr[TrapFrame]) -> i64:
    return rw(f.rdi, f.rsi, f.rdx, False, i64(-1))


def sys_write(f: Ptr[TrapFrame]) -> i64:
    return rw(f.rdi, f.rsi, f.rdx, True, i64(-1))


def sys_lseek(f: Ptr[TrapFrame]) -> i64:
    return seek(f.rdi, f.rsi, f.rdx)


def sys_pread64(f: Ptr[TrapFrame]) -> i64:
    return positioned(f.rdi, f.rsi, f.rdx, f.r10, False)


def sys_pwrite64(f: Ptr[TrapFrame]) -> i64:
    return positioned(f.rdi, f.rsi, f.rdx, f.r10, True)


def sys_readv(f: Ptr[TrapFrame]) -> i64:
    return rw_vector(f.rdi, f.rsi, f.rdx, False, i64(-1))


def sys_writev(f: Ptr[TrapFrame]) -> i64:
    return rw_vector(f.rdi, f.rsi, f.rdx, True, i64(-1))


def vector_at(f: Ptr[TrapFrame], writing: bool, v2: bool) -> i64:
    """preadv/pwritev(fd, iov, iovcnt, pos_l, pos_h) at pos_l (x86_64 keeps the whole offset there);
    the v2 forms take flags (none is supported: EOPNOTSUPP) and offset -1 for the file position."""
    offset: i64 = i64(f.r10)
    if v2 and f.r9 != 0:
        return -errno.EOPNOTSUPP
    if offset < 0 and not (v2 and offset == -1):
        return -errno.EINVAL
    return rw_vector(f.rdi, f.rsi, f.rdx, writing, offset)


def sys_preadv(f: Ptr[TrapFrame]) -> i64:
    return vector_at(f, False, False)


def sys_pwritev(f: Ptr[TrapFrame]) -> i64:
    return vector_at(f, True, False)


def sys_preadv2(f: Ptr[TrapFrame]) -> i64:
    return vector_at(f, False, True)


def sys_pwritev2(f: Ptr[TrapFrame]) -> i64:
    return vector_at(f, True, True)


def sys_sendfile(f: Ptr[TrapFrame]) -> i64:
    return send_file(f.rdi, f.rsi, f.rdx, f.r10)


def sys_copy_file_range(f: Ptr[TrapFrame]) -> i64:
    return copy_file_range(f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9)


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


def init() -> None:
    define(SYS_READ, sys_read, FULL, NULL)
    define(SYS_WRITE, sys_write, FULL, NULL)
    define(SYS_LSEEK, sys_lseek, PARTIAL, b"no SEEK_DATA/SEEK_HOLE")
    define(SYS_PREAD64, sys_pread64, FULL, NULL)
    define(SYS_PWRITE64, sys_pwrite64, FULL, NULL)
    define(SYS_READV, sys_readv, FULL, NULL)
    define(SYS_WRITEV, sys_writev, FULL, NULL)
    define(SYS_PREADV, sys_preadv, FULL, NULL)
    define(SYS_PWRITEV, sys_pwritev, FULL, NULL)
    define(SYS_PREADV2, sys_preadv2, PARTIAL, b"no RWF_* flags (EOPNOTSUPP)")
    define(SYS_PWRITEV2, sys_pwritev2, PARTIAL, b"no RWF_* flags (EOPNOTSUPP)")
    define(SYS_FSYNC, sys_fsync, FULL, NULL)
    define(SYS_FDATASYNC, sys_fsync, FULL, NULL)
    define(SYS_SYNC, sys_sync, FULL, NULL)
    define(SYS_SYNCFS, sys_syncfs, FULL, NULL)
    define(SYS_SENDFILE, sys_sendfile, FULL, NULL)
    define(SYS_COPY_FILE_RANGE, sys_copy_file_range, FULL, NULL)
    define(SYS_FADVISE64, sys_fadvise64, FULL, NULL)
