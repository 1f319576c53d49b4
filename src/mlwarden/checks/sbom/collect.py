"""Collect what a project uses into one inventory: libraries from manifests and lock files, model and data
files in the tree, and Hugging Face models/datasets referenced in code.

Only facts stated by the project's own files are recorded (never the environment mlwarden runs in).
Identity (purl, or path for files) decides the bom-ref, so the output does not depend on line numbers,
file order or the machine.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwarden.checks.sbom import purl as _purl
from mlwarden.sources.model import Dependency, Manifest

# pip/lock hash names -> CycloneDX hash-alg names, with the hex length each must have
HASH_ALGS: dict[str, tuple[str, int]] = {
    "md5": ("MD5", 32),
    "sha1": ("SHA-1", 40),
    "sha256": ("SHA-256", 64),
    "sha384": ("SHA-384", 96),
    "sha512": ("SHA-512", 128),
    "sha3_256": ("SHA3-256", 64),
    "sha3-256": ("SHA3-256", 64),
    "sha3_384": ("SHA3-384", 96),
    "sha3-384": ("SHA3-384", 96),
    "sha3_512": ("SHA3-512", 128),
    "sha3-512": ("SHA3-512", 128),
    "blake2b": ("BLAKE2b-512", 128),
    "blake2b_256": ("BLAKE2b-256", 64),
    "blake2b-256": ("BLAKE2b-256", 64),
    "blake2b_512": ("BLAKE2b-512", 128),
    "blake2b-512": ("BLAKE2b-512", 128),
}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")

# scan-models format names that hold data rather than a model: recorded as `file` components
# (arrays, generic HDF5, plain archives and compressed streams scan-models looks into).
DATA_FORMATS = frozenset({"numpy", "npy", "npz", "numpy-npz", "parquet", "arrow", "feather", "hdf5",
                          "csv", "jsonl", "tfrecord", "tar", "zip", "gzip", "bzip2", "xz", "lzma", "zlib",
                          "lz4"})

VERDICTS = ("clean", "suspicious", "malicious", "unscannable")


def parse_hash(text: str) -> tuple[str, str] | None:
    """``sha256:<hex>`` (or ``sha256=<hex>``) -> (``SHA-256``, lowercase hex), None if not valid."""
    alg, sep, value = text.strip().replace("=", ":", 1).partition(":")
    if not sep:
        return None
    known = HASH_ALGS.get(alg.strip().lower())
    value = value.strip()
    if known is None or len(value) != known[1] or not _HEX.match(value):
        return None
    return known[0], value.lower()


@dataclass
class Component:
    """One inventory entry, merged over every place that states it."""

    ref: str
    type: str  # library | machine-learning-model | data | file
    name: str
    group: str | None = None
    version: str | None = None
    purl: str | None = None
    scope: str = "required"  # required | optional
    description: str | None = None
    hashes: set[tuple[str, str]] = field(default_factory=set)
    licenses: set[str] = field(default_factory=set)
    properties: set[tuple[str, str]] = field(default_factory=set)
    external_refs: set[tuple[str, str]] = field(default_factory=set)  # (type, url)
    depends_on: set[str] = field(default_factory=set)  # bom-refs
    model_card: dict[str, Any] | None = None
    direct: bool = False
    # (display path, line) of every place this component is stated: for findings, never serialised
    origins: list[tuple[str, int | None]] = field(default_factory=list)
    normalized: str = ""  # the package name normalised, for dependency edges
    pinned: bool = True
    pedigree: dict[str, Any] | None = None  # e.g. the Hub commit a locked model folder came from

    def prop(self, name: str, value: str) -> None:
        self.properties.add((name, value))


@dataclass
class Inventory:
    project_name: str
    project_version: str | None = None
    components: dict[str, Component] = field(default_factory=dict)
    direct_refs: set[str] = field(default_factory=set)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (display path, message)
    metadata_properties: set[tuple[str, str]] = field(default_factory=set)

    def sorted_components(self) -> list[Component]:
        return [self.components[k] for k in sorted(self.components)]


# ---------------------------------------------------------------------------------------------- libraries

def safe_url(url: str) -> str:
    """Percent-encode what an IRI reference may not contain (spaces, quotes, braces, ...) so the schema's
    ``iri-reference`` format holds whatever a manifest wrote; valid URLs are unchanged."""
    from urllib.parse import quote

    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def _strip_vcs_url(url: str) -> tuple[str, str | None]:
    """``git+https://host/repo.git@ref#egg=x`` -> (``git+https://host/repo.git``, ``ref``)."""
    base = url.split("#", 1)[0]
    scheme_end = base.find("://")
    path_start = scheme_end + 3 if scheme_end >= 0 else 0
    at = base.rfind("@")
    if at > path_start and "/" not in base[at + 1:] and base.find("/", path_start) < at:
        return base[:at], base[at + 1:] or None
    return base, None


