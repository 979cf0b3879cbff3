"""Cross-module names: `import a.b as c`, `from a.b import f`, structs, enums and constants from
another module, and another module's mutable global reached as mod.name."""
from cyrius.lang import Ptr, addr, u8, u32

import programs.lib.shapes as shapes
from programs.lib import counters
from programs.lib.shapes import SIDES, Box, Kind, area
from programs.lib.shapes import SCALE as TEN
from programs.lib.shapes import small as low_nibble


def box_area(w: u32, h: u32, triangle: bool) -> u32:
    b: Box = Box(w=w, h=h, kind=Kind.SQUARE)
    if triangle:
        b.kind = shapes.Kind.TRIANGLE
    p: Ptr[Box] = addr(b)
    return area(p) + shapes.area(p) + p.perimeter()


def constants(x: u32) -> u32:
    return x * SIDES + shapes.SIDES + TEN + shapes.SCALE


def global_elsewhere(x: u32) -> u32:
    shapes.calls = x
    shapes.calls += 1
    return counters.calls_seen()


def aliased(x: u8) -> u8:
    return low_nibble(x) + shapes.small(x)


def sizes() -> u32:
    b: shapes.Box = shapes.Box(w=2, h=3)
    return u32(b.kind) + b.w * 10 + b.h * 100


def untyped_into_global_elsewhere() -> u32:
    """A constant stored into another module's global takes the global's type (u32)."""
    shapes.calls = 0
    shapes.calls -= 1
    return shapes.calls // 2
