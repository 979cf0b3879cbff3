"""PCI: find every function, read its BARs and capability list, and map BARs for drivers.

Configuration space is reached through ECAM, the memory window the ACPI MCFG table describes
(4 KiB per function, all of PCIe config space), or, when the firmware has no MCFG, through the
legacy ports 0xCF8/0xCFC (the first 256 bytes only). Enumeration starts at the first host bus and
follows PCI-to-PCI bridges to their secondary buses.

Memory BARs that lie inside the direct map are used through it. Others are mapped uncached into
MMIO_WINDOW: OVMF puts 64-bit BARs far above RAM (0xe000000000 on QEMU q35), where the direct map,
which ends at the highest RAM address, does not reach.

Functions are identified by a "bdf" number, bus << 8 | slot << 3 | function, which is also the
function's ECAM offset divided by 4 KiB.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, struct, u8, u16, u32, u64, usize, volatile_load, \
    volatile_store
from cyrius.rt import inb, inl, inw, memcmp, outl

from ..platform import acpi
from .. import console
from ..arch.x86_64 import irq
from ..bootinfo import BootInfo
from ..lib import cmdline
from ..mm import paging, phys

# Configuration-space registers. Type 0 (device) and type 1 (bridge) headers share the first 16 bytes.
CFG_VENDOR_ID: Final = 0x00  # u16; 0xFFFF when no function answers
CFG_DEVICE_ID: Final = 0x02  # u16
CFG_COMMAND: Final = 0x04  # u16
CFG_STATUS: Final = 0x06  # u16
CFG_PROG_IF: Final = 0x09  # u8
CFG_SUBCLASS: Final = 0x0A  # u8
CFG_CLASS: Final = 0x0B  # u8
CFG_HEADER_TYPE: Final = 0x0E  # u8: layout in bits 0-6, multi-function in bit 7
CFG_BAR0: Final = 0x10  # u32 each, BARS of them in a type 0 header, 2 in a type 1
CFG_SECONDARY_BUS: Final = 0x19  # u8, type 1 only
CFG_SUBSYSTEM_ID: Final = 0x2E  # u16, type 0 only
CFG_CAPABILITIES: Final = 0x34  # u8: offset of the first capability
CFG_INTERRUPT_LINE: Final = 0x3C  # u8: the legacy IRQ the firmware routed INTx to
CFG_INTERRUPT_PIN: Final = 0x3D  # u8: 0 = none, 1..4 = INTA..INTD
CAP_ID: Final = 0  # u8 in each capability
CAP_NEXT: Final = 1  # u8 in each capability: next offset, 0 ends the list
CAP_FIRST_VALID: Final = 0x40  # capabilities live after the standard header

COMMAND_IO: Final = 1 << 0
COMMAND_MEMORY: Final = 1 << 1
COMMAND_BUS_MASTER: Final = 1 << 2
COMMAND_INTX_DISABLE: Final = 1 << 10
STATUS_CAPABILITIES: Final = 1 << 4
HEADER_LAYOUT_MASK: Final = 0x7F
HEADER_MULTIFUNCTION: Final = 0x80
HEADER_DEVICE: Final = 0
HEADER_BRIDGE: Final = 1
VENDOR_NONE: Final = 0xFFFF

# BAR register bits.
BAR_IS_IO: Final = 1 << 0
BAR_MEMORY_TYPE_MASK: Final = 0x6
BAR_MEMORY_TYPE_64: Final = 0x4
BAR_MEMORY_FLAGS: Final = 0xF  # type and prefetchable bits below a memory BAR's address
BAR_IO_FLAGS: Final = 0x3

# Device.bar_kind values.
BAR_NONE: Final = 0
BAR_MEMORY32: Final = 1
BAR_MEMORY64: Final = 2
BAR_IO: Final = 3
BAR_UPPER_HALF: Final = 4  # the high dword of the 64-bit BAR before it

# ACPI MCFG: the 36-byte header, 8 reserved bytes, then one 16-byte allocation per ECAM range.
MCFG_ALLOCATIONS: Final = 44
MCFG_ALLOCATION_SIZE: Final = 16
MCFG_BASE: Final = 0  # u64 within an allocation
MCFG_SEGMENT: Final = 8  # u16
MCFG_START_BUS: Final = 10  # u8
MCFG_END_BUS: Final = 11  # u8
ECAM_BUS_SHIFT: Final = 20  # 1 MiB of config space per bus
ECAM_BDF_SHIFT: Final = 12  # 4 KiB per function
ECAM_SIZE: Final = 4096
LEGACY_SIZE: Final = 256

LEGACY_ADDRESS_PORT: Final = 0xCF8
LEGACY_DATA_PORT: Final = 0xCFC
LEGACY_ENABLE: Final = 1 << 31
LEGACY_REGISTER_MASK: Final = 0xFC

# Where BARs outside the direct map are mapped: PML4 slot 384, nothing else lives there.
MMIO_WINDOW: Final = 0xFFFFC00000000000
MMIO_WINDOW_SIZE: Final = 1 << 39
PTE_PWT: Final = 1 << 3
PTE_PCD: Final = 1 << 4  # with PWT: uncached under the default PAT
# No NX bit: it is a reserved bit (a page fault) on CPUs where the loader could not enable NXE.
MMIO_FLAGS: Final = paging.PTE_WRITE | PTE_PWT | PTE_PCD

MAX_DEVICES: Final = 64
MAX_BUSES: Final = 256
SLOTS: Final = 32
FUNCTIONS: Final = 8
BARS: Final = 6
BRIDGE_BARS: Final = 2
CAP_MAX_WALK: Final = 48  # (256 - 64) / 4: a longer list must loop


@struct
class Device:
    bdf: u32
    bus: u8
    slot: u8
    function: u8
    header_type: u8  # layout only (HEADER_DEVICE, HEADER_BRIDGE)
    vendor: u16
    device: u16
    subsystem_id: u16
    class_code: u8
    subclass: u8
    prog_if: u8
    irq_line: u8
    irq_pin: u8
    bar_kind: Array[u8, BARS]
    bar_address: Array[u64, BARS]  # physical (memory) or port number (I/O)
    bar_size: Array[u64, BARS]  # 0 until bar_size() measured it
    bar_virt: Array[u64, BARS]  # 0 until map_bar() mapped it


devices: Array[Device, MAX_DEVICES] = Array[Device, MAX_DEVICES]()
count: u32 = 0
dropped: u32 = 0  # functions found beyond MAX_DEVICES
buses_seen: Array[bool, MAX_BUSES] = Array[bool, MAX_BUSES]()
bus_count: u32 = 0
ecam_base: u64 = 0  # virtual address of bus 0's config space; 0 = legacy ports
ecam_phys: u64 = 0
ecam_start_bus: u32 = 0
ecam_end_bus: u32 = 0
mmio_next: u64 = MMIO_WINDOW
msi_allowed: bool = True  # `pci=nomsi` on the command line makes drivers use INTx


# --- configuration space access --------------------------------------------------------------

def make_bdf(bus: u32, slot: u32, function: u32) -> u32:
    return (bus << 8) | (slot << 3) | function


def ecam_pointer(bdf: u32, offset: u32) -> u64:
    """Virtual address of the register, or 0 if it is outside what ECAM covers."""
    bus: u32 = bdf >> 8
    if bus < ecam_start_bus or bus > ecam_end_bus or offset >= ECAM_SIZE:
        return 0
    return ecam_base + (u64(bdf) << ECAM_BDF_SHIFT) + u64(offset)


def legacy_select(bdf: u32, offset: u32) -> bool:
    """Point the legacy data port at the register; call with interrupts disabled."""
    if offset >= LEGACY_SIZE:
        return False
    outl(u16(LEGACY_ADDRESS_PORT), u32(LEGACY_ENABLE) | (bdf << 8) | (offset & LEGACY_REGISTER_MASK))
    return True


def read(bdf: u32, offset: u32, width: u32) -> u32:
    """A config register `width` bytes wide (1, 2 or 4, naturally aligned), read at that width;
    all ones (like a function that is not there) when out of reach."""
    missing: u32 = u32(0xFFFFFFFF) >> (32 - 8 * width)
    if ecam_base != 0:
        at: u64 = ecam_pointer(bdf, offset)
        if at == 0:
            return missing
        if width == 4:
            return volatile_load(cast(Ptr[u32], usize(at)))
        if width == 2:
            return u32(volatile_load(cast(Ptr[u16], usize(at))))
        return u32(volatile_load(cast(Ptr[u8], usize(at))))
    flags: u64 = irq.save()
    value: u32 = missing
    if legacy_select(bdf, offset):
        port: u16 = u16(LEGACY_DATA_PORT) + u16(offset & (4 - width))  # the register's bytes within the dword
        if width == 4:
            value = inl(port)
        elif width == 2:
            value = u32(inw(port))
        else:
            value = u32(inb(port))
    irq.restore(flags)
    return value


def write(bdf: u32, offset: u32, width: u32, value: u32) -> None:
    """Write a config register 2 or 4 bytes wide. Through the legacy ports a 16-bit write is
    read-modify-write of the dword (outl only)."""
    if ecam_base != 0:
        at: u64 = ecam_pointer(bdf, offset)
        if at == 0:
            return
        if width == 4:
            volatile_store(cast(Ptr[u32], usize(at)), value)
        else:
            volatile_store(cast(Ptr[u16], usize(at)), u16(value))
        return
    register: u32 = offset & LEGACY_REGISTER_MASK
    dword: u32 = value
    if width == 2:
        shift: u32 = (offset & 2) * 8
        dword = (read(bdf, register, u32(4)) & ~(u32(0xFFFF) << shift)) | (value << shift)
    flags: u64 = irq.save()
    if legacy_select(bdf, register):
        outl(u16(LEGACY_DATA_PORT), dword)
    irq.restore(flags)


def read16(bdf: u32, offset: u32) -> u16:
    return u16(read(bdf, offset, u32(2)))


def read8(bdf: u32, offset: u32) -> u8:
    return u8(read(bdf, offset, u32(1)))


def config_read32(d: Ptr[Device], offset: u32) -> u32:
    return read(d.bdf, offset, u32(4))


def config_read16(d: Ptr[Device], offset: u32) -> u16:
    return read16(d.bdf, offset)


def config_read8(d: Ptr[Device], offset: u32) -> u8:
    return read8(d.bdf, offset)


def config_write32(d: Ptr[Device], offset: u32, value: u32) -> None:
    write(d.bdf, offset, u32(4), value)


def config_write16(d: Ptr[Device], offset: u32, value: u16) -> None:
    write(d.bdf, offset, u32(2), u32(value))


# --- capabilities ----------------------------------------------------------------------------

def find_capabilities(d: Ptr[Device], cap_id: u8, out: Ptr[u32], limit: u32) -> u32:
    """Config offsets of the capabilities with this ID, in list order (at most `limit`)."""
    if (config_read16(d, u32(CFG_STATUS)) & STATUS_CAPABILITIES) == 0:
        return 0
    found: u32 = 0
    at: u32 = u32(config_read8(d, u32(CFG_CAPABILITIES)) & 0xFC)
    steps: u32 = 0
    while at >= CAP_FIRST_VALID and steps < CAP_MAX_WALK and found < limit:
        if config_read8(d, at + CAP_ID) == cap_id:
            out[found] = at
            found += 1
        at = u32(config_read8(d, at + CAP_NEXT) & 0xFC)
        steps += 1
    return found


def find_capability(d: Ptr[Device], cap_id: u8) -> u32:
    """Config offset of the first capability with this ID, or 0."""
    one: Array[u32, 1] = Array[u32, 1]()
    if find_capabilities(d, cap_id, addr(one), u32(1)) == 0:
        return 0
    return one[0]


# --- BARs ------------------------------------------------------------------------------------

def bar_register(i: u32) -> u32:
    return CFG_BAR0 + 4 * i


def read_bars(d: Ptr[Device]) -> None:
    """Decode the BARs as the firmware assigned them (reads only; sizing waits for a driver)."""
    limit: u32 = 0
    if d.header_type == HEADER_DEVICE:
        limit = BARS
    elif d.header_type == HEADER_BRIDGE:
        limit = BRIDGE_BARS
    i: u32 = 0
    while i < limit:
        low: u32 = config_read32(d, bar_register(i))
        if low == 0:
            d.bar_kind[i] = BAR_NONE  # unimplemented (reads as zero) or never assigned
        elif (low & BAR_IS_IO) != 0:
            d.bar_kind[i] = BAR_IO
            d.bar_address[i] = u64(low & ~u32(BAR_IO_FLAGS))
        elif (low & BAR_MEMORY_TYPE_MASK) == BAR_MEMORY_TYPE_64 and i + 1 < limit:
            high: u32 = config_read32(d, bar_register(i + 1))
            d.bar_kind[i] = BAR_MEMORY64
            d.bar_address[i] = (u64(high) << 32) | u64(low & ~u32(BAR_MEMORY_FLAGS))
            d.bar_kind[i + 1] = BAR_UPPER_HALF
            i += 1
        else:
            d.bar_kind[i] = BAR_MEMORY32
            d.bar_address[i] = u64(low & ~u32(BAR_MEMORY_FLAGS))
        i += 1


def bar_is_memory(d: Ptr[Device], i: u32) -> bool:
    return i < BARS and (d.bar_kind[i] == BAR_MEMORY32 or d.bar_kind[i] == BAR_MEMORY64)


def probe_bar(d: Ptr[Device], register: u32) -> u32:
    """Write all ones to a BAR register and read back which address bits stick; restore it."""
    saved: u32 = config_read32(d, register)
    config_write32(d, register, u32(0xFFFFFFFF))
    mask: u32 = config_read32(d, register)
    config_write32(d, register, saved)
    return mask


def bar_size(d: Ptr[Device], i: u32) -> u64:
    """Bytes (or ports) the BAR decodes, 0 if it does not exist. Measured once, with decoding
    switched off meanwhile so the all-ones probe address never claims anyone's accesses."""
    if i >= BARS:
        return 0
    kind: u8 = d.bar_kind[i]
    if kind == BAR_NONE or kind == BAR_UPPER_HALF:
        return 0
    if d.bar_size[i] != 0:
        return d.bar_size[i]
    command: u16 = config_read16(d, u32(CFG_COMMAND))
    config_write16(d, u32(CFG_COMMAND), command & ~u16(COMMAND_IO | COMMAND_MEMORY))
    low: u32 = probe_bar(d, bar_register(i))
    mask: u64 = 0
    if kind == BAR_IO:
        io_mask: u32 = low & ~u32(BAR_IO_FLAGS)
        if (io_mask & 0xFFFF0000) == 0:
            io_mask |= 0xFFFF0000  # 16-bit I/O decoders leave the upper half zero
        mask = u64(io_mask) | 0xFFFFFFFF00000000
    elif kind == BAR_MEMORY64:
        high: u32 = probe_bar(d, bar_register(i + 1))
        mask = (u64(high) << 32) | u64(low & ~u32(BAR_MEMORY_FLAGS))
    else:
        mask = u64(low & ~u32(BAR_MEMORY_FLAGS)) | 0xFFFFFFFF00000000
    config_write16(d, u32(CFG_COMMAND), command)
    if mask == 0:
        return 0
    d.bar_size[i] = ~mask + 1
    return d.bar_size[i]


