"""The OSV API path against a real HTTP server on 127.0.0.1: batching, paging, detail fetches, and every
failure ending in exit 2 (never 0)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.audit.osvdata import RECORDS, REQUIREMENTS, write_zip
from tests.audit.servers import OsvApiServer, serve

# what the service answers (the facts of the records, as OSV would match them)
AFFECTED = {
    ("torch", "2.1.0"): ["GHSA-53q9-r3pm-6pq6"],  # asked for the public version of 2.1.0+cu118
    ("pyyaml", "5.3.1"): ["GHSA-8q59-q68h-6hv4", "PYSEC-2021-142"],
    ("pillow", "10.1.0"): ["GHSA-3f63-hfp8-52jq"],
    ("numpy", "1.21.0"): ["GHSA-fpfv-jqm9-f5jm", "PYSEC-2021-857"],  # the second one is withdrawn
    ("tensorflow", "2.4.1"): ["GHSA-r6jx-9g48-2r5r"],
    ("transformers", "4.37.2"): ["GHSA-37q5-v5qm-c9v8"],
    ("torchtriton", "3.0.0"): ["MAL-2022-7426"],
    ("sentencepiece", "0.1.98"): ["PYSEC-2099-1"],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    return tmp_path


def strip(doc):
    return [{k: v for k, v in f.items()} for f in doc["findings"]]


def test_online_matches_offline(project, tmp_path, run_json):
    app = OsvApiServer(RECORDS, AFFECTED, page_size=1)
    with serve(app) as url:
        rc_on, online, err = run_json("requirements.txt", "--osv-url", url, "--timeout", "5")
    assert "Traceback" not in err
    rc_off, offline, _ = run_json("requirements.txt", "--osv-db", str(write_zip(tmp_path / "a.zip")))
    assert rc_on == rc_off == 1
    assert strip(online) == strip(offline)
    db = online["meta"]["audit-deps"]["database"]
    assert db["kind"] == "api" and db["source"] == url and db["withdrawn_skipped"] == 1
    assert db["newest_modified"] == "2025-04-18T16:46:23Z" and db["age_days"] is None
    assert any(n.startswith(f"advisory data: OSV API {url} (live") for n in online["notes"])
    # one batch for all 12 auditable pins, then one more page for the two queries with a second id
    batches = [b for m, p, b in app.log if p == "/v1/querybatch"]
    assert len(batches) == 2 and len(batches[0]["queries"]) == 12
    assert [(q["package"]["name"], q["page_token"]) for q in batches[1]["queries"]] == [
        ("numpy", "1"), ("pyyaml", "1")]
    assert all(q["package"]["ecosystem"] == "PyPI" for q in batches[0]["queries"])
    assert {"package": {"name": "torch", "ecosystem": "PyPI"}, "version": "2.1.0"} in batches[0]["queries"]
    # each advisory fetched once
    gets = sorted(p for m, p, _ in app.log if m == "GET")
    assert gets == sorted({f"/v1/vulns/{i}" for ids in AFFECTED.values() for i in ids})
    assert online["meta"]["audit-deps"]["api_requests"] == 2 + len(gets)


def test_online_flag_uses_default_url_only_when_asked(project, run):
    # no flag, no database: usage error (the network is never touched unasked)
    rc, out, err = run("requirements.txt")
    assert rc == 2 and out == "" and "--online" in err


def test_online_clean_project(tmp_path, run):
    Path("requirements.txt").write_text("keras==3.9.0\n", encoding="utf-8")
    with serve(OsvApiServer(RECORDS, AFFECTED)) as url:
        rc, out, err = run("requirements.txt", "--osv-url", url)
    assert (rc, out) == (0, "") and "OSV API" in err


@pytest.mark.parametrize(("fail", "message"), [
    ("500", "HTTP 500"),
    ("garbage", "response is not valid JSON"),
    ("shape", "unexpected response shape"),
    ("vulns500", "HTTP 500"),
    ("slow", "timed out after 0.3s"),
])
def test_failing_server_exits_2(project, run, fail, message):
    with serve(OsvApiServer(RECORDS, AFFECTED, fail=fail)) as url:
        for fmt in ("text", "json", "pip-audit-json"):
            rc, out, err = run("requirements.txt", "--osv-url", url, "--timeout", "0.3", "--format", fmt)
            assert rc == 2 and out == ""
            assert err.startswith(f"mlwarden: error: OSV API {url}/v1/")
            assert message in err and "nothing was audited" in err and err.count("\n") == 1


def test_closed_port_exits_2(project, run):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc, out, err = run("requirements.txt", "--osv-url", f"http://127.0.0.1:{port}", "--timeout", "2")
    assert rc == 2 and out == "" and "cannot connect" in err


def test_bad_url_is_usage_error(project, run):
    rc, _, err = run("requirements.txt", "--osv-url", "file:///etc/passwd")
    assert rc == 2 and "must be an http(s) URL" in err


def test_unusable_advisory_record_is_still_reported(tmp_path, run_json):
    Path("requirements.txt").write_text("pillow==10.1.0\n", encoding="utf-8")
    broken = [r if r["id"] != "GHSA-3f63-hfp8-52jq" else {"id": r["id"], "affected": "pillow"} for r in RECORDS]
    with serve(OsvApiServer(broken, AFFECTED)) as url:
        rc, doc, _ = run_json("requirements.txt", "--osv-url", url)
    assert rc == 1
    [f] = doc["findings"]
    assert f["data"]["id"] == "GHSA-3f63-hfp8-52jq" and f["severity"] == "high"
    assert "advisory record unreadable" in f["message"]
    assert any("skipped 1 malformed advisory record(s): GHSA-3f63-hfp8-52jq" in n for n in doc["notes"])


def test_mirror_without_querybatch_uses_v1_query_with_paging(project, tmp_path, run_json):
    app = OsvApiServer(RECORDS, AFFECTED, page_size=1, fail="nobatch")
    with serve(app) as url:
        rc, doc, err = run_json("requirements.txt", "--osv-url", url)
    rc_off, offline, _ = run_json("requirements.txt", "--osv-db", str(write_zip(tmp_path / "a.zip")))
    assert rc == rc_off == 1 and "Traceback" not in err
    assert strip(doc) == strip(offline)
    queries = [(b["package"]["name"], b.get("page_token")) for m, p, b in app.log if p == "/v1/query"]
    assert len([q for q in queries if q[1] is None]) == 12  # every pin asked once ...
    assert sorted(q for q in queries if q[1]) == [("numpy", "1"), ("pyyaml", "1")]  # ... plus second pages
    # /v1/query returns whole records: nothing fetched again
    assert not [p for m, p, _ in app.log if m == "GET"]
