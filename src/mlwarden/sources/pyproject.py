"""pyproject.toml -> Manifest: PEP 621 dependencies and optional dependencies, PEP 735 dependency groups,
``[tool.uv]`` (dev-dependencies, indexes, per-package sources), Poetry dependency tables and sources, and
PDM dev-dependencies and sources. Declarations only: nothing is resolved, built or evaluated.

Facts for the rules: ``kind="pyproject"`` on every dependency; ``group`` is the extra / dependency group
(``None`` for the main dependencies) and ``optional`` is true for extras, dependency groups and dev
sections (not needed at run time); ``extra["section"]`` names the list an entry came from (duplicates
are looked for per list);
``extra["workspace"]`` marks uv workspace members (first-party). ``Manifest.is_library`` is true for a
distributable package (``[build-system]`` plus a project name, not marked as an application with
``[tool.uv] package = false`` or Poetry ``package-mode = false``). Index settings are ``IndexSetting``s:
``index-url`` (replaces the default index), ``extra-index`` (searched in addition to the default),
``source`` (explicit: only for packages pinned to it) and ``find-links``; ``meta["index_risk"]`` maps
``"kind|value|line"`` to the severity label the index deserves and why.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlwarden.sources.model import Dependency, IndexSetting, Manifest
from mlwarden.sources.tomltext import (
    Fields,
    TomlText,
    load_toml,
    newline_of,
    parse_pep508,
    sanitize,
    type_name,
    url_fields,
)

_BARE_VERSION = re.compile(r"[0-9][0-9A-Za-z.+!_-]*")
PYPI = "https://pypi.org/simple"


def read(path: Path, display: str) -> Manifest:
    data, text = load_toml(path, display, "pyproject.toml")
    return parse(data, text, display)


def index_key(ix: IndexSetting) -> str:
    return f"{ix.kind}|{ix.value}|{ix.line}"


class _Reader:
    def __init__(self, data: dict[str, Any], text: str, display: str) -> None:
        self.data = data
        self.t = TomlText(text)
        self.m = Manifest(path=display, format="pyproject", newline=newline_of(text))
        self.f = Fields(self.m)
        self.m.meta["index_risk"] = {}

    # helpers --------------------------------------------------------------------------------------

    def _hdr(self, key: tuple[str, ...]) -> int | None:
        """Header line of ``[key]`` or of its closest existing parent table."""
        for n in range(len(key), 0, -1):
            ln = self.t.header_line(key[:n])
            if ln is not None:
                return ln
        return None

    def _pos(self, table: tuple[str, ...], key: str) -> tuple[int | None, int | None]:
        rng = self.t.table(table)
        if rng is None and len(table) > 1:
            # dotted keys in a parent table: [tool.poetry] dependencies.torch = ...
            for n in range(len(table) - 1, 0, -1):
                prng = self.t.table(table[:n])
                if prng is not None:
                    found = self.t.key_in(prng, (*table[n:], key))
                    if found:
                        return found
            return (self._hdr(table), 1 if self._hdr(table) else None)
        found = self.t.key_in(rng, key)
        if found:
            return found
        sub = self.t.header_line((*table, key))
        if sub is not None:
            return (sub, 1)
        ln = self._hdr(table)
        return (ln, 1 if ln else None)

    def _risk(self, ix: IndexSetting, severity: str, why: str) -> None:
        self.m.meta["index_risk"][index_key(ix)] = {"severity": severity, "why": why}

    def add_index(self, kind: str, value: Any, where: str, line: int | None, col: int | None = None,
                  **kw: Any) -> IndexSetting | None:
        if not isinstance(value, str) or not value.strip():
            self.f.problem(f"{where} should be a URL string, not {type_name(value)}; ignored", line)
            return None
        ix = IndexSetting(kind=kind, value=value.strip(), source=self.m.path, line=line, column=col, **kw)
        self.m.indexes.append(ix)
        self.m.meta.setdefault("index_labels", {})[index_key(ix)] = where.removesuffix(" url").removesuffix(
            " entry")
        return ix

    # PEP 508 lists --------------------------------------------------------------------------------

    def pep508_list(self, table: tuple[str, ...], key: str, values: Any, *, group: str | None,
                    optional: bool, section: str) -> None:
        where = f"[{'.'.join(table)}] {key}" if table else key
        if values is None:
            return
        if not isinstance(values, list):
            ln = self._pos(table, key)[0]
            self.f.problem(f"{where} should be an array of requirement strings, not {type_name(values)}; "
                           "ignored", ln)
            return
        positions = self.t.locate_strings(self.t.table(table), key, values)
        for value, (line, col) in zip(values, positions, strict=False):
            if isinstance(value, dict) and section.startswith("dependency-groups."):
                inc = value.get("include-group")
                if isinstance(inc, str) and len(value) == 1:
                    self.m.meta.setdefault("group_includes", []).append(
                        {"group": group, "include": inc, "line": line})
                    continue
            if not isinstance(value, str):
                self.f.problem(f"{where}: entry should be a requirement string, not {type_name(value)}",
                               line, col, repr(value))
                continue
            fields, err = parse_pep508(value)
            if fields is None:
                self.f.problem(f"{where}: {err}", line, col, value)
                continue
            self.m.dependencies.append(Dependency(
                source=self.m.path, line=line, column=col, group=group, optional=optional,
                kind="pyproject", extra={"section": section}, **fields))

    def project(self) -> None:
        project = self.f.tbl(self.data, "project", "")
        if not project:
            return
        self.pep508_list(("project",), "dependencies", project.get("dependencies"), group=None,
                         optional=False, section="project.dependencies")
        opt = self.f.tbl(project, "optional-dependencies", "[project] ")
        for extra, values in opt.items():
            table = ("project", "optional-dependencies")
            if self.t.table(table) is None:
                self.pep508_list(("project",), "optional-dependencies", values, group=str(extra),
                                 optional=True, section=f"optional-dependencies.{extra}")
            else:
                self.pep508_list(table, str(extra), values, group=str(extra), optional=True,
                                 section=f"optional-dependencies.{extra}")

    def dependency_groups(self) -> None:
        groups = self.f.tbl(self.data, "dependency-groups", "")
        for name, values in groups.items():
            self.pep508_list(("dependency-groups",), str(name), values, group=str(name),
                             optional=True, section=f"dependency-groups.{name}")
        for inc in self.m.meta.get("group_includes", ()):
            if inc["include"] not in groups:
                self.f.problem(f"dependency group {inc['group']!r} includes unknown group "
                               f"{inc['include']!r}", inc["line"])

    # uv -------------------------------------------------------------------------------------------

    def uv(self) -> dict[str, str]:
        """Read [tool.uv]; returns index name -> URL."""
        tool = self.f.tbl(self.data, "tool", "")
        uv = self.f.tbl(tool, "uv", "[tool] ")
        names: dict[str, str] = {}
        if not uv:
            return names
        rng = self.t.table(("tool", "uv"))
        strategy = self.f.text(uv, "index-strategy", "[tool.uv] ") or "first-index"
        self.m.meta["uv_index_strategy"] = strategy
        unsafe = strategy.startswith("unsafe")
        sev = "high" if unsafe else "medium"
        why = (f"index-strategy = {strategy!r} takes the best version from any index" if unsafe else
               "uv takes each package from the first index that has it: every name found here is "
               "installed from this index, and a name missing from it falls through to the next one")
        self.pep508_list(("tool", "uv"), "dev-dependencies", uv.get("dev-dependencies"), group="dev",
                         optional=True, section="tool.uv.dev-dependencies")
        for key in ("constraint-dependencies", "override-dependencies"):
            self.pep508_list(("tool", "uv"), key, uv.get(key), group=None, optional=False,
                             section=f"tool.uv.{key}")
        if "index-url" in uv:
            pos = self.t.key_in(rng, "index-url") or (self._hdr(("tool", "uv")), 1)
            self.add_index("index-url", uv.get("index-url"), "[tool.uv] index-url", pos[0], pos[1],
                           default=True)
        extra_urls = uv.get("extra-index-url")
        if extra_urls is not None:
            if isinstance(extra_urls, str):
                extra_urls = [extra_urls]
            if not isinstance(extra_urls, list):
                self.f.problem("[tool.uv] extra-index-url should be an array of URLs",
                               self._hdr(("tool", "uv")))
                extra_urls = []
            for u, (line, col) in zip(extra_urls, self.t.locate_strings(rng, "extra-index-url", extra_urls),
                                     strict=False):
                ix = self.add_index("extra-index", u, "[tool.uv] extra-index-url entry", line, col)
                if ix:
                    self._risk(ix, sev, why)
        links = uv.get("find-links")
        if isinstance(links, list):
            for u, (line, col) in zip(links, self.t.locate_strings(rng, "find-links", links), strict=False):
                self.add_index("find-links", u, "[tool.uv] find-links entry", line, col)
        if "package" in uv:
            self.m.meta["uv_package"] = self.f.flag(uv, "package", "[tool.uv] ")

        headers = self.t.array_tables(("tool", "uv", "index"))
        entries = self.f.lst(uv, "index", "[tool.uv] ")
        for n, entry in enumerate(entries):
            line = headers[n] + 1 if n < len(headers) else self._hdr(("tool", "uv"))
            col = 1 if line else None
            if not isinstance(entry, dict):
                self.f.problem(f"[[tool.uv.index]] entry should be a table, not {type_name(entry)}", line)
                continue
            erng = (headers[n], headers[n + 1] if n + 1 < len(headers) else self.t._end_after(headers[n])) \
                if n < len(headers) else None
            upos = self.t.key_in(erng, "url") if erng else None
            name = self.f.text(entry, "name", "[[tool.uv.index]] ", line)
            default = bool(self.f.flag(entry, "default", "[[tool.uv.index]] ", line))
            explicit = bool(self.f.flag(entry, "explicit", "[[tool.uv.index]] ", line))
            flat = entry.get("format") == "flat"
            kind = ("find-links" if flat else "index-url" if default else "source" if explicit
                    else "extra-index")
            ix = self.add_index(kind, entry.get("url"),
                                _label("uv.index", name),
                                upos[0] if upos else line, upos[1] if upos else col, name=name,
                                default=default, explicit=explicit)
            if ix is None:
                continue
            if name:
                names[name] = ix.value
            if kind == "extra-index":
                self._risk(ix, sev, why)
        return names

    def uv_sources(self, index_names: dict[str, str]) -> None:
        tool = self.f.tbl(self.data, "tool", "")
        uv = self.f.tbl(tool, "uv", "[tool] ")
        sources = self.f.tbl(uv, "sources", "[tool.uv] ")
        if not sources:
            return
        from packaging.utils import canonicalize_name

        table = ("tool", "uv", "sources")
        by_name: dict[str, dict[str, Any]] = {}
        for pkg, spec in sources.items():
            line, col = self._pos(table, str(pkg))
            specs = spec if isinstance(spec, list) else [spec]
            fields: dict[str, Any] = {}
            for s in specs:
                if not isinstance(s, dict):
                    self.f.problem(f"[tool.uv.sources] {pkg} should be a table, not {type_name(s)}",
                                   line, col)
                    continue
                got = self._uv_source(str(pkg), s, index_names, line, col)
                for k, v in got.items():
                    fields.setdefault(k, v)
            if fields:
                fields["extra_line"] = line
                by_name[canonicalize_name(str(pkg))] = fields
        if not by_name:
            return
        self.m.meta["uv_sources"] = sorted(by_name)
        deps = []
        for d in self.m.dependencies:
            f = by_name.get(d.normalized)
            if f is None:
                deps.append(d)
                continue
            extra = {**d.extra, "source_line": f["extra_line"]}
            if f.get("workspace"):
                extra["workspace"] = True
            changes = {k: v for k, v in f.items() if k not in ("extra_line", "workspace")}
            deps.append(dataclasses.replace(d, extra=extra, **changes))
        self.m.dependencies[:] = deps

    def _uv_source(self, pkg: str, s: dict[str, Any], index_names: dict[str, str], line: int | None,
                   col: int | None) -> dict[str, Any]:
        where = f"[tool.uv.sources] {pkg}: "
        if s.get("workspace") is True:
            return {"workspace": True}
        if "index" in s:
            name = self.f.text(s, "index", where, line)
            if name is None:
                return {}
            if name not in index_names:
                self.f.problem(f"{where}index {name!r} is not defined in [[tool.uv.index]]", line, col)
                return {"index": name}
            return {"index": index_names[name]}
        if "git" in s:
            url = self.f.text(s, "git", where, line)
            if not url:
                return {}
            ref = None
            for k in ("rev", "tag", "branch"):
                ref = ref or self.f.text(s, k, where, line)
            full = url if url.startswith("git+") else "git+" + url
            return {"url": full, "vcs": "git", "ref": ref, "specifier": "", "version": None}
        if "url" in s:
            url = self.f.text(s, "url", where, line)
            return {**url_fields(url), "specifier": "", "version": None} if url else {}
        if "path" in s:
            p = self.f.text(s, "path", where, line)
            if not p:
                return {}
            return {"local_path": p, "editable": bool(s.get("editable") is True), "specifier": "",
                    "version": None}
        return {}

    # poetry ---------------------------------------------------------------------------------------

    def poetry(self) -> None:
        tool = self.f.tbl(self.data, "tool", "")
        poetry = self.f.tbl(tool, "poetry", "[tool] ")
        if not poetry:
            return
        if "package-mode" in poetry:
            self.m.meta["poetry_package_mode"] = self.f.flag(poetry, "package-mode", "[tool.poetry] ")
        sources = self._poetry_sources(poetry)
        self._poetry_table(("tool", "poetry", "dependencies"), poetry.get("dependencies"), None, False,
                           sources)
        self._poetry_table(("tool", "poetry", "dev-dependencies"), poetry.get("dev-dependencies"), "dev",
                           True, sources)
        groups = self.f.tbl(poetry, "group", "[tool.poetry] ")
        for g, body in groups.items():
            if not isinstance(body, dict):
                self.f.problem(f"[tool.poetry.group.{g}] should be a table", self._hdr(("tool", "poetry")))
                continue
            opt = body.get("optional") is True or str(g) != "main"
            self._poetry_table(("tool", "poetry", "group", str(g), "dependencies"), body.get("dependencies"),
                               str(g), opt, sources)

    def _poetry_sources(self, poetry: dict[str, Any]) -> dict[str, str]:
        entries = self.f.lst(poetry, "source", "[tool.poetry] ")
        headers = self.t.array_tables(("tool", "poetry", "source"))
        names: dict[str, str] = {}
        primaries: list[IndexSetting] = []
        for n, entry in enumerate(entries):
            line = headers[n] + 1 if n < len(headers) else self._hdr(("tool", "poetry"))
            if not isinstance(entry, dict):
                self.f.problem(f"[[tool.poetry.source]] entry should be a table, not {type_name(entry)}",
                               line)
                continue
            erng = (headers[n], self.t._end_after(headers[n])) if n < len(headers) else None
            upos = self.t.key_in(erng, "url") if erng else None
            name = self.f.text(entry, "name", "[[tool.poetry.source]] ", line)
            priority = self.f.text(entry, "priority", "[[tool.poetry.source]] ", line)
            if priority is None:
                priority = ("default" if entry.get("default") is True else
                            "secondary" if entry.get("secondary") is True else "primary")
            priority = priority.lower()
            url = entry.get("url")
            if url is None and (name or "").lower() == "pypi":
                url = PYPI
            kind = {"explicit": "source", "default": "index-url"}.get(priority, "extra-index")
            ix = self.add_index(kind, url,
                                _label("poetry.source", name), upos[0] if upos else line,
                                upos[1] if upos else (1 if line else None), name=name,
                                default=priority == "default", explicit=priority == "explicit")
            if ix is None:
                continue
            self.m.meta.setdefault("poetry_priorities", {})[name or ix.value] = priority
            if name:
                names[name] = ix.value
            if priority in ("supplemental", "secondary"):
                self._risk(ix, "high", f"a {priority} source is searched when the primary sources do not "
                                       "have a package, so a public package with the same name wins")
            elif priority == "primary":
                primaries.append(ix)
        # the first primary source replaces PyPI; any further primary source is searched after it
        for i, ix in enumerate(primaries):
            if i == 0 and not any(x.kind == "index-url" for x in self.m.indexes):
                new = dataclasses.replace(ix, kind="index-url", default=True)
                self.m.indexes[self.m.indexes.index(ix)] = new
                labels = self.m.meta["index_labels"]
                labels[index_key(new)] = labels.get(index_key(ix), "")
                continue
            self._risk(ix, "medium", "poetry searches primary sources in order and takes the package from "
                                     "the first that has it, so a name published on an earlier source "
                                     "shadows this one")
        return names

    def _poetry_table(self, table: tuple[str, ...], deps: Any, group: str | None, optional: bool,
                      sources: dict[str, str]) -> None:
        if deps is None:
            return
        if not isinstance(deps, dict):
            self.f.problem(f"[{'.'.join(table)}] should be a table, not {type_name(deps)}", self._hdr(table))
            return
        from packaging.utils import canonicalize_name

        section = ".".join(table)
        for name, value in deps.items():
            if not isinstance(name, str) or name.lower() == "python":
                continue
            line, col = self._pos(table, name)
            items = value if isinstance(value, list) else [value]
            for item in items:
                fields = self._poetry_value(name, item, line, col, sources, section)
                if fields is None:
                    continue
                if self._enriches_project(canonicalize_name(name), item, fields, group):
                    continue
                opt = optional or bool(fields.pop("optional", False))
                self.m.dependencies.append(Dependency(
                    name=name, normalized=canonicalize_name(name), source=self.m.path, line=line, column=col,
                    group=group, optional=opt, kind="pyproject", extra={"section": section, "poetry": True},
                    **fields))

    def _enriches_project(self, normalized: str, item: Any, fields: dict[str, Any],
                          group: str | None) -> bool:
        """Poetry 2: a ``[tool.poetry.dependencies]`` table without a version, git, url or path for a
        package of ``[project] dependencies`` only adds a source (or markers) to it: apply the source to
        the PEP 621 entry instead of reporting a second, versionless declaration."""
        if group is not None or not isinstance(item, dict) or \
                any(k in item for k in ("version", "git", "url", "path")):
            return False
        targets = [i for i, d in enumerate(self.m.dependencies)
                   if d.normalized == normalized and d.extra.get("section") == "project.dependencies"]
        if not targets:
            return False
        for i in targets:
            d = self.m.dependencies[i]
            if fields.get("index") and not d.index:
                self.m.dependencies[i] = dataclasses.replace(d, index=fields["index"])
        return True

    def _poetry_value(self, name: str, item: Any, line: int | None, col: int | None,
                      sources: dict[str, str], section: str) -> dict[str, Any] | None:
        where = f"[{section}] {name}: "
        if isinstance(item, str):
            spec, version = poetry_constraint(item)
            return {"specifier": spec, "version": version, "raw": f'{name} = "{item}"'}
        if not isinstance(item, dict):
            self.f.problem(f"{where}should be a version string or a table, not {type_name(item)}", line, col)
            return None
        fields: dict[str, Any] = {"raw": f"{name} = {{...}}", "specifier": "", "version": None}
        if "version" in item:
            v = self.f.text(item, "version", where, line)
            if v is not None:
                fields["specifier"], fields["version"] = poetry_constraint(v)
        if "git" in item:
            url = self.f.text(item, "git", where, line)
            if url:
                ref = None
                for k in ("rev", "tag", "branch"):
                    ref = ref or self.f.text(item, k, where, line)
                fields.update(url=url if url.startswith("git+") else "git+" + url, vcs="git", ref=ref)
        elif "url" in item:
            url = self.f.text(item, "url", where, line)
            if url:
                fields.update(url_fields(url))
        elif "path" in item:
            p = self.f.text(item, "path", where, line)
            if p:
                fields.update(local_path=p, editable=item.get("develop") is True)
        if "source" in item:
            src = self.f.text(item, "source", where, line)
            if src:
                if src in sources:
                    fields["index"] = sources[src]
                elif src.lower() != "pypi":
                    self.f.problem(f"{where}source {src!r} is not defined in [[tool.poetry.source]]",
                                   line, col)
        markers = item.get("markers")
        if isinstance(markers, str):
            fields["marker"] = markers
        extras = item.get("extras")
        if isinstance(extras, list):
            fields["extras"] = tuple(sorted(str(e) for e in extras))
        if item.get("optional") is True:
            fields["optional"] = True
        return fields

    # pdm ------------------------------------------------------------------------------------------

    def pdm(self) -> None:
        tool = self.f.tbl(self.data, "tool", "")
        pdm = self.f.tbl(tool, "pdm", "[tool] ")
        if not pdm:
            return
        dev = self.f.tbl(pdm, "dev-dependencies", "[tool.pdm] ")
        for g, values in dev.items():
            self.pep508_list(("tool", "pdm", "dev-dependencies"), str(g), values, group=str(g),
                             optional=True, section=f"tool.pdm.dev-dependencies.{g}")
        resolution = self.f.tbl(pdm, "resolution", "[tool.pdm] ")
        ordered = resolution.get("respect-source-order") is True
        self.m.meta["pdm_respect_source_order"] = ordered
        entries = self.f.lst(pdm, "source", "[tool.pdm] ")
        headers = self.t.array_tables(("tool", "pdm", "source"))
        for n, entry in enumerate(entries):
            line = headers[n] + 1 if n < len(headers) else self._hdr(("tool", "pdm"))
            if not isinstance(entry, dict):
                self.f.problem(f"[[tool.pdm.source]] entry should be a table, not {type_name(entry)}", line)
                continue
            erng = (headers[n], self.t._end_after(headers[n])) if n < len(headers) else None
            upos = self.t.key_in(erng, "url") if erng else None
            name = self.f.text(entry, "name", "[[tool.pdm.source]] ", line)
            verify = self.f.flag(entry, "verify_ssl", "[[tool.pdm.source]] ", line)
            restricted = bool(entry.get("include_packages"))
            stype = entry.get("type")
            kind = ("find-links" if stype == "find_links" else "index-url" if (name or "").lower() == "pypi"
                    else "source" if restricted else "extra-index")
            ix = self.add_index(kind, entry.get("url"),
                                _label("pdm.source", name),
                                upos[0] if upos else line, upos[1] if upos else (1 if line else None),
                                name=name, default=kind == "index-url", explicit=restricted,
                                verify_ssl=verify)
            if ix is not None and kind == "extra-index":
                self._risk(ix, "medium" if ordered else "high",
                           "respect-source-order: sources are searched in order" if ordered else
                           "pdm merges every source and picks the best version from any of them")

    # library or application -----------------------------------------------------------------------

    def library(self) -> bool:
        if self.m.meta.get("uv_package") is False or self.m.meta.get("poetry_package_mode") is False:
            return False
        build = self.data.get("build-system")
        project = self.data.get("project")
        tool = self.data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        named = (isinstance(project, dict) and isinstance(project.get("name"), str)) or \
                (isinstance(poetry, dict) and isinstance(poetry.get("name"), str))
        return isinstance(build, dict) and bool(named)

    def build_requires(self) -> None:
        """``[build-system] requires``: kept apart in ``meta["build_requires"]`` (they are build tools, not
        dependencies of the project); the rules look at their URLs and VCS refs, not at their ranges."""
        build = self.f.tbl(self.data, "build-system", "")
        if "requires" not in build:
            return
        before = len(self.m.dependencies)
        self.pep508_list(("build-system",), "requires", build.get("requires"), group="build", optional=True,
                         section="build-system.requires")
        self.m.meta["build_requires"] = self.m.dependencies[before:]
        del self.m.dependencies[before:]

    def run(self) -> Manifest:
        self.build_requires()
        self.project()
        index_names = self.uv()
        self.dependency_groups()
        self.poetry()
        self.pdm()
        self.uv_sources(index_names)
        self.m.is_library = self.library()
        if self.m.meta.get("build_requires"):
            holder = Manifest(path=self.m.path, format="pyproject",
                              dependencies=self.m.meta["build_requires"])
            self.m.meta["build_requires"] = sanitize(holder).dependencies
            self.m.problems += holder.problems
        self.m.meta["sections"] = sorted({str(d.extra.get("section")) for d in self.m.dependencies})
        return sanitize(self.m)


def parse(data: dict[str, Any], text: str, display: str) -> Manifest:
    return _Reader(data, text, display).run()


def _label(table: str, name: str | None) -> str:
    return f"[[tool.{table}]] {name!r} url" if name else f"[[tool.{table}]] url"


def poetry_constraint(c: str) -> tuple[str, str | None]:
    """(specifier as written or ``==V`` for a bare version, exact version or None). Poetry's ``^``,
    ``~``, ``*`` and wildcards are ranges."""
    c = c.strip()
    if c in ("", "*"):
        return "", None
    if _BARE_VERSION.fullmatch(c) and "*" not in c:
        return f"=={c}", c
    if c.startswith("===") and "," not in c:
        return c, c[3:].strip() or None
    if c.startswith("==") and "," not in c and "*" not in c and "|" not in c:
        return c, c[2:].strip() or None
    return c, None


def iter_sections(m: Manifest) -> Iterator[str]:
    yield from m.meta.get("sections", ())
