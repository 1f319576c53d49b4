"""Which torch the project pins, read through the core dependency sources (requirements, pyproject, lock
files), looking from a scanned file's folder up to the project root; the nearest folder that names torch
wins. Cached per folder for one run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlwarden.checks.unsafe_loads.analyze import TorchInfo
from mlwarden.core.errors import UsageError

SAFE_FROM = "2.6"  # weights_only=True by default, and CVE-2025-32434 fixed
_TORCH_NAMES = frozenset({"torch", "pytorch"})


def classify_version(version: str) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        v = Version(version)
    except InvalidVersion:
        return "unknown"
    return "safe" if v.release >= (2, 6) else "vulnerable"


def parse_override(value: str) -> TorchInfo:
    from packaging.version import InvalidVersion, Version

    try:
        Version(value)
    except InvalidVersion:
        raise UsageError(f"torch-version: not a version: {value!r}") from None
    return TorchInfo(classify_version(value), value, "--torch-version")


def classify_specifier(spec: str) -> tuple[str, str | None]:
    """(state, representative version) for a requirement specifier such as '>=2.6,<3' or '~=2.4.0'."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        ss = SpecifierSet(spec)
    except InvalidSpecifier:
        return "unknown", None
    if not spec.strip():
        return "unknown", None
    for s in ss:
        if s.operator in ("==", "===") and "*" not in s.version:
            return classify_version(s.version), s.version
    # probe the boundary: does it allow anything below 2.6, anything at/after 2.6?
    probes_low = [Version(v) for v in ("1.13.1", "2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.1", "2.5.0",
                                       "2.5.1")]
    probes_high = [Version(v) for v in ("2.6.0", "2.7.1", "2.8.0", "2.9.0", "3.0.0", "3.5.0")]
    low = any(ss.contains(v, prereleases=True) for v in probes_low)
    high = any(ss.contains(v, prereleases=True) for v in probes_high)
    if high and not low:
        return "safe", str(ss)
    if low and not high:
        return "vulnerable", str(ss)
    return "unknown", None


class TorchPins:
    """Lazily finds and caches the torch pin that applies to each folder."""

    def __init__(self, root: Path, override: str | None = None) -> None:
        self.root = root.resolve()
        self.override = parse_override(override) if override else None
        self._by_dir: dict[Path, TorchInfo | None] = {}

    def for_file(self, path: Path) -> TorchInfo:
        if self.override is not None:
            return self.override
        try:
            folder = path.resolve().parent
        except OSError:
            return TorchInfo("unknown")
        for d in self._folders(folder):
            info = self._folder_info(d)
            if info is not None:
                return info
        return TorchInfo("unknown")

    def _folders(self, folder: Path) -> list[Path]:
        out: list[Path] = []
        cur = folder
        inside = cur == self.root or self.root in cur.parents
        while True:
            out.append(cur)
            if cur == self.root or cur.parent == cur:
                break
            if not inside and (cur / ".git").exists():
                break
            cur = cur.parent
        return out

    def _folder_info(self, folder: Path) -> TorchInfo | None:
        if folder in self._by_dir:
            return self._by_dir[folder]
        info = self._read_folder(folder)
        self._by_dir[folder] = info
        return info

    def _read_folder(self, folder: Path) -> TorchInfo | None:
        from mlwarden.sources import REQUIREMENTS_DIRS, is_manifest

        files: list[Path] = []
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return None
        for e in entries:
            try:
                if e.is_file(follow_symlinks=False) and is_manifest(e.name):
                    files.append(Path(e.path))
                elif e.is_dir(follow_symlinks=False) and e.name.lower() in REQUIREMENTS_DIRS:
                    for sub in sorted(Path(e.path).iterdir()):
                        if sub.is_file() and not sub.is_symlink() and is_manifest(f"{e.name}/{sub.name}"):
                            files.append(sub)
            except OSError:
                continue
        if not files:
            return None
        deps = self._dependencies(files)
        torch = [d for d in deps if d[0] in _TORCH_NAMES]
        if not torch:
            return None
        exact = [(v, src) for _, v, _, src in torch if v]
        if exact:
            from packaging.version import InvalidVersion, Version

            def key(item: tuple[str, str]) -> Any:
                try:
                    return (0, Version(item[0]))
                except InvalidVersion:
                    return (1, item[0])

            version, src = min(exact, key=key)
            return TorchInfo(classify_version(version), version, src)
        for _, _, spec, src in torch:
            state, shown = classify_specifier(spec)
            if state != "unknown":
                return TorchInfo(state, shown, src)
        return TorchInfo("unknown", None, torch[0][3])

    def _dependencies(self, files: list[Path]) -> list[tuple[str, str | None, str, str]]:
        """(normalized name, exact version, specifier, source) of every dependency in ``files``."""
        from mlwarden.core.files import relpath

        out: list[tuple[str, str | None, str, str]] = []
        try:
            from mlwarden.sources.project import project_manifests
        except ImportError:  # pragma: no cover - the shared helper is part of the core
            return out
        seen: set[str] = set()

        def add(m: Any) -> None:
            if m.path in seen:
                return
            seen.add(m.path)
            for d in m.dependencies:
                out.append((d.normalized, d.version, d.specifier or "", d.source))
            for inc in m.included:
                add(inc)

        try:
            manifests = project_manifests(files, root=self.root, use_git=False)
        except Exception:  # a reader failing on hostile content must not stop the scan: torch is unknown
            return out
        for m in manifests:
            if m.meta.get("no_reader"):
                out.extend(_fallback(self.root / m.path if not Path(m.path).is_absolute() else Path(m.path),
                                     relpath(Path(m.path), self.root)))
            else:
                add(m)
        return out


def _fallback(path: Path, display: str) -> list[tuple[str, str | None, str, str]]:
    """Minimal torch-only reading while a format's core reader has not landed (requirements-style lines
    and pyproject PEP 621 arrays). Never used when the core reader exists."""
    import re

    try:
        text = path.read_text("utf-8", "replace")[: 4 * 1024 * 1024]
    except OSError:
        return []
    out: list[tuple[str, str | None, str, str]] = []
    for m in re.finditer(r"""(?m)^[\s"']*(torch|pytorch)\s*(\[[^\]]*\])?\s*((?:[<>=!~]=?|===)\s*[\w.*+!]+"""
                         r"""(?:\s*,\s*(?:[<>=!~]=?|===)\s*[\w.*+!]+)*)?""", text):
        spec = (m.group(3) or "").replace(" ", "")
        ver = None
        if spec.startswith("==") and "," not in spec and "*" not in spec:
            ver = spec.lstrip("=")
        out.append(("torch", ver, spec, display))
    return out
