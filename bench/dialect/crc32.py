"""CRC-32 (IEEE 802.3: reflected, polynomial 0xEDB88320), table-driven — one table lookup per byte,
the way the kernel would check a tar member or a frame. Twin: bench/c/crc32.c."""
from cyrius.lang import Array, Final, Ptr, u8, u32, usize

POLY: Final = 0xEDB88320

table: Array[u32, 256] = Array[u32, 256]()
ready: bool = False


def init_table() -> None:
    global ready
    for i in range(u32(256)):
        c: u32 = i
        for _ in range(8):
            if c & 1:
                c = (c >> 1) ^ POLY
            else:
                c = c >> 1
        table[i] = c
    ready = True


def update(crc: u32, data: Ptr[u8], n: usize) -> u32:
    """Continue a CRC-32 over n more bytes (start with 0)."""
    crc = ~crc
    for i in range(n):
        crc = table[(crc ^ u32(data[i])) & 0xFF] ^ (crc >> 8)
    return ~crc


def bench(data: Ptr[u8], n: usize, reps: u32) -> u32:
    """reps passes over the buffer, each continuing the previous CRC (no pass can be skipped)."""
    if not ready:
        init_table()
    crc: u32 = 0
    for _ in range(reps):
        crc = update(crc, data, n)
    return crc
