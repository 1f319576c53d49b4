"""Dependency confusion: where internal package names meet a merged multi-index setup.

Index settings come from the manifests (``Manifest.indexes``: ``--extra-index-url`` and ``--find-links`` in
requirements files, ``[[tool.uv.index]]``, poetry/pdm/Pipfile sources), from pip's environment variables
and from pip configuration files (``PIP_CONFIG_FILE``, the user and global ``pip.conf``, and any
``pip.conf``/``pip.ini`` inside the scanned tree). Configuration files are read as INI text only."""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlwarden.sources.model import IndexSetting, Manifest

PUBLIC_INDEX_HOSTS = ("pypi.org", "pypi.python.org", "files.pythonhosted.org")
_MERGING_KINDS = ("extra-index-url", "find-links")
_SOURCE_KINDS = ("extra-index", "source", "index")


@dataclass(frozen=True)
class MergeReason:
    text: str  # e.g. "--extra-index-url https://pkgs.example.com/simple (requirements.txt:1)"


def manifest_tree(m: Manifest) -> Iterable[Manifest]:
    yield m
    for inc in m.included:
        yield from manifest_tree(inc)


def merging_settings(m: Manifest) -> list[IndexSetting]:
    """Index settings of ``m`` (and the files it includes) that add a second source merged with the
    primary index: extra index URLs, find-links, and project indexes that are neither the default one nor
    explicit (only used by packages pinned to them)."""
    out: list[IndexSetting] = []
    for sub in manifest_tree(m):
        for s in sub.indexes:
            if s.kind in _MERGING_KINDS or (s.kind in _SOURCE_KINDS and not s.default and not s.explicit):
                out.append(s)
    return out


def describe(s: IndexSetting) -> str:
    where = f"{s.source}:{s.line}" if s.line else s.source
    label = {"extra-index-url": "--extra-index-url", "find-links": "--find-links"}.get(
        s.kind, f"index {s.name!r}" if s.name else "extra index")
    return f"{label} {s.value} ({where})"


def _pip_conf_values(path: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        if len(text) > 1_000_000:
            return []
        parser.read_string(text, source=str(path))
    except (OSError, configparser.Error, UnicodeError):
        return []
    out: list[str] = []
    for section in ("global", "install", "download"):
        if not parser.has_section(section):
            continue
        for key in ("extra-index-url", "extra_index_url", "find-links", "find_links"):
            value = parser.get(section, key, fallback="")
            out.extend(v for v in value.split() if v)
    return out


def pip_config_files(environ: Mapping[str, str]) -> list[Path]:
    """pip's own configuration files, in pip's order (global, user, PIP_CONFIG_FILE)."""
    files: list[Path] = []
    xdg_dirs = environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files += [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d]
    files.append(Path("/etc/pip.conf"))
    home = environ.get("HOME")
    if home:
        files.append(Path(home) / ".pip" / "pip.conf")
        xdg = environ.get("XDG_CONFIG_HOME") or str(Path(home) / ".config")
        files.append(Path(xdg) / "pip" / "pip.conf")
    if environ.get("PIP_CONFIG_FILE") and environ["PIP_CONFIG_FILE"] != os.devnull:
        files.append(Path(environ["PIP_CONFIG_FILE"]))
    return files


def pip_environment_reasons(environ: Mapping[str, str], tree_confs: Sequence[tuple[Path, str]],
                            read_user_config: bool) -> list[str]:
    """Reasons pip itself would merge indexes, whatever the requirements files say."""
    out = []
    for var in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        for v in environ.get(var, "").split():
            out.append(f"{var}={v} (environment)")
    confs: list[tuple[Path, str]] = list(tree_confs)
    if read_user_config:
        confs += [(p, str(p)) for p in pip_config_files(environ)]
    seen: set[str] = set()
    for path, display in confs:
        if display in seen or not path.is_file():
            continue
        seen.add(display)
        for v in _pip_conf_values(path):
            out.append(f"extra index {v} ({display})")
    return out


def uv_environment_reasons(environ: Mapping[str, str]) -> list[str]:
    out = []
    for var in ("UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_FIND_LINKS"):
        for v in environ.get(var, "").split():
            out.append(f"{var}={v} (environment)")
    return out


def is_public_index(url: str | None) -> bool:
    if not url:
        return False
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in PUBLIC_INDEX_HOSTS
