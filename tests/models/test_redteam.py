"""Red-team pass over scan-models: published scanner bypasses (picklescan / modelscan / fickling /
modelaudit advisories and issues) rebuilt by hand as fixtures, and real benign files from the libraries
installed here. Malicious payloads only ever ``echo``; nothing here is unpickled or loaded."""

from __future__ import annotations

import bz2
import collections
import datetime
import decimal
import fractions
import gzip
import io
import json
import lzma
import pickle
import struct
import tarfile
import uuid
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest

from mlwarden.checks.models import scan_file
from mlwarden.core.findings import Finding, Severity

from . import builders as B
from .builders import PAYLOAD, call, glob0, proto, reduce_call, stack_call, stack_global, su


def scan(tmp_path: Path, name: str, data: bytes) -> list[Finding]:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return scan_file(p, name)[1]


def worst(findings: list[Finding]) -> Severity:
    return max((f.level for f in findings), default=Severity.INFO)


def above_info(findings: list[Finding]) -> list[str]:
    return sorted(f"{f.rule.slug}: {f.message}" for f in findings if f.level > Severity.INFO)


def globals_of(findings: list[Finding]) -> set[str]:
    return {f.data["global"] for f in findings if f.data.get("global")}


# ---- 1. known gadgets: every published denylist bypass is critical -----------------------------------
# (module, name) pairs from picklescan / modelscan / fickling / modelaudit advisories and issues
KNOWN_GADGETS: list[tuple[str, str]] = [
    ("pip", "main"),
    ("pip._internal.cli.main", "main"),
    ("pydoc", "pipepager"),
    ("pydoc", "tempfilepager"),
    ("torch.utils.bottleneck.__main__", "run_cprofile"),
    ("torch.utils.bottleneck.__main__", "run_autograd_prof"),
    ("torch._inductor.codecache", "compile_file"),
    ("torch._inductor.codecache", "PyCodeCache.load"),
    ("torch.utils.cpp_extension", "load_inline"),
    ("torch.jit.unsupported_tensor_ops", "execWrapper"),
    ("torch._dynamo.guards", "GuardBuilder.get"),
    ("torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression"),
    ("torch.utils.data.datapipes.utils.decoder", "basichandlers"),
    ("torch.utils._import_utils", "import_dill"),
    ("torch.serialization", "load"),
    ("torch.storage", "_load_from_bytes.__globals__"),
    ("numpy.f2py.crackfortran", "myeval"),
    ("numpy.f2py.capi_maps", "getinit"),
    ("numpy.testing._private.utils", "runstring"),
    ("numpy.lib._utils_impl", "safe_eval"),
    ("numpy.distutils.exec_command", "exec_command"),
    ("numpy", "load"),
    ("asyncio.unix_events", "_UnixSubprocessTransport._start"),
    ("asyncio.subprocess", "create_subprocess_exec"),
    ("asyncio.base_events", "BaseEventLoop.subprocess_shell"),
    ("cProfile", "run"),
    ("cProfile", "runctx"),
    ("profile", "run"),
    ("profile", "Profile.run"),
    ("timeit", "timeit"),
    ("timeit", "Timer.timeit"),
    ("idlelib.pyshell", "ModifiedInterpreter.runcode"),
    ("idlelib.debugobj", "ObjectTreeItem.SetText"),
    ("idlelib.run", "Executive.runcode"),
    ("idlelib.calltip", "get_entity"),
    ("idlelib.autocomplete", "AutoComplete.get_entity"),
    ("lib2to3.pgen2.grammar", "Grammar.loads"),
    ("lib2to3.pgen2.pgen", "ParserGenerator.make_label"),
    ("distutils.file_util", "write_file"),
    ("ensurepip", "_run_pip"),
    ("ensurepip", "bootstrap"),
    ("venv", "EnvBuilder.create"),
    ("venv", "create"),
    ("trace", "Trace.run"),
    ("trace", "Trace.runctx"),
    ("doctest", "debug_script"),
    ("doctest", "script_from_examples"),
    ("code", "interact"),
    ("code", "InteractiveInterpreter.runcode"),
    ("code", "InteractiveInterpreter.runsource"),
    ("codeop", "compile_command"),
    ("pdb", "run"),
    ("pdb", "Pdb.run"),
    ("bdb", "Bdb.run"),
    ("bdb", "Bdb.runctx"),
    ("_posixsubprocess", "fork_exec"),
    ("multiprocessing.util", "spawnv_passfds"),
    ("multiprocessing.popen_fork", "Popen"),
    ("_multiprocessing", "sem_unlink"),
    ("uuid", "_get_command_stdout"),
    ("_pyrepl.pager", "pipe_pager"),
    ("_pyrepl.pager", "tempfile_pager"),
    ("_pyrepl.simple_interact", "run_multiline_interactive_console"),
    ("_pyrepl.console", "InteractiveColoredConsole.runsource"),
    ("platform", "_syscmd_file"),
    ("platform", "_syscmd_ver"),
    ("ctypes", "CDLL"),
    ("ctypes", "cdll.LoadLibrary"),
    ("ctypes.util", "find_library"),
    ("_ctypes", "dlopen"),
    ("shutil", "copyfile"),
    ("shutil", "move"),
    ("shutil", "unpack_archive"),
    ("tempfile", "mkstemp"),
    ("tempfile", "_TemporaryFileWrapper"),
    ("zipimport", "zipimporter"),
    ("zipimport", "zipimporter.load_module"),
    ("importlib", "import_module"),
    ("importlib.machinery", "SourceFileLoader"),
    ("importlib._bootstrap", "_load"),
    ("importlib.util", "spec_from_file_location"),
    ("sysconfig", "get_config_vars"),
    ("logging.config", "listen"),
    ("logging.config", "dictConfig"),
    ("logging.config", "fileConfig"),
    ("logging.handlers", "SocketHandler"),
    ("logging.handlers", "HTTPHandler"),
    ("logging.handlers", "RotatingFileHandler"),
    ("logging", "FileHandler"),
    ("operator", "attrgetter"),
    ("operator", "methodcaller"),
    ("operator", "itemgetter"),
    ("_operator", "attrgetter"),
    ("functools", "partial"),
    ("functools", "reduce"),
    ("_functools", "reduce"),
    ("builtins", "getattr"),
    ("builtins", "setattr"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "compile"),
    ("builtins", "__import__"),
    ("builtins", "open"),
    ("builtins", "breakpoint"),
    ("builtins", "globals"),
    ("builtins", "vars"),
    ("builtins", "help"),
    ("builtins", "object.__subclasses__"),
    ("builtins", "dict.__class__.__subclasses__"),
    ("__builtin__", "eval"),
    ("__builtin__", "execfile"),
    ("os", "system"),
    ("os", "popen"),
    ("os", "execvp"),
    ("os.path", "exists"),
    ("posix", "system"),
    ("nt", "system"),
    ("subprocess", "run"),
    ("subprocess", "Popen"),
    ("pty", "spawn"),
    ("runpy", "run_path"),
    ("runpy", "_run_module_code"),
    ("sys", "modules.get"),
    ("site", "main"),
    ("pkgutil", "resolve_name"),
    ("types", "FunctionType"),
    ("types", "CodeType"),
    ("marshal", "loads"),
    ("pickle", "loads"),
    ("_pickle", "loads"),
    ("dill", "loads"),
    ("cloudpickle", "loads"),
    ("joblib", "load"),
    ("pandas", "read_pickle"),
    ("pandas.io.pickle", "read_pickle"),
    ("pandas", "read_csv"),
    ("pandas.core.computation.eval", "eval"),
    ("webbrowser", "open"),
    ("socket", "create_connection"),
    ("http.client", "HTTPConnection"),
    ("urllib.request", "urlopen"),
    ("smtplib", "SMTP"),
    ("ftplib", "FTP"),
    ("requests.api", "get"),
    ("xmlrpc.client", "ServerProxy"),
    ("signal", "raise_signal"),
    ("threading", "Thread"),
    ("_thread", "start_new_thread"),
    ("gc", "get_objects"),
    ("inspect", "getsource"),
    ("glob", "glob"),
    ("io", "open"),
    ("_io", "FileIO"),
    ("codecs", "open"),
    ("fileinput", "input"),
    ("pathlib", "Path.write_text"),
    ("pathlib", "Path.unlink"),
    ("tarfile", "open"),
    ("zipfile", "ZipFile.extractall"),
    ("yaml", "unsafe_load"),
    ("jinja2", "Template.render"),
    ("cmd", "Cmd.onecmd"),
    ("rlcompleter", "Completer.complete"),
    ("mailcap", "findmatch"),
    ("pipes", "Template"),
    ("sklearn.utils._testing", "assert_run_python_script_without_output"),
    ("keras.src.utils.python_utils", "func_load"),
    ("pkg_resources", "load_entry_point"),
    ("atexit", "register"),
    ("torch", "os.system"),
    ("numpy", "testing._private.utils.runstring"),
    ("collections", "OrderedDict.__init__.__globals__"),
    ("torch.nn.modules.module", "Module.__init__.__globals__"),
    ("copyreg", "add_extension"),
    ("IPython", "embed"),
    ("antigravity", "geohash"),
    # modelscan issue 338 (real Hugging Face files)
    ("torch.utils.collect_env", "run"),
    ("mlflow.projects.backend.local", "_run_entry_point"),
    ("pandas.io.parsers.readers", "read_csv"),
    ("urllib.request", "urlretrieve"),
    # picklescan 1.0.4 advisories: stdlib modules that run commands
    ("imaplib", "IMAP4_stream"),
    ("_osx_support", "_read_output"),
    ("_aix_support", "_read_cmd_output"),
    ("pkgutil", "resolve_name"),
    ("_interpreters", "run_string"),
    ("_xxsubinterpreters", "run_string"),
]


