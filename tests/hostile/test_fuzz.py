"""Hypothesis fuzzing of every reader: manifests and lock files, pickles, zip directories, notebooks and
config. Whatever the bytes, no exception escapes: a reader raises only InputError (a finding or a
one-line error), a scanner returns findings, the config loader raises only ConfigError/InputError."""

from __future__ import annotations

import io
import json
import math
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlwarden.core.errors import InputError, MlwardenError

KEYS = ["package", "name", "version", "dependencies", "source", "cells", "cell_type", "default", "develop",
        "hashes", "markers", "tool", "project", "optional-dependencies", "dependency-groups", "packages",
        "wheels", "sdist", "url", "path", "git", "extras", "channels", "pip", "metadata", "files", "sha256",
        "hash", "requires-python", "mlwarden", "poetry", "group", "index", "editable", "ref", "rev",
        "content-hash", "lock-version", "requires-dist", "worksheets", "input", "nbformat", "suppress",
        "rule", "reason", "paths", "expires", "fail-on", "exclude", "check-pins", "scan-models"]

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
           | st.text(max_size=24) | st.sampled_from(["torch==2.0", "numpy", "==1.0", ">=1,<2", "*",
                                                     "git+https://x/y@main", "sha256:" + "0" * 64]))
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
    max_leaves=25)
tables = st.dictionaries(st.sampled_from(KEYS), documents, max_size=6)


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()
                               if x is not None) + "}"
    return '""'


def toml_doc(doc: dict[str, Any]) -> str:
    lines = []
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"[{json.dumps(k)}]")
            lines += [f"{json.dumps(str(k2))} = {toml_value(v2)}" for k2, v2 in v.items() if v2 is not None]
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for item in v:
                lines.append(f"[[{json.dumps(k)}]]")
                lines += [f"{json.dumps(str(k2))} = {toml_value(v2)}" for k2, v2 in item.items()
                          if v2 is not None]
        elif v is not None:
            lines.insert(0, f"{json.dumps(k)} = {toml_value(v)}")
    return "\n".join(lines) + "\n"


def mutate(data: bytes, seed: int) -> bytes:
    rnd = random.Random(seed)
    buf = bytearray(data)
    for _ in range(rnd.randint(0, 4)):
        if not buf:
            break
        i = rnd.randrange(len(buf))
        op = rnd.randint(0, 2)
        if op == 0:
            buf[i] = rnd.randrange(256)
        elif op == 1:
            del buf[i:i + rnd.randint(1, 8)]
        else:
            buf[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
    return bytes(buf)


def rendered(fmt: str) -> st.SearchStrategy[bytes]:
    def render(doc: dict[str, Any]) -> bytes:
        if fmt in ("json",):
            return json.dumps(doc).encode()
        if fmt == "yaml":
            return yaml.safe_dump(doc, allow_unicode=True).encode()
        if fmt == "toml":
            return toml_doc(doc).encode("utf-8", "surrogatepass")
        return "\n".join(f"{k}{'==' if i % 2 else ' @ '}{v}" for i, (k, v) in enumerate(doc.items())).encode(
            "utf-8", "surrogatepass")

    return st.builds(lambda doc, seed, raw: raw if seed % 7 == 0 else mutate(render(doc), seed),
                     tables, st.integers(0, 2**32), st.binary(max_size=200))


MANIFESTS = [("requirements.txt", "req"), ("pyproject.toml", "toml"), ("uv.lock", "toml"),
             ("poetry.lock", "toml"), ("pdm.lock", "toml"), ("pylock.toml", "toml"), ("Pipfile", "toml"),
             ("Pipfile.lock", "json"), ("environment.yml", "yaml")]

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


@pytest.mark.parametrize(("name", "fmt"), MANIFESTS)
def test_manifest_readers(tmp_path: Path, name: str, fmt: str) -> None:
    from mlwarden import sources

    @FUZZ
    @given(data=rendered(fmt))
    def one(data: bytes) -> None:
        path = tmp_path / name
        path.write_bytes(data)
        try:
            manifest = sources.read(path, name)
        except InputError:
            return
        for dep in manifest.all_dependencies():
            assert isinstance(dep.name, str)

    one()


def test_config_loader(tmp_path: Path) -> None:
    from mlwarden.cli import load_config_for

    @FUZZ
    @given(data=rendered("toml"))
    def one(data: bytes) -> None:
        (tmp_path / "mlwarden.toml").write_bytes(data)
        try:
            load_config_for(None, tmp_path)
        except MlwardenError:
            pass

    one()


def _pickle_bytes() -> st.SearchStrategy[bytes]:
    import pickle

    objects = st.recursive(st.none() | st.integers() | st.text(max_size=8) | st.binary(max_size=8),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c,
                                                                                max_size=3), max_leaves=10)
    return st.builds(lambda obj, proto, seed: mutate(pickle.dumps(obj, protocol=proto), seed), objects,
                     st.integers(0, 5), st.integers(0, 2**32)) | st.binary(max_size=300).map(lambda b: b"\x80\x04" + b)


