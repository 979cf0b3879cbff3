"""File locks: flock (whole-file, owned by an open file), POSIX record locks (byte ranges owned by a
process) and OFD record locks (byte ranges owned by an open file), as Linux keeps them.

Every lock of a file is a `Lock` record on its inode's one list (`Inode.locks`). flock locks conflict
only with flock locks; POSIX and OFD locks with each other. Two locks conflict when their owners
differ, their ranges overlap and one of them is a write lock. Setting a record lock acts on the
owner's own records first, as POSIX says: a lock of the same type that overlaps or touches the new
range is merged into it, one of the other type loses the part the new range covers (split in two
when the new range lies inside it); an unlock only cuts. Ranges are inclusive [start, end];
`OFFSET_MAX` as the end means "to the end of the file, however far it grows".

Who lets go of what:
* flock and OFD locks go with their open file's last reference (file.close calls `release_file`
  through `file.lock_release`);
* a process's POSIX locks on a file go when it closes *any* descriptor of that file, and so at exit
  (process.fd_close calls `release_posix`).

A blocked F_SETLKW/flock sleeps on the one wait queue `unlocked` and looks again whenever any lock
goes or shrinks; a signal ends the wait with -ERESTARTSYS (proc/signal.py settles it: EINTR, or a
restart under SA_RESTART). A POSIX waiter is also recorded in `waiters` (its owner and the owner it
waits behind) so that a new F_SETLKW whose chain of waits would come back to itself fails with
EDEADLK instead of sleeping for ever (Linux checks POSIX owners only; so do we).

One CPU and a kernel that is not preempted make each call here atomic (interrupts are off around
each test-and-sleep). With several CPUs, the inode lists, `waiters` and `unlocked` need one spinlock:
`table_lock` below is where it goes, taken around every function of this module that reads or
changes a list.
"""
from cyrius.lang import NULL, Final, Ptr, addr, cast, i64, sizeof, struct, u32, u64, usize

from .. import errno
from ..arch.x86_64 import irq
from ..mm.heap import kalloc, kfree
from ..proc import sched, task
from ..proc.task import WaitQueue
from . import file, vfs

F_RDLCK: Final = 0
F_WRLCK: Final = 1
F_UNLCK: Final = 2

FLOCK: Final = 1  # flock(2): whole file, owned by an open file
POSIX: Final = 2  # fcntl F_SETLK: byte ranges, owned by a process
OFD: Final = 3  # fcntl F_OFD_SETLK: byte ranges, owned by an open file

OFFSET_MAX: Final = 0x7FFFFFFFFFFFFFFF
DEADLOCK_DEPTH: Final = 64  # waits followed at most (Linux's MAX_DEADLK_ITERATIONS is 10)


@struct
class Lock:
    next: Ptr["Lock"]
    start: i64
    end: i64  # inclusive; OFFSET_MAX: to the end of the file
    type: u32  # F_RDLCK or F_WRLCK
    kind: u32  # FLOCK, POSIX or OFD
    owner: u64  # POSIX: the Process; FLOCK and OFD: the File (an address: never dereferenced here)
    pid: u32  # kernel-wide pid of the process that set it (F_GETLK's l_pid)


@struct
class Waiter:
    """A POSIX owner asleep in F_SETLKW (on its kernel stack while it waits)."""
    next: Ptr["Waiter"]
    owner: u64
    blocker: u64  # the owner of the lock it last found in its way


unlocked: WaitQueue = WaitQueue()  # every blocked locker: woken when any lock goes or shrinks
waiters: Ptr[Waiter] = NULL
records: u64 = 0  # Lock records alive (a test checks that none leak)
table_lock: u32 = 0  # SMP: the spinlock for every list here (unused while one CPU runs the kernel)


def first(node: Ptr[vfs.Inode]) -> Ptr[Lock]:
    return cast(Ptr[Lock], node.locks)


def is_record(kind: u32) -> bool:
    return kind != FLOCK


def same_family(a: u32, b: u32) -> bool:
    return is_record(a) == is_record(b)


def overlaps(lk: Ptr[Lock], start: i64, end: i64) -> bool:
    return lk.start <= end and start <= lk.end


