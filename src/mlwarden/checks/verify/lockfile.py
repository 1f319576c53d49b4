"""The ``mlwarden.lock`` data model: read with tomllib/tomli, written by hand so the bytes are stable.

Layout (version 1)::

    version = 1

    [[artifact]]
    path = "models/bert"               # repository-relative, forward slashes
    kind = "folder"                    # "file" | "folder"
    format = "hf-folder"               # scan-models format of a file; "hf-folder"/"folder"/"dvc-folder"
    source = "hf:org/name@<40-hex>"    # or "url:https://...", "dvc:data.dvc", "lfs", "local"
    tree = "sha256:<hex>"              # OpenSSF model-signing subject digest of the artifact
    size = 123                         # total bytes
    verdict = "clean"                  # scan-models verdict at lock time ("clean" or "flagged:<severity>")
    signature = "models/bert.sig"      # optional model-signing bundle
    signer = "sha256:<hex>"            # optional expected signer (public key fingerprint)
    files = [
        { path = "config.json", size = 12, sha256 = "<hex>" },
    ]
    # a "file" artifact has sha256 and size instead of files

    [[reference]]                      # what code downloads at run time
    hub = "model:org/name"             # with revision = "<40-hex commit>"
    revision = "<40-hex>"
    files = [                          # optional, filled by `mlwarden lock --from-hub` (Hub API tree)
        { path = "model.safetensors", size = 9, sha256 = "<hex>" },   # LFS file: sha256 of the content
        { path = "config.json", size = 12, git-sha1 = "<hex>" },      # git file: its blob id (no sha256)
    ]

    [[reference]]
    url = "https://example.org/w.bin"
    sha256 = "<hex>"
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlwarden.core.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

LOCK_NAME = "mlwarden.lock"
VERSION = 1
HEX64 = re.compile(r"[0-9a-f]{64}")
HEX40 = re.compile(r"[0-9a-f]{40}")
HEADER = (
    "# mlwarden.lock: the model and data artifacts this repository reviewed, and what its code downloads.\n"
    "# Written by `mlwarden lock`, checked by `mlwarden verify-artifacts`. Review changes like code.\n"
)


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the folder artifact ("." for a file artifact, as model-signing names it)
    sha256: str
    size: int


@dataclass(frozen=True)
class Artifact:
    path: str
    kind: str  # "file" | "folder"
    format: str
    source: str
    files: tuple[FileEntry, ...]
    verdict: str = "clean"
    signature: str | None = None
    signer: str | None = None

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def tree(self) -> str:
        return tree_digest((f.path, f.sha256) for f in self.files)

    def file_map(self) -> dict[str, FileEntry]:
        return {f.path: f for f in self.files}

    def repo_path(self, entry: FileEntry) -> str:
        return self.path if self.kind == "file" else f"{self.path}/{entry.path}"


@dataclass(frozen=True)
class HubFile:
    """A file of a Hub repository at a commit, as the Hub API lists it (``mlwarden lock --from-hub``)."""
    path: str
    size: int
    sha256: str | None = None  # LFS files: the sha256 of the content (the LFS oid)
    git_sha1: str | None = None  # other files: the git blob id (the API gives no sha256 for them)


@dataclass(frozen=True)
class Reference:
    hub: str | None = None  # "model:org/name" | "dataset:org/name"
    revision: str | None = None
    url: str | None = None
    sha256: str | None = None
    files: tuple[HubFile, ...] = ()  # Hub references only, filled by --from-hub

    @property
    def key(self) -> tuple[str, str]:
        return ("hub", self.hub) if self.hub else ("url", self.url or "")


@dataclass
class Lock:
    artifacts: list[Artifact] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)

    def by_path(self) -> dict[str, Artifact]:
        return {a.path: a for a in self.artifacts}

    def owner(self, rel: str) -> Artifact | None:
        """The artifact a repository-relative path belongs to (the file itself or a folder holding it)."""
        for a in self.artifacts:
            if rel == a.path or (a.kind == "folder" and rel.startswith(a.path + "/")):
                return a
        return None

    def url_refs(self) -> dict[str, Reference]:
        return {r.url: r for r in self.references if r.url}

    def hub_refs(self) -> dict[str, Reference]:
        return {r.hub: r for r in self.references if r.hub}


def path_key(rel: str) -> tuple[str, ...]:
    """model-signing orders resources as pathlib paths: by their components, not as strings."""
    return tuple(rel.split("/"))


def tree_digest(entries: Iterable[tuple[str, str]]) -> str:
    """OpenSSF model-signing's subject digest: sha256 over the raw file digests in path order."""
    h = hashlib.sha256()
    for _, hexdigest in sorted(entries, key=lambda e: path_key(e[0])):
        h.update(bytes.fromhex(hexdigest))
    return "sha256:" + h.hexdigest()


