"""verify-artifacts against the lock, Git LFS pointers, DVC records, code and Hugging Face caches: every
kind of tampering on real git repositories."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from tests.verify.helpers import (
    findings,
    git,
    hf_folder,
    lfs_add,
    lfs_pointer,
    make_repo,
    run,
    safetensors_bytes,
    slugs,
)

PIN = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def _locked(tmp_path: Path, capsys, monkeypatch) -> Path:
    repo = make_repo(tmp_path / "repo")
    hf_folder(repo)
    (repo / "weights.safetensors").write_bytes(safetensors_bytes(8, 1))
    git(repo, "add", "-A")
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "reviewed")
    return repo


def test_same_size_replacement_is_changed(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _locked(tmp_path, capsys, monkeypatch)
    (repo / "weights.safetensors").write_bytes(safetensors_bytes(8, 2))  # same size, other bytes
    (repo / "models/bert/config.json").write_text('{"model_type": "gpt2"}\n')
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    assert slugs(found) == {("artifact-changed", "weights.safetensors"),
                            ("artifact-changed", "models/bert/config.json")}
    assert all(f["severity"] == "high" for f in found)


def test_added_missing_and_symlinked(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _locked(tmp_path, capsys, monkeypatch)
    (repo / "models/bert/modeling_evil.py").write_text("import os\n")
    (repo / "models/bert/tokenizer.json").unlink()
    outside = tmp_path / "elsewhere.safetensors"
    outside.write_bytes(safetensors_bytes(8, 1))
    (repo / "weights.safetensors").unlink()
    os.symlink(outside, repo / "weights.safetensors")
    os.symlink(outside, repo / "models/bert/extra.safetensors")
    (repo / "new.safetensors").write_bytes(safetensors_bytes(4, 3))
    git(repo, "add", "new.safetensors")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    assert slugs(found) == {
        ("artifact-unlocked", "models/bert/modeling_evil.py"),
        ("artifact-missing", "models/bert/tokenizer.json"),
        ("artifact-symlink", "weights.safetensors"),
        ("artifact-symlink", "models/bert/extra.safetensors"),
        ("artifact-unlocked", "new.safetensors"),
    }
    sev = {(f["slug"], f["path"]): f["severity"] for f in found}
    assert sev[("artifact-unlocked", "models/bert/modeling_evil.py")] == "high"
    assert sev[("artifact-unlocked", "new.safetensors")] == "medium"


def test_missing_folder(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _locked(tmp_path, capsys, monkeypatch)
    shutil.rmtree(repo / "models/bert")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("artifact-missing", "models/bert")}


def test_pre_commit_checks_only_what_staged_paths_touch(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _locked(tmp_path, capsys, monkeypatch)
    (repo / "weights.safetensors").write_bytes(safetensors_bytes(8, 2))
    (repo / "notes.txt").write_text("hi\n")
    rc, found = findings(repo, "notes.txt", capsys=capsys, monkeypatch=monkeypatch)
    assert (rc, found) == (0, [])
    rc, found = findings(repo, "weights.safetensors", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("artifact-changed", "weights.safetensors")}
    # staging the lock re-verifies everything it records
    rc, found = findings(repo, "mlwarden.lock", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("artifact-changed", "weights.safetensors")}


def test_hook_entry_point(tmp_path: Path, capsys, monkeypatch) -> None:
    from mlwarden_hooks.verify_artifacts import main as hook_main

    repo = _locked(tmp_path, capsys, monkeypatch)
    monkeypatch.chdir(repo)
    assert hook_main(["weights.safetensors"]) == 0
    (repo / "weights.safetensors").write_bytes(safetensors_bytes(8, 9))
    assert hook_main(["weights.safetensors"]) == 1


# --- Git LFS ------------------------------------------------------------------------------------------

def test_lfs_pointers_from_the_index(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    good, unpulled, swapped, resized = (safetensors_bytes(32, i) for i in range(1, 5))
    lfs_add(repo, "models/good.safetensors", good)
    lfs_add(repo, "models/unpulled.safetensors", unpulled, pulled=False)
    lfs_add(repo, "models/swapped.safetensors", swapped)
    lfs_add(repo, "models/resized.safetensors", resized)
    git(repo, "commit", "-qm", "lfs")
    (repo / "models/swapped.safetensors").write_bytes(safetensors_bytes(32, 9))  # same size
    (repo / "models/resized.safetensors").write_bytes(safetensors_bytes(40, 4))
    assert "unpulled" not in git(repo, "status", "--porcelain")  # git calls the pointer clean
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    assert slugs(found) == {("lfs-not-pulled", "models/unpulled.safetensors"),
                            ("lfs-mismatch", "models/swapped.safetensors"),
                            ("lfs-mismatch", "models/resized.safetensors")}


def test_lfs_pointer_without_a_git_repository_still_counts(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = tmp_path / "plain"
    repo.mkdir()
    (repo / "m.safetensors").write_bytes(safetensors_bytes(8))
    monkeypatch.chdir(repo)
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    (repo / "other.bin").write_bytes(lfs_pointer(b"x" * 2000))
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("lfs-not-pulled", "other.bin")}


# --- DVC ---------------------------------------------------------------------------------------------
# The records below are what `dvc add` (dvc 3.67.1, dvc-data 3.18.3) wrote for exactly these contents, and
# the legacy values what dvc-data's `md5-dos2unix` (DVC 2's hash) gives for them; recorded here so the
# tests need no DVC installation.
DVC_FILES = {"x.csv": b"a\r\n", "y.txt": b"b\n", "sub/z.bin": b"\x00\x01"}
DVC3_DIR = "e74c2fe1ada0b5232df72690f4f65528.dir"
DVC2_DIR = "c7e5021644c92ec07cbadec7869ff238.dir"
DVC3_FILE = "764efa883dda1e11db47671c4a3bbd9e"  # "hi\n"
CSV = b"a,b\r\n1,2\r\n3,4\r\n"
CSV_DOS2UNIX = "c3c6bc2ae8ece4bd2510dca21225c041"


def _dvc_project(tmp_path: Path, legacy: bool = False) -> Path:
    repo = make_repo(tmp_path / "repo")
    (repo / ".dvc").mkdir()
    for rel, content in DVC_FILES.items():
        (repo / "d2" / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / "d2" / rel).write_bytes(content)
    (repo / "f.txt").write_bytes(b"hi\n")
    hash_line = "" if legacy else "  hash: md5\n"
    dir_md5 = DVC2_DIR if legacy else DVC3_DIR
    (repo / "d2.dvc").write_text(f"outs:\n- md5: {dir_md5}\n  size: 7\n  nfiles: 3\n{hash_line}  path: d2\n")
    (repo / "f.txt.dvc").write_text(f"outs:\n- md5: {DVC3_FILE}\n  size: 3\n  hash: md5\n  path: f.txt\n")
    (repo / ".gitignore").write_text("/d2\n/f.txt\n")  # as dvc add writes it
    git(repo, "add", "-A")
    return repo


def test_dvc_outputs_file_and_folder(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _dvc_project(tmp_path)
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert (rc, found) == (0, []), found
    # the .dir listing DVC keeps in its cache lets the finding name the files
    h = DVC3_DIR.removesuffix(".dir")
    listing = sorted(({"md5": hashlib.md5(c).hexdigest(), "relpath": r} for r, c in DVC_FILES.items()),
                     key=lambda e: e["relpath"])
    cache = repo / ".dvc" / "cache" / "files" / "md5" / h[:2] / (h[2:] + ".dir")
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps(listing, sort_keys=True))
    (repo / "d2" / "x.csv").write_bytes(b"z\r\n")
    (repo / "d2" / "new.csv").write_text("x\n")
    (repo / "f.txt").write_bytes(b"ho\n")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    assert slugs(found) == {("dvc-mismatch", "d2.dvc"), ("dvc-mismatch", "f.txt.dvc")}
    msg = next(f["message"] for f in found if f["path"] == "d2.dvc")
    assert "changed: x.csv" in msg and "added: new.csv" in msg
    shutil.rmtree(repo / "d2")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert ("dvc-not-pulled", "d2.dvc") in slugs(found)


def test_dvc2_legacy_folder_listing(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _dvc_project(tmp_path, legacy=True)
    assert findings(repo, capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    (repo / "d2" / "x.csv").write_bytes(b"a\n")  # dos2unix of the old content: same legacy hash
    assert findings(repo, capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    (repo / "d2" / "y.txt").write_bytes(b"c\n")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("dvc-mismatch", "d2.dvc")} and "legacy" in found[0]["message"]


def test_dvc2_legacy_md5_dos2unix(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "table.csv").write_bytes(CSV)
    plain = hashlib.md5(CSV).hexdigest()
    # DVC 2 wrote no `hash:` key and the dos2unix MD5
    (repo / "table.csv.dvc").write_text(f"outs:\n- md5: {CSV_DOS2UNIX}\n  size: 15\n  path: table.csv\n")
    git(repo, "add", "table.csv.dvc")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert (rc, found) == (0, [])
    # the same MD5 under DVC 3's `hash: md5` is wrong: the raw bytes have CRLF
    (repo / "table.csv.dvc").write_text(
        f"outs:\n- md5: {CSV_DOS2UNIX}\n  size: 15\n  hash: md5\n  path: table.csv\n")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("dvc-mismatch", "table.csv.dvc")}
    (repo / "table.csv.dvc").write_text(f"outs:\n- md5: {plain}\n  size: 15\n  hash: md5\n  path: table.csv\n")
    assert findings(repo, capsys=capsys, monkeypatch=monkeypatch) == (0, [])


def test_hostile_dvc_record_is_a_finding(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "bad.dvc").write_text("outs: [\n")
    (repo / "escape.dvc").write_text("outs:\n- md5: " + "0" * 32 + "\n  path: ../../etc/passwd\n")
    git(repo, "add", "-A")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("dvc-mismatch", "bad.dvc")}  # the escaping output is never read


# --- code ---------------------------------------------------------------------------------------------

def test_hub_references_and_downloads_against_the_lock(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text(
        "import pooch\nfrom keras.utils import get_file\nfrom transformers import AutoModel\n"
        f"a = AutoModel.from_pretrained('org/locked', revision='{PIN}')\n"
        "b = pooch.retrieve('https://example.org/w.bin', known_hash=None)\n"
        "c = get_file('m.h5', 'https://example.org/m.h5', file_hash='ab' * 32)\n"
        "d = pooch.retrieve('https://example.org/locked.bin', known_hash=None)\n")
    git(repo, "add", "-A")
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    assert run(repo, "lock", "add-url", "https://example.org/locked.bin", "--sha256", "cd" * 32,
               capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert [(f["slug"], f["message"].split(" ")[1]) for f in found] == [
        ("download-not-locked", "downloads")]
    assert "https://example.org/w.bin" in found[0]["message"]
    # the code moves to another commit and to a branch: the lock was not reviewed for either
    (repo / "train.py").write_text(
        "from transformers import AutoModel\n"
        f"a = AutoModel.from_pretrained('org/locked', revision='{OTHER}')\n"
        "b = AutoModel.from_pretrained('org/fresh', revision='main')\n")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    got = {(f["slug"], f["severity"], f["message"].split(" ")[1]) for f in found}
    assert got == {("hub-ref-not-locked", "high", "org/locked"), ("hub-ref-not-locked", "medium", "org/fresh")}


def test_without_a_lock_downloads_are_checked_hub_references_are_not(tmp_path: Path, capsys,
                                                                      monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text(
        "import pooch\nfrom transformers import AutoModel\n"
        "b = pooch.retrieve('https://example.org/w.bin', None)\n"
        "c = pooch.retrieve('https://example.org/x.bin', 'sha256:' + 'ab' * 32)\n"
        "m = AutoModel.from_pretrained('org/name')\n")
    git(repo, "add", "-A")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and [(f["slug"], f["path"]) for f in found] == [("download-not-locked", "train.py")]
    assert "https://example.org/w.bin" in found[0]["message"]


def test_one_finding_per_problem_beside_check_unsafe_loads(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text(
        "import urllib.request\nimport torch\nfrom transformers import AutoModel\n\n\n"
        "def get():\n"
        "    urllib.request.urlretrieve('https://example.org/m.pt', 'm.pt')\n"
        "    return torch.load('m.pt', weights_only=True)\n\n\n"
        "m = AutoModel.from_pretrained('org/name', revision='main')\n")
    git(repo, "add", "-A")
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    rc, out, err = run(repo, "scan", "--checks", "check-unsafe-loads,verify-artifacts", "--format", "json",
                       capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1, err
    got = sorted((f["line"], f["slug"]) for f in json.loads(out)["findings"])
    assert got == [(7, "download-not-locked"), (11, "hub-ref-not-locked")], got


# --- Hugging Face cache ------------------------------------------------------------------------------------

def test_hf_cache_blobs(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    cache = tmp_path / "hub"
    blobs = cache / "models--org--name" / "blobs"
    blobs.mkdir(parents=True)
    weights = safetensors_bytes(16, 5)
    (blobs / hashlib.sha256(weights).hexdigest()).write_bytes(weights)
    cfg = b'{"a": 1}\n'
    git_id = hashlib.sha1(b"blob %d\0" % len(cfg) + cfg).hexdigest()
    (blobs / git_id).write_bytes(cfg)
    snap = cache / "models--org--name" / "snapshots" / PIN
    snap.mkdir(parents=True)
    os.symlink(f"../../blobs/{hashlib.sha256(weights).hexdigest()}", snap / "model.safetensors")
    os.symlink(f"../../blobs/{git_id}", snap / "config.json")
    assert findings(repo, "--hf-cache", str(cache), capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(weights)
    (snap / "model.safetensors").unlink()
    os.symlink(evil, snap / "model.safetensors")
    (blobs / hashlib.sha256(weights).hexdigest()).write_bytes(safetensors_bytes(16, 6))
    (blobs / git_id).write_bytes(b'{"a": 2}\n')
    rc, found = findings(repo, "--hf-cache", str(cache), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and [f["slug"] for f in found] == ["hf-cache-corrupt"] * 3
    assert any("links to" in f["message"] for f in found)


def test_scan_runs_verify_artifacts(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = _locked(tmp_path, capsys, monkeypatch)
    (repo / "weights.safetensors").write_bytes(safetensors_bytes(8, 2))
    rc, out, err = run(repo, "scan", "--checks", "verify-artifacts", "--format", "json", capsys=capsys,
                       monkeypatch=monkeypatch)
    assert rc == 1, err
    assert '"artifact-changed"' in out


def test_model_link_leaving_the_tree(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    outside = tmp_path / "shared.pt"
    outside.write_bytes(b"PK\x03\x04")
    os.symlink(outside, repo / "model.pt")
    os.symlink("README.md", repo / "docs-link.md")  # in the tree: fine
    os.symlink("/etc/hostname", repo / "notes.txt")  # not a model or data name: not ours to judge
    (repo / "README.md").write_text("hi\n")
    git(repo, "add", "-A")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("artifact-symlink", "model.pt")}
    rc, found = findings(repo, "model.pt", capsys=capsys, monkeypatch=monkeypatch)
    assert slugs(found) == {("artifact-symlink", "model.pt")}


def test_unpulled_docs_image_is_low(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    lfs_add(repo, "assets/architecture.png", b"\x89PNG\r\n\x1a\n" + bytes(3000), pulled=False)
    lfs_add(repo, "weights/model.bin", bytes(5000), pulled=False)
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    assert {(f["path"], f["severity"]) for f in found} == {("assets/architecture.png", "low"),
                                                           ("weights/model.bin", "high")}


def test_hostile_trees_never_hang_or_leave_the_repository(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    hf_folder(repo)
    (repo / "sub").mkdir()
    (repo / "sub/w.safetensors").write_bytes(safetensors_bytes(8, 4))
    git(repo, "add", "-A")
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    # a FIFO where a locked file was: reported, never opened for a blocking read
    (repo / "models/bert/tokenizer.json").unlink()
    os.mkfifo(repo / "models/bert/tokenizer.json")
    # the folder holding a locked file replaced by a link out of the repository
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "w.safetensors").write_bytes(safetensors_bytes(8, 4))  # even the same bytes
    shutil.rmtree(repo / "sub")
    os.symlink(elsewhere, repo / "sub")
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    assert slugs(found) == {("artifact-changed", "models/bert/tokenizer.json"),
                            ("artifact-symlink", "sub/w.safetensors")}
