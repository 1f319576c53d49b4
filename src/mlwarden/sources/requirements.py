"""pip requirements files (``requirements*.txt``, ``*.in``, constraints files) -> Manifest.

Parsing follows pip's own rules, with pip-requirements-parser (which carries pip's code) doing the
requirement and URL parsing:

* logical lines: physical lines (``str.splitlines``, like pip) joined on a trailing backslash, the
  logical line keeping the number of its first physical line; comments (``#`` at the start or after
  whitespace) removed;
* options are split from the requirement at the first token starting with ``-`` and parsed with an
  optparse parser holding exactly the options pip accepts in a requirements file (so
  ``--install-option`` or legacy options are rejected like pip rejects them, and ``--config-settings``
  is accepted);
* ``-r``/``-c`` targets are relative to the including file and become Manifests in ``.included``
  (constraints files with ``kind="constraint"``); URLs, files outside the project tree, missing files,
  cycles and too-deep nesting are recorded, never fetched or followed;
* environment variables (``${VAR}``) are not expanded and markers are never evaluated.

What pip rejects becomes a ``Problem`` with pip's reason; what pip silently ignores but is almost
certainly a mistake (a global option on a requirement line, ``--hash`` alone on a line) also becomes a
``Problem`` whose message says pip ignores it.

Library fix-ups (each verified against pip's own parser, pip 23.2, on the same lines):

* the library's file reading, line joining and option parser are not used: they lose the last physical
  line of a logical line, read includes from URLs, build a new optparse parser for every line, and are
  quadratic on hostile lines (comment regex on long blank runs, ``list.pop(0)`` in the argument split,
  optparse on tens of thousands of options): this module does the same splits in linear time and bounds
  the rest;
* its option set differs from pip's: it accepts ``--install-option`` (removed in pip 23.1), the legacy
  ``--allow-external`` family and ``--requirements``, and rejects ``--config-settings``/``-C``;
* it does not validate ``--hash`` (pip requires ``name:value`` with sha256/384/512);
* it takes ``-e https://...`` and ``git://...`` (no ``git+``) for local paths; pip rejects both;
* malformed URLs raise ``ValueError`` from urllib instead of an invalid-requirement error;
* its error messages span several lines (packaging's caret diagrams): reduced to pip's first line.

Plain ``name==version`` lines and named requirements without URL or path are parsed with ``packaging``
directly (the library hands them to packaging unchanged), so files without URLs never import it.
"""

from __future__ import annotations

import optparse
import os
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from mlwarden.core.errors import InputError
from mlwarden.sources.model import Dependency, IndexSetting, Manifest, Problem
from mlwarden.sources.tomltext import exact_version

COMMENT_RE = re.compile(r"(^|\s+)#.*$")
MAX_SIZE = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_TOKENS = 20000  # optparse is quadratic in the number of arguments
MAX_SHLEX = 256 * 1024  # shlex reads ~200k characters a second
MAX_FILES = 500
STRONG_HASHES = {"sha256": 64, "sha384": 96, "sha512": 128}
VCS_NAMES = ("git", "hg", "svn", "bzr")
HEX = re.compile(r"[0-9a-fA-F]+")
# "name==version" (no extras, markers, URL): the common case, parsed without the full grammar
_SIMPLE_PIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)[ \t]*==[ \t]*([A-Za-z0-9.+!_-]+)")
# name, optional extras, then a version operator or a marker; no '/', '\\', '@' before the marker
# (paths, URLs and archives go through pip-requirements-parser)
_NAMED = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?[ \t]*(?:\[[^\]/@]*\][ \t]*)?"
                    r"(?:[<>=!~][^;/@\\]*)?(?:;.*)?$")
PIP_URL_SCHEMES = frozenset({
    "http", "https", "file", "ftp",
    "git+http", "git+https", "git+ssh", "git+git", "git+file",
    "hg+file", "hg+http", "hg+https", "hg+ssh", "hg+static-http",
    "svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file",
    "bzr+http", "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp", "bzr+file",
})
_ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz",
             ".tar.lz", ".tar.lzma")
