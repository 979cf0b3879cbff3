"""Programs that once compiled wrongly, failed to compile, or ran differently under CPython;
tests/unit/test_regressions.py names each bug."""
from enum import IntEnum
from typing import Callable

from cyrius.lang import NULL, Final, Ptr, struct, u8, u16, u32

BASE: Final = 40


class Level(IntEnum):
    """Enum values computed from a module constant."""
    LOW = BASE
    HIGH = BASE + 10


DOUBLE_HIGH: Final = Level.HIGH * 2  # a constant from an enum value from a constant


@struct
class Slot:
    level: Level
    hook: Callable[[u32], u32]


def add(a: u32, b: u32) -> u32:
    return a + b


def twice(x: u32) -> u32:
    return x * 2


def choose(which: u32) -> Callable[[u32], u32]:
    """Its type, Callable[[u32], Callable[[u32], u32]], once had the C name of Callable[[u32, u32], u32]."""
    if which == 0:
        return NULL
    return twice


def function_pointer_signatures(x: u32) -> u32:
    binary: Callable[[u32, u32], u32] = add
    chooser: Callable[[u32], Callable[[u32], u32]] = choose
    unary: Callable[[u32], u32] = chooser(x)
    if unary == NULL:
        return binary(x, 100)
    return binary(unary(x), 1)


def enum_from_constant(x: u32) -> u32:
    level: Level = Level.LOW
    if x > 5:
        level = Level.HIGH
    return u32(level) + DOUBLE_HIGH * 1000


def zeroed_struct_fields() -> u32:
    """A zero-filled enum field holds no member; a zero function-pointer field is NULL."""
    s: Slot = Slot()
    r: u32 = 0
    if s.hook == NULL:
        r |= 1
    if not s.hook:
        r |= 2
    if s.level != Level.LOW:
        r |= 4
    s.hook = twice
    return r * 1000 + s.hook(u32(s.level) + 5)


def len_as_range_bound() -> u32:
    total: u32 = 0
    for i in range(len(b"abcd")):
        total += u32(i) + 1
    return total


def pointer_ordering(p: Ptr[u16], n: u32) -> u32:
    end: Ptr[u16] = p + n
    r: u32 = 0
    q: Ptr[u16] = p
    while q < end:
        q += 1
        r += 1
    if q >= end and p <= end and end > p:
        r += 100
    return r


def compare_with_itself(x: u32, z: u8) -> u32:
    """Valid programs that gcc -Werror once rejected (-Wtautological-compare, -Wsign-compare)."""
    r: u32 = 0
    if x == x:
        r += 1
    if u32(z) == ~u32(u8(x)):
        r += 2
    return r


def divide_by_difference(x: u32, y: u32) -> u32:
    """x // (y - y) faults at run time; gcc -Werror once rejected it (-Wdiv-by-zero)."""
    if y == 0:
        return 0
    if x == 0 and y == 0:
        return x // (y - y)  # never runs
    return x // y
