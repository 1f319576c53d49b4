"""uv.lock -> Manifest. Every ``[[package]]`` is a locked (``kind="lock"``) dependency at its header line:
name, version, source (``registry`` -> ``index``; ``git`` -> VCS URL with the resolved commit from the
URL fragment and the requested ``rev``/``tag``/``branch`` from the query; ``url``; ``path``/``directory``
-> ``local_path``), the sha256 of its sdist and wheels, and ``dependencies`` -> ``depends_on``.

The project itself and workspace members (``virtual`` or ``editable`` sources) are first-party: they are
listed in ``meta["members"]``, not as dependencies. Their dependencies are ``direct``; packages reachable
only through their dev groups or extras are ``optional`` with that ``group``.
``meta["default_registry"]`` is the registry most entries come from (PyPI on a tie).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    type_name,
)

PYPI = "https://pypi.org/simple"


def read(path: Path, display: str) -> Manifest:
    data, text = load_toml(path, display, "uv.lock")
    return parse(data, text, display)


def git_source(url: str) -> tuple[str, str | None, str | None]:
    """uv's git source ``https://host/repo?rev=main#<commit>`` -> (git+URL@ref-less, ref, commit)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "git+" + url, None, None
    query = parse_qs(parts.query)
    ref = None
    for k in ("rev", "tag", "branch"):
        if query.get(k):
            ref = query[k][0]
            break
    commit = parts.fragment or None
    base = parts._replace(query="", fragment="").geturl()
    return (base if base.startswith("git+") else "git+" + base), ref, commit


def parse(data: dict[str, Any], text: str, display: str) -> Manifest:
    m = Manifest(path=display, format="uv.lock", is_lock=True, newline=newline_of(text))
    f = Fields(m)
    t = TomlText(text)
    headers = t.array_tables(("package",))
    m.meta["lock_version"] = data.get("version")
    packages = f.lst(data, "package", "")
    members: list[str] = []
    registries: Counter[str] = Counter()
    for pkg, name, line, where in iter_packages(f, packages, headers):
        col = 1 if line else None
        version = pkg.get("version")
        if version is not None and not isinstance(version, str):
            f.problem(f"{where}version should be a string, not {type_name(version)}", line, col)
            version = None
        source = f.tbl(pkg, "source", where, line)
        kw: dict[str, Any] = {}
        stype = next((k for k in ("registry", "git", "url", "path", "directory", "editable", "virtual")
                      if k in source), None)
        sval = source.get(stype) if stype else None
        if stype is not None and not isinstance(sval, str):
            f.problem(f"{where}source.{stype} should be a string, not {type_name(sval)}", line, col)
            sval = None
        if stype in ("editable", "virtual"):
            members.append(canonicalize_name(name))
            continue
        if stype == "registry" and sval:
            kw["index"] = sval
            registries[sval] += 1
        elif stype == "git" and sval:
            url, ref, commit = git_source(sval)
            kw.update(url=url, vcs="git", ref=ref, commit=commit)
        elif stype == "url" and sval:
            kw["url"] = sval
        elif stype in ("path", "directory") and sval:
            kw["local_path"] = sval
        hashes: list[str] = []
        sdist = pkg.get("sdist")
        if isinstance(sdist, dict):
            hashes += hashes_of(sdist.get("hash"))
        elif sdist is not None:
            f.problem(f"{where}sdist should be a table, not {type_name(sdist)}", line, col)
        for w in f.lst(pkg, "wheels", where, line):
            if isinstance(w, dict):
                hashes += hashes_of(w.get("hash"))
        depends: list[str] = []
        for key in ("dependencies", "dev-dependencies", "optional-dependencies"):
            val = pkg.get(key)
            items: list[Any] = []
            if isinstance(val, list):
                items = val
            elif isinstance(val, dict):
                for v in val.values():
                    if isinstance(v, list):
                        items += v
            for d in items:
                if isinstance(d, dict) and isinstance(d.get("name"), str):
                    depends.append(canonicalize_name(d["name"]))
        m.dependencies.append(Dependency(
            name=name, normalized=canonicalize_name(name), source=display, line=line, column=col,
            version=version, hashes=tuple(dict.fromkeys(hashes)), kind="lock", direct=False,
            depends_on=tuple(sorted(set(depends))), raw=f"{name} {version or ''}".strip(),
            extra={"source_type": stype}, **kw))
    m.meta["members"] = sorted(set(members))
    _scopes(m, packages)
    _index_pins(m, packages)
    m.meta["default_registry"] = default_registry(registries)
    return sanitize(m)


