"""Weight formats that carry no pickle but can still hide code or lie about themselves:
NumPy headers, safetensors, GGUF (Jinja chat templates), ONNX (external data paths), Keras configs
(Lambda layers, foreign modules) in .keras zips and HDF5 files, TensorFlow graphs."""

from __future__ import annotations

import ast
import json
import re
import struct
from typing import Any

from mlwarden.checks.models import rules as R
from mlwarden.checks.models.classify import dangerous_reason
from mlwarden.checks.models.scanner import _SAFETENSORS_DTYPES, Region, Sink, _pb_fields
from mlwarden.core.findings import Severity

MiB = 1024 * 1024


# ------------------------------------------------------------------------------------------------
# NumPy .npy


def parse_npy_header(reg: Region) -> tuple[dict[str, Any], int]:
    head = reg.head(12)
    if len(head) < 10 or not head.startswith(b"\x93NUMPY"):
        raise ValueError("missing magic")
    major = head[6]
    if major == 1:
        hlen = struct.unpack_from("<H", head, 8)[0]
        off = 10
    elif major in (2, 3):
        if len(head) < 12:
            raise ValueError("truncated header")
        hlen = struct.unpack_from("<I", head, 8)[0]
        off = 12
    else:
        raise ValueError(f"unknown format version {major}")
    if hlen > 1 * MiB:
        raise ValueError(f"header of {hlen} bytes is implausibly large")
    raw = reg.read(off, hlen)
    if len(raw) < hlen:
        raise ValueError("truncated header")
    text = raw.decode("utf-8" if major == 3 else "latin-1", "replace")
    text = re.sub(r"(?<=\d)L\b", "", text)  # Python 2 long literals (2L) in old headers
    try:
        d = ast.literal_eval(text.strip())  # literals only: never evaluates code
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError) as exc:
        raise ValueError(f"header is not a Python literal ({type(exc).__name__})") from None
    if not isinstance(d, dict) or "descr" not in d:
        raise ValueError("header is not a dict with 'descr'")
    d = dict(d)
    d["object"] = _descr_has_object(d["descr"])
    return d, off + hlen


def _descr_has_object(descr: Any, depth: int = 0) -> bool:
    if depth > 32:
        return True
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, (list, tuple)):
        for item in descr:
            if isinstance(item, (list, tuple)) and len(item) >= 2:
                if _descr_has_object(item[1], depth + 1):
                    return True
            elif _descr_has_object(item, depth + 1):
                return True
    return False


# ------------------------------------------------------------------------------------------------
# safetensors


def scan_safetensors(reg: Region, member: str | None, sink: Sink) -> None:
    def bad(msg: str, offset: int | None = 0, sev: Severity | None = None) -> None:
        sink.add(R.SAFETENSORS_INVALID, msg, member=member, offset=offset, fmt="safetensors", severity=sev)

    n = struct.unpack_from("<Q", reg.head(8))[0]
    if n > 100 * MiB:
        bad(f"header length {n} exceeds the 100 MiB limit loaders enforce")
        return
    if n > reg.size - 8:
        bad(f"header length {n} is larger than the file ({reg.size} bytes)")
        return
    raw = reg.read(8, n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        bad(f"header is not valid UTF-8 JSON ({type(exc).__name__})", 8)
        return
    if not isinstance(header, dict):
        bad("header is not a JSON object", 8)
        return
    data_len = reg.size - 8 - n
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in info.items()
            ):
                bad("__metadata__ must map strings to strings", 8)
            continue
        if not isinstance(info, dict):
            bad(f"tensor {name!r}: entry is not an object", 8)
            continue
        dtype, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _SAFETENSORS_DTYPES:
            bad(f"tensor {name!r}: unknown dtype {dtype!r}", 8)
            continue
        if not isinstance(shape, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in shape
        ):
            bad(f"tensor {name!r}: shape must be a list of non-negative integers", 8)
            continue
        if not (
            isinstance(offs, list)
            and len(offs) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in offs)
        ):
            bad(f"tensor {name!r}: data_offsets must be [begin, end]", 8)
            continue
        b, e = offs
        if b < 0 or e < b or e > data_len:
            bad(f"tensor {name!r}: data_offsets [{b}, {e}] outside the {data_len}-byte data section", 8)
            continue
        count = 1
        for x in shape:
            count *= x
        nbits = count * _SAFETENSORS_DTYPES[str(dtype)]
        if (nbits + 7) // 8 != e - b:
            bad(f"tensor {name!r}: {e - b} bytes do not match shape {shape} of {dtype}", 8)
        spans.append((b, e, name))
    spans.sort()
    pos = 0
    for b, e, name in spans:
        if b < pos:
            bad(f"tensor {name!r} overlaps the previous tensor", 8)
        elif b > pos:
            bad(f"{b - pos} unaccounted bytes before tensor {name!r} in the data section", 8)
        pos = max(pos, e)
    if spans and pos < data_len:
        bad(f"{data_len - pos} bytes after the last tensor are not described by the header", 8 + n + pos)
    elif not spans and data_len > 0:
        bad(f"{data_len} bytes of data but no tensors in the header", 8 + n)


