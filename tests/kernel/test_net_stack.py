"""The network stack below and around TCP under CPython: checksums, Ethernet, ARP, IPv4, ICMP,
UDP and its sockets, the DHCP client, and TCP over real frames into the echo server's code.

The interface is a fake NetIf whose transmit functions record frames; frames are built and
checked here with Python's struct (the reference for every checksum and field)."""
import os
import struct

import pytest

from cyrius.kernel import console, errno
from cyrius.kernel.mm.heap import kalloc
from cyrius.kernel.net import arp, dhcp, icmp, ipv4, netif, socket, stack, tcp, udp, wire
from cyrius.kernel.services import echo
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8, u16, u32, u64, usize

OUR_MAC = bytes.fromhex("525400123456")
GW_MAC = bytes.fromhex("525500000002")
OTHER_MAC = bytes.fromhex("02000000000a")
BROADCAST = b"\xff" * 6
OUR_IP, GW_IP, DNS_IP = "10.0.2.15", "10.0.2.2", "10.0.2.3"
S = 1_000_000_000


def ip(text):
    return struct.unpack(">I", bytes(int(x) for x in text.split(".")))[0]


def ipb(text):
    return struct.pack(">I", ip(text))


def inet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def eth(dst, src, kind, payload):
    return dst + src + struct.pack(">H", kind) + payload


def ipv4_packet(src, dst, proto, payload, ttl=64, flags_frag=0x4000, ident=1, version_ihl=0x45, total=None):
    header = struct.pack(">BBHHHBBH4s4s", version_ihl, 0, total if total is not None else 20 + len(payload), ident,
                         flags_frag, ttl, proto, 0, ipb(src), ipb(dst))
    header = header[:10] + struct.pack(">H", inet_checksum(header)) + header[12:]
    return header + payload


def pseudo(src, dst, proto, length):
    return ipb(src) + ipb(dst) + struct.pack(">BBH", 0, proto, length)


def udp_datagram(src, dst, sport, dport, data, checksum=True):
    raw = struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data
    if checksum:
        c = inet_checksum(pseudo(src, dst, 17, len(raw)) + raw) or 0xFFFF
        raw = raw[:6] + struct.pack(">H", c) + raw[8:]
    return raw


def tcp_segment(src, dst, sport, dport, seq, ack, flags, data=b"", window=65535, mss=None):
    options = struct.pack(">BBH", 2, 4, mss) if mss else b""
    raw = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (5 + len(options) // 4) << 4,
                      flags, window, 0, 0) + options + data
    c = inet_checksum(pseudo(src, dst, 6, len(raw)) + raw)
    return raw[:16] + struct.pack(">H", c) + raw[18:]


def parse_frame(f):
    """(dst mac, src mac, type, payload)"""
    return f[:6], f[6:12], struct.unpack(">H", f[12:14])[0], f[14:]


def ipv4_frames(frames):
    return [f for f in frames if parse_frame(f)[2] == 0x0800]


def parse_ip(p):
    ver_ihl, _, total, ident, frag, ttl, proto, csum, src, dst = struct.unpack(">BBHHHBBH4s4s", p[:20])
    assert inet_checksum(p[:20]) == 0, "IPv4 header checksum"
    return dict(ihl=ver_ihl & 15, total=total, ident=ident, frag=frag, ttl=ttl, proto=proto,
                src=".".join(map(str, src)), dst=".".join(map(str, dst)), payload=p[20:total])


