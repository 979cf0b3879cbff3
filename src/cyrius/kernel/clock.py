"""Time: a monotonic nanosecond clock from the ACPI PM timer, and the periodic LAPIC tick.

The PM timer runs at 3.579545 MHz whatever the CPU does, so it is the reference: the LAPIC timer
and the TSC are calibrated against it at boot. Its counter is only 24 or 32 bits wide, so every
read (and every tick, 100 times a second) folds the elapsed count into a 64-bit total.
"""
from cyrius.lang import Final, Ptr, u16, u32, u64
from cyrius.rt import inl, rdtsc

from . import acpi, console
from .arch.x86_64 import irq, lapic, trap
from .arch.x86_64.trapframe import TrapFrame
from .panic import panic
from .proc import sched

TICK_HZ: Final = 100
TIMER_VECTOR: Final = 32
NS_PER_S: Final = 1000000000
CALIBRATE_MS: Final = 50

pm_port: u32 = 0
pm_mask: u32 = 0xFFFFFF
pm_last: u32 = 0
pm_total: u64 = 0
ticks: u64 = 0
lapic_per_ms: u64 = 0
tsc_per_ms: u64 = 0
announced_first_tick: bool = False


def pm_read() -> u32:
    return inl(u16_port()) & pm_mask


def u16_port() -> u16:
    return u16(pm_port)


def advance() -> u64:
    """Fold the PM counter into the 64-bit total; call with interrupts disabled."""
    global pm_last, pm_total
    now: u32 = pm_read()
    pm_total += u64((now - pm_last) & pm_mask)
    pm_last = now
    return pm_total


def now_ns() -> u64:
    flags: u64 = irq.save()
    total: u64 = advance()
    irq.restore(flags)
    hz: u64 = u64(acpi.PM_TIMER_HZ)
    return (total // hz) * NS_PER_S + (total % hz) * NS_PER_S // hz


def pm_wait(count: u64) -> None:
    start: u64 = advance()
    while advance() - start < count:
        pass


def on_tick(frame: Ptr[TrapFrame]) -> None:
    global ticks, announced_first_tick
    ticks += 1
    advance()
    sched.on_tick(now_ns())
    if not announced_first_tick:
        announced_first_tick = True
        console.log(b"timer", b"first tick")


def init() -> None:
    """Calibrate the LAPIC timer and the TSC against the PM timer, then start the periodic tick."""
    global pm_port, pm_mask, pm_last, lapic_per_ms, tsc_per_ms
    pm_port = acpi.info.pm_timer_port
    if pm_port == 0:
        panic(b"clock: ACPI reports no PM timer; Cyrius needs it as its time reference")
    if acpi.info.pm_timer_32bit:
        pm_mask = 0xFFFFFFFF
    pm_last = pm_read()
    flags: u64 = irq.save()
    lapic.timer_oneshot_max()
    tsc0: u64 = rdtsc()
    pm_wait(u64(acpi.PM_TIMER_HZ) * CALIBRATE_MS // 1000)
    lapic_per_ms = u64(lapic.timer_elapsed()) // CALIBRATE_MS
    tsc_per_ms = (rdtsc() - tsc0) // CALIBRATE_MS
    irq.restore(flags)
    if lapic_per_ms == 0:
        panic(b"clock: the LAPIC timer did not count during calibration")
    trap.register(u32(TIMER_VECTOR), on_tick)
    lapic.timer_periodic(u32(TIMER_VECTOR), u32(lapic_per_ms * 1000 // TICK_HZ))


def tsc_ms_since(tsc_start: u64) -> u64:
    if tsc_per_ms == 0:
        return 0
    return (rdtsc() - tsc_start) // tsc_per_ms
