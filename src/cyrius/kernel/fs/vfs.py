"""The virtual file system: inodes with per-filesystem operation tables, mounts, path resolution.

Every filesystem (memfs, devfs, FAT32, ...) provides an `InodeOps` table; a NULL entry means the
operation is not supported there. Operations return 0 or a byte count on success and a negative
errno on failure, as Linux syscalls do.

Paths are resolved against a *root* and a *cwd* inode: `..` never climbs above the root, so a
container whose root is its rootfs cannot name anything outside it, whatever the path says.
Mount points are found by inode: walking onto a mounted-on directory continues in the mounted
filesystem's root, and `..` from a mounted root continues from the mount point.

Every path operation takes the caller's credentials (`Cred`) first and checks permissions on the
one walk it acts on, as Linux does: search (x) on every directory the walk crosses, write and search
on the directory a name is added to or removed from, read/write on a file opened. Nothing resolves a
path twice, so nothing can change between a check and its use. The kernel's own work (the shell,
mounting, unpacking a bundle) acts with `as_kernel()`, uid 0 with every capability.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize

from .. import errno
from cyrius.rt import memmove

from ..proc import caps
from ..mm import frames, phys
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
MAX_MOUNTS: Final = 256  # 64 containers with their /proc and /dev, and more


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
    mknod: Callable[[Ptr["Inode"], Ptr[u8], usize, u32, Ptr[Ptr["Inode"]]], i64]  # mode holds the type (S_IFSOCK)
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
    # Streams (pipes, terminals, sockets) have no file offset: stream_read/stream_write take the open
    # file's flags (O_NONBLOCK) instead of an offset, and lseek/pread/pwrite fail with ESPIPE.
    stream_read: Callable[[Ptr["Inode"], Ptr[u8], usize, u32], i64]
    stream_write: Callable[[Ptr["Inode"], Ptr[u8], usize, u32], i64]
    poll: Callable[[Ptr["Inode"], u32], u32]  # fs/poll.py POLL* bits for a file with these flags; NULL: ready
    close_file: Callable[[Ptr["Inode"], u32], None]  # an open file with these flags was closed for good
    # True when every write succeeds whole without reading its data (/dev/null): the system call
    # need not fetch the caller's buffer at all, as Linux's write_null does not.
    discards_writes: Callable[[Ptr["Inode"]], bool]
    # The physical frame holding file page `index` whole, or 0: a private mapping may map it until
    # it writes (mm/uspace.shared_file_frame). Only for frames from uspace.file_frame.
    page_frame: Callable[[Ptr["Inode"], u64], u64]


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
    # Address spaces running this file as their program: opening it for writing or truncating it is
    # ETXTBSY meanwhile, as Linux's deny_write_access (their private mappings may share its frames).
    write_denied: u32
    locks: Ptr[None]  # its file locks (fs/lock.py: one list of Lock records for flock, POSIX and OFD)
    pipe: Ptr[None]  # a pipe's ring (fs/pipe.py); a named FIFO's while it has openers


# Mount.flags (Linux's MS_* meanings)
MNT_RDONLY: Final = 1  # writes through it are EROFS
MNT_NOSUID: Final = 2  # set-user/group-id bits do not act (Cyrius's execve never honours them)
MNT_NODEV: Final = 4  # device nodes on it cannot be opened (EACCES)
MNT_NOEXEC: Final = 8  # programs on it cannot be run or mapped executable


@struct
class Mount:
    """A filesystem (or a part of one: a bind mount) attached at a place of one world's tree. Each
    world (the host's, each container's) has its own: `world` is the root its walks start from,
    and only those walks see the mount (Linux's mount namespaces). A mount with no mount point
    gives the world's root itself its flags (a read-only container root)."""
    used: bool
    world: Ptr[Inode]  # the root of the tree it belongs to (not referenced: the world outlives it)
    mountpoint: Ptr[Inode]  # what it covers (holds a reference): a directory, or a file for a file
    root: Ptr[Inode]  # the mounted tree's root (holds a reference); the mount point itself for a self-bind
    flags: u32  # MNT_*
    source: Array[u8, 64]
    fs_name: Array[u8, 16]
    path: Array[u8, 128]


@struct
class Cred:
    """Who asks: the ids permission bits are checked against (a process's effective ids, or its real
    ones for access())."""
    uid: u32
    gid: u32
    caps: u64  # effective capabilities (proc/caps.py): DAC_OVERRIDE and DAC_READ_SEARCH matter here
    groups: Ptr[u32]  # supplementary groups (group_count of them)
    group_count: u32
    world: Ptr["Inode"]  # whose mounts its walks see (the root of its container or of the host);
    # NULL: the walk's own root (the kernel's walks in a world it names by that root)


def world_of(cred: Ptr[Cred], root: Ptr["Inode"]) -> Ptr["Inode"]:
    """The mount world a walk by cred from root sees: a chroot moves a process's root, not its world."""
    return cred.world if cred.world != NULL else root


kernel_cred: Cred = Cred()  # uid 0, gid 0; as_kernel gives it every capability


def as_kernel() -> Ptr[Cred]:
    kernel_cred.caps = u64(caps.CAP_ALL)
    return addr(kernel_cred)


mounts: Array[Mount, MAX_MOUNTS] = Array[Mount, MAX_MOUNTS]()
mounts_used: u32 = 0  # entries below this index may be in use: searches stop there (walks cross mounts often)
next_dev: u64 = 1
next_anon_ino: u64 = 1
clock: Callable[[], u64] = NULL  # wall/monotonic nanoseconds for timestamps; set at boot


def init(clock_source: Callable[[], u64]) -> None:
    """Empty mount table; timestamps from clock_source (NULL: all zero)."""
    global clock
    clock = clock_source
    for i in range(MAX_MOUNTS):
        mounts[i].used = False
    set_mounts_used(u32(0))


def set_mounts_used(n: u32) -> None:
    global mounts_used
    mounts_used = n


def now_ns() -> u64:
    if clock == NULL:
        return 0
    return clock()


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


def new_anon(ops: Ptr[InodeOps], mode: u32, dev: u64, private: Ptr[None]) -> Ptr[Inode]:
    """An inode in no directory (a pipe, an epoll set, an eventfd) with its filesystem's data,
    numbered from one counter for all of them; NULL when memory is exhausted."""
    global next_anon_ino
    node: Ptr[Inode] = new_inode(ops, mode, next_anon_ino, dev)
    if node == NULL:
        return NULL
    next_anon_ino += 1
    node.private = private
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


def readable_count(node: Ptr[Inode], count: usize, offset: u64) -> i64:
    """How many of `count` bytes at `offset` a read of a file with data returns: what is left before
    its end (0 at or past it), or -EISDIR for a directory."""
    if is_dir(node):
        return -errno.EISDIR
    if offset >= node.size:
        return 0
    if u64(count) > node.size - offset:
        return i64(node.size - offset)
    return i64(count)


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

def mount_at(world: Ptr[Inode], node: Ptr[Inode]) -> Ptr[Mount]:
    """The mount of `world` whose mount point is this inode, or NULL."""
    for i in range(mounts_used):
        m: Ptr[Mount] = addr(mounts) + i
        if m.used and m.world == world and m.mountpoint == node:
            return m
    return NULL


def mount_of_root(world: Ptr[Inode], node: Ptr[Inode]) -> Ptr[Mount]:
    """The mount of `world` whose root is this inode and sits elsewhere (`..` from it leaves it), or NULL."""
    for i in range(mounts_used):
        m: Ptr[Mount] = addr(mounts) + i
        if m.used and m.world == world and m.root == node and m.mountpoint != NULL and m.mountpoint != node:
            return m
    return NULL


def mounted_anywhere(node: Ptr[Inode]) -> bool:
    """Some world has a mount on this inode: it cannot be removed (EBUSY)."""
    for i in range(mounts_used):
        m: Ptr[Mount] = addr(mounts) + i
        if m.used and m.mountpoint == node:
            return True
    return False


def mount_flags(world: Ptr[Inode], dir: Ptr[Inode]) -> u32:
    """The flags of the mount directory `dir` is in, as `world` sees it: of the nearest mount root
    above it (a self-bind counts), or of the world's root. Most worlds restrict nothing: then 0
    without a walk up the tree."""
    restricted: bool = False
    for i in range(mounts_used):
        m: Ptr[Mount] = addr(mounts) + i
        if m.used and m.world == world and m.flags != 0:
            restricted = True
    if not restricted or dir == NULL:
        return 0
    current: Ptr[Inode] = get(dir)
    flags: u32 = 0
    slot: Array[Ptr[Inode], 1] = Array[Ptr[Inode], 1]()
    while True:
        found: Ptr[Mount] = NULL
        for i in range(mounts_used):
            m: Ptr[Mount] = addr(mounts) + i
            if m.used and m.world == world and m.root == current:
                found = m
        if found != NULL:
            flags = found.flags
            break
        if current == world or not is_dir(current) or current.ops.lookup == NULL:
            break
        if current.ops.lookup(current, b"..", usize(2), addr(slot)) < 0:
            break
        if slot[0] == current:  # the top of its filesystem
            put(slot[0])
            break
        put(current)
        current = slot[0]
    put(current)
    return flags


def node_flags(world: Ptr[Inode], node: Ptr[Inode]) -> u32:
    """The flags that act on `node` where world sees it, when no walk says where that is (an
    operation on a descriptor, or on a file by path once resolved): a directory's own mount; for
    another file, the flags every mount of its filesystem in world shares (a file of a filesystem
    the world reaches read-only everywhere is read-only)."""
    if is_dir(node):
        return mount_flags(world, node)
    shared: u32 = 0xFFFFFFFF
    seen: bool = False
    for i in range(mounts_used):
        m: Ptr[Mount] = addr(mounts) + i
        if m.used and m.world == world and m.root.dev == node.dev:
            shared &= m.flags
            seen = True
    if world.dev == node.dev and mount_at(world, NULL) == NULL:
        shared = 0  # the world's root, which has no flags of its own
    if not seen:
        return 0
    return shared


def copy_name(dst: Ptr[u8], cap: usize, src: Ptr[u8]) -> None:
    n: usize = 0
    while n + 1 < cap and src[n] != 0:
        dst[n] = src[n]
        n += 1
    dst[n] = 0


def mount(world: Ptr[Inode], mountpoint: Ptr[Inode], root: Ptr[Inode], flags: u32, source: Ptr[u8],
          fs_name: Ptr[u8], path: Ptr[u8]) -> i64:
    """Cover `mountpoint` in `world`'s tree with the tree whose root is `root` (both referenced): a
    directory with a directory, a file with a file (a bind mount of one file). mountpoint NULL:
    give the world's root (root == world) its flags."""
    if mountpoint != NULL and is_dir(mountpoint) != is_dir(root):
        return -errno.ENOTDIR
    if mount_at(world, mountpoint) != NULL or mount_of_root(world, root) != NULL:
        return -errno.EBUSY  # `..` from a mounted root finds its mount point by the root: one root, one place
    for i in range(MAX_MOUNTS):
        m: Ptr[Mount] = addr(mounts) + i
        if not m.used:
            m.used = True
            if u32(i) >= mounts_used:
                set_mounts_used(u32(i) + 1)
            m.world = world
            m.mountpoint = get(mountpoint) if mountpoint != NULL else NULL
            m.root = get(root)
            m.flags = flags
            copy_name(addr(m.source), usize(64), source)
            copy_name(addr(m.fs_name), usize(16), fs_name)
            copy_name(addr(m.path), usize(128), path)
            return 0
    return -errno.ENOMEM


def set_mount_flags(world: Ptr[Inode], mountpoint: Ptr[Inode], flags: u32) -> None:
    m: Ptr[Mount] = mount_at(world, mountpoint)
    if m != NULL:
        m.flags = flags


def unmount(world: Ptr[Inode], mountpoint: Ptr[Inode]) -> i64:
    """Uncover mountpoint in world's tree (NULL: drop the world root's flags); the caller makes sure
    nothing still uses the mounted tree."""
    m: Ptr[Mount] = mount_at(world, mountpoint)
    if m == NULL:
        return -errno.EINVAL
    m.used = False
    put(m.root)
    if m.mountpoint != NULL:
        put(m.mountpoint)
    m.root = NULL
    m.mountpoint = NULL
    m.world = NULL
    return 0


# ---------------------------------------------------------------- path resolution

FOLLOW: Final = 1  # follow a symlink in the last component
MAY_NOT_EXIST: Final = 2  # the last component may be missing (create, mkdir, ...)


@struct
class Walk:
    """Where a path led. Both inodes hold a reference until done(walk)."""
    parent: Ptr[Inode]  # directory holding the last component (NULL for "/" and ".")
    node: Ptr[Inode]  # the inode named, or NULL when it does not exist (MAY_NOT_EXIST)
    name_len: usize
    name: Array[u8, 256]  # the last component
    trailing_slash: bool


def done(w: Ptr[Walk]) -> None:
    put(w.parent)
    put(w.node)
    w.parent = NULL
    w.node = NULL


def walk_flags(world: Ptr[Inode], w: Ptr[Walk]) -> u32:
    """The flags of the mount holding what walk w named (a directory's own mount, else its parent's)."""
    if w.node != NULL and is_dir(w.node):
        return mount_flags(world, w.node)
    return mount_flags(world, w.parent)



def lookup_in(world: Ptr[Inode], dir: Ptr[Inode], name: Ptr[u8], length: usize, out: Ptr[Ptr[Inode]]) -> i64:
    """One component in one directory, continuing onto what world has mounted there."""
    if not is_dir(dir):
        return -errno.ENOTDIR
    if dir.ops.lookup == NULL:
        return -errno.ENOENT
    err: i64 = dir.ops.lookup(dir, name, length, out)
    if err < 0:
        return err
    m: Ptr[Mount] = mount_at(world, out[0])
    if m != NULL:
        covered: Ptr[Inode] = out[0]
        out[0] = get(m.root)
        put(covered)
    return 0


def parent_of(world: Ptr[Inode], root: Ptr[Inode], dir: Ptr[Inode], out: Ptr[Ptr[Inode]]) -> i64:
    """`..` of dir, which never goes above root and crosses back over world's mount points."""
    current: Ptr[Inode] = get(dir)
    while current != root:
        m: Ptr[Mount] = mount_of_root(world, current)
        if m != NULL and m.mountpoint == root:
            break
        if m == NULL:
            err: i64 = lookup_in(world, current, b"..", usize(2), out)
            put(current)
            return err
        put(current)
        current = get(m.mountpoint)  # `..` of a mounted root is `..` of the directory it covers
    out[0] = current
    return 0


def resolve(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], flags: u32, w: Ptr[Walk]) -> i64:
    """Walk `path` from root (absolute) or cwd (relative), following symlinks up to SYMLINK_LIMIT;
    every directory searched needs search (x) permission for cred (-EACCES).

    On success w.node is the inode (or NULL with MAY_NOT_EXIST), w.parent its directory and
    w.name the last component; call done(w) afterwards. On failure nothing is held."""
    w.parent = NULL
    w.node = NULL
    w.name_len = 0
    w.trailing_slash = False
    # Scratch straight from the frame allocator, one page each, not zeroed (every path operation
    # walks: zeroed heap runs were most of what stat() cost, contiguous runs a scan of memory).
    # The path being walked never outgrows PATH_MAX: a splice that would is ENAMETOOLONG.
    work_frame: u64 = frames.alloc()
    link_frame: u64 = frames.alloc()
    err: i64 = -errno.ENOMEM
    if work_frame != 0 and link_frame != 0:
        err = walk_path(cred, root, cwd, path, flags, w, phys.bytes_at(work_frame), phys.bytes_at(link_frame))
    if work_frame != 0:
        frames.free(work_frame)
    if link_frame != 0:
        frames.free(link_frame)
    if err < 0:
        done(w)
    return err


