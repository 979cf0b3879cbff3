"""`cyrius bundle busybox`: an OCI bundle made by umoci from Debian's busybox-static, its tarball,
and the FAT32 data disk `cyrius run` boots with.

The recipe (bundles/busybox/README.md says it step by step): umoci makes an image layout, unpacks
its empty rootfs, we add busybox, one relative symlink per applet, the recipe's /etc files and the
usual directories, umoci repacks that as a layer, sets the command and labels, and unpacks the final
bundle. Its config.json is umoci's, changed only where the kernel needs it (adapt_config). The
bundle is then tarred the way the kernel's `tar` unpacks it, and put on a data disk.

Everything goes under one output directory (default build/bundles/busybox/):
    image/              the OCI image layout (tag "busybox")
    bundle/             config.json + rootfs/ (plus umoci.json and an .mtree, umoci's repack metadata)
    disk/busybox.tar    the data disk's only file
    data.img            the data disk
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from .image.disk import make_data_disk
from .image.toolchain import REPO_ROOT, ToolError, require_tool, run

RECIPE = REPO_ROOT / "bundles" / "busybox"
OVERLAY = RECIPE / "rootfs"  # files copied into the rootfs as they are (mode 0644): /etc/passwd, /etc/group
HOST_BUSYBOX = Path("/bin/busybox")  # where Debian's busybox-static installs it
TAG = "busybox"
HOSTNAME = "cyrius"
COMMAND = "sh"  # process.args: an interactive shell on the console (process.terminal)
ENV_PATH = "PATH=/bin"  # every applet is a symlink in /bin
# Directories the rootfs needs besides /bin and /etc: root's home, a sticky /tmp, and the mount
# points of the mounts in umoci's config.json.
DIRECTORIES = {"root": 0o700, "tmp": 0o1777, "proc": 0o555, "dev": 0o755, "sys": 0o555}
# What `umoci unpack --rootless` writes only because it expects to run inside a user namespace
# mapped to whoever unpacked it: the Cyrius kernel has no user namespaces, and the host ids would
# make the bundle depend on who built it.
ROOTLESS_LINUX_KEYS = ("uidMappings", "gidMappings")
ROOTLESS_NAMESPACE = "user"
INSTALL_BUSYBOX = "install Debian's busybox-static: apt-get install busybox-static (scripts/setup.sh does)"

Log = Callable[[str], None]


@dataclass(frozen=True)
class Bundle:
    image: Path    # OCI image layout
    bundle: Path   # config.json + rootfs/
    tarball: Path  # busybox.tar
    disk: Path     # FAT32 data disk holding busybox.tar at its root


def default_out(build_dir: Path) -> Path:
    """Where `cyrius bundle busybox` writes without --out, under a build directory."""
    return build_dir / "bundles" / "busybox"


def disk_path(out: Path) -> Path:
    return out / "data.img"


def inspect_busybox(busybox: Path) -> tuple[str, list[str]]:
    """BusyBox's version and its applets (without "busybox" itself), after checking that `busybox`
    is what the kernel runs: a static, non-PIE x86-64 executable."""
    try:
        with open(busybox, "rb") as f:
            elf = ELFFile(f)
            static = elf["e_machine"] == "EM_X86_64" and elf["e_type"] == "ET_EXEC" and \
                not any(seg["p_type"] == "PT_INTERP" for seg in elf.iter_segments())
    except FileNotFoundError:
        raise ToolError(f"{busybox} not found; {INSTALL_BUSYBOX}") from None
    except (OSError, ELFError) as err:
        raise ToolError(f"{busybox} is not an ELF executable ({err}); {INSTALL_BUSYBOX}") from None
    if not static:
        raise ToolError(f"{busybox} is not a static x86-64 executable; {INSTALL_BUSYBOX}")
    banner = re.match(r"BusyBox v(\S+)", run([busybox, "--help"]))
    if banner is None:
        raise ToolError(f"{busybox} --help does not start with a BusyBox banner; {INSTALL_BUSYBOX}")
    applets = [a for a in run([busybox, "--list"]).split() if a != "busybox"]
    bad = [a for a in applets if "/" in a or a in (".", "..")]
    if bad or not applets:
        raise ToolError(f"{busybox} --list gave unusable applet names {bad}; {INSTALL_BUSYBOX}")
    return banner[1], applets


def populate(rootfs: Path, busybox: Path, applets: list[str]) -> None:
    """Fill the (empty) rootfs umoci unpacked: busybox, its applet links, the recipe's files and
    the directories. Modes are set explicitly, whatever the umask or the checkout's modes."""
    bindir = rootfs / "bin"
    bindir.mkdir()
    os.chmod(bindir, 0o755)
    shutil.copyfile(busybox, bindir / "busybox")
    os.chmod(bindir / "busybox", 0o755)
    for applet in applets:
        os.symlink("busybox", bindir / applet)
    for src in sorted(OVERLAY.rglob("*")):
        dst = rootfs / src.relative_to(OVERLAY)
        if src.is_dir():
            dst.mkdir()
            os.chmod(dst, 0o755)
        else:
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o644)
    for name, mode in DIRECTORIES.items():
        (rootfs / name).mkdir()
        os.chmod(rootfs / name, mode)