_HASHES_ONLY = re.compile(r"(?:--hash[= ][^\s\"'\\=-][^\s\"'\\]*(?:[ \t]+|$))+")
_HASH_VALUE = re.compile(r"--hash[= ]([^\s]+)")
_WS = re.compile(r"[ \t\r\n]+")
_SHLEX_SPECIAL = re.compile(r"[\"'\\]")

# dest -> (flag as written in messages) for options that only make sense on their own line
GLOBAL_OPTION_FLAGS = {
    "index_url": "--index-url", "extra_index_urls": "--extra-index-url", "no_index": "--no-index",
    "constraints": "-c", "requirements": "-r", "editables": "-e", "find_links": "--find-links",
    "no_binary": "--no-binary", "only_binary": "--only-binary", "prefer_binary": "--prefer-binary",
    "require_hashes": "--require-hashes", "pre": "--pre", "trusted_hosts": "--trusted-host",
    "features_enabled": "--use-feature",
}
REQ_OPTION_DESTS = ("global_options", "hashes", "config_settings")


class _OptionError(Exception):
    pass


class _Parser(optparse.OptionParser):
    def error(self, msg: str) -> NoReturn:
        raise _OptionError(msg)

    def exit(self, status: int = 0, msg: str | None = None) -> NoReturn:
        raise _OptionError(msg or "invalid option")


def _build_parser() -> _Parser:
    """An optparse parser with exactly the options pip accepts in requirements files."""
    p = _Parser(add_help_option=False, prog="pip", usage=optparse.SUPPRESS_USAGE)
    add = p.add_option
    add("-i", "--index-url", "--pypi-url", dest="index_url", metavar="URL", default=None)
    add("--extra-index-url", dest="extra_index_urls", action="append", default=[], metavar="URL")
    add("--no-index", dest="no_index", action="store_true", default=False)
    add("-c", "--constraint", dest="constraints", action="append", default=[], metavar="file")
    add("-r", "--requirement", dest="requirements", action="append", default=[], metavar="file")
    add("-e", "--editable", dest="editables", action="append", default=[], metavar="path/url")
    add("-f", "--find-links", dest="find_links", action="append", default=[], metavar="url")
    add("--no-binary", dest="no_binary", action="append", default=[], metavar="format_control")
    add("--only-binary", dest="only_binary", action="append", default=[], metavar="format_control")
    add("--prefer-binary", dest="prefer_binary", action="store_true", default=False)
    add("--require-hashes", dest="require_hashes", action="store_true", default=False)
    add("--pre", dest="pre", action="store_true", default=False)
    add("--trusted-host", dest="trusted_hosts", action="append", default=[], metavar="HOSTNAME")
    add("--use-feature", dest="features_enabled", action="append", default=[], metavar="feature")
    # per-requirement options
    add("--global-option", dest="global_options", action="append", default=[], metavar="options")
    add("--hash", dest="hashes", action="append", default=[], metavar="hash")
    add("-C", "--config-settings", dest="config_settings", action="append", default=[],
        metavar="settings")
    return p


_PARSER: _Parser | None = None
_DEFAULTS: dict[str, Any] = {}


def _parse_options(options_str: str) -> tuple[dict[str, Any], list[str]]:
    global _PARSER, _DEFAULTS
    if _PARSER is None:
        _PARSER = _build_parser()
        _DEFAULTS = dict(vars(_PARSER.get_default_values()))
    if not options_str:
        return {k: list(v) if isinstance(v, list) else v for k, v in _DEFAULTS.items()}, []
    if _HASHES_ONLY.fullmatch(options_str):
        out = {k: list(v) if isinstance(v, list) else v for k, v in _DEFAULTS.items()}
        out["hashes"] = _HASH_VALUE.findall(options_str)
        return out, []
    try:
        # shlex is slow (char by char); without quotes or escapes it splits like this
        if _SHLEX_SPECIAL.search(options_str):
            if len(options_str) > MAX_SHLEX:
                raise _OptionError(f"options longer than {MAX_SHLEX // 1024} KiB with quotes or escapes; "
                                   "not parsed")
            tokens = shlex.split(options_str)
        else:
            tokens = _WS.split(options_str.strip(" \t\r\n"))
        if tokens == [""]:
            tokens = []
    except ValueError:
        raise _OptionError(f"Could not split options: {_short(options_str)}") from None
    if len(tokens) > MAX_TOKENS:
        raise _OptionError(f"more than {MAX_TOKENS} options on one line; not parsed")
    values = optparse.Values({k: list(v) if isinstance(v, list) else v for k, v in _DEFAULTS.items()})
    opts, args = _PARSER.parse_args(tokens, values)
    return dict(vars(opts)), list(args)


