"""Stage 2: resolve — find modules, follow imports, declare every top-level name and type.

Produces a `Program`: modules in dependency order, each with its symbol table (functions with
signatures, globals, constants, structs laid out as C lays them out, enums) ready for the checker.
The symbols themselves are defined in `symbols`.
"""
from __future__ import annotations

import ast
from pathlib import Path

from . import consteval
from .errors import CompileError, CompileErrors, nested_too_deeply
from .externs import ExternFunction
from .parse import parse_module, read_source
from .symbols import Const, Extern, Function, Global, Intrinsic, Module, PendingConst
from .types import (BOOL, INTS, UNTYPED, VOID, ArrayType, EnumType, FuncType, IntType,
                    PtrType, StructType, Type)

# Names a Ptr has of its own in host mode (cyrius.lang.PtrBase): `p.address` is the pointer's address,
# so a field of that name would read differently under CPython than in the compiled C.
RESERVED_FIELD_NAMES = frozenset({"address"})

LANG_MODULES = {"cyrius.lang"}
RT_MODULE = "cyrius.rt"
INTRINSICS = {"Ptr", "Array", "struct", "NULL", "cast", "sizeof", "offsetof", "addr", "volatile_load",
              "volatile_store", "export", "Final", "IntEnum", "Callable", *INTS}
FOREIGN_OK = {("typing", "Final"), ("typing", "Callable"), ("enum", "IntEnum")}


def c_prefix(modname: str) -> str:
    return modname.replace(".", "_")


