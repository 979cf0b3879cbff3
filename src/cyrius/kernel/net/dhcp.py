"""DHCP client (RFC 2131) for the interface, as QEMU's user network (slirp) serves it.

DISCOVER -> OFFER -> REQUEST -> ACK, every message broadcast from 0.0.0.0:68 to
255.255.255.255:67. Unanswered messages are repeated every RETRY_NS; if no lease arrives within
FALLBACK_NS the interface takes the static configuration QEMU's user network would have handed
out (10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.3). A lease is renewed (REQUEST again) at half
its time; addresses are never taken away from a running system: a failed renewal keeps retrying.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, u8, u16, u32, u64
from cyrius.rt import memset

from .. import console
from . import arp, netif, show, udp, wire
from .netif import NetIf

CLIENT_PORT: Final = 68
SERVER_PORT: Final = 67
MESSAGE_SIZE: Final = 548  # a full BOOTP message: 236 fixed bytes, 312 of options
FIXED: Final = 236
MAGIC: Final = 0x63825363
# Offsets in the fixed part.
OP: Final = 0
HTYPE: Final = 1
HLEN: Final = 2
XID: Final = 4
SECS: Final = 8
FLAGS: Final = 10
CIADDR: Final = 12
YIADDR: Final = 16
SIADDR: Final = 20
CHADDR: Final = 28
OPTIONS: Final = FIXED + 4  # after the magic cookie
OP_REQUEST: Final = 1
OP_REPLY: Final = 2
FLAG_BROADCAST: Final = 0x8000

# Options.
OPT_PAD: Final = 0
OPT_SUBNET_MASK: Final = 1
OPT_ROUTER: Final = 3
OPT_DNS: Final = 6
OPT_HOSTNAME: Final = 12
OPT_REQUESTED_IP: Final = 50
OPT_LEASE_TIME: Final = 51
OPT_MESSAGE_TYPE: Final = 53
OPT_SERVER_ID: Final = 54
OPT_PARAMETERS: Final = 55
OPT_END: Final = 255
DISCOVER: Final = 1
OFFER: Final = 2
REQUEST: Final = 3
DECLINE: Final = 4
ACK: Final = 5
NAK: Final = 6

# Client states.
IDLE: Final = 0
SELECTING: Final = 1  # DISCOVER sent
REQUESTING: Final = 2  # REQUEST sent for an offer
BOUND: Final = 3
RENEWING: Final = 4
STATIC: Final = 5  # gave up and took the fallback configuration

NS: Final = 1000000000
RETRY_NS: Final = 1 * NS
FALLBACK_NS: Final = 4 * NS
RENEW_RETRY_NS: Final = 60 * NS

state: u32 = IDLE
xid: u32 = 0
started: u64 = 0
next_send: u64 = 0  # when to (re)send; 0: nothing scheduled
renew_at: u64 = 0
offered_ip: u32 = 0
server_id: u32 = 0
lease_seconds: u32 = 0
messages_sent: u64 = 0
messages_received: u64 = 0
iface: Ptr[NetIf] = NULL
message: Array[u8, MESSAGE_SIZE] = Array[u8, MESSAGE_SIZE]()


def done() -> bool:
    """The interface has an address (leased or fallback)."""
    return state == BOUND or state == RENEWING or state == STATIC


def put_option32(p: Ptr[u8], at: u32, code: u8, value: u32) -> u32:
    p[at] = code
    p[at + 1] = 4
    wire.put32(p + at + 2, value)
    return at + 6


def build(nif: Ptr[NetIf], kind: u8, p: Ptr[u8]) -> u32:
    """A client message of the given type in p (MESSAGE_SIZE bytes); returns its length."""
    memset(cast(Ptr[None], p), 0, MESSAGE_SIZE)
    p[OP] = OP_REQUEST
    p[HTYPE] = 1
    p[HLEN] = 6
    wire.put32(p + XID, xid)
    wire.put16(p + FLAGS, u16(FLAG_BROADCAST))
    if state == RENEWING:
        wire.put32(p + CIADDR, nif.ip)
    for i in range(6):
        p[CHADDR + i] = nif.mac[i]
    wire.put32(p + FIXED, u32(MAGIC))
    at: u32 = OPTIONS
    p[at] = OPT_MESSAGE_TYPE
    p[at + 1] = 1
    p[at + 2] = kind
    at += 3
    if kind == REQUEST and state == REQUESTING:
        at = put_option32(p, at, u8(OPT_REQUESTED_IP), offered_ip)
        at = put_option32(p, at, u8(OPT_SERVER_ID), server_id)
    p[at] = OPT_PARAMETERS
    p[at + 1] = 4
    p[at + 2] = OPT_SUBNET_MASK
    p[at + 3] = OPT_ROUTER
    p[at + 4] = OPT_DNS
    p[at + 5] = OPT_LEASE_TIME
    at += 6
    name: Ptr[u8] = b"cyrius"
    p[at] = OPT_HOSTNAME
    p[at + 1] = 6
    for k in range(u32(6)):
        p[at + 2 + k] = name[k]
    at += 8
    p[at] = OPT_END
    return MESSAGE_SIZE


def transmit(kind: u8) -> None:
    global messages_sent
    n: u32 = build(iface, kind, addr(message))
    if udp.send(iface, u16(CLIENT_PORT), u32(0xFFFFFFFF), u16(SERVER_PORT), addr(message), n) >= 0:
        messages_sent += 1


def start(nif: Ptr[NetIf]) -> bool:
    """Begin: bind port 68 and send the first DISCOVER."""
    global iface, state, xid, started, next_send
    iface = nif
    if udp.bind(u16(CLIENT_PORT), u32(0), on_datagram, NULL) < 0:
        return False
    state = SELECTING
    t: u64 = netif.now()
    xid = u32(t) ^ (u32(nif.mac[4]) << 24) ^ (u32(nif.mac[5]) << 16) ^ u32(0x43790000)
    started = t
    next_send = t + RETRY_NS
    transmit(u8(DISCOVER))
    return True


def option_u32(p: Ptr[u8], length: u32, code: u8, out: Ptr[u32]) -> bool:
    """The 4-byte option `code` of a message's options area (RFC 2132 layout)."""
    at: u32 = OPTIONS
    while at < length:
        c: u8 = p[at]
        if c == OPT_END:
            return False
        if c == OPT_PAD:
            at += 1
            continue
        if at + 1 >= length:
            return False
        size: u32 = u32(p[at + 1])
        if at + 2 + size > length:
            return False
        if c == code:
            if size < 4:
                return False
            out[0] = wire.get32(p + at + 2)
            return True
        at += 2 + size
    return False


