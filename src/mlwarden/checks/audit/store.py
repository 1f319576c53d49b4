"""Offline OSV database: OSV's per-ecosystem ``all.zip`` or a directory of OSV JSON records, indexed once
into a sqlite3 cache (no pickle) keyed by the database's digest.

Digest: sha256 of the zip's bytes, or of the sorted (relative path, size, mtime) list of a directory's
``*.json`` files. The cache lives in ``<cache-dir>/osv-index-v<N>-<digest>.sqlite3`` and is written to a
temporary file, then renamed, so a crash never leaves a half-written index that looks valid.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwarden.checks.audit.osv import Malformed, compact
from mlwarden.core.errors import InputError

INDEX_VERSION = 2
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_NOTES = 20


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlwarden"


def default_db_path(cache_dir: Path | None = None) -> Path:
    """Where ``mlwarden db update`` keeps the PyPI database by default."""
    return (cache_dir or default_cache_dir()) / "osv" / "PyPI-all.zip"


def parse_time(text: str | None) -> _dt.datetime | None:
    """RFC 3339 timestamp (OSV ``modified``) -> aware datetime; None when absent or invalid."""
    if not text or not isinstance(text, str):
        return None
    t = text.strip().replace("z", "Z")
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    # Python 3.10's fromisoformat takes at most 6 fractional digits
    if "." in t:
        head, _, rest = t.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(digits):]
        t = f"{head}.{(digits + '000000')[:6]}{tz}"
    try:
        value = _dt.datetime.fromisoformat(t)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc)


@dataclass
class DbInfo:
    """What a report says about the advisory data it used."""

    source: str
    kind: str  # zip | directory | api
    digest: str = ""
    records: int = 0  # PyPI records kept
    withdrawn: int = 0
    malformed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    newest_modified: str | None = None
    cache: str | None = None  # built | hit | memory
    cache_path: str | None = None

    def age_days(self, now: _dt.datetime | None = None) -> int | None:
        newest = parse_time(self.newest_modified)
        if newest is None:
            return None
        now = now or _dt.datetime.now(_dt.timezone.utc)
        return max(0, (now - newest).days)

    def as_meta(self) -> dict[str, Any]:
        return {
            "source": self.source, "kind": self.kind, "digest": self.digest, "records": self.records,
            "withdrawn_skipped": self.withdrawn, "malformed_skipped": len(self.malformed),
            "newest_modified": self.newest_modified, "age_days": self.age_days(), "cache": self.cache,
        }


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read advisory database: {exc.strerror}", path=str(path)) from None
    return h.hexdigest()


def _dir_files(folder: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if name.lower().endswith(".json") and not p.is_symlink():
                out.append(p)
    return out


def _dir_digest(folder: Path, files: list[Path]) -> str:
    h = hashlib.sha256(b"osv-dir\0")
    for p in files:
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p.relative_to(folder).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def iter_zip(path: Path) -> Iterator[tuple[str, bytes | None]]:
    """(member name, bytes or None when too large) for each ``*.json`` member."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"not a readable zip file ({exc})", path=str(path)) from None
    with zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".json"):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                yield info.filename, None
                continue
            try:
                with zf.open(info) as fh:
                    data = fh.read(MAX_RECORD_BYTES + 1)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                raise InputError(f"corrupt zip member {info.filename} ({exc})", path=str(path)) from None
            yield info.filename, (None if len(data) > MAX_RECORD_BYTES else data)


