"""The one file walker: symlinks, .gitignore, excludes, explicit files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mlwarden.core.errors import InputError
from mlwarden.core.files import iter_files


def names(paths: list[Path], root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in paths)


def make_tree(root: Path) -> None:
    for rel in ["a/requirements.txt", "a/b/model.pt", "node_modules/x/requirements.txt", ".venv/lib/x.py",
                "build/out.txt", "src/m.py"]:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x\n")


def test_walk_without_git_skips_tool_dirs_and_outside_links(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    make_tree(root)
    outside = tmp_path / "secret.txt"
    outside.write_text("s\n")
    os.symlink(outside, root / "a" / "link-out.txt")
    os.symlink(root / "src" / "m.py", root / "a" / "link-in.py")
    os.symlink(tmp_path, root / "a" / "dirlink")
    got = names(list(iter_files([root], root=root, use_git=False)), root)
    assert got == ["a/b/model.pt", "a/link-in.py", "a/requirements.txt", "build/out.txt", "src/m.py"]


def test_match_and_exclude(tmp_path: Path) -> None:
    make_tree(tmp_path)
    got = names(list(iter_files([tmp_path], root=tmp_path, use_git=False, match=lambda r: r.endswith(".txt"),
                                exclude=["build"])), tmp_path)
    assert got == ["a/requirements.txt"]


def test_git_ignore_is_respected(tmp_path: Path) -> None:
    make_tree(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("build/\n*.pt\n")
    got = names(list(iter_files([tmp_path], root=tmp_path)), tmp_path)
    assert got == [".gitignore", "a/requirements.txt", "src/m.py"]


def test_explicit_files_always_yielded_and_missing_is_error(tmp_path: Path) -> None:
    make_tree(tmp_path)
    f = tmp_path / "build" / "out.txt"
    assert list(iter_files([f], root=tmp_path, match=lambda r: False)) == [f]
    with pytest.raises(InputError, match="no such file"):
        list(iter_files([tmp_path / "nope.txt"], root=tmp_path))
