"""The repository-wide pass of check-unsafe-loads: where loaded files come from, and loader wrappers.

Phase 1 (``analyze_file``) parses each Python file or notebook once, applies the per-file rules and keeps,
for every load of a file or of bytes, where its argument comes from (``provenance.Source``) and the file-name
patterns the module writes (``torch.save``, ``pickle.dump`` into ``open(p, "wb")``...).

Phase 2 (``finish``) decides, with the whole repository in view:

* a load whose file name matches a file the repository writes (same name or glob pattern saved elsewhere,
  e.g. ``ckpt.pt`` saved by the training loop, ``meta.pkl`` written by a prepare script), or a temporary
  file the code writes itself, or bytes exchanged inside one job, is **medium** (it was high): the message
  names the writer. A load from a download, a command-line/config value or a Hub id keeps its severity.
* a load of a function parameter makes that function a *loader wrapper*: every call site in the repository
  (found by name; files are re-read only when their text names a wrapper) is reported with the wrapper named
  and the severity of what the call site passes; a wrapper whose callers pass its parameter on is followed
  up to three levels. The load inside the wrapper then drops to low (it is reported at the call sites), and
  stays as it was when no code in the repository calls the wrapper.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlwarden.checks.unsafe_loads import rules as R
from mlwarden.checks.unsafe_loads.provenance import (
    Source,
    Tracer,
    basename,
    same_file,
    save_patterns,
    strong,
)
from mlwarden.core.findings import Finding, Rule, Severity

# rules whose finding is about the file or bytes a call loads
LOAD_RULES = frozenset({R.TORCH_LOAD.id, R.PICKLE_LOAD.id, R.NUMPY_PICKLE.id})
_FILE_KEYWORDS = ("f", "file", "filename", "filepath", "path", "data", "fname", "filepath_or_buffer",
                  "checkpoint", "checkpoint_path", "weights", "weight")
# method names too common to follow by name (library APIs every project calls)
COMMON_NAMES = frozenset({
    "load", "loads", "load_state_dict", "from_pretrained", "open", "read", "get", "run", "main", "call",
    "forward", "__init__", "__call__", "setup", "build", "create", "init", "update", "apply", "process",
    "restore", "resume", "load_model", "load_weights", "load_checkpoint", "load_data", "load_file",
    "from_config", "from_file", "parse", "decode", "load_pretrained", "to", "cuda", "cpu", "save",
})
MAX_ROUNDS = 3


@dataclass
class Pending:
    finding: Finding
    source: Source | None = None
    func: str | None = None  # enclosing function of a load of a parameter
    loads_bytes: bool = False


@dataclass
class Wrapper:
    name: str
    param: int | None
    param_name: str
    rule: Rule
    sink: str
    display: str
    line: int
    pending: Pending | None = None
    callers: int = 0  # call sites reported (for a chain: anywhere below this wrapper)
    passers: list[str] = field(default_factory=list)  # functions that only pass the parameter on
    quiet: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, file, line) of folded call sites
    method: bool = False
    via: str = ""
    parent: Wrapper | None = None
    severity: Severity = Severity.HIGH
    home: str = ""  # the file that defines the function (``display`` is where the load is)

    def __post_init__(self) -> None:
        self.home = self.home or self.display
    site: tuple[Any, ...] | None = None  # (call, display, unit, source) where it passes its parameter on


@dataclass
class FileFacts:
    path: Path
    display: str
    pendings: list[Pending] = field(default_factory=list)
    saves: list[tuple[str, int, str]] = field(default_factory=list)
    wrappers: list[Wrapper] = field(default_factory=list)
    trc_dynamic: bool = False


def file_arg(call: ast.AST) -> ast.AST | None:
    """The argument of a load call that names the file (or holds the bytes)."""
    if not isinstance(call, ast.Call):
        return None
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in _FILE_KEYWORDS), None)


def collect(an: Any, facts: FileFacts, finding_of: Any) -> None:
    """Fill ``facts`` from an Analyzer that has run: its hits (turned into Findings by ``finding_of``), with
    the source of each load, and the files the module writes."""
    tracer = Tracer(an)
    for h in an.hits:
        finding = finding_of(h)
        p = Pending(finding)
        if h.rule.id in LOAD_RULES and not h.data.get("reference") and h.scope is not None:
            node = h.source if h.source is not None else file_arg(h.node)
            if node is not None:
                src = tracer.source(node, h.scope)
                fn = h.data.get("function", "") or h.data.get("call", "")
                p.loads_bytes = str(fn).endswith("loads")
                if p.loads_bytes and src.kind in ("unknown", "param"):
                    why = tracer.in_memory()
                    if why:
                        src = Source("own", why)
                p.source = src
                if src.kind == "param" and finding.level >= Severity.MEDIUM:
                    scope_node = h.scope.node
                    p.func = getattr(scope_node, "name", None)
                    method = h.scope.owner_class is not None
                    if p.func == "__init__" and h.scope.owner_class is not None:
                        # a constructor: its callers write ``ClassName(...)``
                        p.func = getattr(h.scope.owner_class.node, "name", None)
                        method = False
                    if p.func:
                        facts.wrappers.append(Wrapper(p.func, src.param, src.param_name or "", h.rule,
                                                      _sink_text(h), facts.display, finding.line or 0, p,
                                                      severity=finding.level, method=method))
        facts.pendings.append(p)
    for pat, line, writer, src in save_patterns(an, tracer):
        if pat and strong(pat):
            facts.saves.append((pat, line, writer))
        elif src.kind == "param":
            pass  # a save wrapper: its callers name the file (not followed yet)
        if src.temp:
            facts.saves.append(("<temp>", line, writer))


def _sink_text(h: Any) -> str:
    call = h.data.get("call") or h.data.get("function") or "the load"
    if h.rule.id == R.TORCH_LOAD.id:
        wo = h.data.get("weights_only")
        return f"passes it to `{call}`" + (" with weights_only=False" if wo is False else
                                          " without weights_only=True")
    if h.rule.id == R.NUMPY_PICKLE.id:
        return f"passes it to `{call}` with allow_pickle=True"
    return f"unpickles it with `{call}`"


# -- phase 2 ------------------------------------------------------------------------------------------
_MSG_TAIL = re.compile(r" \((CWE-\d+(?:, CWE-\d+)*)\)$")


def _with_tail(message: str, extra: str) -> str:
    """Insert ``extra`` before the trailing ``(CWE-...)`` of a message."""
    m = _MSG_TAIL.search(message)
    if m:
        return message[: m.start()] + extra + message[m.start():]
    return message + extra


class Saves:
    def __init__(self, facts: Iterable[FileFacts]) -> None:
        self.by_file: dict[str, list[tuple[str, int, str]]] = {}
        self.patterns: list[tuple[str, str, int, str]] = []
        for ff in facts:
            for pat, line, writer in ff.saves:
                self.by_file.setdefault(ff.display, []).append((pat, line, writer))
                if pat != "<temp>":
                    self.patterns.append((pat, ff.display, line, writer))
        self._memo: dict[str, tuple[str, int, str] | None] = {}

    def writer_of(self, pattern: str, display: str = "") -> tuple[str, int, str] | None:
        """A place that writes a file of that name: in the same file first, then the same folder."""
        key = f"{display}\0{pattern}"
        if key not in self._memo:
            found = [(d, ln, w) for p, d, ln, w in self.patterns if same_file(pattern, p)]
            folder = display.rsplit("/", 1)[0] if "/" in display else ""
            found.sort(key=lambda t: (t[0] != display,
                                      (t[0].rsplit("/", 1)[0] if "/" in t[0] else "") != folder,
                                      t[0], t[1]))
            self._memo[key] = found[0] if found else None
        return self._memo[key]

    def temp_written(self, display: str) -> tuple[str, int, str] | None:
        return next(((display, ln, w) for p, ln, w in self.by_file.get(display, []) if p == "<temp>"), None)


def classify(src: Source, saves: Saves, display: str) -> Source:
    """Turn a local source into its final kind with the repository's writers in view."""
    if src.kind in ("download", "own", "param"):
        return src
    pats = [basename(p) for p in (src.pattern or "").split("|")]
    if pats and all(p and strong(p) for p in pats):
        writers = [saves.writer_of(p, display) for p in pats if p]
        if all(w is not None for w in writers):
            w = writers[0]
            assert w is not None
            shown = " / ".join(f"`{p}`" for p in pats)
            return Source("own", f"{shown}, a file this project writes (`{w[2]}` at {w[0]}:{w[1]})",
                          src.pattern)
    if src.temp:
        t = saves.temp_written(display)
        if t is not None:
            return Source("own", f"a temporary file this code writes (`{t[2]}` on line {t[1]})")
    return src


