"""Git LFS pointers, read from the git index with plain git (git-lfs is not needed).

A pointer names its object by sha256 and size; the work tree must hold exactly those bytes. When it holds
the pointer text itself, the object was never pulled (and `git status` still calls the file clean)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_POINTER = re.compile(
    rb"version https://(?:git-lfs\.github\.com/spec/v1|hawser\.github\.com/spec/v1)\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*?oid sha256:([0-9a-f]{64})\n(?:[a-z0-9.-]+ [^\n]*\n)*?size (\d+)\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*\Z")
MAX_POINTER = 1024


@dataclass(frozen=True)
class Pointer:
    oid: str
    size: int


def parse_pointer(data: bytes) -> Pointer | None:
    if len(data) > MAX_POINTER:
        return None
    m = _POINTER.match(data)
    if not m:
        return None
    return Pointer(m.group(1).decode(), int(m.group(2)))


def read_pointer_file(path: Path) -> Pointer | None:
    try:
        with path.open("rb") as fh:
            return parse_pointer(fh.read(MAX_POINTER + 1))
    except OSError:
        return None


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes | None:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], input=data, capture_output=True, timeout=120,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def index_pointers(root: Path, pathspecs: Sequence[str] = ()) -> dict[str, Pointer] | None:
    """Paths (relative to ``root``) whose staged blob is an LFS pointer; None outside a git work tree.

    Looks at files with the ``filter=lfs`` attribute and, among ``pathspecs`` given explicitly (the staged
    files of a pre-commit run), at every small blob, so a pointer committed without attributes counts."""
    listing = _git(root, "ls-files", "-z", "-s", "--", ":(attr:filter=lfs)", *pathspecs) \
        if not pathspecs else _git(root, "ls-files", "-z", "-s", "--", *pathspecs)
    if listing is None:
        return None
    entries: list[tuple[str, str]] = []
    for rec in listing.decode("utf-8", "surrogateescape").split("\0"):
        if not rec or "\t" not in rec:
            continue
        meta, path = rec.split("\t", 1)
        fields = meta.split()
        if len(fields) != 3 or fields[0] == "160000":  # submodules have no blob
            continue
        entries.append((fields[1], path))
    if not entries:
        return {}
    # sizes first (one batch), then the contents of the small blobs only
    ids = "".join(f"{sha}\n" for sha, _ in entries).encode()
    sizes_out = _git(root, "cat-file", "--batch-check=%(objectname) %(objectsize)", data=ids)
    if sizes_out is None:
        return None
    small = set()
    for line in sizes_out.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and int(parts[1]) <= MAX_POINTER:
            small.add(parts[0])
    if not small:
        return {}
    blobs = _cat_batch(root, sorted(small))
    out: dict[str, Pointer] = {}
    for sha, path in entries:
        ptr = parse_pointer(blobs.get(sha, b""))
        if ptr is not None:
            out[path] = ptr
    return out


def _cat_batch(root: Path, ids: list[str]) -> dict[str, bytes]:
    raw = _git(root, "cat-file", "--batch", data="".join(f"{i}\n" for i in ids).encode())
    out: dict[str, bytes] = {}
    if raw is None:
        return out
    pos = 0
    while pos < len(raw):
        nl = raw.find(b"\n", pos)
        if nl < 0:
            break
        header = raw[pos:nl].split()
        pos = nl + 1
        if len(header) != 3:
            continue
        size = int(header[2])
        out[header[0].decode()] = raw[pos:pos + size]
        pos += size + 1
    return out


def index_links(root: Path) -> list[str] | None:
    """Paths (relative to ``root``) that git tracks as symbolic links; None outside a git work tree."""
    listing = _git(root, "ls-files", "-z", "-s")
    if listing is None:
        return None
    out = []
    for rec in listing.decode("utf-8", "surrogateescape").split("\0"):
        if rec.startswith("120000 ") and "\t" in rec:
            out.append(rec.split("\t", 1)[1])
    return sorted(out)
