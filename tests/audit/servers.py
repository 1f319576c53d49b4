"""Real HTTP servers on 127.0.0.1 for the online tests: an OSV API and a static file host."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OsvApiServer:
    """Speaks /v1/query, /v1/querybatch (paged: ``page_size`` ids per page) and /v1/vulns/{id}.

    ``affected`` maps (name, version) to the advisory ids the service says affect it.
    ``fail`` selects a failure: "500", "garbage", "slow", "shape", "vulns500" (only /v1/vulns fails), or
    "nobatch" (a minimal mirror without /v1/querybatch)."""

    def __init__(self, records: list[dict[str, Any]], affected: dict[tuple[str, str], list[str]],
                 page_size: int = 1, fail: str | None = None, delay: float = 1.5) -> None:
        self.records = {r["id"]: r for r in records}
        self.affected = affected
        self.page_size = page_size
        self.fail = fail
        self.delay = delay
        self.log: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: bytes) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            def _failure(self, path: str) -> bool:
                if srv.fail == "slow":
                    time.sleep(srv.delay)
                if srv.fail == "500" or (srv.fail == "vulns500" and path.startswith("/v1/vulns/")):
                    self._send(500, b'{"code": 13, "message": "internal error"}')
                    return True
                if srv.fail == "garbage":
                    self._send(200, b"<html>502 Bad Gateway</html>")
                    return True
                return False

            def do_GET(self) -> None:
                with srv._lock:
                    srv.log.append(("GET", self.path, None))
                if self._failure(self.path):
                    return
                if self.path.startswith("/v1/vulns/"):
                    rec = srv.records.get(self.path[len("/v1/vulns/"):])
                    if rec is None:
                        self._send(404, b'{"code": 5, "message": "Bug not found."}')
                    else:
                        self._send(200, json.dumps(rec).encode())
                    return
                self._send(404, b"{}")

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with srv._lock:
                    srv.log.append(("POST", self.path, body))
                if self._failure(self.path):
                    return
                if self.path == "/v1/querybatch" and srv.fail == "nobatch":
                    self._send(404, b'{"code": 5, "message": "Not Found"}')
                elif self.path == "/v1/querybatch":
                    results = [srv._page(q) for q in body.get("queries", [])]
                    if srv.fail == "shape":
                        results = results[:-1]
                    self._send(200, json.dumps({"results": results}).encode())
                elif self.path == "/v1/query":  # whole records, paged like querybatch
                    page = srv._page(body)
                    if "vulns" in page:
                        page["vulns"] = [srv.records[v["id"]] for v in page["vulns"]]
                    self._send(200, json.dumps(page).encode())
                else:
                    self._send(404, b"{}")

        return Handler

    def _page(self, q: dict[str, Any]) -> dict[str, Any]:
        ids = self.affected.get((q["package"]["name"], q["version"]), [])
        start = int(q.get("page_token") or 0)
        page = ids[start:start + self.page_size]
        out: dict[str, Any] = {}
        if page:
            out["vulns"] = [{"id": i, "modified": self.records[i].get("modified", "")} for i in page]
        if start + self.page_size < len(ids):
            out["next_page_token"] = str(start + self.page_size)
        return out


class StaticServer:
    """Serves ``files`` (path -> bytes); everything else is 404. Logs request paths."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.log: list[str] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                srv.log.append(self.path)
                data = srv.files.get(self.path)
                self.send_response(200 if data is not None else 404)
                body = data if data is not None else b"not found"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@contextmanager
def serve(app: Any) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), app.handler())
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
