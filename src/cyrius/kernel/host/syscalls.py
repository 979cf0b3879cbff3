"""The host system-call table: the container-native calls of the host world (docs/architecture.md,
"Two worlds, two tables"). The host world is the host process, which runs in kernel mode: its shell
enters this table through call(), and its pointers are kernel addresses. (proc/entry.dispatch would
also send a SYSCALL from an ABI_HOST process here, but none runs in ring 3.)
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..container import runtime

CONTAINER_CREATE: Final = 0  # (id, bundle path)
CONTAINER_START: Final = 1  # (id)
CONTAINER_STATE: Final = 2  # (id, buffer, capacity) -> length of the state JSON
CONTAINER_KILL: Final = 3  # (id, signal)
CONTAINER_DELETE: Final = 4  # (id)
CONTAINER_LIST: Final = 5  # (buffer, capacity) -> length
CONTAINER_PID: Final = 6  # (id) -> the init's pid, 0 if none
COUNT: Final = 7

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
    return runtime.kill(text(f.rdi), u32(f.rsi))


def sys_delete(f: Ptr[TrapFrame]) -> i64:
    return runtime.delete(text(f.rdi))


def sys_list(f: Ptr[TrapFrame]) -> i64:
    return runtime.list_all(text(f.rdi), usize(f.rsi))


def sys_pid(f: Ptr[TrapFrame]) -> i64:
    c: Ptr[runtime.Container] = runtime.find(text(f.rdi))
    if c == NULL:
        return -errno.ESRCH
    if c.status != runtime.STATUS_RUNNING:
        return 0
    return i64(c.pid)


def dispatch(frame: Ptr[TrapFrame]) -> i64:
    nr: u64 = frame.rax
    if nr >= COUNT or table[nr] == NULL:
        return -errno.ENOSYS
    handler: Callable[[Ptr[TrapFrame]], i64] = table[nr]
    return handler(frame)


def call(nr: u32, a: u64, b: u64, c: u64) -> i64:
    """Enter the host table from kernel mode (the host shell)."""
    frame: TrapFrame = TrapFrame()
    frame.rax = u64(nr)
    frame.rdi = a
    frame.rsi = b
    frame.rdx = c
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
