"""The virtio-blk driver under CPython, end to end: PCI discovery, virtio bring-up, requests on
the queue, interrupts (MSI-X and INTx), against a fake device with a disk in a bytearray."""
import os

import pytest
import virtio_fakes as vf

from cyrius.kernel.platform import acpi
from cyrius.kernel import console, errno
from cyrius.kernel.dev import pci, virtio_blk
from cyrius.kernel.mm import frames, paging
from cyrius.kernel.mm.heap import kalloc
from cyrius.lang import NULL, Ptr, memory, u8, u32, u64, usize

SECTORS = 4096  # a 2 MiB disk


class Rig:
    def __init__(self, machine, **device_options):
        vf.reset_driver_state()
        acpi.info.override_count = 0
        self.machine = machine
        self.space = vf.PhysicalSpace()
        self.bus = vf.Bus()
        self.space.add(vf.ECAM_BASE, 256 << 20, self.bus.ecam_read, self.bus.ecam_write)
        self.bus.add(vf.bdf(0, 0, 0), vf.Function(vf.HOST_BRIDGE))
        self.image = os.urandom(SECTORS * 512)
        self.device = vf.FakeVirtioBlk(self.space, self.bus, self.image, **device_options)
        self.ioapic = vf.FakeIoApic(self.space)
        self.device.install_halt(self.ioapic)
        self.output = bytearray()
        console.sink = lambda data, length: self.output.extend(memory.read(data.address, int(length)))

    def boot(self, cmdline=b""):
        self.machine.info.acpi_rsdp = u64(vf.install_acpi())
        vf.boot_info_with_cmdline(self.machine.info, cmdline)
        pci.init(self.machine.pointer)
        virtio_blk.init()
        return self.output.decode()

    @property
    def dev(self):
        return virtio_blk.block_device(u32(0))


@pytest.fixture
def rig(machine):
    made = []

    def make(**options):
        r = Rig(machine, **options)
        made.append(r)
        return r

    yield make
    console.sink = NULL


def buffer(n_bytes, offset=0):
    raw = kalloc(usize(n_bytes + 4096 + offset))
    return Ptr[u8](((raw.address + 4095) & ~4095) + offset)


def read(dev, lba, count, offset=0):
    buf = buffer(count * 512, offset)
    assert dev.read(dev, u64(lba), u32(count), buf) == 0
    return memory.read(buf.address, count * 512)


def test_bring_up_over_msix(rig):
    r = rig()
    out = r.boot()
    assert "[blk] vda: 4096 sectors (2 MiB), queue 256, MSI-X vector 48\n" in out
    assert "[blk] discovered 1 virtio block device(s)\n" in out
    assert virtio_blk.count == 1
    d = r.device
    assert d.status == 1 | 2 | 8 | 4  # ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK
    assert d.driver_features == vf.VERSION_1 | vf.BLK_F_SEG_MAX | vf.BLK_F_BLK_SIZE | vf.BLK_F_FLUSH
    assert d.queue_enable == 1 and d.queue_size == 256 and d.queue_vector == 0
    assert d.msix_config == vf.NO_VECTOR and d.msix_enabled
    assert d.function.command & (pci.COMMAND_MEMORY | pci.COMMAND_BUS_MASTER) == 6
    disk = virtio_blk.devices[0]
    assert (disk.queue.desc_phys, disk.queue.avail_phys, disk.queue.used_phys) == \
        (d.queue_desc, d.queue_avail, d.queue_used)
    assert r.dev.sector_size == 512 and r.dev.sector_count == SECTORS
    assert memory.read(r.dev.name.address, 4) == b"vda\0"


def test_reads_match_the_disk(rig):
    r = rig()
    r.boot()
    assert read(r.dev, 0, 1) == r.image[:512]
    assert read(r.dev, 100, 7) == r.image[100 * 512:107 * 512]
    assert read(r.dev, SECTORS - 1, 1) == r.image[-512:]
    assert r.device.halts >= 3  # each request was waited for by halting, not by polling


