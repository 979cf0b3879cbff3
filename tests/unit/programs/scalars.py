"""Every scalar type's operators and conversions, one tiny function each.

Generated once (a loop over the types) and kept as plain source: each function is a single
construct, so a mismatch names exactly the operator and type that differ.
"""
from cyrius.lang import i8, i16, i32, i64, u8, u16, u32, u64, usize


# ---------------------------------------------------------------- u8

def add_u8(a: u8, b: u8) -> u8:
    return a + b


def sub_u8(a: u8, b: u8) -> u8:
    return a - b


def mul_u8(a: u8, b: u8) -> u8:
    return a * b


def div_u8(a: u8, b: u8) -> u8:
    return a // b


def mod_u8(a: u8, b: u8) -> u8:
    return a % b


def and_u8(a: u8, b: u8) -> u8:
    return a & b


def or_u8(a: u8, b: u8) -> u8:
    return a | b


def xor_u8(a: u8, b: u8) -> u8:
    return a ^ b


def shl_u8(a: u8, n: u8) -> u8:
    return a << n


def shr_u8(a: u8, n: u8) -> u8:
    return a >> n


def shl_signed_count_u8(a: u8, n: i64) -> u8:
    return a << n


def shl_const_u8(a: u8) -> u8:
    return (a << 3) ^ (a >> 70)


def neg_u8(a: u8) -> u8:
    return -a


def inv_u8(a: u8) -> u8:
    return ~a


def pos_u8(a: u8) -> u8:
    return +a


def const_ops_u8(a: u8) -> u8:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_u8(a: u8, b: u8) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_u8(a: u8, b: u8) -> u8:
    x: u8 = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_u8(f: bool) -> u8:
    return u8(f) + u8(not f)


def nonzero_u8(a: u8) -> bool:
    return a != 0


def u8_to_u8(a: u8) -> u8:
    return u8(a)


def u16_to_u8(a: u16) -> u8:
    return u8(a)


def u32_to_u8(a: u32) -> u8:
    return u8(a)


def u64_to_u8(a: u64) -> u8:
    return u8(a)


def i8_to_u8(a: i8) -> u8:
    return u8(a)


def i16_to_u8(a: i16) -> u8:
    return u8(a)


def i32_to_u8(a: i32) -> u8:
    return u8(a)


def i64_to_u8(a: i64) -> u8:
    return u8(a)


def usize_to_u8(a: usize) -> u8:
    return u8(a)


# ---------------------------------------------------------------- u16

def add_u16(a: u16, b: u16) -> u16:
    return a + b


def sub_u16(a: u16, b: u16) -> u16:
    return a - b


def mul_u16(a: u16, b: u16) -> u16:
    return a * b


def div_u16(a: u16, b: u16) -> u16:
    return a // b


def mod_u16(a: u16, b: u16) -> u16:
    return a % b


def and_u16(a: u16, b: u16) -> u16:
    return a & b


def or_u16(a: u16, b: u16) -> u16:
    return a | b


def xor_u16(a: u16, b: u16) -> u16:
    return a ^ b


def shl_u16(a: u16, n: u8) -> u16:
    return a << n


def shr_u16(a: u16, n: u8) -> u16:
    return a >> n


def shl_signed_count_u16(a: u16, n: i64) -> u16:
    return a << n


def shl_const_u16(a: u16) -> u16:
    return (a << 3) ^ (a >> 70)


def neg_u16(a: u16) -> u16:
    return -a


def inv_u16(a: u16) -> u16:
    return ~a


def pos_u16(a: u16) -> u16:
    return +a


def const_ops_u16(a: u16) -> u16:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_u16(a: u16, b: u16) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_u16(a: u16, b: u16) -> u16:
    x: u16 = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_u16(f: bool) -> u16:
    return u16(f) + u16(not f)


def nonzero_u16(a: u16) -> bool:
    return a != 0


def u8_to_u16(a: u8) -> u16:
    return u16(a)


