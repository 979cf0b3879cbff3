"""The virtio-net driver under CPython: discovery, feature negotiation, the MAC, receive by
interrupt with buffers re-posted, transmit with completion reclaim (MSI-X and INTx), against a
fake device (virtio_net_fake.py)."""
import os

import pytest
import virtio_fakes as vf
import virtio_net_fake as nf

from cyrius.kernel.platform import acpi
from cyrius.kernel import console
from cyrius.kernel.dev import pci, virtio_net
from cyrius.lang import NULL, memory, u32, u64

MAC = bytes.fromhex("525400123456")


class Rig:
    def __init__(self, machine, **options):
        vf.reset_driver_state()
        acpi.info.override_count = 0
        self.machine = machine
        self.space = vf.PhysicalSpace()
        self.bus = vf.Bus()
        self.space.add(vf.ECAM_BASE, 256 << 20, self.bus.ecam_read, self.bus.ecam_write)
        self.bus.add(vf.bdf(0, 0, 0), vf.Function(vf.HOST_BRIDGE))
        self.device = nf.FakeVirtioNet(self.space, self.bus, **options)
        self.ioapic = vf.FakeIoApic(self.space)
        self.device.ioapic = self.ioapic
        self.output = bytearray()
        self.received = []
        self.wakes = 0
        console.sink = lambda data, length: self.output.extend(memory.read(data.address, int(length)))

    def boot(self, cmdline=b""):
        self.machine.info.acpi_rsdp = u64(vf.install_acpi())
        vf.boot_info_with_cmdline(self.machine.info, cmdline)
        pci.init(self.machine.pointer)
        virtio_net.init()
        if virtio_net.count:
            nif = self.nif
            nif.input = lambda n, frame, length: self.received.append(memory.read(frame.address, int(length)))
            nif.wake = self.wake
        return self.output.decode()

    def wake(self, nif):
        self.wakes += 1

    @property
    def nif(self):
        return virtio_net.interface(u32(0))

    @property
    def dev(self):
        return virtio_net.devices[0]

    def send(self, frame: bytes):
        buf = self.nif.tx_alloc(self.nif)
        assert buf != NULL
        memory.write(buf.address, frame)
        self.nif.tx_send(self.nif, buf, u32(len(frame)))

    def poll(self, budget=1000):
        return int(self.nif.rx_poll(self.nif, u32(budget)))


@pytest.fixture
def rig(machine):
    made = []

    def make(**options):
        r = Rig(machine, **options)
        made.append(r)
        return r

    yield make
    console.sink = NULL


def frame(n=100, fill=None):
    body = os.urandom(n - 14) if fill is None else bytes([fill]) * (n - 14)
    return b"\xff" * 6 + MAC + b"\x08\x00" + body


def test_bring_up_over_msix(rig):
    r = rig()
    out = r.boot()
    assert "[net] eth0: virtio-net 52:54:00:12:34:56, link up, queues 256/256, MSI-X vectors 48 49\n" in out
    assert "[net] discovered 1 virtio network device(s)\n" in out
    d = r.device
    assert d.status == 1 | 2 | 8 | 4
    assert d.driver_features == vf.VERSION_1 | nf.NET_F_MAC | nf.NET_F_STATUS  # no offloads, no mergeable buffers
    assert d.queues[0].enable and d.queues[1].enable
    assert (d.queues[0].vector, d.queues[1].vector) == (0, 1)
    assert d.msix_enabled and d.msix_config == vf.NO_VECTOR
    assert d.available(0) == 256  # every receive buffer posted...
    assert d.notifies[0] == 1  # ...and the device told once, after DRIVER_OK
    assert bytes(int(r.nif.mac[i]) for i in range(6)) == MAC  # from the device configuration
    assert r.nif.link_up and r.nif.mtu == 1500
    assert memory.read(r.nif.name.address, 5) == b"eth0\0"
    assert r.dev.tx_free_count == 256


def test_transmit_and_completion_reclaim(rig):
    r = rig()
    r.boot()
    frames = [frame(60 + 50 * i) for i in range(5)] + [frame(1514)]
    for f in frames:
        r.send(f)
    assert r.device.notifies[1] == len(frames)
    assert r.dev.tx_free_count == 256 - len(frames)
    r.device.process_tx()
    assert r.device.sent == frames
    assert all(h == bytes(12) for h in r.device.headers)  # no offloads: an all-zero virtio_net_hdr
    assert r.dev.tx_free_count == 256  # the completion interrupt returned every buffer
    assert r.device.interrupts[1] == 1


