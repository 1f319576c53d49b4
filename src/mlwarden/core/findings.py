"""The one finding model every check produces and every format renders."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mlwarden.core.errors import UsageError


class Severity(enum.IntEnum):
    """Ordered severities: a larger value is more severe."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise UsageError(f"unknown severity {value!r} (choose from {choices})") from None

    @property
    def security_severity(self) -> str:
        """CVSS-like score GitHub code scanning maps back to this severity."""
        return {0: "0.0", 1: "2.0", 2: "5.0", 3: "7.5", 4: "9.5"}[int(self)]


@dataclass(frozen=True)
class Rule:
    """A rule: stable id (``MLW`` + 3 digits), slug, default severity, and help for reports."""

    id: str
    slug: str
    severity: Severity
    title: str
    help: str
    cwe: tuple[int, ...] = ()
    check: str = ""
    # severity per file role, overriding core.roles.adjust: (("test", None),) = not reported in tests
    role_severity: tuple[tuple[str, Severity | None], ...] = ()
    # ids or slugs of rules this one makes redundant for the same subject on the same line: the other
    # finding is folded into this one (core.merge)
    supersedes: tuple[str, ...] = ()
    # a payload found in the file itself (a pickle that runs commands, a known-malicious release): the same
    # risk whatever the file's role, so core.roles.adjust never lowers it
    role_exempt: bool = False

    def __post_init__(self) -> None:
        if not (len(self.id) == 6 and self.id.startswith("MLW") and self.id[3:].isdigit()):
            raise ValueError(f"bad rule id {self.id!r}")


@dataclass(frozen=True)
class Finding:
    """One problem at one place. ``line``/``column`` are 1-based, or None for a whole file."""

    rule: Rule
    path: str
    message: str
    severity: Severity | None = None
    line: int | None = None
    column: int | None = None
    hint: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    # the file's role (core.roles.Role value); None until the check or the core sets it
    role: str | None = None

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def slug(self) -> str:
        return self.rule.slug

    @property
    def level(self) -> Severity:
        return self.severity if self.severity is not None else self.rule.severity

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line or 0, self.column or 0, self.rule.id, self.message)

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)


_UNSAFE = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F)}
_UNSAFE.update({c: f"\\u{c:04x}" for c in (*range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029,
                                           *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def printable(text: str) -> str:
    """Text safe to show on one terminal line: control, line-break and bidi characters escaped."""
    return text.translate(_UNSAFE)


# what may never reach a report or the terminal raw: C0/C1 controls except tab and line ends, bidi and
# line/paragraph separators (ESC is kept only for our own colours)
_INERT = {c: v for c, v in _UNSAFE.items() if c not in (0x09, 0x0A, 0x0D)}
_INERT.update({c: f"\\u{c:04x}" for c in (0xFEFF, 0x200B, 0x200C, 0x200D, 0x2060)})
_INERT_NO_ESC = {c: v for c, v in _INERT.items() if c != 0x1B}


def inert(text: str, *, color: bool = False, commands: bool = False) -> str:
    """A whole rendered report or message made inert: no raw control characters (ESC only for our own
    colours when ``color``), no bidi controls, and no line that starts with ``::`` (a GitHub Actions
    workflow command; ``commands`` keeps the annotations the ``github`` format writes on purpose).
    Escapes are written as ``\\xNN``/``\\uNNNN`` text, which is also a valid escape inside JSON strings."""
    out = text.translate(_INERT_NO_ESC if color else _INERT)
    if "\r" in out:
        out = out.replace("\r\n", "\n").replace("\r", "\\r") if not commands else out
    if not commands and "::" in out:
        out = "\n".join("\\x3a" + ln[1:] if ln.startswith("::") else ln for ln in out.split("\n"))
    return out


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Deterministic order (path, line, column, id, message) with exact duplicates removed."""
    seen: set[tuple[Any, ...]] = set()
    out: list[Finding] = []
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.sort_key(), f.level, f.hint)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def rules_of(findings: Iterable[Finding]) -> list[Rule]:
    """The distinct rules used by ``findings``, sorted by id."""
    by_id: dict[str, Rule] = {}
    for f in findings:
        by_id.setdefault(f.rule.id, f.rule)
    return [by_id[k] for k in sorted(by_id)]
