"""``trust_remote_code: true`` in the YAML / JSON / TOML configs a project feeds to ``from_pretrained``.

Training kits (LLaMA-Factory, axolotl, trl scripts...) read ``trust_remote_code`` from a config file and pass
it on (``from_pretrained(..., trust_remote_code=model_args.trust_remote_code)``): the config line is where
the risk is decided, so it is reported there (MLW107), when the repository's code passes a run-time value
as ``trust_remote_code`` or the config itself names the model it loads. The text is matched with regular
expressions on at most the first 2 MiB (nothing is parsed into objects, nothing is run).

Dataset and training configs (YAML) are also read line by line (``scan_yaml_data``):

* a download-style key (``download``, ``url``, ``urls``, ``data_url``, ``download_url``, ``model_url``,
  ``weights_url``..., or any value nested under one) naming a plain ``http://`` URL of a model, data or
  archive file (not loopback): MLW205 insecure-download, at the YAML line;
* a block scalar (``download: |``) whose text parses as Python (``ast.parse``, never run) and holds imports
  or calls, when the repository's code passes a value read from a dict to ``exec``/``eval``
  (``exec(data["download"], ...)``, ``s = data.get("download"); exec(s)``) under the same key (or an unknown
  key, in a module that mentions yaml): MLW108 config-code-exec, at the YAML line, naming the exec site.
  Without such an exec site the block is not reported.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlwarden.checks.unsafe_loads import rules as R
from mlwarden.core.findings import Finding, Severity

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
MAX_BYTES = 2 * 1024 * 1024
_TRC = re.compile(r"""^[ \t]*["']?trust_remote_code["']?[ \t]*[:=][ \t]*["']?(?:true|True|TRUE|yes|on|1)\b""",
                  re.M)
_MODEL = re.compile(r"""^[ \t]*["']?(?:model_name_or_path|pretrained_model_name_or_path|model_name|"""
                    r"""model_id|base_model|model_path|tokenizer_name_or_path|model)["']?"""
                    r"""[ \t]*[:=][ \t]*["']?"""
                    r"""([A-Za-z0-9][\w.\-]*/[\w.\-]+|[^\s"',#}]+)""", re.M)
_REV = re.compile(r"""^[ \t]*["']?(?:model_)?revision["']?[ \t]*[:=][ \t]*["']?([^\s"',#}]+)""", re.M)
_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


def is_config(name: str) -> bool:
    return name.lower().endswith(CONFIG_SUFFIXES)


def _read(path: Path) -> bytes | None:
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_BYTES)
    except OSError:
        return None


def scan_config(path: Path, display: str, code_passes_it: bool) -> list[Finding]:
    data = _read(path)
    if data is None or b"trust_remote_code" not in data:
        return []
    text = data.decode("utf-8", "replace")
    out: list[Finding] = []
    models = [m.group(1) for m in _MODEL.finditer(text)]
    hub = next((m for m in models if _HUB_ID.match(m) and not m.startswith((".", "/", "~"))), None)
    revs = [r.group(1) for r in _REV.finditer(text)]
    pinned = bool(revs) and all(_COMMIT.match(r) for r in revs)
    if not (code_passes_it or models):
        return []
    for m in _TRC.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if hub and not pinned:
            sev = Severity.HIGH
            what = (f"model `{hub}`, not pinned to a commit ("
                    + (f"revision `{revs[0]}` is not a commit" if revs else "no revision") + ")")
        elif hub:
            sev, what = Severity.MEDIUM, f"model `{hub}` (pinned to a commit)"
        else:
            sev = Severity.MEDIUM
            what = "the model this config names" if models else "the model it is used with"
        out.append(Finding(
            R.TRUST_REMOTE_CODE, display,
            f"`trust_remote_code: true` in a config the code passes to from_pretrained: it runs Python code "
            f"downloaded from {what} (CWE-94, CWE-829)", severity=sev, line=line,
            column=m.start() - text.rfind("\n", 0, m.start()),
            hint="set trust_remote_code to false, or review the model repository's code and pin revision to "
                 "its 40-hex commit", data={"cwe": ["CWE-94", "CWE-829"], "config": True, "repo_id": hub}))
    return out


# --- dataset / training configs (YAML): plain-http downloads and Python code blocks ---------------------

