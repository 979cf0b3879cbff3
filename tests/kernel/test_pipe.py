"""Pipes under CPython, driven through fs/pipe.py and fs/file.py: the ring buffer, partial and atomic
writes, end of file, EPIPE with SIGPIPE, O_NONBLOCK, EINTR, readiness bits, and that a closed pipe
gives back every page and heap block. Nothing here blocks: every wait is avoided by O_NONBLOCK,
by the state of the pipe, or by a pending signal (which ends a wait before it starts)."""
import random

import pytest

from cyrius.kernel import errno
from cyrius.kernel.fs import fat32, file, memfs, pipe, poll, vfs
from cyrius.kernel.mm import frames, heap, uspace
from cyrius.kernel.proc import sched, signal
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8, u32, usize

SIGPIPE_BIT = 1 << (signal.SIGPIPE - 1)
SIGUSR1_BIT = 1 << (signal.SIGUSR1 - 1)


@pytest.fixture
def me(current_process):
    """A current process (signals are sent to it) and the pipe and VFS tables."""
    vfs.init(NULL)
    pipe.init()
    return current_process


def make(flags=0, uid=0, gid=0):
    ends = Array[Ptr[file.File], 2]()
    assert pipe.create(u32(flags), u32(uid), u32(gid), addr(ends)) == 0
    return ends[0], ends[1]


def kbuf(data: bytes) -> Ptr:
    p = memory.alloc(max(len(data), 1))
    if data:
        memory.write(p, data)
    return Ptr[u8](p)


def write(f, data: bytes) -> int:
    return int(file.write(f, kbuf(data), usize(len(data))))


def read(f, n: int) -> bytes | int:
    p = memory.alloc(max(n, 1))
    got = int(file.read(f, Ptr[u8](p), usize(n)))
    return got if got < 0 else memory.read(p, got)


def events(f) -> int:
    return int(poll.events(f))


def test_two_ends_on_one_fifo_inode(me):
    r, w = make(uid=1000, gid=100)
    assert r.inode == w.inode and pipe.is_pipe(r)
    node = r.inode
    assert node.mode == vfs.S_IFIFO | 0o600 and node.uid == 1000 and node.gid == 100
    assert node.refcount == 2  # one per File
    assert (r.flags & file.O_ACCMODE) == file.O_RDONLY and (w.flags & file.O_ACCMODE) == file.O_WRONLY
    st = vfs.Stat()
    vfs.fill_stat(node, addr(st))
    assert st.st_mode == vfs.S_IFIFO | 0o600 and st.st_size == 0
    # No offsets on a pipe; each end only goes one way.
    assert file.lseek(r, 0, u32(file.SEEK_CUR)) == -errno.ESPIPE
    assert file.pread(r, kbuf(b"x"), usize(1), 0) == -errno.ESPIPE
    assert file.pwrite(w, kbuf(b"x"), usize(1), 0) == -errno.ESPIPE
    assert read(w, 1) == -errno.EBADF
    assert write(r, b"x") == -errno.EBADF
    file.close(r)
    file.close(w)


def test_bytes_come_out_in_order_and_reads_take_what_is_there(me):
    r, w = make()
    assert write(w, b"hello") == 5
    assert write(w, b", world") == 7
    assert pipe.available(r.inode) == 12
    assert read(r, 3) == b"hel"
    assert read(r, 100) == b"lo, world"  # a short read: only what is in the pipe
    assert pipe.available(r.inode) == 0
    assert write(w, b"") == 0 and read(r, 0) == b""
    file.close(r)
    file.close(w)


def test_ring_wraps_around_without_corrupting_data(me):
    r, w = make(file.O_NONBLOCK)
    rng = random.Random(7)
    sent = bytearray()
    got = bytearray()
    for _ in range(60):
        chunk = rng.randbytes(rng.randint(1, 20000))
        n = write(w, chunk)
        if n > 0:
            sent += chunk[:n]
        else:
            assert n == -errno.EAGAIN
        out = read(r, rng.randint(1, 30000))
        if isinstance(out, int):
            assert out == -errno.EAGAIN and len(got) == len(sent)
        else:
            got += out
    while True:
        out = read(r, 65536)
        if isinstance(out, int):
            break
        got += out
    assert len(sent) > 3 * pipe.PIPE_SIZE  # the ring went round several times
    assert got == sent
    file.close(r)
    file.close(w)


