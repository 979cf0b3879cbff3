"""Untyped constants, Final constants (typed and untyped), constant folding and IntEnum."""
from enum import IntEnum

from cyrius.lang import Array, Final, cast, i8, i16, i32, i64, offsetof, sizeof, struct, u8, u16, u32, u64

LIMIT: Final = 100
MASK: Final = (1 << 12) - 1
NEG: Final = -5
BIG: Final = 0xFFFF_FFFF_FFFF_FFFF
SHIFTED: Final = LIMIT << 3
FOLDED: Final = -7 // 2 + -7 % 2 * 10  # constant-only arithmetic uses Python's rules: -4 + 1 * 10
TYPED8: Final[u8] = 200
TYPED_SIGNED: Final[i16] = -300
ENABLED: Final = True
DISABLED: Final[bool] = False

BODY: Final = 12


@struct
class Header:
    magic: u32
    kind: u8
    body: Array[u8, BODY]


HEADER_SIZE: Final = sizeof(Header)          # constants that need the struct layout
BODY_AT: Final = offsetof(Header, "body")
NAME_LEN: Final = len(b"cyrius")
ESCAPE: Final[u8] = ord("\x1b")  # a character constant
TWO_HEADERS: Final[u16] = HEADER_SIZE * 2


class Color(IntEnum):
    RED = 1
    GREEN = 2
    BLUE = LIMIT + 4
    NEGATIVE = -3
    LETTER = ord("A")


def untyped_in_context(x: u8) -> u8:
    return x + LIMIT - 1


def untyped_with_u64(x: u64) -> u64:
    return x ^ BIG


def negative_constant(x: i32) -> i32:
    return x * NEG + NEG


def constant_expression(x: u32) -> u32:
    return (x & MASK) + SHIFTED + u32(FOLDED)


def folded_value() -> i64:
    return FOLDED


def typed_final(x: u8) -> u8:
    return x + TYPED8


def typed_final_signed(x: i16) -> i16:
    return x - TYPED_SIGNED


def typed_final_conversion() -> u32:
    return u32(TYPED8) + u32(TYPED_SIGNED)


def bool_constants(x: u32) -> u32:
    if ENABLED and not DISABLED:
        return x + 1
    return x


def wrapped_conversion_of_literal() -> u32:
    a: u8 = u8(300)
    b: i8 = i8(200)
    c: u16 = u16(-1)
    return u32(a) + u32(b) + u32(c)


def literal_extremes() -> u64:
    a: i64 = -0x8000000000000000
    b: i64 = 0x7FFFFFFFFFFFFFFF
    c: u64 = 0xFFFFFFFFFFFFFFFF
    d: i8 = -128
    return u64(a) ^ u64(b) ^ c ^ u64(d)


def enum_member(n: i32) -> i32:
    c: Color = cast(Color, n)
    if c == Color.RED:
        return 10
    if c != Color.BLUE:
        return i32(c) * 2
    return 30


def enum_to_int(n: u8) -> u32:
    c: Color = Color.GREEN
    if n > 100:
        c = Color.BLUE
    elif n > 50:
        c = Color.NEGATIVE
    return u32(c) + cast(u32, c)


def enum_roundtrip(n: i32) -> i32:
    c: Color = cast(Color, n)
    return cast(i32, c)


def enum_value_of_member() -> i32:
    return i32(Color.BLUE) + i32(Color.NEGATIVE)


def layout_constants() -> u32:
    return u32(HEADER_SIZE) * 10000 + u32(BODY_AT) * 100 + u32(NAME_LEN) + u32(TWO_HEADERS) * 1000000


def character_constants(c: u8) -> u32:
    """ord of a one-character str or bytes literal is an untyped constant."""
    if c == ord("\n"):
        return 1
    if c == ord(" ") or c == ord(b"\t"):
        return 2
    if c == ESCAPE:
        return 3
    if ord(b"0") <= c and c <= ord("9"):
        return u32(c - ord("0")) + 10
    if cast(Color, i32(c)) == Color.LETTER:
        return 4
    return 0
