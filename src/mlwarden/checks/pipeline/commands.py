"""Rules over shell commands: downloads, ``curl | sh``, Hub downloads, clones, pip installs, buckets.

A *unit* is what runs together and can verify what it fetched: one shell script, one workflow job, one
GitLab job, one Dockerfile, one Makefile. :func:`check_unit` parses every script of a unit with
:mod:`.shell`, classifies each command, and reports; a download counts as verified when the unit has a
checksum or signature step for it (``sha256sum -c``, ``echo "<hex>  f" | sha256sum --check``, a digest
compared in ``[ ... ]``, ``gpg --verify``, ``cosign verify-blob`` ...).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from mlwarden.checks.pipeline import rules as R
from mlwarden.checks.pipeline.dockerfile import substitute
from mlwarden.checks.pipeline.shell import (
    Command,
    Effective,
    Script,
    display_word,
    effective,
    has_placeholder,
)
from mlwarden.checks.pipeline.shell import parse as parse_shell
from mlwarden.core.findings import Severity

# -- shared facts --------------------------------------------------------------------------------------

PICKLE_EXT = (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle", ".joblib", ".dill", ".sav", ".pdparams")
_KEY_WORDS = ("keyring", "gpg-key", "gpgkey", "signing-key", "pubkey")
_KEY_EXT = (
    ".gpg",
    ".asc",
    ".key",
    ".pub",
    ".sig",
    ".sign",
    ".pem",
    ".crt",
    ".sha256",
    ".sha512",
    ".sha256sum",
    ".sha512sum",
    ".md5",
    ".sha1",
    ".list",
    ".sources",
    ".repo",
)
_CHECKSUM_NAMES = re.compile(r"(^|/)(sha\d*sums?|md5sums?|checksums?)(\.txt)?$", re.IGNORECASE)
_HASHERS = frozenset(
    {
        "sha256sum",
        "sha512sum",
        "sha1sum",
        "sha384sum",
        "sha224sum",
        "md5sum",
        "shasum",
        "b2sum",
        "b3sum",
        "cksum",
        "xxhsum",
        "rhash",
    }
)
_VERIFIERS = frozenset({"gpgv", "minisign", "signify", "slsa-verifier", "sigstore"})
_SHELL_RUNNERS = frozenset(
    {
        "sh",
        "bash",
        "zsh",
        "dash",
        "ksh",
        "ash",
        "fish",
        "python",
        "python3",
        "perl",
        "ruby",
        "node",
        "pwsh",
        "powershell",
        "iex",
        "source",
        ".",
        "eval",
    }
)
_TEXT_FILTERS = frozenset(
    {
        "jq",
        "grep",
        "egrep",
        "fgrep",
        "head",
        "tail",
        "sed",
        "awk",
        "cut",
        "wc",
        "yq",
        "sort",
        "uniq",
        "tr",
        "cat",
        "less",
        "more",
        "xmllint",
        "base64",
        "column",
        "python-json",
        "json_pp",
        "true",
        "echo",
        "printf",
    }
)
_KEY_SINKS = frozenset({"gpg", "apt-key", "gpg2", "rpm"})
_EXTRACTORS = frozenset(
    {
        "tar",
        "unzip",
        "gunzip",
        "gzip",
        "bunzip2",
        "xz",
        "unxz",
        "zstd",
        "unzstd",
        "bsdtar",
        "7z",
        "funzip",
        "dd",
        "tee",
        "zcat",
        "pv",
    }
)
_BARE_VAR = re.compile(r"^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$")
_SHORT_COMMIT = re.compile(r"^[0-9a-fA-F]{7,40}$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_HF_HOSTS = ("huggingface.co", "hf.co", "hf-mirror.com")
_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
_HEX = re.compile(r"\b[0-9a-fA-F]{32,128}\b")
_TOOLING = frozenset(
    {
        "pip",
        "setuptools",
        "wheel",
        "uv",
        "pip-tools",
        "build",
        "twine",
        "virtualenv",
        "pipx",
        "poetry",
        "hatch",
        "nox",
        "tox",
        "pre-commit",
    }
)


def is_commit(rev: str) -> bool:
    """A full commit id (shared rule with check-unsafe-loads' Hub revisions)."""
    try:
        from mlwarden.checks.unsafe_loads.analyze import COMMIT
    except ImportError:  # pragma: no cover - check-unsafe-loads not in this build
        return bool(_COMMIT.match(rev))
    return bool(COMMIT.match(rev))


def is_hub_id(repo_id: str) -> bool:
    """``org/name`` shaped like a Hugging Face repository id (check-unsafe-loads' definition)."""
    try:
        from mlwarden.checks.unsafe_loads.analyze import _HUB_ID as hub_id
    except ImportError:  # pragma: no cover
        return bool(re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9_][A-Za-z0-9_.\-]*$", repo_id))
    return bool(hub_id.match(repo_id))


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_local_host(host: str) -> bool:
    return (
        not host
        or host in ("localhost", "0.0.0.0", "::1", "host.docker.internal")  # noqa: S104 - compared, not bound
        or host.startswith("127.")
        or host.endswith(".local")
        or host.endswith(".localhost")
        or "." not in host  # a service name inside the CI network (minio, registry)
        or host.startswith(("10.", "192.168."))
    )


def hf_resolve(url: str) -> tuple[str, str] | None:
    """(repo id, revision) of a Hub file URL ``https://huggingface.co/[datasets/]org/repo/resolve/<rev>/f``."""
    host = host_of(url)
    if host not in _HF_HOSTS:
        return None
    parts = [unquote(p) for p in urlsplit(url).path.split("/") if p]
    if parts and parts[0] in ("datasets", "spaces"):
        parts = parts[1:]
    if len(parts) >= 4 and parts[2] in ("resolve", "raw", "blob"):
        return f"{parts[0]}/{parts[1]}", parts[3]
    return None


def hf_repo_url(url: str) -> str | None:
    """Repo id of a Hub git URL (``https://huggingface.co/org/repo`` or ``.../datasets/org/repo``)."""
    if host_of(url) not in _HF_HOSTS:
        return None
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if parts and parts[0] in ("datasets", "spaces"):
        parts = parts[1:]
    if len(parts) == 2:
        rid = f"{parts[0]}/{parts[1].removesuffix('.git')}"
        return rid if is_hub_id(rid) else None
    return None


def url_basename(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        path = url
    return posixpath.basename(unquote(path))


# -- the model of a unit ---------------------------------------------------------------------------------


@dataclass
class Download:
    cmd: Command
    url: str
    target: str  # file name it is saved as ("" when streamed into an extractor)
    program: str
    streamed_to: str = ""  # program it is piped into
    verified_inline: bool = False  # e.g. aria2c --checksum, ADD --checksum


@dataclass
class Unit:
    """What a check of one unit reports into."""

    path: str
    emit: Callable[..., None]
    options: Mapping[str, Any]
    downloads: list[Download] = field(default_factory=list)
    verify_texts: list[str] = field(default_factory=list)
    checkouts: list[tuple[str, int]] = field(default_factory=list)  # (ref, index of the clone before it)
    clones: list[tuple[Command, str, str | None]] = field(default_factory=list)  # (cmd, url, branch)
    installs: list[str] = field(default_factory=list)  # requirement files installed (-r)
    extra_verified: bool = False  # e.g. a Dockerfile ADD --checksum of the same file

    def trusted_host(self, url: str) -> bool:
        host = host_of(url)
        for t in self.options.get("trusted-hosts") or ():
            t = t.lower().strip()
            if t and (host == t or host.endswith("." + t)):
                return True
        return False


Emit = Callable[..., None]


def check_unit(
    path: str,
    scripts: Sequence[tuple[str, int]],
    options: Mapping[str, Any],
    emit: Emit,
    extra: Sequence[Download] = (),
    env: Mapping[str, str] | None = None,
) -> Unit:
    """Check the shell ``scripts`` (text, first file line) of one unit. ``emit(rule, line, message, hint,
    severity=None)`` receives findings. ``extra`` are downloads found outside shell (Dockerfile ADD);
    ``env`` are variables known before the scripts run (Dockerfile ARG/ENV, workflow ``env:``)."""
    unit = Unit(path=path, emit=emit, options=options)
    unit.downloads.extend(extra)
    variables: dict[str, str | None] = {k: v for k, v in (env or {}).items() if "\x00" not in v}
    for text, first in scripts:
        script = parse_shell(text, first)
        for cmd in script:
            _track_variables(cmd, variables)
            if variables and any("$" in w for w in cmd.words):
                cmd.words = _expand_words(cmd.words, variables)
            _classify(unit, script, cmd)
    _report_downloads(unit)
    _report_clones(unit)
    sink = options.get("_installs")
    if isinstance(sink, list):  # `pip install -r FILE`: handed to check-pins' readers by the dispatcher
        sink.extend(unit.installs)
    return unit


def _expand_words(words: list[str], variables: dict[str, str | None]) -> list[str]:
    out: list[str] = []
    for w in words:
        if "$" not in w:
            out.append(w)
            continue
        new = substitute(w, variables)
        # an unquoted $VAR holding several words is split by the shell
        out.extend(new.split() if _BARE_VAR.match(w) else [new])
    return out


def _track_variables(cmd: Command, variables: dict[str, str | None]) -> None:
    """Remember ``NAME=value`` and ``export NAME=value`` (literal values, known variables expanded)."""
    words = (
        cmd.words[1:] if cmd.words[:1] in (["export"], ["declare"], ["local"], ["readonly"]) else cmd.words
    )
    if not words or cmd.depth or not all(_ASSIGNMENT.match(w) for w in words):
        return
    for w in words:
        name, _, value = w.partition("=")
        if "\x00" in value:
            variables[name] = None  # set from a command substitution: unknown
            continue
        value = substitute(value, variables) if "$" in value else value
        variables[name] = None if "$" in value else value


def _classify(unit: Unit, script: Script, cmd: Command) -> None:
    eff = effective(cmd.words)
    if eff is None:
        return
    prog = eff.program
    if prog in ("curl", "wget", "aria2c", "axel", "http", "https", "fetch"):
        _fetch(unit, script, cmd, eff)
    elif prog in _HASHERS or prog in _VERIFIERS:
        _hasher(unit, script, cmd, eff)
    elif (
        (prog in ("gpg", "gpg2") and any(a in ("--verify", "--verify-files") for a in eff.args))
        or (prog == "cosign" and eff.args[:1] and eff.args[0].startswith("verify"))
        or (prog == "gh" and eff.args[:2] == ["attestation", "verify"])
        or (
            prog == "openssl"
            and eff.args[:1] == ["dgst"]
            and (cmd.piped_out or cmd.kind == "$(" or "-verify" in eff.args)
        )
        or (prog in ("python", "python3") and any("hashlib" in a for a in eff.args))
    ):
        unit.verify_texts.append(_context_text(script, cmd))
    elif prog == "git":
        _git(unit, cmd, eff)
    elif prog in ("huggingface-cli", "hf"):
        _hf_cli(unit, cmd, eff)
    elif prog in ("gdown", "kaggle"):
        _dataset_cli(unit, cmd, eff)
    elif prog == "pip":
        _pip(unit, cmd, eff)
    elif prog in ("aws", "gsutil", "gcloud", "az"):
        _cloud(unit, cmd, eff)


def _context_text(script: Script, cmd: Command) -> str:
    parts = [cmd.text]
    parts.extend(c.text for c in script.pipeline_of(cmd) if c is not cmd)
    owner = script.owner_of(cmd)
    if owner is not None:
        parts.append(owner.text)
        parts.extend(c.text for c in script.pipeline_of(owner) if c is not owner)
    if cmd.heredoc:
        parts.append(cmd.heredoc)
    return "\n".join(parts)


def _hasher(unit: Unit, script: Script, cmd: Command, eff: Effective) -> None:
    args = eff.args
    checks = any(
        a in ("-c", "--check") or (a.startswith("-") and not a.startswith("--") and "c" in a[1:])
        for a in args
    )
    compared = cmd.piped_out or cmd.kind in ("$(", "`")
    if eff.program in _VERIFIERS or checks or compared:
        unit.verify_texts.append(_context_text(script, cmd))


# -- fetchers ---------------------------------------------------------------------------------------------

_CURL_ARG_SHORT = set("odHXuAeTFKmrwxbcCEYyzUQtP")
_CURL_ARG_LONG = frozenset(
    {
        "--output",
        "--data",
        "--data-binary",
        "--data-raw",
        "--data-urlencode",
        "--header",
        "--request",
        "--user",
        "--user-agent",
        "--connect-timeout",
        "--max-time",
        "--retry",
        "--retry-delay",
        "--retry-max-time",
        "--output-dir",
        "--cacert",
        "--capath",
        "--cert",
        "--key",
        "--proxy",
        "--config",
        "--form",
        "--write-out",
        "--limit-rate",
        "--range",
        "--cookie",
        "--cookie-jar",
        "--referer",
        "--upload-file",
        "--speed-time",
        "--speed-limit",
        "--interface",
        "--resolve",
        "--max-filesize",
        "--netrc-file",
        "--oauth2-bearer",
        "--proto",
        "--proto-redir",
        "--continue-at",
        "--time-cond",
        "--dns-servers",
        "--url",
        "--expect100-timeout",
        "--keepalive-time",
        "--max-redirs",
        "--trace",
        "--trace-ascii",
        "--stderr",
        "--ciphers",
        "--tls-max",
        "--pinnedpubkey",
        "--hostpubmd5",
        "--hostpubsha256",
        "--aws-sigv4",
        "--variable",
        "--json",
        "--form-string",
    }
)
_WGET_ARG_SHORT = set("OoaPtTweiBUQlARDIX")
_WGET_ARG_LONG = frozenset(
    {
        "--output-document",
        "--output-file",
        "--append-output",
        "--directory-prefix",
        "--tries",
        "--timeout",
        "--wait",
        "--execute",
        "--input-file",
        "--base",
        "--user-agent",
        "--quota",
        "--level",
        "--accept",
        "--reject",
        "--domains",
        "--include-directories",
        "--exclude-directories",
        "--header",
        "--user",
        "--password",
        "--http-user",
        "--http-password",
        "--post-data",
        "--post-file",
        "--load-cookies",
        "--save-cookies",
        "--ca-certificate",
        "--certificate",
        "--private-key",
        "--method",
        "--body-data",
        "--read-timeout",
        "--connect-timeout",
        "--dns-timeout",
        "--limit-rate",
        "--progress",
        "--referer",
        "--cut-dirs",
        "--restrict-file-names",
        "--bind-address",
        "--report-speed",
        "--waitretry",
        "--backups",
    }
)
_ARIA_ARG_SHORT = set("odxsjk")


def _options(
    args: Sequence[str], short_arg: set[str], long_arg: frozenset[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Options (name -> values; short names as "-o") and positional arguments of a getopt-style command."""
    opts: dict[str, list[str]] = {}
    pos: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            pos.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if not eq and name in long_arg and i + 1 < len(args):
                value = args[i + 1]
                i += 1
            opts.setdefault(name, []).append(value)
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                ch = a[j]
                if ch in short_arg:
                    value = a[j + 1 :]
                    if not value and i + 1 < len(args):
                        value = args[i + 1]
                        i += 1
                    opts.setdefault("-" + ch, []).append(value)
                    break
                opts.setdefault("-" + ch, []).append("")
                j += 1
        else:
            pos.append(a)
        i += 1
    return opts, pos


def _is_url(word: str) -> bool:
    return bool(re.match(r"^(https?|ftp)://", word, re.IGNORECASE))


def _fetch(unit: Unit, script: Script, cmd: Command, eff: Effective) -> None:
    prog = eff.program
    if prog == "curl":
        opts, pos = _options(eff.args, _CURL_ARG_SHORT, _CURL_ARG_LONG)
        urls = [u for u in pos + opts.get("--url", []) if _is_url(u)]
        out = (opts.get("-o") or opts.get("--output") or [""])[-1]
        remote_name = "-O" in opts or "--remote-name" in opts or "--remote-name-all" in opts
        to_stdout = (not out and not remote_name) or out == "-"
        if (
            "-X" in opts
            or "--request" in opts
            or "-d" in opts
            or "--data" in opts
            or "--json" in opts
            or "-T" in opts
            or "--upload-file" in opts
            or "-F" in opts
            or "--form" in opts
        ):
            method = (opts.get("-X") or opts.get("--request") or ["POST"])[-1].upper()
            if method != "GET":
                return  # an API call, not a download
    elif prog == "wget":
        opts, pos = _options(eff.args, _WGET_ARG_SHORT, _WGET_ARG_LONG)
        urls = [u for u in pos if _is_url(u)]
        out = (opts.get("-O") or opts.get("--output-document") or [""])[-1]
        to_stdout = out == "-"
        remote_name = not out
        if "--spider" in opts:
            return
    else:
        opts, pos = _options(eff.args, _ARIA_ARG_SHORT, frozenset({"--out", "--dir", "--checksum"}))
        urls = [u for u in pos if _is_url(u)]
        out = (opts.get("-o") or opts.get("--out") or [""])[-1]
        to_stdout = False
        remote_name = not out
    if not urls:
        return
    for redirect_op, target in cmd.redirects:
        if redirect_op in (">", ">>", ">|") and target not in ("/dev/null", "&1", "&2", "1", "2"):
            out, to_stdout = target, False
    sink = _sink(script, cmd) if to_stdout else ""
    owner = script.owner_of(cmd)
    owner_eff = effective(owner.words) if owner is not None else None
    for url in urls:
        if has_placeholder(host_of(url)) or "$" in host_of(url):
            continue
        # `curl | sh`, `sh -c "$(curl ...)"`, `bash <(curl ...)`, `eval "$(curl ...)"`
        data_script = _is_data_script(sink, script, cmd)
        runs = sink in _SHELL_RUNNERS and not data_script
        if (
            not runs
            and owner_eff is not None
            and cmd.kind in ("$(", "`", "<(")
            and owner_eff.program in _SHELL_RUNNERS | {"source", "."}
        ):
            runs = (
                owner_eff.program in ("sh", "bash", "zsh", "dash", "ksh", "eval", "source", ".")
                or cmd.kind == "<("
            )
        if runs:
            if unit.trusted_host(url):
                continue
            insecure = url.lower().startswith("http://") and not is_local_host(host_of(url))
            unit.emit(
                R.CURL_PIPE_SHELL,
                cmd.line,
                f"{prog} output from {_short(url)} is run by "
                f"{owner_eff.program if owner_eff and not sink else sink}"
                + (" (over plain http)" if insecure else ""),
                "download the script to a file, check its sha256 against a pinned value, then run it",
            )
            continue
        if to_stdout and sink not in _EXTRACTORS:
            if (
                url.lower().startswith("http://")
                and sink not in _KEY_SINKS
                and _looks_like_file(url)
                and not is_local_host(host_of(url))
            ):
                unit.emit(
                    R.DOWNLOAD_INSECURE,
                    cmd.line,
                    f"{prog} fetches {_short(url)} over plain http",
                    "use https (and verify a checksum)",
                )
            continue  # printed or parsed, not saved: an API call or a key
        if cmd.kind in ("$(", "`") and not sink:
            continue  # captured into a variable
        target = out if out and out != "-" else url_basename(url) if remote_name or sink else ""
        if prog == "aria2c" and "--checksum" in opts:
            unit.downloads.append(Download(cmd, url, target, prog, sink, verified_inline=True))
            continue
        unit.downloads.append(Download(cmd, url, target, prog, sink))


def _is_data_script(sink: str, script: Script, cmd: Command) -> bool:
    """``curl ... | python -c 'import json...'`` or ``| python -m json.tool`` parse data: not run."""
    if sink not in ("python", "python3", "node", "perl", "ruby"):
        return False
    pipe = script.pipeline_of(cmd)
    k = pipe.index(cmd)
    for nxt in pipe[k + 1 :]:
        e = effective(nxt.words)
        if e is not None and e.program == sink:
            return any(a in ("-c", "-m", "-e") for a in e.args) or any(a.endswith(".py") for a in e.args)
    return False


def _sink(script: Script, cmd: Command) -> str:
    """The program that consumes ``cmd``'s stdout through a pipe (skipping ``tee``/``cat``)."""
    if not cmd.piped_out:
        return ""
    pipe = script.pipeline_of(cmd)
    k = pipe.index(cmd)
    for nxt in pipe[k + 1 :]:
        e = effective(nxt.words)
        if e is None:
            return ""
        if e.program in ("tee", "cat", "pv") and nxt.piped_out:
            continue
        if (
            e.program in ("sh", "bash", "zsh", "dash")
            and e.args
            and not e.args[0].startswith("-")
            and e.args[0] not in ("-", "/dev/stdin")
        ):
            return "bash-file"  # `| bash script.sh` reads a script file, not stdin
        return e.program
    return ""


def _looks_like_file(url: str) -> bool:
    name = url_basename(url)
    return "." in name and not name.endswith((".html", ".htm", ".php", ".json"))


# -- verification and reports -----------------------------------------------------------------------------


def _report_downloads(unit: Unit) -> None:
    names = [d.target or url_basename(d.url) for d in unit.downloads]
    any_named = any(n and not _is_key_or_sum(n) and any(n in t for t in unit.verify_texts) for n in names)
    for d, name in zip(unit.downloads, names, strict=True):
        url = d.url
        host = host_of(url)
        if is_local_host(host) and not url.startswith(("s3://", "gs://")):
            continue
        hf = hf_resolve(url)
        insecure = url.lower().startswith(("http://", "ftp://"))
        if insecure:
            unit.emit(
                R.DOWNLOAD_INSECURE,
                d.cmd.line,
                f"{d.program} downloads {_short(url)} over plain {url.split(':', 1)[0].lower()}",
                "use https and verify a checksum",
            )
            continue
        if hf is not None:
            repo, rev = hf
            if not is_commit(rev) and "$" not in rev and "\x00" not in rev:
                unit.emit(
                    R.HF_DOWNLOAD_UNPINNED,
                    d.cmd.line,
                    f"Hub file of {repo} downloaded from revision {rev!r}, not a commit",
                    f"use https://huggingface.co/{repo}/resolve/<40-hex commit>/...",
                )
            continue  # a commit URL is content-addressed
        if d.verified_inline or unit.trusted_host(url):
            continue
        low = (name or url_basename(url)).lower()
        if _is_key_or_sum(low) or d.streamed_to in _KEY_SINKS:
            continue
        if unit.verify_texts:
            if not any_named or any(name and name in t for t in unit.verify_texts):
                continue
        pickle = low.endswith(PICKLE_EXT) or url_basename(url).lower().endswith(PICKLE_EXT)
        sev = Severity.HIGH if pickle else None
        what = "pickle-capable weights " if pickle else ""
        rule = R.DOCKER_ADD_REMOTE if d.program == "ADD" else R.DOWNLOAD_UNVERIFIED
        unit.emit(
            rule,
            d.cmd.line,
            f"{what}{_short(url)} downloaded by {d.program} with no checksum or signature check",
            "add --checksum=sha256:<hex> to ADD"
            if d.program == "ADD"
            else f'verify it: echo "<sha256>  {name or "FILE"}" | sha256sum -c -',
            severity=sev,
        )


def _is_key_or_sum(name: str) -> bool:
    low = name.lower()
    return low.endswith(_KEY_EXT) or bool(_CHECKSUM_NAMES.search(low)) or any(w in low for w in _KEY_WORDS)


def _report_clones(unit: Unit) -> None:
    # an advisory rule: an abbreviated commit (7+ hex) or a variable counts as a checkout at a commit
    pinned = {i for r, i in unit.checkouts if _SHORT_COMMIT.match(r) or r.startswith("$") or "\x00" in r}
    for index, (cmd, url, branch) in enumerate(unit.clones):
        low = url.lower()
        if low.startswith(("http://", "git://")) and not is_local_host(
            host_of(url.replace("git://", "http://"))
        ):
            unit.emit(
                R.DOWNLOAD_INSECURE,
                cmd.line,
                f"git clone of {_short(url)} over an unencrypted protocol",
                "clone over https and check out a commit",
            )
            continue
        if index in pinned or (branch and (is_commit(branch) or "$" in branch or "\x00" in branch)):
            continue
        later = [r for r, i in unit.checkouts if i == index]
        if later:
            branch = later[-1]  # checked out at a branch or tag after cloning
        repo = hf_repo_url(url)
        if repo is not None:
            unit.emit(
                R.HF_DOWNLOAD_UNPINNED,
                cmd.line,
                f"git clone of Hub repository {repo} at {branch or 'its default branch'}, not a commit",
                "after cloning, `git checkout <40-hex commit>` (or download with --revision <commit>)",
            )
            continue
        if unit.trusted_host(url):
            continue
        unit.emit(
            R.VCS_CLONE_UNPINNED,
            cmd.line,
            f"git clone of {_short(url)} at {branch or 'its default branch'}, not a commit",
            "after cloning, `git checkout <40-hex commit>`",
        )


# -- git, Hub CLI ------------------------------------------------------------------------------------------

_GIT_CLONE_ARG = frozenset(
    {
        "-b",
        "--branch",
        "--depth",
        "-o",
        "--origin",
        "-c",
        "--config",
        "--reference",
        "--filter",
        "-j",
        "--jobs",
        "--separate-git-dir",
        "--shallow-since",
        "--shallow-exclude",
        "-u",
        "--upload-pack",
        "--template",
        "--revision",
    }
)


def _git(unit: Unit, cmd: Command, eff: Effective) -> None:
    args = list(eff.args)
    while args and args[0] in ("-C", "-c") and len(args) > 1:
        args = args[2:]
    while args and args[0].startswith("-"):
        args = args[1:]
    if not args:
        return
    sub, rest = args[0], args[1:]
    if sub == "clone":
        branch = None
        pos: list[str] = []
        i = 0
        while i < len(rest):
            a = rest[i]
            if a.startswith("-"):
                name, eq, value = a.partition("=")
                if name in _GIT_CLONE_ARG and not eq and i + 1 < len(rest):
                    value = rest[i + 1]
                    i += 1
                if name in ("-b", "--branch", "--revision"):
                    branch = value
            else:
                pos.append(a)
            i += 1
        if pos and not has_placeholder(pos[0]) and re.match(r"^(https?|git|ssh)://|^git@", pos[0]):
            unit.clones.append((cmd, pos[0], branch))
    elif sub in ("checkout", "switch", "reset", "fetch"):
        for a in rest:
            if not a.startswith("-"):
                unit.checkouts.append((a, len(unit.clones) - 1))


def _hf_cli(unit: Unit, cmd: Command, eff: Effective) -> None:
    args = eff.args
    if not args or args[0] != "download":
        return
    opts, pos = _options(
        args[1:],
        set(),
        frozenset(
            {
                "--revision",
                "--repo-type",
                "--local-dir",
                "--cache-dir",
                "--include",
                "--exclude",
                "--token",
                "--max-workers",
                "--local-dir-use-symlinks",
            }
        ),
    )
    if not pos:
        return
    repo = pos[0]
    if has_placeholder(repo) or "$" in repo:
        return
    rev = (opts.get("--revision") or [""])[-1]
    if rev and (is_commit(rev) or "$" in rev or has_placeholder(rev)):
        return
    if "/" in repo and not is_hub_id(repo):
        return
    unit.emit(
        R.HF_DOWNLOAD_UNPINNED,
        cmd.line,
        f"{eff.program} download of {repo} at {('revision ' + repr(rev)) if rev else 'its default branch'},"
        " not a commit",
        "add --revision <40-hex commit>",
    )


def _dataset_cli(unit: Unit, cmd: Command, eff: Effective) -> None:
    """``gdown <url|id> [-O file]`` (Google Drive) and ``kaggle datasets|competitions download``: downloads
    of models and data that nothing verifies unless the unit checks them."""
    if eff.program == "gdown":
        opts, pos = _options(eff.args, set("O"), frozenset({"--output", "--id", "--proxy", "--speed"}))
        target = (opts.get("-O") or opts.get("--output") or [""])[-1]
        ids = opts.get("--id") or [p for p in pos if not _is_url(p)]
        urls = [p for p in pos if _is_url(p)] + [f"https://drive.google.com/uc?id={i}" for i in ids if i]
        if "--folder" in opts:
            target = target or "folder"
        for url in urls[:1]:
            if "$" in url or has_placeholder(url):
                return
            unit.downloads.append(Download(cmd, url, target or url_basename(url), "gdown"))
        return
    args = eff.args
    if (
        len(args) >= 2
        and args[0] in ("datasets", "competitions", "models", "kernels")
        and args[1] == "download"
    ):
        opts, pos = _options(
            args[2:], set("dcfpo"), frozenset({"--dataset", "--competition", "--file", "--path"})
        )
        name = (
            opts.get("-d")
            or opts.get("--dataset")
            or opts.get("-c")
            or opts.get("--competition")
            or pos
            or [""]
        )[-1]
        if not name or "$" in name or has_placeholder(name):
            return
        target = (opts.get("-f") or opts.get("--file") or [name.rsplit("/", 1)[-1] + ".zip"])[-1]
        unit.downloads.append(Download(cmd, f"https://www.kaggle.com/{args[0]}/{name}", target, "kaggle"))


# -- pip --------------------------------------------------------------------------------------------------

_PIP_ARG = frozenset(
    {
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--trusted-host",
        "-e",
        "--editable",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--src",
        "--upgrade-strategy",
        "--progress-bar",
        "--log",
        "--cache-dir",
        "--no-binary",
        "--only-binary",
        "--global-option",
        "--install-option",
        "--config-settings",
        "-C",
        "--report",
        "--index-strategy",
        "--python",
        "-p",
        "--extra",
        "--exclude-newer",
        "--default-index",
        "--index",
        "--keyring-provider",
        "--resolution",
        "--prerelease",
        "--build-constraint",
        "-b",
        "--override",
        "--timeout",
        "--retries",
        "--proxy",
        "--cert",
        "--client-cert",
        "--exists-action",
        "--root-user-action",
        "--python-platform",
        "--link-mode",
        "--compile-bytecode",
        "--group",
        "--torch-backend",
        "--overrides",
    }
)
_PYTORCH_INDEX = re.compile(r"^https?://(download\.pytorch\.org|[^/]*pytorch\.org/whl)", re.IGNORECASE)


def _pip(unit: Unit, cmd: Command, eff: Effective) -> None:
    args = eff.args
    if not args or args[0] != "install":
        return
    opts: dict[str, list[str]] = {}
    pos: list[str] = []
    editable: list[str] = []
    i = 1
    while i < len(args):
        a = args[i]
        if a.startswith("-") and a != "-":
            name, eq, value = a.partition("=")
            if (
                not eq
                and name.startswith("-")
                and not name.startswith("--")
                and len(name) > 2
                and name[:2] in ("-r", "-c", "-i", "-f", "-e", "-t")
            ):
                name, value, eq = name[:2], name[2:], "="
            if name in _PIP_ARG and not eq:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            opts.setdefault(name, []).append(value)
            if name in ("-e", "--editable"):
                editable.append(value)
        else:
            pos.append(a)
        i += 1
    line = cmd.line
    for f in opts.get("-r", []) + opts.get("--requirement", []):
        unit.installs.append(f)
    constrained = bool(
        opts.get("-c")
        or opts.get("--constraint")
        or opts.get("--override")
        or opts.get("--overrides")
        or "PIP_CONSTRAINT" in eff.env
    )
    # indexes
    strategy = (opts.get("--index-strategy") or [eff.env.get("UV_INDEX_STRATEGY", "")])[-1]
    trusted_idx = unit.options.get("trusted-indexes") or ()
    extra = [("--extra-index-url", u) for u in opts.get("--extra-index-url", [])]
    extra += [("--find-links", u) for u in opts.get("-f", []) + opts.get("--find-links", [])]
    if "PIP_EXTRA_INDEX_URL" in eff.env:
        extra.append(("PIP_EXTRA_INDEX_URL", eff.env["PIP_EXTRA_INDEX_URL"]))
    reported_extra = False
    for flag, url in extra:
        if not url or has_placeholder(url) or "$" in url:
            continue
        if flag == "--find-links" and not re.match(r"^https?://", url):
            continue  # a local folder of wheels
        if _trusted_index(url, trusted_idx) or reported_extra or _is_pypi(url):
            continue
        high = bool(_PYTORCH_INDEX.match(url)) or strategy == "unsafe-best-match"
        why = (
            "the PyTorch index"
            if _PYTORCH_INDEX.match(url)
            else "uv's unsafe-best-match"
            if strategy == "unsafe-best-match"
            else "another source"
        )
        unit.emit(
            R.PIP_EXTRA_INDEX,
            line,
            f"{flag} {_short(url)} merges {why} with PyPI (dependency confusion)",
            "use --index-url with the one index you need (e.g. --index-url "
            "https://download.pytorch.org/whl/cpu for torch alone)",
            severity=Severity.HIGH if high else None,
        )
        reported_extra = True
    for host in opts.get("--trusted-host", []):
        if host and not is_local_host(host.split(":")[0]):
            unit.emit(
                R.PIP_TRUSTED_HOST,
                line,
                f"--trusted-host {host} turns off TLS verification for it",
                "remove --trusted-host and use https with a valid certificate",
            )
            break
    for url in opts.get("-i", []) + opts.get("--index-url", []):
        if url.lower().startswith("http://") and not is_local_host(host_of(url)):
            unit.emit(
                R.DOWNLOAD_INSECURE,
                line,
                f"packages installed from {_short(url)} over plain http",
                "use an https index",
            )
    # requirements on the command line
    unpinned: list[str] = []
    pinned: list[str] = []
    for spec in pos + editable:
        kind, name = _classify_spec(spec, spec in editable)
        if kind == "unpinned":
            unpinned.append(name)
        elif kind == "pinned":
            pinned.append(name)
        elif kind == "vcs":
            unit.emit(
                R.PIP_VCS_UNPINNED,
                line,
                f"pip installs {_short(spec)} from a VCS ref that is not a commit",
                "pin @<40-hex commit>",
            )
        elif kind == "url":
            if spec.lower().startswith("http://") and not is_local_host(host_of(spec)):
                unit.emit(
                    R.DOWNLOAD_INSECURE,
                    line,
                    f"pip installs {_short(spec)} over plain http",
                    "use https and add #sha256=<hex>",
                )
            else:
                unit.emit(
                    R.PIP_URL_NO_HASH,
                    line,
                    f"pip installs {_short(spec)} without a hash",
                    "add #sha256=<hex> to the URL",
                )
    if unpinned and not constrained:
        tooling = all(n.lower() in _TOOLING for n in unpinned)
        unit.emit(
            R.PIP_UNPINNED,
            line,
            f"pip installs {', '.join(unpinned[:6])}"
            f"{' ...' if len(unpinned) > 6 else ''} without an exact version",
            "pin name==version, or install a hashed requirements file with --require-hashes",
            severity=Severity.LOW if tooling else None,
        )
    if pinned and not unpinned and "--require-hashes" not in opts:
        unit.emit(
            R.PIP_NO_HASHES,
            line,
            f"pip installs {', '.join(pinned[:6])}"
            f"{' ...' if len(pinned) > 6 else ''} pinned but without hashes",
            "move the pins to a requirements file with --hash and install with --require-hashes",
        )


def _is_pypi(url: str) -> bool:
    """An 'extra' index that is PyPI itself adds no other source."""
    try:
        from mlwarden.checks.pins.reqrules import is_pypi
    except ImportError:  # pragma: no cover
        return False
    return bool(is_pypi(url))


def _trusted_index(url: str, trusted: Any) -> bool:
    try:
        from mlwarden.checks.pins.reqrules import is_trusted
    except ImportError:  # pragma: no cover
        return False
    return is_trusted(url, trusted)


def _classify_spec(spec: str, editable: bool) -> tuple[str, str]:
    """("local" | "unpinned" | "pinned" | "vcs" | "url" | "skip", name) of one command-line requirement."""
    s = spec.strip()
    if not s or "$" in s or has_placeholder(s) or s.startswith(("%", "@")):
        return "skip", s
    low = s.lower()
    if low.startswith(("git+", "hg+", "svn+", "bzr+")):
        from mlwarden.sources.requirements import split_vcs

        _, ref = split_vcs(s.split("#", 1)[0])
        return ("skip", s) if ref and is_commit(ref) else ("vcs", s)
    if " @ " in s or "@git+" in low.replace(" ", ""):
        url = s.split("@", 1)[1].strip()
        return (
            _classify_spec(url, editable)
            if not url.lower().startswith(("http://", "https://"))
            else (("skip", s) if "sha256=" in url else ("url", s))
        )
    if re.match(r"^(https?|ftp)://", low):
        if "#sha256=" in low or "#sha384=" in low or "#sha512=" in low:
            return "skip", s
        return "url", s
    if (
        s.startswith((".", "/", "~", "file:"))
        or "/" in s
        or "\\" in s
        or editable
        or low.endswith((".whl", ".tar.gz", ".zip", ".tgz"))
    ):
        return "local", s
    if s.startswith("-"):
        return "skip", s
    from mlwarden.sources.requirements import parse_text

    try:
        m = parse_text(s + "\n", "<command line>")
    except Exception:
        return "skip", s
    if not m.dependencies:
        return "skip", s
    dep = m.dependencies[0]
    if dep.url:
        return "url", s
    return ("pinned" if dep.version is not None else "unpinned"), dep.name if dep.version is None else s


# -- cloud buckets ----------------------------------------------------------------------------------------


def _cloud(unit: Unit, cmd: Command, eff: Effective) -> None:
    args = eff.args
    text = " ".join(args)
    low = text.lower()
    prog = eff.program
    public = False
    if (
        re.search(r"--acl[= ]public-read(-write)?\b", low)
        or "acs.amazonaws.com/groups/global/allusers" in low
        or (
            prog == "gsutil"
            and (
                re.search(r"\b(allusers|allauthenticatedusers)\b", low)
                or re.search(r"(-a|--canned-acl)[= ]public-read", low)
                or re.search(r"\bdefacl\s+set\s+public-read", low)
                or re.search(r"\bacl\s+set\s+public-read", low)
            )
        )
        or (
            prog == "gcloud"
            and (
                re.search(r"--member[= ]all(authenticated)?users\b", low)
                or "--predefined-acl=publicread" in low.replace(" ", "=")
            )
        )
        or (
            prog == "az"
            and (
                re.search(r"--public-access[= ](blob|container)\b", low)
                or re.search(r"--allow-blob-public-access[= ]true", low)
            )
        )
    ):
        public = True
    if public:
        unit.emit(
            R.BUCKET_PUBLIC_ACL,
            cmd.line,
            f"{prog} makes objects or a bucket public: {_short(text, 100)}",
            "keep the bucket private; share objects with signed URLs",
        )
        return
    anonymous = "--no-sign-request" in args or eff.env.get("AWS_NO_SIGN_REQUEST", "").lower() in (
        "yes",
        "true",
        "1",
    )
    if prog == "gcloud" and "--anonymous" in args:
        anonymous = True
    if anonymous:
        unit.emit(
            R.BUCKET_ANONYMOUS,
            cmd.line,
            f"{prog} reads a bucket anonymously: {_short(text, 100)}",
            "verify the objects' checksums (or pin object versions) after the copy",
        )
        return
    # a copy from a bucket is a download
    if (
        (prog == "aws" and args[:1] == ["s3"] and len(args) >= 3 and args[1] in ("cp", "sync"))
        or (prog == "gsutil")
        or (prog == "gcloud" and args[:2] == ["storage", "cp"])
    ):
        pos = [a for a in args if not a.startswith("-")]
        srcs = [p for p in pos if p.startswith(("s3://", "gs://"))]
        if srcs and pos and pos[-1] not in srcs:  # remote -> local
            for src in srcs:
                name = posixpath.basename(src.rstrip("/"))
                unit.downloads.append(Download(cmd, src, name or src, prog))


def _short(text: str, limit: int = 90) -> str:
    t = display_word(text)
    return t if len(t) <= limit else t[: limit - 3] + "..."


def hexes(text: str) -> list[str]:
    return _HEX.findall(text)


def iter_words(script: Script) -> Iterator[str]:
    for c in script:
        yield from c.words
