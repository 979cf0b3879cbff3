"""FAT32, read-write, behind the VFS: mount(), the InodeOps of directories and regular files, sync().

The volume layer (fat32_disk: BPB, FSInfo, FAT, cluster chains, metadata cache, data I/O) and the
directory layer (fat32_dir: entries, long and short names, timestamps) sit below this module.

Inode numbers: the root is 1; any other file's is the disk byte offset of its short directory entry
divided by 32, so it is the same on every lookup and every mount. A rename moves the entry and so
changes the number; the live inode follows (and getcwd keeps working, since readdir reports the
same number).

Consistency: a file has at most one live inode. Each mount lists its live inodes, and looking up a
name whose entry already has one returns that one. Every change (size, first cluster, attributes,
times) is written to the file's directory entry at once, through the metadata cache, so readdir
and later lookups always agree with open files. Every inode but the root holds a reference to its
directory, so the root (which owns the mount's state) goes last.

Unlinking an open file removes its name at once; its clusters are freed when the last reference
goes, as on Linux (until then they show up as lost clusters to fsck).

Durability: metadata is cached write-back and file data is written through. fsync (of any file)
and sync(root) write back every dirty sector, every FAT copy and FSInfo, then flush the device.

Time: timestamps come from vfs.now_ns(), read as Unix time and stored as DOS time (2-second
resolution, no time zone). Access times are not updated on read, which would make every read a
write; stat shows the access date FAT keeps.

Limits: ASCII-only case folding in names; no symlinks, hard links or special files; owner and
group are always 0 and the only permission FAT stores is the read-only attribute, so files are
0o755, or 0o555 when read-only, and directories 0o755, as Linux's vfat shows them with its default
umask of 022 (programs on a data disk can be run); setattr snaps other modes to these.
"""
from cyrius.lang import NULL, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u16, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from ..dev.block import BlockDevice
from ..mm.heap import kalloc, kfree
from . import vfs
from .fat32_disk import (MAX_FILE, Chain, Volume, alloc_cluster, append, bytes_io, chain_length, close_volume,
                         cluster_at, cluster_byte, clusters_for, flush, free_chain, open_volume, truncate_chain,
                         valid_cluster)
from .fat32_dir import (ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_READ_ONLY, DOT, Name, RawEntry, Slot, add_name,
                        count_subdirs, dos_date_time, entry_cluster, entry_pos, exact_name, from_utf8, init_dir,
                        is_dir_entry, is_empty, load_entry, new_entry, remove_set, scan, set_entry_cluster, short_name,
                        store_entry, to_utf8, unix_seconds, valid_long_name)

ROOT_INO: Final = 1
MSDOS_SUPER_MAGIC: Final = 0x4D44  # what statfs reports for FAT on Linux
NS_PER_S: Final = 1000000000


@struct
class FatFs:
    """One mounted volume, owned by its root inode."""
    vol: Volume
    dev_id: u64
    inodes: Ptr[vfs.Inode]  # every live inode, linked through FatNode.next


@struct
class FatNode:
    fs: Ptr[FatFs]
    next: Ptr[vfs.Inode]
    parent: Ptr[vfs.Inode]  # the directory holding it (a reference); the root's is itself (none)
    pos: u64  # disk byte offset of the short entry; 0 for the root and for removed files
    chain: Chain  # the file's clusters
    attr: u8


ops: vfs.InodeOps = vfs.InodeOps()


def node_of(inode: Ptr[vfs.Inode]) -> Ptr[FatNode]:
    return cast(Ptr[FatNode], inode.private)


def vol_of(inode: Ptr[vfs.Inode]) -> Ptr[Volume]:
    return addr(node_of(inode).fs.vol)


def is_root(inode: Ptr[vfs.Inode]) -> bool:
    return inode.ino == ROOT_INO


def removed(inode: Ptr[vfs.Inode]) -> bool:
    """Has the file lost its name (unlink, rmdir, or replaced by a rename) while still open?"""
    return node_of(inode).pos == 0 and not is_root(inode)


def now_seconds() -> u64:
    return vfs.now_ns() // NS_PER_S


def mode_for(attr: u8) -> u32:
    if (attr & ATTR_DIRECTORY) != 0:
        return u32(vfs.S_IFDIR | 0o755)
    if (attr & ATTR_READ_ONLY) != 0:
        return u32(vfs.S_IFREG | 0o555)
    return u32(vfs.S_IFREG | 0o755)


