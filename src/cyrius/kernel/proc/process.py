"""Processes: the pid table, descriptor tables, fork, exit and wait.

A Process owns an address space, a descriptor table, a root and a cwd, credentials and signal
actions; its Tasks (threads, the first one the leader whose tid is the pid) run it. When its last
thread exits the Process stays as a zombie holding its wait status until the parent collects it
with wait; orphans go to the host process (pid 1), which the host shell reaps.
"""
from cyrius.lang import NULL, Callable, Final, Ptr, addr, cast, i64, sizeof, u8, u32, u64, usize
from cyrius.rt import fxsave, memcpy, rdmsr, write_cr3

from ..platform import clock
from .. import errno
from ..arch.x86_64 import cpu, irq
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import file, lock, vfs
from ..mm import paging, uspace
from ..mm.heap import kalloc, kfree
from . import caps, cred, futex, sched, task
from .task import Process, Task

SIGCHLD: Final = 17
SIGKILL: Final = 9
WNOHANG: Final = 1
WUNTRACED: Final = 2  # waitid's WSTOPPED
WEXITED: Final = 4
WCONTINUED: Final = 8
WNOWAIT: Final = 0x01000000
SA_NOCLDSTOP: Final = 1
STATUS_CONTINUED: Final = 0xFFFF  # the wait status of a continued child
RLIM_INFINITY: Final = 0xFFFFFFFFFFFFFFFF
RLIMIT_STACK: Final = 3
RLIMIT_NOFILE: Final = 7
RLIMIT_NPROC: Final = 6

table: Ptr[Process] = NULL
signal_posted: Callable[[], None] = NULL  # a signal became pending: signalfd readers and pollers look again
next_pid: u32 = 1
host: Ptr[Process] = NULL  # pid 1: the host world, whose task is the host shell


def current() -> Ptr[Process]:
    return sched.current.process


def cred_of(p: Ptr[Process], out: Ptr[vfs.Cred]) -> Ptr[vfs.Cred]:
    """The ids p's file accesses are checked against (its effective ones), in out."""
    out.uid = p.euid
    out.gid = p.egid
    out.caps = p.cap_effective
    out.groups = cast(Ptr[u32], addr(p.groups))
    out.group_count = p.group_count
    out.world = p.world
    return out


def find(pid: u32) -> Ptr[Process]:
    """The process with kernel-wide pid `pid` (the host world's view)."""
    p: Ptr[Process] = table
    while p != NULL:
        if p.pid == pid:
            return p
        p = p.next_in_table
    return NULL


# Pid namespaces: each container numbers its processes and threads from 1 (vpid, vtid, from its
# Quota.last_pid); the host world sees every process by its kernel-wide pid. A process in a
# container sees only its container's processes (pid_of is 0 for the others, find_visible NULL).

def sees(viewer: Ptr[Process], p: Ptr[Process]) -> bool:
    return viewer.container == 0 or viewer.container == p.container


def pid_of(viewer: Ptr[Process], p: Ptr[Process]) -> u32:
    """p's pid as viewer sees it: 0 if it is outside viewer's namespace."""
    if p == NULL or not sees(viewer, p):
        return 0
    return p.pid if viewer.container == 0 else p.vpid


def tid_of(viewer: Ptr[Process], t: Ptr[Task]) -> u32:
    if not sees(viewer, t.process):
        return 0
    return t.tid if viewer.container == 0 else t.vtid


def find_visible(viewer: Ptr[Process], pid: u32) -> Ptr[Process]:
    """The process viewer calls `pid` (kill, wait, /proc, prlimit...), NULL if none it can see."""
    if viewer.container == 0:
        return find(pid)
    p: Ptr[Process] = table
    while p != NULL:
        if p.container == viewer.container and p.vpid == pid:
            return p
        p = p.next_in_table
    return NULL


def find_thread_visible(viewer: Ptr[Process], tid: u32) -> Ptr[Task]:
    """The live thread viewer calls `tid` (tgkill, sched_setaffinity...), NULL if none it can see."""
    p: Ptr[Process] = table
    while p != NULL:
        if sees(viewer, p):
            t: Ptr[Task] = p.threads
            while t != NULL:
                if t.state != task.TASK_DEAD and tid_of(viewer, t) == tid:
                    return t
                t = t.group_next
        p = p.next_in_table
    return NULL


