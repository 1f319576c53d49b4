"""``check-pins --fix-hashes``: add ``--hash=sha256:...`` options to ``==`` pins, like
``pip-compile --generate-hashes``.

* Indexes, in order: the primary index (``--index-url`` option of mlwarden, else the file's own
  ``--index-url`` line, else the index pip is configured to use: ``PIP_INDEX_URL`` or pip's config files,
  else PyPI), then the file's ``--extra-index-url`` lines, then pip's configured extra indexes.
* Each index is asked through the PEP 691 JSON API (``Accept: application/vnd.pypi.simple.v1+json``);
  an index that answers HTML is read as a PEP 503 page. The first index that serves files of the pinned
  version wins and only its files are used (hashes are never merged across indexes).
* Every wheel and sdist of exactly that version is hashed (names and versions compared normalized;
  ``2.1.0+cu121`` only matches ``2.1.0+cu121``). An index that gives no sha256 for a file has the file
  downloaded and hashed.
* The line is rewritten in pip-compile's layout (requirement text with its extras, marker and options
  on the first line, one ``--hash`` per continuation line, the comment at the end), other lines, ``# via``
  blocks and line endings are kept; the file is replaced atomically.
* All lookups happen before any file is written: a network failure leaves every file untouched.

Lines that cannot be hashed (not pinned with ``==``, VCS, URL, editable, local path) are left alone and
reported as notes.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import http.client
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from mlwarden.checks.base import Context
from mlwarden.core.errors import InputError, NetworkError, UsageError
from mlwarden.core.fileio import atomic_write_bytes
from mlwarden.sources.model import Dependency, Manifest

PYPI = "https://pypi.org/simple"
ACCEPT = ("application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
          "text/html;q=0.01")
MAX_PAGE = 128 * 1024 * 1024
USER_AGENT = "mlwarden-fix-hashes"


# --------------------------------------------------------------------------------------------------
# pip's configured indexes


def _pip_config_files() -> list[Path]:
    """pip's config files in the order pip loads them (later ones override earlier ones)."""
    if os.environ.get("PIP_CONFIG_FILE") == os.devnull:
        return []
    files: list[Path] = []
    xdg_dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files += [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d]
    files.append(Path("/etc/pip.conf"))
    home = Path(os.path.expanduser("~"))
    files.append(home / ".pip" / "pip.conf")
    xdg_home = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    files.append(Path(xdg_home) / "pip" / "pip.conf")
    files.append(Path(sys.prefix) / "pip.conf")
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(Path(os.environ["PIP_CONFIG_FILE"]))
    return files


