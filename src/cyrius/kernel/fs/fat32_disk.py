"""FAT32 volume layer: the boot sector (BPB), FSInfo, a sector cache for metadata, the FAT itself,
cluster chains and file-data I/O. The directory layer (fat32_dir) and the inode layer (fat32) sit on
top; nothing here knows about names or inodes.

Metadata (FAT, FSInfo and directory sectors) goes through a small direct-mapped write-back cache;
file data goes straight to the device. The two never alias because a directory cluster's lines are
dropped from the cache when the cluster is freed, and a cluster about to become a directory is
zeroed on disk with its lines dropped first. A dirty FAT sector is written to every FAT copy when it
leaves the cache (unless the BPB turned mirroring off, then only to the active FAT).

Everything read from the disk is distrusted: cluster numbers are range-checked and every chain walk
stops on a loop (Brent's cycle detection), so a corrupt image gives -EUCLEAN, never a hang.
"""
from cyrius.lang import NULL, Final, Ptr, cast, i64, struct, u8, u32, u64, usize
from cyrius.rt import memcpy, memset

from .. import errno
from ..dev.block import BlockDevice
from ..mm.heap import kalloc, kfree

FAT_MASK: Final = 0x0FFFFFFF  # the top 4 bits of a FAT32 entry are reserved and preserved
FAT_EOC: Final = 0x0FFFFFFF  # what we write to end a chain
FAT_EOC_MIN: Final = 0x0FFFFFF8  # any value from here up ends a chain
MAX_CLUSTERS: Final = 0x0FFFFFF5  # cluster numbers 2..0x0FFFFFF6; 0x0FFFFFF7 marks bad clusters
MAX_FILE: Final = 0xFFFFFFFF  # the size field is 32 bits
CACHE_LINES: Final = 64
NO_SECTOR: Final = 0xFFFFFFFFFFFFFFFF
FSINFO_LEAD: Final = 0x41615252
FSINFO_STRUCT: Final = 0x61417272
FSINFO_TRAIL: Final = 0xAA550000
FSINFO_UNKNOWN: Final = 0xFFFFFFFF
CHAIN_END: Final = 0xFFFFFFFF  # seek target meaning "the last cluster"


@struct
class Volume:
    dev: Ptr[BlockDevice]
    sector_size: u32
    sector_shift: u32
    cluster_sectors: u32
    cluster_size: u32  # bytes
    cluster_shift: u32
    first_fat: u64  # LBA of FAT copy 0
    fat_start: u64  # LBA of the FAT we read (copy 0, or the active copy when mirroring is off)
    fat_sectors: u32
    fat_count: u32
    mirror: bool
    data_start: u64  # LBA of cluster 2
    cluster_count: u32  # valid cluster numbers are 2 .. cluster_count + 1
    root_cluster: u32
    fsinfo_lba: u64  # 0: no usable FSInfo sector
    free_count: u32
    next_free: u32
    fsinfo_dirty: bool
    line_lba: Ptr[u64]  # the cache: line i holds a sector with lba % CACHE_LINES == i
    line_dirty: Ptr[u8]
    line_data: Ptr[u8]
    bounce: Ptr[u8]  # one sector, for partial-sector data transfers
    zeros: Ptr[u8]  # one cluster of zeros (never written)


@struct
class Chain:
    """A cluster chain with a cursor, so sequential access does not walk from the start each time.

    The cursor only moves forward from the first cluster, one link at a time, and carries Brent's
    cycle check along: `mark` is a cluster seen earlier on the walk, replaced after 1, 2, 4, ...
    steps, so a loop is caught within a few times its length however the walk is split into calls."""
    first: u32  # 0: empty
    at_index: u32
    at_cluster: u32  # the cluster at at_index; 0 when the cursor is unset
    mark: u32
    power: u32
    steps: u32


def le16(p: Ptr[u8]) -> u32:
    return u32(p[0]) | (u32(p[1]) << 8)


def le32(p: Ptr[u8]) -> u32:
    return le16(p) | (le16(p + 2) << 16)


def put_le32(p: Ptr[u8], value: u32) -> None:
    p[0] = u8(value)
    p[1] = u8(value >> 8)
    p[2] = u8(value >> 16)
    p[3] = u8(value >> 24)


