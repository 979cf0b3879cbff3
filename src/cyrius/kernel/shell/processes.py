"""The host shell's process commands: `run PATH ARGS...` starts a Linux program on the console
and waits for it; `ps` lists processes."""
from cyrius.lang import NULL, Array, Ptr, addr, i64, u8, u32, u64, usize

from .. import console, errno
from . import files, status
from ..tty import ldisc
from ..container import runtime
from ..fs import namespace
from ..lib import cstr
from ..linux import launch
from ..proc import process, signal, task
from ..proc.task import Process


env: Array[Ptr[u8], 2] = Array[Ptr[u8], 2]()


def report(lead: Ptr[u8], subject: Ptr[u8], wstatus: u32) -> None:
    """How a waited-for process ended: nothing for a clean exit; otherwise one line, lead and
    subject first."""
    if wstatus == 0:
        return
    console.puts(lead)
    console.puts(subject)
    if (wstatus & 0x7F) == 0:
        console.puts(b" exited with status ")
        console.put_dec(u64((wstatus >> 8) & 0xFF))
    else:
        console.puts(b" killed by signal ")
        console.puts(signal.name(wstatus & 0x7F))
        console.puts(b" (")
        console.put_dec(u64(wstatus & 0x7F))
        console.puts(b")")
    console.puts(b"\n")


def reap_orphans() -> None:
    """Collect orphans (and detached containers' inits) that ended while the host shell was
    busy or waiting for a command line."""
    wstatus: Array[u32, 1] = Array[u32, 1]()
    while process.wait(process.host, i64(-1), u32(process.WNOHANG | process.WEXITED), addr(wstatus), False) > 0:
        pass


def cmd_run(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    if argc < 2:
        console.puts(b"usage: run PATH [ARGS...]\n")
        status.fail(u32(2))
        return
    env[0] = b"PATH=/bin:/usr/bin:/sbin:/usr/sbin"
    env[1] = b"HOME=/"
    slot: Array[Ptr[Process], 1] = Array[Ptr[Process], 1]()
    r: i64 = launch.start(args[1], args + 1, argc - 1, addr(env), u32(2), namespace.host_root, files.cwd,
                          u64(0), NULL, NULL, addr(slot))
    if r < 0:
        console.puts(b"run: ")
        console.puts(args[1])
        console.puts(b": ")
        console.puts(errno.message(r))
        console.puts(b"\n")
        status.fail(u32(127) if r == -errno.ENOENT else u32(126))
        return
    pid: u32 = slot[0].pid
    ldisc.attach(pid, pid, u64(0))  # the program's session owns the terminal until it ends
    wstatus: Array[u32, 1] = Array[u32, 1]()
    process.wait(process.host, i64(pid), u32(process.WEXITED), addr(wstatus), False)
    ldisc.detach()
    report(b"run: ", args[1], wstatus[0])
    status.fail(runtime.exit_code(wstatus[0]))
    reap_orphans()


def cmd_ps(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    console.puts(b"  PID  PPID STATE  CONTAINER        NAME\n")
    p: Ptr[Process] = process.table
    while p != NULL:
        console.put_padded(u64(p.pid), u32(5))
        console.puts(b" ")
        ppid: u64 = 0
        if p.parent != NULL:
            ppid = u64(p.parent.pid)
        console.put_padded(ppid, u32(5))
        if p.state == task.PROC_ZOMBIE:
            console.puts(b" zombie ")
        elif p.stopped:
            console.puts(b" stopped")
        else:
            console.puts(b" alive  ")
        c: Ptr[runtime.Container] = runtime.of_process(p)
        shown: usize = 1
        if c != NULL:
            console.puts(addr(c.id))
            shown = cstr.length(addr(c.id))
        else:
            console.puts(b"-")
        while shown < 17:
            console.puts(b" ")
            shown += 1
        console.puts(addr(p.name))
        console.puts(b"\n")
        p = p.next_in_table
