"""proc/cred.py under CPython: Linux's capability rules (capabilities(7)) for execve without file
capabilities, changes of user ids, capset, prctl's bounding and ambient sets; fork's copy; and the
VFS's permission check with capabilities and supplementary groups."""
from cyrius import rt
from cyrius.kernel import errno
from cyrius.kernel.fs import vfs
from cyrius.kernel.proc import caps, cred, process, sched
from cyrius.lang import NULL, Array, addr, cast, Ptr, u32, u64

ALL = (1 << 41) - 1
B = [1 << n for n in range(64)]
KEEP = 0xFFFFFFFF


def spawn(parent):
    p = process.allocate(parent)
    process.attach_leader(p, sched.new_task())
    return p


def root(machine, **ids):
    rt.fake("inl", lambda port: 0)  # process.allocate stamps a start time: the PM timer reads 0
    process.table = NULL
    process.next_pid = u32(1)
    sched.all_tasks = NULL
    p = spawn(NULL)
    cred.give_all(p)
    for name, value in ids.items():
        setattr(p, name, u32(value))
    return p


def sets(p):
    return (int(p.cap_effective), int(p.cap_permitted), int(p.cap_inheritable), int(p.cap_bounding),
            int(p.cap_ambient))


def test_the_host_holds_everything_and_fork_copies_it(machine):
    p = root(machine)
    assert sets(p) == (ALL, ALL, 0, ALL, 0) and caps.CAP_ALL == ALL
    p.cap_bounding, p.cap_inheritable, p.no_new_privs, p.keep_caps = u64(7), u64(3), True, True
    child = spawn(p)
    assert sets(child) == sets(p) and child.no_new_privs and child.keep_caps


def test_root_execve_gets_bounding_or_inheritable_as_permitted_and_effective(machine):
    p = root(machine)
    p.cap_effective, p.cap_permitted = u64(B[0]), u64(B[0] | B[5])  # shrunk: execve gives them back
    p.cap_bounding, p.cap_inheritable = u64(ALL & ~B[5]), u64(B[10])
    p.keep_caps = True
    cred.on_exec(p)
    assert sets(p) == (ALL & ~B[5], ALL & ~B[5], B[10], ALL & ~B[5], 0)
    assert not p.keep_caps  # PR_SET_KEEPCAPS does not survive execve


def test_no_new_privs_caps_execve_at_the_permitted_set(machine):
    p = root(machine)
    p.cap_effective = p.cap_permitted = u64(ALL & ~B[5])
    p.no_new_privs = True
    cred.on_exec(p)
    assert sets(p)[:2] == (ALL & ~B[5], ALL & ~B[5])


def test_non_root_execve_keeps_only_the_ambient_set(machine):
    p = root(machine, uid=1000, euid=1000, suid=1000)
    p.cap_inheritable = p.cap_ambient = u64(B[10])
    cred.on_exec(p)
    assert sets(p) == (B[10], B[10], B[10], ALL, B[10])
    q = root(machine, uid=1000, euid=1000, suid=1000)
    cred.on_exec(q)
    assert sets(q)[:2] == (0, 0)


def test_real_root_with_another_effective_uid_is_permitted_but_not_effective(machine):
    p = root(machine, euid=1000)
    cred.on_exec(p)
    assert sets(p)[:2] == (0, ALL)
    assert int(p.suid) == 1000  # execve makes the saved ids the effective ones


def test_leaving_root_clears_permitted_effective_and_ambient(machine):
    p = root(machine)
    p.cap_inheritable = p.cap_ambient = u64(B[10])
    assert cred.set_id(p, u32(1000), False) == 0
    assert (int(p.uid), int(p.euid), int(p.suid)) == (1000, 1000, 1000)
    assert sets(p) == (0, 0, B[10], ALL, 0)
    assert cred.set_id(p, u32(0), False) == -errno.EPERM


def test_keepcaps_keeps_permitted_but_not_effective(machine):
    p = root(machine)
    p.keep_caps = True
    assert cred.set_uids(p, u32(1000), u32(1000), u32(1000)) == 0
    assert sets(p)[:2] == (0, ALL)


def test_effective_uid_moves_the_effective_set(machine):
    p = root(machine)
    assert cred.set_uids(p, u32(KEEP), u32(1000), u32(KEEP)) == 0  # saved uid 0 stays
    assert sets(p)[:2] == (0, ALL)
    assert cred.set_uids(p, u32(KEEP), u32(0), u32(KEEP)) == 0  # allowed: 0 is the real and saved uid
    assert sets(p)[:2] == (ALL, ALL)


