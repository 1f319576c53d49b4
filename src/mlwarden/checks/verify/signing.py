"""OpenSSF model-signing bundles (Sigstore bundle JSON, DSSE envelope over an in-toto statement).

The ``key`` method (an EC public key, no certificate, no transparency log) is verified here, offline,
with a little code over ``cryptography`` (extra ``mlwarden[signatures]``, imported only when a bundle is
found); ``sign()`` writes the same format, so ``model_signing verify key`` accepts it. Certificate and
keyless (Sigstore) bundles need a pinned trust configuration this module does not have: they are
reported as unverifiable, never as valid.

The statement's subject digest is sha256 over the raw digests of the resources in path order; it is the
``tree`` digest of mlwarden.lock, so a lock and a signature cross-check without hashing twice."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlwarden.checks.verify.lockfile import path_key, tree_digest

PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
MAX_BUNDLE = 64 * 1024 * 1024
GIT_IGNORED = (".git", ".gitattributes", ".github", ".gitignore")


class BundleError(ValueError):
    """The bundle is malformed or its signature/statement does not verify (signature-invalid)."""


class Unverifiable(ValueError):
    """The bundle cannot be checked here (signature-unverifiable): no key, unsupported method..."""


@dataclass(frozen=True)
class Verified:
    name: str
    resources: Mapping[str, str]  # resource name -> sha256 hex
    subject: str  # "sha256:<hex>"
    signer: str  # "sha256:<fingerprint of the public key>" or "cert:<identity>"
    ignore_paths: tuple[str, ...]
    signer_ids: tuple[str, ...] = ()  # every identity the signer proves (a certificate's SAN entries)

    def signed_by(self, expected: str) -> bool:
        if expected.startswith("cert:"):
            return expected[5:] in self.signer_ids
        return expected == self.signer


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise Unverifiable("the `cryptography` package is not installed: install mlwarden[signatures] to "
                           "verify model signatures") from None
    return serialization


def fingerprint(public_key: Any) -> str:
    """model-signing's key hint: sha256 of the PEM SubjectPublicKeyInfo."""
    serialization = _crypto()
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(pem).hexdigest()


def load_public_keys(paths: Sequence[str]) -> list[Any]:
    """Every PEM public key (or certificate's key) in the given files; a bad file is a usage error."""
    from mlwarden.core.errors import UsageError

    serialization = _crypto()
    keys = []
    for p in paths:
        try:
            data = Path(p).expanduser().read_bytes()
        except OSError as exc:
            raise UsageError(f"trusted key {p}: cannot read: {exc.strerror or exc}") from None
        blocks = [b for b in data.split(b"-----END ") if b"-----BEGIN " in b]
        found = 0
        for b in blocks:
            start = b.index(b"-----BEGIN ")
            kind = b[start + 11:].split(b"-----", 1)[0]
            pem = b[start:] + b"-----END " + kind + b"-----\n"
            try:
                if kind == b"PUBLIC KEY":
                    keys.append(serialization.load_pem_public_key(pem))
                    found += 1
            except ValueError:
                pass
        if not found:
            raise UsageError(f"trusted key {p}: no PEM public key in it")
    return keys


def pae(payload: bytes, payload_type: str = PAYLOAD_TYPE) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    return b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type.encode(), len(payload), payload)


def _pae_compat(payload: bytes) -> bytes:
    # model-signing 0.2 signed this (a bytes repr inside a str); its verifier still accepts it
    t = PAYLOAD_TYPE
    return f"DSSEV1 {len(t)} {t} {len(payload)} {payload!r}".encode()


def _hash_for(key: Any) -> Any:
    from cryptography.hazmat.primitives import hashes

    size = key.curve.key_size
    return {256: hashes.SHA256(), 384: hashes.SHA384(), 521: hashes.SHA512()}.get(size)


