"""FAT32 on damaged volumes under CPython: an image made by mkfs.fat and filled by mtools is corrupted by
hypothesis (byte flips in the boot sector, FAT and directory clusters; cluster chains made into loops,
pointed past the volume, cross-linked, cut by a free or bad cluster; sizes larger than their chains)
and then mounted, walked, read and written. Every operation must end in success or a clean -errno:
no Python exception, no endless chain walk (an alarm stops the test), no block I/O outside the device,
and nothing written to the disk by reading it."""
import signal
import struct
import subprocess
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyrius.kernel import errno
from cyrius.kernel.dev import block
from cyrius.kernel.fs import fat32, file, vfs
from cyrius.kernel.mm import heap
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8, u32, u64, usize

from test_fat32 import MTOOLS_ENV, Geometry, buffer, cstr, data
from tooling import needs

pytestmark = needs("mkfs.fat", "mcopy", "mmd")

IMAGE_KIB = 34 * 1024  # just over the 65525 clusters mtools needs to see FAT32 (with 512-byte clusters)
FILES = {"/small.txt": data(300, 1), "/chain.bin": data(6000, 2), "/other.bin": data(2500, 3),
         "/dir/inner.bin": data(1800, 4), "/dir/a long name for a file.txt": data(700, 5),
         "/dir/sub/deep.bin": data(4100, 6)}
KERNEL_ERRORS = {-v for k, v in vars(errno).items() if k.isupper() and isinstance(v, int) and v > 0}
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> bytes:
    """The image, and where its files' chains and directory clusters are."""
    path = tmp_path_factory.mktemp("fatfuzz") / "small.img"
    subprocess.run(["mkfs.fat", "-F", "32", "-s", "1", "-i", "C0FFEE01", "-C", str(path), str(IMAGE_KIB)], check=True,
                   capture_output=True)
    env = MTOOLS_ENV
    subprocess.run(["mmd", "-i", str(path), "::/dir", "::/dir/sub", "::/empty"], check=True, env=env,
                   capture_output=True)
    for name, content in FILES.items():
        src = path.parent / "upload"
        src.write_bytes(content)
        subprocess.run(["mcopy", "-i", str(path), str(src), "::" + name], check=True, env=env, capture_output=True)
    return path.read_bytes()


class Layout:
    """Where the interesting bytes of the pristine image are: every chain (in order), the regions a
    byte flip should hit (boot sector and FSInfo, the used part of the FAT, directory clusters) and
    the directory entries naming files and directories."""

    def __init__(self, img: bytes):
        self.img = img
        self.g = Geometry(img)
        self.clusters = (len(img) - self.g.data) // self.g.cluster
        self.used = [c for c in range(2, self.clusters + 2) if self.g.fat_entry(img, c) != 0]
        successors = {self.g.fat_entry(img, c) for c in self.used}
        self.chains = []
        for first in (c for c in self.used if c not in successors):
            chain = [first]
            while (after := self.g.fat_entry(img, chain[-1])) < 0x0FFFFFF8:
                chain.append(after)
            self.chains.append(chain)
        dirs = [c for ch in self.chains if ch[0] == self.g.root or img[self.g.at(ch[0]):][:11] == b".          "
                for c in ch]
        self.regions = [(0, 1024), (self.g.fat, self.g.fat + 4 * (max(self.used) + 1))]
        self.regions += [(self.g.at(c), self.g.at(c) + self.g.cluster) for c in dirs]
        self.entries = [off for lo, hi in self.regions[2:] for off in range(lo, hi, 32)
                        if img[off] not in (0, 0xE5, 0x2E) and img[off + 11] != 0x0F]


FAT_VALUES = ["loop", "past the end", "cross link", "free", "bad", "reserved", "end early"]


