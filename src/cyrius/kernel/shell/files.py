"""Host-shell file commands: ls, cd, pwd, cat, mkdir, rm, write, mount, tar, cp.

They work on the host namespace (fs/namespace.py) relative to the shell's current directory,
through the same VFS calls the syscalls use. `cp` also takes ID:PATH, a path in container ID's
root (its own mounts, such as a tmpfs, included), as `docker cp` does.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, u8, u32, u64, usize

from .. import console, errno
from . import status
from ..container import runtime
from ..fs import file, namespace, tar, tar_vfs, vfs
from ..lib import cstr
from ..mm.heap import kalloc, kfree

MAX_LIST: Final = 4096

cwd: Ptr[vfs.Inode] = NULL
io_buffer: Array[u8, 4096] = Array[u8, 4096]()


def init() -> None:
    global cwd
    cwd = vfs.get(namespace.host_root)


def fail(command: Ptr[u8], path: Ptr[u8], err: i64) -> None:
    console.puts(command)
    console.puts(b": ")
    console.puts(path)
    console.puts(b": ")
    console.puts(errno.message(err))
    console.puts(b"\n")
    status.fail(u32(1))


def mode_string(mode: u32) -> None:
    kind: u32 = mode & vfs.S_IFMT
    type_char: u8 = 0x2D
    if kind == vfs.S_IFDIR:
        type_char = 0x64
    elif kind == vfs.S_IFLNK:
        type_char = 0x6C
    elif kind == vfs.S_IFCHR:
        type_char = 0x63
    elif kind == vfs.S_IFBLK:
        type_char = 0x62
    console.putc(type_char)
    letters: Ptr[u8] = b"rwxrwxrwx"
    for i in range(9):
        if (mode >> u32(8 - i)) & 1 != 0:
            console.putc(letters[i])
        else:
            console.putc(u8(0x2D))


def show(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, long: bool) -> None:
    """One `ls` line in the seed's format (`d 0 mnt`, ` 3181 config.json`) or -l format."""
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if vfs.lookup_in(namespace.host_root, dir, name, length, addr(slot)) < 0:
        return
    node: Ptr[vfs.Inode] = slot[0]
    size: u64 = 0 if vfs.is_dir(node) else node.size
    if long:
        mode_string(node.mode)
        console.puts(b" ")
        console.put_padded(u64(node.nlink), u32(3))
        console.puts(b" ")
        console.put_padded(u64(node.uid), u32(4))
        console.puts(b" ")
        console.put_padded(u64(node.gid), u32(4))
        console.puts(b" ")
        console.put_padded(size, u32(9))
        console.puts(b" ")
    else:
        # The seed transcript's format: "d 0 mnt" for directories, " 3181 config.json" for files.
        if vfs.is_dir(node):
            console.puts(b"d")
        elif vfs.is_symlink(node):
            console.puts(b"l")
        console.puts(b" ")
        console.put_dec(size)
        console.puts(b" ")
    console.write(name, length)
    if long and vfs.is_symlink(node):
        n: i64 = vfs.read_link(node, addr(io_buffer), usize(len(io_buffer)))
        if n > 0:
            console.puts(b" -> ")
            console.write(addr(io_buffer), usize(n))
    console.puts(b"\n")
    vfs.put(node)


def name_before(a: Ptr[vfs.DirEntry], b: Ptr[vfs.DirEntry]) -> bool:
    i: u32 = 0
    while i < u32(a.name_len) and i < u32(b.name_len):
        if a.name[i] != b.name[i]:
            return a.name[i] < b.name[i]
        i += 1
    return a.name_len < b.name_len


def list_directory(f: Ptr[file.File], long: bool) -> None:
    """Entries sorted by name, without `.` and `..`."""
    entries: Ptr[vfs.DirEntry] = cast(Ptr[vfs.DirEntry], kalloc(usize(sizeof(vfs.DirEntry)) * MAX_LIST))
    if entries == NULL:
        console.puts(b"ls: out of memory\n")
        return
    count: u32 = 0
    while count < MAX_LIST and file.next_entry(f, entries + count) == 1:
        e: Ptr[vfs.DirEntry] = entries + count
        if not vfs.is_dot_entry(e):
            count += 1
    for i in range(u32(1), count):  # insertion sort: directories are small
        j: u32 = i
        while j > 0 and name_before(entries + j, entries + (j - 1)):
            tmp: vfs.DirEntry = vfs.DirEntry()
            addr(tmp)[0] = entries[j]
            entries[j] = entries[j - 1]
            entries[j - 1] = addr(tmp)[0]
            j -= 1
    for i in range(count):
        show(f.inode, addr(entries[i].name), usize(entries[i].name_len), long)
    kfree(cast(Ptr[None], entries))


