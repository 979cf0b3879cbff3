"""PCI enumeration, BARs, capabilities and MSI-X under CPython, on config space captured from QEMU."""
import struct

import pytest
import virtio_fakes as vf

from cyrius.kernel import console
from cyrius.kernel.dev import msix, pci, virtio
from cyrius.kernel.mm import paging
from cyrius.lang import NULL, Array, addr, memory, u8, u32, u64


class Hardware:
    def __init__(self, machine):
        vf.reset_driver_state()
        self.machine = machine
        self.space = vf.PhysicalSpace()
        self.bus = vf.Bus()
        self.space.add(vf.ECAM_BASE, 256 << 20, self.bus.ecam_read, self.bus.ecam_write)
        self.bus.add(vf.bdf(0, 0, 0), vf.Function(vf.HOST_BRIDGE))
        self.blk = self.bus.add(vf.bdf(0, 2, 0), vf.Function(vf.QEMU_VIRTIO_BLK, vf.VIRTIO_BLK_BARS))
        self.net = self.bus.add(vf.bdf(0, 3, 0), vf.Function(vf.QEMU_VIRTIO_NET, {1: 0x1000, 4: 0x4000}))
        self.output = bytearray()
        console.sink = lambda data, length: self.output.extend(memory.read(data.address, int(length)))

    def init(self, mcfg=True, cmdline=b""):
        rsdp = vf.install_acpi(mcfg=mcfg)
        self.machine.info.acpi_rsdp = u64(rsdp)
        vf.boot_info_with_cmdline(self.machine.info, cmdline)
        pci.init(self.machine.pointer)
        return self.output.decode()

    def found(self):
        return [(int(pci.device_at(i).bdf), int(pci.device_at(i).vendor), int(pci.device_at(i).device))
                for i in range(pci.count)]


@pytest.fixture
def hw(machine):
    h = Hardware(machine)
    yield h
    console.sink = NULL


def test_ecam_enumeration_finds_every_function_and_logs(hw):
    out = hw.init()
    assert hw.found() == [(0x000, 0x8086, 0x29C0), (0x010, 0x1AF4, 0x1042), (0x018, 0x1AF4, 0x1041)]
    assert pci.ecam_base == vf.DIRECT_MAP + vf.ECAM_BASE  # inside the direct map: no new mapping
    assert "[pci] 3 functions on 1 bus(es), ECAM at 0x00000000b0000000\n" in out


def test_decoded_header_fields(hw):
    hw.init()
    d = pci.device_at(1)
    assert (d.bus, d.slot, d.function) == (0, 2, 0)
    assert (d.class_code, d.subclass, d.prog_if) == (0x01, 0x00, 0x00)
    assert d.subsystem_id == 0x1100
    assert (d.irq_line, d.irq_pin) == (11, 1)


def test_bars_32_and_64_bit(hw):
    hw.init()
    d = pci.device_at(1)
    kinds = [int(d.bar_kind[i]) for i in range(6)]
    assert kinds == [pci.BAR_NONE, pci.BAR_MEMORY32, pci.BAR_NONE, pci.BAR_NONE, pci.BAR_MEMORY64, pci.BAR_UPPER_HALF]
    assert d.bar_address[1] == 0xC1012000
    assert d.bar_address[4] == 0xE000000000


def test_bar_sizing_restores_the_bar_and_the_command_register(hw):
    hw.init()
    d = pci.device_at(1)
    before = bytes(hw.blk.space[:0x28])
    assert pci.bar_size(d, u32(1)) == 0x1000
    assert pci.bar_size(d, u32(4)) == 0x4000
    assert pci.bar_size(d, u32(5)) == 0  # the upper half is not a BAR of its own
    assert bytes(hw.blk.space[:0x28]) == before
    # Decoding was off while the all-ones probe value sat in the BAR.
    probes = [(off, cmd) for (_, off, w, cmd) in hw.bus.config_writes if off == pci.CFG_COMMAND]
    assert probes[0][1] & (pci.COMMAND_MEMORY | pci.COMMAND_IO) == 0


