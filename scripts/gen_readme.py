"""Regenerate the per-hook reference in README.md from the code (rules, options) and docs/<hook>.md.

    python scripts/gen_readme.py          # rewrite README.md
    python scripts/gen_readme.py --check  # exit 1 if README.md is not current (used by the tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlwarden.checks import REGISTRY, load_check  # noqa: E402
from mlwarden.core.rules import CORE_RULES  # noqa: E402

BEGIN, END = "<!-- reference:begin -->", "<!-- reference:end -->"
UBEGIN, UEND = "<!-- usage:begin -->", "<!-- usage:end -->"


def _default(value: object) -> str:
    if value is None or value == () or value == "":
        return "–"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value)
    label = getattr(value, "label", None)
    return f"`{label if label is not None else value}`"


def _embed(doc: Path, level: int) -> str:
    """A docs/ page without its title, its headings nested ``level`` deeper, code fences left alone."""
    lines = doc.read_text(encoding="utf-8").strip().splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    fenced = False
    out = []
    for ln in lines:
        if ln.lstrip().startswith("```"):
            fenced = not fenced
        out.append(("#" * level + ln) if ln.startswith("#") and not fenced else ln)
    return "\n".join(out).strip()


def usage() -> str:
    doc = ROOT / "docs" / "ship.md"
    return _embed(doc, 1) + "\n" if doc.is_file() else ""


def reference() -> str:
    out = ["## Hooks and rules", ""]
    for name in REGISTRY:
        check = load_check(name)
        out += [f"### `{name}`", "", check.description, ""]
        docs = ROOT / "docs"
        for doc in [docs / f"{name}.md", *sorted(docs.glob(f"{name}-*.md"))]:
            if doc.is_file():
                out += [_embed(doc, 2), ""]
        out += ["| rule | slug | default severity | what |", "|---|---|---|---|"]
        out += [f"| {r.id} | `{r.slug}` | {r.severity.label} | {r.title} |"
                for r in sorted(check.rules, key=lambda r: r.id)]
        out.append("")
        if check.options:
            out += ["| option | config key | environment | default | meaning |", "|---|---|---|---|---|"]
            for o in check.options:
                flag = f"`--{o.name}`" if o.cli else "–"
                key = f"`{o.name}`" if o.config else "–"
                out.append(f"| {flag} | {key} | `{o.env}` | {_default(o.default)} | "
                           f"{o.help.replace('|', '/')} |")
            out.append("")
    out += ["### Core rules", "", "| rule | slug | default severity | what |", "|---|---|---|---|"]
    out += [f"| {r.id} | `{r.slug}` | {r.severity.label} | {r.title} |" for r in CORE_RULES]
    return "\n".join(out).rstrip() + "\n"


def _splice(text: str, begin: str, end: str, body: str) -> str:
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{body}{end}{tail}"


def render(readme: str) -> str:
    readme = _splice(readme, UBEGIN, UEND, usage())
    return _splice(readme, BEGIN, END, reference())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    path = ROOT / "README.md"
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if args.check:
        if new != old:
            print("README.md is not current: run python scripts/gen_readme.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
