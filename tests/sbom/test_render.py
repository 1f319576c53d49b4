"""The inventory -> CycloneDX 1.6 / SPDX 2.3 rendering, from Dependency objects built the way the readers build
them: every output validates strictly, identity decides bom-refs, and input order never changes a byte."""

from __future__ import annotations

import json
import random

import pytest
from packaging.utils import canonicalize_name

from mlwarden.checks.sbom import cyclonedx, purl, spdx
from mlwarden.checks.sbom.collect import (
    Inventory,
    add_dependencies,
    hub_component,
    library_component,
    model_component,
    parse_hash,
)
from mlwarden.sources.model import Dependency, Manifest
from tests.sbom.helpers import assert_valid_cdx, assert_valid_spdx, by_ref, props

H1 = "a" * 64
H2 = "b" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def dep(name: str, version: str | None = None, **kw: object) -> Dependency:
    fields: dict[str, object] = {"source": "uv.lock", "kind": "lock"}
    fields.update(kw)
    spec = f"=={version}" if version else ""
    return Dependency(name=name, normalized=canonicalize_name(name), version=version, specifier=spec,
                      **fields)  # type: ignore[arg-type]


def lock_manifest() -> Manifest:
    deps = [
        dep("torch", "2.3.1", hashes=(f"sha256:{H1}", f"sha256:{H2}"), depends_on=("numpy", "filelock"),
            license="BSD-3-Clause", line=10),
        dep("numpy", "1.26.4", hashes=(f"sha256:{H2}",), direct=False, license="MIT OR Apache-2.0", line=20),
        dep("filelock", "3.13.1", direct=False, license="The Unlicense (Unlicense)", line=30),
        dep("pytest", "8.2.0", group="dev", optional=True, line=40),
        dep("My_Pkg", "1.0", extras=("cli",), line=50),
        dep("mylib", None, vcs="git", url="git+https://github.com/org/mylib.git@main",
            ref="main", commit=COMMIT, line=60),
        dep("wheelpkg", None, url="https://files.example.org/wheelpkg-1.0-py3-none-any.whl#sha256=" + H1,
            line=70),
        dep("localpkg", None, local_path="./libs/localpkg", editable=True, line=80),
    ]
    return Manifest(path="uv.lock", format="uv.lock", dependencies=deps, is_lock=True)


def declared_manifest() -> Manifest:
    # pyproject ranges of packages the lock pins: folded into the locked components
    return Manifest(path="pyproject.toml", format="pyproject", dependencies=[
        Dependency(name="torch", normalized="torch", source="pyproject.toml", specifier=">=2", kind="pyproject",
                   line=5),
        Dependency(name="requests", normalized="requests", source="pyproject.toml", specifier=">=2",
                   kind="pyproject", line=6),
    ])


def inventory(shuffle: int | None = None) -> Inventory:
    inv = Inventory(project_name="demo", project_version="0.1.0")
    mans = [lock_manifest(), declared_manifest()]
    if shuffle is not None:
        rnd = random.Random(shuffle)
        for m in mans:
            rnd.shuffle(m.dependencies)
        rnd.shuffle(mans)
    add_dependencies(inv, mans)
    facts = {"architectureFamily": "bert", "modelArchitecture": "BertForMaskedLM", "task": "fill-mask",
             "license": "apache-2.0"}
    for comp in (model_component("models/bert/model.safetensors", "safetensors", H1, 1234, "clean", facts),
                 model_component("models/evil.pkl", "pickle", H2, 99, "malicious", {}),
                 model_component("data/x.npy", "numpy", H1, 128, "clean", {}),
                 hub_component("model", "google-bert/bert-base-uncased", COMMIT.upper(), True, "train.py", 3),
                 hub_component("dataset", "stanfordnlp/imdb", "main", False, "train.py", 4),
                 hub_component("model", "gpt2", None, False, "train.py", 5)):
        inv.components[comp.ref] = comp
    return inv


