"""``mlwarden db update [--db PATH] [--url URL]``: fetch OSV's PyPI database for offline audits.

The first run downloads ``all.zip``. Later runs read ``modified_id.csv`` next to it (``<modified>,<id>``
rows) and download only the records modified after the newest record of the local copy
(``<base>/<ID>.json``), then rewrite the zip atomically. A failed or garbled download leaves the previous
copy untouched and exits 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mlwarden import __version__
from mlwarden.core.errors import InputError, MlwardenError, NetworkError, UsageError
from mlwarden.core.net import Deadline, urlopen

DEFAULT_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
MAX_ZIP = 4 * 1024 * 1024 * 1024
MAX_RECORD = 16 * 1024 * 1024
MAX_DELTA = 5000  # more changed records than this: download the whole zip again


_DEADLINE: list[Deadline | None] = [None]  # the running update's overall deadline (core.net)


def _get(url: str, timeout: float, limit: int, dest: Path | None = None) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": f"mlwarden/{__version__}"})  # noqa: S310
    try:
        with urlopen(req, timeout=timeout, deadline=_DEADLINE[0]) as resp:
            if dest is None:
                data: bytes = resp.read(limit + 1)
                if len(data) > limit:
                    raise NetworkError(f"{url}: response larger than {limit} bytes")
                return data
            total = 0
            with dest.open("wb") as fh:
                for chunk in iter(lambda: resp.read(1 << 20), b""):
                    total += len(chunk)
                    if total > limit:
                        raise NetworkError(f"{url}: download larger than {limit} bytes")
                    fh.write(chunk)
            return b""
    except urllib.error.HTTPError as exc:
        raise NetworkError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise NetworkError(f"{url}: cannot connect ({exc.reason})") from None
    except (TimeoutError, OSError, ValueError) as exc:
        if isinstance(exc, MlwardenError):
            raise
        raise NetworkError(f"{url}: download failed ({type(exc).__name__}: {exc})") from None


def _newest_and_ids(path: Path) -> tuple[str | None, dict[str, str]]:
    """Newest ``modified`` timestamp in a local OSV zip and {record id: member name}."""
    from mlwarden.checks.audit.store import iter_zip, parse_time

    newest = None
    members: dict[str, str] = {}
    for name, data in iter_zip(path):
        members[name.rsplit("/", 1)[-1][:-5]] = name
        if not data:
            continue
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        mod = parse_time(doc.get("modified")) if isinstance(doc, dict) else None
        if mod is not None and (newest is None or mod > newest[0]):
            newest = (mod, doc["modified"])
    return (newest[1] if newest else None), members


def _changed_since(csv_text: str, since: str) -> list[str]:
    from mlwarden.checks.audit.store import parse_time

    cutoff = parse_time(since)
    if cutoff is None:
        raise InputError("local database has no valid modified dates")
    out: list[str] = []
    for line in csv_text.splitlines():
        stamp, sep, ident = line.strip().partition(",")
        if not sep:
            continue
        t = parse_time(stamp)
        if t is None:
            if out or line is not csv_text.splitlines()[0]:
                raise NetworkError(f"modified_id.csv: bad line {line[:80]!r}")
            continue  # a header line
        if t > cutoff:
            out.append(ident.strip().rsplit("/", 1)[-1])
    return sorted(set(out))


def _validate_zip(path: Path) -> int:
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(1 for n in zf.namelist() if n.lower().endswith(".json"))
    except (zipfile.BadZipFile, OSError) as exc:
        raise NetworkError(f"downloaded database is not a zip file ({exc})") from None


def update(path: Path, url: str, timeout: float, out: list[str]) -> None:
    base = url.rsplit("/", 1)[0] + "/"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        newest, members = _newest_and_ids(path)
        if newest is not None:
            try:
                csv_text = _get(base + "modified_id.csv", timeout, 512 * 1024 * 1024).decode("utf-8")
            except UnicodeDecodeError:
                raise NetworkError(f"{base}modified_id.csv: not UTF-8 text") from None
            changed = _changed_since(csv_text, newest)
            if len(changed) <= MAX_DELTA:
                _apply_delta(path, base, changed, members, timeout)
                out.append(f"updated {path}: {len(changed)} record(s) changed since {newest} "
                           f"({len(members) + len(set(changed) - set(members))} records)")
                return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        _get(url, timeout, MAX_ZIP, dest=tmp_path)
        count = _validate_zip(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    out.append(f"downloaded {path}: {count} records from {url}")


def _apply_delta(path: Path, base: str, changed: list[str], members: dict[str, str],
                 timeout: float) -> None:
    if not changed:
        return

    def fetch(ident: str) -> bytes:
        data = _get(base + urllib.parse.quote(ident, safe="") + ".json", timeout, MAX_RECORD)
        try:
            doc = json.loads(data)
        except ValueError:
            raise NetworkError(f"{base}{ident}.json: not valid JSON") from None
        if not isinstance(doc, dict) or doc.get("id") != ident:
            raise NetworkError(f"{base}{ident}.json: not the OSV record {ident}")
        return data

    with ThreadPoolExecutor(max_workers=min(8, len(changed))) as pool:
        fresh = dict(zip(changed, pool.map(fetch, changed), strict=True))
    replaced = {members[i] for i in fresh if i in members}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(path) as old, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as new:
            for info in old.infolist():
                if info.filename not in replaced:
                    new.writestr(info, old.read(info))
            for ident in sorted(fresh):
                new.writestr(members.get(ident, f"{ident}.json"), fresh[ident])
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv: Sequence[str] | None = None) -> int:
    from mlwarden.checks.audit.store import default_db_path

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            raise UsageError(f"{self.prog}: {message}")

    parser = _Parser(prog="mlwarden db", description="Manage the offline OSV advisory database.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    up = sub.add_parser("update", help="download OSV's PyPI database, or apply the changes since the last "
                                       "download")
    up.add_argument("--db", metavar="PATH", default=os.environ.get("MLWARDEN_OSV_DB"),
                    help="where to keep the zip (default: $XDG_CACHE_HOME/mlwarden/osv/PyPI-all.zip) "
                         "[env MLWARDEN_OSV_DB]")
    up.add_argument("--url", metavar="URL", default=os.environ.get("MLWARDEN_OSV_DB_URL", DEFAULT_URL),
                    help=f"all.zip URL (default {DEFAULT_URL}) [env MLWARDEN_OSV_DB_URL]")
    up.add_argument("--timeout", metavar="SECONDS", type=float, default=60.0, help="network timeout")
    up.add_argument("--deadline", metavar="SECONDS", type=float, default=1800.0,
                    help="overall time limit of the update (a slow or endless server ends in exit 2)")
    from mlwarden.cli import guarded

    raw = list(sys.argv[1:] if argv is None else argv)

    def run() -> int:
        args = parser.parse_args(raw)
        if args.action != "update":
            raise UsageError("mlwarden db: choose an action: update")
        if not args.timeout > 0 or not args.timeout < 1e9:
            raise UsageError("--timeout must be a positive number of seconds")
        if not args.deadline > 0 or not args.deadline < 1e9:
            raise UsageError("--deadline must be a positive number of seconds")
        _DEADLINE[0] = Deadline(args.deadline)
        if not str(args.url).startswith(("http://", "https://")):
            raise UsageError(f"--url must be an http(s) URL, not {args.url!r}")
        path = Path(args.db).expanduser() if args.db else default_db_path()
        if path.is_dir():
            raise UsageError(f"{path}: db update keeps a zip file; this is a directory")
        lines: list[str] = []
        update(path, args.url, args.timeout, lines)
        for line in lines:
            print(line)
        return 0

    return guarded(run)

