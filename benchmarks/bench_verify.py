"""verify-artifacts vs `model_signing verify key`: whole-process wall time on a generated 1 GiB model folder.

The folder (in a temporary directory, never in the repository): a Hugging Face-style model of 8 safetensors
shards of 128 MiB, config and tokenizer files, signed with `model_signing sign key` (EC P-256). Then:

* ``model_signing verify key``: checks the signature and every file's sha256 against the signed manifest;
* ``mlwarden verify-artifacts --trusted-key``: the same signature check (own code over cryptography) plus the
  lock (every file's sha256 and size, added/missing/symlinked files), LFS pointers in the index, DVC records
  and unlocked model files, reading each byte once.
* ``mlwarden lock --check``: hashing the folder and comparing with the committed lock.

Run:  python benchmarks/bench_verify.py [--runs N] [--size-mib N] [--keep DIR]
Needs: mlwarden with the `signatures` extra and model-signing (the test extra). Prints median and min of N
runs of each command (fresh processes, warm file cache: the folder is read once before timing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def tool(name: str) -> str:
    return shutil.which(name) or str(Path(sys.executable).parent / name)


def make_model(folder: Path, size_mib: int, shards: int = 8) -> None:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "llama", "hidden_size": 4096}\n')
    (folder / "tokenizer.json").write_text(json.dumps({"version": "1.0", "vocab": {str(i): i for i in
                                                                                  range(20000)}}))
    per = size_mib * 1024 * 1024 // shards
    n = per // 4
    for i in range(shards):
        header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
        header += b" " * (-len(header) % 8)
        with (folder / f"model-{i:05d}-of-{shards:05d}.safetensors").open("wb") as fh:
            fh.write(len(header).to_bytes(8, "little") + header)
            block = os.urandom(1 << 20)
            left = 4 * n
            while left > 0:
                chunk = block[: min(len(block), left)]
                fh.write(chunk)
                left -= len(chunk)


def timed(argv: list[str], cwd: Path, runs: int, ok: tuple[int, ...] = (0,)) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        out.append(time.perf_counter() - t)
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--keep", metavar="DIR", help="build the project in DIR and keep it")
    args = ap.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mlwarden-bench-verify-"))
    try:
        repo = base / "repo"
        if not repo.exists():
            repo.mkdir(parents=True)
            subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
            make_model(repo / "models" / "llm", args.size_mib)
            subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                            str(base / "key.pem")], check=True)
            subprocess.run(["openssl", "ec", "-in", str(base / "key.pem"), "-pubout", "-out",
                            str(base / "pub.pem")], check=True, capture_output=True)
            subprocess.run([tool("model_signing"), "sign", "key", "models/llm", "--private_key",
                            str(base / "key.pem"), "--signature", "models/llm.sig"], cwd=repo, check=True,
                           capture_output=True)
            subprocess.run([tool("mlwarden"), "lock"], cwd=repo, check=True, capture_output=True)
            subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        total = sum(p.stat().st_size for p in (repo / "models" / "llm").rglob("*") if p.is_file())
        for p in (repo / "models" / "llm").rglob("*"):  # warm the page cache once
            if p.is_file():
                p.read_bytes()
        pub = str(base / "pub.pem")
        cases = {
            "model_signing verify key": [tool("model_signing"), "verify", "key", "models/llm", "--signature",
                                         "models/llm.sig", "--public_key", pub],
            "mlwarden verify-artifacts (lock + signature + LFS/DVC/unlocked)": [
                tool("mlwarden"), "verify-artifacts", "--trusted-key", pub],
            "mlwarden lock --check": [tool("mlwarden"), "lock", "--check"],
        }
        print(f"folder: {total / 2**30:.2f} GiB in {len(list((repo / 'models/llm').iterdir()))} files, "
              f"{os.cpu_count()} CPUs, runs={args.runs}, warm cache")
        for name, argv in cases.items():
            times = timed(argv, repo, args.runs)
            med = statistics.median(times)
            print(f"{name:<66} median {med:6.2f} s  min {min(times):6.2f} s  "
                  f"({total / 2**20 / med:7.0f} MiB/s)")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
