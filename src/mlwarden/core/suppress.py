"""Suppression: inline comments (``# mlwarden: ignore[MLW301,unpinned]`` or a bare ``# mlwarden: ignore``)
and config entries with a reason and an optional expiry date."""

from __future__ import annotations

import datetime as _dt
import fnmatch
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from mlwarden.core.config import Suppression
from mlwarden.core.findings import Finding
from mlwarden.core.rules import SUPPRESSION_EXPIRED

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_INLINE = re.compile(r"mlwarden:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)


def inline_rules(text: str) -> set[str] | None:
    """Rules an inline comment in ``text`` suppresses: None for no comment, {'*'} for all rules."""
    m = _INLINE.search(text)
    if not m:
        return None
    if m.group(1) is None:
        return {"*"}
    return {r.strip().lower() for r in m.group(1).split(",") if r.strip()}


def matches_rule(finding: Finding, names: set[str]) -> bool:
    return "*" in names or finding.rule.id.lower() in names or finding.rule.slug.lower() in names


class LineCache:
    """Reads each text file once, on demand, only for files with findings."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lines: dict[str, list[str]] = {}

    def line(self, path: str, lineno: int) -> str:
        if path not in self._lines:
            p = Path(path)
            if not p.is_absolute():
                p = self.root / p
            try:
                with p.open("rb") as fh:
                    head = fh.read(8 * 1024 * 1024)
                # split on the line breaks editors, pip and Python's tokenizer share (not str.splitlines,
                # which also breaks on form feeds and other separators that Python code may contain)
                self._lines[path] = [] if b"\0" in head[:8192] else \
                    _LINE_BREAK.split(head.decode("utf-8", "replace"))
            except OSError:
                self._lines[path] = []
        lines = self._lines[path]
        return lines[lineno - 1] if 0 < lineno <= len(lines) else ""

    def logical_line(self, path: str, lineno: int, limit: int = 500) -> str:
        """The physical line plus its backslash continuations (a hashed requirement spans several lines and
        only its last line can carry a comment)."""
        parts = [self.line(path, lineno)]
        while parts[-1].rstrip().endswith("\\") and len(parts) < limit:
            nxt = self.line(path, lineno + len(parts))
            if not nxt:
                break
            parts.append(nxt)
        return "\n".join(parts)


def apply(
    findings: Iterable[Finding],
    suppressions: Iterable[Suppression],
    *,
    root: Path,
    config_path: str | None,
    today: _dt.date | None = None,
    line_of: Callable[[Finding], str] | None = None,
) -> list[Finding]:
    """Drop suppressed findings; report config suppressions that have expired (they no longer apply)."""
    today = today or _dt.date.today()
    cache = LineCache(root)
    active: list[Suppression] = []
    out: list[Finding] = []
    for s in suppressions:
        if s.expires is not None and s.expires < today:
            out.append(Finding(
                rule=SUPPRESSION_EXPIRED, path=config_path or "mlwarden.toml", line=s.line,
                message=f"suppression of {s.rule} expired on {s.expires.isoformat()} "
                        f"(reason was: {s.reason})",
                hint="fix the findings it hid, or renew the expiry date with a fresh reason",
                data={"rule": s.rule, "expires": s.expires.isoformat()},
            ))
        else:
            active.append(s)
    for f in findings:
        if f.line:
            text = line_of(f) if line_of else cache.logical_line(f.path, f.line)
            names = inline_rules(text)
            if names is not None and matches_rule(f, names):
                continue
        if any(_config_match(f, s) for s in active):
            continue
        out.append(f)
    return out


def _config_match(f: Finding, s: Suppression) -> bool:
    if s.rule.lower() not in (f.rule.id.lower(), f.rule.slug.lower()):
        return False
    if not s.paths:
        return True
    p = f.path.replace("\\", "/")
    return any(fnmatch.fnmatchcase(p, g) or fnmatch.fnmatchcase(p, g.rstrip("/") + "/*") for g in s.paths)
