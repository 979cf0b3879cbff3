"""Data disks of BusyBox bundles for the integration tests: the bundle `cyrius bundle busybox` makes
(umoci, Debian's busybox-static), with its config.json's process changed and files added to its
rootfs, tarred the way the kernel's `tar` unpacks it. Importable helper, not a test module."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from cyrius.bundle import make_busybox_bundle, write_tarball
from cyrius.image.disk import make_data_disk


def busybox_disk(work: Path, bundles: dict[str, dict], files: dict[str, Path] | None = None,
                 mounts: list[dict] | None = None, modes: dict[str, int] | None = None,
                 config: dict | None = None) -> Path:
    """A data disk holding NAME.tar for each NAME in `bundles`, whose value updates config.json's
    "process" (umoci's config.json, or `config` instead, e.g. what `crun spec` writes); `files` maps
    rootfs paths to files copied into every bundle's rootfs (mode 0755, the source's modification
    time), `mounts` are added to every config's mounts, `modes` sets the mode of rootfs paths (after
    the files are copied: a directory's mode may take away its search permission)."""
    made = make_busybox_bundle(work / "bundle", log=lambda line: None)
    for target, source in (files or {}).items():
        dest = made.bundle / "rootfs" / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        dest.chmod(0o755)
        times = source.stat()  # the time too: Python checks a .pyc against its source's
        os.utime(dest, ns=(times.st_atime_ns, times.st_mtime_ns))
    for target, mode in sorted((modes or {}).items(), key=lambda item: -len(item[0])):  # deepest first
        (made.bundle / "rootfs" / target).chmod(mode)
    original = json.dumps(config) if config else (made.bundle / "config.json").read_text()
    tars = work / "tars"
    tars.mkdir()
    for name, process in bundles.items():
        config = json.loads(original)
        config["process"].update(process)
        config["mounts"] += mounts or []
        (made.bundle / "config.json").write_text(json.dumps(config))
        write_tarball(made.bundle, tars / f"{name}.tar")
    return make_data_disk(tars, work / "data.img", log=lambda line: None)


def libraries(binary: str) -> set[str]:
    """The loader and libraries `ldd` names for a host binary."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(/\S+)", out))


def host_programs(binaries: list[str], under: str | None = None) -> dict[str, Path]:
    """`files` for busybox_disk: the host's `binaries` (at their own paths, or in the rootfs directory
    `under`) and every library ldd names for them, at the paths the loader looks for them."""
    files = {(f"{under}/{Path(b).name}" if under else b.lstrip("/")): Path(b) for b in binaries}
    for lib in set().union(*(libraries(b) for b in binaries)):
        files[lib.lstrip("/")] = Path(os.path.realpath(lib))
    return files