# ------------------------------------------------------------------------------------------------
# GGUF

_GGUF_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_SSTI = [
    (
        re.compile(
            r"__(class|mro|subclasses|globals|builtins|import|init|base|bases|dict|getattribute|"
            r"code|func|self|module|loader|spec|reduce|reduce_ex|call|getitem)__"
        ),
        "dunder attribute access",
    ),
    (re.compile(r"(\.|\[\s*['\"]|attr\s*\(\s*['\"])__\w+__"), "dunder attribute access"),
    (re.compile(r"\|\s*attr\b|(?<![\w.])attr\s*\("), "attr filter (attribute access by string)"),
    (
        re.compile(r"format\s*\([^)]*\b(95|0x5f)\b|\[\s*(['\"])_\2\s*,\s*(['\"])_\3"),
        "underscores built from character codes or lists (obfuscated attribute)",
    ),
    (
        re.compile(
            r"\b(cycler|joiner|namespace|lipsum|range|dict|self|config|request|url_for|"
            r"get_flashed_messages)\s*(\.|\[)\s*['\"]?_"
        ),
        "private attribute of a Jinja global",
    ),
    (re.compile(r"\\x5f|\\u005f|\\137|&#95;|\\x2e"), "escaped underscore or dot (obfuscated attribute)"),
    (
        re.compile(r"['\"]_['\"]\s*~|~\s*['\"]_|['\"]__['\"]|\['_{1,2}['\"]?\s*~"),
        "dunder name built by string concatenation",
    ),
    (
        re.compile(
            r"\b(popen|subprocess|os\.system|os\.popen|eval\s*\(|exec\s*\(|__import__|importlib|"
            r"func_globals|f_globals|gi_frame|tb_frame|co_code|check_output)\b"
        ),
        "command execution or interpreter internals",
    ),
]


def template_findings(template: str) -> list[str]:
    hits = []
    for rx, why in _SSTI:
        m = rx.search(template)
        if m:
            snippet = template[max(0, m.start() - 20) : m.end() + 20].replace("\n", " ")
            hits.append(f"{why}: ...{snippet}...")
    return hits


class _GGUFError(ValueError):
    pass


