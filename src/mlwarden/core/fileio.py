"""Safe file helpers: atomic replacement that keeps the file's mode; bounded reads."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlwarden.core.errors import InputError

_NAMING = [True]  # whether this system can give an O_TMPFILE a name (linkat through /proc)


def _hidden_temp(folder: Path) -> int | None:
    """An unnamed temporary file in ``folder`` (O_TMPFILE), so a run killed before the rename leaves
    nothing behind; None where the system has none."""
    flag = getattr(os, "O_TMPFILE", 0)
    if flag and _NAMING[0] and os.path.isdir("/proc/self/fd"):
        try:
            return os.open(folder, flag | os.O_WRONLY, 0o600)
        except OSError:
            pass
    return None


def _fill(fd: int, data: bytes, mode: int) -> None:
    with os.fdopen(fd, "wb", closefd=False) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.fchmod(fd, mode)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``. The temporary file
    has no name until it is complete (O_TMPFILE where available), and is removed on any error or
    SIGTERM (the guarded runner turns it into an interrupt)."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        old = path.stat().st_mode & 0o7777 if path.exists() else None
        mode = old if old is not None else 0o666 & ~_umask()
        fd = _hidden_temp(folder)
        if fd is not None:
            tmp = str(folder / f".{path.name}.{secrets.token_hex(6)}.tmp")
            try:
                _fill(fd, data, mode)
                os.link(f"/proc/self/fd/{fd}", tmp, follow_symlinks=True)
            except OSError:
                tmp = ""  # the system cannot name it: write a named temporary file below
                _NAMING[0] = False
            finally:
                os.close(fd)
            if tmp:
                try:
                    os.replace(tmp, path)
                except BaseException:
                    _unlink(tmp)
                    raise
                return
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        try:
            try:
                _fill(fd, data, mode)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            _unlink(tmp)
            raise
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_report(path: Path, data: bytes) -> None:
    """Write a report where the user asked (``--output``, ``MLWARDEN_OUTPUT``, ``--sarif``...).

    A regular file or a new path is replaced atomically. Anything else is never replaced: a character
    device (``/dev/null``, ``/dev/stdout``) or a FIFO with a reader is written through; a FIFO without a
    reader, a socket or a folder is a clear error (exit 2), never a hang. A symlink is followed: its
    target is written (replaced atomically when it is a regular file), the link itself stays."""
    target = path
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        atomic_write_bytes(path, data)
        return
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from None
    if stat.S_ISLNK(st.st_mode):
        try:
            target = Path(os.path.realpath(path, strict=False))
            st = os.stat(path)
        except FileNotFoundError:
            atomic_write_bytes(target, data)  # a dangling link: create what it points to
            return
        except (OSError, RuntimeError) as exc:
            raise InputError(f"cannot write through the symlink: {exc}", path=str(path)) from None
    if stat.S_ISREG(st.st_mode):
        atomic_write_bytes(target, data)
        return
    if stat.S_ISDIR(st.st_mode):
        raise InputError("cannot write the report: it is a folder", path=str(path))
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode) or stat.S_ISBLK(st.st_mode)):
        raise InputError("cannot write the report: not a file, device or FIFO", path=str(path))
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise InputError("cannot write the report: the FIFO has no reader", path=str(path)) from None
        raise InputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from None
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from None
    finally:
        os.close(fd)


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


_PROGRESS = "\r\x1b[K"  # the one terminal sequence mlwarden itself writes to standard error


class InertStream:
    """Standard error made inert for whatever is printed on it (errors, notes, progress): file names
    and server text never put a raw ESC, a bidi control or a ``::workflow-command`` at a line start on
    the terminal or in a CI log. Our own progress sequence passes."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from mlwarden.core.findings import inert

        self._stream.write(_PROGRESS.join(inert(part) for part in str(text).split(_PROGRESS)))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def inert_stderr() -> Iterator[None]:
    """Route ``sys.stderr`` through InertStream for the duration of a command."""
    before = sys.stderr
    if isinstance(before, InertStream):
        yield
        return
    sys.stderr = InertStream(before)
    try:
        yield
    finally:
        sys.stderr = before
