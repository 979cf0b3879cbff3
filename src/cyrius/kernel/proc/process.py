"""Processes: the pid table, descriptor tables, fork, exit and wait.

A Process owns an address space, a descriptor table, a root and a cwd, credentials and signal
actions; its one Task runs it. Exit keeps the Process as a zombie holding its wait status until the
parent collects it with wait; orphans go to the host process (pid 1), which the host shell reaps.
"""
from cyrius.lang import NULL, Callable, Final, Ptr, addr, cast, i64, sizeof, u8, u32, u64, usize
from cyrius.rt import fxsave, memcpy, rdmsr, write_cr3

from ..platform import clock
from .. import errno
from ..arch.x86_64 import cpu, irq
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import file, vfs
from ..mm import paging, uaccess, uspace
from ..mm.heap import kalloc, kfree
from . import sched, task
from .task import Process, Task

SIGCHLD: Final = 17
SIGKILL: Final = 9
WNOHANG: Final = 1
WUNTRACED: Final = 2
WNOWAIT: Final = 0x01000000
RLIM_INFINITY: Final = 0xFFFFFFFFFFFFFFFF
RLIMIT_STACK: Final = 3
RLIMIT_NOFILE: Final = 7

table: Ptr[Process] = NULL
next_pid: u32 = 1
host: Ptr[Process] = NULL  # pid 1: the host world, whose task is the host shell


def current() -> Ptr[Process]:
    return sched.current.process


def cred_of(p: Ptr[Process], out: Ptr[vfs.Cred]) -> Ptr[vfs.Cred]:
    """The ids p's file accesses are checked against (its effective ones), in out."""
    out.uid = p.euid
    out.gid = p.egid
    return out


def find(pid: u32) -> Ptr[Process]:
    p: Ptr[Process] = table
    while p != NULL:
        if p.pid == pid:
            return p
        p = p.next_in_table
    return NULL


def allocate(parent: Ptr[Process]) -> Ptr[Process]:
    """A new process record with a fresh pid, linked under parent, inheriting its credentials,
    root, cwd, umask, limits, quota and signal actions; no task, no space, no files yet. NULL
    when memory ran out or the parent's quota has no process to spare."""
    global table, next_pid
    if parent != NULL and parent.quota != NULL and parent.quota.pids >= parent.quota.pids_limit:
        return NULL
    p: Ptr[Process] = cast(Ptr[Process], kalloc(usize(sizeof(Process))))
    if p == NULL:
        return NULL
    p.pid = next_pid
    next_pid += 1
    p.exit_signal = SIGCHLD
    p.parent = parent
    p.start_ns = clock.now_ns()
    if parent != NULL:
        p.abi = parent.abi
        p.root = vfs.get(parent.root)
        p.cwd = vfs.get(parent.cwd)
        p.uid = parent.uid
        p.gid = parent.gid
        p.euid = parent.euid
        p.egid = parent.egid
        p.pgid = parent.pgid
        p.sid = parent.sid
        p.umask = parent.umask
        p.container = parent.container
        join_quota(p, parent.quota)
        memcpy(cast(Ptr[None], addr(p.actions)), cast(Ptr[None], addr(parent.actions)),
               usize(sizeof(task.SigAction) * task.NSIG))
        memcpy(cast(Ptr[None], addr(p.rlimits)), cast(Ptr[None], addr(parent.rlimits)),
               usize(sizeof(task.RLimit) * task.RLIMIT_COUNT))
        memcpy(cast(Ptr[None], addr(p.name)), cast(Ptr[None], addr(parent.name)), usize(task.NAME_LEN))
        memcpy(cast(Ptr[None], addr(p.exe)), cast(Ptr[None], addr(parent.exe)), usize(task.EXE_LEN))
        memcpy(cast(Ptr[None], addr(p.cmdline)), cast(Ptr[None], addr(parent.cmdline)), usize(task.CMDLINE_LEN))
        p.cmdline_len = parent.cmdline_len
        p.next_sibling = parent.first_child
        parent.first_child = p
    p.next_in_table = table
    table = p
    return p