def log2(value: u32) -> u32:
    """log2 of a power of two; 0xFFFFFFFF when value is not one."""
    if value == 0 or (value & (value - 1)) != 0:
        return 0xFFFFFFFF
    shift: u32 = 0
    while (u32(1) << shift) != value:
        shift += 1
    return shift


def valid_cluster(v: Ptr[Volume], c: u32) -> bool:
    return c >= 2 and c - 2 < v.cluster_count


def cluster_lba(v: Ptr[Volume], c: u32) -> u64:
    return v.data_start + u64(c - 2) * u64(v.cluster_sectors)


def cluster_byte(v: Ptr[Volume], c: u32) -> u64:
    """Disk byte offset of a cluster's first byte."""
    return cluster_lba(v, c) << v.sector_shift


def clusters_for(v: Ptr[Volume], size: u64) -> u32:
    return u32((size + u64(v.cluster_size) - 1) >> v.cluster_shift)


# ---------------------------------------------------------------- mounting

def parse_bpb(v: Ptr[Volume], boot: Ptr[u8], dev: Ptr[BlockDevice]) -> i64:
    """Check the boot sector describes a FAT32 volume that fits the device; fill in the geometry.

    FAT32 is recognised by its BPB layout (no FAT12/16 root directory, 16-bit FAT size zero), as
    Linux does, rather than by the cluster count alone, so small volumes made with mkfs.fat -F 32
    mount; those carry their sector count in the 16-bit field, which is used when set."""
    if boot[510] != 0x55 or boot[511] != 0xAA:
        return -errno.EINVAL
    if boot[0] != 0xEB and boot[0] != 0xE9:
        return -errno.EINVAL
    sector_size: u32 = le16(boot + 11)
    sector_shift: u32 = log2(sector_size)
    if sector_shift < 9 or sector_shift > 12 or sector_size != dev.sector_size:
        return -errno.EINVAL
    cluster_shift: u32 = log2(u32(boot[13]))
    if cluster_shift > 7 or sector_shift + cluster_shift > 16:
        return -errno.EINVAL
    reserved: u32 = le16(boot + 14)
    fat_count: u32 = u32(boot[16])
    if reserved == 0 or fat_count == 0 or fat_count > 4:
        return -errno.EINVAL
    if le16(boot + 17) != 0 or le16(boot + 22) != 0:
        return -errno.EINVAL  # FAT12/16: a fixed root directory or 16-bit sizes
    media: u8 = boot[21]
    if media != 0xF0 and media < 0xF8:
        return -errno.EINVAL
    total: u32 = le32(boot + 32)
    if le16(boot + 19) != 0:  # a small volume: mkfs.fat puts the count in the 16-bit field
        if total != 0:
            return -errno.EINVAL
        total = u32(le16(boot + 19))
    fat_sectors: u32 = le32(boot + 36)
    if fat_sectors == 0 or u64(total) > dev.sector_count or le16(boot + 42) != 0:
        return -errno.EINVAL
    meta: u64 = u64(reserved) + u64(fat_count) * u64(fat_sectors)
    if meta >= u64(total):
        return -errno.EINVAL
    clusters: u64 = (u64(total) - meta) >> cluster_shift
    if clusters == 0 or clusters > MAX_CLUSTERS:
        return -errno.EINVAL
    if ((u64(fat_sectors) << sector_shift) >> 2) < clusters + 2:
        return -errno.EINVAL  # the FAT has no entry for some clusters
    flags: u32 = le16(boot + 40)
    active: u32 = flags & 0xF
    v.mirror = (flags & 0x80) == 0
    if not v.mirror and active >= fat_count:
        return -errno.EINVAL
    v.dev = dev
    v.sector_size = sector_size
    v.sector_shift = sector_shift
    v.cluster_sectors = u32(1) << cluster_shift
    v.cluster_shift = sector_shift + cluster_shift
    v.cluster_size = u32(1) << v.cluster_shift
    v.first_fat = u64(reserved)
    v.fat_start = v.first_fat if v.mirror else v.first_fat + u64(active) * u64(fat_sectors)
    v.fat_sectors = fat_sectors
    v.fat_count = fat_count
    v.data_start = meta
    v.cluster_count = u32(clusters)
    v.root_cluster = le32(boot + 44)
    if not valid_cluster(v, v.root_cluster):
        return -errno.EINVAL
    fsinfo: u32 = le16(boot + 48)
    v.fsinfo_lba = u64(fsinfo) if fsinfo != 0 and fsinfo < reserved else u64(0)
    return 0


