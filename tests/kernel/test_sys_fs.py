"""The file-family Linux system calls under CPython: each handler is called with a trap frame, as the
syscall entry would, for a process whose user memory is a real (simulated) address space and whose
root is a memfs. The checks follow tests/fixtures/linux/files.c and pipes.c, whose expected results
come from Linux; calls that would sleep are left to those programs on the booted kernel."""
import struct

import pytest

from cyrius import rt
from cyrius.kernel import errno
from cyrius.kernel.tty import ldisc
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.fs import devfs, memfs, pipe, vfs
from cyrius.kernel.linux import fsargs, sys_dir, sys_fd, sys_mm, sys_names, sys_poll, sys_rw, sys_stat
from cyrius.kernel.mm import paging, uaccess, uspace
from cyrius.kernel.mm.heap import kalloc
from cyrius.kernel.proc import caps, cred, process, sched, signal, task
from cyrius.lang import NULL, Ptr, addr, cast, i64, memory, sizeof, u8, u32, u64, usize

BASE = 0x400000
PAGES = 64
AT_FDCWD = -100
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK = 0o100, 0o200, 0o1000, 0o2000, 0o4000
O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC = 0o200000, 0o400000, 0o2000000
POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 1, 4, 8, 16, 32
S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFIFO = 0o170000, 0o040000, 0o100000, 0o120000, 0o010000


def caps_follow(p):
    """After a test sets p's ids directly: the effective capabilities Linux would leave (all for
    euid 0, none otherwise)."""
    p.cap_effective = u64(caps.CAP_ALL) if int(p.euid) == 0 else u64(0)


class Proc:
    """A process of our own: a user address space with a bump allocator over BASE.., a memfs root."""

    def __init__(self):
        paging.kernel_root = paging.new_table()
        uspace.init()
        self.space = uspace.create()
        rw = uspace.PROT_READ | uspace.PROT_WRITE
        assert uspace.add(self.space, u64(BASE), u64(BASE + PAGES * 4096), u32(rw), NULL, u64(0), u64(0)) == 0
        self.next = BASE
        vfs.init(NULL)
        memfs.init()
        self.root = memfs.new_root()
        dev = devfs.new_root()
        assert vfs.mkdir(vfs.as_kernel(), self.root, self.root, self.kstr(b"/dev"), u32(0o755)) == 0
        self.devdir = self.lookup(b"/dev")
        assert vfs.mount(self.root, self.devdir, dev, u32(0), self.kstr(b"devfs"), self.kstr(b"devfs"),
                         self.kstr(b"/dev")) == 0
        pipe.init()
        sys_poll.init()
        t = cast(Ptr[task.Task], kalloc(usize(sizeof(task.Task))))
        p = cast(Ptr[task.Process], kalloc(usize(sizeof(task.Process))))
        t.state = u32(task.TASK_RUNNING)
        process.attach_leader(p, t)
        p.state = u32(task.PROC_ALIVE)
        p.space = self.space
        p.root = vfs.get(self.root)
        p.cwd = vfs.get(self.root)
        p.umask = u32(0o022)
        p.pid = u32(7)
        p.vpid = u32(7)  # the host world: the same number
        p.pgid = u32(7)
        for i in range(task.RLIMIT_COUNT):
            p.rlimits[i].soft = p.rlimits[i].hard = u64(process.RLIM_INFINITY)
        p.rlimits[fsargs.RLIMIT_NOFILE].soft = u64(task.MAX_FDS)
        cred.give_all(p)  # root in the host world
        sched.current = t
        self.p = p

    @staticmethod
    def kstr(text: bytes):
        a = memory.alloc(len(text) + 1)
        memory.write(a, text + b"\0")
        return Ptr[u8](a)

    def lookup(self, path: bytes):
        from cyrius.lang import Array
        slot = Array[Ptr[vfs.Inode], 1]()
        assert vfs.lookup_path(vfs.as_kernel(), self.root, self.root, self.kstr(path), True, addr(slot)) == 0
        return slot[0]

    def alloc(self, n: int) -> int:
        a = self.next
        self.next += (max(n, 1) + 15) & ~15
        assert self.next <= BASE + PAGES * 4096
        return a

    def put(self, data: bytes) -> int:
        a = self.alloc(len(data))
        self.poke(a, data)
        return a

    def poke(self, a: int, data: bytes) -> None:
        if data:
            k = memory.alloc(len(data))
            memory.write(k, data)
            assert uaccess.copy_out(self.space, u64(a), Ptr[u8](k), u64(len(data))) == 0

    def s(self, text: bytes) -> int:
        return self.put(text + b"\0")

    def get(self, a: int, n: int) -> bytes:
        k = memory.alloc(max(n, 1))
        assert uaccess.copy_in(self.space, Ptr[u8](k), u64(a), u64(n)) == 0
        return memory.read(k, n)


@pytest.fixture
def proc(machine):
    rt.fake("inl", lambda port: 0)  # the PM timer stands still: time is 0
    yield Proc()
    sched.current = NULL


REGISTERS = ("rdi", "rsi", "rdx", "r10", "r8", "r9")
BUF = object()  # where stat_of puts its struct stat buffer among the arguments


def call(handler, *args) -> int:
    f = TrapFrame()
    for name, value in zip(REGISTERS[:len(args)], args, strict=True):
        setattr(f, name, u64(value & 0xFFFFFFFFFFFFFFFF))
    return int(handler(addr(f)))


def stat_of(proc, handler, *args):
    """Call a stat-family handler (its buffer goes where BUF is, or last) and decode struct stat."""
    buf = proc.alloc(144)
    if BUF not in args:
        args = (*args, BUF)
    r = call(handler, *(buf if a is BUF else a for a in args))
    if r < 0:
        return r
    raw = proc.get(buf, 144)
    dev, ino, nlink, mode, uid, gid, _, rdev, size, blksize, blocks = struct.unpack_from("<QQQIIIIQqqq", raw)
    return {"dev": dev, "ino": ino, "nlink": nlink, "mode": mode, "uid": uid, "gid": gid, "size": size}


def openat(proc, path: bytes, flags: int, mode: int = 0, dirfd: int = AT_FDCWD) -> int:
    return call(sys_fd.sys_openat, dirfd, proc.s(path), flags, mode)


