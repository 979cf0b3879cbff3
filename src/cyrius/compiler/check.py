"""Stage 3: check — type-check function bodies and global initialisers, recording `Facts` for lowering.

Every accepted expression gets an `ExprFacts`: its dialect type, its `ExprKind`, its value when
known at compile time, and what a name or call refers to. The AST itself is left as parsed.
Rejected Python gets a CompileError that says what to write instead.
"""
from __future__ import annotations

import ast

from . import consteval
from .errors import CompileError, CompileErrors, nested_too_deeply
from .externs import ExternVariable
from .facts import ExprFacts, ExprKind, Facts, FunctionFacts, LoopFacts
from .resolve import Program
from .symbols import Const, Extern, Function, Global, Intrinsic, Module
from .types import (BOOL, BYTES, INTS, NULLT, UNTYPED, VOID, ArrayType, EnumType, FuncType, IntType,
                    PtrType, StructType, Type)

_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.BitAnd, ast.BitOr, ast.BitXor)
_SHIFT = (ast.LShift, ast.RShift)
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}

_REJECTED_EXPR = {
    ast.Lambda: ("lambda is not in the dialect", "define a module-level function and pass it by name"),
    ast.ListComp: ("comprehensions allocate and are not in the dialect", "write a for loop"),
    ast.SetComp: ("comprehensions allocate and are not in the dialect", "write a for loop"),
    ast.DictComp: ("comprehensions allocate and are not in the dialect", "write a for loop"),
    ast.GeneratorExp: ("generators are not in the dialect", "write a for loop"),
    ast.List: ("lists are not in the dialect", "use Array[T, N] or a Ptr to memory you allocated"),
    ast.Tuple: ("tuples are not in the dialect", "use a @struct, or several variables"),
    ast.Dict: ("dicts are not in the dialect", "use a @struct or an array"),
    ast.Set: ("sets are not in the dialect", "use a bitmap"),
    ast.JoinedStr: ("f-strings are not in the dialect", "format numbers with the runtime's fmt_* functions"),
    ast.Yield: ("generators (yield) are not in the dialect", "return values or fill a buffer"),
    ast.YieldFrom: ("generators (yield) are not in the dialect", "return values or fill a buffer"),
    ast.Await: ("async is not in the dialect", "use plain functions"),
    ast.NamedExpr: ("':=' is not in the dialect", "assign in a separate statement"),
    ast.Starred: ("'*' unpacking is not in the dialect", "pass arguments one by one"),
    ast.Slice: ("slicing is not in the dialect", "use pointer arithmetic: p + start"),
}

_REJECTED_STMT = {
    ast.Try: ("exceptions are not in the dialect", "return an error code (negative errno) instead"),
    ast.Raise: ("exceptions are not in the dialect", "return an error code, or assert for a kernel bug"),
    ast.With: ("'with' is not in the dialect", "call the acquire/release functions explicitly"),
    ast.AsyncWith: ("async is not in the dialect", "use plain functions"),
    ast.AsyncFor: ("async is not in the dialect", "use plain functions"),
    ast.AsyncFunctionDef: ("async is not in the dialect", "use plain functions"),
    ast.Delete: ("'del' is not in the dialect", "memory is freed explicitly with the kernel allocator"),
    ast.Nonlocal: ("closures (nonlocal) are not in the dialect", "pass state through a struct pointer"),
    ast.FunctionDef: ("nested functions (closures) are not in the dialect", "define it at module level"),
    ast.ClassDef: ("classes must be defined at module level", "move the @struct to module level"),
    ast.Import: ("imports belong at the top of the module", "move the import to module level"),
    ast.ImportFrom: ("imports belong at the top of the module", "move the import to module level"),
    ast.Match: ("'match' is not in the dialect", "use if/elif"),
    ast.TryStar: ("exceptions are not in the dialect", "return an error code"),
}


def wrap(value: int, t: IntType) -> int:
    value &= (1 << t.bits) - 1
    if t.signed and value >> (t.bits - 1):
        value -= 1 << t.bits
    return value


