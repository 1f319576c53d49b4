"""``mlwarden scan [PATH...]``: every available check over a repository, for CI.

One walk of the tree (``git ls-files`` inside a work tree, so ``.gitignore`` is respected; config and
``--exclude`` globs apply), each check run through the same Context/Check machinery as ``mlwarden <check>``,
one suppressed and sorted finding list (``cli.finish``), any number of reports from it, and one exit code:

* 0 clean, 1 findings at or above ``--fail-on`` (or a file rewritten);
* 2 usage/config error (nothing is run), or a check failed: scan reports the failure (stderr, notes in
  every report, ``scan.errors`` in the JSON meta, ``status: failure`` in the GitLab SAST report), still runs
  the other checks and writes every report, then exits 2 because the result is incomplete.

Scan-specific policy per check: ``audit-deps`` runs only when a vulnerability database or online mode is
configured (otherwise a note); ``generate-sbom`` never rewrites a file unless ``--sbom FILE`` asks for one
(without it, a committed SBOM is only checked for staleness); ``check-pins`` never fixes hashes.
Check options come from the config file (``[tool.mlwarden.<check>]``) and ``MLWARDEN_*`` variables.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlwarden.checks.base import Context
from mlwarden.core.errors import MlwardenError, UsageError
from mlwarden.core.fileio import write_stdout
from mlwarden.core.files import Matcher, Problems, iter_files, relpath
from mlwarden.core.findings import Finding, Severity, inert
from mlwarden.core.options import Option, resolve

PROG = "mlwarden scan"

SCAN_OPTIONS: tuple[Option, ...] = (
    Option("checks", "list", (), "run only these checks (hook ids, comma-separated or repeated; "
           "default: every available check)", metavar="CHECK", config=False),
    Option("skip", "list", (), "do not run these checks", metavar="CHECK", config=False),
    Option("sarif", "str", None, "also write a SARIF 2.1.0 report to FILE", metavar="FILE", config=False),
    Option("json", "str", None, "also write the JSON report to FILE", metavar="FILE", config=False),
    Option("gitlab-codequality", "str", None, "also write a GitLab code quality report to FILE",
           metavar="FILE", config=False),
    Option("gitlab-sast", "str", None, "also write a GitLab SAST security report (schema 15.0.7) to FILE",
           metavar="FILE", config=False),
    Option("sbom", "str", None, "also write the CycloneDX 1.6 SBOM of generate-sbom to FILE",
           metavar="FILE", config=False),
    Option("html", "str", None, "also write the self-contained HTML report (supply-chain map and findings) "
           "to FILE", metavar="FILE", config=False),
    Option("map", "bool", False, "record the supply-chain map in the JSON report (implied by --html; "
           "`mlwarden report --html` draws it from a saved JSON report)", config=False),
    Option("markdown", "str", None, "also write a Markdown summary to FILE (inside GitHub Actions it is "
           "appended to $GITHUB_STEP_SUMMARY as well)", metavar="FILE", config=False),
    Option("github-annotations", "bool", None, "print GitHub annotations on standard output (default: "
           "when GITHUB_ACTIONS=true)", config=False),
    Option("progress", "bool", True, "show progress on standard error when it is a terminal",
           config=False),
)

# report option -> format name in mlwarden.formats.FORMATS
REPORTS: tuple[tuple[str, str], ...] = (
    ("sarif", "sarif"), ("json", "json"), ("gitlab-codequality", "gitlab"), ("gitlab-sast", "gitlab-sast"),
    ("markdown", "markdown"), ("html", "html"),
)
# report option -> the name the HTML report links it by
LINKED = (("sarif", "SARIF"), ("json", "JSON"), ("sbom", "CycloneDX SBOM"), ("gitlab-sast", "GitLab SAST"),
          ("gitlab-codequality", "GitLab code quality"), ("markdown", "Markdown summary"))

# options that would make a check rewrite files: always off in scan
NO_REWRITE: dict[str, dict[str, Any]] = {
    "check-pins": {"fix-hashes": False, "fix": False},
    "check-pipeline": {"fix-pins": False},
}
# audit-deps runs in scan only when one of these options is set (a database or online mode), or when
# `mlwarden db update` has put a database in the cache folder
AUDIT_SOURCES = ("osv-db", "online", "osv-url")
PROGRESS_DELAY = 0.3  # seconds before the first progress line: short runs stay quiet


def utf8(text: str) -> bytes:
    """UTF-8 for report files: a file name that is not valid UTF-8 (kept by the walker as surrogate
    escapes) is written with U+FFFD rather than making the whole report fail."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").encode("utf-8")


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


