"""Kernel panics: say what happened, where (in Python terms), and stop the machine."""
from cyrius.lang import Ptr, export, i32, i64, u8, u64
from cyrius.rt import cli, hlt, read_rbp

from . import console
from .debug import backtrace


def halt_forever() -> None:
    cli()
    while True:
        hlt()


def panic(message: Ptr[u8]) -> None:
    """Stop with a message and a backtrace of the caller's Python frames."""
    cli()
    console.puts(b"\n[panic] ")
    console.puts(message)
    console.puts(b"\n")
    backtrace.print_from(u64(read_rbp()))
    halt_forever()


def halt_at(file: Ptr[u8], line: i32, rbp: u64) -> None:
    """End a failed check's report: where it failed, the backtrace from `rbp` (the failing check's
    frame, read by the caller so this helper's own frame does not show), and stop."""
    console.puts(b"\n  at ")
    console.puts(file)
    console.puts(b":")
    console.put_sdec(i64(line))
    console.puts(b"\n")
    backtrace.print_from(rbp)
    halt_forever()


@export("cy_assert_fail")
def assert_failed(file: Ptr[u8], line: i32, what: Ptr[u8]) -> None:
    cli()
    console.puts(b"\n[panic] assertion failed: ")
    console.puts(what)
    halt_at(file, line, u64(read_rbp()))


@export("cy_index_fail")
def index_failed(file: Ptr[u8], line: i32, index: i64, length: i64) -> None:
    cli()
    console.puts(b"\n[panic] array index ")
    console.put_sdec(index)
    console.puts(b" out of range (length ")
    console.put_sdec(length)
    console.puts(b")")
    halt_at(file, line, u64(read_rbp()))
