"""Boot time: Cyrius vs Debian's Linux kernel with a BusyBox initramfs, in the same QEMU/OVMF/TCG machine.

* Cyrius: `cyrius build` (into build/bench/cyrius), booted like `cyrius run` (q35, OVMF pflash, TCG,
  512 MiB, one CPU). Total = QEMU start -> `[shell] ready` on the serial console (host clock); the
  kernel's own part = `[boot] kernel ready in N ms` (kernel entry -> shell ready, the kernel's TSC).
* Linux: Debian's `linux-image-amd64` (the kernel package it depends on is fetched with `apt-get download`
  into build/bench/linux and unpacked with `dpkg-deb -x`, never installed), booted by OVMF's direct
  kernel boot (QEMU -kernel/-initrd/-append: OVMF loads bzImage as an EFI application through its EFI
  stub) with an initramfs (cpio newc, written here) holding the host's /bin/busybox (busybox-static) and
  an /init script. The machine is cyrius.qemu's command line with the ESP disk replaced by -kernel.
  Total = QEMU start -> the marker /init prints first; the kernel's own part = the printk timestamp of
  the line /init writes to /dev/kmsg first thing (kernel clock 0 -> init running), read back with dmesg.
  Both kernels' own parts exclude what runs before them (OVMF, Cyrius' UEFI loader / Linux's EFI stub
  and decompressor). Linux boots with `quiet` (distribution default), Cyrius prints its normal log.

Importable: the other bench scripts use Linux (the guest) and boot_cyrius from here.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import common
from common import BUILD_DIR, REPO_ROOT

from cyrius.qemu import RunConfig, qemu_command

LINUX_DIR = BUILD_DIR / "linux"
CYRIUS_OUT = BUILD_DIR / "cyrius"
BUSYBOX = Path("/bin/busybox")
MEMORY_MIB = 512
BOOT_TIMEOUT = 300  # TCG on a shared machine
LINUX_MARKER = "[bench] linux init ready"
KMSG_MARKER = "bench: init running"
CYRIUS_READY = "[shell] ready; type `help` for command list"
KERNEL_TARGET = 0.2  # the kernel's own boot <= 1/5 of Linux's
QUIET_SECONDS = 3.0  # a Linux shell is idle once this long has passed since its last kernel message


class Unavailable(RuntimeError):
    """A peer cannot be measured here (offline, tool missing); the message says why."""


# ---------------------------------------------------------------- the Linux kernel

def fetch_linux() -> Path:
    """vmlinuz from Debian's linux-image-amd64 (downloaded once, extracted, never installed)."""
    LINUX_DIR.mkdir(parents=True, exist_ok=True)
    found = sorted((LINUX_DIR / "root" / "boot").glob("vmlinuz-*"))
    if found:
        return found[-1]
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise Unavailable("apt-get and dpkg-deb are needed to fetch Debian's kernel (a Debian host)")

    def download(package: str) -> Path:
        result = subprocess.run(["apt-get", "download", package], cwd=LINUX_DIR, capture_output=True, text=True)
        debs = sorted(LINUX_DIR.glob(f"{package}_*.deb"))
        if result.returncode != 0 or not debs:
            raise Unavailable(f"`apt-get download {package}` failed (offline? run `apt-get update`): "
                              f"{result.stderr.strip().splitlines()[-1:]}")
        return debs[-1]

    meta = download("linux-image-amd64")  # a metapackage: it depends on the versioned image
    depends = common.run(["dpkg-deb", "-f", str(meta), "Depends"]).stdout
    match = re.search(r"(linux-image-[0-9][^\s,(]*)", depends)
    if match is None:
        raise Unavailable(f"cannot find the kernel package in {meta.name}'s Depends: {depends!r}")
    deb = download(match.group(1))
    common.run(["dpkg-deb", "-x", str(deb), str(LINUX_DIR / "root")])
    found = sorted((LINUX_DIR / "root" / "boot").glob("vmlinuz-*"))
    if not found:
        raise Unavailable(f"{deb.name} holds no boot/vmlinuz-*")
    return found[-1]


def linux_modules(vmlinuz: Path) -> Path:
    return LINUX_DIR / "root" / "lib" / "modules" / vmlinuz.name.removeprefix("vmlinuz-")


# ---------------------------------------------------------------- initramfs (cpio newc)

def _cpio_entry(name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0), ino: int = 0) -> bytes:
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    header = b"070701" + b"".join(f"{v:08X}".encode() for v in fields)
    out = header + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


