"""Checksums over byte buffers: the internet checksum, CRC-32 (bitwise and table-driven), CRC-16,
Adler-32 and FNV-1a."""
from cyrius.lang import Array, Final, Ptr, u8, u16, u32, u64, usize

CRC32_POLY: Final = 0xEDB88320
ADLER_MOD: Final = 65521
FNV32_OFFSET: Final = 0x811C9DC5
FNV32_PRIME: Final = 0x01000193
FNV64_OFFSET: Final = 0xCBF29CE484222325
FNV64_PRIME: Final = 0x100000001B3

crc_table: Array[u32, 256] = Array[u32, 256]()
crc_table_ready: bool = False


def inet_checksum(data: Ptr[u8], n: usize) -> u16:
    """RFC 1071: one's-complement sum of big-endian 16-bit words, an odd last byte padded with zero."""
    total: u32 = 0
    i: usize = 0
    while i + 1 < n:
        total += u32(data[i]) << 8 | u32(data[i + 1])
        i += 2
    if i < n:
        total += u32(data[i]) << 8
    while total >> 16 != 0:
        total = (total & 0xFFFF) + (total >> 16)
    return ~u16(total)


def crc32_bitwise(data: Ptr[u8], n: usize) -> u32:
    crc: u32 = 0xFFFFFFFF
    for i in range(n):
        crc ^= u32(data[i])
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ CRC32_POLY
            else:
                crc >>= 1
    return ~crc


def crc32_init_table() -> None:
    global crc_table_ready
    for i in range(u32(256)):
        c: u32 = i
        for _ in range(8):
            mask: u32 = -(c & 1)
            c = (c >> 1) ^ (CRC32_POLY & mask)
        crc_table[i] = c
    crc_table_ready = True


def crc32_update(crc: u32, data: Ptr[u8], n: usize) -> u32:
    """Continue a CRC-32 (start with 0); the table is built on first use."""
    if not crc_table_ready:
        crc32_init_table()
    crc = ~crc
    p: Ptr[u8] = data
    end: Ptr[u8] = data + n
    while p < end:
        crc = crc_table[(crc ^ u32(p[0])) & 0xFF] ^ (crc >> 8)
        p = p + 1
    return ~crc


def crc16_ccitt(data: Ptr[u8], n: usize) -> u16:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, MSB first."""
    crc: u16 = 0xFFFF
    for i in range(n):
        crc ^= u16(data[i]) << 8
        for _ in range(8):
            if crc & 0x8000 != 0:
                crc = (crc << 1) ^ 0x1021
            else:
                crc = crc << 1
    return crc


def adler32(data: Ptr[u8], n: usize) -> u32:
    a: u32 = 1
    b: u32 = 0
    for i in range(n):
        a = (a + u32(data[i])) % ADLER_MOD
        b = (b + a) % ADLER_MOD
    return b << 16 | a


def fnv1a32(data: Ptr[u8], n: usize) -> u32:
    h: u32 = FNV32_OFFSET
    for i in range(n):
        h = (h ^ u32(data[i])) * FNV32_PRIME
    return h


def fnv1a64(s: Ptr[u8]) -> u64:
    """Over a NUL-terminated string."""
    h: u64 = FNV64_OFFSET
    while s[0] != 0:
        h = (h ^ u64(s[0])) * FNV64_PRIME
        s = s + 1
    return h
