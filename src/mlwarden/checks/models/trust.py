"""Trust what the project declares, and only that.

A class outside the allowlist that a pickle only rebuilds as an object (or passes along as a value) is
``pickle-object-unknown`` (medium). When the class belongs to a package the scanned project itself declares
or locks (read with the shared dependency model from the manifests under the scan root), the project
already runs that package's code: the finding drops to info and says so. Calls (REDUCE with arguments),
gadgets and planted special attributes are never lowered, and a scan without a manifest stays strict.
Nothing here looks at what is installed beside the scanner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from mlwarden.core.findings import Finding, Severity

# distribution names whose import name is not the distribution name with '-' -> '_'
_IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    "scikit-learn": ("sklearn",),
    "sklearn": ("sklearn",),
    "pytorch": ("torch",),  # conda
    "pytorch-cpu": ("torch",),
    "pytorch-gpu": ("torch",),
    "torch": ("torch",),
    "lightning": ("lightning", "lightning_fabric", "pytorch_lightning"),
    "lightning-fabric": ("lightning_fabric",),
    "pytorch-lightning": ("pytorch_lightning",),
    "pillow": ("PIL",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "opencv-contrib-python": ("cv2",),
    "pyyaml": ("yaml",),
    "python-dateutil": ("dateutil",),
    "scikit-image": ("skimage",),
    "umap-learn": ("umap",),
    "hydra-core": ("hydra",),
    "tf-keras": ("tf_keras",),
    "tensorflow-cpu": ("tensorflow",),
    "tensorflow-gpu": ("tensorflow",),
    "faiss-cpu": ("faiss",),
    "faiss-gpu": ("faiss",),
    "attrs": ("attr", "attrs"),
    "beautifulsoup4": ("bs4",),
    "protobuf": ("google.protobuf",),
    "sentencepiece": ("sentencepiece",),
    "huggingface-hub": ("huggingface_hub",),
    "ruamel-yaml": ("ruamel",),
    "mxnet-cu": ("mxnet",),
    "catboost-dev": ("catboost",),
    "spacy-legacy": ("spacy_legacy",),
}

_NORMALIZE = re.compile(r"[-_.]+")


def import_names(distribution: str) -> tuple[str, ...]:
    """Top-level import names a distribution provides (by convention; never by importing it)."""
    norm = _NORMALIZE.sub("-", distribution).lower()
    hit = _IMPORT_NAMES.get(norm)
    if hit is not None:
        return hit
    return (norm.replace("-", "_"),)


def declared_imports(distributions: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for name in distributions:
        if name:
            out.update(import_names(name))
    return frozenset(out)


def project_imports(ctx: Any) -> frozenset[str]:
    """Import names of every dependency declared or locked by the manifests under the scan root."""
    from mlwarden.sources.project import project_manifests

    try:
        manifests = project_manifests(
            [str(ctx.root)], root=ctx.root, exclude=tuple(ctx.exclude), use_git=ctx.use_git
        )
    except Exception:  # a manifest the readers cannot walk never turns trust on
        return frozenset()
    names: list[str] = []
    for m in manifests:
        names.extend(d.name for d in m.all_dependencies())
    return declared_imports(names)


def _declares(imports: frozenset[str], module: str) -> str | None:
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in imports:
            return head
    return None


def apply(findings: list[Finding], imports: frozenset[str]) -> list[Finding]:
    """Lower ``pickle-object-unknown`` findings whose class belongs to a declared package to info."""
    if not imports:
        return findings
    out: list[Finding] = []
    for f in findings:
        module = f.data.get("module")
        if f.rule.id == "MLW516" and isinstance(module, str) and f.data.get("use") in ("object", "reference"):
            pkg = _declares(imports, module)
            if pkg is not None and pkg not in ("__main__", "builtins"):
                data = dict(f.data)
                data["declared"] = pkg
                f = replace(
                    f,
                    severity=Severity.INFO,
                    message=f"{f.message} ({pkg} is a declared dependency of this project)",
                    data=data,
                )
        out.append(f)
    return out
