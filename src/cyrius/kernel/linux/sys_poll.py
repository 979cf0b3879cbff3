"""poll, ppoll, select and pselect6 over fs/poll.py's readiness.

Each call copies its descriptor list in (through uaccess only), then scans it with interrupts off;
when nothing is ready it sleeps on fs/poll.poll_waiters, which every readiness source wakes on any
change, until something is ready, the timeout passes (0) or a signal is pending (-EINTR). Results
are copied out at the end. epoll_wait scans an epoll instance's interest list the same way.
eventfd files, which event loops poll, are made here too.
"""
from cyrius.lang import (NULL, Array, Callable, Final, Ptr, addr, cast, i16, i32, i64, sizeof, struct, u8, u16, u32,
                         u64, usize)

from ..platform import clock
from .. import errno
from ..tty import ldisc
from ..arch.x86_64 import irq
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import devfs, epoll, eventfd, file, poll, timerfd
from ..mm import uaccess
from ..mm.heap import kalloc, kfree
from ..proc import process, sched, signal, task
from ..proc.task import Process
from .syscall_names import (SYS_EPOLL_CREATE, SYS_EPOLL_CREATE1, SYS_EPOLL_CTL, SYS_EPOLL_PWAIT, SYS_EPOLL_WAIT,
                            SYS_EVENTFD, SYS_EVENTFD2, SYS_POLL, SYS_PPOLL, SYS_PSELECT6, SYS_SELECT,
                            SYS_TIMERFD_CREATE, SYS_TIMERFD_GETTIME, SYS_TIMERFD_SETTIME)
from .fsargs import int_arg
from .syscalls import FULL, PARTIAL, define

NS_PER_S: Final = 1000000000
MAX_TIMEOUT_S: Final = 10000000000  # beyond this (three centuries) a timeout is "forever"
POLL_MAX: Final = 65536
SET_WORDS: Final = task.MAX_FDS // 64
RLIMIT_NOFILE: Final = 7
IN_SET: Final = poll.POLLIN | poll.POLLRDNORM | poll.POLLRDBAND | poll.POLLHUP | poll.POLLERR
OUT_SET: Final = poll.POLLOUT | poll.POLLWRNORM | poll.POLLWRBAND | poll.POLLERR
EX_SET: Final = poll.POLLPRI
EPOLL_MAX_EVENTS: Final = epoll.MAX_ENTRIES  # more than an instance can hold is never needed


@struct
class PollFd:  # struct pollfd
    fd: i32
    events: i16
    revents: i16


@struct
class Timeout:
    timed: bool  # False: wait forever
    deadline_ns: u64


@struct
class Scan:
    """What a waiting call scans: poll's descriptors, select's sets or an epoll instance."""
    p: Ptr[Process]
    items: Ptr[None]  # PollFd array, FdSets or epoll.Event output array
    count: i64  # descriptors (poll, select) or room for events (epoll)
    ep: Ptr[file.File]


@struct
class FdSets:
    """select's three sets as asked (want) and as answered (got), one bit per descriptor."""
    want: Array[u64, SET_WORDS * 3]
    got: Array[u64, SET_WORDS * 3]



def after_ns(t: Ptr[Timeout], sec: u64, nsec: u64) -> None:
    if sec >= MAX_TIMEOUT_S:
        t.timed = False
        return
    t.timed = True
    t.deadline_ns = sched.timed_deadline(clock.now_ns() + sec * NS_PER_S + nsec)


def timespec_in(user: u64, t: Ptr[Timeout]) -> i64:
    """A struct timespec timeout (NULL: forever); -EINVAL if it is negative or malformed."""
    t.timed = False
    if user == 0:
        return 0
    ts: Array[i64, 2] = Array[i64, 2]()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(ts)), user, u64(16)) < 0:
        return -errno.EFAULT
    if ts[0] < 0 or ts[1] < 0 or ts[1] >= NS_PER_S:
        return -errno.EINVAL
    after_ns(t, u64(ts[0]), u64(ts[1]))
    return 0


def remaining_ns(t: Ptr[Timeout]) -> u64:
    now: u64 = clock.now_ns()
    if now >= t.deadline_ns:
        return 0
    return t.deadline_ns - now