@dataclass
class Initramfs:
    """Files for the Linux guest's root: busybox, device nodes, /init and what a benchmark adds."""
    init: str                                          # the /init script's body after the marker
    files: dict[str, bytes | Path] = field(default_factory=dict)  # "bin/x" -> content or host file
    trees: dict[str, Path] = field(default_factory=dict)  # "bundle/rootfs" -> a host directory, copied
    # whole: its directories, files and symlinks with their permission bits (owners are root)

    def build(self, out: Path) -> Path:
        dirs = {d: 0o755 for d in ("bin", "dev", "proc", "sys", "tmp", "mnt", "etc", "root")}
        nodes = {"dev/console": (5, 1), "dev/kmsg": (1, 11), "dev/null": (1, 3), "dev/zero": (1, 5),
                 "dev/ttyS0": (4, 64), "dev/tty": (5, 0)}
        files = {"bin/busybox": BUSYBOX, "init": self.script().encode(), **self.files}
        modes = dict.fromkeys(files, 0o755)
        links: dict[str, str] = {}
        for at, top in self.trees.items():
            dirs[at] = stat.S_IMODE(top.stat().st_mode)
            for path in sorted(top.rglob("*")):
                name, mode = f"{at}/{path.relative_to(top).as_posix()}", path.lstat().st_mode
                if stat.S_ISLNK(mode):
                    links[name] = os.readlink(path)
                elif stat.S_ISDIR(mode):
                    dirs[name] = stat.S_IMODE(mode)
                else:
                    files[name], modes[name] = path, stat.S_IMODE(mode)
        for name in [*files, *links, *dirs]:
            parts = Path(name).parts[:-1]
            for i in range(1, len(parts) + 1):
                dirs.setdefault("/".join(parts[:i]), 0o755)
        blob, ino = [], 1
        for d in sorted(dirs, key=lambda d: d.count("/")):  # parents first
            blob.append(_cpio_entry(d, stat.S_IFDIR | dirs[d], ino=ino))
            ino += 1
        for name, (major, minor) in nodes.items():
            blob.append(_cpio_entry(name, stat.S_IFCHR | 0o666, rdev=(major, minor), ino=ino))
            ino += 1
        for name, content in files.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            blob.append(_cpio_entry(name, stat.S_IFREG | modes[name], data, ino=ino))
            ino += 1
        for name, target in links.items():
            blob.append(_cpio_entry(name, stat.S_IFLNK | 0o777, target.encode(), ino=ino))
            ino += 1
        blob.append(_cpio_entry("TRAILER!!!", 0))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"".join(blob))
        return out

    def script(self) -> str:
        return "\n".join([
            "#!/bin/busybox sh",
            f'echo "{KMSG_MARKER}" > /dev/kmsg',
            f'echo "{LINUX_MARKER}"',
            "/bin/busybox --install -s /bin",
            "export PATH=/bin",
            "mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp",
            self.init,
            f"dmesg | grep -E '{KMSG_MARKER}|Run /init'",
            'echo "[bench] linux done"',
            "poweroff -f",
            "",
        ])


# ---------------------------------------------------------------- guests

def _byte_exact_pty() -> None:
    import termios

    attrs = termios.tcgetattr(0)
    attrs[1] &= ~termios.ONLCR
    termios.tcsetattr(0, termios.TCSANOW, attrs)


def machine_command(workdir: Path, **config) -> list[str]:
    """cyrius.qemu's command line (the machine Cyrius runs in), for a Cyrius image at config['esp_image'].
    No host port is forwarded unless config asks (a fixed one would keep two guests from running at once)."""
    config.setdefault("port_forwards", [])
    cfg = RunConfig(accel="tcg", memory_mib=MEMORY_MIB, **config)
    return qemu_command(cfg, workdir)


def linux_command(workdir: Path, vmlinuz: Path, initrd: Path, append: str, **config) -> list[str]:
    """The same machine with the ESP disk replaced by OVMF direct kernel boot."""
    esp = workdir / "no-esp.img"  # qemu_command wants an ESP path; its drive is dropped below
    esp.write_bytes(b"")
    cmd = machine_command(workdir, esp_image=esp, **config)
    out, skip = [], 0
    for i, arg in enumerate(cmd):
        if skip:
            skip -= 1
            continue
        if arg in ("-drive", "-device") and i + 1 < len(cmd) and ("id=esp" in cmd[i + 1] or "drive=esp" in cmd[i + 1]):
            skip = 1
            continue
        out.append(arg)
    return out + ["-kernel", str(vmlinuz), "-initrd", str(initrd), "-append", append]


