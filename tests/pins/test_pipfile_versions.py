"""Pipfile / Pipfile.lock version semantics seen in real repositories: a lock entry with "version": "*",
one package in both default and develop, a Pipfile's bare "1.7.4"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlwarden.sources.pipfile import parse
from tests.pins.manifest_helpers import h, run


def lock(default: dict[str, object], develop: dict[str, object]) -> str:
    return json.dumps({"_meta": {"hash": {"sha256": h("m")}, "pipfile-spec": 6,
                                 "sources": [{"name": "pypi", "url": "https://pypi.org/simple",
                                              "verify_ssl": True}]},
                       "default": default, "develop": develop}, indent=4) + "\n"


def test_lock_version_star_is_unpinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _rc, found = run(tmp_path, monkeypatch, capsys, {"Pipfile.lock": lock(
        {"numpy": {"version": "*"}, "torch": {"version": "==2.6.0", "hashes": [f"sha256:{h('t')}"]}}, {})})
    unpinned = [(f["data"]["name"], f["severity"]) for f in found if f["slug"] == "unpinned"]
    assert unpinned == [("numpy", "high")]


def test_same_package_in_default_and_develop_is_no_duplicate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    entry = {"version": "==2.31.0", "hashes": [f"sha256:{h('r')}"]}
    _rc, found = run(tmp_path, monkeypatch, capsys, {"Pipfile.lock": lock(
        {"requests": entry, "urllib3": {"version": "==2.2.1", "hashes": [f"sha256:{h('u')}"]}},
        {"requests": entry})})
    assert [f for f in found if f["slug"] == "duplicate-name"] == []


def test_pipfile_bare_version_is_an_exact_pin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    text = '[packages]\nflask = "1.7.4"\nnumpy = "1.26.*"\nscipy = "*"\n'
    m = parse({"packages": {"flask": "1.7.4", "numpy": "1.26.*", "scipy": "*"}}, text, "Pipfile")
    assert [(d.normalized, d.specifier, d.version) for d in m.dependencies] == [
        ("flask", "==1.7.4", "1.7.4"), ("numpy", "==1.26.*", None), ("scipy", "", None)]
    _rc, found = run(tmp_path, monkeypatch, capsys, {"Pipfile": text})
    assert sorted(f["data"]["name"] for f in found if f["slug"] == "unpinned") == ["numpy", "scipy"]
