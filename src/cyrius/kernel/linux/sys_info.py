"""System information, limits and time: uname, getrandom, prlimit64/getrlimit/setrlimit, prctl,
arch_prctl, sched_yield, futex (single-threaded), clock_gettime, gettimeofday, time, nanosleep,
clock_nanosleep, sysinfo."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import memcpy, strlen

from ..platform import clock
from .. import errno, version
from ..arch.x86_64 import cpu
from ..container import runtime
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import devfs
from ..mm import uaccess, uspace
from ..proc import process, sched, task
from ..proc.task import Process
from . import sys_usage
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_ALARM, SYS_ARCH_PRCTL, SYS_CLOCK_GETRES, SYS_CLOCK_GETTIME, SYS_CLOCK_NANOSLEEP,
                            SYS_FUTEX, SYS_GETITIMER, SYS_GETRANDOM, SYS_GETRLIMIT, SYS_GETTIMEOFDAY, SYS_NANOSLEEP,
                            SYS_PRCTL, SYS_PRLIMIT64, SYS_RSEQ, SYS_SCHED_YIELD, SYS_SETITIMER, SYS_SETRLIMIT, SYS_TIME,
                            SYS_UNAME)

UTS_LEN: Final = 65
RLIMIT_NOFILE: Final = 7
ARCH_SET_GS: Final = 0x1001
ARCH_SET_FS: Final = 0x1002
ARCH_GET_FS: Final = 0x1003
ARCH_GET_GS: Final = 0x1004
PR_SET_NAME: Final = 15
PR_GET_NAME: Final = 16
FUTEX_WAIT: Final = 0
FUTEX_WAKE: Final = 1
FUTEX_CMD_MASK: Final = 0x7F
TIMER_ABSTIME: Final = 1
NS_PER_S: Final = 1000000000
GETRANDOM_MAX: Final = 33554431
CLOCK_REALTIME: Final = 0
CLOCK_PROCESS_CPUTIME_ID: Final = 2
CLOCK_THREAD_CPUTIME_ID: Final = 3
CLOCK_REALTIME_COARSE: Final = 5
CLOCK_BOOTTIME: Final = 7
ITIMER_REAL: Final = 0
NS_PER_US: Final = 1000

host_name: Array[u8, UTS_LEN] = Array[u8, UTS_LEN]()


@struct
class UtsName:
    sysname: Array[u8, UTS_LEN]
    nodename: Array[u8, UTS_LEN]
    release: Array[u8, UTS_LEN]
    version: Array[u8, UTS_LEN]
    machine: Array[u8, UTS_LEN]
    domainname: Array[u8, UTS_LEN]


@struct
class TimeSpec:
    sec: u64
    nsec: u64



def set_field(dst: Ptr[u8], src: Ptr[u8]) -> None:
    n: usize = strlen(src)
    if n > UTS_LEN - 1:
        n = UTS_LEN - 1
    memcpy(cast(Ptr[None], dst), cast(Ptr[None], src), n)
    dst[n] = 0


def set_host_name(name: Ptr[u8]) -> None:
    set_field(addr(host_name), name)


def sys_uname(f: Ptr[TrapFrame]) -> i64:
    u: UtsName = UtsName()
    set_field(addr(u.sysname), b"Linux")
    name: Ptr[u8] = runtime.hostname_of(process.current())
    if name == NULL:
        name = addr(host_name)
    set_field(addr(u.nodename), name)
    set_field(addr(u.release), version.release())
    set_field(addr(u.version), version.build())
    set_field(addr(u.machine), b"x86_64")
    set_field(addr(u.domainname), b"(none)")
    if uaccess.copy_out(process.current().space, f.rdi, cast(Ptr[u8], addr(u)), u64(sizeof(UtsName))) < 0:
        return -errno.EFAULT
    return 0


def sys_getrandom(f: Ptr[TrapFrame]) -> i64:
    count: u64 = f.rsi
    if (f.rdx & ~u64(7)) != 0:
        return -errno.EINVAL
    if count > GETRANDOM_MAX:
        count = GETRANDOM_MAX
    chunk: Array[u8, 256] = Array[u8, 256]()
    done: u64 = 0
    while done < count:
        n: u64 = count - done
        if n > 256:
            n = 256
        devfs.fill_random(addr(chunk), usize(n))
        if uaccess.copy_out(process.current().space, f.rdi + done, addr(chunk), n) < 0:
            return -errno.EFAULT
        done += n
    return i64(count)


def do_prlimit(p: Ptr[Process], resource: u64, new_addr: u64, old_addr: u64) -> i64:
    if resource >= task.RLIMIT_COUNT:
        return -errno.EINVAL
    lim: Ptr[task.RLimit] = addr(p.rlimits[resource])
    fresh: task.RLimit = task.RLimit()
    if new_addr != 0:
        if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(fresh)), new_addr, u64(16)) < 0:
            return -errno.EFAULT
        if fresh.soft > fresh.hard:
            return -errno.EINVAL
        if fresh.hard > lim.hard and process.current().euid != 0:
            return -errno.EPERM
        if resource == RLIMIT_NOFILE and fresh.hard > task.MAX_FDS:
            return -errno.EPERM  # the descriptor table has MAX_FDS slots
    if old_addr != 0 and uaccess.copy_out(process.current().space, old_addr, cast(Ptr[u8], lim), u64(16)) < 0:
        return -errno.EFAULT
    if new_addr != 0:
        lim[0] = fresh
    return 0


def sys_prlimit64(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    if f.rdi != 0:
        p = process.find(u32(f.rdi))
        if p == NULL:
            return -errno.ESRCH
    return do_prlimit(p, f.rsi, f.rdx, f.r10)


def sys_getrlimit(f: Ptr[TrapFrame]) -> i64:
    return do_prlimit(process.current(), f.rdi, u64(0), f.rsi)


def sys_setrlimit(f: Ptr[TrapFrame]) -> i64:
    return do_prlimit(process.current(), f.rdi, f.rsi, u64(0))


def sys_prctl(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    if f.rdi == PR_SET_NAME:
        name: Array[u8, task.NAME_LEN] = Array[u8, task.NAME_LEN]()
        if uaccess.copy_in(p.space, addr(name), f.rsi, u64(task.NAME_LEN - 1)) < 0:
            r: i64 = uaccess.copy_string_in(p.space, addr(name), f.rsi, u64(task.NAME_LEN))
            if r == -errno.EFAULT:
                return r
        name[task.NAME_LEN - 1] = 0
        memcpy(cast(Ptr[None], addr(p.name)), cast(Ptr[None], addr(name)), usize(task.NAME_LEN))
        return 0
    if f.rdi == PR_GET_NAME:
        if uaccess.copy_out(p.space, f.rsi, addr(p.name), u64(task.NAME_LEN)) < 0:
            return -errno.EFAULT
        return 0
    return -errno.EINVAL


def sys_arch_prctl(f: Ptr[TrapFrame]) -> i64:
    t: Ptr[task.Task] = sched.current
    if f.rdi == ARCH_SET_FS or f.rdi == ARCH_SET_GS:
        if f.rsi >= uspace.USER_TOP:
            return -errno.EPERM
        if f.rdi == ARCH_SET_FS:
            t.fs_base = f.rsi
            cpu.set_user_fs_base(f.rsi)
        else:
            t.gs_base = f.rsi
            cpu.set_user_gs_base(f.rsi)
        return 0
    if f.rdi == ARCH_GET_FS:
        return uaccess.put_u64(process.current().space, f.rsi, t.fs_base)
    if f.rdi == ARCH_GET_GS:
        return uaccess.put_u64(process.current().space, f.rsi, t.gs_base)
    return -errno.EINVAL


def sys_sched_yield(f: Ptr[TrapFrame]) -> i64:
    sched.yield_now()
    return 0


def sys_futex(f: Ptr[TrapFrame]) -> i64:
    """One thread per process: nobody else can wake a waiter, so a wait whose value matches is
    a deadlock Linux would also never end; it sleeps until a signal."""
    op: u64 = f.rsi & FUTEX_CMD_MASK
    if op == FUTEX_WAKE:
        return 0
    if op == FUTEX_WAIT:
        value: Array[u32, 1] = Array[u32, 1]()
        if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(value)), f.rdi, u64(4)) < 0:
            return -errno.EFAULT
        if value[0] != u32(f.rdx):
            return -errno.EAGAIN
        while not process.signal_waiting(process.current()):
            sched.block_on(NULL, u64(0))
        return -errno.EINTR
    return -errno.ENOSYS


def sys_rseq(f: Ptr[TrapFrame]) -> i64:
    return -errno.ENOSYS


def now_for(clk: u64) -> u64:
    if clk == CLOCK_REALTIME or clk == CLOCK_REALTIME_COARSE:
        return clock.realtime_ns()
    if is_cpu_clock(clk):
        return sys_usage.cpu_time_ns(process.current())
    return clock.now_ns()


def is_cpu_clock(clk: u64) -> bool:
    return clk == CLOCK_PROCESS_CPUTIME_ID or clk == CLOCK_THREAD_CPUTIME_ID


def put_timespec(dst: u64, ns: u64) -> i64:
    ts: TimeSpec = TimeSpec()
    ts.sec = ns // NS_PER_S
    ts.nsec = ns % NS_PER_S
    if uaccess.copy_out(process.current().space, dst, cast(Ptr[u8], addr(ts)), u64(16)) < 0:
        return -errno.EFAULT
    return 0


def get_timespec(src: u64, out: Ptr[u64]) -> i64:
    ts: TimeSpec = TimeSpec()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(ts)), src, u64(16)) < 0:
        return -errno.EFAULT
    if i64(ts.sec) < 0 or ts.nsec >= NS_PER_S:
        return -errno.EINVAL
    out[0] = ts.sec * NS_PER_S + ts.nsec
    return 0


def sys_clock_gettime(f: Ptr[TrapFrame]) -> i64:
    if f.rdi > CLOCK_BOOTTIME:
        return -errno.EINVAL
    return put_timespec(f.rsi, now_for(f.rdi))


def sys_clock_getres(f: Ptr[TrapFrame]) -> i64:
    if f.rdi > CLOCK_BOOTTIME:
        return -errno.EINVAL
    if f.rsi == 0:
        return 0
    return put_timespec(f.rsi, u64(1))


def sys_gettimeofday(f: Ptr[TrapFrame]) -> i64:
    if f.rdi != 0:
        ns: u64 = clock.realtime_ns()
        tv: TimeSpec = TimeSpec()
        tv.sec = ns // NS_PER_S
        tv.nsec = (ns % NS_PER_S) // 1000
        if uaccess.copy_out(process.current().space, f.rdi, cast(Ptr[u8], addr(tv)), u64(16)) < 0:
            return -errno.EFAULT
    return 0


def sys_time(f: Ptr[TrapFrame]) -> i64:
    sec: u64 = clock.realtime_ns() // NS_PER_S
    if f.rdi != 0 and uaccess.put_u64(process.current().space, f.rdi, sec) < 0:
        return -errno.EFAULT
    return i64(sec)


def sleep_until(deadline: u64, rem_addr: u64) -> i64:
    """Sleep until the monotonic clock reaches deadline; a signal ends it early with -EINTR and
    the time left in rem_addr (if given)."""
    while True:
        now: u64 = clock.now_ns()
        if now >= deadline:
            return 0
        if process.signal_waiting(process.current()):
            if rem_addr != 0:
                put_timespec(rem_addr, deadline - now)
            return -errno.EINTR
        sched.block_on(NULL, deadline)


def sys_nanosleep(f: Ptr[TrapFrame]) -> i64:
    ns: Array[u64, 1] = Array[u64, 1]()
    r: i64 = get_timespec(f.rdi, addr(ns))
    if r < 0:
        return r
    return sleep_until(clock.now_ns() + ns[0], f.rsi)


def sys_clock_nanosleep(f: Ptr[TrapFrame]) -> i64:
    if f.rdi > CLOCK_BOOTTIME or is_cpu_clock(f.rdi):
        return -errno.EINVAL
    ns: Array[u64, 1] = Array[u64, 1]()
    r: i64 = get_timespec(f.rdx, addr(ns))
    if r < 0:
        return r
    deadline: u64 = clock.now_ns() + ns[0]
    rem: u64 = f.r10
    if (f.rsi & TIMER_ABSTIME) != 0:
        deadline = ns[0]
        if f.rdi == CLOCK_REALTIME:
            deadline = ns[0] - clock.boot_epoch_ns  # the monotonic clock is what sleeps
        rem = 0
    return sleep_until(deadline, rem)


def timeval_ns(tv: Ptr[TimeSpec]) -> u64:
    return tv.sec * NS_PER_S + tv.nsec * NS_PER_US


def put_itimer(dst: u64, t: Ptr[task.Task]) -> i64:
    """struct itimerval {interval, value} (timevals) of the task's ITIMER_REAL."""
    v: Array[TimeSpec, 2] = Array[TimeSpec, 2]()
    left: u64 = 0
    now: u64 = clock.now_ns()
    if t.alarm_at_ns > now:
        left = t.alarm_at_ns - now
    elif t.alarm_at_ns != 0:
        left = NS_PER_US  # due now: Linux reports the smallest non-zero value
    v[0].sec = t.alarm_interval_ns // NS_PER_S
    v[0].nsec = (t.alarm_interval_ns % NS_PER_S) // NS_PER_US
    v[1].sec = left // NS_PER_S
    v[1].nsec = (left % NS_PER_S) // NS_PER_US
    if uaccess.copy_out(process.current().space, dst, cast(Ptr[u8], addr(v)), u64(32)) < 0:
        return -errno.EFAULT
    return 0


