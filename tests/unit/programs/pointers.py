"""Pointers: arithmetic with every integer type, indexing, differences, NULL, casts to and from
usize/u64, Ptr[None], byte-string literals passed as Ptr[u8], volatile access, comparisons."""
from cyrius.lang import (NULL, Array, Ptr, addr, cast, i8, i32, i64, struct, u8, u16, u32, u64, usize,
                         volatile_load, volatile_store)


@struct
class Pair:
    key: u16
    value: u32


def sum_bytes(p: Ptr[u8], n: usize) -> u32:
    total: u32 = 0
    for i in range(n):
        total += u32(p[i])
    return total


def advance(p: Ptr[u32], n: u8) -> u32:
    """p + n moves by n * 4 bytes, for every integer type of n."""
    a: Ptr[u32] = p + n
    b: Ptr[u32] = p + u64(n)
    c: Ptr[u32] = (p + i32(n)) - i8(1)
    d: Ptr[u32] = p + 2
    return a[0] + b[0] + c[1] + d[-1]


def difference(p: Ptr[u16], n: u32) -> i64:
    q: Ptr[u16] = p + n
    return (q - p) * 100 + (p - q)


def write_pattern(p: Ptr[u8], n: u32, seed: u8) -> None:
    q: Ptr[u8] = p
    for i in range(n):
        q[0] = seed ^ u8(i)
        q = q + 1


def null_checks(p: Ptr[u8]) -> u32:
    r: u32 = 0
    if p == NULL:
        r |= 1
    if p != NULL:
        r |= 2
    if p:
        r |= 4
    if not p:
        r |= 8
    q: Ptr[u8] = NULL
    if q == NULL:
        r |= 16
    return r


def pointer_compare(p: Ptr[u8], n: u32) -> u32:
    end: Ptr[u8] = p + n
    steps: u32 = 0
    while p < end:
        p = p + 2
        steps += 1
    if p >= end:
        steps += 100
    return steps


def address_roundtrip(p: Ptr[u32]) -> u32:
    a: usize = cast(usize, p)
    b: u64 = cast(u64, p)
    q: Ptr[u32] = cast(Ptr[u32], a + 4)
    r: Ptr[u8] = cast(Ptr[u8], b)
    s: Ptr[u32] = cast(Ptr[u32], r + 8)
    return q[0] + s[0] + u32(a - cast(usize, s))


def void_pointer(p: Ptr[u8]) -> u32:
    v: Ptr[None] = p
    w: Ptr[u32] = cast(Ptr[u32], v)
    back: Ptr[u8] = cast(Ptr[u8], w)
    return w[0] + u32(back[0]) + u32(v == p)


def byte_at(s: Ptr[u8], i: u32) -> u8:
    return s[i]


def literal_length() -> u32:
    """Byte-string literals are NUL-terminated Ptr[u8] values; len() is a constant."""
    n: u32 = 0
    s: Ptr[u8] = b"hello, world"
    while s[n] != 0:
        n += 1
    return n * 100 + u32(len(b"hello, world")) + u32(byte_at(b"abc", u32(1)))


def literal_escapes() -> u32:
    s: Ptr[u8] = b"\x00\x01?\"\\\xff"
    return u32(s[1]) + u32(s[2]) + u32(s[3]) + u32(s[4]) + u32(s[5]) + u32(s[6])


def volatile(p: Ptr[u32], v: u32) -> u32:
    volatile_store(p, v)
    volatile_store(p + 1, volatile_load(p) + 1)
    return volatile_load(p + 1) * 2


def struct_through_pointer(p: Ptr[Pair], n: u32) -> u32:
    total: u32 = 0
    for i in range(n):
        p[i].key = u16(i) + 1
        (p + i).value = u32(p[i].key) * 3
        total += p[i].value + u32(p[i].key)
    return total


def pointer_to_pointer(pp: Ptr[Ptr[u8]], n: u32) -> u32:
    total: u32 = 0
    for i in range(n):
        s: Ptr[u8] = pp[i]
        total = total * 7 + u32(s[0])
    return total


def array_local(n: u8) -> u32:
    buf: Array[u16, 5] = Array[u16, 5]()
    for i in range(len(buf)):
        buf[i] = u16(n) * u16(i)
    p: Ptr[u16] = addr(buf)
    return u32(p[4]) + u32(buf[2]) + u32(len(buf))


def array_index_checked(i: u32) -> u32:
    buf: Array[u32, 4] = Array[u32, 4]()
    buf[i] = 1
    return buf[i]


def literal_byte(n: u8) -> u8:
    """A byte of a literal is a u8: adding 200 wraps before the division."""
    return (b"0123456789abcdef"[n & 15] + 200) // 2


def difference_division(p: Ptr[u32], n: u8) -> i64:
    """p - q is an i64, so // truncates toward zero like C."""
    q: Ptr[u32] = p + n
    return (p - q) // 3 + (p - q) % 3 * 100


def augmented_pointer(p: Ptr[u16], n: u8) -> u32:
    """p += n and p -= n advance by whole elements, like p = p + n."""
    start: Ptr[u16] = p
    p += n
    p[0] = 7
    p -= u32(1)
    p += i8(-1)
    p[0] = 9
    return u32(p - start)
