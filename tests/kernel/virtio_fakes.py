"""Fake PCI hardware for host-mode tests of pci.py, virtio.py and virtio_blk.py.

* PCI functions whose configuration space starts as bytes captured from a real machine (QEMU 7.2
  q35 + OVMF 2022.11, `xp /64wx` over ECAM in the QEMU monitor) and behaves like hardware where
  the drivers depend on it: BAR address bits below the BAR's size are hard-wired to zero (so
  writing all ones reads back the size mask), IDs are read-only.
* A physical address space: ECAM from an ACPI MCFG table, BARs, an I/O APIC. The kernel's two
  views of it are both simulated: the direct map (1 GiB pages over the first 4 GiB) and the MMIO
  window, whose accesses are translated through the kernel's page tables, as the MMU would.
* The legacy 0xCF8/0xCFC ports over the same functions.
* A virtio-blk device (modern, virtio 1.0) doing DMA on simulated memory. It only works when the
  driver halts (sti_hlt): a driver that polled instead would never see its requests complete.
"""
from __future__ import annotations

import struct

from cyrius import rt
from cyrius.kernel.arch.x86_64 import ioapic, lapic, trap
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.dev import pci
from cyrius.kernel.mm import paging, phys
from cyrius.lang import NULL, addr, memory, u64

DIRECT_MAP = 0x40_0000_0000  # tests/kernel/conftest.py
GIB = 1 << 30
ECAM_BASE = 0xB000_0000
IOAPIC_BASE = 0xFEC0_0000
ACPI_AREA = 0xE_0000  # RSDP, XSDT and MCFG in low memory, as firmware puts them

# 00:02.0 virtio-blk-pci,disable-legacy=on: BAR1 (MSI-X table, 4 KiB) at 0xc1012000, BAR4 (64-bit,
# 16 KiB: common/isr/device/notify) at 0xe000000000; capabilities at 0x98 (MSI-X, 2 entries),
# then vendor-specific 0x84 (PCI cfg access), 0x70 (notify), 0x60 (device), 0x50 (ISR), 0x40 (common).
QEMU_VIRTIO_BLK = [
    0x10421af4, 0x00100007, 0x01000001, 0x00000000, 0x00000000, 0xc1012000, 0x00000000, 0x00000000,
    0x0000000c, 0x000000e0, 0x00000000, 0x11001af4, 0x00000000, 0x00000098, 0x00000000, 0x0000010b,
    0x01100009, 0x00000004, 0x00000000, 0x00001000, 0x03104009, 0x00000004, 0x00001000, 0x00001000,
    0x04105009, 0x00000004, 0x00002000, 0x00001000, 0x02146009, 0x00000004, 0x00003000, 0x00001000,
    0x00000004, 0x05147009, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00018411, 0x00000001,
    0x00000801,
]
# 00:03.0 virtio-net-pci,disable-legacy=on: the same layout, BAR1 0xc1011000, BAR4 0xe000004000.
QEMU_VIRTIO_NET = [
    0x10411af4, 0x00100007, 0x02000001, 0x00000000, 0x00000000, 0xc1011000, 0x00000000, 0x00000000,
    0x0000400c, 0x000000e0, 0x00000000, 0x11001af4, 0x00000000, 0x00000098, 0x00000000, 0x0000010b,
    0x01100009, 0x00000004, 0x00000000, 0x00001000, 0x03104009, 0x00000004, 0x00001000, 0x00001000,
    0x04105009, 0x00000004, 0x00002000, 0x00001000, 0x02146009, 0x00000004, 0x00003000, 0x00001000,
    0x00000004, 0x05147009, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00038411, 0x00000001,
    0x00000801,
]
HOST_BRIDGE = [0x29c08086, 0x00000000, 0x06000000, 0x00000000]  # 00:00.0, Q35 MCH
# A PCI-to-PCI bridge (type 1 header) with secondary bus 1, and a device behind it.
BRIDGE = [0x000e1b36, 0x00100007, 0x06040000, 0x00010000, 0, 0, 0x00010100]
BEHIND_BRIDGE = [0x00011234, 0x00000000, 0xff000000, 0x00000000]

