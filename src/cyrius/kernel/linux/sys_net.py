"""Socket system calls: AF_INET stream (TCP) and datagram (UDP) sockets, and AF_UNIX stream,
datagram and seqpacket sockets (net/unix.py), behind descriptors.

A socket is an inode (S_IFSOCK) whose private data is a net.socket.Socket or a net.unix.UnixSocket;
read/write/poll/close reach it through the inode's stream and poll operations, so read(), write(),
poll(), select(), dup() and close-on-exec work on sockets as on pipes. Each call here decodes its
arguments and dispatches on the family (unix_of: the AF_UNIX socket behind a descriptor, if any).
O_NONBLOCK (or MSG_DONTWAIT) gives EAGAIN; writing to a connection the peer closed is EPIPE and
SIGPIPE unless MSG_NOSIGNAL. Addresses cross as struct sockaddr_in (network byte order; the stack
uses host order) or struct sockaddr_un; ancillary data (SCM_RIGHTS, SCM_CREDENTIALS) as cmsghdrs.
"""
from cyrius.lang import (NULL, Array, Callable, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u16, u32, u64,
                         usize)
from cyrius.rt import memcpy

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import file, poll, vfs
from ..fs.file import File
from ..mm import uaccess, uspace
from ..mm.heap import kalloc, kfree
from ..mm.phys import PAGE
from ..net import socket, unix
from ..net.socket import Socket
from ..net.unix import Ancillary, UnixSocket
from ..proc import caps, cred, process, signal
from ..proc.task import Process
from ..platform import clock
from . import sys_info
from .fsargs import int_arg, min_u64
from .sys_rw import IOV_MAX, IoVec, iov_copy, iov_in
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_ACCEPT, SYS_ACCEPT4, SYS_BIND, SYS_CONNECT, SYS_GETPEERNAME, SYS_GETSOCKNAME,
                            SYS_GETSOCKOPT, SYS_LISTEN, SYS_RECVFROM, SYS_RECVMMSG, SYS_RECVMSG, SYS_SENDMMSG,
                            SYS_SENDMSG, SYS_SENDTO,
                            SYS_SETSOCKOPT, SYS_SHUTDOWN, SYS_SOCKET, SYS_SOCKETPAIR)

AF_UNIX: Final = 1
AF_INET: Final = 2
SOCK_STREAM: Final = 1
SOCK_DGRAM: Final = 2
SOCK_RAW: Final = 3
SOCK_SEQPACKET: Final = 5
SOCK_TYPE_MASK: Final = 0xF
SOCK_NONBLOCK: Final = 0o4000
SOCK_CLOEXEC: Final = 0o2000000
IPPROTO_TCP: Final = 6
IPPROTO_UDP: Final = 17
MSG_CTRUNC: Final = 0x8
MSG_TRUNC: Final = 0x20
MSG_DONTWAIT: Final = 0x40
MSG_NOSIGNAL: Final = 0x4000
MSG_CMSG_CLOEXEC: Final = 0x40000000
SCM_RIGHTS: Final = 1
SCM_CREDENTIALS: Final = 2
CMSG_HEADER: Final = 16  # struct cmsghdr; its data is 8-byte aligned
SOL_SOCKET: Final = 1
SO_REUSEADDR: Final = 2
SO_TYPE: Final = 3
SO_ERROR: Final = 4
SO_SNDBUF: Final = 7
SO_RCVBUF: Final = 8
SO_KEEPALIVE: Final = 9
SO_REUSEPORT: Final = 15
SO_PASSCRED: Final = 16
SO_PEERCRED: Final = 17
TCP_NODELAY: Final = 1
SOCKADDR_IN_SIZE: Final = 16
SOCKADDR_UN_SIZE: Final = 110
SUN_PATH: Final = 2  # where sun_path starts in a sockaddr_un
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
class SockAddrUn:
    family: u16
    path: Array[u8, unix.PATH_MAX]


@struct
class CmsgHdr:
    len: u64
    level: u32
    type: u32


@struct
class UCred:
    pid: u32
    uid: u32
    gid: u32


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


MMSGHDR_SIZE: Final = 64  # struct mmsghdr: a msghdr, then msg_len (and padding)
MMSG_LEN: Final = 56
MSG_WAITFORONE: Final = 0x10000
MSG_NAMELEN: Final = 8  # offsets of the msghdr fields recvmsg writes back
MSG_CONTROLLEN: Final = 40
MSG_FLAGS: Final = 48


def swap16(x: u16) -> u16:
    return (x >> 8) | (x << 8)


def swap32(x: u32) -> u32:
    return (x >> 24) | ((x >> 8) & 0xFF00) | ((x << 8) & 0xFF0000) | (x << 24)


def socket_of(node: Ptr[vfs.Inode]) -> Ptr[Socket]:
    return cast(Ptr[Socket], node.private)


def is_socket(node: Ptr[vfs.Inode]) -> bool:
    return node.ops == addr(ops)


