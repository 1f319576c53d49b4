from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test: its own cache folder, no MLWARDEN_* settings from the environment, cwd = tmp_path."""
    for key in list(os.environ):
        if key.startswith("MLWARDEN_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    from mlwarden_hooks.audit_deps import main

    def _run(*argv: str) -> tuple[int, str, str]:
        rc = main(list(argv))
        out, err = capsys.readouterr()
        return rc, out, err

    return _run


@pytest.fixture
def run_json(run: Callable[..., tuple[int, str, str]]) -> Callable[..., tuple[int, dict[str, Any], str]]:
    def _run(*argv: str) -> tuple[int, dict[str, Any], str]:
        rc, out, err = run(*argv, "--format", "json")
        return rc, (json.loads(out) if out.strip() else {}), err

    return _run
