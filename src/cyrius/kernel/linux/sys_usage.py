"""What the system and its processes use: sysinfo, times, getrusage, CPU affinity, priorities.

CPU time comes from the scheduler's tick accounting (proc/sched.py account_tick): 10 ms a tick,
which is also Linux's USER_HZ, so times() and /proc need no conversion.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, struct, u8, u16, u32, u64

from ..platform import clock
from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..mm import frames, uaccess
from ..mm.phys import PAGE
from ..proc import caps, cred, process, sched, task
from ..proc.task import Process
from .fsargs import int_arg
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_GETPRIORITY, SYS_GETRUSAGE, SYS_SCHED_GETAFFINITY, SYS_SCHED_SETAFFINITY,
                            SYS_SETPRIORITY, SYS_SYSINFO, SYS_TIMES)

NS_PER_TICK: Final = 10000000
US_PER_TICK: Final = 10000
US_PER_S: Final = 1000000
SI_LOAD_SHIFT: Final = 16  # sysinfo's load fixed point; the scheduler keeps 11 bits
RUSAGE_SELF: Final = 0
RUSAGE_CHILDREN: Final = -1
RUSAGE_THREAD: Final = 1
PRIO_PROCESS: Final = 0
PRIO_USER: Final = 2
NICE_BASE: Final = 20  # getpriority returns 20 - nice, so it is never negative
AFFINITY_BYTES: Final = 8  # one CPU; Linux answers with the size of its CPU mask in longs

RLIMIT_NICE: Final = 13


@struct
class SysInfo:
    """struct sysinfo as Linux x86_64 lays it out (112 bytes)."""
    uptime: u64
    loads: Array[u64, 3]
    totalram: u64
    freeram: u64
    sharedram: u64
    bufferram: u64
    totalswap: u64
    freeswap: u64
    procs: u16
    pad: u16
    pad2: u32
    totalhigh: u64
    freehigh: u64
    mem_unit: u32
    pad3: u32


@struct
class Tms:
    utime: u64
    stime: u64
    cutime: u64
    cstime: u64


@struct
class TimeVal:
    sec: u64
    usec: u64


@struct
class RUsage:
    """struct rusage (144 bytes): two timevals, then fourteen longs starting with ru_maxrss."""
    utime: TimeVal
    stime: TimeVal
    maxrss_kb: u64
    rest: Array[u64, 13]


def cpu_time_ns(p: Ptr[Process]) -> u64:
    """CLOCK_PROCESS_CPUTIME_ID: the CPU time of all p's threads."""
    return (process.cpu_ticks(p, True) + process.cpu_ticks(p, False)) * NS_PER_TICK


def thread_time_ns(t: Ptr[task.Task]) -> u64:
    """CLOCK_THREAD_CPUTIME_ID."""
    return (t.user_ticks + t.system_ticks) * NS_PER_TICK


def put(dst: u64, src: Ptr[u8], size: u64) -> i64:
    if uaccess.copy_out(process.current().space, dst, src, size) < 0:
        return -errno.EFAULT
    return 0


def sys_sysinfo(f: Ptr[TrapFrame]) -> i64:
    info: SysInfo = SysInfo()
    info.uptime = clock.now_ns() // 1000000000
    for i in range(3):
        info.loads[i] = sched.load[i] << (SI_LOAD_SHIFT - sched.LOAD_SHIFT)
    info.totalram = frames.usable_frames * PAGE
    info.freeram = frames.free_frames * PAGE
    info.procs = u16(sched.task_count())
    info.mem_unit = 1
    return put(f.rdi, cast(Ptr[u8], addr(info)), u64(112))