def write(proc, fd: int, data: bytes) -> int:
    return call(sys_rw.sys_write, fd, proc.put(data), len(data))


def read(proc, fd: int, n: int) -> bytes | int:
    buf = proc.alloc(n)
    r = call(sys_rw.sys_read, fd, buf, n)
    return r if r < 0 else proc.get(buf, r)


def names(proc, path: bytes) -> list[bytes]:
    fd = openat(proc, path, O_RDONLY | O_DIRECTORY)
    assert fd >= 0
    out = []
    buf = proc.alloc(512)
    while True:
        r = call(sys_dir.sys_getdents64, fd, buf, 512)
        assert r >= 0
        if r == 0:
            break
        raw = proc.get(buf, r)
        off = 0
        while off < r:
            reclen = struct.unpack_from("<H", raw, off + 16)[0]
            out.append(raw[off + 19:off + reclen].split(b"\0")[0])
            off += reclen
    assert call(sys_fd.sys_close, fd) == 0
    return sorted(out)


def test_struct_layouts_match_linux_x86_64():
    assert sizeof(vfs.Stat) == 144
    assert sizeof(sys_stat.LinuxStatFs) == 120
    assert sizeof(sys_rw.IoVec) == 16
    assert sizeof(sys_poll.PollFd) == 8


def test_files_fixture_sequence(proc):
    """The first half of tests/fixtures/linux/files.c: create, read, seek, append, truncate, vectors."""
    assert call(sys_stat.sys_umask, 0o022) == 0o022
    assert call(sys_names.sys_mkdir, proc.s(b"/tmp"), 0o777) == 0
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/tmp"))["mode"] == S_IFDIR | 0o755  # umask applied
    assert call(sys_names.sys_mkdir, proc.s(b"/tmp/w"), 0o755) == 0
    assert call(sys_dir.sys_chdir, proc.s(b"/tmp/w")) == 0
    buf = proc.alloc(64)
    assert call(sys_dir.sys_getcwd, buf, 64) == len(b"/tmp/w") + 1
    assert proc.get(buf, 7) == b"/tmp/w\0"
    assert call(sys_dir.sys_getcwd, buf, 3) == -errno.ERANGE

    fd = openat(proc, b"a", O_WRONLY | O_CREAT | O_EXCL, 0o644)
    assert fd == 0  # the lowest free descriptor
    assert write(proc, fd, b"hello world\n") == 12
    assert openat(proc, b"a", O_WRONLY | O_CREAT | O_EXCL, 0o644) == -errno.EEXIST
    assert read(proc, fd, 1) == -errno.EBADF
    assert call(sys_fd.sys_close, fd) == 0
    assert call(sys_fd.sys_close, fd) == -errno.EBADF

    fd = openat(proc, b"a", O_RDONLY)
    assert read(proc, fd, 64) == b"hello world\n"
    assert read(proc, fd, 64) == b""
    assert call(sys_rw.sys_lseek, fd, 0, 1) == 12
    assert call(sys_rw.sys_lseek, fd, 6, 0) == 6
    assert read(proc, fd, 5) == b"world"
    assert call(sys_rw.sys_lseek, fd, -3, 2) == 9
    assert call(sys_rw.sys_lseek, fd, -100, 0) == -errno.EINVAL
    assert call(sys_rw.sys_lseek, fd, 0, 7) == -errno.EINVAL
    pbuf = proc.alloc(8)
    assert call(sys_rw.sys_pread64, fd, pbuf, 5, 0) == 5 and proc.get(pbuf, 5) == b"hello"
    assert call(sys_rw.sys_pread64, fd, pbuf, 5, -1) == -errno.EINVAL
    assert call(sys_rw.sys_lseek, fd, 0, 1) == 9  # pread leaves the offset alone
    assert write(proc, fd, b"x") == -errno.EBADF
    call(sys_fd.sys_close, fd)

    fd = openat(proc, b"a", O_RDWR)
    assert call(sys_rw.sys_pwrite64, fd, proc.put(b"HELLO"), 5, 0) == 5
    st = stat_of(proc, sys_stat.sys_fstat, fd)
    assert (st["mode"], st["size"], st["nlink"]) == (S_IFREG | 0o644, 12, 1)
    call(sys_fd.sys_close, fd)
    fd = openat(proc, b"a", O_WRONLY | O_APPEND)
    assert call(sys_rw.sys_lseek, fd, 0, 0) == 0
    assert write(proc, fd, b"more\n") == 5
    assert call(sys_rw.sys_lseek, fd, 0, 1) == 17
    call(sys_fd.sys_close, fd)
    fd = openat(proc, b"a", O_RDONLY)
    assert read(proc, fd, 64) == b"HELLO world\nmore\n"
    call(sys_fd.sys_close, fd)

    fd = openat(proc, b"a", O_RDWR | O_TRUNC)
    assert stat_of(proc, sys_stat.sys_fstat, fd)["size"] == 0
    iov = proc.put(struct.pack("<QQQQQQ", proc.put(b"ab"), 2, proc.put(b"cde"), 3, proc.put(b"f"), 1))
    assert call(sys_rw.sys_writev, fd, iov, 3) == 6
    assert call(sys_rw.sys_lseek, fd, 0, 0) == 0
    a, b = proc.alloc(4), proc.alloc(8)
    assert call(sys_rw.sys_readv, fd, proc.put(struct.pack("<QQQQ", a, 2, b, 7)), 2) == 6
    assert proc.get(a, 2) == b"ab" and proc.get(b, 4) == b"cdef"
    assert call(sys_rw.sys_readv, fd, iov, 1025) == -errno.EINVAL
    assert call(sys_rw.sys_readv, fd, iov, 0) == 0
    assert call(sys_stat.sys_ftruncate, fd, 100) == 0
    assert stat_of(proc, sys_stat.sys_fstat, fd)["size"] == 100
    assert call(sys_rw.sys_pread64, fd, pbuf, 1, 50) == 1 and proc.get(pbuf, 1) == b"\0"
    assert call(sys_stat.sys_truncate, proc.s(b"a"), 3) == 0
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"a"))["size"] == 3
    assert call(sys_stat.sys_truncate, proc.s(b"missing"), 0) == -errno.ENOENT
    assert call(sys_stat.sys_ftruncate, fd, -1) == -errno.EINVAL
    call(sys_fd.sys_close, fd)
    rofd = openat(proc, b"a", O_RDONLY)
    assert call(sys_stat.sys_ftruncate, rofd, 0) == -errno.EINVAL
    call(sys_fd.sys_close, rofd)


