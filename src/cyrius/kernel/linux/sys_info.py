"""System information, limits and time: uname, getrandom, prlimit64/getrlimit/setrlimit, prctl,
arch_prctl, sched_yield, futex (proc/futex.py does the waiting), clock_gettime, gettimeofday, time, nanosleep,
clock_nanosleep, sysinfo."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import memcpy, strlen

from ..platform import clock
from .. import errno, version
from ..arch.x86_64 import cpu
from ..container import runtime
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import devfs
from ..mm import uaccess, uspace
from ..proc import caps, cred, futex, process, sched, task
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
PR_GET_KEEPCAPS: Final = 7
PR_SET_KEEPCAPS: Final = 8
PR_CAPBSET_READ: Final = 23
PR_CAPBSET_DROP: Final = 24
PR_SET_NO_NEW_PRIVS: Final = 38
PR_GET_NO_NEW_PRIVS: Final = 39
PR_CAP_AMBIENT: Final = 47
NOT_CREDS: Final = -1000  # prctl_creds: not one of its options
PR_GET_NAME: Final = 16
FUTEX_WAIT: Final = 0
FUTEX_WAKE: Final = 1
FUTEX_REQUEUE: Final = 3
FUTEX_CMP_REQUEUE: Final = 4
FUTEX_WAKE_OP: Final = 5
FUTEX_WAIT_BITSET: Final = 9
FUTEX_WAKE_BITSET: Final = 10
FUTEX_PRIVATE_FLAG: Final = 128
FUTEX_CLOCK_REALTIME: Final = 256
FUTEX_CMD_MASK: Final = 0x7F
FUTEX_OP_OPARG_SHIFT: Final = 8
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
        if fresh.hard > lim.hard and not cred.capable(process.current(), u32(caps.CAP_SYS_RESOURCE)):
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
        p = process.find_visible(p, u32(f.rdi))
        if p == NULL:
            return -errno.ESRCH
    return do_prlimit(p, f.rsi, f.rdx, f.r10)


def sys_getrlimit(f: Ptr[TrapFrame]) -> i64:
    return do_prlimit(process.current(), f.rdi, u64(0), f.rsi)


def sys_setrlimit(f: Ptr[TrapFrame]) -> i64:
    return do_prlimit(process.current(), f.rdi, f.rsi, u64(0))


def flag(b: bool) -> i64:
    if b:
        return 1
    return 0


def prctl_creds(p: Ptr[Process], f: Ptr[TrapFrame]) -> i64:
    """prctl's credential options (proc/cred.py's rules); NOT_CREDS for any other option."""
    op: u64 = f.rdi
    if op == PR_CAPBSET_READ:
        if not caps.valid(f.rsi):
            return -errno.EINVAL
        return i64((p.cap_bounding >> f.rsi) & 1)
    if op == PR_CAPBSET_DROP:
        return cred.drop_bounding(p, f.rsi)
    if op == PR_CAP_AMBIENT:
        return cred.ambient(p, f.rsi, f.rdx, f.r10, f.r8)
    if op == PR_GET_KEEPCAPS:
        return flag(p.keep_caps)
    if op == PR_SET_KEEPCAPS:
        if f.rsi > 1:
            return -errno.EINVAL
        p.keep_caps = f.rsi == 1
        return 0
    if op == PR_GET_NO_NEW_PRIVS:
        if f.rsi != 0 or f.rdx != 0 or f.r10 != 0 or f.r8 != 0:
            return -errno.EINVAL
        return flag(p.no_new_privs)
    if op == PR_SET_NO_NEW_PRIVS:
        if f.rsi != 1 or f.rdx != 0 or f.r10 != 0 or f.r8 != 0:
            return -errno.EINVAL
        p.no_new_privs = True  # for good: nothing clears it
        return 0
    return NOT_CREDS


def sys_prctl(f: Ptr[TrapFrame]) -> i64:
    """PR_SET_NAME and PR_GET_NAME name the calling thread (the leader's name is the process's); the
    capability, keep-caps and no-new-privs options are prctl_creds'."""
    p: Ptr[Process] = process.current()
    r: i64 = prctl_creds(p, f)
    if r != NOT_CREDS:
        return r
    if f.rdi == PR_SET_NAME:
        name: Array[u8, task.NAME_LEN] = Array[u8, task.NAME_LEN]()
        if uaccess.copy_in(p.space, addr(name), f.rsi, u64(task.NAME_LEN - 1)) < 0:
            r: i64 = uaccess.copy_string_in(p.space, addr(name), f.rsi, u64(task.NAME_LEN))
            if r == -errno.EFAULT:
                return r
        name[task.NAME_LEN - 1] = 0
        memcpy(cast(Ptr[None], process.thread_name(sched.current)), cast(Ptr[None], addr(name)), usize(task.NAME_LEN))
        return 0
    if f.rdi == PR_GET_NAME:
        if uaccess.copy_out(p.space, f.rsi, process.thread_name(sched.current), u64(task.NAME_LEN)) < 0:
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


