"""Bitmaps over byte buffers (bit i lives in byte i // 8, bit i % 8), as a frame allocator keeps them."""
from cyrius.lang import Array, Ptr, i64, u8, u32, u64, usize

# Number of set bits in each nibble, a table in a global array.
NIBBLE_BITS: Array[u8, 16] = Array[u8, 16]()
nibbles_ready: bool = False


def set_bit(bm: Ptr[u8], i: u32) -> None:
    bm[i >> 3] |= u8(1) << (i & 7)


def clear_bit(bm: Ptr[u8], i: u32) -> None:
    bm[i >> 3] &= ~(u8(1) << u8(i & 7))


def test_bit(bm: Ptr[u8], i: u32) -> bool:
    return (bm[i // 8] >> (i % 8)) & 1 == 1


def toggle_bits(bm: Ptr[u8], start: u32, count: u32) -> None:
    for i in range(start, start + count):
        if test_bit(bm, i):
            clear_bit(bm, i)
        else:
            set_bit(bm, i)


def find_first_zero(bm: Ptr[u8], nbits: u32) -> i64:
    """Index of the first clear bit below nbits, or -1; skips full bytes eight bits at a time."""
    i: u32 = 0
    while i < nbits:
        if i & 7 == 0 and bm[i >> 3] == 0xFF:
            i += 8
            continue
        if not test_bit(bm, i):
            return i64(i)
        i += 1
    return -1


def find_first_set(bm: Ptr[u8], nbits: u32) -> i64:
    for i in range(nbits):
        if bm[i >> 3] == 0 and i & 7 == 0:
            continue
        if test_bit(bm, i):
            return i64(i)
    return -1


def find_zero_run(bm: Ptr[u8], nbits: u32, run: u32) -> i64:
    """Start of the first run of `run` clear bits (a contiguous allocation), or -1."""
    if run == 0:
        return 0
    length: u32 = 0
    for i in range(nbits):
        if test_bit(bm, i):
            length = 0
        else:
            length += 1
            if length == run:
                return i64(i) - i64(run) + 1
    return -1


def allocate_run(bm: Ptr[u8], nbits: u32, run: u32) -> i64:
    start: i64 = find_zero_run(bm, nbits, run)
    if start >= 0:
        for k in range(u32(start), u32(start) + run):
            set_bit(bm, k)
    return start


def init_nibbles() -> None:
    global nibbles_ready
    for i in range(len(NIBBLE_BITS)):
        NIBBLE_BITS[i] = u8(i & 1) + u8(i >> 1 & 1) + u8(i >> 2 & 1) + u8(i >> 3 & 1)
    nibbles_ready = True


def count_set(bm: Ptr[u8], nbytes: usize) -> u32:
    if not nibbles_ready:
        init_nibbles()
    total: u32 = 0
    for i in range(nbytes):
        b: u8 = bm[i]
        total += u32(NIBBLE_BITS[b & 0xF] + NIBBLE_BITS[b >> 4])
    return total


def popcount64(x: u64) -> u32:
    """SWAR popcount."""
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return u32((x * 0x0101010101010101) >> 56)
