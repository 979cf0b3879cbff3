"""An OCI bundle's config.json (runtime-spec 1.x) read into a ContainerSpec.

parse_config() runs the strict JSON parser (lib/json.py) over the file and walks the result
with the schema: a table with one row per property Cyrius knows (define_schema() fills it, and
is where to look for what Cyrius applies, what it only checks and what it refuses). Every string
lands NUL-terminated in the spec's own string pool (`strings`, reached with spec_string()), so a
ContainerSpec is one flat allocation and needs no freeing beyond itself. The caller provides the
memory, which keeps this module pure (and compared with its compiled self in tests/diff): the
spec (about 72 KiB) and the token array, whose size count_config_tokens() gives:
    n = count_config_tokens(text, length, err)  # < 0: err holds the syntax error
    tokens = kalloc(usize(n) * sizeof(JsonToken))
    result = parse_config(text, length, tokens, u32(n), spec, err)
    kfree(tokens)
On failure the spec holds whatever was read before the error.

A rejected config fills a ConfigError, and format_error() makes the shell's line of it:
    config.json:3:15: expected ',' or '}'                  (a JSON syntax error: line and column)
    config.json: process.args[0]: expected a string        (a schema error: the JSON path)
    config.json: linux.seccomp: not supported by Cyrius    (a property Cyrius cannot apply)

Each row of the schema does one of four things with its property:
* APPLY: read into the ContainerSpec, for the runtime to carry out.
* CHECK: read and validated, then without effect, because Cyrius provides it by construction
  (the schema says why, row by row).
* REFUSE: "not supported by Cyrius" whatever its value, because Cyrius cannot apply it.
* REFUSE_UNLESS_EMPTY: accepted only when it asks for nothing (empty, or false).
Properties without a row are ignored, as the spec's Extensibility section requires: those it
does not define, and the Windows-only process.commandLine and user.username.
"""
from cyrius.lang import NULL, Array, Callable, Final, Ptr, addr, cast, i64, offsetof, sizeof, struct, u8, u32, u64, \
    usize
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
VERSION_LIMIT: Final = 64  # bytes in ociVersion
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

# The schema's objects (Field.parent, Field.members). Each is described by the rows naming it as
# their parent; an object inside a list fills the list's element (MountSpec, Rlimit, a namespace
# mask), any other the same struct as the object around it.
OBJ_DOCUMENT: Final = 1
OBJ_ROOT: Final = 2
OBJ_MOUNT: Final = 3
OBJ_PROCESS: Final = 4
OBJ_CONSOLE_SIZE: Final = 5
OBJ_USER: Final = 6
OBJ_RLIMIT: Final = 7
OBJ_CAPABILITIES: Final = 8
OBJ_HOOKS: Final = 9
OBJ_LINUX: Final = 10
OBJ_NAMESPACE: Final = 11
OBJ_ID_MAPPING: Final = 12
OBJ_RESOURCES: Final = 13
OBJ_DEVICE_RULE: Final = 14
OBJ_PIDS: Final = 15
OBJ_MEMORY: Final = 16

# Field.form: how many values.
ONE: Final = 0
ARRAY_OF: Final = 1  # a JSON array of them
MAP_OF: Final = 2  # a JSON object of them, under any keys (stored as key then value)

# Field.type: what a value is.
T_ANY: Final = 0  # (refused rows) anything
T_BOOL: Final = 1
T_U32: Final = 2
T_U64: Final = 3
T_I64: Final = 4  # applied, a negative value (-1, "none") is stored as 0
T_STRING: Final = 5  # without NUL characters, at most Field.max_bytes bytes
T_PATH: Final = 6  # absolute, or relative to the bundle
T_ABSOLUTE_PATH: Final = 7
T_ROOTED_PATH: Final = 8  # inside the container: a relative one (deprecated) gets a "/" in front
T_OBJECT: Final = 9  # Field.members describes it
T_RLIMIT: Final = 10  # an RLIMIT_* name, stored as its number, each at most once in the list
T_NAMESPACE: Final = 11  # a namespace type, OR-ed in as its CLONE_NEW* flag, each at most once
T_CAPABILITY: Final = 12  # a CAP_* name, OR-ed in as bit n; unknown ones are counted, not applied
T_MOUNT_OPTIONS: Final = 13  # an array of strings, kept after the earlier mounts' (ContainerSpec.options)

# Field.action: what Cyrius does with the property (see the module docstring).
APPLY: Final = 1
CHECK: Final = 2
REFUSE: Final = 3
REFUSE_UNLESS_EMPTY: Final = 4

NOWHERE: Final = 0xFFFFFFFF  # Field.at, Field.seen_at: not stored
MAX_FIELDS: Final = 128


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
    has_oom_score_adj: bool  # else the process keeps its parent's (0)
    oom_score_adj: i64  # -1000 to 1000: stored and shown in /proc/PID/oom_score_adj
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


