"""Containers: the lifecycle of a BusyBox `true` container with the isolation `crun spec` asks for, Cyrius
(oci-runtime run, delete) vs Debian's `crun run` in the Linux guest of bench_boot.py (same
QEMU/OVMF/TCG machine); beside it, a plain fork+exec of the same `busybox true` on Cyrius (the shell's
`run`) and on Linux (BusyBox sh), the floor a lifecycle is compared with.

The bundle is `cyrius bundle busybox`'s rootfs (umoci and Debian's busybox-static) with the config.json
`crun spec` writes, process.args = ["true"] and process.terminal = false, nothing else changed: on both
systems the pid, network, ipc, uts and mount namespaces, the read-only root, the mounts (proc, tmpfs /dev,
devpts, /dev/shm, mqueue, read-only sysfs and cgroup), masked and read-only paths, capabilities, rlimits
and noNewPrivileges are in force. Cyrius untars it onto its root; the Linux guest has it in its initramfs
at /bundle with crun and the libraries ldd names for it, cgroup2 at /sys/fs/cgroup and crun's state in
/run/crun, and runs `crun run --no-pivot` (an initramfs cannot pivot_root), which deletes the container
when its init exits. Cyrius has one network stack for all containers (a network namespace is accepted,
not a stack of its own: issue 18), so crun is timed a second way, with the network namespace taken out
of its config (/nonet), to show what that one part costs Linux.

Everything is typed at a shell prompt over the serial console and timed on the host, from sending the
command to the next prompt; the median of N commands is kept. The serial round trip of an empty command
(`echo x`, measured the same way on each system) is subtracted once per command typed, so the figures
are the systems' own work; the raw medians are printed too. Cyrius' compared lifecycle is `oci-runtime
run` (which waits for the init when process.terminal is true, as `crun run` does) and `delete`: the one
config difference, a terminal, only makes Cyrius hand the console over. The exact config (terminal false)
is timed too, as run, wait and delete: detached, run returns at once and the init may finish while the
host is still typing `wait`, so that figure can hide the init's own run.
"""
from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path

import common
from bench_boot import Initramfs, Linux, LinuxShell, Unavailable, boot_cyrius, build_cyrius, bundle_disk
from busybox_bundles import host_programs
from common import BUILD_DIR


WORK = BUILD_DIR / "containers"
ROOTFS = WORK / "bundle" / "bundle" / "bundle" / "rootfs"  # where bundle_disk(WORK / "bundle") leaves it
COMMANDS = 20  # timed commands of each kind per boot
PROCESS = {"args": ["true"], "terminal": False}
# Detached (terminal false), `oci-runtime run` returns at once and the init may run while `wait` is being
# typed; with a terminal, run waits for the init as `crun run` does: that is the compared figure.
ATTACHED = {"args": ["true"], "terminal": True}
TARGET = 0.1  # issue 17: a lifecycle <= 0.1x crun's, with every property of the config applied
CRUN_SANE = (0.1, 1.0)  # seconds: crun run is ~0.3 s under TCG here; far outside this, the peer is broken
CRUN = "/usr/bin/crun run --no-pivot --bundle"  # then the bundle and the id
# A one-off run before timing shows the isolation the peer applies (same rootfs, its own config).
CHECK = ("echo pid $$ $(hostname); grep -E ' / | /sys ' /proc/mounts; ls /proc/kcore; touch /x; "
         "grep Cap /proc/self/status")


def crun_spec() -> dict:
    """The config.json Debian's `crun spec` writes."""
    if shutil.which("crun") is None:
        raise Unavailable("crun is missing (scripts/setup.sh installs it)")
    where = WORK / "crun-spec"
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    common.run(["crun", "spec"], cwd=where)
    return json.loads((where / "config.json").read_text())


def crun_version() -> str:
    return common.run(["crun", "--version"]).stdout.splitlines()[0].replace(" version", "")


def prepare_disk(spec: dict) -> Path:
    """A data disk holding true.tar and attached.tar: the BusyBox rootfs with crun spec's config, process
    `true`, without and with a terminal."""
    return bundle_disk(WORK / "bundle", {"true": PROCESS, "attached": ATTACHED}, config=spec)