def test_large_transfer_is_split_into_requests_all_in_flight(rig):
    r = rig()
    r.boot()
    assert read(r.dev, 3, 300) == r.image[3 * 512:303 * 512]
    sizes = [(kind, sector, nbytes) for kind, sector, nbytes, _ in r.device.requests]
    assert sizes == [(0, 3, 65536), (0, 131, 65536), (0, 259, 44 * 512)]
    assert r.device.batches == [3]  # the device found all three waiting at once
    assert r.device.notifies == 1  # one kick for the batch


def test_completion_out_of_order_and_one_at_a_time(rig):
    r = rig()
    r.boot()
    r.device.order = "reverse"
    assert read(r.dev, 0, 512) == r.image[:512 * 512]
    r.device.order = "fifo"
    r.device.per_halt = 1
    assert read(r.dev, 1000, 400) == r.image[1000 * 512:1400 * 512]
    assert virtio_blk.devices[0].queue.free_count == 256


def test_physically_contiguous_buffer_is_one_segment(rig):
    r = rig()
    r.boot()
    assert read(r.dev, 5, 24, offset=100) == r.image[5 * 512:29 * 512]
    [(kind, sector, nbytes, segments)] = r.device.requests
    assert (kind, sector, nbytes, segments) == (0, 5, 24 * 512, 1)  # heap pages are adjacent


def test_scattered_pages_become_one_segment_each(rig):
    """A buffer outside the direct map (like kernel .bss) whose pages are physically scattered:
    the driver finds each page through the page tables; the device writes the frames."""
    r = rig()
    r.boot()
    frames_ = [int(frames.alloc()) for _ in range(4)]
    virt = 0xFFFF_FFFF_8010_0000
    for i, f in enumerate(reversed(frames_)):  # virtual page i -> frame 3 - i
        assert paging.map_page(paging.kernel_root, u64(virt + 4096 * i), u64(f), u64(paging.PTE_WRITE))
    buf = Ptr[u8](virt + 100)
    assert r.dev.read(r.dev, u64(5), u32(24), buf) == 0
    [(kind, sector, nbytes, segments)] = r.device.requests
    assert (kind, sector, nbytes, segments) == (0, 5, 24 * 512, 4)
    landed = b"".join(memory.read(vf.DIRECT_MAP + f, 4096) for f in reversed(frames_))
    assert landed[100:100 + 24 * 512] == r.image[5 * 512:29 * 512]


def test_unmapped_buffer_is_refused(rig):
    r = rig()
    r.boot()
    assert r.dev.read(r.dev, u64(0), u32(1), Ptr[u8](0xFFFF_FFFF_8FF0_0000)) == -errno.EFAULT
    assert r.device.requests == []


def test_write_then_flush(rig):
    r = rig()
    r.boot()
    data = os.urandom(3 * 512)
    buf = buffer(len(data))
    memory.write(buf.address, data)
    assert r.dev.write(r.dev, u64(40), u32(3), buf) == 0
    assert bytes(r.device.disk[40 * 512:43 * 512]) == data
    assert r.dev.flush(r.dev) == 0
    assert [(k, s) for k, s, _, _ in r.device.requests] == [(1, 40), (4, 0)]
    assert read(r.dev, 40, 3) == data


def test_errors(rig):
    r = rig()
    r.boot()
    buf = buffer(4096)
    assert r.dev.read(r.dev, u64(SECTORS), u32(1), buf) == -errno.EIO  # past the end
    assert r.dev.read(r.dev, u64(SECTORS - 1), u32(2), buf) == -errno.EIO
    assert r.dev.read(r.dev, u64(0), u32(0), buf) == 0
    assert r.device.requests == []  # none of that reached the device
    r.device.fail_sectors = {200}
    big = buffer(300 * 512)
    assert r.dev.read(r.dev, u64(100), u32(300), big) == -errno.EIO  # the 2nd of 3 requests fails
    assert len(r.device.requests) == 3  # ...but every request in flight was waited for
    assert virtio_blk.devices[0].errors == 1
    r.device.fail_sectors = set()
    assert read(r.dev, 100, 300) == r.image[100 * 512:400 * 512]  # and the disk still works


def test_read_only_disk(rig):
    r = rig(features=vf.QEMU_BLK_FEATURES | vf.BLK_F_RO)
    out = r.boot()
    assert ", read-only" in out
    assert r.dev.write(r.dev, u64(0), u32(1), buffer(512)) == -errno.EROFS
    assert read(r.dev, 0, 1) == r.image[:512]


