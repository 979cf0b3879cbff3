"""Differential tests of FAT32 (cyrius.kernel.fs.fat32_dir and fat32_disk, compiled from the kernel tree):
UTF-8/UTF-16 names, name validation and ASCII case folding, 8.3 names (fits_short, short_basis,
numeric tails), LFN entries and their checksum, short entries, DOS timestamps, BPB validation and
volume geometry; and, over a FAT32 image in memory behind a RAM BlockDevice, the FAT and cluster
chains (next_cluster, seek with its loop check, count_free, alloc/free/truncate/append), the metadata
cache and its write-back, and directories (scan, find_room, write_set, remove_set, init_dir).

Inputs: boot sectors mkfs.fat and mformat write with various geometries, the directory entries mcopy
and mmd write for long, Unicode, mixed-case and numbered names, mutated copies of both, and generated
names, entries, directories and FAT chains. CPython and the compiled C must return the same values
and leave the same bytes in every buffer: the disk image, the cache, the Volume (its pointers compared
as "buffer+offset") and every chain, slot and name.

fat32.py itself is not covered: every function there works on VFS inodes (and mount allocates).
Nor are the functions of fat32_dir and fat32_disk that allocate from the kernel heap (open_volume,
close_volume, add_name: the library's heap has no memory on the host); the test replays open_volume
without its allocations, and add_name as the calls it makes (fits_short, short_basis, find_room,
first_free_tail, put_tail, write_set). See test_diff_tar.py for why these modules need kernel_twin.
"""
import ctypes
import datetime
import os
import struct
import subprocess
from types import SimpleNamespace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cyrius.kernel.dev import block
from cyrius.kernel.fs import fat32_dir as fd
from cyrius.kernel.fs import fat32_disk as fk
from cyrius.lang import sizeof
from cyrius.lang.memtypes import offsetof
from harness import Buf, Twin
from test_diff_tar import Held, Null, Worlds, cases, kernel_twin
from tooling import require_tools

DIR = "cyrius.kernel.fs.fat32_dir"
DISK = "cyrius.kernel.fs.fat32_disk"
BLOCKDEV = "cyrius.kernel.dev.block"
TOOLS = ("mkfs.fat", "mformat", "mcopy", "mmd", "mdel")
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
NAME = sizeof(fd.Name)
ENTRY = 32
SMALL_KIB = 2048  # the image behind the RAM disk: ~4000 clusters of one 512-byte sector
NO_SECTOR = b"\xff" * 8


@pytest.fixture(scope="module")
def fat(tmp_path_factory):
    twin = kernel_twin(DIR, tmp_path_factory.mktemp("kernel_fat32"))
    return SimpleNamespace(dir=twin, disk=Twin(twin.lib, DISK), block=Twin(twin.lib, BLOCKDEV), lib=twin.lib)


# ---------------------------------------------------------------- real structures from dosfstools and mtools

def run(*args: str) -> None:
    result = subprocess.run(list(args), env=MTOOLS_ENV, capture_output=True)
    assert result.returncode == 0, result


REAL_NAMES = ["A long file name with spaces.txt", "README.TXT", "lower.txt", "MiXeD.Txt", "ünïcödé naïve.txt",
              "name.with.many.dots", ".hidden", "trailing spaces  x", "exactly13char", "x" * 200,
              "日本語のファイル名.txt", "UPPER.low", "lower.UPP", "a+b=c;d,e[f].txt", "😀 emoji.txt",
              *[f"long name {i}.txt" for i in range(1, 8)]]
MKFS_VARIANTS = [[], ["-s", "1"], ["-s", "8"], ["-s", "64"], ["-s", "128"], ["-S", "1024"], ["-S", "2048", "-s", "2"],
                 ["-S", "4096", "-s", "1"], ["-f", "1"], ["-f", "4"], ["-R", "8"], ["-a"], ["-h", "63"],
                 ["-n", "LABEL", "-i", "12345678"], ["-b", "0"], ["-r", "512"]]


class Geometry:
    def __init__(self, img: bytes):
        self.sector, self.per_cluster, self.reserved, self.fats = struct.unpack_from("<HBHB", img, 11)
        self.total, self.fat_sectors = struct.unpack_from("<II", img, 32)
        self.root, = struct.unpack_from("<I", img, 44)
        self.fat = self.reserved * self.sector
        self.cluster = self.per_cluster * self.sector
        self.data = self.fat + self.fats * self.fat_sectors * self.sector
        self.clusters = (self.total - self.reserved - self.fats * self.fat_sectors) // self.per_cluster

    def at(self, cluster: int) -> int:
        return self.data + (cluster - 2) * self.cluster

    def fat_entry(self, img: bytes, cluster: int) -> int:
        return struct.unpack_from("<I", img, self.fat + 4 * cluster)[0]

    def set_fat(self, img: bytearray, cluster: int, value: int) -> None:
        for k in range(self.fats):
            struct.pack_into("<I", img, self.fat + k * self.fat_sectors * self.sector + 4 * cluster, value)

    def chain_bytes(self, img: bytes, first: int) -> bytes:
        out, c = b"", first
        while 2 <= c < 0x0FFFFFF8 and len(out) < 1 << 20:
            out += img[self.at(c):self.at(c) + self.cluster]
            c = self.fat_entry(img, c) & 0x0FFFFFFF
        return out


