"""GitLab security report (``artifacts:reports:sast``), schema version 15.0.7 of
gitlab-org/security-products/security-report-schemas (``sast-report-format.json``).

Each finding is one vulnerability: its first identifier is the mlwarden rule (the primary identifier GitLab
groups by), followed by the rule's CWEs. Vulnerability ids are UUIDs derived from rule, path, message and
occurrence number (the same fingerprint as the code quality report), so they are stable across runs and
line moves. The schema requires ``scan.start_time``/``end_time``: they come from ``SOURCE_DATE_EPOCH`` when
it is set (byte-stable output), else from the clock.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import uuid
from typing import Any

from mlwarden.core.findings import Severity
from mlwarden.formats import Report

SCHEMA_VERSION = "15.0.7"
SCHEMA_URI = ("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
              f"v{SCHEMA_VERSION}/dist/sast-report-format.json")
INFO_URI = "https://github.com/mlwarden/mlwarden"
SEVERITIES = {Severity.CRITICAL: "Critical", Severity.HIGH: "High", Severity.MEDIUM: "Medium",
              Severity.LOW: "Low", Severity.INFO: "Info"}
_NAMESPACE = uuid.UUID("6b1f0f3e-8f0c-5c1e-9d0a-6d6c77617264")  # fixed: ids stay stable across versions


def scan_time() -> str:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = None
    if raw:
        try:
            when = _dt.datetime.fromtimestamp(int(raw), tz=_dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            when = None
    if when is None:
        when = _dt.datetime.now(tz=_dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def _component(version: str) -> dict[str, Any]:
    return {"id": "mlwarden", "name": "mlwarden", "url": INFO_URI, "version": version or "0",
            "vendor": {"name": "mlwarden"}}


def build(report: Report) -> dict[str, Any]:
    seen: dict[tuple[str, str, str], int] = {}
    vulns: list[dict[str, Any]] = []
    for f in report.findings:
        key = (f.id, f.path, f.message)
        n = seen[key] = seen.get(key, 0) + 1
        fp = hashlib.sha256("\0".join((*key, str(n))).encode("utf-8", "surrogateescape")).hexdigest()
        identifiers: list[dict[str, Any]] = [{
            "type": "mlwarden_rule_id", "name": f"{f.id} {f.slug}", "value": f.id,
        }]
        for cwe in f.rule.cwe:
            identifiers.append({"type": "cwe", "name": f"CWE-{cwe}", "value": str(cwe),
                                "url": f"https://cwe.mitre.org/data/definitions/{cwe}.html"})
        location: dict[str, Any] = {"file": f.path}
        if f.line is not None and f.line > 0:
            location["start_line"] = f.line
        vuln: dict[str, Any] = {
            "id": str(uuid.uuid5(_NAMESPACE, fp)),
            "category": "sast",
            "name": f"{f.id} {f.rule.title}"[:255],
            "description": (f"{f.message}\n\n{f.rule.help}" if f.rule.help else f.message)[:1048576],
            "severity": SEVERITIES[f.level],
            "identifiers": identifiers,
            "location": location,
        }
        if f.hint:
            vuln["solution"] = f.hint[:7000]
        vulns.append(vuln)
    scan_meta = report.meta.get("scan") if isinstance(report.meta.get("scan"), dict) else {}
    errors = dict((scan_meta or {}).get("errors", {}) or {})
    messages = [{"level": "warn", "value": f"{name}: {msg}"} for name, msg in sorted(errors.items())]
    messages += [{"level": "info", "value": n} for n in report.notes if n]
    stamp = scan_time()
    scan: dict[str, Any] = {
        "analyzer": _component(report.tool_version),
        "scanner": _component(report.tool_version),
        "type": "sast",
        "start_time": stamp,
        "end_time": stamp,
        "status": "failure" if errors else "success",
    }
    if messages:
        scan["messages"] = messages
    return {"version": SCHEMA_VERSION, "schema": SCHEMA_URI, "scan": scan, "vulnerabilities": vulns}


def render(report: Report) -> str:
    return json.dumps(build(report), indent=2, ensure_ascii=False) + "\n"
