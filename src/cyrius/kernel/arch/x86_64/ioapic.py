"""I/O APIC: route a legacy IRQ (through the MADT's overrides) to a vector on this CPU."""
from cyrius.lang import Final, Ptr, cast, u8, u16, u32, u64, usize, volatile_load, volatile_store

from ...platform import acpi
from ...mm import phys

REG_SELECT: Final = 0x00
REG_WINDOW: Final = 0x10
REDIRECTION_BASE: Final = 0x10
ACTIVE_LOW: Final = 1 << 13
LEVEL_TRIGGERED: Final = 1 << 15
MASKED: Final = 1 << 16

base: u64 = 0


def write(index: u32, value: u32) -> None:
    volatile_store(cast(Ptr[u32], usize(base + REG_SELECT)), index)
    volatile_store(cast(Ptr[u32], usize(base + REG_WINDOW)), value)


def read(index: u32) -> u32:
    volatile_store(cast(Ptr[u32], usize(base + REG_SELECT)), index)
    return volatile_load(cast(Ptr[u32], usize(base + REG_WINDOW)))


def init(phys_address: u64) -> None:
    global base
    base = phys.to_virt(phys_address)
    entries: u32 = ((read(u32(1)) >> 16) & 0xFF) + 1
    for i in range(entries):
        write(REDIRECTION_BASE + 2 * i, u32(MASKED))
        write(REDIRECTION_BASE + 2 * i + 1, u32(0))


def route_irq(irq: u8, vector: u8, apic_id: u32) -> None:
    """Deliver ISA IRQ `irq` as `vector` to the CPU with `apic_id`, honouring polarity/trigger overrides."""
    gsi: u32 = acpi.irq_to_gsi(irq) - acpi.info.ioapic_gsi_base
    flags: u16 = acpi.irq_flags(irq)
    low: u32 = u32(vector)
    if (flags & 3) == 3:
        low |= ACTIVE_LOW
    if ((flags >> 2) & 3) == 3:
        low |= LEVEL_TRIGGERED
    write(REDIRECTION_BASE + 2 * gsi + 1, apic_id << 24)
    write(REDIRECTION_BASE + 2 * gsi, low)
