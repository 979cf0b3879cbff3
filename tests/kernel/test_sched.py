"""The scheduler under CPython: round-robin run queue, wait queues, timed sleeps, the time slice,
ITIMER_REAL and the task list. switch_context is faked to record each switch instead of changing
stacks, so after schedule() returns the test simply continues "as" the task now current."""
import struct
from types import SimpleNamespace

import pytest

from cyrius import rt
from cyrius.kernel.arch.x86_64 import cpu
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.mm import frames, heap, paging, uspace
from cyrius.kernel.proc import process, sched, signal, task
from cyrius.lang import NULL, Ptr, addr, memory, offsetof, sizeof, u8, u32, u64

IDLE_ENTRY = 0xFFFF_FFFF_8010_0000  # stands in for idle_loop's address (see the fixture)
SAVED_RSP = offsetof(task.Task, "saved_rsp")


def at(p) -> int:
    return int(p.address)


def frames_outside_heap() -> int:
    """Free frames, counting those the heap holds as free too (task records come from the heap)."""
    return int(frames.free_frames) + int(heap.frames_held)


@pytest.fixture
def cpu_log(machine, monkeypatch):
    """A booted scheduler (boot task current, idle task made) over a recording fake CPU."""
    paging.kernel_root = paging.new_table()
    sched.current = NULL
    sched.idle_task = NULL
    sched.run_head = NULL
    sched.run_tail = NULL
    sched.all_tasks = NULL
    sched.frozen_tasks = NULL
    sched.slice_left = u32(sched.SLICE_TICKS)
    sched.need_resched = False
    sched.next_tid = u32(1)
    sched.switches = u64(0)
    sched.alarm_hook = NULL
    log = SimpleNamespace(switches=[], msr={}, cr3=[], cr3_now=int(paging.kernel_root), fxsave=[], fxrstor=[])

    def switch_context(save_at, next_rsp):
        log.switches.append((int(save_at) - SAVED_RSP, at(sched.current), int(next_rsp)))

    def write_cr3(value):
        log.cr3.append(int(value))
        log.cr3_now = int(value)

    rt.fake("switch_context", switch_context)
    rt.fake("fxsave", lambda area: log.fxsave.append(int(area)))
    rt.fake("fxrstor", lambda area: log.fxrstor.append(int(area)))
    rt.fake("rdmsr", lambda msr: log.msr.get(int(msr), 0))
    rt.fake("wrmsr", lambda msr, value: log.msr.__setitem__(int(msr), int(value)))
    rt.fake("read_cr3", lambda: log.cr3_now)
    rt.fake("write_cr3", write_cr3)
    rt.fake("inl", lambda port: 0)  # process.allocate stamps a start time: the PM timer reads 0
    monkeypatch.setattr(cpu, "boot_tss", Ptr[u8](memory.alloc(104)))
    # Host mode cannot turn a Python function into an address (cast(u64, idle_loop)); init() gets a
    # pointer-valued stand-in, which is all new_kernel_thread does with it.
    monkeypatch.setattr(sched, "idle_loop", Ptr[u8](IDLE_ENTRY))
    log.free_before_init = frames_outside_heap()
    log.boot = sched.init()
    log.idle = sched.idle_task
    yield log
    sched.current = NULL
    sched.alarm_hook = NULL


def queue() -> list[int]:
    out = []
    t = sched.run_head
    while t != NULL:
        out.append(at(t))
        t = t.next
    assert (at(sched.run_tail) if sched.run_tail != NULL else None) == (out[-1] if out else None)
    return out


def chain(t) -> list[int]:
    """The tasks linked by `next` from t."""
    out = []
    while t != NULL:
        out.append(at(t))
        t = t.next
    return out


def waiters(wq) -> list[int]:
    return chain(wq.head)


def all_tasks() -> list[int]:
    out = []
    t = sched.all_tasks
    while t != NULL:
        out.append(at(t))
        t = t.all_next
    return out


def runnable_tasks(n: int):
    ts = []
    for _ in range(n):
        t = sched.new_task()
        assert t != NULL
        sched.start(t)
        ts.append(t)
    return ts


def become(t) -> None:
    """Continue the test as t (what returning from switch_context into t would mean)."""
    sched.current = t
    t.state = u32(task.TASK_RUNNING)


