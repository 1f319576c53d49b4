"""Conda environment files: channels, match specs (exact, fuzzy, ranges, channel::name, build strings),
the pip: block read as requirements lines (options, -r files relative to the environment file), lines and
columns from the YAML nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pins.manifest_helpers import PYTORCH, check, h, json_triples, line_of, load, run, triples

ENV = f"""\
name: llm-train
channels:
  - pytorch
  - nvidia
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pytorch::pytorch=2.1
  - pytorch-cuda=12.1
  - numpy==1.26.4
  - cudatoolkit=11.8.0=h6a678d5_0
  - scipy>=1.11
  - pandas
  - conda-forge::transformers 4.38.2 pyhd8ed1ab_0
  - libgcc-ng=13.2.0
  - pip:
      - --extra-index-url {PYTORCH}
      - accelerate==0.27.2
      - peft>=0.9
      - git+https://github.com/huggingface/trl.git@main
      - -r requirements-pip.txt
      - -e .
      - -e ./plugins
"""


def test_reader(tmp_path: Path) -> None:
    (tmp_path / "requirements-pip.txt").write_text("datasets==2.18.0\n")
    m = load(tmp_path, "environment.yml", ENV)
    assert m.format == "conda" and not m.problems
    assert [ix.value for ix in m.indexes if ix.kind == "source"] == ["pytorch", "nvidia", "conda-forge"]
    conda = {d.normalized: d for d in m.dependencies if d.kind == "conda"}
    assert {k: d.extra["pin"] for k, d in conda.items()} == {
        "python": "fuzzy", "pip": "none", "pytorch": "fuzzy", "pytorch-cuda": "fuzzy", "numpy": "exact",
        "cudatoolkit": "exact", "scipy": "range", "pandas": "none", "transformers": "exact",
        "libgcc-ng": "exact"}
    assert conda["pytorch"].extra["channel"] == "pytorch" and conda["pytorch"].specifier == "=2.1"
    assert conda["cudatoolkit"].version == "11.8.0" and conda["cudatoolkit"].extra["build"] == "h6a678d5_0"
    assert conda["transformers"].version == "4.38.2"
    assert (conda["pytorch"].line, conda["pytorch"].column) == (line_of(ENV, "pytorch::pytorch"), 5)
    pip = {d.normalized or d.url or d.local_path: d for d in m.dependencies if d.kind == "conda-pip"}
    assert set(pip) == {"accelerate", "peft", "git+https://github.com/huggingface/trl.git@main", ".",
                        "./plugins"}
    assert (pip["peft"].line, pip["peft"].column) == (line_of(ENV, "peft>=0.9"), 9)
    assert [d.normalized for d in m.included[0].dependencies] == ["datasets"]
    assert m.included[0].path == "requirements-pip.txt"
    sub = m.meta["pip"]
    assert [ix.kind for ix in sub.indexes] == ["extra-index-url"]


def test_rules(tmp_path: Path) -> None:
    (tmp_path / "requirements-pip.txt").write_text("datasets>=2\n")
    findings = check(load(tmp_path, "environment.yml", ENV))
    env = sorted((f.slug, f.line, f.level.label) for f in findings if f.path == "environment.yml")
    pip = ENV.splitlines().index("  - pip") + 1
    assert env == sorted([
        ("conda-fuzzy-pin", line_of(ENV, "python=3.11"), "low"),
        ("conda-unpinned", pip, "low"),
        ("conda-fuzzy-pin", line_of(ENV, "pytorch::pytorch"), "medium"),
        ("conda-fuzzy-pin", line_of(ENV, "pytorch-cuda"), "medium"),
        ("conda-unpinned", line_of(ENV, "scipy>=1.11"), "high"),
        ("conda-unpinned", line_of(ENV, "pandas"), "high"),
        ("extra-index-url", line_of(ENV, "--extra-index-url"), "high"),
        ("missing-hash", line_of(ENV, "accelerate=="), "low"),
        ("missing-hash", line_of(ENV, "peft>="), "low"),
        ("unpinned", line_of(ENV, "peft>="), "high"),
        ("missing-hash", line_of(ENV, "trl.git"), "low"),
        ("vcs-unpinned", line_of(ENV, "trl.git"), "high"),
        ("editable", line_of(ENV, "-e ./plugins"), "medium"),  # "-e ." is the project itself
        ("missing-hash", line_of(ENV, "-e ./plugins"), "low"),
        ("missing-hash", line_of(ENV, "-e ."), "low"),
    ])
    # the -r file of the pip block is read relative to the environment file and checked
    inc = sorted((f.slug, f.line, f.level.label) for f in findings if f.path == "requirements-pip.txt")
    assert inc == [("missing-hash", 1, "low"), ("unpinned", 1, "high")]


def test_pinned_env_with_hashes_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    env = f"""\
name: exported
channels:
  - conda-forge
