"""Which system-call table a process reaches (proc/entry.dispatch), under CPython: the Linux table for
a Linux process, the host table for the host world, and none for a process whose world was never set
(fail closed: a zero-filled Process must not get the host world's container operations)."""
import pytest

from cyrius.kernel import errno
from cyrius.kernel.arch.x86_64.trapframe import TrapFrame
from cyrius.kernel.host import syscalls as host_syscalls
from cyrius.kernel.linux import syscalls as linux_syscalls
from cyrius.kernel.mm.heap import kalloc
from cyrius.kernel.proc import entry, task
from cyrius.lang import Ptr, addr, cast, i64, sizeof, u32, u64, usize


@pytest.fixture
def tables(machine, monkeypatch):
    reached = []
    monkeypatch.setattr(linux_syscalls, "dispatch", lambda frame: reached.append("linux") or i64(11))
    monkeypatch.setattr(host_syscalls, "dispatch", lambda frame: reached.append("host") or i64(22))
    return reached


def a_process(abi):
    p = cast(Ptr[task.Process], kalloc(usize(sizeof(task.Process))))
    p.abi = u32(abi)
    return p


def call(p):
    frame = TrapFrame()
    frame.rax = u64(0)
    return int(entry.dispatch(p, addr(frame)))


def test_each_world_reaches_its_own_table(tables):
    assert call(a_process(task.ABI_LINUX)) == 11
    assert call(a_process(task.ABI_HOST)) == 22
    assert tables == ["linux", "host"]


def test_a_process_whose_world_was_never_set_reaches_no_table(tables):
    assert task.ABI_UNSET == 0  # what a zero-filled record holds
    assert call(a_process(task.ABI_UNSET)) == -errno.ENOSYS
    assert tables == []
