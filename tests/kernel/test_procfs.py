"""procfs under CPython: /proc mounted on a memfs root, a few processes from process.allocate (some in
containers, one a zombie) with descriptors from file.open; what each process sees in /proc, the links
self, exe, cwd, root and fd/N, and the errors of missing pids and descriptors."""
import pytest

from cyrius.kernel import errno
from cyrius.kernel.fs import file, memfs, procfs, vfs
from cyrius.kernel.mm import frames, uspace
from cyrius.kernel.proc import process, sched, task
from cyrius.lang import NULL, Array, Ptr, addr, i32, memory, u8, u32, u64, usize

C1, C2 = 0x1000, 0x2000  # container objects (only compared by procfs)


def kstr(text: bytes) -> Ptr:
    a = memory.alloc(len(text) + 1)
    memory.write(a, text + b"\0")
    return Ptr[u8](a)


class World:
    def __init__(self):
        vfs.init(NULL)
        uspace.init()  # memfs keeps file data in frames uspace tracks (as kernel_main sets up)
        memfs.init()
        self.root = memfs.new_root()
        for d in (b"/proc", b"/tmp", b"/srv", b"/srv/c1", b"/srv/c1/work", b"/srv/c1/proc"):
            assert vfs.mkdir(vfs.as_kernel(), self.root, self.root, kstr(d), u32(0o755)) == 0
        c1 = self.lookup(b"/srv/c1")
        for world, where in ((self.root, b"/proc"), (c1, b"/srv/c1/proc")):  # one procfs per world, as made
            mp = self.lookup(where)
            proc_fs = procfs.new_root()
            assert vfs.mount(world, mp, proc_fs, u32(0), kstr(b"proc"), kstr(b"proc"), kstr(where)) == 0
            vfs.put(proc_fs)
            vfs.put(mp)
        process.table = NULL
        process.next_pid = u32(1)
        sched.all_tasks = NULL
        self.host = self.spawn(NULL, 0)  # pid 1, the host world
        self.host.root = vfs.get(self.root)
        self.host.world = self.root  # whose mounts it sees, as process.init_host sets it
        self.host.cwd = self.lookup(b"/tmp")
        self.a = self.spawn(self.host, 0)  # 2
        self.b = self.spawn(self.host, 0)  # 3
        self.c1 = self.spawn(self.host, C1)  # 4, whose root is /srv/c1
        vfs.put(self.c1.root)
        vfs.put(self.c1.cwd)
        self.c1.root = self.lookup(b"/srv/c1")
        self.c1.world = self.c1.root  # a container's world is its root, as launch.start sets it
        self.c1.cwd = self.lookup(b"/srv/c1/work")
        self.c1_child = self.spawn(self.c1, 0)  # 5: inherits the container, root and cwd
        self.c2 = self.spawn(self.host, C2)  # 6
        self.zombie = self.spawn(self.host, 0)  # 7
        self.zombie.state = u32(task.PROC_ZOMBIE)

    @staticmethod
    def spawn(parent, container: int):
        p = process.allocate(parent)
        t = sched.new_task()
        assert p != NULL and t != NULL
        process.attach_leader(p, t)
        if container:
            p.container = u64(container)
        return p

    def lookup(self, path: bytes, who=None, follow: bool = True):
        node = self.try_lookup(path, who, follow)
        assert not isinstance(node, int), (path, node)
        return node

    def try_lookup(self, path: bytes, who=None, follow: bool = True):
        """The inode (one reference) or -errno, resolving as `who` would (the caller of procfs)."""
        root, cwd = (self.root, self.root) if who is None else (who.root, who.cwd)
        if who is not None:
            sched.current = who.task
        slot = Array[Ptr[vfs.Inode], 1]()
        r = int(vfs.lookup_path(vfs.as_kernel(), root, cwd, kstr(path), follow, addr(slot)))
        return r if r < 0 else slot[0]

    def readlink(self, who, path: bytes) -> bytes | int:
        node = self.try_lookup(path, who, False)
        if isinstance(node, int):
            return node
        buf = memory.alloc(512)
        r = int(vfs.read_link(node, Ptr[u8](buf), usize(512)))
        vfs.put(node)
        return r if r < 0 else memory.read(buf, r)

    def listing(self, who, path: bytes) -> list[bytes]:
        sched.current = who.task
        slot = Array[Ptr[file.File], 1]()
        flags = file.O_RDONLY | file.O_DIRECTORY
        assert file.open(vfs.as_kernel(), who.root, who.cwd, kstr(path), u32(flags), u32(0), addr(slot)) == 0
        entry = vfs.DirEntry()
        names = []
        while file.next_entry(slot[0], addr(entry)) > 0:
            names.append(bytes(entry.name[i] for i in range(int(entry.name_len))))
            assert len(names) < 100
        file.close(slot[0])
        return names

    def open_fd(self, p, path: bytes, flags: int, fd: int) -> None:
        slot = Array[Ptr[file.File], 1]()
        assert file.open(vfs.as_kernel(), p.root, p.cwd, kstr(path), u32(flags), u32(0o644), addr(slot)) == 0
        assert process.fd_install(p, slot[0], False, fd) == fd

    def read(self, who, path: bytes) -> bytes:
        sched.current = who.task
        slot = Array[Ptr[file.File], 1]()
        assert file.open(vfs.as_kernel(), who.root, who.cwd, kstr(path), u32(file.O_RDONLY), u32(0), addr(slot)) == 0
        buf = memory.alloc(2048)
        n = int(file.read(slot[0], Ptr[u8](buf), usize(2048)))
        file.close(slot[0])
        assert n >= 0
        return memory.read(buf, n)


