"""A detached container's log: what its processes write to stdout and stderr, kept in kernel
memory in a bounded ring (LOG_SIZE bytes; when full, the oldest bytes are dropped and counted),
as conmon's log file is for podman.

The log is an anonymous inode (S_IFIFO, as the pipe a container runtime would give) whose open
Files are the container's fds 1 and 2; reading it gives end of file, so the same inode opened for
reading serves as stdin (/dev/null's behaviour). Positions are absolute: `written` counts every
byte ever appended, and a reader keeps the position it has printed up to (`oci-runtime logs -f`).
The ring goes with the inode's last reference (the container's and its processes' Files).
"""
from cyrius.lang import NULL, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from ..fs import file, vfs
from ..mm.heap import kalloc, kfree

LOG_SIZE: Final = 65536


@struct
class LogRing:
    data: Ptr[u8]  # cap bytes; byte number n (counting from the first ever written) is at n % cap
    cap: u32
    written: u64  # bytes appended so far


@struct
class Cursor:
    """A reader's place in a log (CONTAINER_LOGS): pos is advanced over what was read; skipped
    counts bytes that were dropped before the reader got to them."""
    pos: u64
    skipped: u64


ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0


def ring_init(r: Ptr[LogRing], data: Ptr[u8], cap: u32) -> None:
    r.data = data
    r.cap = cap
    r.written = 0


def oldest(r: Ptr[LogRing]) -> u64:
    """The position of the oldest byte still held."""
    if r.written > u64(r.cap):
        return r.written - u64(r.cap)
    return 0


def append(r: Ptr[LogRing], buf: Ptr[u8], count: usize) -> None:
    """Add count bytes; the oldest go when the ring is full."""
    cap: u64 = u64(r.cap)
    if u64(count) > cap:  # only the last cap bytes can stay
        r.written += u64(count) - cap
        buf = buf + (u64(count) - cap)
        count = usize(cap)
    while count > 0:
        at: u64 = r.written % cap
        n: u64 = cap - at
        if n > u64(count):
            n = u64(count)
        memcpy(cast(Ptr[None], r.data + at), cast(Ptr[None], buf), usize(n))
        r.written += n
        buf = buf + n
        count -= usize(n)


def read(r: Ptr[LogRing], c: Ptr[Cursor], out: Ptr[u8], cap: usize) -> usize:
    """Copy up to cap bytes from c.pos on (from the oldest held if those are gone); advance c."""
    first: u64 = oldest(r)
    if c.pos < first:
        c.skipped += first - c.pos
        c.pos = first
    if c.pos > r.written:
        c.pos = r.written
    n: usize = 0
    while n < cap and c.pos < r.written:
        at: u64 = c.pos % u64(r.cap)
        run: u64 = u64(r.cap) - at
        if run > r.written - c.pos:
            run = r.written - c.pos
        if run > u64(cap - n):
            run = u64(cap - n)
        memcpy(cast(Ptr[None], out + n), cast(Ptr[None], r.data + at), usize(run))
        n += usize(run)
        c.pos += run
    return n


# --- the inode ------------------------------------------------------------------------------------

def stream_write(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    r: Ptr[LogRing] = cast(Ptr[LogRing], node.private)
    if r != NULL:
        append(r, buf, count)
    return i64(count)


def stream_read(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    return 0  # end of file: the log is stdin of nobody


def release(node: Ptr[vfs.Inode]) -> None:
    r: Ptr[LogRing] = cast(Ptr[LogRing], node.private)
    if r != NULL:
        kfree(cast(Ptr[None], r.data))
        kfree(cast(Ptr[None], r))


def init() -> None:
    global dev
    ops.stream_read = stream_read
    ops.stream_write = stream_write
    ops.release = release
    dev = vfs.new_dev()


def ring_of(node: Ptr[vfs.Inode]) -> Ptr[LogRing]:
    return cast(Ptr[LogRing], node.private)


def new_log(with_ring: bool) -> Ptr[vfs.Inode]:
    """A log inode (one reference) with a LOG_SIZE ring, or without one (writes are discarded:
    an end-of-file stdin); NULL when memory is short."""
    r: Ptr[LogRing] = NULL
    if with_ring:
        r = cast(Ptr[LogRing], kalloc(usize(sizeof(LogRing))))
        data: Ptr[u8] = cast(Ptr[u8], kalloc(usize(LOG_SIZE)))
        if r == NULL or data == NULL:
            kfree(cast(Ptr[None], r))
            kfree(cast(Ptr[None], data))
            return NULL
        ring_init(r, data, u32(LOG_SIZE))
    node: Ptr[vfs.Inode] = vfs.new_anon(addr(ops), u32(vfs.S_IFIFO | 0o600), dev, cast(Ptr[None], r))
    if node == NULL and r != NULL:
        kfree(cast(Ptr[None], r.data))
        kfree(cast(Ptr[None], r))
    return node


def open_file(node: Ptr[vfs.Inode], flags: u32, out: Ptr[Ptr[file.File]]) -> i64:
    """An open File on the log (its own reference to node)."""
    if node == NULL:
        return -errno.ENOMEM
    return file.wrap(vfs.get(node), flags, out)


def open_null(out: Ptr[Ptr[file.File]]) -> i64:
    """A File reading end of file and discarding writes (a ringless log): exec's stdin."""
    node: Ptr[vfs.Inode] = new_log(False)
    if node == NULL:
        return -errno.ENOMEM
    return file.wrap(node, u32(file.O_RDONLY), out)
