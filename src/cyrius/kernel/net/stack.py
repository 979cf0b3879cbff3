"""The network stack's thread and wiring: frames in, timers, the interface's address.

start() (from kernel_main, once the scheduler exists) takes the first virtio-net interface, points
TCP's output and every module's clock at the kernel's, starts the network thread, DHCP and the
echo server, and waits (at most until DHCP's fallback has happened) for the interface to have an
address, so that the boot log shows it and servers are reachable once the shell is up.

The network thread sleeps on `wake_queue` until a device interrupt (frames received, or transmit
buffers freed after a sender ran out) or the earliest protocol timer (TCP retransmission,
delayed ACK and TIME_WAIT, ARP retries and expiry, DHCP). It never polls.
"""
from cyrius.lang import NULL, Final, Ptr, addr, u8, u32, u64

from ..platform import clock
from .. import console
from ..arch.x86_64 import irq
from ..dev import virtio_net
from ..proc import sched
from ..proc.task import Task, WaitQueue
from . import arp, dhcp, ethernet, icmp, ipv4, netif, ring, tcp, udp
from ..services import echo
from .ipv4 import IpPacket
from .netif import NetIf
from .ring import ByteRing
from .tcp import TcpSegment

RX_BUDGET: Final = 64  # frames per pass before timers get a look
WAIT_SLACK_NS: Final = 1000000000  # start() waits this long beyond DHCP's fallback at most

wake_queue: WaitQueue = WaitQueue()
ready_queue: WaitQueue = WaitQueue()  # start() waits here for the address
pending: bool = False  # set in interrupt context: there is device work
thread: Ptr[Task] = NULL
passes: u64 = 0
frames_in: u64 = 0


def on_device(nif: Ptr[NetIf]) -> None:
    """Interrupt context (NetIf.wake)."""
    global pending
    pending = True
    sched.wake_all(addr(wake_queue))


def input_frame(nif: Ptr[NetIf], frame: Ptr[u8], length: u32) -> None:
    """One received Ethernet frame (NetIf.input)."""
    global frames_in
    frames_in += 1
    nif.rx_packets += 1
    nif.rx_bytes += u64(length)
    if length < ethernet.HEADER:
        nif.rx_errors += 1
        return
    if not ethernet.same_mac(frame + ethernet.DST, addr(nif.mac)) and not ethernet.is_broadcast(frame + ethernet.DST):
        nif.rx_dropped += 1
        return
    kind: u32 = u32(ethernet.kind_of(frame))
    p: Ptr[u8] = frame + ethernet.HEADER
    n: u32 = length - ethernet.HEADER
    if kind == ethernet.TYPE_ARP:
        arp.input(nif, p, n)
        return
    if kind != ethernet.TYPE_IPV4:
        nif.rx_dropped += 1
        return
    pkt: IpPacket = IpPacket()
    if not ipv4.parse(nif, p, n, addr(pkt)):
        nif.rx_dropped += 1
        return
    if pkt.protocol == ipv4.PROTO_TCP:
        if pkt.broadcast or nif.ip == 0:
            nif.rx_dropped += 1
            return
        tcp.input_packet(pkt.src, pkt.dst, pkt.payload, pkt.length)
    elif pkt.protocol == ipv4.PROTO_UDP:
        udp.input(nif, addr(pkt))
    elif pkt.protocol == ipv4.PROTO_ICMP:
        icmp.input(nif, addr(pkt))
    else:
        nif.rx_dropped += 1


def emit_tcp(seg: Ptr[TcpSegment], data: Ptr[ByteRing], offset: u32) -> bool:
    """TCP's output (tcp.emit): build the segment in a frame and send it. False when the device
    has no free buffer (TCP tries again after flush())."""
    nif: Ptr[NetIf] = netif.primary
    if nif == NULL:
        return False
    frame: Ptr[u8] = nif.tx_alloc(nif)
    if frame == NULL:
        return False
    p: Ptr[u8] = ipv4.payload(frame)
    size: u32 = tcp.write_header(seg, p)
    if seg.length > 0:
        ring.read_at(data, offset, p + size, seg.length)
    size += seg.length
    tcp.finish_checksum(seg, p, size)
    ipv4.send(nif, frame, seg.dst_ip, u8(ipv4.PROTO_TCP), size)  # no route: dropped, TCP retransmits
    return True


def soonest(a: u64, b: u64) -> u64:
    if a == 0:
        return b
    if b == 0 or a < b:
        return a
    return b


def run_timers(nif: Ptr[NetIf]) -> u64:
    """Run what is due; the next deadline (0: none)."""
    t: u64 = clock.now_ns()
    next_tcp: u64 = tcp.next_deadline()
    if next_tcp != 0 and next_tcp <= t:
        tcp.tick()
        next_tcp = tcp.next_deadline()
    next_arp: u64 = arp.next_deadline()
    if next_arp != 0 and next_arp <= t:
        arp.tick(nif)
        next_arp = arp.next_deadline()
    next_dhcp: u64 = dhcp.next_deadline()
    if next_dhcp != 0 and next_dhcp <= t:
        dhcp.tick()
        next_dhcp = dhcp.next_deadline()
    return soonest(soonest(next_tcp, next_arp), next_dhcp)


def main() -> None:
    """The network thread."""
    global pending, passes
    nif: Ptr[NetIf] = netif.primary
    while True:
        passes += 1
        flags: u64 = irq.save()
        pending = False  # an interrupt from here on sets it again
        irq.restore(flags)
        busy: bool = nif.rx_poll(nif, u32(RX_BUDGET)) == RX_BUDGET
        tcp.flush()
        deadline: u64 = run_timers(nif)
        if dhcp.done():
            sched.wake_all(addr(ready_queue))
        if busy:
            sched.yield_now()  # more frames wait: let the servers they woke run first, then go on
            continue
        flags = irq.save()
        if not pending and (deadline == 0 or deadline > clock.now_ns()):
            sched.block_on(addr(wake_queue), deadline)
        irq.restore(flags)


def start() -> None:
    """Bring the stack up on the first interface (see the module docstring)."""
    global thread
    if virtio_net.count == 0:
        console.log(b"net", b"no network interface; the network stack is not started")
        return
    nif: Ptr[NetIf] = virtio_net.interface(u32(0))
    netif.primary = nif
    netif.clock = clock.now_ns
    tcp.clock = clock.now_ns
    tcp.emit = emit_tcp
    arp.reset()
    nif.input = input_frame
    nif.wake = on_device
    thread = sched.new_kernel_thread(main)
    if thread == NULL:
        console.log(b"net", b"out of memory for the network thread")
        return
    sched.start(thread)
    if not dhcp.start(nif):
        dhcp.fallback()
    echo.start()
    deadline: u64 = clock.now_ns() + dhcp.FALLBACK_NS + WAIT_SLACK_NS
    while not dhcp.done() and clock.now_ns() < deadline:
        sched.block_on(addr(ready_queue), deadline)
