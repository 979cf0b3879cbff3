"""eventfd: a 64-bit counter as a file. write adds to it, read takes it (or, with EFD_SEMAPHORE,
takes one), both 8 bytes at a time; read waits while it is 0 and write while adding would pass
COUNTER_MAX, unless the file is non-blocking. Event loops poll it: readable while non-zero.
"""
from cyrius.lang import NULL, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize

from .. import errno
from ..arch.x86_64 import irq
from ..mm.heap import kfree
from ..proc import process, sched
from ..proc.task import WaitQueue
from . import file, poll, vfs

EFD_SEMAPHORE: Final = 1
COUNTER_MAX: Final = 0xFFFFFFFFFFFFFFFE


@struct
class Counter:
    value: u64
    semaphore: bool
    waiters: WaitQueue  # readers waiting for a non-zero value, writers for room


ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0


def init() -> None:
    global dev
    ops.stream_read = read
    ops.stream_write = write
    ops.poll = poll_events
    ops.release = release
    dev = vfs.new_dev()


def counter_of(node: Ptr[vfs.Inode]) -> Ptr[Counter]:
    return cast(Ptr[Counter], node.private)


def create(initial: u32, semaphore: bool, nonblock: bool, out: Ptr[Ptr[file.File]]) -> i64:
    c: Ptr[Counter] = cast(Ptr[Counter], file.open_anonymous(addr(ops), dev, u64(sizeof(Counter)), u32(file.O_RDWR),
                                                             nonblock, out))
    if c == NULL:
        return -errno.ENOMEM
    c.value = u64(initial)
    c.semaphore = semaphore
    return 0


def release(node: Ptr[vfs.Inode]) -> None:
    kfree(node.private)


def wait_or_fail(c: Ptr[Counter], flags: u32) -> i64:
    """The counter is not ready (interrupts off): -EAGAIN, -EINTR, or 0 after sleeping."""
    if (flags & file.O_NONBLOCK) != 0:
        return -errno.EAGAIN
    if process.signal_waiting(process.current()):
        return -errno.ERESTARTSYS
    sched.block_on(addr(c.waiters), u64(0))
    return 0


def changed(c: Ptr[Counter]) -> None:
    sched.wake_all(addr(c.waiters))
    poll.notify()


def read(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    if count < 8:
        return -errno.EINVAL
    c: Ptr[Counter] = counter_of(node)
    while True:
        saved: u64 = irq.save()
        if c.value > 0:
            taken: u64 = c.value
            if c.semaphore:
                taken = 1
            c.value -= taken
            irq.restore(saved)
            cast(Ptr[u64], buf)[0] = taken
            changed(c)
            return 8
        err: i64 = wait_or_fail(c, flags)
        irq.restore(saved)
        if err < 0:
            return err


def write(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    if count < 8:
        return -errno.EINVAL
    add: u64 = cast(Ptr[u64], buf)[0]
    if add > COUNTER_MAX:
        return -errno.EINVAL
    c: Ptr[Counter] = counter_of(node)
    while True:
        saved: u64 = irq.save()
        if COUNTER_MAX - c.value >= add:
            c.value += add
            irq.restore(saved)
            changed(c)
            return 8
        err: i64 = wait_or_fail(c, flags)
        irq.restore(saved)
        if err < 0:
            return err


def poll_events(node: Ptr[vfs.Inode], flags: u32) -> u32:
    c: Ptr[Counter] = counter_of(node)
    mask: u32 = 0
    if c.value > 0:
        mask |= poll.READABLE
    if c.value < COUNTER_MAX:
        mask |= poll.WRITABLE
    return mask
