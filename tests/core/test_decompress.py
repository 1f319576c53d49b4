"""core.decompress: every member/stream, a byte budget, no silent partial result."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlwarden.core.decompress import inflate

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress,
}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_every_member_is_read(kind: str) -> None:
    comp = COMPRESSORS[kind]
    payload = b"first half|" + b"second half" * 1000
    data = comp(payload[:7]) + comp(payload[7:5000]) + comp(payload[5000:])
    res = inflate(kind, data, 1 << 20)
    assert bytes(res.data) == payload
    assert res.complete and res.members == 3 and res.error is None and not res.over_budget


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_budget_is_reported_never_silent(kind: str) -> None:
    data = COMPRESSORS[kind](b"\0" * (8 << 20))
    res = inflate(kind, data, 1 << 20)
    assert res.over_budget and not res.complete and len(res.data) == 1 << 20
    exact = inflate(kind, data, 8 << 20)
    assert exact.complete and not exact.over_budget and len(exact.data) == 8 << 20


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_truncated_and_trailing(kind: str) -> None:
    data = COMPRESSORS[kind](b"abc" * 100)
    cut = inflate(kind, data[:-4], 1 << 20)
    assert not cut.complete and cut.error
    tail = inflate(kind, data + b"not a stream", 1 << 20)
    assert tail.complete and tail.trailing == len(b"not a stream") and bytes(tail.data) == b"abc" * 100


def test_output_is_not_copied() -> None:
    res = inflate("zlib", zlib.compress(b"x" * 1000), 1 << 20)
    assert isinstance(res.data, bytearray)


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["gzip", "bzip2", "xz", "lzma", "zlib", "deflate"]), data=st.binary(max_size=512),
       budget=st.integers(0, 4096))
def test_never_raises_and_stays_in_budget(kind: str, data: bytes, budget: int) -> None:
    res = inflate(kind, data, budget)
    assert len(res.data) <= budget
    assert res.complete or res.error or res.over_budget
