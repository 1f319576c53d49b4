"""A real package index on 127.0.0.1 for tests: PEP 691 JSON and PEP 503 HTML project pages (content
negotiated on the Accept header, like PyPI) and the distribution files themselves.

Distribution files are real: tiny wheels (zip with a dist-info METADATA/WHEEL/RECORD) and sdists
(tar.gz with PKG-INFO) built here with zipfile/tarfile, so their sha256 digests are genuine.

    with IndexServer() as index:
        index.add_wheel("torch", "2.1.0+cu121", tag="cp311-cp311-linux_x86_64")
        index.add_sdist("tiny-pkg", "1.0")
        url = index.url   # http://127.0.0.1:PORT/simple
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from packaging.utils import canonicalize_name

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(name: str, version: str, tag: str = "py3-none-any") -> tuple[str, bytes]:
    """A minimal but valid wheel: one module, dist-info with METADATA, WHEEL and RECORD."""
    dist = canonicalize_name(name).replace("-", "_")
    filename = f"{dist}-{version}-{tag}.whl"
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{dist}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: mlwarden-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
        .encode(),
    }
    record = [_record_line(k, v) for k, v in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in files.items():
            zi = zipfile.ZipInfo(k, date_time=(2024, 1, 1, 0, 0, 0))
            zf.writestr(zi, v)
    return filename, buf.getvalue()


def build_sdist(name: str, version: str) -> tuple[str, bytes]:
    """A minimal sdist: PKG-INFO and a pyproject.toml in ``{name}-{version}/``."""
    dist = canonicalize_name(name).replace("-", "_")
    base = f"{dist}-{version}"
    members = {
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{base}/pyproject.toml": f'[project]\nname = "{name}"\nversion = "{version}"\n'.encode(),
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tf:
        for k, v in members.items():
            ti = tarfile.TarInfo(k)
            ti.size = len(v)
            ti.mtime = 1704067200
            tf.addfile(ti, io.BytesIO(v))
    return f"{base}.tar.gz", buf.getvalue()


@dataclass
class Dist:
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class IndexServer:
    """``json``: answer PEP 691 JSON when asked (else only HTML); ``html_hashes``: put #sha256= in the
    HTML links; ``json_hashes``: put sha256 in the JSON ``hashes``; ``fail``: answer every request
    with HTTP 500; ``truncate``: cut every response short."""

    json: bool = True
    html_hashes: bool = True
    json_hashes: bool = True
    fail: bool = False
    truncate: bool = False  # promise more bytes than are sent, then close (IncompleteRead)
    projects: dict[str, list[Dist]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Accept header)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- content
    def add(self, name: str, filename: str, data: bytes) -> Dist:
        d = Dist(filename, data)
        self.projects.setdefault(canonicalize_name(name), []).append(d)
        return d

    def add_wheel(self, name: str, version: str, tag: str = "py3-none-any") -> Dist:
        return self.add(name, *build_wheel(name, version, tag))

    def add_sdist(self, name: str, version: str) -> Dist:
        return self.add(name, *build_sdist(name, version))

    def files(self, name: str) -> list[Dist]:
        return self.projects.get(canonicalize_name(name), [])

    # -- server
    @property
    def root(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.root + "/simple"

    def start(self) -> IndexServer:
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                accept = self.headers.get("Accept", "")
                index.requests.append((self.path, accept))
                if index.fail:
                    self._send(500, "text/plain", b"boom")
                    return
                parts = [p for p in self.path.split("?")[0].split("/") if p]
                if len(parts) == 2 and parts[0] == "simple":
                    self._project(parts[1], accept)
                elif len(parts) == 2 and parts[0] == "files":
                    for dists in index.projects.values():
                        for d in dists:
                            if d.filename == parts[1]:
                                self._send(200, "application/octet-stream", d.data)
                                return
                    self._send(404, "text/plain", b"not found")
                else:
                    self._send(404, "text/plain", b"not found")

            def _project(self, name: str, accept: str) -> None:
                if name != canonicalize_name(name):
                    self.send_response(301)
                    self.send_header("Location", f"/simple/{canonicalize_name(name)}/")
                    self.end_headers()
                    return
                dists = index.projects.get(name)
                if dists is None:
                    self._send(404, "text/plain", b"no such project")
                    return
                if index.json and JSON_TYPE in accept:
                    body = json.dumps({
                        "meta": {"api-version": "1.1"},
                        "name": name,
                        "files": [{"filename": d.filename, "url": f"../../files/{d.filename}",
                                   "hashes": {"sha256": d.sha256} if index.json_hashes else {}}
                                  for d in dists],
                    }).encode()
                    self._send(200, JSON_TYPE, body)
                    return
                links = []
                for d in dists:
                    frag = f"#sha256={d.sha256}" if index.html_hashes else ""
                    links.append(f'<a href="/files/{html.escape(d.filename)}{frag}">'
                                 f"{html.escape(d.filename)}</a><br/>")
                body = ("<!DOCTYPE html><html><head><meta name=\"pypi:repository-version\" "
                        f"content=\"1.0\"><title>Links for {name}</title></head><body>"
                        f"<h1>Links for {name}</h1>{''.join(links)}</body></html>").encode()
                self._send(200, "text/html" if not index.json else HTML_TYPE, body)

            def _send(self, code: int, ctype: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body) + (1000 if index.truncate else 0)))
                self.end_headers()
                self.wfile.write(body)
                if index.truncate:
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
