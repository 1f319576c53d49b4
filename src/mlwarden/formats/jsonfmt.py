"""The public JSON format: ``{"tool", "version", "findings": [...]}`` (plus ``notes``/``meta`` when set)."""

from __future__ import annotations

import json
from typing import Any

from mlwarden.formats import Report


def finding_dict(f: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": f.id, "slug": f.slug, "severity": f.level.label, "path": f.path,
        "line": f.line, "column": f.column if f.line is not None else None,
        "message": f.message, "hint": f.hint,
    }
    if f.role:
        d["role"] = f.role
    if f.data:
        d["data"] = dict(f.data)
    return d


def document(report: Report) -> dict[str, Any]:
    """The report as the JSON document (what ``render`` prints, and what the HTML report draws)."""
    doc: dict[str, Any] = {
        "tool": "mlwarden",
        "version": report.tool_version,
        "findings": [finding_dict(f) for f in report.findings],
    }
    if report.notes:
        doc["notes"] = list(report.notes)
    if report.meta:
        doc["meta"] = dict(report.meta)
    if report.stats:  # what triage hid: suppressed, baselined (and fixed), outside --new-since, filtered
        doc["stats"] = dict(report.stats)
    return doc


def render(report: Report) -> str:
    doc = document(report)
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False, default=str) + "\n"