def with_process(spec: dict, process: dict) -> dict:
    config = json.loads(json.dumps(spec))
    config["process"].update(process)
    return config


def linux_initramfs(spec: dict) -> Initramfs:
    """The Linux guest's root: crun (with its loader and libraries), the same bundle at /bundle (rootfs
    and config.json, as the Cyrius side's tarball holds them), /check's config for the one-off run and
    /nonet's (the same without the network namespace), both on /bundle/rootfs."""
    check = with_process(spec, {"args": ["sh", "-c", CHECK], "terminal": False})
    check["root"]["path"] = "/bundle/rootfs"
    nonet = with_process(spec, PROCESS)
    nonet["root"]["path"] = "/bundle/rootfs"
    nonet["linux"]["namespaces"] = [ns for ns in spec["linux"]["namespaces"] if ns["type"] != "network"]
    init = "mount -t cgroup2 cgroup2 /sys/fs/cgroup; mkdir -p /run; " + LinuxShell.INIT
    files = {**host_programs(["/usr/bin/crun"]), "check/config.json": json.dumps(check).encode(),
             "nonet/config.json": json.dumps(nonet).encode(),
             "bundle/config.json": json.dumps(with_process(spec, PROCESS)).encode()}
    return Initramfs(init=init, files=files, trees={"bundle/rootfs": ROOTFS})


def timed(run, command: str) -> tuple[float, str]:
    t0 = time.monotonic()
    out = run(command)
    return time.monotonic() - t0, out


def measure_cyrius(disk: Path, name: str) -> dict[str, list[float]]:
    boot = boot_cyrius(build_cyrius(), name, data_disk=disk)
    vm = boot.console
    times: dict[str, list[float]] = {"echo": [], "exec": [], "lifecycle": [], "detached": []}
    try:
        for tar, into in (("true", "bundle"), ("attached", "attached")):
            out = vm.run(f"tar mnt/{tar}.tar {into}", timeout=600)
            if out:
                raise RuntimeError(f"tar of {tar}.tar failed: {out}")
        for i in range(COMMANDS):
            times["echo"].append(timed(vm.run, "echo x")[0])
            t, out = timed(vm.run, "run /bundle/rootfs/bin/busybox true")
            if out:
                raise RuntimeError(f"run busybox true printed {out!r}")
            times["exec"].append(t)
            for kind, commands in (
                    ("lifecycle", ((f"oci-runtime run a{i} attached", ""), (f"oci-runtime delete a{i}", ""))),
                    ("detached", ((f"oci-runtime run t{i} bundle", ""), (f"oci-runtime wait t{i}", "0"),
                                  (f"oci-runtime delete t{i}", "")))):
                total = 0.0
                for command, expected in commands:
                    t, out = timed(vm.run, command)
                    if out.strip() != expected:
                        raise RuntimeError(f"`{command}` printed {out!r}, expected {expected!r}")
                    total += t
                times[kind].append(total)
    finally:
        vm.close()
    return times


def measure_linux(linux: Linux, spec: dict, name: str) -> dict[str, list[float]]:
    shell = LinuxShell(linux, linux_initramfs(spec), name)
    times: dict[str, list[float]] = {"echo": [], "exec": [], "lifecycle": [], "nonet": []}
    try:
        said = shell.run(f"{CRUN} /check check 2>&1; echo exit $?")
        common.log("crun's container, once (/check: the same rootfs and config, process.args a shell):\n    "
                   + said.replace("\n", "\n    "))
        for i in range(COMMANDS):
            times["echo"].append(timed(shell.run, "echo x")[0])
            times["exec"].append(timed(shell.run, "/bin/busybox true")[0])
            for kind, command in (("lifecycle", f"{CRUN} /bundle t{i}"), ("nonet", f"{CRUN} /nonet n{i}")):
                t, out = timed(shell.run, command)
                if out:
                    raise RuntimeError(f"`{command}` printed {out!r}")
                times[kind].append(t)
        left = shell.run("/usr/bin/crun list -q")
        if left:
            raise RuntimeError(f"crun left containers behind: {left!r}")
    finally:
        shell.close()
    return times


