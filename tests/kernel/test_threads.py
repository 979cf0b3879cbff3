"""Threads and futexes under CPython: a process with several Tasks (tids from the pid counter,
the container's pids quota counting each), process- and thread-directed signals picking a thread,
futex keys (private by address space, shared by physical page), wake, bitsets, requeue, robust-list
release at a thread's exit, and /proc/PID/task. Exiting and sleeping switch tasks: those paths are
left to the booted kernel's tests (tests/fixtures/linux/threads_*.c)."""
import struct

import pytest

from cyrius import rt
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.mm import paging, uaccess, uspace
from cyrius.kernel.fs import file, pipe, vfs
from cyrius.kernel.proc import futex, process, sched, signal, task
from cyrius.lang import NULL, Array, Ptr, addr, memory, u8, u32, u64

LO = 0x7FF0_0000
HI = LO + 0x10000
RW = uspace.PROT_READ | uspace.PROT_WRITE


def bit(sig: int) -> int:
    return 1 << (sig - 1)


class World:
    """A Linux process (its leader current) with a private and a MAP_SHARED region."""

    def __init__(self):
        paging.kernel_root = paging.new_table()
        uspace.init()
        sched.all_tasks = NULL
        process.table = NULL
        process.next_pid = u32(1)
        self.p = process.allocate(NULL)
        process.attach_leader(self.p, sched.new_task())
        self.p.abi = u32(task.ABI_LINUX)
        self.p.space = uspace.create()
        assert uspace.add(self.p.space, u64(LO), u64(HI), u32(RW), NULL, u64(0), u64(0)) == 0
        assert uspace.add(self.p.space, u64(HI), u64(HI + 0x1000), u32(RW), NULL, u64(0), u64(0)) == 0
        assert uspace.make_shared(self.p.space, u64(HI), u64(HI + 0x1000)) == 0
        self.leader = self.p.task
        self.leader.state = u32(task.TASK_RUNNING)
        sched.current = self.leader

    def thread(self):
        out = Array[Ptr[task.Task], 1]()
        tid = process.add_thread(self.p, addr(TrapFrame()), u64(HI - 0x100), addr(out))
        assert tid > 0
        return out[0]

    def put(self, at: int, data: bytes, space=None) -> None:
        k = memory.alloc(len(data))
        memory.write(k, data)
        assert uaccess.copy_out(space or self.p.space, u64(at), Ptr[u8](k), u64(len(data))) == 0

    def word(self, at: int, space=None) -> int:
        k = memory.alloc(4)
        assert uaccess.copy_in(space or self.p.space, Ptr[u8](k), u64(at), u64(4)) == 0
        return struct.unpack("<I", memory.read(k, 4))[0]


@pytest.fixture
def world(machine):
    rt.fake("inl", lambda port: 0)
    rt.fake("fxsave", lambda area: None)
    rt.fake("rdmsr", lambda msr: 0)
    w = World()
    yield w
    sched.current = NULL


def test_threads_take_tids_from_the_pid_counter_and_count_against_the_quota(world):
    p = world.p
    assert world.leader.tid == p.pid == 1
    quota = task.Quota()
    quota.pids_limit = 3
    process.join_quota(p, addr(quota))
    a, b = world.thread(), world.thread()
    assert (int(a.tid), int(b.tid)) == (2, 3) and int(p.live_threads) == 3 and int(quota.pids) == 3
    assert a.process == p and a.sig_blocked == world.leader.sig_blocked
    out = Array[Ptr[task.Task], 1]()
    assert process.add_thread(p, addr(TrapFrame()), u64(0), addr(out)) == -11  # EAGAIN, as Linux's pids controller
    assert process.allocate(p) == NULL  # nor a process
    assert sched.find_thread(u32(3)) == b and sched.find_thread(u32(9)) == NULL
    b.state = u32(task.TASK_DEAD)
    b.user_ticks = u64(5)
    process.forget_thread(p, b)
    assert int(quota.pids) == 2 and process.cpu_ticks(p, True) == 5  # its time stays with the process
    assert sched.find_thread(u32(3)) == NULL