def break_args_options(line: str) -> tuple[str, str]:
    """pip's split: everything before the first token (split on spaces) starting with '-' is the
    requirement, the rest are options (pip's loop, without its quadratic list.pop(0))."""
    tokens = line.split(" ")
    for k, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:k]), " ".join(tokens[k:])
    return line, ""


@dataclass
class LogicalLine:
    start: int  # first physical line (1-based)
    end: int  # last physical line
    text: str  # joined, comment removed, stripped
    comment: str  # the comment text ("# ..."), "" if none
    column: int  # 1-based column of the first non-blank character on the first physical line
    first: str = ""  # the first physical line

    def column_of(self, token: str) -> int | None:
        """1-based column of ``token`` on the first physical line, if it is there."""
        i = self.first.find(token) if token else -1
        return i + 1 if i >= 0 else None


def _is_comment_line(line: str) -> bool:
    """pip's ``COMMENT_RE.match(line)``: only whitespace before a '#'."""
    return line.lstrip().startswith("#")


def _comment_start(line: str) -> int:
    """Index where pip's ``COMMENT_RE`` (``(^|\\s+)#.*$``) starts matching, or -1: the first '#' at the
    start of the line or after whitespace, with the whitespace before it. Linear time (the regex is
    quadratic on long runs of blanks)."""
    i = line.find("#")
    while i >= 0:
        if i == 0 or line[i - 1].isspace():
            j = i
            while j > 0 and line[j - 1].isspace():
                j -= 1
            return j
        i = line.find("#", i + 1)
    return -1


def logical_lines(content: str) -> Iterator[LogicalLine]:
    """pip's join_lines + ignore_comments, keeping the physical extent of each logical line."""
    lines = content.splitlines()
    buf: list[str] = []
    start = 0
    for n, line in enumerate(lines, 1):
        comment_line = "#" in line and _is_comment_line(line)
        if not line.endswith("\\") or comment_line:
            if comment_line:
                line = " " + line  # a comment line ends a continuation
            if buf:
                buf.append(line)
                yield _logical(start, n, "".join(buf), lines[start - 1])
                buf = []
            else:
                yield _logical(n, n, line, line)
        else:
            if not buf:
                start = n
            buf.append(line.strip("\\"))
    if buf:
        yield _logical(start, len(lines), "".join(buf), lines[start - 1])


def _logical(start: int, end: int, joined: str, first: str) -> LogicalLine:
    comment = ""
    if "#" in joined:
        c = _comment_start(joined)
        if c >= 0:
            comment = joined[c:].strip()
            joined = joined[:c]
    stripped = first.lstrip()
    return LogicalLine(start, end, joined.strip(), comment, len(first) - len(stripped) + 1, first)


