#!/usr/bin/env python3
"""Rebuild the bundled data of check-typosquats (development time only; the installed tool and the tests
never run this and never read its inputs).

Inputs (public data, passed as arguments):
  TOP        a TSV of the most-downloaded PyPI projects, ``rank<TAB>name`` per line (``#`` comments);
             the snapshot used for the release is ``pypi-top-15000.tsv`` as listed on 2026-11-25.
  ALL_NAMES  every public PyPI project name, one per line, optionally gzip-compressed; the snapshot used
             is ``pypi-all-names-2026-11-25.txt.gz`` (886,323 names PyPI served on 2026-11-25).

Outputs (in ``src/mlwarden/data/`` unless ``--out`` says otherwise):
  pypi_top.tsv, typosquat_index.bin, pypi_names.bloom, stdlib_names.txt

The curated files (malicious_names.txt, allowlist_pairs.txt, hf_orgs.txt) are edited by hand; this script
only checks them (every name canonical, no malicious name in the popular list unless marked).

Usage:
  python scripts/build_typosquat_data.py --date 2026-11-25 TOP ALL_NAMES
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlwarden.checks.typosquats.data import build_bloom, build_index, parse_top  # noqa: E402
from mlwarden.checks.typosquats.text import canonical  # noqa: E402

# Modules that were in the standard library of Python 2 or of earlier Python 3 releases (removed since),
# which ``sys.stdlib_module_names`` of the running interpreter may not list.
EXTRA_STDLIB = """
__builtin__ anydbm basehttpserver bastion cgihttpserver commands configparser cookie cookielib copy_reg
cpickle cstringio dbhash dircache dl dumbdbm dummy_thread exceptions fpformat htmlparser htmllib httplib
imputil md5 mhlib mimetools mimewriter mimify multifile mutex new popen2 posixfile queue repr rexec rfc822
robotparser sets sgmllib sha simplehttpserver simplexmlrpcserver socketserver statvfs stringio thread
tkinter tkmessagebox urllib2 urlparse user userdict userlist userstring whichdb xmlrpclib asynchat asyncore
imp smtpd distutils aifc audioop cgi cgitb chunk crypt imghdr mailcap msilib nis nntplib ossaudiodev pipes
sndhdr spwd sunau telnetlib uu xdrlib lib2to3 tkinter
""".split()  # noqa: SIM905


def read_all_names(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        names = {canonical(line.strip()) for line in fh if line.strip() and not line.startswith("#")}
    return sorted(names)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("top", type=Path)
    ap.add_argument("all_names", type=Path)
    ap.add_argument("--date", required=True, help="snapshot date of the inputs, YYYY-MM-DD")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "mlwarden" / "data")
    ap.add_argument("--fp-rate", type=float, default=0.001, help="Bloom filter false-positive rate")
    args = ap.parse_args(argv)
    out: Path = args.out

    t0 = time.perf_counter()
    lines = ["# most-downloaded PyPI projects: rank<TAB>canonical name (mlwarden check-typosquats data)",
             f"# source: {args.top.name} (rank and name of the most-downloaded PyPI projects)",
             f"# date: {args.date}",
             "# built by scripts/build_typosquat_data.py; do not edit by hand"]
    seen: set[str] = set()
    for raw in args.top.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        rank, _, name = raw.partition("\t")
        name = canonical(name.strip())
        if not name or name in seen:
            continue
        seen.add(name)
        lines.append(f"{int(rank)}\t{name}")
    top_text = "\n".join(lines) + "\n"
    (out / "pypi_top.tsv").write_text(top_text, encoding="utf-8")
    pop = parse_top(top_text)
    print(f"pypi_top.tsv: {len(pop.names)} names")

    t1 = time.perf_counter()
    blob = build_index(pop.names, pop.ranks)
    (out / "typosquat_index.bin").write_bytes(blob)
    print(f"typosquat_index.bin: {len(blob):,} bytes, built in {time.perf_counter() - t1:.2f} s")

    t2 = time.perf_counter()
    names = read_all_names(args.all_names)
    bloom = build_bloom(names, len(names), args.fp_rate, args.date)
    (out / "pypi_names.bloom").write_bytes(bloom)
    print(f"pypi_names.bloom: {len(names):,} names, {len(bloom):,} bytes, fp rate {args.fp_rate}, "
          f"built in {time.perf_counter() - t2:.2f} s")

    std = {canonical(m) for m in sys.stdlib_module_names if not m.startswith("_")}
    std |= {canonical(m) for m in EXTRA_STDLIB}
    (out / "stdlib_names.txt").write_text(
        "# standard-library module names (Python 2 and 3), canonicalised; built by "
        "scripts/build_typosquat_data.py\n" + "\n".join(sorted(std)) + "\n", encoding="utf-8")
    print(f"stdlib_names.txt: {len(std)} names")

    problems = 0
    for fname in ("malicious_names.txt", "allowlist_pairs.txt"):
        path = out / fname
        if not path.exists():
            continue
        for ln in path.read_text(encoding="utf-8").splitlines():
            if not ln.strip() or ln.startswith("#"):
                continue
            name = ln.split("\t")[0]
            if name != canonical(name):
                print(f"{fname}: {name!r} is not canonical")
                problems += 1
            if fname == "malicious_names.txt" and name in pop.rank_of and "secondary-index" not in ln:
                print(f"{fname}: {name!r} is a popular name")
    print(f"done in {time.perf_counter() - t0:.2f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
