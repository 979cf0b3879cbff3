"""AF_UNIX sockets under CPython, driven through net/unix.py and the open-file face (fs/file.py,
fs/poll.py): stream and record semantics, filesystem and abstract names (the latter scoped by
container), descriptors in flight (SCM_RIGHTS) that are closed when their message is never read,
SO_PEERCRED credentials, EPIPE with SIGPIPE, and that closed sockets give back every heap block.
Nothing here blocks: every socket is non-blocking, or the state avoids the wait."""
import pytest

from cyrius.kernel import errno
from cyrius.kernel.fs import file, memfs, pipe, poll, vfs
from cyrius.kernel.mm import heap
from cyrius.kernel.mm.heap import kalloc
from cyrius.kernel.net import unix
from cyrius.kernel.proc import sched, signal, task
from cyrius.lang import NULL, Array, Ptr, addr, cast, memory, sizeof, u8, u32, u64, usize

SIGPIPE_BIT = 1 << (signal.SIGPIPE - 1)


@pytest.fixture
def me(machine):
    """A current process (pid 7, uid 1000, in container 1) with a memfs root, and the socket tables."""
    vfs.init(NULL)
    memfs.init()
    pipe.init()
    unix.init()
    unix.sockets = NULL
    t = cast(Ptr[task.Task], kalloc(usize(sizeof(task.Task))))
    p = cast(Ptr[task.Process], kalloc(usize(sizeof(task.Process))))
    t.process = p
    t.state = u32(task.TASK_RUNNING)
    p.task = t
    p.state = u32(task.PROC_ALIVE)
    p.pid = 70  # kernel-wide; 7 in its container (its pid namespace)
    p.vpid = 7
    p.uid = p.euid = 1000
    p.gid = p.egid = 100
    p.umask = 0o022
    p.container = 1
    root = memfs.new_root()
    root.mode = vfs.S_IFDIR | 0o777
    p.root = root
    p.cwd = root
    sched.current = t
    yield p
    sched.current = NULL


def kbuf(data: bytes) -> Ptr:
    p = memory.alloc(max(len(data), 1))
    if data:
        memory.write(p, data)
    return Ptr[u8](p)


def make(kind: int) -> tuple:
    ends = Array[Ptr[unix.UnixSocket], 2]()
    assert unix.pair(u32(kind), addr(ends)) == 0
    ends[0].nonblock = True
    ends[1].nonblock = True
    return ends[0], ends[1]


def opened(kind: int):
    s = unix.open(u32(kind))
    s.nonblock = True
    return s


def send(s, data: bytes, to=NULL, extra=NULL) -> int:
    return int(unix.send(s, kbuf(data), u64(len(data)), to, extra))


def recv(s, n: int, extra=NULL) -> bytes | int:
    p = memory.alloc(max(n, 1))
    got = int(unix.recv(s, Ptr[u8](p), u64(n), extra))
    return got if got < 0 else memory.read(p, got)


def bind(s, name: bytes) -> int:
    return int(unix.bind(s, kbuf(name), u32(len(name))))


def connect(s, name: bytes) -> int:
    return int(unix.connect(s, kbuf(name), u32(len(name))))


def test_a_stream_pair_carries_bytes_both_ways_and_ends_with_eof(me):
    a, b = make(unix.STREAM)
    assert send(a, b"hello") == 5 and send(a, b", world") == 7
    assert recv(b, 3) == b"hel"
    assert recv(b, 100) == b"lo, world"  # a stream read crosses the writes' boundaries
    assert recv(b, 100) == -errno.EAGAIN
    assert send(b, b"back") == 4 and recv(a, 10) == b"back"
    assert me.vpid == a.peer_pid == b.peer_pid
    assert unix.shutdown(a, u32(1)) == 0  # SHUT_WR
    assert recv(b, 10) == b""
    assert send(a, b"x") == -errno.EPIPE
    unix.close(a)
    unix.close(b)


def test_records_keep_their_boundaries_and_a_short_buffer_cuts_them(me):
    for kind in (unix.DGRAM, unix.SEQPACKET):
        a, b = make(kind)
        assert send(a, b"one") == 3 and send(a, b"two!") == 4 and send(a, b"") == 0
        extra = unix.Ancillary()
        assert recv(b, 2, addr(extra)) == b"on" and extra.truncated
        assert recv(b, 100) == b"two!"
        assert recv(b, 100) == b""
        assert recv(b, 100) == -errno.EAGAIN
        assert send(a, b"x" * (unix.QUEUE_BYTES + 1)) == -errno.EMSGSIZE
        unix.close(a)
        assert recv(b, 100) == (b"" if kind == unix.SEQPACKET else -errno.EAGAIN)
        unix.close(b)


