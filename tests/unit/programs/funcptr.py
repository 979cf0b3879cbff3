"""Function pointers: as values, in locals, globals, struct fields and arrays, called indirectly."""
from cyrius.lang import NULL, Array, Callable, Ptr, addr, struct, u32, u64


def double(x: u32) -> u32:
    return x * 2


def square(x: u32) -> u32:
    return x * x


def apply(f: Callable[[u32], u32], x: u32) -> u32:
    return f(x)


@struct
class Ops:
    unary: Callable[[u32], u32]
    count: u32


handler: Callable[[u32], u32] = NULL
default_handler: Callable[[u32], u32] = double
table: Array[Callable[[u32], u32], 3] = Array[Callable[[u32], u32], 3]()


def pick(which: u32) -> Callable[[u32], u32]:
    if which == 0:
        return double
    return square


def through_local(which: u32, x: u32) -> u32:
    f: Callable[[u32], u32] = pick(which)
    return f(x) + apply(f, x)


def through_struct(x: u32) -> u32:
    ops: Ops = Ops(unary=square, count=1)
    p: Ptr[Ops] = addr(ops)
    r: u32 = p.unary(x)
    p.unary = double
    return r + ops.unary(x)


def through_global(x: u32) -> u32:
    global handler
    r: u32 = 0
    if handler == NULL:
        r = 1000
    handler = square
    r += handler(x)
    handler = NULL
    return r


def through_array(i: u32, x: u32) -> u32:
    table[0] = double
    table[1] = square
    table[2] = NULL
    f: Callable[[u32], u32] = table[i % 3]
    if f != NULL:
        return f(x)
    return 7


def null_field(x: u32) -> u32:
    ops: Ops = Ops()
    if ops.unary == NULL:
        return x
    return 0


def address_of_function() -> u64:
    """Function addresses are nonzero and distinct."""
    a: u64 = cast_fn(double)
    b: u64 = cast_fn(square)
    return u64(a != 0) + u64(a != b) * 2


def cast_fn(f: Callable[[u32], u32]) -> u64:
    if f == NULL:
        return 0
    return 1 if f == double else 2


def through_initialised_global(x: u32) -> u32:
    return default_handler(x) + u32(default_handler == double)


def pointer_to_function_pointer(i: u32, x: u32) -> u32:
    fs: Array[Callable[[u32], u32], 2] = Array[Callable[[u32], u32], 2]()
    fs[0] = double
    fs[1] = square
    pf: Ptr[Callable[[u32], u32]] = addr(fs)
    f: Callable[[u32], u32] = pf[i % 2]
    return f(x)
