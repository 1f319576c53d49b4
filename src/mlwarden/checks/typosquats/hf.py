"""Hugging Face ids (``org/name``) in code and config whose organisation imitates a popular one.

A light, precise scan: regular expressions over the text (string literals next to hub calls in Python and
notebooks, hub-ish keys in YAML/JSON/TOML/INI). Nothing is imported, parsed as code or executed.

Speed: one whole-file pass finds every quoted ``org/name`` literal; the organisation of each is judged
once per run (cached) against the bundled organisations, and only for the rare look-alike does the scan
find its line and look for a hub call around it. A file without a ``/`` is not scanned at all.

Which organisations are real: ``hf_orgs.txt`` (curated official publishers and re-uploaders) and
``hf_orgs_popular.tsv`` (a snapshot of the organisations and users that popular ML packages reference,
with a popularity weight, built by ``scripts/harvest_hf_orgs.py``). An organisation in either list is never
reported, unless it is a rare one in the snapshot (weight at most ``RARE_WEIGHT``) that is one edit away
from an organisation at least ``RARE_RATIO`` times more popular (a typo that made it into someone's docs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from mlwarden.checks.typosquats import data as _data
from mlwarden.checks.typosquats.text import damerau, skeleton, unseparated

HF_SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".json", ".toml", ".cfg")
MAX_BYTES = 8 * 1024 * 1024
# organisations of the snapshot with at least this weight are targets a squatter would imitate
TARGET_WEIGHT = 40
RARE_WEIGHT = 20
RARE_RATIO = 25

_ID = r"(?P<org>[A-Za-z0-9][A-Za-z0-9._-]{1,95})/(?P<repo>[A-Za-z0-9][A-Za-z0-9._-]{0,95})"
# a quoted id (also inside a JSON string of a notebook, where quotes are escaped)
_QUOTED = re.compile(r"""(?P<q>["']|\\["'])""" + _ID + r"(?P=q)")
# hub calls and keys that take a repo id
CONTEXT_RE = re.compile(
    r"from_pretrained|pipeline\s*\(|hf_hub_download|snapshot_download|hf_hub_url|load_dataset|"
    r"repo_id|model_id|model_name|name_or_path|base_model|tokenizer_name|dataset_name|hub_model_id|"
    r"SentenceTransformer|CrossEncoder|create_model|hf_hub:|HfApi|InferenceClient|AutoModel|AutoTokenizer|"
    r"AutoProcessor|AutoConfig|checkpoint|pretrained|\bmodel\s*[=:]|\"model\"\s*:|\bdataset\s*[=:]",
    re.IGNORECASE)
_CONTEXT = CONTEXT_RE  # the old name
# unquoted YAML / INI values: key: org/name
_KEYED = re.compile(
    r"^[ \t]*-?[ \t]*[\"']?(?P<key>[A-Za-z_.-]*(?:model|repo|dataset|tokenizer|checkpoint|pretrained|"
    r"name_or_path)[A-Za-z_.-]*)[\"']?[ \t]*[:=][ \t]*[\"']?" + _ID + r"[\"']?[ \t]*(?:#.*)?$",
    re.IGNORECASE | re.MULTILINE)
_KEYED_SUFFIXES = (".yaml", ".yml", ".toml", ".cfg")
# keys that name a GitHub repository, not a Hub id (``actions/checkout`` with ``repository: owner/name``)
_NOT_HUB_KEYS = frozenset({"repository", "repo_url", "github_repo", "github_repository", "git_repo"})
_LONG_LINE = 20000  # a longer physical line is a compact JSON/notebook: its escaped "\n" split lines
_WINDOW = 400  # how far around an id (on its line) its hub call is looked for
MAX_LOOKALIKES = 200  # look-alike ids judged per file (a file with more is generated or hostile)

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


@dataclass(frozen=True)
class _Orgs:
    known: dict[str, int]  # lowercased org -> weight (curated ones: at least TARGET_WEIGHT)
    targets: tuple[tuple[str, str, str, str, int], ...]  # (low, spelling, unseparated, skeleton, weight)


@lru_cache(maxsize=1)
def _orgs() -> _Orgs:
    curated = _data.hf_orgs()
    popular = _data.hf_orgs_popular()
    known: dict[str, int] = {low: w for low, (_, w, _) in popular.items()}
    spelling = {low: s for low, (s, _, _) in popular.items()}
    # a target is referenced by two packages at least (one package's test fixtures name made-up orgs)
    is_target = {low for low, (_, w, pkgs) in popular.items() if w >= TARGET_WEIGHT and pkgs >= 2}
    for low, (_, org) in curated.items():
        known[low] = max(known.get(low, 0), TARGET_WEIGHT)
        spelling[low] = org
        is_target.add(low)
    targets = tuple(sorted(
        ((low, spelling[low], unseparated(low.replace("_", "-").replace(".", "-")), skeleton(spelling[low]),
          known[low]) for low in is_target if len(low) >= 4),
        key=lambda t: (-t[4], t[0])))
    return _Orgs(known, targets)


@lru_cache(maxsize=4096)
def _near_org(org: str) -> tuple[str, str, float] | None:
    """(imitated org, kind, score) when ``org`` looks like a popular organisation it is not."""
    orgs = _orgs()
    low = org.lower()
    own = orgs.known.get(low, 0)
    if own > RARE_WEIGHT:
        return None
    best: tuple[str, str, float] | None = None
    best_w = 0

    def offer(spelling: str, kind: str, score: float, weight: int) -> None:
        nonlocal best, best_w
        if best is None or (score, weight) > (best[2], best_w):
            best, best_w = (spelling, kind, score), weight

    un, sk = unseparated(low.replace("_", "-").replace(".", "-")), skeleton(org)
    for t, spelling, t_un, t_sk, weight in orgs.targets:
        if t == low:
            continue
        if own and weight < RARE_RATIO * own:
            continue  # a real organisation of the snapshot, not far less popular than this target
        if un == t_un:
            offer(spelling, "separator", 0.95, weight)
        elif sk == t_sk:
            offer(spelling, "homoglyph", 1.0, weight)
        elif len(t) >= 5 and abs(len(t) - len(low)) <= 2:
            d = damerau(low, t, 2)
            if d == 1:
                offer(spelling, "edit-distance-1", 0.9, weight)
            elif d == 2 and len(t) >= 9 and not own:
                offer(spelling, "edit-distance-2", 0.7, weight)
        if not own and len(t) >= 5 and (low.startswith(t) or low.endswith(t)) and low != t:
            rest = (low[len(t):] if low.startswith(t) else low[: -len(t)]).strip("-_.")
            if rest in _AFFIX_WORDS:
                offer(spelling, "affix", 0.8, weight)
    if own and best is not None and best[1] not in ("edit-distance-1", "homoglyph", "separator"):
        return None
    return best


class _Cursor:
    """Line numbers and line starts of increasing positions in one text. Searches go forward from the
    previous position or stay within ``_WINDOW`` characters, so a file full of ids costs linear time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.start = 0
        self.compact = False
        self.line_end = -1  # end of the current physical line
        self.logical = 0

    def locate(self, pos: int) -> tuple[int, int, int, bool]:
        """(line number, start of the physical line, start of the logical line, compact?) of ``pos``; in a
        compact JSON line (longer than ``_LONG_LINE``) an escaped ``\\n`` also ends a logical line."""
        text = self.text
        if pos < self.pos:
            self.__init__(text)  # type: ignore[misc]
        newlines = text.count("\n", self.pos, pos)
        if newlines or self.line_end < 0:
            self.line += newlines
            self.start = text.rfind("\n", self.pos, pos) + 1 if newlines else self.start
            nl = text.find("\n", pos)
            self.line_end = len(text) if nl < 0 else nl
            self.compact = self.line_end - self.start > _LONG_LINE
            self.logical = self.start
        if self.compact:
            esc = text.rfind("\\n", max(self.logical, self.pos), pos)
            if esc >= 0:
                self.logical = esc + 2
        self.pos = pos
        return self.line, self.start, max(self.logical, pos - _WINDOW), self.compact


def _lines_before(text: str, logical: int, physical: int, compact: bool, count: int) -> list[str]:
    """Up to ``count`` logical lines before the one starting at ``logical`` (nearest first); a line longer
    than ``_WINDOW`` ends the look-back."""
    out: list[str] = []
    sep = "\\n" if compact else "\n"
    floor = physical if compact else 0
    end = logical
    while len(out) < count and end > floor:
        stop = end - len(sep)
        if stop < floor:
            break
        lo = max(floor, stop - _WINDOW - 1)
        begin = text.rfind(sep, lo, stop)
        if begin < 0 and lo > floor:
            break  # a longer line: not code that carries a call
        begin = floor if begin < 0 else begin + len(sep)
        out.append(text[begin:stop])
        end = begin
    return out


def _in_context(text: str, pos: int, logical: int, physical: int, compact: bool) -> bool:
    """A hub call on the id's own line, or an open call on one of the two lines before it (looked for
    within ``_WINDOW`` characters of the id)."""
    end = pos + _WINDOW
    nl = text.find("\n", pos, end)
    line_end = min(len(text), end) if nl < 0 else nl
    if compact:
        esc = text.find("\\n", pos, line_end)
        line_end = line_end if esc < 0 else esc
    if CONTEXT_RE.search(text, logical, line_end) is not None:
        return True
    for prev in _lines_before(text, logical, physical, compact, 2):
        if CONTEXT_RE.search(prev) is not None:
            return prev.count("(") > prev.count(")")
    return False


def scan_text(text: str, suffix: str) -> Iterator[HfHit]:
    """Hub ids in ``text`` whose organisation imitates a popular one, in file order."""
    if "/" not in text:
        return
    hits: dict[tuple[int, int], HfHit] = {}
    cursor = _Cursor(text)
    budget = MAX_LOOKALIKES
    for m in _QUOTED.finditer(text):
        org = m.group("org")
        if org.startswith(".") or ".." in org:
            continue
        near = _near_org(org)
        if near is None:
            continue
        budget -= 1
        if budget < 0:
            break
        pos = m.start("org")
        lineno, physical, logical, compact = cursor.locate(pos)
        if not _in_context(text, pos, logical, physical, compact):
            continue
        col = pos - physical + 1
        hits.setdefault((lineno, col), HfHit(lineno, col, org, m.group("repo"), near[0], near[1], near[2]))
    if suffix in _KEYED_SUFFIXES:
        cursor = _Cursor(text)
        for km in _KEYED.finditer(text):
            org = km.group("org")
            if org.startswith(".") or ".." in org or km.group("key").lower() in _NOT_HUB_KEYS:
                continue
            near = _near_org(org)
            if near is None:
                continue
            pos = km.start("org")
            lineno, physical, _, _ = cursor.locate(pos)
            col = pos - physical + 1
            hits.setdefault((lineno, col),
                            HfHit(lineno, col, org, km.group("repo"), near[0], near[1], near[2]))
    for key in sorted(hits):
        yield hits[key]
