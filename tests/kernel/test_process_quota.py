"""A container's quota under CPython: process records count against its pids limit (zombies too,
until they are released), and orphans of a container process go to the container's init."""
from cyrius import rt
from cyrius.kernel.proc import process, sched, task
from cyrius.lang import NULL, addr, u32, u64


def spawn(parent):
    p = process.allocate(parent)
    if p == NULL:
        return p
    t = sched.new_task()
    process.attach_leader(p, t)
    return p


def world(machine):
    rt.fake("inl", lambda port: 0)  # process.allocate stamps a start time: the PM timer reads 0
    process.table = NULL
    process.next_pid = u32(1)
    sched.all_tasks = NULL
    process.host = spawn(NULL)
    return process.host


def test_process_records_count_against_the_quota_until_released(machine):
    host = world(machine)
    quota = task.Quota()
    quota.pids_limit = 3
    init = spawn(host)
    init.container = u64(1)
    process.join_quota(init, addr(quota))
    a = spawn(init)
    b = spawn(a)
    assert a.quota == addr(quota) and int(quota.pids) == 3
    assert spawn(init) == NULL  # the limit: fork answers EAGAIN before it gets here
    b.state = u32(task.PROC_ZOMBIE)
    assert spawn(init) == NULL  # a zombie still counts, as with Linux's pids controller
    process.release(b)
    assert int(quota.pids) == 2
    assert spawn(a) != NULL
    assert spawn(host) != NULL and int(quota.pids) == 3  # the host world has no quota


def test_orphans_go_to_the_containers_init_while_it_lives(machine):
    host = world(machine)
    init = spawn(host)
    init.container = u64(1)
    shell = spawn(init)
    worker = spawn(shell)
    assert process.adopter(worker) == init
    assert process.adopter(shell) == init
    assert process.adopter(init) == host  # the init's own children go to the host
    init.state = u32(task.PROC_ZOMBIE)
    assert process.adopter(worker) == host
    outside = spawn(host)
    assert process.adopter(spawn(outside)) == host  # the host world has no init of its own
