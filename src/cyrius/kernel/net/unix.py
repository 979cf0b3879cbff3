"""AF_UNIX sockets: stream, datagram and sequenced-packet sockets between processes of one machine.

A UnixSocket queues what it has received as Messages: a datagram or record each, or a chunk of a
stream, with the descriptors (SCM_RIGHTS) and credentials that travelled with it. A connected pair
points at each other; connect() on a stream or seqpacket listener makes the accepting side at once
and queues it on the listener until accept() takes it, as Linux does.

Names: a filesystem name is a socket inode made in the VFS by bind (vfs.mknod, permission-checked on
the caller's own walk, inside its root); connect and sendto find it by walking to that inode and
need write permission on it. An abstract name (a leading NUL byte) lives in a table scoped by the
caller's container, so two containers never meet through one.

Descriptors in flight hold a File reference until they are received or their message is freed (the
receiver reads past it with read(), or the socket is closed with it queued). A socket sent over
itself (or a cycle of them) is never freed: there is no garbage collector for in-flight sockets.

The kernel is not preempted: nothing changes between a check and the sleep that follows it (see
net/socket.py). Every call returns a count or 0, or a negative errno.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from ..fs import file, poll, vfs
from ..fs.file import File
from ..mm.heap import kalloc, kfree
from ..proc import process, sched, signal
from ..proc.task import Process, WaitQueue

# Socket kinds, Linux's SOCK_* values.
STREAM: Final = 1
DGRAM: Final = 2
SEQPACKET: Final = 5

# UnixSocket.state
UNCONNECTED: Final = 0
LISTENING: Final = 1
CONNECTED: Final = 2

PATH_MAX: Final = 108  # sizeof(sun_path)
QUEUE_BYTES: Final = 212992  # what a receiver holds before its senders wait (Linux's default buffer)
CHUNK_MAX: Final = 65536  # a stream write is queued in messages of at most this
FILES_MAX: Final = 253  # SCM_MAX_FD: descriptors in one message
AUTOBIND_LEN: Final = 6  # NUL and five hex digits


@struct
class Message:
    next: Ptr["Message"]
    length: u32  # the data follows this header
    taken: u32  # stream: bytes already read
    files: Ptr[Ptr[File]]  # in flight: one reference each
    nfiles: u32
    pid: u32  # the sender's credentials
    uid: u32
    gid: u32
    from_len: u32  # the sender's name (datagrams)
    from_name: Array[u8, PATH_MAX]


@struct
class Ancillary:
    """What travels beside the data. Sending: files (the caller's references, which send takes
    over on success) and optionally explicit credentials. Receiving: the files (references for the
    caller), the sender's credentials and name, and whether the record was cut short."""
    files: Ptr[Ptr[File]]
    nfiles: u32
    has_cred: bool
    pid: u32
    uid: u32
    gid: u32
    from_len: u32
    from_name: Array[u8, PATH_MAX]
    truncated: bool


@struct
class UnixSocket:
    kind: u32
    state: u32
    nonblock: bool
    passcred: bool  # SO_PASSCRED: receive SCM_CREDENTIALS
    closed: bool
    refs: u32  # the File, plus callers sleeping with a pointer to it
    rcv_shut: bool  # nothing more will arrive (own SHUT_RD, peer's SHUT_WR or close)
    snd_shut: bool  # nothing more may be sent (own SHUT_WR, peer's SHUT_RD or close)
    peer_lost: bool  # a datagram socket's connected peer closed: the next send says ECONNREFUSED
    peer: Ptr["UnixSocket"]
    container: u64  # whose abstract names it sees
    name_len: u32  # 0: unbound
    name: Array[u8, PATH_MAX]
    node: Ptr[vfs.Inode]  # the socket inode of a filesystem name (a reference)
    head: Ptr[Message]
    tail: Ptr[Message]
    queued_bytes: u32
    backlog: u32
    pending: u32  # connections waiting in accept_head
    accept_head: Ptr["UnixSocket"]
    accept_tail: Ptr["UnixSocket"]
    next_pending: Ptr["UnixSocket"]
    # SO_PEERCRED: the peer's credentials when it connected (or the listener's); its pid in its
    # container's numbering (sockets do not cross containers)
    peer_pid: u32
    peer_uid: u32
    peer_gid: u32
    readers: WaitQueue  # data or a connection arrives, or the peer goes
    writers: WaitQueue  # room in this socket's queue (senders to it sleep here), or a backlog slot
    acceptors: WaitQueue
    next_socket: Ptr["UnixSocket"]  # every open socket, for name lookups


ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0
sockets: Ptr[UnixSocket] = NULL
next_autobind: u32 = 0


