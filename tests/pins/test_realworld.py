"""check-pins on real manifests of public ML repositories (texts in tests/pins/realworld_data.py): every
finding is asserted (rule id, line, severity), so a false positive, a lost finding or a changed severity fails.

``missing-hash`` (MLW302) is counted separately: none of these files uses hashes, so it is [low] on every
hashable entry and would drown the interesting findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlwarden_hooks.check_pins import main

from mlwarden.sources import detect, is_manifest
from tests.pins import realworld_data as rw
from tests.pins.manifest_helpers import line_of, write

Row = tuple[str, str, int | None, str]


def scan(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         files: dict[str, str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    write(root, dict(files))
    monkeypatch.chdir(root)
    capsys.readouterr()
    rc = main([*args, "--format", "json"] if args else [".", "--format", "json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err, out.err
    return rc, json.loads(out.out)["findings"]


def rows(findings: list[dict[str, Any]]) -> list[Row]:
    """(id, path, line, severity) of every finding except missing-hash, in output order."""
    return [(f["id"], f["path"], f["line"], f["severity"]) for f in findings if f["id"] != "MLW302"]


def missing_hash(findings: list[dict[str, Any]]) -> tuple[int, set[str]]:
    mh = [f for f in findings if f["id"] == "MLW302"]
    return len(mh), {f["severity"] for f in mh}


def unpinned(path: str, text: str, *needles: str, severity: str = "high") -> list[Row]:
    return [("MLW301", path, line_of(text, n), severity) for n in needles]


# ---------------------------------------------------------------------------------------------------------
# requirements files


def test_whisper_marker_without_spaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    rc, found = scan(tmp_path, monkeypatch, capsys, {"requirements.txt": rw.WHISPER_REQ})
    assert rc == 1
    # 9 bare names; the `triton>=2.0.0;platform_machine==...` line parses (its range is the finding)
    assert rows(found) == [("MLW301", "requirements.txt", n, "high") for n in range(1, 10)]
    assert [f["data"]["specifier"] for f in found if f["line"] == 7 and f["id"] == "MLW301"] == [">=2.0.0"]
    # the 9 missing hashes are folded into the 9 unpinned findings (a hash needs a pin first)
    assert missing_hash(found) == (0, set())
    assert all([a["slug"] for a in f["data"]["also"]] == ["missing-hash"] for f in found)


def test_vllm_requirements_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """vLLM's requirements/ folder: -r includes, markers, --extra-index-url (also the `=` form), --pre,
    --find-links, `+cpu`/`+xpu` local versions, extras with a space, wheel URLs with markers."""
    files = {"requirements/common.txt": rw.VLLM_COMMON, "requirements/cuda.txt": rw.VLLM_CUDA,
             "requirements/cpu.txt": rw.VLLM_CPU, "requirements/tpu.txt": rw.VLLM_TPU,
             "requirements/xpu.txt": rw.VLLM_XPU}
    rc, found = scan(tmp_path, monkeypatch, capsys, files)
    assert rc == 1
    common, cuda, cpu = "requirements/common.txt", "requirements/cuda.txt", "requirements/cpu.txt"
    tpu, xpu = "requirements/tpu.txt", "requirements/xpu.txt"
    c = rw.VLLM_COMMON
    expected = unpinned(common, c, "regex", "cachetools", "sentencepiece", "requests >=", "transformers >=",
                        "fastapi[standard]", "prometheus_client", "llguidance", "typing_extensions",
                        "partial-json-parser", "mistral_common", "opencv-python-headless", "six>=",
                        "setuptools>=", "python-json-logger", "pybase64", "openai-harmony",
                        "model-hosting-container-standards", "grpcio-reflection")
    expected += unpinned(cpu, rw.VLLM_CPU, "torchaudio; platform_machine !=")
    expected += unpinned(cuda, rw.VLLM_CUDA, "torchcodec")
    expected += [("MLW306", cuda, line_of(rw.VLLM_CUDA, "--extra-index-url https://flashinfer.ai"), "high")]
    expected += unpinned(cuda, rw.VLLM_CUDA, "nvidia-cudnn-frontend")
    t = rw.VLLM_TPU
    # ray[default] and ray[data] are one requirement with two extras: no duplicate-name (was a false positive)
    expected += unpinned(tpu, t, "cmake>=", "ray[default]", "ray[data]")
    expected += [("MLW306", tpu, line_of(t, "--extra-index-url"), "high"),
                 ("MLW309", tpu, line_of(t, "--find-links"), "medium"),
                 ("MLW309", tpu, line_of(t, "--find-links", 2), "medium"),
                 ("MLW304", tpu, line_of(t, "torch_xla[tpu, pallas] @"), "high"),
                 ("MLW304", tpu, line_of(t, "torch_xla[tpu, pallas] @", 2), "high")]
    x = rw.VLLM_XPU
    expected += [("MLW306", xpu, line_of(x, "--extra-index-url=https://wheels"), "high")]
    expected += unpinned(xpu, x, "ray>=", "setuptools-scm")
    expected += [("MLW306", xpu, line_of(x, "--extra-index-url=https://download"), "high")]
    expected += unpinned(xpu, x, "torchaudio")
    assert rows(found) == expected
    # numba twice and torch four times in cpu.txt sit under exclusive markers: never duplicates; the
    # `==2.6.0+cpu` and `==2.14.0` pins count as exact
    assert not [f for f in found if f["id"] == "MLW311"]
    assert not [f for f in found if f["data"].get("name") in ("torch", "triton", "numba")
                and f["id"] == "MLW301"]
    # the wheel URL requirement keeps its name and extras with a space
    assert {f["data"]["name"] for f in found if f["id"] == "MLW304"} == {"torch-xla"}


def test_vllm_compiled_lock_style_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    rc, found = scan(tmp_path, monkeypatch, capsys, {"requirements/test.txt": rw.VLLM_TEST_COMPILED})
    assert rows(found) == []  # 206 exact pins (post releases, dates as versions): nothing but no hashes
    # requirements/test.txt has the dev role: missing hashes one level lower than low
    assert missing_hash(found) == (206, {"info"})
    assert rc == 0  # default --fail-on is low


def test_nested_requirements_folders_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Lightning keeps requirements/pytorch/base.txt and vLLM requirements/test/cuda.txt: a directory walk
    used to skip them (only direct children of requirements/ were manifests)."""
    for p in ("requirements/pytorch/base.txt", "requirements/_integrations/accelerators.txt",
              "requirements/test/cuda.in", "src/requirements/build/cuda.txt"):
        assert detect(p) == "requirements" and is_manifest(p), p
    for p in ("requirements/pytorch/loggers.info", "requirements/a/b/deep.txt", "docs/pytorch/base.txt",
              "requirements/README.md"):
        assert not is_manifest(p), p
    rc, found = scan(tmp_path, monkeypatch, capsys, {"requirements/pytorch/base.txt": rw.LIGHTNING_BASE})
    assert rc == 1
    b = rw.LIGHTNING_BASE
    assert rows(found) == unpinned("requirements/pytorch/base.txt", b, "numpy >=", "torch >=", "tqdm >=",
                                   "PyYAML", "fsspec[http]", "torchmetrics", "lightning-utilities")
    assert found[0]["data"]["specifier"] == "<1.24.2,>=1.17.2"


