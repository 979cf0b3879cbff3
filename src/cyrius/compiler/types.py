"""The checker's view of dialect types, with their C spelling and layout."""
from __future__ import annotations

from dataclasses import dataclass, field


class Type:
    size = 0
    align = 1

    def c(self) -> str:
        """C type name usable in casts and declarations (arrays use `declare`)."""
        raise NotImplementedError

    def mangle(self) -> str:
        raise NotImplementedError

    def declare(self, name: str) -> str:
        return f"{self.c()} {name}"


@dataclass(frozen=True, eq=True)
class IntType(Type):
    name: str
    bits: int
    signed: bool

    @property
    def size(self):
        return self.bits // 8

    @property
    def align(self):
        return self.bits // 8

    def c(self):
        return f"{'' if self.signed else 'u'}int{self.bits}_t"

    def unsigned_c(self):
        """The unsigned C type arithmetic on this type is carried out in (never narrower than int)."""
        return f"uint{max(self.bits, 32)}_t"

    def mangle(self):
        return self.name

    def fits(self, value: int) -> bool:
        lo = -(1 << (self.bits - 1)) if self.signed else 0
        hi = (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1
        return lo <= value <= hi

    def __str__(self):
        return self.name


class _Simple(Type):
    def __init__(self, name, c_name, size):
        self.name, self.c_name, self.size, self.align = name, c_name, size, max(size, 1)

    def c(self):
        return self.c_name

    def mangle(self):
        return self.name

    def __str__(self):
        return self.name

    def __repr__(self):
        return self.name


BOOL = _Simple("bool", "bool", 1)
VOID = _Simple("None", "void", 0)
UNTYPED = _Simple("integer constant", "int64_t", 8)  # compile-time constants without a type
NULLT = _Simple("NULL", "void *", 8)
BYTES = _Simple("bytes", "uint8_t *", 8)

INTS = {n: IntType(n, b, s) for n, b, s in [
    ("u8", 8, False), ("u16", 16, False), ("u32", 32, False), ("u64", 64, False),
    ("i8", 8, True), ("i16", 16, True), ("i32", 32, True), ("i64", 64, True), ("usize", 64, False)]}


@dataclass(frozen=True, eq=True)
class PtrType(Type):
    target: Type | None  # None: void *
    size = 8
    align = 8

    def c(self):
        return "void *" if self.target is None else f"{self.target.c()} *"

    def mangle(self):
        return "p_" + ("void" if self.target is None else self.target.mangle())

    def __str__(self):
        return f"Ptr[{'None' if self.target is None else self.target}]"


@dataclass(frozen=True, eq=True)
class ArrayType(Type):
    elem: Type
    length: int

    @property
    def size(self):
        return self.elem.size * self.length

    @property
    def align(self):
        return self.elem.align

    def c(self):
        raise TypeError("arrays have no C cast type")

    def declare(self, name):
        return self.elem.declare(f"{name}[{self.length}]")

    def mangle(self):
        return f"a{self.length}_{self.elem.mangle()}"

    def __str__(self):
        return f"Array[{self.elem}, {self.length}]"


@dataclass(frozen=True, eq=True)
class FuncType(Type):
    params: tuple
    ret: Type
    size = 8
    align = 8

    def c(self):
        return "cy_fn__" + "_".join([self.ret.mangle(), *[p.mangle() for p in self.params]])

    def mangle(self):
        # The parameter count keeps nested signatures apart: Callable[[u32], Callable[[u32], u32]]
        # is f1_f1_u32_u32_u32, Callable[[u32, u32], u32] is f2_u32_u32_u32.
        return "_".join([f"f{len(self.params)}", self.ret.mangle(), *[p.mangle() for p in self.params]])

    def typedef(self) -> str:
        args = ", ".join(p.c() for p in self.params) or "void"
        return f"typedef {self.ret.c()} (*{self.c()})({args});"

    def __str__(self):
        return f"Callable[[{', '.join(map(str, self.params))}], {self.ret}]"


@dataclass(eq=False)
class StructType(Type):
    module: str
    name: str
    c_name: str
    packed: bool = False
    fields: list = field(default_factory=list)  # [(name, Type, offset)]
    methods: dict = field(default_factory=dict)  # name -> Function
    size: int = 0
    align: int = 1
    declared: bool = False  # fields read from the class body
    complete: bool = False  # laid out

    def c(self):
        return f"struct {self.c_name}"

    def mangle(self):
        return self.c_name

    def field(self, name):
        for fname, ftype, off in self.fields:
            if fname == name:
                return ftype, off
        return None

    def layout(self):
        offset, align = 0, 1
        laid = []
        for fname, ftype, _ in self.fields:
            falign = 1 if self.packed else ftype.align
            offset = (offset + falign - 1) // falign * falign
            laid.append((fname, ftype, offset))
            offset += ftype.size
            align = max(align, falign)
        self.fields = laid
        self.align = align
        self.size = (offset + align - 1) // align * align
        self.complete = True

    def __str__(self):
        return self.name


@dataclass(eq=False)
class EnumType(Type):
    module: str
    name: str
    c_name: str
    members: dict = field(default_factory=dict)
    evaluated: bool = False  # members computed (on first use: they may use constants, and constants them)
    size = 4
    align = 4

    def c(self):
        return "int32_t"

    def mangle(self):
        return self.c_name

    def __str__(self):
        return self.name


def is_int(t: Type) -> bool:
    return isinstance(t, IntType)


def is_ptr(t: Type) -> bool:
    return isinstance(t, PtrType)


def scalar_c_literal(t: IntType, value: int) -> str:
    """A C constant of type `t` whose value is `value` (already in range)."""
    if t.signed:
        if value == -(1 << (t.bits - 1)):
            return f"(({t.c()})(-{(1 << (t.bits - 1)) - 1}LL - 1))"
        return f"(({t.c()}){value}LL)"
    return f"(({t.c()}){value}ULL)"