def scan_gguf(reg: Region, member: str | None, sink: Sink) -> None:
    size = reg.size
    pos = 4

    def need(n: int) -> None:
        if n < 0 or pos + n > size:
            raise _GGUFError(f"truncated at offset {pos} (needs {n} bytes)")

    def u32() -> int:
        nonlocal pos
        need(4)
        v = struct.unpack_from("<I", reg.read(pos, 4))[0]
        pos += 4
        return int(v)

    def u64() -> int:
        nonlocal pos
        need(8)
        v = struct.unpack_from("<Q", reg.read(pos, 8))[0]
        pos += 8
        return int(v)

    def string(keep: bool) -> str | None:
        nonlocal pos
        n = u64() if version >= 2 else u32()
        if n > 256 * MiB:
            raise _GGUFError(f"string length {n} at offset {pos} is implausible")
        need(n)
        s = reg.read(pos, n).decode("utf-8", "replace") if keep else None
        pos += n
        return s

    version = 0
    try:
        version = u32()
        if version not in (1, 2, 3):
            sink.add(R.UNSCANNABLE, f"unknown GGUF version {version}", member=member, offset=4, fmt="gguf")
            return
        if version >= 2:
            _n_tensors, n_kv = u64(), u64()
        else:
            _n_tensors, n_kv = u32(), u32()
        if n_kv > 1_000_000:
            raise _GGUFError(f"{n_kv} metadata entries is implausible")
        for _ in range(n_kv):
            key_off = pos
            key = string(True) or ""
            vtype = u32()
            want = key.startswith("tokenizer.chat_template") or key.endswith("chat_template")
            if vtype == 8:
                val_off = pos
                val = string(want)
                if want and val is not None:
                    for hit in template_findings(val):
                        sink.add(
                            R.GGUF_TEMPLATE,
                            f"metadata {key!r}: {hit}",
                            member=member,
                            offset=val_off,
                            fmt="gguf",
                            key=key,
                        )
            elif vtype in _GGUF_FIXED:
                need(_GGUF_FIXED[vtype])
                pos += _GGUF_FIXED[vtype]
            elif vtype == 9:
                itype = u32()
                count = u64() if version >= 2 else u32()
                if itype in _GGUF_FIXED:
                    need(count * _GGUF_FIXED[itype])
                    pos += count * _GGUF_FIXED[itype]
                elif itype == 8:
                    if count > size:
                        raise _GGUFError(f"array of {count} strings is larger than the file")
                    for _ in range(count):
                        item_off = pos
                        item = string(want)
                        for hit in template_findings(item) if want and item else ():
                            sink.add(
                                R.GGUF_TEMPLATE,
                                f"metadata {key!r}: {hit}",
                                member=member,
                                offset=item_off,
                                fmt="gguf",
                                key=key,
                            )
                else:
                    raise _GGUFError(f"unsupported array item type {itype} for key {key!r}")
            else:
                raise _GGUFError(f"unknown value type {vtype} for key {key!r} at offset {key_off}")
    except (_GGUFError, struct.error) as exc:
        sink.add(R.UNSCANNABLE, f"malformed GGUF metadata: {exc}", member=member, offset=pos, fmt="gguf")


# ------------------------------------------------------------------------------------------------
# ONNX


def _str(reg: Region, span: tuple[int, int]) -> str:
    return reg.read(span[0], span[1]).decode("utf-8", "replace")