class ExprChecker:
    """Checks expressions in the scope of `locals`, recording what it finds in `facts`."""

    def __init__(self, program: Program, mod: Module, facts: Facts):
        self.p = program
        self.mod = mod
        self.facts = facts
        self.locals: dict[str, Type] = {}
        self.active_loopvars: set[str] = set()
        self.loopvars: set[str] = set()

    def error(self, node, message, hint=""):
        return CompileError(self.mod.source, node, message, hint)

    # ------------------------------------------------------------------ constructors

    def constructor(self, target_t, value, node):
        """Struct and array variables are initialised only by their constructor."""
        if not (isinstance(value, ast.Call)):
            raise self.error(value, f"a {target_t} variable is initialised with its constructor",
                             f"{ast.unparse(node)} = {target_t}() ; to copy a struct write p[0] = q[0]")
        ctor_t = self.ctor_type(value.func)
        if ctor_t != target_t:
            raise self.error(value, f"expected a {target_t} constructor")
        self.facts.exprs[value] = ExprFacts(target_t, ExprKind.CONSTRUCTOR)
        if isinstance(target_t, ArrayType):
            if value.args or value.keywords:
                raise self.error(value, "array constructors take no arguments (arrays start zeroed)")
            return
        if value.args:
            raise self.error(value, "struct constructors take keyword arguments only", f"{target_t.name}(field=value)")
        for kw in value.keywords:
            f = target_t.field(kw.arg)
            if f is None:
                raise self.error(kw, f"{target_t.name} has no field '{kw.arg}'")
            if isinstance(f[0], (StructType, ArrayType)):
                raise self.error(kw, f"field '{kw.arg}' is a {f[0]}; set it after construction")
            self.coerce(kw.value, f[0], f"field '{kw.arg}'")

    def ctor_type(self, func) -> Type | None:
        if isinstance(func, ast.Subscript):
            try:
                t = self.p.resolve_type(self.mod, func)
            except CompileError:
                return None
            return t if isinstance(t, ArrayType) else None
        if isinstance(func, (ast.Name, ast.Attribute)):
            sym = self.p.lookup(self.mod, func)
            return sym if isinstance(sym, StructType) else None
        return None

    # ------------------------------------------------------------------ expressions

    def cond(self, e) -> None:
        """An expression in a condition: bools, integers and pointers (tested against zero)."""
        if isinstance(e, ast.BoolOp):
            for v in e.values:
                self.cond(v)
            return
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            self.cond(e.operand)
            return
        t = self.expr(e)
        if t is UNTYPED:
            self.coerce(e, INTS["i64"], "condition")
            t = self.facts.expr(e).ty
        if not (t is BOOL or isinstance(t, (IntType, PtrType, FuncType))):
            raise self.error(e, f"a {t} cannot be used as a condition")

    def coerce(self, e, target: Type, what: str) -> None:
        t = self.expr(e, expected=target)
        if self.assignable(e, t, target):
            return
        hint = ""
        if isinstance(t, IntType) and isinstance(target, IntType):
            hint = f"convert explicitly: {target}({ast.unparse(e)})"
        elif isinstance(t, PtrType) and isinstance(target, PtrType):
            hint = f"use cast({target}, {ast.unparse(e)})"
        raise self.error(e, f"{what} must be {target}, not {t}", hint)

    def assignable(self, e, t, target) -> bool:
        """Whether e (of type t) may be used as a target; constants and NULL take the target type."""
        if t == target:
            return True
        info = self.facts.expr(e)
        if t is UNTYPED and isinstance(target, IntType):
            if not target.fits(info.const):
                raise self.error(e, f"{info.const} does not fit in {target}",
                                 f"write {target}({info.const}) to wrap it explicitly")
            info.ty = target
            return True
        if t is NULLT and isinstance(target, (PtrType, FuncType)):
            info.ty = target
            return True
        if t is BYTES and isinstance(target, PtrType) and target.target in (None, INTS["u8"], INTS["i8"]):
            info.cast_to = target
            return True
        if isinstance(t, PtrType) and isinstance(target, PtrType) and target.target is None:
            return True
        return False

    def expr(self, e, expected: Type | None = None, statement=False) -> Type:
        for kind, (msg, hint) in _REJECTED_EXPR.items():
            if isinstance(e, kind):
                raise self.error(e, msg, hint)
        method = getattr(self, "expr_" + type(e).__name__, None)
        if method is None:
            raise self.error(e, f"'{type(e).__name__}' expressions are not in the dialect")
        info = method(e, expected, statement) if isinstance(e, ast.Call) else method(e, expected)
        self.facts.exprs[e] = info
        return info.ty

    def expr_Constant(self, e, expected) -> ExprFacts:
        v = e.value
        if isinstance(v, bool):
            return ExprFacts(BOOL, ExprKind.CONSTANT, const=v)
        if isinstance(v, int):
            return ExprFacts(UNTYPED, ExprKind.CONSTANT, const=v)
        if isinstance(v, bytes):
            return ExprFacts(BYTES, ExprKind.BYTES_LITERAL)
        if isinstance(v, str):
            raise self.error(e, "str is not in the dialect", f"use a byte string: b{v!r}")
        if isinstance(v, float):
            raise self.error(e, "floating point is not in the dialect", "use integers (fixed point)")
        if v is None:
            raise self.error(e, "None is not a value in the dialect", "use NULL for pointers")
        raise self.error(e, f"{type(v).__name__} literals are not in the dialect")

    def expr_Name(self, e, expected) -> ExprFacts:
        name = e.id
        if name in self.locals:
            if name in self.loopvars and name not in self.active_loopvars:
                raise self.error(e, f"the loop variable '{name}' is not defined after its loop",
                                 "copy it into another variable inside the loop")
            return ExprFacts(self.locals[name], ExprKind.LOCAL)
        sym = self.mod.symbols.get(name)
        if sym is None:
            if name in ("True", "False"):
                return ExprFacts(BOOL, ExprKind.CONSTANT, const=name == "True")
            if name in ("print", "len", "int", "str", "list", "dict", "range", "isinstance", "type", "id"):
                if name == "len":
                    raise self.error(e, "len is called as len(array)")
                raise self.error(e, f"the builtin '{name}' is not in the dialect")
            raise self.error(e, f"unknown name '{name}'", "define it, or import it")
        return self.symbol_value(e, self.p.lookup(self.mod, e))

    def symbol_value(self, e, sym) -> ExprFacts:
        if isinstance(sym, Global):
            return ExprFacts(sym.type, ExprKind.GLOBAL, sym=sym)
        if isinstance(sym, Const):
            return ExprFacts(sym.type, ExprKind.CONSTANT, const=sym.value)
        if isinstance(sym, Function):
            return ExprFacts(sym.type, ExprKind.FUNCTION, sym=sym)
        if isinstance(sym, Intrinsic) and sym.name == "NULL":
            return ExprFacts(NULLT, ExprKind.NULL)
        if isinstance(sym, Extern) and isinstance(sym.fn, ExternVariable):
            return ExprFacts(sym.fn.type, ExprKind.EXTERN_VARIABLE, sym=sym.fn)

        what = {Module: "a module", StructType: "a struct type", EnumType: "an enum type",
                Intrinsic: "a dialect intrinsic", Extern: "a C function"}.get(type(sym), "not a value")
        raise self.error(e, f"'{ast.unparse(e)}' is {what}, not a value",
                         "call C runtime functions directly" if isinstance(sym, Extern) else "")

    def expr_Attribute(self, e, expected):
        base = e.value
        if isinstance(base, (ast.Name, ast.Attribute)) and not (isinstance(base, ast.Name) and base.id in self.locals):
            owner = self.p.lookup(self.mod, base) if not self._is_value_name(base) else None
            if isinstance(owner, Module):
                return self.symbol_value(e, self.p.lookup(self.mod, e))
            if isinstance(owner, EnumType):
                if e.attr not in owner.members:
                    raise self.error(e, f"enum {owner.name} has no member '{e.attr}'",
                                     f"members: {', '.join(owner.members)}")
                return ExprFacts(owner, ExprKind.CONSTANT, const=owner.members[e.attr])
        t = self.expr(base)
        st, via_ptr = None, False
        if isinstance(t, PtrType) and isinstance(t.target, StructType):
            st, via_ptr = t.target, True
        elif isinstance(t, StructType):
            st = t
        if st is None:
            raise self.error(e, f"{t} has no attribute '{e.attr}'")
        f = st.field(e.attr)
        if f is None:
            if e.attr in st.methods:
                raise self.error(e, f"method '{e.attr}' must be called", f"{ast.unparse(e)}(...)")
            raise self.error(e, f"struct {st.name} has no field '{e.attr}'",
                             f"fields: {', '.join(n for n, _, _ in st.fields)}")
        return ExprFacts(f[0], ExprKind.FIELD, via_ptr=via_ptr)

    def _is_value_name(self, node) -> bool:
        return isinstance(node, ast.Name) and (node.id in self.locals or isinstance(
            self.mod.symbols.get(node.id), Global))

    def expr_Subscript(self, e, expected) -> ExprFacts:
        if isinstance(e.slice, ast.Slice):
            raise self.error(e.slice, *_REJECTED_EXPR[ast.Slice])
        t = self.expr(e.value)
        it = self.expr(e.slice)
        if it is UNTYPED:
            self.coerce(e.slice, INTS["i64"], "index")
        elif not isinstance(it, IntType):
            raise self.error(e.slice, f"an index must be an integer, not {it}")
        if isinstance(t, PtrType):
            if t.target is None:
                raise self.error(e, "Ptr[None] cannot be indexed", "cast it to a typed pointer first")
            return ExprFacts(t.target, ExprKind.PTR_INDEX)
        if isinstance(t, ArrayType):
            index = self.facts.expr(e.slice)
            if index.kind is ExprKind.CONSTANT and not 0 <= index.const < t.length:
                raise self.error(e.slice, f"index {index.const} is outside {t}")
            return ExprFacts(t.elem, ExprKind.ARRAY_INDEX)
        if t is BYTES:
            return ExprFacts(INTS["u8"], ExprKind.BYTES_INDEX)
        raise self.error(e, f"{t} cannot be indexed")

    def expr_UnaryOp(self, e, expected) -> ExprFacts:
        if isinstance(e.op, ast.Not):
            self.cond(e.operand)
            return ExprFacts(BOOL, ExprKind.NOT)
        t = self.expr(e.operand, expected)
        if t is UNTYPED:
            return ExprFacts(UNTYPED, ExprKind.CONSTANT,
                             const=consteval.fold_unary(e.op, self.facts.expr(e.operand).const))
        if not isinstance(t, IntType):
            raise self.error(e, f"'{ast.unparse(e)}': unary operator on {t}")
        return ExprFacts(t, ExprKind.UNARY)

    def expr_BoolOp(self, e, expected) -> ExprFacts:
        for v in e.values:
            t = self.expr(v)
            if t is not BOOL:
                raise self.error(v, f"'and'/'or' as a value need bool operands, not {t}",
                                 f"compare explicitly: ({ast.unparse(v)}) != 0")
        return ExprFacts(BOOL, ExprKind.BOOL_OP)

    def expr_BinOp(self, e, expected) -> ExprFacts:
        return self.binop(e, expected=expected)

    def binop(self, e, expected=None, target_known=None) -> ExprFacts:
        op = e.op
        if isinstance(op, ast.Div):
            raise self.error(e, "'/' (true division) is not in the dialect", "use '//' (C integer division)")
        if isinstance(op, (ast.Pow, ast.MatMult)):
            raise self.error(e, f"'{ast.unparse(e)}': this operator is not in the dialect",
                             "use shifts or a loop" if isinstance(op, ast.Pow) else "")
        lt = target_known if target_known is not None else self.expr(e.left)
        rt = self.expr(e.right)
        if lt is UNTYPED and rt is UNTYPED and target_known is None:
            value = consteval.fold(op, self.facts.expr(e.left).const, self.facts.expr(e.right).const,
                                   self.mod.source, e)
            return ExprFacts(UNTYPED, ExprKind.CONSTANT, const=value)
        if isinstance(op, _SHIFT):
            if lt is UNTYPED:
                raise self.error(e.left, "the left operand of a shift needs a type",
                                 f"write {expected if isinstance(expected, IntType) else 'u64'}"
                                 f"({ast.unparse(e.left)}) {'<<' if isinstance(op, ast.LShift) else '>>'} ...")
            if not isinstance(lt, IntType):
                raise self.error(e, f"cannot shift a {lt}")
            if rt is UNTYPED:
                if self.facts.expr(e.right).const < 0:
                    raise self.error(e.right, "negative shift count")
                self.coerce(e.right, INTS["u32"], "shift count")
            elif not isinstance(rt, IntType):
                raise self.error(e.right, f"a shift count must be an integer, not {rt}")
            return ExprFacts(lt, ExprKind.ARITH)
        if isinstance(lt, PtrType) and isinstance(op, (ast.Add, ast.Sub)):
            if lt.target is None:
                raise self.error(e, "arithmetic on Ptr[None] is not allowed", "cast it to Ptr[u8] first")
            if isinstance(op, ast.Sub) and isinstance(rt, PtrType):
                if rt != lt:
                    raise self.error(e, f"subtracting {rt} from {lt}")
                return ExprFacts(INTS["i64"], ExprKind.PTR_DIFF)
            if rt is UNTYPED:
                self.coerce(e.right, INTS["i64"], "offset")
            elif not isinstance(rt, IntType):
                raise self.error(e.right, f"a pointer offset must be an integer, not {rt}")
            return ExprFacts(lt, ExprKind.PTR_ARITH)
        if not isinstance(op, _ARITH):
            raise self.error(e, "operator not supported")
        for side, t in ((e.left, lt), (e.right, rt)):
            if t is not UNTYPED and not isinstance(t, IntType):
                raise self.error(side, f"arithmetic on {t} is not allowed",
                                 "convert it first: u32(x)" if isinstance(t, EnumType) or t is BOOL else "")
        if lt is UNTYPED:
            self.coerce(e.left, rt, "operand")
            t = rt
        elif rt is UNTYPED:
            self.coerce(e.right, lt, "operand")
            t = lt
        elif lt != rt:
            raise self.error(e, f"mismatched integer types {lt} and {rt}",
                             f"convert one explicitly, e.g. {lt}({ast.unparse(e.right)})")
        else:
            t = lt
        if isinstance(op, (ast.FloorDiv, ast.Mod)) and self.facts.expr(e.right).const == 0:
            raise self.error(e.right, "division by zero")
        return ExprFacts(t, ExprKind.ARITH)

    def expr_Compare(self, e, expected) -> ExprFacts:
        if len(e.ops) != 1:
            raise self.error(e, "chained comparisons are not in the dialect", "write (a < b) and (b < c)")
        op = e.ops[0]
        if type(op) not in _CMP:
            raise self.error(e, f"'{ast.unparse(e)}': 'is' and 'in' are not in the dialect",
                             "compare with == (pointers: p == NULL)")
        right = e.comparators[0]
        lt = self.expr(e.left)
        rt = self.expr(right)
        if lt is UNTYPED and rt is UNTYPED:
            self.coerce(e.left, INTS["i64"], "operand")
            self.coerce(right, INTS["i64"], "operand")
            return ExprFacts(BOOL, ExprKind.COMPARE)
        if lt is UNTYPED:
            self.coerce(e.left, rt, "operand")
            lt = rt
        elif rt is UNTYPED:
            self.coerce(right, lt, "operand")
            rt = lt
        if lt is NULLT and isinstance(rt, (PtrType, FuncType)):
            self.facts.expr(e.left).ty = lt = rt
        if rt is NULLT and isinstance(lt, (PtrType, FuncType)):
            self.facts.expr(right).ty = rt = lt
        ok = lt == rt or (isinstance(lt, PtrType) and isinstance(rt, PtrType) and None in (lt.target, rt.target))
        if not ok:
            raise self.error(e, f"cannot compare {lt} with {rt}", "convert one side explicitly")
        if isinstance(lt, (StructType, ArrayType)):
            raise self.error(e, f"{lt} values cannot be compared", "compare their fields")
        if lt in (BOOL,) or isinstance(lt, (EnumType, FuncType)):
            if type(op) not in (ast.Eq, ast.NotEq):
                raise self.error(e, f"{lt} values are only compared with == and !=")
        return ExprFacts(BOOL, ExprKind.COMPARE)

    def expr_IfExp(self, e, expected) -> ExprFacts:
        return ExprFacts(self.conditional_type(e, expected), ExprKind.CONDITIONAL)

    def conditional_type(self, e, expected) -> Type:
        self.cond(e.test)
        a = self.expr(e.body, expected)
        b = self.expr(e.orelse, expected)
        if a is UNTYPED and b is UNTYPED:
            if isinstance(expected, IntType):
                self.coerce(e.body, expected, "value")
                self.coerce(e.orelse, expected, "value")
                return expected
            raise self.error(e, "both branches are untyped constants", "give one a type: u32(1) if c else 0")
        if a is UNTYPED or a is NULLT:
            self.coerce(e.body, b, "value")
            return b
        if b is UNTYPED or b is NULLT:
            self.coerce(e.orelse, a, "value")
            return a
        if a != b:
            raise self.error(e, f"the branches have different types: {a} and {b}")
        if isinstance(a, (StructType, ArrayType)):
            raise self.error(e, "conditional expressions on struct values are not supported")
        return a


    # ------------------------------------------------------------------ calls

    def expr_Call(self, e, expected, statement) -> ExprFacts:
        f = e.func
        if isinstance(f, ast.Subscript):
            if self.ctor_type(f) is not None:
                raise self.error(e, "array values can only initialise an annotated variable",
                                 "buf: Array[u8, 16] = Array[u8, 16]()")
            raise self.error(e, f"'{ast.unparse(f)}' is not callable")
        sym = None
        if isinstance(f, ast.Name) and f.id not in self.locals:
            sym = self.p.lookup(self.mod, f)
            if sym is None and f.id == "len":
                return self.call_len(e)
            if sym is None and f.id == "ord":
                return self.call_ord(e)
            if sym is None and f.id in ("print", "int", "str", "range", "isinstance", "min", "max", "abs", "id",
                                        "hex", "bytes", "bytearray", "list", "dict", "getattr"):
                raise self.error(e, f"the builtin '{f.id}' is not in the dialect",
                                 "write a for loop: for i in range(n):" if f.id == "range" else "")
            if sym is None:
                raise self.error(f, f"unknown function '{f.id}'", "define it, or import it")
        elif isinstance(f, ast.Attribute) and not self._is_value_name(f.value):
            try:
                owner = self.p.lookup(self.mod, f.value)
            except CompileError:
                owner = None
            if isinstance(owner, Module):
                sym = self.p.lookup(self.mod, f)
        if e.keywords and not isinstance(sym, StructType):
            raise self.error(e.keywords[0], "keyword arguments are not in the dialect", "pass arguments by position")
        if isinstance(sym, Intrinsic):
            return self.call_intrinsic(e, sym.name, expected)
        if isinstance(sym, StructType):
            raise self.error(e, "struct values can only initialise an annotated variable",
                             f"s: {sym.name} = {sym.name}(...)  — and pass addr(s) to functions")
        if isinstance(sym, EnumType):
            raise self.error(e, f"convert to an enum with cast({sym.name}, value)")
        if isinstance(sym, Function):
            self.args(e, [t for _, t in sym.params], sym.name)
            return ExprFacts(sym.ret, ExprKind.CALL, sym=sym)
        if isinstance(sym, Extern) and isinstance(sym.fn, ExternVariable):
            raise self.error(e, f"'{sym.fn.name}' is a linker symbol (its value is an address), not a function")
        if isinstance(sym, Extern):
            self.args(e, [t for t, _ in sym.fn.params], sym.fn.name)
            return ExprFacts(sym.fn.ret, ExprKind.EXTERN_CALL, sym=sym.fn)
        # a method call, or a call through a function pointer
        if isinstance(f, ast.Attribute):
            bt = self.expr(f.value)
            st = bt.target if isinstance(bt, PtrType) and isinstance(bt.target, StructType) else (
                bt if isinstance(bt, StructType) else None)
            if st is not None and f.attr in st.methods:
                m = st.methods[f.attr]
                self.args(e, [t for _, t in m.params[1:]], f"{st.name}.{f.attr}")
                return ExprFacts(m.ret, ExprKind.METHOD_CALL, sym=m, via_ptr=isinstance(bt, PtrType))
        ft = self.expr(f)
        if isinstance(ft, FuncType):
            self.args(e, list(ft.params), ast.unparse(f))
            return ExprFacts(ft.ret, ExprKind.INDIRECT_CALL)
        raise self.error(e, f"'{ast.unparse(f)}' is not callable ({ft})")

    def args(self, e, params, name):
        if len(e.args) != len(params):
            raise self.error(e, f"{name}() takes {len(params)} argument(s), {len(e.args)} given")
        for i, (a, t) in enumerate(zip(e.args, params, strict=True)):
            self.coerce(a, t, f"argument {i + 1} of {name}()")

    def call_len(self, e) -> ExprFacts:
        if len(e.args) != 1:
            raise self.error(e, "len takes one argument")
        a = e.args[0]
        if isinstance(a, ast.Constant) and isinstance(a.value, bytes):
            return ExprFacts(UNTYPED, ExprKind.CONSTANT, const=len(a.value))
        t = self.expr(a)
        if isinstance(t, ArrayType):
            return ExprFacts(UNTYPED, ExprKind.CONSTANT, const=t.length)
        raise self.error(e, f"len() of {t} is not known", "len works on arrays and bytes literals")

    def call_ord(self, e) -> ExprFacts:
        code = consteval.character_code(e)
        if code is None:
            raise self.error(e, "ord takes one character literal",
                             'a one-character str or bytes literal: ord(" "), ord("\\n"), ord(b"a")')
        return ExprFacts(UNTYPED, ExprKind.CONSTANT, const=code)

    def type_arg(self, node) -> Type:
        return self.p.resolve_type(self.mod, node)

    def call_intrinsic(self, e, name, expected) -> ExprFacts:
        n = len(e.args)
        if name in INTS:
            t = INTS[name]
            if n != 1:
                raise self.error(e, f"{name}() takes one value")
            at = self.expr(e.args[0])
            if at is UNTYPED:
                return ExprFacts(t, ExprKind.CONSTANT, const=wrap(self.facts.expr(e.args[0]).const, t))
            if isinstance(at, PtrType):
                raise self.error(e, f"convert a pointer with cast({name}, p)")
            if not (isinstance(at, (IntType, EnumType)) or at is BOOL):
                raise self.error(e.args[0], f"cannot convert {at} to {name}")
            return ExprFacts(t, ExprKind.CONVERSION)
        if name == "cast":
            if n != 2:
                raise self.error(e, "cast takes a type and a value", "cast(Ptr[u8], p)")
            t = self.type_arg(e.args[0])
            at = self.expr(e.args[1])
            okay = (
                (isinstance(t, PtrType) and (isinstance(at, (PtrType, IntType)) or at in (BYTES, NULLT, UNTYPED)))
                or (isinstance(t, IntType) and t.bits == 64 and isinstance(at, (PtrType, FuncType)))
                or (isinstance(t, EnumType) and (isinstance(at, IntType) or at is UNTYPED))
                or (isinstance(t, IntType) and isinstance(at, EnumType)))
            if isinstance(t, PtrType) and isinstance(at, IntType) and at.bits != 64:
                okay = False
            if not okay:
                raise self.error(e, f"cannot cast {at} to {t}",
                                 "cast converts pointer<->pointer, pointer<->usize/u64 and integer<->enum; "
                                 "use u32(x) for integer conversions")
            if at is UNTYPED:
                self.coerce(e.args[1], INTS["i32"] if isinstance(t, EnumType) else INTS["usize"], "cast value")
            return ExprFacts(t, ExprKind.CAST)
        if name == "sizeof":
            if n != 1:
                raise self.error(e, "sizeof takes one type")
            return ExprFacts(UNTYPED, ExprKind.CONSTANT, const=self.type_arg(e.args[0]).size)
        if name == "offsetof":
            if n != 2 or not (isinstance(e.args[1], ast.Constant) and isinstance(e.args[1].value, str)):
                raise self.error(e, "offsetof takes a struct and a field name", 'offsetof(S, "field")')
            t = self.type_arg(e.args[0])
            if not isinstance(t, StructType) or t.field(e.args[1].value) is None:
                raise self.error(e, f"{t} has no field {e.args[1].value!r}")
            return ExprFacts(UNTYPED, ExprKind.CONSTANT, const=t.field(e.args[1].value)[1])
        if name == "addr":
            if n != 1:
                raise self.error(e, "addr takes one struct or array value")
            a = e.args[0]
            t = self.expr(a)
            is_place = isinstance(a, (ast.Name, ast.Attribute, ast.Subscript)) and self.facts.expr(a).kind in (
                ExprKind.LOCAL, ExprKind.GLOBAL, ExprKind.FIELD, ExprKind.PTR_INDEX, ExprKind.ARRAY_INDEX)
            if not is_place or not isinstance(t, (StructType, ArrayType)):
                raise self.error(a, f"addr() takes a struct or array variable or field, not {t}",
                                 'for a scalar field use offsetof: cast(Ptr[u32], cast(usize, p) + offsetof(S, "f"))')
            if isinstance(t, ArrayType) and isinstance(t.elem, ArrayType):
                raise self.error(a, f"addr() of {t} would be a pointer to an array, which the dialect does not have",
                                 f"take the address of one row: addr({ast.unparse(a)}[i])")
            return ExprFacts(PtrType(t.elem) if isinstance(t, ArrayType) else PtrType(t), ExprKind.ADDR)
        if name == "volatile_load":
            if n != 1:
                raise self.error(e, "volatile_load takes a pointer")
            t = self.expr(e.args[0])
            if not (isinstance(t, PtrType) and isinstance(t.target, IntType)):
                raise self.error(e.args[0], f"volatile_load needs a pointer to an integer, not {t}")
            return ExprFacts(t.target, ExprKind.VOLATILE_LOAD)
        if name == "volatile_store":
            if n != 2:
                raise self.error(e, "volatile_store takes a pointer and a value")
            t = self.expr(e.args[0])
            if not (isinstance(t, PtrType) and isinstance(t.target, IntType)):
                raise self.error(e.args[0], f"volatile_store needs a pointer to an integer, not {t}")
            self.coerce(e.args[1], t.target, "stored value")
            return ExprFacts(VOID, ExprKind.VOLATILE_STORE)
        raise self.error(e, f"'{name}' cannot be called here")