def direct_mapped(address: u64) -> bool:
    return paging.translate(paging.kernel_root, phys.to_virt(address)) == address


def map_mmio(address: u64, size: u64) -> u64:
    """Virtual address through which the kernel reaches [address, address + size) of device
    memory: the direct map when it covers the range, else new uncached pages in MMIO_WINDOW
    (2 MiB pages when the range allows). 0 on failure.

    New window mappings go into paging.kernel_root only: map before any other address space is
    created (at boot), since new_space() copies the kernel half's PML4 entries."""
    global mmio_next
    if size == 0 or address + size < address:
        return 0
    first: u64 = address & ~u64(phys.PAGE - 1)
    last: u64 = (address + size - 1) & ~u64(phys.PAGE - 1)
    if direct_mapped(first) and direct_mapped(last):
        return phys.to_virt(address)
    span: u64 = last + phys.PAGE - first
    step: u64 = phys.PAGE
    if (first & (paging.HUGE_SIZE - 1)) == 0 and (span & (paging.HUGE_SIZE - 1)) == 0:
        step = paging.HUGE_SIZE
    virt: u64 = (mmio_next + step - 1) & ~(step - 1)
    if virt + span > MMIO_WINDOW + MMIO_WINDOW_SIZE:
        return 0
    off: u64 = 0
    while off < span:
        ok: bool = False
        if step == paging.HUGE_SIZE:
            ok = paging.map_huge(paging.kernel_root, virt + off, first + off, u64(MMIO_FLAGS))
        else:
            ok = paging.map_page(paging.kernel_root, virt + off, first + off, u64(MMIO_FLAGS))
        if not ok:
            return 0
        off += step
    mmio_next = virt + span + phys.PAGE  # an unmapped guard page between mappings
    return virt + (address - first)


