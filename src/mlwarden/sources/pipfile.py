"""Pipfile and Pipfile.lock -> Manifest.

``read`` (Pipfile, TOML): ``[[source]]`` (url, verify_ssl, name) become ``IndexSetting``s (the first is
the default index, the others ``extra-index``); ``[packages]`` and ``[dev-packages]`` (and any other
category table) entries are ``kind="pipfile"`` declarations: ``"*"``, version specifiers, or tables with
version / git + ref / editable / path / file / index / markers / extras. ``meta["search_all_sources"]``
records ``[pipenv] install_search_all_sources``.

``read_lock`` (Pipfile.lock, JSON): ``_meta.sources`` become ``IndexSetting``s; every entry of
``default``/``develop`` (and other categories) is a ``kind="lock"`` dependency with its ``==`` version,
hashes, index (the source URL of its ``index`` name), git + ref, path / file and editable flag.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from mlwarden.sources.model import Dependency, IndexSetting, Manifest
from mlwarden.sources.pyproject import index_key
from mlwarden.sources.tomltext import (
    Fields,
    TomlText,
    load_json,
    load_toml,
    newline_of,
    sanitize,
    type_name,
    url_fields,
)

NON_PACKAGE_TABLES = frozenset({"source", "requires", "pipenv", "scripts"})


def read(path: Path, display: str) -> Manifest:
    data, text = load_toml(path, display, "Pipfile")
    return parse(data, text, display)


def parse(data: dict[str, Any], text: str, display: str) -> Manifest:
    m = Manifest(path=display, format="Pipfile", newline=newline_of(text))
    f = Fields(m)
    t = TomlText(text)
    m.meta["index_risk"] = {}
    pipenv = f.tbl(data, "pipenv", "")
    search_all = pipenv.get("install_search_all_sources") is True
    m.meta["search_all_sources"] = search_all
    names: dict[str, str] = {}
    headers = t.array_tables(("source",))
    for n, src in enumerate(f.lst(data, "source", "")):
        line = headers[n] + 1 if n < len(headers) else None
        if not isinstance(src, dict):
            f.problem(f"[[source]] entry should be a table, not {type_name(src)}", line)
            continue
        rng = (headers[n], t._end_after(headers[n])) if n < len(headers) else None
        upos = t.key_in(rng, "url") if rng else None
        url = src.get("url")
        if not isinstance(url, str) or not url.strip():
            f.problem(f"[[source]] url should be a URL string, not {type_name(url)}", line)
            continue
        name = f.text(src, "name", "[[source]] ", line)
        verify = f.flag(src, "verify_ssl", "[[source]] ", line)
        first = not m.indexes
        ix = IndexSetting(kind="index-url" if first else "extra-index", value=url.strip(), source=display,
                          line=upos[0] if upos else line, column=upos[1] if upos else (1 if line else None),
                          name=name, default=first, verify_ssl=verify)
        m.indexes.append(ix)
        if name:
            names[name] = ix.value
        if not first:
            m.meta["index_risk"][index_key(ix)] = (
                {"severity": "high", "why": "[pipenv] install_search_all_sources = true makes pip search "
                                            "every source for every package"} if search_all else
                {"severity": "medium", "why": "pipenv installs packages without an index= key from the "
                                              "first source only, but any package can name this one"})
    for section, body in data.items():
        if section in NON_PACKAGE_TABLES or not isinstance(body, dict):
            continue
        group = None if section == "packages" else ("dev" if section == "dev-packages" else section)
        rng = t.table((section,))
        for name, value in body.items():
            pos: tuple[int | None, int | None] = (t.key_in(rng, name) or (t.header_line((section, name)), 1)
                                                  if rng else (t.header_line((section, name)), 1))
            if pos[0] is None:
                pos = (t.header_line((section,)), 1 if t.header_line((section,)) else None)
            line, col = pos
            fields = _pipfile_value(f, name, value, names, line, col, section)
            if fields is None:
                continue
            m.dependencies.append(Dependency(
                name=name, normalized=canonicalize_name(name), source=display, line=line, column=col,
                group=group, optional=group is not None, kind="pipfile",
                extra={"section": section}, **fields))
    return sanitize(m)


def _pipfile_value(f: Fields, name: str, value: Any, names: dict[str, str], line: int | None,
                   col: int | None, section: str) -> dict[str, Any] | None:
    where = f"[{section}] {name}: "
    if isinstance(value, str):
        spec, version = _spec(value)
        return {"specifier": spec, "version": version, "raw": f'{name} = "{value}"'}
    if not isinstance(value, dict):
        f.problem(f"{where}should be a version string or a table, not {type_name(value)}", line, col)
        return None
    out: dict[str, Any] = {"raw": f"{name} = {{...}}", "specifier": "", "version": None}
    v = f.text(value, "version", where, line)
    if v is not None:
        out["specifier"], out["version"] = _spec(v)
    for vcs in ("git", "hg", "svn", "bzr"):
        if vcs in value:
            url = f.text(value, vcs, where, line)
            if url:
                ref = f.text(value, "ref", where, line)
                out.update(url=url if url.startswith(vcs + "+") else f"{vcs}+{url}", vcs=vcs, ref=ref)
            break
    else:
        if "file" in value:
            u = f.text(value, "file", where, line)
            if u:
                out.update(url_fields(u))
        elif "path" in value:
            p = f.text(value, "path", where, line)
            if p:
                out["local_path"] = p
    out["editable"] = value.get("editable") is True
    idx = f.text(value, "index", where, line)
    if idx:
        if idx in names:
            out["index"] = names[idx]
        else:
            f.problem(f"{where}index {idx!r} is not a [[source]] name", line, col)
    markers = value.get("markers")
    if isinstance(markers, str):
        out["marker"] = markers
    extras = value.get("extras")
    if isinstance(extras, list):
        out["extras"] = tuple(sorted(str(e) for e in extras))
    return out


def _spec(value: str) -> tuple[str, str | None]:
    v = value.strip()
    if v in ("", "*"):
        return "", None
    if re.fullmatch(r"===?\s*[^,;*\s]+", v):
        return v, v.lstrip("=").strip()
    if re.fullmatch(r"\d[\w.+!-]*(\.\*)?", v):  # pipenv reads a bare "1.7.4" as "==1.7.4"
        return f"=={v}", (None if v.endswith("*") else v)
    return v, None


# ---------------------------------------------------------------------------------------------------
# Pipfile.lock


def read_lock(path: Path, display: str) -> Manifest:
    data, text = load_json(path, display, "Pipfile.lock")
    return parse_lock(data, text, display)


def _json_key_lines(text: str) -> dict[str, list[tuple[int, int, int]]]:
    """For every ``"key": {`` in the text, the (offset, line, column) of each occurrence, in order."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    import bisect

    line_starts = [0] + [mt.end() for mt in re.finditer("\n", text)]

    for mt in re.finditer(r'"((?:[^"\\\n]|\\.)*)"\s*:\s*[\[{]', text):
        ln = bisect.bisect_right(line_starts, mt.start())
        out.setdefault(mt.group(1), []).append((mt.start(), ln, mt.start() - line_starts[ln - 1] + 1))
    return out


def parse_lock(data: Any, text: str, display: str) -> Manifest:
    m = Manifest(path=display, format="Pipfile.lock", is_lock=True, newline=newline_of(text))
    f = Fields(m)
    m.meta["index_risk"] = {}
    if not isinstance(data, dict):
        f.problem(f"Pipfile.lock should hold a JSON object, not {type_name(data)}", 1, 1)
        return m
    keys = _json_key_lines(text)

    def pos(key: str, after: int) -> tuple[int, int, int] | None:
        for off, ln, col in keys.get(key, ()):
            if off > after:
                return off, ln, col
        return None

    meta = f.tbl(data, "_meta", "")
    names: dict[str, str] = {}
    sources = f.lst(meta, "sources", "_meta.")
    spos = pos("sources", -1)
    cursor = spos[0] if spos else 0
    for src in sources:
        brace = text.find("{", cursor)
        line = text.count("\n", 0, brace) + 1 if brace >= 0 else (spos[1] if spos else None)
        if brace >= 0:
            cursor = brace + 1
        if not isinstance(src, dict):
            f.problem(f"_meta.sources entry should be an object, not {type_name(src)}", line)
            continue
        url = src.get("url")
        if not isinstance(url, str) or not url.strip():
            f.problem(f"_meta.sources entry url should be a string, not {type_name(url)}", line)
            continue
        at = text.find(json.dumps(url), brace) if brace >= 0 else -1
        if at >= 0:
            line = text.count("\n", 0, at) + 1
        name = f.text(src, "name", "_meta.sources ", line)
        verify = f.flag(src, "verify_ssl", "_meta.sources ", line)
        first = not m.indexes
        ix = IndexSetting(kind="index-url" if first else "extra-index", value=url.strip(), source=display,
                          line=line, column=None, name=name, default=first, verify_ssl=verify)
        m.indexes.append(ix)
        if name:
            names[name] = ix.value
        if not first:
            m.meta["index_risk"][index_key(ix)] = {
                "severity": "medium",
                "why": "pipenv installs packages without an index from the first source only, but any "
                       "package can name this one"}
    m.meta["default_registry"] = m.indexes[0].value if m.indexes else None

    for section, body in data.items():
        if section == "_meta":
            continue
        if not isinstance(body, dict):
            f.problem(f"{section!r} should be an object, not {type_name(body)}", None)
            continue
        sec = pos(section, -1)
        after = sec[0] if sec else 0
        group = None if section == "default" else ("dev" if section == "develop" else section)
        for name, entry in body.items():
            p = pos(name, after)
            line, col = (p[1], p[2]) if p else (sec[1] if sec else None, sec[2] if sec else None)
            if p:
                after = p[0]
            if not isinstance(entry, dict):
                f.problem(f"{section}.{name} should be an object, not {type_name(entry)}", line, col)
                continue
            kw: dict[str, Any] = {}
            where = f"{section}.{name}: "
            version = f.text(entry, "version", where, line)
            spec = ""
            if version is not None:
                spec = version.strip()
                version = version.strip().lstrip("=").strip() if spec.startswith("==") else None
            hashes = [h.lower() for h in f.lst(entry, "hashes", where, line)
                      if isinstance(h, str) and ":" in h]
            index_name = f.text(entry, "index", where, line)
            if index_name is not None:
                kw["index"] = names.get(index_name)
                if index_name not in names:
                    f.problem(f"{where}index {index_name!r} is not one of _meta.sources", line, col)
            for vcs in ("git", "hg", "svn", "bzr"):
                u = f.text(entry, vcs, where, line)
                if u:
                    kw.update(url=u if u.startswith(vcs + "+") else f"{vcs}+{u}", vcs=vcs,
                              ref=f.text(entry, "ref", where, line))
                    kw["commit"] = kw["ref"]
                    break
            else:
                u = f.text(entry, "file", where, line)
                if u:
                    kw.update(url_fields(u))
                else:
                    p_ = f.text(entry, "path", where, line)
                    if p_:
                        kw["local_path"] = p_
            markers = entry.get("markers")
            m.dependencies.append(Dependency(
                name=name, normalized=canonicalize_name(name), source=display, line=line, column=col,
                specifier=spec, version=version, hashes=tuple(dict.fromkeys(hashes)), kind="lock",
                direct=False, group=group, optional=group is not None,
                editable=entry.get("editable") is True, marker=markers if isinstance(markers, str) else None,
                raw=f"{name} {spec}".strip(), extra={"section": section, "index_name": index_name,
                                                    # pipenv writes an entry's "index" only when the Pipfile
                                                    # pins the package to that source (index = "name")
                                                    "index_pinned": index_name is not None}, **kw))
    return sanitize(m)
