"""pyproject.toml: PEP 621 dependencies and extras, PEP 735 dependency groups, [tool.uv] indexes and
sources, Poetry tables, PDM sources; library vs application severities; line and column numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pins.manifest_helpers import COMMIT, PYTORCH, check, json_triples, line_of, load, run, triples

LIBRARY = """\
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "tiny-diffusion"
version = "0.3.1"
description = \"\"\"A small diffusion library.
[tool.not-a-table]
dependencies = ["fake==1"]
\"\"\"
requires-python = ">=3.10"
dependencies = [
    "torch>=2.1",
    "numpy>=1.24,<2",
    'safetensors',
    "einops==0.7.0",
    "clip @ git+https://github.com/openai/CLIP.git@main",
    "openai-whisper @ https://example.org/whisper-20231117.tar.gz",
]

[project.optional-dependencies]
train = ["accelerate>=0.27", "wandb"]
hub = ["huggingface-hub @ git+https://github.com/huggingface/huggingface_hub@COMMIT"]

[dependency-groups]
test = ["pytest>=8", "pytest-cov"]
dev = [{include-group = "test"}, "ruff==0.4.1"]
""".replace("@COMMIT", "@" + COMMIT)


def test_library_reader_lines_columns_groups(tmp_path: Path) -> None:
    m = load(tmp_path, "pyproject.toml", LIBRARY)
    assert m.format == "pyproject" and m.is_library and not m.problems
    by = {d.normalized: d for d in m.dependencies}
    assert "fake" not in by  # inside a multi-line string
    assert (by["torch"].line, by["torch"].column) == (line_of(LIBRARY, '"torch>=2.1"'), 5)
    assert by["safetensors"].line == line_of(LIBRARY, "'safetensors'")
    assert (by["wandb"].line, by["wandb"].group, by["wandb"].optional) == (line_of(LIBRARY, "train ="),
                                                                          "train", True)
    assert by["wandb"].column == LIBRARY.splitlines()[by["wandb"].line - 1].index('"wandb"') + 1
    assert by["clip"].vcs == "git" and by["clip"].ref == "main"
    assert by["openai-whisper"].url == "https://example.org/whisper-20231117.tar.gz"
    assert by["huggingface-hub"].ref == COMMIT
    assert by["ruff"].group == "dev" and by["pytest"].group == "test"
    assert m.meta["group_includes"] == [{"group": "dev", "include": "test", "line": line_of(LIBRARY, "dev = [")}]
    assert all(d.kind == "pyproject" for d in m.dependencies)


def test_library_severities(tmp_path: Path) -> None:
    findings = check(load(tmp_path, "pyproject.toml", LIBRARY))
    got = triples(findings)
    # ranges in a library are informational; VCS and URL problems still matter
    assert ("unpinned", line_of(LIBRARY, '"torch>=2.1"'), "info") in got
    assert ("unpinned", line_of(LIBRARY, "'safetensors'"), "info") in got
    assert ("vcs-unpinned", line_of(LIBRARY, "clip @"), "high") in got
    assert ("url-no-hash", line_of(LIBRARY, "openai-whisper @"), "high") in got
    assert not [f for f in findings if f.slug == "missing-hash"]  # pyproject cannot carry hashes
    assert not [f for f in findings if f.data.get("name") in ("einops", "huggingface-hub", "ruff")]
    assert {f.level.label for f in findings if f.slug == "unpinned"} == {"info"}


def test_application_severities(tmp_path: Path) -> None:
    app = LIBRARY.replace('[build-system]\nrequires = ["hatchling>=1.21"]\nbuild-backend = "hatchling.build"\n', "")
    m = load(tmp_path, "pyproject.toml", app)
    assert not m.is_library
    assert {f.level.label for f in check(m) if f.slug == "unpinned"} == {"low"}
    # [tool.uv] package = false marks an application even with a build-system
    m = load(tmp_path, "pyproject.toml", LIBRARY + "\n[tool.uv]\npackage = false\n")
    assert not m.is_library
    m = load(tmp_path, "pyproject.toml", LIBRARY + "\n[tool.poetry]\npackage-mode = false\n")
    assert not m.is_library


def test_duplicates_per_list(tmp_path: Path) -> None:
    text = """\
[project]
name = "x"
version = "1"
dependencies = [
    "Pillow==10.2.0",
    "requests==2.31.0",
    "pillow==10.2.0",
    "requests==2.32.0; python_version >= '3.12'",
]

[project.optional-dependencies]
img = ["pillow==10.2.0"]
"""
    findings = check(load(tmp_path, "pyproject.toml", text))
    # same marker only; an extra is a separate list
    assert triples(findings) == [("duplicate-name", line_of(text, '"pillow==10.2.0"'), "medium")]


UV = f"""\
[project]
name = "serve"
version = "0.1.0"
dependencies = ["torch==2.2.1", "vllm==0.4.0", "internal-tokenizer==1.4.0", "flash-attn==2.5.6",
  "local-kernels"]

