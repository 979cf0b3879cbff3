"""The compiler never fails on bad input with anything but CompileErrors.

Hypothesis builds modules from a pool of valid and invalid pieces — expressions over typed
variables, statements, module-level declarations — and also mutates the real test programs
(deleting, duplicating and replacing tokens) and the real kernel modules (the same, plus swapped lines
and changed indentation). Every translation must succeed or raise CompileErrors naming a file and a
line; any other exception is a compiler bug.
"""
import io
import keyword
import shutil
import subprocess
import tokenize
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyrius.compiler import RUNTIME_INCLUDE, CompileErrors, translate

PROGRAMS = Path(__file__).resolve().parent / "programs"

PRELUDE = """\
from enum import IntEnum
from typing import Callable
from cyrius.lang import (NULL, Array, Final, Ptr, addr, cast, i8, i32, i64, offsetof, sizeof, struct,
                         u8, u16, u32, u64, usize, volatile_load, volatile_store)
from cyrius.rt import memcpy, memset

K: Final = 3
T: Final[u8] = 7
counter: u32 = 0
table: Array[u16, 4] = Array[u16, 4]()
hook: Callable[[u32], u32] = NULL


class Color(IntEnum):
    RED = 1
    BLUE = 2


@struct
class S:
    a: u32
    b: u8
    inner: Array[u8, 3]
    next: Ptr["S"]

    def get(self) -> u32:
        return self.a


def helper(x: u32) -> u32:
    return x + 1


"""

ATOMS = ["x", "y", "z", "p", "q", "s", "sp", "a", "flag", "c", "f", "K", "T", "counter", "table", "hook",
         "NULL", "True", "False", "0", "1", "255", "256", "-1", "1 << 70", "0xFFFFFFFFFFFFFFFF", "b'ab'",
         "'text'", "1.5", "None", "Color.RED", "Color.NOPE", "S", "u8", "Ptr[u8]", "nowhere", "helper",
         "memcpy", "len", "range", "sizeof(S)", "offsetof(S, 'b')", "offsetof(S, 'zz')", "s.a", "sp.a",
         "sp.inner", "s.inner[1]", "sp.next", "s.get", "sp.get()", "a[2]", "a[9]", "p[0]", "x.y",
         "table[x]", "len(a)", "len(b'xyz')", "len(x)", "addr(s)", "addr(a)", "addr(x)", "addr(s.inner)",
         "cast(Ptr[u32], p)", "cast(usize, p)", "g", "g[1]", "g[1][2]", "addr(g)", "addr(g[1])", "len(g[0])",
         "cast(u8, p)", "cast(Color, 2)", "cast(S, x)",
         "volatile_load(cast(Ptr[u32], p))", "helper(x)", "helper()", "helper(x, x)", "f(x)", "hook(x)",
         "u8(x)", "i64(x)", "u32(flag)", "u32(c)", "u64(p)", "bool(x)", "S()", "S(a=1)", "S(zz=1)",
         "Array[u8, 4]()", "[x]", "(x, y)", "{x: y}", "lambda: x", "x if flag else y", "x if flag else 1",
         "1 if flag else 2", "(w := x)", "p[1:2]", "*p", "await x", "not x", "-p", "~flag"]
BINOPS = ["+", "-", "*", "//", "%", "/", "**", "&", "|", "^", "<<", ">>", "@"]
CMPOPS = ["==", "!=", "<", "<=", ">", ">=", "is", "in", "is not"]

expressions = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(BINOPS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(CMPOPS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "~", "not ", "+"]), inner).map(lambda t: f"({t[0]}{t[1]})"),
        st.tuples(st.sampled_from(["u8", "u32", "i64", "usize", "helper", "len", "addr", "f", "hook",
                                   "volatile_load", "sp.get", "print"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(["a", "b", "inner", "next", "get", "zz"])).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(st.sampled_from(["cast(Ptr[u8], ", "cast(usize, ", "cast(Color, ", "u16("]), inner).map(
            lambda t: f"{t[0]}{t[1]})"),
    ),
    max_leaves=6,
)