VIRTIO_BLK_BARS = {1: 0x1000, 4: 0x4000}
VIRTIO_BLK_BAR1 = 0xC101_2000
VIRTIO_BLK_BAR4 = 0xE0_0000_0000


def bdf(bus, slot, function):
    return bus << 8 | slot << 3 | function


class Function:
    """One PCI function's configuration space."""

    def __init__(self, dwords, bar_sizes=None):
        self.space = bytearray(4096)
        for i, d in enumerate(dwords):
            self.space[4 * i:4 * i + 4] = struct.pack("<I", d)
        self.bar_sizes = dict(bar_sizes or {})

    def read(self, offset, width):
        return int.from_bytes(self.space[offset:offset + width], "little")

    def write(self, offset, width, value):
        if 0x10 <= offset < 0x28:
            assert width == 4 and offset % 4 == 0, "BARs are written as whole dwords"
            self.write_bar((offset - 0x10) // 4, value)
        elif offset >= 4 and not 8 <= offset < 0x0C:  # vendor/device and class are read-only
            self.space[offset:offset + width] = value.to_bytes(width, "little")

    def write_bar(self, i, value):
        old = self.read(0x10 + 4 * i, 4)
        if i in self.bar_sizes:  # the low (or only) dword: flag bits are read-only
            size = self.bar_sizes[i]
            new = (value & ~(size - 1) & 0xFFFFFFF0) | (old & 0xF)
        elif i - 1 in self.bar_sizes and self.read(0x10 + 4 * (i - 1), 4) & 0x6 == 0x4:
            new = value & (~(self.bar_sizes[i - 1] - 1) >> 32) & 0xFFFFFFFF
        else:
            new = 0  # not implemented
        self.space[0x10 + 4 * i:0x14 + 4 * i] = struct.pack("<I", new & 0xFFFFFFFF)

    @property
    def command(self):
        return self.read(0x04, 2)

    def capability(self, cap_id):
        at = self.space[0x34]
        while at:
            if self.space[at] == cap_id:
                return at
            at = self.space[at + 1]
        return 0


class Bus:
    """Config space of every function, by bdf, through ECAM and through the legacy ports."""

    def __init__(self):
        self.functions = {}
        self.legacy_address = 0
        self.config_writes = []

    def add(self, where, function):
        self.functions[where] = function
        return function

    def read(self, where, offset, width):
        f = self.functions.get(where)
        return f.read(offset, width) if f else (1 << (8 * width)) - 1

    def write(self, where, offset, width, value):
        self.config_writes.append((where, offset, width, value))
        f = self.functions.get(where)
        if f:
            f.write(offset, width, value)

    def ecam_read(self, offset, width):
        return self.read(offset >> 12, offset & 0xFFF, width)

    def ecam_write(self, offset, width, value):
        self.write(offset >> 12, offset & 0xFFF, width, value)

    def install_legacy_ports(self):
        def outl(port, value):
            if port == 0xCF8:
                self.legacy_address = int(value)
            else:
                assert port == 0xCFC and self.legacy_address >> 31
                self.write((self.legacy_address >> 8) & 0xFFFF, self.legacy_address & 0xFC, 4, int(value))

        def port_read(width):
            def read(port):
                assert 0xCFC <= port < 0xD00 and self.legacy_address >> 31
                reg = (self.legacy_address & 0xFC) + (int(port) - 0xCFC)
                return self.read((self.legacy_address >> 8) & 0xFFFF, reg, width)
            return read

        rt.fake("outl", outl)
        rt.fake("inl", port_read(4))
        rt.fake("inw", port_read(2))
        rt.fake("inb", port_read(1))


def sdt(signature: bytes, body: bytes, revision=1) -> bytes:
    length = 36 + len(body)
    header = struct.pack("<4sIBB6s8sIII", signature, length, revision, 0, b"CYRIUS", b"TESTTBL ", 1, 0, 0)
    raw = bytearray(header + body)
    raw[9] = (-sum(raw)) & 0xFF
    return bytes(raw)


def write_phys(address, data):
    memory.write(DIRECT_MAP + address, data)


def install_acpi(mcfg=True, start_bus=0, end_bus=255):
    """RSDP (ACPI 2) -> XSDT -> MCFG for segment 0. Returns the RSDP's physical address."""
    rsdp, xsdt, mcfg_at = ACPI_AREA, ACPI_AREA + 0x100, ACPI_AREA + 0x200
    tables = []
    if mcfg:
        body = bytes(8) + struct.pack("<QHBBI", ECAM_BASE, 0, start_bus, end_bus, 0)
        write_phys(mcfg_at, sdt(b"MCFG", body))
        tables.append(mcfg_at)
    write_phys(xsdt, sdt(b"XSDT", b"".join(struct.pack("<Q", t) for t in tables)))
    raw = bytearray(struct.pack("<8sB6sBIIQB3s", b"RSD PTR ", 0, b"CYRIUS", 2, 0, 36, xsdt, 0, b"\0\0\0"))
    raw[8] = (-sum(raw[:20])) & 0xFF
    raw[32] = (-sum(raw)) & 0xFF
    write_phys(rsdp, bytes(raw))
    return rsdp


class PhysicalSpace:
    """Device memory by physical address, seen through the direct map and the MMIO window."""

    def __init__(self):
        self.regions = []  # (base, size, read(offset, width), write(offset, width, value))
        paging.kernel_root = paging.new_table()
        for g in range(4):  # the loader maps at least 4 GiB with 1 GiB pages
            e = paging.entry_at(paging.kernel_root, u64(DIRECT_MAP + g * GIB), u64(3), True)
            e[0] = u64(g * GIB | paging.PTE_PRESENT | paging.PTE_WRITE | paging.PTE_HUGE)
        memory.map_device(pci.MMIO_WINDOW, pci.MMIO_WINDOW_SIZE, self.window_read, self.window_write)

    def add(self, base, size, read, write):
        """A device region; below 4 GiB it is also reachable through the direct map."""
        self.regions.append((base, size, read, write))
        if base + size <= 4 * GIB:
            memory.map_device(DIRECT_MAP + base, size, read, write)

    def find(self, address):
        for base, size, read, write in self.regions:
            if base <= address < base + size:
                return base, read, write
        raise AssertionError(f"access to physical {address:#x}: no device there")

    def translate(self, offset):
        phys_addr = paging.translate(paging.kernel_root, u64(pci.MMIO_WINDOW + offset))
        assert phys_addr != paging.NOT_MAPPED, f"MMIO window +{offset:#x} is not mapped"
        return int(phys_addr)

    def window_read(self, offset, width):
        address = self.translate(offset)
        base, read, _ = self.find(address)
        return read(address - base, width)

    def window_write(self, offset, width, value):
        address = self.translate(offset)
        base, _, write = self.find(address)
        write(address - base, width, value)


class FakeIoApic:
    """Registers through IOREGSEL/IOWIN; remembers the redirection entries."""

    def __init__(self, space):
        self.select = 0
        self.regs = {1: 23 << 16}  # version register: 24 entries
        space.add(IOAPIC_BASE, 0x20, self.read, self.write)
        ioapic.base = phys.to_virt(u64(IOAPIC_BASE))

    def read(self, offset, width):
        return self.regs.get(self.select, 0) if offset == 0x10 else self.select

    def write(self, offset, width, value):
        if offset == 0:
            self.select = value
        else:
            self.regs[self.select] = value

    def vector_of(self, gsi):
        low = self.regs.get(0x10 + 2 * gsi, 1 << 16)
        return None if low & (1 << 16) else low & 0xFF


def deliver(vector):
    """What the CPU does for an external interrupt: kernel_trap with the vector in the frame."""
    frame = TrapFrame()
    frame.vector = u64(vector)
    trap.kernel_trap(addr(frame))


# --- virtio-blk --------------------------------------------------------------------------------

VERSION_1 = 1 << 32
BLK_F_SEG_MAX = 1 << 2
BLK_F_BLK_SIZE = 1 << 6
BLK_F_FLUSH = 1 << 9
BLK_F_RO = 1 << 5
QEMU_BLK_FEATURES = VERSION_1 | BLK_F_SEG_MAX | BLK_F_BLK_SIZE | BLK_F_FLUSH | (1 << 28) | (1 << 29)
NO_VECTOR = 0xFFFF


class FakeVirtioBlk:
    """A modern virtio-blk device: the register blocks of QEMU's layout in BAR4, the MSI-X table
    in BAR1, one request queue, and a disk image in a bytearray."""

    def __init__(self, space, bus, disk: bytes, where=0x010, queue_size=256, features=QEMU_BLK_FEATURES,
                 seg_max=254, msix_entries=2):
        self.disk = bytearray(disk)  # `where`: the bdf, 00:02.0 as in QEMU
        self.function = bus.add(where, Function(QEMU_VIRTIO_BLK, VIRTIO_BLK_BARS))
        control = self.function.capability(0x11) + 2
        self.function.space[control:control + 2] = struct.pack("<H", msix_entries - 1)
        self.function.space[0x3C] = 11  # interrupt line as OVMF routes it
        space.add(VIRTIO_BLK_BAR4, 0x4000, self.bar4_read, self.bar4_write)
        space.add(VIRTIO_BLK_BAR1, 0x1000, self.bar1_read, self.bar1_write)
        self.features = features
        self.seg_max = seg_max
        self.max_queue_size = queue_size
        self.msix_table = bytearray(16 * msix_entries)
        self.order = "fifo"  # or "reverse": completion order within one batch
        self.per_halt = None  # complete at most this many requests per halt (None: all)
        self.fail_sectors = set()  # IN/OUT touching these sectors get VIRTIO_BLK_S_IOERR
        self.reject_features = False
        self.requests = []  # (type, sector, bytes, data segments) per request executed
        self.batches = []  # how many requests were waiting each time the device looked
        self.notifies = 0
        self.halts = 0
        self.reset()

    def reset(self):
        self.status = 0
        self.device_feature_select = 0
        self.driver_feature_select = 0
        self.driver_features = 0
        self.msix_config = NO_VECTOR
        self.queue_select = 0
        self.queue_size = self.max_queue_size
        self.queue_vector = NO_VECTOR
        self.queue_enable = 0
        self.queue_desc = self.queue_avail = self.queue_used = 0
        self.isr = 0
        self.last_avail = 0
        self.used_idx = 0
        self.waiting = []  # (head, written bytes) executed but not yet returned

    # -- register blocks -----------------------------------------------------------------------

    def bar4_read(self, offset, width):
        if offset < 0x1000:
            return self.common_read(offset, width)
        if offset < 0x2000:
            value, self.isr = self.isr, 0  # reading the ISR status acknowledges it
            return value
        if offset < 0x3000:
            config = struct.pack("<QIIHBBI", len(self.disk) // 512, 0, self.seg_max, 0, 0, 0, 512)
            off = offset - 0x2000
            return int.from_bytes(config[off:off + width].ljust(width, b"\0"), "little")
        return 0

    def bar4_write(self, offset, width, value):
        if offset < 0x1000:
            self.common_write(offset, width, value)
        elif 0x3000 <= offset < 0x4000:
            assert width == 2 and value == 0, "notify: the 16-bit queue index of queue 0"
            self.notifies += 1

    def common_read(self, offset, width):
        if offset == 0x04:
            return (self.features >> (32 * self.device_feature_select)) & 0xFFFFFFFF
        if offset == 0x0C:
            return (self.driver_features >> (32 * self.driver_feature_select)) & 0xFFFFFFFF
        q = self.queue_select == 0
        registers = {
            0x00: self.device_feature_select, 0x08: self.driver_feature_select, 0x10: self.msix_config,
            0x12: 1, 0x14: self.status, 0x15: 0, 0x16: self.queue_select,
            0x18: self.queue_size if q else 0, 0x1A: self.queue_vector if q else NO_VECTOR,
            0x1C: self.queue_enable if q else 0, 0x1E: 0,
            0x20: self.queue_desc & 0xFFFFFFFF, 0x24: self.queue_desc >> 32,
            0x28: self.queue_avail & 0xFFFFFFFF, 0x2C: self.queue_avail >> 32,
            0x30: self.queue_used & 0xFFFFFFFF, 0x34: self.queue_used >> 32,
        }
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
            self.msix_config = value if value < self.msix_entries else NO_VECTOR
        elif offset == 0x14:
            if value == 0:
                self.reset()
                return
            if value & 8 and not self.status & 8:  # FEATURES_OK: accept only what was offered
                ok = not self.reject_features and self.driver_features & ~self.features == 0 \
                    and self.driver_features & VERSION_1
                if not ok:
                    value &= ~8
            self.status = value
        elif offset == 0x16:
            self.queue_select = value
        elif self.queue_select != 0:
            return
        elif offset == 0x18:
            assert value & (value - 1) == 0 and 0 < value <= self.max_queue_size
            self.queue_size = value
        elif offset == 0x1A:
            self.queue_vector = value if value < self.msix_entries else NO_VECTOR
        elif offset == 0x1C:
            self.queue_enable = value
        elif 0x20 <= offset < 0x38:
            name = {0x20: "queue_desc", 0x28: "queue_avail", 0x30: "queue_used"}[offset & ~7]
            old = getattr(self, name)
            if offset & 4:
                setattr(self, name, (old & 0xFFFFFFFF) | (value << 32))
            else:
                setattr(self, name, (old & ~0xFFFFFFFF) | value)
        else:
            raise AssertionError(f"write to common cfg {offset:#x}")

    @property
    def msix_entries(self):
        return len(self.msix_table) // 16

    def bar1_read(self, offset, width):
        if offset < len(self.msix_table):
            return int.from_bytes(self.msix_table[offset:offset + width], "little")
        return 0  # pending-bit array

    def bar1_write(self, offset, width, value):
        if offset < len(self.msix_table):
            self.msix_table[offset:offset + width] = value.to_bytes(width, "little")

    @property
    def msix_enabled(self):
        control = self.function.read(self.function.capability(0x11) + 2, 2)
        return bool(control & 0x8000) and not control & 0x4000

    # -- the queue -----------------------------------------------------------------------------

    def mem(self, address, n):
        return memory.read(DIRECT_MAP + address, n)

    def u16(self, address):
        return struct.unpack("<H", self.mem(address, 2))[0]

    def chain(self, head):
        descs = []
        at = head
        while True:
            assert at < self.queue_size and len(descs) < self.queue_size, "descriptor chain loops"
            a, length, flags, nxt = struct.unpack("<QIHH", self.mem(self.queue_desc + 16 * at, 16))
            descs.append((a, length, flags))
            if not flags & 1:
                return descs
            at = nxt

    def execute(self, head):
        """Carry out one request; returns the bytes written into device-writable buffers."""
        descs = self.chain(head)
        (hdr_addr, hdr_len, hdr_flags), data, (st_addr, st_len, st_flags) = descs[0], descs[1:-1], descs[-1]
        assert hdr_len == 16 and not hdr_flags & 2, "header: 16 device-readable bytes"
        assert st_len == 1 and st_flags & 2, "status: one device-writable byte"
        kind, _, sector = struct.unpack("<IIQ", self.mem(hdr_addr, 16))
        total = sum(length for _, length, _ in data)
        self.requests.append((kind, sector, total, len(data)))
        status, written = 0, 1
        if kind in (0, 1):
            assert data and total % 512 == 0
            assert all(bool(flags & 2) == (kind == 0) for _, _, flags in data), "data direction"
            first, end = sector * 512, sector * 512 + total
            touched = set(range(sector, sector + total // 512))
            if end > len(self.disk) or touched & self.fail_sectors:
                status = 1
            elif kind == 0:
                pos = first
                for a, length, _ in data:
                    memory.write(DIRECT_MAP + a, bytes(self.disk[pos:pos + length]))
                    pos += length
                written += total
            else:
                pos = first
                for a, length, _ in data:
                    self.disk[pos:pos + length] = self.mem(a, length)
                    pos += length
        elif kind == 4:
            assert not data
        else:
            status = 2
        memory.write(DIRECT_MAP + st_addr, bytes([status]))
        return written

    def step(self):
        """The device's turn (the CPU is halted): take new requests, return some, interrupt.
        False if there was nothing at all to do."""
        if not (self.status & 4 and self.queue_enable):
            return False
        avail_idx = self.u16(self.queue_avail + 2)
        new = 0
        while self.last_avail != avail_idx:
            head = self.u16(self.queue_avail + 4 + 2 * (self.last_avail % self.queue_size))
            self.waiting.append((head, self.execute(head)))
            self.last_avail = (self.last_avail + 1) & 0xFFFF
            new += 1
        if new:
            self.batches.append(new)
        if not self.waiting:
            return False
        batch = self.waiting if self.per_halt is None else self.waiting[:self.per_halt]
        self.waiting = self.waiting[len(batch):]
        if self.order == "reverse":
            batch = batch[::-1]
        for head, written in batch:
            slot = self.queue_used + 4 + 8 * (self.used_idx % self.queue_size)
            memory.write(DIRECT_MAP + slot, struct.pack("<II", head, written))
            self.used_idx = (self.used_idx + 1) & 0xFFFF
        memory.write(DIRECT_MAP + self.queue_used + 2, struct.pack("<H", self.used_idx))
        self.interrupt()
        return True

    def interrupt(self, ioapic_fake=None):
        if self.msix_enabled:
            assert self.queue_vector != NO_VECTOR, "MSI-X on, but the queue has no vector"
            entry = self.msix_table[16 * self.queue_vector:16 * self.queue_vector + 16]
            address, high, data, control = struct.unpack("<IIII", entry)
            assert not control & 1, "the queue's MSI-X entry is masked"
            assert address & 0xFFF00000 == 0xFEE00000 and high == 0
            deliver(data & 0xFF)
        else:
            assert not self.function.command & (1 << 10), "INTx is disabled in the command register"
            self.isr |= 1
            vector = self.ioapic.vector_of(self.function.space[0x3C])
            assert vector is not None, "INTx line not routed"
            deliver(vector)

    def install_halt(self, ioapic_fake=None):
        """sti_hlt runs the device; a halt with nothing in flight would sleep forever."""
        self.ioapic = ioapic_fake

        def sti_hlt():
            rt.sti()
            self.halts += 1
            assert self.step(), "the driver halted with no request in flight: it would never wake"

        rt.fake("sti_hlt", sti_hlt)


def boot_info_with_cmdline(info, text: bytes):
    """Point the BootInfo's command line at `text` (as the loader does, NUL-terminated)."""
    where = memory.alloc(len(text) + 1)
    memory.write(where, text + b"\0")
    info.cmdline = u64(where)
    info.cmdline_len = u64(len(text))


def reset_driver_state():
    """Module state that survives between tests the way it would not survive a reboot."""
    from cyrius.kernel.dev import virtio
    for i in range(len(virtio.vectors)):
        virtio.vectors[i].in_use = False
        virtio.vectors[i].queue = NULL
        virtio.vectors[i].devices = NULL
    virtio.vectors_used = 0
    pci.mmio_next = u64(pci.MMIO_WINDOW)
    lapic.base = 0
