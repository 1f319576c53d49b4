"""check-unsafe-loads: code that loads models, data and configs in ways that run code or can change under you.

Reads Python files and Jupyter notebooks with the standard ``ast`` module only: nothing scanned is imported,
evaluated or executed. Rules MLW101-MLW107 (unsafe loading code) and MLW201-MLW206 (model/dataset references
and downloads); see ``rules.py`` and ``docs/check-unsafe-loads.md``.

Public API (stable, used by generate-sbom)::

    hub_references(path: Path, display: str) -> list[HubReference]

returns every Hugging Face Hub model or dataset a Python file or notebook refers to with a literal (or
constant-folded) id: ``from_pretrained`` on any class, ``pipeline(model=...)``, ``hf_hub_download``,
``snapshot_download``, ``load_dataset``, ``SentenceTransformer``/``CrossEncoder``, timm/open_clip
``"hf-hub:org/name[@rev]"``. ``HubReference`` is a frozen dataclass: ``kind`` ("model" | "dataset"),
``repo_id``, ``revision`` (the literal revision or None when absent or unresolvable), ``pinned`` (revision is
a full 40-hex commit), ``path`` (the display path given), ``line`` (1-based; for notebooks the line of the
.ipynb JSON text), ``call`` (the callee as written). An unreadable or unparsable file gives an empty list.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mlwarden.checks.base import Check, Context
from mlwarden.checks.unsafe_loads.rules import RULES
from mlwarden.core.files import Matcher
from mlwarden.core.findings import Finding, Severity
from mlwarden.core.options import Option
from mlwarden.core.rules import UNREADABLE

if TYPE_CHECKING:
    from mlwarden.checks.unsafe_loads.analyze import Analyzer, Hit, TorchInfo
    from mlwarden.checks.unsafe_loads.project import FileFacts
    from mlwarden.checks.unsafe_loads.source import Unit

__all__ = ["RULES", "CheckUnsafeLoads", "HubReference", "hub_references", "scan_file", "scan_files"]


@dataclass(frozen=True)
class _RefAt:
    """A Hub reference found while checking a file (line already mapped to the file), kept for
    hub_references in the same process."""

    kind: str
    repo_id: str
    revision: str | None
    pinned: bool
    line: int
    call: str


RawRefLike = _RefAt


@dataclass(frozen=True)
class HubReference:
    kind: str  # "model" | "dataset"
    repo_id: str
    revision: str | None
    pinned: bool
    path: str
    line: int
    call: str


# every rule needs one of these words in the source text (callee names, keywords, URL schemes); the
# provenance pass also needs the files that write checkpoints (save/dump/open for binary writing).
# ``load`` must start a word (``torch.load``, ``load_model``, ``from torch import load``) or end one
# (``full_load``, ``torch_load``): ``dataloader``, ``payload`` and ``model.load_state_dict`` alone do not
# count.
_TRIGGER_WORDS = (
    r"\bload(?!_state_dict\b)|_loads?\b|pickle|unpickler|trust_remote_code|from_pretrained|\bpipeline\b|hf_hub|"
    r"hf-hub|snapshot_download|sentencetransformer|crossencoder|sparseencoder|http:|shelve|safe_mode|unsafe|"
    r"inferencesession|safe_open|urlretrieve|urlopen|download|get_file|checkpoint|learner|"
    r"\.save\(|\bsave\(|dump\(|['\"][wa]\+?b\+?['\"]")
# the same test on raw bytes, fast: plain substring searches of the lowered text (C memmem) first; the
# regular expression only decides the files whose one candidate word is ``load`` or ``save``
_LITERALS_B = (b"pickle", b"trust_remote_code", b"from_pretrained", b"pipeline", b"hf_hub", b"hf-hub",
               b"snapshot_download", b"sentencetransformer", b"crossencoder", b"sparseencoder", b"http:",
               b"shelve", b"safe_mode", b"unsafe", b"inferencesession", b"safe_open", b"urlretrieve",
               b"urlopen",
               b"download", b"get_file", b"checkpoint", b"learner", b"dump(")
_MAYBE_B = (b"load", b"save(", b"b'", b'b"', b"b+'", b'b+"')
_TRIGGERS_B = re.compile(_TRIGGER_WORDS.encode())  # applied to lowered bytes (IGNORECASE is slow)


def _triggered(data: bytes) -> bool:
    low = data.lower()
    if any(w in low for w in _LITERALS_B):
        return True
    return any(w in low for w in _MAYBE_B) and _TRIGGERS_B.search(low) is not None
# what a Hub reference needs (hub_references): a cheap test on the raw bytes before any parsing
_HUB_TRIGGERS_B = re.compile(rb"from_pretrained|pipeline|hf_hub|hf-hub|snapshot_download|load_dataset|"
                             rb"sentencetransformer|crossencoder|sparseencoder|load_lora_weights|"
                             rb"load_textual_inversion|load_ip_adapter", re.IGNORECASE)
_REFS_CACHE: dict[tuple[str, int, int], list[RawRefLike]] = {}


def _stat_key(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size)


def _head(path: Path) -> bytes | None:
    """The file's bytes for the trigger test (None: unreadable; the parser reports it)."""
    try:
        with path.open("rb") as fh:
            return fh.read(32 * 1024 * 1024 + 1)
    except OSError:
        return None


