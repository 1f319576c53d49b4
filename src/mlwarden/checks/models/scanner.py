"""Format sniffing and per-format scanning. Reads bytes only; never imports or runs what it reads."""

from __future__ import annotations

import mmap
import os
import re
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwarden.checks.models import rules as R
from mlwarden.checks.models.classify import DANGEROUS, SAFE, Classifier, normalize
from mlwarden.checks.models.pickle_vm import (
    Blob,
    Buffer,
    Global,
    GlobalUse,
    Limits,
    Obj,
    PickleResult,
    PickleVM,
    is_identifier_path,
)
from mlwarden.core.decompress import KINDS, Inflated, inflate
from mlwarden.core.findings import Finding, Rule, Severity

MiB = 1024 * 1024
_READ_WHOLE = 1 * MiB  # files up to this size are read into memory, larger ones are mmapped (only the
# pages a format needs are ever read: a safetensors or zip checkpoint costs its header / directory)

MODEL_EXTENSIONS = frozenset(
    {
        ".pkl",
        ".pickle",
        ".pt",
        ".pth",
        ".bin",
        ".ckpt",
        ".joblib",
        ".npy",
        ".npz",
        ".h5",
        ".hdf5",
        ".keras",
        ".onnx",
        ".safetensors",
        ".gguf",
        ".ggml",
        ".pb",
        ".model",
        ".mar",
        ".tar",
        ".zip",
        ".dill",
        ".pkl.gz",
        ".sav",
        ".p",
        ".dat",
        ".data",
        ".tflite",
        ".mlmodel",
        ".msgpack",
        ".nemo",
        ".llamafile",
        ".jl",
        ".pdparams",
        ".pdmodel",
        ".torchscript",
        ".ptl",
        ".gz",
        ".bz2",
        ".xz",
        ".lzma",
        ".z",
        ".lz4",
        ".zst",
        ".zstd",
        ".7z",
        ".weights",
        ".params",
        ".caffemodel",
        ".engine",
        ".plan",
        ".tgz",
        ".pkl.z",
    }
)
_GENERIC_EXTENSIONS = frozenset(
    {
        ".bin",
        ".dat",
        ".data",
        ".model",
        ".weights",
        ".params",
        ".msgpack",
        ".tflite",
        ".engine",
        ".plan",
        ".caffemodel",
        ".pdparams",
        ".pdmodel",
        ".mlmodel",
        ".gz",
        ".bz2",
        ".xz",
        ".lzma",
        ".z",
        ".zip",
        ".tar",
        ".tgz",
    }
)
# formats that cannot run code when loaded: a code-capable payload under one of these names is a lie
WEIGHTS_ONLY_EXTENSIONS = {
    ".safetensors": "safetensors",
    ".gguf": "gguf",
    ".onnx": "onnx",
    ".npy": "numpy",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".json": "json",
    ".txt": "text",
    ".msgpack": "msgpack",
    ".tflite": "tflite",
}
_CODE_CAPABLE = frozenset({"pickle", "pytorch-legacy", "joblib", "pytorch-zip", "torchscript"})
_TORCH_LEGACY_MAGIC = b"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
_HDF5_SIG = b"\x89HDF\r\n\x1a\n"
_PROTO0_START = frozenset(b"(c]})NIJKMSVXUTGFLd.lq")
_SAFETENSORS_DTYPES = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "C64": 64,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "F8_E4M3FNUZ": 8,
    "F8_E5M2FNUZ": 8,
}


@dataclass
class ScanOptions:
    allow: tuple[str, ...] = ()
    max_opcodes: int = 50_000_000
    max_decompressed: int = 1024 * MiB  # per decompressed stream or member
    max_depth: int = 4  # nested archives
    max_members: int = 200_000
    trailing_scan: int = 64 * MiB  # bytes after the last pickle searched for hidden payloads


@dataclass
class Sink:
    display: str
    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        rule: Rule,
        message: str,
        *,
        member: str | None,
        offset: int | None,
        fmt: str | None,
        glob: str | None = None,
        severity: Severity | None = None,
        **extra: Any,
    ) -> None:
        where = []
        if member:
            where.append(f"member {member}")
        if offset is not None:
            where.append(f"offset {offset}")
        prefix = f"[{', '.join(where)}] " if where else ""
        data: dict[str, Any] = {"member": member, "offset": offset, "global": glob, "format": fmt}
        data.update(extra)
        self.findings.append(
            Finding(
                rule=rule,
                path=self.display,
                message=_printable(prefix + message),
                severity=severity,
                data=data,
            )
        )


def _printable(text: str, limit: int = 2000) -> str:
    """Names come from hostile files: escape control characters (no terminal escapes) and cap the length."""
    if len(text) > limit:
        text = text[:limit] + "..."
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
        for ch in text
    )