class FakeIf:
    """A NetIf whose driver is this object: frames sent are recorded in `sent`."""

    def __init__(self, configured=True):
        self.t = 10 * S
        self.nif = netif.NetIf()
        n = self.nif
        n.name = b"eth0"
        n.kind = b"test"
        for i, b in enumerate(OUR_MAC):
            n.mac[i] = u8(b)
        n.mtu = u32(1500)
        n.link_up = True
        if configured:
            netif.configure(addr(n), u32(ip(OUR_IP)), u32(0xFFFFFF00), u32(ip(GW_IP)), u32(ip(DNS_IP)),
                            u32(netif.CONF_STATIC))
        self.pool = [Ptr[u8](kalloc(usize(1600)).address) for _ in range(8)]
        self.free = list(self.pool)
        self.sent = []
        self.rx = Ptr[u8](kalloc(usize(2048)).address)
        n.tx_alloc = self.tx_alloc
        n.tx_send = self.tx_send
        n.tx_free = self.tx_free
        n.rx_poll = lambda nif, budget: u32(0)
        n.input = stack.input_frame
        netif.primary = addr(n)
        netif.clock = self.clock
        tcp.clock = self.clock
        tcp.emit = stack.emit_tcp
        tcp.reset_all()
        arp.reset()
        for i in range(udp.MAX_BINDINGS):
            udp.unbind(udp.bindings[i].port)
        dhcp.state = u32(dhcp.IDLE)

    @property
    def ptr(self):
        return addr(self.nif)

    def clock(self):
        return u64(self.t)

    def tx_alloc(self, nif):
        return self.free.pop() if self.free else NULL

    def tx_send(self, nif, frame, length):
        self.sent.append(memory.read(frame.address, int(length)))
        self.free.append(Ptr[u8](frame.address))

    def tx_free(self, nif, frame):
        self.free.append(Ptr[u8](frame.address))

    def receive(self, frame: bytes):
        memory.write(self.rx.address, frame)
        stack.input_frame(self.ptr, self.rx, u32(len(frame)))

    def take(self):
        out, self.sent = self.sent, []
        return out

    def advance(self, ns):
        """Time passes; the protocol timers run when due, as the network thread runs them."""
        end = self.t + ns
        while True:
            due = [d for d in (int(tcp.next_deadline()), int(arp.next_deadline()), int(dhcp.next_deadline())) if d]
            if not due or min(due) > end:
                break
            self.t = max(self.t, min(due))
            tcp.tick()
            if 0 < int(arp.next_deadline()) <= self.t:
                arp.tick(self.ptr)
            if 0 < int(dhcp.next_deadline()) <= self.t:
                dhcp.tick()
        self.t = end

    def learn_gateway(self):
        """Put the gateway in the ARP cache (it asks for us, as slirp does)."""
        self.receive(arp_packet(1, GW_MAC, GW_IP, bytes(6), OUR_IP, dst=BROADCAST))
        self.take()


@pytest.fixture
def fi(machine):
    made = []

    def make(**options):
        f = FakeIf(**options)
        made.append(f)
        return f

    output = bytearray()
    console.sink = lambda data, length: output.extend(memory.read(data.address, int(length)))
    make.output = output
    yield make
    console.sink = NULL
    tcp.reset_all()
    tcp.emit = NULL
    tcp.clock = NULL
    netif.primary = NULL
    netif.clock = NULL


def arp_packet(op, sha, spa, tha, tpa, dst=None, src=None):
    body = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, ipb(spa), tha, ipb(tpa))
    return eth(dst or OUR_MAC, src or sha, 0x0806, body)


# --- checksums and helpers -------------------------------------------------------------------

def test_internet_checksum_matches_python(machine):
    buf = Ptr[u8](kalloc(usize(2048)).address)
    for n in list(range(0, 40)) + [255, 256, 1499, 1500, 1501]:
        data = os.urandom(n)
        memory.write(buf.address, data)
        assert int(wire.checksum(buf, u32(n))) == inet_checksum(data), n
    data = bytearray(os.urandom(100))
    data[10:12] = b"\0\0"
    data[10:12] = struct.pack(">H", inet_checksum(bytes(data)))
    memory.write(buf.address, bytes(data))
    assert wire.checksum(buf, u32(100)) == 0  # over data that holds its own checksum
    memory.write(buf.address, b"\xff" * 64)
    assert int(wire.checksum(buf, u32(64))) == 0  # all ones folds to 0xffff; its complement is 0


def test_pseudo_header_and_address_helpers(machine):
    total = wire.pseudo_header_sum(u32(ip("10.0.2.15")), u32(ip("10.0.2.2")), u8(6), u32(40))
    assert int(wire.checksum_finish(total)) == inet_checksum(pseudo("10.0.2.15", "10.0.2.2", 6, 40))
    assert int(wire.mask_bits(u32(0xFFFFFF00))) == 24 and int(wire.mask_bits(u32(0))) == 0
    assert wire.make_ip(u32(10), u32(0), u32(2), u32(15)) == ip("10.0.2.15")