def walk_path(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], flags: u32, w: Ptr[Walk],
              work: Ptr[u8], link_buf: Ptr[u8]) -> i64:
    length: usize = 0
    while path[length] != 0:
        length += 1
        if length >= PATH_MAX:
            return -errno.ENAMETOOLONG
    if length == 0:
        return -errno.ENOENT
    for i in range(length + 1):
        work[i] = path[i]
    current: Ptr[Inode] = get(root) if work[0] == ord("/") else get(cwd)
    world: Ptr[Inode] = world_of(cred, root)
    slot: Array[Ptr[Inode], 1] = Array[Ptr[Inode], 1]()  # out-parameter for lookups
    links: u32 = 0
    pos: usize = 0
    while True:
        while work[pos] == ord("/"):
            pos += 1
        if work[pos] == 0:
            # The path ended on a directory ("/", "a/", "."): it names `current` itself.
            w.node = current
            return 0
        start: usize = pos
        while work[pos] != 0 and work[pos] != ord("/"):
            pos += 1
        n: usize = pos - start
        if n > NAME_MAX:
            put(current)
            return -errno.ENAMETOOLONG
        rest: usize = pos
        while work[rest] == ord("/"):
            rest += 1
        last: bool = work[rest] == 0
        component: Ptr[u8] = work + start
        if is_dir(current) and not permitted(cred, current, u32(X_OK)):
            put(current)  # Linux checks search permission before every component, `.` and `..` too
            return -errno.EACCES
        if n == 1 and component[0] == ord("."):
            continue
        if n == 2 and component[0] == ord(".") and component[1] == ord("."):
            err: i64 = parent_of(world, root, current, addr(slot))
            put(current)
            if err < 0:
                return err
            current = slot[0]
            continue
        if not is_dir(current):
            put(current)
            return -errno.ENOTDIR
        err2: i64 = lookup_in(world, current, component, n, addr(slot))
        child: Ptr[Inode] = slot[0] if err2 == 0 else cast(Ptr[Inode], NULL)
        if last:
            w.parent = current
            w.name_len = n
            for i in range(n):
                w.name[i] = component[i]
            w.name[n] = 0
            w.trailing_slash = pos != rest
        if err2 == -errno.ENOENT and last and (flags & MAY_NOT_EXIST) != 0:
            return 0
        if err2 < 0:
            if not last:
                put(current)
            return err2
        if is_symlink(child) and (not last or (flags & FOLLOW) != 0 or w.trailing_slash):
            links += 1
            if links > SYMLINK_LIMIT:
                put(child)
                if not last:
                    put(current)
                return -errno.ELOOP
            got: i64 = read_link(child, link_buf, usize(PATH_MAX))
            put(child)
            if got < 0:
                if not last:
                    put(current)
                return got
            if last:
                w.parent = NULL  # the walk continues: `current` is ours again
            # Splice: work = target + "/" + rest of the path.
            tail: usize = 0
            while work[rest + tail] != 0:
                tail += 1
            if usize(got) + 1 + tail >= PATH_MAX:
                put(current)
                return -errno.ENAMETOOLONG
            if tail > 0:
                memmove(cast(Ptr[None], work + usize(got) + 1), cast(Ptr[None], work + rest), tail + 1)
                work[usize(got)] = ord("/")
            else:
                work[usize(got)] = 0
            for i in range(usize(got)):
                work[i] = link_buf[i]
            if link_buf[0] == ord("/"):
                put(current)
                current = get(root)
            pos = 0
            continue
        if last:
            w.node = child
            if w.trailing_slash and not is_dir(child):
                return -errno.ENOTDIR
            return 0
        put(current)
        current = child


