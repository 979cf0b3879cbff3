"""A fake modern virtio-net device for host-mode tests of dev/virtio_net.py, built on
virtio_fakes (the PCI function is QEMU's 00:03.0 virtio-net-pci,disable-legacy=on, captured).

Two split virtqueues over simulated memory: receive (0) and transmit (1). The device runs only
when the test says so (`deliver` frames to the driver, `process_tx` to take what it queued), and
interrupts through MSI-X (one vector per queue, as the driver routes them) or INTx.
"""
from __future__ import annotations

import struct

import virtio_fakes as vf

from cyrius.lang import memory

NET_BAR1 = 0xC101_1000
NET_BAR4 = 0xE0_0000_4000
NET_BARS = {1: 0x1000, 4: 0x4000}
NET_F_MAC = 1 << 5
NET_F_STATUS = 1 << 16
NET_F_MRG_RXBUF = 1 << 15
QEMU_NET_FEATURES = vf.VERSION_1 | NET_F_MAC | NET_F_STATUS | NET_F_MRG_RXBUF | 1 | 2 | (1 << 28) | (1 << 29)
HEADER = 12
NOTIFY_MULTIPLIER = 4
QEMU_MAC = bytes.fromhex("525400123456")


class Queue:
    def __init__(self, max_size):
        self.size = max_size
        self.vector = vf.NO_VECTOR
        self.enable = 0
        self.desc = self.avail = self.used = 0
        self.last_avail = 0
        self.used_idx = 0


