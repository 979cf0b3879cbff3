"""The internet checksum (RFC 1071): the one's-complement sum of big-endian 16-bit words, an odd last
byte padded with zero, folded to 16 bits. Twin: bench/c/ipcsum.c."""
from cyrius.lang import Ptr, u8, u16, u32, u64, usize


def checksum(data: Ptr[u8], n: usize, initial: u64) -> u16:
    """The checksum of n bytes, starting from a partial sum (0 for a fresh one)."""
    total: u64 = initial
    i: usize = 0
    while i + 1 < n:
        total += u64(data[i]) << 8 | u64(data[i + 1])
        i += 2
    if i < n:
        total += u64(data[i]) << 8
    while total >> 16 != 0:
        total = (total & 0xFFFF) + (total >> 16)
    return ~u16(total)


def bench(data: Ptr[u8], n: usize, reps: u32) -> u16:
    """reps checksums of the buffer, each starting from the previous result."""
    acc: u16 = 0
    for _ in range(reps):
        acc = checksum(data, n, u64(acc))
    return acc