def entries_of(directory: bytes) -> list:
    out = []
    for i in range(0, len(directory), ENTRY):
        if directory[i] == 0:
            break
        out.append(directory[i:i + ENTRY])
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Boot sectors of many geometries (with the sector size and count of their device), the entries
    mcopy and mmd wrote, grouped into name sets, and a small blank volume for the RAM disk."""
    require_tools(*TOOLS)
    tmp = tmp_path_factory.mktemp("fat_tools")
    boots = []
    for i, options in enumerate(MKFS_VARIANTS):
        sector = int(options[options.index("-S") + 1]) if "-S" in options else 512
        for kib in (16384, (1 << 16) * sector // 1024 + 1024):  # with a 16-bit sector count, and a 32-bit one
            path = tmp / f"v{i}.img"
            run("mkfs.fat", "-F", "32", *options, "-C", str(path), str(kib))
            with open(path, "rb") as f:
                boots.append((f.read(512), sector, kib * 1024 // sector))
            path.unlink()
    path = tmp / "mformat.img"
    with open(path, "wb") as f:
        f.truncate(34 << 20)
    run("mformat", "-F", "-i", str(path), "::")
    with open(path, "rb") as f:
        boots.append((f.read(512), 512, (34 << 20) // 512))

    big = tmp / "big.img"
    run("mkfs.fat", "-F", "32", "-i", "C0FFEE00", "-C", str(big), "65536")
    payload = tmp / "payload"
    payload.write_bytes(b"hello\n")
    for name in REAL_NAMES:
        run("mcopy", "-i", str(big), str(payload), "::" + name)
    run("mmd", "-i", str(big), "::Sub Directory", "::dir2")
    run("mcopy", "-i", str(big), str(payload), "::Sub Directory/inner file.txt")
    run("mdel", "-i", str(big), "::long name 3.txt")
    img = big.read_bytes()
    geo = Geometry(img)
    root = entries_of(geo.chain_bytes(img, geo.root))
    sub_first = next(struct.unpack_from("<H", e, 20)[0] << 16 | struct.unpack_from("<H", e, 26)[0]
                     for e in root if e[11] & 0x10 and e[0] != 0xE5 and e[11] != 0x0F)
    sub = entries_of(geo.chain_bytes(img, sub_first))
    groups, current = [], b""
    for e in root + sub:
        current += e
        if e[11] != 0x0F:
            groups.append(current)
            current = b""

    small = tmp / "small.img"
    run("mkfs.fat", "-F", "32", "-S", "512", "-s", "1", "-i", "C0FFEE01", "-C", str(small), str(SMALL_KIB))
    small = bytearray(small.read_bytes())
    # mkfs.fat stores the sector count of a volume this small in the 16-bit field, which the FAT
    # specification wants 0 on FAT32 and the kernel refuses: move it to the 32-bit field.
    total16 = struct.unpack_from("<H", small, 19)[0]
    struct.pack_into("<H", small, 19, 0)
    struct.pack_into("<I", small, 32, total16)
    return SimpleNamespace(boots=boots, entries=root + sub, groups=groups, small=bytes(small))


# ---------------------------------------------------------------- names

def name_bytes(units: list) -> bytes:
    assert len(units) <= fd.NAME_CAP
    return struct.pack(f"<I{len(units)}H", len(units), *units)


def utf16(text: str) -> list:
    raw = text.encode("utf-16-le", "surrogatepass")
    return list(struct.unpack(f"<{len(raw) // 2}H", raw))


texts = st.one_of(st.text(max_size=20), st.text("abcXYZ .~_-+,;=[]0123456789", max_size=14),
                  st.sampled_from(REAL_NAMES + ["a", "A", "a.b", "ab.cde", "abcdefgh.txt", "abcdefghi.txt",
                                                "ABC.txt", "Abc.TXT", "abc..txt", ".", "..", "...", "a.", "a ", " a",
                                                "x" * 255, "y" * 256, "😀" * 128, "CON", "a\\b", "a:b", "\x7f"]))
units_lists = st.one_of(texts.map(utf16).map(lambda u: u[:fd.NAME_UNITS]),
                        st.lists(st.integers(0, 0xFFFF), max_size=fd.NAME_CAP),
                        st.lists(st.sampled_from([0x41, 0x61, 0x2E, 0x20, 0x7E, 0xD800, 0xDC00, 0xDBFF, 0xDFFF,
                                                  0xE9, 0xC9, 0, 0x1F, 0x7C, 0xFFFF]), max_size=20))
utf8 = st.one_of(texts.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=24),
                 st.lists(st.sampled_from([b"a", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xc0\xaf",
                                           b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xc3",
                                           b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\xff"]), max_size=12).map(b"".join),
                 st.integers(250, 260).map(lambda n: b"n" * n), st.integers(126, 130).map(lambda n: "é".encode() * n))


def name_checks(fat, name: bytes, other: bytes) -> None:
    """Everything that reads a Name."""
    d = fat.dir
    d.check("valid_long_name", Buf(name))
    d.check("fits_short", Buf(name), Buf(b"\xaa" * ENTRY))
    d.check("short_basis", Buf(name), Buf(b"\xaa" * 11))
    d.check("same_name", Buf(name), Buf(other))
    d.check("exact_name", Buf(name), Buf(other))
    length = d.check("to_utf8", Buf(name), Buf(b"", 1100), 1100)
    for cap in {0, max(length - 1, 0), length}:
        d.check("to_utf8", Buf(name), Buf(b"\xaa" * (cap + 1)), cap)


def swapped(units: list) -> list:
    return [u ^ 0x20 if 0x41 <= (u | 0x20) - 0x20 <= 0x5A or 0x61 <= u <= 0x7A else u for u in units]


@cases(250)
@given(utf8, st.booleans())
@example(b"\xf0\x9f\x98\x80" * 127 + b"a", False)
@example("é".encode() * 256, True)
def test_utf8_names(fat, src, fold):
    out = Buf(b"\xaa" * NAME)
    if fat.dir.check("from_utf8", Buf(src), len(src), out) == 0:
        name = out.py_bytes()
        length = struct.unpack_from("<I", name)[0]
        units = list(struct.unpack_from(f"<{length}H", name, 4))
        name_checks(fat, name_bytes(units), name_bytes(swapped(units) if fold else units[:-1]))


@cases(250)
@given(units_lists, st.sampled_from(["same", "swapped", "other"]), units_lists)
def test_unit_names(fat, units, relation, other):
    pair = units if relation == "same" else swapped(units) if relation == "swapped" else other
    name_checks(fat, name_bytes(units), name_bytes(pair))


def test_characters(fat):
    d = fat.dir
    for u in [*range(0x180), 0xC9, 0xE9, 0xFF41, 0xD800, 0xFFFF]:
        d.check("ascii_upper", u)
        d.check("short_char", u)
        d.check("contains", Buf(b'"*/:<>?\\|\0'), u)
    for value in [0, 1, 9, 10, 99, 100, 65535, 65536, 999999, 1000000, 0xFFFFFFFF]:
        d.check("decimal_digits", value)


# ---------------------------------------------------------------- short entries, tails, LFN entries

def short_checksum(name11: bytes) -> int:
    s = 0
    for c in name11:
        s = (((s & 1) << 7) + (s >> 1) + c) & 0xFF
    return s


def lfn_set(units: list, short: bytes, damage: str = "none") -> bytes:
    """The LFN entries spelling `units`, then the 32-byte short entry `short`; damaged on request."""
    count = max(1, -(-len(units) // fd.LFN_CHARS))
    padded = units + [0] + [0xFFFF] * (count * fd.LFN_CHARS)
    total = short_checksum(short[:11])
    out = []
    for k in range(count, 0, -1):
        part = padded[(k - 1) * fd.LFN_CHARS:k * fd.LFN_CHARS]
        raw = bytearray(ENTRY)
        raw[0] = k | (fd.LFN_LAST if k == count else 0)
        raw[11] = fd.ATTR_LONG_NAME
        raw[13] = total
        raw[1:11] = struct.pack("<5H", *part[:5])
        raw[14:26] = struct.pack("<6H", *part[5:11])
        raw[28:32] = struct.pack("<2H", *part[11:])
        out.append(raw)
    if damage == "checksum":
        out[-1][13] ^= 1
    elif damage == "order" and len(out) > 1:
        out[0], out[1] = out[1], out[0]
    elif damage == "drop" and len(out) > 1:
        del out[len(out) // 2]
    elif damage == "not last":
        out[0][0] &= 0x3F
    elif damage == "order 0":
        out[0][0] = fd.LFN_LAST
    return b"".join(out) + short


short_chars = st.sampled_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_~ $!-")
names11 = st.one_of(st.lists(short_chars, min_size=11, max_size=11).map(bytes),
                    st.builds(lambda base, ext: base[:8].ljust(8) + ext.ljust(3),
                              st.sampled_from([b"LONGNA~1", b"LONGNA~12", b"LONGN~99", b"L~1", b"~1", b"LONGNAME",
                                               b"LONGNA~0", b"LONGNA~", b"A_B_C_~1", b"\xe5ABC", b"\x05ABC", b".",
                                               b"..", b"X~65535", b"X~65536", b"LO~12345"]),
                              st.sampled_from([b"TXT", b"", b"T", b"DOT"])),
                    st.binary(min_size=11, max_size=11))
raw_entries = st.one_of(
    st.binary(min_size=ENTRY, max_size=ENTRY),
    st.builds(lambda n, rest: n + rest, names11, st.binary(min_size=21, max_size=21)),
    st.builds(lambda n, attr, case, rest: n + bytes([attr, case]) + rest, names11,
              st.sampled_from([0x00, 0x01, 0x08, 0x0F, 0x10, 0x20, 0x3F, 0x28]),
              st.sampled_from([0, fd.LOWER_BASE, fd.LOWER_EXT, fd.LOWER_BASE | fd.LOWER_EXT, 0xFF]),
              st.binary(min_size=19, max_size=19)))
seconds = st.one_of(st.integers(0, (1 << 64) - 1), st.integers(315_532_800 - 5, 4_354_819_200 + 5),
                    st.sampled_from([0, 315_532_800, 315_532_799, 4_354_819_199, 4_354_819_198, 4_354_819_200,
                                     951_782_400, 1_700_000_000]))


def entry_checks(fat, e: bytes, cluster: int, when: int) -> None:
    d = fat.dir
    d.check("short_name", Buf(e), Buf(b"\xaa" * NAME))
    d.check("is_short_name", Buf(e))
    d.check("is_dir_entry", Buf(e))
    d.check("entry_cluster", Buf(e))
    d.check("set_entry_cluster", Buf(e), cluster)
    d.check("checksum", Buf(e))
    d.check("base_length", Buf(e))
    for date_at, time_at in ((16, 14), (24, 22), (18, 22)):
        d.check("unix_seconds", *struct.unpack_from("<H", e, date_at), *struct.unpack_from("<H", e, time_at))
    d.check("stamp", Buf(e), when)
    d.check("new_entry", Buf(e), e[11], cluster, when)


def test_real_entries(fat, real):
    for e in real.entries:
        entry_checks(fat, e, 0x0ABCDEF1, 1_700_000_000)


@cases(200)
@given(raw_entries, st.integers(0, 0xFFFFFFFF), seconds)
def test_short_entries(fat, e, cluster, when):
    entry_checks(fat, e, cluster, when)


@cases(200)
@given(names11, names11, st.integers(1, fd.MAX_TAIL), st.integers(1, 7))
@example(b"LONGNA~1TXT", b"LONGNAMETXT", 1, 1)
@example(b"LO~12345TXT", b"LONGNAMETXT", 12345, 5)
@example(b"L~65535    ", b"L          ", 65535, 5)
def test_numeric_tails(fat, name11, basis, value, digits):
    d = fat.dir
    d.check("tail_of", Buf(name11), Buf(basis))
    d.check("tail_prefix", Buf(basis), digits)
    tailed = Buf(basis)
    d.check("put_tail", tailed, value)
    d.check("tail_of", Buf(tailed.py_bytes()), Buf(basis))


@cases(60)
@given(st.sets(st.integers(0, fd.MAX_TAIL), max_size=40), st.integers(0, 200))
@example(set(), fd.MAX_TAIL)  # (each bit a step in host mode: the full bitmaps are examples only)
@example(set(), fd.MAX_TAIL + 1)
@example({4097}, 4096)
def test_first_free_tail(fat, taken, full_below):
    used = bytearray(8192)
    for n in [*taken, *range(full_below)]:
        used[n >> 3] |= 1 << (n & 7)
    fat.dir.check("first_free_tail", Buf(bytes(used)))


@pytest.fixture(scope="module")
def slot_world(fat) -> Worlds:
    worlds = Worlds()
    worlds.add("slot", sizeof(fd.Slot))
    return worlds


def take_all(fat, worlds: Worlds, entries: list) -> None:
    """lfn_take over a run of entries, as scan feeds them (the slot's state carries over)."""
    worlds.held["slot"][0].load(b"")
    for i, raw in enumerate(entries):
        if raw[11] == fd.ATTR_LONG_NAME:
            worlds.check(fat.dir, "lfn_take", worlds.held["slot"][0], Buf(raw), i)
        part = Buf(b"\xaa" * 26)
        fat.dir.check("copy_lfn", part, Buf(raw), False)
        fat.dir.check("copy_lfn", Buf(part.py_bytes()), Buf(raw), True)


def test_real_lfn_entries(fat, real, slot_world):
    for group in real.groups:
        take_all(fat, slot_world, [group[i:i + ENTRY] for i in range(0, len(group), ENTRY)])


damages = st.sampled_from(["none", "none", "checksum", "order", "drop", "not last", "order 0"])


@cases(150)
@given(st.lists(st.tuples(units_lists, names11, damages) | raw_entries.map(lambda e: (None, e, None)), max_size=4))
def test_lfn_sets(fat, slot_world, sets):
    entries = []
    for units, short, damage in sets:
        data = short if units is None else lfn_set(units, short + bytes([0x20]) + bytes(20), damage)
        entries += [data[i:i + ENTRY] for i in range(0, len(data), ENTRY)]
    take_all(fat, slot_world, entries)


# ---------------------------------------------------------------- timestamps

@cases(200)
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), seconds)
@example(0x0021, 0, 315_532_800)
@example(0xFF9F, 0xBF7D, 4_354_819_198)
def test_timestamps(fat, date, time, when):
    d = fat.dir
    d.check("unix_seconds", date, time)
    packed = d.check("dos_date_time", when)
    d.check("unix_seconds", packed >> 16, packed & 0xFFFF)
    if 315_532_800 <= when < 4_354_819_200:  # 1980 .. 2107: the DOS fields are the UTC date and time
        t = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
        assert packed == ((t.year - 1980) << 25 | t.month << 21 | t.day << 16
                          | t.hour << 11 | t.minute << 5 | t.second // 2)


@cases(120)
@given(st.integers(1970, 2300), st.integers(1, 12), st.integers(1, 31))
@example(1970, 1, 1)
@example(2000, 2, 29)
@example(2100, 3, 1)
def test_days_from_civil(fat, year, month, day):
    days = fat.dir.check("days_from_civil", year, month, day)
    if day <= 28:
        assert days == (datetime.date(year, month, day) - datetime.date(1970, 1, 1)).days


# ---------------------------------------------------------------- the BPB and volume geometry

@pytest.fixture(scope="module")
def bpb_world() -> Worlds:
    worlds = Worlds()
    worlds.add("vol", sizeof(fk.Volume), [offsetof(fk.Volume, f) for f in VOLUME_POINTERS])
    worlds.add("dev", sizeof(block.BlockDevice), [offsetof(block.BlockDevice, f) for f in DEVICE_POINTERS])
    return worlds


VOLUME_POINTERS = ["dev", "line_lba", "line_dirty", "line_data", "bounce", "zeros"]
DEVICE_POINTERS = ["read", "write", "flush", "private", "name"]
BPB_FIELDS = [(0, 1), (11, 2), (13, 1), (14, 2), (16, 1), (17, 2), (19, 2), (21, 1), (22, 2), (32, 4), (36, 4),
              (40, 2), (42, 2), (44, 4), (48, 2), (510, 1), (511, 1)]


def device(sector_size: int, sectors: int) -> bytes:
    dev = bytearray(sizeof(block.BlockDevice))
    struct.pack_into("<I", dev, offsetof(block.BlockDevice, "sector_size"), sector_size)
    struct.pack_into("<Q", dev, offsetof(block.BlockDevice, "sector_count"), sectors)
    return bytes(dev)


def geometry_checks(fat, worlds: Worlds, vol: Held, clusters: list, sizes: list) -> None:
    for c in clusters:
        worlds.check(fat.disk, "valid_cluster", vol, c)
        worlds.check(fat.disk, "cluster_lba", vol, c)
        worlds.check(fat.disk, "cluster_byte", vol, c)
    for size in sizes:
        worlds.check(fat.disk, "clusters_for", vol, size)


def parse(fat, worlds: Worlds, boot: bytes, sector_size: int, sectors: int) -> int:
    vol, dev = worlds.held["vol"][0], worlds.held["dev"][0]
    vol.load(b"")
    dev.load(device(sector_size, sectors))
    return worlds.check(fat.disk, "parse_bpb", vol, Buf(boot), dev)


def test_real_boot_sectors(fat, real, bpb_world):
    for boot, sector_size, sectors in real.boots:
        result = parse(fat, bpb_world, boot, sector_size, sectors)
        total16, = struct.unpack_from("<H", boot, 19)
        total32, = struct.unpack_from("<I", boot, 32)
        assert result == 0  # small volumes carry their sector count in the 16-bit field
        geometry_checks(fat, bpb_world, bpb_world.held["vol"][0], [0, 1, 2, 3, 1000, 0xFFFFFFFF],
                        [0, 1, 512, 1 << 32, (1 << 64) - 1])
        assert parse(fat, bpb_world, boot, sector_size, (total16 or total32) - 1) < 0


field_values = st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from([0, 1, 2, 0x80, 0xFF, 0xEB, 0xE9, 0x55, 0xAA,
                                                                      0xF0, 0xF8, 512, 1024, 4096, 8192, 128, 256,
                                                                      0x0FFFFFF5, 0xFFFF]))


