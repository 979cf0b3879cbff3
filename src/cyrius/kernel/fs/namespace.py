"""The host world's file namespace: a memfs root with /mnt, /dev and /tmp."""
from cyrius.lang import NULL, Callable, Ptr, u32, u64

from ..panic import panic
from . import memfs, vfs

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