def sock(fd: u64, out: Ptr[Ptr[Socket]]) -> i64:
    """The socket behind fd: -EBADF if none, -ENOTSOCK if fd is something else (held open until
    the system call ends, process.fd_hold)."""
    f: Ptr[File] = process.fd_hold(process.current(), int_arg(fd))
    if f == NULL:
        return -errno.EBADF
    if not is_socket(f.inode):
        return -errno.ENOTSOCK
    s: Ptr[Socket] = socket_of(f.inode)
    s.nonblock = (f.flags & file.O_NONBLOCK) != 0
    out[0] = s
    return 0


def unix_of(fd: u64) -> Ptr[UnixSocket]:
    """The AF_UNIX socket behind fd, or NULL (then sock() says why, or finds an AF_INET one); held
    open until the system call ends (process.fd_hold)."""
    f: Ptr[File] = process.fd_hold(process.current(), int_arg(fd))
    if f == NULL or not unix.is_unix(f.inode):
        return NULL
    u: Ptr[UnixSocket] = unix.socket_of(f.inode)
    u.nonblock = (f.flags & file.O_NONBLOCK) != 0
    return u


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
    return install_node(node, flags)


def install_unix(u: Ptr[UnixSocket], flags: u32) -> i64:
    node: Ptr[vfs.Inode] = unix.node_for(u)
    if node == NULL:
        return -errno.ENOMEM
    return install_node(node, flags)


def install_node(node: Ptr[vfs.Inode], flags: u32) -> i64:
    """A descriptor for a socket inode (whose reference it takes over), with SOCK_* flags."""
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
    sa: SockAddrIn = SockAddrIn()
    sa.family = u16(AF_INET)
    sa.port_be = swap16(port)
    sa.addr_be = swap32(ip)
    return sockaddr_out(user, len_addr, cast(Ptr[u8], addr(sa)), u64(SOCKADDR_IN_SIZE))


def sockaddr_out(user: u64, len_addr: u64, sa: Ptr[u8], size: u64) -> i64:
    """Write the size-byte address sa to (user, *len_addr), truncated to the caller's length, and
    its full size to *len_addr, as Linux does."""
    if user == 0:
        return 0
    have: Array[u32, 1] = Array[u32, 1]()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(have)), len_addr, u64(4)) < 0:
        return -errno.EFAULT
    if int_arg(u64(have[0])) < 0:
        return -errno.EINVAL
    n: u64 = min_u64(u64(have[0]), size)
    if uaccess.copy_out(process.current().space, user, sa, n) < 0:
        return -errno.EFAULT
    return uaccess.put_u32(process.current().space, len_addr, u32(size))


def unix_name_in(user: u64, length: u64, sa: Ptr[SockAddrUn]) -> i64:
    """A sockaddr_un from the caller into sa; the length of its name (0: none given)."""
    if length < SUN_PATH or length > SOCKADDR_UN_SIZE:
        return -errno.EINVAL
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], sa), user, length) < 0:
        return -errno.EFAULT
    if sa.family != AF_UNIX:
        return -errno.EINVAL
    return i64(length - SUN_PATH)


def unix_name_out(user: u64, len_addr: u64, sa: Ptr[SockAddrUn], name_len: u64) -> i64:
    """A sockaddr_un holding name_len bytes of sa.path out to the caller."""
    sa.family = u16(AF_UNIX)
    return sockaddr_out(user, len_addr, cast(Ptr[u8], sa), SUN_PATH + name_len)


# --- calls -------------------------------------------------------------------------------------