def _is_docstring(stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(
        stmt.value.value, str)


class Program:
    """All modules reachable from the roots, resolved."""

    def __init__(self, roots: list[Path], externs: dict[str, ExternFunction], display_root: Path | None = None):
        self.roots = [Path(r) for r in roots]
        self.externs = externs
        self.display_root = display_root
        self.modules: dict[str, Module] = {}
        self.order: list[Module] = []
        self.errors: list[CompileError] = []

    # ------------------------------------------------------------- module discovery

    def find(self, modname: str) -> Path | None:
        if not all(part.isidentifier() for part in modname.split(".")):
            return None
        rel = Path(*modname.split("."))
        for root in self.roots:
            for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    def display(self, path: Path) -> str:
        base = self.display_root
        try:
            return str(path.resolve().relative_to(base.resolve())) if base else str(path)
        except ValueError:
            return str(path)

    def load(self, modname: str, importer: Module | None = None, node=None) -> Module:
        if modname in self.modules:
            mod = self.modules[modname]
            if mod not in self.order and importer is not None:
                raise CompileError(importer.source, node, f"import cycle through module '{modname}'",
                                   "move the shared declarations into a third module both can import")
            return mod
        path = self.find(modname)
        if path is None:
            src = importer.source if importer else None
            raise CompileError(src, node, f"no dialect module named '{modname}'",
                               f"looked in: {', '.join(str(r) for r in self.roots)}")
        source = read_source(path, self.display(path))
        tree = parse_module(source)
        mod = Module(modname, source, tree, c_prefix(modname), is_package=path.name == "__init__.py")
        self.modules[modname] = mod
        self._imports(mod)
        self.order.append(mod)
        return mod

    def _package_of(self, mod: Module) -> str:
        return mod.name if mod.is_package else mod.name.rpartition(".")[0]

    def _imports(self, mod: Module) -> None:
        for stmt in mod.tree.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.name in LANG_MODULES or alias.name == RT_MODULE:
                        raise CompileError(mod.source, stmt, f"'import {alias.name}' is not supported",
                                           f"write 'from {alias.name} import name'")
                    if alias.asname is None and "." in alias.name:
                        raise CompileError(mod.source, stmt, f"'import {alias.name}' binds only the top "
                                           "package", f"write 'import {alias.name} as "
                                           f"{alias.name.rpartition('.')[2]}'")
                    target = self.load(alias.name, mod, stmt)
                    mod.deps.append(target)
                    mod.symbols[alias.asname or alias.name] = target
            elif isinstance(stmt, ast.ImportFrom):
                self._import_from(mod, stmt)

    def _import_from(self, mod: Module, stmt: ast.ImportFrom) -> None:
        base = stmt.module or ""
        if stmt.level:
            pkg = [part for part in self._package_of(mod).split(".") if part]
            if stmt.level - 1 >= len(pkg):
                raise CompileError(mod.source, stmt, "relative import beyond the top-level package",
                                   "import by the full module name")
            pkg = pkg[:len(pkg) - (stmt.level - 1)]
            base = ".".join(pkg + ([base] if base else []))
        if base == "__future__":
            return
        for alias in stmt.names:
            local = alias.asname or alias.name
            if alias.name == "*":
                raise CompileError(mod.source, stmt, "'import *' is not supported", "import names explicitly")
            if base in LANG_MODULES:
                if alias.name not in INTRINSICS:
                    raise CompileError(mod.source, stmt, f"cyrius.lang has no '{alias.name}'",
                                       f"available: {', '.join(sorted(INTRINSICS))}")
                mod.symbols[local] = Intrinsic(alias.name)
            elif (base, alias.name) in FOREIGN_OK:
                mod.symbols[local] = Intrinsic(alias.name)
            elif base == RT_MODULE:
                fn = self.externs.get(alias.name)
                if fn is None:
                    raise CompileError(mod.source, stmt, f"no C runtime function '{alias.name}'",
                                       "declare it in a runtime-c/include/*.h header")
                mod.symbols[local] = Extern(fn)
                mod.uses_externs.add(fn.header)
            elif self.find(f"{base}.{alias.name}") is not None and not (
                    self.find(base) and self._declares(base, alias.name)):
                target = self.load(f"{base}.{alias.name}", mod, stmt)
                mod.deps.append(target)
                mod.symbols[local] = target
            else:
                if base in ("typing", "enum", "dataclasses", "abc", "collections"):
                    raise CompileError(mod.source, stmt, f"'{base}.{alias.name}' is not in the dialect",
                                       "the dialect supports typing.Final, typing.Callable and enum.IntEnum")
                target = self.load(base, mod, stmt)
                mod.deps.append(target)
                mod.symbols[local] = ("from", target, alias.name, stmt)

    def _declares(self, modname: str, name: str) -> bool:
        loaded = self.modules.get(modname)
        if loaded is not None:
            tree = loaded.tree
        else:  # a package whose __init__ is not loaded (yet): `from pkg import sub`
            path = self.find(modname)
            tree = parse_module(read_source(path, self.display(path)))
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)) and stmt.name == name:
                return True
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                return True
        return False

    # ------------------------------------------------------------- declarations

    def declare_all(self) -> None:
        for mod in self.order:
            self._guard(mod, self._declare_types, mod)
        for mod in self.order:
            self._guard(mod, self._bind_from_imports, mod)
        finals = [(mod, stmt) for mod in self.order for stmt in mod.tree.body
                  if isinstance(stmt, ast.AnnAssign) and self._is_final(mod, stmt.annotation)]
        for mod, stmt in finals:
            self._guard(mod, self._declare_pending, mod, stmt)
        for mod, stmt in finals:
            if isinstance(stmt.target, ast.Name) and isinstance(mod.symbols.get(stmt.target.id), PendingConst):
                self._guard(mod, self._evaluate_pending, mod.symbols[stmt.target.id])
        for mod in self.order:
            for en in mod.enums:
                self._guard(mod, self._enum_members, mod, en)
        for mod in self.order:
            for st in mod.structs:
                self._guard(mod, self._struct_fields, mod, st)
        for mod in self.order:
            for st in mod.structs:
                self._guard(mod, self._layout, mod, st, ())
        for mod in self.order:
            self._guard(mod, self._declare_values, mod)
        for mod in self.order:
            self._guard(mod, self._check_from_imports, mod)
        if self.errors:
            raise CompileErrors(self.errors)

    def _guard(self, mod, fn, *args):
        try:
            fn(*args)
        except CompileError as err:
            self.errors.append(err)
        except RecursionError:  # a constant expression too deep for consteval
            self.errors.append(nested_too_deeply(mod.source, None))

    def _declare_types(self, mod: Module) -> None:
        for i, stmt in enumerate(mod.tree.body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) or (i == 0 and _is_docstring(stmt)):
                continue
            if isinstance(stmt, ast.ClassDef):
                self._declare_class(mod, stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.AnnAssign)):
                continue
            elif isinstance(stmt, ast.AsyncFunctionDef):
                raise CompileError(mod.source, stmt, "async functions are not in the dialect",
                                   "write a plain 'def'")
            elif isinstance(stmt, ast.Assign):
                raise CompileError(mod.source, stmt, "module-level variables need a type annotation",
                                   "write 'NAME: u32 = 0', or 'NAME: Final = 0' for a constant")
            else:
                raise CompileError(mod.source, stmt, f"'{type(stmt).__name__}' statement at module level",
                                   "modules contain only imports, functions, @struct/IntEnum classes "
                                   "and annotated globals")

    def _declare_class(self, mod: Module, cls: ast.ClassDef) -> None:
        self._check_free(mod, cls.name, cls)
        bases = [b for b in cls.bases]
        if bases:
            if len(bases) == 1 and self._is_intrinsic(mod, bases[0], "IntEnum") and not cls.decorator_list:
                self._declare_enum(mod, cls)
                return
            raise CompileError(mod.source, cls, "class inheritance is not in the dialect",
                               "use @struct for data, or subclass IntEnum for an enumeration")
        packed = False
        if len(cls.decorator_list) != 1:
            raise CompileError(mod.source, cls, "a class must be a @struct or an IntEnum",
                               "decorate it with @struct (from cyrius.lang)")
        deco = cls.decorator_list[0]
        if isinstance(deco, ast.Call) and self._is_intrinsic(mod, deco.func, "struct"):
            for kw in deco.keywords:
                if kw.arg != "packed" or not isinstance(kw.value, ast.Constant) or not isinstance(
                        kw.value.value, bool):
                    raise CompileError(mod.source, kw, "@struct takes only packed=True or packed=False")
                packed = kw.value.value
        elif not self._is_intrinsic(mod, deco, "struct"):
            raise CompileError(mod.source, deco, "unknown class decorator", "use @struct")
        st = StructType(mod.name, cls.name, f"{mod.prefix}__{cls.name}", packed)
        st.node = cls
        mod.structs.append(st)
        mod.symbols[cls.name] = st

    def _declare_enum(self, mod: Module, cls: ast.ClassDef) -> None:
        en = EnumType(mod.name, cls.name, f"{mod.prefix}__{cls.name}")
        en.node = cls
        mod.enums.append(en)
        mod.symbols[cls.name] = en

    def _enum_members(self, mod: Module, en: EnumType) -> None:
        """Evaluate the members (after the enum's first use or the Final constants: they may use
        constants, and constants may use them)."""
        if en.evaluated:
            return
        en.evaluated = True
        for i, stmt in enumerate(en.node.body):
            if i == 0 and _is_docstring(stmt):
                continue
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)):
                raise CompileError(mod.source, stmt, "an IntEnum body holds only 'NAME = constant' lines")
            name = stmt.targets[0].id
            if name in en.members:
                raise CompileError(mod.source, stmt, f"enum {en.name} already has a member '{name}'")
            value = consteval.evaluate(self, mod, stmt.value)
            if not INTS["i32"].fits(value):
                raise CompileError(mod.source, stmt.value, f"enum value {value} does not fit in i32")
            en.members[name] = value

    def _check_free(self, mod, name, node):
        if name in mod.symbols:
            raise CompileError(mod.source, node, f"'{name}' is already defined in this module",
                               "rename one of them")

    def _is_intrinsic(self, mod, node, name) -> bool:
        sym = self.lookup(mod, node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        return isinstance(sym, Intrinsic) and sym.name == name

    def _bind_from_imports(self, mod: Module) -> None:
        for local, sym in list(mod.symbols.items()):
            if isinstance(sym, tuple) and sym[0] == "from":
                _, target, name, stmt = sym
                found = target.symbols.get(name)
                if found is None and not self._declares(target.name, name):
                    raise CompileError(mod.source, stmt, f"module '{target.name}' has no '{name}'")
                mod.symbols[local] = ("lazy", target, name, stmt)

    def _check_from_imports(self, mod: Module) -> None:
        """`from m import g` of a mutable global is an error even where g is never used."""
        for sym in list(mod.symbols.values()):
            if isinstance(sym, tuple) and sym[0] == "lazy":
                self._follow(mod, sym)

    def lookup(self, mod: Module, node) -> object | None:
        """The symbol an ast.Name or a dotted ast.Attribute chain refers to, or None."""
        if isinstance(node, ast.Name):
            sym = mod.symbols.get(node.id)
        elif isinstance(node, ast.Attribute):
            base = self.lookup(mod, node.value)
            if isinstance(base, Module):
                sym = base.symbols.get(node.attr)
                if sym is None or isinstance(sym, (Module, Intrinsic, Extern)) or (
                        isinstance(sym, tuple)):
                    sym = sym if isinstance(sym, (Function, Global, Const, StructType, EnumType)) else None
                    if sym is None:
                        raise CompileError(mod.source, node, f"module '{base.name}' has no '{node.attr}'")
            else:
                return None
        else:
            return None
        if isinstance(sym, PendingConst):
            sym = self._evaluate_pending(sym)
        return self._follow(mod, sym)

    def _follow(self, mod: Module, sym):
        """The symbol a `from m import name` binding stands for."""
        while isinstance(sym, tuple) and sym[0] == "lazy":
            _, target, name, stmt = sym
            sym = target.symbols.get(name)
            if isinstance(sym, Global):
                raise CompileError(mod.source, stmt, f"'from {target.name} import {name}' would copy a "
                                   "mutable global in Python", f"write 'import {target.name} as "
                                   f"{target.name.rpartition('.')[2]}' and use "
                                   f"{target.name.rpartition('.')[2]}.{name}")
            if isinstance(sym, PendingConst):
                sym = self._evaluate_pending(sym)
        return sym

    # ------------------------------------------------------------- types from annotations

    def resolve_type(self, mod: Module, node, allow_void=False, forward_ok=False) -> Type:
        if isinstance(node, ast.Constant) and node.value is None:
            if allow_void:
                return VOID
            raise CompileError(mod.source, node, "None is not a value type")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if not forward_ok:
                raise CompileError(mod.source, node, "string annotations are only allowed inside Ptr[...]",
                                   "write the type itself")
            sym = mod.symbols.get(node.value)
            if not isinstance(sym, StructType):
                raise CompileError(mod.source, node, f"forward reference '{node.value}' is not a struct "
                                   "of this module")
            return sym
        if isinstance(node, ast.Name) and node.id == "bool":
            return BOOL
        if isinstance(node, ast.Name) and node.id == "bytes":
            raise CompileError(mod.source, node, "bytes is the type of byte-string literals only, not of variables",
                               "a literal is a pointer to its bytes: write Ptr[u8]")
        if isinstance(node, (ast.Name, ast.Attribute)):
            sym = self.lookup(mod, node)
            if isinstance(sym, Intrinsic) and sym.name in INTS:
                return INTS[sym.name]
            if isinstance(sym, (StructType, EnumType)):
                return sym
            if isinstance(sym, Intrinsic) and sym.name == "Callable":
                raise CompileError(mod.source, node, "Callable needs a signature", "Callable[[u32], u32]")
            what = ast.unparse(node)
            raise CompileError(mod.source, node, f"unknown type '{what}'",
                               "types are u8..u64, i8..i64, usize, bool, Ptr[T], Array[T, N], Callable[[..], R], "
                               "@struct classes and IntEnums")
        if isinstance(node, ast.Subscript):
            head = self.lookup(mod, node.value) if isinstance(node.value, (ast.Name, ast.Attribute)) else None
            name = head.name if isinstance(head, Intrinsic) else None
            if name == "Ptr":
                if isinstance(node.slice, ast.Constant) and node.slice.value is None:
                    return PtrType(None)
                target = self.resolve_type(mod, node.slice, forward_ok=True)
                if isinstance(target, ArrayType):
                    raise CompileError(mod.source, node, "Ptr to an Array is not supported",
                                       "use Ptr[T] to the element type")
                return PtrType(target)
            if name == "Array":
                if not (isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2):
                    raise CompileError(mod.source, node, "Array takes an element type and a length",
                                       "Array[u8, 16]")
                elem = self.resolve_type(mod, node.slice.elts[0])
                n = consteval.evaluate(self, mod, node.slice.elts[1])
                if n <= 0:
                    raise CompileError(mod.source, node.slice.elts[1], "array length must be positive")
                return ArrayType(elem, n)
            if name == "Callable":
                if not (isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2
                        and isinstance(node.slice.elts[0], ast.List)):
                    raise CompileError(mod.source, node, "Callable takes [argument types] and a return type",
                                       "Callable[[u32, u32], u32]")
                params = tuple(self.resolve_type(mod, p) for p in node.slice.elts[0].elts)
                for p, pn in zip(params, node.slice.elts[0].elts, strict=True):
                    self.check_param_type(mod, pn, p)
                ret = self.resolve_type(mod, node.slice.elts[1], allow_void=True)
                self.check_param_type(mod, node.slice.elts[1], ret)
                return FuncType(params, ret)
            if name == "Final":
                raise CompileError(mod.source, node, "Final is only allowed on module constants")
        raise CompileError(mod.source, node, f"'{ast.unparse(node)}' is not a dialect type",
                           "types are u8..u64, i8..i64, usize, bool, Ptr[T], Array[T, N], Callable[[..], R], "
                           "@struct classes and IntEnums")

    def check_param_type(self, mod, node, t):
        if isinstance(t, (StructType, ArrayType)):
            raise CompileError(mod.source, node, f"{t} cannot be passed or returned by value",
                               f"pass a pointer: Ptr[{t.elem if isinstance(t, ArrayType) else t}]")

    # ------------------------------------------------------------- structs

    def _struct_fields(self, mod: Module, st: StructType) -> None:
        if st.declared:
            return
        st.declared = True
        cls = st.node
        for i, stmt in enumerate(cls.body):
            if i == 0 and _is_docstring(stmt):
                continue
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    raise CompileError(mod.source, stmt, "struct fields cannot have default values",
                                       "fields start zeroed; set them in the constructor call")
                ftype = self.resolve_type(mod, stmt.annotation)
                if st.field(stmt.target.id):
                    raise CompileError(mod.source, stmt, f"duplicate field '{stmt.target.id}'")
                if stmt.target.id in RESERVED_FIELD_NAMES:
                    raise CompileError(mod.source, stmt, f"a struct field cannot be named '{stmt.target.id}'",
                                       "under CPython a pointer's own attribute of that name would hide the field "
                                       "(p.address is the pointer's address); choose another name")
                st.fields.append((stmt.target.id, ftype, 0))
            elif isinstance(stmt, ast.FunctionDef):
                continue
            elif isinstance(stmt, ast.Pass):
                continue
            else:
                raise CompileError(mod.source, stmt, "a @struct body holds annotated fields and methods only")
        if not st.fields:
            raise CompileError(mod.source, cls, f"struct '{st.name}' has no fields", "add at least one field")

    def _layout(self, mod: Module, st: StructType, stack: tuple) -> None:
        if st.complete:
            return
        if st in stack:
            raise CompileError(mod.source, st.node, f"struct '{st.name}' contains itself by value",
                               "use a Ptr field")
        self._struct_fields(mod, st)
        for _, ftype, _ in st.fields:
            inner = ftype
            while isinstance(inner, ArrayType):
                inner = inner.elem
            if isinstance(inner, StructType) and not inner.complete:
                owner = self.modules[inner.module]
                self._layout(owner, inner, stack + (st,))
        st.layout()

    def complete_type(self, t: Type) -> None:
        """Lay out the structs in `t` (evaluate an enum's members) now: a constant such as sizeof(S)
        may need them before their pass, which in turn may need constants (array lengths)."""
        while isinstance(t, ArrayType):
            t = t.elem
        if isinstance(t, StructType) and not t.complete:
            self._layout(self.modules[t.module], t, ())
        if isinstance(t, EnumType) and not t.evaluated:
            self._enum_members(self.modules[t.module], t)

    # ------------------------------------------------------------- functions, globals, constants

    def _declare_values(self, mod: Module) -> None:
        for stmt in mod.tree.body:
            if isinstance(stmt, ast.FunctionDef):
                self._check_free(mod, stmt.name, stmt)
                fn = self.declare_function(mod, stmt, None)
                mod.functions.append(fn)
                mod.symbols[stmt.name] = fn
            elif isinstance(stmt, ast.AnnAssign) and not self._is_final(mod, stmt.annotation):
                self._declare_global(mod, stmt)
        for st in mod.structs:
            for stmt in st.node.body:
                if isinstance(stmt, ast.FunctionDef):
                    if stmt.name in st.methods or st.field(stmt.name):
                        raise CompileError(mod.source, stmt, f"'{stmt.name}' is already defined in {st.name}")
                    fn = self.declare_function(mod, stmt, st)
                    st.methods[stmt.name] = fn
                    mod.functions.append(fn)

    def declare_function(self, mod: Module, node: ast.FunctionDef, st: StructType | None) -> Function:
        a = node.args
        if a.vararg or a.kwarg:
            raise CompileError(mod.source, node, "*args and **kwargs are not in the dialect",
                               "pass a pointer and a count")
        if a.kwonlyargs or a.posonlyargs:
            raise CompileError(mod.source, node, "keyword-only and positional-only parameters are not in the dialect")
        if a.defaults or a.kw_defaults:
            raise CompileError(mod.source, a.defaults[0] if a.defaults else node,
                               "default argument values are not in the dialect", "pass every argument explicitly")
        c_name = f"{mod.prefix}__{st.name}__{node.name}" if st else f"{mod.prefix}__{node.name}"
        for deco in node.decorator_list:
            if (isinstance(deco, ast.Call) and self._is_intrinsic(mod, deco.func, "export") and len(deco.args) == 1
                    and isinstance(deco.args[0], ast.Constant) and isinstance(deco.args[0].value, str)
                    and deco.args[0].value.isidentifier() and st is None):
                c_name = deco.args[0].value
            else:
                raise CompileError(mod.source, deco, "unsupported decorator",
                                   "only @export(\"symbol\") is allowed on module functions")
        fn = Function(mod, node.name, c_name, node, struct=st)
        args = list(a.args)
        if st is not None:
            if not args or args[0].arg != "self" or args[0].annotation is not None:
                raise CompileError(mod.source, node, "a struct method's first parameter is an unannotated 'self'",
                                   f"def {node.name}(self, ...)")
            fn.params.append(("self", PtrType(st)))
            args = args[1:]
        for arg in args:
            if arg.annotation is None:
                raise CompileError(mod.source, arg, f"parameter '{arg.arg}' needs a type annotation",
                                   f"{arg.arg}: u32")
            t = self.resolve_type(mod, arg.annotation)
            self.check_param_type(mod, arg, t)
            fn.params.append((arg.arg, t))
        if node.returns is None:
            raise CompileError(mod.source, node, f"function '{node.name}' needs a return annotation",
                               "add '-> None' or '-> u32' …")
        fn.ret = self.resolve_type(mod, node.returns, allow_void=True)
        self.check_param_type(mod, node.returns, fn.ret)
        return fn

    def _is_final(self, mod: Module, ann) -> bool:
        head = ann.value if isinstance(ann, ast.Subscript) else ann
        return isinstance(head, (ast.Name, ast.Attribute)) and self._is_intrinsic(mod, head, "Final")

    def _declare_pending(self, mod: Module, stmt: ast.AnnAssign) -> None:
        if not isinstance(stmt.target, ast.Name):
            raise CompileError(mod.source, stmt, "only simple names can be declared at module level")
        self._check_free(mod, stmt.target.id, stmt)
        mod.symbols[stmt.target.id] = PendingConst(mod, stmt)

    def _evaluate_pending(self, pending: PendingConst) -> Const:
        mod, stmt = pending.module, pending.stmt
        name = stmt.target.id
        if pending.busy:
            raise CompileError(mod.source, stmt, f"constant '{name}' is defined in terms of itself")
        pending.busy = True
        try:
            self._declare_global(mod, stmt, pending=True)
        except CompileError:
            mod.symbols[name] = Const(name, UNTYPED, 0)  # reported once; later uses do not cascade
            raise
        finally:
            pending.busy = False
        return mod.symbols[name]

    def _declare_global(self, mod: Module, stmt: ast.AnnAssign, pending=False) -> None:
        if not isinstance(stmt.target, ast.Name):
            raise CompileError(mod.source, stmt, "only simple names can be declared at module level")
        name = stmt.target.id
        if not pending:
            self._check_free(mod, name, stmt)
        ann = stmt.annotation
        if stmt.value is None:
            raise CompileError(mod.source, stmt, f"global '{name}' needs an initial value",
                               f"{name}: {ast.unparse(ann)} = 0")
        final_inner = None
        is_final = False
        if isinstance(ann, (ast.Name, ast.Attribute)) and self._is_intrinsic(mod, ann, "Final"):
            is_final = True
        elif isinstance(ann, ast.Subscript) and self._is_intrinsic(mod, ann.value, "Final"):
            is_final, final_inner = True, ann.slice
        if is_final:
            t = UNTYPED if final_inner is None else self.resolve_type(mod, final_inner)
            if t is not UNTYPED and not isinstance(t, IntType) and t is not BOOL:
                raise CompileError(mod.source, ann, "Final constants are integers or bools")
            value = consteval.evaluate(self, mod, stmt.value)
            if isinstance(t, IntType) and not t.fits(value):
                raise CompileError(mod.source, stmt.value, f"{value} does not fit in {t}")
            if isinstance(value, bool) and t is UNTYPED:
                t = BOOL
            mod.symbols[name] = Const(name, t, value)
            return
        t = self.resolve_type(mod, ann)
        glob = Global(mod, name, f"{mod.prefix}__{name}", t, stmt)
        mod.globals.append(glob)
        mod.symbols[name] = glob
