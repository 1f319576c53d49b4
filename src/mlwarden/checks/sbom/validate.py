"""Optional runtime validation (``--validate``) against the CycloneDX 1.6 JSON schema with ``jsonschema``.

The schema files ship in ``mlwarden/data/cyclonedx`` (cyclonedx-python-lib's copies are a fallback, located
without importing that library). ``jsonschema`` is optional: ``--validate`` says when it is missing.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from mlwarden.core.errors import UsageError

BOM_ID = "http://cyclonedx.org/schema/bom-1.6.schema.json"
_BASE = "http://cyclonedx.org/schema/"
# (our file name, cyclonedx-python-lib's file name)
FILES = (("bom-1.6.schema.json", "bom-1.6.SNAPSHOT.schema.json"),
         ("spdx.schema.json", "spdx.SNAPSHOT.schema.json"),
         ("jsf-0.82.schema.json", "jsf-0.82.SNAPSHOT.schema.json"))


PACKAGED = Path(__file__).resolve().parent.parent.parent / "data" / "cyclonedx"


def find_schema_dir() -> Path | None:
    """The schema files shipped with mlwarden, else cyclonedx-python-lib's (located without importing it)."""
    if (PACKAGED / FILES[0][0]).is_file():
        return PACKAGED
    spec = importlib.util.find_spec("cyclonedx")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        res = Path(loc) / "schema" / "_res"
        if (res / FILES[0][1]).is_file():
            return res
    return None


def _import_jsonschema() -> Any:
    """``import jsonschema``, without letting it import ``rfc3987_syntax`` (installed by
    ``jsonschema[format]``, e.g. with cyclonedx-bom): that module compiles ~40 lark grammars at import,
    about one second, to check the ``iri-reference`` format. Our URLs are checked by the schema's other
    rules (and by the tests with every format checker); everything else is validated as usual."""
    import sys

    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import jsonschema

        return jsonschema
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes its import fail fast
    try:
        import jsonschema
    finally:
        del sys.modules["rfc3987_syntax"]
    return jsonschema


def load_validator(schema_dir: Path | None = None) -> Any:
    """A Draft-7 validator for CycloneDX 1.6 with the spdx and jsf schemas it references registered under
    both their upstream names and cyclonedx-python-lib's snapshot names."""
    try:
        jsonschema = _import_jsonschema()
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7
    except ImportError:
        raise UsageError("--validate needs the jsonschema package (pip install jsonschema)") from None
    folder = schema_dir or find_schema_dir()
    if folder is None:
        raise UsageError("--validate needs the CycloneDX 1.6 schema files (mlwarden/data/cyclonedx is "
                         "missing): reinstall mlwarden or install cyclonedx-python-lib")
    resources: list[tuple[str, Any]] = []
    bom: Any = None
    for ours, theirs in FILES:
        path = folder / ours if (folder / ours).is_file() else folder / theirs
        try:
            contents = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read schema {path}: {exc}") from None
        res = Resource.from_contents(contents, default_specification=DRAFT7)
        for name in (ours, theirs):
            resources.append((_BASE + name, res))
        if ours.startswith("bom-"):
            bom = contents
    # jsonschema checks `uniqueItems` by comparing every pair of items: O(n^2) dict comparisons, 0.15 s for
    # 300 components and seconds for thousands. The top-level arrays are checked in O(n) by errors() instead.
    bom = dict(bom, properties=dict(bom["properties"]))
    for key in _UNIQUE_TOP:
        bom["properties"][key] = {k: v for k, v in bom["properties"][key].items() if k != "uniqueItems"}
    registry: Any = Registry().with_resources(resources)
    return jsonschema.Draft7Validator(bom, registry=registry, format_checker=jsonschema.FormatChecker())


_UNIQUE_TOP = ("components", "services", "dependencies")


def errors(document: Any, validator: Any) -> list[str]:
    """Every schema violation as ``path: message``, the top-level uniqueItems checks included."""
    out = []
    if isinstance(document, dict):
        for key in _UNIQUE_TOP:
            items = document.get(key)
            if not isinstance(items, list):
                continue
            seen: set[str] = set()
            for i, item in enumerate(items):
                canon = json.dumps(item, sort_keys=True)
                if canon in seen:
                    out.append(f"{key}/{i}: {key} has non-unique elements")
                seen.add(canon)
    for err in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in err.absolute_path) or "(document)"
        out.append(f"{where}: {err.message}")
    return out


def spdx_errors(text: str) -> list[str]:
    """Validate an SPDX 2.3 JSON document with spdx-tools (when installed)."""
    try:
        from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
        from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    except ImportError:
        raise UsageError("--validate with --spec spdx needs spdx-tools (pip install spdx-tools)") from None
    try:
        doc = JsonLikeDictParser().parse(json.loads(text))  # type: ignore[no-untyped-call]
    except Exception as exc:  # spdx-tools raises its own SPDXParsingError and friends
        return [f"(document): {exc}"]
    return [m.validation_message for m in validate_full_spdx_document(doc)]
