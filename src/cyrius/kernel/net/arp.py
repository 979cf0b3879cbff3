"""ARP (RFC 826) for IPv4 over Ethernet: a small cache, requests, replies and timeouts.

Every ARP packet whose sender is already cached refreshes that entry; one addressed to us adds its
sender and, if it is a request, is answered. IPv4 frames for a next hop that is not resolved are
held (up to HOLD_MAX per entry, the newest) while requests go out once a second; after
REQUEST_TRIES unanswered requests the entry and the held frames are dropped. A resolved entry is
checked again LIFETIME_NS after it was last confirmed: it stays in use while requests go out, and
is dropped only if none of them is answered (so a busy connection never stalls on a refresh).
Once the interface has an address, it announces itself and resolves its gateway ahead of need.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, struct, u8, u16, u32, u64, usize
from cyrius.rt import memcpy

from . import ethernet, netif, wire
from .netif import NetIf

HTYPE_ETHERNET: Final = 1
PACKET_SIZE: Final = 28
OP_REQUEST: Final = 1
OP_REPLY: Final = 2
# Offsets in the ARP packet.
HTYPE: Final = 0
PTYPE: Final = 2
HLEN: Final = 4
PLEN: Final = 5
OPER: Final = 6
SHA: Final = 8
SPA: Final = 14
THA: Final = 18
TPA: Final = 24

ENTRIES: Final = 32
FREE: Final = 0
INCOMPLETE: Final = 1
RESOLVED: Final = 2
LIFETIME_NS: Final = 60 * 1000000000
RETRY_NS: Final = 1000000000
REQUEST_TRIES: Final = 3
HOLD_MAX: Final = 4


@struct
class ArpEntry:
    ip: u32
    mac: Array[u8, 6]
    state: u8
    tries: u8  # requests sent while INCOMPLETE
    deadline: u64  # RESOLVED: expiry; INCOMPLETE: when to ask again
    held: Array[Ptr[u8], HOLD_MAX]  # frames waiting for the answer (their Ethernet destination is
    held_length: Array[u32, HOLD_MAX]  # filled in then), oldest first
    held_count: u32


table: Array[ArpEntry, ENTRIES] = Array[ArpEntry, ENTRIES]()
requests_sent: u64 = 0
replies_sent: u64 = 0
received: u64 = 0
bad: u64 = 0
failed: u64 = 0  # resolutions given up


def reset() -> None:
    for i in range(ENTRIES):
        table[i].state = FREE
        table[i].held_count = 0


def find(ip: u32) -> Ptr[ArpEntry]:
    for i in range(ENTRIES):
        e: Ptr[ArpEntry] = addr(table[i])
        if e.state != FREE and e.ip == ip:
            return e
    return NULL


def take_slot(nif: Ptr[NetIf], ip: u32) -> Ptr[ArpEntry]:
    """A free entry, or else the resolved one expiring soonest (never an INCOMPLETE one that holds
    a frame, unless every entry does)."""
    victim: Ptr[ArpEntry] = NULL
    for i in range(ENTRIES):
        e: Ptr[ArpEntry] = addr(table[i])
        if e.state == FREE:
            victim = e
            break
        if victim == NULL or (e.state == RESOLVED and (victim.state != RESOLVED or e.deadline < victim.deadline)):
            victim = e
    drop_held(nif, victim)
    victim.ip = ip
    victim.state = FREE
    victim.tries = 0
    return victim


def drop_held(nif: Ptr[NetIf], e: Ptr[ArpEntry]) -> None:
    for i in range(e.held_count):
        netif.drop_frame(nif, e.held[i])
    e.held_count = 0


def hold(nif: Ptr[NetIf], e: Ptr[ArpEntry], frame: Ptr[u8], length: u32) -> None:
    """Keep a frame until e resolves (dropping the oldest if HOLD_MAX are held already)."""
    if e.held_count == HOLD_MAX:
        netif.drop_frame(nif, e.held[0])
        for i in range(u32(1), u32(HOLD_MAX)):
            e.held[i - 1] = e.held[i]
            e.held_length[i - 1] = e.held_length[i]
        e.held_count -= 1
    e.held[e.held_count] = frame
    e.held_length[e.held_count] = length
    e.held_count += 1


def learn(nif: Ptr[NetIf], e: Ptr[ArpEntry], mac: Ptr[u8]) -> None:
    """Entry e now maps to mac: send the frame it held."""
    memcpy(cast(Ptr[None], addr(e.mac)), cast(Ptr[None], mac), usize(6))
    e.state = RESOLVED
    e.tries = 0
    e.deadline = netif.now() + LIFETIME_NS
    for i in range(e.held_count):
        frame: Ptr[u8] = e.held[i]
        memcpy(cast(Ptr[None], frame + ethernet.DST), cast(Ptr[None], mac), usize(6))
        netif.send_frame(nif, frame, e.held_length[i])
    e.held_count = 0


def send_packet(nif: Ptr[NetIf], op: u16, target_mac: Ptr[u8], target_ip: u32) -> bool:
    frame: Ptr[u8] = netif.alloc_frame(nif)
    if frame == NULL:
        return False
    broadcast: Array[u8, 6] = Array[u8, 6]()
    ethernet.set_broadcast(addr(broadcast))
    if op == OP_REQUEST:
        ethernet.write_header(frame, addr(broadcast), addr(nif.mac), u16(ethernet.TYPE_ARP))
    else:
        ethernet.write_header(frame, target_mac, addr(nif.mac), u16(ethernet.TYPE_ARP))
    p: Ptr[u8] = frame + ethernet.HEADER
    wire.put16(p + HTYPE, u16(HTYPE_ETHERNET))
    wire.put16(p + PTYPE, u16(ethernet.TYPE_IPV4))
    p[HLEN] = 6
    p[PLEN] = 4
    wire.put16(p + OPER, op)
    memcpy(cast(Ptr[None], p + SHA), cast(Ptr[None], addr(nif.mac)), usize(6))
    wire.put32(p + SPA, nif.ip)
    if op == OP_REQUEST:
        for i in range(6):
            p[THA + i] = 0
    else:
        memcpy(cast(Ptr[None], p + THA), cast(Ptr[None], target_mac), usize(6))
    wire.put32(p + TPA, target_ip)
    netif.send_frame(nif, frame, u32(ethernet.HEADER + PACKET_SIZE))
    return True


def request(nif: Ptr[NetIf], e: Ptr[ArpEntry]) -> None:
    global requests_sent
    e.tries += 1
    e.deadline = netif.now() + RETRY_NS
    if send_packet(nif, u16(OP_REQUEST), NULL, e.ip):
        requests_sent += 1


def input(nif: Ptr[NetIf], p: Ptr[u8], length: u32) -> None:
    """An ARP packet (after the Ethernet header)."""
    global received, bad, replies_sent
    received += 1
    if length < PACKET_SIZE or wire.get16(p + HTYPE) != HTYPE_ETHERNET or \
            wire.get16(p + PTYPE) != ethernet.TYPE_IPV4 or p[HLEN] != 6 or p[PLEN] != 4:
        bad += 1
        return
    op: u16 = wire.get16(p + OPER)
    sender_ip: u32 = wire.get32(p + SPA)
    target_ip: u32 = wire.get32(p + TPA)
    if sender_ip == 0 or ethernet.is_broadcast(p + SHA):
        return  # a probe (RFC 5227) or nonsense: nothing to learn
    merged: bool = False
    e: Ptr[ArpEntry] = find(sender_ip)
    if e != NULL:
        learn(nif, e, p + SHA)
        merged = True
    if nif.ip == 0 or target_ip != nif.ip:
        return
    if not merged:
        learn(nif, take_slot(nif, sender_ip), p + SHA)
    if op == OP_REQUEST and send_packet(nif, u16(OP_REPLY), p + SHA, sender_ip):
        replies_sent += 1


def send(nif: Ptr[NetIf], frame: Ptr[u8], length: u32, next_hop: u32) -> None:
    """Send an IPv4 frame (Ethernet source and type already written) to next_hop's MAC, resolving
    it first if needed."""
    e: Ptr[ArpEntry] = find(next_hop)
    if e != NULL and e.state == RESOLVED:
        memcpy(cast(Ptr[None], frame + ethernet.DST), cast(Ptr[None], addr(e.mac)), usize(6))
        netif.send_frame(nif, frame, length)
        return
    if e == NULL:
        e = take_slot(nif, next_hop)
        e.state = INCOMPLETE
        hold(nif, e, frame, length)
        request(nif, e)
        return
    hold(nif, e, frame, length)


def resolve(nif: Ptr[NetIf], ip: u32) -> None:
    """Ask for ip's MAC ahead of need (the gateway, once the interface has an address)."""
    if ip != 0 and find(ip) == NULL:
        e: Ptr[ArpEntry] = take_slot(nif, ip)
        e.state = INCOMPLETE
        request(nif, e)


