"""The pre-commit manifest entry of audit-deps: right script, right files, and it fails clearly without data."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def entry(hook_id):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return next(h for h in hooks if h["id"] == hook_id)


def test_manifest_entry():
    h = entry("audit-deps")
    assert h["entry"] == "audit-deps" and h["language"] == "python" and h["pass_filenames"] is True
    assert h["files"] == entry("check-pins")["files"]  # the manifests check-pins reads
    assert h["stages"] == ["pre-commit", "pre-push", "manual"] and h["minimum_pre_commit_version"] == "3.2.0"
    files = re.compile(h["files"])
    for path in ("requirements.txt", "reqs/requirements-dev.txt", "requirements/base.in", "uv.lock",
                 "poetry.lock", "Pipfile.lock", "pyproject.toml", "pylock.toml", "environment.yml"):
        assert files.search(path), path
    for path in ("setup.py", "README.md", "model.pt"):
        assert not files.search(path), path


def test_hook_without_database_exits_2(tmp_path, run):
    (tmp_path / "requirements.txt").write_text("torch==2.1.0\n", encoding="utf-8")
    rc, out, err = run("requirements.txt")
    assert rc == 2 and out == "" and "run `mlwarden db update` once" in err
