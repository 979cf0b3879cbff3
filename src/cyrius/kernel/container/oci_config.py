"""An OCI bundle's config.json (runtime-spec 1.x) read into a ContainerSpec.

parse_config() runs the strict JSON parser (lib/json.py) over the file and walks the result
field by field. Every string lands NUL-terminated in the spec's own string pool (`strings`,
reached with spec_string()), so a ContainerSpec is one flat allocation and needs no freeing
beyond itself. The caller provides the memory, which keeps this module pure (and compared with
its compiled self in tests/diff): the spec (about 72 KiB) and the token array, whose size
count_config_tokens() gives:
    n = count_config_tokens(text, length, err)  # < 0: err holds the syntax error
    tokens = kalloc(usize(n) * sizeof(JsonToken))
    result = parse_config(text, length, tokens, u32(n), spec, err)
    kfree(tokens)
On failure the spec holds whatever was read before the error.

A rejected config fills a ConfigError, and format_error() makes the shell's line of it:
    config.json:3:15: expected ',' or '}'                  (a JSON syntax error: line and column)
    config.json: process.args[0]: expected a string        (a schema error: the JSON path)
    config.json: linux.seccomp: not supported by Cyrius    (a property Cyrius cannot apply)

What is read, and what becomes of it:
* recorded: ociVersion (must be 1.x), root.path/readonly, process.terminal, consoleSize,
  cwd (absolute), env, args (at least one), user.uid/gid (both REQUIRED by the spec, so never
  defaulted)/umask/additionalGids, rlimits (RLIMIT_* names; duplicates and soft > hard are
  errors), capabilities (five bit masks; names capabilities(7) does not define are counted in
  unknown_capabilities for the caller to warn about, as the spec asks, and not applied),
  noNewPrivileges, hostname, domainname (at most 64 bytes each), mounts (a relative destination,
  deprecated, gets a "/" in front; type, source and options as written, plus `kind`, the MOUNT_*
  class; whether Cyrius can mount it is decided when the container is created), annotations,
  linux.namespaces (as CLONE_NEW* bits), linux.maskedPaths, linux.readonlyPaths,
  linux.resources.pids.limit (1 to MAX_PIDS_LIMIT; 0 and -1, "unlimited", leave it to the
  runtime's default) and linux.resources.memory.limit (bytes, at least one page; -1 is none).
* checked, then without effect because Cyrius provides them by construction:
  linux.uidMappings/gidMappings (a container's IDs are its own; there are no host users to map
  them to), linux.resources.devices (a container reaches only the devices devfs gives it),
  linux.cgroupsPath (there is no cgroup hierarchy to place it in), linux.resources.memory
  reservation and swap (a soft limit matters only to reclaim, and there is no swap), a false
  disableOOMKiller, linux.rootfsPropagation
  other than (r)shared (no mount events cross between container and host VFS instances),
  empty hooks lists, empty linux.devices and linux.sysctl, empty apparmorProfile, selinuxLabel
  and mountLabel.
* an error naming the property ("not supported by Cyrius"), because Cyrius cannot apply it:
  hooks that run anything, process.oomScoreAdj/scheduler/ioPriority/execCPUAffinity, an
  AppArmor or SELinux label, mounts[].uidMappings/gidMappings, linux.namespaces[].path (joining
  a namespace), linux.devices, linux.sysctl, linux.resources other than devices, pids and
  memory, the memory fields kernel, kernelTCP, swappiness, useHierarchy, checkBeforeUpdate and a
  true disableOOMKiller (Cyrius kills at the limit), linux.seccomp,
  intelRdt, personality, timeOffsets, memoryPolicy, netDevices, rootfsPropagation (r)shared, and
  the windows, solaris, vm and zos sections (bundles for another platform).
* ignored, as the spec's Extensibility section requires: every property the spec does not
  define, and the Windows-only process.commandLine and user.username.
"""
from cyrius.lang import Array, Final, Ptr, addr, cast, i64, sizeof, struct, u8, u32, u64, usize
from cyrius.rt import fmt_u64, memset, strlen

from .. import errno
from ..lib import json
from ..lib.json import JSON_ARRAY, JSON_OBJECT, JSON_STRING, JsonError, JsonToken

# Capacities. Exceeding one is an error naming the field.
MAX_ARGS: Final = 64
MAX_ENV: Final = 128
MAX_MOUNTS: Final = 32
MAX_OPTIONS: Final = 256  # mount options, all mounts together
MAX_ANNOTATIONS: Final = 32
MAX_RLIMITS: Final = 16  # one per resource: duplicates are errors
MAX_GIDS: Final = 32
MAX_PATHS: Final = 64  # linux.maskedPaths, and linux.readonlyPaths
STRINGS_CAP: Final = 65536  # the string pool
PATH_LIMIT: Final = 4095  # bytes in a path (PATH_MAX with its NUL)
HOST_NAME_MAX: Final = 64  # hostname and domainname, as Linux limits them
ERROR_PATH_CAP: Final = 256
ERROR_MESSAGE_CAP: Final = 128
KEY_SHOWN: Final = 64  # annotation key bytes quoted in a path
MAX_PIDS_LIMIT: Final = 4096  # linux.resources.pids.limit: every process costs kernel memory
PAGE_BYTES: Final = 4096  # the smallest linux.resources.memory.limit

# Mount kinds (MountSpec.kind), from the type or, for bind mounts, the options.
MOUNT_OTHER: Final = 0  # a type Cyrius does not know (or none, and not a bind mount)
MOUNT_PROC: Final = 1
MOUNT_SYSFS: Final = 2
MOUNT_TMPFS: Final = 3
MOUNT_DEVPTS: Final = 4
MOUNT_MQUEUE: Final = 5
MOUNT_CGROUP: Final = 6  # cgroup or cgroup2
MOUNT_BIND: Final = 7  # "bind" or "rbind" among the options, or type "bind"

