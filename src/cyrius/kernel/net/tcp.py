"""TCP (RFC 9293) as a state machine driven by three kinds of calls, so that it runs the same in
the kernel and in CPython tests against a simulated peer:

* a segment arrives: input(seg, data) (input_packet() parses the wire format first);
* time passes: tick() runs the retransmission, delayed-ACK, persist and TIME_WAIT timers
  (next_deadline() says when it next has work);
* the application: bind/listen/connect/accept/send/recv/shutdown_write/close.

Segments leave through the `emit` function pointer (the kernel's builds an IPv4 frame; a test's
hands the segment to a simulated network), time comes from the `clock` function pointer, and the
application learns of changes through each connection's `notify` callback (socket.py turns them
into wake-ups). Nothing here blocks, allocates per segment, or knows about devices.

Per connection: a 64 KiB send ring holding everything from the oldest unacknowledged byte, and a
64 KiB receive ring holding in-order bytes the application has not read, with out-of-order
segments parked beyond them until the hole before them fills (so the application never sees loss
or reordering). Windows stay within 16 bits (no window scaling needed for 64 KiB).

Sending follows RFC 5681 (slow start, congestion avoidance, fast retransmit with NewReno partial
acknowledgements, RFC 6582) and RFC 6298 (SRTT/RTTVAR/RTO with Karn's rule and exponential
backoff; the timeout retransmits go-back-N from the oldest unacknowledged byte). A zero window is
probed with one byte. Receiving acknowledges every second segment at once and a single one after
DELAYED_ACK_NS, out-of-order data and window openings immediately. RST and SYN in synchronized
states are checked as RFC 5961 asks. TIME_WAIT lasts 2 s (2 x MSL with MSL shortened to 1 s).

A listener keeps connections in SYN_RCVD and those established but not yet accepted as its
children (at most `backlog` of both); closing it resets them.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u16, u32, u64, \
    usize

from .. import errno
from ..mm.heap import kalloc, kfree
from . import ring, wire
from .ring import ByteRing

# States.
CLOSED: Final = 0
LISTEN: Final = 1
SYN_SENT: Final = 2
SYN_RCVD: Final = 3
ESTABLISHED: Final = 4
FIN_WAIT_1: Final = 5
FIN_WAIT_2: Final = 6
CLOSE_WAIT: Final = 7
CLOSING: Final = 8
LAST_ACK: Final = 9
TIME_WAIT: Final = 10

# Header flags.
FIN: Final = 0x01
SYN: Final = 0x02
RST: Final = 0x04
PSH: Final = 0x08
ACK: Final = 0x10
URG: Final = 0x20

# The wire format.
HEADER: Final = 20
SRC_PORT: Final = 0
DST_PORT: Final = 2
SEQ: Final = 4
ACK_NUMBER: Final = 8
DATA_OFFSET: Final = 12
FLAGS: Final = 13
WINDOW: Final = 14
CHECKSUM: Final = 16
URGENT: Final = 18
OPTION_END: Final = 0
OPTION_NOP: Final = 1
OPTION_MSS: Final = 2
PROTOCOL: Final = 6

DEFAULT_MSS: Final = 536  # when the peer sends no MSS option
LOCAL_MSS: Final = 1460  # Ethernet MTU - IPv4 header - TCP header
MIN_MSS: Final = 64
MAX_WINDOW: Final = 65535
INITIAL_WINDOW_SEGMENTS: Final = 10  # RFC 6928
MAX_CWND: Final = 1 << 30
DUPACK_THRESHOLD: Final = 3
OOO_MAX: Final = 8  # out-of-order ranges held
MAX_BACKLOG: Final = 128

MS: Final = 1000000
RTO_INITIAL: Final = 1000 * MS
RTO_MIN: Final = 200 * MS
RTO_MAX: Final = 60000 * MS
GRANULARITY: Final = 10 * MS  # the kernel's clock tick
DELAYED_ACK_NS: Final = 40 * MS
TIME_WAIT_NS: Final = 2000 * MS  # 2 x MSL, MSL = 1 s
FIN_WAIT_2_NS: Final = 30000 * MS  # an orphan waiting for the peer's FIN gives up after this
MAX_RETRIES: Final = 12
SYN_RETRIES: Final = 6
EPHEMERAL_FIRST: Final = 49152
EPHEMERAL_LAST: Final = 65535

# notify() events.
EV_READ: Final = 1  # data or end of stream to read
EV_WRITE: Final = 2  # send buffer space
EV_ACCEPT: Final = 4  # a listener has a connection to accept
EV_CONNECT: Final = 8  # the handshake completed
EV_CLOSED: Final = 16  # the connection is over (error holds why, if it failed)

# process_ack() results.
ACK_CONTINUE: Final = 0
ACK_DROP: Final = 1  # the segment is done with (the connection lives on)
ACK_GONE: Final = 2  # the connection closed (and may have been freed)


@struct
class TcpSegment:
    """A segment's header fields in host order (what input() takes and emit() is given)."""
    src_ip: u32
    dst_ip: u32
    src_port: u16
    dst_port: u16
    seq: u32
    ack: u32
    flags: u8
    window: u16
    mss: u16  # the MSS option; 0 = absent
    length: u32  # payload bytes


@struct
class TcpConn:
    state: u32
    local_ip: u32
    remote_ip: u32
    local_port: u16
    remote_port: u16
    bound: bool
    next: Ptr["TcpConn"]  # every connection
    # Listener side.
    parent: Ptr["TcpConn"]  # the listener a connection was not yet accepted from
    queued: bool  # in parent's accept queue (else embryonic, in SYN_RCVD)
    accept_next: Ptr["TcpConn"]
    accept_head: Ptr["TcpConn"]
    accept_tail: Ptr["TcpConn"]
    accept_count: u32
    embryonic: u32
    backlog: u32
    # Send sequence space.
    iss: u32
    snd_una: u32
    snd_nxt: u32
    snd_max: u32  # highest sequence number sent (snd_nxt goes back after a timeout)
    snd_wnd: u32
    snd_wl1: u32
    snd_wl2: u32
    mss: u32
    cwnd: u32
    ssthresh: u32
    dupacks: u32
    recover: u32
    in_recovery: bool
    fin_queued: bool  # a FIN follows the last byte in snd
    snd_seq: u32  # the sequence number of snd's first byte
    snd: ByteRing
    # Receive sequence space.
    irs: u32
    rcv_nxt: u32
    rcv_adv: u32  # the right edge of the window last advertised
    rcv: ByteRing
    ooo_start: Array[u32, OOO_MAX]
    ooo_end: Array[u32, OOO_MAX]
    ooo_count: u32
    ooo_fin: bool  # the peer's FIN arrived ahead of missing data
    ooo_fin_seq: u32
    fin_received: bool
    # Acknowledgements.
    ack_now: bool
    ack_delayed: bool
    unacked_segments: u32
    delack_deadline: u64
    # Retransmission (RFC 6298), all in nanoseconds.
    srtt: u64  # 0 until the first measurement
    rttvar: u64
    rto: u64
    rtt_timing: bool
    rtt_seq: u32
    rtt_start: u64
    rexmt_deadline: u64  # retransmission or zero-window probe; 0 = off
    retries: u32
    timewait_deadline: u64  # end of TIME_WAIT, or when an orphan in FIN_WAIT_2 gives up
    output_blocked: bool  # emit() failed (no transmit buffer): try again later
    # Application.
    error: i32  # why the connection failed (negative errno), 0 if it did not
    connected: bool  # reached ESTABLISHED at some point
    orphan: bool  # no application holds it: free it once CLOSED
    user: Ptr[None]
    notify: Callable[[Ptr["TcpConn"], u32], None]
    # Statistics.
    segments_received: u64
    segments_sent: u64
    retransmits: u64