def test_fill_then_eagain_partial_and_atomic_writes(me):
    r, w = make(file.O_NONBLOCK)
    assert events(w) == poll.WRITABLE and events(r) == 0
    block = bytes(range(256)) * 16  # 4096 bytes
    for _ in range(pipe.PIPE_SIZE // len(block)):
        assert write(w, block) == len(block)
    assert pipe.available(r.inode) == pipe.PIPE_SIZE
    assert write(w, b"x") == -errno.EAGAIN  # full
    assert events(w) == 0 and events(r) == poll.READABLE
    assert read(r, 100) == block[:100]
    # 100 bytes free: a small (atomic) write that does not fit goes nowhere...
    assert write(w, b"y" * 200) == -errno.EAGAIN
    assert write(w, b"y" * pipe.PIPE_BUF) == -errno.EAGAIN
    assert events(w) == 0  # less than PIPE_BUF free: not writable
    # ...a larger one writes what fits.
    assert write(w, b"z" * (pipe.PIPE_BUF + 1)) == 100
    assert write(w, b"z" * (pipe.PIPE_BUF + 1)) == -errno.EAGAIN
    assert read(r, pipe.PIPE_SIZE - 100) == (block * 16)[100:]
    assert read(r, 1000) == b"z" * 100
    assert read(r, 1) == -errno.EAGAIN  # empty, and a writer remains
    file.close(r)
    file.close(w)


def test_end_of_file_once_every_writer_is_gone(me):
    r, w = make(file.O_NONBLOCK)
    w2 = file.dup(w)  # dup and fork share the File: still one writer
    assert write(w, b"last words") == 10
    file.close(w2)
    assert pipe.pipe_of(r.inode).writers == 1
    file.close(w)
    assert pipe.pipe_of(r.inode).writers == 0
    assert events(r) == poll.READABLE | poll.POLLHUP
    assert read(r, 4) == b"last"
    assert read(r, 100) == b" words"  # data first, then end of file
    assert read(r, 100) == b"" and read(r, 100) == b""
    assert events(r) == poll.POLLHUP
    file.close(r)


def test_blocking_read_at_end_of_file_returns_zero(me):
    r, w = make()  # blocking: would wait only while a writer remains
    file.close(w)
    assert read(r, 10) == b""
    file.close(r)


def test_epipe_and_sigpipe_without_readers(me):
    r, w = make()
    file.close(r)
    assert events(w) == poll.WRITABLE | poll.POLLERR
    assert write(w, b"x") == -errno.EPIPE
    assert me.sig_pending == SIGPIPE_BIT
    me.sig_pending = 0
    me.actions[signal.SIGPIPE - 1].handler = signal.SIG_IGN
    assert write(w, b"x") == -errno.EPIPE  # still EPIPE; the ignored signal is not even pending
    assert me.sig_pending == 0
    file.close(w)


def test_pending_signal_interrupts_a_wait_before_it_starts(me):
    r, w = make()
    me.sig_pending = SIGUSR1_BIT
    assert read(r, 10) == -errno.ERESTARTSYS  # empty, a writer remains: it would wait (EINTR or a restart later)
    assert write(w, b"a" * 70000) == pipe.PIPE_SIZE  # a partial count, not EINTR, once data moved
    assert write(w, b"b") == -errno.ERESTARTSYS  # full
    sched.current.sig_blocked = SIGUSR1_BIT  # a blocked signal does not interrupt
    assert read(r, 5) == b"aaaaa"
    me.sig_pending = 0
    sched.current.sig_blocked = 0
    file.close(r)
    file.close(w)


def test_a_closed_pipe_gives_back_its_pages_and_blocks(me):
    blocks_before = heap.live_blocks
    r, w = make(file.O_NONBLOCK)
    frames_before = frames.free_frames  # ring pages come on first use
    assert write(w, b"q" * 50000) == 50000  # touches 13 of the 16 ring pages
    assert frames.free_frames == frames_before - 13
    file.close(w)
    assert r.inode.refcount == 1
    file.close(r)
    assert frames.free_frames == frames_before
    assert heap.live_blocks == blocks_before


def test_regular_files_are_always_ready(me):
    uspace.init()  # memfs keeps file data in frames uspace tracks (as kernel_main sets up)
    memfs.init()
    root = memfs.new_root()
    slot = Array[Ptr[file.File], 1]()
    path = kbuf(b"/f\0")
    assert file.open(vfs.as_kernel(), root, root, path, u32(file.O_RDONLY | file.O_CREAT), u32(0o644), addr(slot)) == 0
    assert events(slot[0]) == poll.READABLE | poll.WRITABLE
    assert not file.is_stream(slot[0])
    file.close(slot[0])


def test_a_named_fifo_shares_one_pipe_among_its_openers_while_it_has_any(me):
    """mknod S_IFIFO in memfs; the open rules that need no wait; data through two opens; the pipe goes
    with the last opener (and comes back with the next). A filesystem without mknod (FAT32) is EPERM."""
    uspace.init()
    memfs.init()
    root = memfs.new_root()
    made = Array[Ptr[vfs.Inode], 1]()
    path = kbuf(b"/fifo\0")
    assert vfs.mknod(vfs.as_kernel(), root, root, path, u32(vfs.S_IFIFO | 0o600), addr(made)) == 0
    node = made[0]
    vfs.put(node)
    blocks, pages = heap.live_blocks, frames.free_frames + heap.frames_held

    def open_(flags):
        slot = Array[Ptr[file.File], 1]()
        err = int(file.open(vfs.as_kernel(), root, root, path, u32(flags), u32(0), addr(slot)))
        return err if err < 0 else slot[0]

    assert open_(file.O_WRONLY | file.O_NONBLOCK) == -errno.ENXIO and node.pipe == NULL
    r = open_(file.O_RDONLY | file.O_NONBLOCK)
    w = open_(file.O_WRONLY | file.O_NONBLOCK)
    assert r.inode == w.inode == node and pipe.is_pipe(r) and file.is_stream(w)
    assert write(w, b"through") == 7 and read(r, 64) == b"through"
    assert read(r, 64) == -errno.EAGAIN
    file.close(w)
    assert read(r, 64) == b""  # no writer left: end of file
    rw = open_(file.O_RDWR)  # never waits
    assert write(rw, b"x") == 1 and read(r, 64) == b"x"
    file.close(rw)
    file.close(r)
    assert node.pipe == NULL
    assert heap.live_blocks == blocks and frames.free_frames + heap.frames_held == pages
    assert fat32.ops.mknod == NULL  # vfs.mknod: EPERM there, as vfat refuses FIFOs
