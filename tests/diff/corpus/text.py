"""Pointer walks over byte buffers: string length, searching, comparing, number parsing and
formatting, in-place transforms."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, i32, i64, u8, u32, u64, usize

E_EMPTY: Final = -1
E_DIGIT: Final = -2
E_OVERFLOW: Final = -3
U64_MAX: Final = 0xFFFFFFFFFFFFFFFF


def strlen(s: Ptr[u8]) -> usize:
    p: Ptr[u8] = s
    while p[0] != 0:
        p = p + 1
    return usize(p - s)


def strnlen(s: Ptr[u8], limit: usize) -> usize:
    n: usize = 0
    while n < limit and s[n]:
        n += 1
    return n


def memchr(s: Ptr[u8], c: u8, n: usize) -> Ptr[u8]:
    for i in range(n):
        if s[i] == c:
            return s + i
    return NULL


def memrchr(s: Ptr[u8], c: u8, n: usize) -> Ptr[u8]:
    p: Ptr[u8] = s + n
    while p > s:
        p = p - 1
        if p[0] == c:
            return p
    return NULL


def memcmp(a: Ptr[u8], b: Ptr[u8], n: usize) -> i32:
    for i in range(n):
        if a[i] != b[i]:
            return i32(a[i]) - i32(b[i])
    return 0


def is_digit(c: u8) -> bool:
    return c >= 0x30 and c <= 0x39


def hex_value(c: u8) -> i32:
    if is_digit(c):
        return i32(c - 0x30)
    lower: u8 = c | 0x20
    if lower >= 0x61 and lower <= 0x66:
        return i32(lower - 0x61 + 10)
    return -1


def parse_u64(s: Ptr[u8], n: usize, base: u32, out: Ptr[u64]) -> i32:
    """Digits in base 10 or 16 (an optional 0x prefix in 16) into *out; errors are negative."""
    i: usize = 0
    if base == 16 and n >= 2 and s[0] == 0x30 and s[1] | 0x20 == 0x78:
        i = 2
    if i >= n:
        return E_EMPTY
    value: u64 = 0
    while i < n:
        d: i32 = hex_value(s[i])
        if d < 0 or u32(d) >= base:
            return E_DIGIT
        if value > (U64_MAX - u64(d)) // u64(base):
            return E_OVERFLOW
        value = value * u64(base) + u64(d)
        i += 1
    out[0] = value
    return 0


def parse_i64(s: Ptr[u8], n: usize, out: Ptr[i64]) -> i32:
    """An optional sign then decimal digits; the full i64 range, MIN included."""
    negative: bool = False
    i: usize = 0
    if n > 0 and (s[0] == 0x2D or s[0] == 0x2B):
        negative = s[0] == 0x2D
        i = 1
    magnitude: Array[u64, 1] = Array[u64, 1]()
    err: i32 = parse_u64(s + i, n - i, u32(10), addr(magnitude))
    if err != 0:
        return err
    limit: u64 = u64(1) << 63
    if negative:
        if magnitude[0] > limit:
            return E_OVERFLOW
        out[0] = i64(0 - magnitude[0])  # -2**63 wraps to itself
    else:
        if magnitude[0] >= limit:
            return E_OVERFLOW
        out[0] = i64(magnitude[0])
    return 0


def format_u64(out: Ptr[u8], value: u64, base: u32, width: u32) -> u32:
    """Digits of value (lower-case hex), zero-padded to width, NUL-terminated; returns the length."""
    tmp: Array[u8, 64] = Array[u8, 64]()
    n: u32 = 0
    while True:
        d: u64 = value % u64(base)
        tmp[n] = u8(d) + 0x30 if d < 10 else u8(d) - 10 + 0x61
        n += 1
        value = value // u64(base)
        if value == 0:
            break
    while n < width and n < 64:
        tmp[n] = 0x30
        n += 1
    for i in range(n):
        out[i] = tmp[n - 1 - i]
    out[n] = 0
    return n


def format_i64(out: Ptr[u8], value: i64) -> u32:
    if value < 0:
        out[0] = 0x2D
        return format_u64(out + 1, u64(0) - u64(value), u32(10), u32(0)) + 1
    return format_u64(out, u64(value), u32(10), u32(0))


def to_upper(s: Ptr[u8], n: usize) -> u32:
    """Upper-case ASCII letters in place; returns how many changed."""
    changed: u32 = 0
    p: Ptr[u8] = s
    end: Ptr[u8] = s + n
    while p != end:
        if p[0] >= 0x61 and p[0] <= 0x7A:
            p[0] = p[0] - 0x20
            changed += 1
        p = p + 1
    return changed


def count_words(s: Ptr[u8], n: usize) -> u32:
    """Words separated by runs of spaces, tabs and newlines."""
    words: u32 = 0
    inside: bool = False
    for i in range(n):
        c: u8 = s[i]
        space: bool = c == 0x20 or c == 0x09 or c == 0x0A
        if space:
            inside = False
        elif not inside:
            inside = True
            words += 1
    return words


def reverse(s: Ptr[u8], n: usize) -> None:
    if n < 2:
        return
    a: Ptr[u8] = s
    b: Ptr[u8] = s + n - 1
    while a < b:
        t: u8 = a[0]
        a[0] = b[0]
        b[0] = t
        a = a + 1
        b = b - 1


def split_field(line: Ptr[u8], n: usize, sep: u8, index: u32, out_len: Ptr[u32]) -> Ptr[u8]:
    """The index-th field of a sep-separated line (like cut -d), its length in *out_len; NULL if absent."""
    start: Ptr[u8] = line
    end: Ptr[u8] = line + n
    field: u32 = 0
    while True:
        stop: Ptr[u8] = memchr(start, sep, usize(end - start))
        if stop == NULL:
            stop = end
        if field == index:
            out_len[0] = u32(stop - start)
            return start
        if stop == end:
            return NULL
        start = stop + 1
        field += 1
