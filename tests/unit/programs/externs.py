"""Extern C functions from runtime-c (cyrius.rt), and @export's fixed symbol names."""
from cyrius.lang import Array, Ptr, addr, export, i32, u8, u32, usize
from cyrius.rt import memcmp, memcpy, memset, strlen


def fill_and_compare(p: Ptr[u8], n: usize, value: u8) -> i32:
    tmp: Array[u8, 32] = Array[u8, 32]()
    memset(addr(tmp), i32(value), n)
    memcpy(p, addr(tmp), n)
    memset(p + n, 0, usize(1))
    return memcmp(p, addr(tmp), n) + i32(strlen(p))


@export("cy_test_exported_entry")
def entry(x: u32) -> u32:
    return x * 3 + 1