# ---------------------------------------------------------------- the temporary signal mask

def mask_in(user_mask: u64, size: u64, saved: Ptr[u64]) -> i64:
    """ppoll/pselect6: install the caller's signal mask for the wait (old one in saved[0]).
    1 when installed, 0 when there was none, or -errno."""
    if user_mask == 0:
        return 0
    if size != 8:
        return -errno.EINVAL
    box: Array[u64, 1] = Array[u64, 1]()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(box)), user_mask, u64(8)) < 0:
        return -errno.EFAULT
    saved[0] = sched.current.sig_blocked
    sched.current.sig_blocked = box[0] & ~u64(signal.UNBLOCKABLE)
    return 1


def mask_out(installed: i64, saved: u64, result: i64) -> None:
    """Put the caller's mask back; after a signal only once it has been handled."""
    if installed <= 0:
        return
    if errno.interrupted(result):
        signal.suspend_mask(sched.current, saved)
    else:
        sched.current.sig_blocked = saved


def wait_ready(scan: Callable[[Ptr[Scan]], i64], what: Ptr[Scan], t: Ptr[Timeout]) -> i64:
    """Scan with interrupts off (so no wake-up is missed between the scan and the sleep) until it
    finds something: its count, 0 once the timeout passed, when a signal is pending -ERESTARTNOHAND
    (untimed) or -ERESTART_RESTARTBLOCK (timed: without a handler it resumes to the same deadline)."""
    while True:
        saved: u64 = irq.save()
        result: i64 = scan(what)
        if result == 0:
            result = poll.wait_step(t.deadline_ns, t.timed)
            irq.restore(saved)
            if result == -errno.ERESTARTNOHAND and t.timed:
                return sched.interrupted_timed(t.deadline_ns)
            if result <= 0:
                return result
            continue
        irq.restore(saved)
        return result


# ---------------------------------------------------------------- poll

def scan_poll(what: Ptr[Scan]) -> i64:
    fds: Ptr[PollFd] = cast(Ptr[PollFd], what.items)
    ready: i64 = 0
    for i in range(what.count):
        e: Ptr[PollFd] = fds + i
        e.revents = 0
        if e.fd < 0:
            continue
        f: Ptr[file.File] = process.fd_get(what.p, i64(e.fd))
        mask: u32 = poll.POLLNVAL
        if f != NULL:
            mask = poll.events(f) & (u32(u16(e.events)) | poll.POLLERR | poll.POLLHUP)
        e.revents = i16(mask)
        if mask != 0:
            ready += 1
    return ready


def do_poll(user_fds: u64, nfds: u64, t: Ptr[Timeout]) -> i64:
    p: Ptr[Process] = process.current()
    if nfds > p.rlimits[RLIMIT_NOFILE].soft or nfds > POLL_MAX:
        return -errno.EINVAL
    size: u64 = nfds * sizeof(PollFd)
    fds: Ptr[PollFd] = NULL
    if nfds > 0:
        fds = cast(Ptr[PollFd], kalloc(usize(size)))
        if fds == NULL:
            return -errno.ENOMEM
    result: i64 = uaccess.copy_in(p.space, cast(Ptr[u8], fds), user_fds, size)
    if result == 0:
        what: Scan = Scan(p=p, items=cast(Ptr[None], fds), count=i64(nfds))
        result = wait_ready(scan_poll, addr(what), t)
    if result >= 0 and uaccess.copy_out(p.space, user_fds, cast(Ptr[u8], fds), size) < 0:
        result = -errno.EFAULT
    kfree(cast(Ptr[None], fds))
    return result


def sys_poll(f: Ptr[TrapFrame]) -> i64:
    t: Timeout = Timeout()
    ms_timeout(f.rdx, addr(t))
    return do_poll(f.rdi, f.rsi, addr(t))


def sys_ppoll(f: Ptr[TrapFrame]) -> i64:
    t: Timeout = Timeout()
    r: i64 = timespec_in(f.rdx, addr(t))
    if r < 0:
        return r
    saved: Array[u64, 1] = Array[u64, 1]()
    installed: i64 = mask_in(f.r10, f.r8, addr(saved))
    if installed < 0:
        return installed
    r = do_poll(f.rdi, f.rsi, addr(t))
    mask_out(installed, saved[0], r)
    return r


