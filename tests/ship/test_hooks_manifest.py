"""`.pre-commit-hooks.yaml`: valid for pre-commit, one right entry per check, every hook documented in the
README and installed as a console script."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib.metadata import entry_points
from typing import Any

import pytest
import yaml

from mlwarden.checks import REGISTRY
from tests.ship.helpers import ROOT

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
STAGES = {"pre-commit", "pre-merge-commit", "pre-push", "prepare-commit-msg", "commit-msg", "post-checkout",
          "post-commit", "post-merge", "post-rewrite", "pre-rebase", "manual"}

# paths each hook must (and must not) be run on, by its `files`/`types` filters
SAMPLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "check-pins": (("requirements.txt", "requirements/dev.txt", "sub/requirements-gpu.txt", "pyproject.toml",
                    "uv.lock", "poetry.lock", "Pipfile", "Pipfile.lock", "pdm.lock", "pylock.toml",
                    "environment.yml", "constraints.txt"),
                   ("README.md", "src/train.py", "models/model.pt", "setup.cfg")),
    "check-typosquats": (("requirements.txt", "pyproject.toml", "poetry.lock"), ("models/model.pt",)),
    "scan-models": (("models/model.pt", "model.pkl", "weights.safetensors", "model.gguf", "m.onnx"),
                    ("README.md", "requirements.txt")),
    "check-unsafe-loads": (("train.py", "src/pkg/load.py", "notebooks/explore.ipynb"),
                           ("requirements.txt", "models/model.pt", "README.md")),
    "audit-deps": (("requirements.txt", "uv.lock", "poetry.lock", "pyproject.toml"), ("train.py",)),
    "generate-sbom": (("requirements.txt", "pyproject.toml", "models/model.pt", "train.py",
                       "sbom.cdx.json"), ("docs/notes.txt",)),
    "check-pipeline": ((".github/workflows/ci.yml", "action.yml", ".gitlab-ci.yml", "ci/build.gitlab-ci.yml",
                        "Dockerfile", "docker/Dockerfile.gpu", "gpu.Dockerfile", "Containerfile",
                        "scripts/download.sh", "Makefile", "tools/rules.mk"),
                       ("README.md", "train.py", "config.yaml", "requirements.txt", "docs/Dockerfile.md",
                        "src/pkg/dockerfile.py")),
    # every file may belong to a locked model folder (config.json, tokenizer files...): the check filters
    "verify-artifacts": (("models/model.pt", "mlwarden.lock", "data.dvc", "models/bert/config.json",
                          "models/bert.sig", "train.py", ".gitattributes"), ()),
}


def manifest() -> list[dict[str, Any]]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def hook_ids() -> list[str]:
    return [h["id"] for h in manifest()]


def test_pre_commit_validates_the_manifest() -> None:
    exe = shutil.which("pre-commit")
    assert exe, "pre-commit is a test dependency"
    proc = subprocess.run([exe, "validate-manifest", str(MANIFEST)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_check_has_exactly_one_hook() -> None:
    ids = hook_ids()
    assert len(ids) == len(set(ids)), ids
    assert sorted(ids) == sorted(REGISTRY), "every check is a hook and every hook is a check"


@pytest.mark.parametrize("hook", manifest(), ids=lambda h: h["id"])
def test_hook_entry_is_right(hook: dict[str, Any]) -> None:
    hid = hook["id"]
    assert hook["entry"] == hid, "entry is the console script of the same name"
    assert hook["language"] == "python"
    assert hook["name"] == f"mlwarden {hid}"
    assert hook.get("description")
    assert hook["minimum_pre_commit_version"] == "3.2.0"
    stages = hook.get("stages")
    assert stages and set(stages) <= STAGES and "pre-commit" in stages, stages
    assert "commit" not in stages and "push" not in stages  # new-style stage names only
    assert isinstance(hook.get("pass_filenames", True), bool)
    assert isinstance(hook.get("require_serial", False), bool)
    if hook.get("pass_filenames", True) is False:
        # a whole-repository hook: pre-commit must not split it over several processes
        assert hook.get("require_serial") is True, hid
    assert hook.get("files") or hook.get("types") or hook.get("types_or"), "a hook says what it looks at"


@pytest.mark.parametrize("hook", manifest(), ids=lambda h: h["id"])
def test_hook_file_filter_matches_the_right_paths(hook: dict[str, Any]) -> None:
    hid = hook["id"]
    assert hid in SAMPLES, f"add sample paths for the new hook {hid}"
    yes, no = SAMPLES[hid]
    files = re.compile(hook.get("files", ""))
    exclude = re.compile(hook["exclude"]) if hook.get("exclude") else None
    types = set(hook.get("types", [])) | set(hook.get("types_or", []))

    def selected(path: str) -> bool:
        if not files.search(path) or (exclude is not None and exclude.search(path)):
            return False
        if not types or "file" in types:
            return True
        ext_types = {"python": (".py", ".pyi"), "jupyter": (".ipynb",), "toml": (".toml",),
                     "yaml": (".yml", ".yaml"), "text": (".txt", ".in", ".toml", ".yml", ".yaml", ".py",
                                                         ".lock", ".md", ".json", ".cfg"),
                     "json": (".json", ".ipynb"), "binary": (".pt", ".pkl", ".safetensors", ".gguf",
                                                             ".onnx", ".bin")}
        return any(path.endswith(ext_types.get(t, ())) for t in types)

    for path in yes:
        assert selected(path), f"{hid} should run on {path}"
    for path in no:
        assert not selected(path), f"{hid} should not run on {path}"


@pytest.mark.parametrize("hid", hook_ids())
def test_hook_is_installed_as_a_console_script(hid: str) -> None:
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    module = hid.replace("-", "_")
    assert scripts.get(hid) == f"mlwarden_hooks.{module}:main"
    assert shutil.which(hid), f"{hid} is on PATH"
    proc = subprocess.run([shutil.which(hid) or hid, "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and f"usage: {hid}" in proc.stdout, proc.stderr


@pytest.mark.parametrize("hid", hook_ids())
def test_hook_is_documented_in_the_readme(hid: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{hid}`" in readme, f"README.md does not mention `{hid}`"
    assert f"id: {hid}" in readme or f"- id: {hid}" in readme or f"### `{hid}`" in readme \
        or re.search(rf"^#+ .*{re.escape(hid)}", readme, re.MULTILINE), \
        f"README.md has no section or pre-commit snippet for {hid}"
