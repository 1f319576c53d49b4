"""Zip and tar containers: every member that can hold code is read in place (stored members are never
copied), nested archives are followed to a depth limit, and the archive tricks that blind other scanners
(duplicate names, CRC errors, odd folder names, broken directories) are reported, not obeyed."""

from __future__ import annotations

import io
import posixpath
import re
import struct
import tarfile
import zlib
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mlwarden.checks.models import rules as R
from mlwarden.checks.models.pickle_vm import PickleVM
from mlwarden.checks.models.scanner import (
    MODEL_EXTENSIONS,
    Region,
    Sink,
    ZipEntry,
    _ext,
    classify_zip,
    read_zip_directory,
    sniff_region,
)
from mlwarden.core.findings import Severity

if TYPE_CHECKING:
    from mlwarden.checks.models.scanner import Scanner

_TENSOR_DATA = re.compile(r"(^|/)(\.?data|constants)/\d+$")
_ALWAYS = (
    ".pkl",
    ".pickle",
    ".npy",
    ".json",
    ".pt",
    ".pth",
    ".bin",
    ".ckpt",
    ".joblib",
    ".h5",
    ".keras",
    ".safetensors",
    ".gguf",
    ".onnx",
    ".zip",
    ".mar",
    ".tar",
    ".npz",
    ".pb",
    ".dill",
)


# magic numbers too short or heuristic to trust in members without a model-file name
_WEAK_MAGIC = frozenset({"zlib", "lzma", "onnx", "tensorflow"})


def _label(member: str | None, name: str) -> str:
    return f"{member}!{name}" if member else name


def _bad_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


def _local_method(reg: Region, e: ZipEntry) -> int | None:
    hdr = reg.read(e.local_offset, 30)
    if len(hdr) < 30 or hdr[:4] != b"PK\x03\x04":
        return None
    method: int = struct.unpack_from("<H", hdr, 8)[0]
    return method


def _scan_member(
    scanner: Scanner, reg: Region, e: ZipEntry, label: str, fmt: str, sink: Sink, depth: int
) -> None:
    """Scan one member read as ``e`` describes it (used for the second reading of a disputed member)."""
    try:
        sub, _ = member_region(scanner, reg, e, scanner.opts.max_decompressed)
    except (ValueError, struct.error):
        return
    if sniff_region(sub, e.name) is None:
        return
    scanner.scan_region(sub, e.name, label, sink, depth + 1)


def local_header_entries(reg: Region, max_members: int) -> list[ZipEntry]:
    """Fallback when the central directory is missing: walk local file headers."""
    out: list[ZipEntry] = []
    pos = 0
    while len(out) < max_members:
        i = reg.find(b"PK\x03\x04", pos)
        if i < 0:
            break
        hdr = reg.read(i, 30)
        if len(hdr) < 30:
            break
        (_, _, flags, method, _, _, crc, csize, usize, nlen, xlen) = struct.unpack_from("<IHHHHHIIIHH", hdr)
        name = reg.read(i + 30, nlen).decode("utf-8", "replace")
        data = i + 30 + nlen + xlen
        if flags & 8 or csize == 0xFFFFFFFF:
            nxt = reg.find(b"PK\x03\x04", data)
            if nxt < 0:
                nxt = reg.find(b"PK\x01\x02", data)
            csize = (nxt if nxt >= 0 else reg.size) - data
            usize = csize if method == 0 else usize
        out.append(ZipEntry(name, method, flags, crc, csize, usize, i))
        pos = max(data + (csize if method == 0 else 0), i + 4)
    return out


