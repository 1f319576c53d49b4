"""From raw findings to the findings a report shows, in one order for every door (hooks, checks, scan):

1. suppression (inline comments and config entries), with hygiene: unused and unknown suppressions;
2. ``--baseline FILE``: findings recorded in the baseline are counted, not shown; entries no finding
   matches any more are reported as *fixed*;
3. ``--new-since REV``: only findings on lines (or whole files) changed since the merge-base with REV;
4. display filters: ``--select``/``--ignore`` (rule ids, slugs, id prefixes) and ``--min-severity``.

What is not shown does not count for ``--fail-on`` either: the exit code follows the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwarden.core.findings import Finding, Rule, Severity


@dataclass
class Triage:
    findings: list[Finding]
    stats: dict[str, Any] = field(default_factory=dict)  # for the summary line and the JSON meta


def _in_paths(path: str, paths: Sequence[str], root: Path) -> bool:
    from mlwarden.core.files import relpath

    for p in paths or (".",):
        rel = relpath(Path(p) if Path(p).is_absolute() else root / p, root)
        if rel in (".", "") or path == rel or path.startswith(rel.rstrip("/") + "/"):
            return True
    return False


def comment_files(ctx: Any) -> list[str]:
    """Text files of the run that may hold inline suppressions (paths as findings show them)."""
    from mlwarden.core.files import iter_files
    from mlwarden.core.suppress import _COMMENT_FILES

    out = []
    try:
        for f in iter_files(list(ctx.paths) or ["."], root=ctx.root, exclude=tuple(ctx.exclude),
                            use_git=getattr(ctx, "use_git", True)):
            shown = ctx.display(f)
            if _COMMENT_FILES.search(shown):
                out.append(shown)
    except Exception:
        return []
    return out


def triage(ctx: Any, checks: Sequence[str], findings: list[Finding], general: Mapping[str, Any],
           all_rules: Sequence[Rule] = ()) -> Triage:
    from mlwarden.core import suppress
    from mlwarden.core.rules import CORE_RULES
    from mlwarden.core.selection import Filter, check_names
    from mlwarden.core.selection import all_rules as known_rules

    cfg = ctx.config
    select = tuple(general.get("select") or ())
    ignore = tuple(general.get("ignore") or ())
    if select or ignore:
        check_names(select, known_rules(), "--select")
        check_names(ignore, known_rules(), "--ignore")
    # the rules of the checks that ran; every rule is imported only when a name is not among them
    first = [*CORE_RULES, *all_rules]
    suppress.validate_config(cfg.suppressions, known_rules, cfg.origin, first)
    ran = {r.id for r in first}
    cache = suppress.LineCache(ctx.root)
    from mlwarden.checks import REGISTRY

    sup = suppress.run(findings, cfg.suppressions, root=ctx.root,
                       config_path=ctx.display(cfg.path) if cfg.path else None, cache=cache,
                       rules=known_rules, first_rules=first, ran_rules=ran,
                       all_checks_ran=set(REGISTRY) <= set(checks), comment_files=comment_files(ctx))
    kept = sup.findings
    stats: dict[str, Any] = {"suppressed": sup.suppressed}

    def line_of(f: Finding) -> str:
        return cache.logical_line(f.path, f.line) if f.line else ""

    baseline_file = general.get("baseline")
    if baseline_file:
        from mlwarden.core import baseline

        bpath = Path(baseline_file)
        if not bpath.is_absolute():
            # relative to where the command runs, or to the config file that names it
            bpath = ctx.root / bpath if (ctx.root / bpath).exists() or cfg.path is None else cfg.root / bpath
        entries = baseline.load(bpath)
        shown = ctx.display(bpath)
        kept = [f for f in kept if f.path != shown]
        base_dir = bpath.parent

        def path_of(f: Finding) -> str:  # recorded relative to the baseline file's folder
            return baseline.relative(ctx.root / f.path, base_dir)

        cmp = baseline.compare(
            kept, entries, line_of,
            exists=lambda p: (base_dir / p).exists(),
            in_scope=lambda e: e.rule in ran and _in_paths(baseline.relative(base_dir / e.path, ctx.root),
                                                           ctx.paths, ctx.root),
            path_of=path_of)
        kept = cmp.new
        stats["baseline"] = cmp.summary(shown)
    rev = general.get("new-since")
    if rev:
        from mlwarden.core.changes import changes_since

        changes = changes_since(str(rev), ctx.root)
        before = len(kept)
        kept = [f for f in kept if changes.touches(f, cache.span(f.path, f.line) if f.line else 1)]
        stats["new-since"] = {"rev": str(rev), "merge-base": changes.base, "unchanged": before - len(kept)}
    flt = Filter(select=select, ignore=ignore, min_severity=general.get("min-severity") or Severity.INFO)
    if flt.active:
        before = len(kept)
        kept = [f for f in kept if flt.keep(f)]
        stats["filtered"] = before - len(kept)
    return Triage(kept, stats)