def test_nested_requirements_folders_in_pre_commit_files_pattern() -> None:
    import re

    import yaml

    hooks = yaml.safe_load((Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        if hook["id"] in ("check-pins", "check-typosquats", "audit-deps"):
            rx = re.compile(hook["files"])
            assert rx.search("requirements/pytorch/base.txt"), hook["id"]
            assert rx.search("requirements/test/cuda.in"), hook["id"]
            assert rx.search("requirements/common.txt"), hook["id"]


def test_oobabooga_wheel_urls_with_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    rc, found = scan(tmp_path, monkeypatch, capsys, {"requirements.txt": rw.OOBABOOGA_REQ})
    assert rc == 1
    t = rw.OOBABOOGA_REQ
    assert rows(found) == [
        *unpinned("requirements.txt", t, "accelerate==0.21.*", severity="medium"),  # a minor pin
        *unpinned("requirements.txt", t, "colorama", "Pillow>=9.5.0"),
        ("MLW304", "requirements.txt", line_of(t, "bitsandbytes-windows-webui"), "high"),
        ("MLW304", "requirements.txt", line_of(t, "AutoGPTQ"), "high"),
        ("MLW304", "requirements.txt", line_of(t, "abetlen/llama-cpp-python"), "high"),
        ("MLW304", "requirements.txt", line_of(t, "ctransformers-cuBLAS"), "high"),
    ]
    # names come from the wheel file names; a name given once by a pin and once by a URL under exclusive
    # platform markers is not a duplicate
    assert [f["data"]["name"] for f in found if f["id"] == "MLW304"] == [
        "bitsandbytes", "auto-gptq", "llama-cpp-python", "ctransformers"]
    # 13 lines without hashes: 3 unpinned and 4 URL lines carry the fact in their own finding
    assert missing_hash(found) == (6, {"low"})


def test_a1111_fork_duplicates_and_bare_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    rc, found = scan(tmp_path, monkeypatch, capsys, {"requirements_versions.txt": rw.A1111_FORK_REQ})
    t, p = rw.A1111_FORK_REQ, "requirements_versions.txt"
    assert rows(found) == [
        *unpinned(p, t, "torch"),
        ("MLW311", p, line_of(t, "einops==0.4.1", 2), "medium"),  # same pin twice: not a conflict
        *unpinned(p, t, "oss2", "tomesd", "esdk-obs-python", "pymysql", "cchardet", "gdown", "strenum",
                  "rembg", "pstuil"),
    ]
    assert rc == 1


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("a", rw.TORCH_INDEX_PER_LINE_REQ, [
        ("MLW301", 1, "high"), ("MLW310", 1, "medium"), ("MLW301", 2, "high"), ("MLW310", 2, "medium"),
        ("MLW301", 3, "high"), ("MLW301", 4, "high"), ("MLW301", 5, "high"), ("MLW301", 6, "high")]),
    ("b", rw.NVIDIA_DALI_REQ, [
        ("MLW306", 1, "high"), ("MLW306", 2, "high"), ("MLW310", 2, "medium"), ("MLW306", 3, "high"),
        ("MLW310", 3, "medium"), ("MLW301", 7, "high"), ("MLW301", 8, "high"), ("MLW301", 9, "high"),
        ("MLW301", 10, "high"), ("MLW301", 11, "high"), ("MLW301", 12, "high"), ("MLW301", 13, "high")]),
    ("c", rw.SAM_REQ, [
        ("MLW307", 1, "medium"), ("MLW306", 2, "high"), ("MLW301", 9, "high"), ("MLW301", 12, "high"),
        ("MLW301", 13, "high"), ("MLW301", 14, "high")]),
    ("d", rw.TORCH_STABLE_REQ, [("MLW309", 1, "medium"), ("MLW311", 10, "high")]),
    ("e", rw.JA_COMMENTS_REQ, [("MLW306", 2, "high"), ("MLW301", 9, "high"), ("MLW301", 10, "high")]),
])
def test_pytorch_index_patterns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str], name: str, text: str,
                                expected: list[tuple[str, int, str]]) -> None:
    _, found = scan(tmp_path, monkeypatch, capsys, {f"{name}/requirements.txt": text})
    assert [(i, line, sev) for i, _, line, sev in rows(found)] == expected
    # the git requirement pinned to a full commit is fine; torch==...+cu116 vs torch==... conflicts
    assert not [f for f in found if f["id"] == "MLW303"]