# Namespaces (ContainerSpec.namespaces): Linux's clone flags.
CLONE_NEWTIME: Final = 0x00000080
CLONE_NEWNS: Final = 0x00020000
CLONE_NEWCGROUP: Final = 0x02000000
CLONE_NEWUTS: Final = 0x04000000
CLONE_NEWIPC: Final = 0x08000000
CLONE_NEWUSER: Final = 0x10000000
CLONE_NEWPID: Final = 0x20000000
CLONE_NEWNET: Final = 0x40000000

# ConfigError.kind
CONFIG_OK: Final = 0
CONFIG_SYNTAX: Final = 1  # not JSON: line and column say where
CONFIG_SCHEMA: Final = 2  # JSON, but not a config Cyrius can run: path says where

WORD_CAP: Final = 40  # longest name looked up in the lists below, plus a NUL

SLASH: Final = 0x2F


@struct
class Str:
    """A string in ContainerSpec.strings: `len` bytes at `at`, then a NUL. Absent strings are
    empty (at 0, where the pool holds a lone NUL)."""
    at: u32
    len: u32


@struct
class Rlimit:
    resource: u32  # RLIMIT_* (0 = RLIMIT_CPU ... 15 = RLIMIT_RTTIME)
    soft: u64
    hard: u64


@struct
class MountSpec:
    destination: Str  # absolute, inside the container
    type: Str  # as written; empty if absent
    source: Str  # as written; empty if absent
    first_option: u32  # options[first_option .. first_option + option_count) of the spec
    option_count: u32
    kind: u32  # MOUNT_*


@struct
class Annotation:
    key: Str  # never empty
    value: Str


@struct
class ContainerSpec:
    oci_version: Str
    root_path: Str  # absolute, or relative to the bundle
    root_readonly: bool
    terminal: bool
    console_height: u32  # process.consoleSize; 0 when absent
    console_width: u32
    uid: u32
    gid: u32
    has_umask: bool  # else the umask is left as it is
    umask: u32
    gid_count: u32
    additional_gids: Array[u32, MAX_GIDS]
    arg_count: u32  # at least 1
    args: Array[Str, MAX_ARGS]
    env_count: u32
    env: Array[Str, MAX_ENV]
    cwd: Str  # absolute
    no_new_privileges: bool
    has_capabilities: bool  # process.capabilities present (absent sets are empty)
    cap_bounding: u64  # bit n is capability n
    cap_effective: u64
    cap_inheritable: u64
    cap_permitted: u64
    cap_ambient: u64
    unknown_capabilities: u32  # names capabilities(7) does not define: to warn about, not applied
    unknown_capability: Str  # the first of them
    rlimit_count: u32
    rlimits: Array[Rlimit, MAX_RLIMITS]
    has_hostname: bool
    hostname: Str
    has_domainname: bool
    domainname: Str
    mount_count: u32
    mounts: Array[MountSpec, MAX_MOUNTS]
    option_count: u32
    options: Array[Str, MAX_OPTIONS]
    annotation_count: u32
    annotations: Array[Annotation, MAX_ANNOTATIONS]
    namespaces: u32  # CLONE_NEW* of linux.namespaces
    masked_count: u32
    masked_paths: Array[Str, MAX_PATHS]
    readonly_count: u32
    readonly_paths: Array[Str, MAX_PATHS]
    pids_limit: u64  # linux.resources.pids.limit; 0: absent or unlimited (the runtime's default applies)
    memory_limit: u64  # linux.resources.memory.limit in bytes; 0: absent or -1 (no limit of its own)
    strings_used: u32
    strings: Array[u8, STRINGS_CAP]


@struct
class ConfigError:
    kind: u32  # CONFIG_*
    line: u32  # CONFIG_SYNTAX: 1-based line and column (characters)
    column: u32
    path_len: u32
    path: Array[u8, ERROR_PATH_CAP]  # CONFIG_SCHEMA: where, e.g. "process.args[0]"; empty for the document
    message_len: u32
    message: Array[u8, ERROR_MESSAGE_CAP]  # what, e.g. "expected a string"


@struct
class Reader:
    text: Ptr[u8]
    tokens: Ptr[JsonToken]
    spec: Ptr[ContainerSpec]
    err: Ptr[ConfigError]


def spec_string(spec: Ptr[ContainerSpec], s: Ptr[Str]) -> Ptr[u8]:
    """The NUL-terminated bytes of a string of the spec."""
    return addr(spec.strings) + s.at


# ---------------------------------------------------------------- name lists (space-separated)

def rlimit_names() -> Ptr[u8]:
    """RLIMIT_<name> by number (Linux's RLIMIT_CPU = 0 ... RLIMIT_RTTIME = 15)."""
    return b"CPU FSIZE DATA STACK CORE RSS NPROC NOFILE MEMLOCK AS LOCKS SIGPENDING MSGQUEUE NICE RTPRIO RTTIME"


def capability_names() -> Ptr[u8]:
    """CAP_<name> by number (capabilities(7): CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40)."""
    return (b"CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
            b"NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO "
            b"SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME "
            b"SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG "
            b"WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE")


def namespace_names() -> Ptr[u8]:
    """In the order namespace_flag() numbers them."""
    return b"pid network mount ipc uts user cgroup time"


def mount_type_names() -> Ptr[u8]:
    """In the order mount_kind() numbers them."""
    return b"proc sysfs tmpfs devpts mqueue cgroup cgroup2 bind"


# ---------------------------------------------------------------- error messages and paths

def clear_error(err: Ptr[ConfigError]) -> None:
    err.kind = CONFIG_OK
    err.line = 0
    err.column = 0
    err.path_len = 0
    err.path[0] = 0
    err.message_len = 0
    err.message[0] = 0


def say_bytes(r: Ptr[Reader], text: Ptr[u8], length: usize) -> None:
    """Append to the message, cut at its capacity."""
    e: Ptr[ConfigError] = r.err
    for i in range(length):
        if e.message_len + 1 >= ERROR_MESSAGE_CAP:
            break
        e.message[e.message_len] = text[i]
        e.message_len += 1
    e.message[e.message_len] = 0


def say(r: Ptr[Reader], text: Ptr[u8]) -> None:
    say_bytes(r, text, strlen(text))


