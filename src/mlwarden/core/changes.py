"""``--new-since REV``: what changed between the merge-base of REV and the working tree, from git.

A finding is *new* when it is on a line added or changed since the merge-base, or when it is a whole-file
finding (no line) on a file changed since then. Files git does not track yet count as entirely new. A file
that was only renamed has no changed lines. Only git runs here (``git merge-base``, ``git diff``,
``git ls-files``), with arguments, never a shell.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mlwarden.core.errors import UsageError
from mlwarden.core.findings import Finding

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Changes:
    base: str
    # path (relative to the root, '/' separators) -> changed line ranges [start, end] (1-based, inclusive);
    # None means the whole file is new
    files: dict[str, list[tuple[int, int]] | None] = field(default_factory=dict)

    def touches(self, f: Finding, span: int = 1) -> bool:
        path = f.path.replace("\\", "/")
        if path not in self.files:
            return False
        ranges = self.files[path]
        if ranges is None or f.line is None:
            return True
        lo, hi = f.line, f.line + max(span, 1) - 1
        return any(a <= hi and lo <= b for a, b in ranges)


def _git(root: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=root, capture_output=True,
                              check=False, timeout=120)
    except FileNotFoundError:
        raise UsageError("--new-since needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--new-since: git {args[0]} took too long") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"--new-since: git {args[0]} failed: {msg[-1] if msg else proc.returncode}")
    return proc.stdout


def parse_diff(diff: bytes) -> dict[str, list[tuple[int, int]] | None]:
    """New-side line ranges per file from ``git diff -U0 --no-prefix -z``-free unified output."""
    files: dict[str, list[tuple[int, int]] | None] = {}
    current: str | None = None
    for raw in diff.split(b"\n"):
        if raw.startswith(b"+++ "):
            name = raw[4:]
            if name == b"/dev/null":
                current = None
                continue
            if name.startswith(b"b/"):
                name = name[2:]
            text = name.decode("utf-8", "surrogateescape")
            if text.startswith('"'):  # git quotes unusual names C-style
                text = _unquote(text)
            current = text
            files.setdefault(current, [])
        elif raw.startswith(b"@@") and current is not None:
            m = _HUNK.match(raw)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or b"1")
                ranges = files.get(current)
                if count > 0 and ranges is not None:
                    ranges.append((start, start + count - 1))
    return files


def _unquote(text: str) -> str:
    body = text[1:-1] if text.endswith('"') else text[1:]
    raw = body.encode("latin-1", "surrogateescape").decode("unicode_escape").encode("latin-1", "replace")
    out = raw.decode("utf-8", "surrogateescape")
    return out[2:] if out.startswith("b/") else out


def changes_since(rev: str, root: Path) -> Changes:
    if not rev or rev.startswith("-"):
        raise UsageError(f"--new-since: not a revision: {rev!r}")
    base = _git(root, "merge-base", rev, "HEAD").decode().strip()
    diff = _git(root, "diff", "-U0", "--no-color", "--no-ext-diff", "--find-renames", "--relative",
                "--src-prefix=a/", "--dst-prefix=b/", base, "--", ".")
    out = Changes(base=base, files=parse_diff(diff))
    # names git reports as added in this diff are entirely new; untracked files too
    added = _git(root, "diff", "--name-only", "--diff-filter=A", "--relative", "-z", base, "--", ".")
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    for name in (added + b"\0" + untracked).split(b"\0"):
        if name:
            out.files[name.decode("utf-8", "surrogateescape")] = None
    return out