def test_setuid_without_cap_setuid_only_moves_the_effective_uid(machine):
    p = root(machine, uid=1000, euid=1000, suid=2000)
    p.cap_effective = u64(0)
    assert cred.set_id(p, u32(2000), False) == 0
    assert (int(p.uid), int(p.euid), int(p.suid)) == (1000, 2000, 2000)
    assert cred.set_id(p, u32(3000), False) == -errno.EPERM
    assert cred.set_uids(p, u32(3000), u32(KEEP), u32(KEEP)) == -errno.EPERM


def test_capset_rules(machine):
    p = root(machine)
    assert cred.capset(p, u64(ALL), u64(ALL & ~B[5]), u64(0)) == -errno.EPERM  # effective beyond permitted
    assert cred.capset(p, u64(B[0] | B[8]), u64(B[0] | B[8]), u64(0)) == 0
    assert cred.capset(p, u64(B[0]), u64(ALL), u64(0)) == -errno.EPERM  # permitted never grows
    assert cred.capset(p, u64(B[0]), u64(B[0] | B[8]), u64(B[20])) == 0  # CAP_SETPCAP (effective) allows it
    assert cred.capset(p, u64(B[0]), u64(B[0] | B[8]), u64(B[20] | B[30])) == -errno.EPERM  # ... not any more
    assert cred.capset(p, u64(1 << 63), u64(B[0]), u64(B[20])) == 0  # bits past the last capability: dropped
    assert sets(p)[:3] == (0, B[0], B[20])


def test_ambient_and_bounding_rules(machine):
    p = root(machine)
    assert cred.ambient(p, u64(cred.PR_CAP_AMBIENT_RAISE), u64(10), u64(0), u64(0)) == -errno.EPERM
    p.cap_inheritable = u64(B[10])
    assert cred.ambient(p, u64(cred.PR_CAP_AMBIENT_RAISE), u64(10), u64(0), u64(0)) == 0
    assert cred.ambient(p, u64(cred.PR_CAP_AMBIENT_IS_SET), u64(10), u64(0), u64(0)) == 1
    assert cred.ambient(p, u64(cred.PR_CAP_AMBIENT_RAISE), u64(41), u64(0), u64(0)) == -errno.EINVAL
    assert cred.ambient(p, u64(cred.PR_CAP_AMBIENT_CLEAR_ALL), u64(1), u64(0), u64(0)) == -errno.EINVAL
    assert cred.capset(p, u64(ALL), u64(ALL), u64(0)) == 0
    assert int(p.cap_ambient) == 0  # no longer inheritable: no longer ambient
    assert cred.drop_bounding(p, u64(5)) == 0 and int(p.cap_bounding) == ALL & ~B[5]
    p.cap_effective = u64(0)
    assert cred.drop_bounding(p, u64(6)) == -errno.EPERM  # needs CAP_SETPCAP


def test_groups_are_sorted_and_need_cap_setgid(machine):
    p = root(machine)
    g = Array[u32, 3]()
    g[0], g[1], g[2] = u32(30), u32(10), u32(20)
    assert cred.set_groups(p, cast(Ptr[u32], addr(g)), u32(3)) == 0
    assert [int(p.groups[i]) for i in range(3)] == [10, 20, 30]
    assert cred.in_group(p, u32(20)) and not cred.in_group(p, u32(40))
    assert cred.set_groups(p, cast(Ptr[u32], addr(g)), u32(33)) == -errno.EINVAL
    p.cap_effective = u64(0)
    assert cred.set_groups(p, cast(Ptr[u32], addr(g)), u32(1)) == -errno.EPERM


def test_vfs_permission_honours_capabilities_and_groups(machine):
    node = vfs.Inode()
    node.mode, node.uid, node.gid = u32(vfs.S_IFREG | 0o640), u32(2000), u32(4242)
    who = vfs.Cred()
    who.uid, who.gid, who.caps = u32(0), u32(0), u64(ALL)
    assert vfs.permitted(addr(who), addr(node), u32(vfs.R_OK | vfs.W_OK))
    assert not vfs.permitted(addr(who), addr(node), u32(vfs.X_OK))  # no x bit: not even CAP_DAC_OVERRIDE
    who.caps = u64(B[caps.CAP_DAC_READ_SEARCH])
    assert vfs.permitted(addr(who), addr(node), u32(vfs.R_OK))
    assert not vfs.permitted(addr(who), addr(node), u32(vfs.W_OK))
    who.caps = u64(0)
    assert not vfs.permitted(addr(who), addr(node), u32(vfs.R_OK))  # root without capabilities is anyone
    groups = Array[u32, 2]()
    groups[0], groups[1] = u32(7), u32(4242)
    who.uid, who.gid, who.groups, who.group_count = u32(1000), u32(1000), cast(Ptr[u32], addr(groups)), u32(2)
    assert vfs.permitted(addr(who), addr(node), u32(vfs.R_OK))  # a supplementary group's bits
    assert not vfs.permitted(addr(who), addr(node), u32(vfs.W_OK))
