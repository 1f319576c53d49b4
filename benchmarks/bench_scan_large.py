"""Whole `mlwarden scan` on a large, real-shaped ML repository, beside bandit on the same tree.

    python benchmarks/bench_scan_large.py [--files 2200] [--lines 520] [--repeat 1] [--keep DIR] [--no-bandit]

The generated tree (seeded, deterministic) is shaped like an ML project: a package of model, data, training
and utility modules (classes, loops, comprehensions, f-strings, docstrings, type hints), training/eval
scripts with argparse, a checkpoint-saving loop and a sampling script, a few hundred modules that load
weights (torch.load, pickle, yaml, numpy, joblib, from_pretrained, hf_hub_download, requests), tests,
a vendored folder, some Jupyter notebooks, requirements files, a pyproject, a conda environment, a
Dockerfile and a GitHub workflow. Default: 2,200 Python files of ~520 lines (>= 1 M lines in all).

Prints the tree's size, then the wall time of one whole `mlwarden scan` (every check; the process as a
user runs it, interpreter start-up included) and of `bandit -r` (all plugins, JSON to /dev/null) on the
same tree, and their ratio. bandit is in the `bench` extra (`pip install bandit`). Target: mlwarden under a
tenth of bandit's time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@invalid"}

HEADER = '''"""{doc}"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
'''

BLOCK = '''

