"""Readiness of open files, for poll and select.

A file's readiness comes from its inode's `poll` operation (POLL* bits for an open file with the
given flags); a NULL operation means "always readable and writable", as regular files are on Linux.
Every source of readiness (pipes; later terminals and sockets) calls notify() after each state
change: it wakes every task sleeping in poll or select, which then scans its descriptors again.
"""
from cyrius.lang import NULL, Final, Ptr, addr, i64, u32, u64

from ..platform import clock
from .. import errno
from ..proc import process, sched
from ..proc.task import WaitQueue
from . import file, vfs

POLLIN: Final = 0x1
POLLPRI: Final = 0x2
POLLOUT: Final = 0x4
POLLERR: Final = 0x8
POLLHUP: Final = 0x10
POLLNVAL: Final = 0x20
POLLRDNORM: Final = 0x40
POLLRDBAND: Final = 0x80
POLLWRNORM: Final = 0x100
POLLWRBAND: Final = 0x200
POLLRDHUP: Final = 0x2000
READABLE: Final = POLLIN | POLLRDNORM
WRITABLE: Final = POLLOUT | POLLWRNORM

poll_waiters: WaitQueue = WaitQueue()
changes: u32 = 0  # how many times notify() ran: an EPOLLET entry is reported again after one (epoll.py)


def notify() -> None:
    """Something may have become ready: every poll/select sleeper scans again."""
    global changes
    changes += 1
    sched.wake_all(addr(poll_waiters))


def events(f: Ptr[file.File]) -> u32:
    """What f is ready for now (POLL* bits)."""
    node: Ptr[vfs.Inode] = f.inode
    if f.ops.poll == NULL:
        return u32(READABLE | WRITABLE)
    return f.ops.poll(node, f.flags)


def wait_step(deadline_ns: u64, timed: bool) -> i64:
    """After a scan (with interrupts off, see irq.save) found nothing ready: 0 once the deadline has
    passed, -ERESTARTNOHAND if a signal is pending, otherwise sleep until some state changes or the deadline
    comes, and 1: scan again."""
    if timed and clock.now_ns() >= deadline_ns:
        return 0
    if process.signal_waiting(process.current()):
        return -errno.ERESTARTNOHAND
    sched.block_on(addr(poll_waiters), deadline_ns if timed else u64(0))
    return 1
