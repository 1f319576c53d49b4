"""Inline suppression lookup stays linear: a 160 KB requirements line with 10,000 names in one
``# mlwarden: ignore[...]`` and many findings on that line, timed through core.suppress.run (with hygiene:
unknown names get suggestions, at most five per comment).

    python benchmarks/bench_suppress.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from mlwarden.core.findings import Finding, Rule, Severity
from mlwarden.core.selection import all_rules
from mlwarden.core.suppress import run


def main() -> None:
    rules = all_rules()
    rule = Rule("MLW301", "unpinned", Severity.HIGH, "t", "h", check="check-pins")
    names = ",".join(f"unknown-rule-{i:05d}" for i in range(10_000))
    line = "torch  # mlwarden: ignore[" + names + "]"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "requirements.txt").write_text(line + "\n")
        for n_findings in (1, 1_000, 10_000):
            findings = [Finding(rule, "requirements.txt", f"finding {i}", line=1) for i in range(n_findings)]
            start = time.perf_counter()
            out = run(findings, (), root=root, config_path=None, rules=rules, ran_rules={"MLW301"},
                      comment_files=["requirements.txt"])
            took = time.perf_counter() - start
            print(f"line of {len(line) / 1024:.0f} KB, 10,000 names, {n_findings:>6} findings on it: "
                  f"{took * 1000:8.1f} ms ({len(out.findings)} reported)")


if __name__ == "__main__":
    main()
