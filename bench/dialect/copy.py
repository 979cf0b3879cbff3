"""A memcpy-style copy: 8-byte words while at least 8 bytes remain, then the tail byte by byte.
Twin: bench/c/copy.c."""
from cyrius.lang import Ptr, cast, u8, u32, u64, usize


def copy(dst: Ptr[u8], src: Ptr[u8], n: usize) -> None:
    d: Ptr[u64] = cast(Ptr[u64], dst)
    s: Ptr[u64] = cast(Ptr[u64], src)
    words: usize = n >> 3
    for i in range(words):
        d[i] = s[i]
    for j in range(words << 3, n):
        dst[j] = src[j]


def bench(a: Ptr[u8], b: Ptr[u8], n: usize, reps: u32) -> u32:
    """reps copies between two n-byte buffers, alternately a -> b and b -> a, each after changing one
    byte of its source; returns a sum of bytes read back from the destinations."""
    acc: u32 = 0
    for r in range(reps):
        k: usize = usize(r) % n
        if r & 1:
            b[k] = b[k] + 1
            copy(a, b, n)
            acc += u32(a[k])
        else:
            a[k] = a[k] + 1
            copy(b, a, n)
            acc += u32(b[k])
    return acc