[tool.uv]
dev-dependencies = ["pytest==8.1.1"]
index-url = "https://pypi.corp.example/simple"
extra-index-url = ["http://mirror.local/simple"]
find-links = ["https://wheels.corp.example/"]

[[tool.uv.index]]
name = "pytorch-cu121"
url = "{PYTORCH}"
explicit = true

[[tool.uv.index]]
name = "internal"
url = "https://pkgs.corp.example/simple"

[tool.uv.sources]
torch = {{ index = "pytorch-cu121" }}
flash-attn = {{ url = "https://github.com/Dao-AILab/flash-attention/releases/download/v2.5.6/flash_attn-2.5.6-cp311-cp311-linux_x86_64.whl" }}
vllm = {{ git = "https://github.com/vllm-project/vllm", tag = "v0.4.0" }}
local-kernels = {{ path = "kernels", editable = true }}
"""


def test_uv_indexes_and_sources(tmp_path: Path) -> None:
    m = load(tmp_path, "pyproject.toml", UV)
    kinds = [(ix.kind, ix.name, ix.line) for ix in m.indexes]
    assert kinds == [("index-url", None, line_of(UV, "index-url =")),
                     ("extra-index", None, line_of(UV, "extra-index-url =")),
                     ("find-links", None, line_of(UV, "find-links =")),
                     ("source", "pytorch-cu121", line_of(UV, f'url = "{PYTORCH}"')),
                     ("extra-index", "internal", line_of(UV, 'url = "https://pkgs.corp'))]
    by = {d.normalized: d for d in m.dependencies}
    assert by["torch"].index == PYTORCH and by["torch"].version == "2.2.1"
    assert by["vllm"].vcs == "git" and by["vllm"].ref == "v0.4.0" and by["vllm"].version is None
    assert by["flash-attn"].url is not None and by["local-kernels"].editable
    assert by["local-kernels"].line == line_of(UV, '"local-kernels"')
    assert by["pytest"].group == "dev"

    got = triples(check(m))
    assert ("index-url", line_of(UV, "index-url ="), "medium") in got
    assert ("extra-index", line_of(UV, "extra-index-url ="), "medium") in got
    assert ("insecure-transport", line_of(UV, "extra-index-url ="), "high") in got
    assert ("find-links", line_of(UV, "find-links ="), "medium") in got
    assert ("extra-index", line_of(UV, 'url = "https://pkgs.corp'), "medium") in got
    assert ("vcs-unpinned", line_of(UV, '"vllm==0.4.0"'), "high") in got
    assert ("url-no-hash", line_of(UV, '"flash-attn==2.5.6"'), "high") in got
    assert ("editable", line_of(UV, '"local-kernels"'), "medium") in got
    assert not [t for t in got if t[0] == "unpinned"]  # every entry is pinned or special
    assert not [t for t in got if t[1] == line_of(UV, f'url = "{PYTORCH}"')]  # explicit index


def test_uv_unsafe_index_strategy_is_high_and_trust_silences(tmp_path: Path) -> None:
    text = UV.replace("[tool.uv]\n", '[tool.uv]\nindex-strategy = "unsafe-best-match"\n')
    findings = check(load(tmp_path, "pyproject.toml", text))
    assert {f.level.label for f in findings if f.slug == "extra-index"} == {"high"}
    trusted = ["https://pkgs.corp.example/simple", "https://pypi.corp.example/simple",
               "http://mirror.local/simple", "https://wheels.corp.example"]
    findings = check(load(tmp_path, "pyproject.toml", text), **{"trusted-indexes": trusted})
    assert [f.slug for f in findings if f.slug in ("extra-index", "index-url", "find-links")] == []
    # trust never hides plain http
    assert [f.slug for f in findings if f.line == line_of(text, "extra-index-url =")] == ["insecure-transport"]


def test_uv_unknown_index_name_is_a_problem(tmp_path: Path) -> None:
    text = '[project]\nname = "a"\ndependencies = ["torch==2.2.0"]\n\n[tool.uv.sources]\ntorch = { index = "nope" }\n'
    findings = check(load(tmp_path, "pyproject.toml", text))
    assert triples(findings) == [("invalid-line", 6, "medium")]
    assert "'nope'" in findings[0].message


def test_pdm_sources(tmp_path: Path) -> None:
    text = """\
[project]
name = "app"
dependencies = ["requests==2.31.0"]

[[tool.pdm.source]]
name = "private"
url = "https://pkgs.corp.example/simple"
verify_ssl = false

[[tool.pdm.source]]
name = "torch"
url = "https://download.pytorch.org/whl/cpu"
include_packages = ["torch", "torchvision"]

