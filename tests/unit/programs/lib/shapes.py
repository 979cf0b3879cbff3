"""Declarations used from another module: a struct, an enum, constants, functions, a global."""
from enum import IntEnum

from cyrius.lang import Final, Ptr, struct, u8, u32

SIDES: Final = 4
SCALE: Final[u32] = 10
calls: u32 = 0


class Kind(IntEnum):
    SQUARE = 1
    TRIANGLE = 3


@struct
class Box:
    w: u32
    h: u32
    kind: Kind

    def perimeter(self) -> u32:
        return (self.w + self.h) * 2


def area(b: Ptr[Box]) -> u32:
    global calls
    calls += 1
    if b.kind == Kind.TRIANGLE:
        return b.w * b.h // 2
    return b.w * b.h


def small(x: u8) -> u8:
    return x & 0xF
