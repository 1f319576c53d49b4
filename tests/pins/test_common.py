"""The shared per-dependency rules on Dependency objects of every kind (the other formats' readers build
these; here they are constructed directly so the policy is pinned down independently of any reader)."""

from __future__ import annotations

from typing import Any

from mlwarden.checks.pins.common import dependency_findings, exact_pin, insecure_url
from mlwarden.sources.model import Dependency, Manifest

H = "sha256:" + "c" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def dep(name: str = "torch", **kw: Any) -> Dependency:
    kw.setdefault("source", "x")
    return Dependency(name=name, normalized=name.lower(), line=kw.pop("line", 1), **kw)


def found(d: Dependency, m: Manifest | None = None, **options: Any) -> list[tuple[str, str]]:
    m = m or Manifest(path=d.source, format="requirements", dependencies=[d])
    return [(f.slug, f.level.label) for f in dependency_findings(d, m, options)]


def test_exact_pin() -> None:
    assert exact_pin(dep(specifier="==2.1.0+cu121", version="2.1.0+cu121"))
    assert exact_pin(dep(specifier="===1.0-foo"))
    for spec in (">=2", "==2.*", "==1.0,<2", "~=1.4", "!=1.0", "", "<2"):
        assert not exact_pin(dep(specifier=spec)), spec
    assert exact_pin(dep(kind="lock", version="1.0"))


def test_unpinned_policy_by_kind() -> None:
    assert found(dep(specifier=">=2")) == [("unpinned", "high"), ("missing-hash", "low")]
    assert found(dep(specifier=">=2", kind="constraint")) == [("unpinned", "medium"), ("missing-hash", "low")]
    lib = Manifest(path="pyproject.toml", format="pyproject", is_library=True)
    app = Manifest(path="pyproject.toml", format="pyproject", is_library=False)
    assert found(dep(specifier=">=2", kind="pyproject", source="pyproject.toml"), lib) == [("unpinned", "info")]
    assert found(dep(specifier=">=2", kind="pyproject", source="pyproject.toml"), app) == [("unpinned", "low")]
    assert found(dep(specifier="*", kind="pipfile")) == [("unpinned", "low")]
    assert found(dep(specifier="=1.2", kind="conda")) == []  # conda-* rules own conda pins
    assert found(dep(specifier=">=2", kind="conda-pip")) == [("unpinned", "high"), ("missing-hash", "low")]


def test_missing_hash_policy() -> None:
    a = dep("a", specifier="==1", version="1", hashes=(H,))
    b = dep("b", specifier="==1", version="1")
    m = Manifest(path="x", format="requirements", dependencies=[a, b])
    assert found(a, m) == []
    assert found(b, m) == [("missing-hash", "high")]
    assert found(b, Manifest(path="x", format="requirements", dependencies=[b]), **{"require-hashes": True}) == \
        [("missing-hash", "high")]
    assert found(b, Manifest(path="x", format="requirements", dependencies=[b], hashes_required=True)) == \
        [("missing-hash", "high")]
    assert found(dep(kind="lock", version="1")) == []  # lock entries: lock-no-hash, not missing-hash
    assert found(b, Manifest(path="requirements.in", format="requirements", dependencies=[b])) == []


def test_vcs_url_transport_editable_local() -> None:
    vcs = dep("peft", url="git+https://github.com/huggingface/peft@main", vcs="git", ref="main")
    assert ("vcs-unpinned", "high") in found(vcs)
    pinned = dep("peft", url=f"git+https://github.com/huggingface/peft@{COMMIT}", vcs="git", ref=COMMIT)
    assert "vcs-unpinned" not in dict(found(pinned))
    assert "vcs-unpinned" not in dict(found(dep("old", url="svn+https://s/r@1234", vcs="svn", ref="1234")))
    url = dep("tiny", url="http://example.com/tiny-1.0.tar.gz")
    assert dict(found(url)) == {"url-no-hash": "high", "insecure-transport": "high", "missing-hash": "low"}
    assert "url-no-hash" not in dict(found(dep("tiny", url="https://e.com/tiny-1.0.tar.gz", hashes=(H,))))
    assert dict(found(dep("", editable=True, local_path="."))) == {"editable": "medium", "missing-hash": "low"}
    assert dict(found(dep("", local_path="./pkg"))) == {"local-path": "low", "missing-hash": "low"}
    locked = dep("x", kind="lock", version="1", index="http://pypi.internal/simple")
    assert found(locked) == [("insecure-transport", "high")]
    assert found(dep("x", kind="lock", version="1", index="http://localhost:8080/simple")) == \
        [("insecure-transport", "low")]


def test_insecure_url() -> None:
    for u in ("http://x", "git://github.com/a/b", "git+http://x", "svn://x", "svn+svn://x", "ftp://x",
              "HTTP://X"):
        assert insecure_url(u), u
    for u in ("https://x", "git+https://x", "git+ssh://git@github.com/a", "file:///x", "./pkg", "svn+ssh://x"):
        assert not insecure_url(u), u


def test_credentials_are_redacted_in_messages() -> None:
    d = dep("x", url="http://user:tok3n@files.example/x-1.0.tar.gz")
    msgs = [f.message for f in dependency_findings(d, Manifest(path="x", format="requirements"), {})]
    assert msgs and not any("tok3n" in m for m in msgs)