def test_directories_links_and_errors(proc):
    """The second half of files.c: directories, *at calls, links, symlinks, renames, getdents64."""
    call(sys_names.sys_mkdir, proc.s(b"/w"), 0o755)
    call(sys_dir.sys_chdir, proc.s(b"/w"))
    fd = openat(proc, b"a", O_WRONLY | O_CREAT, 0o644)
    write(proc, fd, b"abc")
    call(sys_fd.sys_close, fd)
    assert call(sys_names.sys_mkdir, proc.s(b"d"), 0o750) == 0
    assert stat_of(proc, sys_stat.sys_newfstatat, AT_FDCWD, proc.s(b"d"), BUF, 0)["mode"] == S_IFDIR | 0o750
    assert call(sys_names.sys_mkdir, proc.s(b"d"), 0o755) == -errno.EEXIST
    assert call(sys_names.sys_mkdir, proc.s(b"a/x"), 0o755) == -errno.ENOTDIR
    assert openat(proc, b"d", O_WRONLY) == -errno.EISDIR
    assert openat(proc, b"a", O_RDONLY | O_DIRECTORY) == -errno.ENOTDIR
    assert openat(proc, b"missing", O_RDONLY) == -errno.ENOENT
    assert openat(proc, b"missing/x", O_WRONLY | O_CREAT, 0o644) == -errno.ENOENT
    assert openat(proc, b"", O_RDONLY) == -errno.ENOENT
    assert read(proc, -1, 1) == -errno.EBADF
    assert call(sys_fd.sys_close, -1) == -errno.EBADF
    assert stat_of(proc, sys_stat.sys_fstat, -1) == -errno.EBADF

    dfd = openat(proc, b"d", O_RDONLY | O_DIRECTORY)
    fd = openat(proc, b"inner", O_WRONLY | O_CREAT, 0o600, dirfd=dfd)
    assert write(proc, fd, b"x") == 1
    assert stat_of(proc, sys_stat.sys_newfstatat, dfd, proc.s(b"inner"), BUF, 0)["mode"] == S_IFREG | 0o600
    assert openat(proc, b"inner", O_RDONLY, dirfd=fd) == -errno.ENOTDIR  # a dirfd must be a directory
    assert openat(proc, b"/w/a", O_RDONLY, dirfd=fd) >= 0  # ...unless the path is absolute
    assert stat_of(proc, sys_stat.sys_newfstatat, fd, proc.s(b""), BUF, 0x1000)["size"] == 1  # AT_EMPTY_PATH
    assert stat_of(proc, sys_stat.sys_newfstatat, fd, proc.s(b""), BUF, 0) == -errno.ENOENT
    assert stat_of(proc, sys_stat.sys_newfstatat, fd, proc.s(b"x"), BUF, 0x4) == -errno.EINVAL
    assert call(sys_names.sys_rmdir, proc.s(b"d")) == -errno.ENOTEMPTY
    assert call(sys_names.sys_unlink, proc.s(b"d")) == -errno.EISDIR
    assert call(sys_names.sys_rmdir, proc.s(b"a")) == -errno.ENOTDIR
    assert call(sys_names.sys_rmdir, proc.s(b"d/.")) == -errno.EINVAL
    assert call(sys_names.sys_rmdir, proc.s(b"d/..")) == -errno.ENOTEMPTY

    assert call(sys_names.sys_link, proc.s(b"a"), proc.s(b"b")) == 0
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"a"))["nlink"] == 2
    assert call(sys_names.sys_link, proc.s(b"a"), proc.s(b"b")) == -errno.EEXIST
    assert call(sys_names.sys_linkat, dfd, proc.s(b"inner"), AT_FDCWD, proc.s(b"i2"), 0) == 0  # two dirfds
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"i2"))["nlink"] == 2
    assert call(sys_names.sys_unlink, proc.s(b"b")) == 0
    assert call(sys_names.sys_unlinkat, AT_FDCWD, proc.s(b"i2"), 0) == 0
    assert call(sys_names.sys_unlinkat, AT_FDCWD, proc.s(b"i2"), 0x1) == -errno.EINVAL
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"a"))["nlink"] == 1

    assert call(sys_names.sys_symlink, proc.s(b"a"), proc.s(b"s")) == 0
    buf = proc.alloc(64)
    assert call(sys_names.sys_readlink, proc.s(b"s"), buf, 64) == 1 and proc.get(buf, 1) == b"a"
    assert call(sys_names.sys_readlink, proc.s(b"s"), buf, 0) == -errno.EINVAL
    assert call(sys_names.sys_readlink, proc.s(b"a"), buf, 64) == -errno.EINVAL
    assert stat_of(proc, sys_stat.sys_lstat, proc.s(b"s"))["mode"] & S_IFMT == S_IFLNK
    assert stat_of(proc, sys_stat.sys_newfstatat, AT_FDCWD, proc.s(b"s"), BUF, 0x100)["mode"] & S_IFMT == S_IFLNK
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"s"))["size"] == 3
    assert openat(proc, b"s", O_RDONLY | O_NOFOLLOW) == -errno.ELOOP
    assert call(sys_names.sys_symlink, proc.s(b"a"), proc.s(b"s")) == -errno.EEXIST
    assert call(sys_names.sys_symlink, proc.s(b""), proc.s(b"e")) == -errno.ENOENT
    assert call(sys_names.sys_symlinkat, proc.s(b"nowhere"), dfd, proc.s(b"dangling")) == 0
    assert openat(proc, b"d/dangling", O_RDONLY) == -errno.ENOENT
    assert call(sys_names.sys_readlinkat, dfd, proc.s(b"dangling"), buf, 3) == 3 and proc.get(buf, 3) == b"now"

    assert call(sys_names.sys_rename, proc.s(b"a"), proc.s(b"c")) == 0
    assert call(sys_stat.sys_access, proc.s(b"a"), 0) == -errno.ENOENT
    assert call(sys_stat.sys_access, proc.s(b"c"), 6) == 0
    assert call(sys_stat.sys_access, proc.s(b"c"), 8) == -errno.EINVAL
    assert call(sys_stat.sys_faccessat, dfd, proc.s(b"inner"), 0) == 0
    assert call(sys_stat.sys_faccessat, dfd, proc.s(b"missing"), 0) == -errno.ENOENT
    assert call(sys_names.sys_rename, proc.s(b"c"), proc.s(b"d")) == -errno.EISDIR
    assert call(sys_names.sys_rename, proc.s(b"d"), proc.s(b"c")) == -errno.ENOTDIR
    assert call(sys_names.sys_renameat, dfd, proc.s(b"inner"), AT_FDCWD, proc.s(b"moved")) == 0
    exchange = 2  # RENAME_EXCHANGE
    assert call(sys_names.sys_renameat2, AT_FDCWD, proc.s(b"moved"), dfd, proc.s(b"inner"), exchange) == -errno.EINVAL
    assert call(sys_names.sys_renameat2, AT_FDCWD, proc.s(b"moved"), dfd, proc.s(b"inner"), 1) == 0  # NOREPLACE, free
    assert call(sys_names.sys_renameat2, dfd, proc.s(b"inner"), AT_FDCWD, proc.s(b"moved"), 0) == 0
    assert call(sys_names.sys_renameat2, AT_FDCWD, proc.s(b"moved"), dfd, proc.s(b"inner"), 0) == 0
    assert call(sys_names.sys_rename, proc.s(b"d"), proc.s(b"e")) == 0
    assert call(sys_names.sys_rename, proc.s(b"missing"), proc.s(b"f")) == -errno.ENOENT
    assert call(sys_dir.sys_chdir, proc.s(b"e")) == 0
    cwd = proc.alloc(64)
    assert call(sys_dir.sys_getcwd, cwd, 64) == 5 and proc.get(cwd, 5) == b"/w/e\0"
    assert call(sys_dir.sys_chdir, proc.s(b"..")) == 0
    assert call(sys_dir.sys_chdir, proc.s(b"c")) == -errno.ENOTDIR
    assert call(sys_dir.sys_chdir, proc.s(b"missing")) == -errno.ENOENT
    assert call(sys_dir.sys_fchdir, dfd) == 0  # the renamed directory, by descriptor
    assert call(sys_dir.sys_getcwd, cwd, 64) == 5
    assert call(sys_dir.sys_fchdir, fd) == -errno.ENOTDIR
    call(sys_dir.sys_chdir, proc.s(b"/w"))
    assert names(proc, b".") == [b".", b"..", b"c", b"e", b"s"]
    assert names(proc, b"e") == [b".", b"..", b"dangling", b"inner"]
    assert call(sys_dir.sys_getdents64, fd, buf, 64) == -errno.ENOTDIR


