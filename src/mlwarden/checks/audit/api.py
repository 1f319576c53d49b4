"""The OSV API (``POST /v1/querybatch`` with per-query paging, then ``GET /v1/vulns/{id}``), used only when
the user asks for it (``--online`` or ``--osv-url``). Every failure is a NetworkError: a run that could not
ask the service never reports "clean"."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mlwarden import __version__
from mlwarden.core.errors import NetworkError
from mlwarden.core.net import Deadline, urlopen

BATCH = 1000  # OSV's limit of queries per querybatch request
MAX_BODY = 64 * 1024 * 1024
MAX_PAGES = 1000


class _Unsupported(Exception):
    """The service does not implement an endpoint (404/405/501): try the single-query one."""


def _fail(url: str, what: str) -> NetworkError:
    return NetworkError(f"OSV API {url}: {what}; nothing was audited (no result is reported as clean)")


class OsvApi:
    def __init__(self, base_url: str, timeout: float, deadline: Deadline | None = None) -> None:
        self.base = base_url.rstrip("/")
        if not self.base.startswith(("http://", "https://")):
            raise NetworkError(f"--osv-url must be an http(s) URL, not {base_url!r}")
        self.timeout = timeout
        self.deadline = deadline or Deadline()
        self.requests = 0
        self.single_queries = False
        self._vulns: dict[str, Any] = {}

    def _call(self, method: str, path: str, body: Any = None, optional: bool = False) -> Any:
        url = self.base + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers={  # noqa: S310
            "Content-Type": "application/json", "Accept": "application/json",
            "User-Agent": f"mlwarden/{__version__}"})
        self.requests += 1
        try:
            with urlopen(req, timeout=self.timeout, deadline=self.deadline) as resp:
                raw = self._read(resp, url)
        except urllib.error.HTTPError as exc:
            if optional and exc.code in (404, 405, 501):
                raise _Unsupported from None
            raise _fail(url, f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise _fail(url, f"timed out after {self.timeout:g}s") from None
            raise _fail(url, f"cannot connect ({reason})") from None
        except TimeoutError:
            raise _fail(url, f"timed out after {self.timeout:g}s") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise _fail(url, f"connection failed ({type(exc).__name__}: {exc})") from None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise _fail(url, "response is not valid JSON") from None

    def _read(self, resp: Any, url: str) -> bytes:
        """The body, within MAX_BODY bytes and a total time budget (a server that drips one byte per
        socket timeout must not hold the run forever)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = resp.read(1 << 16)  # core.net: ends at the run's deadline, whatever the server does
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_BODY:
                raise _fail(url, "response larger than 64 MiB")
            chunks.append(chunk)

    def query_batch(self, queries: Sequence[tuple[str, str]]) -> list[list[str]]:
        """Ids of the advisories affecting each (canonical name, version), in query order. A service
        without ``/v1/querybatch`` (a minimal mirror) is asked one ``/v1/query`` at a time."""
        try:
            return self._batch(queries)
        except _Unsupported:
            self.single_queries = True
            with ThreadPoolExecutor(max_workers=8) as pool:
                return list(pool.map(self._query_one, queries))

    def _query_one(self, q: tuple[str, str]) -> list[str]:
        url = self.base + "/v1/query"
        ids: list[str] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            doc = self._call("POST", "/v1/query", self._query(q, token))
            if not isinstance(doc, dict):
                raise _fail(url, "unexpected response shape")
            vulns = doc.get("vulns") or []
            if not isinstance(vulns, list):
                raise _fail(url, "vulns is not a list")
            for v in vulns:
                if not isinstance(v, dict) or not isinstance(v.get("id"), str):
                    raise _fail(url, "vulnerability without an id")
                if v["id"] not in ids:
                    ids.append(v["id"])
                if "affected" in v:  # /v1/query returns whole records: no need to fetch them again
                    self._vulns.setdefault(v["id"], v)
            token = doc.get("next_page_token")
            if not token:
                return ids
            if not isinstance(token, str):
                raise _fail(url, "next_page_token is not a string")
        raise _fail(url, "too many result pages")

    def _batch(self, queries: Sequence[tuple[str, str]]) -> list[list[str]]:
        out: list[list[str]] = [[] for _ in queries]
        for start in range(0, len(queries), BATCH):
            pending: dict[int, str | None] = {i: None for i in range(start, min(start + BATCH, len(queries)))}
            pages = 0
            while pending:
                pages += 1
                if pages > MAX_PAGES:
                    raise _fail(self.base + "/v1/querybatch", "too many result pages")
                order = sorted(pending)
                body = {"queries": [self._query(queries[i], pending[i]) for i in order]}
                doc = self._call("POST", "/v1/querybatch", body, optional=pages == 1 and start == 0)
                results = doc.get("results") if isinstance(doc, dict) else None
                if not isinstance(results, list) or len(results) != len(order):
                    raise _fail(self.base + "/v1/querybatch", "unexpected response shape")
                nxt: dict[int, str | None] = {}
                for i, res in zip(order, results, strict=True):
                    if not isinstance(res, dict):
                        raise _fail(self.base + "/v1/querybatch", "unexpected result entry")
                    vulns = res.get("vulns") or []
                    if not isinstance(vulns, list):
                        raise _fail(self.base + "/v1/querybatch", "vulns is not a list")
                    for v in vulns:
                        if not isinstance(v, dict) or not isinstance(v.get("id"), str):
                            raise _fail(self.base + "/v1/querybatch", "vulnerability without an id")
                        if v["id"] not in out[i]:
                            out[i].append(v["id"])
                    token = res.get("next_page_token")
                    if token:
                        if not isinstance(token, str):
                            raise _fail(self.base + "/v1/querybatch", "next_page_token is not a string")
                        nxt[i] = token
                pending = nxt
        return out

    @staticmethod
    def _query(q: tuple[str, str], token: str | None) -> dict[str, Any]:
        d: dict[str, Any] = {"package": {"name": q[0], "ecosystem": "PyPI"}, "version": q[1]}
        if token:
            d["page_token"] = token
        return d

    def vuln(self, ident: str) -> Any:
        if ident not in self._vulns:
            self._vulns[ident] = self._call("GET", "/v1/vulns/" + urllib.parse.quote(ident, safe=""))
        return self._vulns[ident]

    def vulns(self, ids: Sequence[str], workers: int = 8) -> dict[str, Any]:
        todo = sorted(set(ids) - set(self._vulns))
        if todo:
            with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
                for ident, doc in zip(todo, pool.map(self._fetch, todo), strict=True):
                    self._vulns[ident] = doc
        return {i: self._vulns[i] for i in ids}

    def _fetch(self, ident: str) -> Any:
        return self._call("GET", "/v1/vulns/" + urllib.parse.quote(ident, safe=""))