def _describe(src: Source) -> str:
    if src.kind == "download":
        return f"; it loads a downloaded file: {src.detail}" if src.detail else "; it loads a downloaded file"
    if src.kind == "user":
        return f"; the path comes from {src.detail}" if src.detail else ""
    if src.kind == "own":
        return f"; it loads {src.detail}"
    return ""


def adjust(p: Pending, saves: Saves) -> Finding:
    f = p.finding
    if p.source is None:
        return f
    src = classify(p.source, saves, f.path)
    p.source = src
    data = dict(f.data)
    data["source"] = src.kind
    message = _with_tail(f.message, _describe(src))
    severity = f.severity
    if src.kind == "own" and f.level >= Severity.HIGH:
        severity = Severity.MEDIUM
    return replace(f, message=message, severity=severity, data=data)


def finish(facts: list[FileFacts], reparse: Any, texts: Any) -> Iterator[Finding]:
    """Phase 2 (see the module doc). ``reparse(path, display)`` gives (unit, Analyzer-ready tree) or None;
    ``texts()`` yields (path, display, text) of every Python file and notebook of the run."""
    saves = Saves(facts)
    adjusted: dict[int, Finding] = {}
    for ff in facts:
        for p in ff.pendings:
            adjusted[id(p)] = adjust(p, saves)
    wrappers: dict[str, list[Wrapper]] = {}
    for ff in facts:
        for w in ff.wrappers:
            wrappers.setdefault(w.name, []).append(w)
    call_sites: list[Finding] = []
    if wrappers:
        call_sites = list(_call_sites(wrappers, saves, reparse, texts))
    for ff in facts:
        for p in ff.pendings:
            f = adjusted[id(p)]
            wr = next((w for ws in wrappers.values() for w in ws if w.pending is p), None)
            if wr is not None:
                f = _wrapper_finding(f, wr)
            yield f
    yield from call_sites