@st.composite
def damage(draw, layout: Layout) -> dict[int, int]:
    """Corruptions as {offset: new byte value}."""
    g, img = layout.g, layout.img
    patch: dict[int, int] = {}

    def put(offset: int, fmt: str, value: int) -> None:
        for i, b in enumerate(struct.pack(fmt, value)):
            patch[offset + i] = b

    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "chain", "size", "first cluster"]))
        if kind == "flip":
            lo, hi = draw(st.sampled_from(layout.regions))
            at = draw(st.integers(lo, hi - 1))
            patch[at] = patch.get(at, img[at]) ^ (1 << draw(st.integers(0, 7)))
        elif kind == "chain":
            chain = draw(st.sampled_from(layout.chains))
            k = draw(st.integers(0, len(chain) - 1))
            how = draw(st.sampled_from(FAT_VALUES))
            value = {"loop": chain[draw(st.integers(0, k))], "cross link": draw(st.sampled_from(layout.used)),
                     "past the end": layout.clusters + 2 + draw(st.integers(0, 9)), "free": 0, "bad": 0x0FFFFFF7,
                     "reserved": 1, "end early": 0x0FFFFFF8}[how]
            for copy in range(g.fats):
                put(g.fat + copy * g.fat_bytes + 4 * chain[k], "<I", value)
        elif kind == "size":
            put(draw(st.sampled_from(layout.entries)) + 28, "<I",
                draw(st.sampled_from([0, 1, 513, 100_000, 0x7FFFFFFF, 0xFFFFFFFF])))
        else:
            off = draw(st.sampled_from(layout.entries))
            value = draw(st.sampled_from([0, 1, layout.clusters + 1, layout.clusters + 2, 0x0FFFFFFF, *layout.used]))
            put(off + 20, "<H", value >> 16)
            put(off + 26, "<H", value & 0xFFFF)
    return patch


@contextmanager
def deadline(seconds: int):
    """An endless loop in the kernel becomes a test failure instead of a hung suite."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: a chain walk that does not end?")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


class Disk:
    """The pristine image behind a RAM disk whose reads and writes are checked to stay on the device.
    Each example patches it, and restore() puts back what the patch and the kernel's writes changed."""

    def __init__(self, img: bytes):
        self.pristine = img
        self.sectors = len(img) // 512
        self.base = memory.alloc(len(img))
        memory.write(self.base, img)
        self.dev = block.BlockDevice()
        block.init_ramdisk(addr(self.dev), Ptr[u8](self.base), u64(self.sectors), b"fuzz")
        self.writes = []
        self.patched = []
        real_read, real_write = self.dev.read, self.dev.write

        def read(dev, lba, count, buf):
            assert 0 <= int(lba) and int(lba) + int(count) <= self.sectors, (int(lba), int(count))
            return real_read(dev, lba, count, buf)

        def write(dev, lba, count, buf):
            assert 0 <= int(lba) and int(lba) + int(count) <= self.sectors, (int(lba), int(count))
            self.writes.append((int(lba), int(count)))
            return real_write(dev, lba, count, buf)

        self.dev.read = read
        self.dev.write = write

    def apply(self, patch: dict[int, int]) -> None:
        for offset, value in patch.items():
            memory.write(self.base + offset, bytes([value]))
        self.patched = list(patch)

    def restore(self) -> None:
        spans = [(o, 1) for o in self.patched] + [(lba * 512, count * 512) for lba, count in self.writes]
        for offset, n in spans:
            memory.write(self.base + offset, self.pristine[offset:offset + n])
        self.writes, self.patched = [], []


def clean(result) -> int:
    """A kernel result: a count or 0, or one of the kernel's -errno values."""
    r = int(result)
    assert r >= 0 or r in KERNEL_ERRORS, r
    return r


def walk(root, path: bytes, depth: int, seen: list) -> None:
    """Read every directory and every file below path (entries that fail are fine, if cleanly)."""
    slot = Array[Ptr[file.File], 1]()
    if clean(file.open(vfs.as_kernel(),
                       root, root, cstr(path), u32(file.O_RDONLY | file.O_DIRECTORY), u32(0), addr(slot))) < 0:
        return
    f = slot[0]
    entry = vfs.DirEntry()
    names = []
    while len(names) < 200 and clean(file.next_entry(f, addr(entry))) > 0:
        name = memory.read(addr(entry.name).address, int(entry.name_len))
        if name not in (b".", b".."):
            names.append((name, int(entry.type)))
    file.close(f)
    for name, kind in names:
        child = path.rstrip(b"/") + b"/" + name
        seen.append(child)
        if kind == vfs.DT_DIR and depth < 4:
            walk(root, child, depth + 1, seen)
        elif kind != vfs.DT_DIR:
            read_all(root, child)


