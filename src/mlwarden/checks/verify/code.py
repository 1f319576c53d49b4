"""What code fetches at run time: Hub references (check-unsafe-loads' ``hub_references()``) and file
downloads by URL with or without an inline checksum (resolved with check-unsafe-loads' analyzer, so import
aliases and constants are followed the same way). Nothing is imported or executed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# file downloaders: qual -> (url position, url keyword, checksum position, checksum keyword)
# (check-unsafe-loads' DOWNLOADERS table plus pooch; generic HTTP clients are left out: they fetch APIs)
EXTRA_DOWNLOADERS: dict[str, tuple[int | None, str | None, int | None, str | None]] = {
    "pooch.retrieve": (0, "url", 1, "known_hash"),
    "pooch.core.retrieve": (0, "url", 1, "known_hash"),
}


@dataclass(frozen=True)
class Download:
    url: str
    call: str
    line: int
    hashed: bool  # an inline checksum is passed (known_hash=, file_hash=, check_hash=True, hash_prefix=)


def _downloaders() -> dict[str, tuple[int | None, str | None, int | None, str | None]]:
    from mlwarden.checks.unsafe_loads.analyze import DOWNLOADERS

    table: dict[str, tuple[int | None, str | None, int | None, str | None]] = {
        q: (spec[0], spec[1], None, spec[4]) for q, spec in DOWNLOADERS.items() if not spec[5]}
    table.update(EXTRA_DOWNLOADERS)
    return table


def downloads(path: Path) -> list[Download]:
    """File downloads by literal (or constant-folded) URL in one Python file or notebook."""
    from mlwarden.checks.unsafe_loads.analyze import ABSENT, Analyzer
    from mlwarden.checks.unsafe_loads.source import SourceError, load_unit, parse

    try:
        unit = load_unit(path)
        if "http" not in unit.text and "ftp" not in unit.text:
            return []
        tree = parse(unit, str(path))
        an = Analyzer(tree, folder=str(path.parent))
    except (SourceError, OSError, SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return []  # check-unsafe-loads reports unreadable sources
    table = _downloaders()
    out: list[Download] = []
    try:
        for scope in list(an.res.scopes.values()):
            for call in scope.calls:
                quals = an._callee(call, scope)  # the analyzer's resolution of the callee
                q = next((x for x in quals if x in table), None)
                if q is None:
                    continue
                upos, ukw, hpos, hkw = table[q]
                url, _ = an.arg(call, scope, ukw, upos)
                if not isinstance(url, str) or "://" not in url:
                    continue
                hashed = False
                if hkw:
                    v, _ = an.arg(call, scope, hkw, hpos)
                    hashed = v is not ABSENT and v is not None and v is not False and v != ""
                out.append(Download(url, q, unit.file_line(call.lineno), bool(hashed)))
    except (RecursionError, MemoryError):
        return out
    return sorted(set(out), key=lambda d: (d.line, d.url))
