"""epoll instances: an interest list of (descriptor, open file, events, data), as an open file.

Readiness is level-triggered and computed by scanning, like poll: each entry's file is asked
through fs/poll.events(). The list holds no reference on the files it watches (on Linux closing
the last descriptor of a file removes it from every epoll set); instead an entry is live only while
its descriptor still refers to the same open file (same serial: a new file may reuse the address)
in the scanning process, and stale entries are dropped when found.
EPOLLET reports a ready entry once, and again only after some readiness source changed
(poll.changes moved: data came or went, an end closed) or one of its events became ready that was
not: a program that reads until EAGAIN, as edge-triggered programs must, sees Linux's behaviour,
and an always-writable socket no longer keeps an edge-triggered waiter (Go's netpoller) spinning.
Unlike Linux, a change of another file is also taken as an edge (a spurious wake-up, which
edge-triggered programs must tolerate). EPOLLONESHOT disarms an entry once it reported.
"""
from cyrius.lang import NULL, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u32, u64, usize

from .. import errno
from ..mm.heap import kalloc, kfree
from ..proc import process
from ..proc.task import Process
from . import file, poll, vfs

EPOLLIN: Final = 0x1
EPOLLOUT: Final = 0x4
EPOLLERR: Final = 0x8
EPOLLHUP: Final = 0x10
EPOLLEXCLUSIVE: Final = 1 << 28
EPOLLWAKEUP: Final = 1 << 29
EPOLLONESHOT: Final = 1 << 30
EPOLLET: Final = 1 << 31
ALWAYS: Final = EPOLLERR | EPOLLHUP  # reported whether asked for or not
CTL_ADD: Final = 1
CTL_DEL: Final = 2
CTL_MOD: Final = 3
MAX_ENTRIES: Final = 4096


@struct
class Interest:
    fd: i32
    watched: Ptr[file.File]  # not referenced: compared with the descriptor's file before any use
    serial: u64  # watched's serial when it was added
    events: u32
    data: u64
    disarmed: bool  # EPOLLONESHOT fired; EPOLL_CTL_MOD arms it again
    seen: u32  # EPOLLET: the events ready when the entry was last looked at ...
    seen_changes: u32  # ... and poll.changes then
    next: Ptr["Interest"]


@struct
class EpollSet:
    first: Ptr[Interest]
    count: u32


@struct
class Event:
    """struct epoll_event: packed on x86_64 (12 bytes)."""
    events: u32
    data_low: u32
    data_high: u32


ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0


def init() -> None:
    global dev
    ops.poll = poll_self
    ops.release = release
    dev = vfs.new_dev()


def is_epoll(f: Ptr[file.File]) -> bool:
    return f.inode.ops == addr(ops)


def set_of(node: Ptr[vfs.Inode]) -> Ptr[EpollSet]:
    return cast(Ptr[EpollSet], node.private)


def create(uid: u32, gid: u32, out: Ptr[Ptr[file.File]]) -> i64:
    """A new, empty epoll instance as an open file (one reference)."""
    es: Ptr[EpollSet] = cast(Ptr[EpollSet], kalloc(usize(sizeof(EpollSet))))
    if es == NULL:
        return -errno.ENOMEM
    node: Ptr[vfs.Inode] = vfs.new_anon(addr(ops), u32(0o600), dev, cast(Ptr[None], es))
    if node == NULL:
        kfree(cast(Ptr[None], es))
        return -errno.ENOMEM
    node.uid = uid
    node.gid = gid
    return file.wrap(node, u32(file.O_RDWR), out)


def release(node: Ptr[vfs.Inode]) -> None:
    es: Ptr[EpollSet] = set_of(node)
    while es.first != NULL:
        gone: Ptr[Interest] = es.first
        es.first = gone.next
        kfree(cast(Ptr[None], gone))
    kfree(cast(Ptr[None], es))


def find(es: Ptr[EpollSet], fd: i32, watched: Ptr[file.File]) -> Ptr[Interest]:
    e: Ptr[Interest] = es.first
    while e != NULL:
        if e.fd == fd and e.watched == watched and e.serial == watched.serial:
            return e
        e = e.next
    return NULL