def map_bar(d: Ptr[Device], i: u32) -> u64:
    """Virtual address of a memory BAR's first byte (mapped once per BAR), or 0."""
    if not bar_is_memory(d, i):
        return 0
    if d.bar_virt[i] != 0:
        return d.bar_virt[i]
    size: u64 = bar_size(d, i)
    if size == 0 or d.bar_address[i] == 0:
        return 0
    d.bar_virt[i] = map_mmio(d.bar_address[i], size)
    return d.bar_virt[i]


def enable(d: Ptr[Device]) -> None:
    """Let the function decode its memory BARs and master the bus (DMA, MSI writes)."""
    command: u16 = config_read16(d, u32(CFG_COMMAND))
    config_write16(d, u32(CFG_COMMAND), command | u16(COMMAND_MEMORY | COMMAND_BUS_MASTER))


def set_intx(d: Ptr[Device], enabled: bool) -> None:
    command: u16 = config_read16(d, u32(CFG_COMMAND))
    if enabled:
        command &= ~u16(COMMAND_INTX_DISABLE)
    else:
        command |= u16(COMMAND_INTX_DISABLE)
    config_write16(d, u32(CFG_COMMAND), command)


# --- enumeration -----------------------------------------------------------------------------

def record(bdf: u32) -> None:
    global count, dropped
    if count == MAX_DEVICES:
        dropped += 1
        return
    d: Ptr[Device] = addr(devices) + count
    d.bdf = bdf
    d.bus = u8(bdf >> 8)
    d.slot = u8((bdf >> 3) & 0x1F)
    d.function = u8(bdf & 7)
    d.vendor = read16(bdf, u32(CFG_VENDOR_ID))
    d.device = read16(bdf, u32(CFG_DEVICE_ID))
    d.header_type = read8(bdf, u32(CFG_HEADER_TYPE)) & HEADER_LAYOUT_MASK
    d.class_code = read8(bdf, u32(CFG_CLASS))
    d.subclass = read8(bdf, u32(CFG_SUBCLASS))
    d.prog_if = read8(bdf, u32(CFG_PROG_IF))
    d.subsystem_id = 0
    if d.header_type == HEADER_DEVICE:
        d.subsystem_id = read16(bdf, u32(CFG_SUBSYSTEM_ID))
    d.irq_line = read8(bdf, u32(CFG_INTERRUPT_LINE))
    d.irq_pin = read8(bdf, u32(CFG_INTERRUPT_PIN))
    for i in range(BARS):
        d.bar_kind[i] = BAR_NONE
        d.bar_address[i] = 0
        d.bar_size[i] = 0
        d.bar_virt[i] = 0
    read_bars(d)
    count += 1