# Well-typed pieces, so generated functions get past their first statement and reach lowering.
U32 = st.recursive(
    st.sampled_from(["x", "u32(z)", "s.a", "sp.a", "u32(a[1])", "helper(x)", "K", "counter", "u32(table[1])",
                     "f(x)", "1", "0xFFFFFFFF", "u32(c)", "u32(flag)", "sp.get()", "u32(p[x])", "u32(y)",
                     "u32(len(a))", "u32(sizeof(S))", "u32(T)"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "//", "%", "&", "|", "^", "<<", ">>"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "~", "+"]), inner).map(lambda t: f"({t[0]}{t[1]})"),
        st.tuples(st.sampled_from(["u32(u8(", "u32(i64(", "u32(u16(", "helper(("]), inner).map(
            lambda t: f"{t[0]}{t[1]}))"),
    ),
    max_leaves=5,
)
BOOL = st.one_of(
    st.tuples(U32, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), U32).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.sampled_from(["flag", "p == NULL", "sp != NULL", "c == Color.RED", "not flag", "x", "p", "f != NULL"]),
)
VALID = st.one_of(
    U32.map(lambda e: f"x = {e}"),
    U32.map(lambda e: f"w: u32 = {e}"),
    U32.map(lambda e: f"s.a = {e}"),
    U32.map(lambda e: f"sp.b = u8({e})"),
    U32.map(lambda e: f"a[{e} % 4] = u8({e})"),
    U32.map(lambda e: f"p[{e}] = 0"),
    U32.map(lambda e: f"x += {e}"),
    U32.map(lambda e: f"v = u64({e}) << 3"),
    BOOL.map(lambda e: f"flag = {e} and flag"),
    st.sampled_from(["global counter\ncounter += 1", "q = p + x", "sp = sp.next", "f = helper", "hook = f",
                     "volatile_store(cast(Ptr[u32], p), x)", "memset(p, 0, usize(4))", "pass",
                     "sp[0] = sp[1]", "table[0] = u16(x)", "c = cast(Color, 2)", "assert x != 0",
                     "y = y >> i64(x)", "y = -y // i64(z) + y % -7", "z = z % u8(3) - (z >> 7)",
                     "v = u64(cast(usize, p)) ^ v", "sp.inner[u32(z) % 3] = z", "sp.next.next.a = x",
                     "t: S = S(b=z)\nsp = addr(t)", "r: Array[S, 2] = Array[S, 2]()\nr[1].a = x",
                     "p = cast(Ptr[u8], addr(s.inner)) + 1", "y = p - q", "flag = (x and flag) or not p",
                     "x = u32(y) if flag else x", "hook(x)", "s.next = sp", "sp.get()", "x = u32(T) << T",
                     "g[x % 2][u32(z) % 3] = z", "p = addr(g[1]) + len(g[0])"]),
)


def valid_statement(depth: int):
    if depth == 0:
        return VALID
    body = st.lists(valid_statement(depth - 1), min_size=1, max_size=3)
    return st.one_of(
        VALID,
        st.tuples(BOOL, body, st.one_of(st.none(), body)).map(
            lambda t: f"if {t[0]}:\n{indent(t[1])}" + (f"\nelse:\n{indent(t[2])}" if t[2] else "")),
        st.tuples(BOOL, body).map(lambda t: f"while {t[0]}:\n{indent(t[1])}\n    break"),
        st.tuples(st.sampled_from(["i", "j"]), U32, body).map(
            lambda t: f"for {t[0]} in range({t[1]}):\n{indent(t[2])}"),
        st.tuples(st.sampled_from(["k"]), body).map(lambda t: f"for {t[0]} in range(10, -3, -4):\n{indent(t[1])}"),
    )


TARGETS = ["x", "y", "v", "w", "p", "s.a", "sp.b", "sp.inner[0]", "a[1]", "p[x]", "counter", "table[0]",
           "flag", "K", "helper", "i", "s", "a", "(x, y)", "x.nope", "b'ab'[0]", "Color.RED"]
ANNOTATIONS = ["u32", "u8", "i64", "bool", "Ptr[u8]", "Ptr[None]", "Ptr[S]", "S", "Array[u8, 2]", "Color",
               "Callable[[u32], u32]", "bytes", "float", "Final", "Ptr[Array[u8, 2]]", "Array[u8, 0]", "None",
               "Nothing", "'S'"]