def decode(data: bytes, display: str) -> str:
    """UTF-8 (with or without BOM), or UTF-16/32 with a BOM (``pip freeze >`` in PowerShell writes
    UTF-16), like pip's auto_decode; anything else is an InputError."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                     (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
                     (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc)
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {enc} text (byte {exc.start})", path=display) from None
    if b"\0" in data[:8192]:
        raise InputError("binary file, not a requirements file", path=display)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", path=display) from None


def detect_newline(content: str) -> str:
    i = content.find("\n")
    if i > 0 and content[i - 1] == "\r":
        return "\r\n"
    if i < 0 and "\r" in content:
        return "\r"
    return "\n"


def _read_bytes(path: Path, display: str) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SIZE + 1)
    except IsADirectoryError:
        raise InputError("is a directory, not a requirements file", path=display) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=display) from None
    if len(data) > MAX_SIZE:
        raise InputError(f"file larger than {MAX_SIZE // (1024 * 1024)} MiB, not read", path=display)
    return data


# ---------------------------------------------------------------------------------------------------
# reading


@dataclass
class _State:
    """Shared by one top-level read and all the files it includes."""

    root: Path
    read: dict[str, str] = field(default_factory=dict)  # real path -> display path, files read so far
    count: int = 0


def read(path: Path, display: str) -> Manifest:
    """Read a requirements (or constraints) file and, recursively, the files it includes."""
    state = _State(root=_tree_root(path, display))
    # a constraints file checked on its own is still a constraints file
    kind = "constraint" if posixpath.basename(display).lower().startswith("constraint") else "requirement"
    return _read_file(path, display, kind=kind, state=state, stack=())


def parse_text(content: str, display: str, kind: str = "requirement") -> Manifest:
    """Parse requirements text without touching the file system (includes are recorded, not read)."""
    m = Manifest(path=display, format="requirements")
    _parse_into(m, content, kind, include=None)
    return m


def _tree_root(path: Path, display: str) -> Path:
    """The project folder includes must stay in: the root the display path is relative to, else the
    nearest enclosing git work tree, else the file's own folder."""
    absolute = Path(os.path.abspath(path))
    parts = Path(display).parts
    if not Path(display).is_absolute() and ".." not in parts and len(parts) >= 1 \
            and absolute.parts[-len(parts):] == parts:
        base = absolute
        for _ in parts:
            base = base.parent
        return base
    for folder in absolute.parents:
        if (folder / ".git").exists():
            return folder
    return absolute.parent


def _read_file(path: Path, display: str, kind: str, state: _State, stack: tuple[str, ...]) -> Manifest:
    data = _read_bytes(path, display)
    content = decode(data, display)
    m = Manifest(path=display, format="requirements")
    m.newline = detect_newline(content)
    m.meta["final_newline"] = content.endswith(("\n", "\r"))
    m.meta["kind"] = kind
    if display.lower().endswith(".in"):
        m.meta["input"] = True
    real = os.path.realpath(path)
    state.read[real] = display
    state.count += 1
    here = (*stack, real)

    def include(opt: str, target: str, ll: LogicalLine) -> None:
        _include(m, opt, target, ll, path, display, state, here)

    _parse_into(m, content, kind, include=include)
    return m


def _include(m: Manifest, opt: str, target: str, ll: LogicalLine, path: Path, display: str,
             state: _State, stack: tuple[str, ...]) -> None:
    kind = "constraint" if opt == "-c" else "requirement"
    record: dict[str, Any] = {"option": opt, "target": target, "line": ll.start, "column": ll.column,
                              "kind": kind, "status": "read", "path": None}
    m.meta.setdefault("includes", []).append(record)

    def problem(msg: str) -> None:
        m.problems.append(Problem(message=msg, source=display, line=ll.start, column=ll.column,
                                  raw=_short(ll.text, 1000)))

    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target):
        record["status"] = "url"
        return
    if target.startswith("file:"):
        target = unquote(urlsplit(target).path)
    target_path = Path(target) if os.path.isabs(target) else path.parent / target
    if os.path.isabs(target) or display.startswith("/"):
        inc_display = Path(os.path.normpath(target_path)).as_posix()
    else:
        inc_display = posixpath.normpath(posixpath.join(posixpath.dirname(display), target))
    record["path"] = inc_display
    real = os.path.realpath(target_path)
    try:
        Path(real).relative_to(os.path.realpath(state.root))
    except ValueError:
        record["status"] = "outside"
        return
    if real in stack:
        chain = [state.read.get(s, s) for s in stack[stack.index(real):]] + [state.read.get(real, real)]
        record["status"] = "cycle"
        problem("include cycle: " + " -> ".join(chain) + " (pip recurses without end)")
        return
    if real in state.read:
        record["status"] = "already"
        record["path"] = state.read[real]
        return
    if not os.path.isfile(real):
        record["status"] = "missing"
        problem(f"Could not open requirements file: {target} (no such file)")
        return
    if len(stack) >= MAX_DEPTH or state.count >= MAX_FILES:
        record["status"] = "too-deep"
        problem(f"includes nested too deeply; {target} not read")
        return
    try:
        inc = _read_file(target_path, inc_display, kind, state, stack)
    except InputError as exc:
        record["status"] = "unreadable"
        record["error"] = str(exc)
        return
    m.included.append(inc)


