"""check-unsafe-loads rules (MLW1xx: unsafe loading code; MLW2xx: model and dataset references)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

_C = "check-unsafe-loads"

TORCH_LOAD = Rule(
    "MLW101", "torch-load-unsafe", Severity.HIGH,
    "torch.load can unpickle arbitrary objects",
    "`torch.load` unpickles its input; before torch 2.6, and whenever `weights_only=False` is passed, a "
    "crafted checkpoint runs code on load. Pass `weights_only=True` (and require torch>=2.6), or store "
    "weights as safetensors (`safetensors.torch.load_file`). Severity follows the torch version the "
    "project pins: informational on torch>=2.6 when `weights_only` is simply left out.",
    cwe=(502,), check=_C)
TORCH_VULNERABLE = Rule(
    "MLW102", "torch-load-vulnerable-torch", Severity.HIGH,
    "weights_only=True on a torch affected by CVE-2025-32434",
    "On torch <= 2.5.1 `torch.load(..., weights_only=True)` can still be made to run code (CVE-2025-32434). "
    "Require torch>=2.6 in the project's requirements, or load safetensors instead.",
    cwe=(502,), check=_C)
PICKLE_LOAD = Rule(
    "MLW103", "pickle-load", Severity.HIGH, "Pickle-family deserialization",
    "pickle, _pickle/cPickle, dill, cloudpickle, joblib, shelve, jsonpickle, `pandas.read_pickle`, "
    "`torch.load(pickle_module=...)` and Unpicklers run code chosen by whoever wrote the data. Load only "
    "data you produced and verified (checksum), or switch to a format without code (safetensors, JSON, numpy "
    "without `allow_pickle`, skops for scikit-learn models).",
    cwe=(502,), check=_C)
NUMPY_PICKLE = Rule(
    "MLW104", "numpy-allow-pickle", Severity.HIGH,
    "numpy load with allow_pickle=True",
    "`allow_pickle=True` lets `.npy`/`.npz` object arrays unpickle arbitrary objects. Keep the default "
    "`allow_pickle=False` and store plain numeric arrays.",
    cwe=(502,), check=_C)
YAML_UNSAFE = Rule(
    "MLW105", "yaml-unsafe-load", Severity.HIGH, "YAML loaded with a loader that constructs Python objects",
    "`yaml.load` without a safe Loader, `yaml.unsafe_load`, `yaml.full_load` and their `_all` variants, or "
    "`Loader=yaml.Loader/UnsafeLoader/FullLoader` can build arbitrary Python objects from tags. Use "
    "`yaml.safe_load(...)` or `yaml.load(..., Loader=yaml.SafeLoader)` (CSafeLoader).",
    cwe=(502,), check=_C)
KERAS_UNSAFE = Rule(
    "MLW106", "keras-unsafe-mode", Severity.HIGH, "Keras deserialization with safe_mode disabled",
    "`safe_mode=False` (or `keras.config.enable_unsafe_deserialization()`) lets a `.keras` file run the "
    "Python bytecode of its Lambda layers. Keep `safe_mode=True` (the default) and replace Lambda layers "
    "by registered custom layers.",
    cwe=(502, 94), check=_C)
TRUST_REMOTE_CODE = Rule(
    "MLW107", "trust-remote-code", Severity.HIGH,
    "trust_remote_code=True runs code from the model repository",
    "With `trust_remote_code=True`, transformers, sentence-transformers and datasets import and run Python "
    "files downloaded from the Hub repository. Drop it if the architecture is built in; otherwise review the "
    "code and pin the repository with `revision=\"<40-hex commit>\"` (and `code_revision`).",
    cwe=(94, 829), check=_C)
HUB_UNPINNED = Rule(
    "MLW201", "hub-unpinned", Severity.MEDIUM,
    "Model or dataset download not pinned to a commit",
    "Without `revision=\"<40-hex commit>\"` a Hub download fetches whatever the branch or tag points to now; "
    "the owner (or an attacker with their token) can change it under you. Branches, tags and short hashes "
    "are not pins. Pin the full commit id shown on the Hub (\"Files and versions\" > history). Not reported "
    "in test suites (fixtures and tiny test models are fetched on purpose).",
    cwe=(494, 829), check=_C, role_severity=(("test", None),))
HUB_REVISION_UNKNOWN = Rule(
    "MLW202", "hub-revision-unknown", Severity.LOW, "Download revision the check cannot resolve",
    "The revision (or keyword arguments that may carry it) comes from a value computed at run time, so the "
    "check cannot tell whether the download is pinned. Pass a literal `revision=\"<40-hex commit>\"` or a "
    "module constant holding one.",
    cwe=(829,), check=_C, role_severity=(("test", None),))
TORCH_HUB_UNPINNED = Rule(
    "MLW203", "torch-hub-unpinned", Severity.HIGH, "torch.hub.load of a GitHub ref that is not a commit",
    "`torch.hub.load(\"owner/repo[:ref]\", ...)` downloads and runs `hubconf.py` from that ref; without a "
    "40-hex commit it runs whatever the default branch, branch or tag holds today. Use "
    "`\"owner/repo:<40-hex commit>\"`, or vendor the code and load weights with `weights_only=True`.",
    cwe=(829, 94), check=_C)
TORCH_HUB_TRUST = Rule(
    "MLW204", "torch-hub-trust-repo", Severity.MEDIUM, "torch.hub.load with trust_repo=True",
    "`trust_repo=True` skips torch.hub's confirmation before running code from a repository that is not "
    "yet trusted. Remove it (or use `trust_repo=\"check\"`) and pin the repository to a commit.",
    cwe=(94, 829), check=_C)
INSECURE_DOWNLOAD = Rule(
    "MLW205", "insecure-download", Severity.HIGH, "Model or data file downloaded over plain http",
    "Anyone on the network path can replace a file fetched over `http://`; for pickled models that is code "
    "execution. Use `https://` and verify a pinned checksum.",
    cwe=(494, 319), check=_C)
UNVERIFIED_DOWNLOAD = Rule(
    "MLW206", "download-unverified", Severity.MEDIUM, "Downloaded file loaded without a checksum check",
    "A file fetched with urllib/requests/wget/torch.hub is loaded in the same function with no hash "
    "comparison, so a changed or tampered file is used as is. Compare `hashlib.sha256(...)` with a pinned "
    "digest before loading (or pass `hash_prefix=` / `check_hash=True` / `file_hash=`).",
    cwe=(494,), check=_C)
CONFIG_CODE_EXEC = Rule(
    "MLW108", "config-code-exec", Severity.HIGH, "Config file holds Python code that the repository executes",
    "A dataset or training config (YAML) holds a block of Python source (a `download: |` script, as in "
    "yolov5-style dataset files) and the repository's code runs a value read from such configs with `exec` "
    "or `eval`: whoever can change the config (a downloaded dataset file, a pull request, a user-supplied "
    "path) runs arbitrary code. Replace the script by data (URLs with pinned sha256 digests) handled by "
    "the project's own download code, or keep such scripts in reviewed Python modules.",
    cwe=(94,), check=_C)

RULES: tuple[Rule, ...] = (
    TORCH_LOAD, TORCH_VULNERABLE, PICKLE_LOAD, NUMPY_PICKLE, YAML_UNSAFE, KERAS_UNSAFE, TRUST_REMOTE_CODE,
    CONFIG_CODE_EXEC, HUB_UNPINNED, HUB_REVISION_UNKNOWN, TORCH_HUB_UNPINNED, TORCH_HUB_TRUST,
    INSECURE_DOWNLOAD, UNVERIFIED_DOWNLOAD,
)
