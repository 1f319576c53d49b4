"""String helpers shared by the index builder and the matcher: normalisation views, keyboard adjacency,
homoglyph skeletons, affixes and a bounded Damerau-Levenshtein distance. Pure functions, stdlib only."""

from __future__ import annotations

import re
import unicodedata

_CANON_RE = re.compile(r"[-_.]+")


def canonical(name: str) -> str:
    """PEP 503 normalisation (the same as ``packaging.utils.canonicalize_name``, without the import)."""
    return _CANON_RE.sub("-", name).lower()


# Unicode letters that render like ASCII ones (a small, curated subset of Unicode's confusables that
# NFKC does not fold): Cyrillic, Greek and a few Latin look-alikes.
_CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "к": "k", "м": "m", "н": "h", "т": "t", "в": "b",
    "ь": "b", "г": "r", "п": "n", "л": "n", "ɡ": "g", "ɩ": "i", "ı": "i", "ȷ": "j", "ʏ": "y", "ɑ": "a",
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "κ": "k", "ι": "i", "υ": "u", "χ": "x", "ε": "e",
    "β": "b", "μ": "u", "ω": "w", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
}


def ascii_fold(raw: str) -> tuple[str, bool]:
    """Fold a raw name to ASCII: NFKC, confusable letters mapped, accents stripped. Returns the folded
    text and whether anything non-ASCII was folded (a homoglyph attack on the raw spelling)."""
    if raw.isascii():
        return raw, False
    text = unicodedata.normalize("NFKC", raw)
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        low = ch.lower()
        if low in _CONFUSABLES:
            out.append(_CONFUSABLES[low])
            continue
        base = unicodedata.normalize("NFKD", ch)
        kept = "".join(c for c in base if c.isascii())
        out.append(kept)
    return "".join(out), True


# Look-alike ASCII sequences, folded to one representative. Order matters (multi-letter first). Capital I
# is folded before lower-casing: ``jeIlyfish`` renders like ``jellyfish``; a lower-case i does not.
_SKELETON_SEQ = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("|", "l"))


def skeleton(name: str) -> str:
    """The homoglyph skeleton of a name as written: names that render alike share it."""
    s = name.replace("I", "l").lower().replace("_", "-").replace(".", "-")
    for a, b in _SKELETON_SEQ:
        s = s.replace(a, b)
    return s


HOMOGLYPH_PAIRS = frozenset({
    ("l", "1"), ("i", "1"), ("o", "0"), ("s", "5"), ("z", "2"), ("b", "8"), ("g", "9"),
    ("e", "3"), ("a", "4"),
})


def is_homoglyph_pair(a: str, b: str) -> bool:
    return (a, b) in HOMOGLYPH_PAIRS or (b, a) in HOMOGLYPH_PAIRS


_ROWS = ("1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard() -> dict[str, frozenset[str]]:
    pos = {ch: (r, c) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    out: dict[str, frozenset[str]] = {}
    for ch, (r, c) in pos.items():
        near = set()
        for rr, cc in ((r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)):
            if 0 <= rr < len(_ROWS) and 0 <= cc < len(_ROWS[rr]):
                near.add(_ROWS[rr][cc])
        out[ch] = frozenset(near)
    return out


KEYBOARD = _keyboard()


def adjacent_keys(a: str, b: str) -> bool:
    return b in KEYBOARD.get(a, frozenset())


def tokens(name: str) -> list[str]:
    return [t for t in name.split("-") if t]


def unseparated(name: str) -> str:
    return name.replace("-", "")


def sorted_tokens(name: str) -> str:
    return "-".join(sorted(tokens(name)))


# Prefixes/suffixes squatters add to a popular name (and that popular names themselves carry).
AFFIX_PREFIXES = ("python3-", "python2-", "python-", "py3-", "py2-", "py-", "python3", "python", "py3", "py")
AFFIX_SUFFIXES = (
    "-python3", "-python", "-py3", "-py", "-lib", "-library", "-dev", "-sdk", "-api", "-client", "-tools",
    "-tool", "-utils", "-util", "-plus", "-pro", "-new", "-official", "-latest", "-update", "-updated",
    "-fixed", "-fix", "-patched", "-lite", "-core", "-cli", "-ng", "-next", "-x", "-3", "-2",
    "-https", "-http", "-pkgs", "-pkg", "-v2", "-v3",
    "python", "lib", "py", "3", "2", "x", "https", "pkgs", "pkg", "v2", "dev", "sdk",
)


def strip_affixes(name: str) -> list[tuple[str, str]]:
    """Every (core, affix) reachable by removing one known prefix and/or one known suffix (the core
    keeps at least 3 characters). ``affix`` is written like ``python3-+-py``."""
    out: list[tuple[str, str]] = []
    pres = [("", "")] + [(p, p) for p in AFFIX_PREFIXES if name.startswith(p)]
    for pre, pre_label in pres:
        rest = name[len(pre):]
        sufs = [("", "")] + [(s, s) for s in AFFIX_SUFFIXES if rest.endswith(s)]
        for suf, suf_label in sufs:
            if not pre and not suf:
                continue
            core = rest[: len(rest) - len(suf)] if suf else rest
            core = core.strip("-")
            if len(core) >= 3:
                label = "+".join(x for x in (pre_label, suf_label) if x)
                out.append((core, label))
    return out


def affix_core(name: str) -> str | None:
    """The 'core' of a popular name that carries a conventional affix (``python-dateutil`` -> ``dateutil``,
    ``pyyaml`` is left alone: only separated affixes count here)."""
    for p in ("python3-", "python-", "py-"):
        if name.startswith(p) and len(name) - len(p) >= 3:
            return name[len(p):]
    for s in ("-python", "-py", "-lib", "-client", "-sdk", "-api"):
        if name.endswith(s) and len(name) - len(s) >= 3:
            return name[: -len(s)]
    return None


def damerau(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment Damerau-Levenshtein distance, returning ``limit + 1`` as soon as the
    distance is known to exceed ``limit``."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        ai = a[i - 1]
        row_min = cur[0]
        for j in range(1, lb + 1):
            cost = 0 if ai == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[lb] if prev[lb] <= limit else limit + 1
