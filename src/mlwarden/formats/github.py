"""GitHub Actions workflow commands: ``::error``/``::warning``/``::notice`` annotations, most important first.

GitHub shows at most 10 annotations of each type (error, warning, notice) per step and 50 per job
(actions/toolkit docs/problem-matchers.md, "Limitations"); the rest are silently dropped, in printing order.
So findings are ranked (severity, then file role: application code before examples and tests) and at most
``PER_TYPE`` of each type are printed; one closing notice says how many more there are and where to read
them (the job summary, the SARIF/JSON reports)."""

from __future__ import annotations

from mlwarden.core.findings import Severity
from mlwarden.formats import Report
from mlwarden.formats.ranking import ranked

COMMANDS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
            Severity.LOW: "notice", Severity.INFO: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


PER_TYPE = 10  # GitHub's per-step limit for each annotation type
# notices keep one slot for the closing notice
LIMITS = {"error": PER_TYPE, "warning": PER_TYPE, "notice": PER_TYPE - 1}


def render(report: Report) -> str:
    out = []
    used = dict.fromkeys(LIMITS, 0)
    left = 0
    for f in ranked(report.findings):
        kind = COMMANDS[f.level]
        if used[kind] >= LIMITS[kind]:
            left += 1
            continue
        used[kind] += 1
        props = [f"file={escape_property(f.path)}"]
        if f.line is not None:
            props.append(f"line={f.line}")
            if f.column is not None:
                props.append(f"col={f.column}")
        role = f" ({f.role})" if f.role and f.role != "install" else ""  # the file's role, as in text
        props.append(f"title={escape_property(f'{f.id} {f.slug} [{f.level.label}]{role}')}")
        msg = f.message + (f" Fix: {f.hint}" if f.hint else "")
        out.append(f"::{kind} {','.join(props)}::{escape_data(msg)}\n")
    if left:
        noun = "finding is" if left == 1 else "findings are"
        out.append(f"::notice title=mlwarden::{left} more {noun} not annotated (GitHub shows {PER_TYPE} "
                   "annotations of each type per step): see the job summary and the SARIF/JSON reports\n")
    return "".join(out)
