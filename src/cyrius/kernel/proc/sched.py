"""The scheduler: preemptive round robin over runnable tasks, wait queues, timed sleep, idle.

One CPU. A task runs until it blocks, yields, exits, or — when it was interrupted in user mode —
its time slice ends. Kernel code is not preempted, so the kernel's own data needs no locks
beyond disabling interrupts around what interrupt handlers also touch (the run queue and wait
queues, since handlers wake tasks). Threads of one process share its data the same way: with
several CPUs, the thread list, the pending sets and the futex table will each need a lock.

switch_to saves the outgoing task's FPU state and user FS/GS bases and loads the incoming task's,
with its kernel stack and address space; boot/x86_64/syscall.S switches the registers.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, offsetof, sizeof, u8, u32, u64, usize
from cyrius.rt import cli, fxrstor, fxsave, memset, read_cr3, rdmsr, sti_hlt, switch_context, thread_entry, write_cr3

from ..arch.x86_64 import cpu, irq
from ..arch.x86_64.trapframe import TrapFrame
from ..mm import frames, paging, phys
from ..mm.heap import kalloc, kfree
from .. import errno
from ..panic import panic
from . import task
from .task import Task, WaitQueue

STACK_PAGES: Final = 4
STACK_SIZE: Final = STACK_PAGES * 4096
SLICE_TICKS: Final = 5  # 50 ms at 100 Hz
KERNEL_CS: Final = 0x08
KERNEL_DS: Final = 0x10
RFLAGS_RESERVED: Final = 0x2
RFLAGS_IF: Final = 0x200
SWITCH_FRAME_WORDS: Final = 8  # r15 r14 r13 r12 rbx rbp rflags, return address

current: Ptr[Task] = NULL
idle_task: Ptr[Task] = NULL
run_head: Ptr[Task] = NULL
run_tail: Ptr[Task] = NULL
all_tasks: Ptr[Task] = NULL
dead_tasks: Ptr[Task] = NULL  # exited threads, freed once the CPU has left their stacks
frozen_tasks: Ptr[Task] = NULL  # runnable tasks of paused containers (TASK_FROZEN), linked by next
slice_left: u32 = SLICE_TICKS
need_resched: bool = False
next_tid: u32 = 1
switches: u64 = 0
# CPU time, counted by the timer tick (as Linux does without precise accounting): /proc/stat, times().
user_ticks: u64 = 0
system_ticks: u64 = 0
idle_ticks: u64 = 0
# Load averages over 1, 5 and 15 minutes, Linux's fixed point (LOAD_ONE is 1.0), sampled every 5 s.
LOAD_SHIFT: Final = 11
LOAD_ONE: Final = 1 << LOAD_SHIFT
LOAD_SAMPLE_TICKS: Final = 500
load: Array[u64, 3] = Array[u64, 3]()
load_countdown: u32 = LOAD_SAMPLE_TICKS
# Called from the tick for a task whose ITIMER_REAL expired (the signal layer sends SIGALRM).
alarm_hook: Callable[[Ptr[Task]], None] = NULL
cpu_hook: Callable[[Ptr[Task]], None] = NULL  # a tick was charged to this task (RLIMIT_CPU)
timer_hook: Callable[[u64], None] = NULL  # timerfd's: wake waiters of timers that are due


# --- the freezer (container pause): a task of a frozen Quota that could run is parked instead ----
# Parking happens where a task becomes runnable (enqueue), so nothing - a wake-up by I/O, a timer,
# a signal - runs it until thaw(). A task with SIGKILL pending, or whose process is exiting, is
# never parked, so `kill -9` and `delete --force` end a paused container at once.

KILL_BIT: Final = 1 << 8  # SIGKILL's pending bit


def parked(t: Ptr[Task]) -> bool:
    """Whether runnable t must wait for its container's thaw."""
    p: Ptr[task.Process] = t.process
    if p == NULL or p.quota == NULL or not p.quota.frozen or p.group_exiting:
        return False
    return ((t.sig_pending | p.sig_pending) & u64(KILL_BIT)) == 0


def park(t: Ptr[Task]) -> None:
    global frozen_tasks
    t.state = task.TASK_FROZEN
    t.next = frozen_tasks
    frozen_tasks = t


def unpark(t: Ptr[Task]) -> None:
    """Take t out of the frozen list (interrupts off)."""
    global frozen_tasks
    if frozen_tasks == t:
        frozen_tasks = t.next
    else:
        q: Ptr[Task] = frozen_tasks
        while q != NULL and q.next != t:
            q = q.next
        if q != NULL:
            q.next = t.next
    t.next = NULL