def read_link(node: Ptr[Inode], buf: Ptr[u8], cap: usize) -> i64:
    if node.ops.readlink == NULL:
        return -errno.EINVAL
    return node.ops.readlink(node, buf, cap)


# ---------------------------------------------------------------- path operations

def can_change_dir(cred: Ptr[Cred], w: Ptr[Walk]) -> bool:
    """Adding or removing a name needs write and search permission on the directory holding it, the
    one this walk resolved. No sticky-bit rules."""
    return w.parent == NULL or permitted(cred, w.parent, u32(W_OK | X_OK))


def walk_to_change(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], flags: u32,
                   w: Ptr[Walk]) -> i64:
    """resolve for an operation that adds or removes a name: -EACCES unless the caller may change the
    directory this walk found the name in. On failure nothing is held."""
    err: i64 = resolve(cred, root, cwd, path, flags, w)
    if err < 0:
        return err
    if (mount_flags(world_of(cred, root), w.parent if w.parent != NULL else w.node) & MNT_RDONLY) != 0:
        done(w)
        return -errno.EROFS
    if not can_change_dir(cred, w):
        done(w)
        return -errno.EACCES
    return 0


def own_entry(cred: Ptr[Cred], w: Ptr[Walk]) -> None:
    """The entry just made under the walk's parent belongs to the caller's ids (looked up in the
    parent the walk holds, not by path again)."""
    if cred.uid == 0 and cred.gid == 0:
        return
    slot: Array[Ptr[Inode], 1] = Array[Ptr[Inode], 1]()
    if w.parent.ops.lookup(w.parent, addr(w.name), w.name_len, addr(slot)) == 0:
        set_owner(slot[0], cred.uid, cred.gid)
        put(slot[0])


