"""VFS path resolution and memfs semantics under CPython."""
import pytest

from cyrius.kernel import errno
from cyrius.kernel.fs import file, memfs, vfs
from cyrius.kernel.mm import uspace
from cyrius.kernel.proc import caps
from cyrius.lang import NULL, Array, Ptr, addr, i64, memory, u8, u32, u64, usize


def cstr(text: bytes) -> Ptr:
    a = memory.alloc(len(text) + 1)
    memory.write(a, text + b"\0")
    return Ptr[u8](a)


def buffer(n: int) -> Ptr:
    return Ptr[u8](memory.alloc(n))


@pytest.fixture
def fs(machine):
    vfs.init(NULL)
    uspace.init()  # memfs keeps file data in frames uspace tracks (as kernel_main sets up)
    memfs.init()
    root = memfs.new_root()
    assert root != NULL
    return root


def lookup(root, path, follow=True, cwd=None):
    slot = Array[Ptr[vfs.Inode], 1]()
    err = vfs.lookup_path(vfs.as_kernel(), root, cwd or root, cstr(path), follow, addr(slot))
    return err, (slot[0] if err == 0 else None)


def write_file(root, path, data: bytes, cwd=None, flags=file.O_WRONLY | file.O_CREAT | file.O_TRUNC):
    slot = Array[Ptr[file.File], 1]()
    err = file.open(vfs.as_kernel(), root, cwd or root, cstr(path), u32(flags), u32(0o644), addr(slot))
    assert err == 0, err
    f = slot[0]
    src = buffer(max(len(data), 1))
    memory.write(src.address, data) if data else None
    assert file.write(f, src, usize(len(data))) == len(data)
    file.close(f)


def read_file(root, path, cwd=None) -> bytes:
    slot = Array[Ptr[file.File], 1]()
    err = file.open(vfs.as_kernel(), root, cwd or root, cstr(path), u32(file.O_RDONLY), u32(0), addr(slot))
    assert err == 0, (path, err)
    f = slot[0]
    out = b""
    buf = buffer(1000)
    while True:
        n = file.read(f, buf, usize(1000))
        assert n >= 0
        if n == 0:
            break
        out += memory.read(buf.address, int(n))
    file.close(f)
    return out


def names(root, path) -> set:
    slot = Array[Ptr[file.File], 1]()
    assert file.open(vfs.as_kernel(),
                     root, root, cstr(path), u32(file.O_RDONLY | file.O_DIRECTORY), u32(0), addr(slot)) == 0
    entry = vfs.DirEntry()
    found = set()
    while file.next_entry(slot[0], addr(entry)) == 1:
        found.add(memory.read(addr(entry.name).address, int(entry.name_len)))
    file.close(slot[0])
    return found


def test_create_write_read_and_list(fs):
    assert vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/a"), u32(0o755)) == 0
    assert vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/a/b"), u32(0o755)) == 0
    write_file(fs, b"/a/b/hello.txt", b"hello, world\n")
    assert read_file(fs, b"/a/b/hello.txt") == b"hello, world\n"
    assert names(fs, b"/a/b") == {b".", b"..", b"hello.txt"}
    assert vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/a"), u32(0o755)) == -errno.EEXIST
    assert vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/nope/x"), u32(0o755)) == -errno.ENOENT
    err, node = lookup(fs, b"/a/b/hello.txt/")
    assert err == -errno.ENOTDIR


def test_dotdot_never_leaves_the_root(fs):
    vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/jail"), u32(0o755))
    write_file(fs, b"/secret", b"host only")
    _, jail = lookup(fs, b"/jail")
    write_file(jail, b"/inside", b"jailed")
    # From inside the jail, every way up ends at the jail's root
    assert read_file(jail, b"/../../inside") == b"jailed"
    assert lookup(jail, b"/../secret")[0] == -errno.ENOENT
    # absolute and relative symlinks resolve inside the jail too
    assert vfs.symlink(vfs.as_kernel(), jail, jail, cstr(b"/secret"), cstr(b"/abs")) == 0
    assert vfs.symlink(vfs.as_kernel(), jail, jail, cstr(b"../../../secret"), cstr(b"/rel")) == 0
    assert lookup(jail, b"/abs")[0] == -errno.ENOENT
    assert lookup(jail, b"/rel")[0] == -errno.ENOENT
    write_file(jail, b"/secret", b"the jail's own")
    assert read_file(jail, b"/abs") == b"the jail's own"