conns: Ptr[TcpConn] = NULL
conn_count: u32 = 0
emit: Callable[[Ptr[TcpSegment], Ptr[ByteRing], u32], bool] = NULL  # (segment, ring, offset of its data)
clock: Callable[[], u64] = NULL
iss_counter: u32 = 0
next_ephemeral: u16 = EPHEMERAL_FIRST
segments_in: u64 = 0
segments_out: u64 = 0
retransmitted: u64 = 0
resets_sent: u64 = 0
resets_received: u64 = 0
bad_segments: u64 = 0
no_connection: u64 = 0
syns_dropped: u64 = 0  # listener backlog full, or out of memory
active_opens: u64 = 0
passive_opens: u64 = 0
timeouts: u64 = 0
out_of_order: u64 = 0


# --- helpers ---------------------------------------------------------------------------------

def now() -> u64:
    if clock == NULL:
        return 0
    return clock()


def seq_lt(a: u32, b: u32) -> bool:
    return i32(a - b) < 0


def seq_le(a: u32, b: u32) -> bool:
    return i32(a - b) <= 0


def seq_gt(a: u32, b: u32) -> bool:
    return i32(a - b) > 0


def seq_ge(a: u32, b: u32) -> bool:
    return i32(a - b) >= 0


def min32(a: u32, b: u32) -> u32:
    return a if a < b else b


def max32(a: u32, b: u32) -> u32:
    return a if a > b else b


def tell(c: Ptr[TcpConn], events: u32) -> None:
    if c.notify != NULL:
        c.notify(c, events)


def synchronized(c: Ptr[TcpConn]) -> bool:
    return c.state >= ESTABLISHED


def state_name(state: u32) -> Ptr[u8]:
    if state == CLOSED:
        return b"CLOSED"
    if state == LISTEN:
        return b"LISTEN"
    if state == SYN_SENT:
        return b"SYN_SENT"
    if state == SYN_RCVD:
        return b"SYN_RCVD"
    if state == ESTABLISHED:
        return b"ESTABLISHED"
    if state == FIN_WAIT_1:
        return b"FIN_WAIT_1"
    if state == FIN_WAIT_2:
        return b"FIN_WAIT_2"
    if state == CLOSE_WAIT:
        return b"CLOSE_WAIT"
    if state == CLOSING:
        return b"CLOSING"
    if state == LAST_ACK:
        return b"LAST_ACK"
    return b"TIME_WAIT"


# --- connection objects ----------------------------------------------------------------------

def create() -> Ptr[TcpConn]:
    """A new unbound connection in CLOSED (socket()); NULL when memory is exhausted."""
    global conns, conn_count
    c: Ptr[TcpConn] = cast(Ptr[TcpConn], kalloc(usize(sizeof(TcpConn))))
    if c == NULL:
        return NULL
    c.state = CLOSED
    c.rto = RTO_INITIAL
    c.mss = DEFAULT_MSS
    c.ssthresh = 0xFFFFFFFF
    c.next = conns
    conns = c
    conn_count += 1
    return c


def allocate_buffers(c: Ptr[TcpConn]) -> bool:
    if ring.allocated(addr(c.snd)):
        return True
    if not ring.init(addr(c.snd)):
        return False
    if not ring.init(addr(c.rcv)):
        ring.release(addr(c.snd))
        return False
    return True


def detach_from_parent(c: Ptr[TcpConn]) -> None:
    parent: Ptr[TcpConn] = c.parent
    if parent == NULL:
        return
    if c.queued:
        prev: Ptr[TcpConn] = NULL
        at: Ptr[TcpConn] = parent.accept_head
        while at != NULL and at != c:
            prev = at
            at = at.accept_next
        if at == c:
            if prev == NULL:
                parent.accept_head = c.accept_next
            else:
                prev.accept_next = c.accept_next
            if parent.accept_tail == c:
                parent.accept_tail = prev
            parent.accept_count -= 1
    else:
        parent.embryonic -= 1
    c.parent = NULL
    c.queued = False
    c.accept_next = NULL


def destroy(c: Ptr[TcpConn]) -> None:
    """Free a connection nobody refers to any more."""
    global conns, conn_count
    detach_from_parent(c)
    if conns == c:
        conns = c.next
    else:
        p: Ptr[TcpConn] = conns
        while p != NULL and p.next != c:
            p = p.next
        if p != NULL:
            p.next = c.next
    conn_count -= 1
    ring.release(addr(c.snd))
    ring.release(addr(c.rcv))
    kfree(cast(Ptr[None], c))


def set_closed(c: Ptr[TcpConn], err: i32) -> bool:
    """The connection is over. An orphan is freed (False: c is gone); otherwise the application
    learns of it (err, if not 0, is what its calls report from now on)."""
    c.state = CLOSED
    c.rexmt_deadline = 0
    c.timewait_deadline = 0
    c.ack_delayed = False
    c.ack_now = False
    c.output_blocked = False
    if err != 0 and c.error == 0:
        c.error = err
    if c.orphan:
        destroy(c)
        return False
    tell(c, u32(EV_READ | EV_WRITE | EV_CLOSED))
    return True


def new_iss() -> u32:
    """Initial sequence numbers advance with the clock (RFC 9293's 4 us timer) and per use."""
    global iss_counter
    iss_counter += 1
    return u32(now() >> 12) + iss_counter * u32(0x9E3779B1)


