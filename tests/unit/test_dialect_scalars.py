"""Every scalar type's operators and conversions: compiled C equals CPython (host mode).

The inputs are each type's edge values (MIN, MIN+1, -1, 0, 1, MAX-1, MAX, the middle, ...), in
every pair for binary operators; programs/scalars.py holds one function per operator and type.
"""
import itertools

import pytest

from cyrius.lang import scalars
from harness import Twin

TYPES = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize"]
BINARY = ["add", "sub", "mul", "div", "mod", "and", "or", "xor", "cmp", "aug"]
UNARY = ["neg", "inv", "pos", "const_ops", "shl_const", "nonzero"]
SHIFT_COUNTS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 200, 255]
SIGNED_COUNTS = [-129, -65, -64, -33, -1, 0, 1, 31, 63, 64, 70, 1 << 40, -(1 << 63)]


def edges(name: str) -> list[int]:
    t = scalars.SCALARS[name]
    lo, hi = t.min(), t.max()
    values = {lo, lo + 1, lo + 2, 0, 1, 2, 3, 7, hi - 1, hi, hi // 2, hi // 2 + 1, hi // 3,
              0x5A5A5A5A5A5A5A5A & hi, 100 & hi}
    if t.SIGNED:
        values |= {-1, -2, -3, -7, -100 if t.BITS > 8 else -99, lo // 2}
    return sorted(values)


@pytest.fixture(scope="module")
def twin(programs_build):
    return Twin(programs_build.lib, "programs.scalars")


@pytest.mark.parametrize("t", TYPES)
@pytest.mark.parametrize("op", BINARY)
def test_binary_operator(twin, op, t):
    for a, b in itertools.product(edges(t), repeat=2):
        if op in ("div", "mod") and b == 0:
            continue  # a fault in C (#DE), ZeroDivisionError in host mode: test_division_by_zero
        twin.check(f"{op}_{t}", a, b)


@pytest.mark.parametrize("t", TYPES)
@pytest.mark.parametrize("op", UNARY)
def test_unary_operator(twin, op, t):
    for a in edges(t):
        twin.check(f"{op}_{t}", a)


@pytest.mark.parametrize("t", TYPES)
def test_shifts(twin, t):
    for a in edges(t):
        for n in SHIFT_COUNTS:
            twin.check(f"shl_{t}", a, n)
            twin.check(f"shr_{t}", a, n)
        for n in SIGNED_COUNTS:
            twin.check(f"shl_signed_count_{t}", a, n)


@pytest.mark.parametrize("t", TYPES)
def test_bool_to_integer(twin, t):
    for f in (False, True):
        twin.check(f"from_bool_{t}", f)


@pytest.mark.parametrize("src", TYPES)
@pytest.mark.parametrize("dst", TYPES)
def test_conversion(twin, src, dst):
    for a in edges(src):
        twin.check(f"{src}_to_{dst}", a)


def test_documented_values(twin):
    """The examples of docs/dialect.md, "Integers", in both worlds."""
    assert twin.check("div_i32", -7, 2) == -3
    assert twin.check("mod_i32", -7, 2) == -1
    assert twin.check("div_i8", -128, -1) == -128        # MIN // -1 wraps to MIN
    assert twin.check("mod_i64", -(1 << 63), -1) == 0    # MIN % -1 == 0
    assert twin.check("shl_u32", 1, 33) == 2              # the count is taken modulo the width
    assert twin.check("shr_i16", -32768, 15) == -1        # >> is arithmetic on signed types
    assert twin.check("shr_u16", 0x8000, 15) == 1         # and logical on unsigned ones
    assert twin.check("neg_u32", 1, ) == 0xFFFFFFFF       # -u32(1)
    assert twin.check("inv_u8", 0x0F) == 0xF0
    assert twin.check("add_i8", 127, 1) == -128           # signed arithmetic wraps too
    assert twin.check("mul_u64", 1 << 63, 2) == 0
    assert twin.check("i32_to_u8", -1) == 255             # conversions keep the low bits
    assert twin.check("u64_to_i16", 0x18000) == -32768


def test_division_by_zero_raises_in_host_mode(twin):
    for t in TYPES:
        with pytest.raises(ZeroDivisionError):
            getattr(twin.py, f"div_{t}")(1, 0)
        with pytest.raises(ZeroDivisionError):
            getattr(twin.py, f"mod_{t}")(1, 0)