def group_in_session(member: Ptr[Process], pgid: u32) -> bool:
    """A live process group pgid exists in member's session (and pid namespace)."""
    q: Ptr[Process] = table
    while q != NULL:
        if q.pgid == pgid and q.sid == member.sid and q.container == member.container and q.state == task.PROC_ALIVE:
            return True
        q = q.next_in_table
    return False


def next_vpid(q: Ptr[task.Quota], pid: u32) -> u32:
    """The next number in q's container's namespace (the kernel-wide pid in the host world's)."""
    if q == NULL:
        return pid
    q.last_pid += 1
    return q.last_pid


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
    p.vpid = p.pid  # until join_quota numbers it in a container's namespace
    next_pid += 1
    p.exit_signal = SIGCHLD
    p.parent = parent
    p.start_ns = clock.now_ns()
    if parent != NULL:
        p.abi = parent.abi
        p.root = vfs.get(parent.root)
        p.world = parent.world
        p.cwd = vfs.get(parent.cwd)
        p.uid = parent.uid
        p.gid = parent.gid
        p.euid = parent.euid
        p.egid = parent.egid
        p.suid = parent.suid
        p.sgid = parent.sgid
        p.group_count = parent.group_count
        memcpy(cast(Ptr[None], addr(p.groups)), cast(Ptr[None], addr(parent.groups)), usize(4 * task.NGROUPS))
        p.cap_effective = parent.cap_effective
        p.cap_permitted = parent.cap_permitted
        p.cap_inheritable = parent.cap_inheritable
        p.cap_bounding = parent.cap_bounding
        p.cap_ambient = parent.cap_ambient
        p.keep_caps = parent.keep_caps
        p.no_new_privs = parent.no_new_privs
        p.oom_score_adj = parent.oom_score_adj
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
    """Count p against q (its container's) and number it in q's pid namespace."""
    p.quota = q
    p.vpid = next_vpid(q, p.pid)
    if q != NULL:
        q.pids += 1


def init_host(boot: Ptr[Task], root: Ptr[vfs.Inode]) -> None:
    """Make the host process (pid 1) around the boot task."""
    global host
    host = allocate(NULL)
    host.abi = task.ABI_HOST
    host.root = vfs.get(root)
    host.world = root
    host.cwd = vfs.get(root)
    host.umask = 0o022
    cred.give_all(host)
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
    attach_leader(host, boot)


# --- descriptors -------------------------------------------------------------------------------

def fd_get(p: Ptr[Process], fd: i64) -> Ptr[file.File]:
    if fd < 0 or fd >= task.MAX_FDS:
        return NULL
    return p.files[fd]


def fd_hold(p: Ptr[Process], fd: i64) -> Ptr[file.File]:
    """fd_get for the calling thread's system call, which may sleep using the file: while other
    threads share the descriptor table, the file gets a reference that lasts until the call ends
    (release_held), as Linux's fdget does, so a sibling's close cannot free it under the caller."""
    f: Ptr[file.File] = fd_get(p, fd)
    t: Ptr[Task] = sched.current
    if f == NULL or p.live_threads <= 1 or t.process != p:
        return f
    for i in range(task.HELD_FILES):
        if t.held[i] == f:
            return f
    for i in range(task.HELD_FILES):
        if t.held[i] == NULL:
            t.held[i] = file.dup(f)
            return f
    return f


def release_held(t: Ptr[Task]) -> None:
    """Drop the references fd_hold took for t's system call (it has ended, or t is exiting)."""
    for i in range(task.HELD_FILES):
        f: Ptr[file.File] = t.held[i]
        if f != NULL:
            t.held[i] = NULL
            file.close(f)


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
    lock.release_posix(f.inode, cast(u64, p))  # POSIX: closing any descriptor of a file drops p's locks on it
    file.close(f)
    return 0