def walk_to_add(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], w: Ptr[Walk]) -> i64:
    """walk_to_change for a name about to be made: -EEXIST when it is taken."""
    err: i64 = walk_to_change(cred, root, cwd, path, u32(MAY_NOT_EXIST), w)
    if err == 0 and w.node != NULL:
        done(w)
        err = -errno.EEXIST
    return err


def mkdir(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], mode: u32) -> i64:
    w: Walk = Walk()
    err: i64 = walk_to_add(cred, root, cwd, path, addr(w))
    if err < 0:
        return err
    if w.parent.ops.mkdir == NULL:
        err = -errno.EPERM
    else:
        err = w.parent.ops.mkdir(w.parent, addr(w.name), w.name_len, mode)
        if err >= 0:
            own_entry(cred, addr(w))
    done(addr(w))
    return err


def mknod(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], mode: u32,
          out: Ptr[Ptr[Inode]]) -> i64:
    """A new special file (mode: its type and permissions) owned by cred, referenced in out[0];
    -EEXIST when the name is taken, -EPERM where the filesystem cannot hold one."""
    w: Walk = Walk()
    err: i64 = walk_to_add(cred, root, cwd, path, addr(w))
    if err < 0:
        return err
    if w.parent.ops.mknod == NULL:
        err = -errno.EPERM
    else:
        err = w.parent.ops.mknod(w.parent, addr(w.name), w.name_len, mode, out)
        if err == 0 and (out[0].uid != cred.uid or out[0].gid != cred.gid):
            set_owner(out[0], cred.uid, cred.gid)
    done(addr(w))
    return err


