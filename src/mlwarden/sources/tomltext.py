"""Shared helpers for the TOML/JSON manifest readers: bounded reading, parsing to ``InputError``, type-safe
field access, and line numbers (``tomllib`` gives none, so entries are located in the text).

Locating is a deterministic text scan: table headers (``[a.b]`` / ``[[a.b]]``) are indexed once, outside
multi-line strings; an entry is then looked for inside its table's line range (a key at the start of a
line, or a string literal after a cursor that advances through an array). When the scan cannot find an
entry, the table header (or the array's key) line is used.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mlwarden.core.errors import InputError
from mlwarden.sources.model import Manifest, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - python 3.10
    import tomli as tomllib

MAX_SIZE = 64 * 1024 * 1024
SEARCH_WINDOW = 200  # lines searched for the next element of an array
HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(?:#.*)?$")
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def read_text(path: Path, display: str, what: str) -> str:
    """The file's text (UTF-8, optional BOM), bounded in size; InputError naming the file otherwise."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SIZE + 1)
    except IsADirectoryError:
        raise InputError(f"is a directory, not a {what}", path=display) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=display) from None
    if len(data) > MAX_SIZE:
        raise InputError(f"file larger than {MAX_SIZE // (1024 * 1024)} MiB, not read", path=display)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\0" in data[:8192]:
        raise InputError(f"binary file, not a {what}", path=display)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=display) from None


def load_toml(path: Path, display: str, what: str) -> tuple[dict[str, Any], str]:
    text = read_text(path, display, what)
    return parse_toml(text, display), text


def parse_toml(text: str, display: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {str(exc).splitlines()[0]}", path=display) from None
    except RecursionError:
        raise InputError("invalid TOML: nested too deeply", path=display) from None


def load_json(path: Path, display: str, what: str) -> tuple[Any, str]:
    text = read_text(path, display, what)
    try:
        data = json.loads(text)
        if _SURROGATE_ESCAPE.search(text):
            # JSON may spell lone UTF-16 surrogates (\\ud800) that no UTF-8 output can carry
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data, text
    except UnicodeEncodeError:
        raise InputError("invalid JSON: a \\u escape encodes a lone surrogate, not a character",
                         path=display) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                         path=display) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path=display) from None
    except ValueError as exc:  # e.g. integer string too long
        raise InputError(f"invalid JSON: {str(exc).splitlines()[0]}", path=display) from None


def newline_of(text: str) -> str:
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


# ---------------------------------------------------------------------------------------------------
# type-safe access: a wrong type becomes a Problem, never an exception


class Fields:
    """Typed getters that record a Problem on the manifest for a wrong-typed value."""

    def __init__(self, manifest: Manifest) -> None:
        self.m = manifest

    def problem(self, message: str, line: int | None = None, column: int | None = None,
                raw: str = "") -> None:
        self.m.problems.append(Problem(message=message, source=self.m.path, line=line, column=column,
                                       raw=raw[:200]))

    def tbl(self, data: Any, key: str, where: str, line: int | None = None) -> dict[str, Any]:
        v = data.get(key) if isinstance(data, dict) else None
        if v is None:
            return {}
        if not isinstance(v, dict):
            self.problem(f"{where}{key} should be a table, not {type_name(v)}; ignored", line)
            return {}
        return v

    def lst(self, data: Any, key: str, where: str, line: int | None = None) -> list[Any]:
        v = data.get(key) if isinstance(data, dict) else None
        if v is None:
            return []
        if not isinstance(v, list):
            self.problem(f"{where}{key} should be an array, not {type_name(v)}; ignored", line)
            return []
        return v

    def text(self, data: Any, key: str, where: str, line: int | None = None) -> str | None:
        v = data.get(key) if isinstance(data, dict) else None
        if v is None:
            return None
        if not isinstance(v, str):
            self.problem(f"{where}{key} should be a string, not {type_name(v)}; ignored", line)
            return None
        return v

    def flag(self, data: Any, key: str, where: str, line: int | None = None) -> bool | None:
        v = data.get(key) if isinstance(data, dict) else None
        if v is None:
            return None
        if not isinstance(v, bool):
            self.problem(f"{where}{key} should be true or false, not {type_name(v)}; ignored", line)
            return None
        return v


