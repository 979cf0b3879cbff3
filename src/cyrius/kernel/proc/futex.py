"""Futexes: threads sleep on a 32-bit user word until another thread wakes them by its address.

A waiter is a FutexWaiter on its own kernel stack, linked in one of BUCKETS lists by its key. A
private futex (FUTEX_PRIVATE_FLAG, or memory its process does not share with another) is keyed
by address space and address; a shared one in a MAP_SHARED mapping by the word's physical address,
so processes mapping the same page meet. Reading the word, comparing and queueing happen with
interrupts off on one CPU, so no wake is lost in between; with several CPUs each bucket needs a
lock held from the read to the queueing, and the user-word updates (WAKE_OP, robust lists) atomic
instructions.

At a thread's exit its robust list is walked (locks it held become FUTEX_OWNER_DIED, one waiter is
woken) and its clear_child_tid word is zeroed and woken: that is how pthread_join waits.
"""
from cyrius.lang import NULL, Array, Final, Ptr, addr, cast, i64, struct, u8, u32, u64

from ..platform import clock
from .. import errno
from ..arch.x86_64 import irq
from ..mm import phys, uaccess, uspace
from . import sched, task
from .task import Task

BUCKETS: Final = 64
BITSET_ANY: Final = 0xFFFFFFFF
FUTEX_WAITERS: Final = 0x80000000
FUTEX_OWNER_DIED: Final = 0x40000000
FUTEX_TID_MASK: Final = 0x3FFFFFFF
ROBUST_LIST_LIMIT: Final = 2048  # as Linux: a list longer than this (or a cycle) is cut


@struct
class FutexKey:
    space: u64  # the address space of a private futex; 0 for a shared one
    word: u64  # the user address (private) or the physical address (shared) of the word


@struct
class FutexWaiter:
    key: FutexKey
    bitset: u32
    woken: bool
    task: Ptr[Task]
    next: Ptr["FutexWaiter"]


@struct
class RobustListHead:  # struct robust_list_head
    next: u64
    futex_offset: u64  # signed: from a list entry to its lock word
    pending: u64  # the entry being locked or unlocked right now


buckets: Array[Ptr[FutexWaiter], BUCKETS] = Array[Ptr[FutexWaiter], BUCKETS]()


def key_of(space: Ptr[uspace.AddressSpace], uaddr: u64, shared: bool, out: Ptr[FutexKey]) -> i64:
    """The key of the futex word at uaddr: -EINVAL if misaligned, -EFAULT if not a user address
    or, for a shared futex, unmapped. A private key needs no mapping, as with Linux's
    get_futex_key: a FUTEX_WAKE on memory unmapped meanwhile still wakes whoever sleeps on it."""
    if (uaddr & 3) != 0:
        return -errno.EINVAL
    if uaddr >= uspace.USER_TOP:
        return -errno.EFAULT
    if not shared:
        out.space = cast(u64, space)
        out.word = uaddr
        return 0
    v: Ptr[uspace.Vma] = uspace.find(space, uaddr)
    if v == NULL:
        return -errno.EFAULT
    if shared and v.shared:
        k: u64 = uaccess.frame_of(space, uaddr, False)
        if k == 0:
            return -errno.EFAULT
        out.space = 0
        out.word = phys.to_phys(k)
        return 0
    out.space = cast(u64, space)
    out.word = uaddr
    return 0


def bucket_of(k: Ptr[FutexKey]) -> u64:
    return ((k.word >> 2) ^ (k.space >> 6)) % BUCKETS


def same_key(a: Ptr[FutexKey], b: Ptr[FutexKey]) -> bool:
    return a.space == b.space and a.word == b.word


def link(w: Ptr[FutexWaiter]) -> None:
    b: u64 = bucket_of(addr(w.key))
    w.next = buckets[b]
    buckets[b] = w


def unlink(w: Ptr[FutexWaiter]) -> None:
    b: u64 = bucket_of(addr(w.key))
    if buckets[b] == w:
        buckets[b] = w.next
        return
    q: Ptr[FutexWaiter] = buckets[b]
    while q != NULL and q.next != w:
        q = q.next
    if q != NULL:
        q.next = w.next


def read_word(space: Ptr[uspace.AddressSpace], uaddr: u64, out: Ptr[u32]) -> i64:
    return uaccess.copy_in(space, cast(Ptr[u8], out), uaddr, u64(4))


