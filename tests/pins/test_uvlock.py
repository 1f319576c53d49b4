"""uv.lock: registry (PyPI and the PyTorch cu121 index), git, URL, path and editable sources; lock rules
positive and negative, line numbers, and the check end to end through the hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pins.manifest_helpers import COMMIT, PYTORCH, check, h, json_triples, line_of, load, run, triples

PYPROJECT = f"""\
[project]
name = "vision-train"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = [
    "torch==2.1.0+cu121",
    "numpy==1.26.4",
    "mylib",
]

[dependency-groups]
dev = ["pytest==8.2.0"]

[[tool.uv.index]]
name = "pytorch-cu121"
url = "{PYTORCH}"
explicit = true

[tool.uv.sources]
torch = {{ index = "pytorch-cu121" }}
mylib = {{ git = "https://github.com/org/mylib", rev = "{COMMIT}" }}
"""


def uv_lock(*, git_fragment: str = COMMIT, numpy_hashes: bool = True, http_url: bool = False,
            torch_index_pinned: bool = True) -> str:
    numpy_files = f"""\
sdist = {{ url = "https://files.pythonhosted.org/packages/numpy-1.26.4.tar.gz", hash = "sha256:{h('np-sdist')}", size = 15786129 }}
wheels = [
    {{ url = "https://files.pythonhosted.org/packages/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl", hash = "sha256:{h('np-whl')}", size = 18274071 }},
]
""" if numpy_hashes else ""
    scheme = "http" if http_url else "https"
    torch_meta = f', index = "{PYTORCH}"' if torch_index_pinned else ""
    return f"""\
version = 1
revision = 2
requires-python = ">=3.10"

[[package]]
name = "filelock"
version = "3.13.1"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files.pythonhosted.org/packages/filelock-3.13.1.tar.gz", hash = "sha256:{h('fl')}", size = 14553 }}
wheels = [
    {{ url = "https://files.pythonhosted.org/packages/filelock-3.13.1-py3-none-any.whl", hash = "sha256:{h('flw')}", size = 11740 }},
]

[[package]]
name = "localtools"
version = "0.0.1"
source = {{ directory = "../localtools" }}

[[package]]
name = "mylib"
version = "0.4.0"
source = {{ git = "https://github.com/org/mylib?rev=main#{git_fragment}" }}

[[package]]
name = "numpy"
version = "1.26.4"
source = {{ registry = "https://pypi.org/simple" }}
{numpy_files}
[[package]]
name = "pytest"
version = "8.2.0"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [
    {{ url = "https://files.pythonhosted.org/packages/pytest-8.2.0-py3-none-any.whl", hash = "sha256:{h('pt')}", size = 1 }},
]

[[package]]
name = "sentencepiece"
version = "0.2.0"
source = {{ url = "{scheme}://example.org/wheels/sentencepiece-0.2.0-cp311-cp311-linux_x86_64.whl" }}

[[package]]
name = "torch"
version = "2.1.0+cu121"
source = {{ registry = "{PYTORCH}" }}
dependencies = [
    {{ name = "filelock" }},
    {{ name = "numpy" }},
]
wheels = [
    {{ url = "{PYTORCH}/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl", hash = "sha256:{h('torch')}" }},
]

[[package]]
name = "vision-train"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [
    {{ name = "mylib" }},
    {{ name = "numpy" }},
    {{ name = "torch" }},
]

[package.dev-dependencies]
dev = [
    {{ name = "pytest" }},
]