class {cls}(nn.Module):
    """{cls}: a residual block ({n})."""

    def __init__(self, dim: int = {dim}, depth: int = {depth}, dropout: float = 0.{drop}) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)
        self.scale = math.sqrt(dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            h = F.gelu(layer(self.norm(x))) / self.scale
            if mask is not None:
                h = h.masked_fill(mask[..., None] == 0, 0.0)
            x = x + self.drop(h) * (0.5 ** i)
        return x


def {fn}(batch: dict[str, Any], weights: list[float] | None = None) -> dict[str, float]:
    """Aggregate metrics of one batch ({n})."""
    weights = weights or [1.0] * len(batch)
    totals: dict[str, float] = {{}}
    for (key, value), w in zip(sorted(batch.items()), weights):
        if isinstance(value, (int, float)):
            totals[key] = totals.get(key, 0.0) + w * float(value)
        elif isinstance(value, np.ndarray):
            totals[key] = float(np.mean(value)) * w
    names = [f"{{k}}={{v:.4f}}" for k, v in totals.items() if not math.isnan(v)]
    os.environ.setdefault("RUN_NAME", "-".join(names)[:64])
    return {{k: round(v, 6) for k, v in totals.items()}}
'''

PATTERNS = [
    "state = torch.load(path, map_location='cpu')",
    "state = torch.load(path, map_location='cpu', weights_only=True)",
    "with open(path, 'rb') as fh:\n        state = pickle.load(fh)",
    "state = yaml.load(open(path), Loader=yaml.FullLoader)",
    "state = yaml.safe_load(open(path))",
    "state = AutoModel.from_pretrained('bert-base-uncased')",
    "state = AutoModel.from_pretrained(MODEL_ID, revision=REVISION, trust_remote_code=True)",
    "state = np.load(path, allow_pickle=True)",
    "state = joblib.load(path)",
    "state = requests.get(URL, timeout=30).content",
    "state = hf_hub_download('org/model', 'weights.bin')",
    "state = load_dataset('imdb', split='train')",
]
LOADER = '''

import pickle
import joblib
import requests
import yaml
from datasets import load_dataset
from huggingface_hub import hf_hub_download
from transformers import AutoModel

MODEL_ID = "org/model-{n}"
REVISION = "main"
URL = "https://example.com/files/{n}.bin"


def load_{n}(path: str) -> Any:
    """Load artefact {n}."""
    {pattern}
    return state
'''

TRAIN = '''"""Train a model."""
import argparse
import os
import pickle

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--out-dir", default="out")
parser.add_argument("--resume", action="store_true")
parser.add_argument("--init-weights", default=None)
args = parser.parse_args()

with open(os.path.join("data", "meta.pkl"), "rb") as f:
    meta = pickle.load(f)
model = torch.nn.Linear(meta["vocab_size"], 10)
if args.resume:
    model.load_state_dict(torch.load(os.path.join(args.out_dir, "ckpt.pt"), map_location="cpu"))
if args.init_weights:
    model.load_state_dict(torch.load(args.init_weights))
for step in range(100):
    torch.save(model.state_dict(), os.path.join(args.out_dir, "ckpt.pt"))
'''
PREPARE = '''import os
import pickle

meta = {"vocab_size": 65}
with open(os.path.join(os.path.dirname(__file__), "meta.pkl"), "wb") as f:
    pickle.dump(meta, f)
'''


def module_text(rng: random.Random, n: int, lines: int, loader: bool) -> str:
    parts = [HEADER.format(doc=f"Module {n}: layers and metrics.")]
    k = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(BLOCK.format(cls=f"Block{n}x{k}", fn=f"metrics_{n}_{k}", n=n, dim=rng.choice([64, 128, 256]),
                                  depth=rng.randint(2, 6), drop=rng.randint(0, 5)))
        k += 1
    if loader:
        parts.append(LOADER.format(n=n, pattern=rng.choice(PATTERNS)))
    return "".join(parts)


def notebook(rng: random.Random, n: int) -> str:
    cells = [
        "%pip install -q transformers\nimport torch\nfrom transformers import AutoModel",
        "if torch.cuda.is_available():\n    !nvidia-smi\nelse:\n    %env CUDA_VISIBLE_DEVICES=",
        "model = AutoModel.from_pretrained('org/demo-model')\nstate = torch.load('ckpt.pt')",
    ] + [f"x{i} = [j * {i} for j in range(10)]\nprint(sum(x{i}))" for i in range(rng.randint(5, 20))]
    doc = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                      "source": c.splitlines(keepends=True)} for c in cells],
           "metadata": {"kernelspec": {"name": "python3", "language": "python"}}, "nbformat": 4,
           "nbformat_minor": 5}
    return json.dumps(doc, indent=1) + "\n"


def generate(root: Path, files: int, lines: int, seed: int = 11) -> tuple[int, int]:
    rng = random.Random(seed)
    root.mkdir(parents=True)
    areas = ["models", "data", "training", "utils", "eval", "ops", "serving", "tokenizers"]
    total_lines = 0
    count = 0
    for i in range(files):
        if i < 60:
            rel = f"tests/test_mod{i:04d}.py"
        elif i < 120:
            rel = f"third_party/fastops/op{i:04d}.py"
        else:
            rel = f"src/mlproj/{areas[i % len(areas)]}/mod{i:04d}.py"
        text = module_text(rng, i, lines, loader=(i % 7 == 0))
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        total_lines += text.count("\n")
        count += 1
    for rel, text in (("train.py", TRAIN), ("data/chars/prepare.py", PREPARE)):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        total_lines += text.count("\n")
        count += 1
    (root / "third_party" / "fastops" / "LICENSE").write_text("MIT\n")
    (root / "third_party" / "fastops" / "setup.py").write_text("from setuptools import setup\nsetup(name='fastops')\n")
    for i in range(12):
        p = root / "notebooks" / f"demo{i:02d}.ipynb"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(notebook(rng, i))
    (root / "requirements.txt").write_text("torch==2.1.0\ntransformers>=4.30\nnumpy==1.26.4\nrequests\npyyaml\n")
    (root / "requirements-dev.txt").write_text("pytest\nruff==0.4.0\n")
    (root / "pyproject.toml").write_text('[project]\nname = "mlproj"\nversion = "0.1.0"\n'
                                         'dependencies = ["torch>=2.0", "numpy"]\n\n[build-system]\n'
                                         'requires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n')
    (root / "environment.yml").write_text("name: mlproj\ndependencies:\n  - python=3.11\n  - pytorch\n"
                                          "  - pip:\n    - transformers\n")
    (root / "Dockerfile").write_text("FROM python:3.11\nRUN pip install torch transformers\n")
    wf = root / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                  "      - uses: actions/checkout@v4\n      - run: pip install -r requirements.txt\n")
    (root / "configs").mkdir()
    (root / "configs" / "sft.yaml").write_text("model_name_or_path: org/model\ntrust_remote_code: true\n")
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "tree"], check=True, env=env)
    return count, total_lines


def timed(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, float, int, str]:
    """Median wall time and median CPU time (user + system of the child) of ``repeat`` runs. On a shared
    machine the CPU time is the steadier figure."""
    walls: list[float] = []
    cpus: list[float] = []
    rc = 0
    err = ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        rc = proc.returncode
        err = proc.stderr.decode(errors="replace")[-400:]
    return statistics.median(walls), statistics.median(cpus), rc, err


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=2200)
    ap.add_argument("--lines", type=int, default=520)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    ap.add_argument("--no-bandit", action="store_true")
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mlw-bench-large-"))
    root = a.keep or base / "repo"
    try:
        if not root.exists():
            t0 = time.perf_counter()
            files, lines = generate(root, a.files, a.lines)
            print(f"generated {files} Python files, {lines:,} lines (+ notebooks, manifests) in "
                  f"{time.perf_counter() - t0:.1f} s at {root}", flush=True)
        else:
            py = list(root.rglob("*.py"))
            n_lines = sum(p.read_bytes().count(b"\n") for p in py)
            print(f"reusing {root}: {len(py)} Python files, {n_lines:,} lines")
        mlw = [sys.executable, "-m", "mlwarden", "scan", ".", "--format", "json", "--no-progress"]
        t_mlw, c_mlw, rc, err = timed(mlw, root, a.repeat)
        if rc not in (0, 1):
            print(f"mlwarden scan failed (exit {rc}): {err}")
            return 2
        print(f"{'':34}{'wall':>9}{'cpu':>9}")
        print(f"{'mlwarden scan (every check)':34}{t_mlw:8.2f}s{c_mlw:8.2f}s", flush=True)
        bandit = shutil.which("bandit")
        if a.no_bandit or not bandit:
            print("bandit: not run" + ("" if a.no_bandit else " (pip install bandit, or the bench extra)"))
            return 0
        t_b, c_b, rc, err = timed([bandit, "-r", ".", "-q", "-f", "json", "-o", os.devnull], root, a.repeat)
        if rc not in (0, 1):
            print(f"bandit failed (exit {rc}): {err}")
            return 2
        print(f"{'bandit -r (all plugins)':34}{t_b:8.2f}s{c_b:8.2f}s")
        print(f"{'mlwarden / bandit':34}{t_mlw / t_b:9.3f}{c_mlw / c_b:9.3f}  (target < 0.100)")
        return 0
    finally:
        if a.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
