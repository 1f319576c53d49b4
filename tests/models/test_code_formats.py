"""TorchScript ``code/`` members (parsed with ast, never run) and Keras layers that load from outside the
archive (TFSMLayer, CVE-2026-1462; download origins). Real archives come from torch.jit.save; the hostile
ones are those archives with one code member rewritten."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from mlwarden.checks.models import scan_file
from mlwarden.core.findings import Finding, Severity

from . import builders as B


def _scan(tmp_path: Path, name: str, data: bytes) -> list[Finding]:
    (tmp_path / name).write_bytes(data)
    return scan_file(tmp_path / name, name)[1]


def _scripted() -> bytes:
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.fc(x))

    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(Net()), buf)
    return buf.getvalue()


def _rewrite(archive: bytes, edit: dict[str, bytes]) -> bytes:
    """The same archive with code members replaced or added (by path suffix under code/)."""
    src = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    folder = src.namelist()[0].split("/", 1)[0]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        done = set()
        for info in src.infolist():
            tail = info.filename.split("/code/", 1)[-1] if "/code/" in info.filename else None
            if tail in edit:
                dst.writestr(info.filename, edit[tail])
                done.add(tail)
            else:
                dst.writestr(info.filename, src.read(info.filename))
        for tail, data in edit.items():
            if tail not in done:
                dst.writestr(f"{folder}/code/{tail}", data)
    return out.getvalue()


SETSTATE_SAVE = b"""class Net(Module):
  __parameters__ = []
  __buttons__ = []
  def forward(self: __torch__.Net, x: Tensor) -> Tensor:
    return torch.relu(x)
  def __setstate__(self: __torch__.Net, state: Tuple[Tensor, bool]) -> NoneType:
    w = (state)[0]
    torch.save(w, "/tmp/mlwarden-marker")
    self.training = (state)[1]
    return None
"""
FORWARD_FROM_FILE = b"""class Net(Module):
  def forward(self: __torch__.Net, x: Tensor) -> Tensor:
    y = torch.from_file("/etc/passwd", None, 64)
    return ops.prim.rpc_sync("worker", "f", [x])
"""
PLAIN_SETSTATE = b"""class Packed(Module):
  def __setstate__(self: __torch__.Packed, state: Tuple[Tensor, bool]) -> NoneType:
    self.w = (state)[0]
    return None
"""


def test_real_torchscript_archives_are_clean(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    assert _scan(tmp_path, "net.pt", _scripted()) == []
    # a quantized module: torch's own __setstate__ in code/__torch__/torch/... is no finding
    qmodel = torch.ao.nn.quantized.Linear(2, 2)
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(qmodel), buf)
    names = zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()
    assert any("/code/" in n for n in names)
    assert [f for f in _scan(tmp_path, "q.pt", buf.getvalue()) if f.level > Severity.INFO] == []


def test_torchscript_host_effects_are_reported(tmp_path: Path) -> None:
    base = _scripted()
    findings = _scan(tmp_path, "s.pt", _rewrite(base, {"__torch__/evil.py": SETSTATE_SAVE}))
    crit = [f for f in findings if f.rule.id == "MLW518" and f.level == Severity.CRITICAL]
    assert crit and "__setstate__" in crit[0].message and "torch.save" in crit[0].message
    findings = _scan(tmp_path, "f.pt", _rewrite(base, {"__torch__/evil.py": FORWARD_FROM_FILE}))
    assert {(f.rule.id, f.level, f.data["global"]) for f in findings} == {
        ("MLW518", Severity.HIGH, "torch.from_file"),
        ("MLW518", Severity.HIGH, "ops.prim.rpc_sync"),
    }
    # a user-defined __setstate__ without host effects: information only (it runs on load)
    findings = _scan(tmp_path, "p.pt", _rewrite(base, {"__torch__/packed.py": PLAIN_SETSTATE}))
    assert [(f.rule.id, f.level) for f in findings] == [("MLW518", Severity.INFO)]
    # source that does not parse is not called clean
    findings = _scan(tmp_path, "b.pt", _rewrite(base, {"__torch__/bad.py": b"def (:\n"}))
    assert [f.rule.slug for f in findings] == ["unscannable"]


def test_keras_tfsmlayer_and_download_origins_are_high(tmp_path: Path) -> None:
    tfsm = {
        "module": "keras.layers",
        "class_name": "TFSMLayer",
        "registered_name": None,
        "config": {"name": "reloaded", "filepath": "/srv/shared/savedmodel", "call_endpoint": "serve"},
    }
    findings = _scan(tmp_path, "m.keras", B.keras_zip(B.keras_config([B.DENSE, tfsm])))
    assert [(f.rule.id, f.level) for f in findings] == [("MLW519", Severity.HIGH)]
    assert "/srv/shared/savedmodel" in findings[0].message and "CVE-2026-1462" in findings[0].message
    origin = dict(B.DENSE, config={"name": "emb", "units": 2, "origin": "https://example.invalid/w.h5"})
    findings = _scan(tmp_path, "o.keras", B.keras_zip(B.keras_config([origin])))
    assert [(f.rule.id, f.level) for f in findings] == [("MLW519", Severity.HIGH)]
    # the same configs without them stay clean
    assert _scan(tmp_path, "c.keras", B.keras_zip(B.keras_config([B.DENSE]))) == []
