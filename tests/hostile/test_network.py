"""Network work has a total deadline: dripping, endless and silent servers on 127.0.0.1 end in exit 2."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.hostile.conftest import Repo

DRIP = 0.2  # seconds between bytes: always inside the per-request timeout, so only a deadline helps


class Server:
    """A hostile HTTP server: ``mode`` is drip-body, drip-headers, endless or silent."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            if self.mode == "silent":
                self.stop.wait(30)
            elif self.mode == "drip-headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not self.stop.is_set():
                    conn.sendall(b"X-A: b\r\n")
                    time.sleep(DRIP)
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             + (b"Transfer-Encoding: chunked\r\n\r\n" if self.mode == "endless" else
                                b"Content-Length: 100000000\r\n\r\n"))
                while not self.stop.is_set():
                    if self.mode == "endless":
                        conn.sendall(b"10000\r\n" + b" " * 0x10000 + b"\r\n")
                    else:
                        conn.sendall(b" ")
                        time.sleep(DRIP)
        except OSError:
            pass
        finally:
            conn.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(params=["drip-body", "drip-headers", "endless", "silent"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    s = Server(request.param)
    yield s
    s.stop.set()
    s.sock.close()


DEADLINE = 1.5
DL = ["--deadline", str(DEADLINE)]


def _ends_in_time(repo: Repo, args: list[str]) -> None:
    res = repo.run(args, timeout=DEADLINE + 12)
    assert res.rc == 2, str(res)
    assert res.seconds < DEADLINE + 6, str(res)
    assert "Traceback" not in res.err and res.err.count("\n") <= 3, str(res)
    assert "unrecognized" not in res.err
    assert any(
        why in res.err for why in ("deadline", "timed out", "larger than", "too large")), str(res)


def test_osv_api(repo: Repo, server: Server) -> None:
    repo.write("requirements.txt", "torch==2.0.0\n")
    _ends_in_time(repo, ["audit-deps", "--osv-url", server.url, "--timeout", "1", *DL,
                         "requirements.txt"])


def test_db_update(repo: Repo, server: Server) -> None:
    _ends_in_time(repo, ["db", "update", "--db", str(repo.root / "osv.zip"), "--url", server.url + "/all.zip",
                         "--timeout", "1", *DL])
    assert not (repo.root / "osv.zip").exists()


def test_fix_hashes(repo: Repo, server: Server) -> None:
    repo.write("requirements.txt", "torch==2.0.0\n")
    _ends_in_time(repo, ["check-pins", "--fix-hashes", "--index-url", server.url + "/simple", "--timeout", "1",
                         *DL, "requirements.txt"])
    assert repo.root.joinpath("requirements.txt").read_text() == "torch==2.0.0\n"
