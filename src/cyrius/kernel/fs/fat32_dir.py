"""FAT directories: 32-byte entries, VFAT long names, 8.3 short names and DOS timestamps.

A directory is a cluster chain of 32-byte entries, addressed here by entry index. A name is a *set*
of consecutive entries: zero or more long-name (LFN) entries holding up to 13 UTF-16 units each,
last part first, then the 8.3 short entry that carries the attributes, the first cluster and the
size. Each LFN entry stores a checksum of the short name, so LFN entries orphaned by an old
implementation are recognised and ignored.

Names arrive from the VFS as UTF-8 and are kept as UTF-16 (`Name`). Lookups ignore ASCII case only
(other characters must match exactly) and match the long name or the short alias. Short names are
taken as ASCII, with bytes >= 0x80 read as Latin-1 (the OEM code page is not translated).
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, struct, u8, u16, u32, u64, usize
from cyrius.rt import memcmp, memcpy, memset

from .. import errno
from ..mm.heap import kalloc, kfree
from .fat32_disk import Chain, Volume, append, clear_cluster, cluster_at, cluster_byte, mark_dirty, sector

ENTRY_SHIFT: Final = 5  # 32-byte entries
MAX_ENTRIES: Final = 65536  # per directory (the FAT specification's limit)
ATTR_READ_ONLY: Final = 0x01
ATTR_VOLUME_ID: Final = 0x08
ATTR_DIRECTORY: Final = 0x10
ATTR_ARCHIVE: Final = 0x20
ATTR_LONG_NAME: Final = 0x0F  # read-only | hidden | system | volume id
ATTR_LONG_NAME_MASK: Final = 0x3F
ENTRY_DELETED: Final = 0xE5
ENTRY_KANJI_E5: Final = 0x05  # a short name really starting with byte 0xE5
LOWER_BASE: Final = 0x08  # Windows NT case flags: the base / extension is shown in lower case
LOWER_EXT: Final = 0x10
LFN_LAST: Final = 0x40
LFN_CHARS: Final = 13
LFN_MAX_ENTRIES: Final = 20
NAME_UNITS: Final = 255
NAME_CAP: Final = 260  # LFN_MAX_ENTRIES * LFN_CHARS
MAX_TAIL: Final = 65535  # numeric tails ~1 .. ~65535
SPACE: Final = 0x20
DOT: Final = 0x2E


@struct(packed=True)
class RawEntry:
    """A short (8.3) directory entry as it is on the disk."""
    name: Array[u8, 11]  # base padded with spaces, then extension padded with spaces
    attr: u8
    case: u8  # LOWER_BASE / LOWER_EXT
    ctime_tenth: u8
    ctime: u16
    cdate: u16
    adate: u16
    cluster_hi: u16
    mtime: u16
    mdate: u16
    cluster_lo: u16
    size: u32


@struct
class Name:
    len: u32  # UTF-16 units
    units: Array[u16, NAME_CAP]


@struct
class Slot:
    """A name found in a directory: its entries, its short entry and its name."""
    first: u32  # index of the set's first entry (an LFN entry, or the short entry itself)
    index: u32  # index of the short entry
    pos: u64  # disk byte offset of the short entry
    has_long: bool
    lfn_next: u32  # while collecting: order number the next LFN entry must have
    lfn_sum: u8
    entry: RawEntry
    name: Name  # the long name, or the short one ("NAME.EXT") when there is none


def entry_cluster(e: Ptr[RawEntry]) -> u32:
    return (u32(e.cluster_hi) << 16) | u32(e.cluster_lo)


def set_entry_cluster(e: Ptr[RawEntry], c: u32) -> None:
    e.cluster_hi = u16(c >> 16)
    e.cluster_lo = u16(c)


def is_dir_entry(e: Ptr[RawEntry]) -> bool:
    return (e.attr & ATTR_DIRECTORY) != 0


# ---------------------------------------------------------------- entry access

def entry_pos(v: Ptr[Volume], dir: Ptr[Chain], index: u32) -> i64:
    """Disk byte offset of entry `index`; 0 past the end of the chain, or -errno."""
    per_shift: u32 = v.cluster_shift - ENTRY_SHIFT
    c: i64 = cluster_at(v, dir, index >> per_shift)
    if c <= 0:
        return c
    within: u32 = index & ((u32(1) << per_shift) - 1)
    return i64(cluster_byte(v, u32(c)) + (u64(within) << ENTRY_SHIFT))


def step_pos(v: Ptr[Volume], dir: Ptr[Chain], index: u32, previous: i64) -> i64:
    """entry_pos of entry `index`, given that of entry index - 1 (0 when there is none): within a
    cluster the next entry is simply 32 bytes on, so sequential scans rarely touch the FAT."""
    per_mask: u32 = (u32(1) << (v.cluster_shift - ENTRY_SHIFT)) - 1
    if previous > 0 and (index & per_mask) != 0:
        return previous + 32
    return entry_pos(v, dir, index)


def load_entry(v: Ptr[Volume], pos: u64, out: Ptr[RawEntry]) -> i64:
    p: Ptr[u8] = sector(v, pos >> v.sector_shift, True)
    if p == NULL:
        return -errno.EIO
    memcpy(cast(Ptr[None], out), cast(Ptr[None], p + (pos & u64(v.sector_size - 1))), usize(32))
    return 0


def store_entry(v: Ptr[Volume], pos: u64, e: Ptr[RawEntry]) -> i64:
    lba: u64 = pos >> v.sector_shift
    p: Ptr[u8] = sector(v, lba, True)
    if p == NULL:
        return -errno.EIO
    memcpy(cast(Ptr[None], p + (pos & u64(v.sector_size - 1))), cast(Ptr[None], e), usize(32))
    mark_dirty(v, lba)
    return 0


# ---------------------------------------------------------------- names

def ascii_upper(u: u16) -> u16:
    if u >= 0x61 and u <= 0x7A:
        return u - 32
    return u


def same_name(a: Ptr[Name], b: Ptr[Name]) -> bool:
    """Equal apart from the case of ASCII letters."""
    if a.len != b.len:
        return False
    for i in range(a.len):
        x: u16 = a.units[i]
        y: u16 = b.units[i]
        if x != y and ascii_upper(x) != ascii_upper(y):
            return False
    return True


def exact_name(a: Ptr[Name], b: Ptr[Name]) -> bool:
    return a.len == b.len and memcmp(cast(Ptr[None], addr(a.units)), cast(Ptr[None], addr(b.units)),
                                     usize(a.len) * 2) == 0


def contains(set: Ptr[u8], u: u16) -> bool:
    """Is u one of the (ASCII) bytes of the NUL-terminated string `set`?"""
    i: u32 = 0
    while set[i] != 0:
        if u16(set[i]) == u:
            return True
        i += 1
    return False


def valid_long_name(n: Ptr[Name]) -> bool:
    """May a file be created with this name? No control characters, none of  " * / : < > ? \\ |,
    and no trailing dot or space (Windows would strip those, making two names one)."""
    if n.len == 0:
        return False
    for i in range(n.len):
        u: u16 = n.units[i]
        if u < 0x20 or contains(b"\"*/:<>?\\|", u):
            return False
    last: u16 = n.units[n.len - 1]
    return last != DOT and last != SPACE


def from_utf8(src: Ptr[u8], length: usize, out: Ptr[Name]) -> i64:
    """The UTF-16 form of a UTF-8 name: 0, -EINVAL for malformed UTF-8 or -ENAMETOOLONG."""
    n: u32 = 0
    i: usize = 0
    while i < length:
        lead: u32 = u32(src[i])
        extra: usize = 0
        cp: u32 = lead
        least: u32 = 0
        if lead >= 0xF0 and lead < 0xF8:
            extra = 3
            cp = lead & 0x07
            least = 0x10000
        elif lead >= 0xE0 and lead < 0xF0:
            extra = 2
            cp = lead & 0x0F
            least = 0x800
        elif lead >= 0xC0 and lead < 0xE0:
            extra = 1
            cp = lead & 0x1F
            least = 0x80
        elif lead >= 0x80:
            return -errno.EINVAL
        if extra >= length - i:
            return -errno.EINVAL
        for k in range(usize(1), extra + 1):
            more: u32 = u32(src[i + k])
            if (more & 0xC0) != 0x80:
                return -errno.EINVAL
            cp = (cp << 6) | (more & 0x3F)
        if cp < least or cp > 0x10FFFF or (cp >= 0xD800 and cp < 0xE000):
            return -errno.EINVAL  # overlong, out of range or a surrogate
        i += extra + 1
        units: u32 = 2 if cp >= 0x10000 else 1
        if n + units > NAME_UNITS:
            return -errno.ENAMETOOLONG
        if cp >= 0x10000:
            out.units[n] = u16(0xD800 + ((cp - 0x10000) >> 10))
            out.units[n + 1] = u16(0xDC00 + (cp & 0x3FF))
        else:
            out.units[n] = u16(cp)
        n += units
    out.len = n
    return 0


def to_utf8(name: Ptr[Name], dst: Ptr[u8], cap: usize) -> i64:
    """Write the name as UTF-8 (an unpaired surrogate becomes U+FFFD): its length, or
    -ENAMETOOLONG when it needs more than `cap` bytes."""
    n: usize = 0
    i: u32 = 0
    while i < name.len:
        cp: u32 = u32(name.units[i])
        i += 1
        if cp >= 0xD800 and cp < 0xDC00 and i < name.len and name.units[i] >= 0xDC00 \
                and name.units[i] < 0xE000:
            cp = 0x10000 + ((cp - 0xD800) << 10) + (u32(name.units[i]) - 0xDC00)
            i += 1
        elif cp >= 0xD800 and cp < 0xE000:
            cp = 0xFFFD
        size: usize = 1 if cp < 0x80 else (2 if cp < 0x800 else (3 if cp < 0x10000 else usize(4)))
        if n + size > cap:
            return -errno.ENAMETOOLONG
        if size == 1:
            dst[n] = u8(cp)
        else:
            lead: u32 = 0xC0 if size == 2 else (0xE0 if size == 3 else u32(0xF0))
            dst[n] = u8(lead | (cp >> (6 * u32(size - 1))))
            for k in range(usize(1), size):
                dst[n + k] = u8(0x80 | ((cp >> (6 * u32(size - 1 - k))) & 0x3F))
        n += size
    return i64(n)


def short_name(e: Ptr[RawEntry], out: Ptr[Name]) -> None:
    """The short name as "NAME.EXT", lowercased where the entry's NT case flags say so."""
    base_end: u32 = 8
    while base_end > 0 and e.name[base_end - 1] == SPACE:
        base_end -= 1
    ext_end: u32 = 11
    while ext_end > 8 and e.name[ext_end - 1] == SPACE:
        ext_end -= 1
    n: u32 = 0
    for k in range(base_end):
        c: u16 = u16(e.name[k])
        if k == 0 and c == ENTRY_KANJI_E5:
            c = 0xE5
        if (e.case & LOWER_BASE) != 0 and c >= ord("A") and c <= ord("Z"):
            c += 32
        out.units[n] = c
        n += 1
    if ext_end > 8:
        out.units[n] = DOT
        n += 1
        for k in range(u32(8), ext_end):
            c2: u16 = u16(e.name[k])
            if (e.case & LOWER_EXT) != 0 and c2 >= 0x41 and c2 <= 0x5A:
                c2 += 32
            out.units[n] = c2
            n += 1
    out.len = n


