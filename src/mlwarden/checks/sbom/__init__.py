"""generate-sbom: a byte-stable CycloneDX 1.6 ML-BOM (or SPDX 2.3) of the packages, model files and Hugging
Face models/datasets a project uses, kept current like a formatter keeps code formatted.

It writes the SBOM file and reports ``sbom-stale`` (exit 1, file listed as rewritten) when the file
changed; with ``--check`` it only reports. Everything comes from the project's own files: manifests and
lock files (via ``mlwarden.sources``), model files (via scan-models' sniffer and scanner), and Hub
references in code (via check-unsafe-loads). Nothing scanned is imported or executed.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from mlwarden.checks.base import Check, Context
from mlwarden.checks.sbom.rules import (
    COMPONENT_UNPINNED,
    HUB_UNPINNED,
    INVALID,
    MODEL_FLAGGED,
    RULES,
    STALE,
)
from mlwarden.core.errors import MlwardenError, UsageError
from mlwarden.core.findings import Finding
from mlwarden.core.options import Option

DEFAULT_FILES = {"cyclonedx": "sbom.cdx.json", "spdx": "sbom.spdx.json"}
GITLAB_FILE = "gl-sbom-pypi-mlwarden.cdx.json"
_CODE_SUFFIXES = (".py", ".pyi", ".ipynb")


def _source_date_epoch() -> str | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip())
        stamp = _dt.datetime.fromtimestamp(value, tz=_dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH must be an integer number of seconds, not {raw!r}") from None
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _optional_api(module: str, names: tuple[str, ...]) -> tuple[Any, ...] | None:
    """Functions another check exports for this one, or None while that check is not in the build."""
    import importlib

    try:
        mod = importlib.import_module(module)
        return tuple(getattr(mod, n) for n in names)
    except (ImportError, AttributeError):
        return None


def _now() -> str:
    return _dt.datetime.now(tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def project_identity(root: Path, override: str | None) -> tuple[str, str | None]:
    """The project's name and version as its pyproject.toml states them (static values only)."""
    if override:
        return override, None
    py = root / "pyproject.toml"
    try:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        data = tomllib.loads(py.read_text(encoding="utf-8")) if py.is_file() else {}
    except (OSError, ValueError, UnicodeDecodeError):
        data = {}
    for table in (data.get("project"), data.get("tool", {}).get("poetry") if isinstance(data.get("tool"),
                                                                                      dict) else None):
        if isinstance(table, dict) and isinstance(table.get("name"), str) and table["name"].strip():
            version = table.get("version")
            dynamic = table.get("dynamic")
            if isinstance(dynamic, list) and "version" in dynamic:
                version = None
            return table["name"].strip(), version if isinstance(version, str) and version.strip() else None
    return "project", None