def test_url_fragment_hash_does_not_turn_on_hash_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """pip: hashes in a URL (#sha256=) are checked for that file but do not activate --require-hashes
    (only --hash options do). The other entries' missing hashes stay [low], not [high]."""
    digest = "3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a393f2c1a9e8b7d6c5f4e3d2c1b"
    text = (f"mypkg @ https://files.example.com/mypkg-1.0-py3-none-any.whl#sha256={digest}\n"
            "numpy==1.26.4 --config-settings=setup-args=\"-Dallow-noblas=true\"\n"
            "torch==2.1.0+cu121 ; sys_platform == \"linux\"\n")
    _, found = scan(tmp_path, monkeypatch, capsys, {"requirements.txt": text})
    assert [(f["id"], f["line"], f["severity"]) for f in found] == [
        ("MLW302", 2, "low"), ("MLW302", 3, "low")]
    # with a real --hash option somewhere, pip is in hash-checking mode and the others are [high]
    text2 = text + f"six==1.16.0 --hash=sha256:{digest}\n"
    _, found = scan(tmp_path, monkeypatch, capsys, {"requirements.txt": text2})
    assert [(f["id"], f["line"], f["severity"]) for f in found] == [
        ("MLW302", 2, "high"), ("MLW302", 3, "high")]
    # ... also through an include (-r)
    files = {"requirements.txt": "-r base.txt\n" + f"six==1.16.0 --hash=sha256:{digest}\n",
             "base.txt": text}
    _, found = scan(tmp_path / "inc", monkeypatch, capsys, files, "requirements.txt")
    assert [(f["id"], f["path"], f["line"], f["severity"]) for f in found] == [
        ("MLW302", "base.txt", 2, "high"), ("MLW302", "base.txt", 3, "high")]
    files = {"requirements.txt": "-r base.txt\nsix==1.16.0\n", "base.txt": text}
    _, found = scan(tmp_path / "inc2", monkeypatch, capsys, files, "requirements.txt")
    assert {f["severity"] for f in found} == {"low"}


