"""Signal system calls: rt_sigaction, rt_sigprocmask, rt_sigreturn, kill, tkill, tgkill, pause, rt_sigsuspend,
rt_sigtimedwait, sigaltstack, restart_syscall."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, sizeof, u8, u32, u64

from .. import errno
from ..arch.x86_64 import irq
from ..fs import file, signalfd
from ..arch.x86_64.trapframe import TrapFrame
from ..mm import uaccess, uspace
from ..platform import clock
from ..proc import caps, cred, process, sched, signal, task
from ..proc.task import Process
from . import sys_info
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_KILL, SYS_PAUSE, SYS_RESTART_SYSCALL, SYS_RT_SIGACTION, SYS_RT_SIGPENDING,
                            SYS_RT_SIGPROCMASK, SYS_RT_SIGRETURN, SYS_RT_SIGSUSPEND, SYS_RT_SIGTIMEDWAIT,
                            SYS_SIGALTSTACK, SYS_SIGNALFD, SYS_SIGNALFD4, SYS_TGKILL, SYS_TKILL)

SIG_BLOCK: Final = 0
SIG_UNBLOCK: Final = 1
SIG_SETMASK: Final = 2
SIGSET_SIZE: Final = 8



def sys_rt_sigaction(f: Ptr[TrapFrame]) -> i64:
    sig: u64 = f.rdi
    if f.r10 != SIGSET_SIZE:
        return -errno.EINVAL
    if sig == 0 or sig > task.NSIG:
        return -errno.EINVAL
    p: Ptr[Process] = process.current()
    act: Ptr[task.SigAction] = addr(p.actions[sig - 1])
    fresh: task.SigAction = task.SigAction()
    if f.rsi != 0:
        if sig == signal.SIGKILL or sig == signal.SIGSTOP:
            return -errno.EINVAL
        if uaccess.copy_in(p.space, cast(Ptr[u8], addr(fresh)), f.rsi, u64(sizeof(task.SigAction))) < 0:
            return -errno.EFAULT
    if f.rdx != 0 and uaccess.copy_out(p.space, f.rdx, cast(Ptr[u8], act), u64(sizeof(task.SigAction))) < 0:
        return -errno.EFAULT
    if f.rsi != 0:
        act[0] = fresh
        act.mask &= ~u64(signal.UNBLOCKABLE)
        if signal.ignored(p, u32(sig)):  # POSIX: setting SIG_IGN discards a pending one
            p.sig_pending &= ~signal.bit(u32(sig))
            t: Ptr[task.Task] = p.threads
            while t != NULL:
                t.sig_pending &= ~signal.bit(u32(sig))
                t = t.group_next
    return 0


def sys_rt_sigprocmask(f: Ptr[TrapFrame]) -> i64:
    if f.r10 != SIGSET_SIZE:
        return -errno.EINVAL
    t: Ptr[task.Task] = sched.current
    p: Ptr[Process] = process.current()
    old: u64 = t.sig_blocked
    if f.rsi != 0:
        box: Array[u64, 1] = Array[u64, 1]()
        if uaccess.get_u64(p.space, f.rsi, addr(box)) < 0:
            return -errno.EFAULT
        how: u64 = f.rdi
        if how == SIG_BLOCK:
            t.sig_blocked |= box[0]
        elif how == SIG_UNBLOCK:
            t.sig_blocked &= ~box[0]
        elif how == SIG_SETMASK:
            t.sig_blocked = box[0]
        else:
            return -errno.EINVAL
        t.sig_blocked &= ~u64(signal.UNBLOCKABLE)
    if f.rdx != 0 and uaccess.put_u64(p.space, f.rdx, old) < 0:
        return -errno.EFAULT
    return 0


def sys_rt_sigpending(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    t: Ptr[task.Task] = sched.current
    if uaccess.put_u64(p.space, f.rdi, (p.sig_pending | t.sig_pending) & t.sig_blocked) < 0:
        return -errno.EFAULT
    return 0


def sys_rt_sigreturn(f: Ptr[TrapFrame]) -> i64:
    return signal.sigreturn(f)


def permitted(sender: Ptr[Process], p: Ptr[Process]) -> bool:
    """Linux's kill_ok_by_cred: the sender's real or effective uid is the target's real or saved
    uid, or the sender has CAP_KILL."""
    if sender.uid == p.uid or sender.euid == p.uid or sender.uid == p.suid or sender.euid == p.suid:
        return True
    return cred.capable(sender, u32(caps.CAP_KILL))


def may_signal(p: Ptr[Process]) -> bool:
    return permitted(process.current(), p) and p.abi == task.ABI_LINUX  # the host world is no target


def shielded_init(p: Ptr[Process], sig: u32) -> bool:
    """A container's init takes from its own container only the signals it handles (Linux's
    SIGNAL_UNKILLABLE for a pid namespace's init): `kill -9 1` inside it does nothing."""
    me: Ptr[Process] = process.current()
    return (sig != 0 and p.container != 0 and p.vpid == 1 and me.container == p.container
            and p.actions[sig - 1].handler == signal.SIG_DFL)


