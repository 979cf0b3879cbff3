"""tar parsing and all-or-nothing extraction under CPython, checked against Python's tarfile.

Archives come from tarfile in every format, from GNU tar, and from umoci (an OCI image layer and an
unpacked bundle). The extractor writes through FakeFs, a TarSink over a dict that behaves like a
filesystem: parents must be directories, nothing is replaced, only empty directories are removed.
"""
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import tarfile

import pytest

from cyrius.kernel import errno
from cyrius.kernel.fs import tar
from cyrius.kernel.mm import heap
from cyrius.lang import Array, Ptr, addr, i64, memory, u8, usize
from tooling import require_tools

MIB = 1 << 20
KINDS = {tarfile.REGTYPE: tar.TAR_FILE, tarfile.AREGTYPE: tar.TAR_FILE, tarfile.CONTTYPE: tar.TAR_FILE,
         tarfile.LNKTYPE: tar.TAR_HARDLINK, tarfile.SYMTYPE: tar.TAR_SYMLINK, tarfile.DIRTYPE: tar.TAR_DIR,
         tarfile.CHRTYPE: tar.TAR_DEVICE, tarfile.BLKTYPE: tar.TAR_DEVICE, tarfile.FIFOTYPE: tar.TAR_DEVICE}


# ---------------------------------------------------------------- building archives

