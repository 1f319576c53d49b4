"""generate-sbom end to end through the hook's main(): writes like a formatter (exit 1 when it changed the file,
0 when current), --check, SPDX, GitLab naming, timestamps, validation, byte stability across runs and across an
irrelevant edit. Every SBOM written is validated strictly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mlwarden_hooks.generate_sbom import main

from mlwarden.checks.base import Context
from mlwarden.checks.sbom import GenerateSbom
from mlwarden.core.config import Config
from tests.sbom.helpers import assert_valid_cdx, assert_valid_spdx, by_ref, props

H1 = "1" * 64
H2 = "2" * 64
COMMIT = "89abcdef0123456789abcdef0123456789abcdef"

REQUIREMENTS = f"""\
# pinned, hashed
numpy==1.26.4 --hash=sha256:{H1} \\
    --hash=sha256:{H2}
requests==2.32.3
scipy>=1.10
mylib @ git+https://github.com/org/mylib.git@{COMMIT}
"""

PYPROJECT = """\
[project]
name = "demo-ml"
version = "0.3.0"
dependencies = ["numpy>=1.20"]
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for var in [v for v in os.environ if v.startswith("MLWARDEN_")]:
        monkeypatch.delenv(var)
    (tmp_path / "requirements.txt").write_text(REQUIREMENTS)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path


def run(*args: str) -> int:
    return main(list(args))


