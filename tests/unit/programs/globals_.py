"""Module globals: scalars, bools, structs and arrays, assigned through 'global'."""
from enum import IntEnum

from cyrius.lang import Array, Final, Ptr, addr, i32, struct, u8, u32, u64

counter: u32 = 0
signed_total: i32 = -5
flag: bool = False
table: Array[u32, 8] = Array[u32, 8]()
INITIAL: Final = 7


class Mode(IntEnum):
    IDLE = 0
    BUSY = 5


mode: Mode = Mode.BUSY


@struct
class Stats:
    calls: u32
    last: u64


stats: Stats = Stats(calls=INITIAL, last=3)


def bump(by: u32) -> u32:
    global counter
    counter += by
    return counter


def reset() -> None:
    global counter, signed_total, flag
    counter = 0
    signed_total = -5
    flag = False
    stats.calls = INITIAL
    stats.last = 3
    for i in range(len(table)):
        table[i] = 0


def read_only() -> u32:
    return counter * 2


def add_signed(x: i32) -> i32:
    global signed_total
    signed_total = signed_total + x
    return signed_total


def toggle() -> bool:
    global flag
    flag = not flag
    return flag


def record(x: u64) -> u32:
    stats.calls += 1
    stats.last = x
    p: Ptr[Stats] = addr(stats)
    return p.calls


def last() -> u64:
    return stats.last


def table_put(i: u32, v: u32) -> u32:
    table[i % 8] = v
    total: u32 = 0
    for j in range(len(table)):
        total += table[j]
    return total


def table_via_pointer(v: u8) -> u32:
    p: Ptr[u32] = addr(table)
    p[3] = u32(v)
    return table[3] + u32(len(table))


def flip_mode() -> i32:
    global mode
    if mode == Mode.BUSY:
        mode = Mode.IDLE
    else:
        mode = Mode.BUSY
    return i32(mode)
