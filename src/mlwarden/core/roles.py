"""File roles: what a path is for, decided once from the tree, so severities can follow the risk.

Roles (``Role``):

* ``install``: what the people who install or run the project get: application requirements, lock files,
  conda environments, the requirements a Dockerfile or installer script installs, the project's own code.
  Default for everything no other role claims. Severities are the checks' own.
* ``library``: the declarations of a published package (``setup.py``, ``setup.cfg``, a pyproject with a
  name and a ``[build-system]``, a requirements file that such a file reads). Ranges are expected there:
  pin rules report them as info.
* ``example``: examples, docs, benchmarks, tutorials, demos.
* ``dev``: requirement files for development, linting, tests, docs or optional features
  (``requirements-dev.txt``, ``requirements/test.txt``, ``environment-docs.yml``...).
* ``test``: test suites (``tests/``, ``test_*.py``, ``conftest.py``...).
* ``vendored``: third-party code kept in the tree (``third_party/``, ``vendor/``, or a sub-folder with its
  own licence file and its own ``setup.py``/``pyproject.toml``).
* ``generated``: build output (``build/``, ``dist/``, ``*.egg-info/``, ``*_pb2.py``...).

The default patterns follow what semgrep's default ``.semgrepignore`` and ruff's default ``exclude`` skip
(tests, vendor/third_party, build output). ``[tool.mlwarden] roles = {"glob" = "role"}`` (or
``MLWARDEN_ROLES="glob=role,glob=role"``) overrides them; the first matching user glob wins.

Severity policy (``adjust``): install and library keep the rule's severity (pin rules set library
declarations to info themselves); example, dev, test and vendored are one level lower; generated is info.
A rule may declare other severities per role, or that it is not reported in a role
(``Rule.role_severity``, e.g. ``(("test", None),)``).
"""

from __future__ import annotations

import enum
import fnmatch
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from mlwarden.core.errors import ConfigError
from mlwarden.core.findings import Rule, Severity


class Role(str, enum.Enum):
    INSTALL = "install"
    LIBRARY = "library"
    EXAMPLE = "example"
    DEV = "dev"
    TEST = "test"
    VENDORED = "vendored"
    GENERATED = "generated"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str, where: str = "roles") -> Role:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ConfigError(f"{where}: unknown role {value!r} (choose from "
                              f"{', '.join(r.value for r in cls)})") from None


# roles one level lower than install by default
LOWERED = frozenset({Role.EXAMPLE, Role.DEV, Role.TEST, Role.VENDORED})

ROLES_ENV = "MLWARDEN_ROLES"

# --- default patterns (folder names match any path component below the root) ----------------------------
GENERATED_DIRS = frozenset({"build", "dist", "_build", "buck-out", "__pypackages__", ".ipynb_checkpoints",
                            "site-packages", ".eggs"})
GENERATED_FILES = ("*_pb2.py", "*_pb2_grpc.py", "*_pb2.pyi")
VENDORED_DIRS = frozenset({"vendor", "vendored", "_vendor", "third_party", "third-party", "thirdparty",
                           "3rdparty", "3rd_party", "external_libs"})
TEST_DIRS = frozenset({"test", "tests", "testing", "unittests", "unit_tests", "integration_tests",
                       "__tests__"})
TEST_FILES = ("test_*.py", "*_test.py", "tests.py", "conftest.py", "test_*.ipynb")
EXAMPLE_DIRS = frozenset({"example", "examples", "doc", "docs", "documentation", "benchmark", "benchmarks",
                          "bench", "tutorial", "tutorials", "demo", "demos", "sample", "samples",
                          "cookbook", "notebooks_docs"})
# words in a requirement file's name (or its folder below requirements/) that make it a dev file
DEV_WORDS = frozenset({"dev", "devel", "develop", "development", "lint", "linting", "linters", "style",
                       "test", "tests", "testing", "ci", "doc", "docs", "documentation", "readthedocs",
                       "rtd", "sphinx", "mkdocs", "optional", "extra", "extras", "typing", "mypy", "format",
                       "formatting", "precommit", "pre-commit", "examples", "example", "benchmark",
                       "benchmarks", "bench", "profiling", "tox", "coverage", "qa"})
LICENSE_NAMES = ("license", "license.txt", "license.md", "license.rst", "licence", "licence.txt",
                 "licence.md", "copying", "copying.txt", "license-mit", "license-apache")