def _matcher(rel: str) -> bool:
    low = rel.lower()
    return low.endswith((".py", ".pyi", ".pyw", ".ipynb", ".yaml", ".yml", ".json", ".toml"))


class _Parsed:
    def __init__(self, unit: Unit, tree: ast.Module) -> None:
        self.unit = unit
        self.tree = tree


def _parse(path: Path, display: str) -> tuple[_Parsed | None, Finding | None]:
    """Parse a file; an unreadable file gives a finding (never a traceback)."""
    from mlwarden.checks.unsafe_loads.source import SourceError, load_unit, parse

    try:
        unit = load_unit(path)
    except SourceError as exc:
        return None, Finding(UNREADABLE, display, f"{display}: {exc}", line=exc.line,
                             hint="fix the file or exclude it")
    except OSError as exc:
        return None, Finding(UNREADABLE, display, f"{display}: cannot read: {exc.strerror or exc}",
                             hint="fix the file or exclude it")
    except (RecursionError, MemoryError, ValueError) as exc:
        return None, Finding(UNREADABLE, display, f"{display}: cannot read: {type(exc).__name__}",
                             hint="fix the file or exclude it")
    tries = 0
    while True:
        try:
            return _Parsed(unit, parse(unit, display)), None
        except SyntaxError as exc:
            line = exc.lineno or 1
            cell = unit.cell_of(line)
            if cell is not None and tries < 50:
                # blank the broken cell, keep checking the rest of the notebook
                tries += 1
                _blank_cell(unit, cell[0])
                continue
            where = f"line {line}"
            return None, Finding(UNREADABLE, display, f"{display}: not valid Python ({where}: {exc.msg}); "
                                 "nothing in it was checked", line=unit.file_line(line),
                                 hint="fix the syntax (or exclude the file); Python 2 code is not supported")
        except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
            return None, Finding(UNREADABLE, display, f"{display}: cannot parse: {type(exc).__name__} "
                                 "(too large or too deeply nested)", hint="exclude the file")


def _blank_cell(unit: Unit, cell: int) -> None:
    lines = unit.text.split("\n")
    for i, c in enumerate(unit.cells):
        if c == cell and i < len(lines):
            lines[i] = ""
    unit.text = "\n".join(lines)
    if cell not in unit.skipped_cells:
        unit.skipped_cells.append(cell)
        unit.broken_cells.append(cell)


def _analyze(parsed: _Parsed, path: Path, root: Path | None, torch_info: TorchInfo | None) -> Analyzer:
    from mlwarden.checks.unsafe_loads.analyze import Analyzer

    info_fn = (lambda: torch_info) if torch_info is not None else None
    an = Analyzer(parsed.tree, folder=str(path.parent), root=str(root) if root else None, torch_info=info_fn)
    an.run()
    return an


def hub_references(path: Path, display: str) -> list[HubReference]:
    """Hugging Face Hub models and datasets referenced by one Python file or notebook (see module doc).
    Files check-unsafe-loads already analysed in this process are not parsed again."""
    path = Path(path)
    key = _stat_key(path)
    cached = _REFS_CACHE.get(key) if key is not None else None
    if cached is None:
        data = _head(path)
        if data is not None and not _HUB_TRIGGERS_B.search(data):
            return []
        return _hub_references(path, display)
    return sorted({HubReference(r.kind, r.repo_id, r.revision, r.pinned, display, r.line, r.call)
                   for r in cached}, key=lambda h: (h.line, h.repo_id, h.kind, h.call, h.revision or ""))


