"""Stage 3: check — type-check function bodies and annotate the AST for lowering.

Every expression node gets `.ty` (its dialect type) and, when known at compile time, `.const`.
Names, attributes and calls get `.sym` / `.kind` telling the lowering what they refer to.
Rejected Python gets a CompileError that says what to write instead.
"""
from __future__ import annotations

import ast

from . import consteval
from .errors import CompileError
from .externs import ExternVariable
from .resolve import Const, Extern, Function, Global, Intrinsic, Module, Program
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


class FunctionChecker:
    def __init__(self, program: Program, fn: Function):
        self.p = program
        self.fn = fn
        self.mod: Module = fn.module
        self.locals: dict[str, Type] = dict(fn.params)
        self.params = {n for n, _ in fn.params}
        self.globals: set[str] = set()
        self.loop_depth = 0
        self.active_loopvars: set[str] = set()
        self.loopvars: set[str] = set()
        fn.locals = self.locals

    def error(self, node, message, hint=""):
        return CompileError(self.mod.source, node, message, hint)

    # ------------------------------------------------------------------ statements

    def check(self) -> None:
        body = self.fn.node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(
                body[0].value.value, str):
            body = body[1:]
        self.fn.body = body
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
                s.value = None
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
            if not hasattr(it.args[2], "const"):
                raise self.error(it.args[2], "the range step must be a constant", "use a while loop")
            step = it.args[2].const
            if step == 0:
                raise self.error(it.args[2], "range step must not be zero")
            if step < 0 and not kind.signed:
                raise self.error(it.args[2], f"a negative step needs a signed loop variable, not {kind}")
        for a in it.args:
            self.coerce(a, kind, "range bound")
        s.step = step
        s.kind = kind
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

    def _value_for_struct(self, target_t, value, node):
        """Struct and array variables are initialised only by their constructor."""
        if not (isinstance(value, ast.Call)):
            raise self.error(value, f"a {target_t} variable is initialised with its constructor",
                             f"{ast.unparse(node)} = {target_t}() ; to copy a struct write p[0] = q[0]")
        ctor_t = self.ctor_type(value.func)
        if ctor_t != target_t:
            raise self.error(value, f"expected a {target_t} constructor")
        value.kind = "ctor"
        value.ty = target_t
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

    def stmt_AnnAssign(self, s):
        if not isinstance(s.target, ast.Name):
            raise self.error(s.target, "annotations are allowed on plain names only")
        t = self.p.resolve_type(self.mod, s.annotation)
        if s.value is None:
            raise self.error(s, f"'{s.target.id}' needs an initial value", f"{s.target.id}: {t} = ...")
        if s.target.id in self.active_loopvars:
            raise self.error(s.target, f"the loop variable '{s.target.id}' cannot be assigned in the loop")
        if isinstance(t, (StructType, ArrayType)):
            self._value_for_struct(t, s.value, s.target)
        else:
            self.coerce(s.value, t, f"'{s.target.id}'")
        self.declare_local(s.target, s.target.id, t)
        s.target.ty = t

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
            elif name in self.globals:
                target.kind, target.sym = "global", self.mod.symbols[name]
                t = target.sym.type
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
                target.ty = t
                return
            if isinstance(t, (StructType, ArrayType)):
                raise self.error(s, f"assigning a whole {t} is not supported",
                                 "copy it with p[0] = q[0] through pointers, or memcpy")
            self.coerce(s.value, t, f"'{name}'")
            target.ty = t
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
        if result != t:
            raise self.error(s, f"'{ast.unparse(s)}' changes the type of its target from {t} to {result}")
        s.ty = t
        s.kind = getattr(fake, "kind", None)  # "ptrarith" for p += n

    # ------------------------------------------------------------------ lvalues

    def lvalue(self, node) -> Type:
        if isinstance(node, ast.Attribute):
            t = self.expr(node)
            if getattr(node, "kind", None) == "global":
                return t
            if getattr(node, "kind", None) != "field":
                raise self.error(node, f"'{ast.unparse(node)}' cannot be assigned")
            return t
        if isinstance(node, ast.Subscript):
            t = self.expr(node)
            if getattr(node, "kind", None) == "bytes":
                raise self.error(node, "bytes literals are read-only")
            return t
        raise self.error(node, f"'{ast.unparse(node)}' cannot be assigned")

    # ------------------------------------------------------------------ expressions

    def cond(self, e) -> None:
        """An expression in a condition: bools, integers and pointers (tested against zero)."""
        if isinstance(e, ast.BoolOp):
            for v in e.values:
                self.cond(v)
            e.ty = BOOL
            return
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            self.cond(e.operand)
            e.ty = BOOL
            return
        t = self.expr(e)
        if t is UNTYPED:
            self.coerce(e, INTS["i64"], "condition")
            t = e.ty
        if not (t is BOOL or isinstance(t, (IntType, PtrType, FuncType))):
            raise self.error(e, f"a {t} cannot be used as a condition")
        e.is_cond = True

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
        if t == target:
            return True
        if t is UNTYPED and isinstance(target, IntType):
            if not target.fits(e.const):
                raise self.error(e, f"{e.const} does not fit in {target}",
                                 f"write {target}({e.const}) to wrap it explicitly")
            e.ty = target
            return True
        if t is NULLT and isinstance(target, (PtrType, FuncType)):
            e.ty = target
            return True
        if t is BYTES and isinstance(target, PtrType) and target.target in (None, INTS["u8"], INTS["i8"]):
            e.cast_to = target
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
        if isinstance(e, ast.Call):
            t = method(e, expected, statement)
        else:
            t = method(e, expected)
        e.ty = t
        return t

    def expr_Constant(self, e, expected):
        v = e.value
        if isinstance(v, bool):
            e.const = v
            return BOOL
        if isinstance(v, int):
            e.const = v
            return UNTYPED
        if isinstance(v, bytes):
            return BYTES
        if isinstance(v, str):
            raise self.error(e, "str is not in the dialect", f"use a byte string: b{v!r}")
        if isinstance(v, float):
            raise self.error(e, "floating point is not in the dialect", "use integers (fixed point)")
        if v is None:
            raise self.error(e, "None is not a value in the dialect", "use NULL for pointers")
        raise self.error(e, f"{type(v).__name__} literals are not in the dialect")

    def expr_Name(self, e, expected):
        name = e.id
        if name in self.locals:
            if name in self.loopvars and name not in self.active_loopvars:
                raise self.error(e, f"the loop variable '{name}' is not defined after its loop",
                                 "copy it into another variable inside the loop")
            e.kind = "local"
            return self.locals[name]
        sym = self.mod.symbols.get(name)
        if sym is None:
            if name in ("True", "False"):
                e.const = name == "True"
                return BOOL
            if name in ("print", "len", "int", "str", "list", "dict", "range", "isinstance", "type", "id"):
                if name == "len":
                    raise self.error(e, "len is called as len(array)")
                raise self.error(e, f"the builtin '{name}' is not in the dialect")
            raise self.error(e, f"unknown name '{name}'", "define it, or import it")
        return self.symbol_value(e, self.p.lookup(self.mod, e))

    def symbol_value(self, e, sym) -> Type:
        if isinstance(sym, Global):
            e.kind, e.sym = "global", sym
            return sym.type
        if isinstance(sym, Const):
            e.kind, e.const = "const", sym.value
            return sym.type
        if isinstance(sym, Function):
            e.kind, e.sym = "function", sym
            return sym.type
        if isinstance(sym, Intrinsic) and sym.name == "NULL":
            e.kind = "null"
            return NULLT
        if isinstance(sym, Extern) and isinstance(sym.fn, ExternVariable):
            e.kind, e.sym = "externvar", sym.fn
            return sym.fn.type
        what = {Module: "a module", StructType: "a struct type", EnumType: "an enum type",
                Intrinsic: "a dialect intrinsic", Extern: "a C function"}.get(type(sym), "not a value")
        raise self.error(e, f"'{ast.unparse(e)}' is {what}, not a value",
                         "call C runtime functions directly" if isinstance(sym, Extern) else "")

    def expr_Attribute(self, e, expected):
        base = e.value
        if isinstance(base, (ast.Name, ast.Attribute)) and not (isinstance(base, ast.Name) and base.id in self.locals):
            owner = self.p.lookup(self.mod, base) if not self._is_value_name(base) else None
            if isinstance(owner, Module):
                sym = self.p.lookup(self.mod, e)
                if isinstance(sym, Global):
                    e.kind, e.sym = "global", sym
                    return sym.type
                return self.symbol_value(e, sym)
            if isinstance(owner, EnumType):
                if e.attr not in owner.members:
                    raise self.error(e, f"enum {owner.name} has no member '{e.attr}'",
                                     f"members: {', '.join(owner.members)}")
                e.kind, e.const = "const", owner.members[e.attr]
                return owner
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
        e.kind, e.via_ptr = "field", via_ptr
        return f[0]

    def _is_value_name(self, node) -> bool:
        return isinstance(node, ast.Name) and (node.id in self.locals or isinstance(
            self.mod.symbols.get(node.id), Global))

    def expr_Subscript(self, e, expected):
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
            e.kind = "ptr"
            return t.target
        if isinstance(t, ArrayType):
            if hasattr(e.slice, "const") and not 0 <= e.slice.const < t.length:
                raise self.error(e.slice, f"index {e.slice.const} is outside {t}")
            e.kind = "array"
            e.length = t.length
            return t.elem
        if t is BYTES:
            e.kind = "bytes"
            return INTS["u8"]
        raise self.error(e, f"{t} cannot be indexed")

    def expr_UnaryOp(self, e, expected):
        if isinstance(e.op, ast.Not):
            self.cond(e.operand)
            return BOOL
        t = self.expr(e.operand, expected)
        if t is UNTYPED:
            e.const = consteval._UNOPS[type(e.op)](e.operand.const)
            return UNTYPED
        if not isinstance(t, IntType):
            raise self.error(e, f"'{ast.unparse(e)}': unary operator on {t}")
        return t

    def expr_BoolOp(self, e, expected):
        for v in e.values:
            t = self.expr(v)
            if t is not BOOL:
                raise self.error(v, f"'and'/'or' as a value need bool operands, not {t}",
                                 f"compare explicitly: ({ast.unparse(v)}) != 0")
        return BOOL

    def expr_BinOp(self, e, expected):
        return self.binop(e, expected=expected)

    def binop(self, e, expected=None, target_known=None) -> Type:
        op = e.op
        if isinstance(op, ast.Div):
            raise self.error(e, "'/' (true division) is not in the dialect", "use '//' (C integer division)")
        if isinstance(op, (ast.Pow, ast.MatMult)):
            raise self.error(e, f"'{ast.unparse(e)}': this operator is not in the dialect",
                             "use shifts or a loop" if isinstance(op, ast.Pow) else "")
        lt = target_known if target_known is not None else self.expr(e.left)
        rt = self.expr(e.right)
        if lt is UNTYPED and rt is UNTYPED and target_known is None:
            e.const = consteval.fold(op, e.left.const, e.right.const, self.mod.source, e)
            return UNTYPED
        if isinstance(op, _SHIFT):
            if lt is UNTYPED:
                raise self.error(e.left, "the left operand of a shift needs a type",
                                 f"write {expected if isinstance(expected, IntType) else 'u64'}"
                                 f"({ast.unparse(e.left)}) {'<<' if isinstance(op, ast.LShift) else '>>'} ...")
            if not isinstance(lt, IntType):
                raise self.error(e, f"cannot shift a {lt}")
            if rt is UNTYPED:
                if e.right.const < 0:
                    raise self.error(e.right, "negative shift count")
                self.coerce(e.right, INTS["u32"], "shift count")
            elif not isinstance(rt, IntType):
                raise self.error(e.right, f"a shift count must be an integer, not {rt}")
            return lt
        if isinstance(lt, PtrType) and isinstance(op, (ast.Add, ast.Sub)):
            if lt.target is None:
                raise self.error(e, "arithmetic on Ptr[None] is not allowed", "cast it to Ptr[u8] first")
            if isinstance(op, ast.Sub) and isinstance(rt, PtrType):
                if rt != lt:
                    raise self.error(e, f"subtracting {rt} from {lt}")
                e.kind = "ptrdiff"
                return INTS["i64"]
            if rt is UNTYPED:
                self.coerce(e.right, INTS["i64"], "offset")
            elif not isinstance(rt, IntType):
                raise self.error(e.right, f"a pointer offset must be an integer, not {rt}")
            e.kind = "ptrarith"
            return lt
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
        if isinstance(op, (ast.FloorDiv, ast.Mod)) and getattr(e.right, "const", None) == 0:
            raise self.error(e.right, "division by zero")
        return t

    def expr_Compare(self, e, expected):
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
            e.cmp_type = INTS["i64"]
            return BOOL
        if lt is UNTYPED:
            self.coerce(e.left, rt, "operand")
            lt = rt
        elif rt is UNTYPED:
            self.coerce(right, lt, "operand")
            rt = lt
        if lt is NULLT and isinstance(rt, (PtrType, FuncType)):
            e.left.ty = lt = rt
        if rt is NULLT and isinstance(lt, (PtrType, FuncType)):
            right.ty = rt = lt
        ok = lt == rt or (isinstance(lt, PtrType) and isinstance(rt, PtrType) and None in (lt.target, rt.target))
        if not ok:
            raise self.error(e, f"cannot compare {lt} with {rt}", "convert one side explicitly")
        if isinstance(lt, (StructType, ArrayType)):
            raise self.error(e, f"{lt} values cannot be compared", "compare their fields")
        if lt in (BOOL,) or isinstance(lt, (EnumType, FuncType)):
            if type(op) not in (ast.Eq, ast.NotEq):
                raise self.error(e, f"{lt} values are only compared with == and !=")
        e.cmp_type = lt
        return BOOL

    def expr_IfExp(self, e, expected):
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

    def expr_Call(self, e, expected, statement):
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
            e.kind, e.sym = "call", sym
            self.args(e, [t for _, t in sym.params], sym.name)
            return sym.ret
        if isinstance(sym, Extern) and isinstance(sym.fn, ExternVariable):
            raise self.error(e, f"'{sym.fn.name}' is a linker symbol (its value is an address), not a function")
        if isinstance(sym, Extern):
            e.kind, e.sym = "extern", sym.fn
            self.args(e, [t for t, _ in sym.fn.params], sym.fn.name)
            return sym.fn.ret
        # a method call, or a call through a function pointer
        if isinstance(f, ast.Attribute):
            bt = self.expr(f.value)
            st = bt.target if isinstance(bt, PtrType) and isinstance(bt.target, StructType) else (
                bt if isinstance(bt, StructType) else None)
            if st is not None and f.attr in st.methods:
                m = st.methods[f.attr]
                e.kind, e.sym, e.via_ptr = "method", m, isinstance(bt, PtrType)
                self.args(e, [t for _, t in m.params[1:]], f"{st.name}.{f.attr}")
                return m.ret
        ft = self.expr(f)
        if isinstance(ft, FuncType):
            e.kind = "indirect"
            self.args(e, list(ft.params), ast.unparse(f))
            return ft.ret
        raise self.error(e, f"'{ast.unparse(f)}' is not callable ({ft})")

    def args(self, e, params, name):
        if len(e.args) != len(params):
            raise self.error(e, f"{name}() takes {len(params)} argument(s), {len(e.args)} given")
        for i, (a, t) in enumerate(zip(e.args, params, strict=True)):
            self.coerce(a, t, f"argument {i + 1} of {name}()")

    def call_len(self, e):
        if len(e.args) != 1:
            raise self.error(e, "len takes one argument")
        a = e.args[0]
        if isinstance(a, ast.Constant) and isinstance(a.value, bytes):
            e.const, e.kind = len(a.value), "const"
            a.ty = BYTES
            return UNTYPED
        t = self.expr(a)
        if isinstance(t, ArrayType):
            e.const, e.kind = t.length, "const"
            return UNTYPED
        raise self.error(e, f"len() of {t} is not known", "len works on arrays and bytes literals")

    def type_arg(self, node) -> Type:
        return self.p.resolve_type(self.mod, node)

    def call_intrinsic(self, e, name, expected):
        n = len(e.args)
        if name in INTS:
            t = INTS[name]
            if n != 1:
                raise self.error(e, f"{name}() takes one value")
            at = self.expr(e.args[0])
            if at is UNTYPED:
                e.const = wrap(e.args[0].const, t)
                e.kind = "typedconst"
                return t
            if isinstance(at, PtrType):
                raise self.error(e, f"convert a pointer with cast({name}, p)")
            if not (isinstance(at, (IntType, EnumType)) or at is BOOL):
                raise self.error(e.args[0], f"cannot convert {at} to {name}")
            e.kind = "conv"
            return t
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
            e.kind = "cast"
            return t
        if name == "sizeof":
            if n != 1:
                raise self.error(e, "sizeof takes one type")
            t = self.type_arg(e.args[0])
            e.const = t.size
            e.kind = "const"
            return UNTYPED
        if name == "offsetof":
            if n != 2 or not (isinstance(e.args[1], ast.Constant) and isinstance(e.args[1].value, str)):
                raise self.error(e, "offsetof takes a struct and a field name", 'offsetof(S, "field")')
            t = self.type_arg(e.args[0])
            if not isinstance(t, StructType) or t.field(e.args[1].value) is None:
                raise self.error(e, f"{t} has no field {e.args[1].value!r}")
            e.const = t.field(e.args[1].value)[1]
            e.kind = "const"
            return UNTYPED
        if name == "addr":
            if n != 1:
                raise self.error(e, "addr takes one struct or array value")
            a = e.args[0]
            t = self.expr(a)
            is_place = isinstance(a, (ast.Name, ast.Attribute, ast.Subscript)) and getattr(a, "kind", "") in (
                "local", "global", "field", "ptr", "array")
            if not is_place or not isinstance(t, (StructType, ArrayType)):
                raise self.error(a, f"addr() takes a struct or array variable or field, not {t}",
                                 'for a scalar field use offsetof: cast(Ptr[u32], cast(usize, p) + offsetof(S, "f"))')
            if isinstance(t, ArrayType) and isinstance(t.elem, ArrayType):
                raise self.error(a, f"addr() of {t} would be a pointer to an array, which the dialect does not have",
                                 f"take the address of one row: addr({ast.unparse(a)}[i])")
            e.kind = "addr"
            return PtrType(t.elem) if isinstance(t, ArrayType) else PtrType(t)
        if name == "volatile_load":
            if n != 1:
                raise self.error(e, "volatile_load takes a pointer")
            t = self.expr(e.args[0])
            if not (isinstance(t, PtrType) and isinstance(t.target, IntType)):
                raise self.error(e.args[0], f"volatile_load needs a pointer to an integer, not {t}")
            e.kind = "vload"
            return t.target
        if name == "volatile_store":
            if n != 2:
                raise self.error(e, "volatile_store takes a pointer and a value")
            t = self.expr(e.args[0])
            if not (isinstance(t, PtrType) and isinstance(t.target, IntType)):
                raise self.error(e.args[0], f"volatile_store needs a pointer to an integer, not {t}")
            self.coerce(e.args[1], t.target, "stored value")
            e.kind = "vstore"
            return VOID
        raise self.error(e, f"'{name}' cannot be called here")