# --- Ethernet and ARP ------------------------------------------------------------------------

def test_arp_request_for_us_is_answered(fi):
    f = fi()
    f.receive(arp_packet(1, GW_MAC, GW_IP, bytes(6), OUR_IP, dst=BROADCAST))
    [reply] = f.take()
    assert reply == arp_packet(2, OUR_MAC, OUR_IP, GW_MAC, GW_IP, dst=GW_MAC, src=OUR_MAC)
    mac = Array[u8, 6]()
    assert arp.lookup(u32(ip(GW_IP)), addr(mac))  # the asker was learned
    assert bytes(int(mac[i]) for i in range(6)) == GW_MAC


def test_arp_for_someone_else_is_not_answered_or_learned(fi):
    f = fi()
    f.receive(arp_packet(1, OTHER_MAC, "10.0.2.9", bytes(6), "10.0.2.77", dst=BROADCAST))
    assert f.take() == []
    assert not arp.lookup(u32(ip("10.0.2.9")), addr(Array[u8, 6]()))


def test_unresolved_next_hop_holds_the_frame_until_the_reply(fi):
    f = fi()
    sock = socket.open(u32(socket.DGRAM))
    for i in range(arp.HOLD_MAX + 1):
        data = Ptr[u8](memory.intern_bytes(b"ping%d" % i))
        assert socket.sendto(sock, data, u64(5), u32(ip("10.0.2.9")), u16(7)) == 5
    [request] = f.take()  # one request; the datagrams wait for the answer
    assert request == arp_packet(1, OUR_MAC, OUR_IP, bytes(6), "10.0.2.9", dst=BROADCAST, src=OUR_MAC)
    assert len(f.free) == len(f.pool) - arp.HOLD_MAX  # the oldest was dropped to hold the newest
    f.receive(arp_packet(2, OTHER_MAC, "10.0.2.9", OUR_MAC, OUR_IP))
    held = f.take()
    assert [parse_ip(parse_frame(h)[3])["payload"][8:] for h in held] == [b"ping%d" % i for i in range(1, 5)]
    for h in held:
        dst, src, kind, payload = parse_frame(h)
        assert (dst, src, kind) == (OTHER_MAC, OUR_MAC, 0x0800) and parse_ip(payload)["dst"] == "10.0.2.9"
    socket.sendto(sock, Ptr[u8](memory.intern_bytes(b"pong")), u64(4), u32(ip("10.0.2.9")), u16(7))
    [direct] = f.take()  # resolved: straight out
    assert direct[:6] == OTHER_MAC
    socket.close(sock)


def test_off_subnet_traffic_goes_to_the_gateway(fi):
    f = fi()
    f.learn_gateway()
    sock = socket.open(u32(socket.DGRAM))
    socket.sendto(sock, Ptr[u8](memory.intern_bytes(b"x")), u64(1), u32(ip("8.8.8.8")), u16(53))
    [frame] = f.take()
    assert frame[:6] == GW_MAC and parse_ip(frame[14:])["dst"] == "8.8.8.8"
    socket.close(sock)


