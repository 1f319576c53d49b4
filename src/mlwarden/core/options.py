"""Declarative options: one declaration gives the CLI flag, the config key and the MLWARDEN_* variable.

Precedence: command line > environment variable > config file > default.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from mlwarden.core.errors import ConfigError, UsageError
from mlwarden.core.findings import Severity

MAX_NUMBER = 2**53  # larger option values are mistakes (or attacks), never meant

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
    # a file mlwarden writes: from a (repository) config file it must be a relative path inside the
    # repository, so a cloned repository cannot make mlwarden write anywhere else
    writes: bool = False

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
        except (TypeError, ValueError, OverflowError) as exc:
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
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"{opt.name} must be an integer, not {value!r}")
        if isinstance(value, str) and len(value.strip()) > 20:
            raise ValueError(f"{opt.name} must be an integer of at most 20 digits")
        number = int(value)
        if abs(number) > MAX_NUMBER:
            raise ValueError(f"{opt.name} must be an integer between {-MAX_NUMBER} and {MAX_NUMBER}")
        return number
    if k == "float":
        if isinstance(value, bool):
            raise ValueError(f"{opt.name} must be a number")
        if isinstance(value, str) and len(value.strip()) > 40:
            raise ValueError(f"{opt.name} must be a number of at most 40 characters")
        real = float(value)
        if not math.isfinite(real) or abs(real) > MAX_NUMBER:
            raise ValueError(f"{opt.name} must be a finite number between {-MAX_NUMBER} and {MAX_NUMBER}")
        return real
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
            where = f"{config_origin}: key {opt.name!r}"
            out[opt.name] = opt.convert(config_values[opt.name], where)
            if opt.writes and out[opt.name] is not None:
                _inside_repository(str(out[opt.name]), where)
        else:
            out[opt.name] = opt.default
    return out


def _inside_repository(value: str, where: str) -> None:
    """A path a config file asks mlwarden to write: relative, no ``..``, no ``~`` (see Option.writes)."""
    pure = PurePath(value)
    if not value.strip() or pure.is_absolute() or value.startswith(("~", "/", "\\")) or ".." in pure.parts \
            or "\\" in value or (len(value) > 1 and value[1] == ":"):
        raise ConfigError(f"{where}: {value!r} must be a path inside the repository (relative, without "
                          "'..'); give other places on the command line or in an MLWARDEN_* variable")


Validator = Callable[[Any], None]