class _Walk:
    """One listing per directory argument, shared by every check of the run."""

    def __init__(self, root: Path, exclude: Sequence[str], use_git: bool) -> None:
        self.root = root
        self.exclude = tuple(exclude)
        self.use_git = use_git
        self._cache: dict[str, list[tuple[str, Path]]] = {}
        # module-level matchers (e.g. sources.is_manifest) are asked about the same paths by several
        # checks: remember their answers for the run
        self._matched: dict[Any, dict[str, bool]] = {}
        self._display: dict[Path, str] = {}
        self.problems = Problems()  # what the listings could not check (reported once per run)

    def matches(self, match: Matcher, rel: str) -> bool:
        try:
            memo = self._matched.setdefault(match, {})
        except TypeError:  # unhashable callable
            return match(rel)
        hit = memo.get(rel)
        if hit is None:
            hit = memo[rel] = bool(match(rel))
        return hit

    def display(self, path: Path, root: Path) -> str:
        shown = self._display.get(path)
        if shown is None:
            shown = self._display[path] = relpath(path, root)
        return shown

    def listing(self, arg: str) -> list[tuple[str, Path]]:
        if arg not in self._cache:
            folder = Path(arg)
            self._cache[arg] = [
                (f.relative_to(folder).as_posix(), f)
                for f in iter_files([folder], root=self.root, exclude=self.exclude, use_git=self.use_git,
                                    problems=self.problems)
            ]
        return self._cache[arg]


class _Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()

    def show(self, message: str) -> None:
        if self.enabled and time.monotonic() - self.start >= PROGRESS_DELAY:
            sys.stderr.write(f"\r\x1b[K{message[:200]}")
            sys.stderr.flush()


@dataclass
class ScanContext(Context):
    """A check Context whose directory walks come from the run's shared listing."""

    walk: _Walk | None = None
    progress_bar: _Progress | None = None
    label: str = ""

    def files(self, match: Matcher | None = None) -> Iterator[Path]:
        if self.walk is None:
            return super().files(match)
        return self._files(self.walk, match)

    def _files(self, walk: _Walk, match: Matcher | None) -> Iterator[Path]:
        seen: set[Path] = set()
        for arg in self.paths:
            p = Path(arg)
            if p.is_dir() and not p.is_symlink():
                found: Iterator[Path] = (f for rel, f in walk.listing(str(arg))
                                         if match is None or walk.matches(match, rel))
            else:
                found = iter_files([arg], root=self.root, match=match, exclude=self.exclude,
                                   use_git=self.use_git, problems=self.problems)
            for f in found:
                if f not in seen:
                    seen.add(f)
                    yield f

    def display(self, path: Path | str) -> str:
        if self.walk is None or self.walk.root != self.root:
            return super().display(path)
        return self.walk.display(Path(path), self.root)

    def progress(self, message: str) -> None:
        if self.progress_bar is not None:
            self.progress_bar.show(f"{self.label}{message}")


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    rewritten: list[str] = field(default_factory=list)
    rules: list[Any] = field(default_factory=list)
    roles: Any = None  # the run's core.roles.RoleMap
    walk: _Walk | None = None


