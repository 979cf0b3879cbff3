"""Capability numbers (capabilities(7)) and the one test of a set: a leaf module, so the VFS and the
network can check capabilities without importing the process subsystem.

A set is a u64, bit n for capability n; Linux 6.x defines 0 (CAP_CHOWN) to 40
(CAP_CHECKPOINT_RESTORE). The rules that move capabilities between a process's five sets (fork,
execve, setuid, capset, prctl) are in proc/cred.py.
"""
from cyrius.lang import Final, u32, u64

CAP_CHOWN: Final = 0
CAP_DAC_OVERRIDE: Final = 1
CAP_DAC_READ_SEARCH: Final = 2
CAP_FOWNER: Final = 3
CAP_FSETID: Final = 4
CAP_KILL: Final = 5
CAP_SETGID: Final = 6
CAP_SETUID: Final = 7
CAP_SETPCAP: Final = 8
CAP_NET_BIND_SERVICE: Final = 10
CAP_NET_RAW: Final = 13
CAP_SYS_CHROOT: Final = 18
CAP_SYS_ADMIN: Final = 21
CAP_SYS_NICE: Final = 23
CAP_SYS_RESOURCE: Final = 24
CAP_SYS_TIME: Final = 25
CAP_MKNOD: Final = 27
CAP_AUDIT_WRITE: Final = 29
CAP_LAST_CAP: Final = 40
CAP_ALL: Final = (1 << (CAP_LAST_CAP + 1)) - 1  # every capability Linux defines: the host world's sets


def has(set: u64, cap: u32) -> bool:
    return (set >> u64(cap)) & 1 != 0


def valid(cap: u64) -> bool:
    return cap <= u64(CAP_LAST_CAP)
