"""Per-dependency rules shared by every manifest format: ``dependency_findings(dep, manifest, options)``.

Covers ``unpinned``, ``missing-hash``, ``vcs-unpinned``, ``url-no-hash``, ``insecure-transport``,
``editable`` and ``local-path``. Format-specific rules (index options, duplicates, conda pins, lock-only
rules) live with each format. Nothing is evaluated: markers are text here.

Severity policy (a security engineer's defaults):

* ``unpinned``: high in requirements files and conda ``pip:`` blocks (what gets installed); medium in
  constraints files; informational in pip-compile inputs (``*.in``) and in a library's
  ``[project.dependencies]`` (ranges are expected there, the lock pins); low for other declarations
  that a lock file pins (an application's pyproject, Pipfile); medium for a deliberate minor pin
  (``==X.Y.*``, ``~=X.Y.Z``). The file's role (``core.roles``) then applies: library declarations are
  info (and their hint does not ask for a pin), example/dev/test/vendored files one level lower.
* ``missing-hash``: only for entries that can carry a hash (requirements and constraints lines, conda
  ``pip:`` lines); high when the file has any hash, sets ``--require-hashes``, is installed together
  with hashed files (``manifest.meta["hash_mode"]``, pip's hash-checking mode covers the whole install)
  or config asks for hashes (``require-hashes``), low elsewhere; never for pip-compile inputs
  (``*.in``), pyproject, Pipfile or lock entries (lock files have ``lock-no-hash``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from mlwarden.checks.pins.rules import (
    EDITABLE,
    INSECURE_TRANSPORT,
    LOCAL_PATH,
    MISSING_HASH,
    UNPINNED,
    URL_NO_HASH,
    VCS_UNPINNED,
)
from mlwarden.core.findings import Finding, Severity
from mlwarden.sources.model import Dependency, Manifest

HEX40 = re.compile(r"[0-9a-fA-F]{40}")
# kinds of entries that can carry --hash options
HASHABLE_KINDS = frozenset({"requirement", "constraint", "conda-pip"})
INSECURE_SCHEMES = frozenset({"http", "git", "svn", "ftp", "git+http", "hg+http", "svn+http", "bzr+http",
                              "bzr+ftp", "svn+svn", "git+git", "bzr+lp"})
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_input_file(manifest: Manifest) -> bool:
    """A pip-compile / uv input (``requirements.in``): ranges expected, hashes live in the compiled file."""
    return bool(manifest.meta.get("input")) or manifest.path.lower().endswith(".in")


def activates_hash_mode(dep: Dependency) -> bool:
    """Whether pip installs in hash-checking mode because of this entry: a --hash option does, a hash
    only in the URL fragment (``url#sha256=...``) does not (pip checks that one file only)."""
    return bool(dep.hashes) and not dep.extra.get("url_hash_only")


def file_has_hashes(manifest: Manifest) -> bool:
    """Whether any entry of this file carries a --hash (cached in ``manifest.meta``)."""
    cached = manifest.meta.get("_has_hashes")
    if cached is None:
        cached = any(activates_hash_mode(d) for d in manifest.dependencies)
        manifest.meta["_has_hashes"] = cached
    return bool(cached)


def hashes_expected(manifest: Manifest, options: Mapping[str, Any]) -> bool:
    return (bool(options.get("require-hashes")) or manifest.hashes_required or file_has_hashes(manifest)
            or bool(manifest.meta.get("hash_mode")))


def exact_pin(dep: Dependency) -> bool:
    """One ``==V`` without wildcard, or ``===V`` (or a version a lock records)."""
    spec = dep.specifier.strip()
    if not spec:
        return dep.version is not None and dep.kind in ("lock", "conda")
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if len(parts) != 1:
        return False
    p = parts[0]
    if p.startswith("==="):
        return bool(p[3:].strip())
    if p.startswith("=="):
        v = p[2:].strip()
        return bool(v) and "*" not in v
    return False


def minor_series(spec: str) -> str | None:
    """The series of a deliberate minor pin: ``==X.Y.*`` (or ``~=X.Y.Z``, which allows X.Y.Z and later
    X.Y releases only), else None."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if len(parts) != 1:
        return None
    p = parts[0].replace(" ", "")
    m = re.fullmatch(r"==(\d+(?:\.\d+)+)\.\*", p)
    if m:
        return m.group(1) + ".*"
    m = re.fullmatch(r"~=(\d+\.\d+)\.\d+", p)
    return m.group(1) + ".*" if m else None


def unpinned_severity(dep: Dependency, manifest: Manifest) -> Severity:
    if dep.kind == "pyproject":
        return Severity.INFO if manifest.is_library else Severity.LOW
    if dep.kind == "pipfile":
        return Severity.LOW
    if is_input_file(manifest):
        return Severity.INFO
    if dep.kind == "constraint" or minor_series(dep.specifier):
        return Severity.MEDIUM  # a deliberate minor pin is not the same as no version at all
    return Severity.HIGH


def _scheme(url: str) -> str:
    i = url.find("://")
    return url[:i].lower() if i > 0 else ""


def insecure_url(url: str) -> bool:
    """http://, git://, svn:// ... (also as the transport of a VCS URL like git+http://)."""
    scheme = _scheme(url)
    if not scheme:
        return False
    if scheme in INSECURE_SCHEMES:
        return True
    transport = scheme.rpartition("+")[2]
    return transport in ("http", "git", "svn", "ftp")


def _host(url: str) -> str:
    try:
        return (urlsplit(url.split("+", 1)[1] if "+" in _scheme(url) else url).hostname or "").lower()
    except ValueError:
        return ""


def is_loopback(url: str) -> bool:
    """http://localhost and 127.0.0.1 never leave the machine (a local test index or proxy)."""
    return _host(url) in LOOPBACK


def redact(url: str) -> str:
    """Hide credentials in a URL for messages (user:token@host -> ***@host)."""
    return re.sub(r"(://)[^/@\s]+@", r"\1***@", url)


def vcs_pinned(dep: Dependency) -> bool:
    if dep.commit and HEX40.fullmatch(dep.commit):
        return True
    ref = dep.ref or ""
    if HEX40.fullmatch(ref):
        return True
    return dep.vcs == "svn" and ref.isdigit()  # svn revisions are immutable numbers


def dependency_findings(dep: Dependency, manifest: Manifest, options: Mapping[str, Any]) -> Iterator[Finding]:
    """The format-independent findings for one dependency of ``manifest``."""
    path, line, col = dep.source or manifest.path, dep.line, dep.column
    label = dep.name or dep.url or dep.local_path or dep.raw

    def f(rule: Any, message: str, hint: str = "", severity: Severity | None = None,
          **data: Any) -> Finding:
        return Finding(rule=rule, path=path, line=line, column=col, message=message, hint=hint,
                       severity=None if severity == rule.severity else severity,
                       data={"name": dep.normalized, **data} if dep.normalized else dict(data))

    special = bool(dep.vcs or dep.url or dep.local_path or dep.editable)

    # unpinned (conda packages have conda-unpinned / conda-fuzzy-pin, with conda's own syntax)
    if not special and dep.kind != "conda" and not exact_pin(dep):
        spec = dep.specifier.strip()
        what = f"'{spec}'" if spec else "no version constraint"
        series = minor_series(spec)
        if series:
            what += f": a deliberate pin to the {series} series, but any new release in it installs"
        if manifest.meta.get("role") == "library" or (manifest.is_library and dep.kind == "pyproject"):
            hint = ("nothing to change here: a published package declares ranges; the application that "
                    "installs it pins exact versions in its lock or requirements file")
        else:
            hint = f"pin it: {dep.name}==<version>"
        yield f(UNPINNED, f"{label} is not pinned to one exact version ({what})", hint,
                unpinned_severity(dep, manifest), specifier=spec)

    # VCS
    if dep.vcs and dep.kind != "lock" and not vcs_pinned(dep):
        ref = dep.ref
        what = f"ref '{ref}'" if ref else "no ref (the default branch)"
        yield f(VCS_UNPINNED, f"{label}: {dep.vcs} requirement pinned to {what}, not a full commit",
                "pin the full 40-hex commit: ...@<commit sha>", ref=ref or "")

    # URL without hash (archives; VCS and local files have their own rules)
    if dep.url and not dep.vcs and not dep.local_path and not dep.hashes and dep.kind != "lock":
        yield f(URL_NO_HASH, f"{label}: direct URL {redact(dep.url)} has no hash",
                "append '#sha256=<hex>' to the URL or add --hash=sha256:<hex>", url=redact(dep.url))

    # insecure transport
    for what, url in (("URL", dep.url), ("index", dep.index)):
        if url and insecure_url(url):
            sev = Severity.LOW if _host(url) in LOOPBACK else None
            yield f(INSECURE_TRANSPORT, f"{label}: {what} {redact(url)} uses plain-text {_scheme(url)}://",
                    "use https (git+https:// for git)", sev, url=redact(url))

    # editable / local path
    if dep.editable:
        target = dep.local_path or (redact(dep.url) if dep.url else label)
        yield f(EDITABLE, f"editable install of {target}",
                "install a pinned, hashed release instead (keep -e for local development files)")
    elif dep.local_path:
        yield f(LOCAL_PATH, f"{label}: local path requirement {dep.local_path}",
                "build a wheel and pin it with a hash, or install the released package")

    # missing hash
    if dep.kind in HASHABLE_KINDS and not dep.hashes and not is_input_file(manifest):
        high = hashes_expected(manifest, options)
        why = ("other entries in this file have hashes" if file_has_hashes(manifest)
               else "--require-hashes is set" if manifest.hashes_required
               else "files installed with it have hashes" if manifest.meta.get("hash_mode")
               else "hashes are required by config" if high else "")
        msg = f"{label} has no --hash"
        if why:
            msg += f" ({why}; pip will refuse to install it in hash-checking mode)"
        yield f(MISSING_HASH, msg,
                "run 'mlwarden check-pins --fix-hashes' (or pip-compile --generate-hashes)",
                Severity.HIGH if high else Severity.LOW)