def wait(space: Ptr[uspace.AddressSpace], uaddr: u64, shared: bool, expected: u32, deadline_ns: u64,
         bitset: u32) -> i64:
    """Sleep while the word at uaddr holds `expected`, until woken (0), deadline_ns on the
    monotonic clock passes (-ETIMEDOUT; 0: none) or a signal arrives (-ERESTARTSYS, or with a
    deadline -ERESTART_RESTARTBLOCK: resumed to the same deadline if no handler runs). -EAGAIN at
    once if the word holds something else."""
    w: FutexWaiter = FutexWaiter()
    r: i64 = key_of(space, uaddr, shared, addr(w.key))
    if r < 0:
        return r
    value: Array[u32, 1] = Array[u32, 1]()
    flags: u64 = irq.save()
    if read_word(space, uaddr, addr(value)) < 0:
        irq.restore(flags)
        return -errno.EFAULT
    if value[0] != expected:
        irq.restore(flags)
        return -errno.EAGAIN
    me: Ptr[Task] = sched.current
    w.bitset = bitset
    w.task = me
    link(addr(w))
    while not w.woken:
        if deadline_ns != 0 and clock.now_ns() >= deadline_ns:
            r = -errno.ETIMEDOUT
            break
        if task.deliverable(me) != 0:
            r = -errno.ERESTARTSYS if deadline_ns == 0 else sched.interrupted_timed(deadline_ns)
            break
        sched.block_on(NULL, deadline_ns)
    if not w.woken:
        unlink(addr(w))
    irq.restore(flags)
    return r


def wake(k: Ptr[FutexKey], count: u64, bitset: u32) -> u64:
    """Wake up to count waiters on k whose bitset meets bitset; how many were woken."""
    flags: u64 = irq.save()
    woken: u64 = 0
    w: Ptr[FutexWaiter] = buckets[bucket_of(k)]
    while w != NULL and woken < count:
        nxt: Ptr[FutexWaiter] = w.next
        if same_key(addr(w.key), k) and (w.bitset & bitset) != 0:
            unlink(w)
            w.woken = True
            sched.wake(w.task)
            woken += 1
        w = nxt
    irq.restore(flags)
    return woken


def requeue(k: Ptr[FutexKey], to: Ptr[FutexKey], wake_count: u64, move_count: u64) -> u64:
    """Wake up to wake_count waiters on k and move up to move_count more to `to` (so a broadcast
    does not wake every waiter to fight over the mutex); how many were woken and moved."""
    done: u64 = wake(k, wake_count, u32(BITSET_ANY))
    flags: u64 = irq.save()
    moved: u64 = 0
    w: Ptr[FutexWaiter] = buckets[bucket_of(k)]
    while w != NULL and moved < move_count:
        nxt: Ptr[FutexWaiter] = w.next
        if same_key(addr(w.key), k):
            unlink(w)
            w.key.space = to.space
            w.key.word = to.word
            link(w)
            moved += 1
        w = nxt
    irq.restore(flags)
    return done + moved


def wake_address(space: Ptr[uspace.AddressSpace], uaddr: u64, count: u64) -> None:
    """Wake waiters on the word at uaddr, shared or private alike (exit's wakes, as Linux's)."""
    k: FutexKey = FutexKey()
    if key_of(space, uaddr, True, addr(k)) == 0:
        wake(addr(k), count, u32(BITSET_ANY))


def owner_died(space: Ptr[uspace.AddressSpace], uaddr: u64, tid: u32) -> None:
    """A robust lock word the exiting thread tid may hold: if it does, mark the owner dead and
    wake one waiter, who gets EOWNERDEAD from pthread_mutex_lock."""
    value: Array[u32, 1] = Array[u32, 1]()
    if read_word(space, uaddr, addr(value)) < 0 or (value[0] & FUTEX_TID_MASK) != tid:
        return
    if uaccess.put_u32(space, uaddr, (value[0] & FUTEX_WAITERS) | FUTEX_OWNER_DIED) < 0:
        return
    if (value[0] & FUTEX_WAITERS) != 0:
        wake_address(space, uaddr, u64(1))


def release_robust_list(space: Ptr[uspace.AddressSpace], t: Ptr[Task]) -> None:
    """At t's exit or execve: every robust lock on its list (struct robust_list_head) is released
    as its owner's death; the list is forgotten."""
    head: RobustListHead = RobustListHead()
    list_addr: u64 = t.robust_list
    t.robust_list = 0
    if list_addr == 0 or uaccess.copy_in(space, cast(Ptr[u8], addr(head)), list_addr, u64(24)) < 0:
        return
    entry: u64 = head.next & ~u64(1)  # bit 0 marks a PI lock
    pending: u64 = head.pending & ~u64(1)
    left: u32 = ROBUST_LIST_LIMIT
    while entry != list_addr and entry != 0 and left > 0:
        nxt: Array[u64, 1] = Array[u64, 1]()
        if uaccess.get_u64(space, entry, addr(nxt)) < 0:
            return
        if entry != pending:
            owner_died(space, entry + head.futex_offset, t.vtid)
        entry = nxt[0] & ~u64(1)
        left -= 1
    if pending != 0:
        owner_died(space, pending + head.futex_offset, t.vtid)


def thread_exit(space: Ptr[uspace.AddressSpace], t: Ptr[Task]) -> None:
    """What an exiting thread leaves in user memory: its robust locks released, its
    clear_child_tid word zeroed and woken."""
    if space == NULL:
        return
    release_robust_list(space, t)
    if t.clear_child_tid != 0:
        if uaccess.put_u32(space, t.clear_child_tid, u32(0)) == 0:
            wake_address(space, t.clear_child_tid, u64(1))
        t.clear_child_tid = 0
