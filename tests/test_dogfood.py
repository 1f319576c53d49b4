"""The project passes its own hooks: its pinned requirements, its pyproject and its own source code."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_own_requirements_and_pyproject_pass_check_pins(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from mlwarden_hooks.check_pins import main

    monkeypatch.chdir(ROOT)
    rc = main(["requirements/dev.txt", "action/requirements.txt", "pyproject.toml", "--fail-on", "low"])
    out = capsys.readouterr().out
    assert rc == 0, out
    # the hashed files really are hashed and pinned: no finding at all on them
    assert "requirements/dev.txt" not in out and "action/requirements.txt" not in out


def test_own_sources_pass_check_unsafe_loads_and_typosquats(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from mlwarden_hooks.check_typosquats import main as typosquats
    from mlwarden_hooks.check_unsafe_loads import main as unsafe_loads

    monkeypatch.chdir(ROOT)
    assert unsafe_loads(["src", "hooks", "action", "--fail-on", "low"]) == 0, capsys.readouterr().out
    assert typosquats(["requirements/dev.txt", "action/requirements.txt", "pyproject.toml"]) == 0, \
        capsys.readouterr().out
