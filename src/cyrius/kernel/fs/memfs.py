"""memfs: the in-memory filesystem behind the host root `/` and tmpfs mounts.

Directories keep a singly linked list of entries; each entry holds a reference to its inode, so
an inode lives while it has links or open references. File data is an array of 4 KiB pages where
a NULL page is a hole that reads as zeros (sparse files cost nothing for their holes).
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import memcpy, memset

from .. import errno
from ..mm import phys, uspace
from ..mm.heap import kalloc, kfree
from . import vfs
from ..mm.phys import PAGE

MEMFS_MAGIC: Final = 0x01021994  # TMPFS_MAGIC, as statfs reports it on Linux


@struct
class MemEntry:
    next: Ptr["MemEntry"]
    node: Ptr[vfs.Inode]
    name_len: u32
    name: Ptr[u8]


@struct
class MemNode:
    # Directories: the directory holding this one (not referenced: it cannot go while this one is in
    # it), the root's itself; NULL once removed, when `..` has nowhere to lead (-ENOENT).
    parent: Ptr[vfs.Inode]
    entries: Ptr[MemEntry]
    entry_count: u64
    pages: Ptr[Ptr[u8]]  # regular files: page table, page_slots long
    page_slots: u64
    target: Ptr[u8]  # symlinks
    target_len: u64
    sealable: bool  # a memfd's file: F_ADD_SEALS applies
    seals: u32  # F_SEAL_* in force


@struct
class Budget:
    """A tmpfs mount's size= limit: the file pages of one instance (its dev) may not pass it."""
    dev: u64
    limit: u64  # pages
    used: u64


MAX_BUDGETS: Final = 128
ops: vfs.InodeOps = vfs.InodeOps()
next_ino: u64 = 1
budgets: Array[Budget, MAX_BUDGETS] = Array[Budget, MAX_BUDGETS]()
budget_count: u32 = 0  # entries in use are below this (a freed one has dev 0)


def node_of(inode: Ptr[vfs.Inode]) -> Ptr[MemNode]:
    return cast(Ptr[MemNode], inode.private)


def touch(inode: Ptr[vfs.Inode]) -> None:
    now: u64 = vfs.now_ns()
    inode.mtime_ns = now
    inode.ctime_ns = now


def make_inode(mode: u32, dev: u64) -> Ptr[vfs.Inode]:
    global next_ino
    inode: Ptr[vfs.Inode] = vfs.new_inode(addr(ops), mode, next_ino, dev)
    if inode == NULL:
        return NULL
    node: Ptr[MemNode] = cast(Ptr[MemNode], kalloc(usize(sizeof(MemNode))))
    if node == NULL:
        kfree(cast(Ptr[None], inode))
        return NULL
    next_ino += 1
    inode.private = cast(Ptr[None], node)
    now: u64 = vfs.now_ns()
    inode.atime_ns = now
    inode.mtime_ns = now
    inode.ctime_ns = now
    return inode


def new_root() -> Ptr[vfs.Inode]:
    """A fresh, empty memfs instance; returns its root directory (one reference)."""
    root: Ptr[vfs.Inode] = make_inode(u32(vfs.S_IFDIR | 0o755), vfs.new_dev())
    if root != NULL:
        root.nlink = 2
        node_of(root).parent = root
    return root


# memfd_create's files: in no directory, sealable (fcntl F_ADD_SEALS).
F_SEAL_SEAL: Final = 1
F_SEAL_SHRINK: Final = 2
F_SEAL_GROW: Final = 4
F_SEAL_WRITE: Final = 8
F_SEAL_FUTURE_WRITE: Final = 16
ALL_SEALS: Final = 31
memfd_dev: u64 = 0


def new_unnamed_file(sealing: bool) -> Ptr[vfs.Inode]:
    """A regular file in no directory (memfd_create's; one reference): it lives while it is open.
    Without sealing, F_SEAL_SEAL is in force from the start, as Linux does."""
    global memfd_dev
    if memfd_dev == 0:
        memfd_dev = vfs.new_dev()
    inode: Ptr[vfs.Inode] = make_inode(u32(vfs.S_IFREG | 0o777), memfd_dev)
    if inode != NULL:
        node_of(inode).sealable = True
        node_of(inode).seals = u32(0) if sealing else u32(F_SEAL_SEAL)
    return inode