def unlink(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8]) -> i64:
    w: Walk = Walk()
    err: i64 = walk_to_change(cred, root, cwd, path, u32(0), addr(w))
    if err < 0:
        return err
    if w.parent == NULL:
        err = -errno.EBUSY
    elif is_dir(w.node):
        err = -errno.EISDIR
    elif w.parent.ops.unlink == NULL:
        err = -errno.EPERM
    else:
        err = w.parent.ops.unlink(w.parent, addr(w.name), w.name_len)
    done(addr(w))
    return err


def rmdir(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8]) -> i64:
    w: Walk = Walk()
    err: i64 = walk_to_change(cred, root, cwd, path, u32(0), addr(w))
    if err < 0:
        return err
    mounted: bool = mount_of_root(world_of(cred, root), w.node) != NULL or mounted_anywhere(w.node)
    if w.parent == NULL or w.node == root or mounted:
        err = -errno.EBUSY
    elif not is_dir(w.node):
        err = -errno.ENOTDIR
    elif w.parent.ops.rmdir == NULL:
        err = -errno.EPERM
    else:
        err = w.parent.ops.rmdir(w.parent, addr(w.name), w.name_len)
    done(addr(w))
    return err


def symlink(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], target: Ptr[u8], path: Ptr[u8]) -> i64:
    w: Walk = Walk()
    err: i64 = walk_to_change(cred, root, cwd, path, u32(MAY_NOT_EXIST), addr(w))
    if err < 0:
        return err
    length: usize = 0
    while target[length] != 0:
        length += 1
    if w.node != NULL:
        err = -errno.EEXIST
    elif w.parent.ops.symlink == NULL:
        err = -errno.EPERM
    else:
        err = w.parent.ops.symlink(w.parent, addr(w.name), w.name_len, target, length)
        if err >= 0:
            own_entry(cred, addr(w))
    done(addr(w))
    return err


