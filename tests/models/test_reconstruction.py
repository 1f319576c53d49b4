"""Object reconstruction vs calls, and what a call really calls: published 2025-2026 bypasses that go through
code an allowlist trusts (a planted ``__setstate__``, Lightning's AttributeDict, ``_rebuild_from_type_v2``,
``functools.partial``), rebuilt opcode by opcode. Every payload would only ``touch`` a marker file; nothing
here is unpickled, and each test asserts the marker was never written."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mlwarden.checks.models import scan_file
from mlwarden.core.findings import Finding, Severity

from . import builders as B
from .builders import call, glob0, proto, su


def _bytes(data: bytes) -> bytes:
    return b"C" + bytes([len(data)]) + data if len(data) < 256 else b"B" + struct.pack("<I", len(data)) + data


def _evil(marker: Path) -> bytes:
    """A pickle that would run ``touch <marker>`` (the payload behind every trusted-code route below)."""
    return B.reduce_call("os", "system", f"touch {marker}")


def _evil_torch(marker: Path) -> bytes:
    """The same payload as a torch.save zip (what torch.storage._load_from_bytes opens)."""
    return B.torch_like_zip(_evil(marker))


def _newobj(module: str, name: str) -> bytes:
    return glob0(module, name) + b")\x81"


def _scan(tmp_path: Path, name: str, data: bytes) -> list[Finding]:
    p = tmp_path / name
    p.write_bytes(data)
    return scan_file(p, name)[1]


def _rules(findings: list[Finding]) -> set[tuple[str, Severity]]:
    return {(f.rule.id, f.level) for f in findings}


def _globals(findings: list[Finding]) -> set[str]:
    return {f.data["global"] for f in findings if f.data.get("global")}


def _attacks(marker: Path) -> dict[str, bytes]:
    loader = glob0("torch.storage", "_load_from_bytes")
    payload = _bytes(_evil_torch(marker))
    return {
        # BUILD plants __setstate__ = torch.storage._load_from_bytes on an allowlisted module object, the
        # next BUILD calls it with the bytes of a torch.save file (a nested torch.load)
        "planted_setstate_on_allowlisted": proto(2)
        + _newobj("torch.nn.modules.linear", "Linear")
        + b"}"
        + su("__setstate__")
        + loader
        + b"sb"
        + payload
        + b"b.",
        # the same through Lightning's AttributeDict, which reads dict items back as attributes
        "attributedict_item_setstate": proto(2)
        + _newobj("lightning.fabric.utilities.data", "AttributeDict")
        + b"("
        + su("__setstate__")
        + loader
        + su("lr")
        + b"G?\x84z\xe1G\xae\x14{"
        + b"u"
        + payload
        + b"b.",
        # slot state (BUILD with a (dict, slotstate) tuple) uses setattr
        "slotstate_setstate": proto(2)
        + _newobj("collections", "OrderedDict")
        + b"N}"
        + su("__setstate__")
        + loader
        + b"s\x86b"
        + payload
        + b"b.",
        # an allowlisted torch helper that calls what it is given: func(*args)
        "rebuild_from_type_v2_loader": proto(2)
        + call(
            glob0("torch._tensor", "_rebuild_from_type_v2"),
            loader,
            glob0("torch", "Tensor"),
            payload + b"\x85",
            b"}",
        )
        + b".",
        # ... and the state it applies with setattr
        "rebuild_from_type_v2_state": proto(2)
        + call(
            glob0("torch._tensor", "_rebuild_from_type_v2"),
            glob0("torch._utils", "_rebuild_tensor_v2"),
            glob0("torch", "Tensor"),
            b")",
            b"}" + su("__reduce_ex__") + glob0("torch.storage", "_load_from_bytes") + b"s",
        )
        + b".",
        # a loader wrapped in functools.partial, built through partial.__setstate__
        "partial_loader": proto(2) + call(glob0("functools", "partial"), loader, payload) + b")R.",
        # pickle.loads reached through _rebuild_from_type_v2 (its bytes are scanned as a pickle too)
        "rebuild_from_type_v2_pickle_loads": proto(2)
        + call(
            glob0("torch._tensor", "_rebuild_from_type_v2"),
            glob0("pickle", "loads"),
            glob0("torch", "Tensor"),
            _bytes(_evil(marker)) + b"\x85",
            b"}",
        )
        + b".",
    }


@pytest.mark.parametrize(
    "name",
    [
        "planted_setstate_on_allowlisted",
        "attributedict_item_setstate",
        "slotstate_setstate",
        "rebuild_from_type_v2_loader",
        "rebuild_from_type_v2_state",
        "partial_loader",
        "rebuild_from_type_v2_pickle_loads",
    ],
)
def test_routes_through_trusted_code_are_critical(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "MARKER"
    findings = _scan(tmp_path, f"{name}.pkl", _attacks(marker)[name])
    assert max(f.level for f in findings) == Severity.CRITICAL, [f.message for f in findings]
    if name != "rebuild_from_type_v2_state":
        # the loader's bytes were scanned as a nested file: the payload inside is named
        assert "os.system" in _globals(findings), [f.message for f in findings]
        nested = next(f for f in findings if f.data.get("global") == "os.system")
        assert ":" in (nested.data.get("member") or ""), nested.data  # reported inside the nested payload
    assert not marker.exists()


def test_planted_setstate_names_the_plant(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    findings = _scan(tmp_path, "p.pkl", _attacks(marker)["planted_setstate_on_allowlisted"])
    planted = [f for f in findings if f.rule.id == "MLW517"]
    assert len(planted) == 1 and planted[0].level == Severity.CRITICAL
    assert "__setstate__ = torch.storage._load_from_bytes" in planted[0].message
    assert "torch.nn.modules.linear.Linear" in planted[0].message
    findings = _scan(tmp_path, "a.pkl", _attacks(marker)["attributedict_item_setstate"])
    planted = [f for f in findings if f.rule.id == "MLW517"]
    assert planted and "dict item" in planted[0].message
    assert not marker.exists()


def test_partial_is_judged_by_what_it_wraps(tmp_path: Path) -> None:
    # functools.partial(int, "5") calls int: nothing to report
    data = proto(2) + call(glob0("functools", "partial"), glob0("builtins", "int"), su("5")) + b"."
    assert _scan(tmp_path, "int.pkl", data) == []
    # the real pickle of a partial (REDUCE(partial, (f,)) then BUILD((f, args, kwds, dict)))
    import functools
    import pickle

    for protocol in (2, 4, 5):
        real = pickle.dumps(functools.partial(int, base=2), protocol=protocol)
        assert _scan(tmp_path, "real.pkl", real) == [], protocol
    # partial.__setstate__ replacing the wrapped callable with a gadget is still caught
    swap = (
        proto(2)
        + call(glob0("functools", "partial"), glob0("builtins", "int"))
        + glob0("os", "system")
        + su("id")
        + b"\x85NN\x94t"[:0]
        + b"("
        + glob0("os", "system")
        + b"("
        + su("id")
        + b"tNNtb."
    )
    findings = _scan(tmp_path, "swap.pkl", swap)
    assert ("MLW501", Severity.CRITICAL) in _rules(findings) and "os.system" in _globals(findings)
    # a partial of an unknown function made at load time only stores it (fastai's opt_func): a reference
    made = call(glob0("functools", "partial"), glob0("mypkg.mod", "helper"), su("x"))
    findings = _scan(tmp_path, "u.pkl", proto(2) + made + b".")
    assert _rules(findings) == {("MLW516", Severity.MEDIUM)} and _globals(findings) == {"mypkg.mod.helper"}
    assert findings[0].data["use"] == "reference"
    # ... and calling that partial at load time calls the function: high
    findings = _scan(tmp_path, "c.pkl", proto(2) + made + b")R.")
    assert _rules(findings) == {("MLW502", Severity.HIGH)} and _globals(findings) == {"mypkg.mod.helper"}


def test_helper_arguments_are_judged_as_called(tmp_path: Path) -> None:
    # _rebuild_from_type_v2(func=<unknown>) calls it: high, and the message says through which helper
    data = (
        proto(2)
        + call(
            glob0("torch._tensor", "_rebuild_from_type_v2"),
            glob0("mypkg.tensors", "make"),
            glob0("torch", "Tensor"),
            b")",
            b"}",
        )
        + b"."
    )
    findings = _scan(tmp_path, "h.pkl", data)
    assert _rules(findings) == {("MLW502", Severity.HIGH)}
    assert "torch._tensor._rebuild_from_type_v2" in findings[0].message
    # copyreg._reconstructor(cls, base, state) calls base.__init__(obj, state): an unknown base is a call
    data = b"ccopy_reg\n_reconstructor\n(cmypkg.models\nNet\ncmypkg.models\nBase\nS'x'\ntR."
    findings = _scan(tmp_path, "r.pkl", data)
    by_glob = {f.data["global"]: (f.rule.id, f.level) for f in findings}
    assert by_glob == {
        "mypkg.models.Net": ("MLW516", Severity.MEDIUM),
        "mypkg.models.Base": ("MLW502", Severity.HIGH),
    }


def test_object_reconstruction_is_rated_below_calls(tmp_path: Path) -> None:
    # protocol 2 NEWOBJ + BUILD of a class outside the allowlist (what torch.save(model) writes for a
    # custom nn.Module): medium, the finding says it only rebuilds an object
    data = proto(2) + _newobj("mypkg.models", "Net") + b"}" + su("training") + b"\x88sb."
    findings = _scan(tmp_path, "n.pkl", data)
    assert [(f.rule.slug, f.level) for f in findings] == [("pickle-object-unknown", Severity.MEDIUM)]
    assert "object of mypkg.models.Net" in findings[0].message and "NEWOBJ" in findings[0].message
    # a class called with no arguments and then BUILT with plain data is an object too
    data = proto(2) + glob0("mypkg.models", "Net") + b")R}" + su("w") + b"K\x01sb."
    findings = _scan(tmp_path, "c.pkl", data)
    assert [(f.rule.id, f.data["use"]) for f in findings] == [("MLW516", "object")]
    # a lower-case name called without arguments is still a call
    data = proto(2) + glob0("mypkg.models", "build") + b")R."
    assert _rules(_scan(tmp_path, "f.pkl", data)) == {("MLW502", Severity.HIGH)}
    # a class passed along as a value (a hyper-parameter naming an optimizer class) is a reference
    data = proto(2) + b"}" + su("opt") + glob0("mypkg.optim", "Fancy") + b"s."
    findings = _scan(tmp_path, "v.pkl", data)
    assert [(f.rule.id, f.data["use"]) for f in findings] == [("MLW516", "reference")]
    # a dangerous global stays critical whatever the shape
    data = proto(2) + _newobj("subprocess", "Popen") + b"."
    assert _rules(_scan(tmp_path, "p.pkl", data)) == {("MLW501", Severity.CRITICAL)}


def test_plain_state_with_ordinary_dunders_is_not_a_plant(tmp_path: Path) -> None:
    # functools.wraps copies __wrapped__/__doc__/__module__ into instance dicts; typing sets __orig_class__
    data = (
        proto(2)
        + _newobj("collections", "OrderedDict")
        + b"}"
        + su("__wrapped__")
        + b"N"
        + su("__doc__")
        + su("text")
        + su("__orig_class__")
        + b"N"
        + b"sssb."
    )
    assert _scan(tmp_path, "w.pkl", data) == []


# ---- trust what the project declares, and only that ----------------------------------------------------
def _bert_object() -> bytes:
    """What torch.save(model) writes for a transformers module: NEWOBJ of its class, then its state."""
    return (
        proto(2)
        + _newobj("transformers.models.bert.configuration_bert", "BertConfigFromTheFuture")
        + b"}"
        + su("hidden_size")
        + b"K\x08sb."
    )


def _json_findings(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    import json

    out = json.loads(capsys.readouterr().out)
    findings: list[dict[str, object]] = out["findings"]
    return findings


@pytest.mark.parametrize(
    ("manifest", "text"),
    [
        ("pyproject.toml", '[project]\nname = "app"\nversion = "1"\ndependencies = ["transformers>=4"]\n'),
        ("requirements.txt", "transformers==4.46.0\n"),
        ("uv.lock", 'version = 1\n[[package]]\nname = "transformers"\nversion = "4.46.0"\n'),
    ],
)
def test_objects_of_declared_packages_are_info(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    manifest: str,
    text: str,
) -> None:
    from mlwarden_hooks.scan_models import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.pt").write_bytes(_bert_object())
    # no manifest: strict (medium, the hook fails)
    assert main(["model.pt", "--format", "json"]) == 1
    (f,) = _json_findings(capsys)
    assert (f["id"], f["severity"]) == ("MLW516", "medium")
    # the project declares transformers: an object of it is what the project already runs
    (tmp_path / manifest).write_text(text)
    assert main(["model.pt", "--format", "json"]) == 0
    (f,) = _json_findings(capsys)
    assert (f["id"], f["severity"]) == ("MLW516", "info")
    assert "transformers is a declared dependency" in str(f["message"])


def test_declared_packages_never_lower_calls_or_other_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlwarden_hooks.scan_models import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("transformers==4.46.0\n")
    # the same package called through REDUCE with an argument stays high
    (tmp_path / "call.pkl").write_bytes(B.reduce_call("transformers.models.bert.modeling_bert", "helper"))
    # an object of a package the project does not depend on stays medium
    (tmp_path / "other.pkl").write_bytes(proto(2) + _newobj("ultralytics.nn.tasks", "DetectionModelX") + b".")
    # a lookalike module name is not the declared package
    (tmp_path / "look.pkl").write_bytes(proto(2) + _newobj("transformers_evil.models", "Bert") + b".")
    assert main([".", "--format", "json"]) == 1
    sev = {str(f["path"]): (f["id"], f["severity"]) for f in _json_findings(capsys)}
    assert sev == {
        "call.pkl": ("MLW502", "high"),
        "other.pkl": ("MLW516", "medium"),
        "look.pkl": ("MLW516", "medium"),
    }


# ---- lz4 and zstd: decoded and scanned ------------------------------------------------------------------
class _Evil:
    """Pickles as a call of os.system (never unpickled here)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        import os

        return (os.system, (f"touch {self.marker}",))