def freeze(quota: Ptr[task.Quota]) -> None:
    """Pause every task that shares quota: the queued ones are parked now, the others as they
    become runnable."""
    flags: u64 = irq.save()
    quota.frozen = True
    keep_head: Ptr[Task] = NULL
    keep_tail: Ptr[Task] = NULL
    t: Ptr[Task] = dequeue()
    while t != NULL:
        if parked(t):
            park(t)
        else:
            if keep_tail == NULL:
                keep_head = t
            else:
                keep_tail.next = t
            keep_tail = t
        t = dequeue()
    set_run_head(keep_head)
    set_run_tail(keep_tail)
    irq.restore(flags)


def thaw(quota: Ptr[task.Quota]) -> None:
    """Resume quota's tasks: the parked ones go back to the run queue."""
    flags: u64 = irq.save()
    quota.frozen = False
    t: Ptr[Task] = frozen_tasks
    while t != NULL:
        nxt: Ptr[Task] = t.next
        if t.process != NULL and t.process.quota == quota:
            unpark(t)
            enqueue(t)
        t = nxt
    request_resched()
    irq.restore(flags)


def enqueue(t: Ptr[Task]) -> None:
    """Append t to the run queue (interrupts off), or park it if its container is frozen."""
    if parked(t):
        park(t)
        return
    t.state = task.TASK_RUNNABLE
    t.next = NULL
    if run_tail == NULL:
        set_run_head(t)
    else:
        run_tail.next = t
    set_run_tail(t)


def set_run_head(t: Ptr[Task]) -> None:
    global run_head
    run_head = t


def set_run_tail(t: Ptr[Task]) -> None:
    global run_tail
    run_tail = t


def dequeue() -> Ptr[Task]:
    t: Ptr[Task] = run_head
    if t != NULL:
        set_run_head(t.next)
        if run_head == NULL:
            set_run_tail(NULL)
        t.next = NULL
    return t


def new_record() -> Ptr[Task]:
    global next_tid, all_tasks
    t: Ptr[Task] = cast(Ptr[Task], kalloc(usize(sizeof(Task))))
    if t == NULL:
        return NULL
    t.tid = next_tid
    next_tid += 1
    t.state = task.TASK_BLOCKED
    t.syscall_nr = task.NO_SYSCALL
    t.restart_nr = task.NO_SYSCALL
    flags: u64 = irq.save()
    t.all_next = all_tasks
    all_tasks = t
    irq.restore(flags)
    return t


def new_task() -> Ptr[Task]:
    """A task with a kernel stack and a clean FPU state; not yet runnable."""
    stack: u64 = frames.alloc_contiguous(u64(STACK_PAGES))
    if stack == 0:
        return NULL
    t: Ptr[Task] = new_record()
    if t == NULL:
        frames_free_run(stack)
        return NULL
    t.stack_base = phys.to_virt(stack)
    t.stack_top = t.stack_base + STACK_SIZE
    fresh_fpu(addr(t.fpu))
    return t


def fresh_fpu(area: Ptr[u8]) -> None:
    """Make a zeroed FXSAVE area the image of a freshly initialised FPU: x87 control word 0x37f,
    MXCSR 0x1f80 (all exceptions masked), everything else zero - what Linux gives a new program."""
    area[0] = 0x7F
    area[1] = 0x03
    area[24] = 0x80
    area[25] = 0x1F


def frames_free_run(base: u64) -> None:
    for i in range(STACK_PAGES):
        frames.free(base + u64(i) * 4096)


def free_task(t: Ptr[Task]) -> None:
    """Free a dead task's stack and record (never the running one)."""
    global all_tasks
    flags: u64 = irq.save()
    if all_tasks == t:
        all_tasks = t.all_next
    else:
        p: Ptr[Task] = all_tasks
        while p.all_next != t:
            p = p.all_next
        p.all_next = t.all_next
    irq.restore(flags)
    frames_free_run(phys.to_phys(t.stack_base))
    kfree(cast(Ptr[None], t))


def reap_later(t: Ptr[Task]) -> None:
    """Free dead t (the running task, still on its stack) at the next schedule() that runs elsewhere."""
    global dead_tasks
    flags: u64 = irq.save()
    t.next = dead_tasks
    dead_tasks = t
    irq.restore(flags)


def reap_dead() -> None:
    global dead_tasks
    keep: Ptr[Task] = NULL
    while dead_tasks != NULL:
        t: Ptr[Task] = dead_tasks
        dead_tasks = t.next
        if t == current:
            keep = t
        else:
            free_task(t)
    if keep != NULL:
        keep.next = NULL
        dead_tasks = keep


def find_thread(tid: u32) -> Ptr[Task]:
    """The live task of a process with thread id tid, or NULL."""
    t: Ptr[Task] = all_tasks
    while t != NULL:
        if t.tid == tid and t.process != NULL and t.state != task.TASK_DEAD:
            return t
        t = t.all_next
    return NULL