def _wrapper_finding(f: Finding, wr: Wrapper) -> Finding:
    """The load inside a wrapper, judged by what its call sites pass (see the module doc)."""
    what = f" (it loads the `{wr.param_name}` parameter of `{wr.name}`"
    unknown = [(d, ln) for k, d, ln in wr.quiet if k != "own"]
    own = [(d, ln) for k, d, ln in wr.quiet if k == "own"]
    n = wr.callers
    verb = "they pass" if n > 1 else "it passes"
    reported = (f"; {n} call site{'s' if n > 1 else ''} reported where {verb} a downloaded file or a "
                "run-time path") if n else ""
    if unknown:
        d, ln = unknown[0]
        many = len(unknown) > 1
        return replace(f, message=_with_tail(
            f.message, f"{what}; {len(unknown)} call site{'s' if many else ''} pass{'' if many else 'es'} "
            f"values the check cannot trace, e.g. {d}:{ln}{reported})"))
    if own and not n:
        d, ln = own[0]
        return replace(f, severity=min(f.level, Severity.MEDIUM), message=_with_tail(
            f.message, f"{what}; every call site passes a file this project writes, e.g. {d}:{ln})"))
    if n:
        return replace(f, severity=min(f.level, Severity.LOW),
                       message=_with_tail(f.message, what + reported + ")"))
    if wr.passers:
        shown = ", ".join(f"`{x}`" for x in sorted(set(wr.passers))[:5])
        return replace(f, message=_with_tail(
            f.message, f"{what}, passed on by {shown}; no code in this repository passes a value: their "
            "callers decide what it loads)"))
    return replace(f, message=_with_tail(
        f.message, f"{what}, which no code in this repository calls: its callers decide what it loads)"))