def announce(nif: Ptr[NetIf]) -> None:
    """A gratuitous ARP request (RFC 5227 announcement): neighbours learn our MAC for our address."""
    send_packet(nif, u16(OP_REQUEST), NULL, nif.ip)


def tick(nif: Ptr[NetIf]) -> None:
    """Expire entries and repeat requests (the network thread calls this when next_deadline passes)."""
    global failed
    t: u64 = netif.now()
    for i in range(ENTRIES):
        e: Ptr[ArpEntry] = addr(table[i])
        if e.state == FREE or t < e.deadline:
            continue
        if e.tries >= REQUEST_TRIES:
            if e.state == INCOMPLETE:
                failed += 1
                drop_held(nif, e)
            e.state = FREE
        else:
            request(nif, e)  # INCOMPLETE: ask again; RESOLVED: confirm it (still in use meanwhile)


def next_deadline() -> u64:
    """The earliest time tick() has work (0: none)."""
    soonest: u64 = 0
    for i in range(ENTRIES):
        e: Ptr[ArpEntry] = addr(table[i])
        if e.state != FREE and (soonest == 0 or e.deadline < soonest):
            soonest = e.deadline
    return soonest


def lookup(ip: u32, mac_out: Ptr[u8]) -> bool:
    """The cached MAC of ip, if resolved."""
    e: Ptr[ArpEntry] = find(ip)
    if e == NULL or e.state != RESOLVED:
        return False
    memcpy(cast(Ptr[None], mac_out), cast(Ptr[None], addr(e.mac)), usize(6))
    return True
