"""Containers as kernel objects, and the OCI runtime operations on them (runtime-spec
"Operations"): create, start, state, kill (one process or all), delete (or --force), list; the
operations runc adds beyond the spec (exec, pause, resume, ps, stats, logs) are in control.py.

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

A container whose process.terminal is false runs detached: its stdin reads end of file and its
stdout and stderr go to its log (log.py), which `oci-runtime logs` prints. When its init exits, the
wait status is kept (`exit_status`) for `oci-runtime wait` and the state's annotations.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import fmt_u64, memcpy, memset, strlen

from .. import errno
from ..fs import devfs, file, memfs, procfs, vfs
from ..lib import cstr, json
from ..linux import launch
from ..mm import phys
from ..mm.heap import kalloc, kfree
from ..platform import clock
from ..proc import cred, process, sched, signal, task
from ..proc.task import Process
from . import log, oci_config
from .oci_config import ContainerSpec

MAX_CONTAINERS: Final = 64
ID_CAP: Final = 65
PATH_CAP: Final = 4096
HOST_CAP: Final = 65
MAX_CONFIG: Final = 1 << 20
MAX_CONTAINER_MOUNTS: Final = 48  # config.json's mounts (32 at most) and its masked and read-only paths
DEFAULT_PIDS_LIMIT: Final = 256

STATUS_FREE: Final = 0
STATUS_CREATING: Final = 1
STATUS_CREATED: Final = 2
STATUS_RUNNING: Final = 3
STATUS_STOPPED: Final = 4
STATUS_PAUSED: Final = 5  # running, every task frozen (sched.freeze)


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
    mount_flags: Array[u32, MAX_CONTAINER_MOUNTS]  # what each gets once all are made (finish_flags)
    quota: task.Quota  # shared by its processes: none may outlive the container
    log: Ptr[vfs.Inode]  # a detached container's stdout and stderr (log.py); NULL with a terminal
    exited: bool  # its init ran and exited with exit_status (a wait status)
    gone_user_ticks: u64  # CPU time of its processes that have exited
    gone_system_ticks: u64


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


# ---------------------------------------------------------------- mounts
# Every mount of config.json is made in the container's own world (vfs.Mount.world is its root:
# the host and other containers do not see it), or create fails naming it. Mount points missing
# from the image are made (directories, or an empty file for a file bind). Flags (ro, nosuid,
# nodev, noexec; root.readonly) are set once everything is mounted, as runc remounts at the end,
# so that mount points can still be made under what becomes read-only.

@struct
class MountOptions:
    flags: u32  # vfs.MNT_*
    mode: u32  # tmpfs mode= (default 1777, as Linux's tmpfs)
    size: u64  # tmpfs size= in bytes (0: no limit)
    uid: u32
    gid: u32


def octal(text: Ptr[u8], out: Ptr[u32]) -> bool:
    n: u32 = 0
    i: usize = 0
    while text[i] >= ord("0") and text[i] <= ord("7") and n < 0o10000:
        n = n * 8 + u32(text[i] - ord("0"))
        i += 1
    out[0] = n
    return i > 0 and text[i] == 0 and n < 0o10000


def decimal(text: Ptr[u8], out: Ptr[u64]) -> usize:
    """The digits at text as a number in out[0]; how many there were."""
    n: u64 = 0
    i: usize = 0
    while text[i] >= ord("0") and text[i] <= ord("9") and n < (u64(1) << 50):
        n = n * 10 + u64(text[i] - ord("0"))
        i += 1
    out[0] = n
    return i


def size_option(text: Ptr[u8], out: Ptr[u64]) -> bool:
    """tmpfs size=: bytes, with k/m/g suffixes (a % of memory is not taken)."""
    digits: usize = decimal(text, out)
    if digits == 0:
        return False
    c: u8 = text[digits]
    if c == ord("k") or c == ord("K"):
        out[0] <<= 10
    elif c == ord("m") or c == ord("M"):
        out[0] <<= 20
    elif c == ord("g") or c == ord("G"):
        out[0] <<= 30
    elif c != 0:
        return False
    return c == 0 or text[digits + 1] == 0


def flag_option(o: Ptr[u8], opts: Ptr[MountOptions]) -> bool:
    """The options that set or clear a flag, and those that ask nothing Cyrius would have to do:
    bind (the kind), propagation other than shared (no mount events cross worlds here) and access
    time policies (Cyrius's filesystems keep the access time a file was made or written with)."""
    if cstr.equal(o, b"ro"):
        opts.flags |= vfs.MNT_RDONLY
    elif cstr.equal(o, b"rw"):
        opts.flags &= ~u32(vfs.MNT_RDONLY)
    elif cstr.equal(o, b"nosuid"):
        opts.flags |= vfs.MNT_NOSUID
    elif cstr.equal(o, b"nodev"):
        opts.flags |= vfs.MNT_NODEV
    elif cstr.equal(o, b"noexec"):
        opts.flags |= vfs.MNT_NOEXEC
    elif cstr.equal(o, b"suid"):
        opts.flags &= ~u32(vfs.MNT_NOSUID)
    elif cstr.equal(o, b"dev"):
        opts.flags &= ~u32(vfs.MNT_NODEV)
    elif cstr.equal(o, b"exec"):
        opts.flags &= ~u32(vfs.MNT_NOEXEC)
    else:
        return (cstr.equal(o, b"bind") or cstr.equal(o, b"rbind") or cstr.equal(o, b"private")
                or cstr.equal(o, b"rprivate") or cstr.equal(o, b"slave") or cstr.equal(o, b"rslave")
                or cstr.equal(o, b"unbindable") or cstr.equal(o, b"runbindable") or cstr.equal(o, b"relatime")
                or cstr.equal(o, b"norelatime") or cstr.equal(o, b"noatime") or cstr.equal(o, b"nodiratime")
                or cstr.equal(o, b"strictatime"))
    return True


def fs_option(o: Ptr[u8], kind: u32, opts: Ptr[MountOptions]) -> bool:
    """tmpfs's mode=, size=, uid=, gid=; devpts's, which concern pseudo-terminals there are none of."""
    number: Array[u64, 1] = Array[u64, 1]()
    if kind == oci_config.MOUNT_TMPFS:
        if cstr.starts_with(o, b"mode="):
            mode: Array[u32, 1] = Array[u32, 1]()
            good: bool = octal(o + 5, addr(mode))
            opts.mode = mode[0]
            return good
        if cstr.starts_with(o, b"size="):
            good2: bool = size_option(o + 5, addr(number))
            opts.size = number[0]
            return good2
        if cstr.starts_with(o, b"uid=") or cstr.starts_with(o, b"gid="):
            digits: usize = decimal(o + 4, addr(number))
            if digits == 0 or o[4 + digits] != 0 or number[0] > 0xFFFFFFFE:
                return False
            if o[0] == ord("u"):
                opts.uid = u32(number[0])
            else:
                opts.gid = u32(number[0])
            return True
    if kind == oci_config.MOUNT_DEVPTS:
        return (cstr.equal(o, b"newinstance") or cstr.starts_with(o, b"ptmxmode=") or cstr.starts_with(o, b"mode=")
                or cstr.starts_with(o, b"gid="))
    return False


def mount_options(c: Ptr[Container], m: Ptr[oci_config.MountSpec], index: u32, opts: Ptr[MountOptions]) -> i64:
    opts.mode = 0o1777
    for i in range(m.option_count):
        o: Ptr[u8] = spec_str(c, addr(c.spec.options[m.first_option + i]))
        if not flag_option(o, opts) and not fs_option(o, m.kind, opts):
            return refuse_mount(index, b"options: ", o, b": not an option Cyrius applies to this type")
    return 0


def refuse_mount(index: u32, what: Ptr[u8], value: Ptr[u8], why: Ptr[u8]) -> i64:
    """`config.json: mounts[N].what value why`: the error create reports."""
    digits: Array[u8, 24] = Array[u8, 24]()
    digits[fmt_u64(addr(digits), usize(23), u64(index), u32(10), u32(0), u8(0x20))] = 0
    say2(b"config.json: mounts[", addr(digits))
    append(b"].")
    append(what)
    append(value)
    append(why)
    return -errno.EINVAL


def append(text: Ptr[u8]) -> None:
    cap: usize = usize(len(error_text))
    at: usize = put(addr(error_text), cap, strlen(addr(error_text)), text)
    if at > cap - 1:
        at = cap - 1
    error_text[at] = 0


def new_filesystem(c: Ptr[Container], m: Ptr[oci_config.MountSpec], index: u32, opts: Ptr[MountOptions],
                   out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The tree a mount attaches (one reference in out[0]): a fresh instance, or for a bind mount
    the host's file or directory at `source` (relative to the bundle)."""
    kind: u32 = m.kind
    dest: Ptr[u8] = spec_str(c, addr(m.destination))
    out[0] = NULL
    if kind == oci_config.MOUNT_BIND:
        bundle: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
        host: Ptr[Process] = process.host
        r: i64 = vfs.lookup_path(vfs.as_kernel(), host.root, host.cwd, addr(c.bundle), True, addr(bundle))
        if r == 0:
            r = vfs.lookup_path(vfs.as_kernel(), host.root, bundle[0], spec_str(c, addr(m.source)), True, out)
            vfs.put(bundle[0])
        if r < 0:
            return refuse_mount(index, b"source: ", spec_str(c, addr(m.source)), errno_suffix(r))
        return 0
    if kind == oci_config.MOUNT_PROC:
        out[0] = procfs.new_root()
    elif kind == oci_config.MOUNT_TMPFS and cstr.equal(dest, b"/dev"):
        out[0] = devfs.new_root()  # runc fills a tmpfs /dev with device nodes: devfs is that (no data: size= is met)
        if out[0] != NULL:
            out[0].mode = vfs.S_IFDIR | (opts.mode & 0o7777)
    elif kind == oci_config.MOUNT_TMPFS:
        out[0] = memfs.new_limited_root(opts.mode, opts.size)
        if out[0] != NULL and (opts.uid != 0 or opts.gid != 0):
            vfs.set_owner(out[0], opts.uid, opts.gid)
    elif kind == oci_config.MOUNT_SYSFS or kind == oci_config.MOUNT_CGROUP:
        out[0] = memfs.new_limited_root(u32(0o555), u64(0))  # no kernel objects or cgroups to show
    elif kind == oci_config.MOUNT_MQUEUE:
        out[0] = memfs.new_limited_root(u32(0o1777), u64(0))  # no POSIX message queues (mq_open: ENOSYS)
    elif kind == oci_config.MOUNT_DEVPTS:
        out[0] = memfs.new_limited_root(u32(0o755), u64(0))  # no pseudo-terminals yet: an empty /dev/pts
    else:
        return refuse_mount(index, b"type: ", spec_str(c, addr(m.type)), b": not a filesystem Cyrius has")
    if out[0] == NULL:
        return -errno.ENOMEM
    return 0


def errno_suffix(r: i64) -> Ptr[u8]:
    if r == -errno.ENOENT:
        return b": No such file or directory"
    if r == -errno.ENOTDIR:
        return b": Not a directory"
    if r == -errno.EACCES:
        return b": Permission denied"
    return b": cannot be used"


def mount_point(c: Ptr[Container], dest: Ptr[u8], directory: bool, out: Ptr[Ptr[vfs.Inode]]) -> i64:
    """The inode at dest in the container's world, made if missing (its parents as directories)."""
    r: i64 = vfs.lookup_path(vfs.as_kernel(), c.root, c.root, dest, True, out)
    if r != -errno.ENOENT:
        return r
    path: Array[u8, 256] = Array[u8, 256]()
    n: usize = strlen(dest)
    if n >= 256:
        return -errno.ENAMETOOLONG
    memcpy(cast(Ptr[None], addr(path)), cast(Ptr[None], dest), n + 1)
    for i in range(1, n + 1):
        if path[i] != ord("/") and path[i] != 0:
            continue
        last: bool = path[i] == 0
        path[i] = 0
        if last and not directory:
            made: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
            r = file.open(vfs.as_kernel(), c.root, c.root, addr(path), u32(file.O_CREAT | file.O_WRONLY), u32(0o644),
                          addr(made))
            if r == 0:
                file.close(made[0])
        else:
            r = vfs.mkdir(vfs.as_kernel(), c.root, c.root, addr(path), u32(0o755))
        if r < 0 and r != -errno.EEXIST:
            return r
        if not last:
            path[i] = ord("/")
    return vfs.lookup_path(vfs.as_kernel(), c.root, c.root, dest, True, out)


def attach(c: Ptr[Container], at: Ptr[vfs.Inode], tree: Ptr[vfs.Inode], flags: u32, source: Ptr[u8],
           fs_name: Ptr[u8], dest: Ptr[u8]) -> i64:
    """Mount tree at `at` in the container's world (flags applied later by finish_flags); takes the
    reference to `at`."""
    r: i64 = -errno.ENOMEM
    if c.mount_count < MAX_CONTAINER_MOUNTS:
        r = vfs.mount(c.root, at, tree, u32(0), source, fs_name, dest)
    if r < 0:
        vfs.put(at)
        return r
    c.mounted[c.mount_count] = at
    c.mount_flags[c.mount_count] = flags
    c.mount_count += 1
    return 0


def mount_one(c: Ptr[Container], m: Ptr[oci_config.MountSpec], index: u32) -> i64:
    opts: MountOptions = MountOptions()
    r: i64 = mount_options(c, m, index, addr(opts))
    tree: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if r == 0:
        r = new_filesystem(c, m, index, addr(opts), addr(tree))
    if r < 0:
        return r
    dest: Ptr[u8] = spec_str(c, addr(m.destination))
    at: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    r = mount_point(c, dest, vfs.is_dir(tree[0]), addr(at))
    if r == 0:
        r = attach(c, at[0], tree[0], opts.flags, spec_str(c, addr(m.source)), spec_str(c, addr(m.type)), dest)
        if r == -errno.EBUSY or r == -errno.ENOTDIR:
            r = refuse_mount(index, b"destination: ", dest,
                             b": already a mount point, or not the same kind of file as the source")
    if r < 0 and error_text[0] == 0:
        refuse_mount(index, b"destination: ", dest, errno_suffix(r))
    vfs.put(tree[0])
    return r


def shm_for_every_container(c: Ptr[Container]) -> i64:
    """A devfs /dev whose shm directory the config mounted nothing on gets a tmpfs there (mode
    1777), as Docker and Podman give every container: POSIX shared memory lives in /dev/shm."""
    at: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if vfs.lookup_path(vfs.as_kernel(), c.root, c.root, b"/dev/shm", True, addr(at)) != 0:
        return 0
    if not devfs.is_bare_mount_dir(at[0]):
        vfs.put(at[0])
        return 0
    shm: Ptr[vfs.Inode] = memfs.new_limited_root(u32(0o1777), u64(0))
    if shm == NULL:
        vfs.put(at[0])
        return -errno.ENOMEM
    r: i64 = attach(c, at[0], shm, u32(vfs.MNT_NOSUID | vfs.MNT_NODEV), b"shm", b"tmpfs", b"/dev/shm")
    vfs.put(shm)
    return r


def protect_paths(c: Ptr[Container]) -> i64:
    """linux.readonlyPaths: each one read-only where it is (a self-bind); linux.maskedPaths: each
    one covered by an empty read-only directory, or /dev/null for a file. Paths missing from the
    container are skipped, as runc does."""
    at: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    for i in range(c.spec.readonly_count):
        path: Ptr[u8] = spec_str(c, addr(c.spec.readonly_paths[i]))
        if vfs.lookup_path(vfs.as_kernel(), c.root, c.root, path, True, addr(at)) == 0:
            r: i64 = attach(c, at[0], at[0], u32(vfs.MNT_RDONLY | vfs.MNT_NOSUID | vfs.MNT_NODEV | vfs.MNT_NOEXEC),
                            b"readonly", b"bind", path)
            if r < 0:
                say2(b"linux.readonlyPaths: cannot protect ", path)
                return r
    for i in range(c.spec.masked_count):
        path2: Ptr[u8] = spec_str(c, addr(c.spec.masked_paths[i]))
        if vfs.lookup_path(vfs.as_kernel(), c.root, c.root, path2, True, addr(at)) != 0:
            continue
        cover: Ptr[vfs.Inode] = memfs.new_limited_root(u32(0o555), u64(0)) if vfs.is_dir(at[0]) else devfs.null_node()
        r2: i64 = -errno.ENOMEM
        if cover != NULL:
            r2 = attach(c, at[0], cover, u32(vfs.MNT_RDONLY), b"masked", b"tmpfs", path2)
            vfs.put(cover)
        else:
            vfs.put(at[0])
        if r2 < 0:
            say2(b"linux.maskedPaths: cannot mask ", path2)
            return r2
    return 0


def finish_flags(c: Ptr[Container]) -> i64:
    """Everything is mounted: the flags now act (a read-only root last)."""
    for i in range(c.mount_count):
        vfs.set_mount_flags(c.root, c.mounted[i], c.mount_flags[i])
    if c.spec.root_readonly:
        return vfs.mount(c.root, NULL, c.root, u32(vfs.MNT_RDONLY), b"rootfs", b"rootfs", b"/")
    return 0


def unmount_all(c: Ptr[Container]) -> None:
    vfs.unmount(c.root, NULL)  # the root's flags, if it had any
    while c.mount_count > 0:
        c.mount_count -= 1
        m: Ptr[vfs.Mount] = vfs.mount_at(c.root, c.mounted[c.mount_count])
        if m != NULL:
            memfs.forget_limit(m.root)  # a tmpfs size= budget (nothing for other trees)
        vfs.unmount(c.root, c.mounted[c.mount_count])
        vfs.put(c.mounted[c.mount_count])


def release(c: Ptr[Container]) -> None:
    unmount_all(c)
    if c.root != NULL:
        vfs.put(c.root)
    vfs.put(c.log)
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
    r = vfs.path_of(host.root, host.root, bundle, addr(c.bundle), usize(PATH_CAP))
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
        r = mount_one(c, addr(c.spec.mounts[i]), u32(i))
        if r < 0:
            return r
    r = shm_for_every_container(c)
    if r < 0:
        return r
    r = protect_paths(c)
    if r < 0:
        return r
    return finish_flags(c)


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


def same_key(a: Ptr[u8], b: Ptr[u8]) -> bool:
    """Whether environment entries a and b (NAME=value) name the same variable."""
    i: usize = 0
    while a[i] != 0 and a[i] != ord("=") and a[i] == b[i]:
        i += 1
    return (a[i] == 0 or a[i] == ord("=")) and (b[i] == 0 or b[i] == ord("="))


def spawn(c: Ptr[Container], args: Ptr[Ptr[u8]], arg_count: u32, env: Ptr[Ptr[u8]], env_count: u32,
          cwd_path: Ptr[u8], stdio: Ptr[Ptr[file.File]], out: Ptr[Ptr[Process]]) -> i64:
    """A new process of container c (start's init, or exec's): args[0] found on the container's
    PATH, in cwd_path (NULL: process.cwd), with process.env and then env (which overrides the
    variables it names), the container's root, quota, user, umask and rlimits; fds 0-2 from
    stdio (launch.open_stdio)."""
    program: Ptr[u8] = cast(Ptr[u8], kalloc(usize(PATH_CAP)))
    vector: Ptr[Ptr[u8]] = cast(Ptr[Ptr[u8]], kalloc(usize(8) * usize(arg_count + c.spec.env_count + env_count + 1)))
    if program == NULL or vector == NULL:
        kfree(cast(Ptr[None], program))
        kfree(cast(Ptr[None], vector))
        say(b"out of memory")
        return -errno.ENOMEM
    r: i64 = lookup_program(c, args[0], program)
    if r < 0:
        say2(b"not found in the container: ", args[0])
    if cwd_path == NULL:
        cwd_path = spec_str(c, addr(c.spec.cwd))
    cwd: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    if r == 0:
        r = vfs.lookup_path(vfs.as_kernel(), c.root, c.root, cwd_path, True, addr(cwd))
        if r == 0 and not vfs.is_dir(cwd[0]):
            vfs.put(cwd[0])
            r = -errno.ENOTDIR
        if r < 0:
            say2(b"cwd: ", errno.message(r))
    if r == 0:
        for i in range(arg_count):
            vector[i] = args[i]
        envc: u32 = 0
        for i in range(c.spec.env_count):
            var: Ptr[u8] = spec_str(c, addr(c.spec.env[i]))
            replaced: bool = False
            for k in range(env_count):
                if same_key(var, env[k]):
                    replaced = True
            if not replaced:
                vector[arg_count + envc] = var
                envc += 1
        for k in range(env_count):
            vector[arg_count + envc] = env[k]
            envc += 1
        r = launch.start(program, vector, arg_count, vector + arg_count, envc, c.root, cwd[0],
                         handle(u64(c - addr(containers))), addr(c.quota), stdio, out)
        vfs.put(cwd[0])
        if r < 0:
            say2(b"cannot start the process: ", errno.message(r))
    kfree(cast(Ptr[None], program))
    kfree(cast(Ptr[None], vector))
    if r < 0:
        return r
    apply_credentials(out[0], c.spec)
    return 0


def detached_stdio(node: Ptr[vfs.Inode], stdio: Ptr[Ptr[file.File]]) -> i64:
    """stdin reading end of file and stdout, stderr writing to log node (the caller closes them)."""
    r: i64 = log.open_file(node, u32(file.O_RDONLY), stdio)
    if r == 0:
        r = log.open_file(node, u32(file.O_WRONLY), stdio + 1)
    if r == 0:
        stdio[2] = stdio[1]
    return r


def close_stdio(stdio: Ptr[Ptr[file.File]]) -> None:
    if stdio[0] != NULL:
        file.close(stdio[0])
    if stdio[1] != NULL:
        file.close(stdio[1])


def start(id: Ptr[u8]) -> i64:
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if c.status != STATUS_CREATED:
        say(b"a container starts only once, from the created state")
        return -errno.EINVAL
    stdio: Array[Ptr[file.File], 3] = Array[Ptr[file.File], 3]()
    r: i64 = 0
    if not c.spec.terminal:
        c.log = log.new_log(True)
        r = detached_stdio(c.log, addr(stdio))
        if r < 0:
            say(b"out of memory for the container's log")
    argv: Ptr[Ptr[u8]] = cast(Ptr[Ptr[u8]], kalloc(usize(8 * oci_config.MAX_ARGS)))
    if argv == NULL and r == 0:
        say(b"out of memory")
        r = -errno.ENOMEM
    slot: Array[Ptr[Process], 1] = Array[Ptr[Process], 1]()
    if r == 0:
        for i in range(c.spec.arg_count):
            argv[i] = spec_str(c, addr(c.spec.args[i]))
        r = spawn(c, argv, c.spec.arg_count, NULL, u32(0), NULL, addr(stdio) if not c.spec.terminal else NULL,
                  addr(slot))
    kfree(cast(Ptr[None], argv))
    close_stdio(addr(stdio))
    if r < 0:
        vfs.put(c.log)  # still created: a later start makes a new one
        c.log = NULL
        return r
    c.pid = slot[0].pid
    c.status = STATUS_RUNNING
    return 0


def on_exit(p: Ptr[Process]) -> None:
    """Every process exit: its CPU time stays with its container; a container whose init ends is
    stopped (thawed if paused), and its other processes are killed."""
    c: Ptr[Container] = of_process(p)
    if c == NULL:
        return
    c.gone_user_ticks += process.cpu_ticks(p, True)
    c.gone_system_ticks += process.cpu_ticks(p, False)
    if (c.status == STATUS_RUNNING or c.status == STATUS_PAUSED) and c.pid == p.pid:
        if c.status == STATUS_PAUSED:
            sched.thaw(addr(c.quota))
        c.status = STATUS_STOPPED
        c.exit_status = p.exit_status
        c.exited = True
        signal_all(c, u32(signal.SIGKILL))


def live(c: Ptr[Container]) -> bool:
    """Whether the container has processes: running or paused."""
    return c.status == STATUS_RUNNING or c.status == STATUS_PAUSED


def signal_all(c: Ptr[Container], sig: u32) -> None:
    """sig for every live process of the container (kill --all)."""
    h: u64 = handle(u64(c - addr(containers)))
    q: Ptr[Process] = process.table
    while q != NULL:
        if q.container == h and q.state == task.PROC_ALIVE:
            signal.send(q, sig)
        q = q.next_in_table


def kill(id: Ptr[u8], sig: u32, every: bool) -> i64:
    """sig for the container's init (all: for every process of the container, as runc kill --all)."""
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if sig == 0 or sig > task.NSIG:
        say(b"not a signal number")
        return -errno.EINVAL
    if c.status == STATUS_CREATED:
        c.status = STATUS_STOPPED  # no process yet: nothing to signal, and it will never run
        return 0
    if not live(c):
        say(b"kill needs a created or running container")
        return -errno.EINVAL
    if every:
        signal_all(c, sig)
        return 0
    p: Ptr[Process] = process.find(c.pid)
    if p != NULL:
        signal.send(p, sig)
    return 0


FORCE_POLL_NS: Final = 10000000  # delete --force looks every 10 ms whether the processes are gone
FORCE_WAIT_NS: Final = 10000000000  # and gives up after 10 s


def delete(id: Ptr[u8], force: bool) -> i64:
    """Forget a stopped container. force: stop it first - SIGKILL for every process of a running
    or paused one (a frozen task runs to die), then wait until they are all gone."""
    c: Ptr[Container] = find_or_report(id)
    if c == NULL:
        return -errno.ESRCH
    if force and c.status == STATUS_CREATED:
        c.status = STATUS_STOPPED
    if force and (live(c) or live_processes(c) > 0):
        signal_all(c, u32(signal.SIGKILL))
        deadline: u64 = clock.now_ns() + FORCE_WAIT_NS
        while live_processes(c) > 0 and clock.now_ns() < deadline:
            sched.block_on(NULL, clock.now_ns() + FORCE_POLL_NS)
    if c.status != STATUS_STOPPED:
        say(b"delete needs a stopped container (kill it first, or delete --force)")
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


def exit_code(status: u32) -> u32:
    """A wait status as a shell's $? shows it: the exit status, or 128 + the killing signal."""
    if (status & 0x7F) == 0:
        return (status >> 8) & 0xFF
    return 128 + (status & 0x7F)


def status_name(status: u32) -> Ptr[u8]:
    if status == STATUS_CREATING:
        return b"creating"
    if status == STATUS_CREATED:
        return b"created"
    if status == STATUS_RUNNING:
        return b"running"
    if status == STATUS_PAUSED:
        return b"paused"
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


def finish(buf: Ptr[u8], cap: usize, at: usize) -> i64:
    """End the text put in buf at `at`; its length, or -ERANGE if it did not fit."""
    if at + 1 > cap:
        say(b"the answer does not fit the buffer")
        return -errno.ERANGE
    buf[at] = 0
    return i64(at)


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
    if c.exited:
        if c.spec.annotation_count > 0:
            at = put(buf, cap, at, b",")
        at = put_json_string(buf, cap, at, b"org.cyrius.exit-status")  # the init's, once it exited
        at = put(buf, cap, at, b":\"")
        at = put_number(buf, cap, at, u64(exit_code(c.exit_status)))
        at = put(buf, cap, at, b"\"")
    at = put(buf, cap, at, b"},\"bundle\":")
    at = put_json_string(buf, cap, at, addr(c.bundle))
    at = put(buf, cap, at, b",\"id\":")
    at = put_json_string(buf, cap, at, addr(c.id))
    at = put(buf, cap, at, b",\"ociVersion\":")
    at = put_json_string(buf, cap, at, spec_str(c, addr(c.spec.oci_version)))
    at = put(buf, cap, at, b",\"pid\":")
    if live(c):
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
        if live(c):
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
    log.init()
    process.exit_hook = on_exit
