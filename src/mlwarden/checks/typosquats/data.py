"""Bundled data for check-typosquats: formats, builders (used by ``scripts/build_typosquat_data.py`` at
development time) and lazy loaders (used at run time). Nothing here touches the network.

Files under ``mlwarden/data/``:

* ``pypi_top.tsv``          rank<TAB>name of the most-downloaded PyPI projects; ``# date: YYYY-MM-DD`` header.
* ``typosquat_index.bin``   the candidate index over those names (see :func:`build_index`).
* ``pypi_names.bloom``      a Bloom filter of every public PyPI name (see :func:`build_bloom`).
* ``stdlib_names.txt``      standard-library module names (Python 2 and 3) that are not PyPI projects.
* ``malicious_names.txt``   name<TAB>category<TAB>note: known malicious names from public reports, and
                            secondary-index names that must not be resolved from the public index.
* ``allowlist_pairs.txt``   name<TAB>target<TAB>reason: legitimate projects close to a popular one.
* ``hf_orgs.txt``           kind<TAB>org: popular official Hugging Face organisations and re-uploaders.
* ``hf_orgs_popular.tsv``   org<TAB>weight<TAB>...: real organisations and users referenced by popular ML
                            packages (``scripts/harvest_hf_orgs.py``).

The binary formats are plain little-endian arrays behind a one-line JSON header, read with ``array``:
no pickle, no code.
"""

from __future__ import annotations

import array
import datetime as _dt
import hashlib
import json
import math
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import combinations

from mlwarden.checks.typosquats.text import affix_core, skeleton, sorted_tokens, tokens, unseparated

INDEX_MAGIC = b"MLWTYPOIDX1\n"
BLOOM_MAGIC = b"MLWBLOOM1\n"

# aux codes stored in the low byte of a posting (deletion positions use 0..239)
AUX_D2 = 250
AUX_SKELETON = 251
AUX_UNSEP = 252
AUX_REORDER = 253
AUX_AFFIX = 254
MAX_POS = 239

# two-deletion neighbourhoods are indexed for long, very popular names only (size/speed trade-off)
D2_MAX_RANK = 1500
D2_MIN_LEN = 7


def index_keys(name: str, rank: int) -> Iterable[tuple[str, int]]:
    """Every (key, aux) under which a popular ``name`` is filed."""
    n = len(name)
    for p in range(min(n, MAX_POS + 1)):
        yield "d" + name[:p] + name[p + 1:], p
    if rank <= D2_MAX_RANK and n >= D2_MIN_LEN:
        seen: set[str] = set()
        for i, j in combinations(range(n), 2):
            v = name[:i] + name[i + 1:j] + name[j + 1:]
            if v not in seen:
                seen.add(v)
                yield "e" + v, AUX_D2
    yield "k" + skeleton(name), AUX_SKELETON
    if "-" in name:
        yield "j" + unseparated(name), AUX_UNSEP
    if len(tokens(name)) > 1:
        yield "r" + sorted_tokens(name), AUX_REORDER
    core = affix_core(name)
    if core:
        yield "a" + core, AUX_AFFIX


def _layout(nbuckets: int, nnames: int) -> tuple[int, int, int]:
    """(bucket bits, name-position bits, fingerprint bits) of a posting."""
    bbits = nbuckets.bit_length() - 1
    tbits = max(1, (nnames - 1).bit_length())
    fbits = 32 - 8 - tbits
    if fbits < 0:
        raise ValueError("too many names for 32-bit postings")
    return bbits, tbits, min(fbits, 32 - bbits)


def build_index(names: Sequence[str], ranks: Sequence[int], nbuckets: int = 1 << 18) -> bytes:
    """A hash multimap key -> postings in CSR layout: bucket offsets (uint32 x nbuckets+1) then postings
    (uint32: key fingerprint | name position | aux byte). The bucket is the low bits of the key's CRC-32,
    the fingerprint more bits of it, so unrelated keys rarely survive the lookup; survivors are verified by
    the matcher anyway, so no keys are stored."""
    if nbuckets & (nbuckets - 1):
        raise ValueError("nbuckets must be a power of two")
    bbits, tbits, fbits = _layout(nbuckets, len(names))
    buckets: list[list[int]] = [[] for _ in range(nbuckets)]
    for i, (name, rank) in enumerate(zip(names, ranks, strict=True)):
        seen: set[tuple[str, int]] = set()
        for key, aux in index_keys(name, rank):
            if (key, aux) in seen:
                continue
            seen.add((key, aux))
            h = zlib.crc32(key.encode("utf-8"))
            fp = (h >> bbits) & ((1 << fbits) - 1)
            buckets[h & (nbuckets - 1)].append((fp << (tbits + 8)) | (i << 8) | aux)
    offsets = array.array("I", [0])
    postings = array.array("I")
    for b in buckets:
        postings.extend(sorted(set(b)))
        offsets.append(len(postings))
    if sys.byteorder != "little":  # pragma: no cover
        offsets.byteswap()
        postings.byteswap()
    header = {"nbuckets": nbuckets, "npostings": len(postings), "names_sha256": names_digest(names),
              "name_bits": tbits, "fingerprint_bits": fbits,
              "d2_max_rank": D2_MAX_RANK, "d2_min_len": D2_MIN_LEN}
    return INDEX_MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + offsets.tobytes() + \
        postings.tobytes()


