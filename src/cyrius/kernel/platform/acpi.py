"""ACPI tables: find the IOAPIC and interrupt overrides (MADT), the PM timer and S5 (FADT/DSDT).

Only what the kernel uses is decoded. Every table is reached through the direct map and its length
and checksum are verified before use.
"""
from cyrius.lang import Array, Final, Ptr, addr, cast, struct, u8, u16, u32, u64, usize
from cyrius.rt import memcmp

from ..mm import phys

MADT_LOCAL_APIC_ADDRESS: Final = 36
MADT_ENTRIES: Final = 44
MADT_IOAPIC: Final = 1
MADT_OVERRIDE: Final = 2
MADT_LAPIC_OVERRIDE: Final = 5
MAX_OVERRIDES: Final = 16
PM_TIMER_HZ: Final = 3579545


@struct
class SdtHeader:
    signature: Array[u8, 4]
    length: u32
    revision: u8
    checksum: u8
    oem_id: Array[u8, 6]
    oem_table_id: Array[u8, 8]
    oem_revision: u32
    creator_id: u32
    creator_revision: u32


@struct
class Override:
    source: u8  # ISA IRQ
    pad: u8
    flags: u16  # MPS INTI flags: polarity bits 0-1, trigger bits 2-3
    gsi: u32


@struct
class AcpiInfo:
    found: bool
    lapic_address: u64
    ioapic_address: u64
    ioapic_gsi_base: u32
    override_count: u32
    overrides: Array[Override, MAX_OVERRIDES]
    pm_timer_port: u32
    pm_timer_32bit: bool
    pm1a_control_port: u32
    pm1b_control_port: u32
    s5_sleep_type_a: u16
    s5_sleep_type_b: u16
    s5_found: bool
    table_count: u32


info: AcpiInfo = AcpiInfo()


def checksum_ok(p: Ptr[u8], length: u32) -> bool:
    total: u8 = 0
    for i in range(length):
        total += p[i]
    return total == 0


def read_u32(p: Ptr[u8]) -> u32:
    return u32(p[0]) | (u32(p[1]) << 8) | (u32(p[2]) << 16) | (u32(p[3]) << 24)


def read_u64(p: Ptr[u8]) -> u64:
    return u64(read_u32(p)) | (u64(read_u32(p + 4)) << 32)


def table_at(address: u64) -> Ptr[SdtHeader]:
    """A verified table at a physical address, or a null pointer."""
    if address == 0:
        return cast(Ptr[SdtHeader], usize(0))
    header: Ptr[SdtHeader] = cast(Ptr[SdtHeader], phys.bytes_at(address))
    if header.length < 36 or header.length > 0x100000:
        return cast(Ptr[SdtHeader], usize(0))
    if not checksum_ok(cast(Ptr[u8], header), header.length):
        return cast(Ptr[SdtHeader], usize(0))
    return header


def parse_madt(t: Ptr[SdtHeader]) -> None:
    base: Ptr[u8] = cast(Ptr[u8], t)
    info.lapic_address = u64(read_u32(base + MADT_LOCAL_APIC_ADDRESS))
    off: u32 = MADT_ENTRIES
    while off + 2 <= t.length:
        entry: Ptr[u8] = base + off
        kind: u8 = entry[0]
        length: u8 = entry[1]
        if length < 2 or off + u32(length) > t.length:
            return
        if kind == MADT_IOAPIC and length >= 12 and info.ioapic_address == 0:
            info.ioapic_address = u64(read_u32(entry + 4))
            info.ioapic_gsi_base = read_u32(entry + 8)
        elif kind == MADT_OVERRIDE and length >= 10 and info.override_count < MAX_OVERRIDES:
            o: Ptr[Override] = addr(info.overrides) + info.override_count
            o.source = entry[3]
            o.gsi = read_u32(entry + 4)
            o.flags = u16(entry[8]) | (u16(entry[9]) << 8)
            info.override_count += 1
        elif kind == MADT_LAPIC_OVERRIDE and length >= 12:
            info.lapic_address = read_u64(entry + 4)
        off += u32(length)


