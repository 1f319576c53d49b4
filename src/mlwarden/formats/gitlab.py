"""GitLab code quality report (a JSON array of Code Climate issues).

Fingerprints are stable across line moves: a hash of rule, path, message and the finding's occurrence
number among identical ones."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mlwarden.core.findings import Severity
from mlwarden.formats import Report

SEVERITIES = {Severity.CRITICAL: "blocker", Severity.HIGH: "critical", Severity.MEDIUM: "major",
              Severity.LOW: "minor", Severity.INFO: "info"}


def issues(report: Report) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for f in report.findings:
        key = (f.id, f.path, f.message)
        n = seen[key] = seen.get(key, 0) + 1
        fp = hashlib.sha256("\0".join((*key, str(n))).encode("utf-8", "surrogateescape")).hexdigest()
        out.append({
            "type": "issue",
            "check_name": f"{f.id} {f.slug}",
            "description": f"{f.id} {f.slug}: {f.message}"
                           + (f" [role: {f.role}]" if f.role and f.role != "install" else "")
                           + (f" Fix: {f.hint}" if f.hint else ""),
            "categories": ["Security"],
            "severity": SEVERITIES[f.level],
            "fingerprint": fp,
            "location": {"path": f.path, "lines": {"begin": f.line or 1}},
        })
    return out


def render(report: Report) -> str:
    return json.dumps(issues(report), indent=2, ensure_ascii=False) + "\n"
