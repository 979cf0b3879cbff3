"""How Cyrius runs under QEMU: firmware, machine, disks, network, serial, and KVM detection.

No argument parsing here; the CLI and the tests build a RunConfig and call qemu_command().

The machine (measured on Debian 12: QEMU 7.2, OVMF 2022.11):
  * q35 with OVMF as two pflash drives: OVMF_CODE read-only, and a fresh copy of OVMF_VARS per
    run (UEFI writes boot variables; a shared copy would leak state between runs);
  * the ESP is a raw, unpartitioned FAT image on the q35 AHCI controller (ide-hd on ide.0), read
    only, with bootindex=0 so OVMF tries it first.  AHCI rather than virtio-blk so that the data
    disk is the kernel's only virtio-blk device;
  * the data disk (optional) is virtio-blk-pci, modern only (disable-legacy=on);
  * virtio-net-pci, modern only, on a user-mode network; host ports forwarded to guest ports on
    127.0.0.1 (the guest TCP echo server listens on 12345).  romfile= drops the iPXE option ROM:
    we never netboot and OVMF starts faster without it;
  * isa-debug-exit at port 0xf4 (4 bytes): the guest writes a code and QEMU exits with status
    (code << 1) | 1 (see debug_exit_code());
  * serial port 1 on this process's stdio, so pexpect (or the user's terminal) is the console;
  * -display none (there is still a VGA device, so OVMF gives the kernel a GOP framebuffer) and
    -no-reboot (a triple fault ends QEMU with status 0 instead of rebooting forever).

KVM: /dev/kvm exists on these machines but OVMF dies under it with an emulation failure, so
'auto' means TCG unless a probe boot under KVM reaches our loader (probe_kvm, cached in build/).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

QEMU_BINARY = "qemu-system-x86_64"
LOADER_BANNER = "[uefi] Cyrius UEFI loader"  # first line BOOTX64.EFI prints (boot/uefi/loader.c)
DEBUG_EXIT_IOBASE = 0xF4
GDB_PORT = 1234  # what -s listens on

_OVMF_DIRS = ["/usr/share/OVMF", "/usr/share/ovmf", "/usr/share/edk2/ovmf", "/usr/share/qemu"]
_OVMF_PAIRS = [("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"), ("OVMF_CODE.fd", "OVMF_VARS.fd")]


class QemuError(RuntimeError):
    """QEMU or its firmware is missing or misconfigured; the message says how to fix it."""


@dataclass(frozen=True)
class Ovmf:
    code: Path  # mapped read-only
    vars: Path  # template, copied per run


@dataclass
class RunConfig:
    esp_image: Path
    data_disk: Path | None = None
    memory_mib: int = 512
    accel: str = "auto"                      # 'auto' | 'tcg' | 'kvm'
    port_forwards: list[tuple[int, int]] = field(default_factory=lambda: [(12345, 12345)])  # (host, guest)
    gdb: bool = False                        # -s -S: gdb stub on tcp::1234, CPU stopped at reset
    cpus: int = 1
    cpu_model: str | None = None             # default: 'max' under TCG, 'host' under KVM
    serial: str = "stdio"                    # 'stdio' (see qemu_command) or any -serial chardev spec
    ovmf: Ovmf | None = None                 # default: find_ovmf()
    probe_dir: Path = Path("build")          # where probe_kvm caches its verdict ('auto' only)
    extra_args: list[str] = field(default_factory=list)


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (for port_forwards in tests).

    There is a window between this call and QEMU binding the port; tests accept that race.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_ovmf() -> Ovmf:
    """The OVMF CODE/VARS pair: $OVMF_CODE and $OVMF_VARS if set, else the distribution's files."""
    if "OVMF_CODE" in os.environ or "OVMF_VARS" in os.environ:
        code, vars_ = Path(os.environ.get("OVMF_CODE", "")), Path(os.environ.get("OVMF_VARS", ""))
        if not (code.is_file() and vars_.is_file()):
            raise QemuError(f"OVMF_CODE={code} / OVMF_VARS={vars_}: both must name existing files")
        return Ovmf(code, vars_)
    for d in _OVMF_DIRS:
        for code_name, vars_name in _OVMF_PAIRS:
            code, vars_ = Path(d) / code_name, Path(d) / vars_name
            if code.is_file() and vars_.is_file():
                return Ovmf(code, vars_)
    raise QemuError("OVMF firmware not found (looked for OVMF_CODE_4M.fd + OVMF_VARS_4M.fd in "
                    f"{', '.join(_OVMF_DIRS)}); install it with: apt-get install ovmf")


