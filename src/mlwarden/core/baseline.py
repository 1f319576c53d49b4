"""Baselines: record today's findings so that only new ones are reported.

A finding's fingerprint is made of its rule, its path, the *normalized content* of the line it is on (or,
for a finding about a whole file or an object inside it, its message) and its ordinal among the findings with
the same rule, path and content. Line numbers are not part of it, so moving a line, inserting lines above
it or reformatting it (whitespace, quote style, a trailing comment) keeps the fingerprint; changing what the
line says makes a new one.

Renamed files: a finding whose exact fingerprint is not in the baseline still matches a baseline entry with
the same rule and content hash whose recorded path no longer exists (the file was moved or renamed, e.g.
``git mv``). A copy of a file (old path still present) is new code and is reported.

The baseline file is JSON, sorted, without timestamps, so that regenerating it on an unchanged tree gives the
same bytes and a review diff shows exactly which findings were added or fixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwarden.core.errors import ConfigError, InputError
from mlwarden.core.findings import Finding

DEFAULT_FILE = ".mlwarden-baseline.json"
FORMAT_VERSION = 1

_COMMENT = re.compile(r"(?:^|\s)#.*$", re.DOTALL)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Content of a line as it matters for a fingerprint: no comment after whitespace, no whitespace, one
    quote style, no trailing comma (what formatters change)."""
    out = []
    for part in text.split("\n"):
        part = _COMMENT.sub("", part)
        out.append(part)
    joined = _SPACE.sub("", "".join(out)).replace("\\", "")
    return joined.replace("'", '"').rstrip(",")


def relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` (the baseline file's), '/' separators, '..' allowed."""
    try:
        return Path(os.path.relpath(os.path.normpath(os.path.abspath(path)),
                                    os.path.normpath(os.path.abspath(folder)))).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()[:20]


@dataclass(frozen=True)
class Entry:
    rule: str
    slug: str
    path: str
    hash: str  # digest of rule, normalized content and ordinal

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule, self.path, self.hash)

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "slug": self.slug, "path": self.path, "hash": self.hash}


def fingerprints(findings: Sequence[Finding], line_of: Callable[[Finding], str],
                 path_of: Callable[[Finding], str] | None = None) -> list[Entry]:
    """One entry per finding, in the same order. ``line_of`` gives the (logical) source line of a finding
    with a line number; ``path_of`` the path to record (relative to the baseline file's folder)."""
    content: list[str] = []
    for f in findings:
        text = normalize(line_of(f)) if f.line else ""
        if not text:
            # a whole-file or object finding: what it says (numbers that are offsets or positions vary)
            text = "msg:" + _SPACE.sub(" ", re.sub(r"\b(?:line|offset|byte|at)\s+\d+", "", f.message)).strip()
        content.append(text)
    order = sorted(range(len(findings)), key=lambda i: (findings[i].path, findings[i].rule.id, content[i],
                                                        findings[i].line or 0, findings[i].column or 0,
                                                        findings[i].message))
    seen: dict[tuple[str, str, str], int] = {}
    out: list[Entry | None] = [None] * len(findings)
    for i in order:
        f = findings[i]
        k = (f.rule.id, (path_of(f) if path_of else f.path).replace("\\", "/"), content[i])
        n = seen.get(k, 0)
        seen[k] = n + 1
        out[i] = Entry(f.rule.id, f.rule.slug, k[1], _digest(f.rule.id, content[i], str(n)))
    return [e for e in out if e is not None]


def render(entries: Iterable[Entry]) -> str:
    """The baseline file's text (byte-stable)."""
    items = sorted({e.key: e for e in entries}.values(), key=lambda e: (e.path, e.rule, e.hash))
    doc = {"tool": "mlwarden", "baseline-version": FORMAT_VERSION, "count": len(items),
           "findings": [e.as_dict() for e in items]}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def load(path: Path) -> list[Entry]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"baseline file not found (create it with `mlwarden baseline -o {path}`)",
                          path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the baseline: {exc.strerror}", path=str(path)) from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"not a mlwarden baseline (invalid JSON: {exc})", path=str(path)) from None
    items = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(items, list) or doc.get("tool") != "mlwarden":
        raise InputError("not a mlwarden baseline (no 'findings' list)", path=str(path))
    out = []
    for item in items:
        if not (isinstance(item, dict) and
                all(isinstance(item.get(k), str) for k in ("rule", "path", "hash"))):
            raise InputError("not a mlwarden baseline (an entry lacks rule, path or hash)", path=str(path))
        out.append(Entry(item["rule"], str(item.get("slug", "")), item["path"], item["hash"]))
    return out


@dataclass
class Comparison:
    new: list[Finding] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)
    fixed: list[Entry] = field(default_factory=list)
    renamed: int = 0

    def summary(self, file: str) -> dict[str, Any]:
        return {"file": file, "baselined": len(self.baselined), "new": len(self.new),
                "fixed": len(self.fixed),
                "fixed-findings": [e.as_dict() for e in sorted(self.fixed, key=lambda e: (e.path, e.rule,
                                                                                           e.hash))]}


def compare(findings: Sequence[Finding], entries: Sequence[Entry], line_of: Callable[[Finding], str],
            exists: Callable[[str], bool], in_scope: Callable[[Entry], bool] | None = None,
            path_of: Callable[[Finding], str] | None = None) -> Comparison:
    """Split ``findings`` into new and baselined; baseline entries no finding matched are ``fixed`` (only
    those ``in_scope`` of this run: a hook that checked one file does not call the others fixed)."""
    prints = fingerprints(findings, line_of, path_of)
    pool: dict[tuple[str, str, str], Entry] = {e.key: e for e in entries}
    out = Comparison()
    unmatched: list[int] = []
    for i, (f, fp) in enumerate(zip(findings, prints, strict=True)):
        if pool.pop(fp.key, None) is not None:
            out.baselined.append(f)
        else:
            unmatched.append(i)
    # second pass: a file that was moved or renamed keeps its baselined findings
    gone: dict[tuple[str, str], list[Entry]] = {}
    for e in sorted(pool.values(), key=lambda e: (e.path, e.rule, e.hash)):
        if not exists(e.path):
            gone.setdefault((e.rule, e.hash), []).append(e)
    for i in unmatched:
        fp = prints[i]
        cands = gone.get((fp.rule, fp.hash))
        if cands:
            e = cands.pop(0)
            pool.pop(e.key, None)
            out.baselined.append(findings[i])
            out.renamed += 1
        else:
            out.new.append(findings[i])
    out.fixed = [e for e in pool.values() if in_scope is None or in_scope(e)]
    return out
