"""Socket system calls: AF_INET stream (TCP) and datagram (UDP) sockets behind descriptors.

A socket is an inode (S_IFSOCK) whose private data is a net.socket.Socket; read/write/poll/close
reach it through the inode's stream and poll operations, so read(), write(), poll(), select(),
dup() and close-on-exec work on sockets as on pipes. O_NONBLOCK (or MSG_DONTWAIT) gives EAGAIN;
writing to a connection the peer closed is EPIPE and SIGPIPE unless MSG_NOSIGNAL.
Addresses cross as struct sockaddr_in (network byte order); the stack uses host order.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u16, u32, u64, usize

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import file, poll, vfs
from ..fs.file import File
from ..mm import uaccess
from ..mm.heap import kalloc, kfree
from ..mm.phys import PAGE
from ..net import socket
from ..net.socket import Socket
from ..proc import process, signal
from .fsargs import int_arg, min_u64
from .sys_rw import IOV_MAX, IoVec, iov_copy, iov_in
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_ACCEPT, SYS_ACCEPT4, SYS_BIND, SYS_CONNECT, SYS_GETPEERNAME, SYS_GETSOCKNAME,
                            SYS_GETSOCKOPT, SYS_LISTEN, SYS_RECVFROM, SYS_RECVMSG, SYS_SENDMSG, SYS_SENDTO,
                            SYS_SETSOCKOPT, SYS_SHUTDOWN, SYS_SOCKET, SYS_SOCKETPAIR)

AF_UNIX: Final = 1
AF_INET: Final = 2
SOCK_STREAM: Final = 1
SOCK_DGRAM: Final = 2
SOCK_TYPE_MASK: Final = 0xF
SOCK_NONBLOCK: Final = 0o4000
SOCK_CLOEXEC: Final = 0o2000000
IPPROTO_TCP: Final = 6
IPPROTO_UDP: Final = 17
MSG_DONTWAIT: Final = 0x40
MSG_NOSIGNAL: Final = 0x4000
SOL_SOCKET: Final = 1
SO_REUSEADDR: Final = 2
SO_TYPE: Final = 3
SO_ERROR: Final = 4
SO_SNDBUF: Final = 7
SO_RCVBUF: Final = 8
SO_KEEPALIVE: Final = 9
SO_REUSEPORT: Final = 15
TCP_NODELAY: Final = 1
SOCKADDR_IN_SIZE: Final = 16
BUFFER_SIZE: Final = 65536  # the stack's per-socket buffers, as SO_RCVBUF/SO_SNDBUF report
DGRAM_MAX: Final = 65507

ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0


@struct
class SockAddrIn:
    family: u16
    port_be: u16
    addr_be: u32
    zero: Array[u8, 8]


@struct
class MsgHdr:  # struct msghdr
    name: u64
    namelen: u32
    pad: u32
    iov: u64
    iovlen: u64
    control: u64
    controllen: u64
    flags: u32
    pad2: u32



def swap16(x: u16) -> u16:
    return (x >> 8) | (x << 8)


def swap32(x: u32) -> u32:
    return (x >> 24) | ((x >> 8) & 0xFF00) | ((x << 8) & 0xFF0000) | (x << 24)


def socket_of(node: Ptr[vfs.Inode]) -> Ptr[Socket]:
    return cast(Ptr[Socket], node.private)


def is_socket(node: Ptr[vfs.Inode]) -> bool:
    return node.ops == addr(ops)


def sock(fd: u64, out: Ptr[Ptr[Socket]]) -> i64:
    """The socket behind fd: -EBADF if none, -ENOTSOCK if fd is something else."""
    f: Ptr[File] = process.fd_get(process.current(), int_arg(fd))
    if f == NULL:
        return -errno.EBADF
    if not is_socket(f.inode):
        return -errno.ENOTSOCK
    s: Ptr[Socket] = socket_of(f.inode)
    s.nonblock = (f.flags & file.O_NONBLOCK) != 0
    out[0] = s
    return 0


# --- the inode face: read, write, poll, close ---------------------------------------------------

def stream_read(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    s: Ptr[Socket] = socket_of(node)
    s.nonblock = (flags & file.O_NONBLOCK) != 0
    return socket.recv(s, buf, u64(count))


def stream_write(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, flags: u32) -> i64:
    s: Ptr[Socket] = socket_of(node)
    s.nonblock = (flags & file.O_NONBLOCK) != 0
    r: i64 = socket.send(s, buf, u64(count))
    if r == -errno.EPIPE:
        signal.send(process.current(), u32(signal.SIGPIPE))
    return r


def poll_events(node: Ptr[vfs.Inode], flags: u32) -> u32:
    return socket.poll(socket_of(node))


def close_file(node: Ptr[vfs.Inode], flags: u32) -> None:
    socket.close(socket_of(node))
    node.private = NULL


def install(s: Ptr[Socket], flags: u32) -> i64:
    """A descriptor for s (which it takes over)."""
    global dev
    if dev == 0:
        dev = vfs.new_dev()
    node: Ptr[vfs.Inode] = vfs.new_anon(addr(ops), u32(vfs.S_IFSOCK | 0o777), dev, cast(Ptr[None], s))
    if node == NULL:
        socket.close(s)
        return -errno.ENOMEM
    node.uid = process.current().euid
    node.gid = process.current().egid
    slot: Array[Ptr[File], 1] = Array[Ptr[File], 1]()
    open_flags: u32 = u32(file.O_RDWR)
    if (flags & SOCK_NONBLOCK) != 0:
        open_flags |= file.O_NONBLOCK
    r: i64 = file.wrap(node, open_flags, addr(slot))
    if r < 0:
        return r
    return process.fd_install(process.current(), slot[0], (flags & SOCK_CLOEXEC) != 0, i64(0))


# --- addresses ---------------------------------------------------------------------------------

def address_in(user: u64, length: u64, ip: Ptr[u32], port: Ptr[u16]) -> i64:
    if length < SOCKADDR_IN_SIZE:
        return -errno.EINVAL
    sa: SockAddrIn = SockAddrIn()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(sa)), user, u64(SOCKADDR_IN_SIZE)) < 0:
        return -errno.EFAULT
    if sa.family != AF_INET:
        return -errno.EAFNOSUPPORT
    ip[0] = swap32(sa.addr_be)
    port[0] = swap16(sa.port_be)
    return 0


def address_out(user: u64, len_addr: u64, ip: u32, port: u16) -> i64:
    """Write a sockaddr_in to (user, *len_addr), truncated to the caller's length, as Linux does."""
    if user == 0:
        return 0
    have: Array[u32, 1] = Array[u32, 1]()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(have)), len_addr, u64(4)) < 0:
        return -errno.EFAULT
    if int_arg(u64(have[0])) < 0:
        return -errno.EINVAL
    sa: SockAddrIn = SockAddrIn()
    sa.family = u16(AF_INET)
    sa.port_be = swap16(port)
    sa.addr_be = swap32(ip)
    n: u64 = u64(have[0])
    if n > SOCKADDR_IN_SIZE:
        n = SOCKADDR_IN_SIZE
    if uaccess.copy_out(process.current().space, user, cast(Ptr[u8], addr(sa)), n) < 0:
        return -errno.EFAULT
    return uaccess.put_u32(process.current().space, len_addr, u32(SOCKADDR_IN_SIZE))