def init() -> None:
    global dev
    ops.stream_read = stream_read
    ops.stream_write = stream_write
    ops.poll = poll_events
    ops.release = release
    dev = vfs.new_dev()


def is_unix(node: Ptr[vfs.Inode]) -> bool:
    return node.ops == addr(ops)


def socket_of(node: Ptr[vfs.Inode]) -> Ptr[UnixSocket]:
    return cast(Ptr[UnixSocket], node.private)


def open(kind: u32) -> Ptr[UnixSocket]:
    """A new unconnected socket of the caller's container; NULL when memory is exhausted."""
    global sockets
    s: Ptr[UnixSocket] = cast(Ptr[UnixSocket], kalloc(usize(sizeof(UnixSocket))))
    if s == NULL:
        return NULL
    s.kind = kind
    s.refs = 1
    s.container = process.current().container
    s.next_socket = sockets
    sockets = s
    return s


def node_for(s: Ptr[UnixSocket]) -> Ptr[vfs.Inode]:
    """An anonymous socket inode holding s (for a File), or NULL (s is then closed)."""
    node: Ptr[vfs.Inode] = vfs.new_anon(addr(ops), u32(vfs.S_IFSOCK | 0o777), dev, cast(Ptr[None], s))
    if node == NULL:
        close(s)
        return NULL
    node.uid = process.current().euid
    node.gid = process.current().egid
    return node


def take_cred(s: Ptr[UnixSocket]) -> None:
    """SO_PEERCRED of s: the calling process, which is on the other end."""
    p: Ptr[Process] = process.current()
    s.peer_pid = p.vpid
    s.peer_uid = p.euid
    s.peer_gid = p.egid


def link(a: Ptr[UnixSocket], b: Ptr[UnixSocket]) -> None:
    a.peer = b
    b.peer = a
    a.state = CONNECTED
    b.state = CONNECTED


def pair(kind: u32, out: Ptr[Ptr[UnixSocket]]) -> i64:
    """socketpair: two connected sockets in out[0] and out[1]."""
    out[0] = open(kind)
    out[1] = open(kind)
    if out[0] == NULL or out[1] == NULL:
        close(out[0])
        close(out[1])
        return -errno.ENOMEM
    link(out[0], out[1])
    take_cred(out[0])
    take_cred(out[1])
    return 0


def changed(s: Ptr[UnixSocket]) -> None:
    sched.wake_all(addr(s.readers))
    sched.wake_all(addr(s.writers))
    sched.wake_all(addr(s.acceptors))
    poll.notify()


def wait_on(s: Ptr[UnixSocket], wq: Ptr[WaitQueue]) -> i64:
    """Nothing to do yet: -EAGAIN (non-blocking), -ERESTARTSYS (signal), or sleep until woken and 0."""
    if s.nonblock:
        return -errno.EAGAIN
    if process.signal_waiting(process.current()):
        return -errno.ERESTARTSYS
    sched.block_on(wq, u64(0))
    return 0


def hold(s: Ptr[UnixSocket]) -> None:
    s.refs += 1


def drop(s: Ptr[UnixSocket]) -> None:
    s.refs -= 1
    if s.refs == 0:
        kfree(cast(Ptr[None], s))


# --- names -----------------------------------------------------------------------------------

