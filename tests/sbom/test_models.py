"""Model and data files in the SBOM: real files written by the test (a torch checkpoint when torch is installed,
pickles, safetensors, numpy), with SHA-256, size, format, scan verdict and model cards. Nothing is loaded."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import struct
from pathlib import Path

import pytest
from mlwarden_hooks.generate_sbom import main

from tests.sbom.helpers import assert_valid_cdx, by_ref, props

EVIL = b"\x80\x04cposix\nsystem\n(S'echo pwned'\ntR."  # GLOBAL posix.system + REDUCE: never loaded


def safetensors_bytes() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "__metadata__": {"format": "pt"}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\x00" * 8


@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    models = tmp_path / "models"
    bert = models / "bert"
    bert.mkdir(parents=True)
    (bert / "model.safetensors").write_bytes(safetensors_bytes())
    (bert / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertForMaskedLM"],
                                                  "hidden_size": 8}))
    (bert / "README.md").write_text("---\nlicense: apache-2.0\npipeline_tag: fill-mask\n---\n# bert\n")
    (models / "clean.pkl").write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=4))
    (models / "evil.bin").write_bytes(EVIL)  # lies about its type: a pickle named .bin
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "features.npy", np.arange(16, dtype=np.float32))
    try:
        import torch
    except ImportError:
        (models / "ckpt.pt").write_bytes(pickle.dumps({"step": 3}, protocol=2))
    else:
        torch.save({"w": torch.arange(4, dtype=torch.float32)}, models / "ckpt.pt")
    (tmp_path / "notes.txt").write_text("not a model\n")
    return tmp_path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_model_components(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 1
    out = capsys.readouterr().out
    doc = assert_valid_cdx((tree / "sbom.cdx.json").read_text())
    comps = by_ref(doc)
    files = {r for r in comps if r.startswith("file:")}
    assert files == {"file:models/bert/model.safetensors", "file:models/clean.pkl", "file:models/evil.bin",
                     "file:features.npy", "file:models/ckpt.pt"}
    for ref in files:
        path = tree / ref[len("file:"):]
        c = comps[ref]
        assert c["hashes"] == [{"alg": "SHA-256", "content": sha256(path)}]
        assert props(c)["mlwarden:file:size"] == [str(path.stat().st_size)]
    evil = comps["file:models/evil.bin"]
    assert evil["type"] == "machine-learning-model"
    assert props(evil)["mlwarden:model:format"] == ["pickle"]
    assert props(evil)["mlwarden:scan:verdict"] == ["malicious"]
    assert "models/evil.bin: MLW704 sbom-model-flagged [info]" in out
    assert props(comps["file:models/clean.pkl"])["mlwarden:scan:verdict"] == ["clean"]
    npy = comps["file:features.npy"]
    assert npy["type"] == "file" and props(npy)["mlwarden:model:format"] == ["numpy"]
    ckpt = props(comps["file:models/ckpt.pt"])
    assert ckpt["mlwarden:scan:verdict"] == ["clean"]
    try:
        import torch  # noqa: F401
    except ImportError:
        assert ckpt["mlwarden:model:format"] == ["pickle"]
    else:
        assert ckpt["mlwarden:model:format"] == ["pytorch-zip"]
    bert = comps["file:models/bert/model.safetensors"]
    assert bert["modelCard"] == {"bom-ref": "file:models/bert/model.safetensors#model-card",
                                 "modelParameters": {"task": "fill-mask", "architectureFamily": "bert",
                                                     "modelArchitecture": "BertForMaskedLM"}}
    assert bert["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    project_deps = next(d for d in doc["dependencies"] if d["ref"] == "project")["dependsOn"]
    assert files <= set(project_deps)


def test_stable_and_content_sensitive(tree: Path) -> None:
    assert main([]) == 1
    first = (tree / "sbom.cdx.json").read_bytes()
    os.utime(tree / "models" / "clean.pkl", (1, 1))  # a new mtime is not a change
    assert main([]) == 0 and (tree / "sbom.cdx.json").read_bytes() == first
    (tree / "models" / "clean.pkl").write_bytes(pickle.dumps({"weights": [3.0]}, protocol=4))
    assert main([]) == 1
    doc = assert_valid_cdx((tree / "sbom.cdx.json").read_text())
    assert by_ref(doc)["file:models/clean.pkl"]["hashes"][0]["content"] == sha256(tree / "models" / "clean.pkl")
    assert main(["--check"]) == 0


def test_no_models_option(tree: Path) -> None:
    assert main(["--no-models"]) == 1
    doc = assert_valid_cdx((tree / "sbom.cdx.json").read_text())
    assert not [r for r in by_ref(doc) if r.startswith("file:")]


def test_hostile_model_folder_facts(tree: Path) -> None:
    bert = tree / "models" / "bert"
    (bert / "config.json").write_text("[" * 100_000 + "]" * 100_000)  # nesting bomb
    (bert / "README.md").write_bytes(b"---\npipeline_tag: \xff\xfe\n---\n")
    (tree / "models" / "trunc.pkl").write_bytes(b"\x80\x04\x95\xff\xff\xff")
    assert main([]) == 1
    comps = by_ref(assert_valid_cdx((tree / "sbom.cdx.json").read_text()))
    params = comps["file:models/bert/model.safetensors"].get("modelCard", {}).get("modelParameters", {})
    assert "architectureFamily" not in params and "modelArchitecture" not in params  # config.json ignored
    assert params.get("task") != "fill-mask"
    assert props(comps["file:models/trunc.pkl"])["mlwarden:scan:verdict"] == ["unscannable"]


def test_symlink_out_of_tree_not_followed(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.pkl"
    outside.write_bytes(EVIL)
    (tree / "models" / "link.pkl").symlink_to(outside)
    assert main([]) == 1
    comps = by_ref(assert_valid_cdx((tree / "sbom.cdx.json").read_text()))
    assert "file:models/link.pkl" not in comps


def test_explicit_paths_limit_the_scan(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "requirements.txt").write_text("numpy==1.26.4\n")
    rc = main(["models/evil.bin", "features.npy", "requirements.txt", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert not [f for f in report["findings"] if f["id"] == "MLW002"]  # a model file is not read as a manifest
    comps = by_ref(assert_valid_cdx((tree / "sbom.cdx.json").read_text()))
    assert set(comps) == {"file:models/evil.bin", "file:features.npy", "pkg:pypi/numpy@1.26.4"}