def adapt_config(config_json: Path) -> None:
    """umoci's config.json, changed only where Cyrius needs it (annotations stay umoci's)."""
    config = json.loads(config_json.read_text())
    config["hostname"] = HOSTNAME  # umoci writes "umoci-default"
    config["process"]["terminal"] = True  # the seed attaches the console (umoci's default too; pinned)
    linux = config.get("linux", {})
    for key in ROOTLESS_LINUX_KEYS:
        linux.pop(key, None)
    if "namespaces" in linux:
        linux["namespaces"] = [ns for ns in linux["namespaces"] if ns.get("type") != ROOTLESS_NAMESPACE]
    config_json.write_text(json.dumps(config, indent="\t") + "\n")


def tree(root: Path) -> list[Path]:
    """Everything under root, depth first, sorted by name, not following symlinks."""
    paths = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        paths.append(Path(entry.path))
        if entry.is_dir(follow_symlinks=False):
            paths.extend(tree(Path(entry.path)))
    return paths


def write_tarball(bundle: Path, tarball: Path) -> int:
    """Tar config.json and rootfs/ at the archive's top level (pax format, numeric owners 0:0,
    sorted, directories and symlinks as such); the number of members."""
    members = [bundle / "config.json", bundle / "rootfs", *tree(bundle / "rootfs")]
    tarball.parent.mkdir(parents=True, exist_ok=True)
    tmp = tarball.with_name(tarball.name + ".tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in members:
            info = tar.gettarinfo(path, arcname=path.relative_to(bundle).as_posix())
            if info is None or not (info.isreg() or info.isdir() or info.issym()):
                raise ToolError(f"{path}: only files, directories and symlinks belong in the bundle")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = int(info.mtime)  # a float would add a pax record to every member
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    tmp.replace(tarball)
    return len(members)


def make_busybox_bundle(out: Path, *, busybox: Path = HOST_BUSYBOX, log: Log = print) -> Bundle:
    """Make the image, the bundle, busybox.tar and the data disk under `out` (see the module doc)."""
    umoci = require_tool("umoci", "umoci")
    out = Path(out)
    result = Bundle(image=out / "image", bundle=out / "bundle", tarball=out / "disk" / "busybox.tar",
                    disk=disk_path(out))

    def stage(name: str, started: float, detail: str) -> None:
        log(f"[bundle] {name:<8} {detail} ({(time.monotonic() - started) * 1000:.0f} ms)")

    started = time.monotonic()
    version, applets = inspect_busybox(busybox)
    stage("busybox", started, f"{busybox}: BusyBox {version}, static x86-64, {len(applets)} applets")

    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    for old in (result.image, result.bundle):  # umoci wants to make both itself
        if old.exists():
            shutil.rmtree(old)
    ref = f"{result.image}:{TAG}"
    created_by = "cyrius bundle busybox"
    run([umoci, "init", "--layout", result.image])
    run([umoci, "new", "--image", ref])
    with tempfile.TemporaryDirectory(dir=out, prefix="stage-") as tmp:
        stage_dir = Path(tmp) / "bundle"
        run([umoci, "unpack", "--rootless", "--image", ref, stage_dir])
        populate(stage_dir / "rootfs", busybox, applets)
        run([umoci, "repack", "--history.created_by", created_by, "--image", ref, stage_dir])
    run([umoci, "config", "--image", ref, "--history.created_by", created_by,
         "--config.cmd", COMMAND, "--config.env", ENV_PATH, "--config.workingdir", "/",
         "--config.label", "org.opencontainers.image.title=busybox",
         "--config.label", f"org.opencontainers.image.version={version}"])
    stage("image", started, f"{ref} (umoci init, new, unpack, repack, config)")

    started = time.monotonic()
    run([umoci, "unpack", "--rootless", "--image", ref, result.bundle])
    adapt_config(result.bundle / "config.json")
    stage("bundle", started, f"{result.bundle}: config.json + rootfs/ (umoci unpack), hostname {HOSTNAME}")

    started = time.monotonic()
    count = write_tarball(result.bundle, result.tarball)
    stage("tar", started, f"{result.tarball}: {count} members, {result.tarball.stat().st_size} bytes "
          f"(pax, owners 0:0)")

    started = time.monotonic()
    make_data_disk(result.tarball.parent, result.disk, log=log)
    stage("disk", started, f"{result.disk}: busybox.tar at its root")
    return result
