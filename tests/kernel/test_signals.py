"""Signals under CPython: sending, ignoring, picking, the rt_sigframe a handler runs on (parsed back
from simulated user memory and compared with Linux x86_64's layout), rt_sigreturn, the saved signal
mask of sigsuspend/ppoll, and the signal system calls. Paths that would kill the current process
(process.exit_thread switches tasks) are left to the booted kernel's tests."""
import struct

import pytest

from cyrius import rt
from cyrius.kernel import errno
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.linux import sys_signal
from cyrius.kernel.mm import paging, uaccess, uspace
from cyrius.kernel.proc import process, sched, signal, task
from cyrius.lang import NULL, Ptr, addr, memory, offsetof, sizeof, u8, u32, u64

LO = 0x7FF0_0000  # a 64 KiB user region: data at the bottom, the stack at the top
HI = LO + 0x10000
HANDLER = 0x40_1000
RESTORER = 0x40_2000
SI_USER, SI_KERNEL = 0, 0x80
TF, DF, IF = 0x100, 0x400, 0x200
MCONTEXT = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx", "rdx", "rax",
            "rcx", "rsp", "rip", "eflags")
GPRS = ("r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8", "rbp", "rdi", "rsi", "rdx", "rcx", "rbx", "rax")
# What the fake FXSAVE stores: a recognisable pattern with a sane MXCSR (0x1f80) and MXCSR_MASK.
FPU_IMAGE = bytes((i * 37 + 11) & 0xFF for i in range(512))
FPU_IMAGE = FPU_IMAGE[:24] + struct.pack("<II", 0x1F80, 0xFFFF) + FPU_IMAGE[32:]


def bit(sig: int) -> int:
    return 1 << (sig - 1)


class Env:
    """One Linux process (its task current) with a user region; a second one to signal."""

    def __init__(self):
        paging.kernel_root = paging.new_table()
        uspace.init()
        sched.current = NULL
        sched.run_head = NULL
        sched.run_tail = NULL
        sched.all_tasks = NULL
        process.table = NULL
        process.next_pid = u32(1)
        self.next = LO
        self.p, self.t = self.new_process()
        sched.current = self.t
        self.t.state = u32(task.TASK_RUNNING)
        self.space = self.p.space
        self.fxrstor = []

    @staticmethod
    def new_process():
        p = process.allocate(NULL)
        t = sched.new_task()
        assert p != NULL and t != NULL
        process.attach_leader(p, t)
        t.state = u32(task.TASK_RUNNABLE)
        p.abi = u32(task.ABI_LINUX)
        p.space = uspace.create()
        rw = uspace.PROT_READ | uspace.PROT_WRITE
        assert uspace.add(p.space, u64(LO), u64(HI), u32(rw), NULL, u64(0), u64(0)) == 0
        return p, t

    def put(self, data: bytes, at: int | None = None) -> int:
        if at is None:
            at = self.next
            self.next += (max(len(data), 1) + 15) & ~15
        k = memory.alloc(max(len(data), 1))
        memory.write(k, data)
        assert uaccess.copy_out(self.space, u64(at), Ptr[u8](k), u64(len(data))) == 0
        return at

    def get(self, at: int, n: int) -> bytes:
        k = memory.alloc(max(n, 1))
        assert uaccess.copy_in(self.space, Ptr[u8](k), u64(at), u64(n)) == 0
        return memory.read(k, n)

    def action(self, sig: int, handler: int, flags: int = signal.SA_RESTORER, mask: int = 0, restorer: int = RESTORER):
        act = self.p.actions[sig - 1]
        act.handler = u64(handler)
        act.flags = u64(flags)
        act.restorer = u64(restorer)
        act.mask = u64(mask)
        return addr(act)


@pytest.fixture
def env(machine):
    rt.fake("inl", lambda port: 0)  # process.allocate stamps a start time: the PM timer reads 0
    rt.fake("fxsave", lambda area: memory.write(int(area), FPU_IMAGE))
    e = Env()
    rt.fake("fxrstor", lambda area: e.fxrstor.append(memory.read(int(area), 512)))
    yield e
    sched.current = NULL


def interrupted(rsp: int) -> TrapFrame:
    """The frame of a user program interrupted with every register distinct."""
    f = TrapFrame()
    for i, name in enumerate(GPRS):
        setattr(f, name, u64(0x1111_0000_0000_0000 * (i % 15 + 1) + i))
    f.rip = u64(0x40_1234)
    f.rsp = u64(rsp)
    f.cs = u64(signal.USER_CS)
    f.ss = u64(signal.USER_DS)
    f.rflags = u64(0x202 | TF | DF | 0x85)  # IF, TF, DF, CF, SF, PF
    f.vector = u64(14)
    f.error_code = u64(6)
    return f