def test_init_adopts_the_boot_context_and_builds_the_idle_thread(cpu_log):
    boot, idle = cpu_log.boot, cpu_log.idle
    assert sched.current == boot and boot.state == task.TASK_RUNNING and boot.tid == 1
    assert boot.stack_base == 0  # the boot stack is not the scheduler's to free
    assert idle.tid == 2 and idle.state == task.TASK_BLOCKED  # never in the run queue
    assert queue() == [] and all_tasks() == [at(idle), at(boot)]
    assert frames_outside_heap() == cpu_log.free_before_init - sched.STACK_PAGES
    assert idle.stack_top - idle.stack_base == sched.STACK_SIZE and idle.stack_base % 4096 == 0
    # A fresh FXSAVE image: FCW 0x37f, MXCSR 0x1f80.
    raw = memory.read(at(addr(idle.fpu)), 32)
    assert struct.unpack_from("<H", raw, 0)[0] == 0x37F and struct.unpack_from("<I", raw, 24)[0] == 0x1F80
    # The trap frame thread_entry will iretq through: kernel segments, IF on, rsp as after a call.
    f = sched.initial_frame(idle)
    assert at(f) == idle.stack_top - sizeof(TrapFrame)
    assert (f.rip, f.cs, f.ss, f.rflags) == (IDLE_ENTRY, 0x08, 0x10, 0x202)
    assert f.rsp == idle.stack_top - 8 and (f.rsp + 8) % 16 == 0
    # Under it the switch frame: six zeroed callee-saved registers, RFLAGS (IF off), thread_entry.
    assert idle.saved_rsp == at(f) - 8 * sched.SWITCH_FRAME_WORDS
    words = struct.unpack("<8Q", memory.read(int(idle.saved_rsp), 64))
    assert words == (0, 0, 0, 0, 0, 0, 0x2, at(rt.thread_entry))


def test_the_run_queue_is_round_robin(cpu_log):
    boot = cpu_log.boot
    a, b, c = runnable_tasks(3)
    assert [t.tid for t in (a, b, c)] == [3, 4, 5]
    assert queue() == [at(a), at(b), at(c)]
    assert all(t.state == task.TASK_RUNNABLE for t in (a, b, c))
    order = [at(boot)]
    for _ in range(8):
        sched.schedule()  # a yield: the running task goes to the back
        order.append(at(sched.current))
    expected = [at(t) for t in (boot, a, b, c)] * 2 + [at(boot)]
    assert order == expected
    assert [(prev, nxt) for prev, nxt, _ in cpu_log.switches] == list(zip(expected, expected[1:], strict=False))
    assert sched.switches == 8
    assert queue() == [at(a), at(b), at(c)] and boot.state == task.TASK_RUNNING
    # A dead task is never queued again.
    sched.schedule()  # -> a
    a.state = u32(task.TASK_DEAD)
    sched.schedule()  # -> b
    assert sched.current == b and at(a) not in queue()
    assert queue() == [at(c), at(boot)]


def test_switch_to_carries_fpu_tls_kernel_stack_and_address_space(cpu_log):
    boot = cpu_log.boot
    uspace.init()
    (a,) = runnable_tasks(1)
    proc = process.allocate(NULL)
    proc.space = uspace.create()
    process.attach_leader(proc, a)
    a.fs_base = u64(0x7F00_0000_1000)
    a.gs_base = u64(0x7F00_0000_2000)
    cpu_log.msr[cpu.MSR_KERNEL_GS_BASE] = 0x1234_5000  # boot's user GS base, live in the MSR
    sched.schedule()
    assert sched.current == a and a.state == task.TASK_RUNNING and boot.state == task.TASK_RUNNABLE
    assert cpu_log.fxsave == [at(addr(boot.fpu))] and cpu_log.fxrstor == [at(addr(a.fpu))]
    assert boot.gs_base == 0x1234_5000
    assert cpu_log.msr[cpu.MSR_FS_BASE] == 0x7F00_0000_1000
    assert cpu_log.msr[cpu.MSR_KERNEL_GS_BASE] == 0x7F00_0000_2000
    assert cpu.percpu.kernel_rsp == a.stack_top  # SYSCALL's stack ...
    assert struct.unpack("<Q", memory.read(at(cpu.boot_tss) + 4, 8))[0] == a.stack_top  # ... and TSS.RSP0
    assert cpu_log.cr3 == [int(proc.space.root)]
    assert cpu_log.switches == [(at(boot), at(a), int(a.saved_rsp))]
    # Back to a kernel task: the kernel root again; between two tasks on one root, CR3 is left alone.
    sched.schedule()
    assert sched.current == boot and cpu_log.cr3 == [int(proc.space.root), int(paging.kernel_root)]
    assert cpu_log.msr[cpu.MSR_FS_BASE] == 0 and cpu_log.msr[cpu.MSR_KERNEL_GS_BASE] == 0x1234_5000
    assert a.gs_base == 0x7F00_0000_2000
    (k,) = runnable_tasks(1)
    sched.schedule()  # boot -> a (user root)
    sched.schedule()  # a -> k (kernel root)
    sched.schedule()  # k -> boot: both on the kernel root
    assert sched.current == boot and len(cpu_log.cr3) == 4


