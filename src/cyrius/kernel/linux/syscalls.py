"""The Linux system-call table: data, one entry per implemented call, filled by each family's
module (sys_rw, sys_fd, sys_stat, sys_dir, sys_names, sys_xattr, sys_poll, sys_proc, sys_mm, sys_signal,
sys_info, sys_usage, sys_net, and tty/sys_tty).
docs/linux-syscalls.md is generated from this table (python -m cyrius.syscall_doc).

A handler is thin: it decodes its arguments from the trap frame (rdi, rsi, rdx, r10, r8, r9)
and calls the real work. Unknown numbers return -ENOSYS, noted once per number by name in the kernel
log (`dmesg`, numbers past the table once in all), not on the terminal the program may be writing to.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, struct, i64, u8, u32, u64

from .. import errno, klog
from ..arch.x86_64.trapframe import TrapFrame
from ..proc import process, sched
from . import syscall_names

FULL: Final = 1
PARTIAL: Final = 2



@struct
class Syscall:
    handler: Callable[[Ptr[TrapFrame]], i64]
    support: u32  # FULL, PARTIAL; 0 = not implemented (ENOSYS)
    logged: bool
    note: Ptr[u8]  # what a PARTIAL implementation leaves out


table: Array[Syscall, syscall_names.COUNT] = Array[Syscall, syscall_names.COUNT]()
# Numbers past the table are logged once in all: each is a different number, and a program trying
# random ones would otherwise flood the console.
logged_beyond_table: bool = False


def define(nr: u32, handler: Callable[[Ptr[TrapFrame]], i64], support: u32, note: Ptr[u8]) -> None:
    table[nr].handler = handler
    table[nr].support = support
    table[nr].note = note


def dispatch(frame: Ptr[TrapFrame]) -> i64:
    global logged_beyond_table
    nr: u64 = frame.rax
    if nr >= syscall_names.COUNT or table[nr].handler == NULL:
        if nr < syscall_names.COUNT:
            if table[nr].logged:
                return -errno.ENOSYS
            table[nr].logged = True
        else:
            if logged_beyond_table:
                return -errno.ENOSYS
            logged_beyond_table = True
        klog.puts(b"[linux] unimplemented system call ")
        klog.puts(syscall_names.name_of(nr))
        klog.puts(b" (")
        klog.put_dec(nr)
        klog.puts(b"): ENOSYS\n")
        return -errno.ENOSYS
    result: i64 = table[nr].handler(frame)
    if sched.current.held[0] != NULL:
        process.release_held(sched.current)  # what the call held open (process.fd_hold)
    return result