def regs(f: TrapFrame) -> dict:
    return {name: int(getattr(f, name)) for name in (*GPRS, "rip", "rsp", "rflags", "cs", "ss")}


def parse_rt_sigframe(e: Env, sp: int) -> dict:
    """struct rt_sigframe at sp as Linux x86_64 defines it: pretcode, struct ucontext (uc_flags, uc_link,
    uc_stack, uc_mcontext = struct sigcontext, uc_sigmask), struct siginfo."""
    raw = e.get(sp, 8 + 304 + 128)
    out = {"pretcode": struct.unpack_from("<Q", raw, 0)[0]}
    out["uc_flags"], out["uc_link"], out["ss_sp"], out["ss_flags"], out["ss_size"] = \
        struct.unpack_from("<QQQi4xQ", raw, 8)
    mc = struct.unpack_from("<18Q4H5Q", raw, 8 + 40)
    out["mcontext"] = dict(zip(MCONTEXT, mc[:18], strict=True))
    out["cs"], out["gs"], out["fs"], out["ss"] = mc[18:22]
    out["err"], out["trapno"], out["oldmask"], out["cr2"], out["fpstate"] = mc[22:27]
    out["uc_sigmask"] = struct.unpack_from("<Q", raw, 8 + 296)[0]
    out["si_signo"], out["si_errno"], out["si_code"], out["si_pid"], out["si_uid"] = \
        struct.unpack_from("<iii4xiI", raw, 8 + 304)
    out["si_addr"] = struct.unpack_from("<Q", raw, 8 + 304 + 16)[0]
    return out


def call(handler, *args) -> int:
    f = TrapFrame()
    for name, value in zip(("rdi", "rsi", "rdx", "r10", "r8", "r9"), args, strict=False):
        setattr(f, name, u64(value & 0xFFFF_FFFF_FFFF_FFFF))
    return int(handler(addr(f)))


def test_struct_layouts_match_linux_x86_64():
    assert sizeof(signal.SigContext) == 256
    assert sizeof(signal.UContext) == 304 and offsetof(signal.UContext, "mcontext") == 40
    assert offsetof(signal.UContext, "sigmask") == 296
    assert sizeof(signal.SigInfo) == 128
    assert offsetof(signal.SigFrame, "uc") == 8 and offsetof(signal.SigFrame, "info") == 312
    assert sizeof(signal.SigFrame) == 440
    assert offsetof(signal.SigContext, "eflags") == 136 and offsetof(signal.SigContext, "fpstate") == 184
    assert sizeof(task.SigAction) == 32  # the kernel's struct sigaction: handler, flags, restorer, mask


def test_send_sets_pending_bits_and_the_sender(env):
    p = env.p
    signal.send(p, u32(signal.SIGUSR1))
    signal.send_from(p, u32(signal.SIGTERM), u32(42))
    assert p.sig_pending == bit(signal.SIGUSR1) | bit(signal.SIGTERM)
    assert p.sig_sender[signal.SIGUSR1 - 1] == 0 and p.sig_sender[signal.SIGTERM - 1] == 42
    signal.send_from(p, u32(signal.SIGTERM), u32(43))  # standard signals do not queue: one bit, last sender
    assert p.sig_pending == bit(signal.SIGUSR1) | bit(signal.SIGTERM) and p.sig_sender[signal.SIGTERM - 1] == 43
    signal.send(p, u32(64))  # the last real-time signal
    assert p.sig_pending >> 63 == 1
    before = int(p.sig_pending)
    signal.send(p, u32(0))
    signal.send(p, u32(65))
    assert p.sig_pending == before
    p.state = u32(task.PROC_ZOMBIE)  # a zombie takes no more signals
    signal.send(p, u32(signal.SIGUSR2))
    assert p.sig_pending == before


def test_ignored_signals_are_dropped(env):
    p = env.p
    for sig in (signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGCONT):
        signal.send(p, u32(sig))  # default action: ignore
    assert p.sig_pending == 0
    env.action(signal.SIGUSR1, signal.SIG_IGN)
    signal.send(p, u32(signal.SIGUSR1))
    assert p.sig_pending == 0
    env.action(signal.SIGCHLD, HANDLER)  # caught, so no longer ignored
    signal.send(p, u32(signal.SIGCHLD))
    assert p.sig_pending == bit(signal.SIGCHLD)
    env.action(signal.SIGKILL, signal.SIG_IGN)  # sigaction refuses this; even so SIGKILL gets through
    signal.send(p, u32(signal.SIGKILL))
    assert p.sig_pending == bit(signal.SIGCHLD) | bit(signal.SIGKILL)


def test_a_childs_exit_does_not_signal_a_parent_that_ignores_sigchld(env):
    parent = env.p
    parent.task.state = u32(task.TASK_BLOCKED)  # in pause()
    process.notify_parent(parent, u32(signal.SIGCHLD), u32(99))
    assert parent.sig_pending == 0 and parent.task.state == task.TASK_BLOCKED