def short_char(u: u16) -> u8:
    """The 8.3 form of a character: letters uppercased; digits and the punctuation DOS allows kept;
    0 for anything else (the caller substitutes '_')."""
    up: u16 = ascii_upper(u)
    if (up >= 0x41 and up <= 0x5A) or (up >= 0x30 and up <= 0x39) or contains(b"$%'-_@~`!(){}^#&", up):
        return u8(up)
    return 0


def fits_short(name: Ptr[Name], e: Ptr[RawEntry]) -> bool:
    """Can the short entry alone hold this name? True for an 8.3 name made of short-name characters
    whose base and extension are each in one case; fills e.name and e.case."""
    if name.len == 0 or name.len > 12:
        return False
    dot: u32 = name.len
    for i in range(name.len):
        if name.units[i] == DOT:
            if dot != name.len:
                return False  # a second dot
            dot = i
    ext_len: u32 = name.len - dot - 1 if dot < name.len else u32(0)
    if dot == 0 or dot > 8 or ext_len > 3 or (dot < name.len and ext_len == 0):
        return False
    memset(cast(Ptr[None], addr(e.name)), SPACE, usize(11))
    lower: Array[bool, 2] = Array[bool, 2]()  # base, extension
    upper: Array[bool, 2] = Array[bool, 2]()
    for i in range(name.len):
        if i == dot:
            continue
        u: u16 = name.units[i]
        c: u8 = short_char(u)
        if c == 0:
            return False
        part: u32 = 1 if i > dot else u32(0)
        if u >= 0x61 and u <= 0x7A:
            lower[part] = True
        elif u >= 0x41 and u <= 0x5A:
            upper[part] = True
        e.name[i if i < dot else i - dot - 1 + 8] = c
    if (lower[0] and upper[0]) or (lower[1] and upper[1]):
        return False
    e.case = u8(0)
    if lower[0]:
        e.case |= LOWER_BASE
    if lower[1]:
        e.case |= LOWER_EXT
    return True


