#!/usr/bin/env python3
"""Benchmark check-typosquats: data load and index build time, time per 1,000 names (in-process and as a
whole process), recall on historical squat names, the precision/recall curve on real-attack-shaped names
against random real PyPI names (and the threshold chosen from it), and the Hugging Face id scan on a
generated 1 M-line tree.

    python benchmarks/bench_typosquats.py [--all-names PATH/TO/pypi-all-names-YYYY-MM-DD.txt.gz]
                                          [--twyn-python PATH/TO/venv-with-twyn/bin/python]

``--all-names`` (development machines only) samples real, public PyPI names to measure how many legitimate
names would be flagged (the false-alarm side of the curve); without it only recall is printed.

``--twyn-python`` (optional) runs twyn (``pip install 'twyn[cli]'`` in a separate virtualenv) on the same
names for comparison. twyn normally downloads its trusted-package list; here its cache is seeded offline
with the top 5,000 names of the bundled snapshot, so both tools see the same popular names.
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import typosquat_calibration as cal

from mlwarden.checks.typosquats import data
from mlwarden.checks.typosquats.engine import Engine
from mlwarden.checks.typosquats.text import canonical

# Real squat names from public reports (SK-CSIRT 2017, vendor write-ups 2018-2024). Measured twice: with the
# bundled known-malicious list and without it (detection by similarity alone).
HISTORICAL = [
    "urlib3", "setup-tools", "acqusition", "urllib", "crypt", "pwd", "httplib", "bzip", "telnet",
    "django-server", "apidev-coop", "easyinstall", "diango", "djago", "djanga", "mplatlib", "colourama",
    "python3-dateutil", "jeIlyfish", "tensorfllow", "pymafka", "colorsama", "requests-httpx", "pyurllib",
    "termcolour", "request-plus", "requestspro", "matplatlib-plus", "maratlib", "torchtriton",
    "requests-darwin-lite", "solana-py", "fabrice", "colorslib", "httpslib", "libhttps", "typesutil",
    "type-color", "noblesse", "pytagora", "pycryptoenv", "pycryptoconf",
]
# Squat names used as examples in the project's issue and in research on ML typosquats.
ML_EXAMPLES = ["torchvisions", "pytorch-lighting", "huggingface-hubs", "tiketoken", "beautifulsoup-numpy",
               "nmap-python", "transfomers", "tensorflw", "scikitlearn", "openai-python"]


def timeit(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def typo_variants(names: list[str], n: int, rng: random.Random) -> list[str]:
    out = []
    letters = "abcdefghijklmnopqrstuvwxyz"
    while len(out) < n:
        t = rng.choice(names)
        i = rng.randrange(len(t))
        op = rng.randrange(3)
        if op == 0:
            v = t[:i] + t[i + 1:]
        elif op == 1:
            v = t[:i] + rng.choice(letters) + t[i:]
        else:
            v = t[:i] + rng.choice(letters) + t[i + 1:]
        out.append(v)
    return out


def make_hf_tree(root: Path, files: int = 2000, lines: int = 500, seed: int = 3) -> int:
    """A real-shaped training-code tree: ``files`` Python files of ``lines`` lines (1 M lines by default),
    paths and ratios in strings, and a hub call on 1 % of the lines (real ids, a local path, one look-alike)."""
    rng = random.Random(seed)
    ids = ["meta-llama/Llama-2-7b-hf", "openai/clip-vit-base-patch32", "Qwen/Qwen2-7B", "openmmlab/upernet",
           "bert-base-uncased", "./checkpoints/last", "stabilityai/sdxl-turbo", "facebok/opt-1.3b"]
    body = ["    x = torch.cat([a, b], dim=1) / scale", "    path = os.path.join(root, 'data/train/images')",
            "    logger.info(\"loading %s from %s\", name, 'runs/exp1')", "    for i, (img, tgt) in enumerate(loader):",
            "        loss = criterion(model(img), tgt)", "    return {\"acc\": acc / n, \"loss\": total / n}",
            "# see docs/usage.md for the options", "    cfg = dict(type='Resize', scale=(224, 224))", ""]
    total = 0
    for f in range(files):
        out = [f"import torch\nfrom transformers import AutoModel\n\n\ndef f{f}(a, b):"]
        for _ in range(lines - 5):
            if rng.random() < 0.01:
                out.append(f"    m = AutoModel.from_pretrained(\"{rng.choice(ids)}\")")
            else:
                out.append(rng.choice(body))
        text = "\n".join(out) + "\n"
        total += text.count("\n")
        p = root / f"pkg{f // 100}" / f"mod{f}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return total


def hf_scan_bench() -> None:
    from mlwarden.checks.typosquats import hf

    print("\n== Hugging Face id scan on a generated 1 M-line tree")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        nlines = make_hf_tree(root)
        files = sorted(root.rglob("*.py"))
        texts = [p.read_text(encoding="utf-8") for p in files]
        hf._near_org.cache_clear()
        t = time.perf_counter()
        hits = [h for text in texts for h in hf.scan_text(text, ".py")]
        dt = time.perf_counter() - t
        print(f"scan_text over {len(files):,} files, {nlines:,} lines: {dt:.2f} s, {len(hits):,} look-alike ids "
              f"(orgs: {', '.join(sorted({h.org for h in hits}))})")
        exe = [sys.executable, "-c", "import sys; from mlwarden_hooks.check_typosquats import main; "
               "sys.exit(main(sys.argv[1:]))"]
        t = time.perf_counter()
        subprocess.run([*exe, "--no-pip-config", "--format", "json", "."], capture_output=True, cwd=root,
                       check=False)
        print(f"check-typosquats on the tree (whole process, walk + read + scan): {time.perf_counter() - t:.2f} s")
    import json

    src = [f'm = AutoModel.from_pretrained("facebok/opt-{i}")\n' for i in range(60000)]
    hostile = {
        "60,000 look-alike ids, one a line": ("".join(src), ".py"),
        "the same in a compact one-line notebook": (
            json.dumps({"cells": [{"cell_type": "code", "source": src}]}, separators=(",", ":")), ".ipynb"),
        "200,000 look-alike ids on one line, no hub call": (
            "x = [" + ", ".join(f'"facebok/m{i}"' for i in range(200000)) + "]  # from_pretrained\n", ".py"),
    }
    for label, (text, suffix) in hostile.items():
        t = time.perf_counter()
        n = sum(1 for _ in hf.scan_text(text, suffix))
        print(f"hostile: {label} ({len(text) / 1e6:.1f} MB): {time.perf_counter() - t:.2f} s, {n} findings "
              f"(at most {hf.MAX_LOOKALIKES} look-alikes judged per file)")


TWYN_SNIPPET = """
import datetime, json, sys
from twyn.main import check_dependencies
from twyn.trusted_packages.cache_handler import CacheEntry, CacheHandler
payload = json.load(sys.stdin)
src = "https://example.invalid/pypi.json"
CacheHandler(".twyn").write_entry(src, CacheEntry(saved_date=datetime.date.today().isoformat(),
                                                  packages=set(payload["top"])))
