"""External runners the delivery tests need (act, gitlab-ci-local): found on PATH, or provisioned into a
cache folder where that is possible (npm), otherwise the test is skipped with a one-line reason naming the
install command — except under CI=true, where a missing runner fails the test so CI keeps proving every door.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# read once at import: the ship tests' autouse fixture clears CI from the environment of each test
UNDER_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CACHE = Path(os.environ.get("MLWARDEN_TEST_TOOLS", Path.home() / ".cache" / "mlwarden-tests" / "tools"))
NPM_PACKAGES = {"gitlab-ci-local": "gitlab-ci-local@4.53.0"}


def _npm_provision(name: str) -> str | None:
    """``npm install --prefix CACHE/npm <package>`` (only when npm exists and provisioning is allowed)."""
    package = NPM_PACKAGES.get(name)
    npm = shutil.which("npm")
    if not package or not npm or os.environ.get("MLWARDEN_TEST_PROVISION", "1") == "0":
        return None
    prefix = CACHE / "npm"
    exe = prefix / "node_modules" / ".bin" / name
    if not exe.is_file():
        prefix.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix),
                            package], capture_output=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
    return str(exe) if exe.is_file() else None


def require_tool(name: str, install: str, under_ci: bool | None = None) -> str:
    """The path of ``name``; skip (fail under CI) with a one-line reason naming ``install`` otherwise."""
    found = shutil.which(name) or _npm_provision(name)
    if found:
        return found
    reason = f"{name} is not installed: {install}"
    if UNDER_CI if under_ci is None else under_ci:
        pytest.fail(f"{reason} (CI=true: a missing runner fails instead of skipping)")
    pytest.skip(reason)
