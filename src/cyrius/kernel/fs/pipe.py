"""Pipes: an inode of its own kind (S_IFIFO) whose data is a 64 KiB ring of pages.

pipe2() makes one inode and two Files on it, a read end and a write end. The pipe counts the open
Files of each kind (dup and fork share a File, so they do not count); file.close tells it through
InodeOps.close_file. Semantics are Linux's:
* read returns what is there (up to the count); while the pipe is empty it blocks if a writer
  remains, and returns 0 (end of file) once none does;
* write blocks while the pipe is full; a write of at most PIPE_BUF bytes goes in whole or not at all,
  a larger one may be split; with no reader left it fails with EPIPE and the writer gets SIGPIPE;
* O_NONBLOCK turns every wait into EAGAIN (or a short count once something was transferred);
* a wait ends with -ERESTARTSYS (EINTR, or a restart under SA_RESTART) when a signal arrives
  before anything was transferred.
Ring pages are allocated on first use and freed with the inode.

Named FIFOs (mknod S_IFIFO, in memfs) share the same Pipe: the first open makes it (`open_fifo`,
through file.fifo_open) and the last close of an opener frees it (`close_file`), as Linux's
i_pipe. Opening waits as Linux's fifo_open does: O_RDONLY until a writer has opened (O_NONBLOCK:
not at all), O_WRONLY until a reader has (O_NONBLOCK with no reader: ENXIO), O_RDWR never. A
waiting open watches the counts of opens of the other side, so a partner that opened and closed
again at once still lets it go; a signal ends the wait with -ERESTARTSYS. A FIFO's reader sees
POLLHUP only once a writer has opened it (Linux compares counts per open file; here they start
again with each new pipe, which the FIFO gets once its openers are all gone).
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from ..arch.x86_64 import irq
from ..mm import frames, phys
from ..mm.heap import kalloc, kfree
from ..proc import process, sched, signal
from ..proc.task import WaitQueue
from . import file, poll, vfs
from ..mm.phys import PAGE

PIPE_SIZE: Final = 65536
PIPE_BUF: Final = 4096  # writes up to this size are atomic
PAGES: Final = PIPE_SIZE // PAGE
SIGPIPE: Final = 13


@struct
class Pipe:
    pages: Array[u64, PAGES]  # physical addresses of the ring's pages (0: not allocated yet)
    head: u32  # ring offset of the first unread byte
    count: u32  # unread bytes
    readers: u32  # open Files that read
    writers: u32  # open Files that write
    read_wait: WaitQueue  # readers sleep here while the pipe is empty
    write_wait: WaitQueue  # writers sleep here while it is full
    fifo: bool  # a named FIFO's: freed by the last close of an opener, not with the inode
    opens: u32  # a FIFO's open Files
    read_opens: u32  # a FIFO's opens for reading so far (a waiting writer's open watches it)
    write_opens: u32  # and for writing
    open_wait: WaitQueue  # FIFO opens waiting for the other side


ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0


def init() -> None:
    """The pipe operation table and the device number every pipe reports (pipefs)."""
    global dev
    ops.stream_read = read
    ops.stream_write = write
    ops.poll = poll_events
    ops.close_file = close_file
    ops.release = release
    dev = vfs.new_dev()
    file.fifo_open = open_fifo


def is_pipe(f: Ptr[file.File]) -> bool:
    """An end of a pipe or of a named FIFO."""
    return f.ops == addr(ops)


def pipe_of(node: Ptr[vfs.Inode]) -> Ptr[Pipe]:
    return cast(Ptr[Pipe], node.pipe)


def create(flags: u32, uid: u32, gid: u32, out: Ptr[Ptr[file.File]]) -> i64:
    """A new pipe: out[0] its read end, out[1] its write end (one reference each). Of flags only
    O_NONBLOCK matters here (O_CLOEXEC belongs to the descriptors)."""
    pp: Ptr[Pipe] = cast(Ptr[Pipe], kalloc(usize(sizeof(Pipe))))
    if pp == NULL:
        return -errno.ENFILE
    node: Ptr[vfs.Inode] = vfs.new_anon(addr(ops), u32(vfs.S_IFIFO | 0o600), dev, cast(Ptr[None], pp))
    if node == NULL:
        kfree(cast(Ptr[None], pp))
        return -errno.ENFILE
    node.pipe = cast(Ptr[None], pp)
    node.uid = uid
    node.gid = gid
    now: u64 = vfs.now_ns()
    node.atime_ns = now
    node.mtime_ns = now
    node.ctime_ns = now
    pp.readers = 1
    pp.writers = 1
    nonblock: u32 = flags & file.O_NONBLOCK
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    err: i64 = file.wrap(vfs.get(node), u32(file.O_RDONLY) | nonblock, addr(slot))
    if err < 0:
        vfs.put(node)
        return err
    out[0] = slot[0]
    err = file.wrap(node, u32(file.O_WRONLY) | nonblock, addr(slot))
    if err < 0:
        pp.writers = 0
        file.close(out[0])
        return err
    out[1] = slot[0]
    return 0


def available(node: Ptr[vfs.Inode]) -> u32:
    """Unread bytes (FIONREAD)."""
    return pipe_of(node).count


def page_at(pp: Ptr[Pipe], pos: u32) -> Ptr[u8]:
    """The byte at ring offset pos (its page allocated on demand), or NULL when memory is short."""
    i: u32 = pos // PAGE
    if pp.pages[i] == 0:
        pp.pages[i] = frames.alloc()
        if pp.pages[i] == 0:
            return NULL
    return phys.bytes_at(pp.pages[i]) + (pos % PAGE)


def ring_put(pp: Ptr[Pipe], src: Ptr[u8], n: u32) -> u32:
    """Append n bytes (n <= free space); how many went in (fewer only when memory is short)."""
    done: u32 = 0
    while done < n:
        pos: u32 = (pp.head + pp.count) % PIPE_SIZE
        step: u32 = PAGE - pos % PAGE
        if step > n - done:
            step = n - done
        dst: Ptr[u8] = page_at(pp, pos)
        if dst == NULL:
            break
        memcpy(cast(Ptr[None], dst), cast(Ptr[None], src + done), usize(step))
        pp.count += step
        done += step
    return done


def ring_take(pp: Ptr[Pipe], dst: Ptr[u8], n: u32) -> None:
    """Remove the first n bytes (n <= count) into dst."""
    done: u32 = 0
    while done < n:
        step: u32 = PAGE - pp.head % PAGE
        if step > n - done:
            step = n - done
        src: Ptr[u8] = phys.bytes_at(pp.pages[pp.head // PAGE]) + (pp.head % PAGE)
        memcpy(cast(Ptr[None], dst + done), cast(Ptr[None], src), usize(step))
        pp.head = (pp.head + step) % PIPE_SIZE
        pp.count -= step
        done += step
    if pp.count == 0:
        pp.head = 0


def reads(flags: u32) -> bool:
    return (flags & file.O_ACCMODE) != file.O_WRONLY


def writes(flags: u32) -> bool:
    mode: u32 = flags & file.O_ACCMODE
    return mode == file.O_WRONLY or mode == file.O_RDWR


def interrupted() -> bool:
    return process.signal_waiting(process.current())


def read(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    pp: Ptr[Pipe] = pipe_of(node)
    if count == 0:
        return 0
    while True:
        saved: u64 = irq.save()
        if pp.count > 0:
            n: u32 = pp.count
            if usize(n) > count:
                n = u32(count)
            ring_take(pp, buf, n)
            irq.restore(saved)
            node.atime_ns = vfs.now_ns()
            changed(pp)
            return i64(n)
        if pp.writers == 0:
            irq.restore(saved)
            return 0
        if (flags & file.O_NONBLOCK) != 0:
            irq.restore(saved)
            return -errno.EAGAIN
        if interrupted():
            irq.restore(saved)
            return -errno.ERESTARTSYS
        sched.block_on(addr(pp.read_wait), u64(0))
        irq.restore(saved)


def write(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    pp: Ptr[Pipe] = pipe_of(node)
    if count == 0:
        return 0
    atomic: bool = count <= PIPE_BUF
    done: usize = 0
    result: i64 = 0
    while True:
        saved: u64 = irq.save()
        if pp.readers == 0:
            irq.restore(saved)
            signal.send(process.current(), u32(SIGPIPE))
            result = -errno.EPIPE
            break
        space: usize = usize(PIPE_SIZE - pp.count)
        left: usize = count - done
        if space >= left or (space > 0 and not atomic):
            n: usize = left if left < space else space
            put: u32 = ring_put(pp, buf + done, u32(n))
            irq.restore(saved)
            done += usize(put)
            if put > 0:
                node.mtime_ns = vfs.now_ns()
                node.ctime_ns = node.mtime_ns
                changed(pp)
            if put < u32(n):
                result = -errno.ENOMEM
                break
            if done == count:
                break
            continue
        if (flags & file.O_NONBLOCK) != 0:
            irq.restore(saved)
            result = -errno.EAGAIN
            break
        if interrupted():
            irq.restore(saved)
            result = -errno.ERESTARTSYS
            break
        sched.block_on(addr(pp.write_wait), u64(0))
        irq.restore(saved)
    if done > 0:
        return i64(done)
    return result


def changed(pp: Ptr[Pipe]) -> None:
    """Data or an end came or went: both sides and every poller look again."""
    sched.wake_all(addr(pp.read_wait))
    sched.wake_all(addr(pp.write_wait))
    poll.notify()


def poll_events(node: Ptr[vfs.Inode], flags: u32) -> u32:
    pp: Ptr[Pipe] = pipe_of(node)
    mask: u32 = 0
    if reads(flags):
        if pp.count > 0:
            mask |= poll.READABLE
        if pp.writers == 0 and (not pp.fifo or pp.write_opens > 0):
            mask |= poll.POLLHUP  # a FIFO's reader hangs up only once a writer came and went (Linux)
    if writes(flags):
        if PIPE_SIZE - pp.count >= PIPE_BUF:
            mask |= poll.WRITABLE
        if pp.readers == 0:
            mask |= poll.POLLERR
    return mask


def close_file(node: Ptr[vfs.Inode], flags: u32) -> None:
    pp: Ptr[Pipe] = pipe_of(node)
    if reads(flags) and pp.readers > 0:
        pp.readers -= 1
    if writes(flags) and pp.writers > 0:
        pp.writers -= 1
    if pp.fifo:
        pp.opens -= 1
        if pp.opens == 0:  # nobody left to wake: the FIFO's pipe goes with its last opener
            node.pipe = NULL
            free_pipe(pp)
            poll.notify()
            return
        sched.wake_all(addr(pp.open_wait))
    changed(pp)


def free_pipe(pp: Ptr[Pipe]) -> None:
    for i in range(PAGES):
        if pp.pages[i] != 0:
            frames.free(pp.pages[i])
    kfree(cast(Ptr[None], pp))


def release(node: Ptr[vfs.Inode]) -> None:
    free_pipe(pipe_of(node))


def open_fifo(f: Ptr[file.File]) -> i64:
    """f was just opened on a named FIFO: make it an end of the FIFO's pipe (the first opener makes
    the pipe) and wait for the other side as Linux does. On failure f is as it was."""
    node: Ptr[vfs.Inode] = f.inode
    pp: Ptr[Pipe] = pipe_of(node)
    if pp == NULL:
        pp = cast(Ptr[Pipe], kalloc(usize(sizeof(Pipe))))
        if pp == NULL:
            return -errno.ENOMEM
        pp.fifo = True
        node.pipe = cast(Ptr[None], pp)
    mode: u32 = f.flags & file.O_ACCMODE
    nonblock: bool = (f.flags & file.O_NONBLOCK) != 0
    if mode == file.O_WRONLY and nonblock and pp.readers == 0:
        if pp.opens == 0:
            node.pipe = NULL
            free_pipe(pp)
        return -errno.ENXIO
    pp.opens += 1
    if reads(f.flags):
        pp.readers += 1
        pp.read_opens += 1
    if writes(f.flags):
        pp.writers += 1
        pp.write_opens += 1
    f.ops = addr(ops)
    sched.wake_all(addr(pp.open_wait))
    changed(pp)
    if nonblock or mode == file.O_RDWR:
        return 0
    seen: u32 = pp.write_opens if mode == file.O_RDONLY else pp.read_opens
    while True:
        saved: u64 = irq.save()
        if mode == file.O_RDONLY and (pp.writers > 0 or pp.write_opens != seen):
            irq.restore(saved)
            return 0
        if mode == file.O_WRONLY and (pp.readers > 0 or pp.read_opens != seen):
            irq.restore(saved)
            return 0
        if interrupted():
            irq.restore(saved)
            close_file(node, f.flags)
            f.ops = node.ops
            return -errno.ERESTARTSYS
        sched.block_on(addr(pp.open_wait), u64(0))
        irq.restore(saved)
