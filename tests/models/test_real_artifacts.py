"""scan-models on files the libraries' own save paths write (tiny configs, no downloads): a transformers
Trainer checkpoint folder and whole-model saves, a Lightning checkpoint, statsmodels and scipy.optimize
results, gensim models, and a fastai ``Learner.export`` shape (fastai needs torchvision, which does not
import here: its classes are stand-ins registered under fastai's real module names, pickled the way
``Learner.export`` does, with ``torch.save(learner, pickle_protocol=2)``).

Then the published trusted-code bypasses written by the real pickler (custom ``__reduce__`` objects) into
those artifacts. Payloads would only ``touch`` a marker file; nothing is ever unpickled, and every test
asserts the marker does not exist.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import sys
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

from mlwarden.checks.models import scan_file
from mlwarden.core.findings import Finding, Severity

from . import harvest_ecosystem as eco


def _scan_tree(root: Path) -> list[Finding]:
    out: list[Finding] = []
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out.extend(scan_file(p, p.relative_to(root).as_posix())[1])
    return out


def _above(findings: list[Finding], level: Severity = Severity.INFO) -> list[str]:
    return sorted(
        f"{f.path}: {f.rule.slug} [{f.level.label}] {f.message}" for f in findings if f.level > level
    )


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---- benign: real artifacts are clean ---------------------------------------------------------------------
def test_transformers_trainer_checkpoint_and_whole_models_are_clean(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    import torch
    import transformers as T

    ckpt = eco.trainer_checkpoint(tmp_path / "run")
    names = {p.name for p in ckpt.iterdir()}
    assert {"training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state.pth"} <= names, names
    assert _above(_scan_tree(ckpt)) == []
    # whole-model torch.save (what older tutorials and many repos commit) and pickled configs
    cfg = T.BertConfig(
        vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8
    )
    torch.save(T.BertForSequenceClassification(cfg), tmp_path / "whole.pt")
    torch.save(
        T.BertForSequenceClassification(cfg), tmp_path / "legacy.bin", _use_new_zipfile_serialization=False
    )
    (tmp_path / "config.pkl").write_bytes(pickle.dumps(cfg, protocol=4))
    for name in ("whole.pt", "legacy.bin", "config.pkl"):
        assert _above(scan_file(tmp_path / name, name)[1]) == [], name


def test_lightning_checkpoint_is_clean(tmp_path: Path) -> None:
    pytest.importorskip("lightning")
    path = eco.lightning_checkpoint(tmp_path)
    assert _above(scan_file(path, path.name)[1]) == []


def test_statsmodels_and_scipy_results_are_clean(tmp_path: Path) -> None:
    pytest.importorskip("statsmodels")
    for i, res in enumerate(eco.statsmodels_results()):
        p = tmp_path / f"sm{i}.pickle"
        res.save(str(p))  # statsmodels' own save (pickle)
        assert _above(scan_file(p, p.name)[1]) == [], type(res).__name__
    import numpy as np
    from scipy import optimize

    def f(x: Any) -> Any:
        return float(((x - 1) ** 2).sum())

    for method in ("BFGS", "L-BFGS-B", "Nelder-Mead", "trust-constr"):
        p = tmp_path / f"opt-{method}.pkl"
        p.write_bytes(pickle.dumps(optimize.minimize(f, np.zeros(2), method=method)))
        assert _above(scan_file(p, p.name)[1]) == [], method


def test_gensim_models_are_clean(tmp_path: Path) -> None:
    pytest.importorskip("gensim")
    paths = eco.gensim_models(tmp_path)
    assert len(paths) >= 5
    assert _above(_scan_tree(tmp_path)) == []


# fastai Learner.export: stand-in classes under fastai's module names (fastai itself cannot be installed here)
def _fastai_standins(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:

    mods: dict[str, types.ModuleType] = {}

    def mod(name: str) -> types.ModuleType:
        if name not in mods:
            mods[name] = types.ModuleType(name)
            monkeypatch.setitem(sys.modules, name, mods[name])
        return mods[name]

    def cls(module: str, name: str, bases: tuple[type, ...] = (object,)) -> type:
        c = type(name, bases, {"__module__": module, "__qualname__": name})
        setattr(mod(module), name, c)
        return c

    def fn(module: str, name: str) -> Any:
        def f(*a: Any, **k: Any) -> None:
            return None

        f.__module__, f.__qualname__, f.__name__ = module, name, name
        setattr(mod(module), name, f)
        return f

    for parent in ("fastai", "fastcore"):
        mod(parent)
    ns = types.SimpleNamespace(
        Learner=cls("fastai.learner", "Learner"),
        Recorder=cls("fastai.learner", "Recorder"),
        AvgMetric=cls("fastai.learner", "AvgMetric"),
        TrainEvalCallback=cls("fastai.callback.core", "TrainEvalCallback"),
        DataLoaders=cls("fastai.data.core", "DataLoaders"),
        L=cls("fastcore.foundation", "L", (list,)),
        Pipeline=cls("fastcore.transform", "Pipeline"),
        CrossEntropyLossFlat=cls("fastai.losses", "CrossEntropyLossFlat"),
        Adam=fn("fastai.optimizer", "Adam"),
        accuracy=fn("fastai.metrics", "accuracy"),
        trainable_params=fn("fastai.torch_core", "trainable_params"),
    )
    return ns


def _fastai_learner(ns: types.SimpleNamespace) -> Any:
    import torch

    learn = ns.Learner()
    learn.model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    learn.dls = ns.DataLoaders()
    learn.dls.after_batch = ns.Pipeline()
    learn.loss_func = ns.CrossEntropyLossFlat()
    learn.loss_func.axis = -1
    learn.opt_func = functools.partial(ns.Adam, mom=0.9)
    learn.splitter = ns.trainable_params
    metric = ns.AvgMetric()
    metric.func = ns.accuracy
    learn.metrics = ns.L([metric])
    learn.cbs = ns.L([ns.TrainEvalCallback(), ns.Recorder()])
    learn.path = Path(".")
    learn.model_dir = "models"
    learn.wd, learn.lr, learn.moms = None, 0.001, (0.95, 0.85, 0.95)
    return learn


def test_fastai_export_shape_is_below_high_and_info_when_declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    import torch
    from mlwarden_hooks.scan_models import main

    ns = _fastai_standins(monkeypatch)
    torch.save(_fastai_learner(ns), tmp_path / "export.pkl", pickle_protocol=2)
    findings = scan_file(tmp_path / "export.pkl", "export.pkl")[1]
    # fastai/fastcore classes are rebuilt as objects, its functions passed as values: never high
    assert findings and max(f.level for f in findings) <= Severity.MEDIUM, _above(findings)
    assert {f.data["use"] for f in findings} <= {"object", "reference"}
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("fastai==2.8.12\nfastcore==2.2.41\n")
    assert main(["export.pkl", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {f["severity"] for f in out["findings"]} == {"info"}


# ---- attacks written by the real pickler into real artifacts --------------------------------------------
class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def _torch_bytes(obj: Any) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


class _PlantedAttributeDict:
    """Pickles as AttributeDict() + item __setstate__ = torch.storage._load_from_bytes + BUILD(<torch file>)."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def __reduce__(self) -> tuple[Any, ...]:
        import torch.storage
        from lightning.fabric.utilities.data import AttributeDict

        return (
            AttributeDict,
            (),
            self.payload,
            None,
            iter([("__setstate__", torch.storage._load_from_bytes)]),
        )


