"""Markdown summary (GitHub job summary, merge-request comments): counts by severity, the checks that ran,
one table row per finding, then notes.

Everything that comes from scanned files (paths, package names, messages) is escaped so a hostile
repository cannot inject links, images or HTML into the summary. Long reports are cut at ``MAX_ROWS`` rows
(a GitHub step summary is limited to 1 MiB); the SARIF/JSON reports keep every finding.
"""

from __future__ import annotations

import re
from typing import Any

from mlwarden.core.findings import Severity
from mlwarden.formats import Report

MAX_ROWS = 300
MAX_CELL = 300
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape(text: str, limit: int = MAX_CELL) -> str:
    """Plain text for a table cell: no HTML, no Markdown syntax, one line, bounded length."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def counts(report: Report) -> dict[Severity, int]:
    out = {s: 0 for s in Severity}
    for f in report.findings:
        out[f.level] += 1
    return out


def _location(f: Any) -> str:
    loc = escape(f.path)
    if f.line is not None:
        loc += f":{f.line}"
    if f.role and f.role != "install":
        loc += f" ({escape(f.role)})"
    return loc


def render(report: Report) -> str:
    by_sev = counts(report)
    total = len(report.findings)
    scan_meta = report.meta.get("scan", {}) if isinstance(report.meta.get("scan"), dict) else {}
    errors: dict[str, str] = dict(scan_meta.get("errors", {}) or {})
    skipped: dict[str, str] = dict(scan_meta.get("skipped", {}) or {})
    lines = ["## mlwarden", ""]
    if total:
        noun = "finding" if total == 1 else "findings"
        parts = ", ".join(f"{by_sev[s]} {s.label}" for s in sorted(Severity, reverse=True) if by_sev[s])
        lines.append(f"**{total} {noun}** ({parts})")
    else:
        lines.append("**No findings.**")
    lines.append("")
    lines.append("| severity | count |")
    lines.append("|---|---:|")
    for s in sorted(Severity, reverse=True):
        lines.append(f"| {s.label} | {by_sev[s]} |")
    lines.append("")
    if report.checks:
        lines.append("Checks run: " + ", ".join(f"`{c}`" for c in report.checks))
        lines.append("")
    if skipped:
        lines.append("Checks skipped: " + "; ".join(f"`{k}` ({escape(v)})"
                                                    for k, v in sorted(skipped.items())))
        lines.append("")
    if errors:
        lines.append("### Errors")
        lines.append("")
        for name, msg in sorted(errors.items()):
            lines.append(f"- `{name}`: {escape(msg, 1000)}")
        lines.append("")
    if total:
        lines.append("### Findings")
        lines.append("")
        lines.append("| severity | rule | location | message |")
        lines.append("|---|---|---|---|")
        ranked = sorted(report.findings, key=lambda f: -int(f.level))  # stable: keeps path order within
        for f in ranked[:MAX_ROWS]:
            msg = escape(f.message)
            if f.hint:
                msg += " — fix: " + escape(f.hint)
            lines.append(f"| {f.level.label} | {f.id} {escape(f.slug)} | {_location(f)} | {msg} |")
        if total > MAX_ROWS:
            lines.append("")
            lines.append(f"… and {total - MAX_ROWS} more findings (the SARIF and JSON reports list "
                         "every one).")
        lines.append("")
    if report.notes:
        lines.append("### Notes")
        lines.append("")
        for n in report.notes:
            lines.append(f"- {escape(n, 1000)}")
        lines.append("")
    return "\n".join(lines)
