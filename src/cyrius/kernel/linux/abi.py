"""Fill the Linux system-call table from every family's module."""
from . import sys_fs, sys_info, sys_mm, sys_net, sys_proc, sys_signal, sys_usage, syscall_names
from ..tty import sys_tty


def init() -> None:
    syscall_names.init()
    sys_fs.init()
    sys_proc.init()
    sys_mm.init()
    sys_signal.init()
    sys_info.init()
    sys_usage.init()
    sys_net.init()
    sys_tty.init()