def read_all(root, path: bytes) -> bytes | int:
    slot = Array[Ptr[file.File], 1]()
    err = clean(file.open(vfs.as_kernel(), root, root, cstr(path), u32(file.O_RDONLY), u32(0), addr(slot)))
    if err < 0:
        return err
    buf = buffer(4096)
    out = bytearray()
    while len(out) < 200_000:
        n = clean(file.read(slot[0], buf, usize(4096)))
        if n <= 0:
            break
        out += memory.read(buf.address, n)
    file.close(slot[0])
    return bytes(out) if n >= 0 else n


@pytest.fixture(scope="module")
def layout(pristine) -> Layout:
    return Layout(pristine)


@pytest.fixture
def disk(machine, pristine) -> Disk:
    """One disk for all of a test's examples (simulated memory is never given back)."""
    vfs.init(NULL)
    return Disk(pristine)


def mount(disk: Disk):
    slot = Array[Ptr[vfs.Inode], 1]()
    err = clean(fat32.mount(addr(disk.dev), addr(slot)))
    return err, (slot[0] if err == 0 else None)


def test_the_pristine_image_reads_back(disk, layout):
    """The baseline the fuzz starts from: every file as mtools wrote it, and its chains found."""
    err, root = mount(disk)
    assert err == 0
    for name, content in FILES.items():
        assert read_all(root, name.encode()) == content
    assert len(layout.chains) >= len(FILES) and max(len(c) for c in layout.chains) == 12
    vfs.put(root)


@FUZZ
@given(st.data())
def test_damaged_volumes_fail_cleanly(disk, layout, data):
    disk.restore()
    disk.apply(data.draw(damage(layout), label="damage"))
    blocks = int(heap.live_blocks)
    with deadline(30):
        err, root = mount(disk)
        if err < 0:
            assert err in (-errno.EINVAL, -errno.EUCLEAN, -errno.EIO), err
            assert disk.writes == [] and int(heap.live_blocks) == blocks
            return
        seen = []
        walk(root, b"/", 0, seen)
        assert disk.writes == []  # reading a volume never writes it
        # Writing: a new file gets its data back or a clean error; other files may be cross-linked
        # with it on a damaged volume, but every write stays on the device.
        slot = Array[Ptr[file.File], 1]()
        content = data.draw(st.sampled_from([b"", b"new", bytes(range(256)) * 9]), label="written")
        flags = u32(file.O_RDWR | file.O_CREAT | file.O_TRUNC)
        if clean(file.open(vfs.as_kernel(), root, root, cstr(b"/fresh.bin"), flags, u32(0o644), addr(slot))) == 0:
            src = buffer(len(content))
            memory.write(src.address, content)
            wrote = clean(file.write(slot[0], src, usize(len(content))))
            file.close(slot[0])
            if wrote == len(content):
                assert read_all(root, b"/fresh.bin") == content
        for path in seen[:3]:
            node_slot = Array[Ptr[vfs.Inode], 1]()
            if clean(vfs.lookup_path(vfs.as_kernel(), root, root, cstr(path), False, addr(node_slot))) == 0:
                node = node_slot[0]
                if not vfs.is_dir(node):
                    clean(node.ops.write(node, buffer(10), usize(10), u64(5000)))
                    clean(node.ops.truncate(node, u64(100)))
                vfs.put(node)
            clean(vfs.unlink(vfs.as_kernel(), root, root, cstr(path)))
            clean(vfs.rmdir(vfs.as_kernel(), root, root, cstr(path)))
        clean(fat32.sync(root))
        vfs.put(root)
    assert int(heap.live_blocks) == blocks  # unmounting frees every buffer and node