@struct
class Field:
    """A row of the schema: a property of config.json and what Cyrius does with it."""
    parent: u32  # OBJ_*: the object it is a member of
    name: Ptr[u8]
    form: u32  # ONE, ARRAY_OF, MAP_OF
    type: u32  # T_*: of its value, or of each entry of an array or map
    action: u32  # APPLY, CHECK, REFUSE, REFUSE_UNLESS_EMPTY
    required: bool  # its absence is an error, and so is an empty array
    members: u32  # T_OBJECT: the OBJ_* describing its members
    max_bytes: u32  # T_STRING: 0 for as many as the string pool holds
    max_entries: u32  # arrays and maps: 0 for no limit
    too_many: Ptr[u8]  # the end of the message past max_entries
    at: u32  # APPLY: offset of the value (of the first entry) in the struct being filled
    stride: u32  # arrays and maps: from one entry's place to the next; 0: they make one value
    seen_at: u32  # APPLY: offset of a bool set when it is there, or of an array's or map's u32 count
    # NULL, or run on each value once read (each entry's, for an array), given its token, the number
    # read (0 if it is not one) and where it went
    finish: Callable[[Ptr[Reader], u32, i64, Ptr[u8]], i64]


schema: Array[Field, MAX_FIELDS] = Array[Field, MAX_FIELDS]()
schema_rows: u32 = 0  # filled whole by the first parse_config() (kernel code is not preempted)


def spec_string(spec: Ptr[ContainerSpec], s: Ptr[Str]) -> Ptr[u8]:
    """The NUL-terminated bytes of a string of the spec."""
    return addr(spec.strings) + s.at


# ---------------------------------------------------------------- the schema