def kill_one(p: Ptr[Process], sig: u32) -> i64:
    if not may_signal(p):
        return -errno.EPERM
    if not shielded_init(p, sig):
        signal.send_from(p, sig, process.pid_of(p, process.current()))
    return 0


def do_kill(pid: i64, sig: u32) -> i64:
    """kill(2): pid > 0 one process of the caller's pid namespace (ESRCH outside it), 0 and -pgid a
    process group, -1 every process of the caller's container (or host world) but itself."""
    if sig > task.NSIG:
        return -errno.EINVAL
    if pid > 0:
        p: Ptr[Process] = process.find_visible(process.current(), u32(pid))
        if p == NULL or p.state != task.PROC_ALIVE:
            return -errno.ESRCH
        return kill_one(p, sig)
    group: u32 = process.current().pgid
    if pid < -1:
        group = u32(-pid)
    found: bool = False
    result: i64 = -errno.ESRCH
    q: Ptr[Process] = process.table
    while q != NULL:
        nxt: Ptr[Process] = q.next_in_table
        if q.state == task.PROC_ALIVE and q.abi == task.ABI_LINUX and q.container == process.current().container:
            if (pid == -1 and q != process.current()) or (pid != -1 and q.pgid == group):
                found = True
                result = kill_one(q, sig)
        q = nxt
    if found and result == -errno.ESRCH:
        result = 0
    return result


def sys_kill(f: Ptr[TrapFrame]) -> i64:
    return do_kill(i64(i32(u32(f.rdi))), u32(f.rsi))


def kill_thread(tgid: i64, tid: i64, sig: u64) -> i64:
    """tgkill (tkill: tgid 0, any process): sig for one thread."""
    if tid <= 0 or tgid < 0 or sig > task.NSIG:
        return -errno.EINVAL
    me: Ptr[Process] = process.current()
    t: Ptr[task.Task] = process.find_thread_visible(me, u32(tid))
    if t == NULL or (tgid != 0 and i64(process.pid_of(me, t.process)) != tgid) or t.process.state != task.PROC_ALIVE:
        return -errno.ESRCH
    if not may_signal(t.process):
        return -errno.EPERM
    if not shielded_init(t.process, u32(sig)):
        signal.send_to_thread(t, u32(sig), process.pid_of(t.process, me))
    return 0


def sys_tkill(f: Ptr[TrapFrame]) -> i64:
    return kill_thread(i64(0), i64(i32(u32(f.rdi))), f.rsi)


def sys_tgkill(f: Ptr[TrapFrame]) -> i64:
    tgid: i64 = i64(i32(u32(f.rdi)))
    if tgid <= 0:
        return -errno.EINVAL
    return kill_thread(tgid, i64(i32(u32(f.rsi))), f.rdx)


