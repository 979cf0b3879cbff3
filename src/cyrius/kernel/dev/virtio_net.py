"""virtio-net (virtio 1.0 section 5.1): each device is a network interface (net.netif.NetIf)
with one receive and one transmit queue.

Features: VIRTIO_F_VERSION_1 (required), VIRTIO_NET_F_MAC (the MAC from the device
configuration) and VIRTIO_NET_F_STATUS (link state). No offloads: frames are at most 1514 bytes,
so every buffer is a 2 KiB half page, and every frame is preceded by the 12-byte virtio_net_hdr
(all zeros when we send; section 5.1.6).

Buffer layout: [back-pointer to its NetBuffer, 8 bytes][virtio_net_hdr, 12][frame, up to 1514 or
what fits]. The device gets the physical address of the header.

Receive: every receive buffer is posted at start. The queue's interrupt (MSI-X vector, or the
shared INTx line) collects completed buffers into a list and wakes the network stack through
NetIf.wake; the stack's thread calls rx_poll, which hands each frame to NetIf.input and posts the
buffer again. Transmit: tx_alloc takes a free buffer (reclaiming completed ones first if none is
free), tx_send queues it and notifies the device, and the queue's completion interrupt puts the
buffer back on the free list (and wakes the stack if a sender had found none).
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, sizeof, struct, u8, u16, u32, u64, usize
from cyrius.rt import memset

from .. import console
from ..arch.x86_64 import irq
from ..mm import frames, phys
from ..mm.heap import kalloc
from ..net import netif, show
from ..net.netif import NetIf
from . import pci, virtio, virtqueue

# Feature bits (section 5.1.3).
F_CSUM: Final = 0
F_GUEST_CSUM: Final = 1
F_MAC: Final = 5
F_MRG_RXBUF: Final = 15
F_STATUS: Final = 16
WANTED_FEATURES: Final = (1 << F_MAC) | (1 << F_STATUS)

# struct virtio_net_config (section 5.1.4).
CONFIG_MAC: Final = 0  # 6 bytes
CONFIG_STATUS: Final = 6  # u16
STATUS_LINK_UP: Final = 1

HEADER: Final = 12  # struct virtio_net_hdr with VERSION_1 (num_buffers included)
RX_QUEUE: Final = 0
TX_QUEUE: Final = 1
BUFFER_SIZE: Final = 2048
BACK_POINTER: Final = 8
FRAME_OFFSET: Final = BACK_POINTER + HEADER
RX_SPACE: Final = BUFFER_SIZE - BACK_POINTER  # what the device may write: header and frame
MAX_DEVICES: Final = 2


@struct
class NetBuffer:
    base: Ptr[u8]  # the 2 KiB buffer (its first 8 bytes point back here)
    dma: u64  # physical address of the virtio_net_hdr
    length: u32  # receive: frame bytes the device wrote
    next: Ptr["NetBuffer"]  # free list (transmit) or completed list (receive)


@struct
class VirtioNet:
    nif: NetIf  # what the stack sees; nif.driver points back here
    virtio: virtio.Device
    rxq: virtqueue.Virtqueue
    txq: virtqueue.Virtqueue
    rx_buffers: Ptr[NetBuffer]
    tx_buffers: Ptr[NetBuffer]
    rx_count: u32
    tx_count: u32
    rx_done_head: Ptr[NetBuffer]  # received, waiting for rx_poll (filled in interrupt context)
    rx_done_tail: Ptr[NetBuffer]
    rx_posted: u32  # receive buffers the device holds
    tx_free: Ptr[NetBuffer]
    tx_free_count: u32
    tx_starved: bool  # tx_alloc found no buffer: wake the stack when one comes back
    rx_completions: u64
    tx_completions: u64


devices: Array[VirtioNet, MAX_DEVICES] = Array[VirtioNet, MAX_DEVICES]()
count: u32 = 0


def interface(i: u32) -> Ptr[NetIf]:
    """The NetIf of device i (0 <= i < count)."""
    return addr(devices[i].nif)


def device_of(nif: Ptr[NetIf]) -> Ptr[VirtioNet]:
    return cast(Ptr[VirtioNet], nif.driver)


def buffer_of(frame: Ptr[u8]) -> Ptr[NetBuffer]:
    return cast(Ptr[Ptr[NetBuffer]], frame - FRAME_OFFSET)[0]


def frame_of(b: Ptr[NetBuffer]) -> Ptr[u8]:
    return b.base + FRAME_OFFSET


# --- interrupt context -----------------------------------------------------------------------

def wake_stack(dev: Ptr[VirtioNet]) -> None:
    dev.nif.wakeups += 1
    if dev.nif.wake != NULL:
        dev.nif.wake(addr(dev.nif))


def on_rx_complete(q: Ptr[virtqueue.Virtqueue], token: Ptr[None], length: u32) -> None:
    dev: Ptr[VirtioNet] = cast(Ptr[VirtioNet], q.owner)
    b: Ptr[NetBuffer] = cast(Ptr[NetBuffer], token)
    b.length = length - HEADER if length > HEADER else u32(0)
    b.next = NULL
    first: bool = dev.rx_done_tail == NULL
    if first:
        dev.rx_done_head = b
    else:
        dev.rx_done_tail.next = b
    dev.rx_done_tail = b
    dev.rx_posted -= 1
    dev.rx_completions += 1
    if first:
        wake_stack(dev)  # the list was empty: the stack may be asleep (otherwise it will get there)


def on_tx_complete(q: Ptr[virtqueue.Virtqueue], token: Ptr[None], length: u32) -> None:
    dev: Ptr[VirtioNet] = cast(Ptr[VirtioNet], q.owner)
    b: Ptr[NetBuffer] = cast(Ptr[NetBuffer], token)
    b.next = dev.tx_free
    dev.tx_free = b
    dev.tx_free_count += 1
    dev.tx_completions += 1
    if dev.tx_starved:
        dev.tx_starved = False
        wake_stack(dev)


# --- the NetIf operations --------------------------------------------------------------------

def post_rx(dev: Ptr[VirtioNet], b: Ptr[NetBuffer]) -> bool:
    """Give a receive buffer to the device (interrupts off; the caller kicks)."""
    seg: Array[virtqueue.Segment, 1] = Array[virtqueue.Segment, 1]()
    seg[0].addr = b.dma
    seg[0].len = RX_SPACE
    seg[0].device_writes = True
    if not virtqueue.submit(addr(dev.rxq), addr(seg), u32(1), cast(Ptr[None], b)):
        return False
    dev.rx_posted += 1
    return True


def rx_poll(nif: Ptr[NetIf], budget: u32) -> u32:
    """Hand up to `budget` received frames to nif.input, re-posting each buffer after it."""
    dev: Ptr[VirtioNet] = device_of(nif)
    n: u32 = 0
    while n < budget:
        flags: u64 = irq.save()
        b: Ptr[NetBuffer] = dev.rx_done_head
        if b != NULL:
            dev.rx_done_head = b.next
            if dev.rx_done_head == NULL:
                dev.rx_done_tail = NULL
        irq.restore(flags)
        if b == NULL:
            break
        if b.length < netif.ETH_HEADER or b.length > RX_SPACE - HEADER:
            nif.rx_errors += 1
        elif nif.input != NULL:
            nif.input(nif, frame_of(b), b.length)
        flags = irq.save()
        post_rx(dev, b)
        irq.restore(flags)
        n += 1
    if n > 0:
        flags2: u64 = irq.save()
        virtqueue.kick(addr(dev.rxq))
        irq.restore(flags2)
    return n


def tx_alloc(nif: Ptr[NetIf]) -> Ptr[u8]:
    dev: Ptr[VirtioNet] = device_of(nif)
    flags: u64 = irq.save()
    if dev.tx_free == NULL:
        virtqueue.collect(addr(dev.txq))  # completions whose interrupt has not been taken yet
    b: Ptr[NetBuffer] = dev.tx_free
    if b == NULL:
        dev.tx_starved = True
        irq.restore(flags)
        return NULL
    dev.tx_free = b.next
    dev.tx_free_count -= 1
    irq.restore(flags)
    memset(cast(Ptr[None], b.base + BACK_POINTER), 0, usize(HEADER))
    return frame_of(b)


def tx_free(nif: Ptr[NetIf], frame: Ptr[u8]) -> None:
    dev: Ptr[VirtioNet] = device_of(nif)
    b: Ptr[NetBuffer] = buffer_of(frame)
    flags: u64 = irq.save()
    b.next = dev.tx_free
    dev.tx_free = b
    dev.tx_free_count += 1
    irq.restore(flags)


def tx_send(nif: Ptr[NetIf], frame: Ptr[u8], length: u32) -> None:
    dev: Ptr[VirtioNet] = device_of(nif)
    b: Ptr[NetBuffer] = buffer_of(frame)
    seg: Array[virtqueue.Segment, 1] = Array[virtqueue.Segment, 1]()
    seg[0].addr = b.dma
    seg[0].len = u32(HEADER) + length
    seg[0].device_writes = False
    flags: u64 = irq.save()
    if virtqueue.submit(addr(dev.txq), addr(seg), u32(1), cast(Ptr[None], b)):
        virtqueue.kick(addr(dev.txq))
        irq.restore(flags)
        return
    irq.restore(flags)
    nif.tx_dropped += 1  # cannot happen: there are no more buffers than descriptors
    tx_free(nif, frame)


# --- bring-up --------------------------------------------------------------------------------

def make_buffers(n: u32) -> Ptr[NetBuffer]:
    """n buffers, two per page; NULL when memory runs out."""
    list: Ptr[NetBuffer] = cast(Ptr[NetBuffer], kalloc(usize(n) * sizeof(NetBuffer)))
    if list == NULL:
        return NULL
    i: u32 = 0
    while i < n:
        frame: u64 = frames.alloc()
        if frame == 0:
            return NULL
        for half in range(u32(2)):
            if i < n:
                b: Ptr[NetBuffer] = list + i
                b.base = phys.bytes_at(frame + u64(half) * BUFFER_SIZE)
                b.dma = frame + u64(half) * BUFFER_SIZE + BACK_POINTER
                cast(Ptr[Ptr[NetBuffer]], b.base)[0] = b
                i += 1
    return list


def give_up(dev: Ptr[VirtioNet], why: Ptr[u8]) -> bool:
    return virtio.give_up(addr(dev.virtio), b"net", dev.nif.name, why, b"device")


def read_mac(dev: Ptr[VirtioNet], index: u32) -> None:
    d: Ptr[virtio.Device] = addr(dev.virtio)
    nif: Ptr[NetIf] = addr(dev.nif)
    dev.nif.link_up = True
    if virtio.has_feature(d, u32(F_MAC)) and d.config_length >= 8:
        low: u32 = virtio.config_read32(d, u32(CONFIG_MAC))
        high: u32 = virtio.config_read32(d, u32(CONFIG_MAC + 4))
        for i in range(u32(4)):
            nif.mac[i] = u8(low >> (8 * i))
        nif.mac[4] = u8(high)
        nif.mac[5] = u8(high >> 8)
        if virtio.has_feature(d, u32(F_STATUS)):
            nif.link_up = ((high >> 16) & STATUS_LINK_UP) != 0
        return
    # No MAC offered: a locally administered one.
    nif.mac[0] = 0x02
    for j in range(u32(1), u32(5)):
        nif.mac[j] = 0
    nif.mac[5] = u8(index + 1)


def attach(p: Ptr[pci.Device], index: u32) -> bool:
    dev: Ptr[VirtioNet] = addr(devices[index])
    d: Ptr[virtio.Device] = addr(dev.virtio)
    nif: Ptr[NetIf] = addr(dev.nif)
    nif.name = b"eth0" if index == 0 else b"eth1"
    nif.kind = b"virtio-net"
    nif.mtu = netif.MTU
    nif.driver = cast(Ptr[None], dev)
    if not virtio.probe(d, p):
        console.puts(b"[net] virtio-net function without the modern register blocks ignored\n")
        return False
    if not virtio.begin(d, u64(WANTED_FEATURES)):
        return give_up(dev, b"feature negotiation failed (no VIRTIO_F_VERSION_1?)")
    if not virtio.setup_interrupts(d, u32(2)):
        return give_up(dev, b"no interrupt (neither MSI-X nor a routed INTx line)")
    if not virtio.setup_queue(d, u16(RX_QUEUE), addr(dev.rxq), on_rx_complete, cast(Ptr[None], dev)) or \
            not virtio.setup_queue(d, u16(TX_QUEUE), addr(dev.txq), on_tx_complete, cast(Ptr[None], dev)):
        return give_up(dev, b"queue setup failed")
    dev.rx_count = u32(dev.rxq.size)
    dev.tx_count = u32(dev.txq.size)
    dev.rx_buffers = make_buffers(dev.rx_count)
    dev.tx_buffers = make_buffers(dev.tx_count)
    if dev.rx_buffers == NULL or dev.tx_buffers == NULL:
        return give_up(dev, b"out of memory for buffers")
    read_mac(dev, index)
    dev.tx_free = NULL
    dev.tx_free_count = 0
    for i in range(dev.tx_count):
        b: Ptr[NetBuffer] = dev.tx_buffers + i
        b.next = dev.tx_free
        dev.tx_free = b
        dev.tx_free_count += 1
    dev.rx_done_head = NULL
    dev.rx_done_tail = NULL
    dev.rx_posted = 0
    flags: u64 = irq.save()
    for k in range(dev.rx_count):
        post_rx(dev, dev.rx_buffers + k)
    irq.restore(flags)
    nif.tx_alloc = tx_alloc
    nif.tx_send = tx_send
    nif.tx_free = tx_free
    nif.rx_poll = rx_poll
    if not virtio.finish(d):
        return give_up(dev, b"the device refused DRIVER_OK")
    flags = irq.save()
    virtqueue.kick(addr(dev.rxq))
    irq.restore(flags)
    describe(dev)
    return True


def describe(dev: Ptr[VirtioNet]) -> None:
    """`[net] eth0: virtio-net 52:54:00:12:34:56, link up, queues 256/256, MSI-X vectors 49 50`"""
    console.puts(b"[net] ")
    console.puts(dev.nif.name)
    console.puts(b": virtio-net ")
    show.put_mac(addr(dev.nif.mac))
    console.puts(b", link up" if dev.nif.link_up else b", link down")
    console.puts(b", queues ")
    console.put_dec(u64(dev.rxq.size))
    console.puts(b"/")
    console.put_dec(u64(dev.txq.size))
    virtio.put_interrupts(addr(dev.virtio))
    console.puts(b"\n")


def init() -> None:
    """Attach every virtio-net function pci.init() found (after it, with interrupts set up)."""
    global count
    count = virtio.attach_all(u16(virtio.ID_NET), u32(MAX_DEVICES), attach, b"net", b"network",
                              b"warning: more virtio network devices than MAX_DEVICES; the rest are ignored")