def initial_frame(t: Ptr[Task]) -> Ptr[TrapFrame]:
    """The trap frame at the top of t's kernel stack that thread_entry will enter."""
    return cast(Ptr[TrapFrame], usize(t.stack_top - sizeof(TrapFrame)))


def prepare_start(t: Ptr[Task]) -> None:
    """Build the switch frame under the initial trap frame: the first switch_context to t pops
    zeroed callee-saved registers and RFLAGS, and returns into thread_entry."""
    frame_at: u64 = cast(u64, initial_frame(t))
    words: Ptr[u64] = cast(Ptr[u64], usize(frame_at - SWITCH_FRAME_WORDS * 8))
    memset(cast(Ptr[None], words), 0, usize(SWITCH_FRAME_WORDS * 8))
    words[6] = RFLAGS_RESERVED  # interrupts stay off until trap_return's iretq
    words[7] = cast(u64, thread_entry)
    t.saved_rsp = cast(u64, words)


def new_kernel_thread(entry: Callable[[], None]) -> Ptr[Task]:
    """A kernel thread that will start at entry (which must never return) once start()ed."""
    t: Ptr[Task] = new_task()
    if t == NULL:
        return NULL
    f: Ptr[TrapFrame] = initial_frame(t)
    memset(cast(Ptr[None], f), 0, usize(sizeof(TrapFrame)))
    f.rip = cast(u64, entry)
    f.cs = KERNEL_CS
    f.ss = KERNEL_DS
    f.rflags = RFLAGS_RESERVED | RFLAGS_IF
    f.rsp = t.stack_top - 8  # as after a call: the entry's frame is 16-byte aligned
    prepare_start(t)
    return t


def start(t: Ptr[Task]) -> None:
    flags: u64 = irq.save()
    enqueue(t)
    irq.restore(flags)


def address_space_root(t: Ptr[Task]) -> u64:
    if t.process != NULL and t.process.space != NULL:
        return t.process.space.root
    return paging.kernel_root


def switch_to(prev: Ptr[Task], nxt: Ptr[Task]) -> None:
    global switches
    switches += 1
    fxsave(cast(Ptr[None], addr(prev.fpu)))
    fxrstor(cast(Ptr[None], addr(nxt.fpu)))
    prev.gs_base = rdmsr(u32(cpu.MSR_KERNEL_GS_BASE))
    cpu.set_user_fs_base(nxt.fs_base)
    cpu.set_user_gs_base(nxt.gs_base)
    cpu.set_kernel_stack(nxt.stack_top)
    root: u64 = address_space_root(nxt)
    if (read_cr3() & paging.ADDR_MASK) != root:
        write_cr3(root)
    save_at: Ptr[u64] = cast(Ptr[u64], cast(usize, prev) + offsetof(Task, "saved_rsp"))
    switch_context(save_at, nxt.saved_rsp)


def schedule() -> None:
    """Give the CPU to the next runnable task. The caller has set current's state: RUNNING means
    it stays runnable (a yield or preemption), BLOCKED or DEAD means it waits or is gone."""
    global current, need_resched, slice_left
    flags: u64 = irq.save()
    if dead_tasks != NULL:
        reap_dead()
    prev: Ptr[Task] = current
    if prev.state == task.TASK_RUNNING and prev != idle_task:
        enqueue(prev)
    nxt: Ptr[Task] = dequeue()
    if nxt == NULL:
        nxt = idle_task
    need_resched = False
    slice_left = SLICE_TICKS
    if nxt != prev:
        nxt.state = task.TASK_RUNNING
        current = nxt
        switch_to(prev, nxt)
    else:
        prev.state = task.TASK_RUNNING
    irq.restore(flags)


def yield_now() -> None:
    schedule()


def idle_loop() -> None:
    """The idle task: halt until an interrupt makes some task runnable."""
    while True:
        cli()
        if run_head != NULL:
            schedule()
        else:
            sti_hlt()


def block_on(wq: Ptr[WaitQueue], deadline_ns: u64) -> None:
    """Sleep in wq (NULL: in no queue; only the timer or a signal wakes it) until woken, or until
    deadline_ns (0: none). Callers test their condition with interrupts off, call this, and test
    again: wake-ups may be spurious."""
    flags: u64 = irq.save()
    t: Ptr[Task] = current
    t.state = task.TASK_BLOCKED
    t.wake_at_ns = deadline_ns
    if wq != NULL:
        t.waiting_on = wq
        t.next = wq.head
        wq.head = t
    schedule()
    irq.restore(flags)


def unlink_waiter(t: Ptr[Task]) -> None:
    wq: Ptr[WaitQueue] = t.waiting_on
    if wq == NULL:
        return
    prev: Ptr[Task] = NULL
    cur: Ptr[Task] = wq.head
    while cur != NULL:
        if cur == t:
            if prev == NULL:
                wq.head = cur.next
            else:
                prev.next = cur.next
            break
        prev = cur
        cur = cur.next
    t.waiting_on = NULL
    t.next = NULL