def _parse_into(m: Manifest, content: str, kind: str, include: Any) -> None:
    for ll in logical_lines(content):
        if not ll.text:
            if ll.comment:
                m.meta.setdefault("comments", []).append((ll.start, ll.comment))
            continue
        _parse_line(m, ll, kind, include)


def _parse_line(m: Manifest, ll: LogicalLine, kind: str, include: Any) -> None:
    display = m.path

    def problem(msg: str, column: int | None = None) -> None:
        m.problems.append(Problem(message=msg, source=display, line=ll.start,
                                  column=column or ll.column, raw=_short(ll.text, 1000)))

    if ll.text.endswith("\\"):
        # join_lines only joins on a backslash at the very end of the line; pip then rejects or
        # misreads this line and reads the next one on its own
        problem("'\\' followed by blanks does not continue the line (pip reads the next line on its own); "
                "remove the trailing whitespace")
        return
    args_str, options_str = break_args_options(ll.text)
    try:
        opts, leftover = _parse_options(options_str)
    except _OptionError as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid option"
        bad = re.match(r"no such option: (\S+)|(\S+) option requires", msg)
        problem(msg, ll.column_of((bad.group(1) or bad.group(2)) if bad else ""))
        return
    req_string: str | None = None
    editable = False
    if args_str.strip():
        req_string = args_str.strip()
    elif opts["editables"]:
        req_string = opts["editables"][0]
        editable = True

    if req_string is None:
        _option_line(m, ll, opts, leftover, include, problem)
        return

    # requirement line
    ignored = [GLOBAL_OPTION_FLAGS[d] for d in GLOBAL_OPTION_FLAGS
               if (d != "editables" or not editable) and opts.get(d)]
    if editable:
        ignored += ["--" + d.replace("_", "-").rstrip("s") for d in REQ_OPTION_DESTS if opts.get(d)]
    if ignored:
        what = ", ".join(sorted(set(ignored)))
        where = "an editable requirement line" if editable else "a requirement line"
        problem(f"pip ignores {what} on {where}; put global options on their own line",
                min((c for c in (ll.column_of(f) for f in ignored) if c), default=None))
    if leftover:
        problem("pip ignores trailing argument(s): " + " ".join(leftover))
    try:
        _requirement(m, ll, req_string, editable, opts, kind, problem)
    except ValueError as exc:  # urllib's "Invalid IPv6 URL" and friends, from the library's Link
        problem(f"Invalid requirement: {str(exc).splitlines()[0] if str(exc) else 'invalid URL'}")


def _option_line(m: Manifest, ll: LogicalLine, opts: dict[str, Any], leftover: list[str], include: Any,
                 problem: Any) -> None:
    display = m.path
    line, col = ll.start, ll.column

    def idx(kind_: str, value: str, **kw: Any) -> None:
        m.indexes.append(IndexSetting(kind=kind_, value=value, source=display, line=line, column=col, **kw))

    if leftover:
        problem("pip ignores trailing argument(s): " + " ".join(leftover))
    if opts.get("hashes") or opts.get("global_options") or opts.get("config_settings"):
        flags = [f for d, f in (("hashes", "--hash"), ("global_options", "--global-option"),
                                ("config_settings", "--config-settings")) if opts.get(d)]
        problem(f"pip ignores {', '.join(flags)} on a line without a requirement "
                "(missing '\\' at the end of the previous line?)")
    if opts["index_url"]:
        idx("index-url", opts["index_url"], default=True)
    for u in opts["extra_index_urls"]:
        idx("extra-index-url", u)
    for u in opts["find_links"]:
        idx("find-links", u)
    for h in opts["trusted_hosts"]:
        idx("trusted-host", h)
    if opts["no_index"]:
        m.meta["no_index"] = line
    if opts["require_hashes"]:
        m.hashes_required = True
        m.meta["require_hashes_line"] = line
    for dest in ("pre", "prefer_binary"):
        if opts[dest]:
            m.meta.setdefault("options", []).append((line, GLOBAL_OPTION_FLAGS[dest], True))
    for dest in ("no_binary", "only_binary", "features_enabled"):
        for v in opts[dest]:
            m.meta.setdefault("options", []).append((line, GLOBAL_OPTION_FLAGS[dest], v))
    for dest, flag in (("requirements", "-r"), ("constraints", "-c")):
        for target in opts[dest]:
            if include is None:
                m.meta.setdefault("includes", []).append(
                    {"option": flag, "target": target, "line": line, "column": col,
                     "kind": "constraint" if flag == "-c" else "requirement", "status": "not-read",
                     "path": None})
            else:
                include(flag, target, ll)


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _clean_error(msg: str) -> str:
    """pip-requirements-parser's InstallationError text -> pip's one-line reason."""
    msg = msg.strip()
    m = re.match(r"Invalid requirement: (.*?): (.*)", msg, re.S)
    if m:
        hint, detail = m.group(1).strip(), m.group(2).strip().splitlines()[0].strip()
        return f"Invalid requirement: {detail}" + (f" (hint: {hint})" if hint else "")
    return msg.splitlines()[0] if msg else "invalid requirement"