def _url_fragment_hashes(url: str) -> Iterator[tuple[str, str]]:
    _, _, frag = url.partition("#")
    for part in frag.split("&"):
        h = parse_hash(part)
        if h:
            yield h


def library_component(dep: Dependency) -> Component:
    """The component one dependency entry describes (not yet merged with others)."""
    name = dep.name.strip()
    norm = dep.normalized or _purl.pypi_name(name)
    props: set[tuple[str, str]] = set()
    ext: set[tuple[str, str]] = set()
    hashes = {h for h in (parse_hash(x) for x in dep.hashes) if h}
    version = dep.version
    purl: str | None
    pinned = dep.pinned
    if dep.kind == "conda":
        channel = dep.extra.get("channel") if isinstance(dep.extra.get("channel"), str) else None
        build = dep.extra.get("build") if isinstance(dep.extra.get("build"), str) else None
        purl = _purl.conda(name, version, channel, build if version else None)
        ref = purl
    elif dep.local_path and not dep.vcs:
        purl = None
        ref = f"path:{dep.local_path}"
        name = name or dep.local_path
        props.add(("mlwarden:local-path", dep.local_path))
        pinned = version is not None
    elif dep.vcs or (dep.url and dep.commit):
        base, ref_in_url = _strip_vcs_url(dep.url or "")
        if dep.vcs and base and not base.startswith(dep.vcs + "+"):
            base = f"{dep.vcs}+{base}"
        rev = dep.commit or dep.ref or ref_in_url
        vcs_url = f"{base}@{rev}" if rev else base
        plain = base.split("+", 1)[1] if "+" in base.split("://", 1)[0] else base
        if name:
            purl = _purl.pypi(name, version, {"vcs_url": vcs_url} if base else None)
            ref = purl
        else:  # no project name stated: no purl can be formed; the URL is the identity
            purl = None
            ref = f"vcs:{vcs_url}"
            label = plain.split("://", 1)[-1].rstrip("/")
            name = label[:-4] if label.endswith(".git") else label
        if plain:
            ext.add(("vcs", safe_url(plain)))
        if rev:
            props.add(("mlwarden:vcs:ref", rev))
        pinned = bool(dep.commit and _COMMIT.match(dep.commit)) or bool(rev and _COMMIT.match(rev))
    elif dep.url:
        url = dep.url.split("#", 1)[0]
        hashes.update(_url_fragment_hashes(dep.url))
        if name:
            purl = _purl.pypi(name, version, {"download_url": url})
            ref = purl
        else:  # no project name stated: the file name is the name, the URL the identity
            purl = None
            ref = f"url:{url}"
            name = url.rstrip("/").rsplit("/", 1)[-1] or url
        ext.add(("distribution", safe_url(url)))
        pinned = bool(hashes) or version is not None
    else:
        purl = _purl.pypi(name, version)
        ref = purl
    if dep.editable:
        props.add(("mlwarden:editable", "true"))
    if dep.group:
        props.add(("mlwarden:dependency-group", dep.group))
    for extra in dep.extras:
        props.add(("mlwarden:extra", extra))
    if dep.index:
        props.add(("mlwarden:index", dep.index))
    props.add(("mlwarden:source", dep.source))
    shown = _purl.pypi_name(name) if purl and dep.kind != "conda" else name
    comp = Component(ref=ref, type="library", name=shown,
                     version=version, purl=purl, scope="optional" if dep.optional else "required",
                     hashes=hashes, properties=props, external_refs=ext, direct=dep.direct,
                     origins=[(dep.source, dep.line)], normalized=norm, pinned=pinned)
    if dep.license:
        comp.licenses.add(dep.license.strip())
    return comp


def _merge(into: Component, other: Component) -> None:
    into.hashes |= other.hashes
    into.licenses |= other.licenses
    into.properties |= other.properties
    into.external_refs |= other.external_refs
    into.depends_on |= other.depends_on
    into.origins.extend(other.origins)
    into.direct = into.direct or other.direct
    if other.scope == "required":
        into.scope = "required"
    into.pinned = into.pinned or other.pinned
    into.pedigree = into.pedigree or other.pedigree


