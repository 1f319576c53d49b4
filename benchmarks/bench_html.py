"""Size of the HTML report and the time a real browser takes to show and filter it, at real-repository scale.

Generates a tree with thousands of findings and files (near-identical platform requirement files, training
scripts that torch.load and from_pretrained, model files), runs `mlwarden scan --html --json` on it, and opens
the report in Debian's Chromium through Playwright (python -m pip install playwright; apt-get install chromium).

    python benchmarks/bench_html.py [--files 150] [--lines 20] [--scripts 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
PICKLE = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."


def generate(root: Path, files: int, lines: int, scripts: int) -> None:
    for i in range(files):
        folder = root / f"envs/platform{i:03d}"
        folder.mkdir(parents=True)
        reqs = [f"package-{j:03d}>=1.{j}" if j % 2 else f"package-{j:03d}" for j in range(lines)]
        (folder / "requirements.txt").write_text("\n".join(reqs) + "\n")
    src = root / "src"
    for i in range(scripts):
        pkg = src / f"pkg{i // 100:02d}"
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / f"mod_{i:04d}.py").write_text(
            "import torch\nfrom transformers import AutoModel\n\n\n"
            f"def run_{i}(path):\n    state = torch.load('models/m{i % 50}.pt')\n"
            f"    return AutoModel.from_pretrained('org{i % 300}/model-{i % 700}')\n")
    models = root / "models"
    models.mkdir()
    for i in range(50):
        (models / f"m{i}.pt").write_bytes(PICKLE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=150)
    ap.add_argument("--lines", type=int, default=20)
    ap.add_argument("--scripts", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        generate(root, args.files, args.lines, args.scripts)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mlwarden", "scan", "--html", "out/report.html", "--json",
                               "out/report.json", "--skip", "audit-deps"], cwd=root, capture_output=True,
                              text=True, check=False)
        scan_s = time.perf_counter() - t0
        if proc.returncode not in (0, 1):
            print(proc.stderr)
            return 2
        html = root / "out" / "report.html"
        doc = json.loads((root / "out" / "report.json").read_text())
        nodes = len(doc["meta"]["map"]["nodes"])
        print(f"tree: {sum(1 for _ in root.rglob('*') if _.is_file())} files; findings {len(doc['findings'])}; "
              f"map nodes {nodes}; edges {len(doc['meta']['map']['edges'])}")
        print(f"scan with --html: {scan_s:.2f} s; HTML {html.stat().st_size / 1e6:.2f} MB")
        loads, filters = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--no-first-run"])
            for _ in range(args.runs):
                page = browser.new_page()
                t0 = time.perf_counter()
                page.goto(html.as_uri())
                page.wait_for_load_state("load")
                page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                loads.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                page.select_option("#f-sev", "high")
                page.evaluate("new Promise(r => requestAnimationFrame(r))")
                filters.append(time.perf_counter() - t0)
                page.close()
            browser.close()
        print(f"browser load to first paint: median {statistics.median(loads):.3f} s (runs {args.runs}); "
              f"severity filter: median {statistics.median(filters):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