def fd_close_range(p: Ptr[Process], first: u64, last: u64, cloexec: bool) -> None:
    """close_range: close every open descriptor from first to last, or (cloexec) mark it close-on-exec."""
    fd: u64 = first
    while fd <= last and fd < task.MAX_FDS:
        if p.files[fd] != NULL:
            if cloexec:
                p.fd_flags[fd] = p.fd_flags[fd] | u8(task.FD_CLOEXEC)
            else:
                fd_close(p, i64(fd))
        fd += 1


def close_on_exec(p: Ptr[Process]) -> None:
    for fd in range(task.MAX_FDS):
        if p.files[fd] != NULL and (p.fd_flags[fd] & task.FD_CLOEXEC) != 0:
            fd_close(p, i64(fd))


# --- fork and threads --------------------------------------------------------------------------

def attach_leader(p: Ptr[Process], t: Ptr[Task]) -> None:
    """t becomes p's first thread, its leader: its thread id is the pid."""
    p.task = t
    p.threads = t
    p.live_threads = 1
    t.process = p
    t.tid = p.pid
    t.vtid = p.vpid
    t.group_next = NULL


def copy_caller(t: Ptr[Task], frame: Ptr[TrapFrame], child_stack: u64) -> None:
    """Make t start as a copy of the calling thread returning 0 from the system call in frame (on
    child_stack unless 0): its signal mask, TLS bases and live FPU registers."""
    me: Ptr[Task] = sched.current
    t.sig_blocked = me.sig_blocked
    t.fs_base = me.fs_base
    t.gs_base = rdmsr(u32(cpu.MSR_KERNEL_GS_BASE))
    fxsave(cast(Ptr[None], addr(t.fpu)))
    f: Ptr[TrapFrame] = sched.initial_frame(t)
    memcpy(cast(Ptr[None], f), cast(Ptr[None], frame), usize(sizeof(TrapFrame)))
    f.rax = 0
    if child_stack != 0:
        f.rsp = child_stack
    sched.prepare_start(t)


def quota_full(p: Ptr[Process]) -> bool:
    """No new task (process or thread) for p: its container has none to spare (threads count, as
    with Linux's pids controller), or its real user runs RLIMIT_NPROC tasks in its world already
    (root's user is exempt, and so are CAP_SYS_RESOURCE and CAP_SYS_ADMIN, as on Linux)."""
    if p.quota != NULL and p.quota.pids >= p.quota.pids_limit:
        return True
    limit: u64 = p.rlimits[RLIMIT_NPROC].soft
    if p.uid == 0 or cred.capable(p, u32(caps.CAP_SYS_RESOURCE)) or cred.capable(p, u32(caps.CAP_SYS_ADMIN)):
        return False
    return limit != RLIM_INFINITY and user_tasks(p.uid, p.container) >= limit


def user_tasks(uid: u32, world: u64) -> u64:
    """Live tasks of processes whose real user is uid, in one container (or the host world)."""
    n: u64 = 0
    q: Ptr[Process] = table
    while q != NULL:
        if q.uid == uid and q.container == world and q.state == task.PROC_ALIVE:
            n += u64(q.live_threads)
        q = q.next_in_table
    return n


def fork(parent: Ptr[Process], frame: Ptr[TrapFrame], share_space: bool, child_stack: u64,
         out: Ptr[Ptr[Process]]) -> i64:
    """A child process whose one thread is a copy of the caller (copy_caller), not yet started
    (start_child). share_space (CLONE_VM): it uses parent's address space, else a copy-on-write
    copy. Returns the child pid (the child in out[0]) or -errno: -EAGAIN at the pids limit."""
    if quota_full(parent):
        return -errno.EAGAIN
    child: Ptr[Process] = allocate(parent)
    if child == NULL:
        return -errno.ENOMEM
    t: Ptr[Task] = sched.new_task()
    if t == NULL:
        release(child)
        return -errno.ENOMEM
    attach_leader(child, t)
    if share_space:
        child.space = uspace.get(parent.space)
    else:
        child.space = uspace.fork(parent.space)
        if child.space == NULL:
            release(child)
            return -errno.ENOMEM
    for fd in range(task.MAX_FDS):
        if parent.files[fd] != NULL:
            child.files[fd] = file.dup(parent.files[fd])
            child.fd_flags[fd] = parent.fd_flags[fd]
    copy_caller(t, frame, child_stack)
    if not share_space:  # a fork keeps the caller's alternate signal stack (Linux clears it for CLONE_VM)
        me: Ptr[Task] = sched.current
        t.altstack_sp = me.altstack_sp
        t.altstack_size = me.altstack_size
        t.altstack_autodisarm = me.altstack_autodisarm
    out[0] = child
    return i64(pid_of(parent, child))


