"""signalfd: a process's pending signals as a file. A read takes the signals of its mask that are
pending for the reading thread (its own first, then its process's), as struct signalfd_siginfo,
128 bytes each; it waits while there are none (programs block those signals, so they are not
delivered to a handler meanwhile). Readable for poll, select and epoll while one is pending. A
posted signal wakes pollers and readers through process.signal_posted.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u16, u32, u64, usize
from cyrius.rt import memset

from .. import errno
from ..arch.x86_64 import irq
from ..mm.heap import kfree
from ..proc import process, sched, signal
from ..proc.task import Process, Task
from . import file, poll, vfs

SIGINFO_SIZE: Final = 128
SI_KERNEL: Final = 0x80


@struct
class SignalfdSiginfo:  # struct signalfd_siginfo, 128 bytes
    signo: u32
    errno_: u32
    code: u32
    pid: u32
    uid: u32
    fd: u32
    tid: u32
    band: u32
    overrun: u32
    trapno: u32
    status: u32
    int_: u32
    ptr: u64
    utime: u64
    stime: u64
    addr_: u64
    addr_lsb: u16
    pad: u16
    pad2: u32
    rest: Array[u64, 5]


@struct
class Watch:
    mask: u64  # the signals it reports (never SIGKILL or SIGSTOP)


ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0


def init() -> None:
    global dev
    ops.stream_read = read
    ops.poll = poll_events
    ops.release = release
    dev = vfs.new_dev()
    process.signal_posted = poll.notify


def is_signalfd(f: Ptr[file.File]) -> bool:
    return f.inode.ops == addr(ops)


def create(mask: u64, nonblock: bool, out: Ptr[Ptr[file.File]]) -> i64:
    w: Ptr[Watch] = cast(Ptr[Watch], file.open_anonymous(addr(ops), dev, u64(sizeof(Watch)), u32(file.O_RDONLY),
                                                         nonblock, out))
    if w == NULL:
        return -errno.ENOMEM
    w.mask = mask & ~u64(signal.UNBLOCKABLE)
    return 0


def set_mask(f: Ptr[file.File], mask: u64) -> None:
    w: Ptr[Watch] = cast(Ptr[Watch], f.inode.private)
    w.mask = mask & ~u64(signal.UNBLOCKABLE)


def release(node: Ptr[vfs.Inode]) -> None:
    kfree(node.private)


def read(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    if count < SIGINFO_SIZE:
        return -errno.EINVAL
    mask: u64 = cast(Ptr[Watch], node.private).mask
    p: Ptr[Process] = process.current()
    t: Ptr[Task] = sched.current
    done: usize = 0
    while True:
        saved: u64 = irq.save()
        while done + SIGINFO_SIZE <= count:
            sig: u32 = signal.next_waited(t, mask)
            if sig == 0:
                break
            put_info(cast(Ptr[SignalfdSiginfo], buf + done), sig, signal.take(p, t, sig))
            done += SIGINFO_SIZE
        if done > 0:
            irq.restore(saved)
            return i64(done)
        if (flags & file.O_NONBLOCK) != 0:
            irq.restore(saved)
            return -errno.EAGAIN
        if process.signal_waiting(p):
            irq.restore(saved)
            return -errno.ERESTARTSYS
        sched.block_on(addr(poll.poll_waiters), u64(0))
        irq.restore(saved)


def put_info(info: Ptr[SignalfdSiginfo], sig: u32, sender: u32) -> None:
    memset(cast(Ptr[None], info), 0, usize(SIGINFO_SIZE))
    info.signo = sig
    info.pid = sender
    if sender == 0:
        info.code = SI_KERNEL


def poll_events(node: Ptr[vfs.Inode], flags: u32) -> u32:
    if signal.next_waited(sched.current, cast(Ptr[Watch], node.private).mask) != 0:
        return u32(poll.READABLE)
    return 0
