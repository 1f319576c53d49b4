"""YAML read as PyYAML composer nodes: values with their line numbers, nothing constructed.

Composing (not loading) means no object is built from tags (GitLab's ``!reference`` is just a tagged
sequence), aliases stay shared nodes (no billion-laughs expansion: walks below never recurse through
the same node twice), and every value keeps its position for findings.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MappingNode",
    "Node",
    "ScalarNode",
    "SequenceNode",
    "YamlError",
    "compose",
    "get",
    "items",
    "line",
    "scalar",
    "seq",
    "strings",
    "text_first_line",
]

try:  # the libyaml composer is several times faster and keeps marks too
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


class YamlError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def compose(text: str) -> Node | None:
    """The document's root node (None for an empty document). Raises YamlError."""
    try:
        docs = [d for d in yaml.compose_all(text, Loader=_Loader) if d is not None]
        if (
            len(docs) > 1
            and isinstance(docs[0], MappingNode)
            and [k.value for k, _ in docs[0].value] == ["spec"]
        ):
            return docs[1]  # a GitLab CI/CD component: spec header, then the configuration
        return docs[0] if docs else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"invalid YAML: {problem}", where) from None
    except yaml.YAMLError as exc:  # e.g. several documents in a stream
        raise YamlError(f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else 'error'}", None) from None
    except RecursionError:
        raise YamlError("invalid YAML: nested too deeply", None) from None


def line(node: Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def scalar(node: Node | None) -> str | None:
    if isinstance(node, ScalarNode):
        return str(node.value)
    return None


def items(node: Node | None, _depth: int = 0) -> Iterator[tuple[str, ScalarNode, Node]]:
    """(key, key node, value node) of a mapping, with ``<<`` merge keys expanded (explicit keys win)."""
    if not isinstance(node, MappingNode) or _depth > 10:
        return
    seen: set[str] = set()
    merges: list[Node] = []
    for k, v in node.value:
        if isinstance(k, ScalarNode):
            if k.value == "<<" and k.tag in ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:str"):
                merges.extend(v.value if isinstance(v, SequenceNode) else [v])
                continue
            seen.add(k.value)
            yield str(k.value), k, v
    for m in merges:
        for key, kn, vn in items(m, _depth + 1):
            if key not in seen:
                seen.add(key)
                yield key, kn, vn


def get(node: Node | None, key: str) -> Node | None:
    for k, _, v in items(node):
        if k == key:
            return v
    return None


def has(node: Node | None, key: str) -> bool:
    return any(k == key for k, _, _ in items(node))


def seq(node: Node | None) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def strings(node: Node | None, limit: int = 10000) -> Iterator[ScalarNode]:
    """Every scalar under ``node`` (each node visited once, so shared aliases cost nothing)."""
    seen: set[int] = set()
    stack: list[Node] = [node] if node is not None else []
    count = 0
    while stack and count < limit:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        count += 1
        if isinstance(n, ScalarNode):
            yield n
        elif isinstance(n, SequenceNode):
            stack.extend(reversed(n.value))
        elif isinstance(n, MappingNode):
            for k, v in reversed(n.value):
                stack.append(v)
                stack.append(k)


def text_first_line(node: Node) -> int:
    """The file line of the first line of a scalar's text: the line after ``|``/``>`` for block scalars."""
    ln = node.start_mark.line + 1
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        return ln + 1
    return ln
