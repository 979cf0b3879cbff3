"""The virtual file system: inodes with per-filesystem operation tables, mounts, path resolution.

Every filesystem (memfs, devfs, FAT32, ...) provides an `InodeOps` table; a NULL entry means the
operation is not supported there. Operations return 0 or a byte count on success and a negative
errno on failure, as Linux syscalls do.

Paths are resolved against a *root* and a *cwd* inode: `..` never climbs above the root, so a
container whose root is its rootfs cannot name anything outside it, whatever the path says.
Mount points are found by inode: walking onto a mounted-on directory continues in the mounted
filesystem's root, and `..` from a mounted root continues from the mount point.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize

from .. import errno
from ..mm.heap import kalloc, kfree

# st_mode type bits and permissions (Linux values)
S_IFMT: Final = 0o170000
S_IFSOCK: Final = 0o140000
S_IFLNK: Final = 0o120000
S_IFREG: Final = 0o100000
S_IFBLK: Final = 0o060000
S_IFDIR: Final = 0o040000
S_IFCHR: Final = 0o020000
S_IFIFO: Final = 0o010000

# d_type values for getdents64
DT_UNKNOWN: Final = 0
DT_FIFO: Final = 1
DT_CHR: Final = 2
DT_DIR: Final = 4
DT_BLK: Final = 6
DT_REG: Final = 8
DT_LNK: Final = 10
DT_SOCK: Final = 12

NAME_MAX: Final = 255
PATH_MAX: Final = 4096
SYMLINK_LIMIT: Final = 40
MAX_MOUNTS: Final = 16


@struct
class DirEntry:
    """One directory entry, as readdir hands it back."""
    ino: u64
    next_cookie: u64  # pass back to readdir for the entry after this one
    type: u8  # DT_*
    name_len: u8
    name: Array[u8, 256]


@struct
class StatFs:
    fs_type: u64
    block_size: u64
    blocks: u64
    blocks_free: u64
    files: u64
    files_free: u64
    name_max: u64


@struct
class InodeOps:
    lookup: Callable[[Ptr["Inode"], Ptr[u8], usize, Ptr[Ptr["Inode"]]], i64]
    create: Callable[[Ptr["Inode"], Ptr[u8], usize, u32, Ptr[Ptr["Inode"]]], i64]
    mkdir: Callable[[Ptr["Inode"], Ptr[u8], usize, u32], i64]
    symlink: Callable[[Ptr["Inode"], Ptr[u8], usize, Ptr[u8], usize], i64]
    link: Callable[[Ptr["Inode"], Ptr[u8], usize, Ptr["Inode"]], i64]
    unlink: Callable[[Ptr["Inode"], Ptr[u8], usize], i64]
    rmdir: Callable[[Ptr["Inode"], Ptr[u8], usize], i64]
    rename: Callable[[Ptr["Inode"], Ptr[u8], usize, Ptr["Inode"], Ptr[u8], usize], i64]
    read: Callable[[Ptr["Inode"], Ptr[u8], usize, u64], i64]
    write: Callable[[Ptr["Inode"], Ptr[u8], usize, u64], i64]
    truncate: Callable[[Ptr["Inode"], u64], i64]
    readlink: Callable[[Ptr["Inode"], Ptr[u8], usize], i64]
    readdir: Callable[[Ptr["Inode"], u64, Ptr[DirEntry]], i64]
    setattr: Callable[[Ptr["Inode"]], i64]  # persist mode/uid/gid/times after the VFS changed them
    fsync: Callable[[Ptr["Inode"]], i64]
    release: Callable[[Ptr["Inode"]], None]  # the last reference is gone
    statfs: Callable[[Ptr["Inode"], Ptr[StatFs]], i64]


@struct
class Inode:
    ino: u64
    mode: u32
    nlink: u32
    uid: u32
    gid: u32
    size: u64
    blocks: u64  # 512-byte units
    atime_ns: u64
    mtime_ns: u64
    ctime_ns: u64
    rdev: u64
    dev: u64
    refcount: u32
    ops: Ptr[InodeOps]
    private: Ptr[None]  # the filesystem's own data


@struct
class Mount:
    used: bool
    mountpoint: Ptr[Inode]  # the directory covered (holds a reference)
    root: Ptr[Inode]  # the mounted filesystem's root (holds a reference)
    source: Array[u8, 64]
    fs_name: Array[u8, 16]
    path: Array[u8, 128]


mounts: Array[Mount, MAX_MOUNTS] = Array[Mount, MAX_MOUNTS]()
next_dev: u64 = 1


# ---------------------------------------------------------------- inodes

def new_inode(ops: Ptr[InodeOps], mode: u32, ino: u64, dev: u64) -> Ptr[Inode]:
    """A fresh zeroed inode holding one reference, or NULL when memory is exhausted."""
    node: Ptr[Inode] = cast(Ptr[Inode], kalloc(usize(sizeof(Inode))))
    if node == NULL:
        return NULL
    node.ops = ops
    node.mode = mode
    node.ino = ino
    node.dev = dev
    node.nlink = 1
    node.refcount = 1
    return node


def get(node: Ptr[Inode]) -> Ptr[Inode]:
    node.refcount += 1
    return node


def put(node: Ptr[Inode]) -> None:
    """Drop a reference; the filesystem releases the inode when the last one goes."""
    if node == NULL:
        return
    node.refcount -= 1
    if node.refcount == 0:
        if node.ops.release != NULL:
            node.ops.release(node)
        kfree(cast(Ptr[None], node))


def new_dev() -> u64:
    """A device number for a new filesystem instance (st_dev)."""
    global next_dev
    next_dev += 1
    return next_dev - 1


def is_dir(node: Ptr[Inode]) -> bool:
    return (node.mode & S_IFMT) == S_IFDIR


def is_symlink(node: Ptr[Inode]) -> bool:
    return (node.mode & S_IFMT) == S_IFLNK


def dtype_of(mode: u32) -> u8:
    kind: u32 = mode & S_IFMT
    if kind == S_IFDIR:
        return u8(DT_DIR)
    if kind == S_IFREG:
        return u8(DT_REG)
    if kind == S_IFLNK:
        return u8(DT_LNK)
    if kind == S_IFCHR:
        return u8(DT_CHR)
    if kind == S_IFBLK:
        return u8(DT_BLK)
    if kind == S_IFIFO:
        return u8(DT_FIFO)
    if kind == S_IFSOCK:
        return u8(DT_SOCK)
    return u8(DT_UNKNOWN)


# ---------------------------------------------------------------- mounts

def mount_at(node: Ptr[Inode]) -> Ptr[Mount]:
    """The mount whose mount point is this inode, or NULL."""
    for i in range(MAX_MOUNTS):
        m: Ptr[Mount] = addr(mounts) + i
        if m.used and m.mountpoint == node:
            return m
    return NULL


def mount_of_root(node: Ptr[Inode]) -> Ptr[Mount]:
    """The mount whose root is this inode, or NULL."""
    for i in range(MAX_MOUNTS):
        m: Ptr[Mount] = addr(mounts) + i
        if m.used and m.root == node:
            return m
    return NULL


def copy_name(dst: Ptr[u8], cap: usize, src: Ptr[u8]) -> None:
    n: usize = 0
    while n + 1 < cap and src[n] != 0:
        dst[n] = src[n]
        n += 1
    dst[n] = 0


def mount(mountpoint: Ptr[Inode], root: Ptr[Inode], source: Ptr[u8], fs_name: Ptr[u8], path: Ptr[u8]) -> i64:
    """Cover the directory `mountpoint` with the filesystem whose root is `root` (both referenced)."""
    if not is_dir(mountpoint) or not is_dir(root):
        return -errno.ENOTDIR
    if mount_at(mountpoint) != NULL:
        return -errno.EBUSY
    for i in range(MAX_MOUNTS):
        m: Ptr[Mount] = addr(mounts) + i
        if not m.used:
            m.used = True
            m.mountpoint = get(mountpoint)
            m.root = get(root)
            copy_name(addr(m.source), usize(64), source)
            copy_name(addr(m.fs_name), usize(16), fs_name)
            copy_name(addr(m.path), usize(128), path)
            return 0
    return -errno.ENOMEM
