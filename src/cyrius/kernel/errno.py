"""Linux errno values. Kernel functions return them negated (-ENOENT) as Linux syscalls do."""
from cyrius.lang import Final, Ptr, i64, u8

EPERM: Final = 1
ENOENT: Final = 2
ESRCH: Final = 3
EINTR: Final = 4
EIO: Final = 5
ENXIO: Final = 6
E2BIG: Final = 7
ENOEXEC: Final = 8
EBADF: Final = 9
ECHILD: Final = 10
EAGAIN: Final = 11
ENOMEM: Final = 12
EACCES: Final = 13
EFAULT: Final = 14
EBUSY: Final = 16
EEXIST: Final = 17
EXDEV: Final = 18
ENODEV: Final = 19
ENOTDIR: Final = 20
EISDIR: Final = 21
EINVAL: Final = 22
ENFILE: Final = 23
EMFILE: Final = 24
ENOTTY: Final = 25
EFBIG: Final = 27
ENOSPC: Final = 28
ESPIPE: Final = 29
EROFS: Final = 30
EMLINK: Final = 31
EPIPE: Final = 32
ERANGE: Final = 34
ENAMETOOLONG: Final = 36
ENOSYS: Final = 38
ENOTEMPTY: Final = 39
ELOOP: Final = 40
ENOTSUP: Final = 95
EOVERFLOW: Final = 75
EILSEQ: Final = 84
EBADMSG: Final = 74
EUCLEAN: Final = 117
EOPNOTSUPP: Final = 95
EAFNOSUPPORT: Final = 97
EADDRINUSE: Final = 98
ECONNREFUSED: Final = 111
ECONNRESET: Final = 104
ENOTCONN: Final = 107
ETIMEDOUT: Final = 110
EINPROGRESS: Final = 115
EALREADY: Final = 114
ENOTSOCK: Final = 88
EDESTADDRREQ: Final = 89
EMSGSIZE: Final = 90
EPROTONOSUPPORT: Final = 93
EISCONN: Final = 106
EADDRNOTAVAIL: Final = 99
ENETUNREACH: Final = 101
EHOSTUNREACH: Final = 113
EPROTOTYPE: Final = 91
ENOPROTOOPT: Final = 92
EDOM: Final = 33
ENOTBLK: Final = 15
ETXTBSY: Final = 26
EDEADLK: Final = 35
ENOLCK: Final = 37
ENODATA: Final = 61
ENOTUNIQ: Final = 76
EBADFD: Final = 77
ECANCELED: Final = 125
EOWNERDEAD: Final = 130
EKEYREJECTED: Final = 129
EHWPOISON: Final = 133
ECHRNG: Final = 44
ESTALE: Final = 116
EDQUOT: Final = 122
ENOMEDIUM: Final = 123
EMEDIUMTYPE: Final = 124
ERFKILL: Final = 132
ENOTRECOVERABLE: Final = 131
EKEYREVOKED: Final = 128
EKEYEXPIRED: Final = 127
ENOKEY: Final = 126
EPROTO: Final = 71
EMULTIHOP: Final = 72
ENOLINK: Final = 67
EREMOTE: Final = 66
ENOSR: Final = 63
ENOSTR: Final = 60
ETIME: Final = 62
ENONET: Final = 64
ENOPKG: Final = 65
EADV: Final = 68
ESRMNT: Final = 69
ECOMM: Final = 70
EDOTDOT: Final = 73
ENOTNAM: Final = 118
ENAVAIL: Final = 119
EISNAM: Final = 120
EREMOTEIO: Final = 121
EUSERS: Final = 87
ESTRPIPE: Final = 86
ERESTART: Final = 85
ELIBEXEC: Final = 83
ELIBMAX: Final = 82
ELIBSCN: Final = 81
ELIBBAD: Final = 80
ELIBACC: Final = 79
EREMCHG: Final = 78
ESHUTDOWN: Final = 108
ETOOMANYREFS: Final = 109
EHOSTDOWN: Final = 112
ENETDOWN: Final = 100
ENETRESET: Final = 102
ECONNABORTED: Final = 103
ENOBUFS: Final = 105
ESOCKTNOSUPPORT: Final = 94
EPFNOSUPPORT: Final = 96
EXFULL: Final = 54
ENOANO: Final = 55
EBADRQC: Final = 56
EBADSLT: Final = 57
EBFONT: Final = 59
ENOCSI: Final = 50
EL2HLT: Final = 51
EBADE: Final = 52
EBADR: Final = 53
EUNATCH: Final = 49
ELNRNG: Final = 48
EL3RST: Final = 47
EL3HLT: Final = 46
EL2NSYNC: Final = 45
EIDRM: Final = 43
ENOMSG: Final = 42
EWOULDBLOCK: Final = 11
EDEADLOCK: Final = 35

# Kernel-internal: a system call interrupted by a signal says how it may be restarted, and
# signal.deliver() turns this into -EINTR or a restart before user mode sees it (as Linux does).
ERESTARTSYS: Final = 512  # restart if the handler has SA_RESTART (or no handler runs)
ERESTARTNOINTR: Final = 513  # always restart
ERESTARTNOHAND: Final = 514  # restart only if no handler runs
ERESTART_RESTARTBLOCK: Final = 516  # as NOHAND, but restart through restart_syscall (the deadline kept)


def interrupted(r: i64) -> bool:
    """A result that means a signal ended the call: -EINTR or one of the restart codes."""
    return (r == -EINTR or r == -ERESTARTSYS or r == -ERESTARTNOINTR or r == -ERESTARTNOHAND
            or r == -ERESTART_RESTARTBLOCK)


def message(code: i64) -> Ptr[u8]:
    """What a (negative or positive) errno means, as strerror says it."""
    e: i64 = -code if code < 0 else code
    if e == ENOENT:
        return b"No such file or directory"
    if e == EEXIST:
        return b"File exists"
    if e == ENOTDIR:
        return b"Not a directory"
    if e == EISDIR:
        return b"Is a directory"
    if e == ENOTEMPTY:
        return b"Directory not empty"
    if e == EINVAL:
        return b"Invalid argument"
    if e == ENOMEM:
        return b"Cannot allocate memory"
    if e == ENOSPC:
        return b"No space left on device"
    if e == EACCES:
        return b"Permission denied"
    if e == EPERM:
        return b"Operation not permitted"
    if e == ELOOP:
        return b"Too many levels of symbolic links"
    if e == ENAMETOOLONG:
        return b"File name too long"
    if e == EBUSY:
        return b"Device or resource busy"
    if e == EXDEV:
        return b"Invalid cross-device link"
    if e == EIO:
        return b"Input/output error"
    if e == EROFS:
        return b"Read-only file system"
    if e == EBADF:
        return b"Bad file descriptor"
    if e == ENOEXEC:
        return b"Exec format error"
    if e == ELIBBAD:
        return b"Accessing a corrupted shared library"
    if e == ENOSYS:
        return b"Function not implemented"
    if e == EFAULT:
        return b"Bad address"
    if e == EAGAIN:
        return b"Resource temporarily unavailable"
    if e == EBADMSG:
        return b"Bad message"
    if e == EUCLEAN:
        return b"Structure needs cleaning"
    if e == EFBIG:
        return b"File too large"
    return b"Unknown error"
