"""`mlwarden lock --from-hub`: Hub file hashes from a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import hashlib
import http.server
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlwarden.checks.verify import lockfile
from tests.verify.helpers import findings, git, make_repo, run

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PIN = "0123456789abcdef0123456789abcdef01234567"
DPIN = "89abcdef0123456789abcdef0123456789abcdef"
CONFIG = b'{"model_type": "bert"}\n'
WEIGHTS = b"\x00" * 1000 + b"weights"


def _git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub:
    """A Hub API stand-in: the tree listing of one model (two pages) and one dataset."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        self.delay = 0.0
        self.status = 200
        self.next_host = ""
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                hub.requests.append((self.path, self.headers.get("Authorization")))
                if hub.delay:
                    time.sleep(hub.delay)
                body, link = hub.answer(self.path)
                code = hub.status if body is not None else 404
                data = json.dumps(body if body is not None else {"error": "not found"}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if link:
                    self.send_header("Link", link)
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str) -> tuple[Any, str | None]:
        model = f"/api/models/org/name/tree/{PIN}?recursive=true"
        if path == model:
            return ([{"type": "directory", "oid": "f" * 40, "size": 0, "path": "sub"},
                     {"type": "file", "oid": _git_sha1(CONFIG), "size": len(CONFIG), "path": "config.json"}],
                    f'<{self.next_host or self.url}{model}&cursor=p2>; rel="next"')
        if path == model + "&cursor=p2":
            return ([{"type": "file", "oid": "e" * 40, "size": 134, "path": "sub/model.safetensors",
                      "lfs": {"oid": hashlib.sha256(WEIGHTS).hexdigest(), "size": len(WEIGHTS),
                              "pointerSize": 134}}], None)
        if path == f"/api/datasets/org/data/tree/{DPIN}?recursive=true":
            return ([{"type": "file", "oid": _git_sha1(b"a,b\n"), "size": 4, "path": "train.csv"}], None)
        return None, None


@pytest.fixture
def hub() -> Iterator[Hub]:
    h = Hub()
    t = threading.Thread(target=h.server.serve_forever, daemon=True)
    t.start()
    yield h
    h.server.shutdown()
    h.server.server_close()


def _project(tmp_path: Path, extra: str = "") -> Path:
    repo = make_repo(tmp_path / "repo")
    (repo / "train.py").write_text(
        "from transformers import AutoModel\nfrom datasets import load_dataset\n"
        f"m = AutoModel.from_pretrained('org/name', revision='{PIN}')\n"
        f"d = load_dataset('org/data', revision='{DPIN}')\n" + extra)
    git(repo, "add", "-A")
    return repo