def say_number(r: Ptr[Reader], value: u64) -> None:
    digits: Array[u8, 24] = Array[u8, 24]()
    n: usize = fmt_u64(addr(digits), usize(len(digits)), value, u32(10), u32(0), u8(0x20))
    say_bytes(r, addr(digits), n)


def fail(r: Ptr[Reader], code: i64, message: Ptr[u8]) -> i64:
    """A schema error at the current path: record the message, return `code`."""
    r.err.kind = CONFIG_SCHEMA
    r.err.message_len = 0
    say(r, message)
    return code


def fail_limit(r: Ptr[Reader], before: Ptr[u8], limit: u64, after: Ptr[u8]) -> i64:
    """-E2BIG with "BEFORE LIMIT AFTER" as the message."""
    fail(r, -errno.E2BIG, before)
    say_number(r, limit)
    say(r, after)
    return -errno.E2BIG


def unsupported(r: Ptr[Reader]) -> i64:
    return fail(r, -errno.EOPNOTSUPP, b"not supported by Cyrius")


def path_bytes(r: Ptr[Reader], text: Ptr[u8], length: usize, printable: bool) -> None:
    """Append to the path, cut at its capacity (control characters become '?' if printable)."""
    e: Ptr[ConfigError] = r.err
    for i in range(length):
        if e.path_len + 1 >= ERROR_PATH_CAP:
            break
        c: u8 = text[i]
        if printable and (c < 0x20 or c == 0x7F):
            c = 0x3F
        e.path[e.path_len] = c
        e.path_len += 1
    e.path[e.path_len] = 0


def path_key(r: Ptr[Reader], name: Ptr[u8]) -> None:
    if r.err.path_len > 0:
        path_bytes(r, b".", usize(1), False)
    path_bytes(r, name, strlen(name), False)


def path_index(r: Ptr[Reader], index: u32) -> None:
    digits: Array[u8, 24] = Array[u8, 24]()
    n: usize = fmt_u64(addr(digits), usize(len(digits)), u64(index), u32(10), u32(0), u8(0x20))
    path_bytes(r, b"[", usize(1), False)
    path_bytes(r, addr(digits), n, False)
    path_bytes(r, b"]", usize(1), False)


def path_quoted_key(r: Ptr[Reader], k: u32) -> None:
    """["KEY"] for the string token k (an annotation key), cut at KEY_SHOWN bytes."""
    shown: Array[u8, KEY_SHOWN + 1] = Array[u8, KEY_SHOWN + 1]()
    n: i64 = json.get_string(r.text, r.tokens, k, addr(shown), usize(len(shown)))
    path_bytes(r, b"[\"", usize(2), False)
    path_bytes(r, addr(shown), strlen(addr(shown)), True)
    if n < 0:
        path_bytes(r, b"...", usize(3), False)
    path_bytes(r, b"\"]", usize(2), False)


def path_pop(r: Ptr[Reader], saved: u32) -> None:
    r.err.path_len = saved
    r.err.path[saved] = 0


def missing(r: Ptr[Reader], name: Ptr[u8]) -> i64:
    path_key(r, name)
    return fail(r, -errno.EINVAL, b"missing")


# ---------------------------------------------------------------- values

def at_key(r: Ptr[Reader], k: u32, name: Ptr[u8]) -> bool:
    """Whether the key at tokens[k] is `name`; if so, the path now names it."""
    if not json.string_is(r.text, r.tokens, k, name, strlen(name)):
        return False
    path_key(r, name)
    return True


def kind_of(r: Ptr[Reader], v: u32) -> u32:
    return r.tokens[v].kind


def expect_object(r: Ptr[Reader], v: u32) -> i64:
    if kind_of(r, v) != JSON_OBJECT:
        return fail(r, -errno.EINVAL, b"expected an object")
    return 0


def expect_array(r: Ptr[Reader], v: u32) -> i64:
    if kind_of(r, v) != JSON_ARRAY:
        return fail(r, -errno.EINVAL, b"expected an array")
    return 0


def store_string(r: Ptr[Reader], v: u32, limit: u32, out: Ptr[Str]) -> i64:
    """Copy the string at tokens[v] (at most `limit` bytes, no NUL characters) into the pool."""
    if kind_of(r, v) != JSON_STRING:
        return fail(r, -errno.EINVAL, b"expected a string")
    n: i64 = json.string_length(r.text, r.tokens, v)
    if n > i64(limit):
        return fail_limit(r, b"longer than ", u64(limit), b" bytes")
    spec: Ptr[ContainerSpec] = r.spec
    at: u32 = spec.strings_used
    if i64(at) + n + 1 > STRINGS_CAP:
        return fail_limit(r, b"strings exceed ", u64(STRINGS_CAP), b" bytes in all (Cyrius's limit)")
    dst: Ptr[u8] = addr(spec.strings) + at
    got: i64 = json.get_string(r.text, r.tokens, v, dst, usize(STRINGS_CAP - at))
    for i in range(got):
        if dst[i] == 0:
            dst[0] = 0
            return fail(r, -errno.EINVAL, b"contains a NUL character")
    out.at = at
    out.len = u32(got)
    spec.strings_used = at + u32(got) + 1
    return 0


def store_path(r: Ptr[Reader], v: u32, absolute: bool, out: Ptr[Str]) -> i64:
    err: i64 = store_string(r, v, u32(PATH_LIMIT), out)
    if err < 0:
        return err
    if out.len == 0:
        return fail(r, -errno.EINVAL, b"empty path")
    if absolute and r.spec.strings[out.at] != SLASH:
        return fail(r, -errno.EINVAL, b"must be an absolute path")
    return 0


def store_rooted_path(r: Ptr[Reader], v: u32, out: Ptr[Str]) -> i64:
    """A path inside the container: a relative one (deprecated, but allowed for mount
    destinations) is taken relative to "/", which is put in front of it."""
    err: i64 = store_path(r, v, False, out)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    if spec.strings[out.at] == SLASH:
        return 0
    if out.len + 1 > PATH_LIMIT:
        return fail_limit(r, b"longer than ", u64(PATH_LIMIT), b" bytes")
    if spec.strings_used + 1 > STRINGS_CAP:
        return fail_limit(r, b"strings exceed ", u64(STRINGS_CAP), b" bytes in all (Cyrius's limit)")
    i: u32 = out.len + 1  # the NUL moves too
    while i > 0:
        spec.strings[out.at + i] = spec.strings[out.at + i - 1]
        i -= 1
    spec.strings[out.at] = SLASH
    out.len += 1
    spec.strings_used += 1
    return 0


