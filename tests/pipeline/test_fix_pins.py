"""--fix-pins against real servers on 127.0.0.1: `git daemon` serving action repositories with tags, and the
CNCF distribution registry (Debian's docker-registry) holding an image pushed with skopeo."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlwarden.checks.base import Context
from mlwarden.checks.pipeline import CheckPipeline
from mlwarden.core.config import Config
from mlwarden.core.findings import Finding


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def git_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """Action repositories owner/repo with a lightweight tag, an annotated tag and a branch."""
    base = tmp_path_factory.mktemp("git")
    shas: dict[str, str] = {}
    for owner, repo in (("actions", "checkout"), ("some-org", "setup-thing")):
        work = base / "work" / owner / repo
        work.mkdir(parents=True)
        git("init", "-q", "-b", "main", cwd=work)
        (work / "action.yml").write_text("name: x\nruns: {using: node20, main: index.js}\n")
        git("add", ".", cwd=work)
        git("commit", "-qm", "v1", cwd=work)
        shas[f"{owner}/{repo}@v1"] = git("rev-parse", "HEAD", cwd=work)
        git("tag", "-a", "v1.2.0", "-m", "release", cwd=work)  # annotated: the peeled commit is the pin
        git("tag", "v1", cwd=work)
        (work / "index.js").write_text("console.log(1)\n")
        git("add", ".", cwd=work)
        git("commit", "-qm", "main moves on", cwd=work)
        shas[f"{owner}/{repo}@main"] = git("rev-parse", "HEAD", cwd=work)
        bare = base / "srv" / owner / f"{repo}"
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={base / 'srv'}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base / "srv"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, proc)
        yield f"git://127.0.0.1:{port}", shas
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _blob(folder: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (folder / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (folder / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def oci_layout(folder: Path, tag: str) -> None:
    """A one-layer OCI image layout written from scratch (a text file in a tar.gz layer)."""
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tf:
        info = tarfile.TarInfo("hello.txt")
        payload = f"image {tag}\n".encode()
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    raw = tar_bytes.getvalue()
    layer = gzip.compress(raw, mtime=0)
    layer_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **_blob(folder, layer)}
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(raw).hexdigest()}"]},
            "config": {},
        }
    ).encode()
    config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json", **_blob(folder, config)}
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_desc,
            "layers": [layer_desc],
        }
    ).encode()
    man_desc = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **_blob(folder, manifest),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }
    (folder / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [man_desc]}))
    (folder / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A docker-registry on 127.0.0.1 holding ml/base:1.0 (pushed with skopeo); yields (host, digest)."""
    exe, skopeo = shutil.which("docker-registry"), shutil.which("skopeo")
    if not exe or not skopeo:
        pytest.skip("docker-registry and skopeo are installed by .ci/run (apt-get)")
    base = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = base / "config.yml"
    config.write_text(
        textwrap.dedent(f"""\
        version: 0.1
        log: {{level: error}}
        storage:
          filesystem: {{rootdirectory: {base / "data"}}}
        http:
          addr: 127.0.0.1:{port}
        """)
    )
    proc = subprocess.Popen([exe, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        host = f"127.0.0.1:{port}"
        layout = base / "layout"
        oci_layout(layout, "1.0")
        subprocess.run(
            [
                skopeo,
                "copy",
                "--quiet",
                "--dest-tls-verify=false",
                f"oci:{layout}:1.0",
                f"docker://{host}/ml/base:1.0",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        digest = subprocess.run(
            [
                skopeo,
                "inspect",
                "--tls-verify=false",
                "--format",
                "{{.Digest}}",
                f"docker://{host}/ml/base:1.0",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        yield host, digest
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_fix(root: Path, github_url: str) -> tuple[list[Finding], Context]:
    check = CheckPipeline()
    options = {o.name: o.default for o in check.options}
    options.update({"fix-pins": True, "github-url": github_url, "timeout": 20.0})
    ctx = Context(paths=[str(root)], root=root, config=Config(), options=options, use_git=False)
    return list(check.run(ctx)), ctx


def test_actions_are_pinned_to_commits(tmp_path: Path, git_server: tuple[str, dict[str, str]]) -> None:
    url, shas = git_server
    wf = tmp_path / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    original = (
        "# CI for the trainer\r\n"
        "on: push\r\n"
        "permissions: {contents: read}\r\n"
        "jobs:\r\n"
        "  test:\r\n"
        "    runs-on: ubuntu-latest\r\n"
        "    steps:\r\n"
        "      - uses: actions/checkout@v1.2.0   # keep: release notes\r\n"
        "      - uses: 'some-org/setup-thing@v1'\r\n"
        "      - uses: some-org/setup-thing@main\r\n"
        "      - uses: some-org/setup-thing@v9\r\n"
        "      - uses: some-org/missing@v1\r\n"
    )
    wf.write_bytes(original.encode())
    findings, ctx = run_fix(tmp_path, url)
    text = wf.read_bytes().decode()
    a, s1, sm = (
        shas["actions/checkout@v1"],
        shas["some-org/setup-thing@v1"],
        shas["some-org/setup-thing@main"],
    )
    assert text == original.replace(
        "actions/checkout@v1.2.0   # keep: release notes",
        f"actions/checkout@{a} # v1.2.0 keep: release notes",
    ).replace("'some-org/setup-thing@v1'", f"'some-org/setup-thing@{s1}' # v1").replace(
        "some-org/setup-thing@main\r", f"some-org/setup-thing@{sm} # main\r"
    )
    assert ctx.rewritten == [".github/workflows/ci.yml"]
    assert any("v9" in n and "not pinned" in n for n in ctx.notes)
    # what is left: the tag that does not exist and the repository that does not exist
    assert sorted((f.rule.slug, f.line) for f in findings) == [
        ("gha-unpinned-action", 11),
        ("gha-unpinned-action", 12),
    ]
    # a second run changes nothing
    _, ctx2 = run_fix(tmp_path, url)
    assert ctx2.rewritten == [] and wf.read_bytes().decode() == text


def test_images_are_pinned_to_digests(
    tmp_path: Path, registry: tuple[str, str], git_server: tuple[str, dict[str, str]]
) -> None:
    host, digest = registry
    assert digest.startswith("sha256:")
    (tmp_path / "Dockerfile").write_text(
        textwrap.dedent(f"""\
        # syntax=docker/dockerfile:1
        FROM {host}/ml/base:1.0 AS build
        RUN echo build
        FROM {host}/ml/base:2.0
        USER 1000
        """)
    )
    (tmp_path / ".gitlab-ci.yml").write_text(
        textwrap.dedent(f"""\
        test:
          image: "{host}/ml/base:1.0"  # the trainer image
          script: [echo ok]
        """)
    )
    findings, ctx = run_fix(tmp_path, git_server[0])
    assert (tmp_path / "Dockerfile").read_text().splitlines()[
        1
    ] == f"FROM {host}/ml/base:1.0@{digest} AS build"
    assert (tmp_path / ".gitlab-ci.yml").read_text().splitlines()[
        1
    ] == f'  image: "{host}/ml/base:1.0@{digest}"  # the trainer image'
    assert sorted(ctx.rewritten) == [".gitlab-ci.yml", "Dockerfile"]
    assert [(f.path, f.rule.slug, f.line) for f in findings] == [("Dockerfile", "image-unpinned", 4)]
    assert any("2.0" in n and "not pinned" in n for n in ctx.notes)


def test_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    from mlwarden.core.errors import NetworkError

    wf = tmp_path / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: o/r@v1\n")
    with pytest.raises(NetworkError):
        run_fix(tmp_path, f"git://127.0.0.1:{free_port()}")
    assert "o/r@v1" in wf.read_text()
