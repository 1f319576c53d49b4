"""Output is inert and writes stay where asked."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from tests.hostile.conftest import FORMATS, Repo
from tests.hostile.harness import assert_inert, assert_no_traceback

HOSTILE_NAMES = (
    "\x1b]0;pwned\x07\x1b[2J.pkl",
    "bidi\u202etxt.pkl",
    "line\n::error::injected.pkl",
    "::warning::start.pkl",
    "cr\r::set-env name=X::1.pkl",
)


@pytest.fixture
def named(repo: Repo) -> Repo:
    payload = (repo.root / "evil.pkl").read_bytes()
    for name in HOSTILE_NAMES:
        (repo.root / name).write_bytes(payload)
    # a manifest whose content reaches messages too
    repo.write("requirements.txt", "torch\x1b[31m\n::error::x==1\nnumpy\u202e==1\n")
    return repo


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_and_stderr_is_inert(named: Repo, fmt: str) -> None:
    res = named.run(["scan", "--format", fmt, "--fail-on", "high", "."])
    assert_no_traceback(res)
    assert res.rc == 1, str(res)
    assert_inert(res.err)
    if fmt == "github":
        assert_inert(res.out)  # the annotations themselves are allowed, nothing else
        assert res.out.count("\n::") == res.out.count("\n") - 1 or res.out.startswith("::")
    else:
        assert_inert(res.out)
        assert not any(ln.startswith("::") for ln in res.out.splitlines())
    if fmt in ("json", "sarif", "gitlab", "gitlab-sast"):
        json.loads(res.out)  # escapes kept the document valid


def test_extra_reports_are_inert(named: Repo) -> None:
    res = named.run(["scan", "--sarif", "r.sarif", "--json", "r.json", "--markdown", "r.md",
                     "--gitlab-sast", "r.sast", "--gitlab-codequality", "r.cq", "."],
                    env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(named.root / "summary.md")})
    assert_no_traceback(res)
    for name in ("r.sarif", "r.json", "r.md", "r.sast", "r.cq", "summary.md"):
        text = (named.root / name).read_text(encoding="utf-8")
        assert_inert(text)
    assert_inert(res.err)


def test_sarif_of_a_failed_run_is_not_successful(repo: Repo) -> None:
    repo.write("mlwarden.toml", "[audit-deps]\nosv-db = \"missing.zip\"\n")
    repo.write("requirements.txt", "torch==2.0.0\n")
    res = repo.run(["scan", "--format", "sarif", "."])
    assert res.rc == 2, str(res)
    doc = json.loads(res.out)
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False


def _fake_null(path: Path) -> bool:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        return True
    except (PermissionError, OSError):
        return False


@pytest.mark.parametrize("how", ["flag", "env"])
def test_output_onto_a_device_is_written_through(repo: Repo, tmp_path: Path, how: str) -> None:
    dev = tmp_path / "null"
    if not _fake_null(dev):
        pytest.skip("cannot create a device node here")
    args = ["scan-models", "-o", str(dev), "."] if how == "flag" else ["scan-models", "."]
    env = {"MLWARDEN_OUTPUT": str(dev)} if how == "env" else {}
    res = repo.run(args, env=env)
    assert_no_traceback(res)
    assert res.rc == 1, str(res)
    assert stat.S_ISCHR(os.lstat(dev).st_mode), "the device node was replaced"


def test_output_onto_dev_full_is_an_error_not_a_replacement(repo: Repo, tmp_path: Path) -> None:
    full = tmp_path / "full"
    try:
        os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except OSError:
        pytest.skip("cannot create a device node here")
    res = repo.run(["scan-models", "."], env={"MLWARDEN_OUTPUT": str(full)})
    assert res.rc == 2 and "No space left" in res.err and res.err.count("\n") == 1, str(res)
    assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_output_onto_a_fifo_never_hangs(repo: Repo, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    res = repo.run(["scan-models", "-o", str(fifo), "."], timeout=15)
    assert res.rc == 2 and "no reader" in res.err, str(res)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # wait until the reader has opened its end
        res = repo.run(["scan-models", "-o", str(fifo), "."], timeout=15)
        if res.rc != 2:
            break
        time.sleep(0.05)
    t.join(10)
    assert res.rc == 1 and got and b"evil.pkl" in got[0], str(res)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_through_a_symlink_keeps_the_link(repo: Repo, tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    res = repo.run(["scan-models", "-o", str(link), "."])
    assert res.rc == 1, str(res)
    assert link.is_symlink() and "evil.pkl" in target.read_text()


def test_repository_config_cannot_write_outside(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    for value in ("../outside/x.json", str(outside / "x.json"), "~/x.json"):
        repo.write("mlwarden.toml", f"[generate-sbom]\nsbom-file = {json.dumps(value)}\n")
        res = repo.run(["generate-sbom", "."])
        assert res.rc == 2 and "inside the repository" in res.err, str(res)
        res = repo.run(["scan", "--sbom", "sbom.json", "."])
        assert res.rc == 2, str(res)
    assert not outside.exists()
    # the command line still may
    repo.write("mlwarden.toml", "")
    res = repo.run(["generate-sbom", "--sbom-file", str(tmp_path / "cli.json"), "."])
    assert res.rc in (0, 1) and (tmp_path / "cli.json").is_file(), str(res)


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e400", "9" * 5000, "1e30", "18446744073709551616"])
def test_numbers_in_config_are_usage_errors(repo: Repo, value: str) -> None:
    repo.write("mlwarden.toml", f"[scan-models]\nmax-opcodes = {value}\n")
    res = repo.run(["scan-models", "."])
    assert res.rc == 2 and res.err.startswith("mlwarden: error:") and res.err.count("\n") == 1, str(res)
    res = repo.run(["scan-models", "."], env={"MLWARDEN_MAX_OPCODES": value})
    assert res.rc == 2 and res.err.count("\n") == 1, str(res)


def test_a_terminated_run_leaves_no_temporary_file(repo: Repo) -> None:
    import signal
    import subprocess
    import sys
    import time

    repo.write("big.pkl.gz", __import__("gzip").compress(b"\x80\x02" + b"N" * (200 << 20)))
    before = set(os.listdir(repo.root))
    proc = subprocess.Popen([sys.executable, "-m", "mlwarden", "scan", "--sarif", "out.sarif", "."],
                            cwd=repo.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    after = set(os.listdir(repo.root))
    assert not [n for n in after - before if n.endswith(".tmp")], after - before
    assert b"Traceback" not in err
