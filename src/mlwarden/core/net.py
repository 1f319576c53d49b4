"""Network requests with a per-request timeout and an overall deadline that a server cannot stretch.

``urlopen(req, timeout=, deadline=)`` is ``urllib.request.urlopen`` (same errors, same response API) with
two guarantees every network feature relies on (OSV API queries and paging, ``mlwarden db update``,
``--fix-hashes``):

* ``timeout`` bounds each connect and each wait for bytes (no floor: ``--timeout 1`` means one second);
* ``deadline`` (a ``Deadline`` shared by all requests of a command) bounds the whole command: when it
  passes, a watchdog shuts the open connections down, so a server that drips one byte per second, sends
  endless headers or never ends its body cannot hold the run. The response then raises NetworkError
  (exit 2), never returns a silently truncated body.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.request
from typing import Any

from mlwarden.core.errors import NetworkError

DEFAULT_DEADLINE = 300.0  # seconds for all the network work of one command


class Deadline:
    """The moment all network work of a command must be done by."""

    def __init__(self, seconds: float | None = DEFAULT_DEADLINE) -> None:
        if seconds is not None and not seconds > 0:
            raise ValueError("the network deadline must be positive")
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    def check(self, what: str) -> None:
        left = self.remaining()
        if left is not None and left <= 0:
            raise self.error(what)

    def error(self, what: str) -> NetworkError:
        return NetworkError(f"{what}: the overall network deadline of {self.seconds:g}s passed; "
                            "nothing after it was used")


def _tracking(base: type[http.client.HTTPConnection], sockets: list[socket.socket]) -> Any:
    class Tracked(base):  # type: ignore[misc,valid-type]
        def connect(self) -> None:
            super().connect()
            sockets.append(self.sock)

    return Tracked


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, sockets: list[socket.socket]) -> None:
        super().__init__()
        self._sockets = sockets

    def http_open(self, req: Any) -> Any:
        return self.do_open(_tracking(http.client.HTTPConnection, self._sockets), req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, sockets: list[socket.socket]) -> None:
        super().__init__()
        self._sockets = sockets

    def https_open(self, req: Any) -> Any:
        return self.do_open(_tracking(http.client.HTTPSConnection, self._sockets), req,
                            context=getattr(self, "_context", None))


class _Watchdog:
    def __init__(self, deadline: Deadline) -> None:
        self.sockets: list[socket.socket] = []
        self.fired = threading.Event()
        left = deadline.remaining()
        self._timer = None if left is None else threading.Timer(max(left, 0.0), self._fire)
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        self.fired.set()
        for s in list(self.sockets):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class Response:
    """A urllib response whose reads end at the deadline (NetworkError, never a short body)."""

    def __init__(self, resp: Any, dog: _Watchdog, deadline: Deadline, what: str) -> None:
        self._resp = resp
        self._dog = dog
        self._deadline = deadline
        self._what = what

    def read(self, n: int = -1) -> bytes:
        try:
            data: bytes = self._resp.read(n) if n is not None and n >= 0 else self._resp.read()
        except (OSError, http.client.HTTPException, ValueError):
            if self._dog.fired.is_set():
                raise self._deadline.error(self._what) from None
            raise
        if self._dog.fired.is_set():
            raise self._deadline.error(self._what)
        return data

    def close(self) -> None:
        self._dog.cancel()
        self._resp.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Any:
        return iter(lambda: self.read(1 << 16), b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resp, name)


def urlopen(req: urllib.request.Request | str, *, timeout: float,
            deadline: Deadline | None = None) -> Response:
    """Open ``req`` like ``urllib.request.urlopen``: the same exceptions (HTTPError, URLError...), plus
    NetworkError once ``deadline`` has passed. ``timeout`` is the per-request socket timeout."""
    deadline = deadline or Deadline(None)
    what = req.full_url if isinstance(req, urllib.request.Request) else str(req)
    deadline.check(what)
    left = deadline.remaining()
    per = timeout if left is None else max(min(timeout, left), 0.05)
    dog = _Watchdog(deadline)
    opener = urllib.request.build_opener(_HTTP(dog.sockets), _HTTPS(dog.sockets))
    try:
        resp = opener.open(req, timeout=per)
    except BaseException as exc:
        dog.cancel()
        if dog.fired.is_set() and not isinstance(exc, KeyboardInterrupt):
            raise deadline.error(what) from None
        raise
    return Response(resp, dog, deadline, what)
