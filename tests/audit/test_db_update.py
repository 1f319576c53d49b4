"""``mlwarden db update`` against a real static server on 127.0.0.1 serving OSV's bucket layout."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from mlwarden.cli import main as cli_main
from tests.audit.osvdata import RECORDS, rec, zip_bytes
from tests.audit.servers import StaticServer, serve


def bucket(records):
    files = {"/PyPI/all.zip": zip_bytes(records, broken=False)}
    rows = sorted(((r["modified"], r["id"]) for r in records), reverse=True)
    files["/PyPI/modified_id.csv"] = "".join(f"{m},{i}\n" for m, i in rows).encode()
    for r in records:
        files[f"/PyPI/{r['id']}.json"] = json.dumps(r).encode()
    return files


def members(path: Path) -> dict[str, dict]:
    with zipfile.ZipFile(path) as zf:
        return {n: json.loads(zf.read(n)) for n in zf.namelist()}


def test_full_download_then_delta(tmp_path, capsys):
    dest = tmp_path / "db" / "PyPI-all.zip"
    app = StaticServer(bucket(RECORDS))
    with serve(app) as url:
        rc = cli_main(["db", "update", "--db", str(dest), "--url", f"{url}/PyPI/all.zip"])
        out = capsys.readouterr().out
        assert rc == 0 and out.startswith(f"downloaded {dest}: {len(RECORDS)} records")
        assert app.log == ["/PyPI/all.zip"]
        assert len(members(dest)) == len(RECORDS)

        # upstream changes two records: Pillow gets a later fix, a new advisory appears
        pillow = next(r for r in RECORDS if r["id"] == "GHSA-3f63-hfp8-52jq")
        changed = {**pillow, "modified": "2025-06-01T00:00:00Z",
                   "affected": [{**pillow["affected"][0],
                                 "ranges": [{"type": "ECOSYSTEM",
                                             "events": [{"introduced": "0"}, {"fixed": "10.2.1"}]}]}]}
        new = rec("GHSA-q2x7-8rv6-6q7h", "jinja2", [{"introduced": "0"}, {"fixed": "3.1.5"}],
                  aliases=["CVE-2024-56201"], summary="Jinja has a sandbox breakout through malicious filenames",
                  modified="2025-06-02T00:00:00Z")
        updated = [changed if r["id"] == pillow["id"] else r for r in RECORDS] + [new]
        app.files = bucket(updated)
        app.log.clear()
        rc = cli_main(["db", "update", "--db", str(dest), "--url", f"{url}/PyPI/all.zip"])
        out = capsys.readouterr().out
    assert rc == 0
    assert out.startswith(f"updated {dest}: 2 record(s) changed since 2025-04-18T16:46:23Z")
    # only the index of changes and the two changed records were downloaded
    assert sorted(app.log) == ["/PyPI/GHSA-3f63-hfp8-52jq.json", "/PyPI/GHSA-q2x7-8rv6-6q7h.json",
                               "/PyPI/modified_id.csv"]
    got = members(dest)
    assert len(got) == len(RECORDS) + 1
    assert got["GHSA-3f63-hfp8-52jq.json"]["modified"] == "2025-06-01T00:00:00Z"
    assert got["GHSA-q2x7-8rv6-6q7h.json"]["aliases"] == ["CVE-2024-56201"]

    # the updated database is what audit-deps uses by default when --db is the default location
    (tmp_path / "requirements.txt").write_text("jinja2==3.1.4\npillow==10.2.0\n", encoding="utf-8")
    from mlwarden_hooks.audit_deps import main

    rc = main(["requirements.txt", "--osv-db", str(dest), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert sorted(f["data"]["id"] for f in doc["findings"]) == ["CVE-2023-50447", "CVE-2024-56201"]


def test_update_failures_keep_previous_copy(tmp_path, capsys):
    dest = tmp_path / "PyPI-all.zip"
    app = StaticServer(bucket(RECORDS))
    with serve(app) as url:
        assert cli_main(["db", "update", "--db", str(dest), "--url", f"{url}/PyPI/all.zip"]) == 0
        before = dest.read_bytes()
        capsys.readouterr()
        # the change list is missing
        del app.files["/PyPI/modified_id.csv"]
        assert cli_main(["db", "update", "--db", str(dest), "--url", f"{url}/PyPI/all.zip"]) == 2
        err = capsys.readouterr().err
        assert "modified_id.csv: HTTP 404" in err and err.count("\n") == 1
        # a changed record that is not the record it claims to be
        app.files = bucket(RECORDS)
        app.files["/PyPI/modified_id.csv"] = b"2030-01-01T00:00:00Z,GHSA-53q9-r3pm-6pq6\n"
        app.files["/PyPI/GHSA-53q9-r3pm-6pq6.json"] = b"<html>oops</html>"
        assert cli_main(["db", "update", "--db", str(dest), "--url", f"{url}/PyPI/all.zip"]) == 2
        assert "not valid JSON" in capsys.readouterr().err
        assert dest.read_bytes() == before
        # a first download that is not a zip leaves nothing behind
        other = tmp_path / "fresh" / "all.zip"
        app.files["/PyPI/all.zip"] = b"not a zip at all"
        assert cli_main(["db", "update", "--db", str(other), "--url", f"{url}/PyPI/all.zip"]) == 2
        assert "not a zip file" in capsys.readouterr().err
        assert not other.exists() and list(other.parent.iterdir()) == []
    assert dest.read_bytes() == before


def test_update_usage_errors(tmp_path, capsys):
    assert cli_main(["db"]) == 2
    assert cli_main(["db", "update", "--url", "ftp://x/all.zip", "--db", str(tmp_path / "a.zip")]) == 2
    assert "must be an http(s) URL" in capsys.readouterr().err
    assert cli_main(["db", "update", "--db", str(tmp_path)]) == 2
    assert "this is a directory" in capsys.readouterr().err
