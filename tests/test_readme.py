"""The README is for a newcomer: short, current, its commands and snippets the ones the tests run, its
generated reference index and docs/reference.md current, every link to a file that exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from mlwarden import __version__

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_readme_reference_is_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_readme.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_readme_is_short() -> None:
    assert len(README.encode("utf-8")) < 25 * 1024


def test_readme_quick_start_commands() -> None:
    assert "python -m pip install . && mlwarden scan examples/ml-project" in README
    assert "python -m pip install -e '.[test]' && python -m pytest" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pip install -q -e '.[test]' && python -m pytest" in ci


def test_snippets_name_the_release_tag_of_this_version() -> None:
    tag = f"v{__version__}"
    [pre_commit] = [yaml.safe_load(b) for b in blocks("yaml") if b.startswith("# .pre-commit-config.yaml")]
    assert pre_commit["repos"][0]["rev"] == tag
    hooks = {h["id"] for h in pre_commit["repos"][0]["hooks"]}
    manifest = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks == manifest  # every hook, and only real ones
    [action] = [yaml.safe_load(b) for b in blocks("yaml") if b.startswith("# .github/workflows/")]
    uses = [s["uses"] for s in action["jobs"]["mlwarden"]["steps"] if s.get("uses", "").startswith("mlwarden/")]
    assert uses == [f"mlwarden/mlwarden@{tag}"]
    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    for step in action["jobs"]["mlwarden"]["steps"]:
        if step.get("uses", "").startswith("mlwarden/"):
            assert set(step["with"]) <= inputs
    gitlab = [yaml.safe_load(b) for b in blocks("yaml") if b.startswith("# .gitlab-ci.yml")]
    remote = [i for g in gitlab for i in g["include"] if "remote" in i]
    assert remote and all(f"/{tag}/templates/mlwarden.yml" in i["remote"] for i in remote)
    spec = next(yaml.safe_load_all((ROOT / "templates" / "mlwarden.yml").read_text()))
    for include in (i for g in gitlab for i in g["include"]):
        assert set(include.get("inputs", {})) <= set(spec["spec"]["inputs"])
    assert "Releases are tagged `v<version>`" in README
    assert "Tag the release commit `v<version>`" in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def test_links_point_to_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / target).exists(), target
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)\)", reference):
        assert (ROOT / "docs" / target).exists(), target
