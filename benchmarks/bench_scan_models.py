"""Benchmark scan-models against picklescan and modelscan on the same generated files.

    python benchmarks/bench_scan_models.py                 # 1 GB torch zip, 500 MB pickle, 200 small files
    python benchmarks/bench_scan_models.py --zip-mb 200 --pickle-mb 100 --files 50   # quicker

Prints, for each tool that is installed (``pip install picklescan modelscan`` or the ``bench`` extra):
throughput on a generated PyTorch zip checkpoint and on a raw pickle of numpy arrays (in-process scan of
one file, best of --repeat), and whole-process wall time for a directory of small model files.
The big files are generated once in --workdir (default: a temp dir) and reused when present.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

MiB = 1024 * 1024


def make_torch_zip(path: Path, total_mb: int) -> None:
    n = max(1, total_mb // 64)
    try:
        import torch

        state = {f"layer{i}.weight": torch.zeros(64 * MiB // 4) for i in range(n)}
        torch.save(state, path)
        return
    except ImportError:
        pass
    # the same layout torch writes, without torch: data.pkl + stored tensor members
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({f"layer{i}": i for i in range(n)}, protocol=2))
        for i in range(n):
            zf.writestr(f"archive/data/{i}", b"\0" * (64 * MiB))
        zf.writestr("archive/version", b"3\n")


def make_numpy_pickle(path: Path, total_mb: int) -> None:
    import numpy as np

    arrays = [np.zeros(8 * MiB // 8) + i for i in range(max(1, total_mb // 8))]
    with open(path, "wb") as fh:
        pickle.dump(arrays, fh, protocol=4)


def make_small_files(folder: Path, count: int) -> None:
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.models import builders as B

    folder.mkdir(parents=True, exist_ok=True)
    try:
        import torch
    except ImportError:
        torch = None  # type: ignore[assignment]
    makers: list[Callable[[Path], None]] = []
    if torch is not None:
        makers.append(lambda p: torch.save({"w": torch.zeros(256), "b": torch.ones(16)}, p.with_suffix(".pt")))
    makers += [
        lambda p: p.with_suffix(".pkl").write_bytes(pickle.dumps({"a": np.arange(100), "b": [1, 2]}, protocol=4)),
        lambda p: np.save(p.with_suffix(".npy"), np.arange(1000.0)),
        lambda p: p.with_suffix(".safetensors").write_bytes(B.safetensors()),
        lambda p: p.with_suffix(".gguf").write_bytes(B.gguf({"tokenizer.chat_template": B.BENIGN_TEMPLATE})),
        lambda p: p.with_suffix(".onnx").write_bytes(B.onnx_model(["w.bin"])),
        lambda p: p.with_suffix(".bin").write_bytes(B.TECHNIQUES["stack_global_p4"]),
    ]
    for i in range(count):
        makers[i % len(makers)](folder / f"model_{i:04d}")


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def wall(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False)
    return time.perf_counter() - t, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zip-mb", type=int, default=1024)
    ap.add_argument("--pickle-mb", type=int, default=500)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=None, help="where to generate (kept); default a temp dir (removed)")
    args = ap.parse_args()

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="mlwarden-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        big_zip = work / f"checkpoint_{args.zip_mb}mb.pt"
        big_pkl = work / f"arrays_{args.pickle_mb}mb.pkl"
        small = work / f"small_{args.files}"
        if not big_zip.exists():
            make_torch_zip(big_zip, args.zip_mb)
        if not big_pkl.exists():
            make_numpy_pickle(big_pkl, args.pickle_mb)
        if not small.exists():
            make_small_files(small, args.files)
        return run(big_zip, big_pkl, small, args.repeat)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def run(big_zip: Path, big_pkl: Path, small: Path, repeat: int) -> int:
    from mlwarden.checks.models import scan_file

    results: dict[str, Any] = {}
    print(f"files: {big_zip.name} ({big_zip.stat().st_size / MiB:.0f} MiB), "
          f"{big_pkl.name} ({big_pkl.stat().st_size / MiB:.0f} MiB), {small.name}/ "
          f"({len(list(small.iterdir()))} files)")
    print(f"{'tool':<12} {'torch zip MiB/s':>16} {'pickle MiB/s':>14} {'small dir wall s':>17}")

    def row(tool: str, zip_s: float | None, pkl_s: float | None, dir_s: float | None) -> None:
        def rate(t: float | None, p: Path) -> str:
            return f"{p.stat().st_size / MiB / t:,.0f}" if t else "n/a"

        print(f"{tool:<12} {rate(zip_s, big_zip):>16} {rate(pkl_s, big_pkl):>14} "
              f"{(f'{dir_s:.2f}' if dir_s is not None else 'n/a'):>17}", flush=True)
        results[tool] = {"zip_s": zip_s, "pickle_s": pkl_s, "dir_s": dir_s}

    # mlwarden: in-process for the big files, a whole fresh process for the directory
    fz = best(lambda: scan_file(big_zip, big_zip.name), repeat)
    fp = best(lambda: scan_file(big_pkl, big_pkl.name), repeat)
    d, _ = min(wall([sys.executable, "-m", "mlwarden", "scan-models", str(small)]) for _ in range(repeat))
    row("mlwarden", fz, fp, d)

    try:
        from picklescan.scanner import scan_file_path

        pz = best(lambda: scan_file_path(str(big_zip)), repeat)
        pp = best(lambda: scan_file_path(str(big_pkl)), repeat)
        exe = shutil.which("picklescan")
        pd = min(wall([exe, "--path", str(small)])[0] for _ in range(repeat)) if exe else None
        row("picklescan", pz, pp, pd)
    except ImportError:
        print("picklescan   not installed (pip install picklescan)")

    exe = shutil.which("modelscan")
    if exe:
        mz = min(wall([exe, "-p", str(big_zip)])[0] for _ in range(max(1, repeat - 1)))
        mp = min(wall([exe, "-p", str(big_pkl)])[0] for _ in range(max(1, repeat - 1)))
        md = min(wall([exe, "-p", str(small)])[0] for _ in range(max(1, repeat - 1)))
        row("modelscan", mz, mp, md)
        print("(modelscan figures are whole-process wall times, including its ~1-2 s start-up)")
    else:
        print("modelscan    not installed (pip install modelscan)")
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