def message_type(p: Ptr[u8], length: u32) -> u8:
    at: u32 = OPTIONS
    while at + 2 < length:
        c: u8 = p[at]
        if c == OPT_END:
            return 0
        if c == OPT_PAD:
            at += 1
            continue
        if c == OPT_MESSAGE_TYPE and p[at + 1] >= 1:
            return p[at + 2]
        at += 2 + u32(p[at + 1])
    return 0


def on_datagram(owner: Ptr[None], src: u32, src_port: u16, dst: u32, p: Ptr[u8], length: u32) -> None:
    global messages_received, state, offered_ip, server_id, next_send
    if src_port != SERVER_PORT or length < OPTIONS or p[OP] != OP_REPLY or wire.get32(p + XID) != xid or \
            wire.get32(p + FIXED) != MAGIC:
        return
    for i in range(6):
        if p[CHADDR + i] != iface.mac[i]:
            return
    messages_received += 1
    kind: u8 = message_type(p, length)
    one: Array[u32, 1] = Array[u32, 1]()
    if kind == OFFER and state == SELECTING:
        offered_ip = wire.get32(p + YIADDR)
        server_id = src
        if option_u32(p, length, u8(OPT_SERVER_ID), addr(one)):
            server_id = one[0]
        state = REQUESTING
        next_send = netif.now() + RETRY_NS
        transmit(u8(REQUEST))
    elif kind == ACK and (state == REQUESTING or state == RENEWING):
        bind_lease(p, length)
    elif kind == NAK and (state == REQUESTING or state == RENEWING):
        state = SELECTING
        next_send = netif.now() + RETRY_NS
        transmit(u8(DISCOVER))


