"""A static Go binary (Debian's golang-go, CGO_ENABLED=0, built at test time from the standard library
only) in a BusyBox container: the Go runtime's threads (clone with the thread flags), futexes,
signals (rt_sigaction for every signal, sigaltstack per thread, SIGURG preemption by tgkill), timers,
os/exec (clone with CLONE_VFORK, waitid), then net/http serving the host's requests through a
forwarded port with the epoll netpoller, and fetching a page from the host."""
import os
import re
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from busybox_bundles import busybox_disk
from container_kit import boot
from host_web import host_web_server
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("umoci", "go")]

SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "goserver" / "main.go"
PORT = 8080
BEFORE_SERVING = """GOMAXPROCS: true
goroutines: 45150
pipeline: 999000
sleep: true
after: fired
ticker: 5 true
preemption: main ran while loops spun
signal: user defined signal 1
exec: "hello from a child\\n" <nil>
exit status: exit status 3
exec missing: fork/exec /nonexistent: no such file or directory
"""
CLIENT = 'client: 200 OK "host page for /from-go\\n" <nil>\n'

REQUESTS = 24


def build(out: Path) -> Path:
    """main.go built static, with the Go cache and path in `out` (no network: standard library only)."""
    env = {**os.environ, "CGO_ENABLED": "0", "GOCACHE": str(out / "cache"), "GOPATH": str(out / "gopath"),
           "GO111MODULE": "off", "GOFLAGS": "", "GOPROXY": "off", "GOTOOLCHAIN": "local", "HOME": str(out)}
    binary = out / "goserver"
    subprocess.run(["go", "build", "-o", str(binary), str(SOURCE)], cwd=out, env=env, check=True, timeout=600)
    return binary


def go_version() -> str:
    return subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def host_web():
    """A page on the host, which the guest reaches as 10.0.2.2."""
    with host_web_server() as port:
        yield f"http://10.0.2.2:{port}/from-go"


@pytest.fixture(scope="module")
def served(image, tmp_path_factory, host_web):
    """The binary, the program's output, the replies to the host's requests, and dmesg after."""
    work = tmp_path_factory.mktemp("go")
    binary = build(work)
    init = f"GOGC=1 GOMAXPROCS=4 /goserver none && echo '== serve' && /goserver {PORT} {host_web}"  # stressed first
    disk = busybox_disk(work, {"go": {"terminal": True, "args": ["sh", "-c", init]}}, files={"goserver": binary})
    vm = boot(image, work, disk, ("go",), forwards=(PORT,))
    assert vm.run("oci-runtime create go go") == "container go created"
    vm.child.send("oci-runtime start go\r")
    vm.expect(f"serving on {PORT}", timeout=300)
    early = vm.child.before + f"serving on {PORT}"

    def get(path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{vm.ports[PORT]}{path}", timeout=60) as reply:
            assert reply.status == 200
            return reply.read().decode()

    with ThreadPoolExecutor(max_workers=8) as pool:  # overlapping requests, one goroutine each in the guest
        replies = list(pool.map(get, [f"/r{i}" for i in range(REQUESTS)]))
    replies.append(get("/quit"))
    vm.expect(r"\r+\n\$ ", timeout=120)
    out = (early + vm.child.before).replace("\r", "")
    log = vm.run("dmesg")
    vm.close()
    return binary, out, replies, log


def test_the_binary_is_static(served):
    binary = served[0]
    with open(binary, "rb") as f:
        assert not any(seg["p_type"] == "PT_INTERP" for seg in ELFFile(f).iter_segments())


def test_goroutines_timers_signals_and_exec_work(served):
    out = served[1]
    serving = out.split("== serve\n")[1]
    assert serving.startswith(BEFORE_SERVING), out


def test_they_work_with_a_collection_after_every_allocation_and_four_threads_running_go(served):
    """GOGC=1 (the collector runs all the time: its workers, write barriers and stack scans that
    preempt goroutines with SIGURG) and GOMAXPROCS=4 (four threads running Go code on one CPU)."""
    stressed = served[1].split("== serve\n")[0]
    assert stressed[stressed.index("GOMAXPROCS:"):] == BEFORE_SERVING, stressed


def test_net_http_fetches_from_the_host(served):
    serving = served[1].split("== serve\n")[1]
    assert serving[len(BEFORE_SERVING):].startswith(CLIENT + f"serving on {PORT}\n"), serving


def test_net_http_answers_the_host(served):
    out, replies = served[1], served[2]
    assert replies[:-1] == [f"hello from Go {go_version()}: /r{i}\n" for i in range(REQUESTS)]
    assert replies[-1] == "bye\n"
    assert out.rstrip("\n").endswith(f"served {REQUESTS} shutdown: <nil>"), out


def test_no_system_call_is_missing(served):
    log = served[3]
    assert "[shell] ready" in log
    assert not re.search(r"unimplemented system call", log), log
