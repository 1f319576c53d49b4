"""`mlwarden lock`: byte-stable TOML, model-signing tree digests, scan verdicts, references, --check."""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
import sys
from pathlib import Path

import pytest

from mlwarden.checks.verify import lockfile
from tests.verify.helpers import (
    ec_keypair,
    findings,
    git,
    hf_folder,
    lfs_add,
    make_repo,
    model_signing_cli,
    run,
    safetensors_bytes,
    slugs,
)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PIN = "0123456789abcdef0123456789abcdef01234567"


def _project(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo")
    hf_folder(repo)
    (repo / "weights.safetensors").write_bytes(safetensors_bytes(8, 1))
    (repo / "data").mkdir()
    (repo / "data" / "train.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    (repo / "train.py").write_text(
        "from transformers import AutoModel\n"
        f"m = AutoModel.from_pretrained('org/name', revision='{PIN}')\n")
    (repo / "README.md").write_text("# demo\n")
    git(repo, "add", "-A")
    return repo


def test_lock_records_artifacts_and_is_byte_stable(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _project(tmp_path)
    rc, _, err = run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    text = (repo / "mlwarden.lock").read_text()
    data = tomllib.loads(text)
    arts = {a["path"]: a for a in data["artifact"]}
    assert set(arts) == {"models/bert", "weights.safetensors", "data/train.parquet"}
    bert = arts["models/bert"]
    assert bert["kind"] == "folder" and bert["format"] == "hf-folder" and bert["verdict"] == "clean"
    assert [f["path"] for f in bert["files"]] == ["config.json", "model.safetensors", "tokenizer.json"]
    for f in bert["files"]:
        content = (repo / "models/bert" / f["path"]).read_bytes()
        assert f["sha256"] == hashlib.sha256(content).hexdigest() and f["size"] == len(content)
    single = arts["weights.safetensors"]
    assert single["kind"] == "file" and single["format"] == "safetensors"
    raw = bytes.fromhex(single["sha256"])
    assert single["tree"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert arts["data/train.parquet"]["format"] == "data.parquet"
    assert data["reference"] == [{"hub": "model:org/name", "revision": PIN}]
    # a second run changes nothing, --check agrees; no timestamps
    rc, _, _ = run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0 and (repo / "mlwarden.lock").read_text() == text
    assert run(repo, "lock", "--check", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    (repo / "models/bert/tokenizer.json").write_text('{"version": "2.0"}\n')
    rc, _, err = run(repo, "lock", "--check", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and "would change" in err
    assert (repo / "mlwarden.lock").read_text() == text, "--check writes nothing"


def test_tree_digest_is_model_signings_subject_digest(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _project(tmp_path)
    # names whose string order differs from path-component order ("a.b" < "a/b" as strings)
    (repo / "models/bert/a").mkdir()
    (repo / "models/bert/a/b.txt").write_text("nested\n")
    (repo / "models/bert/a.b").write_text("dotted\n")
    (repo / "models/bert/.gitignore").write_text("*.tmp\n")  # model-signing ignores it at the top
    priv, _ = ec_keypair(tmp_path)
    proc = model_signing_cli("sign", "key", "models/bert", "--private_key", str(priv), "--signature",
                             str(tmp_path / "bert.sig"), cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bundle = json.loads((tmp_path / "bert.sig").read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    subject = statement["subject"][0]["digest"]["sha256"]
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    lock = lockfile.read(repo / "mlwarden.lock", "mlwarden.lock")
    bert = lock.by_path()["models/bert"]
    assert bert.tree == f"sha256:{subject}"
    assert sorted(f.path for f in bert.files) == sorted(r["name"] for r in statement["predicate"]["resources"])


def test_lock_refuses_a_critical_pickle_unless_allowed(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    # a pickle that would call os.system on load (built by hand, never loaded)
    evil = b"\x80\x04cos\nsystem\n\x8c\x02id\x85R."
    (repo / "model.pkl").write_bytes(evil)
    (repo / "ok.pkl").write_bytes(pickle.dumps({"a": [1, 2]}))
    rc, _, err = run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and "model.pkl" in err and "refusing" in err
    assert not (repo / "mlwarden.lock").exists()
    rc, _, err = run(repo, "lock", "--allow-flagged", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    arts = lockfile.read(repo / "mlwarden.lock", "x").by_path()
    assert arts["model.pkl"].verdict == "flagged:critical"
    assert arts["ok.pkl"].verdict == "clean"


def test_unpulled_lfs_file_is_locked_from_its_pointer(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    content = safetensors_bytes(64, 7)
    lfs_add(repo, "big.safetensors", content, pulled=False)
    assert run(repo, "lock", "big.safetensors", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    art = lockfile.read(repo / "mlwarden.lock", "x").by_path()["big.safetensors"]
    assert art.files[0].sha256 == hashlib.sha256(content).hexdigest()
    assert art.files[0].size == len(content) and art.verdict == "not-pulled" and art.source == "lfs"
    # once pulled, the real content verifies against the lock
    (repo / "big.safetensors").write_bytes(content)
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, found


def test_add_url_and_source_option(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _project(tmp_path)
    blob = tmp_path / "w.bin"
    blob.write_bytes(b"weights")
    assert run(repo, "lock", "--source", f"models/bert=hf:google/bert@{PIN}", capsys=capsys,
               monkeypatch=monkeypatch)[0] == 0
    assert run(repo, "lock", "add-url", "https://example.org/w.bin", "--file", str(blob), capsys=capsys,
               monkeypatch=monkeypatch)[0] == 0
    assert run(repo, "lock", "add-url", "https://example.org/v.bin", "--sha256", "ab" * 32, capsys=capsys,
               monkeypatch=monkeypatch)[0] == 0
    rc, _, err = run(repo, "lock", "add-url", "https://example.org/v.bin", "--sha256", "xyz", capsys=capsys,
                     monkeypatch=monkeypatch)
    assert rc == 2 and "64 hex" in err
    # re-locking keeps the source and the URL references
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    lock = lockfile.read(repo / "mlwarden.lock", "x")
    assert lock.by_path()["models/bert"].source == f"hf:google/bert@{PIN}"
    urls = lock.url_refs()
    assert urls["https://example.org/w.bin"].sha256 == hashlib.sha256(b"weights").hexdigest()
    assert urls["https://example.org/v.bin"].sha256 == "ab" * 32


def test_slsa_export(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _project(tmp_path)
    assert run(repo, "lock", "--source", f"models/bert=hf:google/bert@{PIN}", "--slsa", "deps.json",
               capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    doc = json.loads((repo / "deps.json").read_text())
    deps = doc["buildDefinition"]["resolvedDependencies"]
    bert = next(d for d in deps if d.get("name") == "models/bert")
    assert bert["uri"] == "https://huggingface.co/google/bert" and bert["digest"]["gitCommit"] == PIN
    lock = lockfile.read(repo / "mlwarden.lock", "x")
    assert bert["digest"]["sha256"] == lock.by_path()["models/bert"].tree.split(":")[1]
    assert {"uri": "https://huggingface.co/org/name", "name": "org/name", "digest": {"gitCommit": PIN}} in deps


@pytest.mark.parametrize("text, needle", [
    ("version = 1\n[[artifact\n", "not valid TOML"),
    ("version = 7\n", "unsupported lock version"),
    ('version = 1\n[[artifact]]\npath = "../x"\nkind = "file"\nformat = "f"\nsource = "local"\n'
     'sha256 = "' + "0" * 64 + '"\nsize = 1\n', "relative"),
    ('version = 1\n[[artifact]]\npath = "x"\nkind = "file"\nformat = "f"\nsource = "local"\n'
     'tree = "sha256:' + "1" * 64 + '"\nsha256 = "' + "0" * 64 + '"\nsize = 1\n', "tree"),
])
def test_unreadable_lock_is_a_high_finding(tmp_path: Path, capsys, monkeypatch, text: str, needle: str) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "mlwarden.lock").write_text(text)
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    assert [f["slug"] for f in found] == ["lock-unreadable"] and found[0]["severity"] == "high"
    assert needle in found[0]["message"]


def test_lock_writer_escapes_odd_names(tmp_path: Path) -> None:
    lock = lockfile.Lock(artifacts=[lockfile.Artifact(
        path='we"ird\\name\u2028.bin', kind="file", format="pickle", source="local",
        files=(lockfile.FileEntry(".", "0" * 64, 3),))])
    again = lockfile.loads(lockfile.dumps(lock))
    assert again.artifacts[0].path == 'we"ird\\name\u2028.bin'
    assert lockfile.dumps(again) == lockfile.dumps(lock)


def test_verify_finds_nothing_on_a_fresh_lock(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _project(tmp_path)
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert (rc, found) == (0, [])
    assert slugs(found) == set()