def sigset_in(user: u64, size: u64, out: Ptr[u64]) -> i64:
    """A sigset_t argument into out[0]: -EINVAL unless size is the kernel's, -EFAULT if unreadable."""
    if size != SIGSET_SIZE:
        return -errno.EINVAL
    if uaccess.get_u64(process.current().space, user, out) < 0:
        return -errno.EFAULT
    return 0


def sys_rt_sigsuspend(f: Ptr[TrapFrame]) -> i64:
    """Wait for a signal with a temporary mask; the old mask comes back once it is handled."""
    box: Array[u64, 1] = Array[u64, 1]()
    r: i64 = sigset_in(f.rdi, f.rsi, addr(box))
    if r < 0:
        return r
    p: Ptr[Process] = process.current()
    t: Ptr[task.Task] = sched.current
    saved: u64 = t.sig_blocked
    t.sig_blocked = box[0] & ~u64(signal.UNBLOCKABLE)
    while not process.signal_waiting(p):
        sched.block_on(NULL, u64(0))
    signal.suspend_mask(t, saved)
    return -errno.ERESTARTNOHAND  # returns only once a handler has run


def wait_for_signal(p: Ptr[Process], t: Ptr[task.Task], wanted: u64, timed: bool, deadline: u64,
                    info: Ptr[signal.SigInfo]) -> i64:
    """rt_sigtimedwait's wait: take the first pending signal in `wanted` (its number, siginfo in info),
    -EAGAIN once the deadline passed, -EINTR when another signal is to be handled. While it sleeps
    the wanted signals are unblocked, so that sending one wakes it."""
    flags: u64 = irq.save()
    while True:
        sig: u32 = signal.next_waited(t, wanted)
        if sig != 0:
            signal.fill_info(info, sig, signal.take(p, t, sig))
            irq.restore(flags)
            return i64(sig)
        if (timed and clock.now_ns() >= deadline) or task.deliverable(t) != 0:
            irq.restore(flags)
            return -errno.EAGAIN if task.deliverable(t) == 0 else -errno.EINTR
        saved: u64 = t.sig_blocked
        t.sig_blocked &= ~wanted
        sched.block_on(NULL, deadline if timed else u64(0))
        t.sig_blocked = saved


def sys_rt_sigtimedwait(f: Ptr[TrapFrame]) -> i64:
    """rt_sigtimedwait(set, info, timeout, sigsetsize): SIGKILL and SIGSTOP cannot be waited for."""
    box: Array[u64, 1] = Array[u64, 1]()
    r: i64 = sigset_in(f.rdi, f.r10, addr(box))
    if r < 0:
        return r
    p: Ptr[Process] = process.current()
    timeout: Array[u64, 1] = Array[u64, 1]()
    if f.rdx != 0:
        r = sys_info.get_timespec(f.rdx, addr(timeout))
        if r < 0:
            return r
    info: signal.SigInfo = signal.SigInfo()
    sig: i64 = wait_for_signal(p, sched.current, box[0] & ~u64(signal.UNBLOCKABLE), f.rdx != 0,
                               clock.now_ns() + timeout[0], addr(info))
    if sig > 0 and f.rsi != 0 and uaccess.copy_out(p.space, f.rsi, cast(Ptr[u8], addr(info)),
                                                 u64(sizeof(signal.SigInfo))) < 0:
        return -errno.EFAULT
    return sig


SFD_CLOEXEC: Final = 0o2000000
SFD_NONBLOCK: Final = 0o4000