def short_basis(name: Ptr[Name], out: Ptr[u8]) -> bool:
    """The 8.3 basis of a long name into out[0..11): spaces and leading dots dropped, the extension
    taken after the last dot, characters DOS does not allow replaced by '_', parts cut to 8 and 3.
    True when nothing was lost, i.e. "BASE.EXT" is the long name in upper case."""
    memset(cast(Ptr[None], out), SPACE, usize(11))
    lead: u32 = 0
    while lead < name.len and name.units[lead] == DOT:
        lead += 1
    dot: u32 = name.len
    for i in range(lead, name.len):
        if name.units[i] == DOT:
            dot = i
    lossless: bool = lead == 0
    if not short_part(name, lead, dot, out, u32(8)):
        lossless = False
    if out[0] == SPACE:  # nothing of the base survived (short_char never gives a space)
        out[0] = u8(0x5F)
        lossless = False
    if not short_part(name, dot + 1, name.len, out + 8, u32(3)):
        lossless = False
    return lossless


def short_part(name: Ptr[Name], first: u32, last: u32, out: Ptr[u8], room: u32) -> bool:
    """Units [first, last) of a long name as 8.3 characters into out[0..room): spaces and dots
    dropped, what DOS does not allow replaced by '_', the rest cut. False when anything was lost."""
    lossless: bool = True
    n: u32 = 0
    for i in range(first, last):
        u: u16 = name.units[i]
        if u == SPACE or u == DOT or n == room:
            lossless = False
            continue
        c: u8 = short_char(u)
        if c == 0:
            c = u8(0x5F)
            lossless = False
        out[n] = c
        n += 1
    return lossless


