"""The kernel's TCP echo server on 0.0.0.0:12345: every byte a client sends comes back, on any
number of concurrent connections (MAX_CLIENTS served at once; more wait in the listener's backlog,
and beyond that their SYNs go unanswered until the peer retries).

One kernel thread serves them all through non-blocking sockets whose `watch` queue is the
thread's: it sleeps until one of its sockets changes. A connection's bytes are read only as far
as its send buffer has room for them, so a client that does not read its echo is slowed by TCP
flow control rather than making the server buffer without bound. A client's end of stream is
answered, once everything is echoed, by closing the connection.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, i64, u8, u16, u32, u64

from .. import console
from ..proc import sched
from ..proc.task import Task, WaitQueue
from ..net import socket, tcp
from ..net.socket import Socket
from ..net.tcp import TcpConn

PORT: Final = 12345
BACKLOG: Final = 128
MAX_CLIENTS: Final = 128
CHUNK: Final = 16384

listener: Ptr[Socket] = NULL
clients: Array[Ptr[Socket], MAX_CLIENTS] = Array[Ptr[Socket], MAX_CLIENTS]()
watch_queue: WaitQueue = WaitQueue()
buffer: Array[u8, CHUNK] = Array[u8, CHUNK]()
thread: Ptr[Task] = NULL
active: u32 = 0
served: u64 = 0
bytes_echoed: u64 = 0


def take_new_clients() -> bool:
    """Accept while there are free slots; the rest wait in the listener's backlog."""
    global active, served
    got: bool = False
    out: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    for i in range(MAX_CLIENTS):
        if clients[i] != NULL:
            continue
        if socket.accept(listener, addr(out)) != 0:
            break
        s: Ptr[Socket] = out[0]
        s.nonblock = True
        s.watch = addr(watch_queue)
        clients[i] = s
        active += 1
        served += 1
        got = True
    return got


def echo_some(s: Ptr[Socket]) -> bool:
    """Move what can be moved from s's receive side to its send side."""
    global bytes_echoed
    c: Ptr[TcpConn] = s.conn
    moved: bool = False
    while True:
        n: u32 = tcp.readable(c)
        room: u32 = tcp.send_space(c)
        if room < n:
            n = room
        if n > CHUNK:
            n = CHUNK
        if n == 0 or not tcp.can_send(c):
            return moved
        got: i64 = socket.recv(s, addr(buffer), u64(n))
        if got <= 0:
            return moved
        socket.send(s, addr(buffer), u64(got))
        bytes_echoed += u64(got)
        moved = True


def serve_once() -> bool:
    """One pass over every connection; False if nothing at all happened."""
    global active
    progress: bool = take_new_clients()
    for i in range(MAX_CLIENTS):
        s: Ptr[Socket] = clients[i]
        if s == NULL:
            continue
        if echo_some(s):
            progress = True
        c: Ptr[TcpConn] = s.conn
        if tcp.at_eof(c) or c.state == tcp.CLOSED or (c.fin_received and not tcp.can_send(c)):
            socket.close(s)
            clients[i] = NULL
            active -= 1
            progress = True
    return progress


def serve() -> None:
    """The echo server's thread."""
    while True:
        if not serve_once():
            sched.block_on(addr(watch_queue), u64(0))


def start() -> bool:
    global listener, thread
    s: Ptr[Socket] = socket.open(u32(socket.STREAM))
    if s == NULL:
        console.log(b"web", b"echo server: out of memory")
        return False
    if socket.bind(s, u32(0), u16(PORT)) < 0 or socket.listen(s, u32(BACKLOG)) < 0:
        console.log(b"web", b"echo server: port 12345 is taken")
        socket.close(s)
        return False
    s.nonblock = True
    s.watch = addr(watch_queue)
    listener = s
    thread = sched.new_kernel_thread(serve)
    if thread == NULL:
        console.log(b"web", b"echo server: out of memory for its thread")
        return False
    sched.start(thread)
    console.log(b"web", b"echo server listening on 0.0.0.0:12345")
    return True
