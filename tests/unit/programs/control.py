"""Statements: if/elif/else, while, for over range (1, 2 and 3 arguments), break, continue, assert,
and bool logic in conditions and as values."""
from cyrius.lang import i8, i32, i64, u8, u16, u32, u64


def classify(x: i32) -> i32:
    if x < 0:
        return -1
    elif x == 0:
        return 0
    elif x < 10:
        return 1
    else:
        return 2


def if_without_else(x: u32) -> u32:
    y: u32 = 5
    if x > 3:
        y = x
    return y


def nested_if(a: u8, b: u8) -> u8:
    if a > b:
        if a > 100:
            return 3
        return 2
    else:
        if a == b:
            pass
        else:
            return 1
    return 0


def while_sum(n: u32) -> u32:
    """Sum 0..n-1, with the counter tested at the top."""
    total: u32 = 0
    i: u32 = 0
    while i < n:
        total += i
        i += 1
    return total


def while_true_break(n: u32) -> u32:
    steps: u32 = 0
    while True:
        if n <= 1:
            break
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def while_continue(n: u32) -> u32:
    """Sum of the odd numbers below n."""
    i: u32 = 0
    total: u32 = 0
    while i < n:
        i += 1
        if i % 2 == 0:
            continue
        total += i
    return total


def forever_returns(n: u32) -> u32:
    i: u32 = 0
    while True:
        if i * i >= n:
            return i
        i += 1


def range1(n: u32) -> u32:
    total: u32 = 0
    for i in range(n):
        total = total * 31 + i
    return total


def range2(a: i32, b: i32) -> i32:
    total: i32 = 0
    for i in range(a, b):
        total = total * 7 + i
    return total


def range3(a: i32, b: i32) -> i32:
    total: i32 = 0
    for i in range(a, b, 3):
        total = total * 5 + i
    return total


def range_negative_step(a: i32, b: i32) -> i32:
    total: i32 = 0
    for i in range(a, b, -2):
        total = total * 3 + i
    return total


def range_minus_one(a: i8) -> i32:
    count: i32 = 0
    for i in range(a, -128, -1):
        count += i32(i)
    return count


def range_constant_bounds() -> i64:
    total: i64 = 0
    for i in range(10, 100, 7):
        total += i
    return total


def range_len_bound() -> u32:
    total: u32 = 0
    for i in range(len(b"hello")):
        total += u32(i)
    return total


def range_to_u8_max(start: u8) -> u32:
    """The loop must stop at 255 without wrapping the u8 variable back to 0."""
    count: u32 = 0
    for i in range(start, u8(255)):
        count += u32(i)
    return count


def range_step_near_max(start: u8, step_seed: u8) -> u32:
    """A step > 1 that would overshoot 255 must end the loop, not wrap."""
    count: u32 = 0
    for i in range(start, u8(255), 100):
        count = count * 3 + u32(i)
    return count + u32(step_seed)


def range_step_near_i8_min(start: i8) -> i32:
    total: i32 = 0
    for i in range(start, i8(-128), -50):
        total = total * 3 + i32(i)
    return total


def range_u64_top(start: u64) -> u64:
    total: u64 = 0
    for i in range(start, u64(0xFFFFFFFFFFFFFFFF), 0x4000000000000000):
        total = total ^ i
    return total


def range_i64_extremes(start: i64) -> i64:
    total: i64 = 0
    for i in range(start, i64(-0x7FFFFFFFFFFFFFFF) - 1, -0x3000000000000000):
        total = total + (i >> 60)
    return total


def nested_loops_break_continue(n: u16) -> u32:
    total: u32 = 0
    for i in range(n):
        if i == 7:
            continue
        for j in range(u16(0), i):
            if j > 5:
                break
            total += u32(i) * u32(j)
        if total > 1000:
            break
    return total


def bool_logic(a: u32, b: u32) -> u32:
    r: u32 = 0
    if a and b:
        r |= 1
    if a or b:
        r |= 2
    if not a:
        r |= 4
    if a > 3 and not (b > 3) or a == b:
        r |= 8
    if (a and not b) or (b and not a):
        r |= 16
    return r


def bool_values(a: u32, b: u32) -> u32:
    x: bool = a > 10 and b > 10
    y: bool = a > 10 or b > 10
    z: bool = not x
    w = a == b
    v: bool = x or (y and not w)
    return u32(x) | u32(y) << 1 | u32(z) << 2 | u32(w) << 3 | u32(v) << 4


def bool_param(f: bool, g: bool) -> bool:
    if f == g:
        return f and g
    return f or g


def conditional_expression(a: i32, b: i32) -> i32:
    m: i32 = a if a > b else b
    return m + (i32(1) if a == b else 0)


def assert_passes(x: u32) -> u32:
    assert x < 1000
    assert x < 1000, "x is small"
    return x + 1


def docstring_and_pass(x: u32) -> u32:
    """A docstring, then pass."""
    pass
    return x