def _call_sites(wrappers: dict[str, list[Wrapper]], saves: Saves, reparse: Any,
                texts: Any) -> Iterator[Finding]:
    from mlwarden.checks.unsafe_loads.analyze import Analyzer

    cache: dict[str, tuple[Any, Any, Any] | None] = {}
    files = [(path, display, text) for path, display, text in texts()]
    todo = dict(wrappers)
    seen_sites: set[tuple[str, int, int, str]] = set()
    for _ in range(MAX_ROUNDS):
        if not todo:
            break
        new: dict[str, list[Wrapper]] = {}
        names = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(todo)) + r")\s*\(")
        for path, display, text in files:
            found = {m.group(1) for m in names.finditer(text)}
            if not any(_may_call(text, display, todo[n]) for n in found):
                continue
            if display not in cache:
                cache[display] = _prepare(reparse, path, display, Analyzer)
            prepared = cache[display]
            if prepared is None:
                continue
            unit, an, tracer = prepared
            for scope in an.res.scopes.values():
                for call in scope.calls:
                    f = call.func
                    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                    if name not in todo:
                        continue
                    for w in todo[name]:
                        if not _is_repo_call(an, call, scope, name, w, display):
                            continue
                        arg = _arg_for(call, w)
                        if arg is None:
                            continue
                        key = (display, call.lineno, call.col_offset, w.name)
                        if key in seen_sites:
                            continue
                        seen_sites.add(key)
                        src = classify(tracer.source(arg, scope), saves, display)
                        fn = getattr(scope.node, "name", None)
                        is_method = scope.owner_class is not None
                        if fn == "__init__" and scope.owner_class is not None:
                            fn, is_method = getattr(scope.owner_class.node, "name", None), False
                        if src.kind == "param" and fn and fn != w.name:
                            _root(w).passers.append(fn)
                            child = Wrapper(fn, src.param, src.param_name or "", w.rule, w.sink, w.display,
                                            w.line, None, 0,
                                            via=f"`{w.name}`" + (f" -> {w.via}" if w.via else ""),
                                            parent=w, site=(call, display, unit, src), severity=w.severity,
                                            method=is_method, home=display)
                            new.setdefault(fn, []).append(child)
                            continue
                        if src.kind == "param":
                            continue  # recursion into itself
                        if src.kind not in ("download", "user"):
                            # a file the project writes, or a value the check cannot trace: told once, at the
                            # load inside the wrapper, not as one more finding per call site
                            _root(w).quiet.append((src.kind, display, unit.file_line(call.lineno)))
                            continue
                        node: Wrapper | None = w
                        while node is not None:
                            node.callers += 1
                            node = node.parent
                        yield _site_finding(call, w, src, display, unit)
        todo = new


def _may_call(text: str, display: str, ws: list[Wrapper]) -> bool:
    """A cheap test on the file's text: can it call one of these same-named wrappers?"""
    name = ws[0].name
    for w in ws:
        if display == w.home:
            if re.search(rf"(?<!def )(?<!class )\b{re.escape(name)}\s*\(", text):
                return True
            continue
        if w.method:
            if name not in COMMON_NAMES and re.search(rf"\.{re.escape(name)}\s*\(", text):
                return True
        elif re.search(rf"\b{re.escape(name)}\s*\(", text) and (
                re.search(rf"^[ \t]*(?:from[ \t]+\S+[ \t]+)?import[ \t][^\n]*\b{re.escape(name)}\b", text,
                          re.M) or
                re.search(rf"import[ \t]*\([^)]*\b{re.escape(name)}\b", text) or
                re.search(rf"\.{re.escape(name)}\s*\(", text)):
            return True
    return False


def _root(w: Wrapper) -> Wrapper:
    while w.parent is not None:
        w = w.parent
    return w


def _prepare(reparse: Any, path: Path, display: str, analyzer: Any) -> tuple[Any, Any, Any] | None:
    got = reparse(path, display)
    if got is None:
        return None
    unit, tree, folder = got
    try:
        an = analyzer(tree, folder=folder)
    except (RecursionError, MemoryError):
        return None
    return unit, an, Tracer(an)


def _is_repo_call(an: Any, call: ast.Call, scope: Any, name: str, w: Wrapper, display: str) -> bool:
    """The callee may be the repository function ``w`` (not a library's, not another module's)."""
    from mlwarden.checks.unsafe_loads.resolve import ClassVal, Ref

    f = call.func
    if isinstance(f, ast.Name):
        v = an.res.eval(f, scope)
        if isinstance(v, Ref):
            return any(_same_module(q.rsplit(".", 1)[0], w.home) for q in v.quals)
        if isinstance(v, ClassVal):
            return not w.method and v.name == name and display == w.home  # a constructor wrapper
        return display == w.home  # a function of this module (or a name the check cannot resolve)
    if not isinstance(f, ast.Attribute):
        return False
    v = an.res.eval(f.value, scope)
    if isinstance(v, Ref):
        return not w.method and any(_same_module(q, w.home) for q in v.quals)
    if not w.method:
        return False  # obj.name(...) is not a call of a module-level function
    if isinstance(f.value, ast.Name) and f.value.id in ("self", "cls") and display == w.home:
        return True  # a method of this class (or of a class in the same file)
    return name not in COMMON_NAMES  # self.method / obj.method(...): a repository method of that name


