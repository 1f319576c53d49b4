"""Allowlist-first classification of the globals a pickle imports.

* ``safe``: an exact ``(module, qualified name)`` pair real checkpoints and estimators need (bundled in
  ``mlwarden/data/pickle_allowlist.txt``, plus the user's ``allow`` option);
* ``dangerous``: a known code-execution, file, network or import gadget (also reached through a dotted
  name such as ``("torch", "os.system")``, which protocol 4 resolves as ``torch.os.system``);
* ``unknown``: everything else.

Verdicts are data only: nothing is imported and nothing depends on what is installed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources

SAFE, DANGEROUS, UNKNOWN = "safe", "dangerous", "unknown"

# Whole modules (and their submodules) whose every attribute is a gadget for an attacker.
DANGEROUS_MODULES: dict[str, str] = {
    "os": "runs commands and touches files",
    "posix": "runs commands",
    "nt": "runs commands",
    "posixpath": "file system access",
    "ntpath": "file system access",
    "subprocess": "runs commands",
    "_posixsubprocess": "runs commands",
    "_winapi": "runs commands",
    "pty": "spawns a shell",
    "commands": "runs commands",
    "popen2": "runs commands",
    "sys": "interpreter internals",
    "runpy": "runs Python code",
    "importlib": "imports modules",
    "imp": "imports modules",
    "zipimport": "imports modules",
    "pkgutil": "imports modules",
    "code": "runs Python code",
    "codeop": "compiles Python code",
    "timeit": "runs Python code",
    "trace": "runs Python code",
    "profile": "runs Python code",
    "cProfile": "runs Python code",
    "pdb": "runs Python code",
    "bdb": "runs Python code",
    "doctest": "runs Python code",
    "pip": "installs and runs packages",
    "setuptools": "runs build code",
    "distutils": "runs build code",
    "ensurepip": "installs packages",
    "venv": "creates environments",
    "site": "imports modules",
    "pydoc": "runs commands (pipepager, tempfilepager)",
    "webbrowser": "runs commands",
    "socket": "network access",
    "socketserver": "network access",
    "http": "network access",
    "urllib": "network access",
    "urllib2": "network access",
    "urllib3": "network access",
    "requests": "network access",
    "httpx": "network access",
    "aiohttp": "network access",
    "ftplib": "network access",
    "smtplib": "network access",
    "telnetlib": "network access",
    "xmlrpc": "network access",
    "asyncio": "runs commands",
    "multiprocessing": "runs code in processes",
    "concurrent": "runs code",
    "threading": "runs code",
    "_thread": "runs code",
    "signal": "signals",
    "ctypes": "calls native code",
    "_ctypes": "calls native code",
    "cffi": "calls native code",
    "shutil": "copies and deletes files",
    "tempfile": "creates files",
    "glob": "file system access",
    "io": "opens files",
    "_io": "opens files",
    "fileinput": "opens files",
    "pathlib": "file system access",
    "mmap": "maps files",
    "fcntl": "file descriptors",
    "pickle": "nested unpickling",
    "_pickle": "nested unpickling",
    "cPickle": "nested unpickling",
    "dill": "nested unpickling",
    "cloudpickle": "nested unpickling",
    "shelve": "nested unpickling",
    "marshal": "loads code objects",
    "types": "builds functions and code objects",
    "operator": "attribute and method call gadgets (attrgetter, methodcaller)",
    "_operator": "attribute and method call gadgets",
    "functools": "call gadgets (partial, reduce)",
    "_functools": "call gadgets",
    "inspect": "interpreter internals",
    "gc": "interpreter internals",
    "builtins.__dict__": "interpreter internals",
    "yaml": "unsafe YAML loading",
    "jinja2": "templates",
    "tkinter": "GUI",
    "idlelib": "runs code",
    "paramiko": "remote shell",
    "platform": "runs commands",
    "uuid": "runs commands on old Pythons",
    "ssl": "network access",
    "select": "network access",
    "selectors": "network access",
    "resource": "process limits",
    "readline": "terminal",
    "rlcompleter": "evaluates expressions",
    "logging.config": "network listener and class instantiation",
    "sqlite3": "database files",
    "dbm": "database files",
    "zipfile": "writes files",
    "tarfile": "writes files",
    "cgi": "runs code",
    "cgitb": "runs code",
    "wsgiref": "network access",
    "smtpd": "network access",
    "nturl2path": "file paths",
    "msvcrt": "console",
    "winreg": "registry",
    "_winreg": "registry",
    "_sitebuiltins": "help/quit objects",
    "imaplib": "network access",
    "poplib": "network access",
    "nntplib": "network access",
    "antigravity": "opens a web browser",
    "zipapp": "writes files",
    "compileall": "compiles files",
    "py_compile": "compiles files",
    "mailcap": "runs commands",
    "pipes": "runs commands",
    "_xxsubinterpreters": "runs code",
    "_interpreters": "runs code",
    "_testcapi": "native test hooks",
    "_testinternalcapi": "native test hooks",
    "_multiprocessing": "processes",
    "lib2to3": "rewrites code",
    "cmd": "command interpreter",
    "_osx_support": "runs commands",
    "_aix_support": "runs commands",
    "sysconfig": "interpreter config",
    "_pyrepl": "runs code and commands (pager, interactive console)",
    "logging.handlers": "opens sockets and files",
    "pkg_resources": "loads entry points",
    "atexit": "registers callables run at exit",
}

# builtins that execute code, import, reach attributes or touch files
DANGEROUS_BUILTINS = frozenset(
    {
        "eval",
        "exec",
        "execfile",
        "compile",
        "getattr",
        "setattr",
        "delattr",
        "__import__",
        "open",
        "file",
        "breakpoint",
        "input",
        "raw_input",
        "globals",
        "locals",
        "vars",
        "reload",
        "apply",
        "exit",
        "quit",
        "help",
        "__build_class__",
        "__loader__",
        "__spec__",
    }
)

# Library gadgets: module prefixes (and exact names) inside otherwise trusted libraries.
DANGEROUS_PREFIXES: dict[str, str] = {
    "torch._inductor": "compiles and runs generated code",
    "torch.utils.cpp_extension": "compiles and loads native code",
    "torch.utils._config_module": "config code execution",
    "torch.utils.collect_env": "runs commands",
    "torch.utils.data.datapipes": "runs callables",
    "torch.utils.bundled_inputs": "evaluates code",
    "torch.utils.benchmark": "compiles code",
    "torch.utils.tensorboard": "writes files",
    "torch.utils.model_dump": "runs code",
    "torch.utils.hipify": "rewrites files",
    "torch.jit": "compiles and loads TorchScript",
    "torch._jit_internal": "compiles code",
    "torch.hub": "downloads and runs code",
    "torch.serialization.load": "nested unpickling",
    "torch.serialization": "loads files",
    "torch.load": "nested unpickling",
    "torch.save": "writes files",
    "torch._dynamo": "compiles and runs code",
    "torch.compile": "compiles code",
    "torch._export": "loads code",
    "torch.export": "loads code",
    "torch.fx": "generates and runs Python code",
    "torch.package": "imports code",
    "torch.distributed": "remote procedure calls",
    "torch._C._jit": "TorchScript internals",
    "torch._C._distributed": "remote procedure calls",
    "torch.multiprocessing": "runs processes",
    "torch.ops": "arbitrary operators",
    "torch._ops": "arbitrary operators",
    "torch.testing": "test helpers",
    "torch._functorch": "compiles code",
    "torch.backends": "backend internals",
    "torch._utils_internal": "internals",
    "torch.cuda._utils": "internals",
    "torch.library": "operators",
    "torch.onnx": "exports and runs code",
    "torch.profiler": "writes files",
    "numpy.testing": "runstring executes code",
    "numpy.f2py": "compiles and runs code",
    "numpy.distutils": "runs build code",
    "numpy.ctypeslib": "loads native code",
    "numpy.load": "nested unpickling",
    "numpy.lib.npyio": "loads and writes files",
    "numpy.lib._npyio_impl": "loads and writes files",
    "numpy.lib.format": "nested unpickling",
    "numpy.lib.utils": "source inspection",
    "numpy.save": "writes files",
    "numpy.savez": "writes files",
    "numpy.savetxt": "writes files",
    "numpy.loadtxt": "reads files",
    "numpy.genfromtxt": "reads files",
    "numpy.fromfile": "reads files",
    "numpy.memmap": "maps files",
    "numpy.core.memmap": "maps files",
    "numpy._core.memmap": "maps files",
    "numpy.lib._datasource": "downloads files",
    "numpy.DataSource": "downloads files",
    "numpy.tofile": "writes files",
    "sklearn.utils._testing": "test helpers run code",
    "sklearn.utils.fixes": "version shims",
    "sklearn.datasets": "downloads and reads files",
    "sklearn.externals": "vendored code",
    "sklearn.utils._show_versions": "runs code",
    "joblib.load": "nested unpickling",
    "joblib.dump": "writes files",
    "joblib.parallel": "runs code",
    "joblib.numpy_pickle.load": "nested unpickling",
    "joblib._store_backends": "files",
    "joblib.memory": "files",
    "joblib.externals": "vendored cloudpickle/loky",
    "pandas.read_pickle": "nested unpickling",
    "pandas.io": "reads and writes files",
    "pandas.core.computation": "evaluates expressions",
    "pandas.eval": "evaluates expressions",
    "scipy.weave": "compiles code",
    "scipy.io": "reads and writes files",
    "keras.models.load_model": "loads code",
    "keras.src.saving": "loads code",
    "tensorflow.io": "file access",
    "tensorflow.python.ops.gen_io_ops": "file access",
    "tensorflow.keras.models.load_model": "loads code",
    "transformers.dynamic_module_utils": "runs remote code",
    "huggingface_hub": "downloads files",
    "IPython": "runs code",
    "ipykernel": "runs code",
    "nbconvert": "runs code",
    "jupyter_client": "runs code",
    "_codecs.open": "opens files",
    "codecs.open": "opens files",
    "linecache": "reads files",
    "copyreg.add_extension": "changes the extension registry",
    "copy_reg.add_extension": "extension registry",
    "sys.modules": "interpreter internals",
    "typing._eval_type": "evaluates code",
    "dataclasses._create_fn": "runs code",
    "string.Formatter": "format-string attribute access",
    "collections.namedtuple": "builds classes from strings",
    "numpy.vectorize": "wraps callables",
    "numpy.frompyfunc": "wraps callables",
    "numpy.apply_along_axis": "calls callables",
    "numpy.piecewise": "calls callables",
    "torch.autograd.function": "custom functions",
    "numpy.lib._utils_impl": "source inspection and eval",
    "pandas.core.frame.DataFrame.query": "evaluates expressions",
    "pandas.core.frame.DataFrame.eval": "evaluates expressions",
    "torch.utils._python_dispatch": "dispatch hooks",
    "torch._C._import_ir_module_from_package": "loads code",
    "torch.classes.load_library": "loads native code",
    "torch.ops.load_library": "loads native code",
    "torch.utils.bottleneck": "runs scripts under profilers",
    "torch.compiler": "compiles code",
    "torch.utils.jit": "TorchScript helpers",
    "torch.utils.mobile_optimizer": "loads TorchScript",
    "torch.utils._import_utils": "imports modules (dill)",
    "logging.FileHandler": "opens files",
    "logging.basicConfig": "opens files",
    "keras.src.utils.python_utils": "func_load unmarshals code",
    "keras.utils.python_utils": "func_load unmarshals code",
    "tf_keras.src.utils.generic_utils": "func_load unmarshals code",
    "tensorflow.python.keras.utils.generic_utils": "func_load unmarshals code",
    "keras.utils.generic_utils": "func_load unmarshals code",
    "pandas.read_csv": "reads files and URLs",
    "pandas.read_table": "reads files and URLs",
    "pandas.read_fwf": "reads files and URLs",
    "pandas.read_json": "reads files and URLs",
    "pandas.read_html": "reads files and URLs",
    "pandas.read_xml": "reads files and URLs",
    "pandas.read_excel": "reads files and URLs",
    "pandas.read_parquet": "reads files and URLs",
    "pandas.read_feather": "reads files and URLs",
    "pandas.read_orc": "reads files and URLs",
    "pandas.read_hdf": "reads files",
    "pandas.read_sql": "runs SQL",
    "pandas.read_sql_query": "runs SQL",
    "pandas.read_stata": "reads files and URLs",
    "pandas.read_sas": "reads files and URLs",
    "pandas.read_spss": "reads files",
    "pandas.read_clipboard": "runs clipboard commands",
    "sklearn.utils.estimator_checks": "test helpers",
    "mlflow.projects": "runs entry-point commands",
    "mlflow.utils.process": "runs commands",
    "mlflow.pyfunc": "loads and runs model code",
}

# Attribute names that reach interpreter internals when used as part of a dotted name
_DUNDER_ALLOWED = frozenset({"__init__", "__new__"})
_CALL_NAMES = frozenset(
    {
        "system",
        "popen",
        "spawn",
        "spawnl",
        "spawnlp",
        "spawnv",
        "spawnvp",
        "execl",
        "execle",
        "execlp",
        "execv",
        "execve",
        "execvp",
        "call",
        "check_call",
        "check_output",
        "run",
        "Popen",
        "getoutput",
        "getstatusoutput",
        "eval",
        "exec",
        "compile",
        "__import__",
        "import_module",
        "load",
        "loads",
        "getattr",
        "setattr",
        "open",
        "remove",
        "unlink",
        "rmtree",
        "rmdir",
        "kill",
        "fork",
        "startfile",
        "run_path",
        "run_module",
        "pipepager",
        "tempfilepager",
        "runstring",
        "attrgetter",
        "methodcaller",
        "partial",
        "main",
        "execfile",
        "breakpoint",
        "write",
        "urlopen",
        "create_connection",
        "CDLL",
    }
)


@functools.lru_cache(maxsize=1)
def bundled_allowlist() -> frozenset[str]:
    """The bundled pairs as ``"module:qualname"`` strings (the generated file holds exactly one per line, so
    the set is built in one pass: ~13k entries)."""
    text = resources.files("mlwarden.data").joinpath("pickle_allowlist.txt").read_text("utf-8")
    lines = frozenset(text.splitlines())
    return frozenset(x for x in lines if x and x[0] != "#") if any(x[:1] == "#" for x in lines) else lines


@functools.lru_cache(maxsize=1)
def bundled_object_allowlist() -> frozenset[str]:
    """Classes of ML libraries (read from their sources) that are safe to rebuild as objects or pass as
    values, but not to call with load-time arguments, as ``"module:qualname"`` strings."""
    text = resources.files("mlwarden.data").joinpath("pickle_object_allowlist.txt").read_text("utf-8")
    return frozenset(x for x in text.splitlines() if x and x[0] != "#")


def parse_allow_entries(lines: Iterable[str], strict: bool = False) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if ":" in line:
            mod, _, name = line.partition(":")
        elif strict:
            raise ValueError(f"bad allowlist entry {line!r}")
        else:
            mod, _, name = line.rpartition(".")
        out.append((mod.strip(), name.strip()))
    return out


class Classifier:
    """Classify ``(module, name)`` pairs; ``extra`` entries ("module:qualname" or "module.qualname")
    extend the bundled allowlist."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.allowed = bundled_allowlist()
        self.extra_pairs: set[tuple[str, str]] = set()
        self.extra_dotted: set[str] = set()
        for entry in extra:
            e = entry.strip()
            if not e:
                continue
            if ":" in e:
                mod, _, name = e.partition(":")
                self.extra_pairs.add((mod.strip(), name.strip()))
            else:
                self.extra_dotted.add(e)
        self._cache: dict[tuple[str, str], tuple[str, str]] = {}

    def object_safe(self, module: str, name: str) -> bool:
        """True for classes that are safe to rebuild as objects (NEWOBJ + BUILD) but not to call."""
        mod, nm = normalize(module, name)
        return f"{mod}:{nm}" in bundled_object_allowlist()

    def classify(self, module: str, name: str) -> tuple[str, str]:
        """(verdict, reason) for a global."""
        key = (module, name)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._classify(module, name)
        return hit

    def _classify(self, module: str, name: str) -> tuple[str, str]:
        mod, nm = normalize(module, name)
        # exact pairs first: a few allowlisted helpers live inside otherwise dangerous modules
        if f"{mod}:{nm}" in self.allowed:
            return SAFE, "allowlisted"
        if (mod, nm) in self.extra_pairs or f"{mod}.{nm}" in self.extra_dotted:
            return SAFE, "allowed by configuration"
        danger = dangerous_reason(mod, nm)
        if danger:
            return DANGEROUS, danger
        return UNKNOWN, "not in the allowlist of known-safe globals"


