"""check-pins rules for pip requirements and constraints files.

``check_requirements(manifest, options, done)`` checks a requirements Manifest and every file it
includes (``-r``/``-c``), each file once per run (``done`` holds the display paths already checked):
index options, lines pip rejects, duplicate names, includes that were not read, and the shared
per-dependency rules of :mod:`mlwarden.checks.pins.common`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mlwarden.checks.pins.common import (
    activates_hash_mode,
    dependency_findings,
    insecure_url,
    is_loopback,
    redact,
)
from mlwarden.checks.pins.rules import (
    DUPLICATE_NAME,
    EXTRA_INDEX_URL,
    FIND_LINKS,
    INDEX_URL,
    INSECURE_TRANSPORT,
    INVALID_LINE,
    TRUSTED_HOST,
    UNPINNED,
)
from mlwarden.core.findings import Finding, Severity
from mlwarden.core.rules import UNREADABLE
from mlwarden.sources.model import Dependency, Manifest

PYPI_INDEXES = frozenset({"https://pypi.org/simple", "https://pypi.python.org/simple",
                          "https://pypi.org/pypi", "https://pypi.python.org/pypi"})


def normalize_index(url: str) -> str:
    """Comparable form of an index URL: lower-case scheme and host, no credentials, no default port,
    no trailing slash, no query or fragment."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.rstrip("/")
    if not parts.scheme or not parts.netloc:
        return url.rstrip("/")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and not ((parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80)):
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path.rstrip("/"), "", ""))


def is_trusted(url: str, trusted: Any) -> bool:
    """``url`` is one of the trusted indexes, or below one of them (path-segment prefix)."""
    n = normalize_index(url)
    for t in trusted or ():
        tn = normalize_index(str(t))
        if tn and (n == tn or n.startswith(tn + "/")):
            return True
    return False


def is_pypi(url: str) -> bool:
    return normalize_index(url) in PYPI_INDEXES


def install_order(m: Manifest) -> Iterator[tuple[Manifest, Dependency]]:
    """Dependencies of a requirements file and its ``-r`` includes in the order pip reads them (an
    included file's lines come at its ``-r`` line); ``-c`` constraints files are not part of it."""
    by_path = {inc.path: inc for inc in m.included}
    incs = sorted(
        ((r["line"], by_path[r["path"]]) for r in m.meta.get("includes", ())
         if r["status"] == "read" and r["option"] == "-r" and r.get("path") in by_path),
        key=lambda t: t[0])
    i = 0
    for dep in m.dependencies:
        while i < len(incs) and incs[i][0] < (dep.line or 0):
            yield from install_order(incs[i][1])
            i += 1
        yield m, dep
    for _, inc in incs[i:]:
        yield from install_order(inc)


def _walk(m: Manifest) -> Iterator[Manifest]:
    yield m
    for inc in m.included:
        yield from _walk(inc)


def hash_mode_paths(manifest: Manifest) -> set[str]:
    """Files pip reads in hash-checking mode when installing ``manifest``: a hash anywhere in the install
    (the file and its ``-r`` includes) or ``--require-hashes`` means every requirement needs one."""
    install_set = [manifest] + [inc for inc in _walk(manifest) if inc is not manifest
                                and inc.meta.get("kind") != "constraint"]
    if any(x.hashes_required or any(activates_hash_mode(d) for d in x.dependencies) for x in install_set):
        return {x.path for x in install_set}
    return set()


def check_requirements(manifest: Manifest, options: Mapping[str, Any], done: set[str],
                       hash_mode: set[str] | None = None) -> Iterator[Finding]:
    """Findings for ``manifest`` and the files it includes that are not in ``done`` (updated).
    ``hash_mode``: display paths installed in hash-checking mode by any file of the run (defaults to
    what ``manifest`` itself implies)."""
    hm = hash_mode_paths(manifest) if hash_mode is None else hash_mode
    for m in _walk(manifest):
        if m.path in hm:
            m.meta["hash_mode"] = True

    for m in _walk(manifest):
        if m.path in done:
            continue
        done.add(m.path)
        yield from _file_findings(m, options)

    # duplicate names across the install set (pip's reading order), reported at the second one
    yield from _duplicates(install_order(manifest))
    for m in _walk(manifest):
        if m.meta.get("kind") == "constraint":
            yield from _duplicates((m, d) for d in m.dependencies)