def read_bundle(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BUNDLE + 1)
    except OSError as exc:
        raise Unverifiable(f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BUNDLE:
        raise BundleError("bundle larger than 64 MiB")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BundleError("not a JSON Sigstore bundle") from None
    if not isinstance(data, dict):
        raise BundleError("not a Sigstore bundle (no JSON object)")
    return data


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise BundleError(f"{what} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BundleError(f"{what} is not base64") from None


def verify_bundle(bundle: Mapping[str, Any], trusted: Sequence[Any],
                  trusted_cas: Sequence[Any] = ()) -> Verified:
    """Check the bundle's signature with the trusted keys and its statement's consistency."""
    material = bundle.get("verificationMaterial")
    envelope = bundle.get("dsseEnvelope")
    if not isinstance(material, dict) or not isinstance(envelope, dict):
        if "messageSignature" in bundle:
            raise Unverifiable("a message-signature bundle (not a model-signing DSSE bundle) is not "
                               "supported")
        raise BundleError("no verificationMaterial/dsseEnvelope: not a model-signing bundle")
    if "certificate" in material:
        raise Unverifiable("keyless (Sigstore) bundle: verifying it needs the Sigstore trust root, a "
                           "transparency-log check and an expected OIDC identity, which mlwarden does not "
                           "configure; only `key` and `certificate` (own CA) bundles are verified")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise BundleError(f"payload type {envelope.get('payloadType')!r} is not in-toto JSON")
    payload = _b64(envelope.get("payload"), "the DSSE payload")
    sigs = envelope.get("signatures")
    if not isinstance(sigs, list) or len(sigs) != 1 or not isinstance(sigs[0], dict):
        raise BundleError("the DSSE envelope must carry exactly one signature")
    sig = _b64(sigs[0].get("sig"), "the signature")
    if "x509CertificateChain" in material:
        return _verify_certificate_bundle(material["x509CertificateChain"], payload, sig, trusted_cas)
    pk = material.get("publicKey")
    if not isinstance(pk, dict):
        raise Unverifiable("the bundle names no public key, certificate or key hint")
    if not trusted:
        raise Unverifiable("no trusted key is configured (trusted-keys in config, --trusted-key, "
                           "MLWARDEN_TRUSTED_KEYS)")
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec

    hint = pk.get("hint") or ""
    candidates = [k for k in trusted if isinstance(k, ec.EllipticCurvePublicKey)]
    if hint:
        candidates = [k for k in candidates if fingerprint(k) == f"sha256:{hint}"]
        if not candidates:
            raise BundleError(f"signed with key sha256:{hint[:16]}…, which is not a trusted key")
    signer = None
    for key in candidates:
        algo = _hash_for(key)
        if algo is None:
            continue
        for message in (pae(payload), _pae_compat(payload)):
            try:
                key.verify(sig, message, ec.ECDSA(algo))
            except InvalidSignature:
                continue
            signer = fingerprint(key)
            break
        if signer:
            break
    if signer is None:
        raise BundleError("the signature does not verify with any trusted key")
    return _statement(payload, signer)


def _statement(payload: bytes, signer: str, signer_ids: tuple[str, ...] = ()) -> Verified:
    try:
        st = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise BundleError("the signed payload is not JSON") from None
    if not isinstance(st, dict) or st.get("_type") != STATEMENT_TYPE:
        raise BundleError("the signed payload is not an in-toto v1 statement")
    if st.get("predicateType") != PREDICATE_TYPE:
        raise Unverifiable(f"predicate type {st.get('predicateType')!r} is not supported (only "
                           f"{PREDICATE_TYPE})")
    subjects = st.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise BundleError("the statement must have exactly one subject")
    dig = subjects[0].get("digest")
    subj_digest = dig.get("sha256") if isinstance(dig, dict) else None
    pred = st.get("predicate")
    if not isinstance(pred, dict) or not isinstance(pred.get("resources"), list):
        raise BundleError("the statement has no resources")
    ser_raw = pred.get("serialization")
    ser: dict[str, Any] = ser_raw if isinstance(ser_raw, dict) else {}
    if ser.get("method", "files") != "files":
        raise Unverifiable(f"serialization method {ser.get('method')!r} is not supported (only 'files')")
    h = hashlib.sha256()
    resources: dict[str, str] = {}
    for r in pred["resources"]:
        if not (isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("digest"), str)):
            raise BundleError("a resource has no name or digest")
        if r.get("algorithm") != "sha256":
            raise Unverifiable(f"resource digest algorithm {r.get('algorithm')!r} is not supported (sha256)")
        try:
            raw = bytes.fromhex(r["digest"])
        except ValueError:
            raise BundleError(f"resource {r['name']!r} has a malformed digest") from None
        if len(raw) != 32:
            raise BundleError(f"resource {r['name']!r} has a malformed digest")
        h.update(raw)
        if r["name"] in resources:
            raise BundleError(f"resource {r['name']!r} is listed twice")
        resources[r["name"]] = r["digest"].lower()
    if h.hexdigest() != subj_digest:
        raise BundleError("the statement is inconsistent: its subject digest is not the digest of its "
                          "resources")
    ignore = ser.get("ignore_paths") or ()
    return Verified(name=str(subjects[0].get("name") or ""), resources=resources,
                    subject="sha256:" + str(subj_digest), signer=signer,
                    ignore_paths=tuple(str(p) for p in ignore if isinstance(p, str)),
                    signer_ids=signer_ids or (signer,))


MAX_CHAIN = 8


def load_ca_certificates(paths: Sequence[str]) -> list[Any]:
    """Trusted root (or pinned intermediate) certificates for `certificate` bundles."""
    _crypto()
    from cryptography import x509

    from mlwarden.core.errors import UsageError

    out: list[Any] = []
    for p in paths:
        try:
            data = Path(p).expanduser().read_bytes()
        except OSError as exc:
            raise UsageError(f"trusted CA {p}: cannot read: {exc.strerror or exc}") from None
        try:
            out.extend(x509.load_pem_x509_certificates(data))
        except ValueError:
            raise UsageError(f"trusted CA {p}: no PEM certificate in it") from None
    return out


def identities(cert: Any) -> list[str]:
    """What a certificate says its holder is: SAN e-mail addresses, URIs and DNS names, else subject CN."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    out: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        for kind in (x509.RFC822Name, x509.UniformResourceIdentifier, x509.DNSName):
            out.extend(str(v) for v in san.get_values_for_type(kind))
    except x509.ExtensionNotFound:
        pass
    if not out:
        out.extend(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
    return out


def _verify_certificate_bundle(chain_json: Any, payload: bytes, sig: bytes,
                               trusted_cas: Sequence[Any]) -> Verified:
    """model-signing's `certificate` method: the leaf must chain to a trusted CA, every certificate of the
    path must be valid now (model-signing itself checks the chain at the leaf's not-before time, so it
    accepts an expired leaf), the leaf must allow signing, and its key must verify the envelope."""
    import datetime as _dt

    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    certs_json = chain_json.get("certificates") if isinstance(chain_json, dict) else None
    if not isinstance(certs_json, list) or not certs_json:
        raise BundleError("the certificate chain is empty")
    chain = []
    for c in certs_json[:MAX_CHAIN + 1]:
        raw = _b64(c.get("rawBytes") if isinstance(c, dict) else None, "a certificate")
        try:
            chain.append(x509.load_der_x509_certificate(raw))
        except ValueError:
            raise BundleError("a certificate of the chain is not DER X.509") from None
    if not trusted_cas:
        raise Unverifiable("a certificate bundle, and no trusted CA is configured (trusted-cas in config, "
                           "--trusted-ca, MLWARDEN_TRUSTED_CAS)")
    now = _dt.datetime.now(tz=_dt.timezone.utc)
    leaf = chain[0]
    roots = {r.fingerprint(_sha256()): r for r in trusted_cas}
    pool = chain[1:]
    cert = leaf
    for _ in range(MAX_CHAIN + 1):
        who = "leaf" if cert is leaf else "CA"
        if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
            raise BundleError(f"{who} certificate {cert.subject.rfc4514_string()!r} is not valid now (valid "
                              f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d})")
        if cert.fingerprint(_sha256()) in roots:
            break
        issuer = None
        for cand in [*roots.values(), *pool]:
            if cand.subject != cert.issuer or cand is cert:
                continue
            try:
                cert.verify_directly_issued_by(cand)
            except (ValueError, TypeError, InvalidSignature):
                continue
            if not _is_ca(cand):
                continue
            issuer = cand
            break
        if issuer is None:
            raise BundleError(f"certificate {cert.subject.rfc4514_string()!r} does not chain to a trusted CA")
        cert = issuer
    else:
        raise BundleError("certificate chain too long")
    if not _can_sign(leaf, ExtendedKeyUsageOID.CODE_SIGNING):
        raise BundleError("the signing certificate does not allow digital signatures or code signing")
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or _hash_for(key) is None:
        raise Unverifiable("the signing certificate's key is not an EC P-256/384/521 key")
    for message in (pae(payload), _pae_compat(payload)):
        try:
            key.verify(sig, message, ec.ECDSA(_hash_for(key)))
            break
        except InvalidSignature:
            continue
    else:
        raise BundleError("the signature does not verify with the signing certificate's key")
    ids = identities(leaf)
    return _statement(payload, "cert:" + (ids[0] if ids else leaf.subject.rfc4514_string()), tuple(ids))


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _is_ca(cert: Any) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _can_sign(cert: Any, code_signing: Any) -> bool:
    from cryptography import x509

    try:
        if cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature:
            return True
    except x509.ExtensionNotFound:
        pass
    try:
        return code_signing in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False


def bundle_signer_hint(bundle: Mapping[str, Any]) -> str | None:
    material = bundle.get("verificationMaterial")
    if isinstance(material, dict) and isinstance(material.get("x509CertificateChain"), dict):
        try:
            from cryptography import x509

            raw = base64.b64decode(material["x509CertificateChain"]["certificates"][0]["rawBytes"])
            ids = identities(x509.load_der_x509_certificate(raw))
            return f"cert:{ids[0]}" if ids else None
        except (ImportError, ValueError, KeyError, IndexError, TypeError, binascii.Error):
            return None
    if isinstance(material, dict) and isinstance(material.get("publicKey"), dict):
        hint = material["publicKey"].get("hint")
        if isinstance(hint, str) and len(hint) == 64:
            return "sha256:" + hint
    return None


def statement(name: str, files: Mapping[str, str], ignore_paths: Sequence[str]) -> dict[str, Any]:
    ordered = sorted(files.items(), key=lambda kv: path_key(kv[0]))
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": tree_digest(ordered).split(":", 1)[1]}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "serialization": {"method": "files", "hash_type": "sha256",
                              "ignore_paths": sorted(ignore_paths), "allow_symlinks": False},
            "resources": [{"name": n, "algorithm": "sha256", "digest": d} for n, d in ordered],
        },
    }


def sign(name: str, files: Mapping[str, str], ignore_paths: Sequence[str], key_path: Path,
         password: bytes | None = None) -> bytes:
    """A model-signing `key` bundle (JSON bytes) over ``files`` (resource name -> sha256 hex)."""
    serialization = _crypto()
    from cryptography.hazmat.primitives.asymmetric import ec

    from mlwarden.core.errors import UsageError

    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password)
    except OSError as exc:
        raise UsageError(f"{key_path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{key_path}: not a usable PEM private key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name not in (
            "secp256r1", "secp384r1", "secp521r1"):
        raise UsageError(f"{key_path}: model-signing keys are EC P-256, P-384 or P-521")
    payload = json.dumps(statement(name, files, ignore_paths), indent=2).encode()
    signature = key.sign(pae(payload), ec.ECDSA(_hash_for(key.public_key())))
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": {"hint": fingerprint(key.public_key()).split(":", 1)[1]},
            "tlogEntries": [],
        },
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": ""}],
        },
    }
    return (json.dumps(bundle, indent=2) + "\n").encode()