# --- calls -------------------------------------------------------------------------------------

def sys_socket(f: Ptr[TrapFrame]) -> i64:
    domain: u64 = f.rdi
    kind: u64 = f.rsi & SOCK_TYPE_MASK
    flags: u32 = u32(f.rsi) & ~u32(SOCK_TYPE_MASK)
    if domain != AF_INET:
        return -errno.EAFNOSUPPORT
    if (flags & ~u32(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0:
        return -errno.EINVAL
    proto: u64 = f.rdx
    if kind == SOCK_STREAM and (proto == 0 or proto == IPPROTO_TCP):
        s: Ptr[Socket] = socket.open(u32(socket.STREAM))
    elif kind == SOCK_DGRAM and (proto == 0 or proto == IPPROTO_UDP):
        s = socket.open(u32(socket.DGRAM))
    else:
        return -errno.EPROTONOSUPPORT
    if s == NULL:
        return -errno.ENOBUFS
    return install(s, flags)


def at_address(f: Ptr[TrapFrame], op: Callable[[Ptr[Socket], u32, u16], i64]) -> i64:
    """bind and connect: op on the socket fd (rdi) with the sockaddr_in at rsi of length rdx."""
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(f.rdi, addr(s))
    ip: Array[u32, 1] = Array[u32, 1]()
    port: Array[u16, 1] = Array[u16, 1]()
    if r == 0:
        r = address_in(f.rsi, f.rdx, addr(ip), addr(port))
    if r == 0:
        r = op(s[0], ip[0], port[0])
    return r


def sys_bind(f: Ptr[TrapFrame]) -> i64:
    return at_address(f, socket.bind)


def sys_listen(f: Ptr[TrapFrame]) -> i64:
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(f.rdi, addr(s))
    if r == 0:
        backlog: i64 = int_arg(f.rsi)
        if backlog < 1:
            backlog = 1
        r = socket.listen(s[0], u32(backlog))
    return r


def do_accept(fd: u64, user: u64, len_addr: u64, flags: u32) -> i64:
    if (flags & ~u32(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0:
        return -errno.EINVAL
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(fd, addr(s))
    if r < 0:
        return r
    got: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r = socket.accept(s[0], addr(got))
    if r < 0:
        return r
    ip: Array[u32, 1] = Array[u32, 1]()
    port: Array[u16, 1] = Array[u16, 1]()
    socket.peer_address(got[0], addr(ip), addr(port))
    fd_new: i64 = install(got[0], flags)
    if fd_new >= 0 and address_out(user, len_addr, ip[0], port[0]) < 0:
        process.fd_close(process.current(), fd_new)
        return -errno.EFAULT
    return fd_new


def sys_accept(f: Ptr[TrapFrame]) -> i64:
    return do_accept(f.rdi, f.rsi, f.rdx, u32(0))


def sys_accept4(f: Ptr[TrapFrame]) -> i64:
    return do_accept(f.rdi, f.rsi, f.rdx, u32(f.r10))


def sys_connect(f: Ptr[TrapFrame]) -> i64:
    return at_address(f, socket.connect)


def name_of(fd: u64, user: u64, len_addr: u64, peer: bool) -> i64:
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(fd, addr(s))
    if r < 0:
        return r
    ip: Array[u32, 1] = Array[u32, 1]()
    port: Array[u16, 1] = Array[u16, 1]()
    if peer:
        r = socket.peer_address(s[0], addr(ip), addr(port))
        if r < 0:
            return r
    else:
        socket.local_address(s[0], addr(ip), addr(port))
    return address_out(user, len_addr, ip[0], port[0])


def sys_getsockname(f: Ptr[TrapFrame]) -> i64:
    return name_of(f.rdi, f.rsi, f.rdx, False)


def sys_getpeername(f: Ptr[TrapFrame]) -> i64:
    return name_of(f.rdi, f.rsi, f.rdx, True)


def send_to(fd: u64, iov: Ptr[IoVec], iovcnt: u64, total: u64, flags: u64, dest: u64, dest_len: u64) -> i64:
    """sendto/sendmsg: the user buffers (total bytes), gathered, as one write or one datagram."""
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(fd, addr(s))
    if r < 0:
        return r
    if (flags & MSG_DONTWAIT) != 0:
        s[0].nonblock = True
    ip: Array[u32, 1] = Array[u32, 1]()
    port: Array[u16, 1] = Array[u16, 1]()
    if dest != 0 and s[0].kind == socket.DGRAM:
        r = address_in(dest, dest_len, addr(ip), addr(port))
        if r < 0:
            return r
    if s[0].kind == socket.DGRAM and total > DGRAM_MAX:
        return -errno.EMSGSIZE
    cap: u64 = PAGE
    if s[0].kind == socket.DGRAM:
        cap = total + 1
    buf: Ptr[u8] = cast(Ptr[u8], kalloc(usize(cap)))
    if buf == NULL:
        return -errno.ENOBUFS
    sent: u64 = 0
    taken: u64 = 0  # bytes of the buffers gathered so far
    while True:
        # A whole datagram, or a page of a stream.
        n: u64 = min_u64(total - taken, cap)
        if n == 0 and s[0].kind == socket.STREAM:
            break
        r = iov_copy(iov, iovcnt, taken, buf, n, False)
        if r < 0:
            break
        taken += n
        if s[0].kind == socket.DGRAM and dest != 0:
            r = socket.sendto(s[0], buf, n, ip[0], port[0])
        else:
            r = socket.send(s[0], buf, n)
        if r > 0:
            sent += u64(r)
        if s[0].kind == socket.DGRAM or r < 0 or u64(r) < n:
            break
    kfree(cast(Ptr[None], buf))
    if r == -errno.EPIPE and (flags & MSG_NOSIGNAL) == 0:
        signal.send(process.current(), u32(signal.SIGPIPE))
    if sent > 0:
        return i64(sent)
    return r


def recv_from(fd: u64, iov: Ptr[IoVec], iovcnt: u64, total: u64, flags: u64, src: u64, src_len: u64) -> i64:
    """recvfrom/recvmsg: what is there (at least one byte, or one datagram) into the buffers (total
    bytes)."""
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(fd, addr(s))
    if r < 0:
        return r
    if (flags & MSG_DONTWAIT) != 0:
        s[0].nonblock = True
    cap: u64 = PAGE
    if s[0].kind == socket.DGRAM:
        cap = DGRAM_MAX
    cap = min_u64(cap, total)
    buf: Ptr[u8] = cast(Ptr[u8], kalloc(usize(cap + 1)))
    if buf == NULL:
        return -errno.ENOBUFS
    ip: Array[u32, 1] = Array[u32, 1]()
    port: Array[u16, 1] = Array[u16, 1]()
    if s[0].kind == socket.DGRAM:
        r = socket.recvfrom(s[0], buf, cap, addr(ip), addr(port))
    else:
        r = socket.recv(s[0], buf, cap)
        socket.peer_address(s[0], addr(ip), addr(port))
    if r > 0 and iov_copy(iov, iovcnt, u64(0), buf, u64(r), True) < 0:
        r = -errno.EFAULT
    kfree(cast(Ptr[None], buf))
    if r >= 0 and src != 0 and address_out(src, src_len, ip[0], port[0]) < 0:
        return -errno.EFAULT
    return r


def sys_sendto(f: Ptr[TrapFrame]) -> i64:
    one: IoVec = IoVec()
    one.base = f.rsi
    one.len = f.rdx
    return send_to(f.rdi, addr(one), u64(1), one.len, f.r10, f.r8, f.r9)


def sys_recvfrom(f: Ptr[TrapFrame]) -> i64:
    one: IoVec = IoVec()
    one.base = f.rsi
    one.len = f.rdx
    return recv_from(f.rdi, addr(one), u64(1), one.len, f.r10, f.r8, f.r9)


def message(user: u64, m: Ptr[MsgHdr], out: Ptr[Ptr[IoVec]]) -> i64:
    """Copy in a msghdr and its iovec array (kalloc'd into out[0], which the caller frees); the
    total length of the buffers."""
    out[0] = NULL
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], m), user, u64(sizeof(MsgHdr))) < 0:
        return -errno.EFAULT
    if m.iovlen > IOV_MAX:
        return -errno.EMSGSIZE
    return iov_in(m.iov, m.iovlen, out)


def sys_sendmsg(f: Ptr[TrapFrame]) -> i64:
    m: MsgHdr = MsgHdr()
    iov: Array[Ptr[IoVec], 1] = Array[Ptr[IoVec], 1]()
    r: i64 = message(f.rsi, addr(m), addr(iov))
    if r >= 0:
        r = send_to(f.rdi, iov[0], m.iovlen, u64(r), f.rdx, m.name, u64(m.namelen))
    kfree(cast(Ptr[None], iov[0]))
    return r


def sys_recvmsg(f: Ptr[TrapFrame]) -> i64:
    m: MsgHdr = MsgHdr()
    iov: Array[Ptr[IoVec], 1] = Array[Ptr[IoVec], 1]()
    r: i64 = message(f.rsi, addr(m), addr(iov))
    if r >= 0:
        name_len_addr: u64 = f.rsi + 8  # &msg->msg_namelen
        r = recv_from(f.rdi, iov[0], m.iovlen, u64(r), f.rdx, m.name, name_len_addr)
    kfree(cast(Ptr[None], iov[0]))
    if r >= 0:
        uaccess.put_u64(process.current().space, f.rsi + 40, u64(0))  # msg_controllen: no ancillary data
        uaccess.put_u32(process.current().space, f.rsi + 48, u32(0))  # msg_flags
    return r


def sys_shutdown(f: Ptr[TrapFrame]) -> i64:
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(f.rdi, addr(s))
    if r == 0:
        r = socket.shutdown(s[0], u32(f.rsi))
    return r


def sys_setsockopt(f: Ptr[TrapFrame]) -> i64:
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(f.rdi, addr(s))
    if r < 0:
        return r
    level: u64 = f.rsi
    name: u64 = f.rdx
    if f.r8 < 4:
        return -errno.EINVAL
    known: bool = (level == SOL_SOCKET and (name == SO_REUSEADDR or name == SO_REUSEPORT or name == SO_KEEPALIVE
                                             or name == SO_SNDBUF or name == SO_RCVBUF))
    known = known or (level == IPPROTO_TCP and name == TCP_NODELAY)
    if not known:
        return -errno.ENOPROTOOPT
    return 0  # accepted: the stack's behaviour does not depend on them


def sys_getsockopt(f: Ptr[TrapFrame]) -> i64:
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(f.rdi, addr(s))
    if r < 0:
        return r
    level: u64 = f.rsi
    name: u64 = f.rdx
    value: u32 = 0
    if level == SOL_SOCKET and name == SO_TYPE:
        value = u32(SOCK_STREAM) if s[0].kind == socket.STREAM else u32(SOCK_DGRAM)
    elif level == SOL_SOCKET and name == SO_ERROR:
        value = 0
        if s[0].kind == socket.STREAM and s[0].conn.error != 0:
            value = u32(-s[0].conn.error)
            s[0].conn.error = 0
    elif level == SOL_SOCKET and (name == SO_SNDBUF or name == SO_RCVBUF):
        value = BUFFER_SIZE
    elif level == SOL_SOCKET and (name == SO_REUSEADDR or name == SO_KEEPALIVE or name == SO_REUSEPORT):
        value = 0
    elif level == IPPROTO_TCP and name == TCP_NODELAY:
        value = 1
    else:
        return -errno.ENOPROTOOPT
    have: Array[u32, 1] = Array[u32, 1]()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(have)), f.r8, u64(4)) < 0:
        return -errno.EFAULT
    if have[0] < 4:
        return -errno.EINVAL
    if uaccess.put_u32(process.current().space, f.r10, value) < 0:
        return -errno.EFAULT
    return uaccess.put_u32(process.current().space, f.r8, u32(4))