def init_send(c: Ptr[TcpConn]) -> None:
    c.iss = new_iss()
    c.snd_una = c.iss
    c.snd_nxt = c.iss
    c.snd_max = c.iss
    c.snd_seq = c.iss + 1  # data follows the SYN


def peer_mss(option: u16) -> u32:
    if option == 0:
        return DEFAULT_MSS
    m: u32 = min32(u32(option), u32(LOCAL_MSS))
    return max32(m, u32(MIN_MSS))


def port_in_use(port: u16, ip: u32) -> bool:
    c: Ptr[TcpConn] = conns
    while c != NULL:
        if c.bound and c.local_port == port and c.state != TIME_WAIT and \
                (ip == 0 or c.local_ip == 0 or c.local_ip == ip):
            return True
        c = c.next
    return False


# --- output ----------------------------------------------------------------------------------

def transmit(seg: Ptr[TcpSegment], data: Ptr[ByteRing], offset: u32) -> bool:
    global segments_out
    if emit == NULL:
        return False
    if not emit(seg, data, offset):
        return False
    segments_out += 1
    return True


def rcv_window(c: Ptr[TcpConn]) -> u32:
    """The window to advertise: free receive space, never pulling in the right edge already
    advertised."""
    if not ring.allocated(addr(c.rcv)):
        return 0
    free: u32 = min32(ring.space(addr(c.rcv)), u32(MAX_WINDOW))
    if seq_lt(c.rcv_nxt + free, c.rcv_adv):
        free = c.rcv_adv - c.rcv_nxt
    return free


def send_segment(c: Ptr[TcpConn], flags: u8, seq: u32, length: u32) -> bool:
    """One segment of c: `length` bytes of snd from sequence number seq, with these flags."""
    s: TcpSegment = TcpSegment()
    s.src_ip = c.local_ip
    s.dst_ip = c.remote_ip
    s.src_port = c.local_port
    s.dst_port = c.remote_port
    s.seq = seq
    s.flags = flags
    s.length = length
    if (flags & ACK) != 0:
        s.ack = c.rcv_nxt
    wnd: u32 = rcv_window(c)
    s.window = u16(wnd)
    if (flags & SYN) != 0:
        s.mss = u16(LOCAL_MSS)
    if not transmit(addr(s), addr(c.snd), seq - c.snd_seq):
        return False
    c.segments_sent += 1
    if (flags & ACK) != 0:
        c.rcv_adv = c.rcv_nxt + wnd
        c.ack_now = False
        c.ack_delayed = False
        c.unacked_segments = 0
    return True


def arm(c: Ptr[TcpConn]) -> None:
    c.rexmt_deadline = now() + c.rto


def unsent(c: Ptr[TcpConn]) -> bool:
    """Data or a FIN waits to be sent for the first time."""
    off: u32 = c.snd_max - c.snd_seq
    return off < c.snd.count or (c.fin_queued and off == c.snd.count)


def output(c: Ptr[TcpConn]) -> None:
    """Send what the windows allow, and an ACK if one is due and no data carried it."""
    if c.state == CLOSED or c.state == LISTEN:
        return
    if c.state == SYN_SENT or c.state == SYN_RCVD:
        if c.snd_nxt == c.iss:
            flags: u8 = u8(SYN) if c.state == SYN_SENT else u8(SYN | ACK)
            if send_segment(c, flags, c.iss, u32(0)):
                if c.retries == 0 and not c.rtt_timing:
                    c.rtt_timing = True
                    c.rtt_seq = c.iss
                    c.rtt_start = now()
                c.snd_nxt = c.iss + 1
                c.snd_max = c.iss + 1
            else:
                c.output_blocked = True
            if c.rexmt_deadline == 0:
                arm(c)
        return
    sent: bool = False
    while True:
        count: u32 = c.snd.count
        off: u32 = c.snd_nxt - c.snd_seq
        if off > count:
            break  # the FIN is out too
        avail: u32 = count - off
        flight: u32 = c.snd_nxt - c.snd_una
        win: u32 = min32(c.snd_wnd, c.cwnd)
        usable: u32 = win - flight if win > flight else u32(0)
        n: u32 = min32(min32(avail, usable), c.mss)
        fin: bool = c.fin_queued and n == avail
        if n == 0 and not fin:
            break
        if n < avail and n < c.mss and flight > 0:
            break  # the window allows only a runt: wait for acknowledgements to open it (RFC 1122 SWS)
        flags: u8 = u8(ACK)
        if n > 0 and n == avail:
            flags |= PSH
        if fin:
            flags |= FIN
        if not send_segment(c, flags, c.snd_nxt, n):
            c.output_blocked = True
            break
        if c.snd_nxt == c.snd_max and not c.rtt_timing:
            c.rtt_timing = True
            c.rtt_seq = c.snd_nxt
            c.rtt_start = now()
        c.snd_nxt += n
        if fin:
            c.snd_nxt += 1
        if seq_gt(c.snd_nxt, c.snd_max):
            c.snd_max = c.snd_nxt
        if c.rexmt_deadline == 0:
            arm(c)
        sent = True
        if fin:
            break
    if not sent and c.ack_now:
        if not send_segment(c, u8(ACK), c.snd_nxt, u32(0)):
            c.output_blocked = True
    if c.snd_wnd == 0 and c.snd_una == c.snd_max and c.rexmt_deadline == 0 and unsent(c):
        arm(c)  # the persist timer: probe the zero window when it fires


def retransmit_first(c: Ptr[TcpConn]) -> None:
    """Send the oldest unacknowledged segment again (fast retransmit, NewReno partial ACKs)."""
    global retransmitted
    off: u32 = c.snd_una - c.snd_seq
    count: u32 = c.snd.count
    if off > count:
        return
    n: u32 = min32(min32(count - off, c.mss), c.snd_max - c.snd_una)
    fin: bool = c.fin_queued and off + n == count and seq_gt(c.snd_max, c.snd_seq + count)
    if n == 0 and not fin:
        return
    flags: u8 = u8(ACK)
    if fin:
        flags |= FIN
    if send_segment(c, flags, c.snd_una, n):
        retransmitted += 1
        c.retransmits += 1
    c.rtt_timing = False  # Karn: this round trip no longer measures anything
    arm(c)


