"""devfs: the character devices every Linux program expects under /dev.

A fixed table of nodes (name, type, device number); one operation table serves them all and
dispatches on the device number, as Linux's mem driver does. /dev/fd and /dev/std{in,out,err}
are symlinks into /proc/self/fd, which procfs provides.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, struct, u8, u32, u64, usize
from cyrius.rt import memset, strlen

from .. import errno
from ..lib import cstr
from ..mm.heap import kalloc, kfree
from . import vfs

DEV_NULL: Final = (1 << 8) | 3
DEV_ZERO: Final = (1 << 8) | 5
DEV_FULL: Final = (1 << 8) | 7
DEV_RANDOM: Final = (1 << 8) | 8
DEV_URANDOM: Final = (1 << 8) | 9
DEV_TTY: Final = (5 << 8) | 0
DEV_CONSOLE: Final = (5 << 8) | 1
NODE_COUNT: Final = 11
ROOT_INO: Final = 1
# Empty directories of every /dev, for what containers mount there (runc's /dev/shm, /dev/pts,
# /dev/mqueue): each instance keeps its own, so a mount finds the same inode each time.
MOUNT_DIRS: Final = 3


@struct
class DevNode:
    name: Ptr[u8]
    name_len: u32
    mode: u32
    rdev: u64
    target: Ptr[u8]  # symlinks
    target_len: u32


nodes: Array[DevNode, NODE_COUNT] = Array[DevNode, NODE_COUNT]()
ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0
random_state: Array[u64, 2] = Array[u64, 2]()
# The terminal behind /dev/tty and /dev/console (set by the kernel; NULL reads nothing).
terminal_write: Callable[[Ptr[u8], usize], i64] = NULL
terminal_read: Callable[[Ptr[u8], usize], i64] = NULL
terminal_poll: Callable[[], u32] = NULL  # its fs/poll.py POLL* bits (NULL: always ready)
ALWAYS_READY: Final = 0x145  # POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM


def define(index: u32, name: Ptr[u8], name_len: u32, mode: u32, rdev: u64, target: Ptr[u8], target_len: u32) -> None:
    n: Ptr[DevNode] = addr(nodes) + index
    n.name = name
    n.name_len = name_len
    n.mode = mode
    n.rdev = rdev
    n.target = target
    n.target_len = target_len


def seed(a: u64, b: u64) -> None:
    """Seed the /dev/random generator (xorshift128+; not cryptographic, documented as such)."""
    random_state[0] = a | 1
    random_state[1] = b ^ 0x9E3779B97F4A7C15


def next_random() -> u64:
    s1: u64 = random_state[0]
    s0: u64 = random_state[1]
    random_state[0] = s0
    s1 ^= s1 << 23
    random_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26)
    return random_state[1] + s0


def fill_random(buf: Ptr[u8], count: usize) -> None:
    i: usize = 0
    while i < count:
        word: u64 = next_random()
        k: u32 = 0
        while k < 8 and i < count:
            buf[i] = u8(word >> (8 * k))
            i += 1
            k += 1


def node_inode(index: u32) -> Ptr[vfs.Inode]:
    n: Ptr[DevNode] = addr(nodes) + index
    inode: Ptr[vfs.Inode] = vfs.new_inode(addr(ops), n.mode, u64(index) + 2, dev)
    if inode != NULL:
        inode.rdev = n.rdev
        inode.size = u64(n.target_len)
    return inode


def mount_dir_name(i: u32) -> Ptr[u8]:
    if i == 0:
        return b"shm"
    if i == 1:
        return b"pts"
    return b"mqueue"


def mount_dirs(root: Ptr[vfs.Inode]) -> Ptr[Ptr[vfs.Inode]]:
    return cast(Ptr[Ptr[vfs.Inode]], root.private)


def is_bare_mount_dir(node: Ptr[vfs.Inode]) -> bool:
    """node is one of a /dev's mount directories (shm, pts, mqueue) with nothing mounted on it."""
    return node.ops == addr(ops) and vfs.is_dir(node) and not is_root(node)