def member(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", mtime=1_700_000_000, uid=1000, gid=1000):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.linkname = link
    ti.size = len(data)
    ti.mtime = mtime
    ti.uid = uid
    ti.gid = gid
    return ti, data


def directory(name, mode=0o755, **attrs):
    return member(name, tarfile.DIRTYPE, mode=mode, **attrs)


def symlink(name, target):
    return member(name, tarfile.SYMTYPE, mode=0o777, link=target)


def hardlink(name, target):
    return member(name, tarfile.LNKTYPE, link=target)


def with_pax(name, **records):
    """A member whose per-member pax header carries `records` as given."""
    ti, data = member(name)
    ti.pax_headers = records
    return ti, data


def make_tar(members, fmt=tarfile.PAX_FORMAT, pax_headers=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, pax_headers=pax_headers) as tf:
        for ti, data in members:
            tf.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()


def common_members():
    """A small tree: every member type, empty, one-byte and multi-block files, odd modes, absolute
    and "./" names, implied parent directories, relative and absolute symlinks, a hard link."""
    return [
        directory("etc"),
        member("etc/empty"),
        member("etc/one", data=b"x", mode=0o600),
        member("etc/multi", data=bytes(range(256)) * 12 + b"tail", mode=0o640),
        member("bin/tool", data=b"\x7fELF" + bytes(3000), mode=0o4755),  # bin/ is implied
        symlink("bin/sh", "tool"),
        symlink("usr/bin/abs", "/bin/tool"),
        hardlink("bin/tool2", "bin/tool"),
        directory("var/empty", mode=0o700),
        directory("tmp", mode=0o1777),
        member("/abs/file", data=b"leading slash"),
        member("./dot/file", data=b"leading dot"),
    ]


def fix_checksum(buf: bytearray, off: int, signed=False) -> None:
    buf[off + 148:off + 156] = b" " * 8
    total = sum(b - 256 if signed and b >= 0x80 else b for b in buf[off:off + 512])
    buf[off + 148:off + 156] = b"%06o\0 " % total


def header_of(data: bytes, name: str) -> int:
    """Offset of the member's own header (after any extension headers)."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        return tf.getmember(name).offset_data - 512


def patched(data: bytes, name: str, field_at: int, value: bytes) -> bytes:
    buf = bytearray(data)
    off = header_of(data, name)
    buf[off + field_at:off + field_at + len(value)] = value
    fix_checksum(buf, off)
    return bytes(buf)


def end_of_members(data: bytes) -> int:
    """Where the last member's data (padded) ends: the first zero block."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        last = tf.getmembers()[-1]
        return last.offset_data + (last.size + 511) // 512 * 512 if last.isreg() else last.offset_data


# ---------------------------------------------------------------- the kernel side

def load(data: bytes):
    base = memory.alloc(max(len(data), 1))
    memory.write(base, data)
    r = tar.TarReader()
    tar.init_reader(addr(r), Ptr[u8](base), usize(len(data)))
    return r


def message(r) -> str:
    text = memory.read(addr(r.error).address, int(r.error_len) + 1)
    assert text[-1] == 0
    return text[:-1].decode()


def text(p, n) -> bytes:
    raw = memory.read(p.address, int(n) + 1)
    assert raw[-1] == 0, "names are NUL-terminated"
    return raw[:-1]


def kernel_members(data: bytes):
    """What next_member reports, or (err, message) if it fails."""
    r = load(data)
    m = tar.TarMember()
    found = []
    while True:
        got = tar.next_member(addr(r), addr(m))
        if got < 0:
            return int(got), message(r)
        if got == 0:
            assert tar.next_member(addr(r), addr(m)) == 0  # and stays at the end
            return found
        content = memory.read(m.data.address, int(m.size)) if m.size else b""
        link = text(addr(m.link), m.link_len) if m.kind in (tar.TAR_SYMLINK, tar.TAR_HARDLINK) else b""
        found.append((int(m.kind), text(addr(m.path), m.path_len), int(m.mode), int(m.uid), int(m.gid),
                      int(m.mtime), int(m.size), link, content))


def norm(name: str) -> bytes:
    raw = name.encode("utf-8", "surrogateescape")
    return b"/".join(c for c in raw.split(b"/") if c not in (b"", b"."))


def tarfile_members(data: bytes):
    """The same, as Python's tarfile reads the archive."""
    found = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for ti in tf.getmembers():
            kind = KINDS[ti.type]
            content = tf.extractfile(ti).read() if kind == tar.TAR_FILE else b""
            link = {tar.TAR_SYMLINK: ti.linkname.encode("utf-8", "surrogateescape"),
                    tar.TAR_HARDLINK: norm(ti.linkname)}.get(kind, b"")
            found.append((kind, norm(ti.name), ti.mode & 0o7777, ti.uid, ti.gid, int(ti.mtime), len(content), link,
                          content))
    return found


def expected_tree(data: bytes) -> dict:
    """What extracting the archive into an empty FakeFs must leave, from tarfile's reading."""
    tree = {}
    for kind, path, mode, _, _, _, _, link, content in tarfile_members(data):
        if kind == tar.TAR_DEVICE or path == b"":
            continue
        parts = path.split(b"/")
        for i in range(1, len(parts)):
            tree.setdefault(b"/".join(parts[:i]), ("dir", 0o755, None))
        if kind == tar.TAR_DIR:
            tree.setdefault(path, ("dir", mode, None))
        elif kind == tar.TAR_FILE:
            tree[path] = ("file", mode, content)
        else:
            tree[path] = ("symlink" if kind == tar.TAR_SYMLINK else "hardlink", None, link)
    return tree


class FakeFs:
    """A TarSink over a dict {path: (kind, mode, payload)}. `fail_at` makes the Nth creation
    (counting from 1) fail with ENOSPC; `remove_fails` makes every removal fail."""

    def __init__(self, existing=None, fail_at=None, remove_fails=False):
        self.tree = dict(existing or {})
        self.calls = 0
        self.created = 0
        self.fail_at = fail_at
        self.remove_fails = remove_fails
        self.sink = tar.TarSink()
        self.sink.mkdir = self.mkdir
        self.sink.create_file = self.create_file
        self.sink.symlink = self.symlink
        self.sink.hardlink = self.hardlink
        self.sink.remove = self.remove

    def path(self, p, n) -> bytes:
        path = text(p, n)
        assert all(c not in (b"", b".", b"..") for c in path.split(b"/")), path
        return path

    def add(self, path, node) -> i64:
        self.calls += 1
        parent = path.rpartition(b"/")[0]
        if path in self.tree:
            return i64(-errno.EEXIST)
        if parent and parent not in self.tree:
            return i64(-errno.ENOENT)
        if parent and self.tree[parent][0] != "dir":
            return i64(-errno.ENOTDIR)
        self.created += 1
        if self.created == self.fail_at:
            return i64(-errno.ENOSPC)
        self.tree[path] = node
        return i64(0)

    def mkdir(self, sink, path, n, mode):
        path = self.path(path, n)
        if self.tree.get(path, ("dir",))[0] != "dir":
            return i64(-errno.ENOTDIR)
        return self.add(path, ("dir", int(mode), None))

    def create_file(self, sink, path, n, mode, data, size, mtime):
        content = memory.read(data.address, int(size)) if size else b""
        return self.add(self.path(path, n), ("file", int(mode), content))

    def symlink(self, sink, path, n, target, tn):
        return self.add(self.path(path, n), ("symlink", None, text(target, tn)))

    def hardlink(self, sink, path, n, target, tn):
        target = self.path(target, tn)
        if self.tree.get(target, ("",))[0] not in ("file", "hardlink"):
            return i64(-errno.ENOENT)
        return self.add(self.path(path, n), ("hardlink", None, target))

    def remove(self, sink, path, n):
        path = self.path(path, n)
        if self.remove_fails or path not in self.tree:
            return i64(-errno.EIO)
        if any(p.startswith(path + b"/") for p in self.tree):
            return i64(-errno.ENOTEMPTY)
        del self.tree[path]
        return i64(0)


def extract(data: bytes, fs=None):
    fs = fs or FakeFs()
    r = load(data)
    blocks = heap.live_blocks
    got = tar.extract(addr(r), addr(fs.sink))
    assert heap.live_blocks == blocks  # the member and the undo log are freed
    return int(got), message(r), fs


def check(data: bytes, count=None):
    """Parsing and extraction agree with tarfile."""
    expected = tarfile_members(data)
    assert kernel_members(data) == expected
    got, msg, fs = extract(data)
    assert msg == ""
    assert got == len([m for m in expected if m[0] != tar.TAR_DEVICE])
    assert fs.tree == expected_tree(data)
    return fs


# ---------------------------------------------------------------- formats

@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_every_tarfile_format(machine, fmt):
    big = os.urandom(MIB)
    data = make_tar(common_members() + [member("big", data=big)], fmt)
    fs = check(data)
    assert fs.tree[b"big"] == ("file", 0o644, big)
    assert fs.tree[b"bin/tool"][1] == 0o4755  # setuid survives: modes are masked to 0o7777, not 0o777
    assert fs.tree[b"bin"] == ("dir", 0o755, None)  # implied
    assert fs.tree[b"abs/file"][2] == b"leading slash"
    assert fs.tree[b"usr/bin/abs"] == ("symlink", None, b"/bin/tool")


def test_ustar_prefix_names(machine):
    long_path = "p" * 60 + "/" + "q" * 60 + "/" + "r" * 90
    data = make_tar([member(long_path, data=b"split"), member("ünïcode-ü", data=b"utf-8")], tarfile.USTAR_FORMAT)
    assert check(data).tree[norm(long_path)] == ("file", 0o644, b"split")


def test_gnu_long_names_links_and_base256_numbers(machine):
    long_dir = "d" * 150 + "/" + "e" * 150
    long_file = long_dir + "/" + "f" * 200
    data = make_tar([
        member(long_file, data=b"long", mtime=2 ** 40, uid=2 ** 30, gid=2 ** 31),
        symlink("s", "/" + "t" * 120 + "/" + "u" * 120),
        hardlink("h" * 130, long_file),
        member("old", mtime=-1000),
    ], tarfile.GNU_FORMAT)
    assert b"././@LongLink" in data and bytes([0x80]) in data  # L/K headers and base-256 fields
    check(data)


def test_pax_long_paths_unicode_times_and_global_header(machine):
    longest = "/".join(["c" * 200] * 20) + "/" + "f" * 75  # 4095 bytes, the limit
    assert len(longest) == 4095
    data = make_tar([
        member(longest, data=b"deep"),
        member("ünïcødé/ファイル", data="データ".encode()),
        member("frac", mtime=1_500_000_000.75),
        member("negative-frac", mtime=-12.5),
        member("huge-time", mtime=2 ** 40),
        member("big-uid", uid=3_000_000_000),
        symlink("long-link", "/" + "l" * 300),
        member("plain"),
    ], tarfile.PAX_FORMAT, pax_headers={"comment": "global", "uid": "4343", "gid": "4242", "mtime": "1234567890"})
    members = kernel_members(data)
    assert members == tarfile_members(data)
    by_path = {m[1]: m for m in members}
    assert by_path[b"plain"][3:6] == (4343, 4242, 1234567890)  # the global header's defaults
    assert by_path[b"frac"][5] == 1_500_000_000 and by_path[b"negative-frac"][5] == -12
    assert by_path[b"big-uid"][3] == 3_000_000_000
    check(data)


def test_pax_limits_and_global_per_member_keywords(machine):
    too_long = "/".join(["c" * 200] * 20) + "/" + "f" * 76
    err, msg = kernel_members(make_tar([member(too_long)]))
    assert err == -errno.ENAMETOOLONG and "longer than 4095 bytes" in msg
    err, msg = kernel_members(make_tar([member("m")], pax_headers={"path": "everything"}))
    assert err == -errno.EOPNOTSUPP and "global pax header" in msg
    err, msg = kernel_members(make_tar([member("a/" + "n" * 256)]))
    assert err == -errno.ENAMETOOLONG and "component longer than 255" in msg


def test_devices_and_fifos_are_parsed_but_skipped(machine):
    data = make_tar([directory("dev"), member("dev/null", tarfile.CHRTYPE), member("dev/sda", tarfile.BLKTYPE),
                     member("dev/fifo", tarfile.FIFOTYPE), member("dev/keep", data=b"k")])
    assert [m[0] for m in kernel_members(data)] == [tar.TAR_DIR] + [tar.TAR_DEVICE] * 3 + [tar.TAR_FILE]
    r = load(data)
    fs = FakeFs()
    assert tar.extract(addr(r), addr(fs.sink)) == 2
    assert r.skipped == 3
    assert set(fs.tree) == {b"dev", b"dev/keep"}


def test_header_quirks(machine):
    data = make_tar([member("olddir/", tarfile.AREGTYPE), member("typed", data=b"m"), symlink("sized", "t"),
                     member("ünï", data=b"signed")], tarfile.USTAR_FORMAT)
    data = patched(data, "typed", 100, b"0100644\0")  # file-type bits in the mode field are dropped
    data = patched(data, "sized", 124, b"00000001000\0")  # no data follows a symlink, whatever size says
    buf = bytearray(data)
    fix_checksum(buf, header_of(data, "ünï"), signed=True)  # old tars summed signed bytes
    members = kernel_members(bytes(buf))
    assert members == tarfile_members(bytes(buf))
    assert members[0][:2] == (tar.TAR_DIR, b"olddir") and members[1][2] == 0o644
    check(bytes(buf))


@pytest.mark.parametrize("field, expected", [
    (b"0000644\0", 0o644), (b"  644 \0\0", 0o644), (b"00000000", 0), (b"\0" * 8, 0), (b"        ", 0),
    (b"77777777777\0", 0o77777777777), (b"777777777777", 0o777777777777),  # 12 digits, no terminator
    (b"\x80" + bytes(10) + b"\x05", 5), (b"\xff" * 12, -1), (b"\x80\0\0\0\x7f" + b"\xff" * 7, 2 ** 63 - 1),
    (b"\xff\xff\xff\xff\x80" + bytes(7), -2 ** 63),
    (b"12x\0", None), (b"1 2\0", None), (b"\x80\0\0\x01" + bytes(8), None), (b"\xff\xff\xff\xfe" + bytes(8), None),
])
def test_numeric_fields(field, expected):
    p = Ptr[u8](memory.alloc(len(field)))
    memory.write(p.address, field)
    out = Array[i64, 1]()
    ok = tar.read_number(p, usize(len(field)), addr(out))
    assert (int(out[0]) if ok else None) == expected


@pytest.mark.parametrize("value, is_time, expected", [
    (b"0", False, 0), (b"1048576", False, 1048576), (b"9223372036854775807", False, 2 ** 63 - 1),
    (b"9223372036854775808", False, None), (b"-1", False, None), (b"1.5", False, None), (b"", False, None),
    (b"12a", False, None), (b"1.75", True, 1), (b"-12.5", True, -12), (b"-", True, None), (b".5", True, None),
])
def test_pax_numbers(value, is_time, expected):
    p = Ptr[u8](memory.alloc(len(value) + 1))
    memory.write(p.address, value)
    out = Array[i64, 1]()
    ok = tar.read_decimal(p, usize(len(value)), is_time, addr(out))
    assert (int(out[0]) if ok else None) == expected


def test_end_of_archive(machine):
    data = make_tar(common_members())
    tree = expected_tree(data)
    end = end_of_members(data)
    for cut in (data[:end], data[:end + 512]):  # no zero blocks, one zero block: both accepted
        got, msg, fs = extract(cut)
        assert got > 0 and fs.tree == tree
    for empty in (b"", bytes(1024)):
        got, msg, fs = extract(empty)
        assert (got, msg, fs.tree) == (0, "", {})
    # what follows the first zero block is not read
    assert kernel_members(data[:end] + bytes(512) + b"garbage" * 100) == tarfile_members(data)


def test_gnu_tar_archives(machine, tmp_path):
    require_tools("tar")
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "file").write_bytes(b"contents\n" * 100)
    (src / "secret").write_bytes(b"s")
    os.chmod(src / "secret", 0o600)
    (src / "private").mkdir(mode=0o700)
    os.symlink("a/b/file", src / "rel")
    os.symlink("/a/b/file", src / "abs")
    os.link(src / "a" / "b" / "file", src / "hard")
    (src / ("long-" * 30)).write_bytes(b"long name")
    for fmt in ("gnu", "posix", "ustar"):
        archive = tmp_path / f"{fmt}.tar"
        too_long = ["--exclude=./long-*"] if fmt == "ustar" else []  # ustar cannot hold that name
        subprocess.run(["tar", f"--format={fmt}", "--sort=name", *too_long, "-cf", archive, "-C", src, "."],
                       check=True)
        check(archive.read_bytes())