res = check_dependencies(dependencies=set(payload["names"]), use_cache=True, pypi_source=src,
                         package_ecosystem="pypi")
flagged = sorted({e.dependency for r in res.results for e in r.errors})
print(json.dumps(flagged))
"""


def run_twyn(python: Path, names: list[str], top: list[str]) -> tuple[set[str], float]:
    import json

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        proc = subprocess.run([str(python), "-c", TWYN_SNIPPET], input=json.dumps({"top": top, "names": names}),
                              capture_output=True, text=True, cwd=tmp, check=False)
        dt = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-500:])
    return set(json.loads(proc.stdout.strip().splitlines()[-1])), dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all-names", type=Path, default=None,
                    help="every public PyPI name (optionally .gz), for the false-positive sample")
    ap.add_argument("--sample", type=int, default=20_000, help="random real names for the false-alarm rate")
    ap.add_argument("--per-shape", type=int, default=300, help="generated attack names per shape")
    ap.add_argument("--knobs", action="store_true", help="also explore the engine constants (slow)")
    ap.add_argument("--twyn-python", type=Path, default=None,
                    help="python of a virtualenv with twyn installed, to compare on the same names")
    ap.add_argument("--hf-scan-only", action="store_true", help="only the Hugging Face id scan figure")
    args = ap.parse_args()
    rng = random.Random(1234)
    if args.hf_scan_only:
        hf_scan_bench()
        return 0

    print("== data")
    t0 = time.perf_counter()
    pop = data.popular()
    t1 = time.perf_counter()
    idx = data.index()
    t2 = time.perf_counter()
    bloom = data.bloom()
    t3 = time.perf_counter()
    root = Path(data.__file__).resolve().parents[2] / "data"
    sizes = {f: (root / f).stat().st_size for f in ("pypi_top.tsv", "typosquat_index.bin", "pypi_names.bloom")}
    print(f"snapshot date            {pop.date}  ({len(pop.names):,} popular names, {bloom.n:,} public names)")
    print(f"bundled data size        {sum(sizes.values()) / 1e6:.2f} MB  " +
          ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sizes.items()))
    print(f"load popular list        {1000 * (t1 - t0):7.1f} ms")
    print(f"load candidate index     {1000 * (t2 - t1):7.1f} ms  ({idx.nbuckets:,} buckets, "
          f"{len(idx.postings):,} postings)")
    print(f"load Bloom filter        {1000 * (t3 - t2):7.1f} ms  (designed fp rate {bloom.fp_rate})")
    build = timeit(lambda: data.build_index(pop.names, pop.ranks), repeat=1)
    print(f"index build (from list)  {build:7.2f} s   (done once by scripts/build_typosquat_data.py)")

    print("\n== speed, in-process (best of 5)")
    eng = Engine()
    eng.best("warm-up")
    popular_1k = rng.sample(pop.names, 1000)
    typos_1k = typo_variants(pop.names[:5000], 1000, rng)
    for label, names in (("1,000 popular names (typical project)", popular_1k),
                         ("1,000 one-edit typos of popular names", typos_1k)):
        t = timeit(lambda names=names: [Engine.best(eng, n) for n in names])
        print(f"{label:42s} {1000 * t:7.1f} ms")
    real_1k: list[str] = []
    if args.all_names and args.all_names.exists():
        opener = gzip.open if args.all_names.suffix == ".gz" else open
        with opener(args.all_names, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
            all_names = [ln.strip() for ln in fh if ln.strip()]
        real_1k = rng.sample(all_names, 1000)
        t = timeit(lambda: [eng.best(n) for n in real_1k])
        print(f"{'1,000 random real PyPI names':42s} {1000 * t:7.1f} ms")
    else:
        all_names = []

    print("\n== speed, whole process (python -m / console script, wall clock, best of 3)")
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text("\n".join(popular_1k[:500] + typos_1k[:500]) + "\n")
        exe = [sys.executable, "-c", "import sys; from mlwarden_hooks.check_typosquats import main; "
               "sys.exit(main(sys.argv[1:]))"]
        for label, argv in (("hook on one clean requirements line", ["--name", "requests"]),
                            ("hook on a 1,000-line requirements file", [str(req)])):
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                subprocess.run([*exe, *argv], capture_output=True, cwd=tmp, check=False)
                best = min(best, time.perf_counter() - t)
            print(f"{label:42s} {1000 * best:7.1f} ms")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=False)
        print(f"{'(bare python startup, for reference)':42s} {1000 * (time.perf_counter() - t):7.1f} ms")

    print("\n== recall on historical squat names")
    bare = Engine()
    bare.known = {}
    for label, names in (("public reports", HISTORICAL), ("ML examples", ML_EXAMPLES)):
        with_list = [n for n in names if eng.match(n) is not None]
        without = [n for n in names if bare.match(n) is not None]
        print(f"{label:16s} {len(names)} names: {len(with_list) / len(names):6.1%} with the known list, "
              f"{len(without) / len(names):6.1%} by similarity alone")
        missed = sorted(set(names) - set(without))
        if missed:
            print(f"                 missed by similarity alone: {', '.join(missed)}")

    print("\n== calibration on real-attack-shaped names (benchmarks/typosquat_calibration.py)")
    attack_triples = cal.attack_set(pop, bloom, random.Random(7), args.per_shape)
    attack = attack_triples
    negatives: list[str] = []
    if all_names:
        pool = sorted({canonical(n) for n in all_names} - set(pop.rank_of))
        negatives = random.Random(8).sample(pool, min(args.sample, len(pool)))
    t = time.perf_counter()
    sc = cal.score_all(attack_triples, negatives, pop)
    print(f"{len(attack):,} attack-shaped names ({args.per_shape} per shape, none popular or on PyPI), "
          f"{len(sc.known)} bundled malicious names (*scored without the list), "
          f"{len(negatives):,} random real PyPI names, the top {cal.TOP_NONE:,}; scored in "
          f"{time.perf_counter() - t:.1f} s")
    print("FP real: random real names as the tool sees them (they exist on PyPI); FP blind: the same names "
          "as if the snapshot did not know them (a new project, a private name)")
    chosen = cal.print_curve(sc)
    default = cal.point(sc, eng.threshold)
    for label, p in (("chosen", chosen), ("default", default)):
        print(f"{label:8s} threshold {p.threshold:.2f}: recall {p.recall:.1%} "
              f"({', '.join(f'{k} {v:.0%}' for k, v in p.by_shape.items())}); known malicious by similarity "
              f"alone {p.known:.1%}; false alarms {p.fp_exists:.2%} on real names, {p.fp_blind:.2%} blind, "
              f"{p.fp_top} of the top {cal.TOP_NONE:,}")
    if not negatives:
        print("(no --all-names file: false alarms on random real names not measured; the chosen point "
              "is meaningless)")
    flagged_pop = [n for n in pop.names if eng.match(n) is not None]
    print(f"all {len(pop.names):,} popular names flagged: {len(flagged_pop)}")
    if negatives:
        fb = [(n, m) for n, m in sc.random_blind if m is not None and m.score >= eng.threshold]
        print("blind false alarms at the default, by kind: " +
              ", ".join(f"{k} {v}" for k, v in Counter(m.kind for _, m in fb).most_common()))
        for n, m in fb[:12]:
            print(f"  {n:34s} -> {m.target:26s} {m.kind:20s} {m.score:.2f}")
    if args.knobs and negatives:
        print("\nknobs (engine constants) at the budget: the chosen threshold and its recall")
        for knobs in cal.KNOB_SETTINGS:
            p = cal.with_knobs(knobs, attack_triples, negatives, pop)
            label = ", ".join(f"{k}={v}" for k, v in knobs.items()) or "as shipped"
            print(f"  {label:28s} threshold {p.threshold:.2f}  recall {p.recall:6.1%}  FP real {p.fp_exists:.2%}  "
                  f"FP blind {p.fp_blind:.2%}")
    near = [n for n, m in sc.random_exists if m is not None] if negatives else []
    attack_pairs = [(s, n) for s, n, _ in attack_triples]

    if args.twyn_python:
        print("\n== twyn on the same names (its trusted list seeded with the top 5,000 of the snapshot)")
        hist = HISTORICAL + ML_EXAMPLES
        attack_names = [n for _, n in attack_pairs]
        lookalikes = near if all_names else []
        names = sorted(set(hist) | set(attack_names) | set(lookalikes) | set(pop.names[:2000]))
        try:
            tw, dt = run_twyn(args.twyn_python, names, pop.names[:5000])
        except (OSError, RuntimeError) as exc:
            print(f"twyn failed: {exc}")
        else:
            def rate(sample: list[str], flagged: set[str]) -> str:
                return f"{sum(n in flagged for n in sample) / max(1, len(sample)):6.1%}"

            ours = {n for n in names if eng.match(n) is not None}
            alone = {n for n in hist if bare.match(n) is not None}
            print(f"{'':44s} {'mlwarden':>8s} {'twyn':>8s}")
            print(f"{'recall, historical + ML examples':44s} {rate(hist, ours):>8s} {rate(hist, tw):>8s}")
            print(f"{'  the same, without the known-malicious list':44s} {rate(hist, alone):>8s}")
            print(f"{'recall, attack-style names not on PyPI':44s} {rate(attack_names, ours):>8s} "
                  f"{rate(attack_names, tw):>8s}")
            print(f"{'flagged, top 2,000 popular names':44s} {rate(pop.names[:2000], ours):>8s} "
                  f"{rate(pop.names[:2000], tw):>8s}")
            if lookalikes:
                print(f"{'flagged, real look-alike names on PyPI':44s} {rate(lookalikes, ours):>8s} "
                      f"{rate(lookalikes, tw):>8s}   ({len(lookalikes):,} names)")
            print(f"twyn time for {len(names):,} names: {dt:.1f} s (whole process)")

    scores = [m.score for m in (eng.best(n) for n in typos_1k) if m is not None]
    if scores:
        print(f"\nmedian score of one-edit typos of popular names: {statistics.median(scores):.2f}")
    hf_scan_bench()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