@dataclass
class LinuxRun:
    total: float          # QEMU start -> LINUX_MARKER (host seconds)
    kernel: float | None  # printk time of KMSG_MARKER (kernel clock 0 -> init running)
    output: str           # the whole serial output


class Linux:
    """Debian's kernel booting a BusyBox initramfs in the Cyrius machine; each boot runs /init once."""

    def __init__(self):
        self.vmlinuz = fetch_linux()
        if not BUSYBOX.exists():
            raise Unavailable("/bin/busybox (busybox-static) is missing; scripts/setup.sh installs it")

    def boot(self, initramfs: Initramfs, name: str, append: str = "quiet", timeout: float = BOOT_TIMEOUT,
             **config) -> LinuxRun:
        import pexpect

        work = BUILD_DIR / "linux-runs" / name
        work.mkdir(parents=True, exist_ok=True)
        initrd = initramfs.build(work / "initrd.cpio")
        cmd = linux_command(work, self.vmlinuz, initrd, f"console=ttyS0 {append} panic=-1", **config)
        (work / "qemu.cmd").write_text(" ".join(cmd) + "\n")
        with open(work / "serial.log", "w") as log:
            t0 = time.monotonic()
            child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(work), timeout=timeout, encoding="utf-8",
                                  codec_errors="replace", logfile=log, echo=False, preexec_fn=_byte_exact_pty)
            try:
                child.expect_exact(LINUX_MARKER)
                total = time.monotonic() - t0
                child.expect_exact("[bench] linux done")
                output = child.before
                child.expect(pexpect.EOF)
            finally:
                if child.isalive():
                    child.terminate(force=True)
        m = re.search(r"\[\s*(\d+\.\d+)\]\s+" + re.escape(KMSG_MARKER), output)
        return LinuxRun(total, float(m.group(1)) if m else None, output.replace("\r", ""))


class LinuxShell:
    """An interactive BusyBox sh on the Linux guest's console (Initramfs(init=LinuxShell.INIT)), returned
    once the guest is idle: QUIET_SECONDS after its last kernel message."""
    INIT = "export PS1='lx# '; stty columns 4096; exec sh"  # no line wrapping of long commands
    PROMPT = "lx# "

    def __init__(self, linux: Linux, initramfs: Initramfs, name: str, timeout: float = BOOT_TIMEOUT, **config):
        import pexpect

        work = BUILD_DIR / "linux-runs" / name
        work.mkdir(parents=True, exist_ok=True)
        initrd = initramfs.build(work / "initrd.cpio")
        cmd = linux_command(work, linux.vmlinuz, initrd, "console=ttyS0 quiet panic=-1", **config)
        self.log = open(work / "serial.log", "w")
        self.child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(work), timeout=timeout, encoding="utf-8",
                                   codec_errors="replace", logfile=self.log, echo=False,
                                   preexec_fn=_byte_exact_pty)
        self.child.expect_exact(LINUX_MARKER)
        self.child.expect_exact(self.PROMPT)
        self.wait_quiet()

    def wait_quiet(self, timeout: float = 120) -> None:
        """Poll /proc/uptime against the last kernel message's time until QUIET_SECONDS pass between them."""
        deadline = time.monotonic() + timeout
        while True:
            uptime, last = self.run("cut -d' ' -f1 /proc/uptime; dmesg | tail -n 1").split("\n", 1)
            stamp = re.match(r"\[\s*(\d+\.\d+)\]", last)
            quiet = float(uptime) - (float(stamp.group(1)) if stamp else 0.0)
            if quiet >= QUIET_SECONDS or time.monotonic() > deadline:
                break
            time.sleep(QUIET_SECONDS - quiet)
        state = self.run("cat /proc/loadavg /sys/devices/system/clocksource/clocksource0/current_clocksource")
        common.log(f"Linux idle at uptime {uptime} s ({quiet:.1f} s since `{last.strip()}`); "
                   f"loadavg, clocksource: {' '.join(state.split())}")

    def run(self, command: str, timeout: float = 60) -> str:
        """Type a command; what it printed before the next prompt."""
        self.child.send(command + "\r")
        self.child.expect_exact(command, timeout=timeout)
        self.child.expect_exact(self.PROMPT, timeout=timeout)
        return self.child.before.replace("\r", "").strip("\n")

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendline("poweroff -f")
            try:
                self.child.expect(__import__("pexpect").EOF, timeout=30)
            except Exception:  # noqa: BLE001 — any failure to stop politely ends in a kill
                pass
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()