def test_symlink_loops_and_nofollow(fs):
    vfs.symlink(vfs.as_kernel(), fs, fs, cstr(b"/loop2"), cstr(b"/loop1"))
    vfs.symlink(vfs.as_kernel(), fs, fs, cstr(b"/loop1"), cstr(b"/loop2"))
    assert lookup(fs, b"/loop1")[0] == -errno.ELOOP
    err, node = lookup(fs, b"/loop1", follow=False)
    assert err == 0 and vfs.is_symlink(node)
    slot = Array[Ptr[file.File], 1]()
    assert file.open(vfs.as_kernel(),
                     fs, fs, cstr(b"/loop1"), u32(file.O_RDONLY | file.O_NOFOLLOW), u32(0), addr(slot)) \
        == -errno.ELOOP


def test_open_flags(fs):
    write_file(fs, b"/f", b"0123456789")
    slot = Array[Ptr[file.File], 1]()
    assert file.open(vfs.as_kernel(), fs, fs, cstr(b"/f"), u32(file.O_CREAT | file.O_EXCL | file.O_WRONLY), u32(0o600),
                     addr(slot)) == -errno.EEXIST
    write_file(fs, b"/f", b"ab", flags=file.O_WRONLY | file.O_APPEND)
    assert read_file(fs, b"/f") == b"0123456789ab"
    write_file(fs, b"/f", b"xy", flags=file.O_WRONLY | file.O_TRUNC)
    assert read_file(fs, b"/f") == b"xy"
    assert file.open(vfs.as_kernel(), fs, fs, cstr(b"/"), u32(file.O_WRONLY), u32(0), addr(slot)) == -errno.EISDIR
    assert file.open(vfs.as_kernel(), fs, fs, cstr(b"/f"), u32(file.O_RDONLY | file.O_DIRECTORY), u32(0), addr(slot)) \
        == -errno.ENOTDIR


def test_sparse_files_read_zeros_and_cost_no_pages(fs):
    slot = Array[Ptr[file.File], 1]()
    assert file.open(vfs.as_kernel(),
                     fs, fs, cstr(b"/sparse"), u32(file.O_RDWR | file.O_CREAT), u32(0o644), addr(slot)) == 0
    f = slot[0]
    assert file.lseek(f, i64(10 * 4096 * 1024), u32(file.SEEK_SET)) == 10 * 4096 * 1024
    data = buffer(4)
    memory.write(data.address, b"tail")
    assert file.write(f, data, usize(4)) == 4
    assert f.inode.size == 10 * 4096 * 1024 + 4
    assert f.inode.blocks == 8  # one 4 KiB page
    buf = buffer(16)
    assert file.pread(f, buf, usize(16), u64(4096 * 77)) == 16
    assert memory.read(buf.address, 16) == bytes(16)
    file.close(f)


def test_links_rename_unlink_rmdir(fs):
    vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/d"), u32(0o755))
    write_file(fs, b"/d/one", b"1")
    assert vfs.link(vfs.as_kernel(), fs, fs, cstr(b"/d/one"), cstr(b"/d/two")) == 0
    _, node = lookup(fs, b"/d/one")
    assert node.nlink == 2
    assert vfs.unlink(vfs.as_kernel(), fs, fs, cstr(b"/d/one")) == 0
    assert read_file(fs, b"/d/two") == b"1"
    assert node.nlink == 1
    assert vfs.rmdir(vfs.as_kernel(), fs, fs, cstr(b"/d")) == -errno.ENOTEMPTY
    assert vfs.rename(vfs.as_kernel(), fs, fs, cstr(b"/d/two"), cstr(b"/moved")) == 0
    assert read_file(fs, b"/moved") == b"1"
    assert vfs.rmdir(vfs.as_kernel(), fs, fs, cstr(b"/d")) == 0
    vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/p"), u32(0o755))
    vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/p/q"), u32(0o755))
    assert vfs.rename(vfs.as_kernel(), fs, fs, cstr(b"/p"), cstr(b"/p/q/inside")) == -errno.EINVAL
    assert vfs.unlink(vfs.as_kernel(), fs, fs, cstr(b"/p")) == -errno.EISDIR
    assert vfs.rmdir(vfs.as_kernel(), fs, fs, cstr(b"/moved")) == -errno.ENOTDIR


