"""What is audited, and why not, for each kind of dependency entry (Dependency objects as any reader makes)."""

from __future__ import annotations

import pytest

from mlwarden.checks.audit import _target, _wheel_version, parse_ignore
from mlwarden.core.errors import ConfigError
from mlwarden.sources.model import Dependency, Manifest


def dep(name, **kw):
    from packaging.utils import canonicalize_name

    return Dependency(name=name, normalized=canonicalize_name(name), source="x", **kw)


@pytest.mark.parametrize(("d", "version", "reason"), [
    (dep("torch", version="2.1.0+cu118", specifier="==2.1.0+cu118"), "2.1.0+cu118", ""),
    (dep("torch", version="2.5.1", kind="lock"), "2.5.1", ""),  # a lock entry
    (dep("numpy", version="1.26.4", kind="conda"), "1.26.4", ""),
    (dep("Jinja2", version="3.1.4", specifier="===3.1.4"), "3.1.4", ""),
    (dep("foo", version="nightly-2024", specifier="===nightly-2024"), "nightly-2024",
     "version 'nightly-2024' is not a PEP 440 version"),
    (dep("safetensors", url="https://h/x/safetensors-0.4.0-cp311-cp311-manylinux_2_17_x86_64.whl"), "0.4.0", ""),
    (dep("torch", url="https://download.pytorch.org/whl/cu118/torch-2.1.0%2Bcu118-cp311-cp311-linux_x86_64.whl"),
     "2.1.0+cu118", ""),
    (dep("My_Pkg", url="https://h/My_Pkg-1.2.3.tar.gz"), "1.2.3", ""),
    (dep("pkg", url="https://h/archive/main.zip"), None, "URL requirement whose file name carries no version"),
    (dep("pkg", url="git+https://github.com/o/r@v1.0", vcs="git", ref="v1.0"), None,
     "git requirement without a release version"),
    (dep("pkg", local_path="./pkg", editable=True), None, "local or editable path"),
    (dep("scipy", specifier="==1.13.*"), None, "wildcard pin ==1.13.* matches several releases"),
    (dep("requests", specifier=">=2.31,<3"), None, "not pinned to one version (>=2.31,<3)"),
    (dep("requests"), None, "no version specified"),
])
def test_target(d, version, reason):
    t = _target(d, Manifest(path="x", format="requirements"))
    assert t.version == version
    assert t.reason.startswith(reason) if reason else t.reason == ""
    assert (t.parsed is not None) == (not reason)


def test_wheel_version_needs_full_wheel_name():
    assert _wheel_version("https://h/torch-2.1.0.whl", "torch") is None
    assert _wheel_version("https://h/other-1.0.tar.gz", "torch") is None


def test_parse_ignore():
    ig = parse_ignore("CVE-2023-50447: not reachable from user input until 2027-03-31")
    assert (ig.id, ig.reason, str(ig.until)) == ("CVE-2023-50447", "not reachable from user input", "2027-03-31")
    ig = parse_ignore("GHSA-53q9-r3pm-6pq6: our checkpoints only")
    assert ig.until is None and ig.reason == "our checkpoints only"
    for bad in ("CVE-1", "CVE-1:", "CVE-1: until 2027-01-01", ": reason", "CVE-1: r until 2027-13-45"):
        with pytest.raises(ConfigError):
            parse_ignore(bad)
