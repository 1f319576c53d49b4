"""Find and read every manifest of a project with the one walker: the shared entry point for every check
that consumes dependencies (check-pins, audit-deps, check-typosquats, generate-sbom, ...).

A file that cannot be read does not abort the walk: it becomes a Manifest with one Problem (and
``meta["unreadable"] = True``) so the caller can report it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlwarden.core.errors import InputError
from mlwarden.core.files import iter_files, relpath
from mlwarden.sources.model import Dependency, Manifest, Problem


def _paths_and_root(paths_or_ctx: Any, root: Path | None, exclude: Sequence[str],
                    use_git: bool) -> tuple[Sequence[str | Path], Path, Sequence[str], bool]:
    """Accept either a check Context or explicit paths."""
    if hasattr(paths_or_ctx, "paths") and hasattr(paths_or_ctx, "root"):
        ctx = paths_or_ctx
        return (list(ctx.paths), root or ctx.root, tuple(exclude) or tuple(getattr(ctx, "exclude", ())),
                bool(getattr(ctx, "use_git", use_git)))
    if isinstance(paths_or_ctx, (str, Path)):
        paths_or_ctx = [paths_or_ctx]
    return list(paths_or_ctx), root or Path.cwd(), tuple(exclude), use_git


def read_one(path: Path, display: str) -> Manifest:
    """Read one manifest; an unreadable file gives a Manifest carrying one Problem instead of raising."""
    from mlwarden.sources import detect, read

    try:
        return read(path, display)
    except InputError as exc:
        msg = str(exc)
        if exc.path and msg.startswith(f"{exc.path}: "):
            msg = msg[len(exc.path) + 2:]
        return _unreadable(display, detect(display) or "requirements", msg)
    except (ImportError, ModuleNotFoundError):
        # the reader for this format has not been written/installed: nothing to read from it
        return _unreadable(display, detect(display) or "requirements", "no reader for this format",
                           no_reader=True)
    except RecursionError:
        return _unreadable(display, detect(display) or "requirements", "structure nested too deeply")
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError,
            OverflowError, MemoryError) as exc:
        # a reader that trips over hostile content must not abort a whole run with a traceback
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        return _unreadable(display, detect(display) or "requirements",
                           f"cannot parse: {type(exc).__name__}: {detail}".rstrip(": "))


def _unreadable(display: str, fmt: str, message: str, *, no_reader: bool = False) -> Manifest:
    m = Manifest(path=display, format=fmt)
    m.problems.append(Problem(message=message, source=display))
    m.meta["unreadable"] = True
    if no_reader:
        m.meta["no_reader"] = True
    return m


def project_manifests(
    paths: Any,
    root: Path | None = None,
    exclude: Sequence[str] = (),
    use_git: bool = True,
) -> list[Manifest]:
    """Every manifest under ``paths`` (files are taken as given, folders are walked for known manifest
    names), read with :func:`mlwarden.sources.read`, in walk order. ``paths`` may also be a check
    ``Context`` (its paths, root, exclude and use_git are used)."""
    from mlwarden.sources import is_manifest

    plist, root_, excl, git = _paths_and_root(paths, root, exclude, use_git)
    out: list[Manifest] = []
    for f in iter_files(plist, root=root_, match=is_manifest, exclude=excl, use_git=git):
        out.append(read_one(f, relpath(f, root_)))
    return out


def project_dependencies(
    paths: Any,
    root: Path | None = None,
    exclude: Sequence[str] = (),
    use_git: bool = True,
) -> list[Dependency]:
    """Every dependency of every manifest under ``paths`` (including -r/-c included files, each included
    file's dependencies counted once even when several files include it)."""
    seen: set[str] = set()
    out: list[Dependency] = []

    def add(m: Manifest) -> None:
        if m.path in seen:
            return
        seen.add(m.path)
        out.extend(m.dependencies)
        for inc in m.included:
            add(inc)

    for m in project_manifests(paths, root, exclude, use_git):
        add(m)
    return out


def unreadable(manifest: Manifest) -> bool:
    """True for the placeholder Manifest of a file that could not be read."""
    return bool(manifest.meta.get("unreadable"))