def member_region(scanner: Scanner, reg: Region, e: ZipEntry, cap: int) -> tuple[Region, str | None]:
    """The member's bytes (in place when stored) and a problem description, if any."""
    hdr = reg.read(e.local_offset, 30)
    if len(hdr) < 30 or hdr[:4] != b"PK\x03\x04":
        raise ValueError("local file header missing at the offset the central directory gives")
    nlen, xlen = struct.unpack_from("<HH", hdr, 26)
    local_name = reg.read(e.local_offset + 30, nlen)
    problem = None
    if e.raw_name and local_name != e.raw_name:
        problem = f"local header names {local_name[:80]!r} but the central directory {e.raw_name[:80]!r}"
    start = e.local_offset + 30 + nlen + xlen
    end = start + e.csize
    if end > reg.size:
        problem = "member data runs past the end of the archive"
        end = reg.size
    if e.method == 0:
        return Region(reg.buf, reg.start + start, reg.start + end), problem
    if e.method != 0:
        if scanner.inflate_budget <= 0:
            raise ValueError(
                "total decompression budget for this file is spent (overlapping-entry zip bomb?)"
            )
        cap = min(cap, scanner.inflate_budget)
    if e.method in (8, 12, 14):
        from mlwarden.core.decompress import inflate

        factory = None
        kind = {8: "deflate", 12: "bzip2", 14: "lzma"}[e.method]
        lo = start
        if e.method == 14:
            # zip lzma: 2-byte version, 2-byte props size, props, then a raw lzma1 stream
            import lzma

            head = reg.read(start, 4)
            if len(head) < 4:
                raise ValueError("corrupt compressed member: lzma header cut short")
            psize = struct.unpack_from("<H", head, 2)[0]
            props = reg.read(start + 4, psize)
            try:
                filt = lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)  # type: ignore[attr-defined]
            except (lzma.LZMAError, ValueError) as exc:
                raise ValueError(f"corrupt compressed member: {exc}") from None
            lo = start + 4 + psize
            factory = lambda: lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=[filt])  # noqa: E731
        with memoryview(reg.buf) as view, view[reg.start + lo:reg.start + max(end, lo)] as part:  # type: ignore[arg-type]
            res = inflate(kind, part, cap, factory=factory, multi=False)
        data = res.data
        scanner.inflate_budget -= len(data)
        if res.over_budget:
            problem = (f"decompresses past the {cap >> 20} MiB limit (zip bomb?); only the start was "
                       "scanned, the rest could hide anything")
        elif res.error:
            if not data:
                raise ValueError(f"corrupt compressed member: {res.error}")
            problem = f"{res.error}; scanned what decompressed"
        return Region(data, 0, len(data)), problem
    raise ValueError(f"unsupported compression method {e.method}")


def _crc32(reg: Region) -> int:
    crc = 0
    for pos in range(0, reg.size, 1 << 20):
        crc = zlib.crc32(reg.read(pos, 1 << 20), crc)
    return crc & 0xFFFFFFFF


def _wanted(e: ZipEntry, fmt: str) -> bool:
    low = e.name.lower()
    if fmt in ("pytorch-zip", "torchscript") and _TENSOR_DATA.search(e.name):
        return False  # raw tensor bytes: torch never unpickles them, and reading them costs the whole file
    return not (low.endswith("/") and e.usize == 0)


