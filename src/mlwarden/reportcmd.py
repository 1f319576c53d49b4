"""``mlwarden report --html FILE --from report.json``: draw a saved JSON report again as HTML.

The JSON report is the one ``mlwarden scan --json FILE`` (or ``--format json``) writes; with ``--map`` or
``--html`` it also holds the supply-chain map. The saved file is read as data only (JSON, bounded size).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlwarden.core.errors import InputError, UsageError

PROG = "mlwarden report"
MAX_REPORT = 256 * 1024 * 1024


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Render a saved JSON report (mlwarden scan --json) as one "
                     "self-contained HTML file: the supply-chain map and the findings.")
    parser.add_argument("--from", dest="source", metavar="REPORT.json", required=True,
                        help="the JSON report to read ('-' for standard input)")
    parser.add_argument("--html", metavar="FILE", required=True, help="the HTML file to write ('-' for "
                        "standard output)")
    return parser


def load_document(source: str) -> dict[str, Any]:
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_REPORT + 1)
        else:
            with open(source, "rb") as fh:
                data = fh.read(MAX_REPORT + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=source) from None
    if len(data) > MAX_REPORT:
        raise InputError(f"larger than {MAX_REPORT // (1024 * 1024)} MiB", path=source)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"not a JSON report: {str(exc).splitlines()[0][:200]}", path=source) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise InputError("not an mlwarden JSON report (no \"findings\" list)", path=source)
    return doc


def main(argv: Sequence[str] | None = None) -> int:
    from mlwarden.cli import guarded

    args = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _main(args))


def _main(argv: list[str]) -> int:
    from mlwarden.core.fileio import atomic_write_bytes, write_stdout
    from mlwarden.formats.html import render_document

    args = build_parser().parse_args(argv)
    doc = load_document(args.source)
    text = render_document(doc)
    if args.html == "-":
        write_stdout(text)
    else:
        atomic_write_bytes(Path(args.html), text.encode("utf-8", "replace"))
    return 0