def normalize(module: str, name: str) -> tuple[str, str]:
    """Python 2 names the unpickler maps (fix_imports), e.g. ``__builtin__`` -> ``builtins``."""
    import _compat_pickle

    pair = _compat_pickle.NAME_MAPPING.get((module, name))
    if pair is not None:
        return pair
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def dangerous_reason(module: str, name: str) -> str:
    """Why ``module.name`` is a known gadget, or '' when it is not known to be one."""
    reason = _direct_reason(module, name)
    if reason:
        return reason
    parts = name.split(".")
    if len(parts) > 1 or any(p.startswith("__") and p.endswith("__") for p in parts):
        # protocol 4 resolves dotted names by getattr from the module: ("torch", "os.system")
        # is torch.os.system, i.e. os.system; check every tail of the attribute chain.
        for p in parts:
            if p.startswith("__") and p.endswith("__") and p not in _DUNDER_ALLOWED:
                return f"reaches interpreter internals through attribute {p!r}"
        for i in range(len(parts) - 1):
            for j in range(i + 1, len(parts)):
                sub_mod = ".".join(parts[i:j])
                sub_name = ".".join(parts[j:])
                reason = _direct_reason(sub_mod, sub_name)
                if reason:
                    return f"dotted name reaches {sub_mod}.{sub_name}: {reason}"
        if parts[-1] in _CALL_NAMES:
            return f"dotted name ends in the call gadget {parts[-1]!r}"
    return ""


def _direct_reason(module: str, name: str) -> str:
    full = f"{module}.{name}" if name else module
    top = module.split(".", 1)[0]
    if module in ("builtins", "__builtin__"):
        head = name.split(".", 1)[0]
        if head in DANGEROUS_BUILTINS:
            return f"builtins.{head} executes code, imports, reaches attributes or opens files"
        return ""
    # module or package match (os, os.path, subprocess...)
    for cand in (module, top):
        r = DANGEROUS_MODULES.get(cand)
        if r:
            return f"{cand}: {r}"
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        r = DANGEROUS_MODULES.get(".".join(parts[:i]))
        if r:
            return f"{'.'.join(parts[:i])}: {r}"
    # library gadgets: prefix on the full dotted path, by whole segments
    segs = full.split(".")
    for i in range(len(segs), 0, -1):
        r = DANGEROUS_PREFIXES.get(".".join(segs[:i]))
        if r:
            return f"{'.'.join(segs[:i])}: {r}"
    return ""