def pip_configured_indexes(environ: dict[str, str] | None = None,
                           files: Sequence[Path] | None = None) -> tuple[str | None, list[str]]:
    """(index-url, extra-index-urls) pip would use from its environment variables and config files
    (``[install]`` overrides ``[global]``; environment variables override files)."""
    env = dict(os.environ) if environ is None else environ
    index: str | None = None
    extras: list[str] = []
    for f in (_pip_config_files() if files is None else files):
        if not f.is_file():
            continue
        cp = configparser.RawConfigParser()
        try:
            cp.read(f, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in ("global", "install"):
            if not cp.has_section(section):
                continue
            for key in ("index-url", "index_url", "i"):
                if cp.has_option(section, key):
                    index = cp.get(section, key).strip() or index
            for key in ("extra-index-url", "extra_index_url"):
                if cp.has_option(section, key):
                    extras = cp.get(section, key).split()
    if env.get("PIP_INDEX_URL"):
        index = env["PIP_INDEX_URL"].strip()
    if env.get("PIP_EXTRA_INDEX_URL"):
        extras = env["PIP_EXTRA_INDEX_URL"].split()
    return index, extras


# --------------------------------------------------------------------------------------------------
# the index client


@dataclass(frozen=True)
class DistFile:
    filename: str
    url: str
    sha256: str | None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            self.base = dict(attrs).get("href") or self.base
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def _split_auth(url: str) -> tuple[str, dict[str, str]]:
    """Move user:password from the URL to an Authorization header (urllib does not)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, {}
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    token = base64.b64encode(f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()).decode()
    return clean, {"Authorization": f"Basic {token}"}


def redact(url: str) -> str:
    return re.sub(r"(://)[^/@\s]+@", r"\1***@", url)


class IndexClient:
    def __init__(self, timeout: float, deadline: float | None = None) -> None:
        from mlwarden.core.net import Deadline

        self.timeout = timeout
        self.deadline = Deadline(deadline)

    def _open(self, url: str, accept: str) -> Any:
        import urllib.error
        import urllib.request

        from mlwarden.core.net import urlopen

        if urlsplit(url).scheme not in ("http", "https"):
            raise UsageError(f"--fix-hashes: unsupported index URL {redact(url)} (only http and https)")
        clean, headers = _split_auth(url)
        req = urllib.request.Request(clean, headers={"Accept": accept,  # noqa: S310 (scheme checked)
                                                     "User-Agent": USER_AGENT, **headers})
        try:
            return urlopen(req, timeout=self.timeout, deadline=self.deadline)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return None
            raise NetworkError(f"--fix-hashes: {redact(url)}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc) or type(exc).__name__
            raise NetworkError(f"--fix-hashes: cannot reach {redact(url)}: {reason}") from None

    def project_files(self, index: str, name: str) -> list[DistFile] | None:
        """Files the index lists for project ``name`` (normalized), or None if it does not serve it."""
        url = index.rstrip("/") + "/" + name + "/"
        resp = self._open(url, ACCEPT)
        if resp is None:
            return None
        with resp:
            chunks: list[bytes] = []
            size = 0
            for chunk in _chunks(resp, url):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_PAGE:
                    raise NetworkError(f"--fix-hashes: {redact(url)}: index page too large")
            body = b"".join(chunks)
            ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            final = resp.geturl() or url
        if len(body) > MAX_PAGE:
            raise NetworkError(f"--fix-hashes: {redact(url)}: index page too large")
        if ctype == "application/vnd.pypi.simple.v1+json" or (ctype.endswith("json")
                                                               and body.lstrip()[:1] == b"{"):
            return self._from_json(body, final, url)
        return self._from_html(body, final)

    @staticmethod
    def _from_json(body: bytes, base: str, url: str) -> list[DistFile]:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise NetworkError(f"--fix-hashes: {redact(url)}: invalid JSON from the index") from None
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, list):
            raise NetworkError(f"--fix-hashes: {redact(url)}: not a PEP 691 project page")
        out: list[DistFile] = []
        for f in files:
            if not isinstance(f, dict) or not isinstance(f.get("filename"), str) \
                    or not isinstance(f.get("url"), str):
                continue
            hashes = f.get("hashes")
            sha = hashes.get("sha256") if isinstance(hashes, dict) else None
            sha = sha if isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha) else None
            out.append(DistFile(f["filename"], urljoin(base, f["url"]), sha.lower() if sha else None))
        return out

    @staticmethod
    def _from_html(body: bytes, base: str) -> list[DistFile]:
        parser = _Links()
        try:
            parser.feed(body.decode("utf-8", "replace"))
            parser.close()
        except (AssertionError, ValueError):
            pass
        page_base = urljoin(base, parser.base) if parser.base else base
        out: list[DistFile] = []
        for href, text in parser.links:
            full = urljoin(page_base, href)
            path, _, frag = full.partition("#")
            filename = text or unquote(path.rsplit("/", 1)[-1])
            m = re.match(r"sha256=([0-9a-fA-F]{64})$", frag)
            out.append(DistFile(filename, path, m.group(1).lower() if m else None))
        return out

    def sha256_of(self, url: str) -> str:
        resp = self._open(url, "*/*")
        if resp is None:
            raise NetworkError(f"--fix-hashes: {redact(url)}: file listed by the index is missing (404)")
        h = hashlib.sha256()
        with resp:
            for chunk in _chunks(resp, url):
                h.update(chunk)
        return h.hexdigest()


def _chunks(resp: Any, url: str) -> Iterable[bytes]:
    """The response body in chunks; a connection closed before Content-Length bytes is an error (a
    truncated file would otherwise be hashed as if it were whole)."""
    try:
        while True:
            chunk = resp.read(1024 * 1024)
            if not chunk:
                break
            yield chunk
    except (OSError, ValueError, http.client.HTTPException) as exc:
        why = str(exc) or type(exc).__name__
        raise NetworkError(f"--fix-hashes: reading {redact(url)} failed: {why}") from None
    if getattr(resp, "length", None):
        raise NetworkError(f"--fix-hashes: reading {redact(url)} failed: connection closed "
                           f"{resp.length} bytes early")


def matching_files(files: Iterable[DistFile], name: str, version: str,
                   arbitrary: bool = False) -> list[DistFile]:
    """Wheels and sdists of exactly ``version`` of ``name`` (normalized comparison)."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion, Version

    want_name = canonicalize_name(name)
    want: Version | None = None
    if not arbitrary:
        try:
            want = Version(version)
        except InvalidVersion:
            arbitrary = True
    out = []
    for f in files:
        fn = unquote(f.filename)
        try:
            if fn.endswith(".whl"):
                n, v = parse_wheel_filename(fn)[:2]
            elif fn.endswith((".tar.gz", ".zip")):
                n, v = parse_sdist_filename(fn)
            else:
                continue
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion, ValueError):
            continue
        if canonicalize_name(n) != want_name:
            continue
        if (str(v) == version) if arbitrary else (v == want):
            out.append(f)
    return out