def scan_onnx(reg: Region, member: str | None, sink: Sink) -> None:
    seen: set[str] = set()

    def bad_location(loc: str) -> str:
        norm = loc.replace("\\", "/")
        if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or norm.startswith("//"):
            return "absolute path"
        if ".." in norm.split("/"):
            return "climbs out with '..'"
        if "\x00" in norm:
            return "NUL byte"
        if re.match(r"^[a-z][a-z0-9+.-]*://", norm, re.I) or norm.startswith("~"):
            return "URL or home-relative path"
        return ""

    def tensor(a: int, b: int, depth: int) -> None:
        name = ""
        for fno, wt, val in _pb_fields(reg, a, b):
            if fno == 8 and wt == 2:
                name = _str(reg, val)
            elif fno == 13 and wt == 2:
                key = value = ""
                for f2, w2, v2 in _pb_fields(reg, val[0], val[0] + val[1]):
                    if w2 == 2 and f2 == 1:
                        key = _str(reg, v2)
                    elif w2 == 2 and f2 == 2:
                        value = _str(reg, v2)
                if key == "location":
                    why = bad_location(value)
                    if why and value not in seen:
                        seen.add(value)
                        sink.add(
                            R.ONNX_EXTERNAL,
                            f"tensor {name!r} loads external data from {value!r} ({why})",
                            member=member,
                            offset=val[0],
                            fmt="onnx",
                            location=value,
                        )

    def graph(a: int, b: int, depth: int) -> None:
        if depth > 32:
            raise ValueError("graphs nested too deeply")
        for fno, wt, val in _pb_fields(reg, a, b):
            if wt != 2:
                continue
            s, n = val
            if fno == 5:  # initializer
                tensor(s, s + n, depth)
            elif fno == 15:  # sparse_initializer
                sparse(s, s + n, depth)
            elif fno == 1:  # node
                node(s, s + n, depth)

    def sparse(a: int, b: int, depth: int) -> None:
        for fno, wt, val in _pb_fields(reg, a, b):
            if wt == 2 and fno in (1, 2):
                tensor(val[0], val[0] + val[1], depth)

    def node(a: int, b: int, depth: int) -> None:
        for fno, wt, val in _pb_fields(reg, a, b):
            if fno == 5 and wt == 2:  # attribute
                attribute(val[0], val[0] + val[1], depth)

    def attribute(a: int, b: int, depth: int) -> None:
        for fno, wt, val in _pb_fields(reg, a, b):
            if wt != 2:
                continue
            s, n = val
            if fno in (5, 10):
                tensor(s, s + n, depth)
            elif fno in (6, 11):
                graph(s, s + n, depth + 1)
            elif fno in (22, 23):
                sparse(s, s + n, depth)

    try:
        for fno, wt, val in _pb_fields(reg, 0, reg.size):
            if wt != 2:
                continue
            s, n = val
            if fno == 7:
                graph(s, s + n, 0)
            elif fno == 20:  # training_info: initialization (1) and algorithm (2) graphs
                for f2, w2, v2 in _pb_fields(reg, s, s + n):
                    if w2 == 2 and f2 in (1, 2):
                        graph(v2[0], v2[0] + v2[1], 1)
            elif fno == 25:  # functions: nodes are field 7
                for f2, w2, v2 in _pb_fields(reg, s, s + n):
                    if w2 == 2 and f2 == 7:
                        node(v2[0], v2[0] + v2[1], 1)
    except (ValueError, IndexError, RecursionError) as exc:
        sink.add(R.UNSCANNABLE, f"malformed ONNX protobuf: {exc}", member=member, offset=None, fmt="onnx")


# ------------------------------------------------------------------------------------------------
# Keras

_KERAS_MODULES = ("keras", "tf_keras", "tensorflow.keras", "tensorflow.python.keras")
_SPECIAL_CLASSES = frozenset(
    {
        "__tuple__",
        "__bytes__",
        "__numpy__",
        "__tensor__",
        "__typespec__",
        "__ellipsis__",
        "__slice__",
        "__complex__",
        "__dict__",
    }
)


# functions inside Keras itself that a config must never name (CVE-2025-8747: keras.utils.get_file)
_KERAS_GADGETS = frozenset(
    {
        "get_file",
        "load_model",
        "load_weights",
        "enable_unsafe_deserialization",
        "save_model",
        "load_img",
        "save_img",
        "model_from_json",
        "model_from_yaml",
        "deserialize_keras_object",
        "register_keras_serializable",
        "get_custom_objects",
        "set_session",
        "set_global_attribute",  # CVE-2025-9906: turns safe_mode_saving off
        "func_load",
        "exec",
        "eval",
        "system",
        "popen",
    }
)


