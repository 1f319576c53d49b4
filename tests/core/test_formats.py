"""Every format renders the same findings; SARIF validates against the official 2.1.0 schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from mlwarden.core.findings import Finding, Rule, Severity, sort_findings
from mlwarden.formats import Report, get

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "sarif-schema-2.1.0.json").read_text())

R1 = Rule("MLW301", "unpinned", Severity.HIGH, "Not pinned", "Pin it with ==.", cwe=(829,), check="check-pins")
R2 = Rule("MLW502", "pickle-global-unsafe", Severity.CRITICAL, "Code runs on load", "Do not load it.",
          check="scan-models")
R3 = Rule("MLW105", "yaml-unsafe", Severity.LOW, "YAML", "Use safe_load.", check="check-unsafe-loads")


def sample() -> list[Finding]:
    return sort_findings([
        Finding(R1, "requirements.txt", "torch is not pinned", line=3, column=1, hint="torch==2.6.0"),
        Finding(R2, "models/evil model.pt", "os.system, called with REDUCE", data={"member": "a/data.pkl",
                                                                                 "offset": 57}),
        Finding(R3, "src/load.py", "message with\nnewline, comma: and %", line=10, column=5,
                severity=Severity.MEDIUM),
    ])


def test_text_one_line_per_finding() -> None:
    out = get("text")(Report(findings=sample()))
    lines = out.splitlines()
    assert lines[0] == "models/evil model.pt: MLW502 pickle-global-unsafe [critical] os.system, called with " \
                       "REDUCE"
    assert "requirements.txt:3:1: MLW301 unpinned [high] torch is not pinned (fix: torch==2.6.0)" in lines
    assert any(line.startswith("src/load.py:10:5: MLW105 yaml-unsafe [medium]") for line in lines)
    assert get("text")(Report(findings=[])) == ""


def test_json_public_shape() -> None:
    doc = json.loads(get("json")(Report(findings=sample())))
    assert doc["tool"] == "mlwarden" and doc["version"]
    by_id = {f["id"]: f for f in doc["findings"]}
    assert by_id["MLW301"] == {"id": "MLW301", "slug": "unpinned", "severity": "high",
                               "path": "requirements.txt", "line": 3, "column": 1,
                               "message": "torch is not pinned", "hint": "torch==2.6.0"}
    whole_file = by_id["MLW502"]
    assert whole_file["line"] is None and whole_file["column"] is None
    assert whole_file["data"] == {"member": "a/data.pkl", "offset": 57}
    assert by_id["MLW105"]["severity"] == "medium"  # the per-finding override wins


def test_sarif_validates_and_has_rules_help_and_security_severity() -> None:
    text = get("sarif")(Report(findings=sample(), all_rules=[R1, R2, R3]))
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["MLW105", "MLW301", "MLW502"]
    for r in rules:
        assert r["help"]["text"] and r["help"]["markdown"]
        assert float(r["properties"]["security-severity"]) >= 0
    assert rules[1]["properties"]["tags"][-1] == "external/cwe/cwe-829"
    for res in run["results"]:
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert "partialFingerprints" not in res
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    assert "partialFingerprints" not in text
    uris = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in run["results"]}
    assert "models/evil%20model.pt" in uris
    levels = {res["ruleId"]: res["level"] for res in run["results"]}
    assert levels == {"MLW301": "error", "MLW502": "error", "MLW105": "warning"}


def test_sarif_empty_run_validates() -> None:
    doc = json.loads(get("sarif")(Report(findings=[])))
    jsonschema.validate(doc, SCHEMA)
    assert doc["runs"][0]["results"] == []


def test_github_annotations_escape() -> None:
    out = get("github")(Report(findings=sample())).splitlines()
    assert "::error file=requirements.txt,line=3,col=1,title=MLW301 unpinned [high]::torch is not pinned" \
           " Fix: torch==2.6.0" in out
    yaml_line = next(line for line in out if "MLW105" in line)
    assert yaml_line.startswith("::warning file=src/load.py,line=10,col=5,")
    assert "message with%0Anewline, comma: and %25" in yaml_line
    crit = next(line for line in out if "MLW502" in line)
    assert crit.startswith("::error file=models/evil model.pt,title=MLW502 pickle-global-unsafe [critical]::")


def test_gitlab_code_quality() -> None:
    issues = json.loads(get("gitlab")(Report(findings=sample())))
    assert len(issues) == 3
    sev = {i["check_name"].split()[0]: i["severity"] for i in issues}
    assert sev == {"MLW301": "critical", "MLW502": "blocker", "MLW105": "major"}
    for i in issues:
        assert set(i) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert i["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == 3


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab"])
def test_deterministic(fmt: str) -> None:
    a = get(fmt)(Report(findings=sample()))
    assert a
    assert get(fmt)(Report(findings=sort_findings(reversed(sample())))) == a


def test_text_escapes_control_and_bidi_characters() -> None:
    f = Finding(R1, "evil\x1b[2Jname\u202e.txt", "bad\rline\nnext", line=1, column=1)
    out = get("text")(Report(findings=[f]))
    assert out.count("\n") == 2 and "\x1b" not in out and "\r" not in out and "\u202e" not in out
    assert "evil\\x1b[2Jname\\u202e.txt:1:1:" in out and "bad\\x0dline\\x0anext" in out


def test_undecodable_file_names_do_not_crash_output(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    from mlwarden.core.fileio import atomic_write_text, write_stdout

    text = get("json")(Report(findings=[Finding(R1, "bad\udcffname.txt", "m", line=1, column=1)]))
    write_stdout(text)
    out = capsysbinary.readouterr().out
    assert b"\\udcff" in out
    assert json.loads(out)["findings"][0]["path"] == "bad\udcffname.txt"  # the JSON escape round-trips
    atomic_write_text(tmp_path / "r.json", text)
    assert b"\\udcff" in (tmp_path / "r.json").read_bytes()
