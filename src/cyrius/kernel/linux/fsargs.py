"""Arguments of the file system calls, decoded once: descriptors, *at dirfds and user paths.

Shared conventions:
* a path argument is copied into a page-sized PATH_MAX buffer (path_in) and freed by path_done on
  every path out; a relative path starts at the *at call's dirfd (AT_FDCWD: the cwd), an absolute
  one at the process root, which `..` never leaves;
* a descriptor that is not open is -EBADF (get_file).
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, struct, u8, u32, u64, usize

from .. import errno
from ..fs import vfs
from ..fs.vfs import PATH_MAX
from ..fs.file import File
from ..mm import frames, phys, uaccess
from ..proc import process, task
from ..proc.task import Process


AT_FDCWD: Final = -100


AT_SYMLINK_NOFOLLOW: Final = 0x100


AT_REMOVEDIR: Final = 0x200


AT_EACCESS: Final = 0x200


AT_SYMLINK_FOLLOW: Final = 0x400


AT_NO_AUTOMOUNT: Final = 0x800


AT_EMPTY_PATH: Final = 0x1000




RLIMIT_NOFILE: Final = 7


@struct
class Path:
    """A path argument copied in, and the directory a relative one starts from."""
    name: Ptr[u8]  # a path_buffer(), NUL-terminated; path_done frees it
    base: Ptr[vfs.Inode]  # not referenced: the cwd or an open descriptor holds it during the call
    cred: vfs.Cred  # the caller's, for the walk's permission checks



def int_arg(x: u64) -> i64:
    """A C `int` argument (descriptors, dirfd, counts)."""
    return i64(i32(u32(x)))


def min_u64(a: u64, b: u64) -> u64:
    if a < b:
        return a
    return b


def get_file(fd: u64) -> Ptr[File]:
    """The open file behind descriptor fd, or NULL (the caller answers -EBADF); held open until the
    system call ends (process.fd_hold), whatever another thread closes meanwhile."""
    return process.fd_hold(process.current(), int_arg(fd))


def fd_limit(p: Ptr[Process]) -> i64:
    limit: u64 = p.rlimits[RLIMIT_NOFILE].soft
    if limit > task.MAX_FDS:
        limit = task.MAX_FDS
    return i64(limit)


def fd_inode(dirfd: u64, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The inode a descriptor names (AT_FDCWD: the cwd), for AT_EMPTY_PATH; not referenced."""
    if int_arg(dirfd) == AT_FDCWD:
        out[0] = process.current().cwd
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
    p: Ptr[Process] = process.current()
    process.cred_of(p, addr(pa.cred))
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
    if pa.name[0] == ord("/"):
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


def caller_may(node: Ptr[vfs.Inode], want: u32) -> bool:
    """vfs.permitted for the calling process's effective ids."""
    who: vfs.Cred = vfs.Cred()
    return vfs.permitted(process.cred_of(process.current(), addr(who)), node, want)


def lookup(pa: Ptr[Path], follow: bool, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The inode a copied-in path names (one reference in out[0]); an empty path names pa.base."""
    if pa.name[0] == 0:
        out[0] = vfs.get(pa.base)
        return 0
    return vfs.lookup_path(addr(pa.cred), process.current().root, pa.base, pa.name, follow, out)


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
    while end > 1 and name[end - 1] == ord("/"):
        end -= 1
    start: usize = end
    while start > 0 and name[start - 1] != ord("/"):
        start -= 1
    n: usize = end - start
    if n == 1 and name[start] == ord("."):
        return 1
    if n == 2 and name[start] == ord(".") and name[start + 1] == ord("."):
        return 2
    return 0