def test_mounts_and_getcwd(fs):
    vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/mnt"), u32(0o755))
    other = memfs.new_root()
    _, mnt = lookup(fs, b"/mnt")
    assert vfs.mount(fs, mnt, other, u32(0), cstr(b"none"), cstr(b"memfs"), cstr(b"/mnt")) == 0
    vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/mnt/deep"), u32(0o755))
    write_file(fs, b"/mnt/deep/f", b"on the mounted fs")
    assert read_file(other, b"/deep/f") == b"on the mounted fs"
    _, deep = lookup(fs, b"/mnt/deep")
    assert read_file(fs, b"../../mnt/deep/f", cwd=deep) == b"on the mounted fs"
    buf = buffer(256)
    n = vfs.path_of(fs, fs, deep, buf, usize(256))
    assert memory.read(buf.address, int(n)) == b"/mnt/deep"
    n = vfs.path_of(fs, fs, fs, buf, usize(256))
    assert memory.read(buf.address, int(n)) == b"/"


def test_no_inode_leaks(fs, machine):
    from cyrius.kernel.mm import heap
    before = heap.live_blocks
    vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/t"), u32(0o755))
    write_file(fs, b"/t/x", b"data" * 3000)
    vfs.symlink(vfs.as_kernel(), fs, fs, cstr(b"x"), cstr(b"/t/y"))
    assert read_file(fs, b"/t/y") == b"data" * 3000
    vfs.unlink(vfs.as_kernel(), fs, fs, cstr(b"/t/x"))
    vfs.unlink(vfs.as_kernel(), fs, fs, cstr(b"/t/y"))
    vfs.rmdir(vfs.as_kernel(), fs, fs, cstr(b"/t"))
    assert heap.live_blocks == before


def test_devfs_devices(fs):
    from cyrius.kernel.fs import devfs
    vfs.mkdir(vfs.as_kernel(), fs, fs, cstr(b"/dev"), u32(0o755))
    _, dev = lookup(fs, b"/dev")
    devroot = devfs.new_root()
    devfs.seed(u64(1234), u64(5678))
    assert vfs.mount(fs, dev, devroot, u32(0), cstr(b"devfs"), cstr(b"devfs"), cstr(b"/dev")) == 0
    assert {b"null", b"zero", b"full", b"random", b"urandom", b"tty", b"console", b"fd", b"stdin"} <= names(fs, b"/dev")
    slot = Array[Ptr[file.File], 1]()
    buf = buffer(64)
    memory.write(buf.address, b"\xff" * 64)
    assert file.open(vfs.as_kernel(), fs, fs, cstr(b"/dev/zero"), u32(file.O_RDWR), u32(0), addr(slot)) == 0
    assert file.read(slot[0], buf, usize(64)) == 64 and memory.read(buf.address, 64) == bytes(64)
    assert file.write(slot[0], buf, usize(64)) == 64
    file.close(slot[0])
    assert file.open(vfs.as_kernel(), fs, fs, cstr(b"/dev/full"), u32(file.O_WRONLY), u32(0), addr(slot)) == 0
    assert file.write(slot[0], buf, usize(1)) == -errno.ENOSPC
    file.close(slot[0])
    assert file.open(vfs.as_kernel(),
                     fs, fs, cstr(b"/dev/null"), u32(file.O_RDWR | file.O_TRUNC), u32(0), addr(slot)) == 0
    assert file.read(slot[0], buf, usize(64)) == 0
    file.close(slot[0])
    assert file.open(vfs.as_kernel(), fs, fs, cstr(b"/dev/urandom"), u32(file.O_RDONLY), u32(0), addr(slot)) == 0
    assert file.read(slot[0], buf, usize(64)) == 64
    first = memory.read(buf.address, 64)
    file.read(slot[0], buf, usize(64))
    assert first != memory.read(buf.address, 64) and len(set(first)) > 20
    file.close(slot[0])
    err, node = lookup(fs, b"/dev/stdout", follow=False)
    assert err == 0 and vfs.is_symlink(node)
    # `..` from the devfs root leads back to the host root
    assert names(fs, b"/dev/..") >= {b"dev"}


