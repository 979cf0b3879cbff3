"""Malformed input in the VM: hostile tar archives, hostile ELF programs and a data disk whose FAT
cluster chains are broken. Each gets a clear error; nothing is written outside the destination; the
kernel neither panics nor hangs, and the shell goes on (`echo alive`).

The data disk is made by `cyrius disk` (mkfs.fat + mtools) and then damaged here: one file's chain
loops, one points past the volume, one is cut by a free cluster, one is cross-linked with another,
and one's directory entry claims more bytes than its chain holds. The tar archives come from Python's
tarfile and the ELF programs from tests/kernel/test_elf_hostile.py's byte-by-byte builder."""
import io
import json
import re
import shutil
import subprocess
import struct
import sys
import tarfile
from pathlib import Path

import pytest

from cyrius.image.disk import make_data_disk
from qemu_console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel"))
from test_elf_hostile import GOOD, HOSTILE  # noqa: E402  (needs the path above)
from test_fat32 import Geometry  # noqa: E402
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("mkfs.fat")]

BUSYBOX = Path("/bin/busybox")
PROGRAMS = ["truncated in the program headers", "e_phoff wraps around", "e_phentsize of 32",
            "overlapping PT_LOAD segments", "a segment in the kernel half", "a segment mapping page zero",
            "p_memsz filling the user half", "the entry outside every segment",
            "a PIE image spanning more than the user half"]
DAMAGED = {"LOOP.BIN": "loop", "FAR.BIN": "past the end", "HOLE.BIN": "free cluster", "CROSS.BIN": "cross-linked",
           "LONG.BIN": "size past the chain"}


