"""Signals: sending, default actions, and delivery to user handlers on a Linux-layout signal frame.

Delivery happens on the way back to user mode (deliver(), called for every trap and system call
that returns to ring 3). A handler runs on the user stack below the red zone with an rt_sigframe
exactly as Linux builds it: return address (sa_restorer), ucontext (with the saved registers in
uc_mcontext and the old mask in uc_sigmask), siginfo, then the FXSAVE image; rt_sigreturn reads it
back. A fault the process cannot handle kills it with the signal's wait status.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u16, u32, u64
from cyrius.rt import fxrstor, fxsave

from .. import errno
from ..arch.x86_64 import irq
from ..arch.x86_64.trapframe import SYSCALL_INSN_LEN, SYSCALL_VECTOR, TrapFrame
from ..linux.syscall_names import SYS_RESTART_SYSCALL
from ..mm import uaccess
from ..platform import clock
from . import process, sched, task
from .task import Process

SIGHUP: Final = 1
SIGINT: Final = 2
SIGQUIT: Final = 3
SIGILL: Final = 4
SIGTRAP: Final = 5
SIGABRT: Final = 6
SIGBUS: Final = 7
SIGFPE: Final = 8
SIGKILL: Final = 9
SIGUSR1: Final = 10
SIGSEGV: Final = 11
SIGUSR2: Final = 12
SIGPIPE: Final = 13
SIGALRM: Final = 14
SIGTERM: Final = 15
SIGCHLD: Final = 17
SIGCONT: Final = 18
SIGSTOP: Final = 19
SIGTSTP: Final = 20
SIGTTIN: Final = 21
SIGTTOU: Final = 22
SIGURG: Final = 23
SIGXCPU: Final = 24  # RLIMIT_CPU's soft limit (cpu_charged)
SIGWINCH: Final = 28

SIG_DFL: Final = 0
SIG_IGN: Final = 1
SA_NOCLDSTOP: Final = 0x1
SA_SIGINFO: Final = 0x4
SA_RESTART: Final = 0x10000000
SA_RESTORER: Final = 0x04000000
SA_ONSTACK: Final = 0x08000000
SA_NODEFER: Final = 0x40000000
SA_RESETHAND: Final = 0x80000000
RLIMIT_CPU: Final = 0

USER_CS: Final = 0x23
USER_DS: Final = 0x1B
RFLAGS_USER_MASK: Final = 0x40DD5  # CF PF AF ZF SF TF DF OF AC: what sigreturn may set
RFLAGS_IF: Final = 0x200
RED_ZONE: Final = 128
MXCSR_OFFSET: Final = 24
MXCSR_VALID: Final = 0xFFBF
FPSTATE_SIZE: Final = 512

UNBLOCKABLE: Final = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))


@struct
class SigContext:  # struct sigcontext, x86_64
    r8: u64
    r9: u64
    r10: u64
    r11: u64
    r12: u64
    r13: u64
    r14: u64
    r15: u64
    rdi: u64
    rsi: u64
    rbp: u64
    rbx: u64
    rdx: u64
    rax: u64
    rcx: u64
    rsp: u64
    rip: u64
    eflags: u64
    cs: u16
    gs: u16
    fs: u16
    ss: u16
    err: u64
    trapno: u64
    oldmask: u64
    cr2: u64
    fpstate: u64
    reserved: Array[u64, 8]


@struct
class SigInfo:  # siginfo_t: 128 bytes
    signo: u32
    errno_: u32
    code: u32
    pad: u32
    first: u64  # si_addr for faults; si_pid | si_uid << 32 for SIGCHLD and kill
    second: u64  # si_status for SIGCHLD
    rest: Array[u64, 12]


@struct
class UContext:  # struct ucontext, x86_64
    flags: u64
    link: u64
    stack_sp: u64
    stack_flags: u64
    stack_size: u64
    mcontext: SigContext
    sigmask: u64


@struct
class SigFrame:  # struct rt_sigframe, x86_64; the FXSAVE image follows at a 64-byte boundary
    pretcode: u64
    uc: UContext
    info: SigInfo


def bit(sig: u32) -> u64:
    return u64(1) << u64(sig - 1)


def default_ignores(sig: u32) -> bool:
    return sig == SIGCHLD or sig == SIGCONT or sig == SIGURG or sig == SIGWINCH


def stops(sig: u32) -> bool:
    """A signal whose default action stops the process (job control)."""
    return sig == SIGSTOP or sig == SIGTSTP or sig == SIGTTIN or sig == SIGTTOU


STOP_SIGNALS: Final = (1 << (SIGSTOP - 1)) | (1 << (SIGTSTP - 1)) | (1 << (SIGTTIN - 1)) | (1 << (SIGTTOU - 1))


def ignored(p: Ptr[Process], sig: u32) -> bool:
    h: u64 = p.actions[sig - 1].handler
    return h == SIG_IGN or (h == SIG_DFL and default_ignores(sig))


def send(p: Ptr[Process], sig: u32) -> None:
    """A signal from the kernel (pid 0 in siginfo)."""
    send_from(p, sig, u32(0))


def send_from(p: Ptr[Process], sig: u32, sender: u32) -> None:
    """Make sig pending for process p, to be taken by a thread that does not block it, and wake
    that thread if it sleeps, so the sleep ends with -EINTR."""
    if sig == 0 or sig > task.NSIG or p.state != task.PROC_ALIVE:
        return
    job_control_on_send(p, sig)
    blocked: bool = p.task != NULL and (p.task.sig_blocked & bit(sig)) != 0
    if ignored(p, sig) and sig != SIGKILL and not blocked:
        return  # a blocked signal stays pending even if ignored: the handler may change first
    process.post_signal(p, NULL, sig, sender)


def send_to_thread(t: Ptr[task.Task], sig: u32, sender: u32) -> None:
    """tgkill: sig for thread t alone (its effect, such as killing, is still the process's)."""
    p: Ptr[Process] = t.process
    if sig == 0 or sig > task.NSIG or p.state != task.PROC_ALIVE:
        return
    job_control_on_send(p, sig)
    if ignored(p, sig) and sig != SIGKILL and (t.sig_blocked & bit(sig)) == 0:
        return
    process.post_signal(p, t, sig, sender)


def exit_status_for(sig: u32) -> u32:
    """The wait status of a process killed by sig (no core dumps are written)."""
    return sig & 0x7F


def kill_current(sig: u32) -> None:
    """The calling thread took a fatal signal: the whole process dies of it."""
    process.exit_group(exit_status_for(sig))


def force(sig: u32, fault_addr: u64) -> None:
    """A synchronous fault: deliver sig now; if the process blocks or ignores it, it dies of it."""
    p: Ptr[Process] = process.current()
    t: Ptr[task.Task] = sched.current
    h: u64 = p.actions[sig - 1].handler
    if h == SIG_IGN or (t.sig_blocked & bit(sig)) != 0:
        p.actions[sig - 1].handler = SIG_DFL
        t.sig_blocked &= ~bit(sig)
    t.sig_pending |= bit(sig)
    pending_fault_addr[0] = fault_addr


pending_fault_addr: Array[u64, 1] = Array[u64, 1]()


def next_signal(t: Ptr[task.Task]) -> u32:
    """The lowest signal t may take now, its own or its process's."""
    return lowest((t.sig_pending | t.process.sig_pending) & ~(t.sig_blocked & ~u64(UNBLOCKABLE)))


def next_waited(t: Ptr[task.Task], wanted: u64) -> u32:
    """rt_sigtimedwait: the lowest pending signal in `wanted` (blocked or not), t's own or its process's."""
    return lowest((t.sig_pending | t.process.sig_pending) & wanted)


def lowest(ready: u64) -> u32:
    if ready == 0:
        return 0
    sig: u32 = 1
    while (ready & 1) == 0:
        ready >>= 1
        sig += 1
    return sig


def alarm_expired(t: Ptr[task.Task]) -> None:
    if t.process != NULL:
        send(t.process, u32(SIGALRM))


def cpu_charged(t: Ptr[task.Task]) -> None:
    """RLIMIT_CPU, on each tick charged to t: as the process's CPU time (all its threads) reaches each
    whole second at or past the soft limit, SIGXCPU; at the hard limit, SIGKILL."""
    p: Ptr[Process] = t.process
    if p == NULL or p.rlimits[RLIMIT_CPU].soft == process.RLIM_INFINITY:
        return
    ticks: u64 = process.cpu_ticks(p, True) + process.cpu_ticks(p, False)
    if ticks % u64(clock.TICK_HZ) != 0:
        return
    seconds: u64 = ticks // u64(clock.TICK_HZ)
    if seconds >= p.rlimits[RLIMIT_CPU].hard:
        send(p, u32(SIGKILL))
    elif seconds >= p.rlimits[RLIMIT_CPU].soft:
        send(p, u32(SIGXCPU))


def init() -> None:
    sched.alarm_hook = alarm_expired
    sched.cpu_hook = cpu_charged


def suspend_mask(t: Ptr[task.Task], saved: u64) -> None:
    """A wait with a temporary mask ends with -EINTR: the mask stays until the signal is handled,
    then `saved` comes back (through the handler's frame, or at once if no handler runs)."""
    t.saved_sigmask = saved
    t.restore_sigmask = True


def deliver(frame: Ptr[TrapFrame]) -> None:
    """Act on pending signals before returning to user mode in `frame`: wait while the process
    is stopped, run default actions, set up a handler's frame, and settle an interrupted system
    call (-EINTR or a restart)."""
    p: Ptr[Process] = process.current()
    t: Ptr[task.Task] = sched.current
    while True:
        if p.stopped:
            wait_while_stopped(p, t)
        sig: u32 = next_signal(t)
        if sig == 0:
            restart_without_handler(t, frame, p.abi == task.ABI_LINUX)
            if t.restore_sigmask:
                t.sig_blocked = t.saved_sigmask
                t.restore_sigmask = False
            return
        sender: u32 = take(p, t, sig)
        act: Ptr[task.SigAction] = addr(p.actions[sig - 1])
        if act.handler == SIG_IGN:
            continue
        if act.handler == SIG_DFL:
            if stops(sig):
                group_stop(p, sig)
                continue
            if default_ignores(sig):
                continue
            kill_current(sig)
        restart_with_handler(t, frame, act)
        if setup_frame(p, t, frame, sig, act, sender) < 0:
            kill_current(SIGSEGV)
        return


# Restarting an interrupted system call. A blocking call a signal interrupts returns one of the
# kernel-internal -ERESTART* codes; here, on the way out, it becomes -EINTR or the call runs again
# (rip back over `syscall`, rax the call's number), by Linux's rules: with no handler to run every
# one restarts (a stop and SIGCONT are invisible to the program); with a handler, ERESTARTSYS
# restarts only under SA_RESTART, ERESTARTNOINTR always, the others not at all.

def entering_syscall(t: Ptr[task.Task], frame: Ptr[TrapFrame], linux: bool) -> None:
    """Note the call's number for a restart; restart_syscall becomes the call its block holds."""
    t.resuming = False
    if linux and frame.rax == SYS_RESTART_SYSCALL and t.restart_nr != task.NO_SYSCALL:
        frame.rax = t.restart_nr
        t.resuming = True
    t.restart_nr = task.NO_SYSCALL
    t.syscall_nr = frame.rax


def interrupted_call(t: Ptr[task.Task], frame: Ptr[TrapFrame]) -> i64:
    """The -ERESTART* code frame returns from a system call (0 if none)."""
    if frame.vector != SYSCALL_VECTOR or t.syscall_nr == task.NO_SYSCALL:
        return 0
    r: i64 = i64(frame.rax)
    if r == -errno.ERESTARTSYS or r == -errno.ERESTARTNOINTR or r == -errno.ERESTARTNOHAND:
        return r
    if r == -errno.ERESTART_RESTARTBLOCK:
        return r
    return 0


def restart(t: Ptr[task.Task], frame: Ptr[TrapFrame], nr: u64) -> None:
    frame.rax = nr
    frame.rip -= SYSCALL_INSN_LEN
    t.syscall_nr = task.NO_SYSCALL


def restart_without_handler(t: Ptr[task.Task], frame: Ptr[TrapFrame], linux: bool) -> None:
    r: i64 = interrupted_call(t, frame)
    if r == 0:
        return
    if r != -errno.ERESTART_RESTARTBLOCK:
        restart(t, frame, t.syscall_nr)
    elif linux:
        t.restart_nr = t.syscall_nr
        restart(t, frame, u64(SYS_RESTART_SYSCALL))
    else:
        frame.rax = u64(-errno.EINTR)  # the host world has no restart_syscall


def restart_with_handler(t: Ptr[task.Task], frame: Ptr[TrapFrame], act: Ptr[task.SigAction]) -> None:
    r: i64 = interrupted_call(t, frame)
    if r == 0:
        return
    if r == -errno.ERESTARTNOINTR or (r == -errno.ERESTARTSYS and (act.flags & SA_RESTART) != 0):
        restart(t, frame, t.syscall_nr)
        return
    frame.rax = u64(-errno.EINTR)
    t.syscall_nr = task.NO_SYSCALL


# Job control. A stop signal's default action stops the whole process: each thread waits in
# wait_while_stopped on its way to user mode (one asleep in the kernel is woken to get there, and
# its call restarts afterwards), until SIGCONT or SIGKILL; once every thread is there, the parent
# is told. Sending SIGCONT continues it at once, even if SIGCONT is blocked or ignored, and discards
# pending stop signals; sending a stop signal discards a pending SIGCONT.

def job_control_on_send(p: Ptr[Process], sig: u32) -> None:
    flags: u64 = irq.save()
    if stops(sig):
        discard(p, bit(u32(SIGCONT)))
    elif sig == SIGCONT:
        discard(p, u64(STOP_SIGNALS))
        if p.stopped:
            stop_complete: bool = p.threads_stopped >= p.live_threads
            p.stopped = False
            p.threads_stopped = 0
            t: Ptr[task.Task] = p.threads
            while t != NULL:
                t.stop_pending = False
                t = t.group_next
            if stop_complete:
                p.wait_report = task.REPORT_CONTINUED
                process.tell_parent_job_change(p)
            sched.wake_all(addr(p.continued))
    irq.restore(flags)


def discard(p: Ptr[Process], mask: u64) -> None:
    p.sig_pending &= ~mask
    t: Ptr[task.Task] = p.threads
    while t != NULL:
        t.sig_pending &= ~mask
        t = t.group_next


def group_stop(p: Ptr[Process], sig: u32) -> None:
    """Stop every thread of p: the others leave their waits (as for a signal) and stop on their
    way to user mode; the last one to stop completes the stop, which the parent is told of."""
    flags: u64 = irq.save()
    if not p.stopped and not p.group_exiting:
        p.stopped = True
        p.stop_signal = sig
        p.threads_stopped = 0
        t: Ptr[task.Task] = p.threads
        while t != NULL:
            if t != sched.current and t.state != task.TASK_DEAD:
                t.stop_pending = True
                if t.state == task.TASK_BLOCKED:
                    sched.wake(t)
            t = t.group_next
    irq.restore(flags)


def count_stopped(p: Ptr[Process], t: Ptr[task.Task]) -> None:
    """Thread t has stopped (interrupts off); the last one completes the stop."""
    t.stop_pending = False
    p.threads_stopped += 1
    if p.threads_stopped == p.live_threads:
        process.complete_stop(p)


def wait_while_stopped(p: Ptr[Process], t: Ptr[task.Task]) -> None:
    kill: u64 = bit(u32(SIGKILL))
    flags: u64 = irq.save()
    count_stopped(p, t)
    while p.stopped and (task.deliverable(t) & kill) == 0:
        sched.block_on(addr(p.continued), u64(0))
    irq.restore(flags)


def take(p: Ptr[Process], t: Ptr[task.Task], sig: u32) -> u32:
    """Clear pending sig, the thread's own first; who sent it."""
    if (t.sig_pending & bit(sig)) != 0:
        t.sig_pending &= ~bit(sig)
        return t.sig_sender[sig - 1]
    p.sig_pending &= ~bit(sig)
    return p.sig_sender[sig - 1]


# sigaltstack's stack_t.ss_flags
SS_ONSTACK: Final = 1
SS_DISABLE: Final = 2
SS_AUTODISARM: Final = 0x80000000
MINSIGSTKSZ: Final = 2048


def on_altstack(t: Ptr[task.Task], sp: u64) -> bool:
    return t.altstack_size != 0 and sp - t.altstack_sp < t.altstack_size  # unsigned: below sp wraps high


def altstack_state(t: Ptr[task.Task], sp: u64) -> u32:
    """stack_t.ss_flags as sigaltstack and a signal frame report them, for a thread whose stack pointer is sp."""
    if t.altstack_size == 0:
        return u32(SS_DISABLE)
    autodisarm: u32 = u32(SS_AUTODISARM) if t.altstack_autodisarm else u32(0)
    return (u32(SS_ONSTACK) if on_altstack(t, sp) else u32(0)) | autodisarm


def clear_altstack(t: Ptr[task.Task]) -> None:
    t.altstack_sp = 0
    t.altstack_size = 0
    t.altstack_autodisarm = False


def set_altstack(t: Ptr[task.Task], sp: u64, ss_sp: u64, ss_flags: u32, ss_size: u64) -> i64:
    """sigaltstack's new stack for a thread at stack pointer sp: EPERM while running on the current one."""
    if on_altstack(t, sp):
        return -errno.EPERM
    mode: u32 = ss_flags & ~u32(SS_AUTODISARM)
    if mode != 0 and mode != SS_DISABLE and mode != SS_ONSTACK:
        return -errno.EINVAL
    if mode == SS_DISABLE:
        clear_altstack(t)
        return 0
    if ss_size < MINSIGSTKSZ:
        return -errno.ENOMEM
    t.altstack_sp = ss_sp
    t.altstack_size = ss_size
    t.altstack_autodisarm = (ss_flags & SS_AUTODISARM) != 0
    return 0


def setup_frame(p: Ptr[Process], t: Ptr[task.Task], frame: Ptr[TrapFrame], sig: u32,
                act: Ptr[task.SigAction], sender: u32) -> i64:
    if (act.flags & SA_RESTORER) == 0:
        return -errno.EFAULT  # no way back from the handler: Linux's x86_64 ABI requires a restorer
    top: u64 = frame.rsp - RED_ZONE
    switching: bool = (act.flags & SA_ONSTACK) != 0 and t.altstack_size != 0 and not on_altstack(t, frame.rsp)
    if switching:
        top = t.altstack_sp + t.altstack_size
    fp_addr: u64 = (top - FPSTATE_SIZE) & ~u64(63)
    sp: u64 = ((fp_addr - sizeof(SigFrame)) & ~u64(15)) - 8  # as if the handler had been called
    fpu: Array[u8, FPSTATE_SIZE] = Array[u8, FPSTATE_SIZE]()
    fxsave(cast(Ptr[None], addr(fpu)))
    if uaccess.copy_out(p.space, fp_addr, addr(fpu), u64(FPSTATE_SIZE)) < 0:
        return -errno.EFAULT
    sf: SigFrame = SigFrame()
    sf.pretcode = act.restorer
    sf.uc.stack_sp = t.altstack_sp
    sf.uc.stack_flags = u64(altstack_state(t, frame.rsp) & ~u32(SS_AUTODISARM))  # as Linux saves it
    sf.uc.stack_size = t.altstack_size
    save_registers(frame, addr(sf.uc.mcontext))
    sf.uc.mcontext.fpstate = fp_addr
    old_mask: u64 = t.sig_blocked
    if t.restore_sigmask:
        old_mask = t.saved_sigmask
        t.restore_sigmask = False
    sf.uc.mcontext.oldmask = old_mask
    sf.uc.sigmask = old_mask
    if sig == SIGSEGV or sig == SIGBUS or sig == SIGILL or sig == SIGFPE:
        sf.info.signo = sig
        sf.info.first = pending_fault_addr[0]
        sf.uc.mcontext.cr2 = pending_fault_addr[0]
        sf.info.code = 1  # SEGV_MAPERR, ILL_ILLOPC, FPE_INTDIV, BUS_ADRALN: the kernel's own
    else:
        fill_info(addr(sf.info), sig, sender)
    if uaccess.copy_out(p.space, sp, cast(Ptr[u8], addr(sf)), u64(sizeof(SigFrame))) < 0:
        return -errno.EFAULT
    if t.altstack_autodisarm:  # SS_AUTODISARM: no alternate stack until sigreturn puts uc_stack back
        clear_altstack(t)
    frame.rip = act.handler
    frame.rsp = sp
    frame.rdi = u64(sig)
    frame.rsi = sp + offsetof_info()
    frame.rdx = sp + 8
    frame.rax = 0
    frame.rflags = frame.rflags & ~u64(0x100 | 0x400)  # the handler starts with TF and DF clear
    t.sig_blocked |= act.mask
    if (act.flags & SA_NODEFER) == 0:
        t.sig_blocked |= bit(sig)
    t.sig_blocked &= ~u64(UNBLOCKABLE)
    if (act.flags & SA_RESETHAND) != 0:
        act.handler = SIG_DFL
    return 0


def fill_info(info: Ptr[SigInfo], sig: u32, sender: u32) -> None:
    """The siginfo of a sent (not fault) signal: who sent it, or the kernel."""
    info.signo = sig
    info.first = u64(sender)  # si_pid; si_uid (the next 4 bytes) is root's 0
    if sender == 0:
        info.code = 0x80  # SI_KERNEL


def offsetof_info() -> u64:
    return u64(8 + sizeof(UContext))


def save_registers(f: Ptr[TrapFrame], c: Ptr[SigContext]) -> None:
    c.r8 = f.r8
    c.r9 = f.r9
    c.r10 = f.r10
    c.r11 = f.r11
    c.r12 = f.r12
    c.r13 = f.r13
    c.r14 = f.r14
    c.r15 = f.r15
    c.rdi = f.rdi
    c.rsi = f.rsi
    c.rbp = f.rbp
    c.rbx = f.rbx
    c.rdx = f.rdx
    c.rax = f.rax
    c.rcx = f.rcx
    c.rsp = f.rsp
    c.rip = f.rip
    c.eflags = f.rflags
    c.cs = u16(USER_CS)
    c.ss = u16(USER_DS)
    c.err = f.error_code
    c.trapno = f.vector


def restore_registers(c: Ptr[SigContext], f: Ptr[TrapFrame]) -> None:
    f.r8 = c.r8
    f.r9 = c.r9
    f.r10 = c.r10
    f.r11 = c.r11
    f.r12 = c.r12
    f.r13 = c.r13
    f.r14 = c.r14
    f.r15 = c.r15
    f.rdi = c.rdi
    f.rsi = c.rsi
    f.rbp = c.rbp
    f.rbx = c.rbx
    f.rdx = c.rdx
    f.rax = c.rax
    f.rcx = c.rcx
    f.rsp = c.rsp
    f.rip = c.rip
    # Ring 3 and interrupts on, whatever the frame says: sigreturn must not raise privileges.
    f.rflags = (f.rflags & ~u64(RFLAGS_USER_MASK)) | (c.eflags & RFLAGS_USER_MASK) | RFLAGS_IF
    f.cs = USER_CS
    f.ss = USER_DS


def sigreturn(frame: Ptr[TrapFrame]) -> i64:
    """rt_sigreturn: the handler returned into its restorer, which popped pretcode."""
    p: Ptr[Process] = process.current()
    t: Ptr[task.Task] = sched.current
    sp: u64 = frame.rsp - 8
    sf: SigFrame = SigFrame()
    if uaccess.copy_in(p.space, cast(Ptr[u8], addr(sf)), sp, u64(sizeof(SigFrame))) < 0:
        kill_current(SIGSEGV)
    fpu: Array[u8, FPSTATE_SIZE] = Array[u8, FPSTATE_SIZE]()
    if sf.uc.mcontext.fpstate != 0:
        if uaccess.copy_in(p.space, addr(fpu), sf.uc.mcontext.fpstate, u64(FPSTATE_SIZE)) < 0:
            kill_current(SIGSEGV)
        # A reserved MXCSR bit would make FXRSTOR fault in the kernel: clear them.
        fpu[MXCSR_OFFSET + 1] = fpu[MXCSR_OFFSET + 1] & u8(MXCSR_VALID >> 8)
        fpu[MXCSR_OFFSET + 2] = 0
        fpu[MXCSR_OFFSET + 3] = 0
        fxrstor(cast(Ptr[None], addr(fpu)))
    restore_registers(addr(sf.uc.mcontext), frame)
    t.sig_blocked = sf.uc.sigmask & ~u64(UNBLOCKABLE)
    t.syscall_nr = task.NO_SYSCALL  # the restored rax is a result, never a call to restart
    # As Linux's restore_altstack: the saved stack_t comes back, unless that is refused (the
    # interrupted code was itself on the alternate stack); a bad one is ignored, not an error.
    set_altstack(t, frame.rsp, sf.uc.stack_sp, u32(sf.uc.stack_flags) & ~u32(SS_ONSTACK), sf.uc.stack_size)
    return i64(frame.rax)


def name(sig: u32) -> Ptr[u8]:
    if sig == SIGHUP:
        return b"SIGHUP"
    if sig == SIGINT:
        return b"SIGINT"
    if sig == SIGQUIT:
        return b"SIGQUIT"
    if sig == SIGILL:
        return b"SIGILL"
    if sig == SIGTRAP:
        return b"SIGTRAP"
    if sig == SIGABRT:
        return b"SIGABRT"
    if sig == SIGBUS:
        return b"SIGBUS"
    if sig == SIGFPE:
        return b"SIGFPE"
    if sig == SIGKILL:
        return b"SIGKILL"
    if sig == SIGUSR1:
        return b"SIGUSR1"
    if sig == SIGSEGV:
        return b"SIGSEGV"
    if sig == SIGUSR2:
        return b"SIGUSR2"
    if sig == SIGPIPE:
        return b"SIGPIPE"
    if sig == SIGALRM:
        return b"SIGALRM"
    if sig == SIGTERM:
        return b"SIGTERM"
    if sig == SIGCHLD:
        return b"SIGCHLD"
    if sig == SIGCONT:
        return b"SIGCONT"
    if sig == SIGSTOP:
        return b"SIGSTOP"
    if sig == SIGTSTP:
        return b"SIGTSTP"
    if sig == SIGTTIN:
        return b"SIGTTIN"
    if sig == SIGTTOU:
        return b"SIGTTOU"
    return b"signal"
