"""A simulated IP network for host-mode tests of net/tcp.py.

TCP's `emit` hands every segment to a Net; the Net either keeps it for a test that plays the
peer by hand (`scripted`), or delivers it back into tcp.input after a delay, possibly losing,
duplicating or reordering it, so that two endpoints of our TCP talk to each other. Time is the
Net's: tcp.clock reads it, and run() advances it from event to event (deliveries and TCP's own
timer deadlines), so retransmission timeouts take no real time.
"""
from __future__ import annotations

import heapq
import random
from dataclasses import dataclass

from cyrius.kernel.mm.heap import kalloc
from cyrius.kernel.net import ring, tcp
from cyrius.lang import Ptr, addr, memory, u8, u16, u32, u64, usize

MS = 1_000_000
FIN, SYN, RST, PSH, ACK = tcp.FIN, tcp.SYN, tcp.RST, tcp.PSH, tcp.ACK


def ip(text: str) -> int:
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


@dataclass
class Seg:
    src: int
    dst: int
    sport: int
    dport: int
    seq: int = 0
    ack: int = 0
    flags: int = 0
    window: int = 65535
    mss: int = 0
    data: bytes = b""

    @property
    def length(self) -> int:
        return len(self.data)

    def has(self, flags: int) -> bool:
        return self.flags & flags == flags

    def __repr__(self):
        names = "".join(n for f, n in ((SYN, "S"), (ACK, "A"), (FIN, "F"), (RST, "R"), (PSH, "P")) if self.flags & f)
        return f"<{self.sport}->{self.dport} {names} seq={self.seq} ack={self.ack} win={self.window} len={self.length}>"


class Net:
    def __init__(self, scripted=False, delay_ms=5, loss=0.0, reorder=0.0, duplicate=0.0, seed=1):
        self.t = 1_000_000_000
        self.scripted = scripted
        self.delay = delay_ms * MS
        self.loss, self.reorder, self.duplicate = loss, reorder, duplicate
        self.rng = random.Random(seed)
        self.queue: list = []
        self.order = 0
        self.outbox: list[Seg] = []  # every segment TCP emitted, in order
        self.delivered = 0
        self.dropped = 0
        self.refuse = False  # emit() fails, as when the device has no transmit buffer
        self.scratch = Ptr[u8](kalloc(usize(65536)).address)  # payload of the segment being delivered
        self.emit_scratch = Ptr[u8](kalloc(usize(65536)).address)  # emit() may run during delivery
        self.filters = []  # functions Seg -> bool: False drops that segment
        self.app_buffer = Ptr[u8](kalloc(usize(65536)).address)
        tcp.reset_all()
        tcp.clock = self.clock
        tcp.emit = self.emit

    def clock(self):
        return u64(self.t)

    def emit(self, seg, data, offset) -> bool:
        if self.refuse:
            return False
        n = int(seg.length)
        payload = b""
        if n:
            ring.read_at(data, u32(offset), self.emit_scratch, u32(n))
            payload = memory.read(self.emit_scratch.address, n)
        s = Seg(int(seg.src_ip), int(seg.dst_ip), int(seg.src_port), int(seg.dst_port), int(seg.seq),
                int(seg.ack), int(seg.flags), int(seg.window), int(seg.mss), payload)
        self.outbox.append(s)
        if not self.scripted:
            self.transmit(s)
        return True

    def transmit(self, s: Seg):
        if not all(f(s) for f in self.filters) or self.rng.random() < self.loss:
            self.dropped += 1
            return
        copies = 2 if self.rng.random() < self.duplicate else 1
        for _ in range(copies):
            extra = self.rng.randrange(3 * self.delay) if self.rng.random() < self.reorder else 0
            self.order += 1
            heapq.heappush(self.queue, (self.t + self.delay + extra, self.order, s))

    def inject(self, s: Seg):
        """Hand a segment to TCP now (as the scripted peer)."""
        seg = tcp.TcpSegment()
        seg.src_ip, seg.dst_ip = u32(s.src), u32(s.dst)
        seg.src_port, seg.dst_port = u16(s.sport), u16(s.dport)
        seg.seq, seg.ack = u32(s.seq & 0xFFFFFFFF), u32(s.ack & 0xFFFFFFFF)
        seg.flags, seg.window, seg.mss = u8(s.flags), u16(s.window), u16(s.mss)
        seg.length = u32(len(s.data))
        if s.data:
            memory.write(self.scratch.address, s.data)
        self.delivered += 1
        tcp.input(addr(seg), self.scratch)

    def send(self, c, data: bytes) -> int:
        """The application writes (at most 64 KiB); what tcp.send returned."""
        memory.write(self.app_buffer.address, data)
        return int(tcp.send(c, self.app_buffer, u32(len(data))))

    def recv(self, c, n=65536):
        """The application reads: (bytes, tcp.recv's result)."""
        got = int(tcp.recv(c, self.app_buffer, u32(n)))
        return (memory.read(self.app_buffer.address, got) if got > 0 else b""), got

    def take(self) -> list[Seg]:
        out, self.outbox = self.outbox, []
        return out

    def advance(self, ns: int):
        """Let time pass (scripted tests): TCP's timers fire as they come due."""
        end = self.t + ns
        while True:
            d = int(tcp.next_deadline())
            if d == 0 or d > end:
                break
            self.t = max(self.t, d)
            tcp.tick()
        self.t = end

    def step(self) -> bool:
        """The next event: a delivery or a TCP timer. False when nothing is left to happen."""
        deadline = int(tcp.next_deadline())
        if self.queue and (deadline == 0 or self.queue[0][0] <= deadline):
            when, _, s = heapq.heappop(self.queue)
            self.t = max(self.t, when)
            self.inject(s)
            return True
        if deadline:
            self.t = max(self.t, deadline)
            tcp.tick()
            return True
        return False

    def run(self, until=lambda: False, limit_ns=600 * 1_000_000_000, app=lambda: None):
        """Deliver and tick until `until()` holds; `app()` runs after every event."""
        end = self.t + limit_ns
        while not until():
            if not self.step() or self.t > end:
                return False
            app()
        return True


def listener(port=80, local="0.0.0.0", backlog=8):
    c = tcp.create()
    assert tcp.bind(c, u32(ip(local)), u16(port)) == 0
    assert tcp.listen(c, u32(backlog)) == 0
    return c


def connector(local: str, remote: str, port=80):
    c = tcp.create()
    assert tcp.connect(c, u32(ip(local)), u32(ip(remote)), u16(port)) == 0
    return c