def type_name(v: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number"}.get(type(v), type(v).__name__)


def hashes_of(value: Any) -> list[str]:
    """``"sha256:hex"`` strings from a hash value: ``"sha256:hex"`` or ``{sha256 = "hex"}``."""
    out: list[str] = []
    if isinstance(value, str):
        alg, sep, digest = value.partition(":")
        if sep and alg and digest:
            out.append(f"{alg.lower()}:{digest.lower()}")
    elif isinstance(value, dict):
        for alg, digest in value.items():
            if isinstance(alg, str) and isinstance(digest, str) and digest:
                out.append(f"{alg.lower()}:{digest.lower()}")
    return out


# ---------------------------------------------------------------------------------------------------
# locating entries in TOML text


def files_hashes(files: Any) -> list[str]:
    """Hashes of a lock file's ``files = [{file = ..., hash = "sha256:..."}, ...]`` list."""
    out: list[str] = []
    if isinstance(files, list):
        for entry in files:
            if isinstance(entry, dict):
                out += hashes_of(entry.get("hash"))
    return out


def iter_packages(f: Fields, packages: list[Any], headers: list[int], table: str = "package",
                  ) -> Iterator[tuple[dict[str, Any], str, int | None, str]]:
    """The ``[[package]]`` (or ``[[packages]]``, pylock) tables of a lock file that are tables with a name,
    as (table, name, line, where); anything else is recorded as a problem at its header line."""
    for n, pkg in enumerate(packages):
        line = headers[n] + 1 if n < len(headers) else None
        col = 1 if line else None
        if not isinstance(pkg, dict):
            f.problem(f"[[{table}]] entry should be a table, not {type_name(pkg)}", line, col)
            continue
        name = f.text(pkg, "name", f"[[{table}]] ", line)
        if not name:
            f.problem(f"[[{table}]] entry without a name", line, col)
            continue
        yield pkg, name, line, f"[[{table}]] {name}: "


def split_key(text: str) -> tuple[str, ...] | None:
    """``a."b.c".d`` -> ("a", "b.c", "d"); None when it is not a plain dotted key."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None
        c = text[i]
        if c in "\"'":
            j = text.find(c, i + 1)
            if j < 0:
                return None
            part = text[i + 1:j]
            if c == '"' and "\\" in part:
                try:
                    part = json.loads(text[i:j + 1])
                except ValueError:
                    return None
            parts.append(part)
            i = j + 1
        else:
            m = _BARE.match(text, i)
            if not m:
                return None
            parts.append(m.group(0))
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return tuple(parts) if parts else None


class TomlText:
    """Line index of a TOML document (0-based internally, 1-based results)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (key path, is array-of-tables, 0-based line)
        self.headers: list[tuple[tuple[str, ...], bool, int]] = []
        self.skip: set[int] = set()  # lines inside multi-line strings
        self._keys: dict[tuple[int, int], dict[tuple[str, ...], tuple[int, int]]] = {}
        self._scan()

    def _scan(self) -> None:
        in_multi: str | None = None
        for i, line in enumerate(self.lines):
            if in_multi is not None:
                self.skip.add(i)
                if in_multi in line and line.count(in_multi) % 2 == 1:
                    in_multi = None
                continue
            if '"""' in line or "'''" in line:
                for q in ('"""', "'''"):
                    if line.count(q) % 2 == 1:
                        in_multi = q
                        break
            if in_multi is not None or not line.lstrip().startswith("["):
                continue
            m = _HEADER.match(line)
            if m:
                key = split_key(m.group(2))
                if key is not None and (len(m.group(1)) == len(m.group(3))):
                    self.headers.append((key, len(m.group(1)) == 2, i))

    # table ranges ---------------------------------------------------------------------------------

    def _end_after(self, start: int) -> int:
        for _, _, ln in self.headers:
            if ln > start:
                return ln
        return len(self.lines)

    def table(self, key: tuple[str, ...], nth: int = 0) -> tuple[int, int] | None:
        """(header line, end line exclusive), 0-based, of the ``nth`` header ``[key]``/``[[key]]``;
        ``()`` is the root table (before the first header)."""
        if not key:
            return (-1, self.headers[0][2] if self.headers else len(self.lines))
        k = 0
        for hk, _, ln in self.headers:
            if hk == key:
                if k == nth:
                    return (ln, self._end_after(ln))
                k += 1
        return None

    def header_line(self, key: tuple[str, ...], nth: int = 0) -> int | None:
        r = self.table(key, nth)
        return r[0] + 1 if r and r[0] >= 0 else None

    def array_tables(self, key: tuple[str, ...]) -> list[int]:
        """0-based header lines of every ``[[key]]``."""
        return [ln for hk, arr, ln in self.headers if hk == key and arr]

    def sub_range(self, parent_start: int, key: tuple[str, ...]) -> tuple[int, int] | None:
        """The first ``[key]`` / ``[[key]]`` header after ``parent_start`` and before the next header of
        the parent array (for ``[package.source]`` below the n-th ``[[package]]``)."""
        parent = key[:-1]
        for hk, _, ln in self.headers:
            if ln <= parent_start:
                continue
            if hk == parent:
                return None
            if hk == key:
                return (ln, self._end_after(ln))
        return None

    # keys and strings -----------------------------------------------------------------------------

    def key_in(self, rng: tuple[int, int] | None, key: str | tuple[str, ...]) -> tuple[int, int] | None:
        """1-based (line, column) of ``key = ...`` (dotted keys allowed) at the start of a line inside
        ``rng``; None if absent."""
        if rng is None:
            return None
        want = (key,) if isinstance(key, str) else key
        index = self._keys.get(rng)
        if index is None:
            index = self._keys[rng] = self._key_index(rng)
        return index.get(want)

    def _key_index(self, rng: tuple[int, int]) -> dict[tuple[str, ...], tuple[int, int]]:
        """Every key (and each dotted prefix of it) at the start of a line in ``rng`` -> first position."""
        out: dict[tuple[str, ...], tuple[int, int]] = {}
        start, end = rng
        for i in range(max(start + 1, 0), min(end, len(self.lines))):
            if i in self.skip:
                continue
            line = self.lines[i]
            stripped = line.lstrip()
            if not stripped or stripped[0] in "#[":
                continue
            eq = _key_end(stripped)
            if eq is None:
                continue
            k = split_key(stripped[:eq])
            if k is None:
                continue
            for n in range(1, len(k) + 1):
                out.setdefault(k[:n], (i + 1, len(line) - len(stripped) + 1))
        return out

    def string_after(self, pos: tuple[int, int], value: str, end: int) -> tuple[int, int] | None:
        """1-based (line, column) of the first literal of ``value`` at or after 1-based ``pos`` and
        before 0-based line ``end``."""
        candidates = {json.dumps(value, ensure_ascii=False), f"'{value}'", json.dumps(value)}
        line0, col0 = pos[0] - 1, pos[1] - 1
        # the next element of an array is close by: a bounded window keeps a file of unfindable
        # (escaped) strings linear
        for i in range(max(line0, 0), min(end, len(self.lines), max(line0, 0) + SEARCH_WINDOW)):
            text = self.lines[i]
            lo = col0 if i == line0 else 0
            best = -1
            for c in candidates:
                j = text.find(c, lo)
                if j >= 0 and (best < 0 or j < best):
                    best = j
            if best >= 0:
                return (i + 1, best + 1)
        return None

    def locate_strings(self, rng: tuple[int, int] | None, key: str | tuple[str, ...],
                       values: list[Any]) -> Iterator[tuple[int | None, int | None]]:
        """(line, column) for each element of the array ``key = [...]`` in table ``rng`` (elements that
        are not strings, or are not found, get the key's position)."""
        kpos = self.key_in(rng, key)
        fallback: tuple[int | None, int | None]
        if kpos is not None:
            fallback = kpos
        elif rng is not None and rng[0] >= 0:
            fallback = (rng[0] + 1, 1)
        else:
            fallback = (None, None)
        cursor = kpos
        end = rng[1] if rng else len(self.lines)
        for v in values:
            if cursor is not None and isinstance(v, str):
                found = self.string_after(cursor, v, end)
                if found is not None:
                    yield found
                    cursor = (found[0], found[1] + len(v) + 1)
                    continue
            elif cursor is not None and isinstance(v, dict):
                # an inline table element ({include-group = "x"}, {name = "x"}): the next '{'
                found = self._char_after(cursor, "{", end)
                if found is not None:
                    yield found
                    cursor = (found[0], found[1] + 1)
                    continue
            yield fallback

    def _char_after(self, pos: tuple[int, int], ch: str, end: int) -> tuple[int, int] | None:
        line0, col0 = pos[0] - 1, pos[1] - 1
        for i in range(max(line0, 0), min(end, len(self.lines), max(line0, 0) + SEARCH_WINDOW)):
            j = self.lines[i].find(ch, col0 if i == line0 else 0)
            if j >= 0:
                return (i + 1, j + 1)
        return None


def _key_end(stripped: str) -> int | None:
    """Index of the '=' ending the key part of a ``key = value`` line, or None."""
    i, n = 0, len(stripped)
    while i < n:
        c = stripped[i]
        if c in "\"'":
            j = stripped.find(c, i + 1)
            if j < 0:
                return None
            i = j + 1
            continue
        if c == "=":
            return i
        if c == "#":
            return None
        i += 1
    return None


def as_mapping(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, dict) else {}


# ---------------------------------------------------------------------------------------------------
# PEP 508 strings (pyproject, pdm.lock dependencies) -> Dependency fields


def exact_version(specifier: Any) -> str | None:
    """The version of a single ``==V`` (no wildcard) or ``===V`` specifier, else None (every reader's
    definition of "pinned")."""
    if specifier is None:
        return None
    specs = list(specifier)
    if len(specs) != 1:
        return None
    s = specs[0]
    if s.operator == "===" or (s.operator == "==" and "*" not in s.version):
        return str(s.version)
    return None


def url_fields(url: str) -> dict[str, Any]:
    """Dependency fields for a direct reference URL: VCS (``git+https://...@ref``), archive URL (with a
    ``#sha256=`` fragment as a hash) or local ``file:`` path."""
    from urllib.parse import urlsplit

    from mlwarden.sources.requirements import split_vcs

    out: dict[str, Any] = {}
    scheme = url.partition("://")[0].lower() if "://" in url else url.partition(":")[0].lower()
    vcs, ref = split_vcs(url)
    if vcs:
        out.update(url=url, vcs=vcs, ref=ref or None)
        return out
    if scheme == "file" or "://" not in url:
        out["local_path"] = url
        return out
    out["url"] = url
    try:
        frag = urlsplit(url).fragment
    except ValueError:
        frag = ""
    for part in frag.split("&"):
        alg, sep, digest = part.partition("=")
        if sep and alg.lower() in ("sha256", "sha384", "sha512") and digest:
            out["hashes"] = (f"{alg.lower()}:{digest.lower()}",)
    return out


_SIMPLE_REQ = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(?:\[\s*(?P<extras>[A-Za-z0-9._-]+(?:\s*,\s*[A-Za-z0-9._-]+)*)?\s*\])?\s*"
    r"(?P<spec>(?:[<>=!~]=?|===)[^;@\[\]]*)?\s*")


