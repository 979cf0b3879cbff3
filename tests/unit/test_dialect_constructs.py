"""Statements, constants, enums, globals, structs, pointers, function pointers and imports:
each program in tests/unit/programs compiled for the host and run on a set of inputs, with
results (and pointer-argument buffers) equal to CPython's in host mode."""
import itertools
import struct as pystruct

import pytest

from harness import Buf, PtrTable, Twin

I32 = [-(1 << 31), -100, -13, -7, -1, 0, 1, 2, 3, 9, 10, 11, 50, 99, (1 << 31) - 1]
U32 = [0, 1, 2, 3, 4, 5, 7, 10, 27, 100, 255, 999, 1 << 16, (1 << 32) - 1]
U8 = [0, 1, 2, 7, 49, 50, 51, 100, 101, 127, 128, 200, 253, 254, 255]
I8 = [-128, -127, -100, -50, -1, 0, 1, 50, 126, 127]
U64 = [0, 1, 3, (1 << 62) - 1, 1 << 62, 0x4000000000000001, (1 << 63) + 5, (1 << 64) - 2, (1 << 64) - 1]
I64 = [-(1 << 63), -(1 << 63) + 1, -(1 << 62), -1, 0, 1, 1 << 62, (1 << 63) - 1]


def twin_fixture(module):
    @pytest.fixture(scope="module")
    def fixture(programs_build):
        return Twin(programs_build.lib, f"programs.{module}")
    return fixture


control = twin_fixture("control")
consts = twin_fixture("consts")
globals_ = twin_fixture("globals_")
structs = twin_fixture("structs")
pointers = twin_fixture("pointers")
funcptr = twin_fixture("funcptr")
imports = twin_fixture("imports")
externs = twin_fixture("externs")


# ---------------------------------------------------------------- statements

@pytest.mark.parametrize("fn, inputs", [
    ("classify", [(x,) for x in I32]),
    ("if_without_else", [(x,) for x in U32]),
    ("nested_if", list(itertools.product([0, 1, 100, 101, 255], repeat=2))),
    ("while_sum", [(n,) for n in [0, 1, 2, 10, 1000, 100000]]),
    ("while_true_break", [(n,) for n in [0, 1, 2, 3, 7, 27, 97, 871]]),
    ("while_continue", [(n,) for n in [0, 1, 2, 9, 10, 1000]]),
    ("forever_returns", [(n,) for n in [0, 1, 2, 99, 100, 101, 65536]]),
    ("range1", [(n,) for n in [0, 1, 2, 3, 100]]),
    ("range2", list(itertools.product([-20, -1, 0, 5], [-20, 0, 1, 17]))),
    ("range3", list(itertools.product([-20, -1, 0, 5], [-20, 0, 1, 17, 18, 19]))),
    ("range_negative_step", list(itertools.product([-20, 0, 5, 17], [-21, -20, -1, 0, 4]))),
    ("range_minus_one", [(a,) for a in I8]),
    ("range_constant_bounds", [()]),
    ("range_len_bound", [()]),
    ("range_to_u8_max", [(a,) for a in U8]),
    ("range_step_near_max", [(a, 1) for a in U8]),
    ("range_step_near_i8_min", [(a,) for a in I8]),
    ("range_u64_top", [(a,) for a in U64]),
    ("range_i64_extremes", [(a,) for a in I64]),
    ("nested_loops_break_continue", [(n,) for n in [0, 1, 5, 7, 8, 9, 20, 1000]]),
    ("bool_logic", list(itertools.product([0, 1, 3, 4, 9], repeat=2))),
    ("bool_values", list(itertools.product([0, 10, 11, 50], repeat=2))),
    ("bool_param", list(itertools.product([False, True], repeat=2))),
    ("conditional_expression", list(itertools.product([-5, 0, 7], repeat=2))),
    ("assert_passes", [(x,) for x in [0, 1, 999]]),
    ("docstring_and_pass", [(x,) for x in [0, 5]]),
])
def test_statements(control, fn, inputs):
    for args in inputs:
        control.check(fn, *args)