def set_size(inode: Ptr[vfs.Inode], size: u64) -> None:
    v: Ptr[Volume] = vol_of(inode)
    inode.size = size
    inode.blocks = u64(clusters_for(v, size)) << (v.cluster_shift - 9)


def find_live(fs: Ptr[FatFs], pos: u64) -> Ptr[vfs.Inode]:
    """The live inode of the entry at `pos`, or NULL."""
    inode: Ptr[vfs.Inode] = fs.inodes
    while inode != NULL:
        if node_of(inode).pos == pos:
            return inode
        inode = node_of(inode).next
    return NULL


def is_dot_name(name: Ptr[u8], length: usize) -> bool:
    return (length == 1 or length == 2) and name[0] == DOT and name[length - 1] == DOT


# ---------------------------------------------------------------- inodes and their entries

def store(inode: Ptr[vfs.Inode]) -> i64:
    """Write the inode's first cluster, size, attributes and times to its directory entry."""
    n: Ptr[FatNode] = node_of(inode)
    if n.pos == 0:
        return 0
    v: Ptr[Volume] = vol_of(inode)
    e: RawEntry = RawEntry()
    err: i64 = load_entry(v, n.pos, addr(e))
    if err < 0:
        return err
    set_entry_cluster(addr(e), n.chain.first)
    e.size = u32(0) if vfs.is_dir(inode) else u32(inode.size)
    e.attr = n.attr
    modified: u32 = dos_date_time(inode.mtime_ns // NS_PER_S)
    e.mdate = u16(modified >> 16)
    e.mtime = u16(modified)
    e.adate = u16(dos_date_time(inode.atime_ns // NS_PER_S) >> 16)
    return store_entry(v, n.pos, addr(e))


def touch(inode: Ptr[vfs.Inode]) -> i64:
    """The file (or directory) changed now."""
    now: u64 = vfs.now_ns()
    inode.mtime_ns = now
    inode.ctime_ns = now
    return store(inode)


def measure_dir(inode: Ptr[vfs.Inode]) -> i64:
    """Size (its clusters) and link count (2 + subdirectories) of a directory, as Linux reports them."""
    n: Ptr[FatNode] = node_of(inode)
    v: Ptr[Volume] = vol_of(inode)
    clusters: i64 = chain_length(v, addr(n.chain))
    if clusters < 0:
        return clusters
    subdirs: i64 = count_subdirs(v, addr(n.chain))
    if subdirs < 0:
        return subdirs
    inode.nlink = 2 + u32(subdirs)
    inode.size = u64(clusters) << v.cluster_shift
    inode.blocks = inode.size >> 9
    return 0


def link_node(inode: Ptr[vfs.Inode], fs: Ptr[FatFs], pos: u64, first: u32, attr: u8) -> Ptr[FatNode]:
    """Give a fresh inode its FatNode and list it as live; NULL when memory is exhausted."""
    n: Ptr[FatNode] = cast(Ptr[FatNode], kalloc(usize(sizeof(FatNode))))
    if n == NULL:
        return NULL
    n.fs = fs
    n.pos = pos
    n.chain.first = first
    n.attr = attr
    n.next = fs.inodes
    fs.inodes = inode
    inode.private = cast(Ptr[None], n)
    return n


def unlist(inode: Ptr[vfs.Inode]) -> None:
    n: Ptr[FatNode] = node_of(inode)
    if n.fs.inodes == inode:
        n.fs.inodes = n.next
        return
    other: Ptr[vfs.Inode] = n.fs.inodes
    while node_of(other).next != inode:
        other = node_of(other).next
    node_of(other).next = n.next


def make_inode(dir: Ptr[vfs.Inode], pos: u64, e: Ptr[RawEntry], out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The inode of the entry at `pos` in dir (a copy of which is e): the live one if there is one."""
    fs: Ptr[FatFs] = node_of(dir).fs
    live: Ptr[vfs.Inode] = find_live(fs, pos)
    if live != NULL:
        out[0] = vfs.get(live)
        return 0
    first: u32 = entry_cluster(e)
    if is_dir_entry(e) and not valid_cluster(addr(fs.vol), first):
        return -errno.EUCLEAN  # a directory always has a cluster (files' are checked on use)
    inode: Ptr[vfs.Inode] = vfs.new_inode(addr(ops), mode_for(e.attr), pos >> 5, fs.dev_id)
    if inode == NULL:
        return -errno.ENOMEM
    if link_node(inode, fs, pos, first, e.attr) == NULL:
        kfree(cast(Ptr[None], inode))
        return -errno.ENOMEM
    inode.mtime_ns = unix_seconds(e.mdate, e.mtime) * NS_PER_S
    inode.ctime_ns = inode.mtime_ns
    inode.atime_ns = unix_seconds(e.adate, u16(0)) * NS_PER_S
    if is_dir_entry(e):
        err: i64 = measure_dir(inode)
        if err < 0:
            unlist(inode)
            kfree(inode.private)
            kfree(cast(Ptr[None], inode))
            return err
    else:
        set_size(inode, u64(e.size))
    node_of(inode).parent = vfs.get(dir)
    out[0] = inode
    return 0


def dir_grew(dir: Ptr[vfs.Inode]) -> None:
    """Refresh a directory's size after entries were added (its chain may be longer)."""
    v: Ptr[Volume] = vol_of(dir)
    clusters: i64 = chain_length(v, addr(node_of(dir).chain))
    if clusters > 0:
        dir.size = u64(clusters) << v.cluster_shift
        dir.blocks = dir.size >> 9


def parent_cluster(dir: Ptr[vfs.Inode]) -> u32:
    """What a ".." entry pointing at dir holds: its first cluster, or 0 for the root."""
    return u32(0) if is_root(dir) else node_of(dir).chain.first


# ---------------------------------------------------------------- directory operations

def find(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, out: Ptr[Slot]) -> i64:
    """The name's slot in dir: 0, -ENOENT, or another -errno."""
    if removed(dir):
        return -errno.ENOENT
    want: Name = Name()
    if from_utf8(name, length, addr(want)) < 0:
        return -errno.ENOENT  # such a name cannot have been created
    got: i64 = scan(vol_of(dir), addr(node_of(dir).chain), u32(0), addr(want), out)
    if got < 0:
        return got
    return 0 if got == 1 else -errno.ENOENT


def lookup(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    if not vfs.is_dir(dir):
        return -errno.ENOTDIR
    if length == 1 and name[0] == DOT:
        out[0] = vfs.get(dir)
        return 0
    if length == 2 and name[0] == DOT and name[1] == DOT:
        out[0] = vfs.get(node_of(dir).parent)
        return 0
    s: Slot = Slot()
    err: i64 = find(dir, name, length, addr(s))
    if err < 0:
        return err
    return make_inode(dir, s.pos, addr(s.entry), out)


def new_name(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, out: Ptr[Name]) -> i64:
    """Check a name for a new entry in dir: 0 when it is valid and unused, else -errno."""
    if removed(dir):
        return -errno.ENOENT
    if is_dot_name(name, length):
        return -errno.EEXIST
    err: i64 = from_utf8(name, length, out)
    if err < 0:
        return err
    if not valid_long_name(out):
        return -errno.EINVAL
    s: Slot = Slot()
    got: i64 = scan(vol_of(dir), addr(node_of(dir).chain), u32(0), out, addr(s))
    if got < 0:
        return got
    return -errno.EEXIST if got == 1 else i64(0)


def create(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, mode: u32, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    want: Name = Name()
    err: i64 = new_name(dir, name, length, addr(want))
    if err < 0:
        return err
    attr: u8 = u8(ATTR_ARCHIVE)
    if (mode & 0o222) == 0:
        attr |= ATTR_READ_ONLY
    e: RawEntry = RawEntry()
    new_entry(addr(e), attr, u32(0), now_seconds())
    pos: i64 = add_name(vol_of(dir), addr(node_of(dir).chain), addr(want), addr(e))
    if pos < 0:
        return pos
    dir_grew(dir)
    touch(dir)
    return make_inode(dir, u64(pos), addr(e), out)


def mkdir(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, mode: u32) -> i64:
    want: Name = Name()
    err: i64 = new_name(dir, name, length, addr(want))
    if err < 0:
        return err
    v: Ptr[Volume] = vol_of(dir)
    c: i64 = alloc_cluster(v)
    if c < 0:
        return c
    now: u64 = now_seconds()
    err = init_dir(v, u32(c), parent_cluster(dir), now)
    e: RawEntry = RawEntry()
    new_entry(addr(e), u8(ATTR_DIRECTORY), u32(c), now)
    pos: i64 = err
    if err == 0:
        pos = add_name(v, addr(node_of(dir).chain), addr(want), addr(e))
    if pos < 0:
        free_chain(v, u32(c))
        return pos
    dir.nlink += 1
    dir_grew(dir)
    return touch(dir)


def drop(dir: Ptr[vfs.Inode], s: Ptr[Slot]) -> i64:
    """Remove a name from dir; its clusters go too, unless the file is open (then at release)."""
    v: Ptr[Volume] = vol_of(dir)
    err: i64 = remove_set(v, addr(node_of(dir).chain), s)
    if err < 0:
        return err
    touch(dir)
    live: Ptr[vfs.Inode] = find_live(node_of(dir).fs, s.pos)
    if live != NULL:
        node_of(live).pos = 0
        live.nlink = 0
        live.ctime_ns = vfs.now_ns()
        return 0
    return free_chain(v, entry_cluster(addr(s.entry)))


def unlink(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize) -> i64:
    s: Slot = Slot()
    err: i64 = find(dir, name, length, addr(s))
    if err < 0:
        return err
    if is_dir_entry(addr(s.entry)):
        return -errno.EISDIR
    return drop(dir, addr(s))


def removable_dir(dir: Ptr[vfs.Inode], s: Ptr[Slot]) -> i64:
    """May the directory named by s go? 0, -ENOTEMPTY, -EBUSY (something is mounted on it)."""
    target: Chain = Chain()
    target.first = entry_cluster(addr(s.entry))
    empty: i64 = is_empty(vol_of(dir), addr(target))
    if empty < 0:
        return empty
    if empty == 0:
        return -errno.ENOTEMPTY
    live: Ptr[vfs.Inode] = find_live(node_of(dir).fs, s.pos)
    if live != NULL and vfs.mounted_anywhere(live):
        return -errno.EBUSY
    return 0


def rmdir(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize) -> i64:
    if length == 1 and name[0] == DOT:
        return -errno.EINVAL
    if is_dot_name(name, length):
        return -errno.ENOTEMPTY
    s: Slot = Slot()
    err: i64 = find(dir, name, length, addr(s))
    if err < 0:
        return err
    if not is_dir_entry(addr(s.entry)):
        return -errno.ENOTDIR
    err = removable_dir(dir, addr(s))
    if err < 0:
        return err
    dir.nlink -= 1
    return drop(dir, addr(s))


def contains_dir(outer_first: u32, dir: Ptr[vfs.Inode]) -> bool:
    """Is dir the directory whose first cluster is outer_first, or inside it?"""
    current: Ptr[vfs.Inode] = dir
    while True:
        if node_of(current).chain.first == outer_first:
            return True
        if is_root(current):
            return False
        current = node_of(current).parent


def set_dotdot(v: Ptr[Volume], dir_first: u32, parent: u32) -> i64:
    """Point a moved directory's ".." entry at its new parent."""
    moved: Chain = Chain()
    moved.first = dir_first
    pos: i64 = entry_pos(v, addr(moved), u32(1))
    if pos <= 0:
        return pos
    e: RawEntry = RawEntry()
    err: i64 = load_entry(v, u64(pos), addr(e))
    if err < 0 or e.name[0] != DOT or e.name[1] != DOT:
        return err
    set_entry_cluster(addr(e), parent)
    return store_entry(v, u64(pos), addr(e))


def rename(old_dir: Ptr[vfs.Inode], old_name: Ptr[u8], old_len: usize, new_dir: Ptr[vfs.Inode],
           new_name: Ptr[u8], new_len: usize) -> i64:
    """Move a name, replacing an existing target as POSIX says. The new entry set is written before
    anything is removed, so a failure (a full disk) leaves both names as they were."""
    if new_dir.ops != addr(ops) or node_of(new_dir).fs != node_of(old_dir).fs:
        return -errno.EXDEV
    if is_dot_name(old_name, old_len) or is_dot_name(new_name, new_len):
        return -errno.EINVAL
    v: Ptr[Volume] = vol_of(old_dir)
    src: Slot = Slot()
    err: i64 = find(old_dir, old_name, old_len, addr(src))
    if err < 0:
        return err
    if removed(new_dir):
        return -errno.ENOENT
    to: Name = Name()
    err = from_utf8(new_name, new_len, addr(to))
    if err < 0:
        return err
    if not valid_long_name(addr(to)):
        return -errno.EINVAL
    moving_dir: bool = is_dir_entry(addr(src.entry))
    if moving_dir and contains_dir(entry_cluster(addr(src.entry)), new_dir):
        return -errno.EINVAL  # into itself or its own subtree
    dst: Slot = Slot()
    got: i64 = scan(v, addr(node_of(new_dir).chain), u32(0), addr(to), addr(dst))
    if got < 0:
        return got
    replacing: bool = got == 1 and dst.pos != src.pos
    if got == 1 and not replacing and exact_name(addr(src.name), addr(to)):
        return 0  # the very same name
    if replacing:
        err = replaceable(moving_dir, new_dir, addr(dst))
        if err < 0:
            return err
    e: RawEntry = RawEntry()
    memcpy(cast(Ptr[None], addr(e)), cast(Ptr[None], addr(src.entry)), usize(32))
    pos: i64 = add_name(v, addr(node_of(new_dir).chain), addr(to), addr(e))
    if pos < 0:
        return pos
    dir_grew(new_dir)
    if replacing:
        if is_dir_entry(addr(dst.entry)):
            new_dir.nlink -= 1
        err = drop(new_dir, addr(dst))
        if err < 0:
            return err
    err = remove_set(v, addr(node_of(old_dir).chain), addr(src))
    if err < 0:
        return err
    if moving_dir and old_dir != new_dir:
        err = set_dotdot(v, entry_cluster(addr(e)), parent_cluster(new_dir))
        old_dir.nlink -= 1
        new_dir.nlink += 1
    moved: Ptr[vfs.Inode] = find_live(node_of(old_dir).fs, src.pos)
    if moved != NULL:
        node_of(moved).pos = u64(pos)
        moved.ino = u64(pos) >> 5
        moved.ctime_ns = vfs.now_ns()
        if old_dir != new_dir:
            node_of(moved).parent = vfs.get(new_dir)
            vfs.put(old_dir)
    touch(old_dir)
    if new_dir != old_dir:
        touch(new_dir)
    return err


def replaceable(moving_dir: bool, new_dir: Ptr[vfs.Inode], dst: Ptr[Slot]) -> i64:
    """May rename put a file (moving_dir: a directory) in place of dst?"""
    if is_dir_entry(addr(dst.entry)):
        if not moving_dir:
            return -errno.EISDIR
        return removable_dir(new_dir, dst)
    if moving_dir:
        return -errno.ENOTDIR
    return 0


def readdir(dir: Ptr[vfs.Inode], cookie: u64, out: Ptr[vfs.DirEntry]) -> i64:
    """Cookie 0 is ".", 1 is "..", and 2 + k continues the scan at directory entry k."""
    if cookie < 2:
        target: Ptr[vfs.Inode] = dir if cookie == 0 else node_of(dir).parent
        out.ino = target.ino
        out.type = u8(vfs.DT_DIR)
        out.name_len = u8(cookie + 1)
        out.name[0] = DOT
        out.name[1] = DOT
        out.name[cookie + 1] = 0
        out.next_cookie = cookie + 1
        return 1
    if removed(dir) or cookie - 2 >= u64(0x10000):
        return 0
    s: Slot = Slot()
    got: i64 = scan(vol_of(dir), addr(node_of(dir).chain), u32(cookie - 2), NULL, addr(s))
    if got <= 0:
        return got
    written: i64 = to_utf8(addr(s.name), addr(out.name), usize(vfs.NAME_MAX))
    if written < 0:
        # A long name whose UTF-8 form passes NAME_MAX: offer the short alias instead.
        short: Name = Name()
        short_name(addr(s.entry), addr(short))
        written = to_utf8(addr(short), addr(out.name), usize(vfs.NAME_MAX))
    out.name_len = u8(written)
    out.name[written] = 0
    out.ino = s.pos >> 5
    out.type = u8(vfs.DT_DIR) if is_dir_entry(addr(s.entry)) else u8(vfs.DT_REG)
    out.next_cookie = u64(s.index) + 3
    return 1


# ---------------------------------------------------------------- file data

def transfer(inode: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64, write: bool) -> i64:
    """Move bytes between buf (NULL: zeros, for writes) and the file's existing clusters, one run of
    physically consecutive clusters per device request. Bytes moved, or -errno if none were."""
    v: Ptr[Volume] = vol_of(inode)
    ch: Ptr[Chain] = addr(node_of(inode).chain)
    cluster_mask: u64 = u64(v.cluster_size) - 1
    done: usize = 0
    err: i64 = 0
    while done < count:
        at: u64 = offset + u64(done)
        index: u32 = u32(at >> v.cluster_shift)
        c: i64 = cluster_at(v, ch, index)
        if c <= 0:
            err = c if c < 0 else -errno.EUCLEAN  # the chain is shorter than the size says
            break
        span: u64 = u64(v.cluster_size) - (at & cluster_mask)
        last: i64 = c
        while u64(done) + span < u64(count):
            after: i64 = cluster_at(v, ch, index + 1)
            if after != last + 1:
                break
            index += 1
            last = after
            span += u64(v.cluster_size)
        n: usize = usize(span) if usize(span) < count - done else count - done
        chunk: Ptr[u8] = buf + done if buf != NULL else buf
        err = bytes_io(v, cluster_byte(v, u32(c)) + (at & cluster_mask), chunk, n, write)
        if err < 0:
            break
        done += n
    if done == 0 and err < 0:
        return err
    return i64(done)


def read(inode: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    n: i64 = vfs.readable_count(inode, count, offset)
    if n <= 0:
        return n
    return transfer(inode, buf, usize(n), offset, False)


def reserve(inode: Ptr[vfs.Inode], end: u64) -> i64:
    """Make the chain long enough for `end` bytes if the volume has room: its length in clusters."""
    v: Ptr[Volume] = vol_of(inode)
    ch: Ptr[Chain] = addr(node_of(inode).chain)
    need: u32 = clusters_for(v, end)
    have: i64 = chain_length(v, ch)
    if have < 0 or have >= i64(need):
        return have
    added: i64 = append(v, ch, need - u32(have), False)
    if added < 0:
        return added
    return have + added


def trim(inode: Ptr[vfs.Inode]) -> i64:
    """Free clusters past the end of the file (after a shrink, or a write that fell short)."""
    v: Ptr[Volume] = vol_of(inode)
    return truncate_chain(v, addr(node_of(inode).chain), clusters_for(v, inode.size))


def zero_fill(inode: Ptr[vfs.Inode], start: u64, end: u64) -> i64:
    """Write zeros over [start, end) of the file, so a gap never shows old disk contents."""
    if end <= start:
        return 0
    got: i64 = transfer(inode, NULL, usize(end - start), start, True)
    if got < 0:
        return got
    return 0 if got == i64(end - start) else i64(-errno.EIO)


def write(inode: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    if vfs.is_dir(inode):
        return -errno.EISDIR
    if count == 0:
        return 0
    if offset >= MAX_FILE:
        return -errno.EFBIG
    if u64(count) > MAX_FILE - offset:
        count = usize(MAX_FILE - offset)
    v: Ptr[Volume] = vol_of(inode)
    have: i64 = reserve(inode, offset + u64(count))
    if have < 0:
        return have
    room: u64 = u64(have) << v.cluster_shift
    if room <= offset:
        trim(inode)
        return -errno.ENOSPC
    if room < offset + u64(count):
        count = usize(room - offset)  # a short write: the volume is full
    err: i64 = zero_fill(inode, inode.size, offset)
    done: i64 = err
    if err == 0:
        done = transfer(inode, buf, count, offset, True)
    if done > 0 and offset + u64(done) > inode.size:
        set_size(inode, offset + u64(done))
    trim(inode)
    n: Ptr[FatNode] = node_of(inode)
    n.attr |= ATTR_ARCHIVE
    err = touch(inode)
    if done >= 0 and err < 0:
        return err
    return done


def truncate(inode: Ptr[vfs.Inode], size: u64) -> i64:
    if vfs.is_dir(inode):
        return -errno.EISDIR
    if size > MAX_FILE:
        return -errno.EFBIG
    if size > inode.size:
        have: i64 = reserve(inode, size)
        err: i64 = have
        if have >= 0:
            err = zero_fill(inode, inode.size, size) if (u64(have) << vol_of(inode).cluster_shift) >= size \
                else i64(-errno.ENOSPC)
        if err < 0:
            trim(inode)
            return err
    set_size(inode, size)
    err2: i64 = trim(inode)
    n: Ptr[FatNode] = node_of(inode)
    n.attr |= ATTR_ARCHIVE
    err3: i64 = touch(inode)
    return err2 if err2 < 0 else err3


# ---------------------------------------------------------------- attributes and the volume

def setattr(inode: Ptr[vfs.Inode]) -> i64:
    """Persist times, and the read-only attribute from the write bits; the mode, owner and group
    then snap back to what FAT can hold."""
    n: Ptr[FatNode] = node_of(inode)
    if not vfs.is_dir(inode):
        if (inode.mode & 0o222) == 0:
            n.attr |= ATTR_READ_ONLY
        else:
            n.attr &= ~u8(ATTR_READ_ONLY)
    inode.mode = mode_for(n.attr)
    inode.uid = 0
    inode.gid = 0
    return store(inode)


def fsync(inode: Ptr[vfs.Inode]) -> i64:
    return flush(vol_of(inode))


def statfs(inode: Ptr[vfs.Inode], out: Ptr[vfs.StatFs]) -> i64:
    v: Ptr[Volume] = vol_of(inode)
    out.fs_type = MSDOS_SUPER_MAGIC
    out.block_size = u64(v.cluster_size)
    out.blocks = u64(v.cluster_count)
    out.blocks_free = u64(v.free_count)
    out.files = 0  # FAT has no inode table
    out.files_free = 0
    out.name_max = vfs.NAME_MAX
    return 0


def release(inode: Ptr[vfs.Inode]) -> None:
    """The last reference is gone: free a removed file's clusters; unmount with the root."""
    n: Ptr[FatNode] = node_of(inode)
    fs: Ptr[FatFs] = n.fs
    unlist(inode)
    if is_root(inode):
        flush(addr(fs.vol))
        close_volume(addr(fs.vol))
        kfree(cast(Ptr[None], fs))
        kfree(cast(Ptr[None], n))
        return
    if n.pos == 0:
        free_chain(addr(fs.vol), n.chain.first)
    parent: Ptr[vfs.Inode] = n.parent
    kfree(cast(Ptr[None], n))
    vfs.put(parent)  # last: it may be the root, which takes the volume with it


def sync(root: Ptr[vfs.Inode]) -> i64:
    """Write everything cached for the volume whose root (or any inode) this is back to the disk."""
    if root.ops != addr(ops):
        return -errno.EINVAL
    return flush(vol_of(root))


def fill_ops() -> None:
    ops.lookup = lookup
    ops.create = create
    ops.mkdir = mkdir
    ops.unlink = unlink
    ops.rmdir = rmdir
    ops.rename = rename
    ops.read = read
    ops.write = write
    ops.truncate = truncate
    ops.readdir = readdir
    ops.setattr = setattr
    ops.fsync = fsync
    ops.release = release
    ops.statfs = statfs


def mount(dev: Ptr[BlockDevice], out_root: Ptr[Ptr[vfs.Inode]]) -> i64:
    """Mount the FAT32 volume on dev: its root directory in out_root (one reference), or -EINVAL when
    dev holds no FAT32 volume, -EUCLEAN when its root directory is corrupt, -EIO, -ENOMEM. The
    volume stays mounted until the root's last reference is dropped."""
    fill_ops()
    fs: Ptr[FatFs] = cast(Ptr[FatFs], kalloc(usize(sizeof(FatFs))))
    if fs == NULL:
        return -errno.ENOMEM
    err: i64 = open_volume(dev, addr(fs.vol))
    if err < 0:
        kfree(cast(Ptr[None], fs))
        return err
    root: Ptr[vfs.Inode] = vfs.new_inode(addr(ops), u32(vfs.S_IFDIR | 0o755), u64(ROOT_INO), vfs.new_dev())
    err = -errno.ENOMEM
    if root != NULL and link_node(root, fs, u64(0), fs.vol.root_cluster, u8(ATTR_DIRECTORY)) != NULL:
        fs.dev_id = root.dev
        node_of(root).parent = root
        err = measure_dir(root)
        if err < 0:
            kfree(root.private)
    if err < 0:
        kfree(cast(Ptr[None], root))
        close_volume(addr(fs.vol))
        kfree(cast(Ptr[None], fs))
        return err
    out_root[0] = root
    return 0