def test_arp_cache_refresh_expiry_and_unanswered_requests(fi):
    f = fi()
    f.learn_gateway()
    f.advance(59 * S)
    assert f.take() == []
    f.advance(S + S // 2)  # 60 s old: confirmed again, and used meanwhile
    [refresh] = f.take()
    assert refresh == arp_packet(1, OUR_MAC, OUR_IP, bytes(6), GW_IP, dst=BROADCAST, src=OUR_MAC)
    assert arp.lookup(u32(ip(GW_IP)), addr(Array[u8, 6]()))
    f.receive(arp_packet(2, GW_MAC, GW_IP, OUR_MAC, OUR_IP))  # answered: good for another minute
    f.advance(59 * S)
    assert f.take() == [] and arp.lookup(u32(ip(GW_IP)), addr(Array[u8, 6]()))
    f.advance(5 * S)  # no answer to three requests this time: gone
    assert len(f.take()) == arp.REQUEST_TRIES
    assert not arp.lookup(u32(ip(GW_IP)), addr(Array[u8, 6]()))
    sock = socket.open(u32(socket.DGRAM))
    dropped = int(f.nif.tx_dropped)
    socket.sendto(sock, Ptr[u8](memory.intern_bytes(b"x")), u64(1), u32(ip("8.8.8.8")), u16(53))
    f.advance(10 * S)  # the gateway has gone quiet
    requests = [p for p in f.take() if parse_frame(p)[2] == 0x0806]
    assert len(requests) == arp.REQUEST_TRIES
    assert int(f.nif.tx_dropped) == dropped + 1  # the held frame was given up
    assert len(f.free) == len(f.pool)  # and its buffer returned
    socket.close(sock)


def test_frames_for_other_macs_and_unknown_types_are_dropped(fi):
    f = fi()
    f.receive(eth(OTHER_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 1, b"\x08" + bytes(7))))
    f.receive(eth(OUR_MAC, GW_MAC, 0x86DD, bytes(40)))  # IPv6
    f.receive(b"short")
    assert f.take() == []
    assert int(f.nif.rx_dropped) == 2 and int(f.nif.rx_errors) == 1


# --- IPv4 and ICMP ---------------------------------------------------------------------------

def echo_request(ident=0x1234, seq=7, data=b"abcdefgh" * 7):
    body = struct.pack(">BBHHH", 8, 0, 0, ident, seq) + data
    return body[:2] + struct.pack(">H", inet_checksum(body)) + body[4:]


def test_icmp_echo_reply(fi):
    f = fi()
    f.learn_gateway()
    request = echo_request()
    f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 1, request, ident=99)))
    [reply] = f.take()
    dst, src, kind, payload = parse_frame(reply)
    assert (dst, src, kind) == (GW_MAC, OUR_MAC, 0x0800)
    h = parse_ip(payload)
    assert (h["src"], h["dst"], h["proto"], h["ttl"], h["frag"]) == (OUR_IP, GW_IP, 1, 64, 0x4000)
    expected = b"\x00\x00" + request[2:]  # type 0, same id, sequence and data...
    expected = expected[:2] + struct.pack(">H", inet_checksum(b"\0\0\0\0" + request[4:])) + expected[4:]
    assert h["payload"] == expected  # ...and a correct checksum
    assert icmp.echo_replies_sent >= 1


def test_icmp_not_answered_when_broadcast_or_corrupt(fi):
    f = fi()
    f.learn_gateway()
    f.receive(eth(BROADCAST, GW_MAC, 0x0800, ipv4_packet(GW_IP, "10.0.2.255", 1, echo_request())))
    bad = bytearray(echo_request())
    bad[-1] ^= 1
    f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 1, bytes(bad))))
    assert f.take() == []


@pytest.mark.parametrize("damage,counter", [
    ("checksum", "bad_checksum"), ("version", "bad_header"), ("total_long", "bad_header"),
    ("ihl_short", "bad_header"), ("more_fragments", "fragments_dropped"), ("fragment_offset", "fragments_dropped"),
    ("not_ours", "not_for_us"),
])
def test_ipv4_header_checks(fi, damage, counter):
    f = fi()
    f.learn_gateway()
    p = bytearray(ipv4_packet(GW_IP, OUR_IP, 1, echo_request()))
    if damage == "checksum":
        p[8] ^= 0xFF  # TTL changed, checksum not
    elif damage == "version":
        p = bytearray(ipv4_packet(GW_IP, OUR_IP, 1, echo_request(), version_ihl=0x65))
    elif damage == "total_long":
        p = bytearray(ipv4_packet(GW_IP, OUR_IP, 1, echo_request(), total=2000))
    elif damage == "ihl_short":
        p = bytearray(ipv4_packet(GW_IP, OUR_IP, 1, echo_request(), version_ihl=0x44))
    elif damage == "more_fragments":
        p = bytearray(ipv4_packet(GW_IP, OUR_IP, 1, echo_request(), flags_frag=0x2000))
    elif damage == "fragment_offset":
        p = bytearray(ipv4_packet(GW_IP, OUR_IP, 1, echo_request(), flags_frag=0x0010))
    elif damage == "not_ours":
        p = bytearray(ipv4_packet(GW_IP, "10.0.2.99", 1, echo_request()))
    before = int(getattr(ipv4, counter))
    f.receive(eth(OUR_MAC, GW_MAC, 0x0800, bytes(p)))
    assert f.take() == []  # nothing answered
    assert int(getattr(ipv4, counter)) == before + 1


