"""The network stack in QEMU under TCG: virtio-net, DHCP from QEMU's user network (slirp), and the
kernel's TCP echo server reached from the host through the forwarded port (console.echo_port)."""
import os
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.integration

ECHO_TIMEOUT = 300  # seconds per socket operation: generous for TCG on a busy machine


def connect(port: int) -> socket.socket:
    """A connection that has reached the echo server: one byte went there and back.

    QEMU's user network accepts forwarded connections from a listen() backlog of 1, and the host
    kernel resets connections that overflow it while QEMU is busy emulating; so clients that must
    all exist at once are opened one after the other."""
    s = socket.create_connection(("127.0.0.1", port), timeout=ECHO_TIMEOUT)
    s.sendall(b"!")
    assert s.recv(1) == b"!"
    return s


def echo(port: int, data: bytes, s: socket.socket | None = None) -> tuple[bytes, float]:
    """Send data to the echo server while reading the echo, then half-close and read until the
    server closes too. Returns what came back and the seconds it took."""
    start = time.monotonic()
    if s is None:
        s = socket.create_connection(("127.0.0.1", port), timeout=ECHO_TIMEOUT)
    failures = []

    def sender():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            failures.append(e)

    t = threading.Thread(target=sender)
    t.start()
    got = bytearray()
    try:
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got += chunk
    finally:
        t.join()
        s.close()
    assert not failures, failures
    return bytes(got), time.monotonic() - start


def test_boot_log_has_the_network(vm):
    out = vm.boot_output.replace("\r", "")
    assert "[net] discovered 1 virtio network device(s)\n" in out
    assert re.search(r"^\[net\] eth0: virtio-net 52:54:00:12:34:56, link up, queues \d+/\d+, ", out, re.M), out
    assert "[web] echo server listening on 0.0.0.0:12345\n" in out
    assert "[net] eth0: dhcp lease 10.0.2.15/24 gateway 10.0.2.2 dns 10.0.2.3" in out


def test_ifconfig_shows_the_leased_address(vm):
    out = vm.run("ifconfig")
    assert "eth0: virtio-net ether 52:54:00:12:34:56 mtu 1500 link up" in out
    assert "inet 10.0.2.15 netmask 255.255.255.0 gateway 10.0.2.2 dns 10.0.2.3 (dhcp)" in out
    assert re.search(r"rx packets \d+ bytes \d+ dropped \d+ errors 0", out), out


def test_netstat_shows_the_listener(vm):
    out = vm.run("netstat")
    assert re.search(r"^tcp\s+0\.0\.0\.0:12345\s+0\.0\.0\.0:\*\s+LISTEN\s+0\s+0$", out, re.M), out
    assert re.search(r"^udp\s+0\.0\.0\.0:68\s", out, re.M), out


def test_small_echo(vm):
    got, _ = echo(vm.echo_port, b"hello, cyrius\n")
    assert got == b"hello, cyrius\n"


def test_one_mebibyte_comes_back_exactly(vm):
    data = os.urandom(1 << 20)
    got, seconds = echo(vm.echo_port, data)
    assert len(got) == len(data) and got == data
    print(f"1 MiB echoed in {seconds:.2f} s ({len(data) / seconds / 1024:.0f} KiB/s each way)")


def test_eight_concurrent_clients(vm):
    payloads = [os.urandom(64 * 1024) for _ in range(8)]
    clients = [connect(vm.echo_port) for _ in payloads]
    out = vm.run("netstat")
    assert len(re.findall(r"^tcp\s+10\.0\.2\.15:12345\s+10\.0\.2\.2:\d+\s+ESTABLISHED", out, re.M)) == 8, out
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda data, s: echo(vm.echo_port, data, s), payloads, clients))
    for (got, _), sent in zip(results, payloads, strict=True):
        assert got == sent
    print(f"8 x 64 KiB echoed concurrently in {time.monotonic() - start:.2f} s")


def test_connections_are_finished_and_freed(vm):
    for _ in range(10):
        assert echo(vm.echo_port, b"x" * 1000)[0] == b"x" * 1000
    deadline = time.monotonic() + 30
    while True:
        out = vm.run("netstat")
        lines = [line for line in out.splitlines() if line.startswith("tcp ")]
        if len(lines) == 1 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert len(lines) == 1 and "LISTEN" in lines[0], out  # every connection closed and gone
    assert re.search(r"^tcp: \d+ segments in, \d+ out, \d+ retransmitted, \d+ resets sent, (\d+) accepted$",
                     out, re.M)
