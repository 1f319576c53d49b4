"""Mutated valid model files (hypothesis): the scanner must never raise, hang, or hit its internal-error
safety net, whatever the bytes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlwarden.checks.models.scanner import Region, Scanner, ScanOptions, Sink

from . import builders as B


def _seeds() -> list[bytes]:
    seeds = [
        B.BENIGN,
        B.TECHNIQUES["memo_indirect"],
        B.TECHNIQUES["global_proto0"],
        B.TECHNIQUES["newobj_ex"],
        B.torch_like_zip(B.reduce_call("os", "system")),
        B.duplicate_member_zip(B.BENIGN, B.BENIGN),
        B.safetensors(),
        B.gguf(
            {"general.name": "x", "tokenizer.chat_template": B.BENIGN_TEMPLATE, "a": [1, 2], "t": ["a", "b"]}
        ),
        B.onnx_model(["w.bin", "../x"]),
        B.keras_zip(B.keras_config([B.DENSE, B.LAMBDA_V3])),
        B.fake_h5(B.keras_config([B.DENSE])),
        b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
        + b" " * 50
        + b"\n"
        + B.BENIGN,
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.npy", seeds[-1])
        zf.writestr("nested.pt", seeds[4])
    seeds.append(buf.getvalue())
    return seeds


SEEDS = _seeds()
SCANNER = Scanner(ScanOptions(max_opcodes=200_000, max_decompressed=8 * 1024 * 1024))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.integers(0, 4))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == 0 and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == 1:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == 2:
            del data[pos : pos + draw(st.integers(1, 64))]
        elif kind == 3:
            data = data[:pos]
        else:  # plant a huge length
            data[pos : pos + 8] = draw(
                st.sampled_from([b"\xff" * 8, b"\x00\x00\x00\x80" * 2, b"\xff\xff\xff\x7f" * 2])
            )
    return bytes(data)


def _scan_bytes(data: bytes, name: str) -> list:
    sink = Sink(name)
    SCANNER.inflate_budget = 64 * 1024 * 1024
    SCANNER.scan_region(Region(data, 0, len(data)), name, None, sink, 0)
    return sink.findings


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=mutated(),
    name=st.sampled_from(
        ["m.pt", "m.pkl", "m.safetensors", "m.gguf", "m.onnx", "m.keras", "m.h5", "m.npy", "m.bin", "m"]
    ),
)
def test_mutated_files_never_raise(data: bytes, name: str) -> None:
    _scan_bytes(data, name)  # any exception fails the test (no safety net here)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes_never_raise(data: bytes) -> None:
    _scan_bytes(data, "random.bin")
    _scan_bytes(b"\x80\x04" + data, "random.pkl")
    _scan_bytes(b"PK\x03\x04" + data, "random.zip")


def test_scan_file_on_mutations_has_no_internal_errors(tmp_path: Path) -> None:
    from mlwarden.checks.models import scan_file, sniff

    for i, seed in enumerate(SEEDS):
        for cut in range(1, len(seed), max(1, len(seed) // 40)):
            p = tmp_path / f"s{i}.bin"
            p.write_bytes(seed[:cut])
            _, findings = scan_file(p, p.name)
            assert not any("internal error" in f.message for f in findings), (i, cut)
            sniff(p)  # the public sniffing API never raises either
