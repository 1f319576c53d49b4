from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ship.helpers import build_wheelhouse, snapshot_tree


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No MLWARDEN_*/GitHub/GitLab settings leak in from the machine; the cache folder is empty."""
    for key in list(os.environ):
        if key.startswith(("MLWARDEN_", "GITHUB_", "GITLAB_", "CI_")) or key in ("SOURCE_DATE_EPOCH", "CI"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of mlwarden's build backend and runtime dependencies, repacked from the installed files."""
    out = tmp_path_factory.mktemp("wheelhouse")
    built = build_wheelhouse(out)
    assert {w.name.split("-")[0].lower() for w in built} >= {"setuptools", "packaging", "pyyaml",
                                                              "pip_requirements_parser"}
    return out


@pytest.fixture(scope="session")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree (uncommitted work included) as a git repository at one commit."""
    dest = tmp_path_factory.mktemp("snapshot") / "mlwarden"
    sha = snapshot_tree(dest)
    return dest, sha