def _hub_references(path: Path, display: str) -> list[HubReference]:
    parsed, _ = _parse(Path(path), display)
    if parsed is None:
        return []
    try:
        an = _analyze(parsed, Path(path), None, None)
    except (RecursionError, MemoryError):
        return []
    unit = parsed.unit
    out = {HubReference(r.kind, r.repo_id, r.revision, r.pinned, display, unit.file_line(r.line), r.call)
           for r in an.refs}
    return sorted(out, key=lambda h: (h.line, h.repo_id, h.kind, h.call, h.revision or ""))


class CheckUnsafeLoads(Check):
    name: ClassVar[str] = "check-unsafe-loads"
    description: ClassVar[str] = (
        "Find code that loads models, data and configs unsafely (torch.load, pickle, numpy allow_pickle, "
        "unsafe YAML, Keras safe_mode=False, trust_remote_code) or from references that can change "
        "(Hub downloads not pinned to a commit, torch.hub refs, plain http, unverified downloads).")
    rules = RULES
    options: ClassVar[tuple[Option, ...]] = (
        Option("torch-version", "str", None,
               "torch version to assume for torch.load severity (default: read from the project's "
               "requirements, pyproject and lock files)", metavar="VERSION"),
    )

    def matcher(self) -> Matcher | None:
        return _matcher

    def run(self, ctx: Context) -> Iterable[Finding]:
        from mlwarden.checks.unsafe_loads.torchver import TorchPins

        pins = TorchPins(ctx.root, ctx.opt("torch-version"))
        files: list[tuple[Path, str]] = []
        for path in ctx.files(_matcher):
            display = ctx.display(path)
            ctx.progress(display)
            files.append((path, display))
        return scan_files(files, ctx.root, pins)


def scan_file(path: Path, display: str, root: Path, pins: object | None = None) -> Iterator[Finding]:
    """Findings for one file (``pins`` is a torchver.TorchPins; None: torch version unknown); loader
    wrappers and written files are followed inside this file only."""
    return scan_files([(path, display)], root, pins)


def scan_files(files: list[tuple[Path, str]], root: Path, pins: object | None = None) -> Iterator[Finding]:
    """Findings for a set of files seen as one repository (see ``project.py``)."""
    from mlwarden.checks.base import guard_file
    from mlwarden.checks.unsafe_loads import configs as cfg
    from mlwarden.checks.unsafe_loads.project import finish

    facts = []
    configs = [(p, d) for p, d in files if cfg.is_config(p.name)]
    files = [(p, d) for p, d in files if not cfg.is_config(p.name)]
    dynamic = False
    for problems, ff in _phase1(files, root, pins):
        dynamic = dynamic or bool(ff is not None and ff.trc_dynamic)
        yield from problems
        if ff is not None:
            facts.append(ff)

    def reparse(path: Path, display: str) -> tuple[Unit, ast.Module, str] | None:
        parsed, _ = _parse(path, display)
        return None if parsed is None else (parsed.unit, parsed.tree, str(path.parent))

    def texts() -> Iterator[tuple[Path, str, str]]:
        for path, display in files:
            try:
                with path.open("rb") as fh:
                    data = fh.read(32 * 1024 * 1024)
            except OSError:
                continue
            yield path, display, data.decode("utf-8", "replace")

    yield from finish(facts, reparse, texts)
    sites: list[Any] = []

    def run_sites() -> Any:  # exec/eval of config values: looked for only once a YAML holds a Python block
        if not sites:
            sites.append(cfg.exec_sites(files, reparse))
        return sites[0]

    for path, display in configs:
        yield from guard_file(display, functools.partial(cfg.scan_config, path, display, dynamic))
        if cfg.is_yaml(path.name):
            yield from guard_file(display, functools.partial(cfg.scan_yaml_data, path, display, run_sites))


# phase 1 runs in a small process pool on large trees (fork start method only, so the pool inherits the
# run's state instead of pickling it); results come back in file order, so the output does not change
POOL_MIN_FILES = 400
_POOL_STATE: tuple[Path, object | None] | None = None


def _jobs() -> int:
    env = os.environ.get("MLWARDEN_JOBS", "").strip()
    if env.isdigit():
        return max(int(env), 1)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return min(cpus, 4)