def u16_to_u16(a: u16) -> u16:
    return u16(a)


def u32_to_u16(a: u32) -> u16:
    return u16(a)


def u64_to_u16(a: u64) -> u16:
    return u16(a)


def i8_to_u16(a: i8) -> u16:
    return u16(a)


def i16_to_u16(a: i16) -> u16:
    return u16(a)


def i32_to_u16(a: i32) -> u16:
    return u16(a)


def i64_to_u16(a: i64) -> u16:
    return u16(a)


def usize_to_u16(a: usize) -> u16:
    return u16(a)


# ---------------------------------------------------------------- u32

def add_u32(a: u32, b: u32) -> u32:
    return a + b


def sub_u32(a: u32, b: u32) -> u32:
    return a - b


def mul_u32(a: u32, b: u32) -> u32:
    return a * b


def div_u32(a: u32, b: u32) -> u32:
    return a // b


def mod_u32(a: u32, b: u32) -> u32:
    return a % b


def and_u32(a: u32, b: u32) -> u32:
    return a & b


def or_u32(a: u32, b: u32) -> u32:
    return a | b


def xor_u32(a: u32, b: u32) -> u32:
    return a ^ b


def shl_u32(a: u32, n: u8) -> u32:
    return a << n


def shr_u32(a: u32, n: u8) -> u32:
    return a >> n


def shl_signed_count_u32(a: u32, n: i64) -> u32:
    return a << n


def shl_const_u32(a: u32) -> u32:
    return (a << 3) ^ (a >> 70)


def neg_u32(a: u32) -> u32:
    return -a


def inv_u32(a: u32) -> u32:
    return ~a


def pos_u32(a: u32) -> u32:
    return +a


def const_ops_u32(a: u32) -> u32:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_u32(a: u32, b: u32) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_u32(a: u32, b: u32) -> u32:
    x: u32 = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_u32(f: bool) -> u32:
    return u32(f) + u32(not f)


def nonzero_u32(a: u32) -> bool:
    return a != 0


def u8_to_u32(a: u8) -> u32:
    return u32(a)


def u16_to_u32(a: u16) -> u32:
    return u32(a)


def u32_to_u32(a: u32) -> u32:
    return u32(a)


def u64_to_u32(a: u64) -> u32:
    return u32(a)


def i8_to_u32(a: i8) -> u32:
    return u32(a)


def i16_to_u32(a: i16) -> u32:
    return u32(a)


def i32_to_u32(a: i32) -> u32:
    return u32(a)


def i64_to_u32(a: i64) -> u32:
    return u32(a)


def usize_to_u32(a: usize) -> u32:
    return u32(a)


# ---------------------------------------------------------------- u64

def add_u64(a: u64, b: u64) -> u64:
    return a + b


def sub_u64(a: u64, b: u64) -> u64:
    return a - b


def mul_u64(a: u64, b: u64) -> u64:
    return a * b


def div_u64(a: u64, b: u64) -> u64:
    return a // b


def mod_u64(a: u64, b: u64) -> u64:
    return a % b


def and_u64(a: u64, b: u64) -> u64:
    return a & b


def or_u64(a: u64, b: u64) -> u64:
    return a | b


def xor_u64(a: u64, b: u64) -> u64:
    return a ^ b


def shl_u64(a: u64, n: u8) -> u64:
    return a << n


def shr_u64(a: u64, n: u8) -> u64:
    return a >> n


def shl_signed_count_u64(a: u64, n: i64) -> u64:
    return a << n


def shl_const_u64(a: u64) -> u64:
    return (a << 3) ^ (a >> 70)


def neg_u64(a: u64) -> u64:
    return -a


def inv_u64(a: u64) -> u64:
    return ~a


def pos_u64(a: u64) -> u64:
    return +a


