"""A small pickle virtual machine that never imports, calls or constructs anything it reads.

It walks the opcode stream of protocols 0-5 over any buffer that supports ``buf[i]`` (an int),
``buf[a:b]`` (bytes) and ``buf.find(sub, start, end)`` -- ``bytes`` and ``mmap.mmap`` both do -- and
keeps just enough of the stack and memo to resolve what the real unpickler would import
(``GLOBAL``, ``INST``, ``STACK_GLOBAL`` with memoized strings, ``EXT1/2/4``) and how it would call it
(``REDUCE``, ``NEWOBJ``, ``NEWOBJ_EX``, ``OBJ``, ``INST``, ``BUILD``). Large binary payloads
(``BINBYTES``, ``BINUNICODE``, ``BYTEARRAY8``...) are skipped by offset, never copied.

Errors (truncation, invalid opcodes, stack underflow, limits) end the walk of that pickle and are
recorded; nothing here raises on hostile input.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Any, Protocol

# bytes/str payloads longer than this are not copied: a Blob(start, length) stands for them
_SMALL = 512
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


class Buffer(Protocol):
    def __getitem__(self, key: Any) -> Any: ...
    def find(self, sub: bytes, start: int = ..., end: int = ...) -> int: ...


class Global:
    """A resolved ``module`` + ``name`` the unpickler would import."""

    __slots__ = ("module", "name", "offset", "opcode")

    def __init__(self, module: str, name: str, offset: int, opcode: str) -> None:
        self.module = module
        self.name = name
        self.offset = offset
        self.opcode = opcode


class Obj:
    """What a call (REDUCE/NEWOBJ/OBJ/INST) would have produced."""

    __slots__ = ("args", "attrs", "func", "offset", "state", "wraps")

    def __init__(self, func: Any, args: Any, offset: int) -> None:
        self.func = func
        self.args = args
        self.state: Any = None
        self.offset = offset
        self.wraps: Any = None  # functools.partial: the callable it wraps
        # attributes and items planted on the object by BUILD / SETITEM(S) (special names only)
        self.attrs: dict[str, Any] | None = None


class Blob:
    """A large bytes/str payload left in place in the buffer."""

    __slots__ = ("length", "start", "text")

    def __init__(self, start: int, length: int, text: bool) -> None:
        self.start = start
        self.length = length
        self.text = text


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<?>"


UNKNOWN = _Unknown()


@dataclass
class GlobalUse:
    module: str
    name: str
    offset: int  # where the global was first resolved
    opcode: str  # GLOBAL, STACK_GLOBAL, INST
    shapes: set[str] = field(default_factory=set)  # REDUCE, NEWOBJ, BUILD, ... or "reference"
    pushes: int = 0  # getattr/partial only: times it was put on the stack (import, memo get, DUP)
    resolved: int = 0  # getattr/partial only: uses resolved statically (getattr(<global>, "<identifier>"),
    # partial(<global>, ...))
    targets: set[tuple[str, str]] = field(default_factory=set)  # the globals those uses reach

    def only_constant_getattr(self) -> bool:
        """True when this is ``builtins.getattr`` and every use of it was ``getattr(<imported global>,
        "<identifier>")``: the unpickler then just looks up a dotted global, which is classified on its
        own (``zoneinfo.ZoneInfo._unpickle``; ``object.__subclasses__`` stays dangerous)."""
        return (
            (self.module, self.name) in GETATTR
            and self.resolved > 0
            and self.resolved >= self.pushes
            and not (self.shapes - {"reference"})
        )

    def only_resolved_partial(self) -> bool:
        """True when this is ``functools.partial`` and every use of it wraps an imported global: the wrapped
        global is then judged (as called) on its own, ``partial(int, base=2)`` like ``int``."""
        return (
            (self.module, self.name) in PARTIAL
            and self.resolved > 0
            and self.resolved >= self.pushes
            and not (self.shapes - {"reference"})
        )

    def kind(self) -> str:
        """How the loader uses this global: ``call`` (called with arguments: REDUCE, INST/OBJ, a helper that
        calls its argument, a planted ``__setstate__``), ``object`` (only a class rebuilt as an object:
        NEWOBJ, ``copyreg._reconstructor``'s class, a class called without arguments), or ``reference``
        (imported and passed along as a value, never called by the loader)."""
        kinds = {_SHAPE_KIND.get(s.split(" (", 1)[0], "call") for s in self.shapes if s != "reference"}
        if "call" in kinds:
            return "call"
        return "object" if "object" in kinds else "reference"


GETATTR = frozenset({("builtins", "getattr"), ("__builtin__", "getattr")})
PARTIAL = frozenset({("functools", "partial"), ("_functools", "partial")})
_WRAPPERS = GETATTR | PARTIAL

# call shapes that only rebuild an object (the class is not called with load-time arguments)
OBJECT_SHAPES = (
    "NEWOBJ",
    "NEWOBJ_EX",
    "BUILD on result",
    "object via copyreg._reconstructor",
    "object via copyreg.__newobj__",
    "object via a rebuild helper",
    "REDUCE without arguments",
    "INST without arguments",
    "OBJ without arguments",
)
_SHAPE_KIND = {s: "object" for s in OBJECT_SHAPES}
# a functools.partial made at load time only stores its callable (calling the partial is a call of it)
_SHAPE_KIND["referenced via functools.partial"] = "reference"

# Allowlisted helpers whose arguments the loader calls or instantiates, so the argument must be judged as
# called: (module, name) -> ((index of the callable, index of its argument tuple or None, shape), ...)
# and the index of an object state the helper applies with setattr (None: none).
ARG_CALLERS: dict[tuple[str, str], tuple[tuple[tuple[int, int | None, str], ...], int | None]] = {
    ("torch._tensor", "_rebuild_from_type_v2"): (
        ((0, 2, "called via torch._tensor._rebuild_from_type_v2"), (1, None, "object via a rebuild helper")),
        3,
    ),
    ("torch._tensor", "_rebuild_from_type"): (
        ((0, 2, "called via torch._tensor._rebuild_from_type"), (1, None, "object via a rebuild helper")),
        None,
    ),
    ("torch._utils", "_rebuild_parameter_with_state"): ((), 3),
    ("torch._utils", "_rebuild_wrapper_subclass"): (((0, None, "object via a rebuild helper"),), None),
    ("copyreg", "_reconstructor"): (
        (
            (0, None, "object via copyreg._reconstructor"),
            (1, None, "base class called via copyreg._reconstructor"),
        ),
        None,
    ),
    ("copyreg", "__newobj__"): (((0, None, "object via copyreg.__newobj__"),), None),
    ("copyreg", "__newobj_ex__"): (((0, None, "object via copyreg.__newobj__"),), None),
    ("numpy.core.multiarray", "_reconstruct"): (((0, None, "object via a rebuild helper"),), None),
    ("numpy._core.multiarray", "_reconstruct"): (((0, None, "object via a rebuild helper"),), None),
    ("numpy.ma.core", "_mareconstruct"): (
        ((0, None, "object via a rebuild helper"), (1, None, "object via a rebuild helper")),
        None,
    ),
    ("pandas.core.indexes.base", "_new_Index"): (((0, None, "object via a rebuild helper"),), None),
    ("numpy.random._pickle", "__randomstate_ctor"): (
        ((1, -1, "called via numpy.random._pickle.__randomstate_ctor"),),
        None,
    ),
    ("numpy.random._pickle", "__generator_ctor"): (
        ((1, -1, "called via numpy.random._pickle.__generator_ctor"),),
        None,
    ),
}

_PY2_CALLERS = {
    ("copy_reg", "_reconstructor"): ("copyreg", "_reconstructor"),
    ("copy_reg", "__newobj__"): ("copyreg", "__newobj__"),
}

# Attribute names that change what an object does when set on it (by BUILD's state, a helper's setattr or
# a dict item a class exposes as attributes): a planted __setstate__ is called by the next BUILD.
SPECIAL_ATTRS = frozenset(
    {
        "__setstate__",
        "__getstate__",
        "__reduce__",
        "__reduce_ex__",
        "__getattr__",
        "__getattribute__",
        "__setattr__",
        "__delattr__",
        "__call__",
        "__class__",
        "__dict__",
        "__init__",
        "__new__",
        "__del__",
        "__get__",
        "__set__",
        "__delete__",
        "__getitem__",
        "__setitem__",
        "__delitem__",
        "__missing__",
        "__iter__",
        "__next__",
        "__enter__",
        "__exit__",
        "__eq__",
        "__ne__",
        "__hash__",
        "__repr__",
        "__str__",
        "__format__",
        "__len__",
        "__bool__",
        "__contains__",
        "__init_subclass__",
        "__set_name__",
        "__class_getitem__",
        "__instancecheck__",
        "__subclasscheck__",
        "__index__",
        "__int__",
        "__float__",
        "__bytes__",
        "__fspath__",
        "__await__",
        "__aiter__",
        "__anext__",
        "__copy__",
        "__deepcopy__",
        "__getnewargs__",
        "__getnewargs_ex__",
        "__subclasshook__",
        "__prepare__",
        "__mro_entries__",
        "__globals__",
        "__code__",
        "__builtins__",
        "__import__",
        "__loader__",
        "__spec__",
        "__func__",
        "__self__",
        "__closure__",
        "__defaults__",
        "__kwdefaults__",
        "__add__",
        "__radd__",
        "__mul__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__array_ufunc__",
        "__array_function__",
        "__array__",
        "__torch_function__",
        "__torch_dispatch__",
        "__array_finalize__",
        "__array_wrap__",
    }
)


def _note_push(res: PickleResult, value: Any) -> None:
    if type(value) is Global and (value.module, value.name) in _WRAPPERS:
        res.add_global(value).pushes += 1


@dataclass
class Limits:
    max_opcodes: int = 50_000_000
    max_stack: int = 1_000_000
    max_memo: int = 2_000_000
    max_nesting: int = 8  # joblib object arrays nest whole pickles


@dataclass
class PickleResult:
    start: int
    end: int  # offset just after STOP, or where the walk stopped
    proto: int = 0
    complete: bool = False  # reached STOP
    opcodes: int = 0
    globals: dict[tuple[str, str], GlobalUse] = field(default_factory=dict)
    ext_codes: list[tuple[int, int]] = field(default_factory=list)  # (offset, code)
    dynamic: list[tuple[int, str]] = field(default_factory=list)  # STACK_GLOBAL not resolvable
    errors: list[tuple[int, str]] = field(default_factory=list)
    nested: list[tuple[int, str, Any]] = field(default_factory=list)  # (offset, via, payload argument)
    # special attributes planted on objects: (offset, how, attribute name, what is planted, on what)
    planted: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    joblib_arrays: int = 0

    def add_global(self, g: Global) -> GlobalUse:
        key = (g.module, g.name)
        use = self.globals.get(key)
        if use is None:
            use = self.globals[key] = GlobalUse(g.module, g.name, g.offset, g.opcode)
        return use


class PickleError(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


_JOBLIB_WRAPPERS = frozenset(
    {
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("sklearn.externals.joblib.numpy_pickle", "NumpyArrayWrapper"),
    }
)
# callables whose bytes argument is itself a serialized file the loader opens (scanned recursively);
# file-object loaders are followed through io.BytesIO(<bytes>)
NESTED_LOADERS = frozenset(
    {
        ("torch.storage", "_load_from_bytes"),
        ("pickle", "loads"),
        ("_pickle", "loads"),
        ("cPickle", "loads"),
        ("pickle", "load"),
        ("_pickle", "load"),
        ("pickle", "_loads"),
        ("pickle", "_load"),
        ("dill", "loads"),
        ("dill._dill", "loads"),
        ("cloudpickle", "loads"),
        ("torch", "load"),
        ("torch.serialization", "load"),
        ("torch.serialization", "_load"),
        ("joblib", "load"),
        ("joblib.numpy_pickle", "load"),
        ("numpy", "load"),
        ("numpy.lib.npyio", "load"),
        ("numpy.lib._npyio_impl", "load"),
        ("pandas", "read_pickle"),
        ("pandas.io.pickle", "read_pickle"),
        ("marshal", "loads"),
    }
)


def _root_global(value: Any) -> Global | None:
    depth = 0
    while isinstance(value, Obj) and depth < 64:
        value = value.func
        depth += 1
    return value if isinstance(value, Global) else None


def _mark_use(res: PickleResult, callee: Any, shape: str) -> None:
    if isinstance(callee, Global):
        res.add_global(callee).shapes.add(shape)
    elif isinstance(callee, Obj) and callee.wraps is not None and shape != "BUILD":
        # calling a functools.partial calls what it wraps
        how = shape if shape.startswith("called via") else "called via functools.partial"
        _mark_use(res, callee.wraps, how)
    else:
        g = _root_global(callee)
        if g is not None:
            res.add_global(g).shapes.add(f"{shape} on result")


def _gname(value: Any) -> str:
    if isinstance(value, Global):
        return f"{value.module}.{value.name}"
    return _describe(value)


def _is_classname(g: Any) -> bool:
    """A CapWords last name segment: a class by convention (functions and gadgets are lower case)."""
    if not isinstance(g, Global):
        return False
    last = g.name.rsplit(".", 1)[-1]
    return bool(last) and last[0].isupper() and not last.isupper()


def _state_dicts(state: Any) -> list[dict[Any, Any]]:
    """The attribute dicts a BUILD state (``dict`` or ``(dict, slotstate)``) applies."""
    if isinstance(state, dict):
        return [state]
    if isinstance(state, tuple) and len(state) == 2:
        return [d for d in state if isinstance(d, dict)]
    return []


def _dtype_info(dt: Any) -> tuple[int, bool] | None:
    """(itemsize, hasobject) of a pickled numpy dtype (an Obj of numpy.dtype with its state)."""
    if not isinstance(dt, Obj):
        return None
    args = dt.args
    if not isinstance(args, tuple) or not args or not isinstance(args[0], str):
        return None
    typestr = args[0]
    state = dt.state
    hasobject = typestr.startswith("O")
    size = -1
    if isinstance(state, tuple) and len(state) >= 8:
        if isinstance(state[5], int) and state[5] > 0:
            size = state[5]
        if isinstance(state[7], int) and state[7] & 1:
            hasobject = True
    if size <= 0:
        digits = typestr.lstrip("<>|=")[1:]
        if not digits.isdigit():
            return None
        size = int(digits)
    return size, hasobject


class PickleVM:
    """Walk one pickle (from ``start`` to its STOP) and report what it imports and calls."""

    def __init__(self, buf: Buffer, end: int, limits: Limits | None = None, depth: int = 0) -> None:
        self.buf = buf
        self.end = end
        self.limits = limits or Limits()
        self.depth = depth

    # -- helpers ---------------------------------------------------------------------------------
    def _need(self, pos: int, n: int) -> None:
        if n < 0 or pos + n > self.end:
            raise PickleError(pos, f"truncated: needs {n} bytes, {max(self.end - pos, 0)} left")

    def _line(self, pos: int) -> tuple[bytes, int]:
        nl = self.buf.find(b"\n", pos, self.end)
        if nl < 0:
            raise PickleError(pos, "truncated: unterminated text argument")
        return self.buf[pos:nl], nl + 1

    def _payload(self, pos: int, n: int, text: bool) -> Any:
        self._need(pos, n)
        if n > _SMALL:
            return Blob(pos, n, text)
        raw = bytes(self.buf[pos : pos + n])
        if text:
            return raw.decode("utf-8", "surrogatepass")
        return raw

    # -- main loop -------------------------------------------------------------------------------
    def run(self, start: int) -> PickleResult:
        res = PickleResult(start=start, end=start)
        try:
            self._run(start, res)
        except PickleError as exc:
            res.end = exc.offset
            res.errors.append((exc.offset, exc.message))
        except (
            ValueError,
            IndexError,
            TypeError,
            UnicodeDecodeError,
            OverflowError,
            MemoryError,
            RecursionError,
        ) as exc:  # defensive: hostile input never escapes
            res.errors.append((res.end, f"malformed pickle: {type(exc).__name__}: {exc}"))
        return res

    def _run(self, pos: int, res: PickleResult) -> None:
        buf: Any = self.buf
        end = self.end
        lim = self.limits
        stack: list[Any] = []
        marks: list[int] = []
        memo: dict[int, Any] = {}
        unpack_i = struct.unpack_from
        count = 0
        max_ops = lim.max_opcodes
        max_stack = lim.max_stack
        max_memo = lim.max_memo

        def pop_mark(at: int) -> list[Any]:
            if not marks:
                raise PickleError(at, "MARK expected but not found")
            k = marks.pop()
            items = stack[k:]
            del stack[k:]
            return items

        def pop(at: int) -> Any:
            if not stack or (marks and len(stack) <= marks[-1]):
                raise PickleError(at, "stack underflow")
            return stack.pop()

        at = pos
        try:
            while True:
                if pos >= end:
                    res.end = pos
                    raise PickleError(pos, "truncated: no STOP opcode")
                at = pos
                op = buf[pos]
                pos += 1
                count += 1
                if not count & 1023:
                    if count > max_ops:
                        raise PickleError(at, f"opcode limit ({max_ops}) reached")
                    if len(stack) > max_stack or len(marks) > max_stack:
                        raise PickleError(at, f"stack depth limit ({max_stack}) reached")
                    if len(memo) > max_memo:
                        raise PickleError(at, f"memo size limit ({max_memo}) reached")
                # most frequent first
                if op == 0x71:  # BINPUT
                    if pos >= end:
                        raise PickleError(at, "truncated: BINPUT")
                    if not stack:
                        raise PickleError(at, "PUT on empty stack")
                    memo[buf[pos]] = stack[-1]
                    pos += 1
                elif op == 0x94:  # MEMOIZE
                    if not stack:
                        raise PickleError(at, "MEMOIZE on empty stack")
                    memo[len(memo)] = stack[-1]
                elif op == 0x68:  # BINGET
                    if pos >= end:
                        raise PickleError(at, "truncated: BINGET")
                    idx = buf[pos]
                    pos += 1
                    if idx not in memo:
                        raise PickleError(at, f"memo key {idx} not found")
                    stack.append(memo[idx])
                    if type(stack[-1]) is Global:
                        _note_push(res, stack[-1])
                elif op == 0x8C:  # SHORT_BINUNICODE
                    if pos >= end:
                        raise PickleError(at, "truncated: SHORT_BINUNICODE")
                    n = buf[pos]
                    pos += 1
                    if pos + n > end:
                        raise PickleError(at, "truncated: SHORT_BINUNICODE")
                    stack.append(buf[pos : pos + n].decode("utf-8", "surrogatepass"))
                    pos += n
                elif op == 0x28:  # MARK
                    marks.append(len(stack))
                elif op == 0x4B:  # BININT1
                    if pos >= end:
                        raise PickleError(at, "truncated: BININT1")
                    stack.append(buf[pos])
                    pos += 1
                elif op == 0x4A:  # BININT
                    self._need(pos, 4)
                    stack.append(unpack_i("<i", buf, pos)[0])
                    pos += 4
                elif op == 0x4D:  # BININT2
                    self._need(pos, 2)
                    stack.append(buf[pos] | (buf[pos + 1] << 8))
                    pos += 2
                elif op == 0x47:  # BINFLOAT
                    if pos + 8 > end:
                        raise PickleError(at, "truncated: BINFLOAT")
                    stack.append(0.0)
                    pos += 8
                elif op == 0x85:  # TUPLE1
                    stack.append((pop(at),))
                elif op == 0x86:  # TUPLE2
                    b = pop(at)
                    a = pop(at)
                    stack.append((a, b))
                elif op == 0x87:  # TUPLE3
                    c = pop(at)
                    b = pop(at)
                    a = pop(at)
                    stack.append((a, b, c))
                elif op == 0x74:  # TUPLE
                    stack.append(tuple(pop_mark(at)))
                elif op == 0x29:  # EMPTY_TUPLE
                    stack.append(())
                elif op == 0x4E:  # NONE
                    stack.append(None)
                elif op == 0x88:  # NEWTRUE
                    stack.append(True)
                elif op == 0x89:  # NEWFALSE
                    stack.append(False)
                elif op == 0x52:  # REDUCE
                    args = pop(at)
                    func = pop(at)
                    if (
                        type(func) is Global
                        and (func.module, func.name) in GETATTR
                        and isinstance(args, tuple)
                        and len(args) == 2
                        and type(args[0]) is Global
                        and isinstance(args[1], str)
                        and args[1].isidentifier()
                    ):
                        # getattr(<global>, "attr") is the dotted global <global>.attr
                        g = Global(args[0].module, f"{args[0].name}.{args[1]}", at, "getattr")
                        use = res.add_global(func)
                        use.resolved += 1
                        use.targets.add((g.module, g.name))
                        res.add_global(g).shapes.add("reference")
                        stack.append(g)
                        continue
                    stack.append(self._call(res, func, args, at, "REDUCE"))
                elif op == 0x51:  # BINPERSID
                    pop(at)
                    stack.append(UNKNOWN)
                elif op == 0x62:  # BUILD
                    state = pop(at)
                    if not stack or (marks and len(stack) <= marks[-1]):
                        raise PickleError(at, "BUILD on empty stack")
                    target = stack[-1]
                    self._build(res, target, state, at)
                    if isinstance(target, Obj):
                        target.state = state
                        root = target.func
                        if isinstance(root, Global) and (root.module, root.name) in _JOBLIB_WRAPPERS:
                            pos = self._skip_joblib_array(pos, target, res)
                elif op == 0x7D:  # EMPTY_DICT
                    stack.append({})
                elif op == 0x5D:  # EMPTY_LIST
                    stack.append([])
                elif op == 0x75:  # SETITEMS
                    items = pop_mark(at)
                    if not stack:
                        raise PickleError(at, "SETITEMS without a dict")
                    d = stack[-1]
                    if isinstance(d, dict) and len(d) < 4096:
                        for i in range(0, len(items) - 1, 2):
                            try:
                                d[items[i]] = items[i + 1]
                            except TypeError:
                                pass
                    elif isinstance(d, Obj):
                        for i in range(0, len(items) - 1, 2):
                            self._item(res, d, items[i], items[i + 1], at)
                elif op == 0x73:  # SETITEM
                    v = pop(at)
                    k = pop(at)
                    if not stack:
                        raise PickleError(at, "SETITEM without a dict")
                    d = stack[-1]
                    if isinstance(d, dict) and len(d) < 4096:
                        try:
                            d[k] = v
                        except TypeError:
                            pass
                    elif isinstance(d, Obj):
                        self._item(res, d, k, v, at)
                elif op == 0x65:  # APPENDS
                    items = pop_mark(at)
                    if not stack:
                        raise PickleError(at, "APPENDS without a list")
                    lst = stack[-1]
                    if isinstance(lst, list) and len(lst) < 4096:
                        lst.extend(items[:4096])
                elif op == 0x61:  # APPEND
                    v = pop(at)
                    if not stack:
                        raise PickleError(at, "APPEND without a list")
                    lst = stack[-1]
                    if isinstance(lst, list) and len(lst) < 4096:
                        lst.append(v)
                elif op == 0x93:  # STACK_GLOBAL
                    name = pop(at)
                    module = pop(at)
                    if isinstance(module, str) and isinstance(name, str):
                        g = Global(module, name, at, "STACK_GLOBAL")
                        res.add_global(g).shapes.add("reference")
                        stack.append(g)
                        _note_push(res, g)
                    else:
                        res.dynamic.append(
                            (
                                at,
                                f"STACK_GLOBAL operands are not plain strings "
                                f"({_describe(module)}, {_describe(name)})",
                            )
                        )
                        stack.append(UNKNOWN)
                elif op == 0x81:  # NEWOBJ
                    args = pop(at)
                    cls = pop(at)
                    _mark_use(res, cls, "NEWOBJ")
                    stack.append(Obj(cls, args, at))
                elif op == 0x92:  # NEWOBJ_EX
                    kwargs = pop(at)
                    args = pop(at)
                    cls = pop(at)
                    _mark_use(res, cls, "NEWOBJ_EX")
                    stack.append(Obj(cls, (args, kwargs), at))
                elif op == 0x58:  # BINUNICODE
                    self._need(pos, 4)
                    n = unpack_i("<I", buf, pos)[0]
                    stack.append(self._payload(pos + 4, n, True))
                    pos += 4 + n
                elif op == 0x43:  # SHORT_BINBYTES
                    self._need(pos, 1)
                    n = buf[pos]
                    stack.append(self._payload(pos + 1, n, False))
                    pos += 1 + n
                elif op == 0x42:  # BINBYTES
                    self._need(pos, 4)
                    n = unpack_i("<I", buf, pos)[0]
                    stack.append(self._payload(pos + 4, n, False))
                    pos += 4 + n
                elif op == 0x8E or op == 0x8D or op == 0x96:  # BINBYTES8, BINUNICODE8, BYTEARRAY8
                    self._need(pos, 8)
                    n = unpack_i("<Q", buf, pos)[0]
                    stack.append(self._payload(pos + 8, n, op == 0x8D))
                    pos += 8 + n
                elif op == 0x55:  # SHORT_BINSTRING
                    self._need(pos, 1)
                    n = buf[pos]
                    raw = self._payload(pos + 1, n, False)
                    stack.append(raw.decode("latin-1") if isinstance(raw, bytes) else raw)
                    pos += 1 + n
                elif op == 0x54:  # BINSTRING
                    self._need(pos, 4)
                    n = unpack_i("<i", buf, pos)[0]
                    if n < 0:
                        raise PickleError(at, "negative BINSTRING length")
                    raw = self._payload(pos + 4, n, False)
                    stack.append(raw.decode("latin-1") if isinstance(raw, bytes) else raw)
                    pos += 4 + n
                elif op == 0x95:  # FRAME
                    self._need(pos, 8)
                    pos += 8
                elif op == 0x80:  # PROTO
                    self._need(pos, 1)
                    proto = buf[pos]
                    if proto > 5:
                        raise PickleError(at, f"unsupported pickle protocol {proto}")
                    res.proto = proto
                    pos += 1
                elif op == 0x2E:  # STOP
                    res.end = pos
                    res.complete = True
                    res.opcodes = count
                    return
                elif op == 0x8A:  # LONG1
                    self._need(pos, 1)
                    n = buf[pos]
                    self._need(pos + 1, n)
                    stack.append(int.from_bytes(buf[pos + 1 : pos + 1 + n], "little", signed=True))
                    pos += 1 + n
                elif op == 0x8B:  # LONG4
                    self._need(pos, 4)
                    n = unpack_i("<i", buf, pos)[0]
                    if n < 0:
                        raise PickleError(at, "negative LONG4 length")
                    self._need(pos + 4, n)
                    stack.append(
                        int.from_bytes(buf[pos + 4 : pos + 4 + min(n, 64)], "little", signed=True)
                        if n <= 64
                        else UNKNOWN
                    )
                    pos += 4 + n
                elif op == 0x72:  # LONG_BINPUT
                    self._need(pos, 4)
                    if not stack:
                        raise PickleError(at, "PUT on empty stack")
                    memo[unpack_i("<I", buf, pos)[0]] = stack[-1]
                    pos += 4
                elif op == 0x6A:  # LONG_BINGET
                    self._need(pos, 4)
                    idx = unpack_i("<I", buf, pos)[0]
                    pos += 4
                    if idx not in memo:
                        raise PickleError(at, f"memo key {idx} not found")
                    stack.append(memo[idx])
                    if type(stack[-1]) is Global:
                        _note_push(res, stack[-1])
                elif op == 0x30:  # POP
                    if marks and len(stack) == marks[-1]:
                        pop_mark(at)
                    else:
                        pop(at)
                elif op == 0x31:  # POP_MARK
                    pop_mark(at)
                elif op == 0x32:  # DUP
                    if not stack:
                        raise PickleError(at, "DUP on empty stack")
                    stack.append(stack[-1])
                    _note_push(res, stack[-1])
                elif op == 0x8F:  # EMPTY_SET
                    stack.append(UNKNOWN)
                elif op == 0x90:  # ADDITEMS
                    pop_mark(at)
                    if not stack:
                        raise PickleError(at, "ADDITEMS without a set")
                elif op == 0x91:  # FROZENSET
                    pop_mark(at)
                    stack.append(UNKNOWN)
                elif op == 0x6C:  # LIST
                    stack.append(pop_mark(at)[:4096])
                elif op == 0x64:  # DICT
                    items = pop_mark(at)
                    d = {}
                    for i in range(0, len(items) - 1, 2):
                        try:
                            d[items[i]] = items[i + 1]
                        except TypeError:
                            pass
                    stack.append(d)
                elif op == 0x63:  # GLOBAL
                    mod, pos = self._line(pos)
                    nm, pos = self._line(pos)
                    g = Global(_text(mod), _text(nm), at, "GLOBAL")
                    res.add_global(g).shapes.add("reference")
                    stack.append(g)
                    _note_push(res, g)
                elif op == 0x69:  # INST
                    mod, pos = self._line(pos)
                    nm, pos = self._line(pos)
                    g = Global(_text(mod), _text(nm), at, "INST")
                    args = pop_mark(at)
                    stack.append(self._call(res, g, tuple(args), at, "INST"))
                elif op == 0x6F:  # OBJ
                    items = pop_mark(at)
                    if not items:
                        raise PickleError(at, "OBJ without a class")
                    stack.append(self._call(res, items[0], tuple(items[1:]), at, "OBJ"))
                elif op == 0x82 or op == 0x83 or op == 0x84:  # EXT1, EXT2, EXT4
                    n = 1 if op == 0x82 else (2 if op == 0x83 else 4)
                    self._need(pos, n)
                    code = int.from_bytes(buf[pos : pos + n], "little")
                    pos += n
                    res.ext_codes.append((at, code))
                    stack.append(UNKNOWN)
                elif op == 0x50:  # PERSID
                    _, pos = self._line(pos)
                    stack.append(UNKNOWN)
                elif op == 0x49:  # INT (also TRUE/FALSE as I01/I00)
                    line, pos = self._line(pos)
                    stack.append(_int_or_unknown(line))
                elif op == 0x4C:  # LONG
                    line, pos = self._line(pos)
                    stack.append(_int_or_unknown(line.rstrip(b"L")))
                elif op == 0x46:  # FLOAT
                    line, pos = self._line(pos)
                    stack.append(float(line))
                elif op == 0x53:  # STRING
                    line, pos = self._line(pos)
                    stack.append(_py_string(line))
                elif op == 0x56:  # UNICODE
                    line, pos = self._line(pos)
                    stack.append(_text(line, "raw_unicode_escape"))
                elif op == 0x67:  # GET
                    line, pos = self._line(pos)
                    idx2 = _int_or_unknown(line)
                    if not isinstance(idx2, int) or idx2 not in memo:
                        raise PickleError(at, f"memo key {line[:20]!r} not found")
                    stack.append(memo[idx2])
                    _note_push(res, stack[-1])
                elif op == 0x70:  # PUT
                    line, pos = self._line(pos)
                    idx2 = _int_or_unknown(line)
                    if not isinstance(idx2, int) or not stack:
                        raise PickleError(at, "bad PUT")
                    memo[idx2] = stack[-1]
                elif op == 0x97:  # NEXT_BUFFER
                    stack.append(UNKNOWN)
                elif op == 0x98:  # READONLY_BUFFER
                    if not stack:
                        raise PickleError(at, "READONLY_BUFFER on empty stack")
                else:
                    raise PickleError(at, f"invalid opcode 0x{op:02x}")
        except PickleError:
            res.opcodes = count
            raise
        except (
            ValueError,
            IndexError,
            TypeError,
            UnicodeDecodeError,
            OverflowError,
            MemoryError,
            RecursionError,
            struct.error,
        ) as exc:
            res.opcodes = count
            raise PickleError(at, f"malformed pickle: {type(exc).__name__}: {exc}") from None

    # -- what calls and builds really call -----------------------------------------------------------
    def _call(self, res: PickleResult, func: Any, args: Any, at: int, op: str) -> Obj:
        """REDUCE / INST / OBJ: ``func(*args)``. Resolves what the call really calls: the callable a
        ``functools.partial`` wraps, the arguments of helpers that call or instantiate them, and the bytes a
        nested loader opens."""
        obj = Obj(func, args, at)
        key = (func.module, func.name) if type(func) is Global else None
        if (
            key in PARTIAL
            and op == "REDUCE"
            and isinstance(args, tuple)
            and args
            and isinstance(args[0], (Global, Obj))
        ):
            use = res.add_global(func)
            use.resolved += 1
            target = args[0]
            if isinstance(target, Global):
                use.targets.add((target.module, target.name))
            obj.wraps = target
            # making a partial calls nothing; calling it (REDUCE on it, a helper) calls what it wraps
            _mark_use(res, target, "referenced via functools.partial")
            self._nested(res, target, args[1:], at)
            return obj
        if args == () and _is_classname(func):
            _mark_use(res, func, f"{op} without arguments")  # a class instantiated with no load-time data
        else:
            _mark_use(res, func, op)
        if key is None:
            return obj
        self._nested(res, func, args, at)
        spec = ARG_CALLERS.get(key) or ARG_CALLERS.get(_PY2_CALLERS.get(key, key))
        if spec is not None and isinstance(args, tuple):
            for ci, ai, shape in spec[0]:
                if ci >= len(args) or not isinstance(args[ci], (Global, Obj)):
                    continue
                callee = args[ci]
                if (
                    ci == 1
                    and shape.startswith("base")
                    and isinstance(callee, Global)
                    and (callee.module in ("builtins", "__builtin__") and callee.name == "object")
                ):
                    continue  # object.__new__: nothing runs
                _mark_use(res, callee, shape)
                if ai is not None:
                    cargs = (args[0],) if ai < 0 else (args[ai] if ai < len(args) else None)
                    self._nested(res, callee, cargs, at)
            si = spec[1]
            if si is not None and si < len(args):
                self._check_state(res, obj, args[si], at, f"state applied by {key[0]}.{key[1]}")
        return obj

    def _nested(self, res: PickleResult, callee: Any, args: Any, at: int) -> None:
        if (
            isinstance(callee, Global)
            and (callee.module, callee.name) in NESTED_LOADERS
            and isinstance(args, tuple)
            and args
        ):
            res.nested.append((at, f"{callee.module}.{callee.name}", args[0]))

    def _build(self, res: PickleResult, target: Any, state: Any, at: int) -> None:
        """BUILD: ``target.__setstate__(state)`` when it has one -- a ``__setstate__`` planted by an earlier
        BUILD or dict item is called with ``state`` --, else the state dict is applied as attributes."""
        planted = target.attrs.get("__setstate__") if isinstance(target, Obj) and target.attrs else None
        if planted is not None:
            _mark_use(res, planted, "called as a planted __setstate__")
            self._nested(res, planted, (state,), at)
            return
        if not isinstance(target, Obj) or target.wraps is None or not isinstance(state, tuple) or not state:
            _mark_use(res, target, "BUILD")
        if not isinstance(target, Obj):
            return
        if target.wraps is not None and isinstance(state, tuple) and state:
            # functools.partial.__setstate__((func, args, kwds, dict)) replaces the wrapped callable
            new = state[0]
            if isinstance(new, (Global, Obj)):
                if new is not target.wraps:
                    _mark_use(res, new, "referenced via functools.partial")
                    root = target.func
                    if isinstance(new, Global) and isinstance(root, Global):
                        res.add_global(root).targets.add((new.module, new.name))
                target.wraps = new
                self._nested(res, new, state[1] if len(state) > 1 else None, at)
            return
        self._check_state(res, target, state, at, "BUILD state")

    def _check_state(self, res: PickleResult, target: Any, state: Any, at: int, how: str) -> None:
        for d in _state_dicts(state):
            for n, (k, v) in enumerate(d.items()):
                if n >= 4096:
                    break
                if isinstance(k, str) and k in SPECIAL_ATTRS:
                    self._plant(res, target, k, v, at, how)

    def _item(self, res: PickleResult, target: Obj, key: Any, value: Any, at: int) -> None:
        """SETITEM(S) on an object (a dict subclass): classes such as Lightning's AttributeDict read items
        back as attributes, so a ``__setstate__`` item is called by the next BUILD."""
        if isinstance(key, str) and key in SPECIAL_ATTRS:
            self._plant(res, target, key, value, at, "dict item (read back as an attribute)")

    def _plant(self, res: PickleResult, target: Any, key: str, value: Any, at: int, how: str) -> None:
        if isinstance(target, Obj):
            if target.attrs is None:
                target.attrs = {}
            target.attrs[key] = value
        root = _root_global(target)
        on = f"{root.module}.{root.name}" if root is not None else "an object"
        if len(res.planted) < 64:
            res.planted.append((at, how, key, _gname(value), on))

    def _skip_joblib_array(self, pos: int, wrapper: Obj, res: PickleResult) -> int:
        """joblib writes a wrapped array's raw bytes (or a nested pickle) right after its BUILD."""
        state = wrapper.state
        if not isinstance(state, dict):
            raise PickleError(pos, "joblib array wrapper without a readable state")
        shape = state.get("shape")
        info = _dtype_info(state.get("dtype"))
        if (
            not isinstance(shape, tuple)
            or not all(isinstance(x, int) and x >= 0 for x in shape)
            or info is None
        ):
            raise PickleError(pos, "joblib array wrapper: cannot determine the array size")
        itemsize, hasobject = info
        res.joblib_arrays += 1
        if hasobject:
            if self.depth >= self.limits.max_nesting:
                raise PickleError(pos, "joblib object arrays nested too deep")
            inner = PickleVM(self.buf, self.end, self.limits, depth=self.depth + 1).run(pos)
            _merge(res, inner)
            if not inner.complete:
                raise PickleError(inner.end, "joblib object array: nested pickle did not end")
            return inner.end
        if state.get("numpy_array_alignment_bytes") is not None:
            self._need(pos, 1)
            pos += 1 + self.buf[pos]
        count = 1
        for x in shape:
            count *= x
        n = count * itemsize
        self._need(pos, n)
        return pos + n


def _merge(res: PickleResult, inner: PickleResult) -> None:
    for key, use in inner.globals.items():
        mine = res.globals.get(key)
        if mine is None:
            res.globals[key] = use
        else:
            mine.shapes |= use.shapes
            mine.pushes += use.pushes
            mine.resolved += use.resolved
            mine.targets |= use.targets
    res.ext_codes.extend(inner.ext_codes)
    res.dynamic.extend(inner.dynamic)
    res.errors.extend(inner.errors)
    res.nested.extend(inner.nested)
    res.planted.extend(inner.planted)
    res.joblib_arrays += inner.joblib_arrays


def _describe(v: Any) -> str:
    if isinstance(v, Global):
        return f"global {v.module}.{v.name}"
    if isinstance(v, Obj):
        g = _root_global(v)
        return f"result of {g.module}.{g.name}" if g else "result of a call"
    if isinstance(v, Blob):
        return f"{v.length}-byte payload"
    return type(v).__name__


def _text(raw: bytes, encoding: str = "utf-8") -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _int_or_unknown(line: bytes) -> Any:
    """INT/LONG/GET/PUT argument; a malformed one is an error, as in the real unpickler."""
    s = line.strip()
    try:
        return int(s)
    except ValueError:
        return int(s, 0)


def _py_string(line: bytes) -> Any:
    s = line.strip()
    if len(s) >= 2 and s[:1] == s[-1:] and s[:1] in (b"'", b'"'):
        inner = s[1:-1]
        if b"\\" not in inner:
            return inner.decode("latin-1")
        try:
            return inner.decode("unicode_escape")
        except UnicodeDecodeError:
            return UNKNOWN
    raise ValueError("the STRING opcode argument must be quoted")


def is_identifier_path(s: str) -> bool:
    return bool(_IDENT.match(s))