def load_fsinfo(v: Ptr[Volume]) -> i64:
    """Take the free-cluster count and the next-free hint from FSInfo when it is intact and
    plausible; otherwise count free clusters in the FAT (and stop trusting the sector)."""
    v.free_count = FSINFO_UNKNOWN
    v.next_free = 2
    if v.fsinfo_lba != 0:
        p: Ptr[u8] = sector(v, v.fsinfo_lba, True)
        if p == NULL:
            return -errno.EIO
        if le32(p) != FSINFO_LEAD or le32(p + 484) != FSINFO_STRUCT or le32(p + 508) != FSINFO_TRAIL:
            v.fsinfo_lba = 0
        else:
            v.free_count = le32(p + 488)
            hint: u32 = le32(p + 492)
            if valid_cluster(v, hint):
                v.next_free = hint
    if v.free_count > v.cluster_count:
        counted: i64 = count_free(v)
        if counted < 0:
            return counted
        v.free_count = u32(counted)
        v.fsinfo_dirty = True
    return 0


def open_volume(dev: Ptr[BlockDevice], out: Ptr[Volume]) -> i64:
    """Read and check the boot sector and FSInfo of `dev` into `out` (zero-filled by the caller)."""
    if dev.sector_size < 512 or dev.sector_size > 4096 or dev.sector_count == 0:
        return -errno.EINVAL
    boot: Ptr[u8] = cast(Ptr[u8], kalloc(usize(dev.sector_size)))
    if boot == NULL:
        return -errno.ENOMEM
    err: i64 = -errno.EIO
    if dev.read(dev, u64(0), u32(1), boot) == 0:
        err = parse_bpb(out, boot, dev)
    kfree(cast(Ptr[None], boot))
    if err < 0:
        return err
    out.line_lba = cast(Ptr[u64], kalloc(usize(CACHE_LINES * 8)))
    out.line_dirty = cast(Ptr[u8], kalloc(usize(CACHE_LINES)))
    out.line_data = cast(Ptr[u8], kalloc(usize(CACHE_LINES) * usize(out.sector_size)))
    out.bounce = cast(Ptr[u8], kalloc(usize(out.sector_size)))
    out.zeros = cast(Ptr[u8], kalloc(usize(out.cluster_size)))
    if out.line_lba == NULL or out.line_dirty == NULL or out.line_data == NULL or out.bounce == NULL \
            or out.zeros == NULL:
        close_volume(out)
        return -errno.ENOMEM
    for i in range(CACHE_LINES):
        out.line_lba[i] = NO_SECTOR
    err = load_fsinfo(out)
    if err < 0:
        close_volume(out)
    return err


def close_volume(v: Ptr[Volume]) -> None:
    """Free the volume's buffers (after flush: dirty sectors still cached are lost)."""
    kfree(cast(Ptr[None], v.line_lba))
    kfree(cast(Ptr[None], v.line_dirty))
    kfree(cast(Ptr[None], v.line_data))
    kfree(cast(Ptr[None], v.bounce))
    kfree(cast(Ptr[None], v.zeros))
    v.line_lba = NULL
    v.line_dirty = NULL
    v.line_data = NULL
    v.bounce = NULL
    v.zeros = NULL


# ---------------------------------------------------------------- metadata sector cache

def in_fat(v: Ptr[Volume], lba: u64) -> bool:
    return lba >= v.fat_start and lba - v.fat_start < u64(v.fat_sectors)


