"""Sockets for containers: BusyBox httpd serves the host, wget fetches from the host, nc talks both
ways - real clients and servers on both sides of QEMU's user network (the host is 10.0.2.2)."""
import json
import socket
import threading
import time
import urllib.request

import pytest

from cyrius.bundle import make_busybox_bundle, write_tarball
from cyrius.image.disk import make_data_disk
from host_web import host_web_server
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("umoci")]

SH_PROMPT = "/ # "
PAGE = "<h1>served by BusyBox httpd in a Cyrius container</h1>\n"


@pytest.fixture(scope="module")
def net_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("cnet")
    made = make_busybox_bundle(work / "bundle", log=lambda line: None)
    www = made.bundle / "rootfs" / "www"
    www.mkdir()
    (www / "index.html").write_text(PAGE)
    write_tarball(made.bundle, made.tarball)  # the interactive bundle, now with /www
    config = json.loads((made.bundle / "config.json").read_text())
    config["process"]["terminal"] = False
    config["process"]["args"] = ["httpd", "-f", "-p", "8080", "-h", "/www"]
    (made.bundle / "config.json").write_text(json.dumps(config))
    write_tarball(made.bundle, made.tarball.parent / "web.tar")
    disk = make_data_disk(made.tarball.parent, work / "data.img", log=lambda line: None)
    console = Console(image, work, data_disk=disk, forwards=(8080,))
    console.wait_for_prompt()
    assert console.run("tar mnt/busybox.tar bundle", timeout=120) == ""
    assert console.run("tar mnt/web.tar web", timeout=120) == ""
    yield console
    console.close()


def in_container(vm: Console, command: str, timeout: float = 60) -> str:
    vm.child.send(command + "\r")
    vm.child.expect_exact(command, timeout=timeout)
    vm.child.expect_exact(SH_PROMPT, timeout=timeout)
    return vm.child.before.replace("\r", "").strip("\n")


def test_busybox_httpd_in_a_container_serves_the_host(net_vm):
    vm = net_vm
    assert vm.run("oci-runtime create web web") == "container web created"
    assert vm.run("oci-runtime start web") == ""
    url = f"http://127.0.0.1:{vm.ports[8080]}/index.html"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=20) as reply:
                assert reply.status == 200
                assert reply.read().decode() == PAGE
                break
        except (ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    assert vm.run("oci-runtime kill web KILL") == ""
    assert vm.run("oci-runtime delete web") == ""


@pytest.fixture
def host_services():
    """An HTTP server and a TCP server on the host, reachable from the guest as 10.0.2.2."""
    received = []

    def talk():
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"hello from the host\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(100)
                if not chunk:
                    break
                data += chunk
            received.append(data)

    listener = socket.create_server(("0.0.0.0", 0))
    threading.Thread(target=talk, daemon=True).start()
    with host_web_server() as web_port:
        yield web_port, listener.getsockname()[1], received
    listener.close()


def test_wget_and_nc_from_a_container_reach_the_host(net_vm, host_services):
    vm = net_vm
    web_port, nc_port, received = host_services
    assert vm.run("oci-runtime create cli bundle") == "container cli created"
    vm.child.send("oci-runtime start cli\r")
    vm.child.expect_exact(SH_PROMPT, timeout=60)
    assert in_container(vm, f"wget -q -O - http://10.0.2.2:{web_port}/from-cyrius") == "host page for /from-cyrius"
    out = in_container(vm, f"echo hello from the container | nc 10.0.2.2 {nc_port}")
    assert "hello from the host" in out
    assert received == [b"hello from the container\n"]
    vm.child.send("exit\r")
    vm.child.expect(r"\r+\n\$ ", timeout=60)
    assert vm.run("oci-runtime delete cli") == ""
