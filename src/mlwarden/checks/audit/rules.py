"""audit-deps rules (MLW6xx: known vulnerabilities and malicious releases)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

_C = "audit-deps"
VULNERABLE = Rule(
    "MLW601", "vulnerable-dependency", Severity.HIGH, "Dependency version with a known vulnerability",
    "An OSV advisory lists this exact release as affected. Upgrade to the fixed version named in the hint "
    "(or the nearest release outside every affected range), or record a reasoned, dated ignore "
    "(`ignore = [\"ID: reason until YYYY-MM-DD\"]`). The severity comes from the advisory's CVSS v3 "
    "vector or its qualitative severity; high when the advisory has neither.",
    cwe=(1395,), check=_C)
MALICIOUS = Rule(
    "MLW602", "malicious-package", Severity.CRITICAL, "Known malicious package release",
    "A `MAL-` record in OSV's malicious-packages feed lists this release: installing it runs attacker "
    "code. Remove it, rotate every credential the machines that installed it could reach, and audit "
    "them.", cwe=(506, 829), check=_C, role_exempt=True)
CANNOT_AUDIT = Rule(
    "MLW603", "cannot-audit", Severity.MEDIUM, "Dependency that cannot be audited",
    "Without one exact version (an `==` pin with no wildcard, `===`, a lock entry, or a wheel URL whose "
    "file name carries the version) there is no release to look up, so this dependency was not checked "
    "against any advisory. Pin it (or audit the lock file that pins it).", cwe=(1357,), check=_C,
    role_severity=(("library", Severity.INFO),))  # a published package's ranges: its users' locks pin
IGNORE_EXPIRED = Rule(
    "MLW604", "vuln-ignore-expired", Severity.MEDIUM, "An advisory ignore has expired",
    "An `ignore` entry of `[tool.mlwarden.audit-deps]` is past its `until` date, so the advisory is "
    "reported again. Upgrade, or renew the entry with a fresh reason and date.", check=_C)

RULES = (VULNERABLE, MALICIOUS, CANNOT_AUDIT, IGNORE_EXPIRED)