def write_line(v: Ptr[Volume], i: u64) -> i64:
    """Write a dirty line back; FAT sectors go to every FAT copy when the FATs are mirrored."""
    if v.line_dirty[i] == 0:
        return 0
    lba: u64 = v.line_lba[i]
    data: Ptr[u8] = v.line_data + i * u64(v.sector_size)
    copies: u32 = v.fat_count if v.mirror and in_fat(v, lba) else u32(1)
    for k in range(copies):
        if v.dev.write(v.dev, lba + u64(k) * u64(v.fat_sectors), u32(1), data) != 0:
            return -errno.EIO
    v.line_dirty[i] = 0
    return 0


def sector(v: Ptr[Volume], lba: u64, fill: bool) -> Ptr[u8]:
    """The cached copy of a metadata sector, or NULL on an I/O error. Read from the disk when
    `fill` (a caller about to overwrite all of it passes False). Valid until the next cache call."""
    i: u64 = lba % CACHE_LINES
    data: Ptr[u8] = v.line_data + i * u64(v.sector_size)
    if v.line_lba[i] == lba:
        return data
    if write_line(v, i) < 0:
        return NULL
    v.line_lba[i] = NO_SECTOR
    if fill and v.dev.read(v.dev, lba, u32(1), data) != 0:
        return NULL
    v.line_lba[i] = lba
    return data


def mark_dirty(v: Ptr[Volume], lba: u64) -> None:
    v.line_dirty[lba % CACHE_LINES] = 1


def forget_cluster(v: Ptr[Volume], c: u32) -> None:
    """Drop a cluster's cached sectors without writing them: its contents no longer matter, and a
    stale dirty line must not later overwrite file data written directly to the disk."""
    lba: u64 = cluster_lba(v, c)
    for k in range(v.cluster_sectors):
        i: u64 = (lba + u64(k)) % CACHE_LINES
        if v.line_lba[i] == lba + u64(k):
            v.line_lba[i] = NO_SECTOR
            v.line_dirty[i] = 0


def flush(v: Ptr[Volume]) -> i64:
    """Write FSInfo and every dirty sector, then flush the device."""
    if v.fsinfo_dirty and v.fsinfo_lba != 0:
        p: Ptr[u8] = sector(v, v.fsinfo_lba, True)
        if p == NULL:
            return -errno.EIO
        put_le32(p + 488, v.free_count)
        put_le32(p + 492, v.next_free)
        mark_dirty(v, v.fsinfo_lba)
    v.fsinfo_dirty = False
    for i in range(u64(CACHE_LINES)):
        if write_line(v, i) < 0:
            return -errno.EIO
    if v.dev.flush(v.dev) != 0:
        return -errno.EIO
    return 0


# ---------------------------------------------------------------- the FAT

def fat_entry(v: Ptr[Volume], c: u32, fill: bool) -> Ptr[u32]:
    """Where cluster c's FAT entry sits in the cache (c must be valid), or NULL on an I/O error."""
    at: u64 = u64(c) * 4
    p: Ptr[u8] = sector(v, v.fat_start + (at >> v.sector_shift), fill)
    if p == NULL:
        return NULL
    return cast(Ptr[u32], p + (at & u64(v.sector_size - 1)))


def fat_write(v: Ptr[Volume], c: u32, value: u32) -> i64:
    p: Ptr[u32] = fat_entry(v, c, True)
    if p == NULL:
        return -errno.EIO
    p[0] = (p[0] & ~u32(FAT_MASK)) | value
    mark_dirty(v, v.fat_start + ((u64(c) * 4) >> v.sector_shift))
    return 0


def next_cluster(v: Ptr[Volume], c: u32) -> i64:
    """The cluster after c (valid) in its chain: a cluster number, 0 at the end of the chain, or
    -EUCLEAN when the entry is free, reserved, bad or points past the volume."""
    p: Ptr[u32] = fat_entry(v, c, True)
    if p == NULL:
        return -errno.EIO
    value: u32 = p[0] & FAT_MASK
    if value >= FAT_EOC_MIN:
        return 0
    if not valid_cluster(v, value):
        return -errno.EUCLEAN
    return i64(value)


