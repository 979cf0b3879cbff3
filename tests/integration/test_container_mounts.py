"""What a container's config.json mounts is applied, in the container's own world: a read-only root
(EROFS) with writable tmpfs mounts (tmpfs `size=` is a limit: ENOSPC past it), a directory of the
FAT32 data disk bind-mounted read-write (shared with the host, still there after the container)
and another read-only, a noexec tmpfs, maskedPaths and readonlyPaths; and the unmodified
config.json that Debian's `runc spec` and `crun spec` write creates and starts, with every mount
it asks for (proc, a tmpfs /dev, devpts, /dev/shm, mqueue, sysfs, cgroup) in /proc/mounts."""
import json
import subprocess

import pytest

from cyrius.bundle import make_busybox_bundle, write_tarball
from cyrius.image.disk import make_data_disk
from container_kit import in_container, leave_container, start_attached
from qemu_console import Console
from tooling import needs

pytestmark = [pytest.mark.integration, needs("umoci", "runc", "crun")]

MOUNTS = [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "noexec", "size=64k"]},
    {"destination": "/data", "type": "bind", "source": "/mnt/vol", "options": ["rbind", "rw"]},
    {"destination": "/ro", "type": "bind", "source": "/mnt/rovol", "options": ["bind", "ro", "nodev"]},
]


def bundle_with(work, name: str, change) -> None:
    made = make_busybox_bundle(work / name, log=lambda line: None)
    config = json.loads((made.bundle / "config.json").read_text())
    config = change(config)
    (made.bundle / "config.json").write_text(json.dumps(config))
    write_tarball(made.bundle, work / "disk" / f"{name}.tar")


def generated_spec(tool: str, work):
    """The config.json `runc spec` / `crun spec` writes, untouched."""
    where = work / f"{tool}-spec"
    where.mkdir()
    subprocess.run([tool, "spec"], cwd=where, check=True)
    return lambda config: json.loads((where / "config.json").read_text())


def ours(config):
    config["root"]["readonly"] = True
    config["mounts"] = MOUNTS
    config["linux"]["maskedPaths"] = ["/secret", "/hidden"]
    return config


def with_mount(mount):
    def change(config):
        config["mounts"] = config["mounts"] + [mount]
        return config
    return change


REFUSED = {  # bundle: (the mount added to umoci's config, the error create reports)
    "nfs": ({"destination": "/n", "type": "nfs", "source": "server:/x"},
            "config.json: mounts[7].type: nfs: not a filesystem Cyrius has"),
    "shared": ({"destination": "/s", "type": "tmpfs", "source": "tmpfs", "options": ["rshared"]},
               "config.json: mounts[7].options: rshared: not an option Cyrius applies to this type"),
    "nosrc": ({"destination": "/v", "type": "bind", "source": "/no/such/dir", "options": ["bind"]},
              "config.json: mounts[7].source: /no/such/dir: No such file or directory"),
}


def writable_root_readonly_etc(config):
    config["linux"]["readonlyPaths"] = ["/etc"]
    for kind in ("bounding", "effective", "permitted"):  # umoci's set lacks it; chroot needs it
        config["process"]["capabilities"][kind].append("CAP_SYS_CHROOT")
    return config


@pytest.fixture(scope="module")
def vm(image, tmp_path_factory):
    work = tmp_path_factory.mktemp("mounts")
    (work / "disk").mkdir()
    for name, change in (("ours", ours), ("etc", writable_root_readonly_etc),
                         ("runc", generated_spec("runc", work)), ("crun", generated_spec("crun", work)),
                         *((name, with_mount(mount)) for name, (mount, _) in REFUSED.items())):
        bundle_with(work, name, change)
    (work / "disk" / "vol").mkdir()
    (work / "disk" / "vol" / "fromhost").write_text("written by the host\n")
    (work / "disk" / "rovol").mkdir()
    (work / "disk" / "rovol" / "kept").write_text("read me\n")
    disk = make_data_disk(work / "disk", work / "data.img", log=lambda line: None)
    console = Console(image, work, data_disk=disk)
    console.wait_for_prompt()
    for name in ("ours", "etc", "runc", "crun", *REFUSED):
        assert console.run(f"tar mnt/{name}.tar {name}", timeout=300) == ""
    assert console.run("write ours/rootfs/secret top secret") == ""
    assert console.run("mkdir ours/rootfs/hidden") == ""
    assert console.run("write ours/rootfs/hidden/inside also secret") == ""
    yield console
    console.close()