def const_ops_u64(a: u64) -> u64:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_u64(a: u64, b: u64) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_u64(a: u64, b: u64) -> u64:
    x: u64 = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_u64(f: bool) -> u64:
    return u64(f) + u64(not f)


def nonzero_u64(a: u64) -> bool:
    return a != 0


def u8_to_u64(a: u8) -> u64:
    return u64(a)


def u16_to_u64(a: u16) -> u64:
    return u64(a)


def u32_to_u64(a: u32) -> u64:
    return u64(a)


def u64_to_u64(a: u64) -> u64:
    return u64(a)


def i8_to_u64(a: i8) -> u64:
    return u64(a)


def i16_to_u64(a: i16) -> u64:
    return u64(a)


def i32_to_u64(a: i32) -> u64:
    return u64(a)


def i64_to_u64(a: i64) -> u64:
    return u64(a)


def usize_to_u64(a: usize) -> u64:
    return u64(a)


# ---------------------------------------------------------------- i8

def add_i8(a: i8, b: i8) -> i8:
    return a + b


def sub_i8(a: i8, b: i8) -> i8:
    return a - b


def mul_i8(a: i8, b: i8) -> i8:
    return a * b


def div_i8(a: i8, b: i8) -> i8:
    return a // b


def mod_i8(a: i8, b: i8) -> i8:
    return a % b


def and_i8(a: i8, b: i8) -> i8:
    return a & b


def or_i8(a: i8, b: i8) -> i8:
    return a | b


def xor_i8(a: i8, b: i8) -> i8:
    return a ^ b


def shl_i8(a: i8, n: u8) -> i8:
    return a << n


def shr_i8(a: i8, n: u8) -> i8:
    return a >> n


def shl_signed_count_i8(a: i8, n: i64) -> i8:
    return a << n


def shl_const_i8(a: i8) -> i8:
    return (a << 3) ^ (a >> 70)


def neg_i8(a: i8) -> i8:
    return -a


def inv_i8(a: i8) -> i8:
    return ~a


def pos_i8(a: i8) -> i8:
    return +a


def const_ops_i8(a: i8) -> i8:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_i8(a: i8, b: i8) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_i8(a: i8, b: i8) -> i8:
    x: i8 = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_i8(f: bool) -> i8:
    return i8(f) + i8(not f)


def nonzero_i8(a: i8) -> bool:
    return a != 0


def u8_to_i8(a: u8) -> i8:
    return i8(a)


def u16_to_i8(a: u16) -> i8:
    return i8(a)


def u32_to_i8(a: u32) -> i8:
    return i8(a)


def u64_to_i8(a: u64) -> i8:
    return i8(a)


def i8_to_i8(a: i8) -> i8:
    return i8(a)


def i16_to_i8(a: i16) -> i8:
    return i8(a)


def i32_to_i8(a: i32) -> i8:
    return i8(a)


def i64_to_i8(a: i64) -> i8:
    return i8(a)


def usize_to_i8(a: usize) -> i8:
    return i8(a)


# ---------------------------------------------------------------- i16

def add_i16(a: i16, b: i16) -> i16:
    return a + b


def sub_i16(a: i16, b: i16) -> i16:
    return a - b


def mul_i16(a: i16, b: i16) -> i16:
    return a * b


def div_i16(a: i16, b: i16) -> i16:
    return a // b


def mod_i16(a: i16, b: i16) -> i16:
    return a % b


def and_i16(a: i16, b: i16) -> i16:
    return a & b


def or_i16(a: i16, b: i16) -> i16:
    return a | b


def xor_i16(a: i16, b: i16) -> i16:
    return a ^ b


def shl_i16(a: i16, n: u8) -> i16:
    return a << n


def shr_i16(a: i16, n: u8) -> i16:
    return a >> n


def shl_signed_count_i16(a: i16, n: i64) -> i16:
    return a << n


def shl_const_i16(a: i16) -> i16:
    return (a << 3) ^ (a >> 70)


def neg_i16(a: i16) -> i16:
    return -a


