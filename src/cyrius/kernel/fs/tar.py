"""tar archives: a parser over an archive in memory, and an all-or-nothing extractor.

The host shell's `tar ARCHIVE [DEST]` unpacks OCI bundle tarballs with these. The parser hands out
members one by one (next_member). The extractor (extract) first parses the whole archive to
validate it, and only then creates its members through a TarSink, a table of functions the caller
connects to a filesystem. If creating anything fails, everything this extraction created is
removed again: a corrupt archive or a full disk leaves no half-extracted tree behind.

Formats: ustar (name + prefix), pax (`x` extended headers for one member, `g` global ones whose
mtime, uid and gid become defaults), GNU (`L`/`K` long names and link targets, base-256 numbers).
Member types: regular files ('0', '\\0', '7'), hard links '1', symlinks '2', directories '5'.
Character and block devices and FIFOs ('3', '4', '6') are reported as TAR_DEVICE and skipped by
extract: a container's /dev comes from devfs. Any other type (GNU sparse 'S', multi-volume 'M',
volume label 'V', ...) rejects the archive, because extracting it as a plain file would be wrong.

Where archivers differ, this one:
* verifies every header checksum, as the unsigned byte sum POSIX specifies or the signed one some
  old tars wrote;
* ends the archive at the first zero block, and accepts an archive that stops at a block boundary
  without its two zero blocks (GNU tar accepts it too, with a warning);
* strips leading "/" and "./" from member paths, and "." components and repeated or trailing
  slashes anywhere. It refuses any path with a ".." component, as GNU tar does, whether or not it
  climbs out: "a/../b" is harmless only if "a" is not a symlink, which a parser cannot know;
* keeps symlink targets verbatim: they are resolved later, inside the container's root;
* lets pax records override GNU long names, and both override the ustar header; when two
  extension headers set the same thing for one member, the later one wins. A global pax header
  that sets path, linkpath or size (one value for every member) is refused, and so is an empty
  value (which POSIX uses to delete a keyword; no archiver here writes one). pax has no mode
  keyword: the mode always comes from the header, masked to the permission bits (0o7777).
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import fmt_u64, memcpy, strlen, strnlen

from .. import errno
from ..mm.heap import kalloc, kfree

BLOCK: Final = 512
NAME_CAP: Final = 4096  # member paths and link targets: up to 4095 bytes and a NUL
NAME_MAX: Final = 255  # longest path component
ERROR_CAP: Final = 512
NAME_SHOWN: Final = 200  # longest name quoted in an error message

# Header fields (offset, and width where a field has one).
NAME_AT: Final = 0
NAME_WIDTH: Final = 100
MODE_AT: Final = 100
UID_AT: Final = 108
GID_AT: Final = 116
SIZE_AT: Final = 124
MTIME_AT: Final = 136
CHKSUM_AT: Final = 148
TYPE_AT: Final = 156
LINK_AT: Final = 157
MAGIC_AT: Final = 257
PREFIX_AT: Final = 345
PREFIX_WIDTH: Final = 155

# Member kinds.
TAR_FILE: Final = 1
TAR_HARDLINK: Final = 2
TAR_SYMLINK: Final = 3
TAR_DIR: Final = 4
TAR_DEVICE: Final = 5  # character or block device, or FIFO: parsed, not extracted

# What extension headers set: TarReader.pending (this member) and TarReader.defaults (global).
HAVE_PATH: Final = 1
HAVE_LINK: Final = 2
HAVE_SIZE: Final = 4
HAVE_MTIME: Final = 8
HAVE_UID: Final = 16
HAVE_GID: Final = 32

I64_MAX: Final = 0x7FFFFFFFFFFFFFFF
SLASH: Final = 0x2F
DOT: Final = 0x2E


@struct
class TarMember:
    kind: u32  # TAR_*
    mode: u32  # permission bits (0o7777)
    uid: u32
    gid: u32
    mtime: i64  # seconds since the epoch; pax fractions are dropped
    size: u64  # bytes of data; 0 unless kind is TAR_FILE
    data: Ptr[u8]  # the data, inside the archive
    path_len: usize
    path: Array[u8, NAME_CAP]  # normalized (see the module docstring), NUL-terminated
    link_len: usize
    link: Array[u8, NAME_CAP]  # hard link: a normalized member path; symlink: the target verbatim


@struct
class TarReader:
    archive: Ptr[u8]
    size: usize
    offset: usize  # of the next header
    members: u32  # handed out so far
    skipped: u32  # TAR_DEVICE members extract() left out
    pending: u32  # HAVE_* set by the current member's extension headers (values are in the member)
    defaults: u32  # HAVE_MTIME/UID/GID set by global pax headers
    default_mtime: i64
    default_uid: u32
    default_gid: u32
    error_len: usize
    error: Array[u8, ERROR_CAP]  # why the last call failed, NUL-terminated


@struct
class TarSink:
    """Where extract() creates members.

    Every path is relative to the destination, normalized, never empty and NUL-terminated at
    path[len]; so is a symlink target (kept verbatim). A hard link's target is the path of a
    member extracted earlier. The sink must resolve paths with the destination as the root, so
    that symlinks from the archive cannot lead outside it. File data points into the archive and
    is valid only during the call. Each function returns 0, or -errno having left nothing behind
    (extract undoes only what succeeded). None may replace anything: a path that exists gives
    -EEXIST, except that mkdir gives -ENOTDIR when what exists is not a directory (nor a symlink to
    one); extract accepts -EEXIST from mkdir only, and the directory keeps its mode. `remove`
    undoes any of the others: unlink, or rmdir of a directory (empty by then). The sink's
    functions get the sink itself first, to reach `private`."""
    mkdir: Callable[[Ptr["TarSink"], Ptr[u8], usize, u32], i64]  # (sink, path, len, mode)
    # (sink, path, len, mode, data, size, mtime: the member's, in seconds since the epoch)
    create_file: Callable[[Ptr["TarSink"], Ptr[u8], usize, u32, Ptr[u8], u64, i64], i64]
    symlink: Callable[[Ptr["TarSink"], Ptr[u8], usize, Ptr[u8], usize], i64]  # (sink, path, len, target, tlen)
    hardlink: Callable[[Ptr["TarSink"], Ptr[u8], usize, Ptr[u8], usize], i64]  # (sink, path, len, target, tlen)
    remove: Callable[[Ptr["TarSink"], Ptr[u8], usize], i64]
    private: Ptr[None]  # the sink's own data


@struct
class UndoLog:
    """The paths one extraction created, oldest first: each as its bytes, a NUL and its length in
    two little-endian bytes, so the log can be walked backwards."""
    buf: Ptr[u8]
    used: usize
    cap: usize


def init_reader(r: Ptr[TarReader], archive: Ptr[u8], size: usize) -> None:
    """Start reading the `size`-byte archive at `archive` from its first member."""
    r.archive = archive
    r.size = size
    r.offset = 0
    r.members = 0
    r.skipped = 0
    r.pending = 0
    r.defaults = 0
    r.error_len = 0
    r.error[0] = 0


# ---------------------------------------------------------------- error messages

def say_bytes(r: Ptr[TarReader], text: Ptr[u8], length: usize) -> None:
    """Append to r.error, cut at its capacity; control characters from the archive become '?'."""
    for i in range(length):
        if r.error_len + 1 >= ERROR_CAP:
            break
        c: u8 = text[i]
        if c < ord(" ") or c == 0x7F:
            c = ord("?")
        r.error[r.error_len] = c
        r.error_len += 1
    r.error[r.error_len] = 0


def say(r: Ptr[TarReader], text: Ptr[u8]) -> None:
    say_bytes(r, text, strlen(text))


def say_name(r: Ptr[TarReader], name: Ptr[u8], length: usize) -> None:
    if length <= NAME_SHOWN:
        say_bytes(r, name, length)
        return
    say_bytes(r, name, usize(NAME_SHOWN))
    say(r, b"...")


def say_number(r: Ptr[TarReader], value: u64) -> None:
    digits: Array[u8, 24] = Array[u8, 24]()
    n: usize = fmt_u64(addr(digits), usize(len(digits)), value, u32(10), u32(0), u8(0x20))
    say_bytes(r, addr(digits), n)


def fail(r: Ptr[TarReader], err: i64, name: Ptr[u8], length: usize, why: Ptr[u8]) -> i64:
    """Record "NAME: WHY (member N, byte OFFSET)" as the reason for err, and return err."""
    r.error_len = 0
    say_name(r, name, length)
    say(r, b": ")
    say(r, why)
    say(r, b" (member ")
    say_number(r, u64(r.members + 1))
    say(r, b", byte ")
    say_number(r, u64(r.offset))
    say(r, b")")
    return err


def fail_header(r: Ptr[TarReader], err: i64, h: Ptr[u8], why: Ptr[u8]) -> i64:
    """fail(), naming the member by the name field of header h (which may be cut short)."""
    room: usize = r.size - (cast(usize, h) - cast(usize, r.archive))
    width: usize = usize(NAME_WIDTH) if room > NAME_WIDTH else room
    return fail(r, err, h + NAME_AT, strnlen(h + NAME_AT, width), why)


def fail_extension(r: Ptr[TarReader], err: i64, size: u64, why: Ptr[u8]) -> i64:
    """fail() for the extension header at r.offset with `size` bytes of data. Its own name is
    often just "././@PaxHeader", so the member is named by the header that follows if intact."""
    after: usize = r.offset + BLOCK + usize(round_up(size))
    if after + BLOCK <= r.size and checksum_ok(r.archive + after):
        return fail_header(r, err, r.archive + after, why)
    return fail_header(r, err, r.archive + r.offset, why)


# ---------------------------------------------------------------- header fields

def round_up(size: u64) -> u64:
    return (size + BLOCK - 1) // BLOCK * BLOCK


def fits(r: Ptr[TarReader], size: u64) -> bool:
    """Whether `size` bytes of data, padded to whole blocks, follow the header at r.offset."""
    room: u64 = u64(r.size - r.offset - BLOCK)
    return size <= room and round_up(size) <= room


def is_zero_block(h: Ptr[u8]) -> bool:
    for i in range(BLOCK):
        if h[i] != 0:
            return False
    return True


def is_digit(c: u8) -> bool:
    return c >= ord("0") and c <= ord("9")


def read_base256(field: Ptr[u8], width: usize, out: Ptr[i64]) -> bool:
    """GNU base-256: big-endian bytes after a lead byte of 0x80 (positive) or 0xFF (negative, two's
    complement). False if the value does not fit in 64 bits."""
    sign: u64 = 0 if field[0] == 0x80 else 0x1FF
    value: u64 = 0 if field[0] == 0x80 else 0xFFFFFFFFFFFFFFFF
    for i in range(usize(1), width):
        if (value >> 55) != sign:  # the shift would lose bits that are not copies of the sign
            return False
        value = (value << 8) | u64(field[i])
    out[0] = i64(value)
    return True


def read_number(field: Ptr[u8], width: usize, out: Ptr[i64]) -> bool:
    """A numeric header field: octal digits between optional spaces, ended by a NUL or the field's
    end (all blank reads as 0), or base-256. False if malformed."""
    if field[0] == 0x80 or field[0] == 0xFF:
        return read_base256(field, width, out)
    i: usize = 0
    while i < width and field[i] == ord(" "):
        i += 1
    octal: u64 = 0  # at most 12 digits: no overflow
    while i < width and field[i] >= ord("0") and field[i] <= ord("7"):
        octal = octal * 8 + u64(field[i] - 0x30)
        i += 1
    while i < width and field[i] == ord(" "):
        i += 1
    if i < width and field[i] != 0:
        return False
    out[0] = i64(octal)
    return True


def checksum_ok(h: Ptr[u8]) -> bool:
    """The header's bytes add up to its checksum field, the field itself counting as eight
    spaces: as unsigned bytes, as POSIX says, or as signed ones, as some old tars summed them."""
    stored: Array[i64, 1] = Array[i64, 1]()
    if not read_number(h + CHKSUM_AT, usize(8), addr(stored)):
        return False
    total: i64 = 0
    high: i64 = 0  # bytes >= 0x80, which add 256 less each to the signed sum
    for i in range(BLOCK):
        c: u8 = h[i]
        total += i64(c)
        if c >= 0x80:
            high += 1
    for i in range(CHKSUM_AT, CHKSUM_AT + 8):  # the field itself counts as eight spaces
        total += 0x20 - i64(h[i])
        if h[i] >= 0x80:
            high -= 1
    return stored[0] == total or stored[0] == total - 256 * high


def kind_of(flag: u8) -> u32:
    """The TAR_* kind of a typeflag, or 0 for one this reader does not handle."""
    if flag == 0x30 or flag == 0 or flag == 0x37:  # '7' is a contiguous file: a regular one
        return TAR_FILE
    if flag == 0x31:
        return TAR_HARDLINK
    if flag == 0x32:
        return TAR_SYMLINK
    if flag == 0x35:
        return TAR_DIR
    if flag == 0x33 or flag == 0x34 or flag == 0x36:
        return TAR_DEVICE
    return 0


def is_extension(flag: u8) -> bool:
    """GNU long name 'L', long link 'K'; pax per-member 'x' and global 'g' headers."""
    return flag == 0x4C or flag == 0x4B or flag == 0x78 or flag == 0x67


def copy_field(src: Ptr[u8], width: usize, dst: Ptr[u8]) -> usize:
    """A NUL-padded text field (possibly filling its whole width) as a C string; its length."""
    n: usize = strnlen(src, width)
    memcpy(cast(Ptr[None], dst), cast(Ptr[None], src), n)
    dst[n] = 0
    return n


def ustar_name(h: Ptr[u8], dst: Ptr[u8]) -> usize:
    """The name field, behind the prefix field and a slash when this is a POSIX ustar header
    (magic "ustar\\0"): GNU headers use those bytes for other things."""
    n: usize = 0
    posix: bool = same_word(h + MAGIC_AT, usize(5), b"ustar") and h[MAGIC_AT + 5] == 0
    if posix and h[PREFIX_AT] != 0:
        n = copy_field(h + PREFIX_AT, usize(PREFIX_WIDTH), dst)
        dst[n] = SLASH
        n += 1
    return n + copy_field(h + NAME_AT, usize(NAME_WIDTH), dst + n)


# ---------------------------------------------------------------- paths

def check_path(path: Ptr[u8], length: usize) -> i64:
    """The length `path` will have once normalized, or -EINVAL for a ".." component, or
    -ENAMETOOLONG for a component longer than NAME_MAX."""
    total: usize = 0
    start: usize = 0
    for i in range(length + 1):
        if i < length and path[i] != SLASH:
            continue
        n: usize = i - start
        start = i + 1
        if n == 0 or (n == 1 and path[i - 1] == DOT):
            continue
        if n == 2 and path[i - 2] == DOT and path[i - 1] == DOT:
            return -errno.EINVAL
        if n > NAME_MAX:
            return -errno.ENAMETOOLONG
        if total > 0:
            total += 1
        total += n
    return i64(total)


def normalize(path: Ptr[u8], length: usize) -> usize:
    """Rewrite a path check_path() accepted without empty or "." components, in place (the
    output never overtakes the input); its new length."""
    out: usize = 0
    i: usize = 0
    while i < length:
        while i < length and path[i] == SLASH:
            i += 1
        start: usize = i
        while i < length and path[i] != SLASH:
            i += 1
        n: usize = i - start
        if n == 0 or (n == 1 and path[start] == DOT):
            continue
        if out > 0:
            path[out] = SLASH
            out += 1
        for k in range(n):
            path[out + k] = path[start + k]
        out += n
    path[out] = 0
    return out


# ---------------------------------------------------------------- extension headers

def same_word(key: Ptr[u8], length: usize, word: Ptr[u8]) -> bool:
    if length != strlen(word):
        return False
    for i in range(length):
        if key[i] != word[i]:
            return False
    return True


def pax_keyword(key: Ptr[u8], length: usize) -> u32:
    """The HAVE_* bit a pax keyword sets, or 0 for one that does not matter here."""
    if same_word(key, length, b"path"):
        return HAVE_PATH
    if same_word(key, length, b"linkpath"):
        return HAVE_LINK
    if same_word(key, length, b"size"):
        return HAVE_SIZE
    if same_word(key, length, b"mtime"):
        return HAVE_MTIME
    if same_word(key, length, b"uid"):
        return HAVE_UID
    if same_word(key, length, b"gid"):
        return HAVE_GID
    return 0


def read_decimal(s: Ptr[u8], n: usize, is_time: bool, out: Ptr[i64]) -> bool:
    """A pax number: decimal digits, for times with an optional '-' and a fraction (dropped,
    which truncates toward zero). False if malformed or beyond i64."""
    i: usize = 0
    negative: bool = False
    if is_time and n > 0 and s[0] == ord("-"):
        negative = True
        i = 1
    start: usize = i
    value: u64 = 0
    while i < n and is_digit(s[i]):
        digit: u64 = u64(s[i] - 0x30)
        if value > (I64_MAX - digit) // 10:
            return False
        value = value * 10 + digit
        i += 1
    if i == start:
        return False
    if is_time and i < n and s[i] == DOT:
        i += 1
        while i < n and is_digit(s[i]):
            i += 1
    if i != n:
        return False
    out[0] = -i64(value) if negative else i64(value)
    return True


def apply_pax(r: Ptr[TarReader], m: Ptr[TarMember], size: u64, key: Ptr[u8], key_len: usize, value: Ptr[u8],
              value_len: usize, is_global: bool) -> i64:
    """One pax record, for the member being read or (is_global) as a default for all."""
    if key_len > 11 and same_word(key, usize(11), b"GNU.sparse."):
        return fail_extension(r, -errno.EOPNOTSUPP, size, b"sparse files are not supported")
    which: u32 = pax_keyword(key, key_len)
    if which == 0:
        return 0
    if is_global and (which == HAVE_PATH or which == HAVE_LINK or which == HAVE_SIZE):
        return fail_extension(r, -errno.EOPNOTSUPP, size, b"global pax header sets a path, link or size")
    if value_len == 0:
        return fail_extension(r, -errno.EINVAL, size, b"empty pax value")
    if which == HAVE_PATH or which == HAVE_LINK:
        if value_len >= NAME_CAP:
            return fail_extension(r, -errno.ENAMETOOLONG, size, b"pax path longer than 4095 bytes")
        if strnlen(value, value_len) != value_len:
            return fail_extension(r, -errno.EINVAL, size, b"pax path contains a NUL byte")
        if which == HAVE_PATH:
            m.path_len = copy_field(value, value_len, addr(m.path))
        else:
            m.link_len = copy_field(value, value_len, addr(m.link))
        r.pending |= which
        return 0
    number: Array[i64, 1] = Array[i64, 1]()
    if not read_decimal(value, value_len, which == HAVE_MTIME, addr(number)):
        return fail_extension(r, -errno.EINVAL, size, b"bad number in pax header")
    v: i64 = number[0]
    if (which == HAVE_UID or which == HAVE_GID) and v > 0xFFFFFFFF:
        return fail_extension(r, -errno.EINVAL, size, b"pax uid or gid out of range")
    if is_global:
        r.defaults |= which
        if which == HAVE_MTIME:
            r.default_mtime = v
        elif which == HAVE_UID:
            r.default_uid = u32(v)
        else:
            r.default_gid = u32(v)
        return 0
    r.pending |= which
    if which == HAVE_SIZE:
        m.size = u64(v)
    elif which == HAVE_MTIME:
        m.mtime = v
    elif which == HAVE_UID:
        m.uid = u32(v)
    else:
        m.gid = u32(v)
    return 0


def read_pax(r: Ptr[TarReader], m: Ptr[TarMember], data: Ptr[u8], size: u64, is_global: bool) -> i64:
    """pax records: "LENGTH KEYWORD=VALUE\\n", LENGTH counting the whole record in bytes."""
    n: usize = usize(size)
    pos: usize = 0
    while pos < n:
        p: usize = pos
        length: usize = 0
        while p < n and is_digit(data[p]) and length <= n:  # stops long before any overflow
            length = length * 10 + usize(data[p] - 0x30)
            p += 1
        if p == pos or p == n or data[p] != ord(" "):
            return fail_extension(r, -errno.EINVAL, size, b"bad pax record length")
        # The shortest record is "LENGTH k=\n": the length field must land on that record's newline.
        if length > n - pos or length < p - pos + 4 or data[pos + length - 1] != ord("\n"):
            return fail_extension(r, -errno.EINVAL, size, b"pax record length does not match the record")
        end: usize = pos + length - 1
        key: usize = p + 1
        eq: usize = key
        while eq < end and data[eq] != ord("="):
            eq += 1
        if eq == key or eq == end:
            return fail_extension(r, -errno.EINVAL, size, b"pax record without a keyword")
        err: i64 = apply_pax(r, m, size, data + key, eq - key, data + eq + 1, end - eq - 1, is_global)
        if err < 0:
            return err
        pos += length
    return 0


def read_long_name(r: Ptr[TarReader], data: Ptr[u8], size: u64, dst: Ptr[u8]) -> i64:
    """A GNU 'L' or 'K' header's data: the name and usually a NUL. Its length, or -errno."""
    n: usize = strnlen(data, usize(size))
    if n >= NAME_CAP:
        return fail_extension(r, -errno.ENAMETOOLONG, size, b"GNU long name longer than 4095 bytes")
    return i64(copy_field(data, n, dst))


