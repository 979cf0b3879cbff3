"""Hostile tar archives (made with Python's tarfile) extracted into memfs through the VFS sink, and
corrupted archives made by hypothesis.

The destination is /dest of a memfs whose /outside holds a file, a directory and a symlink that an
archive might try to reach: absolute names, `..` members, a symlink to / or to ../.. followed by a
member written through it, hard links to outside, duplicated names, a file replacing a directory.
Whatever happens, nothing outside /dest changes; a refused archive leaves /dest as it was."""
import io
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyrius.kernel import errno
from cyrius.kernel.fs import memfs, tar, vfs
from cyrius.kernel.mm import heap, uspace
from cyrius.lang import NULL, Ptr, addr, memory, u8, u32, usize

from test_tar import load
from test_tar_vfs import extract
from test_vfs import cstr, lookup, names, read_file, write_file

SECRET = b"do not touch\n"
KERNEL_ERRORS = {-v for k, v in vars(errno).items() if k.isupper() and isinstance(v, int) and v > 0}


def archive(*members) -> bytes:
    """members: (name, kind, payload): kind "file" (payload: bytes), "dir", "symlink" or "hardlink"
    (payload: the link target)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.mode = 0o755 if kind == "dir" else 0o644
            info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                         "hardlink": tarfile.LNKTYPE}[kind]
            if kind == "file":
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
            else:
                info.linkname = payload or ""
                t.addfile(info)
    return out.getvalue()


def snapshot(root, path: bytes = b"/") -> dict:
    """{path: ("dir",) | ("file", content) | ("symlink", target)} for everything below path."""
    tree = {}
    for name in sorted(names(root, path) - {b".", b".."}):
        child = path.rstrip(b"/") + b"/" + name
        err, node = lookup(root, child, follow=False)
        assert err == 0, child
        kind = node.mode & vfs.S_IFMT
        if kind == vfs.S_IFDIR:
            tree[child] = ("dir",)
            tree.update(snapshot(root, child))
        elif kind == vfs.S_IFLNK:
            buf = Ptr[u8](memory.alloc(4096))
            n = int(node.ops.readlink(node, buf, usize(4096)))
            tree[child] = ("symlink", memory.read(buf.address, n))
        else:
            tree[child] = ("file", read_file(root, child))
        vfs.put(node)
    return tree


@pytest.fixture
def world(machine):
    vfs.init(NULL)
    uspace.init()  # memfs keeps file data in frames uspace tracks (as kernel_main sets up)
    memfs.init()
    root = memfs.new_root()
    for d in (b"/dest", b"/outside", b"/outside/dir", b"/etc"):
        assert vfs.mkdir(vfs.as_kernel(), root, root, cstr(d), u32(0o755)) == 0
    write_file(root, b"/outside/secret", SECRET)
    write_file(root, b"/etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
    assert vfs.symlink(vfs.as_kernel(), root, root, cstr(b"/outside/secret"), cstr(b"/outside/link")) == 0
    return root


def extract_into_dest(root, data: bytes):
    """Extract into /dest; check nothing outside it changed and, on failure, that /dest is as it was.
    Returns (result, message, what /dest holds)."""
    before = snapshot(root)
    dest_before = {p: v for p, v in before.items() if p.startswith(b"/dest/")}
    err, dest = lookup(root, b"/dest")
    assert err == 0
    blocks = int(heap.live_blocks)
    got, why = extract(dest, data)
    vfs.put(dest)
    after = snapshot(root)
    outside = {p: v for p, v in after.items() if not p.startswith(b"/dest/")}
    assert outside == {p: v for p, v in before.items() if not p.startswith(b"/dest/")}
    inside = {p: v for p, v in after.items() if p.startswith(b"/dest/")}
    assert got >= 0 or got in KERNEL_ERRORS, got
    if got < 0:
        assert why and inside == dest_before, why
        assert int(heap.live_blocks) == blocks
    return int(got), why.decode(errors="replace"), inside


ESCAPES = {
    "absolute name": [("/etc/passwd", "file", b"owned\n")],
    "dot-dot member": [("../outside/secret", "file", b"owned\n")],
    "dot-dot inside the name": [("a/../../outside/new", "file", b"owned\n")],
    "symlink to / then a member through it": [("a", "symlink", "/"), ("a/etc/passwd", "file", b"owned\n")],
    "symlink to ../.. then a member through it": [("a", "symlink", "../.."), ("a/outside/new", "file", b"x")],
    "symlink to ../outside then a member through it": [("a", "symlink", "../outside"), ("a/new", "file", b"x")],
    "nested symlink climbing out": [("d", "dir", None), ("d/up", "symlink", ".."), ("d/up/up/up/outside/x", "file",
                                                                                  b"x")],
    "symlink to a file outside then a write to it": [("s", "symlink", "/outside/secret"), ("s", "file", b"owned\n")],
    "symlink through which a hard link is made": [("a", "symlink", "../outside"), ("h", "hardlink", "a/secret")],
    "hard link to an absolute path outside": [("h", "hardlink", "/outside/secret")],
    "hard link with dot-dot": [("h", "hardlink", "../outside/secret")],
    "hard link to a symlink leading outside": [("s", "symlink", "../../outside/secret"), ("h", "hardlink", "s")],
    "duplicated file": [("f", "file", b"one"), ("f", "file", b"two")],
    "a file replacing a directory": [("d", "dir", None), ("d/inside", "file", b"x"), ("d", "file", b"flat")],
    "a symlink replacing a directory": [("d", "dir", None), ("d", "symlink", "/outside")],
    "a directory member over a file": [("f", "file", b"x"), ("f", "dir", None)],
    "a directory member over a symlink to outside": [("s", "symlink", "/outside"), ("s", "dir", None),
                                                     ("s/new", "file", b"x")],
}


@pytest.mark.parametrize("name", list(ESCAPES))
def test_hostile_archives_stay_inside_the_destination(world, name):
    got, why, inside = extract_into_dest(world, archive(*ESCAPES[name]))
    assert ("file", SECRET) not in inside.values()  # no hard link reached the file outside
    if got > 0:  # what was written went below /dest: absolute names and symlinks resolve there
        assert inside, name


def test_symlink_to_root_writes_below_the_destination(world):
    got, why, inside = extract_into_dest(world, archive(*ESCAPES["symlink to / then a member through it"]))
    assert got == 2, why
    assert inside[b"/dest/etc/passwd"] == ("file", b"owned\n") and inside[b"/dest/a"] == ("symlink", b"/")


def test_refused_escapes_say_why(world):
    assert extract_into_dest(world, archive(*ESCAPES["dot-dot member"]))[:2] == (
        -errno.EINVAL, '../outside/secret: path has a ".." component (member 1, byte 0)')
    got, why, _ = extract_into_dest(world, archive(*ESCAPES["duplicated file"]))
    assert (got, why) == (-errno.EEXIST, "f: cannot create: File exists")
    got, why, _ = extract_into_dest(world, archive(*ESCAPES["a file replacing a directory"]))
    assert (got, why) == (-errno.EEXIST, "d: cannot create: File exists")
    got, why, _ = extract_into_dest(world, archive(*ESCAPES["a directory member over a file"]))
    assert (got, why) == (-errno.ENOTDIR, "f: cannot create: Not a directory")
    got, why, _ = extract_into_dest(world, archive(*ESCAPES["a directory member over a symlink to outside"]))
    assert (got, why) == (-errno.ENOTDIR, "s: cannot create: Not a directory")
    got, why, _ = extract_into_dest(world, archive(*ESCAPES["hard link to an absolute path outside"]))
    assert got == -errno.ENOENT and why.startswith("h: cannot create")


# ---------------------------------------------------------------- corrupted archives

BASE_ARCHIVE = archive(("dir", "dir", None), ("dir/file", "file", bytes(range(256)) * 3),
                       ("dir/" + "long" * 40, "file", b"long name"), ("dir/link", "symlink", "file"),
                       ("hard", "hardlink", "dir/file"), ("empty", "file", b""))
FUZZ = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@st.composite
def corrupted(draw) -> bytes:
    data = bytearray(BASE_ARCHIVE)
    for _ in range(draw(st.integers(1, 6))):
        how = draw(st.sampled_from(["flip", "byte", "digits"]))
        at = draw(st.integers(0, len(data) - 1))
        if how == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "byte":
            data[at] = draw(st.sampled_from([0, 0x20, 0x2F, 0x2E, 0x37, 0x80, 0xFF]))
        else:
            digits = draw(st.sampled_from([b"77777777777", b"00000000000", b"99999999999", b"-1", b"\xff" * 8]))
            data[at:at + len(digits)] = digits
    keep_checksums = draw(st.booleans())
    if keep_checksums:  # refresh every header's checksum, so the damage reaches the field parsers
        for off in range(0, len(data) - 511, 512):
            if data[off + 257:off + 262] == b"ustar":
                data[off + 148:off + 156] = b" " * 8
                data[off + 148:off + 156] = b"%06o\0 " % sum(data[off:off + 512])
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return bytes(data[:cut] if cut is not None else data)


def reason(r) -> bytes:
    """The reader's error text (names come from the archive, so not necessarily UTF-8)."""
    return memory.read(addr(r.error).address, int(r.error_len))


@FUZZ
@given(data=corrupted())
def test_corrupted_archives_parse_or_fail_cleanly(machine, data):
    r = load(data)
    m = tar.TarMember()
    got = 1
    for _ in range(len(data) // 512 + 2):  # each member takes at least one block
        got = int(tar.next_member(addr(r), addr(m)))
        if got <= 0:
            break
    assert got == 0 or (got in KERNEL_ERRORS and reason(r))
    r = load(data)
    sink = tar.TarSink()
    made = []

    def refuse(*args):
        made.append(args)
        return -errno.EROFS
    for op in ("mkdir", "create_file", "symlink", "hardlink", "remove"):
        setattr(sink, op, refuse)
    got = int(tar.extract(addr(r), addr(sink)))
    if got >= 0:  # nothing to create (no members, or only devices), so the sink was never asked
        assert not made
    else:  # the archive is refused, or the sink is
        assert got in KERNEL_ERRORS and reason(r)
        assert (got == -errno.EROFS) == bool(made)


@settings(FUZZ, max_examples=10)
@given(data=corrupted())
def test_corrupted_archives_extract_all_or_nothing(world, data):
    extract_into_dest(world, data)