def link(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], old_path: Ptr[u8], new_path: Ptr[u8]) -> i64:
    return link_at(cred, root, cwd, old_path, cwd, new_path, False)


def link_at(cred: Ptr[Cred], root: Ptr[Inode], old_cwd: Ptr[Inode], old_path: Ptr[u8], new_cwd: Ptr[Inode],
            new_path: Ptr[u8], follow: bool) -> i64:
    """link with each path relative to its own directory (linkat); follow: AT_SYMLINK_FOLLOW."""
    old: Walk = Walk()
    err: i64 = resolve(cred, root, old_cwd, old_path, u32(FOLLOW) if follow else u32(0), addr(old))
    if err < 0:
        return err
    new: Walk = Walk()
    err = walk_to_change(cred, root, new_cwd, new_path, u32(MAY_NOT_EXIST), addr(new))
    if err < 0:
        done(addr(old))
        return err
    if new.node != NULL:
        err = -errno.EEXIST
    elif new.parent.dev != old.node.dev:
        err = -errno.EXDEV
    elif new.parent.ops.link == NULL:
        err = -errno.EPERM
    else:
        err = new.parent.ops.link(new.parent, addr(new.name), new.name_len, old.node)
    done(addr(old))
    done(addr(new))
    return err


def rename(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], old_path: Ptr[u8], new_path: Ptr[u8]) -> i64:
    return rename_at(cred, root, cwd, old_path, cwd, new_path, False)


def rename_at(cred: Ptr[Cred], root: Ptr[Inode], old_cwd: Ptr[Inode], old_path: Ptr[u8], new_cwd: Ptr[Inode],
              new_path: Ptr[u8], no_replace: bool) -> i64:
    """rename with each path relative to its own directory (renameat); no_replace: -EEXIST rather
    than replace what the new name names (renameat2's RENAME_NOREPLACE)."""
    old: Walk = Walk()
    err: i64 = walk_to_change(cred, root, old_cwd, old_path, u32(0), addr(old))
    if err < 0:
        return err
    new: Walk = Walk()
    err = walk_to_change(cred, root, new_cwd, new_path, u32(MAY_NOT_EXIST), addr(new))
    if err < 0:
        done(addr(old))
        return err
    if old.parent == NULL or new.parent == NULL:
        err = -errno.EBUSY
    elif no_replace and new.node != NULL:
        err = -errno.EEXIST
    elif new.parent.dev != old.parent.dev:
        err = -errno.EXDEV
    elif old.parent.ops.rename == NULL:
        err = -errno.EPERM
    else:
        err = old.parent.ops.rename(old.parent, addr(old.name), old.name_len, new.parent, addr(new.name),
                                    new.name_len)
    done(addr(old))
    done(addr(new))
    return err


def lookup_path(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], follow: bool,
                out: Ptr[Ptr[Inode]]) -> i64:
    """The inode a path names (one reference in out[0])."""
    w: Walk = Walk()
    err: i64 = resolve(cred, root, cwd, path, u32(FOLLOW) if follow else u32(0), addr(w))
    if err < 0:
        return err
    out[0] = get(w.node)
    done(addr(w))
    return 0