def _zip_bytes() -> st.SearchStrategy[bytes]:
    def build(names: list[str], payloads: list[bytes], seed: int, method: int) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=method) as z:
            for n, p in zip(names, payloads, strict=False):
                z.writestr(n or "x", p)
        return mutate(buf.getvalue(), seed)

    return st.builds(build, st.lists(st.sampled_from(["data.pkl", "a/data.pkl", "../x", "version", "x.npy",
                                                      "model/config.json"]) | st.text(max_size=10), max_size=4),
                     st.lists(st.binary(max_size=64), max_size=4), st.integers(0, 2**32),
                     st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                      zipfile.ZIP_LZMA]))


@pytest.mark.parametrize(("name", "strategy"), [("m.pkl", _pickle_bytes()), ("m.pt", _zip_bytes()),
                                                ("m.pkl.gz", st.binary(max_size=200).map(lambda b: b"\x1f\x8b" + b))])
def test_model_scanner(tmp_path: Path, name: str, strategy: st.SearchStrategy[bytes]) -> None:
    from mlwarden.checks.models.scanner import Scanner

    scanner = Scanner()

    @FUZZ
    @given(data=strategy)
    def one(data: bytes) -> None:
        path = tmp_path / name
        path.write_bytes(data)
        _, findings = scanner.scan_file(path, name)
        assert all(f.path == name for f in findings)

    one()


def test_zip_directory_reader() -> None:
    from mlwarden.checks.models.containers import read_zip_directory
    from mlwarden.checks.models.scanner import Region

    @FUZZ
    @given(data=_zip_bytes())
    def one(data: bytes) -> None:
        try:
            read_zip_directory(Region(data, 0, len(data)), 1000)
        except ValueError:
            pass  # the documented way it says "not a zip directory"; the scanner reports it

    one()


def test_notebooks(tmp_path: Path) -> None:
    from mlwarden.checks.unsafe_loads import scan_file

    cells = st.lists(st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", 5]),
                                            "source": documents | st.lists(st.text(max_size=30), max_size=3)}),
                     max_size=4)
    notebooks = st.builds(lambda c, seed: mutate(json.dumps({"cells": c, "nbformat": 4}).encode(), seed),
                          cells, st.integers(0, 2**32)) | rendered("json")

    @FUZZ
    @given(data=notebooks)
    def one(data: bytes) -> None:
        path = tmp_path / "nb.ipynb"
        path.write_bytes(data)
        from mlwarden.checks.base import guard_file

        direct = guard_file("nb.ipynb", lambda: scan_file(path, "nb.ipynb", tmp_path))
        # the reader itself handles every shape: nothing reaches the generic guard
        assert not any("cannot parse (" in f.message for f in direct), direct

    one()
