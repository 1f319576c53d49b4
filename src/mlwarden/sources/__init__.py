"""Manifest and lock-file readers behind one interface: ``read(path) -> Manifest``.

The registry below maps file names to readers; a new format is a module plus one line here. Readers are
imported lazily. Nothing is resolved, installed, built or executed; markers are never evaluated.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from mlwarden.core.errors import InputError, MlwardenError, describe
from mlwarden.sources.model import Dependency, IndexSetting, Manifest, Problem

__all__ = [
    "READERS",
    "Dependency",
    "IndexSetting",
    "Manifest",
    "Problem",
    "dependencies_of",
    "detect",
    "is_manifest",
    "read",
]

# (format, basename globs, "module:function"); the first matching entry wins. Globs are matched
# case-insensitively against the file's base name.
READERS: list[tuple[str, tuple[str, ...], str]] = [
    ("uv.lock", ("uv.lock",), "mlwarden.sources.uvlock:read"),
    ("poetry.lock", ("poetry.lock",), "mlwarden.sources.poetrylock:read"),
    ("Pipfile.lock", ("pipfile.lock",), "mlwarden.sources.pipfile:read_lock"),
    ("Pipfile", ("pipfile",), "mlwarden.sources.pipfile:read"),
    ("pdm.lock", ("pdm.lock",), "mlwarden.sources.pdmlock:read"),
    ("pylock", ("pylock.toml", "pylock.*.toml"), "mlwarden.sources.pylock:read"),
    ("pyproject", ("pyproject.toml",), "mlwarden.sources.pyproject:read"),
    ("setup.py", ("setup.py",), "mlwarden.sources.setuppy:read"),
    ("setup.cfg", ("setup.cfg",), "mlwarden.sources.setuppy:read_cfg"),
    ("conda", ("environment.yml", "environment.yaml", "environment*.yml", "environment*.yaml",
               "conda*.yml", "conda*.yaml"), "mlwarden.sources.conda:read"),
    ("requirements", ("requirements*.txt", "requirements*.in", "requirements*.pip", "constraints*.txt",
                      "constraints*.in", "*-requirements.txt", "*_requirements.txt", "requires*.txt",
                      "dev-requirements.txt"), "mlwarden.sources.requirements:read"),
]

# folders whose *.txt / *.in files are requirements files (requirements/base.txt, reqs/dev.in ...)
REQUIREMENTS_DIRS = ("requirements", "reqs", "requirements.d")

Reader = Callable[[Path, str], Manifest]


def detect(relpath: str) -> str | None:
    """The format of a file from its (relative) path, or None if it is not a manifest we read."""
    p = PurePosixPath(relpath.replace("\\", "/"))
    base = p.name.lower()
    for fmt, globs, _ in READERS:
        if any(fnmatch.fnmatchcase(base, g) for g in globs):
            return fmt
    if p.suffix.lower() in (".txt", ".in") and (
            p.parent.name.lower() in REQUIREMENTS_DIRS
            # one level deeper too: requirements/pytorch/base.txt (Lightning),
            # requirements/test/cuda.txt (vLLM)
            or (len(p.parts) > 2 and p.parent.parent.name.lower() in REQUIREMENTS_DIRS)):
        return "requirements"
    return None


def is_manifest(relpath: str) -> bool:
    return detect(relpath) is not None


def reader_for(fmt: str) -> Reader:
    for name, _, target in READERS:
        if name == fmt:
            module, _, attr = target.partition(":")
            fn: Reader = getattr(importlib.import_module(module), attr)
            return fn
    raise KeyError(fmt)


def read(path: Path, display: str | None = None, fmt: str | None = None) -> Manifest:
    """Read one manifest. ``fmt`` defaults to detection by name; unknown names are read as requirements
    files (a file passed explicitly to check-pins is a requirements file unless its name says otherwise).
    Raises InputError for unreadable files."""
    display = display or path.as_posix()
    fmt = fmt or detect(display) or "requirements"
    reader = reader_for(fmt)
    try:
        return reader(path, display)
    except MlwardenError:
        raise
    except Exception as exc:
        raise InputError(describe(exc), path=display) from None


def dependencies_of(manifests: Iterable[Manifest]) -> list[Dependency]:
    out: list[Dependency] = []
    for m in manifests:
        out.extend(m.all_dependencies())
    return out