def statement(depth: int):
    simple = st.one_of(
        st.tuples(st.sampled_from(TARGETS), expressions).map(lambda t: f"{t[0]} = {t[1]}"),
        st.tuples(st.sampled_from(TARGETS), st.sampled_from(["+=", "-=", "<<=", "//=", "|=", "/="]), expressions)
        .map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["v", "w", "x", "i"]), st.sampled_from(ANNOTATIONS), expressions)
        .map(lambda t: f"{t[0]}: {t[1]} = {t[2]}"),
        expressions,
        expressions.map(lambda e: f"return {e}"),
        expressions.map(lambda e: f"assert {e}"),
        st.sampled_from(["pass", "break", "continue", "return", "global counter", "global nowhere", "del x",
                         "nonlocal x", "raise x", "import os", "yield x", "print(x)", "volatile_store(p, x)",
                         "memcpy(p, q, usize(x))", "memset(p, 0, 4)", "f = helper", "hook = helper",
                         "s = S()", "p[0] = q[0]", "sp[0] = sp[1]", "a = a", "x, y = y, x", "a, *b = x"]),
    )
    if depth == 0:
        return simple
    body = st.lists(statement(depth - 1), min_size=1, max_size=3)
    return st.one_of(
        simple,
        st.tuples(expressions, body, st.one_of(st.none(), body)).map(
            lambda t: f"if {t[0]}:\n{indent(t[1])}" + (f"\nelse:\n{indent(t[2])}" if t[2] else "")),
        st.tuples(expressions, body).map(lambda t: f"while {t[0]}:\n{indent(t[1])}"),
        st.tuples(st.sampled_from(["i", "x", "j"]), st.lists(expressions, min_size=1, max_size=3), body).map(
            lambda t: f"for {t[0]} in range({', '.join(t[1])}):\n{indent(t[2])}"),
        body.map(lambda b: f"try:\n{indent(b)}\nexcept Exception:\n    pass"),
        body.map(lambda b: f"def inner() -> None:\n{indent(b)}"),
        body.map(lambda b: f"with x:\n{indent(b)}"),
        st.tuples(expressions, body).map(lambda t: f"match {t[0]}:\n    case 1:\n{indent(t[1], 8)}"),
    )


def indent(lines, n: int = 4) -> str:
    return "\n".join(" " * n + line for stmt in lines for line in stmt.splitlines())


SIGNATURES = ["def fuzz(x: u32, y: i64, z: u8, p: Ptr[u8], q: Ptr[u8], sp: Ptr[S], flag: bool, c: Color, "
              "f: Callable[[u32], u32]) -> {ret}:",
              "def fuzz(x, y: u32 = 1, *args: u8) -> {ret}:",
              "def fuzz(x: S, y: Array[u8, 2]) -> {ret}:"]
RETURNS = ["None", "u32", "bool", "Ptr[u8]", "S", "Nothing", "i64"]

MODULE_LEVEL = ["", "g: u32 = helper(1)", "g: u32", "g = 1", "G: Final = nowhere", "G: Final[u8] = 300",
                "class Bad:\n    x: u32", "@struct\nclass E2(S):\n    x: u32", "if True:\n    pass",
                "from cyrius.lang import nothing", "from cyrius.rt import nothing", "import os",
                "from typing import List", "class C2(IntEnum):\n    A = K\n    B = nowhere",
                "@struct(packed=1)\nclass P2:\n    x: u32", "@struct\nclass Empty:\n    pass",
                "hook2: Callable[[u32], u32] = helper", "hook3: Callable[[u8], u32] = helper",
                "def dup(x: u32) -> u32:\n    return x\ndef dup(x: u32) -> u32:\n    return x",
                "async def af() -> None:\n    pass", "L: Final = len(b'abc')", "M: Final = sizeof(S) * 2",
                "N: Final = offsetof(S, 'b')", "arr: Array[u8, K] = Array[u8, K]()",
                "arr2: Array[u8, T + 1] = Array[u8, 8]()", "st: S = S(a=K)", "st2: S = S(a=helper(1))",
                "@struct\nclass Outer:\n    s: S\n    grid: Array[Array[S, 2], 2]\n    cb: Callable[[Ptr[S]], S]",
                "@struct\nclass Loop:\n    me: Array[Loop, 2]", "@struct\nclass A2:\n    b: 'B2'\n@struct\nclass B2:\n"
                "    a: A2", "Z: Final = sizeof(Outer2)\n@struct\nclass Outer2:\n    a: Array[u8, Z]",
                "class E3(IntEnum):\n    A = 1\n    B = A + 1", "class E4(IntEnum):\n    A = 1\n    A = 2",
                "W: Final = Color.BLUE * 2", "V: Final[Color] = 1", "hook4: Callable[[], None] = NULL"]


