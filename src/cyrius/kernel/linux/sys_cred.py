"""The credential family: user and group ids (real, effective, saved), supplementary groups and
capabilities (capget/capset). The rules are proc/cred.py's; this module decodes arguments."""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i32, i64, u8, u32, u64

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..mm import uaccess
from ..proc import caps, cred, process, task
from ..proc.task import Process
from .syscalls import FULL, PARTIAL, define
from .syscall_names import (SYS_CAPGET, SYS_CAPSET, SYS_GETEGID, SYS_GETEUID, SYS_GETGID, SYS_GETGROUPS,
                            SYS_GETRESGID, SYS_GETRESUID, SYS_GETUID, SYS_SETGID, SYS_SETGROUPS, SYS_SETREGID,
                            SYS_SETRESGID, SYS_SETRESUID, SYS_SETREUID, SYS_SETUID)

CAP_V1: Final = 0x19980330  # _LINUX_CAPABILITY_VERSION_1: one 32-bit word per set
CAP_V2: Final = 0x20071026  # deprecated, the same layout as V3
CAP_V3: Final = 0x20080522  # two words per set
NGROUPS_MAX: Final = 65536


def sys_getuid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().uid)


def sys_geteuid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().euid)


def sys_getgid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().gid)


def sys_getegid(f: Ptr[TrapFrame]) -> i64:
    return i64(process.current().egid)


def sys_setuid(f: Ptr[TrapFrame]) -> i64:
    return cred.set_id(process.current(), u32(f.rdi), False)


def sys_setgid(f: Ptr[TrapFrame]) -> i64:
    return cred.set_id(process.current(), u32(f.rdi), True)


def sys_setresuid(f: Ptr[TrapFrame]) -> i64:
    return cred.set_uids(process.current(), u32(f.rdi), u32(f.rsi), u32(f.rdx))


def sys_setresgid(f: Ptr[TrapFrame]) -> i64:
    return cred.set_gids(process.current(), u32(f.rdi), u32(f.rsi), u32(f.rdx))


def set_re(f: Ptr[TrapFrame], group: bool) -> i64:
    """setreuid (setregid, when group): the real id may become the real or effective one, the
    effective id any of the three (anything with CAP_SETUID/CAP_SETGID); the saved id follows the new
    effective id when the real id is set or the effective one becomes other than the real one."""
    p: Ptr[Process] = process.current()
    r: u32 = u32(f.rdi)
    e: u32 = u32(f.rsi)
    cur_r: u32 = p.gid if group else p.uid
    cur_e: u32 = p.egid if group else p.euid
    cur_s: u32 = p.sgid if group else p.suid
    cap: u32 = u32(caps.CAP_SETGID) if group else u32(caps.CAP_SETUID)
    may: bool = cred.one_of(r, cur_r, cur_e, cur_e) and cred.one_of(e, cur_r, cur_e, cur_s)
    if not may and not cred.capable(p, cap):
        return -errno.EPERM
    s: u32 = cred.KEEP_ID
    if r != cred.KEEP_ID or (e != cred.KEEP_ID and e != cur_r):
        s = cred.chosen(e, cur_e)
    if group:
        return cred.set_gids(p, r, e, s)
    return cred.set_uids(p, r, e, s)


def sys_setreuid(f: Ptr[TrapFrame]) -> i64:
    return set_re(f, False)


def sys_setregid(f: Ptr[TrapFrame]) -> i64:
    return set_re(f, True)


def put_ids(a: u64, b: u64, c: u64, x: u32, y: u32, z: u32) -> i64:
    p: Ptr[Process] = process.current()
    if uaccess.put_u32(p.space, a, x) < 0 or uaccess.put_u32(p.space, b, y) < 0 or uaccess.put_u32(p.space, c, z) < 0:
        return -errno.EFAULT
    return 0


def sys_getresuid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    return put_ids(f.rdi, f.rsi, f.rdx, p.uid, p.euid, p.suid)


