"""One test per compiler or host-mode bug found by the dialect test suite, named after the bug."""
import shutil
import warnings

import pytest

from cyrius.compiler import RUNTIME_INCLUDE, CompileErrors, translate
from cyrius.compiler.externs import read_headers
from harness import Buf, Twin


@pytest.fixture(scope="module")
def regressions(programs_build):
    return Twin(programs_build.lib, "programs.regressions")


@pytest.fixture(scope="module")
def pointers(programs_build):
    return Twin(programs_build.lib, "programs.pointers")


def compile_source(tmp_path, source: str, name: str = "m"):
    pkg = tmp_path / "reg"
    pkg.mkdir(exist_ok=True)
    (pkg / f"{name}.py").write_text(source)
    return translate([tmp_path], [f"reg.{name}"], display_root=tmp_path)


# ---------------------------------------------------------------- compiler

def test_len_call_as_a_range_bound_crashed_the_lowering(regressions):
    """call_len set .const but no .kind, so lowering treated len(...) as a call (AttributeError)."""
    assert regressions.check("len_as_range_bound") == 10


def test_function_pointer_typedefs_collided(regressions, programs_build):
    """Callable[[u32], Callable[[u32], u32]] and Callable[[u32, u32], u32] were both cy_fn__u32_u32_u32."""
    for x in (0, 1, 7):
        regressions.check("function_pointer_signatures", x)
    header = (programs_build.workdir / "programs_regressions.h").read_text()
    typedefs = [line for line in header.splitlines() if line.startswith("typedef")]
    names = [t.split("(*")[1].split(")")[0] for t in typedefs]
    assert len(names) == len(set(names)) >= 3


def test_enum_values_could_not_use_module_constants(regressions):
    """Enum members were evaluated before Final constants existed ("'BASE' is not a constant"); and
    constants may use enum members in turn."""
    assert [regressions.check("enum_from_constant", x) for x in (0, 9)] == [100040, 100050]


def test_sizeof_in_a_constant_was_zero(tmp_path):
    """Finals were evaluated before struct layout: sizeof(S) silently gave 0, offsetof failed."""
    _, units = compile_source(tmp_path, "from cyrius.lang import Final, offsetof, sizeof, struct, u8, u32, u64\n\n\n"
                                        "@struct\nclass S:\n    a: u8\n    b: u64\n\n\n"
                                        "SIZE: Final = sizeof(S)\nAT: Final = offsetof(S, 'b')\n\n\n"
                                        "def f() -> u32:\n    return u32(SIZE * 100 + AT)\n")
    assert "return ((uint32_t)1608ULL);" in units[0].source


def test_augmented_assignment_of_a_pointer_crashed_the_lowering(pointers):
    """p += n reached the integer arithmetic lowering (AttributeError: no unsigned_c)."""
    for n in (2, 3, 9):
        pointers.check("augmented_pointer", Buf(bytes(24)), n)


def test_valid_programs_failed_gcc_werror(regressions, programs_build):
    """x == x, u32(z) == ~u32(u8(x)) and x // (y - y) are valid dialect but were gcc -Werror errors."""
    for x, z in ((0, 255), (5, 250), (7, 7)):
        regressions.check("compare_with_itself", x, z)
    for x, y in ((1, 0), (9, 2)):
        regressions.check("divide_by_difference", x, y)


def test_relative_import_beyond_the_top_package_crashed(tmp_path):
    """`from .. import x` in a top-level package raised ValueError from pathlib."""
    with pytest.raises(CompileErrors, match="relative import beyond the top-level package"):
        compile_source(tmp_path, "from .. import x\n")


def test_unused_from_import_of_a_mutable_global_was_accepted(tmp_path):
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "other.py").write_text("from cyrius.lang import u32\n\ncount: u32 = 0\n")
    with pytest.raises(CompileErrors, match="would copy a mutable global"):
        compile_source(tmp_path, "from reg.other import count\n")


def test_yield_statement_was_reported_as_having_no_effect(tmp_path):
    with pytest.raises(CompileErrors, match=r"generators \(yield\) are not in the dialect"):
        compile_source(tmp_path, "from cyrius.lang import u32\n\n\ndef f(x: u32) -> None:\n    yield x\n")


def test_negative_step_of_an_unsigned_range_gave_the_wrong_message(tmp_path):
    with pytest.raises(CompileErrors, match="a negative step needs a signed loop variable, not u32"):
        compile_source(tmp_path, "from cyrius.lang import u32\n\n\ndef f(x: u32) -> None:\n"
                                 "    for i in range(x, 0, -1):\n        pass\n")


def test_bytes_variables_were_accepted(tmp_path):
    """s = b"..." made a `bytes` local: s[i] was a plain int under CPython but a u8 in C."""
    with pytest.raises(CompileErrors, match="cannot be inferred from a byte-string literal"):
        compile_source(tmp_path, "from cyrius.lang import u8\n\n\ndef f() -> u8:\n    s = b'ab'\n    return s[0]\n")
    with pytest.raises(CompileErrors, match="bytes is the type of byte-string literals only"):
        compile_source(tmp_path, "from cyrius.lang import u8\n\n\ndef f(s: bytes) -> u8:\n    return s[0]\n")


def test_parsing_printed_syntax_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CompileErrors, match="'is' and 'in' are not in the dialect"):
            compile_source(tmp_path, "from cyrius.lang import u32\n\n\ndef f(x: u32) -> bool:\n    return x is 1\n")


