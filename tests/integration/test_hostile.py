"""Hostile system-call arguments never take the kernel down, and leak nothing.

tests/fixtures/hostile/syscall_fuzz.c forks children that make random system calls with random
arguments (kernel addresses, unmapped and unaligned pointers, huge lengths). It only ever runs
inside Cyrius: on a host it would make those calls as root.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cyrius.image.disk import make_data_disk
from qemu_console import Console

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("mkfs.fat") is None, reason="dosfstools is installed by setup")]

SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "syscall_fuzz.c"
COMPILERS = {"musl": "musl-gcc", "glibc": "gcc"}


def memory(vm: Console) -> tuple[int, int, int]:
    """(free frames, heap bytes, heap blocks) as the shell's `mem` reports them."""
    out = vm.run("mem")
    frames = re.search(r"frames: (\d+) free", out)
    heap = re.search(r"heap: (\d+) bytes in (\d+) blocks", out)
    return int(frames.group(1)), int(heap.group(1)), int(heap.group(2))


@pytest.fixture(scope="module")
def fuzz_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    (work / "src").mkdir()
    for suffix, compiler in COMPILERS.items():
        if shutil.which(compiler) is None:
            pytest.skip(f"{compiler} is installed by scripts/setup.sh")
        subprocess.run([compiler, "-static", "-O1", "-o", str(work / "src" / f"fuzz.{suffix}"), str(SOURCE)],
                       check=True)
    disk = make_data_disk(work / "src", work / "data.img", log=lambda line: None)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    yield console
    console.close()


@pytest.mark.parametrize("suffix", list(COMPILERS))
def test_random_system_calls_leave_the_kernel_running_and_leak_nothing(fuzz_vm, suffix):
    vm = fuzz_vm
    vm.run(f"run /mnt/fuzz.{suffix}", timeout=300)  # warm-up: caches and size classes settle
    before = memory(vm)
    out = vm.run(f"run /mnt/fuzz.{suffix}", timeout=300)
    assert out.splitlines()[-1] == "syscall fuzz: 12 of 12 children ended"
    assert vm.run("echo alive") == "alive"
    frames, heap_bytes, heap_blocks = memory(vm)
    assert (heap_bytes, heap_blocks) == before[1:]
    assert frames == before[0]