LOCALS = """\
    s: S = S(a=1)
    a: Array[u8, 4] = Array[u8, 4]()
    g: Array[Array[u8, 3], 2] = Array[Array[u8, 3], 2]()
    v: u64 = 0
"""


def modules(valid_only: bool = False):
    """A module: the prelude, maybe a bad module-level piece, and one function of mostly well-typed
    statements with (unless valid_only) random, often invalid, ones mixed in."""
    pieces = valid_statement(2) if valid_only else st.one_of(valid_statement(2), valid_statement(2), statement(2))
    module_level = st.just("") if valid_only else st.sampled_from([""] * len(MODULE_LEVEL) + MODULE_LEVEL)
    signature = st.just(SIGNATURES[0]) if valid_only else st.sampled_from(SIGNATURES[:1] * 6 + SIGNATURES)
    return st.tuples(module_level, signature, st.sampled_from(RETURNS), st.lists(pieces, min_size=1, max_size=6)).map(
        lambda t: PRELUDE + t[0] + "\n\n\n" + t[1].format(ret="None" if valid_only else t[2]) + "\n" + LOCALS
        + indent(t[3]) + "\n")


def translate_text(root: Path, text: str) -> None:
    pkg = root / "fz"
    pkg.mkdir(exist_ok=True)
    (pkg / "m.py").write_text(text)
    try:
        translate([root], ["fz.m"], display_root=root)
    except CompileErrors as errors:
        assert errors.errors and all(e.message for e in errors.errors)
        errors.format()


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])


@FUZZ
@given(source=modules())
def test_generated_modules_compile_or_raise_compile_errors(tmp_path, source):
    translate_text(tmp_path, source)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(source=modules(valid_only=True))
def test_generated_valid_modules_emit_c_that_gcc_accepts(tmp_path, source):
    pkg = tmp_path / "fz"
    pkg.mkdir(exist_ok=True)
    (pkg / "m.py").write_text(source)
    try:
        _, units = translate([tmp_path], ["fz.m"], display_root=tmp_path)
    except CompileErrors:
        return  # the well-typed pieces can still combine into a rejected program
    for unit in units:
        (tmp_path / f"{unit.name}.h").write_text(unit.header)
        (tmp_path / f"{unit.name}.c").write_text(unit.source)
    for unit in units:
        result = subprocess.run(["gcc", "-std=c11", "-ffreestanding", "-O2", "-Wall", "-Wextra", "-Werror",
                                 "-fsyntax-only", f"-I{RUNTIME_INCLUDE}", f"-I{tmp_path}",
                                 str(tmp_path / f"{unit.name}.c")], capture_output=True, text=True)
        assert result.returncode == 0, f"{source}\n{result.stderr}"


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(text).readline))


SEED_FILES = sorted(p for p in PROGRAMS.glob("*.py") if p.name not in ("__init__.py", "scalars.py"))
SRC = Path(__file__).resolve().parents[2] / "src"
KERNEL_FILES = sorted(p.relative_to(SRC) for p in (SRC / "cyrius" / "kernel").rglob("*.py") if p.read_text().strip())
REPLACEMENTS = ["u8", "u64", "i8", "Ptr", "S", "NULL", "0", "-1", "300", "x", "self", "(", ")", ":", ",", "[",
                "]", "=", "==", "+", "<<", ".", "None", "b'z'", "'z'", "1.0", *keyword.kwlist]
TOKEN_EDITS = ["delete", "duplicate", "replace", "swap"]
LINE_EDITS = ["swap lines", "indent", "dedent"]
edit_lists = st.lists(st.tuples(st.sampled_from(TOKEN_EDITS), st.integers(0, 10 ** 6), st.sampled_from(REPLACEMENTS)),
                      min_size=1, max_size=4)