def join_quota(p: Ptr[Process], q: Ptr[task.Quota]) -> None:
    """Count p against q (its container's)."""
    p.quota = q
    if q != NULL:
        q.pids += 1


def init_host(boot: Ptr[Task], root: Ptr[vfs.Inode]) -> None:
    """Make the host process (pid 1) around the boot task."""
    global host
    host = allocate(NULL)
    host.abi = task.ABI_HOST
    host.root = vfs.get(root)
    host.cwd = vfs.get(root)
    host.umask = 0o022
    host.pgid = host.pid
    host.sid = host.pid
    for i in range(task.RLIMIT_COUNT):
        host.rlimits[i].soft = RLIM_INFINITY
        host.rlimits[i].hard = RLIM_INFINITY
    host.rlimits[RLIMIT_STACK].soft = uspace.STACK_SIZE
    host.rlimits[RLIMIT_NOFILE].soft = task.MAX_FDS
    host.rlimits[RLIMIT_NOFILE].hard = task.MAX_FDS
    host.name[0] = ord("h")  # "host"
    host.name[1] = ord("o")
    host.name[2] = ord("s")
    host.name[3] = ord("t")
    host.task = boot
    boot.process = host


# --- descriptors -------------------------------------------------------------------------------

def fd_get(p: Ptr[Process], fd: i64) -> Ptr[file.File]:
    if fd < 0 or fd >= task.MAX_FDS:
        return NULL
    return p.files[fd]


def fd_install(p: Ptr[Process], f: Ptr[file.File], cloexec: bool, lowest: i64) -> i64:
    """Put f (a reference the caller gives away) in the lowest free slot >= lowest."""
    limit: i64 = i64(p.rlimits[RLIMIT_NOFILE].soft)
    if limit > task.MAX_FDS:
        limit = task.MAX_FDS
    fd: i64 = lowest
    while fd < limit:
        if p.files[fd] == NULL:
            p.files[fd] = f
            p.fd_flags[fd] = u8(0)
            if cloexec:
                p.fd_flags[fd] = u8(task.FD_CLOEXEC)
            return fd
        fd += 1
    file.close(f)
    return -errno.EMFILE


def fd_close(p: Ptr[Process], fd: i64) -> i64:
    f: Ptr[file.File] = fd_get(p, fd)
    if f == NULL:
        return -errno.EBADF
    p.files[fd] = NULL
    p.fd_flags[fd] = 0
    file.close(f)
    return 0


def close_on_exec(p: Ptr[Process]) -> None:
    for fd in range(task.MAX_FDS):
        if p.files[fd] != NULL and (p.fd_flags[fd] & task.FD_CLOEXEC) != 0:
            fd_close(p, i64(fd))


# --- fork --------------------------------------------------------------------------------------

def fork(parent: Ptr[Process], frame: Ptr[TrapFrame], share_space: bool, child_stack: u64,
         child_tid_addr: u64, out: Ptr[Ptr[Process]]) -> i64:
    """A child running a copy of parent from the system call in `frame`, returning 0 there.
    share_space is vfork: the child borrows the parent's memory, and the caller sleeps until it
    execs or exits. Returns the child pid (also in out[0]) or -errno: -EAGAIN at the container's
    pids limit, as Linux's pids controller answers."""
    q: Ptr[task.Quota] = parent.quota
    if q != NULL and q.pids >= q.pids_limit:
        return -errno.EAGAIN
    child: Ptr[Process] = allocate(parent)
    if child == NULL:
        return -errno.ENOMEM
    t: Ptr[Task] = sched.new_task()
    if t == NULL:
        release(child)
        return -errno.ENOMEM
    child.task = t
    t.process = child
    if share_space:
        child.space = parent.space
        child.vfork_pending = True
    else:
        child.space = uspace.fork(parent.space)
        if child.space == NULL:
            release(child)
            return -errno.ENOMEM
    for fd in range(task.MAX_FDS):
        if parent.files[fd] != NULL:
            child.files[fd] = file.dup(parent.files[fd])
            child.fd_flags[fd] = parent.fd_flags[fd]
    me: Ptr[Task] = sched.current
    t.sig_blocked = me.sig_blocked
    t.fs_base = me.fs_base
    t.gs_base = rdmsr(u32(cpu.MSR_KERNEL_GS_BASE))
    fxsave(cast(Ptr[None], addr(t.fpu)))  # the parent's live FPU registers
    f: Ptr[TrapFrame] = sched.initial_frame(t)
    memcpy(cast(Ptr[None], f), cast(Ptr[None], frame), usize(sizeof(TrapFrame)))
    f.rax = 0
    if child_stack != 0:
        f.rsp = child_stack
    if child_tid_addr != 0:
        t.clear_child_tid = child_tid_addr
        uaccess.put_u32(child.space, child_tid_addr, t.tid)
    sched.prepare_start(t)
    out[0] = child
    pid: u32 = child.pid
    sched.start(t)
    if share_space:
        while child.vfork_pending:
            sched.block_on(addr(child.vfork_done), u64(0))
    return i64(pid)


