"""Static name and constant resolution over one module's ``ast`` (nothing is imported or evaluated).

Scopes follow Python's rules closely enough for security checks: module, class and function scopes (a method
does not see its class body); a name a function reads but never binds resolves in the enclosing function or
the module. A name bound exactly once to a foldable expression resolves to its value; a name bound several
times resolves only when every binding gives the same value, otherwise it is UNKNOWN (conservative).
Imports give ``Ref`` values carrying canonical qualified names (``import torch as t`` -> ``t.load`` is
``torch.load``).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


class _Unknown:
    _inst: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class Ref:
    """An imported object or an attribute of one: one or more canonical qualified names."""

    quals: tuple[str, ...]


@dataclass(frozen=True)
class Instance:
    """What calling a Ref returns (``pickle.Unpickler(f)``, ``requests.get(u)``): the callee's names."""

    quals: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    """A string of which only the beginning is known (``f"http://{host}/m.pt"``)."""

    text: str


@dataclass(frozen=True)
class LocalPath:
    """A value built with os.path / pathlib: a filesystem path, never a Hub id. ``text`` when foldable."""

    text: str | None


@dataclass(frozen=True)
class DictVal:
    items: tuple[tuple[str, Any], ...]
    complete: bool = True

    def get(self, key: str) -> tuple[bool, Any]:
        for k, v in self.items:
            if k == key:
                return True, v
        return False, None


@dataclass(frozen=True)
class Choice:
    """One of several string constants (a loop variable over a constant list, a conditional expression or
    one assignment per branch)."""

    values: tuple[str, ...]


@dataclass(frozen=True)
class ClassVal:
    """A class defined in the scanned module: the canonical names of its (transitive) bases."""

    name: str
    bases: tuple[str, ...]
    methods: frozenset[str]


# canonical spellings: (prefix, replacement); applied to a qualified name once, first match wins
_CANON: tuple[tuple[str, str], ...] = (
    ("six.moves.cPickle", "pickle"), ("six.moves.urllib", "urllib"), ("cPickle", "pickle"),
    ("_pickle", "pickle"), ("pickle5", "pickle"), ("_compat_pickle", "pickle"),
    ("sklearn.externals.joblib", "joblib"), ("joblib.numpy_pickle", "joblib"),
    ("torch.serialization.load", "torch.load"),
    ("torch.utils.model_zoo.load_url", "torch.hub.load_state_dict_from_url"),
    ("tensorflow.python.keras", "keras"), ("tensorflow.keras", "keras"), ("tf_keras", "keras"),
    ("keras.src", "keras"), ("keras.api", "keras"),
    ("pandas.io.pickle", "pandas"), ("numpy.lib.npyio", "numpy"),
    ("urllib2.urlopen", "urllib.request.urlopen"), ("urllib2.Request", "urllib.request.Request"),
    ("urllib.urlretrieve", "urllib.request.urlretrieve"), ("urllib.urlopen", "urllib.request.urlopen"),
    ("datasets.load.", "datasets."), ("huggingface_hub.file_download.", "huggingface_hub."),
    ("huggingface_hub._snapshot_download.", "huggingface_hub."),
    ("huggingface_hub.hf_api.", "huggingface_hub."),
    ("transformers.pipelines.pipeline", "transformers.pipeline"),
    ("yaml.cyaml.", "yaml."), ("yaml.loader.", "yaml."),
    ("jsonpickle.unpickler.decode", "jsonpickle.decode"),
)

# unbound names that almost always mean a well-known module (snippets, notebooks run with %run ...)
_CONVENTIONAL = {
    "np": "numpy", "pd": "pandas", "tf": "tensorflow", "torch": "torch", "pickle": "pickle",
    "cPickle": "pickle", "dill": "dill", "cloudpickle": "cloudpickle", "joblib": "joblib", "shelve": "shelve",
    "jsonpickle": "jsonpickle", "yaml": "yaml", "numpy": "numpy", "pandas": "pandas", "keras": "keras",
    "tensorflow": "tensorflow", "transformers": "transformers", "datasets": "datasets",
    "huggingface_hub": "huggingface_hub", "timm": "timm", "diffusers": "diffusers", "peft": "peft",
    "sentence_transformers": "sentence_transformers", "requests": "requests", "urllib": "urllib",
    "wget": "wget", "os": "os", "pathlib": "pathlib", "hashlib": "hashlib", "io": "io", "httpx": "httpx",
    "gdown": "gdown", "hf_hub_download": "huggingface_hub.hf_hub_download",
    "snapshot_download": "huggingface_hub.snapshot_download", "load_dataset": "datasets.load_dataset",
    "SentenceTransformer": "sentence_transformers.SentenceTransformer", "Path": "pathlib.Path",
    "urlretrieve": "urllib.request.urlretrieve",
}
_BUILTINS = frozenset({"open", "str", "dict", "bytes", "hash", "print", "len", "list", "tuple", "int",
                       "bool", "getattr", "setattr", "exec", "eval", "compile", "__import__"})