def scan_zip(scanner: Scanner, reg: Region, member: str | None, sink: Sink, depth: int) -> str:
    opts = scanner.opts
    try:
        entries, problems = read_zip_directory(reg, opts.max_members)
    except (ValueError, struct.error) as exc:
        entries = local_header_entries(reg, opts.max_members)
        problems = [f"{exc}: scanned the local file headers instead"]
        if not entries:
            sink.add(R.UNSCANNABLE, f"corrupt zip archive ({exc})", member=member, offset=0, fmt="zip")
            return "zip"
    if not entries and reg.read(0, 4) == b"PK\x03\x04":
        # an end record (e.g. one planted in the archive comment) that lists nothing hides real members
        entries = local_header_entries(reg, opts.max_members)
        if entries:
            problems.append(
                f"the central directory lists no entries but {len(entries)} local file headers hold "
                "members: scanned them"
            )
    fmt = classify_zip([e.name for e in entries])
    for p in problems:
        sink.add(R.ARCHIVE_ANOMALY, p, member=member, offset=None, fmt=fmt)
    by_offset = Counter(e.local_offset for e in entries)
    shared = sum(n for n in by_offset.values() if n > 1)
    if shared:
        sink.add(
            R.ARCHIVE_ANOMALY,
            f"{shared} entries share their data with another entry (overlapping-entry zip "
            "bomb?): each data block was scanned once",
            member=member,
            offset=None,
            fmt="zip",
        )
        firsts: dict[int, ZipEntry] = {}
        for e in entries:
            firsts.setdefault(e.local_offset, e)
        entries = [e for e in entries if firsts[e.local_offset] is e]
    counts = Counter(e.name for e in entries)
    for name, n in sorted(counts.items()):
        if n > 1:
            sink.add(
                R.ARCHIVE_ANOMALY,
                f"{n} entries named {name!r}: loaders disagree on which one they read "
                "(every copy was scanned)",
                member=_label(member, name),
                offset=None,
                fmt=fmt,
            )
    if depth + 1 > opts.max_depth:
        sink.add(
            R.ARCHIVE_ANOMALY,
            "archives nested beyond the depth limit; inner archive not scanned",
            member=member,
            offset=0,
            fmt=fmt,
        )
        return fmt
    for e in entries:
        label = _label(member, e.name)
        if _bad_name(e.name):
            sink.add(
                R.ARCHIVE_ANOMALY,
                f"member name {e.name!r} is absolute or climbs out with '..'",
                member=label,
                offset=e.local_offset,
                fmt=fmt,
            )
        if not _wanted(e, fmt):
            continue
        local_method = _local_method(reg, e)
        if local_method is not None and local_method != e.method:
            sink.add(
                R.ARCHIVE_ANOMALY,
                f"local header says compression method {local_method}, the central directory "
                f"{e.method}: loaders disagree on the bytes (scanned both ways)",
                member=label,
                offset=e.local_offset,
                fmt=fmt,
            )
            if local_method in (0, 8, 12, 14):
                _scan_member(scanner, reg, replace(e, method=local_method), label, fmt, sink, depth)
        ext = _ext(e.name)
        ts_code = fmt == "torchscript" and ext == ".py" and "/code/" in f"/{e.name}"
        important = ext in _ALWAYS or ext in MODEL_EXTENSIONS or ts_code
        if e.flags & 1:
            # torch ignores the flag, Python's zipfile refuses the member: scan the bytes as they are (a
            # really encrypted member then shows up as unscannable)
            sink.add(
                R.ARCHIVE_ANOMALY,
                "member is flagged as encrypted: loaders that ignore the flag read it anyway (scanned as is)",
                member=label,
                offset=e.local_offset,
                fmt=fmt,
            )
        if not important:
            # peek: only members whose first bytes look like a model format are read
            try:
                sub, _ = (
                    member_region(scanner, reg, e, 4096)
                    if e.method != 0
                    else member_region(scanner, reg, e, 0)
                )
            except (ValueError, struct.error):
                continue
            weak = sniff_region(Region(sub.buf, sub.start, min(sub.end, sub.start + 4096)), e.name)
            if weak is None or weak in _WEAK_MAGIC:
                continue
        try:
            sub, problem = member_region(scanner, reg, e, opts.max_decompressed)
        except (ValueError, struct.error) as exc:
            sink.add(
                R.ARCHIVE_ANOMALY, f"cannot read member: {exc}", member=label, offset=e.local_offset, fmt=fmt
            )
            continue
        if problem:
            # a member cut at the budget was not fully scanned: high, so no gate passes it in silence
            over = "MiB limit" in problem
            sink.add(R.UNSCANNABLE if over else R.ARCHIVE_ANOMALY, problem, member=label,
                     offset=e.local_offset, fmt=fmt, severity=Severity.HIGH if over else None)
        if (
            sub.size <= 64 * 1024 * 1024
            and (ext in (".pkl", ".pickle", ".json") or (e.name.endswith(".npy") and sub.size <= 1 << 20))
            and e.usize == sub.size
            and _crc32(sub) != e.crc
        ):
            sink.add(
                R.ARCHIVE_ANOMALY,
                "CRC mismatch: some loaders refuse the member, others read it; scanned as stored",
                member=label,
                offset=e.local_offset,
                fmt=fmt,
            )
        if (ext == ".json" and fmt == "keras") or (e.name.endswith("config.json") and fmt == "keras"):
            from mlwarden.checks.models.formats import scan_keras_json

            scan_keras_json(sub, label, sink, "keras")
            continue
        if ext == ".json":
            continue
        if ts_code:
            from mlwarden.checks.models.torchscript import scan_code

            scan_code(sub, e.name, label, sink)
            continue
        if not important and sub.head(1) == b"\x80":
            # binary data that merely starts like a pickle: scan only if it really is one
            if not PickleVM(sub.buf, sub.end, scanner.limits).run(sub.start).complete:
                continue
        outer = scanner.torchscript
        scanner.torchscript = fmt == "torchscript"
        try:
            scanner.scan_region(sub, e.name, label, sink, depth + 1)
        finally:
            scanner.torchscript = outer
    return fmt


