"""Rules that belong to the core rather than to one check (MLW0xx)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

SUPPRESSION_EXPIRED = Rule(
    "MLW001", "suppression-expired", Severity.MEDIUM, "A config suppression has expired",
    "A `[[tool.mlwarden.suppress]]` entry is past its `expires` date, so it no longer hides anything. "
    "Fix the findings it hid or renew it with a new date and reason.", check="core")

UNREADABLE = Rule(
    "MLW002", "unreadable-file", Severity.MEDIUM, "A file could not be read or parsed",
    "mlwarden could not read or parse this file, so nothing in it was checked. Fix the file or exclude it.",
    check="core")

CORE_RULES = (SUPPRESSION_EXPIRED, UNREADABLE)