def sys_getitimer(f: Ptr[TrapFrame]) -> i64:
    if f.rdi != ITIMER_REAL:
        return -errno.EINVAL
    return put_itimer(f.rsi, sched.current)


def sys_setitimer(f: Ptr[TrapFrame]) -> i64:
    if f.rdi != ITIMER_REAL:
        return -errno.EINVAL
    t: Ptr[task.Task] = sched.current
    v: Array[TimeSpec, 2] = Array[TimeSpec, 2]()
    if f.rsi != 0 and uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(v)), f.rsi, u64(32)) < 0:
        return -errno.EFAULT
    if v[0].nsec >= 1000000 or v[1].nsec >= 1000000:
        return -errno.EINVAL
    if f.rdx != 0 and put_itimer(f.rdx, t) < 0:
        return -errno.EFAULT
    value: u64 = timeval_ns(addr(v[1]))
    t.alarm_interval_ns = timeval_ns(addr(v[0]))
    t.alarm_at_ns = 0
    if value != 0:
        t.alarm_at_ns = clock.now_ns() + value
    return 0


def sys_alarm(f: Ptr[TrapFrame]) -> i64:
    t: Ptr[task.Task] = sched.current
    now: u64 = clock.now_ns()
    left: u64 = 0
    if t.alarm_at_ns > now:
        left = (t.alarm_at_ns - now + NS_PER_S - 1) // NS_PER_S
    t.alarm_interval_ns = 0
    t.alarm_at_ns = 0
    if f.rdi != 0:
        t.alarm_at_ns = now + u64(u32(f.rdi)) * NS_PER_S
    return i64(left)