def test_metadata_calls(proc):
    fd = openat(proc, b"/f", O_RDWR | O_CREAT, 0o644)
    assert call(sys_stat.sys_chmod, proc.s(b"/f"), 0o4711) == 0
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/f"))["mode"] == S_IFREG | 0o4711
    assert call(sys_stat.sys_fchmod, fd, 0o600) == 0
    assert call(sys_stat.sys_fchmodat, AT_FDCWD, proc.s(b"/f"), 0o640) == 0
    assert call(sys_stat.sys_chown, proc.s(b"/f"), 1000, -1) == 0
    st = stat_of(proc, sys_stat.sys_fstat, fd)
    assert (st["mode"], st["uid"], st["gid"]) == (S_IFREG | 0o640, 1000, 0)
    assert call(sys_stat.sys_fchown, fd, -1, 100) == 0
    assert call(sys_names.sys_symlink, proc.s(b"/f"), proc.s(b"/l")) == 0
    assert call(sys_stat.sys_lchown, proc.s(b"/l"), 5, 5) == 0
    assert stat_of(proc, sys_stat.sys_lstat, proc.s(b"/l"))["uid"] == 5
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/l"))["uid"] == 1000
    assert call(sys_stat.sys_fchownat, AT_FDCWD, proc.s(b"/l"), 6, 6, 0x100) == 0
    assert stat_of(proc, sys_stat.sys_lstat, proc.s(b"/l"))["uid"] == 6
    # An unprivileged process: only its own files, only to its own group.
    proc.p.euid = proc.p.uid = u32(1000)
    caps_follow(proc.p)
    proc.p.egid = proc.p.gid = u32(100)
    assert call(sys_stat.sys_chmod, proc.s(b"/f"), 0o600) == 0
    assert call(sys_stat.sys_chown, proc.s(b"/f"), 0, -1) == -errno.EPERM
    assert call(sys_stat.sys_chmod, proc.s(b"/dev"), 0o777) == -errno.EPERM
    assert call(sys_stat.sys_access, proc.s(b"/f"), 6) == 0
    assert call(sys_stat.sys_chmod, proc.s(b"/f"), 0o400) == 0
    assert call(sys_stat.sys_access, proc.s(b"/f"), 2) == -errno.EACCES
    assert openat(proc, b"/f", O_WRONLY) == -errno.EACCES
    assert openat(proc, b"/new", O_WRONLY | O_CREAT, 0o644) == -errno.EACCES  # / is root's, 0755
    assert openat(proc, b"/f", O_WRONLY | O_CREAT | O_EXCL, 0o644) == -errno.EEXIST  # before EACCES
    assert openat(proc, b"/dev", O_WRONLY) == -errno.EISDIR
    assert openat(proc, b"/f", O_RDONLY | O_DIRECTORY) == -errno.ENOTDIR
    assert call(sys_names.sys_mkdir, proc.s(b"/x"), 0o777) == -errno.EACCES
    assert call(sys_names.sys_unlink, proc.s(b"/f")) == -errno.EACCES
    assert call(sys_names.sys_rename, proc.s(b"/f"), proc.s(b"/g")) == -errno.EACCES
    assert call(sys_names.sys_symlink, proc.s(b"/f"), proc.s(b"/g")) == -errno.EACCES
    assert call(sys_names.sys_unlink, proc.s(b"/nothing/f")) == -errno.ENOENT
    proc.p.euid = proc.p.uid = u32(0)
    caps_follow(proc.p)
    proc.p.egid = proc.p.gid = u32(0)
    assert call(sys_names.sys_mkdir, proc.s(b"/home"), 0o777) == 0
    assert call(sys_stat.sys_chmod, proc.s(b"/home"), 0o777) == 0
    proc.p.euid = u32(1000)
    caps_follow(proc.p)
    proc.p.egid = u32(100)
    nf = openat(proc, b"/home/mine", O_WRONLY | O_CREAT, 0o666)
    assert nf >= 0
    st = stat_of(proc, sys_stat.sys_fstat, nf)
    assert (st["mode"], st["uid"], st["gid"]) == (S_IFREG | 0o644, 1000, 100)  # umask 022, owned by creator
    assert call(sys_names.sys_mkdir, proc.s(b"/home/sub"), 0o777) == 0
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/home/sub"))["uid"] == 1000
    assert call(sys_names.sys_rename, proc.s(b"/home/mine"), proc.s(b"/home/sub/mine")) == 0
    assert call(sys_names.sys_unlink, proc.s(b"/home/sub/mine")) == 0

    sfs = proc.alloc(120)
    assert call(sys_stat.sys_statfs, proc.s(b"/"), sfs) == 0
    f_type, bsize = struct.unpack_from("<qq", proc.get(sfs, 16))
    assert f_type == memfs.MEMFS_MAGIC and bsize == 4096
    assert struct.unpack_from("<q", proc.get(sfs + 64, 8))[0] == 255  # f_namelen
    assert call(sys_stat.sys_fstatfs, fd, sfs) == 0
    assert call(sys_rw.sys_fsync, fd) == 0 and call(sys_rw.sys_fsync, 99) == -errno.EBADF