def test_ethernet_padding_is_ignored(fi):
    f = fi()
    f.learn_gateway()
    sock = socket.open(u32(socket.DGRAM))
    assert socket.bind(sock, u32(0), u16(9000)) == 0
    f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 17, udp_datagram(GW_IP, OUR_IP, 1, 9000, b"hi")))
              + bytes(20))
    buf = Ptr[u8](kalloc(usize(64)).address)
    assert socket.recvfrom(sock, buf, u64(64), NULL, NULL) == 2
    socket.close(sock)


# --- UDP -------------------------------------------------------------------------------------

def test_udp_socket_receive_send_and_checksums(fi):
    f = fi()
    f.learn_gateway()
    sock = socket.open(u32(socket.DGRAM))
    sock.nonblock = True
    assert socket.bind(sock, u32(0), u16(5000)) == 0
    assert socket.bind(socket.open(u32(socket.DGRAM)), u32(0), u16(5000)) == -errno.EADDRINUSE
    buf = Ptr[u8](kalloc(usize(2048)).address)
    assert socket.recvfrom(sock, buf, u64(2048), NULL, NULL) == -errno.EAGAIN
    assert socket.poll(sock) & socket.POLLIN == 0
    good = udp_datagram(GW_IP, OUR_IP, 4444, 5000, b"first")
    bad = bytearray(udp_datagram(GW_IP, OUR_IP, 4444, 5000, b"corrupt"))
    bad[-1] ^= 1
    unchecked = udp_datagram(GW_IP, OUR_IP, 4445, 5000, b"no checksum", checksum=False)
    for d in (good, bytes(bad), unchecked):
        f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 17, d)))
    assert socket.poll(sock) & socket.POLLIN
    src, port = Array[u32, 1](), Array[u16, 1]()
    assert socket.recvfrom(sock, buf, u64(2048), addr(src), addr(port)) == 5
    assert memory.read(buf.address, 5) == b"first" and src[0] == ip(GW_IP) and port[0] == 4444
    assert socket.recvfrom(sock, buf, u64(4), addr(src), addr(port)) == 4  # truncated to the buffer
    assert memory.read(buf.address, 4) == b"no c" and port[0] == 4445
    assert socket.recvfrom(sock, buf, u64(2048), NULL, NULL) == -errno.EAGAIN  # the corrupt one was dropped
    memory.write(buf.address, b"answer")
    assert socket.sendto(sock, buf, u64(6), u32(ip(GW_IP)), u16(4444)) == 6
    [frame] = f.take()
    h = parse_ip(frame[14:])
    sport, dport, length, csum = struct.unpack(">HHHH", h["payload"][:8])
    assert (h["proto"], sport, dport, length, h["payload"][8:]) == (17, 5000, 4444, 14, b"answer")
    assert inet_checksum(pseudo(OUR_IP, GW_IP, 17, 14) + h["payload"]) == 0
    socket.close(sock)
    f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 17, good)))  # now nobody listens
    assert udp.no_port >= 1


def test_udp_connected_socket_filters_sources(fi):
    f = fi()
    f.learn_gateway()
    sock = socket.open(u32(socket.DGRAM))
    sock.nonblock = True
    assert socket.connect(sock, u32(ip(GW_IP)), u16(53)) == 0
    port = int(sock.local_port)
    assert port >= udp.EPHEMERAL_FIRST
    for sport in (53, 54):
        f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 17, udp_datagram(GW_IP, OUR_IP, sport, port,
                                                                                          b"from %d" % sport))))
    buf = Ptr[u8](kalloc(usize(64)).address)
    assert socket.recv(sock, buf, u64(64)) == 7 and memory.read(buf.address, 7) == b"from 53"
    assert socket.recv(sock, buf, u64(64)) == -errno.EAGAIN
    socket.close(sock)


