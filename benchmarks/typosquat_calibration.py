"""Calibration of check-typosquats on real-attack-shaped names (used by bench_typosquats.py and by
scripts/build_typosquat_samples.py; development time only).

Positives: the bundled known-malicious names (scored without the list: detection by similarity alone) and
names generated in the shapes real malicious PyPI uploads take -- keyboard slips (``flake7``), inserted and
doubled letters (``redist``, ``asynciooo``), omitted letters, swapped letters, digits for letters
(``crypt0graphy``), two-edit typos of mid-ranked popular names, and popular names with an extra token
(``-dev``, ``-sdk``, ``-https``, ``pkgs``, ``lib``, ``v2``, ``python-``/``py-``). A generated name is kept only
when it is neither popular nor on PyPI in the snapshot (as removed or brand-new squats are).

Negatives: random real PyPI names (not popular), scored twice: as the tool sees them (they exist on PyPI:
the existence factor applies), and *blind* -- as if the snapshot did not know them, which is how a new
legitimate project or a private package name looks. The budget (at most 1 % false alarms on random real
names, none on the 2,000 most popular) is applied to the blind figure, the harder one.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mlwarden.checks.typosquats import data
from mlwarden.checks.typosquats.engine import Engine, Match
from mlwarden.checks.typosquats.text import KEYBOARD

LEET = {"o": "0", "l": "1", "i": "1", "e": "3", "a": "4", "s": "5"}
SUFFIX_TOKENS = ("-dev", "-sdk", "-https", "pkgs", "lib", "-lib", "v2", "-v2", "-py", "-api", "2", "-utils")
PREFIX_TOKENS = ("python-", "py-", "py", "python3-")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
ONE_EDIT = ("keyboard-slip", "inserted-letter", "doubled-letter", "omitted-letter", "transposition",
            "leetspeak", "extra-token")
SHAPES = (*ONE_EDIT, "two-edit-mid-rank")
BUDGET_RANDOM = 0.01  # false alarms on random real names (blind)
TOP_NONE = 2000  # no false alarm on the most popular names
THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(13))


def edit(t: str, rng: random.Random, shape: str) -> str | None:
    n = len(t)
    i = rng.randrange(n)
    if shape == "keyboard-slip":
        idx = [k for k in range(n) if KEYBOARD.get(t[k])]
        if not idx:
            return None
        i = rng.choice(idx)
        return t[:i] + rng.choice(sorted(KEYBOARD[t[i]])) + t[i + 1:]
    if shape == "inserted-letter":
        near = sorted(KEYBOARD.get(t[i], frozenset()) - set("-1234567890"))
        ch = rng.choice(near) if near and rng.random() < 0.5 else rng.choice(LETTERS)
        return t[:i + 1] + ch + t[i + 1:]
    if shape == "doubled-letter":
        idx = [k for k in range(n) if t[k].isalpha()]
        if not idx:
            return None
        i = rng.choice(idx)
        return t[:i] + t[i] * rng.choice((1, 1, 2)) + t[i:]
    if shape == "omitted-letter":
        return t[:i] + t[i + 1:]
    if shape == "transposition":
        if n < 3:
            return None
        j = rng.randrange(n - 1)
        return t[:j] + t[j + 1] + t[j] + t[j + 2:]
    if shape == "leetspeak":
        idx = [k for k in range(n) if t[k] in LEET]
        if not idx:
            return None
        out = list(t)
        for k in rng.sample(idx, min(len(idx), rng.choice((1, 1, 2)))):
            out[k] = LEET[out[k]]
        return "".join(out)
    if shape == "extra-token":
        return t + rng.choice(SUFFIX_TOKENS) if rng.random() < 0.7 else rng.choice(PREFIX_TOKENS) + t
    raise ValueError(shape)


def attack_set(pop: data.Popular, exists: Iterable[str] | data.Bloom, rng: random.Random,
               per_shape: int = 300) -> list[tuple[str, str, str]]:
    """(shape, name, target): one-edit shapes against the top 5,000, two edits against ranks 1,001-10,000."""
    names = [n for n in pop.names if len(n) >= 4]
    top = [n for n in names if pop.rank_of[n] <= 5000]
    mid = [n for n in names if 1000 < pop.rank_of[n] <= 10000 and len(n) >= 7]
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for shape in SHAPES:
        got = tries = 0
        while got < per_shape and tries < per_shape * 50:
            tries += 1
            if shape == "two-edit-mid-rank":
                t = rng.choice(mid)
                k1, k2 = rng.sample(("keyboard-slip", "inserted-letter", "omitted-letter", "transposition",
                                     "doubled-letter"), 2)
                v = edit(t, rng, k1)
                v = edit(v, rng, k2) if v else None
            else:
                t = rng.choice(top)
                v = edit(t, rng, shape)
            if v and v != t and v not in pop.rank_of and v not in exists and v not in seen:
                seen.add(v)
                out.append((shape, v, t))
                got += 1
    return out


class _Nothing:
    def __contains__(self, name: object) -> bool:
        return False


def engines(threshold: float = 0.25) -> tuple[Engine, Engine, Engine]:
    """(as shipped, blind to existence, without the known-malicious list), all scoring below any
    threshold of the curve so that one pass gives every point."""
    eng = Engine(threshold)
    blind = Engine(threshold)
    blind._bloom = _Nothing()  # type: ignore[assignment]
    bare = Engine(threshold)
    bare.known = {}
    return eng, blind, bare


def score(m: Match | None) -> float:
    return 0.0 if m is None else m.score


@dataclass
class Scored:
    attacks: list[tuple[str, str, str, Match | None]]
    known: list[tuple[str, Match | None]]
    random_exists: list[tuple[str, Match | None]]
    random_blind: list[tuple[str, Match | None]]
    top: list[tuple[str, Match | None]]


def score_all(attacks: Sequence[tuple[str, str, str]], negatives: Sequence[str], pop: data.Popular) -> Scored:
    eng, blind, bare = engines()
    known = [n for n, k in data.known_names().items() if k.category == "malicious"]
    return Scored([(s, n, t, eng.best(n)) for s, n, t in attacks], [(n, bare.best(n)) for n in known],
                  [(n, eng.best(n)) for n in negatives], [(n, blind.best(n)) for n in negatives],
                  [(n, eng.best(n)) for n in pop.names[:TOP_NONE]])


@dataclass
class Point:
    threshold: float
    recall: float
    by_shape: dict[str, float]
    known: float
    fp_exists: float
    fp_blind: float
    fp_top: int


def point(sc: Scored, thr: float) -> Point:
    by_shape = {}
    for shape in SHAPES:
        xs = [score(m) >= thr for s, _, _, m in sc.attacks if s == shape]
        by_shape[shape] = sum(xs) / max(1, len(xs))
    return Point(thr, sum(score(m) >= thr for *_, m in sc.attacks) / max(1, len(sc.attacks)), by_shape,
                 sum(score(m) >= thr for _, m in sc.known) / max(1, len(sc.known)),
                 sum(score(m) >= thr for _, m in sc.random_exists) / max(1, len(sc.random_exists)),
                 sum(score(m) >= thr for _, m in sc.random_blind) / max(1, len(sc.random_blind)),
                 sum(score(m) >= thr for _, m in sc.top))


def choose(sc: Scored) -> Point:
    """The lowest threshold (0.01 steps) within the budget: recall is highest there."""
    for i in range(30, 101):
        p = point(sc, i / 100)
        if p.fp_blind <= BUDGET_RANDOM and p.fp_exists <= BUDGET_RANDOM and p.fp_top == 0:
            return p
    return point(sc, 1.0)


def print_curve(sc: Scored) -> Point:
    heads = [s.replace("-mid-rank", "").replace("-letter", "")[:9] for s in SHAPES]
    print(f"{'thr':>4s} " + " ".join(f"{h:>9s}" for h in heads) +
          f" {'recall':>7s} {'known*':>7s} {'FP real':>8s} {'FP blind':>9s} {'top2k':>5s}")
    for thr in THRESHOLDS:
        p = point(sc, thr)
        print(f"{thr:4.2f} " + " ".join(f"{p.by_shape[s]:9.1%}" for s in SHAPES) +
              f" {p.recall:7.1%} {p.known:7.1%} {p.fp_exists:8.2%} {p.fp_blind:9.2%} {p.fp_top:5d}")
    return choose(sc)


# knob settings explored by ``bench_typosquats.py --knobs`` (module constants of the engine)
KNOB_SETTINGS: tuple[dict[str, float], ...] = (
    {},
    {"AFFIX_POP_POWER": 2.0},
    {"COMBO_TWO_POPULAR": 0.95},
    {"COMBO_ANY_WORD": 0.9},
    {"D2_LONG_STEP": 0.05},
    {"LONG_STEP": 0.0},
    {"EXISTS_FACTOR": 1.0},
)


def with_knobs(knobs: dict[str, float], attacks: Sequence[tuple[str, str, str]], negatives: Sequence[str],
               pop: data.Popular) -> Point:
    """The chosen point with some engine constants changed (restored afterwards)."""
    from mlwarden.checks.typosquats import engine as eng_mod

    saved = {k: getattr(eng_mod, k) for k in knobs}
    try:
        for k, v in knobs.items():
            setattr(eng_mod, k, v)
        return choose(score_all(attacks, negatives, pop))
    finally:
        for k, v in saved.items():
            setattr(eng_mod, k, v)
