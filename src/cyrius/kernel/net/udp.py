"""UDP (RFC 768): ports bound to handlers, checksums, datagram output.

A bound port names a handler and an opaque owner (the DHCP client, or a socket's datagram queue);
datagrams for unbound ports are counted and dropped. The checksum is verified when the sender set
one and always set on output.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, struct, u8, u16, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from . import ipv4, netif, wire
from .ipv4 import IpPacket
from .netif import NetIf

HEADER: Final = 8
SRC_PORT: Final = 0
DST_PORT: Final = 2
LENGTH: Final = 4
CHECKSUM: Final = 6
MAX_PAYLOAD: Final = ipv4.MAX_PAYLOAD - HEADER
MAX_BINDINGS: Final = 32
EPHEMERAL_FIRST: Final = 49152
EPHEMERAL_LAST: Final = 65535


@struct
class UdpBinding:
    port: u16  # 0: free slot
    ip: u32  # local address bound (0: any)
    # (owner, source address, source port, destination address, data, length)
    handler: Callable[[Ptr[None], u32, u16, u32, Ptr[u8], u32], None]
    owner: Ptr[None]


bindings: Array[UdpBinding, MAX_BINDINGS] = Array[UdpBinding, MAX_BINDINGS]()
next_ephemeral: u16 = EPHEMERAL_FIRST
received: u64 = 0
delivered: u64 = 0
bad: u64 = 0
no_port: u64 = 0
sent: u64 = 0


def find(port: u16) -> Ptr[UdpBinding]:
    for i in range(MAX_BINDINGS):
        if bindings[i].port == port:
            return addr(bindings[i])
    return NULL


def bind(port: u16, ip: u32, handler: Callable[[Ptr[None], u32, u16, u32, Ptr[u8], u32], None],
         owner: Ptr[None]) -> i64:
    """Deliver datagrams for port (0: pick an ephemeral one) to handler; the port, or -errno."""
    global next_ephemeral
    if port == 0:
        for _ in range(EPHEMERAL_LAST - EPHEMERAL_FIRST + 1):
            candidate: u16 = next_ephemeral
            next_ephemeral = u16(EPHEMERAL_FIRST) if next_ephemeral == EPHEMERAL_LAST else next_ephemeral + 1
            if find(candidate) == NULL:
                port = candidate
                break
        if port == 0:
            return -errno.EADDRINUSE
    elif find(port) != NULL:
        return -errno.EADDRINUSE
    for i in range(MAX_BINDINGS):
        b: Ptr[UdpBinding] = addr(bindings[i])
        if b.port == 0:
            b.port = port
            b.ip = ip
            b.handler = handler
            b.owner = owner
            return i64(port)
    return -errno.ENOBUFS


def unbind(port: u16) -> None:
    b: Ptr[UdpBinding] = find(port)
    if b != NULL:
        b.port = 0
        b.handler = NULL
        b.owner = NULL


def input(nif: Ptr[NetIf], pkt: Ptr[IpPacket]) -> None:
    global received, delivered, bad, no_port
    received += 1
    p: Ptr[u8] = pkt.payload
    if pkt.length < HEADER:
        bad += 1
        return
    length: u32 = u32(wire.get16(p + LENGTH))
    if length < HEADER or length > pkt.length:
        bad += 1
        return
    if wire.get16(p + CHECKSUM) != 0:
        total: u32 = wire.pseudo_header_sum(pkt.src, pkt.dst, u8(ipv4.PROTO_UDP), length)
        if wire.checksum_finish(wire.checksum_add(total, p, length)) != 0:
            bad += 1
            return
    b: Ptr[UdpBinding] = find(wire.get16(p + DST_PORT))
    if b == NULL or (b.ip != 0 and b.ip != pkt.dst and not pkt.broadcast):
        no_port += 1
        return
    delivered += 1
    b.handler(b.owner, pkt.src, wire.get16(p + SRC_PORT), pkt.dst, p + HEADER, length - HEADER)


def send(nif: Ptr[NetIf], src_port: u16, dst: u32, dst_port: u16, data: Ptr[u8], length: u32) -> i64:
    """One datagram from our address (0.0.0.0 before configuration); length bytes, or -errno."""
    global sent
    if length > MAX_PAYLOAD:
        return -errno.EMSGSIZE
    frame: Ptr[u8] = netif.alloc_frame(nif)
    if frame == NULL:
        return -errno.ENOBUFS
    p: Ptr[u8] = ipv4.payload(frame)
    wire.put16(p + SRC_PORT, src_port)
    wire.put16(p + DST_PORT, dst_port)
    wire.put16(p + LENGTH, u16(HEADER + length))
    wire.put16(p + CHECKSUM, u16(0))
    if length > 0:
        memcpy(cast(Ptr[None], p + HEADER), cast(Ptr[None], data), usize(length))
    total: u32 = wire.pseudo_header_sum(nif.ip, dst, u8(ipv4.PROTO_UDP), HEADER + length)
    value: u16 = wire.checksum_finish(wire.checksum_add(total, p, HEADER + length))
    if value == 0:
        value = 0xFFFF  # 0 means "no checksum" in UDP
    wire.put16(p + CHECKSUM, value)
    if not ipv4.send(nif, frame, dst, u8(ipv4.PROTO_UDP), HEADER + length):
        return -errno.ENETUNREACH
    sent += 1
    return i64(length)
