"""Every rejected construct: a CompileErrors naming file:line:col, showing the source line with a
caret under the column, and saying what is wrong (and, where the compiler knows, what to write).

Each case is a module whose offending line is marked `# <-`; `at` is the text the caret points to
(default: the line's first non-blank character).
"""
import textwrap
from dataclasses import dataclass

import pytest

from cyrius.compiler import CompileErrors, translate

HEADER = """\
from enum import IntEnum
from typing import Callable
from cyrius.lang import (NULL, Array, Final, Ptr, addr, cast, export, i8, i32, i64, offsetof,
                         sizeof, struct, u8, u16, u32, u64, usize, volatile_load)
from cyrius.rt import memcpy


@struct
class S:
    a: u32
    b: u8


class Color(IntEnum):
    RED = 1


counter: u32 = 0


def take(x: u32) -> u32:
    return x


"""


@dataclass
class Case:
    id: str
    source: str
    message: str
    hint: str = ""
    at: str = ""
    files: dict | None = None  # other modules of the package `bad`
    header: bool = True


def fn(body: str, sig: str = "def f(x: u32, p: Ptr[u8]) -> None:") -> str:
    return sig + "\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"


CASES = [
    # ------------------------------------------------------------ classes
    Case("plain-class", "class Foo:  # <-\n    x: u32\n", "a class must be a @struct or an IntEnum",
         "decorate it with @struct"),
    Case("inheritance", "@struct\nclass Foo(S):  # <-\n    x: u32\n", "class inheritance is not in the dialect",
         "use @struct for data"),
    Case("class-decorator", "@export('x')  # <-\nclass Foo:\n    x: u32\n", "unknown class decorator",
         "use @struct", at="export"),
    Case("struct-default", "@struct\nclass Foo:\n    x: u32 = 1  # <-\n", "struct fields cannot have default values"),
    Case("struct-no-fields", "@struct\nclass Foo:  # <-\n    pass\n", "struct 'Foo' has no fields"),
    # Under CPython p.address is the pointer's own address: such a field read differently there than in C.
    Case("struct-field-named-address", "@struct\nclass Foo:\n    address: u64  # <-\n",
         "a struct field cannot be named 'address'", "choose another name"),
    Case("struct-contains-itself", "@struct\nclass Foo:  # <-\n    x: u32\n    me: Foo\n",
         "struct 'Foo' contains itself by value", "use a Ptr field"),
    Case("enum-body", "class E(IntEnum):\n    A = 1\n    def f(self) -> None:  # <-\n        pass\n",
         "an IntEnum body holds only 'NAME = constant' lines"),
    Case("enum-too-big", "class E(IntEnum):\n    A = 1 << 31  # <-\n", "enum value 2147483648 does not fit in i32",
         at="1 << 31"),
    Case("enum-duplicate-member", "class E(IntEnum):\n    A = 1\n    A = 2  # <-\n", "enum E already has a member 'A'"),
    Case("class-in-function", fn("@struct\nclass Inner:  # <-\n    x: u32"),
         "classes must be defined at module level"),
    # ------------------------------------------------------------ exceptions, closures, generators, async
    Case("try", fn("try:  # <-\n    pass\nexcept Exception:\n    pass"), "exceptions are not in the dialect",
         "return an error code"),
    Case("raise", fn("raise ValueError  # <-"), "exceptions are not in the dialect"),
    Case("with", fn("with x:  # <-\n    pass"), "'with' is not in the dialect",
         "call the acquire/release functions explicitly"),
    Case("closure", fn("def g() -> None:  # <-\n    pass"), "nested functions (closures) are not in the dialect",
         "define it at module level"),
    Case("nonlocal", fn("nonlocal x  # <-"), "closures (nonlocal) are not in the dialect"),
    Case("lambda", fn("g: Callable[[u32], u32] = lambda y: y  # <-"), "lambda is not in the dialect",
         at="lambda"),
    Case("yield", fn("yield x  # <-"), "generators (yield) are not in the dialect"),
    Case("yield-value", fn("y: u32 = (yield x)  # <-"), "generators (yield) are not in the dialect",
         at="yield"),
    Case("async-def", "async def f() -> None:  # <-\n    pass\n", "async functions are not in the dialect"),
    Case("await", "async def g(x: u32) -> None:  # <-\n    await take(x)\n", "async functions are not in the dialect"),
    # ------------------------------------------------------------ literals and containers
    Case("list-comprehension", fn("y = [i for i in range(3)]  # <-"), "comprehensions allocate",
         "write a for loop", at="["),
    Case("generator-expression", fn("take(i for i in range(3))  # <-"), "generators are not in the dialect",
         at="(i for"),
    Case("list", fn("y = [1, 2]  # <-"), "lists are not in the dialect", "use Array[T, N]", at="["),
    Case("dict", fn("y = {1: 2}  # <-"), "dicts are not in the dialect", at="{"),
    Case("set", fn("y = {1, 2}  # <-"), "sets are not in the dialect", at="{"),
    Case("tuple", fn("y = (x, x)  # <-"), "tuples are not in the dialect", at="(x, x)"),
    Case("string", fn('p = "text"  # <-'), "str is not in the dialect", "use a byte string: b'text'",
         at='"text"'),
    Case("f-string", fn('take(f"{x}")  # <-'), "f-strings are not in the dialect", at='f"'),
    Case("float", fn("y: u32 = 1.5  # <-"), "floating point is not in the dialect", at="1.5"),
    Case("bytes-variable", fn('s = b"abc"  # <-'), "the type of 's' cannot be inferred from a byte-string literal",
         "annotate it as a pointer: s: Ptr[u8] = ..."),
    Case("bytes-annotation", fn('s: bytes = b"abc"  # <-'), "bytes is the type of byte-string literals only",
         "write Ptr[u8]", at="bytes"),
    Case("none-value", fn("p = None  # <-"), "None is not a value in the dialect", "use NULL", at="None"),
    # ------------------------------------------------------------ functions and calls
    Case("star-args", "def f(*args: u32) -> None:  # <-\n    pass\n", "*args and **kwargs are not in the dialect"),
    Case("kwargs", "def f(**kw: u32) -> None:  # <-\n    pass\n", "*args and **kwargs are not in the dialect"),
    Case("default-argument", "def f(x: u32 = 1) -> None:  # <-\n    pass\n",
         "default argument values are not in the dialect", "pass every argument explicitly", at="1)"),
    Case("keyword-argument", fn("take(x=x)  # <-"), "keyword arguments are not in the dialect",
         "pass arguments by position", at="x=x"),
    Case("star-call", fn("take(*x)  # <-"), "'*' unpacking is not in the dialect", at="*x"),
    Case("decorator", "@staticmethod  # <-\ndef f() -> None:\n    pass\n", "unsupported decorator",
         'only @export("symbol")', at="staticmethod"),
    Case("missing-param-annotation", "def f(x) -> None:  # <-\n    pass\n", "parameter 'x' needs a type annotation",
         "x: u32", at="x)"),
    Case("missing-return-annotation", "def f(x: u32):  # <-\n    pass\n", "function 'f' needs a return annotation",
         "add '-> None'"),
    Case("wrong-argument-count", fn("take(x, x)  # <-"), "take() takes 1 argument(s), 2 given", at="take"),
    Case("wrong-argument-type", fn("take(p)  # <-"), "argument 1 of take() must be u32, not Ptr[u8]", at="p)"),
    Case("wrong-argument-int-type", fn("take(u8(x))  # <-"), "argument 1 of take() must be u32, not u8",
         "convert explicitly: u32(u8(x))", at="u8(x)"),
    Case("struct-by-value-param", "def f(s: S) -> None:  # <-\n    pass\n", "S cannot be passed or returned by value",
         "pass a pointer: Ptr[S]", at="s: S"),
    Case("struct-by-value-return", "def f() -> S:  # <-\n    pass\n", "S cannot be passed or returned by value",
         at="S:"),
    Case("array-param", "def f(a: Array[u8, 4]) -> None:  # <-\n    pass\n",
         "Array[u8, 4] cannot be passed or returned by value", "pass a pointer: Ptr[u8]", at="a:"),
    Case("callable-returns-struct", fn("g: Callable[[u32], S] = NULL  # <-"), "S cannot be passed or returned by value",
         "pass a pointer: Ptr[S]", at="S] ="),
    Case("falls-off-end", "def f(x: u32) -> u32:  # <-\n    if x:\n        return 1\n",
         "function 'f' can end without returning a u32", "end every path with a return statement"),
    Case("while-break-falls-off", "def f(x: u32) -> u32:  # <-\n    while True:\n        break\n",
         "function 'f' can end without returning a u32"),
    Case("return-value-from-none", fn("return x  # <-"), "this function returns None", at="x  #"),
    Case("return-without-value", "def f() -> u32:\n    return  # <-\n",
         "'return' without a value in a function returning u32"),
    Case("unknown-function", fn("nothing(x)  # <-"), "unknown function 'nothing'", "define it, or import it"),
    Case("builtin", fn("print(x)  # <-"), "the builtin 'print' is not in the dialect"),
    Case("ord-of-a-variable", fn("take(ord(p))  # <-"), "ord takes one character literal",
         'ord(" "), ord("\\n"), ord(b"a")', at="ord(p)"),
    Case("ord-of-a-longer-string", fn('take(ord("ab"))  # <-'), "ord takes one character literal", at="ord("),
    Case("call-non-function", fn("x(1)  # <-"), "'x' is not callable (u32)"),
    Case("struct-value-call", fn("take(S())  # <-"), "struct values can only initialise an annotated variable",
         at="S()"),
    # ------------------------------------------------------------ operators and types
    Case("true-division", fn("y = x / 2  # <-"), "'/' (true division) is not in the dialect",
         "use '//' (C integer division)", at="x / 2"),
    Case("power", fn("y = x ** 2  # <-"), "this operator is not in the dialect", "use shifts or a loop",
         at="x ** 2"),
    Case("is", fn("if p is NULL:  # <-\n    pass"), "'is' and 'in' are not in the dialect",
         "compare with == (pointers: p == NULL)", at="p is"),
    Case("chained-comparison", fn("if 1 < x < 3:  # <-\n    pass"), "chained comparisons are not in the dialect",
         "write (a < b) and (b < c)", at="1 <"),
    Case("mixed-integer-types", fn("y = x + u8(1)  # <-"), "mismatched integer types u32 and u8",
         "convert one explicitly, e.g. u32(u8(1))", at="x +"),
    Case("mixed-comparison", fn("if x < u64(1):  # <-\n    pass"), "cannot compare u32 with u64", at="x <"),
    Case("literal-too-big", fn("y = u8(x) + 300  # <-"), "300 does not fit in u8", "write u8(300) to wrap it",
         at="300"),
    Case("negative-literal-unsigned", fn("y: u32 = -1  # <-"), "-1 does not fit in u32", at="-1"),
    Case("untyped-shift", fn("y: u64 = 1 << x  # <-"), "the left operand of a shift needs a type",
         "write u64(1) << ...", at="1 <<"),
    Case("shift-negative-count", fn("y = x << -1  # <-"), "negative shift count", at="-1"),
    Case("arithmetic-on-bool", fn("y = (x > 1) + x  # <-"), "arithmetic on bool is not allowed",
         "convert it first: u32(x)", at="x > 1"),
    Case("arithmetic-on-pointer", fn("y = p * 2  # <-"), "arithmetic on Ptr[u8] is not allowed", at="p * 2"),
    Case("untyped-local", fn("y = 5  # <-"), "the type of 'y' cannot be inferred from a bare integer",
         "annotate it: y: u32 = ..."),
    Case("retyped-local", fn("y: u32 = 0\ny: u8 = 1  # <-"), "'y' was declared as u32, not u8",
         "a variable keeps one type", at="y: u8"),
    Case("and-or-value-int", fn("b: bool = x and x  # <-"), "'and'/'or' as a value need bool operands, not u32",
         "compare explicitly: (x) != 0", at="x and"),
    Case("conditional-mismatch", fn("y = x if x else u8(1)  # <-"), "the branches have different types: u32 and u8",
         at="x if"),
    Case("conditional-untyped", fn("y = 1 if x else 2  # <-"), "both branches are untyped constants",
         at="1 if"),
    Case("struct-compare", fn("a: S = S()\nb: S = S()\nif a == b:  # <-\n    pass"),
         "S values cannot be compared", at="a =="),
    Case("enum-order", fn("c: Color = Color.RED\nif c < Color.RED:  # <-\n    pass"),
         "Color values are only compared with == and !=", at="c <"),
    Case("pointer-conversion", fn("y = u64(p)  # <-"), "convert a pointer with cast(u64, p)", at="u64(p)"),
    Case("bad-cast", fn("y = cast(u8, p)  # <-"), "cannot cast Ptr[u8] to u8", "use u32(x) for integer conversions",
         at="cast("),
    Case("void-index", fn("v: Ptr[None] = p\nb: u8 = v[0]  # <-"), "Ptr[None] cannot be indexed",
         "cast it to a typed pointer first", at="v[0]"),
    Case("pointer-type-mismatch", fn("q: Ptr[u32] = p  # <-"), "'q' must be Ptr[u32], not Ptr[u8]",
         "use cast(Ptr[u32], p)", at="p  #"),
    Case("unknown-type", fn("y: float = 0  # <-"), "unknown type 'float'", at="float"),
    Case("none-annotation", fn("y: None = 0  # <-"), "None is not a value type", at="None"),
    # ------------------------------------------------------------ names, attributes, fields
    Case("unknown-name", fn("y = nowhere + x  # <-"), "unknown name 'nowhere'", "define it, or import it",
         at="nowhere"),
    Case("unknown-field", fn("s: S = S()\ns.c = 1  # <-"), "struct S has no field 'c'", "fields: a, b", at="s.c"),
    Case("unknown-field-keyword", fn("s: S = S(c=1)  # <-"), "S has no field 'c'", at="c=1"),
    Case("unknown-attribute", fn("y = x.bits  # <-"), "u32 has no attribute 'bits'", at="x.bits"),
    Case("unknown-enum-member", fn("c: Color = Color.PINK  # <-"), "enum Color has no member 'PINK'",
         "members: RED", at="Color.PINK"),
    Case("unknown-module-name", "import bad.other as other\n\n" + fn("y = other.nothing  # <-"),
         "module 'bad.other' has no 'nothing'", at="other.nothing",
         files={"other": "from cyrius.lang import u32\n\nv: u32 = 0\n"}),
    Case("method-not-called", "@struct\nclass P:\n    a: u32\n\n    def m(self) -> u32:\n        return self.a\n\n\n"
         + fn("q: P = P()\ny = q.m  # <-"), "method 'm' must be called", at="q.m"),
    # ------------------------------------------------------------ statements
    Case("del", fn("del x  # <-"), "'del' is not in the dialect"),
    Case("match", fn("match x:  # <-\n    case 1:\n        pass"), "'match' is not in the dialect", "use if/elif"),
    Case("walrus", fn("if (y := x):  # <-\n    pass"), "':=' is not in the dialect",
         "assign in a separate statement", at="y :="),
    Case("tuple-assignment", fn("a, b = x, x  # <-"), "tuple assignment is not in the dialect", at="a, b"),
    Case("star-assignment", fn("a, *b = x  # <-"), "tuple assignment is not in the dialect", at="a, *b"),
    Case("chained-assignment", fn("a = b = x  # <-"), "chained assignment (a = b = c) is not in the dialect"),
    Case("slicing", fn("q = p[1:2]  # <-"), "slicing is not in the dialect", "use pointer arithmetic",
         at="1:2"),
    Case("while-else", fn("while x:\n    break\nelse:\n    pass  # <-"), "'while … else' is not in the dialect",
         "use a flag variable"),
    Case("for-else", fn("for i in range(3):\n    pass\nelse:\n    pass  # <-"),
         "'for … else' is not in the dialect"),
    Case("for-not-range", fn("for i in x:  # <-\n    pass"), "for loops iterate over range(...) only", at="x:"),
    Case("range-mixed-types", fn("for i in range(u8(1), x):  # <-\n    pass"),
         "range bounds have different types: u32, u8", at="range"),
    Case("range-variable-step", fn("for i in range(0, x, x):  # <-\n    pass"), "the range step must be a constant",
         "use a while loop", at="x):"),
    Case("range-zero-step", fn("for i in range(0, x, 0):  # <-\n    pass"), "range step must not be zero",
         at="0):"),
    Case("range-negative-unsigned", fn("for i in range(x, 0, -1):  # <-\n    pass"),
         "a negative step needs a signed loop variable, not u32", at="-1"),
    Case("loop-variable-assigned", fn("for i in range(x):\n    i = i + 1  # <-"),
         "the loop variable 'i' cannot be assigned"),
    Case("loop-variable-after-loop", fn("for i in range(x):\n    pass\ntake(u32(i))  # <-"),
         "the loop variable 'i' is not defined after its loop", "copy it into another variable", at="i))"),
    Case("break-outside-loop", fn("break  # <-"), "'break' outside a loop"),
    Case("expression-statement", fn("x + 1  # <-"), "this expression statement has no effect"),
    Case("assert-message", fn("assert x, x  # <-"), "an assert message must be a literal", at="x  #"),
    Case("global-unknown", fn("global nowhere  # <-"), "'global nowhere': 'nowhere' is not a global variable",
         "declare it at module level"),
    Case("assign-global-without-global", fn("counter = 1  # <-"),
         "assigning to global 'counter' needs 'global counter' first"),
    Case("augassign-global-without-global", fn("counter += 1  # <-"),
         "assigning to global 'counter' needs 'global counter' first"),
    Case("shadow-module-name", fn("take: u32 = 1  # <-"), "'take' shadows a module-level name", at="take:"),
    Case("bytes-literal-write", fn('b"ab"[0] = 1  # <-'), "bytes literals are read-only", at='b"ab"'),
    Case("array-whole-assign", fn("a: Array[u8, 2] = Array[u8, 2]()\nb: Array[u8, 2] = Array[u8, 2]()\na = b  # <-"),
         "assigning a whole Array[u8, 2] is not supported", "memcpy"),
    Case("array-constant-index", fn("a: Array[u8, 2] = Array[u8, 2]()\na[2] = 1  # <-"),
         "index 2 is outside Array[u8, 2]", at="2] ="),
    Case("division-by-constant-zero", fn("y = x // 0  # <-"), "division by zero", at="0  #"),
    Case("addr-of-scalar", fn("q: Ptr[u32] = addr(x)  # <-"), "addr() takes a struct or array variable",
         at="x)"),
    Case("addr-of-2d-array", fn("g: Array[Array[u8, 2], 2] = Array[Array[u8, 2], 2]()\nq = addr(g)  # <-"),
         "addr() of Array[Array[u8, 2], 2] would be a pointer to an array", "addr(g[i])", at="g)"),
    Case("volatile-non-integer", fn("v: Ptr[None] = p\nvolatile_load(v)  # <-",),
         "volatile_load needs a pointer to an integer, not Ptr[None]", at="v)",
         files=None),
    Case("extern-wrong-type", fn("memcpy(p, p, x)  # <-"), "argument 3 of memcpy() must be usize, not u32",
         at="x)"),
    # ------------------------------------------------------------ module level
    Case("global-needs-annotation", "g = 1  # <-\n", "module-level variables need a type annotation",
         "write 'NAME: u32 = 0'"),
    Case("global-needs-value", "g: u32  # <-\n", "global 'g' needs an initial value", "g: u32 = 0"),
    Case("global-non-constant", "g: u32 = take(1)  # <-\n", "global initialisers must be constants",
         "initialise it in an init function", at="take"),
    Case("global-too-big", "g: u8 = 256  # <-\n", "256 does not fit in u8", at="256"),
    Case("global-pointer-init", "g: Ptr[u8] = b'x'  # <-\n", "a global Ptr[u8] starts as NULL", at="b'x'"),
    Case("final-non-constant", "K: Final = take(1)  # <-\n", "'take(1)' is not a constant expression",
         "must be computable at compile time", at="take"),
    Case("final-self-reference", "K: Final = K + 1  # <-\n", "constant 'K' is defined in terms of itself"),
    Case("final-cycle", "K: Final = J + 1  # <-\nJ: Final = K * 2\n", "constant 'K' is defined in terms of itself"),
    Case("final-too-big", "K: Final[u8] = 256  # <-\n", "256 does not fit in u8", at="256"),
    Case("module-statement", "if True:  # <-\n    pass\n", "'If' statement at module level",
         "modules contain only imports"),
    Case("duplicate-name", "def take(x: u32) -> u32:  # <-\n    return x\n", "'take' is already defined in this module",
         "rename one of them"),
    Case("from-import-mutable-global", "from bad.other import v  # <-\n",
         "'from bad.other import v' would copy a mutable global in Python", "write 'import bad.other as other'",
         files={"other": "from cyrius.lang import u32\n\nv: u32 = 0\n"}),
    Case("from-import-missing", "from bad.other import nothing  # <-\n", "module 'bad.other' has no 'nothing'",
         files={"other": "from cyrius.lang import u32\n\nv: u32 = 0\n"}),
    Case("import-unknown-module", "import bad.nowhere as nowhere  # <-\n", "no dialect module named 'bad.nowhere'"),
    Case("import-without-as", "import bad.other  # <-\n", "'import bad.other' binds only the top package",
         "write 'import bad.other as other'", files={"other": "from cyrius.lang import u32\n"}),
    Case("import-star", "from bad.other import *  # <-\n", "'import *' is not supported",
         files={"other": "from cyrius.lang import u32\n"}),
    Case("import-in-function", fn("import os  # <-"), "imports belong at the top of the module"),
    Case("unknown-lang-name", "from cyrius.lang import float64  # <-\n", "cyrius.lang has no 'float64'"),
    Case("unknown-extern", "from cyrius.rt import printf  # <-\n", "no C runtime function 'printf'",
         "declare it in a runtime-c/include/*.h header"),
    Case("typing-other", "from typing import List  # <-\n", "'typing.List' is not in the dialect"),
    Case("import-cycle", "import bad.other as other  # <-\n", "import cycle through module 'bad.m'",
         "move the shared declarations into a third module",
         files={"other": "import bad.m as m  # <-\n"}),
    Case("syntax-error", fn("y = = 1  # <-"), "Python syntax error: invalid syntax", at="= 1"),
    Case("syntax-error-indent", "def f() -> None:\npass  # <-\n", "Python syntax error: expected an indented block",
         header=False),
]