def test_descriptor_calls_on_pipes(proc):
    """pipes.c up to the first call that would block."""
    fds = proc.alloc(8)
    assert call(sys_fd.sys_pipe, fds) == 0
    r, w = struct.unpack("<ii", proc.get(fds, 8))
    assert (r, w) == (0, 1)
    assert call(sys_fd.sys_fcntl, r, 1) == 0  # F_GETFD
    assert call(sys_fd.sys_fcntl, r, 3) & 3 == O_RDONLY and call(sys_fd.sys_fcntl, w, 3) & 3 == O_WRONLY
    assert poll(proc, [(r, POLLIN)]) == (0, [0])
    assert poll(proc, [(w, POLLOUT)]) == (1, [POLLOUT])
    assert select(proc, r + 1, [r], []) == (0, [], [])
    assert write(proc, w, b"hello") == 5
    avail = proc.alloc(4)
    assert call(sys_fd.sys_ioctl, r, 0x541B, avail) == 0 and proc.get(avail, 4) == b"\5\0\0\0"
    assert call(sys_fd.sys_ioctl, r, 0x5401, avail) == -errno.ENOTTY  # TCGETS: not a terminal
    assert poll(proc, [(r, POLLIN), (w, POLLIN), (-1, POLLIN), (77, POLLIN)]) == (2, [POLLIN, 0, 0, POLLNVAL])
    assert select(proc, w + 1, [r, w], [r, w]) == (2, [r], [w])
    assert select(proc, 78, [77], []) == -errno.EBADF
    assert read(proc, r, 64) == b"hello"
    assert call(sys_rw.sys_lseek, r, 0, 1) == -errno.ESPIPE
    assert read(proc, w, 1) == -errno.EBADF and write(proc, r, b"x") == -errno.EBADF

    d = call(sys_fd.sys_dup, w)
    assert d == 2 and write(proc, d, b"abc") == 3 and call(sys_fd.sys_close, d) == 0
    assert call(sys_fd.sys_dup2, w, 100) == 100 and write(proc, 100, b"de") == 2
    assert call(sys_fd.sys_dup2, w, w) == w
    assert call(sys_fd.sys_dup2, 99, 5) == -errno.EBADF
    assert call(sys_fd.sys_dup2, w, task.MAX_FDS) == -errno.EBADF
    assert call(sys_fd.sys_dup3, w, w, 0) == -errno.EINVAL
    assert call(sys_fd.sys_dup3, w, 101, O_CLOEXEC) == 101
    assert call(sys_fd.sys_dup3, w, 102, 1) == -errno.EINVAL
    assert call(sys_fd.sys_fcntl, 101, 1) == 1 and call(sys_fd.sys_fcntl, 100, 1) == 0
    assert call(sys_fd.sys_dup2, r, 100) == 100
    assert call(sys_fd.sys_fcntl, 100, 3) & 3 == O_RDONLY
    assert call(sys_fd.sys_fcntl, w, 1030, 50) == 50 and call(sys_fd.sys_fcntl, 50, 1) == 1
    assert call(sys_fd.sys_fcntl, w, 0, 50) == 51 and call(sys_fd.sys_fcntl, 51, 1) == 0
    assert call(sys_fd.sys_fcntl, w, 0, task.MAX_FDS) == -errno.EINVAL
    assert call(sys_fd.sys_fcntl, r, 2, 1) == 0 and call(sys_fd.sys_fcntl, r, 1) == 1
    assert call(sys_fd.sys_fcntl, r, 5, 0) == -errno.EFAULT  # F_GETLK: a NULL struct flock
    assert call(sys_fd.sys_close, 100) == 0 and call(sys_fd.sys_close, 100) == -errno.EBADF
    assert call(sys_fd.sys_fcntl, 100, 1) == -errno.EBADF
    assert read(proc, r, 64) == b"abcde"

    assert call(sys_fd.sys_fcntl, r, 4, O_NONBLOCK) == 0
    assert call(sys_fd.sys_fcntl, r, 3) & O_NONBLOCK
    assert read(proc, r, 1) == -errno.EAGAIN
    assert poll(proc, [(r, POLLIN)]) == (0, [0])
    for fd in (w, 50, 51, 101):
        assert call(sys_fd.sys_close, fd) == 0
    assert poll(proc, [(r, POLLIN)]) == (1, [POLLHUP])
    assert select(proc, r + 1, [r], []) == (1, [r], [])
    assert read(proc, r, 64) == b""
    call(sys_fd.sys_close, r)

    assert call(sys_fd.sys_pipe2, fds, O_CLOEXEC | O_NONBLOCK) == 0
    r2, w2 = struct.unpack("<ii", proc.get(fds, 8))
    assert call(sys_fd.sys_fcntl, r2, 1) == 1 and call(sys_fd.sys_fcntl, w2, 3) & O_NONBLOCK
    assert read(proc, r2, 1) == -errno.EAGAIN
    assert call(sys_fd.sys_close, r2) == 0
    assert poll(proc, [(w2, POLLOUT)]) == (1, [POLLOUT | POLLERR])
    assert write(proc, w2, b"x") == -errno.EPIPE
    assert proc.p.sig_pending == 1 << (signal.SIGPIPE - 1)
    proc.p.sig_pending = 0
    call(sys_fd.sys_close, w2)
    assert call(sys_fd.sys_pipe2, fds, O_APPEND) == -errno.EINVAL
    assert call(sys_fd.sys_pipe2, BASE - 8, 0) == -errno.EFAULT
    assert [proc.p.files[i] for i in range(4)] == [NULL] * 4  # nothing left behind