_STAR_OK = frozenset({"torch", "pickle", "dill", "cloudpickle", "joblib", "yaml", "numpy", "pandas",
                      "transformers", "datasets", "huggingface_hub", "keras", "sentence_transformers",
                      "timm", "diffusers", "peft", "os.path", "pathlib", "urllib.request", "requests",
                      "torch.hub", "keras.models", "shelve", "jsonpickle"})
_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "append", "extend", "insert",
                       "remove", "__setitem__", "__delitem__"})
_PATH_FUNCS = frozenset({"os.path.join", "posixpath.join", "ntpath.join", "os.path.abspath",
                         "os.path.expanduser", "os.path.realpath", "os.path.normpath", "os.path.dirname",
                         "os.path.expandvars", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath",
                         "pathlib.WindowsPath", "pathlib.PurePosixPath", "os.getcwd", "os.fspath",
                         "pathlib.Path.home", "pathlib.Path.cwd", "tempfile.mkdtemp", "tempfile.gettempdir"})
MAX_DEPTH = 40
# Folding budgets: no string longer than MAX_STR is ever built (model names, paths and URLs are far
# shorter; a longer one keeps only its known prefix), and one module gets at most MAX_STEPS evaluations.
# A two-line '%2000000000s' or a chain of a = b + b lines must not drive the run out of memory.
MAX_STR = 64 * 1024
MAX_STEPS = 200_000
_DIGITS = re.compile(r"\d{6,}|\d+")
_FIELDS: dict[type, tuple[str, ...]] = {}


_CANON_CACHE: dict[str, str] = {}


def canon(qual: str) -> str:
    hit = _CANON_CACHE.get(qual)
    if hit is None:
        hit = _canon(qual)
        if len(_CANON_CACHE) < 100_000:
            _CANON_CACHE[qual] = hit
    return hit


def _canon(qual: str) -> str:
    for a, b in _CANON:
        if a.endswith("."):
            if qual.startswith(a):
                return b + qual[len(a):]
        elif qual == a or qual.startswith(a + "."):
            return b + qual[len(a):]
    return qual


def quals_of(value: Any) -> tuple[str, ...]:
    return value.quals if isinstance(value, Ref) else ()


@dataclass(eq=False)
class Scope:
    kind: str  # module | class | function
    node: ast.AST
    parent: Scope | None  # lexical parent used for lookups (classes are skipped for functions)
    bindings: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    globals_: set[str] = field(default_factory=set)
    mutated: set[str] = field(default_factory=set)
    star_modules: list[str] = field(default_factory=list)
    calls: list[ast.Call] = field(default_factory=list)  # calls made in this scope, in source order
    classes: list[ast.ClassDef] = field(default_factory=list)
    owner_class: Scope | None = None  # for a method: the class whose body defines it
    self_attrs: dict[str, list[tuple[ast.expr, Scope]]] | None = None  # class: self.x = ... in methods

    def bind(self, name: str, kind: str, payload: Any = None) -> None:
        self.bindings.setdefault(name, []).append((kind, payload))


_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def children_in_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Every node of the scope opened by ``node`` (a module, function, lambda or class): its body, without
    nested function/class bodies but with their decorators, defaults and bases (which run in this scope)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        stack: list[ast.AST] = list(node.body)
    elif isinstance(node, ast.Lambda):
        stack = [node.body]
    else:
        stack = list(ast.iter_child_nodes(node))
    stack.reverse()
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            outer: list[ast.AST] = [*n.decorator_list, *n.args.defaults,
                                    *[d for d in n.args.kw_defaults if d is not None]]
            stack.extend(reversed(outer))
        elif isinstance(n, ast.Lambda):
            stack.extend(reversed([*n.args.defaults, *[d for d in n.args.kw_defaults if d is not None]]))
        elif isinstance(n, ast.ClassDef):
            stack.extend(reversed([*n.decorator_list, *n.bases, *[k.value for k in n.keywords]]))
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(n))))