def same_name(s: Ptr[UnixSocket], name: Ptr[u8], length: u32) -> bool:
    if s.name_len != length:
        return False
    for i in range(length):
        if s.name[i] != name[i]:
            return False
    return True


def find_abstract(container: u64, name: Ptr[u8], length: u32) -> Ptr[UnixSocket]:
    s: Ptr[UnixSocket] = sockets
    while s != NULL:
        if s.node == NULL and s.container == container and s.name_len > 0 and s.name[0] == 0:
            if same_name(s, name, length) and s.state != CONNECTED:  # not an accepted socket's copy
                return s
        s = s.next_socket
    return NULL


def set_name(s: Ptr[UnixSocket], name: Ptr[u8], length: u32) -> None:
    memcpy(cast(Ptr[None], addr(s.name)), cast(Ptr[None], name), usize(length))
    s.name_len = length


def path_length(name: Ptr[u8], length: u32) -> u32:
    """A filesystem name's length up to its first NUL (the name Linux keeps)."""
    n: u32 = 0
    while n < length and name[n] != 0:
        n += 1
    return n


def autobind(s: Ptr[UnixSocket]) -> i64:
    """An abstract name of Linux's form, NUL and five hex digits, free in the caller's container."""
    global next_autobind
    name: Array[u8, AUTOBIND_LEN] = Array[u8, AUTOBIND_LEN]()
    for _ in range(0x100000):
        next_autobind = (next_autobind + 1) & 0xFFFFF
        for i in range(5):
            digit: u32 = (next_autobind >> u32(16 - 4 * i)) & 0xF
            name[i + 1] = u8(digit + ord("0")) if digit < 10 else u8(digit - 10 + ord("a"))
        if find_abstract(s.container, addr(name), u32(AUTOBIND_LEN)) == NULL:
            set_name(s, addr(name), u32(AUTOBIND_LEN))
            return 0
    return -errno.EADDRINUSE


def bind(s: Ptr[UnixSocket], name: Ptr[u8], length: u32) -> i64:
    """bind to name (the sun_path bytes: abstract when name[0] is NUL; length 0: autobind)."""
    if s.name_len != 0:
        return -errno.EINVAL
    if length == 0:
        return autobind(s)
    if name[0] == 0:
        if find_abstract(s.container, name, length) != NULL:
            return -errno.EADDRINUSE
        set_name(s, name, length)
        return 0
    n: u32 = path_length(name, length)
    path: Array[u8, PATH_MAX + 1] = Array[u8, PATH_MAX + 1]()
    memcpy(cast(Ptr[None], addr(path)), cast(Ptr[None], name), usize(n))
    p: Ptr[Process] = process.current()
    cred: vfs.Cred = vfs.Cred()
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    mode: u32 = u32(vfs.S_IFSOCK) | (u32(0o777) & ~p.umask)
    err: i64 = vfs.mknod(process.cred_of(p, addr(cred)), p.root, p.cwd, addr(path), mode, addr(slot))
    if err == -errno.EEXIST:
        return -errno.EADDRINUSE
    if err < 0:
        return err
    s.node = slot[0]
    set_name(s, addr(path), n + 1)  # with its NUL, as getsockname reports it
    return 0


