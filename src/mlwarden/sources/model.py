"""The one dependency model every manifest and lock-file reader produces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Dependency:
    """One declared or locked dependency, exactly as the file states it (nothing is resolved).

    ``line``/``column`` are 1-based and point at the first physical line of the entry, or None.
    """

    name: str  # as written
    normalized: str  # packaging.utils.canonicalize_name(name)
    source: str  # display path of the file it came from
    line: int | None = None
    column: int | None = None
    specifier: str = ""  # e.g. "==2.1.0+cu121", ">=1,<2", "" when none
    version: str | None = None  # the exact version when pinned with == (no wildcard) or ===, or locked
    extras: tuple[str, ...] = ()
    marker: str | None = None
    hashes: tuple[str, ...] = ()  # "sha256:<hex>" (algorithm:hex)
    url: str | None = None  # direct URL (archive or VCS URL with scheme, e.g. "git+https://...@ref")
    vcs: str | None = None  # "git", "hg", "svn", "bzr" for VCS requirements
    ref: str | None = None  # VCS ref (branch, tag or commit), None when absent
    commit: str | None = None  # resolved commit where a lock records one
    editable: bool = False
    local_path: str | None = None  # local path requirement ("./pkg", "file:///...")
    group: str | None = None  # extra / dependency group / dev section; None = main dependencies
    optional: bool = False  # only installed with an extra or a non-default group
    index: str | None = None  # registry/index URL a lock entry came from, or a per-package pin
    direct: bool = True  # declared by the project (False: a transitive entry of a lock file)
    depends_on: tuple[str, ...] = ()  # normalized names this entry depends on (lock files)
    license: str | None = None
    kind: str = "requirement"  # requirement | constraint | pyproject | lock | pipfile | conda | conda-pip
    raw: str = ""  # the entry's text (one logical line), for messages
    extra: Mapping[str, Any] = field(default_factory=dict)  # format-specific facts

    @property
    def pinned(self) -> bool:
        return self.version is not None


@dataclass(frozen=True)
class IndexSetting:
    """An index or package-source setting: index-url, extra-index-url, find-links, trusted-host, a
    [[tool.uv.index]] entry, a Pipfile [[source]], a poetry source, ..."""

    kind: str  # index-url | extra-index-url | find-links | trusted-host | extra-index | source
    value: str
    source: str
    line: int | None = None
    column: int | None = None
    name: str | None = None  # the index name where the format has one
    default: bool = False  # the format's primary/default index
    explicit: bool = False  # uv "explicit = true": only used by packages pinned to it
    verify_ssl: bool | None = None


@dataclass(frozen=True)
class Problem:
    """A line or entry the reader could not accept (pip would reject it, or the file is malformed)."""

    message: str
    source: str
    line: int | None = None
    column: int | None = None
    raw: str = ""


@dataclass
class Manifest:
    """Everything read from one file (requirements files include their -r/-c targets as separate
    Manifests in ``included``)."""

    path: str  # display path
    format: str  # requirements | pyproject | uv.lock | poetry.lock | Pipfile | Pipfile.lock | pdm.lock
    #              | pylock | conda
    dependencies: list[Dependency] = field(default_factory=list)
    indexes: list[IndexSetting] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    included: list[Manifest] = field(default_factory=list)
    is_lock: bool = False
    is_library: bool = False  # pyproject of a distributable package (ranges are expected there)
    hashes_required: bool = False  # e.g. --require-hashes in the file
    newline: str = "\n"
    meta: dict[str, Any] = field(default_factory=dict)

    def all_dependencies(self) -> list[Dependency]:
        out = list(self.dependencies)
        for m in self.included:
            out.extend(m.all_dependencies())
        return out
