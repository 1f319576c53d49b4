"""Unit tests of OSV matching, alias families, pip-audit conventions and CVSS scoring."""

from __future__ import annotations

import pytest
from packaging.version import Version

from mlwarden.checks.audit import osv
from mlwarden.checks.audit.cvss import base_score, qualitative
from tests.audit.osvdata import RECORDS, rec


def compact(doc):
    warnings: list[str] = []
    out = osv.compact(doc, warnings)
    return out, warnings


def by_id(rid):
    return next(r for r in RECORDS if r["id"] == rid)


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1", True), ("2.3.3", True), ("2.3.4", False), ("2.3.9", False), ("2.4.0rc1", False),
    ("2.4.0", True), ("2.4.2", True), ("2.4.3", False), ("2.5.0", True), ("2.5.1", False), ("2.6.0", False),
])
def test_unsorted_events_are_sorted_before_evaluation(version, expected):
    events = by_id("GHSA-r6jx-9g48-2r5r")["affected"][0]["ranges"][0]["events"]
    ev = [[k, v] for e in events for k, v in e.items()]
    assert osv.in_range(Version(version), ev) is expected


def test_last_affected_is_inclusive_and_limit_exclusive():
    ev = [["introduced", "1.0"], ["last_affected", "1.4"]]
    assert osv.in_range(Version("1.4"), ev)
    assert osv.in_range(Version("1.0"), ev)
    assert not osv.in_range(Version("1.4.1"), ev)
    assert not osv.in_range(Version("0.9"), ev)
    lim = [["introduced", "0"], ["limit", "3.0"]]
    assert osv.in_range(Version("2.9"), lim)
    assert not osv.in_range(Version("3.0"), lim)


def test_local_version_compared_by_public_part():
    torch, _ = compact(by_id("GHSA-53q9-r3pm-6pq6"))
    assert osv.record_affects(torch, "torch", Version("2.1.0+cu118"), "2.1.0+cu118")
    assert not osv.record_affects(torch, "torch", Version("2.6.0+cpu"), "2.6.0+cpu")
    listed, _ = compact(by_id("GHSA-hxwh-jpp2-84pm"))
    assert osv.record_affects(listed, "transformers", Version("4.48.0+custom"), "4.48.0+custom")
    assert not osv.record_affects(listed, "transformers", Version("4.48.1"), "4.48.1")
    lastaff, _ = compact(rec("X-1", "pkg", [{"introduced": "0"}, {"last_affected": "2.1.0"}]))
    # the local build of the last affected release is affected (a plain PEP 440 comparison would say no)
    assert osv.record_affects(lastaff, "pkg", Version("2.1.0+cu118"), "2.1.0+cu118")


def test_withdrawn_other_ecosystem_and_invalid_events():
    assert compact(by_id("PYSEC-2021-857"))[0] is None
    assert compact(by_id("GO-2099-1"))[0] is None
    sp, warnings = compact(by_id("PYSEC-2099-1"))
    assert warnings == ["PYSEC-2099-1: skipped fixed event with invalid version 'not a version!'"]
    assert sp["affected"][0]["ranges"] == [[["introduced", "0"], ["fixed", "0.1.99"]]]
    for bad in ({"affected": []}, {"id": "X", "affected": "torch"}, {"id": "X", "aliases": "CVE-1"},
                {"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"},
                                          "ranges": [{"type": "ECOSYSTEM", "events": [{"oops": "1"}]}]}]},
                [1, 2]):
        with pytest.raises(osv.Malformed):
            osv.compact(bad, [])


def test_primary_id_follows_pip_audit():
    assert osv.primary_id({"id": "GHSA-3f63-hfp8-52jq", "aliases": ["CVE-2023-50447"]}) == "CVE-2023-50447"
    assert osv.primary_id({"id": "GHSA-8q59-q68h-6hv4",
                           "aliases": ["CVE-2020-14343", "PYSEC-2021-142"]}) == "PYSEC-2021-142"
    assert osv.primary_id({"id": "MAL-2022-7426", "aliases": []}) == "MAL-2022-7426"
    assert osv.primary_id({"id": "GHSA-aaaa", "aliases": ["GHSA-bbbb"]}) == "GHSA-aaaa"


