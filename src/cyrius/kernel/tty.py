"""Console input: the UART's receive interrupt fills a ring; readers sleep until a byte arrives."""
from cyrius.lang import Array, Final, Ptr, u8, u16, u32, u64
from cyrius.rt import sti_hlt

from .arch.x86_64 import irq, trap
from .arch.x86_64.trapframe import TrapFrame
from .dev import uart

RING_SIZE: Final = 512
SERIAL_IRQ: Final = 4
SERIAL_VECTOR: Final = 36

ring: Array[u8, RING_SIZE] = Array[u8, RING_SIZE]()
head: u32 = 0  # next byte to read
tail: u32 = 0  # next free slot
dropped: u32 = 0


def push(c: u8) -> None:
    global tail, dropped
    if (tail + 1) % RING_SIZE == head:
        dropped += 1
        return
    ring[tail] = c
    tail = (tail + 1) % RING_SIZE


def on_serial_irq(frame: Ptr[TrapFrame]) -> None:
    while uart.has_input(u16(uart.COM1)):
        push(uart.getc(u16(uart.COM1)))


def init() -> None:
    trap.register(u32(SERIAL_VECTOR), on_serial_irq)


def read_byte() -> u8:
    """The next input byte, sleeping (hlt) while there is none."""
    global head
    while True:
        flags: u64 = irq.save()
        if head != tail:
            c: u8 = ring[head]
            head = (head + 1) % RING_SIZE
            irq.restore(flags)
            return c
        sti_hlt()
