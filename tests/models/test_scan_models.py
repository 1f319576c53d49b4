"""scan-models on generated fixtures: every published bypass technique is caught, real checkpoints and
estimators are clean, and hostile files give findings, never exceptions."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from mlwarden_hooks.scan_models import main

from mlwarden.checks.models import scan_file, sniff
from mlwarden.core.findings import Severity

from . import builders as B


def scan(tmp_path: Path, name: str, data: bytes, **opts: object) -> tuple[str | None, list]:
    p = tmp_path / name
    p.write_bytes(data)
    return scan_file(p, name, opts or None)


def ids(findings: list) -> set[str]:
    return {f.rule.id for f in findings}


def globals_of(findings: list) -> set[str]:
    return {f.data.get("global") for f in findings if f.data.get("global")}


# ---- pickle techniques ---------------------------------------------------------------------------------
EXPECTED_GLOBAL = {
    "global_proto0": "os.system",
    "inst_proto0": "os.system",
    "obj_proto1": "os.system",
    "stack_global_p4": "os.system",
    "memo_indirect": "os.system",
    "long_memo_indirect": "subprocess.getoutput",
    "torch_dotted_os": "torch.os.system",
    "numpy_dotted": "numpy.testing._private.utils.runstring",
    "newobj_popen": "subprocess.Popen",
    "newobj_ex": "subprocess.Popen",
    "builtins_eval": "builtins.eval",
    "py2_builtin_exec": "__builtin__.exec",
    "getattr_chain": "builtins.getattr",
    "import_then_attr": "builtins.__import__",
    "pip_main": "pip.main",
    "pip_internal": "pip._internal.cli.main.main",
    "pydoc_pipepager": "pydoc.pipepager",
    "runpy": "runpy._run_code",
    "importlib": "importlib.import_module",
    "webbrowser": "webbrowser.open",
    "socket": "socket.create_connection",
    "ctypes": "ctypes.CDLL",
    "shutil": "shutil.rmtree",
    "code_interact": "code.interact",
    "pty_spawn": "pty.spawn",
    "posix_system": "posix.system",
    "nt_system": "nt.system",
    "asyncio_subprocess": "asyncio.subprocess.create_subprocess_shell",
    "operator_attrgetter": "operator.attrgetter",
    "operator_methodcaller": "operator.methodcaller",
    "functools_partial": "os.system",  # a partial is judged by what it wraps
    "torch_inductor": "torch._inductor.codecache.compile_file",
    "torch_cpp_extension": "torch.utils.cpp_extension.load_inline",
    "torch_jit_load": "torch.jit.load",
    "torch_hub": "torch.hub.load",
    "torch_serialization_load": "torch.serialization.load",
    "torch_dynamo": "torch._dynamo.utils.exec_code",
    "torch_fx": "torch.fx.graph_module._forward_from_src",
    "numpy_runstring": "numpy.testing._private.utils.runstring",
    "numpy_f2py": "numpy.f2py.compile",
    "numpy_load": "numpy.load",
    "sklearn_testing": "sklearn.utils._testing.assert_run_python_script_without_output",
    "binstring_names": "os.system",
    "string_names_p0": "os.system",
    "second_pickle": "os.system",
    "junk_then_pickle": "os.system",
    "junk_then_proto0": "os.system",
    "large_payload_skip": "os.system",
    "dunder_globals": "torch.nn.modules.module.Module.__init__.__globals__",
    "nested_loader": "os.system",
    "unknown_class_build": "__main__.Payload",
    "unknown_function": "mlwarden_fixture_mod.do_something",
    "pandas_query": "pandas.core.frame.DataFrame.query",
    "allowlisted_class_attr": "collections.OrderedDict.__init__.__globals__",
    "subclass_gadget": "asyncio.unix_events._UnixSubprocessTransport",
    "timeit_gadget": "timeit.timeit",
}
EXPECTED_RULE = {
    "ext1_code": "MLW504",
    "ext2_code": "MLW504",
    "ext4_code": "MLW504",
    "dynamic_stack_global": "MLW505",
    "unknown_class_build": "MLW502",
    "unknown_function": "MLW502",
}


# object reconstruction only (NEWOBJ + BUILD with plain data): reported, below the call findings
OBJECT_ONLY = frozenset({"unknown_class_build"})


@pytest.mark.parametrize("name", sorted(B.TECHNIQUES.keys() - OBJECT_ONLY))
def test_every_pickle_technique_is_caught(tmp_path: Path, name: str) -> None:
    fmt, findings = scan(tmp_path, f"{name}.pkl", B.TECHNIQUES[name])
    assert fmt in ("pickle", "joblib")
    assert findings, name
    assert max(f.level for f in findings) >= Severity.HIGH
    if name in EXPECTED_GLOBAL:
        assert EXPECTED_GLOBAL[name] in globals_of(findings), [f.message for f in findings]
        hit = next(f for f in findings if f.data.get("global") == EXPECTED_GLOBAL[name])
        assert isinstance(hit.data["offset"], int) and hit.data["offset"] >= 0
        assert hit.data["format"] in ("pickle", "joblib")
        if name != "unknown_function":
            assert hit.level == Severity.CRITICAL, hit.message
    if name in EXPECTED_RULE:
        assert EXPECTED_RULE[name] in ids(findings)


def test_offsets_point_at_the_import(tmp_path: Path) -> None:
    data = B.TECHNIQUES["global_proto0"]
    _, findings = scan(tmp_path, "x.pkl", data)
    f = next(f for f in findings if f.data["global"] == "os.system")
    assert data[f.data["offset"] : f.data["offset"] + 3] == b"cos"
    assert "REDUCE" in f.message and "os.system" in f.message
    assert f.path == "x.pkl"


def test_call_shapes_named(tmp_path: Path) -> None:
    _, findings = scan(tmp_path, "b.pkl", B.TECHNIQUES["unknown_class_build"])
    msg = next(f.message for f in findings if f.data["global"] == "__main__.Payload")
    assert "NEWOBJ" in msg and "BUILD" in msg


def test_benign_plain_pickles_are_clean(tmp_path: Path) -> None:
    import collections
    import datetime

    objs = [
        {"a": [1, 2.5, "x", None, True]},
        collections.OrderedDict(a=1),
        {1, 2},
        frozenset({3}),
        datetime.datetime(2024, 1, 2, 3, 4),
        bytearray(b"xy"),
        complex(1, 2),
        b"\x00" * 1000,
        "s" * 70000,
        list(range(3000)),
        {"nested": {"deep": [[[]]]}},
        slice(1, 5),
        range(4),
    ]
    for proto in range(0, 6):
        _, findings = scan(tmp_path, f"ok{proto}.pkl", pickle.dumps(objs, protocol=proto))
        assert findings == [], (proto, [f.message for f in findings])


def test_unknown_class_rebuilt_as_object_is_medium_and_says_so(tmp_path: Path) -> None:
    """NEWOBJ + BUILD with plain data rebuilds an object: the class is not called with load-time arguments."""
    _, findings = scan(tmp_path, "u.pkl", B.TECHNIQUES["unknown_class_build"])
    assert [(f.rule.id, f.level) for f in findings] == [("MLW516", Severity.MEDIUM)]
    assert "object of __main__.Payload" in findings[0].message and findings[0].data["use"] == "object"
    # the same class called through REDUCE with an argument stays high
    _, findings = scan(tmp_path, "r.pkl", B.reduce_call("__main__", "Payload"))
    assert [(f.rule.id, f.level) for f in findings] == [("MLW502", Severity.HIGH)]
    assert "called via REDUCE" in findings[0].message and findings[0].data["use"] == "call"


def test_allow_option_extends_the_allowlist(tmp_path: Path) -> None:
    data = B.TECHNIQUES["unknown_class_build"]
    _, findings = scan(tmp_path, "u.pkl", data)
    assert "MLW516" in ids(findings)
    for entry in ("__main__:Payload", "__main__.Payload"):
        _, findings = scan(tmp_path, "u.pkl", data, allow=[entry])
        assert findings == []
    # an allow entry never whitelists a dangerous dotted lookalike
    _, findings = scan(tmp_path, "t.pkl", B.TECHNIQUES["torch_dotted_os"], allow=["torch:Tensor"])
    assert "MLW501" in ids(findings)


def test_truncated_and_garbage_pickles_give_findings(tmp_path: Path) -> None:
    good = B.TECHNIQUES["stack_global_p4"]
    for cut in (3, 10, len(good) // 2, len(good) - 1):
        _, findings = scan(tmp_path, "t.pkl", good[:cut])
        assert findings, cut
    _, findings = scan(tmp_path, "g.pkl", b"\x80\x02" + bytes(range(256)) * 4)
    assert "MLW503" in ids(findings)
    # a truncated stream still reports what it imported before the cut
    _, findings = scan(tmp_path, "t2.pkl", B.reduce_call("os", "system")[:-2])
    assert "os.system" in globals_of(findings) and "MLW503" in ids(findings)


def test_limits_are_enforced(tmp_path: Path) -> None:
    data = b"\x80\x02(" + b"K\x01" * 5000 + b"l."
    _, findings = scan(tmp_path, "l.pkl", data, **{"max-opcodes": 100})
    assert "MLW503" in ids(findings)
    assert any("limit" in f.message for f in findings)
    _, findings = scan(tmp_path, "l.pkl", data)
    assert findings == []


def test_huge_length_prefix_does_not_allocate(tmp_path: Path) -> None:
    data = b"\x80\x04\x8e" + struct.pack("<Q", 2**62) + b"abc"
    _, findings = scan(tmp_path, "h.pkl", data)
    assert "MLW503" in ids(findings)


# ---- containers ------------------------------------------------------------------------------------------
def test_zip_odd_folder_crc_duplicates_nested(tmp_path: Path) -> None:
    evil = B.reduce_call("os", "system")
    _, f1 = scan(tmp_path, "a.pt", B.torch_like_zip(evil, folder="totally_not_archive"))
    assert "os.system" in globals_of(f1)
    assert f1[0].data["member"] == "totally_not_archive/data.pkl"
    _, f2 = scan(tmp_path, "b.pt", B.corrupt_crc(B.torch_like_zip(evil), "archive/data.pkl"))
    assert "os.system" in globals_of(f2) and any("CRC" in f.message for f in f2)
    # torch reads the first copy, zipfile the last: both copies are scanned, the anomaly reported
    for first, second in ((evil, B.BENIGN), (B.BENIGN, evil)):
        _, f3 = scan(tmp_path, "c.pt", B.duplicate_member_zip(first, second))
        assert "os.system" in globals_of(f3) and "MLW512" in ids(f3)
    nested = B.zip_of({"inner/model.pt": B.torch_like_zip(evil)})
    fmt, f4 = scan(tmp_path, "d.zip", nested)
    assert fmt == "zip" and "os.system" in globals_of(f4)
    assert any(f.data["member"] == "inner/model.pt!archive/data.pkl" for f in f4)
    # deflated members and extra pickles anywhere in the archive
    _, f5 = scan(
        tmp_path,
        "e.pt",
        B.torch_like_zip(B.BENIGN, extra={"archive/extra/x.pkl": evil}, compress=zipfile.ZIP_DEFLATED),
    )
    assert "os.system" in globals_of(f5)


def test_zip_with_prefix_and_broken_directory(tmp_path: Path) -> None:
    evil = B.reduce_call("os", "system")
    z = B.torch_like_zip(evil)
    _, f1 = scan(tmp_path, "p.pt", b"JUNK" * 100 + z)
    assert "os.system" in globals_of(f1)
    cd = z.find(b"PK\x01\x02")
    _, f2 = scan(tmp_path, "q.pt", z[:cd])  # no central directory at all
    assert "os.system" in globals_of(f2) and "MLW512" in ids(f2)


def test_nested_archive_depth_cap(tmp_path: Path) -> None:
    data = B.torch_like_zip(B.reduce_call("os", "system"))
    for i in range(8):
        data = B.zip_of({f"l{i}.zip": data})
    _, findings = scan(tmp_path, "deep.zip", data)
    assert "MLW512" in ids(findings) and any("depth" in f.message for f in findings)


def test_zip_bomb_is_bounded(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02(" + b"\x00" * (30 * 1024 * 1024))
    _, findings = scan(tmp_path, "bomb.pt", buf.getvalue(), **{"max-decompressed-mb": 1})
    assert any("limit" in f.message for f in findings)


def test_encrypted_member_reported(tmp_path: Path) -> None:
    z = bytearray(B.torch_like_zip(B.BENIGN))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = z.find(sig)
        while i >= 0:
            struct.pack_into("<H", z, i + off, struct.unpack_from("<H", z, i + off)[0] | 1)
            i = z.find(sig, i + 4)
    _, findings = scan(tmp_path, "enc.pt", bytes(z))
    assert any("encrypted" in f.message for f in findings)


def test_tar_members_and_links(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in (("sys_info", B.BENIGN), ("pickle", B.reduce_call("os", "system"))):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("storages")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    fmt, findings = scan(tmp_path, "legacy.tar", buf.getvalue())
    assert fmt == "tar"
    assert "os.system" in globals_of(findings)
    assert any("not followed" in f.message for f in findings)


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz", "lzma", "zlib"])
def test_compressed_pickles(tmp_path: Path, kind: str) -> None:
    evil = B.reduce_call("os", "system")
    comp = {
        "gzip": gzip.compress,
        "bz2": bz2.compress,
        "xz": lzma.compress,
        "lzma": lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE),
        "zlib": zlib.compress,
    }[kind]
    fmt, findings = scan(tmp_path, "m.joblib", comp(evil))
    assert "os.system" in globals_of(findings), kind
    assert fmt == "joblib"


def test_decompression_bomb_capped(tmp_path: Path) -> None:
    data = gzip.compress(b"\x80\x02]" + b"\x00" * (20 * 1024 * 1024))
    _, findings = scan(tmp_path, "b.pkl.gz", data, **{"max-decompressed-mb": 1})
    assert any("limit" in f.message for f in findings)


# ---- real libraries: benign and malicious --------------------------------------------------------------
def test_numpy_npy_npz(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    for name, arr in (
        ("f.npy", np.arange(100.0).reshape(10, 10)),
        ("s.npy", np.array(["a", "bcd"])),
        ("o.npy", np.array([1, "x", None, {"k": [1.5]}], dtype=object)),
        ("st.npy", np.zeros(3, dtype=[("a", "f4"), ("b", "O")])),
    ):
        p = tmp_path / name
        np.save(p, arr, allow_pickle=True)
        fmt, findings = scan_file(p, name)
        assert fmt == "numpy" and findings == [], (name, [f.message for f in findings])
    np.savez_compressed(tmp_path / "z.npz", a=np.arange(5), b=np.array([None], dtype=object))
    fmt, findings = scan_file(tmp_path / "z.npz", "z.npz")
    assert fmt == "npz" and findings == []

    class Payload:
        def __reduce__(self) -> tuple:
            return (os.system, (B.PAYLOAD,))

    np.save(tmp_path / "evil.npy", np.array([Payload()], dtype=object), allow_pickle=True)
    fmt, findings = scan_file(tmp_path / "evil.npy", "evil.npy")
    assert fmt == "numpy" and {"posix.system", "os.system", "nt.system"} & globals_of(findings)
    f = findings[0]
    raw = (tmp_path / "evil.npy").read_bytes()
    assert raw[f.data["offset"] : f.data["offset"] + 1] in (b"c", b"\x8c", b"\x93")
    np.savez(tmp_path / "evil.npz", ok=np.arange(3), bad=np.array([Payload()], dtype=object))
    _, findings = scan_file(tmp_path / "evil.npz", "evil.npz")
    assert any(f.data["member"] == "bad.npy" for f in findings)


def _estimators() -> list:
    np = pytest.importorskip("numpy")
    pytest.importorskip("sklearn")
    from sklearn.cluster import KMeans
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(0)
    X, y = rng.rand(40, 3), np.array([0, 1] * 20)
    return [
        make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
        RandomForestClassifier(n_estimators=4).fit(X, y),
        GradientBoostingClassifier(n_estimators=4).fit(X, y),
        KMeans(n_clusters=2, n_init=1).fit(X),
        Pipeline([("v", TfidfVectorizer()), ("c", LogisticRegression())]).fit(
            ["apple pie", "banana split", "cherry pie", "apple banana"], [0, 1, 0, 1]
        ),
    ]


def test_sklearn_joblib_estimators_are_clean(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    for i, est in enumerate(_estimators()):
        for compress in (0, 3, ("lzma", 3), ("bz2", 3), ("gzip", 3)):
            p = tmp_path / f"m{i}.joblib"
            joblib.dump(est, p, compress=compress)
            fmt, findings = scan_file(p, p.name)
            assert fmt == "joblib", (i, compress, fmt)
            assert findings == [], (i, compress, [f.message for f in findings])
        p = tmp_path / f"m{i}.pkl"
        p.write_bytes(pickle.dumps(est, protocol=4))
        assert scan_file(p, p.name)[1] == []
    # prove these fixtures are real: the benign ones we just created load back
    assert joblib.load(tmp_path / "m0.joblib").predict(__import__("numpy").zeros((1, 3))).shape == (1,)


def test_joblib_with_gadget_after_arrays(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    np = pytest.importorskip("numpy")

    class Payload:
        def __reduce__(self) -> tuple:
            return (os.system, (B.PAYLOAD,))

    obj = {"w": np.arange(1000.0), "o": np.array(["x", None], dtype=object), "payload": Payload()}
    for compress in (0, 3):
        p = tmp_path / "evil.joblib"
        joblib.dump(obj, p, compress=compress)
        fmt, findings = scan_file(p, p.name)
        assert fmt == "joblib"
        assert {"posix.system", "os.system"} & globals_of(findings), [f.message for f in findings]
        assert "MLW503" not in ids(findings)


def test_torch_checkpoints_are_clean(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.BatchNorm2d(2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8, 4),
        nn.LayerNorm(4),
        nn.Embedding(5, 4),
        nn.LSTM(4, 4),
        nn.TransformerEncoderLayer(4, 2, 8),
    )
    opt = torch.optim.AdamW(model.parameters())
    ckpt = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": 1,
        "dtype": torch.bfloat16,
        "half": torch.zeros(2, dtype=torch.float16),
        "size": torch.Size([2]),
    }
    torch.save(ckpt, tmp_path / "ckpt.pt")
    torch.save(model, tmp_path / "full.pth")
    torch.save(ckpt, tmp_path / "legacy.bin", _use_new_zipfile_serialization=False)
    small = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    torch.jit.script(small).save(str(tmp_path / "script.pt"))
    torch.jit.trace(small, torch.zeros(1, 3)).save(str(tmp_path / "traced.pt"))
    expect = {
        "ckpt.pt": "pytorch-zip",
        "full.pth": "pytorch-zip",
        "legacy.bin": "pytorch-legacy",
        "script.pt": "torchscript",
        "traced.pt": "torchscript",
    }
    for name, fmt in expect.items():
        got, findings = scan_file(tmp_path / name, name)
        assert got == fmt and sniff(tmp_path / name) == fmt, name
        assert findings == [], (name, [f.message for f in findings])
    # real: the benign checkpoint loads back with the safe loader
    assert torch.load(tmp_path / "ckpt.pt", weights_only=True)["epoch"] == 1


def test_torch_checkpoint_tampered(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"w": torch.ones(4)}, buf)
    real = buf.getvalue()
    evil = B.stack_call("torch", "os.system")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(real)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            name = info.filename.replace("archive/", "my odd folder/", 1)
            dst.writestr(name, evil if name.endswith("data.pkl") else data)
    fmt, findings = scan(tmp_path, "tampered.safetensors", out.getvalue())
    assert fmt == "pytorch-zip"
    assert "torch.os.system" in globals_of(findings)
    assert "MLW513" in ids(findings)  # a torch zip named .safetensors
    # legacy format: sequential pickles, the payload in the main pickle
    legacy = io.BytesIO()
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    raw = legacy.getvalue()
    fmt, findings = scan(tmp_path, "legacy_evil.pt", raw[: 2 + 14 + 1] and _legacy_with(raw, evil))
    assert "torch.os.system" in globals_of(findings)


def _legacy_with(raw: bytes, evil: bytes) -> bytes:
    """Insert ``evil`` as an extra pickle right after the legacy magic-number pickle."""
    from mlwarden.checks.models.pickle_vm import PickleVM

    first = PickleVM(raw, len(raw)).run(0)
    return raw[: first.end] + evil + raw[first.end :]


def test_nested_storage_loader_payload(tmp_path: Path) -> None:
    inner = B.torch_like_zip(B.reduce_call("subprocess", "check_output"))
    _, findings = scan(tmp_path, "n.pkl", B.nested_loader_pickle(inner))
    assert "subprocess.check_output" in globals_of(findings)
    f = next(f for f in findings if f.data.get("global") == "subprocess.check_output")
    assert "torch.storage._load_from_bytes" in f.data["member"]


# ---- other formats -----------------------------------------------------------------------------------------
def test_safetensors(tmp_path: Path) -> None:
    fmt, findings = scan(tmp_path, "ok.safetensors", B.safetensors())
    assert fmt == "safetensors" and findings == []
    bad = {
        "dtype": B.safetensors({"w": ("F99", [1], b"\0" * 4)}),
        "oob": B.safetensors(header_override={"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 999]}}),
        "overlap": B.safetensors(
            header_override={
                "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]},
            },
            trailing=b"\0" * 6,
        ),
        "gap": B.safetensors(trailing=b"\0" * 16),
        "shape": B.safetensors({"w": ("F32", [3], b"\0" * 4)}),
        "json": struct.pack("<Q", 6) + b"{nope}",
    }
    for name, data in bad.items():
        fmt, findings = scan(tmp_path, f"{name}.safetensors", data)
        assert "MLW510" in ids(findings), name
    for claimed in (200 * 1024 * 1024, 2**63):
        _, findings = scan(tmp_path, "huge.safetensors", struct.pack("<Q", claimed) + b'{"a": 1}')
        assert ids(findings) == {"MLW510"}
    fmt, findings = scan(tmp_path, "lie.safetensors", B.reduce_call("os", "system"))
    assert fmt == "pickle" and {"MLW501", "MLW513"} <= ids(findings)


def test_gguf_templates(tmp_path: Path) -> None:
    base = {
        "general.architecture": "llama",
        "llama.context_length": 4096,
        "general.flag": True,
        "tokenizer.ggml.tokens": ["<s>", "</s>", "a"],
        "tokenizer.ggml.token_type": [1, 1, 1],
    }
    fmt, findings = scan(tmp_path, "ok.gguf", B.gguf({**base, "tokenizer.chat_template": B.BENIGN_TEMPLATE}))
    assert fmt == "gguf" and findings == [], [f.message for f in findings]
    for i, tpl in enumerate(B.MALICIOUS_TEMPLATES):
        _, findings = scan(tmp_path, f"evil{i}.gguf", B.gguf({**base, "tokenizer.chat_template": tpl}))
        assert "MLW508" in ids(findings), tpl
        assert all(f.level == Severity.CRITICAL for f in findings if f.rule.id == "MLW508")
    _, findings = scan(
        tmp_path, "named.gguf", B.gguf({"tokenizer.chat_template.tool_use": B.MALICIOUS_TEMPLATES[0]})
    )
    assert "MLW508" in ids(findings)
    full = B.gguf({**base, "tokenizer.chat_template": B.BENIGN_TEMPLATE})
    for cut in (10, 30, len(full) - 5):
        _, findings = scan(tmp_path, "cut.gguf", full[:cut])
        assert "MLW511" in ids(findings)
    _, findings = scan(tmp_path, "big.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 2**40))
    assert "MLW511" in ids(findings)


def test_onnx_external_data(tmp_path: Path) -> None:
    fmt, findings = scan(tmp_path, "ok.onnx", B.onnx_model(["weights.bin", "sub/dir/w.bin"]))
    assert fmt == "onnx" and findings == []
    fmt, findings = scan(tmp_path, "inline.onnx", B.onnx_model(["x"], inline=True))
    assert findings == []
    for loc in ("../../etc/passwd", "/etc/shadow", "C:\\Windows\\win.ini", "a/../../b"):
        _, findings = scan(tmp_path, "bad.onnx", B.onnx_model(["ok.bin", loc]))
        assert [f.data["location"] for f in findings if f.rule.id == "MLW509"] == [loc]
    assert sniff(tmp_path / "bad.onnx") == "onnx"
    p = tmp_path / "renamed.bin"
    p.write_bytes(B.onnx_model(["../x"]))
    assert scan_file(p, "renamed.bin")[0] == "onnx"


def test_keras(tmp_path: Path) -> None:
    fmt, findings = scan(tmp_path, "ok.keras", B.keras_zip(B.keras_config([B.DENSE])))
    assert fmt == "keras" and findings == []
    _, findings = scan(tmp_path, "l.keras", B.keras_zip(B.keras_config([B.DENSE, B.LAMBDA_V3])))
    assert "MLW506" in ids(findings)
    _, findings = scan(tmp_path, "f.keras", B.keras_zip(B.keras_config([B.FUNCTION_OS])))
    f = next(f for f in findings if f.rule.id == "MLW507")
    assert f.level == Severity.CRITICAL and f.data["global"] == "os.system"
    legacy_lambda = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "Lambda",
                    "config": {
                        "name": "lam",
                        "function": ["4wEAAAAAAAAAAAAAAAEAAAAC", None, None],
                        "function_type": "lambda",
                    },
                }
            ],
        },
    }
    fmt, findings = scan(tmp_path, "m.h5", B.fake_h5(legacy_lambda))
    assert fmt == "keras-h5" and "MLW506" in ids(findings)
    fmt, findings = scan(tmp_path, "ok.h5", B.fake_h5({"class_name": "Sequential", "config": {"layers": []}}))
    assert fmt == "keras-h5" and findings == []
    fmt, findings = scan(tmp_path, "weights.h5", B.fake_h5(None))
    assert fmt == "hdf5" and findings == []
    broken = b"\x89HDF\r\n\x1a\n" + b"\0" * 64 + b"model_config\0" + b'{"class_name": "Seq' + b"\0" * 20
    _, findings = scan(tmp_path, "broken.h5", broken)
    assert "MLW511" in ids(findings)


def test_unknown_model_extension_is_not_called_clean(tmp_path: Path) -> None:
    fmt, findings = scan(tmp_path, "mystery.pt", b"\x01\x02\x03\x04 not a known format at all")
    assert fmt is None and "MLW511" in ids(findings)
    fmt, findings = scan(tmp_path, "notes.bin", b"hello world, plain text\n")
    assert "MLW511" in ids(findings)
    # an unknown-format file that hides a gadget import is still flagged
    _, findings = scan(tmp_path, "x.dat", b"\x01\x02junkjunk" + B.reduce_call("os", "system") + b"\x00tail")
    assert "os.system" in globals_of(findings)


def test_sniff_by_bytes_not_extension(tmp_path: Path) -> None:
    cases = {
        "a.txt": (B.reduce_call("os", "system"), "pickle"),
        "b.jpg": (B.safetensors(), "safetensors"),
        "c": (B.gguf({"k": 1}), "gguf"),
        "d.json": (B.torch_like_zip(B.BENIGN), "pytorch-zip"),
        "e.py": (b"import os\nprint(1)\n", None),
        "f.md": (b"# title\n", None),
        "g.bin": (
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }"
            + b" " * 50
            + b"\n",
            "numpy",
        ),
        "h": (b"cos\nsystem\n(S'echo'\ntR.", "pickle"),
    }
    for name, (data, fmt) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert sniff(tmp_path / name) == fmt, name


# ---- CLI and hook ------------------------------------------------------------------------------------------
def test_hook_main_directory_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "good.safetensors").write_bytes(B.safetensors())
    (tmp_path / "models" / "evil.bin").write_bytes(B.TECHNIQUES["pip_main"])
    (tmp_path / "models" / "readme.md").write_text("# docs\n")
    rc = main(["models", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert any(
        f["path"] == "models/evil.bin" and f["id"] == "MLW501" and f["data"]["global"] == "pip.main"
        for f in out["findings"]
    )
    assert out["meta"]["scan-models"]["formats"]["models/good.safetensors"] == "safetensors"
    rc = main(["models/good.safetensors"])
    assert rc == 0
    assert main(["models/evil.bin", "--fail-on", "critical", "--format", "text"]) == 1
    assert "pip.main" in capsys.readouterr().out
    (tmp_path / "pyproject.toml").write_text('[tool.mlwarden.scan-models]\nallow = ["__main__:Payload"]\n')
    (tmp_path / "models" / "evil.bin").write_bytes(B.TECHNIQUES["unknown_class_build"])
    assert main(["models/evil.bin"]) == 0
    assert main(["does-not-exist.pt"]) == 2


def test_parallel_and_serial_agree(tmp_path: Path) -> None:
    from mlwarden.checks.models import ScanModels
    from mlwarden.checks.models.scanner import ScanOptions

    files = []
    for i, name in enumerate(sorted(B.TECHNIQUES)[:12]):
        p = tmp_path / f"{i}.pkl"
        p.write_bytes(B.TECHNIQUES[name])
        files.append((str(p), p.name))
    serial = ScanModels._scan(files, ScanOptions(), 1)
    parallel = ScanModels._scan(files, ScanOptions(), 2)
    assert serial == parallel
    assert all(findings for _, findings in serial)


def test_real_hdf5_keras_files(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    np = pytest.importorskip("numpy")
    lam = {
        "class_name": "Lambda",
        "config": {"name": "lam", "function": ["4wEAAAAAAAAA", None, None], "function_type": "lambda"},
    }
    layers = [dict(B.DENSE, config=dict(B.DENSE["config"], name=f"d{i}")) for i in range(2000)]
    cases = {
        "ok.h5": ([B.DENSE], None),
        "lambda.h5": ([B.DENSE, lam], "MLW506"),
        "big_dense_storage.h5": ([*layers, lam], "MLW506"),
        "func.h5": ([B.FUNCTION_OS], "MLW507"),
    }
    for name, (lyrs, rule) in cases.items():
        with h5py.File(tmp_path / name, "w") as f:
            f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": lyrs}})
            f.attrs["keras_version"] = "2.15.0"
            f.create_group("model_weights").create_dataset("kernel", data=np.ones((64, 64)))
        fmt, findings = scan_file(tmp_path / name, name)
        assert fmt == "keras-h5", name
        assert ids(findings) == ({rule} if rule else set()), (name, [f.message for f in findings])
    with h5py.File(tmp_path / "data.h5", "w") as f:
        f.create_dataset("x", data=np.arange(10))
    assert scan_file(tmp_path / "data.h5", "data.h5") == ("hdf5", [])


def test_pickle_zip_polyglot(tmp_path: Path) -> None:
    # pickle loaders read the front, zip readers the central directory at the end: both are scanned
    poly = B.BENIGN + B.torch_like_zip(B.reduce_call("os", "system"), compress=zipfile.ZIP_DEFLATED)
    fmt, findings = scan(tmp_path, "poly.pt", poly)
    assert fmt == "pickle"
    assert "os.system" in globals_of(findings) and "MLW512" in ids(findings)


def test_encrypted_flag_does_not_hide_the_payload(tmp_path: Path) -> None:
    z = bytearray(B.torch_like_zip(B.reduce_call("os", "system")))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = z.find(sig)
        while i >= 0:
            struct.pack_into("<H", z, i + off, struct.unpack_from("<H", z, i + off)[0] | 1)
            i = z.find(sig, i + 4)
    _, findings = scan(tmp_path, "flag.pt", bytes(z))
    assert "os.system" in globals_of(findings) and "MLW512" in ids(findings)


def test_keras_internal_gadgets(tmp_path: Path) -> None:
    get_file = {
        "module": "keras.layers",
        "class_name": "Dense",
        "registered_name": None,
        "config": {
            "name": "d",
            "units": 1,
            "kernel_initializer": {
                "module": "keras.utils",
                "class_name": "function",
                "config": "get_file",
                "registered_name": "get_file",
            },
        },
    }
    _, findings = scan(tmp_path, "g.keras", B.keras_zip(B.keras_config([get_file])))
    f = next(f for f in findings if f.rule.id == "MLW507")
    assert f.data["global"] == "keras.utils.get_file" and f.level == Severity.CRITICAL


def test_protocol0_user_objects_flag_only_the_class(tmp_path: Path) -> None:
    # copyreg._reconstructor(cls, object, state): only the user class is outside the allowlist
    data = (
        b"ccopy_reg\n_reconstructor\np0\n(cmypkg.models\nNet\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n"
        b"(dp5\nVw\np6\nI3\nsb."
    )
    _, findings = scan(tmp_path, "old.pkl", data)
    assert globals_of(findings) == {"mypkg.models.Net"} and ids(findings) == {"MLW516"}
    assert "copyreg._reconstructor" in findings[0].message


def test_data_only_formats_and_generic_names(tmp_path: Path) -> None:
    # sentencepiece tokenizer.model (protobuf) and TFLite flatbuffers hold no code: no finding
    sp = B._field(1, B._field(1, b"\xe2\x96\x81the") + b"\x15\x00\x00\x80\xbf") * 20
    fmt, findings = scan(tmp_path, "tokenizer.model", sp)
    assert fmt == "sentencepiece" and findings == []
    fmt, findings = scan(tmp_path, "m.tflite", b"\x1c\x00\x00\x00TFL3" + b"\x00" * 64)
    assert fmt == "tflite" and findings == []
    fmt, findings = scan(tmp_path, "ggml-model-q4_0.bin", b"tjgg\x03\x00\x00\x00" + b"\x01" * 64)
    assert fmt == "ggml" and findings == []
    # raw tensor bytes under a generic name: reported for information only, a .pt name is medium
    _, findings = scan(tmp_path, "weights.bin", bytes(range(7, 256)) * 10)
    assert [f.level for f in findings] == [Severity.INFO]
    _, findings = scan(tmp_path, "weights.pt", bytes(range(7, 256)) * 10)
    assert [f.level for f in findings] == [Severity.MEDIUM]


def test_bundled_allowlist_covers_what_real_libraries_pickle() -> None:
    """Every global that real torch / numpy / scikit-learn / joblib / scipy (/ pandas) objects pickle to is
    allowlisted (no false alarms on real checkpoints); refresh with tests/models/harvest_allowlist.py."""
    pytest.importorskip("sklearn")
    from mlwarden.checks.models.classify import SAFE, Classifier

    from .harvest_allowlist import harvest_pickles

    classifier = Classifier()
    harvested = harvest_pickles()
    assert len(harvested) > 100
    missing = sorted(f"{m}:{n}" for m, n in harvested if classifier.classify(m, n)[0] != SAFE)
    assert missing == []


def test_old_formats_and_relative_tar_links(tmp_path: Path) -> None:
    # numpy headers written by Python 2 carry long literals
    hdr = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 2L), }"
    hdr += b" " * (-(len(hdr) + 11) % 16) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + b"\x00" * 32
    assert scan(tmp_path, "py2.npy", npy) == ("numpy", [])
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        link = tarfile.TarInfo("pkg/bin/tool")
        link.type = tarfile.SYMTYPE
        link.linkname = "../libexec/tool"  # stays inside the archive
        tf.addfile(link)
    assert scan(tmp_path, "ok.tar", buf.getvalue()) == ("tar", [])
    # a text file under a model name is information, not an alarm
    _, findings = scan(tmp_path, "paths.pth", b"import sys\n/usr/lib/python3/dist-packages\n")
    assert [f.level for f in findings] == [Severity.INFO]


def test_overlapping_entry_zip_bomb_is_bounded(tmp_path: Path) -> None:
    import time

    data = B.overlapping_zip(copies=2000, size=8 * 1024 * 1024)
    start = time.perf_counter()
    _, findings = scan(tmp_path, "overlap.pt", data)
    assert time.perf_counter() - start < 20
    assert any("share their data" in f.message for f in findings)


def test_nested_loader_payload_written_by_protocol_2(tmp_path: Path) -> None:
    # protocol 2 writes bytes as _codecs.encode(text, "latin1"): the nested file is still scanned
    inner = B.torch_like_zip(B.reduce_call("os", "system"))
    arg = B.call(B.glob0("_codecs", "encode"), B.su(inner.decode("latin-1")), B.su("latin1"))
    data = B.proto(2) + B.call(B.glob0("torch.storage", "_load_from_bytes"), arg) + b"."
    _, findings = scan(tmp_path, "nested2.pkl", data)
    assert "os.system" in globals_of(findings)
    # a payload the scanner cannot reconstruct is reported, not ignored
    data = (
        B.proto(2) + B.call(B.glob0("torch.storage", "_load_from_bytes"), B.glob0("builtins", "bytes")) + b"."
    )
    _, findings = scan(tmp_path, "nested3.pkl", data)
    assert "MLW505" in ids(findings)


def test_real_tensor_pickled_with_plain_pickle_is_clean(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    for proto in (2, 4, 5):
        _, findings = scan(tmp_path, f"t{proto}.pkl", pickle.dumps({"t": torch.arange(6.0)}, protocol=proto))
        assert findings == [], proto


def test_real_keras_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    np = pytest.importorskip("numpy")
    inp = keras.Input((4,))
    hidden = keras.layers.BatchNormalization()(keras.layers.Dense(8, activation="relu")(inp))
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(np.random.rand(8, 4), np.random.randint(0, 2, 8), epochs=1, verbose=0)
    lam = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Lambda(lambda t: t * 2)])
    for name, obj, rule in (
        ("ok.keras", model, None),
        ("ok.h5", model, None),
        ("lam.keras", lam, "MLW506"),
        ("lam.h5", lam, "MLW506"),
    ):
        obj.save(tmp_path / name)
        _, findings = scan_file(tmp_path / name, name)
        assert [f.rule.id for f in findings] == ([rule] if rule else []), (
            name,
            [f.message for f in findings],
        )


def test_broken_first_pickle_does_not_hide_the_next(tmp_path: Path) -> None:
    data = b"\x80\x02]q\x00\xff\xff" + b"JUNK" * 8 + B.reduce_call("subprocess", "check_output")
    _, findings = scan(tmp_path, "broken.pkl", data)
    assert "MLW503" in ids(findings) and "subprocess.check_output" in globals_of(findings)


def test_tfoplambda_lfs_pointers_gguf_arrays_and_fifos(tmp_path: Path) -> None:
    ok_op = {"class_name": "TFOpLambda", "config": {"name": "mul", "function": "math.multiply"}}
    bad_op = {"class_name": "TFOpLambda", "config": {"name": "w", "function": "io.write_file"}}
    _, findings = scan(tmp_path, "ok.keras", B.keras_zip(B.keras_config([ok_op])))
    assert findings == []
    _, findings = scan(tmp_path, "bad.keras", B.keras_zip(B.keras_config([bad_op])))
    assert [(f.rule.id, f.level) for f in findings] == [("MLW507", Severity.CRITICAL)]
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 123\n"
    fmt, findings = scan(tmp_path, "model.safetensors", pointer)
    assert fmt == "git-lfs-pointer" and [f.level for f in findings] == [Severity.INFO]
    _, findings = scan(
        tmp_path,
        "t.gguf",
        B.gguf({"tokenizer.chat_templates": [B.BENIGN_TEMPLATE, B.MALICIOUS_TEMPLATES[0]]}),
    )
    assert ids(findings) == {"MLW508"}
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    assert scan_file(fifo, "pipe.pt") == (None, [])  # never opened: a FIFO would block


def test_end_record_count_that_hides_entries(tmp_path: Path) -> None:
    # miniz trusts the entry count, Python's zipfile the directory size: both views are scanned
    z = bytearray(B.zip_of({"archive/version": b"3\n", "archive/extra.pkl": B.reduce_call("os", "system")}))
    eocd = z.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", z, eocd + 8, 1, 1)
    _, findings = scan(tmp_path, "count.pt", bytes(z))
    assert "os.system" in globals_of(findings)
    assert any("more entries" in f.message for f in findings)


def test_hostile_names_cannot_inject_terminal_escapes(tmp_path: Path) -> None:
    data = B.proto(4) + B.call(B.stack_global("os\x1b[2J", "system\nFAKE: clean"), B.su("x")) + b"."
    _, findings = scan(tmp_path, "esc.pkl", data)
    assert findings and all(f.message.isprintable() for f in findings)
    assert "\\x1b" in findings[0].message