# --- DHCP ------------------------------------------------------------------------------------

def dhcp_reply(kind, xid, yiaddr=OUR_IP, server=GW_IP, lease=86400, chaddr=OUR_MAC):
    """A reply as QEMU's slirp (libslirp bootp.c) builds it."""
    fixed = struct.pack(">BBBBIHH4s4s4s4s16s64s128s", 2, 1, 6, 0, xid, 0, 0, bytes(4), ipb(yiaddr), ipb(server),
                        bytes(4), chaddr + bytes(10), bytes(64), bytes(128))
    options = bytes([53, 1, kind]) + bytes([54, 4]) + ipb(server) + bytes([51, 4]) + struct.pack(">I", lease) + \
        bytes([1, 4]) + ipb("255.255.255.0") + bytes([3, 4]) + ipb(GW_IP) + bytes([6, 4]) + ipb(DNS_IP) + b"\xff"
    body = fixed + struct.pack(">I", 0x63825363) + options
    body += bytes(548 - len(body))
    return eth(BROADCAST, GW_MAC, 0x0800, ipv4_packet(server, "255.255.255.255", 17,
                                                       udp_datagram(server, "255.255.255.255", 67, 68, body)))


def parse_dhcp(frame, src="0.0.0.0"):
    h = parse_ip(frame[14:])
    assert frame[:6] == BROADCAST and (h["src"], h["dst"]) == (src, "255.255.255.255")
    u = h["payload"]
    sport, dport, length, _ = struct.unpack(">HHHH", u[:8])
    assert (sport, dport) == (68, 67)
    assert inet_checksum(pseudo(src, "255.255.255.255", 17, length) + u) == 0
    m = u[8:]
    op, htype, hlen, _, xid, _, flags = struct.unpack(">BBBBIHH", m[:12])
    assert (op, htype, hlen, flags, m[28:34]) == (1, 1, 6, 0x8000, OUR_MAC)
    assert m[236:240] == struct.pack(">I", 0x63825363)
    options, at = {}, 240
    while m[at] != 255:
        options[m[at]] = m[at + 2:at + 2 + m[at + 1]]
        at += 2 + m[at + 1]
    return xid, options, m


def test_dhcp_exchange_with_slirp(fi):
    f = fi(configured=False)
    assert dhcp.start(f.ptr)
    [discover] = f.take()
    xid, options, _ = parse_dhcp(discover)
    assert options[53] == b"\x01" and set(options[55]) >= {1, 3, 6}
    f.receive(dhcp_reply(2, xid))  # OFFER
    [request] = f.take()
    xid2, options, _ = parse_dhcp(request)
    assert xid2 == xid and options[53] == b"\x03"
    assert options[50] == ipb(OUR_IP) and options[54] == ipb(GW_IP)
    assert not dhcp.done()
    f.receive(dhcp_reply(5, xid))  # ACK
    assert dhcp.done()
    announce, ask_gateway = f.take()  # the new address is announced and the gateway resolved
    assert announce == arp_packet(1, OUR_MAC, OUR_IP, bytes(6), OUR_IP, dst=BROADCAST, src=OUR_MAC)
    assert ask_gateway == arp_packet(1, OUR_MAC, OUR_IP, bytes(6), GW_IP, dst=BROADCAST, src=OUR_MAC)
    f.receive(arp_packet(2, GW_MAC, GW_IP, OUR_MAC, OUR_IP))
    n = f.nif
    assert (int(n.ip), int(n.mask), int(n.gateway), int(n.dns)) == (ip(OUR_IP), 0xFFFFFF00, ip(GW_IP), ip(DNS_IP))
    assert n.configured_by == netif.CONF_DHCP
    assert "[net] eth0: dhcp lease 10.0.2.15/24 gateway 10.0.2.2 dns 10.0.2.3 (86400 s)\n" in fi.output.decode()
    f.advance(43199 * S)
    assert ipv4_frames(f.take()) == []  # (the ARP entry of the silent gateway came and went meanwhile)
    f.advance(2 * S)  # half the lease: renew
    [renew] = ipv4_frames(f.take())
    _, options, m = parse_dhcp(renew, src=OUR_IP)  # from the leased address now
    assert options[53] == b"\x03" and m[12:16] == ipb(OUR_IP)


