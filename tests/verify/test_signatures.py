"""OpenSSF model-signing bundles: signed by the real `model_signing` CLI and verified here, signed by
`mlwarden sign` and verified by `model_signing verify key`, and tampered in every way."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.verify.helpers import (
    ec_keypair,
    findings,
    git,
    hf_folder,
    make_repo,
    model_signing_cli,
    run,
    slugs,
)


def _signed_repo(tmp_path: Path, signer: str = "model_signing") -> tuple[Path, Path, Path]:
    repo = make_repo(tmp_path / "repo")
    hf_folder(repo)
    priv, pub = ec_keypair(tmp_path)
    if signer == "model_signing":
        proc = model_signing_cli("sign", "key", "models/bert", "--private_key", str(priv), "--signature",
                                 "models/bert.sig", cwd=repo)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    git(repo, "add", "-A")
    return repo, priv, pub


def test_model_signing_bundle_verifies_here(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, _, pub = _signed_repo(tmp_path)
    assert findings(repo, "--trusted-key", str(pub), capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    monkeypatch.setenv("MLWARDEN_TRUSTED_KEYS", str(pub))
    assert findings(repo, capsys=capsys, monkeypatch=monkeypatch) == (0, [])


def test_config_trusted_keys(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, _, pub = _signed_repo(tmp_path)
    (repo / "mlwarden.toml").write_text(f'[verify-artifacts]\ntrusted-keys = ["{pub}"]\n')
    assert findings(repo, capsys=capsys, monkeypatch=monkeypatch) == (0, [])


def test_no_trusted_key_is_never_clean(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, _, _ = _signed_repo(tmp_path)
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signature-unverifiable", "models/bert.sig")}


def test_other_key_and_tampering(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, _, pub = _signed_repo(tmp_path)
    _, other = ec_keypair(tmp_path, "other")
    rc, found = findings(repo, "--trusted-key", str(other), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signature-invalid", "models/bert.sig")}
    folder = repo / "models/bert"
    (folder / "config.json").write_text('{"model_type": "evil"}\n')
    (folder / "tokenizer.json").unlink()
    (folder / "added.py").write_text("print('hi')\n")
    rc, found = findings(repo, "--trusted-key", str(pub), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    assert slugs(found) == {("signature-invalid", "models/bert/config.json"),
                            ("signature-invalid", "models/bert/tokenizer.json"),
                            ("signature-uncovered", "models/bert/added.py")}
    assert {f["severity"] for f in found if f["slug"] == "signature-invalid"} == {"critical"}


def test_forged_statement_and_keyless_bundle(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, _, pub = _signed_repo(tmp_path)
    sig = repo / "models/bert.sig"
    bundle = json.loads(sig.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"]["resources"][0]["digest"] = "00" * 32  # edit the signed manifest
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    sig.write_text(json.dumps(bundle))
    rc, found = findings(repo, "--trusted-key", str(pub), capsys=capsys, monkeypatch=monkeypatch)
    assert slugs(found) == {("signature-invalid", "models/bert.sig")}
    keyless = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
               "verificationMaterial": {"certificate": {"rawBytes": "MIIB"}, "tlogEntries": []},
               "dsseEnvelope": bundle["dsseEnvelope"]}
    sig.write_text(json.dumps(keyless))
    rc, found = findings(repo, "--trusted-key", str(pub), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signature-unverifiable", "models/bert.sig")}
    assert "keyless" in found[0]["message"]
    sig.write_text("not json")
    rc, found = findings(repo, "--trusted-key", str(pub), capsys=capsys, monkeypatch=monkeypatch)
    assert slugs(found) == {("signature-invalid", "models/bert.sig")}


def test_mlwarden_sign_verifies_with_model_signing(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, priv, pub = _signed_repo(tmp_path, signer="mlwarden")
    (repo / "models/bert/.gitattributes").write_text("*.bin filter=lfs\n")  # ignored by both, at the top
    rc, _, err = run(repo, "sign", "models/bert", "--key", str(priv), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    proc = model_signing_cli("verify", "key", "models/bert", "--signature", "models/bert.sig", "--public_key",
                             str(pub), cwd=repo)
    assert proc.returncode == 0 and "Verification succeeded" in proc.stdout, proc.stdout + proc.stderr
    assert findings(repo, "--trusted-key", str(pub), capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    # a single file, with the bundle written elsewhere
    rc, _, err = run(repo, "sign", "models/bert/model.safetensors", "--key", str(priv), "--signature",
                     str(tmp_path / "one.sig"), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    proc = model_signing_cli("verify", "key", "models/bert/model.safetensors", "--signature",
                             str(tmp_path / "one.sig"), "--public_key", str(pub), cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and model_signing rejects our bundle once a file changed (so the test above can fail)
    (repo / "models/bert/config.json").write_text("{}\n")
    proc = model_signing_cli("verify", "key", "models/bert", "--signature", "models/bert.sig", "--public_key",
                             str(pub), cwd=repo)
    assert proc.returncode != 0


def test_lock_records_the_signer_and_flags_another(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, _, pub = _signed_repo(tmp_path)
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    text = (repo / "mlwarden.lock").read_text()
    assert 'signature = "models/bert.sig"' in text and 'signer = "sha256:' in text
    assert findings(repo, "--trusted-key", str(pub), capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    # a second trusted key re-signs the folder: valid, trusted, but not the signer the lock expects
    priv2, pub2 = ec_keypair(tmp_path, "second")
    rc, _, err = run(repo, "sign", "models/bert", "--key", str(priv2), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    rc, found = findings(repo, "--trusted-key", str(pub), "--trusted-key", str(pub2), capsys=capsys,
                         monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signer-unexpected", "models/bert.sig")}


def test_bad_trusted_key_is_a_usage_error(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, _, _ = _signed_repo(tmp_path)
    bad = tmp_path / "bad.pem"
    bad.write_text("hello\n")
    rc, _, err = run(repo, "verify-artifacts", "--trusted-key", str(bad), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 2 and "no PEM public key" in err and "Traceback" not in err


def test_removed_signature_is_reported(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, _, pub = _signed_repo(tmp_path)
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    (repo / "models/bert.sig").unlink()
    rc, found = findings(repo, "--trusted-key", str(pub), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signature-invalid", "models/bert.sig")}
    assert found[0]["severity"] == "high" and "missing" in found[0]["message"]