def test_a_blocked_signal_is_queued_even_if_ignored(env):
    env.t.sig_blocked = u64(bit(signal.SIGWINCH))
    signal.send(env.p, u32(signal.SIGWINCH))
    assert env.p.sig_pending == bit(signal.SIGWINCH)


def test_sending_wakes_a_sleeper_unless_the_signal_is_blocked(env):
    q, qt = Env.new_process()
    qt.state = u32(task.TASK_BLOCKED)  # asleep in no queue (pause)
    qt.sig_blocked = u64(bit(signal.SIGUSR1) | bit(signal.SIGKILL))
    signal.send(q, u32(signal.SIGUSR1))
    assert q.sig_pending == bit(signal.SIGUSR1) and qt.state == task.TASK_BLOCKED
    signal.send(q, u32(signal.SIGUSR2))
    assert qt.state == task.TASK_RUNNABLE and sched.run_head == qt
    qt.state = u32(task.TASK_BLOCKED)
    sched.run_head = NULL
    sched.run_tail = NULL
    signal.send(q, u32(signal.SIGKILL))  # blocking SIGKILL means nothing
    assert qt.state == task.TASK_RUNNABLE


def test_next_signal_is_the_lowest_unblocked_and_kill_stop_cannot_be_blocked(env):
    p, t = env.p, env.t

    def next_with(blocked):
        t.sig_blocked = u64(blocked)
        return signal.next_signal(t)

    p.sig_pending = u64(bit(signal.SIGTERM) | bit(signal.SIGUSR2) | bit(signal.SIGUSR1))
    assert next_with(0) == signal.SIGUSR1
    assert next_with(bit(signal.SIGUSR1)) == signal.SIGUSR2
    assert next_with(bit(signal.SIGUSR1) | bit(signal.SIGUSR2)) == signal.SIGTERM
    assert next_with(0xFFFF_FFFF_FFFF_FFFF) == 0
    p.sig_pending |= u64(bit(signal.SIGSTOP))
    assert next_with(0xFFFF_FFFF_FFFF_FFFF) == signal.SIGSTOP
    p.sig_pending |= u64(bit(signal.SIGKILL))
    assert next_with(0xFFFF_FFFF_FFFF_FFFF) == signal.SIGKILL
    p.sig_pending = u64(1 << 63)
    assert next_with(0) == 64
    p.sig_pending = u64(0)
    assert next_with(0) == 0
    t.sig_pending = u64(bit(signal.SIGUSR2))  # the thread's own pending set counts as well
    assert next_with(0) == signal.SIGUSR2


def test_setup_frame_lays_out_linux_rt_sigframe(env):
    p, t = env.p, env.t
    top = HI - 0x1000 - 0x13  # an odd rsp, not 64-byte aligned after the red zone and FXSAVE area
    env.put(b"\xAA" * 0x1000, HI - 0x2000)  # the stack before: the red zone must survive
    f = interrupted(top)
    before = regs(f)
    t.sig_blocked = u64(bit(signal.SIGTERM) | bit(signal.SIGHUP))
    act = env.action(signal.SIGUSR1, HANDLER, signal.SA_RESTORER | signal.SA_SIGINFO, bit(signal.SIGUSR2))
    assert signal.setup_frame(p, t, addr(f), u32(signal.SIGUSR1), act, u32(77)) == 0
    sp = int(f.rsp)
    assert (sp + 8) % 16 == 0  # as if the handler had just been called
    fr = parse_rt_sigframe(env, sp)
    assert fr["pretcode"] == RESTORER
    assert fr["uc_flags"] == 0 and fr["uc_link"] == 0
    saved = {name: before[name] for name in MCONTEXT if name != "eflags"}
    saved["eflags"] = before["rflags"]
    assert fr["mcontext"] == saved
    assert (fr["cs"], fr["ss"], fr["err"], fr["trapno"]) == (0x23, 0x1B, 6, 14)
    assert fr["oldmask"] == fr["uc_sigmask"] == bit(signal.SIGTERM) | bit(signal.SIGHUP)
    assert (fr["si_signo"], fr["si_errno"], fr["si_code"], fr["si_pid"], fr["si_uid"]) == \
        (signal.SIGUSR1, 0, SI_USER, 77, 0)
    # The FXSAVE image: 64-byte aligned, under the red zone, above the frame, Linux's exact spot.
    fp = fr["fpstate"]
    assert fp % 64 == 0 and fp + 512 <= top - 128 and fp == (top - 128 - 512) & ~63
    assert sp + 440 <= fp and sp == ((fp - 440) & ~15) - 8
    assert env.get(fp, 512) == FPU_IMAGE
    assert env.get(top - 128, 128 + 0x13) == b"\xAA" * (128 + 0x13)
    # The handler's registers: handler(sig, &info, &uc) on the new stack, TF and DF clear.
    assert (f.rip, f.rdi, f.rsi, f.rdx, f.rax) == (HANDLER, signal.SIGUSR1, sp + 312, sp + 8, 0)
    assert f.rflags == before["rflags"] & ~(TF | DF)
    assert (f.rbx, f.r12, f.rbp, f.cs, f.ss) == (before["rbx"], before["r12"], before["rbp"], 0x23, 0x1B)
    # While it runs: the old mask, the action's mask and the signal itself are blocked.
    assert t.sig_blocked == bit(signal.SIGTERM) | bit(signal.SIGHUP) | bit(signal.SIGUSR2) | bit(signal.SIGUSR1)