def futex_deadline(f: Ptr[TrapFrame], cmd: u64, out: Ptr[u64]) -> i64:
    """The end of a futex wait on the monotonic clock (0: none): FUTEX_WAIT's timeout is relative,
    FUTEX_WAIT_BITSET's absolute, on CLOCK_REALTIME with FUTEX_CLOCK_REALTIME."""
    out[0] = 0
    if f.r10 == 0:
        return 0
    r: i64 = get_timespec(f.r10, out)
    if r < 0:
        return r
    if cmd == FUTEX_WAIT:
        out[0] = sched.timed_deadline(out[0] + clock.now_ns())
    elif (f.rsi & FUTEX_CLOCK_REALTIME) != 0:
        if out[0] > clock.boot_epoch_ns:
            out[0] -= clock.boot_epoch_ns
        else:
            out[0] = 1  # before the machine started: already past
    if out[0] == 0:
        out[0] = 1  # 0 would mean no deadline
    return 0


def futex_key(f: Ptr[TrapFrame], uaddr: u64, out: Ptr[futex.FutexKey]) -> i64:
    return futex.key_of(process.current().space, uaddr, (f.rsi & FUTEX_PRIVATE_FLAG) == 0, out)


def sys_futex(f: Ptr[TrapFrame]) -> i64:
    # uaddr, op, val, timeout (or val2: a count), uaddr2, val3 (a bitset or the WAKE_OP encoding)
    cmd: u64 = f.rsi & FUTEX_CMD_MASK
    space: Ptr[uspace.AddressSpace] = process.current().space
    shared: bool = (f.rsi & FUTEX_PRIVATE_FLAG) == 0
    val: u32 = u32(f.rdx)
    bitset: u32 = u32(f.r9)
    if cmd == FUTEX_WAIT or cmd == FUTEX_WAKE:
        bitset = u32(futex.BITSET_ANY)
    elif (cmd == FUTEX_WAIT_BITSET or cmd == FUTEX_WAKE_BITSET) and bitset == 0:
        return -errno.EINVAL
    if cmd == FUTEX_WAIT or cmd == FUTEX_WAIT_BITSET:
        deadline: Array[u64, 1] = Array[u64, 1]()
        r: i64 = futex_deadline(f, cmd, addr(deadline))
        if r < 0:
            return r
        return futex.wait(space, f.rdi, shared, val, deadline[0], bitset)
    k: futex.FutexKey = futex.FutexKey()
    r2: i64 = futex_key(f, f.rdi, addr(k))
    if r2 < 0:
        return r2
    if cmd == FUTEX_WAKE or cmd == FUTEX_WAKE_BITSET:
        return i64(futex.wake(addr(k), u64(val), bitset))
    if cmd != FUTEX_REQUEUE and cmd != FUTEX_CMP_REQUEUE and cmd != FUTEX_WAKE_OP:
        return -errno.ENOSYS  # the priority-inheritance operations
    k2: futex.FutexKey = futex.FutexKey()
    r2 = futex_key(f, f.r8, addr(k2))
    if r2 < 0:
        return r2
    if cmd == FUTEX_WAKE_OP:
        return futex_wake_op(space, addr(k), addr(k2), f)
    if cmd == FUTEX_CMP_REQUEUE:
        value: Array[u32, 1] = Array[u32, 1]()
        if futex.read_word(space, f.rdi, addr(value)) < 0:
            return -errno.EFAULT
        if value[0] != bitset:  # val3: what the caller expects the word to hold
            return -errno.EAGAIN
    if i32(u32(f.r10)) < 0:
        return -errno.EINVAL
    return i64(futex.requeue(addr(k), addr(k2), u64(val), u64(u32(f.r10))))


