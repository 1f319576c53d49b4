"""``--fix-pins``: action tags to commit SHAs, image tags to digests (the only network use of check-pipeline).

Actions are resolved with ``git ls-remote <github-url>/<owner>/<repo>`` (an annotated tag's peeled commit
wins); images with the Docker Registry HTTP API v2 (``HEAD /v2/<name>/manifests/<tag>``, the
``Docker-Content-Digest`` header, anonymous bearer tokens when the registry asks for one; plain http only
for loopback registries). Only the reference on the line a parser found is rewritten; everything else in
the file (comments, order, quoting, line endings) is kept, and the file is replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlwarden.checks.pipeline.commands import is_commit
from mlwarden.checks.pipeline.images import ImageRef, parse_image
from mlwarden.checks.pipeline.inventory import PipelineRef, action_parts
from mlwarden.core.errors import NetworkError

_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_LOOPBACK = re.compile(r"^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$")


class Resolver:
    def __init__(self, github_url: str, timeout: float) -> None:
        self.github_url = github_url.rstrip("/")
        self.timeout = timeout
        self._actions: dict[tuple[str, str, str], str | None] = {}
        self._images: dict[str, str | None] = {}

    # -- actions
    def action(self, owner: str, repo: str, ref: str) -> str | None:
        key = (owner.lower(), repo.lower(), ref)
        if key not in self._actions:
            self._actions[key] = self._ls_remote(f"{self.github_url}/{owner}/{repo}", ref)
        return self._actions[key]

    def _ls_remote(self, url: str, ref: str) -> str | None:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
        try:
            proc = subprocess.run(
                [
                    "git",
                    "ls-remote",
                    "--",
                    url,
                    f"refs/tags/{ref}",
                    f"refs/tags/{ref}^{{}}",
                    f"refs/heads/{ref}",
                ],
                capture_output=True,
                text=True,
                timeout=self.timeout,
                env=env,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise NetworkError(f"git ls-remote {url}: {exc}") from None
        if proc.returncode != 0:
            msg = (proc.stderr.strip().splitlines() or ["failed"])[-1]
            low = proc.stderr.lower()
            # GitHub answers a missing (or private) repository with a credentials prompt
            if any(
                w in low
                for w in (
                    "not found",
                    "does not exist",
                    "not exported",
                    "terminal prompts disabled",
                    "could not read username",
                )
            ):
                return None
            raise NetworkError(f"git ls-remote {url}: {msg}")
        refs: dict[str, str] = {}
        for line in proc.stdout.splitlines():
            sha, _, name = line.partition("\t")
            refs[name.strip()] = sha.strip()
        for name in (f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}", f"refs/heads/{ref}"):
            if name in refs and is_commit(refs[name]):
                return refs[name].lower()
        return None

    # -- images
    def image(self, ref: ImageRef) -> str | None:
        key = f"{ref.registry}/{ref.repository}:{ref.tag or 'latest'}"
        if key not in self._images:
            self._images[key] = self._digest(ref)
        return self._images[key]

    def _digest(self, ref: ImageRef) -> str | None:
        host = "registry-1.docker.io" if ref.registry == "docker.io" else ref.registry
        scheme = "http" if _LOOPBACK.match(host) else "https"
        url = f"{scheme}://{host}/v2/{ref.repository}/manifests/{urllib.parse.quote(ref.tag or 'latest')}"
        headers = {"Accept": _ACCEPT, "User-Agent": "mlwarden"}
        status, resp_headers, body = self._request(url, headers)
        if status == 401:
            token = self._token(resp_headers.get("www-authenticate", ""))
            if token is None:
                return None
            headers["Authorization"] = f"Bearer {token}"
            status, resp_headers, body = self._request(url, headers)
        if status == 404 or status == 401:
            return None
        if status != 200:
            raise NetworkError(f"{url}: HTTP {status}")
        digest = resp_headers.get("docker-content-digest", "")
        if not re.match(r"^sha256:[0-9a-f]{64}$", digest):
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
        return digest

    def _request(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if not url.startswith(("https://", "http://")):
            raise NetworkError(f"{url}: not an http(s) URL")
        req = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 - checked above
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - checked above
                body = resp.read(8 * 1024 * 1024)
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, body
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, b""
        except (urllib.error.URLError, OSError) as exc:
            raise NetworkError(f"{url}: {getattr(exc, 'reason', exc)}") from None

    def _token(self, challenge: str) -> str | None:
        if not challenge.lower().startswith("bearer "):
            return None
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", "")
        if not realm.startswith(("https://", "http://")):
            return None
        url = realm + "?" + urllib.parse.urlencode(params)
        status, _, body = self._request(url, {"User-Agent": "mlwarden"})
        if status != 200:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        return str(token) if token else None


def fix_files(ctx: Any, files: Sequence[tuple[Path, str]]) -> None:
    from mlwarden.checks.pipeline import ynodes as Y
    from mlwarden.checks.pipeline.files import kind_of
    from mlwarden.checks.pipeline.inventory import _docker, _read, _yaml
    from mlwarden.core.fileio import atomic_write_bytes

    resolver = Resolver(str(ctx.opt("github-url")), float(ctx.opt("timeout")))
    for path, display in files:
        kind = kind_of(display) or kind_of(path.name)
        try:
            text = _read(path)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        try:
            if kind == "docker":
                refs = list(_docker(text, display))
            else:
                refs = list(_yaml(Y.compose(text), display, kind or ""))
        except (Y.YamlError, RecursionError):
            continue
        lines = text.splitlines(keepends=True)
        changed = False
        for r in refs:
            if not 1 <= r.line <= len(lines):
                continue
            new = _fix_line(lines[r.line - 1], r, resolver, ctx, display)
            if new is not None and new != lines[r.line - 1]:
                lines[r.line - 1] = new
                changed = True
        if changed:
            data = "".join(lines).encode("utf-8")
            if text.encode("utf-8") != data:
                raw = path.read_bytes()
                atomic_write_bytes(path, (b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b"") + data)
                ctx.rewritten.append(display)
                ctx.note(f"{display}: pins rewritten")


def _fix_line(line: str, r: PipelineRef, resolver: Resolver, ctx: Any, display: str) -> str | None:
    text = r.text.strip()
    if text not in line:
        return None  # e.g. an image built from ARGs: not a literal on this line
    if r.kind == "action":
        parts = action_parts(text)
        if parts is None:
            return None
        owner, repo, _, ref = parts
        if is_commit(ref):
            return None
        sha = resolver.action(owner, repo, ref)
        if sha is None:
            ctx.note(f"{display}:{r.line}: {owner}/{repo}@{ref}: no such tag or branch; not pinned")
            return None
        target = text[: -len(ref)] + sha
        body, nl = _split_newline(line)
        start = body.index(text)
        head, tail = body[:start] + target, body[start + len(text) :]
        quote = tail[:1] if tail[:1] in ("'", '"') else ""
        rest = tail[len(quote) :]
        comment = ""
        if "#" in rest:
            before, _, old = rest.partition("#")
            old = old.strip()
            comment = f" # {ref}" + (f" {old}" if old and not old.startswith(ref) else "")
            rest = before.rstrip()
        else:
            comment = f" # {ref}"
            rest = rest.rstrip()
        return head + quote + rest + comment + nl
    image = parse_image(text)
    if image is None or image.pinned:
        return None
    digest = resolver.image(image)
    if digest is None:
        ctx.note(f"{display}:{r.line}: {text}: not found in its registry; not pinned")
        return None
    shown = text if image.tag else text + ":latest"
    return line.replace(text, f"{shown}@{digest}", 1)


def _split_newline(line: str) -> tuple[str, str]:
    for nl in ("\r\n", "\n", "\r"):
        if line.endswith(nl):
            return line[: -len(nl)], nl
    return line, ""