def conflicts(lk: Ptr[Lock], kind: u32, owner: u64, want: u32, start: i64, end: i64) -> bool:
    """Would lk stand in the way of (kind, owner) locking [start, end] with want?"""
    if not same_family(lk.kind, kind):
        return False
    if lk.owner == owner and lk.kind == kind:
        return False
    if lk.type != F_WRLCK and want != F_WRLCK:
        return False
    return overlaps(lk, start, end)


def find_conflict(node: Ptr[vfs.Inode], kind: u32, owner: u64, want: u32, start: i64, end: i64) -> Ptr[Lock]:
    lk: Ptr[Lock] = first(node)
    while lk != NULL:
        if conflicts(lk, kind, owner, want, start, end):
            return lk
        lk = lk.next
    return NULL


def new_record() -> Ptr[Lock]:
    global records
    lk: Ptr[Lock] = cast(Ptr[Lock], kalloc(usize(sizeof(Lock))))
    if lk != NULL:
        records += 1
    return lk


def free_record(lk: Ptr[Lock]) -> None:
    global records
    if lk != NULL:
        records -= 1
        kfree(cast(Ptr[None], lk))


def link(node: Ptr[vfs.Inode], lk: Ptr[Lock]) -> None:
    lk.next = first(node)
    node.locks = cast(Ptr[None], lk)


def unlink(node: Ptr[vfs.Inode], lk: Ptr[Lock]) -> None:
    prev: Ptr[Lock] = NULL
    cur: Ptr[Lock] = first(node)
    while cur != NULL:
        if cur == lk:
            if prev == NULL:
                node.locks = cast(Ptr[None], cur.next)
            else:
                prev.next = cur.next
            return
        prev = cur
        cur = cur.next


def get(node: Ptr[vfs.Inode], kind: u32, owner: u64, want: u32, start: i64, end: i64, out: Ptr[Lock]) -> bool:
    """F_GETLK: the first lock that would stand in the way, copied into out (True), or False."""
    lk: Ptr[Lock] = find_conflict(node, kind, owner, want, start, end)
    if lk == NULL:
        return False
    out.start = lk.start
    out.end = lk.end
    out.type = lk.type
    out.kind = lk.kind
    out.owner = lk.owner
    out.pid = lk.pid
    return True


def waits_for(owner: u64) -> u64:
    """The owner a sleeping POSIX owner waits behind (0: it does not wait)."""
    w: Ptr[Waiter] = waiters
    while w != NULL:
        if w.owner == owner:
            return w.blocker
        w = w.next
    return 0


def would_deadlock(owner: u64, blocker: u64) -> bool:
    """Does the chain of POSIX waits starting at blocker come back to owner?"""
    cur: u64 = blocker
    for _hop in range(DEADLOCK_DEPTH):
        if cur == owner:
            return True
        cur = waits_for(cur)
        if cur == 0:
            return False
    return False


def remove_waiter(w: Ptr[Waiter]) -> None:
    global waiters
    prev: Ptr[Waiter] = NULL
    cur: Ptr[Waiter] = waiters
    while cur != NULL:
        if cur == w:
            if prev == NULL:
                waiters = cur.next
            else:
                prev.next = cur.next
            return
        prev = cur
        cur = cur.next


def lock(node: Ptr[vfs.Inode], kind: u32, owner: u64, pid: u32, want: u32, start: i64, end: i64, wait: bool) -> i64:
    """Set (or with F_UNLCK clear) a lock of (kind, owner) on [start, end] (flock: the whole file).
    A conflict is -EAGAIN without wait; with it the caller sleeps until the way is clear
    (-EDEADLK if that could never happen, -ERESTARTSYS when a signal comes first)."""
    global waiters
    if kind == FLOCK:
        start = 0
        end = OFFSET_MAX
        drop_flock(node, owner)  # Linux lets go of the old lock first, even if the new one must wait
    if want == F_UNLCK:
        if kind != FLOCK:
            return apply(node, kind, owner, pid, want, start, end)
        return 0
    me: Waiter = Waiter()
    me.owner = owner
    queued: bool = False
    result: i64 = 0
    while True:
        saved: u64 = irq.save()
        lk: Ptr[Lock] = find_conflict(node, kind, owner, want, start, end)
        if lk == NULL:
            result = apply(node, kind, owner, pid, want, start, end)
            irq.restore(saved)
            break
        if not wait:
            irq.restore(saved)
            result = -errno.EAGAIN
            break
        if kind == POSIX and lk.kind == POSIX:
            if would_deadlock(owner, lk.owner):
                irq.restore(saved)
                result = -errno.EDEADLK
                break
            me.blocker = lk.owner
            if not queued:
                me.next = waiters
                waiters = addr(me)
                queued = True
        else:
            me.blocker = 0
        if task.deliverable(sched.current) != 0:
            irq.restore(saved)
            result = -errno.ERESTARTSYS
            break
        sched.block_on(addr(unlocked), u64(0))
        irq.restore(saved)
    if queued:
        remove_waiter(addr(me))
    return result


