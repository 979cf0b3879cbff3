"""System calls and processes, lmbench-style: bench/c/lmbench.c (one static musl program) run on Cyrius
(`run /mnt/lmbench` from a data disk made like `cyrius disk`) and in the Linux guest of bench_boot.py (the
same binary in the initramfs, run by /init), both under the same QEMU/OVMF/TCG machine. The program
times each operation with CLOCK_MONOTONIC inside the guest and prints `op ns_per_op`; an operation that
fails prints `op n/a reason` and is reported as n/a.

`--profile` (diagnosis, writes nothing) runs lmbench once on Cyrius while a thread samples the guest's
instruction pointer through a second QEMU monitor (`info registers`, about 100 times a second), then
prints, per operation, where Cyrius spent its time: kernel functions by symbol (kernel.elf), or "user".
"""
from __future__ import annotations

import bisect
import collections
import hashlib
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import common
from bench_boot import CYRIUS_OUT, Initramfs, Linux, Unavailable, boot_cyrius, build_cyrius
from common import BENCH_DIR, BUILD_DIR

from cyrius.image.disk import make_data_disk

SOURCE = BENCH_DIR / "c" / "lmbench.c"
CFLAGS = ["-static", "-O2", "-Wall", "-Wextra", "-Werror"]
RUN_TIMEOUT = 900
OPS = {  # op -> (title, target ratio or None)
    "null_syscall": ("null syscall (getppid)", 1.0),
    "read_dev_zero_4k": ("read 4 KiB from /dev/zero", 1.2),
    "write_dev_null_4k": ("write 4 KiB to /dev/null", 1.2),
    "open_close": ("open+close", 1.2),
    "stat": ("stat", 1.2),
    "pipe_round_trip": ("pipe round trip (1 byte, two processes)", 1.2),
    "fork_exit_wait": ("fork+exit+wait", None),
    "fork_execve_wait": ("fork+execve+wait (static musl binary in /tmp)", 1.0),
    "mmap_touch_munmap_64k": ("mmap+touch+munmap (64 KiB anonymous, 16 pages)", None),
    "file_write_read_4k": ("file write+read (pwrite+pread 4 KiB, /tmp)", 1.2),
}


def build_lmbench() -> Path:
    """bench/c/lmbench.c with musl-gcc -static, cached under the hash of source and flags."""
    if shutil.which("musl-gcc") is None:
        raise Unavailable("musl-gcc is missing (package musl-tools; scripts/setup.sh installs it)")
    key = hashlib.sha256(SOURCE.read_bytes() + " ".join(CFLAGS).encode()).hexdigest()[:12]
    out = BUILD_DIR / "lmbench" / f"lmbench-{key}"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        common.run(["musl-gcc", *CFLAGS, "-o", str(out), str(SOURCE)])
    return out


def parse(output: str) -> dict[str, float | str]:
    """op -> ns per op, or the failure text."""
    results: dict[str, float | str] = {}
    for line in output.replace("\r", "").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0] in OPS:
            value = parts[1].strip()
            try:
                results[parts[0]] = float(value)
            except ValueError:
                results[parts[0]] = value  # "n/a reason"
    return results


def lmbench_disk(binary: Path, name: str) -> Path:
    disk_src = BUILD_DIR / name / "disk"
    shutil.rmtree(disk_src, ignore_errors=True)
    disk_src.mkdir(parents=True)
    shutil.copyfile(binary, disk_src / "lmbench")
    return make_data_disk(disk_src, BUILD_DIR / name / "data.img", log=lambda line: None)


def run_cyrius(binary: Path, name: str) -> dict[str, float | str]:
    disk = lmbench_disk(binary, name)
    boot = boot_cyrius(build_cyrius(), name, data_disk=disk)
    try:
        out = boot.console.run("run /mnt/lmbench", timeout=RUN_TIMEOUT)
    finally:
        boot.console.close()
    results = parse(out)
    if "lmbench done" not in out:
        common.log(f"Cyrius: lmbench did not finish; its output was:\n{out}")
    return results


def run_linux(linux: Linux, binary: Path, name: str) -> dict[str, float | str]:
    run = linux.boot(Initramfs(init="/bin/lmbench", files={"bin/lmbench": binary}), name, timeout=RUN_TIMEOUT)
    return parse(run.output)


def best(runs: list[dict], op: str) -> float | str:
    values = [r[op] for r in runs if isinstance(r.get(op), float)]
    if values:
        return min(values)
    failures = [r[op] for r in runs if op in r]
    return failures[0] if failures else "n/a (no result)"


