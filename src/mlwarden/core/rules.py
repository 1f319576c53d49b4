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


SUPPRESSION_UNUSED = Rule(
    "MLW003", "unused-suppression", Severity.LOW, "A suppression matches no finding",
    "An inline `# mlwarden: ignore[...]` comment or a `[[tool.mlwarden.suppress]]` entry hides nothing in a "
    "run where its rule's check ran: the problem is gone. Remove it so it cannot hide a new one later.",
    check="core")

SUPPRESSION_UNKNOWN_RULE = Rule(
    "MLW004", "unknown-rule-in-suppression", Severity.MEDIUM, "An inline suppression names an unknown rule",
    "An inline `# mlwarden: ignore[...]` names a rule that does not exist (a typo hides nothing). Use a rule "
    "id or slug; `mlwarden rules` lists them.", check="core")

NOT_CHECKED = Rule(
    "MLW005", "not-checked", Severity.HIGH, "A path could not be checked",
    "mlwarden was asked to check this path (or met it while walking the tree) but could not: it is a FIFO, "
    "a device or a socket, a symlink leaving the repository or looping, a folder that cannot be listed, a "
    "path longer than the system allows, or a file over a size limit. Nothing in it was checked, so the "
    "run does not pass in silence. Make it a regular readable file inside the repository, or exclude it.",
    check="core")

CORE_RULES = (SUPPRESSION_EXPIRED, UNREADABLE, SUPPRESSION_UNUSED, SUPPRESSION_UNKNOWN_RULE, NOT_CHECKED)