def build_parser() -> Any:
    from mlwarden.cli import base_parser

    return base_parser(PROG, "Run every mlwarden check over a repository and write any number of reports "
                       "in one run (for CI).", SCAN_OPTIONS)


def select_checks(available: Sequence[str], registry: Sequence[str], only: Sequence[str],
                  skip: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The checks to run, in registry order, and the requested ones not in this build."""
    for name in (*only, *skip):
        if name not in registry:
            raise UsageError(f"unknown check {name!r} (choose from {', '.join(registry)})")
    wanted = [n for n in registry if (not only or n in only) and n not in skip]
    missing = {n: "not available in this build" for n in wanted if n not in available}
    return [n for n in wanted if n in available], missing


def _audit_configured(own: Mapping[str, Any]) -> bool:
    if any(own.get(k) for k in AUDIT_SOURCES):
        return True
    try:
        from mlwarden.checks.audit.store import default_cache_dir, default_db_path
    except ImportError:
        return False
    cache = own.get("cache-dir")
    return default_db_path(Path(cache).expanduser() if cache else default_cache_dir()).is_file()


def plan(name: str, own: dict[str, Any], scan_opts: Mapping[str, Any], root: Path) -> str | None:
    """Adjust a check's options for scan; return a reason to skip it, or None to run it."""
    for key, value in NO_REWRITE.get(name, {}).items():
        if key in own:
            own[key] = value
    if name == "audit-deps" and not _audit_configured(own):
        return ("no vulnerability database or online mode configured (set [tool.mlwarden.audit-deps] "
                "or MLWARDEN_* variables to enable it)")
    if name == "generate-sbom":
        if "check" in own:
            requested = scan_opts.get("sbom")
            if requested:
                own["sbom-file"] = requested
                own["check"] = False
                return None
            committed = own.get("sbom-file") or _default_sbom(own)
            if committed is None or not (root / committed).is_file():
                return "no committed SBOM to check (pass --sbom FILE to write one)"
            own["sbom-file"] = committed
            own["check"] = True
    return None


def _default_sbom(own: Mapping[str, Any]) -> str | None:
    try:
        from mlwarden.checks.sbom import DEFAULT_FILES, GITLAB_FILE
    except ImportError:
        return None
    if own.get("gitlab"):
        return str(GITLAB_FILE)
    return str(DEFAULT_FILES.get(str(own.get("spec") or "cyclonedx"), "sbom.cdx.json"))


def _after(name: str, ctx: Context, findings: list[Finding], scan_opts: Mapping[str, Any]) -> list[Finding]:
    """Scan-specific clean-up of a check's results."""
    if name == "generate-sbom" and scan_opts.get("sbom"):
        # the SBOM file scan was asked to write is a report, not a stale committed file
        target = ctx.display(Path(scan_opts["sbom"]) if Path(scan_opts["sbom"]).is_absolute()
                             else ctx.root / scan_opts["sbom"])
        ctx.rewritten[:] = [p for p in ctx.rewritten if p != target]
        findings = [f for f in findings if not (f.rule.slug == "sbom-stale" and f.path == target)]
    return findings


def run_checks(names: Sequence[str], paths: Sequence[str], root: Path, cfg: Any,
               general: Mapping[str, Any], scan_opts: Mapping[str, Any]) -> Outcome:
    from mlwarden.checks import load_check
    from mlwarden.core.rules import CORE_RULES

    out = Outcome(rules=list(CORE_RULES))
    exclude = tuple(general["exclude"])
    walk = _Walk(root, exclude, use_git=True)
    from mlwarden.checks.base import role_root
    from mlwarden.core.roles import RoleMap

    roles = RoleMap.from_config(role_root(root, paths), cfg)  # one role decision per path for the run
    out.roles = roles
    bar = _Progress(bool(scan_opts.get("progress", True)))
    out.walk = walk
    for i, name in enumerate(names, 1):
        try:
            check = load_check(name)
        except (ImportError, AttributeError):  # a check package still being built
            out.skipped[name] = "not available in this build"
            continue
        own = resolve(check.options, {}, cfg.for_check(name), f"{cfg.origin} [{name}]")
        reason = plan(name, own, scan_opts, root)
        if reason is not None:
            out.skipped[name] = reason
            out.notes.append(f"{name}: skipped: {reason}")
            continue
        label = f"[{i}/{len(names)}] {name}: "
        ctx = ScanContext(paths=list(paths), root=root, config=cfg, options={**general, **own},
                          exclude=exclude, walk=walk, progress_bar=bar, label=label, roles=roles)
        ctx.progress("running")
        try:
            found = list(check.run(ctx))
        except MlwardenError as exc:
            out.errors[name] = str(exc)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug in one check must not hide the others' results
            out.errors[name] = f"internal error: {type(exc).__name__}: {exc}"
        else:
            out.ran.append(name)
            out.findings.extend(_after(name, ctx, found, scan_opts))
            out.rewritten.extend(ctx.rewritten)
            out.rules.extend(check.rules)
            out.meta.update(ctx.meta)  # checks key their meta by their own name
        out.findings.extend(ctx.problems)  # what its walk could not check, even when the check failed
        out.notes.extend(f"{name}: {n}" for n in ctx.notes)
        if name in out.errors:
            out.notes.append(f"{name}: error: {out.errors[name]}")
    out.findings.extend(walk.problems)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from mlwarden.cli import guarded

    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _main(args))


