"""Sockets: the blocking, file-like face of TCP and UDP that a system-call layer puts behind
file descriptors (and that the kernel's own servers use directly).

A Socket is a TCP connection object (tcp.TcpConn) or a UDP port with a queue of received
datagrams, plus wait queues: `readers` (recv/recvfrom), `writers` (send), `acceptors` (accept and
connect). TCP's notify callback and UDP's receive handler wake them; `watch`, if set, is woken on
every change too (a server that serves many sockets from one thread sleeps there), and the
module-level `changed` hook lets poll/select rescan (the syscall layer points it at poll.notify).

Every call returns a byte count or 0, or a negative errno. A call that cannot proceed returns
-EAGAIN when the socket is non-blocking, -EINTR when a signal is pending for the calling process,
and otherwise sleeps until a wake-up and tries again. The kernel is not preempted, so nothing
can change between a check and the sleep that follows it; wake-ups may be spurious.
"""
from cyrius.lang import NULL, Callable, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u16, u32, u64, usize
from cyrius.rt import memcpy

from .. import errno
from ..mm.heap import kalloc, kfree
from ..proc import process, sched
from ..proc.task import Process, WaitQueue
from . import netif, tcp, udp
from .tcp import TcpConn

# Socket kinds (Linux's SOCK_STREAM and SOCK_DGRAM).
STREAM: Final = 1
DGRAM: Final = 2

# poll() bits, Linux values.
POLLIN: Final = 0x1
POLLOUT: Final = 0x4
POLLERR: Final = 0x8
POLLHUP: Final = 0x10
POLLRDNORM: Final = 0x40
POLLWRNORM: Final = 0x100
POLLRDHUP: Final = 0x2000

# shutdown() how.
SHUT_RD: Final = 0
SHUT_WR: Final = 1
SHUT_RDWR: Final = 2

UDP_QUEUE_MAX: Final = 64  # datagrams held per socket; more are dropped
UDP_QUEUE_BYTES: Final = 256 * 1024
MAX_CHUNK: Final = 1 << 30


@struct
class Datagram:
    next: Ptr["Datagram"]
    src_ip: u32
    src_port: u16
    length: u32  # the payload follows this header


@struct
class Socket:
    kind: u32
    nonblock: bool
    shut_rd: bool
    conn: Ptr[TcpConn]  # STREAM
    local_ip: u32  # DGRAM: the bound address and port (port 0: unbound)
    local_port: u16
    remote_ip: u32  # DGRAM after connect(): the default destination and only accepted source
    remote_port: u16
    queue_head: Ptr[Datagram]
    queue_tail: Ptr[Datagram]
    queued: u32
    queued_bytes: u32
    dropped: u64
    readers: WaitQueue
    writers: WaitQueue
    acceptors: WaitQueue
    watch: Ptr[WaitQueue]


changed: Callable[[], None] = NULL
open_sockets: u32 = 0


def wake(s: Ptr[Socket], events: u32) -> None:
    if (events & (tcp.EV_READ | tcp.EV_CLOSED)) != 0:
        sched.wake_all(addr(s.readers))
    if (events & (tcp.EV_WRITE | tcp.EV_CLOSED)) != 0:
        sched.wake_all(addr(s.writers))
    if (events & (tcp.EV_ACCEPT | tcp.EV_CONNECT | tcp.EV_CLOSED)) != 0:
        sched.wake_all(addr(s.acceptors))
    if s.watch != NULL:
        sched.wake_all(s.watch)
    if changed != NULL:
        changed()


def on_tcp_event(c: Ptr[TcpConn], events: u32) -> None:
    s: Ptr[Socket] = cast(Ptr[Socket], c.user)
    if s != NULL:
        wake(s, events)


def new_socket(kind: u32) -> Ptr[Socket]:
    global open_sockets
    s: Ptr[Socket] = cast(Ptr[Socket], kalloc(usize(sizeof(Socket))))
    if s == NULL:
        return NULL
    s.kind = kind
    open_sockets += 1
    return s


