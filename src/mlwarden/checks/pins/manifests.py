"""check-pins rules for every manifest format except requirements files: pyproject.toml, uv.lock,
poetry.lock, Pipfile, Pipfile.lock, pdm.lock, pylock.toml and conda environment files.

``check_manifest(manifest, options)`` yields:

* the per-dependency rules of :mod:`mlwarden.checks.pins.common` (``unpinned``, ``missing-hash``,
  ``vcs-unpinned``, ``url-no-hash``, ``insecure-transport``, ``editable``, ``local-path``), except
  ``unpinned`` on lock entries (a lock entry is one version by definition);
* index rules: ``extra-index`` for an index searched besides the default one (uv non-default,
  non-explicit indexes and ``extra-index-url``, Poetry supplemental/secondary and extra primary sources,
  Pipfile / Pipfile.lock sources after the first, PDM sources), ``index-url`` for a configured replacement
  of PyPI, ``find-links``, ``insecure-transport`` for http:// indexes and channels, ``ssl-verify-disabled``
  for ``verify_ssl = false``; index rules are silenced for URLs in ``trusted-indexes``;
* lock rules: ``lock-no-hash``, ``lock-foreign-registry``, ``lock-git-no-commit``;
* conda rules: ``conda-unpinned``, ``conda-fuzzy-pin``, and the requirements rules for the ``pip:`` block;
* ``duplicate-name`` within one list (pyproject), one section (Pipfile), the conda list, or a lock file
  (same name, version and source twice);
* ``invalid-line`` for entries the reader could not accept (wrong types, invalid requirement strings).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from mlwarden.checks.pins.common import HEX40, dependency_findings, insecure_url, redact
from mlwarden.checks.pins.rules import (
    CONDA_FUZZY_PIN,
    CONDA_UNPINNED,
    DUPLICATE_NAME,
    EDITABLE,
    EXTRA_INDEX,
    FIND_LINKS,
    INDEX_URL,
    INSECURE_TRANSPORT,
    INVALID_LINE,
    LOCAL_PATH,
    LOCK_FOREIGN_REGISTRY,
    LOCK_GIT_NO_COMMIT,
    LOCK_NO_HASH,
    MISSING_HASH,
    SSL_VERIFY_DISABLED,
    UNPINNED,
)
from mlwarden.core.findings import Finding, Severity
from mlwarden.sources.model import Dependency, IndexSetting, Manifest

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
# the interpreter and installer themselves: a loose pin there is a reproducibility issue more than a
# supply-chain one
CONDA_TOOLS = frozenset({"python", "pip"})


def check_manifest(manifest: Manifest, options: Mapping[str, Any]) -> Iterator[Finding]:
    trusted = options.get("trusted-indexes") or ()
    yield from _problems(manifest)
    yield from _indexes(manifest, trusted)
    if manifest.format == "conda":
        yield from _conda(manifest, options)
        return
    members = set(manifest.meta.get("members") or ())
    # an insecure index declared in this file is reported once, at its declaration
    declared = {_normalize(ix.value) for ix in manifest.indexes}
    for dep in manifest.dependencies:
        if dep.extra.get("workspace") or (dep.normalized in members and dep.kind != "lock"):
            continue
        own = _is_project_itself(dep)
        for f in dependency_findings(dep, manifest, options):
            if dep.kind == "lock" and f.rule is UNPINNED and not _lock_without_version(dep, manifest):
                continue
            if own and f.rule in (EDITABLE, LOCAL_PATH):
                continue
            if f.rule is INSECURE_TRANSPORT and dep.index and f.data.get("url") == redact(dep.index) \
                    and _normalize(dep.index) in declared:
                continue
            yield f
        if dep.kind == "lock":
            yield from _lock_rules(dep, manifest, trusted)
    # build requirements: ranges are the norm there, but a URL, VCS ref or plain http is not
    for dep in manifest.meta.get("build_requires") or ():
        for f in dependency_findings(dep, manifest, options):
            if f.rule not in (UNPINNED, MISSING_HASH):
                yield f
    yield from _duplicates(manifest)


def _lock_without_version(dep: Dependency, manifest: Manifest) -> bool:
    """A Pipfile.lock entry whose "version" is "*" (or missing) pins nothing: pipenv installs the newest."""
    return manifest.format == "Pipfile.lock" and dep.version is None and not (
        dep.vcs or dep.url or dep.local_path or dep.editable)


def _is_project_itself(dep: Dependency) -> bool:
    """A path entry for the folder of the file itself (``path = "."``, ``-e .``): the project being
    installed, not a third-party dependency (pylock.toml exported by uv, Pipfile ``-e .``)."""
    if dep.local_path is None:
        return False
    p = dep.local_path.strip()
    if p.startswith("file:"):
        p = p[5:]
    return p.rstrip("/") in (".", "")


# ---------------------------------------------------------------------------------------------------


def _problems(m: Manifest) -> Iterator[Finding]:
    for p in m.problems:
        invalid_req = "invalid requirement" in p.message
        yield Finding(rule=INVALID_LINE, path=p.source or m.path, line=p.line, column=p.column,
                      message=p.message, severity=None if invalid_req else Severity.MEDIUM,
                      hint="fix the entry; an installer rejects it or reads it differently from what "
                           "was meant" if invalid_req else "fix the entry; it was not checked")


@functools.lru_cache(maxsize=4096)
def _normalize(url: str) -> str:
    from mlwarden.checks.pins.reqrules import normalize_index

    return normalize_index(url)


def _trusted(url: str, trusted: Any) -> bool:
    return _trusted_cached(url, tuple(str(t) for t in trusted or ()))


@functools.lru_cache(maxsize=4096)
def _trusted_cached(url: str, trusted: tuple[str, ...]) -> bool:
    from mlwarden.checks.pins.reqrules import is_trusted

    return is_trusted(url, trusted)


def _is_pypi(url: str) -> bool:
    from mlwarden.checks.pins.reqrules import is_pypi

    return is_pypi(url)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _ix_label(m: Manifest, ix: IndexSetting) -> str:
    from mlwarden.sources.pyproject import index_key

    label = (m.meta.get("index_labels") or {}).get(index_key(ix))
    if label:
        return str(label)
    if m.format == "Pipfile":
        return f"[[source]] {ix.name!r}" if ix.name else "[[source]]"
    if m.format == "Pipfile.lock":
        return f"_meta.sources {ix.name!r}" if ix.name else "_meta.sources"
    if m.format == "conda":
        return f"channel {ix.value!r}" if ix.kind == "source" else f"pip {ix.kind}"
    return ix.kind


def _indexes(m: Manifest, trusted: Any) -> Iterator[Finding]:
    if m.format == "conda":
        # the pip block's options are checked with the requirements rules; here the channels
        ixs = [ix for ix in m.indexes if ix.kind == "source"]
    else:
        ixs = list(m.indexes)
    risk: Mapping[str, Any] = m.meta.get("index_risk") or {}
    for ix in ixs:
        loc: dict[str, Any] = {"path": ix.source or m.path, "line": ix.line, "column": ix.column}
        shown = redact(ix.value)
        label = _ix_label(m, ix)
        if insecure_url(ix.value):
            yield Finding(rule=INSECURE_TRANSPORT, **loc,
                          message=f"{label}: {shown} uses plain-text {ix.value.split('://')[0]}://",
                          severity=Severity.LOW if _host(ix.value) in LOOPBACK else None,
                          hint="use an https URL", data={"url": shown})
        if ix.verify_ssl is False:
            yield Finding(rule=SSL_VERIFY_DISABLED, **loc,
                          message=f"{label}: {shown} has verify_ssl = false: packages are accepted from "
                                  "anyone on the network path",
                          hint="set verify_ssl = true and fix the certificate", data={"url": shown})
        if m.format == "conda" or _trusted(ix.value, trusted):
            continue
        if ix.kind == "extra-index":
            from mlwarden.sources.pyproject import index_key

            r = risk.get(index_key(ix)) or {}
            sev = Severity.parse(r["severity"]) if r.get("severity") else None
            why = r.get("why") or "packages may come from it instead of the default index"
            yield Finding(rule=EXTRA_INDEX, **loc,
                          message=f"{label}: extra index {shown} ({why})",
                          severity=None if sev == EXTRA_INDEX.severity else sev,
                          hint="make the index explicit and pin the packages that need it (uv "
                               "`explicit = true` + [tool.uv.sources], poetry priority = \"explicit\" + "
                               "source =, pipenv index =), or list it in trusted-indexes",
                          data={"url": shown})
        elif ix.kind == "index-url" and not _is_pypi(ix.value) and not m.is_lock:
            yield Finding(rule=INDEX_URL, **loc,
                          message=f"{label}: {shown} replaces PyPI: every package is installed from this "
                                  "index",
                          hint="make sure it is yours, uses https and proxies PyPI; list it in "
                               "trusted-indexes to accept it", data={"url": shown})
        elif ix.kind == "find-links":
            yield Finding(rule=FIND_LINKS, **loc,
                          message=f"{label}: {shown}: files found there compete with the index",
                          hint="prefer an index with hashes, or list this location in trusted-indexes",
                          data={"url": shown})


# ---------------------------------------------------------------------------------------------------


def _lock_rules(dep: Dependency, m: Manifest, trusted: Any) -> Iterator[Finding]:
    loc: dict[str, Any] = {"path": dep.source or m.path, "line": dep.line, "column": dep.column}
    label = f"{dep.name} {dep.version}" if dep.version else dep.name
    data = {"name": dep.normalized}
    if dep.vcs:
        if not (dep.commit and HEX40.fullmatch(dep.commit)):
            got = f"'{dep.commit}'" if dep.commit else "no commit"
            yield Finding(rule=LOCK_GIT_NO_COMMIT, **loc,
                          message=f"{label}: locked {dep.vcs} source {redact(dep.url or '')} records {got}, "
                                  "not a full 40-hex commit",
                          hint="re-lock so the resolved commit is recorded (or pin the dependency to a "
                               "commit)", data=data)
    elif not dep.local_path and not dep.hashes:
        what = f"URL {redact(dep.url)}" if dep.url else "registry package"
        yield Finding(rule=LOCK_NO_HASH, **loc,
                      message=f"{label}: lock entry ({what}) has no hashed artifact; an installer cannot "
                              "verify what it downloads",
                      hint="re-lock with a tool version that records hashes (poetry lock, uv lock, pdm lock, "
                           "pipenv lock)", data=data)
    default = m.meta.get("default_registry")
    if dep.index and default and _normalize(dep.index) != _normalize(str(default)) \
            and not _trusted(dep.index, trusted):
        pinned = bool(dep.extra.get("index_pinned"))
        yield Finding(rule=LOCK_FOREIGN_REGISTRY, **loc,
                      message=f"{label} comes from {redact(dep.index)}, not from the default registry "
                              f"{redact(str(default))}"
                              + (" (the project pins it to that index)" if pinned else ""),
                      severity=Severity.INFO if pinned else None,
                      hint="check this package should come from that index (dependency confusion); list "
                           "the index in trusted-indexes to accept it",
                      data={**data, "url": redact(dep.index)})


def _duplicates(m: Manifest) -> Iterator[Finding]:
    first: dict[tuple[Any, ...], Dependency] = {}
    for dep in m.dependencies:
        if not dep.normalized:
            continue
        if dep.kind == "lock":
            # Pipfile.lock's default and develop sections are two installs: one package in both is not
            # listed twice
            key: tuple[Any, ...] = ("lock", dep.normalized, dep.version, dep.index, dep.url, dep.local_path,
                                    dep.marker or "", dep.extra.get("section"))
        elif dep.kind == "conda-pip":
            continue  # checked with the requirements rules
        else:
            key = (dep.extra.get("section"), dep.normalized, dep.marker or "")
        prev = first.get(key)
        if prev is None:
            first[key] = dep
            continue
        if prev.line == dep.line and prev.line is not None and dep.extra.get("poetry"):
            continue  # one poetry key with several constraints
        where = f"line {prev.line}" if prev.line else "earlier"
        section = f" in {dep.extra['section']}" if dep.extra.get("section") else ""
        conflict = (prev.specifier, prev.url, prev.local_path) != (dep.specifier, dep.url, dep.local_path)
        if not conflict and prev.extras != dep.extras:
            continue  # "ray[default]" and "ray[data]" request two extras of one package
        yield Finding(rule=DUPLICATE_NAME, path=dep.source or m.path, line=dep.line, column=dep.column,
                      message=f"{dep.name} is listed again{section} (first at {where})",
                      severity=Severity.HIGH if conflict and dep.kind != "lock" else None,
                      hint="keep one entry", data={"name": dep.normalized, "first": prev.line})


# ---------------------------------------------------------------------------------------------------


def _conda(m: Manifest, options: Mapping[str, Any]) -> Iterator[Finding]:
    for dep in m.dependencies:
        if dep.kind != "conda":
            continue
        loc: dict[str, Any] = {"path": dep.source or m.path, "line": dep.line, "column": dep.column}
        pin = dep.extra.get("pin")
        tool = dep.normalized in CONDA_TOOLS
        data = {"name": dep.normalized, "spec": dep.raw}
        if pin in ("none", "range"):
            what = "no version" if pin == "none" else f"a version range ('{dep.specifier}')"
            yield Finding(rule=CONDA_UNPINNED, **loc,
                          message=f"conda package {dep.raw!r} has {what}",
                          severity=Severity.LOW if tool else None,
                          hint=f"pin it: {dep.name}=<version>=<build> or {dep.name}==<version>", data=data)
        elif pin == "fuzzy":
            prefix = dep.specifier.split("=")[-1] if dep.specifier.startswith("=") else dep.specifier
            prefix = prefix.split()[0].rstrip("*").rstrip(".") if prefix.split() else prefix
            yield Finding(rule=CONDA_FUZZY_PIN, **loc,
                          message=f"conda package {dep.raw!r} is a prefix match: it installs any "
                                  f"{prefix}.* release",
                          severity=Severity.LOW if tool else None,
                          hint=f"pin the full version: {dep.name}==<x.y.z> or {dep.name}=<x.y.z>=<build>",
                          data=data)
        channel = dep.extra.get("channel")
        if isinstance(channel, str) and insecure_url(channel):
            yield Finding(rule=INSECURE_TRANSPORT, **loc,
                          message=f"{dep.name}: channel {redact(channel)} uses plain-text http",
                          hint="use an https channel URL", data={"url": redact(channel)})
    first: dict[str, Dependency] = {}
    for dep in m.dependencies:
        if dep.kind != "conda":
            continue
        prev = first.setdefault(dep.normalized, dep)
        if prev is not dep:
            yield Finding(rule=DUPLICATE_NAME, path=dep.source or m.path, line=dep.line, column=dep.column,
                          message=f"{dep.name} is listed again in dependencies (first at line {prev.line})",
                          severity=Severity.HIGH if prev.specifier != dep.specifier else None,
                          hint="keep one entry", data={"name": dep.normalized, "first": prev.line})
    sub = m.meta.get("pip")
    if isinstance(sub, Manifest):
        from mlwarden.checks.pins.reqrules import check_requirements

        own = {(d.source, d.line) for d in sub.dependencies if _is_project_itself(d)}
        for f in check_requirements(sub, options, set()):
            if f.rule in (EDITABLE, LOCAL_PATH) and (f.path, f.line) in own:
                continue  # "- -e ." installs the project itself
            yield f
