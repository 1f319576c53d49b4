"""What is an artifact: model files by scan-models' format detection (magic bytes), data files by
extension, Hub-style model folders (one entry), DVC outputs, and where each came from."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# a folder holding one of these beside a model file is one Hub-style model (loaders read all its files)
HUB_MARKERS = frozenset({
    "config.json", "model_index.json", "adapter_config.json", "tokenizer_config.json", "modules.json",
    "preprocessor_config.json", "generation_config.json", "config_sentence_transformers.json",
})
# data files locked by extension (their bytes have no magic scan-models knows)
DATA_EXTENSIONS = frozenset({
    ".parquet", ".arrow", ".feather", ".tfrecord", ".tfrecords", ".avro", ".orc", ".lance", ".petastorm",
    ".h5", ".hdf5", ".npy", ".npz", ".zarr", ".lmdb", ".mdb", ".idx", ".rec",
})
# text data files only count from this size on (small CSV/JSONL files are fixtures and configs)
TEXT_DATA_EXTENSIONS = frozenset({".csv", ".tsv", ".jsonl", ".ndjson"})
TEXT_DATA_MIN = 1 << 20
# model-signing ignores these at the top of a signed folder (its default --ignore-git-paths)
SIGNING_IGNORED = frozenset({".git", ".github", ".gitignore", ".gitattributes"})
# formats that are not artifacts on their own (a compressed stream may be anything; a pointer is not data)
NOT_ARTIFACT_FORMATS = frozenset({"git-lfs-pointer"})
_HF_CACHE = re.compile(r"(?:^|/)(models|datasets|spaces)--([^/]+?)--([^/]+)/snapshots/([0-9a-f]{40})(?:/|$)")


def data_kind(rel: str, size: int) -> str | None:
    ext = os.path.splitext(rel.lower())[1]
    if ext in DATA_EXTENSIONS:
        return "data" + ext
    if ext in TEXT_DATA_EXTENSIONS and size >= TEXT_DATA_MIN:
        return "data" + ext
    return None


def sniff_format(path: Path, rel: str) -> str | None:
    """The artifact format of a file, or None when it is not a model/data artifact."""
    from mlwarden.checks.models import sniff

    fmt = sniff(path)
    if fmt == "git-lfs-pointer":
        return fmt
    if fmt:
        return fmt
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return data_kind(rel, size)


def model_walk_match(rel: str) -> bool:
    """scan-models' own directory filter (source and doc files never hold model bytes)."""
    from mlwarden.checks.models import ScanModels

    m = ScanModels().matcher()
    return bool(m(rel)) if m is not None else True


def hub_source(rel: str) -> str | None:
    """``hf:org/name@<commit>`` for a path inside a Hugging Face cache snapshot."""
    m = _HF_CACHE.search(rel)
    if not m:
        return None
    kind, org, name, sha = m.groups()
    prefix = "" if kind == "models" else f"{kind}/"
    return f"hf:{prefix}{org}/{name}@{sha}"


def hub_snapshot_folder(rel: str) -> str | None:
    m = _HF_CACHE.search(rel)
    if not m:
        return None
    return rel[: m.end()].rstrip("/")


def find_model_folders(model_files: Iterable[str], root: Path) -> set[str]:
    """Hub-style folders: the topmost ancestor (below the root) of a model file that holds a marker file,
    a Hugging Face cache snapshot, or a folder with a ``<folder>.sig`` beside it."""
    marked: dict[str, bool] = {}

    def is_marked(folder: str) -> bool:
        if folder not in marked:
            base = root / folder
            marked[folder] = (any((base / m).is_file() for m in HUB_MARKERS)
                              or (root / (folder + ".sig")).is_file())
        return marked[folder]

    out: set[str] = set()
    for rel in model_files:
        snap = hub_snapshot_folder(rel)
        if snap is not None:
            out.add(snap)
            continue
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            if is_marked(folder):
                out.add(folder)
                break
    # a folder inside another chosen folder is part of it
    return {f for f in out if not any(f != g and f.startswith(g + "/") for g in out)}


@dataclass(frozen=True)
class Listed:
    rel: str  # relative to the folder
    path: Path
    symlink: bool


def list_folder(folder: Path, signature: Path | None = None) -> Iterator[Listed]:
    """Every file of a folder artifact, as model-signing serializes it: all files below it, except the git
    paths at its top and the signature file itself; symbolic links are reported, never followed."""
    sig = signature.resolve() if signature is not None else None
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        top = base == folder
        keep = []
        for d in sorted(dirnames):
            if top and d in SIGNING_IGNORED:
                continue
            p = base / d
            if p.is_symlink():
                yield Listed(p.relative_to(folder).as_posix(), p, True)
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if top and name in SIGNING_IGNORED:
                continue
            p = base / name
            if sig is not None and p.resolve() == sig:
                continue
            yield Listed(p.relative_to(folder).as_posix(), p, p.is_symlink())
