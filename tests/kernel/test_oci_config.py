"""config.json into a ContainerSpec (kernel/container/oci_config.py) under CPython.

The configs are umoci's own (a rootless unpack, and a root one when the tests run as root), and
variants of them: broken JSON, whose errors must name the right line and column of the real
file, and wrong or unsupported fields, whose errors must name the JSON path. Whatever the kernel
records is compared with what Python's json reads from the same file.
"""
import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyrius.kernel import errno
from cyrius.kernel.container import oci_config as oc
from cyrius.kernel.lib import json as kjson
from cyrius.kernel.mm import heap
from cyrius.lang import Array, Ptr, addr, i64, memory, sizeof, u8
from tooling import require_tools

RLIMITS = ("CPU FSIZE DATA STACK CORE RSS NPROC NOFILE MEMLOCK AS LOCKS SIGPENDING MSGQUEUE NICE RTPRIO "
           "RTTIME").split()
CAPS = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
        "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT "
        "SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE "
        "AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ "
        "PERFMON BPF CHECKPOINT_RESTORE").split()
NAMESPACES = {"pid": oc.CLONE_NEWPID, "network": oc.CLONE_NEWNET, "mount": oc.CLONE_NEWNS, "ipc": oc.CLONE_NEWIPC,
              "uts": oc.CLONE_NEWUTS, "user": oc.CLONE_NEWUSER, "cgroup": oc.CLONE_NEWCGROUP,
              "time": oc.CLONE_NEWTIME}
MOUNT_KINDS = {"proc": oc.MOUNT_PROC, "sysfs": oc.MOUNT_SYSFS, "tmpfs": oc.MOUNT_TMPFS, "devpts": oc.MOUNT_DEVPTS,
               "mqueue": oc.MOUNT_MQUEUE, "cgroup": oc.MOUNT_CGROUP, "cgroup2": oc.MOUNT_CGROUP,
               "bind": oc.MOUNT_BIND}


# ---------------------------------------------------------------- umoci's configs

def umoci_config(tmp, rootless: bool) -> bytes:
    image, bundle = tmp / "image", tmp / ("rootless" if rootless else "root")
    if not image.exists():
        subprocess.run(["umoci", "init", "--layout", image], check=True, capture_output=True)
        subprocess.run(["umoci", "new", "--image", f"{image}:t"], check=True, capture_output=True)
    flags = ["--rootless"] if rootless else []
    subprocess.run(["umoci", "unpack", *flags, "--image", f"{image}:t", bundle], check=True, capture_output=True)
    return (bundle / "config.json").read_bytes()


@pytest.fixture(scope="module")
def umoci_configs(tmp_path_factory):
    """{"rootless": bytes, "root": bytes (when running as root)}: config.json as umoci writes it."""
    require_tools("umoci")
    tmp = tmp_path_factory.mktemp("umoci")
    configs = {"rootless": umoci_config(tmp, True)}
    if os.geteuid() == 0:
        configs["root"] = umoci_config(tmp, False)
    return configs


@pytest.fixture(scope="module")
def rootless(umoci_configs) -> bytes:
    return umoci_configs["rootless"]


# ---------------------------------------------------------------- running the kernel side

def put(data: bytes) -> Ptr:
    base = memory.alloc(max(len(data), 1))
    memory.write(base, data)
    return Ptr[u8](base)


class Result:
    def __init__(self, code: int, spec, err):
        self.code = code
        self.spec = spec
        self.err = err
        buf = Array[u8, 600]()
        n = int(oc.format_error(addr(err), addr(buf), 600))
        self.line = memory.read(addr(buf).address, n).decode()
        assert memory.read(addr(buf).address + n, 1) == b"\0"


def parse(data: bytes) -> Result:
    """parse_config with a token array big enough for any document of this length."""
    cap = len(data) + 1
    tokens = Ptr[kjson.JsonToken](memory.alloc(cap * sizeof(kjson.JsonToken)))
    spec = Ptr[oc.ContainerSpec](memory.alloc(sizeof(oc.ContainerSpec)))
    err = oc.ConfigError()
    code = int(oc.parse_config(put(data), len(data), tokens, cap, spec, addr(err)))
    return Result(code, spec, err)


def text(spec, s) -> str:
    return memory.read(oc.spec_string(spec, s).address, int(s.len)).decode()


def texts(spec, array, n) -> list:
    return [text(spec, addr(array[i])) for i in range(int(n))]


def bits(mask: int, names) -> list:
    return sorted(n for i, n in enumerate(names) if mask >> i & 1)


