"""Never exit 0 without having checked: special files, links out of the tree, big files, tool folders."""

from __future__ import annotations

import os
import stat

import pytest

from tests.hostile.conftest import CHECKS, Repo
from tests.hostile.harness import assert_no_traceback


@pytest.mark.parametrize("check", [*CHECKS, "scan"])
def test_explicit_special_files_and_links_out(repo: Repo, check: str) -> None:
    os.mkfifo(repo.root / "model.pkl")  # a FIFO nobody writes: opening it would block forever
    os.symlink("/etc/hostname", repo.root / "requirements.txt")
    specials = ["model.pkl", "requirements.txt"]
    try:  # a character device (a private /dev/zero: reading it never ends)
        os.mknod(repo.root / "zero.bin", stat.S_IFCHR | 0o666, os.makedev(1, 5))
        specials.append("zero.bin")
    except OSError:
        pass
    args = [check, "--format", "json", *specials, "evil.pkl"]
    res = repo.run(args, timeout=20)
    assert_no_traceback(res)
    assert res.rc in (1, 2), str(res)
    if res.rc == 1:
        import json

        found = {(f["path"], f["id"]) for f in json.loads(res.out)["findings"]}
        for path in specials:
            assert (path, "MLW005") in found, (path, found)


def test_git_tracked_files_in_tool_folders_are_scanned(repo: Repo) -> None:
    payload = (repo.root / "evil.pkl").read_bytes()
    (repo.root / "evil.pkl").unlink()
    repo.write("assets/venv/model.pkl", payload)
    repo.write("node_modules/x/model.pkl", payload)  # untracked and in a tool folder: skipped
    repo.git("init", "-q")
    repo.git("add", "assets/venv/model.pkl")
    res = repo.run(["scan-models", "--fail-on", "high", "."])
    assert res.rc == 1 and "assets/venv/model.pkl" in res.out, str(res)
    assert "node_modules" not in res.out


def test_big_files_are_read_whole_by_check_typosquats(repo: Repo) -> None:
    text = "x = 1\n" * 1_500_000 + 'm = AutoModel.from_pretrained("rneta-llama/Llama-2-7b")\n'
    repo.write("big.py", text)
    res = repo.run(["check-typosquats", "--fail-on", "high", "big.py"])
    assert res.rc == 1 and "big.py:1500001:" in res.out and "rneta-llama" in res.out, str(res)
