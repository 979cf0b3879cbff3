"""Local APIC: end-of-interrupt, spurious vector, and the timer."""
from cyrius.lang import Final, Ptr, cast, u32, u64, usize, volatile_load, volatile_store

from ...mm import phys

REG_ID: Final = 0x20
REG_TPR: Final = 0x80
REG_EOI: Final = 0xB0
REG_SVR: Final = 0xF0
REG_LVT_TIMER: Final = 0x320
REG_TIMER_INITIAL: Final = 0x380
REG_TIMER_CURRENT: Final = 0x390
REG_TIMER_DIVIDE: Final = 0x3E0
SVR_ENABLE: Final = 0x100
LVT_MASKED: Final = 1 << 16
LVT_PERIODIC: Final = 1 << 17
DIVIDE_BY_16: Final = 0x3
SPURIOUS_VECTOR: Final = 0xFF

base: u64 = 0  # virtual address of the register page


def reg(offset: u32) -> Ptr[u32]:
    return cast(Ptr[u32], usize(base + u64(offset)))


def read(offset: u32) -> u32:
    return volatile_load(reg(offset))


def write(offset: u32, value: u32) -> None:
    volatile_store(reg(offset), value)


def init(phys_address: u64) -> None:
    global base
    base = phys.to_virt(phys_address)
    write(u32(REG_TPR), u32(0))
    write(u32(REG_SVR), u32(SVR_ENABLE | SPURIOUS_VECTOR))
    write(u32(REG_LVT_TIMER), u32(LVT_MASKED))


def eoi() -> None:
    write(u32(REG_EOI), u32(0))


def id() -> u32:
    return read(u32(REG_ID)) >> 24


def timer_oneshot_max() -> None:
    """Start counting down from the maximum, masked: used to measure the timer's rate."""
    write(u32(REG_TIMER_DIVIDE), u32(DIVIDE_BY_16))
    write(u32(REG_LVT_TIMER), u32(LVT_MASKED))
    write(u32(REG_TIMER_INITIAL), u32(0xFFFFFFFF))


def timer_elapsed() -> u32:
    return u32(0xFFFFFFFF) - read(u32(REG_TIMER_CURRENT))


def timer_periodic(vector: u32, count: u32) -> None:
    write(u32(REG_TIMER_DIVIDE), u32(DIVIDE_BY_16))
    write(u32(REG_LVT_TIMER), vector | LVT_PERIODIC)
    write(u32(REG_TIMER_INITIAL), count)
