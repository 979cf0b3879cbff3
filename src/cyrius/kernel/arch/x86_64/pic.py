"""The legacy 8259 PICs: remapped away from the exception vectors, then masked (the IOAPIC is used)."""
from cyrius.lang import Final, u8, u16
from cyrius.rt import io_wait, outb

MASTER_CMD: Final = 0x20
MASTER_DATA: Final = 0x21
SLAVE_CMD: Final = 0xA0
SLAVE_DATA: Final = 0xA1


def disable() -> None:
    outb(u16(MASTER_CMD), u8(0x11))  # ICW1: init, ICW4 follows
    outb(u16(SLAVE_CMD), u8(0x11))
    io_wait()
    outb(u16(MASTER_DATA), u8(0xF0))  # vectors 0xf0.. so a stray IRQ is not mistaken for an exception
    outb(u16(SLAVE_DATA), u8(0xF8))
    outb(u16(MASTER_DATA), u8(4))
    outb(u16(SLAVE_DATA), u8(2))
    outb(u16(MASTER_DATA), u8(1))
    outb(u16(SLAVE_DATA), u8(1))
    io_wait()
    outb(u16(MASTER_DATA), u8(0xFF))
    outb(u16(SLAVE_DATA), u8(0xFF))