def test_oci_image_layer_and_bundle_from_umoci(machine, tmp_path):
    require_tools("umoci", "tar", "/bin/busybox")
    rootfs = tmp_path / "rootfs"
    for d in ("bin", "usr/bin", "etc", "tmp"):
        (rootfs / d).mkdir(parents=True)
    shutil.copy("/bin/busybox", rootfs / "bin" / "busybox")
    for applet in ["sh", "ls", "cat", "echo", "mkdir", "rm", "cp", "mv", "ps", "mount", "grep", "sed"]:
        os.symlink("busybox", rootfs / "bin" / applet)
    os.symlink("/bin/busybox", rootfs / "usr" / "bin" / "env")
    (rootfs / "etc" / "passwd").write_bytes(b"root:x:0:0:root:/root:/bin/sh\n")
    os.chmod(rootfs / "tmp", 0o1777)
    image, bundle = tmp_path / "image", tmp_path / "bundle"

    def umoci(*args):
        subprocess.run(["umoci", *args], check=True, capture_output=True)

    umoci("init", "--layout", image)
    umoci("new", "--image", f"{image}:t")
    umoci("insert", "--rootless", "--image", f"{image}:t", rootfs, "/")
    umoci("unpack", "--rootless", "--image", f"{image}:t", bundle)

    # The image layer, as written by Go's archive/tar (gunzipped: the kernel takes plain tar).
    index = json.loads((image / "index.json").read_text())
    blobs = image / "blobs" / "sha256"
    manifest = json.loads((blobs / index["manifests"][0]["digest"].split(":")[1]).read_bytes())
    layer = gzip.decompress((blobs / manifest["layers"][-1]["digest"].split(":")[1]).read_bytes())
    check(layer)

    # The bundle (config.json + rootfs/), as GNU tar packs it.
    archive = tmp_path / "bundle.tar"
    subprocess.run(["tar", "--format=posix", "-cf", archive, "-C", bundle, "."], check=True)
    fs = check(archive.read_bytes())
    busybox = open("/bin/busybox", "rb").read()
    assert fs.tree[b"rootfs/bin/busybox"] == ("file", 0o755, busybox)
    assert fs.tree[b"rootfs/bin/sh"] == ("symlink", None, b"busybox")
    assert fs.tree[b"config.json"][2] == (bundle / "config.json").read_bytes()


