"""Stage 4: lower — checked AST to C statements and expressions.

Reads the AST together with the checker's `Facts` (what each expression is and its type). Each
function becomes a `CFunction`: hoisted locals and a list of `CLine`s, each remembering the Python
line it came from so the emitter can put a `#line` directive before it; each global a `CGlobal`. Arithmetic is
lowered to C that has no undefined behaviour: signed operations go through the unsigned type of the
same width, shift counts are masked, signed division goes through helpers in cyrius/lang.h.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .facts import ExprFacts, ExprKind, Facts
from .symbols import Function, Global
from .types import (BOOL, NULLT, VOID, ArrayType, EnumType, IntType, StructType, Type, scalar_c_literal)

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
        ast.LShift: "<<", ast.RShift: ">>", ast.FloorDiv: "/", ast.Mod: "%"}
_CMPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


@dataclass
class CLine:
    line: int  # Python source line (0: none)
    depth: int
    text: str


@dataclass
class CFunction:
    fn: Function
    signature: str
    local_types: list[Type]  # of the parameters and locals
    locals: list = field(default_factory=list)  # C declarations
    body: list = field(default_factory=list)  # [CLine]


@dataclass
class CGlobal:
    glob: Global
    initialiser: str  # " = value", or "" for zero


# Python names that are C keywords (or reserved by the C library) get a trailing underscore in C.
C_RESERVED = frozenset("""auto break case char const continue default do double else enum extern float for goto if
inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void
volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert
_Thread_local bool true false NULL errno asm typeof""".split())


def cname(name: str) -> str:
    """The C spelling of a local, parameter or field name."""
    return name + "_" if name in C_RESERVED else name


def c_string(data: bytes) -> str:
    out = []
    for b in data:
        ch = chr(b)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= b < 127 and ch != "?":  # '?' avoids trigraph surprises
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def untyped_literal(value: int) -> str:
    if -(1 << 63) <= value < (1 << 63):
        return f"((int64_t){value}LL)" if value != -(1 << 63) else "((int64_t)(-9223372036854775807LL - 1))"
    return f"((uint64_t){value & ((1 << 64) - 1)}ULL)"


def constant_literal(value: int, t: Type) -> str:
    """A compile-time value as a C constant of type t (UNTYPED: int64_t, or uint64_t if it needs it)."""
    if t is BOOL or isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(t, IntType):
        return scalar_c_literal(t, value)
    if isinstance(t, EnumType):
        return f"((int32_t){value})"
    return untyped_literal(value)


def signature(fn: Function) -> str:
    params = ", ".join(t.declare(cname(name)) for name, t in fn.params) or "void"
    return f"{fn.ret.c()} {fn.c_name}({params})"




class ExprLowerer:
    """Checked expressions to C, each according to its `ExprKind`."""

    def __init__(self, facts: Facts):
        self.facts = facts

    def cond(self, e) -> str:
        if isinstance(e, ast.BoolOp):
            op = " && " if isinstance(e.op, ast.And) else " || "
            return "(" + op.join(self.cond(v) for v in e.values) + ")"
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            return f"(!{self.cond(e.operand)})"
        text = self.expr(e)
        return text if self.facts.expr(e).ty is BOOL else f"({text} != 0)"

    def expr(self, e) -> str:
        info = self.facts.expr(e)
        text = self._LOWER[info.kind](self, e, info)
        if info.cast_to is not None:
            text = f"(({info.cast_to.c()}){text})"
        return text

    # ------------------------------------------------------------------ values and places

    def constant(self, e, info: ExprFacts) -> str:
        return constant_literal(info.const, info.ty)

    def bytes_literal(self, e, info: ExprFacts) -> str:
        return f"((uint8_t *){c_string(e.value)})"

    def local(self, e, info: ExprFacts) -> str:
        return cname(e.id)

    def global_(self, e, info: ExprFacts) -> str:
        return info.sym.c_name

    def function(self, e, info: ExprFacts) -> str:
        return f"(&{info.sym.c_name})"

    def extern_variable(self, e, info: ExprFacts) -> str:
        return f"(({info.ty.c()}){info.sym.name})"

    def null(self, e, info: ExprFacts) -> str:
        return "((void *)0)" if info.ty is NULLT else f"(({info.ty.c()})0)"

    def struct_field(self, e, info: ExprFacts) -> str:
        base = self.expr(e.value)
        return f"{base}->{cname(e.attr)}" if info.via_ptr else f"{base}.{cname(e.attr)}"

    def index(self, e, info: ExprFacts) -> str:
        return f"{self.expr(e.value)}[{self.expr(e.slice)}]"

    def array_index(self, e, info: ExprFacts) -> str:
        length = self.facts.expr(e.value).ty.length
        return f"{self.expr(e.value)}[cy_index({self.expr(e.slice)}, {length}, __FILE__, __LINE__)]"

    # ------------------------------------------------------------------ operators

    def unary(self, e, info: ExprFacts) -> str:
        t: IntType = info.ty
        v = self.expr(e.operand)
        if isinstance(e.op, ast.UAdd):
            return v
        ut = t.unsigned_c()
        if isinstance(e.op, ast.USub):
            return f"(({t.c()})(0U - ({ut}){v}))"
        return f"(({t.c()})(~({ut}){v}))"

    def not_(self, e, info: ExprFacts) -> str:
        return f"(!{self.cond(e.operand)})"

    def bool_op(self, e, info: ExprFacts) -> str:
        op = " && " if isinstance(e.op, ast.And) else " || "
        return "(" + op.join(self.expr(v) for v in e.values) + ")"

    def binary(self, e, info: ExprFacts) -> str:
        return self.arith(e.op, info.ty, self.expr(e.left), self.expr(e.right))

    def ptr_arith(self, e, info: ExprFacts) -> str:
        return f"({self.expr(e.left)} {_OPS[type(e.op)]} {self.expr(e.right)})"

    def ptr_diff(self, e, info: ExprFacts) -> str:
        return f"((int64_t)({self.expr(e.left)} - {self.expr(e.right)}))"

    def arith(self, op, t: IntType, a: str, b: str) -> str:
        c, ut = t.c(), t.unsigned_c()
        if isinstance(op, ast.LShift):
            return f"(({c})(({ut}){a} << ({b} & {t.bits - 1})))"
        if isinstance(op, ast.RShift):
            if t.signed:
                return f"(({c})((int64_t){a} >> ({b} & {t.bits - 1})))"
            return f"(({c})({a} >> ({b} & {t.bits - 1})))"
        if isinstance(op, (ast.FloorDiv, ast.Mod)):
            if t.signed:
                helper = "cy_sdiv" if isinstance(op, ast.FloorDiv) else "cy_smod"
                return f"(({c}){helper}{t.bits}({a}, {b}))"
            return f"(({c})({a} {_OPS[type(op)]} {b}))"
        return f"(({c})(({ut}){a} {_OPS[type(op)]} ({ut}){b}))"

    def compare(self, e, info: ExprFacts) -> str:
        return f"({self.expr(e.left)} {_CMPS[type(e.ops[0])]} {self.expr(e.comparators[0])})"

    def conditional(self, e, info: ExprFacts) -> str:
        return f"({self.cond(e.test)} ? {self.expr(e.body)} : {self.expr(e.orelse)})"

    # ------------------------------------------------------------------ calls

    def args(self, e) -> list[str]:
        return [self.expr(a) for a in e.args]

    def call(self, e, info: ExprFacts) -> str:
        return f"{info.sym.c_name}({', '.join(self.args(e))})"

    def extern_call(self, e, info: ExprFacts) -> str:
        fn = info.sym
        cast_args = [f"({ctype}){a}" for a, (_, ctype) in zip(self.args(e), fn.params, strict=True)]
        call = f"{fn.name}({', '.join(cast_args)})"
        return call if fn.ret is VOID else f"(({fn.ret.c()}){call})"

    def method_call(self, e, info: ExprFacts) -> str:
        obj = self.expr(e.func.value)
        this = obj if info.via_ptr else f"(&{obj})"
        return f"{info.sym.c_name}({', '.join([this] + self.args(e))})"

    def indirect_call(self, e, info: ExprFacts) -> str:
        return f"({self.expr(e.func)})({', '.join(self.args(e))})"

    def conversion(self, e, info: ExprFacts) -> str:
        inner = self.expr(e.args[0])
        if self.facts.expr(e.args[0]).ty is BOOL:
            inner = f"({inner} ? 1 : 0)"
        return f"(({info.ty.c()}){inner})"

    def cast(self, e, info: ExprFacts) -> str:  # the first argument is a type, not a value
        return f"(({info.ty.c()})({self.expr(e.args[1])}))"

    def addr(self, e, info: ExprFacts) -> str:
        a = e.args[0]
        place = self.expr(a)
        return f"(&{place}[0])" if isinstance(self.facts.expr(a).ty, ArrayType) else f"(&{place})"

    def volatile_load(self, e, info: ExprFacts) -> str:
        return f"(*(volatile {info.ty.c()} *)({self.expr(e.args[0])}))"

    def volatile_store(self, e, info: ExprFacts) -> str:
        t = self.facts.expr(e.args[0]).ty.target
        pointer, value = self.args(e)
        return f"(*(volatile {t.c()} *)({pointer}) = {value})"

    def struct_literal(self, t: StructType, call) -> str:
        inits = ", ".join(f".{cname(kw.arg)} = {self.expr(kw.value)}" for kw in call.keywords)
        return f"({t.c()}){{{inits}}}" if inits else f"({t.c()}){{0}}"

    # A constructor is not an expression of C: the assignment it initialises lowers it.
    _LOWER = {
        ExprKind.CONSTANT: constant, ExprKind.BYTES_LITERAL: bytes_literal, ExprKind.LOCAL: local,
        ExprKind.GLOBAL: global_, ExprKind.FUNCTION: function, ExprKind.EXTERN_VARIABLE: extern_variable,
        ExprKind.NULL: null, ExprKind.FIELD: struct_field, ExprKind.PTR_INDEX: index, ExprKind.BYTES_INDEX: index,
        ExprKind.ARRAY_INDEX: array_index, ExprKind.UNARY: unary, ExprKind.NOT: not_,
        ExprKind.BOOL_OP: bool_op, ExprKind.ARITH: binary, ExprKind.PTR_ARITH: ptr_arith,
        ExprKind.PTR_DIFF: ptr_diff, ExprKind.COMPARE: compare, ExprKind.CONDITIONAL: conditional,
        ExprKind.CALL: call, ExprKind.EXTERN_CALL: extern_call, ExprKind.METHOD_CALL: method_call,
        ExprKind.INDIRECT_CALL: indirect_call, ExprKind.CONVERSION: conversion, ExprKind.CAST: cast,
        ExprKind.ADDR: addr, ExprKind.VOLATILE_LOAD: volatile_load, ExprKind.VOLATILE_STORE: volatile_store,
    }


class FunctionLowerer(ExprLowerer):
    def __init__(self, fn: Function, facts: Facts):
        super().__init__(facts)
        self.fn = fn
        self.checked = facts.functions[fn]
        self.out = CFunction(fn, signature(fn), list(self.checked.locals.values()))
        self.depth = 1
        self.tmp = 0

    def emit(self, node, text):
        self.out.body.append(CLine(0 if node is None else node.lineno, self.depth, text))

    def lower(self) -> CFunction:
        params = {n for n, _ in self.fn.params}
        for name, t in self.checked.locals.items():
            if name in params:
                continue
            init = "" if isinstance(t, (StructType, ArrayType)) else " = 0"
            self.out.locals.append(f"{t.declare(cname(name))} __attribute__((unused)){init};")
        for name, _ in self.fn.params:
            self.out.locals.append(f"(void){cname(name)};")
        self.block(self.checked.body)
        return self.out

    # ------------------------------------------------------------------ statements

    def block(self, body):
        for s in body:
            getattr(self, "stmt_" + type(s).__name__)(s)

    def nested(self, body):
        self.depth += 1
        self.block(body)
        self.depth -= 1

    def stmt_Pass(self, s):
        pass

    def stmt_Global(self, s):
        pass

    def stmt_Expr(self, s):
        if isinstance(s.value, ast.Constant):
            return
        self.emit(s, f"{self.expr(s.value)};")

    def stmt_Return(self, s):
        void = s.value is None or self.fn.ret is VOID  # `return None` in a '-> None' function
        self.emit(s, "return;" if void else f"return {self.expr(s.value)};")

    def stmt_If(self, s):
        self.emit(s, f"if ({self.cond(s.test)}) {{")
        self.nested(s.body)
        orelse = s.orelse
        while len(orelse) == 1 and isinstance(orelse[0], ast.If):
            elif_ = orelse[0]
            self.emit(elif_, f"}} else if ({self.cond(elif_.test)}) {{")
            self.nested(elif_.body)
            orelse = elif_.orelse
        if orelse:
            self.emit(orelse[0], "} else {")
            self.nested(orelse)
        self.emit(None, "}")

    def stmt_While(self, s):
        self.emit(s, f"while ({self.cond(s.test)}) {{")
        self.nested(s.body)
        self.emit(None, "}")

    def stmt_For(self, s):
        loop = self.facts.loops[s]
        t = loop.var_type
        args = s.iter.args
        start = self.expr(args[0]) if len(args) > 1 else scalar_c_literal(t, 0)
        stop = self.expr(args[1] if len(args) > 1 else args[0])
        i = cname(s.target.id)
        self.tmp += 1
        end = f"cy_end_{self.tmp}"
        step = loop.step
        self.emit(s, "{")
        self.depth += 1
        self.emit(s, f"{t.c()} {end} = {stop};")
        # The step is computed so the variable never wraps past the end (Python stops exactly there).
        ut = t.unsigned_c()
        if step > 0:
            test = f"{i} < {end}"
            advance = (f"{i}++" if step == 1 else
                       f"{i} = (({ut})({end}) - ({ut})({i}) <= ({ut}){step}) ? {end} : ({t.c()})(({ut}){i} + {step}U)")
        else:
            test = f"{i} > {end}"
            advance = (f"{i}--" if step == -1 else
                       f"{i} = (({ut})({i}) - ({ut})({end}) <= ({ut}){-step}) ? {end} "
                       f": ({t.c()})(({ut}){i} - {-step}U)")
        self.emit(s, f"for ({i} = {start}; {test}; {advance}) {{")
        self.nested(s.body)
        self.emit(None, "}")
        self.depth -= 1
        self.emit(None, "}")

    def stmt_Break(self, s):
        self.emit(s, "break;")

    def stmt_Continue(self, s):
        self.emit(s, "continue;")

    def stmt_Assert(self, s):
        text = ast.unparse(s.test).encode()
        self.emit(s, f"if (!({self.cond(s.test)})) "
                     f"cy_assert_fail((uint8_t *)__FILE__, __LINE__, (uint8_t *){c_string(text)});")

    def stmt_AnnAssign(self, s):
        self.assign(s, s.target, s.value)

    def stmt_Assign(self, s):
        self.assign(s, s.targets[0], s.value)

    def assign(self, s, target, value):
        place = self.expr(target)
        if self.facts.expr(value).kind is ExprKind.CONSTRUCTOR:
            t = self.facts.expr(value).ty
            if isinstance(t, ArrayType):
                self.emit(s, f"__builtin_memset(&{place}, 0, sizeof({place}));")
            else:
                self.emit(s, f"{place} = {self.struct_literal(t, value)};")
            return
        self.emit(s, f"{place} = {self.expr(value)};")

    def stmt_AugAssign(self, s):
        info = self.facts.expr(s)
        place = self.expr(s.target)
        if info.kind is ExprKind.PTR_ARITH:
            self.emit(s, f"{place} = {place} {_OPS[type(s.op)]} {self.expr(s.value)};")
            return
        self.emit(s, f"{place} = {self.arith(s.op, info.ty, place, self.expr(s.value))};")


def lower_function(fn: Function, facts: Facts) -> CFunction:
    return FunctionLowerer(fn, facts).lower()


def lower_global(g: Global, facts: Facts) -> CGlobal:
    value = g.node.value
    t = g.type
    if isinstance(t, ArrayType):
        return CGlobal(g, "")
    if isinstance(t, StructType):
        if not value.keywords:
            return CGlobal(g, "")
        low = ExprLowerer(facts)
        inits = ", ".join(f".{cname(kw.arg)} = {low.expr(kw.value)}" for kw in value.keywords)
        return CGlobal(g, f" = {{{inits}}}")
    info = facts.expr(value)
    if info.kind is ExprKind.NULL:
        return CGlobal(g, " = 0")
    if info.kind is ExprKind.FUNCTION:
        return CGlobal(g, f" = &{info.sym.c_name}")
    return CGlobal(g, f" = {constant_literal(info.const, t)}")