def add_dependencies(inv: Inventory, manifests: Iterable[Manifest]) -> None:
    """Add every dependency of ``manifests`` (with their -r/-c includes), merge duplicates by identity,
    drop name-only entries of a package that some file pins, and resolve ``depends_on`` edges."""
    entries: list[tuple[Dependency, Component]] = []
    for man in manifests:
        for dep in man.all_dependencies():
            if dep.kind == "constraint":
                continue  # a constraint restricts a version; it does not add a component
            entries.append((dep, library_component(dep)))
    # packages pinned somewhere: loose mentions elsewhere (pyproject ranges) describe the same package
    versioned = {(c.purl or "").split("@")[0].split("?")[0] for _, c in entries if c.version}
    by_ref: dict[str, Component] = {}
    loose: list[Component] = []
    for _, comp in entries:
        key = (comp.purl or "").split("?")[0]
        if comp.purl and comp.version is None and "@" not in key and key in versioned and \
                not comp.external_refs:
            loose.append(comp)
            continue
        if comp.ref in by_ref:
            _merge(by_ref[comp.ref], comp)
        else:
            by_ref[comp.ref] = comp
    by_name: dict[str, list[Component]] = {}
    for comp in by_ref.values():
        by_name.setdefault(comp.normalized, []).append(comp)
    for comp in loose:  # fold direct/scope/source facts into the pinned component(s) of that name
        for target in by_name.get(comp.normalized, []):
            if target.version is not None:
                target.direct = target.direct or comp.direct
                if comp.scope == "required":
                    target.scope = "required"
                target.properties |= {p for p in comp.properties if p[0] == "mlwarden:source"}
    # dependency edges: prefer a component stated by the same file
    for dep, comp in entries:
        if not dep.depends_on or comp.ref not in by_ref:
            continue
        owner = by_ref[comp.ref]
        for name in dep.depends_on:
            candidates = by_name.get(name, [])
            same = [c for c in candidates if ("mlwarden:source", dep.source) in c.properties]
            for target in same or candidates:
                if target.ref != owner.ref:
                    owner.depends_on.add(target.ref)
    for comp in by_ref.values():
        if comp.ref in inv.components:
            _merge(inv.components[comp.ref], comp)
        else:
            inv.components[comp.ref] = comp
        if comp.direct:
            inv.direct_refs.add(comp.ref)


# ------------------------------------------------------------------------------------------- model files

def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(1024 * 1024)
            if not chunk:
                break
            size += len(chunk)
            h.update(chunk)
    return h.hexdigest(), size


def verdict_of(findings: Iterable[Any]) -> str:
    """clean / suspicious / malicious / unscannable from scan-models' findings for one file."""
    from mlwarden.core.findings import Severity

    worst: Severity | None = None
    unscannable = False
    for f in findings:
        slug = str(getattr(f, "slug", ""))
        if slug in ("unreadable-file",) or any(w in slug for w in ("unscannable", "malformed", "truncated",
                                                                    "unsupported", "too-large", "bomb",
                                                                    "corrupt", "unreadable")):
            unscannable = True
        level = getattr(f, "level", None)
        if isinstance(level, Severity) and level > Severity.INFO:
            worst = level if worst is None or level > worst else worst
    if worst is not None and worst >= Severity.CRITICAL:
        return "malicious"
    if unscannable:
        return "unscannable"
    if worst is not None:
        return "suspicious"
    return "clean"


_MAX_CONFIG = 1024 * 1024
_FRONT_MATTER_KEYS = ("pipeline_tag", "license")