def compile_error(tmp_path, case: Case) -> tuple[CompileErrors, str, str]:
    """Build the case's module; return the errors, the file it is reported in and its text."""
    pkg = tmp_path / "bad"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    main = (HEADER if case.header else "") + case.source
    (pkg / "m.py").write_text(main)
    for name, text in (case.files or {}).items():
        (pkg / f"{name}.py").write_text(text)
    with pytest.raises(CompileErrors) as info:
        translate([tmp_path], ["bad.m"], display_root=tmp_path)
    reported = info.value.errors[0].source.display
    return info.value, reported, (tmp_path / reported).read_text()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rejected(tmp_path, case):
    errors, file, text = compile_error(tmp_path, case)
    lines = text.splitlines()
    marked = [i for i, line in enumerate(lines, 1) if line.rstrip().endswith("# <-")]
    assert len(marked) == 1, "mark exactly one line of the reported file with '# <-'"
    line = marked[0]
    source_line = lines[line - 1]
    col = (source_line.index(case.at) if case.at else len(source_line) - len(source_line.lstrip())) + 1
    out = errors.format()
    first = out.splitlines()[:4]
    assert first[0].startswith(f"{file}:{line}:{col}: error: "), out
    assert case.message in first[0], out
    assert first[1] == f"    {source_line}", out
    assert first[2] == "    " + " " * (col - 1) + "^", out
    if case.hint:
        assert first[3].startswith("  hint: ") and case.hint in first[3], out
    assert out.endswith(f"{len(errors.errors)} error(s)")