def seals_of(inode: Ptr[vfs.Inode]) -> i64:
    """F_GET_SEALS: -EINVAL for a file that cannot be sealed."""
    if inode.ops != addr(ops) or not node_of(inode).sealable:
        return -errno.EINVAL
    return i64(node_of(inode).seals)


def add_seals(inode: Ptr[vfs.Inode], seals: u32) -> i64:
    """F_ADD_SEALS: -EINVAL for a file that cannot be sealed or unknown bits, -EPERM once sealed."""
    current: i64 = seals_of(inode)
    if current < 0 or (seals & ~u32(ALL_SEALS)) != 0:
        return -errno.EINVAL
    if (u32(current) & F_SEAL_SEAL) != 0:
        return -errno.EPERM
    node: Ptr[MemNode] = node_of(inode)
    node.seals |= seals
    return 0


def sealed_against(inode: Ptr[vfs.Inode], offset: u64, count: u64, size: u64) -> bool:
    """Writing count bytes at offset, or making the size `size`, would break a seal."""
    seals: u32 = node_of(inode).seals
    if seals == 0:
        return False
    if count > 0 and (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0:
        return True
    if size > inode.size and (seals & F_SEAL_GROW) != 0:
        return True
    return size < inode.size and (seals & F_SEAL_SHRINK) != 0


def new_limited_root(mode: u32, size: u64) -> Ptr[vfs.Inode]:
    """A fresh instance (tmpfs `mode=`, `size=` in bytes, rounded up to pages; 0: no limit) whose
    files may hold at most `size` bytes of pages together: past it, writes fail with ENOSPC."""
    global budget_count
    root: Ptr[vfs.Inode] = new_root()
    if root == NULL:
        return NULL
    root.mode = vfs.S_IFDIR | (mode & 0o7777)
    if size == 0:
        return root
    slot: Ptr[Budget] = NULL
    for i in range(budget_count):
        if budgets[i].dev == 0:
            slot = addr(budgets) + i
    if slot == NULL and budget_count < MAX_BUDGETS:
        slot = addr(budgets) + budget_count
        budget_count += 1
    if slot == NULL:
        vfs.put(root)
        return NULL
    slot.dev = root.dev
    slot.limit = (size + PAGE - 1) // PAGE
    slot.used = 0
    return root


def forget_limit(root: Ptr[vfs.Inode]) -> None:
    """The instance is unmounted for good: its budget slot is free again (its files are gone with it)."""
    b: Ptr[Budget] = budget_of(root.dev)
    if b != NULL:
        b.dev = 0


def budget_of(dev: u64) -> Ptr[Budget]:
    for i in range(budget_count):
        if budgets[i].dev == dev:
            return addr(budgets) + i
    return NULL


def find(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize) -> Ptr[MemEntry]:
    e: Ptr[MemEntry] = node_of(dir).entries
    while e != NULL:
        if usize(e.name_len) == length and names_equal(e.name, name, length):
            return e
        e = e.next
    return NULL


def names_equal(a: Ptr[u8], b: Ptr[u8], length: usize) -> bool:
    for i in range(length):
        if a[i] != b[i]:
            return False
    return True


def add_entry(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, inode: Ptr[vfs.Inode]) -> i64:
    """Link inode into dir under name; the entry takes its own reference."""
    if length == 0 or length > vfs.NAME_MAX:
        return -errno.ENAMETOOLONG if length > 0 else -errno.ENOENT
    e: Ptr[MemEntry] = cast(Ptr[MemEntry], kalloc(usize(sizeof(MemEntry))))
    copy: Ptr[u8] = cast(Ptr[u8], kalloc(length + 1))
    if e == NULL or copy == NULL:
        kfree(cast(Ptr[None], e))
        kfree(cast(Ptr[None], copy))
        return -errno.ENOMEM
    memcpy(cast(Ptr[None], copy), cast(Ptr[None], name), length)
    e.name = copy
    e.name_len = u32(length)
    e.node = vfs.get(inode)
    d: Ptr[MemNode] = node_of(dir)
    e.next = d.entries
    d.entries = e
    d.entry_count += 1
    dir.size = d.entry_count
    touch(dir)
    return 0


def remove_entry(dir: Ptr[vfs.Inode], target: Ptr[MemEntry]) -> None:
    """Unlink an entry and drop its reference (the caller has adjusted nlink)."""
    d: Ptr[MemNode] = node_of(dir)
    if d.entries == target:
        d.entries = target.next
    else:
        e: Ptr[MemEntry] = d.entries
        while e.next != target:
            e = e.next
        e.next = target.next
    d.entry_count -= 1
    dir.size = d.entry_count
    touch(dir)
    inode: Ptr[vfs.Inode] = target.node
    kfree(cast(Ptr[None], target.name))
    kfree(cast(Ptr[None], target))
    vfs.put(inode)


# ---------------------------------------------------------------- directory operations

def lookup(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    if length == 1 and name[0] == ord("."):
        out[0] = vfs.get(dir)
        return 0
    if length == 2 and name[0] == ord(".") and name[1] == ord("."):
        if node_of(dir).parent == NULL:
            return -errno.ENOENT  # removed: it is in no directory
        out[0] = vfs.get(node_of(dir).parent)
        return 0
    e: Ptr[MemEntry] = find(dir, name, length)
    if e == NULL:
        return -errno.ENOENT
    out[0] = vfs.get(e.node)
    return 0


def new_child(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, mode: u32) -> Ptr[vfs.Inode]:
    """A new inode linked into dir (one reference for the caller), or NULL when memory is exhausted."""
    inode: Ptr[vfs.Inode] = make_inode(mode, dir.dev)
    if inode == NULL:
        return NULL
    if add_entry(dir, name, length, inode) < 0:
        vfs.put(inode)
        return NULL
    return inode


def free_name(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize) -> i64:
    """0 if a new entry `name` may go in dir; -EEXIST, -ENAMETOOLONG, or -ENOENT for a removed dir."""
    if find(dir, name, length) != NULL:
        return -errno.EEXIST
    if length > vfs.NAME_MAX:
        return -errno.ENAMETOOLONG
    if dir.nlink == 0:
        return -errno.ENOENT  # removed (someone may still stand in it): it takes no new names
    return 0


def create(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, mode: u32, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    return mknod(dir, name, length, u32(vfs.S_IFREG) | (mode & 0o7777), out)


def mknod(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, mode: u32, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    err: i64 = free_name(dir, name, length)
    if err < 0:
        return err
    inode: Ptr[vfs.Inode] = new_child(dir, name, length, mode)
    if inode == NULL:
        return -errno.ENOMEM
    out[0] = inode
    return 0


def mkdir(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, mode: u32) -> i64:
    err: i64 = free_name(dir, name, length)
    if err < 0:
        return err
    inode: Ptr[vfs.Inode] = new_child(dir, name, length, u32(vfs.S_IFDIR) | (mode & 0o7777))
    if inode == NULL:
        return -errno.ENOMEM
    inode.nlink = 2
    node_of(inode).parent = dir
    dir.nlink += 1
    vfs.put(inode)
    return 0


def symlink(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, target: Ptr[u8], target_len: usize) -> i64:
    err: i64 = free_name(dir, name, length)
    if err < 0:
        return err
    if target_len == 0 or target_len >= vfs.PATH_MAX:
        return -errno.ENOENT if target_len == 0 else -errno.ENAMETOOLONG
    copy: Ptr[u8] = cast(Ptr[u8], kalloc(target_len + 1))
    if copy == NULL:
        return -errno.ENOMEM
    memcpy(cast(Ptr[None], copy), cast(Ptr[None], target), target_len)
    inode: Ptr[vfs.Inode] = new_child(dir, name, length, u32(vfs.S_IFLNK | 0o777))
    if inode == NULL:
        kfree(cast(Ptr[None], copy))
        return -errno.ENOMEM
    node_of(inode).target = copy
    node_of(inode).target_len = u64(target_len)
    inode.size = u64(target_len)
    vfs.put(inode)
    return 0


def link(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, target: Ptr[vfs.Inode]) -> i64:
    if vfs.is_dir(target):
        return -errno.EPERM
    if target.ops != addr(ops) or target.dev != dir.dev:
        return -errno.EXDEV
    err: i64 = free_name(dir, name, length)
    if err == 0:
        err = add_entry(dir, name, length, target)
    if err < 0:
        return err
    target.nlink += 1
    target.ctime_ns = vfs.now_ns()
    return 0


def unlink(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize) -> i64:
    e: Ptr[MemEntry] = find(dir, name, length)
    if e == NULL:
        return -errno.ENOENT
    if vfs.is_dir(e.node):
        return -errno.EISDIR
    e.node.nlink -= 1
    e.node.ctime_ns = vfs.now_ns()
    remove_entry(dir, e)
    return 0


def rmdir(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize) -> i64:
    if length == 1 and name[0] == ord("."):
        return -errno.EINVAL
    if length == 2 and name[0] == ord(".") and name[1] == ord("."):
        return -errno.ENOTEMPTY
    e: Ptr[MemEntry] = find(dir, name, length)
    if e == NULL:
        return -errno.ENOENT
    if not vfs.is_dir(e.node):
        return -errno.ENOTDIR
    if node_of(e.node).entry_count != 0:
        return -errno.ENOTEMPTY
    if vfs.mounted_anywhere(e.node):
        return -errno.EBUSY
    e.node.nlink = 0
    node_of(e.node).parent = NULL
    dir.nlink -= 1
    remove_entry(dir, e)
    return 0


def is_ancestor(candidate: Ptr[vfs.Inode], dir: Ptr[vfs.Inode]) -> bool:
    """Is candidate dir itself or one of its ancestors (within this memfs)?"""
    current: Ptr[vfs.Inode] = dir
    while True:
        if current == candidate:
            return True
        parent: Ptr[vfs.Inode] = node_of(current).parent
        if parent == current or parent == NULL:
            return False
        current = parent


def rename(old_dir: Ptr[vfs.Inode], old_name: Ptr[u8], old_len: usize, new_dir: Ptr[vfs.Inode],
           new_name: Ptr[u8], new_len: usize) -> i64:
    if new_dir.ops != addr(ops) or new_dir.dev != old_dir.dev:
        return -errno.EXDEV
    src: Ptr[MemEntry] = find(old_dir, old_name, old_len)
    if src == NULL or new_dir.nlink == 0:
        return -errno.ENOENT
    moving: Ptr[vfs.Inode] = src.node
    if vfs.is_dir(moving) and is_ancestor(moving, new_dir):
        return -errno.EINVAL
    dst: Ptr[MemEntry] = find(new_dir, new_name, new_len)
    if dst != NULL:
        if dst.node == moving:
            return 0
        if vfs.is_dir(moving) and not vfs.is_dir(dst.node):
            return -errno.ENOTDIR
        if not vfs.is_dir(moving) and vfs.is_dir(dst.node):
            return -errno.EISDIR
        if vfs.is_dir(dst.node):
            if node_of(dst.node).entry_count != 0:
                return -errno.ENOTEMPTY
            dst.node.nlink = 0
            node_of(dst.node).parent = NULL
            new_dir.nlink -= 1
        else:
            dst.node.nlink -= 1
        remove_entry(new_dir, dst)
    vfs.get(moving)
    err: i64 = add_entry(new_dir, new_name, new_len, moving)
    if err < 0:
        vfs.put(moving)
        return err
    remove_entry(old_dir, find(old_dir, old_name, old_len))
    if vfs.is_dir(moving) and old_dir != new_dir:
        node_of(moving).parent = new_dir
        old_dir.nlink -= 1
        new_dir.nlink += 1
    moving.ctime_ns = vfs.now_ns()
    vfs.put(moving)
    return 0


def readdir(dir: Ptr[vfs.Inode], cookie: u64, out: Ptr[vfs.DirEntry]) -> i64:
    """Cookie 0 is ".", 1 is "..", 2 + k the k-th entry. Returns 1 for an entry, 0 at the end."""
    if cookie == 0 or cookie == 1:
        target: Ptr[vfs.Inode] = dir if cookie == 0 or node_of(dir).parent == NULL else node_of(dir).parent
        out.ino = target.ino
        out.type = u8(vfs.DT_DIR)
        out.name_len = u8(cookie + 1)
        out.name[0] = ord(".")
        out.name[1] = ord(".")
        out.name[cookie + 1] = 0
        out.next_cookie = cookie + 1
        return 1
    e: Ptr[MemEntry] = node_of(dir).entries
    skip: u64 = cookie - 2
    while e != NULL and skip > 0:
        e = e.next
        skip -= 1
    if e == NULL:
        return 0
    out.ino = e.node.ino
    out.type = vfs.dtype_of(e.node.mode)
    out.name_len = u8(e.name_len)
    memcpy(cast(Ptr[None], addr(out.name)), cast(Ptr[None], e.name), usize(e.name_len))
    out.name[e.name_len] = 0
    out.next_cookie = cookie + 1
    return 1


# ---------------------------------------------------------------- file data

def new_page() -> Ptr[u8]:
    """A zeroed frame for file data, or NULL. A whole frame (not kalloc(PAGE), whose header would
    make that two contiguous frames per page) that private mappings of the file can share."""
    frame: u64 = uspace.file_frame()
    if frame == 0:
        return NULL
    page: Ptr[u8] = phys.bytes_at(frame)
    memset(cast(Ptr[None], page), 0, usize(PAGE))
    return page


def free_page(inode: Ptr[vfs.Inode], page: Ptr[u8]) -> None:
    if page != NULL:
        uspace.drop_file_frame(phys.to_phys(cast(u64, page)))
        b: Ptr[Budget] = budget_of(inode.dev) if budget_count > 0 else cast(Ptr[Budget], NULL)
        if b != NULL:
            b.used -= 1


def page_frame(inode: Ptr[vfs.Inode], index: u64) -> u64:
    page: Ptr[u8] = page_for(inode, index, False)
    if page == NULL:
        return 0
    return phys.to_phys(cast(u64, page))


def page_for(inode: Ptr[vfs.Inode], index: u64, allocate: bool) -> Ptr[u8]:
    """The page holding file bytes [index*PAGE, (index+1)*PAGE), or NULL (a hole / no memory)."""
    node: Ptr[MemNode] = node_of(inode)
    if index >= node.page_slots:
        if not allocate:
            return NULL
        slots: u64 = node.page_slots * 2 if node.page_slots > 0 else 8
        while slots <= index:
            slots *= 2
        table: Ptr[Ptr[u8]] = cast(Ptr[Ptr[u8]], kalloc(usize(slots * 8)))
        if table == NULL:
            return NULL
        if node.pages != NULL:
            memcpy(cast(Ptr[None], table), cast(Ptr[None], node.pages), usize(node.page_slots * 8))
            kfree(cast(Ptr[None], node.pages))
        node.pages = table
        node.page_slots = slots
    page: Ptr[u8] = node.pages[index]
    if page == NULL and allocate:
        b: Ptr[Budget] = budget_of(inode.dev) if budget_count > 0 else cast(Ptr[Budget], NULL)
        if b != NULL and b.used >= b.limit:
            return NULL  # the instance is full: the write stops here (ENOSPC if nothing was written)
        page = new_page()
        node.pages[index] = page
        if page != NULL:
            inode.blocks += PAGE // 512
            if b != NULL:
                b.used += 1
    return page


def copy_data(inode: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64, writing: bool) -> usize:
    """Copy `count` bytes between buf and the file at `offset`, page by page. Reading a hole gives
    zeros; writing allocates pages and stops early when memory runs out. Returns the bytes copied."""
    done: usize = 0
    while done < count:
        at: u64 = offset + u64(done)
        within: u64 = at % PAGE
        chunk: usize = usize(PAGE - within)
        if chunk > count - done:
            chunk = count - done
        page: Ptr[u8] = page_for(inode, at // PAGE, writing)
        if writing:
            if page == NULL:
                break
            memcpy(cast(Ptr[None], page + within), cast(Ptr[None], buf + done), chunk)
        elif page == NULL:
            memset(cast(Ptr[None], buf + done), 0, chunk)
        else:
            memcpy(cast(Ptr[None], buf + done), cast(Ptr[None], page + within), chunk)
        done += chunk
    return done


def read(inode: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    n: i64 = vfs.readable_count(inode, count, offset)
    if n <= 0:
        return n
    copy_data(inode, buf, usize(n), offset, False)
    inode.atime_ns = vfs.now_ns()
    return n


def write(inode: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    if vfs.is_dir(inode):
        return -errno.EISDIR
    end: u64 = offset + u64(count) if offset + u64(count) > inode.size else inode.size
    if sealed_against(inode, offset, u64(count), end):
        return -errno.EPERM
    done: usize = copy_data(inode, buf, count, offset, True)
    if done == 0 and count > 0:
        return -errno.ENOSPC
    if offset + u64(done) > inode.size:
        inode.size = offset + u64(done)
    touch(inode)
    return i64(done)


def truncate(inode: Ptr[vfs.Inode], size: u64) -> i64:
    if vfs.is_dir(inode):
        return -errno.EISDIR
    if sealed_against(inode, size, u64(0), size):
        return -errno.EPERM
    node: Ptr[MemNode] = node_of(inode)
    first_gone: u64 = (size + PAGE - 1) // PAGE
    for i in range(first_gone, node.page_slots):
        if node.pages[i] != NULL:
            free_page(inode, node.pages[i])
            node.pages[i] = NULL
            inode.blocks -= PAGE // 512
    if size % PAGE != 0 and size // PAGE < node.page_slots:
        page: Ptr[u8] = node.pages[size // PAGE]
        if page != NULL:  # bytes past the new end must read as zeros if the file grows again
            memset(cast(Ptr[None], page + size % PAGE), 0, usize(PAGE - size % PAGE))
    inode.size = size
    touch(inode)
    return 0


def readlink(inode: Ptr[vfs.Inode], buf: Ptr[u8], cap: usize) -> i64:
    node: Ptr[MemNode] = node_of(inode)
    if not vfs.is_symlink(inode):
        return -errno.EINVAL
    n: usize = usize(node.target_len)
    if n > cap:
        n = cap
    memcpy(cast(Ptr[None], buf), cast(Ptr[None], node.target), n)
    return i64(n)


def setattr(inode: Ptr[vfs.Inode]) -> i64:
    return 0  # the inode is the only copy


def fsync(inode: Ptr[vfs.Inode]) -> i64:
    return 0


def statfs(inode: Ptr[vfs.Inode], out: Ptr[vfs.StatFs]) -> i64:
    out.fs_type = MEMFS_MAGIC
    out.block_size = PAGE
    out.name_max = vfs.NAME_MAX
    return 0


def release(inode: Ptr[vfs.Inode]) -> None:
    node: Ptr[MemNode] = node_of(inode)
    for i in range(node.page_slots):
        free_page(inode, node.pages[i])
    kfree(cast(Ptr[None], node.pages))
    kfree(cast(Ptr[None], node.target))
    if vfs.is_dir(inode):
        drop_tree(node.entries)
    kfree(cast(Ptr[None], node))


def drop_tree(entries: Ptr[MemEntry]) -> None:
    """Let go of the entries of a directory that is going (only a filesystem's root goes with
    entries: an unmounted tmpfs). Directories still held elsewhere (someone's cwd, an open file)
    are detached, as if removed; the rest go too, their entries joining the work list rather than
    a recursion, so a deep tree cannot overflow the kernel stack."""
    work: Ptr[MemEntry] = entries
    while work != NULL:
        e: Ptr[MemEntry] = work
        work = e.next
        child: Ptr[vfs.Inode] = e.node
        child.nlink -= 1
        if vfs.is_dir(child):
            c: Ptr[MemNode] = node_of(child)
            c.parent = NULL
            child.nlink = 0
            if child.refcount == 1 and c.entries != NULL:  # our reference is the last: take its entries
                last: Ptr[MemEntry] = c.entries
                while last.next != NULL:
                    last = last.next
                last.next = work
                work = c.entries
                c.entries = NULL
                c.entry_count = 0
        kfree(cast(Ptr[None], e.name))
        kfree(cast(Ptr[None], e))
        vfs.put(child)


def init() -> None:
    ops.lookup = lookup
    ops.create = create
    ops.mkdir = mkdir
    ops.mknod = mknod
    ops.symlink = symlink
    ops.link = link
    ops.unlink = unlink
    ops.rmdir = rmdir
    ops.rename = rename
    ops.read = read
    ops.page_frame = page_frame
    ops.write = write
    ops.truncate = truncate
    ops.readlink = readlink
    ops.readdir = readdir
    ops.setattr = setattr
    ops.fsync = fsync
    ops.release = release
    ops.statfs = statfs
