"""Network: TCP echo throughput and connection rate from the host, Cyrius' in-kernel echo server (port
12345) vs the Linux guest of bench_boot.py running BusyBox `nc -ll -p 12345 -e /bin/cat` (virtio-net
modules from the same Debian kernel package, static address 10.0.2.15 on QEMU's user network). Both run
in the same QEMU/OVMF/TCG machine with a host port forwarded to guest port 12345.

* throughput: one connection; the host sends BYTES while a thread reads the echo back; MiB/s of echoed data;
* connection rate: CONNECTIONS sequential connect + 1 byte + its echo + close; connections per second
  (for Linux this includes nc forking and exec'ing cat per connection: that is how BusyBox serves).
If the echo server does not answer within ANSWER_TIMEOUT the figure is n/a with that reason.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import common
from bench_boot import Initramfs, Linux, LinuxShell, Unavailable, boot_cyrius, build_cyrius, linux_modules

from cyrius.qemu import free_tcp_port

BYTES = 1 << 20
CHUNK = 16 * 1024
CONNECTIONS = 30
ANSWER_TIMEOUT = 20.0
GUEST_PORT = 12345
MODULES = ["virtio_pci", "virtio_net"]  # loaded with what they depend on (the .ko's modinfo depends=)


def echo_once(port: int, timeout: float) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"x")
        if s.recv(1) != b"x":
            raise ConnectionError("the echo server answered something else")


def wait_for_echo(port: int) -> str | None:
    """None once the server echoes a byte, else why not (after ANSWER_TIMEOUT)."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    why = "no answer"
    while time.monotonic() < deadline:
        try:
            echo_once(port, 5.0)
            return None
        except OSError as err:
            why = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            time.sleep(0.5)
    return f"no echo from guest port {GUEST_PORT} within {ANSWER_TIMEOUT:.0f} s ({why})"


def throughput(port: int) -> float:
    """MiB/s of data echoed back over one connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        got = 0

        def send():
            block = bytes(CHUNK)
            for _ in range(BYTES // CHUNK):
                s.sendall(block)

        sender = threading.Thread(target=send)
        t0 = time.monotonic()
        sender.start()
        while got < BYTES:
            data = s.recv(1 << 16)
            if not data:
                raise ConnectionError(f"connection closed after {got} of {BYTES} echoed bytes")
            got += len(data)
        elapsed = time.monotonic() - t0
        sender.join()
    return BYTES / elapsed / (1 << 20)


def connection_rate(port: int) -> float:
    t0 = time.monotonic()
    for _ in range(CONNECTIONS):
        echo_once(port, 30.0)
    return CONNECTIONS / (time.monotonic() - t0)


def measure(port: int) -> tuple[float, float] | str:
    why = wait_for_echo(port)
    if why:
        return why
    try:
        return throughput(port), connection_rate(port)
    except OSError as err:
        return f"{type(err).__name__}: {err}"


def measure_cyrius(name: str) -> tuple[float, float] | str:
    boot = boot_cyrius(build_cyrius(), name)
    try:
        return measure(boot.console.echo_port)
    finally:
        boot.console.close()


def load_order(mods: Path, wanted: list[str]) -> list[Path]:
    """The .ko files for `wanted` and their dependencies, dependencies first."""
    order: list[Path] = []

    def visit(name: str) -> None:
        if any(p.stem == name for p in order):
            return
        found = sorted(mods.rglob(f"{name}.ko"))
        if not found:
            raise FileNotFoundError(f"{name}.ko not found under {mods}")
        m = re.search(rb"depends=([\w,-]*)", found[0].read_bytes())
        for dep in (m.group(1).decode().split(",") if m and m.group(1) else []):
            visit(dep)
        order.append(found[0])

    for name in wanted:
        visit(name)
    return order


def measure_linux(linux: Linux, name: str) -> tuple[float, float] | str:
    try:
        kos = load_order(linux_modules(linux.vmlinuz), MODULES)
    except FileNotFoundError as err:
        return str(err)
    files = {f"lib/modules/{ko.name}": ko for ko in kos}
    init = "\n".join([
        *(f"insmod /lib/modules/{ko.name}" for ko in kos),
        "ifconfig lo 127.0.0.1 up",
        "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up",
        "route add default gw 10.0.2.2",
        f"nc -ll -p {GUEST_PORT} -e /bin/cat &",
        LinuxShell.INIT,
    ])
    port = free_tcp_port()
    shell = LinuxShell(linux, Initramfs(init=init, files=files), name, port_forwards=[(port, GUEST_PORT)])
    try:
        return measure(port)
    finally:
        shell.close()


def main() -> None:
    args = common.arguments(__doc__.splitlines()[0])
    try:
        linux = Linux()
    except Unavailable as err:
        linux = None
        common.log(f"Linux peer unavailable: {err}")
    cy_runs, lx_runs = [], []
    for i in range(args.repeat):
        cy_runs.append(measure_cyrius(f"network{i}"))
        if linux:
            lx_runs.append(measure_linux(linux, f"network{i}"))
        common.log(f"run {i + 1}: Cyrius {cy_runs[-1]}" + (f"; Linux {lx_runs[-1]}" if lx_runs else ""))

    def best(runs, k):
        values = [r[k] for r in runs if isinstance(r, tuple)]
        if values:
            return max(values), None
        return None, next((r for r in runs if isinstance(r, str)), "Linux peer unavailable")

    rows = []
    for k, title, unit in ((0, f"echo throughput (one connection, {BYTES >> 20} MiB)", "MiB/s"),
                           (1, f"connection rate ({CONNECTIONS} sequential connect+echo+close)", "conn/s")):
        cy, cy_why = best(cy_runs, k)
        lx, lx_why = best(lx_runs, k)
        # higher is better here: the ratio stays Cyrius / peer, so above 1 means Cyrius is faster
        rows.append(common.row(f"network: {title}", f"{cy:.2f} {unit}" if cy else f"n/a ({cy_why})",
                               f"{lx:.2f} {unit} (Linux, BusyBox nc)" if lx else f"n/a ({lx_why})",
                               common.fmt_ratio(cy, lx) + (" (higher is better)" if cy and lx else "")))
    common.report(rows, write=not args.no_write)


if __name__ == "__main__":
    main()
