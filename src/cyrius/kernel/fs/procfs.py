"""procfs: the processes as files, the part Linux programs rely on.

    /proc/self        -> the caller's pid
    /proc/PID/exe     -> the program the process runs (path inside its root)
    /proc/PID/cwd     -> its working directory
    /proc/PID/root    -> /
    /proc/PID/fd/N    -> what descriptor N refers to
    /proc/PID/stat, status, cmdline, comm   what ps and top read
    /proc/PID/maps    its mappings (glibc finds the main thread's stack there)
    /proc/PID/task/TID/stat, status, comm  each thread
    /proc/meminfo, uptime, loadavg, stat, mounts, version   what free, uptime, top, df and mount read

Inodes are made on lookup and freed with their last reference; the inode number encodes what
the inode is (pid, kind, and the fd or tid), and each holds a reference to the root of the /proc it was found in
(each mount has its own), so that `..` leads back to that root and on out of the mount. A process
inside a container sees only its container's processes.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, u8, u32, u64, usize
from cyrius.rt import fmt_u64, memcpy

from ..platform import clock
from .. import errno, version
from ..mm import frames, phys, uspace
from ..proc import process, sched, task
from ..proc.task import Process
from ..lib import cstr
from . import file, vfs

ROOT: Final = 1
SELF: Final = 2
PID_DIR: Final = 3
EXE: Final = 4
CWD: Final = 5
ROOT_LINK: Final = 6
FD_DIR: Final = 7
FD_LINK: Final = 8
STAT: Final = 9
STATUS: Final = 10
CMDLINE: Final = 11
# Files of /proc itself, in the order readdir lists them.
MEMINFO: Final = 12
UPTIME: Final = 13
LOADAVG: Final = 14
SYSTEM_STAT: Final = 15
MOUNTS: Final = 16
VERSION: Final = 17
FIRST_SYSTEM_FILE: Final = MEMINFO
SYSTEM_FILES: Final = 6
COMM: Final = 18
TASK_DIR: Final = 19
TID_DIR: Final = 20
TID_STAT: Final = 21  # the thread's own files: the tid is where an fd would be
TID_STATUS: Final = 22
TID_COMM: Final = 23
MAPS: Final = 24
MAPS_PAGES: Final = 8  # /proc/PID/maps is rendered into 32 KiB: ~500 mappings
OOM_SCORE_ADJ: Final = 25  # process.oomScoreAdj, shown (the OOM killer does not weigh it)
FIRST_PID_COOKIE: Final = 3 + SYSTEM_FILES  # readdir of /proc: ".", "..", "self", the files, then pids
TEXT_CAP: Final = 4096  # a rendered file is at most one page
PID_SHIFT: Final = 32
KIND_SHIFT: Final = 24
FD_MASK: Final = 0xFFFFFF

ops: vfs.InodeOps = vfs.InodeOps()
dev: u64 = 0


def ino_of(pid: u32, kind: u32, fd: u32) -> u64:
    return (u64(pid) << PID_SHIFT) | (u64(kind) << KIND_SHIFT) | u64(fd)


def kind_of(node: Ptr[vfs.Inode]) -> u32:
    return u32((node.ino >> KIND_SHIFT) & 0xFF)


def pid_of(node: Ptr[vfs.Inode]) -> u32:
    return u32(node.ino >> PID_SHIFT)


def fd_of(node: Ptr[vfs.Inode]) -> u32:
    return u32(node.ino & FD_MASK)


def visible(p: Ptr[Process]) -> bool:
    """Processes of the caller's pid namespace (all of them for the host world). Nodes name
    processes and threads by kernel-wide ids; names and contents show the reader's numbers."""
    return p.state == task.PROC_ALIVE and process.sees(process.current(), p)


def target(node: Ptr[vfs.Inode]) -> Ptr[Process]:
    p: Ptr[Process] = process.find(pid_of(node))
    if p == NULL or not visible(p):
        return NULL
    return p


def root_of(node: Ptr[vfs.Inode]) -> Ptr[vfs.Inode]:
    if node.private == NULL:
        return node  # a root
    return cast(Ptr[vfs.Inode], node.private)


