"""Package URLs (https://github.com/package-url/purl-spec), built by hand: no dependency, and the
encoding is the canonical one (qualifiers sorted by key, values percent-encoded except ``:`` and ``/``)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote


def _enc(value: str, safe: str = ":") -> str:
    return quote(value, safe=safe)


def pypi_name(name: str) -> str:
    """purl-spec pypi rule: lowercase, ``_`` replaced by ``-`` (dots are kept)."""
    return name.lower().replace("_", "-")


def build(ptype: str, name: str, version: str | None = None, namespace: str | None = None,
          qualifiers: Mapping[str, str] | None = None) -> str:
    out = f"pkg:{ptype}/"
    if namespace:
        out += "/".join(_enc(seg) for seg in namespace.split("/") if seg) + "/"
    out += _enc(name)
    if version:
        out += "@" + _enc(version)
    quals = {k.lower(): v for k, v in (qualifiers or {}).items() if v}
    if quals:
        out += "?" + "&".join(f"{k}={_enc(quals[k], ':/')}" for k in sorted(quals))
    return out


def pypi(name: str, version: str | None = None, qualifiers: Mapping[str, str] | None = None) -> str:
    return build("pypi", pypi_name(name), version, qualifiers=qualifiers)


def conda(name: str, version: str | None = None, channel: str | None = None,
          build_string: str | None = None) -> str:
    quals = {k: v for k, v in (("channel", channel), ("build", build_string)) if v}
    return build("conda", name.lower(), version, qualifiers=quals)


def huggingface(repo_id: str, commit: str | None, dataset: bool = False) -> str:
    """``pkg:huggingface/<org>/<name>@<commit>``: namespace and name are case sensitive, the commit is
    lowercased. Datasets live under https://huggingface.co/datasets, which the ``repository_url``
    qualifier states (the type's default repository is the model hub)."""
    org, _, name = repo_id.rpartition("/")
    quals = {"repository_url": "https://huggingface.co/datasets"} if dataset else None
    return build("huggingface", name, commit.lower() if commit else None, namespace=org or None,
                 qualifiers=quals)
