# ruff: noqa: F811  (the tests take test_oci_config's `rootless` fixture, imported below, as an argument)
"""Mistyped and malformed config.json (umoci's own, changed by hypothesis and by hand) and arbitrary
bytes through the kernel's JSON reader: always a result or a clear error, never an exception.

A config with one field given a value of the wrong kind (a string for a number, a negative or huge
number, an object for an array, deep nesting, null) is accepted or refused with an error naming that
field; duplicate keys, deep nesting and bytes that are not UTF-8 are syntax errors with a line and
column. The JSON reader's accessors are driven on every token of arbitrary documents."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyrius.kernel import errno
from cyrius.kernel.container import oci_config as oc
from cyrius.kernel.lib import json as kjson
from cyrius.lang import Array, Ptr, addr, i64, memory, sizeof, u8, u64

from test_oci_config import parse, rootless, umoci_configs  # noqa: F401  (fixtures)

KERNEL_ERRORS = {-v for k, v in vars(errno).items() if k.isupper() and isinstance(v, int) and v > 0}
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def paths(node, prefix=()):
    """Every path into a parsed config: object keys and array positions."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from paths(value, (*prefix, i))


def spelled(path) -> str:
    """A path as the kernel names it: process.user.uid, mounts[1].options[3], annotations["k"]."""
    out = ""
    for i, key in enumerate(path):
        if isinstance(key, int):
            out += f"[{key}]"
        elif i > 0 and path[0] == "annotations":
            out += f'["{key}"]'
        else:
            out += ("." if out else "") + key
    return out


wrong_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.sampled_from(["", "x", "0", "-1", "1e3", "\u00e9", "a\u0000b"]),
              st.sampled_from([0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 63, 2 ** 64, 10 ** 30, -(10 ** 30), 0.5, 1e300, -0.0]),
              st.integers()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "uid", "type"]), inner,
                                                                         max_size=2)),
    max_leaves=6,
)


def set_at(cfg, path, value):
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@FUZZ
@given(data=st.data())
def test_mistyped_fields_are_named(rootless, data):
    cfg = json.loads(rootless)
    path = data.draw(st.sampled_from([p for p in paths(cfg) if p]), label="path")
    set_at(cfg, path, data.draw(wrong_values, label="value"))
    text = json.dumps(cfg, indent="\t").encode()
    r = parse(text)
    assert r.code == 0 or r.code in KERNEL_ERRORS, r.code
    if r.code < 0:
        assert int(r.err.kind) == oc.CONFIG_SCHEMA, r.line
        named = r.line.removeprefix("config.json: ").split(": ")[0]
        # the field itself, one that contains it, or (for rules across fields) one beside it
        assert named.split(".")[0].split("[")[0] == spelled(path[:1]) or not named, (r.line, path)


def test_mistyped_fields_by_hand(rootless):
    for path, value, line in [
        (("process", "user", "uid"), "0", "process.user.uid: expected an integer"),
        (("process", "user", "uid"), -5, "process.user.uid: out of range (0 to 4294967295)"),
        (("process", "user", "uid"), 10 ** 30, "process.user.uid: out of range (0 to 4294967295)"),
        (("process", "user", "gid"), [0], "process.user.gid: expected an integer"),
        (("process", "user"), [{"uid": 0, "gid": 0}], "process.user: expected an object"),
        (("process",), [], "process: expected an object"),
        (("process", "args"), {"0": "sh"}, "process.args: expected an array"),
        (("process", "args"), [["sh"]], "process.args[0]: expected a string"),
        (("process", "rlimits", 0, "hard"), 2 ** 64,
         "process.rlimits[0].hard: out of range (0 to 18446744073709551615)"),
        (("root", "path"), None, "root.path: expected a string"),
        (("mounts", 0, "options"), "ro", "mounts[0].options: expected an array"),
    ]:
        cfg = json.loads(rootless)
        set_at(cfg, path, value)
        r = parse(json.dumps(cfg).encode())
        assert r.code < 0 and int(r.err.kind) == oc.CONFIG_SCHEMA, (path, r.line)
        assert r.line == f"config.json: {line}", (path, r.line)


def test_malformed_documents_name_line_and_column(rootless):
    deep = b'{"ociVersion": "1.0.2", "annotations": {"a": ' + b"[" * 70 + b"]" * 70 + b"}}"
    cases = {
        b'{"ociVersion": "1.0.2", "ociVersion": "1.0.2"}': "config.json:1:25: duplicate key",
        deep: "config.json:1:108: nested more than 64 deep",
        b'{"ociVersion": "1.0.2\xff"}': "config.json:1:22: invalid UTF-8",
        b'{"ociVersion": "\xc3("}': "config.json:1:17: invalid UTF-8",
        b'{"ociVersion": 1' + b"0" * 400 + b"}": "config.json: ociVersion: expected a string",
        b"\xef\xbb\xbf{}": "config.json:1:1: expected a value",
        b"": "config.json:1:1: unexpected end of input",
        b"{}" + b" " * 10 + b"{}": "config.json:1:13: unexpected text after the value",
    }
    for text, line in cases.items():
        r = parse(text)
        assert (r.code, r.line) == (-errno.EINVAL, line), text[:40]
    truncated = parse(rootless[:-40])
    assert truncated.code == -errno.EINVAL and truncated.line.startswith("config.json:")


# ---------------------------------------------------------------- the JSON reader on any bytes

def put(data: bytes) -> Ptr:
    base = memory.alloc(max(len(data), 1))
    memory.write(base, data)
    return Ptr[u8](base)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.one_of(st.binary(max_size=80), st.text(alphabet='{}[]":,0123456789.eE+-truefalsn \\/u\x00ab',
                                                   max_size=80).map(str.encode)))
def test_any_bytes_parse_or_fail_and_every_accessor_is_safe(data):
    text = put(data)
    cap = len(data) + 1
    tokens = Ptr[kjson.JsonToken](memory.alloc(cap * sizeof(kjson.JsonToken)))
    err = kjson.JsonError()
    n = int(kjson.parse(text, len(data), tokens, cap, addr(err)))
    counted = int(kjson.count_tokens(text, len(data), addr(err)))
    if n <= 0:
        assert n in KERNEL_ERRORS and int(err.line) >= 1 and int(err.column) >= 1
        return
    assert counted >= n
    buf = Array[u8, 8]()
    for i in range(n):
        for got in (kjson.string_length(text, tokens, i), kjson.get_string(text, tokens, i, addr(buf), 8)):
            assert int(got) >= 0 or int(got) in (-errno.EINVAL, -errno.E2BIG)
        assert int(kjson.get_u64(text, tokens, i, addr(Array[u64, 1]()))) in (0, *KERNEL_ERRORS)
        assert int(kjson.get_i64(text, tokens, i, addr(Array[i64, 1]()))) in (0, *KERNEL_ERRORS)
        assert int(kjson.get_bool(tokens, i, addr(Array[bool, 1]()))) in (0, *KERNEL_ERRORS)
        kjson.find_member(text, tokens, i, b"a", 1)
        kjson.element(tokens, i, 0)
        kjson.element(tokens, i, 5)