def test_frame_flags_nodefer_resethand_and_kernel_sender(env):
    p, t = env.p, env.t
    f = interrupted(HI - 0x100)
    act = env.action(signal.SIGALRM, HANDLER, signal.SA_RESTORER | signal.SA_NODEFER | signal.SA_RESETHAND,
                     bit(signal.SIGKILL) | bit(signal.SIGINT))
    assert signal.setup_frame(p, t, addr(f), u32(signal.SIGALRM), act, u32(0)) == 0
    assert t.sig_blocked == bit(signal.SIGINT)  # no SIGALRM (NODEFER), never SIGKILL
    assert p.actions[signal.SIGALRM - 1].handler == signal.SIG_DFL  # RESETHAND
    fr = parse_rt_sigframe(env, int(f.rsp))
    assert (fr["si_signo"], fr["si_code"], fr["si_pid"]) == (signal.SIGALRM, SI_KERNEL, 0)


def test_setup_frame_failures_leave_the_task_alone(env):
    p, t = env.p, env.t
    t.sig_blocked = u64(bit(signal.SIGHUP))
    f = interrupted(HI - 0x100)
    before = regs(f)
    no_restorer = env.action(signal.SIGUSR1, HANDLER, 0)
    assert signal.setup_frame(p, t, addr(f), u32(signal.SIGUSR1), no_restorer, u32(0)) == -errno.EFAULT
    f2 = interrupted(LO + 0x100)  # the frame would go below the mapping
    act = env.action(signal.SIGUSR2, HANDLER)
    assert signal.setup_frame(p, t, addr(f2), u32(signal.SIGUSR2), act, u32(0)) == -errno.EFAULT
    assert regs(f) == before and regs(f2)["rip"] == before["rip"] and t.sig_blocked == bit(signal.SIGHUP)


def test_sigreturn_restores_registers_and_mask_without_raising_privilege(env):
    p, t = env.p, env.t
    t.sig_blocked = u64(bit(signal.SIGHUP))
    f = interrupted(HI - 0x800)
    act = env.action(signal.SIGUSR1, HANDLER)
    assert signal.setup_frame(p, t, addr(f), u32(signal.SIGUSR1), act, u32(0)) == 0
    sp = int(f.rsp)
    # The handler rewrites the context it returns to, hostile values included.
    wanted = {name: 0x0101_0101_0101_0101 * (i + 1) for i, name in enumerate(MCONTEXT)}
    wanted["eflags"] = 0xFFFF_FFFF & ~IF  # IOPL, VM, NT, ... and IF clear
    env.put(struct.pack("<18Q", *(wanted[n] for n in MCONTEXT)), sp + 8 + 40)
    env.put(struct.pack("<4H", 0x08, 0, 0, 0x10), sp + 8 + 40 + 144)  # kernel CS/SS
    env.put(struct.pack("<Q", bit(signal.SIGKILL) | bit(signal.SIGSTOP) | bit(signal.SIGTERM)), sp + 8 + 296)
    fp = parse_rt_sigframe(env, sp)["fpstate"]
    env.put(struct.pack("<I", 0xFFFF_FFFF), fp + 24)  # MXCSR with reserved bits set
    # The restorer runs `mov $15, %eax; syscall` after `ret` popped pretcode.
    g = TrapFrame()
    g.rsp = u64(sp + 8)
    g.rflags = u64(0x246)
    g.cs = u64(0x33)
    assert signal.sigreturn(addr(g)) == wanted["rax"]
    got = regs(g)
    for name in MCONTEXT[:-1]:
        assert got[name] == wanted[name], name
    assert got["rflags"] == (0x246 & ~signal.RFLAGS_USER_MASK) | (wanted["eflags"] & signal.RFLAGS_USER_MASK) | IF
    assert got["rflags"] & 0x3000 == 0 and got["rflags"] & 0x20000 == 0  # no IOPL, no VM86
    assert (got["cs"], got["ss"]) == (0x23, 0x1B)
    assert t.sig_blocked == bit(signal.SIGTERM)
    assert len(env.fxrstor) == 1
    mxcsr = struct.unpack_from("<I", env.fxrstor[0], 24)[0]
    assert mxcsr >> 16 == 0 and env.fxrstor[0][32:] == FPU_IMAGE[32:]