def test_range_stops_at_the_type_maximum_without_wrapping(control):
    assert control.check("range_to_u8_max", 250) == 250 + 251 + 252 + 253 + 254
    assert control.check("range_step_near_max", 200, 0) == 200
    assert control.check("range_u64_top", (1 << 64) - 3) == (1 << 64) - 3
    assert control.check("range_i64_extremes", -(1 << 63) + 5) == -8


# ---------------------------------------------------------------- constants and enums

@pytest.mark.parametrize("fn, inputs", [
    ("untyped_in_context", [(x,) for x in U8]),
    ("untyped_with_u64", [(x,) for x in U64]),
    ("negative_constant", [(x,) for x in I32]),
    ("constant_expression", [(x,) for x in U32]),
    ("folded_value", [()]),
    ("typed_final", [(x,) for x in U8]),
    ("typed_final_signed", [(x,) for x in [-32768, -1, 0, 300, 32767]]),
    ("typed_final_conversion", [()]),
    ("bool_constants", [(x,) for x in [0, 41]]),
    ("wrapped_conversion_of_literal", [()]),
    ("literal_extremes", [()]),
    ("enum_member", [(x,) for x in [1, 2, 104, -3]]),
    ("enum_to_int", [(x,) for x in U8]),
    ("enum_roundtrip", [(x,) for x in [1, 2, 104, -3]]),
    ("enum_value_of_member", [()]),
    ("character_constants", [(x,) for x in [0, 9, 10, 13, 27, 32, 47, 48, 53, 57, 58, 65, 255]]),
])
def test_constants(consts, fn, inputs):
    for args in inputs:
        consts.check(fn, *args)


def test_constants_may_use_struct_layout(consts):
    """Regression: sizeof(S) in a Final was evaluated before structs were laid out, giving 0."""
    assert consts.check("layout_constants") == 20 * 10000 + 5 * 100 + 6 + 40 * 1000000


def test_constant_folding_uses_python_rules(consts):
    assert consts.check("folded_value") == -7 // 2 + -7 % 2 * 10
    assert consts.check("enum_value_of_member") == 104 - 3


# ---------------------------------------------------------------- globals

def test_globals_keep_state_across_calls(globals_):
    globals_.check("reset")
    for by in [0, 1, 5, (1 << 32) - 1, 7]:
        globals_.check("bump", by)
        globals_.check("read_only")
    for x in [-5, 100, -(1 << 31), -1]:
        globals_.check("add_signed", x)
    for _ in range(3):
        globals_.check("toggle")
    for x in [0, 9, (1 << 64) - 1]:
        globals_.check("record", x)
        globals_.check("last")
    for i, v in [(0, 1), (9, 2), (3, 7), (7, (1 << 32) - 1)]:
        globals_.check("table_put", i, v)
    globals_.check("table_via_pointer", 200)
    for _ in range(3):
        globals_.check("flip_mode")
    globals_.check("reset")
    assert globals_.check("read_only") == 0


# ---------------------------------------------------------------- structs

@pytest.mark.parametrize("fn, inputs", [
    ("layout", [()]),
    ("rect_size", [()]),
    ("sizes_of_scalars", [()]),
    ("fill_mixed", [(x,) for x in U64]),
    ("packed_roundtrip", [(x,) for x in U64]),
    ("mixed_bytes", [(x,) for x in U32]),
    ("methods", list(itertools.product([0, 3, 1 << 31], [1, 5], [0, 2, 7]))),
    ("nested", list(itertools.product([0, 4], [1, 9], [1, 3]))),
    ("array_field", [(x,) for x in U8]),
    ("linked", [(x,) for x in [0, 1, 7]]),
    ("copy_struct", [(x,) for x in U32]),
    ("grid", list(itertools.product([0, 1, 2, 7], [0, 3, 5]))),
    ("methods_on_elements", [(x,) for x in [0, 5, 1 << 31]]),
])
def test_structs(structs, fn, inputs):
    for args in inputs:
        structs.check(fn, *args)


def test_struct_layout_is_c_layout(structs):
    # Mixed: a@0 b@4 c@8 d@10 e@16, size 24; Packed: size 15, e@7; Rect.next after 1+3 pad+8+8+16+6 -> 48
    assert structs.check("layout") == int.from_bytes(bytes([24, 4, 8, 10, 16, 15, 7, 48]), "big")
    assert structs.check("sizes_of_scalars") == 1 + 20 + 400 + 8000 + 10000