def live(e: Ptr[Interest], p: Ptr[Process]) -> bool:
    """e's descriptor in p still refers to the very file that was added (only then is e.watched
    safe to use)."""
    f: Ptr[file.File] = process.fd_get(p, i64(e.fd))
    return f != NULL and f == e.watched and f.serial == e.serial


def control(ep: Ptr[file.File], op: u32, fd: i32, target: Ptr[file.File], events: u32, data: u64) -> i64:
    """epoll_ctl after its descriptors were checked: add, change or remove target's entry."""
    es: Ptr[EpollSet] = set_of(ep.inode)
    drop_stale(es, process.current())
    e: Ptr[Interest] = find(es, fd, target)
    if op == CTL_DEL:
        if e == NULL:
            return -errno.ENOENT
        unlink(es, e)
        return 0
    if op != CTL_ADD and op != CTL_MOD:
        return -errno.EINVAL
    if target.ops.poll == NULL:
        return -errno.EPERM  # regular files and directories are always ready: Linux refuses them
    if is_epoll(target):
        return -errno.EINVAL  # nesting is not supported
    if op == CTL_MOD:
        if e == NULL:
            return -errno.ENOENT
        if (e.events & EPOLLEXCLUSIVE) != 0:
            return -errno.EINVAL
    else:
        if e != NULL:
            return -errno.EEXIST
        if es.count >= MAX_ENTRIES:
            return -errno.ENOSPC
        e = cast(Ptr[Interest], kalloc(usize(sizeof(Interest))))
        if e == NULL:
            return -errno.ENOMEM
        e.fd = fd
        e.watched = target
        e.serial = target.serial
        e.next = es.first
        es.first = e
        es.count += 1
    e.events = events
    e.data = data
    e.disarmed = False
    e.seen = 0
    e.seen_changes = poll.changes
    poll.notify()  # a waiter may now have something to report
    return 0


def unlink(es: Ptr[EpollSet], gone: Ptr[Interest]) -> None:
    if es.first == gone:
        es.first = gone.next
    else:
        e: Ptr[Interest] = es.first
        while e.next != gone:
            e = e.next
        e.next = gone.next
    es.count -= 1
    kfree(cast(Ptr[None], gone))


def drop_stale(es: Ptr[EpollSet], p: Ptr[Process]) -> None:
    """Forget entries whose descriptor was closed or now names another file."""
    e: Ptr[Interest] = es.first
    while e != NULL:
        after: Ptr[Interest] = e.next
        if not live(e, p):
            unlink(es, e)
        e = after


def ready_mask(e: Ptr[Interest]) -> u32:
    if e.disarmed:
        return 0
    return poll.events(e.watched) & ((e.events & ~u32(EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE))
                                     | ALWAYS)


def edge(e: Ptr[Interest], mask: u32) -> bool:
    """Whether ready events `mask` are to be reported: any, or for EPOLLET some not seen before or
    any after a change."""
    if mask == 0 or (e.events & EPOLLET) == 0:
        return mask != 0
    return (mask & ~e.seen) != 0 or e.seen_changes != poll.changes


def collect(ep: Ptr[file.File], out: Ptr[Event], max_events: u32) -> u32:
    """Fill out[] with up to max_events ready entries (with interrupts off); how many."""
    es: Ptr[EpollSet] = set_of(ep.inode)
    drop_stale(es, process.current())
    n: u32 = 0
    e: Ptr[Interest] = es.first
    while e != NULL and n < max_events:
        mask: u32 = ready_mask(e)
        report: bool = edge(e, mask)
        e.seen = mask
        e.seen_changes = poll.changes
        if report:
            (out + n).events = mask
            (out + n).data_low = u32(e.data & 0xFFFFFFFF)
            (out + n).data_high = u32(e.data >> 32)
            n += 1
            if (e.events & EPOLLONESHOT) != 0:
                e.disarmed = True
        e = e.next
    return n


def poll_self(node: Ptr[vfs.Inode], flags: u32) -> u32:
    """An epoll file is readable while any of its entries is ready (for poll/select on it)."""
    es: Ptr[EpollSet] = set_of(node)
    e: Ptr[Interest] = es.first
    p: Ptr[Process] = process.current()
    while e != NULL:
        if live(e, p) and edge(e, ready_mask(e)):
            return u32(poll.READABLE)
        e = e.next
    return 0