def test_large_transfers_go_through_the_bounce_buffer(proc):
    """read/write bigger than a page, a short read from a pipe, nonblocking partial writes."""
    data = bytes((i * 7) % 251 for i in range(3 * 4096 + 123))
    fd = openat(proc, b"/big", O_RDWR | O_CREAT, 0o644)
    assert write(proc, fd, data) == len(data)
    call(sys_rw.sys_lseek, fd, 0, 0)
    assert read(proc, fd, len(data) + 1000) == data
    fds = proc.alloc(8)
    call(sys_fd.sys_pipe2, fds, O_NONBLOCK)
    r, w = struct.unpack("<ii", proc.get(fds, 8))
    assert write(proc, w, data) == len(data)
    assert read(proc, r, 100000) == data  # every chunk after the first is taken without waiting
    assert read(proc, r, 1) == -errno.EAGAIN
    big = b"m" * (70000)
    assert write(proc, w, big) == pipe.PIPE_SIZE  # fills the pipe, then stops short
    assert write(proc, w, b"n") == -errno.EAGAIN
    # Bad user pointers: EFAULT.
    call(sys_rw.sys_lseek, fd, 0, 0)
    assert call(sys_rw.sys_read, fd, BASE - 4096, 10) == -errno.EFAULT
    assert call(sys_rw.sys_write, fd, BASE + PAGES * 4096, 10) == -errno.EFAULT
    assert call(sys_stat.sys_stat, BASE - 1, proc.alloc(144)) == -errno.EFAULT
    assert call(sys_stat.sys_fstat, fd, BASE - 4096) == -errno.EFAULT
    long_path = proc.put(b"a" * 5000)
    assert call(sys_fd.sys_open, long_path, O_RDONLY, 0) == -errno.ENAMETOOLONG


def test_terminal_ioctls(proc):
    ldisc.reset_termios()  # what ldisc.init() does at boot, without the interrupt
    ldisc.winsize.rows = 24
    ldisc.winsize.cols = 80
    fd = openat(proc, b"/dev/console", O_RDWR)
    assert fd >= 0
    termios = proc.alloc(36)
    assert call(sys_fd.sys_ioctl, fd, 0x5401, termios) == 0  # TCGETS
    iflag, oflag, cflag, lflag = struct.unpack("<IIII", proc.get(termios, 16))
    assert lflag & 0o2 and lflag & 0o10  # ICANON, ECHO: a cooked terminal
    assert call(sys_fd.sys_ioctl, fd, 0x5402, termios) == 0  # TCSETS
    ws = proc.alloc(8)
    assert call(sys_fd.sys_ioctl, fd, 0x5413, ws) == 0
    assert struct.unpack("<HH", proc.get(ws, 4)) == (24, 80)
    assert call(sys_fd.sys_ioctl, fd, 0x12345, ws) == -errno.ENOTTY
    f = openat(proc, b"/dev/null", O_RDWR)
    assert call(sys_fd.sys_ioctl, f, 0x5401, termios) == -errno.ENOTTY
    assert poll(proc, [(f, POLLIN | POLLOUT)]) == (1, [POLLIN | POLLOUT])
    assert poll(proc, [(fd, POLLOUT)]) == (1, [POLLOUT])


def test_ppoll_and_pselect6_restore_the_signal_mask_after_the_handler(proc):
    fds = proc.alloc(8)
    call(sys_fd.sys_pipe, fds)
    r, w = struct.unpack("<ii", proc.get(fds, 8))
    sched.current.sig_blocked = u64(0b1010)
    ts = proc.put(struct.pack("<qq", 0, 0))
    mask = proc.put(struct.pack("<Q", 0b0100))
    pfd = proc.put(struct.pack("<ihh", w, POLLOUT, 0))
    assert call(sys_poll.sys_ppoll, pfd, 1, ts, mask, 8) == 1
    assert sched.current.sig_blocked == 0b1010
    assert call(sys_poll.sys_ppoll, pfd, 1, ts, mask, 4) == -errno.EINVAL
    assert call(sys_poll.sys_ppoll, pfd, 1, proc.put(struct.pack("<qq", 0, 1000000000)), 0, 8) == -errno.EINVAL
    # A signal the temporary mask lets through ends the wait at once.
    proc.p.sig_pending = u64(0b0010)
    pfd_r = proc.put(struct.pack("<ihh", r, POLLIN, 0))
    assert call(sys_poll.sys_ppoll, pfd_r, 1, 0, proc.put(struct.pack("<Q", 0)), 8) == -errno.ERESTARTNOHAND
    # The temporary mask stays until the signal is handled; delivery puts the old one back.
    assert sched.current.sig_blocked == 0 and sched.current.restore_sigmask
    assert sched.current.saved_sigmask == 0b1010
    sched.current.sig_blocked = sched.current.saved_sigmask
    sched.current.restore_sigmask = False
    proc.p.sig_pending = 0
    sets = proc.put(struct.pack("<Q", 1 << w))
    arg = proc.put(struct.pack("<QQ", mask, 8))
    assert call(sys_poll.sys_pselect6, w + 1, 0, sets, 0, ts, arg) == 1
    assert proc.get(sets, 8) == struct.pack("<Q", 1 << w)
    assert sched.current.sig_blocked == 0b1010


