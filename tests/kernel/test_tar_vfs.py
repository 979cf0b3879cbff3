"""tar archives made by Python's tarfile, extracted into memfs through the VFS sink."""
import io
import tarfile

from cyrius.kernel.fs import memfs, tar, tar_vfs, vfs
from cyrius.kernel.mm import uspace
from cyrius.lang import NULL, Ptr, addr, i64, memory, u8, usize

from test_vfs import lookup, names, read_file


def archive(members, mtime: int = 0) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload, mode in members:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.mtime = mtime
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "file":
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
                t.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = payload
                t.addfile(info)
    return out.getvalue()


def extract(dest, data: bytes):
    base = memory.alloc(len(data) + 1)
    memory.write(base, data)
    reader = tar.TarReader()
    tar.init_reader(addr(reader), Ptr[u8](base), usize(len(data)))
    sink = tar_vfs.VfsSink()
    tar_vfs.init(addr(sink), dest)
    got = tar.extract(addr(reader), addr(sink.sink))
    text = memory.read(addr(reader.error).address, int(reader.error_len))
    return got, text


def fresh(machine):
    vfs.init(NULL)
    uspace.init()  # memfs keeps file data in frames uspace tracks (as kernel_main sets up)
    memfs.init()
    return memfs.new_root()


def test_bundle_layout_extracts(machine):
    root = fresh(machine)
    data = archive([
        ("bundle", "dir", None, 0o755),
        ("bundle/config.json", "file", b'{"ociVersion": "1.0.2"}\n', 0o644),
        ("bundle/rootfs/bin/busybox", "file", b"\x7fELF" + bytes(5000), 0o755),
        ("bundle/rootfs/bin/sh", "symlink", "busybox", 0o777),
        ("bundle/rootfs/bin/ls", "hardlink", "bundle/rootfs/bin/busybox", 0o755),
        ("bundle/rootfs/etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n", 0o600),
        ("bundle/rootfs/abs", "symlink", "/etc/passwd", 0o777),
    ])
    got, why = extract(root, data)
    assert got > 0, why
    assert names(root, b"/bundle") == {b".", b"..", b"config.json", b"rootfs"}
    assert read_file(root, b"/bundle/config.json") == b'{"ociVersion": "1.0.2"}\n'
    assert read_file(root, b"/bundle/rootfs/bin/sh")[:4] == b"\x7fELF"
    _, busybox = lookup(root, b"/bundle/rootfs/bin/busybox")
    assert busybox.nlink == 2 and busybox.mode & 0o777 == 0o755
    _, passwd = lookup(root, b"/bundle/rootfs/etc/passwd")
    assert passwd.mode & 0o777 == 0o600
    # the absolute symlink resolves against the extraction root, here the memfs root: /etc/passwd
    # does not exist at the top, so it dangles instead of escaping
    assert lookup(root, b"/bundle/rootfs/abs")[0] < 0


def test_extracted_files_kept_the_archives_mtime_which_was_dropped(machine):
    """Files got the time of extraction, so Debian's python3 found every .pyc of its standard library
    stale (its source's mtime differs) and compiled the module again at each first import."""
    root = fresh(machine)
    stamp = 1682691108  # 2023-04-28
    assert extract(root, archive([("lib.py", "file", b"x = 1\n", 0o644)], mtime=stamp))[0] > 0
    _, node = lookup(root, b"/lib.py")
    assert int(node.mtime_ns) == stamp * 1_000_000_000
    for seconds, expected in ((-5, 0), (1 << 62, tar_vfs.MAX_SECONDS * 1_000_000_000)):  # clamped, never wrapped
        assert int(tar_vfs.mtime_ns(i64(seconds))) == expected


def test_corrupt_archive_leaves_nothing(machine):
    root = fresh(machine)
    good = bytearray(archive([("a", "dir", None, 0o755), ("a/one", "file", b"1" * 600, 0o644),
                              ("a/two", "file", b"2" * 600, 0o644)]))
    # break the checksum of the last member's header: the whole archive is refused up front
    last = good.rfind(b"a/two")
    good[last + 148] ^= 0x01
    got, why = extract(root, bytes(good))
    assert got < 0 and b"a/two" in why
    assert names(root, b"/") == {b".", b".."}