@cases(200)
@given(st.data())
def test_boot_sectors(fat, real, bpb_world, data):
    boot, sector_size, sectors = data.draw(st.sampled_from(real.boots))
    boot = bytearray(boot)
    for _ in range(data.draw(st.integers(1, 3))):
        at, width = data.draw(st.sampled_from(BPB_FIELDS))
        boot[at:at + width] = (data.draw(field_values) % (1 << 8 * width)).to_bytes(width, "little")
    sector_size = data.draw(st.sampled_from([sector_size, sector_size, 512, 4096, 256, 8192]))
    sectors = data.draw(st.sampled_from([sectors, sectors, 0, 1 << 40]) | st.integers(0, 1 << 20))
    if parse(fat, bpb_world, bytes(boot), sector_size, sectors) == 0:
        geometry_checks(fat, bpb_world, bpb_world.held["vol"][0], [data.draw(st.integers(0, 0xFFFFFFFF))],
                        [data.draw(st.integers(0, (1 << 64) - 1))])


@cases(100)
@given(st.binary(min_size=sizeof(fk.Volume), max_size=sizeof(fk.Volume)), st.integers(0, 0xFFFFFFFF),
       st.integers(0, (1 << 64) - 1), st.integers(0, 0xFFFFFFFF))
def test_geometry_and_bytes(fat, volume, cluster, size, value):
    k = fat.disk
    k.check("valid_cluster", Buf(volume), cluster)
    k.check("cluster_lba", Buf(volume), cluster)
    k.check("cluster_byte", Buf(volume), cluster)
    k.check("clusters_for", Buf(volume), size)
    k.check("le16", Buf(volume[:2]))
    k.check("le32", Buf(volume[:4]))
    k.check("put_le32", Buf(b"\xaa" * 6), value)
    k.check("log2", value)
    k.check("log2", 1 << (value % 32))