def adopt(s: Ptr[Socket], c: Ptr[TcpConn]) -> None:
    s.conn = c
    c.user = cast(Ptr[None], s)
    c.notify = on_tcp_event


def open(kind: u32) -> Ptr[Socket]:
    """A new socket of kind STREAM or DGRAM; NULL when memory is exhausted (or kind is bad)."""
    global open_sockets
    if kind != STREAM and kind != DGRAM:
        return NULL
    s: Ptr[Socket] = new_socket(kind)
    if s == NULL or kind == DGRAM:
        return s
    c: Ptr[TcpConn] = tcp.create()
    if c == NULL:
        kfree(cast(Ptr[None], s))
        open_sockets -= 1
        return NULL
    adopt(s, c)
    return s


def interrupted() -> bool:
    p: Ptr[Process] = sched.current.process
    return p != NULL and process.signal_waiting(p)


def wait_on(s: Ptr[Socket], wq: Ptr[WaitQueue]) -> i64:
    """Nothing to do yet: -EAGAIN (non-blocking), -ERESTARTSYS (signal), or sleep until woken and 0."""
    if s.nonblock:
        return -errno.EAGAIN
    if interrupted():
        return -errno.ERESTARTSYS
    sched.block_on(wq, u64(0))
    return 0


def interface_ip() -> u32:
    if netif.primary == NULL:
        return 0
    return netif.primary.ip


# --- addresses -------------------------------------------------------------------------------

def bind(s: Ptr[Socket], ip: u32, port: u16) -> i64:
    if s.kind == STREAM:
        return tcp.bind(s.conn, ip, port)
    if s.local_port != 0:
        return -errno.EINVAL
    got: i64 = udp.bind(port, ip, on_datagram, cast(Ptr[None], s))
    if got < 0:
        return got
    s.local_ip = ip
    s.local_port = u16(got)
    return 0


def local_address(s: Ptr[Socket], ip: Ptr[u32], port: Ptr[u16]) -> None:
    if s.kind == STREAM:
        ip[0] = s.conn.local_ip
        port[0] = s.conn.local_port
    else:
        ip[0] = s.local_ip
        port[0] = s.local_port


def peer_address(s: Ptr[Socket], ip: Ptr[u32], port: Ptr[u16]) -> i64:
    if s.kind == STREAM:
        if s.conn.remote_port == 0 or s.conn.state == tcp.LISTEN:
            return -errno.ENOTCONN
        ip[0] = s.conn.remote_ip
        port[0] = s.conn.remote_port
        return 0
    if s.remote_port == 0:
        return -errno.ENOTCONN
    ip[0] = s.remote_ip
    port[0] = s.remote_port
    return 0


# --- connections -----------------------------------------------------------------------------

def listen(s: Ptr[Socket], backlog: u32) -> i64:
    if s.kind != STREAM:
        return -errno.EOPNOTSUPP
    return tcp.listen(s.conn, backlog)


def accept(s: Ptr[Socket], out: Ptr[Ptr[Socket]]) -> i64:
    """The next established connection, as a new socket in out[0]."""
    if s.kind != STREAM or s.conn.state != tcp.LISTEN:
        return -errno.EINVAL
    while True:
        c: Ptr[TcpConn] = tcp.accept(s.conn)
        if c != NULL:
            ns: Ptr[Socket] = new_socket(u32(STREAM))
            if ns == NULL:
                tcp.abort(c, i32(-errno.ENOMEM))
                tcp.close(c)
                return -errno.ENOMEM
            adopt(ns, c)
            out[0] = ns
            return 0
        err: i64 = wait_on(s, addr(s.acceptors))
        if err < 0:
            return err


