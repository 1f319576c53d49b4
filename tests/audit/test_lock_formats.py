"""Lock files and other manifests pip-audit does not read: every format's pins are audited."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.audit.osvdata import write_zip

UV_LOCK = """\
version = 1
requires-python = ">=3.10"

[[package]]
name = "pyyaml"
version = "5.3.1"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/pyyaml-5.3.1.tar.gz", hash = "sha256:b8eac752c5e14d3eca0e6dd9199cd627518cb5ec06add0de9d32baeee6fe645d", size = 269377 }

[[package]]
name = "torch"
version = "2.5.1+cu121"
source = { registry = "https://download.pytorch.org/whl/cu121" }
wheels = [
    { url = "https://download.pytorch.org/whl/cu121/torch-2.5.1%2Bcu121-cp311-cp311-linux_x86_64.whl", hash = "sha256:b8eac752c5e14d3eca0e6dd9199cd627518cb5ec06add0de9d32baeee6fe645d" },
]
"""

POETRY_LOCK = """\
[[package]]
name = "pillow"
version = "10.1.0"
description = "Python Imaging Library (Fork)"
optional = false
python-versions = ">=3.8"
files = [
    {file = "pillow-10.1.0.tar.gz", hash = "sha256:e6bf8de6c36ed96c86ea3b6e1d5273c53f46ef518a062464cd7ef5dd2cf92e38"},
]

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
content-hash = "0000"
"""

PIPFILE_LOCK = json.dumps({
    "_meta": {"hash": {"sha256": "00"}, "pipfile-spec": 6, "requires": {"python_version": "3.11"},
              "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]},
    "default": {"keras": {"hashes": ["sha256:e6bf8de6c36ed96c86ea3b6e1d5273c53f46ef518a062464cd7ef5dd2cf92e38"],
                          "index": "pypi", "version": "==2.12.0"}},
    "develop": {},
}, indent=4)

ENVIRONMENT_YML = """\
name: train
channels: [conda-forge]
dependencies:
  - python=3.11
  - numpy=1.21.0
  - pip:
    - transformers==4.37.2
"""

CASES = [
    ("uv.lock", "mlwarden.sources.uvlock", UV_LOCK,
     {("pyyaml", "5.3.1", "PYSEC-2021-142"), ("torch", "2.5.1+cu121", "CVE-2025-32434")}),
    ("poetry.lock", "mlwarden.sources.poetrylock", POETRY_LOCK, {("pillow", "10.1.0", "CVE-2023-50447")}),
    ("Pipfile.lock", "mlwarden.sources.pipfile", PIPFILE_LOCK, {("keras", "2.12.0", "CVE-2024-3660")}),
    ("environment.yml", "mlwarden.sources.conda", ENVIRONMENT_YML,
     {("numpy", "1.21.0", "CVE-2021-41496"), ("transformers", "4.37.2", "CVE-2024-3568")}),
]


@pytest.mark.parametrize(("name", "module", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_lock_format_pins_are_audited(tmp_path, run_json, name, module, text, expected):
    assert importlib.util.find_spec(module) is not None, module
    db = write_zip(tmp_path / "all.zip")
    (tmp_path / name).write_text(text, encoding="utf-8")
    rc, doc, _ = run_json(name, "--osv-db", str(db))
    vulns = {(f["data"]["package"], f["data"]["version"], f["data"]["id"])
             for f in doc["findings"] if f["id"] in ("MLW601", "MLW602")}
    assert rc == 1 and vulns == expected
    assert all(f["path"] == name and f["line"] for f in doc["findings"])
    if name == "environment.yml":  # conda's own `python=3.11` is not a PyPI package: low, not medium
        [py] = [f for f in doc["findings"] if f["slug"] == "cannot-audit"]
        assert py["data"]["package"] == "python" and py["severity"] == "low"
