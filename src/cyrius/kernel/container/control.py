"""The operations runc and crun add to the runtime-spec's, on containers of runtime.py: exec (a new
process in a running container), pause and resume (the freezer: sched.freeze parks every task of
the container's quota, so none takes CPU or is woken by I/O or signals until resumed; SIGKILL still
ends them), ps (its processes), stats (CPU time, memory and pids as `runc events --stats` prints
them), logs (a detached container's output, log.py) and wait (the init's exit status).
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, i64, struct, u8, u32, u64, usize

from .. import errno
from ..fs import file, namespace, vfs
from ..platform import clock
from ..proc import process, sched, task
from ..proc.task import Process
from . import log, runtime
from .runtime import Container, find_or_report, put, put_json_string, put_number, say


@struct
class ExecRequest:
    """CONTAINER_EXEC's argument: what to run, and how."""
    args: Ptr[Ptr[u8]]
    arg_count: u32
    env: Ptr[Ptr[u8]]  # NAME=value entries that add to (or override) the config's process.env
    env_count: u32
    cwd: Ptr[u8]  # NULL: the config's process.cwd
    terminal: bool  # fds 0-2 on the console (the caller hands it the terminal); else stdin at end of file


def running(id: Ptr[u8], what: Ptr[u8]) -> Ptr[Container]:
    """The running container id, or NULL after saying why `what` cannot be done to it."""
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return NULL
    if c.status == runtime.STATUS_PAUSED:
        runtime.say2(what, b" needs a running container, and it is paused")
        return NULL
    if c.status != runtime.STATUS_RUNNING:
        runtime.say2(what, b" needs a running container")
        return NULL
    return c


def exec(id: Ptr[u8], req: Ptr[ExecRequest]) -> i64:
    """A new process in running container id (its root, user, quota; the config's env and cwd unless
    req says otherwise); its pid. Without a terminal its stdout and stderr are the console, as
    runc exec without -t gives them to its caller."""
    c: Ptr[Container] = running(id, b"exec")
    if c == NULL:
        return -errno.EINVAL
    if req.arg_count == 0:
        say(b"exec needs a command")
        return -errno.EINVAL
    stdio: Array[Ptr[file.File], 3] = Array[Ptr[file.File], 3]()
    r: i64 = 0
    if not req.terminal:  # stdin at end of file; stdout and stderr the host's console, whatever the container's /dev
        r = log.open_null(addr(stdio))
        if r == 0:
            r = file.open(vfs.as_kernel(), namespace.host_root, namespace.host_root, b"/dev/console",
                          u32(file.O_WRONLY), u32(0), addr(stdio) + 1)
        if r < 0:
            runtime.close_stdio(addr(stdio))
            say(b"cannot open the exec's stdio")
            return r
        stdio[2] = stdio[1]
    slot: Array[Ptr[Process], 1] = Array[Ptr[Process], 1]()
    r = runtime.spawn(c, req.args, req.arg_count, req.env, req.env_count, req.cwd,
                      addr(stdio) if not req.terminal else NULL, addr(slot))
    runtime.close_stdio(addr(stdio))
    if r < 0:
        return r
    return i64(slot[0].pid)


def pause(id: Ptr[u8]) -> i64:
    c: Ptr[Container] = running(id, b"pause")
    if c == NULL:
        return -errno.EINVAL
    sched.freeze(addr(c.quota))
    c.status = runtime.STATUS_PAUSED
    return 0


def resume(id: Ptr[u8]) -> i64:
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if c.status != runtime.STATUS_PAUSED:
        say(b"resume needs a paused container")
        return -errno.EINVAL
    c.status = runtime.STATUS_RUNNING
    sched.thaw(addr(c.quota))
    return 0


def process_state(c: Ptr[Container], p: Ptr[Process]) -> Ptr[u8]:
    if p.state == task.PROC_ZOMBIE:
        return b"zombie"
    if c.status == runtime.STATUS_PAUSED:
        return b"paused"
    if p.stopped:
        return b"stopped"
    if p.task.state == task.TASK_BLOCKED:
        return b"sleeping"
    return b"running"


def pad(buf: Ptr[u8], cap: usize, at: usize, column: usize) -> usize:
    while at < column:
        at = put(buf, cap, at, b" ")
    return at


