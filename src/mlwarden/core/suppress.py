"""Suppression: inline comments (``# mlwarden: ignore[MLW301,unpinned]`` or a bare ``# mlwarden: ignore``)
and config entries with a reason and an optional expiry date.

Hygiene (as ruff's RUF100): a suppression that hides nothing in a run where its rule's check ran is reported
(``MLW003 unused-suppression``), so stale ones can be removed. An unknown rule in a config entry is a config
error with "did you mean"; an unknown rule in an inline comment is a finding (``MLW004``) with "did you mean"
— a comment in a scanned file is content, and content never turns a scan into a usage error.

Cost stays linear: each (file, line) is parsed once however many findings it carries, an inline comment is
found with one regular-expression search, and at most ``MAX_UNKNOWN`` unknown names per comment are looked
up for suggestions.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import io
import re
import tokenize
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlwarden.core.config import Suppression
from mlwarden.core.errors import ConfigError
from mlwarden.core.findings import Finding, Rule
from mlwarden.core.rules import SUPPRESSION_EXPIRED, SUPPRESSION_UNKNOWN_RULE, SUPPRESSION_UNUSED

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_INLINE = re.compile(r"mlwarden:[ \t]*ignore(?:\[([^\]\n]*)\])?", re.IGNORECASE)
_COMMENT_INLINE = re.compile(r"#[ \t]*mlwarden:[ \t]*ignore(?:\[([^\]\n]*)\])?", re.IGNORECASE)
MAX_UNKNOWN = 5
MAX_SCAN_BYTES = 4 * 1024 * 1024
# files in which '#' starts a comment (where an inline suppression can live)
_COMMENT_FILES = re.compile(
    r"(?i)(\.(py|pyi|txt|in|pip|toml|ya?ml|cfg|ini|conf|sh|bash|lock)|(^|/)(dockerfile|makefile|pipfile)"
    r"[^/]*)$")


def inline_rules(text: str) -> set[str] | None:
    """Rules an inline comment in ``text`` suppresses: None for no comment, {'*'} for all rules."""
    m = _INLINE.search(text)
    if not m:
        return None
    if m.group(1) is None:
        return {"*"}
    return {r.strip().lower() for r in m.group(1).split(",") if r.strip()}


def matches_rule(finding: Finding, names: set[str] | frozenset[str]) -> bool:
    return "*" in names or finding.rule.id.lower() in names or finding.rule.slug.lower() in names


class LineCache:
    """Reads each text file once, on demand, only for files with findings."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lines: dict[str, list[str]] = {}
        self._logical: dict[tuple[str, int], str] = {}

    def lines(self, path: str) -> list[str]:
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
        return self._lines[path]

    def line(self, path: str, lineno: int) -> str:
        lines = self.lines(path)
        return lines[lineno - 1] if 0 < lineno <= len(lines) else ""

    def logical_line(self, path: str, lineno: int, limit: int = 500) -> str:
        """The physical line plus its backslash continuations (a hashed requirement spans several lines and
        only its last line can carry a comment)."""
        key = (path, lineno)
        hit = self._logical.get(key)
        if hit is None:
            parts = [self.line(path, lineno)]
            while parts[-1].rstrip().endswith("\\") and len(parts) < limit:
                nxt = self.line(path, lineno + len(parts))
                if not nxt:
                    break
                parts.append(nxt)
            hit = self._logical[key] = "\n".join(parts)
        return hit

    def span(self, path: str, lineno: int) -> int:
        """How many physical lines the logical line at ``lineno`` covers."""
        return self.logical_line(path, lineno).count("\n") + 1


