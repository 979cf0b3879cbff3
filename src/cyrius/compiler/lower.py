"""Stage 4: lower — checked AST to C statements and expressions.

Each function becomes a `CFunction`: hoisted locals and a list of `CLine`s, each remembering the
Python line it came from so the emitter can put a `#line` directive before it. Arithmetic is
lowered to C that has no undefined behaviour: signed operations go through the unsigned type of the
same width, shift counts are masked, signed division goes through helpers in cyrius/lang.h.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .resolve import Function, Global
from .types import (BOOL, NULLT, VOID, ArrayType, EnumType, FuncType, IntType, PtrType,
                    StructType, Type, scalar_c_literal)

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
    locals: list = field(default_factory=list)  # C declarations
    body: list = field(default_factory=list)  # [CLine]


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


def signature(fn: Function) -> str:
    params = ", ".join(t.declare(cname(name)) for name, t in fn.params) or "void"
    return f"{fn.ret.c()} {fn.c_name}({params})"


class Lowerer:
    def __init__(self, fn: Function):
        self.fn = fn
        self.out = CFunction(fn, signature(fn))
        self.depth = 1
        self.tmp = 0

    def emit(self, node, text):
        self.out.body.append(CLine(getattr(node, "lineno", 0), self.depth, text))

    def lower(self) -> CFunction:
        params = {n for n, _ in self.fn.params}
        for name, t in self.fn.locals.items():
            if name in params:
                continue
            init = "" if isinstance(t, (StructType, ArrayType)) else " = 0"
            self.out.locals.append(f"{t.declare(cname(name))} __attribute__((unused)){init};")
        for name, _ in self.fn.params:
            self.out.locals.append(f"(void){cname(name)};")
        self.block(self.fn.body)
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
        self.emit(s, "return;" if s.value is None else f"return {self.expr(s.value)};")

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
        t: IntType = s.kind
        args = s.iter.args
        start = self.expr(args[0]) if len(args) > 1 else scalar_c_literal(t, 0)
        stop = self.expr(args[1] if len(args) > 1 else args[0])
        i = cname(s.target.id)
        self.tmp += 1
        end = f"cy_end_{self.tmp}"
        step = s.step
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
        if getattr(value, "kind", None) == "ctor":
            place = self.expr(target) if not isinstance(target, ast.Name) else cname(target.id)
            t = value.ty
            if isinstance(t, ArrayType):
                self.emit(s, f"__builtin_memset(&{place}, 0, sizeof({place}));")
            else:
                self.emit(s, f"{place} = {self.struct_literal(t, value)};")
            return
        if isinstance(target, ast.Name) and getattr(target, "kind", None) is None and hasattr(target, "ty"):
            place = cname(target.id)
        else:
            place = self.expr(target)
        self.emit(s, f"{place} = {self.expr(value)};")

    def struct_literal(self, t: StructType, call) -> str:
        inits = ", ".join(f".{cname(kw.arg)} = {self.expr(kw.value)}" for kw in call.keywords)
        return f"({t.c()}){{{inits}}}" if inits else f"({t.c()}){{0}}"

    def stmt_AugAssign(self, s):
        place = self.expr(s.target)
        if s.kind == "ptrarith":
            self.emit(s, f"{place} = {place} {_OPS[type(s.op)]} {self.expr(s.value)};")
            return
        value = self.arith(s.op, s.ty, place, self.expr(s.value), s)
        self.emit(s, f"{place} = {value};")

    # ------------------------------------------------------------------ expressions

    def cond(self, e) -> str:
        if isinstance(e, ast.BoolOp):
            op = " && " if isinstance(e.op, ast.And) else " || "
            return "(" + op.join(self.cond(v) for v in e.values) + ")"
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            return f"(!{self.cond(e.operand)})"
        text = self.expr(e)
        if e.ty is BOOL:
            return text
        if isinstance(e.ty, (PtrType, FuncType)):
            return f"({text} != 0)"
        return f"({text} != 0)"

    def expr(self, e) -> str:
        text = self._expr(e)
        target = getattr(e, "cast_to", None)
        if target is not None:
            text = f"(({target.c()}){text})"
        return text

    def _expr(self, e) -> str:
        t = getattr(e, "ty", None)
        kind = getattr(e, "kind", None)
        if hasattr(e, "const") and kind not in ("typedconst",) and not isinstance(e, ast.Call) or kind == "const":
            return self.constant(e.const, t)
        if kind == "typedconst":
            return scalar_c_literal(t, e.const)
        return getattr(self, "expr_" + type(e).__name__)(e)

    def constant(self, value, t) -> str:
        if t is BOOL or isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(t, IntType):
            return scalar_c_literal(t, value)
        if isinstance(t, EnumType):
            return f"((int32_t){value})"
        return untyped_literal(value)

    def expr_Constant(self, e):
        if isinstance(e.value, bytes):
            return f"((uint8_t *){c_string(e.value)})"
        raise AssertionError(f"unlowered constant {e.value!r}")

    def expr_Name(self, e):
        kind = getattr(e, "kind", None)
        if kind == "global":
            return e.sym.c_name
        if kind == "function":
            return f"(&{e.sym.c_name})"
        if kind == "externvar":
            return f"(({e.ty.c()}){e.sym.name})"
        if kind == "null":
            return "((void *)0)" if e.ty is NULLT else f"(({e.ty.c()})0)"
        return cname(e.id)

    def expr_Attribute(self, e):
        kind = getattr(e, "kind", None)
        if kind in ("global", "function", "null"):
            return self.expr_Name(e)
        if kind == "field":
            base = self.expr(e.value)
            return f"{base}->{cname(e.attr)}" if e.via_ptr else f"{base}.{cname(e.attr)}"
        raise AssertionError(f"unlowered attribute {ast.unparse(e)}")

    def expr_Subscript(self, e):
        base = self.expr(e.value)
        index = self.expr(e.slice)
        if e.kind == "array":
            return f"{base}[cy_index({index}, {e.length}, __FILE__, __LINE__)]"
        return f"{base}[{index}]"

    def expr_UnaryOp(self, e):
        if isinstance(e.op, ast.Not):
            return f"(!{self.cond(e.operand)})"
        t: IntType = e.ty
        v = self.expr(e.operand)
        if isinstance(e.op, ast.UAdd):
            return v
        ut = t.unsigned_c()
        if isinstance(e.op, ast.USub):
            return f"(({t.c()})(0U - ({ut}){v}))"
        return f"(({t.c()})(~({ut}){v}))"

    def expr_BoolOp(self, e):
        op = " && " if isinstance(e.op, ast.And) else " || "
        return "(" + op.join(self.expr(v) for v in e.values) + ")"

    def expr_BinOp(self, e):
        kind = getattr(e, "kind", None)
        left, right = self.expr(e.left), self.expr(e.right)
        if kind == "ptrarith":
            return f"({left} {_OPS[type(e.op)]} {right})"
        if kind == "ptrdiff":
            return f"((int64_t)({left} - {right}))"
        return self.arith(e.op, e.ty, left, right, e)

    def arith(self, op, t: IntType, a: str, b: str, node) -> str:
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

    def expr_Compare(self, e):
        return f"({self.expr(e.left)} {_CMPS[type(e.ops[0])]} {self.expr(e.comparators[0])})"

    def expr_IfExp(self, e):
        return f"({self.cond(e.test)} ? {self.expr(e.body)} : {self.expr(e.orelse)})"

    def expr_Call(self, e):
        kind = e.kind
        if kind == "cast":  # the first argument is a type, not a value
            return f"(({e.ty.c()})({self.expr(e.args[1])}))"
        args = [self.expr(a) for a in e.args]
        if kind == "call":
            return f"{e.sym.c_name}({', '.join(args)})"
        if kind == "extern":
            cast_args = [f"({ctype}){a}" for a, (_, ctype) in zip(args, e.sym.params, strict=True)]
            call = f"{e.sym.name}({', '.join(cast_args)})"
            return call if e.sym.ret is VOID else f"(({e.sym.ret.c()}){call})"
        if kind == "method":
            obj = self.expr(e.func.value)
            this = obj if e.via_ptr else f"(&{obj})"
            return f"{e.sym.c_name}({', '.join([this] + args)})"
        if kind == "indirect":
            return f"({self.expr(e.func)})({', '.join(args)})"
        if kind == "conv":
            src = e.args[0].ty
            inner = args[0]
            if src is BOOL:
                inner = f"({inner} ? 1 : 0)"
            return f"(({e.ty.c()}){inner})"
        if kind == "addr":
            a = e.args[0]
            place = self.expr(a)
            return f"(&{place}[0])" if isinstance(a.ty, ArrayType) else f"(&{place})"
        if kind == "vload":
            t: Type = e.ty
            return f"(*(volatile {t.c()} *)({args[0]}))"
        if kind == "vstore":
            t = e.args[0].ty.target
            return f"(*(volatile {t.c()} *)({args[0]}) = {args[1]})"
        raise AssertionError(f"unlowered call {ast.unparse(e)}")


def lower_function(fn: Function) -> CFunction:
    return Lowerer(fn).lower()


def global_initialiser(g: Global) -> str:
    value = g.node.value
    t = g.type
    if isinstance(t, ArrayType):
        return ""
    if isinstance(t, StructType):
        if not value.keywords:
            return ""
        low = Lowerer.__new__(Lowerer)
        inits = ", ".join(f".{cname(kw.arg)} = {low.expr(kw.value)}" for kw in value.keywords)
        return f" = {{{inits}}}"
    if getattr(value, "kind", None) == "null":
        return " = 0"
    if getattr(value, "kind", None) == "function":
        return f" = &{value.sym.c_name}"
    low = Lowerer.__new__(Lowerer)
    return f" = {low.constant(value.const, t)}"