def base_length(name11: Ptr[u8]) -> u32:
    n: u32 = 8
    while n > 0 and name11[n - 1] == SPACE:
        n -= 1
    return n


def decimal_digits(value: u32) -> u32:
    d: u32 = 1
    while value >= 10:
        value //= 10
        d += 1
    return d


def tail_prefix(basis: Ptr[u8], digits: u32) -> u32:
    """How much of the basis stays in front of "~N" when N has `digits` digits."""
    keep: u32 = base_length(basis)
    if keep > 7 - digits:
        keep = 7 - digits
    return keep


def tail_of(name11: Ptr[u8], basis: Ptr[u8]) -> u32:
    """N when the short name is basis~N (the basis cut to fit, same extension), else 0."""
    if memcmp(cast(Ptr[None], name11 + 8), cast(Ptr[None], basis + 8), usize(3)) != 0:
        return 0
    end: u32 = base_length(name11)
    tilde: u32 = 0
    while tilde < end and name11[tilde] != ord("~"):
        tilde += 1
    if tilde + 1 >= end or name11[tilde + 1] == ord("0"):
        return 0
    value: u32 = 0
    for i in range(tilde + 1, end):
        c: u8 = name11[i]
        if c < ord("0") or c > ord("9"):
            return 0
        value = value * 10 + u32(c - 0x30)
    if tilde != tail_prefix(basis, end - tilde - 1):
        return 0
    if memcmp(cast(Ptr[None], name11), cast(Ptr[None], basis), usize(tilde)) != 0:
        return 0
    return value