def find(name: Ptr[u8], length: u32, kind: u32, out: Ptr[Ptr[UnixSocket]]) -> i64:
    """The socket of this kind bound to name, for connect and sendto: an abstract name in the
    caller's container, or a socket inode the caller may write to on its own walk (one of another
    kind there is -EPROTOTYPE, as on Linux)."""
    if length == 0:
        return -errno.EINVAL
    if name[0] == 0:
        out[0] = find_abstract(process.current().container, name, length)
        if out[0] == NULL or out[0].kind != kind:
            return -errno.ECONNREFUSED
        return 0
    path: Array[u8, PATH_MAX + 1] = Array[u8, PATH_MAX + 1]()
    memcpy(cast(Ptr[None], addr(path)), cast(Ptr[None], name), usize(path_length(name, length)))
    p: Ptr[Process] = process.current()
    cred: vfs.Cred = vfs.Cred()
    w: vfs.Walk = vfs.Walk()
    err: i64 = vfs.resolve(process.cred_of(p, addr(cred)), p.root, p.cwd, addr(path), u32(vfs.FOLLOW), addr(w))
    if err < 0:
        return err
    node: Ptr[vfs.Inode] = w.node
    if (node.mode & vfs.S_IFMT) != vfs.S_IFSOCK:
        err = -errno.ECONNREFUSED
    elif not vfs.permitted(addr(cred), node, u32(vfs.W_OK)):
        err = -errno.EACCES
    else:
        err = -errno.ECONNREFUSED
        s: Ptr[UnixSocket] = sockets
        while s != NULL:
            if s.node == node:
                out[0] = s
                err = 0 if s.kind == kind else -errno.EPROTOTYPE
                break
            s = s.next_socket
    vfs.done(addr(w))
    return err


def local_name(s: Ptr[UnixSocket], name: Ptr[u8]) -> u32:
    """getsockname: the name's bytes into name (PATH_MAX), and its length (0: unnamed)."""
    memcpy(cast(Ptr[None], name), cast(Ptr[None], addr(s.name)), usize(s.name_len))
    return s.name_len


def peer_name(s: Ptr[UnixSocket], name: Ptr[u8]) -> i64:
    """getpeername: as local_name for the peer, or -ENOTCONN."""
    if s.peer == NULL:
        return -errno.ENOTCONN
    return i64(local_name(s.peer, name))


# --- connections -----------------------------------------------------------------------------

def listen(s: Ptr[UnixSocket], backlog: u32) -> i64:
    if s.kind == DGRAM:
        return -errno.EOPNOTSUPP
    if s.name_len == 0 or s.state == CONNECTED:
        return -errno.EINVAL
    s.state = LISTENING
    s.backlog = backlog
    take_cred(s)  # what its clients' SO_PEERCRED says
    return 0


def connect(s: Ptr[UnixSocket], name: Ptr[u8], length: u32) -> i64:
    """Datagram: the default peer. Stream and seqpacket: a connection queued on the listener,
    waiting (unless non-blocking) while its backlog is full."""
    slot: Array[Ptr[UnixSocket], 1] = Array[Ptr[UnixSocket], 1]()
    err: i64 = find(name, length, s.kind, addr(slot))
    if err < 0:
        return err
    to: Ptr[UnixSocket] = slot[0]
    if s.kind == DGRAM:
        s.peer = to
        s.peer_lost = False
        return 0
    if s.state == CONNECTED:
        return -errno.EISCONN
    if s.state == LISTENING:
        return -errno.EINVAL
    hold(to)
    while not to.closed and to.state == LISTENING and to.pending >= to.backlog:
        err = wait_on(s, addr(to.writers))
        if err < 0:
            drop(to)
            return err
    if to.closed or to.state != LISTENING:
        drop(to)
        return -errno.ECONNREFUSED
    ns: Ptr[UnixSocket] = open(s.kind)
    if ns == NULL:
        drop(to)
        return -errno.ENOMEM
    ns.container = to.container
    set_name(ns, addr(to.name), to.name_len)
    link(s, ns)
    take_cred(ns)
    s.peer_pid = to.peer_pid
    s.peer_uid = to.peer_uid
    s.peer_gid = to.peer_gid
    if to.accept_tail == NULL:
        to.accept_head = ns
    else:
        to.accept_tail.next_pending = ns
    to.accept_tail = ns
    to.pending += 1
    changed(to)
    drop(to)
    return 0