def apply(node: Ptr[vfs.Inode], kind: u32, owner: u64, pid: u32, want: u32, start: i64, end: i64) -> i64:
    """Make (kind, owner)'s own locks say `want` on [start, end], merging and splitting (no conflict
    is left to check). -ENOLCK, with nothing changed, when memory is short."""
    added: Ptr[Lock] = NULL
    if want != F_UNLCK:
        added = new_record()
        if added == NULL:
            return -errno.ENOLCK
    spare: Ptr[Lock] = new_record()  # the right half if an old lock is split in two
    if spare == NULL:
        free_record(added)
        return -errno.ENOLCK
    shrank: bool = False
    lk: Ptr[Lock] = first(node)
    while lk != NULL:
        nxt: Ptr[Lock] = lk.next
        if lk.kind == kind and lk.owner == owner:
            touches: bool = lk.start <= end and start <= lk.end
            if want != F_UNLCK and lk.type == want:
                # same type: merge when overlapping or adjacent (no overflow: end < OFFSET_MAX there)
                if not touches and end < OFFSET_MAX and lk.start == end + 1:
                    touches = True
                if not touches and lk.end < OFFSET_MAX and lk.end + 1 == start:
                    touches = True
                if touches:
                    if lk.start < start:
                        start = lk.start
                    if lk.end > end:
                        end = lk.end
                    unlink(node, lk)
                    free_record(lk)
            elif touches:
                shrank = True
                if lk.start < start and lk.end > end:
                    spare.start = end + 1
                    spare.end = lk.end
                    spare.type = lk.type
                    spare.kind = lk.kind
                    spare.owner = lk.owner
                    spare.pid = lk.pid
                    link(node, spare)
                    spare = NULL
                    lk.end = start - 1
                elif lk.start < start:
                    lk.end = start - 1
                elif lk.end > end:
                    lk.start = end + 1
                else:
                    unlink(node, lk)
                    free_record(lk)
        lk = nxt
    free_record(spare)
    if added != NULL:
        added.start = start
        added.end = end
        added.type = want
        added.kind = kind
        added.owner = owner
        added.pid = pid
        link(node, added)
    if shrank:
        sched.wake_all(addr(unlocked))
    return 0


def drop_where(node: Ptr[vfs.Inode], kind: u32, owner: u64) -> None:
    """Free every lock of `kind` (0: flock and OFD) held by owner on node, and wake the waiters."""
    found: bool = False
    lk: Ptr[Lock] = first(node)
    while lk != NULL:
        nxt: Ptr[Lock] = lk.next
        if lk.owner == owner and (lk.kind == kind or (kind == 0 and lk.kind != POSIX)):
            unlink(node, lk)
            free_record(lk)
            found = True
        lk = nxt
    if found:
        sched.wake_all(addr(unlocked))


def drop_flock(node: Ptr[vfs.Inode], owner: u64) -> None:
    drop_where(node, u32(FLOCK), owner)


def release_file(node: Ptr[vfs.Inode], f: u64) -> None:
    """An open file's last reference is gone: its flock and OFD locks go."""
    if node.locks != NULL:
        drop_where(node, u32(0), f)


def release_posix(node: Ptr[vfs.Inode], p: u64) -> None:
    """Process p closed a descriptor of node: all its POSIX locks on node go."""
    if node.locks != NULL:
        drop_where(node, u32(POSIX), p)


def init() -> None:
    """Open files let go of their flock and OFD locks when their last reference goes."""
    file.lock_release = release_file