def find_qemu() -> str:
    path = shutil.which(QEMU_BINARY)
    if path is None:
        raise QemuError(f"{QEMU_BINARY} not found; install it with: apt-get install qemu-system-x86")
    return path


def debug_exit_code(returncode: int) -> int | None:
    """The code the guest wrote to isa-debug-exit, or None if QEMU exited some other way.

    QEMU exits with (code << 1) | 1, so any odd status is a debug exit; 0 means QEMU stopped on
    its own (e.g. a triple fault with -no-reboot), negative means it died of a signal.
    """
    if returncode > 0 and returncode & 1:
        return returncode >> 1
    return None


def _kvm_usable() -> bool:
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


def resolve_accel(cfg: RunConfig) -> str:
    """'tcg' or 'kvm' for this config; 'auto' asks probe_kvm (cached)."""
    if cfg.accel not in ("auto", "tcg", "kvm"):
        raise QemuError(f"accel must be 'auto', 'tcg' or 'kvm', not {cfg.accel!r}")
    if cfg.accel == "auto":
        return "kvm" if probe_kvm(cfg.probe_dir) else "tcg"
    return cfg.accel


def qemu_command(cfg: RunConfig, workdir: Path) -> list[str]:
    """The full QEMU argv for cfg.  workdir receives this run's copy of OVMF_VARS.

    Serial 'stdio': the guest's COM1 is this process's stdin/stdout, multiplexed with the QEMU
    monitor like -nographic: Ctrl-A x quits, Ctrl-A c toggles the monitor, and Ctrl-C goes to the
    guest (signal=off) instead of killing QEMU.  Any other value is passed to -serial verbatim
    (e.g. 'file:serial.log', 'unix:/tmp/s,server=on,wait=off').
    """
    esp = Path(cfg.esp_image).resolve()
    if not esp.is_file():
        raise QemuError(f"ESP image {esp} does not exist (run `cyrius build`)")
    ovmf = cfg.ovmf or find_ovmf()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    vars_copy = workdir / "OVMF_VARS.fd"
    shutil.copyfile(ovmf.vars, vars_copy)
    accel = resolve_accel(cfg)
    cpu = cfg.cpu_model or ("host" if accel == "kvm" else "max")

    cmd = [find_qemu(),
           "-machine", "q35", "-accel", accel, "-cpu", cpu,
           "-m", str(cfg.memory_mib), "-smp", str(cfg.cpus),
           "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={ovmf.code}",
           "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
           "-drive", f"if=none,id=esp,format=raw,snapshot=on,file={esp}",
           "-device", "ide-hd,drive=esp,bus=ide.0,bootindex=0"]
    if cfg.data_disk is not None:
        data = Path(cfg.data_disk).resolve()
        if not data.is_file():
            raise QemuError(f"data disk {data} does not exist (run `cyrius bundle`)")
        cmd += ["-drive", f"if=none,id=data,format=raw,file={data}",
                "-device", "virtio-blk-pci,drive=data,disable-legacy=on"]
    hostfwd = "".join(f",hostfwd=tcp:127.0.0.1:{host}-:{guest}" for host, guest in cfg.port_forwards)
    cmd += ["-netdev", f"user,id=net0{hostfwd}",
            "-device", "virtio-net-pci,netdev=net0,disable-legacy=on,romfile=",
            "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_IOBASE:#x},iosize=0x04",
            "-display", "none", "-no-reboot"]
    if cfg.serial == "stdio":
        cmd += ["-chardev", "stdio,id=ser0,mux=on,signal=off",
                "-serial", "chardev:ser0", "-mon", "chardev=ser0,mode=readline"]
    else:
        cmd += ["-serial", cfg.serial, "-monitor", "none"]
    if cfg.gdb:
        cmd += ["-s", "-S"]
    return cmd + list(cfg.extra_args)


