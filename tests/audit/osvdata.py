"""Minimal OSV records of real, published advisories for ML packages (facts from the public GHSA / PyPA
advisory databases, trimmed to the fields an audit uses), plus deliberately broken records."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

CVSS_98 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def rec(rid: str, name: str, events: list[dict[str, str]] | None = None, *, aliases: list[str] | None = None,
        summary: str | None = None, details: str = "", modified: str = "2025-04-18T16:00:00Z",
        versions: list[str] | None = None, extra: dict[str, Any] | None = None,
        ranges: list[list[dict[str, str]]] | None = None) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": name, "purl": f"pkg:pypi/{name.lower()}"}}
    rng = ranges if ranges is not None else ([events] if events is not None else [])
    if rng:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": ev} for ev in rng]
    if versions is not None:
        affected["versions"] = versions
    doc: dict[str, Any] = {"schema_version": "1.6.0", "id": rid, "modified": modified,
                           "published": "2020-01-01T00:00:00Z", "aliases": aliases or [],
                           "details": details or f"{rid} in {name}", "affected": [affected]}
    if summary:
        doc["summary"] = summary
    doc.update(extra or {})
    return doc


RECORDS: list[dict[str, Any]] = [
    # torch.load(weights_only=True) RCE
    rec("GHSA-53q9-r3pm-6pq6", "torch", [{"introduced": "0"}, {"fixed": "2.6.0"}],
        aliases=["CVE-2025-32434"],
        summary="PyTorch: `torch.load` with `weights_only=True` leads to remote code execution",
        modified="2025-04-18T16:46:23Z",
        extra={"database_specific": {"severity": "CRITICAL"},
               "severity": [{"type": "CVSS_V4",
                             "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]}),
    # PyYAML full_load arbitrary code execution: the PyPA record and the GHSA record alias each other
    rec("PYSEC-2021-142", "pyyaml", [{"introduced": "0"}, {"fixed": "5.4"}],
        aliases=["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"],
        details="A vulnerability was discovered in the PyYAML library in versions before 5.4, where it is\n"
                "susceptible to arbitrary code execution when it processes untrusted YAML files through the "
                "full_load method or with the FullLoader loader.",
        modified="2021-08-27T03:22:08Z"),
    rec("GHSA-8q59-q68h-6hv4", "PyYAML", [{"introduced": "0"}, {"fixed": "5.4"}],
        aliases=["CVE-2020-14343"], summary="Improper Input Validation in PyYAML",
        modified="2024-09-26T20:00:00Z",
        extra={"severity": [{"type": "CVSS_V3", "score": CVSS_98}],
               "database_specific": {"severity": "CRITICAL"}}),
    # Pillow arbitrary code execution via ImageMath.eval (GHSA with a CVE alias: pip-audit reports the CVE)
    rec("GHSA-3f63-hfp8-52jq", "pillow", [{"introduced": "0"}, {"fixed": "10.2.0"}],
        aliases=["CVE-2023-50447"], summary="Arbitrary Code Execution in Pillow",
        modified="2024-01-19T20:00:00Z",
        extra={"severity": [{"type": "CVSS_V3",
                             "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}),
    # numpy buffer overflow in array_from_pyobj (moderate)
    rec("GHSA-fpfv-jqm9-f5jm", "numpy", [{"introduced": "0"}, {"fixed": "1.22.0"}],
        aliases=["CVE-2021-41496"], summary="Buffer overflow in NumPy",
        extra={"database_specific": {"severity": "MODERATE"}}),
    # Keras arbitrary code injection via Lambda layers in saved models
    rec("GHSA-887c-mr87-cxwp", "keras", [{"introduced": "0"}, {"fixed": "2.13.1"}],
        aliases=["CVE-2024-3660"], summary="Arbitrary Code Injection in Keras",
        extra={"database_specific": {"severity": "CRITICAL"}}),
    # TensorFlow model_from_yaml used yaml.unsafe_load: several release lines, events deliberately unsorted
    rec("GHSA-r6jx-9g48-2r5r", "tensorflow", aliases=["CVE-2021-37678"],
        summary="Arbitrary code execution due to YAML deserialization",
        ranges=[[{"fixed": "2.4.3"}, {"introduced": "2.4.0"}, {"fixed": "2.3.4"}, {"introduced": "0"},
                 {"introduced": "2.5.0"}, {"fixed": "2.5.1"}]],
        extra={"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}]}),
    # transformers deserialization of untrusted data, modelled with last_affected (inclusive upper bound)
    rec("GHSA-37q5-v5qm-c9v8", "transformers", [{"introduced": "0"}, {"last_affected": "4.37.2"}],
        aliases=["CVE-2024-3568"], summary="Deserialization of Untrusted Data in Hugging Face Transformers"),
    # an advisory listed by exact versions only
    rec("GHSA-hxwh-jpp2-84pm", "transformers", versions=["4.47.1", "4.48.0"],
        aliases=["CVE-2024-11393"], summary="Deserialization of untrusted data in transformers (MaskFormer)"),
    # the torchtriton dependency-confusion package (Dec 2022): a malicious release
    rec("MAL-2022-7426", "torchtriton", versions=["3.0.0"], summary="Malicious code in torchtriton (PyPI)",
        modified="2023-01-05T00:00:00Z"),
    # withdrawn: must never be reported
    {**rec("PYSEC-2021-857", "numpy", [{"introduced": "0"}, {"fixed": "99.0"}],
           summary="Withdrawn: disputed NumPy report"), "withdrawn": "2022-01-01T00:00:00Z"},
    # a record with an invalid version in one event: that event is skipped with a warning
    rec("PYSEC-2099-1", "sentencepiece", [{"introduced": "0"}, {"fixed": "not a version!"},
                                          {"fixed": "0.1.99"}], summary="sentencepiece heap overflow"),
    # another ecosystem only: ignored
    {"id": "GO-2099-1", "modified": "2025-01-01T00:00:00Z",
     "affected": [{"package": {"ecosystem": "Go", "name": "example.com/x"}}]},
]

MALFORMED_FILES = {
    "BROKEN-1.json": b"{not json",
    "BROKEN-2.json": json.dumps({"id": "BROKEN-2", "affected": "torch"}).encode(),
    "BROKEN-3.json": json.dumps({"affected": []}).encode(),
}

NEWEST = "2025-04-18T16:46:23Z"


def write_dir(folder: Path, records: list[dict[str, Any]] | None = None, broken: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for r in RECORDS if records is None else records:
        (folder / f"{r['id']}.json").write_text(json.dumps(r, indent=1), encoding="utf-8")
    if broken:
        for name, data in MALFORMED_FILES.items():
            (folder / name).write_bytes(data)
    return folder


def zip_bytes(records: list[dict[str, Any]] | None = None, broken: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for r in RECORDS if records is None else records:
            zf.writestr(f"{r['id']}.json", json.dumps(r))
        if broken:
            for name, data in MALFORMED_FILES.items():
                zf.writestr(name, data)
    return buf.getvalue()


def write_zip(path: Path, records: list[dict[str, Any]] | None = None, broken: bool = True) -> Path:
    path.write_bytes(zip_bytes(records, broken))
    return path


REQUIREMENTS = """\
torch==2.1.0+cu118
pyyaml==5.3.1
pillow==10.1.0
numpy==1.21.0 ; python_version < "3.10"
numpy==1.26.4 ; python_version >= "3.10"
keras==2.13.1
tensorflow==2.4.1
transformers==4.37.2
torchtriton==3.0.0
sentencepiece==0.1.98
requests>=2.31
scipy==1.13.*
jinja2===3.1.4
safetensors @ https://files.example.org/safetensors-0.4.0-cp311-cp311-manylinux_2_17_x86_64.whl
"""