def reply_reset(seg: Ptr[TcpSegment]) -> None:
    """Answer a segment that belongs to no connection (RFC 9293 3.10.7.1)."""
    global resets_sent
    if (seg.flags & RST) != 0:
        return
    r: TcpSegment = TcpSegment()
    r.src_ip = seg.dst_ip
    r.dst_ip = seg.src_ip
    r.src_port = seg.dst_port
    r.dst_port = seg.src_port
    if (seg.flags & ACK) != 0:
        r.seq = seg.ack
        r.flags = RST
    else:
        r.ack = seg.seq + seg.length
        if (seg.flags & SYN) != 0:
            r.ack += 1
        if (seg.flags & FIN) != 0:
            r.ack += 1
        r.flags = RST | ACK
    if transmit(addr(r), NULL, u32(0)):
        resets_sent += 1


def abort(c: Ptr[TcpConn], err: i32) -> bool:
    """Reset the connection (telling the peer if it knows of us); False if c was freed."""
    global resets_sent
    if c.state == SYN_RCVD or (synchronized(c) and c.state != TIME_WAIT):
        if send_segment(c, u8(RST | ACK), c.snd_max, u32(0)):
            resets_sent += 1
    return set_closed(c, err)


# --- timers ----------------------------------------------------------------------------------

def rtt_sample(c: Ptr[TcpConn], r: u64) -> None:
    """RFC 6298 section 2."""
    if r == 0:
        r = 1
    if c.srtt == 0:
        c.srtt = r
        c.rttvar = r // 2
    else:
        diff: u64 = c.srtt - r if c.srtt > r else r - c.srtt
        c.rttvar = (3 * c.rttvar + diff) // 4
        c.srtt = (7 * c.srtt + r) // 8
    k: u64 = 4 * c.rttvar
    if k < GRANULARITY:
        k = GRANULARITY
    c.rto = c.srtt + k
    if c.rto < RTO_MIN:
        c.rto = RTO_MIN
    if c.rto > RTO_MAX:
        c.rto = RTO_MAX


def back_off(c: Ptr[TcpConn]) -> None:
    c.rto = c.rto * 2
    if c.rto > RTO_MAX:
        c.rto = RTO_MAX