def bind_lease(p: Ptr[u8], length: u32) -> None:
    global state, lease_seconds, renew_at, next_send
    one: Array[u32, 1] = Array[u32, 1]()
    ip: u32 = wire.get32(p + YIADDR)
    mask: u32 = 0xFFFFFF00
    gateway: u32 = 0
    dns: u32 = 0
    if option_u32(p, length, u8(OPT_SUBNET_MASK), addr(one)):
        mask = one[0]
    if option_u32(p, length, u8(OPT_ROUTER), addr(one)):
        gateway = one[0]
    if option_u32(p, length, u8(OPT_DNS), addr(one)):
        dns = one[0]
    lease_seconds = 0xFFFFFFFF
    if option_u32(p, length, u8(OPT_LEASE_TIME), addr(one)):
        lease_seconds = one[0]
    renewing: bool = state == RENEWING
    state = BOUND
    next_send = 0
    renew_at = 0
    if lease_seconds != 0xFFFFFFFF:
        renew_at = netif.now() + u64(lease_seconds) * NS // 2
    netif.configure(iface, ip, mask, gateway, dns, u32(netif.CONF_DHCP))
    if not renewing:
        arp.announce(iface)
        arp.resolve(iface, gateway)
        describe(b"dhcp lease ")
        console.puts(b" (")
        console.put_dec(u64(lease_seconds))
        console.puts(b" s)\n")


def describe(how: Ptr[u8]) -> None:
    """`[net] eth0: <how>10.0.2.15/24 gateway 10.0.2.2 dns 10.0.2.3`"""
    console.puts(b"[net] ")
    console.puts(iface.name)
    console.puts(b": ")
    console.puts(how)
    show.put_ip(iface.ip)
    console.puts(b"/")
    console.put_dec(u64(wire.mask_bits(iface.mask)))
    console.puts(b" gateway ")
    show.put_ip(iface.gateway)
    console.puts(b" dns ")
    show.put_ip(iface.dns)


def fallback() -> None:
    global state, next_send
    state = STATIC
    next_send = 0
    netif.configure(iface, wire.make_ip(u32(10), u32(0), u32(2), u32(15)), u32(0xFFFFFF00),
                    wire.make_ip(u32(10), u32(0), u32(2), u32(2)), wire.make_ip(u32(10), u32(0), u32(2), u32(3)),
                    u32(netif.CONF_STATIC))
    arp.announce(iface)
    arp.resolve(iface, iface.gateway)
    describe(b"no DHCP answer; static ")
    console.puts(b"\n")


def tick() -> None:
    """Repeat messages, fall back, renew (the network thread calls this when next_deadline passes)."""
    global state, next_send, xid
    t: u64 = netif.now()
    if (state == SELECTING or state == REQUESTING) and t >= started + FALLBACK_NS:
        fallback()
        return
    if state == BOUND and renew_at != 0 and t >= renew_at:
        state = RENEWING
        xid += 1
        next_send = t
    if next_send == 0 or t < next_send:
        return
    if state == SELECTING:
        next_send = t + RETRY_NS
        transmit(u8(DISCOVER))
    elif state == REQUESTING:
        next_send = t + RETRY_NS
        transmit(u8(REQUEST))
    elif state == RENEWING:
        next_send = t + RENEW_RETRY_NS
        transmit(u8(REQUEST))


def next_deadline() -> u64:
    soonest: u64 = next_send
    if state == SELECTING or state == REQUESTING:
        if soonest == 0 or started + FALLBACK_NS < soonest:
            soonest = started + FALLBACK_NS
    if state == BOUND and renew_at != 0:
        soonest = renew_at
    return soonest
