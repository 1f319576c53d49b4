"""Turn a Python file or a Jupyter notebook into one parseable source text plus a line map.

Notebooks: the code cells are joined (so imports in one cell resolve in the next); IPython-only lines
(``%magic``, ``!shell``, ``x = !cmd``, ``obj?``) are blanked so positions stay right, and cells run by a
non-Python cell magic (``%%bash``...) are blanked whole (``%%writefile name.py`` scripts are checked),
``%time stmt`` keeps its statement. Each line of the joined text maps back to
(cell number, line in cell) and to the line of the ``.ipynb`` JSON text that holds it, found by scanning the
raw JSON text (the ``json`` module gives no positions). Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 32 * 1024 * 1024

_NON_PYTHON_CELL_MAGICS = frozenset({
    "bash", "sh", "script", "html", "javascript", "js", "latex", "markdown", "perl", "ruby", "svg", "sql",
    "r", "writefile", "file", "system", "cmd", "powershell", "pypy", "python2", "sx", "dot", "mermaid",
})
_SHELL_ASSIGN = re.compile(r"^\s*[A-Za-z_][\w.,\s]*=\s*[!%]")
_HELP = re.compile(r"^\s*[\w.\[\]()]+\?{1,2}\s*$|^\s*\?{1,2}[\w.]+\s*$")


class SourceError(Exception):
    """The file cannot be read as Python or as a notebook (message names the problem, not the path)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Unit:
    """Parseable text and how its lines map back to the file."""

    text: str
    notebook: bool = False
    # for notebooks: per joined line (1-based index into the lists): cell number (1-based, counting every
    # cell), line inside the cell (1-based), JSON text line of the .ipynb
    cells: list[int] = field(default_factory=list)
    cell_lines: list[int] = field(default_factory=list)
    json_lines: list[int] = field(default_factory=list)
    skipped_cells: list[int] = field(default_factory=list)
    broken_cells: list[int] = field(default_factory=list)
    # cells whose ``source`` is not text (a number, a dict...): cell -> what was wrong; not checked
    bad_cells: dict[int, str] = field(default_factory=dict)
    # per joined line: offset in ``raw`` where its text starts inside the JSON string (-1: unknown), and
    # how many characters a rewritten line magic (``%time stmt``) dropped from its start
    raw: str = ""
    raw_offsets: list[int] = field(default_factory=list)
    col_shifts: list[int] = field(default_factory=list)
    _raw_starts: list[int] = field(default_factory=list)
    _text_lines: list[str] = field(default_factory=list)

    def file_line(self, line: int) -> int:
        if not self.notebook:
            return line
        if 0 < line <= len(self.json_lines):
            return self.json_lines[line - 1]
        return self.json_lines[-1] if self.json_lines else 1

    def file_column(self, line: int, col_offset: int) -> int | None:
        """1-based column in the ``.ipynb`` text of ``col_offset`` (UTF-8 bytes, as ``ast`` gives it) on the
        joined ``line``; None when the source string cannot be located."""
        if not self.notebook or not (0 < line <= len(self.raw_offsets)) or self.raw_offsets[line - 1] < 0:
            return None
        if not self._text_lines:
            self._text_lines = self.text.split("\n")
        src = self._text_lines[line - 1] if line <= len(self._text_lines) else ""
        chars = len(src.encode("utf-8")[:max(col_offset, 0)].decode("utf-8", "ignore"))
        chars += self.col_shifts[line - 1]
        raw = self.raw
        pos = self.raw_offsets[line - 1]
        n = len(raw)
        while chars > 0 and pos < n and raw[pos] != '"':
            if raw[pos] == "\\":
                if raw.startswith("\\n", pos):
                    break
                pos += _escape_len(raw, pos)
            else:
                pos += 1
            chars -= 1
        if not self._raw_starts:
            self._raw_starts = _line_starts(raw)
        start = self._raw_starts[bisect.bisect_right(self._raw_starts, pos) - 1]
        return pos - start + 1

    def cell_of(self, line: int) -> tuple[int, int] | None:
        if not self.notebook or not (0 < line <= len(self.cells)):
            return None
        return self.cells[line - 1], self.cell_lines[line - 1]


def read_bytes(path: Path) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise SourceError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB, not scanned")
    return data


