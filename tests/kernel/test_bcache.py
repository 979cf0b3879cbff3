"""The write-back sector cache over a RAM disk, under CPython."""
import os

from cyrius.kernel.dev import bcache, block
from cyrius.lang import Ptr, addr, memory, u8, u32, u64


class Counting:
    """Wraps the RAM disk's write to count what reaches the 'disk'."""

    def __init__(self, dev):
        self.writes = []
        self.inner = dev.write
        dev.write = self.write

    def write(self, dev, lba, count, buf):
        self.writes.append(int(lba))
        return self.inner(dev, lba, count, buf)


def setup(sectors=64, lines=8):
    disk_bytes = os.urandom(sectors * 512)
    base = memory.alloc(len(disk_bytes))
    memory.write(base, disk_bytes)
    disk = block.BlockDevice()
    block.init_ramdisk(addr(disk), Ptr[u8](base), u64(sectors), b"ram0")
    counter = Counting(disk)
    cached = bcache.wrap(addr(disk), u32(lines))
    return disk_bytes, base, cached, counter


def test_reads_come_from_the_disk_and_writes_stay_until_flush(machine):
    bcache.cache_count = 0
    original, base, dev, counter = setup()
    buf = Ptr[u8](memory.alloc(4 * 512))
    assert dev.read(dev, u64(3), u32(4), buf) == 0
    assert memory.read(buf.address, 2048) == original[3 * 512:7 * 512]
    memory.write(buf.address, b"\xAA" * 2048)
    assert dev.write(dev, u64(10), u32(4), buf) == 0
    assert counter.writes == []  # write-back: nothing on disk yet
    assert memory.read(base + 10 * 512, 2048) == original[10 * 512:14 * 512]
    other = Ptr[u8](memory.alloc(512))
    assert dev.read(dev, u64(11), u32(1), other) == 0
    assert memory.read(other.address, 512) == b"\xAA" * 512  # reads see cached writes
    assert bcache.sync_all() == 0
    assert counter.writes == [10, 11, 12, 13]
    assert memory.read(base + 10 * 512, 2048) == b"\xAA" * 2048


def test_eviction_writes_dirty_lines_back(machine):
    bcache.cache_count = 0
    original, base, dev, counter = setup(sectors=64, lines=4)
    buf = Ptr[u8](memory.alloc(512))
    for lba in range(8):
        memory.write(buf.address, bytes([lba]) * 512)
        assert dev.write(dev, u64(lba), u32(1), buf) == 0
    assert counter.writes == [0, 1, 2, 3]  # the four oldest were evicted
    assert dev.flush(dev) == 0
    for lba in range(8):
        assert memory.read(base + lba * 512, 512) == bytes([lba]) * 512


def test_out_of_range_is_an_error(machine):
    bcache.cache_count = 0
    _, _, dev, _ = setup(sectors=16)
    buf = Ptr[u8](memory.alloc(512 * 2))
    assert dev.read(dev, u64(15), u32(2), buf) < 0
    assert dev.write(dev, u64(16), u32(1), buf) < 0
