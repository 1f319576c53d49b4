"""check-typosquats on real manifests of public ML repositories (texts in tests/pins/realworld_data.py):
hundreds of legitimate ML dependency names must give no finding; the one real typo (`pstuil`, in a fork of
AUTOMATIC1111's requirements_versions.txt) must. Offline: decided from the bundled data only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlwarden_hooks.check_typosquats import main

from mlwarden.sources import read
from tests.pins import realworld_data as rw
from tests.pins.manifest_helpers import line_of, write

FILES: dict[str, str] = {
    "whisper/requirements.txt": rw.WHISPER_REQ,
    "vllm/requirements/common.txt": rw.VLLM_COMMON,
    "vllm/requirements/cuda.txt": rw.VLLM_CUDA,
    "vllm/requirements/cpu.txt": rw.VLLM_CPU,
    "vllm/requirements/tpu.txt": rw.VLLM_TPU,
    "vllm/requirements/xpu.txt": rw.VLLM_XPU,
    "vllm/requirements/test.txt": rw.VLLM_TEST_COMPILED,
    "lightning/requirements/pytorch/base.txt": rw.LIGHTNING_BASE,
    "ooba/requirements.txt": rw.OOBABOOGA_REQ,
    "sd/environment.yaml": rw.SD_ENV,
    "nam/environment_gpu.yml": rw.CONDA_GPU_ENV,
    "intel/environment.yml": rw.CONDA_INTEL_ENV,
    "fw/pyproject.toml": rw.FOREIGN_WHISPERS_PYPROJECT,
    "fw/uv.lock": rw.FOREIGN_WHISPERS_UVLOCK,
    "mlflow/pyproject.toml": rw.POETRY_MLFLOW_PYPROJECT,
    "mlflow/poetry.lock": rw.MLFLOW_POETRY_LOCK,
    "pt/pyproject.toml": rw.POETRY_TORCH_PYPROJECT,
    "lc/Pipfile": rw.LANGCHAIN_PIPFILE,
    "lc/Pipfile.lock": rw.LANGCHAIN_PIPFILE_LOCK,
    "cf/pdm.lock": rw.COORDFILL_PDM_LOCK,
    "a/requirements.txt": rw.TORCH_INDEX_PER_LINE_REQ,
    "b/requirements.txt": rw.NVIDIA_DALI_REQ,
    "c/requirements.txt": rw.SAM_REQ,
    "d/requirements.txt": rw.TORCH_STABLE_REQ,
    "e/requirements.txt": rw.JA_COMMENTS_REQ,
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No pip/uv/mlwarden configuration of this machine leaks into the run."""
    import os

    for k in list(os.environ):
        if k.startswith(("PIP_", "UV_", "MLWARDEN_")):
            monkeypatch.delenv(k)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "no-xdg"))


def run(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        files: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
    write(root, dict(files))
    monkeypatch.chdir(root)
    capsys.readouterr()
    rc = main([".", "--format", "json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err, out.err
    return rc, json.loads(out.out)["findings"]


def test_real_ml_manifests_have_no_false_positive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "src", dict(FILES))
    names = set()
    for rel in FILES:
        m = read(tmp_path / "src" / rel, rel)
        names |= {d.normalized for d in m.all_dependencies() if d.normalized}
    assert len(names) > 300  # the names really were read (vLLM's compiled test.txt alone has 206)
    rc, found = run(tmp_path / "scan", monkeypatch, capsys, FILES)
    assert rc == 0, found
    assert found == []


def test_the_real_typo_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    files = {**FILES, "a1111/requirements_versions.txt": rw.A1111_FORK_REQ}
    rc, found = run(tmp_path, monkeypatch, capsys, files)
    assert rc == 1
    assert [(f["id"], f["slug"], f["path"], f["line"], f["severity"]) for f in found] == [
        ("MLW402", "typosquat", "a1111/requirements_versions.txt", line_of(rw.A1111_FORK_REQ, "pstuil"),
         "high")]
    assert "'psutil'" in found[0]["message"]