# ---------------------------------------------------------------- select

def scan_select(what: Ptr[Scan]) -> i64:
    """Fill the sets' got; the number of bits set, or -EBADF when a set names a closed descriptor."""
    s: Ptr[FdSets] = cast(Ptr[FdSets], what.items)
    ready: i64 = 0
    for i in range(SET_WORDS * 3):
        s.got[i] = 0
    for fd in range(what.count):
        w: i64 = fd // 64
        bit: u64 = u64(1) << u64(fd % 64)
        asked: bool = ((s.want[w] | s.want[w + SET_WORDS] | s.want[w + 2 * SET_WORDS]) & bit) != 0
        if not asked:
            continue
        f: Ptr[file.File] = process.fd_get(what.p, fd)
        if f == NULL:
            return -errno.EBADF
        ev: u32 = poll.events(f)
        if (s.want[w] & bit) != 0 and (ev & IN_SET) != 0:
            s.got[w] |= bit
            ready += 1
        if (s.want[w + SET_WORDS] & bit) != 0 and (ev & OUT_SET) != 0:
            s.got[w + SET_WORDS] |= bit
            ready += 1
        if (s.want[w + 2 * SET_WORDS] & bit) != 0 and (ev & EX_SET) != 0:
            s.got[w + 2 * SET_WORDS] |= bit
            ready += 1
    return ready


def do_select(nfds_arg: u64, sets: Ptr[u64], t: Ptr[Timeout]) -> i64:
    """sets[0..3): user addresses of the read, write and except sets (0: none)."""
    p: Ptr[Process] = process.current()
    nfds: i64 = i64(i32(u32(nfds_arg)))
    if nfds < 0:
        return -errno.EINVAL
    if nfds > task.MAX_FDS:
        nfds = task.MAX_FDS  # descriptors past the table cannot be open, as Linux's max_fds
    words: i64 = (nfds + 63) // 64
    s: FdSets = FdSets()
    for k in range(3):
        if sets[k] != 0 and words > 0:
            at: Ptr[u64] = addr(s.want) + k * SET_WORDS
            if uaccess.copy_in(p.space, cast(Ptr[u8], at), sets[k], u64(words * 8)) < 0:
                return -errno.EFAULT
            if nfds % 64 != 0:
                at[words - 1] &= (u64(1) << u64(nfds % 64)) - 1
    what: Scan = Scan(p=p, items=cast(Ptr[None], addr(s)), count=nfds)
    result: i64 = wait_ready(scan_select, addr(what), t)
    if result < 0:
        return result
    if result == 0:
        for i in range(SET_WORDS * 3):
            s.got[i] = 0
    for k in range(3):
        if sets[k] != 0 and words > 0:
            got: Ptr[u64] = addr(s.got) + k * SET_WORDS
            if uaccess.copy_out(p.space, sets[k], cast(Ptr[u8], got), u64(words * 8)) < 0:
                return -errno.EFAULT
    return result


def user_sets(f: Ptr[TrapFrame], out: Ptr[u64]) -> None:
    out[0] = f.rsi
    out[1] = f.rdx
    out[2] = f.r10


