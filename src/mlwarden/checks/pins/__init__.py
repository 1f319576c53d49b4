"""check-pins: exact pins, hashes and index hygiene for every Python manifest and lock file.

Reads requirements/constraints files (with their ``-r``/``-c`` includes), pyproject.toml, uv.lock,
poetry.lock, Pipfile(.lock), pdm.lock, pylock.toml and conda environment files, statically: nothing is
resolved, installed or evaluated. ``--fix-hashes`` fills in ``--hash`` options from a package index
(the only time this check uses the network).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mlwarden.checks.base import Check, Context
from mlwarden.checks.pins.rules import RULES
from mlwarden.core.files import Matcher
from mlwarden.core.findings import Finding
from mlwarden.core.options import Option
from mlwarden.core.rules import UNREADABLE

if TYPE_CHECKING:
    from mlwarden.sources.model import Manifest


class CheckPins(Check):
    name = "check-pins"
    description = ("Check that every dependency is pinned to one exact version with hashes, that VCS and "
                   "URL requirements are immutable, and that index options do not invite dependency "
                   "confusion (requirements files, pyproject.toml and lock files).")
    rules = RULES
    options = (
        Option("trusted-indexes", "list", (),
               "index or find-links URL to accept (silences extra-index-url/extra-index/index-url/"
               "find-links for it and for URLs below it)", metavar="URL"),
        Option("require-hashes", "bool", False,
               "treat every requirement without --hash as a high-severity finding"),
        Option("fix-hashes", "bool", False,
               "fill in --hash options for '==' pins from the package index (uses the network)"),
        Option("index-url", "str", None,
               "index to take hashes from with --fix-hashes (default: pip's configured index, then the "
               "file's own --index-url/--extra-index-url)", metavar="URL"),
        Option("timeout", "float", 30.0, "network timeout in seconds for --fix-hashes", metavar="SECONDS"),
        Option("deadline", "float", 600.0, "overall time limit in seconds of --fix-hashes' network work "
               "(a slow or endless index ends in an error, exit 2)", metavar="SECONDS"),
    )

    def matcher(self) -> Matcher | None:
        from mlwarden.sources import is_manifest

        return is_manifest

    def run(self, ctx: Context) -> Iterator[Finding]:
        from mlwarden.sources import detect
        from mlwarden.sources.project import read_one

        options = dict(ctx.options)
        done: set[str] = set()
        files = list(ctx.files(self.matcher()))
        if options.get("fix-hashes"):
            from mlwarden.checks.pins.fixhashes import fix_files

            fix_files(ctx, files)
        manifests: list[Manifest] = []
        seen: set[str] = set()
        for f in files:
            display = ctx.display(f)
            if display in seen:
                continue
            seen.add(display)
            manifests.append(read_one(f, display))
        for m in manifests:  # the file's role (core.roles) words the hints; the core sets severities
            _set_roles(ctx, m)
        # pip's hash-checking mode spans a file and its includes, whichever of them is checked first
        hash_mode: set[str] = set()
        requirements = [m for m in manifests if not m.meta.get("unreadable")
                        and (m.format or detect(m.path) or "requirements") == "requirements"]
        req_ids = {id(m) for m in requirements}
        if requirements:
            from mlwarden.checks.pins.reqrules import check_requirements, hash_mode_paths

            for m in requirements:
                hash_mode |= hash_mode_paths(m)
        for manifest in manifests:
            display = manifest.path
            if display in done:  # already checked as an include of an earlier file
                continue
            if manifest.meta.get("unreadable"):
                if manifest.meta.get("no_reader"):
                    ctx.note(f"{display}: format {manifest.format!r} is not supported in this build; "
                             "skipped")
                    continue
                done.add(display)
                msg = manifest.problems[0].message if manifest.problems else "cannot read"
                yield Finding(rule=UNREADABLE, path=display, message=msg,
                              hint="fix the file or exclude it; nothing in it was checked")
                continue
            if id(manifest) in req_ids:
                yield from check_requirements(manifest, options, done, hash_mode)
            else:
                done.add(display)
                yield from _other_format(ctx, manifest, options)


def _set_roles(ctx: Context, manifest: Manifest) -> None:
    if "role" not in manifest.meta:
        manifest.meta["role"] = ctx.role(manifest.path).value
    for inc in manifest.included:
        _set_roles(ctx, inc)


def _other_format(ctx: Context, manifest: Manifest, options: dict[str, Any]) -> Iterator[Finding]:
    try:
        from mlwarden.checks.pins.manifests import check_manifest
    except ImportError:
        ctx.note(f"{manifest.path}: rules for {manifest.format} are not available in this build; skipped")
        return
    yield from check_manifest(manifest, options)
