"""audit-deps: known vulnerabilities and malicious releases of the pinned dependencies, from OSV data.

Offline first: an OSV database (``all.zip`` or a directory of records, ``--osv-db``) indexed once into a
sqlite3 cache; the OSV API only when asked (``--online`` / ``--osv-url``). A dependency that cannot be
audited is a finding, and a data source that cannot be used is an error (exit 2), never "clean".
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlsplit

from mlwarden.checks.audit.rules import CANNOT_AUDIT, IGNORE_EXPIRED, MALICIOUS, RULES, VULNERABLE
from mlwarden.checks.base import Check, Context
from mlwarden.core.errors import ConfigError, InputError
from mlwarden.core.findings import Finding, Severity
from mlwarden.core.options import Option

if TYPE_CHECKING:
    from packaging.version import Version

    from mlwarden.checks.audit.osv import Family
    from mlwarden.checks.audit.store import DbInfo
    from mlwarden.sources.model import Dependency, Manifest

META_KEY = "audit-deps"
STALE_WARNING_DAYS = 7
DEFAULT_API_URL = "https://api.osv.dev"  # kept here so offline runs never import the HTTP client


class StaleDatabaseError(InputError):
    """The advisory database is older than ``--max-db-age``: its "clean" cannot be trusted."""


@dataclass(frozen=True)
class Ignore:
    id: str
    reason: str
    until: _dt.date | None = None
    origin: str = "--ignore-vuln"


_IGNORE = re.compile(r"^\s*(?P<id>[A-Za-z0-9][A-Za-z0-9._:-]*?)\s*:\s*(?P<reason>.*?)"
                     r"(?:\s+until\s+(?P<until>\d{4}-\d{2}-\d{2}))?\s*$")


def parse_ignore(text: str) -> Ignore:
    """``"ID: reason"`` or ``"ID: reason until YYYY-MM-DD"`` (the reason is required)."""
    m = _IGNORE.match(text)
    if not m or not m.group("reason").strip() or re.fullmatch(r"until\s+\S+", m.group("reason").strip()):
        raise ConfigError(f"audit-deps ignore {text!r}: expected \"ID: reason [until YYYY-MM-DD]\"")
    until = None
    if m.group("until"):
        try:
            until = _dt.date.fromisoformat(m.group("until"))
        except ValueError:
            raise ConfigError(f"audit-deps ignore {text!r}: bad date {m.group('until')!r}") from None
    return Ignore(m.group("id"), m.group("reason").strip(), until, origin="ignore-advisory")


def _wheel_version(url: str, name: str) -> str | None:
    """The version in a wheel's or sdist's file name at the end of ``url``."""
    from packaging.utils import canonicalize_name

    base = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    low = base.lower()
    if low.endswith(".whl"):
        parts = base[:-4].split("-")
        return parts[1] if len(parts) >= 5 else None
    for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".zip", ".tgz"):
        if low.endswith(ext):
            stem = base[: -len(ext)]
            for i in range(len(stem) - 1, 0, -1):
                if stem[i] == "-" and canonicalize_name(stem[:i]) == name:
                    return stem[i + 1:] or None
    return None


@dataclass
class Target:
    """One dependency occurrence to audit (or the reason it cannot be)."""

    dep: Dependency
    name: str  # canonical
    version: str | None
    parsed: Version | None
    reason: str = ""  # why it cannot be audited
    low: bool = False  # severity hint for cannot-audit


def _target(dep: Dependency, manifest: Manifest) -> Target:
    from mlwarden.checks.audit.osv import parse_version

    name = dep.normalized
    version = dep.version
    if version is None and dep.url and not dep.vcs:
        version = _wheel_version(dep.url, name)
    if version is not None:
        v = parse_version(version.strip())
        if v is None:
            return Target(dep, name, version, None, f"version {version!r} is not a PEP 440 version, so no "
                                                    "advisory range can be compared with it")
        return Target(dep, name, version.strip(), v)
    spec = dep.specifier.strip()
    if dep.editable or dep.local_path:
        return Target(dep, name, None, None, "local or editable path: it has no release version", low=True)
    if dep.vcs:
        return Target(dep, name, None, None, f"{dep.vcs} requirement without a release version")
    if dep.url:
        return Target(dep, name, None, None, "URL requirement whose file name carries no version")
    if "*" in spec:
        return Target(dep, name, None, None, f"wildcard pin {spec} matches several releases")
    # ranges are expected in a library's metadata and in pip-compile inputs: the lock/compiled file pins
    # (and conda-native entries such as `python=3.11` are mostly not PyPI packages at all)
    expected = manifest.is_library or bool(manifest.meta.get("input")) or \
        manifest.path.lower().endswith(".in") or dep.kind == "conda"
    if spec:
        return Target(dep, name, None, None, f"not pinned to one version ({spec})", low=expected)
    return Target(dep, name, None, None, "no version specified", low=expected)


def _public_str(version: str) -> str:
    from mlwarden.checks.audit.osv import parse_version, public

    v = parse_version(version)
    return str(public(v)) if v is not None else version


class AuditDeps(Check):
    name: ClassVar[str] = "audit-deps"
    description: ClassVar[str] = (
        "Known vulnerabilities and malicious releases of pinned dependencies, from an offline OSV database "
        "(--osv-db) or the OSV API (--online / --osv-url).")
    rules = RULES
    formats: ClassVar[dict[str, str]] = {"pip-audit-json": "mlwarden.checks.audit.pipaudit:render"}
    options: ClassVar[tuple[Option, ...]] = (
        Option("osv-db", "str", None, "OSV database: the PyPI all.zip or a directory of OSV JSON records "
               "(default: the copy `mlwarden db update` keeps in the cache folder)", metavar="PATH",
               short="--db"),
        Option("online", "bool", False, "query the OSV API instead of an offline database"),
        Option("osv-url", "str", None, "OSV API base URL, e.g. a mirror (implies --online; default "
               "https://api.osv.dev)", metavar="URL"),
        Option("timeout", "float", 15.0, "network timeout in seconds for the OSV API", metavar="SECONDS"),
        Option("deadline", "float", 300.0, "overall time limit in seconds for all OSV API requests of a run "
               "(a slow or endless server ends in an error, exit 2)", metavar="SECONDS"),
        Option("max-db-age", "int", None, "fail (exit 2) when the newest record of the offline database "
               "is older than DAYS", metavar="DAYS"),
        Option("cache-dir", "str", None, "where the database index is cached (default "
               "$XDG_CACHE_HOME/mlwarden)", metavar="DIR", writes=True),
        Option("ignore-vuln", "list", (), "advisory id (or any alias) to ignore", metavar="ID"),
        Option("require-data", "bool", False, "under pre-commit, fail (exit 2) when no advisory data is "
               "configured instead of skipping with a note (outside pre-commit it always fails)"),
        Option("ignore-advisory", "list", (), "ignore an advisory with a reason and optional expiry: "
               "\"ID: reason [until YYYY-MM-DD]\"", metavar="ENTRY"),
    )

    def matcher(self) -> Any:
        from mlwarden.sources import is_manifest

        return is_manifest

    def run(self, ctx: Context) -> Iterator[Finding]:
        return iter(self._run(ctx))

    # -- steps ---------------------------------------------------------------------------------------

    def _ignores(self, ctx: Context) -> list[Ignore]:
        out = [Ignore(i.strip(), "--ignore-vuln") for i in ctx.opt("ignore-vuln") or () if i.strip()]
        out += [parse_ignore(t) for t in ctx.opt("ignore-advisory") or ()]
        return out

    def _collect(self, ctx: Context) -> tuple[list[Target], list[Finding]]:
        from mlwarden.core.rules import UNREADABLE
        from mlwarden.sources.project import project_manifests, unreadable

        manifests = project_manifests(ctx)
        findings: list[Finding] = []
        targets: list[Target] = []
        seen_files: set[str] = set()

        def add(m: Manifest) -> None:
            if m.path in seen_files:
                return
            seen_files.add(m.path)
            if unreadable(m):
                msg = m.problems[0].message if m.problems else "unreadable"
                # a file we could not read hides its dependencies (high); a format whose reader is not
                # installed in this build is a known gap (medium)
                sev = Severity.MEDIUM if m.meta.get("no_reader") else Severity.HIGH
                findings.append(Finding(rule=UNREADABLE, path=m.path, severity=sev,
                                        message=f"not audited: {msg}",
                                        hint="fix the file (or exclude it): its dependencies were not "
                                             "checked against any advisory"))
                return
            for dep in m.dependencies:
                targets.append(_target(dep, m))
            for inc in m.included:
                add(inc)

        for m in manifests:
            add(m)
        return targets, findings

    def _source(self, ctx: Context) -> tuple[str, str]:
        """("api", url) or ("db", path); a usage error when neither is configured."""
        from mlwarden.checks.audit.store import default_db_path

        if ctx.opt("osv-url") or ctx.opt("online"):
            if ctx.opt("osv-db"):
                ctx.note("--osv-db not used: the OSV API was asked for (--online / --osv-url)")
            return "api", ctx.opt("osv-url") or DEFAULT_API_URL
        if ctx.opt("osv-db"):
            given = Path(str(ctx.opt("osv-db"))).expanduser()
            # a relative path written in the config file is relative to that file's folder
            if not given.is_absolute() and not given.exists() and (ctx.config.root / given).exists():
                given = ctx.config.root / given
            return "db", str(given)
        fallback = default_db_path(self._cache_dir(ctx))
        if fallback.is_file():
            return "db", str(fallback)
        if os.environ.get("PRE_COMMIT") == "1" and not ctx.opt("require-data"):
            # the first run of a hook (pre-commit try-repo) must not fail for want of a download
            ctx.note("audit-deps skipped: no advisory data yet; run `mlwarden db update` once to enable it "
                     "(or set osv-db / online in [tool.mlwarden.audit-deps]; require-data = true makes this "
                     "an error)")
            return "none", ""
        from mlwarden.core.errors import UsageError

        raise UsageError("audit-deps needs advisory data: pass --osv-db PATH (an OSV all.zip or directory; "
                         "env MLWARDEN_OSV_DB), run `mlwarden db update` once, or ask for the OSV API with "
                         "--online / --osv-url URL")

    @staticmethod
    def _cache_dir(ctx: Context) -> Path:
        from mlwarden.checks.audit.store import default_cache_dir

        c = ctx.opt("cache-dir")
        return Path(c).expanduser() if c else default_cache_dir()

    def _run(self, ctx: Context) -> list[Finding]:
        from mlwarden.checks.audit import osv

        ignores = self._ignores(ctx)
        kind, where = self._source(ctx)
        if kind == "none":
            return []
        timeout = float(ctx.opt("timeout") or 15.0)
        if timeout <= 0:
            from mlwarden.core.errors import UsageError

            raise UsageError("--timeout must be positive")
        targets, findings = self._collect(ctx)
        if not targets and not findings:
            ctx.note("no dependency manifests (or no dependencies) found: nothing was audited")
        auditable = [t for t in targets if t.parsed is not None]
        pairs = sorted({(t.name, t.version) for t in auditable if t.version is not None})
        matched: dict[tuple[str, str], list[dict[str, Any]]]
        if kind == "db":
            matched, info = self._offline(ctx, Path(where).expanduser(), pairs)
        else:
            matched, info = self._online(ctx, where, timeout, pairs)
        self._report_db(ctx, info)

        today = _dt.date.today()
        active = [i for i in ignores if i.until is None or i.until >= today]
        cfg_path = ctx.display(ctx.config.path) if ctx.config.path else "mlwarden.toml"
        for ig in ignores:
            if ig.until is not None and ig.until < today:
                findings.append(Finding(
                    rule=IGNORE_EXPIRED, path=cfg_path,
                    message=f"ignore of {ig.id} expired on {ig.until.isoformat()} (reason was: {ig.reason})",
                    hint="upgrade past the advisory, or renew the entry with a fresh reason and date",
                    data={"id": ig.id, "until": ig.until.isoformat(), "reason": ig.reason}))
        ignored_ids = {i.id.upper() for i in active}

        fams: dict[tuple[str, str], list[Family]] = {}
        ignored: list[dict[str, str]] = []
        for pair in pairs:
            fl = osv.families(matched.get(pair, []))
            fams[pair] = [f for f in fl if not ({i.upper() for i in f.ids} & ignored_ids)]
            ignored += [{"package": pair[0], "version": pair[1], "id": f.id}
                        for f in fl if {i.upper() for i in f.ids} & ignored_ids]
        if ignored:
            ctx.note(f"{len(ignored)} advisory finding(s) ignored by --ignore-vuln / ignore: "
                     + ", ".join(f"{d['package']} {d['version']} {d['id']}" for d in ignored[:20])
                     + (" ..." if len(ignored) > 20 else ""))
            ctx.meta.setdefault(META_KEY, {})["ignored"] = ignored
        pinned_names = {t.name for t in targets if t.parsed is not None}
        deps_meta: list[dict[str, Any]] = []
        seen_meta: set[tuple[str, str]] = set()
        for t in targets:
            if t.parsed is None or t.version is None:
                sev = Severity.LOW if t.low else None
                extra = ""
                if t.name in pinned_names:  # e.g. a range in pyproject.toml that a lock file pins
                    sev, extra = Severity.INFO, " (a pin of it elsewhere in the project was audited)"
                findings.append(Finding(
                    rule=CANNOT_AUDIT, path=t.dep.source, line=t.dep.line, column=t.dep.column, severity=sev,
                    message=f"{t.dep.name}: cannot audit: {t.reason}{extra}",
                    hint="pin one exact version (==X.Y.Z) or audit the lock file that pins it",
                    data={"package": t.name, "reason": t.reason, "specifier": t.dep.specifier}))
                key = (t.name, "")
                if key not in seen_meta and t.name not in pinned_names:
                    seen_meta.add(key)
                    deps_meta.append({"name": t.name, "skip_reason": t.reason})
                continue
            key = (t.name, t.version)
            if key not in seen_meta:
                seen_meta.add(key)
                deps_meta.append({"name": t.name, "version": str(t.parsed)})
            for fam in fams.get(key, []):
                findings.append(self._finding(t, fam))
        ctx.meta.setdefault(META_KEY, {})["dependencies"] = deps_meta
        return findings

    def _finding(self, t: Target, fam: Family) -> Finding:
        from mlwarden.checks.audit import osv

        assert t.parsed is not None and t.version is not None
        lead = fam.lead
        fix = osv.nearest_fix(fam, t.name, t.parsed, t.version)
        fixed_all = sorted({v for r in fam.records for v in osv.all_fixed(r, t.name)})
        summary = " ".join(str(lead.get("summary") or osv.description(lead)).split())[:300]
        aliases = sorted(fam.aliases)
        label = fam.severity
        sev: Severity | None
        if fam.malicious:
            rule, sev = MALICIOUS, Severity.CRITICAL
        else:
            rule = VULNERABLE
            sev = Severity.parse(label) if label else None
        alias_txt = f" ({', '.join(aliases)})" if aliases else ""
        if fam.malicious:
            hint = f"remove {t.dep.name} {t.version}: this release is known to be malicious"
        elif fix is not None:
            hint = f"upgrade to {t.dep.name}>={fix}"
        else:
            hint = "no fixed release is known: replace the package or accept the risk with a dated ignore"
        return Finding(
            rule=rule, path=t.dep.source, line=t.dep.line, column=t.dep.column, severity=sev,
            message=f"{t.dep.name} {t.version}: {fam.id}{alias_txt}: {summary}",
            hint=hint,
            data={
                "package": t.name, "version": str(t.parsed), "id": fam.id, "aliases": aliases,
                "summary": summary, "description": osv.description(lead),
                "severity": label or ("critical" if fam.malicious else None),
                "severity_source": lead.get("severity_from"),
                "fix_versions": osv.pip_audit_fix_versions(lead, t.name),
                "fixed_versions": [str(v) for v in fixed_all],
                "nearest_fix": str(fix) if fix is not None else None,
                "records": sorted(r["id"] for r in fam.records),
            })

    def _offline(self, ctx: Context, path: Path, pairs: list[tuple[str, str]]
                 ) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], DbInfo]:
        from mlwarden.checks.audit import osv
        from mlwarden.checks.audit.store import OfflineDb

        db = OfflineDb(path, self._cache_dir(ctx))
        try:
            info = db.info
            if info.records == 0:
                raise InputError(f"advisory database holds no usable PyPI records ({len(info.malformed)} "
                                 "malformed): an audit against it would report everything as clean",
                                 path=str(path))
            max_age = ctx.opt("max-db-age")
            if max_age is not None:
                age = info.age_days()
                if age is None or age > int(max_age):
                    shown = "unknown" if age is None else f"{age} days"
                    raise StaleDatabaseError(
                        f"advisory database is {shown} old (newest record modified "
                        f"{info.newest_modified or 'never'}), older than --max-db-age {max_age}: run "
                        "`mlwarden db update`; an audit against stale data is not reported as clean",
                        path=str(path))
            by_name = db.lookup({n for n, _ in pairs})
        finally:
            db.close()
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for name, version in pairs:
            v = osv.parse_version(version)
            assert v is not None
            out[(name, version)] = [r for r in by_name.get(name, [])
                                    if osv.record_affects(r, name, v, version)]
        return out, info

    def _online(self, ctx: Context, url: str, timeout: float, pairs: list[tuple[str, str]]
                ) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], DbInfo]:
        from mlwarden.checks.audit import osv
        from mlwarden.checks.audit.api import OsvApi
        from mlwarden.checks.audit.store import DbInfo, parse_time
        from mlwarden.core.net import Deadline

        deadline = float(ctx.opt("deadline") or 300.0)
        if not deadline > 0:
            from mlwarden.core.errors import UsageError

            raise UsageError("--deadline must be positive")
        api = OsvApi(url, timeout, Deadline(deadline))
        info = DbInfo(source=api.base, kind="api")
        # ask about the public version: advisories name upstream releases, and a local build of one
        # (2.1.0+cu118) carries its bugs (the same rule as the offline matcher)
        asked = {p: (p[0], _public_str(p[1])) for p in pairs}
        queries = sorted(set(asked.values()))
        answers = dict(zip(queries, api.query_batch(queries), strict=True)) if queries else {}
        ids_per = [answers[asked[p]] for p in pairs]
        docs = api.vulns(sorted({i for ids in ids_per for i in ids}))
        records: dict[str, dict[str, Any]] = {}
        newest: Any = None
        for ident, doc in sorted(docs.items()):
            try:
                if isinstance(doc, dict) and doc.get("id") != ident:
                    raise osv.Malformed(f"the service returned record {str(doc.get('id'))[:80]!r}")
                rec = osv.compact(doc, info.warnings)
            except (osv.Malformed, RecursionError) as exc:
                # the service says this advisory affects the pin but its record is unusable: report the
                # id anyway (never drop an advisory the service matched)
                info.malformed.append(f"{ident}: {exc}")
                records[ident] = {"id": ident, "aliases": [], "summary": "(advisory record unreadable: "
                                  f"{str(exc)[:120]}; see https://osv.dev/vulnerability/{ident})",
                                  "details": None, "modified": "", "published": None, "severity": None,
                                  "severity_from": None, "affected": []}
                continue
            if rec is None:
                if isinstance(doc, dict) and doc.get("withdrawn"):
                    info.withdrawn += 1
                continue
            records[ident] = rec
            mod = parse_time(rec["modified"])
            if mod is not None and (newest is None or mod > newest[0]):
                newest = (mod, rec["modified"])
        info.records = len(records)
        info.newest_modified = newest[1] if newest else None
        out = {pair: [records[i] for i in ids if i in records]
               for pair, ids in zip(pairs, ids_per, strict=True)}
        ctx.meta.setdefault(META_KEY, {})["api_requests"] = api.requests
        return out, info

    @staticmethod
    def _report_db(ctx: Context, info: DbInfo) -> None:
        from mlwarden.checks.audit.store import MAX_NOTES

        meta = ctx.meta.setdefault(META_KEY, {})
        meta["database"] = info.as_meta()
        if info.kind == "api":
            ctx.note(f"advisory data: OSV API {info.source} (live; newest record among the "
                     f"{info.records} returned modified {info.newest_modified or 'n/a'})")
            meta["database"]["age_days"] = None
        else:
            age = info.age_days()
            ctx.note(f"advisory database: {info.source} ({info.kind}, {info.records} PyPI records, newest "
                     f"modified {info.newest_modified or 'unknown'}, "
                     f"{'age unknown' if age is None else f'{age} days old'}; index {info.cache})")
            if age is not None and age > STALE_WARNING_DAYS:
                ctx.note(f"the advisory database is {age} days old: advisories published since are missing; "
                         "run `mlwarden db update` (or fail on staleness with --max-db-age DAYS)")
        if info.malformed:
            shown = "; ".join(sorted(info.malformed)[:MAX_NOTES])
            more = f" (+{len(info.malformed) - MAX_NOTES} more)" if len(info.malformed) > MAX_NOTES else ""
            ctx.note(f"skipped {len(info.malformed)} malformed advisory record(s): {shown}{more}")
        if info.warnings:
            shown = "; ".join(sorted(info.warnings)[:MAX_NOTES])
            more = f" (+{len(info.warnings) - MAX_NOTES} more)" if len(info.warnings) > MAX_NOTES else ""
            ctx.note(f"advisory data warnings: {shown}{more}")


