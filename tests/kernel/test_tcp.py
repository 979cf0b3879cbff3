"""TCP (net/tcp.py) under CPython: the state machine against a scripted peer, and two of our own
endpoints talking through a simulated network that loses, duplicates and reorders segments."""
import os

import pytest
from tcp_sim import ACK, FIN, MS, PSH, RST, SYN, Net, Seg, connector, ip, listener

from cyrius.kernel import errno
from cyrius.kernel.net import tcp
from cyrius.lang import NULL, u32

SERVER = ip("10.0.0.1")
CLIENT = ip("10.0.0.2")
PEER_ISN = 1000


@pytest.fixture
def net(machine):
    made = []

    def make(**options):
        n = Net(**options)
        made.append(n)
        return n

    yield make
    tcp.reset_all()
    tcp.emit = NULL
    tcp.clock = NULL


def peer(flags, seq, ack=0, data=b"", window=65535, mss=0, sport=4000, dport=80):
    return Seg(CLIENT, SERVER, sport, dport, seq, ack, flags, window, mss, data)


def handshake(n, backlog=8, mss=1000, sport=4000):
    """A listener on :80 and a connection from the scripted peer, accepted. Returns (listener,
    connection, our initial sequence number)."""
    lst = listener(80, backlog=backlog)
    n.inject(peer(SYN, PEER_ISN, mss=mss, sport=sport))
    [synack] = n.take()
    n.inject(peer(ACK, PEER_ISN + 1, synack.seq + 1, sport=sport))
    c = tcp.accept(lst)
    assert c != NULL
    return lst, c, synack.seq


# --- handshake -------------------------------------------------------------------------------

def test_passive_open(net):
    n = net(scripted=True)
    lst = listener(80)
    n.inject(peer(SYN, PEER_ISN, mss=1000))
    [synack] = n.take()
    assert synack.has(SYN | ACK) and synack.ack == PEER_ISN + 1
    assert (synack.src, synack.dst, synack.sport, synack.dport) == (SERVER, CLIENT, 80, 4000)
    assert synack.mss == 1460 and synack.window == 65535
    assert tcp.accept(lst) == NULL  # not established yet
    assert lst.embryonic == 1
    n.inject(peer(ACK, PEER_ISN + 1, synack.seq + 1))
    assert n.take() == []  # nothing to say
    c = tcp.accept(lst)
    assert c != NULL and c.state == tcp.ESTABLISHED
    assert c.mss == 1000  # the peer's MSS option
    assert (lst.embryonic, lst.accept_count) == (0, 0)
    assert tcp.accept(lst) == NULL


def test_segment_for_no_connection_is_reset(net):
    n = net(scripted=True)
    n.inject(peer(SYN, 5000))
    [rst] = n.take()
    assert rst.has(RST | ACK) and rst.ack == 5001 and rst.seq == 0
    n.inject(peer(ACK, 5000, 777))
    [rst] = n.take()
    assert rst.flags == RST and rst.seq == 777
    n.inject(peer(RST, 5000))
    assert n.take() == []  # never answer a reset


def test_lost_synack_is_sent_again(net):
    n = net(scripted=True)
    listener(80)
    n.inject(peer(SYN, PEER_ISN))
    [first] = n.take()
    n.advance(1000 * MS)  # the initial RTO
    [again] = n.take()
    assert again.has(SYN | ACK) and again.seq == first.seq
    n.inject(peer(SYN, PEER_ISN))  # the peer retransmits its SYN: answered at once
    [third] = n.take()
    assert third.has(SYN | ACK) and third.seq == first.seq and third.ack == PEER_ISN + 1


def test_backlog_limits_pending_connections(net):
    n = net(scripted=True)
    lst = listener(80, backlog=2)
    for port in (4001, 4002, 4003):
        n.inject(peer(SYN, PEER_ISN, sport=port))
    assert len(n.take()) == 2  # the third SYN is dropped (the peer will retry)
    assert tcp.syns_dropped >= 1 and lst.embryonic == 2


