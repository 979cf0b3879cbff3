"""The seed's storage steps: the FAT32 data disk at /mnt, a bundle tarball unpacked with `tar`."""
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from qemu_console import Console
from tooling import CYRIUS, needs

pytestmark = [pytest.mark.integration,
              needs("mkfs.fat")]

BUSYBOX = Path("/bin/busybox")


def bundle_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as t:
        config = b'{"ociVersion": "1.0.2", "process": {"args": ["sh"]}, "root": {"path": "rootfs"}}\n'
        info = tarfile.TarInfo("config.json")
        info.size = len(config)
        t.addfile(info, io.BytesIO(config))
        for d in ("rootfs", "rootfs/bin", "rootfs/etc"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            t.addfile(info)
        if BUSYBOX.exists():
            t.add(BUSYBOX, "rootfs/bin/busybox")
        info = tarfile.TarInfo("rootfs/bin/sh")
        info.type, info.linkname = tarfile.SYMTYPE, "busybox"
        t.addfile(info)
    return out.getvalue()


@pytest.fixture(scope="module")
def disk_vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("disk")
    src = work / "src"
    src.mkdir()
    (src / "busybox.tar").write_bytes(bundle_tar())
    (src / "notes.txt").write_text("from the host\n")
    disk = work / "data.img"
    subprocess.run([CYRIUS, "disk", str(src), "-o", str(disk)], check=True, capture_output=True)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    console.disk = disk
    yield console
    console.close()


def test_data_disk_is_mounted_at_mnt(disk_vm):
    assert "[blk] discovered 1 virtio block device(s)" in disk_vm.boot_output
    assert "[vfs] mounted FAT32 at /mnt from virtio-blk0 (" in disk_vm.boot_output
    assert disk_vm.run("ls") == "d 0 dev\nd 0 etc\nd 0 mnt\nd 0 proc\nd 0 sys\nd 0 tmp"
    assert disk_vm.run("cat mnt/notes.txt") == "from the host"


def test_tar_unpacks_the_bundle(disk_vm):
    assert disk_vm.run("tar mnt/busybox.tar bundle", timeout=120) == ""
    listing = disk_vm.run("ls bundle")
    assert listing.splitlines()[1] == "d 0 rootfs" and listing.splitlines()[0].endswith(" config.json")
    size = BUSYBOX.stat().st_size if BUSYBOX.exists() else 0
    assert disk_vm.run("ls -l bundle/rootfs/bin").splitlines() == [
        f"-rwxr-xr-x   1    0    0 {size:>9} busybox", "lrwxrwxrwx   1    0    0         7 sh -> busybox"]


def test_writes_reach_the_disk_after_poweroff(disk_vm, tmp_path):
    assert disk_vm.run("write /mnt/from-cyrius.txt written inside the VM") == ""
    disk_vm.child.send("poweroff\r")
    assert disk_vm.wait_exit(timeout=60) == 0
    check = subprocess.run(["fsck.fat", "-n", str(disk_vm.disk)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    out = tmp_path / "back.txt"
    subprocess.run(["mcopy", "-i", str(disk_vm.disk), "::/from-cyrius.txt", str(out)], check=True,
                   env={"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"})
    assert out.read_text() == "written inside the VM\n"