def read_extension(r: Ptr[TarReader], m: Ptr[TarMember], h: Ptr[u8], size: u64) -> i64:
    flag: u8 = h[TYPE_AT]
    data: Ptr[u8] = h + BLOCK
    if flag == 0x78:
        return read_pax(r, m, data, size, False)
    if flag == 0x67:
        return read_pax(r, m, data, size, True)
    dst: Ptr[u8] = addr(m.path) if flag == 0x4C else addr(m.link)
    got: i64 = read_long_name(r, data, size, dst)
    if got < 0:
        return got
    if flag == 0x4C:
        m.path_len = usize(got)
        r.pending |= HAVE_PATH
    else:
        m.link_len = usize(got)
        r.pending |= HAVE_LINK
    return 0


# ---------------------------------------------------------------- members

def read_header(r: Ptr[TarReader], h: Ptr[u8], m: Ptr[TarMember]) -> i64:
    """Finish the member whose own (not extension) header is h, at r.offset."""
    kind: u32 = kind_of(h[TYPE_AT])
    if kind == 0:
        return fail_header(r, -errno.EOPNOTSUPP, h, b"unsupported member type")
    mode: Array[i64, 1] = Array[i64, 1]()
    uid: Array[i64, 1] = Array[i64, 1]()
    gid: Array[i64, 1] = Array[i64, 1]()
    mtime: Array[i64, 1] = Array[i64, 1]()
    size: Array[i64, 1] = Array[i64, 1]()
    if not read_number(h + MODE_AT, usize(8), addr(mode)) or mode[0] < 0:
        return fail_header(r, -errno.EINVAL, h, b"bad mode field")
    if not read_number(h + UID_AT, usize(8), addr(uid)) or uid[0] < 0 or uid[0] > 0xFFFFFFFF:
        return fail_header(r, -errno.EINVAL, h, b"bad uid field")
    if not read_number(h + GID_AT, usize(8), addr(gid)) or gid[0] < 0 or gid[0] > 0xFFFFFFFF:
        return fail_header(r, -errno.EINVAL, h, b"bad gid field")
    if not read_number(h + MTIME_AT, usize(12), addr(mtime)):
        return fail_header(r, -errno.EINVAL, h, b"bad mtime field")
    if not read_number(h + SIZE_AT, usize(12), addr(size)) or size[0] < 0:
        return fail_header(r, -errno.EINVAL, h, b"bad size field")

    # Per-member extension values are already in m; global pax values come next, then the header.
    m.mode = u32(mode[0]) & 0o7777
    if (r.pending & HAVE_UID) == 0:
        m.uid = r.default_uid if (r.defaults & HAVE_UID) != 0 else u32(uid[0])
    if (r.pending & HAVE_GID) == 0:
        m.gid = r.default_gid if (r.defaults & HAVE_GID) != 0 else u32(gid[0])
    if (r.pending & HAVE_MTIME) == 0:
        m.mtime = r.default_mtime if (r.defaults & HAVE_MTIME) != 0 else mtime[0]
    if (r.pending & HAVE_SIZE) == 0:
        m.size = u64(size[0])
    if (r.pending & HAVE_PATH) == 0:
        m.path_len = ustar_name(h, addr(m.path))
    if (r.pending & HAVE_LINK) == 0:
        m.link_len = copy_field(h + LINK_AT, usize(NAME_WIDTH), addr(m.link))
    path: Ptr[u8] = addr(m.path)
    if kind == TAR_FILE and m.path_len > 0 and path[m.path_len - 1] == SLASH:
        kind = TAR_DIR  # old tars marked directories with a trailing slash only
    if kind != TAR_FILE:
        m.size = 0  # POSIX: no data follows links, directories and devices, whatever size says

    if not fits(r, m.size):
        return fail(r, -errno.EINVAL, path, m.path_len, b"data runs past the end of the archive")
    length: i64 = check_path(path, m.path_len)
    if length == -errno.EINVAL:
        return fail(r, length, path, m.path_len, b"path has a \"..\" component")
    if length == -errno.ENAMETOOLONG:
        return fail(r, length, path, m.path_len, b"path component longer than 255 bytes")
    if length == 0 and kind != TAR_DIR:
        return fail(r, -errno.EINVAL, path, m.path_len, b"only a directory may name the destination itself")
    if kind == TAR_HARDLINK:
        target: i64 = check_path(addr(m.link), m.link_len)
        if target == -errno.EINVAL:
            return fail(r, target, path, m.path_len, b"hard link target has a \"..\" component")
        if target == -errno.ENAMETOOLONG:
            return fail(r, target, path, m.path_len, b"hard link target component longer than 255 bytes")
        if target == 0:
            return fail(r, -errno.EINVAL, path, m.path_len, b"hard link without a target")
        m.link_len = normalize(addr(m.link), m.link_len)
    if kind == TAR_SYMLINK and m.link_len == 0:
        return fail(r, -errno.EINVAL, path, m.path_len, b"symlink without a target")

    m.path_len = normalize(path, m.path_len)
    m.kind = kind
    m.data = h + BLOCK
    r.offset += BLOCK + usize(round_up(m.size))
    r.members += 1
    return 1