class FunctionChecker(ExprChecker):
    def __init__(self, program: Program, fn: Function, facts: Facts):
        super().__init__(program, fn.module, facts)
        self.fn = fn
        self.locals.update(fn.params)
        self.globals: set[str] = set()
        self.loop_depth = 0

    # ------------------------------------------------------------------ statements

    def check(self) -> None:
        body = self.fn.node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(
                body[0].value.value, str):
            body = body[1:]
        self.facts.functions[self.fn] = FunctionFacts(body, self.locals)
        self.block(body)

        if self.fn.ret is not VOID and not self.returns(body):
            raise self.error(self.fn.node, f"function '{self.fn.name}' can end without returning a {self.fn.ret}",
                             "end every path with a return statement")

    def returns(self, body) -> bool:
        if not body:
            return False
        last = body[-1]
        if isinstance(last, ast.Return):
            return True
        if isinstance(last, ast.If):
            return self.returns(last.body) and self.returns(last.orelse)
        if isinstance(last, ast.While):
            forever = isinstance(last.test, ast.Constant) and last.test.value is True
            return forever and not any(isinstance(n, ast.Break) for n in self._own_loop_nodes(last.body))
        return False

    def _own_loop_nodes(self, body):
        for stmt in body:
            yield stmt
            if isinstance(stmt, (ast.While, ast.For)):
                continue
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.stmt):
                    yield from self._own_loop_nodes([child])

    def block(self, body) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, s) -> None:
        for kind, (msg, hint) in _REJECTED_STMT.items():
            if isinstance(s, kind):
                raise self.error(s, msg, hint)
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise self.error(s, f"'{type(s).__name__}' statements are not in the dialect")
        method(s)

    def stmt_Pass(self, s):
        pass

    def stmt_Expr(self, s):
        v = s.value
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return  # a string statement is a comment
        for kind, (msg, hint) in _REJECTED_EXPR.items():
            if isinstance(v, kind):  # `yield x`, `await f()`: say what is wrong, not "no effect"
                raise self.error(v, msg, hint)
        if not isinstance(v, ast.Call):
            raise self.error(s, "this expression statement has no effect", "assign the value or remove it")
        self.expr(v, statement=True)

    def stmt_Global(self, s):
        for name in s.names:
            sym = self.mod.symbols.get(name)
            if not isinstance(sym, Global):
                raise self.error(s, f"'global {name}': '{name}' is not a global variable of this module",
                                 "declare it at module level with a type: NAME: u32 = 0")
            if name in self.locals:
                raise self.error(s, f"'{name}' is used as a local before 'global {name}'")
            self.globals.add(name)

    def stmt_Return(self, s):
        if s.value is None:
            if self.fn.ret is not VOID:
                raise self.error(s, f"'return' without a value in a function returning {self.fn.ret}")
            return
        if self.fn.ret is VOID:
            if isinstance(s.value, ast.Constant) and s.value.value is None:
                return
            raise self.error(s.value, "this function returns None", "change its '-> None' annotation")
        self.coerce(s.value, self.fn.ret, "return value")

    def stmt_If(self, s):
        self.cond(s.test)
        self.block(s.body)
        self.block(s.orelse)

    def stmt_While(self, s):
        if s.orelse:
            raise self.error(s.orelse[0], "'while … else' is not in the dialect", "use a flag variable")
        self.cond(s.test)
        self.loop_depth += 1
        self.block(s.body)
        self.loop_depth -= 1

    def stmt_For(self, s):
        if s.orelse:
            raise self.error(s.orelse[0], "'for … else' is not in the dialect", "use a flag variable")
        it = s.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
                and "range" not in self.mod.symbols):
            raise self.error(it, "for loops iterate over range(...) only", "for i in range(n):")
        if it.keywords or not 1 <= len(it.args) <= 3:
            raise self.error(it, "range takes 1 to 3 positional arguments")
        if not isinstance(s.target, ast.Name):
            raise self.error(s.target, "the loop target must be a single name")
        types = [self.expr(a) for a in it.args]
        typed = {t for t in types if t is not UNTYPED}
        for t, a in zip(types, it.args, strict=True):
            if t is not UNTYPED and not isinstance(t, IntType):
                raise self.error(a, f"range bounds must be integers, not {t}")
        if len(typed) > 1:
            raise self.error(it, f"range bounds have different types: {', '.join(sorted(map(str, typed)))}",
                             "convert them to one type")
        kind = typed.pop() if typed else INTS["i64"]
        step = 1
        if len(it.args) == 3:
            step_facts = self.facts.expr(it.args[2])
            if step_facts.kind is not ExprKind.CONSTANT:
                raise self.error(it.args[2], "the range step must be a constant", "use a while loop")
            step = step_facts.const
            if step == 0:
                raise self.error(it.args[2], "range step must not be zero")
            if step < 0 and not kind.signed:
                raise self.error(it.args[2], f"a negative step needs a signed loop variable, not {kind}")
        for a in it.args:
            self.coerce(a, kind, "range bound")
        self.facts.loops[s] = LoopFacts(kind, step)
        name = s.target.id
        self.declare_local(s.target, name, kind, loopvar=True)
        if name in self.active_loopvars:
            raise self.error(s.target, f"'{name}' is already the variable of an enclosing loop")
        self.active_loopvars.add(name)
        self.loop_depth += 1
        self.block(s.body)
        self.loop_depth -= 1
        self.active_loopvars.discard(name)

    def stmt_Break(self, s):
        if not self.loop_depth:
            raise self.error(s, "'break' outside a loop")

    stmt_Continue = stmt_Break

    def stmt_Assert(self, s):
        self.cond(s.test)
        if s.msg is not None and not (isinstance(s.msg, ast.Constant) and isinstance(s.msg.value, (str, bytes))):
            raise self.error(s.msg, "an assert message must be a literal")

    def declare_local(self, node, name, t, loopvar=False):
        if name in self.mod.symbols and isinstance(self.mod.symbols[name], Global) and name not in self.globals:
            raise self.error(node, f"assigning to global '{name}' needs 'global {name}' first")
        if name in self.locals:
            if self.locals[name] != t:
                raise self.error(node, f"'{name}' was declared as {self.locals[name]}, not {t}",
                                 "a variable keeps one type; use another name")
            if loopvar and name not in self.loopvars and name in self.locals:
                raise self.error(node, f"'{name}' is already a variable; the loop needs a fresh name")
        else:
            if name in self.mod.symbols and not isinstance(self.mod.symbols[name], Global):
                raise self.error(node, f"'{name}' shadows a module-level name", "choose another name")
            self.locals[name] = t
        if loopvar:
            self.loopvars.add(name)

    def stmt_AnnAssign(self, s):
        if not isinstance(s.target, ast.Name):
            raise self.error(s.target, "annotations are allowed on plain names only")
        t = self.p.resolve_type(self.mod, s.annotation)
        if s.value is None:
            raise self.error(s, f"'{s.target.id}' needs an initial value", f"{s.target.id}: {t} = ...")
        if s.target.id in self.active_loopvars:
            raise self.error(s.target, f"the loop variable '{s.target.id}' cannot be assigned in the loop")
        if isinstance(t, (StructType, ArrayType)):
            self.constructor(t, s.value, s.target)
        else:
            self.coerce(s.value, t, f"'{s.target.id}'")
        self.declare_local(s.target, s.target.id, t)
        self.facts.exprs[s.target] = ExprFacts(t, ExprKind.LOCAL)

    def stmt_Assign(self, s):
        if len(s.targets) != 1:
            raise self.error(s, "chained assignment (a = b = c) is not in the dialect", "assign one at a time")
        target = s.targets[0]
        if isinstance(target, (ast.Tuple, ast.List)):
            raise self.error(target, "tuple assignment is not in the dialect", "assign one variable at a time")
        if isinstance(target, ast.Name):
            name = target.id
            if name in self.active_loopvars or name in self.loopvars:
                raise self.error(target, f"the loop variable '{name}' cannot be assigned",
                                 "copy it into another variable")
            if name in self.locals:
                t = self.locals[name]
                self.facts.exprs[target] = ExprFacts(t, ExprKind.LOCAL)
            elif name in self.globals:
                sym = self.mod.symbols[name]
                t = sym.type
                self.facts.exprs[target] = ExprFacts(t, ExprKind.GLOBAL, sym=sym)
            else:
                sym = self.mod.symbols.get(name)
                if isinstance(sym, Global):
                    raise self.error(target, f"assigning to global '{name}' needs 'global {name}' first")
                if sym is not None:
                    raise self.error(target, f"'{name}' is not a variable")
                t = self.expr(s.value)
                if t in (UNTYPED, NULLT):
                    raise self.error(s, f"the type of '{name}' cannot be inferred from "
                                     f"{'a bare integer' if t is UNTYPED else 'NULL'}",
                                     f"annotate it: {name}: u32 = ...")
                if t is VOID:
                    raise self.error(s.value, "this call returns nothing")
                if t is BYTES:
                    raise self.error(s, f"the type of '{name}' cannot be inferred from a byte-string literal",
                                     f"annotate it as a pointer: {name}: Ptr[u8] = ...")
                if isinstance(t, (StructType, ArrayType)):
                    raise self.error(s.value, f"a {t} variable needs an annotation", f"{name}: {t} = {t}()")
                self.declare_local(target, name, t)
                self.facts.exprs[target] = ExprFacts(t, ExprKind.LOCAL)
                return
            if isinstance(t, (StructType, ArrayType)):
                raise self.error(s, f"assigning a whole {t} is not supported",
                                 "copy it with p[0] = q[0] through pointers, or memcpy")
            self.coerce(s.value, t, f"'{name}'")
            return
        t = self.lvalue(target)
        if isinstance(t, ArrayType):
            raise self.error(s, "assigning a whole array is not supported", "copy it with memcpy")
        self.coerce(s.value, t, "the assigned value")

    def stmt_AugAssign(self, s):
        target = s.target
        for inner in ast.walk(target):
            if isinstance(inner, ast.Call):
                raise self.error(inner, "calls inside an augmented-assignment target would run twice in C",
                                 "compute the address into a variable first")
        if isinstance(target, ast.Name):
            if target.id in self.active_loopvars or target.id in self.loopvars:
                raise self.error(target, f"the loop variable '{target.id}' cannot be assigned")
            if target.id not in self.locals and target.id not in self.globals:
                if isinstance(self.mod.symbols.get(target.id), Global):
                    raise self.error(target, f"assigning to global '{target.id}' needs 'global {target.id}' first")
                raise self.error(target, f"'{target.id}' is not defined")
            t = self.expr(target)
        else:
            t = self.lvalue(target)
        fake = ast.BinOp(left=target, op=s.op, right=s.value)
        ast.copy_location(fake, s)
        result = self.binop(fake, target_known=t)
        if result.ty != t:
            raise self.error(s, f"'{ast.unparse(s)}' changes the type of its target from {t} to {result.ty}")
        self.facts.exprs[s] = result

    # ------------------------------------------------------------------ lvalues

    def lvalue(self, node) -> Type:
        if isinstance(node, ast.Attribute):
            t = self.expr(node)
            if self.facts.expr(node).kind not in (ExprKind.GLOBAL, ExprKind.FIELD):
                raise self.error(node, f"'{ast.unparse(node)}' cannot be assigned")
            return t
        if isinstance(node, ast.Subscript):
            t = self.expr(node)
            if self.facts.expr(node).kind is ExprKind.BYTES_INDEX:
                raise self.error(node, "bytes literals are read-only")
            return t
        raise self.error(node, f"'{ast.unparse(node)}' cannot be assigned")