def read_bool(r: Ptr[Reader], v: u32) -> i64:
    """1 for true, 0 for false, or -EINVAL (reported)."""
    value: Array[bool, 1] = Array[bool, 1]()
    if json.get_bool(r.tokens, v, addr(value)) < 0:
        return fail(r, -errno.EINVAL, b"expected true or false")
    return 1 if value[0] else 0


def read_u64(r: Ptr[Reader], v: u32, out: Ptr[u64]) -> i64:
    err: i64 = json.get_u64(r.text, r.tokens, v, out)
    if err == -errno.ERANGE:
        return fail(r, -errno.ERANGE, b"out of range (0 to 18446744073709551615)")
    if err < 0:
        return fail(r, -errno.EINVAL, b"expected an integer")
    return 0


def read_i64(r: Ptr[Reader], v: u32, out: Ptr[i64]) -> i64:
    err: i64 = json.get_i64(r.text, r.tokens, v, out)
    if err == -errno.ERANGE:
        return fail(r, -errno.ERANGE, b"out of range (-9223372036854775808 to 9223372036854775807)")
    if err < 0:
        return fail(r, -errno.EINVAL, b"expected an integer")
    return 0


def read_u32(r: Ptr[Reader], v: u32) -> i64:
    """The uint32 at tokens[v], or -errno (reported)."""
    value: Array[u64, 1] = Array[u64, 1]()
    err: i64 = json.get_u64(r.text, r.tokens, v, addr(value))
    if err == -errno.ERANGE or (err == 0 and value[0] > 0xFFFFFFFF):
        return fail(r, -errno.ERANGE, b"out of range (0 to 4294967295)")
    if err < 0:
        return fail(r, -errno.EINVAL, b"expected an integer")
    return i64(value[0])


def read_strings(r: Ptr[Reader], v: u32, out: Ptr[Str], cap: u32, limit: u32, paths: bool) -> i64:
    """An array of at most `cap` strings (absolute paths if `paths`) into out[0..); how many."""
    err: i64 = expect_array(r, v)
    if err < 0:
        return err
    size: u32 = r.tokens[v].size
    if size > cap:
        return fail_limit(r, b"more than ", u64(cap), b" entries (Cyrius's limit)")
    e: u32 = v + 1
    saved: u32 = r.err.path_len
    for i in range(size):
        path_index(r, i)
        if paths:
            err = store_path(r, e, True, out + i)
        else:
            err = store_string(r, e, limit, out + i)
        if err < 0:
            return err
        path_pop(r, saved)
        e = r.tokens[e].next
    return i64(size)


def word_index(words: Ptr[u8], word: Ptr[u8], length: usize) -> i64:
    """Position of word[0..length) in the space-separated list `words`, or -1."""
    index: i64 = 0
    i: usize = 0
    while words[i] != 0:
        k: usize = 0
        while k < length and words[i + k] == word[k]:
            k += 1
        if k == length and (words[i + k] == 0x20 or words[i + k] == 0):
            return index
        while words[i] != 0 and words[i] != 0x20:
            i += 1
        if words[i] == 0x20:
            i += 1
        index += 1
    return -1


def lookup(r: Ptr[Reader], v: u32, prefix: Ptr[u8], words: Ptr[u8]) -> i64:
    """The position in `words` of the string at tokens[v] once `prefix` is taken off; -1 if it is
    not there; -EINVAL (reported) if it is not a string."""
    if kind_of(r, v) != JSON_STRING:
        return fail(r, -errno.EINVAL, b"expected a string")
    name: Array[u8, WORD_CAP] = Array[u8, WORD_CAP]()
    n: i64 = json.get_string(r.text, r.tokens, v, addr(name), usize(WORD_CAP))
    p: usize = strlen(prefix)
    if n < i64(p):
        return -1
    for i in range(p):
        if name[i] != prefix[i]:
            return -1
    rest: usize = usize(n) - p
    if rest == 0 or strlen(addr(name) + p) != rest:  # empty, or a NUL character inside
        return -1
    return word_index(words, addr(name) + p, rest)


def empty_or_unsupported(r: Ptr[Reader], v: u32) -> i64:
    """A string, array or object that Cyrius can honour only when it is empty."""
    kind: u32 = kind_of(r, v)
    if kind == JSON_STRING:
        if r.tokens[v].end != r.tokens[v].start:
            return unsupported(r)
        return 0
    if kind != JSON_ARRAY and kind != JSON_OBJECT:
        return fail(r, -errno.EINVAL, b"expected an array, an object or a string")
    if r.tokens[v].size != 0:
        return unsupported(r)
    return 0


# ---------------------------------------------------------------- root, mounts

def read_root(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    have_path: bool = False
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"path"):
            err = store_path(r, k + 1, False, addr(spec.root_path))
            have_path = True
        elif at_key(r, k, b"readonly"):
            err = read_bool(r, k + 1)
            spec.root_readonly = err == 1
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if not have_path:
        return missing(r, b"path")
    return 0


def mount_kind(spec: Ptr[ContainerSpec], m: Ptr[MountSpec]) -> u32:
    for i in range(m.option_count):
        o: Ptr[Str] = addr(spec.options) + m.first_option + i
        t: Ptr[u8] = spec_string(spec, o)
        if word_index(b"bind rbind", t, usize(o.len)) >= 0:
            return MOUNT_BIND
    kinds: i64 = word_index(mount_type_names(), spec_string(spec, addr(m.type)), usize(m.type.len))
    if m.type.len == 0 or kinds < 0:
        return MOUNT_OTHER
    if kinds == 0:
        return MOUNT_PROC
    if kinds == 1:
        return MOUNT_SYSFS
    if kinds == 2:
        return MOUNT_TMPFS
    if kinds == 3:
        return MOUNT_DEVPTS
    if kinds == 4:
        return MOUNT_MQUEUE
    if kinds == 5 or kinds == 6:
        return MOUNT_CGROUP
    return MOUNT_BIND


