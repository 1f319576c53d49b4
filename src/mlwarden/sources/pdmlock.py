"""pdm.lock -> Manifest. Every ``[[package]]`` is a locked (``kind="lock"``) dependency at its header
line: name, version, the hashes of its ``files = [...]`` (lock_version 4) or of the matching
``[metadata.files] "name version"`` key (lock_version 3), ``git`` + ``ref`` + ``revision`` (the
resolved commit), ``url``, ``path`` (+ ``editable``), ``groups`` and ``dependencies`` (PEP 508 strings)
-> ``depends_on``. pdm.lock does not record which index a file came from; the sources live in
pyproject.toml ``[[tool.pdm.source]]``. ``meta["groups"]`` / ``meta["lock_version"]`` come from
``[metadata]``.
"""

from __future__ import annotations

import re
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

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def read(path: Path, display: str) -> Manifest:
    data, text = load_toml(path, display, "pdm.lock")
    return parse(data, text, display)



def parse(data: dict[str, Any], text: str, display: str) -> Manifest:
    m = Manifest(path=display, format="pdm.lock", is_lock=True, newline=newline_of(text))
    f = Fields(m)
    t = TomlText(text)
    headers = t.array_tables(("package",))
    metadata = f.tbl(data, "metadata", "")
    for key in ("lock_version", "groups", "strategy"):
        if key in metadata:
            m.meta[key] = metadata[key]
    legacy = f.tbl(metadata, "files", "[metadata] ")
    for pkg, name, line, where in iter_packages(f, f.lst(data, "package", ""), headers):
        col = 1 if line else None
        version = f.text(pkg, "version", where, line)
        hashes = files_hashes(pkg.get("files"))
        if not hashes and legacy:
            hashes = files_hashes(legacy.get(f"{name} {version}")) or files_hashes(
                next((v for k, v in legacy.items() if isinstance(k, str) and " " in k
                      and canonicalize_name(k.split(" ", 1)[0]) == canonicalize_name(name)
                      and k.split(" ", 1)[1] == version), None))
        kw: dict[str, Any] = {}
        git = f.text(pkg, "git", where, line)
        if git:
            kw.update(url=git if git.startswith("git+") else "git+" + git, vcs="git",
                      ref=f.text(pkg, "ref", where, line), commit=f.text(pkg, "revision", where, line))
        elif "url" in pkg:
            u = f.text(pkg, "url", where, line)
            if u:
                if u.startswith("file:"):
                    kw["local_path"] = u
                else:
                    kw["url"] = u
        elif "path" in pkg:
            p = f.text(pkg, "path", where, line)
            if p:
                kw["local_path"] = p
        kw["editable"] = pkg.get("editable") is True
        groups = [g for g in f.lst(pkg, "groups", where, line) if isinstance(g, str)]
        main = not groups or "default" in groups
        depends: set[str] = set()
        for d in f.lst(pkg, "dependencies", where, line):
            if isinstance(d, str):
                mt = _NAME.match(d)
                if mt:
                    depends.add(canonicalize_name(mt.group(1)))
        m.dependencies.append(Dependency(
            name=name, normalized=canonicalize_name(name), source=display, line=line, column=col,
            version=version, hashes=tuple(dict.fromkeys(hashes)), kind="lock", direct=False,
            group=None if main else ",".join(sorted(groups)), optional=not main,
            depends_on=tuple(sorted(depends)), raw=f"{name} {version or ''}".strip(), **kw))
    return sanitize(m)