def test_a_process_signal_wakes_a_thread_that_does_not_block_it(world):
    p = world.p
    a, b = world.thread(), world.thread()
    world.leader.sig_blocked = u64(bit(signal.SIGUSR1))
    a.sig_blocked = u64(bit(signal.SIGUSR1))
    a.state = b.state = u32(task.TASK_BLOCKED)
    signal.send_from(p, u32(signal.SIGUSR1), u32(42))
    assert p.sig_pending == bit(signal.SIGUSR1) and b.state == task.TASK_RUNNABLE and a.state == task.TASK_BLOCKED
    assert task.deliverable(b) == bit(signal.SIGUSR1) and task.deliverable(a) == 0
    signal.send_to_thread(a, u32(signal.SIGUSR2), u32(42))  # tgkill: a's own pending set
    assert a.sig_pending == bit(signal.SIGUSR2) and b.sig_pending == 0 and a.state == task.TASK_RUNNABLE


def test_sigkill_wakes_every_thread_and_exit_group_marks_the_others(world):
    p = world.p
    a, b = world.thread(), world.thread()
    a.state = b.state = u32(task.TASK_BLOCKED)
    a.sig_blocked = b.sig_blocked = u64(0xFFFF_FFFF_FFFF_FFFF & ~signal.UNBLOCKABLE)
    signal.send_from(p, u32(signal.SIGKILL), u32(0))
    assert a.state == b.state == task.TASK_RUNNABLE
    process.kill_other_threads(p)
    assert a.sig_pending == b.sig_pending == bit(signal.SIGKILL) and world.leader.sig_pending == 0


def test_private_futexes_are_per_address_space_and_shared_ones_per_page(world):
    p = world.p
    k1, k2 = futex.FutexKey(), futex.FutexKey()
    assert futex.key_of(p.space, u64(LO + 8), True, addr(k1)) == 0  # private memory: a private key
    assert k1.space != 0 and k1.word == LO + 8
    assert futex.key_of(p.space, u64(LO + 9), True, addr(k1)) == -22  # EINVAL: misaligned
    assert futex.key_of(p.space, u64(0x1000), True, addr(k1)) == -14  # EFAULT: unmapped
    child = uspace.fork(p.space)
    assert futex.key_of(p.space, u64(HI + 16), True, addr(k1)) == 0
    assert futex.key_of(child, u64(HI + 16), True, addr(k2)) == 0
    assert k1.space == k2.space == 0 and k1.word == k2.word  # the same physical word
    assert futex.key_of(p.space, u64(HI + 16), False, addr(k1)) == 0  # FUTEX_PRIVATE_FLAG
    assert futex.key_of(child, u64(HI + 16), False, addr(k2)) == 0
    assert not futex.same_key(addr(k1), addr(k2))
    assert futex.key_of(p.space, u64(LO + 8), True, addr(k1)) == 0
    assert futex.key_of(child, u64(LO + 8), True, addr(k2)) == 0
    assert not futex.same_key(addr(k1), addr(k2))  # copy-on-write memory is not shared
    uspace.destroy(child)


def test_a_private_wake_on_memory_unmapped_meanwhile_wakes_its_waiter(world):
    # A thread asleep on a private futex whose page another thread then unmapped could never be
    # woken: FUTEX_WAKE's key needed a mapping (EFAULT). Linux keys private futexes by address
    # alone (wake returns 0 or the count); a shared futex still needs its page.
    waiter = sleeping(world, LO + 0x40)
    assert uspace.unmap(world.p.space, u64(LO), u64(LO + 0x1000)) == 0
    k = futex.FutexKey()
    assert futex.key_of(world.p.space, u64(LO + 0x40), False, addr(k)) == 0
    assert futex.wake(addr(k), u64(1), u32(futex.BITSET_ANY)) == 1 and waiter.woken
    assert futex.key_of(world.p.space, u64(LO + 0x40), True, addr(k)) == -14  # shared: EFAULT
    assert futex.key_of(world.p.space, u64(uspace.USER_TOP), False, addr(k)) == -14  # not user memory
    assert futex.key_of(world.p.space, u64(LO + 0x42), False, addr(k)) == -22  # misaligned


