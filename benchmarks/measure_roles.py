"""Measure what `mlwarden scan` reports on real repositories: findings and high findings per repository and per
check, before/after a change, and the precision of high findings against hand labels.

    python benchmarks/measure_roles.py REPOS_DIR [--src OTHER/src] [--checks check-pins,audit-deps,...]
        [--osv-db osv.zip] [--dump high.jsonl] [--labels labels.json]

REPOS_DIR holds one extracted repository per folder (e.g. snapshots of public ML repositories). Each is
scanned from inside its folder (`mlwarden scan . --format json`), so file roles are decided from that tree.
``--src`` runs another checkout of mlwarden (its ``src`` folder goes first on PYTHONPATH): run once with the
old tree and once with the new one to compare. ``--dump`` writes every high-or-worse finding, one JSON object
a line, with a key to label; ``--labels`` reads ``{"key": "worth" | "noise"}`` and prints the precision of
the labelled high findings (keys not labelled are counted apart). Nothing here is needed by the tests.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HIGH = ("high", "critical")


def scan(repo: Path, src: str | None, checks: str | None, osv_db: str | None) -> tuple[list[dict[str, Any]], float]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.path.abspath(src) + os.pathsep + env.get("PYTHONPATH", "")
    if osv_db:
        env["MLWARDEN_OSV_DB"] = os.path.abspath(osv_db)
    env.pop("MLWARDEN_ROLES", None)
    cmd = [sys.executable, "-m", "mlwarden", "scan", ".", "--format", "json", "--fail-on", "critical",
           "--no-progress"]
    if checks:
        cmd += ["--checks", checks]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
    took = time.monotonic() - start
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(f"{repo.name}: scan failed (exit {proc.returncode}): {proc.stderr.strip()[:300]}", file=sys.stderr)
        return [], took
    found: list[dict[str, Any]] = doc.get("findings", [])
    return found, took


def key(repo: str, f: dict[str, Any]) -> str:
    return f"{repo}:{f['path']}:{f.get('line')}:{f['id']}:{f['message'][:80]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repos", help="folder of extracted repositories, one per sub-folder")
    ap.add_argument("--src", help="mlwarden src folder to run instead of the installed one")
    ap.add_argument("--checks", help="checks to run (default: every available check)")
    ap.add_argument("--osv-db", help="OSV zip for audit-deps")
    ap.add_argument("--dump", help="write high findings (JSON lines) to FILE for labelling")
    ap.add_argument("--labels", help="JSON {key: worth|noise} to compute the precision of high findings")
    args = ap.parse_args()

    labels: dict[str, str] = {}
    if args.labels and Path(args.labels).is_file():
        labels = json.loads(Path(args.labels).read_text("utf-8"))
    repos = sorted(p for p in Path(args.repos).iterdir() if p.is_dir())
    totals: collections.Counter[str] = collections.Counter()
    by_rule: collections.Counter[str] = collections.Counter()
    shared_lines = 0
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None  # noqa: SIM115
    worth = noise = unlabelled = 0
    print(f"{'repository':<28} {'findings':>8} {'high+':>6} {'same-line':>9} {'seconds':>8}")
    for repo in repos:
        found, took = scan(repo, args.src, args.checks, args.osv_db)
        high = [f for f in found if f["severity"] in HIGH]
        lines = collections.Counter((f["path"], f.get("line")) for f in found if f.get("line"))
        same = sum(n for n in lines.values() if n > 1)
        shared_lines += same
        totals["findings"] += len(found)
        totals["high"] += len(high)
        for f in high:
            by_rule[f"{f['id']} {f['slug']}"] += 1
            k = key(repo.name, f)
            if dump:
                dump.write(json.dumps({"key": k, "repo": repo.name, "role": f.get("role"), **{
                    x: f.get(x) for x in ("id", "slug", "severity", "path", "line", "message")}}) + "\n")
            verdict = labels.get(k)
            if verdict == "worth":
                worth += 1
            elif verdict == "noise":
                noise += 1
            else:
                unlabelled += 1
        print(f"{repo.name:<28} {len(found):>8} {len(high):>6} {same:>9} {took:>8.1f}")
    if dump:
        dump.close()
    print(f"{'TOTAL':<28} {totals['findings']:>8} {totals['high']:>6} {shared_lines:>9}")
    print("\nhigh-or-worse findings by rule:")
    for rule, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:>6}  {rule}")
    if labels:
        done = worth + noise
        prec = f"{100 * worth / done:.1f}%" if done else "n/a"
        print(f"\nlabelled high findings: {done} (worth fixing {worth}, noise {noise}); precision {prec}; "
              f"unlabelled {unlabelled}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