def test_lz4_and_zstd_streams_are_decoded_and_scanned(tmp_path: Path) -> None:
    pytest.importorskip("lz4")
    pytest.importorskip("zstandard")
    import io

    import joblib
    import numpy as np
    import pandas as pd
    import zstandard

    marker = tmp_path / "MARKER"
    # joblib's own lz4 dumps: a benign estimator-like dict is clean, an attack inside is critical
    benign = tmp_path / "benign.joblib"
    joblib.dump({"w": np.arange(1000.0), "names": ["a", "b"]}, benign, compress="lz4")
    assert benign.read_bytes()[:4] == b"\x04\x22\x4d\x18"
    fmt, findings = scan_file(benign, "benign.joblib")
    assert findings == [] and fmt == "joblib"
    evil = tmp_path / "evil.joblib"
    joblib.dump({"w": np.arange(10.0), "x": _Evil(marker)}, evil, compress=("lz4", 3))
    findings = scan_file(evil, "evil.joblib")[1]
    assert ("MLW501", Severity.CRITICAL) in _rules(findings) and _globals(findings) & {
        "os.system",
        "posix.system",
    }
    # pandas .pkl.zst (zstandard), benign and with a payload
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_pickle(tmp_path / "frame.pkl.zst", compression="zstd")
    fmt, findings = scan_file(tmp_path / "frame.pkl.zst", "frame.pkl.zst")
    assert findings == [], [f.message for f in findings]
    import pickle

    raw = pickle.dumps({"frame": frame, "x": _Evil(marker)}, protocol=5)
    # two zstd frames back to back: the payload is in the second
    first = zstandard.ZstdCompressor().compress(raw[: len(raw) // 2])
    second = zstandard.ZstdCompressor().compress(raw[len(raw) // 2 :])
    (tmp_path / "evil.pkl.zst").write_bytes(first + second)
    findings = scan_file(tmp_path / "evil.pkl.zst", "evil.pkl.zst")[1]
    assert ("MLW501", Severity.CRITICAL) in _rules(findings), [f.message for f in findings]
    # a zstd bomb stops at the cap and says so
    bomb = zstandard.ZstdCompressor(level=3).compress(b"\x00" * (8 << 20))
    (tmp_path / "bomb.zst").write_bytes(bomb)
    from mlwarden.checks.models.scanner import Scanner, ScanOptions

    findings = Scanner(ScanOptions(max_decompressed=1 << 20)).scan_file(tmp_path / "bomb.zst", "bomb.zst")[1]
    assert any("limit" in f.message for f in findings)
    del io
    assert not marker.exists()


def test_lz4_and_zstd_without_a_decoder_are_high(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlwarden.checks.models import lz4zstd

    def missing(kind: str) -> object:
        raise lz4zstd.MissingDecoder(kind)

    monkeypatch.setattr(lz4zstd, "_decoder", missing)
    for name, data in (
        ("m.pkl.zst", b"\x28\xb5\x2f\xfd" + b"\x00" * 64),
        ("m.joblib", b"\x04\x22\x4d\x18" + b"\x00" * 64),
    ):
        findings = _scan(tmp_path, name, data)
        assert [(f.rule.slug, f.level) for f in findings] == [("unscannable", Severity.HIGH)], name
        assert "mlwarden[compression]" in findings[0].message


def test_library_classes_read_from_sources_are_safe_as_objects_only(tmp_path: Path) -> None:
    """Classes harvested with ast from ML libraries (ultralytics' DetectionModel...) are clean when rebuilt as
    objects, as torch.save(model) writes them; called with load-time arguments they are still judged."""
    from mlwarden.checks.models.classify import bundled_object_allowlist

    assert "ultralytics.nn.tasks:DetectionModel" in bundled_object_allowlist()
    data = (
        proto(2) + _newobj("ultralytics.nn.tasks", "DetectionModel") + b"}" + su("yaml_file") + su("y.yaml")
    )
    assert _scan(tmp_path, "yolo.pt", data + b"sb.") == []
    called = B.reduce_call("ultralytics.nn.tasks", "DetectionModel", "https://example.invalid/model.yaml")
    findings = _scan(tmp_path, "called.pt", called)
    assert _rules(findings) == {("MLW502", Severity.HIGH)}
