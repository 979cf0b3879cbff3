"""timerfd: a timer as a file. read gives the number of expirations since the last read (a u64)
and waits while there are none; poll, select and epoll see it readable once it has expired.
Expirations are counted lazily from the monotonic clock (`settle`); the timer tick only wakes
whoever waits on one that is due (`on_tick`, from the scheduler's tick). A CLOCK_REALTIME timer set
with TFD_TIMER_ABSTIME is turned into a monotonic deadline (the wall clock is never set here).
"""
from cyrius.lang import NULL, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64 import irq
from ..mm.heap import kfree
from ..platform import clock
from ..proc import process, sched
from ..proc.task import WaitQueue
from . import file, poll, vfs


@struct
class Timer:
    next_ns: u64  # the next expiry on the monotonic clock (0: disarmed)
    interval_ns: u64
    expired: u64  # expirations not yet read
    realtime: bool  # CLOCK_REALTIME: absolute times are wall-clock times
    readers: WaitQueue
    later: Ptr["Timer"]  # every live timer, for the tick


ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0
timers: Ptr[Timer] = NULL
earliest: u64 = 0  # no armed timer is due before this (0: none is armed)


def init() -> None:
    global dev
    ops.stream_read = read
    ops.poll = poll_events
    ops.release = release
    dev = vfs.new_dev()
    sched.timer_hook = on_tick


def is_timerfd(f: Ptr[file.File]) -> bool:
    return f.inode.ops == addr(ops)


def timer_of(f: Ptr[file.File]) -> Ptr[Timer]:
    return cast(Ptr[Timer], f.inode.private)


def create(realtime: bool, nonblock: bool, out: Ptr[Ptr[file.File]]) -> i64:
    global timers
    t: Ptr[Timer] = cast(Ptr[Timer], file.open_anonymous(addr(ops), dev, u64(sizeof(Timer)), u32(file.O_RDWR),
                                                         nonblock, out))
    if t == NULL:
        return -errno.ENOMEM
    t.realtime = realtime
    saved: u64 = irq.save()
    t.later = timers
    timers = t
    irq.restore(saved)
    return 0


def release(node: Ptr[vfs.Inode]) -> None:
    global timers
    t: Ptr[Timer] = cast(Ptr[Timer], node.private)
    saved: u64 = irq.save()
    if timers == t:
        timers = t.later
    else:
        q: Ptr[Timer] = timers
        while q != NULL and q.later != t:  # not listed if its File was never made
            q = q.later
        if q != NULL:
            q.later = t.later
    irq.restore(saved)
    kfree(cast(Ptr[None], t))


def settle(t: Ptr[Timer], now: u64) -> None:
    """Count the expirations up to now (interrupts off)."""
    if t.next_ns == 0 or now < t.next_ns:
        return
    if t.interval_ns == 0:
        t.expired += 1
        t.next_ns = 0
        return
    n: u64 = 1 + (now - t.next_ns) // t.interval_ns
    t.expired += n
    t.next_ns += n * t.interval_ns


def arm(t: Ptr[Timer], first_ns: u64, interval_ns: u64) -> None:
    """timerfd_settime: the first expiry on the monotonic clock (0 disarms) and the period; the
    expirations not yet read are forgotten, as on Linux."""
    global earliest
    saved: u64 = irq.save()
    t.next_ns = first_ns
    t.interval_ns = interval_ns if first_ns != 0 else u64(0)
    t.expired = 0
    if first_ns != 0 and (earliest == 0 or first_ns < earliest):
        earliest = first_ns
    irq.restore(saved)


def remaining(t: Ptr[Timer], out: Ptr[u64]) -> None:
    """timerfd_gettime: out[0] the time to the next expiry (0: disarmed), out[1] the period."""
    saved: u64 = irq.save()
    now: u64 = clock.now_ns()
    settle(t, now)
    out[0] = t.next_ns - now if t.next_ns > now else u64(0)
    out[1] = t.interval_ns
    irq.restore(saved)


def on_tick(now: u64) -> None:
    """The timer interrupt: wake the readers and pollers of timers now due."""
    global earliest
    if earliest == 0 or now < earliest:
        return
    next_due: u64 = 0
    t: Ptr[Timer] = timers
    while t != NULL:
        if t.next_ns != 0 and t.next_ns <= now:
            settle(t, now)
            sched.wake_all(addr(t.readers))
        if t.next_ns != 0 and (next_due == 0 or t.next_ns < next_due):
            next_due = t.next_ns
        t = t.later
    earliest = next_due
    poll.notify()


def read(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    if count < 8:
        return -errno.EINVAL
    t: Ptr[Timer] = cast(Ptr[Timer], node.private)
    while True:
        saved: u64 = irq.save()
        settle(t, clock.now_ns())
        if t.expired > 0:
            cast(Ptr[u64], buf)[0] = t.expired
            t.expired = 0
            irq.restore(saved)
            return 8
        if (flags & file.O_NONBLOCK) != 0:
            irq.restore(saved)
            return -errno.EAGAIN
        if process.signal_waiting(process.current()):
            irq.restore(saved)
            return -errno.ERESTARTSYS
        sched.block_on(addr(t.readers), t.next_ns)
        irq.restore(saved)


def poll_events(node: Ptr[vfs.Inode], flags: u32) -> u32:
    t: Ptr[Timer] = cast(Ptr[Timer], node.private)
    settle(t, clock.now_ns())
    return u32(poll.READABLE) if t.expired > 0 else u32(0)