def _simple_pep508(text: str) -> dict[str, Any] | None:
    """Fields of a requirement without URL or marker (most of them), with packaging's SpecifierSet only:
    ``packaging.requirements`` (markers, tags) is imported just for the rest."""
    mt = _SIMPLE_REQ.fullmatch(text)
    if mt is None:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import canonicalize_name

    try:
        spec = SpecifierSet(mt.group("spec") or "")
    except InvalidSpecifier:
        return None
    extras = mt.group("extras")
    return {"name": mt.group("name"), "normalized": canonicalize_name(mt.group("name")),
            "specifier": str(spec), "version": exact_version(spec),
            "extras": tuple(sorted({e.strip() for e in extras.split(",")})) if extras else (),
            "marker": None, "raw": text}


def parse_pep508(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """(Dependency keyword fields, None) or (None, error message) for a PEP 508 requirement string."""
    simple = _simple_pep508(text)
    if simple is not None:
        return simple, None
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return None, f"invalid requirement {text[:120]!r}: {str(exc).splitlines()[0] if str(exc) else ''}"
    except (ValueError, RecursionError) as exc:
        return None, f"invalid requirement {text[:120]!r}: {type(exc).__name__}"
    fields: dict[str, Any] = {
        "name": req.name, "normalized": canonicalize_name(req.name), "specifier": str(req.specifier),
        "version": exact_version(req.specifier), "extras": tuple(sorted(req.extras)),
        "marker": str(req.marker) if req.marker is not None else None, "raw": text,
    }
    if req.url:
        fields.update(url_fields(req.url))
    return fields, None


# ---------------------------------------------------------------------------------------------------
# entries that would corrupt output: control characters, line breaks, bidi overrides

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_DEP_FIELDS = ("name", "specifier", "version", "marker", "url", "ref", "commit", "local_path", "index")


def sanitize(m: Manifest) -> Manifest:
    """Turn dependencies and index settings whose text holds control characters, line breaks or
    bidirectional overrides into Problems (their text would forge output lines or hide what a reader
    sees), so nothing downstream prints them raw."""
    deps = []
    for d in m.dependencies:
        bad = next((f for f in _DEP_FIELDS
                    if isinstance(getattr(d, f), str) and _UNSAFE.search(getattr(d, f))), None)
        if bad is None and not any(_UNSAFE.search(x) for x in (*d.extras, *d.hashes)):
            deps.append(d)
            continue
        shown = ascii(getattr(d, bad) if bad else d.name)[:120]
        m.problems.append(Problem(message=f"entry {shown} contains control or bidirectional characters; "
                                          "not checked", source=d.source or m.path, line=d.line,
                                  column=d.column))
    m.dependencies[:] = deps
    keep = []
    for ix in m.indexes:
        if _UNSAFE.search(ix.value) or (ix.name and _UNSAFE.search(ix.name)):
            m.problems.append(Problem(message=f"index {ascii(ix.value)[:120]} contains control or "
                                              "bidirectional characters; ignored",
                                      source=ix.source or m.path, line=ix.line, column=ix.column))
        else:
            keep.append(ix)
    m.indexes[:] = keep
    m.problems[:] = [p if not _UNSAFE.search(p.message) else
                     Problem(message=ascii(p.message)[1:-1], source=p.source, line=p.line, column=p.column,
                             raw=ascii(p.raw)[1:-1]) for p in m.problems]
    return m
