"""The torch version for the torch.load rule comes from every shared dependency reader: setup.py,
setup.cfg and lock files too (torchver.TorchPins)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlwarden.checks.unsafe_loads.torchver import TorchPins


def pins_for(tmp_path: Path, files: dict[str, str]) -> tuple[str, str | None, str | None]:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    code = tmp_path / "pkg" / "train.py"
    code.parent.mkdir(parents=True, exist_ok=True)
    code.write_text("import torch\n", encoding="utf-8")
    info = TorchPins(tmp_path).for_file(code)
    return info.state, info.version, info.source


@pytest.mark.parametrize(("files", "expected"), [
    ({"setup.py": "from setuptools import setup\nDEPS = ['torch>=2.6,<3']\nsetup(install_requires=DEPS)\n"},
     ("safe", "<3,>=2.6", "setup.py")),
    ({"setup.py": "import setuptools\nsetuptools.setup(install_requires=['torch==2.1.2'])\n"},
     ("vulnerable", "2.1.2", "setup.py")),
    ({"setup.cfg": "[options]\ninstall_requires =\n    torch<2.5\n"}, ("vulnerable", "<2.5", "setup.cfg")),
    ({"poetry.lock": '[[package]]\nname = "torch"\nversion = "2.4.1"\n'},
     ("vulnerable", "2.4.1", "poetry.lock")),
    ({"uv.lock": 'version = 1\n\n[[package]]\nname = "torch"\nversion = "2.7.0"\n'
                 'source = { registry = "https://pypi.org/simple" }\n'},
     ("safe", "2.7.0", "uv.lock")),
    # a lock's exact version wins over the library's range next to it
    ({"setup.py": "setup(install_requires=['torch>=1.8'])\n",
      "Pipfile.lock": '{"_meta": {}, "default": {"torch": {"version": "==2.2.0"}}, "develop": {}}'},
     ("vulnerable", "2.2.0", "Pipfile.lock")),
])
def test_torch_version_from_setup_and_locks(tmp_path: Path, files: dict[str, str],
                                            expected: tuple[str, str | None, str | None]) -> None:
    assert pins_for(tmp_path, files) == expected