def find_s5(dsdt: Ptr[SdtHeader]) -> None:
    """Find the \\_S5_ package in the DSDT's AML: Name(_S5_, Package() {SLP_TYPa, SLP_TYPb, ...})."""
    aml: Ptr[u8] = cast(Ptr[u8], dsdt)
    i: u32 = 36
    while i + 8 < dsdt.length:
        if aml[i] == ord("_") and aml[i + 1] == ord("S") and aml[i + 2] == ord("5") and aml[i + 3] == ord("_") and \
                aml[i + 4] == 0x12 and (aml[i - 1] == 0x08 or (aml[i - 2] == 0x08 and aml[i - 1] == ord("\\"))):
            p: u32 = i + 5
            p += u32((aml[p] >> 6) & 3) + 1  # PkgLength: lead byte says how many bytes follow
            p += 1  # NumElements
            values: Array[u16, 2] = Array[u16, 2]()
            for k in range(2):
                if aml[p] == 0x0A:  # BytePrefix
                    p += 1
                values[k] = u16(aml[p])
                p += 1
            info.s5_sleep_type_a = values[0]
            info.s5_sleep_type_b = values[1]
            info.s5_found = True
            return
        i += 1


def parse_fadt(t: Ptr[SdtHeader]) -> None:
    base: Ptr[u8] = cast(Ptr[u8], t)
    info.pm1a_control_port = read_u32(base + 64)
    info.pm1b_control_port = read_u32(base + 68)
    info.pm_timer_port = read_u32(base + 76)
    info.pm_timer_32bit = (read_u32(base + 112) & (1 << 8)) != 0
    dsdt_address: u64 = u64(read_u32(base + 40))
    if t.length >= 148 and read_u64(base + 140) != 0:
        dsdt_address = read_u64(base + 140)
    dsdt: Ptr[SdtHeader] = table_at(dsdt_address)
    if cast(usize, dsdt) != 0:
        find_s5(dsdt)


def has_signature(t: Ptr[SdtHeader], sig: Ptr[u8]) -> bool:
    return memcmp(cast(Ptr[None], t), cast(Ptr[None], sig), usize(4)) == 0


def init(rsdp_address: u64) -> bool:
    """Walk the RSDP -> XSDT (or RSDT) and decode the MADT and FADT."""
    info.found = False
    if rsdp_address == 0:
        return False
    rsdp: Ptr[u8] = phys.bytes_at(rsdp_address)
    if memcmp(cast(Ptr[None], rsdp), cast(Ptr[None], b"RSD PTR "), usize(8)) != 0 or not checksum_ok(rsdp, u32(20)):
        return False
    revision: u8 = rsdp[15]
    root_address: u64 = u64(read_u32(rsdp + 16))
    entry_size: u32 = 4
    if revision >= 2 and read_u64(rsdp + 24) != 0:
        root_address = read_u64(rsdp + 24)
        entry_size = 8
    root: Ptr[SdtHeader] = table_at(root_address)
    if cast(usize, root) == 0:
        return False
    count: u32 = (root.length - 36) // entry_size
    entries: Ptr[u8] = cast(Ptr[u8], root) + 36
    for i in range(count):
        slot: Ptr[u8] = entries + i * entry_size
        address: u64 = read_u64(slot) if entry_size == 8 else u64(read_u32(slot))
        t: Ptr[SdtHeader] = table_at(address)
        if cast(usize, t) == 0:
            continue
        info.table_count += 1
        if has_signature(t, b"APIC"):
            parse_madt(t)
        elif has_signature(t, b"FACP"):
            parse_fadt(t)
    info.found = True
    return True


def irq_to_gsi(irq: u8) -> u32:
    for i in range(info.override_count):
        if info.overrides[i].source == irq:
            return info.overrides[i].gsi
    return u32(irq)


def irq_flags(irq: u8) -> u16:
    for i in range(info.override_count):
        if info.overrides[i].source == irq:
            return info.overrides[i].flags
    return 0