# ---------------------------------------------------------------- corrupt archives

def rejected(data: bytes, err: int, *phrases: str) -> str:
    """The archive is refused with err and a message containing phrases, before the sink is used."""
    got, msg, fs = extract(data)
    assert got == err, msg
    for phrase in phrases:
        assert phrase in msg
    assert fs.calls == 0 and fs.tree == {}
    return msg


def test_bad_checksum_names_the_member(machine):
    data = make_tar(common_members())
    off = header_of(data, "etc/one")
    buf = bytearray(data)
    buf[off + 150] ^= 1
    msg = rejected(bytes(buf), -errno.EINVAL)
    assert msg == f"etc/one: bad header checksum (member 3, byte {off})"


def test_truncated_member(machine):
    data = make_tar(common_members())
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        cut = tf.getmember("etc/multi").offset_data + 1000
    rejected(data[:cut], -errno.EINVAL, "etc/multi: data runs past the end of the archive")
    rejected(data[:header_of(data, "etc/multi") + 300], -errno.EINVAL, "etc/multi: truncated header")


def test_size_past_the_end(machine):
    data = make_tar(common_members())
    rejected(patched(data, "etc/one", 124, b"77777777777\0"), -errno.EINVAL, "etc/one: data runs past the end")
    rejected(patched(data, "etc/one", 124, b"\x80" + b"\xff" * 11), -errno.EINVAL, "etc/one: bad size field")
    rejected(patched(data, "etc/one", 100, b"0000x44\0"), -errno.EINVAL, "etc/one: bad mode field")


