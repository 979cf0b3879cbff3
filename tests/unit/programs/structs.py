"""@struct layout (natural and packed), nested structs by value, arrays in structs, methods
through a pointer and through a value, sizeof/offsetof, addr(), struct copies."""
from typing import Callable

from cyrius.lang import NULL, Array, Ptr, addr, cast, offsetof, sizeof, struct, u8, u16, u32, u64, usize


@struct
class Mixed:
    """C layout: padding after a, b and d."""
    a: u8
    b: u32
    c: u16
    d: u8
    e: u64


@struct(packed=True)
class Packed:
    a: u8
    b: u32
    c: u16
    e: u64


@struct
class Point:
    x: u32
    y: u32

    def norm1(self) -> u32:
        return self.x + self.y

    def scale(self, k: u32) -> None:
        self.x = self.x * k
        self.y *= k


@struct
class Rect:
    tag: u8
    lo: Point
    hi: Point
    corners: Array[Point, 2]
    name: Array[u8, 6]
    next: Ptr["Rect"]

    def area(self) -> u32:
        return (self.hi.x - self.lo.x) * (self.hi.y - self.lo.y)

    def grow(self, by: u32) -> u32:
        self.hi.scale(by)
        return self.area()


def layout() -> u64:
    """Sizes and offsets folded into one number (each fits in 8 bits)."""
    v: u64 = u64(sizeof(Mixed))
    v = v << 8 | u64(offsetof(Mixed, "b"))
    v = v << 8 | u64(offsetof(Mixed, "c"))
    v = v << 8 | u64(offsetof(Mixed, "d"))
    v = v << 8 | u64(offsetof(Mixed, "e"))
    v = v << 8 | u64(sizeof(Packed))
    v = v << 8 | u64(offsetof(Packed, "e"))
    v = v << 8 | u64(offsetof(Rect, "next"))
    return v


def rect_size() -> usize:
    return sizeof(Rect) + sizeof(Ptr[Rect]) * 1000


def sizes_of_scalars() -> usize:
    return sizeof(u8) + sizeof(u16) * 10 + sizeof(u32) * 100 + sizeof(u64) * 1000 + sizeof(bool) * 10000


def fill_mixed(x: u64) -> u64:
    m: Mixed = Mixed(a=1, b=u32(x), e=x)
    m.c = u16(x >> 16)
    m.d = u8(m.a) + 1
    return u64(m.a) + u64(m.b) + u64(m.c) + u64(m.d) + m.e


def packed_roundtrip(x: u64) -> u64:
    p: Packed = Packed()
    p.a = u8(x)
    p.b = u32(x >> 8)
    p.c = u16(x >> 40)
    p.e = x
    q: Ptr[Packed] = addr(p)
    raw: Ptr[u8] = cast(Ptr[u8], q)
    checksum: u64 = 0
    for i in range(sizeof(Packed)):
        checksum = checksum * 31 + u64(raw[i])
    return (u64(q.a) ^ u64(q.b) ^ u64(q.c) ^ q.e) + checksum


def mixed_bytes(x: u32) -> u64:
    """The padding is zero and the fields land at their C offsets."""
    m: Mixed = Mixed(b=x, d=0x5A)
    raw: Ptr[u8] = cast(Ptr[u8], addr(m))
    checksum: u64 = 0
    for i in range(sizeof(Mixed)):
        checksum = checksum * 257 + u64(raw[i])
    return checksum


def methods(x: u32, y: u32, k: u32) -> u32:
    p: Point = Point(x=x, y=y)
    before: u32 = p.norm1()          # method through a value
    pp: Ptr[Point] = addr(p)
    pp.scale(k)                      # method through a pointer
    return before * 1000 + pp.norm1() + p.x


def nested(x: u32, y: u32, by: u32) -> u32:
    r: Rect = Rect(tag=1)
    r.lo.x = x
    r.lo.y = y
    r.hi.x = x + 10
    r.hi.y = y + 20
    a: u32 = r.area()
    rp: Ptr[Rect] = addr(r)
    b: u32 = rp.grow(by)
    corner: Ptr[Point] = addr(r.corners)
    corner[1].x = 7
    r.corners[0].y = 9
    inner: Ptr[Point] = addr(rp.hi)
    return a + b * 3 + r.corners[1].x + corner[0].y + inner.x


def array_field(n: u8) -> u32:
    r: Rect = Rect()
    for i in range(len(r.name)):
        r.name[i] = n + u8(i)
    total: u32 = 0
    p: Ptr[u8] = addr(r.name)
    for k in range(u32(6)):
        total = total * 3 + u32(p[k])
    return total + u32(len(r.name))


def linked(n: u32) -> u32:
    """Walk a list of structs linked through Ptr["Rect"] fields, ended by NULL."""
    nodes: Array[Rect, 4] = Array[Rect, 4]()
    for i in range(len(nodes)):
        nodes[i].tag = u8(i) + 1
        if i + 1 < len(nodes):
            nodes[i].next = addr(nodes[i + 1])
        else:
            nodes[i].next = NULL
    total: u32 = 0
    p: Ptr[Rect] = addr(nodes)
    while p != NULL:
        total = total * 10 + u32(p.tag) * n
        p = p.next
    return total


def copy_struct(x: u32) -> u32:
    a: Point = Point(x=x, y=x + 1)
    b: Point = Point()
    pa: Ptr[Point] = addr(a)
    pb: Ptr[Point] = addr(b)
    pb[0] = pa[0]
    a.x = 0
    return b.x + b.y + a.x



def grid(i: u32, j: u32) -> u32:
    """An array of arrays: g[i][j], len() of both levels, addr() of one row."""
    g: Array[Array[u8, 4], 3] = Array[Array[u8, 4], 3]()
    for a in range(u32(3)):
        for b in range(u32(4)):
            g[a][b] = u8(a * 4 + b)
    row: Ptr[u8] = addr(g[i % 3])
    return u32(g[i % 3][j % 4]) + u32(row[3]) * 10 + u32(len(g)) * 100 + u32(len(g[0])) * 1000


@struct
class Visitor:
    value: u32
    visit: Callable[[Ptr["Visitor"]], u32]

    def get(self) -> u32:
        return self.value


def visit_double(v: Ptr[Visitor]) -> u32:
    return v.value * 2


def methods_on_elements(x: u32) -> u32:
    """Methods and function-pointer fields reached through p[i] and array elements."""
    vs: Array[Visitor, 2] = Array[Visitor, 2]()
    vs[1].value = x
    vs[1].visit = visit_double
    p: Ptr[Visitor] = addr(vs)
    return vs[1].get() + p[1].get() + p[1].visit(p + 1) + vs[1].visit(addr(vs[1]))
