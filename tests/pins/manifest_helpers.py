"""Shared helpers for the check-pins tests of pyproject and lock-file formats: write generated files,
run the hook's main() with JSON output, and read one manifest directly."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from mlwarden_hooks.check_pins import main

from mlwarden.checks.pins.manifests import check_manifest
from mlwarden.core.findings import Finding
from mlwarden.sources import Manifest, read

COMMIT = "3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39"
PYTORCH = "https://download.pytorch.org/whl/cu121"


def h(seed: str) -> str:
    """A deterministic sha256 hex digest."""
    return hashlib.sha256(seed.encode()).hexdigest()


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())


def run(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        files: dict[str, str | bytes], *args: str) -> tuple[int, list[dict[str, Any]]]:
    """Write ``files`` under ``root`` and run ``check-pins ARGS --format json`` there."""
    write(root, files)
    monkeypatch.chdir(root)
    capsys.readouterr()
    rc = main([*args, "--format", "json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    data = json.loads(out.out)
    return rc, data["findings"]


def load(root: Path, name: str, text: str | bytes) -> Manifest:
    write(root, {name: text})
    return read(root / name, name)


def check(m: Manifest, **options: Any) -> list[Finding]:
    return sorted(check_manifest(m, options), key=Finding.sort_key)


def triples(findings: list[Finding], slug: str | None = None) -> list[tuple[str, int | None, str]]:
    return [(f.slug, f.line, f.level.label) for f in findings if slug is None or f.slug == slug]


def json_triples(findings: list[dict[str, Any]], slug: str | None = None) -> list[tuple[str, int | None, str]]:
    return [(f["slug"], f["line"], f["severity"]) for f in findings if slug is None or f["slug"] == slug]


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line containing ``needle`` (tests assert lines without hard-coding)."""
    seen = 0
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(f"{needle!r} not in text")