def _main(argv: list[str]) -> int:
    from mlwarden.checks import REGISTRY, available
    from mlwarden.cli import GENERAL_OPTIONS, finish, load_config_for
    from mlwarden.formats import FORMATS

    parser = build_parser()
    args = parser.parse_args(argv)
    cli_values = vars(args)
    paths = list(args.paths) or ["."]
    root = Path.cwd()
    first = Path(paths[0])
    cfg = load_config_for(args.config, first if first.is_dir() else root)
    general = resolve(GENERAL_OPTIONS, cli_values, cfg.general, cfg.origin)
    scan_opts = resolve(SCAN_OPTIONS, cli_values, {}, "(scan options)")
    for key in ("checks", "skip"):  # --checks a,b and --checks a --checks b alike
        scan_opts[key] = tuple(n.strip() for item in scan_opts[key] for n in item.split(",") if n.strip())
    if general["format"] not in FORMATS:
        raise UsageError(f"unknown format {general['format']!r} (choose from {', '.join(sorted(FORMATS))})")
    for p in paths:
        if not Path(p).exists():
            raise UsageError(f"{p}: no such file or directory")
    names, missing = select_checks(available(), list(REGISTRY), scan_opts["checks"], scan_opts["skip"])
    if scan_opts["checks"] and missing:
        raise UsageError("requested checks not available in this build: " + ", ".join(sorted(missing)))
    if scan_opts["sbom"] and "generate-sbom" not in names:
        raise UsageError("--sbom needs the generate-sbom check (it is skipped or not available)")

    out = run_checks(names, paths, root, cfg, general, scan_opts)
    for name, why in missing.items():
        out.skipped.setdefault(name, why)
    if scan_opts["html"] or scan_opts["map"]:
        _add_map(out, paths, root, cfg, general, scan_opts)
    out.meta["scan"] = {"checks": out.ran, "skipped": dict(sorted(out.skipped.items())),
                        "errors": dict(sorted(out.errors.items()))}
    ctx = Context(paths=paths, root=root, config=cfg, options=dict(general),
                  exclude=tuple(general["exclude"]), notes=out.notes, meta=out.meta, rewritten=out.rewritten,
                  roles=out.roles)
    writer = _ReportWriter(general, scan_opts)
    # Under GitHub Actions the text report and the notes carry scanned content (paths, names) that could
    # hold workflow commands ("\n::error::..."): stop command processing around them, then print our own
    # annotations.
    token = secrets.token_hex(16) if writer.annotations else None
    if token:
        print(f"::stop-commands::{token}", flush=True)
    rc = finish(ctx, out.ran, out.findings, general, all_rules=_unique_rules(out.rules),
                on_report=writer)
    if out.errors and (general["format"] not in ("text", "github") or general.get("output")):
        for name, message in sorted(out.errors.items()):  # text/github already print every note
            print(f"mlwarden: error: {name}: {message}", file=sys.stderr)
    if token:
        sys.stderr.flush()
        print(f"::{token}::", flush=True)
        writer.print_annotations()
    return 2 if out.errors else rc


