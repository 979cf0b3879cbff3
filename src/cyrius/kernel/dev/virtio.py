"""Virtio 1.0 over PCI, modern interface (virtio 1.0 section 4.1): what every virtio driver shares.

A modern virtio function describes its register blocks with vendor-specific PCI capabilities
(cfg_type: common, notify, ISR, device-specific), each naming a BAR, an offset and a length.
Bring-up (section 3.1.1): reset, ACKNOWLEDGE, DRIVER, negotiate features (VIRTIO_F_VERSION_1 is
required: it is what makes the device modern), FEATURES_OK and check it stuck, set up the queues,
DRIVER_OK.

Interrupts: MSI-X when the function has it and vectors are left (one vector per queue from
FIRST_VECTOR..LAST_VECTOR; the vector's handler collects just that queue), otherwise INTx routed
through the I/O APIC (the handler reads the ISR register, which also lowers the level-triggered
line, and collects every queue of every device sharing the line).
"""
from cyrius.lang import (NULL, Array, Callable, Final, Ptr, addr, cast, struct, u8, u16, u32, u64, usize,
                         volatile_load, volatile_store)

from .. import console
from ..arch.x86_64 import ioapic, lapic, trap
from ..arch.x86_64.trapframe import TrapFrame
from ..mm import frames, paging, phys
from . import msix, pci, virtqueue

VENDOR: Final = 0x1AF4
PCI_DEVICE_MODERN_BASE: Final = 0x1040  # modern functions: 0x1040 + virtio device ID
PCI_DEVICE_TRANSITIONAL_FIRST: Final = 0x1000  # transitional: ID in the subsystem ID
PCI_DEVICE_TRANSITIONAL_LAST: Final = 0x103F
ID_NET: Final = 1
ID_BLOCK: Final = 2

# struct virtio_pci_cap (section 4.1.4), a vendor-specific PCI capability.
PCI_CAP_VENDOR: Final = 0x09
CAP_CFG_TYPE: Final = 3  # u8
CAP_BAR: Final = 4  # u8
CAP_OFFSET: Final = 8  # u32
CAP_LENGTH: Final = 12  # u32
CAP_NOTIFY_MULTIPLIER: Final = 16  # u32, notify capability only
CFG_TYPE_COMMON: Final = 1
CFG_TYPE_NOTIFY: Final = 2
CFG_TYPE_ISR: Final = 3
CFG_TYPE_DEVICE: Final = 4
MAX_VENDOR_CAPS: Final = 16

# struct virtio_pci_common_cfg (section 4.1.4.3).
COMMON_DEVICE_FEATURE_SELECT: Final = 0x00  # u32
COMMON_DEVICE_FEATURE: Final = 0x04  # u32
COMMON_DRIVER_FEATURE_SELECT: Final = 0x08  # u32
COMMON_DRIVER_FEATURE: Final = 0x0C  # u32
COMMON_MSIX_CONFIG: Final = 0x10  # u16
COMMON_NUM_QUEUES: Final = 0x12  # u16
COMMON_DEVICE_STATUS: Final = 0x14  # u8
COMMON_CONFIG_GENERATION: Final = 0x15  # u8
COMMON_QUEUE_SELECT: Final = 0x16  # u16
COMMON_QUEUE_SIZE: Final = 0x18  # u16
COMMON_QUEUE_MSIX_VECTOR: Final = 0x1A  # u16
COMMON_QUEUE_ENABLE: Final = 0x1C  # u16
COMMON_QUEUE_NOTIFY_OFF: Final = 0x1E  # u16
COMMON_QUEUE_DESC: Final = 0x20  # u64, written as two u32 halves (low first)
COMMON_QUEUE_DRIVER: Final = 0x28  # u64: the available ring
COMMON_QUEUE_DEVICE: Final = 0x30  # u64: the used ring
COMMON_MIN_LENGTH: Final = 0x38
NO_VECTOR: Final = 0xFFFF

ISR_QUEUE: Final = 1 << 0
ISR_CONFIG: Final = 1 << 1

# device_status bits (section 2.1).
STATUS_ACKNOWLEDGE: Final = 1
STATUS_DRIVER: Final = 2
STATUS_DRIVER_OK: Final = 4
STATUS_FEATURES_OK: Final = 8
STATUS_NEEDS_RESET: Final = 64
STATUS_FAILED: Final = 128
RESET_POLL_LIMIT: Final = 1000000

F_VERSION_1: Final = 1 << 32

