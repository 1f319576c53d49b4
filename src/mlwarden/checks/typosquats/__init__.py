"""check-typosquats: package names confusable with popular PyPI projects, known malicious names,
standard-library names, dependency confusion with internal names, and squatted Hugging Face orgs.

Everything is decided offline from bundled data (``mlwarden/data``); see ``docs/check-typosquats.md``."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from mlwarden.checks.base import Check, Context
from mlwarden.checks.typosquats.rules import (
    COMBOSQUAT,
    DEPENDENCY_CONFUSION,
    HF_ORG_SQUAT,
    INTERNAL_NAME_PUBLIC,
    KNOWN_MALICIOUS,
    RULES,
    SECONDARY_INDEX,
    STDLIB_NAME,
    TYPOSQUAT,
)
from mlwarden.core.errors import ConfigError, UsageError
from mlwarden.core.findings import Finding, Rule, Severity
from mlwarden.core.options import Option

COMMAND_LINE = "<command-line>"
HIGH_SCORE = 0.75  # typosquats below this score are medium, combosquats from it high
HF_SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".json", ".toml", ".cfg")
PIP_CONF_NAMES = ("pip.conf", "pip.ini")

_TYPO_KINDS_RULE: dict[str, Rule] = {"known-malicious": KNOWN_MALICIOUS, "stdlib": STDLIB_NAME,
                                     "combosquat": COMBOSQUAT, "affix": COMBOSQUAT}


def parse_allow(entries: Iterable[str]) -> dict[str, str]:
    """``["name: reason", ...]`` -> {canonical name: reason}; a missing reason is a config error."""
    from mlwarden.checks.typosquats.text import canonical

    out: dict[str, str] = {}
    for raw in entries:
        name, sep, reason = raw.partition(":")
        if not sep or not name.strip() or not reason.strip():
            raise ConfigError(f"check-typosquats: allow entry {raw!r} needs a name and a reason "
                              "(\"NAME: why this project is the one you want\")")
        out[canonical(name.strip())] = reason.strip()
    return out


class CheckTyposquats(Check):
    name = "check-typosquats"
    description = ("Package names confusable with popular PyPI projects (typos, look-alike letters, "
                   "separators, affixes, combosquats), known malicious and standard-library names, "
                   "dependency confusion with internal names, and squatted Hugging Face organisations.")
    rules = RULES
    options = (
        Option("name", "list", (), "check this package name (repeatable); with no PATH only the names "
               "are checked", metavar="NAME"),
        Option("threshold", "float", 0.66, "report names whose confusion score (0-1) reaches this value",
               metavar="SCORE"),
        Option("allow", "list", (), "legitimate names that look like squats, as \"NAME: reason\"",
               metavar="NAME:REASON"),
        Option("internal-names", "list", (), "your private package names (dependency confusion checks)",
               metavar="NAME"),
        Option("internal-prefixes", "list", (), "prefixes of your private package names (e.g. acme-)",
               metavar="PREFIX"),
        Option("max-data-age-days", "int", 180, "note when the bundled PyPI snapshot is older than this",
               metavar="DAYS"),
        Option("hf-ids", "bool", True, "check Hugging Face ids in Python, notebooks and config files"),
        Option("pip-config", "bool", True, "read pip's user/global config and PIP_* variables for "
               "extra indexes"),
    )

    def matcher(self) -> Any:
        from mlwarden.sources import is_manifest

        def match(rel: str) -> bool:
            low = rel.lower()
            return is_manifest(rel) or low.endswith(HF_SUFFIXES) or \
                PurePosixPath(low).name in PIP_CONF_NAMES

        return match

    def default_paths(self) -> tuple[str, ...]:
        return ()  # "." unless --name is given alone (decided in run)

    def run(self, ctx: Context) -> Iterable[Finding]:
        return list(_Run(self, ctx).findings())


class _Run:
    def __init__(self, check: CheckTyposquats, ctx: Context) -> None:
        from mlwarden.checks.typosquats.engine import Engine
        from mlwarden.checks.typosquats.text import canonical

        self.ctx = ctx
        self.check = check
        threshold = float(ctx.opt("threshold"))
        if not 0.0 < threshold <= 1.0:
            raise UsageError(f"--threshold must be between 0 and 1, not {threshold}")
        self.allow = parse_allow(ctx.opt("allow") or ())
        self.internal = {canonical(n) for n in ctx.opt("internal-names") or ()}
        self.prefixes = tuple(canonical(p) for p in ctx.opt("internal-prefixes") or () if p.strip())
        self.engine = Engine(threshold, allow=self.allow)
        self.cache: dict[str, Any] = {}
        self.internal_reported: set[str] = set()
        self.problem_seen: set[tuple[str, str, int | None]] = set()

    # ------------------------------------------------------------------ helpers

    def is_internal(self, name: str) -> bool:
        return name in self.internal or any(name.startswith(p) for p in self.prefixes)

    def config_display(self) -> str:
        cfg = self.ctx.config
        return self.ctx.display(cfg.path) if cfg.path else "<config>"

    # ------------------------------------------------------------------ main loop

    def findings(self) -> Iterator[Finding]:
        from mlwarden.core.files import iter_files

        ctx = self.ctx
        self.snapshot_note()
        names = list(ctx.opt("name") or ())
        for raw in names:
            yield from self.name_findings(raw, COMMAND_LINE, None, None)
        manifests = []
        hf_files: list[tuple[Path, str]] = []
        tree_confs: list[tuple[Path, str]] = []
        if ctx.paths:
            files: Iterable[Path] = ctx.files(self.check.matcher())  # the one walker (shared under scan)
        elif not names:
            files = iter_files(["."], root=ctx.root, match=self.check.matcher(), exclude=ctx.exclude,
                               use_git=ctx.use_git)
        else:
            files = ()
        from mlwarden.sources import is_manifest
        from mlwarden.sources.project import read_one

        for f in files:
            disp = ctx.display(f)
            low = f.name.lower()
            if low in PIP_CONF_NAMES:
                tree_confs.append((f, disp))
            elif is_manifest(disp) or is_manifest(f.name):
                manifests.append(read_one(f, disp))
            elif low.endswith(HF_SUFFIXES):
                hf_files.append((f, disp))
            else:  # an explicit file of another name: read it as a requirements file
                manifests.append(read_one(f, disp))
        yield from self.dependency_findings(manifests, tree_confs)
        yield from self.internal_config_findings()
        if ctx.opt("hf-ids"):
            for f, disp in hf_files:
                yield from self.hf_findings(f, disp)

    def snapshot_note(self) -> None:
        from mlwarden.checks.typosquats import data

        pop = data.popular()
        self.ctx.meta.setdefault("check-typosquats", {
            "snapshot_date": pop.date.isoformat() if pop.date else None, "popular_names": len(pop.names)})
        max_age = int(self.ctx.opt("max-data-age-days"))
        if pop.date is not None and max_age >= 0:
            age = (_dt.date.today() - pop.date).days
            if age > max_age:
                self.ctx.note(f"check-typosquats: the bundled PyPI snapshot is {age} days old "
                              f"({pop.date.isoformat()}); upgrade mlwarden for fresher data")

    # ------------------------------------------------------------------ names

    def name_findings(self, raw: str, path: str, line: int | None, column: int | None,
                      index: str | None = None) -> Iterator[Finding]:
        from mlwarden.checks.typosquats.text import canonical

        name = canonical(raw.strip())
        if not name:
            return
        if self.is_internal(name):
            return  # yours: checked by the dependency-confusion rules instead
        known = self.engine.known.get(name)
        if known is not None and known.category == "secondary-index" and name not in self.allow:
            if index is None:
                yield Finding(SECONDARY_INDEX, path,
                              f"'{raw}' is meant to come from a secondary index: {known.note}",
                              line=line, column=column,
                              hint="Pin it to the vendor index (uv [tool.uv.sources], poetry explicit "
                                   "source) instead of merging indexes with --extra-index-url.",
                              data={"target": name, "kind": "secondary-index", "score": 1.0})
            return
        if name not in self.cache:
            self.cache[name] = self.engine.match(raw)
        m = self.cache[name]
        if m is None:
            return
        yield self.name_finding(raw, m, path, line, column)

    def name_finding(self, raw: str, m: Any, path: str, line: int | None, column: int | None) -> Finding:
        from mlwarden.checks.typosquats import data

        date = data.popular().date
        when = f" as of {date.isoformat()}" if date else ""
        existence = "" if m.exists is None else (
            f"; it exists on PyPI{when}" if m.exists else f"; no such project on PyPI{when}")
        rule = _TYPO_KINDS_RULE.get(m.kind, TYPOSQUAT)
        severity: Severity | None = None
        if m.kind == "known-malicious":
            msg = f"'{raw}' is a known malicious package name ({m.detail})"
            hint = "Remove it; if it was installed, treat the machine's credentials as stolen."
        elif m.kind == "stdlib":
            msg = f"'{raw}' is a standard-library module, not a PyPI project you need{existence}"
            hint = "Remove the dependency: the module ships with Python."
        else:
            rank = f" (rank {m.target_rank})" if m.target_rank else ""
            what = "a combosquat of" if rule is COMBOSQUAT else "a typosquat of"
            msg = (f"'{raw}' looks like {what} the popular package '{m.target}'{rank}: {m.detail} "
                   f"[{m.kind}, score {m.score:.2f}]{existence}")
            from mlwarden.checks.typosquats.text import canonical

            hint = (f"Did you mean '{m.target}'? If '{raw}' is the project you want, add "
                    f"\"{canonical(raw.strip())}: <reason>\" to `allow` in [tool.mlwarden.check-typosquats].")
            # high only where random real names almost never score (0.2 % at 0.75, see the benchmark)
            if rule is TYPOSQUAT and m.score < HIGH_SCORE:
                severity = Severity.MEDIUM
            elif rule is COMBOSQUAT and m.score >= HIGH_SCORE:
                severity = Severity.HIGH
        data_: dict[str, Any] = {"target": m.target, "kind": m.kind, "score": m.score, "name": m.name,
                                 "target_rank": m.target_rank, "exists_on_pypi": m.exists,
                                 "detail": m.detail}
        return Finding(rule, path, msg, severity=severity, line=line, column=column, hint=hint, data=data_)

    # ------------------------------------------------------------------ manifests

    def dependency_findings(self, manifests: list[Any], tree_confs: list[tuple[Path, str]]
                            ) -> Iterator[Finding]:
        from mlwarden.checks.typosquats import confusion
        from mlwarden.checks.typosquats.text import canonical
        from mlwarden.core.rules import UNREADABLE

        environ = os.environ
        pip_reasons = confusion.pip_environment_reasons(environ, tree_confs,
                                                        bool(self.ctx.opt("pip-config")))
        uv_reasons = confusion.uv_environment_reasons(environ)
        included_paths = {inc.path for m in manifests for sub in confusion.manifest_tree(m)
                          for inc in sub.included}
        seen: set[tuple[str, str, int | None]] = set()
        internal: dict[tuple[str, str, int | None], tuple[Any, str, set[str]]] = {}
        for m in manifests:
            if m.meta.get("unreadable"):
                if not m.meta.get("no_reader"):
                    for p in m.problems:
                        yield Finding(UNREADABLE, m.path, p.message, line=p.line)
                continue
            if m.path in included_paths and len(manifests) > 1:
                continue  # read through the file that includes it, with that file's index options
            merging = [confusion.describe(s) for s in confusion.merging_settings(m)]
            if m.format == "requirements":
                merging += pip_reasons
            elif m.format in ("pyproject", "uv.lock"):
                merging += uv_reasons
            for sub in confusion.manifest_tree(m):
                for prob in sub.problems:
                    yield from self.unicode_problem_findings(prob)
            for dep in m.all_dependencies():
                name = dep.normalized or canonical(dep.name)
                key = (name, dep.source, dep.line)
                if dep.kind == "conda" or dep.local_path or (dep.url and not dep.index):
                    continue  # not resolved from a Python package index by name
                if self.is_internal(name):
                    # the same file may be reached through several including files: merge their indexes
                    internal.setdefault(key, (dep, name, set()))[2].update(merging)
                    continue
                if key in seen:
                    continue
                seen.add(key)
                yield from self.name_findings(dep.name, dep.source, dep.line, dep.column, dep.index)
        for dep, name, reasons in internal.values():
            yield from self.internal_dep_findings(dep, name, sorted(reasons))

    def unicode_problem_findings(self, prob: Any) -> Iterator[Finding]:
        """A line the reader rejected because its name has non-ASCII letters: a homoglyph attempt
        (``rеquests`` with a Cyrillic е) is still reported as one."""
        import re

        raw = (prob.raw or "").strip()
        if not raw or raw.isascii():
            return
        token = re.match(r"[^\s=<>!~;\[@,()#]+", raw)
        if token is None or token.group(0).isascii():
            return
        key = (token.group(0), prob.source, prob.line)
        if key in self.problem_seen:
            return
        self.problem_seen.add(key)
        yield from self.name_findings(token.group(0), prob.source, prob.line, prob.column)

    def internal_dep_findings(self, dep: Any, name: str, merging: list[str]) -> Iterator[Finding]:
        from mlwarden.checks.typosquats import confusion

        if dep.index and confusion.is_public_index(dep.index):
            yield Finding(DEPENDENCY_CONFUSION, dep.source,
                          f"internal package '{dep.name}' was resolved from the public index ({dep.index})",
                          severity=Severity.CRITICAL, line=dep.line, column=dep.column,
                          hint="Check what was installed: the public project of that name is not yours.",
                          data={"target": name, "kind": "resolved-from-public-index", "score": 1.0,
                                "index": dep.index})
        elif merging and not dep.index:
            reasons = "; ".join(sorted(set(merging)))
            yield Finding(DEPENDENCY_CONFUSION, dep.source,
                          f"internal package '{dep.name}' is installed through merged indexes: {reasons}",
                          line=dep.line, column=dep.column,
                          hint="Use one index that proxies PyPI, or pin the package to the internal index.",
                          data={"target": name, "kind": "merged-indexes", "score": 1.0,
                                "indexes": sorted(set(merging))})
        if name in self.engine.bloom and name not in self.internal_reported:
            self.internal_reported.add(name)
            yield self.public_finding(dep.name, name, dep.source, dep.line, dep.column)

    def public_finding(self, raw: str, name: str, path: str, line: int | None, column: int | None
                       ) -> Finding:
        from mlwarden.checks.typosquats import data

        date = data.popular().date
        when = f" (snapshot {date.isoformat()})" if date else ""
        return Finding(INTERNAL_NAME_PUBLIC, path,
                       f"internal package name '{raw}' exists on the public index{when}",
                       line=line, column=column,
                       hint="If you did not register it yourself, rename the internal package or claim the "
                            "name; never resolve it from merged indexes.",
                       data={"target": name, "kind": "internal-name-public", "score": 1.0})

    def internal_config_findings(self) -> Iterator[Finding]:
        for name in sorted(self.internal):
            if name in self.internal_reported:
                continue
            if name in self.engine.bloom:
                self.internal_reported.add(name)
                yield self.public_finding(name, name, self.config_display(), None, None)

    # ------------------------------------------------------------------ Hugging Face ids

    def hf_findings(self, path: Path, disp: str) -> Iterator[Finding]:
        from mlwarden.checks.typosquats import hf

        suffix = path.suffix.lower()
        for hit in _hf_hits(path, suffix, hf.MAX_BYTES):
            ident = f"{hit.org}/{hit.repo}"
            if hit.org.lower() in self.allow or ident.lower() in self.allow:
                continue
            yield Finding(HF_ORG_SQUAT, disp,
                          f"Hugging Face id '{ident}': organisation '{hit.org}' imitates '{hit.target}' "
                          f"[{hit.kind}]",
                          line=hit.line, column=hit.column,
                          hint=f"Did you mean '{hit.target}/{hit.repo}'? Check the organisation on the Hub.",
                          data={"target": hit.target, "kind": hit.kind, "score": hit.score, "id": ident})


def _hf_hits(path: Path, suffix: str, block: int) -> Iterator[Any]:
    """Hub-id hits of a file of any size, read in blocks of about ``block`` bytes cut at line ends (a big
    file is checked whole in bounded memory, never skipped in silence)."""
    from dataclasses import replace as _replace

    from mlwarden.checks.typosquats import hf

    try:
        fh = path.open("rb")
    except OSError:
        return
    with fh:
        base = 0
        carry = b""
        while True:
            try:
                more = fh.read(block)
            except OSError:
                return
            data = carry + more
            if not data:
                return
            cut = data.rfind(b"\n") + 1 if more else len(data)
            if cut == 0:
                if len(data) < 4 * block:
                    carry = data  # one long line: keep reading (bounded)
                    continue
                cut = len(data)
            chunk, carry = data[:cut], data[cut:]
            text = chunk.decode("utf-8", errors="replace")
            for hit in hf.scan_text(text, suffix):
                yield _replace(hit, line=hit.line + base) if base else hit
            base += text.count("\n")
