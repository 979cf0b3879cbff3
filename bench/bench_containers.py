"""Containers: the lifecycle of a BusyBox `true` container on Cyrius (oci-runtime create, start — which
waits for the container's init when it has a terminal — and delete), next to a plain fork+exec of the
same `busybox true` on Cyrius (the shell's `run`) and on Linux (typed at BusyBox sh in the Linux guest of
bench_boot.py, same QEMU/OVMF/TCG machine). Linux has no container runtime in that guest: its figure is
the floor a container lifecycle is compared with.

Everything is typed at a shell prompt over the serial console and timed on the host, from sending the
command to the next prompt; the median of N commands is kept. The serial round trip of an empty command
(`echo x`, measured the same way on each system) is subtracted from every command, so the figures are
the systems' own work; the raw medians are printed too. The bundle is `cyrius bundle busybox`'s (umoci
and Debian's busybox-static) with process.args = ["true"]; both systems exec busybox from memory
(Cyrius: /bundle/rootfs/bin/busybox after `tar`; Linux: the initramfs).
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import common
from bench_boot import Initramfs, Linux, LinuxShell, Unavailable, boot_cyrius, build_cyrius, bundle_disk
from common import BUILD_DIR


WORK = BUILD_DIR / "containers"
COMMANDS = 20  # timed commands of each kind per boot


def prepare_disk() -> Path:
    """A data disk holding true.tar: the BusyBox bundle whose process is `true` (with a terminal)."""
    return bundle_disk(WORK / "bundle", {"true": {"args": ["true"], "terminal": True}})


def timed(run, command: str) -> tuple[float, str]:
    t0 = time.monotonic()
    out = run(command)
    return time.monotonic() - t0, out


def measure_cyrius(disk: Path, name: str) -> dict[str, list[float]]:
    boot = boot_cyrius(build_cyrius(), name, data_disk=disk)
    vm = boot.console
    times: dict[str, list[float]] = {"echo": [], "exec": [], "lifecycle": []}
    try:
        out = vm.run("tar mnt/true.tar bundle", timeout=600)
        if out:
            raise RuntimeError(f"tar of the bundle failed: {out}")
        for i in range(COMMANDS):
            times["echo"].append(timed(vm.run, "echo x")[0])
            t, out = timed(vm.run, "run /bundle/rootfs/bin/busybox true")
            if out:
                raise RuntimeError(f"run busybox true printed {out!r}")
            times["exec"].append(t)
            total = 0.0
            for command, expected in ((f"oci-runtime create t{i} bundle", f"container t{i} created"),
                                      (f"oci-runtime start t{i}", ""), (f"oci-runtime delete t{i}", "")):
                t, out = timed(vm.run, command)
                if out.strip() != expected:
                    raise RuntimeError(f"`{command}` printed {out!r}, expected {expected!r}")
                total += t
            times["lifecycle"].append(total)
    finally:
        vm.close()
    return times


def measure_linux(linux: Linux, name: str) -> dict[str, list[float]]:
    shell = LinuxShell(linux, Initramfs(init=LinuxShell.INIT), name)
    times: dict[str, list[float]] = {"echo": [], "exec": []}
    try:
        for _ in range(COMMANDS):
            times["echo"].append(timed(shell.run, "echo x")[0])
            times["exec"].append(timed(shell.run, "/bin/busybox true")[0])
    finally:
        shell.close()
    return times


def main() -> None:
    args = common.arguments(__doc__.splitlines()[0])
    disk = prepare_disk()
    try:
        linux = Linux()
    except Unavailable as err:
        linux = None
        common.log(f"Linux peer unavailable: {err}")
    cy: dict[str, list[float]] = {}
    lx: dict[str, list[float]] = {}
    for i in range(args.repeat):
        for k, v in measure_cyrius(disk, f"containers{i}").items():
            cy.setdefault(k, []).extend(v)
        if linux:
            for k, v in measure_linux(linux, f"containers{i}").items():
                lx.setdefault(k, []).extend(v)
        common.log(f"run {i + 1}: Cyrius medians " + ", ".join(f"{k} {statistics.median(v) * 1e3:.1f} ms"
                                                              for k, v in cy.items())
                   + ("; Linux medians " + ", ".join(f"{k} {statistics.median(v) * 1e3:.1f} ms"
                                                     for k, v in lx.items()) if lx else ""))
    med = {k: statistics.median(v) for k, v in cy.items()}
    lmed = {k: statistics.median(v) for k, v in lx.items()}
    cy_life = med["lifecycle"] - 3 * med["echo"]
    cy_exec = med["exec"] - med["echo"]
    lx_exec = lmed["exec"] - lmed["echo"] if lmed else None
    ms = lambda s: f"{s * 1e3:.1f} ms"  # noqa: E731
    why = "n/a (Linux peer unavailable)"
    rows = [
        common.row("containers: create+start+exit+delete of a BusyBox `true` container (3 commands)",
                   f"{ms(cy_life)} (raw {ms(med['lifecycle'])})",
                   f"{ms(lx_exec)} (Linux: fork+exec+wait of busybox true from sh)" if lx_exec else why,
                   common.fmt_ratio(cy_life, lx_exec)),
        common.row("containers: plain fork+exec+wait of busybox true from the shell",
                   f"{ms(cy_exec)} (raw {ms(med['exec'])}; `run`)",
                   f"{ms(lx_exec)} (raw {ms(lmed['exec'])}; BusyBox sh)" if lx_exec else why,
                   common.fmt_ratio(cy_exec, lx_exec)),
        common.row("containers: lifecycle vs plain fork+exec on Cyrius", ms(cy_life),
                   f"{ms(cy_exec)} (Cyrius `run`)", common.fmt_ratio(cy_life, cy_exec)),
        common.row("containers: empty shell command over the serial console (subtracted above)",
                   ms(med["echo"]), f"{ms(lmed['echo'])} (Linux BusyBox sh)" if lmed else why,
                   common.fmt_ratio(med["echo"], lmed.get("echo"))),
    ]
    common.report(rows, write=not args.no_write)


if __name__ == "__main__":
    main()
