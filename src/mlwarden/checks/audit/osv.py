"""OSV records: validation into a compact form, version matching, alias families and pip-audit's id/fix
conventions. Pure functions over JSON data; nothing here touches files or the network.

A *compact record* (what the index stores, JSON-serialisable) keeps only what an audit needs::

    {"id", "aliases": [...], "summary", "details", "modified", "published", "severity": label|None,
     "severity_from": "CVSS_V3 9.8"|"database_specific"|None,
     "affected": [{"name": canonical, "raw": name as written,
                   "ranges": [[[event, version], ...], ...],   # ECOSYSTEM ranges, events as written
                   "versions": [...]}]}                         # PyPI entries only

Matching follows the OSV schema: a version is affected when it is listed in ``versions`` or falls inside an
ECOSYSTEM range, whose events are sorted by version before they are evaluated ("introduced": "0" is minus
infinity; ``fixed`` and ``limit`` are exclusive, ``last_affected`` inclusive). Versions are compared with
``packaging``. A local version (``2.1.0+cu118``) is compared by its public part (``2.1.0``): the local
label names a build of that upstream release, so it carries that release's bugs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mlwarden.checks.audit.cvss import base_score, qualitative

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_EVENT_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}
_SEVERITY_WORDS = {"critical": "critical", "high": "high", "moderate": "medium", "medium": "medium",
                   "low": "low", "none": "info", "informational": "info", "info": "info"}
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Malformed(ValueError):
    """A record that does not follow the OSV schema well enough to be used."""


@functools.lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{what} is not a string")
    return value


def _opt_str(value: Any, what: str) -> str | None:
    if value is None:
        return None
    return _str(value, what)


def compact(doc: Any, warnings: list[str]) -> dict[str, Any] | None:
    """Validate one OSV record and keep its PyPI facts. Returns None for a withdrawn record or one with
    no PyPI package; raises Malformed for a record that breaks the schema. Invalid versions inside ranges
    are dropped with a warning appended to ``warnings``."""
    if not isinstance(doc, dict):
        raise Malformed("record is not a JSON object")
    rid = doc.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise Malformed("record has no id")
    if doc.get("withdrawn"):
        return None
    schema = doc.get("schema_version")
    if isinstance(schema, str) and schema.split(".")[0] not in ("", "1"):
        warnings.append(f"{rid}: skipped record with unsupported OSV schema_version {schema}")
        return None
    aliases = doc.get("aliases") or []
    if not isinstance(aliases, list) or not set(map(type, aliases)) <= {str}:
        raise Malformed(f"{rid}: aliases is not a list of strings")
    affected = doc.get("affected")
    if affected is None:
        return None
    if not isinstance(affected, list):
        raise Malformed(f"{rid}: affected is not a list")
    entries: list[dict[str, Any]] = []
    for aff in affected:
        if not isinstance(aff, dict) or not isinstance(aff.get("package"), dict):
            raise Malformed(f"{rid}: affected entry without a package")
        pkg = aff["package"]
        if pkg.get("ecosystem") != "PyPI":
            continue
        raw = _str(pkg.get("name"), f"{rid}: package name")
        ranges: list[list[list[str]]] = []
        rlist = aff.get("ranges") or []
        if not isinstance(rlist, list):
            raise Malformed(f"{rid}: ranges is not a list")
        for rng in rlist:
            if not isinstance(rng, dict):
                raise Malformed(f"{rid}: range is not an object")
            if rng.get("type") != "ECOSYSTEM":
                continue
            events = rng.get("events")
            if not isinstance(events, list):
                raise Malformed(f"{rid}: range without events")
            kept: list[list[str]] = []
            for ev in events:
                if not isinstance(ev, dict) or len(ev) != 1:
                    raise Malformed(f"{rid}: event is not a one-key object")
                kind, value = next(iter(ev.items()))
                if kind not in EVENT_KINDS or not isinstance(value, str):
                    raise Malformed(f"{rid}: unknown event {kind!r}")
                if not (kind == "introduced" and value == "0") and parse_version(value) is None:
                    warnings.append(f"{rid}: skipped {kind} event with invalid version {value!r}")
                    continue
                kept.append([kind, value])
            ranges.append(kept)
        versions = aff.get("versions") or []
        if not isinstance(versions, list) or not set(map(type, versions)) <= {str}:
            raise Malformed(f"{rid}: versions is not a list of strings")
        entries.append({"name": canonicalize_name(raw), "raw": raw, "ranges": ranges,
                        "versions": list(versions)})
    if not entries:
        return None
    summary = _opt_str(doc.get("summary"), f"{rid}: summary")
    details = _opt_str(doc.get("details"), f"{rid}: details")
    severity, source = record_severity(doc)
    return {
        # aliases keep the record's order: pip-audit's reported id is the first PYSEC/CVE id in that order
        "id": rid, "aliases": [a for i, a in enumerate(aliases) if a != rid and a not in aliases[:i]],
        "summary": summary, "details": details,
        "modified": _opt_str(doc.get("modified"), f"{rid}: modified") or "",
        "published": _opt_str(doc.get("published"), f"{rid}: published"),
        "severity": severity, "severity_from": source, "affected": entries,
    }


def record_severity(doc: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Severity label of a record: the highest CVSS v3 base score among ``severity`` entries, else the
    qualitative ``database_specific.severity`` (GHSA style), else one from an affected entry; None when the
    record states none."""
    best: tuple[float, str] | None = None
    sev = doc.get("severity")
    if isinstance(sev, list):
        for item in sev:
            if isinstance(item, dict) and isinstance(item.get("type"), str) \
                    and item["type"].startswith("CVSS_V3") and isinstance(item.get("score"), str):
                score = base_score(item["score"])
                if score is not None and (best is None or score > best[0]):
                    best = (score, item["type"])
    if best is not None:
        return qualitative(best[0]), f"{best[1]} {best[0]:.1f}"
    candidates: list[Any] = [doc.get("database_specific")]
    aff = doc.get("affected")
    if isinstance(aff, list):
        for a in aff:
            if isinstance(a, dict):
                candidates += [a.get("database_specific"), a.get("ecosystem_specific")]
    for c in candidates:
        if isinstance(c, dict) and isinstance(c.get("severity"), str):
            label = _SEVERITY_WORDS.get(c["severity"].strip().lower())
            if label:
                return label, "database_specific"
    return None, None


