"""The GitLab CI/CD component (templates/mlwarden.yml), for real: `gitlab-ci-local` runs the included job on
generated projects and we check the job result and its report artifacts (the SAST report validates against
GitLab's schema 15.0.7).

* `include: remote` is served by a real HTTP server on 127.0.0.1; `include: local` is the same file.
* The job pip-installs `mlwarden==<version>` as the template does, from a wheelhouse built offline (this
  working tree's wheel plus dependencies repacked from the installed distributions; PIP_NO_INDEX).
* No docker here: the test pipeline overrides the job's `image` with null so gitlab-ci-local uses its shell
  executor; that override needs `--json-schema-validation=false`, so the unmodified include is first
  validated and expanded with schema validation on (`--preview`).
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from mlwarden import __version__
from tests.ship.helpers import ROOT, SCHEMAS, clean_env, make_repo, offline_pip_env
from tests.ship.tools import require_tool

pytestmark = pytest.mark.slow

HEX = "a" * 64
EVIL_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."


@pytest.fixture(scope="module")
def template_server(snapshot: tuple[Path, str]) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(snapshot[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def job_wheelhouse(wheelhouse: Path, snapshot: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
                   ) -> Path:
    """The dependency wheelhouse plus a wheel of this working tree, built without network."""
    out = tmp_path_factory.mktemp("gitlab-wheelhouse")
    for whl in wheelhouse.glob("*.whl"):
        shutil.copy2(whl, out)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "-w", str(out), str(snapshot[0])],
                          env=clean_env(offline_pip_env(wheelhouse)), capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert list(out.glob(f"mlwarden-{__version__}-*.whl"))
    return out


def gitlab_ci_local(project: Path, wheels: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    exe = require_tool("gitlab-ci-local", "npm install -g gitlab-ci-local@4.53.0 (and apt-get install rsync)")
    cmd = [exe, "--home", str(project.parent / "gcl-home"), *extra]
    for k, v in offline_pip_env(wheels).items():
        cmd += ["--variable", f"{k}={v}"]
    cmd += ["--variable", f"XDG_CACHE_HOME={project.parent / 'cache'}"]
    return subprocess.run(cmd, cwd=project, env=clean_env({"NO_COLOR": "1", "FORCE_COLOR": "0"}),
                          capture_output=True, text=True, timeout=600, check=False)


def pipeline(include: dict[str, object], run_here: bool) -> str:
    doc: dict[str, object] = {"stages": ["scan"], "include": [include]}
    if run_here:
        doc["mlwarden"] = {"image": None}  # shell executor: no docker on this machine
    return yaml.safe_dump(doc, sort_keys=False)


def test_remote_include_validates_expands_and_fails_on_findings(
        tmp_path: Path, template_server: str, job_wheelhouse: Path) -> None:
    include = {"remote": f"{template_server}/templates/mlwarden.yml",
               "inputs": {"stage": "scan", "version": __version__, "fail-on": "high"}}
    files: dict[str, str | bytes] = {
        "requirements.txt": "requests>=2\n",
        "models/classifier.pkl": EVIL_PICKLE,
        ".gitlab-ci.yml": pipeline(include, run_here=False),
    }
    project = make_repo(tmp_path / "bad", files, commit=True)

    # 1. the include as users write it: schema-valid, inputs interpolated into the job
    preview = gitlab_ci_local(project, job_wheelhouse, "--preview")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    expanded = yaml.safe_load(preview.stdout[preview.stdout.index("---") if "---" in preview.stdout else 0:])
    job = expanded["mlwarden"]
    assert job["stage"] == "scan"
    assert job["variables"]["MLWARDEN_FAIL_ON"] == "high"
    assert job["variables"]["MLWARDEN_INSTALL_VERSION"] == __version__
    assert job["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json",
                                           "sast": "gl-sast-report.json",
                                           "cyclonedx": "gl-sbom-mlwarden.cdx.json"}

    # 2. run it (shell executor)
    (project / ".gitlab-ci.yml").write_text(pipeline(include, run_here=True))
    make_repo(project, {}, commit=True)
    proc = gitlab_ci_local(project, job_wheelhouse, "--json-schema-validation=false",
                           "--shell-executor-no-image")
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log
    assert "FAIL" in log and "mlwarden" in log
    assert f"mlwarden {__version__}" in log, "the job installed mlwarden from the wheelhouse"
    artifacts = project / ".gitlab-ci-local" / "artifacts" / "mlwarden"
    sast = json.loads((artifacts / "gl-sast-report.json").read_text())
    jsonschema.Draft7Validator(json.loads((SCHEMAS / "sast-report-format-15.0.7.json").read_text())
                               ).validate(sast)
    found = {(v["identifiers"][0]["value"], v["location"]["file"]) for v in sast["vulnerabilities"]}
    assert ("MLW301", "requirements.txt") in found
    assert ("MLW501", "models/classifier.pkl") in found
    assert any(v["severity"] == "Critical" for v in sast["vulnerabilities"])
    quality = json.loads((artifacts / "gl-code-quality-report.json").read_text())
    assert {(i["check_name"].split()[0], i["location"]["path"]) for i in quality} == found
    bom = json.loads((artifacts / "gl-sbom-mlwarden.cdx.json").read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert any(c.get("name") == "requests" for c in bom["components"])
    report = json.loads((artifacts / "mlwarden-report.json").read_text())
    assert "check-pins" in report["meta"]["scan"]["checks"]
    # the HTML report is an artifact too, exposed in the merge request widget
    assert job["artifacts"]["expose_as"] == "mlwarden report"
    assert "mlwarden-report.html" in job["artifacts"]["paths"]
    html = (artifacts / "mlwarden-report.html").read_text()
    assert html.count('<tr class="f"') == len(report["findings"]) and "models/classifier.pkl" in html


def test_local_include_passes_on_a_clean_project(tmp_path: Path, job_wheelhouse: Path,
                                                 snapshot: tuple[Path, str]) -> None:
    files: dict[str, str | bytes] = {
        "requirements.txt": f"requests==2.31.0 --hash=sha256:{HEX}\n",
        "ci/mlwarden.yml": (snapshot[0] / "templates" / "mlwarden.yml").read_text(),
        ".gitlab-ci.yml": pipeline({"local": "ci/mlwarden.yml",
                                    "inputs": {"stage": "scan", "version": __version__}}, run_here=True),
        "mlwarden.toml": 'exclude = ["ci/**"]\n',
    }
    project = make_repo(tmp_path / "good", files, commit=True)
    proc = gitlab_ci_local(project, job_wheelhouse, "--json-schema-validation=false",
                           "--shell-executor-no-image")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "PASS" in log and "mlwarden" in log
    artifacts = project / ".gitlab-ci-local" / "artifacts" / "mlwarden"
    sast = json.loads((artifacts / "gl-sast-report.json").read_text())
    jsonschema.Draft7Validator(json.loads((SCHEMAS / "sast-report-format-15.0.7.json").read_text())
                               ).validate(sast)
    assert sast["vulnerabilities"] == [] and sast["scan"]["status"] == "success"
    assert json.loads((artifacts / "gl-code-quality-report.json").read_text()) == []
    bom = json.loads((artifacts / "gl-sbom-mlwarden.cdx.json").read_text())
    assert [c["purl"] for c in bom["components"] if c.get("type") == "library"] == ["pkg:pypi/requests@2.31.0"]


def test_template_shape() -> None:
    """Component layout: a spec header with the documented inputs, then one job whose script reads inputs
    only through variables."""
    spec, job_doc = list(yaml.safe_load_all((ROOT / "templates" / "mlwarden.yml").read_text()))
    inputs = spec["spec"]["inputs"]
    assert {"stage", "version", "fail-on", "checks"} <= set(inputs)
    assert inputs["fail-on"]["options"] == ["critical", "high", "medium", "low", "info"]
    assert inputs["version"]["default"] == __version__, "release the template with the package version"
    job = job_doc["mlwarden"]
    assert all("$[[" not in line for line in job["script"]), "inputs go through variables, not script text"
    assert set(job["artifacts"]["reports"]) == {"codequality", "sast", "cyclonedx"}
    assert job["artifacts"]["when"] == "always"
