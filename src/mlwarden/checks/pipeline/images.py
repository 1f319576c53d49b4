"""Container image references: parsed the way Docker normalises them (never pulled)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_NAME = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "docker.io" for Docker Hub
    repository: str  # "library/python"
    tag: str | None
    digest: str | None
    text: str  # as written

    @property
    def short(self) -> str:
        """The name as users write it (``python``, ``ghcr.io/org/img``)."""
        if self.registry == "docker.io":
            return self.repository.removeprefix("library/")
        return f"{self.registry}/{self.repository}"

    @property
    def pinned(self) -> bool:
        return self.digest is not None

    @property
    def latest(self) -> bool:
        return self.digest is None and (self.tag is None or self.tag == "latest")


def parse_image(text: str) -> ImageRef | None:
    """Parse ``[registry/]name[:tag][@digest]``; None when it is not a literal image reference (variables,
    empty, malformed)."""
    t = text.strip()
    if t.startswith("docker://"):
        t = t[len("docker://") :]
    if not t or "$" in t or "{" in t or " " in t:
        return None
    digest = None
    if "@" in t:
        t, _, digest = t.partition("@")
        if not _DIGEST.match(digest):
            return None
    tag = None
    last = t.rsplit("/", 1)[-1]
    if ":" in last:
        t, _, tag = t.rpartition(":")
        if not _TAG.match(tag):
            return None
    parts = t.split("/")
    if len(parts) > 1 and (
        "." in parts[0] or ":" in parts[0] or parts[0] == "localhost" or parts[0] != parts[0].lower()
    ):
        registry, repo = parts[0], "/".join(parts[1:])
    else:
        registry, repo = "docker.io", t
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
    if registry == "docker.io" and "/" not in repo:
        repo = "library/" + repo
    if not _NAME.match(repo):
        return None
    return ImageRef(registry=registry, repository=repo, tag=tag, digest=digest, text=text.strip())


def trusted(ref: ImageRef, patterns: tuple[str, ...] | list[str]) -> bool:
    """Is the image under a configured trusted registry/prefix (``ghcr.io/myorg``, ``registry.internal``)?"""
    full = f"{ref.registry}/{ref.repository}"
    for p in patterns:
        p = p.strip().rstrip("/")
        if p and (
            full == p
            or full.startswith(p + "/")
            or ref.registry == p
            or ref.short == p
            or ref.short.startswith(p + "/")
        ):
            return True
    return False


def check_image(
    text: str, line: int, options: Mapping[str, Any], emit: Callable[..., None], where: str
) -> None:
    """Report an image reference that is not pinned to a digest."""
    from mlwarden.checks.pipeline import rules as R

    if text.strip() in ("", "null", "~", "None"):
        return
    ref = parse_image(text)
    if ref is None or ref.pinned or trusted(ref, tuple(options.get("trusted-registries") or ())):
        return
    shown = text.strip().removeprefix("docker://")
    if ref.latest:
        emit(
            R.IMAGE_LATEST,
            line,
            f"{where} uses {shown} ({'no tag' if ref.tag is None else 'latest'}): whatever was pushed last",
            f"pin a version and digest: {ref.short}:<version>@sha256:<digest>",
        )
    else:
        emit(
            R.IMAGE_UNPINNED,
            line,
            f"{where} uses {shown} without a digest",
            f"pin it: {ref.short}:{ref.tag}@sha256:<digest> (mlwarden check-pipeline --fix-pins)",
        )
