"""The rules, applied to one parsed module. Produces ``Hit``s (rule, position, message) and Hub references."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlwarden.checks.unsafe_loads import helpers
from mlwarden.checks.unsafe_loads import rules as R
from mlwarden.checks.unsafe_loads.resolve import (
    UNKNOWN,
    Choice,
    ClassVal,
    DictVal,
    Instance,
    LocalPath,
    Prefix,
    Ref,
    Resolver,
    Scope,
    children_in_scope,
)
from mlwarden.core.findings import Rule, Severity

COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
_SHORT_HEX = re.compile(r"^[0-9a-fA-F]{4,39}$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_BARE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# the legacy "canonical" model repositories that have no organisation, plus size/variant tokens
_CANONICAL_MODEL = re.compile(
    r"^(gpt2|distilgpt2|openai-gpt|ctrl)$|"
    r"^(albert|bert|camembert|distilbert|distilroberta|gpt2|roberta|t5|transfo-xl|xlm|xlm-roberta|xlm-mlm|"
    r"xlm-clm|xlnet|flaubert|bart|electra|longformer|mbart|pegasus|bigbird|deberta)-"
    # the next word is a size/variant (``bert-base-uncased``, ``t5-11b``); ``bert-finetuned-ner`` is the
    # output folder of a fine-tuning run (Hugging Face course), not a Hub model
    r"(base|large|small|medium|xl|xxl|xlarge|xxlarge|mlm|clm|wt103|\d+[bm]|uncased|cased|multilingual|"
    r"en|enfr|ende|enro|ro|tlm|100|17)(-[a-z0-9\-]+)?$",
    re.IGNORECASE)
# a bare name is a Hub model only when hyphenated with a size/variant token (``all-MiniLM-L6-v2``,
# ``t5-small``); ``my_model_v2`` or ``output`` are local folders
_MODEL_TOKENS = re.compile(
    r"(^|-)(base|large|small|tiny|mini|medium|xl|xxl|uncased|cased|multilingual|v\d+|l\d+|\d+[bm]|"
    r"minilm|mpnet|instruct|chat|hf)($|-)", re.IGNORECASE)
_FILE_EXT = re.compile(
    r"\.(pt|pth|bin|ckpt|safetensors|json|ya?ml|h5|hdf5|keras|pkl|pickle|joblib|onnx|txt|csv|tsv|parquet|"
    r"arrow|jsonl|zip|tar|gz|tgz|bz2|xz|npy|npz|pb|tflite|gguf|msgpack|model|mar|sav|dat|db)$",
    re.IGNORECASE)
_DATA_EXT = re.compile(
    r"\.(pt|pth|bin|ckpt|safetensors|h5|hdf5|keras|pkl|pickle|joblib|onnx|zip|tar|gz|tgz|bz2|xz|npy|npz|"
    r"pb|tflite|gguf|msgpack|model|mar|sav|parquet|arrow|csv|tsv|jsonl|json|ya?ml|txt|dat)(\?.*)?$",
    re.IGNORECASE)
_LOCAL_DIRS = frozenset({
    "models", "model", "checkpoints", "checkpoint", "ckpt", "ckpts", "output", "outputs", "out", "data",
    "dataset", "datasets", "saved_models", "saved_model", "runs", "results", "tmp", "temp", "weights", "exp",
    "exps", "experiments", "logs", "cache", "artifacts", "pretrained", "pretrained_models", "save", "saves",
    "local", "build", "dist", "assets", "resources", "src", "input", "inputs", "work", "workspace",
})
_PACKAGED_BUILDERS = frozenset({
    "csv", "json", "parquet", "text", "arrow", "pandas", "imagefolder", "audiofolder", "videofolder",
    "webdataset", "xml", "sql", "generator", "spark", "folder_based_builder", "cache", "pdffolder", "hdf5",
    "niftifolder", "eval", "lance",
})
# calls whose first argument is a folder the code writes a model to
_SAVE_CALLS = frozenset({"save_pretrained", "save_model", "TrainingArguments", "Seq2SeqTrainingArguments",
                         "SFTConfig", "DPOConfig", "GRPOConfig", "ORPOConfig", "RewardConfig"})
_HF_RESOLVE = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co|hf-mirror\.com)/"
                         r"(?P<kind>datasets/|spaces/)?(?P<repo>[\w.\-]+/[\w.\-]+)/resolve/(?P<rev>[^/?#]+)/"
                         r"(?P<file>[^?#]*)", re.IGNORECASE)
_LOOPBACK = re.compile(r"^http://(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|host\.docker\.internal)"
                       r"([:/?#]|$)", re.IGNORECASE)

PICKLE_FUNCS = {
    "pickle.load": "pickle.load", "pickle.loads": "pickle.loads", "dill.load": "dill.load",
    "dill.loads": "dill.loads", "dill.load_session": "dill.load_session",
    "dill.load_module": "dill.load_module",
    "cloudpickle.load": "cloudpickle.load", "cloudpickle.loads": "cloudpickle.loads",
    "joblib.load": "joblib.load",
    "shelve.open": "shelve.open", "shelve.DbfilenameShelf": "shelve.DbfilenameShelf",
    "jsonpickle.decode": "jsonpickle.decode", "jsonpickle.loads": "jsonpickle.loads",
    "pandas.read_pickle": "pandas.read_pickle", "pickle.Unpickler": "pickle.Unpickler",
    "pickle._Unpickler": "pickle._Unpickler", "dill.Unpickler": "dill.Unpickler",
    "pickle._load": "pickle._load", "pickle._loads": "pickle._loads",
}
_KERAS_ATTRS = frozenset({"load_model", "model_from_json", "model_from_config",
                          "deserialize_keras_object"})
_PATHLIKE = (ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.JoinedStr, ast.BinOp)
UNPICKLER_CLASSES = frozenset({"pickle.Unpickler", "pickle._Unpickler", "dill.Unpickler"})
_DUMPS = frozenset({"pickle.dumps", "dill.dumps", "cloudpickle.dumps", "pickle._dumps"})
YAML_FUNCS = frozenset({"yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all",
                        "yaml.full_load", "yaml.full_load_all"})
YAML_SAFE = frozenset({"yaml.SafeLoader", "yaml.CSafeLoader", "yaml.BaseLoader", "yaml.CBaseLoader"})
YAML_UNSAFE_LOADERS = {"yaml.Loader": Severity.HIGH, "yaml.UnsafeLoader": Severity.HIGH,
                       "yaml.CLoader": Severity.HIGH, "yaml.CUnsafeLoader": Severity.HIGH,
                       "yaml.FullLoader": Severity.MEDIUM, "yaml.CFullLoader": Severity.MEDIUM}

# download primitives: qual -> (url position, url keyword, destination position, destination keyword,
#                                checksum keyword, generic http client)
DOWNLOADERS: dict[str, tuple[int | None, str | None, int | None, str | None, str | None, bool]] = {
    "urllib.request.urlretrieve": (0, "url", 1, "filename", None, False),
    "urllib.request.urlopen": (0, "url", None, None, None, True),
    "urllib.request.Request": (0, "url", None, None, None, True),
    "requests.get": (0, "url", None, None, None, True),
    "requests.request": (1, "url", None, None, None, True),
    "requests.Session.get": (0, "url", None, None, None, True),
    "requests.sessions.Session.get": (0, "url", None, None, None, True),
    "httpx.get": (0, "url", None, None, None, True),
    "httpx.stream": (1, "url", None, None, None, True),
    "httpx.Client.get": (0, "url", None, None, None, True),
    "urllib3.PoolManager.request": (1, "url", None, None, None, True),
    "wget.download": (0, "url", 1, "out", None, False),
    "gdown.download": (0, "url", 1, "output", "hash", False),
    "torch.hub.download_url_to_file": (0, "url", 1, "dst", "hash_prefix", False),
    "torch.hub.load_state_dict_from_url": (0, "url", None, None, "check_hash", False),
    "keras.utils.get_file": (1, "origin", None, None, "file_hash", False),
    "keras.utils.data_utils.get_file": (1, "origin", None, None, "file_hash", False),
    "torchvision.datasets.utils.download_url": (0, "url", None, None, "md5", False),
    "torchvision.datasets.utils.download_and_extract_archive": (0, "url", None, None, "md5", False),
}
_STREAMING = frozenset(q for q, spec in DOWNLOADERS.items() if spec[5])
_DOWNLOAD_ATTRS = frozenset(q.rsplit(".", 1)[-1] for q in DOWNLOADERS)
# loaders whose first argument is a path or file that may be a downloaded file (rule MLW206)
LOADERS = frozenset({
    "torch.load", "torch.jit.load", "numpy.load", "pandas.read_pickle", "keras.models.load_model",
    "keras.saving.load_model", "keras.load_model", "safetensors.torch.load_file",
    "safetensors.numpy.load_file",
    "safetensors.safe_open", "onnx.load", "onnxruntime.InferenceSession", "tensorflow.saved_model.load",
    "joblib.load", *PICKLE_FUNCS, *YAML_FUNCS,
})
# method names worth resolving (every rule's callee ends with one of these)
INTERESTING_ATTRS = frozenset({
    *(q.rsplit(".", 1)[-1] for q in (*PICKLE_FUNCS, *YAML_FUNCS, *DOWNLOADERS, *LOADERS)),
    "load", "from_pretrained", "pipeline", "hf_hub_download", "snapshot_download", "load_dataset",
    "load_dataset_builder", "SentenceTransformer", "CrossEncoder", "SparseEncoder", "load_lora_weights",
    "load_textual_inversion", "load_ip_adapter", "enable_unsafe_deserialization", "open", "create_model",
    "partial", "load_url", "download_and_extract",
    *_KERAS_ATTRS, *helpers.HELPER_ATTRS,
})
_REFERENCE_NAMES = frozenset({"load", "loads", "read_pickle", "unsafe_load", "unsafe_load_all", "load_all",
                              "decode", "load_session"})
_CHECKSUM_WORDS = ("sha256", "sha1", "sha512", "sha384", "md5", "blake2", "hexdigest", "digest", "checksum",
                   "verify", "integrity", "hash")
_CHECKSUM_KW = frozenset({"hash_prefix", "file_hash", "md5", "sha256", "expected_hash", "checksum",
                          "known_hash", "hash"})


@dataclass
class Hit:
    rule: Rule
    line: int
    column: int
    message: str
    hint: str
    severity: Severity | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # where it was found (for the provenance pass): the node reported and the scope it is in
    node: ast.AST | None = field(default=None, repr=False, compare=False)
    scope: Scope | None = field(default=None, repr=False, compare=False)
    # the argument that holds the loaded file or data, when the rule is about loading one
    source: ast.AST | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class RawRef:
    kind: str
    repo_id: str
    revision: str | None
    pinned: bool
    line: int
    call: str


@dataclass
class TorchInfo:
    """What the project pins for torch: state is safe (>=2.6), vulnerable (<=2.5.x) or unknown."""

    state: str
    version: str | None = None
    source: str | None = None


class Absent:
    pass


ABSENT: Any = Absent()


@dataclass(frozen=True)
class Branches:
    """An argument that differs between the branches of a conditional ``**`` splat: one value per branch
    (ABSENT where that branch does not pass it)."""

    values: tuple[Any, ...]


def _branch_value(d: Any, names: set[str]) -> Any:
    if not isinstance(d, DictVal):
        return UNKNOWN
    for n in names:
        found, val = d.get(n)
        if found:
            return val
    return ABSENT if d.complete else UNKNOWN


def _same_value(a: Any, b: Any) -> bool:
    if a is UNKNOWN or b is UNKNOWN:
        return False
    if a is ABSENT or b is ABSENT:
        return a is b
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # pragma: no cover - plain data
        return False


def _cwe(rule: Rule) -> str:
    return ", ".join(f"CWE-{c}" for c in rule.cwe)


def _text(node: ast.AST, limit: int = 60) -> str:
    try:
        s = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse of a parsed tree does not fail in practice
        return "<call>"
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _is_true(v: Any) -> bool:
    return v is True or (isinstance(v, int) and not isinstance(v, bool) and v == 1)


def _is_false(v: Any) -> bool:
    return v is False or v is None or (isinstance(v, int) and not isinstance(v, bool) and v == 0)


class Analyzer:
    def __init__(self, tree: ast.Module, *, folder: str | None = None, root: str | None = None,
                 torch_info: Callable[[], TorchInfo] | None = None) -> None:
        self.tree = tree
        self.res = Resolver(tree, folder)
        self.folder = folder
        self.root = root
        self.torch_info = torch_info
        self.hits: list[Hit] = []
        self.refs: list[RawRef] = []
        self._calls: dict[int, list[tuple[ast.Call, tuple[str, ...]]]] = {}
        self._saved: frozenset[str] | None = None
        self._scope: Scope | None = None
        self._trc_used: set[int] = set()
        self._resolved: set[int] = set()
        self.trc_dynamic = False  # trust_remote_code comes from a run-time value (a config, an option)
        self.scan_bundles = True  # set False when the file text never names trust_remote_code

    # -- driver ---------------------------------------------------------------------------------------
    def run(self) -> None:
        for scope in list(self.res.scopes.values()):
            downloads = False
            self._scope = scope
            for call in scope.calls:
                func = call.func
                if call.args:
                    self._loader_references(call, scope)
                if type(func) is ast.Attribute:
                    if func.attr not in INTERESTING_ATTRS and not func.attr.startswith("read_"):
                        self._uninteresting(call, scope)
                        continue
                    downloads = downloads or func.attr in _DOWNLOAD_ATTRS
                quals = self._callee(call, scope)
                downloads = downloads or any(q in DOWNLOADERS for q in quals)
                if "functools.partial" in quals and call.args and not isinstance(call.args[0], ast.Starred):
                    # partial(torch.load, weights_only=False): check it as the call it prepares
                    inner = ast.Call(func=call.args[0], args=call.args[1:], keywords=call.keywords)
                    ast.copy_location(inner, call)
                    self._check_call(inner, self._callee(inner, scope), scope)
                    continue
                self._check_call(call, quals, scope)
            for cls in scope.classes:
                self._check_class(cls, scope)
            if downloads:
                calls = [(c, self._callee(c, scope)) for c in scope.calls]
                self._check_unverified(scope, calls)
        if self.scan_bundles:
            self._trc_bundles()
        self._merge_trust_and_pin()

    def _loader_references(self, call: ast.Call, scope: Scope) -> None:
        """A loader passed by reference (``DatasetFolder(root, loader=torch.load)``, ``map(pickle.load, fs)``)
        is called later with no ``weights_only``/safe options: report it where it is handed over."""
        args = [*call.args[1:], *(k.value for k in call.keywords)] if self._is_partial(call, scope) else \
            [*call.args, *(k.value for k in call.keywords)]
        for a in args:
            name = a.attr if type(a) is ast.Attribute else a.id if type(a) is ast.Name else None
            if name is None or name not in _REFERENCE_NAMES:
                continue
            v = self.res.eval(a, scope)
            if not isinstance(v, Ref):
                continue
            qs = set(v.quals)
            text = _text(a)
            if "torch.load" in qs:
                self._hit(R.TORCH_LOAD, a, f"`{text}` is passed as a loader and will be called without "
                          "weights_only=True", "pass functools.partial(torch.load, weights_only=True)",
                          call=text, reference=True)
            elif qs & set(PICKLE_FUNCS) - UNPICKLER_CLASSES:
                self._hit(R.PICKLE_LOAD, a, f"`{text}` is passed as a loader: it will deserialize pickle "
                          "data",
                          "load only data you produced and verified; prefer safetensors or JSON",
                          call=text, reference=True)
            elif qs & {"yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all"}:
                self._hit(R.YAML_UNSAFE, a, f"`{text}` is passed as a loader without a safe Loader",
                          "pass yaml.safe_load instead", call=text, reference=True)

    def _is_partial(self, call: ast.Call, scope: Scope) -> bool:
        f = call.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        return name == "partial" and "functools.partial" in self._callee(call, scope)

    def _uninteresting(self, call: ast.Call, scope: Scope) -> None:
        """A method call whose name no rule looks at: only the any-call rules apply."""
        if any(kw.arg == "trust_remote_code" or kw.arg is None or kw.arg.endswith("_kwargs")
               for kw in call.keywords):
            self._trust_remote_code(call, scope)
        if call.args and type(call.args[0]) is ast.Constant and isinstance(call.args[0].value, str) and \
                call.args[0].value.startswith(("hf-hub:", "hf_hub:")):
            self._hub(call, scope, (), call.func.attr if isinstance(call.func, ast.Attribute) else "")

    def _callee(self, call: ast.Call, scope: Scope) -> tuple[str, ...]:
        v = self.res.eval(call.func, scope)
        if isinstance(v, Ref):
            return v.quals
        if isinstance(v, ClassVal):
            return (f"<local>.{v.name}",)
        return ()

    def _hit(self, rule: Rule, node: ast.AST, message: str, hint: str, severity: Severity | None = None,
             **data: Any) -> None:
        data.setdefault("cwe", [f"CWE-{c}" for c in rule.cwe])
        source = data.pop("_source", None)
        self.hits.append(Hit(rule, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1,
                             f"{message} ({_cwe(rule)})", hint, severity, data, node, self._scope, source))

    # -- argument access ------------------------------------------------------------------------------
    def arg(self, call: ast.Call, scope: Scope, name: str | None, pos: int | None = None,
            aliases: tuple[str, ...] = ()) -> tuple[Any, ast.AST | None]:
        """The static value of an argument: ABSENT when surely not passed, UNKNOWN when it may be passed
        (unresolvable ``**kwargs``/``*args``) or cannot be resolved."""
        names = {n for n in (name, *aliases) if n}
        for kw in call.keywords:
            if kw.arg in names:
                return self.res.eval(kw.value, scope), kw.value
        if pos is not None:
            for i, a in enumerate(call.args):
                if isinstance(a, ast.Starred):
                    return UNKNOWN, a
                if i == pos:
                    return self.res.eval(a, scope), a
        maybe = False
        for kw in call.keywords:
            if kw.arg is None:
                branches = self._splat_branches(kw.value, scope, 0)
                if len(branches) > 1:
                    # ``**({"weights_only": True} if new_torch else {})``: one value per branch
                    per = [_branch_value(d, names) for d in branches]
                    if any(v is not ABSENT for v in per):
                        first = per[0]
                        if all(_same_value(v, first) for v in per[1:]):
                            return first, kw.value
                        return Branches(tuple(per)), kw.value
                    continue
                d = branches[0]
                if isinstance(d, DictVal):
                    for n in names:
                        found, val = d.get(n)
                        if found:
                            return val, kw.value
                    if not d.complete:
                        maybe = True
                else:
                    maybe = True
        return (UNKNOWN, None) if maybe else (ABSENT, None)

    def _splat_branches(self, node: ast.AST, scope: Scope, depth: int) -> list[Any]:
        """The dicts a ``**`` argument may be: each branch of a conditional expression, each assignment of a
        name bound in several branches; a single value otherwise (a DictVal, or anything else: unknown)."""
        if depth < 4:
            if isinstance(node, ast.IfExp):
                return [*self._splat_branches(node.body, scope, depth + 1),
                        *self._splat_branches(node.orelse, scope, depth + 1)]
            if isinstance(node, ast.Name):
                where = self._binding_scope(scope, node.id)
                exprs = self.res.binding_exprs(scope, node.id) if where is not None else []
                if exprs and (len(exprs) > 1 or isinstance(exprs[0], ast.IfExp)):
                    assert where is not None
                    return [b for e in exprs[:8] for b in self._splat_branches(e, where, depth + 1)]
        return [self.res.eval(node, scope)]

    def _binding_scope(self, scope: Scope, name: str) -> Scope | None:
        s: Scope | None = self.res.module if name in scope.globals_ else scope
        while s is not None and name not in s.bindings:
            s = s.parent
        return s

    @staticmethod
    def _any(v: Any, pred: Callable[[Any], bool]) -> bool:
        """``pred`` holds for the value, or for the value of one branch of a conditional splat."""
        return pred(v) or (isinstance(v, Branches) and any(pred(x) for x in v.values))

    # -- per-call rules -------------------------------------------------------------------------------
    def _check_call(self, call: ast.Call, quals: tuple[str, ...], scope: Scope) -> None:
        qs = set(quals)
        attr = call.func.attr if isinstance(call.func, ast.Attribute) else \
            call.func.id if isinstance(call.func, ast.Name) else ""
        self._trust_remote_code(call, scope)
        if "torch.load" in qs:
            self._torch_load(call, scope)
        if "torch.hub.load" in qs:
            self._torch_hub(call, scope)
        if "torch.hub.load_state_dict_from_url" in qs:
            self._torch_load_url(call, scope)
        pickled = qs & set(PICKLE_FUNCS)
        if pickled:
            self._pickle(call, sorted(pickled)[0], scope)
        if any(q.startswith("numpy.") and q.endswith((".load", ".read_array")) for q in qs):
            self._numpy(call, scope, quals)
        if qs & YAML_FUNCS:
            self._yaml(call, sorted(qs & YAML_FUNCS)[0], scope)
        if "ruamel.yaml.YAML" in qs:
            typ, _ = self.arg(call, scope, "typ")
            if typ == "unsafe" or (isinstance(typ, tuple) and "unsafe" in typ):
                self._hit(R.YAML_UNSAFE, call, f"`{_text(call.func)}(typ=\"unsafe\")` constructs arbitrary "
                          "Python objects from YAML tags", "use YAML(typ=\"safe\")",
                          call=_text(call.func))
        if any(q.startswith("keras.") for q in qs) or attr in _KERAS_ATTRS:
            self._keras(call, scope, quals, attr)
        found = helpers.find(quals) if quals else None
        if found is not None:
            self._helper(call, scope, *found)
        self._hub(call, scope, quals, attr)
        self._http(call, scope, quals)
        if not quals and attr in ("download", "download_and_extract") and call.args:
            # datasets loading scripts: dl_manager.download_and_extract({"train": "http://..."})
            self._http_urls(call, _flatten(self.res.eval(call.args[0], scope)), True)

    def _helper(self, call: ast.Call, scope: Scope, qual: str, h: helpers.Helper) -> None:
        """A well-known third-party helper that unpickles or downloads its argument (helpers.py)."""
        name = _text(call.func)
        what = h.what.format(name=f"`{qual.rsplit('.', 1)[-1]}`")
        value, node = self.arg(call, scope, h.keyword, h.pos)
        if h.safe:
            ok, _ = self.arg(call, scope, h.safe)
            if ok is not ABSENT and not _is_false(ok):
                return
        if h.kind in ("unpickle", "pickle"):
            rule = R.TORCH_LOAD if h.kind == "unpickle" else R.PICKLE_LOAD
            sev: Severity | None = None
            if h.torch_default:
                info = self.torch_info() if self.torch_info else TorchInfo("unknown")
                if info.state == "safe":
                    sev = Severity.INFO
                    what += f" (weights_only=True by default on torch {info.version} pinned in {info.source})"
            self._hit(rule, call, f"`{name}(...)`: {what}",
                      "load weights with weights_only=True or from safetensors, or load only files you "
                      "produced and verified", sev, call=name, helper=qual, _source=node)
            return
        text = value if isinstance(value, str) else value.text if isinstance(value, Prefix) else None
        if text and self._resolve_url(call, text):
            return
        if text and text.lower().startswith("http://") and not _LOOPBACK.match(text):
            self._hit(R.INSECURE_DOWNLOAD, call, f"`{name}` downloads `{_short(text)}` over plain http",
                      "use https and verify a pinned sha256 before loading", call=name, url=text)
            return
        shown = f" `{_short(text)}`" if text else ""
        self._hit(R.UNVERIFIED_DOWNLOAD, call, f"`{name}` downloads{shown} with no checksum check ({what})",
                  f"pass {h.safe}=... with the expected digest" if h.safe else
                  "verify a pinned sha256 of the downloaded file before using it", call=name, helper=qual,
                  url=text)

    def _trust_remote_code(self, call: ast.Call, scope: Scope) -> None:
        if isinstance(call.func, ast.Name) and call.func.id == "dict" and \
                "builtins.dict" in self._callee(call, scope):
            return  # dict(trust_remote_code=True) is reported where it is used (splat or *_kwargs)
        v, node = self.arg(call, scope, "trust_remote_code")
        if not self._any(v, _is_true):
            for kw in call.keywords:  # pipeline(model_kwargs={...}), SentenceTransformer(config_kwargs=...)
                if kw.arg and kw.arg.endswith("_kwargs"):
                    d = self.res.eval(kw.value, scope)
                    if isinstance(d, DictVal) and _is_true(d.get("trust_remote_code")[1]):
                        v, node = True, kw.value
                        break
        if node is not None and v is not True and not isinstance(node, ast.Constant):
            self.trc_dynamic = True  # trust_remote_code=args.trust_remote_code: set by a config at run time
        if node is not None:
            self._trc_used.update(self._dict_origins(node, scope, 0))
        if self._any(v, _is_true):
            self._hit(R.TRUST_REMOTE_CODE, call,
                      f"`{_text(call.func)}(..., trust_remote_code=True)` runs Python code downloaded from "
                      "the model repository",
                      "remove trust_remote_code=True, or review the repository code and pin it with "
                      "revision=\"<40-hex commit>\"", call=_text(call.func))

    def _dict_origins(self, node: ast.AST, scope: Scope, depth: int) -> set[int]:
        """The dict literals / dict() calls a keyword bundle comes from (through names)."""
        if depth > 4:
            return set()
        if isinstance(node, (ast.Dict, ast.Call)):
            return {id(node)}
        if isinstance(node, ast.IfExp):
            return self._dict_origins(node.body, scope, depth + 1) | \
                self._dict_origins(node.orelse, scope, depth + 1)
        if isinstance(node, ast.Name):
            where = self._binding_scope(scope, node.id) or scope
            out: set[int] = set()
            for kind, payload in where.bindings.get(node.id, [])[:8]:
                if kind == "expr" and payload is not None:
                    out |= self._dict_origins(payload, where, depth + 1)
            return out
        return set()

    def _trc_bundles(self) -> None:
        """``trust_remote_code=True`` in a dict bundle (``dict(trust_remote_code=True, ...)``, ``{...}``) that
        no call in this file resolves (mutated later, returned, passed to another module): report the
        bundle."""
        for node in ast.walk(self.tree):
            if id(node) in self._trc_used:
                continue
            value: ast.AST | None = None
            if isinstance(node, ast.Dict):
                value = next((v for k, v in zip(node.keys, node.values, strict=True)
                              if isinstance(k, ast.Constant) and k.value == "trust_remote_code"), None)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
                value = next((k.value for k in node.keywords if k.arg == "trust_remote_code"), None)
            if isinstance(value, ast.Constant) and _is_true(value.value):
                self._scope = None
                self._hit(R.TRUST_REMOTE_CODE, node,
                          "a keyword bundle with trust_remote_code=True: the Hugging Face loader it is "
                          "passed to runs Python code downloaded from the model repository",
                          "remove trust_remote_code=True, or review the repository code and pin it with "
                          "revision=\"<40-hex commit>\"", call="dict", bundle=True)

    def _merge_trust_and_pin(self) -> None:
        """``trust_remote_code=True`` and an unpinned revision on one call are one problem: one high finding
        with both facts (the trust_remote_code one, carrying the revision facts)."""
        unpinned = {id(h.node): h for h in self.hits if h.rule is R.HUB_UNPINNED and h.node is not None}
        if not unpinned:
            return
        drop: set[int] = set()
        for h in self.hits:
            if h.rule is not R.TRUST_REMOTE_CODE or h.node is None:
                continue
            u = unpinned.get(id(h.node))
            if u is None:
                continue
            drop.add(id(u))
            kind, shown = u.data.get("kind", "model"), u.data.get("repo_id", "?")
            h.message = (f"`{h.data.get('call', '?')}(..., trust_remote_code=True)` runs Python code "
                         f"downloaded from {kind} `{shown}`, which is not pinned to a commit "
                         f"({u.data.get('why', 'unpinned')}) (CWE-94, CWE-829, CWE-494)")
            h.hint = ("remove trust_remote_code=True, or review the repository code and pin it with "
                      "revision=\"<40-hex commit>\" (and code_revision)")
            h.data.update({k: u.data[k] for k in ("repo_id", "kind", "revision") if k in u.data})
            h.data["also"] = [{"id": u.rule.id, "slug": u.rule.slug, "severity": "high"}]
        self.hits = [h for h in self.hits if id(h) not in drop]

    def _torch_load(self, call: ast.Call, scope: Scope) -> None:
        name = _text(call.func)
        pm, _ = self.arg(call, scope, "pickle_module", 2)
        wo, _ = self.arg(call, scope, "weights_only")
        wo, note = _weights_only(wo)
        if pm is not ABSENT and not _is_false(pm) and wo is not True:
            pmod = _text(call.args[2]) if len(call.args) > 2 else next(
                (_text(k.value) for k in call.keywords if k.arg == "pickle_module"), "...")
            self._hit(R.PICKLE_LOAD, call,
                      f"`{name}(..., pickle_module={pmod})` unpickles with a custom pickle module "
                      "(weights_only is then off by default)",
                      "drop pickle_module and pass weights_only=True, or load safetensors",
                      call=name, pickle_module=pmod)
            return
        if wo is False:
            self._hit(R.TORCH_LOAD, call, f"`{name}(..., weights_only=False)` unpickles arbitrary objects",
                      "pass weights_only=True (torch>=2.6), or store and load weights with safetensors",
                      call=name, weights_only=False)
            return
        info = self.torch_info() if self.torch_info else TorchInfo("unknown")
        where = f"torch {info.version} pinned in {info.source}" if info.version else "torch version unknown"
        if wo is True:
            if info.state == "vulnerable":
                self._hit(R.TORCH_VULNERABLE, call,
                          f"`{name}(..., weights_only=True)` on {where}: still exploitable on torch <= 2.5.1 "
                          "(CVE-2025-32434)",
                          "require torch>=2.6 (e.g. torch==2.6.0 or later), or load safetensors",
                          call=name, torch=info.version, cve="CVE-2025-32434")
            return
        if wo is ABSENT:
            if info.state == "safe":
                self._hit(R.TORCH_LOAD, call,
                          f"`{name}` without weights_only{note}: safe by default on {where}, but unsafe if "
                          "run on an older torch", "pass weights_only=True explicitly",
                          Severity.INFO, call=name, torch=info.version)
            else:
                self._hit(R.TORCH_LOAD, call,
                          f"`{name}` without weights_only=True{note} unpickles arbitrary objects ({where}; "
                          "the safe default starts with torch 2.6)",
                          "pass weights_only=True and require torch>=2.6, or use safetensors",
                          Severity.MEDIUM if note else None, call=name, torch=info.version)
            return
        self._hit(R.TORCH_LOAD, call,
                  f"`{name}`: weights_only comes from a value the check cannot resolve and may be False",
                  "pass the literal weights_only=True", Severity.MEDIUM, call=name, weights_only="unknown")

    def _torch_load_url(self, call: ast.Call, scope: Scope) -> None:
        """``torch.hub.load_state_dict_from_url`` / ``torch.utils.model_zoo.load_url`` torch.load the
        downloaded file with ``weights_only=False`` by default on every torch version (the 2.6 change did not
        touch them)."""
        name = _text(call.func)
        wo, _ = self.arg(call, scope, "weights_only", 6)
        wo, _note = _weights_only(wo)
        if wo is True:
            info = self.torch_info() if self.torch_info else TorchInfo("unknown")
            if info.state == "vulnerable":
                self._hit(R.TORCH_VULNERABLE, call,
                          f"`{name}(..., weights_only=True)` on torch {info.version} pinned in "
                          f"{info.source}: still exploitable on torch <= 2.5.1 (CVE-2025-32434)",
                          "require torch>=2.6, or download safetensors", call=name, torch=info.version,
                          cve="CVE-2025-32434")
            return
        hashed, _ = self.arg(call, scope, "check_hash", 4)
        if wo is UNKNOWN:
            self._hit(R.TORCH_LOAD, call, f"`{name}`: weights_only comes from a value the check cannot "
                      "resolve and may be False", "pass the literal weights_only=True", Severity.MEDIUM,
                      call=name, weights_only="unknown")
            return
        pinned = _is_true(hashed)
        self._hit(R.TORCH_LOAD, call,
                  f"`{name}` unpickles the downloaded file with weights_only=False (its default on every "
                  "torch version; the torch 2.6 change was to torch.load only)" +
                  ("; check_hash=True pins the file's content" if pinned else ""),
                  "pass weights_only=True, or download safetensors", Severity.MEDIUM if pinned else None,
                  call=name, weights_only=False if wo is not ABSENT else None)

    def _torch_hub(self, call: ast.Call, scope: Scope) -> None:
        name = _text(call.func)
        src, _ = self.arg(call, scope, "source")
        trust, _ = self.arg(call, scope, "trust_repo")
        if _is_true(trust):
            self._hit(R.TORCH_HUB_TRUST, call,
                      f"`{name}(..., trust_repo=True)` runs the repository's hubconf.py without confirmation",
                      "remove trust_repo=True and pin the repository to a 40-hex commit", call=name)
        if isinstance(src, str) and src == "local":
            return
        repo, _ = self.arg(call, scope, "repo_or_dir", 0, ("github",))
        if not isinstance(repo, str) or "/" not in repo or self._looks_local(repo, strict=True):
            return
        owner_repo, _, ref = repo.partition(":")
        if COMMIT.match(ref):
            return
        what = f"ref `{ref}` is a branch or tag" if ref and not _SHORT_HEX.match(ref) else \
            f"ref `{ref}` is a short hash" if ref else "no ref: the default branch"
        self._hit(R.TORCH_HUB_UNPINNED, call,
                  f"`{name}(\"{repo}\")` runs code from GitHub {owner_repo} at a moving ref ({what})",
                  f"use \"{owner_repo}:<40-hex commit>\"", call=name, repo=owner_repo, ref=ref or None)

    def _pickle(self, call: ast.Call, qual: str, scope: Scope) -> None:
        name = _text(call.func)
        if qual.endswith(".loads") and call.args and self._from_dumps(call.args[0], scope):
            return  # pickle.loads(pickle.dumps(x)), directly or via a variable: a copy of our own object
        if qual in UNPICKLER_CLASSES:
            msg = f"`{name}(...)` creates an unrestricted Unpickler: its load() runs code from the data"
        elif qual == "shelve.open" or qual == "shelve.DbfilenameShelf":
            msg = f"`{name}(...)` opens a shelf whose values are unpickled on access"
        else:
            msg = f"`{name}` deserializes pickle data, which can run arbitrary code"
        self._hit(R.PICKLE_LOAD, call, msg,
                  "load only data you produced and verified with a pinned checksum; prefer safetensors, JSON "
                  "or skops", call=name, function=qual)

    def _from_dumps(self, node: ast.AST, scope: Scope, depth: int = 0) -> bool:
        if isinstance(node, ast.Name):
            exprs = self.res.binding_exprs(scope, node.id)
            return bool(exprs) and depth < 5 and all(self._from_dumps(e, scope, depth + 1) for e in exprs)
        return isinstance(node, ast.Call) and bool(set(self._callee(node, scope)) & _DUMPS)

    def _check_class(self, node: ast.ClassDef, scope: Scope) -> None:
        cv = self.res.class_value(node, scope)
        if not set(cv.bases) & UNPICKLER_CLASSES:
            return
        if "find_class" in cv.methods:
            self._hit(R.PICKLE_LOAD, node,
                      f"class `{node.name}` is an Unpickler subclass; its find_class override must allow "
                      "only a fixed set of harmless globals", "keep find_class to an explicit allowlist (no "
                      "builtins.eval/exec/getattr, os, subprocess...), or use a format without code",
                      Severity.MEDIUM, class_name=node.name)
        else:
            self._hit(R.PICKLE_LOAD, node,
                      f"class `{node.name}` subclasses Unpickler without restricting find_class: loading "
                      "runs code from the data",
                      "override find_class with an explicit allowlist, or use a format without code",
                      class_name=node.name)

    def _numpy(self, call: ast.Call, scope: Scope, quals: tuple[str, ...]) -> None:
        pos = 2 if "numpy.load" in quals else None
        v, _ = self.arg(call, scope, "allow_pickle", pos)
        name = _text(call.func)
        if self._any(v, _is_true):
            self._hit(R.NUMPY_PICKLE, call, f"`{name}(..., allow_pickle=True)` can unpickle object arrays",
                      "drop allow_pickle=True (default False) and store numeric arrays only", call=name)
        elif v is UNKNOWN and pos is not None:
            self._hit(R.NUMPY_PICKLE, call,
                      f"`{name}`: allow_pickle comes from a value the check cannot resolve",
                      "pass allow_pickle=False (the default) explicitly", Severity.LOW, call=name)

    def _yaml(self, call: ast.Call, qual: str, scope: Scope) -> None:
        name = _text(call.func)
        hint = "use yaml.safe_load(...) or yaml.load(..., Loader=yaml.SafeLoader)"
        short = qual.split(".", 1)[1]
        if short in ("unsafe_load", "unsafe_load_all"):
            self._hit(R.YAML_UNSAFE, call, f"`{name}` constructs arbitrary Python objects from YAML tags",
                      hint, call=name)
            return
        if short in ("full_load", "full_load_all"):
            self._hit(R.YAML_UNSAFE, call, f"`{name}` uses FullLoader, which resolves Python tags", hint,
                      Severity.MEDIUM, call=name)
            return
        loader, node = self.arg(call, scope, "Loader", 1)
        if loader is ABSENT:
            self._hit(R.YAML_UNSAFE, call,
                      f"`{name}` without Loader: unsafe on PyYAML < 5.1 (and an error on >= 6)", hint,
                      call=name)
            return
        lq: tuple[str, ...] = ()
        if isinstance(loader, Ref):
            lq = loader.quals
        elif isinstance(loader, ClassVal):
            lq = loader.bases
        ltext = _text(node) if node is not None else "?"
        bad = [YAML_UNSAFE_LOADERS[q] for q in lq if q in YAML_UNSAFE_LOADERS]
        if bad:
            self._hit(R.YAML_UNSAFE, call, f"`{name}(..., Loader={ltext})` can construct Python objects",
                      hint,
                      max(bad), call=name, loader=ltext)
            return
        if any(q in YAML_SAFE for q in lq):
            return
        if lq and any(q.startswith("yaml.") for q in lq):
            return  # another PyYAML class we do not list (e.g. a SafeLoader alias): not an unsafe one
        if "safe" in ltext.lower() or "base" in ltext.lower():
            return
        self._hit(R.YAML_UNSAFE, call, f"`{name}(..., Loader={ltext})`: the check cannot tell whether this "
                  "loader is safe", hint, Severity.LOW, call=name, loader=ltext)

    def _keras(self, call: ast.Call, scope: Scope, quals: tuple[str, ...], attr: str) -> None:
        name = _text(call.func)
        if any(q.endswith("config.enable_unsafe_deserialization") for q in quals):
            self._hit(R.KERAS_UNSAFE, call, f"`{name}()` turns off Keras safe mode for every later load",
                      "remove it and keep safe_mode=True", call=name)
            return
        pos = 3 if attr == "load_model" else None
        v, _ = self.arg(call, scope, "safe_mode", pos)
        if self._any(v, lambda x: x is False):
            self._hit(R.KERAS_UNSAFE, call, f"`{name}(..., safe_mode=False)` lets the model file run Python "
                      "code (Lambda layers)", "keep safe_mode=True (the default)", call=name)

    # -- Hub references -------------------------------------------------------------------------------
    def _hub(self, call: ast.Call, scope: Scope, quals: tuple[str, ...], attr: str) -> None:
        qs = set(quals)
        kind = "model"
        id_val: Any = ABSENT
        id_node: ast.AST | None = None
        revision_kw = "revision"
        if attr == "from_pretrained":
            recv = _text(call.func.value) if isinstance(call.func, ast.Attribute) else ""
            recv_q = " ".join(quals)
            if "PeftModel" in recv or "PeftMixedModel" in recv or ".PeftModel" in recv_q:
                id_val, id_node = self.arg(call, scope, "model_id", 1)
            else:
                id_val, id_node = self.arg(call, scope, "pretrained_model_name_or_path", 0,
                                           ("pretrained_model_name", "model_name_or_path", "model_id",
                                            "repo_id"))
            lfo, _ = self.arg(call, scope, "local_files_only")
            if lfo is True:
                return
        elif "transformers.pipeline" in qs:
            id_val, id_node = self.arg(call, scope, "model", 1)
        elif attr in ("hf_hub_download", "snapshot_download") or \
                qs & {"huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download"}:
            id_val, id_node = self.arg(call, scope, "repo_id", 0)
            rt, _ = self.arg(call, scope, "repo_type")
            if rt == "dataset":
                kind = "dataset"
            elif rt == "space":
                kind = "space"
        elif qs & {"datasets.load_dataset", "datasets.load_dataset_builder"}:
            kind = "dataset"
            id_val, id_node = self.arg(call, scope, "path", 0)
        elif any(q.startswith("sentence_transformers.") and q.rsplit(".", 1)[-1] in
                 ("SentenceTransformer", "CrossEncoder", "SparseEncoder") for q in qs):
            id_val, id_node = self.arg(call, scope, "model_name_or_path", 0, ("model_name",))
        elif attr in ("load_lora_weights", "load_textual_inversion", "load_ip_adapter"):
            id_val, id_node = self.arg(call, scope, "pretrained_model_name_or_path_or_dict", 0,
                                       ("pretrained_model_name_or_path",))
            if not isinstance(id_val, str):
                return
        else:
            if call.args and isinstance(call.args[0], (ast.Constant, ast.Name, ast.JoinedStr, ast.BinOp)):
                first = self.res.eval(call.args[0], scope)
                text = first if isinstance(first, str) else first.text if isinstance(first, Prefix) else None
                if text is not None and text.startswith(("hf-hub:", "hf_hub:")):
                    self._timm(call, text, first)
            return
        if id_val is ABSENT:
            return
        if isinstance(id_val, Choice):  # for name in ("org/a", "org/b"): from_pretrained(name)
            for one in id_val.values:
                self._hub_one(call, scope, kind, one, id_node, revision_kw)
            return
        self._hub_one(call, scope, kind, id_val, id_node, revision_kw)

    def _hub_one(self, call: ast.Call, scope: Scope, kind: str, id_val: Any, id_node: ast.AST | None,
                 revision_kw: str) -> None:
        rev, _ = self.arg(call, scope, revision_kw)
        trc, _ = self.arg(call, scope, "trust_remote_code")
        name = _text(call.func)
        if isinstance(id_val, str):
            if id_val.lower().startswith("http://") and not _LOOPBACK.match(id_val):
                self._hit(R.INSECURE_DOWNLOAD, call, f"`{name}` fetches `{id_val}` over plain http",
                          "use https and pin a checksum", call=name, url=id_val)
                return
            if not self._is_hub_id(id_val, kind):
                return
            repo_id: str | None = id_val
        elif isinstance(id_val, Prefix):
            if not (_HUB_ID.match(id_val.text + "x") or id_val.text.endswith("/")) or \
                    self._looks_local(id_val.text):
                return
            repo_id = None
        elif id_val is UNKNOWN or id_val is None:  # None: an option default, given at run time
            if rev is ABSENT or rev is None:
                return  # cannot tell a local folder from a Hub id, and nothing says it is a download
            repo_id = None
        else:
            return  # LocalPath, a model object, ...
        shown = repo_id if repo_id is not None else _text(id_node) if id_node is not None else "?"
        label = kind if kind != "space" else "space"
        if repo_id is not None and kind in ("model", "dataset"):
            rv = rev if isinstance(rev, str) else None
            self.refs.append(RawRef(kind, repo_id, rv, bool(rv and COMMIT.match(rv)), call.lineno, name))
        self._revision_finding(call, name, label, shown, rev, _is_true(trc))

    def _revision_finding(self, call: ast.Call, name: str, kind: str, shown: str, rev: Any, trc: bool,
                          rev_text: str | None = None) -> None:
        hint = "pin revision=\"<40-hex commit>\" (the full commit id from the Hub history)"
        sev = Severity.HIGH if trc else None
        extra = " with trust_remote_code=True (remote code from a moving ref)" if trc else ""
        if isinstance(rev, Choice):  # revision="main" if dev else "<commit>": pinned only if every one is
            rev = next((r for r in rev.values if not COMMIT.match(r)), None)
            if rev is None:
                return
        if rev is ABSENT or rev is None:
            self._hit(R.HUB_UNPINNED, call, f"`{name}` downloads {kind} `{shown}` without a revision "
                      f"(whatever the default branch holds){extra}", hint, sev, call=name, repo_id=shown,
                      kind=kind, revision=None, why="no revision: whatever the default branch holds")
        elif isinstance(rev, str):
            if COMMIT.match(rev):
                return
            why = "a short hash, not a full commit" if _SHORT_HEX.match(rev) else "a branch or tag"
            self._hit(R.HUB_UNPINNED, call, f"`{name}` downloads {kind} `{shown}` at revision `{rev}`, "
                      f"{why}{extra}", hint, sev, call=name, repo_id=shown, kind=kind, revision=rev,
                      why=f"revision `{rev}` is {why}")
        else:
            self._hit(R.HUB_REVISION_UNKNOWN, call, f"`{name}` downloads {kind} `{shown}` at a revision the "
                      "check cannot resolve", hint, call=name, repo_id=shown, kind=kind,
                      revision=rev_text)

    def _timm(self, call: ast.Call, text: str, value: Any) -> None:
        body = text.split(":", 1)[1]
        name = _text(call.func)
        repo_id, sep, rev = body.partition("@")
        if isinstance(value, Prefix) and not sep:
            self._revision_finding(call, name, "model", repo_id + "…", UNKNOWN, False, None)
            return
        if _HUB_ID.match(repo_id):
            pinned = bool(COMMIT.match(rev))
            self.refs.append(RawRef("model", repo_id, rev or None, pinned, call.lineno, name))
        self._revision_finding(call, name, "model", repo_id, rev if sep else ABSENT, False)

    def _looks_local(self, s: str, strict: bool = False) -> bool:
        if s.startswith(("./", "../", "/", "~", "\\", ".\\", "file:")) or s in (".", "..") or "\\" in s:
            return True
        if re.match(r"^[A-Za-z]:[\\/]", s) or any(c.isspace() for c in s) or "{" in s:
            return True
        if strict:
            return False
        if s.count("/") > 1 or _FILE_EXT.search(s.split("@", 1)[0]):
            return True
        first = s.split("/", 1)[0]
        if "/" in s and first.lower() in _LOCAL_DIRS:
            return True
        return any(base and s and os.path.exists(os.path.join(base, s)) for base in (self.folder, self.root))

    def _saved_paths(self) -> frozenset[str]:
        """Constant folders this module writes a model to (``save_pretrained("x")``, ``save_model("x")``,
        ``output_dir="x"``, ``TrainingArguments("x")``): loading one of them later is not a download."""
        if self._saved is None:
            found: set[str] = set()
            for scope in self.res.scopes.values():
                for call in scope.calls:
                    f = call.func
                    name = f.attr if type(f) is ast.Attribute else f.id if type(f) is ast.Name else ""
                    nodes = [k.value for k in call.keywords if k.arg in ("output_dir", "save_directory")]
                    if call.args and name in _SAVE_CALLS:
                        nodes.append(call.args[0])
                    for n in nodes:
                        v = self.res.eval(n, scope)
                        if isinstance(v, str) and v:
                            found.add(v.rstrip("/"))
            self._saved = frozenset(found)
        return self._saved

    def _is_hub_id(self, s: str, kind: str) -> bool:
        if not s or self._looks_local(s) or s.rstrip("/") in self._saved_paths():
            return False
        if "/" in s:
            return bool(_HUB_ID.match(s))
        if not _BARE_ID.match(s):
            return False
        if kind == "dataset":
            return s.lower() not in _PACKAGED_BUILDERS
        return bool(_CANONICAL_MODEL.match(s) or ("-" in s and "_" not in s and _MODEL_TOKENS.search(s)))

    # -- plain http ----------------------------------------------------------------------------------
    def _url_of(self, call: ast.Call, scope: Scope, qual: str) -> tuple[Any, ast.AST | None]:
        spec = DOWNLOADERS[qual]
        return self.arg(call, scope, spec[1], spec[0])

    def _http(self, call: ast.Call, scope: Scope, quals: tuple[str, ...]) -> None:
        urls: list[Any] = []
        generic = False
        for q in quals:
            if q in DOWNLOADERS:
                urls.append(self._url_of(call, scope, q)[0])
                generic = DOWNLOADERS[q][5]
                break
            if q.startswith("pandas.read_") and q != "pandas.read_sql":
                urls.append(self.arg(call, scope, None, 0)[0])
                break
            if q in ("datasets.load_dataset", "datasets.load_dataset_builder"):
                df, _ = self.arg(call, scope, "data_files", 3)
                urls.extend(_flatten(df))
                break
        self._http_urls(call, urls, generic)

    def _http_urls(self, call: ast.Call, urls: list[Any], generic: bool) -> None:
        for u in urls:
            text = u if isinstance(u, str) else u.text if isinstance(u, Prefix) else None
            if text and self._resolve_url(call, text):
                continue
            if not text or not text.lower().startswith("http://") or _LOOPBACK.match(text):
                continue
            if generic and isinstance(u, str) and not _DATA_EXT.search(u.split("#", 1)[0]):
                continue
            if generic and isinstance(u, Prefix):
                continue
            name = _text(call.func)
            self._hit(R.INSECURE_DOWNLOAD, call, f"`{name}` downloads `{_short(text)}` over plain http",
                      "use https and verify a pinned sha256 before loading", call=name, url=text)
            return

    def _resolve_url(self, call: ast.Call, url: str) -> bool:
        """A Hugging Face ``.../resolve/<rev>/file`` URL whose revision is a branch or tag (not a 40-hex
        commit) downloads whatever that branch holds today: hub-unpinned, like an unpinned hf_hub_download."""
        m = _HF_RESOLVE.match(url)
        if m is None or COMMIT.match(m.group("rev")):
            return False
        if id(call) in self._resolved:
            return True
        self._resolved.add(id(call))
        kind = "dataset" if m.group("kind") == "datasets/" else \
            "space" if m.group("kind") == "spaces/" else "model"
        name = _text(call.func)
        rev = m.group("rev")
        self._hit(R.HUB_UNPINNED, call, f"`{name}` downloads `{m.group('file')}` of {kind} "
                  f"`{m.group('repo')}` through a `resolve/{rev}` URL: `{rev}` is a branch or tag, not a "
                  "commit",
                  "put the 40-hex commit in the URL (.../resolve/<commit>/...) and verify a pinned sha256",
                  call=name, repo_id=m.group("repo"), kind=kind, revision=rev, url=url,
                  why=f"`resolve/{rev}` URL, a branch or tag")
        return True

    # -- downloaded then loaded without a checksum (one scope) -----------------------------------------
    def _check_unverified(self, scope: Scope, calls: list[tuple[ast.Call, tuple[str, ...]]]) -> None:
        downloads: list[tuple[ast.Call, str]] = []
        streaming = False
        for call, quals in calls:
            q = next((x for x in quals if x in DOWNLOADERS), None)
            if q is None:
                continue
            spec = DOWNLOADERS[q]
            if spec[4]:
                v, _ = self.arg(call, scope, spec[4])
                if v is not ABSENT and not _is_false(v):
                    continue  # the downloader verifies a hash itself
            downloads.append((call, q))
            streaming = streaming or q in _STREAMING
        if not downloads:
            return
        for call, quals in calls:
            if self._is_checksum(call, quals, scope):
                return
        by_id = {id(c): c for c, _ in downloads}
        dests: dict[tuple[str, str], ast.Call] = {}
        tainted: dict[str, ast.Call] = {}
        for call, q in downloads:
            spec = DOWNLOADERS[q]
            if spec[2] is not None or spec[3] is not None:
                _, node = self.arg(call, scope, spec[3], spec[2])
                if node is not None:
                    for k in self._keys(node, scope):
                        dests.setdefault(k, call)
        streams = sorted((c for c, q in downloads if q in _STREAMING), key=lambda c: (c.lineno, c.col_offset))
        # names assigned from downloads or derived from them; files opened for writing when streaming
        nodes = sorted((n for n in children_in_scope(scope.node) if isinstance(n, (ast.Assign, ast.With,
                        ast.AsyncWith, ast.AnnAssign, ast.Call))), key=lambda n: (n.lineno, n.col_offset))
        for n in nodes:
            if isinstance(n, ast.Call) and streams and _is_open_write(n, self, scope):
                before = [c for c in streams if (c.lineno, c.col_offset) <= (n.lineno, n.col_offset)]
                origin = before[-1] if before else streams[0]
                for k in self._keys(n.args[0], scope):
                    dests.setdefault(k, origin)
                continue
            pairs: list[tuple[ast.AST, ast.AST | None]] = []
            if isinstance(n, ast.Assign):
                pairs = [(t, n.value) for t in n.targets]
            elif isinstance(n, ast.AnnAssign):
                pairs = [(n.target, n.value)]
            elif isinstance(n, (ast.With, ast.AsyncWith)):
                pairs = [(it.optional_vars, it.context_expr) for it in n.items
                         if it.optional_vars is not None]
            for target, value in pairs:
                if value is None:
                    continue
                src = self._origin(value, by_id, dests, tainted, scope)
                if src is not None:
                    for t in ast.walk(target):
                        if isinstance(t, ast.Name):
                            tainted.setdefault(t.id, src)
        reported: set[int] = set()
        for call, quals in calls:
            if id(call) in by_id:
                continue
            attr = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            if not (set(quals) & LOADERS or attr == "from_pretrained"):
                continue
            args = [*call.args[:1], *(k.value for k in call.keywords
                                      if k.arg in ("f", "file", "filename", "path", "stream", "filepath",
                                                   "pretrained_model_name_or_path"))]
            for a in args:
                dl = self._origin(a, by_id, dests, tainted, scope)
                if dl is None or id(dl) in reported:
                    continue
                reported.add(id(dl))
                self._hit(R.UNVERIFIED_DOWNLOAD, dl,
                          f"`{_text(dl.func)}` downloads a file that `{_text(call.func)}` loads on line "
                          f"{call.lineno} with no checksum check",
                          "compare hashlib.sha256(data).hexdigest() with a pinned digest before loading",
                          call=_text(dl.func), load_line=call.lineno, load=_text(call.func))

    def _keys(self, node: ast.AST, scope: Scope) -> set[tuple[str, str]]:
        keys = {("d", ast.dump(node))}
        v = self.res.eval(node, scope)
        if isinstance(v, str):
            keys.add(("s", v))
        elif isinstance(v, LocalPath) and v.text:
            keys.add(("s", v.text))
        return keys

    def _origin(self, node: ast.AST, by_id: dict[int, ast.Call], dests: dict[tuple[str, str], ast.Call],
                tainted: dict[str, ast.Call], scope: Scope) -> ast.Call | None:
        """The download whose result ``node`` uses (a tainted name, the download call itself, or its
        destination path), or None."""
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id in tainted:
                return tainted[n.id]
            if isinstance(n, ast.Call) and id(n) in by_id:
                return by_id[id(n)]
            if dests and isinstance(n, _PATHLIKE):
                for k in self._keys(n, scope):
                    if k in dests:
                        return dests[k]
        return None

    def _is_checksum(self, call: ast.Call, quals: tuple[str, ...], scope: Scope) -> bool:
        if any(q.startswith("hashlib.") for q in quals):
            return True
        name = call.func.attr if isinstance(call.func, ast.Attribute) else \
            call.func.id if isinstance(call.func, ast.Name) else ""
        low = name.lower()
        if any(w in low for w in _CHECKSUM_WORDS):
            return True
        for kw in call.keywords:
            if kw.arg in _CHECKSUM_KW:
                v = self.res.eval(kw.value, scope)
                if v is not None and v is not False:
                    return True
            if kw.arg == "check_hash" and _is_true(self.res.eval(kw.value, scope)):
                return True
        return False


def _is_open_write(call: ast.Call, an: Analyzer, scope: Scope) -> bool:
    quals = an._callee(call, scope)
    is_open = "builtins.open" in quals or "io.open" in quals or \
        (isinstance(call.func, ast.Attribute) and call.func.attr == "open" and not quals)
    if not is_open or not call.args:
        return False
    mode, _ = an.arg(call, scope, "mode", 1)
    return isinstance(mode, str) and "b" in mode and any(c in mode for c in "wax")


def _weights_only(wo: Any) -> tuple[Any, str]:
    """Reduce a per-branch ``weights_only`` to the worst branch: False if any branch passes False, absent
    if a branch leaves it out (the others passing True), unknown otherwise; with a note for the message."""
    if not isinstance(wo, Branches):
        return wo, ""
    vals = wo.values
    if any(v is False for v in vals):
        return False, ""
    if all(v is True or v is ABSENT for v in vals):
        return ABSENT, " in one branch of its conditional keyword arguments"
    return UNKNOWN, ""


def _flatten(v: Any) -> list[Any]:
    if isinstance(v, (str, Prefix)):
        return [v]
    if isinstance(v, tuple):
        return [x for e in v for x in _flatten(e)]
    if isinstance(v, DictVal):
        return [x for _, e in v.items for x in _flatten(e)]
    return []


def _short(s: str, limit: int = 80) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


__all__ = ["ABSENT", "COMMIT", "Analyzer", "Hit", "Instance", "RawRef", "TorchInfo"]
