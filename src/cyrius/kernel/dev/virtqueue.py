"""Split virtqueues (virtio 1.0 section 2.4): the rings a driver and a virtio device share.

Three areas in physical memory the device reads and writes by DMA:
  descriptor table  size x {addr u64, len u32, flags u16, next u16}     16-byte aligned
  available ring    flags u16, idx u16, ring[size] u16, used_event u16    2-byte aligned (driver writes)
  used ring         flags u16, idx u16, ring[size] {id u32, len u32},
                    avail_event u16                                       4-byte aligned (device writes)
A request is a chain of descriptors (device-readable ones first, then device-writable ones); the
driver puts the chain's head in the available ring and bumps avail.idx; the device returns the
head in the used ring and bumps used.idx. Both idx fields count forever (mod 2^16); ring slots are
idx mod size, which is exact because size is a power of two dividing 2^16.

Free descriptors form a list threaded through their `next` fields. The owner (a device driver)
keeps its per-request state behind a token stored per chain head, and learns of completions
through its `complete` callback, called from `collect` in interrupt context.

Everything here runs with interrupts disabled on this (single) CPU: submitters disable them, and
`collect` runs in the interrupt handler.
"""
from cyrius.lang import NULL, Callable, Final, Ptr, cast, sizeof, struct, u16, u32, u64, usize, volatile_load, \
    volatile_store
from cyrius.rt import memset, mfence

from ..mm import frames, phys
from ..mm.heap import kalloc, kfree

DESC_F_NEXT: Final = 1  # the chain continues at `next`
DESC_F_WRITE: Final = 2  # the device writes this buffer (otherwise it only reads it)
AVAIL_F_NO_INTERRUPT: Final = 1
USED_F_NO_NOTIFY: Final = 1  # the device asks not to be notified of new buffers

MAX_SIZE: Final = 256  # queues are capped here so that each ring area fits one frame
RING_FLAGS: Final = 0  # u16 index of `flags` in either ring's header
RING_IDX: Final = 1  # u16 index of `idx`
RING_HEADER: Final = 2  # u16 slots before the ring entries
USED_OFFSET: Final = 1024  # used ring's offset in the frame it shares with the avail ring
NO_DESC: Final = 0xFFFF


@struct
class Desc:
    addr: u64  # physical
    len: u32
    flags: u16
    next: u16


@struct
class UsedElem:
    id: u32  # head of the completed chain
    len: u32  # bytes the device wrote into the chain's writable buffers


@struct
class Segment:
    """One buffer of a request as the driver describes it to submit()."""
    addr: u64  # physical
    len: u32
    device_writes: bool


@struct
class Virtqueue:
    index: u16  # queue number on its device
    size: u16  # entries, a power of two
    free_head: u16
    free_count: u16
    next_avail: u16  # the avail.idx the device will see after the next publish
    last_used: u16  # the next used.idx entry collect() will read
    desc: Ptr[Desc]
    avail: Ptr[u16]  # [flags, idx, ring[0..size), used_event]
    used: Ptr[u16]  # [flags, idx, then UsedElem ring]
    used_ring: Ptr[UsedElem]
    desc_phys: u64
    avail_phys: u64
    used_phys: u64
    tokens: Ptr[Ptr[None]]  # per chain head: the submitter's token, NULL when not in flight
    notify: Ptr[u16]  # where to write `index` to tell the device (set by the transport)
    complete: Callable[[Ptr["Virtqueue"], Ptr[None], u32], None]  # (queue, token, used length)
    owner: Ptr[None]  # for the callback
    submitted: u64
    completed: u64
    bad_used: u64  # used entries naming a descriptor that was not in flight (device bug)


def is_power_of_two(n: u16) -> bool:
    return n != 0 and (n & (n - 1)) == 0


def ring_bytes(size: u16) -> usize:
    """Bytes of the avail ring (the larger ring header plus entries and the event word)."""
    return usize(RING_HEADER + u32(size) + 1) * 2


