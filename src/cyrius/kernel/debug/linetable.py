"""Address -> Python file:line function, from the table `cyrius build` makes out of DWARF.

Layout (little endian), produced by cyrius.image.linetable:
    header   magic u32 "CYLT", count u32, strings_offset u32, reserved u32
    entries  count x LineEntry, sorted by address; each covers [address, next address)
    strings  NUL-terminated file and function names
"""
from cyrius.lang import Final, NULL, Ptr, cast, struct, u8, u32, u64, usize

LINETABLE_MAGIC: Final = 0x544C5943  # "CYLT"


@struct
class LineHeader:
    magic: u32
    count: u32
    strings_offset: u32
    reserved: u32


@struct
class LineEntry:
    start: u64  # the first code address the row covers
    line: u32
    file: u32  # offset into the string table
    function: u32  # offset into the string table
    reserved: u32


table: Ptr[LineHeader] = NULL


def install(base: Ptr[u8], size: usize) -> bool:
    """Use the table at base; False (and no table) if it is missing or malformed."""
    global table
    table = NULL
    if size < 16:
        return False
    header: Ptr[LineHeader] = cast(Ptr[LineHeader], base)
    if header.magic != LINETABLE_MAGIC:
        return False
    if usize(16) + usize(header.count) * 24 > usize(header.strings_offset) or usize(header.strings_offset) > size:
        return False
    table = header
    return True


def find(address: u64) -> Ptr[LineEntry]:
    """The entry covering address, or NULL."""
    if table == NULL or table.count == 0:
        return NULL
    entries: Ptr[LineEntry] = cast(Ptr[LineEntry], cast(usize, table) + 16)
    lo: u32 = 0
    hi: u32 = table.count
    while hi - lo > 1:
        mid: u32 = lo + (hi - lo) // 2
        if entries[mid].start <= address:
            lo = mid
        else:
            hi = mid
    if entries[lo].start > address:
        return NULL
    return entries + lo


def string(offset: u32) -> Ptr[u8]:
    return cast(Ptr[u8], cast(usize, table) + usize(table.strings_offset) + usize(offset))
