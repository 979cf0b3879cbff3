"""`cyrius bundle busybox`: a real umoci bundle from Debian's busybox-static, its tarball and the data disk;
and `cyrius run` booting with that disk by default."""
import contextlib
import io
import json
import os
import re
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from cyrius import bundle as bundle_mod
from cyrius import qemu
from cyrius.cli import main
from cyrius.image.toolchain import ToolError
from tooling import needs

BUSYBOX = Path("/bin/busybox")
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}

pytestmark = needs("umoci", "/bin/busybox", "mkfs.fat", "mcopy")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One `cyrius bundle busybox --out BUILD/bundles/busybox` for the module: (build dir, out dir, output)."""
    build = tmp_path_factory.mktemp("build")
    out = build / "bundles" / "busybox"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["bundle", "busybox", "--out", str(out)]) == 0
    return build, out, printed.getvalue()


def applets():
    return [a for a in subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
            if a != "busybox"]


def config(out):
    return json.loads((out / "bundle" / "config.json").read_text())


def test_cli_prints_stages_and_paths(made):
    _, out, printed = made
    for name in ("busybox", "image", "bundle", "tar", "disk"):
        assert any(line.startswith(f"[bundle] {name} ") and line.endswith(" ms)") for line in printed.splitlines())
    assert f"data disk {out / 'data.img'}" in printed and str(out / "disk" / "busybox.tar") in printed


def test_config_json_is_umocis_adapted_for_cyrius(made):
    _, out, _ = made
    cfg = config(out)
    assert cfg["ociVersion"].startswith("1.")
    assert cfg["process"]["args"] == ["sh"] and cfg["process"]["terminal"] is True
    assert cfg["process"]["cwd"] == "/" and "PATH=/bin" in cfg["process"]["env"]
    assert cfg["process"]["user"] == {"uid": 0, "gid": 0}
    assert cfg["root"]["path"] == "rootfs" and cfg["hostname"] == "cyrius"
    assert "uidMappings" not in cfg["linux"] and "gidMappings" not in cfg["linux"]
    assert {ns["type"] for ns in cfg["linux"]["namespaces"]} == {"pid", "ipc", "uts", "mount"}
    notes = cfg["annotations"]
    assert notes["org.opencontainers.image.title"] == "busybox"
    banner = subprocess.run([BUSYBOX, "--help"], capture_output=True, text=True, check=True).stdout
    assert notes["org.opencontainers.image.version"] == re.match(r"BusyBox v(\S+) ", banner)[1]
    assert notes["org.opencontainers.image.os"] == "linux" and notes["org.opencontainers.image.architecture"] == "amd64"
    assert notes["org.opencontainers.image.created"]  # umoci's, kept


def test_image_layout_is_umocis(made):
    _, out, _ = made
    index = json.loads((out / "image" / "index.json").read_text())
    assert [m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]] == ["busybox"]
    assert json.loads((out / "image" / "oci-layout").read_text())["imageLayoutVersion"] == "1.0.0"


def test_rootfs_has_busybox_links_and_root(made):
    _, out, _ = made
    rootfs = out / "bundle" / "rootfs"
    assert (rootfs / "bin" / "busybox").read_bytes() == BUSYBOX.read_bytes()
    assert stat.S_IMODE((rootfs / "bin" / "busybox").stat().st_mode) == 0o755
    names = applets()
    assert {"sh", "ls", "uname", "whoami", "echo", "cat"} <= set(names)
    for name in names:
        link = rootfs / "bin" / name
        assert link.is_symlink() and os.readlink(link) == "busybox", name
        assert link.resolve() == (rootfs / "bin" / "busybox").resolve()
    assert sorted(p.name for p in (rootfs / "bin").iterdir()) == sorted([*names, "busybox"])
    assert (rootfs / "etc" / "passwd").read_text() == "root:x:0:0:root:/root:/bin/sh\n"
    assert (rootfs / "etc" / "group").read_text() == "root:x:0:\n"
    modes = {d: stat.S_IMODE((rootfs / d).stat().st_mode) for d in ("root", "tmp", "proc", "dev", "sys")}
    assert modes == {"root": 0o700, "tmp": 0o1777, "proc": 0o555, "dev": 0o755, "sys": 0o555}


def test_tarball_is_pax_with_the_bundle_at_top_level(made):
    _, out, _ = made
    data = (out / "disk" / "busybox.tar").read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names[:3] == ["config.json", "rootfs", "rootfs/bin"]
        assert {n.split("/")[0] for n in names} == {"config.json", "rootfs"}
        assert names == sorted(names, key=lambda n: n.split("/"))
        assert all((m.uid, m.gid, m.uname, m.gname) == (0, 0, "", "") for m in members)
        assert tar.extractfile("config.json").read() == (out / "bundle" / "config.json").read_bytes()
        assert tar.extractfile("rootfs/bin/busybox").read() == BUSYBOX.read_bytes()
        sh = tar.getmember("rootfs/bin/sh")
        assert sh.issym() and sh.linkname == "busybox"
        assert tar.getmember("rootfs/tmp").isdir() and tar.getmember("rootfs/tmp").mode == 0o1777
        assert tar.getmember("rootfs/etc/passwd").isfile()
        rootfs = out / "bundle" / "rootfs"
        expected = {"config.json", "rootfs"} | {f"rootfs/{p.relative_to(rootfs).as_posix()}" for p in rootfs.rglob("*")}
        assert set(names) == expected  # umoci's umoci.json and .mtree stay out
        offsets = [m.offset for m in members]
    # every header is POSIX ustar ("ustar\0" "00"), not GNU ("ustar  \0"); pax writes an extension header
    # only for what ustar cannot hold, and nothing here needs one
    for offset in offsets:
        assert data[offset + 257:offset + 265] == b"ustar\x0000"


def test_data_disk_holds_the_tarball(made, tmp_path):
    _, out, _ = made
    disk = out / "data.img"
    listing = subprocess.run(["mdir", "-i", disk, "-b", "::"], capture_output=True, text=True, check=True,
                             env=MTOOLS_ENV).stdout.split()
    assert listing == ["::/busybox.tar"]
    back = tmp_path / "busybox.tar"
    subprocess.run(["mcopy", "-i", disk, "::/busybox.tar", back], check=True, env=MTOOLS_ENV)
    assert back.read_bytes() == (out / "disk" / "busybox.tar").read_bytes()
    check = subprocess.run(["fsck.fat", "-n", disk], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.fixture
def run_config(monkeypatch):
    """What `cyrius run` would boot: qemu_command is stubbed to record its RunConfig and stop there."""
    seen = []

    def record(cfg, work):
        seen.append(cfg)
        raise qemu.QemuError("stopped by the test")
    monkeypatch.setattr(qemu, "qemu_command", record)
    return seen


def test_run_boots_the_existing_default_disk(made, run_config, capsys):
    build, out, _ = made
    before = (out / "data.img").stat().st_mtime_ns
    assert main(["run", "--no-build", "--out", str(build)]) == 1  # 1: the stub stopped it
    assert run_config[0].data_disk == out / "data.img"
    assert (out / "data.img").stat().st_mtime_ns == before and "making it" not in capsys.readouterr().out


def test_run_makes_the_default_disk_when_missing(tmp_path, run_config, capsys):
    assert main(["run", "--no-build", "--out", str(tmp_path)]) == 1
    disk = tmp_path / "bundles" / "busybox" / "data.img"
    assert run_config[0].data_disk == disk and disk.exists()
    printed = capsys.readouterr().out
    assert f"[run] no data disk at {disk}: making it (cyrius bundle busybox)" in printed
    assert "[bundle] done in" in printed


def test_run_disk_option_still_wins(tmp_path, run_config):
    mine = tmp_path / "mine.img"
    mine.write_bytes(b"")
    assert main(["run", "--no-build", "--out", str(tmp_path), "--disk", str(mine)]) == 1
    assert run_config[0].data_disk == mine
    assert not (tmp_path / "bundles").exists()


def test_dynamic_or_missing_busybox_is_refused(tmp_path):
    with pytest.raises(ToolError, match=r"is not a static x86-64 executable; install Debian's busybox-static"):
        bundle_mod.make_busybox_bundle(tmp_path, busybox=Path("/bin/ls"))  # dynamic
    with pytest.raises(ToolError, match=r"not found; install Debian's busybox-static: apt-get install busybox-static"):
        bundle_mod.make_busybox_bundle(tmp_path, busybox=tmp_path / "nope")
    text = tmp_path / "text"
    text.write_text("#!/bin/sh\n")
    with pytest.raises(ToolError, match=r"is not an ELF executable"):
        bundle_mod.make_busybox_bundle(tmp_path, busybox=text)
    assert not (tmp_path / "image").exists()


def test_missing_umoci_is_one_line_saying_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["bundle", "busybox", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err == "cyrius bundle: 'umoci' not found on PATH; install it with: apt-get install umoci\n"
