"""The umbrella command ``mlwarden <check> [PATHS...]`` and the shared run loop behind every hook.

Exit codes: 0 clean, 1 findings at or above ``--fail-on`` (or a file rewritten), 2 usage or I/O error.
Every MlwardenError is caught here, once, and printed as one line; no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mlwarden import __version__
from mlwarden.core.errors import MlwardenError, UsageError
from mlwarden.core.findings import Finding, Severity, inert, sort_findings
from mlwarden.core.options import Option, add_to_parser, resolve

GENERAL_OPTIONS: tuple[Option, ...] = (
    Option("fail-on", "severity", Severity.LOW,
           "exit 1 when a finding is at or above this severity (critical, high, medium, low, info)",
           metavar="SEVERITY"),
    Option("format", "str", "text",
           "output format: text, json, sarif, github, gitlab, gitlab-sast, markdown (some checks add more)",
           metavar="FORMAT"),
    Option("output", "str", None, "write the report to FILE instead of standard output", metavar="FILE",
           config=False, short="-o"),
    Option("exclude", "list", (), "glob of paths to skip (relative to the project root)", metavar="GLOB"),
    Option("baseline", "str", None, "report only findings not recorded in this baseline file (written by "
           "`mlwarden baseline`); recorded ones are counted, vanished ones reported as fixed",
           metavar="FILE"),
    Option("new-since", "str", None, "report only findings on lines and files changed since the merge-base "
           "of REV and HEAD (git)", metavar="REV", config=False),
    Option("min-severity", "severity", Severity.INFO, "show only findings at or above this severity",
           metavar="SEVERITY"),
    Option("select", "list", (), "show only these rules (id, slug or id prefix such as MLW3)",
           metavar="RULE"),
    Option("ignore", "list", (), "do not show these rules (id, slug or id prefix)", metavar="RULE"),
)

# Environment variable for the config file; the CLI flag is --config.
CONFIG_ENV = "MLWARDEN_CONFIG"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit(2) with our one-line style
        raise UsageError(f"{self.prog}: {message}")


class _CheckKeys(Mapping[str, Sequence[str]]):
    """Option names per check, importing a check only when its table is present in the config."""

    def __getitem__(self, name: str) -> Sequence[str]:
        from mlwarden.checks import REGISTRY, load_check

        if name not in REGISTRY:
            raise KeyError(name)
        return [o.name for o in load_check(name).options if o.config]

    def __iter__(self) -> Iterator[str]:
        from mlwarden.checks import REGISTRY

        return iter(REGISTRY)

    def __len__(self) -> int:
        from mlwarden.checks import REGISTRY

        return len(REGISTRY)

    def __contains__(self, name: object) -> bool:
        from mlwarden.checks import REGISTRY

        return name in REGISTRY


def build_check_parser(name: str, prog: str | None = None) -> tuple[argparse.ArgumentParser, Any]:
    from mlwarden.checks import load_check

    check = load_check(name)
    parser = base_parser(prog or f"mlwarden {name}", check.description, check.options)
    return parser, check


def base_parser(prog: str, description: str, options: Sequence[Option]) -> argparse.ArgumentParser:
    """What every command shares: PATH arguments, --config, the general options, then its own options."""
    parser = _Parser(prog=prog, description=description)
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories to check (default: the current directory)")
    parser.add_argument("--config", metavar="FILE", default=None,
                        help="config file (default: nearest mlwarden.toml or pyproject.toml) "
                             f"[env {CONFIG_ENV}]")
    add_to_parser(parser, GENERAL_OPTIONS)
    add_to_parser(parser, options)
    return parser


def load_config_for(explicit: str | None, start: Path) -> Any:
    from mlwarden.core.config import load_config

    return load_config(explicit or os.environ.get(CONFIG_ENV) or None, start,
                       [o.name for o in GENERAL_OPTIONS if o.config], _CheckKeys())


def guarded(run: Callable[[], int]) -> int:
    """Run a command: the one place errors become a one-line message and exit code 2 (never a traceback;
    set MLWARDEN_DEBUG=1 to see one for an internal error). Standard error is made inert (core.fileio):
    no message that carries a file name or server text can drive the terminal or a CI log."""
    import signal

    from mlwarden.core.fileio import inert_stderr

    with inert_stderr():
        try:
            # a terminated run unwinds like an interrupt: temporary files are removed, nothing is half-written
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, _terminate)
        except (ValueError, OSError):
            pass
        return _guarded(run)


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _guarded(run: Callable[[], int]) -> int:
    try:
        return run()
    except MlwardenError as exc:
        print(f"mlwarden: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlwarden: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`mlwarden rules | head`): not an error; silence the final flush too
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"mlwarden: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("MLWARDEN_DEBUG"):
            raise
        print(f"mlwarden: internal error: {type(exc).__name__}: {exc} (please report it; "
              "MLWARDEN_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 2


def run_check(name: str, argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Entry point of one check (used by ``mlwarden <check>`` and by the hook console scripts)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _run_check(name, args, prog))


def _run_check(name: str, argv: list[str], prog: str | None) -> int:
    from mlwarden.checks.base import Context

    parser, check = build_check_parser(name, prog)
    args = parser.parse_args(argv)
    cfg = load_config_for(args.config, Path.cwd())
    cli_values = vars(args)
    general = resolve(GENERAL_OPTIONS, cli_values, cfg.general, cfg.origin)
    own = resolve(check.options, cli_values, cfg.for_check(name), f"{cfg.origin} [{name}]")
    fmt = general["format"]
    if fmt not in _format_names(check):
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(sorted(_format_names(check)))})")
    root = Path.cwd()
    ctx = Context(paths=args.paths or list(check.default_paths()), root=root, config=cfg,
                  options={**general, **own}, exclude=tuple(general["exclude"]))
    findings = [*check.run(ctx), *ctx.problems]
    claims = getattr(check, "claims_output", None)  # e.g. generate-sbom --output sbom.cdx.json
    if claims is not None and claims(ctx.options):
        general = {**general, "output": None}  # the check wrote that file; the report goes to stdout
    return finish(ctx, [name], findings, general, check_formats=check.formats,
                  all_rules=check.rules)


def _format_names(check: Any) -> set[str]:
    from mlwarden.formats import FORMATS

    return set(FORMATS) | set(check.formats)


def finish(ctx: Any, checks: Sequence[str], findings: list[Finding], general: Mapping[str, Any],
           check_formats: Mapping[str, str] | None = None, all_rules: Sequence[Any] = (),
           on_report: Callable[[Any], None] | None = None) -> int:
    """Suppress, sort, render, write, and compute the exit code.

    ``on_report`` (used by ``mlwarden scan``) gets the final Report after the main output is written, to
    write further reports from the same suppressed, sorted findings."""
    from mlwarden.core.refine import refine
    from mlwarden.core.triage import triage
    from mlwarden.formats import Report, get

    # a pyproject.toml skipped on the way to the config, unless a check already reported that file
    reported = {f.path for f in findings if f.rule.id == "MLW002"}
    findings = [*findings, *(f for f in _config_problems(ctx) if f.path not in reported)]
    role_of = getattr(ctx, "role", None)
    findings = refine(findings, role_of)  # roles and one finding per problem (core.refine)
    done = triage(ctx, checks, findings, general, all_rules)
    ordered = sort_findings(done.findings)
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    out_path = general.get("output")
    fmt = general["format"]
    color = fmt == "text" and not out_path and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    meta = dict(ctx.meta)
    for key in ("baseline", "new-since"):
        if key in done.stats:
            meta[key] = done.stats[key]
    report = Report(findings=ordered, checks=checks, notes=ctx.notes, meta=meta, color=color,
                    all_rules=all_rules, stats=done.stats)
    text = get(fmt, check_formats)(report)
    # a file name that is not valid UTF-8 reaches reports as surrogate escapes: show U+FFFD, never crash
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    # no raw control or bidi character, no workflow command but the github format's own annotations
    text = inert(text, color=report.color, commands=fmt == "github")
    if out_path:
        from mlwarden.core.fileio import write_report

        write_report(Path(out_path), text.encode("utf-8", "backslashreplace"))
    else:
        from mlwarden.core.fileio import write_stdout

        write_stdout(text)
    if on_report is not None:
        on_report(report)
    if ctx.notes and fmt in ("text", "github"):
        for n in ctx.notes:
            print(f"mlwarden: {n}", file=sys.stderr)
    threshold: Severity = general["fail-on"]
    failed = any(f.level >= threshold for f in ordered)
    return 1 if failed or ctx.rewritten else 0


def _config_problems(ctx: Any) -> list[Finding]:
    """pyproject.toml files on the way to the config that could not be read: UNREADABLE findings."""
    from mlwarden.core.rules import UNREADABLE

    out = []
    for path, why in getattr(ctx.config, "problems", ()):
        shown = ctx.display(path)
        out.append(Finding(UNREADABLE, shown, f"{shown}: {why}", hint="fix the file or exclude it"))
    return out


def _top_parser() -> argparse.ArgumentParser:
    from mlwarden.checks import REGISTRY

    parser = _Parser(prog="mlwarden", description="Supply-chain checks for machine-learning projects.")
    parser.add_argument("--version", action="version", version=f"mlwarden {__version__}")
    parser.add_argument("command", choices=[*REGISTRY, *EXTRA_COMMANDS, "rules"], metavar="COMMAND",
                        help="one of: " + ", ".join([*REGISTRY, *EXTRA_COMMANDS, "rules"]))
    return parser


# Commands that are not checks: name -> "module:function" taking argv and returning an exit code.
EXTRA_COMMANDS: dict[str, str] = {
    "scan": "mlwarden.scan:main",
    "db": "mlwarden.checks.audit.db:main",
    "report": "mlwarden.reportcmd:main",
    "baseline": "mlwarden.scan:baseline_main",
    "lock": "mlwarden.checks.verify.commands:lock_main",
    "sign": "mlwarden.checks.verify.commands:sign_main",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from mlwarden.checks import REGISTRY

    if not args or args[0] in ("-h", "--help"):
        _top_parser().print_help()
        return 0 if args else 2
    if args[0] == "--version":
        print(f"mlwarden {__version__}")
        return 0
    cmd, rest = args[0], args[1:]
    if cmd in REGISTRY:
        return run_check(cmd, rest)
    if cmd in EXTRA_COMMANDS:
        import importlib

        module, _, attr = EXTRA_COMMANDS[cmd].partition(":")
        try:
            fn = getattr(importlib.import_module(module), attr)
        except ImportError:
            print(f"mlwarden: error: command {cmd!r} is not available in this build", file=sys.stderr)
            return 2
        rc: int = fn(rest)
        return rc
    if cmd == "rules":
        return guarded(lambda: _list_rules(rest))
    print(f"mlwarden: error: unknown command {cmd!r} (choose from "
          f"{', '.join([*REGISTRY, *EXTRA_COMMANDS, 'rules'])})", file=sys.stderr)
    return 2


def _list_rules(argv: Sequence[str]) -> int:
    import json

    from mlwarden.checks import REGISTRY
    from mlwarden.core.fileio import write_stdout
    from mlwarden.core.selection import all_rules, check_names, matches

    parser = _Parser(prog="mlwarden rules", description="List every rule: id, slug, default severity, check "
                     "and title. Rules are named by id (MLW301), slug (unpinned) or id prefix (MLW3) in "
                     "--select/--ignore, suppressions and the config.")
    parser.add_argument("names", nargs="*", metavar="RULE", help="only these rules (id, slug or id prefix)")
    parser.add_argument("--check", action="append", default=None, metavar="CHECK", choices=list(REGISTRY),
                        help="only the rules of this check (repeatable)")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    args = parser.parse_args(list(argv))
    rules = all_rules()
    check_names(args.names, rules, "mlwarden rules")
    shown = [r for r in rules if (not args.names or matches(r, args.names) or r.id in args.names)
             and (not args.check or r.check in args.check)]
    if args.format == "json":
        write_stdout(json.dumps([{"id": r.id, "slug": r.slug, "severity": r.severity.label, "check": r.check,
                                  "title": r.title, "help": r.help} for r in shown], indent=2) + "\n")
    else:
        write_stdout("".join(f"{r.id}  {r.slug:<28} {r.severity.label:<8} {r.check:<18} {r.title}\n"
                             for r in shown))
    return 0