def model_card_facts(folder: Path, cache: dict[Path, dict[str, str]]) -> dict[str, str]:
    """Facts stated by a local Hugging Face-style model folder: ``config.json`` (``model_type``,
    ``architectures``) and the README's YAML front matter (``pipeline_tag``, ``license``). Read as data,
    size-bounded; anything malformed is simply not a fact."""
    if folder in cache:
        return cache[folder]
    facts: dict[str, str] = {}
    cfg = folder / "config.json"
    try:
        if cfg.is_file() and not cfg.is_symlink() and cfg.stat().st_size <= _MAX_CONFIG:
            data = json.loads(cfg.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                if isinstance(data.get("model_type"), str) and data["model_type"].strip():
                    facts["architectureFamily"] = data["model_type"].strip()
                archs = data.get("architectures")
                if isinstance(archs, list) and archs and all(isinstance(a, str) for a in archs):
                    facts["modelArchitecture"] = ", ".join(a.strip() for a in archs if a.strip())
                for key in ("pipeline_tag", "task"):
                    if isinstance(data.get(key), str) and data[key].strip():
                        facts["task"] = data[key].strip()
                        break
    except (OSError, ValueError, RecursionError):
        pass
    readme = folder / "README.md"
    try:
        if readme.is_file() and not readme.is_symlink() and readme.stat().st_size <= _MAX_CONFIG:
            text = readme.read_text(encoding="utf-8", errors="replace")
            if text.startswith("---"):
                end = text.find("\n---", 3)
                for line in text[3:end if end > 0 else 0].splitlines():
                    key, sep, value = line.partition(":")
                    value = value.strip().strip("'\"")
                    if sep and key.strip() in _FRONT_MATTER_KEYS and value and not line.startswith(" "):
                        facts["task" if key.strip() == "pipeline_tag" else "license"] = value
    except OSError:
        pass
    cache[folder] = facts
    return facts


def model_card(ref: str, facts: dict[str, str]) -> dict[str, Any] | None:
    params = {k: facts[k] for k in ("task", "architectureFamily", "modelArchitecture") if k in facts}
    if not params:
        return None
    return {"bom-ref": f"{ref}#model-card", "modelParameters": params}


def model_component(display: str, fmt: str, digest: str, size: int, verdict: str,
                    facts: dict[str, str]) -> Component:
    ref = f"file:{display}"
    is_data = fmt.lower() in DATA_FORMATS
    comp = Component(ref=ref, type="file" if is_data else "machine-learning-model", name=display,
                     hashes={("SHA-256", digest)}, origins=[(display, None)])
    comp.prop("mlwarden:file:size", str(size))
    comp.prop("mlwarden:model:format", fmt)
    comp.prop("mlwarden:scan:verdict", verdict)
    if not is_data:
        comp.model_card = model_card(ref, facts)
        if "license" in facts:
            comp.licenses.add(facts["license"])
    return comp


# ------------------------------------------------------------------------------------ Hub references

def hub_component(kind: str, repo_id: str, revision: str | None, pinned: bool, display: str,
                  line: int | None) -> Component:
    dataset = kind == "dataset"
    commit = revision.lower() if pinned and revision and _COMMIT.match(revision) else None
    org, _, name = repo_id.rpartition("/")
    if commit:
        purl = _purl.huggingface(repo_id, commit, dataset=dataset)
        ref = purl
    else:
        purl = None
        ref = f"huggingface:{'dataset' if dataset else 'model'}:{repo_id}" + (f"@{revision}" if revision
                                                                              else "")
    comp = Component(ref=ref, type="data" if dataset else "machine-learning-model", name=name,
                     group=org or None, version=commit or revision or None, purl=purl,
                     origins=[(display, line)], pinned=commit is not None)
    url = safe_url(f"https://huggingface.co/{'datasets/' if dataset else ''}{repo_id}")
    if commit:
        url += f"/tree/{commit}"
    comp.external_refs.add(("distribution", url))
    comp.prop("mlwarden:source", display)
    comp.prop("mlwarden:huggingface:repo-id", repo_id)
    if revision and not commit:
        comp.prop("mlwarden:huggingface:revision", revision)
    return comp


def add_component(inv: Inventory, comp: Component) -> None:
    if comp.ref in inv.components:
        _merge(inv.components[comp.ref], comp)
    else:
        inv.components[comp.ref] = comp


# ------------------------------------------------------------------------------------------------ GitLab

_PACKAGE_MANAGERS = {"uv.lock": "uv", "poetry.lock": "poetry", "Pipfile.lock": "pipenv", "Pipfile": "pipenv",
                     "pdm.lock": "pdm", "pylock": "pip", "pyproject": "pip", "requirements": "pip",
                     "setup.py": "pip", "setup.cfg": "pip",
                     "conda": "conda"}
_LOCK_FORMATS = ("uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "pylock")


def add_gitlab_properties(inv: Inventory) -> None:
    """GitLab's CycloneDX property taxonomy (schema version 1): where each dependency was found, by which
    package manager, and its category, so GitLab's dependency list can show and link it."""
    from mlwarden.sources import detect

    inv.metadata_properties.add(("gitlab:meta:schema_version", "1"))
    for comp in inv.components.values():
        if comp.type != "library":
            continue
        sources = sorted(v for n, v in comp.properties if n == "mlwarden:source")
        if not sources:
            continue
        locks = [s for s in sources if detect(s) in _LOCK_FORMATS]
        chosen = (locks or sources)[0]
        comp.prop("gitlab:dependency_scanning:input_file:path", chosen)
        comp.prop("gitlab:dependency_scanning:package_manager:name",
                  _PACKAGE_MANAGERS.get(detect(chosen) or "requirements", "pip"))
        comp.prop("gitlab:dependency_scanning:category",
                  "production" if comp.scope == "required" else "development")