def test_dhcp_retries_then_falls_back_to_the_static_address(fi):
    f = fi(configured=False)
    dhcp.start(f.ptr)
    f.advance(int(3.5 * S))
    discovers = f.take()
    assert len(discovers) == 4  # the first and one a second after
    assert {parse_dhcp(d)[0] for d in discovers} == {parse_dhcp(discovers[0])[0]}
    assert not dhcp.done()
    f.advance(S)
    assert dhcp.done() and dhcp.state == dhcp.STATIC
    assert [parse_frame(p)[2] for p in f.take()] == [0x0806, 0x0806]  # announce, ask for the gateway
    n = f.nif
    assert (int(n.ip), int(n.gateway), int(n.dns)) == (ip(OUR_IP), ip(GW_IP), ip(DNS_IP))
    assert "[net] eth0: no DHCP answer; static 10.0.2.15/24 gateway 10.0.2.2 dns 10.0.2.3\n" in fi.output.decode()


def test_dhcp_ignores_other_transactions_and_restarts_on_nak(fi):
    f = fi(configured=False)
    dhcp.start(f.ptr)
    [discover] = f.take()
    xid = parse_dhcp(discover)[0]
    f.receive(dhcp_reply(2, xid + 1))  # someone else's
    f.receive(dhcp_reply(2, xid, chaddr=OTHER_MAC))
    assert f.take() == []
    f.receive(dhcp_reply(2, xid))
    f.take()
    f.receive(dhcp_reply(6, xid))  # NAK: back to DISCOVER
    [again] = f.take()
    assert parse_dhcp(again)[1][53] == b"\x01" and not dhcp.done()


# --- TCP over frames, into the echo server ---------------------------------------------------

class Peer:
    """The host side of a TCP connection, scripted, talking in frames."""

    def __init__(self, f, port=40000, isn=5000):
        self.f, self.port, self.seq, self.ack = f, port, isn, 0

    def send(self, flags, data=b"", mss=None, window=65535):
        seg = tcp_segment(GW_IP, OUR_IP, self.port, echo.PORT, self.seq, self.ack, flags, data, window, mss)
        self.f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 6, seg)))
        self.seq += len(data) + (1 if flags & (tcp.SYN | tcp.FIN) else 0)

    def segments(self):
        out = []
        for frame in self.f.take():
            dst, src, kind, payload = parse_frame(frame)
            assert (dst, src, kind) == (GW_MAC, OUR_MAC, 0x0800)
            h = parse_ip(payload)
            assert (h["src"], h["dst"], h["proto"], h["ttl"], h["frag"]) == (OUR_IP, GW_IP, 6, 64, 0x4000)
            t = h["payload"]
            assert inet_checksum(pseudo(OUR_IP, GW_IP, 6, len(t)) + t) == 0, "TCP checksum"
            sport, dport, seq, ack, off, flags, window = struct.unpack(">HHIIBBH", t[:16])
            assert (sport, dport) == (echo.PORT, self.port)
            out.append(dict(seq=seq, ack=ack, flags=flags, window=window, options=t[20:(off >> 4) * 4],
                            data=t[(off >> 4) * 4:]))
        return out


def start_echo():
    s = socket.open(u32(socket.STREAM))
    assert socket.bind(s, u32(0), u16(echo.PORT)) == 0 and socket.listen(s, u32(8)) == 0
    s.nonblock = True
    echo.listener = s
    for i in range(echo.MAX_CLIENTS):
        echo.clients[i] = NULL
    echo.active = 0