def test_sigreturn_with_no_fpstate_leaves_the_fpu(env):
    f = interrupted(HI - 0x800)
    act = env.action(signal.SIGUSR2, HANDLER)
    assert signal.setup_frame(env.p, env.t, addr(f), u32(signal.SIGUSR2), act, u32(0)) == 0
    sp = int(f.rsp)
    env.put(struct.pack("<Q", 0), sp + 8 + 40 + 184)  # uc_mcontext.fpstate = NULL
    g = TrapFrame()
    g.rsp = u64(sp + 8)
    signal.sigreturn(addr(g))
    assert env.fxrstor == [] and g.rip == 0x40_1234 and g.rsp == HI - 0x800


def test_a_fault_is_delivered_with_its_address(env):
    p, t = env.p, env.t
    env.action(signal.SIGSEGV, HANDLER, signal.SA_RESTORER | signal.SA_SIGINFO)
    signal.force(u32(signal.SIGSEGV), u64(0xDEAD_0000))
    assert t.sig_pending == bit(signal.SIGSEGV) and p.sig_pending == 0  # a fault is the thread's own
    f = interrupted(HI - 0x400)
    signal.deliver(addr(f))
    assert t.sig_pending == 0 and f.rip == HANDLER and f.rdi == signal.SIGSEGV
    fr = parse_rt_sigframe(env, int(f.rsp))
    assert (fr["si_signo"], fr["si_code"], fr["si_addr"], fr["cr2"]) == (signal.SIGSEGV, 1, 0xDEAD_0000, 0xDEAD_0000)
    # A fault the process blocks or ignores cannot be held off: it reverts to the default action.
    t.sig_blocked = u64(bit(signal.SIGFPE))
    env.action(signal.SIGFPE, HANDLER)
    signal.force(u32(signal.SIGFPE), u64(0x40_1000))
    assert t.sig_blocked == 0 and p.actions[signal.SIGFPE - 1].handler == signal.SIG_DFL
    env.action(signal.SIGILL, signal.SIG_IGN)
    signal.force(u32(signal.SIGILL), u64(0x40_1000))
    assert p.actions[signal.SIGILL - 1].handler == signal.SIG_DFL
    assert t.sig_pending == bit(signal.SIGFPE) | bit(signal.SIGILL)


def test_deliver_skips_ignored_and_blocked_signals(env):
    p, t = env.p, env.t
    env.action(signal.SIGUSR2, HANDLER)
    p.sig_pending = u64(bit(signal.SIGCHLD) | bit(signal.SIGUSR2))  # SIGCHLD: default ignore
    t.sig_blocked = u64(bit(signal.SIGUSR2))
    f = interrupted(HI - 0x400)
    before = regs(f)
    signal.deliver(addr(f))
    assert regs(f) == before  # nothing to run
    assert p.sig_pending == bit(signal.SIGUSR2)  # consumed SIGCHLD, kept the blocked one
    t.sig_blocked = u64(0)
    signal.deliver(addr(f))
    assert f.rip == HANDLER and f.rdi == signal.SIGUSR2 and p.sig_pending == 0


def test_saved_sigmask_comes_back_through_the_handler_frame(env):
    """sigsuspend(temp) interrupted by a caught signal: the handler runs under temp (plus its own
    mask); uc_sigmask holds the saved mask, so rt_sigreturn restores it."""
    p, t = env.p, env.t
    saved = bit(signal.SIGUSR1) | bit(signal.SIGTERM)
    t.sig_blocked = u64(bit(signal.SIGHUP))  # the temporary mask
    signal.suspend_mask(t, u64(saved))
    env.action(signal.SIGUSR1, HANDLER, signal.SA_RESTORER, bit(signal.SIGINT))
    signal.send(p, u32(signal.SIGUSR1))
    f = interrupted(HI - 0x400)
    signal.deliver(addr(f))
    assert f.rip == HANDLER and not t.restore_sigmask
    fr = parse_rt_sigframe(env, int(f.rsp))
    assert fr["uc_sigmask"] == saved and fr["oldmask"] == saved
    assert t.sig_blocked == bit(signal.SIGHUP) | bit(signal.SIGINT) | bit(signal.SIGUSR1)
    g = TrapFrame()
    g.rsp = u64(int(f.rsp) + 8)
    signal.sigreturn(addr(g))
    assert t.sig_blocked == saved


