"""Process system calls: clone/fork/vfork, execve, exit, wait4/waitid, ids, sessions and groups."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..mm import uaccess, uspace
from ..mm.heap import kalloc, kfree
from ..proc import futex, process, sched, task
from ..proc.task import Process
from ..fs.vfs import PATH_MAX
from . import exec as execve_
from . import sys_usage
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_CLONE, SYS_CLONE3, SYS_EXECVE, SYS_EXIT, SYS_EXIT_GROUP, SYS_FORK, SYS_GETPGID,
                            SYS_GETPGRP, SYS_GETPID, SYS_GETPPID, SYS_GETSID, SYS_GETTID, SYS_GET_ROBUST_LIST,
                            SYS_SETPGID, SYS_SETSID, SYS_SET_ROBUST_LIST, SYS_SET_TID_ADDRESS, SYS_VFORK, SYS_WAIT4,
                            SYS_WAITID)

CLONE_VM: Final = 0x100
CLONE_FS: Final = 0x200
CLONE_FILES: Final = 0x400
CLONE_SIGHAND: Final = 0x800
CLONE_VFORK: Final = 0x4000
CLONE_PARENT: Final = 0x8000
CLONE_THREAD: Final = 0x10000
CLONE_SETTLS: Final = 0x80000
CLONE_PARENT_SETTID: Final = 0x100000
CLONE_CHILD_CLEARTID: Final = 0x200000
CLONE_CHILD_SETTID: Final = 0x1000000
CLONE_PIDFD: Final = 0x1000
CLONE_NEWS: Final = 0x7E020000  # every CLONE_NEW* namespace flag
CSIGNAL: Final = 0xFF
SIGCHLD: Final = 17
PAGE: Final = 4096
ROBUST_LIST_HEAD_SIZE: Final = 24

P_ALL: Final = 0
P_PID: Final = 1
P_PGID: Final = 2
CLD_EXITED: Final = 1
CLD_KILLED: Final = 2
CLD_STOPPED: Final = 5
CLD_CONTINUED: Final = 6
SIGINFO_SIZE: Final = 128



@struct
class CloneArgs:  # struct clone_args (clone3), its first version
    flags: u64
    pidfd: u64
    child_tid: u64
    parent_tid: u64
    exit_signal: u64
    stack: u64
    stack_size: u64
    tls: u64


def do_clone(frame: Ptr[TrapFrame], a: Ptr[CloneArgs]) -> i64:
    """fork, vfork, a process sharing memory (CLONE_VM), or a thread (CLONE_THREAD, which Linux
    allows only with CLONE_SIGHAND and CLONE_VM). CLONE_FS, CLONE_FILES and CLONE_SIGHAND are what
    threads share by being one Process; between processes they are not supported."""
    flags: u64 = a.flags
    thread: bool = (flags & CLONE_THREAD) != 0
    if thread and ((flags & CLONE_SIGHAND) == 0 or (flags & CLONE_VM) == 0):
        return -errno.EINVAL
    if not thread and (flags & (CLONE_SIGHAND | CLONE_FS | CLONE_FILES)) != 0:
        return -errno.EINVAL
    if (flags & (CLONE_PIDFD | CLONE_NEWS)) != 0:
        return -errno.EINVAL
    p: Ptr[Process] = process.current()
    t: Array[Ptr[task.Task], 1] = Array[Ptr[task.Task], 1]()
    child: Array[Ptr[Process], 1] = Array[Ptr[Process], 1]()
    r: i64 = 0
    if thread:
        r = process.add_thread(p, frame, a.stack, addr(t))
        if r < 0:
            return r
        child[0] = p
    else:
        r = process.fork(p, frame, (flags & CLONE_VM) != 0, a.stack, addr(child))
        if r < 0:
            return r
        child[0].exit_signal = u32(a.exit_signal)
        t[0] = child[0].task
    if (flags & CLONE_SETTLS) != 0:
        t[0].fs_base = a.tls
    if (flags & CLONE_PARENT_SETTID) != 0:
        uaccess.put_u32(p.space, a.parent_tid, u32(r))
    if (flags & CLONE_CHILD_SETTID) != 0:
        uaccess.put_u32(child[0].space, a.child_tid, u32(r))
    if (flags & CLONE_CHILD_CLEARTID) != 0:
        t[0].clear_child_tid = a.child_tid
    if thread:
        sched.start(t[0])
    else:
        process.start_child(child[0], (flags & CLONE_VFORK) != 0)
    return r


def sys_clone(f: Ptr[TrapFrame]) -> i64:
    # x86_64 order: flags, stack, parent_tid, child_tid, tls
    a: CloneArgs = CloneArgs()
    a.flags = f.rdi & ~u64(CSIGNAL)
    a.exit_signal = f.rdi & CSIGNAL
    a.stack = f.rsi
    a.parent_tid = f.rdx
    a.child_tid = f.r10
    a.tls = f.r8
    return do_clone(f, addr(a))


def sys_clone3(f: Ptr[TrapFrame]) -> i64:
    a: CloneArgs = CloneArgs()
    if f.rsi < sizeof(CloneArgs) or f.rsi > PAGE:
        return -errno.EINVAL
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(a)), f.rdi, u64(sizeof(CloneArgs))) < 0:
        return -errno.EFAULT
    if (a.flags & CSIGNAL) != 0 or a.exit_signal > task.NSIG or (a.stack == 0) != (a.stack_size == 0):
        return -errno.EINVAL
    if a.stack != 0:
        a.stack += a.stack_size  # clone3 names the stack's lowest byte; the thread starts at its top
    return do_clone(f, addr(a))


def fork_like(f: Ptr[TrapFrame], flags: u64) -> i64:
    a: CloneArgs = CloneArgs()
    a.flags = flags
    a.exit_signal = SIGCHLD
    return do_clone(f, addr(a))


def sys_fork(f: Ptr[TrapFrame]) -> i64:
    return fork_like(f, u64(0))


def sys_vfork(f: Ptr[TrapFrame]) -> i64:
    return fork_like(f, u64(CLONE_VM | CLONE_VFORK))


def execve_at(frame: Ptr[TrapFrame], path_addr: u64, argv: u64, envp: u64) -> i64:
    p: Ptr[Process] = process.current()
    path: Ptr[u8] = cast(Ptr[u8], kalloc(usize(PATH_MAX)))
    if path == NULL:
        return -errno.ENOMEM
    a: execve_.Args = execve_.Args()
    r: i64 = uaccess.copy_string_in(p.space, path, path_addr, u64(PATH_MAX))
    if r >= 0:
        r = execve_.args_init(addr(a))
    if r >= 0:
        r = execve_.args_copy_user(addr(a), p.space, argv, False)
    if r >= 0:
        r = execve_.args_copy_user(addr(a), p.space, envp, True)
    if r >= 0 and path[0] == 0:
        r = -errno.ENOENT
    img: execve_.Image = execve_.Image()
    if r >= 0:
        r = execve_.prepare(p, path, addr(a), addr(img))
    if a.data != NULL:
        execve_.args_free(addr(a))
    kfree(cast(Ptr[None], path))
    if r >= 0:
        r = process.become_only_thread(p)
        if r < 0:
            uspace.put(img.space)
    if r < 0:
        return r
    futex.release_robust_list(p.space, sched.current)
    execve_.commit(p, addr(img), frame, True)
    return 0


def sys_execve(f: Ptr[TrapFrame]) -> i64:
    r: i64 = execve_at(f, f.rdi, f.rsi, f.rdx)
    if r == 0:
        return 0  # frame.rax of the new image starts at 0
    return r


def sys_exit(f: Ptr[TrapFrame]) -> i64:
    process.exit_thread((u32(f.rdi) & 0xFF) << 8)
    return 0


def sys_exit_group(f: Ptr[TrapFrame]) -> i64:
    process.exit_group((u32(f.rdi) & 0xFF) << 8)
    return 0


def store_status(status_addr: u64, status: u32) -> i64:
    if status_addr == 0:
        return 0
    return uaccess.put_u32(process.current().space, status_addr, status)


def sys_wait4(f: Ptr[TrapFrame]) -> i64:
    pid: i64 = i64(i32(u32(f.rdi)))
    options: u32 = u32(f.rdx)
    if (options & ~u32(process.WNOHANG | process.WUNTRACED | process.WCONTINUED | 0x40000000 | 0x80000000)) != 0:
        return -errno.EINVAL
    options = (options & u32(process.WNOHANG | process.WUNTRACED | process.WCONTINUED)) | u32(process.WEXITED)
    status: Array[u32, 1] = Array[u32, 1]()
    p: Ptr[Process] = process.current()
    # The child's usage (with its own waited-for children's, as Linux counts it) is what collecting
    # it adds to ours.
    user_before: u64 = p.child_user_ticks
    system_before: u64 = p.child_system_ticks
    r: i64 = process.wait(p, pid, options, addr(status), True)
    if r > 0:
        if store_status(f.rsi, status[0]) < 0:
            return -errno.EFAULT
        if f.r10 != 0 and sys_usage.put_rusage(f.r10, p.child_user_ticks - user_before,
                                                p.child_system_ticks - system_before, u64(0)) < 0:
            return -errno.EFAULT
    return r


def sys_waitid(f: Ptr[TrapFrame]) -> i64:
    idtype: u32 = u32(f.rdi)
    id: i64 = i64(u32(f.rsi))
    options: u32 = u32(f.r10)
    pid: i64 = -1
    if idtype == P_PID:
        pid = id
    elif idtype == P_PGID:
        pid = -id
    elif idtype != P_ALL:
        return -errno.EINVAL
    events: u32 = u32(process.WEXITED | process.WUNTRACED | process.WCONTINUED)
    if (options & events) == 0 or (options & ~(events | u32(process.WNOHANG | process.WNOWAIT))) != 0:
        return -errno.EINVAL
    status: Array[u32, 1] = Array[u32, 1]()
    r: i64 = process.wait(process.current(), pid, options, addr(status), True)
    if r < 0:
        return r
    info: Array[u32, 32] = Array[u32, 32]()  # siginfo_t, 128 bytes
    if r > 0:
        info[0] = 17  # si_signo = SIGCHLD
        if status[0] == process.STATUS_CONTINUED:
            info[2] = CLD_CONTINUED
            info[6] = 18  # SIGCONT
        elif (status[0] & 0xFF) == 0x7F:
            info[2] = CLD_STOPPED
            info[6] = (status[0] >> 8) & 0xFF
        elif (status[0] & 0x7F) == 0:
            info[2] = CLD_EXITED
            info[6] = (status[0] >> 8) & 0xFF
        else:
            info[2] = CLD_KILLED
            info[6] = status[0] & 0x7F
        info[4] = u32(r)  # si_pid
    space: Ptr[uspace.AddressSpace] = process.current().space
    if f.rdx != 0 and uaccess.copy_out(space, f.rdx, cast(Ptr[u8], addr(info)), u64(SIGINFO_SIZE)) < 0:
        return -errno.EFAULT
    return 0


def sys_getpid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().vpid)


def sys_gettid(f: Ptr[TrapFrame]) -> i64:
    return i64(sched.current.vtid)


def sys_getppid(f: Ptr[TrapFrame]) -> i64:
    """0 for a container's init, whose parent is outside its pid namespace (as on Linux)."""
    p: Ptr[Process] = process.current()
    return i64(process.pid_of(p, p.parent))


