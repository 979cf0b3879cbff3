"""Integer edge cases: wrap-around, signed division and remainder, shifts, and conversions across
every width, folded into one result per call so a single mismatch shows up."""
from cyrius.lang import i8, i16, i32, i64, u8, u16, u32, u64, usize


def mix(h: u64, v: u64) -> u64:
    """Fold a value into a running hash (the splitmix64 finaliser)."""
    h = (h ^ v) + 0x9E3779B97F4A7C15
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9
    h = (h ^ (h >> 27)) * 0x94D049BB133111EB
    return h ^ (h >> 31)


def conversions(x: u64) -> u64:
    """x through every width and signedness, and back up (sign- or zero-extending)."""
    h: u64 = 0
    h = mix(h, u64(u8(x)))
    h = mix(h, u64(i8(x)))
    h = mix(h, u64(u16(x)))
    h = mix(h, u64(i16(x)))
    h = mix(h, u64(u32(x)))
    h = mix(h, u64(i32(x)))
    h = mix(h, u64(i64(x)))
    h = mix(h, u64(usize(x)))
    h = mix(h, u64(i64(i8(x))))          # sign extension
    h = mix(h, u64(u16(i8(x))))
    h = mix(h, u64(i32(u16(x))))         # zero extension
    h = mix(h, u64(i8(i32(x) >> 4)))
    h = mix(h, u64(u8(i16(x)) + u8(x >> 8)))
    return h


def signed_division(a: i64, b: i64) -> u64:
    """// and % in every signed width (truncating; b's low byte is never zero)."""
    h: u64 = 0
    h = mix(h, u64(i8(a) // i8(b)))
    h = mix(h, u64(i8(a) % i8(b)))
    h = mix(h, u64(i16(a) // i16(b)))
    h = mix(h, u64(i16(a) % i16(b)))
    h = mix(h, u64(i32(a) // i32(b)))
    h = mix(h, u64(i32(a) % i32(b)))
    h = mix(h, u64(a // b))
    h = mix(h, u64(a % b))
    h = mix(h, u64(a // -1))             # MIN // -1 wraps to MIN
    h = mix(h, u64(i32(a) % -1))
    return h


def unsigned_division(a: u64, b: u64) -> u64:
    h: u64 = 0
    h = mix(h, u64(u8(a) // u8(b)))
    h = mix(h, u64(u8(a) % u8(b)))
    h = mix(h, u64(u16(a) // u16(b)))
    h = mix(h, u64(u16(a) % u16(b)))
    h = mix(h, u64(u32(a) // u32(b)))
    h = mix(h, u64(u32(a) % u32(b)))
    h = mix(h, a // b)
    h = mix(h, a % b)
    return h


def shifts(x: u64, n: u8) -> u64:
    """Counts are taken modulo the width; >> is arithmetic on signed types."""
    h: u64 = 0
    h = mix(h, u64(u8(x) << n))
    h = mix(h, u64(u8(x) >> n))
    h = mix(h, u64(i8(x) >> n))
    h = mix(h, u64(i8(x) << n))
    h = mix(h, u64(u16(x) << n))
    h = mix(h, u64(i16(x) >> n))
    h = mix(h, u64(u32(x) >> n))
    h = mix(h, u64(i32(x) << n))
    h = mix(h, u64(i32(x) >> n))
    h = mix(h, x << n)
    h = mix(h, x >> n)
    h = mix(h, u64(i64(x) >> n))
    h = mix(h, u64(i64(x) << i64(n) - 70))   # a negative count of another type
    return h


def wrapping(a: u64, b: u64) -> u64:
    """+, -, *, unary - and ~ wrapping in every width."""
    h: u64 = 0
    h = mix(h, u64(u8(a) + u8(b)))
    h = mix(h, u64(i8(a) - i8(b)))
    h = mix(h, u64(u8(a) * u8(b)))
    h = mix(h, u64(i16(a) * i16(b)))
    h = mix(h, u64(u16(a) - u16(b)))
    h = mix(h, u64(i32(a) + i32(b)))
    h = mix(h, u64(i32(a) * i32(b)))
    h = mix(h, u64(u32(a) - u32(b)))
    h = mix(h, u64(i64(a) * i64(b)))
    h = mix(h, a - b)
    h = mix(h, u64(-i8(a)))
    h = mix(h, u64(-i64(a)))
    h = mix(h, u64(~u16(a)))
    h = mix(h, u64(~i32(b)))
    return h


def comparisons(a: u64, b: u64) -> u32:
    """The same bits compare differently as signed and unsigned."""
    r: u32 = 0
    if u8(a) < u8(b):
        r |= 1
    if i8(a) < i8(b):
        r |= 2
    if u16(a) <= u16(b):
        r |= 4
    if i16(a) <= i16(b):
        r |= 8
    if u32(a) > u32(b):
        r |= 16
    if i32(a) > i32(b):
        r |= 32
    if a >= b:
        r |= 64
    if i64(a) >= i64(b):
        r |= 128
    if i64(a) == i64(b) or u8(a) != u8(b):
        r |= 256
    return r


def rotl32(x: u32, n: u32) -> u32:
    return x << n | x >> (32 - n)       # counts modulo 32: n == 0 and n >= 32 work


def mul_hi_u64(a: u64, b: u64) -> u64:
    """High 64 bits of the 128-bit product, from 32-bit halves."""
    a_lo: u64 = a & 0xFFFFFFFF
    a_hi: u64 = a >> 32
    b_lo: u64 = b & 0xFFFFFFFF
    b_hi: u64 = b >> 32
    lo_lo: u64 = a_lo * b_lo
    hi_lo: u64 = a_hi * b_lo
    lo_hi: u64 = a_lo * b_hi
    hi_hi: u64 = a_hi * b_hi
    cross: u64 = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFF) + lo_hi
    return hi_hi + (hi_lo >> 32) + (cross >> 32)


def add_overflows_i32(a: i32, b: i32) -> bool:
    s: i32 = a + b
    return (a >= 0) == (b >= 0) and (s >= 0) != (a >= 0)


def mul_overflows_u32(a: u32, b: u32) -> bool:
    return u64(a) * u64(b) > 0xFFFFFFFF


def saturating_add_u8(a: u8, b: u8) -> u8:
    s: u8 = a + b
    if s < a:
        return 255
    return s


def abs_i32(x: i32) -> i32:
    """abs(MIN) wraps to MIN."""
    if x < 0:
        return -x
    return x


def clz32(x: u32) -> u32:
    if x == 0:
        return 32
    n: u32 = 0
    bit: u32 = 0x80000000
    while x & bit == 0:
        n += 1
        bit >>= u8(1)
    return n


def isqrt(x: u64) -> u64:
    """Integer square root by bisection, with no overflow near 2**64."""
    lo: u64 = 0
    hi: u64 = 0xFFFFFFFF
    while lo < hi:
        mid: u64 = lo + (hi - lo + 1) // 2
        if mid * mid <= x:
            lo = mid
        else:
            hi = mid - 1
    return lo


def xorshift_steps(seed: u64, steps: u32) -> u64:
    x: u64 = seed | 1
    for _ in range(steps):
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
    return x