@pytest.mark.parametrize("lie", [+1, -1, +800, -100])
def test_pax_record_length_lie(machine, lie):
    name = "lying/" + "n" * 150
    data = make_tar([member("first"), member(name, data=b"x")])
    record = re.search(rb"(\d+) path=" + name.encode() + rb"\n", data)
    assert int(record[1]) == len(record[0]) == 166
    bad = data.replace(record[0], b"%03d" % (166 + lie) + record[0][3:])  # same width: nothing moves
    msg = rejected(bad, -errno.EINVAL, "pax record length")
    assert name[:60] in msg  # named by the member's own (truncated) ustar header


def test_pax_length_lie_that_hides_a_record(machine):
    data = make_tar([with_pax("f", comment="xyz6 a=b")])
    assert b"20 comment=xyz6 a=b\n" in data
    # 14 would end the record at "xyz" and leave "6 a=b\n", a valid record, behind it
    rejected(data.replace(b"20 comment", b"14 comment"), -errno.EINVAL, "f: pax record length does not match")


def test_bad_pax_records(machine):
    rejected(make_tar([with_pax("f", path="a\0b")]), -errno.EINVAL, "f: pax path contains a NUL byte")
    rejected(make_tar([with_pax("f", uid="")]), -errno.EINVAL, "f: empty pax value")
    rejected(make_tar([with_pax("f", gid="12a")]), -errno.EINVAL, "f: bad number in pax header")
    rejected(make_tar([member("f", uid=2 ** 32)]), -errno.EINVAL, "f: pax uid or gid out of range")
    rejected(make_tar([with_pax("f", **{"GNU.sparse.major": "1"})]), -errno.EOPNOTSUPP, "f: sparse files")
    rejected(make_tar([with_pax("f", **{"": "x"})]), -errno.EINVAL, "f: pax record without a keyword")
    # when the member's own header is damaged too, the extension header is named
    name = "lying/" + "n" * 150
    data = make_tar([member(name)])
    bad = bytearray(data.replace(b"166 path", b"165 path"))
    bad[header_of(data, name) + 150] ^= 1
    rejected(bytes(bad), -errno.EINVAL, "././@PaxHeader: pax record length does not match the record")