def test_yield_with_nothing_else_runnable_does_not_switch(cpu_log):
    rt.sti()
    sched.schedule()
    assert sched.current == cpu_log.boot and cpu_log.boot.state == task.TASK_RUNNING
    assert cpu_log.switches == [] and queue() == []
    assert rt.read_rflags() & 0x200  # interrupts as they were
    # The idle task yields to nobody: it stays current and is never queued.
    cpu_log.boot.state = u32(task.TASK_BLOCKED)
    sched.schedule()
    assert sched.current == cpu_log.idle and queue() == []
    sched.schedule()
    assert sched.current == cpu_log.idle and queue() == [] and len(cpu_log.switches) == 1


def test_block_on_and_wake_move_a_task_between_queues(cpu_log):
    boot, idle = cpu_log.boot, cpu_log.idle
    (a,) = runnable_tasks(1)
    wq = task.WaitQueue()
    sched.block_on(addr(wq), u64(0))  # boot sleeps; a runs
    assert boot.state == task.TASK_BLOCKED and boot.waiting_on == addr(wq) and boot.wake_at_ns == 0
    assert waiters(wq) == [at(boot)] and queue() == []
    assert sched.current == a
    sched.need_resched = False
    sched.wake(boot)
    assert boot.state == task.TASK_RUNNABLE and boot.waiting_on == NULL and waiters(wq) == []
    assert queue() == [at(boot)] and sched.need_resched
    sched.wake(boot)  # not blocked any more: nothing happens
    assert queue() == [at(boot)]
    # a blocks with nothing else left: boot runs; then boot blocks too: the idle task runs.
    sched.block_on(addr(wq), u64(0))
    assert sched.current == boot and waiters(wq) == [at(a)]
    sched.block_on(addr(wq), u64(0))
    assert sched.current == idle and set(waiters(wq)) == {at(a), at(boot)} and queue() == []


def test_wake_takes_a_waiter_out_of_the_middle_and_wake_all_empties_the_queue(cpu_log):
    idle = cpu_log.idle
    x, y, z = (sched.new_task() for _ in range(3))
    wq = task.WaitQueue()
    for t in (x, y, z):
        become(t)
        sched.block_on(addr(wq), u64(0))
        assert sched.current == idle  # nothing else runnable (boot is left running below)
    assert set(waiters(wq)) == {at(x), at(y), at(z)}
    sched.wake(y)
    assert queue() == [at(y)] and set(waiters(wq)) == {at(x), at(z)} and len(waiters(wq)) == 2
    sched.wake_all(addr(wq))
    assert wq.head == NULL
    assert queue()[0] == at(y) and set(queue()) == {at(x), at(y), at(z)} and len(queue()) == 3
    assert all(t.state == task.TASK_RUNNABLE and t.waiting_on == NULL for t in (x, y, z))
    sched.wake_all(addr(wq))  # an empty queue: nothing to do
    assert len(queue()) == 3