def next_member(r: Ptr[TarReader], m: Ptr[TarMember]) -> i64:
    """Read the next member into m: 1, or 0 at the end of the archive, or -errno with r.error
    naming the member and saying what is wrong with it."""
    r.pending = 0
    m.path_len = 0
    m.link_len = 0
    extension: Ptr[u8] = NULL  # the last extension header read for this member
    while True:
        left: usize = r.size - r.offset
        h: Ptr[u8] = r.archive + r.offset
        if left == 0 or (left >= BLOCK and is_zero_block(h)):
            if extension != NULL:
                return fail_header(r, -errno.EINVAL, extension, b"extension header without a member")
            return 0
        if left < BLOCK:
            return fail_header(r, -errno.EINVAL, h, b"truncated header")
        if not checksum_ok(h):
            return fail_header(r, -errno.EINVAL, h, b"bad header checksum")
        if not is_extension(h[TYPE_AT]):
            return read_header(r, h, m)
        size: Array[i64, 1] = Array[i64, 1]()
        if not read_number(h + SIZE_AT, usize(12), addr(size)) or size[0] < 0:
            return fail_header(r, -errno.EINVAL, h, b"bad size field")
        if not fits(r, u64(size[0])):
            return fail_header(r, -errno.EINVAL, h, b"extension header runs past the end of the archive")
        err: i64 = read_extension(r, m, h, u64(size[0]))
        if err < 0:
            return err
        extension = h
        r.offset += BLOCK + usize(round_up(u64(size[0])))