def poll(proc, entries):
    pfd = proc.put(b"".join(struct.pack("<ihh", fd, ev, 0) for fd, ev in entries))
    n = call(sys_poll.sys_poll, pfd, len(entries), 0)
    raw = proc.get(pfd, 8 * len(entries))
    return n, [struct.unpack_from("<ihh", raw, 8 * i)[2] for i in range(len(entries))]


def select(proc, nfds, readers, writers):
    def fdset(fds):
        bits = 0
        for fd in fds:
            bits |= 1 << fd
        return proc.put(bits.to_bytes(16, "little"))

    rs, ws = fdset(readers), fdset(writers)
    tv = proc.put(struct.pack("<qq", 0, 0))
    n = call(sys_poll.sys_select, nfds, rs, ws, 0, tv)
    if n < 0:
        return n

    def back(a):
        bits = int.from_bytes(proc.get(a, 16), "little")
        return [fd for fd in range(128) if bits >> fd & 1]

    return n, back(rs), back(ws)


def test_search_permission_is_checked_on_every_directory_a_walk_crosses(proc):
    """Linux refuses a path through a directory its caller may not search (no x), whatever the rest
    of the path allows; root may search anything."""
    assert call(sys_names.sys_mkdir, proc.s(b"/locked"), 0o755) == 0
    assert call(sys_names.sys_mkdir, proc.s(b"/locked/inner"), 0o777) == 0
    fd = openat(proc, b"/locked/inner/f", O_WRONLY | O_CREAT, 0o666)
    assert fd >= 0 and call(sys_fd.sys_close, fd) == 0
    assert call(sys_stat.sys_chmod, proc.s(b"/locked"), 0o744) == 0  # r for others, no x
    proc.p.euid = proc.p.uid = u32(1000)
    caps_follow(proc.p)
    proc.p.egid = proc.p.gid = u32(1000)
    assert openat(proc, b"/locked/inner/f", O_RDONLY) == -errno.EACCES
    assert openat(proc, b"/locked/inner/new", O_WRONLY | O_CREAT, 0o644) == -errno.EACCES
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/locked/inner/f")) == -errno.EACCES
    assert call(sys_stat.sys_access, proc.s(b"/locked/inner/f"), 0) == -errno.EACCES
    assert call(sys_dir.sys_chdir, proc.s(b"/locked/inner")) == -errno.EACCES
    assert call(sys_names.sys_mkdir, proc.s(b"/locked/inner/d"), 0o755) == -errno.EACCES
    assert call(sys_names.sys_unlink, proc.s(b"/locked/inner/f")) == -errno.EACCES
    assert call(sys_names.sys_rename, proc.s(b"/locked/inner/f"), proc.s(b"/locked/inner/g")) == -errno.EACCES
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/locked"))["mode"] == S_IFDIR | 0o744  # the directory itself
    # Standing inside (chdir as root, then drop), a relative path does not cross /locked, as on
    # Linux; `..` leads back into it and needs its search permission again.
    proc.p.euid = proc.p.uid = u32(0)
    caps_follow(proc.p)
    assert call(sys_dir.sys_chdir, proc.s(b"/locked/inner")) == 0
    proc.p.euid = proc.p.uid = u32(1000)
    caps_follow(proc.p)
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"f"))["mode"] == S_IFREG | 0o644
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"../inner/f")) == -errno.EACCES
    proc.p.euid = proc.p.uid = u32(0)
    caps_follow(proc.p)
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/locked/inner/f"))["mode"] == S_IFREG | 0o644


def test_rename_checks_the_directory_its_own_walk_resolved(proc, monkeypatch):
    """A rename's permission check and its action use one walk: swapping a symlink between them
    (which a second walk for the check would allow) cannot make it act on a directory it may not
    write. Pinned against the old sys_fs.may_change_dir, which resolved the path a second time."""
    for d in (b"/pub", b"/priv"):
        assert call(sys_names.sys_mkdir, proc.s(d), 0o755) == 0
    assert call(sys_stat.sys_chmod, proc.s(b"/pub"), 0o777) == 0
    fd = openat(proc, b"/pub/x", O_WRONLY | O_CREAT, 0o666)
    assert fd >= 0 and call(sys_fd.sys_close, fd) == 0
    assert call(sys_names.sys_symlink, proc.s(b"/pub"), proc.s(b"/link")) == 0
    proc.p.euid = proc.p.uid = u32(1000)
    caps_follow(proc.p)
    proc.p.egid = proc.p.gid = u32(1000)
    walks = []
    real_resolve = vfs.resolve

    def resolve_then_swap(*args):
        r = real_resolve(*args)
        walks.append(memory.read(args[3].address, 16).split(b"\0")[0])
        if walks[-1] == b"/link/y":  # the new name was resolved: point the link at /priv now
            saved = proc.p.euid
            proc.p.euid = u32(0)
            caps_follow(proc.p)
            assert call(sys_names.sys_unlink, proc.s(b"/link")) == 0
            assert call(sys_names.sys_symlink, proc.s(b"/priv"), proc.s(b"/link")) == 0
            proc.p.euid = saved
            caps_follow(proc.p)
        return r

    monkeypatch.setattr(vfs, "resolve", resolve_then_swap)
    assert call(sys_names.sys_rename, proc.s(b"/pub/x"), proc.s(b"/link/y")) == 0
    monkeypatch.undo()
    assert walks.count(b"/link/y") == 1  # one walk of the new path: the check and the rename share it
    proc.p.euid = proc.p.uid = u32(0)
    caps_follow(proc.p)
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/pub/y"))["mode"] & S_IFMT == S_IFREG
    assert stat_of(proc, sys_stat.sys_stat, proc.s(b"/priv/y")) == -errno.ENOENT


