"""Fixed-width integers with the dialect's C semantics (see docs/dialect.md, "Integers").

Each scalar type is an `int` subclass whose constructor wraps to the type's width, so a value
is always in range and compares, hashes and indexes like the plain integer it equals.
"""
from __future__ import annotations

import operator


def _wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def trunc_div(a: int, b: int) -> int:
    """C division: the quotient rounds toward zero."""
    if b == 0:
        raise ZeroDivisionError("integer division by zero")
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def trunc_mod(a: int, b: int) -> int:
    """C remainder: takes the sign of the dividend."""
    return a - trunc_div(a, b) * b


class Scalar(int):
    """Base of the fixed-width integer types; not usable itself."""

    BITS = 0
    SIGNED = False
    C_NAME = ""

    def __new__(cls, value=0):
        if cls.BITS == 0:
            raise TypeError("Scalar is abstract; use u8, u16, u32, u64, i8, i16, i32, i64 or usize")
        if isinstance(value, float):
            raise TypeError("the dialect has no floating point")
        return int.__new__(cls, _wrap(int(value), cls.BITS, cls.SIGNED))

    @classmethod
    def min(cls) -> int:
        return -(1 << (cls.BITS - 1)) if cls.SIGNED else 0

    @classmethod
    def max(cls) -> int:
        return (1 << (cls.BITS - 1)) - 1 if cls.SIGNED else (1 << cls.BITS) - 1

    def _other(self, other) -> int:
        if isinstance(other, bool) or not isinstance(other, int):
            raise TypeError(f"{type(self).__name__} cannot be combined with {type(other).__name__}")
        if isinstance(other, Scalar) and type(other) is not type(self):
            raise TypeError(f"mixed integer types {type(self).__name__} and {type(other).__name__}: "
                            f"convert one explicitly")
        return int(other)

    def _arith(self, other, op, reflected=False):
        b = self._other(other)
        a = int(self)
        return type(self)(op(b, a) if reflected else op(a, b))

    def __add__(self, o): return self._arith(o, operator.add)
    def __radd__(self, o): return self._arith(o, operator.add, True)
    def __sub__(self, o): return self._arith(o, operator.sub)
    def __rsub__(self, o): return self._arith(o, operator.sub, True)
    def __mul__(self, o): return self._arith(o, operator.mul)
    def __rmul__(self, o): return self._arith(o, operator.mul, True)
    def __and__(self, o): return self._arith(o, operator.and_)
    def __rand__(self, o): return self._arith(o, operator.and_, True)
    def __or__(self, o): return self._arith(o, operator.or_)
    def __ror__(self, o): return self._arith(o, operator.or_, True)
    def __xor__(self, o): return self._arith(o, operator.xor)
    def __rxor__(self, o): return self._arith(o, operator.xor, True)
    def __floordiv__(self, o): return self._arith(o, trunc_div)
    def __rfloordiv__(self, o): return self._arith(o, trunc_div, True)
    def __mod__(self, o): return self._arith(o, trunc_mod)
    def __rmod__(self, o): return self._arith(o, trunc_mod, True)

    def __truediv__(self, o):
        raise TypeError("'/' is not in the dialect: use '//' (C division)")

    __rtruediv__ = __truediv__

    def __pow__(self, o, mod=None):
        raise TypeError("'**' is not in the dialect")

    __rpow__ = __pow__

    # The shift count may be of any integer type and is taken modulo the width (as x86 does).
    def __lshift__(self, o):
        return type(self)(int(self) << (int(o) % self.BITS))

    def __rshift__(self, o):
        return type(self)(int(self) >> (int(o) % self.BITS))

    def __rlshift__(self, o):
        return type(o)(int(o) << (int(self) % type(o).BITS)) if isinstance(o, Scalar) else NotImplemented

    def __rrshift__(self, o):
        return type(o)(int(o) >> (int(self) % type(o).BITS)) if isinstance(o, Scalar) else NotImplemented

    def __neg__(self): return type(self)(-int(self))
    def __pos__(self): return self
    def __invert__(self): return type(self)(~int(self))
    def __abs__(self): return type(self)(abs(int(self)))

    def __repr__(self):
        return f"{type(self).__name__}({int(self)})"

    __str__ = __repr__


def _scalar(name: str, bits: int, signed: bool, c_name: str) -> type:
    return type(name, (Scalar,), {"BITS": bits, "SIGNED": signed, "C_NAME": c_name,
                                  "__doc__": f"{bits}-bit {'signed' if signed else 'unsigned'} integer"})


u8 = _scalar("u8", 8, False, "uint8_t")
u16 = _scalar("u16", 16, False, "uint16_t")
u32 = _scalar("u32", 32, False, "uint32_t")
u64 = _scalar("u64", 64, False, "uint64_t")
i8 = _scalar("i8", 8, True, "int8_t")
i16 = _scalar("i16", 16, True, "int16_t")
i32 = _scalar("i32", 32, True, "int32_t")
i64 = _scalar("i64", 64, True, "int64_t")
usize = _scalar("usize", 64, False, "uint64_t")

SCALARS = {t.__name__: t for t in (u8, u16, u32, u64, i8, i16, i32, i64, usize)}