def recorded(spec) -> dict:
    """What the kernel recorded, in the shape of `expected`."""
    mounts = []
    for i in range(int(spec.mount_count)):
        m = spec.mounts[i]
        first, n = int(m.first_option), int(m.option_count)
        mounts.append({"destination": text(spec, addr(m.destination)), "type": text(spec, addr(m.type)),
                       "source": text(spec, addr(m.source)),
                       "options": [text(spec, addr(spec.options[first + k])) for k in range(n)],
                       "kind": int(m.kind)})
    caps = None
    if spec.has_capabilities:
        caps = {name: bits(int(getattr(spec, f"cap_{name}")), CAPS)
                for name in ("bounding", "effective", "inheritable", "permitted", "ambient")}
        caps["unknown"] = (int(spec.unknown_capabilities), text(spec, addr(spec.unknown_capability)))
    return {
        "ociVersion": text(spec, addr(spec.oci_version)),
        "root": (text(spec, addr(spec.root_path)), bool(spec.root_readonly)),
        "args": texts(spec, spec.args, spec.arg_count),
        "env": texts(spec, spec.env, spec.env_count),
        "cwd": text(spec, addr(spec.cwd)),
        "user": (int(spec.uid), int(spec.gid), [int(spec.additional_gids[i]) for i in range(int(spec.gid_count))],
                 int(spec.umask) if spec.has_umask else None),
        "terminal": bool(spec.terminal),
        "console": (int(spec.console_height), int(spec.console_width)),
        "noNewPrivileges": bool(spec.no_new_privileges),
        "oomScoreAdj": int(i64(spec.oom_score_adj)) if spec.has_oom_score_adj else None,
        "rlimits": [(RLIMITS[int(spec.rlimits[i].resource)], int(spec.rlimits[i].soft), int(spec.rlimits[i].hard))
                    for i in range(int(spec.rlimit_count))],
        "capabilities": caps,
        "hostname": text(spec, addr(spec.hostname)) if spec.has_hostname else None,
        "domainname": text(spec, addr(spec.domainname)) if spec.has_domainname else None,
        "mounts": mounts,
        "annotations": {text(spec, addr(spec.annotations[i].key)): text(spec, addr(spec.annotations[i].value))
                        for i in range(int(spec.annotation_count))},
        "namespaces": int(spec.namespaces),
        "maskedPaths": texts(spec, spec.masked_paths, spec.masked_count),
        "readonlyPaths": texts(spec, spec.readonly_paths, spec.readonly_count),
        "pidsLimit": int(spec.pids_limit),
        "memoryLimit": int(spec.memory_limit),
    }


def mount_kind(m: dict) -> int:
    if {"bind", "rbind"} & set(m.get("options", [])):
        return oc.MOUNT_BIND
    return MOUNT_KINDS.get(m.get("type", ""), oc.MOUNT_OTHER)


def expected(cfg: dict) -> dict:
    """What the kernel should record for a valid config, from Python's reading of it."""
    p, linux = cfg["process"], cfg.get("linux", {})
    resources = linux.get("resources", {})
    user = p["user"]
    caps = None
    if "capabilities" in p:
        def known(c):
            return c.startswith("CAP_") and c[4:] in CAPS
        caps = {name: sorted({c[4:] for c in p["capabilities"].get(name, []) if known(c)})
                for name in ("bounding", "effective", "inheritable", "permitted", "ambient")}
        unknown = [c for name in p["capabilities"] if name in caps for c in p["capabilities"][name] if not known(c)]
        caps["unknown"] = (len(unknown), unknown[0] if unknown else "")
    namespaces = 0
    for ns in linux.get("namespaces", []):
        namespaces |= NAMESPACES[ns["type"]]
    return {
        "ociVersion": cfg["ociVersion"],
        "root": (cfg["root"]["path"], cfg["root"].get("readonly", False)),
        "args": p["args"],
        "env": p.get("env", []),
        "cwd": p["cwd"],
        "user": (user["uid"], user["gid"], user.get("additionalGids", []), user.get("umask")),
        "terminal": p.get("terminal", False),
        "console": (p["consoleSize"]["height"], p["consoleSize"]["width"]) if "consoleSize" in p else (0, 0),
        "noNewPrivileges": p.get("noNewPrivileges", False),
        "oomScoreAdj": p.get("oomScoreAdj"),
        "rlimits": [(r["type"][7:], r["soft"], r["hard"]) for r in p.get("rlimits", [])],
        "capabilities": caps,
        "hostname": cfg.get("hostname"),
        "domainname": cfg.get("domainname"),
        "mounts": [{"destination": "/" * (not m["destination"].startswith("/")) + m["destination"],
                    "type": m.get("type", ""), "source": m.get("source", ""), "options": m.get("options", []),
                    "kind": mount_kind(m)} for m in cfg.get("mounts", [])],
        "annotations": cfg.get("annotations", {}),
        "namespaces": namespaces,
        "maskedPaths": linux.get("maskedPaths", []),
        "readonlyPaths": linux.get("readonlyPaths", []),
        "pidsLimit": max(resources.get("pids", {}).get("limit", 0), 0),  # 0 and -1: the runtime's default
        "memoryLimit": max(resources.get("memory", {}).get("limit", 0), 0),  # -1: none
    }


def accepted(data: bytes) -> dict:
    r = parse(data)
    assert r.code == 0, r.line
    assert int(r.err.kind) == oc.CONFIG_OK
    return recorded(r.spec)


# ---------------------------------------------------------------- umoci's configs are read exactly