[package.metadata]
requires-dist = [
    {{ name = "mylib", git = "https://github.com/org/mylib?rev=main" }},
    {{ name = "numpy", specifier = "==1.26.4" }},
    {{ name = "torch", specifier = "==2.1.0+cu121"{torch_meta} }},
]
"""


def test_reader_sources_hashes_graph_and_lines(tmp_path: Path) -> None:
    text = uv_lock()
    m = load(tmp_path, "uv.lock", text)
    assert m.format == "uv.lock" and m.is_lock and not m.problems
    deps = {d.normalized: d for d in m.dependencies}
    assert "vision-train" not in deps and m.meta["members"] == ["vision-train"]
    torch = deps["torch"]
    assert torch.version == "2.1.0+cu121" and torch.index == PYTORCH and torch.kind == "lock"
    assert torch.hashes == (f"sha256:{h('torch')}",)
    assert torch.depends_on == ("filelock", "numpy") and torch.direct
    assert torch.line == line_of(text, 'name = "torch"') - 1 and torch.column == 1
    assert deps["numpy"].hashes == (f"sha256:{h('np-sdist')}", f"sha256:{h('np-whl')}")
    mylib = deps["mylib"]
    assert (mylib.vcs, mylib.ref, mylib.commit) == ("git", "main", COMMIT)
    assert mylib.url == "git+https://github.com/org/mylib"
    assert deps["localtools"].local_path == "../localtools"
    assert deps["sentencepiece"].url is not None and deps["sentencepiece"].url.endswith(".whl")
    assert deps["pytest"].optional and deps["pytest"].group == "dev" and deps["pytest"].direct
    assert not deps["filelock"].direct and not deps["filelock"].optional
    assert m.meta["default_registry"] == "https://pypi.org/simple"


def test_lock_rules(tmp_path: Path) -> None:
    text = uv_lock(git_fragment="", numpy_hashes=False, http_url=True)
    findings = check(load(tmp_path, "uv.lock", text))
    got = triples(findings)
    assert ("lock-git-no-commit", line_of(text, 'name = "mylib"') - 1, "high") in got
    assert ("lock-no-hash", line_of(text, 'name = "numpy"') - 1, "high") in got
    sp = line_of(text, 'name = "sentencepiece"') - 1
    assert ("lock-no-hash", sp, "high") in got and ("insecure-transport", sp, "high") in got
    # the project pins torch to the PyTorch index ([tool.uv.sources], recorded in requires-dist): info
    assert ("lock-foreign-registry", line_of(text, 'name = "torch"') - 1, "info") in got
    assert ("local-path", line_of(text, 'name = "localtools"') - 1, "low") in got
    # never unpinned on a lock entry, never missing-hash (lock-no-hash covers it), nothing for the project
    assert not [f for f in findings if f.slug in ("unpinned", "missing-hash", "vcs-unpinned", "url-no-hash")]
    assert not [f for f in findings if "vision-train" in f.message]


def test_clean_lock_with_trusted_pytorch_index(tmp_path: Path) -> None:
    m = load(tmp_path, "uv.lock", uv_lock())
    findings = check(m, **{"trusted-indexes": [PYTORCH + "/"]})
    # only the URL wheel without a hash and the local directory remain
    assert sorted({f.slug for f in findings}) == ["local-path", "lock-no-hash"]
    assert [f.data["name"] for f in findings if f.slug == "lock-no-hash"] == ["sentencepiece"]


def test_foreign_registry_not_pinned_by_the_project_is_medium(tmp_path: Path) -> None:
    text = uv_lock(torch_index_pinned=False)
    findings = check(load(tmp_path, "uv.lock", text))
    assert triples(findings, "lock-foreign-registry") == [
        ("lock-foreign-registry", line_of(text, 'name = "torch"') - 1, "medium")]
    assert PYTORCH in findings[-1].message or any(PYTORCH in f.message for f in findings)


def test_insecure_registry_is_reported_per_entry(tmp_path: Path) -> None:
    text = uv_lock().replace('registry = "https://pypi.org/simple"', 'registry = "http://pypi.internal/simple"')
    findings = check(load(tmp_path, "uv.lock", text))
    lines = sorted(f.line for f in findings if f.slug == "insecure-transport")
    assert lines == sorted(line_of(text, f'name = "{n}"') - 1 for n in ("filelock", "numpy", "pytest"))


def test_git_source_short_commit_is_not_a_commit(tmp_path: Path) -> None:
    findings = check(load(tmp_path, "uv.lock", uv_lock(git_fragment=COMMIT[:12])))
    assert [f.slug for f in findings if f.data.get("name") == "mylib"] == ["lock-git-no-commit"]
    assert COMMIT[:12] in next(f.message for f in findings if f.slug == "lock-git-no-commit")


def test_mirror_as_default_registry(tmp_path: Path) -> None:
    """A lock resolved against a company mirror: the mirror is the default, PyPI entries are foreign."""
    mirror = "https://pypi.corp.example/simple"
    text = "version = 1\n" + "".join(
        f'\n[[package]]\nname = "p{i}"\nversion = "1.0"\nsource = {{ registry = "{mirror}" }}\n'
        f'wheels = [{{ url = "{mirror}/p{i}-1.0-py3-none-any.whl", hash = "sha256:{h(str(i))}" }}]\n'
        for i in range(3)) + (
        '\n[[package]]\nname = "stray"\nversion = "2.0"\nsource = { registry = "https://pypi.org/simple" }\n'
        f'wheels = [{{ url = "https://x/stray-2.0-py3-none-any.whl", hash = "sha256:{h("s")}" }}]\n')
    findings = check(load(tmp_path, "uv.lock", text))
    assert triples(findings) == [("lock-foreign-registry", line_of(text, 'name = "stray"') - 1, "medium")]


def test_through_the_hook_with_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    lock = uv_lock()
    rc, findings = run(tmp_path, monkeypatch, capsys, {"pyproject.toml": PYPROJECT, "uv.lock": lock,
                                                       "localtools/.keep": ""}, ".")
    assert rc == 1
    by_path: dict[str, list[Any]] = {}
    for f in findings:
        by_path.setdefault(f["path"], []).append((f["slug"], f["line"], f["severity"]))
    # pyproject: an application (no build-system): explicit pytorch index pinned through sources, git
    # source pinned to a commit; nothing to report
    assert by_path.get("pyproject.toml") is None
    assert ("lock-foreign-registry", line_of(lock, 'name = "torch"') - 1, "info") in by_path["uv.lock"]
    rc, findings = run(tmp_path, monkeypatch, capsys, {}, ".", "--trusted-indexes", PYTORCH)
    assert json_triples(findings, "lock-foreign-registry") == []
    assert all(f["path"] == "uv.lock" for f in findings)


def test_duplicate_identical_entries(tmp_path: Path) -> None:
    entry = ('\n[[package]]\nname = "six"\nversion = "1.16.0"\nsource = { registry = "https://pypi.org/simple" }\n'
             f'wheels = [{{ url = "https://x/six-1.16.0-py2.py3-none-any.whl", hash = "sha256:{h("six")}" }}]\n')
    forked = entry.replace("1.16.0", "1.15.0")
    text = "version = 1\n" + entry + forked + entry
    findings = check(load(tmp_path, "uv.lock", text))
    assert triples(findings) == [("duplicate-name", line_of(text, 'name = "six"', 3) - 1, "medium")]


def test_crlf_and_bom_keep_line_numbers(tmp_path: Path) -> None:
    text = uv_lock(numpy_hashes=False)
    m = load(tmp_path, "uv.lock", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert m.newline == "\r\n"
    numpy = next(d for d in m.dependencies if d.normalized == "numpy")
    assert numpy.line == line_of(text, 'name = "numpy"') - 1