def sys_socket(f: Ptr[TrapFrame]) -> i64:
    domain: u64 = f.rdi
    kind: u64 = f.rsi & SOCK_TYPE_MASK
    flags: u32 = u32(f.rsi) & ~u32(SOCK_TYPE_MASK)
    if domain != AF_INET and domain != AF_UNIX:
        return -errno.EAFNOSUPPORT
    if (flags & ~u32(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0:
        return -errno.EINVAL
    proto: u64 = f.rdx
    if domain == AF_UNIX:
        return unix_socket(kind, proto, flags)
    if kind == SOCK_STREAM and (proto == 0 or proto == IPPROTO_TCP):
        s: Ptr[Socket] = socket.open(u32(socket.STREAM))
    elif kind == SOCK_DGRAM and (proto == 0 or proto == IPPROTO_UDP):
        s = socket.open(u32(socket.DGRAM))
    else:
        return -errno.EPROTONOSUPPORT
    if s == NULL:
        return -errno.ENOBUFS
    return install(s, flags)


def unix_socket(kind: u64, proto: u64, flags: u32) -> i64:
    if kind == SOCK_RAW:
        kind = SOCK_DGRAM  # as Linux does
    if kind != SOCK_STREAM and kind != SOCK_DGRAM and kind != SOCK_SEQPACKET:
        return -errno.ESOCKTNOSUPPORT
    if proto != 0 and proto != AF_UNIX:
        return -errno.EPROTONOSUPPORT
    u: Ptr[UnixSocket] = unix.open(u32(kind))
    if u == NULL:
        return -errno.ENOBUFS
    return install_unix(u, flags)


def at_address(f: Ptr[TrapFrame], op: Callable[[Ptr[Socket], u32, u16], i64],
               unix_op: Callable[[Ptr[UnixSocket], Ptr[u8], u32], i64]) -> i64:
    """bind and connect: op (unix_op on an AF_UNIX socket) on the socket fd (rdi) with the address
    at rsi of length rdx."""
    u: Ptr[UnixSocket] = unix_of(f.rdi)
    if u != NULL:
        sa: SockAddrUn = SockAddrUn()
        n: i64 = unix_name_in(f.rsi, f.rdx, addr(sa))
        if n < 0:
            return n
        return unix_op(u, addr(sa.path), u32(n))
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(f.rdi, addr(s))
    ip: Array[u32, 1] = Array[u32, 1]()
    port: Array[u16, 1] = Array[u16, 1]()
    if r == 0:
        r = address_in(f.rsi, f.rdx, addr(ip), addr(port))
    if r == 0:
        r = op(s[0], ip[0], port[0])
    return r


PROT_SOCK: Final = 1024  # ports below it need CAP_NET_BIND_SERVICE


def bind_inet(s: Ptr[Socket], ip: u32, port: u16) -> i64:
    if port != 0 and u32(port) < PROT_SOCK and not cred.capable(process.current(), u32(caps.CAP_NET_BIND_SERVICE)):
        return -errno.EACCES
    return socket.bind(s, ip, port)


def sys_bind(f: Ptr[TrapFrame]) -> i64:
    return at_address(f, bind_inet, unix.bind)


def sys_listen(f: Ptr[TrapFrame]) -> i64:
    backlog: i64 = int_arg(f.rsi)
    if backlog < 1:
        backlog = 1
    u: Ptr[UnixSocket] = unix_of(f.rdi)
    if u != NULL:
        return unix.listen(u, u32(backlog))
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(f.rdi, addr(s))
    if r == 0:
        r = socket.listen(s[0], u32(backlog))
    return r


def do_accept(fd: u64, user: u64, len_addr: u64, flags: u32) -> i64:
    if (flags & ~u32(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0:
        return -errno.EINVAL
    u: Ptr[UnixSocket] = unix_of(fd)
    if u != NULL:
        return unix_accept(u, user, len_addr, flags)
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


def unix_accept(u: Ptr[UnixSocket], user: u64, len_addr: u64, flags: u32) -> i64:
    got: Array[Ptr[UnixSocket], 1] = Array[Ptr[UnixSocket], 1]()
    r: i64 = unix.accept(u, addr(got))
    if r < 0:
        return r
    sa: SockAddrUn = SockAddrUn()
    n: i64 = unix.peer_name(got[0], addr(sa.path))
    if n < 0:
        n = 0  # the client is gone already
    fd_new: i64 = install_unix(got[0], flags)
    if fd_new >= 0 and unix_name_out(user, len_addr, addr(sa), u64(n)) < 0:
        process.fd_close(process.current(), fd_new)
        return -errno.EFAULT
    return fd_new


def sys_accept(f: Ptr[TrapFrame]) -> i64:
    return do_accept(f.rdi, f.rsi, f.rdx, u32(0))


def sys_accept4(f: Ptr[TrapFrame]) -> i64:
    return do_accept(f.rdi, f.rsi, f.rdx, u32(f.r10))


def sys_connect(f: Ptr[TrapFrame]) -> i64:
    return at_address(f, socket.connect, unix.connect)


def name_of(fd: u64, user: u64, len_addr: u64, peer: bool) -> i64:
    u: Ptr[UnixSocket] = unix_of(fd)
    if u != NULL:
        sa: SockAddrUn = SockAddrUn()
        n: i64 = unix.peer_name(u, addr(sa.path)) if peer else i64(unix.local_name(u, addr(sa.path)))
        if n < 0:
            return n
        return unix_name_out(user, len_addr, addr(sa), u64(n))
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


# --- sending ---------------------------------------------------------------------------------

@struct
class Outgoing:
    """Where a sendto/sendmsg goes, decoded: one of inet and local is set."""
    inet: Ptr[Socket]
    local: Ptr[UnixSocket]
    record: bool  # one datagram or record, whole or not at all
    to: Ptr[UnixSocket]  # an AF_UNIX datagram's explicit destination (NULL: the connected peer)
    has_dest: bool  # an AF_INET datagram's explicit destination in ip, port
    ip: u32
    port: u16
    extra: Ancillary  # AF_UNIX: descriptors and credentials to send


def rights_in(data: Ptr[u8], length: u64, extra: Ptr[Ancillary]) -> i64:
    """SCM_RIGHTS: a reference to each descriptor's File, held in extra until delivered."""
    count: u64 = length // 4
    if length % 4 != 0 or count == 0 or count > unix.FILES_MAX or extra.files != NULL:
        return -errno.EINVAL
    extra.files = cast(Ptr[Ptr[File]], kalloc(usize(count * 8)))
    if extra.files == NULL:
        return -errno.ENOMEM
    fds: Ptr[u32] = cast(Ptr[u32], data)
    for i in range(count):
        fp: Ptr[File] = process.fd_get(process.current(), i64(i32(fds[i])))
        if fp == NULL:
            return -errno.EBADF
        extra.files[i] = file.dup(fp)
        extra.nfiles += 1
    return 0


def cred_in(data: Ptr[u8], length: u64, extra: Ptr[Ancillary]) -> i64:
    """SCM_CREDENTIALS: the sender's own pid (else CAP_SYS_ADMIN), one of its user ids (else
    CAP_SETUID) and group ids (else CAP_SETGID), as Linux's scm_check_creds."""
    if length != sizeof(UCred):
        return -errno.EINVAL
    c: Ptr[UCred] = cast(Ptr[UCred], data)
    p: Ptr[Process] = process.current()
    if c.pid != p.vpid and not cred.capable(p, u32(caps.CAP_SYS_ADMIN)):
        return -errno.EPERM
    if not cred.one_of(c.uid, p.uid, p.euid, p.suid) and not cred.capable(p, u32(caps.CAP_SETUID)):
        return -errno.EPERM
    if not cred.one_of(c.gid, p.gid, p.egid, p.sgid) and not cred.capable(p, u32(caps.CAP_SETGID)):
        return -errno.EPERM
    extra.has_cred = True
    extra.pid = c.pid
    extra.uid = c.uid
    extra.gid = c.gid
    return 0


def control_in(user: u64, length: u64, extra: Ptr[Ancillary]) -> i64:
    """The cmsghdrs of a sendmsg into extra (on failure the caller still releases it)."""
    if length == 0:
        return 0
    if length > PAGE:
        return -errno.ENOBUFS
    buf: Ptr[u8] = cast(Ptr[u8], kalloc(usize(length)))
    if buf == NULL:
        return -errno.ENOMEM
    r: i64 = 0
    if uaccess.copy_in(process.current().space, buf, user, length) < 0:
        r = -errno.EFAULT
    pos: u64 = 0
    while r == 0 and pos + CMSG_HEADER <= length:
        h: Ptr[CmsgHdr] = cast(Ptr[CmsgHdr], buf + pos)
        if h.len < CMSG_HEADER or h.len > length - pos or h.level != SOL_SOCKET:
            r = -errno.EINVAL
        elif h.type == SCM_RIGHTS:
            r = rights_in(buf + pos + CMSG_HEADER, h.len - CMSG_HEADER, extra)
        elif h.type == SCM_CREDENTIALS:
            r = cred_in(buf + pos + CMSG_HEADER, h.len - CMSG_HEADER, extra)
        else:
            r = -errno.EINVAL
        pos += (h.len + 7) & ~u64(7)
    kfree(cast(Ptr[None], buf))
    return r


def release(extra: Ptr[Ancillary]) -> None:
    """Close the descriptors extra still holds."""
    unix.close_files(extra.files, u32(0), extra.nfiles)
    kfree(cast(Ptr[None], extra.files))
    extra.files = NULL
    extra.nfiles = 0


def outgoing(fd: u64, flags: u64, dest: u64, dest_len: u64, control: u64, control_len: u64,
             o: Ptr[Outgoing]) -> i64:
    """Decode a send's socket, destination and ancillary data into o."""
    o.local = unix_of(fd)
    if o.local == NULL:
        s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
        r: i64 = sock(fd, addr(s))
        if r < 0:
            return r
        o.inet = s[0]
        o.inet.nonblock = o.inet.nonblock or (flags & MSG_DONTWAIT) != 0
        o.record = o.inet.kind == socket.DGRAM
        o.has_dest = dest != 0 and o.record
        if not o.has_dest:
            return 0
        ip: Array[u32, 1] = Array[u32, 1]()
        port: Array[u16, 1] = Array[u16, 1]()
        r = address_in(dest, dest_len, addr(ip), addr(port))
        o.ip = ip[0]
        o.port = port[0]
        return r
    o.local.nonblock = o.local.nonblock or (flags & MSG_DONTWAIT) != 0
    o.record = o.local.kind != unix.STREAM
    if dest != 0 and o.local.kind == unix.DGRAM:
        sa: SockAddrUn = SockAddrUn()
        n: i64 = unix_name_in(dest, dest_len, addr(sa))
        if n < 0:
            return n
        slot: Array[Ptr[UnixSocket], 1] = Array[Ptr[UnixSocket], 1]()
        n = unix.find(addr(sa.path), u32(n), u32(unix.DGRAM), addr(slot))
        if n < 0:
            return n
        o.to = slot[0]
    return control_in(control, control_len, addr(o.extra))


def send_chunk(o: Ptr[Outgoing], buf: Ptr[u8], n: u64) -> i64:
    if o.local != NULL:
        return unix.send(o.local, buf, n, o.to, addr(o.extra))
    if o.has_dest:
        return socket.sendto(o.inet, buf, n, o.ip, o.port)
    return socket.send(o.inet, buf, n)


def send_to(fd: u64, iov: Ptr[IoVec], iovcnt: u64, total: u64, flags: u64, dest: u64, dest_len: u64,
            control: u64, control_len: u64) -> i64:
    """sendto/sendmsg: the user buffers (total bytes), gathered, as one write or one datagram, with
    the ancillary data at control (AF_UNIX)."""
    o: Outgoing = Outgoing()
    r: i64 = outgoing(fd, flags, dest, dest_len, control, control_len, addr(o))
    limit: u64 = DGRAM_MAX if o.local == NULL else u64(unix.QUEUE_BYTES)
    if r == 0 and o.record and total > limit:
        r = -errno.EMSGSIZE
    sent: Array[u64, 1] = Array[u64, 1]()
    if r == 0:
        r = gather_and_send(addr(o), iov, iovcnt, total, addr(sent))
    release(addr(o.extra))
    if r == -errno.EPIPE and (flags & MSG_NOSIGNAL) == 0:
        signal.send(process.current(), u32(signal.SIGPIPE))
    if sent[0] > 0:
        return i64(sent[0])
    return r


def gather_and_send(o: Ptr[Outgoing], iov: Ptr[IoVec], iovcnt: u64, total: u64, sent: Ptr[u64]) -> i64:
    """A whole record, or a stream a page at a time; the bytes accepted in sent[0]."""
    cap: u64 = PAGE
    if o.record:
        cap = total + 1
    buf: Ptr[u8] = cast(Ptr[u8], kalloc(usize(cap)))
    if buf == NULL:
        return -errno.ENOBUFS
    r: i64 = 0
    taken: u64 = 0  # bytes of the buffers gathered so far
    while True:
        n: u64 = min_u64(total - taken, cap)
        if n == 0 and not o.record:
            break
        r = iov_copy(iov, iovcnt, taken, buf, n, False)
        if r < 0:
            break
        taken += n
        r = send_chunk(o, buf, n)
        if r > 0:
            sent[0] += u64(r)
        if o.record or r < 0 or u64(r) < n:
            break
    kfree(cast(Ptr[None], buf))
    return r


# --- receiving -------------------------------------------------------------------------------

def recv_from(fd: u64, iov: Ptr[IoVec], iovcnt: u64, total: u64, flags: u64, src: u64, src_len: u64,
              msg: u64, m: Ptr[MsgHdr]) -> i64:
    """recvfrom/recvmsg: what is there (at least one byte, or one datagram) into the buffers (total
    bytes); with msg (the user's msghdr, copied in m), its control data and flags too."""
    u: Ptr[UnixSocket] = unix_of(fd)
    if u != NULL:
        return unix_recv(u, iov, iovcnt, total, flags, src, src_len, msg, m)
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
    if r >= 0 and msg != 0:
        uaccess.put_u64(process.current().space, msg + MSG_CONTROLLEN, u64(0))  # no ancillary data
        uaccess.put_u32(process.current().space, msg + MSG_FLAGS, u32(0))
    return r


def unix_recv(u: Ptr[UnixSocket], iov: Ptr[IoVec], iovcnt: u64, total: u64, flags: u64, src: u64, src_len: u64,
              msg: u64, m: Ptr[MsgHdr]) -> i64:
    if (flags & MSG_DONTWAIT) != 0:
        u.nonblock = True
    cap: u64 = PAGE if u.kind == unix.STREAM else u64(unix.QUEUE_BYTES)
    cap = min_u64(cap, total)
    buf: Ptr[u8] = cast(Ptr[u8], kalloc(usize(cap + 1)))
    if buf == NULL:
        return -errno.ENOBUFS
    extra: Ancillary = Ancillary()
    r: i64 = unix.recv(u, buf, cap, addr(extra))
    if r > 0 and iov_copy(iov, iovcnt, u64(0), buf, u64(r), True) < 0:
        r = -errno.EFAULT
    kfree(cast(Ptr[None], buf))
    space: Ptr[uspace.AddressSpace] = process.current().space
    if r >= 0 and src != 0:
        if u.kind == unix.STREAM or extra.from_len == 0:
            uaccess.put_u32(space, src_len, u32(0))  # no name to report
        else:
            sa: SockAddrUn = SockAddrUn()
            memcpy(cast(Ptr[None], addr(sa.path)), cast(Ptr[None], addr(extra.from_name)), usize(extra.from_len))
            unix_name_out(src, src_len, addr(sa), u64(extra.from_len))
    if r >= 0 and msg != 0:
        out_flags: Array[u32, 1] = Array[u32, 1]()
        if extra.truncated:
            out_flags[0] = MSG_TRUNC
        used: u64 = control_out(u, m, flags, addr(extra), addr(out_flags))
        uaccess.put_u64(space, msg + MSG_CONTROLLEN, used)
        uaccess.put_u32(space, msg + MSG_FLAGS, out_flags[0])
    release(addr(extra))
    return r


def cmsg_put(buf: Ptr[u8], space: u64, used: Ptr[u64], kind: u32, data_len: u64) -> Ptr[u8]:
    """Start a control message of data_len bytes at buf + used[0] and count its (aligned) space,
    within the receiver's space bytes; where its data goes."""
    h: Ptr[CmsgHdr] = cast(Ptr[CmsgHdr], buf + used[0])
    h.len = CMSG_HEADER + data_len
    h.level = u32(SOL_SOCKET)
    h.type = kind
    used[0] += min_u64((h.len + 7) & ~u64(7), space - used[0])
    return cast(Ptr[u8], h) + CMSG_HEADER


def control_out(u: Ptr[UnixSocket], m: Ptr[MsgHdr], flags: u64, extra: Ptr[Ancillary], out_flags: Ptr[u32]) -> u64:
    """recvmsg's control data: SCM_CREDENTIALS (with SO_PASSCRED), then SCM_RIGHTS with the received
    files installed as descriptors; what does not fit is dropped (files closed) with MSG_CTRUNC.
    The bytes of the user's control buffer used."""
    space: u64 = min_u64(m.controllen, PAGE)
    buf: Ptr[u8] = cast(Ptr[u8], kalloc(usize(space + 1)))
    if buf == NULL:
        out_flags[0] |= MSG_CTRUNC
        return 0
    used: Array[u64, 1] = Array[u64, 1]()
    if u.passcred and extra.has_cred:
        if space - used[0] >= CMSG_HEADER + sizeof(UCred):
            c: Ptr[UCred] = cast(Ptr[UCred], cmsg_put(buf, space, addr(used), u32(SCM_CREDENTIALS), u64(sizeof(UCred))))
            c.pid = extra.pid
            c.uid = extra.uid
            c.gid = extra.gid
        else:
            out_flags[0] |= MSG_CTRUNC
    if extra.nfiles > 0:
        fit: u64 = 0
        if space - used[0] > CMSG_HEADER:
            fit = min_u64((space - used[0] - CMSG_HEADER) // 4, u64(extra.nfiles))
        fds: Ptr[u32] = cast(Ptr[u32], buf + used[0] + CMSG_HEADER)
        installed: u64 = 0
        for i in range(extra.nfiles):
            if u64(i) < fit:
                fd: i64 = process.fd_install(process.current(), extra.files[i], (flags & MSG_CMSG_CLOEXEC) != 0, i64(0))
                if fd >= 0:
                    fds[installed] = u32(fd)
                    installed += 1
            else:
                file.close(extra.files[i])
        if installed < u64(extra.nfiles):
            out_flags[0] |= MSG_CTRUNC
        if installed > 0:
            cmsg_put(buf, space, addr(used), u32(SCM_RIGHTS), installed * 4)
        kfree(cast(Ptr[None], extra.files))
        extra.files = NULL
        extra.nfiles = 0
    if used[0] > 0 and uaccess.copy_out(process.current().space, m.control, buf, used[0]) < 0:
        used[0] = 0
    kfree(cast(Ptr[None], buf))
    return used[0]


def sys_sendto(f: Ptr[TrapFrame]) -> i64:
    one: IoVec = IoVec()
    one.base = f.rsi
    one.len = f.rdx
    return send_to(f.rdi, addr(one), u64(1), one.len, f.r10, f.r8, f.r9, u64(0), u64(0))


def sys_recvfrom(f: Ptr[TrapFrame]) -> i64:
    one: IoVec = IoVec()
    one.base = f.rsi
    one.len = f.rdx
    return recv_from(f.rdi, addr(one), u64(1), one.len, f.r10, f.r8, f.r9, u64(0), NULL)


def message(user: u64, m: Ptr[MsgHdr], out: Ptr[Ptr[IoVec]]) -> i64:
    """Copy in a msghdr and its iovec array (kalloc'd into out[0], which the caller frees); the
    total length of the buffers."""
    out[0] = NULL
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], m), user, u64(sizeof(MsgHdr))) < 0:
        return -errno.EFAULT
    if m.iovlen > IOV_MAX:
        return -errno.EMSGSIZE
    return iov_in(m.iov, m.iovlen, out)


def send_message(fd: u64, user: u64, flags: u64) -> i64:
    """sendmsg of the msghdr at user."""
    m: MsgHdr = MsgHdr()
    iov: Array[Ptr[IoVec], 1] = Array[Ptr[IoVec], 1]()
    r: i64 = message(user, addr(m), addr(iov))
    if r >= 0:
        r = send_to(fd, iov[0], m.iovlen, u64(r), flags, m.name, u64(m.namelen), m.control, m.controllen)
    kfree(cast(Ptr[None], iov[0]))
    return r


def receive_message(fd: u64, user: u64, flags: u64) -> i64:
    """recvmsg into the msghdr at user (its name length, control length and flags written back)."""
    m: MsgHdr = MsgHdr()
    iov: Array[Ptr[IoVec], 1] = Array[Ptr[IoVec], 1]()
    r: i64 = message(user, addr(m), addr(iov))
    if r >= 0:
        r = recv_from(fd, iov[0], m.iovlen, u64(r), flags, m.name, user + MSG_NAMELEN, user, addr(m))
    kfree(cast(Ptr[None], iov[0]))
    return r


def sys_sendmsg(f: Ptr[TrapFrame]) -> i64:
    return send_message(f.rdi, f.rsi, f.rdx)


def sys_recvmsg(f: Ptr[TrapFrame]) -> i64:
    return receive_message(f.rdi, f.rsi, f.rdx)


def each_message(f: Ptr[TrapFrame], receiving: bool, deadline: u64) -> i64:
    """sendmmsg/recvmmsg: one sendmsg/recvmsg per struct mmsghdr (a msghdr and its msg_len) of the
    vector, up to UIO_MAXIOV; how many went, or the first one's error if none did. recvmmsg's
    MSG_WAITFORONE waits for the first message only; its timeout is looked at between messages,
    as on Linux."""
    vlen: u64 = f.rdx if f.rdx < IOV_MAX else u64(IOV_MAX)
    flags: u64 = f.r10 & ~u64(MSG_WAITFORONE)
    done: u64 = 0
    while done < vlen:
        entry: u64 = f.rsi + done * MMSGHDR_SIZE
        r: i64 = receive_message(f.rdi, entry, flags) if receiving else send_message(f.rdi, entry, flags)
        if r < 0:
            if done == 0:
                return r
            break
        if uaccess.put_u32(process.current().space, entry + MMSG_LEN, u32(r)) < 0:
            return -errno.EFAULT
        done += 1
        if (f.r10 & MSG_WAITFORONE) != 0:
            flags |= MSG_DONTWAIT
        if deadline != 0 and clock.now_ns() >= deadline:
            break
    return i64(done)


def sys_sendmmsg(f: Ptr[TrapFrame]) -> i64:
    return each_message(f, False, u64(0))


def sys_recvmmsg(f: Ptr[TrapFrame]) -> i64:
    deadline: u64 = 0
    if f.r8 != 0:
        span: Array[u64, 1] = Array[u64, 1]()
        r: i64 = sys_info.get_timespec(f.r8, addr(span))
        if r < 0:
            return r
        deadline = clock.now_ns() + span[0] + 1
    return each_message(f, True, deadline)


def sys_shutdown(f: Ptr[TrapFrame]) -> i64:
    u: Ptr[UnixSocket] = unix_of(f.rdi)
    if u != NULL:
        return unix.shutdown(u, u32(f.rsi))
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    r: i64 = sock(f.rdi, addr(s))
    if r == 0:
        r = socket.shutdown(s[0], u32(f.rsi))
    return r


# --- options ---------------------------------------------------------------------------------

def sys_setsockopt(f: Ptr[TrapFrame]) -> i64:
    u: Ptr[UnixSocket] = unix_of(f.rdi)
    s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
    if u == NULL:
        r: i64 = sock(f.rdi, addr(s))
        if r < 0:
            return r
    level: u64 = f.rsi
    name: u64 = f.rdx
    if f.r8 < 4:
        return -errno.EINVAL
    if u != NULL and level == SOL_SOCKET and name == SO_PASSCRED:
        value: Array[u32, 1] = Array[u32, 1]()
        if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(value)), f.r10, u64(4)) < 0:
            return -errno.EFAULT
        u.passcred = value[0] != 0
        return 0
    known: bool = (level == SOL_SOCKET and (name == SO_REUSEADDR or name == SO_REUSEPORT or name == SO_KEEPALIVE
                                             or name == SO_SNDBUF or name == SO_RCVBUF))
    known = known or (level == IPPROTO_TCP and name == TCP_NODELAY and u == NULL)
    if not known:
        return -errno.ENOPROTOOPT
    return 0  # accepted: the stack's behaviour does not depend on them