kernel_edit_lists = st.lists(st.tuples(st.sampled_from(TOKEN_EDITS + LINE_EDITS), st.integers(0, 10 ** 6),
                                       st.sampled_from(REPLACEMENTS + ["u32", "usize", "Final", "NULL", "b''"])),
                             min_size=1, max_size=4)


def mutate(text: str, edits) -> str:
    """Apply token edits (delete, duplicate, replace, swap two tokens) keeping the layout, then line edits
    (swap two lines, indent or dedent one line by four spaces)."""
    tokens = _tokens(text)
    words = [t.string for t in tokens]
    editable = [i for i, t in enumerate(tokens) if t.type in (tokenize.NAME, tokenize.NUMBER, tokenize.OP,
                                                              tokenize.STRING)]
    for action, where, replacement in edits:
        i = editable[where % len(editable)]
        if action == "delete":
            words[i] = ""
        elif action == "duplicate":
            words[i] = words[i] + " " + words[i]
        elif action == "replace":
            words[i] = replacement
        elif action == "swap":
            j = editable[(where // 7) % len(editable)]
            words[i], words[j] = words[j], words[i]
    # Put the edited tokens back in place, last first, keeping the layout (lines and indentation).
    lines = text.splitlines(keepends=True)
    for t, w in sorted(zip(tokens, words, strict=True), key=lambda tw: tw[0].start, reverse=True):
        (r0, c0), (r1, c1) = t.start, t.end
        if r0 == r1 and r0 <= len(lines) and t.string and lines[r0 - 1][c0:c1] == t.string:
            lines[r0 - 1] = lines[r0 - 1][:c0] + w + lines[r0 - 1][c1:]
    for action, where, _ in edits:
        n = where % len(lines)
        if action == "swap lines":
            m = (where // 7) % len(lines)
            lines[n], lines[m] = lines[m], lines[n]
        elif action == "indent":
            lines[n] = "    " + lines[n]
        elif action == "dedent" and lines[n].startswith("    "):
            lines[n] = lines[n][4:]
    return "".join(lines)


def assert_compiles_or_names_file_and_line(roots: list[Path], module: str, display_root: Path) -> None:
    try:
        translate(roots, [module], display_root=display_root)
    except CompileErrors as errors:
        assert errors.errors
        for e in errors.errors:
            assert e.message and e.source is not None and e.line >= 1, e.format()
        errors.format()


@FUZZ
@given(seed=st.sampled_from(SEED_FILES), edits=edit_lists)
def test_mutated_programs_compile_or_raise_compile_errors(tmp_path, seed, edits):
    pkg = tmp_path / "fz"
    pkg.mkdir(exist_ok=True)
    (pkg / "m.py").write_text(mutate(seed.read_text(), edits))
    # the second root holds programs.lib, which the mutated module may import
    assert_compiles_or_names_file_and_line([tmp_path, PROGRAMS.parent], "fz.m", tmp_path)


@pytest.fixture(scope="module")
def kernel_copy(tmp_path_factory) -> Path:
    """A copy of the kernel sources whose files the kernel mutation test edits one at a time."""
    root = tmp_path_factory.mktemp("kernel-src")
    shutil.copytree(SRC / "cyrius" / "kernel", root / "cyrius" / "kernel")
    return root


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rel=st.sampled_from(KERNEL_FILES), edits=kernel_edit_lists)
def test_mutated_kernel_modules_compile_or_raise_compile_errors(kernel_copy, rel, edits):
    """Real kernel modules, mutated: translating the module (and all it imports) succeeds or gives
    CompileErrors that each name a file and a line."""
    target = kernel_copy / rel
    original = (SRC / rel).read_text()
    target.write_text(mutate(original, edits))
    module = ".".join(rel.with_suffix("").parts)
    if rel.name == "__init__.py":
        module = module.rpartition(".")[0]
    try:
        assert_compiles_or_names_file_and_line([kernel_copy], module, kernel_copy)
    finally:
        target.write_text(original)


def test_garbage_bytes_are_a_compile_error(tmp_path):
    for text in ["\x00\x01", "def", "def f(:\n", "'''", "\t\tx", "from . import", "class", "@", "0x", "é = 1\n",
                 "def f() -> u32:\n\treturn 1\n        return 2\n", "import", "from cyrius.lang import (",
                 "x: u32 = 1\n" * 3, "from .. import x\n", "from . import m\n"]:
        translate_text(tmp_path, text)