class GenerateSbom(Check):
    name: ClassVar[str] = "generate-sbom"
    description: ClassVar[str] = (
        "Write a byte-stable CycloneDX 1.6 ML-BOM (or SPDX 2.3) of the project's packages, model files and "
        "Hugging Face references; exit 1 when it changed.")
    rules = RULES
    options: ClassVar[tuple[Option, ...]] = (
        Option("sbom-file", "str", None, "SBOM file to write (default sbom.cdx.json, sbom.spdx.json with "
               "--spec spdx, gl-sbom-pypi-mlwarden.cdx.json with --gitlab; --output also works when "
               "--sbom-file is not given)", metavar="PATH", writes=True),
        Option("spec", "str", "cyclonedx", "SBOM standard: cyclonedx (CycloneDX 1.6 JSON) or spdx "
               "(SPDX 2.3 JSON)", choices=("cyclonedx", "spdx"), metavar="SPEC"),
        Option("check", "bool", False, "only report whether the SBOM file is current (exit 1 if stale); "
               "never write it"),
        Option("write", "bool", False, "under pre-commit, also create the SBOM file when the repository has "
               "none yet (by default the hook only keeps a committed SBOM current)"),
        Option("reproducible", "bool", True, "leave the mlwarden version out of the SBOM so upgrading "
               "mlwarden does not rewrite it (--no-reproducible records it)"),
        Option("timestamp", "bool", False, "record the generation time (SOURCE_DATE_EPOCH when set, else "
               "now); makes every run differ unless SOURCE_DATE_EPOCH is fixed"),
        Option("validate", "bool", False, "validate the document before writing it (CycloneDX 1.6 schema "
               "with jsonschema; SPDX with spdx-tools)"),
        Option("gitlab", "bool", False, "name the file gl-sbom-pypi-mlwarden.cdx.json, the name GitLab's "
               "CycloneDX report artifact expects"),
        Option("models", "bool", True, "include model and data files found in the tree (with SHA-256, "
               "size, format and scan verdict)"),
        Option("hub-references", "bool", True, "include Hugging Face models and datasets referenced in "
               "Python code and notebooks"),
        Option("project-name", "str", None, "name of the project component (default: pyproject.toml's "
               "name, else \"project\")", metavar="NAME"),
    )

    def run(self, ctx: Context) -> Iterator[Finding]:
        from mlwarden.checks.sbom.collect import Inventory

        spec = ctx.opt("spec")
        target = self.target_path(ctx)
        target_display = ctx.display(target)
        name, version = project_identity(ctx.root, ctx.opt("project-name"))
        inv = Inventory(project_name=name, project_version=version)
        findings: list[Finding] = []
        findings += self._dependencies(ctx, inv)
        if ctx.opt("models"):
            findings += self._models(ctx, inv, target)
        if ctx.opt("hub-references"):
            findings += self._hub(ctx, inv)
        pipeline = _optional_api("mlwarden.checks.pipeline", ("add_to_inventory",))
        if pipeline is not None:  # CI actions and container images (check-pipeline's inventory)
            pipeline[0](ctx, inv)
        findings += self._unpinned(inv)
        if ctx.opt("gitlab") and spec == "cyclonedx":
            from mlwarden.checks.sbom.collect import add_gitlab_properties

            add_gitlab_properties(inv)
        tool_version = None
        if not ctx.opt("reproducible"):
            from mlwarden import __version__
            tool_version = __version__
        stamp = _source_date_epoch()
        if ctx.opt("timestamp") and stamp is None:
            stamp = _now()
        if spec == "spdx":
            from mlwarden.checks.sbom import spdx
            text = spdx.render(inv, tool_version=tool_version, created=stamp)
        else:
            from mlwarden.checks.sbom import cyclonedx
            text = cyclonedx.render(inv, tool_version=tool_version, timestamp=stamp)
        ctx.meta["sbom"] = {"file": target_display, "spec": spec, "components": len(inv.components)}
        if ctx.opt("validate"):
            problems = self._validate(spec, text)
            if problems:
                for msg in problems[:20]:
                    findings.append(Finding(INVALID, target_display, msg))
                yield from findings
                return
        data = text.encode("utf-8")
        current: bytes | None = None
        size = 0
        try:
            if target.is_file():
                size = target.stat().st_size
                # read at most what a current file could hold (LF or CRLF); a bigger file is stale anyway
                with target.open("rb") as fh:
                    current = fh.read(min(size, len(data) + text.count("\n") + 1))
        except OSError as exc:
            raise MlwardenError(f"cannot read: {exc.strerror}", path=target_display) from None
        if current is not None and b"\r\n" in current:
            text = text.replace("\n", "\r\n")  # keep the committed file's line endings (autocrlf checkouts)
            data = text.encode("utf-8")
        if current is not None and len(current) < size:
            current += b"\0"  # truncated read of a larger file: it differs from data
        if current != data:
            what = "does not exist" if current is None else "is out of date"
            if current is None and not ctx.opt("check") and os.environ.get("PRE_COMMIT") == "1" \
                    and not ctx.opt("write"):
                # a hook never adds a file the user did not ask for (pre-commit try-repo on any repository)
                ctx.note(f"generate-sbom: no SBOM ({target_display}) in this repository: create it with "
                         "`mlwarden generate-sbom` and commit it, or set write = true in "
                         "[tool.mlwarden.generate-sbom]")
                yield from findings
                return
            if ctx.opt("check"):
                findings.append(Finding(STALE, target_display, f"the SBOM {what}",
                                        hint="run generate-sbom without --check and commit the file"))
            else:
                from mlwarden.core.fileio import atomic_write_bytes

                if not target.parent.is_dir():
                    raise UsageError(f"folder of the SBOM file does not exist: {target.parent}")
                atomic_write_bytes(target, data)
                ctx.rewritten.append(target_display)
                findings.append(Finding(STALE, target_display,
                                        f"the SBOM {what}: {'wrote' if current is None else 'rewrote'} it "
                                        f"({len(inv.components)} components)",
                                        hint="commit the updated SBOM"))
        yield from findings

    @staticmethod
    def claims_output(options: Any) -> bool:
        """True when ``--output`` names the SBOM (no ``--sbom-file``): the CLI should then send the findings
        report to standard output instead of that file."""
        return bool(options.get("output")) and not options.get("sbom-file")

    # ---------------------------------------------------------------------------------------- helpers

    @staticmethod
    def target_path(ctx: Context) -> Path:
        explicit = ctx.opt("sbom-file")
        if not explicit:
            explicit = ctx.options.get("output")
        if not explicit:
            explicit = GITLAB_FILE if ctx.opt("gitlab") else DEFAULT_FILES[ctx.opt("spec")]
        path = Path(explicit)
        return path if path.is_absolute() else ctx.root / path

    @staticmethod
    def _dependencies(ctx: Context, inv: Any) -> list[Finding]:
        from mlwarden.checks.sbom.collect import add_dependencies
        from mlwarden.core.rules import UNREADABLE
        from mlwarden.sources import is_manifest
        from mlwarden.sources.project import read_one, unreadable

        manifests = []
        out: list[Finding] = []
        for f in ctx.files(is_manifest):
            display = ctx.display(f)
            if not is_manifest(display):
                continue  # an explicit non-manifest argument (a model file, a script)
            m = read_one(f, display)
            if unreadable(m):
                if m.meta.get("no_reader"):
                    ctx.note(f"{display}: no reader for this format yet; its dependencies are not in "
                             "the SBOM")
                else:
                    msg = m.problems[0].message if m.problems else "cannot read"
                    out.append(Finding(UNREADABLE, display, f"{msg}; its dependencies are not in the SBOM"))
                continue
            manifests.append(m)
        add_dependencies(inv, manifests)
        return out

    @staticmethod
    def _models(ctx: Context, inv: Any, target: Path) -> list[Finding]:
        api = _optional_api("mlwarden.checks.models", ("sniff", "scan_file", "ScanModels"))
        if api is None:
            ctx.note("scan-models is not available in this build: model files are not in the SBOM")
            return []
        sniff, scan_file, scan_models = api
        try:  # sniff exactly the files scan-models would look at
            walk_match = scan_models().matcher()
        except Exception:  # any failure: fall back to our own filter
            walk_match = None
        from mlwarden.checks.sbom.collect import (
            add_component,
            file_digest,
            model_card_facts,
            model_component,
            verdict_of,
        )
        from mlwarden.sources import is_manifest

        out: list[Finding] = []
        cache: dict[Path, dict[str, str]] = {}
        lock = _optional_api("mlwarden.checks.verify.sbomlink", ("LockView", "annotate", "file_digest"))
        if lock is not None:  # digests shared with verify-artifacts; provenance from mlwarden.lock
            lock_view, annotate, file_digest = lock[0](ctx.root), lock[1], lock[2]
        try:
            target_resolved = target.resolve()
        except OSError:
            target_resolved = target
        for f in ctx.files(walk_match):
            display = ctx.display(f)
            if is_manifest(display) or f.suffix.lower() in _CODE_SUFFIXES:
                continue
            try:
                if f.resolve() == target_resolved:
                    continue
                fmt = sniff(f)
            except (OSError, MlwardenError):
                continue
            if not fmt:
                continue
            try:
                fmt2, scan_findings = scan_file(f, display)
                digest, size = file_digest(f)
            except (OSError, MlwardenError) as exc:
                from mlwarden.core.rules import UNREADABLE

                reason = getattr(exc, "strerror", None) or str(exc)
                out.append(Finding(UNREADABLE, display, f"cannot read: {reason}"))
                continue
            verdict = verdict_of(scan_findings)
            comp = model_component(display, str(fmt2 or fmt), digest, size, verdict,
                                   model_card_facts(f.parent, cache))
            if lock is not None:
                annotate(comp, display, lock_view, digest)
            add_component(inv, comp)
            if verdict != "clean":
                out.append(Finding(MODEL_FLAGGED, display,
                                   f"recorded in the SBOM with scan verdict {verdict!r}",
                                   hint="run scan-models on it for the details"))
        return out

    @staticmethod
    def _hub(ctx: Context, inv: Any) -> list[Finding]:
        api = _optional_api("mlwarden.checks.unsafe_loads", ("hub_references",))
        if api is None:
            ctx.note("check-unsafe-loads is not available in this build: Hugging Face references are not "
                     "in the SBOM")
            return []
        (hub_references,) = api
        from mlwarden.checks.sbom.collect import add_component, hub_component

        out: list[Finding] = []
        for f in ctx.files(lambda rel: rel.lower().endswith((".py", ".ipynb"))):
            display = ctx.display(f)
            if not display.lower().endswith((".py", ".ipynb")):
                continue
            try:
                refs = hub_references(f, display)
            except (OSError, MlwardenError, SyntaxError, ValueError, RecursionError):
                continue  # check-unsafe-loads reports unreadable sources itself
            for r in refs:
                repo_id = str(getattr(r, "repo_id", "") or "")
                if not repo_id:
                    continue
                kind = str(getattr(r, "kind", "model") or "model")
                revision = getattr(r, "revision", None)
                comp = hub_component(kind, repo_id, str(revision) if revision else None,
                                     bool(getattr(r, "pinned", False)), display, getattr(r, "line", None))
                add_component(inv, comp)
        for comp in inv.components.values():
            if comp.type in ("machine-learning-model", "data") and comp.ref.startswith("huggingface:"):
                path, line = min(comp.origins, key=lambda o: (o[0], o[1] or 0))
                out.append(Finding(HUB_UNPINNED, path, f"{comp.ref.split(':', 2)[2]} is recorded without a "
                                   "commit (no pkg:huggingface purl)", line=line,
                                   hint="pin revision=\"<40-hex commit>\""))
        return out

    @staticmethod
    def _unpinned(inv: Any) -> list[Finding]:
        out = []
        for comp in inv.sorted_components():
            if comp.type != "library" or comp.pinned:
                continue
            path, line = min(comp.origins, key=lambda o: (o[0], o[1] or 0))
            out.append(Finding(COMPONENT_UNPINNED, path, f"{comp.name} has no exact version: the SBOM names "
                               "it without one", line=line, hint="pin it with == or lock the project"))
        return out

    @staticmethod
    def _validate(spec: str, text: str) -> list[str]:
        import json

        from mlwarden.checks.sbom import validate

        if spec == "spdx":
            return validate.spdx_errors(text)
        return validate.errors(json.loads(text), validate.load_validator())