def inv_i16(a: i16) -> i16:
    return ~a


def pos_i16(a: i16) -> i16:
    return +a


def const_ops_i16(a: i16) -> i16:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_i16(a: i16, b: i16) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_i16(a: i16, b: i16) -> i16:
    x: i16 = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_i16(f: bool) -> i16:
    return i16(f) + i16(not f)


def nonzero_i16(a: i16) -> bool:
    return a != 0


def u8_to_i16(a: u8) -> i16:
    return i16(a)


def u16_to_i16(a: u16) -> i16:
    return i16(a)


def u32_to_i16(a: u32) -> i16:
    return i16(a)


def u64_to_i16(a: u64) -> i16:
    return i16(a)


def i8_to_i16(a: i8) -> i16:
    return i16(a)


def i16_to_i16(a: i16) -> i16:
    return i16(a)


def i32_to_i16(a: i32) -> i16:
    return i16(a)


def i64_to_i16(a: i64) -> i16:
    return i16(a)


def usize_to_i16(a: usize) -> i16:
    return i16(a)


# ---------------------------------------------------------------- i32

def add_i32(a: i32, b: i32) -> i32:
    return a + b


def sub_i32(a: i32, b: i32) -> i32:
    return a - b


def mul_i32(a: i32, b: i32) -> i32:
    return a * b


def div_i32(a: i32, b: i32) -> i32:
    return a // b


def mod_i32(a: i32, b: i32) -> i32:
    return a % b


def and_i32(a: i32, b: i32) -> i32:
    return a & b


def or_i32(a: i32, b: i32) -> i32:
    return a | b


def xor_i32(a: i32, b: i32) -> i32:
    return a ^ b


def shl_i32(a: i32, n: u8) -> i32:
    return a << n


def shr_i32(a: i32, n: u8) -> i32:
    return a >> n


def shl_signed_count_i32(a: i32, n: i64) -> i32:
    return a << n


def shl_const_i32(a: i32) -> i32:
    return (a << 3) ^ (a >> 70)


def neg_i32(a: i32) -> i32:
    return -a


def inv_i32(a: i32) -> i32:
    return ~a


def pos_i32(a: i32) -> i32:
    return +a


def const_ops_i32(a: i32) -> i32:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_i32(a: i32, b: i32) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_i32(a: i32, b: i32) -> i32:
    x: i32 = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_i32(f: bool) -> i32:
    return i32(f) + i32(not f)


def nonzero_i32(a: i32) -> bool:
    return a != 0


def u8_to_i32(a: u8) -> i32:
    return i32(a)


def u16_to_i32(a: u16) -> i32:
    return i32(a)


def u32_to_i32(a: u32) -> i32:
    return i32(a)


def u64_to_i32(a: u64) -> i32:
    return i32(a)


def i8_to_i32(a: i8) -> i32:
    return i32(a)


def i16_to_i32(a: i16) -> i32:
    return i32(a)


def i32_to_i32(a: i32) -> i32:
    return i32(a)


def i64_to_i32(a: i64) -> i32:
    return i32(a)


def usize_to_i32(a: usize) -> i32:
    return i32(a)


# ---------------------------------------------------------------- i64

def add_i64(a: i64, b: i64) -> i64:
    return a + b


def sub_i64(a: i64, b: i64) -> i64:
    return a - b


def mul_i64(a: i64, b: i64) -> i64:
    return a * b


def div_i64(a: i64, b: i64) -> i64:
    return a // b


def mod_i64(a: i64, b: i64) -> i64:
    return a % b


def and_i64(a: i64, b: i64) -> i64:
    return a & b


def or_i64(a: i64, b: i64) -> i64:
    return a | b


def xor_i64(a: i64, b: i64) -> i64:
    return a ^ b


def shl_i64(a: i64, n: u8) -> i64:
    return a << n


def shr_i64(a: i64, n: u8) -> i64:
    return a >> n