# Interrupt vectors this transport hands out (the rest of the IDT belongs to others).
FIRST_VECTOR: Final = 48
LAST_VECTOR: Final = 63
VECTORS: Final = LAST_VECTOR - FIRST_VECTOR + 1
MAX_QUEUES: Final = 4  # per device; virtio-blk and virtio-net (without multiqueue) need 1 and 2-3

IRQ_NONE: Final = 0
IRQ_MSIX: Final = 1
IRQ_INTX: Final = 2


@struct
class Device:
    pci: Ptr[pci.Device]
    type: u16  # virtio device ID (ID_BLOCK, ...)
    common: u64  # virtual addresses of the register blocks
    notify: u64
    notify_multiplier: u32
    isr: u64
    config: u64
    config_length: u32
    device_features: u64
    features: u64  # negotiated
    irq_mode: u32
    msix: msix.Table
    msix_next_entry: u32
    queue_count: u16  # queues the device offers (num_queues)
    queues: Array[Ptr[virtqueue.Virtqueue], MAX_QUEUES]
    intx_vector: u8
    next_on_line: Ptr["Device"]  # INTx: the next device sharing intx_vector
    interrupts: u64
    config_changes: u64


@struct
class VectorUse:
    queue: Ptr[virtqueue.Virtqueue]  # MSI-X: the queue this vector signals (NULL under INTx)
    devices: Ptr[Device]  # MSI-X: the queue's device; INTx: the devices sharing the line
                          # (linked by next_on_line)
    irq: u8  # INTx: the legacy IRQ routed to this vector
    in_use: bool


vectors: Array[VectorUse, VECTORS] = Array[VectorUse, VECTORS]()
vectors_used: u32 = 0


def device_type(p: Ptr[pci.Device]) -> u16:
    """The virtio device ID of a PCI function, or 0 if it is not a virtio function."""
    if p.vendor != VENDOR:
        return 0
    if p.device >= PCI_DEVICE_MODERN_BASE:
        return p.device - PCI_DEVICE_MODERN_BASE
    if p.device >= PCI_DEVICE_TRANSITIONAL_FIRST and p.device <= PCI_DEVICE_TRANSITIONAL_LAST:
        return p.subsystem_id
    return 0


# --- register access -------------------------------------------------------------------------

def common8(d: Ptr[Device], offset: u32) -> Ptr[u8]:
    return cast(Ptr[u8], usize(d.common + u64(offset)))


def common16(d: Ptr[Device], offset: u32) -> Ptr[u16]:
    return cast(Ptr[u16], usize(d.common + u64(offset)))


def common32(d: Ptr[Device], offset: u32) -> Ptr[u32]:
    return cast(Ptr[u32], usize(d.common + u64(offset)))


def write64(d: Ptr[Device], offset: u32, value: u64) -> None:
    volatile_store(common32(d, offset), u32(value))
    volatile_store(common32(d, offset + 4), u32(value >> 32))


def status(d: Ptr[Device]) -> u8:
    return volatile_load(common8(d, u32(COMMON_DEVICE_STATUS)))


def add_status(d: Ptr[Device], bits: u8) -> None:
    volatile_store(common8(d, u32(COMMON_DEVICE_STATUS)), status(d) | bits)


def fail(d: Ptr[Device]) -> bool:
    """Tell the device the driver gave up on it (section 3.1.1 step 8); always False."""
    add_status(d, u8(STATUS_FAILED))
    return False


def config_read32(d: Ptr[Device], offset: u32) -> u32:
    """A 32-bit field of the device-specific configuration (0 past its end)."""
    if offset + 4 > d.config_length:
        return 0
    return volatile_load(cast(Ptr[u32], usize(d.config + u64(offset))))


def config_read64(d: Ptr[Device], offset: u32) -> u64:
    """A 64-bit field read as two halves; retried until config_generation shows no change
    happened in between (section 4.1.4.3.1)."""
    for _ in range(8):
        before: u8 = volatile_load(common8(d, u32(COMMON_CONFIG_GENERATION)))
        value: u64 = u64(config_read32(d, offset)) | (u64(config_read32(d, offset + 4)) << 32)
        if volatile_load(common8(d, u32(COMMON_CONFIG_GENERATION))) == before:
            return value
    return 0


# --- discovery -------------------------------------------------------------------------------

def map_region(d: Ptr[Device], cap: u32, out_length: Ptr[u32]) -> u64:
    """Virtual address of the block a virtio capability points at, checked against its BAR."""
    p: Ptr[pci.Device] = d.pci
    bar: u32 = u32(pci.config_read8(p, cap + CAP_BAR))
    offset: u32 = pci.config_read32(p, cap + CAP_OFFSET)
    length: u32 = pci.config_read32(p, cap + CAP_LENGTH)
    if not pci.bar_is_memory(p, bar):
        return 0
    base: u64 = pci.map_bar(p, bar)
    if base == 0 or u64(offset) + u64(length) > pci.bar_size(p, bar):
        return 0
    out_length[0] = length
    return base + u64(offset)