def sys_times(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    if f.rdi != 0:
        t: Tms = Tms()
        t.utime = process.cpu_ticks(p, True)
        t.stime = process.cpu_ticks(p, False)
        t.cutime = p.child_user_ticks
        t.cstime = p.child_system_ticks
        err: i64 = put(f.rdi, cast(Ptr[u8], addr(t)), u64(32))
        if err < 0:
            return err
    return i64(clock.now_ns() // NS_PER_TICK)


def set_timeval(tv: Ptr[TimeVal], ticks: u64) -> None:
    micros: u64 = ticks * US_PER_TICK
    tv.sec = micros // US_PER_S
    tv.usec = micros % US_PER_S


def put_rusage(dst: u64, user: u64, system: u64, maxrss_kb: u64) -> i64:
    """A struct rusage with these CPU times (in ticks) at user address dst."""
    usage: RUsage = RUsage()
    set_timeval(addr(usage.utime), user)
    set_timeval(addr(usage.stime), system)
    usage.maxrss_kb = maxrss_kb
    return put(dst, cast(Ptr[u8], addr(usage)), u64(144))


def sys_getrusage(f: Ptr[TrapFrame]) -> i64:
    who: i64 = int_arg(f.rdi)
    p: Ptr[Process] = process.current()
    if who == RUSAGE_CHILDREN:
        return put_rusage(f.rsi, p.child_user_ticks, p.child_system_ticks, u64(0))
    if who != RUSAGE_SELF and who != RUSAGE_THREAD:
        return -errno.EINVAL
    user: u64 = process.cpu_ticks(p, True)
    system: u64 = process.cpu_ticks(p, False)
    if who == RUSAGE_THREAD:
        user = sched.current.user_ticks
        system = sched.current.system_ticks
    resident: u64 = 0
    if p.space != NULL:
        resident = p.space.resident
    return put_rusage(f.rsi, user, system, resident * (PAGE // 1024))


def affinity_target(tid: u64) -> Ptr[task.Task]:
    """The thread sched_*affinity names (0: the caller), NULL if none the caller can see."""
    if tid == 0:
        return sched.current
    return process.find_thread_visible(process.current(), u32(tid))


def sys_sched_getaffinity(f: Ptr[TrapFrame]) -> i64:
    if affinity_target(f.rdi) == NULL:
        return -errno.ESRCH
    if f.rsi < AFFINITY_BYTES or (f.rsi & (AFFINITY_BYTES - 1)) != 0:
        return -errno.EINVAL
    err: i64 = uaccess.put_u64(process.current().space, f.rdx, u64(1))
    if err < 0:
        return err
    return AFFINITY_BYTES


def sys_sched_setaffinity(f: Ptr[TrapFrame]) -> i64:
    """Any mask that includes CPU 0, the only one, is accepted (and changes nothing)."""
    if affinity_target(f.rdi) == NULL:
        return -errno.ESRCH
    if f.rsi == 0:
        return -errno.EINVAL
    first: Array[u8, 1] = Array[u8, 1]()
    if uaccess.copy_in(process.current().space, addr(first), f.rdx, u64(1)) < 0:
        return -errno.EFAULT
    if (first[0] & 1) == 0:
        return -errno.EINVAL
    return 0


def priority_target(which: u64, who: u64) -> i64:
    """0 if (which, who) names at least one process, else -errno."""
    if which > PRIO_USER:
        return -errno.EINVAL
    if which == PRIO_PROCESS and who != 0 and process.find_visible(process.current(), u32(who)) == NULL:
        return -errno.ESRCH
    return 0


def sys_getpriority(f: Ptr[TrapFrame]) -> i64:
    err: i64 = priority_target(f.rdi, f.rsi)
    if err < 0:
        return err
    return NICE_BASE


def sys_setpriority(f: Ptr[TrapFrame]) -> i64:
    """Raising priority (a negative nice) needs RLIMIT_NICE to allow it (20 - nice at most) or
    CAP_SYS_NICE, as on Linux; the scheduler has one level."""
    err: i64 = priority_target(f.rdi, f.rsi)
    if err < 0:
        return err
    nice: i64 = int_arg(f.rdx)
    p: Ptr[Process] = process.current()
    if nice < 0 and u64(20 - nice) > p.rlimits[RLIMIT_NICE].soft and not cred.capable(p, u32(caps.CAP_SYS_NICE)):
        return -errno.EACCES
    return 0


def init() -> None:
    define(SYS_SYSINFO, sys_sysinfo, PARTIAL, b"no swap, shared or buffer memory is reported (all 0)")
    define(SYS_TIMES, sys_times, FULL, NULL)
    define(SYS_GETRUSAGE, sys_getrusage, PARTIAL,
           b"CPU times and ru_maxrss (the current resident size); the counters are 0")
    define(SYS_SCHED_GETAFFINITY, sys_sched_getaffinity, FULL, NULL)
    define(SYS_SCHED_SETAFFINITY, sys_sched_setaffinity, FULL, NULL)
    define(SYS_GETPRIORITY, sys_getpriority, PARTIAL, b"every process has nice 0")
    define(SYS_SETPRIORITY, sys_setpriority, PARTIAL,
           b"checked and accepted; the round-robin scheduler has one priority")
