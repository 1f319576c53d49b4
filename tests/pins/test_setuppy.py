"""setup.py (read with ast, never executed) and setup.cfg readers: library declarations in the shared
dependency model, and check-pins reporting them as info."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlwarden.sources import detect, read
from mlwarden.sources.setuppy import parse, parse_cfg
from tests.pins.manifest_helpers import run

SETUP_PY = '''\
import os
from setuptools import setup, find_packages

REQUIRED = [
    "torch>=2.0",
    "numpy",
]
EXTRA_VIS = ["matplotlib==3.8.0"]
EXTRAS = {"vis": EXTRA_VIS, "all": EXTRA_VIS + ["wandb"]}
os.system("echo never run")

if __name__ == "__main__":
    setup(
        name="det",
        install_requires=REQUIRED + ["pillow>=9; python_version >= '3.8'"],
        extras_require=EXTRAS,
        tests_require=("pytest",),
        setup_requires=parse_requirements("requirements/build.txt"),
    )
'''


def test_setup_py_literal_and_constant_lists() -> None:
    m = parse(SETUP_PY, "setup.py")
    assert m.is_library and m.format == "setup.py"
    got = [(d.normalized, d.specifier, d.group, d.line, d.column) for d in m.dependencies]
    assert got == [
        ("torch", ">=2.0", None, 5, 5), ("numpy", "", None, 6, 5),
        ("pillow", ">=9", None, 15, 38),
        ("matplotlib", "==3.8.0", "vis", 8, 14),
        ("matplotlib", "==3.8.0", "all", 8, 14), ("wandb", "", "all", 9, 49),
        ("pytest", "", "test", 17, 24),
    ]
    assert m.dependencies[2].marker == 'python_version >= "3.8"'
    assert m.meta["computed"] == ["setup_requires"]  # a call is never evaluated


@pytest.mark.parametrize("text", [
    "print 'python 2'\nsetup(install_requires=['x'])\n",
    "(" * 300 + ")" * 300,
    "setup(install_requires=A)\nA = B\nB = A\n",  # a cycle of names
    "setup(install_requires=[f(x) for x in y], extras_require=make())\n",
    "\x00",
])
def test_setup_py_that_cannot_be_read_gives_nothing_and_no_traceback(text: str) -> None:
    m = parse(text, "setup.py")
    assert m.dependencies == []


def test_setup_cfg() -> None:
    m = parse_cfg("[metadata]\nname = det\n\n[options]\npython_requires = >=3.8\ninstall_requires =\n"
                  "    numpy>=1.20  # comment\n    torch==2.1.0\n    pywin32; sys_platform == 'win32'\n"
                  "setup_requires = setuptools\n\n[options.extras_require]\ndev =\n    pytest\n"
                  "    ruff==0.4.0\n", "setup.cfg")
    got = [(d.normalized, d.specifier, d.group, d.line) for d in m.dependencies]
    assert got == [("numpy", ">=1.20", None, 7), ("torch", "==2.1.0", None, 8), ("pywin32", "", None, 9),
                   ("setuptools", "", "build", 10), ("pytest", "", "dev", 14), ("ruff", "==0.4.0", "dev", 15)]
    assert m.dependencies[1].version == "2.1.0"


def test_detected_and_read_through_the_registry(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(SETUP_PY, encoding="utf-8")
    assert detect("pkg/setup.py") == "setup.py" and detect("setup.cfg") == "setup.cfg"
    assert len(read(tmp_path / "setup.py", "setup.py").dependencies) == 7


def test_check_pins_reports_setup_py_as_library_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    rc, found = run(tmp_path, monkeypatch, capsys, {"setup.py": SETUP_PY})
    unpinned = [f for f in found if f["slug"] == "unpinned"]
    assert unpinned and {(f["severity"], f["role"]) for f in unpinned} == {("info", "library")}
    assert not any("pin it" in f["hint"] for f in unpinned)
    assert rc == 0
