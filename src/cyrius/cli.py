"""The `cyrius` command: build the kernel, and report on it."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .compiler import REPO_ROOT, CompileErrors
from .compiler.externs import ExternError


def build_image(out: str | None, jobs: int | None) -> Path | None:
    """Build everything `cyrius run` boots; print errors and return None on failure."""
    from .build import Builder, BuildError
    from .image.elfcheck import KernelElfError
    from .image.toolchain import ToolError

    start = time.monotonic()
    try:
        image = Builder(REPO_ROOT, Path(out) if out else None, jobs=jobs).build_image()
    except CompileErrors as errs:
        print(errs.format(), file=sys.stderr)
        return None
    except (BuildError, ExternError, ToolError, KernelElfError) as err:
        print(f"cyrius build: {err}", file=sys.stderr)
        return None
    print(f"[build] done in {time.monotonic() - start:.2f} s")
    return image


def cmd_build(args) -> int:
    return 0 if build_image(args.out, args.jobs) else 1


def bundle_busybox(out: Path) -> Path | None:
    """Make the BusyBox bundle and data disk under `out`; print errors and return None on failure."""
    from .bundle import make_busybox_bundle
    from .image.toolchain import ToolError

    start = time.monotonic()
    try:
        made = make_busybox_bundle(out)
    except ToolError as err:
        print(f"cyrius bundle: {err}", file=sys.stderr)
        return None
    print(f"[bundle] done in {time.monotonic() - start:.2f} s: bundle {made.bundle}, tarball {made.tarball}, "
          f"data disk {made.disk}")
    return made.disk


def cmd_bundle(args) -> int:
    from .bundle import default_out

    return 0 if bundle_busybox(Path(args.out) if args.out else default_out(REPO_ROOT / "build")) else 1


def parse_forward(text: str) -> tuple[int, int]:
    host, sep, guest = text.partition(":")
    if not sep or not host.isdigit() or not guest.isdigit() or not (0 < int(host) < 65536 and 0 < int(guest) < 65536):
        raise argparse.ArgumentTypeError(f"--forward wants HOSTPORT:GUESTPORT (e.g. 8080:80), not {text!r}")
    return int(host), int(guest)


def cmd_run(args) -> int:
    import subprocess
    import tempfile

    from .qemu import QemuError, RunConfig, qemu_command

    image = Path(args.out or REPO_ROOT / "build") / "cyrius.img"
    if not args.no_build:
        if build_image(args.out, None) is None:
            return 1
    forwards = {12345: 12345}  # the kernel's echo server, as in the seed
    for host, guest in args.forward or []:
        forwards = {h: g for h, g in forwards.items() if g != guest and h != host}
        forwards[host] = guest
    if args.disk:
        disk = Path(args.disk)
    else:  # the default BusyBox data disk, made once
        from .bundle import default_out, disk_path

        out = default_out(Path(args.out or REPO_ROOT / "build"))
        disk = disk_path(out)
        if not disk.exists():
            print(f"[run] no data disk at {disk}: making it (cyrius bundle busybox)")
            if bundle_busybox(out) is None:
                return 1
    cfg = RunConfig(esp_image=image, data_disk=disk, memory_mib=args.memory,
                    accel=args.accel, port_forwards=sorted(forwards.items()), gdb=args.gdb,
                    probe_dir=Path(args.out or REPO_ROOT / "build"))
    with tempfile.TemporaryDirectory(prefix="cyrius-run-") as work:
        try:
            cmd = qemu_command(cfg, Path(work))
        except QemuError as err:
            print(f"cyrius run: {err}", file=sys.stderr)
            return 1
        if args.gdb:
            print("[run] waiting for gdb: gdb build/kernel.elf -ex 'target remote :1234' -ex 'break kernel_main' "
                  "-ex continue", file=sys.stderr)
        print("[run] serial console below; Ctrl-A x quits QEMU", file=sys.stderr)
        return subprocess.run(cmd).returncode


def cmd_disk(args) -> int:
    from .image.disk import make_data_disk
    from .image.toolchain import ToolError

    try:
        make_data_disk(Path(args.directory), Path(args.output), size_mib=args.size)
    except ToolError as err:
        print(f"cyrius disk: {err}", file=sys.stderr)
        return 1
    return 0


def cmd_lines(args) -> int:
    from .linecount import report

    print(report(REPO_ROOT))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cyrius", description="Build and run the Cyrius operating system.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="translate the kernel to C and compile it (incremental)")
    p.add_argument("--out", help="build directory (default: build/)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="parallel compile jobs (default: CPU count)")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("run", help="build, then boot Cyrius in QEMU with the serial console on this terminal")
    p.add_argument("--disk", metavar="IMG",
                   help="data disk image (virtio-blk; default: the BusyBox one `cyrius bundle busybox` makes)")
    p.add_argument("--memory", metavar="MiB", type=int, default=512, help="guest memory (default 512)")
    p.add_argument("--accel", choices=["auto", "tcg", "kvm"], default="auto",
                   help="auto uses KVM only when a probe boot shows OVMF works under it")
    p.add_argument("--forward", metavar="HOST:GUEST", type=parse_forward, action="append",
                   help="forward a host TCP port to the guest (repeatable; 12345:12345 is always on)")
    p.add_argument("--gdb", action="store_true", help="wait for gdb on tcp::1234 before the firmware starts")
    p.add_argument("--no-build", action="store_true", help="boot the existing image without building")
    p.add_argument("--out", help="build directory (default: build/)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("bundle", help="make an OCI bundle (umoci + Debian's busybox-static), its tarball and "
                                      "the data disk `cyrius run` boots with")
    p.add_argument("name", choices=["busybox"], help="the bundle recipe (bundles/NAME/)")
    p.add_argument("--out", metavar="DIR", help="output directory (default: build/bundles/busybox/)")
    p.set_defaults(func=cmd_bundle)
    p = sub.add_parser("disk", help="make a FAT32 data disk image from a host directory")
    p.add_argument("directory", help="host directory whose contents go to the disk's root")
    p.add_argument("-o", "--output", required=True, metavar="IMG", help="image file to write")
    p.add_argument("--size", type=int, metavar="MiB", help="image size (default: fits the files, at least 64)")
    p.set_defaults(func=cmd_disk)
    p = sub.add_parser("lines", help="kernel source lines by language and the C/asm share")
    p.set_defaults(func=cmd_lines)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
