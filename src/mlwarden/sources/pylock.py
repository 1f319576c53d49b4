"""pylock.toml (PEP 751) -> Manifest. Every ``[[packages]]`` entry is a locked (``kind="lock"``)
dependency at its header line: name, version, ``index`` (the registry its files come from), ``marker``,
``vcs`` (url, requested-revision, commit-id), ``archive`` (url, hashes), ``directory`` (path, editable),
and the hashes of ``sdist`` / ``wheels`` / ``archive``; ``dependencies`` -> ``depends_on``.
``meta["default_registry"]`` is the index most entries name (PyPI on a tie).
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
    hashes_of,
    iter_packages,
    load_toml,
    newline_of,
    sanitize,
)
from mlwarden.sources.uvlock import default_registry


def read(path: Path, display: str) -> Manifest:
    data, text = load_toml(path, display, "pylock.toml")
    return parse(data, text, display)


def parse(data: dict[str, Any], text: str, display: str) -> Manifest:
    m = Manifest(path=display, format="pylock", is_lock=True, newline=newline_of(text))
    f = Fields(m)
    t = TomlText(text)
    headers = t.array_tables(("packages",))
    m.meta["lock_version"] = data.get("lock-version")
    if not isinstance(data.get("lock-version"), str):
        f.problem("lock-version is missing (PEP 751 requires it)", 1, 1)
    registries: Counter[str] = Counter()
    for pkg, name, line, where in iter_packages(f, f.lst(data, "packages", ""), headers, "packages"):
        col = 1 if line else None
        version = f.text(pkg, "version", where, line)
        kw: dict[str, Any] = {}
        index = f.text(pkg, "index", where, line)
        if index:
            kw["index"] = index
            registries[index] += 1
        hashes: list[str] = []
        kinds = [k for k in ("vcs", "directory", "archive", "sdist", "wheels") if k in pkg]
        vcs = f.tbl(pkg, "vcs", where, line)
        if vcs:
            vtype = f.text(vcs, "type", where + "vcs.", line) or "git"
            url = f.text(vcs, "url", where + "vcs.", line) or f.text(vcs, "path", where + "vcs.", line)
            if url:
                kw.update(url=url if url.startswith(vtype + "+") else f"{vtype}+{url}", vcs=vtype,
                          ref=f.text(vcs, "requested-revision", where + "vcs.", line),
                          commit=f.text(vcs, "commit-id", where + "vcs.", line))
        directory = f.tbl(pkg, "directory", where, line)
        if directory:
            p = f.text(directory, "path", where + "directory.", line)
            if p:
                kw["local_path"] = p
                kw["editable"] = directory.get("editable") is True
        archive = f.tbl(pkg, "archive", where, line)
        if archive:
            u = f.text(archive, "url", where + "archive.", line)
            p = f.text(archive, "path", where + "archive.", line)
            if u:
                kw["url"] = u
            elif p:
                kw["local_path"] = p
            hashes += hashes_of(archive.get("hashes"))
        sdist = f.tbl(pkg, "sdist", where, line)
        if sdist:
            hashes += hashes_of(sdist.get("hashes"))
        for w in f.lst(pkg, "wheels", where, line):
            if isinstance(w, dict):
                hashes += hashes_of(w.get("hashes"))
        depends = sorted({canonicalize_name(d["name"]) for d in f.lst(pkg, "dependencies", where, line)
                          if isinstance(d, dict) and isinstance(d.get("name"), str)})
        marker = pkg.get("marker")
        m.dependencies.append(Dependency(
            name=name, normalized=canonicalize_name(name), source=display, line=line, column=col,
            version=version, hashes=tuple(dict.fromkeys(hashes)), kind="lock", direct=False,
            marker=marker if isinstance(marker, str) else None, depends_on=tuple(depends),
            raw=f"{name} {version or ''}".strip(), extra={"source_type": kinds[0] if kinds else None}, **kw))
    m.meta["default_registry"] = default_registry(registries)
    return sanitize(m)