def build_cyrius() -> Path:
    """The Cyrius image, built (incrementally) into build/bench/cyrius: the tree's build/ is left alone."""
    from cyrius.build import Builder

    return Builder(REPO_ROOT, out=CYRIUS_OUT, log=lambda line: None).build_image()


@dataclass
class CyriusBoot:
    console: object       # tests/integration/qemu_console.Console, at the prompt
    total: float          # QEMU start -> [shell] ready
    kernel: float         # [boot] kernel ready in N ms


def bundle_disk(work: Path, bundles: dict[str, dict], files: dict[str, Path] | None = None,
                config: dict | None = None) -> Path:
    """A data disk made afresh in `work` holding NAME.tar for each bundle: `cyrius bundle busybox`'s bundle
    (its rootfs in work/bundle/bundle/rootfs) with config.json's "process" updated by the value and
    `files` (rootfs path -> host file) added; `config` replaces umoci's config.json (the integration
    tests' busybox_disk)."""
    from busybox_bundles import busybox_disk

    if shutil.which("umoci") is None:
        raise Unavailable("umoci is missing (scripts/setup.sh installs it)")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return busybox_disk(work, bundles, files, config=config)


def boot_cyrius(image: Path, name: str, **config) -> CyriusBoot:
    """Boot Cyrius to its shell prompt; the caller closes .console."""
    import qemu_console

    qemu_console.BOOT_TIMEOUT = BOOT_TIMEOUT
    work = BUILD_DIR / "cyrius-runs" / name
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    console = qemu_console.Console(image, work, memory_mib=MEMORY_MIB, **config)
    console.child.expect_exact(CYRIUS_READY, timeout=BOOT_TIMEOUT)
    total = time.monotonic() - t0
    m = re.search(r"\[boot\] kernel ready in (\d+) ms", console.child.before)
    console.child.expect_exact("$ ", timeout=60)
    if m is None:
        console.close()
        raise RuntimeError(f"no `[boot] kernel ready` line; serial log in {work}")
    return CyriusBoot(console, total, int(m.group(1)) / 1000)


# ---------------------------------------------------------------- the benchmark

def main() -> None:
    args = common.arguments(__doc__.splitlines()[0])
    common.log("building Cyrius into build/bench/cyrius")
    image = build_cyrius()
    try:
        linux = Linux()
    except Unavailable as err:
        linux = None
        common.log(f"Linux peer unavailable: {err}")
    cy_total, cy_kernel, lx_total, lx_kernel = [], [], [], []
    for i in range(args.repeat):
        boot = boot_cyrius(image, f"boot{i}")
        boot.console.close()
        cy_total.append(boot.total)
        cy_kernel.append(boot.kernel)
        line = f"run {i + 1}: Cyrius {boot.total:.2f} s (kernel {boot.kernel * 1000:.0f} ms)"
        if linux:
            run = linux.boot(Initramfs(init=":"), f"boot{i}")
            lx_total.append(run.total)
            if run.kernel is not None:
                lx_kernel.append(run.kernel)
            line += f", Linux {run.total:.2f} s (kernel {run.kernel} s)"
        common.log(line)
    why = "n/a (Linux peer unavailable)"
    peer_total = f"{min(lx_total):.2f} s (Debian Linux {linux.vmlinuz.name.removeprefix('vmlinuz-')})" \
        if lx_total else why
    peer_kernel = f"{min(lx_kernel) * 1000:.0f} ms (Linux: printk time when /init runs)" if lx_kernel else why
    k_ratio = min(cy_kernel) / min(lx_kernel) if lx_kernel else None
    rows = [
        common.row("boot: QEMU start → shell prompt (total, OVMF included)", f"{min(cy_total):.2f} s", peer_total,
                   common.fmt_ratio(min(cy_total), min(lx_total) if lx_total else None)),
        common.row("boot: kernel's own part (kernel entry → prompt)", f"{min(cy_kernel) * 1000:.0f} ms",
                   peer_kernel, common.fmt_ratio(min(cy_kernel), min(lx_kernel) if lx_kernel else None),
                   common.target_verdict(k_ratio, KERNEL_TARGET, "≤ 0.20× (1/5)")),
    ]
    common.report(rows, write=not args.no_write)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