_DL_KEY = re.compile(r"^(?:downloads?|urls?|data_urls?|download_urls?|dataset_urls?|model_urls?|"
                     r"weights?_urls?|checkpoint_urls?|ckpt_urls?|pretrained_urls?|source_urls?)$",
                     re.IGNORECASE)
_KEY_LINE = re.compile(r"""^([ \t]*(?:-[ \t]+)?)["']?([\w.\-]+)["']?[ \t]*:(?:[ \t]+(.*))?$""")
_BLOCK = re.compile(r"^[|>][-+0-9]*[ \t]*(?:#.*)?$")
_HTTP = re.compile(r"""http://[^\s"'<>,\]\}]+""", re.IGNORECASE)
_COMMENT = re.compile(r"(?:^|[ \t])#.*$")
_EXEC_B = re.compile(rb"(?<![\w.])(?:exec|eval)[ \t]*\(")


def is_yaml(name: str) -> bool:
    return name.lower().endswith((".yaml", ".yml"))


@dataclass(frozen=True)
class ExecSite:
    """``exec``/``eval`` of a value read from a dict: where, and the keys read (empty: unknown key)."""

    display: str
    line: int
    call: str
    keys: frozenset[str]
    mentions_yaml: bool

    def runs(self, key: str) -> bool:
        return key in self.keys or (not self.keys and self.mentions_yaml)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _yaml_events(text: str) -> Iterator[tuple[str, int, list[str], str, int]]:
    """("value", line, keys, text, column) for every value (keys: the enclosing keys, outermost first) and
    ("block", line, keys, body, first body line) for every block scalar. A line reader, not a YAML parser:
    flow collections and multi-line plain scalars are seen line by line."""
    lines = text.split("\n")
    stack: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip("\r")
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        indent = _indent(raw)
        m = _KEY_LINE.match(raw)
        if m is None:
            while stack and stack[-1][0] > indent:
                stack.pop()
            yield "value", i + 1, [k for _, k in stack], raw, 0
            i += 1
            continue
        col = len(m.group(1))
        while stack and stack[-1][0] >= col:
            stack.pop()
        key, rest = m.group(2), (m.group(3) or "")
        keys = [k for _, k in stack] + [key]
        if _BLOCK.match(rest.strip()):
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > indent):
                j += 1
            body = lines[i + 1:j]
            yield "block", i + 1, keys, "\n".join(x.rstrip("\r") for x in body), i + 2
            for k, b in enumerate(body):
                yield "value", i + 2 + k, keys, b, 0
            i = j
            continue
        stack.append((col, key))
        yield "value", i + 1, keys, raw, m.start(3) if m.group(3) is not None else len(raw)
        i += 1