def make(dir: Ptr[vfs.Inode], kind: u32, pid: u32, fd: u32, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The inode of what `kind, pid, fd` says, found in dir (NULL: a new /proc root)."""
    mode: u32 = u32(vfs.S_IFDIR | 0o555)
    if kind == SELF or kind == EXE or kind == CWD or kind == ROOT_LINK or kind == FD_LINK:
        mode = u32(vfs.S_IFLNK | 0o777)
    node: Ptr[vfs.Inode] = vfs.new_inode(addr(ops), mode, ino_of(pid, kind, fd), dev)
    if node == NULL:
        return -errno.ENOMEM
    if is_text(kind):
        node.mode = u32(vfs.S_IFREG | 0o444)
    if (mode & vfs.S_IFMT) == vfs.S_IFDIR:
        node.nlink = 2
    if dir != NULL:
        node.private = cast(Ptr[None], vfs.get(root_of(dir)))
    out[0] = node
    return 0


def is_text(kind: u32) -> bool:
    return (kind == STAT or kind == STATUS or kind == CMDLINE or kind == COMM or kind == TID_STAT
            or kind == TID_STATUS or kind == TID_COMM or kind == MAPS or kind == OOM_SCORE_ADJ
            or is_system_file(kind))


def is_system_file(kind: u32) -> bool:
    return kind >= FIRST_SYSTEM_FILE and kind < FIRST_SYSTEM_FILE + SYSTEM_FILES


def system_file_name(kind: u32) -> Ptr[u8]:
    if kind == MEMINFO:
        return b"meminfo"
    if kind == UPTIME:
        return b"uptime"
    if kind == LOADAVG:
        return b"loadavg"
    if kind == SYSTEM_STAT:
        return b"stat"
    if kind == MOUNTS:
        return b"mounts"
    return b"version"


def parse_number(name: Ptr[u8], length: usize) -> i64:
    if length == 0 or length > 9:
        return -1
    n: i64 = 0
    for i in range(length):
        if name[i] < ord("0") or name[i] > ord("9"):
            return -1
        n = n * 10 + i64(name[i] - 0x30)
    return n


def lookup(dir: Ptr[vfs.Inode], name: Ptr[u8], length: usize, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    kind: u32 = kind_of(dir)
    if cstr.is_name(name, length, b".."):
        if kind == FD_DIR or kind == TASK_DIR:
            return make(dir, u32(PID_DIR), pid_of(dir), u32(0), out)
        if kind == TID_DIR:
            return make(dir, u32(TASK_DIR), pid_of(dir), u32(0), out)
        out[0] = vfs.get(root_of(dir))  # the mounted root itself: the VFS takes `..` on out of the mount
        return 0
    if kind == ROOT:
        if cstr.is_name(name, length, b"self"):
            return make(dir, u32(SELF), u32(0), u32(0), out)
        for kind_i in range(FIRST_SYSTEM_FILE, FIRST_SYSTEM_FILE + SYSTEM_FILES):
            if cstr.is_name(name, length, system_file_name(u32(kind_i))):
                return make(dir, u32(kind_i), u32(0), u32(0), out)
        pid: i64 = parse_number(name, length)
        if pid <= 0:
            return -errno.ENOENT
        p: Ptr[Process] = process.find_visible(process.current(), u32(pid))
        if p == NULL or not visible(p):
            return -errno.ENOENT
        return make(dir, u32(PID_DIR), p.pid, u32(0), out)
    p2: Ptr[Process] = target(dir)
    if p2 == NULL:
        return -errno.ENOENT
    if kind == PID_DIR:
        if cstr.is_name(name, length, b"exe"):
            return make(dir, u32(EXE), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"cwd"):
            return make(dir, u32(CWD), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"root"):
            return make(dir, u32(ROOT_LINK), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"fd"):
            return make(dir, u32(FD_DIR), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"stat"):
            return make(dir, u32(STAT), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"status"):
            return make(dir, u32(STATUS), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"cmdline"):
            return make(dir, u32(CMDLINE), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"comm"):
            return make(dir, u32(COMM), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"maps"):
            return make(dir, u32(MAPS), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"task"):
            return make(dir, u32(TASK_DIR), p2.pid, u32(0), out)
        if cstr.is_name(name, length, b"oom_score_adj"):
            return make(dir, u32(OOM_SCORE_ADJ), p2.pid, u32(0), out)
        return -errno.ENOENT
    if kind == TASK_DIR:
        tid: i64 = parse_number(name, length)
        named: Ptr[task.Task] = process.find_thread_visible(process.current(), u32(tid)) if tid > 0 else NULL
        if named == NULL or named.process != p2:
            return -errno.ENOENT
        return make(dir, u32(TID_DIR), p2.pid, named.tid, out)
    if kind == TID_DIR:
        if thread_of(p2, fd_of(dir)) == NULL:
            return -errno.ENOENT
        if cstr.is_name(name, length, b"stat"):
            return make(dir, u32(TID_STAT), p2.pid, fd_of(dir), out)
        if cstr.is_name(name, length, b"status"):
            return make(dir, u32(TID_STATUS), p2.pid, fd_of(dir), out)
        if cstr.is_name(name, length, b"comm"):
            return make(dir, u32(TID_COMM), p2.pid, fd_of(dir), out)
        return -errno.ENOENT
    if kind == FD_DIR:
        fd: i64 = parse_number(name, length)
        if fd < 0 or process.fd_get(p2, fd) == NULL:
            return -errno.ENOENT
        return make(dir, u32(FD_LINK), p2.pid, u32(fd), out)
    return -errno.ENOTDIR


def thread_of(p: Ptr[Process], tid: u32) -> Ptr[task.Task]:
    t: Ptr[task.Task] = p.threads
    while t != NULL and t.tid != tid:
        t = t.group_next
    return t


def put_text(buf: Ptr[u8], cap: usize, text: Ptr[u8]) -> i64:
    n: usize = 0
    while text[n] != 0 and n < cap:
        buf[n] = text[n]
        n += 1
    return i64(n)


def put_decimal(buf: Ptr[u8], cap: usize, value: u64) -> i64:
    return i64(fmt_u64(buf, cap, value, u32(10), u32(0), u8(0x20)))


def path_into(p: Ptr[Process], node: Ptr[vfs.Inode], buf: Ptr[u8], cap: usize) -> i64:
    text: Array[u8, 1024] = Array[u8, 1024]()
    r: i64 = vfs.path_of(p.world, p.root, node, addr(text), usize(1024))
    if r < 0:
        return put_text(buf, cap, b"anon_inode:[pipe]")  # not in the tree: a pipe or a deleted file
    return put_text(buf, cap, addr(text))


def file_path(p: Ptr[Process], f: Ptr[file.File], buf: Ptr[u8], cap: usize) -> i64:
    """What fd/N shows: the path the file was opened by, seen from p's root; pipe:[N] and
    socket:[N] for those."""
    kind: u32 = f.inode.mode & vfs.S_IFMT
    if kind == vfs.S_IFIFO or kind == vfs.S_IFSOCK:
        at: usize = usize(put_text(buf, cap, b"pipe:[" if kind == vfs.S_IFIFO else b"socket:["))
        at += usize(put_decimal(buf + at, cap - at, f.inode.ino))
        return i64(at) + put_text(buf + at, cap - at, b"]")
    if f.parent == NULL and f.name_len > 0:  # in no directory: the name it was made with (memfd)
        memcpy(cast(Ptr[None], buf), cast(Ptr[None], addr(f.name)), f.name_len if f.name_len < cap else cap)
        return i64(f.name_len if f.name_len < cap else cap)
    if f.parent == NULL or vfs.is_dir(f.inode):
        return path_into(p, f.inode, buf, cap)
    text: Array[u8, 1024] = Array[u8, 1024]()
    n: i64 = vfs.path_of(p.world, p.root, f.parent, addr(text), usize(1024 - 258))
    if n < 0:
        return n
    at2: usize = usize(n)
    if at2 != 1:
        text[at2] = ord("/")
        at2 += 1
    memcpy(cast(Ptr[None], addr(text) + at2), cast(Ptr[None], addr(f.name)), f.name_len)
    text[at2 + f.name_len] = 0
    return put_text(buf, cap, addr(text))


def readlink(node: Ptr[vfs.Inode], buf: Ptr[u8], cap: usize) -> i64:
    kind: u32 = kind_of(node)
    if kind == SELF:
        return put_decimal(buf, cap, u64(process.current().vpid))
    if kind == ROOT_LINK:
        return put_text(buf, cap, b"/")
    p: Ptr[Process] = target(node)
    if p == NULL:
        return -errno.ENOENT
    if kind == EXE:
        if p.exe[0] == 0:
            return -errno.ENOENT  # a kernel-only process runs no program
        return put_text(buf, cap, addr(p.exe))
    if kind == CWD:
        return path_into(p, p.cwd, buf, cap)
    if kind == FD_LINK:
        f: Ptr[file.File] = process.fd_get(p, i64(fd_of(node)))
        if f == NULL:
            return -errno.ENOENT
        return file_path(p, f, buf, cap)
    return -errno.EINVAL


def entry(out: Ptr[vfs.DirEntry], ino: u64, dtype: u32, name: Ptr[u8], next_cookie: u64) -> i64:
    n: u32 = 0
    while name[n] != 0:
        out.name[n] = name[n]
        n += 1
    out.name[n] = 0
    out.name_len = u8(n)
    out.ino = ino
    out.type = u8(dtype)
    out.next_cookie = next_cookie
    return 1


def number_entry(out: Ptr[vfs.DirEntry], ino: u64, dtype: u32, value: u64, next_cookie: u64) -> i64:
    text: Array[u8, 24] = Array[u8, 24]()
    n: i64 = put_decimal(addr(text), usize(23), value)
    text[n] = 0
    return entry(out, ino, dtype, addr(text), next_cookie)


def readdir(dir: Ptr[vfs.Inode], cookie: u64, out: Ptr[vfs.DirEntry]) -> i64:
    kind: u32 = kind_of(dir)
    if cookie == 0:
        return entry(out, dir.ino, u32(vfs.DT_DIR), b".", u64(1))
    if cookie == 1:
        return entry(out, ino_of(u32(0), u32(ROOT), u32(0)), u32(vfs.DT_DIR), b"..", u64(2))
    if kind == ROOT:
        if cookie == 2:
            return entry(out, ino_of(u32(0), u32(SELF), u32(0)), u32(vfs.DT_LNK), b"self", u64(3))
        if cookie < FIRST_PID_COOKIE:
            kind_c: u32 = u32(FIRST_SYSTEM_FILE + cookie - 3)
            return entry(out, ino_of(u32(0), kind_c, u32(0)), u32(vfs.DT_REG), system_file_name(kind_c), cookie + 1)
        # Then the processes, by pid: the cookie is the last pid shown + FIRST_PID_COOKIE.
        best: Ptr[Process] = NULL
        p: Ptr[Process] = process.table
        while p != NULL:
            if u64(p.pid) + FIRST_PID_COOKIE > cookie and visible(p) and (best == NULL or p.pid < best.pid):
                best = p
            p = p.next_in_table
        if best == NULL:
            return 0
        return number_entry(out, ino_of(best.pid, u32(PID_DIR), u32(0)), u32(vfs.DT_DIR),
                            u64(process.pid_of(process.current(), best)), u64(best.pid) + FIRST_PID_COOKIE)
    q: Ptr[Process] = target(dir)
    if q == NULL:
        return 0
    if kind == PID_DIR:
        if cookie == 2:
            return entry(out, ino_of(q.pid, u32(CWD), u32(0)), u32(vfs.DT_LNK), b"cwd", u64(3))
        if cookie == 3:
            return entry(out, ino_of(q.pid, u32(EXE), u32(0)), u32(vfs.DT_LNK), b"exe", u64(4))
        if cookie == 4:
            return entry(out, ino_of(q.pid, u32(FD_DIR), u32(0)), u32(vfs.DT_DIR), b"fd", u64(5))
        if cookie == 5:
            return entry(out, ino_of(q.pid, u32(ROOT_LINK), u32(0)), u32(vfs.DT_LNK), b"root", u64(6))
        if cookie == 6:
            return entry(out, ino_of(q.pid, u32(STAT), u32(0)), u32(vfs.DT_REG), b"stat", u64(7))
        if cookie == 7:
            return entry(out, ino_of(q.pid, u32(STATUS), u32(0)), u32(vfs.DT_REG), b"status", u64(8))
        if cookie == 8:
            return entry(out, ino_of(q.pid, u32(CMDLINE), u32(0)), u32(vfs.DT_REG), b"cmdline", u64(9))
        if cookie == 9:
            return entry(out, ino_of(q.pid, u32(COMM), u32(0)), u32(vfs.DT_REG), b"comm", u64(10))
        if cookie == 10:
            return entry(out, ino_of(q.pid, u32(TASK_DIR), u32(0)), u32(vfs.DT_DIR), b"task", u64(11))
        if cookie == 11:
            return entry(out, ino_of(q.pid, u32(MAPS), u32(0)), u32(vfs.DT_REG), b"maps", u64(12))
        if cookie == 12:
            return entry(out, ino_of(q.pid, u32(OOM_SCORE_ADJ), u32(0)), u32(vfs.DT_REG), b"oom_score_adj",
                         u64(13))
        return 0
    if kind == TASK_DIR:
        # By tid: the cookie is the last tid shown + 2.
        first: Ptr[task.Task] = NULL
        t: Ptr[task.Task] = q.threads
        while t != NULL:
            if u64(t.tid) + 2 > cookie and (first == NULL or t.tid < first.tid):
                first = t
            t = t.group_next
        if first == NULL:
            return 0
        return number_entry(out, ino_of(q.pid, u32(TID_DIR), first.tid), u32(vfs.DT_DIR),
                            u64(process.tid_of(process.current(), first)), u64(first.tid) + 2)
    if kind == TID_DIR:
        tid: u32 = fd_of(dir)
        if cookie == 2:
            return entry(out, ino_of(q.pid, u32(TID_STAT), tid), u32(vfs.DT_REG), b"stat", u64(3))
        if cookie == 3:
            return entry(out, ino_of(q.pid, u32(TID_STATUS), tid), u32(vfs.DT_REG), b"status", u64(4))
        if cookie == 4:
            return entry(out, ino_of(q.pid, u32(TID_COMM), tid), u32(vfs.DT_REG), b"comm", u64(5))
        return 0
    fd: u64 = cookie - 2
    while fd < task.MAX_FDS:
        if q.files[fd] != NULL:
            return number_entry(out, ino_of(q.pid, u32(FD_LINK), u32(fd)), u32(vfs.DT_LNK), fd, fd + 3)
        fd += 1
    return 0


def add_text(buf: Ptr[u8], at: usize, text: Ptr[u8]) -> usize:
    return at + usize(put_text(buf + at, usize(TEXT_CAP) - at, text))


def add_number(buf: Ptr[u8], at: usize, value: u64) -> usize:
    return at + usize(put_decimal(buf + at, usize(TEXT_CAP) - at, value))


def state_name(p: Ptr[Process], t: Ptr[task.Task]) -> Ptr[u8]:
    """status's State of thread t of p: the letter (all that stat shows) and its word, as Linux
    prints them."""
    if p.state == task.PROC_ZOMBIE or t.state == task.TASK_DEAD:
        return b"Z (zombie)"
    if p.stopped:
        return b"T (stopped)"
    if t.state == task.TASK_BLOCKED or t.state == task.TASK_FROZEN:
        return b"S (sleeping)"
    return b"R (running)"


def add_ids(buf: Ptr[u8], at: usize, label: Ptr[u8], real: u32, effective: u32, saved: u32) -> usize:
    """status's Uid/Gid lines: real, effective, saved and filesystem ids (fs is the effective one)."""
    at = add_text(buf, at, label)
    at = add_number(buf, at, u64(real))
    at = add_text(buf, at, b"\t")
    at = add_number(buf, at, u64(effective))
    at = add_text(buf, at, b"\t")
    at = add_number(buf, at, u64(saved))
    at = add_text(buf, at, b"\t")
    return add_number(buf, at, u64(effective))


def add_caps(buf: Ptr[u8], at: usize, label: Ptr[u8], set: u64) -> usize:
    """A Cap* line of status: the set as 16 hex digits, as Linux prints it."""
    at = add_text(buf, at, label)
    for i in range(16):
        if at < usize(TEXT_CAP):
            digit: u8 = u8((set >> u64(60 - 4 * i)) & 0xF)
            if digit < 10:
                buf[at] = digit + ord("0")
            else:
                buf[at] = digit - 10 + ord("a")
            at += 1
    return at


def abs_i32(v: i32) -> i64:
    if v < 0:
        return -i64(v)
    return i64(v)


def render(p: Ptr[Process], t: Ptr[task.Task], kind: u32, buf: Ptr[u8]) -> usize:
    """The text of /proc/PID/stat, status, cmdline or comm (at most TEXT_CAP bytes); of thread t's
    own for the TID_ kinds, else of the process (t its leader)."""
    if kind == CMDLINE:
        memcpy(cast(Ptr[None], buf), cast(Ptr[None], addr(p.cmdline)), usize(p.cmdline_len))
        return usize(p.cmdline_len)
    if kind == OOM_SCORE_ADJ:
        at0: usize = 0
        if p.oom_score_adj < 0:
            at0 = add_text(buf, at0, b"-")
        return add_text(buf, add_number(buf, at0, u64(abs_i32(p.oom_score_adj))), b"\n")
    name: Ptr[u8] = process.thread_name(t)
    if kind == COMM or kind == TID_COMM:
        return add_text(buf, add_text(buf, 0, name), b"\n")
    one_thread: bool = kind == TID_STAT or kind == TID_STATUS
    me: Ptr[Process] = process.current()
    pid: u64 = u64(process.pid_of(me, p))
    id: u64 = pid
    user: u64 = process.cpu_ticks(p, True)
    system: u64 = process.cpu_ticks(p, False)
    if one_thread:
        id = u64(process.tid_of(me, t))
        user = t.user_ticks
        system = t.system_ticks
    ppid: u64 = u64(process.pid_of(me, p.parent))
    pages: u64 = 0
    if p.space != NULL:
        pages = p.space.resident
    at: usize = 0
    if kind == STATUS or kind == TID_STATUS:
        at = add_text(buf, at, b"Name:\t")
        at = add_text(buf, at, name)
        at = add_text(buf, at, b"\nState:\t")
        at = add_text(buf, at, state_name(p, t))
        at = add_line(buf, at, b"\nTgid:\t", pid, b"\nNgid:\t0")  # ps takes the process id from Tgid
        at = add_line(buf, at, b"\nPid:\t", id, b"")
        at = add_line(buf, at, b"\nPPid:\t", ppid, b"\nTracerPid:\t0")
        at = add_ids(buf, at, b"\nUid:\t", p.uid, p.euid, p.suid)
        at = add_ids(buf, at, b"\nGid:\t", p.gid, p.egid, p.sgid)
        at = add_line(buf, at, b"\nFDSize:\t", u64(task.MAX_FDS), b"\nGroups:\t")
        for i in range(p.group_count):
            at = add_number(buf, at, u64(p.groups[i]))
            at = add_text(buf, at, b" ")
        at = add_line(buf, at, b"\nVmRSS:\t", pages * 4, b" kB")
        at = add_line(buf, at, b"\nThreads:\t", u64(p.live_threads), b"")
        at = add_caps(buf, at, b"\nCapInh:\t", p.cap_inheritable)
        at = add_caps(buf, at, b"\nCapPrm:\t", p.cap_permitted)
        at = add_caps(buf, at, b"\nCapEff:\t", p.cap_effective)
        at = add_caps(buf, at, b"\nCapBnd:\t", p.cap_bounding)
        at = add_caps(buf, at, b"\nCapAmb:\t", p.cap_ambient)
        nnp: u64 = 0
        if p.no_new_privs:
            nnp = 1
        return add_line(buf, at, b"\nNoNewPrivs:\t", nnp, b"\n")
    # stat: pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
    # utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss ...
    at = add_number(buf, at, id)
    at = add_text(buf, at, b" (")
    at = add_text(buf, at, name)
    at = add_text(buf, at, b") ")
    buf[at] = state_name(p, t)[0]
    at += 1
    at = add_text(buf, at, b" ")
    at = add_number(buf, at, ppid)
    at = add_text(buf, at, b" ")
    at = add_number(buf, at, u64(p.pgid))
    at = add_text(buf, at, b" ")
    at = add_number(buf, at, u64(p.sid))
    at = add_text(buf, at, b" 0 -1 0 0 0 0 0 ")  # tty_nr tpgid flags minflt cminflt majflt cmajflt
    at = add_line(buf, at, b"", user, b" ")
    at = add_line(buf, at, b"", system, b" ")
    at = add_line(buf, at, b"", p.child_user_ticks, b" ")
    at = add_line(buf, at, b"", p.child_system_ticks, b" 20 0 ")  # priority nice
    at = add_line(buf, at, b"", u64(p.live_threads), b" 0 ")  # num_threads itrealvalue
    at = add_number(buf, at, p.start_ns // 10000000)  # clock ticks (100 Hz) since boot
    at = add_text(buf, at, b" ")
    at = add_number(buf, at, pages * 4096)
    at = add_text(buf, at, b" ")
    at = add_number(buf, at, pages)
    return add_text(buf, at, b" 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n")  # 52 fields


def add_line(buf: Ptr[u8], at: usize, label: Ptr[u8], value: u64, unit: Ptr[u8]) -> usize:
    at = add_text(buf, at, label)
    at = add_number(buf, at, value)
    return add_text(buf, at, unit)


def add_hundredths(buf: Ptr[u8], at: usize, value: u64) -> usize:
    """value / 100 with two decimals (seconds from ticks, loads from fixed point)."""
    at = add_number(buf, at, value // 100)
    at = add_text(buf, at, b".")
    if value % 100 < 10:
        at = add_text(buf, at, b"0")
    return add_number(buf, at, value % 100)


def add_mounts(p: Ptr[Process], buf: Ptr[u8], at: usize) -> usize:
    """One line per mount of the caller's world, as `source path type options 0 0`."""
    at = add_text(buf, at, b"rootfs / rootfs ")
    at = add_text(buf, at, mount_options(vfs.mount_flags(p.world, p.root)))
    at = add_text(buf, at, b" 0 0\n")
    path: Ptr[u8] = buf + TEXT_CAP // 2  # scratch in the page's second half; lines stay in the first
    for i in range(vfs.MAX_MOUNTS):
        m: Ptr[vfs.Mount] = addr(vfs.mounts) + i
        if not m.used or m.world != p.world or m.mountpoint == NULL or at > TEXT_CAP // 2 - 256:
            continue
        if vfs.path_of(p.world, p.root, m.mountpoint, path, usize(TEXT_CAP // 2)) < 0:
            continue
        at = add_text(buf, at, addr(m.source))
        at = add_text(buf, at, b" ")
        at = add_text(buf, at, path)
        at = add_text(buf, at, b" ")
        at = add_text(buf, at, addr(m.fs_name))
        at = add_text(buf, at, b" ")
        at = add_text(buf, at, mount_options(m.flags))
        at = add_text(buf, at, b" 0 0\n")
    return at


def mount_options(flags: u32) -> Ptr[u8]:
    """The options column of /proc/mounts for a mount's flags (the combinations Cyrius makes)."""
    every: u32 = u32(vfs.MNT_NOSUID | vfs.MNT_NODEV | vfs.MNT_NOEXEC)
    if (flags & vfs.MNT_RDONLY) != 0:
        if (flags & every) == every:
            return b"ro,nosuid,nodev,noexec"
        return b"ro"
    if (flags & every) == every:
        return b"rw,nosuid,nodev,noexec"
    if (flags & (vfs.MNT_NOSUID | vfs.MNT_NOEXEC)) == (vfs.MNT_NOSUID | vfs.MNT_NOEXEC):
        return b"rw,nosuid,noexec"
    if (flags & vfs.MNT_NOSUID) != 0:
        return b"rw,nosuid"
    return b"rw"


def render_system(p: Ptr[Process], kind: u32, buf: Ptr[u8]) -> usize:
    """The text of one of /proc's own files, as the caller sees the system."""
    at: usize = 0
    if kind == MEMINFO:
        at = add_line(buf, at, b"MemTotal:       ", frames.usable_frames * 4, b" kB\n")
        at = add_line(buf, at, b"MemFree:        ", frames.free_frames * 4, b" kB\n")
        at = add_line(buf, at, b"MemAvailable:   ", frames.free_frames * 4, b" kB\n")
        return add_text(buf, at, b"Buffers:               0 kB\nCached:                0 kB\n"
                                 b"SwapTotal:             0 kB\nSwapFree:              0 kB\n"
                                 b"Shmem:                 0 kB\n")
    if kind == UPTIME:
        at = add_hundredths(buf, at, clock.now_ns() // 10000000)
        at = add_text(buf, at, b" ")
        at = add_hundredths(buf, at, sched.idle_ticks)
        return add_text(buf, at, b"\n")
    if kind == LOADAVG:
        for i in range(3):
            at = add_hundredths(buf, at, (sched.load[i] * 100 + sched.LOAD_ONE // 2) >> sched.LOAD_SHIFT)
            at = add_text(buf, at, b" ")
        at = add_number(buf, at, sched.runnable_count())
        at = add_line(buf, at, b"/", sched.task_count(), b" ")
        return add_line(buf, at, b"", u64(process.next_pid - 1), b"\n")
    if kind == SYSTEM_STAT:
        for cpu_i in range(2):  # the total, then the one CPU: user nice system idle iowait irq softirq
            at = add_text(buf, at, b"cpu  " if cpu_i == 0 else b"cpu0 ")
            at = add_line(buf, at, b"", sched.user_ticks, b" 0 ")
            at = add_line(buf, at, b"", sched.system_ticks, b" ")
            at = add_line(buf, at, b"", sched.idle_ticks, b" 0 0 0 0 0 0\n")
        at = add_text(buf, at, b"intr 0\n")
        at = add_line(buf, at, b"ctxt ", sched.switches, b"\n")
        at = add_line(buf, at, b"btime ", clock.boot_epoch_ns // 1000000000, b"\n")
        at = add_line(buf, at, b"processes ", u64(process.next_pid - 1), b"\n")
        at = add_line(buf, at, b"procs_running ", sched.runnable_count(), b"\n")
        return add_text(buf, at, b"procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n")
    if kind == MOUNTS:
        return add_mounts(p, buf, at)
    at = add_text(buf, at, b"Linux version ")
    at = add_text(buf, at, version.release())
    at = add_text(buf, at, b" ")
    at = add_text(buf, at, version.build())
    return add_text(buf, at, b"\n")


def read(node: Ptr[vfs.Inode], buf: Ptr[u8], count: usize, offset: u64) -> i64:
    """The file's text, rendered afresh for every read (as Linux's seq files are for each read
    from offset 0) into a page from the frame allocator."""
    kind: u32 = kind_of(node)
    if not is_text(kind):
        return -errno.EISDIR
    p: Ptr[Process] = process.current()
    t: Ptr[task.Task] = NULL
    if not is_system_file(kind):
        p = target(node)
        if p == NULL:
            return -errno.ESRCH
        t = p.task
        if kind == TID_STAT or kind == TID_STATUS or kind == TID_COMM:
            t = thread_of(p, fd_of(node))
            if t == NULL:
                return -errno.ESRCH
    pages: u64 = u64(MAPS_PAGES) if kind == MAPS else u64(1)
    page: u64 = frames.alloc_contiguous(pages)
    if page == 0:
        return -errno.ENOMEM
    text: Ptr[u8] = phys.bytes_at(page)
    n: usize = 0
    if is_system_file(kind):
        n = render_system(p, kind, text)
    elif kind == MAPS:
        n = render_maps(p, text, usize(pages * phys.PAGE))
    else:
        n = render(p, t, kind, text)
    k: usize = 0
    if offset < u64(n):
        k = n - usize(offset)
        if k > count:
            k = count
        memcpy(cast(Ptr[None], buf), cast(Ptr[None], text + offset), k)
    for i in range(pages):
        frames.free(page + i * phys.PAGE)
    return i64(k)


def render_maps(p: Ptr[Process], buf: Ptr[u8], cap: usize) -> usize:
    """/proc/PID/maps: `start-end perms offset 00:00 inode name` per mapping, as Linux prints it;
    the name is the program's path for its own file, [heap] for the break's area, [stack] for the
    initial stack, empty for others (Cyrius does not keep a mapped file's path)."""
    s: Ptr[uspace.AddressSpace] = p.space
    at: usize = 0
    if s == NULL:
        return 0
    v: Ptr[uspace.Vma] = s.vmas
    while v != NULL and at + 256 < cap:
        at += usize(fmt_u64(buf + at, cap - at, v.start, u32(16), u32(8), u8(0x30)))
        buf[at] = ord("-")
        at += 1
        at += usize(fmt_u64(buf + at, cap - at, v.end, u32(16), u32(8), u8(0x30)))
        buf[at] = ord(" ")
        buf[at + 1] = ord("r") if (v.prot & uspace.PROT_READ) != 0 else ord("-")
        buf[at + 2] = ord("w") if (v.prot & uspace.PROT_WRITE) != 0 else ord("-")
        buf[at + 3] = ord("x") if (v.prot & uspace.PROT_EXEC) != 0 else ord("-")
        buf[at + 4] = ord("s") if v.shared else ord("p")
        buf[at + 5] = ord(" ")
        at += 6
        offset: u64 = v.file_offset if v.inode != NULL else u64(0)
        at += usize(fmt_u64(buf + at, cap - at, offset, u32(16), u32(8), u8(0x30)))
        at += usize(put_text(buf + at, cap - at, b" 00:00 "))
        at += usize(put_decimal(buf + at, cap - at, v.inode.ino if v.inode != NULL else u64(0)))
        name: Ptr[u8] = b""
        if v.inode != NULL and v.inode == s.program:
            name = addr(p.exe)
        elif v.inode == NULL and v.start <= s.brk_start and s.brk_start < v.end:
            name = b"[heap]"
        elif v.inode == NULL and v.end == uspace.STACK_TOP:
            name = b"[stack]"
        if name[0] != 0:
            at += usize(put_text(buf + at, cap - at, b"  "))
            at += usize(put_text(buf + at, cap - at, name))
        buf[at] = ord("\n")
        at += 1
        v = v.next
    return at


def release(node: Ptr[vfs.Inode]) -> None:
    if node.private != NULL:
        vfs.put(cast(Ptr[vfs.Inode], node.private))


def new_root() -> Ptr[vfs.Inode]:
    """A /proc directory (one reference)."""
    global dev
    if dev == 0:
        dev = vfs.new_dev()
        ops.lookup = lookup
        ops.readdir = readdir
        ops.readlink = readlink
        ops.read = read
        ops.release = release
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if make(NULL, u32(ROOT), u32(0), u32(0), addr(slot)) < 0:
        return NULL
    return slot[0]