class _RegionFile(io.RawIOBase):
    """A read-only seekable file over a Region (no copy), for tarfile."""

    def __init__(self, reg: Region) -> None:
        self.reg = reg
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            self.pos = offset
        elif whence == 1:
            self.pos += offset
        else:
            self.pos = self.reg.size + offset
        self.pos = max(0, self.pos)
        return self.pos

    def readinto(self, b: Any) -> int:
        data = self.reg.read(self.pos, len(b))
        n = len(data)
        b[:n] = data
        self.pos += n
        return n


def scan_tar(scanner: Scanner, reg: Region, member: str | None, sink: Sink, depth: int) -> None:
    opts = scanner.opts
    if depth + 1 > opts.max_depth:
        sink.add(
            R.ARCHIVE_ANOMALY,
            "archives nested beyond the depth limit; inner archive not scanned",
            member=member,
            offset=0,
            fmt="tar",
        )
        return
    count = 0
    try:
        with tarfile.open(fileobj=_RegionFile(reg), mode="r:") as tf:
            for m in tf:
                count += 1
                if count > opts.max_members:
                    sink.add(
                        R.ARCHIVE_ANOMALY,
                        f"more than {opts.max_members} members: the rest was not scanned",
                        member=member,
                        offset=None,
                        fmt="tar",
                    )
                    break
                label = _label(member, m.name)
                if _bad_name(m.name):
                    sink.add(
                        R.ARCHIVE_ANOMALY,
                        f"member name {m.name!r} is absolute or climbs out with '..'",
                        member=label,
                        offset=m.offset,
                        fmt="tar",
                    )
                if m.issym() or m.islnk():
                    target = (
                        m.linkname if m.islnk() else posixpath.join(posixpath.dirname(m.name), m.linkname)
                    )
                    if m.linkname.startswith("/") or _bad_name(posixpath.normpath(target)):
                        sink.add(
                            R.ARCHIVE_ANOMALY,
                            f"link member points to {m.linkname!r} outside the archive (not followed)",
                            member=label,
                            offset=m.offset,
                            fmt="tar",
                        )
                    continue
                if not m.isreg():
                    continue
                start = m.offset_data
                end = min(start + m.size, reg.size)
                sub = Region(reg.buf, reg.start + start, reg.start + end)
                # legacy torch tar "storages"/"tensors": pickles between raw data; the trailing search of
                # scan_pickles finds the ones after the first
                scanner.scan_region(sub, m.name, label, sink, depth + 1)
    except (tarfile.TarError, OSError, ValueError, EOFError) as exc:
        sink.add(R.UNSCANNABLE, f"corrupt tar archive ({exc})", member=member, offset=None, fmt="tar")
