"""Declarative options: one declaration gives the CLI flag, the config key and the MLWARDEN_* variable.

Precedence: command line > environment variable > config file > default.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlwarden.core.errors import ConfigError, UsageError
from mlwarden.core.findings import Severity

# kinds: str, bool, int, float, list (of str), severity, date
_KINDS = ("str", "bool", "int", "float", "list", "severity", "date")


@dataclass(frozen=True)
class Option:
    name: str  # dashed: "fail-on" -> --fail-on, config key "fail-on", env MLWARDEN_FAIL_ON
    kind: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    cli: bool = True  # also a command-line flag
    config: bool = True  # also a config key
    metavar: str | None = None
    short: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"bad option kind {self.kind!r}")

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    @property
    def env(self) -> str:
        return "MLWARDEN_" + self.name.upper().replace("-", "_")

    def convert(self, value: Any, origin: str) -> Any:
        """Check and convert a value read from config (typed TOML) or the environment (a string)."""
        try:
            return _convert(self, value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{origin}: {exc}") from None


def _convert(opt: Option, value: Any) -> Any:
    k = opt.kind
    if value is None:
        return None
    if k == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{opt.name} must be true or false, not {value!r}")
    if k == "int":
        if isinstance(value, bool):
            raise ValueError(f"{opt.name} must be an integer")
        return int(value)
    if k == "float":
        if isinstance(value, bool):
            raise ValueError(f"{opt.name} must be a number")
        return float(value)
    if k == "list":
        if isinstance(value, str):
            return tuple(v.strip() for v in value.replace("\n", ",").split(",") if v.strip())
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ValueError(f"{opt.name} must be a list of strings")
    if k == "severity":
        try:
            return Severity.parse(value)
        except UsageError as exc:
            raise ValueError(f"{opt.name}: {exc}") from None
    if k == "date":
        if isinstance(value, _dt.date):
            return value
        return _dt.date.fromisoformat(str(value))
    if not isinstance(value, str):
        raise ValueError(f"{opt.name} must be a string")
    if opt.choices and value not in opt.choices:
        raise ValueError(f"{opt.name} must be one of {', '.join(opt.choices)}, not {value!r}")
    return value


def add_to_parser(parser: argparse.ArgumentParser | Any, options: Iterable[Option]) -> None:
    """Add CLI flags for ``options``. Defaults are None so we can tell 'not given' apart."""
    for opt in options:
        if not opt.cli:
            continue
        flags = [f"--{opt.name}"] + ([opt.short] if opt.short else [])
        helptext = f"{opt.help} [env {opt.env}]"
        if opt.kind == "bool":
            parser.add_argument(*flags, dest=opt.dest, action=argparse.BooleanOptionalAction,
                                default=None, help=helptext)
        elif opt.kind == "list":
            parser.add_argument(*flags, dest=opt.dest, action="append", default=None,
                                metavar=opt.metavar or "VALUE", help=helptext + " (repeatable)")
        else:
            parser.add_argument(*flags, dest=opt.dest, default=None, metavar=opt.metavar or "VALUE",
                                choices=list(opt.choices) or None, help=helptext)


def resolve(
    options: Sequence[Option],
    cli_values: Mapping[str, Any],
    config_values: Mapping[str, Any],
    config_origin: str,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Merge CLI, environment, config and defaults into {option name: value}."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for opt in options:
        cli_val = cli_values.get(opt.dest)
        if cli_val is not None:
            out[opt.name] = opt.convert(cli_val, f"--{opt.name}")
        elif opt.env in env:
            out[opt.name] = opt.convert(env[opt.env], f"environment variable {opt.env}")
        elif opt.name in config_values:
            out[opt.name] = opt.convert(config_values[opt.name], f"{config_origin}: key {opt.name!r}")
        else:
            out[opt.name] = opt.default
    return out


Validator = Callable[[Any], None]
