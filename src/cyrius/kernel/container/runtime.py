"""Containers as kernel objects, and the OCI runtime operations on them (runtime-spec
"Operations"): create, start, state, kill, delete, list.

A Container exists without any process: create reads and checks the bundle's config.json,
resolves its root filesystem, mounts what the config asks for, and records everything (status
"created"); start runs process.args as the container's init; when the init exits the status is
"stopped", and every other process of the container is killed (as when the init of a Linux pid
namespace dies); delete forgets it. A failed operation leaves no trace. Each container has its own
VFS root: its processes resolve every path (`..`, symlinks, absolute names) inside it, by
construction - there is no chroot to escape from.

Each container has a quota (task.Quota): at most linux.resources.pids.limit processes
(DEFAULT_PIDS_LIMIT when the config sets none), beyond which fork fails with EAGAIN, and at most
linux.resources.memory.limit bytes of user pages, beyond which the faulting process is killed
with SIGKILL (the kernel's reserve, mm/uspace.py, bounds containers without a limit).
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import fmt_u64, memcpy, memset, strlen

from .. import errno
from ..fs import devfs, file, memfs, procfs, vfs
from ..lib import cstr, json
from ..linux import launch
from ..mm import phys
from ..mm.heap import kalloc, kfree
from ..proc import cred, process, signal, task
from ..proc.task import Process
from . import oci_config
from .oci_config import ContainerSpec

MAX_CONTAINERS: Final = 16
ID_CAP: Final = 65
PATH_CAP: Final = 4096
HOST_CAP: Final = 65
MAX_CONFIG: Final = 1 << 20
MAX_CONTAINER_MOUNTS: Final = 16
DEFAULT_PIDS_LIMIT: Final = 256

STATUS_FREE: Final = 0
STATUS_CREATING: Final = 1
STATUS_CREATED: Final = 2
STATUS_RUNNING: Final = 3
STATUS_STOPPED: Final = 4


@struct
class Container:
    status: u32
    id: Array[u8, ID_CAP]
    bundle: Array[u8, PATH_CAP]  # absolute path in the host VFS
    root: Ptr[vfs.Inode]  # the container's VFS root (holds a reference)
    spec: Ptr[ContainerSpec]
    pid: u32  # the init process once started
    exit_status: u32
    hostname: Array[u8, HOST_CAP]
    mount_count: u32
    mounted: Array[Ptr[vfs.Inode], MAX_CONTAINER_MOUNTS]  # mount points to uncover at delete
    quota: task.Quota  # shared by its processes: none may outlive the container


containers: Array[Container, MAX_CONTAINERS] = Array[Container, MAX_CONTAINERS]()
# The last error as one line for the caller (the host shell prints it).
error_text: Array[u8, 512] = Array[u8, 512]()


def say(message: Ptr[u8]) -> None:
    say2(message, b"")


def say2(a: Ptr[u8], b: Ptr[u8]) -> None:
    """Record the error line a + b (cut to fit error_text)."""
    cap: usize = usize(len(error_text))
    at: usize = put(addr(error_text), cap, put(addr(error_text), cap, usize(0), a), b)
    if at > cap - 1:
        at = cap - 1
    error_text[at] = 0


def handle(index: u64) -> u64:
    """Process.container of a container's processes (0 is the host world)."""
    return index + 1


def find(id: Ptr[u8]) -> Ptr[Container]:
    for i in range(MAX_CONTAINERS):
        c: Ptr[Container] = addr(containers) + i
        if c.status != STATUS_FREE and cstr.equal(addr(c.id), id):
            return c
    return NULL


def of_process(p: Ptr[Process]) -> Ptr[Container]:
    if p.container == 0 or p.container > MAX_CONTAINERS:
        return NULL
    return addr(containers) + (p.container - 1)


def find_or_report(id: Ptr[u8]) -> Ptr[Container]:
    """find(), saying so on the console when there is no such container."""
    c: Ptr[Container] = find(id)
    if c == NULL:
        say2(b"no container with id ", id)
    return c


