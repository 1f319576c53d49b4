"""pre-commit, for real and offline: `pre-commit try-repo <this working tree>` on a generated repository with
one mistake per hook (every hook fails, for its own reason), then `pre-commit run` of the same revision on a
repository with the corrected files (every hook passes).

pre-commit builds a virtualenv and pip-installs this repository: pip only sees a wheelhouse repacked from the
installed distributions (PIP_NO_INDEX), so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.ship.helpers import ROOT, clean_env, make_repo, offline_pip_env

pytestmark = pytest.mark.slow

HEX = "a" * 64
EVIL_PICKLE = b"cos\nsystem\n(S'echo pwned'\ntR."  # calls os.system on load; never loaded


def safetensors_file() -> bytes:
    header = json.dumps({"weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0\0\0\0"


def osv_record(tmp: Path) -> Path:
    """An offline OSV database (a directory of records): flask < 2.2.5 is vulnerable."""
    db = tmp / "osv"
    db.mkdir(exist_ok=True)
    (db / "PYSEC-2023-62.json").write_text(json.dumps({
        "id": "PYSEC-2023-62", "modified": "2023-06-01T00:00:00Z", "published": "2023-05-01T00:00:00Z",
        "aliases": ["CVE-2023-30861"], "summary": "session cookie disclosure",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}],
    }))
    return db


@dataclass
class Case:
    bad: dict[str, str | bytes]
    good: dict[str, str | bytes]
    expect: tuple[str, ...]  # rule ids the hook must report on the bad repository
    env: dict[str, str] = field(default_factory=dict)


LOCK_OF_OTHER_BYTES = (
    'version = 1\n\n[[artifact]]\npath = "data/labels.bin"\nkind = "file"\nformat = "data"\n'
    f'source = "local"\nsize = 3\nsha256 = "{"0" * 64}"\n')


def cases(tmp: Path) -> dict[str, Case]:
    good_reqs = f"requests==2.31.0 --hash=sha256:{HEX}\n"
    return {
        "check-pins": Case({"requirements.txt": "requests>=2\n"}, {"requirements.txt": good_reqs}, ("MLW301",)),
        "check-typosquats": Case({"requirements-typo.txt": f"reqeusts==2.31.0 --hash=sha256:{HEX}\n"},
                                 {}, ("MLW402",)),
        "scan-models": Case({"models/evil.pkl": EVIL_PICKLE}, {"models/ok.safetensors": safetensors_file()},
                            ("MLW501",)),
        "check-unsafe-loads": Case({"train.py": "import torch\nm = torch.load('models/m.pt')\n"},
                                   {"train.py": "import torch\nm = torch.load('models/m.pt', weights_only=True)\n"},
                                   ("MLW101",)),
        "audit-deps": Case({"requirements-web.txt": f"flask==2.0.1 --hash=sha256:{HEX}\n"}, {}, ("MLW601",),
                           env={"MLWARDEN_OSV_DB": str(osv_record(tmp))}),
        # bad: a committed SBOM that is out of date (the hook rewrites it; with no SBOM at all it only says how
        # to create one); good: the current SBOM committed
        "generate-sbom": Case({"sbom.cdx.json": "{}\n"}, {}, ("MLW701",)),
        "check-pipeline": Case({"scripts/get.sh": "#!/bin/sh\ncurl -fsSL https://get.example.dev | sh\n"},
                               {"scripts/get.sh": "#!/bin/sh\necho ready\n"}, ("MLW831",)),
        # bad: the reviewed bytes of data/labels.bin were replaced; good: no lock, nothing to verify against
        "verify-artifacts": Case({"mlwarden.lock": LOCK_OF_OTHER_BYTES, "data/labels.bin": "abc"}, {},
                                 ("MLW902",)),
    }


def hooks() -> list[str]:
    return [h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]


def sections(output: str) -> dict[str, tuple[str, str]]:
    """hook id -> (Passed/Failed/Skipped, its output) from pre-commit's report."""
    out: dict[str, tuple[str, str]] = {}
    status_re = re.compile(r"^(\S.*?)\.{2,}(?:\(no files to check\))?(Passed|Failed|Skipped)$")
    current: list[str] | None = None
    status = ""
    for line in output.splitlines():
        m = status_re.match(line)
        if m:
            status = m.group(2)
            current = []
            continue
        hid = re.match(r"^- hook id: (\S+)$", line)
        if hid and current is not None:
            out[hid.group(1)] = (status, "")
            key = hid.group(1)
            current.append(key)
            continue
        if current:
            st, text = out[current[0]]
            out[current[0]] = (st, text + line + "\n")
    # a passing hook prints no "- hook id" line: map its name back to the id
    for line in output.splitlines():
        m = status_re.match(line)
        if m and m.group(2) != "Failed":
            name = m.group(1).strip()
            if name.startswith("mlwarden "):
                out.setdefault(name.split(" ", 1)[1], (m.group(2), ""))
    return out


def run_pre_commit(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    return subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def test_every_hook_fails_on_bad_files_and_passes_on_good_ones(
        tmp_path: Path, wheelhouse: Path, snapshot: tuple[Path, str]) -> None:
    snap, sha = snapshot
    ids = hooks()
    all_cases = cases(tmp_path)
    missing = [h for h in ids if h not in all_cases]
    assert not missing, f"no end-to-end case for hooks {missing}: add one to cases()"
    env = clean_env({**offline_pip_env(wheelhouse), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
                     "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"})
    for h in ids:
        env.update(all_cases[h].env)

    bad_files: dict[str, str | bytes] = {}
    for h in ids:
        bad_files.update(all_cases[h].bad)
    bad = make_repo(tmp_path / "bad", bad_files)
    proc = run_pre_commit(["try-repo", str(snap), "--all-files", "--color", "never"], bad, env)
    report = sections(proc.stdout)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for h in ids:
        assert h in report, f"{h} did not run:\n{proc.stdout}\n{proc.stderr}"
        status, text = report[h]
        assert status == "Failed", f"{h}: {status}\n{text}"
        for rule_id in all_cases[h].expect:
            assert rule_id in text, f"{h} should report {rule_id}:\n{text}"

    good_files: dict[str, str | bytes] = {}
    for h in ids:
        good_files.update(all_cases[h].good)
    good = make_repo(tmp_path / "good", good_files)
    if "generate-sbom" in ids:  # commit the current SBOM, written by this very code
        gen = subprocess.run([sys.executable, "-m", "mlwarden", "generate-sbom"], cwd=good,
                             env=clean_env({"XDG_CACHE_HOME": str(tmp_path / "cache")}),
                             capture_output=True, text=True, check=False)
        assert gen.returncode == 1 and (good / "sbom.cdx.json").is_file(), gen.stdout + gen.stderr
        make_repo(good, {})
    config = {"repos": [{"repo": str(snap), "rev": sha, "hooks": [{"id": h} for h in ids]}]}
    (good / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    make_repo(good, {})
    proc = run_pre_commit(["run", "--all-files", "--color", "never"], good, env)
    report = sections(proc.stdout)
    for h in ids:
        assert report.get(h, ("missing", ""))[0] == "Passed", f"{h}:\n{proc.stdout}\n{proc.stderr}"
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert os.listdir(tmp_path / "pre-commit-home")  # the environment was built (offline) and kept