def _duplicates(items: Iterator[tuple[Manifest, Dependency]]) -> Iterator[Finding]:
    first: dict[tuple[str, str], Dependency] = {}
    for m, dep in items:
        if not dep.normalized:
            continue
        key = (dep.normalized, dep.marker or "")
        prev = first.get(key)
        if prev is None:
            first[key] = dep
            continue
        where = f"line {prev.line}" if prev.source == dep.source else f"{prev.source}:{prev.line}"
        marker = f" under marker '{dep.marker}'" if dep.marker else ""
        conflict = prev.specifier != dep.specifier or prev.url != dep.url
        if not conflict and prev.extras != dep.extras:
            continue  # `ray[default]` then `ray[data]`: pip merges the extras of one requirement
        yield Finding(
            rule=DUPLICATE_NAME, path=dep.source or m.path, line=dep.line, column=dep.column,
            message=f"{dep.name} is listed again{marker} (first at {where})"
                    + (f": '{prev.raw}' vs '{dep.raw}'" if conflict and len(prev.raw) + len(dep.raw) < 200
                       else ""),
            severity=Severity.HIGH if conflict else None,
            hint="keep one entry (pip refuses conflicting duplicates, or installs one of them)",
            data={"name": dep.normalized, "first": prev.line},
        )


def _file_findings(m: Manifest, options: Mapping[str, Any]) -> Iterator[Finding]:
    path = m.path
    trusted = options.get("trusted-indexes") or ()

    for p in m.problems:
        sev = Severity.MEDIUM if p.message.startswith("pip ignores") else None
        yield Finding(rule=INVALID_LINE, path=p.source or path, line=p.line, column=p.column,
                      message=p.message, severity=sev,
                      hint="fix the line so pip reads it as intended")

    for ix in m.indexes:
        loc: dict[str, Any] = {"path": ix.source or path, "line": ix.line, "column": ix.column}
        shown = redact(ix.value)
        if ix.kind in ("index-url", "extra-index-url", "find-links") and insecure_url(ix.value):
            yield Finding(rule=INSECURE_TRANSPORT, **loc,
                          message=f"--{ix.kind} {shown} uses plain-text http",
                          severity=Severity.LOW if is_loopback(ix.value) else None,
                          hint="use an https URL", data={"url": shown})
        if ix.kind == "index-url":
            if not is_pypi(ix.value) and not is_trusted(ix.value, trusted):
                yield Finding(rule=INDEX_URL, **loc,
                              message=f"--index-url {shown}: every package is installed from this index",
                              hint="make sure it is yours, uses https and proxies PyPI; list it in "
                                   "trusted-indexes to accept it", data={"url": shown})
        elif ix.kind == "extra-index-url":
            if not is_trusted(ix.value, trusted):
                yield Finding(rule=EXTRA_INDEX_URL, **loc,
                              message=f"--extra-index-url {shown}: pip picks the highest version from "
                                      "any index, so a package on one can shadow the other "
                                      "(dependency confusion)",
                              hint="use one index that proxies the others, pin hashes, or list this URL "
                                   "in trusted-indexes", data={"url": shown})
        elif ix.kind == "trusted-host":
            yield Finding(rule=TRUSTED_HOST, **loc,
                          message=f"--trusted-host {ix.value}: pip skips TLS verification for this host",
                          hint="remove it and serve the index over https with a valid certificate",
                          data={"host": ix.value})
        elif ix.kind == "find-links":
            if not is_trusted(ix.value, trusted):
                yield Finding(rule=FIND_LINKS, **loc,
                              message=f"--find-links {shown}: files found there compete with the index",
                              hint="prefer the index with hashes, or list this location in "
                                   "trusted-indexes", data={"url": shown})

    for rec in m.meta.get("includes", ()):
        loc = {"path": path, "line": rec["line"], "column": rec["column"]}
        target = redact(str(rec["target"]))
        status = rec["status"]
        if status == "url":
            yield Finding(rule=UNPINNED, **loc,
                          message=f"{rec['option']} {target}: requirements included from a URL can change "
                                  "at any time (not fetched, not checked)",
                          hint="vendor the file into the repository and pin it", data={"url": target})
            if insecure_url(str(rec["target"])):
                yield Finding(rule=INSECURE_TRANSPORT, **loc,
                              message=f"{rec['option']} {target} is fetched over plain-text http",
                              hint="use https", data={"url": target})
        elif status == "outside":
            yield Finding(rule=UNREADABLE, **loc,
                          message=f"{rec['option']} {target} points outside the project tree; not read, "
                                  "not checked", hint="keep included requirements inside the repository")
        elif status == "unreadable":
            yield Finding(rule=UNREADABLE, **loc,
                          message=f"{rec['option']} {target}: {rec.get('error', 'cannot read')}")

    for dep in m.dependencies:
        yield from dependency_findings(dep, m, options)
