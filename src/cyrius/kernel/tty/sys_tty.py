"""The console terminal as Linux programs see it: read/write through the line discipline
(ldisc.py), the termios and job-control ioctls, and signals to the foreground process group."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from . import ldisc
from ..fs import devfs
from ..mm import uaccess
from ..proc import process, signal, task
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


def console_read(buf: Ptr[u8], count: usize) -> i64:
    return ldisc.read(buf, count, interrupted)


def signal_group(pgid: u32, sig: u32) -> None:
    p: Ptr[Process] = process.table
    while p != NULL:
        if p.pgid == pgid and p.abi == task.ABI_LINUX:
            signal.send(p, sig)
        p = p.next_in_table


def group_exists(pgid: u32, sid: u32) -> bool:
    p: Ptr[Process] = process.table
    while p != NULL:
        if p.pgid == pgid and p.sid == sid and p.state == task.PROC_ALIVE:
            return True
        p = p.next_in_table
    return False


def ioctl(request: u64, arg: u64) -> i64:
    """An ioctl on the console terminal."""
    p: Ptr[Process] = process.current()
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
        if p.sid != ldisc.session:
            return -errno.ENOTTY
        if not group_exists(box[0], p.sid):
            return -errno.EPERM
        ldisc.foreground = box[0]
        return 0
    if request == TIOCGSID:
        if p.sid != ldisc.session:
            return -errno.ENOTTY
        return uaccess.put_u32(p.space, arg, ldisc.session)
    if request == TIOCSCTTY:
        if p.sid != p.pid:
            return -errno.EPERM
        ldisc.session = p.sid
        ldisc.foreground = p.pgid
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
    devfs.terminal_write = ldisc.write
    ldisc.signal_group = signal_group
