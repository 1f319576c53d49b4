"""Whole-process time of `check-pins` on one large lock file / manifest of each non-requirements format
(what a pre-commit hook costs when that file changes), median of several runs, next to the interpreter
floor. Files are generated in a temporary folder (nothing downloaded): 2,000 hashed registry packages per
lock file (uv.lock, poetry.lock 2.x, Pipfile.lock, pdm.lock, pylock.toml), a pyproject.toml with 300
dependencies across extras, groups and uv sources, and a conda environment with 300 packages and a
100-line pip block.

    python benchmarks/bench_check_pins_locks.py [--runs N] [--packages N]
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

PYPI = "https://pypi.org/simple"


def hx(i: int, salt: str = "") -> str:
    import hashlib

    return hashlib.sha256(f"{i}{salt}".encode()).hexdigest()


def uv_lock(n: int) -> str:
    out = ['version = 1\nrequires-python = ">=3.10"\n']
    for i in range(n):
        out.append(f'\n[[package]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\nsource = {{ registry = "{PYPI}" }}\n'
                   f'dependencies = [\n    {{ name = "pkg-{(i + 1) % n}" }},\n]\n'
                   f'sdist = {{ url = "https://files/pkg-{i}-1.{i}.0.tar.gz", hash = "sha256:{hx(i)}", size = 1 }}\n'
                   f'wheels = [\n    {{ url = "https://files/pkg_{i}-1.{i}.0-py3-none-any.whl", '
                   f'hash = "sha256:{hx(i, "w")}", size = 1 }},\n]\n')
    return "".join(out)


def poetry_lock(n: int) -> str:
    out = []
    for i in range(n):
        out.append(f'[[package]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\ndescription = "x"\noptional = false\n'
                   f'python-versions = ">=3.8"\nfiles = [\n'
                   f'    {{file = "pkg-{i}-1.{i}.0.tar.gz", hash = "sha256:{hx(i)}"}},\n]\n\n'
                   f'[package.dependencies]\npkg-{(i + 1) % n} = ">=1"\n\n')
    out.append('[metadata]\nlock-version = "2.0"\npython-versions = "^3.10"\ncontent-hash = "x"\n')
    return "".join(out)


def pipfile_lock(n: int) -> str:
    data = {"_meta": {"sources": [{"name": "pypi", "url": PYPI, "verify_ssl": True}], "pipfile-spec": 6},
            "default": {f"pkg-{i}": {"hashes": [f"sha256:{hx(i)}"], "index": "pypi", "version": f"==1.{i}.0"}
                        for i in range(n)},
            "develop": {}}
    return json.dumps(data, indent=4, sort_keys=True)


def pdm_lock(n: int) -> str:
    out = ['[metadata]\ngroups = ["default"]\nlock_version = "4.4.1"\ncontent_hash = "sha256:x"\n']
    for i in range(n):
        out.append(f'\n[[package]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\ngroups = ["default"]\n'
                   f'dependencies = [\n    "pkg-{(i + 1) % n}>=1",\n]\n'
                   f'files = [\n    {{file = "pkg-{i}-1.{i}.0.tar.gz", hash = "sha256:{hx(i)}"}},\n]\n')
    return "".join(out)


def pylock(n: int) -> str:
    out = ['lock-version = "1.0"\ncreated-by = "bench"\n']
    for i in range(n):
        out.append(f'\n[[packages]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\nindex = "{PYPI}"\n'
                   f'wheels = [{{ name = "pkg_{i}-1.{i}.0-py3-none-any.whl", url = "https://files/x.whl", '
                   f'hashes = {{ sha256 = "{hx(i)}" }} }}]\n')
    return "".join(out)


def pyproject(n: int = 300) -> str:
    deps = ",\n".join(f'    "pkg-{i}>=1.{i}"' for i in range(n // 3))
    extra = ",\n".join(f'    "extra-{i}>=1"' for i in range(n // 3))
    group = ",\n".join(f'    "dev-{i}==1.0"' for i in range(n // 3))
    sources = "".join(f'pkg-{i} = {{ index = "internal" }}\n' for i in range(0, n // 3, 5))
    return (f'[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
            f'[project]\nname = "big"\nversion = "1.0"\ndependencies = [\n{deps}\n]\n\n'
            f'[project.optional-dependencies]\nall = [\n{extra}\n]\n\n[dependency-groups]\ndev = [\n{group}\n]\n\n'
            f'[[tool.uv.index]]\nname = "internal"\nurl = "https://pkgs.example/simple"\nexplicit = true\n\n'
            f'[tool.uv.sources]\n{sources}')


def environment(n: int = 300, pip: int = 100) -> str:
    deps = "".join(f"  - pkg-{i}=1.{i}.0=py311_0\n" for i in range(n))
    pips = "".join(f"      - pip-{i}==1.{i}.0 --hash=sha256:{hx(i)}\n" for i in range(pip))
    return f"name: big\nchannels:\n  - conda-forge\ndependencies:\n{deps}  - pip:\n{pips}"


def timed(cmd: list[str], cwd: Path, runs: int) -> tuple[float, int]:
    times = []
    rc = 0
    for _ in range(runs):
        t = time.perf_counter()
        rc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            check=False).returncode
        times.append(time.perf_counter() - t)
    return statistics.median(times), rc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--packages", type=int, default=2000)
    args = ap.parse_args()
    exe = shutil.which("check-pins")
    cmd = [exe] if exe else [sys.executable, "-m", "mlwarden_hooks.check_pins"]
    n = args.packages
    files = {"uv.lock": uv_lock(n), "poetry.lock": poetry_lock(n), "Pipfile.lock": pipfile_lock(n),
             "pdm.lock": pdm_lock(n), "pylock.toml": pylock(n), "pyproject.toml": pyproject(),
             "environment.yml": environment()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        floor, _ = timed([sys.executable, "-c", "pass"], root, args.runs)
        print(f"check-pins whole-process time, median of {args.runs} runs "
              f"(python {sys.version.split()[0]}, {os.cpu_count()} cpu)")
        print(f"  {'python -c pass (interpreter floor)':44s} {floor:.3f} s")
        for name, text in files.items():
            folder = root / name.replace(".", "_")
            folder.mkdir()
            (folder / name).write_text(text)
            t, rc = timed([*cmd, name], folder, args.runs)
            size = len(text.encode()) / 1024
            print(f"  {name:16s} {size:8.0f} KiB {'':18s} {t:.3f} s  (exit {rc})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