def test_saved_sigmask_comes_back_at_once_when_no_handler_runs(env):
    p, t = env.p, env.t
    t.sig_blocked = u64(0)
    signal.suspend_mask(t, u64(bit(signal.SIGUSR2)))
    p.sig_pending = u64(bit(signal.SIGCHLD))  # woke the sleeper, but its default action is to ignore it
    f = interrupted(HI - 0x400)
    before = regs(f)
    signal.deliver(addr(f))
    assert regs(f) == before and p.sig_pending == 0
    assert t.sig_blocked == bit(signal.SIGUSR2) and not t.restore_sigmask
    signal.suspend_mask(t, u64(bit(signal.SIGTERM)))  # ppoll ended by something else: nothing pending
    signal.deliver(addr(f))
    assert t.sig_blocked == bit(signal.SIGTERM) and not t.restore_sigmask


def test_rt_sigaction_and_rt_sigprocmask(env):
    p, t = env.p, env.t
    new = env.put(struct.pack("<QQQQ", HANDLER, signal.SA_RESTORER | signal.SA_SIGINFO, RESTORER,
                              bit(signal.SIGKILL) | bit(signal.SIGSTOP) | bit(signal.SIGINT)))
    old = env.put(bytes(32))
    assert call(sys_signal.sys_rt_sigaction, signal.SIGUSR1, new, old, 8) == 0
    assert env.get(old, 32) == bytes(32)
    assert call(sys_signal.sys_rt_sigaction, signal.SIGUSR1, 0, old, 8) == 0
    assert struct.unpack("<QQQQ", env.get(old, 32)) == \
        (HANDLER, signal.SA_RESTORER | signal.SA_SIGINFO, RESTORER, bit(signal.SIGINT))
    assert call(sys_signal.sys_rt_sigaction, signal.SIGUSR1, new, 0, 4) == -errno.EINVAL
    assert call(sys_signal.sys_rt_sigaction, 0, new, 0, 8) == -errno.EINVAL
    assert call(sys_signal.sys_rt_sigaction, 65, new, 0, 8) == -errno.EINVAL
    assert call(sys_signal.sys_rt_sigaction, signal.SIGKILL, new, 0, 8) == -errno.EINVAL
    assert call(sys_signal.sys_rt_sigaction, signal.SIGSTOP, new, 0, 8) == -errno.EINVAL
    assert call(sys_signal.sys_rt_sigaction, signal.SIGKILL, 0, old, 8) == 0  # reading it is fine
    assert call(sys_signal.sys_rt_sigaction, signal.SIGUSR1, LO - 8, 0, 8) == -errno.EFAULT
    p.sig_pending = u64(bit(signal.SIGUSR1))
    ign = env.put(struct.pack("<QQQQ", signal.SIG_IGN, 0, 0, 0))
    assert call(sys_signal.sys_rt_sigaction, signal.SIGUSR1, ign, 0, 8) == 0
    assert p.sig_pending == 0  # setting SIG_IGN discards the pending one

    everything = env.put(struct.pack("<Q", 0xFFFF_FFFF_FFFF_FFFF))
    prev = env.put(bytes(8))
    t.sig_blocked = u64(bit(signal.SIGHUP))
    assert call(sys_signal.sys_rt_sigprocmask, sys_signal.SIG_BLOCK, everything, prev, 8) == 0
    assert struct.unpack("<Q", env.get(prev, 8))[0] == bit(signal.SIGHUP)
    assert t.sig_blocked == 0xFFFF_FFFF_FFFF_FFFF & ~(bit(signal.SIGKILL) | bit(signal.SIGSTOP))
    two = env.put(struct.pack("<Q", bit(signal.SIGUSR1) | bit(signal.SIGUSR2)))
    assert call(sys_signal.sys_rt_sigprocmask, sys_signal.SIG_SETMASK, two, 0, 8) == 0
    assert t.sig_blocked == bit(signal.SIGUSR1) | bit(signal.SIGUSR2)
    one = env.put(struct.pack("<Q", bit(signal.SIGUSR1)))
    assert call(sys_signal.sys_rt_sigprocmask, sys_signal.SIG_UNBLOCK, one, 0, 8) == 0
    assert t.sig_blocked == bit(signal.SIGUSR2)
    assert call(sys_signal.sys_rt_sigprocmask, 7, one, 0, 8) == -errno.EINVAL
    assert call(sys_signal.sys_rt_sigprocmask, sys_signal.SIG_BLOCK, one, 0, 16) == -errno.EINVAL
    assert call(sys_signal.sys_rt_sigprocmask, sys_signal.SIG_BLOCK, 0, prev, 8) == 0  # query only
    assert struct.unpack("<Q", env.get(prev, 8))[0] == bit(signal.SIGUSR2) == t.sig_blocked
    # sigpending: what is pending and blocked.
    p.sig_pending = u64(bit(signal.SIGUSR2) | bit(signal.SIGTERM))
    assert call(sys_signal.sys_rt_sigpending, prev, 8) == 0
    assert struct.unpack("<Q", env.get(prev, 8))[0] == bit(signal.SIGUSR2)


