"""The host shell's `oci-runtime` command: the OCI runtime operations, and those runc adds, through
the host system-call table (host/syscalls.py).

Waits the user may end (`logs -f`, `wait`, `events`, exec without -t) watch the keyboard: Ctrl-C at
the host shell ends the wait (and, for exec, sends SIGINT to the process)."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, u8, u32, u64, usize

from .. import console, errno
from . import processes, status
from ..tty import ldisc
from ..container import control, log, runtime
from ..lib import cstr
from ..host import syscalls as host
from ..platform import clock
from ..proc import process, sched, signal
from ..proc.task import Process

STATE_CAP: Final = 16384
MAX_EXEC_ENV: Final = 16
NAP_NS: Final = 50000000  # how often a wait looks again (at once on a key)
CTRL_C: Final = 3

out: Array[u8, STATE_CAP] = Array[u8, STATE_CAP]()
exec_env: Array[Ptr[u8], MAX_EXEC_ENV] = Array[Ptr[u8], MAX_EXEC_ENV]()


def arg(p: Ptr[u8]) -> u64:
    return cast(u64, p)


def fail(op: Ptr[u8], id: Ptr[u8], r: i64) -> None:
    """One line: what failed and why."""
    console.puts(b"oci-runtime: ")
    console.puts(op)
    console.puts(b" ")
    console.puts(id)
    console.puts(b": ")
    if runtime.error_text[0] != 0:
        console.puts(addr(runtime.error_text))
    else:
        console.puts(errno.message(r))
    console.puts(b"\n")
    runtime.error_text[0] = 0
    status.fail(u32(1))


def signal_number(name: Ptr[u8]) -> u32:
    """TERM, SIGTERM or 15 (and the other signals by name); 0 if unknown."""
    if name[0] >= ord("0") and name[0] <= ord("9"):
        return u32(number(name, u64(1000)))
    if name[0] == ord("S") and name[1] == ord("I") and name[2] == ord("G"):
        name = name + 3
    for sig in range(u32(1), u32(32)):
        full: Ptr[u8] = signal.name(sig)
        if cstr.equal(full + 3, name):
            return sig
    return 0


def number(text: Ptr[u8], most: u64) -> u64:
    """A decimal number up to most; 0 if text is not one."""
    n: u64 = 0
    i: usize = 0
    while text[i] >= ord("0") and text[i] <= ord("9") and n <= most:
        n = n * 10 + u64(text[i] - 0x30)
        i += 1
    if text[i] != 0 or i == 0 or n > most:
        return 0
    return n


def interrupted() -> bool:
    """Whether Ctrl-C was typed at the host shell since the last look (other keys are dropped)."""
    while True:
        c: i64 = ldisc.take_byte()
        if c < 0:
            return False
        if c == CTRL_C:
            console.puts(b"^C\n")
            return True


def nap(ns: u64) -> None:
    """Sleep ns, or until a key is typed."""
    sched.block_on(addr(ldisc.readers), clock.now_ns() + ns)


def wait_attached(lead: Ptr[u8], subject: Ptr[u8], pid: u32) -> None:
    """The process owns the terminal until it exits; then one line says how it ended, unless it
    exited with status 0. Its exit status is the command's."""
    p: Ptr[Process] = process.find(pid)
    if p != NULL:  # its session, in its container's pid numbering
        ldisc.attach(p.pgid, p.sid, p.container)
    wstatus: Array[u32, 1] = Array[u32, 1]()
    process.wait(process.host, i64(pid), u32(process.WEXITED), addr(wstatus), False)
    ldisc.detach()
    processes.report(lead, subject, wstatus[0])
    status.fail(runtime.exit_code(wstatus[0]))


def wait_unattached(pid: u32) -> None:
    """exec without -t: wait for the process (Ctrl-C sends it SIGINT); its exit status is the
    command's."""
    wstatus: Array[u32, 1] = Array[u32, 1]()
    while process.wait(process.host, i64(pid), u32(process.WNOHANG | process.WEXITED), addr(wstatus), False) == 0:
        if interrupted():
            p: Ptr[Process] = process.find(pid)
            if p != NULL:
                signal.send(p, u32(signal.SIGINT))
        nap(u64(NAP_NS))
    status.fail(runtime.exit_code(wstatus[0]))