def test_capability_list_walk(hw):
    hw.init()
    d = pci.device_at(1)
    caps = Array[u32, 8]()
    n = pci.find_capabilities(d, u8(0x09), addr(caps), u32(8))
    assert [int(caps[i]) for i in range(n)] == [0x84, 0x70, 0x60, 0x50, 0x40]
    assert pci.find_capability(d, u8(0x11)) == 0x98
    assert pci.find_capability(d, u8(0x05)) == 0  # no MSI


def test_capability_walk_survives_a_looping_list(hw):
    hw.blk.space[0x41] = 0x98  # common cfg cap now points back at the MSI-X cap: a cycle
    hw.init()
    caps = Array[u32, 64]()
    n = pci.find_capabilities(pci.device_at(1), u8(0x09), addr(caps), u32(64))
    assert n <= pci.CAP_MAX_WALK


def test_64_bit_bar_above_the_direct_map_is_mapped_uncached_in_the_window(hw):
    hw.init()
    d = pci.device_at(1)
    virt = pci.map_bar(d, u32(4))
    assert virt == pci.MMIO_WINDOW
    assert pci.map_bar(d, u32(4)) == virt  # once per BAR
    for page in range(4):
        assert paging.translate(paging.kernel_root, u64(virt + page * 4096)) == 0xE000000000 + page * 4096
        pte = paging.entry_at(paging.kernel_root, u64(virt + page * 4096), u64(1), False)
        assert pte[0] & (pci.PTE_PCD | pci.PTE_PWT | paging.PTE_WRITE) == pci.PTE_PCD | pci.PTE_PWT | paging.PTE_WRITE
    assert paging.translate(paging.kernel_root, u64(virt + 4 * 4096)) == paging.NOT_MAPPED  # guard page
    # and a BAR below 4 GiB is used through the direct map
    assert pci.map_bar(d, u32(1)) == vf.DIRECT_MAP + 0xC1012000


def test_ecam_outside_the_direct_map_is_mapped_with_huge_pages(hw):
    # Pretend the direct map ends at 2 GiB: ECAM (at 2.75 GiB) then needs the window.
    e = paging.entry_at(paging.kernel_root, u64(vf.DIRECT_MAP + 2 * vf.GIB), u64(3), False)
    e[0] = u64(0)
    hw.space.regions.clear()
    memory.reset()
    memory.map_device(pci.MMIO_WINDOW, pci.MMIO_WINDOW_SIZE, hw.space.window_read, hw.space.window_write)
    hw.space.add(vf.ECAM_BASE, 256 << 20, hw.bus.ecam_read, hw.bus.ecam_write)
    hw.init()
    assert pci.ecam_base == pci.MMIO_WINDOW
    pd = paging.entry_at(paging.kernel_root, u64(pci.MMIO_WINDOW), u64(2), False)
    assert pd[0] & paging.PTE_HUGE
    assert len(hw.found()) == 3


def test_legacy_ports_when_there_is_no_mcfg(hw):
    hw.bus.install_legacy_ports()
    out = hw.init(mcfg=False)
    assert pci.ecam_base == 0
    assert hw.found() == [(0x000, 0x8086, 0x29C0), (0x010, 0x1AF4, 0x1042), (0x018, 0x1AF4, 0x1041)]
    assert "legacy config ports" in out
    d = pci.device_at(1)
    assert pci.find_capability(d, u8(0x11)) == 0x98
    assert pci.bar_size(d, u32(4)) == 0x4000  # 32-bit writes through 0xCFC
    pci.enable(d)  # a 16-bit write becomes read-modify-write of the dword
    assert hw.blk.command & (pci.COMMAND_MEMORY | pci.COMMAND_BUS_MASTER) == \
        pci.COMMAND_MEMORY | pci.COMMAND_BUS_MASTER
    assert hw.blk.read(0x06, 2) == 0x0010  # the status half of the dword is unchanged


