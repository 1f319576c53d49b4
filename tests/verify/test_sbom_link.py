"""generate-sbom with mlwarden.lock: provenance for locked bytes (Hub commit as pedigree, distribution and
digital-signature references, the tree digest), nothing claimed for bytes that differ from the lock."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sbom.helpers import cdx_validator
from tests.verify.helpers import git, hf_folder, make_repo, run, safetensors_bytes

PIN = "0123456789abcdef0123456789abcdef01234567"


def _sbom(repo: Path, capsys, monkeypatch) -> dict:
    rc, _, err = run(repo, "generate-sbom", "--sbom-file", "bom.json", capsys=capsys, monkeypatch=monkeypatch)
    assert rc in (0, 1), err
    doc = json.loads((repo / "bom.json").read_text())
    errors = [e.message for e in cdx_validator().iter_errors(doc)]
    assert not errors, errors[:5]
    return {c["name"]: c for c in doc["components"]}


def test_locked_model_gets_its_hub_commit_and_signature(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    hf_folder(repo)
    (repo / "models/bert.sig").write_text("{}\n")
    (repo / "local.safetensors").write_bytes(safetensors_bytes(4, 2))
    git(repo, "add", "-A")
    assert run(repo, "lock", "--source", f"models/bert=hf:google/bert-mini@{PIN}", capsys=capsys,
               monkeypatch=monkeypatch)[0] == 0
    comps = _sbom(repo, capsys, monkeypatch)
    model = comps["models/bert/model.safetensors"]
    assert model["pedigree"] == {"ancestors": [{
        "type": "machine-learning-model", "name": "bert-mini", "group": "google", "version": PIN,
        "purl": f"pkg:huggingface/google/bert-mini@{PIN}"}]}
    refs = {(r["type"], r["url"]) for r in model["externalReferences"]}
    assert refs == {("distribution", f"https://huggingface.co/google/bert-mini/tree/{PIN}"),
                    ("digital-signature", "models/bert.sig")}
    props = {p["name"]: p["value"] for p in model["properties"]}
    assert props["mlwarden:lock:artifact"] == "models/bert"
    assert props["mlwarden:lock:tree"].startswith("sha256:")
    local = comps["local.safetensors"]
    assert "pedigree" not in local and {p["name"]: p["value"] for p in local["properties"]}[
        "mlwarden:lock:source"] == "local"
    # bytes that are not the locked ones get no provenance claim
    (repo / "models/bert/model.safetensors").write_bytes(safetensors_bytes(16, 3))
    model = _sbom(repo, capsys, monkeypatch)["models/bert/model.safetensors"]
    assert "pedigree" not in model and "externalReferences" not in model


def test_one_read_per_file_across_sbom_and_verify(tmp_path: Path, capsys, monkeypatch) -> None:
    import os
    import time

    from mlwarden.checks.verify import digest

    repo = make_repo(tmp_path / "repo")
    hf_folder(repo)
    git(repo, "add", "-A")
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    old = time.time() - 60  # past the "racily clean" window
    for p in (repo / "models/bert").iterdir():
        os.utime(p, (old, old))
    reads: list[int] = []
    real = digest._hash_fd

    def counting(fd: int, md5: bool):  # type: ignore[no-untyped-def]
        reads.append(os.fstat(fd).st_ino)
        return real(fd, md5)

    monkeypatch.setattr(digest, "_hash_fd", counting)
    digest._MEMO.clear()
    rc, _, err = run(repo, "scan", "--checks", "generate-sbom,verify-artifacts", "--sbom", "bom.json",
                     capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    # three files, each read once: model.safetensors by generate-sbom (reused by verify-artifacts), the
    # folder's JSON files by verify-artifacts (without the memo it would be four reads)
    assert len(reads) == 3 == len(set(reads))
    # a file changed after it was remembered is read again (identity = inode, size, mtime)
    (repo / "models/bert/model.safetensors").write_bytes(safetensors_bytes(16, 9))
    rc, out, _ = run(repo, "verify-artifacts", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and "artifact-changed" in out
