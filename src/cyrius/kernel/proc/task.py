"""The two objects of the process subsystem: Task (a thread of execution with its own kernel stack,
saved registers and FPU state, signal mask and thread-directed pending signals) and Process (a
thread group: what its threads share: address space, files, credentials, signal actions and the
process-wide pending signals, parent and children).

Only data (and deliverable, a reading of it) lives here; sched.py runs tasks, process.py creates
and ends processes and threads, signal.py delivers signals, futex.py puts threads to sleep on user
words.
"""
from cyrius.lang import Array, Final, Ptr, i32, struct, u8, u32, u64

from ..fs import file, vfs
from ..mm import uspace

# Task.state
TASK_RUNNABLE: Final = 0  # in the run queue
TASK_RUNNING: Final = 1  # on the CPU
TASK_BLOCKED: Final = 2  # in a wait queue (or sleeping until wake_at_ns)
TASK_DEAD: Final = 3  # never runs again; its stack is freed when it is reaped
TASK_FROZEN: Final = 4  # could run, but its container is paused: parked in sched's frozen list until thawed

# Process.abi: which system-call table serves it. Zero is neither: a process whose world was never
# set (a zero-filled Process) gets no system calls at all, never the host world's.
ABI_UNSET: Final = 0
ABI_HOST: Final = 1
ABI_LINUX: Final = 2

NO_SYSCALL: Final = 0xFFFFFFFFFFFFFFFF

# Process.wait_report: a change of a live child that wait4/waitid report (WUNTRACED, WCONTINUED)
REPORT_NONE: Final = 0
REPORT_STOPPED: Final = 1
REPORT_CONTINUED: Final = 2

# Process.state
PROC_ALIVE: Final = 0
PROC_ZOMBIE: Final = 1  # exited; its parent has not collected the status yet

MAX_FDS: Final = 256
FD_CLOEXEC: Final = 1
NSIG: Final = 64
RLIMIT_COUNT: Final = 16
NAME_LEN: Final = 16
HELD_FILES: Final = 2  # files one system call holds open against a sibling's close (process.fd_hold)
NGROUPS: Final = 32  # supplementary groups a process may hold (Linux allows 65536)
EXE_LEN: Final = 256
CMDLINE_LEN: Final = 256

FPU_AREA: Final = 512  # FXSAVE format


@struct
class WaitQueue:
    head: Ptr["Task"]


@struct
class SigAction:
    handler: u64  # SIG_DFL = 0, SIG_IGN = 1, else a user address
    flags: u64
    restorer: u64
    mask: u64


@struct
class RLimit:
    soft: u64
    hard: u64


@struct
class Quota:
    """What a container's processes may use together, and use now (the host world has none)."""
    pids_limit: u32  # processes, zombies included (as Linux's pids controller counts them)
    pids: u32
    last_pid: u32  # the container's pid namespace: the last number given out there (its init is 1)
    memory: uspace.MemoryCharge
    frozen: bool  # paused (the cgroup freezer's job): the scheduler runs none of its tasks


@struct
class Task:
    fpu: Array[u8, FPU_AREA]  # first: kalloc's 16-byte alignment is what FXSAVE needs
    tid: u32  # kernel-wide (the host world's number)
    vtid: u32  # in its process's pid namespace (process.tid_of)
    state: u32
    saved_rsp: u64  # while switched out (switch_context)
    stack_base: u64  # lowest address of the kernel stack (0: the boot stack, never freed)
    stack_top: u64
    all_next: Ptr["Task"]  # every live task, for timeouts
    fs_base: u64
    gs_base: u64
    next: Ptr["Task"]  # run queue or wait queue link
    waiting_on: Ptr[WaitQueue]  # the queue a BLOCKED task is in (NULL if only sleeping)
    wake_at_ns: u64  # 0: no timeout
    process: Ptr["Process"]
    group_next: Ptr["Task"]  # the next thread of the same process
    sig_blocked: u64  # bit (n - 1) blocks signal n
    sig_pending: u64  # signals sent to this thread (tgkill, faults); the process-wide ones are on Process
    sig_sender: Array[u32, NSIG]  # as Process.sig_sender, for sig_pending
    saved_sigmask: u64  # sigsuspend/ppoll/pselect6: the mask to put back after the handler
    restore_sigmask: bool
    alarm_at_ns: u64  # ITIMER_REAL: when SIGALRM is due (0: disarmed)
    alarm_interval_ns: u64
    clear_child_tid: u64  # set_tid_address: zeroed and futex-woken at exit
    robust_list: u64
    robust_len: u64
    altstack_sp: u64  # sigaltstack: the alternate signal stack (none while altstack_size is 0)
    altstack_size: u64
    altstack_autodisarm: bool  # SS_AUTODISARM: disarmed while a handler runs on it
    comm: Array[u8, NAME_LEN]  # a non-leader thread's name; the leader's is its Process's name
    syscall_nr: u64  # the system call in progress, for its restart (NO_SYSCALL: none, or after sigreturn)
    restart_nr: u64  # restart_syscall's block: the timed call to resume (NO_SYSCALL: none) ...
    restart_deadline_ns: u64  # ... with the deadline it had (monotonic clock)
    resuming: bool  # restart_syscall is running restart_nr: its deadline comes from the block
    stop_pending: bool  # its process is stopping: leave any wait and stop on the way to user mode
    user_ticks: u64  # timer ticks that found this task in user mode (utime)
    system_ticks: u64  # ... in the kernel on its behalf (stime)
    held: Array[Ptr[file.File], HELD_FILES]  # references its running system call holds (process.fd_hold)


