"""The host world's file namespace: a memfs root with /mnt (the data disk), /dev (devfs), /proc (procfs),
/sys (empty and read-only: Cyrius exports no kernel objects), /tmp, and /etc/resolv.conf once DHCP
names a DNS server (what OCI configs bind into containers, as umoci's does)."""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, i64, u8, u32, u64, usize
from cyrius.rt import fmt_u64

from .. import console, errno
from ..dev import bcache
from ..dev.block import BlockDevice
from ..panic import panic
from . import devfs, fat32, file, memfs, procfs, vfs

host_root: Ptr[vfs.Inode] = NULL


def init(clock_source: Callable[[], u64]) -> None:
    global host_root
    vfs.init(clock_source)
    memfs.init()
    host_root = memfs.new_root()
    if host_root == NULL:
        panic(b"vfs: no memory for the root filesystem")
    vfs.mkdir(vfs.as_kernel(), host_root, host_root, b"/mnt", u32(0o755))
    vfs.mkdir(vfs.as_kernel(), host_root, host_root, b"/dev", u32(0o755))
    vfs.mkdir(vfs.as_kernel(), host_root, host_root, b"/tmp", u32(0o1777))
    vfs.mkdir(vfs.as_kernel(), host_root, host_root, b"/proc", u32(0o555))
    vfs.mkdir(vfs.as_kernel(), host_root, host_root, b"/sys", u32(0o555))
    vfs.mkdir(vfs.as_kernel(), host_root, host_root, b"/etc", u32(0o755))
    mount_special(b"/dev", devfs.new_root, b"devfs", b"vfs: /dev is missing", b"vfs: cannot mount devfs on /dev")
    mount_special(b"/proc", procfs.new_root, b"proc", b"vfs: /proc is missing", b"vfs: cannot mount procfs on /proc")
    mount_special(b"/sys", empty_sysfs, b"sysfs", b"vfs: /sys is missing", b"vfs: cannot mount sysfs on /sys")


def empty_sysfs() -> Ptr[vfs.Inode]:
    return memfs.new_limited_root(u32(0o555), u64(0))


def write_resolv_conf(dns: u32) -> None:
    """/etc/resolv.conf of the host world: `nameserver A.B.C.D` (the DHCP lease's DNS server)."""
    text: Array[u8, 32] = Array[u8, 32]()
    prefix: Ptr[u8] = b"nameserver "
    at: usize = 0
    while prefix[at] != 0:
        text[at] = prefix[at]
        at += 1
    for i in range(4):
        at += fmt_u64(addr(text) + at, usize(4), u64((dns >> u32(24 - 8 * i)) & 0xFF), u32(10), u32(0), u8(0x20))
        text[at] = ord(".") if i < 3 else ord("\n")
        at += 1
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    if file.open(vfs.as_kernel(), host_root, host_root, b"/etc/resolv.conf",
                 u32(file.O_CREAT | file.O_WRONLY | file.O_TRUNC), u32(0o644), addr(slot)) == 0:
        file.write(slot[0], addr(text), at)
        file.close(slot[0])


def mount_special(path: Ptr[u8], new_root: Callable[[], Ptr[vfs.Inode]], name: Ptr[u8], missing: Ptr[u8],
                  failed: Ptr[u8]) -> None:
    """Mount a fresh instance of a kernel filesystem (source and type `name`) on the host directory
    `path`; a boot that cannot is a panic with `missing` or `failed`."""
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if vfs.lookup_path(vfs.as_kernel(), host_root, host_root, path, True, addr(slot)) < 0:
        panic(missing)
    root: Ptr[vfs.Inode] = new_root()
    if root == NULL or vfs.mount(host_root, slot[0], root, u32(0), name, name, path) < 0:
        panic(failed)
    vfs.put(root)
    vfs.put(slot[0])


DATA_CACHE_SECTORS: Final = 4096  # 2 MiB of write-back cache for the data disk


def mount_data_disk(disk: Ptr[BlockDevice], name: Ptr[u8]) -> i64:
    """Mount the FAT32 volume on `disk` (through a write-back cache) at /mnt, as the seed's
    `[vfs] mounted FAT32 at /mnt from virtio-blk0 (N blocks)` says."""
    cached: Ptr[BlockDevice] = bcache.wrap(disk, u32(DATA_CACHE_SECTORS))
    if cached == NULL:
        return -errno.ENOMEM
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = fat32.mount(cached, addr(slot))
    if err < 0:
        console.puts(b"[vfs] ")
        console.puts(name)
        console.puts(b" holds no FAT32 volume we can mount (")
        console.puts(errno.message(err))
        console.puts(b"); /mnt stays empty\n")
        return err
    root: Ptr[vfs.Inode] = slot[0]
    err = vfs.lookup_path(vfs.as_kernel(), host_root, host_root, b"/mnt", True, addr(slot))
    if err == 0:
        err = vfs.mount(host_root, slot[0], root, u32(0), name, b"vfat", b"/mnt")
        vfs.put(slot[0])
    vfs.put(root)
    if err < 0:
        return err
    console.puts(b"[vfs] mounted FAT32 at /mnt from ")
    console.puts(name)
    console.puts(b" (")
    console.put_dec(disk.sector_count)
    console.puts(b" blocks)\n")
    return 0
