"""Static checks of the GitHub Action: third-party actions pinned to commits, inputs only through `env:`,
hash-pinned requirements that match mlwarden's runtime dependencies, and the documented snippets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.ship.helpers import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]


def test_composite_action_with_documented_inputs_and_outputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"path", "fail-on", "checks", "sarif-file", "upload-sarif", "python-version", "args"} \
        <= set(ACTION["inputs"])
    assert {"findings-count", "critical-count", "high-count", "sarif-file", "exit-code"} \
        <= set(ACTION["outputs"])
    assert ACTION["inputs"]["upload-sarif"]["default"] == "false"
    for name, spec in {**ACTION["inputs"], **ACTION["outputs"]}.items():
        assert spec.get("description"), name
    docs = (ROOT / "docs" / "ship.md").read_text()
    for name in (*ACTION["inputs"], *ACTION["outputs"]):
        assert f"`{name}`" in docs, f"docs/ship.md does not document {name}"


def test_third_party_actions_are_pinned_to_commits() -> None:
    uses = [s["uses"] for s in STEPS if "uses" in s]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    for u in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u), u


def test_inputs_never_reach_shell_text() -> None:
    for step in STEPS:
        run = step.get("run", "")
        assert "${{" not in run, f"expression in run text of {step.get('name')}: {run!r}"
        for value in (step.get("env") or {}).values():
            assert isinstance(value, str)


def test_every_input_is_used() -> None:
    text = (ROOT / "action.yml").read_text()
    for name in ACTION["inputs"]:
        assert f"inputs.{name}" in text, name


def _requirements() -> dict[str, tuple[Requirement, list[str]]]:
    text = (ROOT / "action" / "requirements.txt").read_text()
    joined = re.sub(r"\\\n\s*", " ", text)
    out: dict[str, tuple[Requirement, list[str]]] = {}
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *hashes = [p.strip() for p in line.split("--hash=")]
        req = Requirement(spec)
        out[canonicalize_name(req.name)] = (req, hashes)
    return out


def test_action_requirements_are_exact_and_hashed() -> None:
    reqs = _requirements()
    for name, (req, hashes) in reqs.items():
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{name} is not pinned exactly"
        assert hashes, f"{name} has no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name


def test_action_requirements_cover_the_runtime_dependencies() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = _requirements()
    for dep in pyproject["project"]["dependencies"]:
        want = Requirement(dep)
        name = canonicalize_name(want.name)
        assert name in reqs, f"runtime dependency {want.name} missing from action/requirements.txt"
        pinned = next(iter(reqs[name][0].specifier)).version
        assert want.specifier.contains(pinned, prereleases=True), f"{name}=={pinned} does not satisfy {want}"
        if want.marker is not None:
            assert str(reqs[name][0].marker) == str(want.marker), name
    # the build backend, since mlwarden is installed with --no-build-isolation
    backend = Requirement(pyproject["build-system"]["requires"][0])
    assert backend.specifier.contains(next(iter(reqs["setuptools"][0].specifier)).version)
    # and what the runtime dependencies need themselves, from the installed metadata
    from importlib.metadata import requires
    for name in list(reqs):
        marker = reqs[name][0].marker
        if marker is not None and not marker.evaluate():
            continue  # not installed on this Python (tomli on >= 3.11), so no metadata to read
        for sub in requires(name) or []:
            r = Requirement(sub)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                assert canonicalize_name(r.name) in reqs, f"{name} needs {r.name}"


def test_install_script_checks_hashes_and_installs_from_the_checkout() -> None:
    script = (ROOT / "action" / "install.sh").read_text()
    assert "--require-hashes" in script and "--no-deps --no-build-isolation" in script
    proc = subprocess.run(["bash", "-n", str(ROOT / "action" / "install.sh")], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(("args", "expected"), [
    ("--skip generate-sbom", ["--skip", "generate-sbom"]),
    ("--exclude 'tests/fixtures/**' --exclude \"a b\"", ["--exclude", "tests/fixtures/**", "--exclude", "a b"]),
    ("$(touch /tmp/pwned) `id`", ["$(touch", "/tmp/pwned)", "`id`"]),  # split, never evaluated
])
def test_run_py_builds_argv_without_a_shell(args: str, expected: list[str], monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "action"))
    try:
        import run as action_run  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLWARDEN_ACTION_BIN", "/opt/mlwarden")
    monkeypatch.setenv("INPUT_PATH", "src; rm -rf /")
    monkeypatch.setenv("INPUT_FAIL_ON", "high")
    monkeypatch.setenv("INPUT_SARIF_FILE", "out/m.sarif")
    monkeypatch.setenv("INPUT_ARGS", args)
    argv, sarif = action_run.build_argv("r.json")
    assert argv[:3] == ["/opt/mlwarden", "scan", "src; rm -rf /"]  # one argument, whatever it contains
    assert argv[3:9] == ["--fail-on", "high", "--json", "r.json", "--sarif", "out/m.sarif"]
    assert argv[9:] == expected
    assert sarif == "out/m.sarif" and (tmp_path / "out").is_dir()


def _yaml_blocks() -> list[object]:
    text = (ROOT / "docs" / "ship.md").read_text()
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)]


def test_docs_snippets_match_the_hooks_the_action_and_the_template() -> None:
    from mlwarden.checks import REGISTRY

    blocks = [b for b in _yaml_blocks() if isinstance(b, dict)]
    pre_commit = next(b for b in blocks if "repos" in b)
    snippet_ids = [h["id"] for h in pre_commit["repos"][0]["hooks"]]
    manifest_ids = [h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]
    assert sorted(snippet_ids) == sorted(REGISTRY)
    assert set(manifest_ids) <= set(snippet_ids)

    workflow = next(b for b in blocks if "jobs" in b)
    steps = next(iter(workflow["jobs"].values()))["steps"]
    ours = next(s for s in steps if s.get("uses", "").startswith("mlwarden/mlwarden@"))
    assert set(ours.get("with", {})) <= set(ACTION["inputs"])
    for s in steps:
        if "uses" in s and s is not ours:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", s["uses"]), s["uses"]

    spec = next(iter(yaml.safe_load_all((ROOT / "templates" / "mlwarden.yml").read_text())))
    includes = [i for b in blocks if "include" in b for i in b["include"]]
    assert {k for i in includes for k in ("component", "project", "remote") if k in i} \
        == {"component", "project", "remote"}
    for inc in includes:
        assert set(inc.get("inputs", {})) <= set(spec["spec"]["inputs"]), inc
        if "project" in inc:
            assert inc["file"] == "/templates/mlwarden.yml"
        if "remote" in inc:
            assert inc["remote"].endswith("/templates/mlwarden.yml")
        if "component" in inc:
            assert inc["component"].split("@")[0].endswith("/mlwarden")  # templates/mlwarden.yml


def test_missing_runner_skips_with_the_install_command_and_fails_under_ci(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ship.tools import require_tool

    monkeypatch.setenv("MLWARDEN_TEST_PROVISION", "0")
    with pytest.raises(pytest.skip.Exception, match="no-such-runner-xyz is not installed: apt-get install x"):
        require_tool("no-such-runner-xyz", "apt-get install x", under_ci=False)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_tool("no-such-runner-xyz", "apt-get install x", under_ci=True)
    assert require_tool("git", "apt-get install git", under_ci=True).endswith("git")
