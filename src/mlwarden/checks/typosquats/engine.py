"""The name matcher: is a package name a typosquat, combosquat, stdlib-name or known-malicious name?

Candidates come from the bundled hash index (deletion neighbourhoods, homoglyph skeletons, separator-free
forms, sorted tokens, affix cores), never from a scan of every popular name. Each candidate pair is
classified into a confusion kind and scored::

    score = plausibility(kind) x length factor(target) x popularity factor(target rank) x existence factor

where the existence factor is 1.0 for a name that is not on the public index at all (a removed malicious
package, or a name anyone can register) and lower for a name that exists (most such names are someone's
legitimate project). A popular name is never reported as a squat of another.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from mlwarden.checks.typosquats import data as _data
from mlwarden.checks.typosquats.text import (
    AFFIX_PREFIXES,
    adjacent_keys,
    affix_core,
    ascii_fold,
    canonical,
    damerau,
    is_homoglyph_pair,
    skeleton,
    sorted_tokens,
    strip_affixes,
    tokens,
    unseparated,
)

# plausibility of each confusion kind (how likely this difference is a deliberate look-alike)
PLAUSIBILITY = {
    "homoglyph": 1.0,
    "leetspeak": 0.95,
    "separator": 0.95,
    "omitted-double-letter": 0.95,
    "doubled-letter": 0.9,
    "transposition": 0.9,
    "reordered-tokens": 0.9,
    "keyboard-adjacent": 0.85,
    "omitted-letter": 0.8,
    "affix": 0.8,
    "vowel-swap": 0.8,
    "plural": 0.8,
    "substitution": 0.7,
    "insertion": 0.7,
    "combosquat": 0.7,
    "edit-distance-2": 0.6,
}
# The default threshold is the lowest that keeps false alarms within budget on random real PyPI names
# scored as if unknown to the snapshot (new or private projects): 0.9 % there, none in the top 2,000;
# recall 80 % on real-attack-shaped names (python benchmarks/bench_typosquats.py --all-names ...).
DEFAULT_THRESHOLD = 0.66
# A name that exists on PyPI (and is not popular) is someone's project far more often than a live squat:
# at the default threshold it is reported only at full score (homoglyph or leetspeak of a top name).
EXISTS_FACTOR = DEFAULT_THRESHOLD
# combosquat multipliers (calibrated with benchmarks/bench_typosquats.py: legitimate integrations such as
# ``flask-redis-sentinel`` or ``django-logical-rules`` are far more common than squats of that shape)
COMBO_BAIT = 1.0  # popular name + bait words only (``requests-darwin-lite``, ``numpy-dev``)
COMBO_TWO_POPULAR = 0.9  # popular name + another popular name (``beautifulsoup-numpy``)
COMBO_ANY_WORD = 0.7  # a top-1,000 name + any word
TIE_MARGIN = 0.05
_NO_DIGIT_PENALTY = frozenset({"combosquat", "affix", "reordered-tokens", "leetspeak"})
AFFIX_POP_POWER = 1.0  # 2 (steeper popularity for affixes) cuts extra-token recall from 94 % to 32 %
# long names: each letter past 9 (one edit) or 10 (two edits) raises the length factor by a step
LONG_STEP, LONG_MAX = 0.03, 1.25
D2_LONG_STEP, D2_LONG_MAX = 0.1, 1.5
VOWELS = frozenset("aeiouy")

# first tokens of recognised plugin families: `<family>-<anything>` is a plugin, not a combosquat, unless
# the other part is itself a popular name
PLUGIN_FAMILIES = frozenset({
    "pytest", "django", "djangocms", "flask", "types", "sphinx", "sphinxcontrib", "mkdocs", "jupyterlab",
    "jupyter", "azure", "azure-mgmt", "google", "google-cloud", "opentelemetry",
    "opentelemetry-instrumentation", "llama-index", "langchain", "apache-airflow-providers", "airflow",
    "dagster", "prefect", "pulumi", "flake8", "pylint", "mypy", "mypy-boto3", "types-boto3", "tox",
    "hatch", "poetry", "pdm", "napari", "qiskit", "pyobjc", "pyobjc-framework", "oslo", "nonebot",
    "nonebot-plugin", "odoo", "odoo14-addon", "odoo-addon", "plone", "collective", "zope", "ckanext",
    "datasette", "streamlit", "dbt", "tap", "target", "airbyte", "kedro", "mlflow", "pyramid", "wagtail",
    "pelican", "sentry", "robotframework", "fastapi", "sqlalchemy", "pydantic", "invenio", "frappe",
    "sphinxext", "nbconvert", "ipython", "jupyter-server", "keras", "tensorflow", "torch", "pytorch",
    "huggingface", "cdk", "aws-cdk", "oci", "alibabacloud", "tencentcloud", "huaweicloud", "ansible",
    "salt", "saltext", "graphene", "strawberry", "channels", "drf", "djangorestframework", "allure",
    "pytest-django", "coverage", "kivy", "mcp", "crewai", "haystack", "ray", "scrapy",
})

# words squatters glue onto a popular name; none of them makes a new project on its own
BAIT_WORDS = frozenset({
    "darwin", "linux", "windows", "win", "win32", "win64", "mac", "macos", "osx", "android", "ios",
    "lite", "light", "pro", "plus", "premium", "fast", "faster", "speed", "speedup", "fixed", "fix",
    "patched", "patch", "secure", "security", "safe", "new", "newest", "latest", "update", "updated",
    "updater", "upgrade", "official", "free", "api", "sdk", "dev", "devel", "utils", "util", "utility",
    "utilities", "tools", "tool", "toolkit", "helper", "helpers", "extra", "extras", "ext", "extension",
    "extended", "core", "lib", "libs", "library", "py", "python", "python3", "py3", "client", "wrapper",
    "module", "modules", "package", "pkg", "installer", "install", "setup", "build", "builder", "bin",
    "binary", "mod", "modded", "hack", "hacks", "crack", "cracked", "tweak", "tweaks", "boost",
    "booster", "optimizer", "optimized", "advanced", "ultimate", "super", "mega", "max", "best", "top",
    "easy", "simple", "quick", "auto", "bot", "cli", "gui", "app", "web", "async", "sync", "v1", "v2",
    "v3", "x", "ng", "next", "nightly", "beta", "alpha", "test", "testing", "demo", "sample", "example",
    "stable", "release", "full", "complete", "all", "plugin", "plugins", "addon", "addons", "kit",
    "support", "loader", "load", "runner", "run", "exec", "launcher", "service", "services", "server",
    "proxy", "connect", "connector", "bridge", "integration", "interface", "handler", "manager", "mgr",
    "engine", "framework", "base", "common", "shared", "main", "master", "original", "real", "true",
    "legit", "verified", "trusted", "enterprise", "cloud", "online", "local", "data", "stealer",
    "grabber", "logger", "token", "tokens", "selfbot", "nuker", "spam", "spammer", "cheats", "cheat",
    "rat", "miner", "mining", "crypto", "wallet", "keys", "key", "pass", "password", "passwords",
    "gpu", "cpu", "cuda", "mini", "micro", "nano", "tiny", "small", "big", "one", "two", "new2",
    "https", "http", "pkgs",
})

# popular names that are ordinary words: too generic to anchor a combosquat on their own
GENERIC = frozenset({
    "python", "py", "lib", "utils", "util", "tools", "tool", "core", "common", "client", "api", "sdk",
    "test", "tests", "testing", "data", "base", "config", "configs", "log", "logs", "logging", "json",
    "http", "https", "web", "app", "cli", "db", "io", "ml", "ai", "auth", "cloud", "aws", "azure",
    "google", "dev", "server", "types", "typing", "plugin", "plugins", "extension", "mock", "future",
    "setup", "build", "package", "packaging", "six", "wheel", "pip", "enum", "path", "file", "files",
    "time", "date", "datetime", "text", "string", "strings", "image", "images", "video", "audio", "model",
    "models", "net", "network", "socket", "email", "mail", "html", "xml", "yaml", "toml", "csv", "sql",
    "cache", "queue", "task", "tasks", "job", "jobs", "run", "runner", "docs", "doc", "color", "colors",
    "colour", "table", "tables", "graph", "plot", "math", "random", "uuid", "hash", "crypto", "security",
    "parser", "parse", "compat", "backports", "backport", "async", "sync", "retry",
    "version", "versions", "git", "github",
    "pipelines", "dataset", "datasets", "vision", "speech", "nlp", "llm",
    "agent", "agents", "chat", "bot", "openapi", "schema", "schemas", "template", "templates",
    "sqlite", "s3", "gcs", "ftp", "ssh", "ssl", "tls",
    "proxy", "dns", "url", "urls", "uri", "ip", "tcp", "udp", "grpc", "rpc", "rest", "ui", "gui", "pdf",
    "excel", "word", "zip", "tar", "gzip", "oauth", "saml", "ldap", "env", "settings",
    "secrets", "vault", "events", "event", "signals", "stream", "streams", "serial", "usb", "gpio",
    "monitor", "metrics", "trace", "tracing", "profile", "profiler", "debug", "debugger", "lint",
    "linter", "format", "formatter", "style", "styles", "theme", "themes", "icons", "fonts", "font",
    "widgets", "widget", "forms", "form", "admin", "users", "user", "accounts", "account", "payments",
    "notebook", "kernel", "shell", "terminal", "console", "progress",
    # placeholder words of private package names
    "acme", "example", "demo", "sample", "my", "internal", "private", "company", "corp", "team", "org",
})

MAX_NAME = 200  # longer names are not PyPI names; checked by the combosquat rule only up to this


@dataclass(frozen=True)
class Match:
    name: str  # canonical candidate
    target: str  # the popular (or stdlib, or listed) name it imitates
    kind: str
    score: float
    detail: str = ""
    target_rank: int | None = None
    exists: bool | None = None  # on the public index according to the bundled snapshot


def popularity_factor(rank: int) -> float:
    if rank <= 200:
        return 1.0
    return max(0.6, 1.0 - 0.12 * math.log10(rank / 200))


def length_factor(n: int) -> float:
    """One edit in a short name often makes another real word; in a long name it is a typo: a legitimate
    project is rarely one letter away from a 15-letter popular name."""
    if n <= 3:
        return 0.0
    if n >= 7:
        return min(LONG_MAX, 1.0 + LONG_STEP * max(0, n - 9))
    return {4: 0.65, 5: 0.8, 6: 0.9}[n]


def d2_length_factor(n: int) -> float:
    """Two edits in a short name make another word; in a long one they are a typo."""
    if n < 7:
        return 0.0
    if n <= 10:
        return {7: 0.8, 8: 0.85, 9: 0.9, 10: 0.95}[n]
    return min(D2_LONG_MAX, 1.0 + D2_LONG_STEP * (n - 10))


LEET = {"0": "o", "1": "li", "3": "e", "4": "a", "5": "s", "7": "t"}


def leet_variants(name: str, limit: int = 32) -> set[str]:
    """``crypt0graphy`` -> {``cryptography``}: digits read as the letters they stand for."""
    if not any(ch in LEET for ch in name):
        return set()
    out = [""]
    for ch in name:
        opts = LEET.get(ch, "") + ch if ch in LEET else ch
        out = [o + x for o in out for x in opts][:limit]
    return {v for v in out if v != name}


def _squeezed_variants(name: str) -> set[str]:
    """``asynciooo`` -> {``asyncioo``, ``asyncio``}: a run of 3+ equal letters shortened."""
    import re

    out = set()
    for m in re.finditer(r"([a-z])\1{2,}", name):
        for keep in (1, 2):
            out.add(name[: m.start()] + m.group(1) * keep + name[m.end():])
    return out


def _classify_sub(c: str, t: str, i: int) -> tuple[str, str]:
    a, b = c[i], t[i]
    if is_homoglyph_pair(a, b):
        return "homoglyph", f"'{a}' looks like '{b}'"
    if adjacent_keys(a, b):
        return "keyboard-adjacent", f"'{b}' -> neighbouring key '{a}'"
    if a in VOWELS and b in VOWELS:
        return "vowel-swap", f"vowel '{b}' -> '{a}'"
    return "substitution", f"'{b}' -> '{a}' at position {i + 1}"


def _classify_insert(c: str, i: int) -> tuple[str, str, float]:
    """``c`` has an extra character at ``i`` compared with the target; returns kind, detail and a
    plausibility multiplier for the position."""
    ch = c[i]
    if ch == "-":
        return "separator", "separator added", 1.0
    if (i > 0 and c[i - 1] == ch) or (i + 1 < len(c) and c[i + 1] == ch):
        return "doubled-letter", f"'{ch}' doubled", 1.0
    if i == len(c) - 1 and ch == "s":
        return "plural", "'s' appended", 1.0
    if i == 0 or i == len(c) - 1:
        return "insertion", f"'{ch}' added at the {'start' if i == 0 else 'end'}", 0.8
    near = (i > 0 and adjacent_keys(c[i - 1], ch)) or (i + 1 < len(c) and adjacent_keys(c[i + 1], ch))
    if near:
        return "keyboard-adjacent", f"'{ch}' (neighbouring key) inserted", 1.0
    return "insertion", f"'{ch}' inserted", 1.0


def _classify_omit(t: str, j: int) -> tuple[str, str, float]:
    ch = t[j]
    if ch == "-":
        return "separator", "separator removed", 1.0
    if (j > 0 and t[j - 1] == ch) or (j + 1 < len(t) and t[j + 1] == ch):
        return "omitted-double-letter", f"one '{ch}' of '{ch}{ch}' dropped", 1.0
    if j == 0:
        return "omitted-letter", f"first letter '{ch}' dropped", 0.75
    return "omitted-letter", f"'{ch}' dropped", 1.0


class Engine:
    """Holds the loaded data; ``match(name)`` is cheap after the first call."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, allow: Iterable[str] = ()) -> None:
        self.threshold = threshold
        self.pop = _data.popular()
        self.allow = {canonical(a) for a in allow}
        self._index: _data.Index | None = None
        self._bloom: _data.Bloom | None = None
        self.known = _data.known_names()
        self.stdlib = _data.stdlib_names()
        self.pairs = _data.allowlist_pairs()
        self.deep = True

    # lazily loaded: a project whose names are all popular never needs them
    @property
    def index(self) -> _data.Index:
        if self._index is None:
            self._index = _data.index()
            if self._index.names_sha256 != _data.names_digest(self.pop.names):
                raise ValueError("bundled typosquat index does not match the popular-name list")
        return self._index

    @property
    def bloom(self) -> _data.Bloom:
        if self._bloom is None:
            self._bloom = _data.bloom()
        return self._bloom

    def exists(self, name: str) -> bool:
        return name in self.pop.rank_of or name in self.bloom

    def match(self, raw: str) -> Match | None:
        """The best-scoring confusion for ``raw`` at or above the threshold, or None."""
        best = self.best(raw)
        if best is None or best.score < self.threshold:
            return None
        return best

    def best(self, raw: str) -> Match | None:
        folded, unicode_folded = ascii_fold(raw.strip())
        name = canonical(folded)
        if not name or len(name) > MAX_NAME:
            return None
        if name in self.allow or canonical(raw) in self.allow:
            return None
        known = self.known.get(name)
        if known is not None and known.category == "malicious":
            return Match(name, name, "known-malicious", 1.0, known.note, self.pop.rank_of.get(name),
                         self.exists(name))
        rank_of = self.pop.rank_of
        if unicode_folded and name in rank_of:
            return Match(name, name, "homoglyph", 1.0, "non-ASCII look-alike letters", rank_of[name], False)
        if name in rank_of:
            return None
        exists = name in self.bloom
        efactor = EXISTS_FACTOR if exists else 1.0
        # weak kinds (two edits, combosquats) can only reach the threshold for a name that does not exist
        self.deep = max(PLAUSIBILITY["combosquat"] * max(COMBO_BAIT, COMBO_TWO_POPULAR),
                        PLAUSIBILITY["edit-distance-2"] * D2_LONG_MAX,
                        PLAUSIBILITY["affix"] * 0.85) * efactor >= self.threshold
        if name in self.stdlib:
            return Match(name, name, "stdlib", round(0.9 * efactor, 3),
                         "a standard-library module, not a PyPI project", None, exists)
        cands = list(self._candidates(name, folded if folded.isascii() else name))
        best: Match | None = None
        pairs = self.pairs.get(name, {})
        matches: list[Match] = []
        for target, kind, detail, mult in cands:
            if target == name or target in pairs or "*" in pairs:
                continue
            rank = rank_of[target]
            if kind in ("combosquat", "affix"):
                lf = 0.8 if len(target) == 4 else min(1.0, length_factor(max(len(target), 7)))
            elif kind == "edit-distance-2":
                lf = d2_length_factor(len(target))
            else:
                lf = length_factor(len(target))
            if kind not in _NO_DIGIT_PENALTY and _digit_edit(name, target):
                mult *= 0.6
            pf = popularity_factor(rank)
            if kind in ("combosquat", "affix"):
                pf **= AFFIX_POP_POWER  # extra words on a mid-ranked name are mostly someone's own project
            score = min(1.0, PLAUSIBILITY[kind] * mult * lf * pf) * efactor
            if unicode_folded:
                score = max(score, 0.9)
                kind = "homoglyph"
            m = Match(name, target, kind, round(score, 3), detail, rank, exists)
            if best is None or (m.score, -rank) > (best.score, -(best.target_rank or 0)):
                best = m
            matches.append(m)
        if best is not None and best.score >= self.threshold:
            # of near-equal explanations, name the more popular project (``tensorflows`` is tensorflow
            # plus 's' rather than tensorflowjs without its 'j')
            close = [m for m in matches if m.score >= max(self.threshold, best.score - TIE_MARGIN)]
            best = min(close, key=lambda m: (m.target_rank or 0, -m.score))
        return best

    # ------------------------------------------------------------------ candidate generation

    def _verify_delete(self, target: str, pos: int, variant: str) -> bool:
        return target[:pos] + target[pos + 1:] == variant

    def _candidates(self, c: str, raw: str) -> Iterable[tuple[str, str, str, float]]:
        """(target, kind, detail, plausibility multiplier) for every popular name ``c`` may imitate."""
        names, rank_of = self.pop.names, self.pop.rank_of
        idx = self.index
        n = len(c)
        found_close = False
        for v in sorted(leet_variants(c)):
            if v in rank_of:
                found_close = True
                yield v, "leetspeak", "digits written for letters", 1.0
        for v in sorted(_squeezed_variants(c)):
            if v in rank_of:
                found_close = True
                yield v, "doubled-letter", "a letter repeated", 1.0
        # one edit: insertion / omission / substitution / transposition (symmetric deletions)
        variants = [(-1, c)] + [(i, c[:i] + c[i + 1:]) for i in range(n)]
        for i, v in variants:
            if i >= 0 and v in rank_of:
                kind, detail, mult = _classify_insert(c, i)
                found_close = True
                yield v, kind, detail, mult
            for pos, aux in idx.lookup("d" + v):
                if aux > _data.MAX_POS:
                    continue
                t = names[pos]
                if not self._verify_delete(t, aux, v):
                    continue
                if i < 0:
                    kind, detail, mult = _classify_omit(t, aux)
                    found_close = True
                    yield t, kind, detail, mult
                elif i == aux:
                    kind, detail = _classify_sub(c, t, i)
                    found_close = True
                    yield t, kind, detail, (0.85 if i == 0 and kind == "substitution" else 1.0)
                elif abs(i - aux) == 1 and _is_swap(c, t, min(i, aux)):
                    found_close = True
                    lo = min(i, aux)
                    yield t, "transposition", f"'{t[lo]}{t[lo + 1]}' swapped", 0.85 if lo == 0 else 1.0
                elif self.deep and len(t) >= 7 and len(t) == n:
                    yield t, "edit-distance-2", "two letters changed", 1.0
        # homoglyph skeleton (of the name as written: capital I for l)
        sk = skeleton(raw)
        for pos, aux in idx.lookup("k" + sk):
            if aux == _data.AUX_SKELETON:
                t = names[pos]
                if t != c and skeleton(t) == sk:
                    yield t, "homoglyph", "look-alike letters", 1.0
        # separators
        un = unseparated(c)
        if un != c and un in rank_of:
            yield un, "separator", "separators added", 1.0
        for pos, aux in idx.lookup("j" + un):
            if aux == _data.AUX_UNSEP:
                t = names[pos]
                if unseparated(t) == un and t != c:
                    yield t, "separator", "separators moved", 1.0
        toks = tokens(c)
        if len(toks) > 1:
            st = sorted_tokens(c)
            for pos, aux in idx.lookup("r" + st):
                if aux == _data.AUX_REORDER:
                    t = names[pos]
                    if sorted_tokens(t) == st and t != c:
                        yield t, "reordered-tokens", "same words, another order", 1.0
        yield from self._affix_candidates(c)
        if self.deep:
            yield from self._combo_candidates(c, toks)
            # two edits, for long names only
            if not found_close and _data.D2_MIN_LEN - 1 <= n <= 40:
                yield from self._d2_candidates(c)

    def _affix_candidates(self, c: str) -> Iterable[tuple[str, str, str, float]]:
        names, rank_of = self.pop.names, self.pop.rank_of
        idx = self.index
        for core, label in strip_affixes(c):
            if core in rank_of and core not in GENERIC and len(core) >= 4:
                yield core, "affix", f"'{label}' added to '{core}'", 1.0
            elif self.deep and len(core) >= 5 and core not in rank_of:
                for p in self._near1(core):
                    if p != c:
                        yield p, "affix", f"'{label}' added to misspelt '{p}'", 0.85
            for pos, aux in idx.lookup("a" + core):
                if aux == _data.AUX_AFFIX:
                    t = names[pos]
                    if t != c and affix_core(t) == core and core not in GENERIC:
                        yield t, "affix", f"affix of '{t}' changed", 1.0
        for pos, aux in idx.lookup("a" + c):
            if aux == _data.AUX_AFFIX:
                t = names[pos]
                if affix_core(t) == c and c not in GENERIC and len(c) >= 4:
                    yield t, "affix", f"'{t}' without its affix", 0.9

    def _combo_candidates(self, c: str, toks: list[str]) -> Iterable[tuple[str, str, str, float]]:
        rank_of = self.pop.rank_of
        n = len(toks)
        if n > 12 or len(c) > 100:
            return  # not a name anyone types; keeps hostile input cheap
        if n < 2:
            # glued without separator: popular name + bait word (or the reverse)
            for t, rest in _glued_splits(c, rank_of):
                if rest in BAIT_WORDS:
                    yield t, "combosquat", f"'{t}' + '{rest}'", COMBO_BAIT
                elif rest in rank_of and rest not in GENERIC and len(rest) >= 4:
                    yield t, "combosquat", f"'{t}' + '{rest}'", COMBO_TWO_POPULAR
            return
        family_len = next((k for k in (2, 1) if "-".join(toks[:k]) in PLUGIN_FAMILIES), 0)
        for a in range(n):
            for b in range(a + 1, n + 1):
                if b - a == n:
                    continue
                base = "-".join(toks[a:b])
                rank = rank_of.get(base)
                if rank is None or base in GENERIC or len(base) < 4:
                    continue
                others = toks[:a] + toks[b:]
                if any(len(x) > 40 for x in others):
                    continue
                glued = "-".join(others)
                plugin_words = toks[family_len:] if family_len else []
                popular_other = any(x in rank_of and x not in GENERIC and len(x) >= 4
                                    for x in (plugin_words if family_len and a == 0 and b <= family_len
                                              else others))
                if family_len and a == 0 and b <= family_len and not popular_other:
                    continue  # a plugin of a recognised family (pytest-foo) whose words name no project
                if family_len and a >= family_len and not popular_other:
                    continue  # pytest-foo-utils: the family's plugin, not a squat of 'foo-utils'
                if popular_other:
                    family_base = bool(family_len) and a == 0 and b <= family_len
                    yield base, "combosquat", f"'{base}' + '{glued}'", \
                        COMBO_ANY_WORD if family_base else COMBO_TWO_POPULAR
                elif all(x in BAIT_WORDS or x.isdigit() for x in others):
                    yield base, "combosquat", f"'{base}' + '{glued}'", COMBO_BAIT
                elif rank <= 1000 and not (family_len and b <= family_len):
                    yield base, "combosquat", f"'{base}' + '{glued}'", COMBO_ANY_WORD
        if family_len:
            return
        # a misspelt popular name plus bait words (``request-plus``, ``matplatlib-plus``)
        for k, x in enumerate(toks):
            if len(x) < 5 or x in rank_of:
                continue
            others = toks[:k] + toks[k + 1:]
            if not all(y in BAIT_WORDS or y.isdigit() or (y in rank_of and y not in GENERIC) for y in others):
                continue
            for p in self._near1(x):
                yield p, "combosquat", f"'{x}' (misspelt '{p}') + '{'-'.join(others)}'", 0.95

    def _near1(self, x: str) -> list[str]:
        """Distinctive popular names (rank <= 5000) one edit away from ``x``."""
        names, rank_of = self.pop.names, self.pop.rank_of
        out = set()
        n = len(x)
        for i in range(-1, n):
            v = x if i < 0 else x[:i] + x[i + 1:]
            if i >= 0 and v in rank_of:
                out.add(v)
            for pos, aux in self.index.lookup("d" + v):
                if aux <= _data.MAX_POS:
                    t = names[pos]
                    if self._verify_delete(t, aux, v) and damerau(x, t, 1) == 1:
                        out.add(t)
        return sorted(t for t in out if rank_of[t] <= 5000 and t not in GENERIC and len(t) >= 5)

    def _d2_candidates(self, c: str) -> Iterable[tuple[str, str, str, float]]:
        names, rank_of = self.pop.names, self.pop.rank_of
        idx = self.index
        n = len(c)
        seen: set[str] = set()
        one = {c[:i] + c[i + 1:] for i in range(n)}
        two: set[str] = set()
        for i, j in combinations(range(n), 2):
            two.add(c[:i] + c[i + 1:j] + c[j + 1:])
        keys = ["e" + c] + ["e" + v for v in one] + ["e" + v for v in two]
        for v in two:
            if v in rank_of and len(v) >= 7:
                seen.add(v)
        for key in keys:
            for pos, aux in idx.lookup(key):
                if aux == _data.AUX_D2:
                    seen.add(names[pos])
        for v in two:  # two letters inserted, or one inserted and one changed: every popular name
            for pos, aux in idx.lookup("d" + v):
                if aux <= _data.MAX_POS and len(names[pos]) >= 7:
                    seen.add(names[pos])
        for t in sorted(seen):
            if t != c and damerau(c, t, 2) == 2 and not _same_but_digits(c, t):
                yield t, "edit-distance-2", "two letters changed", 1.0