def sys_set_tid_address(f: Ptr[TrapFrame]) -> i64:
    sched.current.clear_child_tid = f.rdi
    return i64(sched.current.vtid)


def sys_set_robust_list(f: Ptr[TrapFrame]) -> i64:
    if f.rsi != ROBUST_LIST_HEAD_SIZE:
        return -errno.EINVAL
    sched.current.robust_list = f.rdi
    sched.current.robust_len = f.rsi
    return 0


def sys_get_robust_list(f: Ptr[TrapFrame]) -> i64:
    t: Ptr[task.Task] = sched.current
    if f.rdi != 0:
        t = process.find_thread_visible(process.current(), u32(f.rdi))
        if t == NULL:
            return -errno.ESRCH
    space: Ptr[uspace.AddressSpace] = process.current().space
    if uaccess.put_u64(space, f.rsi, t.robust_list) < 0 or uaccess.put_u64(space, f.rdx, t.robust_len) < 0:
        return -errno.EFAULT
    return 0


def target(pid: u64) -> Ptr[Process]:
    if i32(u32(pid)) == 0:
        return process.current()
    return process.find_visible(process.current(), u32(pid))


def sys_getpgid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = target(f.rdi)
    if p == NULL:
        return -errno.ESRCH
    return i64(p.pgid)


