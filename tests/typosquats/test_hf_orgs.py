"""Hugging Face organisations: the bundled snapshot of real organisations (harvested from popular ML
packages) is never reported, look-alikes of popular ones are, the harvest script works on trees it is given,
and the whole-file scan finds the same ids as a line-by-line reading. Fixtures are written here."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlwarden_hooks.check_typosquats import main

from mlwarden.checks.typosquats import data, hf

ROOT = Path(__file__).resolve().parents[2]


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]]]:
    capsys.readouterr()
    rc = main([*argv, "--format", "json", "--no-pip-config"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err, out.err
    return rc, json.loads(out.out)["findings"]


@pytest.fixture
def small_snapshot(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A tiny snapshot in place of the bundled one (the caches are cleared before and after)."""
    snap = {"bigorg-ai": ("BigOrg-AI", 900, 6), "bigorg-ax": ("BigOrg-AX", 17, 1),
            "bigorg-labs": ("bigorg-labs", 60, 3), "smallorg": ("smallorg", 30, 1),
            "smallorgs": ("smallorgs", 17, 1)}
    monkeypatch.setattr(data, "hf_orgs_popular", lambda: snap)
    hf._orgs.cache_clear()
    hf._near_org.cache_clear()
    yield
    hf._orgs.cache_clear()
    hf._near_org.cache_clear()


def test_every_organisation_of_the_snapshot_is_real() -> None:
    snap = data.hf_orgs_popular()
    assert len(snap) > 500
    # the organisations that real ML repositories load from (openmmlab was reported as OpenGVLab before)
    for org in ("openmmlab", "OpenGVLab", "lmsys", "Qwen", "meta-llama", "stabilityai", "CompVis", "timm",
                "black-forest-labs", "sentence-transformers", "google-bert", "openai-community", "unsloth"):
        assert org.lower() in snap, org
    reported = [org for org, (_, weight, _) in snap.items() if weight > hf.RARE_WEIGHT and hf._near_org(org)]
    assert reported == []
    for org in data.hf_orgs():
        assert hf._near_org(org) is None, org