def test_rejected_constructs_of_the_dialect_document_are_all_covered():
    """docs/dialect.md, "Rejected": every item has a case above."""
    ids = {c.id for c in CASES}
    for needed in ["plain-class", "inheritance", "try", "raise", "with", "closure", "lambda", "yield",
                   "async-def", "list-comprehension", "list", "dict", "set", "tuple", "string", "float",
                   "star-args", "kwargs", "default-argument", "keyword-argument", "is", "chained-comparison",
                   "del", "global-unknown", "nonlocal", "match", "walrus", "conditional-mismatch",
                   "star-assignment", "tuple-assignment", "slicing", "unknown-name", "unknown-attribute",
                   "mixed-integer-types", "wrong-argument-count", "wrong-argument-type"]:
        assert needed in ids


def test_several_errors_are_reported_together(tmp_path):
    pkg = tmp_path / "bad"
    pkg.mkdir()
    (pkg / "m.py").write_text("from cyrius.lang import u32\n\n\ndef f(x: u32) -> u32:\n    return x / 2\n\n\n"
                              "def g(x: u32) -> None:\n    y = nowhere\n")
    with pytest.raises(CompileErrors) as info:
        translate([tmp_path], ["bad.m"], display_root=tmp_path)
    out = info.value.format()
    assert "bad/m.py:5:12: error: '/' (true division)" in out
    assert "bad/m.py:9:9: error: unknown name 'nowhere'" in out
    assert out.endswith("2 error(s)")
