"""Whole-stream decompression under a byte budget, streamed, without copying the output.

``inflate(kind, data, budget)`` decompresses *every* member of a gzip file and every stream of a
bzip2/xz/lzma-alone file (as ``gzip.decompress``/``bz2.decompress``/``lzma.decompress`` do), reading the
input in slices of a memoryview (no copy of the input) and appending into one ``bytearray`` that is
returned as is (no final ``bytes()`` copy). Each decompressor call is capped, so memory stays within
``budget`` plus one slice however hostile the input. Nothing raises on content: the result says whether
the stream was read to its end, went over the budget, or was corrupt.

Any caller that scans decompressed bytes (scan-models, readers of compressed manifests) must treat
``over_budget`` and ``error`` as "not fully checked" and report it, never as a clean partial scan.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = ("gzip", "zlib", "deflate", "bzip2", "xz", "lzma")

# what may start a further member/stream after the first one ends
_NEXT_MAGIC = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00", "lzma": b"\x5d\x00\x00"}

STEP = 1 << 20  # input slice and largest single decompressor output


@dataclass
class Inflated:
    """Decompressed bytes (a bytearray, never copied) and how the stream ended."""

    data: bytearray
    complete: bool  # every member/stream read to its end marker
    over_budget: bool = False  # output reached the budget: ``data`` holds only the first ``budget`` bytes
    error: str | None = None  # corrupt or truncated stream (``data`` holds what decompressed before it)
    members: int = 0  # members/streams decompressed (gzip members, bzip2/xz streams)
    trailing: int = 0  # bytes after the last stream that are not another stream (ignored, like gzip does)


def _new(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if kind == "zlib":
        return zlib.decompressobj()
    if kind == "deflate":
        return zlib.decompressobj(-zlib.MAX_WBITS)
    import lzma

    if kind == "bzip2":
        import bz2

        return bz2.BZ2Decompressor()
    if kind == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    if kind == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    raise ValueError(f"unknown compression {kind!r}")


def _errors() -> tuple[type[BaseException], ...]:
    import lzma

    return (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError)


def inflate(kind: str, data: Any, budget: int, *, factory: Callable[[], Any] | None = None,
            multi: bool = True) -> Inflated:
    """Decompress ``data`` (bytes, bytearray, memoryview or mmap) of ``kind`` (see ``KINDS``).

    ``budget`` is the most output kept; one byte more is decompressed to tell "exactly the budget" from
    "over it". ``multi``: go on with the next gzip member / bzip2 or xz stream after one ends (the
    formats allow concatenation and the standard tools decompress all of it). ``factory`` builds the
    decompressor for formats this module does not know (it must behave like zlib's or bz2's objects).
    """
    with memoryview(data) as view, view.cast("B") as src:
        return _inflate(kind, src, budget, factory, multi)


def _inflate(kind: str, src: memoryview, budget: int, factory: Callable[[], Any] | None,
             multi: bool) -> Inflated:
    out = bytearray()
    limit = max(budget, 0) + 1
    res = Inflated(out, complete=False)
    make = factory or (lambda: _new(kind))
    dec = make()
    zlib_like = hasattr(dec, "unconsumed_tail")
    pos = 0
    errors = _errors()
    try:
        while True:
            # feed the current decompressor until it ends, runs out of input or the budget is reached
            ended = False
            while len(out) < limit:
                room = min(limit - len(out), STEP)
                if zlib_like:
                    tail = dec.unconsumed_tail
                    if tail:
                        out += dec.decompress(tail, room)
                    elif pos < len(src):
                        chunk = bytes(src[pos:pos + STEP])  # a bounded copy: no view outlives src
                        pos += len(chunk)
                        out += dec.decompress(chunk, room)
                    else:
                        out += dec.flush(room) if not dec.eof else b""
                        ended = dec.eof
                        break
                    if dec.eof:
                        ended = True
                        break
                else:
                    if dec.needs_input:
                        if pos >= len(src):
                            break
                        chunk = bytes(src[pos:pos + STEP])  # a bounded copy: no view outlives src
                        pos += len(chunk)
                        out += dec.decompress(chunk, max_length=room)
                    else:
                        out += dec.decompress(b"", max_length=room)
                    if dec.eof:
                        ended = True
                        break
            if len(out) >= limit:
                res.over_budget = True
                del out[max(budget, 0):]
                return res
            if not ended:
                res.error = "truncated stream (ends before its end marker)"
                return res
            res.members += 1
            pos -= len(dec.unused_data)  # back to the first byte after this member/stream
            rest = bytes(src[pos:pos + 64])
            magic = _NEXT_MAGIC.get(kind)
            if not multi or not rest or magic is None or not rest.startswith(magic):
                res.trailing = len(src) - pos
                if kind in ("xz", "gzip") and not bytes(src[pos:pos + STEP]).strip(b"\0") \
                        and len(src) - pos <= STEP:
                    res.trailing = 0  # zero padding after a stream (allowed by xz, common after gzip)
                res.complete = True
                return res
            dec = make()
            zlib_like = hasattr(dec, "unconsumed_tail")
    except errors as exc:
        res.error = f"corrupt {kind} data ({exc})"
        return res
    except MemoryError:
        res.error = "out of memory while decompressing"
        del out[:]
        return res