# --- KVM probe -------------------------------------------------------------------------------

def _probe_key(ovmf: Ovmf) -> str:
    """What the verdict depends on: QEMU, firmware, host kernel."""
    parts = [os.uname().release]
    for p in (Path(find_qemu()), ovmf.code):
        st = p.stat()
        parts.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def probe_kvm(cache_dir: Path = Path("build"), *, timeout: float = 30.0, force: bool = False) -> bool:
    """True only if /dev/kvm is usable AND OVMF under KVM actually runs our loader.

    The probe boots an ESP holding just BOOTX64.EFI (no kernel) with -accel kvm and waits for the
    loader's banner on the serial port.  The verdict is cached in cache_dir/kvm_probe.json,
    keyed by the QEMU binary, the OVMF image and the host kernel release.
    """
    if not _kvm_usable():
        return False
    ovmf = find_ovmf()
    key = _probe_key(ovmf)
    cache_dir = Path(cache_dir)
    cache = cache_dir / "kvm_probe.json"
    if not force:
        try:
            saved = json.loads(cache.read_text())
            if saved.get("key") == key:
                return bool(saved["kvm"])
        except (OSError, ValueError, KeyError):
            pass

    # Imported here: building images needs gcc/mtools, which plain `cyrius run --accel tcg` does not.
    from .image.esp import make_esp_image
    from .image.uefi_build import build_loader

    probe_dir = cache_dir / "kvm-probe"
    loader = build_loader(probe_dir)
    esp = make_esp_image(probe_dir / "esp.img", loader, None)
    ok = False
    with tempfile.TemporaryDirectory(prefix="cyrius-kvm-probe-") as work:
        log = Path(work) / "serial.log"
        cfg = RunConfig(esp_image=esp, accel="kvm", port_forwards=[], serial=f"file:{log}", ovmf=ovmf)
        proc = subprocess.Popen(qemu_command(cfg, Path(work)), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if log.exists() and LOADER_BANNER in log.read_text(errors="replace"):
                    ok = True
                    break
                time.sleep(0.2)
        finally:
            proc.kill()
            proc.wait()
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "kvm": ok}) + "\n")
    return ok


def spawn(cfg: RunConfig, workdir: Path, *, timeout: float = 60.0, logfile=None):
    """Start QEMU for cfg under pexpect (serial on the pty) and return the pexpect.spawn.

    For tests: expect() on serial output, then check debug_exit_code(child.exitstatus) after
    child.expect(pexpect.EOF).  cfg.serial must be 'stdio'.
    """
    import pexpect

    if cfg.serial != "stdio":
        raise QemuError("spawn() needs cfg.serial == 'stdio'")
    cmd = qemu_command(cfg, workdir)
    return pexpect.spawn(cmd[0], cmd[1:], cwd=str(workdir), timeout=timeout, encoding="utf-8",
                         codec_errors="replace", logfile=logfile, echo=False,
                         preexec_fn=_byte_exact_pty)


def _byte_exact_pty() -> None:
    """Runs in the child, on the new pty, before exec: turn off output newline translation.

    QEMU puts its stdio terminal in raw mode but leaves ONLCR as it found it, so every "\r\n"
    the guest sends would reach pexpect as "\r\r\n".  Serial bytes should arrive unchanged.
    """
    import termios

    attrs = termios.tcgetattr(0)
    attrs[1] &= ~termios.ONLCR
    termios.tcsetattr(0, termios.TCSANOW, attrs)