def test_kill_records_the_sender_and_checks_permission(env):
    p = env.p
    q, _ = Env.new_process()
    assert call(sys_signal.sys_kill, q.pid, signal.SIGUSR1) == 0
    assert q.sig_pending == bit(signal.SIGUSR1) and q.sig_sender[signal.SIGUSR1 - 1] == p.pid
    assert call(sys_signal.sys_kill, q.pid, 0) == 0  # existence check only
    assert q.sig_pending == bit(signal.SIGUSR1)
    assert call(sys_signal.sys_kill, q.pid, 65) == -errno.EINVAL
    assert call(sys_signal.sys_kill, 999, signal.SIGUSR1) == -errno.ESRCH
    assert call(sys_signal.sys_tgkill, q.pid, q.pid + 1, signal.SIGUSR1) == -errno.ESRCH
    assert call(sys_signal.sys_tkill, 0, signal.SIGUSR1) == -errno.EINVAL
    p.uid = p.euid = u32(1000)  # an unprivileged sender may signal only its own uid's processes
    assert call(sys_signal.sys_kill, q.pid, signal.SIGUSR2) == -errno.EPERM
    q.uid = u32(1000)
    assert call(sys_signal.sys_tgkill, q.pid, q.pid, signal.SIGUSR2) == 0
    assert q.sig_pending == bit(signal.SIGUSR1) and q.task.sig_pending == bit(signal.SIGUSR2)
    q.abi = u32(task.ABI_HOST)  # the host world is out of a Linux program's reach
    assert call(sys_signal.sys_kill, q.pid, signal.SIGTERM) == -errno.EPERM


# ---------------------------------------------------------------- restarting interrupted system calls

SYS_READ, SYS_NANOSLEEP, SYS_RESTART = 0, 35, 219


def syscall_returning(t, nr: int, result: int, rsp: int = HI - 0x400) -> TrapFrame:
    """The frame of system call nr on its way out with result, as kernel_syscall leaves it."""
    f = interrupted(rsp)
    f.vector = u64(signal.SYSCALL_VECTOR)
    f.rax = u64(nr)
    signal.entering_syscall(t, addr(f), True)
    f.rax = u64(result & 0xFFFF_FFFF_FFFF_FFFF)
    return f


@pytest.mark.parametrize("code,flags,restarts", [
    (errno.ERESTARTSYS, signal.SA_RESTART, True),
    (errno.ERESTARTSYS, 0, False),
    (errno.ERESTARTNOINTR, 0, True),
    (errno.ERESTARTNOHAND, signal.SA_RESTART, False),
    (errno.ERESTART_RESTARTBLOCK, signal.SA_RESTART, False),
])
def test_a_handler_interrupting_a_call_restarts_it_only_as_linux_does(env, code, flags, restarts):
    """The handler's frame holds the state sigreturn resumes: the `syscall` instruction again with
    rax the call's number, or the call returning -EINTR."""
    env.action(signal.SIGUSR1, HANDLER, signal.SA_RESTORER | flags)
    f = syscall_returning(env.t, SYS_READ, -code)
    signal.send(env.p, u32(signal.SIGUSR1))
    signal.deliver(addr(f))
    assert f.rip == HANDLER
    saved = parse_rt_sigframe(env, int(f.rsp))["mcontext"]
    if restarts:
        assert saved["rip"] == 0x40_1234 - 2 and saved["rax"] == SYS_READ
    else:
        assert saved["rip"] == 0x40_1234 and saved["rax"] == -errno.EINTR & 0xFFFF_FFFF_FFFF_FFFF
    assert env.t.syscall_nr == task.NO_SYSCALL  # settled once


@pytest.mark.parametrize("code", [errno.ERESTARTSYS, errno.ERESTARTNOINTR, errno.ERESTARTNOHAND])
def test_a_call_no_handler_ran_for_runs_again(env, code):
    """A stop and SIGCONT, or a signal whose action is to ignore it, are invisible to the program."""
    f = syscall_returning(env.t, SYS_READ, -code)
    signal.deliver(addr(f))
    assert f.rip == 0x40_1234 - 2 and f.rax == SYS_READ