def sys_socketpair(f: Ptr[TrapFrame]) -> i64:
    if f.rdi == AF_UNIX:
        return -errno.EOPNOTSUPP
    return -errno.EAFNOSUPPORT


def init() -> None:
    ops.stream_read = stream_read
    ops.stream_write = stream_write
    ops.poll = poll_events
    ops.close_file = close_file
    socket.changed = poll.notify
    define(SYS_SOCKET, sys_socket, PARTIAL, b"AF_INET stream (TCP) and datagram (UDP); other families: EAFNOSUPPORT")
    define(SYS_BIND, sys_bind, FULL, NULL)
    define(SYS_LISTEN, sys_listen, FULL, NULL)
    define(SYS_ACCEPT, sys_accept, FULL, NULL)
    define(SYS_ACCEPT4, sys_accept4, FULL, NULL)
    define(SYS_CONNECT, sys_connect, FULL, NULL)
    define(SYS_GETSOCKNAME, sys_getsockname, FULL, NULL)
    define(SYS_GETPEERNAME, sys_getpeername, FULL, NULL)
    define(SYS_SENDTO, sys_sendto, PARTIAL, b"flags: MSG_DONTWAIT and MSG_NOSIGNAL")
    define(SYS_RECVFROM, sys_recvfrom, PARTIAL, b"flags: MSG_DONTWAIT (no MSG_PEEK)")
    define(SYS_SENDMSG, sys_sendmsg, PARTIAL, b"no ancillary data")
    define(SYS_RECVMSG, sys_recvmsg, PARTIAL, b"no ancillary data")
    define(SYS_SHUTDOWN, sys_shutdown, FULL, NULL)
    define(SYS_SETSOCKOPT, sys_setsockopt, PARTIAL, b"SO_REUSEADDR/REUSEPORT/KEEPALIVE/SNDBUF/RCVBUF and TCP_NODELAY "
           b"are accepted without changing the stack")
    define(SYS_GETSOCKOPT, sys_getsockopt, PARTIAL, b"SO_TYPE, SO_ERROR, SO_SNDBUF/RCVBUF, SO_REUSEADDR, TCP_NODELAY")
    define(SYS_SOCKETPAIR, sys_socketpair, PARTIAL, b"no AF_UNIX: EOPNOTSUPP")