class _RebuildFromType:
    """Pickles as torch._tensor._rebuild_from_type_v2(torch.storage._load_from_bytes, Tensor, (bytes,), {})."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def __reduce__(self) -> tuple[Any, ...]:
        import torch
        import torch._tensor

        return (
            torch._tensor._rebuild_from_type_v2,
            (torch.storage._load_from_bytes, torch.Tensor, (self.payload,), {}),
        )


class _CalledPartial:
    """Pickles as functools.partial(torch.storage._load_from_bytes, bytes)() -- the partial is called on load."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def __reduce__(self) -> tuple[Any, ...]:
        import torch.storage

        return (functools.partial(torch.storage._load_from_bytes, self.payload), ())


@pytest.mark.parametrize("shape", ["attributedict", "rebuild_from_type_v2", "partial"])
def test_trusted_code_bypasses_in_real_checkpoints_are_critical(tmp_path: Path, shape: str) -> None:
    pytest.importorskip("lightning")
    import torch

    marker = tmp_path / "MARKER"
    inner = _torch_bytes({"x": _Evil(marker)})
    wrapper = {
        "attributedict": _PlantedAttributeDict,
        "rebuild_from_type_v2": _RebuildFromType,
        "partial": _CalledPartial,
    }[shape](inner)
    # a Lightning-shaped checkpoint: the attack rides in the hyper-parameters
    ckpt = {
        "epoch": 1,
        "global_step": 2,
        "pytorch-lightning_version": "2.6.6",
        "state_dict": {"layer.weight": torch.zeros(1, 4)},
        "hyper_parameters": wrapper,
    }
    torch.save(ckpt, tmp_path / "model.ckpt")
    findings = scan_file(tmp_path / "model.ckpt", "model.ckpt")[1]
    assert max(f.level for f in findings) == Severity.CRITICAL, _above(findings)
    gadgets = {f.data.get("global") for f in findings if f.level == Severity.CRITICAL}
    assert gadgets & {"os.system", "posix.system"}, _above(findings)  # found inside the nested payload
    assert not marker.exists()


def test_real_pickler_bypass_in_trainer_training_args(tmp_path: Path) -> None:
    """training_args.bin replaced by a pickle whose TrainingArguments-like state plants __setstate__."""
    pytest.importorskip("transformers")
    import torch

    marker = tmp_path / "MARKER"
    inner = _torch_bytes([_Evil(marker)])
    torch.save({"args": _RebuildFromType(inner), "version": "5"}, tmp_path / "training_args.bin")
    findings = scan_file(tmp_path / "training_args.bin", "training_args.bin")[1]
    assert max(f.level for f in findings) == Severity.CRITICAL
    assert not marker.exists()
