"""check-pins by file role (core.roles) and one finding per problem, on the shapes real ML repositories
have: a library whose setup.py reads requirements/runtime.txt, dev/docs requirement files, deliberate
minor pins (`==2.1.*`), hashed files where one line is unpinned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pins.manifest_helpers import h, run


def rows(found: list[dict[str, Any]], slug: str = "unpinned") -> list[tuple[str, int, str, str]]:
    return sorted((f["path"], f["line"], f["severity"], f["role"]) for f in found if f["slug"] == slug)


def test_library_declarations_are_info_without_pin_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    rc, found = run(tmp_path, monkeypatch, capsys, {
        "setup.py": "from setuptools import setup\n"
                    "setup(name='det', install_requires=parse_requirements('requirements/runtime.txt'))\n",
        "requirements/runtime.txt": "numpy\ntorch>=1.8\n",
        "requirements/docs.txt": "sphinx\n",
        "requirements.txt": "-r requirements/runtime.txt\nopencv-python\n",
    })
    assert rows(found) == [
        ("requirements.txt", 2, "high", "install"),
        ("requirements/docs.txt", 1, "medium", "dev"),
        ("requirements/runtime.txt", 1, "info", "library"),
        ("requirements/runtime.txt", 2, "info", "library"),
    ]
    for f in found:
        if f["role"] == "library":
            assert "pin it" not in f["hint"], f
        if f["path"] == "requirements.txt":
            assert f["hint"].startswith("pin it")
    assert rc == 1


def test_deliberate_minor_pin_is_medium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    _rc, found = run(tmp_path, monkeypatch, capsys, {
        "requirements.txt": "gradio==4.44.*\ntransformers~=4.40.0\ntorch==2.*\nnumpy\nscipy~=1.11\n"})
    assert [(f["line"], f["severity"]) for f in found if f["slug"] == "unpinned"] == [
        (1, "medium"), (2, "medium"), (3, "high"), (4, "high"), (5, "high")]
    first = next(f for f in found if f["line"] == 1 and f["slug"] == "unpinned")
    assert "4.44.* series" in first["message"]


def test_unpinned_line_is_not_also_missing_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _rc, found = run(tmp_path, monkeypatch, capsys, {
        "requirements.txt": f"numpy==1.26.4 --hash=sha256:{h('n')}\nrequests>=2\nscipy==1.11.0\n"})
    by_line: dict[int, list[str]] = {}
    for f in found:
        by_line.setdefault(f["line"], []).append(f["slug"])
    assert by_line == {2: ["unpinned"], 3: ["missing-hash"]}
    merged = next(f for f in found if f["line"] == 2)
    assert merged["severity"] == "high"
    assert "no --hash" in merged["message"]  # both facts kept
    assert [a["slug"] for a in merged["data"]["also"]] == ["missing-hash"]
