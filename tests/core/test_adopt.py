"""Adopting mlwarden in an existing repository: baselines (fingerprint stability), --new-since on a git
history, --select/--ignore/--min-severity, suppression hygiene, `mlwarden rules` on a closed pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlwarden.cli import main
from mlwarden.core import baseline
from mlwarden.core.changes import parse_diff
from tests.ship.helpers import git, make_repo

REQS = "requests>=2\nnumpy\ntorch==2.2.0\n"
CODE = "import torch\n\n\ndef load(p):\n    return torch.load(p)\n"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("MLWARDEN_"):
            monkeypatch.delenv(key, raising=False)


def run(cwd: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    rc = main([*argv, "--format", "json"])
    cap = capsys.readouterr()
    return rc, json.loads(cap.out) if cap.out.strip() else {}, cap.err


def keys(doc: dict) -> list[tuple[str, str, int | None]]:  # type: ignore[type-arg]
    return [(f["slug"], f["path"], f["line"]) for f in doc.get("findings", [])]


def make_baseline(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                  *extra: str) -> Path:
    monkeypatch.chdir(repo)
    assert main(["baseline", "--checks", "check-pins,check-unsafe-loads", *extra]) == 0
    assert "recorded" in capsys.readouterr().out
    return repo / baseline.DEFAULT_FILE


# -- baseline ------------------------------------------------------------------------------------------

def test_baseline_is_byte_stable_and_hides_recorded_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"requirements.txt": REQS, "app/model.py": CODE}, commit=True)
    file = make_baseline(repo, monkeypatch, capsys)
    first = file.read_bytes()
    doc = json.loads(first)
    assert doc["count"] == 4 and {e["slug"] for e in doc["findings"]} == {"unpinned", "missing-hash",
                                                                        "torch-load-unsafe"}
    assert b"requests" not in first  # fingerprints, not content: nothing a scanner would flag again
    make_baseline(repo, monkeypatch, capsys)
    assert file.read_bytes() == first  # byte-stable
    rc, out, _ = run(repo, ["scan", "--checks", "check-pins,check-unsafe-loads", "--baseline", file.name],
                     monkeypatch, capsys)
    assert rc == 0 and out["findings"] == []
    assert out["meta"]["baseline"]["baselined"] == 4 and out["meta"]["baseline"]["fixed"] == 0
    # text output says how many were baselined
    monkeypatch.chdir(repo)
    assert main(["check-pins", "--baseline", file.name]) == 0
    assert capsys.readouterr().out == "mlwarden: no findings; 3 baselined\n"


def test_fingerprints_survive_moves_and_reformatting_not_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"requirements.txt": REQS, "app/model.py": CODE}, commit=True)
    file = make_baseline(repo, monkeypatch, capsys)
    argv = ["scan", "--checks", "check-pins,check-unsafe-loads", "--baseline", file.name]
    # moved lines, inserted lines, reformatted (spaces, quotes, a trailing comment)
    (repo / "requirements.txt").write_text("# deps\n\ntorch==2.2.0\nnumpy   # the array library\n"
                                           "requests >= 2\n")
    (repo / "app/model.py").write_text("import torch\n\nX = 1\n\n\ndef load(p):\n    return torch.load( p )\n")
    rc, out, _ = run(repo, argv, monkeypatch, capsys)
    assert rc == 0 and keys(out) == [], keys(out)
    # changing what a line says resurfaces it
    (repo / "requirements.txt").write_text("torch==2.2.0\nnumpy>=1.20\nrequests >= 2\n")
    (repo / "app/model.py").write_text("import torch\n\n\ndef load(p):\n    return torch.load(p, mmap=True)\n")
    rc, out, _ = run(repo, argv, monkeypatch, capsys)
    assert rc == 1
    assert sorted(keys(out)) == [("torch-load-unsafe", "app/model.py", 5), ("unpinned", "requirements.txt", 2)]
    # ... and the old ones are reported as fixed, with the list in the JSON
    fixed = out["meta"]["baseline"]
    assert fixed["fixed"] == 2 and {e["slug"] for e in fixed["fixed-findings"]} == {
        "unpinned", "torch-load-unsafe"}


def test_identical_lines_count_by_ordinal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    body = "import torch\n\n\ndef a(p):\n    return torch.load(p)\n\n\ndef b(p):\n    return torch.load(p)\n"
    repo = make_repo(tmp_path / "r", {"m.py": body}, commit=True)
    file = make_baseline(repo, monkeypatch, capsys)
    (repo / "m.py").write_text(body + "\n\ndef c(p):\n    return torch.load(p)\n")
    rc, out, _ = run(repo, ["check-unsafe-loads", "--baseline", file.name], monkeypatch, capsys)
    assert rc == 1 and len(out["findings"]) == 1  # a third identical call is new


def test_renamed_file_keeps_its_baseline_but_a_copy_does_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"app/model.py": CODE}, commit=True)
    file = make_baseline(repo, monkeypatch, capsys)
    (repo / "app/copy.py").write_text(CODE)
    rc, out, _ = run(repo, ["check-unsafe-loads", "--baseline", file.name], monkeypatch, capsys)
    assert rc == 1 and keys(out) == [("torch-load-unsafe", "app/copy.py", 5)]  # the original is still there
    (repo / "app/copy.py").unlink()
    git(repo, "mv", "app/model.py", "app/loading.py")
    rc, out, _ = run(repo, ["check-unsafe-loads", "--baseline", file.name], monkeypatch, capsys)
    assert rc == 0 and out["findings"] == [] and out["meta"]["baseline"]["fixed"] == 0


def test_baseline_from_config_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"requirements.txt": REQS}, commit=True)
    make_baseline(repo, monkeypatch, capsys, "--output", "ci/base.json")
    assert (repo / "ci/base.json").is_file()
    (repo / "mlwarden.toml").write_text('baseline = "ci/base.json"\n')
    (repo / "sub").mkdir()
    (repo / "sub/requirements.txt").write_text("flask\n")
    rc, out, _ = run(repo / "sub", ["check-pins", "requirements.txt", "../requirements.txt"], monkeypatch, capsys)
    assert rc == 1 and sorted(keys(out)) == [("unpinned", "requirements.txt", 1)]
    assert out["meta"]["baseline"]["baselined"] == 3
    (repo / "bad.json").write_text("[1]")
    rc, _, err = run(repo, ["check-pins", "--baseline", "bad.json"], monkeypatch, capsys)
    assert rc == 2 and "not a mlwarden baseline" in err
    rc, _, err = run(repo, ["check-pins", "--baseline", "missing.json"], monkeypatch, capsys)
    assert rc == 2 and "mlwarden baseline" in err and "not found" in err


def test_hook_on_one_file_does_not_call_other_files_fixed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"requirements.txt": REQS, "app/model.py": CODE}, commit=True)
    file = make_baseline(repo, monkeypatch, capsys)
    rc, out, _ = run(repo, ["check-pins", "requirements.txt", "--baseline", file.name], monkeypatch, capsys)
    assert rc == 0 and out["meta"]["baseline"]["fixed"] == 0


# -- --new-since ---------------------------------------------------------------------------------------

def test_new_since_reports_only_changed_lines_and_new_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"requirements.txt": REQS, "app/model.py": CODE}, commit=True)
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "requirements.txt").write_text("# comment\n" + REQS + "pandas\n")
    make_repo(repo, {"app/new.py": CODE}, commit=True)
    (repo / "app/untracked.py").write_text(CODE)
    rc, out, _ = run(repo, ["scan", "--checks", "check-pins,check-unsafe-loads", "--new-since", "main"],
                     monkeypatch, capsys)
    assert rc == 1
    assert sorted(keys(out)) == [("torch-load-unsafe", "app/new.py", 5),
                                 ("torch-load-unsafe", "app/untracked.py", 5),
                                 ("unpinned", "requirements.txt", 5)]
    assert out["meta"]["new-since"]["merge-base"] == git(repo, "rev-parse", "main").strip()
    assert out["meta"]["new-since"]["unchanged"] == 4
    rc, _, err = run(repo, ["check-pins", "--new-since", "no-such-branch"], monkeypatch, capsys)
    assert rc == 2 and "--new-since" in err


def test_parse_diff_ranges() -> None:
    diff = (b"diff --git a/x.txt b/x.txt\n--- a/x.txt\n+++ b/x.txt\n@@ -1,0 +2,3 @@\n+a\n+b\n+c\n"
            b"@@ -9 +12 @@\n-x\n+y\n@@ -20,2 +22,0 @@\n-gone\n-gone\n"
            b"diff --git a/old.txt b/old.txt\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n")
    assert parse_diff(diff) == {"x.txt": [(2, 4), (12, 12)]}


# -- filters -------------------------------------------------------------------------------------------

def test_select_ignore_min_severity_shape_report_and_exit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"requirements.txt": REQS}, commit=True)
    rc, out, _ = run(repo, ["check-pins", "--select", "MLW30", "--ignore", "missing-hash"], monkeypatch, capsys)
    assert rc == 1 and {k[0] for k in keys(out)} == {"unpinned"}
    rc, out, _ = run(repo, ["check-pins", "--select", "missing-hash"], monkeypatch, capsys)
    assert rc == 1 and {k[0] for k in keys(out)} == {"missing-hash"}
    rc, out, _ = run(repo, ["check-pins", "--min-severity", "medium", "--fail-on", "low"], monkeypatch, capsys)
    assert rc == 1 and {k[0] for k in keys(out)} == {"unpinned"}
    rc, out, _ = run(repo, ["check-pins", "--ignore", "MLW3"], monkeypatch, capsys)
    assert rc == 0 and out["findings"] == []  # hidden findings do not fail the run
    monkeypatch.setenv("MLWARDEN_SELECT", "unpinned")
    rc, out, _ = run(repo, ["check-pins"], monkeypatch, capsys)
    assert {k[0] for k in keys(out)} == {"unpinned"}
    monkeypatch.delenv("MLWARDEN_SELECT")
    (repo / "mlwarden.toml").write_text('ignore = ["unpinned"]\nmin-severity = "low"\n')
    rc, out, _ = run(repo, ["check-pins"], monkeypatch, capsys)
    assert {k[0] for k in keys(out)} == {"missing-hash"}
    rc, _, err = run(repo, ["check-pins", "--select", "unpined"], monkeypatch, capsys)
    assert rc == 2 and "unknown rule 'unpined' (did you mean 'unpinned'?)" in err


# -- suppression hygiene -------------------------------------------------------------------------------

def test_unknown_and_unused_suppressions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {
        "requirements.txt": "requests==2.31.0  # mlwarden: ignore[missing-hash]\n"
                            "numpy==1.26.0 \\\n    --hash=sha256:" + "a" * 64 + "  # mlwarden: ignore[missing-hash]\n"
                            "torch==2.2.0  # mlwarden: ignore[mising-hash]\n",
        "app/x.py": 'S = "# mlwarden: ignore[unpinned] in a string is not a comment"\n',
    }, commit=True)
    rc, out, _ = run(repo, ["scan", "--checks", "check-pins"], monkeypatch, capsys)
    found = keys(out)
    assert ("unused-suppression", "requirements.txt", 3) in found  # hashed: nothing to hide
    assert ("unknown-rule-in-suppression", "requirements.txt", 4) in found
    assert ("missing-hash", "requirements.txt", 4) in found  # the typo hid nothing
    assert not any(k[1] == "app/x.py" for k in found)
    msg = next(f["message"] for f in out["findings"] if f["slug"] == "unknown-rule-in-suppression")
    assert "did you mean 'missing-hash'?" in msg
    assert ("unused-suppression", "requirements.txt", 1) not in found
    # a rule of a check that did not run is not called unused
    (repo / "requirements.txt").write_text("requests==2.31.0 --hash=sha256:" + "a" * 64 +
                                           "  # mlwarden: ignore[typosquat]\n")
    rc, out, _ = run(repo, ["check-pins"], monkeypatch, capsys)
    assert rc == 0 and out["findings"] == []
    # config: unknown rule is an error with a suggestion, unused entry is reported
    (repo / "mlwarden.toml").write_text('[[suppress]]\nrule = "unpined"\nreason = "x"\n')
    rc, _, err = run(repo, ["check-pins"], monkeypatch, capsys)
    assert rc == 2 and "did you mean 'unpinned'?" in err
    (repo / "mlwarden.toml").write_text('[[suppress]]\nrule = "unpinned"\nreason = "legacy"\n')
    rc, out, _ = run(repo, ["check-pins"], monkeypatch, capsys)
    assert keys(out) == [("unused-suppression", "mlwarden.toml", None)]
    (repo / "mlwarden.toml").write_text('fail_on = "high"\n')
    rc, _, err = run(repo, ["check-pins"], monkeypatch, capsys)
    assert rc == 2 and "unknown key 'fail_on' (did you mean 'fail-on'?)" in err


def test_text_summary_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {"requirements.txt": REQS.replace("numpy", "numpy  # mlwarden: ignore"),
                                      "m.py": CODE}, commit=True)
    monkeypatch.chdir(repo)
    assert main(["scan", "--checks", "check-pins,check-unsafe-loads"]) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == ("mlwarden: 3 findings (2 high, 1 low) in check-pins 2, check-unsafe-loads 1; "
                    "1 suppressed")


# -- mlwarden rules ------------------------------------------------------------------------------------

def test_rules_subcommand_and_closed_pipe() -> None:
    exe = [sys.executable, "-m", "mlwarden", "rules"]
    helped = subprocess.run([*exe, "--help"], capture_output=True, text=True, check=False)
    assert helped.returncode == 0 and "usage: mlwarden rules" in helped.stdout
    one = subprocess.run([*exe, "MLW301"], capture_output=True, text=True, check=False)
    assert one.returncode == 0 and one.stdout.startswith("MLW301  unpinned")
    # the reader is gone before mlwarden writes: no traceback, exit 0
    r, w = os.pipe()
    os.close(r)
    proc = subprocess.run([*exe, "--format", "json"], stdout=w, stderr=subprocess.PIPE, check=False)
    os.close(w)
    assert proc.returncode == 0 and proc.stderr == b""
    head = subprocess.run(f"{' '.join(exe)} | head -2", shell=True, capture_output=True, text=True,
                          check=False)
    assert head.stderr == "" and len(head.stdout.splitlines()) == 2
