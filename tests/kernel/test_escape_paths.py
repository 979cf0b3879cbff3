"""Regression tests for what tests/integration/test_container_escape.py and test_container_soak.py
found, under CPython: `..` in a removed memfs directory read a freed parent (a kernel panic from
inside a container), an unmounted tmpfs kept everything in it, `..` inside /proc stayed in procfs,
and a filesystem root mounted twice made `..` leave by the wrong mount point."""
import inspect
import sys

from cyrius.kernel import errno
from cyrius.kernel.fs import memfs, procfs, vfs
from cyrius.kernel.mm import heap
from cyrius.lang import Array, Ptr, addr, u32, usize
import test_procfs
import test_vfs
from test_procfs import kstr
from test_vfs import buffer, lookup, read_file, write_file

fs = test_vfs.fs  # a memfs root
world = test_procfs.world  # processes, two of them in containers, and /proc mounted twice


def test_dotdot_in_a_removed_directory_fails_instead_of_reading_its_freed_parent(fs):
    root = fs
    for d in (b"/tmp", b"/tmp/gone", b"/tmp/gone/deeper"):
        assert vfs.mkdir(vfs.as_kernel(), root, root, kstr(d), u32(0o755)) == 0
    _, tmp = lookup(root, b"/tmp")
    _, cwd = lookup(root, b"/tmp/gone/deeper")  # a process standing there
    assert vfs.rmdir(vfs.as_kernel(), root, root, kstr(b"/tmp/gone/deeper")) == 0
    assert vfs.rmdir(vfs.as_kernel(), root, root, kstr(b"/tmp/gone")) == 0  # freed: nothing holds it
    assert lookup(root, b"..", cwd=cwd) == (-errno.ENOENT, None)
    assert lookup(root, b"../..", cwd=cwd) == (-errno.ENOENT, None)
    assert vfs.path_of(root, root, cwd, buffer(256), usize(256)) == -errno.ENOENT
    for make in (lambda p: vfs.mkdir(vfs.as_kernel(), root, cwd, kstr(p), u32(0o755)),
                 lambda p: vfs.symlink(vfs.as_kernel(), root, cwd, kstr(b"/"), kstr(p))):
        assert make(b"new") == -errno.ENOENT  # a removed directory takes no new names
    vfs.put(cwd)
    assert tmp.refcount == 2 and tmp.nlink == 2  # ours and its entry in /; no subdirectory left
    vfs.put(tmp)


def test_an_unmounted_tmpfs_gives_back_its_whole_tree(fs):
    """A container's tmpfs goes at delete with everything in it; a directory still held (a host
    shell's cwd) is detached, not freed under it."""
    for d in (b"/mnt",):
        assert vfs.mkdir(vfs.as_kernel(), fs, fs, kstr(d), u32(0o755)) == 0
    before = (heap.bytes_in_use, heap.live_blocks)
    tmpfs = memfs.new_root()
    here = vfs.get(tmpfs)
    for depth in range(100):
        assert vfs.mkdir(vfs.as_kernel(), tmpfs, here, kstr(b"d%d" % depth), u32(0o755)) == 0
        _, deeper = lookup(tmpfs, b"d%d" % depth, cwd=here)
        vfs.put(here)
        here = deeper
        write_file(tmpfs, b"f", b"x" * 5000, cwd=here)
    vfs.put(here)
    assert vfs.mkdir(vfs.as_kernel(), tmpfs, tmpfs, kstr(b"/side"), u32(0o755)) == 0
    write_file(tmpfs, b"/side/f", b"x" * 5000)
    _, held = lookup(tmpfs, b"/side")
    _, mnt = lookup(fs, b"/mnt")
    assert vfs.mount(fs, mnt, tmpfs, u32(0), kstr(b"tmpfs"), kstr(b"tmpfs"), kstr(b"/mnt")) == 0
    vfs.put(tmpfs)
    # The teardown must not recurse by depth (a deep tree would overflow a kernel stack): with room
    # for only a few dozen more Python frames, a recursive one fails here.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        assert vfs.unmount(fs, mnt) == 0
    finally:
        sys.setrecursionlimit(limit)
    assert lookup(fs, b"..", cwd=held) == (-errno.ENOENT, None)
    assert vfs.mkdir(vfs.as_kernel(), fs, held, kstr(b"new"), u32(0o755)) == -errno.ENOENT
    assert read_file(fs, b"f", cwd=held) == b"x" * 5000  # what it holds stays readable
    vfs.put(held)
    vfs.put(mnt)
    assert (heap.bytes_in_use, heap.live_blocks) == before


def test_dotdot_inside_proc_leads_out_of_the_mount_to_the_container_root(world):
    c1 = world.c1
    for path in (b"/proc/4/..", b"/proc/self/fd/../..", b"/proc/4/fd/../.."):
        node = world.lookup(path, c1)
        assert procfs.kind_of(node) == procfs.ROOT and procfs.root_of(node) == node, path
        vfs.put(node)
    for path in (b"/proc/4/../..", b"/proc/self/fd/../../..", b"/proc/4/../../../.."):
        node = world.lookup(path, c1)
        assert node == c1.root, path
        vfs.put(node)


def test_a_filesystem_root_is_mounted_in_one_place_only(fs):
    root = fs
    for d in (b"/one", b"/two"):
        assert vfs.mkdir(vfs.as_kernel(), root, root, kstr(d), u32(0o755)) == 0
    other = memfs.new_root()
    slot = Array[Ptr[vfs.Inode], 1]()
    _, one = lookup(root, b"/one")
    _, two = lookup(root, b"/two")
    assert vfs.mount(root, one, other, u32(0), kstr(b"m"), kstr(b"memfs"), kstr(b"/one")) == 0
    assert vfs.mount(root, two, other, u32(0), kstr(b"m"), kstr(b"memfs"), kstr(b"/two")) == -errno.EBUSY
    assert vfs.lookup_path(vfs.as_kernel(), root, two, kstr(b".."), True, addr(slot)) == 0 and slot[0] == root