def valid_id(id: Ptr[u8]) -> bool:
    n: usize = strlen(id)
    if n == 0 or n >= ID_CAP:
        return False
    for i in range(n):
        c: u8 = id[i]
        ok: bool = ((c >= ord("0") and c <= ord("9")) or (c >= ord("A") and c <= ord("Z"))
                    or (c >= ord("a") and c <= ord("z")) or c == ord("-") or c == ord("_") or c == ord("."))
        if not ok:
            return False
    return True


def read_file(root: Ptr[vfs.Inode], dir: Ptr[vfs.Inode], path: Ptr[u8], out: Ptr[Ptr[u8]]) -> i64:
    """The whole file (up to MAX_CONFIG bytes) in a kalloc'd buffer; its length."""
    slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
    r: i64 = file.open(vfs.as_kernel(), root, dir, path, u32(file.O_RDONLY), u32(0), addr(slot))
    if r < 0:
        return r
    size: u64 = slot[0].inode.size
    if size > MAX_CONFIG:
        file.close(slot[0])
        return -errno.EFBIG
    buf: Ptr[u8] = cast(Ptr[u8], kalloc(usize(size + 1)))
    if buf == NULL:
        file.close(slot[0])
        return -errno.ENOMEM
    got: i64 = file.read(slot[0], buf, usize(size))
    file.close(slot[0])
    if got < 0:
        kfree(cast(Ptr[None], buf))
        return got
    out[0] = buf
    return got


def load_spec(c: Ptr[Container], bundle: Ptr[vfs.Inode]) -> i64:
    text: Array[Ptr[u8], 1] = Array[Ptr[u8], 1]()
    n: i64 = read_file(process.host.root, bundle, b"config.json", addr(text))
    if n < 0:
        say2(b"cannot read config.json: ", errno.message(n))
        return n
    err: oci_config.ConfigError = oci_config.ConfigError()
    count: i64 = oci_config.count_config_tokens(text[0], usize(n), addr(err))
    tokens: Ptr[json.JsonToken] = NULL
    if count >= 0:
        tokens = cast(Ptr[json.JsonToken], kalloc(usize(count + 1) * sizeof(json.JsonToken)))
        c.spec = cast(Ptr[ContainerSpec], kalloc(usize(sizeof(ContainerSpec))))
        if tokens == NULL or c.spec == NULL:
            count = -errno.ENOMEM
            say(b"out of memory reading config.json")
        else:
            count = oci_config.parse_config(text[0], usize(n), tokens, u32(count + 1), c.spec, addr(err))
    if count < 0 and err.kind != oci_config.CONFIG_OK:
        oci_config.format_error(addr(err), addr(error_text), usize(len(error_text)))
    kfree(cast(Ptr[None], tokens))
    kfree(cast(Ptr[None], text[0]))
    if count < 0:
        return count
    return 0


def spec_str(c: Ptr[Container], s: Ptr[oci_config.Str]) -> Ptr[u8]:
    return oci_config.spec_string(c.spec, s)


def mount_one(c: Ptr[Container], m: Ptr[oci_config.MountSpec]) -> i64:
    """Mount what Cyrius can provide: proc, tmpfs (memfs), and the device nodes (devfs) where a
    tmpfs /dev is asked for, as runc fills it. sysfs, devpts, mqueue, cgroup and bind mounts,
    and mounts whose directory cannot be made (/dev/shm in devfs), are left out until Cyrius has
    those filesystems: the directories stay as the image has them."""
    dest: Ptr[u8] = spec_str(c, addr(m.destination))
    fs: Ptr[vfs.Inode] = NULL
    if m.kind == oci_config.MOUNT_TMPFS and cstr.equal(dest, b"/dev"):
        fs = devfs.new_root()
    elif m.kind == oci_config.MOUNT_TMPFS:
        fs = memfs.new_root()
    elif m.kind == oci_config.MOUNT_PROC:
        fs = procfs.new_root()
    else:
        return 0  # not provided yet: the directory stays as the image has it
    if fs == NULL:
        return -errno.ENOMEM
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    r: i64 = vfs.lookup_path(vfs.as_kernel(), c.root, c.root, dest, True, addr(slot))
    if r == -errno.ENOENT:
        r = vfs.mkdir(vfs.as_kernel(), c.root, c.root, dest, u32(0o755))
        if r < 0:
            vfs.put(fs)
            return 0  # e.g. /dev/shm inside the device filesystem, which has no such directory
        r = vfs.lookup_path(vfs.as_kernel(), c.root, c.root, dest, True, addr(slot))
    if r == 0 and c.mount_count == MAX_CONTAINER_MOUNTS:
        vfs.put(slot[0])
        r = -errno.ENOMEM
    if r == 0:
        r = vfs.mount(slot[0], fs, spec_str(c, addr(m.source)), spec_str(c, addr(m.type)), dest)
        if r == 0:
            c.mounted[c.mount_count] = slot[0]
            c.mount_count += 1
        else:
            vfs.put(slot[0])
    vfs.put(fs)
    if r < 0:
        say2(b"cannot mount ", dest)
    return r