# -- matching ----------------------------------------------------------------------------------------

_ZERO = Version("0")


def _sort_key(event: Sequence[str]) -> tuple[int, Version, int]:
    kind, value = event[0], event[1]
    if kind == "introduced" and value == "0":
        return (0, _ZERO, 0)
    return (1, parse_version(value) or _ZERO, _EVENT_ORDER[kind])


def _sorted_events(events: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    return sorted(events, key=_sort_key)


def in_range(version: Version, events: Sequence[Sequence[str]]) -> bool:
    limits = [parse_version(v) for k, v in events if k == "limit"]
    if limits and not any(lim is not None and version < lim for lim in limits):
        return False
    affected = False
    for kind, value in _sorted_events([e for e in events if e[0] != "limit"]):
        if kind == "introduced":
            if value == "0":
                affected = True
            else:
                v = parse_version(value)
                if v is not None and version >= v:
                    affected = True
        elif kind == "fixed":
            v = parse_version(value)
            if v is not None and version >= v:
                affected = False
        elif kind == "last_affected":
            v = parse_version(value)
            if v is not None and version > v:
                affected = False
    return affected


def public(version: Version) -> Version:
    return Version(version.public) if version.local else version


def entry_affects(entry: Mapping[str, Any], version: Version, raw_version: str) -> bool:
    pv = public(version)
    for listed in entry["versions"]:
        if listed == raw_version:
            return True
        lv = parse_version(listed)
        if lv is not None and lv == pv:
            return True
    return any(in_range(pv, rng) for rng in entry["ranges"])


def record_affects(rec: Mapping[str, Any], name: str, version: Version, raw_version: str) -> bool:
    return any(e["name"] == name and entry_affects(e, version, raw_version) for e in rec["affected"])


def fixed_after(rec: Mapping[str, Any], name: str, version: Version) -> list[Version]:
    """For each ECOSYSTEM range of ``name`` that contains ``version``: the smallest ``fixed`` above it."""
    pv = public(version)
    out: list[Version] = []
    for e in rec["affected"]:
        if e["name"] != name:
            continue
        for rng in e["ranges"]:
            if not in_range(pv, rng):
                continue
            fixes = [f for f in (parse_version(v) for k, v in rng if k == "fixed")
                     if f is not None and f > pv]
            if fixes:
                out.append(min(fixes))
    return out


def all_fixed(rec: Mapping[str, Any], name: str) -> list[Version]:
    out = set()
    for e in rec["affected"]:
        if e["name"] == name:
            for rng in e["ranges"]:
                for k, v in rng:
                    pv = parse_version(v) if k == "fixed" else None
                    if pv is not None:
                        out.add(pv)
    return sorted(out)


# -- pip-audit conventions ---------------------------------------------------------------------------

def _id_rank(ident: str) -> int:
    if ident.startswith("PYSEC"):
        return 1
    if ident.startswith("CVE"):
        return 2
    return 3


def primary_id(rec: Mapping[str, Any]) -> str:
    """pip-audit's reported id of one record: among ``[id, *aliases]`` the first PYSEC id, else the first
    CVE id, else the record's own id (a stable sort by that rank)."""
    ids: list[str] = [rec["id"], *rec["aliases"]]
    return sorted(ids, key=_id_rank)[0]


def pip_audit_fix_versions(rec: Mapping[str, Any], name: str) -> list[str]:
    """pip-audit's ``fix_versions``: the ``fixed`` events of the first ECOSYSTEM range of the last affected
    entry whose package name equals the dependency's canonical name, sorted."""
    found: list[str] | None = None
    for e in rec["affected"]:
        if e["raw"] == name:
            for rng in e["ranges"]:
                found = [v for k, v in rng if k == "fixed"]
                break
    vers = [v for v in (parse_version(s) for s in (found or [])) if v is not None]
    return [str(v) for v in sorted(vers)]


def description(rec: Mapping[str, Any]) -> str:
    """pip-audit's description: ``summary`` when present (even empty), else ``details``, else "N/A"."""
    text = rec.get("summary")
    if text is None:
        text = rec.get("details")
    if text is None:
        text = "N/A"
    return str(text).replace("\n", " ")


@dataclass
class Family:
    """One advisory family for one dependency: records that alias each other, merged."""

    id: str  # reported id (pip-audit convention)
    aliases: set[str] = field(default_factory=set)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return self.aliases | {self.id}

    @property
    def lead(self) -> dict[str, Any]:
        return self.records[0]

    @property
    def malicious(self) -> bool:
        return any(i.startswith("MAL-") for i in self.ids)

    @property
    def severity(self) -> str | None:
        labels = [r["severity"] for r in self.records if r.get("severity")]
        return max(labels, key=lambda s: SEVERITY_RANK[s]) if labels else None


def families(records: Iterable[dict[str, Any]]) -> list[Family]:
    """Merge records that share any id (their own or an alias), PYSEC-reported records first, as pip-audit
    does: the first record of a family gives its id, description and fix versions."""
    recs = sorted(records, key=lambda r: r["id"])
    ordered = [r for r in recs if primary_id(r).startswith("PYSEC")] + \
        [r for r in recs if not primary_id(r).startswith("PYSEC")]
    out: list[Family] = []
    for rec in ordered:
        pid = primary_id(rec)
        ids = {rec["id"], *rec["aliases"]}
        target = next((f for f in out if f.ids & ids), None)
        if target is None:
            out.append(Family(id=pid, aliases=ids - {pid}, records=[rec]))
            continue
        target.records.append(rec)
        target.aliases |= ids - {target.id}
        # a record may bridge two families already seen: merge them
        for other in [f for f in out if f is not target and f.ids & target.ids]:
            target.records.extend(other.records)
            target.aliases |= other.ids - {target.id}
            out.remove(other)
    return out


def nearest_fix(fam: Family, name: str, version: Version, raw: str) -> Version | None:
    """The smallest release above ``version`` outside every affected range of the family (following
    fixed versions upward), or None when no fixed release is known."""
    current = version
    for _ in range(32):
        cands: list[Version] = []
        blocked = False
        for rec in fam.records:
            if not record_affects(rec, name, current, str(current) if current is not version else raw):
                continue
            fixes = fixed_after(rec, name, current)
            if not fixes:
                blocked = True
            cands.extend(fixes)
        if current is not version and not cands and not blocked:
            return current
        if blocked or not cands:
            return None
        current = max(cands)
    return None
