"""Network byte order and the internet checksum (RFC 1071), shared by every protocol module
(pure functions: the differential tests compile this module for the host on its own).

Addresses and port numbers are held in host order (u32 / u16) everywhere in the stack and
converted only where headers are read and written. 10.0.2.15 is 0x0A00020F.
"""
from cyrius.lang import Ptr, u8, u16, u32, u64


def get16(p: Ptr[u8]) -> u16:
    return (u16(p[0]) << 8) | u16(p[1])


def get32(p: Ptr[u8]) -> u32:
    return (u32(p[0]) << 24) | (u32(p[1]) << 16) | (u32(p[2]) << 8) | u32(p[3])


def put16(p: Ptr[u8], value: u16) -> None:
    p[0] = u8(value >> 8)
    p[1] = u8(value)


def put32(p: Ptr[u8], value: u32) -> None:
    p[0] = u8(value >> 24)
    p[1] = u8(value >> 16)
    p[2] = u8(value >> 8)
    p[3] = u8(value)


def checksum_add(total: u32, p: Ptr[u8], n: u32) -> u32:
    """Add n bytes, as big-endian 16-bit words (an odd last byte padded with zero), to a running
    one's-complement sum. Only the last piece of a checksummed area may have an odd length."""
    acc: u64 = u64(total)
    i: u32 = 0
    while i + 1 < n:
        acc += (u64(p[i]) << 8) | u64(p[i + 1])
        i += 2
    if i < n:
        acc += u64(p[i]) << 8
    while (acc >> 16) != 0:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return u32(acc)


def checksum_add_word(total: u32, word: u32) -> u32:
    """Add a 32-bit value as two 16-bit words (addresses in pseudo-headers)."""
    acc: u64 = u64(total) + u64(word >> 16) + u64(word & 0xFFFF)
    while (acc >> 16) != 0:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return u32(acc)


def checksum_finish(total: u32) -> u16:
    """The checksum field's value: the complement of the folded sum."""
    acc: u32 = total
    while (acc >> 16) != 0:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return ~u16(acc)


def checksum(p: Ptr[u8], n: u32) -> u16:
    """The internet checksum of n bytes. Over data that contains its own correct checksum the
    result is 0."""
    return checksum_finish(checksum_add(u32(0), p, n))


def pseudo_header_sum(src: u32, dst: u32, protocol: u8, length: u32) -> u32:
    """The TCP/UDP pseudo-header's contribution: addresses, protocol, segment length."""
    total: u32 = checksum_add_word(u32(0), src)
    total = checksum_add_word(total, dst)
    return checksum_add_word(total, (u32(protocol) << 16) | (length & 0xFFFF))


def make_ip(a: u32, b: u32, c: u32, d: u32) -> u32:
    return (a << 24) | (b << 16) | (c << 8) | d


def mask_bits(mask: u32) -> u32:
    """Prefix length of a netmask (leading one bits)."""
    n: u32 = 0
    while n < 32 and (mask & (u32(0x80000000) >> n)) != 0:
        n += 1
    return n
