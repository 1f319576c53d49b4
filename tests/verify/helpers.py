"""Real git repositories, Git LFS pointers (in the exact format git-lfs writes), keys and runs of the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlwarden.cli import main


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True)
    return proc.stdout.decode()


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    git(path, "config", "user.email", "t@example.invalid")
    git(path, "config", "user.name", "t")
    return path


def lfs_pointer(content: bytes) -> bytes:
    oid = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(content)}\n".encode()


def lfs_add(repo: Path, rel: str, content: bytes, pulled: bool = True) -> None:
    """Stage ``rel`` as git-lfs would (the pointer blob in the index, filter=lfs in .gitattributes) and put
    the object (pulled) or the pointer itself (never pulled) in the work tree."""
    attrs = repo / ".gitattributes"
    line = f"{rel} filter=lfs diff=lfs merge=lfs -text\n"
    if not attrs.exists() or line not in attrs.read_text():
        with attrs.open("a") as fh:
            fh.write(line)
        git(repo, "add", ".gitattributes")
    pointer = lfs_pointer(content)
    blob = git(repo, "hash-object", "-w", "--stdin", data=pointer).strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}")
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content if pulled else pointer)


def ec_keypair(folder: Path, name: str = "key") -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    priv = folder / f"{name}.pem"
    pub = folder / f"{name}.pub.pem"
    priv.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return priv, pub


def model_signing_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("model_signing") or str(Path(sys.executable).parent / "model_signing")
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, check=False)


def run(repo: Path, *argv: str, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.chdir(repo)
    capsys.readouterr()
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def findings(repo: Path, *args: str, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[dict[str, Any]]]:
    rc, out, err = run(repo, "verify-artifacts", "--format", "json", *args, capsys=capsys,
                       monkeypatch=monkeypatch)
    assert rc in (0, 1), err
    data = json.loads(out)
    return rc, [{"slug": f["slug"], "path": f["path"], "severity": f["severity"], "message": f["message"]}
                for f in data["findings"]]


def slugs(found: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f["slug"], f["path"]) for f in found}


def safetensors_bytes(n: int = 16, fill: int = 0) -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + bytes([fill]) * (4 * n)


def hf_folder(repo: Path, rel: str = "models/bert") -> Path:
    folder = repo / rel
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "bert"}\n')
    (folder / "model.safetensors").write_bytes(safetensors_bytes())
    (folder / "tokenizer.json").write_text('{"version": "1.0"}\n')
    return folder


def env_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("MLWARDEN_"):
            monkeypatch.delenv(k, raising=False)