# --- exit and wait -----------------------------------------------------------------------------

def end_vfork(p: Ptr[Process]) -> None:
    """A vfork child stops borrowing its parent's memory (exec or exit)."""
    if p.vfork_pending:
        p.vfork_pending = False
        sched.wake_all(addr(p.vfork_done))


def drop_space(p: Ptr[Process]) -> None:
    s: Ptr[uspace.AddressSpace] = p.space
    p.space = NULL
    if s == NULL:
        return
    if p.vfork_pending:
        end_vfork(p)  # the memory is the parent's: give it back untouched
        return
    write_cr3(paging.kernel_root)  # never free the tables the CPU is using
    uspace.destroy(s)


# Told about every exit (the container runtime watches for its inits).
exit_hook: Callable[[Ptr[Process]], None] = NULL


def adopter(p: Ptr[Process]) -> Ptr[Process]:
    """Who takes the children of exiting p: its container's init while that lives (as the init of
    a Linux pid namespace does, and reaps them), else the host process."""
    top: Ptr[Process] = p
    while top.parent != NULL and top.parent != host:
        top = top.parent
    if p.container == 0 or top == p or top.container != p.container or top.state != task.PROC_ALIVE:
        return host
    return top


def exit_with_status(status: u32, notify: bool) -> None:
    """End the current process with a wait status; never returns."""
    p: Ptr[Process] = current()
    t: Ptr[Task] = sched.current
    if t.clear_child_tid != 0 and p.space != NULL:
        uaccess.put_u32(p.space, t.clear_child_tid, u32(0))
    for fd in range(task.MAX_FDS):
        if p.files[fd] != NULL:
            fd_close(p, i64(fd))
    drop_space(p)
    vfs.put(p.cwd)
    vfs.put(p.root)
    p.cwd = NULL
    p.root = NULL
    heir: Ptr[Process] = adopter(p)
    c: Ptr[Process] = p.first_child
    while c != NULL:
        nxt: Ptr[Process] = c.next_sibling
        c.parent = heir
        c.exit_signal = SIGCHLD  # as Linux does: a chosen exit signal was for the parent that chose it
        c.next_sibling = heir.first_child
        heir.first_child = c
        if c.state == task.PROC_ZOMBIE:  # the heir has one more child to collect
            notify_parent(heir, SIGCHLD, c.pid)
            sched.wake_all(addr(heir.child_exited))
        c = nxt
    p.first_child = NULL
    flags: u64 = irq.save()
    p.exit_status = status
    p.state = task.PROC_ZOMBIE
    if exit_hook != NULL:
        exit_hook(p)
    parent: Ptr[Process] = p.parent
    if notify and parent != NULL:
        notify_parent(parent, p.exit_signal, p.pid)
        sched.wake_all(addr(parent.child_exited))
    t.state = task.TASK_DEAD
    sched.schedule()
    irq.restore(flags)


