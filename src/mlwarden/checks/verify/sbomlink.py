"""What mlwarden.lock adds to generate-sbom's ML-BOM: file digests shared with verify-artifacts (one read of
each file per process), and, for a file whose bytes are the locked ones, where its artifact came from:
the Hugging Face commit as ``pedigree``, ``distribution`` and ``digital-signature`` external references and
the model-signing tree digest. A file that does not match its lock entry gets none of these claims."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlwarden.checks.verify import lockfile


class LockView:
    """The lock's entries by repository path (None when the project has no readable lock)."""

    def __init__(self, root: Path, lock_rel: str = lockfile.LOCK_NAME) -> None:
        self.files: dict[str, tuple[lockfile.Artifact, lockfile.FileEntry]] = {}
        path = root / lock_rel
        if not path.is_file() or path.is_symlink():
            return
        try:
            lock = lockfile.read(path, lock_rel)
        except lockfile.LockError:
            return  # verify-artifacts reports it
        for a in lock.artifacts:
            for f in a.files:
                self.files[a.repo_path(f)] = (a, f)


def file_digest(path: Path) -> tuple[str, int]:
    """sha256 and size, from this process's memo when verify-artifacts (or an earlier check) read it."""
    from mlwarden.checks.verify.digest import Digest, hash_file

    d = hash_file(path)
    if not isinstance(d, Digest):
        raise OSError(d.message)
    return d.sha256, d.size


def annotate(comp: Any, display: str, view: LockView, digest: str) -> None:
    """Add the lock's provenance to an SBOM component whose bytes match its lock entry."""
    hit = view.files.get(display)
    if hit is None:
        return
    art, entry = hit
    if entry.sha256 != digest:
        return
    comp.prop("mlwarden:lock:artifact", art.path)
    comp.prop("mlwarden:lock:tree", art.tree)
    comp.prop("mlwarden:lock:source", art.source)
    if art.source.startswith("hf:"):
        repo, _, commit = art.source[3:].partition("@")
        dataset = repo.startswith("datasets/")
        repo = repo.removeprefix("datasets/")
        org, _, name = repo.rpartition("/")
        url = f"https://huggingface.co/{'datasets/' if dataset else ''}{repo}"
        if lockfile.HEX40.fullmatch(commit):
            from mlwarden.checks.sbom import purl as _purl

            ancestor: dict[str, Any] = {"type": "data" if dataset else "machine-learning-model",
                                        "name": name, "version": commit,
                                        "purl": _purl.huggingface(repo, commit, dataset=dataset)}
            if org:
                ancestor["group"] = org
            comp.pedigree = {"ancestors": [ancestor]}
            url += f"/tree/{commit}"
        comp.external_refs.add(("distribution", _safe(url)))
    elif art.source.startswith("url:"):
        comp.external_refs.add(("distribution", _safe(art.source[4:])))
    if art.signature:
        comp.external_refs.add(("digital-signature", _safe(art.signature)))


def _safe(url: str) -> str:
    from mlwarden.checks.sbom.collect import safe_url

    return safe_url(url)
