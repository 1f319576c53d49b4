"""Safe file helpers: atomic replacement that keeps the file's mode; bounded reads."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from mlwarden.core.errors import InputError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else None
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path=str(path)) from None


def atomic_write_text(path: Path, text: str) -> None:
    """Write text exactly as given (no newline translation); lone surrogates (undecodable file names)
    become backslash escapes instead of an error."""
    atomic_write_bytes(path, text.encode("utf-8", "backslashreplace"))


def write_stdout(text: str) -> None:
    """Print a report: UTF-8 whatever the locale, undecodable characters escaped, never an exception."""
    sys.stdout.flush()
    buf = getattr(sys.stdout, "buffer", None)
    if buf is None:  # a replaced stdout (tests' capsys): text only
        sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    else:
        buf.write(text.encode("utf-8", "backslashreplace"))
        buf.flush()


def read_text(path: Path, limit: int = 64 * 1024 * 1024) -> str:
    """Read a text manifest: UTF-8 (BOM tolerated), bounded size, newline characters kept as they are."""
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from None
    if len(data) > limit:
        raise InputError(f"file larger than {limit // (1024 * 1024)} MiB, not read", path=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