def is_notebook_name(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def load_unit(path: Path) -> Unit:
    """Read ``path``; raise SourceError (or OSError) when it cannot be turned into source text."""
    data = read_bytes(path)
    if is_notebook_name(path.name):
        return notebook_unit(data)
    return Unit(text=decode_python(data))


def decode_python(data: bytes) -> str:
    if b"\0" in data[:8192]:
        raise SourceError("binary content, not Python source")
    # honour a PEP 263 coding cookie via the tokenizer's detection, never executing anything
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot decode source: {exc}") from None
    return text[1:] if text.startswith("\ufeff") else text


def _line_starts(text: str) -> list[int]:
    """Offsets where lines start, splitting exactly like ``str.splitlines`` (as the suppression reader)."""
    starts = [0]
    pos = 0
    for piece in text.splitlines(keepends=True):
        pos += len(piece)
        starts.append(pos)
    return starts


_SOURCE_KEY = re.compile(r'"(?:source|input)"\s*:\s*')


def _source_positions(raw: str, cells: list[object]) -> list[list[int] | None]:
    """For each cell, the raw-text offset of each source line (or None when it cannot be located)."""
    dec = json.JSONDecoder()
    out: list[list[int] | None] = []
    pos = 0
    for cell in cells:
        want = cell.get("source") if isinstance(cell, dict) else None
        found: list[int] | None = None
        if isinstance(want, str) or (isinstance(want, list) and all(isinstance(s, str) for s in want)):
            scan = pos
            while True:
                m = _SOURCE_KEY.search(raw, scan)
                if not m:
                    break
                start = m.end()
                try:
                    value, end = dec.raw_decode(raw, start)
                except ValueError:
                    scan = m.end()
                    continue
                if value == want:
                    found = _element_offsets(raw, start, want, dec)
                    pos = end
                    break
                scan = m.end()
        out.append(found)
    return out


def _element_offsets(raw: str, start: int, value: object, dec: json.JSONDecoder) -> list[int]:
    if isinstance(value, str):
        return [start]
    offsets: list[int] = []
    i = start + 1  # after "["
    n = len(raw)
    assert isinstance(value, list)
    for _ in value:
        while i < n and raw[i] in " \t\r\n,":
            i += 1
        offsets.append(i)
        try:
            _, i = dec.raw_decode(raw, i)
        except ValueError:
            break
    return offsets


_SURROGATE_PAIR = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _escape_len(raw: str, pos: int) -> int:
    """Length in ``raw`` of the JSON escape at ``pos`` (one decoded character; a surrogate pair is one)."""
    if raw.startswith("\\u", pos):
        return 12 if _SURROGATE_PAIR.match(raw, pos) else 6
    return 2


def _line_offsets(raw: str, offsets: list[int]) -> list[int]:
    """Offsets in ``raw`` where each source line starts, given the offset of each JSON string literal
    (its opening quote) that makes up the cell source; the JSON escape ``\\n`` ends a line."""
    out: list[int] = []
    started = False
    n = len(raw)
    for off in offsets:
        if off >= n or raw[off] != '"':
            return []
        pos = off + 1
        while pos < n and raw[pos] != '"':
            if not started:
                out.append(pos)
                started = True
            if raw[pos] == "\\":
                if raw.startswith("\\n", pos):
                    started = False
                pos += _escape_len(raw, pos)
            else:
                pos += 1
    return out


_TIME_MAGIC = re.compile(r"^(\s*)%(?:time|timeit|prun|memit)\s+(?=[^\s-])")


def _clean_cell(lines: list[str]) -> tuple[list[str], bool]:
    """Blank IPython-only lines; returns (lines, skip_whole_cell)."""
    first = next((ln for ln in lines if ln.strip()), "")
    if first.lstrip().startswith("%%"):
        words = first.lstrip()[2:].split()
        magic = words[0].lower() if words else ""
        if magic in ("writefile", "file") and words[-1].lower().endswith((".py", ".pyw")):
            pass  # %%writefile train.py: a script the notebook then runs; check it (magic line blanked)
        elif magic in _NON_PYTHON_CELL_MAGICS:
            return [""] * len(lines), True
    out: list[str] = []
    continued = False
    last = ""  # the last non-blank line kept as Python
    for ln in lines:
        s = ln.lstrip()
        timed = None if continued else _TIME_MAGIC.match(ln)
        if timed and not ln.rstrip().endswith("\\"):  # %time stmt: the statement runs, check it
            out.append(timed.group(1) + ln[timed.end():])
            last = out[-1]
            continue
        if continued or s.startswith(("%", "!")) or _SHELL_ASSIGN.match(ln) or _HELP.match(ln):
            out.append("" if continued else _placeholder(ln, last))
            if out[-1]:
                last = out[-1]
            continued = ln.rstrip().endswith("\\") and (continued or s.startswith(("%", "!")))
            continue
        out.append(ln)
        if s and not s.startswith("#"):
            last = ln
    return out, False


def _placeholder(line: str, last: str) -> str:
    """What an IPython-only line becomes: ``pass`` at its indentation when it may be the only statement of a
    block (``if x:`` / ``    %pip install y``), else an empty line (positions stay right either way)."""
    indent = line[:len(line) - len(line.lstrip())]
    if not indent or indent.strip():
        return ""
    prev = len(last) - len(last.lstrip())
    if last.rstrip().endswith(":") or (last and prev >= len(indent)):
        return indent + "pass"
    return ""


def notebook_unit(data: bytes) -> Unit:
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"notebook is not UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"notebook is not valid JSON: {str(exc)[:120]}") from None
    if not isinstance(doc, dict):
        raise SourceError("notebook JSON is not an object")
    cells = doc.get("cells")
    if cells is None and isinstance(doc.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in doc["worksheets"] if isinstance(ws, dict)
                 for c in (ws.get("cells") or []) if isinstance(c, dict)]
        for c in cells:
            if "source" not in c and "input" in c:
                c["source"] = c["input"]
    if not isinstance(cells, list):
        raise SourceError("notebook has no 'cells' list")
    lang = ""
    meta = doc.get("metadata")
    if isinstance(meta, dict):
        li = meta.get("language_info") or meta.get("kernelspec") or {}
        if isinstance(li, dict):
            lang = str(li.get("name") or li.get("language") or "").lower()
    if lang and "python" not in lang and lang not in ("ipython", "ipython3", "py"):
        return Unit(text="", notebook=True)
    starts = _line_starts(raw)
    positions = _source_positions(raw, cells)
    unit = Unit(text="", notebook=True)
    parts: list[str] = []
    for idx, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            unit.bad_cells[idx] = f"cell {idx} is {type(cell).__name__}, not a cell object; not checked"
            continue
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source")
        if isinstance(src, list) and all(isinstance(s, str) for s in src):
            pieces = list(src)
            text = "".join(pieces)
        elif isinstance(src, str):
            pieces = [src]
            text = src
        else:
            what = "a list holding non-text items" if isinstance(src, list) else \
                f"{type(src).__name__ if src is not None else 'missing'}, not text"
            unit.bad_cells[idx] = f"cell {idx}: its source is {what}; the cell was not checked"
            continue
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        lines = [ln.rstrip("\r") for ln in lines]
        cleaned, skipped = _clean_cell(lines)
        if skipped:
            unit.skipped_cells.append(idx)
        offsets = positions[idx - 1]
        # where the k-th source line of this cell starts in the JSON text
        line_offs = _line_offsets(raw, offsets) if offsets and len(offsets) == len(pieces) else []
        json_line_of = [bisect.bisect_right(starts, off) for off in line_offs]
        if not json_line_of and offsets:
            json_line_of = [bisect.bisect_right(starts, offsets[0])] * len(lines)
        for k, ln in enumerate(cleaned, start=1):
            parts.append(ln)
            unit.cells.append(idx)
            unit.cell_lines.append(k)
            unit.raw_offsets.append(line_offs[k - 1] if k - 1 < len(line_offs) else -1)
            unit.col_shifts.append(max(len(lines[k - 1]) - len(ln), 0) if ln else 0)
            unit.json_lines.append(json_line_of[k - 1] if k - 1 < len(json_line_of) else
                                   (json_line_of[-1] if json_line_of else 1))
        # a blank separator line keeps cells apart (an unfinished statement does not run on)
        parts.append("")
        unit.cells.append(idx)
        unit.cell_lines.append(len(cleaned) + 1)
        unit.raw_offsets.append(-1)
        unit.col_shifts.append(0)
        unit.json_lines.append(unit.json_lines[-1] if unit.json_lines else 1)
    unit.text = "\n".join(parts) + "\n"
    unit.raw = raw
    return unit


def parse(unit: Unit, filename: str) -> ast.Module:
    """Parse with the standard ``ast`` module only (top-level await allowed in notebooks)."""
    flags = ast.PyCF_ONLY_AST | (ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if unit.notebook else 0)
    tree = compile(unit.text, filename, "exec", flags=flags, dont_inherit=True)
    assert isinstance(tree, ast.Module)
    return tree
