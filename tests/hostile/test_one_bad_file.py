"""One bad file never blanks the run: it becomes a finding on that file, every other file is checked."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.conftest import Repo
from tests.hostile.harness import assert_no_traceback

BAD_TOML: dict[str, bytes] = {
    "binary": bytes(range(256)) * 4,
    "deep-array": b"[project]\nname = \"x\"\ndependencies = " + b"[" * 10000 + b"]" * 10000 + b"\n",
    "deep-inline-table": b"[project]\nx = " + b"{a = " * 3000 + b"1" + b"}" * 3000 + b"\n",
    "huge-int": b"[project]\nname = \"x\"\nversion = " + b"9" * 5000 + b"\n",
    "tool-string": b"tool = \"x mlwarden x\"\n",
    "mlwarden-string": b"[tool]\nmlwarden = \"x\"\n",
    "project-string": b"project = \"x\"\n",
    "deps-number": b"[project]\nname = \"x\"\ndependencies = 5\n",
}

BAD_NOTEBOOKS: dict[str, object] = {
    "source-number": {"cells": [{"cell_type": "code", "source": 5}], "nbformat": 4},
    "source-dict": {"cells": [{"cell_type": "code", "source": {"a": 1}}], "nbformat": 4},
    "cells-string": {"cells": "import pickle", "nbformat": 4},
    "cell-number": {"cells": [7], "nbformat": 4},
    "list-top": [1, 2, 3],
    "source-list-of-numbers": {"cells": [{"cell_type": "code", "source": [1, 2]}], "nbformat": 4},
}


def _assert_still_checked(res_text: str, bad: str) -> None:
    assert "evil.pkl" in res_text, "the malicious model beside the bad file was not reported"
    assert bad in res_text, "the bad file itself was not reported"


@pytest.mark.parametrize("case", sorted(BAD_TOML))
def test_malformed_pyproject_in_tree(repo: Repo, case: str) -> None:
    repo.write("sub/pyproject.toml", BAD_TOML[case])
    repo.write("sub/requirements.txt", "torch\n")
    res = repo.run(["scan", "--fail-on", "high", "--format", "json", "."])
    assert_no_traceback(res)
    assert res.rc == 1, str(res)
    _assert_still_checked(res.out, "evil.pkl")
    one = repo.run(["check-pins", "--format", "json", "sub"])  # scan ran every check; one alone too
    assert_no_traceback(one)
    assert one.rc in (0, 1), str(one)


@pytest.mark.parametrize("case", sorted(BAD_TOML))
def test_malformed_pyproject_on_the_way_to_config(repo: Repo, case: str) -> None:
    (repo.root / "mlwarden.toml").unlink()
    repo.write("pyproject.toml", BAD_TOML[case])  # a parent of the folder the run starts in
    work = repo.root / "work"
    (work / "m").mkdir(parents=True)
    (repo.root / "evil.pkl").rename(work / "m" / "evil.pkl")
    from tests.hostile.harness import run

    res = run(["scan", "--fail-on", "high", "."], work)
    assert not repo.marker.exists()
    assert_no_traceback(res)
    if case == "mlwarden-string":  # it is the config, and it is broken: a usage error naming the file
        assert res.rc == 2 and "tool.mlwarden must be a table" in res.err, str(res)
        return
    assert res.rc == 1, str(res)
    assert "evil.pkl" in res.out, str(res)
    if case in ("binary", "deep-array", "deep-inline-table", "huge-int"):  # not TOML: reported, skipped
        assert "pyproject.toml" in res.out and "MLW002" in res.out, str(res)


@pytest.mark.parametrize("case", sorted(BAD_NOTEBOOKS))
def test_malformed_notebook(repo: Repo, case: str) -> None:
    repo.write("nb/bad.ipynb", json.dumps(BAD_NOTEBOOKS[case]))
    repo.write("nb/good.py", "import pickle\npickle.load(open('x', 'rb'))\n")
    res = repo.run(["scan", "--fail-on", "high", "."])
    assert_no_traceback(res)
    assert res.rc == 1, str(res)
    _assert_still_checked(res.out, "bad.ipynb")
    assert "good.py" in res.out
    one = repo.run(["check-unsafe-loads", "nb"])  # scan ran every check; the notebook reader's alone too
    assert_no_traceback(one)
    assert "bad.ipynb" in one.out, str(one)


SYMLINKS: dict[str, Callable[[Repo], None]] = {
    "loop": lambda r: (os.symlink("b.pkl", r.root / "a.pkl"), os.symlink("a.pkl", r.root / "b.pkl")),
    "self": lambda r: os.symlink("self.pkl", r.root / "self.pkl"),
    "dir-loop": lambda r: os.symlink(".", r.root / "loopdir"),
    "dangling": lambda r: os.symlink("nowhere.pkl", r.root / "dangling.pkl"),
    "outside": lambda r: os.symlink("/etc/passwd", r.root / "passwd.txt"),
}


@pytest.mark.parametrize("case", sorted(SYMLINKS))
@pytest.mark.parametrize("git", [False, True])
def test_symlinks_in_tree(repo: Repo, case: str, git: bool) -> None:
    SYMLINKS[case](repo)
    if git:
        repo.git("init", "-q")
        repo.git("add", "-A")
    res = repo.run(["scan", "--fail-on", "high", "."])
    assert_no_traceback(res)
    assert res.rc == 1, str(res)
    assert "evil.pkl" in res.out


def _deep(base: Path, total: int) -> Path:
    """A folder whose path is longer than PATH_MAX (made one step at a time with dir_fd)."""
    base.mkdir()
    fd = os.open(base, os.O_RDONLY)
    made = 0
    try:
        while made < total:
            os.mkdir("d" * 200, dir_fd=fd)
            nxt = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
            made += 201
        with os.fdopen(os.open("model.pkl", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as fh:
            fh.write(b"cposix\nsystem\n(S'true'\ntR.")
    finally:
        os.close(fd)
    return base


@pytest.mark.parametrize("git", [False, True])
def test_paths_longer_than_path_max_are_reported(repo: Repo, git: bool) -> None:
    _deep(repo.root / "deep", 5000)
    if git:
        repo.git("init", "-q")
        repo.git("add", "evil.pkl")
    res = repo.run(["scan-models", "--fail-on", "high", "."])
    assert_no_traceback(res)
    assert res.rc == 1, str(res)
    assert "evil.pkl" in res.out
    if not git:  # git itself does not list an untracked path it cannot open
        assert "MLW005" in res.out and "deep/" in res.out, str(res)
    long_arg = repo.run(["scan-models", "deep/" + "d" * 5000 + "/x.pkl"])
    assert_no_traceback(long_arg)
    # either a not-checked finding or an I/O error naming the path: never a pass
    assert (long_arg.rc == 1 and "MLW005" in long_arg.out) or \
        (long_arg.rc == 2 and "too long" in long_arg.err and long_arg.err.count("\n") == 1), str(long_arg)
