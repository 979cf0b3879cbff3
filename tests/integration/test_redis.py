"""Debian's redis-server and redis-cli (with the libraries ldd names) in a BusyBox container: the server
answers redis-cli over its AF_UNIX socket inside the container and the host's redis-cli over TCP through
a forwarded port (both see the same data), forks for BGSAVE while its threads run, and shuts down
cleanly. TCP loopback is not implemented yet, so TCP reaches it from the host only."""
import re
import subprocess

import pytest

from busybox_bundles import busybox_disk, host_programs
from container_kit import boot
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("umoci", "/usr/bin/redis-server", "/usr/bin/redis-cli")]

PORT = 6379
CLI = "redis-cli -s /tmp/redis.sock"
INIT = f"""
redis-server --save '' --appendonly no --daemonize no --port {PORT} --bind 0.0.0.0 --protected-mode no \\
    --dir /tmp --unixsocket /tmp/redis.sock > /tmp/redis.log 2>&1 &
server=$!
i=0
while ! {CLI} ping > /dev/null 2>&1 && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done
echo "== ping"; {CLI} ping
echo "== set"; {CLI} set from-container hello
echo "== get"; {CLI} get from-container
echo "== ready"
while [ "$({CLI} get host-done)" != yes ]; do sleep 0.1; done
echo "== from-host"; {CLI} get from-host
echo "== counter"; {CLI} get counter
echo "== bgsave"; {CLI} bgsave
i=0
while ! {CLI} info persistence | grep -q 'rdb_bgsave_in_progress:0' && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done
{CLI} info persistence | grep -o 'rdb_last_bgsave_status:[a-z]*'
ls /tmp/dump.rdb
echo "== shutdown"; {CLI} shutdown nosave; wait $server; echo "server exited $?"
echo "== end"
"""


def host_cli(port: int, *args: str) -> str:
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


@pytest.fixture(scope="module")
def session(image, tmp_path_factory):
    """The init's sections (name -> output), what the host's redis-cli got, and dmesg after."""
    work = tmp_path_factory.mktemp("redis")
    disk = busybox_disk(work, {"redis": {"terminal": True, "args": ["sh", "-c", INIT],
                                         "env": ["PATH=/usr/bin:/bin", "HOME=/root"]}},
                        files=host_programs(["/usr/bin/redis-server", "/usr/bin/redis-cli"]))
    vm = boot(image, work, disk, ("redis",), forwards=(PORT,))
    assert vm.run("oci-runtime create redis redis") == "container redis created"
    vm.child.send("oci-runtime start redis\r")
    vm.expect("== ready", timeout=300)
    first = vm.child.before
    port = vm.ports[PORT]
    host = {"ping": host_cli(port, "ping"), "get": host_cli(port, "get", "from-container"),
            "set": host_cli(port, "set", "from-host", "world")}
    host["incr"] = [host_cli(port, "incr", "counter") for _ in range(20)][-1]
    host["list"] = (host_cli(port, "rpush", "l", "a", "b", "c"), host_cli(port, "lrange", "l", "0", "-1"))
    host["done"] = host_cli(port, "set", "host-done", "yes")
    vm.expect(r"\r+\n\$ ", timeout=300)
    out = (first + "== ready" + vm.child.before).replace("\r", "")
    log = vm.run("dmesg")
    vm.close()
    parts = re.split(r"^== ([\w-]+)$", out, flags=re.M)
    return dict(zip(parts[1::2], (p.strip("\n") for p in parts[2::2]), strict=True)), host, log


def test_redis_cli_in_the_container_talks_over_the_unix_socket(session):
    parts = session[0]
    assert parts["ping"] == "PONG"
    assert parts["set"] == "OK"
    assert parts["get"] == '"hello"'  # quoted: redis-cli's stdout is the console, a terminal


def test_the_hosts_redis_cli_talks_over_tcp_to_the_same_server(session):
    parts, host = session[0], session[1]
    assert host["ping"] == "PONG"
    assert host["get"] == "hello"  # what the container set over the unix socket
    assert host["set"] == "OK" and parts["from-host"] == '"world"'  # and the other way round
    assert host["incr"] == "20" and parts["counter"] == '"20"'
    assert host["list"] == ("3", "a\nb\nc")
    assert host["done"] == "OK"


def test_bgsave_forks_and_the_server_shuts_down(session):
    parts = session[0]
    assert parts["bgsave"] == "Background saving started\nrdb_last_bgsave_status:ok\n/tmp/dump.rdb"
    assert parts["shutdown"].splitlines()[-1] == "server exited 0"
    assert "end" in parts


def test_no_system_call_is_missing(session):
    log = session[2]
    assert "[shell] ready" in log
    assert not re.search(r"unimplemented system call", log), log
