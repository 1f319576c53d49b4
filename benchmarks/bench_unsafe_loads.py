"""Whole-process time of `check-unsafe-loads` on 500 generated Python files, beside bandit's on the same files.

    python benchmarks/bench_unsafe_loads.py [--files 500] [--repeat 3] [--keep DIR]

bandit is optional (`pip install bandit`); without it only mlwarden's figures are printed. Files are generated
deterministically (seeded): ML-style modules mixing ordinary code (classes, loops, comprehensions, f-strings)
with the patterns both tools look at (torch.load, pickle, yaml, from_pretrained, requests...).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PATTERNS = [
    "model.load_state_dict(torch.load(path, map_location='cpu'))",
    "state = torch.load(path, weights_only=True)",
    "with open(path, 'rb') as fh:\n        obj = pickle.load(fh)",
    "cfg = yaml.load(open(path), Loader=yaml.FullLoader)",
    "cfg = yaml.safe_load(open(path))",
    "tok = AutoTokenizer.from_pretrained('bert-base-uncased')",
    "mdl = AutoModel.from_pretrained(MODEL_ID, revision=REVISION, trust_remote_code=True)",
    "arr = np.load(path, allow_pickle=True)",
    "clf = joblib.load(path)",
    "resp = requests.get(URL, timeout=30)",
    "ds = load_dataset('imdb', split='train')",
    "x = subprocess.run(['ls'], check=False)",
]

BODY = '''
class Block{n}(nn.Module):
    """A residual block number {n}."""

    def __init__(self, dim: int = {dim}) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range({depth})])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = x + torch.relu(layer(self.norm(x))) * (0.5 ** i)
        return x


def helper_{n}(path, items=None):
    items = items or {{}}
    total = sum(v for k, v in items.items() if isinstance(v, (int, float)))
    name = f"run-{{total:.3f}}-{n}"
    {pattern}
    return name, [s.strip().lower() for s in str(path).split("/") if s]

'''

HEADER = '''"""Generated module {i}."""
import os
import pickle
import subprocess
import joblib
import numpy as np
import requests
import torch
import torch.nn as nn
import yaml
from datasets import load_dataset
from transformers import AutoModel, AutoTokenizer

MODEL_ID = "org/model-{i}"
REVISION = "main"
URL = "https://example.com/data-{i}.csv"

'''


def generate(folder: Path, count: int, seed: int = 5) -> int:
    rnd = random.Random(seed)
    lines = 0
    for i in range(count):
        parts = [HEADER.format(i=i)]
        for n in range(rnd.randint(6, 14)):
            pattern = rnd.choice(PATTERNS) if rnd.random() < 0.6 else "pass"
            parts.append(BODY.format(n=n, dim=rnd.choice([64, 128, 256]), depth=rnd.randint(2, 6),
                                     pattern=pattern))
        text = "".join(parts)
        lines += text.count("\n")
        sub = folder / f"pkg{i % 20}"
        sub.mkdir(exist_ok=True)
        (sub / f"mod_{i}.py").write_text(text)
    return lines


def timed(cmd: list[str], cwd: Path, repeat: int) -> tuple[list[float], int, str]:
    times = []
    rc = 0
    out = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - t0)
        rc, out = proc.returncode, proc.stdout
    return times, rc, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="mlw-bench-unsafe-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        lines = generate(folder, args.files)
        print(f"corpus: {args.files} files, {lines} lines in {folder}")
        exe = shutil.which("check-unsafe-loads")
        ours = [exe] if exe else [sys.executable, "-m", "mlwarden", "check-unsafe-loads"]
        t, rc, out = timed([*ours, ".", "--format", "json", "--fail-on", "critical"], folder, args.repeat)
        import json

        n = len(json.loads(out)["findings"]) if out.strip() else 0
        print(f"mlwarden check-unsafe-loads: median {statistics.median(t):.2f} s, best {min(t):.2f} s "
              f"over {len(t)} runs (exit {rc}, {n} findings)")
        bandit = shutil.which("bandit")
        if bandit is None:
            print("bandit: not installed (pip install bandit) - skipped")
            return 0
        tb, rcb, outb = timed([bandit, "-r", ".", "-q", "-f", "json"], folder, args.repeat)
        try:
            nb = len(json.loads(outb)["results"])
        except (ValueError, KeyError):
            nb = -1
        print(f"bandit -r:                   median {statistics.median(tb):.2f} s, best {min(tb):.2f} s "
              f"over {len(tb)} runs (exit {rcb}, {nb} results, all its plugins)")
        print(f"speed-up: {statistics.median(tb) / statistics.median(t):.1f}x (median whole-process time)")
        tests = "B301,B403,B506,B614,B615"  # pickle, import pickle, yaml.load, torch.load, HF downloads
        ts, rcs, outs = timed([bandit, "-r", ".", "-q", "-f", "json", "-t", tests], folder, args.repeat)
        try:
            ns = len(json.loads(outs)["results"])
        except (ValueError, KeyError):
            ns = -1
        print(f"bandit -r -t {tests}: median {statistics.median(ts):.2f} s, best {min(ts):.2f} s "
              f"(exit {rcs}, {ns} results); speed-up {statistics.median(ts) / statistics.median(t):.1f}x")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