def cmd_ls(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    long: bool = False
    path: Ptr[u8] = b"."
    for i in range(u32(1), argc):
        if cstr.equal(argv[i], b"-l"):
            long = True
        else:
            path = argv[i]
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err: i64 = file.open(vfs.as_kernel(), namespace.host_root, cwd, path, u32(file.O_RDONLY), u32(0), addr(slot))
    if err < 0:
        fail(b"ls", path, err)
        return
    f: Ptr[file.File] = slot[0]
    if vfs.is_dir(f.inode):
        list_directory(f, long)
    else:
        w: vfs.Walk = vfs.Walk()
        if vfs.resolve(vfs.as_kernel(), namespace.host_root, cwd, path, u32(0), addr(w)) == 0 and w.parent != NULL:
            show(w.parent, addr(w.name), w.name_len, long)
        vfs.done(addr(w))
    file.close(f)


def cmd_cd(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    global cwd
    path: Ptr[u8] = b"/"
    if argc > 1:
        path = argv[1]
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = vfs.lookup_path(vfs.as_kernel(), namespace.host_root, cwd, path, True, addr(slot))
    if err == 0 and not vfs.is_dir(slot[0]):
        vfs.put(slot[0])
        err = -errno.ENOTDIR
    if err < 0:
        fail(b"cd", path, err)
        return
    vfs.put(cwd)
    cwd = slot[0]


def cmd_pwd(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    n: i64 = vfs.path_of(namespace.host_root, namespace.host_root, cwd, addr(io_buffer), usize(len(io_buffer)))
    if n < 0:
        fail(b"pwd", b".", n)
        return
    console.write(addr(io_buffer), usize(n))
    console.puts(b"\n")


def cmd_cat(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    for i in range(u32(1), argc):
        slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
        err: i64 = file.open(vfs.as_kernel(), namespace.host_root, cwd, argv[i], u32(file.O_RDONLY), u32(0), addr(slot))
        if err < 0:
            fail(b"cat", argv[i], err)
            continue
        while True:
            n: i64 = file.read(slot[0], addr(io_buffer), usize(len(io_buffer)))
            if n <= 0:
                if n < 0:
                    fail(b"cat", argv[i], n)
                break
            console.write(addr(io_buffer), usize(n))
        file.close(slot[0])


def cmd_mkdir(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    for i in range(u32(1), argc):
        err: i64 = vfs.mkdir(vfs.as_kernel(), namespace.host_root, cwd, argv[i], u32(0o755))
        if err < 0:
            fail(b"mkdir", argv[i], err)


def remove_tree(dir_path: Ptr[u8]) -> i64:
    """rm -r: empty a directory depth-first, then remove it."""
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err: i64 = file.open(vfs.as_kernel(),
                         namespace.host_root, cwd, dir_path, u32(file.O_RDONLY | file.O_DIRECTORY | file.O_NOFOLLOW),
                         u32(0), addr(slot))
    if err < 0:
        return err
    f: Ptr[file.File] = slot[0]
    entry: vfs.DirEntry = vfs.DirEntry()
    base: usize = cstr.length(dir_path)
    child: Ptr[u8] = cast(Ptr[u8], kalloc(base + 258))
    if child == NULL:
        file.close(f)
        return -errno.ENOMEM
    while err == 0 and file.next_entry(f, addr(entry)) == 1:
        n: usize = usize(entry.name_len)
        if vfs.is_dot_entry(addr(entry)):
            continue
        for k in range(base):
            child[k] = dir_path[k]
        child[base] = ord("/")
        for k in range(n):
            child[base + 1 + k] = entry.name[k]
        child[base + 1 + n] = 0
        if entry.type == vfs.DT_DIR:
            err = remove_tree(child)
        else:
            err = vfs.unlink(vfs.as_kernel(), namespace.host_root, cwd, child)
        if err == 0:
            file.lseek(f, i64(0), u32(file.SEEK_SET))  # the directory changed under us: start over
    file.close(f)
    kfree(cast(Ptr[None], child))
    if err < 0:
        return err
    return vfs.rmdir(vfs.as_kernel(), namespace.host_root, cwd, dir_path)


def cmd_rm(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    recursive: bool = False
    for i in range(u32(1), argc):
        if cstr.equal(argv[i], b"-r"):
            recursive = True
            continue
        err: i64 = vfs.unlink(vfs.as_kernel(), namespace.host_root, cwd, argv[i])
        if err == -errno.EISDIR:
            err = remove_tree(argv[i]) if recursive else vfs.rmdir(vfs.as_kernel(), namespace.host_root, cwd, argv[i])
        if err < 0:
            fail(b"rm", argv[i], err)


def cmd_write(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    """write PATH TEXT...: replace the file's contents with the words and a newline."""
    if argc < 2:
        console.puts(b"usage: write PATH TEXT...\n")
        status.fail(u32(2))
        return
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err: i64 = file.open(vfs.as_kernel(),
                         namespace.host_root, cwd, argv[1], u32(file.O_WRONLY | file.O_CREAT | file.O_TRUNC),
                         u32(0o644), addr(slot))
    if err < 0:
        fail(b"write", argv[1], err)
        return
    for i in range(u32(2), argc):
        if err >= 0 and i > 2:
            err = file.write(slot[0], b" ", usize(1))
        if err >= 0:
            err = file.write(slot[0], argv[i], cstr.length(argv[i]))
    if err >= 0:
        err = file.write(slot[0], b"\n", usize(1))
    if err < 0:
        fail(b"write", argv[1], err)
    file.close(slot[0])


def cmd_mount(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    console.puts(b"memfs on / type memfs\n")
    for i in range(vfs.MAX_MOUNTS):
        m: Ptr[vfs.Mount] = addr(vfs.mounts) + i
        if m.used and m.world == namespace.host_root:  # the host world's; each container has its own
            console.puts(addr(m.source))
            console.puts(b" on ")
            console.puts(addr(m.path))
            console.puts(b" type ")
            console.puts(addr(m.fs_name))
            console.puts(b"\n")


def read_whole(path: Ptr[u8], out_size: Ptr[u64]) -> Ptr[u8]:
    """A file's contents in a fresh kalloc buffer (NULL after printing why)."""
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err: i64 = file.open(vfs.as_kernel(), namespace.host_root, cwd, path, u32(file.O_RDONLY), u32(0), addr(slot))
    if err < 0:
        fail(b"tar", path, err)
        return NULL
    f: Ptr[file.File] = slot[0]
    size: u64 = f.inode.size
    data: Ptr[u8] = cast(Ptr[u8], kalloc(usize(size) + 1))
    if data == NULL:
        file.close(f)
        fail(b"tar", path, i64(-errno.ENOMEM))
        return NULL
    done: u64 = 0
    while done < size:
        n: i64 = file.read(f, data + done, usize(size - done))
        if n <= 0:
            file.close(f)
            kfree(cast(Ptr[None], data))
            fail(b"tar", path, n if n < 0 else i64(-errno.EIO))
            return NULL
        done += u64(n)
    file.close(f)
    out_size[0] = size
    return data


def cmd_tar(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    """tar ARCHIVE [DEST]: unpack a tar archive into DEST (created if missing; default: .)."""
    if argc < 2:
        console.puts(b"usage: tar ARCHIVE [DEST]\n")
        status.fail(u32(2))
        return
    size: Array[u64, 1] = Array[u64, 1]()
    data: Ptr[u8] = read_whole(argv[1], addr(size))
    if data == NULL:
        return
    dest_path: Ptr[u8] = b"."
    if argc > 2:
        dest_path = argv[2]
        made: i64 = vfs.mkdir(vfs.as_kernel(), namespace.host_root, cwd, dest_path, u32(0o755))
        if made < 0 and made != -errno.EEXIST:
            fail(b"tar", dest_path, made)
            kfree(cast(Ptr[None], data))
            return
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = vfs.lookup_path(vfs.as_kernel(), namespace.host_root, cwd, dest_path, True, addr(slot))
    if err == 0 and not vfs.is_dir(slot[0]):
        vfs.put(slot[0])
        err = -errno.ENOTDIR
    if err < 0:
        fail(b"tar", dest_path, err)
        kfree(cast(Ptr[None], data))
        return
    reader: Ptr[tar.TarReader] = cast(Ptr[tar.TarReader], kalloc(usize(sizeof(tar.TarReader))))
    sink: tar_vfs.VfsSink = tar_vfs.VfsSink()
    tar_vfs.init(addr(sink), slot[0])
    if reader == NULL:
        fail(b"tar", argv[1], i64(-errno.ENOMEM))
    else:
        tar.init_reader(reader, data, usize(size[0]))
        got: i64 = tar.extract(reader, addr(sink.sink))
        if got < 0:
            console.puts(b"tar: ")
            console.puts(argv[1])
            console.puts(b": ")
            console.puts(addr(reader.error))
            console.puts(b"\n")
            status.fail(u32(1))
    kfree(cast(Ptr[None], reader))
    vfs.put(slot[0])
    kfree(cast(Ptr[None], data))


# --- cp ------------------------------------------------------------------------------------------

def place(path: Ptr[u8], root: Ptr[Ptr[vfs.Inode]]) -> Ptr[u8]:
    """Where path names a file: ID:PATH in container ID's root (root[0] = that root), else in the
    host tree from the shell's directory (root[0] = NULL). The path within; NULL after saying that
    there is no such container."""
    root[0] = NULL
    i: usize = 0
    while path[i] != 0 and path[i] != ord(":") and path[i] != ord("/"):
        i += 1
    if path[i] != ord(":") or i == 0 or i >= runtime.ID_CAP:
        return path
    id: Array[u8, runtime.ID_CAP] = Array[u8, runtime.ID_CAP]()
    for k in range(i):
        id[k] = path[k]
    id[i] = 0
    c: Ptr[runtime.Container] = runtime.find(addr(id))
    if c == NULL or c.root == NULL:
        console.puts(b"cp: no container with id ")
        console.puts(addr(id))
        console.puts(b"\n")
        status.fail(u32(1))
        return NULL
    root[0] = c.root
    return path + i + 1


def open_in(root: Ptr[vfs.Inode], path: Ptr[u8], flags: u32, mode: u32, out: Ptr[Ptr[file.File]]) -> i64:
    if root == NULL:
        return file.open(vfs.as_kernel(), namespace.host_root, cwd, path, flags, mode, out)
    return file.open(vfs.as_kernel(), root, root, path, flags, mode, out)


def last_name(path: Ptr[u8]) -> Ptr[u8]:
    """The last component of path (trailing slashes aside, which cp's sources do not have)."""
    start: usize = 0
    i: usize = 0
    while path[i] != 0:
        if path[i] == ord("/") and path[i + 1] != 0:
            start = i + 1
        i += 1
    return path + start


def copy_data(src: Ptr[file.File], dst: Ptr[file.File]) -> i64:
    while True:
        n: i64 = file.read(src, addr(io_buffer), usize(len(io_buffer)))
        if n <= 0:
            return n
        done: i64 = 0
        while done < n:
            w: i64 = file.write(dst, addr(io_buffer) + done, usize(n - done))
            if w <= 0:
                return w if w < 0 else i64(-errno.EIO)
            done += w


def cmd_cp(argc: u32, argv: Ptr[Ptr[u8]]) -> None:
    """cp SOURCE DEST: copy a file (its permission bits too); DEST may be a directory. Either may
    be ID:PATH, in container ID."""
    if argc != 3:
        console.puts(b"usage: cp SOURCE DEST (ID:PATH for a path in container ID)\n")
        status.fail(u32(2))
        return
    roots: Array[Ptr[vfs.Inode], 2] = Array[Ptr[vfs.Inode], 2]()
    src_path: Ptr[u8] = place(argv[1], addr(roots))
    dst_path: Ptr[u8] = place(argv[2], addr(roots) + 1)
    if src_path == NULL or dst_path == NULL:
        return
    src: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err: i64 = open_in(roots[0], src_path, u32(file.O_RDONLY), u32(0), addr(src))
    if err == 0 and vfs.is_dir(src[0].inode):
        file.close(src[0])
        err = -errno.EISDIR
    if err < 0:
        fail(b"cp", argv[1], err)
        return
    target: Ptr[u8] = dst_path
    joined: Ptr[u8] = NULL
    probe: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    if open_in(roots[1], dst_path, u32(file.O_RDONLY | file.O_DIRECTORY), u32(0), addr(probe)) == 0:
        file.close(probe[0])
        name: Ptr[u8] = last_name(src_path)
        n: usize = cstr.length(dst_path)
        m: usize = cstr.length(name)
        joined = cast(Ptr[u8], kalloc(n + m + 2))
        if joined == NULL:
            file.close(src[0])
            fail(b"cp", argv[2], i64(-errno.ENOMEM))
            return
        for k in range(n):
            joined[k] = dst_path[k]
        joined[n] = ord("/")
        for k in range(m + 1):
            joined[n + 1 + k] = name[k]
        target = joined
    dst: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err = open_in(roots[1], target, u32(file.O_WRONLY | file.O_CREAT | file.O_TRUNC), src[0].inode.mode & 0o7777,
                  addr(dst))
    if err == 0:
        err = copy_data(src[0], dst[0])
        file.close(dst[0])
    if err < 0:
        fail(b"cp", argv[2], err)
    file.close(src[0])
    kfree(cast(Ptr[None], joined))
