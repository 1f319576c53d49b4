"""GitLab CI: includes, images and services, and the shell of ``script:`` blocks."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from mlwarden.checks.pipeline import rules as R
from mlwarden.checks.pipeline import ynodes as Y
from mlwarden.checks.pipeline.commands import check_unit, is_commit
from mlwarden.checks.pipeline.images import check_image

Emit = Callable[..., None]

RESERVED = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "spec",
        "types",
    }
)
_SCRIPT_KEYS = ("before_script", "script", "after_script")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def local_includes(root: Y.Node | None) -> list[str]:
    """Paths of ``include: local:`` files (and bare local strings), as written."""
    out: list[str] = []
    for item in _include_items(root):
        if isinstance(item, Y.ScalarNode):
            v = str(item.value)
            if not re.match(r"^https?://", v):
                out.append(v)
        else:
            local = Y.scalar(Y.get(item, "local"))
            if local:
                out.append(local)
    return out


def _include_items(root: Y.Node | None) -> list[Y.Node]:
    inc = Y.get(root, "include")
    if inc is None:
        return []
    if isinstance(inc, Y.SequenceNode):
        return list(inc.value)
    return [inc]


def check_gitlab(path: str, root: Y.Node, options: Mapping[str, Any], emit: Emit) -> None:
    variables = {k: Y.scalar(v) or "" for k, _, v in Y.items(Y.get(root, "variables"))}
    for k, _, v in Y.items(Y.get(root, "variables")):
        if isinstance(v, Y.MappingNode):
            variables[k] = Y.scalar(Y.get(v, "value")) or ""
    _includes(root, emit)
    default = Y.get(root, "default")
    _images(root, "pipeline", variables, options, emit)
    _images(default, "default", variables, options, emit)
    default_scripts = _scripts(default) + _scripts(root, keys=("before_script", "after_script"))
    jobs = [(k, v) for k, _, v in Y.items(root) if k not in RESERVED and isinstance(v, Y.MappingNode)]
    for name, job in jobs:
        job_vars = dict(variables)
        job_vars.update({k: Y.scalar(v) or "" for k, _, v in Y.items(Y.get(job, "variables"))})
        _images(job, f"job {name!r}", job_vars, options, emit)
        own = _scripts(job)
        inherits = not any(Y.get(job, k) is not None for k in ("before_script", "after_script"))
        check_unit(path, (default_scripts if inherits else []) + own, options, emit)
    if not jobs and default_scripts:
        check_unit(path, default_scripts, options, emit)


def _includes(root: Y.Node, emit: Emit) -> None:
    for item in _include_items(root):
        if isinstance(item, Y.ScalarNode):
            v = str(item.value)
            if re.match(r"^https?://", v):
                emit(
                    R.GL_INCLUDE_REMOTE,
                    Y.line(item),
                    f"remote include {v} has no integrity hash",
                    "use `include: - remote: <url>` with `integrity: sha256-<base64>`, or vendor the file",
                )
            continue
        remote = Y.get(item, "remote")
        if isinstance(remote, Y.ScalarNode) and Y.get(item, "integrity") is None:
            emit(
                R.GL_INCLUDE_REMOTE,
                Y.line(remote),
                f"remote include {remote.value} has no integrity hash",
                "add `integrity: sha256-<base64 of the file's SHA-256>`",
            )
        project = Y.get(item, "project")
        if isinstance(project, Y.ScalarNode):
            ref = Y.get(item, "ref")
            rv = Y.scalar(ref)
            if not rv or (not is_commit(rv) and "$" not in rv):
                emit(
                    R.GL_INCLUDE_UNPINNED,
                    Y.line(ref if ref is not None else project),
                    f"include of project {project.value} at "
                    f"{('ref ' + repr(rv)) if rv else 'its default branch'}, not a commit",
                    "set `ref:` to the full commit SHA",
                )
        component = Y.get(item, "component")
        if isinstance(component, Y.ScalarNode):
            text = str(component.value)
            _, at, version = text.rpartition("@")
            if not at or (not is_commit(version) and "$" not in version):
                emit(
                    R.GL_INCLUDE_UNPINNED,
                    Y.line(component),
                    f"component {text} is used at {version!r}" if at else f"component {text} has no version",
                    "use the component at a full commit SHA: `...@<40-hex>`",
                )


def _images(
    node: Y.Node | None, where: str, variables: Mapping[str, str], options: Mapping[str, Any], emit: Emit
) -> None:
    if node is None:
        return
    image = Y.get(node, "image")
    img = image if isinstance(image, Y.ScalarNode) else Y.get(image, "name")
    if isinstance(img, Y.ScalarNode):
        check_image(_expand(str(img.value), variables), Y.line(img), options, emit, where=f"{where} image")
    for svc in Y.seq(Y.get(node, "services")):
        s = svc if isinstance(svc, Y.ScalarNode) else Y.get(svc, "name")
        if isinstance(s, Y.ScalarNode):
            check_image(_expand(str(s.value), variables), Y.line(s), options, emit, where=f"{where} service")


def _expand(text: str, variables: Mapping[str, str]) -> str:
    for _ in range(3):
        new = _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), text)
        if new == text:
            break
        text = new
    return text


def _scripts(node: Y.Node | None, keys: tuple[str, ...] = _SCRIPT_KEYS) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for key in keys:
        value = Y.get(node, key)
        stack = [value] if value is not None else []
        while stack:
            n = stack.pop(0)
            if isinstance(n, Y.ScalarNode):
                out.append((str(n.value), Y.text_first_line(n)))
            elif isinstance(n, Y.SequenceNode) and n.tag != "!reference":
                stack = list(n.value) + stack
    return out