def test_umoci_rootless_config(rootless):
    cfg = json.loads(rootless)
    got = accepted(rootless)
    assert got == expected(cfg)
    # What the seed transcript relies on, spelled out.
    assert got["args"] == ["sh"] and got["cwd"] == "/" and got["terminal"]
    assert got["hostname"] == "umoci-default" and got["root"] == ("rootfs", False)
    assert got["rlimits"] == [("NOFILE", 1024, 1024)]
    assert [m["kind"] for m in got["mounts"]][:5] == [oc.MOUNT_PROC, oc.MOUNT_TMPFS, oc.MOUNT_DEVPTS, oc.MOUNT_TMPFS,
                                                      oc.MOUNT_MQUEUE]
    assert got["annotations"]["org.opencontainers.image.os"] == "linux"


def test_umoci_root_config(umoci_configs):
    if "root" not in umoci_configs:  # not a missing tool: CI runs as root, so it is not skipped there
        pytest.skip("umoci unpack without --rootless needs root")
    data = umoci_configs["root"]
    cfg = json.loads(data)
    assert cfg["linux"]["resources"]["devices"] == [{"allow": False, "access": "rwm"}]  # the case it covers
    got = accepted(data)
    assert got == expected(cfg)
    assert {m["kind"] for m in got["mounts"]} >= {oc.MOUNT_SYSFS, oc.MOUNT_CGROUP}


def load_with_heap(data: bytes) -> Result:
    """What the shell does: the spec and the tokens from kalloc, count_config_tokens() first."""
    text_ptr = put(data)
    spec = Ptr[oc.ContainerSpec](heap.kalloc(sizeof(oc.ContainerSpec)).address)
    err = oc.ConfigError()
    n = int(oc.count_config_tokens(text_ptr, len(data), addr(err)))
    if n < 0:
        return Result(n, spec, err)
    tokens = Ptr[kjson.JsonToken](heap.kalloc(n * sizeof(kjson.JsonToken)).address)
    code = int(oc.parse_config(text_ptr, len(data), tokens, n, spec, addr(err)))
    heap.kfree(Ptr[None](tokens.address))
    return Result(code, spec, err)


def test_with_memory_from_the_kernel_heap(machine, rootless):
    assert sizeof(oc.ContainerSpec) < 80 * 1024
    before = int(heap.live_blocks)
    r = load_with_heap(rootless)
    assert r.code == 0 and int(heap.live_blocks) == before + 1  # the spec
    assert recorded(r.spec) == expected(json.loads(rootless))
    heap.kfree(Ptr[None](r.spec.address))
    r = load_with_heap(rootless.replace(b'"sh"', b"'sh'"))  # refused by the counting pass
    assert r.code == -errno.EINVAL and int(r.err.kind) == oc.CONFIG_SYNTAX
    assert r.line.endswith(": strings take double quotes")


def test_duplicates_are_found_after_counting(machine, rootless):
    """count_config_tokens() cannot see repeated keys; parse_config() reports them."""
    data = rootless.replace(b'"cwd": "/",', b'"cwd": "/",\n\t\t"cwd": "/",')
    err = oc.ConfigError()
    assert int(oc.count_config_tokens(put(data), len(data), addr(err))) > 0
    r = load_with_heap(data)
    line, column = position(data, data.index(b'"cwd"', data.index(b'"cwd"') + 1))
    assert (r.code, r.line) == (-errno.EINVAL, f"config.json:{line}:{column}: duplicate key")


# ---------------------------------------------------------------- syntax errors: line and column