def _iter_dir(folder: Path, files: list[Path]) -> Iterator[tuple[str, bytes | None]]:
    for p in files:
        name = p.relative_to(folder).as_posix()
        try:
            with p.open("rb") as fh:
                data = fh.read(MAX_RECORD_BYTES + 1)
        except OSError:
            yield name, b""
            continue
        yield name, (None if len(data) > MAX_RECORD_BYTES else data)


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE packages (name TEXT NOT NULL, id TEXT NOT NULL);
"""


def build_index(conn: sqlite3.Connection, items: Iterable[tuple[str, bytes | None]], info: DbInfo) -> None:
    conn.executescript(_SCHEMA)
    newest: tuple[_dt.datetime, str] | None = None
    rows: list[tuple[str, str]] = []
    pkgs: list[tuple[str, str]] = []
    for member, data in items:
        if data is None:
            info.malformed.append(f"{member}: larger than {MAX_RECORD_BYTES // (1 << 20)} MiB")
            continue
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):
            info.malformed.append(f"{member}: not valid JSON")
            continue
        try:
            rec = compact(doc, info.warnings)
        except Malformed as exc:
            info.malformed.append(f"{member}: {exc}")
            continue
        except RecursionError:
            info.malformed.append(f"{member}: nested too deeply")
            continue
        if rec is None:
            if isinstance(doc, dict) and doc.get("withdrawn"):
                info.withdrawn += 1
            continue
        mod = parse_time(rec["modified"])
        if mod is not None and (newest is None or mod > newest[0]):
            newest = (mod, rec["modified"])
        rows.append((rec["id"], json.dumps(rec, separators=(",", ":"))))
        for name in sorted({e["name"] for e in rec["affected"]}):
            pkgs.append((name, rec["id"]))
    conn.executemany("INSERT OR REPLACE INTO records VALUES (?, ?)", rows)
    conn.executemany("INSERT INTO packages VALUES (?, ?)", sorted(set(pkgs)))
    conn.execute("CREATE INDEX packages_name ON packages(name)")
    info.records = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    info.newest_modified = newest[1] if newest else None
    meta = {"source_digest": info.digest, "records": str(info.records), "withdrawn": str(info.withdrawn),
            "newest_modified": info.newest_modified or "", "malformed": json.dumps(sorted(info.malformed)),
            "warnings": json.dumps(sorted(info.warnings)), "index_version": str(INDEX_VERSION)}
    conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    conn.commit()


def _read_meta(conn: sqlite3.Connection, info: DbInfo) -> bool:
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("index_version") != str(INDEX_VERSION) or meta.get("source_digest") != info.digest:
            return False
        info.records = int(meta["records"])
        info.withdrawn = int(meta["withdrawn"])
        info.newest_modified = meta["newest_modified"] or None
        info.malformed = list(json.loads(meta["malformed"]))
        info.warnings = list(json.loads(meta["warnings"]))
    except (sqlite3.Error, KeyError, ValueError, TypeError):
        return False
    return True


class OfflineDb:
    """An indexed OSV database. ``lookup(names)`` returns the compact records that name each package."""

    def __init__(self, path: Path, cache_dir: Path | None) -> None:
        self.path = path
        if path.is_dir():
            files = _dir_files(path)
            self.info = DbInfo(source=str(path), kind="directory", digest=_dir_digest(path, files))
            def items() -> Iterable[tuple[str, bytes | None]]:
                return _iter_dir(path, files)
        elif path.is_file():
            self.info = DbInfo(source=str(path), kind="zip", digest=_sha256_file(path))

            def items() -> Iterable[tuple[str, bytes | None]]:
                return iter_zip(path)
        else:
            raise InputError("advisory database not found (expected OSV all.zip or a directory of OSV "
                             "JSON records; `mlwarden db update` downloads one)", path=str(path))
        self.conn = self._open(items, cache_dir)

    def _open(self, items: Callable[[], Iterable[tuple[str, bytes | None]]],
              cache_dir: Path | None) -> sqlite3.Connection:
        info = self.info
        if cache_dir is not None:
            cache = cache_dir / f"osv-index-v{INDEX_VERSION}-{info.digest[:32]}.sqlite3"
            info.cache_path = str(cache)
            if cache.is_file():
                try:
                    conn = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
                    if _read_meta(conn, info):
                        info.cache = "hit"
                        return conn
                    conn.close()
                except sqlite3.Error:
                    pass
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".osv-index.", suffix=".tmp", dir=cache_dir)
                os.close(fd)
            except OSError:
                pass
            else:
                try:
                    conn = sqlite3.connect(tmp)
                    conn.execute("PRAGMA journal_mode=OFF")
                    conn.execute("PRAGMA synchronous=OFF")
                    build_index(conn, items(), info)
                    conn.close()
                    os.replace(tmp, cache)
                    info.cache = "built"
                    return sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
                except (OSError, sqlite3.Error):  # cache folder full or unwritable: index in memory
                    try:
                        os.unlink(tmp)
                    except OSError:
                        pass
                    info.malformed.clear()
                    info.warnings.clear()
                    info.withdrawn = 0
        conn = sqlite3.connect(":memory:")
        build_index(conn, items(), info)
        info.cache = "memory"
        return conn

    def lookup(self, names: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        wanted = sorted(set(names))
        out: dict[str, list[dict[str, Any]]] = {n: [] for n in wanted}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            marks = ",".join("?" * len(chunk))
            q = (f"SELECT p.name, r.body FROM packages p JOIN records r ON r.id = p.id "  # noqa: S608
                 f"WHERE p.name IN ({marks}) ORDER BY p.name, r.id")
            for name, body in self.conn.execute(q, chunk):
                out[name].append(json.loads(body))
        return out

    def close(self) -> None:
        self.conn.close()
