"""File locks under CPython (fs/lock.py): the range arithmetic of record locks (split, merge, adjacent
ranges, to the end of the file), which locks conflict, F_GETLK's answer, deadlock detection, a wait
ended by a signal, and that every Lock record goes on unlock, on the last close of an open file (flock,
OFD), and when a process closes any descriptor of the file (POSIX). Nothing here sleeps: every wait is
avoided by the state of the locks or by a pending signal."""
import pytest

from cyrius.kernel import errno
from cyrius.kernel.fs import file, lock, vfs
from cyrius.kernel.mm import heap
from cyrius.kernel.proc import process, signal
from cyrius.lang import NULL, Array, Ptr, addr, cast, u32, u64

MAX = lock.OFFSET_MAX
A, B = 0x1000, 0x2000  # owners: addresses, never dereferenced
WR, RD, UN = lock.F_WRLCK, lock.F_RDLCK, lock.F_UNLCK
ops = vfs.InodeOps()


@pytest.fixture
def me(current_process):
    """A current process (its pending signals end waits) and clean lock tables."""
    vfs.init(NULL)
    lock.init()
    lock.waiters = NULL
    lock.records = u64(0)
    return current_process


def inode():
    return vfs.new_inode(addr(ops), u32(vfs.S_IFREG | 0o644), u64(1), u64(1))


def setlk(node, owner, want, start, end, kind=lock.POSIX, wait=False, pid=7):
    return int(lock.lock(node, u32(kind), u64(owner), u32(pid), u32(want), start, end, wait))


def held(node, kind=None):
    out = []
    lk = lock.first(node)
    while lk != NULL:
        if kind is None or int(lk.kind) == kind:
            out.append((int(lk.owner), int(lk.type), int(lk.start), int(lk.end)))
        lk = lk.next
    return sorted(out)


def test_unlock_in_the_middle_splits_and_relocking_merges(me):
    n = inode()
    assert setlk(n, A, WR, 0, 9) == 0
    assert setlk(n, A, UN, 3, 4) == 0
    assert held(n) == [(A, WR, 0, 2), (A, WR, 5, 9)]
    assert setlk(n, A, WR, 3, 4) == 0
    assert held(n) == [(A, WR, 0, 9)]
    assert setlk(n, A, RD, 5, 5) == 0  # another type inside: three pieces
    assert held(n) == [(A, RD, 5, 5), (A, WR, 0, 4), (A, WR, 6, 9)]
    assert setlk(n, A, RD, 0, 9) == 0  # covers them all: one read lock
    assert held(n) == [(A, RD, 0, 9)]


def test_adjacent_ranges_of_one_type_merge_and_of_another_do_not(me):
    n = inode()
    assert setlk(n, A, RD, 0, 4) == 0 and setlk(n, A, RD, 5, 9) == 0
    assert held(n) == [(A, RD, 0, 9)]
    assert setlk(n, A, WR, 10, 14) == 0
    assert held(n) == [(A, RD, 0, 9), (A, WR, 10, 14)]
    assert setlk(n, B, RD, 15, 19) == 0  # another owner's: never merged
    assert held(n) == [(A, RD, 0, 9), (A, WR, 10, 14), (B, RD, 15, 19)]


def test_to_the_end_of_the_file(me):
    n = inode()
    assert setlk(n, A, WR, 10, MAX) == 0
    assert setlk(n, A, UN, 20, MAX) == 0
    assert held(n) == [(A, WR, 10, 19)]
    assert setlk(n, A, WR, 20, MAX) == 0
    assert held(n) == [(A, WR, 10, MAX)]
    assert setlk(n, A, UN, 0, MAX) == 0 and held(n) == [] and lock.records == 0


def test_conflicts_and_what_getlk_reports(me):
    n = inode()
    assert setlk(n, A, WR, 0, 9, pid=41) == 0
    assert setlk(n, A, RD, 20, 29) == 0
    assert setlk(n, B, WR, 5, 5) == -errno.EAGAIN
    assert setlk(n, B, RD, 25, 25) == 0  # two read locks share
    assert setlk(n, B, WR, 10, 19) == 0  # the gap
    out = lock.Lock()
    assert lock.get(n, u32(lock.POSIX), u64(B), u32(WR), 0, 15, addr(out))
    assert (int(out.type), int(out.start), int(out.end), int(out.pid)) == (WR, 0, 9, 41)
    assert not lock.get(n, u32(lock.POSIX), u64(A), u32(WR), 0, 9, addr(out))  # one's own never conflicts
    assert setlk(n, B, WR, 0, 0, kind=lock.FLOCK) == 0  # flock and record locks ignore each other
    assert setlk(n, B, WR, 0, 0, kind=lock.OFD) == -errno.EAGAIN  # OFD and POSIX locks do not
    assert setlk(n, A, WR, 0, 0, kind=lock.FLOCK) == -errno.EAGAIN


def test_a_wait_that_could_never_end_is_edeadlk(me):
    n = inode()
    assert setlk(n, A, WR, 0, 0) == 0 and setlk(n, B, WR, 1, 1) == 0
    waiting = lock.Waiter()
    waiting.owner, waiting.blocker = u64(A), u64(B)  # A sleeps behind B's lock
    lock.waiters = addr(waiting)
    assert setlk(n, B, WR, 0, 0, wait=True) == -errno.EDEADLK
    assert lock.waiters == addr(waiting)  # the refused caller left no waiter behind


def test_a_signal_ends_the_wait(me):
    n = inode()
    assert setlk(n, A, WR, 0, 0) == 0
    me.sig_pending = u64(1 << (signal.SIGUSR1 - 1))
    assert setlk(n, B, WR, 0, 0, wait=True) == -errno.ERESTARTSYS
    assert setlk(n, B, WR, 0, 0, kind=lock.FLOCK, wait=True) == 0  # no conflict: no wait, no signal check
    assert lock.waiters == NULL


def test_every_record_goes_with_its_owner(me):
    blocks = heap.live_blocks
    n = inode()
    slot = Array[Ptr[file.File], 1]()
    assert file.wrap(vfs.get(n), u32(file.O_RDWR), addr(slot)) == 0
    f = slot[0]
    fowner = int(cast(u64, f))
    owner = int(cast(u64, me))
    assert setlk(n, fowner, WR, 0, 0, kind=lock.FLOCK) == 0
    assert setlk(n, fowner, WR, 0, 9, kind=lock.OFD) == 0 and setlk(n, fowner, UN, 3, 4, kind=lock.OFD) == 0
    assert setlk(n, owner, RD, 20, 29) == 0 and setlk(n, owner, RD, 40, 49) == 0
    assert lock.records == 5
    me.files[3] = file.dup(f)
    assert process.fd_close(me, 3) == 0  # any descriptor closed: the process's POSIX locks go
    assert held(n, lock.POSIX) == [] and lock.records == 3
    file.close(f)  # the last reference: flock and OFD locks go
    assert held(n) == [] and lock.records == 0 and n.locks == NULL
    vfs.put(n)
    assert heap.live_blocks == blocks


def test_a_failed_flock_conversion_keeps_nothing(me):
    n = inode()
    assert setlk(n, A, RD, 0, 0, kind=lock.FLOCK) == 0 and setlk(n, B, RD, 0, 0, kind=lock.FLOCK) == 0
    assert setlk(n, A, WR, 0, 0, kind=lock.FLOCK) == -errno.EAGAIN  # Linux lets the old lock go first
    assert held(n) == [(B, RD, 0, MAX)]
    lock.release_file(n, u64(B))
    assert lock.records == 0
