"""Time: a monotonic nanosecond clock from the TSC, and the periodic LAPIC tick.

The ACPI PM timer runs at 3.579545 MHz whatever the CPU does, so it is the reference: the LAPIC
timer and the TSC are calibrated against it at boot. After that the clock reads the TSC, as Linux
does: reading the PM timer is an I/O port access, a VM exit each time (under TCG, a trip through
QEMU's device emulation), and processes ask for the time often.
"""
from cyrius.lang import Final, Ptr, i64, u8, u16, u32, u64
from cyrius.rt import inb, inl, outb, rdtsc

from . import acpi
from .. import console
from ..arch.x86_64 import irq, lapic, trap
from ..arch.x86_64.trapframe import TrapFrame
from ..panic import panic
from ..proc import sched

TICK_HZ: Final = 100
TIMER_VECTOR: Final = 32
NS_PER_S: Final = 1000000000
NS_PER_MS: Final = 1000000
CALIBRATE_MS: Final = 50

pm_port: u32 = 0
pm_mask: u32 = 0xFFFFFF
pm_last: u32 = 0
pm_total: u64 = 0
ticks: u64 = 0
lapic_per_ms: u64 = 0
tsc_per_ms: u64 = 0
tsc_at_zero: u64 = 0  # the TSC when now_ns() was 0: at the start of calibration
last_tick_ns: u64 = 0
announced_first_tick: bool = False


def pm_read() -> u32:
    return inl(u16_port()) & pm_mask


def u16_port() -> u16:
    return u16(pm_port)


def advance() -> u64:
    """Fold the PM counter into the 64-bit total (the counter is only 24 or 32 bits wide); call
    with interrupts disabled."""
    global pm_last, pm_total
    now: u32 = pm_read()
    pm_total += u64((now - pm_last) & pm_mask)
    pm_last = now
    return pm_total


def now_ns() -> u64:
    """Nanoseconds since calibration began. Split so the product cannot overflow: whole
    milliseconds, then the remainder (less than tsc_per_ms, so times 10^6 fits)."""
    if tsc_per_ms == 0:
        return 0
    elapsed: u64 = rdtsc() - tsc_at_zero
    return (elapsed // tsc_per_ms) * NS_PER_MS + (elapsed % tsc_per_ms) * NS_PER_MS // tsc_per_ms


def coarse_ns() -> u64:
    """now_ns() as of the last timer tick (10 ms resolution): for file timestamps, which Linux
    also takes from its coarse clock."""
    return last_tick_ns


def pm_wait(count: u64) -> None:
    start: u64 = advance()
    while advance() - start < count:
        pass


def on_tick(frame: Ptr[TrapFrame]) -> None:
    global ticks, announced_first_tick, last_tick_ns
    ticks += 1
    last_tick_ns = now_ns()
    sched.account_tick((frame.cs & 3) == 3)
    sched.on_tick(last_tick_ns)
    if not announced_first_tick:
        announced_first_tick = True
        console.log(b"timer", b"first tick")


def set_wall_clock() -> None:
    global boot_epoch_ns
    boot_epoch_ns = read_rtc_seconds() * NS_PER_S - now_ns()


def init() -> None:
    """Calibrate the LAPIC timer and the TSC against the PM timer, then start the periodic tick."""
    global pm_port, pm_mask, pm_last, lapic_per_ms, tsc_per_ms, tsc_at_zero
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
    tsc_at_zero = tsc0
    irq.restore(flags)
    if lapic_per_ms == 0:
        panic(b"clock: the LAPIC timer did not count during calibration")
    set_wall_clock()
    trap.register(u32(TIMER_VECTOR), on_tick)
    lapic.timer_periodic(u32(TIMER_VECTOR), u32(lapic_per_ms * 1000 // TICK_HZ))


CMOS_INDEX: Final = 0x70
CMOS_DATA: Final = 0x71
RTC_STATUS_A: Final = 0x0A
RTC_STATUS_B: Final = 0x0B
RTC_UPDATING: Final = 0x80
RTC_BINARY: Final = 0x04
RTC_24H: Final = 0x02

boot_epoch_ns: u64 = 0  # wall-clock time (ns since 1970, UTC) when now_ns() was 0


def cmos(reg: u8) -> u8:
    outb(u16(CMOS_INDEX), reg)
    return inb(u16(CMOS_DATA))


def from_bcd(v: u8, binary: bool) -> u64:
    if binary:
        return u64(v)
    return u64(v >> 4) * 10 + u64(v & 15)


def days_from_civil(year: i64, month: i64, day: i64) -> i64:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y: i64 = year
    if month <= 2:
        y -= 1
    era: i64 = y // 400
    if y < 0 and y % 400 != 0:
        era -= 1
    yoe: i64 = y - era * 400
    m: i64 = month + 9
    if month > 2:
        m = month - 3
    doy: i64 = (153 * m + 2) // 5 + day - 1
    doe: i64 = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def read_rtc_seconds() -> u64:
    """The CMOS real-time clock (UTC, as QEMU keeps it) in seconds since 1970."""
    while (cmos(u8(RTC_STATUS_A)) & RTC_UPDATING) != 0:
        pass
    status: u8 = cmos(u8(RTC_STATUS_B))
    binary: bool = (status & RTC_BINARY) != 0
    sec: u64 = from_bcd(cmos(u8(0x00)), binary)
    minute: u64 = from_bcd(cmos(u8(0x02)), binary)
    raw_hour: u8 = cmos(u8(0x04))
    hour: u64 = from_bcd(raw_hour & 0x7F, binary)
    if (status & RTC_24H) == 0 and (raw_hour & 0x80) != 0:
        hour = (hour % 12) + 12
    day: u64 = from_bcd(cmos(u8(0x07)), binary)
    month: u64 = from_bcd(cmos(u8(0x08)), binary)
    year: u64 = from_bcd(cmos(u8(0x09)), binary) + 2000
    days: i64 = days_from_civil(i64(year), i64(month), i64(day))
    return u64(days) * 86400 + hour * 3600 + minute * 60 + sec


def realtime_ns() -> u64:
    return boot_epoch_ns + now_ns()


def coarse_realtime_ns() -> u64:
    return boot_epoch_ns + coarse_ns()


def tsc_ms_since(tsc_start: u64) -> u64:
    if tsc_per_ms == 0:
        return 0
    return (rdtsc() - tsc_start) // tsc_per_ms