def test_small_queue_waits_for_free_descriptors(rig):
    r = rig(queue_size=8, seg_max=254)
    out = r.boot()
    assert "queue 8," in out
    disk = virtio_blk.devices[0]
    assert disk.segment_limit == 6  # 8 descriptors minus header and status
    r.device.per_halt = 1
    assert read(r.dev, 0, 200, offset=512) == r.image[:200 * 512]
    assert max(r.device.batches) <= 8
    assert disk.queue.free_count == 8


def test_device_segment_limit_is_respected(rig):
    r = rig(seg_max=2)
    r.boot()
    assert read(r.dev, 0, 64, offset=512) == r.image[:64 * 512]
    assert all(segments <= 2 for _, _, _, segments in r.device.requests)


def test_intx_when_msix_is_disabled(rig):
    r = rig()
    out = r.boot(cmdline=b"pci=nomsi")
    assert "INTx IRQ 11 vector 48" in out
    assert not r.device.msix_enabled and r.device.queue_vector == vf.NO_VECTOR
    assert r.ioapic.vector_of(11) == 48
    assert read(r.dev, 8, 130) == r.image[8 * 512:138 * 512]
    assert r.device.isr == 0  # the handler read (and so acknowledged) the ISR status


def test_intx_when_the_function_has_no_msix(rig):
    r = rig()
    r.device.function.space[0x34] = 0x84  # skip the MSI-X capability
    out = r.boot()
    assert "INTx IRQ 11" in out
    assert read(r.dev, 0, 2) == r.image[:1024]


def test_device_without_version_1_is_refused(rig):
    r = rig(features=vf.BLK_F_FLUSH)
    out = r.boot()
    assert "feature negotiation failed" in out
    assert "[blk] discovered 0 virtio block device(s)" in out
    assert r.device.status & 128  # FAILED


def test_device_rejecting_features_ok(rig):
    r = rig()
    r.device.reject_features = True
    out = r.boot()
    assert "discovered 0" in out


def test_no_flush_feature_means_flush_is_a_no_op(rig):
    r = rig(features=vf.VERSION_1)
    out = r.boot()
    assert "write-through" in out
    assert r.dev.flush(r.dev) == 0
    assert r.device.requests == []


def test_no_disk(machine):
    vf.reset_driver_state()
    space = vf.PhysicalSpace()
    bus = vf.Bus()
    space.add(vf.ECAM_BASE, 256 << 20, bus.ecam_read, bus.ecam_write)
    bus.add(vf.bdf(0, 0, 0), vf.Function(vf.HOST_BRIDGE))
    output = bytearray()
    console.sink = lambda data, length: output.extend(memory.read(data.address, int(length)))
    try:
        machine.info.acpi_rsdp = u64(vf.install_acpi())
        pci.init(machine.pointer)
        virtio_blk.init()
    finally:
        console.sink = NULL
    assert "[blk] discovered 0 virtio block device(s)" in output.decode()


def test_interrupt_state_is_restored(rig):
    from cyrius import rt
    r = rig()
    r.boot()
    rt.cli()
    read(r.dev, 0, 1)
    assert not rt.read_rflags() & (1 << 9)  # called with interrupts off: returns with them off
    rt.sti()
    read(r.dev, 0, 1)
    assert rt.read_rflags() & (1 << 9)


def test_msix_vectors_used_up_falls_back_to_sharing_an_intx_line(rig):
    from cyrius.kernel.arch.x86_64 import ioapic, trap
    from cyrius.kernel.dev import virtio
    r = rig()
    for i in range(virtio.VECTORS):  # another device took every vector, one of them for IRQ 11
        virtio.vectors[i].in_use = True
        virtio.vectors[i].irq = u8(11 if i == 5 else 0)
    virtio.vectors_used = u32(virtio.VECTORS)
    trap.register(u32(53), virtio.on_interrupt)
    ioapic.route_irq(u8(11), u8(53), u32(0))
    out = r.boot()
    assert "INTx IRQ 11 vector 53" in out
    assert read(r.dev, 0, 3) == r.image[:1536]
