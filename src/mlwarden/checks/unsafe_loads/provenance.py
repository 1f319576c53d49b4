"""Where a loaded file comes from, traced statically inside one module (nothing is evaluated).

``Tracer.source(node, scope)`` follows the expression that names the file (or holds the bytes) a load reads:
names to their assignments, ``with open(p) as f`` to ``p``, ``os.path.join``/``Path``/f-strings to their
parts, ``for p in glob("*.pkl")`` to the pattern. The answer is a ``Source``:

* ``download``: a download call (urllib, requests, httpx, ``hf_hub_download``, ``snapshot_download``, a
  function whose name says ``download``) or a URL;
* ``user``: the command line or a run-time config (``args.x``, ``opt["path"]``, ``sys.argv``, ``input()``,
  environment variables);
* ``param``: a parameter of the enclosing function (the function is then a loader wrapper);
* ``own``: bytes this program serialised itself (``pickle.loads`` of a buffer exchanged between ranks of a
  ``torch.distributed`` job, or kept in memory by a module that also ``pickle.dumps``), or a temporary file
  the same function writes;
* ``unknown``: anything else.

Beside the kind, ``pattern`` is the file-name pattern of the path when it can be read (``ckpt.pt``,
``model_*.pth``): the project pass (``project.py``) matches it against the files the repository writes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlwarden.checks.unsafe_loads.resolve import Instance, LocalPath, Scope, children_in_scope

if TYPE_CHECKING:
    from mlwarden.checks.unsafe_loads.analyze import Analyzer

RANK = {"download": 5, "user": 4, "unknown": 3, "param": 2, "own": 1}
USER_NAMES = frozenset({"args", "opt", "opts", "cfg", "config", "conf", "hparams", "hp", "hps", "FLAGS",
                        "flags", "options", "arguments", "cli_args", "script_args", "model_args",
                        "data_args", "training_args", "parsed_args", "params"})
_OPENERS = frozenset({"builtins.open", "io.open", "gzip.open", "bz2.open", "lzma.open", "codecs.open",
                      "smart_open.open", "fsspec.open", "tarfile.open", "zipfile.ZipFile"})
_WRAPPING = frozenset({"io.BytesIO", "builtins.bytes", "builtins.memoryview", "builtins.bytearray",
                       "base64.b64decode", "base64.decodebytes", "zlib.decompress", "gzip.decompress",
                       "lzma.decompress", "bz2.decompress", "builtins.str", "os.fspath", "pathlib.Path",
                       "pathlib.PurePath", "os.path.abspath", "os.path.expanduser", "os.path.realpath",
                       "os.path.normpath", "os.path.expandvars"})
_JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
_READS = frozenset({"read", "read_bytes", "getvalue", "getbuffer", "tobytes", "readall", "content",
                    "numpy", "cpu", "decode", "encode", "resolve", "absolute", "expanduser", "as_posix"})
_GLOBS = frozenset({"glob.glob", "glob.iglob"})
_ITER_WRAPPERS = frozenset({"builtins.sorted", "builtins.list", "builtins.reversed", "builtins.enumerate"})
_HUB_DOWNLOADS = frozenset({"huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download",
                            "huggingface_hub.cached_download", "huggingface_hub.hf_hub_url",
                            "huggingface_hub.HfApi.hf_hub_download",
                            "huggingface_hub.HfApi.snapshot_download", "modelscope.snapshot_download",
                            "modelscope.hub.snapshot_download.snapshot_download"})
_NET_ROOTS = ("requests.", "httpx.", "urllib.request.", "urllib3.", "aiohttp.", "wget.", "gdown.", "boto3.",
              "google.cloud.storage.", "socket.")
_DIST_ROOTS = ("torch.distributed.", "deepspeed.comm.", "horovod.")
_PCT = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdrifgxXeE]")
_BRACE = re.compile(r"\{[^{}]*\}")
MAX_DEPTH = 12
# budgets of the file-name pattern evaluator: names fan out (a = b + b + b), so calls and text are capped
MAX_PATTERN_STEPS = 20_000
MAX_PATTERN = 4096


@dataclass(frozen=True)
class Source:
    kind: str
    detail: str = ""
    pattern: str | None = None
    param: int | None = None  # positional index of the parameter as callers pass it (kind "param")
    param_name: str | None = None
    temp: bool = False


UNKNOWN_SOURCE = Source("unknown")


def worst(sources: list[Source]) -> Source:
    if not sources:
        return UNKNOWN_SOURCE
    best = max(sources, key=lambda s: RANK[s.kind])
    temp = any(s.temp for s in sources)
    if temp != best.temp:
        best = Source(best.kind, best.detail, best.pattern, best.param, best.param_name, temp)
    return best


def basename(pattern: str | None) -> str | None:
    if not pattern:
        return None
    base = re.split(r"[/\\]", pattern)[-1]
    return base or None


def strong(pattern: str | None) -> bool:
    """A file-name pattern specific enough to say two places mean the same file (``ckpt.pt``, ``meta.pkl``,
    ``model_*.pth``; not ``*.pt`` or ``*``)."""
    if not pattern:
        return False
    stem = pattern.rsplit(".", 1)[0] if "." in pattern.lstrip(".") else pattern
    return len(stem.replace("*", "")) >= 3


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in pattern) + r"\Z")


def same_file(a: str, b: str) -> bool:
    """Whether two file-name patterns can name the same file."""
    return bool(_regex(b).match(a.replace("*", "x")) or _regex(a).match(b.replace("*", "x")))


class Tracer:
    def __init__(self, an: Analyzer) -> None:
        self.an = an
        self.res = an.res
        self._busy: set[tuple[int, str]] = set()
        self._distributed: bool | None = None
        self._dumps: bool | None = None
        self._steps = 0

    # -- file name patterns ------------------------------------------------------------------------
    def pattern(self, node: ast.AST | None, scope: Scope, depth: int = 0) -> str | None:
        self._steps += 1
        if node is None or depth > MAX_DEPTH or self._steps > MAX_PATTERN_STEPS:
            return None
        v = self.res.eval(node, scope)
        if isinstance(v, str):
            return v[:MAX_PATTERN]
        if isinstance(v, LocalPath) and v.text:
            return v.text[:MAX_PATTERN]
        if isinstance(node, ast.JoinedStr):
            out = []
            for part in node.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    out.append(part.value)
                elif isinstance(part, ast.FormattedValue):
                    sub = self.pattern(part.value, scope, depth + 1) if part.format_spec is None else None
                    out.append(sub if sub is not None and "/" not in sub else "*")
            return _squash("".join(out))
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                return _squash((self.pattern(node.left, scope, depth + 1) or "*") +
                               (self.pattern(node.right, scope, depth + 1) or "*"))
            if isinstance(node.op, ast.Div):
                return self.pattern(node.right, scope, depth + 1)
            if isinstance(node.op, ast.Mod):
                left = self.pattern(node.left, scope, depth + 1)
                return _squash(_PCT.sub("*", left)) if left else None
            return None
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "format":
                base = self.pattern(f.value, scope, depth + 1)
                return _squash(_BRACE.sub("*", base)) if base else None
            if isinstance(f, ast.Attribute) and f.attr in ("joinpath", "with_suffix", "with_name") and \
                    node.args:
                return self.pattern(node.args[-1], scope, depth + 1)
            quals = set(self.an._callee(node, scope))
            if quals & _JOINS or (isinstance(f, ast.Attribute) and f.attr == "join" and
                                  isinstance(f.value, ast.Attribute) and f.value.attr == "path"):
                return self.pattern(node.args[-1], scope, depth + 1) if node.args else None
            if (quals & _WRAPPING or quals & _OPENERS) and node.args:
                return self.pattern(node.args[0], scope, depth + 1)
            return None
        if isinstance(node, ast.Name):
            exprs = self.res.binding_exprs(scope, node.id)
            if len(exprs) == 1:
                where = self.an._binding_scope(scope, node.id) or scope
                return self.pattern(exprs[0], where, depth + 1)
        return None

    # -- provenance ----------------------------------------------------------------------------------
    def source(self, node: ast.AST | None, scope: Scope, depth: int = 0) -> Source:
        if node is None or depth > MAX_DEPTH:
            return UNKNOWN_SOURCE
        src = self._source(node, scope, depth)
        if src.kind in ("download", "own"):
            return src
        # the file name is read from the node itself (the last part of a join, not a folder in it); a name,
        # an opened file or a loop variable keeps the pattern found where it was bound
        pat = basename(self.pattern(node, scope))
        if pat and pat != "*":
            return Source(src.kind, src.detail, pat, src.param, src.param_name, src.temp)
        if isinstance(node, (ast.Name, ast.Call)):
            return src
        return Source(src.kind, src.detail, None, src.param, src.param_name, src.temp)

    def _source(self, node: ast.AST, scope: Scope, depth: int) -> Source:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and node.value.lower().startswith(("http://", "https://", "s3://",
                                                                                "gs://", "ftp://")):
                return Source("download", f"the URL `{_short(node.value)}`")
            return UNKNOWN_SOURCE
        if isinstance(node, ast.Name):
            return self._name(node.id, scope, depth, getattr(node, "lineno", 1 << 30))
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            return self._member(node, scope, depth)
        if isinstance(node, ast.Call):
            return self._call(node, scope, depth)
        if isinstance(node, ast.JoinedStr):
            parts = [self.source(p.value, scope, depth + 1) for p in node.values
                     if isinstance(p, ast.FormattedValue)]
            return worst([p for p in parts if p.kind != "own"])
        if isinstance(node, ast.BinOp):
            return worst([self.source(node.left, scope, depth + 1),
                          self.source(node.right, scope, depth + 1)])
        if isinstance(node, ast.IfExp):
            return worst([self.source(node.body, scope, depth + 1),
                          self.source(node.orelse, scope, depth + 1)])
        if isinstance(node, ast.BoolOp):
            return worst([self.source(v, scope, depth + 1) for v in node.values])
        if isinstance(node, ast.Await):
            return self.source(node.value, scope, depth + 1)
        return UNKNOWN_SOURCE

    def _name(self, name: str, scope: Scope, depth: int, line: int = 1 << 30) -> Source:
        where = self.an._binding_scope(scope, name)
        if where is None:
            return UNKNOWN_SOURCE
        key = (id(where), name)
        if key in self._busy:
            return Source("own")  # a loop through itself adds nothing
        self._busy.add(key)
        try:
            # (line, how to trace it) per binding; the closest binding before the use decides
            cands: list[tuple[int, int, Any]] = []
            for i, (kind, payload) in enumerate(where.bindings.get(name, [])[:16]):
                if kind == "param":
                    cands.append((getattr(where.node, "lineno", 0), i, ("param", None)))
                elif kind in ("expr", "for") and payload is not None:
                    cands.append((getattr(payload, "lineno", 0), i, (kind, payload)))
                elif kind == "unknown":
                    targets = self._with_targets(name, where)
                    if targets:
                        cands.extend((t.lineno, i, ("with", t)) for t in targets)
                    else:
                        cands.append((0, i, ("unknown", None)))
                else:
                    cands.append((0, i, ("unknown", None)))
            before = [c for c in cands if c[0] <= line]
            chosen = [max(before, key=lambda c: (c[0], c[1]))] if before else cands
            found: list[Source] = []
            for _, _, (kind, payload) in chosen:
                if kind == "param":
                    found.append(self._param(where, name))
                elif kind == "expr":
                    found.append(self.source(payload, where, depth + 1))
                elif kind == "for":
                    found.append(self._iter(payload, where, depth + 1))
                elif kind == "with":
                    found.append(self.source(payload, where, depth + 1))
                else:
                    found.append(UNKNOWN_SOURCE)
            return worst(found)
        finally:
            self._busy.discard(key)

    def _param(self, scope: Scope, name: str) -> Source:
        fn = scope.node
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return UNKNOWN_SOURCE
        positional = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        index: int | None = positional.index(name) if name in positional else None
        method = scope.owner_class is not None and not any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in getattr(fn, "decorator_list", []))
        if method and index is not None:
            index -= 1
            if index < 0:
                return UNKNOWN_SOURCE  # self
        if name in USER_NAMES:
            return Source("user", f"`{name}` (command-line or config options)")
        fname = getattr(fn, "name", "<lambda>")
        return Source("param", f"the `{name}` parameter of `{fname}`", param=index, param_name=name)

    def _with_targets(self, name: str, scope: Scope) -> list[ast.expr]:
        out: list[ast.expr] = []
        for n in children_in_scope(scope.node):
            if isinstance(n, (ast.With, ast.AsyncWith)):
                for item in n.items:
                    v = item.optional_vars
                    if isinstance(v, ast.Name) and v.id == name:
                        out.append(item.context_expr)
        return out

    def _iter(self, node: ast.AST, scope: Scope, depth: int) -> Source:
        """``for p in glob("runs/*.pkl")`` / ``sorted(Path(d).glob("*.pt"))``: the pattern globbed."""
        if isinstance(node, ast.Call):
            quals = set(self.an._callee(node, scope))
            f = node.func
            if quals & _GLOBS or (isinstance(f, ast.Attribute) and f.attr in ("glob", "rglob", "iglob")):
                pat = basename(self.pattern(node.args[0], scope)) if node.args else None
                return Source("unknown", "", pat)
            if node.args and (quals & _ITER_WRAPPERS or
                              (isinstance(f, ast.Name) and f.id in ("sorted", "list", "reversed"))):
                return self._iter(node.args[0], scope, depth + 1)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts:
            parts = [self.source(e, scope, depth + 1) for e in node.elts[:16]]
            pats = [p.pattern for p in parts]
            src = worst(parts)
            if all(pats):
                return Source(src.kind, src.detail, "|".join(sorted(set(p for p in pats if p))), src.param,
                              src.param_name, src.temp)
            return Source(src.kind, src.detail, None, src.param, src.param_name, src.temp)
        return self.source(node, scope, depth)

    def _member(self, node: ast.Attribute | ast.Subscript, scope: Scope, depth: int) -> Source:
        base: ast.AST = node.value
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            text = _dotted(base)
            if text in ("sys.argv", "os.environ"):
                return Source("user", f"`{text}`")
            base = base.value
        text = _dotted(node.value)
        if text in ("sys.argv", "os.environ"):
            return Source("user", f"`{text}`")
        if isinstance(base, ast.Name):
            if base.id in USER_NAMES:
                return Source("user", f"`{_short(ast.unparse(node), 40)}` (command-line or config options)")
            v = self.res.eval(base, scope)
            if isinstance(v, Instance) and any("parse_args" in q or "parse_known_args" in q for q in v.quals):
                return Source("user", f"`{_short(ast.unparse(node), 40)}` (command-line options)")
            if base.id in ("self", "cls"):
                return UNKNOWN_SOURCE
        if isinstance(node, ast.Attribute) and node.attr in ("content", "text", "raw", "body"):
            return self.source(node.value, scope, depth + 1)
        inner = self.source(node.value, scope, depth + 1)
        if inner.kind == "param":
            return Source("param", inner.detail, None, inner.param, inner.param_name)
        if inner.temp:
            return Source("unknown", inner.detail, None, temp=True)
        return inner if inner.kind in ("download", "user") else UNKNOWN_SOURCE

    def _call(self, node: ast.Call, scope: Scope, depth: int) -> Source:
        quals = self.an._callee(node, scope)
        qs = set(quals)
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        from mlwarden.checks.unsafe_loads.analyze import DOWNLOADERS
        from mlwarden.checks.unsafe_loads.helpers import find

        helper = find(quals)
        if qs & set(DOWNLOADERS) or qs & _HUB_DOWNLOADS or (helper and helper[1].kind == "download") or \
                any(q.startswith(_NET_ROOTS) for q in qs) or "download" in name.lower():
            return Source("download", f"`{_short(ast.unparse(f), 40)}` (line {node.lineno})")
        if qs & {"builtins.input", "os.getenv", "os.environ.get"} or name in ("getenv", "input"):
            return Source("user", f"`{name}(...)`")
        if any(q.startswith("tempfile.") for q in qs):
            return Source("unknown", "a temporary file", temp=True)
        if qs & _OPENERS or (name == "open" and not qs):
            return self.source(node.args[0], scope, depth + 1) if node.args else UNKNOWN_SOURCE
        if isinstance(f, ast.Attribute) and f.attr == "open" and node.args:
            return self.source(node.args[0], scope, depth + 1)  # PathManager.open(p), fs.open(p)
        if isinstance(f, ast.Attribute) and (f.attr in _READS or f.attr == "open"):
            return self.source(f.value, scope, depth + 1)
        if qs & _JOINS or qs & _WRAPPING or (isinstance(f, ast.Attribute) and f.attr in ("joinpath", "join")):
            parts = [self.source(a, scope, depth + 1) for a in node.args]
            if isinstance(f, ast.Attribute) and f.attr == "joinpath":
                parts.append(self.source(f.value, scope, depth + 1))
            return worst([p for p in parts if p.kind != "own"] or parts)
        if isinstance(f, ast.Attribute) and f.attr == "format":
            values = (*node.args, *(k.value for k in node.keywords))
            parts = [self.source(a, scope, depth + 1) for a in values]
            return worst(parts) if parts else UNKNOWN_SOURCE
        if isinstance(f, ast.Attribute) and f.attr in ("get", "pop") and node.args:
            inner = self.source(f.value, scope, depth + 1)
            if inner.kind in ("user", "download"):
                return inner
        return UNKNOWN_SOURCE

    # -- bytes exchanged inside one job --------------------------------------------------------------
    def in_memory(self) -> str | None:
        """Why ``pickle.loads`` of a buffer here reads bytes this program produced, or None."""
        if self._distributed is None:
            self._distributed = False
            self._dumps = False
            for sc in self.res.scopes.values():
                for call in sc.calls:
                    quals = self.an._callee(call, sc)
                    if any(q.startswith(_DIST_ROOTS) for q in quals):
                        self._distributed = True
                    if any(q in ("pickle.dumps", "dill.dumps", "cloudpickle.dumps", "pickle._dumps")
                           for q in quals):
                        self._dumps = True
        if self._distributed:
            return "bytes exchanged between the ranks of this torch.distributed job"
        if self._dumps:
            return "bytes this module serialised itself with pickle.dumps"
        return None


def _dotted(node: ast.AST) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _squash(s: str) -> str:
    return re.sub(r"\*+", "*", s[:MAX_PATTERN])


def _short(s: str, limit: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def save_patterns(an: Analyzer, tracer: Tracer) -> list[tuple[str, int, str, Source]]:
    """The files this module writes: (file-name pattern, line, writer, where the path comes from) for
    ``torch.save``, ``pickle.dump`` into ``open(p, "wb")``, ``joblib.dump``, ``numpy.save``, ``.to_pickle``,
    ``accelerator.save`` and any ``open(p, "wb")``."""
    out: list[tuple[str, int, str, Source]] = []
    for scope in an.res.scopes.values():
        for call in scope.calls:
            f = call.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name not in _SAVE_NAMES:
                continue
            quals = set(an._callee(call, scope))
            target: ast.AST | None = None
            writer = name
            if quals & _SAVE_ARG1 or (name in ("save", "dump") and not quals and len(call.args) >= 2):
                target = call.args[1] if len(call.args) > 1 else next(
                    (k.value for k in call.keywords if k.arg in ("f", "filename", "file", "path")), None)
            elif quals & _SAVE_ARG0 or name == "to_pickle":
                target = call.args[0] if call.args else next(
                    (k.value for k in call.keywords if k.arg in ("file", "path", "filename")), None)
            elif name == "open" and (quals & _OPENERS or not quals) and call.args:
                mode = an.arg(call, scope, "mode", 1)[0]
                if isinstance(mode, str) and any(c in mode for c in "wax"):
                    target = call.args[0]
                    writer = "open(..., 'wb')" if "b" in mode else "open(..., 'w')"
            if target is None:
                continue
            pat = basename(tracer.pattern(target, scope))
            src = tracer.source(target, scope)
            if pat or src.kind == "param" or src.temp:
                out.append((pat or "", call.lineno, writer, src))
    return out


_SAVE_NAMES = frozenset({"save", "dump", "to_pickle", "savez", "savez_compressed", "open", "save_file",
                         "save_state_dict", "savetxt"})
_SAVE_ARG1 = frozenset({"torch.save", "torch.jit.save", "pickle.dump", "dill.dump", "cloudpickle.dump",
                        "joblib.dump", "safetensors.torch.save_file", "pickle._dump"})
_SAVE_ARG0 = frozenset({"numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt"})

__all__ = [
    "RANK",
    "UNKNOWN_SOURCE",
    "Source",
    "Tracer",
    "basename",
    "same_file",
    "save_patterns",
    "strong",
    "worst",
]