def split_vcs(url: str) -> tuple[str | None, str | None]:
    """(vcs name, ref) of a VCS URL like ``git+https://host/repo@ref#egg=x`` (pip's rule: the ref is
    after the last '@' of the path)."""
    scheme = url.partition("://")[0]
    vcs = scheme.split("+", 1)[0].lower()
    if vcs not in VCS_NAMES:
        return None, None
    try:
        parts = urlsplit(url)
    except ValueError:
        return vcs, None
    path = parts.path
    if "@" in path:
        return vcs, path.rsplit("@", 1)[1] or ""
    return vcs, None


def _requirement(m: Manifest, ll: LogicalLine, req_string: str, editable: bool, opts: dict[str, Any],
                 kind: str, problem: Any) -> None:
    hashes = _check_hashes([] if editable else opts["hashes"],
                           lambda msg, h: problem(msg, ll.column_of(h)))
    if not editable:
        fast = _SIMPLE_PIN.fullmatch(req_string)
        if fast and _valid_version(fast.group(2)):
            name = fast.group(1)
            m.dependencies.append(Dependency(
                name=name, normalized=canonicalize_name(name), source=m.path, line=ll.start,
                column=ll.column, specifier=f"=={fast.group(2)}", version=fast.group(2),
                hashes=tuple(hashes), kind=kind, raw=ll.text, extra=_extra(ll, opts)))
            return
        if _NAMED.match(req_string) and not req_string.split(";", 1)[0].strip().lower().endswith(_ARCHIVES):
            # a named requirement with a version/marker and no URL or path: pip (and the library)
            # hand it to packaging unchanged; fall through to the library for its error messages
            dep = _from_packaging(m, ll, req_string, hashes, opts, kind)
            if dep is not None:
                m.dependencies.append(dep)
                return
    # imported here: ~50 ms, and files of plain "name==version" lines never need it
    from pip_requirements_parser import (
        InstallationError,
        Link,
        parse_reqparts_from_editable,
        parse_reqparts_from_string,
    )

    url_scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", req_string)
    if url_scheme and url_scheme.group(1).lower() not in PIP_URL_SCHEMES:
        # pip knows no such URL (e.g. git:// without git+): it fails on the line
        problem(f"Invalid requirement: '{_short(req_string)}': {url_scheme.group(1)}:// is not a scheme "
                "pip installs from (VCS URLs need a prefix, e.g. git+https://)")
        return
    if editable:
        scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", req_string)
        if scheme and len(scheme.group(1)) > 1 and scheme.group(1).lower() != "file" \
                and scheme.group(1).lower().split("+")[0] not in VCS_NAMES:
            # the library takes any string with '/' for a local path; pip wants a VCS URL here
            problem(f"{req_string} is not a valid editable requirement. It should either be a path to "
                    "a local project or a VCS URL (beginning with bzr+, git+, hg+ or svn+).")
            return
    try:
        parts = (parse_reqparts_from_editable(req_string) if editable
                 else parse_reqparts_from_string(req_string))
    except InstallationError as exc:
        problem(_clean_error(str(exc)))
        return
    except Exception as exc:  # the library raises InvalidWheelFilename, InvalidMarker, ValueError ...
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problem(f"Invalid requirement: {text}")
        return

    req = parts.requirement
    link = parts.link
    name = req.name if req is not None else ""
    marker = parts.marker if parts.marker is not None else (req.marker if req is not None else None)
    extras = set(parts.extras or ()) or (set(req.extras) if req is not None else set())

    url: str | None = None
    vcs: str | None = None
    ref: str | None = None
    local_path: str | None = None
    version: str | None = None
    specifier = ""
    if link is None and req is not None and req.url:
        link = Link(req.url)  # PEP 508 "name @ url"
    url_hash = False
    if link is not None:
        link_url = link.url
        if link.is_vcs:
            url = link_url
            vcs, ref = split_vcs(link_url)
            if ref == "":
                problem(f"The URL {link_url!r} has an empty revision (after @) which is not supported. "
                        "Include a revision after @ or remove @ from the URL.")
                return
        elif link.scheme in ("http", "https", "ftp"):
            url = link_url
        else:
            local_path = link_url
        if link.hash_name and link.hash:
            hashes.append(f"{link.hash_name.lower()}:{link.hash.lower()}")
            url_hash = True
        if not vcs and link.filename:
            version = _version_from_filename(link.filename)
    elif req is not None:
        specifier = str(req.specifier)
        version = exact_version(req.specifier)

    dep = Dependency(
        name=name,
        normalized=canonicalize_name(name) if name else "",
        source=m.path,
        line=ll.start,
        column=ll.column,
        specifier=specifier,
        version=version,
        extras=tuple(sorted(extras)),
        marker=str(marker) if marker is not None else None,
        hashes=tuple(hashes),
        url=url,
        vcs=vcs,
        ref=ref,
        editable=editable,
        local_path=local_path,
        kind=kind,
        raw=ll.text,
        # a hash only in the URL (#sha256=...) is checked by pip but, unlike --hash, does not switch the
        # install to hash-checking mode
        extra={**_extra(ll, opts), "url_hash_only": True} if url_hash and len(hashes) == 1
        else _extra(ll, opts),
    )
    m.dependencies.append(dep)