def read_mount(r: Ptr[Reader], v: u32, m: Ptr[MountSpec]) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    have_destination: bool = False
    m.first_option = spec.option_count
    m.option_count = 0
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"destination"):
            err = store_rooted_path(r, k + 1, addr(m.destination))
            have_destination = True
        elif at_key(r, k, b"type"):
            err = store_string(r, k + 1, u32(PATH_LIMIT), addr(m.type))
        elif at_key(r, k, b"source"):
            err = store_string(r, k + 1, u32(PATH_LIMIT), addr(m.source))
        elif at_key(r, k, b"options"):
            err = expect_array(r, k + 1)
            if err == 0 and spec.option_count + r.tokens[k + 1].size > MAX_OPTIONS:
                err = fail_limit(r, b"more than ", u64(MAX_OPTIONS), b" mount options in all (Cyrius's limit)")
            if err == 0:
                err = read_strings(r, k + 1, addr(spec.options) + m.first_option, r.tokens[k + 1].size,
                                   u32(STRINGS_CAP), False)
                if err >= 0:
                    m.option_count = u32(err)
        elif at_key(r, k, b"uidMappings") or at_key(r, k, b"gidMappings"):
            err = unsupported(r)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if not have_destination:
        return missing(r, b"destination")
    spec.option_count += m.option_count
    m.kind = mount_kind(spec, m)
    return 0