# --- writing ------------------------------------------------------------------------------------------

def _q(text: str) -> str:
    """A TOML basic string."""
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20 or o == 0x7F or 0xD800 <= o <= 0xDFFF:
            out.append(f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def dumps(lock: Lock) -> str:
    lines = [HEADER, f"version = {VERSION}\n"]
    for a in sorted(lock.artifacts, key=lambda a: path_key(a.path)):
        lines.append("\n[[artifact]]\n")
        lines.append(f"path = {_q(a.path)}\n")
        lines.append(f"kind = {_q(a.kind)}\n")
        lines.append(f"format = {_q(a.format)}\n")
        lines.append(f"source = {_q(a.source)}\n")
        lines.append(f"tree = {_q(a.tree)}\n")
        lines.append(f"size = {a.size}\n")
        lines.append(f"verdict = {_q(a.verdict)}\n")
        if a.signature:
            lines.append(f"signature = {_q(a.signature)}\n")
        if a.signer:
            lines.append(f"signer = {_q(a.signer)}\n")
        if a.kind == "file":
            lines.append(f"sha256 = {_q(a.files[0].sha256)}\n")
        else:
            lines.append("files = [\n")
            for f in sorted(a.files, key=lambda f: path_key(f.path)):
                lines.append(f"    {{ path = {_q(f.path)}, size = {f.size}, sha256 = {_q(f.sha256)} }},\n")
            lines.append("]\n")
    for r in sorted(lock.references, key=lambda r: r.key):
        lines.append("\n[[reference]]\n")
        if r.hub:
            lines.append(f"hub = {_q(r.hub)}\n")
            if r.revision:
                lines.append(f"revision = {_q(r.revision)}\n")
            if r.files:
                lines.append("files = [\n")
                for hf in sorted(r.files, key=lambda f: path_key(f.path)):
                    digest = (f"sha256 = {_q(hf.sha256)}" if hf.sha256
                              else f"git-sha1 = {_q(hf.git_sha1 or '')}")
                    lines.append(f"    {{ path = {_q(hf.path)}, size = {hf.size}, {digest} }},\n")
                lines.append("]\n")
        else:
            lines.append(f"url = {_q(r.url or '')}\n")
            if r.sha256:
                lines.append(f"sha256 = {_q(r.sha256)}\n")
    return "".join(lines)


# --- reading ------------------------------------------------------------------------------------------

class LockError(InputError):
    """The lock cannot be used (not TOML, unknown version, malformed entry)."""


def _str(d: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
    v = d.get(key)
    if v is None and not required:
        return None
    if not isinstance(v, str) or (required and not v):
        raise LockError(f"{where}: {key!r} must be a non-empty string")
    return v


def _int(d: dict[str, Any], key: str, where: str) -> int:
    v = d.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise LockError(f"{where}: {key!r} must be a non-negative integer")
    return v


def _hex64(v: str | None, key: str, where: str) -> str:
    if v is None or not HEX64.fullmatch(v):
        raise LockError(f"{where}: {key!r} must be 64 lowercase hex digits")
    return v


def _rel(v: str, where: str) -> str:
    parts = v.split("/")
    if v.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise LockError(f"{where}: path {v!r} must be relative, with forward slashes and no '..'")
    return v


def loads(text: str, origin: str = LOCK_NAME) -> Lock:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"not valid TOML: {exc}", path=origin) from None
    if data.get("version") != VERSION:
        raise LockError(f"unsupported lock version {data.get('version')!r} (this mlwarden reads {VERSION})",
                        path=origin)
    unknown = set(data) - {"version", "artifact", "reference"}
    if unknown:
        raise LockError(f"unknown key {sorted(unknown)[0]!r}", path=origin)
    lock = Lock()
    arts = data.get("artifact", [])
    if not isinstance(arts, list):
        raise LockError("'artifact' must be an array of tables", path=origin)
    seen: set[str] = set()
    for i, a in enumerate(arts, 1):
        where = f"{origin}: artifact {i}"
        if not isinstance(a, dict):
            raise LockError(f"{where}: not a table")
        path = _rel(str(_str(a, "path", where)), where)
        if path in seen:
            raise LockError(f"{where}: duplicate path {path!r}")
        seen.add(path)
        kind = _str(a, "kind", where)
        if kind not in ("file", "folder"):
            raise LockError(f"{where}: kind must be 'file' or 'folder'")
        files: list[FileEntry] = []
        if kind == "file":
            files.append(FileEntry(".", _hex64(_str(a, "sha256", where), "sha256", where),
                                   _int(a, "size", where)))
        else:
            raw = a.get("files")
            if not isinstance(raw, list):
                raise LockError(f"{where}: 'files' must be an array")
            names: set[str] = set()
            for f in raw:
                if not isinstance(f, dict):
                    raise LockError(f"{where}: a files entry is not a table")
                name = _rel(str(_str(f, "path", where)), where)
                if name in names:
                    raise LockError(f"{where}: duplicate file {name!r}")
                names.add(name)
                files.append(FileEntry(name, _hex64(_str(f, "sha256", where), "sha256", where),
                                       _int(f, "size", where)))
        art = Artifact(path=path, kind=kind, format=str(_str(a, "format", where)),
                       source=str(_str(a, "source", where)), files=tuple(files),
                       verdict=str(_str(a, "verdict", where, required=False) or "clean"),
                       signature=_str(a, "signature", where, required=False),
                       signer=_str(a, "signer", where, required=False))
        tree = a.get("tree")
        if tree is not None and tree != art.tree:
            raise LockError(f"{where}: 'tree' {tree!r} is not the digest of the files listed "
                            "(edited by hand?)")
        lock.artifacts.append(art)
    refs = data.get("reference", [])
    if not isinstance(refs, list):
        raise LockError("'reference' must be an array of tables", path=origin)
    for i, r in enumerate(refs, 1):
        where = f"{origin}: reference {i}"
        if not isinstance(r, dict):
            raise LockError(f"{where}: not a table")
        hub = _str(r, "hub", where, required=False)
        url = _str(r, "url", where, required=False)
        if bool(hub) == bool(url):
            raise LockError(f"{where}: needs exactly one of 'hub' or 'url'")
        if hub:
            rev = _str(r, "revision", where, required=False)
            if rev is not None and not HEX40.fullmatch(rev):
                raise LockError(f"{where}: revision must be a 40-hex commit")
            lock.references.append(Reference(hub=hub, revision=rev, files=_hub_files(r, where)))
        else:
            sha = _str(r, "sha256", where, required=False)
            lock.references.append(Reference(url=url, sha256=_hex64(sha, "sha256", where) if sha else None))
    return lock


def _hub_files(r: dict[str, Any], where: str) -> tuple[HubFile, ...]:
    raw = r.get("files")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise LockError(f"{where}: 'files' must be an array")
    out: dict[str, HubFile] = {}
    for f in raw:
        if not isinstance(f, dict):
            raise LockError(f"{where}: a files entry is not a table")
        name = _rel(str(_str(f, "path", where)), where)
        if name in out:
            raise LockError(f"{where}: duplicate file {name!r}")
        sha = _str(f, "sha256", where, required=False)
        git = _str(f, "git-sha1", where, required=False)
        if bool(sha) == bool(git):
            raise LockError(f"{where}: file {name!r} needs exactly one of 'sha256' or 'git-sha1'")
        if git is not None and not HEX40.fullmatch(git):
            raise LockError(f"{where}: 'git-sha1' must be 40 lowercase hex digits")
        out[name] = HubFile(name, _int(f, "size", where),
                            sha256=_hex64(sha, "sha256", where) if sha else None, git_sha1=git)
    return tuple(sorted(out.values(), key=lambda f: path_key(f.path)))


MAX_LOCK = 64 * 1024 * 1024


def read(path: Path, display: str) -> Lock:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_LOCK + 1)
    except OSError as exc:
        raise LockError(f"cannot read: {exc.strerror or exc}", path=display) from None
    if len(data) > MAX_LOCK:
        raise LockError("larger than 64 MiB, not read", path=display)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LockError("not UTF-8", path=display) from None
    return loads(text, display)


def with_files(a: Artifact, files: Sequence[FileEntry]) -> Artifact:
    return replace(a, files=tuple(files))