def test_alias_family_merge_keeps_pysec_first_and_unions_aliases():
    recs = [compact(by_id(i))[0] for i in ("GHSA-8q59-q68h-6hv4", "PYSEC-2021-142")]
    fams = osv.families(recs)
    assert len(fams) == 1
    fam = fams[0]
    assert fam.id == "PYSEC-2021-142"
    assert fam.aliases == {"CVE-2020-14343", "GHSA-8q59-q68h-6hv4"}
    assert fam.lead["id"] == "PYSEC-2021-142"
    assert fam.severity == "critical"  # the GHSA record's CVSS 9.8 vector
    # a third record bridging two otherwise separate families merges them
    a = compact(rec("GHSA-aaaa", "p", [{"introduced": "0"}], aliases=["CVE-1"]))[0]
    b = compact(rec("GHSA-bbbb", "p", [{"introduced": "0"}], aliases=["CVE-2"]))[0]
    c = compact(rec("GHSA-cccc", "p", [{"introduced": "0"}], aliases=["CVE-1", "CVE-2"]))[0]
    merged = osv.families([a, b, c])
    assert len(merged) == 1 and merged[0].ids == {"CVE-1", "CVE-2", "GHSA-aaaa", "GHSA-bbbb", "GHSA-cccc"}


def test_fix_versions_pip_audit_and_nearest():
    tf, _ = compact(by_id("GHSA-r6jx-9g48-2r5r"))
    assert osv.pip_audit_fix_versions(tf, "tensorflow") == ["2.3.4", "2.4.3", "2.5.1"]
    fam = osv.families([tf])[0]
    assert osv.nearest_fix(fam, "tensorflow", Version("2.4.1"), "2.4.1") == Version("2.4.3")
    assert osv.nearest_fix(fam, "tensorflow", Version("1.15.0"), "1.15.0") == Version("2.3.4")
    # pip-audit compares the record's package name with the canonical name as written
    ghsa, _ = compact(by_id("GHSA-8q59-q68h-6hv4"))
    assert osv.pip_audit_fix_versions(ghsa, "pyyaml") == []
    assert osv.all_fixed(ghsa, "pyyaml") == [Version("5.4")]
    # following fixes upward: 1.5 is fixed for the first range but re-introduced until 2.0
    chain = compact(rec("X-2", "p", ranges=[[{"introduced": "0"}, {"fixed": "1.5"}],
                                           [{"introduced": "1.5"}, {"fixed": "2.0"}]]))[0]
    assert osv.nearest_fix(osv.families([chain])[0], "p", Version("1.0"), "1.0") == Version("2.0")
    lastaff = compact(by_id("GHSA-37q5-v5qm-c9v8"))[0]
    assert osv.nearest_fix(osv.families([lastaff])[0], "transformers", Version("4.37.2"), "4.37.2") is None


@pytest.mark.parametrize(("vector", "score"), [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:L", 1.6),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
])
def test_cvss3_base_scores(vector, score):
    assert base_score(vector) == score


def test_cvss_invalid_vectors_and_labels():
    for bad in ("", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                "CVSS:3.1/AV:N/AC:L", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"):
        assert base_score(bad) is None
    assert [qualitative(s) for s in (9.0, 7.0, 6.9, 0.1, 0.0)] == ["critical", "high", "medium", "low", "info"]
    # a v4-only record falls back to its qualitative severity
    assert osv.record_severity(by_id("GHSA-53q9-r3pm-6pq6")) == ("critical", "database_specific")
    assert osv.record_severity(by_id("GHSA-fpfv-jqm9-f5jm")) == ("medium", "database_specific")
    assert osv.record_severity(by_id("PYSEC-2021-142")) == (None, None)


def test_pip_audit_details_alias_order_description_schema():
    # the first CVE in the record's own alias order is reported (pip-audit's stable sort)
    r, _ = compact(rec("GHSA-xxxx", "p", [{"introduced": "0"}], aliases=["CVE-2024-2", "CVE-2024-1", "GHSA-xxxx"]))
    assert r["aliases"] == ["CVE-2024-2", "CVE-2024-1"] and osv.primary_id(r) == "CVE-2024-2"
    # summary wins even when empty; details otherwise; newlines flattened
    assert osv.description({"summary": "", "details": "d"}) == ""
    assert osv.description({"summary": None, "details": "a\nb"}) == "a b"
    assert osv.description({}) == "N/A"
    # a future major schema version is skipped with a warning, as pip-audit does
    out, warnings = compact({**rec("X-9", "p", [{"introduced": "0"}]), "schema_version": "2.0.0"})
    assert out is None and warnings == ["X-9: skipped record with unsupported OSV schema_version 2.0.0"]


def test_equal_version_events_evaluated_like_osv_dev():
    # PYSEC-2022-42972 (apache-iotdb): OSV's own enumeration lists only 0.12.x as affected
    ev = [["introduced", "0.13.0"], ["fixed", "0.14.0rc1"], ["introduced", "0.12.2"], ["fixed", "0.13.0"]]
    assert osv.in_range(Version("0.12.6"), ev)
    assert not osv.in_range(Version("0.13.0"), ev)
    assert not osv.in_range(Version("0.13.0.post1"), ev)
    assert not osv.in_range(Version("0.12.1"), ev)