# ---------------------------------------------------------------- extraction

def fail_extract(r: Ptr[TarReader], err: i64, path: Ptr[u8], length: usize) -> i64:
    """Record "PATH: cannot create: STRERROR" as the reason for err, and return err."""
    r.error_len = 0
    say_name(r, path, length)
    say(r, b": cannot create: ")
    say(r, errno.message(err))
    return err


def reserve(log: Ptr[UndoLog], length: usize) -> bool:
    """Room to record a path of `length` bytes. Taken before the path is created, so that
    whatever is created can be recorded, and removed if a later member fails."""
    need: usize = log.used + length + 3
    if need <= log.cap:
        return True
    cap: usize = log.cap * 2 if log.cap > 0 else usize(4096)
    while cap < need:
        cap *= 2
    bigger: Ptr[u8] = cast(Ptr[u8], kalloc(cap))
    if bigger == NULL:
        return False
    if log.used > 0:
        memcpy(cast(Ptr[None], bigger), cast(Ptr[None], log.buf), log.used)
    kfree(cast(Ptr[None], log.buf))
    log.buf = bigger
    log.cap = cap
    return True


def record(log: Ptr[UndoLog], path: Ptr[u8], length: usize) -> None:
    end: Ptr[u8] = log.buf + log.used
    memcpy(cast(Ptr[None], end), cast(Ptr[None], path), length)
    end[length] = 0
    end[length + 1] = u8(length)
    end[length + 2] = u8(length >> 8)
    log.used += length + 3