@pytest.fixture(scope="module")
def inside(vm):
    assert vm.run("oci-runtime create m ours") == "container m created"
    start_attached(vm, "m")
    said = {what: in_container(vm, command) for what, command in {
        "root": "touch /new 2>&1; echo $?",
        "tmp": "echo hi > /tmp/t && cat /tmp/t",
        "full": "dd if=/dev/zero of=/tmp/big bs=1k count=200 2>&1 | head -1",
        "size": "wc -c < /tmp/big",
        "noexec": "cp /bin/busybox /tmp/bb; /tmp/bb true 2>&1; echo $?",
        "shared": "cat /data/fromhost && echo from it > /data/fromc && echo ok",
        "ro": "cat /ro/kept; touch /ro/x 2>&1; echo $?",
        "masked": "cat /secret | wc -c; ls /hidden | wc -l",
        "shm": "echo s > /dev/shm/f && cat /dev/shm/f",
        "mounts": "cat /proc/mounts",
    }.items()}
    leave_container(vm)
    vm.run("oci-runtime delete m")
    return said


def test_a_read_only_root_refuses_writes_and_its_tmpfs_takes_them(inside):
    assert inside["root"] == "touch: /new: Read-only file system\n1"
    assert inside["tmp"] == "hi"
    assert inside["mounts"].splitlines()[0] == "rootfs / rootfs ro 0 0"


def test_tmpfs_size_is_a_limit_and_noexec_holds(inside):
    assert "No space left on device" in inside["full"]
    assert 0 < int(inside["size"]) <= 64 * 1024
    assert inside["noexec"].splitlines()[-1] == "126"  # found, but not executable


def test_a_bind_mounted_data_disk_directory_is_shared_and_outlives_the_container(vm, inside):
    assert inside["shared"] == "written by the host\nok"
    assert vm.run("cat /mnt/vol/fromc") == "from it"  # on the FAT32 disk, the container gone


def test_a_read_only_bind_mount(inside):
    assert inside["ro"] == "read me\ntouch: /ro/x: Read-only file system\n1"


def test_masked_paths_show_nothing(inside):
    assert inside["masked"] == "0\n0"


def test_every_container_gets_a_dev_shm(inside):
    assert inside["shm"] == "s"  # its config mounts none there: a tmpfs all the same
    assert any(line.split()[1] == "/dev/shm" for line in inside["mounts"].splitlines())


def test_readonly_paths_on_a_writable_root(vm):
    assert vm.run("oci-runtime create e etc") == "container e created"
    start_attached(vm, "e")
    assert in_container(vm, "touch /etc/x 2>&1; echo $?") == "touch: /etc/x: Read-only file system\n1"
    assert in_container(vm, "touch /x && echo made") == "made"
    # chroot inside a container: a new root, the container's mounts (its /proc) all the same
    assert in_container(vm, "chroot / cat /proc/self/comm") == "cat"
    assert in_container(vm, "mkdir -p /j/bin && cp /bin/busybox /j/bin/ && chroot /j /bin/busybox ls /") == "bin"
    leave_container(vm)
    vm.run("oci-runtime delete e")


@pytest.mark.parametrize("tool", ["runc", "crun"])
def test_the_unmodified_generated_config_creates_and_starts(vm, tool):
    assert vm.run(f"oci-runtime create {tool}c {tool}") == f"container {tool}c created"
    start_attached(vm, f"{tool}c")
    mounts = {line.split()[1]: line.split()[3] for line in in_container(vm, "cat /proc/mounts").splitlines()}
    assert mounts["/"].startswith("ro")
    for where in ("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"):
        assert where in mounts, mounts
    assert mounts["/sys"].startswith("ro") and "noexec" in mounts["/dev/shm"]
    assert in_container(vm, "echo x > /dev/shm/a && cat /dev/shm/a") == "x"
    assert in_container(vm, "touch /etc/x 2>&1; echo $?").endswith("Read-only file system\n1")
    leave_container(vm)
    assert vm.run(f"oci-runtime delete {tool}c") == ""


@pytest.mark.parametrize("bundle", list(REFUSED))
def test_a_mount_cyrius_cannot_apply_is_refused_and_leaves_no_container(vm, bundle):
    assert vm.run(f"oci-runtime create x {bundle}") == f"oci-runtime: create x: {REFUSED[bundle][1]}"
    assert vm.run("oci-runtime state x").startswith("oci-runtime: state x: ")  # no such container
    assert vm.run(f"oci-runtime create x {bundle}") == f"oci-runtime: create x: {REFUSED[bundle][1]}"  # no trace
