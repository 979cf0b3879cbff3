"""A frame-allocator bitmap scan: the first clear bit in an array of 64-bit words (bit i is bit i % 64
of word i // 64), skipping full words. Twin: bench/c/bitmap.c."""
from cyrius.lang import Final, Ptr, i64, u32, u64, usize

FULL: Final = 0xFFFFFFFFFFFFFFFF
STRIDE: Final = 2654435761  # Knuth's multiplicative hash: spreads the free bit over the bitmap


def find_first_zero(words: Ptr[u64], nwords: usize) -> i64:
    """Index of the first clear bit, or -1 if every bit is set."""
    for i in range(nwords):
        w: u64 = words[i]
        if w != FULL:
            bit: u64 = 0
            while (w >> bit) & 1 != 0:
                bit += 1
            return i64(i * 64) + i64(bit)
    return -1


def bench(words: Ptr[u64], nwords: usize, reps: u32) -> i64:
    """reps scans of a full bitmap with one bit cleared, a different one each time; returns the sum of
    the positions found."""
    nbits: usize = nwords * 64
    total: i64 = 0
    for r in range(reps):
        pos: usize = usize(r) * STRIDE % nbits
        words[pos >> 6] &= ~(u64(1) << (pos & 63))
        total += find_first_zero(words, nwords)
        words[pos >> 6] |= u64(1) << (pos & 63)
    return total
