"""Whole-process time of `mlwarden scan` with every check on.

    python benchmarks/bench_scan.py [--runs N] [--files N]

Two targets: the bundled example project (examples/ml-project) and a generated git repository of 2,000
files (Python sources, manifests, a few model files). Every check runs: audit-deps gets a small offline OSV
database (MLWARDEN_OSV_DB) and generate-sbom writes its SBOM to a temporary file (--sbom). Prints the median
and best wall time of N runs, then the time of each check alone (one process each, so each figure includes
interpreter start-up, shown separately as `python -c pass` and `mlwarden --version`).
Target: < 2 s for the 2,000-file repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEX = "ab" * 32
EVIL_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."  # bytes only, never loaded
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@invalid"}


def safetensors(n: int) -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0" * (4 * n)


def osv_db(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, fixed) in enumerate([("requests", "2.32.0"), ("pyyaml", "5.4"), ("flask", "2.2.5"),
                                       ("numpy", "1.22.0"), ("torch", "2.6.0")]):
        (folder / f"PYSEC-2099-{i}.json").write_text(json.dumps({
            "id": f"PYSEC-2099-{i}", "modified": "2026-01-01T00:00:00Z", "summary": f"{name} advisory",
            "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
        }))
    return folder


def generate_repo(root: Path, total: int) -> Path:
    root.mkdir(parents=True)
    n_models = 8
    n_manifests = 40
    n_py = total - n_models - n_manifests - 2
    for i in range(n_py):
        pkg = root / "src" / f"pkg{i % 60:02d}"
        pkg.mkdir(parents=True, exist_ok=True)
        body = [f'"""Module {i}."""', "import json", "import os", "", f"def f{i}(x):",
                "    return json.dumps({'x': x})", ""]
        if i % 50 == 0:
            body += ["import torch", "", "def load(p):", "    return torch.load(p)", ""]
        if i % 70 == 0:
            body += ["from transformers import AutoModel", "",
                     "m = AutoModel.from_pretrained('bert-base-uncased')", ""]
        body += [f"# filler line {k}" for k in range(40)]
        (pkg / f"mod{i:04d}.py").write_text("\n".join(body) + "\n")
    pins = ["requests==2.31.0", "numpy==1.26.4", "pyyaml==6.0.1", "flask==2.0.1", "torch==2.1.0",
            "transformers>=4.30", "scikit-learn==1.3.2", "reqeusts==2.31.0"]
    for i in range(n_manifests):
        d = root / "services" / f"svc{i:02d}"
        d.mkdir(parents=True, exist_ok=True)
        if i % 4 == 0:
            (d / "pyproject.toml").write_text(
                f'[project]\nname = "svc{i}"\nversion = "0.1.0"\ndependencies = ["requests==2.31.0", '
                '"numpy>=1.24"]\n')
        else:
            lines = [f"{p} --hash=sha256:{HEX}" if k % 2 else p for k, p in enumerate(pins)]
            (d / "requirements.txt").write_text("\n".join(lines) + "\n")
    models = root / "models"
    models.mkdir()
    for i in range(n_models):
        if i % 2:
            (models / f"m{i}.safetensors").write_bytes(safetensors(1024 * (i + 1)))
        else:
            (models / f"m{i}.pkl").write_bytes(EVIL_PICKLE)
    (root / "README.md").write_text("# bench\n")
    (root / ".gitignore").write_text("build/\n")
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "bench"], cwd=root, check=True, env=env)
    count = int(subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True,
                               check=True).stdout.count("\n"))
    assert count == total, count
    return root


def timed(cmd: list[str], cwd: Path, env: dict[str, str], runs: int) -> tuple[float, float, int]:
    times = []
    rc = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False)
        times.append(time.perf_counter() - t0)
        rc = proc.returncode
        if rc == 2:
            sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stderr.decode()}")
    return statistics.median(times), min(times), rc


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--files", type=int, default=2000)
    args = ap.parse_args()
    mlwarden = shutil.which("mlwarden")
    base = [mlwarden] if mlwarden else [sys.executable, "-m", "mlwarden"]
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLWARDEN_", "GITHUB_"))}
        env.update({"MLWARDEN_OSV_DB": str(osv_db(tmp / "osv")), "XDG_CACHE_HOME": str(tmp / "cache")})
        example = ROOT / "examples" / "ml-project"
        repo = generate_repo(tmp / "repo", args.files)
        scan = [*base, "scan", ".", "--sbom", str(tmp / "bom.json"), "--json", str(tmp / "r.json")]
        # warm the audit-deps index and the OS cache once (not timed)
        subprocess.run(scan, cwd=repo, env=env, capture_output=True, check=False)
        checks = json.loads((tmp / "r.json").read_text())["meta"]["scan"]["checks"]
        print(f"mlwarden scan, whole process, median/best of {args.runs} runs; checks: {', '.join(checks)}")
        t_py = timed([sys.executable, "-c", "pass"], ROOT, env, args.runs)
        t_ver = timed([*base, "--version"], ROOT, env, args.runs)
        print(f"  {'python -c pass':<40} {t_py[0]:6.3f} s  (best {t_py[1]:.3f})")
        print(f"  {'mlwarden --version':<40} {t_ver[0]:6.3f} s  (best {t_ver[1]:.3f})")
        for label, cwd in ((f"examples/ml-project ({sum(1 for _ in example.rglob('*') if _.is_file())} files)",
                            example), (f"generated repository ({args.files} files)", repo)):
            med, best, rc = timed(scan, cwd, env, args.runs)
            flag = "" if cwd is not repo else ("  OK (< 2 s)" if med < 2.0 else "  OVER the 2 s target")
            print(f"  {label:<40} {med:6.3f} s  (best {best:.3f}, exit {rc}){flag}")
        print(f"each check alone on the generated repository (median of {args.runs}, whole process):")
        for name in checks:
            cmd = [*base, "scan", ".", "--checks", name]
            if name == "generate-sbom":
                cmd += ["--sbom", str(tmp / "bom.json")]
            med, best, _ = timed(cmd, repo, env, args.runs)
            print(f"  {name:<40} {med:6.3f} s  (best {best:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
