"""GitHub Actions workflows and composite/docker actions (``action.yml``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from mlwarden.checks.pipeline import expr
from mlwarden.checks.pipeline import rules as R
from mlwarden.checks.pipeline import ynodes as Y
from mlwarden.checks.pipeline.commands import check_unit, is_commit
from mlwarden.checks.pipeline.images import check_image
from mlwarden.core.findings import Severity

Emit = Callable[..., None]

# triggers that run with the base repository's secrets and a write token on events strangers can cause
PR_TARGET = frozenset({"pull_request_target", "issue_comment", "workflow_run"})
PRIVILEGED = PR_TARGET | {"issues", "discussion", "discussion_comment"}
PR_TRIGGERS = frozenset({"pull_request", "pull_request_target"})
_SHELLS = ("bash", "sh", "")
_PR_HEAD = re.compile(
    r"github\.event\.pull_request\.head\.|github\.head_ref|github\.event\.workflow_run\.head_|"
    r"refs/pull/|github\.event\.issue\.number|github\.event\.number|pull_request\.number|"
    r"steps\.[\w-]+\.outputs\.|needs\.[\w-]+\.outputs\.|github\.event\.client_payload",
    re.IGNORECASE,
)
_RUN_FETCH_PR = re.compile(
    r"\bgh\s+pr\s+checkout\b|\bgit\s+fetch\b[^\n]*\bpull/|\brefs/pull/|"
    r"\bgit\s+(checkout|switch)\b[^\n]*\$\{\{\s*github\.(event\.pull_request\.head|head_ref)"
)
_SAME_REPO = re.compile(
    r"head\.repo\.full_name\s*==\s*github\.repository|github\.repository\s*==\s*"
    r"github\.event\.pull_request\.head\.repo\.full_name|head\.repo\.fork\s*==\s*false|"
    r"!\s*github\.event\.pull_request\.head\.repo\.fork"
)
_GATED = re.compile(
    r"author_association|labels|github\.actor\s*==|github\.triggering_actor\s*==|"
    r"permission",
    re.IGNORECASE,
)
# runner labels of GPU machines (GitHub's own images are ubuntu-*/windows-*/macos-*): self-hosted or
# organisation runners that keep state between jobs
_GPU_LABEL = re.compile(
    r"(^|[.\-_])(gpu|nvidia|cuda|a100|h100|v100|a10g|rocm|mi300)([.\-_]|$)", re.IGNORECASE
)
_LARGER_RUNNER = re.compile(r"^\d+-core", re.IGNORECASE)
_PUBLISH_USES = (
    "pypa/gh-action-pypi-publish",
    "softprops/action-gh-release",
    "docker/build-push-action",
    "ncipollo/release-action",
    "actions/create-release",
    "actions/upload-release-asset",
)
_PUBLISH_RUN = re.compile(
    r"\btwine\s+upload\b|\bnpm\s+publish\b|\bdocker\s+push\b|\buv\s+publish\b|"
    r"\bpoetry\s+publish\b|\bhuggingface-cli\s+upload\b|\bhf\s+upload\b"
)
_CACHE_ACTIONS = (
    "actions/cache",
    "actions/cache/restore",
    "swatinem/rust-cache",
    "mozilla-actions/sccache-action",
)


def triggers(root: Y.Node | None) -> set[str]:
    on = Y.get(root, "on")
    if on is None:
        on = Y.get(root, "true")  # `on` read as a YAML 1.1 boolean by some writers
    out: set[str] = set()
    if isinstance(on, Y.ScalarNode):
        out.add(str(on.value))
    elif isinstance(on, Y.SequenceNode):
        out.update(str(n.value) for n in on.value if isinstance(n, Y.ScalarNode))
    else:
        out.update(k for k, _, _ in Y.items(on))
    return out


def _release_trigger(root: Y.Node | None) -> bool:
    on = Y.get(root, "on")
    if Y.get(on, "release") is not None or (isinstance(on, Y.ScalarNode) and on.value == "release"):
        return True
    push = Y.get(on, "push")
    return push is not None and Y.get(push, "tags") is not None and Y.get(push, "branches") is None


def check_workflow(path: str, root: Y.Node, options: Mapping[str, Any], emit: Emit) -> None:
    trig = triggers(root)
    jobs = Y.get(root, "jobs")
    job_items = list(Y.items(jobs))
    top_perm = Y.get(root, "permissions")
    _permissions(top_perm, emit, workflow_level=True, jobs=len(job_items))
    if (
        top_perm is None
        and job_items
        and not all(Y.get(j, "permissions") is not None for _, _, j in job_items)
    ):
        jobs_key = next((k for k, kn, _ in Y.items(root) if k == "jobs"), None)
        line = next((kn.start_mark.line + 1 for k, kn, _ in Y.items(root) if k == jobs_key), 1)
        emit(
            R.GHA_PERMISSIONS_UNDECLARED,
            line,
            "workflow does not declare `permissions:`; the token gets the "
            "repository default (read-write on older repositories)",
            "add `permissions: contents: read` at the top",
        )
    release = _release_trigger(root)
    env = _env(Y.get(root, "env"))
    for name, _, job in job_items:
        _job(path, name, job, trig, release, options, emit, env)


def check_action(path: str, root: Y.Node, options: Mapping[str, Any], emit: Emit) -> None:
    runs = Y.get(root, "runs")
    using = (Y.scalar(Y.get(runs, "using")) or "").lower()
    if using == "composite":
        scripts = _steps(path, Y.seq(Y.get(runs, "steps")), set(), options, emit, job=None)
        check_unit(path, scripts, options, emit)
    elif using == "docker":
        image = Y.get(runs, "image")
        text = Y.scalar(image) or ""
        if text.startswith("docker://"):
            check_image(text, Y.line(image), options, emit, where="action image")


def _env(node: Y.Node | None) -> dict[str, str]:
    return {
        k: str(v.value)
        for k, _, v in Y.items(node)
        if isinstance(v, Y.ScalarNode) and "${{" not in str(v.value)
    }


def _job(
    path: str,
    name: str,
    job: Y.Node,
    trig: set[str],
    release: bool,
    options: Mapping[str, Any],
    emit: Emit,
    workflow_env: Mapping[str, str] | None = None,
) -> None:
    cond = " ".join(s.value for s in Y.strings(Y.get(job, "if")))
    same_repo = bool(_SAME_REPO.search(cond))
    _permissions(Y.get(job, "permissions"), emit, workflow_level=False, jobs=1)
    uses = Y.get(job, "uses")  # reusable workflow
    if isinstance(uses, Y.ScalarNode):
        _uses(str(uses.value), Y.line(uses), options, emit)
    # runners
    if trig & PR_TRIGGERS and not same_repo:
        runs_on = Y.get(job, "runs-on")
        labels = [s.value for s in Y.strings(runs_on)]
        if any("${{" in v for v in labels):
            matrix = Y.get(Y.get(job, "strategy"), "matrix")
            labels += [s.value for s in Y.strings(matrix)]
        hosted = [str(v).strip() for v in labels if str(v).strip().lower() == "self-hosted"]
        # GPU labels without `self-hosted` may be GitHub's ephemeral larger runners (named by the org,
        # often `4-core-ubuntu-gpu-t4`): those are skipped, the others are medium
        gpu = [
            str(v).strip()
            for v in labels
            if _GPU_LABEL.search(str(v)) and "${{" not in str(v) and not _LARGER_RUNNER.match(str(v).strip())
        ]
        if hosted or gpu:
            emit(
                R.GHA_SELF_HOSTED_PR,
                Y.line(runs_on),
                f"job {name!r} runs pull-request code on a self-hosted "
                + (f"GPU runner ({gpu[0]})" if gpu and not hosted else "runner"),
                "use a GitHub-hosted or ephemeral runner for pull requests, or restrict the job to "
                "branches of this repository",
                severity=None if hosted else Severity.MEDIUM,
            )
    # images
    container = Y.get(job, "container")
    if container is not None:
        img = container if isinstance(container, Y.ScalarNode) else Y.get(container, "image")
        if isinstance(img, Y.ScalarNode):
            check_image(str(img.value), Y.line(img), options, emit, where=f"job {name!r} container")
    for sname, _, svc in Y.items(Y.get(job, "services")):
        img = svc if isinstance(svc, Y.ScalarNode) else Y.get(svc, "image")
        if isinstance(img, Y.ScalarNode):
            check_image(str(img.value), Y.line(img), options, emit, where=f"service {sname!r}")
    steps = Y.seq(Y.get(job, "steps"))
    default_shell = Y.scalar(Y.get(Y.get(Y.get(job, "defaults"), "run"), "shell")) or ""
    scripts = _steps(path, steps, trig, options, emit, job=name, default_shell=default_shell)
    env = dict(workflow_env or {})
    env.update(_env(Y.get(job, "env")))
    for step in steps:
        env.update(_env(Y.get(step, "env")))
    check_unit(path, scripts, options, emit, env=env)
    # privileged trigger + PR code
    pr_checkout_line = None
    if trig & PR_TARGET and not same_repo:
        pr_checkout_line = _pr_checkout(steps)
        if pr_checkout_line is not None:
            gated = bool(_GATED.search(cond)) or Y.get(job, "environment") is not None
            which = ", ".join(sorted(trig & PR_TARGET))
            emit(
                R.GHA_PR_TARGET_CHECKOUT,
                pr_checkout_line,
                f"job {name!r} ({which}) checks out pull-request code with the base repository's secrets"
                + (" (gated by a condition or environment)" if gated else ""),
                "run untrusted code under `pull_request`, or split into an unprivileged build and a "
                "privileged job that only reads its artifacts",
                severity=Severity.HIGH if gated else None,
            )
    cache_line = _cache_use(steps)
    if cache_line is not None:
        if pr_checkout_line is not None:
            emit(
                R.GHA_CACHE_POISONING,
                cache_line,
                f"job {name!r} caches while running pull-request code under a privileged trigger",
                "do not use caches in privileged jobs that run PR code",
            )
        elif release or _publishes(steps):
            emit(
                R.GHA_CACHE_POISONING,
                cache_line,
                f"release/publish job {name!r} restores a cache that other runs can write",
                "build releases without caches (or with caches keyed only to this release)",
            )


def _permissions(node: Y.Node | None, emit: Emit, workflow_level: bool, jobs: int) -> None:
    if node is None:
        return
    value = Y.scalar(node)
    if value is not None:
        if value.strip() == "write-all":
            emit(
                R.GHA_EXCESSIVE_PERMISSIONS,
                Y.line(node),
                "`permissions: write-all` gives the token every write scope",
                "grant only the scopes needed, per job",
                severity=Severity.HIGH,
            )
        return
    if not workflow_level or jobs <= 1:
        return
    writes = [k for k, _, v in Y.items(node) if (Y.scalar(v) or "").strip() == "write"]
    if writes:
        emit(
            R.GHA_EXCESSIVE_PERMISSIONS,
            Y.line(node),
            f"workflow-level write permissions ({', '.join(writes)}) apply to all {jobs} jobs",
            "declare read scopes at the top and write scopes on the job that needs them",
        )


def _uses(text: str, line: int, options: Mapping[str, Any], emit: Emit) -> None:
    text = text.strip()
    if text.startswith("./") or not text:
        return
    if text.startswith("docker://"):
        check_image(text, line, options, emit, where="step image")
        return
    target, at, ref = text.partition("@")
    if not at or "${{" in text:
        return
    owner = target.split("/", 1)[0].lower()
    trusted = {o.lower().strip() for o in options.get("trusted-owners") or ()}
    if owner in trusted or is_commit(ref):
        return
    kind = (
        "tag"
        if re.match(r"^v?\d", ref)
        else "branch"
        if ref in ("main", "master", "develop", "dev", "trunk") or not re.search(r"\d", ref)
        else "ref"
    )
    github_owned = owner in ("actions", "github")
    emit(
        R.GHA_UNPINNED_ACTION,
        line,
        f"{target} is used at {kind} {ref!r}, not a commit",
        f"pin it: uses: {target}@<40-hex commit> # {ref} (mlwarden check-pipeline --fix-pins)",
        severity=Severity.MEDIUM if github_owned else None,
    )


def _steps(
    path: str,
    steps: list[Y.Node],
    trig: set[str],
    options: Mapping[str, Any],
    emit: Emit,
    job: str | None,
    default_shell: str = "",
) -> list[tuple[str, int]]:
    scripts: list[tuple[str, int]] = []
    privileged = bool(trig & PRIVILEGED)
    for step in steps:
        uses = Y.get(step, "uses")
        if isinstance(uses, Y.ScalarNode):
            _uses(str(uses.value), Y.line(uses), options, emit)
            if str(uses.value).lower().startswith("actions/github-script"):
                script = Y.get(Y.get(step, "with"), "script")
                if isinstance(script, Y.ScalarNode):
                    _injection(script, privileged, trig, emit, "github-script")
        run = Y.get(step, "run")
        if isinstance(run, Y.ScalarNode):
            _injection(run, privileged, trig, emit, "run")
            shell = (Y.scalar(Y.get(step, "shell")) or default_shell).split(" ")[0].rsplit("/", 1)[-1]
            if shell in _SHELLS:
                scripts.append((_blank_expressions(str(run.value)), Y.text_first_line(run)))
    return scripts


def _blank_expressions(text: str) -> str:
    out = []
    last = 0
    for sp in expr.spans(text):
        out.append(text[last : sp.start])
        body = text[sp.start : sp.end]
        out.append("\x00E\x00" + "\n" * body.count("\n"))
        last = sp.end
    out.append(text[last:])
    return "".join(out)


def _injection(node: Y.ScalarNode, privileged: bool, trig: set[str], emit: Emit, where: str) -> None:
    text = str(node.value)
    if "${{" not in text:
        return
    first = Y.text_first_line(node)
    block = node.style in ("|", ">")
    for sp in expr.spans(text):
        bad = [r.path for r in expr.references(sp.body) if expr.attacker_controlled(r)]
        if not bad:
            continue
        line = first + (text.count("\n", 0, sp.start) if block else 0)
        sev = None if privileged else Severity.MEDIUM
        ctx = ", ".join(sorted(trig & PRIVILEGED)) if privileged else "an unprivileged trigger"
        emit(
            R.GHA_EXPRESSION_INJECTION,
            line,
            f"`${{{{ {bad[0]} }}}}` is expanded into the {where} script ({ctx})",
            f'pass it through env: (VALUE: ${{{{ {bad[0]} }}}}) and use "$VALUE"',
            severity=sev,
        )


def _pr_checkout(steps: list[Y.Node]) -> int | None:
    for step in steps:
        uses = Y.scalar(Y.get(step, "uses")) or ""
        if uses.lower().startswith("actions/checkout"):
            with_ = Y.get(step, "with")
            for key in ("ref", "repository"):
                v = Y.get(with_, key)
                if isinstance(v, Y.ScalarNode) and _PR_HEAD.search(str(v.value)):
                    return Y.line(v)
        run = Y.get(step, "run")
        if isinstance(run, Y.ScalarNode) and _RUN_FETCH_PR.search(str(run.value)):
            m = _RUN_FETCH_PR.search(str(run.value))
            assert m is not None
            block = run.style in ("|", ">")
            return Y.text_first_line(run) + (str(run.value).count("\n", 0, m.start()) if block else 0)
    return None


def _cache_use(steps: list[Y.Node]) -> int | None:
    for step in steps:
        uses = (Y.scalar(Y.get(step, "uses")) or "").lower()
        action = uses.partition("@")[0]
        with_ = Y.get(step, "with")
        if action in _CACHE_ACTIONS:
            return Y.line(Y.get(step, "uses"))
        if action.startswith("actions/setup-") and Y.scalar(Y.get(with_, "cache")):
            return Y.line(Y.get(with_, "cache"))
        if (
            action == "astral-sh/setup-uv"
            and (Y.scalar(Y.get(with_, "enable-cache")) or "").lower() == "true"
        ):
            return Y.line(Y.get(with_, "enable-cache"))
        if action == "docker/build-push-action" and "type=gha" in (
            Y.scalar(Y.get(with_, "cache-from")) or ""
        ):
            return Y.line(Y.get(with_, "cache-from"))
    return None


def _publishes(steps: list[Y.Node]) -> bool:
    for step in steps:
        uses = (Y.scalar(Y.get(step, "uses")) or "").lower().partition("@")[0]
        if uses in _PUBLISH_USES:
            if (
                uses == "docker/build-push-action"
                and (Y.scalar(Y.get(Y.get(step, "with"), "push")) or "").lower() != "true"
            ):
                continue
            return True
        run = Y.scalar(Y.get(step, "run")) or ""
        if _PUBLISH_RUN.search(run):
            return True
    return False