def init() -> None:
    set_host_name(b"cyrius")
    define(SYS_GETITIMER, sys_getitimer, PARTIAL, b"ITIMER_REAL only")
    define(SYS_SETITIMER, sys_setitimer, PARTIAL, b"ITIMER_REAL only")
    define(SYS_ALARM, sys_alarm, FULL, NULL)
    define(SYS_RSEQ, sys_rseq, PARTIAL, b"registration is refused (ENOSYS) without a log line: glibc runs without "
           b"restartable sequences")
    define(SYS_UNAME, sys_uname, FULL, NULL)
    define(SYS_GETRANDOM, sys_getrandom, FULL, NULL)
    define(SYS_PRLIMIT64, sys_prlimit64, PARTIAL,
           b"limits are recorded; only RLIMIT_NOFILE and RLIMIT_STACK take effect")
    define(SYS_GETRLIMIT, sys_getrlimit, FULL, NULL)
    define(SYS_SETRLIMIT, sys_setrlimit, FULL, NULL)
    define(SYS_PRCTL, sys_prctl, PARTIAL, b"PR_SET_NAME and PR_GET_NAME")
    define(SYS_ARCH_PRCTL, sys_arch_prctl, FULL, NULL)
    define(SYS_SCHED_YIELD, sys_sched_yield, FULL, NULL)
    define(SYS_FUTEX, sys_futex, PARTIAL, b"FUTEX_WAIT and FUTEX_WAKE for one thread per process")
    define(SYS_CLOCK_GETTIME, sys_clock_gettime, PARTIAL, b"CPU-time clocks count in 10 ms timer ticks")
    define(SYS_CLOCK_GETRES, sys_clock_getres, FULL, NULL)
    define(SYS_GETTIMEOFDAY, sys_gettimeofday, FULL, NULL)
    define(SYS_TIME, sys_time, FULL, NULL)
    define(SYS_NANOSLEEP, sys_nanosleep, FULL, NULL)
    define(SYS_CLOCK_NANOSLEEP, sys_clock_nanosleep, PARTIAL, b"not on CPU-time clocks (EINVAL)")