EXECVE_C = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
/* execve each argument in turn: print why it failed and go on; the last one may succeed. */
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char *args[] = {argv[i], NULL};
        if (i == argc - 1) { puts("alive"); fflush(stdout); }
        execve(argv[i], args, NULL);
        printf("%s: %s\n", argv[i], strerror(errno));
        fflush(stdout);
    }
    return 1;
}
"""


def config(**process) -> bytes:
    return json.dumps({"ociVersion": "1.0.2", "root": {"path": "rootfs"},
                       "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}, **process}}).encode()


CONFIGS = {  # bundle name -> config.json; the error the shell prints for it follows in test_mistyped_configs
    "uidstring": config(user={"uid": "0", "gid": 0}),
    "uidnegative": config(user={"uid": -1, "gid": 0}),
    "uidhuge": config(user={"uid": 10 ** 30, "gid": 0}),
    "argsobject": config(args={"0": "sh"}),
    "duplicate": b'{"ociVersion": "1.0.2", "ociVersion": "1.0.2"}',
    "notutf8": b'{"ociVersion": "1.0.2\xff"}',
    "deep": b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}",
}


def archive(*members) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.type = {"file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}[kind]
            if kind == "file":
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
            else:
                info.linkname = payload
                t.addfile(info)
    return out.getvalue()


def short_name(name: str) -> bytes:
    """The 11-byte directory form of an upper-case 8.3 name: FAR.BIN is b"FAR     BIN"."""
    base, ext = name.split(".")
    return (base.ljust(8) + ext.ljust(3)).encode()


def damage(disk: Path) -> None:
    """Break the chains of the DAMAGED files (each several clusters long) in every FAT copy."""
    img = bytearray(disk.read_bytes())
    g = Geometry(img)
    first = {name: g.first_cluster(img, g.root_entry(img, short_name(name))) for name in [*DAMAGED, "KEEP.BIN"]}

    def chain(name):
        out = [first[name]]
        while (after := g.fat_entry(img, out[-1])) < 0x0FFFFFF8:
            out.append(after)
        assert len(out) >= 4, name
        return out

    loop, far, hole, cross, keep = (chain(n) for n in ("LOOP.BIN", "FAR.BIN", "HOLE.BIN", "CROSS.BIN", "KEEP.BIN"))
    clusters = (len(img) - g.data) // g.cluster
    g.set_fat(img, loop[3], loop[1])  # a loop the file's size runs into
    g.set_fat(img, far[2], clusters + 100)
    g.set_fat(img, hole[1], 0)
    g.set_fat(img, cross[1], keep[2])
    entry = g.root_entry(img, short_name("LONG.BIN"))
    struct.pack_into("<I", img, entry + 28, 50 * 1024 * 1024)
    disk.write_bytes(bytes(img))


@pytest.fixture(scope="module")
def hostile_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("malformed")
    src = work / "src"
    (src / "elf").mkdir(parents=True)
    (src / "notes.txt").write_text("still readable\n")
    (src / "escape.tar").write_bytes(archive(("ok", "file", b"fine\n"), ("../escaped", "file", b"owned\n")))
    (src / "symlink.tar").write_bytes(archive(("a", "symlink", "/"), ("a/tmp/escaped", "file", b"owned\n")))
    (src / "hardlink.tar").write_bytes(archive(("h", "hardlink", "/mnt/notes.txt")))
    (src / "twice.tar").write_bytes(archive(("f", "file", b"one\n"), ("f", "file", b"two\n")))
    (src / "elf" / "good").write_bytes(GOOD)
    for i, name in enumerate(PROGRAMS):
        (src / "elf" / f"bad{i}").write_bytes(HOSTILE[name])
    for n, name in enumerate([*DAMAGED, "KEEP.BIN"]):
        (src / name).write_bytes(bytes([65 + n]) * 39_999 + b"\n")
    for name, text in CONFIGS.items():
        (src / "cfg" / name).mkdir(parents=True)
        (src / "cfg" / name / "config.json").write_bytes(text)
    if BUSYBOX.exists():
        shutil.copyfile(BUSYBOX, src / "busybox")
    (work / "execve.c").write_text(EXECVE_C)
    subprocess.run(["gcc", "-static", "-O1", "-o", str(src / "execve"), str(work / "execve.c")], check=True)
    disk = make_data_disk(src, work / "data.img", log=lambda line: None)
    damage(disk)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    yield console
    console.close()


def test_tar_escape_is_refused_and_nothing_lands_outside(hostile_vm):
    vm = hostile_vm
    top = set(vm.run("ls /").splitlines())
    out = vm.run("tar mnt/escape.tar dest1", timeout=60)
    assert out == 'tar: mnt/escape.tar: ../escaped: path has a ".." component (member 2, byte 1024)', out
    assert vm.run("ls dest1") == "" and set(vm.run("ls /").splitlines()) == top | {"d 0 dest1"}
    assert "escaped" not in vm.run("ls /tmp")


def test_tar_symlink_to_root_writes_below_the_destination(hostile_vm):
    vm = hostile_vm
    tmp = vm.run("ls /tmp")
    assert vm.run("tar mnt/symlink.tar dest2", timeout=60) == ""
    assert vm.run("cat dest2/tmp/escaped") == "owned"
    assert vm.run("ls /tmp") == tmp


def test_tar_hard_link_out_and_duplicates_are_refused(hostile_vm):
    vm = hostile_vm
    assert vm.run("tar mnt/hardlink.tar dest3", timeout=60) == \
        "tar: mnt/hardlink.tar: h: cannot create: No such file or directory"
    assert vm.run("tar mnt/twice.tar dest4", timeout=60) == "tar: mnt/twice.tar: f: cannot create: File exists"
    assert vm.run("ls dest3") == "" and vm.run("ls dest4") == ""
    assert vm.run("cat mnt/notes.txt") == "still readable"


def test_hostile_programs_are_refused_by_run(hostile_vm):
    vm = hostile_vm
    assert vm.run("run mnt/elf/good", timeout=60) == "run: mnt/elf/good exited with status 42"
    for i, name in enumerate(PROGRAMS):
        expected = "Cannot allocate memory" if "user half" in name else "Exec format error"
        assert vm.run(f"run mnt/elf/bad{i}", timeout=60) == f"run: mnt/elf/bad{i}: {expected}", name
    assert vm.run("echo alive") == "alive"


def test_hostile_programs_are_refused_to_a_linux_process(hostile_vm):
    """execve called by a Linux program gets the error and the program carries on."""
    vm = hostile_vm
    paths = " ".join(f"mnt/elf/bad{i}" for i in range(len(PROGRAMS)))
    out = vm.run(f"run mnt/execve {paths} mnt/elf/good", timeout=120).splitlines()
    expected = [f"mnt/elf/bad{i}: " + ("Cannot allocate memory" if "user half" in name else "Exec format error")
                for i, name in enumerate(PROGRAMS)]
    assert out == [*expected, "alive", "run: mnt/execve exited with status 42"]  # the last execve succeeds


@needs("/bin/busybox")
def test_hostile_programs_from_busybox_sh(hostile_vm):
    """busybox sh runs a file execve refuses with ENOEXEC as a script, as POSIX asks: that fails too,
    the shell reports a status and goes on."""
    vm = hostile_vm
    for i, name in enumerate(PROGRAMS):
        out = vm.run(f"run mnt/busybox sh -c 'mnt/elf/bad{i}; echo status=$?'", timeout=120)
        assert re.search(r"^status=[1-9][0-9]*$", out, re.M), (name, out)
    assert vm.run("run mnt/busybox sh -c 'mnt/elf/good; echo status=$?'", timeout=120) == "status=42"
    assert vm.run("echo alive") == "alive"


def test_damaged_files_give_an_error_and_the_rest_stays_readable(hostile_vm):
    vm = hostile_vm
    for name in ("LOOP.BIN", "FAR.BIN", "HOLE.BIN", "LONG.BIN"):
        out = vm.run(f"cat mnt/{name}", timeout=120)
        assert out.endswith(f"cat: mnt/{name}: Structure needs cleaning"), (name, out[-200:])
    # A cross-linked file reads another file's clusters: FAT cannot tell, fsck can; reading must still end.
    assert len(vm.run("cat mnt/CROSS.BIN", timeout=120)) >= 2 * 512
    assert vm.run("cat mnt/KEEP.BIN", timeout=120) == "F" * 39_999
    assert vm.run("cat mnt/notes.txt") == "still readable"
    assert "LOOP.BIN" in vm.run("ls mnt")
    assert vm.run("echo alive") == "alive"


def test_mistyped_configs_name_the_field_and_create_nothing(hostile_vm):
    vm = hostile_vm
    before = vm.run("oci-runtime list")
    expected = {
        "uidstring": "config.json: process.user.uid: expected an integer",
        "uidnegative": "config.json: process.user.uid: out of range (0 to 4294967295)",
        "uidhuge": "config.json: process.user.uid: out of range (0 to 4294967295)",
        "argsobject": "config.json: process.args: expected an array",
        "duplicate": "config.json:1:25: duplicate key",
        "notutf8": "config.json:1:22: invalid UTF-8",
        "deep": "config.json:1:70: nested more than 64 deep",
    }
    for name, line in expected.items():
        assert vm.run(f"oci-runtime create bad-{name} mnt/cfg/{name}") == f"oci-runtime: create bad-{name}: {line}"
    assert vm.run("oci-runtime list") == before
    assert vm.run("echo alive") == "alive"