def notify_parent(parent: Ptr[Process], sig: u32, child: u32) -> None:
    """The exit signal for the parent (SIGCHLD); like signal.send_from, an ignored signal that
    is not blocked is dropped (signal.py depends on this module, so the rule is repeated here)."""
    if sig == 0 or sig > task.NSIG:
        return
    bit: u64 = u64(1) << u64(sig - 1)
    blocked: bool = parent.task != NULL and (parent.task.sig_blocked & bit) != 0
    h: u64 = parent.actions[sig - 1].handler
    if not blocked and (h == 1 or (h == 0 and sig == SIGCHLD)):
        return
    parent.sig_pending |= bit
    parent.sig_sender[sig - 1] = child
    if parent.task != NULL and parent.task.state == task.TASK_BLOCKED and not blocked:
        sched.wake(parent.task)


def unlink_child(parent: Ptr[Process], child: Ptr[Process]) -> None:
    if parent.first_child == child:
        parent.first_child = child.next_sibling
        return
    c: Ptr[Process] = parent.first_child
    while c != NULL and c.next_sibling != child:
        c = c.next_sibling
    if c != NULL:
        c.next_sibling = child.next_sibling


def collect_times(parent: Ptr[Process], child: Ptr[Process]) -> None:
    """A waited-for child's CPU time, its own and its waited-for children's, becomes the parent's
    children's time (times(2), RUSAGE_CHILDREN)."""
    parent.child_user_ticks += child.child_user_ticks
    parent.child_system_ticks += child.child_system_ticks
    if child.task != NULL:
        parent.child_user_ticks += child.task.user_ticks
        parent.child_system_ticks += child.task.system_ticks


def release(p: Ptr[Process]) -> None:
    """Forget a zombie (or a process that never ran): its task, its record, its pid."""
    global table
    if p.parent != NULL:
        unlink_child(p.parent, p)
    if table == p:
        table = p.next_in_table
    else:
        q: Ptr[Process] = table
        while q != NULL and q.next_in_table != p:
            q = q.next_in_table
        if q != NULL:
            q.next_in_table = p.next_in_table
    if p.task != NULL:
        sched.free_task(p.task)
    if p.space != NULL and not p.vfork_pending:
        uspace.destroy(p.space)
    for fd in range(task.MAX_FDS):
        if p.files[fd] != NULL:
            file.close(p.files[fd])
    if p.cwd != NULL:
        vfs.put(p.cwd)
    if p.root != NULL:
        vfs.put(p.root)
    if p.quota != NULL:
        p.quota.pids -= 1
    kfree(cast(Ptr[None], p))


def matches(child: Ptr[Process], pid: i64, caller: Ptr[Process]) -> bool:
    if pid > 0:
        return i64(child.pid) == pid
    if pid == 0:
        return child.pgid == caller.pgid
    if pid < -1:
        return i64(child.pgid) == -pid
    return True


def wait(p: Ptr[Process], pid: i64, options: u32, status_out: Ptr[u32], interruptible: bool) -> i64:
    """Collect a child that has exited: its pid (status in status_out[0]), 0 with WNOHANG when
    none has exited yet, -ECHILD when no child matches, -EINTR when a signal arrives."""
    while True:
        flags: u64 = irq.save()
        any_match: bool = False
        c: Ptr[Process] = p.first_child
        while c != NULL:
            if matches(c, pid, p):
                any_match = True
                if c.state == task.PROC_ZOMBIE:
                    irq.restore(flags)
                    status_out[0] = c.exit_status
                    found: i64 = i64(c.pid)
                    if (options & WNOWAIT) == 0:
                        collect_times(p, c)
                        release(c)
                    return found
            c = c.next_sibling
        if not any_match:
            irq.restore(flags)
            return -errno.ECHILD
        if (options & WNOHANG) != 0:
            irq.restore(flags)
            return 0
        if interruptible and signal_waiting(p):
            irq.restore(flags)
            return -errno.EINTR
        sched.block_on(addr(p.child_exited), u64(0))
        irq.restore(flags)


def signal_waiting(p: Ptr[Process]) -> bool:
    """A signal is pending that the task does not block."""
    return (p.sig_pending & ~sched.current.sig_blocked) != 0