def test_a_write_to_dev_null_does_not_read_the_buffer_as_on_linux(proc):
    """Linux's write_null never touches the caller's buffer: a pointer to nothing is still written
    whole. Only /dev/null: /dev/zero reads its writes' buffers as every other file does."""
    null = openat(proc, b"/dev/null", O_WRONLY)
    zero = openat(proc, b"/dev/zero", O_WRONLY)
    assert call(sys_rw.sys_write, null, 0, 4096) == 4096
    assert call(sys_rw.sys_write, null, 0x7FFF00000000, 1 << 20) == 1 << 20
    assert call(sys_rw.sys_write, null, proc.put(b"x" * 10), 10) == 10
    assert call(sys_rw.sys_write, zero, 0, 4096) == -errno.EFAULT
    reader = openat(proc, b"/dev/null", O_RDONLY)
    assert call(sys_rw.sys_write, reader, 0, 4096) == -errno.EBADF  # still not open for writing


def test_close_range_was_missing_closes_marks_and_checks_its_arguments(proc):
    """close_range was ENOSYS: Python's subprocess calls it in every child it starts."""
    fds = proc.alloc(8)
    assert call(sys_fd.sys_pipe, fds) == 0
    for fd in (10, 11, 20, 40):
        assert call(sys_fd.sys_dup2, 1, fd) == fd
    assert call(sys_fd.sys_close_range, 11, 20, 0) == 0
    assert [call(sys_fd.sys_fcntl, fd, 1) for fd in (10, 11, 20, 40)] == [0, -errno.EBADF, -errno.EBADF, 0]
    assert call(sys_fd.sys_close_range, 10, 40, 4) == 0  # CLOSE_RANGE_CLOEXEC
    assert [call(sys_fd.sys_fcntl, fd, 1) for fd in (10, 40)] == [1, 1]
    assert call(sys_fd.sys_close_range, 20, 10, 0) == -errno.EINVAL
    assert call(sys_fd.sys_close_range, 10, 20, 1) == -errno.EINVAL
    assert call(sys_fd.sys_close_range, 10, 20, 1 << 40) == 0  # flags are an unsigned int: the high bits go
    assert call(sys_fd.sys_close_range, 3, 0xFFFFFFFF, 2) == 0  # CLOSE_RANGE_UNSHARE: the table is its own
    assert [call(sys_fd.sys_fcntl, fd, 1) for fd in (0, 1, 10, 40)] == [0, 0, -errno.EBADF, -errno.EBADF]
    assert call(sys_fd.sys_close_range, 0xFFFFFFFF, 0xFFFFFFFF, 0) == 0  # past every descriptor: nothing


def test_rlimit_fsize_cuts_a_write_then_refuses_it_with_sigxfsz(proc):
    """RLIMIT_FSIZE, as Linux's generic_write_check_limits and inode_newsize_ok: a write that crosses
    the soft limit stops there, one that starts at it is EFBIG and SIGXFSZ; so is truncate beyond it.
    Pipes and other non-regular files are not limited."""
    proc.p.rlimits[sys_rw.RLIMIT_FSIZE].soft = u64(10)
    fd = openat(proc, b"/big", O_WRONLY | O_CREAT, 0o644)
    assert write(proc, fd, b"0123456789abcdef") == 10
    assert int(proc.p.sig_pending) == 0
    assert write(proc, fd, b"x") == -errno.EFBIG
    assert int(proc.p.sig_pending) == 1 << (sys_rw.SIGXFSZ - 1)
    assert write(proc, fd, b"") == 0  # nothing to write: no limit to reach
    assert call(sys_stat.sys_ftruncate, fd, 11) == -errno.EFBIG
    assert call(sys_stat.sys_ftruncate, fd, 10) == 0
    null = openat(proc, b"/dev/null", O_WRONLY)
    assert write(proc, null, b"0123456789abcdef") == 16


def test_rlimit_as_and_data_bound_mmap_and_brk(proc):
    """RLIMIT_AS counts every mapping, RLIMIT_DATA the private writable ones but the stack (Linux's
    may_expand_vm); what a MAP_FIXED mapping replaces is not counted twice."""
    s, rw, anon = proc.space, uspace.PROT_READ | uspace.PROT_WRITE, sys_mm.MAP_PRIVATE | sys_mm.MAP_ANONYMOUS
    whole = int(sys_mm.vm_bytes(s, u64(0), u64(uspace.USER_TOP), False))
    proc.p.rlimits[sys_mm.RLIMIT_AS].soft = u64(whole + 2 * 4096)
    assert sys_mm.do_mmap(u64(0), u64(3 * 4096), u32(rw), u32(anon), i64(-1), u64(0)) == -errno.ENOMEM
    a = int(sys_mm.do_mmap(u64(0), u64(2 * 4096), u32(rw), u32(anon), i64(-1), u64(0)))
    assert a > 0
    fixed = anon | sys_mm.MAP_FIXED
    assert sys_mm.do_mmap(u64(a), u64(2 * 4096), u32(rw), u32(fixed), i64(-1), u64(0)) == a  # a replacement
    proc.p.rlimits[sys_mm.RLIMIT_AS].soft = u64(process.RLIM_INFINITY)
    proc.p.rlimits[sys_mm.RLIMIT_DATA].soft = u64(whole + 3 * 4096)
    assert sys_mm.do_mmap(u64(0), u64(4 * 4096), u32(uspace.PROT_READ), u32(anon), i64(-1), u64(0)) > 0  # not data
    assert sys_mm.do_mmap(u64(0), u64(2 * 4096), u32(rw), u32(anon), i64(-1), u64(0)) == -errno.ENOMEM
    s.brk_start = s.brk = u64(0x10000000)
    assert call(sys_mm.sys_brk, 0x10000000 + 2 * 4096) == 0x10000000  # past RLIMIT_DATA: the break stays
    assert call(sys_mm.sys_brk, 0x10000000 + 4096) == 0x10000000 + 4096


def test_rlimit_cpu_sends_sigxcpu_each_second_past_the_soft_limit_and_sigkill_at_the_hard(proc):
    p, t = proc.p, sched.current
    p.rlimits[signal.RLIMIT_CPU].soft, p.rlimits[signal.RLIMIT_CPU].hard = u64(1), u64(3)
    for ticks, pending in ((99, 0), (100, signal.SIGXCPU), (150, 0), (200, signal.SIGXCPU), (300, signal.SIGKILL)):
        t.user_ticks = u64(ticks)
        p.sig_pending = u64(0)
        signal.cpu_charged(t)
        assert int(p.sig_pending) == (1 << (pending - 1) if pending else 0), ticks
