"""The one file walker: explicit files and directories in, files to check out.

* never follows a directory symlink, and skips file symlinks that point outside the tree;
* inside a git work tree, directories are listed with ``git ls-files`` so ``.gitignore`` is respected;
* ``exclude`` globs (config ``exclude``) apply to everything; common tool folders are always skipped.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules", "__pycache__",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".eggs", "site-packages",
})

Matcher = Callable[[str], bool]  # gets the path relative to the walk root, with forward slashes


def relpath(path: Path, root: Path) -> str:
    """Display path: relative to ``root`` when inside it (forward slashes), else as given."""
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        return path.as_posix()
    if rel.startswith(".."):
        return path.as_posix()
    return Path(rel).as_posix()


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(rel, pat + "/*") or \
                rel.startswith(pat + "/"):
            return True
    return False


def inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError):
        return False


def _git_files(folder: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under ``folder`` (relative to it), or None if not git."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "-z", "--cached", "--others", "--exclude-standard",
             "--deduplicate", "."],
            capture_output=True, timeout=60, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return sorted({p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p})


def _walk(folder: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and
                             not os.path.islink(os.path.join(dirpath, d)))
        base = Path(dirpath)
        for name in sorted(filenames):
            yield (base / name).relative_to(folder).as_posix()


def iter_files(
    paths: Sequence[str | Path],
    *,
    root: Path,
    match: Matcher | None = None,
    exclude: Sequence[str] = (),
    use_git: bool = True,
) -> Iterator[Path]:
    """Yield files to check, each once, in a stable order.

    Explicit file arguments are always yielded (pre-commit already filtered them) unless excluded;
    files found by walking a directory are yielded when ``match(relative path)`` is true.
    """
    seen: set[Path] = set()
    for arg in paths:
        p = Path(arg)
        if p.is_symlink() and not inside(p, root if p.is_absolute() else Path.cwd()):
            continue
        if p.is_dir():
            listing = _git_files(p) if use_git else None
            if listing is None:
                listing = list(_walk(p))
            for rel in listing:
                parts = rel.split("/")
                if any(part in SKIP_DIRS for part in parts[:-1]):
                    continue
                f = p / rel
                disp = relpath(f, root)
                if excluded(disp, exclude) or (match is not None and not match(rel)):
                    continue
                if f.is_symlink() and not inside(f, p):
                    continue
                if not f.is_file() or f in seen:
                    continue
                seen.add(f)
                yield f
        elif p.exists():
            if excluded(relpath(p, root), exclude) or p in seen:
                continue
            seen.add(p)
            yield p
        else:
            from mlwarden.core.errors import InputError

            raise InputError("no such file or directory", path=str(arg))
