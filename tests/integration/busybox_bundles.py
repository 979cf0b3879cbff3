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


def libraries(binary: str) -> set[str]:
    """The loader and libraries `ldd` names for a host binary."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(/\S+)", out))


def with_libraries(programs: dict[str, str]) -> dict[str, Path]:
    """`files` for busybox_disk: each host program at its rootfs path, and the libraries and loader
    they need at the paths the host has them (symlinks resolved)."""
    files = {target: Path(source) for target, source in programs.items()}
    for lib in set().union(*(libraries(source) for source in programs.values())):
        files[lib.lstrip("/")] = Path(os.path.realpath(lib))
    return files


def busybox_disk(work: Path, bundles: dict[str, dict], files: dict[str, Path] | None = None,
                 mounts: list[dict] | None = None, modes: dict[str, int] | None = None) -> Path:
    """A data disk holding NAME.tar for each NAME in `bundles`, whose value updates config.json's
    "process"; `files` maps rootfs paths to files copied into every bundle's rootfs (mode 0755),
    `mounts` are added to every config's mounts, `modes` sets the mode of rootfs paths (after the
    files are copied: a directory's mode may take away its search permission)."""
    made = make_busybox_bundle(work / "bundle", log=lambda line: None)
    for target, source in (files or {}).items():
        dest = made.bundle / "rootfs" / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        dest.chmod(0o755)
    for target, mode in sorted((modes or {}).items(), key=lambda item: -len(item[0])):  # deepest first
        (made.bundle / "rootfs" / target).chmod(mode)
    original = (made.bundle / "config.json").read_text()
    tars = work / "tars"
    tars.mkdir()
    for name, process in bundles.items():
        config = json.loads(original)
        config["process"].update(process)
        config["mounts"] += mounts or []
        (made.bundle / "config.json").write_text(json.dumps(config))
        write_tarball(made.bundle, tars / f"{name}.tar")
    return make_data_disk(tars, work / "data.img", log=lambda line: None)
