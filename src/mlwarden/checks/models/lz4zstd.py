"""lz4 (joblib ``compress="lz4"``) and zstd (pandas ``.pkl.zst``, joblib) streams, decoded by the maintained
libraries of the optional ``mlwarden[compression]`` extra (``lz4``, ``zstandard``; Python 3.14's
``compression.zstd`` is used when present), streamed in bounded chunks up to a byte cap (bombs stop at the
cap). Without a decoder a caller reports the stream as not scanned.
"""

from __future__ import annotations

from typing import Any

_STEP = 1 << 20


class MissingDecoder(Exception):
    """No decoder for this codec is installed."""


def available(kind: str) -> bool:
    try:
        _decoder(kind)
    except MissingDecoder:
        return False
    return True


def _decoder(kind: str) -> Any:
    if kind == "lz4":
        try:
            import lz4.frame
        except ImportError:
            raise MissingDecoder("lz4") from None
        return lz4.frame
    if kind == "zstd":
        try:
            import zstandard

            return zstandard
        except ImportError:
            pass
        try:
            import importlib

            return importlib.import_module("compression.zstd")  # Python 3.14+
        except ImportError:
            raise MissingDecoder("zstd") from None
    raise MissingDecoder(kind)


class _Reader:
    """A read()-able view of ``read(offset, n)`` (a Region) that never copies more than asked."""

    def __init__(self, read: Any, size: int) -> None:
        self._read = read
        self._size = size
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._size - self.pos
        chunk: bytes = self._read(self.pos, min(n, _STEP * 4))
        self.pos += len(chunk)
        return chunk

    def readable(self) -> bool:
        return True


def decompress(kind: str, read: Any, size: int, cap: int) -> bytes:
    """Up to ``cap`` bytes of the decoded stream (every frame, in sequence). Raises MissingDecoder, or
    ValueError on a corrupt stream with nothing decoded."""
    mod = _decoder(kind)
    out = bytearray()
    try:
        if kind == "lz4":
            pos = 0
            d = mod.LZ4FrameDecompressor()
            pending = b""
            while len(out) < cap:
                if pending:
                    chunk, pending = pending, b""
                else:
                    if pos >= size:
                        break
                    chunk = read(pos, _STEP)
                    pos += len(chunk)
                    if not chunk:
                        break
                out += d.decompress(chunk, max_length=cap - len(out) + 1)
                while not d.eof and not d.needs_input and len(out) <= cap:
                    out += d.decompress(b"", max_length=cap - len(out) + 1)
                if d.eof:
                    pending = d.unused_data
                    if not pending and pos >= size:
                        break
                    d = mod.LZ4FrameDecompressor()  # concatenated frames decode in sequence
        elif hasattr(mod, "ZstdDecompressor") and hasattr(mod.ZstdDecompressor, "stream_reader"):
            reader = mod.ZstdDecompressor().stream_reader(_Reader(read, size), read_across_frames=True)
            while len(out) <= cap:
                chunk = reader.read(min(_STEP, cap - len(out) + 1))
                if not chunk:
                    break
                out += chunk
        else:  # compression.zstd (Python 3.14)
            pos = 0
            d = mod.ZstdDecompressor()
            pending = b""
            while len(out) <= cap:
                if pending:
                    chunk, pending = pending, b""
                else:
                    if pos >= size:
                        break
                    chunk = read(pos, _STEP)
                    pos += len(chunk)
                out += d.decompress(chunk, max_length=cap - len(out) + 1)
                while not d.eof and not d.needs_input and len(out) <= cap:
                    out += d.decompress(b"", max_length=cap - len(out) + 1)
                if d.eof:
                    pending = d.unused_data
                    if not pending and pos >= size:
                        break
                    d = mod.ZstdDecompressor()
    except MissingDecoder:
        raise
    except Exception as exc:  # corrupt or hostile streams: keep what was decoded
        if not out:
            raise ValueError(f"corrupt {kind} stream: {exc}") from None
    return bytes(out)