def names_digest(names: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


@dataclass
class Index:
    nbuckets: int
    offsets: array.array[int]
    postings: array.array[int]
    names_sha256: str
    name_bits: int
    fingerprint_bits: int

    def lookup(self, key: str) -> list[tuple[int, int]]:
        """(name position, aux) of the postings filed under ``key`` (and, rarely, of a colliding key)."""
        h = zlib.crc32(key.encode("utf-8"))
        b = h & (self.nbuckets - 1)
        start, end = self.offsets[b], self.offsets[b + 1]
        if start == end:
            return []
        tb = self.name_bits
        shift = tb + 8
        fp = (h >> (self.nbuckets.bit_length() - 1)) & ((1 << self.fingerprint_bits) - 1)
        tmask = (1 << tb) - 1
        return [((p >> 8) & tmask, p & 0xFF) for p in self.postings[start:end] if p >> shift == fp]


def parse_index(blob: bytes) -> Index:
    if not blob.startswith(INDEX_MAGIC):
        raise ValueError("not a typosquat index")
    nl = blob.index(b"\n", len(INDEX_MAGIC))
    header = json.loads(blob[len(INDEX_MAGIC):nl])
    nb = int(header["nbuckets"])
    npost = int(header["npostings"])
    body = blob[nl + 1:]
    if len(body) != 4 * (nb + 1 + npost):
        raise ValueError("truncated typosquat index")
    offsets = array.array("I")
    offsets.frombytes(body[: 4 * (nb + 1)])
    postings = array.array("I")
    postings.frombytes(body[4 * (nb + 1):])
    if sys.byteorder != "little":  # pragma: no cover
        offsets.byteswap()
        postings.byteswap()
    return Index(nb, offsets, postings, str(header["names_sha256"]), int(header["name_bits"]),
                 int(header["fingerprint_bits"]))


# ---------------------------------------------------------------- Bloom filter of every public name


def bloom_params(n: int, fp_rate: float) -> tuple[int, int]:
    m = max(64, math.ceil(-n * math.log(fp_rate) / (math.log(2) ** 2)))
    m = (m + 7) // 8 * 8
    k = max(1, round(m / n * math.log(2)))
    return m, k


def _bloom_hashes(name: str) -> tuple[int, int]:
    d = hashlib.blake2b(name.encode("utf-8"), digest_size=16, person=b"mlwarden-bloom").digest()
    return int.from_bytes(d[:8], "little"), int.from_bytes(d[8:], "little") | 1


def build_bloom(names: Iterable[str], n: int, fp_rate: float, date: str) -> bytes:
    m, k = bloom_params(n, fp_rate)
    bits = bytearray(m // 8)
    count = 0
    for name in names:
        h1, h2 = _bloom_hashes(name)
        for i in range(k):
            pos = (h1 + i * h2) % m
            bits[pos >> 3] |= 1 << (pos & 7)
        count += 1
    header = {"m": m, "k": k, "n": count, "fp_rate": fp_rate, "date": date,
              "hash": "blake2b-128 person=mlwarden-bloom, double hashing"}
    return BLOOM_MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + bytes(bits)


@dataclass
class Bloom:
    m: int
    k: int
    n: int
    fp_rate: float
    date: str
    bits: bytes

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        h1, h2 = _bloom_hashes(name)
        m, bits = self.m, self.bits
        for i in range(self.k):
            pos = (h1 + i * h2) % m
            if not bits[pos >> 3] & (1 << (pos & 7)):
                return False
        return True


def parse_bloom(blob: bytes) -> Bloom:
    if not blob.startswith(BLOOM_MAGIC):
        raise ValueError("not a name Bloom filter")
    nl = blob.index(b"\n", len(BLOOM_MAGIC))
    h = json.loads(blob[len(BLOOM_MAGIC):nl])
    bits = blob[nl + 1:]
    if len(bits) * 8 != int(h["m"]):
        raise ValueError("truncated Bloom filter")
    return Bloom(int(h["m"]), int(h["k"]), int(h["n"]), float(h["fp_rate"]), str(h["date"]), bits)


# ---------------------------------------------------------------- loaders of the bundled files


def _read_bytes(name: str) -> bytes:
    return resources.files("mlwarden.data").joinpath(name).read_bytes()


def _read_lines(name: str) -> list[str]:
    text = _read_bytes(name).decode("utf-8")
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@dataclass
class Popular:
    names: list[str]  # in rank order
    ranks: list[int]
    rank_of: dict[str, int]
    date: _dt.date | None


def parse_top(text: str) -> Popular:
    """Parse ``pypi_top.tsv``: ``#`` header lines (one says ``# date: YYYY-MM-DD``), then rank<TAB>name."""
    date: _dt.date | None = None
    names: list[str] = []
    ranks: list[int] = []
    for line in text.splitlines():
        if not line:
            continue
        if line[0] == "#":
            key, _, value = line[1:].partition(":")
            if key.strip() == "date":
                try:
                    date = _dt.date.fromisoformat(value.strip())
                except ValueError:
                    date = None
            continue
        rank_s, _, name = line.partition("\t")
        if name:
            names.append(name)
            ranks.append(int(rank_s))
    rank_of: dict[str, int] = {}
    for n, r in zip(names, ranks, strict=True):
        rank_of.setdefault(n, r)
    return Popular(names, ranks, rank_of, date)


@lru_cache(maxsize=1)
def popular() -> Popular:
    return parse_top(_read_bytes("pypi_top.tsv").decode("utf-8"))


@lru_cache(maxsize=1)
def index() -> Index:
    return parse_index(_read_bytes("typosquat_index.bin"))


@lru_cache(maxsize=1)
def bloom() -> Bloom:
    return parse_bloom(_read_bytes("pypi_names.bloom"))


@lru_cache(maxsize=1)
def stdlib_names() -> frozenset[str]:
    return frozenset(_read_lines("stdlib_names.txt"))


@dataclass(frozen=True)
class KnownName:
    name: str
    category: str  # malicious | secondary-index
    note: str


@lru_cache(maxsize=1)
def known_names() -> dict[str, KnownName]:
    out: dict[str, KnownName] = {}
    for line in _read_lines("malicious_names.txt"):
        parts = line.split("\t")
        name = parts[0].strip()
        out[name] = KnownName(name, parts[1].strip() if len(parts) > 1 else "malicious",
                              parts[2].strip() if len(parts) > 2 else "")
    return out


@lru_cache(maxsize=1)
def allowlist_pairs() -> dict[str, dict[str, str]]:
    """candidate -> {target or '*': reason}."""
    out: dict[str, dict[str, str]] = {}
    for line in _read_lines("allowlist_pairs.txt"):
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        out.setdefault(parts[0].strip(), {})[parts[1].strip()] = parts[2].strip() if len(parts) > 2 else ""
    return out


@lru_cache(maxsize=1)
def hf_orgs() -> dict[str, tuple[str, str]]:
    """lowercased org -> (kind, spelling) with kind official | reuploader."""
    out: dict[str, tuple[str, str]] = {}
    for line in _read_lines("hf_orgs.txt"):
        kind, _, org = line.partition("\t")
        org = org.strip()
        if org:
            out[org.lower()] = (kind.strip(), org)
    return out


@lru_cache(maxsize=1)
def hf_orgs_popular() -> dict[str, tuple[str, int, int]]:
    """lowercased org -> (spelling, popularity weight, source packages) from ``hf_orgs_popular.tsv``
    (the harvested snapshot of organisations and users that popular ML packages reference)."""
    out: dict[str, tuple[str, int, int]] = {}
    try:
        lines = _read_lines("hf_orgs_popular.tsv")
    except FileNotFoundError:
        return out
    for line in lines:
        parts = line.split("\t")
        if len(parts) >= 5 and parts[0].strip():
            try:
                out[parts[0].strip().lower()] = (parts[0].strip(), int(parts[1]), int(parts[4]))
            except ValueError:
                continue
    return out