def _shapes(module: str, name: str) -> dict[str, bytes]:
    """The same call written through each import opcode a scanner must resolve."""
    return {
        "global": reduce_call(module, name),
        "stack_global": stack_call(module, name),
        "inst": b"(S'" + PAYLOAD.encode() + b"'\ni" + module.encode() + b"\n" + name.encode() + b"\n.",
    }


@pytest.mark.parametrize(("module", "name"), KNOWN_GADGETS, ids=[f"{m}:{n}" for m, n in KNOWN_GADGETS])
def test_known_gadgets_are_critical(tmp_path: Path, module: str, name: str) -> None:
    for shape, data in _shapes(module, name).items():
        if shape == "inst" and "." in name:
            continue  # INST resolves dotted names too, but GLOBAL/STACK_GLOBAL already cover them
        findings = scan(tmp_path, f"{shape}.pkl", data)
        assert worst(findings) == Severity.CRITICAL, (shape, above_info(findings))
        assert f"{module}.{name}" in globals_of(findings)


# Library or stdlib globals no list names: unknown, so high (never clean)
UNKNOWN_BUT_SUSPICIOUS: list[tuple[str, str]] = [
    ("__main__", "Payload"),
    ("builtins", "type"),
    ("builtins", "map"),
    ("torch._C", "_jit_set_profiling_mode"),
    ("torch", "_C._jit_set_profiling_executor"),
    ("torch.overrides", "handle_torch_function"),
    ("collections", "OrderedDict.fromkeys"),
    ("torch.nn.modules.module", "Module.register_forward_hook"),
    ("numpy", "core.multiarray._reconstruct.x"),
    ("itertools", "starmap"),
    ("attacker_package.payload", "run"),
]


