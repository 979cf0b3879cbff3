"""Containers for the hardening tests: Debian's busybox-static bundle (umoci) with static test
programs (musl-gcc, built at test time) in rootfs/bin, one tarball per config.json variant on a
FAT32 data disk, and the console steps those tests share. Importable helper, not a test module."""
from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable


from cyrius.bundle import make_busybox_bundle, write_tarball
from cyrius.image.disk import make_data_disk
from qemu_console import PROMPT, Console
from tooling import require_tools

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SH_PROMPT = "/ # "


def build_static(source: Path, out: Path) -> Path:
    """`source` compiled static with musl-gcc into `out`."""
    require_tools("musl-gcc")
    flags = ["-static", "-O1", "-Wall", "-Wextra", "-Werror", "-Wno-infinite-recursion"]  # faults.c recurses
    subprocess.run(["musl-gcc", *flags, "-o", str(out), str(source)], check=True)
    return out


def make_disk(work: Path, programs: dict[str, Path], variants: dict[str, Callable[[dict], None]]) -> Path:
    """A data disk with NAME.tar for each variant: the busybox bundle with `programs` in
    rootfs/bin and its config.json changed by the variant's function."""
    require_tools("umoci")
    made = make_busybox_bundle(work / "bundle", log=lambda line: None)
    # The mount point of umoci's /etc/resolv.conf bind, as most images ship it: otherwise the first
    # create makes it in the rootfs, and the memory a test compares before and after would differ.
    (made.bundle / "rootfs" / "etc" / "resolv.conf").touch()
    for name, binary in programs.items():
        shutil.copyfile(binary, made.bundle / "rootfs" / "bin" / name)
        (made.bundle / "rootfs" / "bin" / name).chmod(0o755)
    config_json = made.bundle / "config.json"
    base = json.loads(config_json.read_text())
    disk_files = work / "disk"
    disk_files.mkdir()
    for name, change in variants.items():
        config = copy.deepcopy(base)
        change(config)
        config_json.write_text(json.dumps(config))
        write_tarball(made.bundle, disk_files / f"{name}.tar")
    return make_data_disk(disk_files, work / "data.img", log=lambda line: None)


def boot(image: Path, work: Path, disk: Path, unpack: tuple[str, ...], timeout: float = 180, **config) -> Console:
    """A VM with the disk at /mnt and each named tarball unpacked into a directory of that name
    (`config`: Console's, e.g. forwards or memory_mib)."""
    console = Console(image, work, data_disk=disk, **config)
    console.wait_for_prompt()
    for name in unpack:
        assert console.run(f"tar mnt/{name}.tar {name}", timeout=timeout) == ""
    return console


def memory(vm: Console) -> tuple[int, int, int]:
    """What the shell's `mem` reports: (free frames plus the frames the kernel heap holds, heap
    bytes in use, heap blocks in use). A heap whose free lists grew for a while keeps those frames;
    counted with the free ones they are no leak, while every block it hands out still counts."""
    out = vm.run("mem")
    frames = re.search(r"frames: (\d+) free", out)
    heap = re.search(r"heap: (\d+) bytes in (\d+) blocks, (\d+) frames held", out)
    return int(frames.group(1)) + int(heap.group(3)), int(heap.group(1)), int(heap.group(2))


def live_tasks(vm: Console) -> tuple[int, int]:
    """(processes the host shell's `ps` lists, zombies included; threads and kernel threads that
    /proc/loadavg counts in its running/total field)."""
    processes = len(vm.run("ps").splitlines()) - 1  # the header
    total = re.search(r" \d+/(\d+) ", vm.run("cat /proc/loadavg"))
    return processes, int(total.group(1))


def in_container(vm: Console, command: str, timeout: float = 60) -> str:
    """Type a command at BusyBox's prompt; what it printed before the next prompt."""
    vm.child.send(command + "\r")
    vm.child.expect_exact(command, timeout=timeout)
    vm.child.expect_exact(SH_PROMPT, timeout=timeout)
    return vm.child.before.replace("\r", "").strip("\n")


def start_attached(vm: Console, cid: str, expect: str = SH_PROMPT, timeout: float = 60) -> str:
    """`oci-runtime start` of a terminal container; what it printed until `expect`."""
    vm.child.send(f"oci-runtime start {cid}\r")
    vm.child.expect_exact(f"oci-runtime start {cid}", timeout=timeout)
    vm.child.expect_exact(expect, timeout=timeout)
    return vm.child.before.replace("\r", "").strip("\n")


def leave_container(vm: Console, timeout: float = 60) -> str:
    """`exit` at BusyBox's prompt; what the host shell printed before its prompt came back."""
    vm.child.send("exit\r")
    vm.child.expect_exact("exit", timeout=timeout)
    vm.child.expect(PROMPT, timeout=timeout)
    return vm.child.before.replace("\r", "").strip("\n")


def status(vm: Console, cid: str) -> str:
    """The container's status from its state JSON."""
    found = re.search(r'"status":"(\w+)"', vm.run(f"oci-runtime state {cid}"))
    assert found, f"no state for {cid}"
    return found.group(1)