def _add_map(out: Outcome, paths: Sequence[str], root: Path, cfg: Any, general: Mapping[str, Any],
             scan_opts: Mapping[str, Any]) -> None:
    """The supply-chain map (``meta.map``) and, for the HTML report, links to the reports beside it."""
    from mlwarden import supplymap

    ctx = ScanContext(paths=list(paths), root=root, config=cfg, options=dict(general),
                      exclude=tuple(general["exclude"]), walk=out.walk, label="map: ", roles=out.roles)
    try:
        out.meta["map"] = supplymap.build(ctx, out.findings)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # the map is a view of the results: it never fails the scan
        out.notes.append(f"map: not drawn: {type(exc).__name__}: {exc}")
    html = scan_opts.get("html")
    if html:
        folder = (root / html).parent if not Path(html).is_absolute() else Path(html).parent
        links = {}
        for opt, label in LINKED:
            target = scan_opts.get(opt)
            if target:
                full = Path(target) if Path(target).is_absolute() else root / target
                links[label] = Path(os.path.relpath(full, folder)).as_posix()
        if links:
            out.meta["reports"] = links


def _unique_rules(rules: Sequence[Any]) -> list[Any]:
    by_id: dict[str, Any] = {}
    for r in rules:
        by_id.setdefault(r.id, r)
    return [by_id[k] for k in sorted(by_id)]


class _ReportWriter:
    """Writes every extra report from the final Report (called by cli.finish)."""

    def __init__(self, general: Mapping[str, Any], scan_opts: Mapping[str, Any]) -> None:
        self.general = general
        self.scan_opts = scan_opts
        self.report: Any = None
        github = scan_opts.get("github-annotations")
        # annotations in addition to the main output (not when the main output already is annotations)
        self.annotations = bool(in_github_actions() if github is None else github) and not (
            general["format"] == "github" and not general.get("output"))

    def print_annotations(self) -> None:
        if self.report is not None:
            from mlwarden.formats import get

            write_stdout(inert(get("github")(self.report), commands=True))
            sys.stdout.flush()

    def __call__(self, report: Any) -> None:
        from mlwarden.core.fileio import write_report
        from mlwarden.formats import get

        # the Markdown summary names the reports that hold every finding
        files = {kind: self.scan_opts.get(opt) for kind, opt in
                 (("SARIF", "sarif"), ("JSON", "json"), ("HTML", "html")) if self.scan_opts.get(opt)}
        plain = replace(report, color=False, stats={**report.stats, "reports": files})
        for opt, fmt in REPORTS:
            target = self.scan_opts.get(opt)
            if target:
                path = Path(target)
                if str(path.parent) not in ("", "."):
                    try:
                        path.parent.mkdir(parents=True, exist_ok=True)
                    except OSError as exc:
                        raise MlwardenError(f"cannot create the folder: {exc.strerror}",
                                            path=str(path.parent)) from None
                write_report(path, utf8(inert(get(fmt)(plain))))
        self.report = plain
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if in_github_actions() and summary:
            try:
                with open(summary, "ab") as fh:
                    fh.write(utf8(inert(get("markdown")(plain)) + "\n"))
            except OSError as exc:
                raise MlwardenError(f"cannot append the job summary: {exc.strerror}", path=summary) from None


