"""Hugging Face models and datasets referenced in code (found by check-unsafe-loads' hub_references, never by
running the code) become machine-learning-model / data components; pinned ones get pkg:huggingface purls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlwarden_hooks.generate_sbom import main

from tests.sbom.helpers import assert_valid_cdx, assert_valid_spdx, by_ref, props

C1 = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
C2 = "ABCDEF0123456789ABCDEF0123456789ABCDEF01"

TRAIN = f"""\
from datasets import load_dataset
from huggingface_hub import hf_hub_download
from transformers import AutoModel

bert = AutoModel.from_pretrained("google-bert/bert-base-uncased", revision="{C1}")
gpt2 = AutoModel.from_pretrained("gpt2")
imdb = load_dataset("stanfordnlp/imdb", revision="main")
gguf = hf_hub_download(repo_id="TheBloke/Llama-2-7B-GGUF", filename="llama-2-7b.Q4_K_M.gguf",
                       revision="{C2}")
"""

EVAL = f"""\
from transformers import AutoModel

bert = AutoModel.from_pretrained("google-bert/bert-base-uncased", revision="{C1}")
"""


@pytest.fixture()
def code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN)
    (tmp_path / "src" / "evaluate.py").write_text(EVAL)
    return tmp_path


def test_hub_components(code: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-models"]) == 1
    out = capsys.readouterr().out
    doc = assert_valid_cdx((code / "sbom.cdx.json").read_text())
    comps = by_ref(doc)
    bert = comps[f"pkg:huggingface/google-bert/bert-base-uncased@{C1}"]
    assert bert["type"] == "machine-learning-model"
    assert (bert["group"], bert["name"], bert["version"], bert["purl"]) == \
        ("google-bert", "bert-base-uncased", C1, f"pkg:huggingface/google-bert/bert-base-uncased@{C1}")
    assert props(bert)["mlwarden:source"] == ["src/evaluate.py", "src/train.py"]  # one component, two files
    gguf = comps[f"pkg:huggingface/TheBloke/Llama-2-7B-GGUF@{C2.lower()}"]  # case kept, commit lowercased
    assert gguf["name"] == "Llama-2-7B-GGUF"
    gpt2 = comps["huggingface:model:gpt2"]
    assert "purl" not in gpt2 and "version" not in gpt2
    imdb = comps["huggingface:dataset:stanfordnlp/imdb@main"]
    assert imdb["type"] == "data" and imdb["version"] == "main" and "purl" not in imdb
    assert imdb["externalReferences"] == [{"type": "distribution",
                                           "url": "https://huggingface.co/datasets/stanfordnlp/imdb"}]
    assert "src/train.py:6:" in out and "MLW703 sbom-hub-unpinned [info] gpt2" in out
    assert "MLW703 sbom-hub-unpinned [info] stanfordnlp/imdb@main" in out
    assert out.count("MLW703") == 2
    project = next(d for d in doc["dependencies"] if d["ref"] == "project")["dependsOn"]
    assert bert["bom-ref"] in project and imdb["bom-ref"] in project


def test_hub_spdx_and_stability(code: Path) -> None:
    assert main(["--no-models", "--spec", "spdx"]) == 1
    data = assert_valid_spdx((code / "sbom.spdx.json").read_text())
    locators = {r["referenceLocator"] for p in data["packages"] for r in p.get("externalRefs", [])}
    assert f"pkg:huggingface/google-bert/bert-base-uncased@{C1}" in locators
    first = (code / "sbom.spdx.json").read_bytes()
    train = code / "src" / "train.py"
    train.write_text("# a comment moves every line down\n\n" + train.read_text())
    assert main(["--no-models", "--spec", "spdx"]) == 0
    assert (code / "sbom.spdx.json").read_bytes() == first


def test_no_hub_references_option(code: Path) -> None:
    assert main(["--no-models", "--no-hub-references"]) == 1
    doc = json.loads((code / "sbom.cdx.json").read_text())
    assert not [c for c in doc["components"] if "huggingface" in c["bom-ref"]]
