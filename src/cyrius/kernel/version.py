"""What the kernel calls itself to Linux programs (uname, /proc/version)."""
from cyrius.lang import Ptr, u8


def release() -> Ptr[u8]:
    """The Linux release whose system-call interface Cyrius implements."""
    return b"6.1.0-cyrius"


def build() -> Ptr[u8]:
    return b"#1 Cyrius (a Type-1 container runtime)"