def put_tail(name11: Ptr[u8], value: u32) -> None:
    """Turn the basis into basis~value."""
    digits: u32 = decimal_digits(value)
    at: u32 = tail_prefix(name11, digits)
    memset(cast(Ptr[None], name11 + at), SPACE, usize(8 - at))
    name11[at] = ord("~")
    for k in range(digits):
        name11[at + digits - k] = u8(0x30 + value % 10)
        value //= 10


def first_free_tail(used: Ptr[u8]) -> u32:
    """The smallest N in 1..MAX_TAIL whose bit is clear in the bitmap, or 0."""
    for n in range(u32(1), u32(MAX_TAIL + 1)):
        if (used[n >> 3] & (u8(1) << (n & 7))) == 0:
            return n
    return 0


# ---------------------------------------------------------------- long-name entries

def checksum(name11: Ptr[u8]) -> u8:
    sum: u8 = 0
    for i in range(11):
        sum = ((sum & 1) << 7) + (sum >> 1) + name11[i]
    return sum


def lfn_take(s: Ptr[Slot], raw: Ptr[u8], index: u32) -> None:
    """Add one LFN entry to the set being collected; restart or give up on anything out of order."""
    order: u32 = u32(raw[0])
    k: u32 = order & 0x3F
    last: bool = (order & LFN_LAST) != 0
    if last:
        if k == 0 or k > LFN_MAX_ENTRIES:
            s.lfn_next = 0
            s.has_long = False
            return
        s.first = index
        s.lfn_sum = raw[13]
        s.lfn_next = k
    if s.lfn_next == 0 or k != s.lfn_next or raw[13] != s.lfn_sum:
        s.lfn_next = 0
        s.has_long = False
        return
    part: Ptr[u16] = addr(s.name.units) + (k - 1) * LFN_CHARS
    copy_lfn(part, raw, False)
    if last:
        chars: u32 = LFN_CHARS
        for j in range(u32(LFN_CHARS)):
            if part[j] == 0:
                chars = j
                break
        s.name.len = (k - 1) * LFN_CHARS + chars
        if s.name.len == 0 or s.name.len > NAME_UNITS:
            s.lfn_next = 0
            s.has_long = False
            return
    s.lfn_next = k - 1
    s.has_long = k == 1  # complete; the short entry that follows must carry the checksum


def copy_lfn(part: Ptr[u16], raw: Ptr[u8], to_disk: bool) -> None:
    """Move the 13 UTF-16 units of an LFN entry between `part` and the entry, where they lie in runs
    of 5, 6 and 2 at bytes 1, 14 and 28, little-endian like the CPU."""
    if to_disk:
        memcpy(cast(Ptr[None], raw + 1), cast(Ptr[None], part), usize(10))
        memcpy(cast(Ptr[None], raw + 14), cast(Ptr[None], part + 5), usize(12))
        memcpy(cast(Ptr[None], raw + 28), cast(Ptr[None], part + 11), usize(4))
    else:
        memcpy(cast(Ptr[None], part), cast(Ptr[None], raw + 1), usize(10))
        memcpy(cast(Ptr[None], part + 5), cast(Ptr[None], raw + 14), usize(12))
        memcpy(cast(Ptr[None], part + 11), cast(Ptr[None], raw + 28), usize(4))


def is_short_name(e: Ptr[RawEntry]) -> bool:
    """Is this a file's or directory's short entry? Not free, ".", "..", a volume label, nor an LFN
    part (whose attribute byte, ATTR_LONG_NAME, includes the volume-label bit)."""
    lead: u8 = e.name[0]
    return lead != 0 and lead != ENTRY_DELETED and lead != DOT and (e.attr & ATTR_VOLUME_ID) == 0


