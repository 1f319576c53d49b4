#!/usr/bin/env python3
"""Harvest a snapshot of real Hugging Face organisations and users, with a popularity weight, from the model
and dataset ids that popular ML packages reference in their code, docs and tests (development time only:
the installed tool and the tests never run this and never read its inputs).

There is no network to the Hub here, so popularity is measured by reference: an organisation whose models
the libraries' code, docs and tests load again and again is real and popular. Ids are taken only where they
are clearly Hub ids:

* ``huggingface.co/<org>/<name>`` (and ``/datasets/``, ``/spaces/``) links;
* quoted ``"org/name"`` strings on a line (or the two after it) that passes an id to the Hub
  (``from_pretrained(``, ``hf_hub_download(``, ``load_dataset(``, ``model_id =``, ...; the same context the
  check itself uses), and quoted ids in ``hub_model_id``/``repo_id``-style keys of YAML/JSON configs.

The weight of an organisation is the number of such references (each file counts an id at most 3 times,
so one generated table cannot dominate) plus 5 per distinct repository id and 10 per source package that
names it. An organisation needs at least 2 references in all; placeholders (``path/to``, ``your-username``)
are dropped.

Usage:
  python scripts/harvest_hf_orgs.py --date 2026-12-06 --source NAME@COMMIT ... REPO_DIR ...
  (writes src/mlwarden/data/hf_orgs_popular.tsv; --out FILE to write elsewhere)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlwarden.checks.typosquats.hf import CONTEXT_RE  # noqa: E402

TEXT_SUFFIXES = (".py", ".md", ".mdx", ".rst", ".txt", ".ipynb", ".yaml", ".yml", ".json", ".toml",
                 ".cfg", ".js", ".ts", ".mjs", ".rs", ".sh")
MAX_BYTES = 4 * 1024 * 1024
SEG = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}"
URL_RE = re.compile(r"huggingface\.co/(?:(?:datasets|spaces|models)/)?(?P<org>" + SEG + r")/(?P<repo>" + SEG
                    + r")")
QUOTED_RE = re.compile(r"""["'](?P<org>[A-Za-z0-9][A-Za-z0-9._-]{1,95})/(?P<repo>""" + SEG + r""")["']""")
KEYED_RE = re.compile(r"(?:model|repo(?!sitory)|dataset|tokenizer|checkpoint|pretrained|name_or_path)"
                      r"[A-Za-z_]*\"?\s*[:=]"
                      r"\s*[\"']?(?P<org>[A-Za-z0-9][A-Za-z0-9._-]{1,95})/(?P<repo>" + SEG + r")",
                      re.IGNORECASE)
# not organisations: URL path words, placeholders, local paths
STOP = frozenset("""
path to your your-username username user-name user your_username my-org myorg my_org org organization
organisation namespace hf-user someone foo bar baz tmp temp data models model datasets dataset spaces
blob resolve tree main api docs doc settings new join login static assets src lib tests test examples
example local output outputs checkpoints checkpoint runs logs cache home usr mnt content drive google
github gitlab http https www a b c x y abc xyz name repo repo_id repo-id model_id model-id dummy fake
random some my your-org your_org hf hub org-name user-or-org username-or-org account me papers blog
collections tasks learn posts chat inference-endpoints pricing acme attacker evil evilorg evil-org
some-org some-user some-owner another other custom weights buckets front sub base publisher dev run search
course adapter lora unet vae text_encoder text_encoders transformer pipeline scheduler tokenizer
checkpoint-1 checkpoint-2 checkpoint-500 uploads private public fake-org randomorg some-random-user
dummy_user test_user owner ownner author vendor remote jobs oauth application templates metrics nested
saves keep build native renamed selected selector stale migration different unrelated resident catalog
provider organizations dir legacy original experiments experiment en with tsfile
""".split())  # noqa: SIM905


def iter_files(root: Path):  # type: ignore[no-untyped-def]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        for f in sorted(filenames):
            if f.lower().endswith(TEXT_SUFFIXES):
                yield Path(dirpath) / f


def plausible(org: str, repo: str) -> bool:
    low = org.lower()
    if low in STOP or low.startswith((".", "-")) or ".." in org or low.endswith((".py", ".json", ".md")):
        return False
    if low.isdigit() or len(org) < 2 or repo.lower() in ("", "tree", "blob", "resolve", "discussions"):
        return False
    return not repo.lower().endswith((".py", ".sh", ".md", ".txt"))


def harvest(root: Path) -> Counter[tuple[str, str]]:
    """(org, repo) -> references in one source package (at most 3 per file)."""
    out: Counter[tuple[str, str]] = Counter()
    for f in iter_files(root):
        try:
            if f.stat().st_size > MAX_BYTES:
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        per_file: Counter[tuple[str, str]] = Counter()
        for m in URL_RE.finditer(text):
            per_file[(m.group("org"), m.group("repo"))] += 1
        lines = text.splitlines()
        last = -10
        for i, line in enumerate(lines):
            if len(line) > 5000:
                continue
            if CONTEXT_RE.search(line):
                last = i
            if "/" not in line:
                continue
            if i - last <= 2:
                for m in QUOTED_RE.finditer(line):
                    per_file[(m.group("org"), m.group("repo"))] += 1
            for m in KEYED_RE.finditer(line):
                per_file[(m.group("org"), m.group("repo"))] += 1
        for key, n in per_file.items():
            if plausible(*key):
                out[key] += min(n, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repos", nargs="+", type=Path, help="checked-out source trees of ML packages")
    ap.add_argument("--date", required=True, help="date of the snapshot, YYYY-MM-DD")
    ap.add_argument("--source", action="append", default=[],
                    help="owner/name@commit (date) of each tree, recorded in the header")
    ap.add_argument("--min-refs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "mlwarden" / "data" / "hf_orgs_popular.tsv")
    args = ap.parse_args(argv)

    refs: Counter[str] = Counter()
    ids: dict[str, set[str]] = defaultdict(set)
    pkgs: dict[str, set[str]] = defaultdict(set)
    spelling: dict[str, Counter[str]] = defaultdict(Counter)
    for repo in args.repos:
        counts = harvest(repo)
        for (org, name), n in counts.items():
            low = org.lower()
            refs[low] += n
            ids[low].add(name.lower())
            pkgs[low].add(repo.name)
            spelling[low][org] += n
        print(f"{repo}: {len(counts):,} ids", file=sys.stderr)
    rows = []
    for low, n in refs.items():
        if n < args.min_refs:
            continue
        weight = n + 5 * len(ids[low]) + 10 * len(pkgs[low])
        org = spelling[low].most_common(1)[0][0]
        rows.append((weight, org, n, len(ids[low]), len(pkgs[low])))
    rows.sort(key=lambda r: (-r[0], r[1].lower()))
    header = [
        "# Hugging Face organisations and users referenced by popular ML packages, with a popularity weight.",
        "# org<TAB>weight<TAB>references<TAB>distinct ids<TAB>source packages  (matched case-insensitively)",
        "# weight = references (at most 3 per file and id) + 5 x distinct ids + 10 x source packages",
        f"# date: {args.date}",
        "# built by scripts/harvest_hf_orgs.py from the model/dataset ids in the code, docs and tests of:",
        *[f"#   {s}" for s in args.source],
        "# do not edit by hand; curated official organisations are in hf_orgs.txt",
    ]
    body = [f"{org}\t{w}\t{n}\t{i}\t{p}" for w, org, n, i, p in rows]
    args.out.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(rows):,} organisations", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