# ---------------------------------------------------------------- pointers

def words(*values: int) -> bytes:
    return b"".join(pystruct.pack("<I", v) for v in values)


def test_pointers(pointers):
    for data in [b"", b"\x01", b"hello", bytes(range(256))]:
        pointers.check("sum_bytes", Buf(data), len(data))
    for n in [0, 1, 2, 5]:
        pointers.check("advance", Buf(words(*range(10, 20))), n)
        pointers.check("difference", Buf(bytes(64)), n)
        pointers.check("write_pattern", Buf(b"", 8), n, 0xA5)
    for n in [0, 1, 2, 3, 9]:
        pointers.check("pointer_compare", Buf(bytes(16)), n)
    pointers.check("null_checks", Buf(b"x"))
    pointers.check("address_roundtrip", Buf(words(1, 2, 3, 4)))
    pointers.check("void_pointer", Buf(words(0x01020304)))
    pointers.check("literal_length")
    pointers.check("literal_escapes")
    pointers.check("volatile", Buf(bytes(8)), 41)
    for n in [0, 1, 4]:
        pointers.check("struct_through_pointer", Buf(bytes(8 * 4)), n)
    pointers.check("pointer_to_pointer", PtrTable([Buf(b"a\0"), Buf(b"bc\0"), Buf(b"z\0")]), 3)
    for n in U8:
        pointers.check("array_local", n)
    for i in range(4):
        pointers.check("array_index_checked", i)
    for n in U8:
        pointers.check("literal_byte", n)
    for n in [0, 1, 2, 4, 5]:
        pointers.check("difference_division", Buf(bytes(32)), n)
    for n in [2, 3, 9]:
        pointers.check("augmented_pointer", Buf(bytes(24)), n)


def test_null_pointer_argument(pointers):
    py = pointers.py.null_checks(pointers.py.NULL)
    c = pointers.lib.function("programs.pointers", "null_checks")(None)
    assert py == c == 1 | 8 | 16


# ---------------------------------------------------------------- function pointers

@pytest.mark.parametrize("fn, inputs", [
    ("through_local", list(itertools.product([0, 1], [0, 3, 1 << 20]))),
    ("through_struct", [(x,) for x in [0, 5, 70000]]),
    ("through_global", [(x,) for x in [0, 5]]),
    ("through_array", list(itertools.product(range(6), [3, 11]))),
    ("null_field", [(x,) for x in [0, 9]]),
    ("address_of_function", [()]),
    ("through_initialised_global", [(x,) for x in [0, 7]]),
    ("pointer_to_function_pointer", list(itertools.product([0, 1], [3, 1 << 17]))),
])
def test_function_pointers(funcptr, fn, inputs):
    for args in inputs:
        funcptr.check(fn, *args)


# ---------------------------------------------------------------- imports

@pytest.mark.parametrize("fn, inputs", [
    ("box_area", list(itertools.product([0, 3], [4, 10], [False, True]))),
    ("constants", [(x,) for x in [0, 1, 9]]),
    ("global_elsewhere", [(x,) for x in [0, 41, (1 << 32) - 1]]),
    ("aliased", [(x,) for x in U8]),
    ("sizes", [()]),
    ("untyped_into_global_elsewhere", [()]),
])
def test_imports(imports, fn, inputs):
    for args in inputs:
        imports.check(fn, *args)


# ---------------------------------------------------------------- extern C, @export

def test_extern_runtime_calls(externs):
    for n, value in [(0, 1), (1, 0x41), (31, 0xFF)]:
        externs.check("fill_and_compare", Buf(b"", 32), n, value)


def test_export_gives_a_fixed_symbol(externs, programs_build):
    assert hasattr(programs_build.lib.lib, "cy_test_exported_entry")
    assert programs_build.lib.program.modules["programs.externs"].functions[-1].c_name == "cy_test_exported_entry"
    assert externs.check("entry", 5) == 16
    assert externs.py.entry.__cyrius_export__ == "cy_test_exported_entry"