def wake(t: Ptr[Task]) -> None:
    """Make a blocked task runnable (from any context); a frozen one only if it is to die now."""
    flags: u64 = irq.save()
    if t.state == task.TASK_BLOCKED:
        unlink_waiter(t)
        t.wake_at_ns = 0
        enqueue(t)
        request_resched()
    elif t.state == task.TASK_FROZEN and not parked(t):
        unpark(t)
        enqueue(t)
        request_resched()
    irq.restore(flags)


def wake_all(wq: Ptr[WaitQueue]) -> None:
    flags: u64 = irq.save()
    while wq.head != NULL:
        wake(wq.head)
    irq.restore(flags)


def request_resched() -> None:
    global need_resched
    need_resched = True


def on_tick(now_ns: u64) -> None:
    """Timer interrupt: end timed sleeps, count down the running task's slice."""
    global slice_left
    t: Ptr[Task] = all_tasks
    while t != NULL:
        if t.state == task.TASK_BLOCKED and t.wake_at_ns != 0 and t.wake_at_ns <= now_ns:
            wake(t)
        if t.alarm_at_ns != 0 and t.alarm_at_ns <= now_ns and alarm_hook != NULL:
            due: u64 = t.alarm_at_ns
            t.alarm_at_ns = 0
            if t.alarm_interval_ns != 0:
                # The next expiry on the timer's own grid: a late tick does not stretch the period.
                t.alarm_at_ns = now_ns + t.alarm_interval_ns - (now_ns - due) % t.alarm_interval_ns
            alarm_hook(t)
        t = t.all_next
    if timer_hook != NULL:
        timer_hook(now_ns)
    if slice_left > 0:
        slice_left -= 1
    if slice_left == 0 and run_head != NULL:
        request_resched()


def account_tick(from_user: bool) -> None:
    """Charge the tick to whatever it interrupted; every LOAD_SAMPLE_TICKS, fold the number of
    runnable tasks into the load averages."""
    global user_ticks, system_ticks, idle_ticks, load_countdown
    if current == idle_task:
        idle_ticks += 1
    elif from_user:
        current.user_ticks += 1
        user_ticks += 1
    else:
        current.system_ticks += 1
        system_ticks += 1
    if current != idle_task and cpu_hook != NULL:
        cpu_hook(current)
    load_countdown -= 1
    if load_countdown == 0:
        load_countdown = LOAD_SAMPLE_TICKS
        active: u64 = runnable_count() * LOAD_ONE
        for i in range(3):
            decay: u64 = load_decay(u32(i))
            load[i] = (load[i] * decay + active * (LOAD_ONE - decay)) >> LOAD_SHIFT


def load_decay(average: u32) -> u64:
    """LOAD_ONE / e^(5 s / 1, 5 or 15 minutes)."""
    if average == 0:
        return 1884
    if average == 1:
        return 2014
    return 2037


def runnable_count() -> u64:
    """Tasks running or waiting for the CPU (not the idle task)."""
    n: u64 = 0
    if current != idle_task:
        n = 1
    t: Ptr[Task] = run_head
    while t != NULL:
        n += 1
        t = t.next
    return n


def task_count() -> u64:
    n: u64 = 0
    t: Ptr[Task] = all_tasks
    while t != NULL:
        if t != idle_task:
            n += 1
        t = t.all_next
    return n


def init() -> Ptr[Task]:
    """Adopt the boot context (it becomes the host shell's task) as the running task, and make
    the idle task, which runs only when nothing else can. Returns the boot task."""
    global current, idle_task, user_ticks, system_ticks, idle_ticks, load_countdown
    user_ticks = 0
    system_ticks = 0
    idle_ticks = 0
    load_countdown = LOAD_SAMPLE_TICKS
    for i in range(3):
        load[i] = 0
    boot: Ptr[Task] = new_record()
    idle_task = new_kernel_thread(idle_loop)
    if boot == NULL or idle_task == NULL:
        panic(b"sched: out of memory for the boot and idle tasks")
    boot.state = task.TASK_RUNNING
    current = boot
    return boot


# restart_syscall's block (see signal.py): a timed wait resumed after a stop keeps its deadline.

def timed_deadline(fresh: u64) -> u64:
    """The deadline of a timed wait: `fresh`, or the one it had when restart_syscall resumes it."""
    t: Ptr[Task] = current
    if t.resuming:
        t.resuming = False
        return t.restart_deadline_ns
    return fresh


def interrupted_timed(deadline: u64) -> i64:
    """A timed wait a signal ended: without a handler it resumes with the same deadline."""
    current.restart_deadline_ns = deadline
    return -errno.ERESTART_RESTARTBLOCK