def scan_function(bdf: u32) -> None:
    record(bdf)
    if (read8(bdf, u32(CFG_HEADER_TYPE)) & HEADER_LAYOUT_MASK) == HEADER_BRIDGE:
        scan_bus(u32(read8(bdf, u32(CFG_SECONDARY_BUS))))


def scan_slot(bus: u32, slot: u32) -> None:
    if read16(make_bdf(bus, slot, u32(0)), u32(CFG_VENDOR_ID)) == VENDOR_NONE:
        return
    functions: u32 = 1
    if (read8(make_bdf(bus, slot, u32(0)), u32(CFG_HEADER_TYPE)) & HEADER_MULTIFUNCTION) != 0:
        functions = FUNCTIONS
    for f in range(functions):
        bdf: u32 = make_bdf(bus, slot, f)
        if read16(bdf, u32(CFG_VENDOR_ID)) != VENDOR_NONE:
            scan_function(bdf)


def scan_bus(bus: u32) -> None:
    """Every function on `bus`, then (through bridges) the buses behind it; each bus once."""
    global bus_count
    if bus >= MAX_BUSES or buses_seen[bus]:
        return
    buses_seen[bus] = True
    bus_count += 1
    for slot in range(u32(0), u32(SLOTS)):
        scan_slot(bus, slot)


