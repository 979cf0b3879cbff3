"""FAT32 under CPython, checked against the reference tools: images made with mkfs.fat and populated
with mtools are mounted from simulated memory behind a RAM BlockDevice; what the kernel writes is
copied back to a host file and judged by fsck.fat and read back with mtools."""
import os
import random
import struct
import subprocess

import pytest

from cyrius.kernel import errno
from cyrius.kernel.dev import block
from cyrius.kernel.fs import fat32, file, vfs
from cyrius.kernel.mm import heap
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8, u32, u64, usize
from tooling import needs

TOOLS = ("mkfs.fat", "fsck.fat", "mcopy", "mmd", "mdir", "mattrib")
pytestmark = needs(*TOOLS)

IMAGE_KIB = 65536  # FAT32 needs at least 65525 clusters: 64 MiB of 512-byte clusters
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
_region = []


def disk_region() -> int:
    """One simulated-memory disk for every test: simulated memory is never given back."""
    if not _region:
        _region.append(memory.alloc(IMAGE_KIB * 1024))
    return _region[0]


def data(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


def cstr(text: bytes) -> Ptr:
    a = memory.alloc(len(text) + 1)
    memory.write(a, text + b"\0")
    return Ptr[u8](a)


def buffer(n: int) -> Ptr:
    return Ptr[u8](memory.alloc(max(n, 1)))


# ---------------------------------------------------------------- host-side tools

def mtools(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(list(args), env=MTOOLS_ENV, capture_output=True)
    if ok:
        assert result.returncode == 0, result
    return result


@pytest.fixture(scope="session")
def blank(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("fat") / "blank.img"
    subprocess.run(["mkfs.fat", "-F", "32", "-i", "C0FFEE00", "-C", str(path), str(IMAGE_KIB)], check=True,
                   capture_output=True)
    return path.read_bytes()


@pytest.fixture
def image(tmp_path, blank):
    path = tmp_path / "disk.img"
    path.write_bytes(blank)
    return path


def mput(img, dest: str, content: bytes) -> None:
    src = img.parent / "upload.bin"
    src.write_bytes(content)
    mtools("mcopy", "-i", str(img), str(src), "::" + dest)


def mget(img, path: str) -> bytes:
    return mtools("mcopy", "-n", "-i", str(img), "::" + path, "-").stdout


def mlist(img) -> set:
    """Every path on the image (directories end in /), as mtools sees it."""
    out = mtools("mdir", "-i", str(img), "-/", "-b", "::/").stdout.decode()
    return {line[2:] for line in out.splitlines() if line.startswith("::/")}


def fsck(img) -> None:
    result = subprocess.run(["fsck.fat", "-n", str(img)], capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    # A clean volume gets the version line and the summary line, nothing else.
    assert result.returncode == 0 and len(lines) == 2, result.stdout + result.stderr
    assert "dirty" not in result.stdout.lower() and "error" not in result.stdout.lower()


class Geometry:
    """Just enough BPB parsing for tests to corrupt images by hand."""

    def __init__(self, img: bytes):
        sector, per_cluster, reserved, self.fats = struct.unpack_from("<HBHB", img, 11)
        fat_sectors, self.root = struct.unpack_from("<I4xI", img, 36)
        self.fat = reserved * sector
        self.fat_bytes = fat_sectors * sector
        self.cluster = per_cluster * sector
        self.data = self.fat + self.fats * self.fat_bytes

    def at(self, cluster: int) -> int:
        return self.data + (cluster - 2) * self.cluster

    def set_fat(self, img: bytearray, cluster: int, value: int) -> None:
        for k in range(self.fats):
            struct.pack_into("<I", img, self.fat + k * self.fat_bytes + 4 * cluster, value)

    def fat_entry(self, img: bytes, cluster: int) -> int:
        return struct.unpack_from("<I", img, self.fat + 4 * cluster)[0] & 0x0FFFFFFF

    def root_entry(self, img: bytes, name11: bytes) -> int:
        start = self.at(self.root)
        for off in range(start, start + self.cluster, 32):
            if img[off:off + 11] == name11:
                return off
        raise KeyError(name11)

    def first_cluster(self, img: bytes, entry: int) -> int:
        hi, = struct.unpack_from("<H", img, entry + 20)
        lo, = struct.unpack_from("<H", img, entry + 26)
        return hi << 16 | lo


# ---------------------------------------------------------------- the mounted volume

class Fat:
    """An image file loaded into simulated memory behind a RAM disk, and mounted."""

    def __init__(self, img, sectors: int | None = None):
        self.img = img
        content = img.read_bytes()
        self.size = len(content)
        self.base = disk_region()
        memory.write(self.base, content)
        self.dev = block.BlockDevice()
        block.init_ramdisk(addr(self.dev), Ptr[u8](self.base), u64(sectors or self.size // 512), b"fat0")
        slot = Array[Ptr[vfs.Inode], 1]()
        self.err = fat32.mount(addr(self.dev), addr(slot))
        self.root = slot[0] if self.err == 0 else None

    def save(self) -> None:
        """sync, then copy the disk back to the image file."""
        assert fat32.sync(self.root) == 0
        self.img.write_bytes(memory.read(self.base, self.size))

    def unmount(self) -> None:
        vfs.put(self.root)
        self.img.write_bytes(memory.read(self.base, self.size))

    def lookup(self, path: bytes):
        slot = Array[Ptr[vfs.Inode], 1]()
        err = vfs.lookup_path(vfs.as_kernel(), self.root, self.root, cstr(path), True, addr(slot))
        return err, (slot[0] if err == 0 else None)

    def inode(self, path: bytes):
        err, node = self.lookup(path)
        assert err == 0, (path, err)
        return node

    def open(self, path: bytes, flags: int, mode: int = 0o644):
        slot = Array[Ptr[file.File], 1]()
        err = file.open(vfs.as_kernel(), self.root, self.root, cstr(path), u32(flags), u32(mode), addr(slot))
        return err, (slot[0] if err == 0 else None)

    def write(self, path: bytes, content: bytes, offset: int | None = None,
              flags: int = file.O_WRONLY | file.O_CREAT | file.O_TRUNC) -> None:
        err, f = self.open(path, flags)
        assert err == 0, (path, err)
        src = buffer(len(content))
        memory.write(src.address, content)
        if offset is None:
            assert file.write(f, src, usize(len(content))) == len(content)
        else:
            assert file.pwrite(f, src, usize(len(content)), u64(offset)) == len(content)
        file.close(f)

    def read(self, path: bytes, chunk: int = 7000) -> bytes:
        err, f = self.open(path, file.O_RDONLY)
        assert err == 0, (path, err)
        out = bytearray()
        buf = buffer(chunk)
        while True:
            n = file.read(f, buf, usize(chunk))
            assert n >= 0, (path, n)
            if n == 0:
                break
            out += memory.read(buf.address, int(n))
        file.close(f)
        return bytes(out)

    def entries(self, path: bytes) -> dict:
        """name -> (ino, d_type) as readdir reports them."""
        err, f = self.open(path, file.O_RDONLY | file.O_DIRECTORY)
        assert err == 0, (path, err)
        entry = vfs.DirEntry()
        found = {}
        while True:
            got = file.next_entry(f, addr(entry))
            assert got >= 0, got
            if got == 0:
                break
            name = memory.read(addr(entry.name).address, int(entry.name_len))
            assert name not in found
            found[name] = (int(entry.ino), int(entry.type))
        file.close(f)
        return found

    def names(self, path: bytes) -> set:
        return set(self.entries(path)) - {b".", b".."}

    def truncate(self, path: bytes, size: int) -> int:
        node = self.inode(path)
        err = node.ops.truncate(node, u64(size))
        vfs.put(node)
        return err

    def free(self) -> int:
        out = vfs.StatFs()
        assert self.root.ops.statfs(self.root, addr(out)) == 0
        return int(out.blocks_free)


@pytest.fixture
def kernel(machine):
    """A heap, and timestamps at 1980-01-01 (no clock)."""
    vfs.init(NULL)


def populate(img) -> dict:
    """A tree made by mtools: what every file should contain."""
    files = {
        "/hello.txt": b"hello, world\n",
        "/UPPER.TXT": b"upper",
        "/MiXeD.Txt": b"mixed case",
        "/Long File Name.txt": b"a long name",
        "/empty": b"",
        "/big.bin": data(300_000, 2),  # ~590 clusters
        "/dir/sub dir/deep file with a rather long name, more than 26 characters.dat": data(5000, 3),
        "/dir/naïve café.txt": "naïve café".encode(),
        "/dir/" + "x" * 200 + ".txt": b"two hundred",
    }
    mtools("mmd", "-i", str(img), "::/dir", "::/dir/sub dir", "::/empty dir")
    for path, content in files.items():
        mput(img, path, content)
    return files


# ---------------------------------------------------------------- reading what mtools wrote

def test_reads_names_and_data_mtools_wrote(kernel, image):
    files = populate(image)
    disk = Fat(image)
    assert disk.err == 0
    assert disk.names(b"/") == {b"hello.txt", b"UPPER.TXT", b"MiXeD.Txt", b"Long File Name.txt", b"empty",
                                b"big.bin", b"dir", b"empty dir"}
    assert disk.names(b"/dir") == {b"sub dir", "naïve café.txt".encode(), b"x" * 200 + b".txt"}
    assert disk.names(b"/empty dir") == set()
    for path, content in files.items():
        assert disk.read(path.encode()) == content, path
    root = disk.entries(b"/")
    assert root[b"."] == (1, vfs.DT_DIR) and root[b".."] == (1, vfs.DT_DIR)
    assert root[b"dir"][1] == vfs.DT_DIR and root[b"big.bin"][1] == vfs.DT_REG
    sub = disk.entries(b"/dir")
    assert sub[b"."][0] == root[b"dir"][0] and sub[b".."][0] == 1


def test_lookup_ignores_case_and_knows_short_aliases(kernel, image):
    populate(image)
    disk = Fat(image)
    want = disk.inode(b"/Long File Name.txt")
    for spelling in (b"/LONG FILE NAME.TXT", b"/long file name.txt", b"/LONGFI~1.TXT", b"/longfi~1.txt"):
        node = disk.inode(spelling)
        assert node == want  # one live inode per file
        vfs.put(node)
    assert disk.inode(b"/HELLO.TXT") == disk.inode(b"/hello.txt")
    assert disk.inode(b"/DIR/SUB DIR/..") == disk.inode(b"/dir")
    assert disk.lookup(b"/hello.txt.")[0] == -errno.ENOENT
    assert disk.lookup(b"/nope")[0] == -errno.ENOENT
    assert disk.lookup(b"/hello.txt/x")[0] == -errno.ENOTDIR


def test_stat_fields(kernel, image):
    populate(image)
    mtools("mattrib", "-i", str(image), "+r", "::/UPPER.TXT")
    disk = Fat(image)
    big = disk.inode(b"/big.bin")
    assert big.size == 300_000 and big.mode == vfs.S_IFREG | 0o755 and big.uid == 0 and big.nlink == 1
    assert big.blocks == 586  # whole 512-byte clusters
    assert disk.inode(b"/UPPER.TXT").mode == vfs.S_IFREG | 0o555
    d = disk.inode(b"/dir")
    assert d.mode == vfs.S_IFDIR | 0o755 and d.nlink == 3  # ".", its entry, and "sub dir"/".."
    assert disk.inode(b"/empty").size == 0
    assert disk.inode(b"/").nlink == 4  # dir and empty dir
    assert big.mtime_ns > 0 and big.dev == disk.root.dev


def test_inode_numbers_are_stable_across_mounts(kernel, image):
    populate(image)
    disk = Fat(image)
    first = disk.entries(b"/dir")
    assert disk.inode(b"/dir/sub dir").ino == first[b"sub dir"][0]
    disk.unmount()
    again = Fat(image)
    assert again.entries(b"/dir") == first


def test_reads_at_any_offset(kernel, image):
    content = data(70_000, 5)
    mput(image, "/f.bin", content)
    disk = Fat(image)
    node = disk.inode(b"/f.bin")
    buf = buffer(5000)
    for offset, count in ((0, 1), (511, 2), (512, 512), (1000, 5000), (69_999, 100), (70_000, 10), (123_456, 5)):
        n = node.ops.read(node, buf, usize(count), u64(offset))
        expected = content[offset:offset + count]
        assert n == len(expected) and memory.read(buf.address, int(n)) == expected


# ---------------------------------------------------------------- writing, judged by fsck and mtools

def test_writes_are_clean_for_fsck_and_readable_by_mtools(kernel, image):
    files = populate(image)
    disk = Fat(image)
    written = {
        "/A new file with a long name.txt": data(10_000, 10),
        "/dir/sub dir/another one.bin": data(123_457, 11),  # many clusters
        "/tiny": b"x",
        "/readme.txt": b"short name, lower case",
        "/Readme2.TXT": b"mixed case short name",
        "/new dir/nested/deeper/leaf.txt": b"leaf",
        "/unicode ✓ ñ.txt": b"not only ASCII",
        "/" + "L" * 255: b"longest name",
    }
    assert vfs.mkdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/new dir"), u32(0o755)) == 0
    assert vfs.mkdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/new dir/nested"), u32(0o755)) == 0
    assert vfs.mkdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/new dir/nested/deeper"), u32(0o755)) == 0
    for path, content in written.items():
        disk.write(path.encode(), content)
    disk.write(b"/big.bin", b"PATCH", offset=100_000, flags=file.O_WRONLY)
    files["/big.bin"] = files["/big.bin"][:100_000] + b"PATCH" + files["/big.bin"][100_005:]
    disk.write(b"/hello.txt", b"appended\n", flags=file.O_WRONLY | file.O_APPEND)
    files["/hello.txt"] += b"appended\n"
    disk.write("/beyond the BMP 𝄞.txt".encode(), b"a surrogate pair")  # mtools cannot read those
    disk.save()
    fsck(image)
    assert Fat(image).read("/BEYOND THE BMP 𝄞.txt".encode()) == b"a surrogate pair"
    files.update(written)
    for path, content in files.items():
        assert mget(image, path) == content, path
        assert disk.read(path.encode()) == content, path
    listed = mlist(image)
    assert {p for p in files} <= listed
    assert {"/new dir/", "/new dir/nested/", "/new dir/nested/deeper/"} <= listed


def test_names_get_proper_short_forms(kernel, image):
    disk = Fat(image)
    for i in range(12):
        disk.write(f"/Long File Name {i}.txt".encode(), b"%d" % i)
    disk.write(b"/lower.txt", b"l")
    disk.write(b"/.hidden", b"h")
    disk.write(b"/a+b=c,d;e.x", b"odd")
    disk.save()
    fsck(image)
    out = mtools("mdir", "-i", str(image), "::/").stdout.decode()
    shorts = {line[:12] for line in out.splitlines() if line[:1].isalnum()}
    for i in range(1, 10):
        assert f"LONGFI~{i} TXT" in shorts
    assert "LONGF~10 TXT" in shorts and "LONGF~12 TXT" in shorts
    assert "lower    txt" in shorts  # no LFN: NT lower-case flags, as Linux and mtools write it
    assert "HIDDEN~1    " in shorts and "A_B_C_~1 X  " in shorts
    for i in range(12):
        assert mget(image, f"/Long File Name {i}.txt") == b"%d" % i
    assert mget(image, "/.hidden") == b"h" and mget(image, "/a+b=c,d;e.x") == b"odd"


def test_many_entries_grow_the_directory(kernel, image):
    disk = Fat(image)
    assert vfs.mkdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/many"), u32(0o755)) == 0
    names = {f"/many/entry number {i:03d} with a long name".encode() for i in range(40)}
    for name in names:
        disk.write(name, name)
    assert disk.inode(b"/many").size == 11 * 512  # ".", ".." and 40 sets of 4 entries, 16 to a cluster
    assert {b"/many/" + n for n in disk.names(b"/many")} == names
    disk.save()
    fsck(image)
    assert {p.encode() for p in mlist(image) if p.startswith("/many/") and p != "/many/"} == names


def test_unlink_and_rmdir(kernel, image):
    populate(image)
    disk = Fat(image)
    free = disk.free()
    assert vfs.unlink(vfs.as_kernel(), disk.root, disk.root, cstr(b"/big.bin")) == 0
    assert disk.free() == free + 586
    assert vfs.unlink(vfs.as_kernel(), disk.root, disk.root, cstr(b"/big.bin")) == -errno.ENOENT
    assert vfs.unlink(vfs.as_kernel(), disk.root, disk.root, cstr(b"/dir")) == -errno.EISDIR
    assert vfs.rmdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/dir")) == -errno.ENOTEMPTY
    assert vfs.rmdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/hello.txt")) == -errno.ENOTDIR
    assert vfs.rmdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/empty dir")) == 0
    assert disk.root.nlink == 3
    assert vfs.unlink(vfs.as_kernel(),
                      disk.root, disk.root, cstr(b"/dir/sub dir/deep file with a rather long name, more than 26 "
                                                 b"characters.dat")) == 0
    assert vfs.rmdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/dir/sub dir")) == 0
    assert disk.names(b"/dir") == {"naïve café.txt".encode(), b"x" * 200 + b".txt"}
    disk.save()
    fsck(image)
    assert "/big.bin" not in mlist(image) and "/empty dir/" not in mlist(image)
    assert mget(image, "/hello.txt") == b"hello, world\n"


def test_rename(kernel, image):
    files = populate(image)
    disk = Fat(image)
    root = disk.root

    def rename(a: bytes, b: bytes) -> int:
        return vfs.rename(vfs.as_kernel(), root, root, cstr(a), cstr(b))

    moved = disk.inode(b"/dir/sub dir")
    assert rename(b"/Long File Name.txt", b"/dir/Renamed with another long name.txt") == 0
    assert rename(b"/hello.txt", b"/UPPER.TXT") == 0  # replaces the target
    assert rename(b"/dir/sub dir", b"/moved sub dir") == 0  # ".." must follow
    assert rename(b"/MiXeD.Txt", b"/MIXED.TXT") == 0  # only the case changes
    assert rename(b"/empty", b"/empty") == 0
    assert rename(b"/dir", b"/dir/inside") == -errno.EINVAL
    assert rename(b"/moved sub dir", b"/dir") == -errno.ENOTEMPTY
    assert rename(b"/big.bin", b"/dir") == -errno.EISDIR
    assert rename(b"/empty dir", b"/big.bin") == -errno.ENOTDIR
    assert rename(b"/nope", b"/x") == -errno.ENOENT
    assert rename(b"/big.bin", b"/bad:name") == -errno.EINVAL
    assert moved.ino == disk.inode(b"/moved sub dir").ino  # the live inode followed its entry
    assert disk.inode(b"/moved sub dir/..") == disk.root
    path = buffer(64)
    n = vfs.path_of(root, root, moved, path, usize(64))  # getcwd finds the directory by its inode number
    assert memory.read(path.address, int(n)) == b"/moved sub dir"
    assert disk.root.nlink == 5 and disk.inode(b"/dir").nlink == 2
    assert disk.names(b"/") == {b"UPPER.TXT", b"MIXED.TXT", b"empty", b"big.bin", b"dir", b"empty dir",
                                b"moved sub dir"}
    disk.save()
    fsck(image)
    assert mget(image, "/UPPER.TXT") == files["/hello.txt"]
    assert mget(image, "/dir/Renamed with another long name.txt") == files["/Long File Name.txt"]
    assert mget(image, "/MIXED.TXT") == files["/MiXeD.Txt"]
    deep = "/moved sub dir/deep file with a rather long name, more than 26 characters.dat"
    assert mget(image, deep) == files["/dir/sub dir/deep file with a rather long name, more than 26 characters.dat"]
    assert "/MIXED.TXT" in mlist(image)


def test_truncate_and_sparse_writes(kernel, image):
    # Leave garbage in free clusters: a gap in a file must read as zeros, not as old data.
    mput(image, "/garbage", b"\xff" * 200_000)
    mtools("mdel", "-i", str(image), "::/garbage")
    mput(image, "/f", data(10_000, 7))
    disk = Fat(image)
    free = disk.free()
    assert disk.truncate(b"/f", 1000) == 0
    assert disk.free() == free + 20 - 2
    assert disk.truncate(b"/f", 50_000) == 0  # grows with zeros
    assert disk.read(b"/f") == data(10_000, 7)[:1000] + bytes(49_000)
    assert disk.truncate(b"/f", 0) == 0
    assert disk.inode(b"/f").blocks == 0
    disk.write(b"/sparse", b"end", offset=100_000)
    disk.write(b"/sparse", b"mid", offset=5000, flags=file.O_WRONLY)
    expected = bytearray(100_003)
    expected[100_000:] = b"end"
    expected[5000:5003] = b"mid"
    assert disk.read(b"/sparse") == bytes(expected)
    assert vfs.mkdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/d"), u32(0o755)) == 0
    assert disk.truncate(b"/d", 0) == -errno.EISDIR
    disk.save()
    fsck(image)
    assert mget(image, "/sparse") == bytes(expected) and mget(image, "/f") == b""


def test_open_file_survives_unlink_until_released(kernel, image):
    mput(image, "/f", data(20_000, 8))
    disk = Fat(image)
    free = disk.free()
    node = disk.inode(b"/f")
    assert vfs.unlink(vfs.as_kernel(), disk.root, disk.root, cstr(b"/f")) == 0
    assert disk.lookup(b"/f")[0] == -errno.ENOENT and node.nlink == 0
    buf = buffer(20_000)
    assert node.ops.read(node, buf, usize(20_000), u64(0)) == 20_000
    assert memory.read(buf.address, 20_000) == data(20_000, 8)
    assert disk.free() == free
    vfs.put(node)
    assert disk.free() == free + 40
    disk.save()
    fsck(image)


def test_one_inode_per_file(kernel, image):
    disk = Fat(image)
    disk.write(b"/shared", b"one")
    a = disk.inode(b"/shared")
    b = disk.inode(b"/SHARED")
    assert a == b and a.refcount == 2
    src = buffer(5)
    memory.write(src.address, b"three")
    assert a.ops.write(a, src, usize(5), u64(3)) == 5
    assert b.size == 8 and disk.read(b"/shared") == b"onethree"


def test_setattr_and_timestamps(kernel, image):
    when = 1715000000  # 2024-05-06 12:53:20 UTC
    vfs.init(lambda: u64(when * 10**9))
    disk = Fat(image)
    disk.write(b"/stamped", b"x")
    node = disk.inode(b"/stamped")
    assert node.mtime_ns == when * 10**9
    node.mode = u32(vfs.S_IFREG | 0o400)
    node.mtime_ns = u64(1262304000 * 10**9)  # 2010-01-01 00:00:00
    node.uid = u32(1000)
    assert node.ops.setattr(node) == 0
    assert node.mode == vfs.S_IFREG | 0o555 and node.uid == 0
    disk.save()
    fsck(image)
    assert " R " in mtools("mattrib", "-i", str(image), "::/stamped").stdout.decode()
    assert "2010-01-01" in mtools("mdir", "-i", str(image), "::/stamped").stdout.decode()
    disk.unmount()
    again = Fat(image)
    assert again.inode(b"/stamped").mtime_ns == 1262304000 * 10**9
    node = again.inode(b"/stamped")
    node.mode = u32(vfs.S_IFREG | 0o644)
    assert node.ops.setattr(node) == 0
    again.save()
    assert " R " not in mtools("mattrib", "-i", str(image), "::/stamped").stdout.decode()


def test_create_errors(kernel, image):
    disk = Fat(image)
    disk.write(b"/a", b"")
    assert disk.open(b"/A", file.O_WRONLY | file.O_CREAT | file.O_EXCL)[0] == -errno.EEXIST
    for bad in (b"/x:y", b"/trailing.", b"/trailing ", b"/q?", b"/bad\xff\xfeutf8"):
        assert disk.open(bad, file.O_WRONLY | file.O_CREAT)[0] == -errno.EINVAL, bad
    assert disk.open(b"/" + b"n" * 256, file.O_WRONLY | file.O_CREAT)[0] == -errno.ENAMETOOLONG
    assert vfs.mkdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/a"), u32(0o755)) == -errno.EEXIST
    assert disk.root.ops.write(disk.root, buffer(1), usize(1), u64(0)) == -errno.EISDIR
    assert disk.root.ops.truncate(disk.root, u64(0)) == -errno.EISDIR


def test_statfs_and_enospc(kernel, image):
    disk = Fat(image)
    total_free = disk.free()
    disk.unmount()
    # Fill all but 10 clusters with mtools, then write past the end of the space.
    mput(image, "/filler", bytes((total_free - 10) * 512))
    disk = Fat(image)
    assert disk.free() == 10
    err, f = disk.open(b"/last", file.O_WRONLY | file.O_CREAT)
    src = buffer(8000)
    memory.write(src.address, data(8000, 9))
    assert file.write(f, src, usize(8000)) == 5120  # a short write, as on Linux
    assert file.write(f, src, usize(10)) == -errno.ENOSPC
    file.close(f)
    assert vfs.mkdir(vfs.as_kernel(), disk.root, disk.root, cstr(b"/no room"), u32(0o755)) == -errno.ENOSPC
    assert disk.free() == 0
    disk.save()
    fsck(image)
    assert mget(image, "/last") == data(8000, 9)[:5120]


def test_sync_writes_every_fat_copy_and_fsinfo(kernel, image):
    disk = Fat(image)
    disk.write(b"/f", data(3000, 4))
    before = image.read_bytes()
    node = disk.inode(b"/f")
    assert node.ops.fsync(node) == 0
    img = memory.read(disk.base, disk.size)
    g = Geometry(img)
    assert img[g.fat:g.fat + g.fat_bytes] == img[g.fat + g.fat_bytes:g.fat + 2 * g.fat_bytes]
    assert img[g.fat:g.fat + g.fat_bytes] != before[g.fat:g.fat + g.fat_bytes]
    free, hint = struct.unpack_from("<II", img, 512 + 488)
    assert free == disk.free() and 2 < hint < 129024


def test_unmount_frees_everything(kernel, image):
    populate(image)
    blocks = heap.live_blocks
    disk = Fat(image)
    disk.write(b"/dir/new", data(2000, 6))
    assert disk.read(b"/dir/sub dir/deep file with a rather long name, more than 26 characters.dat")
    assert vfs.rename(vfs.as_kernel(), disk.root, disk.root, cstr(b"/dir/new"), cstr(b"/newer")) == 0
    disk.unmount()
    assert heap.live_blocks == blocks
    fsck(image)
    assert mget(image, "/newer") == data(2000, 6)


# ---------------------------------------------------------------- corrupt and foreign images

def test_rejects_what_is_not_fat32(kernel, tmp_path, image):
    img = bytearray(image.read_bytes())
    zeroed = tmp_path / "zeroed.img"
    zeroed.write_bytes(bytes(512) + img[512:])
    assert Fat(zeroed).err == -errno.EINVAL
    noise = tmp_path / "noise.img"
    noise.write_bytes(data(1 << 20, 3))
    assert Fat(noise).err == -errno.EINVAL
    for bits, kib in (("16", "65536"), ("12", "4096")):
        other = tmp_path / f"fat{bits}.img"
        subprocess.run(["mkfs.fat", "-F", bits, "-C", str(other), kib], check=True, capture_output=True)
        assert Fat(other).err == -errno.EINVAL
    assert Fat(image, sectors=IMAGE_KIB * 2 - 1).err == -errno.EINVAL  # the volume is bigger than the disk
    bad_root = tmp_path / "root.img"
    bad = bytearray(img)
    struct.pack_into("<I", bad, 44, 0x0FFFFFF0)
    bad_root.write_bytes(bytes(bad))
    assert Fat(bad_root).err == -errno.EINVAL


def corrupt(image, change) -> None:
    img = bytearray(image.read_bytes())
    change(img, Geometry(img))
    image.write_bytes(bytes(img))


def test_cluster_chain_loop_is_an_error_not_a_hang(kernel, image):
    mput(image, "/LOOP.BIN", data(5000, 1))  # 10 clusters

    def loop(img, g):
        first = g.first_cluster(img, g.root_entry(img, b"LOOP    BIN"))
        struct.pack_into("<I", img, g.root_entry(img, b"LOOP    BIN") + 28, 50_000)  # claims 98 clusters
        g.set_fat(img, first + 9, first + 3)

    corrupt(image, loop)
    disk = Fat(image)
    err, f = disk.open(b"/LOOP.BIN", file.O_RDWR)
    buf = buffer(50_000)
    total = 0
    while (n := file.read(f, buf, usize(50_000))) > 0:  # what comes before the loop is caught
        total += n
    assert n == -errno.EUCLEAN and total < 50_000
    assert file.pwrite(f, buf, usize(10), u64(60_000)) == -errno.EUCLEAN
    file.close(f)
    assert disk.truncate(b"/LOOP.BIN", 0) == -errno.EUCLEAN  # frees up to the loop, then stops
    assert vfs.unlink(vfs.as_kernel(), disk.root, disk.root, cstr(b"/LOOP.BIN")) == 0


def test_fat_pointing_past_the_end(kernel, image):
    mput(image, "/PAST.BIN", data(3000, 1))

    def past(img, g):
        first = g.first_cluster(img, g.root_entry(img, b"PAST    BIN"))
        g.set_fat(img, first + 2, 0x0FFFFFF0)

    corrupt(image, past)
    disk = Fat(image)
    node = disk.inode(b"/PAST.BIN")
    buf = buffer(3000)
    assert node.ops.read(node, buf, usize(3000), u64(0)) == 1536
    assert node.ops.read(node, buf, usize(3000), u64(1536)) == -errno.EUCLEAN


def test_entry_with_a_cluster_beyond_the_volume(kernel, image):
    mput(image, "/FAR.BIN", b"far away")
    mtools("mmd", "-i", str(image), "::/FARDIR")

    def far(img, g):
        for name in (b"FAR     BIN", b"FARDIR     "):
            entry = g.root_entry(img, name)
            struct.pack_into("<H", img, entry + 20, 0x0F00)  # cluster 0x0F001234
            struct.pack_into("<H", img, entry + 26, 0x1234)

    corrupt(image, far)
    disk = Fat(image)
    node = disk.inode(b"/FAR.BIN")
    assert node.ops.read(node, buffer(8), usize(8), u64(0)) == -errno.EUCLEAN
    assert disk.lookup(b"/FARDIR")[0] == -errno.EUCLEAN
    assert b"FARDIR" in disk.names(b"/")


def test_directory_loop(kernel, image):
    mtools("mmd", "-i", str(image), "::/LOOPDIR")
    for i in range(40):  # 8 clusters of entries
        mput(image, f"/LOOPDIR/file {i:02d} with long name", b"x")

    def loop(img, g):
        first = g.first_cluster(img, g.root_entry(img, b"LOOPDIR    "))
        second = g.fat_entry(img, first)
        third = g.fat_entry(img, second)
        g.set_fat(img, third, first)

    corrupt(image, loop)
    disk = Fat(image)
    assert disk.lookup(b"/LOOPDIR")[0] == -errno.EUCLEAN


def test_bad_fsinfo_is_recounted(kernel, image):
    mput(image, "/f", data(4000, 1))

    def lie(img, g):
        struct.pack_into("<I", img, 512 + 488, 0xFFFFFFF0)

    corrupt(image, lie)
    disk = Fat(image)
    assert disk.free() == 129022 - 1 - 8
    disk.write(b"/g", b"g")
    disk.save()
    fsck(image)


def test_io_errors_surface(kernel, image):
    mput(image, "/f", data(4000, 1))
    disk = Fat(image)
    node = disk.inode(b"/f")
    real_read = disk.dev.read

    data_lba = Geometry(memory.read(disk.base, 512)).data // 512

    def failing(dev, lba, count, buf):
        return -errno.EIO if lba >= data_lba else real_read(dev, lba, count, buf)

    disk.dev.read = failing
    assert node.ops.read(node, buffer(100), usize(100), u64(0)) == -errno.EIO