def test_cyclonedx_strictly_valid_and_complete() -> None:
    text = cyclonedx.render(inventory(), tool_version=None, timestamp=None)
    doc = assert_valid_cdx(text)
    comps = by_ref(doc)
    torch = comps["pkg:pypi/torch@2.3.1"]
    assert torch["type"] == "library" and torch["scope"] == "required"
    assert torch["hashes"] == [{"alg": "SHA-256", "content": H1}, {"alg": "SHA-256", "content": H2}]
    assert torch["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]
    assert comps["pkg:pypi/numpy@1.26.4"]["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert comps["pkg:pypi/filelock@3.13.1"]["licenses"] == [{"license": {"name": "The Unlicense (Unlicense)"}}]
    assert comps["pkg:pypi/pytest@8.2.0"]["scope"] == "optional"
    assert props(comps["pkg:pypi/pytest@8.2.0"])["mlwarden:dependency-group"] == ["dev"]
    assert comps["pkg:pypi/my-pkg@1.0"]["name"] == "my-pkg"
    vcs = "pkg:pypi/mylib?vcs_url=git%2Bhttps://github.com/org/mylib.git%40" + COMMIT
    assert vcs in comps
    assert comps[vcs]["externalReferences"] == [{"type": "vcs", "url": "https://github.com/org/mylib.git"}]
    url = "pkg:pypi/wheelpkg?download_url=https://files.example.org/wheelpkg-1.0-py3-none-any.whl"
    assert comps[url]["hashes"] == [{"alg": "SHA-256", "content": H1}]
    assert "purl" not in comps["path:./libs/localpkg"]
    # pyproject's loose torch folded into the lock's torch; requests (only declared) stays, unversioned
    assert [c for c in comps if "torch" in c] == ["pkg:pypi/torch@2.3.1"]
    assert props(torch)["mlwarden:source"] == ["pyproject.toml", "uv.lock"]
    assert "version" not in comps["pkg:pypi/requests"]
    # graph: torch -> numpy, filelock; project -> direct deps only (+ models and hub references)
    deps = {d["ref"]: d["dependsOn"] for d in doc["dependencies"]}
    assert deps["pkg:pypi/torch@2.3.1"] == ["pkg:pypi/filelock@3.13.1", "pkg:pypi/numpy@1.26.4"]
    assert "pkg:pypi/numpy@1.26.4" not in deps["project"] and "pkg:pypi/torch@2.3.1" in deps["project"]
    assert "file:models/evil.pkl" in deps["project"]
    assert set(deps) == set(comps) | {"project"}
    # models, data files, hub references
    model = comps["file:models/bert/model.safetensors"]
    assert model["type"] == "machine-learning-model"
    assert model["modelCard"]["modelParameters"] == {"task": "fill-mask", "architectureFamily": "bert",
                                                     "modelArchitecture": "BertForMaskedLM"}
    assert model["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert props(comps["file:models/evil.pkl"])["mlwarden:scan:verdict"] == ["malicious"]
    assert comps["file:data/x.npy"]["type"] == "file"
    hub = comps["pkg:huggingface/google-bert/bert-base-uncased@" + COMMIT]
    assert hub["type"] == "machine-learning-model" and hub["version"] == COMMIT and hub["group"] == "google-bert"
    ds = comps["huggingface:dataset:stanfordnlp/imdb@main"]
    assert ds["type"] == "data" and "purl" not in ds
    assert "huggingface:model:gpt2" in comps
    assert "serialNumber" not in doc and "timestamp" not in doc["metadata"]
    assert doc["metadata"]["tools"]["components"] == [{"type": "application", "name": "mlwarden"}]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_input_order_never_changes_a_byte(seed: int) -> None:
    base = cyclonedx.render(inventory(), tool_version=None, timestamp=None)
    assert cyclonedx.render(inventory(seed), tool_version=None, timestamp=None) == base
    assert spdx.render(inventory(seed), tool_version=None, created=None) == \
        spdx.render(inventory(), tool_version=None, created=None)


def test_line_numbers_do_not_matter() -> None:
    moved = Inventory(project_name="demo", project_version="0.1.0")
    man = lock_manifest()
    man.dependencies = [d.__class__(**{**d.__dict__, "line": (d.line or 0) + 7}) for d in man.dependencies]
    add_dependencies(moved, [man, declared_manifest()])
    plain = Inventory(project_name="demo", project_version="0.1.0")
    add_dependencies(plain, [lock_manifest(), declared_manifest()])
    assert cyclonedx.render(moved, tool_version=None, timestamp=None) == \
        cyclonedx.render(plain, tool_version=None, timestamp=None)


def test_timestamp_and_tool_version_only_when_asked() -> None:
    text = cyclonedx.render(inventory(), tool_version="9.9.9", timestamp="2024-01-02T03:04:05Z")
    doc = assert_valid_cdx(text)
    assert doc["metadata"]["timestamp"] == "2024-01-02T03:04:05Z"
    assert doc["metadata"]["tools"]["components"][0]["version"] == "9.9.9"


def test_spdx_valid_and_deterministic() -> None:
    text = spdx.render(inventory(), tool_version=None, created=None)
    data = assert_valid_spdx(text)
    assert data["creationInfo"]["created"] == "1970-01-01T00:00:00Z"
    names = {p["name"]: p for p in data["packages"]}
    assert names["torch"]["checksums"][0] == {"algorithm": "SHA256", "checksumValue": H1}
    assert names["torch"]["externalRefs"][0]["referenceLocator"] == "pkg:pypi/torch@2.3.1"
    assert names["numpy"]["licenseDeclared"] == "MIT OR Apache-2.0"
    assert names["filelock"]["licenseDeclared"].startswith("LicenseRef-")
    assert names["google-bert/bert-base-uncased"]["downloadLocation"].endswith("/tree/" + COMMIT)
    assert "mlwarden:scan:verdict=malicious" in names["models/evil.pkl"]["comment"]
    rels = {(r["spdxElementId"], r["relationshipType"]) for r in data["relationships"]}
    assert ("SPDXRef-DOCUMENT", "DESCRIBES") in rels
    # the namespace follows the content: same content, same namespace; different content, different one
    other = Inventory(project_name="demo")
    assert json.loads(spdx.render(other, tool_version=None, created=None))["documentNamespace"] != \
        data["documentNamespace"]
    assert spdx.render(inventory(), tool_version=None, created=None) == text
    stamped = assert_valid_spdx(spdx.render(inventory(), tool_version="1.2.3", created="2024-05-06T07:08:09Z"))
    assert stamped["creationInfo"] == {"created": "2024-05-06T07:08:09Z", "creators": ["Tool: mlwarden-1.2.3"]}


def test_purls_match_the_reference_implementation() -> None:
    packageurl = pytest.importorskip("packageurl")
    cases = [
        ("pypi", None, "Foo_Bar.baz", "1.0+cu121", {}),
        ("pypi", None, "x", "1!2.0", {"vcs_url": f"git+https://github.com/a/b.git@{COMMIT}"}),
        ("pypi", None, "x", None, {"download_url": "https://h.example/p/x-1.0.tar.gz"}),
        ("conda", None, "numpy", "1.26.4", {"channel": "conda-forge"}),
        ("huggingface", "google-bert", "bert-base-uncased", COMMIT, {}),
    ]
    for ptype, ns, name, version, quals in cases:
        ours = purl.build(ptype, purl.pypi_name(name) if ptype == "pypi" else name, version, ns, quals)
        ref = packageurl.PackageURL(type=ptype, namespace=ns, name=name, version=version,
                                    qualifiers=quals or None).to_string()
        assert ours == ref
        assert packageurl.PackageURL.from_string(ours).to_string() == ours
    assert purl.huggingface("Org/Model", COMMIT.upper()) == f"pkg:huggingface/Org/Model@{COMMIT}"


def test_hash_parsing_rejects_wrong_lengths_and_algorithms() -> None:
    assert parse_hash(f"sha256:{H1.upper()}") == ("SHA-256", H1)
    assert parse_hash("sha512:" + "c" * 128) == ("SHA-512", "c" * 128)
    assert parse_hash("sha256:abc") is None
    assert parse_hash("crc32:" + "a" * 64) is None
    assert parse_hash("nohash") is None
    comp = library_component(dep("x", "1", hashes=("sha256:zz", f"md5:{'d' * 32}")))
    assert comp.hashes == {("MD5", "d" * 32)}


def test_known_spdx_ids_are_in_the_schema_enum() -> None:
    from tests.sbom.helpers import SCHEMAS

    enum = set(json.loads((SCHEMAS / "spdx.schema.json").read_text())["enum"])
    assert set(cyclonedx.KNOWN_SPDX_IDS) <= enum


def test_urls_written_are_valid_iri_references() -> None:
    comp = library_component(dep("odd", "1.0", url="https://files.example.org/my dir/odd-1.0.tar.gz\"x"))
    assert comp.external_refs == {("distribution", "https://files.example.org/my%20dir/odd-1.0.tar.gz%22x")}
    inv = Inventory(project_name="demo")
    inv.components[comp.ref] = comp
    assert_valid_cdx(cyclonedx.render(inv, tool_version=None, timestamp=None))
