"""Output formats. Each renders a Report to text; none inspects files. Registry is explicit and lazy."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlwarden import __version__
from mlwarden.core.findings import Finding, Rule, rules_of

FORMATS: dict[str, str] = {
    "text": "mlwarden.formats.text:render",
    "json": "mlwarden.formats.jsonfmt:render",
    "sarif": "mlwarden.formats.sarif:render",
    "github": "mlwarden.formats.github:render",
    "gitlab": "mlwarden.formats.gitlab:render",
    "gitlab-sast": "mlwarden.formats.gitlab_sast:render",
    "markdown": "mlwarden.formats.markdown:render",
    "html": "mlwarden.formats.html:render",
}


@dataclass
class Report:
    """What every format gets: sorted findings plus run facts."""

    findings: Sequence[Finding]
    checks: Sequence[str] = ()
    notes: Sequence[str] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    tool_version: str = __version__
    color: bool = False
    # every rule of the checks that ran (SARIF lists them); defaults to the rules of the findings
    all_rules: Sequence[Rule] = ()
    # what triage hid: {"suppressed": n, "baseline": {...}, "new-since": {...}, "filtered": n}
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rules(self) -> list[Rule]:
        return list(self.all_rules) if self.all_rules else rules_of(self.findings)


Renderer = Callable[[Report], str]


def get(name: str, extra: Mapping[str, str] | None = None) -> Renderer:
    target = (extra or {}).get(name) or FORMATS[name]
    module, _, attr = target.partition(":")
    fn: Renderer = getattr(importlib.import_module(module), attr)
    return fn
