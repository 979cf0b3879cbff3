"""Fill the Linux system-call table from every family's module; each registers its own calls."""
from . import (sys_cred, sys_dir, sys_fd, sys_info, sys_mm, sys_names, sys_net, sys_poll, sys_proc, sys_rw, sys_signal,
               sys_stat, sys_usage, sys_xattr, syscall_names)
from ..tty import sys_tty


def init() -> None:
    syscall_names.init()
    sys_rw.init()
    sys_fd.init()
    sys_stat.init()
    sys_dir.init()
    sys_names.init()
    sys_xattr.init()
    sys_poll.init()
    sys_proc.init()
    sys_cred.init()
    sys_mm.init()
    sys_signal.init()
    sys_info.init()
    sys_usage.init()
    sys_net.init()
    sys_tty.init()
