"""Differential tests of config.json parsing (cyrius.kernel.container.oci_config, with the JSON
parser under it): umoci's config.json and generated variants of it — values replaced, members
removed or added, bytes changed — go through parse_config() under CPython and compiled for the
host; the result, the whole ContainerSpec, the token array and the error record must be identical,
and so must the error line format_error() makes of it.
"""
import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyrius.compiler import REPO_ROOT
from cyrius.hostbuild import HostLibrary
from cyrius.kernel.container import oci_config
from cyrius.kernel.lib import json as kjson
from cyrius.lang import sizeof
from harness import Buf, Twin
from tooling import require_tools

MODULE = "cyrius.kernel.container.oci_config"
TOKEN = sizeof(kjson.JsonToken)
SPEC = sizeof(oci_config.ContainerSpec)
ERROR = sizeof(oci_config.ConfigError)


def cases(n: int):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def oci(tmp_path_factory):
    runtime = REPO_ROOT / "runtime-c" / "src"
    lib = HostLibrary([REPO_ROOT / "src"], [MODULE], tmp_path_factory.mktemp("kernel_oci_config"),
                      extra_c=[runtime / "mem.c", runtime / "fmt.c"])
    return Twin(lib, MODULE)


def umoci_config(tmp, rootless: bool) -> bytes:
    image, bundle = tmp / "image", tmp / ("rootless" if rootless else "root")
    if not image.exists():
        subprocess.run(["umoci", "init", "--layout", image], check=True, capture_output=True)
        subprocess.run(["umoci", "new", "--image", f"{image}:t"], check=True, capture_output=True)
    flags = ["--rootless"] if rootless else []
    subprocess.run(["umoci", "unpack", *flags, "--image", f"{image}:t", bundle], check=True, capture_output=True)
    return (bundle / "config.json").read_bytes()


@pytest.fixture(scope="module")
def configs(tmp_path_factory) -> list:
    require_tools("umoci")
    tmp = tmp_path_factory.mktemp("umoci")
    found = [umoci_config(tmp, True)]
    if os.geteuid() == 0:
        found.append(umoci_config(tmp, False))
    return found


def run(oci, data: bytes, cap_line: int = 300) -> int:
    """parse_config and format_error in both worlds; parse_config's result."""
    cap = len(data) + 1
    err = Buf(b"", ERROR)
    result = oci.check("parse_config", Buf(data), len(data), Buf(b"", cap * TOKEN), cap, Buf(b"", SPEC), err)
    oci.check("format_error", Buf(err.py_bytes()), Buf(b"", 300), min(cap_line, 300))
    oci.check("count_config_tokens", Buf(data), len(data), Buf(b"", ERROR))
    return result


def test_umoci_configs(oci, configs):
    for data in configs:
        assert run(oci, data) == 0


# ---------------------------------------------------------------- generated variants

def paths(node, prefix=()):
    """Every place in a JSON value: (path to the container, key or index)."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        out.append((prefix, key))
        out.extend(paths(child, prefix + (key,)))
    return out


replacements = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, -1, 1.5, 1 << 32, 1 << 64, 2048, "", "/", "x", "RLIMIT_CORE",
                                               "CAP_KILL", "pid", "rshared", "1.2.0", "2.0", "a\u0000b"]),
    st.text(max_size=6), st.lists(st.sampled_from(["a", "/b", "CAP_CHOWN", 3]), max_size=3),
    st.just({}), st.just([]), st.just({"type": "pid"}), st.just({"path": "/x"}))
extra_keys = st.sampled_from(["seccomp", "hooks", "oomScoreAdj", "futureProperty", "consoleSize", "umask",
                              "readonly", "options", "path", "devices", "uidMappings", "resources", "domainname"])


@st.composite
def variants(draw, base: bytes):
    cfg = json.loads(base)
    for _ in range(draw(st.integers(1, 3))):
        places = paths(cfg)
        prefix, key = draw(st.sampled_from(places))
        node = cfg
        for k in prefix:
            node = node[k]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace" or (action == "delete" and isinstance(node, list) and len(node) == 1):
            node[key] = draw(replacements)
        elif action == "delete":
            del node[key]
        elif isinstance(node, dict):
            node[draw(extra_keys)] = draw(replacements)
        else:
            node.append(draw(replacements))
    return json.dumps(cfg, indent=draw(st.sampled_from([None, "\t"]))).encode()


@st.composite
def corrupted(draw, base: bytes):
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.sampled_from(b'{}[],:"\\ 0x-.\'/\x01\xc3'))
    return bytes(data)


@cases(45)
@given(st.data())
def test_variants(oci, configs, data):
    base = data.draw(st.sampled_from(configs))
    run(oci, data.draw(variants(base)), data.draw(st.integers(0, 300)))


@cases(25)
@given(st.data())
def test_corrupted_bytes(oci, configs, data):
    base = data.draw(st.sampled_from(configs))
    run(oci, data.draw(corrupted(base)), data.draw(st.integers(0, 300)))