def count_subdirs(v: Ptr[Volume], dir: Ptr[Chain]) -> i64:
    """How many directories the directory holds (for its link count), or -errno."""
    e: RawEntry = RawEntry()
    count: i64 = 0
    pos: i64 = 0
    index: u32 = 0
    while index < MAX_ENTRIES:
        pos = step_pos(v, dir, index, pos)
        if pos <= 0:
            return pos if pos < 0 else count
        err: i64 = load_entry(v, u64(pos), addr(e))
        if err < 0:
            return err
        if e.name[0] == 0:
            break
        if is_short_name(addr(e)) and is_dir_entry(addr(e)):
            count += 1
        index += 1
    return count


def scan(v: Ptr[Volume], dir: Ptr[Chain], start: u32, want: Ptr[Name], out: Ptr[Slot]) -> i64:
    """Find the next name at or after entry `start`: the one matching `want` (its long name or its
    short alias, ignoring ASCII case), or any name when want is NULL. 1 with `out` describing it,
    0 when there is none, or -errno. ".", "..", deleted entries and the volume label are skipped."""
    alias: Name = Name()
    out.has_long = False
    out.lfn_next = 0
    e: Ptr[RawEntry] = addr(out.entry)
    index: u32 = start
    pos: i64 = 0
    while index < MAX_ENTRIES:
        pos = step_pos(v, dir, index, pos)
        if pos <= 0:
            return pos
        err: i64 = load_entry(v, u64(pos), e)
        if err < 0:
            return err
        lead: u8 = e.name[0]
        if lead == 0:
            return 0  # the end marker: nothing follows
        if lead != ENTRY_DELETED and (e.attr & ATTR_LONG_NAME_MASK) == ATTR_LONG_NAME:
            lfn_take(out, cast(Ptr[u8], e), index)
        elif lead == ENTRY_DELETED or lead == DOT or (e.attr & ATTR_VOLUME_ID) != 0:
            out.has_long = False
            out.lfn_next = 0
        else:
            if not out.has_long or out.lfn_next != 0 or checksum(addr(e.name)) != out.lfn_sum:
                out.has_long = False
                out.first = index
                short_name(e, addr(out.name))
            out.index = index
            out.pos = u64(pos)
            if want == NULL or same_name(addr(out.name), want):
                return 1
            if out.has_long and want.len <= 12:
                short_name(e, addr(alias))
                if same_name(addr(alias), want):
                    return 1
            out.has_long = False
        index += 1
    return 0


# ---------------------------------------------------------------- adding and removing names

def find_room(v: Ptr[Volume], dir: Ptr[Chain], count: u32, basis: Ptr[u8], used: Ptr[u8]) -> i64:
    """One pass over the directory: the index of the first run of `count` unused entries (growing the
    directory by zeroed clusters when it has none), and, when `used` is not NULL, the numeric tails
    taken by short names of the form basis~N marked in that bitmap. -ENOSPC when the directory
    would pass MAX_ENTRIES."""
    e: RawEntry = RawEntry()
    run: u32 = 0
    start: u32 = 0
    found: bool = False
    ended: bool = False  # past the end marker, where every entry is unused
    pos: i64 = 0
    index: u32 = 0
    while index < MAX_ENTRIES:
        pos = step_pos(v, dir, index, pos)
        if pos < 0:
            return pos
        if pos == 0:
            break
        err: i64 = load_entry(v, u64(pos), addr(e))
        if err < 0:
            return err
        ended = ended or e.name[0] == 0
        if ended or e.name[0] == ENTRY_DELETED:
            if not found:
                if run == 0:
                    start = index
                run += 1
                found = run == count
            if found and (used == NULL or ended):
                return i64(start)
        else:
            run = 0
            if used != NULL and is_short_name(addr(e)):
                n: u32 = tail_of(addr(e.name), basis)
                if n <= MAX_TAIL:
                    used[n >> 3] |= u8(1) << (n & 7)
        index += 1
    if found:
        return i64(start)
    if run == 0:
        start = index
    if u64(start) + u64(count) > MAX_ENTRIES:
        return -errno.ENOSPC
    per_cluster: u32 = u32(1) << (v.cluster_shift - ENTRY_SHIFT)
    grow: u32 = (start + count - index + per_cluster - 1) // per_cluster
    added: i64 = append(v, dir, grow, True)
    if added < 0:
        return added
    if added < i64(grow):
        return -errno.ENOSPC
    return i64(start)