def test_a_full_queue_says_eagain_and_poll_follows_the_state(me):
    a, b = make(unix.STREAM)
    assert unix.poll_socket(a) == poll.WRITABLE
    sent = 0
    while (n := send(a, b"z" * 60000)) > 0:
        sent += n
    assert n == -errno.EAGAIN and sent == unix.QUEUE_BYTES
    assert unix.poll_socket(a) == 0
    assert unix.poll_socket(b) & poll.READABLE
    assert len(recv(b, 100)) == 100
    assert unix.poll_socket(a) == poll.WRITABLE
    unix.close(b)
    assert unix.poll_socket(a) & (poll.POLLHUP | poll.READABLE) == poll.POLLHUP | poll.READABLE
    unix.close(a)


def test_named_listener_accepts_with_credentials_and_the_name_is_a_socket_inode(me):
    server = opened(unix.STREAM)
    assert unix.listen(server, u32(1)) == -errno.EINVAL  # not bound
    assert bind(server, b"/srv.sock\0") == 0
    st = vfs.Stat()
    assert vfs.stat(vfs.as_kernel(), me.root, me.root, kbuf(b"/srv.sock\0"), True, addr(st)) == 0
    assert st.st_mode == vfs.S_IFSOCK | 0o755 and st.st_uid == 1000
    other = opened(unix.STREAM)
    assert bind(other, b"/srv.sock\0") == -errno.EADDRINUSE
    assert connect(other, b"/srv.sock\0") == -errno.ECONNREFUSED  # bound, not listening
    assert unix.listen(server, u32(1)) == 0
    client = opened(unix.STREAM)
    assert connect(client, b"/srv.sock\0") == 0
    assert connect(other, b"/srv.sock\0") == -errno.EAGAIN  # the backlog is full
    assert unix.poll_socket(server) == poll.READABLE
    got = Array[Ptr[unix.UnixSocket], 1]()
    assert unix.accept(server, addr(got)) == 0
    accepted = got[0]
    assert send(client, b"hi") == 2 and recv(accepted, 10) == b"hi"
    name = Array[u8, unix.PATH_MAX]()
    assert unix.peer_name(client, addr(name)) == len(b"/srv.sock\0")
    assert client.peer_pid == 7 and accepted.peer_uid == 1000
    for s in (client, accepted, server, other):
        unix.close(s)
    # The name outlives the socket but reaches no one; removed, it is gone.
    again = opened(unix.STREAM)
    assert connect(again, b"/srv.sock\0") == -errno.ECONNREFUSED
    assert vfs.unlink(vfs.as_kernel(), me.root, me.root, kbuf(b"/srv.sock\0")) == 0
    assert connect(again, b"/srv.sock\0") == -errno.ENOENT
    unix.close(again)


def test_connect_needs_write_permission_on_the_socket_inode(me):
    server = opened(unix.STREAM)
    assert bind(server, b"/s\0") == 0 and unix.listen(server, u32(4)) == 0
    slot = Array[Ptr[vfs.Inode], 1]()
    assert vfs.lookup_path(vfs.as_kernel(), me.root, me.root, kbuf(b"/s\0"), True, addr(slot)) == 0
    assert vfs.set_mode(slot[0], u32(0o755)) == 0
    vfs.put(slot[0])
    me.euid = 2000
    client = opened(unix.STREAM)
    assert connect(client, b"/s\0") == -errno.EACCES
    unix.close(client)
    unix.close(server)