def test_bridges_lead_to_their_secondary_bus(hw):
    bridge = hw.bus.add(vf.bdf(0, 0x1E, 0), vf.Function(vf.BRIDGE))
    hw.bus.add(vf.bdf(1, 0, 0), vf.Function(vf.BEHIND_BRIDGE))
    assert bridge.read(0x0E, 1) == 1 and bridge.read(0x19, 1) == 1
    out = hw.init()
    assert (0x100, 0x1234, 0x0001) in hw.found()
    assert "on 2 bus(es)" in out


def test_multifunction_devices(hw):
    bridge = hw.bus.functions[0]
    bridge.space[0x0E] = 0x80  # host bridge claims to be multi-function
    hw.bus.add(vf.bdf(0, 0, 3), vf.Function([0x12348086, 0, 0x0C050000, 0]))
    hw.init()
    assert (0x003, 0x8086, 0x1234) in hw.found()


def test_enable_sets_memory_decode_and_bus_master(hw):
    hw.blk.space[4:6] = b"\0\0"
    hw.init()
    pci.enable(pci.device_at(1))
    assert hw.blk.command == pci.COMMAND_MEMORY | pci.COMMAND_BUS_MASTER


def test_pci_nomsi_on_the_command_line(hw):
    out = hw.init(cmdline=b"quiet pci=nomsi")
    assert not pci.msi_allowed
    assert "MSI-X off (pci=nomsi)" in out
    hw.output.clear()
    hw.init(cmdline=b"pci=nomsix")  # a different word
    assert pci.msi_allowed


def test_msix_table_programming(hw):
    hw.init()
    table = bytearray(0x1000)  # BAR1: the table at 0, the pending bits at 0x800

    def write(off, width, value):
        table[off:off + width] = value.to_bytes(width, "little")

    hw.space.regions.clear()
    hw.space.add(0xC1012000, 0x1000, lambda off, width: int.from_bytes(table[off:off + width], "little"), write)
    t = msix.Table()
    d = pci.device_at(1)
    assert msix.probe(addr(t), d)
    assert t.entries == 2 and t.base == vf.DIRECT_MAP + 0xC1012000
    assert struct.unpack("<IIII", table[0:16])[3] & 1 and struct.unpack("<IIII", table[16:32])[3] & 1
    assert msix.route(addr(t), u32(1), u8(49), u32(3))
    assert struct.unpack("<IIII", table[16:32]) == (0xFEE03000, 0, 49, 0)
    assert not msix.route(addr(t), u32(2), u8(50), u32(0))  # past the table
    msix.enable(addr(t), d)
    control = hw.blk.read(0x98 + 2, 2)
    assert control & 0x8000 and not control & 0x4000
    assert hw.blk.command & pci.COMMAND_INTX_DISABLE


def test_virtio_register_blocks_from_the_capabilities(hw):
    hw.init()
    dev = virtio.Device()
    assert virtio.device_type(pci.device_at(1)) == virtio.ID_BLOCK
    assert virtio.device_type(pci.device_at(2)) == virtio.ID_NET
    assert virtio.device_type(pci.device_at(0)) == 0
    assert virtio.probe(addr(dev), pci.device_at(1))
    assert dev.common == pci.MMIO_WINDOW
    assert dev.isr == pci.MMIO_WINDOW + 0x1000
    assert dev.config == pci.MMIO_WINDOW + 0x2000 and dev.config_length == 0x1000
    assert dev.notify == pci.MMIO_WINDOW + 0x3000 and dev.notify_multiplier == 4


def test_virtio_capability_pointing_past_its_bar_is_refused(hw):
    hw.blk.space[0x48:0x4C] = struct.pack("<I", 0x3800)  # common cfg at 0x3800 + 0x1000 > 16 KiB
    hw.init()
    dev = virtio.Device()
    assert not virtio.probe(addr(dev), pci.device_at(1))
