"""Regression tests for the path bugs tests/integration/test_container_escape.py found, under CPython:
`..` in a removed memfs directory read a freed parent (a kernel panic from inside a container), `..`
inside /proc stayed in procfs, and a filesystem root mounted twice made `..` leave by the wrong
mount point."""
from cyrius.kernel import errno
from cyrius.kernel.fs import memfs, procfs, vfs
from cyrius.lang import Array, Ptr, addr, u32, usize
import test_procfs
import test_vfs
from test_procfs import kstr
from test_vfs import buffer, lookup

fs = test_vfs.fs  # a memfs root
world = test_procfs.world  # processes, two of them in containers, and /proc mounted twice


def test_dotdot_in_a_removed_directory_is_its_removed_parent_not_freed_memory(fs):
    root = fs
    for d in (b"/tmp", b"/tmp/gone", b"/tmp/gone/deeper"):
        assert vfs.mkdir(root, root, kstr(d), u32(0o755)) == 0
    _, tmp = lookup(root, b"/tmp")
    _, cwd = lookup(root, b"/tmp/gone/deeper")  # a process standing there
    assert vfs.rmdir(root, root, kstr(b"/tmp/gone/deeper")) == 0
    assert vfs.rmdir(root, root, kstr(b"/tmp/gone")) == 0
    err, parent = lookup(root, b"..", cwd=cwd)
    assert err == 0 and parent.nlink == 0 and vfs.is_dir(parent)
    err, grandparent = lookup(root, b"../..", cwd=cwd)
    assert err == 0 and grandparent == tmp
    vfs.put(grandparent)
    assert vfs.path_of(root, cwd, buffer(256), usize(256)) == -errno.ENOENT
    for make in (lambda p: vfs.mkdir(root, cwd, kstr(p), u32(0o755)),
                 lambda p: vfs.symlink(root, cwd, kstr(b"/"), kstr(p))):
        assert make(b"new") == -errno.ENOENT  # a removed directory takes no new names
        assert make(b"../new") == -errno.ENOENT
    vfs.put(parent)
    vfs.put(cwd)  # the last references: both removed directories go, and give /tmp back
    assert tmp.refcount == 2  # ours and its entry in /


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
        assert vfs.mkdir(root, root, kstr(d), u32(0o755)) == 0
    other = memfs.new_root()
    slot = Array[Ptr[vfs.Inode], 1]()
    _, one = lookup(root, b"/one")
    _, two = lookup(root, b"/two")
    assert vfs.mount(one, other, kstr(b"m"), kstr(b"memfs"), kstr(b"/one")) == 0
    assert vfs.mount(two, other, kstr(b"m"), kstr(b"memfs"), kstr(b"/two")) == -errno.EBUSY
    assert vfs.lookup_path(root, two, kstr(b".."), True, addr(slot)) == 0 and slot[0] == root