def undo(r: Ptr[TarReader], sink: Ptr[TarSink], log: Ptr[UndoLog]) -> None:
    """Remove what this extraction created, newest first, so each directory is empty by its turn."""
    left_behind: u64 = 0
    end: usize = log.used
    while end > 0:
        length: usize = usize(log.buf[end - 2]) | (usize(log.buf[end - 1]) << 8)
        start: usize = end - 3 - length
        if sink.remove(sink, log.buf + start, length) < 0:
            left_behind += 1
        end = start
    if left_behind > 0:
        say(r, b"; could not remove ")
        say_number(r, left_behind)
        say(r, b" of the paths created")


def make_dir(r: Ptr[TarReader], sink: Ptr[TarSink], log: Ptr[UndoLog], path: Ptr[u8], length: usize,
             mode: u32) -> i64:
    if not reserve(log, length):
        return fail_extract(r, -errno.ENOMEM, path, length)
    err: i64 = sink.mkdir(sink, path, length, mode)
    if err == -errno.EEXIST:
        return 0  # there before this extraction (it keeps its mode), or made for an earlier member
    if err < 0:
        return fail_extract(r, err, path, length)
    record(log, path, length)
    return 0


def make_parents(r: Ptr[TarReader], sink: Ptr[TarSink], log: Ptr[UndoLog], m: Ptr[TarMember]) -> i64:
    """Create the directories leading to m.path that do not exist yet: archives may leave them out."""
    path: Ptr[u8] = addr(m.path)
    for i in range(m.path_len):
        if path[i] != SLASH:
            continue
        path[i] = 0  # the sink gets the parent as a NUL-terminated path of its own
        err: i64 = make_dir(r, sink, log, path, i, u32(0o755))
        path[i] = SLASH
        if err < 0:
            return err
    return 0


