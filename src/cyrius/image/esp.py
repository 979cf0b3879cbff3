"""The EFI System Partition image: an unpartitioned FAT32 file made with mtools.

OVMF boots EFI/BOOT/BOOTX64.EFI from a raw FAT image with no partition table (the "removable
media" path), so no root, loop device or partitioning tool is needed:
    mformat -F (FAT32) on a sparse file, mmd for directories, mcopy for files.
Layout:
    /EFI/BOOT/BOOTX64.EFI   the loader (boot/uefi/loader.c)
    /kernel.elf             what the loader loads
    /<extra files>          e.g. /cmdline.txt, read by the loader if present
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Mapping

from .toolchain import require_tool, run

MIB = 1 << 20
MIN_ESP_MIB = 64  # FAT32 needs >= 65525 clusters; 64 MiB of 512-byte clusters is comfortably above


def esp_size_mib(payload_bytes: int) -> int:
    """Image size for this much file data: FAT overhead and headroom, never below 64 MiB."""
    need = payload_bytes + payload_bytes // 8 + 8 * MIB
    return max(MIN_ESP_MIB, -(-need // MIB))


def _mtools_env() -> dict[str, str]:
    # MTOOLS_SKIP_CHECK: do not refuse images whose geometry looks odd to mtools;
    # MTOOLSRC=/dev/null: ignore any ~/.mtoolsrc drive mappings.
    return {**os.environ, "MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null"}


def make_esp_image(out: Path, efi_app: Path, kernel_elf: Path | None,
                   extra_files: Mapping[str, Path | bytes] | None = None,
                   *, size_mib: int | None = None) -> Path:
    """Write a fresh ESP image to `out` and return it.

    efi_app     BOOTX64.EFI, installed as /EFI/BOOT/BOOTX64.EFI
    kernel_elf  installed as /kernel.elf; None leaves it out (used by the KVM probe)
    extra_files ESP path (e.g. "cmdline.txt", "EFI/cyrius/x") -> a host file or bytes
    size_mib    image size; default from esp_size_mib()

    The image is assembled beside `out` and renamed into place, so a half-written image never
    replaces a good one.
    """
    for tool in ("mformat", "mmd", "mcopy"):
        require_tool(tool, "mtools")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    files: dict[PurePosixPath, Path | bytes] = {PurePosixPath("EFI/BOOT/BOOTX64.EFI"): Path(efi_app)}
    if kernel_elf is not None:
        files[PurePosixPath("kernel.elf")] = Path(kernel_elf)
    for name, content in (extra_files or {}).items():
        files[PurePosixPath(name.lstrip("/"))] = content if isinstance(content, bytes) else Path(content)
    for name, content in files.items():
        if isinstance(content, Path) and not content.is_file():
            raise FileNotFoundError(f"ESP file {name}: {content} does not exist")

    payload = sum(len(c) if isinstance(c, bytes) else c.stat().st_size for c in files.values())
    size = (size_mib or esp_size_mib(payload)) * MIB
    env = _mtools_env()
    fd, tmp_name = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        try:
            os.ftruncate(fd, size)  # sparse: costs no disk until written
        finally:
            os.close(fd)
        run(["mformat", "-i", tmp, "-F", "-v", "CYRIUS", "::"], env=env)
        dirs = sorted({p for name in files for p in name.parents if p != PurePosixPath(".")},
                      key=lambda p: len(p.parts))
        for d in dirs:
            run(["mmd", "-i", tmp, f"::/{d}"], env=env)
        with tempfile.TemporaryDirectory() as scratch:
            for name, content in files.items():
                src = content
                if isinstance(content, bytes):
                    src = Path(scratch) / name.name
                    src.write_bytes(content)
                run(["mcopy", "-i", tmp, "-o", src, f"::/{name}"], env=env)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
