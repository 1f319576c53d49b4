"""``trust_remote_code: true`` in the YAML / JSON / TOML configs a project feeds to ``from_pretrained``.

Training kits (LLaMA-Factory, axolotl, trl scripts...) read ``trust_remote_code`` from a config file and pass
it on (``from_pretrained(..., trust_remote_code=model_args.trust_remote_code)``): the config line is where
the risk is decided, so it is reported there (MLW107), when the repository's code passes a run-time value
as ``trust_remote_code`` or the config itself names the model it loads. The text is matched with regular
expressions on at most the first 2 MiB (nothing is parsed into objects, nothing is run).
"""

from __future__ import annotations

import re
from pathlib import Path

from mlwarden.checks.unsafe_loads import rules as R
from mlwarden.core.findings import Finding, Severity

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
MAX_BYTES = 2 * 1024 * 1024
_TRC = re.compile(r"""^[ \t]*["']?trust_remote_code["']?[ \t]*[:=][ \t]*["']?(?:true|True|TRUE|yes|on|1)\b""",
                  re.M)
_MODEL = re.compile(r"""^[ \t]*["']?(?:model_name_or_path|pretrained_model_name_or_path|model_name|"""
                    r"""model_id|base_model|model_path|tokenizer_name_or_path|model)["']?"""
                    r"""[ \t]*[:=][ \t]*["']?"""
                    r"""([A-Za-z0-9][\w.\-]*/[\w.\-]+|[^\s"',#}]+)""", re.M)
_REV = re.compile(r"""^[ \t]*["']?(?:model_)?revision["']?[ \t]*[:=][ \t]*["']?([^\s"',#}]+)""", re.M)
_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


def is_config(name: str) -> bool:
    return name.lower().endswith(CONFIG_SUFFIXES)


def scan_config(path: Path, display: str, code_passes_it: bool) -> list[Finding]:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES)
    except OSError:
        return []
    if b"trust_remote_code" not in data:
        return []
    text = data.decode("utf-8", "replace")
    out: list[Finding] = []
    models = [m.group(1) for m in _MODEL.finditer(text)]
    hub = next((m for m in models if _HUB_ID.match(m) and not m.startswith((".", "/", "~"))), None)
    revs = [r.group(1) for r in _REV.finditer(text)]
    pinned = bool(revs) and all(_COMMIT.match(r) for r in revs)
    if not (code_passes_it or models):
        return []
    for m in _TRC.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if hub and not pinned:
            sev = Severity.HIGH
            what = (f"model `{hub}`, not pinned to a commit ("
                    + (f"revision `{revs[0]}` is not a commit" if revs else "no revision") + ")")
        elif hub:
            sev, what = Severity.MEDIUM, f"model `{hub}` (pinned to a commit)"
        else:
            sev = Severity.MEDIUM
            what = "the model this config names" if models else "the model it is used with"
        out.append(Finding(
            R.TRUST_REMOTE_CODE, display,
            f"`trust_remote_code: true` in a config the code passes to from_pretrained: it runs Python code "
            f"downloaded from {what} (CWE-94, CWE-829)", severity=sev, line=line,
            column=m.start() - text.rfind("\n", 0, m.start()),
            hint="set trust_remote_code to false, or review the model repository's code and pin revision to "
                 "its 40-hex commit", data={"cwe": ["CWE-94", "CWE-829"], "config": True, "repo_id": hub}))
    return out
