"""The one file walker: explicit files and directories in, files to check out.

* never follows a directory symlink, and skips file symlinks that point outside the tree;
* inside a git work tree, directories are listed with ``git ls-files`` so ``.gitignore`` is respected;
* ``exclude`` globs (config ``exclude``) apply to everything; common tool folders are always skipped.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
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
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False


class Problems(list):  # type: ignore[type-arg]
    """Paths a walk could not check, as ``core.rules.NOT_CHECKED`` findings (one per path)."""

    def add(self, display: str, why: str) -> None:
        from mlwarden.core.findings import Finding
        from mlwarden.core.rules import NOT_CHECKED

        if all(f.path != display for f in self):
            self.append(Finding(NOT_CHECKED, display, f"not checked: {why}",
                                hint="make it a regular, readable file inside the repository, or exclude it"))


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def special_kind(mode: int) -> str | None:
    """What a non-regular, non-directory file is ("a FIFO", ...), or None for files and folders."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        if exc.errno == errno.ENAMETOOLONG:
            return "path too long for the operating system (PATH_MAX)"
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        return f"cannot read: {exc.strerror or exc}"
    if isinstance(exc, RuntimeError):
        return "symlink loop"
    return f"cannot read: {type(exc).__name__}"


def _git_files(folder: Path) -> list[str] | None:
    """Files under ``folder`` (relative to it): tracked ones always, untracked ones unless ignored or in a
    tool folder (venv, node_modules...); None outside a git work tree."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "-z", "-t", "--cached", "--others", "--exclude-standard",
             "--deduplicate", "."],
            capture_output=True, timeout=60, check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if proc.returncode != 0:
        return None
    out: set[str] = set()
    for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        tag, _, rel = entry.partition(" ")
        if not rel:
            continue
        # a tracked file is the project's content wherever it sits (assets/venv/model.pkl is scanned);
        # only untracked files in tool folders are skipped
        if tag == "?" and any(part in SKIP_DIRS for part in rel.split("/")[:-1]):
            continue
        out.add(rel)
    return sorted(out)


def _walk(folder: Path, problems: Problems | None = None, root: Path | None = None) -> Iterator[str]:
    def onerror(exc: OSError) -> None:
        if problems is not None:
            where = Path(exc.filename) if exc.filename else folder
            problems.add(relpath(where, root or folder), f"folder {_why(exc)}")

    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and
                             not os.path.islink(os.path.join(dirpath, d)))
        base = Path(dirpath)
        for name in sorted(filenames):
            yield (base / name).relative_to(folder).as_posix()


def _lstat(path: Path) -> os.stat_result | BaseException:
    try:
        return os.lstat(path)
    except (OSError, ValueError) as exc:
        return exc


def iter_files(
    paths: Sequence[str | Path],
    *,
    root: Path,
    match: Matcher | None = None,
    exclude: Sequence[str] = (),
    use_git: bool = True,
    problems: Problems | None = None,
) -> Iterator[Path]:
    """Yield regular files to check, each once, in a stable order. Never opens anything.

    Explicit file arguments are always yielded (pre-commit already filtered them) unless excluded;
    files found by walking a directory are yielded when ``match(relative path)`` is true. What cannot be
    checked is never passed over in silence: explicit FIFOs, devices, sockets, symlinks leaving the tree,
    symlink loops, paths too long, and folders that cannot be listed become ``problems`` (NOT_CHECKED
    findings). Symlinks met while walking are followed only to files inside the walked folder.
    """
    from mlwarden.core.errors import InputError

    seen: set[Path] = set()
    report = problems if problems is not None else Problems()
    for arg in paths:
        p = Path(arg)
        disp_arg = relpath(p, root)
        st = _lstat(p)
        if isinstance(st, BaseException):
            if isinstance(st, FileNotFoundError):
                raise InputError("no such file or directory", path=str(arg))
            report.add(disp_arg[:300], _why(st))
            continue
        if excluded(disp_arg, exclude):
            continue
        if stat.S_ISLNK(st.st_mode):
            base = root if p.is_absolute() else Path.cwd()
            try:
                target = p.resolve(strict=True)
            except (OSError, RuntimeError) as exc:
                report.add(disp_arg, "broken symlink" if isinstance(exc, FileNotFoundError) else _why(exc))
                continue
            if not inside(target, base):
                report.add(disp_arg, "symlink leaving the repository (never followed)")
                continue
            st = _lstat(target)
            if isinstance(st, BaseException):
                report.add(disp_arg, _why(st))
                continue
        if stat.S_ISDIR(st.st_mode):
            listing = _git_files(p) if use_git else None
            if listing is None:
                listing = list(_walk(p, report, root))
            for rel in listing:
                f = p / rel
                disp = relpath(f, root)
                if excluded(disp, exclude) or (match is not None and not match(rel)):
                    continue
                fst = _lstat(f)
                if isinstance(fst, BaseException):
                    if not isinstance(fst, FileNotFoundError):  # deleted but still in the index: nothing
                        report.add(disp[:300], _why(fst))
                    continue
                if stat.S_ISLNK(fst.st_mode):
                    if not inside(f, p):
                        continue  # symlinks out of the tree (or looping) are never followed
                    try:
                        fst = os.stat(f)
                    except (OSError, ValueError):
                        continue
                if not stat.S_ISREG(fst.st_mode) or f in seen:
                    continue
                seen.add(f)
                yield f
        elif stat.S_ISREG(st.st_mode):
            if p in seen:
                continue
            seen.add(p)
            yield p
        else:
            report.add(disp_arg, f"{special_kind(st.st_mode) or 'not a regular file'}, never opened")
