"""The one-line summary every human-readable report ends with: counts per severity and per check, and what
triage hid (baselined, fixed since the baseline, suppressed, outside --new-since, filtered)."""

from __future__ import annotations

from collections import Counter

from mlwarden.core.findings import Severity
from mlwarden.formats import Report


def hidden_parts(report: Report) -> list[str]:
    stats = report.stats
    parts = []
    base = stats.get("baseline")
    if isinstance(base, dict):
        parts.append(f"{base.get('baselined', 0)} baselined")
        if base.get("fixed"):
            parts.append(f"{base['fixed']} fixed since the baseline (refresh it with `mlwarden baseline`)")
    if stats.get("suppressed"):
        parts.append(f"{stats['suppressed']} suppressed")
    since = stats.get("new-since")
    if isinstance(since, dict) and since.get("unchanged"):
        parts.append(f"{since['unchanged']} on unchanged lines since {since.get('rev')}")
    if stats.get("filtered"):
        parts.append(f"{stats['filtered']} filtered out")
    return parts


def line(report: Report) -> str:
    """``5 findings (1 high, 4 low) in check-pins 3, scan-models 2; 12 baselined, 2 suppressed``."""
    total = len(report.findings)
    by_sev = Counter(f.level for f in report.findings)
    by_check = Counter(f.rule.check or "core" for f in report.findings)
    if total:
        noun = "finding" if total == 1 else "findings"
        sev = ", ".join(f"{by_sev[s]} {s.label}" for s in sorted(Severity, reverse=True) if by_sev[s])
        checks = ", ".join(f"{c} {n}" for c, n in sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0])))
        head = f"{total} {noun} ({sev}) in {checks}"
    else:
        head = "no findings"
    hidden = hidden_parts(report)
    return head + ("; " + ", ".join(hidden) if hidden else "")
