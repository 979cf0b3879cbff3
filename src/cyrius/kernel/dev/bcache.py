"""Write-back sector cache, presented as a BlockDevice wrapping another one.

Reads fill the cache; writes only mark sectors dirty. Dirty sectors reach the disk when they are
evicted (clock algorithm: an approximation of least recently used), on `flush` of the cached
device, or on `sync_all` (the shell's `sync` and `poweroff`). A filesystem mounted on the cached
device never notices.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from ..mm.heap import kalloc, kfree
from .block import BlockDevice

SECTOR: Final = 512
MAX_CACHED_DEVICES: Final = 4
NO_SECTOR: Final = 0xFFFFFFFFFFFFFFFF


@struct
class Line:
    lba: u64  # NO_SECTOR when empty
    referenced: bool  # used since the clock hand last passed (second chance)
    dirty: bool
    hash_next: u32  # next line in the same hash bucket, as index + 1 (0: end)
    data: Ptr[u8]


@struct
class Cache:
    device: BlockDevice  # what the filesystem sees
    backing: Ptr[BlockDevice]
    lines: Ptr[Line]
    line_count: u32
    buckets: Ptr[u32]  # first line of each bucket, as index + 1 (0: empty)
    bucket_mask: u32
    hand: u32  # the clock hand for eviction
    hits: u64
    misses: u64
    writebacks: u64


caches: Array[Ptr[Cache], MAX_CACHED_DEVICES] = Array[Ptr[Cache], MAX_CACHED_DEVICES]()
cache_count: u32 = 0


def cache_of(dev: Ptr[BlockDevice]) -> Ptr[Cache]:
    return cast(Ptr[Cache], dev.private)


def bucket(c: Ptr[Cache], lba: u64) -> u32:
    return u32((lba * 0x9E3779B97F4A7C15) >> 40) & c.bucket_mask


def find(c: Ptr[Cache], lba: u64) -> Ptr[Line]:
    link: u32 = c.buckets[bucket(c, lba)]
    while link != 0:
        line: Ptr[Line] = c.lines + (link - 1)
        if line.lba == lba:
            return line
        link = line.hash_next
    return NULL


def hash_insert(c: Ptr[Cache], line: Ptr[Line]) -> None:
    b: u32 = bucket(c, line.lba)
    line.hash_next = c.buckets[b]
    c.buckets[b] = u32(line - c.lines) + 1


def hash_remove(c: Ptr[Cache], line: Ptr[Line]) -> None:
    b: u32 = bucket(c, line.lba)
    me: u32 = u32(line - c.lines) + 1
    if c.buckets[b] == me:
        c.buckets[b] = line.hash_next
        return
    prev: Ptr[Line] = c.lines + (c.buckets[b] - 1)
    while prev.hash_next != me:
        prev = c.lines + (prev.hash_next - 1)
    prev.hash_next = line.hash_next


def write_back(c: Ptr[Cache], line: Ptr[Line]) -> i64:
    if not line.dirty:
        return 0
    err: i64 = c.backing.write(c.backing, line.lba, u32(1), line.data)
    if err < 0:
        return err
    line.dirty = False
    c.writebacks += 1
    return 0


def victim(c: Ptr[Cache]) -> Ptr[Line]:
    """A line to reuse, chosen by the clock algorithm (recently used lines get a second chance);
    written back first if dirty, and taken out of its hash bucket."""
    while True:
        line: Ptr[Line] = c.lines + c.hand
        c.hand = (c.hand + 1) % c.line_count
        if line.lba == NO_SECTOR:
            return line
        if line.referenced:
            line.referenced = False
            continue
        if write_back(c, line) < 0:
            return NULL
        hash_remove(c, line)
        line.lba = NO_SECTOR
        return line


def line_for(c: Ptr[Cache], lba: u64, fill: bool) -> Ptr[Line]:
    """The cached line for lba, reading it from the disk when `fill` (a partial overwrite needs it)."""
    line: Ptr[Line] = find(c, lba)
    if line != NULL:
        c.hits += 1
        line.referenced = True
        return line
    c.misses += 1
    line = victim(c)
    if line == NULL:
        return NULL
    if fill and c.backing.read(c.backing, lba, u32(1), line.data) < 0:
        return NULL
    line.lba = lba
    line.dirty = False
    line.referenced = True
    hash_insert(c, line)
    return line


def copy(dev: Ptr[BlockDevice], lba: u64, count: u32, buf: Ptr[u8], writing: bool) -> i64:
    """Move whole sectors between buf and the cache lines; a write only dirties them."""
    c: Ptr[Cache] = cache_of(dev)
    if lba > dev.sector_count or u64(count) > dev.sector_count - lba:
        return -errno.EIO
    for i in range(count):
        line: Ptr[Line] = line_for(c, lba + u64(i), not writing)  # a whole-sector write needs no read
        if line == NULL:
            return -errno.EIO
        if writing:
            memcpy(line.data, buf + usize(i) * SECTOR, usize(SECTOR))
            line.dirty = True
        else:
            memcpy(buf + usize(i) * SECTOR, line.data, usize(SECTOR))
    return 0


def cached_read(dev: Ptr[BlockDevice], lba: u64, count: u32, buf: Ptr[u8]) -> i64:
    return copy(dev, lba, count, buf, False)


def cached_write(dev: Ptr[BlockDevice], lba: u64, count: u32, buf: Ptr[u8]) -> i64:
    return copy(dev, lba, count, buf, True)


def cached_flush(dev: Ptr[BlockDevice]) -> i64:
    """Write every dirty sector back in LBA order, then flush the disk itself."""
    c: Ptr[Cache] = cache_of(dev)
    while True:
        lowest: Ptr[Line] = NULL
        for i in range(c.line_count):
            line: Ptr[Line] = c.lines + i
            if line.dirty and (lowest == NULL or line.lba < lowest.lba):
                lowest = line
        if lowest == NULL:
            break
        err: i64 = write_back(c, lowest)
        if err < 0:
            return err
    return c.backing.flush(c.backing)


def wrap(backing: Ptr[BlockDevice], lines: u32) -> Ptr[BlockDevice]:
    """A cached view of `backing` (512-byte sectors only) holding up to `lines` sectors; NULL on failure."""
    global cache_count
    if backing.sector_size != SECTOR or cache_count == MAX_CACHED_DEVICES or lines == 0:
        return NULL
    buckets: u32 = 1
    while buckets < lines:
        buckets *= 2
    c: Ptr[Cache] = cast(Ptr[Cache], kalloc(usize(sizeof(Cache))))
    table: Ptr[Line] = cast(Ptr[Line], kalloc(usize(sizeof(Line)) * usize(lines)))
    heads: Ptr[u32] = cast(Ptr[u32], kalloc(usize(buckets) * 4))
    data: Ptr[u8] = cast(Ptr[u8], kalloc(usize(lines) * SECTOR))
    if c == NULL or table == NULL or heads == NULL or data == NULL:
        kfree(cast(Ptr[None], c))
        kfree(cast(Ptr[None], table))
        kfree(cast(Ptr[None], heads))
        kfree(cast(Ptr[None], data))
        return NULL
    for i in range(lines):
        table[i].lba = NO_SECTOR
        table[i].data = data + usize(i) * SECTOR
    c.backing = backing
    c.lines = table
    c.line_count = lines
    c.buckets = heads
    c.bucket_mask = buckets - 1
    dev: Ptr[BlockDevice] = addr(c.device)
    dev.sector_size = SECTOR
    dev.sector_count = backing.sector_count
    dev.read = cached_read
    dev.write = cached_write
    dev.flush = cached_flush
    dev.private = cast(Ptr[None], c)
    dev.name = backing.name
    caches[cache_count] = c
    cache_count += 1
    return dev


def sync_all() -> i64:
    """Write back every cache (sync, poweroff); the first error, or 0."""
    result: i64 = 0
    for i in range(cache_count):
        err: i64 = cached_flush(addr(caches[i].device))
        if err < 0 and result == 0:
            result = err
    return result
