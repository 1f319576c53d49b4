"""Reports people read: the Markdown summary (rule table, top findings by severity and role, identical
findings grouped across files, fixed baseline entries) and GitHub annotations (ranked, capped, one closing
notice)."""

from __future__ import annotations

from dataclasses import replace

from mlwarden.core.findings import Finding, Rule, Severity
from mlwarden.formats import Report, get

UNPINNED = Rule("MLW301", "unpinned", Severity.HIGH, "t", "h", check="check-pins")
HASH = Rule("MLW302", "missing-hash", Severity.LOW, "t", "h", check="check-pins")
LOAD = Rule("MLW101", "torch-load-unsafe", Severity.HIGH, "t", "h", check="check-unsafe-loads")


def platform_files(n: int) -> list[Finding]:
    return [Finding(UNPINNED, f"requirements/platform-{i:02d}.txt", "torch is not pinned ('>=2')", line=3,
                    column=1, hint="pin it", role="example") for i in range(n)]


def test_markdown_groups_identical_findings_and_ranks_application_code_first() -> None:
    findings = [*platform_files(17),
                Finding(LOAD, "src/app/serve.py", "torch.load without weights_only", line=9, role="install"),
                Finding(HASH, "requirements.txt", "requests has no --hash", line=1, role="install")]
    md = get("markdown")(Report(findings=findings, checks=["check-pins"],
                                stats={"suppressed": 2, "baseline": {"baselined": 5, "fixed": 1, "file": "b.json",
                                                                     "fixed-findings": [{"rule": "MLW301",
                                                                                         "slug": "unpinned",
                                                                                         "path": "old.txt"}]},
                                       "reports": {"SARIF": "mlwarden.sarif"}}))
    assert "**19 findings** (18 high, 1 low) — 5 baselined, 1 fixed since the baseline" in md
    assert "2 suppressed" in md
    rules = md[md.index("### Rules"):md.index("### Top findings")]
    assert "| MLW301 unpinned | high | 17 | requirements/platform-00.txt:3, requirements/platform-01.txt:3, " \
           "requirements/platform-02.txt:3 … |" in rules
    top = md[md.index("### Top findings"):].splitlines()
    rows = [r for r in top if r.startswith("| high") or r.startswith("| low")]
    # the application's own code first, then the 17 example files as ONE row, then the low finding
    assert rows[0].startswith("| high | MLW101 torch-load-unsafe | src/app/serve.py:9 |")
    assert rows[1].startswith("| high | MLW301 unpinned | 17 places: requirements/platform-00.txt:3 (example), "
                              "requirements/platform-01.txt:3")
    assert "and 12 more |" in rows[1]
    assert rows[2].startswith("| low | MLW302 missing-hash | requirements.txt:1 |")
    assert len(rows) == 3
    assert "### Fixed since the baseline" in md and "- MLW301 unpinned in old.txt" in md


def test_markdown_names_the_full_reports_when_cut() -> None:
    many = [Finding(HASH, f"r{i:04d}.txt", f"p{i} has no --hash", line=1) for i in range(400)]
    md = get("markdown")(Report(findings=many, stats={"reports": {"SARIF": "out/mlwarden.sarif"}}))
    assert "… and 100 more findings in 100 more rows (every finding is in the SARIF `out/mlwarden.sarif` " \
           "report)." in md


def test_github_annotations_ranked_and_capped_with_one_closing_notice() -> None:
    lows = [Finding(HASH, f"a{i:02d}.txt", "no hash", line=1) for i in range(15)]
    highs = [Finding(UNPINNED, f"z{i:02d}.txt", "unpinned", line=1) for i in range(12)]
    tests = [replace(h, path=f"tests/t{i}.txt", role="test") for i, h in enumerate(highs[:2])]
    out = get("github")(Report(findings=[*lows, *tests, *highs])).splitlines()
    errors = [x for x in out if x.startswith("::error")]
    notices = [x for x in out if x.startswith("::notice")]
    assert len(errors) == 10 and len(notices) == 10
    assert out[0].startswith("::error file=z00.txt")  # severity first, application files before tests
    assert not any("tests/" in x for x in errors)  # the test-file ones are the ones left out
    assert notices[-1].startswith("::notice title=mlwarden::") and "10 more findings are not annotated" in \
        notices[-1]
    assert out[-1] == notices[-1]
    few = get("github")(Report(findings=highs[:3])).splitlines()
    assert len(few) == 3 and not any("more" in x for x in few)


def test_sarif_marks_results_new_against_a_baseline() -> None:
    import json

    import jsonschema

    from tests.ship.helpers import ROOT

    f = Finding(UNPINNED, "requirements.txt", "torch is not pinned", line=1, column=1)
    plain = json.loads(get("sarif")(Report(findings=[f])))
    assert "baselineState" not in plain["runs"][0]["results"][0]
    doc = json.loads(get("sarif")(Report(findings=[f], stats={"baseline": {"baselined": 3, "fixed": 0}})))
    assert doc["runs"][0]["results"][0]["baselineState"] == "new"
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(doc)