def unix_option(u: Ptr[UnixSocket], name: u64, out: Ptr[UCred]) -> i64:
    """An AF_UNIX socket's SOL_SOCKET option into out (an int in out.pid); its size."""
    if name == SO_PEERCRED:
        out.pid = u.peer_pid
        out.uid = u.peer_uid
        out.gid = u.peer_gid
        return i64(sizeof(UCred))
    if name == SO_TYPE:
        out.pid = u.kind
    elif name == SO_PASSCRED:
        out.pid = u32(u.passcred)
    elif name == SO_SNDBUF or name == SO_RCVBUF:
        out.pid = unix.QUEUE_BYTES
    elif name != SO_ERROR and name != SO_REUSEADDR and name != SO_KEEPALIVE and name != SO_REUSEPORT:
        return -errno.ENOPROTOOPT
    return 4


def inet_option(s: Ptr[Socket], level: u64, name: u64, out: Ptr[u32]) -> i64:
    """An AF_INET socket's int option into out[0]; 0 or -ENOPROTOOPT."""
    if level == SOL_SOCKET and name == SO_TYPE:
        out[0] = u32(SOCK_STREAM) if s.kind == socket.STREAM else u32(SOCK_DGRAM)
    elif level == SOL_SOCKET and name == SO_ERROR:
        if s.kind == socket.STREAM and s.conn.error != 0:
            out[0] = u32(-s.conn.error)
            s.conn.error = 0
    elif level == SOL_SOCKET and (name == SO_SNDBUF or name == SO_RCVBUF):
        out[0] = BUFFER_SIZE
    elif level == SOL_SOCKET and (name == SO_REUSEADDR or name == SO_KEEPALIVE or name == SO_REUSEPORT):
        out[0] = 0
    elif level == IPPROTO_TCP and name == TCP_NODELAY:
        out[0] = 1
    else:
        return -errno.ENOPROTOOPT
    return 0


