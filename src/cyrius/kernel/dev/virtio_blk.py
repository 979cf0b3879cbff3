"""virtio-blk (virtio 1.0 section 5.2): each disk is a BlockDevice backed by one request queue.

A request is a descriptor chain: a 16-byte header the device reads {type, reserved, sector}, the
data buffers (device-written for reads), and a status byte the device writes last. Sectors are
always 512 bytes here, whatever blk_size the device reports: virtio-blk addresses in 512-byte units.

Requests complete by interrupt. The caller sleeps (sti_hlt) until its request's `done` flag, set
by the completion callback in the interrupt handler, turns true; the device is never polled.
A transfer larger than MAX_REQUEST_BYTES becomes several requests, all in flight at once, which
the caller then waits for in order.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, offsetof, sizeof, struct, u8, u16, u32, u64, usize
from cyrius.rt import cli, memset, sti_hlt

from .. import console, errno
from ..arch.x86_64 import irq
from ..mm import frames, paging, phys
from . import pci, virtio, virtqueue
from .block import BlockDevice, in_range

# Feature bits (section 5.2.3).
F_SIZE_MAX: Final = 1  # size_max: the largest single data segment
F_SEG_MAX: Final = 2  # seg_max: the most data segments in one request
F_RO: Final = 5  # read-only disk
F_BLK_SIZE: Final = 6  # blk_size: the disk's preferred block size (informational here)
F_FLUSH: Final = 9  # VIRTIO_BLK_T_FLUSH exists; without it the device writes through
WANTED_FEATURES: Final = (1 << F_SIZE_MAX) | (1 << F_SEG_MAX) | (1 << F_RO) | (1 << F_BLK_SIZE) | (1 << F_FLUSH)

# struct virtio_blk_config (section 5.2.4).
CONFIG_CAPACITY: Final = 0  # u64, in 512-byte sectors
CONFIG_SIZE_MAX: Final = 8  # u32
CONFIG_SEG_MAX: Final = 12  # u32
CONFIG_BLK_SIZE: Final = 20  # u32 (after the 4-byte geometry at 16)
CONFIG_MIN_LENGTH: Final = 8

# Request types and status values (section 5.2.6).
T_IN: Final = 0
T_OUT: Final = 1
T_FLUSH: Final = 4
S_OK: Final = 0
S_IOERR: Final = 1
S_UNSUPP: Final = 2
STATUS_PENDING: Final = 0xFF  # what status holds until the device writes it

SECTOR: Final = 512
REQUEST_QUEUE: Final = 0
MAX_DISKS: Final = 4
MAX_REQUESTS: Final = 32  # in flight per disk; headers and status bytes share one DMA frame
MAX_REQUEST_BYTES: Final = 65536
# Data segments of one request: one per page, plus one when the buffer is not page aligned.
MAX_DATA_SEGMENTS: Final = MAX_REQUEST_BYTES // 4096 + 1
MAX_SEGMENTS: Final = MAX_DATA_SEGMENTS + 2  # with the header and the status byte
NO_LIMIT: Final = 0xFFFFFFFF


@struct
class RequestHeader:
    type: u32
    reserved: u32
    sector: u64


@struct
class Request:
    header: RequestHeader  # read by the device
    status: u8  # written by the device
    in_use: bool
    done: bool  # set in interrupt context when the device returned the chain
    sectors: u32  # how many sectors the request moves


@struct
class Disk:
    block: BlockDevice  # what filesystems see; block.private points back here
    virtio: virtio.Device
    queue: virtqueue.Virtqueue
    requests: Ptr[Request]  # MAX_REQUESTS of them in one frame
    requests_phys: u64
    read_only: bool
    segment_limit: u32  # data segments per request
    segment_bytes: u32  # bytes per data segment
    block_size: u32  # as the device reports it (512 when it does not)
    reads: u64  # requests, by type
    writes: u64
    flushes: u64
    errors: u64


devices: Array[Disk, MAX_DISKS] = Array[Disk, MAX_DISKS]()
count: u32 = 0


def disk_of(dev: Ptr[BlockDevice]) -> Ptr[Disk]:
    return cast(Ptr[Disk], dev.private)


def block_device(i: u32) -> Ptr[BlockDevice]:
    """The BlockDevice of disk i (0 <= i < count)."""
    return addr(devices[i].block)


# --- requests --------------------------------------------------------------------------------

def on_complete(q: Ptr[virtqueue.Virtqueue], token: Ptr[None], length: u32) -> None:
    """Interrupt context: the device has finished the request and written its status."""
    req: Ptr[Request] = cast(Ptr[Request], token)
    req.done = True


def take_request(disk: Ptr[Disk]) -> Ptr[Request]:
    for i in range(MAX_REQUESTS):
        req: Ptr[Request] = disk.requests + i
        if not req.in_use:
            req.in_use = True
            req.done = False
            req.status = u8(STATUS_PENDING)
            req.sectors = 0
            return req
    return NULL


def request_phys(disk: Ptr[Disk], req: Ptr[Request]) -> u64:
    return disk.requests_phys + u64(req - disk.requests) * u64(sizeof(Request))


def data_segments(disk: Ptr[Disk], buf: u64, want: u64, segs: Ptr[virtqueue.Segment], device_writes: bool,
                  covered: Ptr[u64]) -> i64:
    """Describe up to `want` bytes at kernel address `buf` as physically contiguous segments
    (merging pages that happen to be adjacent), within the device's segment limits, ending on a
    whole sector. Returns the segment count, and in covered[0] the bytes described; -errno if
    part of the buffer is not mapped or not even one sector fits."""
    n: u32 = 0
    done: u64 = 0
    while done < want:
        virt: u64 = buf + done
        piece: u64 = phys.PAGE - (virt & (phys.PAGE - 1))
        if piece > want - done:
            piece = want - done
        if piece > u64(disk.segment_bytes):
            piece = u64(disk.segment_bytes)
        at: u64 = virtio.dma_address(virt)
        if at == paging.NOT_MAPPED:
            return -errno.EFAULT
        if n > 0 and segs[n - 1].addr + u64(segs[n - 1].len) == at and \
                u64(segs[n - 1].len) + piece <= u64(disk.segment_bytes):
            segs[n - 1].len += u32(piece)
        elif n < disk.segment_limit:
            segs[n].addr = at
            segs[n].len = u32(piece)
            segs[n].device_writes = device_writes
            n += 1
        else:
            break
        done += piece
    extra: u64 = done % SECTOR  # a sector split across the segment limit waits for the next request
    done -= extra
    while extra > 0:
        last: Ptr[virtqueue.Segment] = segs + (n - 1)
        if u64(last.len) <= extra:
            extra -= u64(last.len)
            n -= 1
        else:
            last.len -= u32(extra)
            extra = 0
    if done == 0:
        return -errno.EINVAL
    covered[0] = done
    return i64(n)


def start(disk: Ptr[Disk], kind: u32, lba: u64, buf: u64, sectors: u32, out: Ptr[Ptr[Request]]) -> i64:
    """Queue one request for the first of `sectors` sectors at `lba` (as many as one request
    carries) and return how many it covers (1 for a flush); 0 when no request slot or too few
    descriptors are free right now; -errno on a bad buffer. The device is not notified yet."""
    req: Ptr[Request] = take_request(disk)
    if req == NULL:
        return 0
    segs: Array[virtqueue.Segment, MAX_SEGMENTS] = Array[virtqueue.Segment, MAX_SEGMENTS]()
    base: u64 = request_phys(disk, req)
    segs[0].addr = base + u64(offsetof(Request, "header"))
    segs[0].len = u32(sizeof(RequestHeader))
    segs[0].device_writes = False
    n: u32 = 1
    moved: u32 = 0
    if kind != T_FLUSH:
        want: u64 = u64(sectors) * SECTOR
        if want > MAX_REQUEST_BYTES:
            want = MAX_REQUEST_BYTES
        covered: Array[u64, 1] = Array[u64, 1]()
        got: i64 = data_segments(disk, buf, want, addr(segs) + 1, kind == T_IN, addr(covered))
        if got < 0:
            req.in_use = False
            return got
        n += u32(got)
        moved = u32(covered[0] // SECTOR)
    segs[n].addr = base + u64(offsetof(Request, "status"))
    segs[n].len = 1
    segs[n].device_writes = True
    n += 1
    req.header.type = kind
    req.header.reserved = 0
    req.header.sector = lba
    req.sectors = moved
    if not virtqueue.submit(addr(disk.queue), addr(segs), n, cast(Ptr[None], req)):
        req.in_use = False
        return 0
    out[0] = req
    if kind == T_FLUSH:
        return 1
    return i64(moved)


def wait_for(req: Ptr[Request]) -> None:
    """Sleep until the interrupt handler marks req done. Called and returns with interrupts
    disabled; sti_hlt enables them and halts atomically, so a completion arriving between the
    check and the halt still wakes us."""
    while not req.done:
        sti_hlt()
        cli()


def finish(disk: Ptr[Disk], req: Ptr[Request]) -> i64:
    """Release a completed request: 0, or -EIO if the device reported a failure."""
    ok: bool = req.status == S_OK
    req.in_use = False
    if not ok:
        disk.errors += 1
        return -errno.EIO
    return 0


def transfer(dev: Ptr[BlockDevice], kind: u32, lba: u64, count: u32, buf: Ptr[u8]) -> i64:
    """Move `count` sectors between the disk at `lba` and `buf`, with as many requests in flight
    as slots and descriptors allow."""
    disk: Ptr[Disk] = disk_of(dev)
    if not in_range(dev, lba, count):
        return -errno.EIO
    if kind == T_OUT and disk.read_only:
        return -errno.EROFS
    if count == 0:
        return 0
    entry: u64 = irq.save()
    pending: Array[Ptr[Request], MAX_REQUESTS] = Array[Ptr[Request], MAX_REQUESTS]()
    waiting: u32 = 0
    started: u32 = 0
    result: i64 = 0
    out: Array[Ptr[Request], 1] = Array[Ptr[Request], 1]()
    while True:
        queued: bool = False
        while result == 0 and started < count and waiting < MAX_REQUESTS:
            got: i64 = start(disk, kind, lba + u64(started), cast(u64, buf) + u64(started) * SECTOR,
                             count - started, addr(out))
            if got < 0:
                result = got
            if got <= 0:
                break
            pending[waiting] = out[0]
            waiting += 1
            started += u32(got)
            queued = True
        if queued:
            virtqueue.kick(addr(disk.queue))
        if waiting == 0:
            if result != 0 or started == count:
                break
            sti_hlt()  # all slots are taken by other callers' requests: wait for any completion
            cli()
            continue
        # Oldest first. On an error nothing new starts, but what is in flight still owns `buf`.
        req: Ptr[Request] = pending[0]
        wait_for(req)
        err: i64 = finish(disk, req)
        if err < 0 and result == 0:
            result = err
        for i in range(waiting - 1):
            pending[i] = pending[i + 1]
        waiting -= 1
    if kind == T_IN:
        disk.reads += 1
    else:
        disk.writes += 1
    irq.restore(entry)
    return result


def blk_read(dev: Ptr[BlockDevice], lba: u64, count: u32, buf: Ptr[u8]) -> i64:
    return transfer(dev, u32(T_IN), lba, count, buf)


def blk_write(dev: Ptr[BlockDevice], lba: u64, count: u32, buf: Ptr[u8]) -> i64:
    return transfer(dev, u32(T_OUT), lba, count, buf)


def blk_flush(dev: Ptr[BlockDevice]) -> i64:
    """Make every completed write durable (VIRTIO_BLK_T_FLUSH)."""
    disk: Ptr[Disk] = disk_of(dev)
    if not virtio.has_feature(addr(disk.virtio), u32(F_FLUSH)):
        return 0  # no flush command: the device writes through
    entry: u64 = irq.save()
    out: Array[Ptr[Request], 1] = Array[Ptr[Request], 1]()
    while start(disk, u32(T_FLUSH), u64(0), u64(0), u32(0), addr(out)) == 0:
        sti_hlt()  # all slots taken: wait for a completion
        cli()
    virtqueue.kick(addr(disk.queue))
    wait_for(out[0])
    result: i64 = finish(disk, out[0])
    disk.flushes += 1
    irq.restore(entry)
    return result


# --- bring-up --------------------------------------------------------------------------------

def disk_name(i: u32) -> Ptr[u8]:
    if i == 0:
        return b"vda"
    if i == 1:
        return b"vdb"
    if i == 2:
        return b"vdc"
    return b"vdd"


def give_up(disk: Ptr[Disk], why: Ptr[u8]) -> bool:
    return virtio.give_up(addr(disk.virtio), b"blk", disk.block.name, why, b"disk")


def attach(p: Ptr[pci.Device], index: u32) -> bool:
    disk: Ptr[Disk] = addr(devices[index])
    d: Ptr[virtio.Device] = addr(disk.virtio)
    disk.block.name = disk_name(index)
    if not virtio.probe(d, p):
        console.puts(b"[blk] virtio-blk function without the modern register blocks ignored\n")
        return False
    if d.config == 0 or d.config_length < CONFIG_MIN_LENGTH:
        return give_up(disk, b"no device configuration block")
    if not virtio.begin(d, u64(WANTED_FEATURES)):
        return give_up(disk, b"feature negotiation failed (no VIRTIO_F_VERSION_1?)")
    frame: u64 = frames.alloc()
    if frame == 0:
        return give_up(disk, b"out of memory")
    memset(phys.bytes_at(frame), 0, usize(phys.PAGE))
    disk.requests = cast(Ptr[Request], phys.bytes_at(frame))
    disk.requests_phys = frame
    if not virtio.setup_interrupts(d, u32(1)):
        return give_up(disk, b"no interrupt (neither MSI-X nor a routed INTx line)")
    if not virtio.setup_queue(d, u16(REQUEST_QUEUE), addr(disk.queue), on_complete, cast(Ptr[None], disk)):
        return give_up(disk, b"request queue setup failed")
    # Segment limits: the device's, ours, and what fits one chain in the queue with header+status.
    disk.segment_limit = u32(MAX_DATA_SEGMENTS)
    if virtio.has_feature(d, u32(F_SEG_MAX)):
        seg_max: u32 = virtio.config_read32(d, u32(CONFIG_SEG_MAX))
        if seg_max != 0 and seg_max < disk.segment_limit:
            disk.segment_limit = seg_max
    if disk.segment_limit > u32(disk.queue.size) - 2:
        disk.segment_limit = u32(disk.queue.size) - 2
    disk.segment_bytes = u32(NO_LIMIT)
    if virtio.has_feature(d, u32(F_SIZE_MAX)):
        size_max: u32 = virtio.config_read32(d, u32(CONFIG_SIZE_MAX))
        if size_max >= SECTOR:
            disk.segment_bytes = size_max
    disk.block_size = SECTOR
    if virtio.has_feature(d, u32(F_BLK_SIZE)):
        disk.block_size = virtio.config_read32(d, u32(CONFIG_BLK_SIZE))
    disk.read_only = virtio.has_feature(d, u32(F_RO))
    disk.block.sector_size = SECTOR
    disk.block.sector_count = virtio.config_read64(d, u32(CONFIG_CAPACITY))
    disk.block.read = blk_read
    disk.block.write = blk_write
    disk.block.flush = blk_flush
    disk.block.private = cast(Ptr[None], disk)
    if not virtio.finish(d):
        return give_up(disk, b"the device refused DRIVER_OK")
    describe(disk)
    return True


def describe(disk: Ptr[Disk]) -> None:
    """`[blk] vda: 131072 sectors (64 MiB), queue 256, MSI-X vector 48`"""
    d: Ptr[virtio.Device] = addr(disk.virtio)
    console.puts(b"[blk] ")
    console.puts(disk.block.name)
    console.puts(b": ")
    console.put_dec(disk.block.sector_count)
    console.puts(b" sectors (")
    console.put_dec(disk.block.sector_count * SECTOR >> 20)
    console.puts(b" MiB), queue ")
    console.put_dec(u64(disk.queue.size))
    virtio.put_interrupts(d)
    if disk.read_only:
        console.puts(b", read-only")
    if not virtio.has_feature(d, u32(F_FLUSH)):
        console.puts(b", write-through (no flush)")
    console.puts(b"\n")


def init() -> None:
    """Attach every virtio-blk function pci.init() found (call after it, interrupts set up)."""
    global count
    count = virtio.attach_all(u16(virtio.ID_BLOCK), u32(MAX_DISKS), attach, b"blk", b"block",
                              b"warning: more virtio block devices than MAX_DISKS; the rest are ignored")