@pytest.fixture
def world(machine):
    w = World()
    for p in (w.host, w.a, w.b, w.c1, w.c1_child, w.c2):
        p.rlimits[process.RLIMIT_NOFILE].soft = u64(task.MAX_FDS)
    yield w
    sched.current = NULL


def pids(names: list[bytes]) -> list[int]:
    return sorted(int(n) for n in names if n.isdigit())


def test_each_world_lists_its_own_processes(world):
    names = world.listing(world.host, b"/proc")
    assert names[:3] == [b".", b"..", b"self"]
    assert names[3:9] == [b"meminfo", b"uptime", b"loadavg", b"stat", b"mounts", b"version"]
    assert pids(names) == [1, 2, 3, 4, 5, 6]  # the host sees every live process, no zombie
    assert len(names) == 3 + 6 + 6  # each once
    assert pids(world.listing(world.c1, b"/proc")) == [4, 5]  # its root is /srv/c1, where proc is mounted too
    assert pids(world.listing(world.c1_child, b"/proc")) == [4, 5]
    assert pids(world.listing(world.c2, b"/proc")) == [6]


def test_a_listing_resumes_where_it_stopped(world):
    """getdents64 continues from each entry's cookie: every process once, in pid order."""
    sched.current = world.host.task
    node = world.lookup(b"/proc")
    entry = vfs.DirEntry()
    cookie, seen = 0, []
    while procfs.readdir(node, u64(cookie), addr(entry)) > 0:
        seen.append(bytes(entry.name[i] for i in range(int(entry.name_len))))
        assert entry.next_cookie > cookie
        cookie = int(entry.next_cookie)
    vfs.put(node)
    assert seen == [b".", b"..", b"self", b"meminfo", b"uptime", b"loadavg", b"stat", b"mounts", b"version",
                    b"1", b"2", b"3", b"4", b"5", b"6"]


def test_mounts_lists_only_the_callers_world(world):
    host = world.read(world.host, b"/proc/mounts").decode().splitlines()
    inside = world.read(world.c1, b"/proc/mounts").decode().splitlines()
    assert host[0] == inside[0] == "rootfs / rootfs rw 0 0"
    assert host[1:] == ["proc /proc proc rw 0 0"]  # a container's mounts are its own world's
    assert inside[1:] == ["proc /proc proc rw 0 0"]  # its own proc, by its own path; never the host's


