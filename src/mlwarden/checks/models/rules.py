"""scan-models rules (MLW5xx: model files)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

_C = "scan-models"
_LOAD_HINT = (
    "Do not load this file. Prefer weight-only formats (safetensors, GGUF, ONNX without external "
    "paths) and `torch.load(..., weights_only=True)`; if the class is yours and trusted, add it to "
    "`allow` in `[tool.mlwarden.scan-models]`."
)

GLOBAL_DANGEROUS = Rule(
    "MLW501",
    "pickle-global-dangerous",
    Severity.CRITICAL,
    "Pickle imports a code-execution gadget",
    "Loading this pickle (pickle.load, torch.load without weights_only, joblib.load, numpy allow_pickle) "
    "imports a function that runs commands or code, opens files or sockets, imports modules or reaches "
    "interpreter internals (os, subprocess, builtins.eval/exec/getattr, runpy, pip, pydoc.pipepager, "
    "operator.attrgetter, torch._inductor, numpy.testing ...). " + _LOAD_HINT,
    cwe=(502, 94),
    check=_C,
    role_exempt=True,
)
GLOBAL_UNKNOWN = Rule(
    "MLW502",
    "pickle-global-unknown",
    Severity.HIGH,
    "Pickle imports a global outside the allowlist",
    "Unpickling imports and calls this global; it is not one of the exact (module, name) pairs that real "
    "checkpoints and estimators need, so its effect on load is unknown (custom __reduce__/__setstate__ "
    "code). " + _LOAD_HINT,
    cwe=(502,),
    check=_C,
)
PICKLE_MALFORMED = Rule(
    "MLW503",
    "pickle-malformed",
    Severity.MEDIUM,
    "Pickle stream is truncated or malformed",
    "The opcode stream is truncated, invalid or exceeds the scan limits, so it was only scanned up to that "
    "point; loaders may still run what comes before the fault. Regenerate the file from a trusted source.",
    cwe=(502, 20),
    check=_C,
)
PICKLE_EXTENSION = Rule(
    "MLW504",
    "pickle-extension-code",
    Severity.HIGH,
    "Pickle uses copyreg extension codes",
    "EXT1/EXT2/EXT4 opcodes import whatever the loader's copyreg extension registry maps the code to; "
    "real checkpoints never use them and a scanner cannot see the target.",
    cwe=(502,),
    check=_C,
)
PICKLE_DYNAMIC = Rule(
    "MLW505",
    "pickle-dynamic-global",
    Severity.HIGH,
    "Pickle builds an import from computed values",
    "STACK_GLOBAL takes its module or name from values computed earlier in the stream instead of plain "
    "strings: the import target is hidden from static scanners.",
    cwe=(502,),
    check=_C,
)
KERAS_LAMBDA = Rule(
    "MLW506",
    "keras-lambda",
    Severity.CRITICAL,
    "Keras model contains a Lambda layer with code",
    "Lambda layers carry marshalled Python bytecode or a function reference that runs on load or on the "
    "first call. Rebuild the layer in code and save weights only; load with `safe_mode=True`.",
    cwe=(502, 94),
    check=_C,
    role_exempt=True,
)
KERAS_MODULE = Rule(
    "MLW507",
    "keras-unsafe-module",
    Severity.HIGH,
    "Keras config references a module outside Keras",
    "The model config asks the loader to import and call an object from a module outside keras "
    "(`module`/`registered_name`/function references), the route of CVE-2024-3660 and CVE-2025-1550.",
    cwe=(502, 94),
    check=_C,
)
GGUF_TEMPLATE = Rule(
    "MLW508",
    "gguf-template-injection",
    Severity.CRITICAL,
    "GGUF chat template reaches Python internals",
    "The Jinja chat template stored in the GGUF metadata uses attribute tricks (`__class__`, `__globals__`, "
    "`|attr`, `cycler.__init__` ...) that escape the template sandbox of non-sandboxed renderers "
    "(CVE-2024-34359). Replace the template with a plain one.",
    cwe=(1336, 94),
    check=_C,
    role_exempt=True,
)
ONNX_EXTERNAL = Rule(
    "MLW509",
    "onnx-external-data-path",
    Severity.HIGH,
    "ONNX external data path leaves the model folder",
    "A tensor's `external_data` location is absolute or climbs with `..`, so loading reads an arbitrary file "
    "(CVE-2022-25882, CVE-2024-27318). Keep external data files beside the model with relative names.",
    cwe=(22, 73),
    check=_C,
)
SAFETENSORS_INVALID = Rule(
    "MLW510",
    "safetensors-invalid",
    Severity.MEDIUM,
    "safetensors header is invalid",
    "The header length, JSON, dtypes or tensor offsets do not describe the file (overlaps, gaps, "
    "out-of-range offsets, oversize header): a sign of a polyglot or tampered file.",
    cwe=(20,),
    check=_C,
)
UNSCANNABLE = Rule(
    "MLW511",
    "unscannable",
    Severity.MEDIUM,
    "Model file could not be fully scanned",
    "The file looks like a model file but its format is unknown, unsupported, encrypted or compressed "
    "beyond the limits, so it was not (fully) checked. Convert it to a scannable format or review it.",
    check=_C,
)
ARCHIVE_ANOMALY = Rule(
    "MLW512",
    "archive-anomaly",
    Severity.MEDIUM,
    "Archive structure hides content from scanners",
    "Duplicate member names (torch reads the first, Python's zipfile the last), CRC mismatches, encrypted "
    "members, a broken central directory, entries past the archive limits, or absolute/`..` member names.",
    cwe=(20,),
    check=_C,
)
FORMAT_MISMATCH = Rule(
    "MLW513",
    "format-mismatch",
    Severity.MEDIUM,
    "File extension lies about the format",
    "The extension names a weights-only format but the bytes are a format that can run code on load "
    "(e.g. a pickle named .safetensors). Loaders pick the parser by content or by the caller.",
    cwe=(434,),
    check=_C,
)
HIDDEN_PICKLE = Rule(
    "MLW514",
    "pickle-hidden-payload",
    Severity.HIGH,
    "Pickle data hidden after the end of a stream",
    "Bytes after a pickle's STOP contain another pickle or a gadget import that a loader reading the "
    "stream in sequence (legacy torch, custom loaders) would run.",
    cwe=(502,),
    check=_C,
)
KERAS_CUSTOM = Rule(
    "MLW515",
    "keras-custom-object",
    Severity.LOW,
    "Keras model needs custom objects",
    "The config names a registered custom class; loading needs its code. Make sure that code is reviewed.",
    check=_C,
)
OBJECT_UNKNOWN = Rule(
    "MLW516",
    "pickle-object-unknown",
    Severity.MEDIUM,
    "Pickle rebuilds an object of a class outside the allowlist",
    "The pickle imports a class outside the allowlist only to rebuild an object of it (NEWOBJ, "
    "copyreg._reconstructor, a class created without arguments and then given its state) or passes it "
    "along as a value; nothing is called with load-time arguments, but importing the class runs its "
    "module and its __setstate__ runs on load. An object of a package the project declares or locks is "
    "reported at info severity. " + _LOAD_HINT,
    cwe=(502,),
    check=_C,
)
STATE_SPECIAL_ATTR = Rule(
    "MLW517",
    "pickle-state-special-attribute",
    Severity.CRITICAL,
    "Pickle state plants a special attribute (__setstate__, __reduce__, __getattr__...) on an object",
    "The state a pickle applies to an object (BUILD, a helper that sets attributes, or a dict item a class "
    "reads back as an attribute, like Lightning's AttributeDict) sets a special method name: the next BUILD "
    "calls a planted __setstate__ with attacker bytes (a known bypass of allowlist scanners: "
    "__setstate__ = torch.storage._load_from_bytes). Real objects never carry these names in their state.",
    cwe=(502, 94),
    check=_C,
    role_exempt=True,
)
TORCHSCRIPT_CODE = Rule(
    "MLW518",
    "torchscript-host-effect",
    Severity.HIGH,
    "TorchScript code reads or writes files or makes remote calls",
    "A TorchScript archive's code/ calls an operation with host effects (torch.save / aten::save writes a "
    "file, torch.from_file reads one, rpc_* calls another host). Inside __setstate__ it runs as soon as the "
    "archive is loaded (critical). Re-export the model from trusted code, or load weights only.",
    cwe=(94, 73),
    check=_C,
)
KERAS_EXTERNAL = Rule(
    "MLW519",
    "keras-external-load",
    Severity.HIGH,
    "Keras config loads a model or file from outside the archive",
    "A layer that loads a SavedModel from a path (TFSMLayer, CVE-2026-1462) or a config that names a "
    "download origin makes loading the archive read files or URLs the archive does not contain. Ship the "
    "weights inside the archive and rebuild the layer in code.",
    cwe=(829, 73),
    check=_C,
)

RULES = (
    GLOBAL_DANGEROUS,
    GLOBAL_UNKNOWN,
    PICKLE_MALFORMED,
    PICKLE_EXTENSION,
    PICKLE_DYNAMIC,
    KERAS_LAMBDA,
    KERAS_MODULE,
    GGUF_TEMPLATE,
    ONNX_EXTERNAL,
    SAFETENSORS_INVALID,
    UNSCANNABLE,
    ARCHIVE_ANOMALY,
    FORMAT_MISMATCH,
    HIDDEN_PICKLE,
    KERAS_CUSTOM,
    OBJECT_UNKNOWN,
    STATE_SPECIAL_ATTR,
    TORCHSCRIPT_CODE,
    KERAS_EXTERNAL,
)
