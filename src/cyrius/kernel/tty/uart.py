"""16550 UART on I/O ports (COM1 is the serial console under QEMU)."""
from cyrius.lang import Final, u8, u16, u32, Ptr, usize
from cyrius.rt import inb, outb

COM1: Final = 0x3F8

REG_DATA: Final = 0          # receive/transmit buffer (DLAB=0), divisor low (DLAB=1)
REG_IER: Final = 1           # interrupt enable (DLAB=0), divisor high (DLAB=1)
REG_FCR: Final = 2           # FIFO control
REG_LCR: Final = 3           # line control
REG_MCR: Final = 4           # modem control
REG_LSR: Final = 5           # line status

LCR_8N1: Final = 0x03
LCR_DLAB: Final = 0x80
LSR_DATA_READY: Final = 0x01
LSR_THR_EMPTY: Final = 0x20
IER_RX_AVAILABLE: Final = 0x01
MCR_DTR_RTS_OUT2: Final = 0x0B  # OUT2 gates the UART's interrupt line on PC hardware
BAUD_BASE: Final = 115200


def init(port: u16, baud: u32) -> None:
    """8 data bits, no parity, 1 stop bit, FIFOs on, receive interrupts enabled."""
    divisor: u32 = u32(BAUD_BASE) // baud
    outb(port + REG_IER, u8(0))
    outb(port + REG_LCR, u8(LCR_DLAB))
    outb(port + REG_DATA, u8(divisor))
    outb(port + REG_IER, u8(divisor >> 8))
    outb(port + REG_LCR, u8(LCR_8N1))
    outb(port + REG_FCR, u8(0xC7))
    outb(port + REG_MCR, u8(MCR_DTR_RTS_OUT2))
    outb(port + REG_IER, u8(IER_RX_AVAILABLE))


def putc(port: u16, c: u8) -> None:
    while (inb(port + REG_LSR) & LSR_THR_EMPTY) == 0:
        pass
    outb(port + REG_DATA, c)


def write(port: u16, data: Ptr[u8], length: usize) -> None:
    """Write bytes, turning '\\n' into '\\r\\n' as a terminal expects."""
    for i in range(length):
        c: u8 = data[i]
        if c == ord("\n"):
            putc(port, u8(0x0D))
        putc(port, c)


def has_input(port: u16) -> bool:
    return (inb(port + REG_LSR) & LSR_DATA_READY) != 0


def getc(port: u16) -> u8:
    return inb(port + REG_DATA)