def test_active_open_and_refusal(net):
    n = net(scripted=True)
    c = connector("10.0.0.2", "10.0.0.1", 80)
    [syn] = n.take()
    assert syn.flags == SYN and syn.mss == 1460 and syn.dport == 80 and syn.sport >= 49152
    n.inject(Seg(SERVER, CLIENT, 80, syn.sport, 9000, syn.seq + 1, SYN | ACK, 30000, 1200))
    [ack] = n.take()
    assert ack.flags == ACK and ack.seq == syn.seq + 1 and ack.ack == 9001
    assert c.state == tcp.ESTABLISHED and c.mss == 1200 and c.snd_wnd == 30000
    d = connector("10.0.0.2", "10.0.0.1", 81)
    [syn] = n.take()
    n.inject(Seg(SERVER, CLIENT, 81, syn.sport, 0, syn.seq + 1, RST | ACK))
    assert d.state == tcp.CLOSED and d.error == -errno.ECONNREFUSED


# --- data ------------------------------------------------------------------------------------

def test_data_in_order_and_delayed_ack(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    n.inject(peer(ACK | PSH, PEER_ISN + 1, iss + 1, b"hello"))
    assert n.take() == []  # one segment: the ACK is delayed
    n.advance(tcp.DELAYED_ACK_NS)
    [ack] = n.take()
    assert ack.ack == PEER_ISN + 6 and ack.window == 65536 - 5  # the buffer is 64 KiB
    n.inject(peer(ACK, PEER_ISN + 6, iss + 1, b"a" * 1000))
    n.inject(peer(ACK, PEER_ISN + 1006, iss + 1, b"b" * 1000))
    [ack] = n.take()  # every second segment is acknowledged at once
    assert ack.ack == PEER_ISN + 2006
    assert n.recv(c) == (b"hello" + b"a" * 1000 + b"b" * 1000, 2005)
    assert n.recv(c)[1] == -errno.EAGAIN


def test_data_out_respects_mss_and_window(net):
    n = net(scripted=True)
    _, c, iss = handshake(n, mss=1000)
    c.snd_wnd = u32(2500)
    assert n.send(c, bytes(range(256)) * 20) == 5120
    segs = n.take()
    assert [s.length for s in segs] == [1000, 1000]  # a 500-byte runt would not fill the window usefully
    assert segs[0].seq == iss + 1 and segs[1].seq == iss + 1001
    n.inject(peer(ACK, PEER_ISN + 1, iss + 2001, window=8000))
    segs = n.take()
    assert [s.length for s in segs] == [1000, 1000, 1000, 120]
    assert segs[-1].has(PSH)
    assert b"".join(s.data for s in segs) == (bytes(range(256)) * 20)[2000:]


def test_reordered_segments_are_delivered_in_order(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    parts = [bytes([65 + i]) * 100 for i in range(4)]
    n.inject(peer(ACK, PEER_ISN + 201, iss + 1, parts[2]))
    n.inject(peer(ACK, PEER_ISN + 301, iss + 1, parts[3]))
    dupacks = n.take()
    assert [a.ack for a in dupacks] == [PEER_ISN + 1, PEER_ISN + 1]  # immediate duplicate ACKs
    assert n.recv(c)[1] == -errno.EAGAIN  # nothing readable: there is a hole
    n.inject(peer(ACK, PEER_ISN + 101, iss + 1, parts[1]))
    assert n.recv(c)[1] == -errno.EAGAIN
    n.inject(peer(ACK, PEER_ISN + 1, iss + 1, parts[0]))
    assert n.take()[-1].ack == PEER_ISN + 401  # the hole filled: everything acknowledged at once
    assert n.recv(c)[0] == b"".join(parts)


def test_duplicate_and_overlapping_segments(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    n.inject(peer(ACK, PEER_ISN + 1, iss + 1, b"0123456789"))
    n.inject(peer(ACK, PEER_ISN + 1, iss + 1, b"0123456789"))  # a duplicate: ACKed at once
    assert n.take()[-1].ack == PEER_ISN + 11
    n.inject(peer(ACK, PEER_ISN + 6, iss + 1, b"56789abcde"))  # overlaps the end
    assert n.recv(c)[0] == b"0123456789abcde"


def test_receive_window_closes_and_reopens(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    seq = PEER_ISN + 1
    for _ in range(65):
        n.inject(peer(ACK, seq, iss + 1, b"x" * 1000))
        seq += 1000
    n.inject(peer(ACK, seq, iss + 1, b"y" * 1000))  # only 536 bytes fit
    n.advance(tcp.DELAYED_ACK_NS)
    last = n.take()[-1]
    assert last.ack == seq + 536 and last.window == 0
    n.inject(peer(ACK, seq + 536, iss + 1, b"z"))  # a zero-window probe: not taken, but answered
    [probe_ack] = n.take()
    assert probe_ack.ack == seq + 536 and probe_ack.window == 0
    data, got = n.recv(c, 40000)
    assert got == 40000
    [update] = n.take()  # the reader made room: a window update goes out
    assert update.ack == seq + 536 and update.window == 40000


# --- closing ---------------------------------------------------------------------------------

def test_active_close_through_time_wait(net):
    n = net(scripted=True)
    lst, c, iss = handshake(n)
    assert n.send(c, b"bye") == 3
    tcp.close(c)
    segs = n.take()
    assert segs[-1].has(FIN | ACK) and b"".join(s.data for s in segs) == b"bye"
    fin_seq = iss + 4
    n.inject(peer(ACK, PEER_ISN + 1, fin_seq + 1))
    assert c.state == tcp.FIN_WAIT_2
    n.inject(peer(FIN | ACK, PEER_ISN + 1, fin_seq + 1))
    [ack] = n.take()
    assert ack.ack == PEER_ISN + 2 and c.state == tcp.TIME_WAIT
    n.advance(1000 * MS)
    n.inject(peer(FIN | ACK, PEER_ISN + 1, fin_seq + 1))  # our ACK was lost: the FIN again
    [ack] = n.take()
    assert ack.ack == PEER_ISN + 2
    count = tcp.conn_count
    n.advance(1999 * MS)  # 2 s from the retransmitted FIN
    assert tcp.conn_count == count
    n.advance(2 * MS)
    assert tcp.conn_count == count - 1  # gone (only the listener is left)


def test_passive_close(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    n.inject(peer(ACK | FIN, PEER_ISN + 1, iss + 1, b"last words"))
    [ack] = n.take()
    assert ack.ack == PEER_ISN + 12 and c.state == tcp.CLOSE_WAIT
    assert n.recv(c) == (b"last words", 10)
    assert n.recv(c) == (b"", 0)  # end of stream
    assert n.send(c, b"reply") == 5
    tcp.close(c)
    segs = n.take()
    assert segs[-1].has(FIN) and c.state == tcp.LAST_ACK
    count = tcp.conn_count
    n.inject(peer(ACK, PEER_ISN + 12, iss + 7))
    assert tcp.conn_count == count - 1


def test_simultaneous_close(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    tcp.close(c)
    [fin] = n.take()
    n.inject(peer(FIN | ACK, PEER_ISN + 1, iss + 1))  # crossed: does not acknowledge our FIN
    assert c.state == tcp.CLOSING
    n.inject(peer(ACK, PEER_ISN + 2, iss + 2))
    assert c.state == tcp.TIME_WAIT


def test_reset_handling(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    n.inject(peer(RST, PEER_ISN + 500))  # in the window but not exact: challenge ACK (RFC 5961)
    [challenge] = n.take()
    assert challenge.flags == ACK and challenge.ack == PEER_ISN + 1 and c.state == tcp.ESTABLISHED
    n.inject(peer(RST, PEER_ISN + 10 ** 6))  # outside the window: ignored
    assert n.take() == [] and c.state == tcp.ESTABLISHED
    n.inject(peer(SYN, PEER_ISN + 50))  # SYN on an established connection: challenge ACK too
    assert n.take()[0].flags == ACK and c.state == tcp.ESTABLISHED
    n.inject(peer(RST, PEER_ISN + 1))
    assert c.state == tcp.CLOSED and c.error == -errno.ECONNRESET
    assert n.recv(c)[1] == -errno.ECONNRESET
    assert n.send(c, b"x") == -errno.ECONNRESET


def test_close_with_unread_data_resets(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    n.inject(peer(ACK, PEER_ISN + 1, iss + 1, b"unread"))
    n.take()
    count = tcp.conn_count
    tcp.close(c)
    [rst] = n.take()
    assert rst.has(RST) and tcp.conn_count == count - 1


def test_closing_the_listener_resets_pending_connections(net):
    n = net(scripted=True)
    lst = listener(80)
    n.inject(peer(SYN, PEER_ISN, sport=4001))
    [synack] = n.take()
    n.inject(peer(ACK, PEER_ISN + 1, synack.seq + 1, sport=4001))  # established, not accepted
    n.inject(peer(SYN, PEER_ISN, sport=4002))  # embryonic
    n.take()
    tcp.close(lst)
    resets = n.take()
    assert sorted(s.dport for s in resets if s.has(RST)) == [4001, 4002]
    assert tcp.conn_count == 0


# --- retransmission --------------------------------------------------------------------------

def test_rto_estimation_follows_rfc_6298(net):
    n = net(scripted=True)
    _, c, _ = handshake(n)
    c.srtt = 0
    expected_srtt = expected_var = None
    for r in (100, 120, 80, 300, 90):
        tcp.rtt_sample(c, r * MS)
        if expected_srtt is None:
            expected_srtt, expected_var = r * MS, r * MS // 2
        else:
            expected_var = (3 * expected_var + abs(expected_srtt - r * MS)) // 4
            expected_srtt = (7 * expected_srtt + r * MS) // 8
        assert (int(c.srtt), int(c.rttvar)) == (expected_srtt, expected_var)
        assert int(c.rto) == min(max(expected_srtt + max(4 * expected_var, 10 * MS), 200 * MS), 60_000 * MS)
    c.srtt = 0
    tcp.rtt_sample(c, 1 * MS)
    assert c.rto == 200 * MS  # the lower bound


def test_rtt_measured_from_the_handshake_and_data(net):
    n = net(delay_ms=30)
    lst = listener(80)
    c = connector("10.0.0.2", "10.0.0.1", 80)
    n.run(until=lambda: c.state == tcp.ESTABLISHED)
    assert int(c.srtt) == 60 * MS  # one round trip through a 30 ms link
    n.send(c, b"x" * 5000)
    n.run(until=lambda: c.snd_una == c.snd_max)
    assert 55 * MS <= int(c.srtt) <= 110 * MS
    assert lst.accept_count == 1


def test_retransmission_after_loss_with_backoff_then_timeout(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    n.send(c, b"data")
    [first] = n.take()
    times = []
    for _ in range(tcp.MAX_RETRIES):
        start = n.t
        while not n.outbox:
            n.advance(10 * MS)
        [again] = n.take()
        assert again.seq == first.seq and again.data == b"data"
        times.append((n.t - start) // MS)
    # The handshake measured a zero round trip: the RTO starts at its 200 ms floor, then doubles.
    assert times[:4] == [200, 400, 800, 1600]
    assert max(times) == 60000
    n.advance(60001 * MS)
    [rst] = n.take()
    assert rst.has(RST) and c.state == tcp.CLOSED and c.error == -errno.ETIMEDOUT


def test_fast_retransmit_on_three_duplicate_acks(net):
    n = net(scripted=True)
    _, c, iss = handshake(n, mss=1000)
    n.send(c, b"q" * 5000)
    segs = n.take()
    assert len(segs) == 5
    for _ in range(3):  # segment 1 was lost; 2, 3, 4 each produce a duplicate ACK
        n.inject(peer(ACK, PEER_ISN + 1, iss + 1))
    [again] = n.take()
    assert again.seq == iss + 1 and again.length == 1000  # long before any timeout
    assert c.in_recovery
    n.inject(peer(ACK, PEER_ISN + 1, iss + 5001))
    assert not c.in_recovery and c.snd_una == c.snd_max


def test_zero_window_is_probed(net):
    n = net(scripted=True)
    _, c, iss = handshake(n, mss=1000)
    n.send(c, b"w" * 3000)
    n.take()
    n.inject(peer(ACK, PEER_ISN + 1, iss + 3001, window=0))
    n.send(c, b"more")
    assert n.take() == []  # the window is shut
    n.advance(250 * MS)  # one RTO (200 ms: the handshake measured no delay)
    [probe] = n.take()
    assert probe.length == 1 and probe.seq == iss + 3001 and probe.data == b"m"
    for _ in range(20):  # still shut: probes continue, further and further apart, for ever
        n.inject(peer(ACK, PEER_ISN + 1, iss + 3001, window=0))
        n.advance(61 * 1000 * MS)
        probes = n.take()
        assert probes and all(p.length == 1 and p.seq == iss + 3001 for p in probes)
    assert len(probes) == 1  # backed off to one a minute
    assert c.state == tcp.ESTABLISHED
    n.inject(peer(ACK, PEER_ISN + 1, iss + 3001, window=1000))  # opened
    segs = n.take()
    assert b"".join(s.data for s in segs) == b"more"


def test_transmit_failure_is_retried(net):
    n = net(scripted=True)
    _, c, iss = handshake(n)
    n.refuse = True
    assert n.send(c, b"later") == 5
    assert c.output_blocked and n.take() == []
    n.refuse = False
    tcp.flush()
    assert n.take()[0].data == b"later"


# --- through a bad network -------------------------------------------------------------------

def transfer(n, payload_up: bytes, payload_down: bytes):
    """Client sends payload_up and the server payload_down at the same time, both then close;
    returns what each side read."""
    lst = listener(80)
    c = connector("10.0.0.2", "10.0.0.1", 80)
    state = {"server": None, "up": bytearray(), "down": bytearray(), "c_sent": 0, "s_sent": 0,
             "c_closed": False, "s_closed": False, "c_eof": False, "s_eof": False}

    def pump(conn, data, sent_key, got, eof_key, closed_key):
        while state[sent_key] < len(data):
            k = n.send(conn, data[state[sent_key]:state[sent_key] + 65536])
            if k <= 0:
                break
            state[sent_key] += k
        if state[sent_key] == len(data) and not state[closed_key]:
            tcp.shutdown_write(conn)
            state[closed_key] = True
        while True:
            chunk, k = n.recv(conn)
            if k > 0:
                got += chunk
                continue
            if k == 0:
                state[eof_key] = True
            break

    def app():
        if state["server"] is None:
            s = tcp.accept(lst)
            if s != NULL:
                state["server"] = s
        if c.state != tcp.SYN_SENT:
            pump(c, payload_up, "c_sent", state["down"], "c_eof", "c_closed")
        if state["server"] is not None:
            pump(state["server"], payload_down, "s_sent", state["up"], "s_eof", "s_closed")

    assert n.run(until=lambda: state["c_eof"] and state["s_eof"], app=app)
    return bytes(state["up"]), bytes(state["down"]), c, state["server"]


def test_clean_network_transfer_both_ways(net):
    n = net()
    before = int(tcp.retransmitted)
    up, down = os.urandom(200_000), os.urandom(150_000)
    got_up, got_down, c, s = transfer(n, up, down)
    assert got_up == up and got_down == down
    assert tcp.retransmitted == before


def test_one_mebibyte_through_a_lossy_reordering_network(net):
    n = net(loss=0.03, reorder=0.1, duplicate=0.02, seed=7)
    before = int(tcp.retransmitted), int(tcp.out_of_order)
    up = os.urandom(1 << 20)
    down = os.urandom(64 * 1024)
    got_up, got_down, c, s = transfer(n, up, down)
    assert got_up == up  # no loss, duplication or reordering visible to the application
    assert got_down == down
    assert tcp.retransmitted > before[0] and tcp.out_of_order > before[1] and n.dropped > 0


def test_many_concurrent_connections(net):
    n = net(loss=0.01, reorder=0.05, seed=3)
    lst = listener(80, backlog=64)
    clients = [connector("10.0.0.2", "10.0.0.1", 80) for _ in range(20)]
    payloads = [os.urandom(10_000 + 1000 * i) for i in range(20)]
    servers, got = [], {}

    def app():
        while True:
            s = tcp.accept(lst)
            if s == NULL:
                break
            servers.append(s)
        for i, c in enumerate(clients):
            if c.state == tcp.ESTABLISHED and not got.get(("sent", i)):
                assert n.send(c, payloads[i]) == len(payloads[i])
                tcp.shutdown_write(c)
                got[("sent", i)] = True
        for s in servers:
            key = (int(s.remote_port),)
            buf = got.setdefault(key, bytearray())
            while True:
                chunk, k = n.recv(s)
                if k <= 0:
                    break
                buf += chunk

    def done():
        return sum(len(v) for k, v in got.items() if len(k) == 1) == sum(map(len, payloads))

    assert n.run(until=done, app=app)
    by_port = {int(c.local_port): p for c, p in zip(clients, payloads, strict=True)}
    assert {k[0]: bytes(v) for k, v in got.items() if len(k) == 1} == by_port
