"""pylock.toml (PEP 751): index, sdist/wheels hashes, vcs, archive, directory entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pins.manifest_helpers import COMMIT, PYTORCH, check, h, json_triples, line_of, load, run, triples


def pylock(commit: str = COMMIT, archive_hash: bool = True, numpy_hashes: bool = True) -> str:
    archive_hashes = f'hashes = {{sha256 = "{h("arch")}"}}' if archive_hash else ""
    np_hashes = f'hashes = {{sha256 = "{h("np")}"}}' if numpy_hashes else ""
    return f"""\
lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.11"
created-by = "uv"

[[packages]]
name = "numpy"
version = "1.26.4"
index = "https://pypi.org/simple"

[[packages.wheels]]
name = "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl"
url = "https://files.pythonhosted.org/packages/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl"
size = 18274071
{np_hashes}

[[packages]]
name = "requests"
version = "2.31.0"
index = "https://pypi.org/simple"
sdist = {{ name = "requests-2.31.0.tar.gz", url = "https://files.pythonhosted.org/requests-2.31.0.tar.gz", hashes = {{ sha256 = "{h('rq')}" }} }}

[[packages]]
name = "torch"
version = "2.1.0+cu121"
index = "{PYTORCH}"
wheels = [
    {{ name = "torch-2.1.0+cu121-cp311-cp311-linux_x86_64.whl", url = "{PYTORCH}/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl", hashes = {{ sha256 = "{h('torch')}" }} }},
]

[[packages]]
name = "clip"
version = "1.0"

[packages.vcs]
type = "git"
url = "https://github.com/openai/CLIP.git"
requested-revision = "main"
commit-id = "{commit}"

[[packages]]
name = "whisper"
version = "20231117"

[packages.archive]
url = "https://example.org/whisper-20231117.tar.gz"
{archive_hashes}

[[packages]]
name = "app"
[packages.directory]
path = "."
editable = true

[[packages]]
name = "plugins"
directory = {{ path = "./plugins", editable = true }}
"""


def test_reader(tmp_path: Path) -> None:
    text = pylock()
    m = load(tmp_path, "pylock.toml", text)
    assert m.format == "pylock" and m.is_lock and not m.problems
    by = {d.normalized: d for d in m.dependencies}
    assert by["numpy"].hashes == (f"sha256:{h('np')}",) and by["requests"].hashes == (f"sha256:{h('rq')}",)
    assert by["torch"].index == PYTORCH and by["torch"].line == line_of(text, 'name = "torch"') - 1
    assert (by["clip"].vcs, by["clip"].ref, by["clip"].commit) == ("git", "main", COMMIT)
    assert by["whisper"].url == "https://example.org/whisper-20231117.tar.gz" and by["whisper"].hashes
    assert by["app"].editable and by["app"].local_path == "."
    assert m.meta["default_registry"] == "https://pypi.org/simple"


def test_rules(tmp_path: Path) -> None:
    text = pylock(commit="", archive_hash=False, numpy_hashes=False)
    got = triples(check(load(tmp_path, "pylock.toml", text)))
    assert got == [
        ("lock-no-hash", line_of(text, 'name = "numpy"') - 1, "high"),
        ("lock-foreign-registry", line_of(text, 'name = "torch"') - 1, "medium"),
        ("lock-git-no-commit", line_of(text, 'name = "clip"') - 1, "high"),
        ("lock-no-hash", line_of(text, 'name = "whisper"') - 1, "high"),
        ("editable", line_of(text, 'name = "plugins"') - 1, "medium"),  # not for the project itself (app)
    ]


def test_named_pylock_through_the_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = pylock().replace('[[packages]]\nname = "plugins"\ndirectory = { path = "./plugins", editable = true }\n',
                            "")
    rc, findings = run(tmp_path, monkeypatch, capsys, {"pylock.gpu.toml": text}, ".",
                       "--trusted-indexes", PYTORCH)
    assert (rc, findings) == (0, [])
    rc, findings = run(tmp_path, monkeypatch, capsys, {}, ".")
    assert json_triples(findings) == [("lock-foreign-registry", line_of(text, 'name = "torch"') - 1, "medium")]
    assert findings[0]["path"] == "pylock.gpu.toml"


def test_missing_lock_version_is_reported(tmp_path: Path) -> None:
    findings = check(load(tmp_path, "pylock.toml", '[[packages]]\nname = "x"\nversion = "1"\n'))
    assert ("invalid-line", 1, "medium") in triples(findings)