dependencies:
  - python==3.11.8
  - pip==24.0
  - numpy=1.26.4=py311h64a7726_0
  - pip:
      - torch==2.2.1 --hash=sha256:{h('torch')}
"""
    rc, findings = run(tmp_path, monkeypatch, capsys, {"environment.yml": env}, ".")
    assert (rc, findings) == (0, [])


def test_channels_http_and_duplicates(tmp_path: Path) -> None:
    env = """\
channels:
  - http://conda.corp.example/channel
  - defaults
dependencies:
  - numpy==1.26.4
  - http://conda.corp.example/other::scipy==1.12.0
  - NumPy==1.26.3
"""
    got = triples(check(load(tmp_path, "environment.yaml", env)))
    assert got == [("insecure-transport", 2, "high"), ("insecure-transport", 6, "high"),
                   ("duplicate-name", 7, "high")]
    m = load(tmp_path, "environment.yaml", env)
    scipy = next(d for d in m.dependencies if d.normalized == "scipy")
    assert scipy.extra["channel"] == "http://conda.corp.example/other" and scipy.version == "1.12.0"


def test_pip_block_include_outside_tree_and_missing(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (tmp_path / "secret.txt").write_text("x==1\n")
    env = "dependencies:\n  - pip:\n    - -r ../secret.txt\n    - -r missing.txt\n    - -r https://example.org/r.txt\n"
    findings = check(load(project, "environment.yml", env))
    assert triples(findings) == [("unreadable-file", 3, "medium"), ("unreadable-file", 4, "medium"),
                                 ("unpinned", 5, "high")]
    assert "outside" in findings[0].message and "no such file" in findings[1].message


def test_wrong_shapes_are_problems(tmp_path: Path) -> None:
    env = """\
name: [not, a, name]
channels: conda-forge
dependencies:
  - numpy==1.26.4
  - {pip: "torch==2.2.0"}
  - [nested, list]
  - other: thing
  - "!!!"
  - numpy:1.2
"""
    findings = check(load(tmp_path, "environment.yml", env))
    assert triples(findings) == [("invalid-line", 2, "medium"), ("invalid-line", 5, "medium"),
                                 ("invalid-line", 6, "medium"), ("invalid-line", 7, "medium"),
                                 ("invalid-line", 8, "medium"), ("invalid-line", 9, "medium")]


def test_through_the_hook_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    rc, findings = run(tmp_path, monkeypatch, capsys, {"environment.yml": ENV,
                                                       "requirements-pip.txt": "datasets==2.18.0\n"},
                       "environment.yml", "--trusted-indexes", PYTORCH)
    assert rc == 1
    fuzzy = [f for f in findings if f["slug"] == "conda-fuzzy-pin" and f["severity"] == "medium"]
    assert [(f["line"], f["column"], f["id"]) for f in fuzzy] == [(line_of(ENV, "pytorch::pytorch"), 5, "MLW315"),
                                                                 (line_of(ENV, "pytorch-cuda"), 5, "MLW315")]
    assert json_triples(findings, "extra-index-url") == []


@pytest.mark.parametrize(("spec", "pin", "version"), [
    ("numpy", "none", None),
    ("numpy=1.26", "fuzzy", None),
    ("openssl=3", "fuzzy", None),
    ("numpy=1.26.*", "fuzzy", None),
    ("numpy 1.26.*", "fuzzy", None),
    ("numpy=1.26.4", "exact", "1.26.4"),
    ("tzdata=2023c", "exact", "2023c"),
    ("numpy==1.26.4", "exact", "1.26.4"),
    ("numpy==1.26.*", "fuzzy", None),
    ("numpy 1.26.4", "exact", "1.26.4"),
    ("numpy 1.26.4 py311h64a7726_0", "exact", "1.26.4"),
    ("pytorch=2.1.0=py3.11_cuda12.1_cudnn8.9.2_0", "exact", "2.1.0"),
    ("numpy>=1.24", "range", None),
    ("numpy>=1.24,<2", "range", None),
    ("numpy=1.24|1.25", "range", None),
    ("numpy[version='>=1.24']", "range", None),
    ("numpy[version='1.26.4',build=py311*]", "exact", "1.26.4"),
    ("conda-forge::numpy", "none", None),
    ("nvidia/label/cuda-12.1.0::cuda-toolkit=12.1", "fuzzy", None),
    ("_libgcc_mutex=0.1=main", "exact", "0.1"),
])
def test_match_spec_classification(spec: str, pin: str, version: str | None) -> None:
    from mlwarden.sources.conda import conda_dependency

    dep = conda_dependency(spec, "environment.yml", 1, 1)
    assert dep is not None
    assert (dep.extra["pin"], dep.version) == (pin, version)


@pytest.mark.parametrize("spec", ["", "::", "numpy:1.2", "-r", "numpy@1.2", "\"quoted\""])
def test_not_match_specs(spec: str) -> None:
    from mlwarden.sources.conda import conda_dependency

    assert conda_dependency(spec, "environment.yml", 1, 1) is None