def start_child(child: Ptr[Process], vfork: bool) -> None:
    """Let a forked child run; a vfork parent sleeps until the child execs or exits."""
    child.vfork_pending = vfork
    sched.start(child.task)
    while child.vfork_pending:
        sched.block_on(addr(child.vfork_done), u64(0))


def add_thread(p: Ptr[Process], frame: Ptr[TrapFrame], child_stack: u64, out: Ptr[Ptr[Task]]) -> i64:
    """A new thread of p (the caller's process), a copy of the caller (copy_caller), not yet
    started (sched.start). Returns its tid, from the pids' number space (the thread in out[0]),
    or -errno: -EAGAIN at the pids limit."""
    global next_pid
    if quota_full(p):
        return -errno.EAGAIN
    t: Ptr[Task] = sched.new_task()
    if t == NULL:
        return -errno.ENOMEM
    t.process = p
    t.tid = next_pid
    next_pid += 1
    t.vtid = next_vpid(p.quota, t.tid)
    t.group_next = p.threads
    p.threads = t
    p.live_threads += 1
    if p.quota != NULL:
        p.quota.pids += 1
    memcpy(cast(Ptr[None], addr(t.comm)), cast(Ptr[None], thread_name(sched.current)), usize(task.NAME_LEN))
    copy_caller(t, frame, child_stack)
    out[0] = t
    return i64(t.vtid)


def thread_name(t: Ptr[Task]) -> Ptr[u8]:
    """/proc/PID/task/TID/comm, prctl(PR_GET_NAME): the leader's name is its process's."""
    if t == t.process.task:
        return addr(t.process.name)
    return addr(t.comm)


def forget_thread(p: Ptr[Process], t: Ptr[Task]) -> None:
    """Take dead t out of p's threads (its CPU time stays with p); the caller frees its record."""
    if p.threads == t:
        p.threads = t.group_next
    else:
        q: Ptr[Task] = p.threads
        while q.group_next != t:
            q = q.group_next
        q.group_next = t.group_next
    t.group_next = NULL
    p.exited_user_ticks += t.user_ticks
    p.exited_system_ticks += t.system_ticks
    if p.quota != NULL:
        p.quota.pids -= 1


def cpu_ticks(p: Ptr[Process], user: bool) -> u64:
    """Timer ticks p's threads, live and gone, spent in user mode (user) or in the kernel."""
    n: u64 = p.exited_user_ticks if user else p.exited_system_ticks
    t: Ptr[Task] = p.threads
    while t != NULL:
        n += t.user_ticks if user else t.system_ticks
        t = t.group_next
    return n


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
    end_vfork(p)
    write_cr3(paging.kernel_root)  # never free the tables the CPU is using
    uspace.put(s)


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


def kill_other_threads(p: Ptr[Process]) -> None:
    """SIGKILL for every thread of p but the caller: each exits when it next leaves the kernel."""
    t: Ptr[Task] = p.threads
    while t != NULL:
        if t != sched.current and t.state != task.TASK_DEAD:
            post_signal(p, t, u32(SIGKILL), u32(0))
        t = t.group_next


def exit_group(status: u32) -> None:
    """End every thread of the calling process; it exits with status. Never returns."""
    p: Ptr[Process] = current()
    if not p.group_exiting:
        p.group_exiting = True
        p.exit_status = status
        kill_other_threads(p)
    exit_thread(status)