def _is_swap(c: str, t: str, lo: int) -> bool:
    return (len(c) == len(t) and c[lo] == t[lo + 1] and c[lo + 1] == t[lo] and c[lo] != c[lo + 1]
            and c[:lo] == t[:lo] and c[lo + 2:] == t[lo + 2:])


def _digit_edit(c: str, t: str) -> bool:
    """The two names differ only around digits (``cu112`` vs ``cu12``, ``boto2`` vs ``boto3``): version or
    platform siblings rather than typos."""
    i = 0
    while i < len(c) and i < len(t) and c[i] == t[i]:
        i += 1
    j = 0
    while j < len(c) - i and j < len(t) - i and c[-1 - j] == t[-1 - j]:
        j += 1
    diff = c[i:len(c) - j] + t[i:len(t) - j]
    around = c[max(0, i - 1):len(c) - j + 1] + t[max(0, i - 1):len(t) - j + 1]
    return bool(diff) and (diff.isdigit() or (any(ch.isdigit() for ch in diff)
                                              and sum(ch.isdigit() for ch in around) >= 2))


def _same_but_digits(a: str, b: str) -> bool:
    """``foo2`` vs ``foo3``: version-numbered siblings are not typos."""
    return a.rstrip("0123456789") == b.rstrip("0123456789")


def _glued_splits(c: str, rank_of: dict[str, int]) -> Iterable[tuple[str, str]]:
    n = len(c)
    for k in range(5, n - 1):
        head, tail = c[:k], c[k:]
        if head in rank_of and head not in GENERIC and rank_of[head] <= 5000:
            yield head, tail
        if tail in rank_of and tail not in GENERIC and rank_of[tail] <= 5000 and len(tail) >= 5:
            yield tail, head


def check_names(names: Iterable[str], threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
    eng = Engine(threshold)
    out = []
    for n in names:
        m = eng.match(n)
        if m is not None:
            out.append(m)
    return out


__all__ = ["AFFIX_PREFIXES", "Engine", "Match", "check_names"]