# ---------------------------------------------------------------- a volume on a RAM disk

SECTORS = SMALL_KIB * 2


@pytest.fixture(scope="module")
def volume(fat, real) -> SimpleNamespace:
    """The buffers of one mounted volume, in both worlds: the disk image, the RAM BlockDevice, the
    Volume with its cache (as open_volume sets it up, without kalloc), two chains and the buffers
    the directory functions take."""
    functions = {}
    for fn in fat.lib.program.modules[BLOCKDEV].functions:
        if fn.name in ("ram_read", "ram_write", "ram_flush"):
            functions[ctypes.cast(getattr(fat.lib.lib, fn.c_name), ctypes.c_void_p).value] = fn.name
    w = Worlds(functions)
    geo = Geometry(real.small)
    w.add("disk", len(real.small))
    w.add("devname", 8)
    w.add("dev", sizeof(block.BlockDevice), [offsetof(block.BlockDevice, f) for f in DEVICE_POINTERS])
    w.add("vol", sizeof(fk.Volume), [offsetof(fk.Volume, f) for f in VOLUME_POINTERS])
    w.add("line_lba", 8 * fk.CACHE_LINES)
    w.add("line_dirty", fk.CACHE_LINES)
    w.add("line_data", fk.CACHE_LINES * geo.sector)
    w.add("bounce", geo.sector)
    w.add("zeros", geo.cluster)
    for name in ("dir", "other"):
        w.add(name, sizeof(fk.Chain))
    w.add("slot", sizeof(fd.Slot))
    w.add("want", NAME)
    w.add("entry", ENTRY)
    w.add("used", (fd.MAX_TAIL + 1) // 8)
    w.add("io", 4096)
    return SimpleNamespace(w=w, geo=geo, **{name: buf for name, (buf, _) in w.held.items()})


def mount(fat, v, image: bytes) -> int:
    """init_ramdisk, then open_volume's steps without its allocations; load_fsinfo's result."""
    w = v.w
    for name, (buf, _) in w.held.items():
        buf.load(image if name == "disk" else NO_SECTOR * fk.CACHE_LINES if name == "line_lba" else b"")
    v.devname.load(b"ram0")
    w.check(fat.block, "init_ramdisk", v.dev, v.disk, SECTORS, v.devname)
    assert w.check(fat.disk, "parse_bpb", v.vol, Buf(image[:512]), v.dev) == 0
    for field in VOLUME_POINTERS[1:]:
        w.point(v.vol, offsetof(fk.Volume, field), getattr(v, field))
    return w.check(fat.disk, "load_fsinfo", v.vol)


def chain(first: int) -> bytes:
    return struct.pack("<6I", first, 0, 0, 0, 0, 0)


@st.composite
def directories(draw, real) -> bytes:
    """Directory contents: mtools' name sets, generated (and damaged) LFN sets, deleted entries,
    dot entries, volume labels, junk, an end marker with junk after it."""
    out = b""
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["real", "real", "lfn", "lfn", "short", "deleted", "dots", "label", "junk",
                                     "end"]))
        if kind == "real":
            out += draw(st.sampled_from(real.groups))
        elif kind == "lfn":
            short = draw(names11) + bytes([0x20 | draw(st.sampled_from([0, 0x10]))]) + draw(st.binary(min_size=20,
                                                                                                        max_size=20))
            out += lfn_set(draw(units_lists.filter(lambda u: 0 < len(u) <= fd.NAME_UNITS)), short, draw(damages))
        elif kind == "short":
            out += draw(names11) + bytes([draw(st.sampled_from([0x20, 0x10, 0x01]))]) + draw(
                st.binary(min_size=20, max_size=20))
        elif kind == "deleted":
            e = bytearray(draw(st.sampled_from(real.entries)))
            e[0] = fd.ENTRY_DELETED
            out += bytes(e)
        elif kind == "dots":
            out += b".          \x10" + bytes(20) + b"..         \x10" + bytes(20)
        elif kind == "label":
            out += b"VOLUMELABEL\x08" + bytes(20)
        elif kind == "junk":
            out += draw(st.binary(min_size=ENTRY, max_size=ENTRY))
        else:
            out += bytes(ENTRY) + draw(st.sampled_from(real.entries))
    return out


