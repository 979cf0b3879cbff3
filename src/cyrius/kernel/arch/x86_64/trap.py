"""The one entry point for all 256 vectors (isr.S calls kernel_trap with the saved frame).

CPU exceptions in kernel mode are fatal: the panic names the exception, the registers that explain
it, and the Python line that faulted. Interrupts go to the handler registered for their vector.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, export, u8, u32, u64
from cyrius.rt import cli, read_cr2

from ... import console
from ...debug import backtrace
from ...panic import halt_forever
from . import lapic
from .trapframe import TrapFrame

VECTOR_PAGE_FAULT: Final = 14
FIRST_IRQ_VECTOR: Final = 32

handlers: Array[Callable[[Ptr[TrapFrame]], None], 256] = Array[Callable[[Ptr[TrapFrame]], None], 256]()
# Installed by the process layer: an exception in ring 3 (fault handling, signals), and the work
# done before any return to ring 3 (rescheduling, signal delivery).
user_exception: Callable[[Ptr[TrapFrame]], None] = NULL
user_return: Callable[[Ptr[TrapFrame]], None] = NULL
unexpected: u64 = 0


def register(vector: u32, handler: Callable[[Ptr[TrapFrame]], None]) -> None:
    handlers[vector] = handler


def exception_name(vector: u64) -> Ptr[u8]:
    if vector == 0:
        return b"divide error"
    if vector == 1:
        return b"debug"
    if vector == 2:
        return b"non-maskable interrupt"
    if vector == 3:
        return b"breakpoint"
    if vector == 4:
        return b"overflow"
    if vector == 5:
        return b"bound range exceeded"
    if vector == 6:
        return b"invalid opcode"
    if vector == 7:
        return b"device not available"
    if vector == 8:
        return b"double fault"
    if vector == 10:
        return b"invalid TSS"
    if vector == 11:
        return b"segment not present"
    if vector == 12:
        return b"stack-segment fault"
    if vector == 13:
        return b"general protection fault"
    if vector == 14:
        return b"page fault"
    if vector == 16:
        return b"x87 floating-point error"
    if vector == 17:
        return b"alignment check"
    if vector == 18:
        return b"machine check"
    if vector == 19:
        return b"SIMD floating-point error"
    return b"reserved exception"


def fatal_exception(frame: Ptr[TrapFrame]) -> None:
    cli()
    console.puts(b"\n[panic] ")
    console.puts(exception_name(frame.vector))
    console.puts(b" (vector ")
    console.put_dec(frame.vector)
    console.puts(b") in kernel mode\n  error code ")
    console.put_hex(frame.error_code)
    console.puts(b"  rip ")
    console.put_hex(frame.rip)
    console.puts(b"  cr2 ")
    console.put_hex(u64(read_cr2()))
    console.puts(b"\n  rsp ")
    console.put_hex(frame.rsp)
    console.puts(b"  rbp ")
    console.put_hex(frame.rbp)
    console.puts(b"  rflags ")
    console.put_hex(frame.rflags)
    console.puts(b"\nfaulting instruction:\n")
    backtrace.print_location(frame.rip)
    backtrace.print_from(frame.rbp)
    halt_forever()


@export("kernel_trap")
def kernel_trap(frame: Ptr[TrapFrame]) -> None:
    global unexpected
    vector: u64 = frame.vector
    from_user: bool = (frame.cs & 3) != 0 and user_return != NULL
    if vector < FIRST_IRQ_VECTOR:
        if not from_user:
            fatal_exception(frame)
            return
        user_exception(frame)
        user_return(frame)
        return
    if vector == lapic.SPURIOUS_VECTOR:
        return  # spurious interrupts are not acknowledged
    handler: Callable[[Ptr[TrapFrame]], None] = handlers[vector]
    if handler != NULL:
        handler(frame)
    else:
        unexpected += 1
    lapic.eoi()
    if from_user:
        user_return(frame)
