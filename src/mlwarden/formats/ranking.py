"""What a reader sees first: findings ranked by severity, then by the role of their file (application code
before examples, tests and vendored code), then by place; identical findings (same rule, severity, message
and hint) in several files grouped into one entry with the list of places."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mlwarden.core.findings import Finding

# roles a reader cares about first; a finding without a role ranks with install paths
ROLE_RANK = {None: 0, "install": 0, "library": 1, "dev": 2, "example": 3, "test": 4, "vendored": 5,
             "generated": 6}


def rank_key(f: Finding) -> tuple[int, int, str, int, str]:
    return (-int(f.level), ROLE_RANK.get(f.role, 3), f.path, f.line or 0, f.rule.id)


def ranked(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=rank_key)


@dataclass
class Group:
    """One problem: its first (best-ranked) finding and every place it occurs."""

    finding: Finding
    places: list[Finding] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.places)


def group(findings: Sequence[Finding]) -> list[Group]:
    """Identical findings across files as one group each, in rank order."""
    by_key: dict[tuple[str, int, str, str], Group] = {}
    out: list[Group] = []
    for f in ranked(findings):
        key = (f.rule.id, int(f.level), f.message, f.hint)
        g = by_key.get(key)
        if g is None:
            g = by_key[key] = Group(f)
            out.append(g)
        g.places.append(f)
    return out


def location(f: Finding) -> str:
    return f"{f.path}:{f.line}" if f.line is not None else f.path