class Resolver:
    """Builds scopes for a module and evaluates expressions to static values."""

    def __init__(self, tree: ast.Module, folder: str | None = None) -> None:
        self.folder = folder
        self.module = Scope("module", tree, None)
        self.scopes: dict[int, Scope] = {id(tree): self.module}
        self._cache: dict[tuple[int, str], Any] = {}
        self._busy: set[tuple[int, str]] = set()
        self._build(self.module)
        self._defaults: dict[str, list[tuple[ast.expr, Scope]]] | None = None
        self.steps = 0  # evaluations so far (MAX_STEPS)

    # -- scope construction -------------------------------------------------------------------------
    def _build(self, scope: Scope) -> None:
        node = scope.node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            positional = [*a.posonlyargs, *a.args]
            defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
            for arg, d in zip(positional, defaults, strict=True):
                scope.bind(arg.arg, "param", d)
            for arg, kd in zip(a.kwonlyargs, a.kw_defaults, strict=True):
                scope.bind(arg.arg, "param", kd)
            if a.vararg:
                scope.bind(a.vararg.arg, "unknown")
            if a.kwarg:
                scope.bind(a.kwarg.arg, "unknown")
        handled: set[int] = set()
        nested: list[ast.AST] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack: list[ast.AST] = list(reversed(node.body))
        elif isinstance(node, ast.Lambda):
            stack = [node.body]
        else:
            stack = list(reversed(list(ast.iter_child_nodes(node))))
        fields = _FIELDS
        while stack:
            n = stack.pop()
            t = type(n)
            if t is ast.Name:
                if type(n.ctx) is not ast.Load and id(n) not in handled:  # type: ignore[attr-defined]
                    self._bind_name(scope, n.id, "unknown")  # type: ignore[attr-defined]
                continue
            if t is ast.Constant:
                continue
            if t is ast.Attribute:
                stack.append(n.value)  # type: ignore[attr-defined]
                continue
            if t is ast.Call:
                scope.calls.append(n)  # type: ignore[arg-type]
                f = n.func  # type: ignore[attr-defined]
                if type(f) is ast.Attribute and f.attr in _MUTATORS and type(f.value) is ast.Name:
                    self._mutate(scope, f.value.id)
            elif t is ast.Assign:
                self._bind_targets(scope, n.targets, n.value, handled)  # type: ignore[attr-defined]
            elif t is ast.AnnAssign or t is ast.NamedExpr:
                tgt = n.target  # type: ignore[attr-defined]
                if n.value is not None and type(tgt) is ast.Name:  # type: ignore[attr-defined]
                    self._bind_name(scope, tgt.id, "expr", n.value)  # type: ignore[attr-defined]
                    handled.add(id(tgt))
            elif t is ast.For or t is ast.AsyncFor or t is ast.comprehension:
                tgt = n.target  # type: ignore[attr-defined]
                if type(tgt) is ast.Name:  # for name in ("a", "b"): one of several constants
                    self._bind_name(scope, tgt.id, "for", n.iter)  # type: ignore[attr-defined]
                    handled.add(id(tgt))
            elif t is ast.Import:
                for al in n.names:  # type: ignore[attr-defined]
                    if al.asname:
                        self._bind_name(scope, al.asname, "ref", canon(al.name))
                    else:
                        top = al.name.split(".", 1)[0]
                        self._bind_name(scope, top, "ref", canon(top))
                continue
            elif t is ast.ImportFrom:
                assert isinstance(n, ast.ImportFrom)
                mod = ("." * n.level) + (n.module or "") if n.level else (n.module or "")
                for al in n.names:
                    if al.name == "*":
                        scope.star_modules.append(canon(mod))
                        continue
                    self._bind_name(scope, al.asname or al.name, "ref", canon(f"{mod}.{al.name}"))
                continue
            elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                assert isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                self._bind_name(scope, n.name, "unknown")
                nested.append(n)
                stack.extend(reversed([*n.decorator_list, *n.args.defaults,
                                       *[d for d in n.args.kw_defaults if d is not None]]))
                continue
            elif t is ast.ClassDef:
                assert isinstance(n, ast.ClassDef)
                self._bind_name(scope, n.name, "class", n)
                scope.classes.append(n)
                nested.append(n)
                stack.extend(reversed([*n.decorator_list, *n.bases, *[k.value for k in n.keywords]]))
                continue
            elif t is ast.Lambda:
                assert isinstance(n, ast.Lambda)
                nested.append(n)
                stack.extend(reversed([*n.args.defaults, *[d for d in n.args.kw_defaults if d is not None]]))
                continue
            elif t is ast.Global:
                scope.globals_.update(n.names)  # type: ignore[attr-defined]
                continue
            elif t is ast.Nonlocal:
                continue
            elif t is ast.ExceptHandler or t is ast.MatchAs or t is ast.MatchStar:
                if n.name:  # type: ignore[attr-defined]
                    self._bind_name(scope, n.name, "unknown")  # type: ignore[attr-defined]
            elif t is ast.MatchMapping:
                if n.rest:  # type: ignore[attr-defined]
                    self._bind_name(scope, n.rest, "unknown")  # type: ignore[attr-defined]
            elif t is ast.Subscript:
                if type(n.ctx) is not ast.Load and type(n.value) is ast.Name:  # type: ignore[attr-defined]
                    self._mutate(scope, n.value.id)  # type: ignore[attr-defined]
            names = fields.get(t)
            if names is None:
                names = fields[t] = tuple(reversed([f for f in t._fields if f != "ctx"]))
            mixed = t is ast.Dict or t is ast.MatchClass
            for fname in names:
                v = getattr(n, fname, None)
                if type(v) is list:
                    if mixed:
                        stack.extend([c for c in reversed(v) if isinstance(c, ast.AST)])
                    else:
                        stack.extend(reversed(v))
                elif v is not None and not isinstance(v, (str, int)):
                    stack.append(v)
        for child in nested:
            parent = scope
            while parent.kind == "class" and not isinstance(child, ast.ClassDef):
                assert parent.parent is not None
                parent = parent.parent
            kind = "class" if isinstance(child, ast.ClassDef) else "function"
            # class bodies see their enclosing scope; functions skip enclosing class bodies
            sub = Scope(kind, child, scope if kind == "class" else parent)
            if scope.kind == "class" and kind == "function" and not isinstance(child, ast.Lambda):
                sub.owner_class = scope
            self.scopes[id(child)] = sub
            self._build(sub)

    # -- self.attr inside methods ---------------------------------------------------------------------
    def _self_attr(self, scope: Scope, name: str, attr: str, depth: int) -> Any:
        """``self.attr`` (``name`` being the first parameter of the enclosing method): the class attribute or
        the value assigned to ``self.attr`` in the class's methods, when they all agree."""
        s: Scope | None = scope
        while s is not None and s.kind == "function" and s.owner_class is None:
            s = s.parent
        if s is None or s.owner_class is None or \
                not isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return UNKNOWN
        args = [*s.node.args.posonlyargs, *s.node.args.args]
        if not args or args[0].arg != name or [k for k, _ in s.bindings.get(name, [])] != ["param"]:
            return UNKNOWN
        cls = s.owner_class
        key = (id(cls), "self." + attr)
        if key in self._cache:
            return self._cache[key]
        if key in self._busy or depth > MAX_DEPTH:
            return UNKNOWN
        if cls.self_attrs is None:
            cls.self_attrs = self._collect_self_attrs(cls)
        self._busy.add(key)
        try:
            values: list[Any] = []
            if attr in cls.bindings:
                values.append(self._value_of(cls, attr, depth + 1))
            for expr, where in cls.self_attrs.get(attr, [])[:20]:
                values.append(self.eval(expr, where, depth + 1))
                if values[-1] is UNKNOWN:
                    break
            result = _merge(values) if values else UNKNOWN
        finally:
            self._busy.discard(key)
        self._cache[key] = result
        return result

    def _collect_self_attrs(self, cls: Scope) -> dict[str, list[tuple[ast.expr, Scope]]]:
        out: dict[str, list[tuple[ast.expr, Scope]]] = {}
        assert isinstance(cls.node, ast.ClassDef)
        for st in cls.node.body:
            if not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            method = self.scopes.get(id(st))
            args = [*st.args.posonlyargs, *st.args.args]
            if method is None or not args:
                continue
            me = args[0].arg
            for n in children_in_scope(st):
                targets: list[ast.expr] = []
                value: ast.expr | None = None
                if isinstance(n, ast.Assign):
                    targets, value = n.targets, n.value
                elif isinstance(n, (ast.AnnAssign, ast.AugAssign)):
                    targets, value = [n.target], n.value if isinstance(n, ast.AnnAssign) else None
                for t in targets:
                    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me:
                        out.setdefault(t.attr, []).append(
                            (value if value is not None and len(targets) == 1 else ast.Name(id="__unknown__"),
                             method))
                    elif isinstance(t, (ast.Tuple, ast.List)):
                        for e in t.elts:
                            if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and \
                                    e.value.id == me:
                                out.setdefault(e.attr, []).append((ast.Name(id="__unknown__"), method))
        return out

    # -- command-line and dataclass option defaults ---------------------------------------------------
    def _option_default(self, attr: str, depth: int) -> Any:
        """``args.model_name`` on an unresolvable object: the literal default of an argparse option
        (``add_argument("--model-name", default="gpt2")``) or of a dataclass field with that name in this
        module (HfArgumentParser style). Several different defaults give UNKNOWN."""
        if self._defaults is None:
            self._defaults = self._collect_defaults()
        found = self._defaults.get(attr)
        if not found:
            return UNKNOWN
        return _merge([self.eval(e, s, depth + 1) for e, s in found])

    def _collect_defaults(self) -> dict[str, list[tuple[ast.expr, Scope]]]:
        out: dict[str, list[tuple[ast.expr, Scope]]] = {}
        for scope in self.scopes.values():
            for call in scope.calls:
                if not (isinstance(call.func, ast.Attribute) and call.func.attr == "add_argument"):
                    continue
                kws = {k.arg: k.value for k in call.keywords if k.arg}
                dest: str | None = None
                d = kws.get("dest")
                if isinstance(d, ast.Constant) and isinstance(d.value, str):
                    dest = d.value
                else:
                    flags = [a.value for a in call.args
                             if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                    long = [f for f in flags if f.startswith("--")]
                    if long:
                        dest = long[0][2:].replace("-", "_")
                    elif flags and not flags[0].startswith("-"):
                        dest = flags[0]
                    elif flags:
                        dest = flags[0].lstrip("-").replace("-", "_")
                if dest:
                    default = kws.get("default")
                    out.setdefault(dest, []).append((default if default is not None else
                                                     ast.Constant(value=None), scope))
            for cls in scope.classes:
                sub = self.scopes.get(id(cls))
                if sub is None or not any("dataclass" in ast.unparse(d) for d in cls.decorator_list):
                    continue
                for st in cls.body:
                    if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and \
                            st.value is not None:
                        v = st.value
                        if isinstance(v, ast.Call) and isinstance(v.func, (ast.Name, ast.Attribute)) and \
                                ast.unparse(v.func).endswith("field"):
                            dv = next((k.value for k in v.keywords if k.arg == "default"), None)
                            if dv is None:
                                out.setdefault(st.target.id, []).append((ast.Name(id="__unknown__"), sub))
                                continue
                            v = dv
                        out.setdefault(st.target.id, []).append((v, scope))
        return out

    def _mutate(self, scope: Scope, name: str) -> None:
        target = self.module if name in scope.globals_ else scope
        if name not in target.bindings and target is not self.module:
            # mutating a name bound elsewhere: mark wherever it resolves
            s: Scope | None = scope.parent
            while s is not None and name not in s.bindings:
                s = s.parent
            target = s or self.module
        target.mutated.add(name)

    def _bind_name(self, scope: Scope, name: str, kind: str, payload: Any = None) -> None:
        if name in scope.globals_ and scope is not self.module:
            self.module.bind(name, "unknown")
            return
        scope.bind(name, kind, payload)

    def _bind_targets(self, scope: Scope, targets: list[ast.expr], value: ast.expr,
                      handled: set[int]) -> None:
        for t in targets:
            if isinstance(t, ast.Name):
                self._bind_name(scope, t.id, "expr", value)
                handled.add(id(t))
            elif isinstance(t, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) and \
                    len(t.elts) == len(value.elts) and not any(isinstance(e, ast.Starred) for e in t.elts):
                for te, ve in zip(t.elts, value.elts, strict=True):
                    self._bind_targets(scope, [te], ve, handled)

    # -- lookups -------------------------------------------------------------------------------------
    def scope_of(self, node: ast.AST) -> Scope | None:
        return self.scopes.get(id(node))

    def lookup(self, scope: Scope, name: str, depth: int = 0) -> Any:
        s: Scope | None = self.module if name in scope.globals_ else scope
        while s is not None:
            if name in s.bindings:
                return self._value_of(s, name, depth)
            s = s.parent
        return self._unbound(name)

    def _unbound(self, name: str) -> Any:
        for mod in self.module.star_modules:
            if mod in _STAR_OK:
                return Ref((canon(f"{mod}.{name}"),))
        if name in _CONVENTIONAL:
            return Ref((_CONVENTIONAL[name],))
        if name in _BUILTINS:
            return Ref((f"builtins.{name}",))
        return UNKNOWN

    def binding_exprs(self, scope: Scope, name: str) -> list[ast.expr]:
        """The expressions bound to ``name`` where it resolves (empty when any binding is not a plain
        assignment)."""
        s: Scope | None = self.module if name in scope.globals_ else scope
        while s is not None:
            if name in s.bindings:
                if name in s.mutated or any(k != "expr" for k, _ in s.bindings[name]):
                    return []
                return [p for _, p in s.bindings[name]]
            s = s.parent
        return []

    def binding_kinds(self, scope: Scope, name: str) -> list[str]:
        s: Scope | None = scope
        while s is not None:
            if name in s.bindings:
                return [k for k, _ in s.bindings[name]]
            s = s.parent
        return []

    def _value_of(self, scope: Scope, name: str, depth: int) -> Any:
        key = (id(scope), name)
        if key in self._cache:
            return self._cache[key]
        if key in self._busy or depth > MAX_DEPTH:
            return UNKNOWN
        if name in scope.mutated:
            self._cache[key] = UNKNOWN
            return UNKNOWN
        self._busy.add(key)
        try:
            values = []
            for kind, payload in scope.bindings[name]:
                if kind == "expr":
                    values.append(self.eval(payload, scope, depth + 1))
                elif kind == "ref":
                    values.append(Ref((payload,)))
                elif kind == "param":
                    values.append(UNKNOWN if payload is None else
                                  self.eval(payload, scope.parent or self.module, depth + 1))
                elif kind == "class":
                    values.append(self._class_val(payload, scope, depth + 1))
                elif kind == "for":
                    it = self.eval(payload, scope, depth + 1)
                    ok = isinstance(it, tuple) and it and all(isinstance(x, str) for x in it)
                    values.append(Choice(tuple(dict.fromkeys(it))) if ok else UNKNOWN)
                else:
                    values.append(UNKNOWN)
            result = _merge(values)
        finally:
            self._busy.discard(key)
        self._cache[key] = result
        return result

    def _class_val(self, node: ast.ClassDef, scope: Scope, depth: int) -> ClassVal:
        bases: list[str] = []
        for b in node.bases:
            v = self.eval(b, scope, depth + 1)
            if isinstance(v, Ref):
                bases.extend(v.quals)
            elif isinstance(v, ClassVal):
                bases.extend(v.bases)
        methods = frozenset(s.name for s in node.body
                            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
        return ClassVal(node.name, tuple(dict.fromkeys(bases)), methods)

    def class_value(self, node: ast.ClassDef, scope: Scope) -> ClassVal:
        return self._class_val(node, scope, 0)

    # -- evaluation ----------------------------------------------------------------------------------
    def eval(self, node: ast.AST | None, scope: Scope, depth: int = 0) -> Any:
        self.steps += 1
        if node is None or depth > MAX_DEPTH or self.steps > MAX_STEPS:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.lookup(scope, node.id, depth + 1)
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value, scope, depth + 1)
            if isinstance(base, Ref):
                return Ref(tuple(dict.fromkeys(canon(f"{q}.{node.attr}") for q in base.quals)))
            if isinstance(base, Instance):
                if any("parse_args" in q or "parse_known_args" in q for q in base.quals):
                    return self._option_default(node.attr, depth)
                return Ref(tuple(dict.fromkeys(canon(f"{q}.{node.attr}") for q in base.quals)))
            if isinstance(base, ClassVal):
                return Ref(tuple(f"{q}.{node.attr}" for q in base.bases) or (f"<local>.{node.attr}",))
            if base is UNKNOWN and isinstance(node.value, ast.Name):
                own = self._self_attr(scope, node.value.id, node.attr, depth)
                if own is not UNKNOWN:
                    return own
            if base is UNKNOWN and isinstance(node.value, (ast.Name, ast.Attribute)):
                return self._option_default(node.attr, depth)
            return UNKNOWN
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, scope, depth)
        if isinstance(node, ast.BinOp):
            return self._binop(node, scope, depth)
        if isinstance(node, ast.Call):
            return self._call(node, scope, depth)
        if isinstance(node, ast.Dict):
            items: list[tuple[str, Any]] = []
            complete = True
            for k, v in zip(node.keys, node.values, strict=True):
                if k is None:
                    sub = self.eval(v, scope, depth + 1)
                    if isinstance(sub, DictVal):
                        items.extend(sub.items)
                        complete = complete and sub.complete
                    else:
                        complete = False
                    continue
                kv = self.eval(k, scope, depth + 1)
                if isinstance(kv, str):
                    items.append((kv, self.eval(v, scope, depth + 1)))
                else:
                    complete = False
            # later keys win
            merged: dict[str, Any] = {}
            for k2, v2 in items:
                merged[k2] = v2
            return DictVal(tuple(merged.items()), complete)
        if isinstance(node, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return UNKNOWN
            return tuple(self.eval(e, scope, depth + 1) for e in node.elts)
        if isinstance(node, ast.Subscript):
            base = self.eval(node.value, scope, depth + 1)
            key = self.eval(node.slice, scope, depth + 1)
            if isinstance(base, DictVal) and isinstance(key, str):
                found, val = base.get(key)
                return val if found else UNKNOWN
            if isinstance(base, tuple) and isinstance(key, int) and not isinstance(key, bool) and \
                    -len(base) <= key < len(base):
                return base[key]
            return UNKNOWN
        if isinstance(node, ast.IfExp):
            a = self.eval(node.body, scope, depth + 1)
            b = self.eval(node.orelse, scope, depth + 1)
            return _merge([a, b])
        if isinstance(node, ast.NamedExpr):
            return self.eval(node.value, scope, depth + 1)
        return UNKNOWN

    def _fstring(self, node: ast.JoinedStr, scope: Scope, depth: int) -> Any:
        out: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
                continue
            if isinstance(part, ast.FormattedValue) and part.format_spec is None and \
                    part.conversion in (-1, 115):
                v = self.eval(part.value, scope, depth + 1)
                size = sum(map(len, out))
                if isinstance(v, str) and size + len(v) <= MAX_STR:
                    out.append(v)
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool) and _small(v):
                    out.append(str(v))
                    continue
                if isinstance(v, LocalPath):
                    return LocalPath(None)
                if isinstance(v, Prefix):
                    out.append(v.text)
            text = "".join(out)
            return Prefix(text) if text else UNKNOWN
        return "".join(out)

    def _binop(self, node: ast.BinOp, scope: Scope, depth: int) -> Any:
        left = self.eval(node.left, scope, depth + 1)
        if isinstance(node.op, ast.Div) and (isinstance(left, LocalPath) or
                                             (isinstance(left, Ref) and "pathlib.Path" in left.quals)):
            return LocalPath(None)
        right = self.eval(node.right, scope, depth + 1)
        if isinstance(node.op, ast.Add):
            if isinstance(left, str) and isinstance(right, (str, Prefix)) and \
                    len(left) + len(right if isinstance(right, str) else right.text) > MAX_STR:
                return Prefix(left[:MAX_STR])  # over the budget: only the start is known
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            if isinstance(left, str) and isinstance(right, Prefix):
                return Prefix(left + right.text)
            if isinstance(left, Prefix):
                return left
            if isinstance(left, str) and left:
                return Prefix(left)
            if isinstance(left, LocalPath):
                return LocalPath(None)
            return UNKNOWN
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            args = right if isinstance(right, tuple) else (right,)
            if all(isinstance(a, (str, int, float)) for a in args) and _fits(left, args, repeat=False):
                try:
                    return left % args
                except (TypeError, ValueError, KeyError):
                    return UNKNOWN
            head = left.split("%", 1)[0]
            return Prefix(head) if head else UNKNOWN
        return UNKNOWN

    def _call(self, node: ast.Call, scope: Scope, depth: int) -> Any:
        func = self.eval(node.func, scope, depth + 1)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            base = self.eval(node.func.value, scope, depth + 1)
            if isinstance(base, str):
                args = [self.eval(a, scope, depth + 1) for a in node.args]
                kws = {k.arg: self.eval(k.value, scope, depth + 1) for k in node.keywords if k.arg}
                if all(isinstance(a, (str, int, float)) for a in [*args, *kws.values()]) and \
                        len(kws) == len(node.keywords) and _fits(base, [*args, *kws.values()], repeat=True):
                    try:
                        return base.format(*args, **kws)
                    except (IndexError, KeyError, ValueError):
                        return UNKNOWN
                head = base.split("{", 1)[0]
                return Prefix(head) if head else UNKNOWN
        if isinstance(func, Ref):
            qs = set(func.quals)
            if qs & _PATH_FUNCS or any(q.startswith(("pathlib.", "os.path.")) for q in qs):
                parts = [self.eval(a, scope, depth + 1) for a in node.args]
                if parts and all(isinstance(p, str) for p in parts) and "os.path.join" in qs:
                    return LocalPath(os.path.join(*parts))
                return LocalPath(None)
            if qs & {"os.getenv", "os.environ.get"} and len(node.args) == 2:
                return self.eval(node.args[1], scope, depth + 1)  # the default, like an option default
            if "builtins.str" in qs and len(node.args) == 1:
                v = self.eval(node.args[0], scope, depth + 1)
                return v if isinstance(v, (str, LocalPath, Prefix)) else UNKNOWN
            if "builtins.dict" in qs and not node.args:
                items: list[tuple[str, Any]] = []
                complete = True
                for kw in node.keywords:
                    if kw.arg is None:
                        sub = self.eval(kw.value, scope, depth + 1)
                        if isinstance(sub, DictVal):
                            items.extend(sub.items)
                            complete = complete and sub.complete
                        else:
                            complete = False
                    else:
                        items.append((kw.arg, self.eval(kw.value, scope, depth + 1)))
                return DictVal(tuple(dict(items).items()), complete)
            return Instance(func.quals)
        if isinstance(func, ClassVal):
            return Instance((f"<local>.{func.name}", *func.bases))
        return UNKNOWN


