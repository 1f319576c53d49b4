"""Every evaluator is bounded: constant folding, deep nesting, big headers and records."""

from __future__ import annotations

import json
import struct

import pytest

from tests.hostile.conftest import Repo
from tests.hostile.harness import assert_no_traceback

MEMORY = 512 << 20  # a two-line file must never need more

FOLDING: dict[str, str] = {
    "percent-width": "import torch\np = '%2000000000s' % 'x'\ntorch.load(p)\n",
    "format-width": "import torch\np = '{:>2000000000}'.format('x')\ntorch.load(p)\n",
    "format-nested-width": "import torch\np = '{:{w}}'.format('x', w=2000000000)\ntorch.load(p)\n",
    "fstring-width": "import torch\nw = 2000000000\np = f'{\"x\":{w}}'\ntorch.load(p)\n",
    "concat-fanout": "import torch\na0 = 'x' * 1\n" + "a0 = '" + "x" * 4096 + "'\n" + "".join(
        f"a{i} = a{i - 1} + a{i - 1} + a{i - 1} + a{i - 1}\n" for i in range(1, 11)) + "torch.load(a10)\n",
    "percent-fanout": "import torch\na0 = '" + "x" * 4096 + "'\n" + "".join(
        f"a{i} = '%s%s%s%s' % (a{i - 1}, a{i - 1}, a{i - 1}, a{i - 1})\n" for i in range(1, 11)) +
        "torch.load(a10)\n",
    "format-fanout": "import torch\na0 = '" + "x" * 4096 + "'\n" + "".join(
        f"a{i} = '{{0}}{{0}}{{0}}{{0}}'.format(a{i - 1})\n" for i in range(1, 13)) + "torch.load(a12)\n",
    "fstring-fanout": "import torch\na0 = '" + "x" * 4096 + "'\n" + "".join(
        f"a{i} = f'{{a{i - 1}}}{{a{i - 1}}}{{a{i - 1}}}{{a{i - 1}}}'\n" for i in range(1, 11)) +
        "torch.load(a10)\n",
    "mult": "import torch\np = 'x' * 2000000000\ntorch.load(p)\n",
    "many-refs": "import torch\na = '" + "x" * 4096 + "'\np = '" + "{0}" * 200000 + "'.format(a)\ntorch.load(p)\n",
}


@pytest.mark.parametrize("case", sorted(FOLDING))
def test_constant_folding_is_bounded(repo: Repo, case: str) -> None:
    repo.write("bomb.py", FOLDING[case])
    res = repo.run(["check-unsafe-loads", "--fail-on", "high", "."], memory=MEMORY, timeout=20)
    assert_no_traceback(res)
    assert res.rc in (0, 1), str(res)
    # the torch.load is still reported, and the file was analysed (not given up as unreadable)
    assert "bomb.py" in res.out and "torch.load" in res.out and "MLW002" not in res.out, str(res)
    assert res.seconds < 10, str(res)


DEEP: dict[str, tuple[str, bytes]] = {
    "python-binop": ("deep.py", b"import pickle\nx = " + b"1+" * 100000 + b"1\npickle.loads(x)\n"),
    "python-parens": ("deep2.py", b"import pickle\nx = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n"),
    "python-lists": ("deep3.py", b"x = " + b"[" * 100000 + b"]" * 100000 + b"\n"),
    "python-calls": ("deep4.py", b"import pickle\nx = " + b"f(" * 50000 + b")" * 50000 + b"\n"),
    "notebook-json": ("deep.ipynb", b"{\"cells\": " + b"[" * 100000 + b"]" * 100000 + b"}"),
    "pyproject-arrays": ("pyproject.toml", b"[project]\nname = \"x\"\ndependencies = " + b"[" * 10000 +
                         b"]" * 10000 + b"\n"),
    "uv-lock-arrays": ("uv.lock", b"version = 1\n[[package]]\nname = \"x\"\nv = " + b"[" * 10000 + b"]" * 10000
                       + b"\n"),
    "pipfile-lock-json": ("Pipfile.lock", b"{\"default\": " + b"[" * 100000 + b"]" * 100000 + b"}"),
    "environment-yaml": ("environment.yml", b"dependencies: " + b"[" * 10000 + b"]" * 10000 + b"\n"),
    "environment-yaml-block": ("environment.yml", b"".join(b" " * i + b"- \n" for i in range(0, 20000, 2))),
    "config-json": ("config.json", b"{\"a\": " + b"[" * 100000 + b"]" * 100000 + b"}"),
    "requirements-includes": ("requirements.txt", b"-r requirements.txt\n-r requirements.txt\ntorch\n"),
}


@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_nesting_is_a_finding_not_a_crash(repo: Repo, case: str) -> None:
    name, data = DEEP[case]
    repo.write(name, data)
    res = repo.run(["scan", "--fail-on", "high", "."], memory=1 << 30, timeout=30)
    assert_no_traceback(res)
    assert res.rc == 1, str(res)
    assert "evil.pkl" in res.out


def _safetensors(header_len: int, header: bytes) -> bytes:
    return struct.pack("<Q", header_len) + header


SAFETENSORS = {
    "claims-huge": _safetensors(2**62, b"{}"),
    "claims-100mb": _safetensors(100 << 20, b"{" + b" " * 1000),
    "big-real-header": _safetensors(0, b"") if False else (lambda h: _safetensors(len(h), h))(
        json.dumps({f"t{i}": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]} for i in range(40000)})
        .encode()),
    "deep-header": (lambda h: _safetensors(len(h), h))(b"{\"a\": " + b"[" * 100000 + b"]" * 100000 + b"}"),
}


@pytest.mark.parametrize("case", sorted(SAFETENSORS))
def test_safetensors_headers_are_bounded(repo: Repo, case: str) -> None:
    repo.write("m.safetensors", SAFETENSORS[case])
    res = repo.run(["scan-models", "--fail-on", "high", "."], memory=1 << 30, timeout=30)
    assert_no_traceback(res)
    assert res.rc == 1 and "evil.pkl" in res.out, str(res)
