"""MSI-X: a PCI function raises an interrupt by writing a message to the LAPIC's window.

The capability (PCI 3.0 section 6.8.2) says how many table entries there are and which BAR holds
the table; each 16-byte entry is the message address, data and a mask bit. Messages here are
fixed-delivery, edge-triggered interrupts to one CPU: address 0xFEE00000 | apic_id << 12,
data = the vector.
"""
from cyrius.lang import Final, Ptr, cast, struct, u8, u16, u32, u64, usize, volatile_store

from . import pci

CAP_ID: Final = 0x11
CAP_CONTROL: Final = 2  # u16: table size - 1 in bits 0-10, function mask, enable
CAP_TABLE: Final = 4  # u32: BAR index in bits 0-2, offset in that BAR above them
CONTROL_TABLE_SIZE_MASK: Final = 0x7FF
CONTROL_FUNCTION_MASK: Final = 1 << 14
CONTROL_ENABLE: Final = 1 << 15
TABLE_BIR_MASK: Final = 0x7

ENTRY_SIZE: Final = 16
ENTRY_ADDRESS_LOW: Final = 0
ENTRY_ADDRESS_HIGH: Final = 4
ENTRY_DATA: Final = 8
ENTRY_VECTOR_CONTROL: Final = 12
VECTOR_CONTROL_MASKED: Final = 1

MESSAGE_ADDRESS: Final = 0xFEE00000
MESSAGE_DEST_SHIFT: Final = 12


@struct
class Table:
    capability: u32  # config offset of the capability; 0 = the function has no MSI-X
    entries: u32
    base: u64  # virtual address of entry 0


def entry_register(t: Ptr[Table], index: u32, register: u32) -> Ptr[u32]:
    return cast(Ptr[u32], usize(t.base + u64(index) * ENTRY_SIZE + u64(register)))


def probe(t: Ptr[Table], d: Ptr[pci.Device]) -> bool:
    """Find and map the function's MSI-X table, every entry masked; False if it has none."""
    t.capability = 0
    cap: u32 = pci.find_capability(d, u8(CAP_ID))
    if cap == 0:
        return False
    entries: u32 = u32(pci.config_read16(d, cap + CAP_CONTROL) & CONTROL_TABLE_SIZE_MASK) + 1
    location: u32 = pci.config_read32(d, cap + CAP_TABLE)
    bar: u32 = location & TABLE_BIR_MASK
    offset: u64 = u64(location & ~u32(TABLE_BIR_MASK))
    if not pci.bar_is_memory(d, bar):
        return False
    bar_virt: u64 = pci.map_bar(d, bar)
    if bar_virt == 0 or offset + u64(entries) * ENTRY_SIZE > pci.bar_size(d, bar):
        return False
    t.capability = cap
    t.entries = entries
    t.base = bar_virt + offset
    for i in range(entries):
        volatile_store(entry_register(t, i, u32(ENTRY_VECTOR_CONTROL)), u32(VECTOR_CONTROL_MASKED))
    return True


def route(t: Ptr[Table], index: u32, vector: u8, apic_id: u32) -> bool:
    """Entry `index` delivers `vector` to the CPU with `apic_id` (masked while it is rewritten)."""
    if t.capability == 0 or index >= t.entries:
        return False
    volatile_store(entry_register(t, index, u32(ENTRY_VECTOR_CONTROL)), u32(VECTOR_CONTROL_MASKED))
    volatile_store(entry_register(t, index, u32(ENTRY_ADDRESS_LOW)),
                   u32(MESSAGE_ADDRESS) | (apic_id << MESSAGE_DEST_SHIFT))
    volatile_store(entry_register(t, index, u32(ENTRY_ADDRESS_HIGH)), u32(0))
    volatile_store(entry_register(t, index, u32(ENTRY_DATA)), u32(vector))
    volatile_store(entry_register(t, index, u32(ENTRY_VECTOR_CONTROL)), u32(0))
    return True


def enable(t: Ptr[Table], d: Ptr[pci.Device]) -> None:
    """Switch the function from INTx to MSI-X (masked entries stay silent until routed)."""
    control: u16 = pci.config_read16(d, t.capability + CAP_CONTROL)
    control = (control | u16(CONTROL_ENABLE)) & ~u16(CONTROL_FUNCTION_MASK)
    pci.config_write16(d, t.capability + CAP_CONTROL, control)
    pci.set_intx(d, False)


def disable(t: Ptr[Table], d: Ptr[pci.Device]) -> None:
    if t.capability == 0:
        return
    control: u16 = pci.config_read16(d, t.capability + CAP_CONTROL)
    pci.config_write16(d, t.capability + CAP_CONTROL, control & ~u16(CONTROL_ENABLE))