def _python_code(body: str) -> list[str] | None:
    """What a block scalar's text does if it is Python (imports, called names), or None when it is not
    Python source with imports or calls. Parsed with ``ast`` only."""
    try:
        tree = ast.parse(textwrap.dedent(body))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    seen: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            seen.extend(f"import {a.name}" for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            seen.append(f"from {node.module or '.'} import ...")
        elif isinstance(node, ast.Call):
            try:
                seen.append(ast.unparse(node.func) + "()")
            except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed node
                continue
    return list(dict.fromkeys(seen)) or None


def scan_yaml_data(path: Path, display: str, exec_sites: Callable[[], Sequence[ExecSite]]) -> list[Finding]:
    """MLW205 (plain-http download keys) and MLW108 (Python blocks the repository executes) in one YAML file;
    ``exec_sites`` is called only when the file holds a Python block."""
    from mlwarden.checks.unsafe_loads.analyze import _DATA_EXT, _LOOPBACK

    data = _read(path)
    if data is None or not (b"http://" in data.lower() or re.search(rb":[ \t]*[|>]", data)):
        return []
    text = data.decode("utf-8", "replace")
    out: list[Finding] = []
    for kind, line, keys, value, col in _yaml_events(text):
        if kind == "block":
            found = _python_code(value)
            if not found:
                continue
            sites = [s for s in exec_sites() if s.runs(keys[-1])]
            if not sites:
                continue
            site = sites[0]
            more = f" (and {len(sites) - 1} more)" if len(sites) > 1 else ""
            does = ", ".join(f"`{x}`" for x in found[:3]) + (", ..." if len(found) > 3 else "")
            out.append(Finding(
                R.CONFIG_CODE_EXEC, display,
                f"`{keys[-1]}:` holds Python code ({does}) and `{site.display}:{site.line}` runs values read "
                f"from configs with `{site.call}(...)`{more}: whoever changes this config runs code (CWE-94)",
                line=line, column=_indent(text.split("\n")[line - 1]) + 1,
                hint="replace the script by data (URLs with pinned sha256 digests) that the project's own "
                     "code downloads and verifies; never exec/eval config values",
                data={"cwe": ["CWE-94"], "config": True, "key": keys[-1],
                      "exec_site": f"{site.display}:{site.line}",
                      "exec_sites": [f"{s.display}:{s.line}" for s in sites]}))
            continue
        if not any(_DL_KEY.match(k) for k in keys) or "http://" not in value.lower():
            continue
        for m in _HTTP.finditer(_COMMENT.sub("", value[col:])):
            url = m.group(0)
            if _LOOPBACK.match(url) or not _DATA_EXT.search(url.split("#", 1)[0]):
                continue
            key = next(k for k in reversed(keys) if _DL_KEY.match(k))
            out.append(Finding(
                R.INSECURE_DOWNLOAD, display,
                f"`{key}:` in a config names `{url}`, downloaded over plain http: anyone on the network path "
                "can replace it (CWE-494, CWE-319)", line=line, column=col + m.start() + 1,
                hint="use https and verify a pinned sha256 before using the file",
                data={"cwe": ["CWE-494", "CWE-319"], "config": True, "key": key, "url": url}))
            break
    return out


def exec_sites(files: Sequence[tuple[Path, str]], parse: Callable[[Path, str], Any]) -> list[ExecSite]:
    """Every ``exec(...)``/``eval(...)`` in the repository's Python whose argument is a value read from a
    dict (``d["k"]``, ``d.get("k")``, or a local name assigned from such a read). ``parse(path, display)``
    gives ``(unit, tree, folder)`` or None. Sorted by path and line."""
    out: list[ExecSite] = []
    for path, display in files:
        data = _read(path)
        if data is None or not _EXEC_B.search(data):
            continue
        got = parse(path, display)
        if got is None:
            continue
        unit, tree, _ = got
        mentions = b"yaml" in data.lower()
        for scope in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef,
                                                                           ast.AsyncFunctionDef)))]:
            assigned = _assignments(scope)
            for node in _own_nodes(scope):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in ("exec", "eval") and node.args):
                    continue
                keys = _dict_read(node.args[0], assigned)
                if keys is not None:
                    out.append(ExecSite(display, unit.file_line(node.lineno), node.func.id, frozenset(keys),
                                        mentions))
    return sorted(set(out), key=lambda s: (s.display, s.line))


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a module or function body, not those of nested functions (scopes of their own)."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            todo.extend(ast.iter_child_nodes(node))


def _assignments(scope: ast.AST) -> dict[str, list[ast.AST]]:
    out: dict[str, list[ast.AST]] = {}
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name):
                    out.setdefault(n.id, []).append(value)
    return out


def _dict_read(node: ast.AST, assigned: dict[str, list[ast.AST]], depth: int = 0) -> set[str] | None:
    """The literal keys when ``node`` is (or is assigned from) a value read from a dict; an empty set when
    the key is not a literal; None when it is no dict read (a literal string, a file's text...)."""
    if isinstance(node, ast.Subscript):
        return {node.slice.value} if isinstance(node.slice, ast.Constant) and \
            isinstance(node.slice.value, str) else set()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr in ("get", "pop"):
        return {node.args[0].value} if node.args and isinstance(node.args[0], ast.Constant) and \
            isinstance(node.args[0].value, str) else set()
    if isinstance(node, ast.Name) and depth < 3:
        found: set[str] | None = None
        for value in assigned.get(node.id, []):
            for sub in ast.walk(value):
                keys = _dict_read(sub, assigned, depth + 1) if isinstance(sub, (ast.Subscript, ast.Call)) \
                    else None
                if keys is None:
                    continue
                found = (found or set()) | keys
                if not keys:  # d.get(x) for x in ("val", "download"): the literal names nearby
                    found |= {c.value for c in ast.walk(value)
                              if isinstance(c, ast.Constant) and isinstance(c.value, str)}
        return found
    return None
