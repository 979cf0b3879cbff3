"""Where user mode enters the kernel: system calls (from syscall.S), and exceptions and interrupts
taken in ring 3 (from arch/x86_64/trap.py). On every way back to ring 3 the scheduler may switch
tasks and pending signals are delivered.
"""
from cyrius.lang import NULL, Final, Ptr, addr, export, i64, u32, u64
from cyrius.rt import read_cr2, sti

from .. import console, errno
from ..arch.x86_64 import trap
from ..arch.x86_64.trapframe import TrapFrame
from ..host import syscalls as host_syscalls
from ..linux import syscalls
from ..mm import uspace
from . import process, sched, signal, task

VEC_DIVIDE: Final = 0
VEC_DEBUG: Final = 1
VEC_BREAKPOINT: Final = 3
VEC_INVALID_OPCODE: Final = 6
VEC_PAGE_FAULT: Final = 14
VEC_X87: Final = 16
VEC_ALIGNMENT: Final = 17
VEC_SIMD: Final = 19
PF_WRITE: Final = 2


@export("kernel_syscall")
def kernel_syscall(frame: Ptr[TrapFrame]) -> None:
    sti()
    p: Ptr[task.Process] = process.current()
    signal.entering_syscall(sched.current, frame, p.abi == task.ABI_LINUX)
    frame.rax = u64(dispatch(p, frame))
    return_to_user(frame)


def dispatch(p: Ptr[task.Process], frame: Ptr[TrapFrame]) -> i64:
    """The table p's world selects. Fail closed: a process whose world was never set reaches none."""
    if p.abi == task.ABI_LINUX:
        return syscalls.dispatch(frame)
    if p.abi == task.ABI_HOST:
        return host_syscalls.dispatch(frame)
    return -errno.ENOSYS


def return_to_user(frame: Ptr[TrapFrame]) -> None:
    if sched.need_resched:
        sched.schedule()
    signal.deliver(frame)


def signal_for(vector: u64) -> u32:
    if vector == VEC_DIVIDE or vector == VEC_X87 or vector == VEC_SIMD:
        return u32(signal.SIGFPE)
    if vector == VEC_INVALID_OPCODE:
        return u32(signal.SIGILL)
    if vector == VEC_DEBUG or vector == VEC_BREAKPOINT:
        return u32(signal.SIGTRAP)
    if vector == VEC_ALIGNMENT:
        return u32(signal.SIGBUS)
    return u32(signal.SIGSEGV)


def out_of_memory(p: Ptr[task.Process]) -> None:
    """A page the process needs cannot be had (its container's memory limit, or the kernel's
    reserve): it is killed with SIGKILL, as Linux's OOM killer does, and the console says why."""
    console.puts(b"[mm] out of memory: killed process ")
    console.put_dec(u64(p.pid))
    console.puts(b" (")
    console.puts(addr(p.name))
    console.puts(b")\n")
    signal.send(p, u32(signal.SIGKILL))


def user_exception(frame: Ptr[TrapFrame]) -> None:
    """A CPU exception in ring 3: a page fault that demand paging or copy-on-write resolves, or
    a signal for the process."""
    sti()
    if frame.vector == VEC_PAGE_FAULT:
        cr2: u64 = u64(read_cr2())
        p: Ptr[task.Process] = process.current()
        if p.space != NULL:
            r: i64 = uspace.fault(p.space, cr2, (frame.error_code & PF_WRITE) != 0)
            if r == 0:
                return
            if r == -errno.ENOMEM:
                out_of_memory(p)
                return
            if r != -errno.EFAULT:
                signal.force(u32(signal.SIGBUS), cr2)
                return
        signal.force(u32(signal.SIGSEGV), cr2)
        return
    signal.force(signal_for(frame.vector), frame.rip)


def init() -> None:
    signal.init()
    trap.user_exception = user_exception
    trap.user_return = return_to_user
