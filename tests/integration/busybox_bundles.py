"""Data disks of BusyBox bundles for the integration tests: the bundle `cyrius bundle busybox` makes
(umoci, Debian's busybox-static), with its config.json's process changed and files added to its
rootfs, tarred the way the kernel's `tar` unpacks it. Importable helper, not a test module."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from cyrius.bundle import make_busybox_bundle, write_tarball
from cyrius.image.disk import make_data_disk


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
