"""Claims check-unsafe-loads must not make: conditional ``**kwargs`` dicts are evaluated branch by branch, and
notebooks whose IPython magics sit inside blocks are valid (patterns seen in real ML repositories, rewritten
here)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from mlwarden.checks.unsafe_loads import scan_file
from mlwarden.checks.unsafe_loads.torchver import TorchPins
from mlwarden.core.findings import Finding


def scan(tmp_path: Path, code: str, name: str = "mod.py", torch: str | None = None) -> list[Finding]:
    p = tmp_path / name
    p.write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    return list(scan_file(p, name, tmp_path, TorchPins(tmp_path, torch)))


def got(findings: list[Finding]) -> list[tuple[str, int, str]]:
    return sorted((f.rule.slug, f.line or 0, f.level.label) for f in findings)


def test_conditional_weights_only_is_not_a_custom_pickle_module(tmp_path: Path) -> None:
    # speech-model loader: weights_only only where torch supports it, through a name or inline
    found = scan(tmp_path, '''
        import torch
        def load(fp, device, new):
            kwargs = {"weights_only": True} if torch.__version__ >= "1.13" else {}
            a = torch.load(fp, map_location=device, **kwargs)
            b = torch.load(fp, map_location="cpu", **({"weights_only": True} if new else {}))
            c = torch.load(fp, **({"weights_only": True} if new else {"weights_only": True}))
            d = torch.load(fp, **({"weights_only": False} if new else {}))
            e = torch.load(fp, **({"pickle_module": new} if new else {}))
            return a, b, c, d, e
    ''')
    assert got(found) == [("pickle-load", 8, "high"), ("torch-load-unsafe", 4, "medium"),
                          ("torch-load-unsafe", 5, "medium"), ("torch-load-unsafe", 7, "high")]
    assert "one branch" in found[1].message or "one branch" in found[0].message
    assert not any("custom pickle module" in f.message for f in found if f.line in (4, 5))


def test_conditional_kwargs_on_safe_torch_is_info(tmp_path: Path) -> None:
    found = scan(tmp_path, '''
        import torch
        kw = {"weights_only": True} if FLAG else {}
        torch.load("a.pt", **kw)
    ''', torch="2.6.0")
    assert got(found) == [("torch-load-unsafe", 3, "info")]


def test_conditional_splat_trust_remote_code_and_allow_pickle(tmp_path: Path) -> None:
    found = scan(tmp_path, '''
        import numpy as np
        from transformers import AutoConfig
        extra = {"trust_remote_code": True} if remote else {}
        cfg = AutoConfig.from_pretrained("./local_dir", **extra)
        arr = np.load("x.npy", **({"allow_pickle": True} if obj else {}))
    ''')
    assert got(found) == [("numpy-allow-pickle", 5, "high"), ("trust-remote-code", 4, "high")]


def _nb(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                  "source": c.splitlines(keepends=True)} for c in cells],
                       "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_notebook_magics_inside_blocks_are_valid(tmp_path: Path) -> None:
    text = _nb([
        "logger = 'Comet'\n"
        "if logger == 'Comet':\n"
        "  %pip install -q comet_ml\n"
        "  import comet_ml; comet_ml.init()\n"
        "elif logger == 'TensorBoard':\n"
        "  %load_ext tensorboard\n"
        "  %tensorboard --logdir runs/train\n",
        "for i in range(3):\n"
        "    !python train.py --img 640 \\\n"
        "        --epochs 3\n"
        "try:\n"
        "    import apex\n"
        "except ImportError:\n"
        "    files = !ls\n",
        "  %cd /content\n"
        "import torch\n"
        "torch.load('best.pt')\n",
    ])
    (tmp_path / "tut.ipynb").write_text(text, encoding="utf-8")
    found = list(scan_file(tmp_path / "tut.ipynb", "tut.ipynb", tmp_path, TorchPins(tmp_path, None)))
    assert [f.rule.slug for f in found] == ["torch-load-unsafe"]
    assert found[0].message.startswith("cell 3, line 3:")


def test_notebook_real_syntax_error_still_reported(tmp_path: Path) -> None:
    (tmp_path / "b.ipynb").write_text(_nb(["if x:\n  %pip install y\n  def f(:\n"]), encoding="utf-8")
    found = list(scan_file(tmp_path / "b.ipynb", "b.ipynb", tmp_path, TorchPins(tmp_path, None)))
    assert [f.rule.slug for f in found] == ["unreadable-file"]
