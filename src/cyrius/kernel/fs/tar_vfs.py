"""A TarSink that extracts into a VFS directory, treating that directory as the root.

Because every path is resolved with the destination as root and cwd, an archive's absolute
symlinks and `..` components land inside the destination, never outside it. Files keep the
archive's modification time and exact mode.
"""
from cyrius.lang import Array, Final, Ptr, addr, cast, i64, struct, u8, u32, u64, usize

from .. import errno
from . import file, tar, vfs

NS: Final = 1000000000
MAX_SECONDS: Final = 18446744073  # (2**64 - 1) // NS


@struct
class VfsSink:
    sink: tar.TarSink  # first, so a Ptr[TarSink] is also a Ptr[VfsSink]
    dest: Ptr[vfs.Inode]


def dest_of(sink: Ptr[tar.TarSink]) -> Ptr[vfs.Inode]:
    return cast(Ptr[VfsSink], sink).dest


def sink_mkdir(sink: Ptr[tar.TarSink], path: Ptr[u8], length: usize, mode: u32) -> i64:
    d: Ptr[vfs.Inode] = dest_of(sink)
    err: i64 = vfs.mkdir(vfs.as_kernel(), d, d, path, mode)
    if err != -errno.EEXIST:
        return err
    # Something has the name: a directory (or a link to one) serves; a file must not pass for one.
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if vfs.lookup_path(vfs.as_kernel(), d, d, path, True, addr(slot)) < 0:
        return -errno.ENOTDIR
    if not vfs.is_dir(slot[0]):
        err = -errno.ENOTDIR
    vfs.put(slot[0])
    return err


def mtime_ns(seconds: i64) -> u64:
    """A member's modification time for the VFS: before 1970 is 1970, past what nanoseconds in 64 bits
    hold (the year 2554) is that."""
    if seconds <= 0:
        return 0
    if u64(seconds) > MAX_SECONDS:
        return MAX_SECONDS * NS
    return u64(seconds) * NS


def sink_create_file(sink: Ptr[tar.TarSink], path: Ptr[u8], length: usize, mode: u32, data: Ptr[u8],
                     size: u64, mtime: i64) -> i64:
    d: Ptr[vfs.Inode] = dest_of(sink)
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    flags: u32 = u32(file.O_WRONLY | file.O_CREAT | file.O_EXCL | file.O_NOFOLLOW)
    err: i64 = file.open(vfs.as_kernel(), d, d, path, flags, mode, addr(slot))
    if err < 0:
        return err
    done: u64 = 0
    while done < size and err >= 0:
        err = file.write(slot[0], data + done, usize(size - done))
        if err == 0:
            err = -errno.EIO
        if err > 0:
            done += u64(err)
    if err >= 0:
        err = vfs.set_mode(slot[0].inode, mode)  # the exact mode, setuid bits included
    if err >= 0:  # the archive's time, as tar and umoci keep it (Python checks a .pyc against its source's)
        err = vfs.set_times(slot[0].inode, u64(0), False, mtime_ns(mtime), True)
    file.close(slot[0])
    if err < 0:
        vfs.unlink(vfs.as_kernel(), d, d, path)  # the contract: a failed call leaves nothing behind
        return err
    return 0


def sink_symlink(sink: Ptr[tar.TarSink], path: Ptr[u8], length: usize, target: Ptr[u8], target_len: usize) -> i64:
    d: Ptr[vfs.Inode] = dest_of(sink)
    return vfs.symlink(vfs.as_kernel(), d, d, target, path)


def sink_hardlink(sink: Ptr[tar.TarSink], path: Ptr[u8], length: usize, target: Ptr[u8], target_len: usize) -> i64:
    d: Ptr[vfs.Inode] = dest_of(sink)
    return vfs.link(vfs.as_kernel(), d, d, target, path)


def sink_remove(sink: Ptr[tar.TarSink], path: Ptr[u8], length: usize) -> i64:
    d: Ptr[vfs.Inode] = dest_of(sink)
    err: i64 = vfs.unlink(vfs.as_kernel(), d, d, path)
    if err == -errno.EISDIR:
        err = vfs.rmdir(vfs.as_kernel(), d, d, path)
    return err


def init(s: Ptr[VfsSink], dest: Ptr[vfs.Inode]) -> None:
    s.sink.mkdir = sink_mkdir
    s.sink.create_file = sink_create_file
    s.sink.symlink = sink_symlink
    s.sink.hardlink = sink_hardlink
    s.sink.remove = sink_remove
    s.dest = dest