def _small(v: int | float) -> bool:
    """A number whose text is short (a huge int would take long to print, or raise)."""
    return not isinstance(v, int) or v.bit_length() <= 64


def _fits(template: str, args: list[Any] | tuple[Any, ...], repeat: bool) -> bool:
    """Whether formatting ``template`` with ``args`` stays within MAX_STR, judged before doing it:
    every width or precision in the template and every number argument (a ``*`` or nested width) is
    small, and the output cannot exceed the template plus the arguments (``repeat``: ``str.format`` may
    use each argument once per replacement field)."""
    if len(template) > MAX_STR:
        return False
    if any(len(d) > 5 or int(d) > MAX_STR for d in _DIGITS.findall(template)):
        return False
    for a in args:
        if isinstance(a, (int, float)) and not isinstance(a, bool) and (not _small(a) or abs(a) > MAX_STR):
            return False
    longest = max((len(str(a)) for a in args), default=0)
    fields = template.count("{") if repeat else len(args)
    return len(template) + fields * longest <= MAX_STR


def _merge(values: list[Any]) -> Any:
    if not values:
        return UNKNOWN
    first = values[0]
    if all(_same(v, first) for v in values[1:]):
        return first
    if all(isinstance(v, Ref) for v in values):
        return Ref(tuple(dict.fromkeys(q for v in values for q in v.quals)))
    if all(isinstance(v, (str, Choice)) for v in values):
        # ``m = "org/a" if big else "org/b"`` or one constant per if/elif branch: each may be used
        flat = (s for v in values for s in ((v,) if isinstance(v, str) else v.values))
        return Choice(tuple(dict.fromkeys(flat)))
    return UNKNOWN


def _same(a: Any, b: Any) -> bool:
    if a is UNKNOWN or b is UNKNOWN:
        return False
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # pragma: no cover - defensive, values are plain data
        return False