def check_program(program: Program) -> Facts:
    """Check every function and global initialiser; raise CompileErrors listing every error found."""
    facts = Facts()
    errors = []
    for mod in program.order:
        for fn in mod.functions:
            try:
                FunctionChecker(program, fn, facts).check()
            except CompileError as err:
                errors.append(err)
            except RecursionError:  # lowering recurses no deeper per level, so what passes here lowers
                errors.append(nested_too_deeply(mod.source, fn.node))
        for g in mod.globals:
            try:
                check_global_init(program, mod, g, facts)
            except CompileError as err:
                errors.append(err)
            except RecursionError:
                errors.append(nested_too_deeply(mod.source, g.node))
    if errors:
        raise CompileErrors(errors)
    return facts


def check_global_init(program: Program, mod: Module, g: Global, facts: Facts) -> None:
    value = g.node.value
    t = g.type
    if isinstance(t, (StructType, ArrayType)):
        ExprChecker(program, mod, facts).constructor(t, value, g.node.target)
        for kw in value.keywords:
            if facts.expr(kw.value).kind is not ExprKind.CONSTANT:
                raise CompileError(mod.source, kw.value, "global initialisers must be constants")
        return
    if isinstance(t, PtrType) or isinstance(t, FuncType):
        if isinstance(value, (ast.Name, ast.Attribute)) and isinstance(program.lookup(mod, value), Intrinsic) \
                and program.lookup(mod, value).name == "NULL":
            facts.exprs[value] = ExprFacts(t, ExprKind.NULL)
            return
        sym = program.lookup(mod, value) if isinstance(value, (ast.Name, ast.Attribute)) else None
        if isinstance(t, FuncType) and isinstance(sym, Function) and sym.type == t:
            facts.exprs[value] = ExprFacts(t, ExprKind.FUNCTION, sym=sym)
            return
        raise CompileError(mod.source, value, f"a global {t} starts as NULL (or a function name)")
    try:
        v = consteval.evaluate(program, mod, value)
    except CompileError:
        raise CompileError(mod.source, value, "global initialisers must be constants",
                           "initialise it in an init function") from None
    if t is BOOL:
        if not isinstance(v, bool):
            raise CompileError(mod.source, value, "a bool global starts as True or False")
    elif isinstance(t, IntType):
        if isinstance(v, bool) or not t.fits(v):
            raise CompileError(mod.source, value, f"{v} does not fit in {t}")
    elif isinstance(t, EnumType):
        if v not in t.members.values():
            raise CompileError(mod.source, value, f"{v} is not a member of {t.name}")
    else:
        raise CompileError(mod.source, value, f"globals of type {t} are not supported")
    facts.exprs[value] = ExprFacts(t, ExprKind.CONSTANT, const=v)

