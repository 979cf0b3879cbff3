"""The host shell on the serial console (prompt `$ `, as in the seed transcript): the command table,
word splitting and the read-execute loop.

Commands are data: a table of (name, help, handler) filled at start-up; each family of commands has
its module beside this one (files, processes, containers, network, machine).
"""
from cyrius.lang import Array, Callable, Final, Ptr, addr, struct, u8, u32, u64, usize
from cyrius.rt import fmt_u64

from .. import console
from ..lib import cstr
from ..tty import ldisc
from . import containers, files, lineedit, machine, network, processes, status

MAX_ARGS: Final = 16
MAX_COMMANDS: Final = 32


@struct
class Command:
    name: Ptr[u8]
    help: Ptr[u8]
    run: Callable[[u32, Ptr[Ptr[u8]]], None]


commands: Array[Command, MAX_COMMANDS] = Array[Command, MAX_COMMANDS]()
command_count: u32 = 0
line: Array[u8, lineedit.MAX_LINE] = Array[u8, lineedit.MAX_LINE]()
expanded: Array[u8, lineedit.MAX_LINE] = Array[u8, lineedit.MAX_LINE]()
argv: Array[Ptr[u8], MAX_ARGS] = Array[Ptr[u8], MAX_ARGS]()


def register(name: Ptr[u8], help: Ptr[u8], run: Callable[[u32, Ptr[Ptr[u8]]], None]) -> None:
    global command_count
    c: Ptr[Command] = addr(commands) + command_count
    c.name = name
    c.help = help
    c.run = run
    command_count += 1


def split(text: Ptr[u8], out: Ptr[Ptr[u8]]) -> u32:
    """Split text in place into words (at most MAX_ARGS) as a POSIX shell would for plain words:
    spaces separate, '...' and "..." quote (the quotes are removed), a backslash escapes the next
    character. Words are rewritten in place, so each ends with a NUL."""
    argc: u32 = 0
    i: usize = 0
    while True:
        while text[i] == ord(" "):
            i += 1
        if text[i] == 0 or argc == MAX_ARGS:
            break
        out[argc] = text + i
        argc += 1
        w: usize = i  # where the word's next character is written
        quote: u8 = 0
        while text[i] != 0 and (quote != 0 or text[i] != ord(" ")):
            c: u8 = text[i]
            if quote != 0 and c == quote:
                quote = 0
            elif quote == 0 and (c == ord("'") or c == ord('"')):
                quote = c
            elif quote == 0 and c == ord("\\") and text[i + 1] != 0:
                i += 1
                text[w] = text[i]
                w += 1
            else:
                text[w] = c
                w += 1
            i += 1
        ended: bool = text[i] == 0
        text[w] = 0
        if ended:
            break
        i += 1
    return argc


def expand(text: Ptr[u8], out: Ptr[u8], cap: usize) -> None:
    """Copy text to out with `$?` replaced by the last command's status, except inside '...' or
    after a backslash, as a POSIX shell does; cut to fit cap."""
    digits: Array[u8, 24] = Array[u8, 24]()
    n: usize = fmt_u64(addr(digits), usize(23), u64(status.last), u32(10), u32(0), u8(0x20))
    i: usize = 0
    at: usize = 0
    quote: u8 = 0
    while text[i] != 0 and at + 1 < cap:
        c: u8 = text[i]
        if quote == 0 and c == ord("\\") and text[i + 1] != 0:
            out[at] = c
            out[at + 1] = text[i + 1]
            at += 2
            i += 2
            continue
        if c == ord("'") and quote != ord('"'):
            quote = ord("'") if quote == 0 else u8(0)
        elif c == ord('"') and quote != ord("'"):
            quote = ord('"') if quote == 0 else u8(0)
        if c == ord("$") and text[i + 1] == ord("?") and quote != ord("'") and at + n < cap:
            for k in range(n):
                out[at + k] = digits[k]
            at += n
            i += 2
            continue
        out[at] = c
        at += 1
        i += 1
    if at >= cap:
        at = cap - 1
    out[at] = 0


def cmd_help(argc: u32, args: Ptr[Ptr[u8]]) -> None:
    for i in range(command_count):
        console.puts(b"  ")
        console.puts(commands[i].name)
        n: usize = cstr.length(commands[i].name)
        console.puts(b" ")  # at least one space, however long the name
        while n < 11:
            console.puts(b" ")
            n += 1
        console.puts(commands[i].help)
        console.puts(b"\n")


def init() -> None:
    register(b"help", b"list commands", cmd_help)
    register(b"echo", b"print the arguments", machine.cmd_echo)
    register(b"mem", b"free physical frames and heap use", machine.cmd_mem)
    register(b"uptime", b"time since boot", machine.cmd_uptime)
    register(b"dmesg", b"the kernel log: boot messages, system calls programs asked for in vain", machine.cmd_dmesg)
    register(b"ls", b"ls [-l] [PATH]: list a directory", files.cmd_ls)
    register(b"cd", b"cd [PATH]: change directory", files.cmd_cd)
    register(b"pwd", b"print the current directory", files.cmd_pwd)
    register(b"cat", b"cat PATH...: print files", files.cmd_cat)
    register(b"mkdir", b"mkdir PATH...: make directories", files.cmd_mkdir)
    register(b"rm", b"rm [-r] PATH...: remove files and directories", files.cmd_rm)
    register(b"write", b"write PATH TEXT...: write a line to a file", files.cmd_write)
    register(b"mount", b"list mounted filesystems", files.cmd_mount)
    register(b"tar", b"tar ARCHIVE [DEST]: unpack a tar archive", files.cmd_tar)
    register(b"sync", b"write cached disk sectors back", machine.cmd_sync)
    register(b"run", b"run PATH [ARGS...]: run a Linux program on the console and wait for it", processes.cmd_run)
    register(b"ps", b"list processes and their containers", processes.cmd_ps)
    register(b"oci-runtime", b"oci-runtime OPERATION ...: manage containers (usage: oci-runtime)",
             containers.cmd_oci_runtime)
    register(b"cp", b"cp SOURCE DEST: copy a file (ID:PATH is a path in container ID)", files.cmd_cp)
    register(b"ifconfig", b"the network interface: addresses and counters", network.cmd_ifconfig)
    register(b"netstat", b"TCP connections and listeners, UDP ports", network.cmd_netstat)
    register(b"poweroff", b"sync and power the machine off (ACPI S5)", machine.cmd_poweroff)
    register(b"fault", b"(testing) fault on purpose to show a kernel panic", machine.cmd_fault)


def execute(text: Ptr[u8]) -> None:
    """Run one command line; its status is what $? shows next (an empty line keeps the last)."""
    argc: u32 = split(text, addr(argv))
    if argc == 0:
        return
    status.begin()
    found: bool = False
    for i in range(command_count):
        if not found and cstr.equal(argv[0], commands[i].name):
            commands[i].run(argc, addr(argv))
            found = True
    if not found:
        console.puts(argv[0])
        console.puts(b": command not found (type `help`)\n")
        status.fail(u32(127))
    status.end()


def run() -> None:
    files.init()  # the shell starts in the host root
    while True:
        processes.reap_orphans()
        lineedit.read_line(b"$ ", addr(line), ldisc.read_byte)
        expand(addr(line), addr(expanded), usize(lineedit.MAX_LINE))
        execute(addr(expanded))
