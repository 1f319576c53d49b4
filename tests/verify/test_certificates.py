"""model-signing `certificate` bundles against a local CA made with `cryptography`: signed by the real
`model_signing sign certificate`, verified here with the CA pinned; expired, untrusted, non-signing and
wrong-identity certificates are caught (model-signing itself accepts the expired leaf)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.verify.helpers import findings, git, hf_folder, make_repo, model_signing_cli, run, slugs

NOW = dt.datetime.now(tz=dt.timezone.utc)


def _cert(subject: str, key: Any, issuer: tuple[str, Any] | None, *, ca: bool,
          days: tuple[int, int] = (-1, 365), email: str | None = None, signing: bool = True) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    iname = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]) if issuer else name
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(iname).public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(NOW + dt.timedelta(days=days[0])).not_valid_after(NOW + dt.timedelta(days=days[1]))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
    else:
        b = b.add_extension(x509.KeyUsage(signing, False, False, False, False, False, False, False, False), True)
        if signing:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
        if email:
            b = b.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), False)
    return b.sign(issuer[1] if issuer else key, hashes.SHA256())


def _pki(tmp: Path, **leaf: Any) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Test Root CA", root_key, None, ca=True, days=(-60, 3650))
    inter = _cert("Test Signing CA", inter_key, ("Test Root CA", root_key), ca=True, days=(-60, 3650))
    cert = _cert("model publisher", leaf_key, ("Test Signing CA", inter_key), ca=False, **leaf)
    out = {}
    for name, c in (("root", root), ("inter", inter), ("leaf", cert)):
        out[name] = tmp / f"{name}.crt"
        out[name].write_bytes(c.public_bytes(serialization.Encoding.PEM))
    out["key"] = tmp / "leaf.key"
    out["key"].write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return out


def _signed(tmp_path: Path, **leaf: Any) -> tuple[Path, dict[str, Path]]:
    repo = make_repo(tmp_path / "repo")
    hf_folder(repo)
    pki = _pki(tmp_path, **leaf)
    proc = model_signing_cli("sign", "certificate", "models/bert", "--signature", "models/bert.sig",
                             "--private_key", str(pki["key"]), "--signing_certificate", str(pki["leaf"]),
                             "--certificate_chain", str(pki["inter"]), cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    git(repo, "add", "-A")
    return repo, pki


def test_certificate_bundle_chains_to_the_pinned_ca(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, pki = _signed(tmp_path, email="release@example.org")
    assert findings(repo, "--trusted-ca", str(pki["root"]), capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    # without a pinned CA it is never clean
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signature-unverifiable", "models/bert.sig")}
    # another CA is not trusted
    (tmp_path / "other").mkdir()
    other = _pki(tmp_path / "other")
    rc, found = findings(repo, "--trusted-ca", str(other["root"]), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signature-invalid", "models/bert.sig")}
    assert "does not chain to a trusted CA" in found[0]["message"]
    # tampering is caught as with key bundles
    (repo / "models/bert/config.json").write_text("{}\n")
    rc, found = findings(repo, "--trusted-ca", str(pki["root"]), capsys=capsys, monkeypatch=monkeypatch)
    assert slugs(found) == {("signature-invalid", "models/bert/config.json")}


def test_expired_leaf_is_rejected_although_model_signing_accepts_it(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, pki = _signed(tmp_path, days=(-30, -1))
    chain = tmp_path / "chain.pem"
    chain.write_bytes(pki["inter"].read_bytes() + pki["root"].read_bytes())
    proc = model_signing_cli("verify", "certificate", "models/bert", "--signature", "models/bert.sig",
                             "--certificate_chain", str(chain), cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # model-signing 1.1.1 checks at not-before
    rc, found = findings(repo, "--trusted-ca", str(pki["root"]), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signature-invalid", "models/bert.sig")}
    assert "not valid now" in found[0]["message"]


def test_leaf_that_may_not_sign(tmp_path: Path, capsys, monkeypatch) -> None:
    repo = make_repo(tmp_path / "repo")
    hf_folder(repo)
    pki = _pki(tmp_path, signing=False)
    proc = model_signing_cli("sign", "certificate", "models/bert", "--signature", "models/bert.sig",
                             "--private_key", str(pki["key"]), "--signing_certificate", str(pki["leaf"]),
                             "--certificate_chain", str(pki["inter"]), cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # model-signing signs with it all the same
    git(repo, "add", "-A")
    rc, found = findings(repo, "--trusted-ca", str(pki["root"]), capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and "does not allow digital signatures" in found[0]["message"]


def test_lock_pins_the_certificate_identity(tmp_path: Path, capsys, monkeypatch) -> None:
    repo, pki = _signed(tmp_path, email="release@example.org")
    assert run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    assert 'signer = "cert:release@example.org"' in (repo / "mlwarden.lock").read_text()
    monkeypatch.setenv("MLWARDEN_TRUSTED_CAS", str(pki["root"]))
    assert findings(repo, capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    # the lock expects another identity than the one the (valid, trusted) certificate proves
    text = (repo / "mlwarden.lock").read_text().replace("cert:release@example.org", "cert:someone@example.org")
    (repo / "mlwarden.lock").write_text(text)
    rc, found = findings(repo, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1 and slugs(found) == {("signer-unexpected", "models/bert.sig")}