def _from_packaging(m: Manifest, ll: LogicalLine, req_string: str, hashes: list[str],
                    opts: dict[str, Any], kind: str) -> Dependency | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(req_string)
    except (InvalidRequirement, ValueError):
        return None
    if req.url:
        return None
    for spec in req.specifier:
        if str(spec).endswith("]"):
            return None  # "name>=1.0[extra]": let the library report it like pip
    return Dependency(
        name=req.name, normalized=canonicalize_name(req.name), source=m.path, line=ll.start,
        column=ll.column, specifier=str(req.specifier), version=exact_version(req.specifier),
        extras=tuple(sorted(req.extras)), marker=str(req.marker) if req.marker is not None else None,
        hashes=tuple(hashes), kind=kind, raw=ll.text, extra=_extra(ll, opts))


def _extra(ll: LogicalLine, opts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"end_line": ll.end, "comment": ll.comment}
    for key in ("global_options", "config_settings"):
        if opts.get(key):
            out[key] = list(opts[key])
    return out


def _valid_version(v: str) -> bool:
    try:
        Version(v)
    except InvalidVersion:
        return False
    return True


def _check_hashes(values: list[str], problem: Any) -> list[str]:
    """pip's --hash validation: ``name:hex`` with a strong algorithm; also the digest length.
    ``problem(message, hash_value)`` is called for each bad value."""
    hashes: list[str] = []
    for h in values:
        alg, sep, digest = h.partition(":")
        alg = alg.lower()
        if not sep or not digest:
            problem(f"Arguments to --hash must be a hash name followed by a value, like "
                    f"--hash=sha256:abcde... (got {h!r})", h)
        elif alg not in STRONG_HASHES:
            problem(f"Unknown hash name: {alg}. Expecting one of sha256, sha384, sha512.", h)
        elif len(digest) != STRONG_HASHES[alg] or not HEX.fullmatch(digest):
            problem(f"--hash={alg}:{digest[:16]}{'...' if len(digest) > 16 else ''} is not a "
                    f"{alg} digest ({STRONG_HASHES[alg]} hex characters); pip will never match it", h)
        else:
            hashes.append(f"{alg}:{digest.lower()}")
    return hashes


def _version_from_filename(filename: str) -> str | None:
    name = unquote(filename)
    try:
        if name.endswith(".whl"):
            return str(parse_wheel_filename(name)[1])
        if name.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(name)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        return None
    return None