[tool.pdm.dev-dependencies]
lint = ["ruff>=0.4"]
"""
    findings = check(load(tmp_path, "pyproject.toml", text))
    url = line_of(text, "pkgs.corp.example")
    assert triples(findings) == [("extra-index", url, "high"), ("ssl-verify-disabled", url, "high"),
                                 ("unpinned", line_of(text, "ruff>=0.4"), "low")]
    text2 = text.replace("[tool.pdm.dev", "[tool.pdm.resolution]\nrespect-source-order = true\n\n[tool.pdm.dev")
    assert [f.level.label for f in check(load(tmp_path, "pyproject.toml", text2)) if f.slug == "extra-index"] \
        == ["medium"]


def test_poetry_sources_priorities(tmp_path: Path) -> None:
    text = """\
[tool.poetry]
name = "svc"

[tool.poetry.dependencies]
python = "^3.11"
numpy = "1.26.4"
scipy = "1.12.*"
tool = [
    { version = "1.0.0", python = "<3.12" },
    { version = "1.1.0", python = ">=3.12" },
]

[tool.poetry.dependencies.pandas]
version = "^2.2"

[[tool.poetry.source]]
name = "mirror"
url = "https://mirror.corp.example/simple"
priority = "primary"

[[tool.poetry.source]]
name = "second"
url = "https://second.corp.example/simple"

[[tool.poetry.source]]
name = "old"
url = "https://old.corp.example/simple"
secondary = true
"""
    m = load(tmp_path, "pyproject.toml", text)
    by = {d.normalized: d for d in m.dependencies if d.normalized != "tool"}
    assert by["numpy"].version == "1.26.4" and by["numpy"].specifier == "==1.26.4"
    assert by["scipy"].version is None and by["pandas"].line == line_of(text, "[tool.poetry.dependencies.pandas]")
    assert [d.line for d in m.dependencies if d.normalized == "tool"] == [line_of(text, "tool = [")] * 2
    got = triples(check(m))
    assert got == [
        ("unpinned", line_of(text, "scipy ="), "low"),
        ("unpinned", line_of(text, "[tool.poetry.dependencies.pandas]"), "low"),
        ("index-url", line_of(text, "mirror.corp"), "medium"),  # the first primary source replaces PyPI
        ("extra-index", line_of(text, "second.corp"), "medium"),
        ("extra-index", line_of(text, "old.corp"), "high"),
    ]


def test_through_the_hook_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    rc, findings = run(tmp_path, monkeypatch, capsys, {"pyproject.toml": LIBRARY}, ".", "--fail-on", "high")
    assert rc == 1
    assert ("vcs-unpinned", line_of(LIBRARY, "clip @"), "high") in json_triples(findings)
    rc, findings = run(tmp_path, monkeypatch, capsys, {"pyproject.toml": LIBRARY.replace("@main", "@" + COMMIT)
                       .replace('"openai-whisper @ https://example.org/whisper-20231117.tar.gz",', "")},
                       ".", "--fail-on", "high")
    assert rc == 0 and {f["severity"] for f in findings} == {"info"}


def test_uv_constraints_and_overrides_are_read(tmp_path: Path) -> None:
    text = """\
[project]
name = "app"
dependencies = []

[tool.uv]
constraint-dependencies = ["grpcio<1.65"]
override-dependencies = ["protobuf @ http://mirror.local/protobuf-4.25.3.tar.gz"]
"""
    got = triples(check(load(tmp_path, "pyproject.toml", text)))
    assert got == [("unpinned", 6, "low"), ("url-no-hash", 7, "high"), ("insecure-transport", 7, "high")]


def test_poetry2_source_enrichment_is_not_a_second_declaration(tmp_path: Path) -> None:
    text = f"""\
[project]
name = "app"
version = "0.1.0"
dependencies = ["torch==2.2.1", "numpy>=1.26"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
torch = {{ source = "pytorch" }}
numpy = {{ markers = "sys_platform == 'linux'" }}

[[tool.poetry.source]]
name = "pytorch"
url = "{PYTORCH}"
priority = "explicit"
"""
    m = load(tmp_path, "pyproject.toml", text)
    assert [(d.normalized, d.line, d.index) for d in m.dependencies] == [
        ("torch", 4, PYTORCH), ("numpy", 4, None)]
    assert triples(check(m)) == [("unpinned", 4, "low")]


def test_build_requires_urls_and_refs_but_not_ranges(tmp_path: Path) -> None:
    text = """\
[build-system]
requires = [
    "setuptools>=68",
    "wheel",
    "cmake-helper @ git+https://github.com/org/cmake-helper@main",
    "torch @ http://mirror.local/torch-2.2.0-cp311-linux_x86_64.whl",
]
build-backend = "setuptools.build_meta"

[project]
name = "ext"
version = "1.0"
"""
    m = load(tmp_path, "pyproject.toml", text)
    assert m.dependencies == [] and [d.normalized for d in m.meta["build_requires"]] == [
        "setuptools", "wheel", "cmake-helper", "torch"]
    assert triples(check(m)) == [("vcs-unpinned", 5, "high"), ("url-no-hash", 6, "high"),
                                 ("insecure-transport", 6, "high")]