def exit_thread(status: u32) -> None:
    """End the calling thread. The last one ends the process with status (or with the status an
    exit_group or fatal signal chose). Never returns."""
    p: Ptr[Process] = current()
    t: Ptr[Task] = sched.current
    release_held(t)
    futex.thread_exit(p.space, t)
    p.live_threads -= 1
    last: bool = p.live_threads == 0
    if last:
        if p.group_exiting:
            status = p.exit_status
        leave_resources(p)
    flags: u64 = irq.save()
    if last:
        become_zombie(p, status)
    else:
        sched.wake_all(addr(p.thread_exited))
        if p.stopped and p.threads_stopped == p.live_threads:  # the stop waited for this thread alone
            complete_stop(p)
    if t != p.task:  # the leader's record stays until the process is released
        forget_thread(p, t)
        sched.reap_later(t)
    t.state = task.TASK_DEAD
    sched.schedule()
    irq.restore(flags)


def leave_resources(p: Ptr[Process]) -> None:
    """What an exiting process gives up: files, memory, directories; its children go to their adopter."""
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
            notify_parent(heir, SIGCHLD, pid_of(heir, c))
            sched.wake_all(addr(heir.child_exited))
        c = nxt
    p.first_child = NULL


def become_zombie(p: Ptr[Process], status: u32) -> None:
    """p's last thread is gone: keep its wait status for the parent and tell it (interrupts off)."""
    p.exit_status = status
    p.state = task.PROC_ZOMBIE
    if exit_hook != NULL:
        exit_hook(p)
    parent: Ptr[Process] = p.parent
    if parent != NULL:
        notify_parent(parent, p.exit_signal, pid_of(parent, p))
        sched.wake_all(addr(parent.child_exited))


def become_only_thread(p: Ptr[Process]) -> i64:
    """execve in a threaded process: end every other thread and wait until they are gone; a
    caller that is not the leader takes over the leader's pid. -EINTR when the process is being
    killed meanwhile (the caller then dies of it on its way out)."""
    me: Ptr[Task] = sched.current
    kill: u64 = u64(1) << u64(SIGKILL - 1)
    flags: u64 = irq.save()
    if p.group_exiting:
        irq.restore(flags)
        return -errno.EINTR
    if p.live_threads > 1:
        p.group_exiting = True
        p.exit_status = SIGKILL  # the wait status if the process is killed before the exec is done
        kill_other_threads(p)
        while p.live_threads > 1:
            if (task.deliverable(me) & kill) != 0:
                irq.restore(flags)
                return -errno.EINTR
            sched.block_on(addr(p.thread_exited), u64(0))
        p.group_exiting = False
    if me != p.task:
        leader: Ptr[Task] = p.task
        forget_thread(p, leader)
        sched.free_task(leader)
        p.task = me
        me.tid = p.pid
        me.vtid = p.vpid
    irq.restore(flags)
    return 0


def post_signal(p: Ptr[Process], t: Ptr[Task], sig: u32, sender: u32) -> None:
    """Make sig pending for thread t of p, or for p as a whole (t NULL), and wake a thread that
    can take it: the main thread if it does not block it, else the first that does not (SIGKILL:
    every thread, so none sleeps on)."""
    bit: u64 = u64(1) << u64(sig - 1)
    if t != NULL:
        t.sig_pending |= bit
        t.sig_sender[sig - 1] = sender
        if signal_posted != NULL:
            signal_posted()
        wake_for_signal(t, sig)
        return
    p.sig_pending |= bit
    p.sig_sender[sig - 1] = sender
    if signal_posted != NULL:
        signal_posted()
    leader: Ptr[Task] = p.task  # as Linux: the main thread first, if it may take it
    if sig != SIGKILL and leader.state != task.TASK_DEAD and (leader.sig_blocked & bit) == 0:
        wake_for_signal(leader, sig)
        return
    q: Ptr[Task] = p.threads
    while q != NULL:
        if q.state != task.TASK_DEAD and (sig == SIGKILL or (q.sig_blocked & bit) == 0):
            wake_for_signal(q, sig)
            if sig != SIGKILL:
                return
        q = q.group_next


def wake_for_signal(t: Ptr[Task], sig: u32) -> None:
    """End t's sleep (its system call returns -EINTR) if sig may interrupt it."""
    if t.state == task.TASK_BLOCKED and ((t.sig_blocked & (u64(1) << u64(sig - 1))) == 0 or sig == SIGKILL):
        sched.wake(t)
    elif t.state == task.TASK_FROZEN and sig == SIGKILL:
        sched.wake(t)  # a paused container's task runs only to die (sched.parked)


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
    post_signal(parent, NULL, sig, child)


