"""virtio-blk in a booted VM (TCG): discovery, then the `blktest` boot self-check.

The data disk is a FAT32 volume (mkfs.fat) over a pseudo-random pattern, so its data area is not
zeros. The kernel prints CRC-32s of what it read, re-reads part of it into an unaligned buffer,
and writes a pattern to the disk's last sector; the test checks every CRC against zlib.crc32 over
the image it made, powers the VM off, and finds exactly that one sector changed in the image file.
Run once with MSI-X and once with `pci=nomsi` (INTx through the I/O APIC).
"""
from __future__ import annotations

import random
import re
import subprocess
import zlib
from pathlib import Path

import pexpect
import pytest

from cyrius.image.esp import make_esp_image
from cyrius.qemu import RunConfig, spawn

pytestmark = pytest.mark.integration

DISK_MIB = 64
SECTOR = 512
SELFTEST_SECTORS = 2048  # blk_selftest.SECTORS
BOOT_TIMEOUT = 120


def make_disk(path: Path) -> bytes:
    rng = random.Random(0x5EED)
    path.write_bytes(rng.randbytes(DISK_MIB << 20))
    subprocess.run(["mkfs.fat", "-F", "32", "-n", "BLKTEST", str(path)], check=True, capture_output=True)
    return path.read_bytes()


def written_pattern(lba: int) -> bytes:
    """blk_selftest.pattern()"""
    return bytes((i * 7 + lba) & 0xFF for i in range(SECTOR))


def crc(data: bytes) -> str:
    return f"{zlib.crc32(data):08x}"


@pytest.mark.parametrize("cmdline, interrupt", [
    ("blktest", r"MSI-X vector (4[89]|5\d|6[0-3])"),
    ("blktest pci=nomsi", r"INTx IRQ \d+ vector (4[89]|5\d|6[0-3])"),
], ids=["msix", "intx"])
def test_blktest_selfcheck_and_written_sector(image, tmp_path, cmdline, interrupt):
    build = image.parent
    esp = make_esp_image(tmp_path / "esp.img", build / "uefi" / "BOOTX64.EFI", build / "kernel.elf",
                         extra_files={"cmdline.txt": cmdline.encode()})
    disk = tmp_path / "data.img"
    original = make_disk(disk)
    sectors = len(original) // SECTOR

    cfg = RunConfig(esp_image=esp, data_disk=disk, accel="tcg", port_forwards=[])
    with open(tmp_path / "serial.log", "w") as log:
        child = spawn(cfg, tmp_path, timeout=30, logfile=log)
        try:
            child.expect_exact("[shell] ready; type `help` for command list", timeout=BOOT_TIMEOUT)
            out = child.before.replace("\r", "")
            child.expect_exact("$ ")
            child.send("poweroff\r")
            child.expect(pexpect.EOF, timeout=30)
            child.close()
        finally:
            if child.isalive():
                child.terminate(force=True)
    assert child.exitstatus == 0, out

    assert "[net] discovered 1 virtio network device(s)\n" in out
    assert re.search(rf"^\[blk\] vda: {sectors} sectors \({DISK_MIB} MiB\), queue \d+, {interrupt}$", out, re.M), out
    assert "[blk] discovered 1 virtio block device(s)\n" in out
    assert f"[blk] selftest sector0 crc={crc(original[:SECTOR])}\n" in out
    read = re.search(r"^\[blk\] selftest read (\d+) sectors crc=([0-9a-f]{8}) in (\d+) us", out, re.M)
    assert read, out
    assert int(read.group(1)) == SELFTEST_SECTORS
    assert read.group(2) == crc(original[:SELFTEST_SECTORS * SECTOR])
    assert "[blk] selftest unaligned read ok\n" in out
    last = sectors - 1
    assert f"[blk] selftest write lba={last} crc={crc(written_pattern(last))} ok\n" in out
    done = re.search(r"^\[blk\] selftest done: (\d+) interrupts, (\d+) requests$", out, re.M)
    assert done and int(done.group(1)) >= 1, out
    assert "FAILED" not in out

    # After poweroff the image file holds the written sector and nothing else changed.
    after = disk.read_bytes()
    assert after[last * SECTOR:] == written_pattern(last)
    assert after[:last * SECTOR] == original[:last * SECTOR]
