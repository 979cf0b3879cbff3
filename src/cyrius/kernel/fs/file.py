"""Open files: an inode, an offset and the open flags, shared by every descriptor that refers to it.

open() follows Linux semantics for O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW and
O_PATH, and checks the caller's permissions on the walk it acts on: it is the one open path, for
Linux programs and the kernel alike.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from ..mm.heap import kalloc, kfree
from . import vfs

O_ACCMODE: Final = 0o3
O_RDONLY: Final = 0o0
O_WRONLY: Final = 0o1
O_RDWR: Final = 0o2
O_CREAT: Final = 0o100
O_EXCL: Final = 0o200
O_NOCTTY: Final = 0o400
O_TRUNC: Final = 0o1000
O_APPEND: Final = 0o2000
O_NONBLOCK: Final = 0o4000
O_DIRECTORY: Final = 0o200000
O_NOFOLLOW: Final = 0o400000
O_CLOEXEC: Final = 0o2000000
O_PATH: Final = 0o10000000

# What an open File keeps of the open flags (the rest only acts during open).
KEPT_FLAGS: Final = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_PATH

SEEK_SET: Final = 0
SEEK_CUR: Final = 1
SEEK_END: Final = 2


@struct
class File:
    inode: Ptr[vfs.Inode]  # holds a reference
    offset: u64
    flags: u32
    refcount: u32
    dir_cookie: u64  # where the next getdents continues
    parent: Ptr[vfs.Inode]  # the directory it was opened in (a reference), for /proc/PID/fd/N
    name_len: usize
    name: Array[u8, 256]  # the name it was opened by
    serial: u64  # unique for the life of the system: tells a file from a later one at the same address
    # The operations reads, writes, polls and the last close go through: the inode's, except for a
    # named FIFO, whose open files are ends of the pipe its openers share (fs/pipe.open_fifo).
    ops: Ptr[vfs.InodeOps]


next_serial: u64 = 1
# Set by fs/pipe.py: attach a File just opened on a named FIFO to its pipe (may wait for the other
# side); on failure the File is left as it was and the open fails.
fifo_open: Callable[[Ptr[File]], i64] = NULL
# Set by fs/lock.init: the last reference to a File went, its flock and OFD locks go with it.
lock_release: Callable[[Ptr[vfs.Inode], u64], None] = NULL


def readable(f: Ptr[File]) -> bool:
    return (f.flags & O_ACCMODE) != O_WRONLY


def writable(f: Ptr[File]) -> bool:
    mode: u32 = f.flags & O_ACCMODE
    return mode == O_WRONLY or mode == O_RDWR


def name_unnamed(f: Ptr[File], prefix: Ptr[u8], name: Ptr[u8], suffix: Ptr[u8]) -> None:
    """The name /proc/PID/fd shows for a file in no directory (memfd_create's), cut to fit."""
    n: usize = 0
    for part in range(3):
        text: Ptr[u8] = prefix if part == 0 else (name if part == 1 else suffix)
        i: usize = 0
        while text[i] != 0 and n < usize(255):
            f.name[n] = text[i]
            n += 1
            i += 1
    f.name_len = n


def open_anonymous(ops: Ptr[vfs.InodeOps], dev: u64, state_size: u64, flags: u32, nonblock: bool,
                   out: Ptr[Ptr[File]]) -> Ptr[None]:
    """A File on a new inode in no directory (an eventfd, signalfd, timerfd) whose zeroed state of
    state_size bytes is the inode's private data (the ops' release frees it): that state, or NULL
    when memory ran out (nothing left behind)."""
    state: Ptr[None] = kalloc(usize(state_size))
    if state == NULL:
        return NULL
    node: Ptr[vfs.Inode] = vfs.new_anon(ops, u32(0o600), dev, state)
    if node == NULL:
        kfree(state)
        return NULL
    if wrap(node, flags | (u32(O_NONBLOCK) if nonblock else u32(0)), out) < 0:
        return NULL  # wrap dropped the inode, whose release freed the state
    return state


def wrap(inode: Ptr[vfs.Inode], flags: u32, out: Ptr[Ptr[File]]) -> i64:
    """A File for an inode the caller holds; the File takes over that reference."""
    f: Ptr[File] = cast(Ptr[File], kalloc(usize(sizeof(File))))
    if f == NULL:
        vfs.put(inode)
        return -errno.ENOMEM
    global next_serial
    f.inode = inode
    f.ops = inode.ops
    f.flags = flags
    f.refcount = 1
    f.serial = next_serial
    next_serial += 1
    out[0] = f
    return 0


def open(cred: Ptr[vfs.Cred], root: Ptr[vfs.Inode], cwd: Ptr[vfs.Inode], path: Ptr[u8], flags: u32, mode: u32,
         out: Ptr[Ptr[File]]) -> i64:
    """The one open path: walk once, check the caller's permission on what that walk found, create
    (mode as given: the caller applies its umask; the caller's ids own it) or truncate, and wrap the
    inode in a File keeping only the flags that act after open."""
    walk_flags: u32 = 0
    if (flags & O_NOFOLLOW) == 0:
        walk_flags |= vfs.FOLLOW
    if (flags & O_CREAT) != 0:
        walk_flags |= vfs.MAY_NOT_EXIST
    w: vfs.Walk = vfs.Walk()
    err: i64 = vfs.resolve(cred, root, cwd, path, walk_flags, addr(w))
    if err < 0:
        return err
    err = may_open(cred, addr(w), flags)
    if err >= 0:
        err = mount_allows(vfs.world_of(cred, root), addr(w), flags)
    if err >= 0:
        err = open_walked(cred, addr(w), flags, mode)
    if err < 0:
        vfs.done(addr(w))
        return err
    err = wrap_walked(addr(w), flags & KEPT_FLAGS, out)
    if err < 0 or not is_named_fifo(out[0].inode) or (flags & O_PATH) != 0 or fifo_open == NULL:
        return err
    err = fifo_open(out[0])
    if err < 0:
        close(out[0])
    return err


def is_named_fifo(node: Ptr[vfs.Inode]) -> bool:
    """A FIFO made by mknod in a filesystem (not a pipe or a log, whose inodes are streams themselves)."""
    return (node.mode & vfs.S_IFMT) == vfs.S_IFIFO and node.ops.stream_read == NULL


def mount_allows(world: Ptr[vfs.Inode], w: Ptr[vfs.Walk], flags: u32) -> i64:
    """What the mount holding the file says: no writing, truncating or creating on a read-only
    one (EROFS), no device node opened on a nodev one (EACCES). Asked only when it matters: most
    opens read a regular file."""
    if (flags & O_PATH) != 0:
        return 0
    writes: bool = (flags & O_ACCMODE) != O_RDONLY or (flags & O_TRUNC) != 0 or w.node == NULL
    device: bool = False
    if w.node != NULL:
        kind: u32 = w.node.mode & vfs.S_IFMT
        device = kind == vfs.S_IFCHR or kind == vfs.S_IFBLK
    if not writes and not device:
        return 0
    mount: u32 = vfs.walk_flags(world, w)
    if writes and (mount & vfs.MNT_RDONLY) != 0:
        return -errno.EROFS
    if device and (mount & vfs.MNT_NODEV) != 0:
        return -errno.EACCES
    return 0


def may_open(cred: Ptr[vfs.Cred], w: Ptr[vfs.Walk], flags: u32) -> i64:
    """Permission bits for an open (root passes, see vfs.permitted). Errors Linux reports first
    (EEXIST, ENOTDIR, EISDIR, ELOOP) are left to open_walked."""
    if (flags & O_PATH) != 0:
        return 0
    if w.node == NULL:
        if not vfs.can_change_dir(cred, w):
            return -errno.EACCES
        return 0
    if (flags & O_CREAT) != 0 and (flags & O_EXCL) != 0:
        return 0
    if (flags & O_DIRECTORY) != 0 and not vfs.is_dir(w.node):
        return 0
    if vfs.is_dir(w.node) and (flags & O_ACCMODE) != O_RDONLY:
        return 0
    want: u32 = 0
    access: u32 = flags & O_ACCMODE
    if access == O_RDONLY or access == O_RDWR:
        want |= vfs.R_OK
    if access == O_WRONLY or access == O_RDWR or (flags & O_TRUNC) != 0:
        want |= vfs.W_OK
    if not vfs.is_symlink(w.node) and not vfs.permitted(cred, w.node, want):
        return -errno.EACCES
    return 0


def wrap_walked(w: Ptr[vfs.Walk], flags: u32, out: Ptr[Ptr[File]]) -> i64:
    """A File for the inode a successful open_walked left in w, remembering the directory and
    name it was opened by; ends the walk."""
    node: Ptr[vfs.Inode] = vfs.get(w.node)
    parent: Ptr[vfs.Inode] = NULL
    if w.parent != NULL:
        parent = vfs.get(w.parent)
    name_len: usize = w.name_len
    name: Array[u8, 256] = Array[u8, 256]()
    memcpy(cast(Ptr[None], addr(name)), cast(Ptr[None], addr(w.name)), name_len)
    vfs.done(w)
    err: i64 = wrap(node, flags, out)
    if err < 0:
        vfs.put(parent)
        return err
    out[0].parent = parent
    out[0].name_len = name_len
    memcpy(cast(Ptr[None], addr(out[0].name)), cast(Ptr[None], addr(name)), name_len)
    return 0


def open_walked(cred: Ptr[vfs.Cred], w: Ptr[vfs.Walk], flags: u32, mode: u32) -> i64:
    """Checks and side effects of open() once the path is resolved; leaves the inode in w.node."""
    created: bool = False
    if w.node == NULL:
        if w.trailing_slash:
            return -errno.EISDIR
        if w.parent.ops.create == NULL:
            return -errno.EPERM
        slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
        err: i64 = w.parent.ops.create(w.parent, addr(w.name), w.name_len, mode & 0o7777, addr(slot))
        if err < 0:
            return err
        w.node = slot[0]
        created = True
        if w.node.uid != cred.uid or w.node.gid != cred.gid:
            vfs.set_owner(w.node, cred.uid, cred.gid)
    elif (flags & O_CREAT) != 0 and (flags & O_EXCL) != 0:
        return -errno.EEXIST
    node: Ptr[vfs.Inode] = w.node
    if vfs.is_symlink(node):
        return -errno.ELOOP  # only reachable with O_NOFOLLOW
    if (node.mode & vfs.S_IFMT) == vfs.S_IFSOCK and (flags & O_PATH) == 0:
        return -errno.ENXIO  # a socket's name is for connect(), not open()
    access: u32 = flags & O_ACCMODE
    if (flags & O_DIRECTORY) != 0 and not vfs.is_dir(node):
        return -errno.ENOTDIR
    if vfs.is_dir(node) and (access != O_RDONLY or (flags & O_TRUNC) != 0):
        return -errno.EISDIR
    if (access != O_RDONLY or (flags & O_TRUNC) != 0) and (flags & O_PATH) == 0 and node.write_denied != 0:
        return -errno.ETXTBSY  # a running program's file (its mappings may share the file's frames)
    if (flags & O_TRUNC) != 0 and access != O_RDONLY and not created and (node.mode & vfs.S_IFMT) == vfs.S_IFREG:
        if node.ops.truncate == NULL:
            return -errno.EPERM
        return node.ops.truncate(node, u64(0))
    return 0


def dup(f: Ptr[File]) -> Ptr[File]:
    f.refcount += 1
    return f


def close(f: Ptr[File]) -> None:
    f.refcount -= 1
    if f.refcount == 0:
        if f.inode.locks != NULL and lock_release != NULL:
            lock_release(f.inode, cast(u64, f))
        if f.ops.close_file != NULL:
            f.ops.close_file(f.inode, f.flags)
        vfs.put(f.inode)
        vfs.put(f.parent)
        kfree(cast(Ptr[None], f))


def is_stream(f: Ptr[File]) -> bool:
    """Pipes, terminals, sockets: no offset (lseek, pread and pwrite fail with ESPIPE)."""
    return f.ops.stream_read != NULL or f.ops.stream_write != NULL


def read(f: Ptr[File], buf: Ptr[u8], count: usize) -> i64:
    if not readable(f):
        return -errno.EBADF
    node: Ptr[vfs.Inode] = f.inode
    if vfs.is_dir(node):
        return -errno.EISDIR
    if f.ops.stream_read != NULL:
        return f.ops.stream_read(node, buf, count, f.flags)
    if node.ops.read == NULL:
        return -errno.EINVAL
    n: i64 = node.ops.read(node, buf, count, f.offset)
    if n > 0:
        f.offset += u64(n)
    return n


def write_discarded(f: Ptr[File]) -> bool:
    """A write to f would succeed whole without its data being read (see InodeOps.discards_writes)."""
    ops: Ptr[vfs.InodeOps] = f.inode.ops
    return writable(f) and ops.discards_writes != NULL and ops.discards_writes(f.inode)


def write(f: Ptr[File], buf: Ptr[u8], count: usize) -> i64:
    if not writable(f):
        return -errno.EBADF
    node: Ptr[vfs.Inode] = f.inode
    if f.ops.stream_write != NULL:
        return f.ops.stream_write(node, buf, count, f.flags)
    if node.ops.write == NULL:
        return -errno.EINVAL
    if (f.flags & O_APPEND) != 0:
        f.offset = node.size
    n: i64 = node.ops.write(node, buf, count, f.offset)
    if n > 0:
        f.offset += u64(n)
    return n


def pread(f: Ptr[File], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    if not readable(f):
        return -errno.EBADF
    if is_stream(f):
        return -errno.ESPIPE
    if vfs.is_dir(f.inode):
        return -errno.EISDIR
    if f.inode.ops.read == NULL:
        return -errno.EINVAL
    return f.inode.ops.read(f.inode, buf, count, offset)


def pwrite(f: Ptr[File], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    if not writable(f):
        return -errno.EBADF
    if is_stream(f):
        return -errno.ESPIPE
    if f.inode.ops.write == NULL:
        return -errno.EINVAL
    return f.inode.ops.write(f.inode, buf, count, offset)


def lseek(f: Ptr[File], offset: i64, whence: u32) -> i64:
    if is_stream(f):
        return -errno.ESPIPE
    base: i64 = 0
    if whence == SEEK_SET:
        base = 0
    elif whence == SEEK_CUR:
        base = i64(f.offset)
    elif whence == SEEK_END:
        base = i64(f.inode.size)
    else:
        return -errno.EINVAL
    target: i64 = base + offset
    if target < 0:
        return -errno.EINVAL
    f.offset = u64(target)
    if vfs.is_dir(f.inode):
        f.dir_cookie = u64(target)
    return target


def next_entry(f: Ptr[File], out: Ptr[vfs.DirEntry]) -> i64:
    """The next directory entry of an open directory: 1, or 0 at the end, or -errno."""
    node: Ptr[vfs.Inode] = f.inode
    if not vfs.is_dir(node):
        return -errno.ENOTDIR
    if node.ops.readdir == NULL:
        return 0
    got: i64 = node.ops.readdir(node, f.dir_cookie, out)
    if got > 0:
        f.dir_cookie = out.next_cookie
        f.offset = out.next_cookie
    return got


def fsync(f: Ptr[File]) -> i64:
    if f.inode.ops.fsync == NULL:
        return 0
    return f.inode.ops.fsync(f.inode)


def getdents64(f: Ptr[File], buf: Ptr[u8], size: usize) -> i64:
    """Fill buf with Linux `struct linux_dirent64` records; bytes used, 0 at the end, or -errno.

    Each record: d_ino u64, d_off i64 (cookie of the next entry), d_reclen u16, d_type u8, name + NUL,
    padded to 8 bytes. A record that does not fit stays for the next call (-EINVAL if none fits)."""
    entry: vfs.DirEntry = vfs.DirEntry()
    used: usize = 0
    while True:
        saved_cookie: u64 = f.dir_cookie
        got: i64 = next_entry(f, addr(entry))
        if got <= 0:
            if got < 0:
                return got
            return i64(used)
        reclen: usize = (usize(19) + usize(entry.name_len) + 1 + 7) & ~usize(7)
        if used + reclen > size:
            f.dir_cookie = saved_cookie  # give this entry back
            f.offset = saved_cookie
            if used == 0:
                return -errno.EINVAL
            return i64(used)
        rec: Ptr[u8] = buf + used
        put_u64(rec, entry.ino)
        put_u64(rec + 8, entry.next_cookie)
        rec[16] = u8(reclen & 0xFF)
        rec[17] = u8(reclen >> 8)
        rec[18] = entry.type
        for i in range(usize(entry.name_len)):
            rec[19 + i] = entry.name[i]
        for i in range(usize(19) + usize(entry.name_len), reclen):
            rec[i] = 0
        used += reclen


def put_u64(p: Ptr[u8], value: u64) -> None:
    for i in range(8):
        p[i] = u8(value >> (8 * i))
