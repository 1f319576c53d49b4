"""Markdown summary (GitHub job summary, merge-request comments): counts by severity (and what the baseline,
suppressions and filters hid), the checks that ran, a table per rule (count, severity, first places), the top
findings by severity and file role with identical findings across files grouped, findings fixed since the
baseline, then notes; the SARIF/JSON/HTML reports hold the rest.

Everything that comes from scanned files (paths, package names, messages) is escaped so a hostile
repository cannot inject links, images or HTML into the summary. Long reports are cut at ``MAX_ROWS`` rows
(a GitHub step summary is limited to 1 MiB); the SARIF/JSON reports keep every finding.
"""

from __future__ import annotations

import re
from typing import Any

from mlwarden.core.findings import Severity
from mlwarden.formats import Report
from mlwarden.formats.ranking import Group, group, location, ranked
from mlwarden.formats.summary import hidden_parts

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


MAX_PLACES = 5


def _places(g: Group) -> str:
    first = _location(g.finding)
    if g.count == 1:
        return first
    rest = ", ".join(escape(location(f)) for f in g.places[1:MAX_PLACES])
    more = f" and {g.count - MAX_PLACES} more" if g.count > MAX_PLACES else ""
    return f"{g.count} places: {first}, {rest}{more}"


def _full_reports(report: Report) -> str:
    raw = report.stats.get("reports")
    files: dict[str, Any] = raw if isinstance(raw, dict) else {}
    named = [f"{kind} `{escape(str(path))}`" for kind, path in sorted(files.items()) if path]
    if named:
        return "every finding is in the " + ", ".join(named) + " report" + ("s" if len(named) > 1 else "")
    return "the SARIF and JSON reports (`--sarif FILE`, `--json FILE`) and `--html FILE` list every finding"


def _rules_table(report: Report, lines: list[str]) -> None:
    by_rule: dict[str, list[Any]] = {}
    for f in ranked(report.findings):
        by_rule.setdefault(f.rule.id, []).append(f)
    order = sorted(by_rule.values(), key=lambda fs: (-int(fs[0].level), -len(fs), fs[0].rule.id))
    lines.append("### Rules")
    lines.append("")
    lines.append("| rule | severity | findings | first places |")
    lines.append("|---|---|---:|---|")
    for fs in order[:MAX_ROWS]:
        f = fs[0]
        levels = sorted({x.level for x in fs}, reverse=True)
        sev = levels[0].label + (f" … {levels[-1].label}" if len(levels) > 1 else "")
        places = ", ".join(escape(location(x)) for x in fs[:3]) + (" …" if len(fs) > 3 else "")
        lines.append(f"| {f.id} {escape(f.slug)} | {sev} | {len(fs)} | {places} |")
    lines.append("")


def _fixed(report: Report, lines: list[str]) -> None:
    base = report.stats.get("baseline")
    if not isinstance(base, dict) or not base.get("fixed"):
        return
    lines.append("### Fixed since the baseline")
    lines.append("")
    lines.append(f"{base['fixed']} baselined findings are gone; refresh the baseline with `mlwarden baseline "
                 f"-o {escape(str(base.get('file', '')))}`.")
    lines.append("")
    for e in list(base.get("fixed-findings", []))[:20]:
        lines.append(f"- {escape(str(e.get('rule')))} {escape(str(e.get('slug')))} in "
                     f"{escape(str(e.get('path')))}")
    lines.append("")


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
    hidden = hidden_parts(report)
    if hidden:
        lines[-1] += " — " + escape(", ".join(hidden), 1000)
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
        _rules_table(report, lines)
        groups = group(report.findings)
        lines.append("### Top findings")
        lines.append("")
        lines.append("By severity, then application code before examples, tests and vendored code; identical "
                     "findings in several files are one row with their places.")
        lines.append("")
        lines.append("| severity | rule | where | message |")
        lines.append("|---|---|---|---|")
        for g in groups[:MAX_ROWS]:
            f = g.finding
            msg = escape(f.message)
            if f.hint:
                msg += " — fix: " + escape(f.hint)
            lines.append(f"| {f.level.label} | {f.id} {escape(f.slug)} | {_places(g)} | {msg} |")
        shown = sum(g.count for g in groups[:MAX_ROWS])
        if shown < total:
            lines.append("")
            lines.append(f"… and {total - shown} more findings in {len(groups) - MAX_ROWS} more rows "
                         f"({_full_reports(report)}).")
        lines.append("")
        if total > shown or len(groups) > 20:
            lines.append(f"The complete list: {_full_reports(report)}.")
            lines.append("")
    _fixed(report, lines)
    if report.notes:
        lines.append("### Notes")
        lines.append("")
        for n in report.notes:
            lines.append(f"- {escape(n, 1000)}")
        lines.append("")
    return "\n".join(lines)