def accept(s: Ptr[UnixSocket], out: Ptr[Ptr[UnixSocket]]) -> i64:
    if s.state != LISTENING:
        return -errno.EINVAL
    while s.accept_head == NULL:
        err: i64 = wait_on(s, addr(s.acceptors))
        if err < 0:
            return err
    ns: Ptr[UnixSocket] = s.accept_head
    s.accept_head = ns.next_pending
    if s.accept_head == NULL:
        s.accept_tail = NULL
    ns.next_pending = NULL
    s.pending -= 1
    changed(s)  # a backlog slot is free
    out[0] = ns
    return 0


# --- data ------------------------------------------------------------------------------------

def close_files(files: Ptr[Ptr[File]], first: u32, count: u32) -> None:
    for i in range(first, count):
        file.close(files[i])


def free_message(m: Ptr[Message]) -> None:
    """Free m, closing the descriptors still in flight in it."""
    close_files(m.files, u32(0), m.nfiles)
    kfree(cast(Ptr[None], m.files))
    kfree(cast(Ptr[None], m))


def data_of(m: Ptr[Message]) -> Ptr[u8]:
    return cast(Ptr[u8], m) + sizeof(Message)


def new_message(s: Ptr[UnixSocket], buf: Ptr[u8], n: u32, extra: Ptr[Ancillary]) -> Ptr[Message]:
    """A message of n bytes from s carrying extra's files (taken over) and credentials."""
    m: Ptr[Message] = cast(Ptr[Message], kalloc(usize(sizeof(Message)) + usize(n)))
    if m == NULL:
        return NULL
    m.length = n
    if n > 0:
        memcpy(cast(Ptr[None], data_of(m)), cast(Ptr[None], buf), usize(n))
    p: Ptr[Process] = process.current()
    m.pid = p.vpid
    m.uid = p.euid
    m.gid = p.egid
    if extra != NULL:
        if extra.has_cred:
            m.pid = extra.pid
            m.uid = extra.uid
            m.gid = extra.gid
        m.files = extra.files
        m.nfiles = extra.nfiles
        extra.files = NULL
        extra.nfiles = 0
    m.from_len = local_name(s, addr(m.from_name))
    return m


def enqueue(to: Ptr[UnixSocket], m: Ptr[Message]) -> None:
    if to.tail == NULL:
        to.head = m
    else:
        to.tail.next = m
    to.tail = m
    to.queued_bytes += m.length
    changed(to)


def room(to: Ptr[UnixSocket]) -> u32:
    return QUEUE_BYTES - to.queued_bytes if to.queued_bytes < QUEUE_BYTES else u32(0)


def target_of(s: Ptr[UnixSocket], to: Ptr[UnixSocket], out: Ptr[Ptr[UnixSocket]]) -> i64:
    """Where a send from s goes: to (a datagram's explicit address) or the connected peer."""
    if s.kind != DGRAM:
        if s.state != CONNECTED:
            return -errno.ENOTCONN
        if s.snd_shut or s.peer == NULL:
            return -errno.EPIPE
        out[0] = s.peer
        return 0
    if s.snd_shut:
        return -errno.EPIPE
    if to == NULL:
        to = s.peer
        if to == NULL:
            if s.peer_lost:
                s.peer_lost = False
                return -errno.ECONNREFUSED
            return -errno.ENOTCONN
    if to.kind != DGRAM:
        return -errno.EPROTOTYPE
    if to.closed or to.rcv_shut:
        return -errno.ECONNREFUSED
    out[0] = to
    return 0