def check_program(program: Program) -> list[CompileError]:
    errors = []
    for mod in program.order:
        for fn in mod.functions:
            try:
                FunctionChecker(program, fn).check()
            except CompileError as err:
                errors.append(err)
        for g in mod.globals:
            try:
                check_global_init(program, mod, g)
            except CompileError as err:
                errors.append(err)
    return errors


def check_global_init(program: Program, mod: Module, g: Global) -> None:
    value = g.node.value
    t = g.type
    if isinstance(t, (StructType, ArrayType)):
        fc = FunctionChecker.__new__(FunctionChecker)
        fc.p, fc.mod, fc.locals, fc.globals = program, mod, {}, set()
        fc.loopvars, fc.active_loopvars, fc.params = set(), set(), set()
        fc._value_for_struct(t, value, g.node.target)
        for kw in value.keywords:
            if not hasattr(kw.value, "const"):
                raise CompileError(mod.source, kw.value, "global initialisers must be constants")
        return
    if isinstance(t, PtrType) or isinstance(t, FuncType):
        if isinstance(value, (ast.Name, ast.Attribute)) and isinstance(program.lookup(mod, value), Intrinsic) \
                and program.lookup(mod, value).name == "NULL":
            value.ty, value.kind = t, "null"
            return
        sym = program.lookup(mod, value) if isinstance(value, (ast.Name, ast.Attribute)) else None
        if isinstance(t, FuncType) and isinstance(sym, Function) and sym.type == t:
            value.ty, value.kind, value.sym = t, "function", sym
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
    value.const = v
    value.ty = t