def cred(uid, gid):
    """A caller with these ids and the capabilities Linux leaves them: all for uid 0, none otherwise."""
    c = vfs.Cred()
    c.uid = u32(uid)
    c.gid = u32(gid)
    c.caps = u64(caps.CAP_ALL if uid == 0 else 0)
    return addr(c)


def test_stat_chmod_chown_truncate_access(fs):
    import struct as pystruct
    from cyrius.lang import sizeof
    assert sizeof(vfs.Stat) == 144
    write_file(fs, b"/f", b"x" * 5000)
    st = vfs.Stat()
    assert vfs.stat(vfs.as_kernel(), fs, fs, cstr(b"/f"), True, addr(st)) == 0
    assert st.st_mode == vfs.S_IFREG | 0o644 and st.st_size == 5000 and st.st_nlink == 1 and st.st_blocks == 16
    raw = memory.read(addr(st).address, 144)
    assert pystruct.unpack_from("<QQQIII", raw, 0)[3] == vfs.S_IFREG | 0o644  # offsets as in <sys/stat.h>
    assert pystruct.unpack_from("<q", raw, 48)[0] == 5000
    _, node = lookup(fs, b"/f")
    assert vfs.set_mode(node, u32(0o100755)) == 0
    vfs.stat(vfs.as_kernel(), fs, fs, cstr(b"/f"), True, addr(st))
    assert st.st_mode == vfs.S_IFREG | 0o755
    assert vfs.set_owner(node, u32(1000), u32(vfs.KEEP_ID)) == 0
    vfs.stat(vfs.as_kernel(), fs, fs, cstr(b"/f"), True, addr(st))
    assert st.st_uid == 1000 and st.st_gid == 0
    assert vfs.truncate(vfs.as_kernel(), fs, fs, cstr(b"/f"), u64(10)) == 0
    assert read_file(fs, b"/f") == b"x" * 10
    assert vfs.truncate(vfs.as_kernel(), fs, fs, cstr(b"/"), u64(0)) == -errno.EISDIR
    vfs.set_mode(node, u32(0o640))
    vfs.put(node)
    assert vfs.access(cred(0, 0), fs, fs, cstr(b"/f"), u32(vfs.R_OK | vfs.W_OK)) == 0
    assert vfs.access(cred(0, 0), fs, fs, cstr(b"/f"), u32(vfs.X_OK)) == -errno.EACCES
    assert vfs.access(cred(1000, 5), fs, fs, cstr(b"/f"), u32(vfs.W_OK)) == 0  # the owner
    assert vfs.access(cred(7, 0), fs, fs, cstr(b"/f"), u32(vfs.R_OK)) == 0  # the group
    assert vfs.access(cred(7, 7), fs, fs, cstr(b"/f"), u32(vfs.R_OK)) == -errno.EACCES  # others


def test_getdents64_records(fs):
    import struct as pystruct
    for name in (b"alpha", b"b", b"a-much-longer-name-than-the-others"):
        write_file(fs, b"/" + name, b"")
    slot = Array[Ptr[file.File], 1]()
    assert file.open(vfs.as_kernel(),
                     fs, fs, cstr(b"/"), u32(file.O_RDONLY | file.O_DIRECTORY), u32(0), addr(slot)) == 0
    seen = []
    buf = buffer(64)  # small: forces several calls, each record must be handed back whole
    while True:
        n = file.getdents64(slot[0], buf, usize(64))
        assert n >= 0
        if n == 0:
            break
        raw = memory.read(buf.address, int(n))
        pos = 0
        while pos < len(raw):
            ino, off, reclen, dtype = pystruct.unpack_from("<QqHB", raw, pos)
            assert reclen % 8 == 0
            seen.append(raw[pos + 19:pos + reclen].split(b"\0")[0])
            pos += reclen
    assert sorted(seen) == sorted([b".", b"..", b"alpha", b"b", b"a-much-longer-name-than-the-others"])
    assert file.getdents64(slot[0], buf, usize(8)) == 0
    file.lseek(slot[0], i64(0), u32(file.SEEK_SET))
    assert file.getdents64(slot[0], buf, usize(8)) == -errno.EINVAL  # no record fits in 8 bytes
    file.close(slot[0])