def test_dotdot_and_bad_link_targets(machine):
    for name in ("../evil", "a/../../evil", "safe/../still-refused", "a/.."):
        rejected(make_tar([member("ok"), member(name)]), -errno.EINVAL, f"{name}: path has a \"..\" component")
    rejected(make_tar([member("ok"), hardlink("h", "../ok")]), -errno.EINVAL, "h: hard link target has")
    rejected(make_tar([member("ok"), hardlink("h", "./")]), -errno.EINVAL, "h: hard link without a target")
    rejected(make_tar([member("ok"), hardlink("h", "t" * 256)]), -errno.ENAMETOOLONG,
             "h: hard link target component longer than 255 bytes")
    rejected(make_tar([symlink("s", "")]), -errno.EINVAL, "s: symlink without a target")
    rejected(make_tar([member(".")]), -errno.EINVAL, ".: only a directory may name the destination")
    long_name = "x" * 250 + "/../" + "y" * 100
    msg = rejected(make_tar([member(long_name)]), -errno.EINVAL)
    assert msg.startswith("x" * 200 + "...: path has")


def test_other_corruption(machine):
    data = make_tar([member("p" * 150, data=b"x")])
    ext_end = 512 + 512  # the x header and its one block of records
    rejected(data[:ext_end], -errno.EINVAL, "././@PaxHeader: extension header without a member")
    end = end_of_members(data)
    rejected(data[:end] + b"junk", -errno.EINVAL, "junk: truncated header")
    rejected(make_tar([member("sparse", b"S")]), -errno.EOPNOTSUPP, "sparse: unsupported member type")
    gnu = bytearray(make_tar([member("g" * 120)], tarfile.GNU_FORMAT))
    gnu[124:136] = b"77777777777\0"  # the L header's size
    fix_checksum(gnu, 0)
    rejected(bytes(gnu), -errno.EINVAL, "././@LongLink: extension header runs past the end")
    rejected(make_tar([member("x/" * 2048 + "y")], tarfile.GNU_FORMAT), -errno.ENAMETOOLONG,
             "GNU long name longer than 4095 bytes")