def define_schema() -> None:
    """Every property Cyrius knows, object by object. Offsets are in the ContainerSpec, except
    under a mount (MountSpec), an rlimit (Rlimit) and a namespace (the namespaces mask). A parent's
    required members are reported missing in the order of their rows."""
    f: Ptr[Field] = apply(OBJ_DOCUMENT, b"ociVersion", T_STRING, True, offsetof(ContainerSpec, "oci_version"))
    f.max_bytes = VERSION_LIMIT
    f.finish = check_version
    nest(OBJ_DOCUMENT, b"root", OBJ_ROOT, APPLY, True)
    nest(OBJ_DOCUMENT, b"process", OBJ_PROCESS, APPLY, True)
    f = apply_many(OBJ_DOCUMENT, b"mounts", ARRAY_OF, T_OBJECT, offsetof(ContainerSpec, "mounts"), sizeof(MountSpec),
                   MAX_MOUNTS, offsetof(ContainerSpec, "mount_count"))
    f.members = OBJ_MOUNT
    f.finish = finish_mount
    f = apply(OBJ_DOCUMENT, b"hostname", T_STRING, False, offsetof(ContainerSpec, "hostname"))
    f.max_bytes = HOST_NAME_MAX
    f.seen_at = offsetof(ContainerSpec, "has_hostname")
    f = apply(OBJ_DOCUMENT, b"domainname", T_STRING, False, offsetof(ContainerSpec, "domainname"))
    f.max_bytes = HOST_NAME_MAX
    f.seen_at = offsetof(ContainerSpec, "has_domainname")
    apply_many(OBJ_DOCUMENT, b"annotations", MAP_OF, T_STRING, offsetof(ContainerSpec, "annotations"),
               sizeof(Annotation), MAX_ANNOTATIONS, offsetof(ContainerSpec, "annotation_count"))
    nest(OBJ_DOCUMENT, b"hooks", OBJ_HOOKS, CHECK, False)
    nest(OBJ_DOCUMENT, b"linux", OBJ_LINUX, APPLY, False)
    refuse(OBJ_DOCUMENT, b"windows")  # the sections of other platforms: a bundle made for another one
    refuse(OBJ_DOCUMENT, b"solaris")
    refuse(OBJ_DOCUMENT, b"vm")
    refuse(OBJ_DOCUMENT, b"zos")

    apply(OBJ_ROOT, b"path", T_PATH, True, offsetof(ContainerSpec, "root_path"))
    apply(OBJ_ROOT, b"readonly", T_BOOL, False, offsetof(ContainerSpec, "root_readonly"))

    # Whether Cyrius can mount a type is decided when the container is created (MountSpec.kind).
    apply(OBJ_MOUNT, b"destination", T_ROOTED_PATH, True, offsetof(MountSpec, "destination"))
    f = apply(OBJ_MOUNT, b"type", T_STRING, False, offsetof(MountSpec, "type"))
    f.max_bytes = PATH_LIMIT
    f = apply(OBJ_MOUNT, b"source", T_STRING, False, offsetof(MountSpec, "source"))
    f.max_bytes = PATH_LIMIT
    f = apply(OBJ_MOUNT, b"options", T_MOUNT_OPTIONS, False, offsetof(MountSpec, "option_count"))
    f.stride = sizeof(Str)
    f.max_entries = MAX_OPTIONS
    f.too_many = b" mount options in all (Cyrius's limit)"
    refuse(OBJ_MOUNT, b"uidMappings")
    refuse(OBJ_MOUNT, b"gidMappings")

    apply(OBJ_PROCESS, b"terminal", T_BOOL, False, offsetof(ContainerSpec, "terminal"))
    nest(OBJ_PROCESS, b"consoleSize", OBJ_CONSOLE_SIZE, APPLY, False)
    f = apply_many(OBJ_PROCESS, b"args", ARRAY_OF, T_STRING, offsetof(ContainerSpec, "args"), sizeof(Str), MAX_ARGS,
                   offsetof(ContainerSpec, "arg_count"))
    f.required = True
    apply(OBJ_PROCESS, b"cwd", T_ABSOLUTE_PATH, True, offsetof(ContainerSpec, "cwd"))
    apply_many(OBJ_PROCESS, b"env", ARRAY_OF, T_STRING, offsetof(ContainerSpec, "env"), sizeof(Str), MAX_ENV,
               offsetof(ContainerSpec, "env_count"))
    nest(OBJ_PROCESS, b"user", OBJ_USER, APPLY, True)
    f = apply_many(OBJ_PROCESS, b"rlimits", ARRAY_OF, T_OBJECT, offsetof(ContainerSpec, "rlimits"), sizeof(Rlimit),
                   MAX_RLIMITS, offsetof(ContainerSpec, "rlimit_count"))
    f.members = OBJ_RLIMIT
    f.too_many = b" entries (one per resource)"
    f.finish = check_rlimit
    f = nest(OBJ_PROCESS, b"capabilities", OBJ_CAPABILITIES, APPLY, False)
    f.seen_at = offsetof(ContainerSpec, "has_capabilities")
    apply(OBJ_PROCESS, b"noNewPrivileges", T_BOOL, False, offsetof(ContainerSpec, "no_new_privileges"))
    refuse_unless_empty(OBJ_PROCESS, b"apparmorProfile", ONE, T_STRING)
    refuse_unless_empty(OBJ_PROCESS, b"selinuxLabel", ONE, T_STRING)
    f = apply(OBJ_PROCESS, b"oomScoreAdj", T_I64, False, offsetof(ContainerSpec, "oom_score_adj"))
    f.seen_at = offsetof(ContainerSpec, "has_oom_score_adj")
    f.finish = check_oom_score_adj
    refuse(OBJ_PROCESS, b"scheduler")
    refuse(OBJ_PROCESS, b"ioPriority")
    refuse(OBJ_PROCESS, b"execCPUAffinity")

    apply(OBJ_CONSOLE_SIZE, b"height", T_U32, True, offsetof(ContainerSpec, "console_height"))
    apply(OBJ_CONSOLE_SIZE, b"width", T_U32, True, offsetof(ContainerSpec, "console_width"))

    apply(OBJ_USER, b"uid", T_U32, True, offsetof(ContainerSpec, "uid"))  # both required by the spec: no default
    apply(OBJ_USER, b"gid", T_U32, True, offsetof(ContainerSpec, "gid"))
    f = apply(OBJ_USER, b"umask", T_U32, False, offsetof(ContainerSpec, "umask"))
    f.seen_at = offsetof(ContainerSpec, "has_umask")
    f.finish = check_umask
    apply_many(OBJ_USER, b"additionalGids", ARRAY_OF, T_U32, offsetof(ContainerSpec, "additional_gids"), sizeof(u32),
               MAX_GIDS, offsetof(ContainerSpec, "gid_count"))

    apply(OBJ_RLIMIT, b"type", T_RLIMIT, True, offsetof(Rlimit, "resource"))
    apply(OBJ_RLIMIT, b"soft", T_U64, True, offsetof(Rlimit, "soft"))
    apply(OBJ_RLIMIT, b"hard", T_U64, True, offsetof(Rlimit, "hard"))

    capability_set(b"bounding", offsetof(ContainerSpec, "cap_bounding"))
    capability_set(b"effective", offsetof(ContainerSpec, "cap_effective"))
    capability_set(b"inheritable", offsetof(ContainerSpec, "cap_inheritable"))
    capability_set(b"permitted", offsetof(ContainerSpec, "cap_permitted"))
    capability_set(b"ambient", offsetof(ContainerSpec, "cap_ambient"))

    # Hooks would run host programs: there are none to run, so only empty lists are accepted.
    refuse_unless_empty(OBJ_HOOKS, b"prestart", ARRAY_OF, T_OBJECT)
    refuse_unless_empty(OBJ_HOOKS, b"createRuntime", ARRAY_OF, T_OBJECT)
    refuse_unless_empty(OBJ_HOOKS, b"createContainer", ARRAY_OF, T_OBJECT)
    refuse_unless_empty(OBJ_HOOKS, b"startContainer", ARRAY_OF, T_OBJECT)
    refuse_unless_empty(OBJ_HOOKS, b"poststart", ARRAY_OF, T_OBJECT)
    refuse_unless_empty(OBJ_HOOKS, b"poststop", ARRAY_OF, T_OBJECT)

    f = apply_many(OBJ_LINUX, b"namespaces", ARRAY_OF, T_OBJECT, offsetof(ContainerSpec, "namespaces"), 0, 0, NOWHERE)
    f.members = OBJ_NAMESPACE  # stride 0: every entry goes into the one mask
    # A container's IDs are its own: there are no host users to map them to.
    f = check(OBJ_LINUX, b"uidMappings", ARRAY_OF, T_OBJECT, False)
    f.members = OBJ_ID_MAPPING
    f = check(OBJ_LINUX, b"gidMappings", ARRAY_OF, T_OBJECT, False)
    f.members = OBJ_ID_MAPPING
    apply_many(OBJ_LINUX, b"maskedPaths", ARRAY_OF, T_ABSOLUTE_PATH, offsetof(ContainerSpec, "masked_paths"),
               sizeof(Str), MAX_PATHS, offsetof(ContainerSpec, "masked_count"))
    apply_many(OBJ_LINUX, b"readonlyPaths", ARRAY_OF, T_ABSOLUTE_PATH, offsetof(ContainerSpec, "readonly_paths"),
               sizeof(Str), MAX_PATHS, offsetof(ContainerSpec, "readonly_count"))
    nest(OBJ_LINUX, b"resources", OBJ_RESOURCES, APPLY, False)
    check(OBJ_LINUX, b"cgroupsPath", ONE, T_STRING, False)  # there is no cgroup hierarchy to place it in
    # No mount events cross between container and host VFS instances: (r)shared is refused.
    f = check(OBJ_LINUX, b"rootfsPropagation", ONE, T_STRING, False)
    f.finish = check_propagation
    refuse_unless_empty(OBJ_LINUX, b"devices", ARRAY_OF, T_OBJECT)
    refuse_unless_empty(OBJ_LINUX, b"sysctl", MAP_OF, T_STRING)
    refuse_unless_empty(OBJ_LINUX, b"mountLabel", ONE, T_STRING)
    refuse(OBJ_LINUX, b"seccomp")
    refuse(OBJ_LINUX, b"intelRdt")
    refuse(OBJ_LINUX, b"personality")
    refuse(OBJ_LINUX, b"timeOffsets")
    refuse(OBJ_LINUX, b"memoryPolicy")
    refuse(OBJ_LINUX, b"netDevices")

    apply(OBJ_NAMESPACE, b"type", T_NAMESPACE, True, 0)
    refuse(OBJ_NAMESPACE, b"path")  # joining another namespace

    check(OBJ_ID_MAPPING, b"containerID", ONE, T_U32, True)
    check(OBJ_ID_MAPPING, b"hostID", ONE, T_U32, True)
    check(OBJ_ID_MAPPING, b"size", ONE, T_U32, True)

    # A container reaches only the devices devfs gives it.
    f = check(OBJ_RESOURCES, b"devices", ARRAY_OF, T_OBJECT, False)
    f.members = OBJ_DEVICE_RULE
    nest(OBJ_RESOURCES, b"pids", OBJ_PIDS, APPLY, False)
    nest(OBJ_RESOURCES, b"memory", OBJ_MEMORY, APPLY, False)
    refuse(OBJ_RESOURCES, b"cpu")
    refuse(OBJ_RESOURCES, b"blockIO")
    refuse(OBJ_RESOURCES, b"hugepageLimits")
    refuse(OBJ_RESOURCES, b"network")
    refuse(OBJ_RESOURCES, b"rdma")
    refuse(OBJ_RESOURCES, b"unified")

    check(OBJ_DEVICE_RULE, b"allow", ONE, T_BOOL, True)

    f = apply(OBJ_PIDS, b"limit", T_I64, True, offsetof(ContainerSpec, "pids_limit"))
    f.finish = check_pids_limit

    f = apply(OBJ_MEMORY, b"limit", T_I64, False, offsetof(ContainerSpec, "memory_limit"))
    f.finish = check_memory_limit
    # A soft limit matters only to reclaim, and there is no swap.
    f = check(OBJ_MEMORY, b"reservation", ONE, T_I64, False)
    f.finish = check_memory_size
    f = check(OBJ_MEMORY, b"swap", ONE, T_I64, False)
    f.finish = check_memory_size
    refuse_unless_empty(OBJ_MEMORY, b"disableOOMKiller", ONE, T_BOOL)  # Cyrius kills at the limit
    refuse(OBJ_MEMORY, b"kernel")
    refuse(OBJ_MEMORY, b"kernelTCP")
    refuse(OBJ_MEMORY, b"swappiness")
    refuse(OBJ_MEMORY, b"useHierarchy")
    refuse(OBJ_MEMORY, b"checkBeforeUpdate")