def _same_module(qual: str, display: str) -> bool:
    """Whether the dotted module ``qual`` (``models.experimental``, ``.utils``, ``pkg``) can be the file
    ``display`` (``models/experimental.py``, ``src/pkg/__init__.py``) or a package holding it."""
    mod = qual.lstrip(".")
    if not mod:
        return True
    path = display.rsplit(".", 1)[0].replace("/", ".")
    if path.endswith(".__init__"):
        path = path[: -len(".__init__")]
    if path == mod or path.endswith("." + mod) or mod.endswith("." + path):
        return True
    # a package re-exporting the function: ``from pkg import load_x`` with pkg/io.py defining it
    folder = path.rsplit(".", 1)[0] if "." in path else ""
    return bool(folder) and (folder == mod or folder.endswith("." + mod))


_LIBRARY_ROOTS = frozenset({
    "torch", "numpy", "pickle", "joblib", "dill", "cloudpickle", "pandas", "transformers", "diffusers",
    "datasets", "huggingface_hub", "timm", "tensorflow", "keras", "yaml", "json", "os", "sys", "builtins",
    "sklearn", "safetensors", "accelerate", "peft", "requests", "urllib", "mmcv", "mmengine", "ultralytics",
    "lightning", "pytorch_lightning", "fastai", "basicsr", "onnx", "onnxruntime", "shelve", "jsonpickle",
})


def _arg_for(call: ast.Call, w: Wrapper) -> ast.AST | None:
    for k in call.keywords:
        if k.arg == w.param_name:
            return k.value
    if w.param is not None and w.param < len(call.args):
        a = call.args[w.param]
        if isinstance(a, ast.Starred) or any(isinstance(x, ast.Starred) for x in call.args[:w.param]):
            return None
        return a
    return None


def _enclosing_name(src: Source) -> str:
    m = re.search(r"of `([^`]+)`", src.detail)
    return m.group(1) if m else "it"


def _site_finding(call: ast.Call, w: Wrapper, src: Source, display: str, unit: Any) -> Finding:
    text = ast.unparse(call.func)
    arg = _arg_for(call, w)
    shown = " ".join(ast.unparse(arg).split())[:50] if arg is not None else "?"
    where = f"{w.display}:{w.line}"
    if src.kind == "download":
        origin = f"a downloaded file ({src.detail})" if src.detail else "a downloaded file"
    elif src.kind == "param":
        origin = (f"its own parameter `{src.param_name}` (no code in this repository calls "
                  f"`{_enclosing_name(src)}`: its callers decide what it loads)")
    elif src.kind == "user":
        origin = src.detail or "a value given at run time"
    elif src.kind == "own":
        origin = src.detail
    else:
        origin = f"`{shown}`"
    chain = f" -> {w.via}" if w.via else ""
    message = (f"`{text}(...)` passes {origin} to the loader wrapper `{w.name}`{chain}, which "
               f"{w.sink} ({where}) (" + ", ".join(f"CWE-{c}" for c in w.rule.cwe) + ")")
    severity = min(w.severity, Severity.MEDIUM) if src.kind == "own" else w.severity
    line = unit.file_line(call.lineno)
    pos = unit.cell_of(call.lineno)
    if pos is not None:
        message = f"cell {pos[0]}, line {pos[1]}: {message}"
    data: dict[str, Any] = {"cwe": [f"CWE-{c}" for c in w.rule.cwe], "call": text, "wrapper": w.name,
                            "wrapper_at": where, "source": src.kind}
    if pos is not None:
        data["cell"], data["cell_line"] = pos
    return Finding(rule=w.rule, path=display, message=message, severity=severity, line=line,
                   column=(call.col_offset + 1 if pos is None
                           else unit.file_column(call.lineno, call.col_offset)),
                   hint=f"load with weights_only=True (or safetensors) inside `{w.name}`, or pass only files "
                        "you produced and verified", data=data)