def ps(id: Ptr[u8], buf: Ptr[u8], cap: usize) -> i64:
    """The container's processes, one line each: PID STATE NAME."""
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    h: u64 = runtime.handle(u64(c - addr(runtime.containers)))
    at: usize = put(buf, cap, usize(0), b"  PID STATE    NAME\n")
    p: Ptr[Process] = process.table
    while p != NULL:
        if p.container == h:
            line: usize = at
            digits: Array[u8, 24] = Array[u8, 24]()
            number: usize = put_number(addr(digits), usize(24), usize(0), u64(p.pid))
            at = pad(buf, cap, at, line + 5 - number)
            at = put_number(buf, cap, at, u64(p.pid))
            at = put(buf, cap, at, b" ")
            at = put(buf, cap, at, process_state(c, p))
            at = pad(buf, cap, at, line + 15)
            at = put(buf, cap, at, addr(p.name))
            at = put(buf, cap, at, b"\n")
        p = p.next_in_table
    return runtime.finish(buf, cap, at)


NS_PER_TICK: Final = 1000000000 // clock.TICK_HZ


def put_field(buf: Ptr[u8], cap: usize, at: usize, key: Ptr[u8], value: u64) -> usize:
    """"key":value"""
    at = put_json_string(buf, cap, at, key)
    at = put(buf, cap, at, b":")
    return put_number(buf, cap, at, value)


def stats(id: Ptr[u8], buf: Ptr[u8], cap: usize) -> i64:
    """One JSON line as `runc events --stats` prints it (the fields Cyrius counts; CPU time in ns,
    counted by the timer tick): {"type":"stats","id":...,"data":{"cpu":...,"memory":...,"pids":...}}."""
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    user: u64 = c.gone_user_ticks
    kernel: u64 = c.gone_system_ticks
    h: u64 = runtime.handle(u64(c - addr(runtime.containers)))
    p: Ptr[Process] = process.table
    while p != NULL:
        if p.container == h and p.state == task.PROC_ALIVE:
            user += process.cpu_ticks(p, True)
            kernel += process.cpu_ticks(p, False)
        p = p.next_in_table
    at: usize = put(buf, cap, usize(0), b"{\"type\":\"stats\",\"id\":")
    at = put_json_string(buf, cap, at, addr(c.id))
    at = put(buf, cap, at, b",\"data\":{\"cpu\":{\"usage\":{")
    at = put_field(buf, cap, at, b"total", (user + kernel) * NS_PER_TICK)
    at = put(buf, cap, at, b",")
    at = put_field(buf, cap, at, b"user", user * NS_PER_TICK)
    at = put(buf, cap, at, b",")
    at = put_field(buf, cap, at, b"kernel", kernel * NS_PER_TICK)
    at = put(buf, cap, at, b"}},\"memory\":{\"usage\":{")
    at = put_field(buf, cap, at, b"usage", c.quota.memory.used * 4096)
    if c.quota.memory.limit != 0:
        at = put(buf, cap, at, b",")
        at = put_field(buf, cap, at, b"limit", c.quota.memory.limit * 4096)
    at = put(buf, cap, at, b"}},\"pids\":{")
    at = put_field(buf, cap, at, b"current", u64(c.quota.pids))
    at = put(buf, cap, at, b",")
    at = put_field(buf, cap, at, b"limit", u64(c.quota.pids_limit))
    at = put(buf, cap, at, b"}}}")
    return runtime.finish(buf, cap, at)


def logs(id: Ptr[u8], cursor: Ptr[log.Cursor], buf: Ptr[u8], cap: usize) -> i64:
    """What the detached container id wrote from cursor.pos on (up to cap bytes; cursor advanced)."""
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if c.log == NULL:
        say(b"no log: the container has a terminal, or has not started")
        return -errno.ENOENT
    return i64(log.read(log.ring_of(c.log), cursor, buf, cap))


def wait(id: Ptr[u8]) -> i64:
    """The init's exit status as a shell shows it (0-255; 128 + a killing signal) once it has
    exited; -EAGAIN while the container runs."""
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if c.exited:
        return i64(runtime.exit_code(c.exit_status))
    if c.status == runtime.STATUS_STOPPED or c.status == runtime.STATUS_CREATED:
        say(b"the container's init never ran")
        return -errno.EINVAL
    return -errno.EAGAIN
