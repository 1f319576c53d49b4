"""CycloneDX 1.6 JSON, written directly (see docs/generate-sbom.md for why not cyclonedx-python-lib).

Byte-stable: every list is sorted, keys come in one fixed order, bom-refs are identities, and there is no
serial number and no timestamp unless asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from mlwarden.checks.sbom.collect import Component, Inventory

SPEC_VERSION = "1.6"
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
PROJECT_REF = "project"

# SPDX license ids commonly stated by Python packages and model cards (all in the SPDX list the CycloneDX
# 1.6 schema enumerates; a test checks that). Matched case-insensitively ("apache-2.0" in model cards).
KNOWN_SPDX_IDS = (
    "0BSD", "AFL-2.1", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.1", "Apache-2.0", "Artistic-2.0",
    "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSL-1.0", "CC-BY-4.0", "CC-BY-NC-4.0",
    "CC-BY-SA-4.0", "CC0-1.0", "EPL-1.0", "EPL-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
    "GPL-3.0-or-later", "HPND", "ISC", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
    "LGPL-3.0-or-later", "MIT", "MIT-0", "MPL-2.0", "NCSA", "OpenSSL", "PSF-2.0", "Python-2.0", "Unlicense",
    "WTFPL", "Zlib",
)
_SPDX_BY_LOWER = {i.lower(): i for i in KNOWN_SPDX_IDS}
_EXPR_TOKEN = re.compile(r"^[A-Za-z0-9.+\-:]+$")


def spdx_id(text: str) -> str | None:
    return _SPDX_BY_LOWER.get(text.strip().lower())


def spdx_expression(text: str) -> str | None:
    """``MIT OR Apache-2.0`` made of known ids and operators -> normalised expression, else None."""
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()
    out: list[str] = []
    ids = 0
    for tok in tokens:
        if tok in ("(", ")"):
            out.append(tok)
        elif tok.upper() in ("AND", "OR", "WITH"):
            out.append(tok.upper())
        else:
            known = spdx_id(tok)
            if known is None:
                return None
            out.append(known)
            ids += 1
    if ids < 2 or not all(_EXPR_TOKEN.match(t) or t in "()" for t in out):
        return None
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def licenses_json(licenses: Iterable[str]) -> list[dict[str, Any]]:
    items = sorted({x for x in licenses if x})
    if len(items) == 1:
        expr = spdx_expression(items[0])
        if expr:
            return [{"expression": expr}]
    out = []
    for text in items:
        known = spdx_id(text)
        out.append({"license": {"id": known} if known else {"name": text}})
    return out


def component_json(c: Component) -> dict[str, Any]:
    d: dict[str, Any] = {"type": c.type, "bom-ref": c.ref}
    if c.group:
        d["group"] = c.group
    d["name"] = c.name
    if c.version:
        d["version"] = c.version
    if c.description:
        d["description"] = c.description
    if c.type == "library":
        d["scope"] = c.scope
    if c.hashes:
        d["hashes"] = [{"alg": alg, "content": hexd} for alg, hexd in sorted(c.hashes)]
    if c.licenses:
        d["licenses"] = licenses_json(c.licenses)
    if c.purl:
        d["purl"] = c.purl
    if c.pedigree:
        d["pedigree"] = c.pedigree
    if c.external_refs:
        d["externalReferences"] = [{"type": t, "url": u} for t, u in sorted(c.external_refs)]
    if c.properties:
        d["properties"] = [{"name": n, "value": v} for n, v in sorted(c.properties)]
    if c.model_card:
        d["modelCard"] = c.model_card
    return d


def render(inv: Inventory, *, tool_version: str | None, timestamp: str | None) -> str:
    """The CycloneDX 1.6 JSON document: 2-space indent, trailing newline."""
    comps = inv.sorted_components()
    refs = {c.ref for c in comps}
    metadata: dict[str, Any] = {}
    if timestamp:
        metadata["timestamp"] = timestamp
    metadata["lifecycles"] = [{"phase": "pre-build"}]
    tool: dict[str, Any] = {"type": "application", "name": "mlwarden"}
    if tool_version:
        tool["version"] = tool_version
    metadata["tools"] = {"components": [tool]}
    project: dict[str, Any] = {"type": "application", "bom-ref": PROJECT_REF, "name": inv.project_name}
    if inv.project_version:
        project["version"] = inv.project_version
    metadata["component"] = project
    if inv.metadata_properties:
        metadata["properties"] = [{"name": n, "value": v} for n, v in sorted(inv.metadata_properties)]
    doc: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": [component_json(c) for c in comps],
    }
    top = sorted(inv.direct_refs & refs) + sorted(c.ref for c in comps if c.type != "library")
    deps = [{"ref": PROJECT_REF, "dependsOn": sorted(set(top))}]
    for c in comps:
        deps.append({"ref": c.ref, "dependsOn": sorted(c.depends_on & refs)})
    doc["dependencies"] = deps
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
