"""Fixtures for the HTML report: generated projects, their scan results, and a real headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MLWARDEN_CHROMIUM", "/usr/bin/chromium")
HOSTILE_MODEL = '<img src=x onerror="window.__pwned=1">.pkl'
HOSTILE_DIR = "<script>window.__pwned=2<"  # a folder name cannot hold "/": the tag stays open on purpose


def scan(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLWARDEN_", "GITHUB_", "GITLAB_"))}
    return subprocess.run([sys.executable, "-m", "mlwarden", "scan",
                           *args], cwd=project, capture_output=True, text=True, env=env, check=False,
                          timeout=300)


def example_project(dest: Path) -> Path:
    project = dest / "ml-project"
    shutil.copytree(REPO / "examples" / "ml-project", project)
    return project


def hostile_project(dest: Path) -> Path:
    """The example project plus names and contents that would be markup if they were not escaped."""
    project = example_project(dest)
    pickled = (project / "models" / "checkpoint.pt").read_bytes()  # flagged critical
    (project / "models" / HOSTILE_MODEL).write_bytes(pickled)
    odd = project / HOSTILE_DIR
    odd.mkdir()
    (odd / "requirements.txt").write_text('requests\n<script>alert("x")</script>\n'
                                          "torch\u202e==2.1\n", encoding="utf-8")
    (project / "src" / "load_odd.py").write_text(
        "import torch\n"
        f"model = torch.load('models/{HOSTILE_MODEL}')\n"
        "from transformers import AutoModel\n"
        "m = AutoModel.from_pretrained('evil-org/<b>bold</b>')\n", encoding="utf-8")
    return project


def large_project(dest: Path, files: int = 150, lines: int = 20) -> Path:
    """Many near-identical requirement files with many unpinned lines: thousands of findings."""
    project = dest / "large"
    for i in range(files):
        folder = project / f"envs/platform{i:03d}"
        folder.mkdir(parents=True)
        reqs = [f"package-{j:03d}>=1.{j}" if j % 2 else f"package-{j:03d}" for j in range(lines)]
        (folder / "requirements.txt").write_text("\n".join(reqs) + "\n", encoding="utf-8")
    src = project / "src"
    src.mkdir()
    for i in range(40):
        (src / f"train_{i:02d}.py").write_text(
            "import torch\nfrom transformers import AutoModel\n"
            f"state = torch.load(f'ckpt_{i}.pt')\n"
            f"model = AutoModel.from_pretrained('org{i}/model-{i}')\n", encoding="utf-8")
    return project


def load_json(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def artifacts_dir(tmp_path: Path) -> Path:
    """Where screenshots are kept: $MLWARDEN_TEST_ARTIFACTS (CI uploads it) or the test's temp folder."""
    out = Path(os.environ.get("MLWARDEN_TEST_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A real headless Chromium (Debian's package) driven by Playwright; no browser download."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed (python -m pip install -e '.[test]')"
    if missing is None and not Path(CHROMIUM).exists():
        missing = f"{CHROMIUM} not found (apt-get install chromium)"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {missing}")
        pytest.skip(missing)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            yield b
        finally:
            b.close()