def test_writes_then_current_then_stable(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 1
    out = capsys.readouterr().out
    assert "MLW701 sbom-stale" in out and "does not exist" in out
    first = (project / "sbom.cdx.json").read_bytes()
    doc = assert_valid_cdx(first.decode())
    assert doc["metadata"]["component"]["name"] == "demo-ml"
    assert doc["metadata"]["component"]["version"] == "0.3.0"
    assert run() == 0
    assert (project / "sbom.cdx.json").read_bytes() == first
    assert "MLW701" not in capsys.readouterr().out


def test_requirements_components(project: Path) -> None:
    pytest.importorskip("mlwarden.sources.requirements")
    assert run() == 1
    doc = assert_valid_cdx((project / "sbom.cdx.json").read_text())
    comps = by_ref(doc)
    numpy = comps["pkg:pypi/numpy@1.26.4"]
    assert numpy["hashes"] == [{"alg": "SHA-256", "content": H1}, {"alg": "SHA-256", "content": H2}]
    assert props(numpy)["mlwarden:source"][-1] == "requirements.txt"
    assert "pkg:pypi/requests@2.32.3" in comps
    assert "version" not in comps["pkg:pypi/scipy"]
    assert f"pkg:pypi/mylib?vcs_url=git%2Bhttps://github.com/org/mylib.git%40{COMMIT}" in comps


def test_declared_range_folds_into_the_pin(project: Path) -> None:
    pytest.importorskip("mlwarden.sources.requirements")
    pytest.importorskip("mlwarden.sources.pyproject")
    assert run() == 1
    comps = by_ref(assert_valid_cdx((project / "sbom.cdx.json").read_text()))
    # pyproject's numpy>=1.20 is the same package: one component, stated by both files
    assert [r for r in comps if "numpy" in r] == ["pkg:pypi/numpy@1.26.4"]
    assert props(comps["pkg:pypi/numpy@1.26.4"])["mlwarden:source"] == ["pyproject.toml", "requirements.txt"]


def test_comment_line_changes_nothing(project: Path) -> None:
    assert run() == 1
    first = (project / "sbom.cdx.json").read_bytes()
    req = project / "requirements.txt"
    req.write_text("# a new comment at the top\n\n" + req.read_text() + "# and one at the end\n")
    assert run() == 0
    assert (project / "sbom.cdx.json").read_bytes() == first


def test_relevant_edit_rewrites(project: Path) -> None:
    pytest.importorskip("mlwarden.sources.requirements")
    assert run() == 1
    req = project / "requirements.txt"
    req.write_text(req.read_text().replace("requests==2.32.3", "requests==2.32.4"))
    assert run() == 1
    doc = assert_valid_cdx((project / "sbom.cdx.json").read_text())
    assert "pkg:pypi/requests@2.32.4" in by_ref(doc) and "pkg:pypi/requests@2.32.3" not in by_ref(doc)
    assert run() == 0


def test_check_mode_never_writes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--check") == 1
    assert not (project / "sbom.cdx.json").exists()
    assert "sbom-stale" in capsys.readouterr().out
    assert run() == 1
    current = (project / "sbom.cdx.json").read_bytes()
    assert run("--check") == 0
    (project / "sbom.cdx.json").write_bytes(current.replace(b'"demo-ml"', b'"tampered"'))
    assert run("--check") == 1
    assert b"tampered" in (project / "sbom.cdx.json").read_bytes()  # untouched
    assert run() == 1 and (project / "sbom.cdx.json").read_bytes() == current


def test_sbom_file_option_config_and_env(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "out").mkdir()
    assert run("--sbom-file", "out/bom.json") == 1
    assert_valid_cdx((project / "out" / "bom.json").read_text())
    monkeypatch.setenv("MLWARDEN_SBOM_FILE", "out/env.json")
    assert run() == 1 and (project / "out" / "env.json").is_file()
    monkeypatch.delenv("MLWARDEN_SBOM_FILE")
    (project / "mlwarden.toml").write_text('[generate-sbom]\nsbom-file = "out/cfg.json"\n')
    assert run() == 1 and (project / "out" / "cfg.json").is_file()
    assert run("--sbom-file", "missing-dir/x.json") == 2


def test_gitlab_name_and_taxonomy(project: Path) -> None:
    assert run("--gitlab") == 1
    doc = assert_valid_cdx((project / "gl-sbom-pypi-mlwarden.cdx.json").read_text())
    assert not (project / "sbom.cdx.json").exists()
    assert {"name": "gitlab:meta:schema_version", "value": "1"} in doc["metadata"]["properties"]
    requests = props(by_ref(doc)["pkg:pypi/requests@2.32.3"])
    assert requests["gitlab:dependency_scanning:input_file:path"] == ["requirements.txt"]
    assert requests["gitlab:dependency_scanning:package_manager:name"] == ["pip"]
    assert requests["gitlab:dependency_scanning:category"] == ["production"]
    assert run("--gitlab") == 0


def test_spdx(project: Path) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    assert run("--spec", "spdx") == 1
    path = project / "sbom.spdx.json"
    first = path.read_bytes()
    data = assert_valid_spdx(first.decode())
    assert data["creationInfo"]["created"] == "1970-01-01T00:00:00Z"
    assert data["name"] == "demo-ml"
    assert validate_full_spdx_document(parse_file(str(path))) == []
    assert run("--spec", "spdx") == 0 and path.read_bytes() == first
    assert run("--spec", "spdx", "--validate") == 0


def test_timestamps_only_when_asked(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run() == 1
    plain = json.loads((project / "sbom.cdx.json").read_text())
    assert "timestamp" not in plain["metadata"] and "serialNumber" not in plain
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run() == 1
    doc = assert_valid_cdx((project / "sbom.cdx.json").read_text())
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    assert run() == 0  # a fixed SOURCE_DATE_EPOCH is reproducible
    assert run("--spec", "spdx") == 1
    assert json.loads((project / "sbom.spdx.json").read_text())["creationInfo"]["created"] == \
        "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert run() == 2
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert run("--timestamp", "--sbom-file", "now.json") == 1
    stamp = json.loads((project / "now.json").read_text())["metadata"]["timestamp"]
    assert stamp.startswith("20") and stamp.endswith("Z")


def test_tool_version_only_without_reproducible(project: Path) -> None:
    from mlwarden import __version__

    assert run() == 1
    tool = json.loads((project / "sbom.cdx.json").read_text())["metadata"]["tools"]["components"][0]
    assert "version" not in tool
    assert run("--no-reproducible") == 1
    tool = json.loads((project / "sbom.cdx.json").read_text())["metadata"]["tools"]["components"][0]
    assert tool["version"] == __version__


def test_runtime_validation(project: Path) -> None:
    pytest.importorskip("jsonschema")
    assert run("--validate") == 1
    assert_valid_cdx((project / "sbom.cdx.json").read_text())
    assert run("--validate") == 0


def test_unreadable_manifest_is_a_finding_not_a_crash(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("mlwarden.sources.requirements")
    (project / "requirements-dev.txt").write_bytes(b"\xff\xfe\x00garbage\x00")
    rc = run("--format", "json")
    report = json.loads(capsys.readouterr().out)
    found = {(f["id"], f["path"]) for f in report["findings"]}
    assert rc == 1
    assert ("MLW002", "requirements-dev.txt") in found and ("MLW701", "sbom.cdx.json") in found
    assert "pkg:pypi/numpy@1.26.4" in by_ref(assert_valid_cdx((project / "sbom.cdx.json").read_text()))


def test_unpinned_component_is_an_info_finding(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("mlwarden.sources.requirements")
    assert run("--check", "--fail-on", "high") == 0  # stale is medium: below the threshold
    out = capsys.readouterr().out
    assert "requirements.txt:5:1: MLW702 sbom-component-unpinned [info] scipy has no exact version" in out
    assert out.count("MLW702") == 1  # the git requirement is pinned to a full commit


def test_output_option_names_the_sbom_at_check_level(project: Path) -> None:
    """`--output` means the SBOM file when --sbom-file is not given (the CLI routes the report elsewhere)."""
    check = GenerateSbom()
    options = {o.name: o.default for o in check.options}
    options.update({"output": "via-output.cdx.json", "fail-on": None, "format": "text", "exclude": ()})
    ctx = Context(paths=["."], root=project, config=Config(root=project), options=options)
    findings = list(check.run(ctx))
    assert [f.rule.id for f in findings if f.rule.id == "MLW701"] == ["MLW701"]
    assert ctx.rewritten == ["via-output.cdx.json"]
    assert_valid_cdx((project / "via-output.cdx.json").read_text())
    options["sbom-file"] = "explicit.json"
    ctx = Context(paths=["."], root=project, config=Config(root=project), options=options)
    list(check.run(ctx))
    assert ctx.rewritten == ["explicit.json"]


def test_crlf_checkout_is_kept(project: Path) -> None:
    assert run() == 1
    path = project / "sbom.cdx.json"
    lf = path.read_bytes()
    path.write_bytes(lf.replace(b"\n", b"\r\n"))  # what a Windows checkout with autocrlf holds
    assert run() == 0 and path.read_bytes() == lf.replace(b"\n", b"\r\n")
    path.write_bytes(lf.replace(b"\n", b"\r\n").replace(b'"demo-ml"', b'"old"'))
    assert run() == 1
    assert path.read_bytes() == lf.replace(b"\n", b"\r\n")


def test_longer_file_with_the_same_prefix_is_stale(project: Path) -> None:
    assert run() == 1
    path = project / "sbom.cdx.json"
    good = path.read_bytes()
    path.write_bytes(good + b"\n" * 3 + b"x" * 100_000)
    assert run("--check") == 1
    assert run() == 1 and path.read_bytes() == good


def test_requirements_without_names(project: Path) -> None:
    pytest.importorskip("mlwarden.sources.requirements")
    (project / "requirements.txt").write_text(
        "-e .\n./libs/pkg\nhttps://example.org/dl/x-1.0.tar.gz#sha256=" + H1 + "\ngit+https://github.com/a/b.git\n")
    assert run("--validate") == 1
    comps = by_ref(assert_valid_cdx((project / "sbom.cdx.json").read_text()))
    assert comps["path:."]["name"] == "." and "purl" not in comps["path:."]
    assert comps["path:./libs/pkg"]["name"] == "./libs/pkg"
    url = comps["url:https://example.org/dl/x-1.0.tar.gz"]
    assert url["name"] == "x-1.0.tar.gz" and "purl" not in url
    assert url["hashes"] == [{"alg": "SHA-256", "content": H1}]
    vcs = comps["vcs:git+https://github.com/a/b.git"]
    assert vcs["name"] == "github.com/a/b"
    assert vcs["externalReferences"] == [{"type": "vcs", "url": "https://github.com/a/b.git"}]


def test_same_bytes_across_processes_and_hash_seeds(project: Path) -> None:
    import subprocess
    import sys

    (project / "models").mkdir()
    (project / "models" / "w.pkl").write_bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01K\x02\x86\x94.")
    (project / "train.py").write_text(f'from transformers import AutoModel\nAutoModel.from_pretrained("org/m", revision="{COMMIT}")\n')
    outputs = []
    for seed in ("1", "2", "3"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLWARDEN_")}
        env["PYTHONHASHSEED"] = seed
        proc = subprocess.run([sys.executable, "-m", "mlwarden", "generate-sbom", "--sbom-file", f"s{seed}.json"],
                              cwd=project, env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 1, proc.stderr
        outputs.append((project / f"s{seed}.json").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert_valid_cdx(outputs[0].decode())


def test_output_names_the_sbom_through_the_hook(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`generate-sbom --output sbom.cdx.json` (the issue's form): the SBOM goes there, the report to stdout."""
    assert run("--output", "bom.cdx.json") == 1
    assert "MLW701 sbom-stale" in capsys.readouterr().out
    first = (project / "bom.cdx.json").read_bytes()
    assert_valid_cdx(first.decode())
    assert run("--output", "bom.cdx.json") == 0 and (project / "bom.cdx.json").read_bytes() == first
    # with --sbom-file, --output is the findings report again
    assert run("--sbom-file", "bom.cdx.json", "--output", "report.json", "--format", "json", "--check") == 0
    assert json.loads((project / "report.json").read_text())["meta"]["sbom"]["file"] == "bom.cdx.json"
