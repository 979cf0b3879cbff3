"""ICMP (RFC 792): echo requests are answered; everything else is counted and ignored."""
from cyrius.lang import NULL, Final, Ptr, cast, u8, u16, u32, u64, usize
from cyrius.rt import memcpy

from . import ipv4, netif, wire
from .ipv4 import IpPacket
from .netif import NetIf

TYPE_ECHO_REPLY: Final = 0
TYPE_ECHO_REQUEST: Final = 8
HEADER: Final = 8
CHECKSUM: Final = 2

echo_requests: u64 = 0
echo_replies_sent: u64 = 0
replies_received: u64 = 0
last_reply_ident: u16 = 0
last_reply_sequence: u16 = 0
other: u64 = 0
bad: u64 = 0


def input(nif: Ptr[NetIf], pkt: Ptr[IpPacket]) -> None:
    global echo_requests, echo_replies_sent, other, bad, replies_received, last_reply_ident, last_reply_sequence
    p: Ptr[u8] = pkt.payload
    if pkt.length < HEADER or wire.checksum(p, pkt.length) != 0:
        bad += 1
        return
    if p[0] == TYPE_ECHO_REPLY and p[1] == 0:
        replies_received += 1
        last_reply_ident = wire.get16(p + 4)
        last_reply_sequence = wire.get16(p + 6)
        return
    if p[0] != TYPE_ECHO_REQUEST or p[1] != 0:
        other += 1
        return
    echo_requests += 1
    if pkt.broadcast or pkt.length > ipv4.MAX_PAYLOAD:
        return  # like Linux: no answers to broadcast pings
    frame: Ptr[u8] = netif.alloc_frame(nif)
    if frame == NULL:
        return
    reply: Ptr[u8] = ipv4.payload(frame)
    memcpy(cast(Ptr[None], reply), cast(Ptr[None], p), usize(pkt.length))  # same id, sequence, data
    reply[0] = TYPE_ECHO_REPLY
    reply[1] = 0
    wire.put16(reply + CHECKSUM, u16(0))
    wire.put16(reply + CHECKSUM, wire.checksum(reply, pkt.length))
    if ipv4.send(nif, frame, pkt.src, u8(ipv4.PROTO_ICMP), pkt.length):
        echo_replies_sent += 1


def send_echo_request(nif: Ptr[NetIf], dst: u32, ident: u16, sequence: u16, size: u32) -> bool:
    """A ping with `size` bytes of pattern data (for the shell and tests)."""
    frame: Ptr[u8] = netif.alloc_frame(nif)
    if frame == NULL:
        return False
    p: Ptr[u8] = ipv4.payload(frame)
    p[0] = TYPE_ECHO_REQUEST
    p[1] = 0
    wire.put16(p + CHECKSUM, u16(0))
    wire.put16(p + 4, ident)
    wire.put16(p + 6, sequence)
    for i in range(size):
        p[HEADER + i] = u8(i)
    wire.put16(p + CHECKSUM, wire.checksum(p, u32(HEADER) + size))
    return ipv4.send(nif, frame, dst, u8(ipv4.PROTO_ICMP), u32(HEADER) + size)
