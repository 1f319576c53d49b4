"""Runtime validation (--validate): finds the schema files, accepts our output, rejects a broken document, and
keeps jsonschema from importing rfc3987_syntax (a one-second import)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlwarden.checks.sbom import validate
from tests.sbom.helpers import SCHEMAS


def test_accepts_and_rejects_with_shipped_schemas() -> None:
    pytest.importorskip("jsonschema")
    v = validate.load_validator(SCHEMAS)
    good = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "name": "x", "bom-ref": "a",
                            "hashes": [{"alg": "SHA-256", "content": "a" * 64}]}]}
    assert validate.errors(good, v) == []
    bad = json.loads(json.dumps(good))
    bad["components"][0]["type"] = "model"
    bad["components"][0]["hashes"][0]["content"] = "xyz"
    bad["components"][0]["colour"] = "red"
    errs = validate.errors(bad, v)
    assert len(errs) >= 3 and all(e.startswith("components/0") for e in errs)
    dup = json.loads(json.dumps(good))
    dup["components"].append(dict(dup["components"][0]))
    assert validate.errors(dup, v) == ["components/1: components has non-unique elements"]
    dup["components"][1]["name"] = "y"  # differs: unique again (the schema does not require unique bom-refs)
    assert validate.errors(dup, v) == []


def test_same_verdicts_as_the_unmodified_schema() -> None:
    """Dropping jsonschema's O(n^2) uniqueItems for our O(n) check changes no verdict."""
    from tests.sbom.helpers import cdx_validator

    v = validate.load_validator(SCHEMAS)
    base = {"bomFormat": "CycloneDX", "specVersion": "1.6",
            "components": [{"type": "library", "name": f"p{i}", "bom-ref": f"r{i}"} for i in range(5)],
            "dependencies": [{"ref": "r0", "dependsOn": ["r1"]}, {"ref": "r1"}]}
    variants = [base,
                dict(base, components=base["components"] + [base["components"][2]]),
                dict(base, dependencies=base["dependencies"] + [{"ref": "r1"}]),
                dict(base, dependencies=[{"ref": "r0", "dependsOn": ["r1", "r1"]}])]
    for doc in variants:
        ours = bool(validate.errors(doc, v))
        theirs = bool(list(cdx_validator().iter_errors(doc)))
        assert ours == theirs, doc


def test_packaged_schemas_are_the_tested_ones() -> None:
    folder = validate.find_schema_dir()
    assert folder == validate.PACKAGED
    for name in ("bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"):
        assert (folder / name).read_bytes() == (SCHEMAS / name).read_bytes()
    v = validate.load_validator()
    assert validate.errors({"bomFormat": "CycloneDX", "specVersion": "1.6"}, v) == []


def test_rfc3987_syntax_is_not_imported(tmp_path: Path) -> None:
    """A stand-in rfc3987_syntax that records being imported: load_validator must not import it."""
    pytest.importorskip("jsonschema")
    fake = tmp_path / "fake"
    fake.mkdir()
    marker = tmp_path / "imported"
    (fake / "rfc3987_syntax.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef is_valid_syntax(kind, value): return True\n")
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(fake)!r})
        from mlwarden.checks.sbom import validate
        from pathlib import Path
        validate.load_validator(Path({str(SCHEMAS)!r}))
        import importlib
        importlib.import_module("rfc3987_syntax")  # still importable afterwards
    """)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    assert marker.exists()  # imported by the explicit import at the end only...
    marker.unlink()
    code_no_late = code.replace('importlib.import_module("rfc3987_syntax")', "pass")
    subprocess.run([sys.executable, "-c", code_no_late], check=True, capture_output=True)
    assert not marker.exists()  # ...never by jsonschema during load_validator
