"""The interface every check implements, and the context the core hands it.

A check never prints and never exits: it yields Findings (and may add notes to the report)."""

from __future__ import annotations

import abc
import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from mlwarden.core.config import Config
from mlwarden.core.files import Matcher, Problems, iter_files, relpath
from mlwarden.core.findings import Finding, Rule, Severity
from mlwarden.core.options import Option

T = TypeVar("T")

if TYPE_CHECKING:
    from mlwarden.core.roles import Role


def role_root(root: Path, paths: Sequence[str]) -> Path:
    """The folder roles are decided from: the run's root, or the one directory scanned when it lies
    outside the root (``mlwarden scan /elsewhere/repo``)."""
    if len(paths) == 1:
        p = Path(paths[0])
        if p.is_dir():
            try:
                p.resolve().relative_to(root.resolve())
            except (ValueError, OSError):
                return p.resolve()
    return root


@dataclass
class Context:
    """What a check gets: the paths to look at, resolved options, config, and a place for notes."""

    paths: Sequence[str]
    root: Path
    config: Config
    options: Mapping[str, Any]
    exclude: Sequence[str] = ()
    notes: list[str] = field(default_factory=list)  # shown on stderr in text mode, kept in json/sarif
    meta: dict[str, Any] = field(default_factory=dict)  # extra report data (e.g. database used)
    rewritten: list[str] = field(default_factory=list)  # files a fix rewrote (exit 1 like a formatter)
    use_git: bool = True
    roles: Any = None  # core.roles.RoleMap of the run, built on first use (scan shares one)
    # paths the walk could not check (NOT_CHECKED findings the runner adds to the check's own)
    problems: Problems = field(default_factory=Problems)

    def role(self, path: Path | str) -> Role:
        """The role of a file (core.roles): install, library, example, dev, test, vendored, generated."""
        if self.roles is None:
            from mlwarden.core.roles import RoleMap

            self.roles = RoleMap.from_config(role_root(self.root, self.paths), self.config)
        role: Role = self.roles.role(self.display(path) if isinstance(path, Path) else path)
        return role

    def role_severity(self, severity: Severity, path: Path | str,
                      rule: Rule | None = None) -> Severity | None:
        """``severity`` adjusted for the role of ``path`` (None: not reported there), see roles.adjust."""
        from mlwarden.core.roles import adjust

        return adjust(severity, self.role(path), rule)

    def opt(self, name: str) -> Any:
        return self.options[name]

    def files(self, match: Matcher | None = None) -> Iterator[Path]:
        return iter_files(self.paths, root=self.root, match=match, exclude=self.exclude,
                          use_git=self.use_git, problems=self.problems)

    def display(self, path: Path | str) -> str:
        return relpath(Path(path), self.root)

    def each_file(self, match: Matcher | None,
                  check_one: Callable[[Path, str], Iterable[Finding]]) -> Iterator[Finding]:
        """The findings of ``check_one(path, display)`` for every file, each file guarded on its own:
        whatever a reader raises becomes an UNREADABLE finding on that file and the next file is checked
        (one bad file never blanks the run)."""
        for path in self.files(match):
            display = self.display(path)
            self.progress(display)
            yield from guard_file(display, functools.partial(check_one, path, display))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def progress(self, message: str) -> None:
        """Transient progress on an interactive terminal only."""
        if sys.stderr.isatty():
            sys.stderr.write(f"\r\x1b[K{message}")
            sys.stderr.flush()


def guard_value(display: str, produce: Callable[[], T]) -> tuple[T | None, Finding | None]:
    """``produce()``, or (None, an UNREADABLE finding on ``display`` naming what was wrong) when it
    raises: the one per-file boundary (see guard_file)."""
    from mlwarden.core.errors import describe
    from mlwarden.core.rules import UNREADABLE

    try:
        return produce(), None
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except Exception as exc:
        return None, Finding(UNREADABLE, display, f"{display}: {describe(exc)}; not checked",
                             hint="fix the file or exclude it")


def guard_file(display: str, produce: Callable[[], Iterable[Finding]]) -> list[Finding]:
    """All findings ``produce()`` yields for one file, or, when it raises, the ones it yielded so far plus
    an UNREADABLE finding naming what was wrong. Interrupts and exits still stop the run."""
    from mlwarden.core.errors import describe
    from mlwarden.core.rules import UNREADABLE

    out: list[Finding] = []
    try:
        for f in produce():
            out.append(f)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except Exception as exc:
        out.append(Finding(UNREADABLE, display, f"{display}: {describe(exc)}; nothing after it was checked",
                           hint="fix the file or exclude it"))
    return out


class Check(abc.ABC):
    """One check = one hook id = one CLI subcommand = one console script."""

    name: ClassVar[str]
    description: ClassVar[str]
    rules: ClassVar[tuple[Rule, ...]]
    options: ClassVar[tuple[Option, ...]] = ()
    # extra output formats only this check offers: name -> "module:function"
    formats: ClassVar[Mapping[str, str]] = {}

    def matcher(self) -> Matcher | None:
        """Which files found by walking a directory this check looks at (None: all)."""
        return None

    def default_paths(self) -> Sequence[str]:
        return (".",)

    @abc.abstractmethod
    def run(self, ctx: Context) -> Iterable[Finding]:
        """Yield findings. Raise an MlwardenError for a failure that makes the whole run meaningless."""
