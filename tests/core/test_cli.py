"""The shared run loop: exit codes 0/1/2, one-line errors, no traceback, --output, --fail-on, env options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlwarden.cli import guarded, main
from mlwarden.core.errors import InputError


def test_guarded_turns_every_failure_into_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def boom() -> int:
        raise InputError("truncated", path="x.pt")

    def bug() -> int:
        raise ZeroDivisionError("division by zero")

    def io() -> int:
        raise PermissionError(13, "Permission denied", "secret.txt")

    assert guarded(boom) == 2 and capsys.readouterr().err == "mlwarden: error: x.pt: truncated\n"
    assert guarded(bug) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError" in err and "Traceback" not in err
    assert guarded(io) == 2 and capsys.readouterr().err == "mlwarden: error: secret.txt: Permission denied\n"


def run(tmp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "mlwarden", *args], cwd=tmp, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)


def test_exit_codes_and_fail_on(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("torch==2.6.0\nnumpy>=1.26\n")
    p = run(tmp_path, "check-pins", "requirements.txt")
    assert p.returncode == 1 and "requirements.txt:2:1: MLW301 unpinned [high]" in p.stdout
    assert run(tmp_path, "check-pins", "requirements.txt", "--fail-on", "critical").returncode == 0
    assert run(tmp_path, "check-pins", "requirements.txt", env={"MLWARDEN_FAIL_ON": "critical"}).returncode == 0
    bad = run(tmp_path, "check-pins", "requirements.txt", "--fail-on", "severe")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "severe" in bad.stderr
    missing = run(tmp_path, "check-pins", "nope.txt")
    assert missing.returncode == 2 and missing.stderr == "mlwarden: error: nope.txt: no such file or directory\n"
    assert run(tmp_path, "no-such-check").returncode == 2
    (tmp_path / "mlwarden.toml").write_text("[check-pins]\nno-such-option = 1\n")
    cfg = run(tmp_path, "check-pins", "requirements.txt")
    assert cfg.returncode == 2 and "check-pins.no-such-option" in cfg.stderr and "Traceback" not in cfg.stderr


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests\n")
    p = run(tmp_path, "check-pins", "requirements.txt", "--format", "json", "-o", "report.json")
    assert p.returncode == 1 and p.stdout == ""
    doc = json.loads((tmp_path / "report.json").read_text())
    # one finding per problem: the missing hash of an unpinned line is folded into the unpinned finding
    assert [f["slug"] for f in doc["findings"]] == ["unpinned"]
    assert [a["slug"] for a in doc["findings"][0]["data"]["also"]] == ["missing-hash"]


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0 and capsys.readouterr().out.startswith("mlwarden ")
    assert main([]) == 2
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "MLW001" in out and "MLW301" in out and "MLW501" in out and "MLW601" in out