def main() -> None:
    args = common.arguments(__doc__.splitlines()[0])
    spec = crun_spec()
    disk = prepare_disk(spec)
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
            for k, v in measure_linux(linux, spec, f"containers{i}").items():
                lx.setdefault(k, []).extend(v)
        common.log(f"run {i + 1}: Cyrius medians " + ", ".join(f"{k} {statistics.median(v) * 1e3:.1f} ms"
                                                              for k, v in cy.items())
                   + ("; Linux medians " + ", ".join(f"{k} {statistics.median(v) * 1e3:.1f} ms"
                                                     for k, v in lx.items()) if lx else ""))
    med = {k: statistics.median(v) for k, v in cy.items()}
    lmed = {k: statistics.median(v) for k, v in lx.items()}
    cy_life = med["lifecycle"] - 2 * med["echo"]
    cy_detached = med["detached"] - 3 * med["echo"]
    cy_exec = med["exec"] - med["echo"]
    lx_exec = lmed["exec"] - lmed["echo"] if lmed else None
    lx_life = lmed["lifecycle"] - lmed["echo"] if lmed else None
    lx_nonet = lmed["nonet"] - lmed["echo"] if lmed else None
    ms = lambda s: f"{s * 1e3:.1f} ms"  # noqa: E731
    why = "n/a (Linux peer unavailable)"
    verdict = common.target_verdict(cy_life / lx_life if lx_life else None, TARGET)
    if lx_life is not None and not CRUN_SANE[0] <= lx_life <= CRUN_SANE[1]:
        common.log(f"WARNING: crun run took {ms(lx_life)}, outside {CRUN_SANE[0]}-{CRUN_SANE[1]} s: the peer "
                   f"may be broken (serial log in build/bench/linux-runs/)")
        verdict = f"≤ {TARGET:.2f}× — suspect peer (crun outside {CRUN_SANE[0]}-{CRUN_SANE[1]} s)"
    rows = [
        common.row("containers: lifecycle of a BusyBox `true` container, `crun spec`'s config (create, start, "
                   "exit, delete)",
                   f"{ms(cy_life)} (raw {ms(med['lifecycle'])}; oci-runtime run, delete; terminal true)",
                   f"{ms(lx_life)} (raw {ms(lmed['lifecycle'])}; Debian {crun_version()} `crun run --no-pivot`)"
                   if lx_life else why,
                   common.fmt_ratio(cy_life, lx_life), verdict),
        common.row("containers: the same, detached (terminal false, as crun's): oci-runtime run, wait, delete",
                   f"{ms(cy_detached)} (raw {ms(med['detached'])}; the init may run while `wait` is typed)",
                   f"{ms(lx_life)} (crun run, as above)" if lx_life else why, common.fmt_ratio(cy_detached, lx_life)),
        common.row("containers: the lifecycle vs crun without a network namespace (Cyrius: one network stack)",
                   ms(cy_life), f"{ms(lx_nonet)} (raw {ms(lmed['nonet'])}; crun run, config less its network "
                   "namespace)" if lx_nonet else why, common.fmt_ratio(cy_life, lx_nonet)),
        common.row("containers: plain fork+exec+wait of busybox true from the shell",
                   f"{ms(cy_exec)} (raw {ms(med['exec'])}; `run`)",
                   f"{ms(lx_exec)} (raw {ms(lmed['exec'])}; BusyBox sh)" if lx_exec else why,
                   common.fmt_ratio(cy_exec, lx_exec)),
        common.row("containers: lifecycle vs plain fork+exec, each system", f"{common.fmt_ratio(cy_life, cy_exec)} "
                   f"({ms(cy_life)} / {ms(cy_exec)})",
                   f"{common.fmt_ratio(lx_life, lx_exec)} ({ms(lx_life)} / {ms(lx_exec)}; crun run / sh)"
                   if lx_life else why, ""),
        common.row("containers: empty shell command over the serial console (subtracted above)",
                   ms(med["echo"]), f"{ms(lmed['echo'])} (Linux BusyBox sh)" if lmed else why,
                   common.fmt_ratio(med["echo"], lmed.get("echo"))),
    ]
    common.report(rows, write=not args.no_write)


if __name__ == "__main__":
    main()
