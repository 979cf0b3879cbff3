"""Credentials' rules: Linux's capability model (capabilities(7)) on a Process's five sets, its ids and
supplementary groups.

Every check of privilege asks `capable(p, CAP_...)`, the effective set, never `euid == 0`. The
host world holds every capability (`give_all`); fork copies the sets (process.allocate); execve
recomputes them (`on_exec`), a change of user ids adjusts them (`on_setuid`), capset (`capset`),
prctl (`drop_bounding`, `ambient`) and the container runtime (process.capabilities) set them.
Cyrius has no file capabilities and honours no set-user-ID bits, so execve applies only the rules
for a file without capabilities, with root's special case ("set-user-ID-root" semantics: a
process whose real or effective uid is 0 is treated as running a file whose permitted and
inheritable sets are full, and whose effective bit is set when the effective uid is 0).
"""
from cyrius.lang import Final, Ptr, i64, u32, u64

from .. import errno
from . import caps, task
from .task import Process

PR_CAP_AMBIENT_IS_SET: Final = 1
PR_CAP_AMBIENT_RAISE: Final = 2
PR_CAP_AMBIENT_LOWER: Final = 3
PR_CAP_AMBIENT_CLEAR_ALL: Final = 4
KEEP_ID: Final = 0xFFFFFFFF  # setresuid/setresgid: leave this id as it is


def capable(p: Ptr[Process], cap: u32) -> bool:
    return caps.has(p.cap_effective, cap)


def give_all(p: Ptr[Process]) -> None:
    """The sets of Linux's init: every capability permitted, effective and in the bounding set;
    nothing inheritable or ambient."""
    p.cap_effective = u64(caps.CAP_ALL)
    p.cap_permitted = u64(caps.CAP_ALL)
    p.cap_bounding = u64(caps.CAP_ALL)
    p.cap_inheritable = 0
    p.cap_ambient = 0


def on_exec(p: Ptr[Process]) -> None:
    """execve of a file without capabilities or set-id bits (Linux's cap_bprm_creds_from_file):
    P'(permitted) = (P(bounding) | P(inheritable) if the real or effective uid is 0, else nothing),
    no more than P(permitted) under no_new_privs, | P(ambient);
    P'(effective) = P'(permitted) if the effective uid is 0, else P(ambient).
    Bounding, inheritable and ambient are kept; PR_SET_KEEPCAPS is cleared; the saved ids become the
    effective ones."""
    old: u64 = p.cap_permitted
    permitted: u64 = 0
    if p.uid == 0 or p.euid == 0:
        permitted = p.cap_bounding | p.cap_inheritable
    if p.no_new_privs and (permitted & ~old) != 0:
        permitted &= old  # no_new_privs: nothing beyond what it had
    permitted |= p.cap_ambient
    p.cap_permitted = permitted
    if p.euid == 0:
        p.cap_effective = permitted
    else:
        p.cap_effective = p.cap_ambient
    p.keep_caps = False
    p.suid = p.euid
    p.sgid = p.egid


def on_setuid(p: Ptr[Process], old_uid: u32, old_euid: u32, old_suid: u32) -> None:
    """After a change of user ids (Linux's cap_emulate_setxuid): leaving uid 0 in all three ids
    clears permitted and effective (unless PR_SET_KEEPCAPS) and ambient; an effective uid leaving 0
    clears effective, one becoming 0 makes effective the permitted set."""
    was_root: bool = old_uid == 0 or old_euid == 0 or old_suid == 0
    if was_root and p.uid != 0 and p.euid != 0 and p.suid != 0:
        if not p.keep_caps:
            p.cap_permitted = 0
            p.cap_effective = 0
        p.cap_ambient = 0
    if old_euid == 0 and p.euid != 0:
        p.cap_effective = 0
    if old_euid != 0 and p.euid == 0:
        p.cap_effective = p.cap_permitted


def one_of(id: u32, a: u32, b: u32, c: u32) -> bool:
    return id == KEEP_ID or id == a or id == b or id == c


def may_become(r: u32, e: u32, s: u32, cur_r: u32, cur_e: u32, cur_s: u32) -> bool:
    """An unprivileged setresuid/setresgid: each new id is one of the current three (or KEEP_ID)."""
    return one_of(r, cur_r, cur_e, cur_s) and one_of(e, cur_r, cur_e, cur_s) and one_of(s, cur_r, cur_e, cur_s)


def chosen(new: u32, current: u32) -> u32:
    if new == KEEP_ID:
        return current
    return new


def set_uids(p: Ptr[Process], ruid: u32, euid: u32, suid: u32) -> i64:
    """setresuid (KEEP_ID leaves an id): without CAP_SETUID each new id must be one of the current
    three. The capability sets follow (on_setuid)."""
    if not capable(p, u32(caps.CAP_SETUID)) and not may_become(ruid, euid, suid, p.uid, p.euid, p.suid):
        return -errno.EPERM
    old_uid: u32 = p.uid
    old_euid: u32 = p.euid
    old_suid: u32 = p.suid
    p.uid = chosen(ruid, p.uid)
    p.euid = chosen(euid, p.euid)
    p.suid = chosen(suid, p.suid)
    on_setuid(p, old_uid, old_euid, old_suid)
    return 0


