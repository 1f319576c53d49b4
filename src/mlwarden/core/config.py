"""Configuration: ``[tool.mlwarden]`` in pyproject.toml or a ``mlwarden.toml`` (top level = the same table).

Layout::

    [tool.mlwarden]
    fail-on = "high"
    exclude = ["tests/fixtures/**"]

    [[tool.mlwarden.suppress]]
    rule = "unpinned"            # id or slug
    paths = ["requirements/dev.txt"]   # optional globs
    reason = "dev tools float"   # required
    expires = 2027-01-31         # optional; an expired entry is itself reported

    [tool.mlwarden.roles]        # file roles (core.roles): glob = role, first match wins
    "scripts/deploy/**" = "install"

    [tool.mlwarden.check-pins]   # one table per check; keys are that check's options
    trusted-indexes = ["https://download.pytorch.org/whl/cu121"]

Unknown keys are an error naming the key.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwarden.core.errors import ConfigError, InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class Suppression:
    rule: str  # id or slug
    reason: str
    paths: tuple[str, ...] = ()
    expires: _dt.date | None = None
    line: int | None = None  # where it is declared, for the expiry finding


@dataclass
class Config:
    path: Path | None = None  # the file it came from, None when there is none
    root: Path = field(default_factory=Path.cwd)  # the folder paths in config are relative to
    general: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    roles: tuple[tuple[str, Any], ...] = ()  # [tool.mlwarden] roles: (glob, core.roles.Role), in order
    # pyproject.toml files met on the way to the config that could not be read: (path, what was wrong);
    # each is reported as an UNREADABLE finding (they were skipped, not silently taken as "no config")
    problems: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return str(self.path) if self.path else "(no config file)"

    def for_check(self, name: str) -> dict[str, Any]:
        return self.checks.get(name, {})


def find_config_file(start: Path, problems: list[tuple[Path, str]] | None = None) -> Path | None:
    """Nearest mlwarden.toml, or pyproject.toml with a [tool.mlwarden] table, from ``start`` upward
    (stopping at a repository root). A pyproject.toml that cannot be read is skipped and added to
    ``problems``."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        cand = folder / "mlwarden.toml"
        if cand.is_file():
            return cand
        pp = folder / "pyproject.toml"
        if pp.is_file():
            try:
                with pp.open("rb") as fh:
                    tool = tomllib.load(fh).get("tool", {})
                if isinstance(tool, dict) and "mlwarden" in tool:
                    return pp
            except Exception as exc:
                from mlwarden.core.errors import describe

                if problems is not None:
                    problems.append((pp, f"{describe(exc)}; not read while looking for the mlwarden config"))
        if (folder / ".git").exists():
            break
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except OSError as exc:
        raise InputError(f"cannot read config: {exc.strerror}", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=str(path)) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # not UTF-8, too deep, huge integers
        from mlwarden.core.errors import describe

        raise ConfigError(f"invalid config: {describe(exc)}", path=str(path)) from None


def load_config(
    explicit: str | None,
    start: Path,
    general_keys: Sequence[str],
    check_keys: Mapping[str, Sequence[str]],
) -> Config:
    """Read and validate the config. ``general_keys`` are the global option names, ``check_keys`` maps
    each check name to its option names (all of them, so a table for a check that is not run is checked
    too)."""
    if explicit:
        path: Path | None = Path(explicit)
        assert path is not None
        if not path.is_file():
            raise ConfigError(f"config file not found: {explicit}")
    problems: list[tuple[Path, str]] = []
    if not explicit:
        path = find_config_file(start, problems)
    if path is None:
        return Config(root=start.resolve() if start.is_dir() else start.resolve().parent, problems=problems)
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError("tool must be a table", path=str(path))
        table = tool.get("mlwarden", {})
        prefix = "tool.mlwarden"
    else:
        table = data
        prefix = ""
    if not isinstance(table, dict):
        raise ConfigError(f"{prefix or 'config'} must be a table", path=str(path))
    cfg = Config(path=path, root=path.resolve().parent, problems=problems)

    def keyname(*parts: str) -> str:
        return ".".join(p for p in (prefix, *parts) if p)

    for key, value in table.items():
        if key in check_keys:
            if not isinstance(value, dict):
                raise ConfigError(f"{keyname(key)} must be a table", path=str(path))
            allowed = set(check_keys[key])
            for sub in value:
                if sub not in allowed:
                    raise ConfigError(f"unknown key {keyname(key, sub)!r}{_did_you_mean(sub, allowed)}",
                                      path=str(path))
            cfg.checks[key] = dict(value)
        elif key == "suppress":
            cfg.suppressions = _suppressions(value, path, keyname("suppress"))
        elif key == "roles":
            from mlwarden.core.roles import parse_overrides

            if not isinstance(value, dict):
                raise ConfigError(f"{keyname('roles')} must be a table of \"glob\" = \"role\"",
                                  path=str(path))
            try:
                cfg.roles = parse_overrides(value, keyname("roles"))
            except ConfigError as exc:
                raise ConfigError(str(exc), path=str(path)) from None
        elif key in general_keys:
            cfg.general[key] = value
        else:
            known = [*general_keys, "suppress", *check_keys]
            raise ConfigError(f"unknown key {keyname(key)!r}{_did_you_mean(key, known)}", path=str(path))
    return cfg


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _suppressions(value: Any, path: Path, where: str) -> tuple[Suppression, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be an array of tables ([[{where}]])", path=str(path))
    out = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise ConfigError(f"{where} entry {i} must be a table", path=str(path))
        for k in item:
            if k not in ("rule", "reason", "paths", "expires"):
                hint = _did_you_mean(k, ("rule", "reason", "paths", "expires"))
                raise ConfigError(f"unknown key {where}[{i}].{k!r}{hint}", path=str(path))
        rule, reason = item.get("rule"), item.get("reason")
        if not isinstance(rule, str) or not rule:
            raise ConfigError(f"{where} entry {i} needs a rule (id or slug)", path=str(path))
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where} entry {i} ({rule}) needs a reason", path=str(path))
        paths = item.get("paths", [])
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ConfigError(f"{where} entry {i} ({rule}): paths must be a list of globs", path=str(path))
        expires = item.get("expires")
        if expires is not None:
            if isinstance(expires, str):
                try:
                    expires = _dt.date.fromisoformat(expires)
                except ValueError:
                    raise ConfigError(f"{where} entry {i} ({rule}): expires must be a date YYYY-MM-DD",
                                      path=str(path)) from None
            elif isinstance(expires, _dt.datetime):
                expires = expires.date()
            elif not isinstance(expires, _dt.date):
                raise ConfigError(f"{where} entry {i} ({rule}): expires must be a date", path=str(path))
        out.append(Suppression(rule=rule, reason=reason, paths=tuple(paths), expires=expires, line=None))
    return tuple(out)
