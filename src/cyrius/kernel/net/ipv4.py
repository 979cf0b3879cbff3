"""IPv4 (RFC 791): header checks on input, header construction and routing on output.

Input accepts datagrams for our address, the limited or subnet broadcast, or anything while the
interface has no address yet (DHCP's answers arrive before we know who we are). Options are
skipped. Fragments are dropped and counted: every sender we talk to (QEMU's slirp, and our own
TCP, which sets DF and keeps segments within the MTU) avoids fragmentation, and reassembly would
be a memory-exhaustion attack surface for no gain.

Output writes a 20-byte header (TTL 64, DF set) and routes: the destination itself when it is on
the interface's subnet, otherwise the gateway; ARP finds the next hop's MAC.
"""
from cyrius.lang import Final, Ptr, addr, struct, u8, u16, u32, u64

from . import arp, ethernet, netif, wire
from .netif import NetIf

HEADER: Final = 20
VERSION_IHL: Final = 0x45
# Offsets in the header.
VER_IHL: Final = 0
TOS: Final = 1
TOTAL_LENGTH: Final = 2
IDENT: Final = 4
FLAGS_FRAGMENT: Final = 6
TTL: Final = 8
PROTOCOL: Final = 9
CHECKSUM: Final = 10
SRC: Final = 12
DST: Final = 16
FLAG_DF: Final = 0x4000
FLAG_MF: Final = 0x2000
FRAGMENT_OFFSET_MASK: Final = 0x1FFF
DEFAULT_TTL: Final = 64
PROTO_ICMP: Final = 1
PROTO_TCP: Final = 6
PROTO_UDP: Final = 17
BROADCAST: Final = 0xFFFFFFFF
MAX_PAYLOAD: Final = netif.MTU - HEADER
PAYLOAD_OFFSET: Final = ethernet.HEADER + HEADER  # where output payloads start in a frame


@struct
class IpPacket:
    """A received datagram, as parse() found it."""
    src: u32
    dst: u32
    protocol: u8
    ttl: u8
    broadcast: bool  # sent to a broadcast address
    payload: Ptr[u8]
    length: u32  # payload bytes (trailing Ethernet padding excluded)


received: u64 = 0
delivered: u64 = 0
bad_header: u64 = 0
bad_checksum: u64 = 0
fragments_dropped: u64 = 0
not_for_us: u64 = 0
sent: u64 = 0
no_route: u64 = 0
next_ident: u16 = 1


def parse(nif: Ptr[NetIf], p: Ptr[u8], length: u32, out: Ptr[IpPacket]) -> bool:
    """Check a datagram (the frame after its Ethernet header) and describe it in out; False
    (counted) if it is malformed, a fragment, or not for us."""
    global received, delivered, bad_header, bad_checksum, fragments_dropped, not_for_us
    received += 1
    if length < HEADER or (p[VER_IHL] >> 4) != 4:
        bad_header += 1
        return False
    header: u32 = u32(p[VER_IHL] & 0xF) * 4
    total: u32 = u32(wire.get16(p + TOTAL_LENGTH))
    if header < HEADER or header > length or total < header or total > length:
        bad_header += 1
        return False
    if wire.checksum(p, header) != 0:
        bad_checksum += 1
        return False
    fragment: u16 = wire.get16(p + FLAGS_FRAGMENT)
    if (fragment & FLAG_MF) != 0 or (fragment & FRAGMENT_OFFSET_MASK) != 0:
        fragments_dropped += 1
        return False
    out.src = wire.get32(p + SRC)
    out.dst = wire.get32(p + DST)
    out.protocol = p[PROTOCOL]
    out.ttl = p[TTL]
    out.broadcast = netif.is_broadcast(nif, out.dst)
    out.payload = p + header
    out.length = total - header
    if nif.ip != 0 and out.dst != nif.ip and not out.broadcast:
        not_for_us += 1
        return False
    delivered += 1
    return True


def payload(frame: Ptr[u8]) -> Ptr[u8]:
    """Where a protocol writes its packet in a frame it will send with send()."""
    return frame + PAYLOAD_OFFSET


def next_hop(nif: Ptr[NetIf], dst: u32) -> u32:
    """The neighbour a datagram for dst goes to (0: no route)."""
    if netif.same_subnet(nif, dst) and nif.ip != 0:
        return dst
    return nif.gateway


def send(nif: Ptr[NetIf], frame: Ptr[u8], dst: u32, protocol: u8, length: u32) -> bool:
    """Complete and transmit a frame whose payload (length bytes at payload(frame)) is written.
    The frame is consumed either way; False if there is no route."""
    global sent, no_route, next_ident
    p: Ptr[u8] = frame + ethernet.HEADER
    p[VER_IHL] = VERSION_IHL
    p[TOS] = 0
    wire.put16(p + TOTAL_LENGTH, u16(HEADER + length))
    wire.put16(p + IDENT, next_ident)
    next_ident += 1
    wire.put16(p + FLAGS_FRAGMENT, u16(FLAG_DF))
    p[TTL] = DEFAULT_TTL
    p[PROTOCOL] = protocol
    wire.put16(p + CHECKSUM, u16(0))
    wire.put32(p + SRC, nif.ip)
    wire.put32(p + DST, dst)
    wire.put16(p + CHECKSUM, wire.checksum(p, u32(HEADER)))
    ethernet.write_header(frame, addr(nif.mac), addr(nif.mac), u16(ethernet.TYPE_IPV4))
    size: u32 = u32(PAYLOAD_OFFSET) + length
    if netif.is_broadcast(nif, dst):
        ethernet.set_broadcast(frame + ethernet.DST)
        netif.send_frame(nif, frame, size)
        sent += 1
        return True
    hop: u32 = next_hop(nif, dst)
    if hop == 0:
        no_route += 1
        netif.drop_frame(nif, frame)
        return False
    sent += 1
    arp.send(nif, frame, size, hop)
    return True