def write_set(v: Ptr[Volume], dir: Ptr[Chain], start: u32, name: Ptr[Name], long_entries: u32,
              e: Ptr[RawEntry]) -> i64:
    """Write `long_entries` LFN entries spelling `name`, then the short entry e, from entry `start`
    on: the short entry's disk position, or -errno."""
    lfn: RawEntry = RawEntry()
    raw: Ptr[u8] = cast(Ptr[u8], addr(lfn))
    part: Array[u16, LFN_CHARS] = Array[u16, LFN_CHARS]()
    sum: u8 = checksum(addr(e.name))
    index: u32 = start
    k: u32 = long_entries
    while k > 0:
        memset(cast(Ptr[None], raw), 0, usize(32))
        raw[0] = u8(k | (LFN_LAST if k == long_entries else u32(0)))
        raw[11] = u8(ATTR_LONG_NAME)
        raw[13] = sum
        for j in range(u32(LFN_CHARS)):
            at: u32 = (k - 1) * LFN_CHARS + j
            part[j] = 0xFFFF  # padding after the terminating NUL
            if at < name.len:
                part[j] = name.units[at]
            elif at == name.len:
                part[j] = 0
        copy_lfn(addr(part), raw, True)
        pos: i64 = entry_pos(v, dir, index)
        if pos <= 0:
            return pos if pos < 0 else -errno.EIO
        err: i64 = store_entry(v, u64(pos), addr(lfn))
        if err < 0:
            return err
        k -= 1
        index += 1
    short_pos: i64 = entry_pos(v, dir, index)
    if short_pos <= 0:
        return short_pos if short_pos < 0 else -errno.EIO
    err2: i64 = store_entry(v, u64(short_pos), e)
    if err2 < 0:
        return err2
    return short_pos