def test_running_out_of_transmit_buffers_then_waking_the_stack(rig):
    r = rig()
    r.boot()
    for i in range(256):
        r.send(frame(64, fill=i))
    r.device.process_tx(complete=False)  # the device holds them all
    assert r.nif.tx_alloc(r.nif) == NULL
    assert r.dev.tx_starved
    wakes = r.wakes
    q = r.device.queues[1]
    r.device.give_back(1, [(h, 0) for h in range(3)])  # three come back
    r.device.interrupt(1)
    assert r.wakes == wakes + 1  # the stack learns it may send again
    assert not r.dev.tx_starved and r.dev.tx_free_count == 3
    assert q.used_idx == 3


def test_unsent_buffer_goes_back(rig):
    r = rig()
    r.boot()
    buf = r.nif.tx_alloc(r.nif)
    assert r.dev.tx_free_count == 255
    r.nif.tx_free(r.nif, buf)
    assert r.dev.tx_free_count == 256


def test_completions_without_an_interrupt_are_reclaimed_when_needed(rig):
    r = rig()
    r.boot()
    for i in range(256):
        r.send(frame(64, fill=i))
    r.device.process_tx(interrupt=False)  # used ring written, interrupt not (yet) taken
    assert r.dev.tx_free_count == 0
    buf = r.nif.tx_alloc(r.nif)  # collects the used ring itself
    assert buf != NULL and r.dev.tx_free_count == 255


def test_receive_by_interrupt_in_order_and_buffers_reposted(rig):
    r = rig()
    r.boot()
    frames = [frame(60 + i * 20) for i in range(10)] + [frame(1514)]
    assert r.device.deliver(frames) == len(frames)
    assert r.wakes == 1 and r.received == []  # the interrupt only wakes the stack
    assert r.dev.rx_posted == 256 - len(frames)
    assert r.poll(budget=4) == 4  # a budget bounds one pass
    assert r.poll() == len(frames) - 4
    assert r.received == frames
    assert r.dev.rx_posted == 256 and r.device.available(0) == 256 - len(frames) + len(frames)
    assert r.device.notifies[0] >= 2  # re-posted buffers were announced


def test_receive_more_frames_than_buffers_over_time(rig):
    r = rig()
    r.boot()
    sent = []
    for _ in range(4):
        batch = [frame(200) for _ in range(200)]
        assert r.device.deliver(batch) == 200
        sent += batch
        r.poll()
    assert r.received == sent
    assert int(r.nif.rx_errors) == 0


def test_runt_frames_are_errors(rig):
    r = rig()
    r.boot()
    r.device.deliver([b"\x01\x02\x03"])
    r.poll()
    assert r.received == [] and r.nif.rx_errors == 1
    assert r.dev.rx_posted == 256


def test_intx_when_msix_is_off(rig):
    r = rig()
    out = r.boot(cmdline=b"pci=nomsi")
    assert "INTx IRQ 10 vector 48" in out
    assert not r.device.msix_enabled
    r.device.deliver([frame(100)])
    assert r.wakes == 1 and r.device.isr == 0  # the handler read (acknowledged) the ISR
    r.poll()
    assert len(r.received) == 1
    r.send(frame(80))
    r.device.process_tx()
    assert r.dev.tx_free_count == 256


def test_mac_without_the_mac_feature(rig):
    r = rig(features=vf.VERSION_1)
    out = r.boot()
    assert "virtio-net 02:00:00:00:00:01, link up" in out  # locally administered


def test_link_down(rig):
    r = rig(link_up=False)
    out = r.boot()
    assert ", link down," in out and not r.nif.link_up


def test_device_without_version_1_is_refused(rig):
    r = rig(features=nf.NET_F_MAC)
    out = r.boot()
    assert "[net] eth0: feature negotiation failed" in out
    assert "[net] discovered 0 virtio network device(s)" in out
    assert r.device.status & 128


def test_small_queues(rig):
    r = rig(queue_size=16)
    out = r.boot()
    assert "queues 16/16" in out
    frames = [frame(100) for _ in range(40)]
    got = 0
    while got < 40:
        got += r.device.deliver(frames[got:])
        r.poll()
    assert r.received == frames
