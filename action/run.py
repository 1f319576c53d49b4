"""Run ``mlwarden scan`` for the GitHub Action and publish its outputs (standard library only).

Inputs arrive as environment variables (never interpolated into shell text); ``INPUT_ARGS`` is split like a
shell would split it but never evaluated. mlwarden itself prints the text report and the annotations and
appends the job summary (it sees GITHUB_ACTIONS=true). This script always exits 0: the action's last step
fails the job with mlwarden's exit code, after the SARIF upload had its chance to run.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SEVERITIES = ("critical", "high", "medium", "low", "info")


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def mlwarden_command() -> list[str]:
    explicit = env("MLWARDEN_ACTION_BIN")
    if explicit:
        return [explicit]
    found = shutil.which("mlwarden")
    if found:
        return [found]
    return [sys.executable, "-m", "mlwarden"]


def _event() -> dict[str, object]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _has_commit(sha: str) -> bool:
    return subprocess.call(["git", "cat-file", "-e", f"{sha}^{{commit}}"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) == 0


def new_only_base() -> str:
    """The commit `new-only: true` compares with: the pull request's base (pull_request and
    pull_request_target events), the merge queue's base, or the commit before a push. Fetched when the
    checkout is shallow; a clear error when there is none."""
    event = _event()
    base = ""
    pr = event.get("pull_request")
    if isinstance(pr, dict) and isinstance(pr.get("base"), dict):
        base = str(pr["base"].get("sha") or "")
    group = event.get("merge_group")
    if not base and isinstance(group, dict):
        base = str(group.get("base_sha") or "")
    before = str(event.get("before") or "")
    if not base and before.strip("0"):
        base = before
    if not base or not all(c in "0123456789abcdef" for c in base.lower()):
        print("::error title=mlwarden::new-only needs a pull request, merge queue or push event with a base "
              "commit; this event has none")
        raise SystemExit(2)
    if not _has_commit(base):
        subprocess.call(["git", "fetch", "--quiet", "--no-tags", "origin", base])
    if not _has_commit(base):
        print(f"::error title=mlwarden::new-only: base commit {base} is not in the checkout; use "
              "actions/checkout with fetch-depth: 0")
        raise SystemExit(2)
    return base


def build_argv(json_report: str) -> tuple[list[str], str]:
    sarif = env("INPUT_SARIF_FILE")
    argv = [*mlwarden_command(), "scan", env("INPUT_PATH", ".") or ".",
            "--fail-on", env("INPUT_FAIL_ON", "low") or "low", "--json", json_report]
    if sarif:
        Path(sarif).parent.mkdir(parents=True, exist_ok=True)
        argv += ["--sarif", sarif]
    html = env("INPUT_HTML_REPORT")
    if html:
        Path(html).parent.mkdir(parents=True, exist_ok=True)
        argv += ["--html", html]
    if env("INPUT_CHECKS"):
        argv += ["--checks", env("INPUT_CHECKS")]
    if env("INPUT_SKIP"):
        argv += ["--skip", env("INPUT_SKIP")]
    if env("INPUT_CONFIG"):
        argv += ["--config", env("INPUT_CONFIG")]
    if env("INPUT_BASELINE"):
        argv += ["--baseline", env("INPUT_BASELINE")]
    if env("INPUT_MIN_SEVERITY"):
        argv += ["--min-severity", env("INPUT_MIN_SEVERITY")]
    if env("INPUT_NEW_ONLY").lower() == "true":
        argv += ["--new-since", new_only_base()]
    extra = env("INPUT_ARGS")
    if extra:
        try:
            argv += shlex.split(extra)
        except ValueError as exc:
            print(f"::error title=mlwarden::cannot split the args input: {exc}")
            raise SystemExit(2) from None
    return argv, sarif


def write_outputs(values: dict[str, str]) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    lines = "".join(f"{k}={v}\n" for k, v in values.items())
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(lines)
    else:
        sys.stdout.write(lines)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "mlwarden.json")
        argv, sarif = build_argv(report)
        html = env("INPUT_HTML_REPORT")
        print("mlwarden: " + " ".join(shlex.quote(a) for a in argv[1:]), flush=True)
        rc = subprocess.call(argv)
        counts = dict.fromkeys(SEVERITIES, 0)
        total = 0
        try:
            with open(report, encoding="utf-8") as fh:
                findings = json.load(fh).get("findings", [])
            for f in findings:
                sev = str(f.get("severity", ""))
                if sev in counts:
                    counts[sev] += 1
            total = len(findings)
        except (OSError, ValueError):
            if rc == 0:
                rc = 2  # no report: never call that clean
    outputs = {"findings-count": str(total), "exit-code": str(rc),
               "sarif-file": sarif if sarif and os.path.isfile(sarif) else "",
               "html-report": html if html and os.path.isfile(html) else ""}
    outputs.update({f"{s}-count": str(n) for s, n in counts.items()})
    write_outputs(outputs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