def add_name(v: Ptr[Volume], dir: Ptr[Chain], name: Ptr[Name], e: Ptr[RawEntry]) -> i64:
    """Add `name` to the directory for short entry e, choosing e's short name and case flags: the
    disk position of the new short entry, or -errno. The caller checked the name is unused.

    A name that is its own 8.3 form (each part in one case) needs no LFN entries. One that is so in
    upper case ("Readme.txt") gets that short name: lookup already proved it unused. Any other gets
    the basis with the first free numeric tail (LONGNA~1.TXT), as Windows and Linux do."""
    long_entries: u32 = 0
    used: Ptr[u8] = NULL
    if not fits_short(name, e):
        e.case = u8(0)
        long_entries = (name.len + LFN_CHARS - 1) // LFN_CHARS
        if not short_basis(name, addr(e.name)):
            used = cast(Ptr[u8], kalloc(usize((MAX_TAIL + 1) // 8)))
            if used == NULL:
                return -errno.ENOMEM
    start: i64 = find_room(v, dir, long_entries + 1, addr(e.name), used)
    if used != NULL:
        tail: u32 = first_free_tail(used)
        kfree(cast(Ptr[None], used))
        if start >= 0 and tail == 0:
            start = -errno.ENOSPC
        if start >= 0:
            put_tail(addr(e.name), tail)
    if start < 0:
        return start
    return write_set(v, dir, u32(start), name, long_entries, e)


def remove_set(v: Ptr[Volume], dir: Ptr[Chain], s: Ptr[Slot]) -> i64:
    """Mark every entry of a name's set deleted."""
    e: RawEntry = RawEntry()
    for index in range(s.first, s.index + 1):
        pos: i64 = entry_pos(v, dir, index)
        if pos <= 0:
            return pos if pos < 0 else -errno.EIO
        err: i64 = load_entry(v, u64(pos), addr(e))
        if err < 0:
            return err
        e.name[0] = u8(ENTRY_DELETED)
        err = store_entry(v, u64(pos), addr(e))
        if err < 0:
            return err
    return 0


def is_empty(v: Ptr[Volume], dir: Ptr[Chain]) -> i64:
    """1 when the directory holds nothing but "." and "..", 0 when it holds names, or -errno."""
    s: Slot = Slot()
    got: i64 = scan(v, dir, u32(0), NULL, addr(s))
    if got < 0:
        return got
    return 1 if got == 0 else i64(0)


# ---------------------------------------------------------------- timestamps

def days_from_civil(year: u64, month: u64, day: u64) -> u64:
    """Days since 1970-01-01 of a Gregorian date (year >= 1970; H. Hinnant's algorithm)."""
    y: u64 = year - 1 if month <= 2 else year
    era: u64 = y // 400
    yoe: u64 = y - era * 400
    doy: u64 = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe: u64 = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def unix_seconds(date: u16, time: u16) -> u64:
    """A DOS date and time (local time, taken as UTC) in seconds since the Unix epoch."""
    year: u64 = 1980 + u64(date >> 9)
    month: u64 = u64((date >> 5) & 0xF)
    day: u64 = u64(date & 0x1F)
    if month < 1 or month > 12:
        month = 1
    if day < 1:
        day = 1
    seconds: u64 = u64(time >> 11) * 3600 + u64((time >> 5) & 0x3F) * 60 + u64(time & 0x1F) * 2
    return days_from_civil(year, month, day) * 86400 + seconds


def dos_date_time(seconds: u64) -> u32:
    """Unix seconds as (DOS date << 16) | DOS time, clamped to 1980 .. 2107."""
    first: u64 = days_from_civil(u64(1980), u64(1), u64(1)) * 86400
    if seconds < first:
        return u32(0x00210000)  # 1980-01-01 00:00:00
    z: u64 = seconds // 86400 + 719468
    era: u64 = z // 146097
    doe: u64 = z - era * 146097
    yoe: u64 = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy: u64 = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp: u64 = (5 * doy + 2) // 153
    day: u64 = doy - (153 * mp + 2) // 5 + 1
    month: u64 = mp + 3 if mp < 10 else mp - 9
    year: u64 = yoe + era * 400 + (1 if month <= 2 else u64(0))
    if year > 2107:
        return u32(0xFF9FBF7D)  # 2107-12-31 23:59:58
    rest: u64 = seconds % 86400
    date: u64 = ((year - 1980) << 9) | (month << 5) | day
    time: u64 = ((rest // 3600) << 11) | (((rest // 60) % 60) << 5) | ((rest % 60) // 2)
    return u32((date << 16) | time)


def stamp(e: Ptr[RawEntry], seconds: u64) -> None:
    """Set the modification time, and the access date to the same day."""
    dt: u32 = dos_date_time(seconds)
    e.mdate = u16(dt >> 16)
    e.mtime = u16(dt)
    e.adate = e.mdate


def new_entry(e: Ptr[RawEntry], attr: u8, first: u32, seconds: u64) -> None:
    """A fresh short entry (name still blank) created now."""
    memset(cast(Ptr[None], e), 0, usize(32))
    e.attr = attr
    set_entry_cluster(e, first)
    stamp(e, seconds)
    e.cdate = e.mdate
    e.ctime = e.mtime


def init_dir(v: Ptr[Volume], c: u32, parent: u32, seconds: u64) -> i64:
    """Make cluster c an empty directory: zeroed, then "." (c itself) and ".." (parent; 0 is the root)."""
    err: i64 = clear_cluster(v, c)
    if err < 0:
        return err
    e: RawEntry = RawEntry()
    new_entry(addr(e), u8(ATTR_DIRECTORY), c, seconds)
    memset(cast(Ptr[None], addr(e.name)), SPACE, usize(11))
    e.name[0] = DOT
    err = store_entry(v, cluster_byte(v, c), addr(e))
    if err < 0:
        return err
    e.name[1] = DOT
    set_entry_cluster(addr(e), parent)
    return store_entry(v, cluster_byte(v, c) + 32, addr(e))