def test_from_hub_records_lfs_sha256_and_git_ids_across_pages(tmp_path: Path, hub: Hub, capsys: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _project(tmp_path)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", "tok-123")
    rc, _, err = run(repo, "lock", "--from-hub", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    assert [p for p, _ in hub.requests] == [
        f"/api/datasets/org/data/tree/{DPIN}?recursive=true",
        f"/api/models/org/name/tree/{PIN}?recursive=true",
        f"/api/models/org/name/tree/{PIN}?recursive=true&cursor=p2"]
    assert {a for _, a in hub.requests} == {"Bearer tok-123"}
    text = (repo / "mlwarden.lock").read_text()
    refs = {r["hub"]: r for r in tomllib.loads(text)["reference"]}
    assert refs["model:org/name"]["files"] == [
        {"path": "config.json", "size": len(CONFIG), "git-sha1": _git_sha1(CONFIG)},
        {"path": "sub/model.safetensors", "size": len(WEIGHTS), "sha256": hashlib.sha256(WEIGHTS).hexdigest()}]
    assert refs["dataset:org/data"]["files"] == [{"path": "train.csv", "size": 4, "git-sha1": _git_sha1(b"a,b\n")}]
    # round trip: read and written again byte for byte
    assert lockfile.dumps(lockfile.loads(text)) == text
    # a later lock without --from-hub keeps the files (same commit) and makes no request
    hub.requests.clear()
    rc, _, err = run(repo, "lock", "--check", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    assert hub.requests == []
    # a new commit in code drops files that belonged to the old one
    (repo / "train.py").write_text("from transformers import AutoModel\n"
                                   f"m = AutoModel.from_pretrained('org/name', revision='{'1' * 40}')\n")
    rc, _, err = run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    (ref,) = tomllib.loads((repo / "mlwarden.lock").read_text())["reference"]
    assert ref["revision"] == "1" * 40 and "files" not in ref


def test_without_from_hub_no_request_and_no_token_header(tmp_path: Path, hub: Hub, capsys: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _project(tmp_path)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    rc, _, err = run(repo, "lock", capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 0, err
    assert hub.requests == []
    assert "files" not in (repo / "mlwarden.lock").read_text()
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_ENDPOINT")
    rc, _, err = run(repo, "lock", "--from-hub", "--hf-endpoint", hub.url + "/", capsys=capsys,
                     monkeypatch=monkeypatch)
    assert rc == 0, err
    assert len(hub.requests) == 3 and {a for _, a in hub.requests} == {None}


def test_unpinned_reference_is_warned_never_resolved(tmp_path: Path, hub: Hub, capsys: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _project(tmp_path, "x = AutoModel.from_pretrained('org/floating')\n")
    rc, _, err = run(repo, "lock", "--from-hub", "--hf-endpoint", hub.url, capsys=capsys,
                     monkeypatch=monkeypatch)
    assert rc == 0, err
    assert "train.py:5 model:org/floating is not pinned to a commit" in err
    assert not any("floating" in p for p, _ in hub.requests)
    assert "org/floating" not in (repo / "mlwarden.lock").read_text()


def test_hub_errors_exit_2_with_one_line_naming_the_repo(tmp_path: Path, hub: Hub, capsys: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _project(tmp_path)
    hub.status = 500
    rc, _, err = run(repo, "lock", "--from-hub", "--hf-endpoint", hub.url, capsys=capsys,
                     monkeypatch=monkeypatch)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "dataset:org/data@" in err and "HTTP 500" in err
    assert not (repo / "mlwarden.lock").exists()
    hub.status, hub.delay = 200, 2.0
    t0 = time.monotonic()
    rc, _, err = run(repo, "lock", "--from-hub", "--hf-endpoint", hub.url, "--timeout", "0.3",
                     capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 2 and time.monotonic() - t0 < 1.8
    assert len(err.strip().splitlines()) == 1 and "org/data" in err
    hub.delay = 0.0
    hub.next_host = "http://localhost:" + hub.url.rsplit(":", 1)[1]  # a next page elsewhere: not followed
    monkeypatch.setenv("HF_TOKEN", "tok-123")
    hub.requests.clear()
    rc, _, err = run(repo, "lock", "--from-hub", "--hf-endpoint", hub.url, capsys=capsys,
                     monkeypatch=monkeypatch)
    assert rc == 2 and "model:org/name" in err and "another host" in err, err
    assert not any("cursor=p2" in p for p, _ in hub.requests)
    rc, _, err = run(repo, "lock", "--from-hub", "--hf-endpoint", "http://127.0.0.1:1", capsys=capsys,
                     monkeypatch=monkeypatch)
    assert rc == 2 and "cannot query the Hub API" in err and "org/data" in err


def test_lock_reader_rejects_malformed_hub_files() -> None:
    head = f'version = 1\n\n[[reference]]\nhub = "model:o/n"\nrevision = "{PIN}"\n'
    ok = head + f'files = [\n    {{ path = "a.json", size = 1, git-sha1 = "{"a" * 40}" }},\n]\n'
    assert lockfile.loads(ok).references[0].files[0].git_sha1 == "a" * 40
    for bad in ('files = [ { path = "a", size = 1 } ]\n',
                f'files = [ {{ path = "a", size = 1, sha256 = "{"a" * 64}", git-sha1 = "{"a" * 40}" }} ]\n',
                f'files = [ {{ path = "../a", size = 1, git-sha1 = "{"a" * 40}" }} ]\n',
                f'files = [ {{ path = "a", size = 1, git-sha1 = "{"a" * 39}" }} ]\n'):
        with pytest.raises(lockfile.LockError):
            lockfile.loads(head + bad)


def test_hf_cache_snapshot_checked_against_hub_hashes_in_lock(tmp_path: Path, hub: Hub, capsys: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _project(tmp_path)
    rc, _, err = run(repo, "lock", "--from-hub", "--hf-endpoint", hub.url, capsys=capsys,
                     monkeypatch=monkeypatch)
    assert rc == 0, err
    cache = tmp_path / "cache"
    root = cache / "models--org--name"
    blobs = root / "blobs"
    blobs.mkdir(parents=True)
    snap = root / "snapshots" / PIN
    (snap / "sub").mkdir(parents=True)
    w_id, c_id = hashlib.sha256(WEIGHTS).hexdigest(), _git_sha1(CONFIG)
    (blobs / w_id).write_bytes(WEIGHTS)
    (blobs / c_id).write_bytes(CONFIG)
    (snap / "sub" / "model.safetensors").symlink_to(f"../../../blobs/{w_id}")
    (snap / "config.json").symlink_to(f"../../blobs/{c_id}")
    args = ("--hf-cache", str(cache))
    assert findings(repo, *args, capsys=capsys, monkeypatch=monkeypatch) == (0, [])
    # a consistent cache (blob named by its own hash) that is not what the Hub had at the locked commit
    other = b'{"model_type": "evil"}\n'
    (blobs / _git_sha1(other)).write_bytes(other)
    (snap / "config.json").unlink()
    (snap / "config.json").symlink_to(f"../../blobs/{_git_sha1(other)}")
    (snap / "extra.py").symlink_to(f"../../blobs/{c_id}")
    rc, found = findings(repo, *args, capsys=capsys, monkeypatch=monkeypatch)
    assert rc == 1
    msgs = sorted(f["message"] for f in found if f["slug"] == "hf-cache-corrupt")
    assert len(msgs) == 2 and "links to blob" in msgs[0] and "has no file 'extra.py'" in msgs[1], msgs