def is_root(dir: Ptr[vfs.Inode]) -> bool:
    return dir.ino == ROOT_INO


def null_node() -> Ptr[vfs.Inode]:
    """A /dev/null inode (one reference): what a masked file is covered with."""
    return node_inode(u32(0))


def lookup(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    if length == 1 and name[0] == ord("."):
        out[0] = vfs.get(dir)
        return 0
    if length == 2 and name[0] == ord(".") and name[1] == ord("."):
        # the mount makes `..` leave devfs; a mount directory's is the root
        out[0] = vfs.get(dir if is_root(dir) else cast(Ptr[vfs.Inode], dir.private))
        return 0
    if not is_root(dir):
        return -errno.ENOENT  # a mount directory nothing is mounted on is empty
    for i in range(MOUNT_DIRS):
        if cstr.is_name(name, length, mount_dir_name(u32(i))):
            out[0] = vfs.get(mount_dirs(dir)[i])
            return 0
    for i in range(NODE_COUNT):
        n: Ptr[DevNode] = addr(nodes) + i
        if usize(n.name_len) != length:
            continue
        same: bool = True
        for k in range(length):
            if n.name[k] != name[k]:
                same = False
                break
        if same:
            inode: Ptr[vfs.Inode] = node_inode(u32(i))
            if inode == NULL:
                return -errno.ENOMEM
            out[0] = inode
            return 0
    return -errno.ENOENT


def readdir(dir: Ptr[vfs.Inode], cookie: u64, out: Ptr[vfs.DirEntry]) -> i64:
    if cookie < 2:
        out.ino = u64(ROOT_INO)
        out.type = u8(vfs.DT_DIR)
        out.name_len = u8(cookie + 1)
        out.name[0] = ord(".")
        out.name[1] = ord(".")
        out.name[cookie + 1] = 0
        out.next_cookie = cookie + 1
        return 1
    if not is_root(dir):
        return 0
    if cookie - 2 >= NODE_COUNT:
        i: u64 = cookie - 2 - NODE_COUNT
        if i >= MOUNT_DIRS:
            return 0
        entry_name: Ptr[u8] = mount_dir_name(u32(i))
        out.ino = mount_dirs(dir)[i].ino
        out.type = u8(vfs.DT_DIR)
        out.name_len = u8(strlen(entry_name))
        for j in range(usize(out.name_len) + 1):
            out.name[j] = entry_name[j]
        out.next_cookie = cookie + 1
        return 1
    n: Ptr[DevNode] = addr(nodes) + (cookie - 2)
    out.ino = cookie
    out.type = vfs.dtype_of(n.mode)
    out.name_len = u8(n.name_len)
    for k in range(n.name_len):
        out.name[k] = n.name[k]
    out.name[n.name_len] = 0
    out.next_cookie = cookie + 1
    return 1


def read(inode: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    r: u64 = inode.rdev
    if r == DEV_NULL:
        return 0
    if r == DEV_ZERO or r == DEV_FULL:
        memset(buf, 0, count)
        return i64(count)
    if r == DEV_RANDOM or r == DEV_URANDOM:
        fill_random(buf, count)
        return i64(count)
    if r == DEV_TTY or r == DEV_CONSOLE:
        if terminal_read == NULL:
            return 0
        return terminal_read(buf, count)
    return -errno.ENXIO


def write(inode: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    r: u64 = inode.rdev
    if r == DEV_FULL:
        return -errno.ENOSPC
    if (r == DEV_TTY or r == DEV_CONSOLE) and terminal_write != NULL:
        return terminal_write(buf, count)
    return i64(count)


def discards_writes(inode: Ptr[vfs.Inode]) -> bool:
    return inode.rdev == DEV_NULL


def truncate(inode: Ptr[vfs.Inode], size: u64) -> i64:
    return 0  # O_TRUNC on a device is ignored, as on Linux


def poll(inode: Ptr[vfs.Inode], flags: u32) -> u32:
    r: u64 = inode.rdev
    if (r == DEV_TTY or r == DEV_CONSOLE) and terminal_poll != NULL:
        return terminal_poll()
    return u32(ALWAYS_READY)


def readlink(inode: Ptr[vfs.Inode], buf: Ptr[u8], cap: usize) -> i64:
    if not vfs.is_symlink(inode):
        return -errno.EINVAL
    n: Ptr[DevNode] = addr(nodes) + (inode.ino - 2)
    length: usize = usize(n.target_len)
    if length > cap:
        length = cap
    for k in range(length):
        buf[k] = n.target[k]
    return i64(length)


def new_root() -> Ptr[vfs.Inode]:
    """The /dev directory (one reference)."""
    global dev
    dev = vfs.new_dev()
    ops.lookup = lookup
    ops.readdir = readdir
    ops.read = read
    ops.write = write
    ops.discards_writes = discards_writes
    ops.truncate = truncate
    ops.readlink = readlink
    ops.poll = poll
    chr_mode: u32 = u32(vfs.S_IFCHR | 0o666)
    lnk_mode: u32 = u32(vfs.S_IFLNK | 0o777)
    define(u32(0), b"null", u32(4), chr_mode, u64(DEV_NULL), NULL, u32(0))
    define(u32(1), b"zero", u32(4), chr_mode, u64(DEV_ZERO), NULL, u32(0))
    define(u32(2), b"full", u32(4), chr_mode, u64(DEV_FULL), NULL, u32(0))
    define(u32(3), b"random", u32(6), chr_mode, u64(DEV_RANDOM), NULL, u32(0))
    define(u32(4), b"urandom", u32(7), chr_mode, u64(DEV_URANDOM), NULL, u32(0))
    define(u32(5), b"tty", u32(3), chr_mode, u64(DEV_TTY), NULL, u32(0))
    define(u32(6), b"console", u32(7), u32(vfs.S_IFCHR | 0o600), u64(DEV_CONSOLE), NULL, u32(0))
    define(u32(7), b"fd", u32(2), lnk_mode, u64(0), b"/proc/self/fd", u32(13))
    define(u32(8), b"stdin", u32(5), lnk_mode, u64(0), b"/proc/self/fd/0", u32(15))
    define(u32(9), b"stdout", u32(6), lnk_mode, u64(0), b"/proc/self/fd/1", u32(15))
    define(u32(10), b"stderr", u32(6), lnk_mode, u64(0), b"/proc/self/fd/2", u32(15))
    ops.release = release
    root: Ptr[vfs.Inode] = vfs.new_inode(addr(ops), u32(vfs.S_IFDIR | 0o755), u64(ROOT_INO), dev)
    if root == NULL:
        return NULL
    root.nlink = 2 + MOUNT_DIRS
    dirs: Ptr[Ptr[vfs.Inode]] = cast(Ptr[Ptr[vfs.Inode]], kalloc(usize(8 * MOUNT_DIRS)))
    root.private = cast(Ptr[None], dirs)
    if dirs == NULL:
        vfs.put(root)
        return NULL
    for i in range(MOUNT_DIRS):
        mode: u32 = u32(vfs.S_IFDIR | 0o1777) if i == 0 else u32(vfs.S_IFDIR | 0o755)
        d: Ptr[vfs.Inode] = vfs.new_inode(addr(ops), mode, u64(NODE_COUNT + 2 + i), dev)
        if d == NULL:
            vfs.put(root)
            return NULL
        d.nlink = 2
        d.private = cast(Ptr[None], root)  # `..` (not referenced: the root holds the directory)
        dirs[i] = d
    return root


def release(inode: Ptr[vfs.Inode]) -> None:
    """The root's last reference is gone: its mount directories go with it."""
    if is_root(inode) and inode.private != NULL:
        dirs: Ptr[Ptr[vfs.Inode]] = mount_dirs(inode)
        for i in range(MOUNT_DIRS):
            if dirs[i] != NULL:
                vfs.put(dirs[i])
        kfree(cast(Ptr[None], dirs))