def _phase1(files: list[tuple[Path, str]], root: Path, pins: object | None
            ) -> Iterator[tuple[list[Finding], FileFacts | None]]:
    global _POOL_STATE
    jobs = _jobs()
    if jobs > 1 and len(files) >= POOL_MIN_FILES:
        import multiprocessing

        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:
            ctx = None
        if ctx is not None:
            _POOL_STATE = (root, pins)
            try:
                try:
                    pool = ctx.Pool(jobs)
                except (OSError, AssertionError, ValueError):
                    pool = None  # e.g. inside a daemonic worker, or no semaphores: run serially
                if pool is not None:
                    with pool:
                        yield from pool.imap(_pool_analyze, files, chunksize=16)
                    return
            finally:
                _POOL_STATE = None
    for path, display in files:
        yield _guarded(path, display, root, pins)


def _guarded(path: Path, display: str, root: Path, pins: object | None
             ) -> tuple[list[Finding], FileFacts | None]:
    """One file's reader failure is a finding on that file; the others are still checked."""
    from mlwarden.checks.base import guard_value

    got, failed = guard_value(display, functools.partial(analyze_file, path, display, root, pins))
    if failed is not None:
        return [failed], None
    assert got is not None
    return got


def _pool_analyze(item: tuple[Path, str]) -> tuple[list[Finding], FileFacts | None]:
    assert _POOL_STATE is not None
    root, pins = _POOL_STATE
    return _guarded(item[0], item[1], root, pins)


def analyze_file(path: Path, display: str, root: Path, pins: object | None = None
                 ) -> tuple[list[Finding], FileFacts | None]:
    """Phase 1 for one file: problems reading it, and its facts (hits with their sources, files written)."""
    from mlwarden.checks.unsafe_loads.analyze import Analyzer, TorchInfo
    from mlwarden.checks.unsafe_loads.project import FileFacts, collect

    key = _stat_key(path)
    head = None if path.name.lower().endswith(".ipynb") else _head(path)
    if head is not None and not _triggered(head):
        # no rule can match a file that names none of the functions or keywords: not even parsed
        if key is not None and len(_REFS_CACHE) < 200_000:
            _REFS_CACHE[key] = []
        return [], None
    parsed, problem = _parse(path, display)
    if problem is not None:
        return [problem], None
    assert parsed is not None
    unit = parsed.unit
    problems: list[Finding] = []
    for cell, why in sorted(unit.bad_cells.items()):
        problems.append(Finding(UNREADABLE, display, f"{display}: {why}",
                                hint="fix the notebook (source must be text)", data={"cell": cell}))
    for cell in unit.broken_cells:
        first = next((i for i, c in enumerate(unit.cells) if c == cell), 0)
        problems.append(Finding(UNREADABLE, display,
                                f"{display}: cell {cell} is not valid Python; it was not checked",
                                severity=Severity.LOW, line=unit.file_line(first + 1),
                                hint="fix the cell (IPython magics are fine)", data={"cell": cell}))
    if head is None and not _triggered(unit.text.encode("utf-8", "surrogatepass")):
        if key is not None and len(_REFS_CACHE) < 200_000:
            _REFS_CACHE[key] = []
        return problems, None  # no rule can match a file that names none of the functions or keywords
    cache: list[TorchInfo] = []

    def torch_info() -> TorchInfo:
        if not cache:
            for_file = getattr(pins, "for_file", None)
            cache.append(for_file(path) if for_file else TorchInfo("unknown"))
        return cache[0]

    try:
        an = Analyzer(parsed.tree, folder=str(path.parent), root=str(root), torch_info=torch_info)
        an.scan_bundles = "trust_remote_code" in unit.text
        an.run()
        if key is not None and len(_REFS_CACHE) < 200_000:
            _REFS_CACHE[key] = [_RefAt(r.kind, r.repo_id, r.revision, r.pinned, unit.file_line(r.line),
                                       r.call) for r in an.refs]
        facts = FileFacts(path, display, trc_dynamic=an.trc_dynamic)
        collect(an, facts, lambda h: _finding(h, unit, display))
    except (RecursionError, MemoryError):
        problems.append(Finding(UNREADABLE, display, f"{display}: too deeply nested to analyse; not checked",
                                hint="exclude the file"))
        return problems, None
    return problems, facts


def _finding(h: Hit, unit: Unit, display: str) -> Finding:
    data = dict(h.data)
    message = h.message
    line = h.line
    pos = unit.cell_of(h.line)
    if pos is not None:
        data["cell"], data["cell_line"] = pos
        message = f"cell {pos[0]}, line {pos[1]}: {message}"
        line = unit.file_line(h.line)
    return Finding(rule=h.rule, path=display, message=message, severity=h.severity, line=line,
                   column=h.column if pos is None else unit.file_column(h.line, h.column - 1), hint=h.hint,
                   data=data)