@pytest.mark.parametrize(
    ("module", "name"), UNKNOWN_BUT_SUSPICIOUS, ids=[f"{m}:{n}" for m, n in UNKNOWN_BUT_SUSPICIOUS]
)
def test_unlisted_globals_are_at_least_high(tmp_path: Path, module: str, name: str) -> None:
    findings = scan(tmp_path, "x.pkl", stack_call(module, name))
    assert worst(findings) >= Severity.HIGH, above_info(findings)


# ---- 2. VM tricks ---------------------------------------------------------------------------------------
def _getattr_call(target: bytes, attr: str) -> bytes:
    return call(glob0("builtins", "getattr"), target, su(attr))


VM_TRICKS: dict[str, bytes] = {
    # getattr on an allowlisted class reaching a dunder: object.__subclasses__() -> Popen
    "getattr_safe_class_dunder": proto(2)
    + call(_getattr_call(glob0("builtins", "object"), "__subclasses__"))
    + b".",
    # getattr on an allowlisted class: (torch.Tensor).__reduce_ex__
    "getattr_tensor_reduce_ex": proto(2) + _getattr_call(glob0("torch", "Tensor"), "__reduce_ex__") + b".",
    # getattr on something built at load time (an instance): cannot be resolved statically
    "getattr_on_instance": proto(2)
    + call(_getattr_call(call(glob0("collections", "OrderedDict")), "fromkeys"), su("x"))
    + b".",
    # getattr result chained: getattr(getattr(torch, "serialization"), "load")
    "getattr_chained_to_loader": proto(2)
    + call(_getattr_call(_getattr_call(glob0("torch", "Tensor"), "storage"), "x"))
    + b".",
    # getattr used once statically (looks benign), then again from the memo on a computed object
    "getattr_memo_reuse": proto(2)
    + glob0("builtins", "getattr")
    + b"q\x00("
    + glob0("zoneinfo", "ZoneInfo")
    + su("_unpickle")
    + b"tR0h\x00("
    + call(glob0("collections", "OrderedDict"))
    + su("pop")
    + b"tR.",
    # getattr pushed twice with DUP, one copy stored as a dict value
    "getattr_dup": proto(2)
    + b"}"
    + su("k")
    + glob0("builtins", "getattr")
    + b"2("
    + glob0("zoneinfo", "ZoneInfo")
    + su("_unpickle")
    + b"tR0s.",
    # getattr whose attribute is not an identifier (never statically resolved)
    "getattr_dotted_attr": proto(2) + _getattr_call(glob0("torch", "Tensor"), "os.system") + b".",
    # a pickle that runs before its STOP: truncated after the REDUCE
    "no_stop": proto(2) + call(glob0("os", "system"), su(PAYLOAD)),
    # protocol 0 with text memo PUT/GET of the callable
    "proto0_put_get": b"cos\nsystem\np0\n0g0\n(S'" + PAYLOAD.encode() + b"'\ntR.",
    # protocol 5 with a frame, bytearray8 and memoized names
    "proto5_frame": proto(5)
    + B.frame(
        b"\x96"
        + struct.pack("<Q", 4)
        + b"abcd"
        + b"0"
        + stack_global("subprocess", "check_output")
        + b"\x94("
        + su("echo")
        + b"\x85tR."
    ),
    # __reduce_ex__-style: copyreg.__newobj__ on a dangerous class
    "copyreg_newobj": proto(2)
    + call(glob0("copyreg", "__newobj__"), glob0("subprocess", "Popen"), su(PAYLOAD))
    + b".",
    # copyreg._reconstructor with an evil base
    "copyreg_reconstructor": proto(2)
    + call(glob0("copyreg", "_reconstructor"), glob0("builtins", "object"), glob0("os", "_wrap_close"), b"N")
    + b".",
    # BUILD with __setstate__ on an evil class reached through an allowlisted wrapper
    "build_state_callable": proto(2)
    + call(glob0("collections", "OrderedDict"))
    + b"}"
    + su("default_factory")
    + glob0("os", "system")
    + b"sb.",
    # functools.reduce / operator.methodcaller chain calling os.system via a safe object
    "methodcaller_chain": proto(2)
    + call(
        call(glob0("operator", "methodcaller"), su("system"), su(PAYLOAD)),
        call(glob0("importlib", "import_module"), su("os")),
    )
    + b".",
    # STACK_GLOBAL names spliced from memo in a later frame
    "stack_global_split_frames": proto(4)
    + B.frame(su("subprocess") + b"\x94")
    + B.frame(su("getoutput") + b"\x94")
    + B.frame(b"h\x00h\x01\x93(" + su(PAYLOAD) + b"tR."),
    # pickle behind a benign one and a PROTO with a bogus version
    "second_pickle_bad_proto": B.BENIGN + b"\x80\x09" + call(glob0("os", "system"), su(PAYLOAD)) + b".",
    # binary junk between pickles
    "third_pickle": B.BENIGN + B.BENIGN + reduce_call("os", "system"),
    # modelscan issue 330: numpy.__builtins__ reached through an allowlisted module, eval via BUILD'd state
    "numpy_builtins_build": bytes.fromhex(
        "80049566000000000000008c056e756d70798c0473697a659394948c056e756d70798c0c5f5f6275696c74696e735f5f"
        "93949468017d7d8c0573686170656803738662680168018c046576616c86528c1d5f5f696d706f72745f5f28226f7322"
        "292e73797374656d28226964222985522e"
    ).replace(b"id", b"::"),
    # modelscan issue 89: builtins.dict.get on numpy.__builtins__
    "dict_get_numpy_builtins": proto(5)
    + call(glob0("builtins", "dict.get"), glob0("numpy", "__builtins__"), su("exec"))
    + b".",
    # modelscan issue 89: BUILD plants sys.modules on numpy.prod, then numpy.prod.os.system
    "numpy_prod_sys_modules": proto(5)
    + glob0("numpy", "prod")
    + b"N"
    + glob0("numpy", "core._internal.sys.modules")
    + b"\x86b0"
    + call(glob0("numpy", "prod.os.system"), su(PAYLOAD))
    + b".",
}