def count_free(v: Ptr[Volume]) -> i64:
    """Free clusters, counted in the FAT a sector at a time."""
    per_sector: u32 = v.sector_size // 4
    free: u32 = 0
    c: u32 = 2
    last: u32 = v.cluster_count + 1
    while c <= last:
        p: Ptr[u32] = fat_entry(v, c, True)  # p[k] is the entry of cluster c + k, to the sector's end
        if p == NULL:
            return -errno.EIO
        for k in range(per_sector - c % per_sector):
            if c > last:
                break
            if (p[k] & FAT_MASK) == 0:
                free += 1
            c += 1
    return i64(free)


def alloc_cluster(v: Ptr[Volume]) -> i64:
    """Claim a free cluster as a one-cluster chain (searching from the next-free hint, a FAT sector at
    a time); its number, or -ENOSPC. The cluster's contents are left as they were."""
    if v.free_count == 0:
        return -errno.ENOSPC
    per_sector: u32 = v.sector_size // 4
    last: u32 = v.cluster_count + 1
    c: u32 = v.next_free if valid_cluster(v, v.next_free) else u32(2)
    seen: u32 = 0
    while seen < v.cluster_count:
        p: Ptr[u32] = fat_entry(v, c, True)  # p[k] is the entry of cluster c + k, to the sector's end
        if p == NULL:
            return -errno.EIO
        for k in range(per_sector - c % per_sector):
            if c > last or seen == v.cluster_count:
                break
            if (p[k] & FAT_MASK) == 0:
                p[k] = (p[k] & ~u32(FAT_MASK)) | FAT_EOC
                mark_dirty(v, v.fat_start + ((u64(c) * 4) >> v.sector_shift))
                v.free_count -= 1
                v.next_free = c + 1 if c < last else u32(2)
                v.fsinfo_dirty = True
                return i64(c)
            c += 1
            seen += 1
        if c > last:
            c = 2
    v.free_count = 0  # FSInfo overstated the free space
    v.fsinfo_dirty = True
    return -errno.ENOSPC


def free_chain(v: Ptr[Volume], first: u32) -> i64:
    """Free every cluster of the chain starting at `first` (0: nothing). A loop ends the walk on
    its own: the entry of a cluster already freed reads as free, which next_cluster rejects."""
    c: u32 = first
    while c != 0:
        if not valid_cluster(v, c):
            return -errno.EUCLEAN
        after: i64 = next_cluster(v, c)
        if after < 0:
            return after
        err: i64 = fat_write(v, c, u32(0))
        if err < 0:
            return err
        forget_cluster(v, c)
        v.free_count += 1
        v.fsinfo_dirty = True
        c = u32(after)
    return 0


# ---------------------------------------------------------------- cluster chains

def reset_cursor(ch: Ptr[Chain]) -> None:
    ch.at_index = 0
    ch.at_cluster = 0


def seek(v: Ptr[Volume], ch: Ptr[Chain], index: u32) -> i64:
    """Move the cursor to cluster number `index` of the chain, or to its last cluster if the chain
    is shorter: 0, or -EUCLEAN for a bad link or a loop."""
    if ch.first == 0:
        return 0
    if ch.at_cluster == 0 or ch.at_index > index:
        if not valid_cluster(v, ch.first):
            return -errno.EUCLEAN
        ch.at_cluster = ch.first
        ch.at_index = 0
        ch.mark = ch.first
        ch.power = 1
        ch.steps = 0
    while ch.at_index < index:
        after: i64 = next_cluster(v, ch.at_cluster)
        if after <= 0:
            if after < 0:
                reset_cursor(ch)
            return after
        ch.at_cluster = u32(after)
        ch.at_index += 1
        if ch.at_cluster == ch.mark:
            reset_cursor(ch)
            return -errno.EUCLEAN
        ch.steps += 1
        if ch.steps == ch.power:
            ch.mark = ch.at_cluster
            ch.power *= 2
            ch.steps = 0
    return 0


def cluster_at(v: Ptr[Volume], ch: Ptr[Chain], index: u32) -> i64:
    """Cluster number `index` of the chain; 0 if the chain is shorter, or -errno."""
    err: i64 = seek(v, ch, index)
    if err < 0:
        return err
    if ch.first == 0 or ch.at_index != index:
        return 0
    return i64(ch.at_cluster)


