"""``mlwarden lock --from-hub``: the file hashes of a Hub repository at a commit, from the Hub API.

``GET {endpoint}/api/{models|datasets}/{repo}/tree/{commit}?recursive=true`` lists every entry of the
repository at that commit (paged: the ``Link: <...>; rel="next"`` header names the next page). For an
LFS file the listing gives the sha256 of its content (``lfs.oid``); for a plain git file only its git
blob id (``oid``, a sha1 over ``blob <size>\\0`` + content), which the lock records as ``git-sha1``
since the API has no sha256 for it. Only called when ``--from-hub`` asks; the token comes from
``HF_TOKEN`` when set.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request

from mlwarden.checks.verify.lockfile import HubFile
from mlwarden.core.errors import NetworkError
from mlwarden.core.net import Deadline, urlopen

DEFAULT_ENDPOINT = "https://huggingface.co"
TIMEOUT = 30.0
DEADLINE = 300.0
MAX_PAGES = 1000
MAX_PAGE_BYTES = 64 * 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX40 = re.compile(r"[0-9a-f]{40}")
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def endpoint(flag: str | None) -> str:
    return (flag or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def next_link(header: str | None) -> str | None:
    for part in (header or "").split(","):
        m = _NEXT.search(part)
        if m:
            return m.group(1)
    return None


def _entry(item: object, what: str) -> HubFile | None:
    if not isinstance(item, dict):
        raise NetworkError(f"{what}: unexpected tree listing (an entry is not an object)")
    if item.get("type") != "file":
        return None
    path, size, oid = item.get("path"), item.get("size"), item.get("oid")
    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
        raise NetworkError(f"{what}: unexpected tree listing (bad path {path!r})")
    lfs = item.get("lfs")
    if isinstance(lfs, dict):
        sha, lsize = lfs.get("oid"), lfs.get("size", size)
        if not isinstance(sha, str) or not _HEX64.fullmatch(sha) or not isinstance(lsize, int):
            raise NetworkError(f"{what}: unexpected LFS entry for {path!r}")
        return HubFile(path, lsize, sha256=sha)
    if not isinstance(oid, str) or not _HEX40.fullmatch(oid) or not isinstance(size, int) or size < 0:
        raise NetworkError(f"{what}: unexpected entry for {path!r}")
    return HubFile(path, size, git_sha1=oid)


def fetch_tree(hub: str, revision: str, *, endpoint_url: str, token: str | None = None,
               timeout: float = TIMEOUT, deadline: Deadline | None = None) -> tuple[HubFile, ...]:
    """Every file of ``hub`` (``model:org/name`` | ``dataset:org/name``) at ``revision`` (a commit).
    Raises NetworkError (one line naming the repository) on any network or format problem."""
    kind, _, repo = hub.partition(":")
    what = f"{hub}@{revision[:12]}"
    plural = "datasets" if kind == "dataset" else "models"
    url: str | None = (f"{endpoint_url}/api/{plural}/{urllib.parse.quote(repo, safe='/')}/tree/{revision}"
                       "?recursive=true")
    deadline = deadline or Deadline(DEADLINE)
    headers = {"Accept": "application/json", "User-Agent": "mlwarden"}
    origin = urllib.parse.urlsplit(url)[:2]
    files: dict[str, HubFile] = {}
    pages = 0
    while url:
        pages += 1
        if pages > MAX_PAGES:
            raise NetworkError(f"{what}: more than {MAX_PAGES} pages of tree listing")
        if not url.startswith(("https://", "http://")):
            raise NetworkError(f"{what}: refusing to query {url!r} (only http and https)")
        if urllib.parse.urlsplit(url)[:2] != origin:
            raise NetworkError(f"{what}: the Hub API's next page {url!r} is on another host; not followed")
        req = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked)
        if token:  # never sent on to where a redirect points
            req.add_unredirected_header("Authorization", f"Bearer {token}")
        try:
            with urlopen(req, timeout=timeout, deadline=deadline) as resp:
                body = resp.read(MAX_PAGE_BYTES + 1)
                link = resp.headers.get("Link")
        except urllib.error.HTTPError as exc:
            raise NetworkError(f"{what}: Hub API answered HTTP {exc.code} for {url}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise NetworkError(f"{what}: cannot query the Hub API at {endpoint_url}: {reason}") from None
        if len(body) > MAX_PAGE_BYTES:
            raise NetworkError(f"{what}: tree listing page larger than 64 MiB")
        try:
            items = json.loads(body)
        except ValueError:
            raise NetworkError(f"{what}: Hub API answer is not JSON") from None
        if not isinstance(items, list):
            raise NetworkError(f"{what}: unexpected tree listing (not a list)")
        for item in items:
            f = _entry(item, what)
            if f is not None:
                files[f.path] = f
        nxt = next_link(link)
        url = urllib.parse.urljoin(url, nxt) if nxt else None
    return tuple(sorted(files.values(), key=lambda f: tuple(f.path.split("/"))))