def is_dot_entry(entry: Ptr[DirEntry]) -> bool:
    """Is this readdir entry `.` or `..`?"""
    return entry.name[0] == ord(".") and (entry.name_len == 1 or (entry.name_len == 2 and entry.name[1] == ord(".")))


def name_in_parent(parent: Ptr[Inode], child: Ptr[Inode], entry: Ptr[DirEntry]) -> i64:
    """Find child's entry in parent (by inode number): 1 with `entry` filled, 0 if absent."""
    if parent.ops.readdir == NULL:
        return 0
    cookie: u64 = 0
    while True:
        got: i64 = parent.ops.readdir(parent, cookie, entry)
        if got <= 0:
            return got
        cookie = entry.next_cookie
        if not is_dot_entry(entry) and entry.ino == child.ino:
            return 1


def path_of(world: Ptr[Inode], root: Ptr[Inode], node: Ptr[Inode], buf: Ptr[u8], cap: usize) -> i64:
    """The absolute path of directory `node` as seen from `root` in world (getcwd); its length, or
    -errno (-ENOENT when node is not under root: nothing outside a container's root gets a name in it)."""
    if cap < 2:
        return -errno.ERANGE
    entry: Ptr[DirEntry] = cast(Ptr[DirEntry], kalloc(usize(sizeof(DirEntry))))
    if entry == NULL:
        return -errno.ENOMEM
    slot: Array[Ptr[Inode], 1] = Array[Ptr[Inode], 1]()
    end: usize = cap - 1  # the path is built backwards from the end of buf
    buf[end] = 0
    current: Ptr[Inode] = get(node)
    err: i64 = 0
    while current != root:
        m: Ptr[Mount] = mount_of_root(world, current)
        if m != NULL:
            put(current)
            current = get(m.mountpoint)
            if current == root:
                break
        err = lookup_in(world, current, b"..", usize(2), addr(slot))
        if err < 0:
            break
        parent: Ptr[Inode] = slot[0]
        if parent == current:
            put(parent)
            break
        err = name_in_parent(parent, current, entry)
        put(current)
        current = parent
        if err <= 0:
            err = -errno.ENOENT
            break
        n: usize = usize(entry.name_len)
        if n + 1 > end:
            err = -errno.ERANGE
            break
        end -= n
        for i in range(n):
            buf[end + i] = entry.name[i]
        end -= 1
        buf[end] = ord("/")
        err = 0
    if err == 0 and current != root:
        err = -errno.ENOENT  # the walk reached the top of the tree without passing root
    put(current)
    kfree(cast(Ptr[None], entry))
    if err < 0:
        return err
    if end == cap - 1:
        end -= 1
        buf[end] = ord("/")
    length: usize = cap - 1 - end
    memmove(cast(Ptr[None], buf), cast(Ptr[None], buf + end), length + 1)
    return i64(length)


# ---------------------------------------------------------------- attributes

@struct
class Stat:
    """struct stat as Linux x86_64 lays it out (144 bytes)."""
    st_dev: u64
    st_ino: u64
    st_nlink: u64
    st_mode: u32
    st_uid: u32
    st_gid: u32
    pad0: u32
    st_rdev: u64
    st_size: i64
    st_blksize: i64
    st_blocks: i64
    st_atime: u64
    st_atime_nsec: u64
    st_mtime: u64
    st_mtime_nsec: u64
    st_ctime: u64
    st_ctime_nsec: u64
    reserved: Array[i64, 3]


R_OK: Final = 4
W_OK: Final = 2
X_OK: Final = 1


def fill_stat(node: Ptr[Inode], out: Ptr[Stat]) -> None:
    out.st_dev = node.dev
    out.st_ino = node.ino
    out.st_nlink = u64(node.nlink)
    out.st_mode = node.mode
    out.st_uid = node.uid
    out.st_gid = node.gid
    out.pad0 = 0
    out.st_rdev = node.rdev
    out.st_size = i64(node.size)
    out.st_blksize = 4096
    out.st_blocks = i64(node.blocks)
    out.st_atime = node.atime_ns // 1000000000
    out.st_atime_nsec = node.atime_ns % 1000000000
    out.st_mtime = node.mtime_ns // 1000000000
    out.st_mtime_nsec = node.mtime_ns % 1000000000
    out.st_ctime = node.ctime_ns // 1000000000
    out.st_ctime_nsec = node.ctime_ns % 1000000000
    for i in range(3):
        out.reserved[i] = 0


def stat(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], follow: bool, out: Ptr[Stat]) -> i64:
    slot: Array[Ptr[Inode], 1] = Array[Ptr[Inode], 1]()
    err: i64 = lookup_path(cred, root, cwd, path, follow, addr(slot))
    if err < 0:
        return err
    fill_stat(slot[0], out)
    put(slot[0])
    return 0