def chain_length(v: Ptr[Volume], ch: Ptr[Chain]) -> i64:
    """Clusters in the chain (the cursor is left on the last one), or -errno."""
    err: i64 = seek(v, ch, u32(CHAIN_END))
    if err < 0:
        return err
    if ch.first == 0:
        return 0
    return i64(ch.at_index) + 1


def append(v: Ptr[Volume], ch: Ptr[Chain], count: u32, clear: bool) -> i64:
    """Link up to `count` new clusters to the end of the chain, zeroing each first when `clear`
    (directories): how many were added (fewer when the volume fills up), or -errno."""
    have: i64 = chain_length(v, ch)
    if have < 0:
        return have
    added: u32 = 0
    while added < count:
        c: i64 = alloc_cluster(v)
        if c == -errno.ENOSPC:
            break
        if c < 0:
            return c
        if clear:
            err0: i64 = clear_cluster(v, u32(c))
            if err0 < 0:
                free_chain(v, u32(c))
                return err0
        if ch.first == 0:
            ch.first = u32(c)
            ch.at_index = 0
        else:
            err: i64 = fat_write(v, ch.at_cluster, u32(c))
            if err < 0:
                return err
            ch.at_index += 1
        ch.at_cluster = u32(c)
        added += 1
    return i64(added)


def truncate_chain(v: Ptr[Volume], ch: Ptr[Chain], keep: u32) -> i64:
    """Cut the chain after its first `keep` clusters and free the rest."""
    if ch.first == 0:
        return 0
    if keep == 0:
        first: u32 = ch.first
        ch.first = 0
        reset_cursor(ch)
        return free_chain(v, first)
    last: i64 = cluster_at(v, ch, keep - 1)
    if last <= 0:
        return last  # already no longer than that (or corrupt)
    rest: i64 = next_cluster(v, u32(last))
    if rest <= 0:
        return rest
    err: i64 = fat_write(v, u32(last), u32(FAT_EOC))
    if err < 0:
        return err
    return free_chain(v, u32(rest))


# ---------------------------------------------------------------- data I/O

def bytes_io(v: Ptr[Volume], at: u64, buf: Ptr[u8], count: usize, write: bool) -> i64:
    """Read or write `count` bytes at disk byte offset `at` (within one contiguous extent of data
    clusters), whole sectors directly and partial ones through the bounce buffer. Writing with a
    NULL buf writes zeros."""
    dev: Ptr[BlockDevice] = v.dev
    size: usize = usize(v.sector_size)
    lba: u64 = at >> v.sector_shift
    within: usize = usize(at & u64(v.sector_size - 1))
    done: usize = 0
    while done < count:
        if within != 0 or count - done < size:
            chunk: usize = size - within
            if chunk > count - done:
                chunk = count - done
            if dev.read(dev, lba, u32(1), v.bounce) != 0:
                return -errno.EIO
            if not write:
                memcpy(cast(Ptr[None], buf + done), cast(Ptr[None], v.bounce + within), chunk)
            else:
                if buf == NULL:
                    memset(cast(Ptr[None], v.bounce + within), 0, chunk)
                else:
                    memcpy(cast(Ptr[None], v.bounce + within), cast(Ptr[None], buf + done), chunk)
                if dev.write(dev, lba, u32(1), v.bounce) != 0:
                    return -errno.EIO
            done += chunk
            lba += 1
            within = 0
            continue
        sectors: usize = (count - done) >> v.sector_shift
        if buf == NULL and sectors > usize(v.cluster_sectors):
            sectors = usize(v.cluster_sectors)  # the zero buffer is one cluster long
        err: i64 = 0
        if not write:
            err = dev.read(dev, lba, u32(sectors), buf + done)
        elif buf == NULL:
            err = dev.write(dev, lba, u32(sectors), v.zeros)
        else:
            err = dev.write(dev, lba, u32(sectors), buf + done)
        if err != 0:
            return -errno.EIO
        done += sectors * size
        lba += u64(sectors)
    return 0


def clear_cluster(v: Ptr[Volume], c: u32) -> i64:
    """Zero a cluster on the disk (one about to hold a directory)."""
    forget_cluster(v, c)
    return bytes_io(v, cluster_byte(v, c), NULL, usize(v.cluster_size), True)
