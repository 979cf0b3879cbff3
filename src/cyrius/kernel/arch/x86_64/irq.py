"""Interrupt-flag helpers: short critical sections against interrupt handlers on this CPU."""
from cyrius.lang import Final, u64
from cyrius.rt import cli, read_rflags, sti

RFLAGS_IF: Final = 1 << 9


def save() -> u64:
    """Disable interrupts; return whether they were enabled, for restore()."""
    flags: u64 = read_rflags() & RFLAGS_IF
    cli()
    return flags


def restore(flags: u64) -> None:
    if flags != 0:
        sti()
