"""The explicit registry of checks. A new check is a module plus one line here; nothing registers itself
by import side effects, and a check's module is imported only when that check runs."""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlwarden.checks.base import Check

# hook id -> "module:attribute" of the Check subclass
REGISTRY: dict[str, str] = {
    "check-pins": "mlwarden.checks.pins:CheckPins",
    "check-typosquats": "mlwarden.checks.typosquats:CheckTyposquats",
    "scan-models": "mlwarden.checks.models:ScanModels",
    "check-unsafe-loads": "mlwarden.checks.unsafe_loads:CheckUnsafeLoads",
    "audit-deps": "mlwarden.checks.audit:AuditDeps",
    "generate-sbom": "mlwarden.checks.sbom:GenerateSbom",
    "check-pipeline": "mlwarden.checks.pipeline:CheckPipeline",
    "verify-artifacts": "mlwarden.checks.verify:VerifyArtifacts",
}


def load_check(name: str) -> Check:
    module, _, attr = REGISTRY[name].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls()  # type: ignore[no-any-return]


def available() -> list[str]:
    """Checks whose module is present (lets the CLI work while a check is still being built)."""
    out = []
    for name, target in REGISTRY.items():
        module = target.partition(":")[0]
        if importlib.util.find_spec(module) is not None:
            out.append(name)
    return out
