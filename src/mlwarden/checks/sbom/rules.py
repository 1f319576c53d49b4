"""generate-sbom rules (MLW7xx: SBOM)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

_C = "generate-sbom"

STALE = Rule(
    "MLW701", "sbom-stale", Severity.MEDIUM, "The committed SBOM does not match the project",
    "The SBOM file differs from what the project's manifests, lock files and model files describe now "
    "(or it does not exist yet). generate-sbom rewrites it (commit the new file); with `--check` it only "
    "reports. Run `generate-sbom` and commit the result.", check=_C)
COMPONENT_UNPINNED = Rule(
    "MLW702", "sbom-component-unpinned", Severity.INFO, "SBOM component without an exact version",
    "The dependency is not pinned to one version in any manifest or lock file, so the SBOM can only name "
    "it: its purl has no version and nothing says which release gets installed. Pin it (or lock the "
    "project) to make the SBOM describe what is deployed.", cwe=(1357,), check=_C)
HUB_UNPINNED = Rule(
    "MLW703", "sbom-hub-unpinned", Severity.INFO, "Hugging Face reference without a commit in the SBOM",
    "The model or dataset is referenced by a branch, tag or no revision at all, so the SBOM cannot name "
    "the files used (no `pkg:huggingface/...@<commit>` purl). Pass `revision=\"<40-hex commit>\"`.",
    cwe=(829,), check=_C)
MODEL_FLAGGED = Rule(
    "MLW704", "sbom-model-flagged", Severity.INFO, "Model file recorded with a non-clean scan verdict",
    "The file is listed in the SBOM with its scan verdict (`mlwarden:scan:verdict` = suspicious, "
    "malicious or unscannable). Run scan-models for the details; this finding only says the SBOM "
    "records it.", check=_C)
INVALID = Rule(
    "MLW705", "sbom-invalid", Severity.HIGH, "Generated SBOM failed schema validation",
    "With `--validate`, the document did not validate against the CycloneDX 1.6 JSON schema, so it was "
    "not written. This is a bug in mlwarden: please report it with the message.", check=_C)

RULES = (STALE, COMPONENT_UNPINNED, HUB_UNPINNED, MODEL_FLAGGED, INVALID)