def probe(d: Ptr[Device], p: Ptr[pci.Device]) -> bool:
    """Find and map the register blocks of a modern virtio function (the first capability of
    each type, as section 4.1.4 asks). Enables memory decoding and bus mastering."""
    d.pci = p
    d.type = device_type(p)
    d.common = 0
    d.notify = 0
    d.isr = 0
    d.config = 0
    d.config_length = 0
    d.irq_mode = IRQ_NONE
    d.features = 0
    d.interrupts = 0
    d.config_changes = 0
    d.msix.capability = 0
    d.msix_next_entry = 0
    d.next_on_line = NULL
    for k in range(MAX_QUEUES):
        d.queues[k] = NULL
    pci.enable(p)
    caps: Array[u32, MAX_VENDOR_CAPS] = Array[u32, MAX_VENDOR_CAPS]()
    n: u32 = pci.find_capabilities(p, u8(PCI_CAP_VENDOR), addr(caps), u32(MAX_VENDOR_CAPS))
    length: Array[u32, 1] = Array[u32, 1]()
    for i in range(n):
        cap: u32 = caps[i]
        kind: u8 = pci.config_read8(p, cap + CAP_CFG_TYPE)
        if kind == CFG_TYPE_COMMON and d.common == 0:
            d.common = map_region(d, cap, addr(length))
            if length[0] < COMMON_MIN_LENGTH:
                d.common = 0
        elif kind == CFG_TYPE_NOTIFY and d.notify == 0:
            d.notify = map_region(d, cap, addr(length))
            d.notify_multiplier = pci.config_read32(p, cap + CAP_NOTIFY_MULTIPLIER)
        elif kind == CFG_TYPE_ISR and d.isr == 0:
            d.isr = map_region(d, cap, addr(length))
        elif kind == CFG_TYPE_DEVICE and d.config == 0:
            d.config = map_region(d, cap, addr(length))
            d.config_length = length[0]
    # The device-specific block is optional in general, but every device type we drive has one.
    return d.common != 0 and d.notify != 0 and d.isr != 0


def reset(d: Ptr[Device]) -> bool:
    """Write 0 to device_status and wait for the device to read back 0 (section 4.1.4.3.2)."""
    volatile_store(common8(d, u32(COMMON_DEVICE_STATUS)), u8(0))
    for _ in range(RESET_POLL_LIMIT):
        if status(d) == 0:
            return True
    return False


def begin(d: Ptr[Device], wanted: u64) -> bool:
    """Reset, acknowledge, and negotiate: accept the offered features among `wanted` (plus
    VERSION_1, without which the device is not modern). The result is in d.features."""
    if not reset(d):
        return False
    add_status(d, u8(STATUS_ACKNOWLEDGE))
    add_status(d, u8(STATUS_DRIVER))
    # Feature words are 32 bits wide, reached one at a time through a select register.
    d.device_features = 0
    for half in range(u32(2)):
        volatile_store(common32(d, u32(COMMON_DEVICE_FEATURE_SELECT)), half)
        d.device_features |= u64(volatile_load(common32(d, u32(COMMON_DEVICE_FEATURE)))) << u64(32 * half)
    if (d.device_features & F_VERSION_1) == 0:
        return fail(d)
    d.features = d.device_features & (wanted | F_VERSION_1)
    for half in range(u32(2)):
        volatile_store(common32(d, u32(COMMON_DRIVER_FEATURE_SELECT)), half)
        volatile_store(common32(d, u32(COMMON_DRIVER_FEATURE)), u32(d.features >> u64(32 * half)))
    add_status(d, u8(STATUS_FEATURES_OK))
    if (status(d) & STATUS_FEATURES_OK) == 0:
        return fail(d)  # the device rejected this feature subset
    d.queue_count = volatile_load(common16(d, u32(COMMON_NUM_QUEUES)))
    return True


def has_feature(d: Ptr[Device], bit: u32) -> bool:
    return (d.features >> u64(bit)) & 1 != 0


# --- interrupts ------------------------------------------------------------------------------

