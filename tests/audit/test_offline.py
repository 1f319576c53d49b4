"""End to end through the hook's main(): offline databases (zip and directory), caching, ignores, formats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlwarden.checks.audit.store import default_db_path
from tests.audit.osvdata import NEWEST, REQUIREMENTS, write_dir, write_zip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    return tmp_path


@pytest.fixture(params=["zip", "dir"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "zip":
        return write_zip(tmp_path / "osv-all.zip")
    return write_dir(tmp_path / "osv-records")


def by_pkg(doc):
    out: dict[str, list[dict]] = {}
    for f in doc["findings"]:
        pkg = f.get("data", {}).get("package")
        out.setdefault(pkg, []).append(f)
    return out


def test_requirements_against_offline_db(project, db, run_json):
    rc, doc, _ = run_json("requirements.txt", "--osv-db", str(db))
    assert rc == 1
    found = by_pkg(doc)
    # torch 2.1.0+cu118: matched on its public version, reported under the CVE (pip-audit's convention)
    [torch] = found["torch"]
    assert (torch["id"], torch["severity"], torch["line"]) == ("MLW601", "critical", 1)
    assert torch["data"]["id"] == "CVE-2025-32434"
    assert torch["data"]["aliases"] == ["GHSA-53q9-r3pm-6pq6"]
    assert torch["data"]["nearest_fix"] == "2.6.0" and torch["hint"] == "upgrade to torch>=2.6.0"
    # PYSEC + GHSA records of one bug: one finding, PYSEC id, union of aliases, worst severity
    [yaml] = found["pyyaml"]
    assert yaml["data"]["id"] == "PYSEC-2021-142"
    assert yaml["data"]["aliases"] == ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"]
    assert yaml["data"]["records"] == ["GHSA-8q59-q68h-6hv4", "PYSEC-2021-142"]
    assert yaml["severity"] == "critical" and yaml["data"]["fix_versions"] == ["5.4"]
    [pil] = found["pillow"]
    assert pil["data"]["id"] == "CVE-2023-50447" and pil["severity"] == "high"
    assert pil["data"]["severity_source"] == "CVSS_V3 8.1"
    # both marker branches of numpy are audited; the withdrawn record is never reported
    [np_] = found["numpy"]
    assert (np_["data"]["version"], np_["data"]["id"], np_["severity"]) == ("1.21.0", "CVE-2021-41496", "medium")
    assert "keras" not in found  # 2.13.1 is the fixed release
    [tf] = found["tensorflow"]
    assert tf["data"]["fix_versions"] == ["2.3.4", "2.4.3", "2.5.1"] and tf["data"]["nearest_fix"] == "2.4.3"
    [tr] = found["transformers"]  # last_affected 4.37.2 is inclusive; no fixed release known
    assert tr["data"]["id"] == "CVE-2024-3568" and tr["data"]["nearest_fix"] is None
    assert "no fixed release" in tr["hint"]
    [mal] = found["torchtriton"]
    assert (mal["id"], mal["slug"], mal["severity"]) == ("MLW602", "malicious-package", "critical")
    [sp] = found["sentencepiece"]
    assert sp["data"]["nearest_fix"] == "0.1.99"
    # dependencies that cannot be audited are findings, not silence
    assert found["requests"][0]["slug"] == "cannot-audit"
    assert "not pinned to one version (>=2.31)" in found["requests"][0]["message"]
    assert "wildcard pin ==1.13.*" in found["scipy"][0]["message"]
    assert found["scipy"][0]["severity"] == "medium"
    # === pins and URL wheels are audited (clean here)
    deps = doc["meta"]["audit-deps"]["dependencies"]
    assert {"name": "jinja2", "version": "3.1.4"} in deps
    assert {"name": "safetensors", "version": "0.4.0"} in deps
    assert {"name": "numpy", "version": "1.26.4"} in deps
    # the report states the database, its newest record and its age
    meta = doc["meta"]["audit-deps"]["database"]
    assert meta["newest_modified"] == NEWEST and meta["records"] == 11 and meta["withdrawn_skipped"] == 1
    assert meta["kind"] == ("zip" if db.suffix == ".zip" else "directory")
    assert isinstance(meta["age_days"], int) and meta["age_days"] >= 0
    notes = "\n".join(doc["notes"])
    assert f"newest modified {NEWEST}" in notes and "days old" in notes
    assert "advisories published since are missing" in notes  # the fixture database is from April 2025
    assert "skipped 3 malformed advisory record(s)" in notes and "BROKEN-1.json: not valid JSON" in notes
    assert "invalid version 'not a version!'" in notes
    assert len(doc["findings"]) == 10


def test_text_output_and_exit_codes(project, db, run):
    rc, out, err = run("requirements.txt", "--osv-db", str(db))
    assert rc == 1
    assert "requirements.txt:1:1: MLW601 vulnerable-dependency [critical] torch 2.1.0+cu118: CVE-2025-32434" in out
    assert "advisory database:" in err
    rc, _, _ = run("requirements.txt", "--osv-db", str(db), "--fail-on", "critical", "--exclude", "nothing")
    assert rc == 1
    Path("clean.txt").write_text("keras==3.9.0\nnumpy==2.0.0\n", encoding="utf-8")
    rc, out, err = run("clean.txt", "--osv-db", str(db))
    assert (rc, out) == (0, "")
    assert "advisory database:" in err


def test_index_cache_reused(project, tmp_path, run_json):
    db = write_zip(tmp_path / "all.zip")
    cache = tmp_path / "mycache"
    rc1, doc1, _ = run_json("requirements.txt", "--db", str(db), "--cache-dir", str(cache))
    [index] = list(cache.glob("osv-index-*.sqlite3"))
    stamp = index.stat().st_mtime_ns
    rc2, doc2, _ = run_json("requirements.txt", "--db", str(db), "--cache-dir", str(cache))
    assert doc1["meta"]["audit-deps"]["database"]["cache"] == "built"
    assert doc2["meta"]["audit-deps"]["database"]["cache"] == "hit"
    assert index.stat().st_mtime_ns == stamp and list(cache.glob("osv-index-*")) == [index]
    # same report either way (notes about malformed records come from the cache too)
    doc1["meta"]["audit-deps"]["database"].pop("cache")
    doc2["meta"]["audit-deps"]["database"].pop("cache")
    assert (rc1, doc1["findings"], doc1["meta"]) == (rc2, doc2["findings"], doc2["meta"])
    assert [n for n in doc1["notes"] if "index" not in n] == [n for n in doc2["notes"] if "index" not in n]
    # a changed database is a new digest: re-indexed
    write_zip(db, broken=False)
    _, doc3, _ = run_json("requirements.txt", "--db", str(db), "--cache-dir", str(cache))
    assert doc3["meta"]["audit-deps"]["database"]["cache"] == "built"
    assert len(list(cache.glob("osv-index-*.sqlite3"))) == 2


def test_directory_digest_changes_with_files(project, tmp_path, run_json):
    folder = write_dir(tmp_path / "recs", broken=False)
    _, d1, _ = run_json("requirements.txt", "--osv-db", str(folder))
    _, d2, _ = run_json("requirements.txt", "--osv-db", str(folder))
    assert [d["meta"]["audit-deps"]["database"]["cache"] for d in (d1, d2)] == ["built", "hit"]
    (folder / "GHSA-53q9-r3pm-6pq6.json").unlink()
    _, d3, _ = run_json("requirements.txt", "--osv-db", str(folder))
    assert d3["meta"]["audit-deps"]["database"]["cache"] == "built"
    assert "torch" not in by_pkg(d3)


def test_env_variable_and_unwritable_cache(project, tmp_path, run_json, monkeypatch):
    db = write_zip(tmp_path / "all.zip")
    monkeypatch.setenv("MLWARDEN_OSV_DB", str(db))
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    rc, doc, _ = run_json("requirements.txt", "--cache-dir", str(blocker / "sub"))
    assert rc == 1 and doc["meta"]["audit-deps"]["database"]["cache"] == "memory"
    assert "torch" in by_pkg(doc)


def test_default_db_location_from_db_update(project, tmp_path, run_json):
    path = default_db_path(tmp_path / "xdg-cache" / "mlwarden")
    path.parent.mkdir(parents=True)
    write_zip(path)
    rc, doc, _ = run_json("requirements.txt")
    assert rc == 1 and doc["meta"]["audit-deps"]["database"]["source"] == str(path)


def test_no_database_is_a_usage_error(project, run):
    rc, out, err = run("requirements.txt")
    assert rc == 2 and out == ""
    assert err.startswith("mlwarden: error: audit-deps needs advisory data: pass --osv-db PATH")
    assert err.count("\n") == 1


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"\x00" * 100])
def test_corrupt_or_missing_database_exit_2(project, tmp_path, run, content):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(content)
    rc, out, err = run("requirements.txt", "--osv-db", str(bad))
    assert rc == 2 and out == "" and "not a readable zip file" in err and "Traceback" not in err
    rc, _, err = run("requirements.txt", "--osv-db", str(tmp_path / "missing.zip"))
    assert rc == 2 and "advisory database not found" in err


def test_max_db_age(project, tmp_path, run):
    db = write_zip(tmp_path / "all.zip")
    rc, out, err = run("requirements.txt", "--osv-db", str(db), "--max-db-age", "3")
    assert rc == 2 and out == ""
    assert f"newest record modified {NEWEST}), older than --max-db-age 3" in err
    rc, _, _ = run("requirements.txt", "--osv-db", str(db), "--max-db-age", "100000")
    assert rc == 1


def test_ignores(project, tmp_path, run_json):
    db = write_zip(tmp_path / "all.zip")
    # by reported id and by alias
    rc, doc, _ = run_json("requirements.txt", "--osv-db", str(db), "--ignore-vuln", "CVE-2025-32434",
                          "--ignore-vuln", "ghsa-8q59-q68h-6hv4")
    found = by_pkg(doc)
    assert "torch" not in found and "pyyaml" not in found and "pillow" in found
    assert doc["meta"]["audit-deps"]["ignored"] == [
        {"package": "pyyaml", "version": "5.3.1", "id": "PYSEC-2021-142"},
        {"package": "torch", "version": "2.1.0+cu118", "id": "CVE-2025-32434"}]
    assert any(n.startswith("2 advisory finding(s) ignored") for n in doc["notes"])
    (tmp_path / "mlwarden.toml").write_text(
        '[audit-deps]\nignore-advisory = [\n'
        '  "CVE-2023-50447: ImageMath.eval is never called with user input",\n'
        '  "GHSA-53q9-r3pm-6pq6: only our own checkpoints are loaded until 2000-01-01",\n'
        ']\n', encoding="utf-8")
    rc, doc, _ = run_json("requirements.txt", "--osv-db", str(db))
    found = by_pkg(doc)
    assert rc == 1 and "pillow" not in found
    assert "torch" in found  # the expired ignore no longer hides it ...
    [expired] = [f for f in doc["findings"] if f["slug"] == "vuln-ignore-expired"]
    assert expired["path"] == "mlwarden.toml" and expired["id"] == "MLW604"  # ... and is itself reported
    assert "GHSA-53q9-r3pm-6pq6 expired on 2000-01-01" in expired["message"]


def test_bad_ignore_entry_is_config_error(project, tmp_path, run):
    db = write_zip(tmp_path / "all.zip")
    (tmp_path / "mlwarden.toml").write_text('[audit-deps]\nignore-advisory = ["CVE-2023-50447"]\n', encoding="utf-8")
    rc, out, err = run("requirements.txt", "--osv-db", str(db))
    assert rc == 2 and out == "" and "expected \"ID: reason [until YYYY-MM-DD]\"" in err


def test_pip_audit_json_shape(project, tmp_path, run):
    db = write_zip(tmp_path / "all.zip")
    rc, out, _ = run("requirements.txt", "--osv-db", str(db), "--format", "pip-audit-json")
    assert rc == 1
    doc = json.loads(out)
    assert set(doc) == {"dependencies", "fixes"} and doc["fixes"] == []
    deps = {(d["name"], d.get("version")): d for d in doc["dependencies"]}
    yaml = deps[("pyyaml", "5.3.1")]
    assert yaml["vulns"] == [{
        "id": "PYSEC-2021-142", "fix_versions": ["5.4"],
        "aliases": ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"],
        "description": "A vulnerability was discovered in the PyYAML library in versions before 5.4, where it "
                       "is susceptible to arbitrary code execution when it processes untrusted YAML files "
                       "through the full_load method or with the FullLoader loader."}]
    assert deps[("torch", "2.1.0+cu118")]["vulns"][0]["id"] == "CVE-2025-32434"
    assert deps[("numpy", "1.26.4")]["vulns"] == []
    assert deps[("torchtriton", "3.0.0")]["vulns"][0]["id"] == "MAL-2022-7426"
    assert deps[("scipy", None)] == {"name": "scipy", "skip_reason": "wildcard pin ==1.13.* matches several releases"}
    for d in doc["dependencies"]:
        assert set(d) in ({"name", "version", "vulns"}, {"name", "skip_reason"})
        for v in d.get("vulns", []):
            assert set(v) == {"id", "fix_versions", "aliases", "description"}
    # deterministic
    _, out2, _ = run("requirements.txt", "--osv-db", str(db), "--format", "pip-audit-json")
    assert out2 == out


def test_same_pin_in_several_files_reported_at_each(tmp_path, run_json):
    db = write_zip(tmp_path / "all.zip")
    (tmp_path / "requirements.txt").write_text("-r requirements-base.txt\npyyaml==5.3.1\n", encoding="utf-8")
    (tmp_path / "requirements-base.txt").write_text("pyyaml==5.3.1\n", encoding="utf-8")
    rc, doc, _ = run_json(".", "--osv-db", str(db))
    locs = [(f["path"], f["line"]) for f in doc["findings"]]
    assert rc == 1
    assert locs == [("requirements-base.txt", 1), ("requirements.txt", 2)]
    assert doc["meta"]["audit-deps"]["dependencies"] == [{"name": "pyyaml", "version": "5.3.1"}]


def test_inline_suppression_and_sarif(project, tmp_path, run):
    db = write_zip(tmp_path / "all.zip")
    text = REQUIREMENTS.replace("torch==2.1.0+cu118", "torch==2.1.0+cu118  # mlwarden: ignore[MLW601]")
    Path("requirements.txt").write_text(text, encoding="utf-8")
    rc, out, _ = run("requirements.txt", "--osv-db", str(db), "--format", "sarif")
    sarif = json.loads(out)
    results = sarif["runs"][0]["results"]
    assert rc == 1 and results
    assert not any("torch 2.1.0" in r["message"]["text"] for r in results)


def test_unreadable_manifest_is_not_silent(tmp_path, run_json):
    db = write_zip(tmp_path / "all.zip")
    (tmp_path / "requirements.txt").write_bytes(b"\xff\xfe\x00garbage\x00")
    rc, doc, _ = run_json("requirements.txt", "--osv-db", str(db))
    assert rc == 1
    assert [f["slug"] for f in doc["findings"]] == ["unreadable-file"]
    assert doc["findings"][0]["message"].startswith("not audited:")


def test_hook_failure_does_not_leave_temp_files(project, tmp_path, run):
    db = write_zip(tmp_path / "all.zip")
    cache = tmp_path / "c"
    run("requirements.txt", "--osv-db", str(db), "--cache-dir", str(cache))
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["osv"]
    assert not [p for p in os.listdir(cache) if p.endswith(".tmp")]


def test_ranges_in_inputs_are_low_and_info_when_pinned_elsewhere(tmp_path, run_json):
    db = write_zip(tmp_path / "all.zip")
    (tmp_path / "requirements.in").write_text("torch>=2.0\nrequests\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("torch==2.6.0\n", encoding="utf-8")
    rc, doc, _ = run_json(".", "--osv-db", str(db))
    sev = {(f["path"], f["data"]["package"]): f["severity"] for f in doc["findings"]}
    assert sev == {("requirements.in", "torch"): "info", ("requirements.in", "requests"): "low"}
    assert rc == 1  # default --fail-on low
    rc, _, _ = run_json(".", "--osv-db", str(db), "--fail-on", "medium")
    assert rc == 0
    # pip-audit's shape lists torch once (audited), not also as skipped
    assert doc["meta"]["audit-deps"]["dependencies"] == [
        {"name": "requests", "skip_reason": "no version specified"}, {"name": "torch", "version": "2.6.0"}]


def test_hostile_database_entries(project, tmp_path, run_json):
    folder = write_dir(tmp_path / "recs", broken=False)
    (folder / "DEEP-1.json").write_bytes(b"[" * 200000 + b"]" * 200000)
    (folder / "NUL-1.json").write_bytes(b"\x00\xff" * 1000)
    outside = tmp_path / "outside.json"
    outside.write_text('{"id": "EVIL-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "keras"},'
                       ' "versions": ["2.13.1"]}]}')
    (folder / "EVIL-1.json").symlink_to(outside)
    rc, doc, _ = run_json("requirements.txt", "--osv-db", str(folder))
    assert rc == 1
    notes = "\n".join(doc["notes"])
    assert "DEEP-1.json: " in notes and "NUL-1.json: not valid JSON" in notes
    assert "keras" not in by_pkg(doc)  # the symlinked record outside the database folder is not read


def test_config_relative_db_path(tmp_path, run_json, monkeypatch):
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    write_zip(proj / "osv.zip")
    (proj / "mlwarden.toml").write_text('[audit-deps]\nosv-db = "osv.zip"\n', encoding="utf-8")
    (proj / "sub" / "requirements.txt").write_text("torch==2.5.1\n", encoding="utf-8")
    (proj / ".git").mkdir()
    monkeypatch.chdir(proj / "sub")
    rc, doc, _ = run_json("requirements.txt")
    assert rc == 1 and doc["findings"][0]["data"]["id"] == "CVE-2025-32434"


def test_empty_project_says_nothing_was_audited(tmp_path, run):
    db = write_zip(tmp_path / "all.zip")
    (tmp_path / "src").mkdir()
    rc, out, err = run("src", "--osv-db", str(db))
    assert rc == 0 and out == ""
    assert "nothing was audited" in err


def test_database_without_pypi_records_is_an_error(project, tmp_path, run):
    from tests.audit.osvdata import RECORDS

    empty = tmp_path / "empty"
    empty.mkdir()
    go_only = write_zip(tmp_path / "go.zip", [r for r in RECORDS if r["id"].startswith("GO-")])
    for db in (empty, go_only):
        rc, out, err = run("requirements.txt", "--osv-db", str(db))
        assert rc == 2 and out == "" and "holds no usable PyPI records" in err