class Region:
    """A byte range of a buffer (a file, a zip member stored in place, or decompressed bytes)."""

    __slots__ = ("buf", "end", "start")

    def __init__(self, buf: Buffer, start: int, end: int) -> None:
        self.buf = buf
        self.start = start
        self.end = end

    @property
    def size(self) -> int:
        return self.end - self.start

    def head(self, n: int) -> bytes:
        return bytes(self.buf[self.start : min(self.start + n, self.end)])

    def read(self, a: int, n: int) -> bytes:
        """``n`` bytes at relative offset ``a`` (short at the end)."""
        lo = self.start + a
        return bytes(self.buf[lo : min(lo + n, self.end)])

    def find(self, sub: bytes, a: int = 0, b: int | None = None) -> int:
        hi = self.end if b is None else min(self.end, self.start + b)
        i = self.buf.find(sub, self.start + a, hi)
        return -1 if i < 0 else i - self.start

    def tobytes(self) -> bytes:
        return bytes(self.buf[self.start : self.end])


def _ext(name: str) -> str:
    low = name.lower()
    for double in (".pkl.gz", ".pkl.z"):
        if low.endswith(double):
            return double
    return os.path.splitext(low)[1]


# ------------------------------------------------------------------------------------------------
# sniffing


def sniff_region(reg: Region, name: str = "") -> str | None:
    head = reg.head(64)
    if len(head) < 4:
        if head[:1] == b"\x80" or (head and head[:1] in b"(]}N" and head.endswith(b".")):
            return "pickle"
        return None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06") or head.startswith(b"PK00PK"):
        return "zip"
    if head.startswith(_HDF5_SIG) or any(reg.read(off, 8) == _HDF5_SIG for off in (512, 1024, 2048)):
        return "hdf5"
    if head.startswith(b"\x93NUMPY"):
        return "numpy"
    if head.startswith(b"GGUF"):
        return "gguf"
    if len(head) >= 10 and head[8:9] == b"{":
        n = struct.unpack_from("<Q", head)[0]
        if 2 <= n <= reg.size - 8 and reg.read(8 + n - 1, 1) in (b"}", b" "):
            return "safetensors"
        if _ext(name) == ".safetensors":
            return "safetensors"  # a header that lies about its length is still reported as safetensors
    if head[0] == 0x80 and len(head) > 1 and head[1] <= 5:
        if head[2:14] == _TORCH_LEGACY_MAGIC:
            return "pytorch-legacy"
        if reg.find(b"NumpyArrayWrapper", 0, 4096) >= 0 or reg.find(b"NDArrayWrapper", 0, 4096) >= 0:
            return "joblib"
        return "pickle"
    if head.startswith(b"L119547037146038801333356L\n."):
        return "pytorch-legacy"  # torch.save(..., pickle_protocol=0 or 1): the magic number as a text LONG
    if reg.size > 262 and reg.read(257, 5) == b"ustar":
        return "tar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    comp = _compression(head)
    if comp:
        return comp
    ext = _ext(name)
    if head.startswith(b"version https://git-lfs.github.com/spec/"):
        return "git-lfs-pointer"
    if head[0] in _PROTO0_START and _looks_like_proto0(reg):
        return "pickle"
    if _looks_like_onnx(reg):
        return "onnx"
    if ext == ".pb" and _looks_like_protobuf(reg):
        return "tensorflow"
    if head[4:8] == b"TFL3":
        return "tflite"
    if head[:4] in (b"lmgg", b"fmgg", b"tjgg"):
        return "ggml"  # llama.cpp's pre-GGUF formats: tensors and vocab, no templates
    if ext == ".model" and _looks_like_protobuf(reg):
        return "sentencepiece"
    return None


