"""SARIF 2.1.0 for code scanning: per-rule help and ``security-severity``, a file location on every result,
no ``partialFingerprints`` (GitHub computes its own), no absolute paths, no timestamps."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from mlwarden.core.findings import Finding, Rule, Severity
from mlwarden.formats import Report

INFO_URI = "https://github.com/mlwarden/mlwarden"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"

LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}


def uri_of(path: str) -> str:
    """A relative URI reference for a display path (forward slashes, percent-encoded)."""
    # a file name that is not valid UTF-8 (surrogate escapes from the walker) gets its raw bytes escaped
    return quote(path.replace("\\", "/"), safe="/-._~!$&'()*+,;=@", errors="surrogateescape")


def _rule(rule: Rule) -> dict[str, Any]:
    tags = ["security", rule.check] if rule.check else ["security"]
    tags += [f"external/cwe/cwe-{c}" for c in rule.cwe]
    help_md = f"**{rule.title}** ({rule.id} `{rule.slug}`)\n\n{rule.help}"
    if rule.cwe:
        help_md += "\n\n" + ", ".join(
            f"[CWE-{c}](https://cwe.mitre.org/data/definitions/{c}.html)" for c in rule.cwe)
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.help},
        "help": {"text": rule.help, "markdown": help_md},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "security-severity": rule.severity.security_severity,
            "severity": rule.severity.label,
            "tags": tags,
            "precision": "high",
        },
    }


def _baseline_state(result: dict[str, Any], report: Report) -> dict[str, Any]:
    """With ``--baseline``, every reported result is one the baseline does not hold (SARIF baselineState)."""
    if isinstance(report.stats.get("baseline"), dict):
        result["baselineState"] = "new"
    return result


def _result(f: Finding, index: int) -> dict[str, Any]:
    region: dict[str, Any] = {}
    if f.line is not None and f.line > 0:
        region["startLine"] = f.line
        if f.column is not None and f.column > 0:
            region["startColumn"] = f.column
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri_of(f.path)}}
    if region:
        physical["region"] = region
    text = f.message + (f" Fix: {f.hint}" if f.hint else "")
    result: dict[str, Any] = {
        "ruleId": f.id,
        "ruleIndex": index,
        "level": LEVELS[f.level],
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
        "properties": {"severity": f.level.label, "security-severity": f.level.security_severity},
    }
    if f.role:
        result["properties"]["role"] = f.role
    if f.data:
        result["properties"]["data"] = json.loads(json.dumps(dict(f.data), default=str))
    return result


def build(report: Report) -> dict[str, Any]:
    rules = {r.id: r for r in report.rules}
    for f in report.findings:  # a finding whose rule was not declared still gets a descriptor
        rules.setdefault(f.rule.id, f.rule)
    ordered = [rules[k] for k in sorted(rules)]
    index = {r.id: i for i, r in enumerate(ordered)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "mlwarden",
            "version": report.tool_version,
            "semanticVersion": report.tool_version,
            "informationUri": INFO_URI,
            "rules": [_rule(r) for r in ordered],
        }},
        "results": [_baseline_state(_result(f, index[f.rule.id]), report) for f in report.findings],
        "columnKind": "unicodeCodePoints",
    }
    scan_meta = report.meta.get("scan") if isinstance(report.meta.get("scan"), dict) else {}
    errors = dict((scan_meta or {}).get("errors", {}) or {})
    if report.notes or errors:
        # a run where a check failed is not a successful execution, whatever the results say
        notes = [{"message": {"text": f"{name}: {msg}"}, "level": "error"}
                 for name, msg in sorted(errors.items())]
        notes += [{"message": {"text": n}, "level": "note"} for n in report.notes]
        run["invocations"] = [{"executionSuccessful": not errors, "toolExecutionNotifications": notes}]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(build(report), indent=2, ensure_ascii=False) + "\n"