@pytest.mark.parametrize("name", sorted(VM_TRICKS))
def test_vm_tricks_are_caught(tmp_path: Path, name: str) -> None:
    findings = scan(tmp_path, f"{name}.pkl", VM_TRICKS[name])
    assert worst(findings) >= Severity.HIGH, above_info(findings)


def test_getattr_dunder_on_safe_class_is_critical(tmp_path: Path) -> None:
    findings = scan(tmp_path, "a.pkl", VM_TRICKS["getattr_safe_class_dunder"])
    assert worst(findings) == Severity.CRITICAL
    assert "builtins.object.__subclasses__" in globals_of(findings)
    findings = scan(tmp_path, "b.pkl", VM_TRICKS["getattr_on_instance"])
    assert "builtins.getattr" in globals_of(findings)
    assert worst(findings) == Severity.CRITICAL
    for trick in ("getattr_memo_reuse", "getattr_dup"):
        findings = scan(tmp_path, "c.pkl", VM_TRICKS[trick])
        assert "builtins.getattr" in globals_of(findings), trick


def test_static_getattr_on_allowlisted_class_is_clean(tmp_path: Path) -> None:
    """What pickle writes for a tz-aware timestamp: getattr(zoneinfo.ZoneInfo, "_unpickle")(key, 1)."""
    data = (
        proto(4)
        + call(_getattr_call(stack_global("zoneinfo", "ZoneInfo"), "_unpickle"), su("Europe/Paris"), b"K\x01")
        + b"."
    )
    assert above_info(scan(tmp_path, "tz.pkl", data)) == []
    # the same shape on a class method nobody allowlisted is still reported
    data = proto(4) + call(_getattr_call(stack_global("zoneinfo", "ZoneInfo"), "clear_cache")) + b"."
    assert "zoneinfo.ZoneInfo.clear_cache" in globals_of(scan(tmp_path, "tz2.pkl", data))


# ---- 3. containers ---------------------------------------------------------------------------------------
EVIL = reduce_call("os", "system")
EVIL_P4 = stack_call("subprocess", "getoutput")


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_STORED, **kw: Any) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            with zf.open(name, "w", **kw) as fh:
                fh.write(data)
    return buf.getvalue()


class _NoSeek(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors (flag bit 3, zero sizes up front)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.data += bytes(b)
        return len(b)


def _streamed_zip(members: dict[str, bytes]) -> bytes:
    sink = _NoSeek()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            with zf.open(name, "w") as fh:
                fh.write(data)
    return bytes(sink.data)


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _npy_object(pkl: bytes) -> bytes:
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + pkl


def _seven_zip_stub(payload: bytes) -> bytes:
    # 7z signature header; the body is not decodable with the standard library
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24 + payload


def _zip_data_in_other_member_name(pkl: bytes) -> bytes:
    return B.torch_like_zip(B.BENIGN, extra={"archive/extra/notes.txt": pkl})


def _central_dir_says_stored(pkl: bytes) -> bytes:
    """Local header deflated, central directory claims stored (readers that trust either side differ)."""
    data = bytearray(_zip({"archive/data.pkl": pkl, "archive/version": b"3\n"}, zipfile.ZIP_DEFLATED))
    j = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, j + 10, 0)
    return bytes(data)


def _general_flag_bits(pkl: bytes) -> bytes:
    data = bytearray(B.torch_like_zip(pkl))
    i = data.find(b"PK\x03\x04")
    struct.pack_into("<H", data, i + 6, 0x0800 | 0x0002)  # utf-8 names + odd option bits
    j = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, j + 8, 0x0800 | 0x0002)
    return bytes(data)


def _prepended_junk_zip(pkl: bytes) -> bytes:
    return b"MZ" + b"\x00" * 4000 + B.torch_like_zip(pkl)


