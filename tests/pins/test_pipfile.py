"""Pipfile and Pipfile.lock (two sources: PyPI and the PyTorch index), sources, verify_ssl, git/editable/
path entries, hashes, and the check through the hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pins.manifest_helpers import COMMIT, PYTORCH, check, h, json_triples, line_of, load, run, triples

PIPFILE = f"""\
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[[source]]
url = "{PYTORCH}"
verify_ssl = true
name = "pytorch"

[packages]
requests = "*"
numpy = "==1.26.4"
torch = {{version = "==2.1.0", index = "pytorch"}}
transformers = {{git = "https://github.com/huggingface/transformers.git", ref = "main"}}
mytool = {{path = ".", editable = true}}
shared = {{path = "../shared", editable = true}}
"Pillow" = ">=10"

[dev-packages]
pytest = "==8.2.0"

[requires]
python_version = "3.11"
"""


def test_pipfile_reader_and_rules(tmp_path: Path) -> None:
    m = load(tmp_path, "Pipfile", PIPFILE)
    assert m.format == "Pipfile" and not m.is_lock and not m.problems
    assert [(ix.kind, ix.name, ix.line) for ix in m.indexes] == [
        ("index-url", "pypi", 2), ("extra-index", "pytorch", line_of(PIPFILE, f'url = "{PYTORCH}"'))]
    by = {d.normalized: d for d in m.dependencies}
    assert by["torch"].index == PYTORCH and by["torch"].version == "2.1.0"
    assert by["transformers"].url == "git+https://github.com/huggingface/transformers.git"
    assert by["pillow"].line == line_of(PIPFILE, '"Pillow"') and by["pytest"].group == "dev"
    got = triples(check(m))
    assert got == [
        ("extra-index", line_of(PIPFILE, f'url = "{PYTORCH}"'), "medium"),
        ("unpinned", line_of(PIPFILE, "requests ="), "low"),
        ("vcs-unpinned", line_of(PIPFILE, "transformers ="), "high"),
        ("editable", line_of(PIPFILE, "shared ="), "medium"),  # not for the project itself (mytool)
        ("unpinned", line_of(PIPFILE, '"Pillow"'), "low"),
    ]


def test_pipfile_ssl_search_all_sources_and_http(tmp_path: Path) -> None:
    text = PIPFILE.replace(f'url = "{PYTORCH}"\nverify_ssl = true', 'url = "http://pkgs.local/simple"\nverify_ssl = false')
    text += "\n[pipenv]\ninstall_search_all_sources = true\n"
    findings = check(load(tmp_path, "Pipfile", text))
    src = line_of(text, "http://pkgs.local")
    assert [t for t in triples(findings) if t[1] == src] == [
        ("insecure-transport", src, "high"), ("extra-index", src, "high"), ("ssl-verify-disabled", src, "high")]


def pipfile_lock(ref: str = COMMIT, torch_hashes: bool = True) -> str:
    data = {
        "_meta": {
            "hash": {"sha256": h("meta")},
            "pipfile-spec": 6,
            "requires": {"python_version": "3.11"},
            "sources": [
                {"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True},
                {"name": "pytorch", "url": PYTORCH, "verify_ssl": True},
            ],
        },
        "default": {
            "numpy": {"hashes": [f"sha256:{h('np')}"], "index": "pypi", "markers": "python_version >= '3.9'",
                      "version": "==1.26.4"},
            "torch": {"hashes": [f"sha256:{h('torch')}"] if torch_hashes else [], "index": "pytorch",
                      "version": "==2.1.0+cu121"},
            "transformers": {"git": "https://github.com/huggingface/transformers.git", "ref": ref},
            "mytool": {"editable": True, "path": "."},
            "shared": {"editable": True, "path": "../shared"},
        },
        "develop": {
            "pytest": {"hashes": [f"sha256:{h('pt')}"], "index": "pypi", "version": "==8.2.0"},
        },
    }
    return json.dumps(data, indent=4, sort_keys=True) + "\n"


def test_pipfile_lock_reader(tmp_path: Path) -> None:
    text = pipfile_lock()
    m = load(tmp_path, "Pipfile.lock", text)
    assert m.format == "Pipfile.lock" and m.is_lock and not m.problems
    by = {d.normalized: d for d in m.dependencies}
    assert by["torch"].version == "2.1.0+cu121" and by["torch"].index == PYTORCH
    assert by["torch"].line == line_of(text, '"torch": {') and by["torch"].column == 9
    assert by["transformers"].commit == COMMIT and by["mytool"].editable
    assert by["pytest"].group == "dev" and by["pytest"].optional
    assert by["pytest"].line == line_of(text, '"pytest": {')
    assert [ix.kind for ix in m.indexes] == ["index-url", "extra-index"]


def test_pipfile_lock_rules(tmp_path: Path) -> None:
    text = pipfile_lock(ref="main", torch_hashes=False)
    got = triples(check(load(tmp_path, "Pipfile.lock", text)))
    torch = line_of(text, '"torch": {')
    assert sorted(got) == sorted([
        ("extra-index", line_of(text, PYTORCH), "medium"),
        ("lock-no-hash", torch, "high"),
        ("lock-foreign-registry", torch, "info"),  # the Pipfile pins torch to that source (index key)
        ("lock-git-no-commit", line_of(text, '"transformers": {'), "high"),
        ("editable", line_of(text, '"shared": {'), "medium"),
    ])


def test_pipfile_lock_clean_when_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(pipfile_lock())
    del data["default"]["shared"]  # the project's own "-e ." (mytool) stays: not a third-party dependency
    lock = json.dumps(data, indent=4)
    rc, findings = run(tmp_path, monkeypatch, capsys, {"Pipfile.lock": lock}, "Pipfile.lock",
                       "--trusted-indexes", PYTORCH)
    assert (rc, findings) == (0, [])
    rc, findings = run(tmp_path, monkeypatch, capsys, {}, "Pipfile.lock")
    assert rc == 1 and {f["slug"] for f in findings} == {"extra-index", "lock-foreign-registry"}
    assert json_triples(findings, "lock-foreign-registry")[0][1] == line_of(lock, '"torch": {')


def test_pipfile_lock_wrong_types(tmp_path: Path) -> None:
    data = json.loads(pipfile_lock())
    data["default"]["numpy"]["hashes"] = "sha256:abc"
    data["default"]["torch"] = ["not", "an", "object"]
    data["develop"] = 5
    data["_meta"]["sources"] = [{"url": 3}, "x"]
    findings = check(load(tmp_path, "Pipfile.lock", json.dumps(data, indent=2)))
    problems = [f.message for f in findings if f.slug == "invalid-line"]
    assert problems == [
        "'develop' should be an object, not an integer",
        "_meta.sources entry url should be a string, not an integer",
        "_meta.sources entry should be an object, not a string",
        "default.numpy: hashes should be an array, not a string; ignored",
        "default.numpy: index 'pypi' is not one of _meta.sources",
        "default.torch should be an object, not an array",
    ]


def test_insecure_source_reported_once_at_its_declaration(tmp_path: Path) -> None:
    text = pipfile_lock().replace(PYTORCH, "http://download.pytorch.org/whl/cu121")
    findings = check(load(tmp_path, "Pipfile.lock", text), **{"trusted-indexes": ["http://download.pytorch.org/whl"]})
    assert triples(findings, "insecure-transport") == [
        ("insecure-transport", line_of(text, "http://download.pytorch.org"), "high")]
