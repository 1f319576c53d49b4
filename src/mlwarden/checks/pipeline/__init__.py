"""check-pipeline: the build pipeline as a supply chain.

GitHub workflows and actions, GitLab CI (with local includes), Dockerfiles, shell scripts and Makefiles,
and the shell inside ``run:``, ``script:`` and ``RUN``: actions and images not pinned, privileged triggers
running PR code, expression injection, ``curl | sh``, unverified or http downloads of models and data,
unpinned Hub downloads, pip installs on command lines, public buckets. Everything is parsed statically;
nothing is run. ``--fix-pins`` (network) resolves action tags to commits and image tags to digests.

Layers: ``ynodes``/``expr``/``shell``/``dockerfile``/``images`` parse; ``commands`` holds the rules over
shell commands; ``gha``/``gitlab``/``files`` are the front ends per file kind; this module dispatches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlwarden.checks.base import Check, Context
from mlwarden.checks.pipeline.rules import RULES
from mlwarden.core.errors import MlwardenError
from mlwarden.core.files import Matcher, excluded
from mlwarden.core.findings import Finding, Rule, Severity
from mlwarden.core.options import Option
from mlwarden.core.rules import UNREADABLE

MAX_BYTES = 8 * 1024 * 1024


class CheckPipeline(Check):
    name = "check-pipeline"
    description = (
        "Check CI workflows (GitHub Actions, GitLab CI), Dockerfiles, shell scripts and Makefiles: "
        "actions and images pinned to commits and digests, no privileged triggers running PR code "
        "or expression injection, no `curl | sh`, verified https downloads of models and data, "
        "Hub downloads at a commit, pinned command-line installs, private buckets."
    )
    rules = RULES
    options = (
        Option(
            "trusted-owners",
            "list",
            (),
            "GitHub owners whose actions may be used at tags (e.g. your own organisation)",
            metavar="OWNER",
        ),
        Option(
            "trusted-registries",
            "list",
            (),
            "registries or image prefixes whose tags are immutable (e.g. registry.internal, ghcr.io/myorg)",
            metavar="REGISTRY",
        ),
        Option(
            "trusted-hosts",
            "list",
            (),
            "download hosts verified elsewhere (downloads and `| sh` from them are not reported)",
            metavar="HOST",
        ),
        Option(
            "trusted-indexes",
            "list",
            (),
            "package index URLs accepted in --extra-index-url/--find-links",
            metavar="URL",
        ),
        Option(
            "non-minimal-base",
            "bool",
            False,
            "report full-distribution base images (docker-non-minimal-base)",
        ),
        Option(
            "fix-pins",
            "bool",
            False,
            "rewrite action tags to commit SHAs (keeping `# tag`) and image tags "
            "to digests (uses the network)",
        ),
        Option(
            "github-url",
            "str",
            "https://github.com",
            "git server the actions are resolved on with --fix-pins",
            metavar="URL",
        ),
        Option("timeout", "float", 30.0, "network timeout in seconds for --fix-pins", metavar="SECONDS"),
    )

    def matcher(self) -> Matcher | None:
        from mlwarden.checks.pipeline.files import matcher

        return matcher

    def run(self, ctx: Context) -> Iterator[Finding]:
        from mlwarden.checks.pipeline.files import is_shell_script, kind_of

        options = dict(ctx.options)
        todo: list[tuple[Path, str, str]] = []
        seen: set[str] = set()
        for f in ctx.files(self.matcher()):
            display = ctx.display(f)
            kind = kind_of(display) or kind_of(f.name)
            if kind is None and display.lower().endswith((".yml", ".yaml")):
                kind = _yaml_kind(f, display)
                if kind is None:
                    continue
            if kind == "maybe-shell" or kind is None:
                if not is_shell_script(f):
                    continue
                kind = "shell"
            if display not in seen:
                seen.add(display)
                todo.append((f, display, kind))
        if options.get("fix-pins"):
            from mlwarden.checks.pipeline.fixpins import fix_files

            fix_files(ctx, [(f, d) for f, d, k in todo if k in ("workflow", "action", "gitlab", "docker")])
        # local GitLab includes are GitLab CI files too
        requirements: dict[str, Path] = {}
        i = 0
        while i < len(todo):
            f, display, kind = todo[i]
            installs: list[str] = []
            options["_installs"] = installs
            findings, includes = _check_file(f, display, kind, options)
            yield from findings
            for wanted in installs:
                found = _installed_file(ctx, f, wanted)
                if found is not None:
                    requirements.setdefault(ctx.display(found), found)
            for inc in includes:
                included = _local_include(ctx, inc)
                if included is not None:
                    d = ctx.display(included)
                    if d not in seen and not excluded(d, ctx.exclude):
                        seen.add(d)
                        todo.append((included, d, "gitlab"))
            i += 1
        yield from _installed_requirements(ctx, requirements, options)


def add_to_inventory(ctx: Any, inv: Any) -> None:
    """CI actions and container images as SBOM components (used by generate-sbom and the supply map)."""
    from mlwarden.checks.pipeline.inventory import add_to_inventory as add

    add(ctx, inv)


def _installed_file(ctx: Context, script: Path, target: str) -> Path | None:
    """The file a ``pip install -r TARGET`` names, looked up beside the script and at the root (inside the
    tree only)."""
    if not target or "$" in target or "\x00" in target or target.startswith(("http://", "https://")):
        return None
    root = ctx.root.resolve()
    for base in (script.parent, ctx.root):
        cand = base / target.lstrip("/") if target.startswith("/") and base is ctx.root else base / target
        try:
            real = cand.resolve()
            real.relative_to(root)
        except (OSError, ValueError):
            continue
        if real.is_file() and not cand.is_symlink():
            return real
    return None


def _installed_requirements(
    ctx: Context, files: dict[str, Path], options: dict[str, Any]
) -> Iterator[Finding]:
    """Requirement files the pipeline installs with ``-r`` under a name check-pins does not look for
    (``deps.txt``, ``ci/pip.lst``) are read with check-pins' own reader and rules; files check-pins finds
    by name are left to it (no finding twice in ``mlwarden scan``)."""
    try:
        from mlwarden.checks.pins.reqrules import check_requirements
        from mlwarden.sources import is_manifest, read
    except ImportError:  # pragma: no cover - check-pins not in this build
        return
    done: set[str] = set()
    for display, path in sorted(files.items()):
        if is_manifest(display) or excluded(display, ctx.exclude) or display in done:
            continue
        try:
            manifest = read(path, display, fmt="requirements")
        except MlwardenError as exc:
            yield Finding(rule=UNREADABLE, path=display, message=str(exc), hint="fix the file")
            continue
        pins_options = {"trusted-indexes": options.get("trusted-indexes") or (), "require-hashes": False}
        yield from check_requirements(manifest, pins_options, done)


def _yaml_kind(path: Path, display: str) -> str | None:
    """A YAML file named outside the usual places: a workflow if it sits in a ``workflows`` folder whose
    parent is ``.github`` (resolved), else not ours."""
    try:
        parts = path.resolve().parts
    except OSError:
        return None
    if len(parts) >= 3 and parts[-2] == "workflows" and parts[-3] == ".github":
        return "workflow"
    return None


def _local_include(ctx: Context, inc: str) -> Path | None:
    if any(c in inc for c in "*?[$"):
        return None
    target = (ctx.root / inc.lstrip("/")).resolve()
    try:
        target.relative_to(ctx.root.resolve())
    except ValueError:
        return None  # never outside the tree
    return target if target.is_file() and not target.is_symlink() else None


def _check_file(
    path: Path, display: str, kind: str, options: dict[str, Any]
) -> tuple[list[Finding], list[str]]:
    out: list[Finding] = []
    includes: list[str] = []

    def emit(
        rule: Rule, line: int | None, message: str, hint: str = "", severity: Severity | None = None
    ) -> None:
        out.append(Finding(rule=rule, path=display, message=message, severity=severity, line=line, hint=hint))

    def unreadable(message: str, line: int | None = None) -> tuple[list[Finding], list[str]]:
        return [
            Finding(
                rule=UNREADABLE,
                path=display,
                message=message,
                line=line,
                hint="fix the file or exclude it; nothing in it was checked",
            )
        ], []

    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return unreadable(f"cannot read: {exc.strerror}")
    if len(data) > MAX_BYTES:
        return unreadable(f"larger than {MAX_BYTES // (1024 * 1024)} MiB, not checked")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if kind in ("shell", "make"):
            text = data.decode("utf-8", "replace")
        else:
            return unreadable(f"not UTF-8 text (byte {exc.start})")
    if "\x00" in text:
        if kind in ("shell", "make"):
            return [], []  # a binary file without an extension
        return unreadable("binary content (NUL bytes)")
    try:
        if kind in ("workflow", "action", "gitlab"):
            from mlwarden.checks.pipeline import ynodes as Y

            try:
                root = Y.compose(text)
            except Y.YamlError as exc:
                return unreadable(str(exc), exc.line)
            if root is None:
                return [], []
            if not isinstance(root, Y.MappingNode):
                return unreadable("not a YAML mapping")
            if kind == "workflow":
                from mlwarden.checks.pipeline.gha import check_workflow

                check_workflow(display, root, options, emit)
            elif kind == "action":
                from mlwarden.checks.pipeline.gha import check_action

                check_action(display, root, options, emit)
            else:
                from mlwarden.checks.pipeline.gitlab import check_gitlab, local_includes

                check_gitlab(display, root, options, emit)
                includes = local_includes(root)
        elif kind == "docker":
            from mlwarden.checks.pipeline.files import check_dockerfile

            check_dockerfile(display, text, options, emit)
        elif kind == "make":
            from mlwarden.checks.pipeline.files import check_makefile

            check_makefile(display, text, options, emit)
        else:
            from mlwarden.checks.pipeline.files import check_shell

            check_shell(display, text, options, emit)
    except RecursionError:
        return unreadable("nested too deeply to check")
    return out, includes
