"""Console script and pre-commit entry point for `verify-artifacts` (no logic here: see mlwarden.checks)."""

from __future__ import annotations

from collections.abc import Sequence

from mlwarden.cli import run_check


def main(argv: Sequence[str] | None = None) -> int:
    return run_check("verify-artifacts", argv, prog="verify-artifacts")


if __name__ == "__main__":
    raise SystemExit(main())