def default_registry(registries: Counter[str]) -> str | None:
    if not registries:
        return None
    return max(registries, key=lambda u: (registries[u], u.rstrip("/") == PYPI, u))


def _names(items: Any) -> list[str]:
    out: list[str] = []
    if isinstance(items, dict):
        for v in items.values():
            out += _names(v)
    elif isinstance(items, list):
        for d in items:
            if isinstance(d, dict) and isinstance(d.get("name"), str):
                out.append(canonicalize_name(d["name"]))
    return out


def _scopes(m: Manifest, packages: list[Any]) -> None:
    """Direct dependencies of the project (and workspace members) are ``direct``; packages reachable
    only through dev groups or extras of the project are ``optional`` with ``group`` set to the group
    / extra that pulls them in."""
    import dataclasses

    main: set[str] = set()
    groups: dict[str, set[str]] = {}
    for pkg in packages:
        if not (isinstance(pkg, dict) and isinstance(pkg.get("source"), dict)
                and {"editable", "virtual"} & set(pkg["source"])):
            continue
        main.update(_names(pkg.get("dependencies")))
        for key in ("optional-dependencies", "dev-dependencies"):
            val = pkg.get(key)
            if isinstance(val, dict):
                for g, items in val.items():
                    groups.setdefault(str(g), set()).update(_names(items))
    if not main and not groups:
        return
    graph = {d.normalized: set(d.depends_on) for d in m.dependencies}

    def closure(start: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = sorted(start)
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            todo.extend(sorted(graph.get(n, ())))
        return seen

    required = closure(main)
    owner: dict[str, str] = {}
    for g in sorted(groups):
        for n in sorted(closure(groups[g])):
            owner.setdefault(n, g)
    direct = main.union(*groups.values()) if groups else set(main)
    out = []
    for d in m.dependencies:
        changes: dict[str, Any] = {}
        if d.normalized in direct:
            changes["direct"] = True
        if d.normalized not in required and d.normalized in owner:
            changes.update(optional=True, group=owner[d.normalized])
        out.append(dataclasses.replace(d, **changes) if changes else d)
    m.dependencies[:] = out


def _index_pins(m: Manifest, packages: list[Any]) -> None:
    """Entries the project pinned to their index (``[tool.uv.sources] x = { index = ... }`` is recorded in
    the member's ``[package.metadata] requires-dist`` / ``requires-dev`` as ``index = URL``):
    ``extra["index_pinned"] = True``."""
    import dataclasses

    pins: set[tuple[str, str]] = set()
    for pkg in packages:
        if not (isinstance(pkg, dict) and isinstance(pkg.get("source"), dict)
                and {"editable", "virtual"} & set(pkg["source"])):
            continue
        meta = pkg.get("metadata")
        if not isinstance(meta, dict):
            continue
        items: list[Any] = []
        if isinstance(meta.get("requires-dist"), list):
            items += meta["requires-dist"]
        dev = meta.get("requires-dev")
        if isinstance(dev, dict):
            for v in dev.values():
                if isinstance(v, list):
                    items += v
        for it in items:
            if isinstance(it, dict) and isinstance(it.get("name"), str) and isinstance(it.get("index"), str):
                pins.add((canonicalize_name(it["name"]), it["index"].rstrip("/")))
    if pins:
        m.dependencies[:] = [
            dataclasses.replace(d, extra={**d.extra, "index_pinned": True})
            if d.index and (d.normalized, d.index.rstrip("/")) in pins else d for d in m.dependencies]