def test_a_timed_wait_resumes_through_restart_syscall_with_its_deadline(env):
    t = env.t
    t.resuming = False
    f = syscall_returning(t, SYS_NANOSLEEP, 0)
    assert sched.timed_deadline(u64(5000)) == 5000  # a fresh call: its own deadline
    f.rax = u64(sched.interrupted_timed(u64(5000)) & 0xFFFF_FFFF_FFFF_FFFF)
    signal.deliver(addr(f))
    assert f.rax == SYS_RESTART and f.rip == 0x40_1234 - 2 and t.restart_nr == SYS_NANOSLEEP
    g = interrupted(HI - 0x400)
    g.rax = u64(SYS_RESTART)
    signal.entering_syscall(t, addr(g), True)  # user mode ran `syscall` again
    assert g.rax == SYS_NANOSLEEP and t.syscall_nr == SYS_NANOSLEEP
    assert sched.timed_deadline(u64(9999)) == 5000  # the interrupted call's deadline, once
    assert sched.timed_deadline(u64(9999)) == 9999
    h = interrupted(HI - 0x400)
    h.rax = u64(SYS_RESTART)  # nothing to resume: restart_syscall itself, which says EINTR
    signal.entering_syscall(t, addr(h), True)
    assert h.rax == SYS_RESTART and not t.resuming
    assert call(sys_signal.sys_restart_syscall) == -errno.EINTR


def test_only_a_system_calls_result_is_restarted(env):
    """An interrupt frame whose rax happens to hold -512, and a frame sigreturn restored, are user state."""
    f = interrupted(HI - 0x400)  # a page fault
    f.rax = u64(-errno.ERESTARTSYS & 0xFFFF_FFFF_FFFF_FFFF)
    signal.entering_syscall(env.t, addr(syscall_returning(env.t, SYS_READ, 0)), True)
    before = regs(f)
    signal.deliver(addr(f))
    assert regs(f) == before
    g = syscall_returning(env.t, 15, 0)  # rt_sigreturn brought back rax = -ERESTARTSYS
    env.t.syscall_nr = u64(task.NO_SYSCALL)
    g.rax = u64(-errno.ERESTARTSYS & 0xFFFF_FFFF_FFFF_FFFF)
    before = regs(g)
    signal.deliver(addr(g))
    assert regs(g) == before


# ---------------------------------------------------------------- job control

def child_of(env):
    c = process.allocate(env.p)
    ct = sched.new_task()
    process.attach_leader(c, ct)
    c.abi = u32(task.ABI_LINUX)
    return c, ct


def test_a_stop_is_reported_once_every_thread_stopped_and_sigcont_continues(env):
    c, ct = child_of(env)
    env.action(signal.SIGCHLD, HANDLER)
    signal.group_stop(c, u32(signal.SIGTSTP))
    assert c.stopped and ct.stop_pending and task.deliverable(ct) != 0  # a sleeping thread would wake
    assert env.p.sig_pending == 0  # not yet: no thread has stopped
    signal.count_stopped(c, ct)
    assert env.p.sig_pending == bit(signal.SIGCHLD) and not ct.stop_pending
    box = memory.alloc(4)
    out = Ptr[u32](box)
    assert process.wait(env.p, -1, u32(process.WNOHANG | process.WEXITED), out, True) == 0  # not asked for
    assert process.wait(env.p, -1, u32(process.WNOHANG | process.WUNTRACED), out, True) == c.pid
    assert out[0] == (signal.SIGTSTP << 8) | 0x7F
    assert process.wait(env.p, -1, u32(process.WNOHANG | process.WUNTRACED), out, True) == 0  # reported once
    signal.send(c, u32(signal.SIGCONT))  # continues at once though its action is to ignore it
    assert not c.stopped
    assert process.wait(env.p, -1, u32(process.WNOHANG | process.WCONTINUED), out, True) == c.pid
    assert out[0] == 0xFFFF


def test_sigcont_discards_pending_stops_and_a_stop_discards_pending_sigcont(env):
    c, ct = child_of(env)
    env.action(signal.SIGCONT, HANDLER, signal.SA_RESTORER, 0)
    c.actions[signal.SIGCONT - 1].handler = u64(HANDLER)
    signal.send(c, u32(signal.SIGTSTP))
    assert c.sig_pending == bit(signal.SIGTSTP)
    signal.send(c, u32(signal.SIGCONT))
    assert c.sig_pending == bit(signal.SIGCONT)
    signal.send_to_thread(ct, u32(signal.SIGSTOP), u32(0))
    assert c.sig_pending == 0 and ct.sig_pending == bit(signal.SIGSTOP)


def test_a_parent_with_sa_nocldstop_gets_no_sigchld_for_a_stop(env):
    c, ct = child_of(env)
    env.action(signal.SIGCHLD, HANDLER, signal.SA_RESTORER | signal.SA_NOCLDSTOP)
    signal.group_stop(c, u32(signal.SIGSTOP))
    signal.count_stopped(c, ct)
    assert c.stopped and env.p.sig_pending == 0 and c.wait_report == task.REPORT_STOPPED


def test_stop_signals_are_no_longer_ignored_by_default(env):
    for sig in (signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
        assert not signal.ignored(env.p, u32(sig)) and signal.stops(u32(sig))
