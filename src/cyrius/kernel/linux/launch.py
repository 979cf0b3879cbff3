"""Start a Linux program from the host world: a new process under the host process, with the
console as fds 0-2, running `path` with the given arguments and environment. Used by the host
shell's `run` (and by container start)."""
from cyrius.lang import NULL, Array, Ptr, addr, i64, u8, u32, u64
from cyrius.rt import strlen

from .. import errno
from ..fs import file, vfs
from ..proc import process, sched, task
from ..proc.task import Process
from . import exec as execve_


def open_stdio(p: Ptr[Process], stdio: Ptr[Ptr[file.File]]) -> i64:
    """fds 0-2: stdio's Files (each gets a reference of its own) or, where stdio is NULL or has
    NULL, /dev/console."""
    for fd in range(3):
        slot: Array[Ptr[file.File], 1] = Array[Ptr[file.File], 1]()
        r: i64 = 0
        if stdio != NULL and stdio[fd] != NULL:
            slot[0] = file.dup(stdio[fd])
        else:
            r = file.open(vfs.as_kernel(), p.root, p.cwd, b"/dev/console", u32(file.O_RDWR), u32(0), addr(slot))
        if r < 0:
            return r
        r = process.fd_install(p, slot[0], False, i64(fd))
        if r < 0:
            return r
    return 0


def start(path: Ptr[u8], argv: Ptr[Ptr[u8]], argc: u32, envp: Ptr[Ptr[u8]], envc: u32,
          root: Ptr[vfs.Inode], cwd: Ptr[vfs.Inode], container: u64, quota: Ptr[task.Quota],
          stdio: Ptr[Ptr[file.File]], out: Ptr[Ptr[Process]]) -> i64:
    """A running Linux process for path (in container, 0 for the host world, counted against
    its quota; fds 0-2 as open_stdio makes them), or -errno with nothing left behind."""
    a: execve_.Args = execve_.Args()
    r: i64 = execve_.args_init(addr(a))
    if r < 0:
        return r
    for i in range(argc):
        if r == 0:
            r = execve_.args_append(addr(a), argv[i], u64(strlen(argv[i])))
            a.argc += 1
    for i in range(envc):
        if r == 0:
            r = execve_.args_append(addr(a), envp[i], u64(strlen(envp[i])))
            a.envc += 1
    p: Ptr[Process] = NULL
    if r == 0:
        p = process.allocate(process.host)
        if p == NULL:
            r = -errno.ENOMEM
    if r == 0:
        p.abi = task.ABI_LINUX
        p.container = container
        process.join_quota(p, quota)
        vfs.put(p.root)
        vfs.put(p.cwd)
        p.root = vfs.get(root)
        p.world = root  # a container's processes see its mounts; the host's, the host's
        p.cwd = vfs.get(cwd)
        p.pgid = p.vpid
        p.sid = p.vpid
        t: Ptr[task.Task] = sched.new_task()
        if t == NULL:
            r = -errno.ENOMEM
        else:
            process.attach_leader(p, t)
    if r == 0:
        r = open_stdio(p, stdio)
    img: execve_.Image = execve_.Image()
    if r == 0:
        r = execve_.prepare(p, path, addr(a), addr(img))
    execve_.args_free(addr(a))
    if r < 0:
        if p != NULL:
            process.release(p)
        return r
    execve_.commit(p, addr(img), sched.initial_frame(p.task), False)
    sched.prepare_start(p.task)
    out[0] = p
    sched.start(p.task)
    return 0
