"""The seed transcript and the container lifecycle, on Debian's busybox-static in a bundle made
by `cyrius bundle busybox` (umoci), under TCG."""
import json
import re

import pytest

from cyrius.bundle import make_busybox_bundle, write_tarball
from cyrius.image.disk import make_data_disk
from qemu_console import PROMPT, Console
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("umoci")]

SH_PROMPT = "/ # "


@pytest.fixture(scope="module")
def seed_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("containers")
    made = make_busybox_bundle(work / "bundle", log=lambda line: None)
    # A second bundle from the same image: another host name, no terminal, a program that leaves a
    # trace in its own root and then waits to be killed.
    config = json.loads((made.bundle / "config.json").read_text())
    config["hostname"] = "other"
    config["process"]["terminal"] = False
    config["process"]["args"] = ["sh", "-c", "hostname > /root/seen; ls / > /root/top; exec sleep 600"]
    (made.bundle / "config.json").write_text(json.dumps(config))
    write_tarball(made.bundle, made.tarball.parent / "other.tar")
    disk = make_data_disk(made.tarball.parent, work / "data.img", log=lambda line: None)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    assert console.run("tar mnt/busybox.tar bundle", timeout=120) == ""
    assert console.run("tar mnt/other.tar other", timeout=120) == ""
    yield console
    console.close()


def in_container(vm: Console, command: str, timeout: float = 60) -> str:
    """Type a command at BusyBox's prompt; what it printed before the next prompt."""
    vm.child.send(command + "\r")
    vm.child.expect_exact(command, timeout=timeout)
    vm.child.expect_exact(SH_PROMPT, timeout=timeout)
    return vm.child.before.replace("\r", "").strip("\n")


def state(vm: Console, cid: str) -> str:
    return vm.run(f"oci-runtime state {cid}")


def test_seed_transcript(seed_vm):
    vm = seed_vm
    listing = vm.run("ls bundle").split("\n")
    assert any(line.endswith(" config.json") for line in listing) and "d 0 rootfs" in listing
    assert vm.run("oci-runtime create c1 bundle") == "container c1 created"
    created = state(vm, "c1")
    assert created.startswith('{"annotations":{"org.opencontainers.image.architecture":"amd64"')
    assert '"bundle":"/bundle","id":"c1","ociVersion":"1.0.0","pid":null,"status":"created"}' in created
    vm.child.send("oci-runtime start c1\r")
    vm.child.expect_exact(SH_PROMPT, timeout=60)
    top = in_container(vm, "ls").split()
    assert {"bin", "dev", "etc", "root", "tmp"} <= set(top)
    uname = in_container(vm, "uname -a")
    assert re.fullmatch(r"Linux cyrius \S+ .* x86_64 GNU/Linux", uname), uname
    assert in_container(vm, "whoami") == "root"
    assert in_container(vm, 'echo "Hello world, from Linux container!"') == "Hello world, from Linux container!"
    vm.child.send("exit\r")
    vm.child.expect(PROMPT, timeout=60)
    assert '"status":"stopped"' in state(vm, "c1")
    assert vm.run("oci-runtime delete c1") == ""
    assert "no container with id c1" in state(vm, "c1")


def test_lifecycle_misuse_is_one_clear_error_and_changes_nothing(seed_vm):
    vm = seed_vm
    assert vm.run("oci-runtime start nope") == "oci-runtime: start nope: no container with id nope"
    assert vm.run("oci-runtime create c2 no-such-bundle").startswith("oci-runtime: create c2: bundle: ")
    assert "c2" not in vm.run("oci-runtime list")
    assert vm.run("oci-runtime create c2 bundle") == "container c2 created"
    assert vm.run("oci-runtime create c2 bundle") == "oci-runtime: create c2: a container already exists with id c2"
    assert vm.run("oci-runtime delete c2").startswith("oci-runtime: delete c2: delete needs a stopped container")
    assert '"status":"created"' in state(vm, "c2")
    assert vm.run("oci-runtime kill c2") == ""
    assert vm.run("oci-runtime start c2").startswith("oci-runtime: start c2: a container starts only once")
    assert vm.run("oci-runtime delete c2") == ""
    assert vm.run("oci-runtime create 'bad id' bundle").startswith("oci-runtime: create bad id: a container id is")


def test_broken_config_names_line_and_column(seed_vm):
    vm = seed_vm
    vm.run("mkdir broken")
    vm.run("""write broken/config.json '{"ociVersion": "1.0.2",, }'""")
    out = vm.run("oci-runtime create c3 broken")
    assert re.fullmatch(r"oci-runtime: create c3: config\.json:1:\d+: .+", out), out
    vm.run("""write broken/config.json '{"ociVersion": "1.0.2", "root": {"path": "rootfs"}, """
           """"process": {"cwd": "/", "user": {"uid": 0, "gid": 0}, "args": [1]}}'""")
    out = vm.run("oci-runtime create c3 broken")
    assert out == "oci-runtime: create c3: config.json: process.args[0]: expected a string", out
    assert "c3" not in vm.run("oci-runtime list")


def test_escape_attempts_stay_inside_the_container(seed_vm):
    vm = seed_vm
    assert vm.run("oci-runtime create esc bundle") == "container esc created"
    vm.child.send("oci-runtime start esc\r")
    vm.child.expect_exact(SH_PROMPT, timeout=60)
    top = in_container(vm, "ls /")
    assert in_container(vm, "ls /..") == top
    assert in_container(vm, "cd ../../..; ls") == top
    in_container(vm, "cd /")
    in_container(vm, "ln -s ../../../.. /tmp/up")
    assert in_container(vm, "ls /tmp/up") == top
    in_container(vm, "ln -s /mnt /tmp/abs")
    assert "No such file" in in_container(vm, "ls /mnt/busybox.tar /tmp/abs/busybox.tar")
    assert "bundle" not in in_container(vm, "ls /proc/1/root/")
    vm.child.send("exit\r")
    vm.child.expect(PROMPT, timeout=60)
    assert vm.run("oci-runtime delete esc") == ""


def test_two_containers_side_by_side_and_kill(seed_vm):
    vm = seed_vm
    assert vm.run("oci-runtime create bg other") == "container bg created"
    assert vm.run("oci-runtime start bg") == ""
    running = re.search(r'"pid":(\d+),"status":"running"', vm.run("oci-runtime state bg"))
    assert running
    assert vm.run("oci-runtime create fg bundle") == "container fg created"
    vm.child.send("oci-runtime start fg\r")
    vm.child.expect_exact(SH_PROMPT, timeout=60)
    assert in_container(vm, "hostname") == "cyrius"
    assert "No such file" in in_container(vm, "cat /root/seen")  # bg's files are in bg's root only
    assert running.group(1) not in in_container(vm, "ls /proc").split()  # nor are its processes
    vm.child.send("exit\r")
    vm.child.expect(PROMPT, timeout=60)
    assert f"d 0 {running.group(1)}" in vm.run("ls /proc").splitlines()  # which the host world sees
    assert vm.run("cat other/rootfs/root/seen") == "other"
    assert "config.json" not in vm.run("cat other/rootfs/root/top")
    assert "bg " in vm.run("ps")
    assert vm.run("oci-runtime delete bg").startswith("oci-runtime: delete bg: delete needs a stopped container")
    assert vm.run("oci-runtime kill bg KILL") == ""
    assert '"status":"stopped"' in vm.run("oci-runtime state bg")
    assert vm.run("oci-runtime delete bg") == ""
    assert vm.run("oci-runtime delete fg") == ""
    assert vm.run("oci-runtime list") == "ID               STATUS   PID   BUNDLE"
