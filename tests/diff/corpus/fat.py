"""FAT directory entries: a packed 32-byte @struct with little-endian fields, 8.3 names, the
long-file-name checksum, and DOS dates."""
from cyrius.lang import Array, Final, Ptr, addr, i32, struct, u8, u16, u32

ATTR_READ_ONLY: Final = 0x01
ATTR_HIDDEN: Final = 0x02
ATTR_SYSTEM: Final = 0x04
ATTR_VOLUME_ID: Final = 0x08
ATTR_DIRECTORY: Final = 0x10
ATTR_ARCHIVE: Final = 0x20
ATTR_LFN: Final = ATTR_READ_ONLY | ATTR_HIDDEN | ATTR_SYSTEM | ATTR_VOLUME_ID
DELETED: Final = 0xE5
SPACE: Final = 0x20

KIND_END: Final = 0
KIND_FREE: Final = 1
KIND_LFN: Final = 2
KIND_VOLUME: Final = 3
KIND_DIR: Final = 4
KIND_FILE: Final = 5


@struct(packed=True)
class DirEntry:
    name: Array[u8, 11]
    attr: u8
    nt_res: u8
    crt_time_tenth: u8
    crt_time: u16
    crt_date: u16
    lst_acc_date: u16
    fst_clus_hi: u16
    wrt_time: u16
    wrt_date: u16
    fst_clus_lo: u16
    file_size: u32


def kind(e: Ptr[DirEntry]) -> u32:
    first: u8 = e.name[0]
    if first == 0:
        return KIND_END
    if first == DELETED:
        return KIND_FREE
    if e.attr & ATTR_LFN == ATTR_LFN:
        return KIND_LFN
    if e.attr & ATTR_VOLUME_ID:
        return KIND_VOLUME
    if e.attr & ATTR_DIRECTORY:
        return KIND_DIR
    return KIND_FILE


def first_cluster(e: Ptr[DirEntry]) -> u32:
    return u32(e.fst_clus_hi) << 16 | u32(e.fst_clus_lo)


def set_first_cluster(e: Ptr[DirEntry], cluster: u32) -> None:
    e.fst_clus_hi = u16(cluster >> 16)
    e.fst_clus_lo = u16(cluster)


def display_name(e: Ptr[DirEntry], out: Ptr[u8]) -> u32:
    """'NAME    EXT' -> 'NAME.EXT' (NUL-terminated); returns the length. 0x05 stands for 0xE5."""
    n: u32 = 0
    for i in range(8):
        c: u8 = e.name[i]
        if c == SPACE:
            break
        if i == 0 and c == 0x05:
            c = DELETED
        out[n] = c
        n += 1
    if e.name[8] != SPACE:
        out[n] = 0x2E
        n += 1
        for k in range(8, 11):
            if e.name[k] == SPACE:
                break
            out[n] = e.name[k]
            n += 1
    out[n] = 0
    return n


def upper(c: u8) -> u8:
    if c >= 0x61 and c <= 0x7A:
        return c - 0x20
    return c


def make_entry(e: Ptr[DirEntry], name: Ptr[u8], cluster: u32, size: u32, attr: u8) -> i32:
    """Fill an entry from 'name.ext' (NUL-terminated): 1-8 name chars, 0-3 extension chars, upper-cased
    and space-padded. Returns 0, or -1 for a name that does not fit 8.3."""
    for i in range(11):
        e.name[i] = SPACE
    n: u32 = 0
    while name[n] != 0 and name[n] != 0x2E:
        if n >= 8:
            return -1
        e.name[n] = upper(name[n])
        n += 1
    if n == 0:
        return -1
    if name[n] == 0x2E:
        ext: Ptr[u8] = name + n + 1
        m: u32 = 0
        while ext[m] != 0:
            if m >= 3 or ext[m] == 0x2E:
                return -1
            e.name[8 + m] = upper(ext[m])
            m += 1
    if e.name[0] == DELETED:
        e.name[0] = 0x05
    e.attr = attr
    e.nt_res = 0
    set_first_cluster(e, cluster)
    e.file_size = size
    return 0


def lfn_checksum(e: Ptr[DirEntry]) -> u8:
    """The checksum long-name entries carry of their short name: rotate right, add."""
    s: u8 = 0
    for i in range(11):
        s = ((s & 1) << 7) + (s >> 1) + e.name[i]
    return s


def dos_date(year: u32, month: u32, day: u32) -> u16:
    return u16((year - 1980) << 9 | month << 5 | day)


def dos_date_fields(date: u16) -> u32:
    """Back to year * 10000 + month * 100 + day."""
    year: u32 = u32(date >> 9) + 1980
    month: u32 = u32(date >> 5 & 0xF)
    day: u32 = u32(date & 0x1F)
    return year * 10000 + month * 100 + day


def scan(dir: Ptr[DirEntry], count: u32, want: Ptr[u8]) -> i32:
    """Index of the file whose display name equals `want`, stopping at the end marker; -1 if none."""
    buf: Array[u8, 13] = Array[u8, 13]()
    for i in range(count):
        e: Ptr[DirEntry] = dir + i
        k: u32 = kind(e)
        if k == KIND_END:
            return -1
        if k != KIND_FILE and k != KIND_DIR:
            continue
        n: u32 = display_name(e, addr(buf))
        j: u32 = 0
        while j <= n and buf[j] == want[j]:
            if buf[j] == 0:
                return i32(i)
            j += 1
    return -1
