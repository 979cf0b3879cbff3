"""The console terminal as Linux programs see it: read/write through the line discipline
(ldisc.py), the termios and job-control ioctls, and signals to the foreground process group.

Job control as Linux's tty layer does it: a process of the terminal's session outside its
foreground group that reads, or changes the terminal's settings or foreground group, or writes
while TOSTOP is set, gets SIGTTIN (reads) or SIGTTOU (the others) sent to its whole group and the
call restarts once it is continued. If it ignores or blocks that signal, a read fails with EIO and
the others go ahead (which is how a shell takes the terminal back from a stopped job)."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from . import ldisc
from ..fs import devfs
from ..mm import uaccess
from ..proc import process, sched, signal, task
from ..proc.task import Process

TCGETS: Final = 0x5401
TCSETS: Final = 0x5402
TCSETSW: Final = 0x5403
TCSETSF: Final = 0x5404
TCFLSH: Final = 0x540B
TIOCSCTTY: Final = 0x540E
TIOCGPGRP: Final = 0x540F
TIOCSPGRP: Final = 0x5410
TIOCGWINSZ: Final = 0x5413
TIOCSWINSZ: Final = 0x5414
FIONREAD: Final = 0x541B
TIOCNOTTY: Final = 0x5422
TIOCGSID: Final = 0x5429


def interrupted() -> bool:
    return process.signal_waiting(process.current())


def background_check(sig: u32) -> i64:
    """0 if the caller may use the terminal now; else SIGTTIN/SIGTTOU to its group (-ERESTARTSYS),
    or -EIO for a read that may not stop."""
    p: Ptr[Process] = process.current()
    if not in_terminal_session(p) or p.pgid == ldisc.foreground or ldisc.foreground == 0:
        return 0
    if signal.ignored(p, sig) or (sched.current.sig_blocked & signal.bit(sig)) != 0:
        return -errno.EIO if sig == signal.SIGTTIN else i64(0)
    signal_group(p.pgid, sig)
    return -errno.ERESTARTSYS


def console_read(buf: Ptr[u8], count: usize) -> i64:
    r: i64 = background_check(u32(signal.SIGTTIN))
    if r < 0:
        return r
    return ldisc.read(buf, count, interrupted)


def console_write(buf: Ptr[u8], count: usize) -> i64:
    if (ldisc.termios.lflag & ldisc.TOSTOP) != 0:
        r: i64 = background_check(u32(signal.SIGTTOU))
        if r < 0:
            return r
    ldisc.write(buf, count)
    return i64(count)


def changes_terminal(request: u64) -> bool:
    return (request == TCSETS or request == TCSETSW or request == TCSETSF or request == TIOCSPGRP
            or request == TIOCSWINSZ or request == TCFLSH)


def in_terminal_session(p: Ptr[Process]) -> bool:
    """The terminal is p's controlling terminal: p is of the session that owns it."""
    return ldisc.session != 0 and p.sid == ldisc.session and p.container == ldisc.world


def signal_group(pgid: u32, sig: u32) -> None:
    """sig for process group pgid of the terminal's pid namespace."""
    p: Ptr[Process] = process.table
    while p != NULL:
        if p.pgid == pgid and p.container == ldisc.world and p.abi == task.ABI_LINUX:
            signal.send(p, sig)
        p = p.next_in_table





def ioctl(request: u64, arg: u64) -> i64:
    """An ioctl on the console terminal."""
    p: Ptr[Process] = process.current()
    if changes_terminal(request):
        r: i64 = background_check(u32(signal.SIGTTOU))
        if r < 0:
            return r
    if request == TCGETS:
        if uaccess.copy_out(p.space, arg, cast(Ptr[u8], addr(ldisc.termios)), u64(sizeof(ldisc.Termios))) < 0:
            return -errno.EFAULT
        return 0
    if request == TCSETS or request == TCSETSW or request == TCSETSF:
        fresh: ldisc.Termios = ldisc.Termios()
        if uaccess.copy_in(p.space, cast(Ptr[u8], addr(fresh)), arg, u64(sizeof(ldisc.Termios))) < 0:
            return -errno.EFAULT
        memcpy(cast(Ptr[None], addr(ldisc.termios)), cast(Ptr[None], addr(fresh)), usize(sizeof(ldisc.Termios)))
        if request == TCSETSF:
            ldisc.flush_input()
        return 0
    if request == TIOCGWINSZ:
        if uaccess.copy_out(p.space, arg, cast(Ptr[u8], addr(ldisc.winsize)), u64(sizeof(ldisc.WinSize))) < 0:
            return -errno.EFAULT
        return 0
    if request == TIOCSWINSZ:
        size: ldisc.WinSize = ldisc.WinSize()
        if uaccess.copy_in(p.space, cast(Ptr[u8], addr(size)), arg, u64(sizeof(ldisc.WinSize))) < 0:
            return -errno.EFAULT
        memcpy(cast(Ptr[None], addr(ldisc.winsize)), cast(Ptr[None], addr(size)), usize(sizeof(ldisc.WinSize)))
        if ldisc.foreground != 0:
            signal_group(ldisc.foreground, u32(signal.SIGWINCH))
        return 0
    if request == TIOCGPGRP:
        return uaccess.put_u32(p.space, arg, ldisc.foreground)
    if request == TIOCSPGRP:
        box: Array[u32, 1] = Array[u32, 1]()
        if uaccess.copy_in(p.space, cast(Ptr[u8], addr(box)), arg, u64(4)) < 0:
            return -errno.EFAULT
        if not in_terminal_session(p):
            return -errno.ENOTTY
        if not process.group_in_session(p, box[0]):
            return -errno.EPERM
        ldisc.foreground = box[0]
        return 0
    if request == TIOCGSID:
        if not in_terminal_session(p):
            return -errno.ENOTTY
        return uaccess.put_u32(p.space, arg, ldisc.session)
    if request == TIOCSCTTY:
        if p.sid != p.vpid:
            return -errno.EPERM
        ldisc.session = p.sid
        ldisc.foreground = p.pgid
        ldisc.world = p.container
        return 0
    if request == TIOCNOTTY:
        return 0
    if request == FIONREAD:
        return uaccess.put_u32(p.space, arg, u32(0) if not ldisc.readable() else u32(1))
    if request == TCFLSH:
        ldisc.flush_input()
        return 0
    return -errno.ENOTTY


def init() -> None:
    devfs.terminal_read = console_read
    devfs.terminal_write = console_write
    ldisc.signal_group = signal_group