def test_loadavg_and_meminfo_report_the_scheduler_and_the_frames(world):
    sched.load[0] = u64(sched.LOAD_ONE * 3 // 2)  # 1.50
    sched.load[1] = sched.load[2] = u64(0)
    fields = world.read(world.host, b"/proc/loadavg").decode().split()
    assert fields[:3] == ["1.50", "0.00", "0.00"]
    assert fields[4] == str(int(process.next_pid) - 1)
    meminfo = dict(line.split(":") for line in world.read(world.host, b"/proc/meminfo").decode().splitlines())
    assert meminfo["MemTotal"].split() == [str(int(frames.usable_frames) * 4), "kB"]
    free_kb = int(meminfo["MemFree"].split()[0])
    assert int(frames.free_frames) * 4 - free_kb == 4  # less the page the read rendered into


def test_self_names_the_callers_pid(world):
    assert world.readlink(world.host, b"/proc/self") == b"1"
    assert world.readlink(world.b, b"/proc/self") == b"3"
    assert world.readlink(world.c1_child, b"/proc/self") == b"5"
    node = world.lookup(b"/proc/self/fd", world.b)  # followed: /proc/3/fd
    assert procfs.kind_of(node) == procfs.FD_DIR and procfs.pid_of(node) == 3
    vfs.put(node)


def test_exe_cwd_and_root_links(world):
    name = b"/bin/prog"
    memory.write(int(addr(world.a.exe).address), name + b"\0")  # what exec records
    assert world.readlink(world.host, b"/proc/2/exe") == b"/bin/prog"
    assert world.readlink(world.a, b"/proc/self/exe") == b"/bin/prog"
    assert world.readlink(world.host, b"/proc/3/exe") == -errno.ENOENT  # runs no program
    assert world.readlink(world.host, b"/proc/2/cwd") == b"/tmp"
    assert world.readlink(world.host, b"/proc/1/root") == b"/"
    # Seen from inside the container, paths are relative to the container's root.
    assert world.readlink(world.c1, b"/proc/5/cwd") == b"/work"
    assert world.readlink(world.host, b"/proc/4/cwd") == b"/work"  # the process's own root, as Linux
    assert world.readlink(world.c1, b"/proc/4/root") == b"/"
    node = world.lookup(b"/proc/2/cwd", world.host)  # following the link lands in the directory itself
    tmp = world.lookup(b"/tmp")
    assert node == tmp
    vfs.put(node)
    vfs.put(tmp)


def test_fd_directory_and_links(world):
    assert vfs.mkdir(vfs.as_kernel(), world.root, world.root, kstr(b"/tmp/sub"), u32(0o755)) == 0
    world.open_fd(world.a, b"/tmp/sub", file.O_RDONLY | file.O_DIRECTORY, 3)
    world.open_fd(world.a, b"/tmp/data", file.O_RDWR | file.O_CREAT, 0)
    world.open_fd(world.a, b"/tmp", file.O_RDONLY, 17)
    assert pids(world.listing(world.host, b"/proc/2/fd")) == [0, 3, 17]
    assert world.readlink(world.host, b"/proc/2/fd/3") == b"/tmp/sub"
    assert world.readlink(world.a, b"/proc/self/fd/17") == b"/tmp"
    assert world.readlink(world.host, b"/proc/2/fd/4") == -errno.ENOENT
    assert world.readlink(world.host, b"/proc/3/fd/0") == -errno.ENOENT  # b has no descriptors
    assert process.fd_close(world.a, 3) == 0
    assert world.readlink(world.host, b"/proc/2/fd/3") == -errno.ENOENT
    assert pids(world.listing(world.host, b"/proc/2/fd")) == [0, 17]
    assert sorted(world.listing(world.host, b"/proc/2")) == \
        sorted([b".", b"..", b"cwd", b"exe", b"fd", b"root", b"stat", b"status", b"cmdline", b"comm", b"task",
                    b"maps", b"oom_score_adj"])


def test_fd_link_of_a_regular_file_names_the_file(world):
    world.open_fd(world.a, b"/tmp/data", file.O_RDWR | file.O_CREAT, 0)
    assert world.readlink(world.host, b"/proc/2/fd/0") == b"/tmp/data"


def test_missing_and_hidden_entries_are_enoent(world):
    host = world.host
    for path in (b"/proc/99", b"/proc/0", b"/proc/abc", b"/proc/2x", b"/proc/12345678901", b"/proc/7",
                 b"/proc/2/nothing", b"/proc/2/fd/9", b"/proc/2/fd/x", b"/proc/2/fd/-1", b"/proc/99/exe"):
        assert world.try_lookup(path, host, False) == -errno.ENOENT, path
    assert world.try_lookup(b"/proc/4", world.c2, False) == -errno.ENOENT  # another container's process
    assert world.try_lookup(b"/proc/6/cwd", world.c1, False) == -errno.ENOENT
    assert world.try_lookup(b"/proc/1", world.c1, False) == -errno.ENOENT  # not even the host process
    assert not isinstance(world.try_lookup(b"/proc/4", host, False), int)  # the host sees into containers
    # An inode looked up while the process lived goes stale when it exits.
    node = world.lookup(b"/proc/3", host)
    world.b.state = u32(task.PROC_ZOMBIE)
    slot = Array[Ptr[vfs.Inode], 1]()
    assert procfs.lookup(node, kstr(b"exe"), usize(3), addr(slot)) == -errno.ENOENT
    assert world.readlink(host, b"/proc/3/cwd") == -errno.ENOENT
    vfs.put(node)


def test_status_stat_and_cmdline(world):
    p = world.a
    memory.write(int(addr(p.name).address), b"worker\0")
    memory.write(int(addr(p.cmdline).address), b"worker\0-v\0")
    p.cmdline_len = u32(10)
    p.pgid = u32(2)
    p.sid = u32(1)
    p.task.state = u32(task.TASK_RUNNABLE)
    assert world.read(world.host, b"/proc/2/cmdline") == b"worker\0-v\0"
    status = world.read(world.host, b"/proc/2/status").decode()
    fields = dict(line.split(":\t", 1) for line in status.splitlines())
    assert (fields["Name"], fields["Pid"], fields["PPid"]) == ("worker", "2", "1")
    stat = world.read(world.host, b"/proc/2/stat").split()
    assert stat[:6] == [b"2", b"(worker)", b"R", b"1", b"2", b"1"]
    assert stat[19] == b"1"  # num_threads
    p.task.state = u32(task.TASK_BLOCKED)
    assert world.read(world.host, b"/proc/2/stat").split()[2] == b"S"  # sleeping


def test_status_shows_credentials_capabilities_and_oom_score_adj(world):
    p = world.a
    p.uid, p.euid, p.suid, p.gid, p.egid, p.sgid = u32(1000), u32(0), u32(7), u32(100), u32(100), u32(5)
    p.groups[0], p.groups[1], p.group_count = u32(10), u32(20), u32(2)
    p.cap_inheritable, p.cap_permitted, p.cap_effective = u64(0), u64(0x1ffffffffff), u64(0x400)
    p.cap_bounding, p.cap_ambient, p.no_new_privs = u64(0xa80425fb), u64(0), True
    fields = dict(line.split(":\t", 1) for line in world.read(world.host, b"/proc/2/status").decode().splitlines())
    assert (fields["Uid"], fields["Gid"], fields["Groups"]) == ("1000\t0\t7\t0", "100\t100\t5\t100", "10 20 ")
    assert (fields["CapInh"], fields["CapPrm"], fields["CapEff"], fields["CapBnd"], fields["CapAmb"]) == \
        ("0000000000000000", "000001ffffffffff", "0000000000000400", "00000000a80425fb", "0000000000000000")
    assert fields["NoNewPrivs"] == "1"
    assert world.read(world.host, b"/proc/2/oom_score_adj") == b"0\n"
    p.oom_score_adj = i32(-500)
    assert world.read(world.host, b"/proc/2/oom_score_adj") == b"-500\n"


def test_stat_has_linuxs_52_fields(world):
    assert len(world.read(world.host, b"/proc/2/stat").split()) == 52
