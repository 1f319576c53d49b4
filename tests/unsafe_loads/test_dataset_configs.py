"""Dataset and training configs (YAML) that download over plain http or hold Python code the repository
executes (check-unsafe-loads MLW205 at the YAML line, MLW108 config-code-exec).

The fixtures reproduce the shape of detector repositories: a coco-style dataset YAML whose ``download: |``
block is a Python script, and a utility module that reads the YAML and runs that script with ``exec``."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlwarden.checks.unsafe_loads import scan_files
from mlwarden.checks.unsafe_loads.configs import exec_sites, scan_yaml_data
from mlwarden.checks.unsafe_loads.torchver import TorchPins
from mlwarden.core.findings import Finding

COCO = '''
# a coco-style dataset file
path: ../datasets/coco  # dataset root dir
train: train2017.txt
val: val2017.txt
names:
  0: person
  1: bicycle

# Download script/URL (optional)
download: |
  from utils.general import download, Path

  # Download labels
  segments = False
  dir = Path(yaml['path'])  # dataset root dir
  url = 'https://example.org/releases/download/v1.0/'
  urls = [url + ('coco2017labels-segments.zip' if segments else 'coco2017labels.zip')]
  download(urls, dir=dir.parent)
'''

EXEC_GET = '''
import yaml
from pathlib import Path

def check_dataset(data, autodownload=True):
    if isinstance(data, (str, Path)):
        with open(data, errors="ignore") as f:
            data = yaml.safe_load(f)
    val, s = (data.get(x) for x in ("val", "download"))
    if val and not Path(val).exists():
        if s.startswith("http") and s.endswith(".zip"):
            pass
        elif s.startswith("bash "):
            pass
        else:
            r = exec(s, {"yaml": data})
    return data
'''

EXEC_SUBSCRIPT = '''
import yaml

def fetch(cfg_path):
    data = yaml.safe_load(open(cfg_path))
    exec(data['download'], {'yaml': data})
'''


def repo(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    pairs = []
    for rel, text in sorted(files.items()):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        pairs.append((p, rel))
    return list(scan_files(pairs, tmp_path, TorchPins(tmp_path, None)))


def got(findings: list[Finding]) -> list[tuple[str, str, int, str]]:
    return sorted((f.path, f.rule.slug, f.line or 0, f.level.label) for f in findings)


def line_of(text: str, needle: str) -> int:
    return textwrap.dedent(text).lstrip("\n").split("\n").index(needle) + 1


@pytest.mark.parametrize("util", [EXEC_GET, EXEC_SUBSCRIPT], ids=["get-generator", "subscript"])
def test_download_block_executed_by_the_repository(tmp_path: Path, util: str) -> None:
    found = repo(tmp_path, {"data/coco.yaml": COCO, "utils/general.py": util})
    assert got(found) == [("data/coco.yaml", "config-code-exec", line_of(COCO, "download: |"), "high")]
    f = found[0]
    exec_line = next(i for i, x in enumerate(textwrap.dedent(util).lstrip("\n").split("\n"), 1)
                     if "exec(" in x)
    assert f.data["exec_site"] == f"utils/general.py:{exec_line}"
    assert "utils/general.py" in f.message and "`exec(...)`" in f.message
    assert "from utils.general import ..." in f.message and f.data["cwe"] == ["CWE-94"]


def test_code_block_without_exec_site_is_not_reported(tmp_path: Path) -> None:
    plain = '''
    import yaml
    def load(p):
        data = yaml.safe_load(open(p))
        code = "print(1)"
        exec(code)                       # a literal, not a config value
        eval(compile("1", "x", "eval"))  # no dict read
        model.eval()                     # a method, not the builtin
        return data
    '''
    assert repo(tmp_path, {"data/coco.yaml": COCO, "utils/general.py": plain}) == []
    # an exec of a dict value under another key does not run this block
    other = "def run(d):\n    exec(d['script'])\n"
    assert repo(tmp_path / "b", {"data/coco.yaml": COCO, "u.py": other}) == []


def test_blocks_that_are_not_python_are_not_reported(tmp_path: Path) -> None:
    cfg = '''
    download: |
      Get the archive from the project page and unpack it
      into ../datasets before training.
    steps:
      - run: |
          pip install -r requirements.txt
          python train.py --data coco.yaml
    names: >
      person bicycle car
    '''
    assert repo(tmp_path, {"data/x.yaml": cfg, "utils/general.py": EXEC_SUBSCRIPT}) == []


def test_plain_http_download_keys(tmp_path: Path) -> None:
    cfg = '''
    path: ../datasets/voc
    download: http://example.org/data/VOCtrainval_11-May-2012.tar  # plain http
    urls:
      train: http://example.org/data/train.zip
      val: https://example.org/data/val.zip
    mirrors:
      - http://example.org/data/labels.zip
    model_url: 'http://example.org/weights/yolo.pt'
    homepage: http://example.org/data/readme.txt
    data_url: http://localhost:8000/data.zip
    url: http://example.org/project/page
    # download: http://example.org/old.zip
    '''
    found = repo(tmp_path, {"data/voc.yaml": cfg})
    lines = [line_of(cfg, x) for x in (
        "download: http://example.org/data/VOCtrainval_11-May-2012.tar  # plain http",
        "  train: http://example.org/data/train.zip", "model_url: 'http://example.org/weights/yolo.pt'")]
    assert got(found) == [("data/voc.yaml", "insecure-download", n, "high") for n in lines]
    assert found[0].data["url"] == "http://example.org/data/VOCtrainval_11-May-2012.tar"
    assert found[1].data["key"] == "urls" and found[0].column == len("download: ") + 1
    assert "(CWE-494, CWE-319)" in found[0].message and found[0].data["cwe"] == ["CWE-494", "CWE-319"]


def test_list_items_under_a_download_key(tmp_path: Path) -> None:
    cfg = "download:\n- http://example.org/a.zip\n- https://example.org/b.zip\nnext: http://example.org/c.zip\n"
    found = repo(tmp_path, {"d.yml": cfg})
    assert got(found) == [("d.yml", "insecure-download", 2, "high")]


def test_https_and_no_code_is_clean(tmp_path: Path) -> None:
    cfg = '''
    path: ../datasets/coco128
    train: images/train2017
    download: https://example.org/releases/download/v1.0/coco128.zip
    '''
    assert repo(tmp_path, {"data/coco128.yaml": cfg, "utils/general.py": EXEC_SUBSCRIPT}) == []


def test_exec_sites_are_looked_for_only_when_a_yaml_holds_python(tmp_path: Path) -> None:
    p = tmp_path / "voc.yaml"
    p.write_text("download: |\n  Fetch it by hand.\n")
    calls: list[int] = []

    def sites() -> list[object]:
        calls.append(1)
        return []

    assert scan_yaml_data(p, "voc.yaml", sites) == [] and calls == []  # type: ignore[arg-type]
    (tmp_path / "u.py").write_text(textwrap.dedent(EXEC_GET))
    (tmp_path / "v.py").write_text("def f(cfg):\n    eval(cfg.get(name))\n")  # unknown key, no yaml

    def parse(path: Path, display: str) -> tuple[object, object, str]:
        import ast

        from mlwarden.checks.unsafe_loads.source import load_unit
        unit = load_unit(path)
        return unit, ast.parse(unit.text), str(path.parent)

    found = exec_sites([(tmp_path / "u.py", "u.py"), (tmp_path / "v.py", "v.py")], parse)
    assert [(s.display, s.call) for s in found] == [("u.py", "exec"), ("v.py", "eval")]
    assert found[0].runs("download") and not found[0].runs("script")
    assert not found[1].runs("download")  # an unknown key runs config values only in a module naming yaml


def test_hostile_yaml_is_not_a_traceback(tmp_path: Path) -> None:
    deep = "download: |\n" + "".join("  " + " " * i + "if x:\n" for i in range(300)) + "   pass\n"
    junk = "download: |\n  \x00\xff(((\nurls: [http://example.org/a.zip, http://example.org/b.zip\n"
    found = repo(tmp_path, {"a.yaml": deep, "b.yaml": junk, "u.py": EXEC_SUBSCRIPT})
    assert got(found) == [("b.yaml", "insecure-download", 3, "high")]


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    old = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


def test_roles_lower_configs_in_test_suites(chdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlwarden_hooks.check_unsafe_loads import main

    for rel, text in {"data/coco.yaml": COCO, "tests/data/coco.yaml": COCO,
                      "utils/general.py": EXEC_SUBSCRIPT, "tests/fixtures/voc.yaml": "download: http://example.org/voc.tar\n"}.items():
        (chdir / rel).parent.mkdir(parents=True, exist_ok=True)
        (chdir / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    rc = main([".", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    sev = sorted((f["path"], f["slug"], f["severity"], f["role"]) for f in out["findings"])
    assert rc == 1
    assert sev == [("data/coco.yaml", "config-code-exec", "high", "install"),
                   ("tests/data/coco.yaml", "config-code-exec", "medium", "test"),
                   ("tests/fixtures/voc.yaml", "insecure-download", "medium", "test")]