def complete_stop(p: Ptr[Process]) -> None:
    """Every thread of p has stopped (interrupts off): wait4's WUNTRACED may report it."""
    p.wait_report = task.REPORT_STOPPED
    tell_parent_job_change(p)


def tell_parent_job_change(p: Ptr[Process]) -> None:
    """p stopped or continued (interrupts off): SIGCHLD for its parent unless the parent asked for
    none (SA_NOCLDSTOP), and a parent in wait4/waitid looks again."""
    parent: Ptr[Process] = p.parent
    if parent == NULL:
        return
    if (parent.actions[SIGCHLD - 1].flags & SA_NOCLDSTOP) == 0:
        notify_parent(parent, SIGCHLD, pid_of(parent, p))
    sched.wake_all(addr(parent.child_exited))


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
    parent.child_user_ticks += child.child_user_ticks + cpu_ticks(child, True)
    parent.child_system_ticks += child.child_system_ticks + cpu_ticks(child, False)


def release(p: Ptr[Process]) -> None:
    """Forget a zombie (or a process that never ran): its leader's task, its record, its pid."""
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
    while p.threads != NULL:  # by now only the leader's record
        t: Ptr[Task] = p.threads
        p.threads = t.group_next
        sched.free_task(t)
    if p.space != NULL:
        uspace.put(p.space)
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
        return i64(pid_of(caller, child)) == pid
    if pid == 0:
        return child.pgid == caller.pgid
    if pid < -1:
        return i64(child.pgid) == -pid
    return True


def job_change_status(c: Ptr[Process], options: u32) -> u32:
    """The wait status of a stop (WUNTRACED) or continue (WCONTINUED) of live child c not yet
    reported, taken unless WNOWAIT; 0 if there is none the caller asked for."""
    status: u32 = 0
    if c.wait_report == task.REPORT_STOPPED and (options & WUNTRACED) != 0:
        status = (c.stop_signal << 8) | 0x7F
    elif c.wait_report == task.REPORT_CONTINUED and (options & WCONTINUED) != 0:
        status = STATUS_CONTINUED
    if status != 0 and (options & WNOWAIT) == 0:
        c.wait_report = task.REPORT_NONE
    return status


def wait(p: Ptr[Process], pid: i64, options: u32, status_out: Ptr[u32], interruptible: bool) -> i64:
    """Wait for a child to change as options ask (WEXITED, WUNTRACED, WCONTINUED): its pid and
    wait status in status_out[0] (an exited child is collected unless WNOWAIT); 0 with WNOHANG
    when none has yet, -ECHILD when no child matches, -ERESTARTSYS when a signal arrives."""
    while True:
        flags: u64 = irq.save()
        any_match: bool = False
        c: Ptr[Process] = p.first_child
        while c != NULL:
            if matches(c, pid, p):
                any_match = True
                if c.state == task.PROC_ZOMBIE and (options & WEXITED) != 0:
                    irq.restore(flags)
                    status_out[0] = c.exit_status
                    found: i64 = i64(pid_of(p, c))
                    if (options & WNOWAIT) == 0:
                        collect_times(p, c)
                        release(c)
                    return found
                changed: u32 = job_change_status(c, options) if c.state == task.PROC_ALIVE else u32(0)
                if changed != 0:
                    irq.restore(flags)
                    status_out[0] = changed
                    return i64(pid_of(p, c))
            c = c.next_sibling
        if not any_match:
            irq.restore(flags)
            return -errno.ECHILD
        if (options & WNOHANG) != 0:
            irq.restore(flags)
            return 0
        if interruptible and signal_waiting(p):
            irq.restore(flags)
            return -errno.ERESTARTSYS
        sched.block_on(addr(p.child_exited), u64(0))
        irq.restore(flags)


def signal_waiting(p: Ptr[Process]) -> bool:
    """A signal is pending for the calling thread of p that it does not block."""
    return task.deliverable(sched.current) != 0
