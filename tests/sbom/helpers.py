"""Shared test helpers: strict CycloneDX 1.6 validation against the schema files shipped in tests/sbom/schemas
(independent of the runtime validator), SPDX validation with spdx-tools, and running the hook."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "http://cyclonedx.org/schema/"


@functools.cache
def cdx_validator() -> Any:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    docs = {name: json.loads((SCHEMAS / name).read_text()) for name in
            ("bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json")}
    registry: Any = Registry().with_resources(
        (BASE + name, Resource.from_contents(doc, default_specification=DRAFT7)) for name, doc in docs.items())
    schema = docs["bom-1.6.schema.json"]
    assert schema["additionalProperties"] is False  # the strict form: unknown keys are errors
    return jsonschema.Draft7Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())


def assert_valid_cdx(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in cdx_validator().iter_errors(doc)]
    assert not errors, errors[:10]
    assert doc["specVersion"] == "1.6" and doc["bomFormat"] == "CycloneDX"
    refs = [c["bom-ref"] for c in doc["components"]]
    assert len(refs) == len(set(refs)), "bom-refs must be unique"
    known = set(refs) | {doc["metadata"]["component"]["bom-ref"]}
    for dep in doc["dependencies"]:
        assert dep["ref"] in known
        assert set(dep.get("dependsOn", [])) <= known, dep
    assert text.endswith("\n") and not text.endswith("\n\n")
    # the schema's `iri-reference` format is only checked when rfc3987(-syntax) is installed: check our URLs
    for comp in doc["components"]:
        for ref in comp.get("externalReferences", []):
            assert_url(ref["url"])
        if "purl" in comp:
            assert comp["purl"].startswith("pkg:") and not any(ch.isspace() for ch in comp["purl"])
    return doc  # type: ignore[no-any-return]


def assert_url(url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    assert parts.scheme in ("https", "http", "git", "ssh", "file") and (parts.netloc or parts.scheme == "file"), url
    assert not any(ch.isspace() or ch in '<>"{}|\\^`' for ch in url), url


def assert_valid_spdx(text: str) -> dict[str, Any]:
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    data = json.loads(text)
    doc = JsonLikeDictParser().parse(data)
    messages = [m.validation_message for m in validate_full_spdx_document(doc)]
    assert not messages, messages[:10]
    return data  # type: ignore[no-any-return]


def by_ref(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["bom-ref"]: c for c in doc["components"]}


def props(component: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in component.get("properties", []):
        out.setdefault(p["name"], []).append(p.get("value", ""))
    return out
