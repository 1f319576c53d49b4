"""Default format: one line per finding, ``path:line:col: MLW301 unpinned [high] message``; the file's role
is shown after the message when it is not ``install`` (``[role: test]``)."""

from __future__ import annotations

from mlwarden.core.findings import printable
from mlwarden.formats import Report
from mlwarden.formats.summary import hidden_parts
from mlwarden.formats.summary import line as summary_line

_COLORS = {"critical": "\x1b[1;31m", "high": "\x1b[31m", "medium": "\x1b[33m", "low": "\x1b[36m",
           "info": "\x1b[2m"}


def render(report: Report) -> str:
    lines = []
    for f in report.findings:
        loc = printable(f.path)
        if f.line is not None:
            loc += f":{f.line}:{f.column or 1}"
        sev = f.level.label
        tag = f"[{sev}]"
        if report.color:
            tag = f"{_COLORS[sev]}{tag}\x1b[0m"
        line = f"{loc}: {f.id} {f.slug} {tag} {printable(f.message)}"
        if f.role and f.role != "install":  # the default role is not repeated on every line
            line += f" [role: {f.role}]"
        if f.hint:
            line += f" (fix: {printable(f.hint)})"
        lines.append(line)
    if report.findings or hidden_parts(report):
        lines.append("mlwarden: " + summary_line(report))
    return "".join(s + "\n" for s in lines)
