"""The 16550 driver under CPython, against a fake UART behind cyrius.rt's port I/O."""
import pytest

from cyrius import rt
from cyrius.kernel.tty import uart
from cyrius.lang import Ptr, memory, u8, u16, u32, usize


class FakeUart:
    """Registers of a 16550 at COM1, enough for init/putc/getc."""

    def __init__(self, base=0x3F8):
        self.base = base
        self.regs = {}
        self.sent = bytearray()
        self.rx = bytearray()
        self.dlab = False
        self.divisor = [0, 0]

    def outb(self, port, value):
        reg = port - self.base
        if reg == uart.REG_LCR:
            self.dlab = bool(value & 0x80)
        if self.dlab and reg in (0, 1):
            self.divisor[reg] = int(value)
        elif reg == 0:
            self.sent.append(int(value))
        else:
            self.regs[reg] = int(value)

    def inb(self, port):
        reg = port - self.base
        if reg == uart.REG_LSR:
            return 0x20 | (0x01 if self.rx else 0)
        if reg == 0 and not self.dlab:
            return self.rx.pop(0)
        return self.regs.get(reg, 0)


@pytest.fixture
def fake():
    dev = FakeUart()
    rt.fake("outb", dev.outb)
    rt.fake("inb", dev.inb)
    memory.reset()
    yield dev
    rt.reset()


def test_init_programs_baud_divisor_and_8n1(fake):
    uart.init(u16(uart.COM1), u32(38400))
    assert fake.divisor == [3, 0]
    assert fake.regs[uart.REG_LCR] == 0x03
    assert fake.regs[uart.REG_IER] == 0x01


def test_write_translates_newlines(fake):
    data = b"hi\nthere"
    addr = memory.alloc(len(data))
    memory.write(addr, data)
    uart.write(u16(uart.COM1), Ptr[u8](addr), usize(len(data)))
    assert bytes(fake.sent) == b"hi\r\nthere"


def test_getc_reads_pending_input(fake):
    fake.rx += b"x"
    assert uart.has_input(u16(uart.COM1))
    assert uart.getc(u16(uart.COM1)) == ord("x")
    assert not uart.has_input(u16(uart.COM1))
