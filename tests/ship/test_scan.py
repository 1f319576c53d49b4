"""`mlwarden scan`: every available check through the shared machinery, several reports per run, one exit
code; GitHub annotations and job summary; scan-specific policies (audit-deps, generate-sbom)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlwarden import scan
from mlwarden.checks import REGISTRY
from mlwarden.formats import Report
from mlwarden.formats import markdown as md
from tests.ship.helpers import ROOT, SCHEMAS, git, make_repo

HEX = "a" * 64
BAD_REQS = "requests>=2\nflask==2.0.1 --hash=sha256:" + HEX + "\n"
GOOD_REQS = f"requests==2.31.0 --hash=sha256:{HEX}\n"
# a protocol-0 pickle that would call os.system on load (bytes only: never loaded)
EVIL_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."


def sast_validator() -> Any:
    schema = json.loads((SCHEMAS / "sast-report-format-15.0.7.json").read_text())
    return jsonschema.Draft7Validator(schema)


def sarif_validator() -> Any:
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft7Validator(schema)


def run(repo: Path, args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> tuple[int, str, str]:
    monkeypatch.chdir(repo)
    rc = scan.main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def ids(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["id"], f["path"]) for f in doc["findings"]]


@pytest.fixture
def bad_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {
        "requirements.txt": BAD_REQS,
        ".gitignore": "ignored/\n",
        "ignored/requirements.txt": "torch\n",  # .gitignore'd: never scanned
        "vendor/requirements.txt": "numpy\n",  # excluded by config
        "mlwarden.toml": 'exclude = ["vendor/**"]\n',
    })


def test_scan_respects_gitignore_and_config_excludes(bad_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(bad_repo, ["--format", "json"], monkeypatch, capsys)
    doc = json.loads(out)
    paths = {f["path"] for f in doc["findings"]}
    assert rc == 1
    assert ("MLW301", "requirements.txt") in ids(doc)
    assert not any(p.startswith(("ignored/", "vendor/")) for p in paths), paths
    assert "check-pins" in doc["meta"]["scan"]["checks"]
    # the same tree without the exclude: vendor/ is scanned (the exclude above did the work)
    (bad_repo / "mlwarden.toml").unlink()
    rc, out, _ = run(bad_repo, ["--format", "json"], monkeypatch, capsys)
    assert ("MLW301", "vendor/requirements.txt") in ids(json.loads(out))


def test_scan_writes_every_report_in_one_run(bad_repo: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "reports"  # created by scan
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    args = ["--sarif", str(out_dir / "r.sarif"), "--json", str(out_dir / "r.json"),
            "--gitlab-codequality", str(out_dir / "cq.json"), "--gitlab-sast", str(out_dir / "sast.json"),
            "--markdown", str(out_dir / "summary.md")]
    rc, out, _ = run(bad_repo, args, monkeypatch, capsys)
    assert rc == 1
    assert "MLW301 unpinned [high]" in out  # the main report: text on stdout
    report = json.loads((out_dir / "r.json").read_text())
    expected = sorted(ids(report))
    assert ("MLW301", "requirements.txt") in expected
    sarif = json.loads((out_dir / "r.sarif").read_text())
    sarif_validator().validate(sarif)
    assert sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
                  for r in sarif["runs"][0]["results"]) == expected
    cq = json.loads((out_dir / "cq.json").read_text())
    assert sorted((i["check_name"].split()[0], i["location"]["path"]) for i in cq) == expected
    sast = json.loads((out_dir / "sast.json").read_text())
    sast_validator().validate(sast)
    assert sast["scan"]["status"] == "success"
    assert sast["scan"]["start_time"] == "2026-01-01T00:00:00"
    assert sorted((v["identifiers"][0]["value"], v["location"]["file"]) for v in sast["vulnerabilities"]) \
        == expected
    unpinned = next(v for v in sast["vulnerabilities"] if v["identifiers"][0]["value"] == "MLW301")
    assert unpinned["severity"] == "High" and unpinned["location"]["start_line"] == 1
    summary = (out_dir / "summary.md").read_text()
    assert "| high | MLW301 unpinned | requirements.txt:1 |" in summary
    # byte-stable: a second run writes identical reports
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    run(bad_repo, args, monkeypatch, capsys)
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before


def test_fail_on_threshold_sets_the_exit_code(bad_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    rc_high, _, _ = run(bad_repo, ["--checks", "check-pins", "--fail-on", "high"], monkeypatch, capsys)
    rc_critical, out, _ = run(bad_repo, ["--checks", "check-pins", "--fail-on", "critical"],
                              monkeypatch, capsys)
    assert (rc_high, rc_critical) == (1, 0)
    assert "MLW301" in out  # still reported, just below the threshold


def test_checks_and_skip_select_what_runs(bad_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(bad_repo, ["--checks", "check-pins", "--format", "json"], monkeypatch, capsys)
    assert json.loads(out)["meta"]["scan"]["checks"] == ["check-pins"]
    _, out, _ = run(bad_repo, ["--skip", "check-pins", "--format", "json"], monkeypatch, capsys)
    doc = json.loads(out)
    assert "check-pins" not in doc["meta"]["scan"]["checks"]
    assert not [f for f in doc["findings"] if f["id"].startswith("MLW3")]
    _, out, _ = run(bad_repo, ["--checks", "check-pins,generate-sbom", "--format", "json"], monkeypatch, capsys)
    assert "check-pins" in json.loads(out)["meta"]["scan"]["checks"]
    assert set(json.loads(out)["meta"]["scan"]["checks"]) <= {"check-pins", "generate-sbom"}
    monkeypatch.setenv("MLWARDEN_CHECKS", "check-pins")  # the environment variable works too
    _rc, out, _ = run(bad_repo, ["--format", "json"], monkeypatch, capsys)
    assert json.loads(out)["meta"]["scan"]["checks"] == ["check-pins"]


def test_usage_errors_exit_2_with_one_line(bad_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for args, needle in ((["--checks", "check-everything"], "unknown check 'check-everything'"),
                         (["--format", "yaml"], "unknown format 'yaml'"),
                         (["no-such-dir"], "no-such-dir: no such file or directory"),
                         (["--fail-on", "severe"], "unknown severity")):
        rc, _out, err = run(bad_repo, args, monkeypatch, capsys)
        assert rc == 2, args
        assert needle in err and "Traceback" not in err
        assert err.count("\n") == 1


def test_github_actions_annotations_and_job_summary(bad_repo: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("previous step's summary\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    rc, out, _ = run(bad_repo, ["--checks", "check-pins"], monkeypatch, capsys)
    assert rc == 1
    assert "::error file=requirements.txt,line=1,col=1,title=MLW301 unpinned [high]::" in out
    lines = out.splitlines()
    # the text report runs with workflow commands stopped, then the annotations follow
    assert lines[0].startswith("::stop-commands::")
    token = lines[0].split("::")[2]
    resume = lines.index(f"::{token}::")
    annotations = [x for x in lines[resume + 1:] if x.startswith("::")]
    text_lines = [x for x in lines[1:resume] if x.startswith("requirements.txt:")]
    assert len(annotations) == len(text_lines) >= 1  # text report plus one annotation per finding
    # stop-commands, the text report and its summary line, resume, the annotations
    assert lines[resume - 1].startswith("mlwarden: ") and "in check-pins" in lines[resume - 1]
    assert len(lines) == 1 + len(text_lines) + 1 + 1 + len(annotations)
    text = summary.read_text()
    assert text.startswith("previous step's summary\n## mlwarden\n")  # appended, not replaced
    highs = sum("[high]" in x for x in text_lines)
    assert f"| high | {highs} |" in text and "Checks run: `check-pins`" in text
    # outside GitHub Actions: neither
    monkeypatch.delenv("GITHUB_ACTIONS")
    rc, out, _ = run(bad_repo, ["--checks", "check-pins"], monkeypatch, capsys)
    assert "::error" not in out
    assert summary.read_text() == text


def test_scanned_names_cannot_inject_workflow_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    evil_dir = "x\n::error file=README.md,title=pwned::fake\n::add-mask::secret"
    repo = make_repo(tmp_path / "r", {f"{evil_dir}/requirements.txt": "requests>=2\n"})
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    rc, out, _ = run(repo, ["--checks", "check-pins"], monkeypatch, capsys)
    assert rc == 1
    lines = out.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32
    resume = lines.index(f"::{token}::")
    injected = [i for i, x in enumerate(lines) if x.startswith(("::error file=README.md", "::add-mask::"))]
    # the text report escapes line breaks in names, and anything else is only printed while commands stop
    assert all(0 < i < resume for i in injected)
    assert any("x\\x0a::error file=README.md" in x for x in lines[1:resume])
    ours = lines[resume + 1:]
    assert ours and all(x.startswith("::error file=x%0A") or x.startswith("::notice file=x%0A") for x in ours)


def test_suppression_applies_once_for_every_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # (suppressing unpinned also hides the missing hash folded into it: numpy's own missing hash stays)
    repo = make_repo(tmp_path / "r", {"requirements.txt": "requests>=2  # mlwarden: ignore[unpinned]\n"
                                                          "numpy==1.26.4\n"})
    _rc, out, _ = run(repo, ["--checks", "check-pins", "--json", "r.json", "--gitlab-sast", "s.json"],
                     monkeypatch, capsys)
    assert "MLW301" not in out and "MLW302" in out
    assert [f["id"] for f in json.loads((repo / "r.json").read_text())["findings"]] == ["MLW302"]
    assert [v["identifiers"][0]["value"]
            for v in json.loads((repo / "s.json").read_text())["vulnerabilities"]] == ["MLW302"]


def test_audit_deps_without_data_is_a_note_not_an_error(bad_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = run(bad_repo, ["--format", "json"], monkeypatch, capsys)
    doc = json.loads(out)
    assert rc == 1  # the findings, not an error
    assert "audit-deps" in doc["meta"]["scan"]["skipped"]
    assert any(n.startswith("audit-deps: skipped: no vulnerability database") for n in doc["notes"])


def test_a_failing_check_is_reported_and_scan_exits_2_after_writing_reports(
        bad_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLWARDEN_OSV_DB", str(tmp_path / "missing-osv.zip"))  # configured but absent
    rc, _out, err = run(bad_repo, ["--json", "r.json", "--gitlab-sast", "s.json"], monkeypatch, capsys)
    assert rc == 2
    assert "mlwarden: audit-deps: error: " in err and "missing-osv.zip" in err
    doc = json.loads((bad_repo / "r.json").read_text())
    assert ("MLW301", "requirements.txt") in ids(doc)  # the other checks' results are all there
    assert "missing-osv.zip" in doc["meta"]["scan"]["errors"]["audit-deps"]
    sast = json.loads((bad_repo / "s.json").read_text())
    sast_validator().validate(sast)
    assert sast["scan"]["status"] == "failure"
    assert any(m["level"] == "warn" and m["value"].startswith("audit-deps:") for m in sast["scan"]["messages"])


def test_sbom_is_written_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"requirements.txt": GOOD_REQS}, commit=True)
    rc, out, _ = run(repo, ["--format", "json"], monkeypatch, capsys)
    assert rc == 0
    assert "generate-sbom" in json.loads(out)["meta"]["scan"]["skipped"]
    assert git(repo, "status", "--porcelain") == ""  # nothing written into the project
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    rc, out, _ = run(repo, ["--sbom", str(out_dir / "bom.cdx.json"), "--format", "json"], monkeypatch, capsys)
    assert rc == 0, out  # writing the requested SBOM is not a finding
    bom = json.loads((out_dir / "bom.cdx.json").read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert any(c.get("purl") == "pkg:pypi/requests@2.31.0" for c in bom["components"])
    assert git(repo, "status", "--porcelain") == ""


def test_committed_stale_sbom_is_reported_never_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    stale = '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}\n'
    repo = make_repo(tmp_path / "r", {"requirements.txt": GOOD_REQS, "sbom.cdx.json": stale}, commit=True)
    rc, out, _ = run(repo, ["--format", "json"], monkeypatch, capsys)
    assert rc == 1
    assert ("MLW701", "sbom.cdx.json") in ids(json.loads(out))
    assert (repo / "sbom.cdx.json").read_text() == stale


def _osv_db(folder: Path) -> Path:
    """An offline OSV database (a directory of records): flask < 2.2.5 is vulnerable."""
    folder.mkdir(parents=True)
    (folder / "PYSEC-2023-62.json").write_text(json.dumps({
        "id": "PYSEC-2023-62", "modified": "2023-06-01T00:00:00Z", "aliases": ["CVE-2023-30861"],
        "summary": "session cookie disclosure",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}],
    }))
    return folder


# one mistake per check, and where it must be reported
END_TO_END = {
    "check-pins": ("MLW301", "requirements.txt"),
    "check-typosquats": ("MLW402", "requirements.txt"),
    "scan-models": ("MLW501", "models/classifier.pkl"),
    "check-unsafe-loads": ("MLW101", "train.py"),
    "audit-deps": ("MLW601", "requirements.txt"),
    "generate-sbom": ("MLW704", "models/classifier.pkl"),  # the SBOM records the flagged model
    "check-pipeline": ("MLW831", "scripts/setup.sh"),
    "verify-artifacts": ("MLW902", "data/labels.bin"),  # not the bytes mlwarden.lock recorded
}


def test_every_check_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """One repository with one mistake per check; every check runs in one scan and reports its own."""
    repo = make_repo(tmp_path / "r", {
        "requirements.txt": f"requests>=2\nreqeusts==2.31.0 --hash=sha256:{HEX}\n"
                            f"flask==2.0.1 --hash=sha256:{HEX}\n",
        "models/classifier.pkl": EVIL_PICKLE,
        "train.py": "import torch\nmodel = torch.load('models/classifier.pt')\n",
        "scripts/setup.sh": "#!/bin/sh\ncurl -fsSL https://get.example.dev | sh\n",
        "data/labels.bin": "abc",
        "mlwarden.lock": 'version = 1\n[[artifact]]\npath = "data/labels.bin"\nkind = "file"\nformat = "data"\n'
                         f'source = "local"\nsize = 3\nsha256 = "{"0" * 64}"\n',
    })
    monkeypatch.setenv("MLWARDEN_OSV_DB", str(_osv_db(tmp_path / "osv")))
    rc, out, err = run(repo, ["--format", "json", "--sbom", str(tmp_path / "bom.json")], monkeypatch, capsys)
    doc = json.loads(out)
    found = set(ids(doc))
    assert doc["meta"]["scan"]["errors"] == {}, err
    assert sorted(END_TO_END) == sorted(REGISTRY), "one mistake per check"
    for name in END_TO_END:
        assert name in doc["meta"]["scan"]["checks"], (name, doc["meta"]["scan"])
        assert END_TO_END[name] in found, (name, sorted(found))
    assert rc == 1
    bom = json.loads((tmp_path / "bom.json").read_text())
    assert {c["name"] for c in bom["components"] if c["type"] == "library"} >= {"requests", "flask"}


def test_progress_shows_on_a_terminal_only(bad_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(scan, "PROGRESS_DELAY", 0.0)
    _rc, _, err = run(bad_repo, ["--checks", "check-pins"], monkeypatch, capsys)
    assert "\x1b[K" not in err  # not a terminal: no progress
    tty = Tty()
    monkeypatch.setattr("sys.stderr", tty)
    monkeypatch.chdir(bad_repo)
    scan.main(["--checks", "check-pins"])
    assert "\r\x1b[K[1/1] check-pins: running" in tty.getvalue()
    tty2 = Tty()
    monkeypatch.setattr("sys.stderr", tty2)
    scan.main(["--checks", "check-pins", "--no-progress"])
    assert "[1/1]" not in tty2.getvalue()


def test_markdown_escapes_scanned_content() -> None:
    from mlwarden.core.findings import Finding, Rule, Severity

    rule = Rule("MLW999", "demo", Severity.HIGH, "demo", "demo")
    hostile = Finding(rule, "a|b/<img src=x onerror=alert(1)>.txt", "see [click](http://evil) *now* `x`",
                      line=3, hint="pin <it>")
    text = md.render(Report(findings=[hostile], checks=["demo"]))
    row = next(line for line in text.splitlines() if line.startswith("| high | MLW999"))
    assert "<img" not in text and "&lt;img src=x onerror=alert\\(1\\)&gt;" not in text
    assert "&lt;img" in row and "a\\|b/" in row and "\\[click\\]" in row and "\\*now\\*" in row
    assert row.count(" | ") == 3  # the hostile pipe did not add a column


def test_new_formats_work_for_a_single_check(bad_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from mlwarden_hooks.check_pins import main as check_pins

    monkeypatch.chdir(bad_repo)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert check_pins(["--format", "gitlab-sast", "requirements.txt"]) == 1
    sast = json.loads(capsys.readouterr().out)
    sast_validator().validate(sast)
    assert sast["scan"]["start_time"] == "1970-01-01T00:00:00"
    assert "MLW301" in {v["identifiers"][0]["value"] for v in sast["vulnerabilities"]}
    assert check_pins(["--format", "markdown", "requirements.txt"]) == 1
    text = capsys.readouterr().out
    assert text.startswith("## mlwarden\n") and "| high | MLW301 unpinned | requirements.txt:1 |" in text


def test_file_names_that_are_not_utf8_do_not_break_the_reports(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {})
    folder = os.fsencode(repo) + b"/bad\xffname"
    os.makedirs(folder)
    with open(folder + b"/requirements.txt", "wb") as fh:
        fh.write(b"requests>=2\n")
    summary = tmp_path / "summary.md"
    # a separate process, as in CI: stdout in a C.UTF-8 locale passes undecodable names through
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
           "PYTHONIOENCODING": "utf-8:surrogateescape"}
    proc = subprocess.run([sys.executable, "-m", "mlwarden", "scan", "--checks", "check-pins", "--json", "r.json",
                           "--sarif", "r.sarif", "--gitlab-sast", "s.json", "--markdown", "m.md",
                           "--gitlab-codequality", "cq.json"],
                          cwd=repo, env=env, capture_output=True, check=False)
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr, proc.stderr
    doc = json.loads((repo / "r.json").read_text(encoding="utf-8"))
    assert ("MLW301", "bad\ufffdname/requirements.txt") in ids(doc)
    sast_validator().validate(json.loads((repo / "s.json").read_text(encoding="utf-8")))
    sarif_validator().validate(json.loads((repo / "r.sarif").read_text(encoding="utf-8")))
    assert "bad\ufffdname/requirements.txt:1" in summary.read_text(encoding="utf-8")
    sarif = json.loads((repo / "r.sarif").read_text(encoding="utf-8"))
    assert "bad%FFname/requirements.txt" in {  # the raw byte, percent-encoded
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert json.loads((repo / "cq.json").read_text(encoding="utf-8"))