# tf.* functions a TFOpLambda layer may name that reach files or Python
_TF_OP_GADGETS = (
    "io.",
    "gfile",
    "write_file",
    "read_file",
    "py_func",
    "numpy_function",
    "py_function",
    "debugging.",
    "print",
    "compat.v1.",
    "saved_model",
    "summary.",
    "data.experimental",
)


# Python modules with no tf.* namespace of the same name
_PY_NOT_TF = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "builtins",
        "__builtin__",
        "sys",
        "runpy",
        "importlib",
        "pty",
        "shutil",
        "socket",
        "pickle",
        "marshal",
        "ctypes",
        "code",
        "pdb",
        "webbrowser",
        "pydoc",
        "pip",
        "eval",
        "exec",
        "getattr",
        "__import__",
        "open",
        "compile",
    }
)


def _names_python_gadget(dotted: str) -> bool:
    """A TFOpLambda function written as a Python path (``os.system``, ``builtins.eval``, dunders)."""
    parts = dotted.split(".")
    if any(p.startswith("__") and p != "__operators__" for p in parts):
        return True
    return parts[0] in _PY_NOT_TF


_ORIGIN_KEYS = ("origin", "url", "download_url", "weights_url")
_URL = re.compile(r"(?i)(https?|ftp|s3|gs|hf|hdfs)://")


def _keras_safe_module(mod: str) -> bool:
    return any(mod == m or mod.startswith(m + ".") for m in _KERAS_MODULES)