def sys_select(f: Ptr[TrapFrame]) -> i64:
    t: Timeout = Timeout()
    tv_addr: u64 = f.r8
    if tv_addr != 0:
        tv: Array[i64, 2] = Array[i64, 2]()
        if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(tv)), tv_addr, u64(16)) < 0:
            return -errno.EFAULT
        if tv[0] < 0 or tv[1] < 0:
            return -errno.EINVAL
        after_ns(addr(t), u64(tv[0]) + u64(tv[1] // 1000000), u64(tv[1] % 1000000) * 1000)
    sets: Array[u64, 3] = Array[u64, 3]()
    user_sets(f, addr(sets))
    r: i64 = do_select(f.rdi, addr(sets), addr(t))
    if tv_addr != 0 and t.timed and r != -errno.EFAULT:
        left: u64 = remaining_ns(addr(t))  # Linux reports the time left in the timeval
        tv2: Array[i64, 2] = Array[i64, 2]()
        tv2[0] = i64(left // NS_PER_S)
        tv2[1] = i64((left % NS_PER_S) // 1000)
        uaccess.copy_out(process.current().space, tv_addr, cast(Ptr[u8], addr(tv2)), u64(16))
    return r


def sys_pselect6(f: Ptr[TrapFrame]) -> i64:
    t: Timeout = Timeout()
    r: i64 = timespec_in(f.r8, addr(t))
    if r < 0:
        return r
    saved: Array[u64, 1] = Array[u64, 1]()
    installed: i64 = 0
    if f.r9 != 0:
        arg: Array[u64, 2] = Array[u64, 2]()  # { const sigset_t *ss; size_t ss_len; }
        if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(arg)), f.r9, u64(16)) < 0:
            return -errno.EFAULT
        installed = mask_in(arg[0], arg[1], addr(saved))
        if installed < 0:
            return installed
    sets: Array[u64, 3] = Array[u64, 3]()
    user_sets(f, addr(sets))
    r = do_select(f.rdi, addr(sets), addr(t))
    mask_out(installed, saved[0], r)
    return r


# ---------------------------------------------------------------- epoll

def new_epoll(flags: u64) -> i64:
    if (flags & ~u64(file.O_CLOEXEC)) != 0:
        return -errno.EINVAL
    p: Ptr[Process] = process.current()
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err: i64 = epoll.create(p.euid, p.egid, addr(slot))
    if err < 0:
        return err
    return process.fd_install(p, slot[0], flags != 0, i64(0))


def sys_epoll_create(f: Ptr[TrapFrame]) -> i64:
    if i64(i32(u32(f.rdi))) <= 0:
        return -errno.EINVAL
    return new_epoll(u64(0))


def sys_epoll_create1(f: Ptr[TrapFrame]) -> i64:
    return new_epoll(u64(u32(f.rdi)))


def epoll_file(epfd: u64) -> Ptr[file.File]:
    """The epoll instance behind epfd, or NULL (-EBADF or -EINVAL, see epoll_error); held open
    while epoll_wait sleeps on it (process.fd_hold), whatever another thread closes meanwhile."""
    ep: Ptr[file.File] = process.fd_hold(process.current(), i64(i32(u32(epfd))))
    if ep == NULL or not epoll.is_epoll(ep):
        return NULL
    return ep


def epoll_error(epfd: u64) -> i64:
    if process.fd_get(process.current(), i64(i32(u32(epfd)))) == NULL:
        return -errno.EBADF
    return -errno.EINVAL


def sys_epoll_ctl(f: Ptr[TrapFrame]) -> i64:
    ep: Ptr[file.File] = epoll_file(f.rdi)
    fd: i32 = i32(u32(f.rdx))
    target: Ptr[file.File] = process.fd_get(process.current(), i64(fd))
    if ep == NULL:
        return epoll_error(f.rdi)
    if target == NULL:
        return -errno.EBADF
    if target == ep:
        return -errno.EINVAL
    ev: epoll.Event = epoll.Event()
    op: u32 = u32(f.rsi)
    if op != epoll.CTL_DEL and uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(ev)), f.r10,
                                                u64(sizeof(epoll.Event))) < 0:
        return -errno.EFAULT
    return epoll.control(ep, op, fd, target, ev.events, (u64(ev.data_high) << 32) | u64(ev.data_low))


def do_epoll_wait(epfd: u64, user_events: u64, max_events: u64, t: Ptr[Timeout]) -> i64:
    ep: Ptr[file.File] = epoll_file(epfd)
    if ep == NULL:
        return epoll_error(epfd)
    wanted: i64 = i64(i32(u32(max_events)))
    if wanted <= 0 or wanted > EPOLL_MAX_EVENTS:
        return -errno.EINVAL
    size: u64 = u64(wanted) * sizeof(epoll.Event)
    out: Ptr[epoll.Event] = cast(Ptr[epoll.Event], kalloc(usize(size)))
    if out == NULL:
        return -errno.ENOMEM
    what: Scan = Scan(p=process.current(), items=cast(Ptr[None], out), count=wanted, ep=ep)
    result: i64 = wait_ready(scan_epoll, addr(what), t)
    if errno.interrupted(result):
        result = -errno.EINTR  # epoll_wait is never restarted, as on Linux
    if result > 0 and uaccess.copy_out(process.current().space, user_events, cast(Ptr[u8], out),
                                       u64(result) * sizeof(epoll.Event)) < 0:
        result = -errno.EFAULT
    kfree(cast(Ptr[None], out))
    return result


