"""Pid namespaces under CPython: each container numbers its processes and threads from 1, sees
only its own (pid_of, find_visible, find_thread_visible), and the host world sees everything by
kernel-wide pids."""
import pytest

from cyrius import rt
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.proc import process, sched, task
from cyrius.lang import NULL, Array, Ptr, addr, u32, u64

from test_process_quota import spawn, world


def container_init(host, container: int, quota):
    init = spawn(NULL)  # as launch.start does: allocated, then given its world and quota
    init.parent = host
    init.container = u64(container)
    process.join_quota(init, addr(quota))
    init.task.vtid = init.vpid
    return init


@pytest.fixture
def two(machine):
    host = world(machine)
    qa, qb = task.Quota(), task.Quota()
    qa.pids_limit = qb.pids_limit = 100
    a1 = container_init(host, 1, qa)
    b1 = container_init(host, 2, qb)
    a2 = spawn(a1)
    b2 = spawn(b1)
    yield host, (a1, a2), (b1, b2), qa
    sched.current = NULL


def test_each_container_numbers_its_processes_from_one(two):
    host, (a1, a2), (b1, b2), _ = two
    assert (int(a1.vpid), int(a2.vpid), int(b1.vpid), int(b2.vpid)) == (1, 2, 1, 2)
    assert len({int(p.pid) for p in (a1, a2, b1, b2)}) == 4 and int(host.vpid) == int(host.pid)
    assert int(a2.task.tid) == int(a2.pid) and int(a2.task.vtid) == 2


def test_a_process_sees_only_its_own_container(two):
    host, (a1, a2), (b1, b2), _ = two
    assert process.pid_of(a2, a1) == 1 and process.pid_of(a2, b2) == 0
    assert process.pid_of(a1, host) == 0  # the init's parent is outside: getppid says 0
    assert process.find_visible(a2, u32(2)) == a2 and process.find_visible(b1, u32(2)) == b2
    assert process.find_visible(a2, u32(int(b2.pid))) in (NULL, a1, a2)  # a kernel-wide pid names nothing outside
    assert process.find_thread_visible(b1, u32(1)) == b1.task
    assert process.find_thread_visible(a1, u32(3)) == NULL


def test_the_host_world_sees_kernel_wide_pids(two):
    host, (a1, a2), (b1, b2), _ = two
    for p in (a1, a2, b1, b2):
        assert process.pid_of(host, p) == p.pid and process.find_visible(host, p.pid) == p
        assert process.find_thread_visible(host, p.task.tid) == p.task


def test_a_new_thread_is_numbered_in_its_namespace(two):
    _, (a1, a2), _, qa = two
    rt.fake("rdmsr", lambda msr: 0)
    rt.fake("fxsave", lambda area: None)
    sched.current = a2.task
    before = int(qa.last_pid)
    made = Array[Ptr[task.Task], 1]()
    frame = TrapFrame()
    assert process.add_thread(a2, addr(frame), u64(0), addr(made)) == before + 1  # clone returns the vtid
    assert int(made[0].vtid) == before + 1 and process.find_thread_visible(a1, u32(before + 1)) == made[0]