def init(q: Ptr[Virtqueue], index: u16, size: u16) -> bool:
    """Allocate and zero the rings for `size` entries (a power of two up to MAX_SIZE)."""
    if not is_power_of_two(size) or size > MAX_SIZE:
        return False
    desc_frame: u64 = frames.alloc()
    ring_frame: u64 = frames.alloc()
    tokens: Ptr[Ptr[None]] = cast(Ptr[Ptr[None]], kalloc(usize(size) * sizeof(Ptr[None])))
    if desc_frame == 0 or ring_frame == 0 or tokens == NULL:
        if desc_frame != 0:
            frames.free(desc_frame)
        if ring_frame != 0:
            frames.free(ring_frame)
        kfree(cast(Ptr[None], tokens))
        return False
    memset(phys.bytes_at(desc_frame), 0, usize(phys.PAGE))
    memset(phys.bytes_at(ring_frame), 0, usize(phys.PAGE))
    q.index = index
    q.size = size
    q.desc_phys = desc_frame
    q.avail_phys = ring_frame
    q.used_phys = ring_frame + USED_OFFSET
    q.desc = cast(Ptr[Desc], phys.bytes_at(desc_frame))
    q.avail = cast(Ptr[u16], phys.bytes_at(q.avail_phys))
    q.used = cast(Ptr[u16], phys.bytes_at(q.used_phys))
    q.used_ring = cast(Ptr[UsedElem], q.used + RING_HEADER)
    q.tokens = tokens
    for i in range(size):
        q.desc[i].next = u16(i + 1) if i + 1 < size else u16(NO_DESC)
    q.free_head = 0
    q.free_count = size
    q.next_avail = 0
    q.last_used = 0
    q.notify = NULL
    q.submitted = 0
    q.completed = 0
    q.bad_used = 0
    return True


def submit(q: Ptr[Virtqueue], segments: Ptr[Segment], n: u32, token: Ptr[None]) -> bool:
    """Chain n segments and make the chain available. False, changing nothing, when fewer than
    n descriptors are free (the caller waits for completions and retries). The device is not
    notified: several submissions can share one kick()."""
    if n == 0 or token == NULL or n > u32(q.free_count):
        return False
    head: u16 = q.free_head
    at: u16 = head
    for i in range(n):
        d: Ptr[Desc] = q.desc + at
        seg: Ptr[Segment] = segments + i
        d.addr = seg.addr
        d.len = seg.len
        d.flags = u16(DESC_F_WRITE) if seg.device_writes else u16(0)
        if i + 1 < n:
            d.flags |= DESC_F_NEXT
            at = d.next
        else:
            q.free_head = d.next  # the rest of the free list
    q.free_count -= u16(n)
    q.tokens[head] = token
    q.avail[RING_HEADER + u32(q.next_avail & (q.size - 1))] = head
    q.next_avail += 1
    # The descriptors and ring entry must be visible before the index that publishes them.
    mfence()
    volatile_store(q.avail + RING_IDX, q.next_avail)
    q.submitted += 1
    return True


def kick(q: Ptr[Virtqueue]) -> None:
    """Tell the device about new available buffers, unless it said it does not need to know."""
    mfence()  # avail.idx is written before the device can look (and before we read used.flags)
    if (volatile_load(q.used + RING_FLAGS) & USED_F_NO_NOTIFY) == 0 and q.notify != NULL:
        volatile_store(q.notify, q.index)


def free_chain(q: Ptr[Virtqueue], head: u16) -> None:
    """Return a chain's descriptors to the free list."""
    at: u16 = head
    n: u16 = 1
    while (q.desc[at].flags & DESC_F_NEXT) != 0 and n < q.size:
        at = q.desc[at].next
        n += 1
    q.desc[at].next = q.free_head
    q.desc[at].flags = 0
    q.free_head = head
    q.free_count += n


def collect(q: Ptr[Virtqueue]) -> u32:
    """Consume every used entry the device has published: free each chain and hand its token to
    `complete`. Returns how many completed. Called from the interrupt handler."""
    done: u32 = 0
    while True:
        published: u16 = volatile_load(q.used + RING_IDX)
        if published == q.last_used:
            return done
        mfence()  # read the entry only after the index that published it
        elem: Ptr[UsedElem] = q.used_ring + (q.last_used & (q.size - 1))
        head: u32 = elem.id
        length: u32 = elem.len
        q.last_used += 1
        if head >= u32(q.size) or q.tokens[head] == NULL:
            q.bad_used += 1
            continue
        token: Ptr[None] = q.tokens[head]
        q.tokens[head] = NULL
        free_chain(q, u16(head))
        q.completed += 1
        done += 1
        if q.complete != NULL:
            q.complete(q, token, length)


def in_flight(q: Ptr[Virtqueue]) -> u32:
    return u32(u16(q.next_avail - q.last_used))