SETUP_NAMES = ("setup.py", "setup.cfg", "pyproject.toml")
# files that install requirements for the people who run the project
# (not Makefiles: their install targets set up a developer's machine)
INSTALLER_GLOBS = ("dockerfile", "dockerfile.*", "*.dockerfile", "containerfile", "*.sh", "install*.py")
_PIP_R = re.compile(r"(?:-r|--requirement)(?:\s+|=)[\"']?([^\s\"';&|]+)")
_INCLUDE = re.compile(r"(?m)^\s*(?:-r|-c|--requirement|--constraint)(?:\s+|=)([^\s#]+)")
_QUOTED = re.compile(r"""["']([^"'\n]{1,200}\.(?:txt|in|pip))["']""")


def _words(name: str) -> set[str]:
    stem = name.lower()
    for suffix in (".txt", ".in", ".pip", ".yml", ".yaml", ".lock", ".toml"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    words = set(re.split(r"[-_.\s]+", stem))
    if "pre" in words and "commit" in words:
        words.add("precommit")
    return words


def is_dev_requirements(rel: str) -> bool:
    """A requirement/environment file whose name says it is for development, tests, docs or extras."""
    from mlwarden.sources import REQUIREMENTS_DIRS

    p = PurePosixPath(rel)
    if DEV_WORDS & _words(p.name):
        return True
    parts = [x.lower() for x in p.parts[:-1]]
    for i, part in enumerate(parts):  # requirements/test/cuda.txt, requirements/docs/base.txt
        if part in REQUIREMENTS_DIRS and any(DEV_WORDS & _words(x) for x in parts[i + 1:]):
            return True
    return False


def pattern_role(rel: str) -> Role | None:
    """The role the default path patterns give ``rel`` (relative to the root, forward slashes)."""
    from mlwarden.sources import REQUIREMENTS_DIRS

    p = PurePosixPath(rel)
    dirs = [x.lower() for x in p.parts[:-1]]
    for i, d in enumerate(dirs):  # requirements/test/cuda.txt: a requirements group, not a test suite
        if d in REQUIREMENTS_DIRS:
            dirs = dirs[: i + 1]
            break
    name = p.name.lower()
    if any(d in GENERATED_DIRS or d.endswith(".egg-info") for d in dirs) or \
            any(fnmatch.fnmatchcase(name, g) for g in GENERATED_FILES):
        return Role.GENERATED
    if any(d in VENDORED_DIRS for d in dirs):
        return Role.VENDORED
    if any(d in TEST_DIRS for d in dirs) or any(fnmatch.fnmatchcase(name, g) for g in TEST_FILES):
        return Role.TEST
    if any(d in EXAMPLE_DIRS for d in dirs):
        return Role.EXAMPLE
    if any(d.startswith(".") and d not in (".", "..") for d in dirs) and not _ci_config(dirs, name):
        # .ci/, .actions/, .circleci/ scripts and requirements, .devcontainer/: the repository's own tooling
        # (CI configuration itself, e.g. .github/workflows/*.yml, runs with the project's secrets: install)
        return Role.DEV
    return None


def _ci_config(dirs: list[str], name: str) -> bool:
    return name.endswith((".yml", ".yaml")) or dirs[:2] in (
        [".github", "workflows"], [".github", "actions"]) or (dirs[:1] == [".gitlab"])


def _glob_match(rel: str, pattern: str) -> bool:
    pat = pattern.strip().lstrip("./") if pattern.startswith("./") else pattern.strip()
    pat = pat.rstrip("/")
    if not pat:
        return False
    if fnmatch.fnmatchcase(rel, pat) or rel.startswith(pat + "/"):
        return True
    if pat.startswith("**/"):
        tail = pat[3:]
        parts = rel.split("/")
        return any(fnmatch.fnmatchcase("/".join(parts[i:]), tail) or
                   "/".join(parts[i:]).startswith(tail + "/") for i in range(len(parts)))
    if "/" not in pat:  # a bare name matches at any depth, like .gitignore
        return any(fnmatch.fnmatchcase(part, pat) for part in rel.split("/"))
    return fnmatch.fnmatchcase(rel, pat + "/*")


def parse_overrides(value: Any, where: str = "roles") -> tuple[tuple[str, Role], ...]:
    """``{"glob" = "role"}`` (config) or ``"glob=role,glob=role"`` (environment) -> ((glob, Role), ...)."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[tuple[str, Any]] = []
        for part in value.replace("\n", ",").split(","):
            if not part.strip():
                continue
            glob, sep, role = part.rpartition("=")
            if not sep or not glob.strip():
                raise ConfigError(f"{where}: expected GLOB=ROLE, got {part.strip()!r}")
            items.append((glob.strip(), role))
    elif isinstance(value, Mapping):
        items = list(value.items())
    else:
        raise ConfigError(f"{where} must be a table of glob = role")
    out = []
    for glob, role in items:
        if not isinstance(glob, str) or not isinstance(role, str):
            raise ConfigError(f"{where}: {glob!r} = {role!r}: glob and role must be strings")
        out.append((glob, Role.parse(role, f"{where}.{glob!r}")))
    return tuple(out)


def adjust(severity: Severity, role: Role | str | None, rule: Rule | None = None) -> Severity | None:
    """The severity a finding of ``severity`` gets in a file of ``role``; None means not reported.

    A rule's own ``role_severity`` entry wins; a ``role_exempt`` rule (a payload in the file itself) keeps its
    severity everywhere; otherwise example/dev/test/vendored are one level lower
    (never below info), generated is info, install and library keep the severity."""
    if role is None:
        return severity
    r = Role(role)
    if rule is not None:
        for name, sev in rule.role_severity:
            if name == r.value:
                return sev
        if rule.role_exempt:
            return severity
    if r in LOWERED:
        return Severity(max(int(severity) - 1, int(Severity.INFO)))
    if r is Role.GENERATED:
        return Severity.INFO
    return severity


class RoleMap:
    """Decides and caches the role of every path of one run.

    ``root`` is the project root (display paths are relative to it); ``overrides`` are the user's
    (glob, role) pairs; ``listing`` is the tree's files relative to root when the caller already has it
    (scan's walk), otherwise it is listed lazily, only when a manifest's role needs it."""

    def __init__(self, root: Path, overrides: Sequence[tuple[str, Role]] = (),
                 listing: Iterable[str] | None = None) -> None:
        self.root = Path(os.path.abspath(root))
        self.overrides = tuple(overrides)
        self._listing = list(listing) if listing is not None else None
        self._cache: dict[str, Role] = {}
        self._why: dict[str, str] = {}
        self._vendored_dirs: dict[str, bool] = {}
        self._library_reqs: set[str] | None = None
        self._installed: set[str] | None = None
        self._included: set[str] | None = None
        self._lib_names: dict[str, set[str]] = {}
        self._package: bool | None = None

    @classmethod
    def from_config(cls, root: Path, config: Any, environ: Mapping[str, str] | None = None,
                    listing: Iterable[str] | None = None) -> RoleMap:
        env = os.environ if environ is None else environ
        overrides: tuple[tuple[str, Role], ...] = ()
        if env.get(ROLES_ENV):
            overrides = parse_overrides(env[ROLES_ENV], f"environment variable {ROLES_ENV}")
        overrides += tuple(getattr(config, "roles", ()) or ())
        return cls(root, overrides, listing)

    # --- public API ----------------------------------------------------------------------------------
    def role(self, path: str | Path) -> Role:
        rel = self._rel(path)
        hit = self._cache.get(rel)
        if hit is None:
            hit, why = self._decide(rel)
            self._cache[rel] = hit
            self._why[rel] = why
        return hit

    def why(self, path: str | Path) -> str:
        """A short reason for the role (for reports and debugging)."""
        rel = self._rel(path)
        self.role(rel)
        return self._why.get(rel, "")

    # --- decision ------------------------------------------------------------------------------------
    def _rel(self, path: str | Path) -> str:
        s = path.as_posix() if isinstance(path, Path) else str(path).replace("\\", "/")
        if os.path.isabs(s):
            try:
                rel = os.path.relpath(s, self.root)
            except ValueError:
                return PurePosixPath(s).name
            if rel.startswith(".."):
                # outside the project: only the file name says anything
                return PurePosixPath(s).name
            s = Path(rel).as_posix()
        while s.startswith("./"):
            s = s[2:]
        return s

    def _decide(self, rel: str) -> tuple[Role, str]:
        for glob, role in self.overrides:
            if _glob_match(rel, glob):
                return role, f"config roles: {glob}"
        found = pattern_role(rel)
        if found is not None:
            return found, "path"
        if self._in_vendored_package(rel):
            return Role.VENDORED, "folder with its own licence and setup"
        from mlwarden.sources import detect

        fmt = detect(rel)
        name = PurePosixPath(rel).name.lower()
        if fmt is not None or name in ("setup.py", "setup.cfg"):
            if rel in self._installed_files():
                return Role.INSTALL, "installed by a Dockerfile or install script"
            if name in ("setup.py", "setup.cfg"):
                return Role.LIBRARY, "package metadata"
            if fmt == "pyproject" and self._published_pyproject(rel):
                return Role.LIBRARY, "pyproject of a package"
            if fmt == "requirements" and rel in self._library_requirements():
                return Role.LIBRARY, "read by the package metadata"
            if fmt == "requirements" and self._mirrors_library(rel):
                return Role.LIBRARY, "mirrors the package metadata next to it"
            if is_dev_requirements(rel):
                if rel in self._included_files():
                    return Role.INSTALL, "included by an install requirements file"
                return Role.DEV, "requirement file name"
            if fmt == "requirements" and _in_requirements_dir(rel) and self._root_is_package() and \
                    rel not in self._included_files():
                return Role.DEV, "optional-feature requirements of a package (requirements folder)"
        return Role.INSTALL, "default"

    def _exists(self, rel: str) -> bool:
        try:
            return (self.root / rel).is_file()
        except OSError:
            return False

    def _in_vendored_package(self, rel: str) -> bool:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):  # sub-folders only: the root's own licence is the project's
            folder = "/".join(parts[:i])
            hit = self._vendored_dirs.get(folder)
            if hit is None:
                hit = self._vendored_dirs[folder] = self._is_vendored_dir(folder)
            if hit:
                return True
        return False

    def _is_vendored_dir(self, folder: str) -> bool:
        try:
            names = {n.lower() for n in os.listdir(self.root / folder)}
        except OSError:
            return False
        return bool(names & set(LICENSE_NAMES)) and bool(names & set(SETUP_NAMES))

    def _published_pyproject(self, rel: str) -> bool:
        return _pyproject_is_package(str(self.root / rel))

    def _mirrors_library(self, rel: str) -> bool:
        """A requirements file in the folder of a package's metadata (setup.py, setup.cfg, a published
        pyproject) that lists most of the dependencies the metadata declares: the same ranges, kept for
        ``pip install -r``."""
        folder = str(PurePosixPath(rel).parent)
        meta = self._library_names(folder)
        if len(meta) < 2:
            return False
        names = _names_of(self.root / rel, rel)
        return len(meta & names) >= max(2, (6 * len(meta) + 9) // 10)

    def _root_is_package(self) -> bool:
        """Whether the project root holds the metadata of a package (setup.py, a setup.cfg with a name,
        a published pyproject): its requirements/ folder then holds optional features, not the install."""
        if self._package is None:
            cfg = _head(self.root / "setup.cfg") if self._exists("setup.cfg") else ""
            self._package = self._exists("setup.py") or \
                (self._exists("pyproject.toml") and self._published_pyproject("pyproject.toml")) or \
                bool(re.search(r"(?m)^\s*\[metadata\][^\[]*^\s*name\s*=", cfg))
        return self._package

    def _library_names(self, folder: str) -> set[str]:
        hit = self._lib_names.get(folder)
        if hit is not None:
            return hit
        out: set[str] = set()
        for name in SETUP_NAMES:
            rel = name if folder in ("", ".") else f"{folder}/{name}"
            if not self._exists(rel):
                continue
            if name == "pyproject.toml" and not self._published_pyproject(rel):
                continue
            out |= _names_of(self.root / rel, rel, main_only=True)
        self._lib_names[folder] = out
        return out

    def listing(self) -> list[str]:
        if self._listing is None:
            from mlwarden.core.files import iter_files, relpath

            try:
                self._listing = [relpath(f, self.root) for f in iter_files([self.root], root=self.root)]
            except Exception:  # an unreadable tree only loses the tree-based roles
                self._listing = []
        return self._listing

    def _library_requirements(self) -> set[str]:
        """Requirement files that a setup.py / setup.cfg / pyproject of the same or a parent folder reads
        (by name: ``parse_requirements("requirements/runtime.txt")``, ``file = ["requirements.txt"]``)."""
        if self._library_reqs is not None:
            return self._library_reqs
        from mlwarden.sources import detect

        files = self.listing()
        setups = [f for f in files if PurePosixPath(f).name.lower() in ("setup.py", "setup.cfg")
                  or f.lower().endswith("/__setup__.py") or f.lower() == "__setup__.py"
                  or (PurePosixPath(f).name.lower() == "pyproject.toml")]
        reqs = [f for f in files if detect(f) == "requirements"]
        out: set[str] = set()
        for setup in setups:
            if pattern_role(setup) is not None:
                continue
            text = _head(self.root / setup)
            if not text:
                continue
            names = {m.group(1).split("/")[-1] for m in _QUOTED.finditer(text)}
            names |= {m.group(1).split("/")[-1] for m in re.finditer(r"""["']([\w.-]+\.txt)["']""", text)}
            if not names:
                continue
            folder = str(PurePosixPath(setup).parent)
            anywhere = folder in (".", "") or setup.endswith("__setup__.py")
            for req in reqs:
                if PurePosixPath(req).name in names and (anywhere or req.startswith(folder + "/")):
                    out.add(req)
        self._library_reqs = out
        return out

    def _installed_files(self) -> set[str]:
        """Manifests that a Dockerfile, shell script, Makefile or install script of the project installs
        (``pip install -r path``), matched by path suffix."""
        if self._installed is None:
            self._scan_installers()
        assert self._installed is not None
        return self._installed

    def _included_files(self) -> set[str]:
        """Requirement files that an install-role requirements file includes (``-r``/``-c``)."""
        if self._included is None:
            self._scan_installers()
        assert self._included is not None
        return self._included

    def _scan_installers(self) -> None:
        from mlwarden.sources import detect

        files = self.listing()
        manifests = [f for f in files if detect(f) is not None]
        installed: set[str] = set()
        included: set[str] = set()
        known = set(manifests)
        for f in files if manifests else ():
            name = PurePosixPath(f).name.lower()
            is_req = detect(f) == "requirements"
            if not is_req and not any(fnmatch.fnmatchcase(name, g) for g in INSTALLER_GLOBS):
                continue
            if pattern_role(f) is not None or is_dev_requirements(f) or \
                    _words(name) & {"test", "tests", "lint", "docs", "ci", "format", "style"}:
                continue
            text = _head(self.root / f)
            if is_req:
                folder = PurePosixPath(f).parent
                for m in _INCLUDE.finditer(text):
                    target = os.path.normpath(str(folder / m.group(1).strip())).replace(os.sep, "/")
                    if target in known and target != f:
                        included.add(target)
                continue
            if "install" not in text:
                continue
            for m in _PIP_R.finditer(text):
                target = m.group(1).strip()
                while target.startswith("./"):
                    target = target[2:]
                if not target or "$" in target:
                    continue
                for cand in manifests:
                    if cand == target or cand.endswith("/" + target) or target.endswith("/" + cand):
                        installed.add(cand)
        self._installed = installed
        self._included = included


def _in_requirements_dir(rel: str) -> bool:
    from mlwarden.sources import REQUIREMENTS_DIRS

    return any(part.lower() in REQUIREMENTS_DIRS for part in PurePosixPath(rel).parts[:-1])


def _names_of(path: Path, display: str, main_only: bool = False) -> set[str]:
    """Normalized dependency names a manifest declares (its main dependencies only with ``main_only``)."""
    try:
        from mlwarden.sources.project import read_one

        m = read_one(path, display)
    except Exception:  # a file a reader cannot take only loses this heuristic
        return set()
    return {d.normalized for d in m.dependencies if d.normalized and not (main_only and d.group)}


def _head(path: Path, limit: int = 512 * 1024) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


@lru_cache(maxsize=256)
def _pyproject_is_package(path: str) -> bool:
    """A pyproject with a project name (PEP 621 or poetry) and a [build-system] table, not marked as a
    non-package (uv ``package = false``, poetry ``package-mode = false``)."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, ValueError, RecursionError):
        return False
    tool = data.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    uv = tool.get("uv")
    uv = uv if isinstance(uv, dict) else {}
    poetry = tool.get("poetry")
    poetry = poetry if isinstance(poetry, dict) else {}
    if uv.get("package") is False or poetry.get("package-mode") is False:
        return False
    project = data.get("project")
    named = (isinstance(project, dict) and isinstance(project.get("name"), str)) or \
        isinstance(poetry.get("name"), str)
    return isinstance(data.get("build-system"), dict) and named