def read_mounts(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_array(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    size: u32 = r.tokens[v].size
    if size > MAX_MOUNTS:
        return fail_limit(r, b"more than ", u64(MAX_MOUNTS), b" entries (Cyrius's limit)")
    saved: u32 = r.err.path_len
    e: u32 = v + 1
    for i in range(size):
        path_index(r, i)
        err = read_mount(r, e, addr(spec.mounts) + i)
        if err < 0:
            return err
        spec.mount_count = i + 1
        path_pop(r, saved)
        e = r.tokens[e].next
    return 0


# ---------------------------------------------------------------- process

def read_console(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    seen: u32 = 0
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"height"):
            err = read_u32(r, k + 1)
            spec.console_height = u32(err)
            seen |= 1
        elif at_key(r, k, b"width"):
            err = read_u32(r, k + 1)
            spec.console_width = u32(err)
            seen |= 2
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if (seen & 1) == 0:
        return missing(r, b"height")
    if (seen & 2) == 0:
        return missing(r, b"width")
    return 0


def read_gids(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_array(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    size: u32 = r.tokens[v].size
    if size > MAX_GIDS:
        return fail_limit(r, b"more than ", u64(MAX_GIDS), b" entries (Cyrius's limit)")
    saved: u32 = r.err.path_len
    e: u32 = v + 1
    for i in range(size):
        path_index(r, i)
        err = read_u32(r, e)
        spec.additional_gids[i] = u32(err)
        if err < 0:
            return err
        path_pop(r, saved)
        e = r.tokens[e].next
    spec.gid_count = size
    return 0


def read_user(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    seen: u32 = 0
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"uid"):
            err = read_u32(r, k + 1)
            spec.uid = u32(err)
            seen |= 1
        elif at_key(r, k, b"gid"):
            err = read_u32(r, k + 1)
            spec.gid = u32(err)
            seen |= 2
        elif at_key(r, k, b"umask"):
            err = read_u32(r, k + 1)
            spec.umask = u32(err)
            if err > 0o777:
                err = fail(r, -errno.EINVAL, b"out of range (0 to 0777)")
            spec.has_umask = True
        elif at_key(r, k, b"additionalGids"):
            err = read_gids(r, k + 1)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if (seen & 1) == 0:
        return missing(r, b"uid")
    if (seen & 2) == 0:
        return missing(r, b"gid")
    return 0


def read_rlimit(r: Ptr[Reader], v: u32, index: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    limit: Ptr[Rlimit] = addr(spec.rlimits) + index
    value: Array[u64, 1] = Array[u64, 1]()
    seen: u32 = 0
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"type"):
            found: i64 = lookup(r, k + 1, b"RLIMIT_", rlimit_names())
            if found == -errno.EINVAL:
                return found
            if found < 0:
                return fail(r, -errno.EINVAL, b"unknown resource")
            for i in range(index):
                if spec.rlimits[i].resource == u32(found):
                    return fail(r, -errno.EINVAL, b"duplicate rlimit type")
            limit.resource = u32(found)
            seen |= 1
        elif at_key(r, k, b"soft"):
            err = read_u64(r, k + 1, addr(value))
            limit.soft = value[0]
            seen |= 2
        elif at_key(r, k, b"hard"):
            err = read_u64(r, k + 1, addr(value))
            limit.hard = value[0]
            seen |= 4
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if (seen & 1) == 0:
        return missing(r, b"type")
    if (seen & 2) == 0:
        return missing(r, b"soft")
    if (seen & 4) == 0:
        return missing(r, b"hard")
    if limit.soft > limit.hard:
        return fail(r, -errno.EINVAL, b"soft limit above the hard limit")
    return 0


def read_rlimits(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_array(r, v)
    if err < 0:
        return err
    size: u32 = r.tokens[v].size
    if size > MAX_RLIMITS:
        return fail_limit(r, b"more than ", u64(MAX_RLIMITS), b" entries (one per resource)")
    saved: u32 = r.err.path_len
    e: u32 = v + 1
    for i in range(size):
        path_index(r, i)
        err = read_rlimit(r, e, i)
        if err < 0:
            return err
        r.spec.rlimit_count = i + 1
        path_pop(r, saved)
        e = r.tokens[e].next
    return 0


def read_capability_set(r: Ptr[Reader], v: u32) -> i64:
    """The capabilities named in the array at tokens[v] as a bit mask, or -errno (reported)."""
    err: i64 = expect_array(r, v)
    if err < 0:
        return err
    bits: u64 = 0
    saved: u32 = r.err.path_len
    e: u32 = v + 1
    for i in range(r.tokens[v].size):
        path_index(r, i)
        found: i64 = lookup(r, e, b"CAP_", capability_names())
        if found == -errno.EINVAL:
            return found
        if found < 0:
            spec: Ptr[ContainerSpec] = r.spec
            if spec.unknown_capabilities == 0:
                err = store_string(r, e, u32(STRINGS_CAP), addr(spec.unknown_capability))
                if err < 0:
                    return err
            spec.unknown_capabilities += 1
        else:
            bits |= u64(1) << found
        path_pop(r, saved)
        e = r.tokens[e].next
    return i64(bits)


def read_capabilities(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    spec.has_capabilities = True
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"bounding"):
            err = read_capability_set(r, k + 1)
            spec.cap_bounding = u64(err)
        elif at_key(r, k, b"effective"):
            err = read_capability_set(r, k + 1)
            spec.cap_effective = u64(err)
        elif at_key(r, k, b"inheritable"):
            err = read_capability_set(r, k + 1)
            spec.cap_inheritable = u64(err)
        elif at_key(r, k, b"permitted"):
            err = read_capability_set(r, k + 1)
            spec.cap_permitted = u64(err)
        elif at_key(r, k, b"ambient"):
            err = read_capability_set(r, k + 1)
            spec.cap_ambient = u64(err)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    return 0


def read_process(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    seen: u32 = 0
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"terminal"):
            err = read_bool(r, k + 1)
            spec.terminal = err == 1
        elif at_key(r, k, b"consoleSize"):
            err = read_console(r, k + 1)
        elif at_key(r, k, b"cwd"):
            err = store_path(r, k + 1, True, addr(spec.cwd))
            seen |= 1
        elif at_key(r, k, b"env"):
            err = read_strings(r, k + 1, addr(spec.env), u32(MAX_ENV), u32(STRINGS_CAP), False)
            spec.env_count = u32(err)
        elif at_key(r, k, b"args"):
            err = read_strings(r, k + 1, addr(spec.args), u32(MAX_ARGS), u32(STRINGS_CAP), False)
            spec.arg_count = u32(err)
            if err == 0:
                err = fail(r, -errno.EINVAL, b"needs at least one entry")
            seen |= 2
        elif at_key(r, k, b"user"):
            err = read_user(r, k + 1)
            seen |= 4
        elif at_key(r, k, b"rlimits"):
            err = read_rlimits(r, k + 1)
        elif at_key(r, k, b"capabilities"):
            err = read_capabilities(r, k + 1)
        elif at_key(r, k, b"noNewPrivileges"):
            err = read_bool(r, k + 1)
            spec.no_new_privileges = err == 1
        elif at_key(r, k, b"apparmorProfile") or at_key(r, k, b"selinuxLabel"):
            if kind_of(r, k + 1) != JSON_STRING:
                err = fail(r, -errno.EINVAL, b"expected a string")
            else:
                err = empty_or_unsupported(r, k + 1)
        elif (at_key(r, k, b"oomScoreAdj") or at_key(r, k, b"scheduler") or at_key(r, k, b"ioPriority")
              or at_key(r, k, b"execCPUAffinity")):
            err = unsupported(r)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if (seen & 2) == 0:
        return missing(r, b"args")
    if (seen & 1) == 0:
        return missing(r, b"cwd")
    if (seen & 4) == 0:
        return missing(r, b"user")
    return 0


# ---------------------------------------------------------------- annotations, hooks

def read_annotations(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    size: u32 = r.tokens[v].size
    if size > MAX_ANNOTATIONS:
        return fail_limit(r, b"more than ", u64(MAX_ANNOTATIONS), b" entries (Cyrius's limit)")
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for i in range(size):
        path_quoted_key(r, k)
        a: Ptr[Annotation] = addr(spec.annotations) + i
        if r.tokens[k].end == r.tokens[k].start:
            return fail(r, -errno.EINVAL, b"empty key")
        err = store_string(r, k, u32(STRINGS_CAP), addr(a.key))
        if err == 0:
            err = store_string(r, k + 1, u32(STRINGS_CAP), addr(a.value))
        if err < 0:
            return err
        spec.annotation_count = i + 1
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    return 0


def read_hooks(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if (at_key(r, k, b"prestart") or at_key(r, k, b"createRuntime") or at_key(r, k, b"createContainer")
                or at_key(r, k, b"startContainer") or at_key(r, k, b"poststart") or at_key(r, k, b"poststop")):
            err = expect_array(r, k + 1)
            if err == 0:
                err = empty_or_unsupported(r, k + 1)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    return 0


# ---------------------------------------------------------------- linux

def read_namespace(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    flag: u32 = 0
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"type"):
            found: i64 = lookup(r, k + 1, b"", namespace_names())
            if found == -errno.EINVAL:
                return found
            if found < 0:
                return fail(r, -errno.EINVAL, b"unknown namespace type")
            flag = namespace_flag(found)
            if (r.spec.namespaces & flag) != 0:
                return fail(r, -errno.EINVAL, b"duplicate namespace type")
        elif at_key(r, k, b"path"):
            err = unsupported(r)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if flag == 0:
        return missing(r, b"type")
    r.spec.namespaces |= flag
    return 0


def namespace_flag(index: i64) -> u32:
    """CLONE_NEW* for a position in namespace_names()."""
    if index == 0:
        return CLONE_NEWPID
    if index == 1:
        return CLONE_NEWNET
    if index == 2:
        return CLONE_NEWNS
    if index == 3:
        return CLONE_NEWIPC
    if index == 4:
        return CLONE_NEWUTS
    if index == 5:
        return CLONE_NEWUSER
    if index == 6:
        return CLONE_NEWCGROUP
    return CLONE_NEWTIME


def read_mapping(r: Ptr[Reader], v: u32) -> i64:
    """A uid or gid mapping: checked (three uint32), not applied (see the module docstring)."""
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    seen: u32 = 0
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"containerID"):
            err = read_u32(r, k + 1)
            seen |= 1
        elif at_key(r, k, b"hostID"):
            err = read_u32(r, k + 1)
            seen |= 2
        elif at_key(r, k, b"size"):
            err = read_u32(r, k + 1)
            seen |= 4
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if (seen & 1) == 0:
        return missing(r, b"containerID")
    if (seen & 2) == 0:
        return missing(r, b"hostID")
    if (seen & 4) == 0:
        return missing(r, b"size")
    return 0


def read_each(r: Ptr[Reader], v: u32, which: u32) -> i64:
    """Each element of the array at tokens[v] through reader `which` (1 namespaces, 2 mappings,
    3 device rules)."""
    err: i64 = expect_array(r, v)
    if err < 0:
        return err
    saved: u32 = r.err.path_len
    e: u32 = v + 1
    for i in range(r.tokens[v].size):
        path_index(r, i)
        if which == 1:
            err = read_namespace(r, e)
        elif which == 2:
            err = read_mapping(r, e)
        else:
            err = read_device_rule(r, e)
        if err < 0:
            return err
        path_pop(r, saved)
        e = r.tokens[e].next
    return 0


def read_device_rule(r: Ptr[Reader], v: u32) -> i64:
    """linux.resources.devices[i]: `allow` must be there; nothing is applied (see the docstring)."""
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    have_allow: bool = False
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"allow"):
            err = read_bool(r, k + 1)
            have_allow = True
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if not have_allow:
        return missing(r, b"allow")
    return 0


def read_pids(r: Ptr[Reader], v: u32) -> i64:
    """linux.resources.pids: the most processes the container may have at once."""
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    have_limit: bool = False
    value: Array[i64, 1] = Array[i64, 1]()
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"limit"):
            err = read_i64(r, k + 1, addr(value))
            if err == 0 and value[0] < -1:
                err = fail(r, -errno.ERANGE, b"out of range (-1 or 0 for unlimited, else positive)")
            elif err == 0 and value[0] > MAX_PIDS_LIMIT:
                err = fail_limit(r, b"more than ", u64(MAX_PIDS_LIMIT), b" (Cyrius's limit)")
            elif err == 0 and value[0] > 0:
                r.spec.pids_limit = u64(value[0])
            have_limit = True
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    if not have_limit:
        return missing(r, b"limit")
    return 0


def read_memory(r: Ptr[Reader], v: u32) -> i64:
    """linux.resources.memory: the limit is applied; reservation and swap are checked only."""
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    value: Array[i64, 1] = Array[i64, 1]()
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"limit"):
            err = read_i64(r, k + 1, addr(value))
            if err == 0 and value[0] != -1 and value[0] < PAGE_BYTES:
                err = fail(r, -errno.ERANGE, b"out of range (-1 for none, else at least 4096 bytes)")
            elif err == 0 and value[0] > 0:
                r.spec.memory_limit = u64(value[0])
        elif at_key(r, k, b"reservation") or at_key(r, k, b"swap"):
            err = read_i64(r, k + 1, addr(value))
            if err == 0 and value[0] < -1:
                err = fail(r, -errno.ERANGE, b"out of range (-1 for none, else 0 or more bytes)")
        elif at_key(r, k, b"disableOOMKiller"):
            err = read_bool(r, k + 1)
            if err == 1:
                err = unsupported(r)
        elif (at_key(r, k, b"kernel") or at_key(r, k, b"kernelTCP") or at_key(r, k, b"swappiness")
              or at_key(r, k, b"useHierarchy") or at_key(r, k, b"checkBeforeUpdate")):
            err = unsupported(r)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    return 0


def read_resources(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"devices"):
            err = read_each(r, k + 1, u32(3))
        elif at_key(r, k, b"pids"):
            err = read_pids(r, k + 1)
        elif at_key(r, k, b"memory"):
            err = read_memory(r, k + 1)
        elif (at_key(r, k, b"cpu") or at_key(r, k, b"blockIO") or at_key(r, k, b"hugepageLimits")
              or at_key(r, k, b"network") or at_key(r, k, b"rdma") or at_key(r, k, b"unified")):
            err = unsupported(r)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    return 0


def read_propagation(r: Ptr[Reader], v: u32) -> i64:
    if kind_of(r, v) != JSON_STRING:
        return fail(r, -errno.EINVAL, b"expected a string")
    if json.string_is(r.text, r.tokens, v, b"shared", usize(6)) or json.string_is(r.text, r.tokens, v, b"rshared",
                                                                                   usize(7)):
        return unsupported(r)
    found: i64 = lookup(r, v, b"", b"private rprivate slave rslave unbindable runbindable")
    if found < 0:
        return fail(r, -errno.EINVAL, b"invalid value")
    return 0


def read_linux(r: Ptr[Reader], v: u32) -> i64:
    err: i64 = expect_object(r, v)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    for _ in range(r.tokens[v].size):
        if at_key(r, k, b"namespaces"):
            err = read_each(r, k + 1, u32(1))
        elif at_key(r, k, b"uidMappings") or at_key(r, k, b"gidMappings"):
            err = read_each(r, k + 1, u32(2))
        elif at_key(r, k, b"maskedPaths"):
            err = read_strings(r, k + 1, addr(spec.masked_paths), u32(MAX_PATHS), u32(PATH_LIMIT), True)
            spec.masked_count = u32(err)
        elif at_key(r, k, b"readonlyPaths"):
            err = read_strings(r, k + 1, addr(spec.readonly_paths), u32(MAX_PATHS), u32(PATH_LIMIT), True)
            spec.readonly_count = u32(err)
        elif at_key(r, k, b"resources"):
            err = read_resources(r, k + 1)
        elif at_key(r, k, b"cgroupsPath"):
            if kind_of(r, k + 1) != JSON_STRING:
                err = fail(r, -errno.EINVAL, b"expected a string")
        elif at_key(r, k, b"rootfsPropagation"):
            err = read_propagation(r, k + 1)
        elif at_key(r, k, b"devices"):
            err = expect_array(r, k + 1)
            if err == 0:
                err = empty_or_unsupported(r, k + 1)
        elif at_key(r, k, b"sysctl"):
            err = expect_object(r, k + 1)
            if err == 0:
                err = empty_or_unsupported(r, k + 1)
        elif at_key(r, k, b"mountLabel"):
            if kind_of(r, k + 1) != JSON_STRING:
                err = fail(r, -errno.EINVAL, b"expected a string")
            else:
                err = empty_or_unsupported(r, k + 1)
        elif (at_key(r, k, b"seccomp") or at_key(r, k, b"intelRdt") or at_key(r, k, b"personality")
              or at_key(r, k, b"timeOffsets") or at_key(r, k, b"memoryPolicy") or at_key(r, k, b"netDevices")):
            err = unsupported(r)
        if err < 0:
            return err
        path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    return 0


# ---------------------------------------------------------------- the document

def read_document(r: Ptr[Reader]) -> i64:
    if kind_of(r, u32(0)) != JSON_OBJECT:
        return fail(r, -errno.EINVAL, b"expected a JSON object")
    spec: Ptr[ContainerSpec] = r.spec
    seen: u32 = 0
    err: i64 = 0
    k: u32 = 1
    for _ in range(r.tokens[0].size):
        if at_key(r, k, b"ociVersion"):
            err = store_string(r, k + 1, u32(64), addr(spec.oci_version))
            v: Ptr[u8] = spec_string(spec, addr(spec.oci_version))
            if err == 0 and (spec.oci_version.len < 2 or v[0] != 0x31 or v[1] != 0x2E):
                err = fail(r, -errno.EOPNOTSUPP, b"unsupported version (Cyrius implements 1.x)")
            seen |= 1
        elif at_key(r, k, b"root"):
            err = read_root(r, k + 1)
            seen |= 2
        elif at_key(r, k, b"process"):
            err = read_process(r, k + 1)
            seen |= 4
        elif at_key(r, k, b"mounts"):
            err = read_mounts(r, k + 1)
        elif at_key(r, k, b"hostname"):
            err = store_string(r, k + 1, u32(HOST_NAME_MAX), addr(spec.hostname))
            spec.has_hostname = True
        elif at_key(r, k, b"domainname"):
            err = store_string(r, k + 1, u32(HOST_NAME_MAX), addr(spec.domainname))
            spec.has_domainname = True
        elif at_key(r, k, b"annotations"):
            err = read_annotations(r, k + 1)
        elif at_key(r, k, b"hooks"):
            err = read_hooks(r, k + 1)
        elif at_key(r, k, b"linux"):
            err = read_linux(r, k + 1)
        elif at_key(r, k, b"windows") or at_key(r, k, b"solaris") or at_key(r, k, b"vm") or at_key(r, k, b"zos"):
            err = unsupported(r)
        if err < 0:
            return err
        path_pop(r, u32(0))
        k = json.next_member(r.tokens, k)
    if (seen & 1) == 0:
        return missing(r, b"ociVersion")
    if (seen & 2) == 0:
        return missing(r, b"root")
    if (seen & 4) == 0:
        return missing(r, b"process")
    return 0


def syntax_error(err: Ptr[ConfigError], jerr: Ptr[JsonError]) -> None:
    err.kind = CONFIG_SYNTAX
    err.line = jerr.line
    err.column = jerr.column
    message: Ptr[u8] = json.error_message(jerr.code)
    n: usize = strlen(message)
    for i in range(n):
        err.message[i] = message[i]  # every message fits
    err.message[n] = 0
    err.message_len = u32(n)


def parse_config(text: Ptr[u8], length: usize, tokens: Ptr[JsonToken], cap: u32, spec: Ptr[ContainerSpec],
                 err: Ptr[ConfigError]) -> i64:
    """Read the `length`-byte config.json at `text` into spec, with room for `cap` JSON tokens
    (json.count_tokens() says how many it takes). 0, or -errno with err filled in."""
    clear_error(err)
    memset(cast(Ptr[None], spec), 0, usize(sizeof(ContainerSpec)))
    spec.strings_used = 1  # offset 0: the empty string
    jerr: JsonError = JsonError()
    count: i64 = json.parse(text, length, tokens, cap, addr(jerr))
    if count < 0:
        syntax_error(err, addr(jerr))
        return count
    r: Reader = Reader()
    r.text = text
    r.tokens = tokens
    r.spec = spec
    r.err = err
    return read_document(addr(r))


def count_config_tokens(text: Ptr[u8], length: usize, err: Ptr[ConfigError]) -> i64:
    """How many JSON tokens parse_config() needs for this config.json (json.count_tokens()), or
    -errno with err describing the syntax error."""
    clear_error(err)
    jerr: JsonError = JsonError()
    count: i64 = json.count_tokens(text, length, addr(jerr))
    if count < 0:
        syntax_error(err, addr(jerr))
    return count


def format_error(err: Ptr[ConfigError], buf: Ptr[u8], cap: usize) -> usize:
    """The error as one line for the shell, without a newline, NUL-terminated within `cap`
    bytes (cut short if need be); its length."""
    if cap == 0:
        return 0
    out: usize = 0
    out = put(buf, cap, out, b"config.json", usize(11))
    if err.kind == CONFIG_SYNTAX:
        digits: Array[u8, 24] = Array[u8, 24]()
        out = put(buf, cap, out, b":", usize(1))
        n: usize = fmt_u64(addr(digits), usize(len(digits)), u64(err.line), u32(10), u32(0), u8(0x20))
        out = put(buf, cap, out, addr(digits), n)
        out = put(buf, cap, out, b":", usize(1))
        n = fmt_u64(addr(digits), usize(len(digits)), u64(err.column), u32(10), u32(0), u8(0x20))
        out = put(buf, cap, out, addr(digits), n)
    elif err.path_len > 0:
        out = put(buf, cap, out, b": ", usize(2))
        out = put(buf, cap, out, addr(err.path), usize(err.path_len))
    out = put(buf, cap, out, b": ", usize(2))
    out = put(buf, cap, out, addr(err.message), usize(err.message_len))
    buf[out] = 0
    return out


def put(buf: Ptr[u8], cap: usize, out: usize, text: Ptr[u8], n: usize) -> usize:
    """Append text[0..n) at buf[out], keeping one byte for the NUL; the new length."""
    for i in range(n):
        if out + 1 >= cap:
            break
        buf[out] = text[i]
        out += 1
    return out
