"""Shell scripts split into simple commands and pipelines, statically (nothing is run or expanded).

A small lexer walks the script once and cuts it into simple commands at ``&&``, ``||``, ``;``, ``&``, ``|``,
newlines and subshell parentheses, honouring quotes, comments, line continuations, ``${...}``,
``$((...))`` and heredocs. Command substitutions (``$(...)``, backticks) and process substitutions
(``<(...)``, ``>(...)``) are parsed recursively and appear as commands of their own, linked to the
command that contains them. Each simple command's text is then split into words with :mod:`shlex`
(POSIX rules: quote removal, escapes). Wrappers that do not change what runs (``sudo``, ``env VAR=x``,
leading assignments, ``time``, ``nohup``, ``timeout 5``, ``xargs``, ``python -m pip``) are peeled off by
:func:`effective`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

MAX_DEPTH = 8  # nested substitutions / sh -c levels
MAX_SCRIPT = 2_000_000  # characters: a longer script is parsed only up to this size

_PLACEHOLDER = "\x00S{}\x00"
_PLACEHOLDER_RE = re.compile("\x00S(\\d+)\x00")
_PLAIN = re.compile(r"[^\\#'\"$`<>\n;&|() \t\r]+|[ \t\r]+")
_REDIRECT = re.compile(r"^(\d*|&)(>>|>&|>\||>|<<<|<&|<>|<)(.*)$")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=")
_KEYWORDS = frozenset(
    {
        "if",
        "then",
        "else",
        "elif",
        "while",
        "until",
        "do",
        "!",
        "{",
        "}",
        "(",
        ")",
        "time",
        "fi",
        "done",
        "esac",
    }
)
_SKIP_COMMANDS = frozenset({"for", "case", "select", "function"})


@dataclass
class Command:
    """One simple command as written (``words`` are after shlex quote removal)."""

    words: list[str]
    line: int  # 1-based line of the script (offset by the ``first_line`` given to :func:`parse`)
    text: str  # the command's source text, one line, for messages
    pipeline: int  # commands joined by ``|`` share this number
    piped_in: bool = False  # stdin comes from the previous command of the pipeline
    piped_out: bool = False  # stdout goes into the next command of the pipeline
    redirects: list[tuple[str, str]] = field(default_factory=list)  # (operator, target)
    heredoc: str | None = None  # body fed on stdin by ``<<``
    heredoc_line: int = 0
    owner: int | None = None  # index (in the Script) of the command this one is substituted into
    kind: str = ""  # "", "$(", "`", "<(", ">(" : how it is embedded in its owner
    substitutions: list[int] = field(default_factory=list)  # indexes of commands substituted into it
    depth: int = 0

    def sub_marker(self, word: str) -> list[int]:
        """Indexes of substitutions referenced by a placeholder inside ``word``."""
        return [int(m.group(1)) for m in _PLACEHOLDER_RE.finditer(word)]


@dataclass
class Script:
    commands: list[Command] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _pipelines: int = 0

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands)

    def pipeline_of(self, cmd: Command) -> list[Command]:
        return [c for c in self.commands if c.pipeline == cmd.pipeline]

    def owner_of(self, cmd: Command) -> Command | None:
        return self.commands[cmd.owner] if cmd.owner is not None else None


@dataclass
class _Pending:
    index: int
    delimiter: str
    strip_tabs: bool


def display_word(word: str) -> str:
    """A word for messages: substitution placeholders shown as ``$(...)``."""
    return _PLACEHOLDER_RE.sub("$(...)", word).replace("\x00E\x00", "${{ ... }}")


def has_placeholder(word: str) -> bool:
    return "\x00" in word


def parse(source: str, first_line: int = 1) -> Script:
    """Parse a shell script. Never raises: what cannot be understood is recorded in ``problems``."""
    script = Script()
    _parse_into(script, source[:MAX_SCRIPT], first_line, None, "", 0)
    # scripts run by a shell: ``bash -c '...'``, ``bash <<EOF``, ``cat <<EOF | sh``
    i = 0
    while i < len(script.commands):
        cmd = script.commands[i]
        if cmd.depth < MAX_DEPTH:
            eff = effective(cmd.words)
            inline = inline_script(eff) if eff is not None else None
            if inline and not _PLACEHOLDER_RE.fullmatch(inline.strip()):
                start = len(script.commands)
                _parse_into(script, inline, cmd.line, i, "-c", cmd.depth + 1)
                cmd.substitutions.extend(range(start, len(script.commands)))
            if cmd.heredoc and _heredoc_runs(script, cmd, eff):
                start = len(script.commands)
                _parse_into(script, cmd.heredoc, cmd.heredoc_line, i, "<<", cmd.depth + 1)
                cmd.substitutions.extend(range(start, len(script.commands)))
        i += 1
    return script


def _heredoc_runs(script: Script, cmd: Command, eff: Effective | None) -> bool:
    """Is the heredoc of ``cmd`` run as a shell script?"""
    if eff is not None and eff.program in SHELLS and inline_script(eff) is None:
        return True
    if cmd.piped_out:
        pipe = script.pipeline_of(cmd)
        k = pipe.index(cmd)
        if k + 1 < len(pipe):
            nxt = effective(pipe[k + 1].words)
            return nxt is not None and nxt.program in SHELLS and inline_script(nxt) is None
    return False


def _parse_into(script: Script, src: str, line: int, owner: int | None, kind: str, depth: int) -> None:
    lx = _Lexer(src, line, depth)
    lx.run()
    script.problems.extend(lx.problems)
    base = len(script.commands)
    local: list[Command] = []
    subs_after: list[tuple[int, list[tuple[str, str, int]]]] = []
    pipeline = None
    for seg in lx.segments:
        words, redirects = _split_words(seg.cooked)
        if pipeline is None:
            script._pipelines += 1
            pipeline = script._pipelines
        cmd = Command(
            words=words,
            line=seg.line,
            text=_one_line(seg.raw),
            pipeline=pipeline,
            piped_in=seg.piped_in,
            piped_out=seg.conn in ("|", "|&"),
            redirects=redirects,
            heredoc=seg.heredoc,
            heredoc_line=seg.heredoc_line,
            owner=owner,
            kind=kind,
            depth=depth,
        )
        local.append(cmd)
        if seg.subs:
            subs_after.append((len(local) - 1, seg.subs))
        if not cmd.piped_out:
            pipeline = None
    # commands first, substitutions after (so indexes of the outer commands are stable)
    script.commands.extend(local)
    for local_index, subs in subs_after:
        outer = base + local_index
        outer_cmd = script.commands[outer]
        # placeholder numbers are local to the segment: map them to script indexes
        mapping: dict[int, int] = {}
        for number, (skind, text, sline) in enumerate(subs):
            start = len(script.commands)
            if depth + 1 <= MAX_DEPTH:
                _parse_into(script, text, sline, outer, skind, depth + 1)
            else:
                script.problems.append("substitutions nested too deeply")
            mapping[number] = start
            outer_cmd.substitutions.extend(range(start, len(script.commands)))
        outer_cmd.words = [_renumber(w, mapping) for w in outer_cmd.words]


def _renumber(word: str, mapping: dict[int, int]) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: _PLACEHOLDER.format(mapping.get(int(m.group(1)), 0)), word)


def _one_line(raw: str) -> str:
    text = " ".join(raw.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _split_words(cooked: str) -> tuple[list[str], list[tuple[str, str]]]:
    if not any(c in cooked for c in "'\"\\"):
        raw_words = cooked.split()  # nothing for shlex to unquote
    else:
        raw_words = _shlex_words(cooked)
    return _redirections(raw_words)


def _shlex_words(cooked: str) -> list[str]:
    try:
        lex = shlex.shlex(cooked, posix=True, punctuation_chars=False)
        lex.whitespace_split = True
        lex.commenters = ""
        raw_words = list(lex)
    except ValueError:
        raw_words = cooked.split()
    return raw_words


def _redirections(raw_words: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    words: list[str] = []
    redirects: list[tuple[str, str]] = []
    i = 0
    while i < len(raw_words):
        w = raw_words[i]
        m = _REDIRECT.match(w) if w and w[0] in "0123456789&<>" else None
        if m and not (w[0] == "<" and w.startswith(("<(", "<\x00"))):
            op, target = m.group(2), m.group(3)
            if not target and i + 1 < len(raw_words):
                target = raw_words[i + 1]
                i += 1
            redirects.append((op, target))
        else:
            words.append(w)
        i += 1
    return words, redirects


@dataclass
class _Segment:
    cooked: str
    raw: str
    line: int
    conn: str = ""
    piped_in: bool = False
    subs: list[tuple[str, str, int]] = field(default_factory=list)
    heredoc: str | None = None
    heredoc_line: int = 0


class _Lexer:
    def __init__(self, src: str, line: int, depth: int) -> None:
        self.s = src
        self.n = len(src)
        self.i = 0
        self.line = line
        self.depth = depth
        self.segments: list[_Segment] = []
        self.problems: list[str] = []
        self.cooked: list[str] = []
        self.raw_start = 0
        self.seg_line = line
        self.subs: list[tuple[str, str, int]] = []
        self.pending: list[_Pending] = []
        self.piped_in = False
        self.started = False

    # -- segments
    def _flush(self, conn: str) -> None:
        cooked = "".join(self.cooked).strip()
        raw = self.s[self.raw_start : self.i]
        if cooked:
            self.segments.append(
                _Segment(
                    cooked=cooked,
                    raw=raw,
                    line=self.seg_line,
                    conn=conn,
                    piped_in=self.piped_in,
                    subs=self.subs,
                )
            )
            self.piped_in = conn in ("|", "|&")
        elif conn not in ("|", "|&"):
            self.piped_in = False
        self.cooked = []
        self.subs = []
        self.seg_line = self.line
        self.raw_start = self.i
        self.started = False

    def _at_word_start(self) -> bool:
        if not self.cooked:
            return True
        last = self.cooked[-1]
        return not last or last[-1] in " \t\n;&|()"

    def run(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if not self.started and c not in " \t\r\n\\#":
                self.started = True
                self.seg_line = self.line
                self.raw_start = self.i
            if c == "\\":
                if self.i + 1 < n and s[self.i + 1] == "\n":  # continuation
                    self.i += 2
                    self.line += 1
                    continue
                self.cooked.append(s[self.i : self.i + 2])
                self.i += 2
                continue
            if c == "#" and self._at_word_start():
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
                continue
            if c == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    self.problems.append(f"line {self.line}: unterminated single quote")
                    end = n - 1
                chunk = s[self.i : end + 1]
                self.line += chunk.count("\n")
                self.cooked.append(chunk)
                self.i = end + 1
                continue
            if c == '"':
                self._double_quoted()
                continue
            if c == "$" and self.i + 1 < n and s[self.i + 1] in "({":
                self._dollar()
                continue
            if c == "`":
                self._backtick()
                continue
            if c in "<>" and self.i + 1 < n and s[self.i + 1] == "(" and self._at_word_start():
                self.i += 2
                text, sline = self._until_paren()
                self._add_sub(c + "(", text, sline)
                continue
            if c == "<" and s.startswith("<<", self.i) and not s.startswith("<<<", self.i):
                self._heredoc_start()
                continue
            if c == "\n":
                self._flush("\n")
                self.i += 1
                self.line += 1
                self.raw_start = self.i
                self.seg_line = self.line
                if self.pending:
                    self._read_heredocs()
                continue
            if c in ";&|()":
                op = self._operator()
                if op is None:
                    self.cooked.append(c)
                    self.i += 1
                    continue
                self._flush(op)
                self.i += len(op)
                self.raw_start = self.i
                continue
            # a run of ordinary characters in one step
            m = _PLAIN.match(s, self.i)
            end = m.end() if m and m.end() > self.i else self.i + 1
            self.cooked.append(s[self.i : end])
            self.i = end
        self._flush("")
        if self.pending:
            self.problems.append(f"heredoc {self.pending[0].delimiter!r} not terminated")

    def _operator(self) -> str | None:
        s, i = self.s, self.i
        two = s[i : i + 2]
        if two in ("&&", "||", ";;", "|&", ";&"):
            return two
        c = s[i]
        if c == "&":
            prev = self.cooked[-1][-1:] if self.cooked else ""
            if prev in (">", "<") or s[i + 1 : i + 2] == ">":
                return None  # >&2, &>file
            return "&"
        if c in "()":
            # only as grouping at a command boundary; inside a word (a=(1 2), case x) ...) keep as text
            if c == "(" and not self._at_word_start():
                return None
            return c
        return c

    # -- quoting and substitutions
    def _double_quoted(self) -> None:
        s, n = self.s, self.n
        out = ['"']
        self.i += 1
        while self.i < n:
            c = s[self.i]
            if c == "\\" and self.i + 1 < n:
                if s[self.i + 1] == "\n":
                    self.i += 2
                    self.line += 1
                    continue
                out.append(s[self.i : self.i + 2])
                self.i += 2
                continue
            if c == '"':
                out.append('"')
                self.i += 1
                self.cooked.append("".join(out))
                return
            if c == "$" and self.i + 1 < n and s[self.i + 1] in "({":
                self.cooked.append("".join(out))
                out = []
                self._dollar()
                continue
            if c == "`":
                self.cooked.append("".join(out))
                out = []
                self._backtick()
                continue
            if c == "\n":
                self.line += 1
            out.append(c)
            self.i += 1
        self.problems.append(f"line {self.line}: unterminated double quote")
        out.append('"')
        self.cooked.append("".join(out))

    def _dollar(self) -> None:
        s = self.s
        if s.startswith("$((", self.i):  # arithmetic: plain text
            start = self.i
            self.i += 3
            self._until_paren()
            if self.i < self.n and s[self.i] == ")":
                self.i += 1
            self.cooked.append(s[start : self.i])
            return
        if s[self.i + 1] == "{":
            end = _match_brace(s, self.i + 2)
            chunk = s[self.i : end]
            self.line += chunk.count("\n")
            self.cooked.append(chunk)
            self.i = end
            return
        self.i += 2
        text, sline = self._until_paren()
        self._add_sub("$(", text, sline)

    def _backtick(self) -> None:
        s = self.s
        start = self.i + 1
        j = start
        while j < self.n and s[j] != "`":
            j += 2 if s[j] == "\\" else 1
        text = s[start : min(j, self.n)]
        sline = self.line
        self.line += text.count("\n")
        self.i = min(j + 1, self.n)
        self._add_sub("`", text.replace("\\`", "`"), sline)

    def _add_sub(self, kind: str, text: str, sline: int) -> None:
        self.cooked.append(_PLACEHOLDER.format(len(self.subs)))
        self.subs.append((kind, text, sline))

    def _until_paren(self) -> tuple[str, int]:
        """Text up to the ``)`` matching an already consumed ``(`` (quotes and nesting respected)."""
        s, n = self.s, self.n
        start, sline, depth = self.i, self.line, 1
        while self.i < n:
            c = s[self.i]
            if c == "\\":
                self.i += 2
                continue
            if c == "'" or c == '"':
                end = _skip_quote(s, self.i)
                self.line += s.count("\n", self.i, end)
                self.i = end
                continue
            if c == "#" and (self.i == start or s[self.i - 1] in " \t\n"):
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end
                continue
            if c == "\n":
                self.line += 1
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    text = s[start : self.i]
                    self.i += 1
                    return text, sline
            self.i += 1
        self.problems.append(f"line {sline}: unterminated '('")
        return s[start:], sline

    # -- heredocs
    def _heredoc_start(self) -> None:
        s = self.s
        j = self.i + 2
        strip = False
        if j < self.n and s[j] == "-":
            strip = True
            j += 1
        while j < self.n and s[j] in " \t":
            j += 1
        k = j
        while k < self.n and s[k] not in " \t\n;&|<>()":
            if s[k] in "'\"":
                k = _skip_quote(s, k)
            else:
                k += 1
        word = s[j:k]
        delim = word.replace("'", "").replace('"', "").replace("\\", "")
        if not delim:
            self.cooked.append("<<")
            self.i += 2
            return
        self.pending.append(_Pending(len(self.segments), delim, strip))
        self.i = k

    def _read_heredocs(self) -> None:
        s = self.s
        for p in self.pending:
            body_line = self.line
            lines: list[str] = []
            while self.i < self.n:
                end = s.find("\n", self.i)
                end = self.n if end < 0 else end
                text = s[self.i : end]
                self.i = min(end + 1, self.n)
                self.line += 1
                if text.strip() == p.delimiter:
                    break
                lines.append(text.lstrip("\t") if p.strip_tabs else text)
            else:
                self.problems.append(f"heredoc {p.delimiter!r} not terminated")
            if p.index < len(self.segments):
                seg = self.segments[p.index]
                seg.heredoc = "\n".join(lines) + "\n"
                seg.heredoc_line = body_line
        self.pending = []
        self.raw_start = self.i
        self.seg_line = self.line


def _skip_quote(s: str, i: int) -> int:
    q = s[i]
    j = i + 1
    while j < len(s):
        if s[j] == "\\" and q == '"':
            j += 2
            continue
        if s[j] == q:
            return j + 1
        j += 1
    return len(s)


def _match_brace(s: str, i: int) -> int:
    depth = 1
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c in "'\"":
            i = _skip_quote(s, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(s)


# -- what actually runs ------------------------------------------------------------------------------

_SUDO_ARG_OPTS = frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"})
_TIMEOUT_ARG_OPTS = frozenset({"-s", "-k", "--signal", "--kill-after"})
_XARGS_ARG_OPTS = frozenset(
    {"-n", "-P", "-L", "-I", "-d", "-E", "-s", "-a", "--max-args", "--max-procs", "--delimiter", "--arg-file"}
)
_PY_RE = re.compile(r"^(.*/)?(python|python[23](\.\d+)?|py|pypy3?)(\.exe)?$")
_PIP_RE = re.compile(r"^(.*/)?pip(3(\.\d+)?)?(\.exe)?$")


@dataclass
class Effective:
    """The program that runs and its arguments once wrappers are peeled off."""

    program: str  # base name, lower-case ("pip" for pip3, python -m pip, uv pip ...)
    args: list[str]
    env: dict[str, str]
    sudo: bool = False
    via: str = ""  # "uv" for uv pip, "python -m" ...


def effective(words: Sequence[str]) -> Effective | None:
    w = list(words)
    env: dict[str, str] = {}
    sudo = False
    guard = 0
    while w and guard < 20:
        guard += 1
        head = w[0]
        if _ASSIGN.match(head):
            k, _, v = head.partition("=")
            env[k] = v
            w.pop(0)
            continue
        if head in _KEYWORDS:
            w.pop(0)
            continue
        if head in _SKIP_COMMANDS:
            return None
        if head == "sudo":
            sudo = True
            w.pop(0)
            while w and w[0].startswith("-"):
                opt = w.pop(0)
                if opt in _SUDO_ARG_OPTS and w:
                    w.pop(0)
            continue
        if head == "env":
            w.pop(0)
            while w and (w[0].startswith("-") or _ASSIGN.match(w[0])):
                opt = w.pop(0)
                if _ASSIGN.match(opt):
                    k, _, v = opt.partition("=")
                    env[k] = v
                elif opt in ("-u", "--unset", "-C", "--chdir") and w:
                    w.pop(0)
            continue
        if head in ("nohup", "exec", "command", "builtin", "noglob", "eatmydata"):
            w.pop(0)
            while w and w[0].startswith("-"):
                w.pop(0)
            continue
        if head in ("nice", "ionice", "stdbuf", "chronic"):
            w.pop(0)
            while w and w[0].startswith("-"):
                opt = w.pop(0)
                if opt in ("-n", "-c") and w:
                    w.pop(0)
            continue
        if head == "timeout":
            w.pop(0)
            while w and w[0].startswith("-"):
                opt = w.pop(0)
                if opt in _TIMEOUT_ARG_OPTS and w:
                    w.pop(0)
            if w:
                w.pop(0)  # the duration
            continue
        if head == "xargs":
            w.pop(0)
            while w and w[0].startswith("-"):
                opt = w.pop(0)
                if opt in _XARGS_ARG_OPTS and w:
                    w.pop(0)
            continue
        break
    if not w:
        return None
    prog = w[0].rsplit("/", 1)[-1].lower()
    args = w[1:]
    via = ""
    if _PY_RE.match(w[0]) and len(w) >= 3 and w[1] == "-m":
        mod = w[2]
        prog = "pip" if mod in ("pip", "pip3") else mod
        args = w[3:]
        via = "python -m"
    elif _PIP_RE.match(w[0]):
        prog = "pip"
    elif prog == "uv" and len(w) >= 2 and w[1] == "pip":
        prog, args, via = "pip", w[2:], "uv"
    elif prog in ("conda", "mamba", "micromamba") and len(w) >= 2 and w[1] == "run":
        rest = w[2:]
        while rest and rest[0].startswith("-"):
            opt = rest.pop(0)
            if opt in ("-n", "--name", "-p", "--prefix") and rest:
                rest.pop(0)
        inner = effective(rest)
        if inner is not None:
            inner.env.update(env)
            inner.sudo = inner.sudo or sudo
        return inner
    return Effective(program=prog, args=args, env=env, sudo=sudo, via=via)


SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "fish", "source", ".", "eval"})


def inline_script(eff: Effective) -> str | None:
    """The script of ``bash -c '...'``/``sh -c`` (None when there is none)."""
    if eff.program not in ("sh", "bash", "zsh", "dash", "ksh", "ash"):
        return None
    args = eff.args
    for i, a in enumerate(args):
        if a == "-c" or (a.startswith("-") and not a.startswith("--") and "c" in a[1:]):
            if i + 1 < len(args):
                return args[i + 1]
            return None
        if not a.startswith("-"):
            return None
    return None
