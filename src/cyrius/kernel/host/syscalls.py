"""The host system-call table: the container-native calls of the host world (docs/architecture.md,
"Two worlds, two tables"). The host world is the host process, which runs in kernel mode: its shell
enters this table through call(), and its pointers are kernel addresses. (proc/entry.dispatch would
also send a SYSCALL from an ABI_HOST process here, but none runs in ring 3.)
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..container import control, log, runtime

CONTAINER_CREATE: Final = 0  # (id, bundle path)
CONTAINER_START: Final = 1  # (id)
CONTAINER_STATE: Final = 2  # (id, buffer, capacity) -> length of the state JSON
CONTAINER_KILL: Final = 3  # (id, signal, all: 1 for every process of the container)
CONTAINER_DELETE: Final = 4  # (id, force: 1 kills a running container and waits for it first)
CONTAINER_LIST: Final = 5  # (buffer, capacity) -> length
CONTAINER_PID: Final = 6  # (id) -> the init's pid, 0 if none
CONTAINER_EXEC: Final = 7  # (id, control.ExecRequest) -> the new process's pid
CONTAINER_PAUSE: Final = 8  # (id)
CONTAINER_RESUME: Final = 9  # (id)
CONTAINER_PS: Final = 10  # (id, buffer, capacity) -> length
CONTAINER_STATS: Final = 11  # (id, buffer, capacity) -> length of the stats JSON
CONTAINER_LOGS: Final = 12  # (id, log.Cursor, buffer, capacity) -> bytes read from the log
CONTAINER_WAIT: Final = 13  # (id) -> the init's exit status once it exited; -EAGAIN before
COUNT: Final = 14

table: Array[Callable[[Ptr[TrapFrame]], i64], COUNT] = Array[Callable[[Ptr[TrapFrame]], i64], COUNT]()


def text(value: u64) -> Ptr[u8]:
    return cast(Ptr[u8], usize(value))


def sys_create(f: Ptr[TrapFrame]) -> i64:
    return runtime.create(text(f.rdi), text(f.rsi))


def sys_start(f: Ptr[TrapFrame]) -> i64:
    return runtime.start(text(f.rdi))


def sys_state(f: Ptr[TrapFrame]) -> i64:
    return runtime.state(text(f.rdi), text(f.rsi), usize(f.rdx))


def sys_kill(f: Ptr[TrapFrame]) -> i64:
    return runtime.kill(text(f.rdi), u32(f.rsi), f.rdx != 0)


def sys_delete(f: Ptr[TrapFrame]) -> i64:
    return runtime.delete(text(f.rdi), f.rsi != 0)


def sys_list(f: Ptr[TrapFrame]) -> i64:
    return runtime.list_all(text(f.rdi), usize(f.rsi))


def sys_pid(f: Ptr[TrapFrame]) -> i64:
    c: Ptr[runtime.Container] = runtime.find(text(f.rdi))
    if c == NULL:
        return -errno.ESRCH
    if not runtime.live(c):
        return 0
    return i64(c.pid)


def sys_exec(f: Ptr[TrapFrame]) -> i64:
    return control.exec(text(f.rdi), cast(Ptr[control.ExecRequest], usize(f.rsi)))


def sys_pause(f: Ptr[TrapFrame]) -> i64:
    return control.pause(text(f.rdi))


def sys_resume(f: Ptr[TrapFrame]) -> i64:
    return control.resume(text(f.rdi))


def sys_ps(f: Ptr[TrapFrame]) -> i64:
    return control.ps(text(f.rdi), text(f.rsi), usize(f.rdx))


def sys_stats(f: Ptr[TrapFrame]) -> i64:
    return control.stats(text(f.rdi), text(f.rsi), usize(f.rdx))


def sys_logs(f: Ptr[TrapFrame]) -> i64:
    return control.logs(text(f.rdi), cast(Ptr[log.Cursor], usize(f.rsi)), text(f.rdx), usize(f.r10))


def sys_wait(f: Ptr[TrapFrame]) -> i64:
    return control.wait(text(f.rdi))


def dispatch(frame: Ptr[TrapFrame]) -> i64:
    nr: u64 = frame.rax
    if nr >= COUNT or table[nr] == NULL:
        return -errno.ENOSYS
    handler: Callable[[Ptr[TrapFrame]], i64] = table[nr]
    return handler(frame)


def call(nr: u32, a: u64, b: u64, c: u64) -> i64:
    """Enter the host table from kernel mode (the host shell)."""
    return call4(nr, a, b, c, u64(0))


def call4(nr: u32, a: u64, b: u64, c: u64, d: u64) -> i64:
    """call() with a fourth argument (r10, as for a Linux system call)."""
    frame: TrapFrame = TrapFrame()
    frame.rax = u64(nr)
    frame.rdi = a
    frame.rsi = b
    frame.rdx = c
    frame.r10 = d
    return dispatch(addr(frame))


def init() -> None:
    runtime.init()
    table[CONTAINER_CREATE] = sys_create
    table[CONTAINER_START] = sys_start
    table[CONTAINER_STATE] = sys_state
    table[CONTAINER_KILL] = sys_kill
    table[CONTAINER_DELETE] = sys_delete
    table[CONTAINER_LIST] = sys_list
    table[CONTAINER_PID] = sys_pid
    table[CONTAINER_EXEC] = sys_exec
    table[CONTAINER_PAUSE] = sys_pause
    table[CONTAINER_RESUME] = sys_resume
    table[CONTAINER_PS] = sys_ps
    table[CONTAINER_STATS] = sys_stats
    table[CONTAINER_LOGS] = sys_logs
    table[CONTAINER_WAIT] = sys_wait