def test_a_deadline_wakes_a_blocked_task_from_the_tick(cpu_log):
    boot, idle = cpu_log.boot, cpu_log.idle
    sched.block_on(NULL, u64(1_000_000))  # a timed sleep in no queue
    assert sched.current == idle and boot.state == task.TASK_BLOCKED and boot.wake_at_ns == 1_000_000
    sched.need_resched = False
    sched.on_tick(u64(999_999))
    assert boot.state == task.TASK_BLOCKED and not sched.need_resched
    sched.on_tick(u64(1_000_000))
    assert boot.state == task.TASK_RUNNABLE and boot.wake_at_ns == 0 and queue() == [at(boot)]
    assert sched.need_resched
    sched.schedule()
    assert sched.current == boot
    # A sleep in a wait queue with a timeout: the tick also takes it out of the queue.
    (a,) = runnable_tasks(1)
    wq = task.WaitQueue()
    sched.block_on(addr(wq), u64(5_000_000))
    assert sched.current == a and waiters(wq) == [at(boot)]
    sched.on_tick(u64(6_000_000))  # late ticks count too
    assert waiters(wq) == [] and boot.waiting_on == NULL and queue() == [at(boot)]
    # No deadline: no tick ever wakes it.
    sched.block_on(addr(wq), u64(0))
    assert sched.current == boot
    sched.on_tick(u64(0xFFFF_FFFF_FFFF))
    assert a.state == task.TASK_BLOCKED and waiters(wq) == [at(a)]


def test_the_time_slice_asks_for_a_switch_only_when_another_task_can_run(cpu_log):
    assert sched.slice_left == sched.SLICE_TICKS and not sched.need_resched
    for i in range(sched.SLICE_TICKS + 3):
        sched.on_tick(u64(i + 1))
        assert not sched.need_resched  # alone: it keeps the CPU however long it runs
    (a,) = runnable_tasks(1)
    sched.on_tick(u64(100))
    assert sched.need_resched  # the slice was used up long ago
    sched.schedule()
    assert sched.current == a and not sched.need_resched and sched.slice_left == sched.SLICE_TICKS
    for i in range(sched.SLICE_TICKS - 1):
        sched.on_tick(u64(200 + i))
        assert not sched.need_resched and sched.slice_left == sched.SLICE_TICKS - 1 - i
    sched.on_tick(u64(300))
    assert sched.need_resched and sched.slice_left == 0


def test_itimer_real_fires_the_alarm_hook_and_rearms(cpu_log):
    boot = cpu_log.boot
    fired = []
    sched.on_tick(u64(0))
    boot.alarm_at_ns = u64(100)
    boot.alarm_interval_ns = u64(50)
    sched.on_tick(u64(100))  # no hook installed: nothing fires, the timer stays armed
    assert boot.alarm_at_ns == 100
    sched.alarm_hook = lambda t: fired.append((at(t), int(t.alarm_at_ns)))
    sched.on_tick(u64(99))
    assert fired == []
    sched.on_tick(u64(100))
    assert fired == [(at(boot), 150)] and boot.alarm_at_ns == 150  # re-armed before the hook runs
    sched.on_tick(u64(149))
    assert len(fired) == 1
    sched.on_tick(u64(150))
    assert fired[-1] == (at(boot), 200) and boot.alarm_at_ns == 200
    boot.alarm_interval_ns = u64(0)  # one-shot
    sched.on_tick(u64(300))
    assert len(fired) == 3 and boot.alarm_at_ns == 0
    sched.on_tick(u64(10_000))
    assert len(fired) == 3


def test_a_periodic_itimer_keeps_its_period_between_coarse_ticks(cpu_log):
    boot = cpu_log.boot
    fired = []
    sched.alarm_hook = lambda t: fired.append(1)
    boot.alarm_at_ns = u64(15_000_000)
    boot.alarm_interval_ns = u64(15_000_000)  # setitimer(ITIMER_REAL, 15 ms)
    for tick in range(1, 301):  # 3 s of 10 ms ticks
        sched.on_tick(u64(tick * 10_000_000))
    assert len(fired) == 200  # one per 15 ms (no two expiries fall in one tick)
    assert boot.alarm_at_ns == 3_015_000_000


def test_sigalrm_reaches_a_sleeping_process_through_the_signal_layer(cpu_log):
    boot, idle = cpu_log.boot, cpu_log.idle
    signal.init()
    proc = process.allocate(NULL)
    process.attach_leader(proc, boot)
    sched.block_on(NULL, u64(0))  # pause(): no deadline
    assert sched.current == idle
    boot.alarm_at_ns = u64(2_000)
    sched.on_tick(u64(2_000))
    assert proc.sig_pending == 1 << (signal.SIGALRM - 1) and proc.sig_sender[signal.SIGALRM - 1] == 0
    assert boot.state == task.TASK_RUNNABLE and queue() == [at(boot)] and boot.alarm_at_ns == 0