def connect(s: Ptr[Socket], ip: u32, port: u16) -> i64:
    """TCP: the handshake (-EINPROGRESS at once when non-blocking; a later connect() reports
    how it ended). UDP: just the default peer."""
    if s.kind == DGRAM:
        if s.local_port == 0:
            err: i64 = bind(s, u32(0), u16(0))
            if err < 0:
                return err
        s.remote_ip = ip
        s.remote_port = port
        return 0
    c: Ptr[TcpConn] = s.conn
    if c.state == tcp.CLOSED and not c.connected:
        if netif.primary == NULL or interface_ip() == 0:
            return -errno.ENETUNREACH
        started: i64 = tcp.connect(c, interface_ip(), ip, port)
        if started < 0:
            return started
        if s.nonblock:
            return -errno.EINPROGRESS
    while True:
        if c.state == tcp.SYN_SENT or c.state == tcp.SYN_RCVD:
            if s.nonblock:
                return -errno.EALREADY
            err2: i64 = wait_on(s, addr(s.acceptors))
            if err2 < 0:
                return err2
            continue
        if c.connected and c.state != tcp.CLOSED:
            return 0
        if c.error != 0:
            return i64(c.error)
        return -errno.EISCONN if c.connected else -errno.ECONNREFUSED


# --- data ------------------------------------------------------------------------------------

def send(s: Ptr[Socket], buf: Ptr[u8], n: u64) -> i64:
    """Queue all n bytes (blocking) or as many as fit (non-blocking)."""
    if s.kind == DGRAM:
        if s.remote_port == 0:
            return -errno.EDESTADDRREQ
        return sendto(s, buf, n, s.remote_ip, s.remote_port)
    done: u64 = 0
    while done < n:
        chunk: u64 = n - done
        if chunk > MAX_CHUNK:
            chunk = MAX_CHUNK
        got: i64 = tcp.send(s.conn, buf + done, u32(chunk))
        if got > 0:
            done += u64(got)
            continue
        if got != -errno.EAGAIN:
            return i64(done) if done > 0 else got
        if s.nonblock and done > 0:
            break
        err: i64 = wait_on(s, addr(s.writers))
        if err < 0:
            return i64(done) if done > 0 else err
    return i64(done)


def recv(s: Ptr[Socket], buf: Ptr[u8], n: u64) -> i64:
    """Up to n bytes (at least one, blocking); 0 at the end of the stream."""
    if s.kind == DGRAM:
        return recvfrom(s, buf, n, NULL, NULL)
    if n > MAX_CHUNK:
        n = MAX_CHUNK
    while True:
        got: i64 = tcp.recv(s.conn, buf, u32(n))
        if got != -errno.EAGAIN or n == 0:
            return got
        if s.shut_rd:
            return 0
        err: i64 = wait_on(s, addr(s.readers))
        if err < 0:
            return err


def sendto(s: Ptr[Socket], buf: Ptr[u8], n: u64, ip: u32, port: u16) -> i64:
    """UDP: one datagram (TCP ignores the address, as Linux does when connected)."""
    if s.kind == STREAM:
        return send(s, buf, n)
    if netif.primary == NULL:
        return -errno.ENETUNREACH
    if n > udp.MAX_PAYLOAD:
        return -errno.EMSGSIZE
    if s.local_port == 0:
        err: i64 = bind(s, u32(0), u16(0))
        if err < 0:
            return err
    return udp.send(netif.primary, s.local_port, ip, port, buf, u32(n))


def on_datagram(owner: Ptr[None], src: u32, src_port: u16, dst: u32, data: Ptr[u8], length: u32) -> None:
    s: Ptr[Socket] = cast(Ptr[Socket], owner)
    if s.remote_port != 0 and (src != s.remote_ip or src_port != s.remote_port):
        return
    if s.shut_rd or s.queued >= UDP_QUEUE_MAX or s.queued_bytes + length > UDP_QUEUE_BYTES:
        s.dropped += 1
        return
    d: Ptr[Datagram] = cast(Ptr[Datagram], kalloc(usize(sizeof(Datagram)) + usize(length)))
    if d == NULL:
        s.dropped += 1
        return
    d.src_ip = src
    d.src_port = src_port
    d.length = length
    if length > 0:
        memcpy(cast(Ptr[None], payload(d)), cast(Ptr[None], data), usize(length))
    if s.queue_tail == NULL:
        s.queue_head = d
    else:
        s.queue_tail.next = d
    s.queue_tail = d
    s.queued += 1
    s.queued_bytes += length
    wake(s, u32(tcp.EV_READ))