def on_rexmt_timeout(c: Ptr[TcpConn]) -> bool:
    """The retransmission (or persist) timer fired; False if c was freed."""
    global retransmitted, timeouts
    c.rexmt_deadline = 0
    if synchronized(c) and c.state != TIME_WAIT and c.snd_wnd == 0 and (c.snd_una != c.snd_max or unsent(c)):
        # Zero window: probe it with one byte (the oldest unacknowledged or the next unsent).
        # Probes are not retries: a receiver may keep its window shut as long as it likes.
        # snd_nxt stays: once the window opens, sending resumes at the probed byte (as in BSD).
        if c.snd.count > c.snd_una - c.snd_seq:
            if send_segment(c, u8(ACK), c.snd_una, u32(1)) and seq_gt(c.snd_una + 1, c.snd_max):
                c.snd_max = c.snd_una + 1
        else:
            output(c)
        back_off(c)
        arm(c)
        return True
    if c.snd_una == c.snd_max:
        return True  # everything was acknowledged meanwhile
    c.retries += 1
    limit: u32 = MAX_RETRIES
    if c.state == SYN_SENT or c.state == SYN_RCVD:
        limit = SYN_RETRIES
    if c.retries > limit:
        timeouts += 1
        return abort(c, i32(-errno.ETIMEDOUT))
    flight: u32 = c.snd_max - c.snd_una
    c.ssthresh = max32(flight // 2, 2 * c.mss)
    c.cwnd = c.mss
    c.in_recovery = False
    c.dupacks = 0
    back_off(c)
    c.rtt_timing = False
    c.snd_nxt = c.snd_una  # go back N
    retransmitted += 1
    c.retransmits += 1
    output(c)
    if c.rexmt_deadline == 0:
        arm(c)
    return True


def timers(c: Ptr[TcpConn], t: u64) -> None:
    if c.timewait_deadline != 0 and t >= c.timewait_deadline:
        set_closed(c, i32(0))
        return
    if c.rexmt_deadline != 0 and t >= c.rexmt_deadline:
        if not on_rexmt_timeout(c):
            return
    if c.ack_delayed and t >= c.delack_deadline:
        c.ack_now = True
        output(c)
    if c.output_blocked:
        c.output_blocked = False
        output(c)


def tick() -> None:
    """Run every timer that is due."""
    t: u64 = now()
    c: Ptr[TcpConn] = conns
    while c != NULL:
        nxt: Ptr[TcpConn] = c.next  # timers() may free c, never another connection
        timers(c, t)
        c = nxt


def next_deadline() -> u64:
    """When tick() next has work (0: never). Output blocked for want of transmit buffers is not
    a timer: flush() retries it once the device returned some."""
    soonest: u64 = 0
    c: Ptr[TcpConn] = conns
    while c != NULL:
        if c.rexmt_deadline != 0 and (soonest == 0 or c.rexmt_deadline < soonest):
            soonest = c.rexmt_deadline
        if c.timewait_deadline != 0 and (soonest == 0 or c.timewait_deadline < soonest):
            soonest = c.timewait_deadline
        if c.ack_delayed and (soonest == 0 or c.delack_deadline < soonest):
            soonest = c.delack_deadline
        c = c.next
    return soonest


def flush() -> None:
    """Retry output that found no transmit buffer (after the device freed some)."""
    c: Ptr[TcpConn] = conns
    while c != NULL:
        if c.output_blocked:
            c.output_blocked = False
            output(c)
        c = c.next


# --- input -----------------------------------------------------------------------------------

def lookup(seg: Ptr[TcpSegment]) -> Ptr[TcpConn]:
    """The connection a segment belongs to, else the listener on its port, else NULL."""
    listener: Ptr[TcpConn] = NULL
    c: Ptr[TcpConn] = conns
    while c != NULL:
        if c.local_port == seg.dst_port and c.state != CLOSED:
            if c.state == LISTEN:
                if c.local_ip == 0 or c.local_ip == seg.dst_ip:
                    listener = c
            elif c.remote_port == seg.src_port and c.remote_ip == seg.src_ip and c.local_ip == seg.dst_ip:
                return c
        c = c.next
    return listener


def find_listener(seg: Ptr[TcpSegment]) -> Ptr[TcpConn]:
    c: Ptr[TcpConn] = conns
    while c != NULL:
        if c.state == LISTEN and c.local_port == seg.dst_port and (c.local_ip == 0 or c.local_ip == seg.dst_ip):
            return c
        c = c.next
    return NULL


def input(seg: Ptr[TcpSegment], data: Ptr[u8]) -> None:
    """A segment arrived (checksum already verified); data holds seg.length payload bytes."""
    global segments_in, no_connection
    segments_in += 1
    c: Ptr[TcpConn] = lookup(seg)
    if c == NULL:
        no_connection += 1
        reply_reset(seg)
        return
    if c.state == TIME_WAIT and (seg.flags & (SYN | ACK | RST)) == SYN and seq_gt(seg.seq, c.rcv_nxt) and c.orphan:
        # RFC 9293 3.6.1: a new incarnation may take over a connection in TIME_WAIT.
        listener: Ptr[TcpConn] = find_listener(seg)
        if listener != NULL:
            set_closed(c, i32(0))
            listen_input(listener, seg)
            return
    c.segments_received += 1
    if c.state == LISTEN:
        listen_input(c, seg)
    elif c.state == SYN_SENT:
        syn_sent_input(c, seg)
    else:
        synchronized_input(c, seg, data)


def listen_input(listener: Ptr[TcpConn], seg: Ptr[TcpSegment]) -> None:
    global syns_dropped, passive_opens
    if (seg.flags & RST) != 0:
        return
    if (seg.flags & ACK) != 0:
        reply_reset(seg)
        return
    if (seg.flags & SYN) == 0:
        return
    if listener.embryonic + listener.accept_count >= listener.backlog:
        syns_dropped += 1  # the peer will try again
        return
    c: Ptr[TcpConn] = create()
    if c == NULL:
        syns_dropped += 1
        return
    if not allocate_buffers(c):
        syns_dropped += 1
        destroy(c)
        return
    c.local_ip = seg.dst_ip
    c.local_port = seg.dst_port
    c.remote_ip = seg.src_ip
    c.remote_port = seg.src_port
    c.bound = True
    c.parent = listener
    listener.embryonic += 1
    c.orphan = True  # until accepted
    c.irs = seg.seq
    c.rcv_nxt = seg.seq + 1
    c.rcv_adv = c.rcv_nxt
    c.mss = peer_mss(seg.mss)
    init_send(c)
    c.snd_wnd = u32(seg.window)
    c.snd_wl1 = seg.seq
    c.snd_wl2 = c.iss
    c.state = SYN_RCVD
    passive_opens += 1
    output(c)


def established(c: Ptr[TcpConn]) -> None:
    c.state = ESTABLISHED
    c.connected = True
    c.cwnd = INITIAL_WINDOW_SEGMENTS * c.mss
    c.retries = 0
    parent: Ptr[TcpConn] = c.parent
    if parent != NULL and not c.queued:
        parent.embryonic -= 1
        parent.accept_count += 1
        c.queued = True
        c.accept_next = NULL
        if parent.accept_tail == NULL:
            parent.accept_head = c
        else:
            parent.accept_tail.accept_next = c
        parent.accept_tail = c
        tell(parent, u32(EV_ACCEPT))
    tell(c, u32(EV_CONNECT | EV_WRITE))


def syn_sent_input(c: Ptr[TcpConn], seg: Ptr[TcpSegment]) -> None:
    acceptable: bool = False
    if (seg.flags & ACK) != 0:
        if seq_le(seg.ack, c.iss) or seq_gt(seg.ack, c.snd_max):
            reply_reset(seg)
            return
        acceptable = True
    if (seg.flags & RST) != 0:
        if acceptable:
            set_closed(c, i32(-errno.ECONNREFUSED))
        return
    if (seg.flags & SYN) == 0:
        return
    c.irs = seg.seq
    c.rcv_nxt = seg.seq + 1
    c.rcv_adv = c.rcv_nxt
    c.mss = peer_mss(seg.mss)
    c.snd_wnd = u32(seg.window)
    c.snd_wl1 = seg.seq
    c.snd_wl2 = seg.ack
    if acceptable:
        c.snd_una = seg.ack
        if seq_lt(c.snd_nxt, c.snd_una):
            c.snd_nxt = c.snd_una
        if c.rtt_timing and seq_gt(seg.ack, c.rtt_seq):
            rtt_sample(c, now() - c.rtt_start)
            c.rtt_timing = False
        c.rexmt_deadline = 0
        established(c)
        c.ack_now = True
        output(c)
    else:
        c.state = SYN_RCVD  # simultaneous open: answer with SYN-ACK
        c.snd_nxt = c.iss
        output(c)


def reset_received(c: Ptr[TcpConn]) -> None:
    global resets_received
    resets_received += 1
    err: i32 = i32(-errno.ECONNRESET)
    if c.state == SYN_RCVD:
        err = i32(-errno.ECONNREFUSED)
    elif c.state == CLOSING or c.state == LAST_ACK or c.state == TIME_WAIT:
        err = 0
    set_closed(c, err)


def fin_acked(c: Ptr[TcpConn]) -> bool:
    return c.fin_queued and seq_gt(c.snd_una, c.snd_seq + c.snd.count)


def enter_time_wait(c: Ptr[TcpConn]) -> None:
    c.state = TIME_WAIT
    c.rexmt_deadline = 0
    c.timewait_deadline = now() + TIME_WAIT_NS
    tell(c, u32(EV_READ | EV_WRITE))


def new_ack(c: Ptr[TcpConn], ack: u32) -> None:
    """Sequence numbers up to ack are acknowledged for the first time."""
    acked: u32 = ack - c.snd_una
    data_end: u32 = c.snd_seq + c.snd.count
    upto: u32 = data_end if seq_gt(ack, data_end) else ack
    if seq_gt(upto, c.snd_seq):
        done: u32 = upto - c.snd_seq
        ring.consume(addr(c.snd), done)
        c.snd_seq = upto
        tell(c, u32(EV_WRITE))
    c.snd_una = ack
    if seq_lt(c.snd_nxt, ack):
        c.snd_nxt = ack
    if c.rtt_timing and seq_gt(ack, c.rtt_seq):
        rtt_sample(c, now() - c.rtt_start)
        c.rtt_timing = False
    c.retries = 0
    if c.in_recovery:
        if seq_ge(ack, c.recover):
            c.in_recovery = False
            c.cwnd = c.ssthresh
        else:
            # A partial acknowledgement: the next hole is lost too (RFC 6582).
            retransmit_first(c)
            c.cwnd = c.cwnd - acked + c.mss if c.cwnd > acked else c.mss
    elif c.cwnd < c.ssthresh:
        c.cwnd += min32(acked, c.mss)
    else:
        c.cwnd += max32(u32(1), c.mss * c.mss // c.cwnd)
    if c.cwnd > MAX_CWND:
        c.cwnd = MAX_CWND
    c.dupacks = 0
    if c.snd_una == c.snd_max:
        c.rexmt_deadline = 0
    else:
        arm(c)


def duplicate_ack(c: Ptr[TcpConn], seg: Ptr[TcpSegment]) -> None:
    global retransmitted
    if seg.length != 0 or (seg.flags & (SYN | FIN)) != 0 or u32(seg.window) != c.snd_wnd or c.snd_wnd == 0 or \
            c.snd_una == c.snd_max:
        return
    c.dupacks += 1
    if c.dupacks == DUPACK_THRESHOLD and not c.in_recovery:
        c.ssthresh = max32((c.snd_max - c.snd_una) // 2, 2 * c.mss)
        c.recover = c.snd_max
        c.in_recovery = True
        retransmit_first(c)
        c.cwnd = c.ssthresh + 3 * c.mss
    elif c.dupacks > DUPACK_THRESHOLD and c.in_recovery:
        c.cwnd += c.mss  # each duplicate means a segment left the network


def process_ack(c: Ptr[TcpConn], seg: Ptr[TcpSegment]) -> u32:
    """The ACK field of a segment in a synchronized state (RFC 9293 3.10.7.4, fifth check)."""
    if c.state == SYN_RCVD:
        if seq_le(seg.ack, c.snd_una) or seq_gt(seg.ack, c.snd_max):
            reply_reset(seg)
            return ACK_DROP
        c.snd_wnd = u32(seg.window)
        c.snd_wl1 = seg.seq
        c.snd_wl2 = seg.ack
        established(c)
    if seq_gt(seg.ack, c.snd_max):
        c.ack_now = True  # it acknowledges something never sent
        return ACK_DROP
    if seq_gt(seg.ack, c.snd_una):
        new_ack(c, seg.ack)
    elif seg.ack == c.snd_una:
        duplicate_ack(c, seg)
    if seq_ge(seg.ack, c.snd_una) and (seq_lt(c.snd_wl1, seg.seq) or (c.snd_wl1 == seg.seq and
                                                                      seq_le(c.snd_wl2, seg.ack))):
        c.snd_wnd = u32(seg.window)
        c.snd_wl1 = seg.seq
        c.snd_wl2 = seg.ack
    if fin_acked(c):
        if c.state == FIN_WAIT_1:
            c.state = FIN_WAIT_2
            if c.orphan:
                c.timewait_deadline = now() + FIN_WAIT_2_NS
        elif c.state == CLOSING:
            enter_time_wait(c)
        elif c.state == LAST_ACK:
            set_closed(c, i32(0))
            return ACK_GONE
    return ACK_CONTINUE


def add_ooo(c: Ptr[TcpConn], start: u32, end: u32) -> bool:
    """Record [start, end) as held out of order (ranges stay sorted and disjoint)."""
    i: u32 = 0
    while i < c.ooo_count and seq_le(c.ooo_start[i], start):
        i += 1
    if i > 0 and seq_ge(c.ooo_end[i - 1], start):
        i -= 1
        if seq_gt(end, c.ooo_end[i]):
            c.ooo_end[i] = end
    else:
        if c.ooo_count == OOO_MAX:
            return False
        k: u32 = c.ooo_count
        while k > i:
            c.ooo_start[k] = c.ooo_start[k - 1]
            c.ooo_end[k] = c.ooo_end[k - 1]
            k -= 1
        c.ooo_start[i] = start
        c.ooo_end[i] = end
        c.ooo_count += 1
    while i + 1 < c.ooo_count and seq_ge(c.ooo_end[i], c.ooo_start[i + 1]):
        if seq_gt(c.ooo_end[i + 1], c.ooo_end[i]):
            c.ooo_end[i] = c.ooo_end[i + 1]
        remove_ooo(c, i + 1)
    return True


def remove_ooo(c: Ptr[TcpConn], i: u32) -> None:
    k: u32 = i
    while k + 1 < c.ooo_count:
        c.ooo_start[k] = c.ooo_start[k + 1]
        c.ooo_end[k] = c.ooo_end[k + 1]
        k += 1
    c.ooo_count -= 1


def merge_ooo(c: Ptr[TcpConn]) -> None:
    """The hole before the first held range may be filled now: make what follows in order."""
    while c.ooo_count > 0 and seq_le(c.ooo_start[0], c.rcv_nxt):
        if seq_gt(c.ooo_end[0], c.rcv_nxt):
            c.rcv.count += c.ooo_end[0] - c.rcv_nxt
            c.rcv_nxt = c.ooo_end[0]
        remove_ooo(c, u32(0))


def receive_data(c: Ptr[TcpConn], seq: u32, data: Ptr[u8], length: u32) -> bool:
    """Payload inside the window (seq >= rcv_nxt); False if the connection was reset and freed."""
    global out_of_order
    if c.state != ESTABLISHED and c.state != FIN_WAIT_1 and c.state != FIN_WAIT_2:
        return True  # after the peer's FIN there is nothing more to receive
    if c.orphan and c.parent == NULL:
        return abort(c, i32(-errno.ECONNRESET))  # closed by the application: nobody will read it
    if seq == c.rcv_nxt:
        ring.write_at(addr(c.rcv), c.rcv.count, data, length)
        c.rcv.count += length
        c.rcv_nxt += length
        if c.ooo_count > 0:
            merge_ooo(c)
            c.ack_now = True  # tell the sender at once how much of the hole is filled
        c.unacked_segments += 1
        if c.unacked_segments >= 2:
            c.ack_now = True
        elif not c.ack_now and not c.ack_delayed:
            c.ack_delayed = True
            c.delack_deadline = now() + DELAYED_ACK_NS
        tell(c, u32(EV_READ))
    else:
        out_of_order += 1
        if add_ooo(c, seq, seq + length):
            ring.write_at(addr(c.rcv), c.rcv.count + (seq - c.rcv_nxt), data, length)
        c.ack_now = True  # a duplicate ACK: the sender learns of the hole
    return True


def fin_arrived(c: Ptr[TcpConn]) -> None:
    c.rcv_nxt += 1
    c.fin_received = True
    c.ooo_fin = False
    c.ack_now = True
    if c.state == ESTABLISHED or c.state == SYN_RCVD:
        c.state = CLOSE_WAIT
    elif c.state == FIN_WAIT_1:
        if fin_acked(c):
            enter_time_wait(c)
        else:
            c.state = CLOSING
    elif c.state == FIN_WAIT_2:
        enter_time_wait(c)
    tell(c, u32(EV_READ))


def synchronized_input(c: Ptr[TcpConn], seg: Ptr[TcpSegment], data: Ptr[u8]) -> None:
    """RFC 9293 3.10.7.4, for SYN_RCVD and every later state."""
    flags: u8 = seg.flags
    seq: u32 = seg.seq
    length: u32 = seg.length
    fin: bool = (flags & FIN) != 0
    edge: u32 = c.rcv_nxt + ring.space(addr(c.rcv))  # the right edge of what fits
    # RST (RFC 5961 3.2): exactly at rcv_nxt resets; elsewhere in the window earns a challenge ACK.
    if (flags & RST) != 0:
        if seq == c.rcv_nxt:
            reset_received(c)
        elif seq_gt(seq, c.rcv_nxt) and seq_lt(seq, edge):
            c.ack_now = True
            output(c)
        return
    if (flags & SYN) != 0:
        if c.state == SYN_RCVD and seq == c.irs:
            c.snd_nxt = c.iss  # our SYN-ACK was lost: send it again
            output(c)
        else:
            c.ack_now = True  # RFC 5961 4.2: challenge ACK
            output(c)
        return
    if c.state == TIME_WAIT:
        if fin:
            c.timewait_deadline = now() + TIME_WAIT_NS  # the peer missed our ACK of its FIN
        c.ack_now = fin or length > 0
        output(c)
        return
    # Trim to the window: old bytes at the front, what does not fit at the end.
    if seq_lt(seq, c.rcv_nxt):
        d: u32 = c.rcv_nxt - seq
        if d >= length:
            if length > 0 or (fin and seq + length != c.rcv_nxt):
                c.ack_now = True  # a duplicate: our ACK was probably lost
            if fin and seq_lt(seq + length, c.rcv_nxt):
                fin = False
            length = 0
            seq = c.rcv_nxt
        else:
            data = data + d
            length -= d
            seq = c.rcv_nxt
    if length > 0 and seq_gt(seq + length, edge):
        c.ack_now = True
        fin = False
        if seq_ge(seq, edge):
            if seq != c.rcv_nxt:
                output(c)
                return  # entirely outside the window
            length = 0  # a zero-window probe: take its ACK, not its byte
        else:
            length = edge - seq
    if (flags & ACK) == 0:
        return
    result: u32 = process_ack(c, seg)
    if result == ACK_GONE:
        return
    if result == ACK_DROP:
        output(c)
        return
    if length > 0 and not receive_data(c, seq, data, length):
        return
    if fin and not c.fin_received:
        if seq + length == c.rcv_nxt:
            fin_arrived(c)
        else:
            c.ooo_fin = True
            c.ooo_fin_seq = seq + length
            c.ack_now = True
    elif c.ooo_fin and c.ooo_fin_seq == c.rcv_nxt and not c.fin_received:
        fin_arrived(c)
    output(c)


def input_packet(src: u32, dst: u32, p: Ptr[u8], length: u32) -> None:
    """A TCP segment as IPv4 delivered it: check it, parse it, handle it."""
    global bad_segments
    if length < HEADER:
        bad_segments += 1
        return
    total: u32 = wire.pseudo_header_sum(src, dst, u8(PROTOCOL), length)
    if wire.checksum_finish(wire.checksum_add(total, p, length)) != 0:
        bad_segments += 1
        return
    header: u32 = u32(p[DATA_OFFSET] >> 4) * 4
    if header < HEADER or header > length:
        bad_segments += 1
        return
    seg: TcpSegment = TcpSegment()
    seg.src_ip = src
    seg.dst_ip = dst
    seg.src_port = wire.get16(p + SRC_PORT)
    seg.dst_port = wire.get16(p + DST_PORT)
    seg.seq = wire.get32(p + SEQ)
    seg.ack = wire.get32(p + ACK_NUMBER)
    seg.flags = p[FLAGS] & 0x3F
    seg.window = wire.get16(p + WINDOW)
    seg.length = length - header
    at: u32 = HEADER
    while at < header:
        kind: u8 = p[at]
        if kind == OPTION_END:
            break
        if kind == OPTION_NOP:
            at += 1
            continue
        if at + 1 >= header or p[at + 1] < 2 or at + u32(p[at + 1]) > header:
            break
        if kind == OPTION_MSS and p[at + 1] == 4:
            seg.mss = wire.get16(p + at + 2)
        at += u32(p[at + 1])
    input(addr(seg), p + header)


def write_header(seg: Ptr[TcpSegment], p: Ptr[u8]) -> u32:
    """The wire header of seg at p (checksum zero: see finish_checksum); its length."""
    size: u32 = HEADER
    if seg.mss != 0:
        size += 4
    wire.put16(p + SRC_PORT, seg.src_port)
    wire.put16(p + DST_PORT, seg.dst_port)
    wire.put32(p + SEQ, seg.seq)
    wire.put32(p + ACK_NUMBER, seg.ack)
    p[DATA_OFFSET] = u8((size // 4) << 4)
    p[FLAGS] = seg.flags
    wire.put16(p + WINDOW, seg.window)
    wire.put16(p + CHECKSUM, u16(0))
    wire.put16(p + URGENT, u16(0))
    if seg.mss != 0:
        p[HEADER] = OPTION_MSS
        p[HEADER + 1] = 4
        wire.put16(p + HEADER + 2, seg.mss)
    return size


def finish_checksum(seg: Ptr[TcpSegment], p: Ptr[u8], length: u32) -> None:
    """Fill in the checksum of the segment at p (header and payload, length bytes)."""
    total: u32 = wire.pseudo_header_sum(seg.src_ip, seg.dst_ip, u8(PROTOCOL), length)
    wire.put16(p + CHECKSUM, wire.checksum_finish(wire.checksum_add(total, p, length)))


# --- the application's side ------------------------------------------------------------------

def bind(c: Ptr[TcpConn], ip: u32, port: u16) -> i64:
    """Give c its local address (port 0: an ephemeral port)."""
    global next_ephemeral
    if c.bound or c.state != CLOSED:
        return -errno.EINVAL
    if port == 0:
        for _ in range(EPHEMERAL_LAST - EPHEMERAL_FIRST + 1):
            candidate: u16 = next_ephemeral
            next_ephemeral = u16(EPHEMERAL_FIRST) if next_ephemeral == EPHEMERAL_LAST else next_ephemeral + 1
            if not port_in_use(candidate, ip):
                port = candidate
                break
        if port == 0:
            return -errno.EADDRINUSE
    elif port_in_use(port, ip):
        return -errno.EADDRINUSE
    c.local_ip = ip
    c.local_port = port
    c.bound = True
    return 0


def listen(c: Ptr[TcpConn], backlog: u32) -> i64:
    if c.state == LISTEN:
        c.backlog = max32(min32(backlog, u32(MAX_BACKLOG)), u32(1))
        return 0
    if c.state != CLOSED or c.connected:
        return -errno.EINVAL
    if not c.bound:
        err: i64 = bind(c, u32(0), u16(0))
        if err < 0:
            return err
    c.backlog = max32(min32(backlog, u32(MAX_BACKLOG)), u32(1))
    c.state = LISTEN
    return 0


def connect(c: Ptr[TcpConn], local_ip: u32, ip: u32, port: u16) -> i64:
    """Start the handshake (the EV_CONNECT or EV_CLOSED event tells how it ended)."""
    global active_opens
    if c.state == SYN_SENT or c.state == SYN_RCVD:
        return -errno.EALREADY
    if c.state != CLOSED or c.connected:
        return -errno.EISCONN
    if ip == 0 or port == 0:
        return -errno.EINVAL
    if not c.bound:
        err: i64 = bind(c, u32(0), u16(0))
        if err < 0:
            return err
    if not allocate_buffers(c):
        return -errno.ENOMEM
    if c.local_ip == 0:
        c.local_ip = local_ip
    c.remote_ip = ip
    c.remote_port = port
    c.error = 0
    init_send(c)
    c.state = SYN_SENT
    active_opens += 1
    output(c)
    return 0


def accept(listener: Ptr[TcpConn]) -> Ptr[TcpConn]:
    """The oldest established connection waiting on listener, now the application's; or NULL."""
    c: Ptr[TcpConn] = listener.accept_head
    if c == NULL:
        return NULL
    listener.accept_head = c.accept_next
    if listener.accept_head == NULL:
        listener.accept_tail = NULL
    listener.accept_count -= 1
    c.accept_next = NULL
    c.parent = NULL
    c.queued = False
    c.orphan = False
    return c


def readable(c: Ptr[TcpConn]) -> u32:
    return c.rcv.count


def send_space(c: Ptr[TcpConn]) -> u32:
    if not ring.allocated(addr(c.snd)):
        return 0
    return ring.space(addr(c.snd))


def at_eof(c: Ptr[TcpConn]) -> bool:
    """recv() would return 0: the peer finished sending and everything was read."""
    return c.rcv.count == 0 and (c.fin_received or (c.state == CLOSED and c.connected))


def can_send(c: Ptr[TcpConn]) -> bool:
    return (c.state == ESTABLISHED or c.state == CLOSE_WAIT) and not c.fin_queued


def send(c: Ptr[TcpConn], buf: Ptr[u8], n: u32) -> i64:
    """Queue up to n bytes; how many were taken, -EAGAIN if none fitted, or -errno."""
    if c.state == CLOSED:
        if c.error != 0:
            return i64(c.error)
        return -errno.EPIPE if c.connected else -errno.ENOTCONN
    if c.state == SYN_SENT or c.state == SYN_RCVD:
        return -errno.EAGAIN
    if not can_send(c):
        return -errno.EPIPE
    if n == 0:
        return 0
    taken: u32 = ring.append(addr(c.snd), buf, n)
    if taken == 0:
        return -errno.EAGAIN
    output(c)
    return i64(taken)


def recv(c: Ptr[TcpConn], buf: Ptr[u8], n: u32) -> i64:
    """Take up to n in-order bytes; 0 at the end of the stream, -EAGAIN if none yet, -errno."""
    if c.rcv.count > 0:
        taken: u32 = ring.take(addr(c.rcv), buf, n)
        window_update(c)
        return i64(taken)
    if c.fin_received:
        return 0
    if c.state == CLOSED:
        if c.error != 0:
            return i64(c.error)
        return 0 if c.connected else -errno.ENOTCONN
    if c.state == LISTEN:
        return -errno.ENOTCONN
    return -errno.EAGAIN


def window_update(c: Ptr[TcpConn]) -> None:
    """After the application read: advertise the larger window once it grew enough to matter
    (two segments, or half the buffer) - the receiver's half of RFC 1122's SWS avoidance."""
    if c.state != ESTABLISHED and c.state != FIN_WAIT_1 and c.state != FIN_WAIT_2:
        return
    wnd: u32 = min32(ring.space(addr(c.rcv)), u32(MAX_WINDOW))
    grow: u32 = (c.rcv_nxt + wnd) - c.rcv_adv
    if i32(grow) >= i32(min32(2 * c.mss, u32(ring.SIZE // 2))):
        c.ack_now = True
        output(c)


def shutdown_write(c: Ptr[TcpConn]) -> i64:
    """No more data from us: a FIN follows what is queued."""
    if c.state == ESTABLISHED or c.state == SYN_RCVD:
        c.fin_queued = True
        c.state = FIN_WAIT_1
        output(c)
    elif c.state == CLOSE_WAIT:
        c.fin_queued = True
        c.state = LAST_ACK
        output(c)
    elif c.state == CLOSED or c.state == LISTEN or c.state == SYN_SENT:
        return -errno.ENOTCONN
    return 0


def close_listener(listener: Ptr[TcpConn]) -> None:
    c: Ptr[TcpConn] = conns
    while c != NULL:
        nxt: Ptr[TcpConn] = c.next
        if c.parent == listener:
            abort(c, i32(-errno.ECONNABORTED))  # an orphan: freed
        c = nxt


def close(c: Ptr[TcpConn]) -> None:
    """The application lets go of c. Queued data is still delivered, then a FIN; the connection
    finishes the protocol on its own and frees itself. Unread received data makes it a reset
    instead (RFC 2525 2.17), as does closing before the handshake completed."""
    c.user = NULL
    c.notify = NULL
    c.orphan = True
    st: u32 = c.state
    if st == LISTEN:
        close_listener(c)
        set_closed(c, i32(0))
    elif st == CLOSED or st == SYN_SENT:
        set_closed(c, i32(0))
    elif c.rcv.count > 0:
        abort(c, i32(0))
    elif st == ESTABLISHED or st == SYN_RCVD:
        c.fin_queued = True
        c.state = FIN_WAIT_1
        output(c)
    elif st == CLOSE_WAIT:
        c.fin_queued = True
        c.state = LAST_ACK
        output(c)
    elif st == FIN_WAIT_2:
        c.timewait_deadline = now() + FIN_WAIT_2_NS


def reset_all() -> None:
    """Free every connection (tests start from nothing)."""
    global conns, conn_count
    while conns != NULL:
        c: Ptr[TcpConn] = conns
        c.parent = NULL
        destroy(c)
    conn_count = 0