def position(data: bytes, offset: int) -> tuple:
    """1-based line and column (in characters) of data[offset]."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(data[line_start:offset].decode()) + 1


def edit(data: bytes, old: bytes, new: bytes) -> tuple:
    """Replace the first occurrence of old; the edited text and where the edit starts."""
    at = data.index(old)
    return data[:at] + new + data[at + len(old):], at


SYNTAX = [
    # (old, new, where the error is: an offset into `new`, or None for the first non-blank after it; message)
    (b'"sh"\n', b'"sh",\n', None, "trailing comma"),
    (b'"terminal": true,', b'"terminal": true', None, "expected ',' or '}'"),
    (b'"uid": 0', b'"uid": 00', 7, "leading zeros are not allowed"),
    (b'"hostname"', b"'hostname'", 0, "strings take double quotes"),
    (b'"cwd": "/"', b'"cwd": "/" // root', 11, "comments are not allowed"),
    (b'"TERM=xterm"', b'"TERM=\txterm"', 6, "control character in a string"),
    (b'"TERM=xterm"', b'"TERM=\\xterm"', 6, "invalid escape in a string"),
    (b'"TERM=xterm"', b'"TERM=\\ud800"', 6, "unpaired surrogate in a \\u escape"),
    (b'"nosuid"', b'"nosuid', 8, "control character in a string"),  # the string runs on past ",": a newline
    (b'"ociVersion": "1.0.0"', b'"ociVersion": "1.0.0", "ociVersion": "1.0.0"', 23, "duplicate key"),
    (b'"noNewPrivileges": true', b'"noNewPrivileges": True', 19, "expected a value"),
    (b'"size": 1', b'"size": 1.', 10, "expected a digit"),
]


@pytest.mark.parametrize("old,new,where,message", SYNTAX)
def test_syntax_errors_name_line_and_column(rootless, old, new, where, message):
    data, at = edit(rootless, old, new)
    r = parse(data)
    assert r.code == -errno.EINVAL and int(r.err.kind) == oc.CONFIG_SYNTAX, r.line
    if where is None:
        offset = at + len(new)
        while data[offset:offset + 1] in (b" ", b"\t", b"\n"):
            offset += 1
    else:
        offset = at + where
    line, column = position(data, offset)
    assert r.line == f"config.json:{line}:{column}: {message}"


def test_syntax_error_after_non_ascii_counts_characters(rootless):
    data, at = edit(rootless, b'"umoci-default"', '"h\u00f6st\u00e9" x'.encode())
    r = parse(data)
    line, column = position(data, data.index(b"x", at))
    assert r.line == f"config.json:{line}:{column}: expected ',' or '}}'"
    assert column == position(rootless, at)[1] + 8


def test_truncated_and_empty(rootless):
    cut = rootless[:rootless.rindex(b"]")]
    r = parse(cut)
    line, column = position(cut, len(cut))
    assert r.line == f"config.json:{line}:{column}: unexpected end of input"
    assert parse(b"").line == "config.json:1:1: unexpected end of input"
    assert parse(b"[]").line == "config.json: expected a JSON object"


# ---------------------------------------------------------------- schema errors: the JSON path

def variant(base: bytes, change) -> bytes:
    cfg = json.loads(base)
    change(cfg)
    return json.dumps(cfg, indent="\t").encode()


def rejected(base: bytes, change, line: str, code: int = -errno.EINVAL) -> None:
    r = parse(variant(base, change))
    assert (r.code, r.line) == (code, line)
    assert int(r.err.kind) == oc.CONFIG_SCHEMA


def setter(path, value):
    """A change that sets cfg[path...] = value (or deletes it when value is DELETE)."""
    def change(cfg):
        node = cfg
        for key in path[:-1]:
            node = node[key]
        if value is DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return change


DELETE = object()
UNSUPPORTED = "not supported by Cyrius"

SCHEMA = [
    # path, value, the error line
    (["ociVersion"], DELETE, "ociVersion: missing"),
    (["ociVersion"], 1, "ociVersion: expected a string"),
    (["ociVersion"], "2.0.0", "ociVersion: unsupported version (Cyrius implements 1.x)"),
    (["ociVersion"], "1", "ociVersion: unsupported version (Cyrius implements 1.x)"),
    (["root"], DELETE, "root: missing"),
    (["root"], "rootfs", "root: expected an object"),
    (["root", "path"], DELETE, "root.path: missing"),
    (["root", "path"], "", "root.path: empty path"),
    (["root", "path"], "a" * 4096, "root.path: longer than 4095 bytes"),
    (["root", "readonly"], "yes", "root.readonly: expected true or false"),
    (["process"], DELETE, "process: missing"),
    (["process", "args"], DELETE, "process.args: missing"),
    (["process", "args"], [], "process.args: needs at least one entry"),
    (["process", "args"], "sh", "process.args: expected an array"),
    (["process", "args"], [1], "process.args[0]: expected a string"),
    (["process", "args"], ["sh", None], "process.args[1]: expected a string"),
    (["process", "args"], ["a\u0000b"], "process.args[0]: contains a NUL character"),
    (["process", "args"], ["x"] * 65, "process.args: more than 64 entries (Cyrius's limit)"),
    (["process", "env"], ["A=1"] * 129, "process.env: more than 128 entries (Cyrius's limit)"),
    (["process", "env", 1], 7, "process.env[1]: expected a string"),
    (["process", "cwd"], DELETE, "process.cwd: missing"),
    (["process", "cwd"], "home", "process.cwd: must be an absolute path"),
    (["process", "terminal"], 1, "process.terminal: expected true or false"),
    (["process", "user"], DELETE, "process.user: missing"),
    (["process", "user", "uid"], DELETE, "process.user.uid: missing"),
    (["process", "user", "gid"], DELETE, "process.user.gid: missing"),
    (["process", "user", "uid"], -1, "process.user.uid: out of range (0 to 4294967295)"),
    (["process", "user", "uid"], 1 << 32, "process.user.uid: out of range (0 to 4294967295)"),
    (["process", "user", "uid"], 1.5, "process.user.uid: expected an integer"),
    (["process", "user", "uid"], 1e3, "process.user.uid: expected an integer"),
    (["process", "user", "gid"], "0", "process.user.gid: expected an integer"),
    (["process", "user", "umask"], 0o1000, "process.user.umask: out of range (0 to 0777)"),
    (["process", "user", "additionalGids"], [1, "2"], "process.user.additionalGids[1]: expected an integer"),
    (["process", "consoleSize"], {"height": 25}, "process.consoleSize.width: missing"),
    (["process", "rlimits", 0, "type"], "RLIMIT_BOGUS", "process.rlimits[0].type: unknown resource"),
    (["process", "rlimits", 0, "type"], "NOFILE", "process.rlimits[0].type: unknown resource"),
    (["process", "rlimits", 0, "soft"], DELETE, "process.rlimits[0].soft: missing"),
    (["process", "rlimits", 0, "soft"], 2048, "process.rlimits[0]: soft limit above the hard limit"),
    (["process", "rlimits", 0, "hard"], -1, "process.rlimits[0].hard: out of range (0 to 18446744073709551615)"),
    (["process", "rlimits"], [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}] * 2,
     "process.rlimits[1].type: duplicate rlimit type"),
    (["process", "capabilities", "bounding", 1], 5, "process.capabilities.bounding[1]: expected a string"),
    (["process", "capabilities", "ambient"], "CAP_KILL", "process.capabilities.ambient: expected an array"),
    (["process", "oomScoreAdj"], 1001, "process.oomScoreAdj: out of range (-1000 to 1000)"),
    (["process", "oomScoreAdj"], -1001, "process.oomScoreAdj: out of range (-1000 to 1000)"),
    (["process", "oomScoreAdj"], "5", "process.oomScoreAdj: expected an integer"),
    (["process", "selinuxLabel"], "system_u:system_r:container_t:s0", f"process.selinuxLabel: {UNSUPPORTED}"),
    (["process", "apparmorProfile"], "docker-default", f"process.apparmorProfile: {UNSUPPORTED}"),
    (["process", "scheduler"], {"policy": "SCHED_OTHER"}, f"process.scheduler: {UNSUPPORTED}"),
    (["hostname"], 5, "hostname: expected a string"),
    (["hostname"], "h" * 65, "hostname: longer than 64 bytes"),
    (["domainname"], "d" * 65, "domainname: longer than 64 bytes"),
    (["mounts"], {}, "mounts: expected an array"),
    (["mounts", 1, "destination"], "", "mounts[1].destination: empty path"),
    (["mounts", 2, "destination"], DELETE, "mounts[2].destination: missing"),
    (["mounts", 1, "options", 3], 4, "mounts[1].options[3]: expected a string"),
    (["mounts", 0, "uidMappings"], [], f"mounts[0].uidMappings: {UNSUPPORTED}"),
    (["mounts"], [{"destination": "/m"}] * 33, "mounts: more than 32 entries (Cyrius's limit)"),
    (["mounts"], [{"destination": "/m", "options": ["ro"] * 100}] * 3,
     "mounts[2].options: more than 256 mount options in all (Cyrius's limit)"),
    (["annotations", "org.opencontainers.image.os"], 1,
     "annotations[\"org.opencontainers.image.os\"]: expected a string"),
    (["annotations", ""], "x", "annotations[\"\"]: empty key"),
    (["annotations"], {f"k{i}": "v" for i in range(33)}, "annotations: more than 32 entries (Cyrius's limit)"),
    (["hooks"], {"prestart": [{"path": "/bin/true"}]}, f"hooks.prestart: {UNSUPPORTED}"),
    (["hooks"], {"poststop": {}}, "hooks.poststop: expected an array"),
    (["linux", "seccomp"], {"defaultAction": "SCMP_ACT_ALLOW"}, f"linux.seccomp: {UNSUPPORTED}"),
    (["linux", "sysctl"], {"net.ipv4.ip_forward": "1"}, f"linux.sysctl: {UNSUPPORTED}"),
    (["linux", "devices"], [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}],
     f"linux.devices: {UNSUPPORTED}"),
    (["linux", "resources"], {"cpu": {"shares": 1024}}, f"linux.resources.cpu: {UNSUPPORTED}"),
    (["linux", "resources"], {"pids": {}}, "linux.resources.pids.limit: missing"),
    (["linux", "resources"], {"pids": 64}, "linux.resources.pids: expected an object"),
    (["linux", "resources"], {"pids": {"limit": "64"}}, "linux.resources.pids.limit: expected an integer"),
    (["linux", "resources"], {"pids": {"limit": 6.5}}, "linux.resources.pids.limit: expected an integer"),
    (["linux", "resources"], {"pids": {"limit": -2}},
     "linux.resources.pids.limit: out of range (-1 or 0 for unlimited, else positive)"),
    (["linux", "resources"], {"pids": {"limit": 4097}}, "linux.resources.pids.limit: more than 4096 (Cyrius's limit)"),
    (["linux", "resources"], {"pids": {"limit": 1 << 63}},
     "linux.resources.pids.limit: out of range (-9223372036854775808 to 9223372036854775807)"),
    (["linux", "resources"], {"memory": {"limit": 4095}},
     "linux.resources.memory.limit: out of range (-1 for none, else at least 4096 bytes)"),
    (["linux", "resources"], {"memory": {"limit": 0}},
     "linux.resources.memory.limit: out of range (-1 for none, else at least 4096 bytes)"),
    (["linux", "resources"], {"memory": {"limit": True}}, "linux.resources.memory.limit: expected an integer"),
    (["linux", "resources"], {"memory": {"reservation": -5}},
     "linux.resources.memory.reservation: out of range (-1 for none, else 0 or more bytes)"),
    (["linux", "resources"], {"memory": {"swap": "all"}}, "linux.resources.memory.swap: expected an integer"),
    (["linux", "resources"], {"memory": {"disableOOMKiller": True}},
     f"linux.resources.memory.disableOOMKiller: {UNSUPPORTED}"),
    (["linux", "resources"], {"memory": {"disableOOMKiller": 1}},
     "linux.resources.memory.disableOOMKiller: expected true or false"),
    (["linux", "resources"], {"memory": {"kernel": 1 << 20}}, f"linux.resources.memory.kernel: {UNSUPPORTED}"),
    (["linux", "resources"], {"memory": {"swappiness": 60}}, f"linux.resources.memory.swappiness: {UNSUPPORTED}"),
    (["linux", "resources"], {"memory": []}, "linux.resources.memory: expected an object"),
    (["linux", "resources"], {"devices": [{"access": "rwm"}]}, "linux.resources.devices[0].allow: missing"),
    (["linux", "namespaces", 0], {"type": "pid", "path": "/proc/1/ns/pid"}, f"linux.namespaces[0].path: {UNSUPPORTED}"),
    (["linux", "namespaces", 1], {"type": "pid"}, "linux.namespaces[1].type: duplicate namespace type"),
    (["linux", "namespaces", 1], {"type": "bogus"}, "linux.namespaces[1].type: unknown namespace type"),
    (["linux", "namespaces", 1], {}, "linux.namespaces[1].type: missing"),
    (["linux", "uidMappings", 0, "size"], DELETE, "linux.uidMappings[0].size: missing"),
    (["linux", "maskedPaths", 2], "proc/kcore", "linux.maskedPaths[2]: must be an absolute path"),
    (["linux", "rootfsPropagation"], "rshared", f"linux.rootfsPropagation: {UNSUPPORTED}"),
    (["linux", "rootfsPropagation"], "sideways", "linux.rootfsPropagation: invalid value"),
    (["linux", "mountLabel"], "system_u:object_r:container_file_t:s0", f"linux.mountLabel: {UNSUPPORTED}"),
    (["linux", "intelRdt"], {"closID": "x"}, f"linux.intelRdt: {UNSUPPORTED}"),
    (["windows"], {"layerFolders": []}, f"windows: {UNSUPPORTED}"),
    (["vm"], {"kernel": {"path": "/vmlinuz"}}, f"vm: {UNSUPPORTED}"),
]


@pytest.mark.parametrize("path,value,line", SCHEMA, ids=[line for _, _, line in SCHEMA])
def test_schema_errors_name_the_path(rootless, path, value, line):
    code = -errno.EINVAL
    if UNSUPPORTED in line or "unsupported version" in line:
        code = -errno.EOPNOTSUPP
    elif "Cyrius's limit" in line:
        code = -errno.E2BIG
    elif "out of range" in line and "umask" not in line:
        code = -errno.ERANGE
    elif "longer than" in line:
        code = -errno.E2BIG
    rejected(rootless, setter(path, value), f"config.json: {line}", code)


def test_string_pool_overflow_names_the_string(rootless):
    env = [f"V{i}=" + "x" * 600 for i in range(110)]
    cfg = json.loads(rootless)
    used = 1 + sum(len(s) + 1 for s in [cfg["ociVersion"], *cfg["process"]["args"]])  # read before env
    n = next(i for i in range(len(env)) if used + sum(len(s) + 1 for s in env[:i + 1]) > oc.STRINGS_CAP)
    rejected(rootless, setter(["process", "env"], env),
             f"config.json: process.env[{n}]: strings exceed 65536 bytes in all (Cyrius's limit)", -errno.E2BIG)


def test_long_annotation_keys_are_cut_in_the_path(rootless):
    key = "k" * 100
    rejected(rootless, setter(["annotations", key], ["v"]),
             f"config.json: annotations[\"{'k' * 64}...\"]: expected a string")
    rejected(rootless, setter(["annotations", "a\nb"], 1), "config.json: annotations[\"a?b\"]: expected a string")


# ---------------------------------------------------------------- accepted variants

ACCEPTED = [
    (["futureProperty"], {"anything": [1, 2]}),  # unknown properties are ignored (Extensibility)
    (["process", "futureProperty"], 1),
    (["linux", "futureProperty"], 1),
    (["process", "commandLine"], "cmd.exe"),  # Windows only
    (["process", "apparmorProfile"], ""),
    (["process", "consoleSize"], {"height": 25, "width": 80}),
    (["process", "user", "umask"], 0o22),
    (["process", "user", "additionalGids"], [5, 6, 4294967295]),
    (["process", "rlimits"], [{"type": f"RLIMIT_{n}", "soft": 1, "hard": (1 << 64) - 1} for n in RLIMITS]),
    (["process", "capabilities", "bounding"], [f"CAP_{c}" for c in CAPS]),
    (["process", "capabilities"], {}),
    (["process", "capabilities", "ambient"], ["CAP_KILL", "CAP_KILLL", "CAP_", "KILL", "CAP_" + "X" * 50]),
    (["mounts", 1, "destination"], "dev"),  # deprecated: relative to "/"
    (["process", "env"], []),
    (["process", "args"], ["x" * 5000, "caf\u00e9 \U0001f600"]),
    (["root", "readonly"], True),
    (["hostname"], ""),
    (["domainname"], "example.org"),
    (["hooks"], {"prestart": [], "poststop": []}),
    (["annotations"], {}),
    (["mounts"], []),
    (["mounts", 0, "type"], "overlay"),  # recorded as MOUNT_OTHER: the kernel decides
    (["mounts", 1, "type"], DELETE),
    (["linux", "cgroupsPath"], "/cyrius/c1"),
    (["linux", "rootfsPropagation"], "rslave"),
    (["linux", "sysctl"], {}),
    (["linux", "devices"], []),
    (["linux", "mountLabel"], ""),
    (["linux", "resources"], {"devices": [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c"}]}),
    (["linux", "resources"], {"pids": {"limit": 64}}),
    (["linux", "resources"], {"pids": {"limit": 4096}}),
    (["linux", "resources"], {"pids": {"limit": 0}}),  # unlimited: the runtime's default applies
    (["linux", "resources"], {"pids": {"limit": -1}}),
    (["linux", "resources"], {"memory": {"limit": 64 << 20, "reservation": 32 << 20, "swap": 64 << 20,
                                         "disableOOMKiller": False}}),
    (["linux", "resources"], {"memory": {"limit": 4096}}),
    (["linux", "resources"], {"memory": {"limit": -1, "swap": -1}}),
    (["linux", "resources"], {"memory": {"limit": (1 << 63) - 1}}),
    (["linux", "resources"], {"memory": {}, "pids": {"limit": 1}}),
    (["linux", "namespaces"], [{"type": t} for t in NAMESPACES]),
    (["linux"], {}),
    (["ociVersion"], "1.2.0"),
    (["process", "oomScoreAdj"], -1000),
    (["process", "oomScoreAdj"], 0),
    (["process", "oomScoreAdj"], 1000),
]


@pytest.mark.parametrize("path,value", ACCEPTED, ids=[".".join(map(str, p)) for p, _ in ACCEPTED])
def test_accepted_variants_are_recorded(rootless, path, value):
    data = variant(rootless, setter(path, value))
    assert accepted(data) == expected(json.loads(data))


def test_minimal_config():
    data = json.dumps({"ociVersion": "1.0.2", "root": {"path": "/containers/c1/rootfs"},
                       "process": {"args": ["/bin/sh"], "cwd": "/", "user": {"uid": 1000, "gid": 100}}}).encode()
    got = accepted(data)
    assert got == expected(json.loads(data))
    assert got["capabilities"] is None and got["hostname"] is None and got["mounts"] == []


# ---------------------------------------------------------------- generated configs

names = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=12)
paths = names.map(lambda s: "/" + s)


@st.composite
def configs(draw):
    mounts = [{"destination": draw(paths), "type": draw(st.sampled_from([*MOUNT_KINDS, "overlay", "9p"])),
               "source": draw(names), "options": draw(st.lists(st.sampled_from(["ro", "bind", "rbind", "nosuid",
                                                                                 "mode=755"]), max_size=4))}
              for _ in range(draw(st.integers(0, 3)))]
    kinds = draw(st.lists(st.sampled_from(list(RLIMITS)), unique=True, max_size=3))
    rlimits = []
    for kind in kinds:
        hard = draw(st.integers(0, (1 << 64) - 1))
        rlimits.append({"type": "RLIMIT_" + kind, "soft": draw(st.integers(0, hard)), "hard": hard})
    caps = {name: draw(st.lists(st.sampled_from(CAPS).map(lambda c: "CAP_" + c), max_size=3))
            for name in draw(st.lists(st.sampled_from(["bounding", "effective", "inheritable", "permitted",
                                                       "ambient"]), unique=True, max_size=5))}
    process = {"args": draw(st.lists(names, min_size=1, max_size=4)), "env": draw(st.lists(names, max_size=4)),
               "cwd": draw(paths), "user": {"uid": draw(st.integers(0, (1 << 32) - 1)),
                                            "gid": draw(st.integers(0, (1 << 32) - 1))},
               "terminal": draw(st.booleans()), "rlimits": rlimits}
    if draw(st.booleans()):
        process["capabilities"] = caps
    cfg = {"ociVersion": "1." + draw(st.sampled_from(["0.0", "0.2", "1.0", "2.0"])),
           "root": {"path": draw(names.filter(bool)), "readonly": draw(st.booleans())},
           "process": process, "mounts": mounts, "annotations": draw(st.dictionaries(names.filter(bool), names,
                                                                                     max_size=4)),
           "linux": {"namespaces": [{"type": t} for t in draw(st.lists(st.sampled_from(list(NAMESPACES)),
                                                                       unique=True))]}}
    if draw(st.booleans()):
        cfg["hostname"] = draw(names)
    items = list(cfg.items())
    return dict(draw(st.permutations(items)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), st.booleans())
def test_generated_configs_are_recorded_exactly(cfg, ascii_only):
    data = json.dumps(cfg, ensure_ascii=ascii_only).encode()
    assert accepted(data) == expected(cfg)


# ---------------------------------------------------------------- the shell's error line

def test_format_error_cuts_at_capacity(rootless):
    data = variant(rootless, setter(["process", "args"], [1]))
    r = parse(data)
    full = "config.json: process.args[0]: expected a string"
    assert r.line == full
    for cap in (0, 1, 2, 12, 30, len(full), len(full) + 1):
        buf = Array[u8, 80]()
        for i in range(80):
            buf[i] = 0xAA
        n = int(oc.format_error(addr(r.err), addr(buf), cap))
        got = memory.read(addr(buf).address, 80)
        if cap == 0:
            assert n == 0 and got == b"\xaa" * 80
            continue
        assert n == min(len(full), cap - 1)
        assert got[:n + 1] == full.encode()[:n] + b"\0" and got[n + 1:] == b"\xaa" * (79 - n)


# ---------------------------------------------------------------- the schema, row by row

def cstring(p) -> str:
    n = 0
    while memory.read(p.address + n, 1) != b"\0":
        n += 1
    return memory.read(p.address, n).decode()


def schema_rows() -> list:
    """The rows of oc.define_schema(), in order."""
    if int(oc.schema_rows) == 0:
        oc.define_schema()
    return [{"parent": int(f.parent), "name": cstring(f.name), "form": int(f.form), "type": int(f.type),
             "action": int(f.action), "required": bool(f.required), "members": int(f.members)}
            for f in (oc.schema[i] for i in range(int(oc.schema_rows)))]


ROWS = schema_rows()


def where(obj: int) -> list:
    """The JSON path to an object of the schema (through entry 0 of an array of them)."""
    if obj == oc.OBJ_DOCUMENT:
        return []
    holder = next(row for row in ROWS if row["type"] == oc.T_OBJECT and row["members"] == obj)
    return where(holder["parent"]) + [holder["name"]] + ([0] if holder["form"] == oc.ARRAY_OF else [])


def spelled_path(path: list) -> str:
    return "".join(f"[{key}]" if isinstance(key, int) else ("." if i else "") + key for i, key in enumerate(path))


def with_member(row: dict, value) -> tuple:
    """umoci's rootless config with the row's member set to value (or deleted), the objects and
    first array entries on the way made if need be; the config and the member's parent object."""
    def change(cfg):
        node, path = cfg, where(row["parent"])
        for i, key in enumerate(path):
            inner = path[i + 1] if i + 1 < len(path) else None
            if isinstance(key, int):
                if not node:
                    node.append({})
                node = node[key]
            else:
                node = node.setdefault(key, [] if isinstance(inner, int) else {})
        if value is DELETE:
            node.pop(row["name"], None)
        else:
            node[row["name"]] = value
        change.parent = node
    return change