# ---------------------------------------------------------------------------------------------------------
# conda


def test_stable_diffusion_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    rc, found = scan(tmp_path, monkeypatch, capsys, {"environment.yaml": rw.SD_ENV})
    t, p = rw.SD_ENV, "environment.yaml"
    assert rows(found) == [
        ("MLW314", p, line_of(t, "python>=3.9"), "low"),  # the interpreter: low
        ("MLW315", p, line_of(t, "pip=20.3"), "low"),  # a tool: low
        ("MLW315", p, line_of(t, "cudatoolkit=11.3"), "medium"),
        *unpinned(p, t, "test-tube>=", "eventlet"),
        ("MLW303", p, line_of(t, "CLIP.git@main"), "high"),
        ("MLW312", p, line_of(t, "CLIP.git@main"), "medium"),
        ("MLW303", p, line_of(t, "taming-transformers.git@master"), "high"),
        ("MLW312", p, line_of(t, "taming-transformers.git@master"), "medium"),
        # "- -e ." installs the project itself: no editable / local-path finding
    ]
    assert rc == 1


def test_conda_channels_and_cuda_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, found = scan(tmp_path, monkeypatch, capsys, {"environment_gpu.yml": rw.CONDA_GPU_ENV})
    t, p = rw.CONDA_GPU_ENV, "environment_gpu.yml"
    assert rows(found) == [
        ("MLW314", p, line_of(t, "python>=3.9"), "low"),
        ("MLW314", p, line_of(t, "- black"), "high"),
        ("MLW314", p, line_of(t, "- h5py"), "high"),
        ("MLW314", p, line_of(t, "- pip"), "low"),
        ("MLW314", p, line_of(t, "pydantic>=2"), "high"),
        ("MLW314", p, line_of(t, "- pytest-mock"), "high"),
        ("MLW314", p, line_of(t, "pytorch::pytorch"), "high"),
        ("MLW315", p, line_of(t, "pytorch::pytorch-cuda=12.1"), "medium"),
        ("MLW314", p, line_of(t, "nvidia::cuda-toolkit"), "high"),
    ]
    assert [f["data"]["name"] for f in found if f["id"] in ("MLW314", "MLW315")][-2:] == [
        "pytorch-cuda", "cuda-toolkit"]
    _, found = scan(tmp_path / "intel", monkeypatch, capsys, {"environment.yml": rw.CONDA_INTEL_ENV})
    t = rw.CONDA_INTEL_ENV
    # `intel::python==3.10` and `pytorch::pytorch-cuda==11.8` are exact: not reported
    assert rows(found) == [("MLW314", "environment.yml", line_of(t, n), "high")
                           for n in ("pytorch::pytorch #", "pytorch::torchvision", "jemalloc", "intel::mkl",
                                     "intel::numpy", "pytest", "tqdm")]


# ---------------------------------------------------------------------------------------------------------
# pyproject, Pipfile and locks


def test_uv_project_with_explicit_pytorch_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    files = {"pyproject.toml": rw.FOREIGN_WHISPERS_PYPROJECT, "uv.lock": rw.FOREIGN_WHISPERS_UVLOCK}
    rc, found = scan(tmp_path, monkeypatch, capsys, files)
    t, p = rw.FOREIGN_WHISPERS_PYPROJECT, "pyproject.toml"
    # requires-python is no dependency; the explicit index only serves torch/torchaudio (no extra-index);
    # ranges in a project with a lock are [info]; find-links in [tool.uv] competes with the index
    names = ("torch>=", "torchaudio>=", "TTS>=", "yt-dlp", "youtube-transcript-api", "openai-whisper",
             "moviepy<2", "uvicorn[standard]", "python-multipart", "pydantic-settings", "pyrubberband",
             "setuptools<81", '"pytest"', "nbconvert", "silero-vad", "pyannote.audio", "onnxruntime<1.24",
             "numpy<2")
    assert rows(found) == [*unpinned(p, t, *names, severity="info"),
                           ("MLW309", p, line_of(t, '"https://download.pytorch.org/whl/cu128",'), "medium")]
    assert not [f for f in found if f["path"] == "uv.lock"]  # registry entries with hashed files
    assert not [f for f in found if f["data"].get("name") == "python"]
    assert rc == 1