def test_tcp_echo_over_frames(fi):
    f = fi()
    f.learn_gateway()
    start_echo()
    p = Peer(f)
    p.send(tcp.SYN, mss=1460)
    [synack] = p.segments()
    assert synack["flags"] == tcp.SYN | tcp.ACK and synack["ack"] == 5001
    assert synack["options"] == struct.pack(">BBH", 2, 4, 1460)
    p.ack = synack["seq"] + 1
    p.send(tcp.ACK)
    p.send(tcp.ACK | tcp.PSH, b"hello, cyrius")
    assert echo.serve_once()  # the echo server's pass: accepts and echoes
    segs = p.segments()
    assert b"".join(s["data"] for s in segs) == b"hello, cyrius"
    assert segs[-1]["ack"] == p.seq  # the echo carries the acknowledgement
    p.ack += 13
    big = os.urandom(20000)
    for i in range(0, len(big), 1460):
        p.send(tcp.ACK, big[i:i + 1460])
    echoed = b""
    for _ in range(10):  # the echo goes out as the congestion window allows: acknowledge it
        echo.serve_once()
        echoed += b"".join(s["data"] for s in p.segments())
        p.ack = synack["seq"] + 1 + 13 + len(echoed)
        p.send(tcp.ACK)
    assert echoed == big
    p.send(tcp.ACK | tcp.FIN)  # the client is done: the server closes too, after the echo
    echo.serve_once()
    *acks, fin = p.segments()  # the ACK of the client's FIN, then the server's own FIN
    assert fin["flags"] & tcp.FIN and fin["seq"] == p.ack and fin["ack"] == p.seq
    assert echo.active == 0
    p.ack += 1
    p.send(tcp.ACK)
    assert int(tcp.conn_count) == 1  # only the listener is left
    assert int(echo.bytes_echoed) >= 20013


def test_tcp_to_a_closed_port_is_reset_over_frames(fi):
    f = fi()
    f.learn_gateway()
    seg = tcp_segment(GW_IP, OUR_IP, 40000, 81, 77, 0, tcp.SYN)
    f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 6, seg)))
    [frame] = f.take()
    t = parse_ip(frame[14:])["payload"]
    _, _, seq, ack, _, flags, _ = struct.unpack(">HHIIBBH", t[:16])
    assert flags == tcp.RST | tcp.ACK and ack == 78
    bad = bytearray(seg)
    bad[-1] ^= 1  # corrupt: dropped silently
    f.receive(eth(OUR_MAC, GW_MAC, 0x0800, ipv4_packet(GW_IP, OUR_IP, 6, bytes(bad))))
    assert f.take() == []


def test_stream_socket_nonblocking_api(fi):
    f = fi()
    f.learn_gateway()
    start_echo()
    lst = echo.listener
    out = Array[Ptr[socket.Socket], 1]()
    assert socket.accept(lst, addr(out)) == -errno.EAGAIN
    assert socket.poll(lst) == 0
    p = Peer(f, port=40001)
    p.send(tcp.SYN)
    p.ack = p.segments()[0]["seq"] + 1
    p.send(tcp.ACK)
    assert socket.poll(lst) & socket.POLLIN
    assert socket.accept(lst, addr(out)) == 0
    s = out[0]
    s.nonblock = True
    ip_, port = Array[u32, 1](), Array[u16, 1]()
    assert socket.peer_address(s, addr(ip_), addr(port)) == 0 and (ip_[0], port[0]) == (ip(GW_IP), 40001)
    assert socket.poll(s) == socket.POLLOUT | socket.POLLWRNORM
    buf = Ptr[u8](kalloc(usize(4096)).address)
    assert socket.recv(s, buf, u64(100)) == -errno.EAGAIN
    p.send(tcp.ACK | tcp.FIN, b"bye")
    assert socket.poll(s) & (socket.POLLIN | socket.POLLRDHUP) == socket.POLLIN | socket.POLLRDHUP
    assert socket.recv(s, buf, u64(100)) == 3
    assert socket.recv(s, buf, u64(100)) == 0
    memory.write(buf.address, b"ok")
    assert socket.send(s, buf, u64(2)) == 2
    assert socket.shutdown(s, u32(socket.SHUT_WR)) == 0
    assert socket.send(s, buf, u64(2)) == -errno.EPIPE
    p.segments()
    socket.close(s)
