"""check-pipeline's inventory: CI actions and container images become SBOM components with purls."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.sbom.helpers import assert_valid_cdx

H64 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
C40 = "3df4d6d6a1c1b5c2a4f7e8d9c0b1a2f3e4d5c6b7"


def test_sbom_lists_actions_and_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlwarden_hooks.generate_sbom import main

    wf = tmp_path / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(
        textwrap.dedent(f"""\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            container: ghcr.io/org/trainer:1.4@sha256:{H64}
            steps:
              - uses: actions/checkout@{C40} # v4
              - uses: github/codeql-action/init@v3
              - uses: ./local-action
        """),
        encoding="utf-8",
    )
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim AS base\nFROM base\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("requests==2.31.0\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "bom.cdx.json"
    main(["--output", str(out), "."])
    capsys.readouterr()
    doc = assert_valid_cdx(out.read_text(encoding="utf-8"))
    purls = sorted(c["purl"] for c in doc["components"] if c["type"] in ("application", "container"))
    assert purls == [
        f"pkg:docker/org/trainer@sha256:{H64}?repository_url=ghcr.io&tag=1.4",
        "pkg:docker/python@3.12-slim",
        f"pkg:githubactions/actions/checkout@{C40}",
        "pkg:githubactions/github/codeql-action@v3#init",
    ]
    trainer = next(c for c in doc["components"] if c.get("purl", "").startswith("pkg:docker/org/trainer"))
    assert trainer["hashes"] == [{"alg": "SHA-256", "content": H64}]