def unmount_all(c: Ptr[Container]) -> None:
    while c.mount_count > 0:
        c.mount_count -= 1
        vfs.unmount(c.mounted[c.mount_count])
        vfs.put(c.mounted[c.mount_count])


def release(c: Ptr[Container]) -> None:
    unmount_all(c)
    if c.root != NULL:
        vfs.put(c.root)
    kfree(cast(Ptr[None], c.spec))
    memset(cast(Ptr[None], c), 0, usize(sizeof(Container)))


def create(id: Ptr[u8], bundle_path: Ptr[u8]) -> i64:
    if not valid_id(id):
        say(b"a container id is 1-64 characters of A-Z a-z 0-9 _ . -")
        return -errno.EINVAL
    if find(id) != NULL:
        say2(b"a container already exists with id ", id)
        return -errno.EEXIST
    c: Ptr[Container] = NULL
    for i in range(MAX_CONTAINERS):
        if containers[i].status == STATUS_FREE and c == NULL:
            c = addr(containers) + i
    if c == NULL:
        say(b"too many containers")
        return -errno.ENOSPC
    c.status = STATUS_CREATING
    memcpy(cast(Ptr[None], addr(c.id)), cast(Ptr[None], id), strlen(id) + 1)
    r: i64 = setup(c, bundle_path)
    if r < 0:
        release(c)
        return r
    c.status = STATUS_CREATED
    return 0


def setup(c: Ptr[Container], bundle_path: Ptr[u8]) -> i64:
    host: Ptr[Process] = process.host
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    r: i64 = vfs.lookup_path(vfs.as_kernel(), host.root, host.cwd, bundle_path, True, addr(slot))
    if r < 0:
        say2(b"bundle: ", errno.message(r))
        return r
    bundle: Ptr[vfs.Inode] = slot[0]
    r = vfs.path_of(host.root, bundle, addr(c.bundle), usize(PATH_CAP))
    if r >= 0:
        r = load_spec(c, bundle)
    if r >= 0:
        r = vfs.lookup_path(vfs.as_kernel(), host.root, bundle, spec_str(c, addr(c.spec.root_path)), True, addr(slot))
        if r < 0:
            say2(b"root.path: ", errno.message(r))
        elif not vfs.is_dir(slot[0]):
            vfs.put(slot[0])
            say(b"root.path: not a directory")
            r = -errno.ENOTDIR
        else:
            c.root = slot[0]
    vfs.put(bundle)
    if r < 0:
        return r
    c.quota.pids_limit = DEFAULT_PIDS_LIMIT
    if c.spec.pids_limit != 0:
        c.quota.pids_limit = u32(c.spec.pids_limit)
    c.quota.memory.limit = c.spec.memory_limit // phys.PAGE
    hostname: Ptr[u8] = spec_str(c, addr(c.spec.hostname))
    n: usize = strlen(hostname)
    if n >= HOST_CAP:
        n = HOST_CAP - 1
    memcpy(cast(Ptr[None], addr(c.hostname)), cast(Ptr[None], hostname), n)
    c.hostname[n] = 0
    for i in range(c.spec.mount_count):
        r = mount_one(c, addr(c.spec.mounts[i]))
        if r < 0:
            return r
    return 0


