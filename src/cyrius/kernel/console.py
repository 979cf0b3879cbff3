"""Kernel console output: bytes, numbers and log lines on the serial port.

Output goes through one sink function pointer so host-mode tests (and later a TTY layer) can
capture it without a UART.
"""
from cyrius.lang import Array, Callable, NULL, Ptr, addr, i64, u8, u16, u32, u64, usize
from cyrius.rt import fmt_i64, fmt_u64

from . import klog
from .tty import uart
from .lib import cstr


def uart_sink(data: Ptr[u8], length: usize) -> None:
    uart.write(u16(uart.COM1), data, length)


sink: Callable[[Ptr[u8], usize], None] = NULL
numbuf: Array[u8, 32] = Array[u8, 32]()


def init() -> None:
    global sink
    uart.init(u16(uart.COM1), u32(115200))
    sink = uart_sink


def write(data: Ptr[u8], length: usize) -> None:
    if sink != NULL:
        sink(data, length)


def puts(s: Ptr[u8]) -> None:
    write(s, cstr.length(s))


def putc(c: u8) -> None:
    one: Array[u8, 1] = Array[u8, 1]()
    one[0] = c
    write(addr(one), usize(1))


def put_dec(value: u64) -> None:
    n: usize = fmt_u64(addr(numbuf), usize(len(numbuf)), value, u32(10), u32(0), u8(0x20))
    write(addr(numbuf), n)


def put_sdec(value: i64) -> None:
    n: usize = fmt_i64(addr(numbuf), usize(len(numbuf)), value, u32(10), u32(0), u8(0x20))
    write(addr(numbuf), n)


def put_hex(value: u64) -> None:
    """0x-prefixed, 16 digits: addresses line up in logs."""
    puts(b"0x")
    n: usize = fmt_u64(addr(numbuf), usize(len(numbuf)), value, u32(16), u32(16), u8(0x30))
    write(addr(numbuf), n)


def put_padded(value: u64, width: u32) -> None:
    n: usize = fmt_u64(addr(numbuf), usize(len(numbuf)), value, u32(10), width, u8(0x20))
    write(addr(numbuf), n)


def log(prefix: Ptr[u8], message: Ptr[u8]) -> None:
    """One log line in the seed's style, `[prefix] message`, on the console and in the kernel log."""
    for i in range(2):
        emit: Callable[[Ptr[u8]], None] = puts if i == 0 else klog.puts
        emit(b"[")
        emit(prefix)
        emit(b"] ")
        emit(message)
        emit(b"\n")


def put_padded_zero(value: u64, width: u32) -> None:
    n: usize = fmt_u64(addr(numbuf), usize(len(numbuf)), value, u32(10), width, u8(0x30))
    write(addr(numbuf), n)