def set_id(p: Ptr[Process], id: u32, group: bool) -> i64:
    """setuid (setgid, when group): with CAP_SETUID (CAP_SETGID) all three ids, else only the
    effective one, to the real or saved id."""
    cap: u32 = u32(caps.CAP_SETGID) if group else u32(caps.CAP_SETUID)
    real: u32 = p.gid if group else p.uid
    saved: u32 = p.sgid if group else p.suid
    r: u32 = id
    s: u32 = id
    if not capable(p, cap):
        if id != real and id != saved:
            return -errno.EPERM
        r = KEEP_ID
        s = KEEP_ID
    if group:
        return set_gids(p, r, id, s)
    return set_uids(p, r, id, s)


def set_gids(p: Ptr[Process], rgid: u32, egid: u32, sgid: u32) -> i64:
    """setresgid: as set_uids, under CAP_SETGID; no capability changes."""
    if not capable(p, u32(caps.CAP_SETGID)) and not may_become(rgid, egid, sgid, p.gid, p.egid, p.sgid):
        return -errno.EPERM
    p.gid = chosen(rgid, p.gid)
    p.egid = chosen(egid, p.egid)
    p.sgid = chosen(sgid, p.sgid)
    return 0


def set_groups(p: Ptr[Process], groups: Ptr[u32], count: u32) -> i64:
    """setgroups: needs CAP_SETGID; at most task.NGROUPS (Cyrius's limit) else EINVAL. Kept sorted,
    as Linux keeps them (getgroups answers in that order)."""
    if not capable(p, u32(caps.CAP_SETGID)):
        return -errno.EPERM
    if count > task.NGROUPS:
        return -errno.EINVAL
    for i in range(count):
        g: u32 = groups[i]
        j: u32 = i
        while j > 0 and p.groups[j - 1] > g:
            p.groups[j] = p.groups[j - 1]
            j -= 1
        p.groups[j] = g
    p.group_count = count
    return 0


def in_group(p: Ptr[Process], gid: u32) -> bool:
    """gid is p's effective group or one of its supplementary groups (Linux's in_group_p)."""
    if gid == p.egid:
        return True
    for i in range(p.group_count):
        if p.groups[i] == gid:
            return True
    return False


def capset(p: Ptr[Process], effective: u64, permitted: u64, inheritable: u64) -> i64:
    """capset on oneself (Linux's cap_capset): permitted may only shrink; effective within the new
    permitted; inheritable within the old inheritable | permitted (any, with CAP_SETPCAP) and
    always within inheritable | bounding. Ambient keeps only what stays permitted and inheritable."""
    effective &= u64(caps.CAP_ALL)  # bits beyond the last capability are dropped, as Linux does
    permitted &= u64(caps.CAP_ALL)
    inheritable &= u64(caps.CAP_ALL)
    if not capable(p, u32(caps.CAP_SETPCAP)) and (inheritable & ~(p.cap_inheritable | p.cap_permitted)) != 0:
        return -errno.EPERM
    if (inheritable & ~(p.cap_inheritable | p.cap_bounding)) != 0:
        return -errno.EPERM
    if (permitted & ~p.cap_permitted) != 0:
        return -errno.EPERM
    if (effective & ~permitted) != 0:
        return -errno.EPERM
    p.cap_effective = effective
    p.cap_permitted = permitted
    p.cap_inheritable = inheritable
    p.cap_ambient &= permitted & inheritable
    return 0


def drop_bounding(p: Ptr[Process], cap: u64) -> i64:
    """PR_CAPBSET_DROP: needs CAP_SETPCAP."""
    if not caps.valid(cap):
        return -errno.EINVAL
    if not capable(p, u32(caps.CAP_SETPCAP)):
        return -errno.EPERM
    p.cap_bounding &= ~(u64(1) << cap)
    return 0


def ambient(p: Ptr[Process], op: u64, cap: u64, a4: u64, a5: u64) -> i64:
    """PR_CAP_AMBIENT: IS_SET, RAISE (the capability must be permitted and inheritable), LOWER,
    CLEAR_ALL (cap, a4 and a5 must be 0)."""
    if op == PR_CAP_AMBIENT_CLEAR_ALL:
        if cap != 0 or a4 != 0 or a5 != 0:
            return -errno.EINVAL
        p.cap_ambient = 0
        return 0
    if a4 != 0 or a5 != 0 or not caps.valid(cap):
        return -errno.EINVAL
    bit: u64 = u64(1) << cap
    if op == PR_CAP_AMBIENT_IS_SET:
        if (p.cap_ambient & bit) != 0:
            return 1
        return 0
    if op == PR_CAP_AMBIENT_LOWER:
        p.cap_ambient &= ~bit
        return 0
    if op == PR_CAP_AMBIENT_RAISE:
        if (p.cap_permitted & bit) == 0 or (p.cap_inheritable & bit) == 0:
            return -errno.EPERM
        p.cap_ambient |= bit
        return 0
    return -errno.EINVAL
