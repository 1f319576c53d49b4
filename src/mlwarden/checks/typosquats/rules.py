"""check-typosquats rules (MLW4xx: package names)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

_C = "check-typosquats"

KNOWN_MALICIOUS = Rule(
    "MLW401", "known-malicious-name", Severity.CRITICAL, "Known malicious package name",
    "This name was published with malicious code (public incident reports bundled with mlwarden). Remove it, "
    "check machines where it was installed for stolen credentials, and install the project you meant.",
    cwe=(506, 829), check=_C)
TYPOSQUAT = Rule(
    "MLW402", "typosquat", Severity.HIGH, "Package name confusable with a popular package",
    "The name differs from a popular project by a typo, a look-alike letter, a separator or the order of "
    "its words. Typosquats install malware under names like these. Use the popular name (see `data.target`), "
    "or, if this really is the project you want, allow it in `[tool.mlwarden.check-typosquats] allow` "
    "with a reason.", cwe=(1357, 829), check=_C)
COMBOSQUAT = Rule(
    "MLW403", "combosquat", Severity.MEDIUM, "Popular package name with extra words or affixes",
    "The name glues a popular project's name to bait words (`-lite`, `-darwin`, `python3-`, `-utils`...) "
    "or to a second popular name. Such combinations are a common disguise for malicious packages; make sure "
    "this is the project you mean (who publishes it, since when) or use the popular one.",
    cwe=(1357, 829), check=_C)
STDLIB_NAME = Rule(
    "MLW404", "stdlib-name", Severity.HIGH, "Standard-library module name as a dependency",
    "This module ships with Python; a PyPI project of the same name is at best an obsolete backport and at "
    "worst malware (`urllib`, `crypt`, `pwd` were). Remove the dependency.", cwe=(1357, 829), check=_C)
DEPENDENCY_CONFUSION = Rule(
    "MLW405", "dependency-confusion", Severity.HIGH, "Internal package installed through merged indexes",
    "pip (and uv/poetry supplemental sources) merge every configured index and take the best version from "
    "any of them, so anyone who publishes this internal name on the public index wins (torchtriton, 2022). "
    "Install internal packages from one index that proxies the public one, or pin them to the internal "
    "index (uv `[tool.uv.sources]` with an `explicit` index, poetry `priority = \"explicit\"`).",
    cwe=(427, 829), check=_C)
INTERNAL_NAME_PUBLIC = Rule(
    "MLW406", "internal-name-public", Severity.HIGH, "Internal package name exists on the public index",
    "A project with this internal name exists on PyPI (bundled snapshot). If you did not register it "
    "yourself as a placeholder, someone else controls what a misconfigured install gets. Check its owner; "
    "rename the internal package or register the name.", cwe=(427,), check=_C)
SECONDARY_INDEX = Rule(
    "MLW407", "secondary-index-name", Severity.MEDIUM, "Package meant to come from a secondary index",
    "This name is published on a vendor index (e.g. download.pytorch.org); on the public index it is a "
    "placeholder or was squatted before. Pin it to the vendor index instead of merging indexes.",
    cwe=(427, 829), check=_C)
HF_ORG_SQUAT = Rule(
    "MLW408", "hf-org-squat", Severity.HIGH, "Hugging Face id with a look-alike organisation",
    "The organisation of this Hugging Face model/dataset id imitates a popular official one "
    "(`meta-lama` for `meta-llama`). Squatted repositories ship malicious pickles or remote code. Use the "
    "official organisation (see `data.target`).", cwe=(1357, 829), check=_C)

RULES = (KNOWN_MALICIOUS, TYPOSQUAT, COMBOSQUAT, STDLIB_NAME, DEPENDENCY_CONFUSION, INTERNAL_NAME_PUBLIC,
         SECONDARY_INDEX, HF_ORG_SQUAT)
