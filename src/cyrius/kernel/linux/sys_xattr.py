"""Extended attributes: no filesystem keeps them, so every call answers as Linux does on such a
filesystem (EOPNOTSUPP, or an empty list)."""
from cyrius.lang import NULL, Array, Ptr, addr, i64, u8, u32, u64

from .. import errno
from ..arch.x86_64.trapframe import TrapFrame
from ..fs import vfs
from .syscalls import PARTIAL, define
from .fsargs import AT_FDCWD, get_file, lookup_user
from .syscall_names import SYS_FLISTXATTR, SYS_GETXATTR, SYS_LISTXATTR, SYS_LLISTXATTR, SYS_REMOVEXATTR, SYS_SETXATTR


def xattr_target(f: Ptr[TrapFrame], follow: bool, by_fd: bool) -> i64:
    """0 when the file an xattr call names exists (by path in rdi, or descriptor), else -errno."""
    if by_fd:
        if get_file(f.rdi) == NULL:
            return -errno.EBADF
        return 0
    slot: Array[Ptr[vfs.Inode], 1] = Array[Ptr[vfs.Inode], 1]()
    err: i64 = lookup_user(u64(i64(AT_FDCWD)), f.rdi, follow, False, addr(slot))
    if err == 0:
        vfs.put(slot[0])
    return err


def no_xattrs(f: Ptr[TrapFrame], follow: bool, by_fd: bool) -> i64:
    """Cyrius' filesystems keep no extended attributes: reading or changing one is EOPNOTSUPP, as on
    a filesystem without them (ls and cp take that as "no ACL, no security label")."""
    err: i64 = xattr_target(f, follow, by_fd)
    if err < 0:
        return err
    return -errno.EOPNOTSUPP


def sys_xattr(f: Ptr[TrapFrame]) -> i64:
    """getxattr, setxattr, removexattr on a path."""
    return no_xattrs(f, True, False)


def sys_lxattr(f: Ptr[TrapFrame]) -> i64:
    """lgetxattr, lsetxattr, lremovexattr: the link itself."""
    return no_xattrs(f, False, False)


def sys_fxattr(f: Ptr[TrapFrame]) -> i64:
    """fgetxattr, fsetxattr, fremovexattr on a descriptor."""
    return no_xattrs(f, True, True)


def sys_listxattr(f: Ptr[TrapFrame]) -> i64:
    return xattr_target(f, True, False)  # an empty list


def sys_llistxattr(f: Ptr[TrapFrame]) -> i64:
    return xattr_target(f, False, False)


def sys_flistxattr(f: Ptr[TrapFrame]) -> i64:
    return xattr_target(f, True, True)


def define_unkept(plain: u32) -> None:
    """A call that sets, gets or removes an attribute, and its l (no follow) and f (descriptor) forms,
    which Linux numbers right after it."""
    note: Ptr[u8] = b"no filesystem keeps extended attributes: EOPNOTSUPP"
    define(plain, sys_xattr, PARTIAL, note)
    define(plain + 1, sys_lxattr, PARTIAL, note)
    define(plain + 2, sys_fxattr, PARTIAL, note)


def init() -> None:
    define_unkept(u32(SYS_SETXATTR))
    define_unkept(u32(SYS_GETXATTR))
    define_unkept(u32(SYS_REMOVEXATTR))
    define(SYS_LISTXATTR, sys_listxattr, PARTIAL, b"always an empty list")
    define(SYS_LLISTXATTR, sys_llistxattr, PARTIAL, b"always an empty list")
    define(SYS_FLISTXATTR, sys_flistxattr, PARTIAL, b"always an empty list")