def severity_counts(findings: Sequence[Finding]) -> dict[str, int]:
    out = {s.label: 0 for s in Severity}
    for f in findings:
        out[f.level.label] += 1
    return out


BASELINE_OPTIONS: tuple[Option, ...] = tuple(o for o in SCAN_OPTIONS
                                             if o.name in ("checks", "skip", "progress"))


def baseline_main(argv: Sequence[str] | None = None) -> int:
    """``mlwarden baseline [PATH...]``: record today's findings in ``.mlwarden-baseline.json`` (or
    ``--output FILE``) so that ``--baseline FILE`` reports only new ones."""
    from mlwarden.cli import guarded

    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _baseline(args))


def _baseline(argv: list[str]) -> int:
    from mlwarden.checks import REGISTRY, available
    from mlwarden.cli import GENERAL_OPTIONS, base_parser, load_config_for
    from mlwarden.core import baseline
    from mlwarden.core.fileio import atomic_write_bytes
    from mlwarden.core.refine import refine
    from mlwarden.core.suppress import LineCache
    from mlwarden.core.triage import triage

    parser = base_parser("mlwarden baseline", "Record the findings of every check in a baseline file "
                         f"(default {baseline.DEFAULT_FILE}); commit it and pass --baseline FILE (or set "
                         "`baseline` in the config) to report only new findings.", BASELINE_OPTIONS)
    args = parser.parse_args(argv)
    paths = list(args.paths) or ["."]
    root = Path.cwd()
    first = Path(paths[0])
    cfg = load_config_for(args.config, first if first.is_dir() else root)
    general = resolve(GENERAL_OPTIONS, vars(args), cfg.general, cfg.origin)
    opts = resolve(BASELINE_OPTIONS, vars(args), {}, "(baseline options)")
    for key in ("checks", "skip"):
        opts[key] = tuple(n.strip() for item in opts[key] for n in item.split(",") if n.strip())
    for p in paths:
        if not Path(p).exists():
            raise UsageError(f"{p}: no such file or directory")
    names, _missing = select_checks(available(), list(REGISTRY), opts["checks"], opts["skip"])
    out = run_checks(names, paths, root, cfg, general, {**opts, "sbom": None})
    target = Path(general.get("output") or baseline.DEFAULT_FILE)
    ctx = Context(paths=paths, root=root, config=cfg, options=dict(general),
                  exclude=tuple(general["exclude"]), notes=out.notes, meta=out.meta, roles=out.roles)
    # record everything that is not suppressed: display filters and an older baseline do not apply
    plain = {**general, "baseline": None, "new-since": None, "select": (), "ignore": (),
             "min-severity": Severity.INFO}
    shown = ctx.display(target if target.is_absolute() else root / target)
    refined = refine(out.findings, ctx.role)
    kept = [f for f in triage(ctx, out.ran, refined, plain, _unique_rules(out.rules)).findings
            if f.path != shown]
    cache = LineCache(root)
    base_dir = (target if target.is_absolute() else root / target).parent
    entries = baseline.fingerprints(kept, lambda f: cache.logical_line(f.path, f.line) if f.line else "",
                                    lambda f: baseline.relative(root / f.path, base_dir))
    if str(target.parent) not in ("", "."):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MlwardenError(f"cannot create the folder: {exc.strerror}",
                                path=str(target.parent)) from None
    atomic_write_bytes(target, baseline.render(entries).encode("utf-8"))
    for n in out.notes:
        print(f"mlwarden: {n}", file=sys.stderr)
    print(f"mlwarden: recorded {len(entries)} findings of {', '.join(out.ran) or 'no check'} in {shown}; "
          f"use it with --baseline {shown} (or `baseline = \"{shown}\"` in the config)")
    return 2 if out.errors else 0
