"""``--format pip-audit-json``: pip-audit's JSON shape, for dashboards that already read it::

    {"dependencies": [{"name", "version", "vulns": [{"id", "fix_versions", "aliases", "description"}]},
                      {"name", "skip_reason"}],
     "fixes": []}

Names are canonical, versions normalised (as pip-audit prints them); every audited dependency is listed
once (first occurrence order), with ``"vulns": []`` when clean; a dependency that could not be audited
gets pip-audit's ``skip_reason``. Findings that were suppressed or ignored are not listed.
"""

from __future__ import annotations

import json
from typing import Any

from mlwarden.formats import Report


def render(report: Report) -> str:
    meta = report.meta.get("audit-deps", {}) if report.meta else {}
    deps: list[dict[str, Any]] = []
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for d in meta.get("dependencies", []):
        if "version" in d:
            entry = {"name": d["name"], "version": d["version"], "vulns": []}
            index[(d["name"], d["version"])] = entry
        else:
            entry = {"name": d["name"], "skip_reason": d.get("skip_reason", "")}
        deps.append(entry)
    seen: set[tuple[str, str, str]] = set()
    for f in report.findings:
        if f.rule.check != "audit-deps" or f.rule.id not in ("MLW601", "MLW602"):
            continue
        data = f.data
        key = (str(data.get("package")), str(data.get("version")))
        if key not in index:
            index[key] = {"name": key[0], "version": key[1], "vulns": []}
            deps.append(index[key])
        entry = index[key]
        if (key[0], key[1], str(data.get("id"))) in seen:
            continue
        seen.add((key[0], key[1], str(data.get("id"))))
        entry["vulns"].append({
            "id": data.get("id"),
            "fix_versions": list(data.get("fix_versions", [])),
            "aliases": list(data.get("aliases", [])),
            "description": data.get("description", ""),
        })
    for entry in deps:
        if "vulns" in entry:
            entry["vulns"].sort(key=lambda v: (not str(v["id"]).startswith("PYSEC"), str(v["id"])))
    return json.dumps({"dependencies": deps, "fixes": []}) + "\n"