# ---------------------------------------------------------------- all or nothing

EXISTING = {b"etc": ("dir", 0o700, None), b"unrelated": ("file", 0o644, b"keep")}


def test_existing_directories_are_reused_and_kept(machine):
    data = make_tar(common_members())
    got, msg, fs = extract(data, FakeFs(EXISTING))
    assert got > 0
    assert fs.tree == {**expected_tree(data), **EXISTING}  # etc keeps its own mode


def test_sink_failure_removes_everything_created(machine):
    data = make_tar(common_members())
    creations = len(expected_tree(data)) - 1  # etc exists already
    for fail_at in (1, 2, creations // 2, creations):
        fs = FakeFs(EXISTING, fail_at=fail_at)
        got, msg, fs = extract(data, fs)
        assert got == -errno.ENOSPC
        assert msg.endswith(": cannot create: No space left on device")
        assert fs.tree == EXISTING, fail_at
    assert fs.created == creations  # the last one failed: everything else had been created
    # paths long enough to make the undo log grow several times
    deep = make_tar([member("/".join(["c" * 200] * 20) + "/" + "f" * 75, data=b"deep"), member("after")])
    creations = len(expected_tree(deep))
    got, msg, fs = extract(deep, FakeFs(fail_at=creations))
    assert got == -errno.ENOSPC and msg.startswith("after: cannot create") and fs.tree == {}


def test_existing_file_is_not_replaced(machine):
    data = make_tar(common_members())
    existing = {**EXISTING, b"etc/multi": ("file", 0o600, b"mine")}
    got, msg, fs = extract(data, FakeFs(existing))
    assert got == -errno.EEXIST and msg == "etc/multi: cannot create: File exists"
    assert fs.tree == existing


def test_failed_cleanup_is_reported(machine):
    data = make_tar(common_members())
    got, msg, fs = extract(data, FakeFs(fail_at=4, remove_fails=True))
    assert got == -errno.ENOSPC
    assert msg.endswith("No space left on device; could not remove 3 of the paths created")
