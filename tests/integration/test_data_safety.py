"""Data safety on the FAT32 data disk at /mnt: what was synced survives poweroff and a hard kill.

A Linux program run with `run` (tests/fixtures/datasafety/writer.c, static musl) writes a file of
many clusters, a directory of 200 long-named files, an overwrite in place, a shrink and a growth by
ftruncate and a deleted file, and makes them durable with fsync, fdatasync, syncfs or sync; the
host shell writes, overwrites and removes files of its own and runs `sync`. Then the machine is
powered off, or QEMU is killed with SIGKILL at once. Either way the image must pass `fsck.fat -n`
and mtools must read back every synced byte.
"""
import signal
import subprocess
from pathlib import Path

import pytest

from cyrius.image.disk import make_data_disk
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration,
              needs("mkfs.fat", "musl-gcc")]

SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "datasafety" / "writer.c"
MTOOLS_ENV = {"MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null", "PATH": "/usr/bin:/bin"}
SHELL_NOTES = 40


def pattern(n: int) -> bytes:
    return bytes((i * 31 + i // 4096) % 251 for i in range(n))


WRITER_FILES = {"big.bin": pattern(300000), "over.bin": b"a" * 7000 + b"b" * 5000 + b"a" * 8000,
                "trunc.bin": pattern(12345), "grow.bin": b"x" * 1000 + bytes(8000),
                **{f"many/entry-with-a-long-name-{i:03d}.txt": b"entry %03d\n" % i for i in range(200)}}
SHELL_FILES = {**{f"shell/note-{i:02d}.txt": b"note %d from the host shell\n" % i for i in range(SHELL_NOTES)},
               "shell/note-07.txt": b"shorter\n"}
del SHELL_FILES["shell/note-13.txt"]


@pytest.fixture
def disk_vm(image, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    subprocess.run(["musl-gcc", "-static", "-O1", "-Wall", "-Wextra", "-Werror", "-o", str(src / "writer"),
                    str(SOURCE)], check=True)
    disk = make_data_disk(src, tmp_path / "data.img", log=lambda line: None)
    console = Console(image, tmp_path, data_disk=disk)
    console.wait_for_prompt()
    console.disk = disk
    yield console
    console.close()


def run_writer(vm: Console, method: str) -> None:
    out = vm.run(f"run /mnt/writer /mnt {method}", timeout=300)
    assert out == f"writer: done ({method})", out


def shell_writes(vm: Console) -> None:
    assert vm.run("mkdir /mnt/shell") == ""
    for i in range(SHELL_NOTES):
        assert vm.run(f"write /mnt/shell/note-{i:02d}.txt note {i} from the host shell") == ""
    assert vm.run("write /mnt/shell/note-07.txt shorter") == ""
    assert vm.run("rm /mnt/shell/note-13.txt") == ""


def hard_kill(vm: Console) -> None:
    vm.child.kill(signal.SIGKILL)  # no poweroff: nothing more reaches the disk
    vm.wait_exit(timeout=30)


def check_disk(disk: Path, tmp_path: Path, expected: dict[str, bytes]) -> None:
    """fsck.fat finds nothing wrong, and the disk holds exactly the expected files (and the writer)."""
    fsck = subprocess.run(["fsck.fat", "-n", str(disk)], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    back = tmp_path / "back"
    subprocess.run(["mcopy", "-s", "-n", "-i", str(disk), "::/", str(back)], check=True, env=MTOOLS_ENV,
                   capture_output=True)
    found = {p.relative_to(back).as_posix(): p.read_bytes() for p in back.rglob("*") if p.is_file()}
    del found["writer"]
    assert sorted(found) == sorted(expected)
    for name, data in expected.items():
        assert found[name] == data, name


def test_writes_survive_poweroff(disk_vm, tmp_path):
    run_writer(disk_vm, "none")  # poweroff syncs
    shell_writes(disk_vm)
    disk_vm.child.send("poweroff\r")
    assert disk_vm.wait_exit(timeout=60) == 0
    check_disk(disk_vm.disk, tmp_path, WRITER_FILES | SHELL_FILES)


@pytest.mark.parametrize("method", ["fsync", "fdatasync", "syncfs", "sync"])
def test_what_a_program_synced_survives_a_hard_kill(disk_vm, tmp_path, method):
    run_writer(disk_vm, method)
    hard_kill(disk_vm)
    check_disk(disk_vm.disk, tmp_path, WRITER_FILES)


def test_host_shell_writes_survive_a_hard_kill_right_after_sync(disk_vm, tmp_path):
    shell_writes(disk_vm)
    assert disk_vm.run("sync") == ""
    hard_kill(disk_vm)
    check_disk(disk_vm.disk, tmp_path, SHELL_FILES)