def payload(d: Ptr[Datagram]) -> Ptr[u8]:
    return cast(Ptr[u8], d) + sizeof(Datagram)


def recvfrom(s: Ptr[Socket], buf: Ptr[u8], n: u64, from_ip: Ptr[u32], from_port: Ptr[u16]) -> i64:
    """UDP: the next datagram (truncated to n bytes, the rest discarded); its source in
    from_ip/from_port when they are not NULL."""
    if s.kind == STREAM:
        if from_ip != NULL:
            from_ip[0] = s.conn.remote_ip
            from_port[0] = s.conn.remote_port
        return recv(s, buf, n)
    while True:
        d: Ptr[Datagram] = s.queue_head
        if d != NULL:
            s.queue_head = d.next
            if s.queue_head == NULL:
                s.queue_tail = NULL
            s.queued -= 1
            s.queued_bytes -= d.length
            copied: u64 = u64(d.length)
            if copied > n:
                copied = n
            if copied > 0:
                memcpy(cast(Ptr[None], buf), cast(Ptr[None], payload(d)), usize(copied))
            if from_ip != NULL:
                from_ip[0] = d.src_ip
                from_port[0] = d.src_port
            kfree(cast(Ptr[None], d))
            return i64(copied)
        if s.shut_rd:
            return 0
        err: i64 = wait_on(s, addr(s.readers))
        if err < 0:
            return err


# --- state -----------------------------------------------------------------------------------

def poll(s: Ptr[Socket]) -> u32:
    """What s is ready for now (POLL* bits)."""
    if s.kind == DGRAM:
        ev: u32 = u32(POLLOUT | POLLWRNORM)
        if s.queued > 0 or s.shut_rd:
            ev |= POLLIN | POLLRDNORM
        return ev
    c: Ptr[TcpConn] = s.conn
    if c.state == tcp.LISTEN:
        return u32(POLLIN | POLLRDNORM) if c.accept_head != NULL else u32(0)
    if c.state == tcp.SYN_SENT or c.state == tcp.SYN_RCVD:
        return 0
    events: u32 = 0
    if tcp.readable(c) > 0 or tcp.at_eof(c) or s.shut_rd:
        events |= POLLIN | POLLRDNORM
    if c.fin_received:
        events |= POLLRDHUP
    if tcp.can_send(c) and tcp.send_space(c) > 0:
        events |= POLLOUT | POLLWRNORM
    if c.state == tcp.CLOSED:
        if c.error != 0:
            events |= POLLERR
        if c.connected or c.error != 0:
            events |= POLLIN | POLLRDNORM | POLLHUP
    return events


def shutdown(s: Ptr[Socket], how: u32) -> i64:
    if how > SHUT_RDWR:
        return -errno.EINVAL
    if how == SHUT_RD or how == SHUT_RDWR:
        s.shut_rd = True
    if s.kind == STREAM and (how == SHUT_WR or how == SHUT_RDWR):
        err: i64 = tcp.shutdown_write(s.conn)
        if err < 0:
            return err
    wake(s, u32(tcp.EV_READ | tcp.EV_WRITE))
    return 0


def close(s: Ptr[Socket]) -> None:
    """Let go of s (the TCP connection finishes on its own); frees s."""
    global open_sockets
    if s.kind == STREAM:
        tcp.close(s.conn)
        s.conn = NULL
    else:
        if s.local_port != 0:
            udp.unbind(s.local_port)
        while s.queue_head != NULL:
            d: Ptr[Datagram] = s.queue_head
            s.queue_head = d.next
            kfree(cast(Ptr[None], d))
    kfree(cast(Ptr[None], s))
    open_sockets -= 1