def signal_fd(fd: u64, user_mask: u64, size: u64, flags: u64) -> i64:
    """signalfd4: a new signalfd for the signals of the mask (fd -1), or a new mask for signalfd fd."""
    if (flags & ~u64(SFD_CLOEXEC | SFD_NONBLOCK)) != 0:
        return -errno.EINVAL
    box: Array[u64, 1] = Array[u64, 1]()
    r: i64 = sigset_in(user_mask, size, addr(box))
    if r < 0:
        return r
    p: Ptr[Process] = process.current()
    if i32(u32(fd)) != -1:
        f: Ptr[file.File] = process.fd_get(p, i64(i32(u32(fd))))
        if f == NULL:
            return -errno.EBADF
        if not signalfd.is_signalfd(f):
            return -errno.EINVAL
        signalfd.set_mask(f, box[0])
        return i64(i32(u32(fd)))
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    r = signalfd.create(box[0], (flags & SFD_NONBLOCK) != 0, addr(slot))
    if r < 0:
        return r
    return process.fd_install(p, slot[0], (flags & SFD_CLOEXEC) != 0, i64(0))


def sys_signalfd(f: Ptr[TrapFrame]) -> i64:
    return signal_fd(f.rdi, f.rsi, f.rdx, u64(0))


def sys_signalfd4(f: Ptr[TrapFrame]) -> i64:
    return signal_fd(f.rdi, f.rsi, f.rdx, f.r10)


def sys_restart_syscall(f: Ptr[TrapFrame]) -> i64:
    """Reached only with no interrupted call to resume (proc/signal.entering_syscall resumes one)."""
    return -errno.EINTR


def sys_pause(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    while not process.signal_waiting(p):
        sched.block_on(NULL, u64(0))
    return -errno.ERESTARTNOHAND


def sys_sigaltstack(f: Ptr[TrapFrame]) -> i64:
    """sigaltstack(ss, old_ss) for the calling thread; stack_t is {ss_sp, ss_flags (int), ss_size}."""
    t: Ptr[task.Task] = sched.current
    space: Ptr[uspace.AddressSpace] = process.current().space
    old: Array[u64, 3] = Array[u64, 3]()
    old[0] = t.altstack_sp
    old[1] = u64(signal.altstack_state(t, f.rsp))
    old[2] = t.altstack_size
    if f.rdi != 0:
        new: Array[u64, 3] = Array[u64, 3]()
        if uaccess.copy_in(space, cast(Ptr[u8], addr(new)), f.rdi, u64(24)) < 0:
            return -errno.EFAULT
        r: i64 = signal.set_altstack(t, f.rsp, new[0], u32(new[1]), new[2])
        if r < 0:
            return r
    if f.rsi != 0 and uaccess.copy_out(space, f.rsi, cast(Ptr[u8], addr(old)), u64(24)) < 0:
        return -errno.EFAULT
    return 0


def init() -> None:
    signalfd.init()
    define(SYS_RT_SIGACTION, sys_rt_sigaction, FULL, NULL)
    define(SYS_RT_SIGPROCMASK, sys_rt_sigprocmask, FULL, NULL)
    define(SYS_RT_SIGPENDING, sys_rt_sigpending, FULL, NULL)
    define(SYS_RT_SIGRETURN, sys_rt_sigreturn, FULL, NULL)
    define(SYS_KILL, sys_kill, PARTIAL, b"within the caller's container")
    define(SYS_TKILL, sys_tkill, FULL, NULL)
    define(SYS_TGKILL, sys_tgkill, FULL, NULL)
    define(SYS_PAUSE, sys_pause, FULL, NULL)
    define(SYS_RT_SIGSUSPEND, sys_rt_sigsuspend, FULL, NULL)
    define(SYS_RT_SIGTIMEDWAIT, sys_rt_sigtimedwait, FULL, NULL)
    define(SYS_RESTART_SYSCALL, sys_restart_syscall, FULL, NULL)
    define(SYS_SIGNALFD, sys_signalfd, FULL, NULL)
    define(SYS_SIGNALFD4, sys_signalfd4, FULL, NULL)
    define(SYS_SIGALTSTACK, sys_sigaltstack, FULL, NULL)