def keras_config_findings(cfg: Any, member: str | None, sink: Sink, fmt: str, offset: int | None) -> None:
    stack: list[tuple[Any, str, int]] = [(cfg, "", 0)]
    seen: set[tuple[str, str]] = set()

    def once(kind: str, what: str) -> bool:
        if (kind, what) in seen:
            return False
        seen.add((kind, what))
        return True

    lambda_paths: list[str] = []
    budget = 2_000_000
    while stack and budget > 0:
        node, path, depth = stack.pop()
        budget -= 1
        if depth > 200:
            continue
        if isinstance(node, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        cls = node.get("class_name")
        conf0 = node.get("config")
        name = node.get("name") or (conf0.get("name") if isinstance(conf0, dict) else None)
        if cls in ("TFOpLambda", "SlicingOpLambda") and isinstance(conf0, dict):
            op_fn = str(conf0.get("function", ""))
            if (any(t in op_fn for t in _TF_OP_GADGETS) or _names_python_gadget(op_fn)) and once(
                "tfop", f"{path}:{op_fn}"
            ):
                sink.add(
                    R.KERAS_MODULE,
                    f"TFOpLambda layer {name!r} at {path or 'top'} calls tf.{op_fn} (file, "
                    "Python or I/O access)",
                    member=member,
                    offset=offset,
                    fmt=fmt,
                    glob=f"tensorflow.{op_fn}",
                    severity=Severity.CRITICAL,
                )
        if isinstance(cls, str) and cls.rsplit(">", 1)[-1] == "TFSMLayer" and once("external", path):
            where = conf0.get("filepath") if isinstance(conf0, dict) else None
            sink.add(
                R.KERAS_EXTERNAL,
                f"TFSMLayer {name!r} at {path or 'top'} loads a TensorFlow SavedModel from "
                f"{where!r} outside the archive (CVE-2026-1462): its graph and functions run on load",
                member=member,
                offset=offset,
                fmt=fmt,
                layer=name,
            )
        for key in _ORIGIN_KEYS:
            val = node.get(key)
            if isinstance(val, str) and _URL.match(val) and once("external", f"{path}.{key}"):
                sink.add(
                    R.KERAS_EXTERNAL,
                    f"config at {path or 'top'} names a download {key} {val[:200]!r}: loading fetches a "
                    "file from outside the archive (keras.utils.get_file)",
                    member=member,
                    offset=offset,
                    fmt=fmt,
                )
        if cls == "Lambda" or cls == "__lambda__" or (isinstance(cls, str) and cls.endswith(">Lambda")):
            conf = node.get("config")
            detail = "marshalled Python bytecode"
            if isinstance(conf, dict):
                fn = conf.get("function")
                if isinstance(fn, dict) and fn.get("class_name") in ("function", "builtins.function"):
                    detail = f"function reference {fn.get('module')}.{fn.get('config')}"
                elif isinstance(fn, str) and conf.get("function_type") == "raw":
                    detail = f"function reference {fn!r}"
            inside = any(path.startswith(p + ".") or path.startswith(p + "[") for p in lambda_paths)
            lambda_paths.append(path)
            if not inside and once("lambda", f"{path}:{name}"):
                sink.add(
                    R.KERAS_LAMBDA,
                    f"Lambda layer {name!r} at {path or 'top'} carries {detail}",
                    member=member,
                    offset=offset,
                    fmt=fmt,
                    layer=name,
                )
        mod = node.get("module")
        fn_name = node.get("config") if isinstance(node.get("config"), str) else None
        if isinstance(mod, str) and _keras_safe_module(mod) and (fn_name or cls) in _KERAS_GADGETS:
            glob = f"{mod}.{fn_name or cls}"
            if once("module", glob):
                sink.add(
                    R.KERAS_MODULE,
                    f"config at {path or 'top'} calls {glob}: a Keras function that downloads, loads or "
                    "writes files or turns off safe mode",
                    member=member,
                    offset=offset,
                    fmt=fmt,
                    glob=glob,
                    severity=Severity.CRITICAL,
                )
        if isinstance(mod, str) and mod and isinstance(cls, str) and not _keras_safe_module(mod):
            target = node.get("config") if cls == "function" and isinstance(node.get("config"), str) else cls
            glob = f"{mod}.{target}"
            reason = dangerous_reason(mod, str(target))
            if once("module", glob):
                sink.add(
                    R.KERAS_MODULE,
                    f"config at {path or 'top'} imports {glob} from outside Keras"
                    + (f": {reason}" if reason else ""),
                    member=member,
                    offset=offset,
                    fmt=fmt,
                    glob=glob,
                    severity=Severity.CRITICAL if reason else None,
                )
        reg_name = node.get("registered_name")
        if (
            isinstance(reg_name, str)
            and reg_name
            and not isinstance(mod, str)
            and cls not in _SPECIAL_CLASSES
            and ">" in reg_name
            and not reg_name.lower().startswith("keras")
        ):
            if once("custom", reg_name):
                sink.add(
                    R.KERAS_CUSTOM,
                    f"custom object {reg_name!r} at {path or 'top'} needs its code to load",
                    member=member,
                    offset=offset,
                    fmt=fmt,
                )
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                stack.append((v, f"{path}.{k}" if path else str(k), depth + 1))


def scan_keras_json(reg: Region, member: str | None, sink: Sink, fmt: str) -> None:
    if reg.size > 256 * MiB:
        sink.add(
            R.UNSCANNABLE, "Keras config larger than 256 MiB was not parsed", member=member, offset=0, fmt=fmt
        )
        return
    try:
        cfg = json.loads(reg.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        sink.add(
            R.UNSCANNABLE,
            f"Keras config is not valid JSON ({type(exc).__name__})",
            member=member,
            offset=0,
            fmt=fmt,
        )
        _raw_lambda_search(reg, member, sink, fmt)
        return
    keras_config_findings(cfg, member, sink, fmt, None)


_LAMBDA_RAW = re.compile(rb'"class_name"\s*:\s*"(Lambda|__lambda__)"')


def _raw_lambda_search(reg: Region, member: str | None, sink: Sink, fmt: str) -> bool:
    i = reg.find(b'"class_name"')
    found = False
    while i >= 0:
        m = _LAMBDA_RAW.match(reg.read(i, 64))
        if m:
            sink.add(
                R.KERAS_LAMBDA,
                f"Lambda layer ({m.group(1).decode()}) in an unparsed model config",
                member=member,
                offset=i,
                fmt=fmt,
            )
            found = True
            break
        i = reg.find(b'"class_name"', i + 12)
    return found


def _json_object_at(reg: Region, start: int, cap: int) -> tuple[Any, int] | None:
    """The JSON value starting at ``start`` and its length in bytes, reading at most ``cap`` bytes."""
    size = 1 << 20
    decoder = json.JSONDecoder()
    while True:
        raw = reg.read(start, min(size, cap))
        text = raw.decode("utf-8", "replace")
        try:
            obj, end = decoder.raw_decode(text)
        except (ValueError, RecursionError):
            if len(raw) < min(size, cap) or size >= cap:
                return None  # not JSON, or truncated at the end of the file / the cap
            size *= 4
            continue
        return obj, len(text[:end].encode("utf-8", "replace"))


def scan_hdf5(reg: Region, member: str | None, sink: Sink) -> str:
    """Keras HDF5 models keep their architecture as a JSON string attribute (``model_config``); HDF5 stores
    attribute values contiguously, so the JSON is found in the raw bytes without an HDF5 library."""
    fmt = "hdf5"
    has_config = reg.find(b"model_config") >= 0
    starts: list[int] = []
    i = reg.find(b'{"class_name"')
    while i >= 0 and len(starts) < 64:
        starts.append(i)
        i = reg.find(b'{"class_name"', i + 1)
    # a config whose keys come in another order ({"module": ..., "class_name": ...}): the JSON object that
    # follows the attribute name
    j = reg.find(b"model_config")
    for _ in range(16):
        if j < 0:
            break
        k = reg.find(b'{"', j, j + 4096)
        if k >= 0 and k not in starts:
            starts.append(k)
        j = reg.find(b"model_config", j + 12)
    starts.sort()
    parsed = 0
    covered = -1
    for s in starts:
        if s < covered:
            continue  # a layer inside a config already parsed
        got = _json_object_at(reg, s, 256 * MiB)
        if got is None:
            continue
        cfg, length = got
        parsed += 1
        covered = s + length
        fmt = "keras-h5"
        keras_config_findings(cfg, member, sink, fmt, s)
    if has_config and not parsed:
        if not _raw_lambda_search(reg, member, sink, "keras-h5"):
            sink.add(
                R.UNSCANNABLE,
                "HDF5 file has a model_config attribute that could not be parsed "
                "(compressed or unusual layout): not fully scanned",
                member=member,
                offset=None,
                fmt="keras-h5",
            )
        fmt = "keras-h5"
    return fmt


# ------------------------------------------------------------------------------------------------
# TensorFlow graphs

_TF_OPS = (
    b"ReadFile",
    b"WriteFile",
    b"PyFunc",
    b"EagerPyFunc",
    b"PyFuncStateless",
    b"MatchingFiles",
    b"DeleteFile",
    b"ImmutableConst",
)


def scan_tf_pb(reg: Region, member: str | None, sink: Sink) -> None:
    found: list[tuple[str, int]] = []
    for op in _TF_OPS:
        i = reg.find(b"\x12" + bytes([len(op)]) + op)  # NodeDef.op is field 2
        if i >= 0:
            found.append((op.decode(), i))
    _raw_lambda_search(reg, member, sink, "tensorflow")  # keras_metadata.pb / saved_model.pb Keras layers
    for opname, off in found:
        sink.add(
            R.UNSCANNABLE,
            f"TensorFlow graph uses the {opname} op (file or Python access at run time)",
            member=member,
            offset=off,
            fmt="tensorflow",
            severity=Severity.HIGH,
        )
    sink.add(
        R.UNSCANNABLE,
        "TensorFlow protobuf graph: only file and Python ops were looked for",
        member=member,
        offset=None,
        fmt="tensorflow",
        severity=Severity.INFO,
    )
