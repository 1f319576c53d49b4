#!/usr/bin/env python3
"""Benchmark check-typosquats: data load and index build time, time per 1,000 names (in-process and as a
whole process), recall on historical squat names, and false positives on real names.

    python benchmarks/bench_typosquats.py [--all-names PATH/TO/pypi-all-names-YYYY-MM-DD.txt.gz]
                                          [--twyn-python PATH/TO/venv-with-twyn/bin/python]

``--all-names`` (optional, development machines only) samples real, public PyPI names to measure how many
legitimate names would be flagged; the part is skipped when the file is absent.

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


def attack_set(names: list[str], bloom: data.Bloom, rng: random.Random) -> list[tuple[str, str]]:
    """(technique, name) pairs an attacker would publish against the top 1,000, kept only when the name is
    not on PyPI in the snapshot (removed squats are not there either)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    bait = ["lite", "darwin", "fast", "patched", "official", "windows", "plus", "pro", "helper", "utils"]
    out = []
    for t in rng.sample(names[:1000], 400):
        if len(t) < 5:
            continue
        i = rng.randrange(len(t))
        j = rng.randrange(len(t) - 1)
        cands = {
            "omission": t[:i] + t[i + 1:],
            "insertion": t[:i] + rng.choice(letters) + t[i:],
            "substitution": t[:i] + rng.choice(letters) + t[i + 1:],
            "transposition": t[:j] + t[j + 1] + t[j] + t[j + 2:],
            "doubling": t[:i] + t[i] + t[i:],
            "affix": rng.choice(["py-", "python-", "python3-", "py"]) + t if rng.random() < 0.5
            else t + rng.choice(["-py", "-lib", "-sdk", "2", "-api", "-client"]),
            "combo": t + "-" + rng.choice(bait),
            "homoglyph": t.replace("l", "1", 1) if "l" in t else t.replace("o", "0", 1),
        }
        for tech, v in cands.items():
            if v != t and v not in bloom and data.popular().rank_of.get(v) is None:
                out.append((tech, v))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all-names", type=Path, default=None,
                    help="every public PyPI name (optionally .gz), for the false-positive sample")
    ap.add_argument("--sample", type=int, default=50_000)
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
        near = []
        print("(no --all-names file: real-name false-positive sample skipped)")
    print("\n== attack-style names that are not on PyPI (as removed malicious names are)")
    attack = attack_set(pop.names, bloom, rng)
    caught = Counter(t for t, n in attack if eng.match(n) is not None)
    total = Counter(t for t, _ in attack)
    print("  " + ", ".join(f"{t} {caught[t] / total[t]:.0%}" for t in total) +
          f"  (overall {sum(caught.values()) / len(attack):.1%} of {len(attack):,})")

    if args.twyn_python:
        print("\n== twyn on the same names (its trusted list seeded with the top 5,000 of the snapshot)")
        hist = HISTORICAL + ML_EXAMPLES
        attack_names = [n for _, n in attack]
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