def test_poetry_projects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    files = {"mlflow/pyproject.toml": rw.POETRY_MLFLOW_PYPROJECT, "mlflow/poetry.lock": rw.MLFLOW_POETRY_LOCK,
             "pt/pyproject.toml": rw.POETRY_TORCH_PYPROJECT}
    _, found = scan(tmp_path, monkeypatch, capsys, files)
    t = rw.POETRY_TORCH_PYPROJECT
    assert rows(found) == [
        ("MLW301", "mlflow/pyproject.toml", line_of(rw.POETRY_MLFLOW_PYPROJECT, "numpy ="), "info"),
        # `python = "^3.9,<3.12"` is no dependency; `torch = {version = "2.2.1+cu121", source = ...}` is
        # exact; the explicit source is used only by the packages that name it
        *unpinned("pt/pyproject.toml", t, "numpy =", "torchvision =", "hydra-core", "pytest =",
                  severity="low"),
    ]


def test_pipfile_pdm_and_pipfile_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    files = {"lc/Pipfile": rw.LANGCHAIN_PIPFILE, "lc/Pipfile.lock": rw.LANGCHAIN_PIPFILE_LOCK,
             "cf/pdm.lock": rw.COORDFILL_PDM_LOCK}
    _, found = scan(tmp_path, monkeypatch, capsys, files)
    t = rw.LANGCHAIN_PIPFILE
    # `[requires] python_version` is not a package; the lock files are fully hashed from PyPI
    assert rows(found) == unpinned("lc/Pipfile", t, "beautifulsoup4", "tiktoken", "openai =",
                                   "pinecone-client", "streamlit-chat", "langchain-pinecone",
                                   "langchain-openai", "langchain =", "langchain-community", severity="low")


def test_pyproject_same_package_with_two_extras_is_no_duplicate(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The vLLM tpu.txt pattern (`ray[default]` then `ray[data]`) in a pyproject list: pip/uv merge the
    extras; a different version constraint is still a conflict."""
    text = ('[project]\nname = "app"\nversion = "1"\ndependencies = [\n    "ray[default]==2.9.0",\n'
            '    "ray[data]==2.9.0",\n    "torch==2.1.0",\n    "torch>=2.0",\n]\n')
    _, found = scan(tmp_path, monkeypatch, capsys, {"pyproject.toml": text})
    assert [(f["id"], f["line"], f["severity"]) for f in found if f["id"] == "MLW311"] == [
        ("MLW311", 8, "high")]


def test_poetry_lock_entry_from_the_source_the_project_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """torch locked from the explicit PyTorch source that pyproject.toml names for it is what the project
    asked for: [info], like uv.lock (was [medium], as if any package could come from there)."""
    files = {"pyproject.toml": rw.POETRY_TORCH_PYPROJECT, "poetry.lock": rw.POETRY_TORCH_LOCK}
    _, found = scan(tmp_path, monkeypatch, capsys, files, "poetry.lock")  # pre-commit passes the lock alone
    line = line_of(rw.POETRY_TORCH_LOCK, 'name = "torch"') - 1
    assert rows(found) == [("MLW318", "poetry.lock", line, "info")]
    assert "the project pins it to that index" in found[0]["message"]
    # no pyproject.toml, a broken one, or one reached through a symlink: the lock alone decides ([medium])
    for name, project in (("alone", None), ("broken", "[tool.poetry\n"), ("link", "symlink")):
        root = tmp_path / name
        files = {"poetry.lock": rw.POETRY_TORCH_LOCK}
        if project == "symlink":
            write(tmp_path / "outside", {"pyproject.toml": rw.POETRY_TORCH_PYPROJECT})
            root.mkdir()
            (root / "pyproject.toml").symlink_to(tmp_path / "outside" / "pyproject.toml")
        elif project is not None:
            files["pyproject.toml"] = project
        _, found = scan(root, monkeypatch, capsys, files, "poetry.lock")
        # a broken pyproject.toml where the config is looked for is itself reported (MLW002), once
        broken = [("MLW002", "pyproject.toml", None, "medium")] if name == "broken" else []
        assert rows(found) == [("MLW318", "poetry.lock", line, "medium"), *broken], name