def add_field(parent: u32, name: Ptr[u8], form: u32, value_type: u32, action: u32, required: bool) -> Ptr[Field]:
    """A new row, its value stored nowhere; the builders below and define_schema() set the rest."""
    global schema_rows
    assert schema_rows < MAX_FIELDS
    f: Ptr[Field] = addr(schema) + schema_rows
    schema_rows += 1
    f.parent = parent
    f.name = name
    f.form = form
    f.type = value_type
    f.action = action
    f.required = required
    f.too_many = b" entries (Cyrius's limit)"
    f.at = NOWHERE
    f.seen_at = NOWHERE
    return f


def apply(parent: u32, name: Ptr[u8], value_type: u32, required: bool, at: u32) -> Ptr[Field]:
    f: Ptr[Field] = add_field(parent, name, ONE, value_type, APPLY, required)
    f.at = at
    return f


def apply_many(parent: u32, name: Ptr[u8], form: u32, value_type: u32, at: u32, stride: u32, max_entries: u32,
               count_at: u32) -> Ptr[Field]:
    f: Ptr[Field] = add_field(parent, name, form, value_type, APPLY, False)
    f.at = at
    f.stride = stride
    f.max_entries = max_entries
    f.seen_at = count_at
    return f


def capability_set(name: Ptr[u8], at: u32) -> None:
    apply_many(OBJ_CAPABILITIES, name, ARRAY_OF, T_CAPABILITY, at, 0, 0, NOWHERE)