def on_interrupt(frame: Ptr[TrapFrame]) -> None:
    """Every vector this transport hands out lands here."""
    use: Ptr[VectorUse] = addr(vectors) + (frame.vector - FIRST_VECTOR)
    if use.queue != NULL:
        use.devices.interrupts += 1
        virtqueue.collect(use.queue)
        return
    d: Ptr[Device] = use.devices
    while d != NULL:
        # Reading the ISR register acknowledges the interrupt and lowers the INTx line.
        isr: u8 = volatile_load(cast(Ptr[u8], usize(d.isr)))
        if isr != 0:
            d.interrupts += 1
        if (isr & ISR_CONFIG) != 0:
            d.config_changes += 1
        if (isr & ISR_QUEUE) != 0:
            for i in range(MAX_QUEUES):
                if d.queues[i] != NULL:
                    virtqueue.collect(d.queues[i])
        d = d.next_on_line


def take_vector() -> u32:
    """A free vector in FIRST_VECTOR..LAST_VECTOR with our handler installed, or 0."""
    global vectors_used
    for i in range(u32(VECTORS)):
        if not vectors[i].in_use:
            vectors[i].in_use = True
            vectors[i].queue = NULL
            vectors[i].devices = NULL
            vectors_used += 1
            trap.register(FIRST_VECTOR + i, on_interrupt)
            return FIRST_VECTOR + i
    return 0


def free_vectors() -> u32:
    return u32(VECTORS) - vectors_used


def setup_interrupts(d: Ptr[Device], queues: u32) -> bool:
    """Choose MSI-X (if it is allowed, the function has it, and table entries and vectors remain
    for each of the `queues` the driver will set up) or INTx through the I/O APIC (whose vector
    devices on the same line share). Call before setting up queues."""
    p: Ptr[pci.Device] = d.pci
    if pci.msi_allowed and free_vectors() >= queues and msix.probe(addr(d.msix), p) and d.msix.entries >= queues:
        # Config-change notifications are not used: no vector for them.
        volatile_store(common16(d, u32(COMMON_MSIX_CONFIG)), u16(NO_VECTOR))
        msix.enable(addr(d.msix), p)
        d.irq_mode = IRQ_MSIX
        return True
    if p.irq_pin == 0 or p.irq_line == 0 or p.irq_line >= 16:
        return False  # no INTx, or the firmware did not route it to a legacy IRQ
    # Devices whose line is already routed share its vector.
    for i in range(u32(VECTORS)):
        if vectors[i].in_use and vectors[i].queue == NULL and vectors[i].irq == p.irq_line:
            d.intx_vector = u8(FIRST_VECTOR + i)
            d.next_on_line = vectors[i].devices
            vectors[i].devices = d
            d.irq_mode = IRQ_INTX
            pci.set_intx(p, True)
            return True
    vector: u32 = take_vector()
    if vector == 0:
        return False
    use: Ptr[VectorUse] = addr(vectors) + (vector - FIRST_VECTOR)
    use.irq = p.irq_line
    use.devices = d
    d.intx_vector = u8(vector)
    d.irq_mode = IRQ_INTX
    pci.set_intx(p, True)
    ioapic.route_irq(p.irq_line, u8(vector), lapic.id())
    return True


def queue_vector(d: Ptr[Device], q: Ptr[virtqueue.Virtqueue]) -> u16:
    """The MSI-X table entry for a new queue (its own vector), or NO_VECTOR under INTx."""
    if d.irq_mode != IRQ_MSIX:
        return u16(NO_VECTOR)
    if d.msix_next_entry >= d.msix.entries:
        return u16(NO_VECTOR)
    vector: u32 = take_vector()
    if vector == 0:
        return u16(NO_VECTOR)
    entry: u32 = d.msix_next_entry
    d.msix_next_entry += 1
    vectors[vector - FIRST_VECTOR].queue = q
    vectors[vector - FIRST_VECTOR].devices = d
    msix.route(addr(d.msix), entry, u8(vector), lapic.id())
    return u16(entry)


def queue_vector_number(q: Ptr[virtqueue.Virtqueue]) -> u32:
    """The MSI-X vector that signals queue q, or 0."""
    for i in range(u32(VECTORS)):
        if vectors[i].in_use and vectors[i].queue == q:
            return FIRST_VECTOR + i
    return 0


# --- queues ----------------------------------------------------------------------------------

