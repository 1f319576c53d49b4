#!/usr/bin/env python3
"""check-typosquats on real repositories: what it reads and what it reports, for labelling by hand.

    python benchmarks/measure_typosquats_realworld.py [--threshold 0.4] CHECKOUT ...

For each checked-out tree: the dependency names read from its manifests, the Hugging Face ids passed to
the Hub in its code and configs (and their organisations), and every finding (at the default threshold, or
at ``--threshold`` to also list the near misses). Nothing is written; label the findings by hand.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mlwarden.checks.typosquats import hf
from mlwarden.core.files import iter_files


def hub_ids(root: Path) -> Counter[str]:
    ids: Counter[str] = Counter()
    for f in iter_files([root], root=root, match=lambda rel: rel.lower().endswith(hf.HF_SUFFIXES)):
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if len(text) > hf.MAX_BYTES or "/" not in text:
            continue
        cursor = hf._Cursor(text)
        for m in hf._QUOTED.finditer(text):
            pos = m.start("org")
            _, physical, logical, compact = cursor.locate(pos)
            if hf._in_context(text, pos, logical, physical, compact):
                ids[f"{m.group('org')}/{m.group('repo')}"] += 1
    return ids


def dependency_names(root: Path) -> set[str]:
    from mlwarden.sources import is_manifest, read

    names: set[str] = set()
    for f in iter_files([root], root=root, match=is_manifest):
        try:
            m = read(f, str(f.relative_to(root)))
        except Exception:  # a measurement: an unreadable manifest is skipped
            continue
        names |= {d.normalized for d in m.all_dependencies() if d.normalized}
    return names


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repos", nargs="+", type=Path)
    ap.add_argument("--threshold", type=float, default=None)
    args = ap.parse_args()
    total = Counter[str]()
    for repo in args.repos:
        root = repo.resolve()
        names, ids = dependency_names(root), hub_ids(root)
        orgs = Counter(i.split("/")[0] for i in ids)
        argv = [sys.executable, "-c", "import sys; from mlwarden_hooks.check_typosquats import main; "
                "sys.exit(main(sys.argv[1:]))", ".", "--format", "json", "--no-pip-config"]
        if args.threshold is not None:
            argv += ["--threshold", str(args.threshold)]
        proc = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
        out = io.StringIO(proc.stdout)
        findings = json.loads(out.getvalue())["findings"]
        total.update({"repos": 1, "names": len(names), "ids": sum(ids.values()), "orgs": len(orgs),
                      "findings": len(findings)})
        print(f"== {repo.name}: {len(names)} dependency names, {sum(ids.values())} hub ids of {len(orgs)} "
              f"organisations, {len(findings)} findings")
        for f in findings:
            print(f"   {f['path']}:{f['line']} {f['id']} [{f['severity']}] {f['message'][:140]}")
    print(f"\n{total['repos']} repositories: {total['names']} dependency names, {total['ids']} hub ids "
          f"({total['orgs']} organisations per repository summed), {total['findings']} findings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