def send(s: Ptr[UnixSocket], buf: Ptr[u8], n: u64, to: Ptr[UnixSocket], extra: Ptr[Ancillary]) -> i64:
    """Stream: queue all n bytes (blocking) or what fits (non-blocking); extra goes with the first
    byte. Datagram and seqpacket: one record, whole or not at all. to (datagrams only, may be NULL)
    is the explicit destination. -EPIPE is for the caller to turn into SIGPIPE."""
    record: bool = s.kind != STREAM
    if record and n > QUEUE_BYTES:
        return -errno.EMSGSIZE
    if to != NULL:
        hold(to)  # it may close while we wait for room
    done: u64 = 0
    err: i64 = 0
    slot: Array[Ptr[UnixSocket], 1] = Array[Ptr[UnixSocket], 1]()
    while done < n or (record and done == 0):
        err = target_of(s, to, addr(slot))
        if err < 0:
            break
        peer: Ptr[UnixSocket] = slot[0]
        free: u32 = room(peer)
        want: u64 = n - done
        if want > CHUNK_MAX and not record:
            want = CHUNK_MAX
        if (record and u64(free) < want) or free == 0:
            err = wait_on(s, addr(peer.writers))
            if err < 0:
                break
            continue
        if want > u64(free):
            want = u64(free)
        m: Ptr[Message] = new_message(s, buf + done, u32(want), extra)
        if m == NULL:
            err = -errno.ENOBUFS
            break
        enqueue(peer, m)
        done += want
        if record:
            break
    if to != NULL:
        drop(to)
    if done > 0 or err == 0:
        return i64(done)
    return err


def deliver(m: Ptr[Message], extra: Ptr[Ancillary]) -> None:
    """Hand m's descriptors and credentials to the receiver (closed when it takes no ancillary
    data, as after read())."""
    if extra == NULL:
        close_files(m.files, u32(0), m.nfiles)
        kfree(cast(Ptr[None], m.files))
    else:
        extra.files = m.files
        extra.nfiles = m.nfiles
        extra.has_cred = True
        extra.pid = m.pid
        extra.uid = m.uid
        extra.gid = m.gid
        extra.from_len = m.from_len
        memcpy(cast(Ptr[None], addr(extra.from_name)), cast(Ptr[None], addr(m.from_name)), usize(m.from_len))
    m.files = NULL
    m.nfiles = 0


def pop(s: Ptr[UnixSocket]) -> None:
    m: Ptr[Message] = s.head
    s.head = m.next
    if s.head == NULL:
        s.tail = NULL
    s.queued_bytes -= m.length - m.taken
    free_message(m)


def take_bytes(s: Ptr[UnixSocket], buf: Ptr[u8], n: u64, extra: Ptr[Ancillary]) -> u64:
    """Stream: up to n queued bytes. A message with descriptors starts a read and ends it, so they
    arrive with the bytes they were sent with."""
    done: u64 = 0
    while s.head != NULL and done < n:
        m: Ptr[Message] = s.head
        with_files: bool = m.nfiles > 0
        if with_files and done > 0:
            break
        if done == 0:
            deliver(m, extra)
        step: u64 = u64(m.length - m.taken)
        if step > n - done:
            step = n - done
        memcpy(cast(Ptr[None], buf + done), cast(Ptr[None], data_of(m) + m.taken), usize(step))
        m.taken += u32(step)
        s.queued_bytes -= u32(step)
        done += step
        if m.taken == m.length:
            pop(s)
        if with_files:
            break
    return done


def take_record(s: Ptr[UnixSocket], buf: Ptr[u8], n: u64, extra: Ptr[Ancillary]) -> u64:
    """Datagram and seqpacket: the next record, cut to n bytes (the rest is discarded)."""
    m: Ptr[Message] = s.head
    deliver(m, extra)
    got: u64 = u64(m.length)
    if got > n:
        got = n
        if extra != NULL:
            extra.truncated = True
    memcpy(cast(Ptr[None], buf), cast(Ptr[None], data_of(m)), usize(got))
    pop(s)
    return got


def recv(s: Ptr[UnixSocket], buf: Ptr[u8], n: u64, extra: Ptr[Ancillary]) -> i64:
    """What is queued (at least a byte, or one record), waiting for it unless non-blocking; 0 at
    the end of the stream. extra (may be NULL) receives the ancillary data."""
    if s.kind != DGRAM and s.state != CONNECTED:
        return -errno.ENOTCONN if s.kind == SEQPACKET else -errno.EINVAL
    if s.kind == STREAM and n == 0:
        return 0
    while s.head == NULL:
        if s.rcv_shut or (s.kind != DGRAM and s.peer == NULL):
            return 0
        err: i64 = wait_on(s, addr(s.readers))
        if err < 0:
            return err
    got: u64 = 0
    if s.kind == STREAM:
        got = take_bytes(s, buf, n, extra)
    else:
        got = take_record(s, buf, n, extra)
    changed(s)
    return i64(got)


