"""Block devices: fixed-size sectors read and written by LBA.

Drivers (virtio-blk), the write-back cache (bcache) and test RAM disks all present this
interface; filesystems only ever see a `BlockDevice`.
"""
from cyrius.lang import Callable, Ptr, cast, i64, struct, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno


@struct
class BlockDevice:
    sector_size: u32
    sector_count: u64
    read: Callable[[Ptr["BlockDevice"], u64, u32, Ptr[u8]], i64]  # (dev, lba, count, buffer) -> 0 / -errno
    write: Callable[[Ptr["BlockDevice"], u64, u32, Ptr[u8]], i64]
    flush: Callable[[Ptr["BlockDevice"]], i64]  # make every completed write durable
    private: Ptr[None]
    name: Ptr[u8]


def in_range(dev: Ptr[BlockDevice], lba: u64, count: u32) -> bool:
    return lba <= dev.sector_count and u64(count) <= dev.sector_count - lba


def ram_read(dev: Ptr[BlockDevice], lba: u64, count: u32, buf: Ptr[u8]) -> i64:
    if not in_range(dev, lba, count):
        return -errno.EIO
    base: Ptr[u8] = cast(Ptr[u8], dev.private)
    memcpy(buf, base + lba * u64(dev.sector_size), usize(count) * usize(dev.sector_size))
    return 0


def ram_write(dev: Ptr[BlockDevice], lba: u64, count: u32, buf: Ptr[u8]) -> i64:
    if not in_range(dev, lba, count):
        return -errno.EIO
    base: Ptr[u8] = cast(Ptr[u8], dev.private)
    memcpy(base + lba * u64(dev.sector_size), buf, usize(count) * usize(dev.sector_size))
    return 0


def ram_flush(dev: Ptr[BlockDevice]) -> i64:
    return 0


def init_ramdisk(dev: Ptr[BlockDevice], memory: Ptr[u8], sectors: u64, name: Ptr[u8]) -> None:
    """A block device over `sectors` * 512 bytes of memory (tests and early boot)."""
    dev.sector_size = 512
    dev.sector_count = sectors
    dev.read = ram_read
    dev.write = ram_write
    dev.flush = ram_flush
    dev.private = cast(Ptr[None], memory)
    dev.name = name
