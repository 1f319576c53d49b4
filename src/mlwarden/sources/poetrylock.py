"""poetry.lock -> Manifest, lock format 1.x (hashes in ``[metadata.files]``) and 2.x (hashes in each
package's ``files = [...]``). Every ``[[package]]`` is a locked (``kind="lock"``) dependency at its header
line: name, version, ``[package.source]`` (``legacy`` -> ``index`` = the source URL, ``git`` -> VCS URL,
requested ``reference`` and ``resolved_reference`` commit, ``url`` -> URL, ``directory``/``file`` ->
``local_path``, ``develop`` -> editable), ``category`` (1.x) or ``groups`` (2.x) -> ``group``/``optional``,
and ``[package.dependencies]`` -> ``depends_on``. Entries without a ``[package.source]`` come from PyPI.
``meta["default_registry"]`` is the registry most entries come from (a mirror configured as the primary
source is the default; PyPI on a tie).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from mlwarden.sources.model import Dependency, Manifest
from mlwarden.sources.tomltext import (
    Fields,
    TomlText,
    files_hashes,
    iter_packages,
    load_toml,
    newline_of,
    sanitize,
)
from mlwarden.sources.uvlock import default_registry

PYPI = "https://pypi.org/simple"


def read(path: Path, display: str) -> Manifest:
    data, text = load_toml(path, display, "poetry.lock")
    return index_pins(parse(data, text, display), path.parent / "pyproject.toml")


def index_pins(m: Manifest, pyproject: Path) -> Manifest:
    """Entries the project pinned to their source (``torch = {version = ..., source = "pytorch"}`` in the
    pyproject.toml next to the lock; the lock itself does not record it): ``extra["index_pinned"] = True``,
    as uv.lock entries get from ``[package.metadata]``. A missing, symlinked or unreadable pyproject.toml
    pins nothing."""
    import dataclasses

    from mlwarden.core.errors import MlwardenError
    from mlwarden.sources.pyproject import read as read_pyproject

    try:
        if pyproject.is_symlink() or not pyproject.is_file():
            return m
        project = read_pyproject(pyproject, pyproject.name)
    except (MlwardenError, OSError, ValueError):
        return m
    pins = {(d.normalized, d.index.rstrip("/")) for d in project.dependencies if d.index}
    if pins:
        m.dependencies[:] = [
            dataclasses.replace(d, extra={**d.extra, "index_pinned": True})
            if d.index and (d.normalized, d.index.rstrip("/")) in pins else d for d in m.dependencies]
    return m




def parse(data: dict[str, Any], text: str, display: str) -> Manifest:
    m = Manifest(path=display, format="poetry.lock", is_lock=True, newline=newline_of(text))
    f = Fields(m)
    t = TomlText(text)
    headers = t.array_tables(("package",))
    metadata = f.tbl(data, "metadata", "")
    lock_version = metadata.get("lock-version")
    m.meta["lock_version"] = lock_version if isinstance(lock_version, str) else None
    legacy_files = f.tbl(metadata, "files", "[metadata] ")
    registries: Counter[str] = Counter()
    packages = f.lst(data, "package", "")
    for pkg, name, line, where in iter_packages(f, packages, headers):
        col = 1 if line else None
        version = f.text(pkg, "version", where, line)
        kw: dict[str, Any] = {"index": PYPI}
        source = f.tbl(pkg, "source", where, line)
        stype = f.text(source, "type", where + "source.", line) if source else None
        surl = f.text(source, "url", where + "source.", line) if source else None
        if not source:
            registries[PYPI] += 1
        if source:
            kw["index"] = None
            if stype == "legacy":
                kw["index"] = surl
                if surl:
                    registries[surl] += 1
            elif stype == "git" and surl:
                ref = f.text(source, "reference", where + "source.", line)
                commit = f.text(source, "resolved_reference", where + "source.", line)
                kw.update(url=surl if surl.startswith("git+") else "git+" + surl, vcs="git", ref=ref,
                          commit=commit)
            elif stype == "url" and surl:
                kw["url"] = surl
            elif stype in ("directory", "file") and surl:
                kw["local_path"] = surl
                kw["editable"] = pkg.get("develop") is True
            elif stype is not None and stype not in ("legacy", "git", "url", "directory", "file"):
                f.problem(f"{where}unknown source type {stype!r}", line, col)
        hashes = files_hashes(pkg.get("files"))
        if not hashes and name in legacy_files:
            hashes = files_hashes(legacy_files.get(name))
        if not hashes:
            alt = next((v for k, v in legacy_files.items()
                        if isinstance(k, str) and canonicalize_name(k) == canonicalize_name(name)), None)
            hashes = files_hashes(alt)
        groups: list[str] = []
        cat = pkg.get("category")
        if isinstance(cat, str):
            groups = [cat]
        grp = pkg.get("groups")
        if isinstance(grp, list):
            groups = [g for g in grp if isinstance(g, str)]
        main = not groups or "main" in groups
        deps = pkg.get("dependencies")
        depends = sorted({canonicalize_name(k) for k in deps if isinstance(k, str)}) \
            if isinstance(deps, dict) else []
        m.dependencies.append(Dependency(
            name=name, normalized=canonicalize_name(name), source=display, line=line, column=col,
            version=version, hashes=tuple(dict.fromkeys(hashes)), kind="lock", direct=False,
            group=None if main else ",".join(sorted(groups)),
            optional=pkg.get("optional") is True or not main,
            depends_on=tuple(depends), raw=f"{name} {version or ''}".strip(),
            extra={"source_type": stype or "pypi", "source_name": source.get("reference") if stype == "legacy"
                   else None},
            **kw))
    # the registry most entries come from: PyPI, or the mirror a project uses as its primary source
    m.meta["default_registry"] = default_registry(registries)
    return sanitize(m)