def test_snapshot_header_records_date_and_sources() -> None:
    text = (ROOT / "src" / "mlwarden" / "data" / "hf_orgs_popular.tsv").read_text(encoding="utf-8")
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    assert any(ln.startswith("# date: 20") for ln in header)
    for src in ("huggingface/diffusers@", "huggingface/pytorch-image-models@", "UKPLab/sentence-transformers@",
                "huggingface/peft@", "huggingface/datasets@"):
        assert any(src in ln for ln in header), src
    weights = [int(ln.split("\t")[1]) for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert weights == sorted(weights, reverse=True)


def test_real_orgs_in_a_real_shaped_repository_give_no_finding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The shapes of mmpretrain / LLaVA / InternVL / text-generation-webui code and configs."""
    write(tmp_path / "mmpretrain" / "models" / "seg.py",
          'from transformers import AutoModel, UperNetForSemanticSegmentation\n'
          'model = UperNetForSemanticSegmentation.from_pretrained("openmmlab/upernet-convnext-small")\n'
          'vlm = AutoModel.from_pretrained("OpenGVLab/InternVL2-8B", trust_remote_code=True)\n'
          'vicuna = AutoModel.from_pretrained("lmsys/vicuna-7b-v1.5")\n'
          'clip = CLIPVisionModel.from_pretrained("openai/clip-vit-large-patch14-336")\n'
          'sd = StableDiffusionPipeline.from_pretrained("CompVis/stable-diffusion-v1-4")\n'
          'ds = load_dataset("HuggingFaceH4/ultrachat_200k")\n')
    write(tmp_path / "configs" / "train.yaml",
          "model_name_or_path: Qwen/Qwen2-VL-7B-Instruct\ndataset_name: allenai/c4\n"
          "vision_tower: openai/clip-vit-large-patch14\n")
    monkeypatch.chdir(tmp_path)
    rc, findings = run_json(["."], capsys)
    assert (rc, findings) == (0, [])
    # the same file with look-alikes of popular organisations
    write(tmp_path / "bad.py",
          'a = AutoModel.from_pretrained("0penGVLab/InternVL2-8B")\n'
          'b = AutoModel.from_pretrained("open-gvlab/InternVL2-8B")\n'
          'c = AutoModel.from_pretrained("stabilityai-official/sdxl")\n'
          'd = AutoModel.from_pretrained("black-forrest-labs/FLUX.1-dev")\n')
    rc, findings = run_json(["bad.py"], capsys)
    assert rc == 1
    assert [(f["line"], f["data"]["target"], f["data"]["kind"]) for f in findings] == [
        (1, "OpenGVLab", "homoglyph"), (2, "OpenGVLab", "separator"), (3, "stabilityai", "affix"),
        (4, "black-forest-labs", "edit-distance-1")]


def test_a_rare_snapshot_org_next_to_a_far_more_popular_one(small_snapshot: None) -> None:
    # in the snapshot, but one edit from an organisation 25+ times more popular: a typo in someone's docs
    assert hf._near_org("BigOrg-AX") == ("BigOrg-AI", "edit-distance-1", 0.9)
    # in the snapshot and not far less popular than what it resembles: real
    assert hf._near_org("bigorg-labs") is None
    assert hf._near_org("smallorgs") is None  # smallorg has one package only: not a target
    assert hf._near_org("bigorg-a1") == ("BigOrg-AI", "homoglyph", 1.0)
    assert hf._near_org("bigorgai") == ("BigOrg-AI", "separator", 0.95)


def test_harvest_script_counts_ids_in_the_trees_it_is_given(tmp_path: Path) -> None:
    a = tmp_path / "pkg-a"
    write(a / "src" / "m.py",
          'model = AutoModel.from_pretrained("acme-labs/bert-tiny")\n'
          'tok = AutoTokenizer.from_pretrained("acme-labs/bert-tiny")\n'
          'other = AutoModel.from_pretrained("acme-labs/gpt-small")\n'
          'x = "notahub/path"  # no hub call near it\n'
          'p = AutoModel.from_pretrained("path/to")\n')
    write(a / "README.md", "See https://huggingface.co/acme-labs/bert-tiny and "
          "https://huggingface.co/datasets/data-corp/corpus-1 or huggingface.co/data-corp/corpus-2\n")
    b = tmp_path / "pkg-b"
    write(b / "conf.yaml", "model_name_or_path: acme-labs/bert-tiny\nhub_model_id: solo-user/only-once\n")
    out = tmp_path / "orgs.tsv"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "harvest_hf_orgs.py"), "--date", "2030-01-02",
                           "--source", "example/pkg-a@0000 (2030-01-01)", "--out", str(out), str(a), str(b)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "# date: 2030-01-02" in text and "#   example/pkg-a@0000 (2030-01-01)" in text
    rows = [ln.split("\t") for ln in text.splitlines() if not ln.startswith("#")]
    got = {r[0]: tuple(int(x) for x in r[1:]) for r in rows}
    # acme-labs: 5 references (bert-tiny 2 in m.py + 1 in README + 1 in conf.yaml, gpt-small 1), 2 ids,
    # 2 packages -> 5 + 5*2 + 10*2
    assert got["acme-labs"] == (35, 5, 2, 2)
    assert got["data-corp"] == (2 + 10 + 10, 2, 2, 1)
    assert "notahub" not in got and "path" not in got and "solo-user" not in got  # one reference only
    assert [r[0] for r in rows] == ["acme-labs", "data-corp"]


def _line_by_line(text: str) -> list[tuple[int, int, str]]:
    """The reference reading: every quoted id with a hub call on its line (no carried context)."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if hf.CONTEXT_RE.search(line):
            for m in hf._QUOTED.finditer(line):
                if hf._near_org(m.group("org")):
                    out.append((n, m.start("org") + 1, m.group("org")))
    return out


def test_whole_file_scan_agrees_with_a_line_by_line_reading() -> None:
    import random

    rng = random.Random(5)
    orgs = ["meta-llama", "meta-lama", "facebok", "openmmlab", "Qwen", "gooogle", "path", "open-ai"]
    lines = []
    for _ in range(1000):  # fewer look-alikes than MAX_LOOKALIKES
        r = rng.random()
        org = rng.choice(orgs)
        if r < 0.2:
            lines.append(f'm = AutoModel.from_pretrained("{org}/model-{rng.randrange(9)}")')
        elif r < 0.3:
            lines.append(f'p = "{org}/not-a-hub-id"')
        elif r < 0.35:
            lines.append("")
        else:
            lines.append(f"x{rng.randrange(99)} = compute(a, b) / {rng.randrange(1, 9)}  # a/b")
    text = "\n".join(lines) + "\n"
    got = [(h.line, h.column, h.org) for h in hf.scan_text(text, ".py")]
    assert got == _line_by_line(text)
    assert 30 < len(got) < hf.MAX_LOOKALIKES


def test_github_repository_keys_are_not_hub_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A workflow checking out another GitHub repository (unsloth's CI: ``repository: unslothai/notebooks``)
    names a GitHub owner, not a Hub organisation; the same owner under a hub key is judged."""
    write(tmp_path / ".github" / "workflows" / "ci.yml",
          "jobs:\n  nb:\n    steps:\n      - uses: actions/checkout@v4\n        with:\n"
          "          repository: facebok/notebooks\n          path: nb\n")
    monkeypatch.chdir(tmp_path)
    rc, findings = run_json(["."], capsys)
    assert (rc, findings) == (0, [])
    write(tmp_path / "train.yaml", "model_repo: facebok/opt-1.3b\n")
    rc, findings = run_json(["."], capsys)
    assert [(f["path"], f["data"]["target"]) for f in findings] == [("train.yaml", "facebook")]


def test_a_file_full_of_lookalike_ids_is_judged_up_to_a_bound() -> None:
    """Generated or hostile files: every id is found in order with its line and column, up to
    MAX_LOOKALIKES look-alikes per file (the work per file stays linear)."""
    n = hf.MAX_LOOKALIKES + 50
    text = "".join(f'm{i} = AutoModel.from_pretrained("facebok/opt-{i}")\n' for i in range(n))
    hits = list(hf.scan_text(text, ".py"))
    assert len(hits) == hf.MAX_LOOKALIKES
    col = len('m0 = AutoModel.from_pretrained("') + 1
    assert [(h.line, h.column, h.repo) for h in hits[:3]] == [
        (1, col, "opt-0"), (2, col, "opt-1"), (3, col, "opt-2")]
    # the same ids in one compact JSON line: the line is 1, the column counts from its start
    source = [f'm{i} = AutoModel.from_pretrained("facebok/opt-{i}")\n' for i in range(600)]
    compact = json.dumps({"cells": [{"source": source}]}, separators=(",", ":"))
    assert "\n" not in compact and len(compact) > 20000
    hits = list(hf.scan_text(compact, ".ipynb"))
    assert len(hits) == hf.MAX_LOOKALIKES and {h.line for h in hits} == {1}
    assert compact[hits[5].column - 1:].startswith("facebok/opt-5")
    # one huge line of ids and no hub call near them: nothing
    line = "x = [" + ", ".join(f'"facebok/m{i}"' for i in range(5000)) + "]  # from_pretrained\n"
    assert list(hf.scan_text(line, ".py")) == []