@st.composite
def images(draw, real, geo: Geometry) -> tuple:
    """The small volume with a drawn directory in a drawn chain at the root, other chains (loops,
    bad links, free and reserved entries among them) and maybe a damaged FSInfo; and the first
    cluster of a second chain."""
    img = bytearray(real.small)
    contents = draw(directories(real))
    length = draw(st.integers(1, 4))
    clusters = [geo.root] + draw(st.lists(st.integers(3, 40), min_size=length - 1, max_size=length - 1, unique=True))
    for i, c in enumerate(clusters):
        geo.set_fat(img, c, clusters[i + 1] if i + 1 < len(clusters) else 0x0FFFFFFF)
        piece = contents[i * geo.cluster:(i + 1) * geo.cluster]
        img[geo.at(c):geo.at(c) + len(piece)] = piece
    if draw(st.integers(0, 9)) == 0:  # a directory whose chain loops
        geo.set_fat(img, clusters[-1], draw(st.sampled_from(clusters)))
    ends = st.sampled_from([0x0FFFFFFF, 0x0FFFFFF8, 0xFFFFFFFF, 0x0FFFFFF7, 0, 1, 0xF0000005, geo.clusters + 2])
    firsts = []
    for _ in range(draw(st.integers(0, 3))):  # chains, some ending in a loop or a bad link
        members = [c for c in draw(st.lists(st.integers(3, 48), min_size=1, max_size=12, unique=True))
                   if c not in clusters]
        if not members:
            continue
        clusters += members
        firsts.append(members[0])
        for a, b in zip(members, members[1:], strict=False):
            geo.set_fat(img, a, b | (draw(st.sampled_from([0, 0, 0xF])) << 28))  # the top 4 bits are reserved
        loop = draw(st.booleans())
        geo.set_fat(img, members[-1], draw(st.sampled_from(members)) if loop else draw(ends))
    links = st.one_of(st.integers(2, 48), ends, st.just(geo.clusters + 1))
    for _ in range(draw(st.integers(0, 4))):
        geo.set_fat(img, draw(st.integers(2, 48).filter(lambda c: c not in clusters)), draw(links))
    if draw(st.integers(0, 5)) == 0:
        at = 512 * struct.unpack_from("<H", img, 48)[0]
        field = draw(st.sampled_from([0, 484, 488, 492, 508]))
        struct.pack_into("<I", img, at + field, draw(st.integers(0, 0xFFFFFFFF) | st.sampled_from([0, 2, 5000])))
    other = st.sampled_from(firsts) if firsts else st.integers(2, 48)
    return bytes(img), draw(other | other | st.integers(2, 48) | st.sampled_from([0, geo.root, 0xFFFFFFFF]))