def in_group(cred: Ptr[Cred], gid: u32) -> bool:
    if cred.gid == gid:
        return True
    for i in range(cred.group_count):
        if cred.groups[i] == gid:
            return True
    return False


def permitted(cred: Ptr[Cred], node: Ptr[Inode], want: u32) -> bool:
    """Classic Unix permission bits (the group class for the caller's group or any supplementary
    one), then Linux's overrides: CAP_DAC_READ_SEARCH reads any file and reads and searches any
    directory; CAP_DAC_OVERRIDE does anything to a directory, reads and writes any file and executes
    one that has an x bit for someone."""
    bits: u32 = node.mode & 0o7
    if cred.uid == node.uid:
        bits = (node.mode >> 6) & 0o7
    elif in_group(cred, node.gid):
        bits = (node.mode >> 3) & 0o7
    if (bits & want) == want:
        return True
    if is_dir(node):
        if (want & W_OK) == 0 and caps.has(cred.caps, u32(caps.CAP_DAC_READ_SEARCH)):
            return True
        return caps.has(cred.caps, u32(caps.CAP_DAC_OVERRIDE))
    if want == R_OK and caps.has(cred.caps, u32(caps.CAP_DAC_READ_SEARCH)):
        return True
    if (want & X_OK) == 0 or (node.mode & 0o111) != 0:
        return caps.has(cred.caps, u32(caps.CAP_DAC_OVERRIDE))
    return False


def access(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], want: u32) -> i64:
    if (want & ~u32(R_OK | W_OK | X_OK)) != 0:
        return -errno.EINVAL
    slot: Array[Ptr[Inode], 1] = Array[Ptr[Inode], 1]()
    err: i64 = lookup_path(cred, root, cwd, path, True, addr(slot))
    if err < 0:
        return err
    if not permitted(cred, slot[0], want):
        err = -errno.EACCES
    put(slot[0])
    return err


def changed(node: Ptr[Inode]) -> i64:
    """The inode's attributes were changed: a new ctime, persisted by setattr."""
    node.ctime_ns = now_ns()
    if node.ops.setattr == NULL:
        return 0
    return node.ops.setattr(node)


def set_mode(node: Ptr[Inode], mode: u32) -> i64:
    """chmod: the permission bits (setuid, setgid and sticky included)."""
    node.mode = (node.mode & S_IFMT) | (mode & 0o7777)
    return changed(node)


KEEP_ID: Final = 0xFFFFFFFF  # chown's "leave this id as it is"


def set_owner(node: Ptr[Inode], uid: u32, gid: u32) -> i64:
    """chown: the owner and group (KEEP_ID keeps either)."""
    if uid != KEEP_ID:
        node.uid = uid
    if gid != KEEP_ID:
        node.gid = gid
    return changed(node)


def set_times(node: Ptr[Inode], atime_ns: u64, set_atime: bool, mtime_ns: u64, set_mtime: bool) -> i64:
    """utimensat: the access and/or modification time, persisted by setattr."""
    if set_atime:
        node.atime_ns = atime_ns
    if set_mtime:
        node.mtime_ns = mtime_ns
    return changed(node)


def truncate(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], size: u64) -> i64:
    slot: Array[Ptr[Inode], 1] = Array[Ptr[Inode], 1]()
    err: i64 = lookup_path(cred, root, cwd, path, True, addr(slot))
    if err < 0:
        return err
    node: Ptr[Inode] = slot[0]
    if is_dir(node):
        err = -errno.EISDIR
    elif (node.mode & S_IFMT) != S_IFREG or node.ops.truncate == NULL:
        err = -errno.EINVAL
    else:
        err = node.ops.truncate(node, size)
    put(node)
    return err


def statfs(cred: Ptr[Cred], root: Ptr[Inode], cwd: Ptr[Inode], path: Ptr[u8], out: Ptr[StatFs]) -> i64:
    slot: Array[Ptr[Inode], 1] = Array[Ptr[Inode], 1]()
    err: i64 = lookup_path(cred, root, cwd, path, True, addr(slot))
    if err < 0:
        return err
    if slot[0].ops.statfs == NULL:
        out.name_max = NAME_MAX
        out.block_size = 4096
    else:
        err = slot[0].ops.statfs(slot[0], out)
    put(slot[0])
    return err


def sync_filesystems() -> i64:
    """Ask every mounted filesystem to write its cached state to its device (sync, poweroff)."""
    result: i64 = 0
    for i in range(mounts_used):
        m: Ptr[Mount] = addr(mounts) + i
        if m.used and m.root.ops.fsync != NULL:
            err: i64 = m.root.ops.fsync(m.root)
            if err < 0 and result == 0:
                result = err
    return result
