"""`cyrius disk DIR -o IMG`: a FAT32 data disk holding a host directory's files (mkfs.fat + mtools).

No root and no loop devices: the image is formatted in place and files are copied with mcopy.
Symlinks and special files cannot live on FAT; they are reported and skipped (bundle tarballs
carry them inside the archive instead).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from .toolchain import ToolError, require_tool, run

MIB = 1 << 20
MIN_DISK_MIB = 64  # FAT32 needs at least 65525 clusters


def disk_size_mib(payload: int) -> int:
    return max(MIN_DISK_MIB, -(-(payload * 5 // 4 + 16 * MIB) // MIB))


def make_data_disk(source: Path, out: Path, *, size_mib: int | None = None,
                   log: Callable[[str], None] = print) -> Path:
    """Format `out` as FAT32 and copy the tree under `source` to its root."""
    for tool, pkg in (("mkfs.fat", "dosfstools"), ("mcopy", "mtools"), ("mmd", "mtools")):
        require_tool(tool, pkg)
    source = Path(source)
    if not source.is_dir():
        raise ToolError(f"{source} is not a directory")
    files, dirs, skipped = [], [], []
    payload = 0
    for root, dirnames, filenames in os.walk(source):
        rel_root = Path(root).relative_to(source)
        for d in sorted(dirnames):
            (dirs if not (Path(root) / d).is_symlink() else skipped).append(rel_root / d)
        for f in sorted(filenames):
            path = Path(root) / f
            if path.is_symlink() or not path.is_file():
                skipped.append(rel_root / f)
                continue
            files.append(rel_root / f)
            payload += path.stat().st_size
    size = size_mib or disk_size_mib(payload)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with open(tmp, "wb") as f:
        f.truncate(size * MIB)
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "MTOOLSRC": "/dev/null"}
    run(["mkfs.fat", "-F", "32", "-n", "CYRIUSDATA", str(tmp)])
    for d in dirs:
        run(["mmd", "-i", str(tmp), f"::/{d.as_posix()}"], env=env)
    for f in files:
        run(["mcopy", "-i", str(tmp), "-p", str(source / f), f"::/{f.as_posix()}"], env=env)
    tmp.replace(out)
    log(f"[disk] {out}: FAT32, {size} MiB, {len(files)} files in {len(dirs)} directories ({payload} bytes)")
    for s in skipped:
        log(f"[disk] skipped {s}: FAT cannot hold symlinks or special files")
    return out