def fmt(value: float | str, peer: str = "") -> str:
    if isinstance(value, float):
        return common.fmt_time(value * 1e-9) + peer
    return value if value.startswith("n/a") else f"n/a ({value})"


# ---------------------------------------------------------------- --profile

class Sampler(threading.Thread):
    """Samples RIP through an HMP monitor on a unix socket until stopped: [(host time, rip)]."""

    def __init__(self, path: Path, period: float = 0.01):
        super().__init__(daemon=True)
        self.path, self.period = path, period
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        s = socket.socket(socket.AF_UNIX)
        for _ in range(100):
            try:
                s.connect(str(self.path))
                break
            except OSError:
                time.sleep(0.1)
        s.settimeout(5)
        buf = b""
        while not self.done.is_set():
            s.sendall(b"info registers\n")
            while b"RIP=" not in buf or b"(qemu)" not in buf.split(b"RIP=", 1)[1]:
                chunk = s.recv(65536)
                if not chunk:
                    return
                buf += chunk
            m = re.search(rb"RIP=([0-9a-f]{16})", buf)
            self.samples.append((time.monotonic(), int(m.group(1), 16)))
            buf = buf.split(b"RIP=", 1)[1].split(b"(qemu)", 1)[1]
            time.sleep(self.period)


def symbolizer(elf: Path):
    table = []
    for line in common.run(["nm", "-n", "--defined-only", str(elf)]).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            table.append((int(parts[0], 16), parts[2]))
    addrs = [a for a, _ in table]

    def name(rip: int) -> str:
        if rip < 0x800000000000:
            return "user"
        i = bisect.bisect_right(addrs, rip) - 1
        return table[i][1] if i >= 0 else hex(rip)
    return name


def profile(binary: Path) -> None:
    disk = lmbench_disk(binary, "syscalls-profile")
    sock = BUILD_DIR / "syscalls-profile" / "monitor.sock"
    sock.unlink(missing_ok=True)
    boot = boot_cyrius(build_cyrius(), "syscalls-profile", data_disk=disk,
                       extra_args=["-monitor", f"unix:{sock},server=on,wait=off"])
    child = boot.console.child
    sampler = Sampler(sock)
    sampler.start()
    ends: list[tuple[str, float]] = []
    try:
        start = time.monotonic()
        child.send("run /mnt/lmbench\r")
        while len(ends) < len(OPS):
            child.expect(r"\n(\w+) (?:[0-9.]+|n/a[^\r\n]*)\r", timeout=RUN_TIMEOUT)
            if child.match.group(1) in OPS:
                ends.append((child.match.group(1), time.monotonic()))
    finally:
        sampler.done.set()
        sampler.join(10)
        boot.console.close()
    name = symbolizer(CYRIUS_OUT / "kernel.elf")
    begin = start
    for op, end in ends:
        counts = collections.Counter(name(rip) for t, rip in sampler.samples if begin <= t < end)
        total = sum(counts.values())
        top = ", ".join(f"{f} {n * 100 // max(total, 1)}%" for f, n in counts.most_common(8))
        print(f"{op} ({total} samples): {top}")
        begin = end


def main() -> None:
    args = common.arguments(__doc__.splitlines()[0], lambda p: p.add_argument(
        "--profile", action="store_true", help="sample where Cyrius spends each operation's time; write nothing"))
    binary = build_lmbench()
    if args.profile:
        profile(binary)
        return
    try:
        linux = Linux()
    except Unavailable as err:
        linux = None
        common.log(f"Linux peer unavailable: {err}")
    cy_runs, lx_runs = [], []
    for i in range(args.repeat):
        cy_runs.append(run_cyrius(binary, f"syscalls{i}"))
        common.log(f"run {i + 1}: Cyrius {cy_runs[-1]}")
        if linux:
            lx_runs.append(run_linux(linux, binary, f"syscalls{i}"))
            common.log(f"run {i + 1}: Linux {lx_runs[-1]}")
    rows = []
    for op, (title, target) in OPS.items():
        cy = best(cy_runs, op)
        lx = best(lx_runs, op) if linux else "n/a (Linux peer unavailable)"
        both = isinstance(cy, float) and isinstance(lx, float)
        ratio = cy / lx if both else None
        rows.append(common.row(f"syscalls: {title}", fmt(cy), fmt(lx, " (Linux)"),
                               common.fmt_ratio(cy, lx) if both else "n/a",
                               common.target_verdict(ratio, target) if target else ""))
    common.report(rows, write=not args.no_write)


if __name__ == "__main__":
    main()
