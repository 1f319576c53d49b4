"""The supply-chain map: the project's ingredients by layer, and which code loads which artifact.

Built once per ``mlwarden scan --html`` (or ``--map``) from the same inventory generate-sbom records
(libraries from every manifest reader, model and data files with format, SHA-256 and scan verdict, Hugging
Face references, CI actions and container images where a check records them), plus the loader edges
check-unsafe-loads knows. Nothing scanned is executed: it reuses the checks' static readers.

The map is plain JSON data (stored under ``meta.map`` of the JSON report) so ``mlwarden report --html``
can draw it again from a saved report. Nodes carry the places (``path`` and ``path:line``) that state
them; a renderer attaches findings to nodes by those places, so the map needs no finding ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

LAYERS: tuple[tuple[str, str], ...] = (
    ("pipeline", "Build pipeline"),
    ("libraries", "Libraries"),
    ("code", "Code that loads"),
    ("models", "Models"),
    ("datasets", "Datasets"),
)

_CODE_SUFFIXES = (".py", ".ipynb")
_LOAD_HINT = re.compile(rb"load|from_pretrained|pipeline\(|snapshot_download|hf_hub_download|open\(")
MAX_LOCAL_NAMES = 500  # local artifact names looked up in code (a bigger tree keeps hub edges only)


def _place(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


def _prop(comp: Any, name: str) -> str | None:
    for n, v in sorted(comp.properties):
        if n == name:
            return str(v)
    return None


def _layer_of(comp: Any) -> str:
    purl = comp.purl or ""
    if purl.startswith(("pkg:githubactions/", "pkg:github/", "pkg:docker/", "pkg:oci/")) or \
            comp.ref.startswith(("action:", "image:")):
        return "pipeline"
    if comp.type == "library":
        return "libraries"
    if comp.type == "machine-learning-model":
        return "models"
    return "datasets"


def node_of(comp: Any) -> dict[str, Any]:
    """One map node (JSON-ready) for one inventory component."""
    layer = _layer_of(comp)
    places = sorted({_place(p, line) for p, line in comp.origins})
    node: dict[str, Any] = {"id": comp.ref, "layer": layer, "name": comp.name}
    if comp.group:
        node["name"] = f"{comp.group}/{comp.name}"
    if comp.version:
        node["version"] = comp.version
    if comp.purl:
        node["purl"] = comp.purl
    node["places"] = places
    if layer == "libraries":
        node["pinned"] = bool(comp.pinned)
        node["hashed"] = bool(comp.hashes)
        node["scope"] = comp.scope
    else:
        repo_id = _prop(comp, "mlwarden:huggingface:repo-id")
        if repo_id:
            node["source"] = "huggingface"
            node["name"] = repo_id
            node["pinned"] = bool(comp.pinned)
            rev = _prop(comp, "mlwarden:huggingface:revision")
            if rev:
                node["revision"] = rev
        fmt = _prop(comp, "mlwarden:model:format")
        if fmt:
            node["source"] = "file"
            node["path"] = comp.name
            node["format"] = fmt
            node["verdict"] = _prop(comp, "mlwarden:scan:verdict") or "unknown"
            size = _prop(comp, "mlwarden:file:size")
            if size and size.isdigit():
                node["size"] = int(size)
            sha = sorted(v for alg, v in comp.hashes if alg == "SHA-256")
            if sha:
                node["sha256"] = sha[0]
        for key in ("lock", "signature"):
            val = _prop(comp, f"mlwarden:{key}")
            if val:
                node[key] = val
        if layer == "pipeline":
            node["pinned"] = bool(comp.pinned) and "@" in (comp.purl or comp.ref)
    return node


def build(ctx: Any, findings: Sequence[Any] = ()) -> dict[str, Any]:
    """The map of the tree ``ctx`` walks (a check Context of the scan run); ``findings`` of the run add the
    URLs that code, scripts and CI download from (download rules name the URL in their message)."""
    from mlwarden.checks.sbom import GenerateSbom
    from mlwarden.checks.sbom.collect import Inventory

    inv = Inventory(project_name="project")
    gen = GenerateSbom()
    gen._dependencies(ctx, inv)
    gen._models(ctx, inv, ctx.root / ".mlwarden-no-sbom-target")
    refs = _hub(ctx, inv)
    _pipeline(ctx, inv)
    nodes = [node_of(c) for c in inv.sorted_components()]
    by_place: dict[str, list[str]] = {}
    for n in nodes:
        for p in n["places"]:
            by_place.setdefault(p, []).append(n["id"])
    edges: set[tuple[str, str, int]] = set()
    code: dict[str, dict[str, Any]] = {}
    for path, line, ref in refs:
        code.setdefault(path, {"id": f"code:{path}", "layer": "code", "name": path, "path": path,
                               "places": [path]})
        edges.add((f"code:{path}", ref, line))
    local = {n["path"]: n["id"] for n in nodes if n.get("source") == "file"}
    for path, line, target in _local_loads(ctx, local):
        code.setdefault(path, {"id": f"code:{path}", "layer": "code", "name": path, "path": path,
                               "places": [path]})
        edges.add((f"code:{path}", target, line))
    for extra in _dvc_files(ctx):
        nodes.append(extra)
    for node, code_path, line in _downloads(findings):
        if node["id"] not in {n["id"] for n in nodes}:
            nodes.append(node)
        else:
            same = next(n for n in nodes if n["id"] == node["id"])
            same["places"] = sorted(set(same["places"]) | set(node["places"]))
        if code_path:
            code.setdefault(code_path, {"id": f"code:{code_path}", "layer": "code", "name": code_path,
                                        "path": code_path, "places": [code_path]})
            edges.add((f"code:{code_path}", node["id"], line))
    _lock_status(ctx, nodes)
    nodes.extend(code[k] for k in sorted(code))
    nodes.sort(key=lambda n: (n["layer"], n["name"], n["id"]))
    return {
        "layers": [{"id": k, "title": t} for k, t in LAYERS],
        "nodes": nodes,
        "edges": [{"from": a, "to": b, "line": line} for a, b, line in sorted(edges)],
    }


def _hub(ctx: Any, inv: Any) -> list[tuple[str, int, str]]:
    """Hub references into the inventory; returns (code path, line, component ref) for the edges."""
    try:
        from mlwarden.checks.unsafe_loads import hub_references
    except ImportError:
        return []
    from mlwarden.checks.sbom.collect import add_component, hub_component
    from mlwarden.core.errors import MlwardenError

    out: list[tuple[str, int, str]] = []
    for f in ctx.files(lambda rel: rel.lower().endswith(_CODE_SUFFIXES)):
        display = ctx.display(f)
        if not display.lower().endswith(_CODE_SUFFIXES):
            continue
        try:
            found = hub_references(f, display)
        except (OSError, MlwardenError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for r in found:
            repo_id = str(getattr(r, "repo_id", "") or "")
            if not repo_id:
                continue
            revision = getattr(r, "revision", None)
            comp = hub_component(str(getattr(r, "kind", "model") or "model"), repo_id,
                                 str(revision) if revision else None, bool(getattr(r, "pinned", False)),
                                 display, getattr(r, "line", None))
            add_component(inv, comp)
            out.append((display, int(getattr(r, "line", 0) or 0), comp.ref))
    return out


def _pipeline(ctx: Any, inv: Any) -> None:
    """CI actions and container images, when the pipeline check offers them to the inventory."""
    try:
        from mlwarden.checks import pipeline as _pl
    except ImportError:
        return
    add = getattr(_pl, "add_to_inventory", None)
    if callable(add):
        try:
            add(ctx, inv)
        except Exception:  # the map is a view: a failure here never fails the scan
            return


def _local_loads(ctx: Any, local: dict[str, str]) -> Iterable[tuple[str, int, str]]:
    """(code path, line, node id) where code names a model/data file of the tree by its file name."""
    if not local or len(local) > MAX_LOCAL_NAMES:
        return []
    by_name: dict[str, list[str]] = {}
    for path, ref in local.items():
        by_name.setdefault(path.rsplit("/", 1)[-1], []).append(ref)
    pattern = re.compile("|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True)).encode())
    out: list[tuple[str, int, str]] = []
    for f in ctx.files(lambda rel: rel.lower().endswith(_CODE_SUFFIXES)):
        display = ctx.display(f)
        try:
            with open(f, "rb") as fh:
                data = fh.read(4 * 1024 * 1024)
        except OSError:
            continue
        if not _LOAD_HINT.search(data):
            continue
        for m in pattern.finditer(data):
            name = m.group(0).decode("utf-8", "replace")
            before = data[m.start() - 1:m.start()] if m.start() else b""
            if before and (before.isalnum() or before in b"_-."):
                continue  # part of a longer name
            line = data.count(b"\n", 0, m.start()) + 1
            for ref in _closest(display, by_name[name]):
                out.append((display, line, ref))
    return out


def _closest(code_path: str, refs: Sequence[str]) -> list[str]:
    """Among same-named files, the ones nearest the code that names them (shared folder prefix)."""
    if len(refs) == 1:
        return list(refs)
    folder = code_path.rsplit("/", 1)[0] if "/" in code_path else ""

    def shared(ref: str) -> int:
        path = ref.split(":", 1)[1]
        n = 0
        for a, b in zip(folder.split("/"), path.split("/")[:-1], strict=False):
            if a != b:
                break
            n += 1
        return n

    best = max(shared(r) for r in refs)
    return sorted(r for r in refs if shared(r) == best)


DOWNLOAD_SLUGS = frozenset({"insecure-download", "download-unverified", "download-insecure",
                            "hf-download-unpinned", "docker-add-remote-no-checksum"})
_URL = re.compile(r"(?:https?|s3|gs)://[^\s`'\"<>()]+")
MODEL_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".safetensors", ".onnx", ".gguf", ".h5", ".keras", ".pkl",
                  ".joblib", ".pb", ".tflite", ".mar", ".nemo")


def _downloads(findings: Sequence[Any]) -> list[tuple[dict[str, Any], str | None, int]]:
    """URL nodes from download findings: (node, code path for an edge or None, line)."""
    out = []
    for f in findings:
        if getattr(f.rule, "slug", "") not in DOWNLOAD_SLUGS:
            continue
        m = _URL.search(f.message)
        if m is None:
            continue
        url = m.group(0).rstrip(".,;:")
        bare = url.split("?", 1)[0].split("#", 1)[0].lower()
        layer = "models" if bare.endswith(MODEL_SUFFIXES) else "datasets"
        place = f"{f.path}:{f.line}" if f.line else f.path
        node = {"id": f"url:{url}", "layer": layer, "name": url, "source": "url",
                "secure": url.startswith("https://"), "places": [place]}
        code_path = f.path if f.path.lower().endswith(_CODE_SUFFIXES) else None
        out.append((node, code_path, int(f.line or 0)))
    return out


def _lock_status(ctx: Any, nodes: list[dict[str, Any]]) -> None:
    """With an ``mlwarden.lock`` at the root: is each model/data file locked (and unchanged), signed, and
    each Hub reference locked to a commit?"""
    try:
        from mlwarden.checks.verify import lockfile
    except ImportError:
        return
    path = ctx.root / lockfile.LOCK_NAME
    if not path.is_file():
        return
    try:
        lock = lockfile.read(path, lockfile.LOCK_NAME)
    except Exception:  # an unreadable lock is verify-artifacts' finding; the map just says nothing
        return
    hub = lock.hub_refs()
    for n in nodes:
        if n.get("source") == "file":
            art = lock.owner(n["path"])
            if art is None:
                n["lock"] = "not in mlwarden.lock"
                continue
            rel = "." if art.kind == "file" else n["path"][len(art.path) + 1:]
            entry = art.file_map().get(rel)
            same = entry is not None and entry.sha256 == n.get("sha256")
            n["lock"] = "locked" if same else "changed since locked"
            if art.signature:
                n["signature"] = art.signature + (f" (signer {art.signer})" if art.signer else "")
        elif n.get("source") == "huggingface":
            kind = "dataset" if n["layer"] == "datasets" else "model"
            ref = hub.get(f"{kind}:{n['name']}")
            n["lock"] = f"locked at {ref.revision[:12]}" if ref is not None and ref.revision else \
                "not in mlwarden.lock"


def _dvc_files(ctx: Any) -> list[dict[str, Any]]:
    """DVC-tracked data (``*.dvc`` files) as dataset nodes."""
    out = []
    for f in ctx.files(lambda rel: rel.endswith(".dvc")):
        display = ctx.display(f)
        if not display.endswith(".dvc") or not Path(f).is_file():
            continue
        out.append({"id": f"dvc:{display}", "layer": "datasets", "name": display[:-4], "source": "dvc",
                    "path": display, "places": [display]})
    return out
