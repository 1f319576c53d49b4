"""GitHub Actions expressions: ``${{ ... }}`` spans found and tokenized (never evaluated).

:func:`spans` finds every ``${{ }}`` in a string (a ``}}`` inside a quoted expression string does not end
it); :func:`references` tokenizes one expression and returns the context paths it reads
(``github.event.pull_request.title``; ``github.event.commits[0].message`` becomes
``github.event.commits.*.message``) and the functions it calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^']|'')*')
  | (?P<num>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[.\[\]()!<>,*])
""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Span:
    start: int  # offset of "${{"
    end: int  # offset after "}}"
    body: str  # the expression between the braces


@dataclass(frozen=True)
class Reference:
    path: str  # dotted, lower-case, indexes as "*": "github.event.commits.*.message"
    in_function: str = ""  # innermost function it is an argument of ("", "contains", "tojson", ...)


def spans(text: str) -> list[Span]:
    out: list[Span] = []
    i = 0
    while True:
        start = text.find("${{", i)
        if start < 0:
            return out
        j = start + 3
        end = -1
        while j < len(text):
            c = text[j]
            if c == "'":
                k = j + 1
                while k < len(text):
                    if text[k] == "'":
                        if text.startswith("''", k):
                            k += 2
                            continue
                        break
                    k += 1
                j = k + 1
                continue
            if text.startswith("}}", j):
                end = j
                break
            j += 1
        if end < 0:
            return out
        out.append(Span(start, end + 2, text[start + 3 : end]))
        i = end + 2


def tokens(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if m is None:  # unknown character: skip it
            out.append(("op", body[pos]))
            pos += 1
            continue
        pos = m.end()
        kind = m.lastgroup or "op"
        if kind != "ws":
            out.append((kind, m.group()))
    return out


def references(body: str) -> list[Reference]:
    """Context paths read by an expression, in order."""
    toks = tokens(body)
    out: list[Reference] = []
    funcs: list[tuple[str, int]] = []  # (function name, paren depth at its call)
    depth = 0
    i = 0
    while i < len(toks):
        kind, val = toks[i]
        if kind == "ident" and i + 1 < len(toks) and toks[i + 1] == ("op", "("):
            funcs.append((val.lower(), depth + 1))
            depth += 1
            i += 2
            continue
        if kind == "op" and val == "(":
            depth += 1
        elif kind == "op" and val == ")":
            while funcs and funcs[-1][1] >= depth:
                funcs.pop()
            depth -= 1
        elif (
            kind == "ident"
            and val.lower() not in ("true", "false", "null")
            and (i == 0 or toks[i - 1] != ("op", "."))
        ):
            parts = [val.lower()]
            j = i + 1
            while j < len(toks):
                if (
                    toks[j] == ("op", ".")
                    and j + 1 < len(toks)
                    and toks[j + 1][0] in ("ident", "op")
                    and (toks[j + 1][0] == "ident" or toks[j + 1][1] == "*")
                ):
                    parts.append(toks[j + 1][1].lower())
                    j += 2
                    continue
                if toks[j] == ("op", "["):
                    k = j + 1
                    inner = []
                    while k < len(toks) and toks[k] != ("op", "]"):
                        inner.append(toks[k])
                        k += 1
                    if len(inner) == 1 and inner[0][0] == "str":
                        parts.append(inner[0][1][1:-1].replace("''", "'").lower())
                    else:
                        parts.append("*")
                    j = k + 1
                    continue
                break
            out.append(Reference(".".join(parts), funcs[-1][0] if funcs else ""))
            i = j
            continue
        i += 1
    return out


# Context paths a stranger controls (issue/PR/comment text, branch names, commit messages, ...)
_ATTACKER = re.compile(
    r"""^(
    github\.head_ref
  | github\.event\.(issue|pull_request|discussion|comment|review|review_comment|release)\.(title|body)
  | github\.event\.pull_request\.head\.(ref|label|repo\.(default_branch|description|homepage|name))
  | github\.event\.(comment|review|review_comment|issue|discussion)\.body
  | github\.event\.pages\.\*\.page_name
  | github\.event\.(commits\.\*|head_commit)\.(message|author\.(email|name)|committer\.(email|name))
  | github\.event\.workflow_run\.(head_branch|display_title|head_commit\.(message|author\.(email|name))
        |head_repository\.description|pull_requests\.\*\.head\.ref)
  | github\.event\.(check_suite|check_run\.check_suite)\.head_branch
)$""",
    re.VERBOSE,
)
# functions whose result no longer carries the attacker's text (or only a boolean)
_SAFE_FUNCS = frozenset(
    {"contains", "startswith", "endswith", "hashfiles", "success", "failure", "always", "cancelled"}
)


def attacker_controlled(ref: Reference) -> bool:
    if ref.in_function in _SAFE_FUNCS:
        return False
    if ref.path.startswith("github.event.inputs."):
        return False  # workflow_dispatch inputs need write access
    return bool(_ATTACKER.match(ref.path)) or (
        ref.path
        in ("github.event", "github.event.pull_request", "github.event.issue", "github.event.comment")
        and ref.in_function == "tojson"
    )