def rows_by(predicate) -> list:
    rows = [row for row in ROWS if predicate(row)]
    return pytest.mark.parametrize("row", rows, ids=[spelled_path(where(r["parent"]) + [r["name"]]) for r in rows])


def member_line(row: dict, message: str) -> str:
    return f"config.json: {spelled_path(where(row['parent']) + [row['name']])}: {message}"


@rows_by(lambda row: row["action"] == oc.REFUSE)
def test_every_refused_member_is_refused(rootless, row):
    rejected(rootless, with_member(row, {"x": 1}), member_line(row, UNSUPPORTED), -errno.EOPNOTSUPP)


EMPTY_AND_SET = {oc.ARRAY_OF: ([], [{}]), oc.MAP_OF: ({}, {"a": "b"})}  # by form; single values by type:
EMPTY_AND_SET_ONE = {oc.T_BOOL: (False, True), oc.T_STRING: ("", "x")}


@rows_by(lambda row: row["action"] == oc.REFUSE_UNLESS_EMPTY)
def test_refused_unless_empty_members_take_only_empty_values(rootless, row):
    empty, asking = EMPTY_AND_SET.get(row["form"]) or EMPTY_AND_SET_ONE[row["type"]]
    accepted(variant(rootless, with_member(row, empty)))
    rejected(rootless, with_member(row, asking), member_line(row, UNSUPPORTED), -errno.EOPNOTSUPP)


WRONG_TYPE = {oc.T_BOOL: ("x", "expected true or false"), oc.T_U32: ("x", "expected an integer"),
              oc.T_U64: ("x", "expected an integer"), oc.T_I64: ("x", "expected an integer"),
              oc.T_OBJECT: (5, "expected an object"), oc.T_MOUNT_OPTIONS: (5, "expected an array")}


@rows_by(lambda row: row["action"] in (oc.APPLY, oc.CHECK))
def test_read_members_reject_a_value_of_the_wrong_type(rootless, row):
    if row["form"] == oc.ARRAY_OF:
        value, message = 5, "expected an array"
    elif row["form"] == oc.MAP_OF:
        value, message = [], "expected an object"
    else:
        value, message = WRONG_TYPE.get(row["type"], (5, "expected a string"))  # strings, paths and names
    rejected(rootless, with_member(row, value), member_line(row, message))


@rows_by(lambda row: row["required"])
def test_required_members_are_reported_missing_in_schema_order(rootless, row):
    change = with_member(row, DELETE)
    variant(rootless, change)  # to see what is left of the parent
    first = next(r for r in ROWS if r["parent"] == row["parent"] and r["required"] and r["name"] not in change.parent)
    rejected(rootless, change, member_line(first, "missing"))
