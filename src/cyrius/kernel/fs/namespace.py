"""The host world's file namespace: a memfs root with /mnt, /dev and /tmp."""
from cyrius.lang import NULL, Array, Callable, Ptr, addr, u32, u64

from ..panic import panic
from . import devfs, memfs, vfs

host_root: Ptr[vfs.Inode] = NULL


def init(clock_source: Callable[[], u64]) -> None:
    global host_root
    vfs.init(clock_source)
    memfs.init()
    host_root = memfs.new_root()
    if host_root == NULL:
        panic(b"vfs: no memory for the root filesystem")
    vfs.mkdir(host_root, host_root, b"/mnt", u32(0o755))
    vfs.mkdir(host_root, host_root, b"/dev", u32(0o755))
    vfs.mkdir(host_root, host_root, b"/tmp", u32(0o1777))
    mount_devfs()


def mount_devfs() -> None:
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if vfs.lookup_path(host_root, host_root, b"/dev", True, addr(slot)) < 0:
        panic(b"vfs: /dev is missing")
    root: Ptr[vfs.Inode] = devfs.new_root()
    if root == NULL or vfs.mount(slot[0], root, b"devfs", b"devfs", b"/dev") < 0:
        panic(b"vfs: cannot mount devfs on /dev")
    vfs.put(root)
    vfs.put(slot[0])
