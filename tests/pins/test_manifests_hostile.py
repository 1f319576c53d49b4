"""Hostile and malformed pyproject / lock / Pipfile / conda files: syntax errors name the file (one line,
no traceback), every field replaced by every wrong type never raises, truncations, deep nesting, YAML
aliases and tags, huge files. Fixtures are generated from the well-formed files of the format tests."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlwarden.core.errors import InputError
from mlwarden.sources import read
from tests.pins.manifest_helpers import check, load, run
from tests.pins.test_conda import ENV
from tests.pins.test_pdmlock import pdm_lock
from tests.pins.test_pipfile import PIPFILE, pipfile_lock
from tests.pins.test_poetrylock import LOCK_V1, POETRY_PYPROJECT, lock_v2
from tests.pins.test_pylock import pylock
from tests.pins.test_pyproject import LIBRARY, UV
from tests.pins.test_uvlock import uv_lock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TOML_FILES = {
    "pyproject.toml": [LIBRARY, UV, POETRY_PYPROJECT],
    "uv.lock": [uv_lock()],
    "poetry.lock": [lock_v2(), LOCK_V1],
    "Pipfile": [PIPFILE],
    "pdm.lock": [pdm_lock()],
    "pylock.toml": [pylock()],
}


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(data: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in data.items())


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield (*prefix, k)
            yield from paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data[:3]):
            yield (*prefix, i)
            yield from paths(v, (*prefix, i))


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    clone: Any = dict(data) if isinstance(data, dict) else list(data)
    clone[path[0]] = replaced(data[path[0]], path[1:], value)
    return clone


WRONG = [7, "x", [], {}, True, [1, {"a": []}], {"name": 3, "version": [], "url": {}}]


def mutations(data: dict[str, Any]) -> Iterator[Any]:
    for p in list(paths(data))[:150]:
        for w in WRONG:
            yield replaced(data, p, w)


@pytest.mark.parametrize("name", sorted(TOML_FILES))
def test_toml_formats_every_field_every_wrong_type(tmp_path: Path, name: str) -> None:
    n = 0
    for text in TOML_FILES[name]:
        data = tomllib.loads(text)
        for mutated in mutations(data):
            m = load(tmp_path, name, to_toml(mutated))
            check(m)  # must not raise
            n += 1
    assert n > 100


def test_pipfile_lock_every_field_every_wrong_type(tmp_path: Path) -> None:
    data = json.loads(pipfile_lock())
    n = 0
    for mutated in [*mutations(data), [], "x", 3, None]:
        check(load(tmp_path, "Pipfile.lock", json.dumps(mutated)))
        n += 1
    assert n > 100


def test_conda_every_field_every_wrong_type(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(ENV)
    (tmp_path / "requirements-pip.txt").write_text("x==1\n")
    n = 0
    for mutated in [*mutations(data), [], "x", 3, None]:
        check(load(tmp_path, "environment.yml", json.dumps(mutated)))  # JSON is YAML
        n += 1
    assert n > 50


ALL = [(name, text) for name, texts in TOML_FILES.items() for text in texts] + [
    ("Pipfile.lock", pipfile_lock()), ("environment.yml", ENV)]


@pytest.mark.parametrize(("name", "text"), ALL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ALL)])
def test_truncations_parse_or_name_the_file(tmp_path: Path, name: str, text: str) -> None:
    data = text.encode()
    for cut in range(1, len(data), max(1, len(data) // 40)):
        try:
            check(load(tmp_path, name, data[:cut]))
        except InputError as exc:
            assert str(exc).startswith(f"{name}: ")
            assert "\n" not in str(exc)


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("uv.lock", '[[package]]\nname = "x"\nversion = 1.0.0\n', "invalid TOML"),
    ("pyproject.toml", "[project\nname = 'x'\n", "invalid TOML"),
    ("poetry.lock", "[[package]]\nname = 'a'\nname = 'b'\n", "invalid TOML"),
    ("Pipfile", "[packages]\nrequests = *\n", "invalid TOML"),
    ("pdm.lock", b"\xff\xfe\x00garbage", "binary"),
    ("pylock.toml", b"lock-version = '1.0'\n\xc3\x28\n", "not UTF-8"),
    ("Pipfile.lock", '{"default": {"a": }', "invalid JSON"),
    ("environment.yml", "dependencies:\n  - a\n - b: [\n", "invalid YAML"),
    ("environment.yml", "a: 1\n---\nb: 2\n", "invalid YAML"),
    ("uv.lock", "a = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML"),
    ("Pipfile.lock", "[" * 100000 + "]" * 100000, "invalid JSON"),
    ("Pipfile.lock", '{"default": {"a": {"version": ' + "1" * 5000 + "}}}", "invalid JSON"),
    ("Pipfile.lock", '{"default": {"\\ud800torch": {"version": "==1"}}}', "lone surrogate"),
    ("environment.yml", "a: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    ("environment.yml", "".join(" " * i + "- \n" for i in range(0, 1000, 2)), "nested"),
])
def test_malformed_is_one_line_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], name: str,
                                               content: str | bytes, needle: str) -> None:
    (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as exc:
        read(tmp_path / name, name)
    assert str(exc.value).startswith(f"{name}: ") and needle in str(exc.value)
    assert len(str(exc.value)) < 300
    rc, findings = run(tmp_path, monkeypatch, capsys, {}, name)
    assert rc == 1 and [(f["slug"], f["path"]) for f in findings] == [("unreadable-file", name)]


def test_yaml_aliases_and_tags_are_not_expanded_or_constructed(tmp_path: Path) -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    env = laughs + "dependencies:\n  - *i\n  - !!python/object/apply:os.system ['echo hacked']\n  - numpy==1.0\n"
    m = load(tmp_path, "environment.yml", env)
    assert [d.normalized for d in m.dependencies] == ["numpy"]
    assert len(m.problems) == 2
    assert not (tmp_path / "hacked").exists()


def test_huge_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "uv.lock"
    with p.open("wb") as fh:
        fh.write(b"# " + b"x" * (64 * 1024 * 1024) + b"\n")
    with pytest.raises(InputError, match="larger than 64 MiB"):
        read(p, "uv.lock")


def test_symlinked_pip_include_out_of_tree_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("leak==1\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "reqs.txt").symlink_to(outside / "secret.txt")
    m = load(proj, "environment.yml", "dependencies:\n  - pip:\n    - -r reqs.txt\n")
    assert m.included == [] and m.meta["pip"].meta["includes"][0]["status"] == "outside"


def test_large_generated_lock_is_fast_enough(tmp_path: Path) -> None:
    entries = "".join(
        f'\n[[package]]\nname = "pkg{i}"\nversion = "1.{i}.0"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
        f'wheels = [{{ url = "https://files/pkg{i}-1.{i}.0-py3-none-any.whl", hash = "sha256:{i:064x}" }}]\n'
        for i in range(3000))
    m = load(tmp_path, "uv.lock", "version = 1\n" + entries)
    assert len(m.dependencies) == 3000 and m.dependencies[-1].line is not None
    assert check(m) == []


def test_many_unlocatable_entries_stay_linear(tmp_path: Path) -> None:
    """Escaped strings cannot be found verbatim in the text: their lookups must not rescan the file
    (a quadratic scan would make this test run for many minutes)."""
    deps = ",\n".join(f'    "p\\u0061kg{i}>=1"' for i in range(20000))
    poetry = "".join(f'"dep-{i}" = "^1.{i}"\n' for i in range(20000))
    text = (f'[project]\nname = "x"\ndependencies = [\n{deps}\n]\n\n[tool.poetry.dependencies]\n{poetry}')
    m = load(tmp_path, "pyproject.toml", text)
    assert len(m.dependencies) == 40000
    assert m.dependencies[0].line == 3  # not found verbatim: the array's key line
    assert m.dependencies[-1].line == text.count("\n")


@pytest.mark.parametrize(("name", "content"), [
    ("Pipfile", '[packages]\n"evil\\n::error file=x::pwned" = "*"\n'),
    ("pyproject.toml", '[project]\nname = "x"\ndependencies = ["a @ https://x.example/\\u001b[2Ja.whl"]\n'),
    ("uv.lock", '[[package]]\nname = "torch\\u202e"\nversion = "1"\nsource = { registry = "https://pypi.org/simple" }\n'),
    ("poetry.lock", '[[package]]\nname = "x"\nversion = "1"\n[package.source]\ntype = "legacy"\n'
                    'url = "https://a\\r\\n::warning::x"\nreference = "r"\n'),
    ("Pipfile.lock", '{"_meta": {"sources": [{"url": "https://a\\u2028b", "name": "x"}]}, "default": {}}'),
    ("environment.yml", 'channels:\n  - "https://c\\u0007h"\ndependencies:\n  - "numpy=1.2\\u202e"\n'),
])
def test_control_and_bidi_characters_never_reach_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str], name: str,
                                                            content: str) -> None:
    (tmp_path / name).write_text(content)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    from mlwarden_hooks.check_pins import main

    rc = main([name])
    out = capsys.readouterr().out
    assert rc == 1 and "contains control or bidirectional characters" in out
    lines = out.splitlines()
    assert lines[-1].startswith("mlwarden: ") and " in check-pins " in lines[-1]  # the summary line
    assert all(line.startswith(f"{name}:") for line in lines[:-1])
    assert not any(ch in out for ch in "\x1b\x07\r\u202e\u2028")


@pytest.mark.parametrize(("name", "text"), ALL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ALL)])
def test_random_byte_mutations_never_raise_anything_but_input_error(tmp_path: Path, name: str, text: str) -> None:
    """Seeded byte-level mutations (flip, delete, duplicate, insert structural characters)."""
    import random

    rng = random.Random(f"{name}:{len(text)}")
    data = text.encode()
    tokens = [b"[", b"]", b"{", b"}", b'"', b"'", b"=", b"\n", b"[[package]]\n", b"- ", b":", b"\\", b"\x00",
              b"\xff", b"::", b"#", b",", b"- pip:\n  - "]
    readable = 0
    for _ in range(300):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            op = rng.randrange(4)
            if op == 0:
                b[i] = rng.randrange(256)
            elif op == 1:
                del b[i:i + rng.randint(1, 40)]
            elif op == 2:
                b[i:i] = b[i:i + rng.randint(1, 80)]
            else:
                b[i:i] = rng.choice(tokens)
        try:
            check(load(tmp_path, name, bytes(b)))
            readable += 1
        except InputError as exc:
            assert str(exc).startswith(f"{name}: ") and "\n" not in str(exc)
    assert readable > 0