def test_a_descriptor_a_sibling_closes_under_a_sleeping_call_stays_open_until_the_call_ends(world):
    # epoll_wait slept on an epoll file that a sibling thread closed (freed it: a kernel page fault
    # in epoll.drop_stale when the sleeper woke), and a read on a pipe end lost it the same way.
    # A system call's file is now held (fd_hold) until the call ends, as Linux's fdget holds it.
    vfs.init(NULL)
    pipe.init()
    ends = Array[Ptr[file.File], 2]()
    assert pipe.create(u32(0), u32(0), u32(0), addr(ends)) == 0
    reader, writer = ends[0], ends[1]
    world.p.rlimits[process.RLIMIT_NOFILE].soft = u64(task.MAX_FDS)
    fd = process.fd_install(world.p, reader, False, 0)
    assert process.fd_install(world.p, writer, False, 0) == fd + 1
    assert process.fd_hold(world.p, fd) == reader and reader.refcount == 1  # one thread: nothing held
    world.thread()
    assert process.fd_hold(world.p, fd) == reader and reader.refcount == 2
    assert process.fd_hold(world.p, fd) == reader and reader.refcount == 2  # held once per call
    assert process.fd_close(world.p, fd) == 0  # the sibling's close
    assert reader.refcount == 1 and pipe.pipe_of(reader.inode).readers == 1  # still open for the call
    process.release_held(world.leader)  # the call ends
    assert world.leader.held[0] == NULL and pipe.pipe_of(writer.inode).readers == 0


def sleeping(world, at: int, bitset: int = futex.BITSET_ANY):
    """A thread asleep in FUTEX_WAIT on the word at `at` (queued as futex.wait queues it)."""
    t = world.thread()
    t.state = u32(task.TASK_BLOCKED)
    w = futex.FutexWaiter()
    assert futex.key_of(world.p.space, u64(at), False, addr(w.key)) == 0
    w.bitset = u32(bitset)
    w.task = t
    futex.link(addr(w))
    return w


def key(world, at: int):
    k = futex.FutexKey()
    assert futex.key_of(world.p.space, u64(at), False, addr(k)) == 0
    return k


def test_wake_honours_count_and_bitset(world):
    w1, w2, w3 = sleeping(world, LO), sleeping(world, LO, 0b01), sleeping(world, LO, 0b10)
    other = sleeping(world, LO + 4)
    assert futex.wake(addr(key(world, LO)), u64(10), u32(0b10)) == 2  # w1 (any bit) and w3
    assert w1.woken and w3.woken and not w2.woken and not other.woken
    assert w1.task.state == task.TASK_RUNNABLE and w2.task.state == task.TASK_BLOCKED
    assert futex.wake(addr(key(world, LO)), u64(10), u32(futex.BITSET_ANY)) == 1
    assert futex.wake(addr(key(world, LO)), u64(10), u32(futex.BITSET_ANY)) == 0
    assert futex.wake(addr(key(world, LO + 4)), u64(0), u32(futex.BITSET_ANY)) == 0 and not other.woken


def test_requeue_wakes_some_and_moves_the_rest(world):
    waiters = [sleeping(world, LO) for _ in range(5)]
    assert futex.requeue(addr(key(world, LO)), addr(key(world, LO + 64)), u64(1), u64(3)) == 4
    assert sum(bool(w.woken) for w in waiters) == 1
    assert futex.wake(addr(key(world, LO)), u64(10), u32(futex.BITSET_ANY)) == 1  # the one left behind
    assert futex.wake(addr(key(world, LO + 64)), u64(10), u32(futex.BITSET_ANY)) == 3  # the moved ones
    assert all(w.woken for w in waiters)


def test_robust_list_marks_held_locks_owner_died_and_wakes_a_waiter(world):
    t = world.thread()
    head, held, other = LO + 0x100, LO + 0x200, LO + 0x300  # list entries; lock words 8 bytes in
    world.put(head, struct.pack("<QqQ", held, 8, 0))
    world.put(held, struct.pack("<QI", other, int(t.tid) | futex.FUTEX_WAITERS))
    world.put(other, struct.pack("<QI", head, 12345))  # a lock of another thread: untouched
    waiter = sleeping(world, held + 8)
    t.robust_list = u64(head)
    t.clear_child_tid = u64(LO + 0x400)
    world.put(LO + 0x400, struct.pack("<I", int(t.tid)))
    joiner = sleeping(world, LO + 0x400)
    futex.thread_exit(world.p.space, t)
    assert world.word(held + 8) == futex.FUTEX_WAITERS | futex.FUTEX_OWNER_DIED and waiter.woken
    assert world.word(other + 8) == 12345
    assert world.word(LO + 0x400) == 0 and joiner.woken  # pthread_join's wake
    assert t.robust_list == 0 and t.clear_child_tid == 0


def test_a_cyclic_robust_list_ends(world):
    t = world.thread()
    world.put(LO, struct.pack("<QqQ", LO + 0x40, 8, 0))
    world.put(LO + 0x40, struct.pack("<Q", LO + 0x40))  # points at itself for ever
    t.robust_list = u64(LO)
    futex.release_robust_list(world.p.space, t)  # returns: the walk is bounded
    assert t.robust_list == 0