def usage() -> None:
    console.puts(b"usage: oci-runtime create ID BUNDLE | start ID | run ID BUNDLE | state ID | list\n")
    console.puts(b"         | kill [--all] ID [SIGNAL] | delete [--force] ID | ps ID | pause ID | resume ID\n")
    console.puts(b"         | exec [-t] [-d] [--env NAME=VALUE]... [--cwd DIR] ID COMMAND [ARGS...]\n")
    console.puts(b"         | logs [-f] ID | wait ID | stats ID | events [--stats] [--interval SECONDS] ID\n")
    status.fail(u32(2))


def start(id: Ptr[u8]) -> i64:
    """start; a container with a terminal has it until its init exits."""
    r: i64 = host.call(u32(host.CONTAINER_START), arg(id), u64(0), u64(0))
    if r == 0:
        c: Ptr[runtime.Container] = runtime.find(id)
        if c.spec.terminal:
            wait_attached(b"oci-runtime: init of ", id, c.pid)
    return r


def show_logs(id: Ptr[u8], follow: bool) -> i64:
    """What the container wrote; follow: and what it writes until its init exits or Ctrl-C."""
    cursor: log.Cursor = log.Cursor()
    told: u64 = 0
    while True:
        n: i64 = host.call4(u32(host.CONTAINER_LOGS), arg(id), cast(u64, addr(cursor)), cast(u64, addr(out)),
                            u64(STATE_CAP))
        if n < 0:
            return n
        if cursor.skipped != told:
            console.puts(b"[oci-runtime: ")
            console.put_dec(cursor.skipped - told)
            console.puts(b" bytes of older output were dropped]\n")
            told = cursor.skipped
        console.write(addr(out), usize(n))
        if n > 0:
            continue
        if not follow or host.call(u32(host.CONTAINER_WAIT), arg(id), u64(0), u64(0)) != -errno.EAGAIN:
            return 0
        if interrupted():
            return 0
        nap(u64(NAP_NS))


def wait_for(id: Ptr[u8]) -> i64:
    """Print the init's exit status once it has exited (as podman wait); Ctrl-C gives up."""
    while True:
        r: i64 = host.call(u32(host.CONTAINER_WAIT), arg(id), u64(0), u64(0))
        if r >= 0:
            console.put_dec(u64(r))
            console.puts(b"\n")
            return 0
        if r != -errno.EAGAIN:
            return r
        if interrupted():
            status.fail(u32(130))
            return 0
        nap(u64(NAP_NS))


def events(id: Ptr[u8], once: bool, interval: u64) -> i64:
    """The stats line, once or every interval seconds until the container stops or Ctrl-C."""
    while True:
        r: i64 = host.call(u32(host.CONTAINER_STATS), arg(id), cast(u64, addr(out)), u64(STATE_CAP))
        if r < 0:
            return r
        console.puts(addr(out))
        console.puts(b"\n")
        if once:
            return 0
        until: u64 = clock.now_ns() + interval * 1000000000
        while clock.now_ns() < until:
            if interrupted() or host.call(u32(host.CONTAINER_WAIT), arg(id), u64(0), u64(0)) != -errno.EAGAIN:
                return 0
            nap(u64(NAP_NS))