def futex_wake_op(space: Ptr[uspace.AddressSpace], k: Ptr[futex.FutexKey], k2: Ptr[futex.FutexKey],
                  f: Ptr[TrapFrame]) -> i64:
    """FUTEX_WAKE_OP: change the word at uaddr2 as val3 says, wake up to val waiters on uaddr and,
    if the word's old value passes val3's comparison, up to val2 on uaddr2. One CPU with the kernel
    not preempted makes the change atomic; with several it needs an atomic instruction."""
    encoded: u32 = u32(f.r9)
    op: u32 = (encoded >> 28) & 0xF
    compare: u32 = (encoded >> 24) & 0xF
    operand: i32 = sign_extend_12((encoded >> 12) & 0xFFF)
    compare_with: i32 = sign_extend_12(encoded & 0xFFF)
    if (op & FUTEX_OP_OPARG_SHIFT) != 0:
        if operand < 0 or operand > 31:
            return -errno.EINVAL
        operand = i32(1) << operand
        op &= ~u32(FUTEX_OP_OPARG_SHIFT)
    word: Array[u32, 1] = Array[u32, 1]()
    if futex.read_word(space, f.r8, addr(word)) < 0:
        return -errno.EFAULT
    old: i32 = i32(word[0])
    new: i32 = 0
    if op == 0:
        new = operand
    elif op == 1:
        new = old + operand
    elif op == 2:
        new = old | operand
    elif op == 3:
        new = old & ~operand
    elif op == 4:
        new = old ^ operand
    else:
        return -errno.ENOSYS
    if uaccess.put_u32(space, f.r8, u32(new)) < 0:
        return -errno.EFAULT
    woken: u64 = futex.wake(k, u64(u32(f.rdx)), u32(futex.BITSET_ANY))
    passes: bool = False
    if compare == 0:
        passes = old == compare_with
    elif compare == 1:
        passes = old != compare_with
    elif compare == 2:
        passes = old < compare_with
    elif compare == 3:
        passes = old <= compare_with
    elif compare == 4:
        passes = old > compare_with
    elif compare == 5:
        passes = old >= compare_with
    else:
        return -errno.ENOSYS
    if passes:
        woken += futex.wake(k2, u64(u32(f.r10)), u32(futex.BITSET_ANY))
    return i64(woken)


def sign_extend_12(v: u32) -> i32:
    return i32(v << 20) >> 20


def sys_rseq(f: Ptr[TrapFrame]) -> i64:
    return -errno.ENOSYS


def now_for(clk: u64) -> u64:
    if clk == CLOCK_REALTIME or clk == CLOCK_REALTIME_COARSE:
        return clock.realtime_ns()
    if clk == CLOCK_THREAD_CPUTIME_ID:
        return sys_usage.thread_time_ns(sched.current)
    if clk == CLOCK_PROCESS_CPUTIME_ID:
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
    the time left in rem_addr (if given) - or, with no handler to run, it sleeps on to the same
    deadline (restart_syscall)."""
    while True:
        now: u64 = clock.now_ns()
        if now >= deadline:
            return 0
        if process.signal_waiting(process.current()):
            if rem_addr != 0:
                put_timespec(rem_addr, deadline - now)
            return sched.interrupted_timed(deadline)
        sched.block_on(NULL, deadline)


def sys_nanosleep(f: Ptr[TrapFrame]) -> i64:
    ns: Array[u64, 1] = Array[u64, 1]()
    r: i64 = get_timespec(f.rdi, addr(ns))
    if r < 0:
        return r
    return sleep_until(sched.timed_deadline(clock.now_ns() + ns[0]), f.rsi)


def sys_clock_nanosleep(f: Ptr[TrapFrame]) -> i64:
    if f.rdi > CLOCK_BOOTTIME or is_cpu_clock(f.rdi):
        return -errno.EINVAL
    ns: Array[u64, 1] = Array[u64, 1]()
    r: i64 = get_timespec(f.rdx, addr(ns))
    if r < 0:
        return r
    deadline: u64 = sched.timed_deadline(clock.now_ns() + ns[0])
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
           b"RLIMIT_MEMLOCK, SIGPENDING, MSGQUEUE, RTPRIO, RTTIME, LOCKS are recorded, guarding nothing")
    define(SYS_GETRLIMIT, sys_getrlimit, FULL, NULL)
    define(SYS_SETRLIMIT, sys_setrlimit, FULL, NULL)
    define(SYS_PRCTL, sys_prctl, PARTIAL,
           b"PR_SET/GET_NAME, PR_CAPBSET_READ/DROP, PR_CAP_AMBIENT, PR_SET/GET_KEEPCAPS, PR_SET/GET_NO_NEW_PRIVS")
    define(SYS_ARCH_PRCTL, sys_arch_prctl, FULL, NULL)
    define(SYS_SCHED_YIELD, sys_sched_yield, FULL, NULL)
    define(SYS_FUTEX, sys_futex, PARTIAL, b"no priority-inheritance operations (FUTEX_LOCK_PI...)")
    define(SYS_CLOCK_GETTIME, sys_clock_gettime, PARTIAL, b"CPU-time clocks count in 10 ms timer ticks")
    define(SYS_CLOCK_GETRES, sys_clock_getres, FULL, NULL)
    define(SYS_GETTIMEOFDAY, sys_gettimeofday, FULL, NULL)
    define(SYS_TIME, sys_time, FULL, NULL)
    define(SYS_NANOSLEEP, sys_nanosleep, FULL, NULL)
    define(SYS_CLOCK_NANOSLEEP, sys_clock_nanosleep, PARTIAL, b"not on CPU-time clocks (EINVAL)")
