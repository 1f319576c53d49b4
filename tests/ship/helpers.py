"""Shared helpers for the delivery tests: generated git repositories, a snapshot of this working tree at a
commit, and an offline wheelhouse repacked from the installed distributions (no network anywhere)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"

# what `pip install .` of mlwarden needs: build backend + runtime dependencies (and theirs)
WHEELHOUSE_DISTS = ("setuptools", "packaging", "pip-requirements-parser", "pyparsing", "PyYAML")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "mlwarden tests", "GIT_AUTHOR_EMAIL": "tests@mlwarden.invalid",
    "GIT_COMMITTER_NAME": "mlwarden tests", "GIT_COMMITTER_EMAIL": "tests@mlwarden.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def make_repo(path: Path, files: dict[str, str | bytes], commit: bool = False) -> Path:
    """A git repository with ``files`` (text or bytes), added to the index (and committed if asked)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for rel, content in files.items():
        f = path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            f.write_bytes(content)
        else:
            f.write_text(content, encoding="utf-8")
    git(path, "add", "-A")
    if commit:
        git(path, "commit", "-q", "--no-verify", "-m", "fixture")
    return path


def snapshot_tree(dest: Path) -> str:
    """Copy this working tree (tracked and untracked, not ignored) into ``dest`` as a fresh git repository
    with one commit, so tools that need a commit (pre-commit try-repo, act) see uncommitted work too.
    Returns the commit id."""
    listing = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True).stdout.decode("utf-8", "surrogateescape").split("\0")
    dest.mkdir(parents=True, exist_ok=True)
    for rel in sorted({p for p in listing if p}):
        src = ROOT / rel
        if not src.is_file() or src.is_symlink():
            continue
        if rel.startswith((".benchmarks/", ".ci/")):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--no-verify", "-m", "snapshot of the working tree")
    return git(dest, "rev-parse", "HEAD").strip()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def repack_wheel(dist_name: str, out_dir: Path) -> Path:
    """Rebuild a ``.whl`` of an installed distribution from the files its RECORD lists (offline)."""
    dist = distribution(dist_name)
    files = dist.files or []
    info_dir = next(str(f).split("/")[0] for f in files if str(f).split("/")[0].endswith(".dist-info"))
    wheel_meta = (dist.read_text("WHEEL") or "")
    tags = [line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if line.startswith("Tag:")]
    tag = tags[0] if tags else "py3-none-any"
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    version = dist.version
    whl = out_dir / f"{name}-{version}-{tag}.whl"
    skip_info = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    entries: list[tuple[str, bytes]] = []
    for f in files:
        rel = str(f)
        if rel.startswith("..") or "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        if rel.startswith(info_dir + "/") and rel.split("/", 1)[1] in skip_info:
            continue
        src = Path(str(dist.locate_file(f)))
        if not src.is_file():
            continue
        entries.append((rel, src.read_bytes()))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for rel, data in entries:
        writer.writerow([rel, _record_hash(data), str(len(data))])
    writer.writerow([f"{info_dir}/RECORD", "", ""])
    with zipfile.ZipFile(whl, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel, data in sorted(entries):
            zf.writestr(rel, data)
        zf.writestr(f"{info_dir}/RECORD", buf.getvalue())
    return whl


def build_wheelhouse(out_dir: Path, dists: tuple[str, ...] = WHEELHOUSE_DISTS) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for name in dists:
        try:
            built.append(repack_wheel(name, out_dir))
        except PackageNotFoundError:
            continue
    return built


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashed_requirements(wheels: list[Path]) -> str:
    """A --require-hashes requirements file naming exactly these wheels (name==version --hash=...)."""
    lines = []
    for w in sorted(wheels):
        name, version = w.name.split("-")[:2]
        lines.append(f"{name}=={version} --hash=sha256:{sha256_file(w)}")
    return "\n".join(lines) + "\n"


def offline_pip_env(wheelhouse: Path) -> dict[str, str]:
    """Environment for pip (and tools that call it) that can only install from ``wheelhouse``."""
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_CONSTRAINT": "",
        "PIP_PROGRESS_BAR": "off",
    }


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLWARDEN_", "GITHUB_", "PIP_", "PRE_COMMIT", "CI_", "GITLAB_"))}
    env.update(extra or {})
    return env


def python_bin_dir() -> Path:
    return Path(sys.executable).parent