def nest(parent: u32, name: Ptr[u8], members: u32, action: u32, required: bool) -> Ptr[Field]:
    """An object whose members fill the same struct as its parent's."""
    f: Ptr[Field] = add_field(parent, name, ONE, T_OBJECT, action, required)
    f.members = members
    return f


def check(parent: u32, name: Ptr[u8], form: u32, value_type: u32, required: bool) -> Ptr[Field]:
    return add_field(parent, name, form, value_type, CHECK, required)


def refuse(parent: u32, name: Ptr[u8]) -> None:
    add_field(parent, name, ONE, T_ANY, REFUSE, False)


def refuse_unless_empty(parent: u32, name: Ptr[u8], form: u32, value_type: u32) -> None:
    add_field(parent, name, form, value_type, REFUSE_UNLESS_EMPTY, False)


# ---------------------------------------------------------------- rules beyond a value's type (Field.finish)

def check_version(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    version: Ptr[Str] = cast(Ptr[Str], at)
    text: Ptr[u8] = spec_string(r.spec, version)
    if version.len < 2 or text[0] != ord("1") or text[1] != ord("."):
        return fail(r, -errno.EOPNOTSUPP, b"unsupported version (Cyrius implements 1.x)")
    return 0


def check_umask(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    if number > 0o777:
        return fail(r, -errno.EINVAL, b"out of range (0 to 0777)")
    return 0


def check_oom_score_adj(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    if number < -1000 or number > 1000:
        return fail(r, -errno.ERANGE, b"out of range (-1000 to 1000)")
    cast(Ptr[i64], at)[0] = number  # T_I64 stores a negative value as 0: this one keeps its sign
    return 0


def check_rlimit(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    limit: Ptr[Rlimit] = cast(Ptr[Rlimit], at)
    if limit.soft > limit.hard:
        return fail(r, -errno.EINVAL, b"soft limit above the hard limit")
    return 0


def check_pids_limit(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    if number < -1:
        return fail(r, -errno.ERANGE, b"out of range (-1 or 0 for unlimited, else positive)")
    if number > MAX_PIDS_LIMIT:
        return fail_limit(r, b"more than ", u64(MAX_PIDS_LIMIT), b" (Cyrius's limit)")
    return 0


def check_memory_limit(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    if number != -1 and number < PAGE_BYTES:
        return fail(r, -errno.ERANGE, b"out of range (-1 for none, else at least 4096 bytes)")
    return 0


def check_memory_size(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    if number < -1:
        return fail(r, -errno.ERANGE, b"out of range (-1 for none, else 0 or more bytes)")
    return 0


def check_propagation(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    shared: bool = json.string_is(r.text, r.tokens, v, b"shared", usize(6))
    if shared or json.string_is(r.text, r.tokens, v, b"rshared", usize(7)):
        return unsupported(r)
    if lookup(r, v, b"", b"private rprivate slave rslave unbindable runbindable") < 0:
        return fail(r, -errno.EINVAL, b"invalid value")
    return 0


def finish_mount(r: Ptr[Reader], v: u32, number: i64, at: Ptr[u8]) -> i64:
    """Its options were read to the end of all mounts' options: they are its own from now on."""
    spec: Ptr[ContainerSpec] = r.spec
    m: Ptr[MountSpec] = cast(Ptr[MountSpec], at)
    m.first_option = spec.option_count
    spec.option_count += m.option_count
    m.kind = mount_kind(spec, m)
    return 0


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
    """By MOUNT_* number, from MOUNT_PROC = 1 to MOUNT_BIND = 7 ("-", at MOUNT_OTHER, is no type)."""
    return b"- proc sysfs tmpfs devpts mqueue cgroup bind"


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
            c = ord("?")
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


# ---------------------------------------------------------------- strings and names

def store_string(r: Ptr[Reader], v: u32, limit: u32, out: Ptr[Str]) -> i64:
    """Copy the string at tokens[v] (at most `limit` bytes, no NUL characters) into the pool."""
    err: i64 = expect_kind(r, v, JSON_STRING)
    if err < 0:
        return err
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


def word_index(words: Ptr[u8], word: Ptr[u8], length: usize) -> i64:
    """Position of word[0..length) in the space-separated list `words`, or -1."""
    index: i64 = 0
    i: usize = 0
    while words[i] != 0:
        k: usize = 0
        while k < length and words[i + k] == word[k]:
            k += 1
        if k == length and (words[i + k] == ord(" ") or words[i + k] == 0):
            return index
        while words[i] != 0 and words[i] != ord(" "):
            i += 1
        if words[i] == ord(" "):
            i += 1
        index += 1
    return -1


def lookup(r: Ptr[Reader], v: u32, prefix: Ptr[u8], words: Ptr[u8]) -> i64:
    """The position in `words` of the string at tokens[v] once `prefix` is taken off; -1 if it is
    not there; -EINVAL (reported) if it is not a string."""
    err: i64 = expect_kind(r, v, JSON_STRING)
    if err < 0:
        return err
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


def mount_kind(spec: Ptr[ContainerSpec], m: Ptr[MountSpec]) -> u32:
    for i in range(m.option_count):
        o: Ptr[Str] = addr(spec.options) + m.first_option + i
        if word_index(b"bind rbind", spec_string(spec, o), usize(o.len)) >= 0:
            return MOUNT_BIND
    type_name: Ptr[u8] = spec_string(spec, addr(m.type))
    if word_index(b"cgroup2", type_name, usize(m.type.len)) == 0:
        return MOUNT_CGROUP
    kind: i64 = word_index(mount_type_names(), type_name, usize(m.type.len))
    if m.type.len == 0 or kind < 0:
        return MOUNT_OTHER
    return u32(kind)


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


# ---------------------------------------------------------------- values by type

def expect_kind(r: Ptr[Reader], v: u32, kind: u32) -> i64:
    """Whether tokens[v] is a JSON_OBJECT, JSON_ARRAY or JSON_STRING, as `kind` asks: 0 or -EINVAL (reported)."""
    if r.tokens[v].kind == kind:
        return 0
    if kind == JSON_OBJECT:
        return fail(r, -errno.EINVAL, b"expected an object")
    if kind == JSON_ARRAY:
        return fail(r, -errno.EINVAL, b"expected an array")
    return fail(r, -errno.EINVAL, b"expected a string")


def read_number(r: Ptr[Reader], value_type: u32, v: u32, out: Ptr[u64]) -> i64:
    """The T_BOOL (as 0 or 1), T_U32, T_U64 or T_I64 (its bits) at tokens[v] into out[0]: 0 or -errno (reported)."""
    if value_type == T_BOOL:
        flag: Array[bool, 1] = Array[bool, 1]()
        if json.get_bool(r.tokens, v, addr(flag)) < 0:
            return fail(r, -errno.EINVAL, b"expected true or false")
        out[0] = u64(flag[0])
        return 0
    err: i64 = 0
    if value_type == T_I64:
        err = json.get_i64(r.text, r.tokens, v, cast(Ptr[i64], out))
    else:
        err = json.get_u64(r.text, r.tokens, v, out)
        if err == 0 and value_type == T_U32 and out[0] > 0xFFFFFFFF:
            err = -errno.ERANGE
    if err == -errno.ERANGE and value_type == T_I64:
        return fail(r, -errno.ERANGE, b"out of range (-9223372036854775808 to 9223372036854775807)")
    if err == -errno.ERANGE and value_type == T_U32:
        return fail(r, -errno.ERANGE, b"out of range (0 to 4294967295)")
    if err == -errno.ERANGE:
        return fail(r, -errno.ERANGE, b"out of range (0 to 18446744073709551615)")
    if err < 0:
        return fail(r, -errno.EINVAL, b"expected an integer")
    return 0


def store_number(value_type: u32, at: Ptr[u8], value: u64) -> None:
    if value_type == T_BOOL:
        cast(Ptr[bool], at)[0] = value != 0
    elif value_type == T_U32:
        cast(Ptr[u32], at)[0] = u32(value)
    elif value_type == T_I64 and i64(value) < 0:
        cast(Ptr[u64], at)[0] = 0
    else:
        cast(Ptr[u64], at)[0] = value


def read_rlimit_type(r: Ptr[Reader], v: u32, at: Ptr[u8]) -> i64:
    found: i64 = lookup(r, v, b"RLIMIT_", rlimit_names())
    if found == -errno.EINVAL:
        return found
    if found < 0:
        return fail(r, -errno.EINVAL, b"unknown resource")
    spec: Ptr[ContainerSpec] = r.spec
    for i in range(spec.rlimit_count):  # the rlimits before this one
        if spec.rlimits[i].resource == u32(found):
            return fail(r, -errno.EINVAL, b"duplicate rlimit type")
    cast(Ptr[u32], at)[0] = u32(found)
    return 0


def read_namespace_type(r: Ptr[Reader], v: u32, at: Ptr[u8]) -> i64:
    found: i64 = lookup(r, v, b"", namespace_names())
    if found == -errno.EINVAL:
        return found
    if found < 0:
        return fail(r, -errno.EINVAL, b"unknown namespace type")
    mask: Ptr[u32] = cast(Ptr[u32], at)
    flag: u32 = namespace_flag(found)
    if (mask[0] & flag) != 0:
        return fail(r, -errno.EINVAL, b"duplicate namespace type")
    mask[0] |= flag
    return 0


def read_capability(r: Ptr[Reader], v: u32, at: Ptr[u8]) -> i64:
    found: i64 = lookup(r, v, b"CAP_", capability_names())
    if found == -errno.EINVAL:
        return found
    if found >= 0:
        mask: Ptr[u64] = cast(Ptr[u64], at)
        mask[0] |= u64(1) << found
        return 0
    spec: Ptr[ContainerSpec] = r.spec
    if spec.unknown_capabilities == 0:
        err: i64 = store_string(r, v, u32(STRINGS_CAP), addr(spec.unknown_capability))
        if err < 0:
            return err
    spec.unknown_capabilities += 1
    return 0


def read_mount_options(r: Ptr[Reader], f: Ptr[Field], v: u32, count: Ptr[u32]) -> i64:
    """A mount's options, stored after those of the mounts before it (finish_mount says where)."""
    err: i64 = expect_kind(r, v, JSON_ARRAY)
    if err < 0:
        return err
    spec: Ptr[ContainerSpec] = r.spec
    err = check_entries(r, f, spec.option_count + r.tokens[v].size)
    if err < 0:
        return err
    return read_entries(r, f, T_STRING, v, cast(Ptr[u8], addr(spec.options) + spec.option_count), count)


# ---------------------------------------------------------------- the walker

def find_field(r: Ptr[Reader], parent: u32, k: u32) -> Ptr[Field]:
    """The row for the member whose key is at tokens[k], or NULL."""
    for i in range(schema_rows):
        f: Ptr[Field] = addr(schema) + i
        if f.parent == parent and json.string_is(r.text, r.tokens, k, f.name, strlen(f.name)):
            return f
    return NULL


def read_object(r: Ptr[Reader], parent: u32, v: u32, target: Ptr[u8]) -> i64:
    """The object at tokens[v], whose rows have `parent`, into the struct at `target`: each member
    with a row, then whether any required one is missing. 0 or -errno (reported)."""
    err: i64 = expect_kind(r, v, JSON_OBJECT)
    if err < 0:
        return err
    saved: u32 = r.err.path_len
    k: u32 = v + 1
    f: Ptr[Field] = NULL
    for _ in range(r.tokens[v].size):
        f = find_field(r, parent, k)
        if f != NULL:
            path_key(r, f.name)
            err = read_member(r, f, k + 1, target)
            if err < 0:
                return err
            path_pop(r, saved)
        k = json.next_member(r.tokens, k)
    for i in range(schema_rows):
        f = addr(schema) + i
        if f.parent == parent and f.required and json.find_member(r.text, r.tokens, v, f.name, strlen(f.name)) < 0:
            return missing(r, f.name)
    return 0


def read_member(r: Ptr[Reader], f: Ptr[Field], v: u32, target: Ptr[u8]) -> i64:
    """The value at tokens[v] of the member f of an object whose struct is at `target`."""
    if f.action == REFUSE:
        return unsupported(r)
    if f.action == REFUSE_UNLESS_EMPTY:
        return refuse_unless_empty_value(r, f, v)
    at: Ptr[u8] = NULL
    if f.type == T_OBJECT and f.form == ONE:
        at = target
    elif f.action == APPLY and f.at != NOWHERE:
        at = target + f.at
    err: i64 = 0
    if f.form == ONE:
        err = read_value(r, f, f.type, v, at)
        if err == 0 and f.seen_at != NOWHERE:
            cast(Ptr[bool], target + f.seen_at)[0] = True
        return err
    err = expect_kind(r, v, JSON_ARRAY if f.form == ARRAY_OF else JSON_OBJECT)
    if err == 0:
        err = check_entries(r, f, r.tokens[v].size)
    if err == 0 and f.required and r.tokens[v].size == 0:
        err = fail(r, -errno.EINVAL, b"needs at least one entry")
    if err < 0:
        return err
    count: Ptr[u32] = NULL
    if f.seen_at != NOWHERE:
        count = cast(Ptr[u32], target + f.seen_at)
    return read_entries(r, f, f.type, v, at, count)


def check_entries(r: Ptr[Reader], f: Ptr[Field], total: u32) -> i64:
    """Whether `total` entries stay within f.max_entries: 0 or -E2BIG (reported)."""
    if f.max_entries == 0 or total <= f.max_entries:
        return 0
    return fail_limit(r, b"more than ", u64(f.max_entries), f.too_many)


def read_entries(r: Ptr[Reader], f: Ptr[Field], value_type: u32, v: u32, at: Ptr[u8], count: Ptr[u32]) -> i64:
    """The entries of the array, or of the object taken as a map, at tokens[v]: each through
    read_value() to `at` and f.stride bytes on (nowhere if `at` is NULL), a map's key first; their
    count, once read, at `count` unless it is NULL."""
    saved: u32 = r.err.path_len
    e: u32 = v + 1
    is_map: bool = r.tokens[v].kind == JSON_OBJECT
    for i in range(r.tokens[v].size):
        value: u32 = e
        place: Ptr[u8] = at
        err: i64 = 0
        if is_map:
            path_quoted_key(r, e)
            if r.tokens[e].end == r.tokens[e].start:
                return fail(r, -errno.EINVAL, b"empty key")
            err = store_string(r, e, u32(STRINGS_CAP), cast(Ptr[Str], at))
            value = e + 1
            place = at + sizeof(Str)
        else:
            path_index(r, i)
        if err == 0:
            err = read_value(r, f, value_type, value, place)
        if err < 0:
            return err
        if count != NULL:
            count[0] = i + 1
        path_pop(r, saved)
        e = r.tokens[value].next
        if at != NULL:
            at += f.stride
    return 0


def read_value(r: Ptr[Reader], f: Ptr[Field], value_type: u32, v: u32, at: Ptr[u8]) -> i64:
    """One value of `value_type` (f's, or an entry's), stored at `at` unless it is NULL, then
    f.finish: 0 or -errno (reported)."""
    number: Array[u64, 1] = Array[u64, 1]()
    err: i64 = 0
    if value_type == T_BOOL or value_type == T_U32 or value_type == T_U64 or value_type == T_I64:
        err = read_number(r, value_type, v, addr(number))
        if err == 0 and at != NULL:
            store_number(value_type, at, number[0])
    elif value_type == T_STRING and at == NULL:
        err = expect_kind(r, v, JSON_STRING)
    elif value_type == T_STRING:
        limit: u32 = f.max_bytes
        if limit == 0:
            limit = STRINGS_CAP
        err = store_string(r, v, limit, cast(Ptr[Str], at))
    elif value_type == T_PATH or value_type == T_ABSOLUTE_PATH:
        err = store_path(r, v, value_type == T_ABSOLUTE_PATH, cast(Ptr[Str], at))
    elif value_type == T_ROOTED_PATH:
        err = store_rooted_path(r, v, cast(Ptr[Str], at))
    elif value_type == T_OBJECT:
        err = read_object(r, f.members, v, at)
    elif value_type == T_RLIMIT:
        err = read_rlimit_type(r, v, at)
    elif value_type == T_NAMESPACE:
        err = read_namespace_type(r, v, at)
    elif value_type == T_CAPABILITY:
        err = read_capability(r, v, at)
    else:  # T_MOUNT_OPTIONS
        err = read_mount_options(r, f, v, cast(Ptr[u32], at))
    if err == 0 and f.finish != NULL:
        err = f.finish(r, v, i64(number[0]), at)
    return err


def refuse_unless_empty_value(r: Ptr[Reader], f: Ptr[Field], v: u32) -> i64:
    """A REFUSE_UNLESS_EMPTY member: false, or an empty string, array or object, is accepted."""
    err: i64 = 0
    if f.type == T_BOOL:
        flag: Array[u64, 1] = Array[u64, 1]()
        err = read_number(r, T_BOOL, v, addr(flag))
        if err == 0 and flag[0] != 0:
            return unsupported(r)
        return err
    if f.form == ARRAY_OF:
        err = expect_kind(r, v, JSON_ARRAY)
    elif f.form == MAP_OF:
        err = expect_kind(r, v, JSON_OBJECT)
    else:
        err = expect_kind(r, v, JSON_STRING)
    if err < 0:
        return err
    t: Ptr[JsonToken] = r.tokens + v
    if t.size != 0 or (t.kind == JSON_STRING and t.end != t.start):
        return unsupported(r)
    return 0


def read_document(r: Ptr[Reader]) -> i64:
    if r.tokens[0].kind != JSON_OBJECT:
        return fail(r, -errno.EINVAL, b"expected a JSON object")
    return read_object(r, OBJ_DOCUMENT, u32(0), cast(Ptr[u8], r.spec))


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
    if schema_rows == 0:
        define_schema()
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
