"""Config files, unknown keys, suppressions, option precedence (CLI > env > config > default)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mlwarden.core.config import find_config_file, load_config
from mlwarden.core.errors import ConfigError
from mlwarden.core.findings import Finding, Rule, Severity
from mlwarden.core.options import Option, resolve
from mlwarden.core.suppress import apply, inline_rules

GENERAL = ["fail-on", "format", "exclude"]
CHECKS = {"check-pins": ["trusted-indexes", "require-hashes"]}


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_pyproject_table_found_upwards(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", '[project]\nname="x"\n[tool.mlwarden]\nfail-on = "high"\n'
          '[tool.mlwarden.check-pins]\ntrusted-indexes = ["https://download.pytorch.org/whl/cu121"]\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config_file(sub) == tmp_path / "pyproject.toml"
    cfg = load_config(None, sub, GENERAL, CHECKS)
    assert cfg.general == {"fail-on": "high"}
    assert cfg.for_check("check-pins")["trusted-indexes"] == ["https://download.pytorch.org/whl/cu121"]
    assert cfg.root == tmp_path.resolve()


def test_pyproject_without_table_is_not_config(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", '[project]\nname="x"\n')
    assert find_config_file(tmp_path) is None
    assert load_config(None, tmp_path, GENERAL, CHECKS).path is None


def test_mlwarden_toml_wins_and_stops_at_repo_root(tmp_path: Path) -> None:
    write(tmp_path / "mlwarden.toml", 'fail-on = "critical"\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert find_config_file(repo) is None  # does not escape the repository
    write(repo / "mlwarden.toml", 'format = "json"\n')
    write(repo / "pyproject.toml", '[tool.mlwarden]\nfail-on = "low"\n')
    assert find_config_file(repo) == repo / "mlwarden.toml"


@pytest.mark.parametrize(("text", "key"), [
    ('fail_on = "high"\n', "fail_on"),
    ('[check-pins]\ntrusted-index = []\n', "check-pins.trusted-index"),
    ('[no-such-check]\nx = 1\n', "no-such-check"),
    ('[[suppress]]\nrule = "unpinned"\nreason = "r"\nwhy = "x"\n', "why"),
])
def test_unknown_keys_are_errors_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    write(tmp_path / "mlwarden.toml", text)
    with pytest.raises(ConfigError) as err:
        load_config(None, tmp_path, GENERAL, CHECKS)
    assert key in str(err.value) and "mlwarden.toml" in str(err.value)


def test_unknown_key_in_pyproject_is_named_with_prefix(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.mlwarden]\nfial-on = "high"\n')
    with pytest.raises(ConfigError, match=r"tool\.mlwarden\.fial-on"):
        load_config(None, tmp_path, GENERAL, CHECKS)


def test_invalid_toml_is_one_line_error(tmp_path: Path) -> None:
    write(tmp_path / "mlwarden.toml", "fail-on = \n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(None, tmp_path, GENERAL, CHECKS)


def test_suppression_needs_reason_and_valid_date(tmp_path: Path) -> None:
    write(tmp_path / "mlwarden.toml", '[[suppress]]\nrule = "unpinned"\n')
    with pytest.raises(ConfigError, match="needs a reason"):
        load_config(None, tmp_path, GENERAL, CHECKS)
    write(tmp_path / "mlwarden.toml", '[[suppress]]\nrule = "unpinned"\nreason = "x"\nexpires = "soon"\n')
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        load_config(None, tmp_path, GENERAL, CHECKS)
    write(tmp_path / "mlwarden.toml", '[[suppress]]\nrule = "MLW301"\nreason = "dev tools"\n'
          'expires = 2030-01-31\npaths = ["requirements/dev.txt"]\n')
    cfg = load_config(None, tmp_path, GENERAL, CHECKS)
    s = cfg.suppressions[0]
    assert (s.rule, s.reason, s.paths, s.expires) == ("MLW301", "dev tools", ("requirements/dev.txt",),
                                                    dt.date(2030, 1, 31))


OPTS = (Option("fail-on", "severity", Severity.LOW, "x"), Option("exclude", "list", (), "x"),
        Option("require-hashes", "bool", False, "x"), Option("timeout", "float", 10.0, "x"))


def test_option_precedence_cli_env_config_default() -> None:
    got = resolve(OPTS, {"fail_on": "critical"}, {"fail-on": "info"}, "cfg", environ={"MLWARDEN_FAIL_ON": "high"})
    assert got["fail-on"] is Severity.CRITICAL
    got = resolve(OPTS, {}, {"fail-on": "info"}, "cfg", environ={"MLWARDEN_FAIL_ON": "high"})
    assert got["fail-on"] is Severity.HIGH
    got = resolve(OPTS, {}, {"fail-on": "info", "exclude": ["a/**"]}, "cfg", environ={})
    assert got["fail-on"] is Severity.INFO and got["exclude"] == ("a/**",)
    got = resolve(OPTS, {}, {}, "cfg", environ={"MLWARDEN_EXCLUDE": "a/**, b", "MLWARDEN_REQUIRE_HASHES": "yes",
                                                 "MLWARDEN_TIMEOUT": "2.5"})
    assert got == {"fail-on": Severity.LOW, "exclude": ("a/**", "b"), "require-hashes": True, "timeout": 2.5}


@pytest.mark.parametrize(("values", "env", "msg"), [
    ({}, {"MLWARDEN_FAIL_ON": "severe"}, "MLWARDEN_FAIL_ON"),
    ({}, {"MLWARDEN_REQUIRE_HASHES": "maybe"}, "require-hashes"),
])
def test_bad_option_values_name_their_origin(values: dict[str, str], env: dict[str, str], msg: str) -> None:
    with pytest.raises(ConfigError, match=msg):
        resolve(OPTS, values, {}, "cfg", environ=env)


def test_bad_config_type_is_config_error() -> None:
    with pytest.raises(ConfigError, match="key 'exclude'"):
        resolve(OPTS, {}, {"exclude": 3}, "mlwarden.toml", environ={})


RULE = Rule("MLW301", "unpinned", Severity.HIGH, "t", "h")
OTHER = Rule("MLW302", "missing-hash", Severity.HIGH, "t", "h")


def test_inline_comment_parsing() -> None:
    assert inline_rules("torch  # mlwarden: ignore[MLW301, missing-hash]") == {"mlw301", "missing-hash"}
    assert inline_rules("x  # mlwarden: ignore") == {"*"}
    assert inline_rules("x  # nothing here") is None


def test_apply_inline_and_config_suppressions(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt",
          "torch  # mlwarden: ignore[unpinned]\nnumpy  # mlwarden: ignore[MLW302]\nscipy\n")
    findings = [Finding(RULE, "requirements.txt", "torch", line=1), Finding(OTHER, "requirements.txt", "t", line=1),
                Finding(RULE, "requirements.txt", "numpy", line=2), Finding(RULE, "requirements.txt", "scipy",
                                                                            line=3),
                Finding(RULE, "dev/requirements.txt", "black", line=1)]
    from mlwarden.core.config import Suppression

    sup = [Suppression("unpinned", "dev tools float", paths=("dev/*",)),
           Suppression("missing-hash", "old", expires=dt.date(2020, 1, 1))]
    kept = apply(findings, sup, root=tmp_path, config_path="mlwarden.toml", today=dt.date(2026, 11, 25))
    got = sorted((f.slug, f.path, f.line) for f in kept)
    assert got == [("missing-hash", "requirements.txt", 1),  # the expired entry no longer hides it
                   ("suppression-expired", "mlwarden.toml", None),
                   ("unpinned", "requirements.txt", 2), ("unpinned", "requirements.txt", 3)]
    expired = next(f for f in kept if f.slug == "suppression-expired")
    assert expired.id == "MLW001" and "2020-01-01" in expired.message


def test_inline_suppression_on_last_line_of_continued_entry(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt",
          "torch==2.6.0 \\\n    --hash=sha256:" + "a" * 64 + "  # mlwarden: ignore[unpinned]\nnumpy \\\n  ; python_version>'3'\n")
    kept = apply([Finding(RULE, "requirements.txt", "torch", line=1), Finding(RULE, "requirements.txt", "numpy", line=3)],
                 [], root=tmp_path, config_path=None)
    assert [f.message for f in kept] == ["numpy"]


def test_inline_suppression_line_numbers_ignore_form_feeds(tmp_path: Path) -> None:
    # Python counts lines by \n (and \r\n, \r), not by form feeds: the comment on line 3 hides line 3.
    write(tmp_path / "m.py", "import pickle\n\x0c\nx = pickle.load(f)  # mlwarden: ignore[unpinned]\ny = 1\n")
    kept = apply([Finding(RULE, "m.py", "a", line=3), Finding(RULE, "m.py", "b", line=4)], [], root=tmp_path,
                 config_path=None)
    assert [f.message for f in kept] == ["b"]