def op_strategy(real, geo: Geometry):
    cluster = st.integers(2, 48) | st.sampled_from([0, 1, geo.clusters + 1, geo.clusters + 2, 0xFFFFFFFF])
    valid = st.integers(2, 48) | st.just(geo.clusters + 1)
    which = st.sampled_from(["dir", "other"])
    want = st.one_of(st.none(), st.sampled_from(REAL_NAMES + ["README.TXT", "readme.txt", "LONGNA~1.TXT",
                                                              "longna~4.txt", "dir2", "SUB DIRECTORY", "missing"]),
                     texts)
    return st.one_of(
        st.tuples(st.just("next_cluster"), valid),
        st.tuples(st.just("cluster_at"), which, st.integers(0, 60) | st.just(0xFFFFFFFF)),
        st.tuples(st.just("cluster_at"), st.just("other"), st.integers(0, 13)),
        st.tuples(st.just("chain_length"), which),
        st.tuples(st.just("count_free")),
        st.tuples(st.just("alloc_cluster")),
        st.tuples(st.just("free_chain"), cluster | which),
        st.tuples(st.just("truncate_chain"), which, st.integers(0, 6)),
        st.tuples(st.just("append"), which, st.integers(0, 4), st.booleans()),
        st.tuples(st.just("fat_write"), valid, st.integers(0, 0x0FFFFFFF)),
        st.tuples(st.just("flush")),
        st.tuples(st.just("forget_cluster"), valid),
        st.tuples(st.just("entry_pos"), which, st.integers(0, 80)),
        st.tuples(st.just("scan"), which, st.integers(0, 40), want),
        st.tuples(st.just("scan"), st.just("dir"), st.just(0), want),
        st.tuples(st.just("remove_set"), which),
        st.tuples(st.just("count_subdirs"), which),
        st.tuples(st.just("is_empty"), which),
        st.tuples(st.just("add"), which, texts.filter(lambda t: 0 < len(utf16(t)) <= fd.NAME_UNITS), seconds),
        st.tuples(st.just("init_dir"), valid, st.integers(0, 48), seconds),
        st.tuples(st.just("bytes_io"), st.integers(0, len(real.small) - 1), st.integers(0, 4096), st.booleans(),
                  st.booleans()),
        st.tuples(st.just("load_entry"), st.integers(0, len(real.small) // ENTRY - 1)),
    )


def apply(fat, v, op) -> None:
    w, d, k = v.w, fat.dir, fat.disk
    name, *args = op
    if name == "free_chain" and isinstance(args[0], str):  # the chain's own clusters
        w.check(k, name, v.vol, v.firsts[args[0]])
    elif name in ("next_cluster", "free_chain", "forget_cluster"):
        w.check(k, name, v.vol, *args)
    elif name in ("count_free", "alloc_cluster", "flush", "load_fsinfo"):
        w.check(k, name, v.vol)
    elif name in ("cluster_at", "truncate_chain"):
        w.check(k, name, v.vol, getattr(v, args[0]), args[1])
    elif name == "chain_length":
        w.check(k, name, v.vol, getattr(v, args[0]))
    elif name == "append":
        w.check(k, name, v.vol, getattr(v, args[0]), args[1], args[2])
    elif name == "fat_write":
        w.check(k, name, v.vol, *args)
    elif name == "entry_pos":
        previous = w.check(d, name, v.vol, getattr(v, args[0]), args[1])
        w.check(d, "step_pos", v.vol, getattr(v, args[0]), args[1] + 1, previous)
    elif name == "scan":
        target = Null()
        if args[2] is not None:
            v.want.load(name_bytes(utf16(args[2])[:fd.NAME_UNITS]))
            target = v.want
        v.found = w.check(d, name, v.vol, getattr(v, args[0]), args[1], target, v.slot) == 1 and args[0]
    elif name == "remove_set":
        if getattr(v, "found", None) == args[0]:  # only a slot scan filled, for the directory it scanned
            w.check(d, name, v.vol, getattr(v, args[0]), v.slot)
            v.found = None
    elif name in ("count_subdirs", "is_empty"):
        w.check(d, name, v.vol, getattr(v, args[0]))
    elif name == "add":
        add_name(fat, v, *args)
    elif name == "init_dir":
        w.check(d, name, v.vol, *args)
    elif name == "bytes_io":
        at, count, write, null = args
        buf = Null() if write and null else v.io
        v.io.load(bytes(range(256)) * 16)
        w.check(k, name, v.vol, at, buf, count, write)
        if not write:
            w.check(k, "clear_cluster", v.vol, 2 + at % 40)
    elif name == "load_entry":
        w.check(d, name, v.vol, args[0] * ENTRY, v.entry)
        w.check(d, "store_entry", v.vol, (args[0] ^ 1) * ENTRY, v.entry)
    else:
        raise AssertionError(name)


def add_name(fat, v, which: str, text: str, when: int) -> None:
    """add_name's steps, with the tail bitmap from the test instead of the heap."""
    w, d = v.w, fat.dir
    units = utf16(text)
    v.want.load(name_bytes(units))
    w.check(d, "new_entry", v.entry, 0x20, 0, when)
    long_entries, used = 0, Null()
    if not w.check(d, "fits_short", v.want, v.entry):
        v.entry.write(offsetof(fd.RawEntry, "case"), b"\0")
        long_entries = -(-len(units) // fd.LFN_CHARS)
        if not w.check(d, "short_basis", v.want, v.entry):
            used = v.used
            used.load(b"")
    start = w.check(d, "find_room", v.vol, getattr(v, which), long_entries + 1, v.entry, used)
    if used is v.used:
        tail = w.check(d, "first_free_tail", v.used)
        if start < 0 or tail == 0:
            return
        w.check(d, "put_tail", v.entry, tail)
    if start >= 0:
        w.check(d, "write_set", v.vol, getattr(v, which), start, v.want, long_entries, v.entry)


@cases(100)
@given(st.data())
def test_volume(fat, real, volume, data):
    image, other = data.draw(images(real, volume.geo))
    mount(fat, volume, image)
    volume.dir.load(chain(volume.geo.root))
    volume.other.load(chain(other))
    volume.firsts = {"dir": volume.geo.root, "other": other}
    volume.found = None
    for op in data.draw(st.lists(op_strategy(real, volume.geo), min_size=3, max_size=14)):
        apply(fat, volume, op)
    volume.w.check(fat.disk, "flush", volume.vol)


def test_blank_volume(fat, real, volume):
    """The blank volume mkfs.fat made: names are added, found (ignoring case) and removed again."""
    assert mount(fat, volume, real.small) == 0
    volume.dir.load(chain(volume.geo.root))
    for text in REAL_NAMES[:12]:
        add_name(fat, volume, "dir", text, 1_700_000_000)
    for text in REAL_NAMES[:12]:
        apply(fat, volume, ("scan", "dir", 0, "".join(c.swapcase() if c.isascii() else c for c in text)))
        assert volume.found == "dir", text
        apply(fat, volume, ("remove_set", "dir"))
    assert volume.w.check(fat.dir, "is_empty", volume.vol, volume.dir) == 1
    volume.w.check(fat.disk, "count_free", volume.vol)
    volume.w.check(fat.disk, "flush", volume.vol)
