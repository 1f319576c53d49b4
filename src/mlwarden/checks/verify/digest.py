"""Hash files once, in parallel (one file per worker thread; hashlib releases the GIL on large buffers).

One read of each file gives every digest any part of verify-artifacts needs from it: sha256 (lock,
signatures, LFS, the ML-BOM), and on request DVC's MD5 and DVC 2's legacy MD5 of text files with CRLF
turned into LF (``md5-dos2unix``), exactly as dvc-data computes them (1 MiB chunks, text decided on the
first 512 bytes)."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20  # dvc-data reads 1 MiB chunks; its dos2unix works chunk by chunk, so must ours
_TEXT_CHARS = bytes(range(32, 127)) + b"\n\r\t\f\b"


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int
    md5: str | None = None
    md5_dos2unix: str | None = None  # DVC 2 (legacy) md5 of a text file


@dataclass(frozen=True)
class HashError:
    message: str


def is_text_block(block: bytes) -> bool:
    """dvc-data's istextblock: no NUL and at most 30% non-text bytes in the first 512 bytes."""
    if not block:
        return True
    if b"\x00" in block:
        return False
    return len(block.translate(None, _TEXT_CHARS)) / len(block) <= 0.30


# digests computed in this process, keyed by what identifies the bytes (device, inode, size, mtime): in one
# `mlwarden scan`, generate-sbom, verify-artifacts and signature checks share one read of each file
_MEMO: dict[tuple[int, int, int, int], Digest] = {}
_MEMO_LOCK = threading.Lock()
RACY_NS = 3_000_000_000


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def hash_file(path: Path, md5: bool = False) -> Digest | HashError:
    """Every digest of one file (memoised for the process while the file is unchanged)."""
    try:
        # no link followed; O_NONBLOCK so a FIFO planted in a model folder cannot hang the run
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
                     | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return HashError(exc.strerror or str(exc))
    try:
        st = os.fstat(fd)
        key = _identity(st)
    except OSError as exc:
        os.close(fd)
        return HashError(exc.strerror or str(exc))
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return HashError("not a regular file")
    with _MEMO_LOCK:
        known = _MEMO.get(key)
    if known is not None and (known.md5 is not None or not md5):
        os.close(fd)
        return known
    got = _hash_fd(fd, md5)
    if isinstance(got, Digest):
        try:
            same = _identity(os.stat(path, follow_symlinks=False)) == key
        except OSError:
            same = False
        # like git's "racily clean" rule: a file modified in the last seconds may change again within the
        # timestamp granularity, so it is never remembered
        if same and time.time_ns() - key[3] > RACY_NS:
            with _MEMO_LOCK:
                _MEMO[key] = got
    return got


def cached(path: Path) -> Digest | None:
    """The digest this process already computed for ``path``'s current bytes, if any."""
    try:
        key = _identity(os.stat(path, follow_symlinks=False))
    except OSError:
        return None
    with _MEMO_LOCK:
        return _MEMO.get(key)


def _hash_fd(fd: int, md5: bool) -> Digest | HashError:
    sha = hashlib.sha256()
    m5 = hashlib.md5(usedforsecurity=False) if md5 else None
    legacy = hashlib.md5(usedforsecurity=False) if md5 else None
    is_text: bool | None = None
    size = 0
    try:
        with os.fdopen(fd, "rb", buffering=0) as fh:
            buf = bytearray(CHUNK)
            view = memoryview(buf)
            while True:
                n = fh.readinto(buf)
                if not n:
                    break
                chunk = view[:n]
                size += n
                sha.update(chunk)
                if m5 is not None and legacy is not None:
                    m5.update(chunk)
                    data = bytes(chunk)
                    if is_text is None:
                        is_text = is_text_block(data[:512])
                    legacy.update(data.replace(b"\r\n", b"\n") if is_text else data)
    except OSError as exc:
        return HashError(exc.strerror or str(exc))
    return Digest(sha.hexdigest(), size, m5.hexdigest() if m5 else None,
                  (legacy.hexdigest() if is_text else m5.hexdigest()) if m5 and legacy else None)


def hash_many(paths: Iterable[Path], md5_for: frozenset[Path] = frozenset(),
              jobs: int = 0) -> dict[Path, Digest | HashError]:
    """Digests of many files; each file is read once, by one worker."""
    todo = sorted(set(paths), key=lambda p: -_size(p))  # biggest first: better packing
    if not todo:
        return {}
    workers = jobs if jobs > 0 else min(32, (os.cpu_count() or 1) + 2)
    if workers <= 1 or len(todo) == 1:
        return {p: hash_file(p, p in md5_for) for p in todo}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
        results = pool.map(lambda p: hash_file(p, p in md5_for), todo)
        return dict(zip(todo, results, strict=True))


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def git_blob_sha1(path: Path) -> str | None:
    """The git blob id of a file (Hugging Face cache blobs of non-LFS files are named by it)."""
    try:
        size = path.stat().st_size
        h = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()
