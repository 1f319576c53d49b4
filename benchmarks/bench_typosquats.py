#!/usr/bin/env python3
"""Benchmark check-typosquats: data load and index build time, time per 1,000 names (in-process and as a
whole process), recall on historical squat names, and false positives on real names.

    python benchmarks/bench_typosquats.py [--all-names PATH/TO/pypi-all-names-YYYY-MM-DD.txt.gz]

``--all-names`` (optional, development machines only) samples real, public PyPI names to measure how many
legitimate names would be flagged; the part is skipped when the file is absent.
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

from mlwarden.checks.typosquats import data
from mlwarden.checks.typosquats.engine import Engine

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all-names", type=Path, default=None,
                    help="every public PyPI name (optionally .gz), for the false-positive sample")
    ap.add_argument("--sample", type=int, default=50_000)
    args = ap.parse_args()
    rng = random.Random(1234)

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

    print("\n== false positives")
    flagged_pop = [n for n in pop.names if eng.match(n) is not None]
    print(f"top {len(pop.names):,} popular names flagged: {len(flagged_pop)}  "
          f"({len(flagged_pop) / len(pop.names):.3%})")
    if all_names:
        sample = rng.sample([n for n in all_names if n not in pop.rank_of], min(args.sample, len(all_names)))
        t = time.perf_counter()
        hits = [(n, eng.match(n)) for n in sample]
        dt = time.perf_counter() - t
        flagged = [(n, m) for n, m in hits if m is not None]
        print(f"random sample of {len(sample):,} real public names (not popular): {len(flagged)} flagged "
              f"({len(flagged) / len(sample):.4%}) in {dt:.2f} s")
        kinds = Counter(m.kind for _, m in flagged)
        print("  by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
        for n, m in flagged[:20]:
            print(f"  {n:30s} -> {m.target:25s} {m.kind:22s} {m.score:.2f}")
        near = [n for n in sample if bare.best(n) is not None]
        nf = [n for n in near if eng.match(n) is not None]
        if near:
            print(f"real names with any similarity to a popular name: {len(near):,}; flagged {len(nf)} "
                  f"({len(nf) / len(near):.3%})")
    else:
        print("(no --all-names file: real-name false-positive sample skipped)")
    scores = [m.score for m in (eng.best(n) for n in typos_1k) if m is not None]
    if scores:
        print(f"\nmedian score of one-edit typos of popular names: {statistics.median(scores):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
