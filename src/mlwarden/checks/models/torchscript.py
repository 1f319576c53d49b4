"""TorchScript ``code/`` members: the TorchScript Python subset a ``torch.jit.load`` compiles and runs.

Each ``<archive>/code/**/*.py`` member is parsed with :mod:`ast` (never compiled, imported or executed) and
walked for operations with host effects that TorchScript still offers: ``torch.save`` / ``aten::save``
(writes a file), ``torch.from_file`` / ``aten::from_file`` and ``debugprims::load_tensor`` (read files), and
the ``rpc_sync``/``rpc_async``/``rpc_remote`` remote calls. A ``__setstate__`` method runs when the archive
is loaded: a host effect inside one is critical; a ``__setstate__`` defined outside torch's own modules is
reported for information (it is code that runs on load).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from mlwarden.checks.models import rules as R
from mlwarden.core.findings import Severity

if TYPE_CHECKING:
    from mlwarden.checks.models.scanner import Region, Sink

_MAX_SOURCE = 16 * 1024 * 1024

# last name of a call -> what it does on the host, when the call goes through torch / ops
_HOST_EFFECTS = {
    "save": "writes a file (aten::save)",
    "from_file": "reads a file (aten::from_file)",
    "load_tensor": "reads a file (debugprims::load_tensor)",
    "rpc_sync": "remote procedure call (prim::rpc_sync)",
    "rpc_async": "remote procedure call (prim::rpc_async)",
    "rpc_remote": "remote procedure call (prim::rpc_remote)",
}
_ROOTS = frozenset({"torch", "ops", "__torch__"})


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _effects(tree: ast.AST) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if not name:
                continue
            parts = name.split(".")
            what = _HOST_EFFECTS.get(parts[-1])
            if what and len(parts) > 1 and parts[0] in _ROOTS:
                out.append((getattr(node, "lineno", 0), name, what))
    return out


def scan_code(reg: Region, name: str, member: str | None, sink: Sink) -> None:
    """Scan one ``code/`` member of a TorchScript archive."""
    if reg.size > _MAX_SOURCE:
        sink.add(
            R.UNSCANNABLE,
            f"TorchScript source larger than {_MAX_SOURCE >> 20} MiB was not parsed",
            member=member,
            offset=0,
            fmt="torchscript",
        )
        return
    try:
        tree = ast.parse(reg.tobytes().decode("utf-8"), filename=name)
    except (SyntaxError, UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:
        sink.add(
            R.UNSCANNABLE,
            f"TorchScript source does not parse ({type(exc).__name__}); its code was not checked",
            member=member,
            offset=0,
            fmt="torchscript",
        )
        return
    in_setstate: set[int] = set()
    torch_own = "/code/__torch__/torch/" in f"/{name}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__setstate__":
                effects = _effects(item)
                for line, call, what in effects:
                    in_setstate.add(line)
                    sink.add(
                        R.TORCHSCRIPT_CODE,
                        f"TorchScript class {node.name} defines __setstate__, which runs when the archive is "
                        f"loaded, and it calls {call} (line {line}): {what}",
                        member=member,
                        offset=None,
                        fmt="torchscript",
                        glob=call,
                        severity=Severity.CRITICAL,
                    )
                if not effects and not torch_own:
                    sink.add(
                        R.TORCHSCRIPT_CODE,
                        f"TorchScript class {node.name} defines __setstate__ (line {item.lineno}): code "
                        "that runs when the archive is loaded",
                        member=member,
                        offset=None,
                        fmt="torchscript",
                        severity=Severity.INFO,
                    )
    for line, call, what in _effects(tree):
        if line in in_setstate:
            continue
        sink.add(
            R.TORCHSCRIPT_CODE,
            f"TorchScript code calls {call} (line {line}): {what} when the module runs",
            member=member,
            offset=None,
            fmt="torchscript",
            glob=call,
        )
