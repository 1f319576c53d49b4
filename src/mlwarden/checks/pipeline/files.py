"""Which files check-pipeline reads (by path, and by content for shebang scripts), and the front ends for
Dockerfiles, Makefiles and shell scripts."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mlwarden.checks.pipeline import dockerfile as D
from mlwarden.checks.pipeline import rules as R
from mlwarden.checks.pipeline.commands import (
    Download,
    check_unit,
    hf_resolve,
    host_of,
    is_commit,
    is_local_host,
)
from mlwarden.checks.pipeline.images import check_image, parse_image

Emit = Callable[..., None]

_SHEBANG = re.compile(rb"^#!\s*(\S*/)?(env\s+(-\S+\s+)*)?(ba|da|z|k|a)?sh\b")
_YAML = (".yml", ".yaml")
# `dockerfile.py`, `Dockerfile.md`, `Dockerfile.j2` ... are not Dockerfiles
_NOT_DOCKER = re.compile(
    r"\.(py|pyc|pyi|md|rst|txt|json|ya?ml|toml|cfg|ini|sh|bash|ps1|j2|jinja2?|tmpl|tpl|template|erb|mustache|"
    r"lock|go|rs|ts|js|html?|bak|orig|swp|dockerignore|log|patch|diff)$"
)


def kind_of(rel: str) -> str | None:
    """The kind of a file from its path (workflow, action, gitlab, docker, shell, make, maybe-shell)."""
    p = rel.replace("\\", "/")
    name = p.rsplit("/", 1)[-1]
    low = name.lower()
    if ("/" + p).find("/.github/workflows/") >= 0 and low.endswith(_YAML):
        return "workflow"
    if low in ("action.yml", "action.yaml"):
        return "action"
    if (
        low == ".gitlab-ci.yml"
        or low.endswith(".gitlab-ci.yml")
        or (("/" + p).find("/.gitlab/ci/") >= 0 and low.endswith(_YAML))
    ):
        return "gitlab"
    if (low.startswith(("dockerfile", "containerfile")) and not _NOT_DOCKER.search(low)) or low.endswith(
        (".dockerfile", ".containerfile")
    ):
        return "docker"
    if low.endswith((".sh", ".bash")):
        return "shell"
    if low in ("makefile", "gnumakefile") or low.endswith(".mk"):
        return "make"
    if "." not in name and not name.startswith("."):
        return "maybe-shell"
    return None


def matcher(rel: str) -> bool:
    # paths are relative to the folder being walked (``.github/workflows`` itself may be the argument):
    # any YAML file is a candidate, the display path decides
    return kind_of(rel) is not None or rel.lower().endswith(_YAML)


def is_shell_script(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(128)
    except OSError:
        return False
    return bool(_SHEBANG.match(head))


# -- Dockerfile ------------------------------------------------------------------------------------------

_NON_MINIMAL = re.compile(
    r"^(library/)?(ubuntu|debian|centos|fedora|rockylinux|almalinux|amazonlinux|"
    r"python|node|golang|openjdk)$"
)


def check_dockerfile(path: str, text: str, options: Mapping[str, Any], emit: Emit) -> None:
    df = D.parse(text)
    names = D.stage_names(df)
    stage_user: dict[int, str | None] = {}
    stage_parent: dict[int, int] = {}
    scripts: list[tuple[str, int]] = []
    extra: list[Download] = []
    for stage in df.stages:
        base = stage.base
        parent = next(
            (s.index for s in df.stages[: stage.index] if s.name and s.name.lower() == base.lower()), None
        )
        if parent is not None:
            stage_parent[stage.index] = parent
        elif base.lower() != "scratch" and base.lower() not in names and "$" not in base:
            ref = parse_image(base)
            where = f"FROM (stage {stage.name})" if stage.name else "FROM"
            check_image(base, stage.line, options, emit, where=where)
            if (
                options.get("non-minimal-base")
                and ref is not None
                and ref.registry == "docker.io"
                and _NON_MINIMAL.match(ref.repository)
                and not re.search(r"slim|alpine|distroless|minimal", ref.tag or "")
            ):
                emit(
                    R.DOCKER_NON_MINIMAL,
                    stage.line,
                    f"{base} is a full distribution image",
                    f"use {ref.short}:<version>-slim or a distroless image for the final stage",
                )
    env: dict[str, str] = {k: v for k, v in df.global_args.items() if v is not None}
    for ins in df.instructions:
        if ins.keyword in ("ARG", "ENV"):
            env.update(_env_pairs(ins))
        if ins.keyword == "USER" and ins.stage >= 0:
            stage_user[ins.stage] = ins.args.split(":")[0].strip() or None
        elif ins.keyword == "RUN":
            scripts.extend(_run_scripts(ins))
        elif ins.keyword == "ADD":
            _add(path, ins, extra, emit, env)
    check_unit(path, scripts, options, emit, extra=extra, env=env)
    if df.stages:
        final = df.stages[-1]
        user = _user_of(final.index, stage_user, stage_parent)
        base_low = final.base.lower()
        nonroot_base = any(w in base_low for w in ("nonroot", "distroless", "chainguard", "jupyter/"))
        if (user is None and not nonroot_base) or user in ("root", "0"):
            line = (
                next((i.line for i in reversed(final.instructions) if i.keyword == "USER"), final.line)
                if user
                else final.line
            )
            emit(
                R.DOCKER_ROOT,
                line,
                "the final stage runs as root" + ("" if user else " (no USER instruction)"),
                "add `USER <non-root user>` at the end of the final stage",
            )


def _env_pairs(ins: D.Instruction) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        words = shlex.split(ins.args)
    except ValueError:
        words = ins.args.split()
    if ins.keyword == "ENV" and len(words) >= 2 and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}  # legacy `ENV NAME value`
    for w in words:
        name, eq, value = w.partition("=")
        if eq and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            out[name] = D.substitute(value, dict(out))
    return out


def _user_of(index: int, users: dict[int, str | None], parents: dict[int, int]) -> str | None:
    seen = set()
    while index not in users and index in parents and index not in seen:
        seen.add(index)
        index = parents[index]
    return users.get(index)


def _run_scripts(ins: D.Instruction) -> list[tuple[str, int]]:
    if ins.json_args is not None:
        return [(shlex.join(ins.json_args), ins.line)]
    if not ins.heredocs:
        return [(ins.shell_text or ins.args, ins.line)]
    command = re.sub(r"<<-?(['\"]?)[A-Za-z_][A-Za-z0-9_]*\1", "", ins.args).strip()
    if not command:
        return [(h.body, h.line) for h in ins.heredocs]
    # the command with its heredocs, laid out as in the file
    text = ins.shell_text or ins.args
    for h in ins.heredocs:
        text += "\n" + h.body + h.name
    return [(text, ins.line)]


def _add(path: str, ins: D.Instruction, extra: list[Download], emit: Emit, env: Mapping[str, str]) -> None:
    words = ins.json_args if ins.json_args is not None else ins.args.split()
    if len(words) < 2 or ins.heredocs:
        return
    from mlwarden.checks.pipeline.shell import Command

    for src in words[:-1]:
        src = D.substitute(src, dict(env)) if "$" in src else src
        if not re.match(r"^(https?|ftp)://", src, re.IGNORECASE) and not src.startswith("git@"):
            continue
        cmd = Command(words=["ADD", src], line=ins.line, text=f"ADD {src}", pipeline=0)
        if "checksum" in ins.flags:
            continue
        if "$" in src:
            continue
        low = src.lower()
        if low.startswith(("http://", "ftp://")) and not is_local_host(host_of(src)):
            emit(
                R.DOWNLOAD_INSECURE,
                ins.line,
                f"ADD downloads {src} over plain http",
                "use https and --checksum=sha256:<hex>",
            )
            continue
        hf = hf_resolve(src)
        if hf is not None:
            if not is_commit(hf[1]):
                emit(
                    R.HF_DOWNLOAD_UNPINNED,
                    ins.line,
                    f"ADD of a Hub file of {hf[0]} at revision {hf[1]!r}, not a commit",
                    f"use https://huggingface.co/{hf[0]}/resolve/<40-hex commit>/...",
                )
            continue
        if low.endswith(".git") or ".git#" in low or src.startswith("git@"):
            ref = src.partition("#")[2]
            if not is_commit(ref.split(":")[0]):
                emit(
                    R.DOCKER_ADD_REMOTE,
                    ins.line,
                    f"ADD of git repository {src} not at a commit",
                    "use `ADD <repo>.git#<40-hex commit>` or --checksum",
                )
            continue
        extra.append(
            Download(
                cmd,
                src,
                words[-1].rstrip("/").rsplit("/", 1)[-1]
                if not words[-1].endswith("/")
                else src.rsplit("/", 1)[-1],
                "ADD",
            )
        )


# -- Makefile ---------------------------------------------------------------------------------------------

_MAKE_ASSIGN = re.compile(
    r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?::{1,3}|\?|\+|!)?=\s*(.*)$"
)
_MAKE_VAR = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")


def check_makefile(path: str, text: str, options: Mapping[str, Any], emit: Emit) -> None:
    variables: dict[str, str] = {}
    scripts: list[tuple[str, int]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("\t"):
            start = i
            body = [ln[1:]]
            while body[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                body.append(lines[i].lstrip("\t"))
            cmd = "\n".join(body).lstrip("@-+ ")
            cmd = _MAKE_VAR.sub(lambda m: variables.get(m.group(1), "MAKE_" + m.group(1)), cmd)
            scripts.append((cmd.replace("$$", "$"), start + 1))
        else:
            m = _MAKE_ASSIGN.match(ln)
            if m and ":" not in m.group(1):
                variables[m.group(1)] = m.group(2).strip()
        i += 1
    check_unit(path, scripts, options, emit)


def check_shell(path: str, text: str, options: Mapping[str, Any], emit: Emit) -> None:
    check_unit(path, [(text, 1)], options, emit)


__all__ = ["check_dockerfile", "check_makefile", "check_shell", "is_shell_script", "kind_of", "matcher"]