def sys_getresgid(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    return put_ids(f.rdi, f.rsi, f.rdx, p.gid, p.egid, p.sgid)


def sys_getgroups(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    size: i64 = i64(i32(u32(f.rdi)))
    if size < 0:
        return -errno.EINVAL
    if size == 0:
        return i64(p.group_count)
    if size < i64(p.group_count):
        return -errno.EINVAL
    if uaccess.copy_out(p.space, f.rsi, cast(Ptr[u8], addr(p.groups)), u64(4 * p.group_count)) < 0:
        return -errno.EFAULT
    return i64(p.group_count)


def sys_setgroups(f: Ptr[TrapFrame]) -> i64:
    p: Ptr[Process] = process.current()
    if not cred.capable(p, u32(caps.CAP_SETGID)):
        return -errno.EPERM
    size: u64 = u64(u32(f.rdi))
    if size > u64(NGROUPS_MAX) or size > u64(task.NGROUPS):
        return -errno.EINVAL  # Cyrius keeps task.NGROUPS groups
    groups: Array[u32, task.NGROUPS] = Array[u32, task.NGROUPS]()
    if uaccess.copy_in(p.space, cast(Ptr[u8], addr(groups)), f.rsi, 4 * size) < 0:
        return -errno.EFAULT
    return cred.set_groups(p, cast(Ptr[u32], addr(groups)), u32(size))


def cap_header(f: Ptr[TrapFrame], pid: Ptr[i32]) -> i64:
    """The cap_user_header_t at rdi: the words per set its version tells (1 or 2; a wrong version is
    answered with CAP_V3 written back and EINVAL), its pid in pid[0]."""
    p: Ptr[Process] = process.current()
    head: Array[u32, 2] = Array[u32, 2]()
    if uaccess.copy_in(p.space, cast(Ptr[u8], addr(head)), f.rdi, u64(8)) < 0:
        return -errno.EFAULT
    pid[0] = i32(head[1])
    if head[0] == CAP_V1:
        return 1
    if head[0] == CAP_V2 or head[0] == CAP_V3:
        return 2
    if uaccess.put_u32(p.space, f.rdi, u32(CAP_V3)) < 0:
        return -errno.EFAULT
    return -errno.EINVAL


def sys_capget(f: Ptr[TrapFrame]) -> i64:
    pid: Array[i32, 1] = Array[i32, 1]()
    words: i64 = cap_header(f, addr(pid))
    if words == -errno.EINVAL and f.rsi == 0:
        return 0  # a probe for the version
    if words < 0:
        return words
    if pid[0] < 0:
        return -errno.EINVAL
    me: Ptr[Process] = process.current()
    p: Ptr[Process] = me
    if pid[0] != 0:
        p = process.find_visible(me, u32(pid[0]))
        if p == NULL:
            return -errno.ESRCH
    data: Array[u32, 6] = Array[u32, 6]()  # {effective, permitted, inheritable} per word
    for i in range(2):
        data[3 * i] = u32(p.cap_effective >> u64(32 * i))
        data[3 * i + 1] = u32(p.cap_permitted >> u64(32 * i))
        data[3 * i + 2] = u32(p.cap_inheritable >> u64(32 * i))
    if uaccess.copy_out(me.space, f.rsi, cast(Ptr[u8], addr(data)), u64(12 * words)) < 0:
        return -errno.EFAULT
    return 0


def sys_capset(f: Ptr[TrapFrame]) -> i64:
    """Only the caller's own sets (pid 0 or its own), as Linux."""
    pid: Array[i32, 1] = Array[i32, 1]()
    words: i64 = cap_header(f, addr(pid))
    if words < 0:
        return words
    p: Ptr[Process] = process.current()
    if pid[0] != 0 and u32(pid[0]) != process.pid_of(p, p):
        return -errno.EPERM
    data: Array[u32, 6] = Array[u32, 6]()  # a V1 caller's upper words stay 0
    if uaccess.copy_in(p.space, cast(Ptr[u8], addr(data)), f.rsi, u64(12 * words)) < 0:
        return -errno.EFAULT
    return cred.capset(p, u64(data[0]) | (u64(data[3]) << 32), u64(data[1]) | (u64(data[4]) << 32),
                       u64(data[2]) | (u64(data[5]) << 32))


def init() -> None:
    define(SYS_GETUID, sys_getuid, FULL, NULL)
    define(SYS_GETEUID, sys_geteuid, FULL, NULL)
    define(SYS_GETGID, sys_getgid, FULL, NULL)
    define(SYS_GETEGID, sys_getegid, FULL, NULL)
    define(SYS_SETUID, sys_setuid, FULL, NULL)
    define(SYS_SETGID, sys_setgid, FULL, NULL)
    define(SYS_SETREUID, sys_setreuid, FULL, NULL)
    define(SYS_SETREGID, sys_setregid, FULL, NULL)
    define(SYS_SETRESUID, sys_setresuid, FULL, NULL)
    define(SYS_SETRESGID, sys_setresgid, FULL, NULL)
    define(SYS_GETRESUID, sys_getresuid, FULL, NULL)
    define(SYS_GETRESGID, sys_getresgid, FULL, NULL)
    define(SYS_GETGROUPS, sys_getgroups, FULL, NULL)
    define(SYS_SETGROUPS, sys_setgroups, PARTIAL, b"at most 32 groups (EINVAL beyond)")
    define(SYS_CAPGET, sys_capget, FULL, NULL)
    define(SYS_CAPSET, sys_capset, FULL, NULL)
