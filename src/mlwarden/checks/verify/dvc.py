"""DVC records (``*.dvc`` files and ``dvc.lock``): what each output's MD5 must be, and what it is.

DVC 3 records ``hash: md5`` (MD5 of the raw bytes); DVC 2 records no ``hash`` key and used the legacy
``md5-dos2unix`` (text files hashed with CRLF turned into LF). A folder output's MD5 is the MD5 of DVC's
``.dir`` listing, ``json.dumps(sorted [{"md5", "relpath"}], sort_keys=True)``, plus ``.dir``."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlwarden.checks.verify.digest import Digest


@dataclass(frozen=True)
class DvcOut:
    record: str  # display path of the .dvc / dvc.lock file
    line: int | None
    path: str  # repository-relative path of the output
    md5: str  # as recorded (folders end with ".dir")
    legacy: bool  # DVC 2 md5-dos2unix
    size: int | None

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")


class DvcError(ValueError):
    pass


def _line_of(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return None


def read_record(path: Path, display: str, root: Path) -> list[DvcOut]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DvcError(f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if len(text) > 16 * 1024 * 1024:
        raise DvcError("larger than 16 MiB")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DvcError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise DvcError("not a DVC record (no mapping)")
    base = path.parent
    outs_lists: list[Any] = []
    if path.name == "dvc.lock":
        stages = data.get("stages")
        if isinstance(stages, dict):
            for stage in stages.values():
                if isinstance(stage, dict):
                    outs_lists.append(stage.get("outs"))
    else:
        outs_lists.append(data.get("outs"))
    out: list[DvcOut] = []
    for outs in outs_lists:
        if outs is None:
            continue
        if not isinstance(outs, list):
            raise DvcError("'outs' is not a list")
        for o in outs:
            if not isinstance(o, dict):
                continue
            p, md5 = o.get("path"), o.get("md5")
            if not isinstance(p, str) or not isinstance(md5, str) or not md5:
                continue  # an output not yet hashed (or a remote one): nothing to compare
            if o.get("cloud") or "://" in p:
                continue
            target = (base / p)
            rel = os.path.relpath(target, root).replace(os.sep, "/")
            if rel.startswith("../"):
                continue  # never look outside the repository
            hash_name = o.get("hash")
            legacy = hash_name in (None, "md5-dos2unix")  # DVC 3 writes `hash: md5`
            size = o.get("size")
            out.append(DvcOut(display, _line_of(text, md5), rel, md5, bool(legacy),
                              size if isinstance(size, int) and not isinstance(size, bool) else None))
    return out


def file_md5(d: Digest, legacy: bool) -> str | None:
    return d.md5_dos2unix if legacy else d.md5


def dir_md5(digests: Mapping[str, Digest], legacy: bool) -> str | None:
    """The ``.dir`` MD5 of a folder from its files' digests (relative path -> Digest)."""
    entries = []
    for rel, d in digests.items():
        m = file_md5(d, legacy)
        if m is None:
            return None
        entries.append({"md5": m, "relpath": rel})
    entries.sort(key=lambda e: e["relpath"])
    raw = json.dumps(entries, sort_keys=True).encode("utf-8")
    return hashlib.md5(raw, usedforsecurity=False).hexdigest() + ".dir"


def cached_listing(root: Path, md5: str) -> dict[str, str] | None:
    """The ``.dir`` listing from the local DVC cache (DVC 3 ``files/md5`` layout or DVC 2), if present."""
    h = md5.removesuffix(".dir")
    for cand in (root / ".dvc" / "cache" / "files" / "md5" / h[:2] / (h[2:] + ".dir"),
                 root / ".dvc" / "cache" / h[:2] / (h[2:] + ".dir")):
        try:
            if cand.stat().st_size > 256 * 1024 * 1024:
                return None
            data = json.loads(cand.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(data, list):
            return {str(e.get("relpath")): str(e.get("md5")) for e in data if isinstance(e, dict)}
    return None


def list_dir(folder: Path) -> list[tuple[str, Path]]:
    """Files of a DVC folder output as DVC lists them (no symlink followed; .dvcignore not applied)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for n in sorted(filenames):
            p = base / n
            out.append((p.relative_to(folder).as_posix(), p))
    return out
