"""Conda environment files (``environment.yml``) -> Manifest.

The YAML is composed into nodes (``yaml.compose`` with the C ``CSafeLoader`` when available): nothing is
constructed, no tag is honoured, aliases are not expanded, and every entry keeps its own line and column.

* ``channels``: each channel becomes an ``IndexSetting(kind="source", name=<channel>)``;
* ``dependencies``: conda match specs (``name``, ``name=1.2``, ``name==1.2.3``, ``name=1.2.3=build``,
  ``name 1.2.3 build``, ``name>=1``, ``channel::name``, ``name[version='>=1']``) become ``kind="conda"``
  dependencies; ``extra["pin"]`` says how the spec pins: ``exact`` (one version: ``==V``, ``=V=build``,
  ``V`` in the space form, or ``=V`` with three or more release parts), ``fuzzy`` (``=1.2``, ``1.2.*``: a
  prefix match), ``range`` (``>=``, ``<``, ``|``, ``,``) or ``none``; ``extra["channel"]`` and
  ``extra["build"]`` when given;
* the nested ``- pip:`` list: each entry is a pip requirements-file line (``-r file``, ``--index-url``,
  ``--extra-index-url``, ``--hash`` ...) read with the requirements reader, as ``kind="conda-pip"``
  dependencies; ``-r`` files are read relative to the environment file (conda runs pip from there), never
  outside the project tree. The pip block is also kept as a requirements Manifest in ``meta["pip"]``
  (for the requirements rules) and its ``-r`` files are in ``included``.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from mlwarden.core.errors import InputError
from mlwarden.sources.model import Dependency, IndexSetting, Manifest, Problem
from mlwarden.sources.tomltext import newline_of, read_text, sanitize

_SPEC = re.compile(r"^\s*(?:(?P<channel>\S+?)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.+-]*)(?P<rest>.*)$")
_RANGE_CHARS = re.compile(r"[<>!~|,]")
MAX_NESTING = 200


def read(path: Path, display: str) -> Manifest:
    text = read_text(path, display, "conda environment file")
    return parse(text, display, path)


def _compose(text: str, display: str) -> Any:
    import yaml

    _check_nesting(text, display)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InputError(f"invalid YAML: {exc.problem or exc.context or 'syntax error'}{where}",
                         path=display) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else 'syntax error'}",
                         path=display) from None
    except RecursionError:
        raise InputError("invalid YAML: nested too deeply", path=display) from None


def _check_nesting(text: str, display: str) -> None:
    """Refuse flow collections nested deeper than any environment file needs (the composer recurses)."""
    if text.count("[") + text.count("{") > MAX_NESTING:
        _check_flow_nesting(text, display)
    indent_levels = {len(ln) - len(ln.lstrip(" ")) for ln in text.splitlines()[:100000]}
    if len(indent_levels) > MAX_NESTING:
        raise InputError(f"invalid YAML: nested more than {MAX_NESTING} levels deep", path=display)


def _check_flow_nesting(text: str, display: str) -> None:
    depth = peak = 0
    for mt in re.finditer(r"[\[\]{}]", text):
        ch = mt.group(0)
        if ch in "[{":
            depth += 1
            if depth > peak:
                peak = depth
                if peak > MAX_NESTING:
                    raise InputError(f"invalid YAML: nested more than {MAX_NESTING} levels deep",
                                     path=display)
        else:
            depth = max(depth - 1, 0)


def _pos(node: Any) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _node_type(node: Any) -> str:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a scalar"


def parse(text: str, display: str, path: Path | None = None) -> Manifest:
    import yaml

    m = Manifest(path=display, format="conda", newline=newline_of(text))
    root = _compose(text, display)

    def problem(msg: str, node: Any = None, raw: str = "") -> None:
        line, col = _pos(node) if node is not None else (None, None)
        m.problems.append(Problem(message=msg, source=display, line=line, column=col, raw=raw[:200]))

    if root is None:
        return m
    if not isinstance(root, yaml.MappingNode):
        problem(f"an environment file should be a mapping, not {_node_type(root)}", root)
        return m
    top: dict[str, Any] = {}
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode):
            top.setdefault(k.value, v)
    name = top.get("name")
    if isinstance(name, yaml.ScalarNode):
        m.meta["name"] = name.value

    channels = top.get("channels")
    if channels is not None and not _is_null(channels):
        if not isinstance(channels, yaml.SequenceNode):
            problem(f"channels should be a list, not {_node_type(channels)}", channels)
        else:
            for ch in channels.value:
                if not isinstance(ch, yaml.ScalarNode) or not ch.value.strip():
                    problem("channels entry should be a channel name or URL", ch)
                    continue
                line, col = _pos(ch)
                m.indexes.append(IndexSetting(kind="source", value=ch.value.strip(), source=display,
                                              line=line, column=col, name=ch.value.strip(),
                                              default=not m.indexes))
    m.meta["channels"] = [ix.value for ix in m.indexes]

    deps = top.get("dependencies")
    pip_entries: list[tuple[str, int, int]] = []
    if deps is not None and not _is_null(deps):
        if not isinstance(deps, yaml.SequenceNode):
            problem(f"dependencies should be a list, not {_node_type(deps)}", deps)
        else:
            for item in deps.value:
                if isinstance(item, yaml.ScalarNode):
                    dep = conda_dependency(item.value, display, *_pos(item))
                    if dep is None:
                        problem(f"not a conda package spec: {item.value[:80]!r}", item, item.value)
                    else:
                        m.dependencies.append(dep)
                elif isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        if isinstance(k, yaml.ScalarNode) and k.value == "pip":
                            if not isinstance(v, yaml.SequenceNode):
                                if not _is_null(v):
                                    problem(f"pip should be a list of requirement lines, not {_node_type(v)}",
                                            v)
                                continue
                            for e in v.value:
                                if isinstance(e, yaml.ScalarNode):
                                    pip_entries.append((e.value, *_pos(e)))
                                else:
                                    problem(f"pip entry should be a requirement line, not {_node_type(e)}", e)
                        else:
                            problem("a dependencies mapping other than 'pip:' is ignored by conda", k)
                else:
                    problem(f"dependencies entry should be a package spec, not {_node_type(item)}", item)
    if pip_entries:
        _pip_block(m, pip_entries, display, path)
    return sanitize(m)


def _is_null(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def conda_dependency(spec: str, display: str, line: int | None, col: int | None) -> Dependency | None:
    from packaging.utils import canonicalize_name

    text = spec.strip()
    if "#" in text:
        text = text.split("#", 1)[0].strip()
    mt = _SPEC.match(text)
    if not mt or not text:
        return None
    name = mt.group("name")
    rest = mt.group("rest").strip()
    if rest and not (rest[0] in "=<>!~[*" or rest[0].isdigit()):
        return None
    version: str | None = None
    build: str | None = None
    pin = "none"
    if rest.startswith("["):
        vm = re.search(r"version\s*=\s*['\"]?([^'\",\]]+)", rest)
        bm = re.search(r"build\s*=\s*['\"]?([^'\",\]]+)", rest)
        build = bm.group(1).strip() if bm else None
        rest_v = vm.group(1).strip() if vm else ""
        pin, version = _classify(rest_v, space_form=True) if rest_v else ("none", None)
    elif rest.startswith("=="):
        v, _, b = rest[2:].strip().partition("=")
        build = b or None
        pin, version = _classify("==" + v.strip(), space_form=True)
    elif rest.startswith("="):
        v, _, b = rest[1:].strip().partition("=")
        build = b.strip() or None
        v = v.strip()
        if build and v and not _RANGE_CHARS.search(v) and "*" not in v:
            pin, version = "exact", v
        else:
            pin, version = _classify(v, space_form=False)
    elif rest and rest[0] in "<>!~":
        pin = "range"
    elif rest:
        parts = rest.split()
        if len(parts) > 1:
            build = parts[1]
        pin, version = _classify(parts[0], space_form=True)
    elif text != name and not (mt.group("channel") and text == f"{mt.group('channel')}::{name}"):
        return None
    if not name or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*", name):
        return None
    extra: dict[str, Any] = {"pin": pin}
    if mt.group("channel"):
        extra["channel"] = mt.group("channel")
    if build:
        extra["build"] = build
    return Dependency(name=name, normalized=canonicalize_name(name), source=display, line=line, column=col,
                      specifier=rest, version=version, kind="conda", raw=spec.strip(), extra=extra)


def _classify(v: str, *, space_form: bool) -> tuple[str, str | None]:
    """(pin kind, exact version) of a conda version expression."""
    v = v.strip()
    if not v:
        return "none", None
    if _RANGE_CHARS.search(v) or v.startswith(("<", ">")):
        return "range", None
    if v.startswith("=="):
        v2 = v[2:].strip()
        return ("fuzzy", None) if "*" in v2 else ("exact", v2)
    if "*" in v:
        return "fuzzy", None
    if space_form:
        return "exact", v
    # name=V is V.* in conda: only a full version (three or more release parts) is one release
    release = re.match(r"[0-9]+(?:\.[0-9]+)*", v)
    if release and release.group(0).count(".") >= 2:
        return "exact", v
    if release and release.group(0) != v:  # 1.2rc1, 2023a, 1.2.post1: nothing to prefix-extend
        return "exact", v
    return "fuzzy", None


# ---------------------------------------------------------------------------------------------------
# the pip: block


def _tree_root(path: Path, display: str) -> Path:
    absolute = Path(os.path.abspath(path))
    parts = Path(display).parts
    if not Path(display).is_absolute() and ".." not in parts and parts \
            and absolute.parts[-len(parts):] == parts:
        base = absolute
        for _ in parts:
            base = base.parent
        return base
    return absolute.parent


def _pip_block(m: Manifest, entries: list[tuple[str, int, int]], display: str, path: Path | None) -> None:
    from mlwarden.sources.requirements import parse_text

    sub = Manifest(path=display, format="requirements", newline=m.newline)
    sub.meta["kind"] = "requirement"
    sub.meta["conda_pip"] = True
    for value, line, col in entries:
        one = parse_text(" ".join(value.splitlines()), display, kind="conda-pip")
        sub.dependencies += [dataclasses.replace(d, line=line, column=col) for d in one.dependencies]
        sub.indexes += [dataclasses.replace(ix, line=line, column=col) for ix in one.indexes]
        sub.problems += [dataclasses.replace(p, line=line, column=col) for p in one.problems]
        sub.hashes_required = sub.hashes_required or one.hashes_required
        for rec in one.meta.get("includes", ()):
            rec = {**rec, "line": line, "column": col}
            sub.meta.setdefault("includes", []).append(rec)
            _include(sub, rec, display, path)
    sanitize(sub)
    m.dependencies += sub.dependencies
    m.indexes += sub.indexes
    m.included = list(sub.included)
    m.hashes_required = sub.hashes_required
    m.meta["pip"] = sub


def _include(sub: Manifest, rec: dict[str, Any], display: str, path: Path | None) -> None:
    """Read a ``-r``/``-c`` file of the pip block, relative to the environment file, inside the tree."""
    from mlwarden.sources.requirements import read as read_requirements

    target = str(rec["target"])
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", target):
        rec["status"] = "url"
        return
    if path is None:
        return
    root = os.path.realpath(_tree_root(path, display))
    full = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(path)), target))
    shown = posixpath.normpath(posixpath.join(posixpath.dirname(display), target.replace("\\", "/")))
    if os.path.isabs(target) or not (full == root or full.startswith(root + os.sep)):
        rec["status"] = "outside"
        return
    if not os.path.isfile(full):
        rec["status"] = "unreadable"
        rec["error"] = "no such file"
        return
    try:
        inc = read_requirements(Path(full), shown)
    except InputError as exc:
        rec["status"] = "unreadable"
        rec["error"] = str(exc).removeprefix(f"{shown}: ")
        return
    if rec["option"] == "-c":
        inc.meta["kind"] = "constraint"
    rec["status"] = "read"
    rec["path"] = shown
    sub.included.append(inc)
