"""Process system calls: clone/fork/vfork, execve, exit, wait4/waitid, ids, sessions and groups."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..mm import uaccess, uspace
from ..mm.heap import kalloc, kfree
from ..proc import process, sched
from ..proc.task import Process
from ..fs.vfs import PATH_MAX
from . import exec as execve_
from . import sys_usage
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_CLONE, SYS_EXECVE, SYS_EXIT, SYS_EXIT_GROUP, SYS_FORK, SYS_GETEGID, SYS_GETEUID,
                            SYS_GETGID, SYS_GETGROUPS, SYS_GETPGID, SYS_GETPGRP, SYS_GETPID, SYS_GETPPID, SYS_GETRESGID,
                            SYS_GETRESUID, SYS_GETSID, SYS_GETTID, SYS_GETUID, SYS_SETGID, SYS_SETGROUPS, SYS_SETPGID,
                            SYS_SETSID, SYS_SETUID, SYS_SET_ROBUST_LIST, SYS_SET_TID_ADDRESS, SYS_VFORK, SYS_WAIT4,
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
CSIGNAL: Final = 0xFF

P_ALL: Final = 0
P_PID: Final = 1
P_PGID: Final = 2
WEXITED: Final = 4
CLD_EXITED: Final = 1
CLD_KILLED: Final = 2
SIGINFO_SIZE: Final = 128



def do_clone(frame: Ptr[TrapFrame], flags: u64, stack: u64, parent_tid: u64, child_tid: u64, tls: u64) -> i64:
    """fork-style and vfork-style clone; threads (CLONE_THREAD, CLONE_VM without CLONE_VFORK) are
    not supported."""
    if (flags & CLONE_THREAD) != 0 or (flags & CLONE_SIGHAND) != 0:
        return -errno.EINVAL
    vfork: bool = (flags & CLONE_VFORK) != 0
    if (flags & CLONE_VM) != 0 and not vfork:
        return -errno.EINVAL
    clear_tid: u64 = 0
    if (flags & CLONE_CHILD_CLEARTID) != 0 or (flags & CLONE_CHILD_SETTID) != 0:
        clear_tid = child_tid
    slot: Array[Ptr[Process], 1] = Array[Ptr[Process], 1]()
    pid: i64 = process.fork(process.current(), frame, vfork, stack, clear_tid, addr(slot))
    if pid < 0:
        return pid
    slot[0].exit_signal = u32(flags & CSIGNAL)
    if (flags & CLONE_SETTLS) != 0:
        slot[0].task.fs_base = tls
    if (flags & CLONE_PARENT_SETTID) != 0 and parent_tid != 0:
        uaccess.put_u32(process.current().space, parent_tid, u32(pid))
    return pid


def sys_clone(f: Ptr[TrapFrame]) -> i64:
    # x86_64 order: flags, stack, parent_tid, child_tid, tls
    return do_clone(f, f.rdi, f.rsi, f.rdx, f.r10, f.r8)


def sys_fork(f: Ptr[TrapFrame]) -> i64:
    return do_clone(f, u64(17), u64(0), u64(0), u64(0), u64(0))


def sys_vfork(f: Ptr[TrapFrame]) -> i64:
    return do_clone(f, u64(CLONE_VM | CLONE_VFORK | 17), u64(0), u64(0), u64(0), u64(0))


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
    if r < 0:
        return r
    execve_.commit(p, addr(img), frame, True)
    return 0


def sys_execve(f: Ptr[TrapFrame]) -> i64:
    r: i64 = execve_at(f, f.rdi, f.rsi, f.rdx)
    if r == 0:
        return 0  # frame.rax of the new image starts at 0
    return r


def sys_exit(f: Ptr[TrapFrame]) -> i64:
    process.exit_with_status((u32(f.rdi) & 0xFF) << 8, True)
    return 0


def store_status(status_addr: u64, status: u32) -> i64:
    if status_addr == 0:
        return 0
    return uaccess.put_u32(process.current().space, status_addr, status)


def sys_wait4(f: Ptr[TrapFrame]) -> i64:
    pid: i64 = i64(i32(u32(f.rdi)))
    options: u32 = u32(f.rdx)
    if (options & ~u32(process.WNOHANG | process.WUNTRACED | 0x8 | 0x40000000 | 0x80000000)) != 0:
        return -errno.EINVAL
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
    if (options & WEXITED) == 0:
        return -errno.EINVAL
    status: Array[u32, 1] = Array[u32, 1]()
    r: i64 = process.wait(process.current(), pid, options & u32(process.WNOHANG | process.WNOWAIT), addr(status), True)
    if r < 0:
        return r
    info: Array[u32, 32] = Array[u32, 32]()  # siginfo_t, 128 bytes
    if r > 0:
        info[0] = 17  # si_signo = SIGCHLD
        if (status[0] & 0x7F) == 0:
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
    return i64(process.current().pid)


def sys_gettid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().pid)  # one thread per process: the thread id is the pid


def sys_getppid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    if p.parent == NULL:
        return 0
    return i64(p.parent.pid)


def sys_set_tid_address(f: Ptr[TrapFrame]) -> i64:
    sched.current.clear_child_tid = f.rdi
    return i64(process.current().pid)


def sys_set_robust_list(f: Ptr[TrapFrame]) -> i64:
    if f.rsi != 24:
        return -errno.EINVAL
    sched.current.robust_list = f.rdi
    sched.current.robust_len = f.rsi
    return 0


def sys_getuid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().uid)


def sys_geteuid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().euid)


def sys_getgid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().gid)


def sys_getegid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().egid)


def may_set_id(p: Ptr[Process], id: u32) -> bool:
    return p.euid == 0 or id == p.uid or id == p.euid


def sys_setuid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    id: u32 = u32(f.rdi)
    if not may_set_id(p, id):
        return -errno.EPERM
    if p.euid == 0:
        p.uid = id
    p.euid = id
    return 0


def sys_setgid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    id: u32 = u32(f.rdi)
    if p.euid != 0 and id != p.gid and id != p.egid:
        return -errno.EPERM
    if p.euid == 0:
        p.gid = id
    p.egid = id
    return 0


def put_ids(a: u64, b: u64, c: u64, x: u32, y: u32, z: u32) -> i64:
    p: Ptr[Process] = process.current()
    if uaccess.put_u32(p.space, a, x) < 0 or uaccess.put_u32(p.space, b, y) < 0 or uaccess.put_u32(p.space, c, z) < 0:
        return -errno.EFAULT
    return 0


def sys_getresuid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    return put_ids(f.rdi, f.rsi, f.rdx, p.uid, p.euid, p.euid)


def sys_getresgid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    return put_ids(f.rdi, f.rsi, f.rdx, p.gid, p.egid, p.egid)


def sys_getgroups(f: Ptr[TrapFrame]) -> i64:
    return 0  # no supplementary groups


def sys_setgroups(f: Ptr[TrapFrame]) -> i64:
    if process.current().euid != 0:
        return -errno.EPERM
    return 0


def target(pid: u64) -> Ptr[Process]:
    if i32(u32(pid)) == 0:
        return process.current()
    return process.find(u32(pid))


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
    if p.sid == p.pid:
        return -errno.EPERM  # a session leader stays in its group
    if pgid == 0:
        pgid = i64(p.pid)
    p.pgid = u32(pgid)
    return 0


def sys_getsid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = target(f.rdi)
    if p == NULL:
        return -errno.ESRCH
    return i64(p.sid)


def sys_setsid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    if p.pgid == p.pid:
        return -errno.EPERM
    q: Ptr[Process] = process.table
    while q != NULL:
        if q.pgid == p.pid:
            return -errno.EPERM
        q = q.next_in_table
    p.sid = p.pid
    p.pgid = p.pid
    return i64(p.pid)


def init() -> None:
    define(SYS_CLONE, sys_clone, PARTIAL, b"fork- and vfork-style only: no threads (CLONE_THREAD, CLONE_VM alone)")
    define(SYS_FORK, sys_fork, FULL, NULL)
    define(SYS_VFORK, sys_vfork, FULL, NULL)
    define(SYS_EXECVE, sys_execve, PARTIAL,
           b"ELF (EXEC or PIE, static or with a PT_INTERP loader) and #! scripts; headers within the first page")
    define(SYS_EXIT, sys_exit, FULL, NULL)
    define(SYS_EXIT_GROUP, sys_exit, PARTIAL, b"one thread per process, so the same as exit")
    define(SYS_WAIT4, sys_wait4, PARTIAL, b"rusage has CPU times only; stopped children are not reported")
    define(SYS_WAITID, sys_waitid, PARTIAL, b"WEXITED only")
    define(SYS_GETPID, sys_getpid, FULL, NULL)
    define(SYS_GETTID, sys_gettid, FULL, NULL)
    define(SYS_GETPPID, sys_getppid, FULL, NULL)
    define(SYS_SET_TID_ADDRESS, sys_set_tid_address, FULL, NULL)
    define(SYS_SET_ROBUST_LIST, sys_set_robust_list, PARTIAL, b"recorded; robust futexes are not released at exit")
    define(SYS_GETUID, sys_getuid, FULL, NULL)
    define(SYS_GETEUID, sys_geteuid, FULL, NULL)
    define(SYS_GETGID, sys_getgid, FULL, NULL)
    define(SYS_GETEGID, sys_getegid, FULL, NULL)
    define(SYS_SETUID, sys_setuid, PARTIAL, b"no saved set-user-ID")
    define(SYS_SETGID, sys_setgid, PARTIAL, b"no saved set-group-ID")
    define(SYS_GETRESUID, sys_getresuid, FULL, NULL)
    define(SYS_GETRESGID, sys_getresgid, FULL, NULL)
    define(SYS_GETGROUPS, sys_getgroups, PARTIAL, b"no supplementary groups")
    define(SYS_SETGROUPS, sys_setgroups, PARTIAL, b"accepted for root, not recorded")
    define(SYS_GETPGID, sys_getpgid, FULL, NULL)
    define(SYS_GETPGRP, sys_getpgrp, FULL, NULL)
    define(SYS_SETPGID, sys_setpgid, FULL, NULL)
    define(SYS_GETSID, sys_getsid, FULL, NULL)
    define(SYS_SETSID, sys_setsid, FULL, NULL)