def scan_epoll(what: Ptr[Scan]) -> i64:
    return i64(epoll.collect(what.ep, cast(Ptr[epoll.Event], what.items), u32(what.count)))


def ms_timeout(ms_arg: u64, t: Ptr[Timeout]) -> None:
    """poll and epoll_wait's timeout in milliseconds: negative waits for ever."""
    ms: i64 = i64(i32(u32(ms_arg)))
    if ms >= 0:
        after_ns(t, u64(ms // 1000), u64(ms % 1000) * 1000000)


def sys_epoll_wait(f: Ptr[TrapFrame]) -> i64:
    t: Timeout = Timeout()
    ms_timeout(f.r10, addr(t))
    return do_epoll_wait(f.rdi, f.rsi, f.rdx, addr(t))


def sys_epoll_pwait(f: Ptr[TrapFrame]) -> i64:
    t: Timeout = Timeout()
    ms_timeout(f.r10, addr(t))
    saved: Array[u64, 1] = Array[u64, 1]()
    installed: i64 = mask_in(f.r8, f.r9, addr(saved))
    if installed < 0:
        return installed
    r: i64 = do_epoll_wait(f.rdi, f.rsi, f.rdx, addr(t))
    mask_out(installed, saved[0], r)
    return r


# ---------------------------------------------------------------- eventfd

def new_eventfd(initial: u64, flags: u64) -> i64:
    if (flags & ~u64(file.O_CLOEXEC | file.O_NONBLOCK | eventfd.EFD_SEMAPHORE)) != 0:
        return -errno.EINVAL
    p: Ptr[Process] = process.current()
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err: i64 = eventfd.create(u32(initial), (flags & eventfd.EFD_SEMAPHORE) != 0, (flags & file.O_NONBLOCK) != 0,
                              addr(slot))
    if err < 0:
        return err
    return process.fd_install(p, slot[0], (flags & file.O_CLOEXEC) != 0, i64(0))


# ---------------------------------------------------------------- timerfd

TFD_TIMER_ABSTIME: Final = 1
TFD_TIMER_CANCEL_ON_SET: Final = 2  # the wall clock is never set here: nothing to cancel for
CLOCK_REALTIME: Final = 0
CLOCK_MONOTONIC: Final = 1
CLOCK_BOOTTIME: Final = 7


def timer_file(fd: u64) -> Ptr[file.File]:
    f: Ptr[file.File] = process.fd_get(process.current(), int_arg(fd))
    if f != NULL and not timerfd.is_timerfd(f):
        return cast(Ptr[file.File], NULL)
    return f


def put_itimerspec(user: u64, left_and_period: Ptr[u64]) -> i64:
    """struct itimerspec {it_interval, it_value} from (time left, period)."""
    v: Array[u64, 4] = Array[u64, 4]()
    v[0] = left_and_period[1] // NS_PER_S
    v[1] = left_and_period[1] % NS_PER_S
    v[2] = left_and_period[0] // NS_PER_S
    v[3] = left_and_period[0] % NS_PER_S
    if uaccess.copy_out(process.current().space, user, cast(Ptr[u8], addr(v)), u64(32)) < 0:
        return -errno.EFAULT
    return 0


def sys_timerfd_create(f: Ptr[TrapFrame]) -> i64:
    if f.rdi != CLOCK_REALTIME and f.rdi != CLOCK_MONOTONIC and f.rdi != CLOCK_BOOTTIME:
        return -errno.EINVAL  # the alarm clocks need a wake-up source there is none of
    if (f.rsi & ~u64(file.O_CLOEXEC | file.O_NONBLOCK)) != 0:
        return -errno.EINVAL
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    r: i64 = timerfd.create(f.rdi == CLOCK_REALTIME, (f.rsi & file.O_NONBLOCK) != 0, addr(slot))
    if r < 0:
        return r
    return process.fd_install(process.current(), slot[0], (f.rsi & file.O_CLOEXEC) != 0, i64(0))


def sys_timerfd_settime(f: Ptr[TrapFrame]) -> i64:
    """timerfd_settime(fd, flags, new, old): arm (or disarm, with a zero it_value) the timer."""
    tf: Ptr[file.File] = timer_file(f.rdi)
    if tf == NULL:
        return -errno.EBADF if process.fd_get(process.current(), int_arg(f.rdi)) == NULL else -errno.EINVAL
    if (f.rsi & ~u64(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) != 0:
        return -errno.EINVAL
    v: Array[i64, 4] = Array[i64, 4]()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(v)), f.rdx, u64(32)) < 0:
        return -errno.EFAULT
    for i in range(4):
        if v[i] < 0 or (i % 2 == 1 and v[i] >= i64(NS_PER_S)):
            return -errno.EINVAL
    t: Ptr[timerfd.Timer] = timerfd.timer_of(tf)
    if f.r10 != 0:
        old: Array[u64, 2] = Array[u64, 2]()
        timerfd.remaining(t, addr(old))
        if put_itimerspec(f.r10, addr(old)) < 0:
            return -errno.EFAULT
    period: u64 = u64(v[0]) * NS_PER_S + u64(v[1])
    value: u64 = u64(v[2]) * NS_PER_S + u64(v[3])
    first: u64 = 0
    if value != 0:
        first = clock.now_ns() + value
        if (f.rsi & TFD_TIMER_ABSTIME) != 0:
            first = value
            if t.realtime:
                first = value - clock.boot_epoch_ns if value > clock.boot_epoch_ns else u64(1)
            if first == 0:
                first = 1
    timerfd.arm(t, first, period)
    return 0


def sys_timerfd_gettime(f: Ptr[TrapFrame]) -> i64:
    tf: Ptr[file.File] = timer_file(f.rdi)
    if tf == NULL:
        return -errno.EBADF if process.fd_get(process.current(), int_arg(f.rdi)) == NULL else -errno.EINVAL
    now: Array[u64, 2] = Array[u64, 2]()
    timerfd.remaining(timerfd.timer_of(tf), addr(now))
    return put_itimerspec(f.rsi, addr(now))


def sys_eventfd(f: Ptr[TrapFrame]) -> i64:
    return new_eventfd(f.rdi, u64(0))


def sys_eventfd2(f: Ptr[TrapFrame]) -> i64:
    return new_eventfd(f.rdi, u64(u32(f.rsi)))


def terminal_ready() -> u32:
    """The console terminal: always writable, readable once read() would not wait."""
    if ldisc.readable():
        return u32(poll.READABLE | poll.WRITABLE)
    return u32(poll.WRITABLE)


def init() -> None:
    epoll.init()
    eventfd.init()
    timerfd.init()
    devfs.terminal_poll = terminal_ready
    define(SYS_POLL, sys_poll, FULL, NULL)
    define(SYS_SELECT, sys_select, FULL, NULL)
    define(SYS_PSELECT6, sys_pselect6, FULL, NULL)
    define(SYS_PPOLL, sys_ppoll, FULL, NULL)
    define(SYS_EPOLL_CREATE, sys_epoll_create, FULL, NULL)
    define(SYS_EPOLL_CREATE1, sys_epoll_create1, FULL, NULL)
    define(SYS_EPOLL_CTL, sys_epoll_ctl, PARTIAL,
           b"EPOLLET may wake spuriously after another file's change; EPOLLEXCLUSIVE wakes every waiter; "
           b"no nested epoll sets")
    define(SYS_EPOLL_WAIT, sys_epoll_wait, FULL, NULL)
    define(SYS_TIMERFD_CREATE, sys_timerfd_create, PARTIAL, b"CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME")
    define(SYS_TIMERFD_SETTIME, sys_timerfd_settime, FULL, NULL)
    define(SYS_TIMERFD_GETTIME, sys_timerfd_gettime, FULL, NULL)
    define(SYS_EPOLL_PWAIT, sys_epoll_pwait, FULL, NULL)
    define(SYS_EVENTFD, sys_eventfd, FULL, NULL)
    define(SYS_EVENTFD2, sys_eventfd2, FULL, NULL)
    ldisc.notify_pollers = poll.notify