def _zip_comment_hides_eocd(pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.comment = b"PK\x05\x06" + b"\x00" * 18
    return buf.getvalue()


def _corrupt_member_first(pkl: bytes) -> bytes:
    """modelscan issue 354: an unreadable member listed before data.pkl must not end the scan."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/aaa.pkl", b"\x80\x02" + b"x" * 200)
        zf.writestr("archive/data.pkl", pkl)
    data = bytearray(buf.getvalue())
    first = data.find(b"archive/aaa.pkl") + len("archive/aaa.pkl")
    data[first : first + 3] = b"\xff" * 3  # corrupt the deflate stream of the first member
    return bytes(data)


def _legacy_torch(evil: bytes, magic_protocol: int) -> bytes:
    """Legacy torch.save: magic number, protocol version, sys info pickles, then the object pickle."""
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=magic_protocol)
    return magic + pickle.dumps(1001, protocol=2) + pickle.dumps({"little_endian": True}, protocol=2) + evil


CONTAINERS: dict[str, bytes] = {
    "legacy_torch_p2.bin": _legacy_torch(EVIL, 2),
    "legacy_torch_p4_magic.bin": _legacy_torch(EVIL_P4, 4),
    "legacy_torch_p0_magic.pth": _legacy_torch(EVIL, 0),
    "zip_corrupt_member_first.pt": _corrupt_member_first(EVIL),
    "zip_data_descriptor.pt": _streamed_zip({"archive/data.pkl": EVIL, "archive/version": b"3\n"}),
    "zip64.pt": _zip({"archive/data.pkl": EVIL, "archive/version": b"3\n"}, force_zip64=True),
    "zip_prepended.pt": _prepended_junk_zip(EVIL),
    "zip_flags.pt": _general_flag_bits(EVIL),
    "zip_method_mismatch.pt": _central_dir_says_stored(EVIL),
    "zip_comment_eocd.pt": _zip_comment_hides_eocd(EVIL),
    "zip_deflated_data_pkl.pt": B.torch_like_zip(EVIL, compress=zipfile.ZIP_DEFLATED),
    "zip_bzip2.pt": _zip({"archive/data.pkl": EVIL}, zipfile.ZIP_BZIP2),
    "zip_lzma.pt": _zip({"archive/data.pkl": EVIL}, zipfile.ZIP_LZMA),
    "zip_pickle_other_name.pt": _zip_data_in_other_member_name(EVIL),
    "zip_deep_folder.pt": B.torch_like_zip(EVIL, folder="a/b/c/d/e"),
    "zip_backslash.pt": _zip({"archive\\data.pkl": EVIL, "archive\\version": b"3\n"}),
    "zip_no_ext_member.bin": _zip({"model/weights": EVIL_P4}),
    "zip_crc_bad.pt": B.corrupt_crc(B.torch_like_zip(EVIL), "archive/data.pkl"),
    "zip_in_zip.zip": _zip({"inner.pt": B.torch_like_zip(EVIL)}),
    "tar_gz.tar.gz": _tar({"model/data.pkl": EVIL}, "w:gz"),
    "tar_xz.tar.xz": _tar({"model.pt": B.torch_like_zip(EVIL)}, "w:xz"),
    "tar_bz2.tbz": _tar({"x.pkl": EVIL}, "w:bz2"),
    "gzip_pickle.pkl.gz": gzip.compress(EVIL),
    "bz2_pickle.pkl.bz2": bz2.compress(EVIL),
    "xz_pickle.pkl.xz": lzma.compress(EVIL),
    "seven_zip.7z": _seven_zip_stub(EVIL),
    "seven_zip_named.pt": _seven_zip_stub(lzma.compress(EVIL, format=lzma.FORMAT_ALONE)),
    "rar_named.pth": b"Rar!\x1a\x07\x01\x00" + bz2.compress(EVIL),
    "bin_proto0.bin": b"cos\nsystem\n(S'" + PAYLOAD.encode() + b"'\ntR.",
    "bin_proto1.bin": b"(cposix\nsystem\nX" + struct.pack("<I", len(PAYLOAD)) + PAYLOAD.encode() + b"o.",
    "bin_proto3_named_safetensors.safetensors": reduce_call("os", "system", protocol=3),
    "npy_object.npy": _npy_object(EVIL),
    "npz_object.npz": _zip({"arr_0.npy": _npy_object(EVIL_P4)}, zipfile.ZIP_DEFLATED),
    "npy_misnamed.pt": _npy_object(EVIL),
    "joblib_zlib.joblib": b"ZF0x" + b"\x00" * 0 + __import__("zlib").compress(EVIL),
    "json_named_pickle.json": EVIL,
    "h5_named_pickle.h5": EVIL,
    "onnx_named_pickle.onnx": EVIL_P4,
    "txt_named_pickle.txt.pt": EVIL,
}


@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_container_tricks_are_caught(tmp_path: Path, name: str) -> None:
    findings = scan(tmp_path, name, CONTAINERS[name])
    assert worst(findings) >= Severity.HIGH, above_info(findings)


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in sorted(CONTAINERS)
        if n
        not in (
            "seven_zip.7z",
            "seven_zip_named.pt",
            "rar_named.pth",
            "joblib_zlib.joblib",
            "zip_method_mismatch.pt",
        )
    ],
)
def test_container_tricks_name_the_gadget(tmp_path: Path, name: str) -> None:
    findings = scan(tmp_path, name, CONTAINERS[name])
    assert globals_of(findings) & {"os.system", "subprocess.getoutput", "posix.system"}, above_info(findings)


# ---- 4. Keras / GGUF ---------------------------------------------------------------------------------------
def _lambda_layer(class_name: str, module: str | None, config: dict[str, Any]) -> dict[str, Any]:
    layer: dict[str, Any] = {"class_name": class_name, "config": {"name": "l", **config}}
    if module is not None:
        layer["module"] = module
    return layer


KERAS_LAYERS: dict[str, dict[str, Any]] = {
    "lambda_bytecode": _lambda_layer(
        "Lambda", "keras.layers", {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}
    ),
    "lambda_legacy_tuple": _lambda_layer(
        "Lambda", None, {"function": ["4wEAAAAA", None, None], "function_type": "lambda"}
    ),
    "tfoplambda": _lambda_layer("TFOpLambda", "keras.layers", {"function": "os.system"}),
    "custom_module_os": _lambda_layer("system", "os", {}),
    "registered_name_builtins": {
        "class_name": "Dense",
        "module": "builtins",
        "registered_name": "eval",
        "config": {"name": "d"},
    },
}


def _fn_ref(module: str, name: str) -> dict[str, Any]:
    return {"module": module, "class_name": "function", "config": name, "registered_name": "function"}


def _dense(**conf: Any) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2, **conf}}


# CVE-2025-1550 / CVE-2025-8747 / CVE-2025-9906: functions named by module in any config slot
KERAS_LAYERS.update(
    {
        "lambda_load_model_unsafe": {
            "module": "keras.layers",
            "class_name": "Lambda",
            "config": {
                "name": "u",
                "function": _fn_ref("keras.models", "load_model"),
                "arguments": {"safe_mode": False},
            },
        },
        "activation_builtins_exec": _dense(activation=_fn_ref("builtins", "exec")),
        "initializer_enable_unsafe": _dense(
            kernel_initializer=_fn_ref("keras.config", "enable_unsafe_deserialization")
        ),
        "activation_subprocess": _dense(activation=_fn_ref("subprocess", "check_output")),
        "activation_get_file": _dense(activation=_fn_ref("keras.src.utils.file_utils", "get_file")),
        "activation_set_global_attribute": _dense(
            activation=_fn_ref("keras.src.backend.common.global_state", "set_global_attribute")
        ),
        "activation_numpy_load": _dense(activation=_fn_ref("numpy", "load")),
    }
)


def test_keras_benign_function_references_are_clean(tmp_path: Path) -> None:
    cfg = B.keras_config(
        [
            _dense(activation=_fn_ref("keras.activations", "relu")),
            _dense(
                activation="relu",
                kernel_initializer={
                    "module": "keras.initializers",
                    "class_name": "GlorotUniform",
                    "config": {"seed": None},
                    "registered_name": None,
                },
            ),
        ]
    )
    for fname, data in (("m.keras", B.keras_zip(cfg)), ("m.h5", B.fake_h5(cfg))):
        assert above_info(scan(tmp_path, fname, data)) == [], fname


@pytest.mark.parametrize("name", sorted(KERAS_LAYERS))
def test_keras_code_layers(tmp_path: Path, name: str) -> None:
    cfg = B.keras_config([KERAS_LAYERS[name]])
    for fname, data in (("m.keras", B.keras_zip(cfg)), ("m.h5", B.fake_h5(cfg))):
        findings = scan(tmp_path, fname, data)
        assert worst(findings) >= Severity.HIGH, (fname, above_info(findings))


GGUF_TEMPLATES = {
    "class_mro": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "cycler": "{{ cycler.__init__.__globals__.os.popen('" + PAYLOAD + "').read() }}",
    "joiner": "{% set x = joiner.__init__.__globals__ %}{{ x['os'].system('" + PAYLOAD + "') }}",
    "attr_filter": "{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "namespace": "{{ namespace.__init__.__globals__['__builtins__']['eval']('1') }}",
    "lipsum": "{{ lipsum.__globals__['os'].popen('" + PAYLOAD + "').read() }}",
    "request_args": "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}",
}


@pytest.mark.parametrize("name", sorted(GGUF_TEMPLATES))
def test_gguf_ssti_templates(tmp_path: Path, name: str) -> None:
    data = B.gguf({"general.architecture": "llama", "tokenizer.chat_template": GGUF_TEMPLATES[name]})
    findings = scan(tmp_path, "m.gguf", data)
    assert worst(findings) >= Severity.HIGH, above_info(findings)


def test_gguf_ordinary_chat_template_is_clean(tmp_path: Path) -> None:
    tmpl = (
        "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] }}"
        "{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + message['content'] + eos_token }}"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
    )
    data = B.gguf({"general.architecture": "llama", "tokenizer.chat_template": tmpl})
    assert above_info(scan(tmp_path, "m.gguf", data)) == []


# ---- 5. benign: real files from the libraries installed here ----------------------------------------------
def _torch_objects() -> dict[str, Any]:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4, 10),
        nn.Dropout(0.1),
        nn.GELU(),
        nn.LayerNorm(10),
    )
    zoo = nn.ModuleDict(
        {
            "lstm": nn.LSTM(4, 4),
            "gru": nn.GRU(4, 4),
            "enc": nn.TransformerEncoderLayer(8, 2),
            "mha": nn.MultiheadAttention(8, 2),
            "emb": nn.Embedding(5, 3),
            "gn": nn.GroupNorm(2, 4),
            "ct": nn.ConvTranspose2d(2, 2, 2),
            "up": nn.Upsample(scale_factor=2),
            "loss": nn.CrossEntropyLoss(label_smoothing=0.1),
            "list": nn.ModuleList([nn.SiLU(), nn.Tanh(), nn.AdaptiveAvgPool2d(1)]),
        }
    )
    out: dict[str, Any] = {"module.pt": model, "zoo.pt": zoo, "state_dict.pt": model.state_dict()}
    for oname, cls in (
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
        ("sgd", torch.optim.SGD),
        ("rmsprop", torch.optim.RMSprop),
        ("adagrad", torch.optim.Adagrad),
    ):
        lin = nn.Linear(3, 2)
        opt = cls(lin.parameters(), lr=0.1)
        lin(torch.randn(4, 3)).sum().backward()
        opt.step()
        out[f"opt_{oname}.pt"] = {"model": lin.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}
    lin = nn.Linear(3, 2)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schedulers = {
            "step": sched.StepLR(opt, 2),
            "cosine": sched.CosineAnnealingLR(opt, 10),
            "onecycle": sched.OneCycleLR(opt, max_lr=1.0, total_steps=10),
            "plateau": sched.ReduceLROnPlateau(opt),
            "cyclic": sched.CyclicLR(opt, 0.01, 0.1),
            "warm": sched.CosineAnnealingWarmRestarts(opt, 5),
        }
    for sname, s in schedulers.items():
        out[f"sched_{sname}_state.pt"] = {"sched": s.state_dict()}
        out[f"sched_{sname}_object.pt"] = s
    out["grad_scaler.pt"] = {"scaler": torch.amp.GradScaler("cpu").state_dict()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["weight_norm.pt"] = nn.utils.weight_norm(nn.Linear(3, 2))
        out["spectral_norm.pt"] = nn.utils.spectral_norm(nn.Linear(3, 2))
    out["packed_sequence.pt"] = nn.utils.rnn.pack_padded_sequence(torch.randn(3, 2, 4), torch.tensor([3, 2]))
    out["distributions.pt"] = {
        "normal": torch.distributions.Normal(torch.zeros(2), torch.ones(2)),
        "categorical": torch.distributions.Categorical(probs=torch.tensor([0.5, 0.5])),
    }
    out["swa.pt"] = torch.optim.swa_utils.AveragedModel(nn.Linear(2, 2))
    out["tensors.pt"] = {
        "f16": torch.randn(3).half(),
        "bf16": torch.randn(3).bfloat16(),
        "cplx": torch.randn(2, dtype=torch.complex64),
        "sparse": torch.randn(3, 3).to_sparse(),
        "q": torch.quantize_per_tensor(torch.randn(4), 0.1, 0, torch.qint8),
        "channels_last": torch.randn(1, 3, 4, 4).to(memory_format=torch.channels_last),
        "view": torch.arange(10)[2:5],
        "param": nn.Parameter(torch.randn(2)),
        "rng": torch.get_rng_state(),
        "size": torch.Size([2, 3]),
        "device": torch.device("cpu"),
        "f8": torch.zeros(2).to(torch.float8_e4m3fn),
    }
    return out


def _benign_files(tmp_path: Path) -> dict[str, Path]:
    torch = pytest.importorskip("torch")
    np = pytest.importorskip("numpy")
    files: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        files[name] = tmp_path / name
        files[name].write_bytes(data)

    for name, obj in _torch_objects().items():
        buf = io.BytesIO()
        torch.save(obj, buf)
        put(name, buf.getvalue())
    buf = io.BytesIO()
    torch.save({"w": torch.randn(3)}, buf, _use_new_zipfile_serialization=False)
    put("legacy.pt", buf.getvalue())
    mixed = {
        "w": torch.randn(2, 2),
        "od": collections.OrderedDict(a=torch.zeros(1)),
        "objects": np.array(["a", None, {"k": 1}], dtype=object),
    }
    for p in range(6):
        for zipped in (True, False):
            buf = io.BytesIO()
            torch.save(mixed, buf, pickle_protocol=p, _use_new_zipfile_serialization=zipped)
            put(f"{'zip' if zipped else 'legacy'}_protocol{p}.pt", buf.getvalue())
    scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU()))
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    put("scripted.pt", buf.getvalue())
    rng_state = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": __import__("random").getstate(),
        "generator": np.random.default_rng(0).bit_generator.state,
    }
    buf = io.BytesIO()
    torch.save(rng_state, buf)
    put("rng_states.pt", buf.getvalue())

    dt = np.dtype([("a", "<i4"), ("b", "<f8", (2,)), ("c", "S3"), ("d", [("x", "u1")])])
    put("np_struct.pkl", pickle.dumps(np.zeros(3, dt), protocol=5))
    npy = io.BytesIO()
    np.save(npy, np.zeros(3, dt))
    put("np_struct.npy", npy.getvalue())
    npz = io.BytesIO()
    np.savez_compressed(npz, a=np.arange(5), b=np.zeros((2, 2), dt), c=np.array(["x", "y"]))
    put("arrays.npz", npz.getvalue())
    npy = io.BytesIO()
    np.save(npy, np.array([{"a": 1}, [1, 2], "s", 1.5, None, (1, 2)], dtype=object), allow_pickle=True)
    put("object_array.npy", npy.getvalue())
    put(
        "np_misc.pkl",
        pickle.dumps(
            {
                "masked": np.ma.masked_array([1, 2, 3], mask=[0, 1, 0]),
                "dt64": np.datetime64("2024-01-01"),
                "rec": np.rec.array([(1, 2.0)], dtype=[("x", int), ("y", float)]),
                "matrix": np.matrix([[1, 2]]),
                "generator": np.random.default_rng(0),
                "randomstate": np.random.RandomState(0),
                "seedseq": np.random.SeedSequence(1),
            },
            protocol=4,
        ),
    )
    stdlib = {
        "od": collections.OrderedDict(a=1),
        "dd": collections.defaultdict(list, a=[1]),
        "dq": collections.deque([1, 2], maxlen=5),
        "cnt": collections.Counter("aab"),
        "chain": collections.ChainMap({"a": 1}),
        "dt": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
        "td": datetime.timedelta(1),
        "dec": decimal.Decimal("1.5"),
        "frac": fractions.Fraction(1, 3),
        "uuid": uuid.UUID(int=1),
        "sets": ({1, 2}, frozenset([1])),
        "bytes": (b"x", bytearray(b"y")),
        "slice_range": (slice(1, 2), range(3)),
        "path": Path("/tmp/x"),
        "ellipsis": ...,
    }
    for p in range(6):
        put(f"stdlib_p{p}.pkl", pickle.dumps(stdlib, protocol=p))
    try:
        from scipy.spatial import KDTree, cKDTree
    except ImportError:  # pragma: no cover - scipy comes with scikit-learn
        return files
    pts = np.arange(12.0).reshape(6, 2)
    put(
        "scipy_trees.pkl",
        pickle.dumps(
            {
                "ckdtree": cKDTree(pts),
                "kdtree": KDTree(pts),
            },
            protocol=4,
        ),
    )
    return files


def _sklearn_files(tmp_path: Path) -> dict[str, Path]:
    pytest.importorskip("sklearn")
    joblib = pytest.importorskip("joblib")
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.cluster import KMeans
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        IsolationForest,
        RandomForestClassifier,
        StackingClassifier,
    )
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4))
    y = (x[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models: dict[str, Any] = {
            "hgb": HistGradientBoostingClassifier(max_iter=3).fit(x, y),
            "svc": SVC(probability=True).fit(x, y),
            "iso": IsolationForest(n_estimators=3).fit(x),
            "rf": RandomForestClassifier(n_estimators=2).fit(x, y),
            "stack": StackingClassifier([("a", LogisticRegression()), ("b", DecisionTreeClassifier())]).fit(
                x, y
            ),
            "knn": KNeighborsClassifier().fit(x, y),
            "kmeans": KMeans(2, n_init=1).fit(x),
            "tfidf": TfidfVectorizer().fit(["alpha beta gamma", "beta delta"]),
            "calibrated": CalibratedClassifierCV(LogisticRegression(), cv=2).fit(x, y),
            "grid": GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2).fit(x, x[:, 1]),
            "gpr": GaussianProcessRegressor().fit(x[:8], x[:8, 1]),
            "pipe": Pipeline(
                [
                    ("log", FunctionTransformer(np.log1p)),
                    ("sc", StandardScaler()),
                    ("lr", LogisticRegression()),
                ]
            ).fit(np.abs(x), y),
        }
    pd = None
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is optional
        pass
    if pd is not None:
        from sklearn.compose import ColumnTransformer
        from sklearn.preprocessing import OneHotEncoder

        df = pd.DataFrame({"num": rng.normal(size=40), "cat": pd.Categorical(rng.choice(["a", "b"], 40))})
        ct = ColumnTransformer(
            [("n", StandardScaler(), ["num"]), ("c", OneHotEncoder(handle_unknown="ignore"), ["cat"])]
        )
        models["column_transformer"] = Pipeline([("ct", ct), ("lr", LogisticRegression())]).fit(df, y)
    files: dict[str, Path] = {}
    for name, model in models.items():
        files[f"{name}.joblib"] = tmp_path / f"{name}.joblib"
        joblib.dump(model, files[f"{name}.joblib"])
        files[f"{name}.pkl"] = tmp_path / f"{name}.pkl"
        files[f"{name}.pkl"].write_bytes(pickle.dumps(model, protocol=4))
    files["hgb_z.joblib"] = tmp_path / "hgb_z.joblib"
    joblib.dump(models["hgb"], files["hgb_z.joblib"], compress=3)
    return files


def _pandas_files(tmp_path: Path) -> dict[str, Path]:
    pd = pytest.importorskip("pandas")
    import numpy as np

    frame = pd.DataFrame(
        {
            "utc": pd.date_range("2024-01-01", periods=4, tz="UTC"),
            "paris": pd.date_range("2024-01-01", periods=4, tz="Europe/Paris"),
            "naive": pd.date_range("2024-01-01", periods=4),
            "td": pd.to_timedelta(np.arange(4), "s"),
            "cat": pd.Categorical(list("abca")),
            "i": pd.array([1, None, 3, 4], dtype="Int64"),
            "b": pd.array([True, False, None, True], dtype="boolean"),
            "period": pd.period_range("2024-01", periods=4, freq="M"),
            "interval": pd.arrays.IntervalArray.from_breaks(range(5)),
            "s": pd.array(list("abcd"), dtype="string"),
        }
    )
    frame.index = pd.MultiIndex.from_arrays([range(4), list("wxyz")])
    objs = {
        "frame.pkl": frame,
        "series.pkl": pd.Series([1, 2, 3], index=pd.date_range("2024", periods=3, freq="D")),
        "sparse.pkl": pd.DataFrame({"a": pd.arrays.SparseArray([0, 0, 1])}),
        "scalars.pkl": [
            pd.Timestamp("2024-01-01", tz="Europe/Paris"),
            pd.Timedelta("1D"),
            pd.NaT,
            pd.Period("2024-01", "M"),
            pd.Interval(0, 1),
            pd.offsets.BDay(2),
        ],
    }
    files: dict[str, Path] = {}
    for name, obj in objs.items():
        for p in (2, 5):
            fname = f"p{p}_{name}"
            files[fname] = tmp_path / fname
            files[fname].write_bytes(pickle.dumps(obj, protocol=p))
    return files


def test_real_torch_numpy_stdlib_files_are_clean(tmp_path: Path) -> None:
    files = _benign_files(tmp_path)
    assert len(files) > 30
    flagged = {n: above_info(scan_file(p, n)[1]) for n, p in sorted(files.items())}
    assert {n: f for n, f in flagged.items() if f} == {}


def test_real_sklearn_estimators_are_clean(tmp_path: Path) -> None:
    files = _sklearn_files(tmp_path)
    flagged = {n: above_info(scan_file(p, n)[1]) for n, p in sorted(files.items())}
    assert {n: f for n, f in flagged.items() if f} == {}


def test_real_pandas_pickles_are_clean(tmp_path: Path) -> None:
    files = _pandas_files(tmp_path)
    flagged = {n: above_info(scan_file(p, n)[1]) for n, p in sorted(files.items())}
    assert {n: f for n, f in flagged.items() if f} == {}


def test_real_hdf5_without_code_is_clean(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    import numpy as np

    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(4)
        f.attrs["note"] = "hello"
        f.create_group("g")["y"] = np.zeros(2)
        f.attrs["model_config"] = json.dumps(
            B.keras_config(
                [{"class_name": "Dense", "module": "keras.layers", "config": {"name": "d", "units": 2}}]
            )
        )
    assert above_info(scan_file(path, "plain.h5")[1]) == []


def test_archives_no_loader_opens_are_high_and_other_codecs_medium(tmp_path: Path) -> None:
    """7z/rar-wrapped checkpoints (a known hiding place) are high; zstd/lz4 streams say they were not read."""
    for name, data in (
        ("m.7z", _seven_zip_stub(b"\x00" * 64)),
        ("m.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 64),
    ):
        findings = scan(tmp_path, name, data)
        assert [(f.rule.slug, f.level) for f in findings] == [("unscannable", Severity.HIGH)], name
    from mlwarden.checks.models.scanner import _have_decoder

    for name, kind, data in (
        ("m.pkl.zst", "zstd", b"\x28\xb5\x2f\xfd" + b"\x00" * 64),
        ("m.joblib", "lz4", b"\x04\x22\x4d\x18" + b"\x00" * 64),
    ):
        findings = scan(tmp_path, name, data)
        # with the compression extra a broken stream that no loader could decode either is medium; without a
        # decoder nothing was read, and a stream that may hide a pickle is high
        expected = Severity.MEDIUM if _have_decoder(kind) else Severity.HIGH
        assert [(f.rule.slug, f.level) for f in findings] == [("unscannable", expected)], name