# --------------------------------------------------------------------------------------------------
# planning and rewriting


@dataclass
class _Job:
    manifest: Manifest
    path: Path
    deps: list[Dependency] = field(default_factory=list)


def hashable(dep: Dependency) -> str | None:
    """Why a line cannot get hashes, or None if it can."""
    if dep.editable:
        return "editable requirements cannot be hashed"
    if dep.vcs:
        return "VCS requirements cannot be hashed (pin a released version instead)"
    if dep.url:
        return "URL requirements are not hashed by --fix-hashes (add '#sha256=' to the URL)"
    if dep.local_path:
        return "local path requirements cannot be hashed"
    spec = dep.specifier.replace(" ", "")
    if not dep.version or not (spec.startswith("==") and "," not in spec and "*" not in spec):
        return f"not pinned with '==' ({dep.specifier or 'no version'})"
    return None


def _walk(m: Manifest) -> Iterable[Manifest]:
    yield m
    for inc in m.included:
        yield from _walk(inc)


def fix_files(ctx: Context, files: Sequence[Path]) -> None:
    """Fill in hashes in the requirements files among ``files`` (and the files they include)."""
    from mlwarden.sources import detect
    from mlwarden.sources.requirements import read

    jobs: dict[str, _Job] = {}
    noted: set[str] = set()

    def note(msg: str) -> None:
        if msg not in noted:
            noted.add(msg)
            ctx.note(msg)

    for f in files:
        display = ctx.display(f)
        if (detect(display) or "requirements") != "requirements":
            continue
        try:
            top = read(f, display)
        except InputError:
            continue  # reported by the check itself
        for m in _walk(top):
            if m.path in jobs:
                continue
            # display paths are relative to ctx.root (included ones too), or absolute
            path = Path(f) if m is top else (Path(m.path) if os.path.isabs(m.path) else ctx.root / m.path)
            job = _Job(m, path)
            jobs[m.path] = job
            if m.path.lower().endswith(".in"):
                note(f"{m.path}: a pip-compile input; hashes belong in the compiled file, not changed")
                continue
            for dep in m.dependencies:
                if dep.hashes or dep.kind not in ("requirement", "constraint"):
                    continue
                why = hashable(dep)
                if why:
                    note(f"{dep.source}:{dep.line}: cannot add hashes to "
                             f"'{_short(dep.raw)}': {why}")
                    continue
                job.deps.append(dep)
    work = [j for j in jobs.values() if j.deps]
    if not work:
        return

    override = ctx.options.get("index-url")
    pip_index, pip_extras = pip_configured_indexes()
    timeout = float(ctx.options.get("timeout") or 30.0)
    deadline = float(ctx.options.get("deadline") or 600.0)
    if not timeout > 0 or not deadline > 0:
        raise UsageError("--timeout and --deadline must be positive numbers of seconds")
    client = IndexClient(timeout, deadline)

    # the index list for each file, and every (index list, name, version) to look up
    plans: list[tuple[_Job, list[str]]] = []
    wanted: dict[tuple[tuple[str, ...], str, str], None] = {}
    for job in work:
        own_index = next((ix.value for ix in job.manifest.indexes if ix.kind == "index-url"), None)
        own_extras = [ix.value for ix in job.manifest.indexes if ix.kind == "extra-index-url"]
        indexes = []
        for ix in _dedupe([override or own_index or pip_index or PYPI, *own_extras, *pip_extras]):
            if urlsplit(ix).scheme in ("http", "https"):
                indexes.append(ix)
            else:
                note(f"--fix-hashes: index {redact(ix)} is not an http(s) URL; not used")
        plans.append((job, indexes))
        for dep in job.deps:
            assert dep.version is not None
            wanted[(tuple(indexes), dep.normalized, dep.version)] = None

    pages: dict[tuple[str, str], list[DistFile] | None] = {}

    def page(index: str, name: str) -> list[DistFile] | None:
        key = (index, name)
        if key not in pages:
            pages[key] = client.project_files(index, name)
        return pages[key]

    def resolve(key: tuple[tuple[str, ...], str, str]) -> tuple[str, list[str]] | None:
        indexes, name, version = key
        arbitrary = False
        for index in indexes:
            files = page(index, name)
            if not files:
                continue
            chosen = matching_files(files, name, version, arbitrary)
            if not chosen:
                continue
            hashes = sorted({f.sha256 or client.sha256_of(f.url) for f in chosen})
            return index, hashes
        return None

    # fetch each project page once (in parallel), then resolve
    names = sorted({(idx, n) for (idxs, n, _) in wanted for idx in idxs[:1]})
    with ThreadPoolExecutor(max_workers=8) as pool:
        for (idx, n), result in zip(names, pool.map(lambda k: client.project_files(*k), names), strict=True):
            pages[(idx, n)] = result
        results = dict(zip(wanted, pool.map(resolve, list(wanted)), strict=True))

    # rewrite
    for job, indexes in plans:
        new_hashes: dict[int, list[str]] = {}
        for dep in job.deps:
            assert dep.version is not None and dep.line is not None
            res = results.get((tuple(indexes), dep.normalized, dep.version))
            if res is None:
                ctx.note(f"{dep.source}:{dep.line}: no files for {dep.name}=={dep.version} on "
                         + ", ".join(redact(i) for i in indexes) + "; hashes not added")
                continue
            new_hashes[dep.line] = res[1]
        if new_hashes and rewrite(job.path, job.manifest, new_hashes):
            ctx.rewritten.append(job.manifest.path)
            ctx.note(f"{job.manifest.path}: added hashes to {len(new_hashes)} requirement"
                     f"{'s' if len(new_hashes) != 1 else ''}")


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i in items:
        k = i.rstrip("/")
        if k not in seen:
            seen.add(k)
            out.append(i)
    return out


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def rewrite(path: Path, manifest: Manifest, new_hashes: dict[int, list[str]]) -> bool:
    """Rewrite the logical lines starting at the keys of ``new_hashes`` with those hashes, in
    pip-compile's layout. Returns True when the file changed."""
    from mlwarden.sources.requirements import decode, logical_lines

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=manifest.path) from None
    bom = data.startswith(b"\xef\xbb\xbf")
    content = decode(data, manifest.path)
    if not bom and (data.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise InputError("--fix-hashes does not rewrite UTF-16/32 files; convert to UTF-8",
                         path=manifest.path)
    physical = content.splitlines(keepends=True)
    nl = manifest.newline
    changed = False
    out: list[str] = []
    taken = 0  # physical lines consumed
    for ll in logical_lines(content):
        if ll.start not in new_hashes:
            continue
        out.extend(physical[taken: ll.start - 1])
        first = physical[ll.start - 1]
        indent = first[: len(first) - len(first.lstrip())]
        last = physical[ll.end - 1]
        ending = last[len(last.rstrip("\r\n")):]
        text = re.sub(r"[ \t]+", " ", ll.text) if ll.start != ll.end else ll.text
        hashes = new_hashes[ll.start]
        block = [f"{indent}{text} \\{nl}"]
        for i, h in enumerate(hashes):
            cont = " \\" if i < len(hashes) - 1 else ""
            block.append(f"{indent}    --hash=sha256:{h}{cont}")
            if i < len(hashes) - 1:
                block[-1] += nl
        if ll.comment:
            block[-1] += f"  {ll.comment}"
        block[-1] += ending
        out.extend(block)
        taken = ll.end
        changed = True
    if not changed:
        return False
    out.extend(physical[taken:])
    new = "".join(out)
    atomic_write_bytes(path, (b"\xef\xbb\xbf" if bom else b"") + new.encode("utf-8"))
    return True