def setup_queue(d: Ptr[Device], index: u16, q: Ptr[virtqueue.Virtqueue],
                complete: Callable[[Ptr[virtqueue.Virtqueue], Ptr[None], u32], None], owner: Ptr[None]) -> bool:
    """Allocate queue `index` (at most virtqueue.MAX_SIZE entries), give it to the device and
    enable it. `complete` is the virtqueue's completion callback, `owner` the driver's state."""
    if index >= d.queue_count or index >= MAX_QUEUES:
        return False
    volatile_store(common16(d, u32(COMMON_QUEUE_SELECT)), index)
    offered: u16 = volatile_load(common16(d, u32(COMMON_QUEUE_SIZE)))
    if offered == 0:
        return False  # the queue does not exist
    size: u16 = u16(virtqueue.MAX_SIZE)
    while size > offered:
        size = size >> 1  # sizes are powers of two; the device accepts any smaller one
    if not virtqueue.init(q, index, size):
        return False
    q.complete = complete
    q.owner = owner
    volatile_store(common16(d, u32(COMMON_QUEUE_SIZE)), size)
    write64(d, u32(COMMON_QUEUE_DESC), q.desc_phys)
    write64(d, u32(COMMON_QUEUE_DRIVER), q.avail_phys)
    write64(d, u32(COMMON_QUEUE_DEVICE), q.used_phys)
    notify_off: u16 = volatile_load(common16(d, u32(COMMON_QUEUE_NOTIFY_OFF)))
    q.notify = cast(Ptr[u16], usize(d.notify + u64(notify_off) * u64(d.notify_multiplier)))
    if d.irq_mode == IRQ_MSIX:
        entry: u16 = queue_vector(d, q)
        volatile_store(common16(d, u32(COMMON_QUEUE_MSIX_VECTOR)), entry)
        # The device answers NO_VECTOR if it could not take the entry.
        if entry == NO_VECTOR or volatile_load(common16(d, u32(COMMON_QUEUE_MSIX_VECTOR))) != entry:
            return False
    volatile_store(common16(d, u32(COMMON_QUEUE_ENABLE)), u16(1))
    d.queues[index] = q
    return True


def finish(d: Ptr[Device]) -> bool:
    """DRIVER_OK: the device may now use its queues."""
    add_status(d, u8(STATUS_DRIVER_OK))
    return (status(d) & (STATUS_NEEDS_RESET | STATUS_FAILED)) == 0


# --- what every driver reports -----------------------------------------------------------------

def attach_all(type_id: u16, limit: u32, attach: Callable[[Ptr[pci.Device], u32], bool], tag: Ptr[u8],
               kind: Ptr[u8], too_many: Ptr[u8]) -> u32:
    """Call attach(function, index) for each function of this virtio type pci.init() found, at most
    `limit` times, and report the count (`[blk] discovered 1 virtio block device(s)`); returns it."""
    attached: u32 = 0
    for i in range(pci.count):
        p: Ptr[pci.Device] = pci.device_at(i)
        if device_type(p) != type_id:
            continue
        if attached == limit:
            console.log(tag, too_many)
            break
        if attach(p, attached):
            attached += 1
    console.puts(b"[")
    console.puts(tag)
    console.puts(b"] discovered ")
    console.put_dec(u64(attached))
    console.puts(b" virtio ")
    console.puts(kind)
    console.puts(b" device(s)\n")
    return attached


def give_up(d: Ptr[Device], tag: Ptr[u8], name: Ptr[u8], why: Ptr[u8], what: Ptr[u8]) -> bool:
    """`[blk] vda: why; disk ignored`, and FAILED to the device; always False."""
    console.puts(b"[")
    console.puts(tag)
    console.puts(b"] ")
    console.puts(name)
    console.puts(b": ")
    console.puts(why)
    console.puts(b"; ")
    console.puts(what)
    console.puts(b" ignored\n")
    return fail(d)


def put_interrupts(d: Ptr[Device]) -> None:
    """`, MSI-X vectors 49 50` (one per queue, in queue order) or `, INTx IRQ 11 vector 48`."""
    if d.irq_mode != IRQ_MSIX:
        console.puts(b", INTx IRQ ")
        console.put_dec(u64(d.pci.irq_line))
        console.puts(b" vector ")
        console.put_dec(u64(d.intx_vector))
        return
    queues: u32 = 0
    for i in range(MAX_QUEUES):
        if d.queues[i] != NULL:
            queues += 1
    console.puts(b", MSI-X vectors" if queues > 1 else b", MSI-X vector")
    for k in range(MAX_QUEUES):
        if d.queues[k] != NULL:
            console.puts(b" ")
            console.put_dec(u64(queue_vector_number(d.queues[k])))


def dma_address(virt: u64) -> u64:
    """The physical address a device must use for a kernel virtual address (paging.NOT_MAPPED if
    none). Heap and frame memory sit in the direct map; anything else (kernel .data/.bss) is
    looked up in the page tables."""
    if virt >= phys.direct_map and virt - phys.direct_map < (frames.frame_count << phys.PAGE_SHIFT):
        return phys.to_phys(virt)
    return paging.translate(paging.kernel_root, virt)
