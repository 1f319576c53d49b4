"""``setup.py`` and ``setup.cfg``: the dependency declarations of a setuptools package.

``setup.py`` is parsed with :mod:`ast` and never executed or imported. What is read: the keyword arguments
``install_requires``, ``extras_require``, ``tests_require`` and ``setup_requires`` of a ``setup(...)`` /
``setuptools.setup(...)`` call, when they are literal lists (or tuples) of strings, names of module-level
constant lists (``REQUIRED = [...]``, also ``BASE + EXTRA`` concatenations), or for ``extras_require`` a
literal dict or a module-level constant dict of such lists. Anything computed (``parse_requirements(...)``,
comprehensions, reads of a requirements file) is not evaluated: the files it reads are requirement files
the walker reads on their own (and ``core.roles`` marks them as library declarations). A ``setup.py`` that
is not valid Python 3 gives an empty manifest (``meta["unparsed"]``).

``setup.cfg``: ``[options] install_requires``, ``setup_requires``, ``tests_require`` and every key of
``[options.extras_require]`` (one requirement per line, ``;`` markers kept, ``#`` comments dropped).

Entries are ``kind="pyproject"`` dependencies (package metadata, like ``[project.dependencies]``) with
``extra["section"]`` naming the keyword; the manifest is a library declaration (``is_library``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mlwarden.sources.model import Dependency, Manifest
from mlwarden.sources.tomltext import parse_pep508, read_text, sanitize

MAX_BYTES = 4 * 1024 * 1024
_KEYS = {"install_requires": (None, False), "tests_require": ("test", True),
         "setup_requires": ("build", True)}
_MAX_DEPTH = 8


def read(path: Path, display: str) -> Manifest:
    text = read_text(path, display, "setup.py")[:MAX_BYTES]
    return parse(text, display)


def parse(text: str, display: str) -> Manifest:
    m = Manifest(path=display, format="setup.py", is_library=True)
    try:
        tree = ast.parse(text, filename=display)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        m.meta["unparsed"] = f"not valid Python 3 ({type(exc).__name__}); its dependencies were not read"
        return m
    _SetupPy(m, tree).run()
    return sanitize(m)


class _SetupPy:
    def __init__(self, m: Manifest, tree: ast.Module) -> None:
        self.m = m
        self.tree = tree
        self.consts: dict[str, ast.expr] = {}
        for node in tree.body:  # module-level NAME = <literal> (the last one wins, as when run)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                self.consts[node.targets[0].id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                self.consts[node.target.id] = node.value

    def run(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _is_setup(node.func):
                self.call(node)
                break

    def call(self, call: ast.Call) -> None:
        computed: list[str] = []
        for kw in call.keywords:
            if kw.arg in _KEYS:
                group, optional = _KEYS[kw.arg]
                items = self.strings(kw.value, 0)
                if items is None:
                    computed.append(kw.arg)
                    continue
                self.add(items, group, optional, kw.arg)
            elif kw.arg == "extras_require":
                table = self.resolve(kw.value, 0)
                if not isinstance(table, ast.Dict):
                    computed.append(kw.arg)
                    continue
                for k, v in zip(table.keys, table.values, strict=False):
                    if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                        continue
                    items = self.strings(v, 0)
                    if items is None:
                        computed.append(f"extras_require[{k.value!r}]")
                        continue
                    self.add(items, k.value.split(":")[0] or "extra", True, f"extras_require.{k.value}")
        if computed:
            self.m.meta["computed"] = computed

    def resolve(self, node: ast.expr, depth: int) -> ast.expr | None:
        while isinstance(node, ast.Name) and depth < _MAX_DEPTH:
            target = self.consts.get(node.id)
            if target is None:
                return None
            node, depth = target, depth + 1
        return node

    def strings(self, node: ast.expr, depth: int) -> list[tuple[str, int, int]] | None:
        """The string items of a literal list/tuple (through constant names and ``+``), or None."""
        if depth > _MAX_DEPTH:
            return None
        target = self.resolve(node, depth)
        if isinstance(target, ast.Constant) and isinstance(target.value, str):  # one requirement string
            return [(target.value, target.lineno, target.col_offset + 1)]
        if isinstance(target, (ast.List, ast.Tuple)):
            out: list[tuple[str, int, int]] = []
            for elt in target.elts:
                if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                    out.append((elt.value, elt.lineno, elt.col_offset + 1))
                else:
                    return None
            return out
        if isinstance(target, ast.BinOp) and isinstance(target.op, ast.Add):
            left = self.strings(target.left, depth + 1)
            right = self.strings(target.right, depth + 1)
            if left is None or right is None:
                return None
            return left + right
        return None

    def add(self, items: list[tuple[str, int, int]], group: str | None, optional: bool, section: str) -> None:
        for text, line, col in items:
            add_requirement(self.m, text.strip(), line, col, group, optional, section)


def _is_setup(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "setup"
    return isinstance(func, ast.Attribute) and func.attr == "setup" and \
        isinstance(func.value, ast.Name) and func.value.id in ("setuptools", "distutils", "core")


def add_requirement(m: Manifest, text: str, line: int | None, col: int | None, group: str | None,
                    optional: bool, section: str) -> None:
    if not text or text.startswith("#"):
        return
    fields, err = parse_pep508(text)
    if fields is None:
        from mlwarden.sources.model import Problem

        m.problems.append(Problem(message=f"{section}: {err}", source=m.path, line=line, column=col,
                                  raw=text))
        return
    m.dependencies.append(Dependency(source=m.path, line=line, column=col, group=group, optional=optional,
                                     kind="pyproject", extra={"section": section}, **fields))


# --- setup.cfg ----------------------------------------------------------------------------------------
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^([A-Za-z0-9_.\-:\[\]]+)\s*[=:]\s*(.*)$")


def read_cfg(path: Path, display: str) -> Manifest:
    text = read_text(path, display, "setup.cfg")[:MAX_BYTES]
    return parse_cfg(text, display)


def parse_cfg(text: str, display: str) -> Manifest:
    m = Manifest(path=display, format="setup.cfg", is_library=True)
    section = ""
    key: str | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        sec = _SECTION.match(line)
        if sec:
            section, key = sec.group(1).strip().lower(), None
            continue
        if not line[:1].isspace():
            km = _KEY.match(line)
            key = km.group(1).strip().lower().replace("-", "_") if km else None
            value = km.group(2) if km else ""
            col = (km.start(2) + 1) if km else 1
        else:
            value, col = line.strip(), len(line) - len(line.lstrip()) + 1
        target = _cfg_target(section, key)
        if target is None or not value.strip():
            continue
        group, optional, where = target
        value = re.sub(r"\s+#.*$", "", value).strip()
        add_requirement(m, value, n, col, group, optional, where)  # one requirement per line
    return sanitize(m)


def _cfg_target(section: str, key: str | None) -> tuple[str | None, bool, str] | None:
    if key is None:
        return None
    if section == "options" and key in _KEYS:
        group, optional = _KEYS[key]
        return group, optional, key
    if section == "options.extras_require":
        return key.split(":")[0], True, f"extras_require.{key}"
    return None