class FakeVirtioNet:
    def __init__(self, space, bus, where=0x018, mac=QEMU_MAC, features=QEMU_NET_FEATURES,
                 queue_size=256, msix_entries=3, link_up=True):
        self.function = bus.add(where, vf.Function(vf.QEMU_VIRTIO_NET, NET_BARS))
        control = self.function.capability(0x11) + 2
        self.function.space[control:control + 2] = struct.pack("<H", msix_entries - 1)
        self.function.space[0x3C] = 10
        space.add(NET_BAR4, 0x4000, self.bar4_read, self.bar4_write)
        space.add(NET_BAR1, 0x1000, self.bar1_read, self.bar1_write)
        self.mac, self.features, self.link_up = mac, features, link_up
        self.max_queue_size = queue_size
        self.msix_table = bytearray(16 * msix_entries)
        self.notifies = {0: 0, 1: 0}
        self.sent: list[bytes] = []  # frames the driver transmitted
        self.headers: list[bytes] = []  # their virtio_net_hdr
        self.interrupts = {0: 0, 1: 0}
        self.ioapic = None
        self.reset()

    def reset(self):
        self.status = 0
        self.device_feature_select = self.driver_feature_select = 0
        self.driver_features = 0
        self.msix_config = vf.NO_VECTOR
        self.queue_select = 0
        self.queues = {0: Queue(self.max_queue_size), 1: Queue(self.max_queue_size)}
        self.isr = 0

    # -- registers -----------------------------------------------------------------------------

    def config_bytes(self):
        return self.mac + struct.pack("<HHH", 1 if self.link_up else 0, 1, 1500)

    def bar4_read(self, offset, width):
        if offset < 0x1000:
            return self.common_read(offset, width)
        if offset < 0x2000:
            value, self.isr = self.isr, 0
            return value
        if offset < 0x3000:
            off = offset - 0x2000
            return int.from_bytes(self.config_bytes()[off:off + width].ljust(width, b"\0"), "little")
        return 0

    def bar4_write(self, offset, width, value):
        if offset < 0x1000:
            self.common_write(offset, width, value)
        elif 0x3000 <= offset < 0x4000:
            q = (offset - 0x3000) // NOTIFY_MULTIPLIER
            assert width == 2 and value == q, "notify: the queue's own index at its notify address"
            self.notifies[q] += 1

    @property
    def q(self):
        return self.queues.get(self.queue_select)

    def common_read(self, offset, width):
        if offset == 0x04:
            return (self.features >> (32 * self.device_feature_select)) & 0xFFFFFFFF
        if offset == 0x0C:
            return (self.driver_features >> (32 * self.driver_feature_select)) & 0xFFFFFFFF
        q = self.q
        registers = {
            0x00: self.device_feature_select, 0x08: self.driver_feature_select, 0x10: self.msix_config,
            0x12: 2, 0x14: self.status, 0x15: 0, 0x16: self.queue_select,
            0x18: q.size if q else 0, 0x1A: q.vector if q else vf.NO_VECTOR,
            0x1C: q.enable if q else 0, 0x1E: self.queue_select,
        }
        if 0x20 <= offset < 0x38:
            name = {0x20: "desc", 0x28: "avail", 0x30: "used"}[offset & ~7]
            value = getattr(q, name)
            return value >> 32 if offset & 4 else value & 0xFFFFFFFF
        return registers[offset]

    def common_write(self, offset, width, value):
        if offset == 0x00:
            self.device_feature_select = value
        elif offset == 0x08:
            self.driver_feature_select = value
        elif offset == 0x0C:
            shift = 32 * self.driver_feature_select
            self.driver_features = (self.driver_features & ~(0xFFFFFFFF << shift)) | (value << shift)
        elif offset == 0x10:
            self.msix_config = value if value < self.msix_entries else vf.NO_VECTOR
        elif offset == 0x14:
            if value == 0:
                self.reset()
                return
            if value & 8 and not self.status & 8:
                if self.driver_features & ~self.features or not self.driver_features & vf.VERSION_1:
                    value &= ~8
            self.status = value
        elif offset == 0x16:
            self.queue_select = value
        elif self.q is None:
            return
        elif offset == 0x18:
            assert value & (value - 1) == 0 and 0 < value <= self.max_queue_size
            self.q.size = value
        elif offset == 0x1A:
            self.q.vector = value if value < self.msix_entries else vf.NO_VECTOR
        elif offset == 0x1C:
            self.q.enable = value
        elif 0x20 <= offset < 0x38:
            name = {0x20: "desc", 0x28: "avail", 0x30: "used"}[offset & ~7]
            old = getattr(self.q, name)
            new = (old & 0xFFFFFFFF) | (value << 32) if offset & 4 else (old & ~0xFFFFFFFF) | value
            setattr(self.q, name, new)
        else:
            raise AssertionError(f"write to common cfg {offset:#x}")

    @property
    def msix_entries(self):
        return len(self.msix_table) // 16

    def bar1_read(self, offset, width):
        if offset < len(self.msix_table):
            return int.from_bytes(self.msix_table[offset:offset + width], "little")
        return 0

    def bar1_write(self, offset, width, value):
        if offset < len(self.msix_table):
            self.msix_table[offset:offset + width] = value.to_bytes(width, "little")

    @property
    def msix_enabled(self):
        control = self.function.read(self.function.capability(0x11) + 2, 2)
        return bool(control & 0x8000) and not control & 0x4000

    # -- queues --------------------------------------------------------------------------------

    def mem(self, address, n):
        return memory.read(vf.DIRECT_MAP + address, n)

    def u16(self, address):
        return struct.unpack("<H", self.mem(address, 2))[0]

    def chain(self, q, head):
        descs, at = [], head
        while True:
            assert at < q.size and len(descs) < q.size, "descriptor chain loops"
            a, length, flags, nxt = struct.unpack("<QIHH", self.mem(q.desc + 16 * at, 16))
            descs.append((a, length, flags))
            if not flags & 1:
                return descs
            at = nxt

    def available(self, qi):
        """Heads the driver has made available and the device has not taken."""
        q = self.queues[qi]
        return (self.u16(q.avail + 2) - q.last_avail) & 0xFFFF

    def take(self, qi):
        q = self.queues[qi]
        head = self.u16(q.avail + 4 + 2 * (q.last_avail % q.size))
        q.last_avail = (q.last_avail + 1) & 0xFFFF
        return head

    def give_back(self, qi, pairs):
        q = self.queues[qi]
        for head, written in pairs:
            slot = q.used + 4 + 8 * (q.used_idx % q.size)
            memory.write(vf.DIRECT_MAP + slot, struct.pack("<II", head, written))
            q.used_idx = (q.used_idx + 1) & 0xFFFF
        memory.write(vf.DIRECT_MAP + q.used + 2, struct.pack("<H", q.used_idx))

    def ready(self):
        return self.status & 4 and all(q.enable for q in self.queues.values())

    def process_tx(self, complete=True, interrupt=True):
        """Take every frame the driver queued; return them to it (unless complete=False)."""
        assert self.ready()
        done = []
        while self.available(1):
            head = self.take(1)
            descs = self.chain(self.queues[1], head)
            raw = b"".join(self.mem(a, length) for a, length, flags in descs)
            assert not any(flags & 2 for _, _, flags in descs), "transmit buffers are device-readable"
            self.headers.append(raw[:HEADER])
            self.sent.append(raw[HEADER:])
            done.append((head, 0))
        if complete and done:
            self.give_back(1, done)
            if interrupt:
                self.interrupt(1)
        return done

    def deliver(self, frames, interrupt=True):
        """Receive frames: each fills one posted buffer. Returns how many fitted (no buffer: dropped)."""
        assert self.ready()
        done = []
        for frame in frames:
            if not self.available(0):
                break
            head = self.take(0)
            descs = self.chain(self.queues[0], head)
            data = struct.pack("<BBHHHHH", 0, 0, 0, 0, 0, 0, 1) + frame
            assert all(flags & 2 for _, _, flags in descs), "receive buffers are device-writable"
            assert sum(length for _, length, _ in descs) >= len(data), "receive buffer too small"
            pos = 0
            for a, length, _ in descs:
                memory.write(vf.DIRECT_MAP + a, data[pos:pos + length])
                pos += length
                if pos >= len(data):
                    break
            done.append((head, len(data)))
        if done:
            self.give_back(0, done)
            if interrupt:
                self.interrupt(0)
        return len(done)

    def interrupt(self, qi):
        self.interrupts[qi] += 1
        if self.msix_enabled:
            vector = self.queues[qi].vector
            assert vector != vf.NO_VECTOR, "MSI-X on, but the queue has no vector"
            address, high, data, control = struct.unpack("<IIII", self.msix_table[16 * vector:16 * vector + 16])
            assert not control & 1, "the queue's MSI-X entry is masked"
            vf.deliver(data & 0xFF)
        else:
            self.isr |= 1
            vector = self.ioapic.vector_of(self.function.space[0x3C])
            assert vector is not None, "INTx line not routed"
            vf.deliver(vector)
