"""Which rules a user means: ids (``MLW301``), slugs (``unpinned``) and id prefixes (``MLW3``, ``MLW30``);
``--select``/``--ignore``/``--min-severity`` filters; "did you mean" for names that match no rule."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mlwarden.core.errors import ConfigError
from mlwarden.core.findings import Finding, Rule, Severity

_PREFIX = re.compile(r"^MLW\d{0,3}$", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _all_rules() -> tuple[Rule, ...]:
    return tuple(_load_all())


def all_rules() -> list[Rule]:
    return list(_all_rules())


def _load_all() -> list[Rule]:
    """Every rule of the core and of every check in this build (imports each check's light module)."""
    from mlwarden.checks import available, load_check
    from mlwarden.core.rules import CORE_RULES

    rules = {r.id: r for r in CORE_RULES}
    for name in available():
        try:
            check = load_check(name)
        except (ImportError, AttributeError):  # a check still being built
            continue
        for r in check.rules:
            rules.setdefault(r.id, r)
    return [rules[k] for k in sorted(rules)]


def suggest(name: str, rules: Sequence[Rule]) -> str:
    """`` (did you mean 'unpinned'?)`` or an empty string."""
    words = [r.slug for r in rules] + [r.id for r in rules]
    close = difflib.get_close_matches(name.lower(), [w.lower() for w in words], n=1, cutoff=0.6)
    if not close:
        return ""
    original = next(w for w in words if w.lower() == close[0])
    return f" (did you mean {original!r}?)"


def is_known(name: str, rules: Sequence[Rule], prefixes: bool = False) -> bool:
    n = name.strip().lower()
    if n == "*":
        return True
    if any(n in (r.id.lower(), r.slug.lower()) for r in rules):
        return True
    return prefixes and bool(_PREFIX.match(n)) and any(r.id.lower().startswith(n) for r in rules)


def check_names(names: Iterable[str], rules: Sequence[Rule], where: str, prefixes: bool = True) -> None:
    for name in names:
        if not is_known(name, rules, prefixes):
            raise ConfigError(f"{where}: unknown rule {name!r}{suggest(name, rules)}")


def matches(rule: Rule, names: Iterable[str]) -> bool:
    for name in names:
        n = name.strip().lower()
        if n == rule.slug.lower() or (_PREFIX.match(n) and rule.id.lower().startswith(n)):
            return True
    return False


@dataclass(frozen=True)
class Filter:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    min_severity: Severity = Severity.INFO

    @property
    def active(self) -> bool:
        return bool(self.select or self.ignore or self.min_severity > Severity.INFO)

    def keep(self, f: Finding) -> bool:
        if f.level < self.min_severity:
            return False
        if self.select and not matches(f.rule, self.select):
            return False
        return not (self.ignore and matches(f.rule, self.ignore))
