"""A one-time boot check of the first virtio disk, run when the command line holds `blktest`.

For the integration test (tests/integration/test_blk_selftest.py), which compares every printed
checksum with its own computation over the disk image:
  * read sectors 0..SECTORS-1 in one call (many requests in flight) and print CRC-32s of
    sector 0 and of the whole range, with the time it took;
  * read part of it again into a buffer that is not page aligned and compare;
  * write a pattern to the disk's LAST sector, flush, read it back and compare.
The write destroys that sector's contents: use `blktest` with scratch disks only.
"""
from cyrius.lang import Array, Final, Ptr, addr, cast, i64, u8, u32, u64, usize
from cyrius.rt import fmt_u64, memcmp, memset

from ..platform import clock
from .. import console
from ..bootinfo import BootInfo
from ..lib import cmdline
from ..mm.heap import kalloc, kfree
from ..dev import virtio_blk
from ..dev.block import BlockDevice

SECTOR: Final = 512
SECTORS: Final = 2048  # 1 MiB: 16 requests of 64 KiB
UNALIGNED_LBA: Final = 5
UNALIGNED_SECTORS: Final = 24  # 12 KiB starting 100 bytes into a page: crosses four pages
UNALIGNED_OFFSET: Final = 100
CRC_POLY: Final = 0xEDB88320  # CRC-32 (IEEE 802.3, zlib.crc32), reflected

crc_table: Array[u32, 256] = Array[u32, 256]()
hexbuf: Array[u8, 16] = Array[u8, 16]()


def crc32(data: Ptr[u8], n: usize) -> u32:
    if crc_table[1] == 0:
        for i in range(u32(0), u32(256)):
            c: u32 = i
            for _ in range(8):
                c = (c >> 1) ^ CRC_POLY if (c & 1) != 0 else c >> 1
            crc_table[i] = c
    crc: u32 = 0xFFFFFFFF
    for j in range(n):
        crc = crc_table[(crc ^ u32(data[j])) & 0xFF] ^ (crc >> 8)
    return ~crc


def put_hex32(value: u32) -> None:
    n: usize = fmt_u64(addr(hexbuf), usize(len(hexbuf)), u64(value), u32(16), u32(8), u8(0x30))
    console.write(addr(hexbuf), n)


def pattern(buf: Ptr[u8], lba: u64) -> None:
    """What the write test stores; the integration test computes the same bytes."""
    for i in range(u32(0), u32(SECTOR)):
        buf[i] = u8((u64(i) * 7 + lba) & 0xFF)


def fail(what: Ptr[u8], err: i64) -> None:
    console.puts(b"[blk] selftest FAILED: ")
    console.puts(what)
    console.puts(b" (error ")
    console.put_sdec(err)
    console.puts(b")\n")


def check_read(dev: Ptr[BlockDevice], buf: Ptr[u8], sectors: u32) -> bool:
    start: u64 = clock.now_ns()
    err: i64 = dev.read(dev, u64(0), sectors, buf)
    elapsed_us: u64 = (clock.now_ns() - start) // 1000
    if err < 0:
        fail(b"read", err)
        return False
    console.puts(b"[blk] selftest sector0 crc=")
    put_hex32(crc32(buf, usize(SECTOR)))
    console.puts(b"\n[blk] selftest read ")
    console.put_dec(u64(sectors))
    console.puts(b" sectors crc=")
    put_hex32(crc32(buf, usize(sectors) * SECTOR))
    console.puts(b" in ")
    console.put_dec(elapsed_us)
    console.puts(b" us (")
    if elapsed_us != 0:
        console.put_dec(u64(sectors) * SECTOR * 1000000 // 1024 // elapsed_us)
    console.puts(b" KiB/s)\n")
    return True


def check_unaligned(dev: Ptr[BlockDevice], whole: Ptr[u8]) -> bool:
    raw: Ptr[u8] = cast(Ptr[u8], kalloc(usize(UNALIGNED_SECTORS * SECTOR + 4096 + UNALIGNED_OFFSET)))
    if raw == cast(Ptr[u8], usize(0)):
        fail(b"out of memory", i64(0))
        return False
    # kalloc of this size returns a page-aligned run plus its 16-byte header: move off the page grid.
    buf: Ptr[u8] = cast(Ptr[u8], (cast(u64, raw) + 4095) & ~u64(4095)) + UNALIGNED_OFFSET
    err: i64 = dev.read(dev, u64(UNALIGNED_LBA), u32(UNALIGNED_SECTORS), buf)
    same: bool = err == 0 and memcmp(cast(Ptr[None], buf), cast(Ptr[None], whole + UNALIGNED_LBA * SECTOR),
                                     usize(UNALIGNED_SECTORS * SECTOR)) == 0
    kfree(cast(Ptr[None], raw))
    if not same:
        fail(b"unaligned read differs from the aligned one", err)
        return False
    console.log(b"blk", b"selftest unaligned read ok")
    return True


def check_write(dev: Ptr[BlockDevice], buf: Ptr[u8]) -> bool:
    lba: u64 = dev.sector_count - 1
    pattern(buf, lba)
    expected: u32 = crc32(buf, usize(SECTOR))
    err: i64 = dev.write(dev, lba, u32(1), buf)
    if err == 0:
        err = dev.flush(dev)
    if err < 0:
        fail(b"write and flush", err)
        return False
    memset(buf, 0, usize(SECTOR))
    err = dev.read(dev, lba, u32(1), buf)
    if err < 0 or crc32(buf, usize(SECTOR)) != expected:
        fail(b"the written sector did not read back", err)
        return False
    console.puts(b"[blk] selftest write lba=")
    console.put_dec(lba)
    console.puts(b" crc=")
    put_hex32(expected)
    console.puts(b" ok\n")
    return True


def run() -> None:
    if virtio_blk.count == 0:
        console.log(b"blk", b"selftest: no virtio block device")
        return
    dev: Ptr[BlockDevice] = virtio_blk.block_device(u32(0))
    sectors: u32 = SECTORS
    if u64(sectors) > dev.sector_count:
        sectors = u32(dev.sector_count)
    if sectors <= UNALIGNED_LBA + UNALIGNED_SECTORS:
        console.log(b"blk", b"selftest: disk too small")
        return
    buf: Ptr[u8] = cast(Ptr[u8], kalloc(usize(sectors) * SECTOR))
    if buf == cast(Ptr[u8], usize(0)):
        fail(b"out of memory", i64(0))
        return
    if check_read(dev, buf, sectors) and check_unaligned(dev, buf) and check_write(dev, buf):
        disk: Ptr[virtio_blk.Disk] = addr(virtio_blk.devices[0])
        console.puts(b"[blk] selftest done: ")
        console.put_dec(disk.virtio.interrupts)
        console.puts(b" interrupts, ")
        console.put_dec(disk.queue.completed)
        console.puts(b" requests\n")
    kfree(cast(Ptr[None], buf))


def run_if_requested(info: Ptr[BootInfo]) -> None:
    if cmdline.boot_has(info, b"blktest"):
        run()
