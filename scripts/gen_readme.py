"""Regenerate the reference from the code: docs/reference.md (every check's rules and options, the common
options, the core rules) and the short index of checks in README.md (between the reference markers).

    python scripts/gen_readme.py          # rewrite docs/reference.md and README.md
    python scripts/gen_readme.py --check  # exit 1 if either is not current (used by the tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mlwarden.checks import REGISTRY, load_check  # noqa: E402
from mlwarden.cli import GENERAL_OPTIONS  # noqa: E402
from mlwarden.core.rules import CORE_RULES  # noqa: E402

BEGIN, END = "<!-- reference:begin -->", "<!-- reference:end -->"


def _default(value: object) -> str:
    if value is None or value == () or value == "":
        return "–"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value)
    label = getattr(value, "label", None)
    return f"`{label if label is not None else value}`"


def _options_table(options: object) -> list[str]:
    out = ["| option | config key | environment | default | meaning |", "|---|---|---|---|---|"]
    for o in options:  # type: ignore[attr-defined]
        flag = f"`--{o.name}`" if o.cli else "–"
        key = f"`{o.name}`" if o.config else "–"
        out.append(f"| {flag} | {key} | `{o.env}` | {_default(o.default)} | {o.help.replace('|', '/')} |")
    return out


def _docs_of(name: str) -> list[Path]:
    docs = ROOT / "docs"
    return [d for d in [docs / f"{name}.md", *sorted(docs.glob(f"{name}-*.md"))] if d.is_file()]


def reference() -> str:
    """docs/reference.md: generated, never edited by hand."""
    out = ["# Reference: checks, rules and options", "",
           "Generated from the code by `python scripts/gen_readme.py` (do not edit). `mlwarden rules` prints "
           "the same rules; each check's page explains what it reads and how it judges.", "",
           "## Options of every command", "",
           "Every check (`mlwarden <check>`, its hook and console script), `mlwarden scan` and "
           "`mlwarden baseline` take these, plus `--config FILE` (`MLWARDEN_CONFIG`). Precedence: command "
           "line, environment, config file, default.", "",
           *_options_table(GENERAL_OPTIONS), ""]
    for name in REGISTRY:
        check = load_check(name)
        links = ", ".join(f"[{d.name}]({d.name})" for d in _docs_of(name))
        out += [f"## `{name}`", "", check.description, ""]
        if links:
            out += [f"Details: {links}.", ""]
        out += ["| rule | slug | default severity | what |", "|---|---|---|---|"]
        out += [f"| {r.id} | `{r.slug}` | {r.severity.label} | {r.title} |"
                for r in sorted(check.rules, key=lambda r: r.id)]
        out.append("")
        if check.options:
            out += _options_table(check.options)
            out.append("")
    out += ["## Core rules", "", "| rule | slug | default severity | what |", "|---|---|---|---|"]
    out += [f"| {r.id} | `{r.slug}` | {r.severity.label} | {r.title} |" for r in CORE_RULES]
    return "\n".join(out).rstrip() + "\n"


def index() -> str:
    """The README's short reference: one row per check, linking its page."""
    out = ["## Reference", "",
           "Every rule and option: [docs/reference.md](docs/reference.md) (generated) and `mlwarden rules`. "
           "Each check's page:", "", "| check | rules | page |", "|---|---|---|"]
    for name in REGISTRY:
        check = load_check(name)
        ids = sorted(r.id for r in check.rules)
        pages = ", ".join(f"[{d.name}](docs/{d.name})" for d in _docs_of(name)) or "–"
        span = f"{ids[0]}–{ids[-1]}" if len(ids) > 1 else (ids[0] if ids else "–")
        out.append(f"| `{name}` | {len(ids)} ({span}) | {pages} |")
    out.append("")
    return "\n".join(out)


def _splice(text: str, begin: str, end: str, body: str) -> str:
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{body}{end}{tail}"


def render(readme: str) -> str:
    return _splice(readme, BEGIN, END, index())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    targets = [(ROOT / "README.md", render), (ROOT / "docs" / "reference.md", lambda _old: reference())]
    stale = []
    for path, make in targets:
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        new = make(old)
        if new != old:
            stale.append(path.relative_to(ROOT).as_posix())
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and stale:
        print(f"{', '.join(stale)} not current: run python scripts/gen_readme.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
