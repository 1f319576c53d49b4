"""SPDX 2.3 JSON from the same inventory, deterministic too.

SPDX requires ``creationInfo.created`` and a unique ``documentNamespace``. The namespace is derived from
the document's content (a UUID-shaped digest of everything else), so it changes exactly when the content
does. ``created`` is ``SOURCE_DATE_EPOCH`` when set, the current time with ``--timestamp``, else the fixed
epoch ``1970-01-01T00:00:00Z`` (a committed file that changed on every run would be useless).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from mlwarden.checks.sbom.collect import Component, Inventory
from mlwarden.checks.sbom.cyclonedx import spdx_expression, spdx_id

EPOCH = "1970-01-01T00:00:00Z"
_ALGS = {"SHA-1": "SHA1", "SHA-256": "SHA256", "SHA-384": "SHA384", "SHA-512": "SHA512", "MD5": "MD5",
         "SHA3-256": "SHA3-256", "SHA3-384": "SHA3-384", "SHA3-512": "SHA3-512",
         "BLAKE2b-256": "BLAKE2b-256", "BLAKE2b-384": "BLAKE2b-384", "BLAKE2b-512": "BLAKE2b-512",
         "BLAKE3": "BLAKE3"}
_PURPOSE = {"library": "LIBRARY", "file": "FILE", "machine-learning-model": "OTHER", "data": "OTHER"}
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.-]+")


def spdx_ref(ref: str, name: str) -> str:
    slug = _UNSAFE_ID.sub("-", name).strip("-.")[:48] or "component"
    return f"SPDXRef-{slug}-{hashlib.sha256(ref.encode('utf-8')).hexdigest()[:12]}"


def _license_ref(text: str) -> str:
    return "LicenseRef-" + (_UNSAFE_ID.sub("-", text).strip("-.")[:60] or "unknown")


def _declared(c: Component, extracted: dict[str, str]) -> str:
    parts = []
    for text in sorted(c.licenses):
        known = spdx_id(text) or spdx_expression(text)
        if known:
            parts.append(known if " " not in known or len(c.licenses) == 1 else f"({known})")
        else:
            ref = _license_ref(text)
            extracted[ref] = text
            parts.append(ref)
    return " AND ".join(parts) if parts else "NOASSERTION"


def _download_location(c: Component) -> str:
    for kind, url in sorted(c.external_refs):
        if kind == "distribution":
            return url
    for kind, url in sorted(c.external_refs):
        if kind == "vcs":
            rev = next((v for n, v in c.properties if n == "mlwarden:vcs:ref"), None)
            return f"git+{url}@{rev}" if rev and url.startswith("https://") else url
    return "NOASSERTION"


def _package(c: Component, extracted: dict[str, str]) -> dict[str, Any]:
    p: dict[str, Any] = {"SPDXID": spdx_ref(c.ref, c.name),
                         "name": f"{c.group}/{c.name}" if c.group else c.name}
    if c.version:
        p["versionInfo"] = c.version
    p["downloadLocation"] = _download_location(c)
    p["filesAnalyzed"] = False
    checksums = [{"algorithm": _ALGS[a], "checksumValue": h} for a, h in sorted(c.hashes) if a in _ALGS]
    if checksums:
        p["checksums"] = checksums
    p["licenseConcluded"] = "NOASSERTION"
    p["licenseDeclared"] = _declared(c, extracted)
    p["copyrightText"] = "NOASSERTION"
    if c.purl:
        p["externalRefs"] = [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                              "referenceLocator": c.purl}]
    p["primaryPackagePurpose"] = _PURPOSE.get(c.type, "OTHER")
    comment = [f"type={c.type}"] + [f"{n}={v}" for n, v in sorted(c.properties)]
    if c.model_card:
        params = c.model_card.get("modelParameters", {})
        comment += [f"modelCard.{k}={params[k]}" for k in sorted(params)]
    p["comment"] = "; ".join(comment)
    return p


def render(inv: Inventory, *, tool_version: str | None, created: str | None) -> str:
    comps = inv.sorted_components()
    refs = {c.ref for c in comps}
    extracted: dict[str, str] = {}
    root_id = "SPDXRef-project"
    root: dict[str, Any] = {"SPDXID": root_id, "name": inv.project_name}
    if inv.project_version:
        root["versionInfo"] = inv.project_version
    root.update({"downloadLocation": "NOASSERTION", "filesAnalyzed": False, "licenseConcluded": "NOASSERTION",
                 "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
                 "primaryPackagePurpose": "APPLICATION"})
    packages = [root] + [_package(c, extracted) for c in comps]
    ids = {c.ref: spdx_ref(c.ref, c.name) for c in comps}
    rels = [("SPDXRef-DOCUMENT", "DESCRIBES", root_id)]
    top = sorted(inv.direct_refs & refs) + [c.ref for c in comps if c.type != "library"]
    rels += [(root_id, "DEPENDS_ON", ids[r]) for r in sorted(set(top))]
    for c in comps:
        rels += [(ids[c.ref], "DEPENDS_ON", ids[r]) for r in sorted(c.depends_on & refs) if r != c.ref]
    body: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": inv.project_name,
        "documentNamespace": "",
        "creationInfo": {
            "created": created or EPOCH,
            "creators": ["Tool: mlwarden" + (f"-{tool_version}" if tool_version else "")],
        },
        "packages": packages,
        "relationships": [{"spdxElementId": a, "relationshipType": t, "relatedSpdxElement": b}
                          for a, t, b in sorted(set(rels))],
    }
    if extracted:
        body["hasExtractedLicensingInfos"] = [{"licenseId": k, "extractedText": v, "name": v}
                                              for k, v in sorted(extracted.items())]
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    slug = _UNSAFE_ID.sub("-", inv.project_name).strip("-.") or "project"
    body["documentNamespace"] = f"https://spdx.org/spdxdocs/{slug}-{uuid}"
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