# --- state -----------------------------------------------------------------------------------

def poll_socket(s: Ptr[UnixSocket]) -> u32:
    """POLL* bits, as Linux's unix_poll computes them."""
    if s.state == LISTENING:
        return u32(poll.READABLE) if s.accept_head != NULL else u32(0)
    ev: u32 = 0
    if s.head != NULL or s.rcv_shut:
        ev |= poll.READABLE
    if s.rcv_shut:
        ev |= poll.POLLRDHUP
    if s.rcv_shut and s.snd_shut:
        ev |= poll.POLLHUP
    if s.kind != DGRAM and s.state != CONNECTED:
        ev |= poll.POLLHUP
    if s.peer == NULL or room(s.peer) > 0 or s.snd_shut:
        ev |= poll.WRITABLE
    return ev


def shutdown(s: Ptr[UnixSocket], how: u32) -> i64:
    if how > 2:
        return -errno.EINVAL
    rd: bool = how != 1  # SHUT_RD or SHUT_RDWR
    wr: bool = how != 0
    s.rcv_shut = s.rcv_shut or rd
    s.snd_shut = s.snd_shut or wr
    peer: Ptr[UnixSocket] = s.peer
    if peer != NULL and s.kind != DGRAM:
        peer.snd_shut = peer.snd_shut or rd
        peer.rcv_shut = peer.rcv_shut or wr
        changed(peer)
    changed(s)
    return 0


def disconnect(s: Ptr[UnixSocket]) -> None:
    """s is closing: whoever it was connected to (or whose default peer it was) hears of it."""
    o: Ptr[UnixSocket] = sockets
    while o != NULL:
        if o.peer == s:
            o.peer = NULL
            if o.kind == DGRAM:
                o.peer_lost = True
            else:
                o.rcv_shut = True
                o.snd_shut = True
            changed(o)
        o = o.next_socket


def close(s: Ptr[UnixSocket]) -> None:
    """Let go of s: its name, its peer, its queued messages (and the descriptors in them) and the
    connections no one accepted. NULL is ignored."""
    global sockets
    if s == NULL:
        return
    s.closed = True
    if sockets == s:
        sockets = s.next_socket
    else:
        before: Ptr[UnixSocket] = sockets
        while before.next_socket != s:
            before = before.next_socket
        before.next_socket = s.next_socket
    disconnect(s)
    s.peer = NULL
    vfs.put(s.node)
    s.node = NULL
    s.name_len = 0
    while s.head != NULL:
        pop(s)
    while s.accept_head != NULL:
        ns: Ptr[UnixSocket] = s.accept_head
        s.accept_head = ns.next_pending
        close(ns)
    s.accept_tail = NULL
    changed(s)
    drop(s)


# --- the inode face: read, write, poll, release ------------------------------------------------

def stream_read(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    s: Ptr[UnixSocket] = socket_of(node)
    s.nonblock = (flags & file.O_NONBLOCK) != 0
    return recv(s, buf, u64(count), NULL)


def stream_write(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    s: Ptr[UnixSocket] = socket_of(node)
    s.nonblock = (flags & file.O_NONBLOCK) != 0
    r: i64 = send(s, buf, u64(count), NULL, NULL)
    if r == -errno.EPIPE:
        signal.send(process.current(), u32(signal.SIGPIPE))
    return r


def poll_events(node: Ptr[vfs.Inode], flags: u32) -> u32:
    return poll_socket(socket_of(node))


def release(node: Ptr[vfs.Inode]) -> None:
    """The inode's last reference (its File's, or the one a failed wrap drops) closes the socket."""
    close(socket_of(node))
    node.private = NULL
