"""The host shell's `oci-runtime` command: the OCI runtime operations, through the host
system-call table (host/syscalls.py)."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, u8, u32, u64, usize

from .. import console, errno
from . import processes
from ..tty import ldisc
from ..container import runtime
from ..lib import cstr
from ..host import syscalls as host
from ..proc import process, signal
from ..proc.task import Process

STATE_CAP: Final = 8192

out: Array[u8, STATE_CAP] = Array[u8, STATE_CAP]()


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


def signal_number(name: Ptr[u8]) -> u32:
    """TERM, SIGTERM or 15 (and the other signals by name); 0 if unknown."""
    if name[0] >= ord("0") and name[0] <= ord("9"):
        n: u32 = 0
        i: usize = 0
        while name[i] >= ord("0") and name[i] <= ord("9") and n < 1000:
            n = n * 10 + u32(name[i] - 0x30)
            i += 1
        if name[i] != 0:
            return 0
        return n
    if name[0] == ord("S") and name[1] == ord("I") and name[2] == ord("G"):
        name = name + 3
    for sig in range(u32(1), u32(32)):
        full: Ptr[u8] = signal.name(sig)
        if cstr.equal(full + 3, name):
            return sig
    return 0


def wait_for_init(id: Ptr[u8], pid: u32) -> None:
    """The container owns the terminal until its init exits; then one line says how it ended,
    unless it exited with status 0."""
    init: Ptr[Process] = process.find(pid)
    if init != NULL:  # its session, in its container's pid numbering
        ldisc.attach(init.pgid, init.sid, init.container)
    status: Array[u32, 1] = Array[u32, 1]()
    process.wait(process.host, i64(pid), u32(process.WEXITED), addr(status), False)
    ldisc.detach()
    processes.report(b"oci-runtime: init of ", id, status[0])


def usage() -> None:
    console.puts(b"usage: oci-runtime create ID BUNDLE | start ID | state ID | kill ID [SIGNAL] | delete ID | list\n")


def cmd_oci_runtime(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    runtime.error_text[0] = 0
    if argc < 2:
        usage()
        return
    op: Ptr[u8] = args[1]
    if cstr.equal(op, b"list") and argc == 2:
        r: i64 = host.call(u32(host.CONTAINER_LIST), cast(u64, addr(out)), u64(STATE_CAP), u64(0))
        if r >= 0:
            console.puts(addr(out))
        return
    if argc < 3:
        usage()
        return
    id: Ptr[u8] = args[2]
    r2: i64 = 0
    if cstr.equal(op, b"create") and argc == 4:
        r2 = host.call(u32(host.CONTAINER_CREATE), arg(id), arg(args[3]), u64(0))
        if r2 == 0:
            console.puts(b"container ")
            console.puts(id)
            console.puts(b" created\n")
    elif cstr.equal(op, b"start") and argc == 3:
        r2 = host.call(u32(host.CONTAINER_START), arg(id), u64(0), u64(0))
        if r2 == 0:
            c: Ptr[runtime.Container] = runtime.find(id)
            if c.spec.terminal:
                wait_for_init(id, c.pid)
    elif cstr.equal(op, b"state") and argc == 3:
        r2 = host.call(u32(host.CONTAINER_STATE), arg(id), cast(u64, addr(out)), u64(STATE_CAP))
        if r2 >= 0:
            console.puts(addr(out))
            console.puts(b"\n")
    elif cstr.equal(op, b"kill") and (argc == 3 or argc == 4):
        sig: u32 = u32(signal.SIGTERM)
        if argc == 4:
            sig = signal_number(args[3])
        r2 = host.call(u32(host.CONTAINER_KILL), arg(id), u64(sig), u64(0))
    elif cstr.equal(op, b"delete") and argc == 3:
        r2 = host.call(u32(host.CONTAINER_DELETE), arg(id), u64(0), u64(0))
    else:
        usage()
        return
    if r2 < 0:
        fail(op, id, r2)