def test_free_task_unlinks_from_the_task_list_and_returns_the_stack(cpu_log):
    boot, idle = cpu_log.boot, cpu_log.idle
    free0, live0 = frames_outside_heap(), int(heap.live_blocks)
    a, b, c = (sched.new_task() for _ in range(3))
    assert all_tasks() == [at(c), at(b), at(a), at(idle), at(boot)]
    assert frames_outside_heap() == free0 - 3 * sched.STACK_PAGES
    sched.free_task(b)  # from the middle
    assert all_tasks() == [at(c), at(a), at(idle), at(boot)]
    sched.free_task(c)  # the head
    assert all_tasks() == [at(a), at(idle), at(boot)]
    sched.free_task(a)
    assert all_tasks() == [at(idle), at(boot)]
    assert frames_outside_heap() == free0 and int(heap.live_blocks) == live0
    # A freed task is no longer seen by the tick.
    d = sched.new_task()
    d.state = u32(task.TASK_BLOCKED)
    d.wake_at_ns = u64(10)
    sched.free_task(d)
    sched.on_tick(u64(20))
    assert queue() == []


def test_ticks_are_charged_to_user_system_or_idle_and_fold_into_the_load(cpu_log):
    boot, idle = cpu_log.boot, cpu_log.idle
    sched.account_tick(True)
    sched.account_tick(True)
    sched.account_tick(False)
    assert (boot.user_ticks, boot.system_ticks) == (2, 1)
    assert (sched.user_ticks, sched.system_ticks, sched.idle_ticks) == (2, 1, 0)
    become(idle)
    sched.account_tick(True)  # whatever the frame says, the idle task's ticks are idle time
    assert sched.idle_ticks == 1 and idle.user_ticks == 0
    become(boot)
    runnable_tasks(1)  # boot running and one waiting: two runnable
    assert sched.runnable_count() == 2
    for _ in range(sched.LOAD_SAMPLE_TICKS - 4):
        sched.account_tick(False)
    # One 5-second sample of 2 tasks: load = 2 * (1 - e^(-5/60)) and likewise for 5 and 15 minutes.
    assert [int(x) for x in sched.load] == [2 * (2048 - 1884), 2 * (2048 - 2014), 2 * (2048 - 2037)]


def frozen() -> list[int]:
    return chain(sched.frozen_tasks)


def test_a_frozen_quota_runs_nothing_until_thawed_but_sigkill_ends_it(cpu_log):
    """The freezer (container pause): queued tasks are parked at once, a woken one when it wakes;
    thaw queues them again; SIGKILL gets a parked task to the CPU while frozen."""
    boot = cpu_log.boot
    quota = task.Quota()
    a, b, other = runnable_tasks(3)
    sleeper = sched.new_task()
    procs = []
    for t in (a, b, sleeper):
        p = process.allocate(NULL)
        process.attach_leader(p, t)
        p.quota = addr(quota)
        procs.append(p)
    sched.freeze(addr(quota))
    assert queue() == [at(other)] and frozen() == [at(b), at(a)]
    assert a.state == task.TASK_FROZEN and other.state == task.TASK_RUNNABLE
    sched.schedule()  # boot yields: only `other` may run
    assert sched.current == other
    become(boot)
    sched.run_head = NULL
    sched.run_tail = NULL
    # A wake-up (I/O, a timer, an ordinary signal) parks the sleeper instead of running it.
    sleeper.state = u32(task.TASK_BLOCKED)
    sched.wake(sleeper)
    assert sleeper.state == task.TASK_FROZEN and queue() == [] and len(frozen()) == 3
    signal.send(procs[0], u32(signal.SIGTERM))
    assert a.state == task.TASK_FROZEN and queue() == []
    # SIGKILL: the task runs (to die) though its container stays frozen.
    signal.send(procs[1], u32(signal.SIGKILL))
    assert queue() == [at(b)] and b.state == task.TASK_RUNNABLE and quota.frozen
    assert frozen() == [at(sleeper), at(a)]
    sched.thaw(addr(quota))
    assert not quota.frozen and frozen() == []
    assert sorted(queue()) == sorted([at(b), at(sleeper), at(a)])
    assert all(t.state == task.TASK_RUNNABLE for t in (a, b, sleeper))
