"""Dockerfiles parsed into instructions (BuildKit syntax), statically.

Handles parser directives (``# escape=`` changes the continuation character), continuation lines (with
comment and blank lines inside them dropped, as BuildKit does), heredocs (``RUN <<EOF`` ... ``EOF``, several
per instruction, ``<<-`` strips tabs), JSON (exec) and shell forms, stage names, and ``ARG`` defaults
substituted into ``FROM`` (global ARGs before the first ``FROM``, ``${VAR:-default}`` forms).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class Heredoc:
    name: str
    body: str
    line: int  # first line of the body


@dataclass
class Instruction:
    keyword: str  # upper case
    args: str  # the rest, continuations joined (the escape character and newline removed)
    line: int  # 1-based line of the keyword
    flags: dict[str, str] = field(default_factory=dict)  # --checksum=..., --platform=...
    heredocs: list[Heredoc] = field(default_factory=list)
    json_args: list[str] | None = None  # exec form
    arg_lines: list[int] = field(default_factory=list)  # file line of each physical line of ``args``
    shell_text: str = ""  # RUN: the command as a shell script (continuations kept, line-aligned)
    stage: int = -1


@dataclass
class Stage:
    index: int
    base: str  # as written, ARGs resolved where they have defaults
    base_raw: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)


@dataclass
class Dockerfile:
    instructions: list[Instruction] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    global_args: dict[str, str | None] = field(default_factory=dict)
    escape: str = "\\"
    problems: list[str] = field(default_factory=list)


def parse(text: str) -> Dockerfile:
    df = Dockerfile()
    lines = text.splitlines()
    # parser directives: leading comment lines of the form "# key=value" (stop at the first other line)
    for raw in lines:
        m = _DIRECTIVE.match(raw)
        if not m:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("\\", "`"):
            df.escape = m.group(2)
    esc = df.escape
    i = 0
    n = len(lines)
    while i < n:
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i
        parts = [raw]
        arg_lines = [i + 1]
        # continuation: escape character at the end of the line
        while _continues(parts[-1], esc) and i + 1 < n:
            parts[-1] = parts[-1].rstrip()[:-1]
            i += 1
            while i < n and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1  # comment and empty lines inside a continuation are dropped
            if i < n:
                parts.append(lines[i])
                arg_lines.append(i + 1)
        if _continues(parts[-1], esc):
            parts[-1] = parts[-1].rstrip()[:-1]
        i += 1
        joined = "\n".join(parts)
        keyword, _, rest = joined.strip().partition(" ")
        if "\t" in keyword:
            keyword, _, more = keyword.partition("\t")
            rest = more + " " + rest
        ins = Instruction(keyword=keyword.upper(), args=rest.strip(), line=start + 1, arg_lines=arg_lines)
        if ins.keyword == "RUN" and esc == "\\":
            ins.shell_text = _shell_text(lines[start:i], esc)
        # heredocs: bodies follow the instruction's last line
        if ins.keyword in ("RUN", "COPY", "ADD") and "<<" in ins.args:
            for m in _HEREDOC.finditer(ins.args):
                strip, name = m.group(1) == "-", m.group(3)
                body_start = i + 1
                body: list[str] = []
                while i < n and lines[i].strip() != name:
                    body.append(lines[i].lstrip("\t") if strip else lines[i])
                    i += 1
                if i >= n:
                    df.problems.append(f"line {start + 1}: heredoc {name!r} not terminated")
                i += 1
                ins.heredocs.append(Heredoc(name=name, body="\n".join(body) + "\n", line=body_start))
        _flags(ins)
        if ins.args.startswith("["):
            try:
                value = json.loads(ins.args)
            except ValueError:
                value = None
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                ins.json_args = value
        df.instructions.append(ins)
    _stages(df)
    return df


def _shell_text(physical: list[str], esc: str) -> str:
    """The RUN instruction's lines as a shell script that keeps file lines: the keyword (and flags) blanked,
    comment/blank lines inside the continuation turned into bare continuations."""
    out: list[str] = []
    for k, ln in enumerate(physical):
        if k == 0:
            body = ln.strip()[3:].lstrip()
            while body.startswith("--"):
                body = body.partition(" ")[2].lstrip()
            out.append(body)
        elif not ln.strip() or ln.lstrip().startswith("#"):
            out.append(esc)
        else:
            out.append(ln)
    return "\n".join(out)


def _continues(line: str, esc: str) -> bool:
    s = line.rstrip()
    return s.endswith(esc) and not s.endswith(esc + esc)


def _flags(ins: Instruction) -> None:
    rest = ins.args
    while rest.startswith("--"):
        word, _, after = rest.partition(" ")
        key, _, value = word[2:].partition("=")
        ins.flags[key.lower()] = value
        rest = after.lstrip()
    ins.args = rest


def substitute(text: str, values: dict[str, str | None]) -> str:
    """``$VAR``/``${VAR}``/``${VAR:-default}``/``${VAR:+alt}`` with known values; unknown ones are left."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(4)
        op, word = m.group(2), m.group(3)
        value = values.get(name)
        if op in (":-", "-"):
            return value if value else (word or "")
        if op in (":+", "+"):
            return (word or "") if value else ""
        return value if value is not None else m.group(0)

    return _VAR.sub(repl, text)


def _stages(df: Dockerfile) -> None:
    current: Stage | None = None
    for ins in df.instructions:
        if ins.keyword == "ARG" and current is None:
            for name, value in _arg_pairs(ins.args):
                df.global_args[name] = value
            continue
        if ins.keyword == "FROM":
            words = ins.args.split()
            base_raw = words[0] if words else ""
            stage_name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            base = base_raw
            for _ in range(5):  # ARG defaults may refer to earlier ARGs
                nxt = substitute(base, df.global_args)
                if nxt == base:
                    break
                base = nxt
            current = Stage(
                index=len(df.stages), base=base, base_raw=base_raw, name=stage_name, line=ins.line
            )
            df.stages.append(current)
        if current is not None:
            ins.stage = current.index
            current.instructions.append(ins)


def _arg_pairs(args: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for word in args.split():
        name, eq, value = word.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out.append((name, value if eq else None))
    return out


def stage_names(df: Dockerfile) -> set[str]:
    return {s.name.lower() for s in df.stages if s.name}