def sys_getsockopt(f: Ptr[TrapFrame]) -> i64:
    value: UCred = UCred()  # an int option uses its first field
    size: i64 = 4
    u: Ptr[UnixSocket] = unix_of(f.rdi)
    if u != NULL:
        size = unix_option(u, f.rdx, addr(value)) if f.rsi == SOL_SOCKET else -errno.ENOPROTOOPT
    else:
        s: Array[Ptr[Socket], 1] = Array[Ptr[Socket], 1]()
        r: i64 = sock(f.rdi, addr(s))
        if r == 0:
            r = inet_option(s[0], f.rsi, f.rdx, cast(Ptr[u32], addr(value)))
        if r < 0:
            size = r
    if size < 0:
        return size
    have: Array[u32, 1] = Array[u32, 1]()
    if uaccess.copy_in(process.current().space, cast(Ptr[u8], addr(have)), f.r8, u64(4)) < 0:
        return -errno.EFAULT
    if have[0] < 4:
        return -errno.EINVAL
    n: u64 = min_u64(u64(have[0]), u64(size))
    if uaccess.copy_out(process.current().space, f.r10, cast(Ptr[u8], addr(value)), n) < 0:
        return -errno.EFAULT
    return uaccess.put_u32(process.current().space, f.r8, u32(n))


