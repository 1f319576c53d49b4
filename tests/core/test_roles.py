"""File roles (core.roles): decided once from the tree, configurable, shown in every report, and the
one-finding-per-problem merge (core.refine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlwarden.checks.base import Context
from mlwarden.cli import main
from mlwarden.core.config import Config, load_config
from mlwarden.core.errors import ConfigError
from mlwarden.core.findings import Finding, Rule, Severity
from mlwarden.core.refine import merge, refine
from mlwarden.core.roles import Role, RoleMap, adjust, parse_overrides


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


# a small ML repository shaped like the ones the defaults were tuned on (paths from real layouts)
TREE = {
    "requirements.txt": "torch>=2.0\n",
    "requirements-dev.txt": "pytest\n",
    "requirements/docs.txt": "sphinx\n",
    "requirements/test/cuda.txt": "pytest\n",
    "requirements/runtime.txt": "numpy\n",
    "requirements/extra.txt": "wandb\n",
    "environment.yml": "dependencies:\n  - numpy\n",
    "setup.py": "from setuptools import setup\nsetup(install_requires=parse_requirements("
                "'requirements/runtime.txt'))\n",
    "train.py": "import torch\n",
    "tests/test_train.py": "",
    "tests/requirements.txt": "pytest\n",
    "pkg/conftest.py": "",
    "pkg/model_test.py": "",
    "examples/finetune/requirements.txt": "transformers\n",
    "docs/conf.py": "",
    "benchmarks/run.py": "",
    "third_party/cutlass/setup.py": "",
    "vendor/lib.py": "",
    "ext/fastlib/LICENSE": "MIT\n",
    "ext/fastlib/pyproject.toml": "[project]\nname = 'fastlib'\n",
    "ext/fastlib/requirements.txt": "numpy\n",
    "ext/own/pyproject.toml": "[project]\nname = 'own'\n",  # no licence of its own: first-party
    "ext/own/requirements.txt": "numpy\n",
    "build/lib/mod.py": "",
    "proto/api_pb2.py": "",
    "app/pyproject.toml": "[project]\nname = 'app'\n",  # no build-system: an application
    "lib/pyproject.toml": "[project]\nname = 'lib'\n[build-system]\nrequires = ['hatchling']\n",
    "docker/requirements-serve.txt": "fastapi\n",
    ".actions/requirements.txt": "requests\n",
    "docker/Dockerfile": "FROM python:3.12\nCOPY . /app\nRUN pip install -r docker/requirements-serve.txt\n",
}


@pytest.fixture
def roles(tmp_path: Path) -> RoleMap:
    write(tmp_path, TREE)
    return RoleMap(tmp_path)


@pytest.mark.parametrize(("path", "role"), [
    ("requirements.txt", Role.INSTALL),
    ("environment.yml", Role.INSTALL),
    ("train.py", Role.INSTALL),
    ("requirements-dev.txt", Role.DEV),
    ("requirements/docs.txt", Role.DEV),
    ("requirements/test/cuda.txt", Role.DEV),
    ("requirements/extra.txt", Role.DEV),  # optional-feature requirements
    ("requirements/runtime.txt", Role.LIBRARY),  # read by setup.py: install_requires
    ("setup.py", Role.LIBRARY),
    ("lib/pyproject.toml", Role.LIBRARY),
    ("app/pyproject.toml", Role.INSTALL),
    ("tests/test_train.py", Role.TEST),
    ("tests/requirements.txt", Role.TEST),
    ("pkg/conftest.py", Role.TEST),
    ("pkg/model_test.py", Role.TEST),
    ("examples/finetune/requirements.txt", Role.EXAMPLE),
    ("docs/conf.py", Role.EXAMPLE),
    ("benchmarks/run.py", Role.EXAMPLE),
    ("third_party/cutlass/setup.py", Role.VENDORED),
    ("vendor/lib.py", Role.VENDORED),
    ("ext/fastlib/requirements.txt", Role.VENDORED),  # own licence + own pyproject
    ("ext/own/requirements.txt", Role.INSTALL),
    ("build/lib/mod.py", Role.GENERATED),
    ("proto/api_pb2.py", Role.GENERATED),
    ("docker/requirements-serve.txt", Role.INSTALL),
    (".actions/requirements.txt", Role.DEV),  # Lightning's CI helpers
    (".github/scripts/check.py", Role.DEV),
    (".github/workflows/ci.yml", Role.INSTALL),  # CI runs with the project's secrets
    (".github/actions/setup/action.yml", Role.INSTALL),
])
def test_default_roles(roles: RoleMap, path: str, role: Role) -> None:
    assert roles.role(path) == role, roles.why(path)


def test_a_dockerfile_install_beats_the_dev_name(tmp_path: Path) -> None:
    write(tmp_path, {"requirements-dev.txt": "x\n",
                     "Dockerfile": "RUN pip install --no-cache-dir -r ./requirements-dev.txt\n"})
    assert RoleMap(tmp_path).role("requirements-dev.txt") == Role.INSTALL


def test_a_dockerfile_in_tests_is_no_install_evidence(tmp_path: Path) -> None:
    write(tmp_path, {"requirements-dev.txt": "x\n",
                     "tests/Dockerfile": "RUN pip install -r requirements-dev.txt\n"})
    assert RoleMap(tmp_path).role("requirements-dev.txt") == Role.DEV


def test_a_file_included_by_the_install_requirements_is_installed(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "-r requirements/extra.txt\n", "requirements/extra.txt": "x\n",
                     "requirements/optional.txt": "y\n"})
    roles = RoleMap(tmp_path)
    assert roles.role("requirements/extra.txt") == Role.INSTALL
    assert roles.role("requirements/optional.txt") == Role.DEV


def test_a_requirements_file_mirroring_the_package_metadata_is_a_library_declaration(tmp_path: Path) -> None:
    # whisper/peft shape: pyproject lists the dependencies, requirements.txt repeats them for pip -r
    write(tmp_path, {"pyproject.toml": "[build-system]\nrequires = ['setuptools']\n[project]\nname = 'asr'\n"
                                      "dependencies = ['numba', 'numpy', 'torch', 'tqdm', 'tiktoken']\n",
                     "requirements.txt": "numba\nnumpy\ntorch\ntqdm\ntiktoken\npytest\n",
                     "app/requirements.txt": "numba\nnumpy\ntorch\n",  # another folder: not a mirror
                     "other/pyproject.toml": "[build-system]\nrequires = []\n[project]\nname = 'o'\n"
                                            "dependencies = ['a', 'b', 'c', 'd', 'e']\n",
                     "other/requirements.txt": "a\nb\nx\ny\n"})  # 2 of 5: not a mirror
    roles = RoleMap(tmp_path)
    assert roles.role("requirements.txt") == Role.LIBRARY
    assert roles.role("app/requirements.txt") == Role.INSTALL
    assert roles.role("other/requirements.txt") == Role.INSTALL


def test_requirements_folder_of_a_package_holds_optional_features(tmp_path: Path) -> None:
    # LLaMA-Factory/Lightning shape: a published package at the root, one requirements file per feature
    write(tmp_path, {"pyproject.toml": "[build-system]\nrequires = []\n[project]\nname = 'ft'\n",
                     "requirements/galore.txt": "galore-torch\n", "requirements/metrics.txt": "nltk\n",
                     "docker/Dockerfile": "RUN pip install -e . && pip install -r requirements/metrics.txt\n"})
    roles = RoleMap(tmp_path)
    assert roles.role("requirements/galore.txt") == Role.DEV
    assert roles.role("requirements/metrics.txt") == Role.INSTALL  # the image installs it
    # an application (no package metadata; a setup.cfg with tool settings only) keeps them as install
    app = tmp_path / "app"
    write(app, {"setup.cfg": "[flake8]\nmax-line-length = 120\n", "requirements/full/requirements.txt": "x\n"})
    assert RoleMap(app).role("requirements/full/requirements.txt") == Role.INSTALL


def test_a_makefile_is_no_install_evidence(tmp_path: Path) -> None:
    write(tmp_path, {"requirements/typing.txt": "mypy\n",
                     "Makefile": "setup:\n\tuv pip install -r requirements/typing.txt\n"})
    assert RoleMap(tmp_path).role("requirements/typing.txt") == Role.DEV


def test_pyproject_dynamic_dependencies_file_is_a_library_declaration(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "numpy\n", "pyproject.toml":
                     "[project]\nname = 'p'\ndynamic = ['dependencies']\n[build-system]\nrequires = []\n"
                     "[tool.setuptools.dynamic]\ndependencies = {file = ['requirements.txt']}\n"})
    assert RoleMap(tmp_path).role("requirements.txt") == Role.LIBRARY


def test_config_overrides_win_in_order(tmp_path: Path) -> None:
    write(tmp_path, TREE)
    roles = RoleMap(tmp_path, parse_overrides({"tests/requirements.txt": "install", "tests": "example",
                                               "**/train.py": "dev"}))
    assert roles.role("tests/requirements.txt") == Role.INSTALL
    assert roles.role("tests/test_train.py") == Role.EXAMPLE
    assert roles.role("train.py") == Role.DEV
    assert "config" in roles.why("train.py")


def test_roles_in_config_file_and_environment(tmp_path: Path) -> None:
    write(tmp_path, {"mlwarden.toml": '[roles]\n"scripts/**" = "dev"\n"notebooks" = "example"\n'})
    cfg = load_config(None, tmp_path, ["fail-on"], {})
    assert cfg.roles == (("scripts/**", Role.DEV), ("notebooks", Role.EXAMPLE))
    roles = RoleMap.from_config(tmp_path, cfg, environ={"MLWARDEN_ROLES": "scripts/keep.py=install"})
    assert roles.role("scripts/keep.py") == Role.INSTALL  # the environment comes first
    assert roles.role("scripts/other.py") == Role.DEV
    assert roles.role("notebooks/a/b.ipynb") == Role.EXAMPLE


@pytest.mark.parametrize("text", ['[roles]\n"x" = "nonsense"\n', 'roles = ["x"]\n', '[roles]\n"x" = 1\n'])
def test_bad_roles_config_is_an_error(tmp_path: Path, text: str) -> None:
    write(tmp_path, {"mlwarden.toml": text})
    with pytest.raises(ConfigError):
        load_config(None, tmp_path, ["fail-on"], {})


def test_bad_roles_environment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MLWARDEN_ROLES"):
        RoleMap.from_config(tmp_path, Config(root=tmp_path), environ={"MLWARDEN_ROLES": "tests"})


def test_paths_outside_the_root_use_the_file_name_only(tmp_path: Path) -> None:
    roles = RoleMap(tmp_path / "repo")
    # pytest's own tmp folders are called test_*: they must not make every file a test
    assert roles.role(str(tmp_path / "test_x0" / "requirements.txt")) == Role.INSTALL
    assert roles.role(str(tmp_path / "test_x0" / "test_a.py")) == Role.TEST


R = Rule("MLW301", "unpinned", Severity.HIGH, "t", "h", role_severity=(("library", Severity.INFO),))
HASH = Rule("MLW302", "missing-hash", Severity.HIGH, "t", "h")
HUB = Rule("MLW106", "hub-unpinned", Severity.HIGH, "t", "h", role_severity=(("test", None),))


def test_adjust_one_level_lower_and_rule_overrides() -> None:
    assert adjust(Severity.HIGH, Role.INSTALL) == Severity.HIGH
    assert adjust(Severity.HIGH, Role.LIBRARY) == Severity.HIGH  # library code runs for its users
    for role in (Role.EXAMPLE, Role.DEV, Role.TEST, Role.VENDORED):
        assert adjust(Severity.CRITICAL, role) == Severity.HIGH
        assert adjust(Severity.INFO, role) == Severity.INFO
    assert adjust(Severity.CRITICAL, Role.GENERATED) == Severity.INFO
    assert adjust(Severity.HIGH, Role.LIBRARY, R) == Severity.INFO
    assert adjust(Severity.HIGH, Role.TEST, HUB) is None
    assert adjust(Severity.HIGH, Role.EXAMPLE, HUB) == Severity.MEDIUM


def test_refine_sets_roles_drops_unreported_and_keeps_check_decisions(roles: RoleMap) -> None:
    found = [
        Finding(HUB, "tests/test_train.py", "hub", line=1),
        Finding(HUB, "examples/finetune/run.py", "hub", line=1),
        Finding(R, "requirements/runtime.txt", "numpy unpinned", line=1),
        Finding(R, "requirements.txt", "torch unpinned", line=1),
        Finding(HASH, "docs/x.txt", "decided by the check", severity=Severity.LOW, line=1, role="install"),
    ]
    out = {(f.path, f.level.label, f.role) for f in refine(found, roles.role)}
    assert out == {("examples/finetune/run.py", "medium", "example"),
                   ("requirements/runtime.txt", "info", "library"),
                   ("requirements.txt", "high", "install"),
                   ("docs/x.txt", "low", "install")}


SUPER = Rule("MLW301", "unpinned", Severity.HIGH, "t", "h", supersedes=("missing-hash", "MLW603"))
AUDIT = Rule("MLW603", "cannot-audit", Severity.MEDIUM, "t", "h")


def test_merge_folds_superseded_findings_on_the_same_line_and_subject() -> None:
    found = [
        Finding(SUPER, "r.txt", "numpy is not pinned", line=1, data={"name": "numpy"}),
        Finding(HASH, "r.txt", "numpy has no --hash", line=1, data={"name": "numpy"}),
        Finding(AUDIT, "r.txt", "numpy: no version", line=1, data={"name": "numpy"}),
        Finding(HASH, "r.txt", "scipy has no --hash", line=2, data={"name": "scipy"}),
        Finding(HASH, "r.txt", "other subject", line=1, data={"name": "torch"}),
        Finding(HASH, "s.txt", "other file", line=1, data={"name": "numpy"}),
    ]
    out = merge(found)
    assert [(f.path, f.line, f.slug) for f in out] == [
        ("r.txt", 1, "unpinned"), ("r.txt", 2, "missing-hash"), ("r.txt", 1, "missing-hash"),
        ("s.txt", 1, "missing-hash")]
    kept = out[0]
    assert kept.level == Severity.HIGH  # the superseding rule's judgement
    assert "numpy has no --hash" in kept.message and "numpy: no version" in kept.message
    assert [a["slug"] for a in kept.data["also"]] == ["missing-hash", "cannot-audit"]


def test_merge_keeps_minor_facts_in_data_only() -> None:
    low = Finding(HASH, "r.txt", "numpy has no --hash", line=1, severity=Severity.LOW, data={"name": "numpy"})
    out = merge([Finding(SUPER, "r.txt", "numpy is not pinned", line=1, data={"name": "numpy"}), low])
    assert [(f.message, [a["slug"] for a in f.data["also"]]) for f in out] == [
        ("numpy is not pinned", ["missing-hash"])]


def test_merge_keeps_the_superseding_severity_even_when_lower() -> None:
    low = Finding(SUPER, "setup.py", "x unpinned", line=3, severity=Severity.INFO, data={"name": "x"})
    audit = Finding(AUDIT, "setup.py", "x: no version", line=3, data={"name": "x"})
    out = merge([audit, low])
    assert len(out) == 1 and out[0].level == Severity.INFO and out[0].slug == "unpinned"


def test_context_role_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, TREE)
    monkeypatch.chdir(tmp_path)
    ctx = Context(paths=["."], root=tmp_path, config=Config(root=tmp_path), options={})
    assert ctx.role(tmp_path / "tests" / "test_train.py") == Role.TEST
    assert ctx.role("requirements-dev.txt") == Role.DEV
    assert ctx.role_severity(Severity.HIGH, "tests/test_train.py", HUB) is None
    assert ctx.role_severity(Severity.HIGH, "docs/conf.py") == Severity.MEDIUM


def _scan_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
               *args: str) -> list[dict[str, object]]:
    monkeypatch.chdir(tmp_path)
    main(["scan", "--checks", "check-pins", "--format", "json", *args])
    doc = json.loads(capsys.readouterr().out)
    findings: list[dict[str, object]] = doc["findings"]
    return findings


def test_role_shown_in_every_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"requirements.txt": "numpy\n", "requirements-dev.txt": "pytest\n"})
    found = _scan_json(tmp_path, monkeypatch, capsys)
    assert {(f["path"], f["severity"], f["role"]) for f in found if f["slug"] == "unpinned"} == {
        ("requirements.txt", "high", "install"), ("requirements-dev.txt", "medium", "dev")}
    main(["scan", "--checks", "check-pins", "--sarif", "out.sarif", "--markdown", "out.md"])
    text = capsys.readouterr().out
    assert "[role: dev]" in text and "[role: install]" not in text
    sarif = json.loads((tmp_path / "out.sarif").read_text("utf-8"))
    assert {r["properties"]["role"] for r in sarif["runs"][0]["results"]} == {"install", "dev"}
    assert "requirements-dev.txt:1 (dev)" in (tmp_path / "out.md").read_text("utf-8")
    main(["scan", "--checks", "check-pins", "--format", "github", "--gitlab-codequality", "cq.json"])
    assert "title=MLW301 unpinned [medium] (dev)::" in capsys.readouterr().out
    cq = json.loads((tmp_path / "cq.json").read_text("utf-8"))
    assert sum("[role: dev]" in i["description"] for i in cq) == 1


def test_roles_config_changes_scan_severity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"requirements-dev.txt": "pytest\n",
                     "pyproject.toml": '[tool.mlwarden.roles]\n"requirements-dev.txt" = "install"\n'})
    found = _scan_json(tmp_path, monkeypatch, capsys)
    assert [(f["severity"], f["role"]) for f in found if f["slug"] == "unpinned"] == [("high", "install")]
    monkeypatch.setenv("MLWARDEN_ROLES", "requirements-dev.txt=test")
    found = _scan_json(tmp_path, monkeypatch, capsys)
    assert [(f["severity"], f["role"]) for f in found if f["slug"] == "unpinned"] == [("medium", "test")]


def test_payloads_keep_their_severity_in_every_role(tmp_path: Path) -> None:
    """A pickle that runs a command is as dangerous in examples/ or tests/ as anywhere else; a pin problem in
    an example's requirements is lowered."""
    import subprocess
    import sys

    for folder in ("examples/demo", "tests/fixtures", "third_party/lib"):
        d = tmp_path / folder
        d.mkdir(parents=True)
        (d / "model.pkl").write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
        (d / "requirements.txt").write_text("requests\n")
    proc = subprocess.run([sys.executable, "-m", "mlwarden", "scan", "--format", "json", "--checks",
                           "scan-models,check-pins"], cwd=tmp_path, capture_output=True, text=True, check=False)
    import json

    found = json.loads(proc.stdout)["findings"]
    payloads = [f for f in found if f["id"] == "MLW501"]
    assert len(payloads) == 3 and all(f["severity"] == "critical" for f in payloads), payloads
    unpinned = [f for f in found if f["slug"] == "unpinned"]
    assert unpinned and all(f["severity"] != "high" for f in unpinned), unpinned
    assert not (tmp_path / "pwned").exists()