@pytest.mark.parametrize("data, where, message", [
    (b"x = 1\x00\n", "reg/m.py:1:6:", "the source contains a NUL byte"),
    (b"from cyrius.lang import u8\n\nx: u8 = 1  # caf\xe9\n", "reg/m.py:3:17:", "not valid UTF-8 (byte 0xe9)"),
    (b"x = " + b"-" * 100_000 + b"1\n", "reg/m.py:", "nests too deeply"),  # the parser's MemoryError
    (b"x = " + b" + ".join([b"1"] * 100_000) + b"\n", "reg/m.py:", "nests too deeply"),  # RecursionError
    (b"from cyrius.lang import u32\n\n\ndef f(a: u32) -> u32:\n    return " + b" + ".join([b"a"] * 2000) + b"\n",
     "reg/m.py:4:1:", "nests too deeply"),  # parses, but is too deep for the checker
])
def test_a_nul_byte_escaped_as_a_traceback_on_python_3_11_2(tmp_path, data, where, message):
    """Before Python 3.12 ast.parse raises ValueError for a NUL byte; bytes that are not UTF-8 raised
    UnicodeDecodeError while reading; deep nesting raised RecursionError or MemoryError."""
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "m.py").write_bytes(data)
    with pytest.raises(CompileErrors) as info:
        translate([tmp_path], ["reg.m"], display_root=tmp_path)
    first = info.value.format().splitlines()[0]
    assert first.startswith(where) and message in first, first


def test_headers_are_reread_when_they_change(tmp_path):
    """read_headers is cached (tests translate hundreds of programs); a changed header invalidates it."""
    include = tmp_path / "include"
    shutil.copytree(RUNTIME_INCLUDE, include)
    assert "cy_test_new_function" not in read_headers(include)
    with open(include / "mem.h", "a") as h:
        h.write("\n#ifndef CY_TEST_EXTRA\n#define CY_TEST_EXTRA\nvoid cy_test_new_function(void);\n#endif\n")
    assert "cy_test_new_function" in read_headers(include)


# ---------------------------------------------------------------- host mode (cyrius.lang)

def test_pointer_ordering_raised_type_error_in_host_mode(regressions):
    for n in (0, 1, 5):
        regressions.check("pointer_ordering", Buf(bytes(16)), n)


def test_null_function_pointer_fields_were_not_null_in_host_mode(regressions):
    """A zero Callable field loaded as None, and None == NULL is False."""
    assert regressions.check("zeroed_struct_fields") // 1000 & 3 == 3


def test_zeroed_enum_fields_raised_value_error_in_host_mode(regressions, programs_build):
    """Loading an enum field holding no member's value (a zero-filled struct) raised ValueError."""
    assert regressions.check("zeroed_struct_fields") == (1 | 2 | 4) * 1000 + 2 * 5
    from cyrius.lang import cast, i32
    from programs.regressions import Level
    assert cast(Level, 3) == 3 and type(cast(Level, 3)) is i32
    assert cast(Level, 40) is Level.LOW


def test_constant_stored_into_another_modules_global_stayed_untyped(programs_build):
    """`mod.g = 0` bound a plain int under CPython, so `mod.g -= 1` gave -1 instead of 0xffffffff."""
    twin = Twin(programs_build.lib, "programs.imports")
    assert twin.check("untyped_into_global_elsewhere") == 0x7FFFFFFF


def test_pointer_difference_was_a_plain_int_in_host_mode(pointers):
    """p - q was a Python int, so (p - q) // 3 floored instead of truncating toward zero."""
    for n in (1, 2, 4):
        pointers.check("difference_division", Buf(bytes(32)), n)


def test_bytes_literal_subscript_was_a_plain_int_in_host_mode(pointers):
    """b"..."[i] was a Python int, so adding to it did not wrap at 8 bits."""
    for n in (0, 10, 15, 200):
        pointers.check("literal_byte", n)


def test_addr_of_an_array_of_arrays_crashed_the_emitter(tmp_path):
    """addr(g) for g: Array[Array[u8, 4], 3] typed as Ptr[Array[u8, 4]], which has no C spelling."""
    with pytest.raises(CompileErrors, match="would be a pointer to an array"):
        compile_source(tmp_path, "from cyrius.lang import Array, addr, u8, u32\n\n\ndef f(i: u32) -> u32:\n"
                                 "    g: Array[Array[u8, 4], 3] = Array[Array[u8, 4], 3]()\n    row = addr(g)\n"
                                 "    return i\n")


def test_callable_returning_a_struct_was_accepted(tmp_path):
    """Callable[[u32], S] returned a struct by value, which no dialect function can do."""
    with pytest.raises(CompileErrors, match="S cannot be passed or returned by value"):
        compile_source(tmp_path, "from typing import Callable\nfrom cyrius.lang import NULL, struct, u32\n\n\n"
                                 "@struct\nclass S:\n    a: u32\n\n\ng: Callable[[u32], S] = NULL\n")


def test_from_package_import_module_with_a_broken_package_init_raised_syntax_error(tmp_path):
    """`from pkg import sub` re-parsed pkg/__init__.py with ast.parse to see whether it declares `sub`,
    so a syntax error there escaped as a bare SyntaxError instead of a CompileError naming the file."""
    pkg = tmp_path / "broken"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("def (:\n")
    (pkg / "sub.py").write_text("from cyrius.lang import u32\n\n\ndef f() -> u32:\n    return 1\n")
    with pytest.raises(CompileErrors) as caught:
        compile_source(tmp_path, "from broken import sub\n")
    (error,) = caught.value.errors
    assert error.source.display == "broken/__init__.py" and error.line == 1
    assert "Python syntax error" in error.message