def sys_socketpair(f: Ptr[TrapFrame]) -> i64:
    if f.rdi == AF_INET:
        return -errno.EOPNOTSUPP
    if f.rdi != AF_UNIX:
        return -errno.EAFNOSUPPORT
    kind: u64 = f.rsi & SOCK_TYPE_MASK
    flags: u32 = u32(f.rsi) & ~u32(SOCK_TYPE_MASK)
    if (flags & ~u32(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0:
        return -errno.EINVAL
    if kind != SOCK_STREAM and kind != SOCK_DGRAM and kind != SOCK_SEQPACKET:
        return -errno.ESOCKTNOSUPPORT
    if f.rdx != 0 and f.rdx != AF_UNIX:
        return -errno.EPROTONOSUPPORT
    ends: Array[Ptr[UnixSocket], 2] = Array[Ptr[UnixSocket], 2]()
    r: i64 = unix.pair(u32(kind), addr(ends))
    if r < 0:
        return r
    fds: Array[u32, 2] = Array[u32, 2]()
    first: i64 = install_unix(ends[0], flags)
    if first < 0:
        unix.close(ends[1])
        return first
    second: i64 = install_unix(ends[1], flags)
    if second < 0:
        process.fd_close(process.current(), first)
        return second
    fds[0] = u32(first)
    fds[1] = u32(second)
    if uaccess.copy_out(process.current().space, f.r10, cast(Ptr[u8], addr(fds)), u64(8)) < 0:
        process.fd_close(process.current(), first)
        process.fd_close(process.current(), second)
        return -errno.EFAULT
    return 0


def init() -> None:
    ops.stream_read = stream_read
    ops.stream_write = stream_write
    ops.poll = poll_events
    ops.close_file = close_file
    socket.changed = poll.notify
    unix.init()
    define(SYS_SOCKET, sys_socket, PARTIAL, b"AF_INET stream (TCP) and datagram (UDP); AF_UNIX stream, datagram "
           b"and seqpacket; other families: EAFNOSUPPORT")
    define(SYS_BIND, sys_bind, FULL, NULL)
    define(SYS_LISTEN, sys_listen, FULL, NULL)
    define(SYS_ACCEPT, sys_accept, FULL, NULL)
    define(SYS_ACCEPT4, sys_accept4, FULL, NULL)
    define(SYS_CONNECT, sys_connect, FULL, NULL)
    define(SYS_GETSOCKNAME, sys_getsockname, FULL, NULL)
    define(SYS_GETPEERNAME, sys_getpeername, FULL, NULL)
    define(SYS_SENDTO, sys_sendto, PARTIAL, b"flags: MSG_DONTWAIT and MSG_NOSIGNAL")
    define(SYS_RECVFROM, sys_recvfrom, PARTIAL, b"flags: MSG_DONTWAIT (no MSG_PEEK)")
    define(SYS_SENDMSG, sys_sendmsg, PARTIAL, b"ancillary data on AF_UNIX: SCM_RIGHTS, SCM_CREDENTIALS")
    define(SYS_RECVMSG, sys_recvmsg, PARTIAL, b"ancillary data on AF_UNIX: SCM_RIGHTS (MSG_CMSG_CLOEXEC), "
           b"SCM_CREDENTIALS with SO_PASSCRED; MSG_TRUNC, MSG_CTRUNC")
    define(SYS_SENDMMSG, sys_sendmmsg, FULL, NULL)
    define(SYS_RECVMMSG, sys_recvmmsg, PARTIAL, b"the timeout is looked at between messages, as on Linux")
    define(SYS_SHUTDOWN, sys_shutdown, FULL, NULL)
    define(SYS_SETSOCKOPT, sys_setsockopt, PARTIAL, b"SO_PASSCRED (AF_UNIX); SO_REUSEADDR/REUSEPORT/KEEPALIVE/"
           b"SNDBUF/RCVBUF and TCP_NODELAY are accepted without changing the stack")
    define(SYS_GETSOCKOPT, sys_getsockopt, PARTIAL, b"SO_TYPE, SO_ERROR, SO_SNDBUF/RCVBUF, SO_REUSEADDR, "
           b"SO_PEERCRED and SO_PASSCRED (AF_UNIX), TCP_NODELAY")
    define(SYS_SOCKETPAIR, sys_socketpair, PARTIAL, b"AF_UNIX only (as on Linux)")