def shl_signed_count_i64(a: i64, n: i64) -> i64:
    return a << n


def shl_const_i64(a: i64) -> i64:
    return (a << 3) ^ (a >> 70)


def neg_i64(a: i64) -> i64:
    return -a


def inv_i64(a: i64) -> i64:
    return ~a


def pos_i64(a: i64) -> i64:
    return +a


def const_ops_i64(a: i64) -> i64:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_i64(a: i64, b: i64) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_i64(a: i64, b: i64) -> i64:
    x: i64 = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_i64(f: bool) -> i64:
    return i64(f) + i64(not f)


def nonzero_i64(a: i64) -> bool:
    return a != 0


def u8_to_i64(a: u8) -> i64:
    return i64(a)


def u16_to_i64(a: u16) -> i64:
    return i64(a)


def u32_to_i64(a: u32) -> i64:
    return i64(a)


def u64_to_i64(a: u64) -> i64:
    return i64(a)


def i8_to_i64(a: i8) -> i64:
    return i64(a)


def i16_to_i64(a: i16) -> i64:
    return i64(a)


def i32_to_i64(a: i32) -> i64:
    return i64(a)


def i64_to_i64(a: i64) -> i64:
    return i64(a)


def usize_to_i64(a: usize) -> i64:
    return i64(a)


# ---------------------------------------------------------------- usize

def add_usize(a: usize, b: usize) -> usize:
    return a + b


def sub_usize(a: usize, b: usize) -> usize:
    return a - b


def mul_usize(a: usize, b: usize) -> usize:
    return a * b


def div_usize(a: usize, b: usize) -> usize:
    return a // b


def mod_usize(a: usize, b: usize) -> usize:
    return a % b


def and_usize(a: usize, b: usize) -> usize:
    return a & b


def or_usize(a: usize, b: usize) -> usize:
    return a | b


def xor_usize(a: usize, b: usize) -> usize:
    return a ^ b


def shl_usize(a: usize, n: u8) -> usize:
    return a << n


def shr_usize(a: usize, n: u8) -> usize:
    return a >> n


def shl_signed_count_usize(a: usize, n: i64) -> usize:
    return a << n


def shl_const_usize(a: usize) -> usize:
    return (a << 3) ^ (a >> 70)


def neg_usize(a: usize) -> usize:
    return -a


def inv_usize(a: usize) -> usize:
    return ~a


def pos_usize(a: usize) -> usize:
    return +a


def const_ops_usize(a: usize) -> usize:
    return (a + 7) * 3 - (a & 0x55) + (1 << 4) // 3


def cmp_usize(a: usize, b: usize) -> u32:
    r: u32 = 0
    if a < b:
        r |= 1
    if a <= b:
        r |= 2
    if a > b:
        r |= 4
    if a >= b:
        r |= 8
    if a == b:
        r |= 16
    if a != b:
        r |= 32
    return r


def aug_usize(a: usize, b: usize) -> usize:
    x: usize = a
    x += b
    x *= b
    x -= a
    x ^= b
    x <<= u8(1)
    x >>= u8(2)
    x &= a | b
    x |= 1
    return x


def from_bool_usize(f: bool) -> usize:
    return usize(f) + usize(not f)


def nonzero_usize(a: usize) -> bool:
    return a != 0


def u8_to_usize(a: u8) -> usize:
    return usize(a)


def u16_to_usize(a: u16) -> usize:
    return usize(a)


def u32_to_usize(a: u32) -> usize:
    return usize(a)


def u64_to_usize(a: u64) -> usize:
    return usize(a)


def i8_to_usize(a: i8) -> usize:
    return usize(a)


def i16_to_usize(a: i16) -> usize:
    return usize(a)


def i32_to_usize(a: i32) -> usize:
    return usize(a)


def i64_to_usize(a: i64) -> usize:
    return usize(a)


def usize_to_usize(a: usize) -> usize:
    return usize(a)