def find_table(rsdp_address: u64, signature: Ptr[u8]) -> Ptr[acpi.SdtHeader]:
    """An ACPI table by signature, through the RSDP and XSDT (or RSDT); NULL if absent.
    acpi.py decodes only what it uses at boot, so PCI walks the root table itself."""
    if rsdp_address == 0:
        return NULL
    rsdp: Ptr[u8] = phys.bytes_at(rsdp_address)
    if memcmp(cast(Ptr[None], rsdp), cast(Ptr[None], b"RSD PTR "), usize(8)) != 0 or \
            not acpi.checksum_ok(rsdp, u32(20)):
        return NULL
    root_address: u64 = u64(acpi.read_u32(rsdp + 16))
    entry_size: u32 = 4
    if rsdp[15] >= 2 and acpi.read_u64(rsdp + 24) != 0:
        root_address = acpi.read_u64(rsdp + 24)
        entry_size = 8
    root: Ptr[acpi.SdtHeader] = acpi.table_at(root_address)
    if root == NULL:
        return NULL
    entries: Ptr[u8] = cast(Ptr[u8], root) + 36
    for i in range((root.length - 36) // entry_size):
        slot: Ptr[u8] = entries + i * entry_size
        address: u64 = acpi.read_u64(slot) if entry_size == 8 else u64(acpi.read_u32(slot))
        t: Ptr[acpi.SdtHeader] = acpi.table_at(address)
        if t != NULL and acpi.has_signature(t, signature):
            return t
    return NULL


def setup_ecam(mcfg: Ptr[acpi.SdtHeader]) -> bool:
    """Map segment 0's ECAM range from the MCFG; False leaves the legacy ports in use."""
    global ecam_base, ecam_phys, ecam_start_bus, ecam_end_bus
    base: Ptr[u8] = cast(Ptr[u8], mcfg)
    off: u32 = MCFG_ALLOCATIONS
    while off + MCFG_ALLOCATION_SIZE <= mcfg.length:
        entry: Ptr[u8] = base + off
        segment: u16 = u16(entry[MCFG_SEGMENT]) | (u16(entry[MCFG_SEGMENT + 1]) << 8)
        start: u32 = u32(entry[MCFG_START_BUS])
        end: u32 = u32(entry[MCFG_END_BUS])
        address: u64 = acpi.read_u64(entry + MCFG_BASE)
        if segment == 0 and end >= start and address != 0:
            window: u64 = address + (u64(start) << ECAM_BUS_SHIFT)
            virt: u64 = map_mmio(window, u64(end - start + 1) << ECAM_BUS_SHIFT)
            if virt == 0:
                return False
            ecam_phys = address
            ecam_start_bus = start
            ecam_end_bus = end
            ecam_base = virt - (u64(start) << ECAM_BUS_SHIFT)
            return True
        off += MCFG_ALLOCATION_SIZE
    return False


def init(info: Ptr[BootInfo]) -> None:
    global count, dropped, bus_count, ecam_base, ecam_start_bus, ecam_end_bus, msi_allowed
    count = 0
    dropped = 0
    bus_count = 0
    ecam_base = 0
    ecam_start_bus = 0
    ecam_end_bus = 0
    for b in range(MAX_BUSES):
        buses_seen[b] = False
    msi_allowed = not cmdline.boot_has(info, b"pci=nomsi")
    mcfg: Ptr[acpi.SdtHeader] = find_table(info.acpi_rsdp, b"MCFG")
    if mcfg != NULL and setup_ecam(mcfg):
        scan_bus(ecam_start_bus)
    else:
        scan_bus(u32(0))
    console.puts(b"[pci] ")
    console.put_dec(u64(count))
    console.puts(b" functions on ")
    console.put_dec(u64(bus_count))
    if ecam_base != 0:
        console.puts(b" bus(es), ECAM at ")
        console.put_hex(ecam_phys)
    else:
        console.puts(b" bus(es), legacy config ports")
    if not msi_allowed:
        console.puts(b", MSI-X off (pci=nomsi)")
    console.puts(b"\n")
    if dropped != 0:
        console.log(b"pci", b"warning: more functions than the device table holds; some are ignored")


def device_at(i: u32) -> Ptr[Device]:
    return addr(devices) + i
