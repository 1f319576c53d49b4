"""Notebooks, the torch-version severity matrix, the CLI/hook entry point, suppression, hostile input and the
hub_references API of check-unsafe-loads (all inputs generated here)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from mlwarden_hooks.check_unsafe_loads import main

from mlwarden.checks.unsafe_loads import HubReference, hub_references, scan_file
from mlwarden.checks.unsafe_loads.torchver import TorchPins, classify_specifier

C40 = "0123456789abcdef0123456789abcdef01234567"


def notebook(cells: list[tuple[str, str]], lang: str = "python") -> str:
    """nbformat 4 JSON as Jupyter writes it (indent=1, one source line per JSON line)."""
    out = []
    for kind, src in cells:
        lines = src.splitlines(keepends=True)
        cell: dict[str, object] = {"cell_type": kind, "metadata": {}, "source": lines}
        if kind == "code":
            cell.update(execution_count=None, outputs=[{"output_type": "stream", "name": "stdout",
                                                         "text": ["\"source\": [\"torch.load(x)\"]\n"]}])
        out.append(cell)
    doc = {"cells": out, "metadata": {"kernelspec": {"name": "python3", "language": lang},
                                      "language_info": {"name": lang}},
           "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1) + "\n"


def json_line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


@pytest.fixture
def chdir(tmp_path: Path) -> Path:
    old = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path  # type: ignore[misc]
    os.chdir(old)


# --- notebooks ------------------------------------------------------------------------------------------
def test_notebook_positions_cells_and_magics(tmp_path: Path) -> None:
    text = notebook([
        ("markdown", "# Title\ntorch.load('not code')\n"),
        ("code", "%pip install torch\n!ls\nimport torch as t\nfiles = !ls\n"),
        ("code", "%%time\nx = 1\nm = t.load('m.pt')\n"),
        ("code", "%%bash\npython -c 'import torch; torch.load(1)'\n"),
        ("code", "from transformers import AutoModel\nmodel = AutoModel.from_pretrained(\n    'org/m')\n"),
    ])
    p = tmp_path / "nb.ipynb"
    p.write_text(text)
    got = list(scan_file(p, "nb.ipynb", tmp_path))
    by = {f.rule.slug: f for f in got}
    assert sorted(by) == ["hub-unpinned", "torch-load-unsafe"]
    tl = by["torch-load-unsafe"]
    assert tl.line == json_line_of(text, "m = t.load('m.pt')")
    assert dict(tl.data)["cell"] == 3 and dict(tl.data)["cell_line"] == 3
    assert tl.message.startswith("cell 3, line 3: ")
    hub = by["hub-unpinned"]
    assert hub.line == json_line_of(text, "model = AutoModel.from_pretrained(")
    assert (dict(hub.data)["cell"], dict(hub.data)["cell_line"]) == (5, 2)


def test_notebook_broken_cell_is_reported_and_rest_checked(tmp_path: Path) -> None:
    text = notebook([("code", "import pickle\n"), ("code", "def broken(:\n"), ("code", "pickle.load(f)\n")])
    p = tmp_path / "nb.ipynb"
    p.write_text(text)
    got = sorted((f.rule.slug, f.level.label, dict(f.data).get("cell")) for f in scan_file(p, "nb.ipynb", tmp_path))
    assert got == [("pickle-load", "high", 3), ("unreadable-file", "low", 2)]


def test_notebook_other_kernel_and_garbage(tmp_path: Path) -> None:
    r = tmp_path / "r.ipynb"
    r.write_text(notebook([("code", "torch.load(x)\n")], lang="R"))
    assert list(scan_file(r, "r.ipynb", tmp_path)) == []
    for i, content in enumerate(["{not json", "[1, 2]", '{"cells": 3}', "\xff\xfe"]):
        bad = tmp_path / f"bad{i}.ipynb"
        bad.write_text(content, encoding="latin-1")
        (f,) = scan_file(bad, f"bad{i}.ipynb", tmp_path)
        assert f.rule.slug == "unreadable-file" and f"bad{i}.ipynb" in f.message


def test_notebook_single_string_source_and_nbformat3(tmp_path: Path) -> None:
    doc = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                      "source": "import yaml\nyaml.load(s)\n"}], "metadata": {}, "nbformat": 4}
    p = tmp_path / "s.ipynb"
    p.write_text(json.dumps(doc, indent=1))
    (f,) = scan_file(p, "s.ipynb", tmp_path)
    assert f.rule.slug == "yaml-unsafe-load" and dict(f.data)["cell_line"] == 2
    assert f.line == json_line_of(p.read_text(), "yaml.load(s)")
    v3 = {"worksheets": [{"cells": [{"cell_type": "code", "input": ["import dill\n", "dill.loads(b)\n"]}]}],
          "metadata": {}, "nbformat": 3}
    p3 = tmp_path / "v3.ipynb"
    p3.write_text(json.dumps(v3, indent=1))
    (g,) = scan_file(p3, "v3.ipynb", tmp_path)
    assert g.rule.slug == "pickle-load" and g.line == json_line_of(p3.read_text(), "dill.loads(b)")


def test_notebook_inline_suppression_through_cli(chdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = notebook([("code", "import torch\ntorch.load('a.pt')  # mlwarden: ignore[torch-load-unsafe]\n"
                              "torch.load('b.pt')\n")])
    (chdir / "nb.ipynb").write_text(text)
    rc = main(["nb.ipynb", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert [(f["slug"], f["line"]) for f in out["findings"]] == [
        ("torch-load-unsafe", json_line_of(text, "torch.load('b.pt')"))]


# --- torch version matrix -------------------------------------------------------------------------------
MATRIX = [
    # (manifest name, content, call, expected (slug, severity) or None)
    ("requirements.txt", "torch==2.4.0\n", "torch.load(p)", ("torch-load-unsafe", "high")),
    ("requirements.txt", "torch==2.6.0\n", "torch.load(p)", ("torch-load-unsafe", "info")),
    ("requirements.txt", "torch>=2.6,<3\n", "torch.load(p)", ("torch-load-unsafe", "info")),
    ("requirements.txt", "torch<2.6\n", "torch.load(p)", ("torch-load-unsafe", "high")),
    ("requirements.txt", "torch\n", "torch.load(p)", ("torch-load-unsafe", "high")),
    ("requirements.txt", "numpy==2.0\n", "torch.load(p)", ("torch-load-unsafe", "high")),
    ("requirements.txt", "torch==2.7.1+cu121\n", "torch.load(p, weights_only=False)", ("torch-load-unsafe", "high")),
    ("requirements.txt", "torch==2.5.1\n", "torch.load(p, weights_only=True)",
     ("torch-load-vulnerable-torch", "high")),
    ("requirements.txt", "torch==2.6.0\n", "torch.load(p, weights_only=True)", None),
    ("requirements.txt", "torch>=2.0\n", "torch.load(p, weights_only=True)", None),
    ("pyproject.toml", '[project]\nname = "x"\nversion = "1"\ndependencies = ["torch==2.3.1"]\n',
     "torch.load(p, weights_only=True)", ("torch-load-vulnerable-torch", "high")),
    ("pyproject.toml", '[project]\nname = "x"\nversion = "1"\ndependencies = ["torch>=2.6"]\n',
     "torch.load(p)", ("torch-load-unsafe", "info")),
]


@pytest.mark.parametrize(("manifest", "content", "call", "expected"), MATRIX)
def test_torch_version_matrix(tmp_path: Path, manifest: str, content: str, call: str,
                              expected: tuple[str, str] | None) -> None:
    (tmp_path / manifest).write_text(content)
    src = tmp_path / "pkg" / "sub"
    src.mkdir(parents=True)
    f = src / "m.py"
    f.write_text(f"import torch\ndef g(p):\n    return {call}\n")
    got = [(x.rule.slug, x.level.label) for x in scan_file(f, "pkg/sub/m.py", tmp_path, TorchPins(tmp_path))]
    assert got == ([expected] if expected else [])


def test_nearest_manifest_wins_and_option_overrides(chdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (chdir / "requirements.txt").write_text("torch==2.6.0\n")
    (chdir / "legacy").mkdir()
    (chdir / "legacy" / "requirements.txt").write_text("torch==2.1.0\n")
    (chdir / "legacy" / "a.py").write_text("import torch\ntorch.load(p)\n")
    (chdir / "b.py").write_text("import torch\ntorch.load(p)\n")
    rc = main([".", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    sev = {f["path"]: f["severity"] for f in out["findings"]}
    assert sev == {"legacy/a.py": "high", "b.py": "info"} and rc == 1
    msgs = {f["path"]: f["message"] for f in out["findings"]}
    assert "torch 2.1.0 pinned in legacy/requirements.txt" in msgs["legacy/a.py"]
    rc = main([".", "--format", "json", "--torch-version", "2.7.0"])
    out = json.loads(capsys.readouterr().out)
    assert {f["severity"] for f in out["findings"]} == {"info"} and rc == 0
    assert main([".", "--torch-version", "not-a-version"]) == 2
    assert "torch-version" in capsys.readouterr().err


def test_classify_specifier() -> None:
    assert classify_specifier("==2.5.1")[0] == "vulnerable"
    assert classify_specifier("~=2.6.0")[0] == "safe"
    assert classify_specifier(">=1.13,<2.5")[0] == "vulnerable"
    assert classify_specifier(">=2.0")[0] == "unknown"
    assert classify_specifier("")[0] == "unknown"
    assert classify_specifier("garbage!!")[0] == "unknown"


# --- CLI, exit codes, formats, suppression --------------------------------------------------------------
def test_cli_exit_codes_and_suppression(chdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (chdir / "clean.py").write_text("import yaml\nyaml.safe_load(s)\n")
    assert main(["clean.py"]) == 0
    (chdir / "bad.py").write_text("import pickle\npickle.load(f)  # mlwarden: ignore[MLW103]\n"
                                  "pickle.loads(b)  # mlwarden: ignore[pickle-load]\n"
                                  "import yaml\nyaml.load(s)  # mlwarden: ignore[torch-load-unsafe]\n")
    capsys.readouterr()
    rc = main(["bad.py", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    # a suppression of another rule does not hide the yaml finding, and is itself reported as unused
    assert rc == 1 and [(f["slug"], f["line"]) for f in out["findings"]] == [("unused-suppression", 5),
                                                                             ("yaml-unsafe-load", 5)]
    assert main(["bad.py", "--fail-on", "critical"]) == 0
    capsys.readouterr()
    assert main(["missing.py"]) == 2
    assert "missing.py" in capsys.readouterr().err


def test_cli_sarif_and_directory_walk(chdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (chdir / "src").mkdir()
    (chdir / "src" / "a.py").write_text("import joblib\njoblib.load('m.joblib')\n")
    (chdir / "src" / "data.txt").write_text("import pickle\npickle.load(f)\n")
    (chdir / "src" / "nb.ipynb").write_text(notebook([("code", "import numpy as np\nnp.load(f, allow_pickle=True)\n")]))
    rc = main(["--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    results = sarif["runs"][0]["results"]
    assert rc == 1
    assert sorted(r["ruleId"] for r in results) == ["MLW103", "MLW104"]


def test_hostile_files(chdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (chdir / "py2.py").write_text("import cPickle\nprint 'hello'\n")
    # a broken file that names none of the functions or keywords any rule looks at is not even parsed
    (chdir / "py2_plain.py").write_text("print 'hello'\n")
    (chdir / "bin.py").write_bytes(b"\x00\x01\x02torch.load")
    (chdir / "deep.py").write_text("import pickle\nx = " + "(" * 200_000 + ")" * 200_000 + "\n")
    (chdir / "nested.py").write_text("import torch\n" + "".join(" " * i + "if x:\n" for i in range(90))
                                     + " " * 90 + "torch.load(p)\n")
    (chdir / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport pickle\ns = '\xe9'\npickle.loads(s)\n")
    (chdir / "long.py").write_text("import torch\n" + "a = b\n" * 5000 + "torch.load(p)\n")
    rc = main([".", "--format", "json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    out = json.loads(captured.out)
    got = {(f["path"], f["slug"]) for f in out["findings"]}
    assert got == {("py2.py", "unreadable-file"), ("bin.py", "unreadable-file"), ("deep.py", "unreadable-file"),
                   ("nested.py", "torch-load-unsafe"), ("latin.py", "pickle-load"), ("long.py", "torch-load-unsafe")}
    assert rc == 1


def test_constant_chains_do_not_loop(tmp_path: Path) -> None:
    code = ("from transformers import AutoModel\na = b\nb = a\nc = c + 'x'\n"
            "AutoModel.from_pretrained('org/m', revision=a)\nAutoModel.from_pretrained('org/m', revision=c)\n")
    p = tmp_path / "loop.py"
    p.write_text(code)
    assert [f.rule.slug for f in scan_file(p, "loop.py", tmp_path)] == ["hub-revision-unknown"] * 2


# --- hub_references API ---------------------------------------------------------------------------------
def test_hub_references(tmp_path: Path) -> None:
    p = tmp_path / "refs.py"
    p.write_text(
        "from transformers import AutoModel, pipeline\nfrom datasets import load_dataset\n"
        "from huggingface_hub import hf_hub_download\nimport timm\n"
        f"REV = '{C40}'\n"
        "AutoModel.from_pretrained('org/m', revision=REV)\n"
        "pipeline('fill-mask', model='bert-base-uncased', revision='main')\n"
        "load_dataset('org/d')\n"
        "hf_hub_download('org/d2', 'x.parquet', repo_type='dataset', revision='v1')\n"
        f"timm.create_model('hf-hub:timm/vit@{C40}')\n"
        "AutoModel.from_pretrained('./local')\n"
        "def f(x):\n    return AutoModel.from_pretrained('org/u', revision=x)\n")
    refs = hub_references(p, "refs.py")
    assert refs == [
        HubReference("model", "org/m", C40, True, "refs.py", 6, "AutoModel.from_pretrained"),
        HubReference("model", "bert-base-uncased", "main", False, "refs.py", 7, "pipeline"),
        HubReference("dataset", "org/d", None, False, "refs.py", 8, "load_dataset"),
        HubReference("dataset", "org/d2", "v1", False, "refs.py", 9, "hf_hub_download"),
        HubReference("model", "timm/vit", C40, True, "refs.py", 10, "timm.create_model"),
        HubReference("model", "org/u", None, False, "refs.py", 13, "AutoModel.from_pretrained"),
    ]
    bad = tmp_path / "bad.py"
    bad.write_text("def (:\n")
    assert hub_references(bad, "bad.py") == []
    nb = tmp_path / "n.ipynb"
    text = notebook([("code", "from datasets import load_dataset\nload_dataset('squad')\n")])
    nb.write_text(text)
    (r,) = hub_references(nb, "n.ipynb")
    assert (r.kind, r.repo_id, r.line) == ("dataset", "squad", json_line_of(text, "load_dataset('squad')"))


def test_local_folder_that_exists_is_not_a_download(tmp_path: Path) -> None:
    (tmp_path / "acme" / "bert").mkdir(parents=True)
    p = tmp_path / "x.py"
    p.write_text("from transformers import AutoModel\nAutoModel.from_pretrained('acme/bert')\n"
                 "AutoModel.from_pretrained('acme/other')\n")
    assert [f.line for f in scan_file(p, "x.py", tmp_path)] == [3]


def test_torch_version_from_env_and_config(chdir: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (chdir / "a.py").write_text("import torch\ntorch.load(p, weights_only=True)\n")
    assert main(["a.py"]) == 0
    monkeypatch.setenv("MLWARDEN_TORCH_VERSION", "2.5.1")
    assert main(["a.py"]) == 1
    assert "MLW102" in capsys.readouterr().out
    monkeypatch.delenv("MLWARDEN_TORCH_VERSION")
    (chdir / "mlwarden.toml").write_text('[check-unsafe-loads]\ntorch-version = "2.2.0"\n')
    assert main(["a.py"]) == 1
    (chdir / "mlwarden.toml").write_text('[check-unsafe-loads]\ntorch-versoin = "2.2.0"\n')
    assert main(["a.py"]) == 2


def test_hostile_manifests_leave_torch_unknown(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = ")
    (tmp_path / "requirements.txt").write_bytes(b"\xff\xfe\x00torch==2.7\x00")
    (tmp_path / "environment.yml").write_text("dependencies: [" * 500)
    f = tmp_path / "m.py"
    f.write_text("import torch\ntorch.load(p)\ntorch.load(p, weights_only=True)\n")
    got = [(x.line, x.rule.slug, x.level.label) for x in scan_file(f, "m.py", tmp_path, TorchPins(tmp_path))]
    assert got == [(2, "torch-load-unsafe", "high")]


def test_self_attribute_chains_stay_linear(tmp_path: Path) -> None:
    methods = "".join(f"    def m{i}(self):\n        self.a = self.b + self.a\n        self.b = self.a + self.b\n"
                      for i in range(40))
    p = tmp_path / "c.py"
    p.write_text("from transformers import AutoModel\nclass C:\n" + methods +
                 "    def load(self):\n        return AutoModel.from_pretrained(self.a, revision=self.b)\n")
    assert [f.rule.slug for f in scan_file(p, "c.py", tmp_path)] == ["hub-revision-unknown"]