def sys_getpgrp(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().pgid)


def sys_setpgid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = target(f.rdi)
    if p == NULL:
        return -errno.ESRCH
    if p != process.current() and p.parent != process.current():
        return -errno.ESRCH
    pgid: i64 = i64(i32(u32(f.rsi)))
    if pgid < 0:
        return -errno.EINVAL
    if p.sid == p.vpid:
        return -errno.EPERM  # a session leader stays in its group
    if pgid == 0:
        pgid = i64(p.vpid)
    if pgid != i64(p.vpid) and not process.group_in_session(p, u32(pgid)):
        return -errno.EPERM
    p.pgid = u32(pgid)
    return 0


def sys_getsid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = target(f.rdi)
    if p == NULL:
        return -errno.ESRCH
    return i64(p.sid)


def sys_setsid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    if p.pgid == p.vpid:
        return -errno.EPERM
    q: Ptr[Process] = process.table
    while q != NULL:
        if q.pgid == p.vpid and q.container == p.container:
            return -errno.EPERM
        q = q.next_in_table
    p.sid = p.vpid
    p.pgid = p.vpid
    return i64(p.vpid)


def init() -> None:
    define(SYS_CLONE, sys_clone, PARTIAL,
           b"processes and threads; CLONE_FS, CLONE_FILES, CLONE_SIGHAND only for threads; no namespaces or pidfds")
    define(SYS_CLONE3, sys_clone3, PARTIAL, b"as clone; set_tid and cgroup are not supported")
    define(SYS_FORK, sys_fork, FULL, NULL)
    define(SYS_VFORK, sys_vfork, FULL, NULL)
    define(SYS_EXECVE, sys_execve, PARTIAL,
           b"ELF (EXEC or PIE, static or with a PT_INTERP loader) and #! scripts; headers within the first page")
    define(SYS_EXIT, sys_exit, FULL, NULL)
    define(SYS_EXIT_GROUP, sys_exit_group, FULL, NULL)
    define(SYS_WAIT4, sys_wait4, PARTIAL, b"rusage has CPU times only")
    define(SYS_WAITID, sys_waitid, FULL, NULL)
    define(SYS_GETPID, sys_getpid, FULL, NULL)
    define(SYS_GETTID, sys_gettid, FULL, NULL)
    define(SYS_GETPPID, sys_getppid, FULL, NULL)
    define(SYS_SET_TID_ADDRESS, sys_set_tid_address, FULL, NULL)
    define(SYS_SET_ROBUST_LIST, sys_set_robust_list, FULL, NULL)
    define(SYS_GET_ROBUST_LIST, sys_get_robust_list, FULL, NULL)
    define(SYS_GETPGID, sys_getpgid, FULL, NULL)
    define(SYS_GETPGRP, sys_getpgrp, FULL, NULL)
    define(SYS_SETPGID, sys_setpgid, FULL, NULL)
    define(SYS_GETSID, sys_getsid, FULL, NULL)
    define(SYS_SETSID, sys_setsid, FULL, NULL)
