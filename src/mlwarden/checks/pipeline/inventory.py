"""The CI actions and container images a repository's pipeline uses, as SBOM components.

``references(ctx)`` lists them (path, line, as written); ``add_to_inventory(ctx, inv)`` adds them to a
generate-sbom/supply-map inventory with package URLs: ``pkg:githubactions/<owner>/<repo>@<ref>`` (a
sub-action's path as the purl subpath) and ``pkg:docker/<namespace>/<name>@sha256:<digest>?tag=...``
(``@<tag>`` when there is no digest; ``repository_url`` for registries other than Docker Hub).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlwarden.checks.pipeline import ynodes as Y
from mlwarden.checks.pipeline.images import ImageRef, parse_image

MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class PipelineRef:
    kind: str  # "action" | "image"
    text: str  # as written (``owner/repo/path@ref``, ``python:3.12@sha256:...``)
    path: str
    line: int


def references(ctx: Any) -> list[PipelineRef]:
    from mlwarden.checks.pipeline.files import kind_of, matcher

    out: list[PipelineRef] = []
    for f in ctx.files(matcher):
        display = ctx.display(f)
        kind = kind_of(display)
        if kind not in ("workflow", "action", "gitlab", "docker"):
            continue
        try:
            text = _read(f)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        try:
            if kind == "docker":
                out.extend(_docker(text, display))
            else:
                try:
                    root = Y.compose(text)
                except Y.YamlError:
                    continue
                out.extend(_yaml(root, display, kind))
        except RecursionError:
            continue
    return sorted(set(out), key=lambda r: (r.path, r.line, r.kind, r.text))


def _read(path: Path) -> str:
    with path.open("rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES or b"\x00" in data:
        raise ValueError("not a text file")
    return data.decode("utf-8-sig")


def _docker(text: str, display: str) -> Iterator[PipelineRef]:
    from mlwarden.checks.pipeline import dockerfile as D

    df = D.parse(text)
    names = D.stage_names(df)
    for stage in df.stages:
        base = stage.base
        if base.lower() in names or base.lower() == "scratch" or "$" in base:
            continue
        yield PipelineRef("image", base, display, stage.line)


def _yaml(root: Y.Node | None, display: str, kind: str) -> Iterator[PipelineRef]:
    if kind == "gitlab":
        from mlwarden.checks.pipeline.gitlab import RESERVED

        nodes = [root, Y.get(root, "default")] + [v for k, _, v in Y.items(root) if k not in RESERVED]
        for node in nodes:
            image = Y.get(node, "image")
            img = image if isinstance(image, Y.ScalarNode) else Y.get(image, "name")
            if isinstance(img, Y.ScalarNode):
                yield PipelineRef("image", str(img.value), display, Y.line(img))
            for svc in Y.seq(Y.get(node, "services")):
                s = svc if isinstance(svc, Y.ScalarNode) else Y.get(svc, "name")
                if isinstance(s, Y.ScalarNode):
                    yield PipelineRef("image", str(s.value), display, Y.line(s))
        return
    if kind == "action":
        runs = Y.get(root, "runs")
        steps = Y.seq(Y.get(runs, "steps"))
        image = Y.get(runs, "image")
        if isinstance(image, Y.ScalarNode) and str(image.value).startswith("docker://"):
            yield PipelineRef("image", str(image.value), display, Y.line(image))
        jobs: list[Y.Node] = []
    else:
        steps = []
        jobs = [j for _, _, j in Y.items(Y.get(root, "jobs"))]
    for job in jobs:
        uses = Y.get(job, "uses")
        if isinstance(uses, Y.ScalarNode):
            yield PipelineRef("action", str(uses.value), display, Y.line(uses))
        container = Y.get(job, "container")
        img = container if isinstance(container, Y.ScalarNode) else Y.get(container, "image")
        if isinstance(img, Y.ScalarNode):
            yield PipelineRef("image", str(img.value), display, Y.line(img))
        for _, _, svc in Y.items(Y.get(job, "services")):
            img = svc if isinstance(svc, Y.ScalarNode) else Y.get(svc, "image")
            if isinstance(img, Y.ScalarNode):
                yield PipelineRef("image", str(img.value), display, Y.line(img))
        steps.extend(Y.seq(Y.get(job, "steps")))
    for step in steps:
        uses = Y.get(step, "uses")
        if isinstance(uses, Y.ScalarNode):
            text = str(uses.value)
            kind_ = "image" if text.startswith("docker://") else "action"
            yield PipelineRef(kind_, text, display, Y.line(uses))


def action_parts(text: str) -> tuple[str, str, str, str] | None:
    """(owner, repo, sub-path, ref) of ``owner/repo[/path]@ref``; None for local actions and expressions."""
    target, at, ref = text.strip().partition("@")
    if not at or target.startswith(".") or "${{" in text or not ref:
        return None
    parts = [p for p in target.split("/") if p]
    if len(parts) < 2:
        return None
    return parts[0], parts[1], "/".join(parts[2:]), ref


def action_purl(owner: str, repo: str, sub: str, ref: str) -> str:
    from mlwarden.checks.sbom import purl as P

    out = P.build("githubactions", repo, version=ref, namespace=owner)
    return out + (f"#{sub}" if sub else "")


def image_purl(ref: ImageRef) -> str:
    from mlwarden.checks.sbom import purl as P

    ns, _, name = ref.repository.rpartition("/")
    if ref.registry == "docker.io" and ns == "library":
        ns = ""
    quals: dict[str, str] = {}
    if ref.registry != "docker.io":
        quals["repository_url"] = ref.registry
    if ref.digest and ref.tag:
        quals["tag"] = ref.tag
    return P.build(
        "docker", name, version=ref.digest or ref.tag or "latest", namespace=ns or None, qualifiers=quals
    )


def add_to_inventory(ctx: Any, inv: Any) -> None:
    """Add every CI action and container image to an SBOM inventory (generate-sbom, the supply map)."""
    from mlwarden.checks.pipeline.commands import is_commit
    from mlwarden.checks.sbom.collect import Component, add_component

    for r in references(ctx):
        if r.kind == "action":
            parts = action_parts(r.text)
            if parts is None:
                continue
            owner, repo, sub, ref = parts
            purl = action_purl(owner, repo, sub, ref)
            comp = Component(
                ref=purl,
                type="application",
                name=repo if not sub else f"{repo}/{sub}",
                group=owner,
                version=ref,
                purl=purl,
                origins=[(r.path, r.line)],
                pinned=is_commit(ref),
            )
            comp.external_refs.add(("vcs", f"https://github.com/{owner}/{repo}"))
            comp.prop("mlwarden:kind", "github-action")
        else:
            image = parse_image(r.text)
            if image is None:
                continue
            purl = image_purl(image)
            ns, _, name = image.repository.rpartition("/")
            comp = Component(
                ref=purl,
                type="container",
                name=name,
                group=None if ns == "library" else ns,
                version=image.digest or image.tag or "latest",
                purl=purl,
                origins=[(r.path, r.line)],
                pinned=image.pinned,
            )
            if image.digest:
                algo, _, hexdigest = image.digest.partition(":")
                if algo == "sha256":
                    comp.hashes.add(("SHA-256", hexdigest.lower()))
            comp.prop("mlwarden:kind", "container-image")
        comp.prop("mlwarden:source", r.path)
        add_component(inv, comp)