@struct
class Process:
    pid: u32  # kernel-wide: the host world's number, the kernel's handle (process.find)
    vpid: u32  # in its container's pid namespace (1 for the container's init; = pid in the host world)
    state: u32
    abi: u32
    exit_status: u32  # the wait status (Linux encoding) once a zombie
    exit_signal: u32  # sent to the parent at exit (SIGCHLD, or 0)
    parent: Ptr["Process"]
    first_child: Ptr["Process"]
    next_sibling: Ptr["Process"]
    next_in_table: Ptr["Process"]
    task: Ptr[Task]  # the leader (tid == pid); its record stays until the process is released
    threads: Ptr[Task]  # every thread, linked by group_next; the leader stays here after it exits
    live_threads: u32  # threads not yet exited; the process is a zombie once none is left
    group_exiting: bool  # exit_group, a fatal signal or an execve: every other thread is killed
    stopped: bool  # job control: a stop signal's default action; each thread waits in `continued`
    stop_signal: u32  # the signal that stopped it
    threads_stopped: u32  # threads waiting in `continued`: the stop is complete (and reported) at live_threads
    wait_report: u32  # a stop or continue the parent has not waited for (REPORT_*)
    continued: WaitQueue
    thread_exited: WaitQueue  # execve from a thread waits here for the others to be gone
    exited_user_ticks: u64  # CPU time of threads already freed
    exited_system_ticks: u64
    space: Ptr[uspace.AddressSpace]  # NULL for kernel-only processes
    files: Array[Ptr[file.File], MAX_FDS]
    fd_flags: Array[u8, MAX_FDS]
    root: Ptr[vfs.Inode]  # the VFS root this process resolves "/" against
    world: Ptr[vfs.Inode]  # whose mounts it sees: its container's root, or the host's (not referenced:
    # the world outlives its processes); chroot moves root, never world
    cwd: Ptr[vfs.Inode]
    uid: u32
    gid: u32
    euid: u32
    egid: u32
    suid: u32  # saved set-user-ID and set-group-ID
    sgid: u32
    group_count: u32  # supplementary groups (setgroups, process.user.additionalGids)
    groups: Array[u32, NGROUPS]
    cap_effective: u64  # capabilities(7), bit n for capability n (proc/caps.py); the rules are proc/cred.py's
    cap_permitted: u64
    cap_inheritable: u64
    cap_bounding: u64
    cap_ambient: u64
    keep_caps: bool  # PR_SET_KEEPCAPS: leaving uid 0 keeps the permitted set; execve clears it
    no_new_privs: bool  # PR_SET_NO_NEW_PRIVS (process.noNewPrivileges): execve grants nothing new
    oom_score_adj: i32  # process.oomScoreAdj, /proc/PID/oom_score_adj: stored and shown only
    pgid: u32  # process group and session: numbers of its own pid namespace (vpids)
    sid: u32
    umask: u32
    vfork_pending: bool  # a vfork parent sleeps until this child execs or exits
    sig_pending: u64  # process-directed: taken by whichever thread does not block it
    sig_sender: Array[u32, NSIG]  # pid that sent each pending signal (si_pid), 0 from the kernel
    actions: Array[SigAction, NSIG]
    rlimits: Array[RLimit, RLIMIT_COUNT]
    child_exited: WaitQueue  # the parent sleeps here in wait4
    vfork_done: WaitQueue
    name: Array[u8, NAME_LEN]
    exe: Array[u8, EXE_LEN]  # the program's path inside root (/proc/PID/exe)
    cmdline: Array[u8, CMDLINE_LEN]  # argv, NUL-separated, cut at CMDLINE_LEN (/proc/PID/cmdline)
    cmdline_len: u32
    start_ns: u64  # when it was created (monotonic clock)
    child_user_ticks: u64  # user and system ticks of the children it has waited for (cutime, cstime)
    child_system_ticks: u64
    container: u64  # the owning container object (0 = the host world)
    quota: Ptr[Quota]  # the container's limits (NULL: the host world)


STOP_PENDING: Final = 1 << 18  # deliverable()'s bit for a pending group stop (SIGSTOP's, never blockable)


def deliverable(t: Ptr[Task]) -> u64:
    """Signals pending for t (its own and its process's) that it does not block, and a stop it is
    to take part in: anything that ends an interruptible wait."""
    ready: u64 = (t.sig_pending | t.process.sig_pending) & ~t.sig_blocked
    if t.stop_pending:
        ready |= u64(STOP_PENDING)
    return ready