def cmd_exec(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    """exec [-t] [-d] [--env NAME=VALUE]... [--cwd DIR] ID COMMAND [ARGS...] (options before the
    command, on either side of ID)."""
    req: control.ExecRequest = control.ExecRequest()
    req.env = addr(exec_env)
    detach: bool = False
    id: Ptr[u8] = NULL
    i: u32 = 2
    while i < argc and req.args == NULL:
        a: Ptr[u8] = args[i]
        if cstr.equal(a, b"-t") or cstr.equal(a, b"--tty"):
            req.terminal = True
        elif cstr.equal(a, b"-d") or cstr.equal(a, b"--detach"):
            detach = True
        elif (cstr.equal(a, b"--env") or cstr.equal(a, b"-e")) and i + 1 < argc and req.env_count < MAX_EXEC_ENV:
            i += 1
            exec_env[req.env_count] = args[i]
            req.env_count += 1
        elif cstr.equal(a, b"--cwd") and i + 1 < argc:
            i += 1
            req.cwd = args[i]
        elif a[0] == ord("-"):
            usage()
            return
        elif id == NULL:
            id = a
        else:
            req.args = args + i
            req.arg_count = argc - i
        i += 1
    if id == NULL or req.args == NULL:
        usage()
        return
    r: i64 = host.call(u32(host.CONTAINER_EXEC), arg(id), cast(u64, addr(req)), u64(0))
    if r < 0:
        fail(b"exec", id, r)
        return
    if detach:
        return
    if req.terminal:
        wait_attached(b"oci-runtime: exec in ", id, u32(r))
    else:
        wait_unattached(u32(r))


def cmd_oci_runtime(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    runtime.error_text[0] = 0
    if argc < 2:
        usage()
        return
    op: Ptr[u8] = args[1]
    if cstr.equal(op, b"exec"):
        cmd_exec(argc, args)
        return
    words: Array[Ptr[u8], 3] = Array[Ptr[u8], 3]()
    count: u32 = 0
    every: bool = False
    force: bool = False
    follow: bool = False
    once: bool = False
    interval: u64 = 5
    i: u32 = 2
    while i < argc:
        a: Ptr[u8] = args[i]
        if cstr.equal(a, b"--all") or cstr.equal(a, b"-a"):
            every = True
        elif cstr.equal(a, b"--force") or (cstr.equal(a, b"-f") and cstr.equal(op, b"delete")):
            force = True
        elif cstr.equal(a, b"--follow") or cstr.equal(a, b"-f"):
            follow = True
        elif cstr.equal(a, b"--stats"):
            once = True
        elif cstr.equal(a, b"--interval") and i + 1 < argc and number(args[i + 1], u64(3600)) > 0:
            i += 1
            interval = number(args[i], u64(3600))
        elif a[0] == ord("-") or count == 3:
            usage()
            return
        else:
            words[count] = a
            count += 1
        i += 1
    if cstr.equal(op, b"list") and count == 0:
        r: i64 = host.call(u32(host.CONTAINER_LIST), cast(u64, addr(out)), u64(STATE_CAP), u64(0))
        if r >= 0:
            console.puts(addr(out))
        return
    if count == 0:
        usage()
        return
    id: Ptr[u8] = words[0]
    r2: i64 = 0
    if cstr.equal(op, b"create") and count == 2:
        r2 = host.call(u32(host.CONTAINER_CREATE), arg(id), arg(words[1]), u64(0))
        if r2 == 0:
            console.puts(b"container ")
            console.puts(id)
            console.puts(b" created\n")
    elif cstr.equal(op, b"run") and count == 2:
        r2 = host.call(u32(host.CONTAINER_CREATE), arg(id), arg(words[1]), u64(0))
        if r2 == 0:
            r2 = start(id)
            if r2 < 0:  # as runc run: a container that cannot start is not left behind
                fail(op, id, r2)
                host.call(u32(host.CONTAINER_DELETE), arg(id), u64(1), u64(0))
                return
    elif cstr.equal(op, b"start") and count == 1:
        r2 = start(id)
    elif (cstr.equal(op, b"state") or cstr.equal(op, b"ps") or cstr.equal(op, b"stats")) and count == 1:
        nr: u32 = u32(host.CONTAINER_STATE)
        if cstr.equal(op, b"ps"):
            nr = u32(host.CONTAINER_PS)
        elif cstr.equal(op, b"stats"):
            nr = u32(host.CONTAINER_STATS)
        r2 = host.call(nr, arg(id), cast(u64, addr(out)), u64(STATE_CAP))
        if r2 >= 0:
            console.puts(addr(out))
            if nr != u32(host.CONTAINER_PS):
                console.puts(b"\n")
    elif cstr.equal(op, b"kill") and (count == 1 or count == 2):
        sig: u32 = u32(signal.SIGTERM)
        if count == 2:
            sig = signal_number(words[1])
        r2 = host.call(u32(host.CONTAINER_KILL), arg(id), u64(sig), u64(1) if every else u64(0))
    elif cstr.equal(op, b"delete") and count == 1:
        r2 = host.call(u32(host.CONTAINER_DELETE), arg(id), u64(1) if force else u64(0), u64(0))
    elif cstr.equal(op, b"pause") and count == 1:
        r2 = host.call(u32(host.CONTAINER_PAUSE), arg(id), u64(0), u64(0))
    elif cstr.equal(op, b"resume") and count == 1:
        r2 = host.call(u32(host.CONTAINER_RESUME), arg(id), u64(0), u64(0))
    elif cstr.equal(op, b"logs") and count == 1:
        r2 = show_logs(id, follow)
    elif cstr.equal(op, b"wait") and count == 1:
        r2 = wait_for(id)
    elif cstr.equal(op, b"events") and count == 1:
        r2 = events(id, once, interval)
    else:
        usage()
        return
    if r2 < 0:
        fail(op, id, r2)
