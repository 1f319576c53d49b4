"""Hugging Face ids (``org/name``) in code and config whose organisation imitates a popular one.

A light, precise scan: regular expressions over the text (string literals next to hub calls in Python and
notebooks, hub-ish keys in YAML/JSON/TOML/INI). Nothing is imported, parsed as code or executed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from mlwarden.checks.typosquats import data as _data
from mlwarden.checks.typosquats.text import damerau, skeleton, unseparated

HF_SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".json", ".toml", ".cfg")
MAX_BYTES = 8 * 1024 * 1024

_ID = r"(?P<org>[A-Za-z0-9][A-Za-z0-9._-]{1,95})/(?P<repo>[A-Za-z0-9][A-Za-z0-9._-]{0,95})"
# a quoted id (also inside a JSON string of a notebook, where quotes are escaped)
_QUOTED = re.compile(r"""(?P<q>\\?["'])""" + _ID + r"(?P=q)")
# hub calls and keys that take a repo id
_CONTEXT = re.compile(
    r"from_pretrained|pipeline\s*\(|hf_hub_download|snapshot_download|hf_hub_url|load_dataset|"
    r"repo_id|model_id|model_name|name_or_path|base_model|tokenizer_name|dataset_name|hub_model_id|"
    r"SentenceTransformer|CrossEncoder|create_model|hf_hub:|HfApi|InferenceClient|AutoModel|AutoTokenizer|"
    r"AutoProcessor|AutoConfig|checkpoint|pretrained|\bmodel\s*[=:]|\"model\"\s*:|\bdataset\s*[=:]",
    re.IGNORECASE)
# unquoted YAML / INI values: key: org/name
_KEYED = re.compile(
    r"^\s*-?\s*[\"']?(?P<key>[A-Za-z_.-]*(?:model|repo|dataset|tokenizer|checkpoint|pretrained|"
    r"name_or_path)[A-Za-z_.-]*)[\"']?\s*[:=]\s*[\"']?" + _ID + r"[\"']?\s*(?:#.*)?$", re.IGNORECASE)

_AFFIX_WORDS = ("official", "real", "verified", "original", "hf", "org", "inc", "team", "ai", "models",
                "hub", "huggingface")


@dataclass(frozen=True)
class HfHit:
    line: int
    column: int
    org: str
    repo: str
    target: str  # the official org imitated (its spelling on the Hub)
    kind: str
    score: float


def _near_org(org: str) -> tuple[str, str, float] | None:
    orgs = _data.hf_orgs()
    low = org.lower()
    if low in orgs:
        return None
    best: tuple[str, str, float] | None = None

    def offer(t: str, kind: str, score: float) -> None:
        nonlocal best
        if best is None or score > best[2]:
            best = (orgs[t][1], kind, score)

    un, sk = unseparated(low.replace("_", "-").replace(".", "-")), skeleton(org)
    for t in orgs:
        if len(t) < 4:
            continue
        if un == unseparated(t):
            offer(t, "separator", 0.95)
        elif sk == skeleton(orgs[t][1]):
            offer(t, "homoglyph", 1.0)
        elif len(t) >= 5 and abs(len(t) - len(low)) <= 2:
            d = damerau(low, t, 2)
            if d == 1:
                offer(t, "edit-distance-1", 0.9)
            elif d == 2 and len(t) >= 9:
                offer(t, "edit-distance-2", 0.7)
        if len(t) >= 5 and (low.startswith(t) or low.endswith(t)) and low != t:
            rest = (low[len(t):] if low.startswith(t) else low[: -len(t)]).strip("-_.")
            if rest in _AFFIX_WORDS:
                offer(t, "affix", 0.8)
    return best


def scan_text(text: str, suffix: str) -> Iterator[HfHit]:
    """Hub ids in ``text`` whose organisation imitates a popular one."""
    seen: set[tuple[int, int]] = set()
    last_context = -10
    for lineno, physical in enumerate(text.splitlines(), 1):
        # a compact notebook/JSON file keeps its code on one physical line: scan its escaped lines
        pieces = [physical] if len(physical) <= 20000 else physical.split("\\n")
        offset = 0
        for line in pieces:
            base = offset
            offset += len(line) + 2
            if len(line) > 20000:
                continue
            here = _CONTEXT.search(line) is not None
            if here:
                # a call left open carries its context to the next lines (a wrapped argument list)
                last_context = lineno if line.count("(") > line.count(")") else -10
            if "/" not in line:
                continue
            found: list[tuple[int, str, str]] = []
            if here or lineno - last_context <= 2:
                for m in _QUOTED.finditer(line):
                    found.append((base + m.start("org") + 1, m.group("org"), m.group("repo")))
            if suffix in (".yaml", ".yml", ".toml", ".cfg"):
                km = _KEYED.match(line)
                if km:
                    found.append((base + km.start("org") + 1, km.group("org"), km.group("repo")))
            for col, org, repo in found:
                if (lineno, col) in seen or org.startswith(".") or ".." in org:
                    continue
                seen.add((lineno, col))
                near = _near_org(org)
                if near is not None:
                    yield HfHit(lineno, col, org, repo, near[0], near[1], near[2])