@dataclass
class Outcome:
    """What suppression did: the findings kept (plus hygiene findings) and how many were hidden."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0


@dataclass
class _Inline:
    path: str
    line: int
    names: frozenset[str]
    used: set[str] = field(default_factory=set)


Rules = Sequence[Rule] | Callable[[], Sequence[Rule]]


class _RuleIndex:
    """Rule names to rules. ``rules`` may be a callable giving every rule: it is called only when a name is
    not among ``first`` (the rules of the checks that ran), so a hook does not import every check."""

    def __init__(self, rules: Rules, first: Sequence[Rule] = ()) -> None:
        self._source = rules
        self._all: list[Rule] | None = None if callable(rules) else list(rules)
        self._names: dict[str, Rule] = {}
        for r in (*first, *(self._all or ())):
            self._add(r)
        self._suggest: dict[str, str] = {}

    def _add(self, r: Rule) -> None:
        self._names[r.id.lower()] = r
        self._names[r.slug.lower()] = r

    @property
    def rules(self) -> list[Rule]:
        if self._all is None:
            assert callable(self._source)
            self._all = list(self._source())
            for r in self._all:
                self._add(r)
        return self._all

    def get(self, name: str) -> Rule | None:
        hit = self._names.get(name)
        if hit is None and self._all is None:
            self.rules  # noqa: B018 - load every rule once, then look again
            hit = self._names.get(name)
        return hit

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def suggest(self, name: str) -> str:
        if name not in self._suggest:
            from mlwarden.core.selection import suggest

            self._suggest[name] = suggest(name, self.rules)
        return self._suggest[name]


def validate_config(suppressions: Iterable[Suppression], rules: Rules, origin: str,
                    first: Sequence[Rule] = ()) -> None:
    """Unknown rule names in config suppressions are a config error, with a suggestion."""
    index = _RuleIndex(rules, first)
    for s in suppressions:
        if s.rule.strip().lower() not in index:
            raise ConfigError(f"{origin}: suppress: unknown rule {s.rule!r}{index.suggest(s.rule)}")


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
    return run(findings, suppressions, root=root, config_path=config_path, today=today,
               line_of=line_of).findings


def run(
    findings: Iterable[Finding],
    suppressions: Iterable[Suppression],
    *,
    root: Path,
    config_path: str | None,
    today: _dt.date | None = None,
    line_of: Callable[[Finding], str] | None = None,
    cache: LineCache | None = None,
    rules: Rules = (),
    first_rules: Sequence[Rule] = (),
    ran_rules: Iterable[str] | None = None,
    all_checks_ran: bool = False,
    comment_files: Iterable[str] = (),
) -> Outcome:
    """Suppress; with ``rules`` (every known rule) and ``ran_rules`` (ids of the rules of the checks that
    ran) also report unused and unknown suppressions: config entries, inline comments on lines with
    findings, and inline comments in ``comment_files`` (paths relative to ``root``)."""
    today = today or _dt.date.today()
    cache = cache or LineCache(root)
    hygiene = ran_rules is not None and (callable(rules) or bool(rules))
    ran = {r.lower() for r in (ran_rules or ())}
    index = _RuleIndex(rules, first_rules)
    out = Outcome()
    active: list[Suppression] = []
    used_config: set[int] = set()
    where = config_path or "mlwarden.toml"
    for s in suppressions:
        if s.expires is not None and s.expires < today:
            out.findings.append(Finding(
                rule=SUPPRESSION_EXPIRED, path=where, line=s.line,
                message=f"suppression of {s.rule} expired on {s.expires.isoformat()} "
                        f"(reason was: {s.reason})",
                hint="fix the findings it hid, or renew the expiry date with a fresh reason",
                data={"rule": s.rule, "expires": s.expires.isoformat()},
            ))
        else:
            active.append(s)
    inline: dict[tuple[str, int], _Inline | None] = {}
    for f in findings:
        if f.line:
            key = (f.path, f.line)
            if key not in inline:
                text = line_of(f) if line_of else cache.logical_line(f.path, f.line)
                names = inline_rules(text)
                inline[key] = None if names is None else _Inline(f.path, f.line, frozenset(names))
            comment = inline[key]
            if comment is not None and matches_rule(f, comment.names):
                # constant time per finding, however many names the comment holds
                comment.used.update(n for n in ("*", f.rule.id.lower(), f.rule.slug.lower())
                                    if n in comment.names)
                out.suppressed += 1
                continue
        hit = next((i for i, s in enumerate(active) if _config_match(f, s)), None)
        if hit is not None:
            used_config.add(hit)
            out.suppressed += 1
            continue
        out.findings.append(f)
    if not hygiene:
        return out
    # inline comments in files no finding pointed at
    covered = {(c.path, c.line + k) for c in inline.values() if c is not None
               for k in range(cache.span(c.path, c.line) if not line_of else 1)}
    for path in sorted(set(comment_files)):
        for lineno, names in _comments(cache, path):
            if (path, lineno) not in covered:
                inline.setdefault((path, lineno), _Inline(path, lineno, frozenset(names)))
    for comment in sorted((c for c in inline.values() if c is not None), key=lambda c: (c.path, c.line)):
        out.findings.extend(_inline_hygiene(comment, index, ran, all_checks_ran))
    for i, s in enumerate(active):
        rule = index.get(s.rule.strip().lower())
        if i in used_config or rule is None or rule.id.lower() not in ran:
            continue
        scope = f" for {', '.join(s.paths)}" if s.paths else ""
        out.findings.append(Finding(
            rule=SUPPRESSION_UNUSED, path=where, line=s.line,
            message=f"config suppression of {s.rule}{scope} matches no finding (reason was: {s.reason})",
            hint="remove the [[suppress]] entry (the problem it hid is gone)",
            data={"rule": s.rule, "paths": list(s.paths)}))
    return out


def _inline_hygiene(c: _Inline, index: _RuleIndex, ran: set[str], all_checks_ran: bool) -> list[Finding]:
    out: list[Finding] = []
    unknown = sorted(n for n in c.names if n != "*" and n not in index)
    for name in unknown[:MAX_UNKNOWN]:
        out.append(Finding(
            rule=SUPPRESSION_UNKNOWN_RULE, path=c.path, line=c.line,
            message=f"inline suppression names an unknown rule {name!r}{index.suggest(name)}",
            hint="use a rule id (MLW301) or slug (unpinned); `mlwarden rules` lists them",
            data={"rule": name}))
    if len(unknown) > MAX_UNKNOWN:
        out.append(Finding(
            rule=SUPPRESSION_UNKNOWN_RULE, path=c.path, line=c.line,
            message=f"inline suppression names {len(unknown) - MAX_UNKNOWN} more unknown rules",
            hint="use rule ids or slugs; `mlwarden rules` lists them", data={"count": len(unknown)}))
    if "*" in c.names:
        if not c.used and all_checks_ran:
            out.append(_unused(c, "mlwarden: ignore", "*"))
        return out
    stale = []
    for n in sorted(c.names):
        r = index.get(n) if n != "*" and n not in c.used else None
        if r is not None and r.id.lower() in ran:
            stale.append(n)
    for name in stale[:MAX_UNKNOWN]:
        out.append(_unused(c, f"mlwarden: ignore[{name}]", name))
    return out


def _unused(c: _Inline, shown: str, name: str) -> Finding:
    return Finding(rule=SUPPRESSION_UNUSED, path=c.path, line=c.line,
                   message=f"inline suppression `{shown}` matches no finding on this line",
                   hint="remove it (the problem it hid is gone)", data={"rule": name})


def _comments(cache: LineCache, path: str) -> list[tuple[int, set[str]]]:
    """Inline suppressions written as comments in a text file (Python: real comments only, via tokenize)."""
    if not _COMMENT_FILES.search(path):
        return []
    p = Path(path) if Path(path).is_absolute() else cache.root / path
    try:
        if p.stat().st_size > MAX_SCAN_BYTES:
            return []
        data = p.read_bytes()
    except OSError:
        return []
    if b"mlwarden" not in data.lower() or b"\0" in data[:8192]:
        return []
    text = data.decode("utf-8", "replace")
    out: list[tuple[int, set[str]]] = []
    if path.endswith((".py", ".pyi")):
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT:
                    names = _comment_rules(tok.string)
                    if names is not None:
                        out.append((tok.start[0], names))
            return out
        except (tokenize.TokenError, SyntaxError, ValueError):
            out = []  # fall back to the line scan below
    for i, line in enumerate(_LINE_BREAK.split(text), 1):
        if "mlwarden" in line.lower():
            names = _comment_rules(line)
            if names is not None:
                out.append((i, names))
    return out


def _comment_rules(text: str) -> set[str] | None:
    m = _COMMENT_INLINE.search(text)
    if not m:
        return None
    if m.group(1) is None:
        return {"*"}
    return {r.strip().lower() for r in m.group(1).split(",") if r.strip()}


def _config_match(f: Finding, s: Suppression) -> bool:
    if s.rule.lower() not in (f.rule.id.lower(), f.rule.slug.lower()):
        return False
    if not s.paths:
        return True
    p = f.path.replace("\\", "/")
    return any(fnmatch.fnmatchcase(p, g) or fnmatch.fnmatchcase(p, g.rstrip("/") + "/*") for g in s.paths)