def test_abstract_names_belong_to_one_container(me):
    a = opened(unix.DGRAM)
    assert bind(a, b"\0svc") == 0
    b = opened(unix.DGRAM)
    assert bind(b, b"\0svc") == -errno.EADDRINUSE
    sender = opened(unix.DGRAM)
    to = Array[Ptr[unix.UnixSocket], 1]()
    assert unix.find(kbuf(b"\0svc"), u32(4), u32(unix.DGRAM), addr(to)) == 0
    assert send(sender, b"ping", to[0]) == 4
    extra = unix.Ancillary()
    assert recv(a, 10, addr(extra)) == b"ping" and extra.from_len == 0
    me.container = 2  # another container: the same name is free, and the first one's is invisible
    assert unix.find(kbuf(b"\0svc"), u32(4), u32(unix.DGRAM), addr(to)) == -errno.ECONNREFUSED
    theirs = opened(unix.DGRAM)
    assert bind(theirs, b"\0svc") == 0
    me.container = 0  # the host world is a scope of its own
    assert unix.find(kbuf(b"\0svc"), u32(4), u32(unix.DGRAM), addr(to)) == -errno.ECONNREFUSED
    for s in (a, b, sender, theirs):
        unix.close(s)


def pipe_ends():
    ends = Array[Ptr[file.File], 2]()
    assert pipe.create(u32(file.O_NONBLOCK), u32(0), u32(0), addr(ends)) == 0
    return ends[0], ends[1]


def rights(*files) -> unix.Ancillary:
    extra = unix.Ancillary()
    extra.files = cast(Ptr[Ptr[file.File]], kalloc(usize(8 * len(files))))
    for i, f in enumerate(files):
        extra.files[i] = file.dup(f)
    extra.nfiles = len(files)
    return extra


def test_descriptors_in_flight_arrive_with_their_bytes(me):
    a, b = make(unix.STREAM)
    r, w = pipe_ends()
    assert send(a, b"before") == 6
    extra = rights(w)
    assert send(a, b"fd", NULL, addr(extra)) == 2 and extra.nfiles == 0  # taken over
    file.close(w)
    assert recv(b, 100) == b"before"  # the bytes with descriptors start a read of their own
    got = unix.Ancillary()
    assert recv(b, 100, addr(got)) == b"fd" and got.nfiles == 1 and got.pid == 7
    assert int(file.write(got.files[0], kbuf(b"via socket"), usize(10))) == 10
    file.close(got.files[0])
    heap.kfree(cast(Ptr[None], got.files))
    p = memory.alloc(16)
    assert int(file.read(r, Ptr[u8](p), usize(16))) == 10
    file.close(r)
    unix.close(a)
    unix.close(b)


def test_descriptors_never_received_are_closed_with_the_socket(me):
    blocks = heap.live_blocks
    a, b = make(unix.DGRAM)
    r, w = pipe_ends()
    extra = rights(w)
    assert send(a, b"lost", NULL, addr(extra)) == 4
    file.close(w)
    assert pipe.pipe_of(r.inode).writers == 1  # the write end lives on in flight
    unix.close(b)
    assert pipe.pipe_of(r.inode).writers == 0
    assert int(poll.events(r)) & poll.POLLHUP
    # read() takes no ancillary data: the descriptors it passes over are closed too.
    a2, b2 = make(unix.STREAM)
    r2, w2 = pipe_ends()
    extra = rights(w2)
    assert send(a2, b"x", NULL, addr(extra)) == 1
    file.close(w2)
    assert recv(b2, 10) == b"x" and pipe.pipe_of(r2.inode).writers == 0
    for s in (a, a2, b2):
        unix.close(s)
    file.close(r)
    file.close(r2)
    assert heap.live_blocks == blocks


def test_writing_to_a_closed_peer_is_epipe_and_sigpipe(me):
    a, b = make(unix.STREAM)
    node = unix.node_for(a)
    unix.close(b)
    assert int(unix.stream_write(node, kbuf(b"x"), usize(1), u32(file.O_NONBLOCK))) == -errno.EPIPE
    assert me.sig_pending & SIGPIPE_BIT
    vfs.put(node)  # its last reference closes the socket
    assert unix.sockets == NULL


def test_closed_sockets_give_back_every_block(me):
    blocks = heap.live_blocks
    server = opened(unix.SEQPACKET)
    assert bind(server, b"\0x") == 0 and unix.listen(server, u32(8)) == 0
    clients = [opened(unix.SEQPACKET) for _ in range(3)]
    for c in clients:
        assert connect(c, b"\0x") == 0 and send(c, b"queued") == 6
    unix.close(server)  # the unaccepted connections and their messages go with it
    for c in clients:
        assert recv(c, 10) == b"" and send(c, b"y") == -errno.EPIPE
        unix.close(c)
    assert unix.sockets == NULL
    assert heap.live_blocks == blocks