def _is_text(head: bytes) -> bool:
    """Plain text (a .pth path file, a README saved as .bin): no loader runs it as a model."""
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _compression(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00") and len(head) > 12:
        return "lzma"
    if head.startswith(b"ZF0x"):
        return "zlib"  # joblib < 0.10
    if head[0] == 0x78 and head[1] in (0x01, 0x5E, 0x9C, 0xDA) and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    if head.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return None


def _looks_like_proto0(reg: Region) -> bool:
    res = PickleVM(reg.buf, reg.end, Limits(max_opcodes=2_000_000)).run(reg.start)
    if not res.complete or res.opcodes < 2:
        return False
    # text that happens to parse: require sane global names and most of the file consumed
    if any(not is_identifier_path(m) or not is_identifier_path(n) for m, n in res.globals):
        return False
    return res.end >= reg.end - 1 or reg.size - (res.end - reg.start) < reg.size // 2


def _varint(reg: Region, pos: int, limit: int) -> tuple[int, int]:
    shift = 0
    val = 0
    while pos < limit and shift < 64:
        b = reg.buf[reg.start + pos]
        pos += 1
        val |= (b & 0x7F) << shift
        if not b & 0x80:
            return val, pos
        shift += 7
    raise ValueError("bad varint")


def _pb_fields(reg: Region, a: int, b: int, max_fields: int = 1_000_000) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) where value is an int or an (offset, length) pair."""
    pos = a
    n = 0
    while pos < b:
        key, pos = _varint(reg, pos, b)
        fno, wt = key >> 3, key & 7
        if fno == 0:
            raise ValueError("field number 0")
        if wt == 0:
            val, pos = _varint(reg, pos, b)
            yield fno, wt, val
        elif wt == 1:
            pos += 8
            yield fno, wt, 0
        elif wt == 5:
            pos += 4
            yield fno, wt, 0
        elif wt == 2:
            ln, pos = _varint(reg, pos, b)
            if pos + ln > b:
                raise ValueError("length past end")
            yield fno, wt, (pos, ln)
            pos += ln
        else:
            raise ValueError(f"wire type {wt}")
        if pos > b:
            raise ValueError("field past end")
        n += 1
        if n > max_fields:
            raise ValueError("too many fields")


def _looks_like_protobuf(reg: Region) -> bool:
    try:
        count = 0
        for _ in _pb_fields(reg, 0, min(reg.size, 4096) if reg.size > 4096 else reg.size):
            count += 1
            if count > 3:
                return True
        return count > 0 and reg.size <= 4096
    except ValueError:
        return reg.size > 4096 and count > 3


# ModelProto field number -> wire type (0 varint, 2 length-delimited)
_ONNX_MODEL_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2}


def _looks_like_onnx(reg: Region) -> bool:
    """ModelProto: starts with ir_version (field 1 varint) and holds a graph (7) or opset_import (8)."""
    head = reg.head(2)
    if len(head) < 2 or head[0] != 0x08 or head[1] > 30:
        return False
    try:
        for fno, wt, _ in _pb_fields(reg, 0, reg.size, max_fields=64):
            if _ONNX_MODEL_FIELDS.get(fno) != wt:
                return False
            if fno in (7, 8):
                return True
    except ValueError:
        return False
    return False


def classify_zip(names: list[str]) -> str:
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
            return "torchscript"
        return "pytorch-zip"
    if any(n.endswith("constants.pkl") for n in names):
        return "torchscript"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    if "config.json" in names and ("metadata.json" in names or any(n.endswith(".weights.h5") for n in names)):
        return "keras"
    if any(n.endswith("MANIFEST.json") and n.startswith("MAR-INF") for n in names):
        return "torchserve-mar"
    return "zip"


# ------------------------------------------------------------------------------------------------
# the scanner


class Scanner:
    def __init__(self, options: ScanOptions | None = None) -> None:
        self.opts = options or ScanOptions()
        self.classifier = Classifier(self.opts.allow)
        self.limits = Limits(max_opcodes=self.opts.max_opcodes)
        self.torchscript = False  # inside a TorchScript archive (torch.jit.load's restricted unpickler)
        # bytes all decompression of one file may still produce (reset per file)
        self.inflate_budget = max(2 * self.opts.max_decompressed, 256 * MiB)

    # public entry ---------------------------------------------------------------------------------
    def scan_file(self, path: Path, display: str) -> tuple[str | None, list[Finding]]:
        sink = Sink(display)
        try:
            st = path.stat()
        except OSError as exc:
            sink.add(R.UNSCANNABLE, f"cannot read: {exc.strerror or exc}", member=None, offset=None, fmt=None)
            return None, sink.findings
        if not stat.S_ISREG(st.st_mode):
            return None, sink.findings  # FIFOs, devices, sockets: never opened (a FIFO would block)
        size = st.st_size
        if size == 0:
            if _ext(path.name) in MODEL_EXTENSIONS:
                sink.add(
                    R.UNSCANNABLE,
                    "empty file with a model extension",
                    member=None,
                    offset=None,
                    fmt=None,
                    severity=Severity.LOW,
                )
            return None, sink.findings
        self.inflate_budget = max(2 * self.opts.max_decompressed, 256 * MiB)
        try:
            return self._scan_open(path, size, sink)
        except (OSError, MemoryError) as exc:
            msg = (
                exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            )
            sink.add(R.UNSCANNABLE, f"cannot read: {msg}", member=None, offset=None, fmt=None)
        except Exception as exc:
            sink.add(
                R.UNSCANNABLE,
                f"internal error while parsing ({type(exc).__name__}: {exc}); file not fully scanned",
                member=None,
                offset=None,
                fmt=None,
            )
        return None, sink.findings

    def _scan_open(self, path: Path, size: int, sink: Sink) -> tuple[str | None, list[Finding]]:
        with open(path, "rb") as fh:
            mm = None
            if size > _READ_WHOLE:
                try:
                    mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                except (OSError, ValueError):
                    mm = None  # not mappable (special file system): read it
            if mm is None:
                data = fh.read()
                fmt = self.scan_region(Region(data, 0, len(data)), path.name, None, sink, 0)
            else:
                with mm:
                    fmt = self.scan_region(Region(mm, 0, len(mm)), path.name, None, sink, 0)
        return fmt, sink.findings

    def _harmless_getattr(self, use: GlobalUse) -> bool:
        """``builtins.getattr`` used only as ``getattr(<global>, "<name>")`` reaching allowlisted globals
        (pickle's form for ``ZoneInfo._unpickle`` and other class attributes) is a plain import."""
        return use.only_constant_getattr() and all(
            self.classifier.classify(m, n)[0] == SAFE for m, n in use.targets
        )

    def sniff_file(self, path: Path) -> str | None:
        try:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size == 0:
                    return None
                if size <= _READ_WHOLE:
                    data = fh.read()
                    return self.refine(Region(data, 0, len(data)), path.name)
                with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                    return self.refine(Region(mm, 0, size), path.name)
        except Exception:  # an unreadable or hostile file is simply not a recognised model file
            return None

    def refine(self, reg: Region, name: str) -> str | None:
        fmt = sniff_region(reg, name)
        if fmt == "zip":
            try:
                entries, _ = read_zip_directory(reg, self.opts.max_members)
                return classify_zip([e.name for e in entries])
            except ValueError:
                return "zip"
        if fmt in ("gzip", "bzip2", "xz", "lzma", "zlib", "lz4", "zstd"):
            inner = self._decompress(reg, fmt, 4096, partial=True)
            if inner is not None:
                sub = sniff_region(Region(inner, 0, len(inner)), "")
                if sub in ("pickle", "joblib"):
                    return "joblib"
                if sub == "tar":
                    return "tar"
        return fmt

    # dispatch -------------------------------------------------------------------------------------
    def scan_region(self, reg: Region, name: str, member: str | None, sink: Sink, depth: int) -> str | None:
        fmt = sniff_region(reg, name)
        ext = _ext(name)
        if fmt is None:
            if ext in MODEL_EXTENSIONS:
                # names that promise a code-capable format are medium; generic data names (.bin, .dat, ...)
                # often hold raw tensors, which no loader runs: reported for information
                generic = ext in _GENERIC_EXTENSIONS or _is_text(reg.head(512))
                sink.add(
                    R.UNSCANNABLE,
                    f"unknown format for a {ext} file (first bytes {reg.head(8)!r})"
                    + ("; it is not a pickle or any format that loads as code" if generic else ""),
                    member=member,
                    offset=0,
                    fmt=None,
                    severity=Severity.INFO if generic else None,
                )
                self._sniff_gadgets(reg, 0, member, sink, "unknown")
                self._embedded_zip(reg, member, sink, depth)
            return None
        try:
            if fmt in ("pickle", "pytorch-legacy", "joblib"):
                fmt = self.scan_pickles(reg, member, sink, fmt, depth)
            elif fmt == "zip":
                fmt = self.scan_zip(reg, member, sink, depth)
            elif fmt == "numpy":
                self.scan_npy(reg, member, sink, depth)
            elif fmt == "safetensors":
                from mlwarden.checks.models.formats import scan_safetensors

                scan_safetensors(reg, member, sink)
            elif fmt == "gguf":
                from mlwarden.checks.models.formats import scan_gguf

                scan_gguf(reg, member, sink)
            elif fmt == "onnx":
                from mlwarden.checks.models.formats import scan_onnx

                scan_onnx(reg, member, sink)
            elif fmt == "hdf5":
                from mlwarden.checks.models.formats import scan_hdf5

                fmt = scan_hdf5(reg, member, sink)
            elif fmt == "tensorflow":
                from mlwarden.checks.models.formats import scan_tf_pb

                scan_tf_pb(reg, member, sink)
            elif fmt == "tar":
                self.scan_tar(reg, member, sink, depth)
            elif fmt == "git-lfs-pointer":
                sink.add(
                    R.UNSCANNABLE,
                    "Git LFS pointer: the model itself is not checked out here; scan again "
                    "after `git lfs pull`",
                    member=member,
                    offset=0,
                    fmt=fmt,
                    severity=Severity.INFO,
                )
            elif fmt in ("tflite", "sentencepiece", "ggml"):
                pass  # data only: flatbuffer / protobuf tables with no code path on load
            elif fmt in ("lz4", "zstd") and not _have_decoder(fmt):
                # joblib and pandas decode these transparently: a pickle behind them runs on load
                sink.add(
                    R.UNSCANNABLE,
                    f"{fmt}-compressed data is not decompressed (install mlwarden[compression] for the "
                    f"{'lz4' if fmt == 'lz4' else 'zstandard'} decoder); joblib and pandas load a pickle "
                    "behind it transparently",
                    member=member,
                    offset=0,
                    fmt=fmt,
                    severity=Severity.HIGH,
                )
            elif fmt in ("7z", "rar"):
                # no loader opens these: wrapping a checkpoint in one only hides it from scanners
                # (the nullifAI models on the Hugging Face Hub were 7z-packed PyTorch files)
                sink.add(
                    R.UNSCANNABLE,
                    f"{fmt} archive: its members cannot be read without a third-party decoder, and "
                    "model loaders never open this format (a known way to hide a pickle from scanners)",
                    member=member,
                    offset=0,
                    fmt=fmt,
                    severity=Severity.HIGH,
                )
            else:
                fmt = self.scan_compressed(reg, fmt, name, member, sink, depth)
        except RecursionError:
            sink.add(
                R.UNSCANNABLE, "structure nested too deeply to scan", member=member, offset=None, fmt=fmt
            )
        if fmt is not None:
            claimed = WEIGHTS_ONLY_EXTENSIONS.get(ext)
            if claimed and fmt in _CODE_CAPABLE:
                sink.add(
                    R.FORMAT_MISMATCH,
                    f"named {ext} ({claimed}) but the bytes are {fmt}, which runs code when loaded",
                    member=member,
                    offset=0,
                    fmt=fmt,
                )
        return fmt

    # pickles --------------------------------------------------------------------------------------
    def scan_pickles(
        self, reg: Region, member: str | None, sink: Sink, fmt: str, depth: int, quiet_errors: bool = False
    ) -> str:
        """Every pickle in sequence from the start of ``reg``, then hidden payloads after the last one."""
        pos = reg.start
        index = 0
        while pos < reg.end:
            res = PickleVM(reg.buf, reg.end, self.limits).run(pos)
            if index > 0 and not res.complete:
                break  # not another pickle: trailing data (searched below)
            index += 1
            if any(k == ("joblib.numpy_pickle", "NumpyArrayWrapper") for k in res.globals):
                fmt = "joblib" if fmt == "pickle" else fmt
            self.report_pickle(res, reg, member, sink, fmt, depth, index, quiet_errors)
            if not res.complete:
                # a stream broken on purpose must not hide what follows it
                after = max(res.end, pos + 1)
                if after < reg.end:
                    self._sniff_gadgets(reg, after - reg.start, member, sink, fmt)
                return fmt
            pos = res.end
            if index >= 64:
                break
        if pos < reg.end:
            self._sniff_gadgets(reg, pos - reg.start, member, sink, fmt)
            self._embedded_zip(reg, member, sink, depth)
        return fmt

    def _embedded_zip(self, reg: Region, member: str | None, sink: Sink, depth: int) -> None:
        """A zip archive after other data (a pickle/zip polyglot: pickle loaders read the front, zip readers
        find the central directory at the end): scan the archive too."""
        if reg.size < 22 or reg.find(b"PK\x05\x06", max(0, reg.size - 65557)) < 0:
            return
        if reg.find(b"PK\x03\x04") < 0:
            return
        try:
            entries, _ = read_zip_directory(reg, self.opts.max_members)
        except (ValueError, struct.error):
            return
        if not entries or reg.read(entries[0].local_offset, 4) != b"PK\x03\x04":
            return
        sink.add(
            R.ARCHIVE_ANOMALY,
            "a zip archive is appended to this file (polyglot): scanned as well",
            member=member,
            offset=reg.find(b"PK\x03\x04"),
            fmt="zip",
        )
        self.scan_zip(reg, member, sink, depth)

    def report_pickle(
        self,
        res: PickleResult,
        reg: Region,
        member: str | None,
        sink: Sink,
        fmt: str,
        depth: int,
        index: int = 1,
        quiet_errors: bool = False,
    ) -> None:
        base = reg.start
        which = f" in pickle #{index} (appended after the first)" if index > 1 else ""
        for (mod, name), use in sorted(res.globals.items()):
            verdict, reason = self.classifier.classify(mod, name)
            if verdict == SAFE or self._harmless_getattr(use) or use.only_resolved_partial():
                continue
            if self.torchscript and (mod == "__torch__" or mod.startswith("__torch__.")):
                continue  # TorchScript classes: compiled from the archive's code/, never imported as Python
            shapes = sorted(s for s in use.shapes if s != "reference")
            kind = use.kind()
            if verdict != DANGEROUS and kind != "call" and self.classifier.object_safe(mod, name):
                continue  # a known ML library class rebuilt as an object (or passed as a value)
            how = _how(kind, shapes)
            glob = f"{mod}.{name}"
            package = normalize(mod, name)[0].split(".", 1)[0]
            extra: dict[str, Any] = {}
            if verdict == DANGEROUS:
                rule, text = R.GLOBAL_DANGEROUS, f"imports {glob} ({use.opcode}){which}, {how}: {reason}"
            elif kind == "call":
                rule, text = R.GLOBAL_UNKNOWN, f"imports unknown global {glob} ({use.opcode}){which}, {how}"
            else:
                what = "object of" if kind == "object" else "reference to"
                rule = R.OBJECT_UNKNOWN
                text = f"{what} {glob} ({use.opcode}){which}, not in the allowlist: {how}"
                extra["module"] = normalize(mod, name)[0]
            sink.add(rule, text, member=member, offset=use.offset - base, fmt=fmt, glob=glob, calls=shapes,
                     use=kind, package=package, **extra)
        for off, how_set, attr, value, on in res.planted[:10]:
            sink.add(
                R.STATE_SPECIAL_ATTR,
                f"{how_set} sets {attr} = {value} on {on}{which}: "
                + (
                    "the next BUILD calls it with the state that follows"
                    if attr == "__setstate__"
                    else "real objects never carry this name in their state"
                ),
                member=member,
                offset=off - base,
                fmt=fmt,
                glob=value if "." in value and " " not in value else None,
            )
        if res.ext_codes:
            codes = ", ".join(str(c) for _, c in res.ext_codes[:10])
            sink.add(
                R.PICKLE_EXTENSION,
                f"imports through copyreg extension code(s) {codes}{which}: the target "
                "depends on the loader's registry",
                member=member,
                offset=res.ext_codes[0][0] - base,
                fmt=fmt,
            )
        for off, why in res.dynamic[:5]:
            sink.add(R.PICKLE_DYNAMIC, why + which, member=member, offset=off - base, fmt=fmt)
        if res.errors and not quiet_errors:
            off, why = res.errors[0]
            sink.add(
                R.PICKLE_MALFORMED,
                f"{why}{which}; scanned up to this point",
                member=member,
                offset=off - base,
                fmt=fmt,
            )
        for off, via, arg in res.nested:
            inner = self._payload_region(reg, arg)
            if inner is None:
                sink.add(
                    R.PICKLE_DYNAMIC,
                    f"{via} loads a nested file from a computed value that cannot be scanned",
                    member=member,
                    offset=off - base,
                    fmt=fmt,
                    glob=via,
                )
                continue
            label = f"{member or ''}@{off - base}:{via}"
            if depth + 1 > self.opts.max_depth:
                sink.add(
                    R.UNSCANNABLE,
                    f"nested payload of {via} beyond the nesting limit",
                    member=member,
                    offset=off - base,
                    fmt=fmt,
                )
                continue
            self.scan_region(inner, "", label, sink, depth + 1)

    def _payload_region(self, reg: Region, arg: Any) -> Region | None:
        """The bytes a nested loader would open: a bytes literal, or ``_codecs.encode(text, "latin1")`` as
        protocol 2 writes bytes."""
        if isinstance(arg, bytes):
            return Region(arg, 0, len(arg))
        if isinstance(arg, Blob) and not arg.text:
            return Region(reg.buf, arg.start, arg.start + arg.length)
        if (
            isinstance(arg, Obj)
            and isinstance(arg.func, Global)
            and (arg.func.module, arg.func.name) in (("_codecs", "encode"), ("codecs", "encode"))
            and isinstance(arg.args, tuple)
            and arg.args
        ):
            text = arg.args[0]
            if isinstance(text, Blob) and text.text:
                if text.length > self.opts.max_decompressed:
                    return None
                text = bytes(reg.buf[text.start : text.start + text.length]).decode("utf-8", "surrogatepass")
            if isinstance(text, str):
                try:
                    data = text.encode("latin-1")
                except UnicodeEncodeError:
                    return None
                return Region(data, 0, len(data))
        return None

    def _sniff_gadgets(self, reg: Region, rel: int, member: str | None, sink: Sink, fmt: str | None) -> None:
        """Look for pickles and gadget imports hidden in bytes no loader is expected to read as a pickle
        (after a stream's STOP, in unknown formats): complete pickles with non-allowlisted globals and
        text GLOBAL/INST opcodes naming known-dangerous targets."""
        limit = min(reg.size, rel + self.opts.trailing_scan)
        if limit - rel <= 0:
            return
        seen: set[str] = set()
        # protocol 2+ pickles; one opcode budget for the whole search keeps hostile data linear
        pos = rel
        budget = 2_000_000
        while budget > 0:
            i = reg.find(b"\x80", pos, limit)
            if i < 0 or i + 1 >= limit:
                break
            pos = i + 1
            if reg.buf[reg.start + i + 1] > 5:
                continue
            res = PickleVM(reg.buf, reg.start + limit, Limits(max_opcodes=min(1_000_000, budget))).run(
                reg.start + i
            )
            budget -= max(res.opcodes, (res.end - reg.start - i) // 4, 16)
            pos = max(pos, res.end - reg.start)
            if not res.globals:
                continue
            if any(not is_identifier_path(m) or not is_identifier_path(n) for m, n in res.globals):
                continue
            for (mod, name), use in sorted(res.globals.items()):
                verdict, reason = self.classifier.classify(mod, name)
                glob = f"{mod}.{name}"
                # a complete hidden pickle reports anything outside the allowlist; a fragment only gadgets
                if verdict == SAFE or self._harmless_getattr(use) or glob in seen:
                    continue
                if not res.complete and verdict != DANGEROUS:
                    continue
                seen.add(glob)
                sink.add(
                    R.HIDDEN_PICKLE,
                    f"pickle hidden at offset {i} after the data a loader expects imports {glob}: {reason}",
                    member=member,
                    offset=use.offset - reg.start,
                    fmt=fmt,
                    glob=glob,
                    severity=Severity.CRITICAL if verdict == DANGEROUS else None,
                )
        # protocol 0/1 text imports of known gadgets
        chunk = reg.read(rel, limit - rel)
        for m in _TEXT_GLOBAL.finditer(chunk):
            mod = m.group(2).decode("ascii")
            name = m.group(3).decode("ascii")
            verdict, reason = self.classifier.classify(mod, name)
            glob = f"{mod}.{name}"
            if verdict != DANGEROUS or glob in seen:
                continue
            seen.add(glob)
            sink.add(
                R.HIDDEN_PICKLE,
                f"text pickle opcode imports {glob} in data after the expected end: {reason}",
                member=member,
                offset=rel + m.start(),
                fmt=fmt,
                glob=glob,
                severity=Severity.CRITICAL,
            )

    # numpy ----------------------------------------------------------------------------------------
    def scan_npy(self, reg: Region, member: str | None, sink: Sink, depth: int) -> None:
        from mlwarden.checks.models.formats import parse_npy_header

        try:
            header, data_off = parse_npy_header(reg)
        except ValueError as exc:
            sink.add(R.UNSCANNABLE, f"invalid .npy header: {exc}", member=member, offset=0, fmt="numpy")
            return
        if header.get("object"):
            sub = Region(reg.buf, reg.start + data_off, reg.end)
            before = len(sink.findings)
            self.scan_pickles(sub, member, sink, "numpy", depth)
            for i in range(before, len(sink.findings)):  # offsets relative to the .npy, not the payload
                f = sink.findings[i]
                if isinstance(f.data.get("offset"), int):
                    data = dict(f.data)
                    data["offset"] = f.data["offset"] + data_off
                    sink.findings[i] = Finding(
                        rule=f.rule, path=f.path, message=f.message, severity=f.severity, data=data
                    )

    # compressed streams ---------------------------------------------------------------------------
    def _decompress(
        self, reg: Region, kind: str, cap: int, partial: bool = False
    ) -> bytes | bytearray | None:
        """Up to ``cap`` bytes of decompressed output (None on a corrupt stream)."""
        if kind in ("lz4", "zstd"):
            from mlwarden.checks.models import lz4zstd

            try:
                return lz4zstd.decompress(kind, reg.read, reg.size, cap)
            except (lz4zstd.MissingDecoder, ValueError):
                return None
        res = self._inflate(reg, kind, cap, self._stream_start(reg, kind))
        if res is None or (res.error and not (partial or res.data)):
            return None
        return res.data

    @staticmethod
    def _stream_start(reg: Region, kind: str) -> int:
        start = 0
        if kind == "zlib" and reg.head(4) == b"ZF0x":
            j = reg.find(b"x", 4, 64)
            start = j if j > 0 else 0
            # joblib 0.9: "ZF0x" + hex length + padding, then the zlib stream
            k = reg.find(b"\x78", 4, 64)
            start = k if k > 0 else start
        return start

    @staticmethod
    def _inflate(reg: Region, kind: str, cap: int, start: int = 0) -> Inflated | None:
        """Every member/stream of a compressed region, up to ``cap`` bytes (core.decompress: streamed,
        no copy of the input or the output)."""
        if kind in ("lz4", "zstd"):
            from mlwarden.checks.models import lz4zstd

            try:
                raw = lz4zstd.decompress(kind, reg.read, reg.size, cap + 1)
            except lz4zstd.MissingDecoder:
                return None
            except ValueError as exc:
                return Inflated(bytearray(), complete=False, error=f"corrupt {kind} data ({exc})")
            if len(raw) > cap:
                return Inflated(bytearray(raw[:cap]), complete=False, over_budget=True)
            return Inflated(bytearray(raw), complete=True, members=1)
        if kind not in KINDS:
            return None
        with memoryview(reg.buf) as view, view[reg.start + start:reg.end] as part:  # type: ignore[arg-type]
            return inflate(kind, part, cap)

    def scan_compressed(
        self, reg: Region, kind: str, name: str, member: str | None, sink: Sink, depth: int
    ) -> str | None:
        cap = min(self.opts.max_decompressed, max(self.inflate_budget, 0))
        if cap <= 0:
            sink.add(
                R.ARCHIVE_ANOMALY,
                "total decompression budget for this file is spent: not scanned",
                member=member,
                offset=0,
                fmt=kind,
            )
            return kind
        start = self._stream_start(reg, kind)
        res = self._inflate(reg, kind, cap, start)
        data = res.data if res is not None else None
        self.inflate_budget -= len(data or b"")
        if res is None or data is None or (res.error and not data):
            if _ext(name) in MODEL_EXTENSIONS or kind != "zlib":
                why = res.error if res is not None and res.error else "corrupt stream"
                sink.add(R.UNSCANNABLE, f"{kind}: {why}", member=member, offset=0, fmt=kind)
            return kind
        if res.over_budget:
            # never a silent partial scan: what lies past the budget could hide anything
            sink.add(
                R.UNSCANNABLE,
                f"{kind} stream decompresses past the {cap // MiB} MiB limit (bomb?); only the first "
                f"{cap // MiB} MiB were scanned, the rest could hide anything",
                member=member,
                offset=0,
                fmt=kind,
                severity=Severity.HIGH,
            )
        elif res.error:
            sink.add(R.UNSCANNABLE, f"{kind}: {res.error}; scanned what decompressed",
                     member=member, offset=0, fmt=kind)
        if depth + 1 > self.opts.max_depth:
            sink.add(
                R.ARCHIVE_ANOMALY,
                "compressed layers nested beyond the limit",
                member=member,
                offset=0,
                fmt=kind,
            )
            return kind
        inner_name = (
            name[: -len(_ext(name))]
            if _ext(name) in (".gz", ".bz2", ".xz", ".lzma", ".z", ".lz4", ".zst", ".zstd")
            else name
        )
        label = f"{member}|{kind}" if member else f"|{kind}"
        inner = self.scan_region(Region(data, 0, len(data)), inner_name, label, sink, depth + 1)
        if inner in ("pickle", "joblib"):
            return "joblib"
        return inner or kind

    # zip ------------------------------------------------------------------------------------------
    def scan_zip(self, reg: Region, member: str | None, sink: Sink, depth: int) -> str:
        from mlwarden.checks.models.containers import scan_zip

        return scan_zip(self, reg, member, sink, depth)

    def scan_tar(self, reg: Region, member: str | None, sink: Sink, depth: int) -> None:
        from mlwarden.checks.models.containers import scan_tar

        scan_tar(self, reg, member, sink, depth)


def _have_decoder(kind: str) -> bool:
    from mlwarden.checks.models import lz4zstd

    return lz4zstd.available(kind)


def _how(kind: str, shapes: list[str]) -> str:
    if kind == "call":
        parts = []
        for sh in shapes:
            for prefix in ("called via ", "called "):
                if sh.startswith(prefix):
                    sh = sh[len(prefix) :]
                    break
            parts.append(sh)
        return "called via " + ", ".join(parts)
    if kind == "object":
        return "rebuilt as an object (" + ", ".join(shapes) + "), not called with arguments"
    return "referenced as a value (never called by the loader)"


# a protocol 0/1 GLOBAL or INST followed by an opcode that uses it (not just two lines of prose)
_TEXT_GLOBAL = re.compile(
    rb"(c|i)([A-Za-z_][A-Za-z0-9_.]{0,127})\n([A-Za-z_][A-Za-z0-9_.]{0,127})\n(?=[(pq\x94.Rt)\x85\x86\x87\]}N])"
)


@dataclass
class ZipEntry:
    name: str
    method: int
    flags: int
    crc: int
    csize: int
    usize: int
    local_offset: int
    raw_name: bytes = b""


def read_zip_directory(reg: Region, max_members: int) -> tuple[list[ZipEntry], list[str]]:
    """Entries of the central directory (every copy of a duplicated name), and anomalies found."""
    problems: list[str] = []
    size = reg.size
    tail_start = max(0, size - (65535 + 22))
    eocd = -1
    i = reg.find(b"PK\x05\x06", tail_start)
    while i >= 0:
        eocd = i  # the last record wins, as in Python's zipfile
        i = reg.find(b"PK\x05\x06", i + 1)
    if eocd < 0 or eocd + 22 > size:
        raise ValueError("no end-of-central-directory record")
    rec22 = reg.read(eocd, 22)
    n_total, cd_size, cd_off = struct.unpack_from("<HII", rec22, 10)
    if cd_off == 0xFFFFFFFF or n_total == 0xFFFF or cd_size == 0xFFFFFFFF:
        loc = eocd - 20
        if loc >= 0 and reg.read(loc, 4) == b"PK\x06\x07":
            z64_off = struct.unpack_from("<Q", reg.read(loc + 8, 8))[0]
            rec = reg.read(z64_off, 56)
            if len(rec) == 56 and rec[:4] == b"PK\x06\x06":
                n_total, cd_size, cd_off = struct.unpack_from("<QQQ", rec, 32)
            else:
                problems.append("broken ZIP64 end-of-central-directory record")
    # archives with a prefix (self-extracting, or data prepended): shift offsets
    shift = 0
    if cd_off + cd_size <= size and reg.read(cd_off, 4) != b"PK\x01\x02" and n_total:
        guess = eocd - cd_size
        if guess >= 0 and reg.read(guess, 4) == b"PK\x01\x02":
            shift = guess - cd_off
            problems.append(f"{shift} bytes of data before the archive")
    if n_total > max_members:
        problems.append(f"{n_total} entries: only the first {max_members} were scanned")
    entries: list[ZipEntry] = []
    p = cd_off + shift
    # Read every record the directory holds, not just the count the end record claims: Python's zipfile
    # walks the directory by its size, miniz (torch) by the count, so a lying count hides entries from one.
    while len(entries) < max_members:
        rec = reg.read(p, 46)
        if len(rec) < 46 or rec[:4] != b"PK\x01\x02":
            if len(entries) < n_total:
                problems.append("central directory ends early or is corrupt")
            break
        if len(entries) == n_total:
            problems.append(
                f"the central directory holds more entries than the {n_total} its end record "
                "declares (loaders disagree on the contents)"
            )
        flags, method = struct.unpack_from("<HH", rec, 8)
        crc, csize, usize, nlen, xlen, clen = struct.unpack_from("<IIIHHH", rec, 16)
        loff = struct.unpack_from("<I", rec, 42)[0]
        raw = reg.read(p + 46, nlen)
        extra = reg.read(p + 46 + nlen, xlen)
        if 0xFFFFFFFF in (csize, usize, loff):
            usize, csize, loff = _zip64_extra(extra, usize, csize, loff)
        name = raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        entries.append(ZipEntry(name, method, flags, crc, csize, usize, loff + shift, raw))
        p += 46 + nlen + xlen + clen
    return entries, problems


def _zip64_extra(extra: bytes, usize: int, csize: int, loff: int) -> tuple[int, int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, ln = struct.unpack_from("<HH", extra, i)
        body = extra[i + 4 : i + 4 + ln]
        if tag == 1:
            j = 0
            if usize == 0xFFFFFFFF and j + 8 <= len(body):
                usize = struct.unpack_from("<Q", body, j)[0]
                j += 8
            if csize == 0xFFFFFFFF and j + 8 <= len(body):
                csize = struct.unpack_from("<Q", body, j)[0]
                j += 8
            if loff == 0xFFFFFFFF and j + 8 <= len(body):
                loff = struct.unpack_from("<Q", body, j)[0]
            break
        i += 4 + ln
    return usize, csize, loff