def lookup_program(c: Ptr[Container], name: Ptr[u8], out: Ptr[u8]) -> i64:
    """args[0] as the container's PATH finds it (names with a '/' are used as they are)."""
    n: usize = strlen(name)
    if n == 0 or n >= PATH_CAP:
        return -errno.ENOENT
    for i in range(n):
        if name[i] == ord("/"):
            memcpy(cast(Ptr[None], out), cast(Ptr[None], name), n + 1)
            return 0
    path: Ptr[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    for e in range(c.spec.env_count):
        var: Ptr[u8] = spec_str(c, addr(c.spec.env[e]))
        if cstr.starts_with(var, b"PATH="):
            path = var + 5
    first: usize = 0
    while True:
        end: usize = first
        while path[end] != 0 and path[end] != ord(":"):
            end += 1
        if end > first and (end - first) + 1 + n < PATH_CAP:
            memcpy(cast(Ptr[None], out), cast(Ptr[None], path + first), end - first)
            out[end - first] = ord("/")
            memcpy(cast(Ptr[None], out + (end - first) + 1), cast(Ptr[None], name), n + 1)
            st: vfs.Stat = vfs.Stat()
            if vfs.stat(vfs.as_kernel(), c.root, c.root, out, True, addr(st)) == 0:
                return 0
        if path[end] == 0:
            return -errno.ENOENT
        first = end + 1


def apply_credentials(p: Ptr[Process], spec: Ptr[oci_config.ContainerSpec]) -> None:
    """process.user, rlimits, capabilities, noNewPrivileges and oomScoreAdj on the container's init,
    as runc leaves them before its execve of the program: ids and supplementary groups, the five
    capability sets (absent `capabilities`: the runtime's own, every one, as runc and crun keep
    theirs; effective and ambient within what they may hold), no_new_privs; then the execve's
    capability rules (cred.on_exec), which for uid 0 make permitted and effective the bounding set.
    The program is already loaded; it runs with what that execve would have given it."""
    p.uid = spec.uid
    p.euid = spec.uid
    p.suid = spec.uid
    p.gid = spec.gid
    p.egid = spec.gid
    p.sgid = spec.gid
    cred.set_groups(p, cast(Ptr[u32], addr(spec.additional_gids)), spec.gid_count)
    if spec.has_umask:
        p.umask = spec.umask
    for i in range(spec.rlimit_count):
        lim: Ptr[oci_config.Rlimit] = addr(spec.rlimits[i])
        if lim.resource < task.RLIMIT_COUNT:
            p.rlimits[lim.resource].soft = lim.soft
            p.rlimits[lim.resource].hard = lim.hard
    if spec.has_capabilities:
        p.cap_bounding = spec.cap_bounding
        p.cap_permitted = spec.cap_permitted
        p.cap_effective = spec.cap_effective & spec.cap_permitted
        p.cap_inheritable = spec.cap_inheritable
        p.cap_ambient = spec.cap_ambient & spec.cap_permitted & spec.cap_inheritable
    p.no_new_privs = spec.no_new_privileges
    if spec.has_oom_score_adj:
        p.oom_score_adj = i32(spec.oom_score_adj)
    cred.on_exec(p)


def start(id: Ptr[u8]) -> i64:
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if c.status != STATUS_CREATED:
        say(b"a container starts only once, from the created state")
        return -errno.EINVAL
    program: Ptr[u8] = cast(Ptr[u8], kalloc(usize(PATH_CAP)))
    argv: Ptr[Ptr[u8]] = cast(Ptr[Ptr[u8]], kalloc(usize(8 * (oci_config.MAX_ARGS + oci_config.MAX_ENV))))
    if program == NULL or argv == NULL:
        kfree(cast(Ptr[None], program))
        kfree(cast(Ptr[None], argv))
        say(b"out of memory")
        return -errno.ENOMEM
    r: i64 = lookup_program(c, spec_str(c, addr(c.spec.args[0])), program)
    if r < 0:
        say2(b"process.args[0]: not found in the container: ", spec_str(c, addr(c.spec.args[0])))
    cwd: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if r == 0:
        r = vfs.lookup_path(vfs.as_kernel(), c.root, c.root, spec_str(c, addr(c.spec.cwd)), True, addr(cwd))
        if r < 0:
            say2(b"process.cwd: ", errno.message(r))
    slot: Array[Ptr[Process], 1] = Array[Ptr[Process], 1]()
    if r == 0:
        for i in range(c.spec.arg_count):
            argv[i] = spec_str(c, addr(c.spec.args[i]))
        for i in range(c.spec.env_count):
            argv[c.spec.arg_count + i] = spec_str(c, addr(c.spec.env[i]))
        r = launch.start(program, argv, c.spec.arg_count, argv + c.spec.arg_count, c.spec.env_count, c.root,
                         cwd[0], handle(u64(c - addr(containers))), addr(c.quota), addr(slot))
        vfs.put(cwd[0])
        if r < 0:
            say2(b"cannot start the container's process: ", errno.message(r))
    kfree(cast(Ptr[None], program))
    kfree(cast(Ptr[None], argv))
    if r < 0:
        return r
    p: Ptr[Process] = slot[0]
    apply_credentials(p, c.spec)
    c.pid = p.pid
    c.status = STATUS_RUNNING
    return 0


def on_exit(p: Ptr[Process]) -> None:
    """Every process exit: a container whose init ends is stopped, and its other processes are
    killed."""
    c: Ptr[Container] = of_process(p)
    if c != NULL and c.status == STATUS_RUNNING and c.pid == p.pid:
        c.status = STATUS_STOPPED
        c.exit_status = p.exit_status
        h: u64 = p.container
        q: Ptr[Process] = process.table
        while q != NULL:
            if q.container == h and q.state == task.PROC_ALIVE and q != p:
                signal.send(q, u32(signal.SIGKILL))
            q = q.next_in_table


def kill(id: Ptr[u8], sig: u32) -> i64:
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if sig == 0 or sig > task.NSIG:
        say(b"not a signal number")
        return -errno.EINVAL
    if c.status == STATUS_CREATED:
        c.status = STATUS_STOPPED  # no process yet: nothing to signal, and it will never run
        return 0
    if c.status != STATUS_RUNNING:
        say(b"kill needs a created or running container")
        return -errno.EINVAL
    p: Ptr[Process] = process.find(c.pid)
    if p != NULL:
        signal.send(p, sig)
    return 0


def delete(id: Ptr[u8]) -> i64:
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if c.status != STATUS_STOPPED:
        say(b"delete needs a stopped container (kill it first)")
        return -errno.EINVAL
    if live_processes(c) > 0:
        say(b"processes of the container are still running")
        return -errno.EBUSY
    reap_zombies(c)
    release(c)
    return 0


def reap_zombies(c: Ptr[Container]) -> None:
    """Collect the container's ended processes. They are all the host's children by now (an exiting
    process hands its children to the host), and nobody else waits for them: an init without a
    terminal, and orphans, would otherwise stay zombies for ever, keeping the container's handle
    and counting against its quota."""
    h: u64 = handle(u64(c - addr(containers)))
    status: Array[u32, 1] = Array[u32, 1]()
    p: Ptr[Process] = process.table
    while p != NULL:
        nxt: Ptr[Process] = p.next_in_table
        if p.container == h and p.state == task.PROC_ZOMBIE and p.parent == process.host:
            process.wait(process.host, i64(p.pid), u32(process.WNOHANG | process.WEXITED), addr(status), False)
        p = nxt


def live_processes(c: Ptr[Container]) -> u32:
    n: u32 = 0
    h: u64 = handle(u64(c - addr(containers)))
    p: Ptr[Process] = process.table
    while p != NULL:
        if p.container == h and p.state == task.PROC_ALIVE:
            n += 1
        p = p.next_in_table
    return n


def status_name(status: u32) -> Ptr[u8]:
    if status == STATUS_CREATING:
        return b"creating"
    if status == STATUS_CREATED:
        return b"created"
    if status == STATUS_RUNNING:
        return b"running"
    return b"stopped"


def put(buf: Ptr[u8], cap: usize, at: usize, text: Ptr[u8]) -> usize:
    i: usize = 0
    while text[i] != 0:
        if at + 1 < cap:
            buf[at] = text[i]
        at += 1
        i += 1
    return at


def put_json_string(buf: Ptr[u8], cap: usize, at: usize, text: Ptr[u8]) -> usize:
    """text as a JSON string (quotes, escapes for '"', '\\' and control characters)."""
    at = put(buf, cap, at, b"\"")
    i: usize = 0
    hexdigits: Ptr[u8] = b"0123456789abcdef"
    while text[i] != 0:
        c: u8 = text[i]
        if c == ord('"'):
            at = put(buf, cap, at, b"\\\"")
        elif c == ord("\\"):
            at = put(buf, cap, at, b"\\\\")
        elif c < ord(" "):
            at = put(buf, cap, at, b"\\u00")
            two: Array[u8, 3] = Array[u8, 3]()
            two[0] = hexdigits[c >> 4]
            two[1] = hexdigits[c & 15]
            at = put(buf, cap, at, addr(two))
        else:
            if at + 1 < cap:
                buf[at] = c
            at += 1
        i += 1
    return put(buf, cap, at, b"\"")


def put_number(buf: Ptr[u8], cap: usize, at: usize, value: u64) -> usize:
    digits: Array[u8, 24] = Array[u8, 24]()
    n: usize = fmt_u64(addr(digits), usize(23), value, u32(10), u32(0), u8(0x20))
    digits[n] = 0
    return put(buf, cap, at, addr(digits))


def state(id: Ptr[u8], buf: Ptr[u8], cap: usize) -> i64:
    """The runtime-spec state JSON (keys sorted), NUL-terminated in buf; its length."""
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    at: usize = put(buf, cap, usize(0), b"{\"annotations\":{")
    for i in range(c.spec.annotation_count):
        if i > 0:
            at = put(buf, cap, at, b",")
        a: Ptr[oci_config.Annotation] = addr(c.spec.annotations[i])
        at = put_json_string(buf, cap, at, spec_str(c, addr(a.key)))
        at = put(buf, cap, at, b":")
        at = put_json_string(buf, cap, at, spec_str(c, addr(a.value)))
    at = put(buf, cap, at, b"},\"bundle\":")
    at = put_json_string(buf, cap, at, addr(c.bundle))
    at = put(buf, cap, at, b",\"id\":")
    at = put_json_string(buf, cap, at, addr(c.id))
    at = put(buf, cap, at, b",\"ociVersion\":")
    at = put_json_string(buf, cap, at, spec_str(c, addr(c.spec.oci_version)))
    at = put(buf, cap, at, b",\"pid\":")
    if c.status == STATUS_RUNNING:
        at = put_number(buf, cap, at, u64(c.pid))
    else:
        at = put(buf, cap, at, b"null")
    at = put(buf, cap, at, b",\"status\":")
    at = put_json_string(buf, cap, at, status_name(c.status))
    at = put(buf, cap, at, b"}")
    if at + 1 > cap:
        say(b"state does not fit the buffer")
        return -errno.ERANGE
    buf[at] = 0
    return i64(at)


def list_all(buf: Ptr[u8], cap: usize) -> i64:
    """One line per container: ID STATUS PID BUNDLE."""
    at: usize = put(buf, cap, usize(0), b"ID               STATUS   PID   BUNDLE\n")
    for i in range(MAX_CONTAINERS):
        c: Ptr[Container] = addr(containers) + i
        if c.status == STATUS_FREE:
            continue
        column: usize = at
        at = put(buf, cap, at, addr(c.id))
        while at < column + 17:
            at = put(buf, cap, at, b" ")
        column = at
        at = put(buf, cap, at, status_name(c.status))
        while at < column + 9:
            at = put(buf, cap, at, b" ")
        column = at
        if c.status == STATUS_RUNNING:
            at = put_number(buf, cap, at, u64(c.pid))
        else:
            at = put(buf, cap, at, b"-")
        while at < column + 6:
            at = put(buf, cap, at, b" ")
        at = put(buf, cap, at, addr(c.bundle))
        at = put(buf, cap, at, b"\n")
    if at + 1 > cap:
        return -errno.ERANGE
    buf[at] = 0
    return i64(at)


def hostname_of(p: Ptr[Process]) -> Ptr[u8]:
    """The host name a process sees (its container's), NULL for the host world."""
    c: Ptr[Container] = of_process(p)
    if c == NULL or c.hostname[0] == 0:
        return NULL
    return addr(c.hostname)


def init() -> None:
    process.exit_hook = on_exit