def make_member(r: Ptr[TarReader], sink: Ptr[TarSink], log: Ptr[UndoLog], m: Ptr[TarMember]) -> i64:
    path: Ptr[u8] = addr(m.path)
    length: usize = m.path_len
    if m.kind == TAR_DIR:
        if length == 0:
            return 0  # "./": the destination itself, which exists
        return make_dir(r, sink, log, path, length, m.mode)
    if not reserve(log, length):
        return fail_extract(r, -errno.ENOMEM, path, length)
    err: i64 = 0
    if m.kind == TAR_FILE:
        err = sink.create_file(sink, path, length, m.mode, m.data, m.size, m.mtime)
    elif m.kind == TAR_SYMLINK:
        err = sink.symlink(sink, path, length, addr(m.link), m.link_len)
    else:
        err = sink.hardlink(sink, path, length, addr(m.link), m.link_len)
    if err < 0:
        return fail_extract(r, err, path, length)
    record(log, path, length)
    return 0


def extract_members(r: Ptr[TarReader], sink: Ptr[TarSink], log: Ptr[UndoLog], m: Ptr[TarMember]) -> i64:
    while True:
        got: i64 = next_member(r, m)
        if got <= 0:
            return got
        if m.kind == TAR_DEVICE:
            r.skipped += 1
            continue
        err: i64 = make_parents(r, sink, log, m)
        if err == 0:
            err = make_member(r, sink, log, m)
        if err < 0:
            return err


def extract(r: Ptr[TarReader], sink: Ptr[TarSink]) -> i64:
    """Validate the archive r was started on, then create its members through sink. Returns the
    number of members extracted, or -errno with r.error saying why; after a failure nothing this
    call created remains (r.error says so if the sink could not remove something)."""
    m: Ptr[TarMember] = cast(Ptr[TarMember], kalloc(usize(sizeof(TarMember))))  # too big for a stack
    if m == NULL:
        r.error_len = 0
        say(r, errno.message(-errno.ENOMEM))
        return -errno.ENOMEM
    got: i64 = 1
    while got > 0:
        got = next_member(r, m)
    if got == 0:
        init_reader(r, r.archive, r.size)
        log: UndoLog = UndoLog()
        got = extract_members(r, sink, addr(log), m)
        if got < 0:
            undo(r, sink, addr(log))
        else:
            got = i64(r.members - r.skipped)
        kfree(cast(Ptr[None], log.buf))
    kfree(cast(Ptr[None], m))
    return got
