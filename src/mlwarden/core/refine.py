"""The core's last word on a run's findings, before suppression and sorting (``cli.finish``):

1. **roles**: every finding gets the role of its file (``core.roles``); a finding whose check did not set
   a role itself gets the default severity for that role (``roles.adjust``), or is dropped when its rule
   says it is not reported in that role;
2. **one finding per problem**: when a rule declares that it ``supersedes`` another (``Rule.supersedes``,
   ids or slugs) and both fire on the same path and line for the same subject (``data["name"]`` when both
   have one), the superseded finding is folded into the other: its fact stays in the message and in
   ``data["also"]`` (and in the message too unless it was low or info below a more severe finding). The
   kept finding keeps its own severity: the superseding rule judges the root cause
   (an unpinned line in a library declaration stays info even though cannot-audit alone is medium).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from mlwarden.core.findings import Finding, Severity


def apply_roles(findings: Iterable[Finding], role_of: Callable[[str], Any]) -> list[Finding]:
    from mlwarden.core.roles import adjust

    out: list[Finding] = []
    for f in findings:
        if f.role is not None:
            out.append(f)
            continue
        role = role_of(f.path)
        sev = adjust(f.level, role, f.rule)
        if sev is None:
            continue
        out.append(replace(f, role=str(role.value if hasattr(role, "value") else role),
                           severity=None if sev == f.rule.severity else sev))
    return out


def supersedes(a: Finding, b: Finding) -> bool:
    """Whether ``a`` makes ``b`` redundant (same place, same subject, declared relation)."""
    if a is b or (b.rule.id not in a.rule.supersedes and b.rule.slug not in a.rule.supersedes):
        return False
    if (a.path, a.line) != (b.path, b.line):
        return False
    sa, sb = _subject(a.data), _subject(b.data)
    return sa is None or sb is None or sa == sb


def _subject(data: Mapping[str, Any]) -> Any:
    for key in ("name", "package", "subject"):
        if data.get(key):
            return data[key]
    return None


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """Fold superseded findings into the finding that supersedes them (order kept otherwise)."""
    items = list(findings)
    if not any(f.rule.supersedes for f in items):
        return items
    groups: dict[tuple[str, int | None], list[int]] = {}
    for i, f in enumerate(items):
        groups.setdefault((f.path, f.line), []).append(i)
    parent: dict[int, int] = {}
    for idx in groups.values():
        if len(idx) < 2:
            continue
        for j in idx:
            for i in idx:
                if supersedes(items[i], items[j]) and not supersedes(items[j], items[i]):
                    parent[j] = i
                    break

    def root(i: int) -> int:
        seen = {i}
        while i in parent and parent[i] not in seen:
            i = parent[i]
            seen.add(i)
        return i

    folded: dict[int, list[Finding]] = {}
    for j in sorted(parent):
        r = root(j)
        if r != j:
            folded.setdefault(r, []).append(items[j])
    out: list[Finding] = []
    for i, f in enumerate(items):
        r = root(i) if i in parent else i
        if r != i:
            continue
        extra = folded.get(i)
        if extra:
            f = _fold(f, extra)
        out.append(f)
    return out


def _fold(keep: Finding, others: list[Finding]) -> Finding:
    also = list(keep.data.get("also", ()))
    message = keep.message
    for o in sorted(others, key=lambda o: o.rule.id):
        also.append({"id": o.rule.id, "slug": o.rule.slug, "severity": o.level.label,
                     "message": o.message})
        if o.level >= min(keep.level, Severity.MEDIUM):  # a minor fact stays in data only
            message += f" (also {o.rule.id} {o.rule.slug}: {o.message})"
    return replace(keep, message=message, data={**keep.data, "also": also})


def refine(findings: Iterable[Finding], role_of: Callable[[str], Any] | None) -> list[Finding]:
    out = list(findings)
    if role_of is not None:
        out = apply_roles(out, role_of)
    return merge(out)
