"""False alarms and recall of scan-models, picklescan and modelaudit on the same generated files.

    python benchmarks/bench_scan_models_accuracy.py                # generate, scan, print the table
    python benchmarks/bench_scan_models_accuracy.py --wheels       # also: pickles shipped in site-packages
    python benchmarks/bench_scan_models_accuracy.py --keep DIR     # keep the generated corpus in DIR

Benign set: real artifacts written by the libraries' own save paths (tiny configs, nothing downloaded) --
a transformers Trainer checkpoint folder and whole-model saves, a Lightning checkpoint, statsmodels and
scipy.optimize results, gensim models, scikit-learn joblib dumps (plain, zlib, lz4), pandas pickles (plain
and zstd), numpy bit generators, a TorchScript archive, a Keras file, and fastai's Learner.export shape
(stand-in classes under fastai's module names: fastai itself needs torchvision, which does not import here).
Attack set: every technique in tests/models/builders.py, the trusted-code bypasses of
tests/models/test_reconstruction.py and the real-pickler ones of tests/models/test_real_artifacts.py, the
same payloads behind lz4/zstd, a TorchScript __setstate__ writing a file and a Keras TFSMLayer.

A file counts as flagged when a tool rates it at its top level: high or critical for mlwarden, a
"dangerous" global (infected) for picklescan, a critical issue for modelaudit (its warnings are printed
apart). Libraries that are not installed are skipped with a note. Nothing scanned is ever loaded.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("PROMPTFOO_DISABLE_TELEMETRY", "1")  # modelaudit: no analytics upload


def _try(label: str, fn: Callable[[], None]) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except ImportError as exc:
        print(f"  (skipped {label}: {exc})", file=sys.stderr)


def make_benign(out: Path) -> None:
    from tests.models import harvest_ecosystem as eco

    out.mkdir(parents=True, exist_ok=True)

    def transformers_files() -> None:
        import torch
        import transformers as T

        eco.trainer_checkpoint(out / "trainer")
        cfg = T.BertConfig(
            vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8
        )
        torch.save(T.BertForSequenceClassification(cfg), out / "bert-whole.pt")
        gcfg = T.GPT2Config(vocab_size=32, n_embd=8, n_layer=1, n_head=2, n_positions=16)
        torch.save(T.GPT2LMHeadModel(gcfg), out / "gpt2-whole.bin", _use_new_zipfile_serialization=False)
        (out / "bert-config.pkl").write_bytes(pickle.dumps(cfg))

    def lightning_files() -> None:
        eco.lightning_checkpoint(out / "lightning")

    def statsmodels_files() -> None:
        for i, r in enumerate(eco.statsmodels_results()):
            r.save(str(out / f"statsmodels-{i}.pickle"))

    def gensim_files() -> None:
        (out / "gensim").mkdir(exist_ok=True)
        eco.gensim_models(out / "gensim")

    def scipy_numpy_files() -> None:
        import numpy as np
        from scipy import optimize

        for m in ("BFGS", "L-BFGS-B", "Nelder-Mead", "trust-constr"):
            r = optimize.minimize(lambda x: float(((x - 1) ** 2).sum()), np.zeros(2), method=m)
            (out / f"scipy-{m}.pkl").write_bytes(pickle.dumps(r))
        (out / "rng.pkl").write_bytes(pickle.dumps([np.random.RandomState(0), np.random.default_rng(1)]))

    def sklearn_pandas_files() -> None:
        import joblib
        import numpy as np
        import pandas as pd
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X = np.random.RandomState(0).rand(40, 3)
        y = (X[:, 0] > 0.5).astype(int)
        for comp in (0, 3, "lz4"):
            joblib.dump(
                RandomForestClassifier(n_estimators=3).fit(X, y), out / f"rf-{comp}.joblib", compress=comp
            )
        joblib.dump(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), out / "pipe.pkl")
        df = pd.DataFrame({"a": [1, 2], "t": pd.to_datetime(["2020-01-01", "2021-01-01"])})
        df.to_pickle(out / "frame.pkl")
        df.to_pickle(out / "frame.pkl.zst", compression="zstd")

    def torchscript_keras_files() -> None:
        import torch

        torch.jit.save(
            torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())), out / "scripted.pt"
        )
        import keras

        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.save(out / "dense.keras")

    def fastai_file() -> None:
        import torch

        mods: dict[str, types.ModuleType] = {}

        def mod(name: str) -> types.ModuleType:
            m = mods.get(name) or sys.modules.get(name) or types.ModuleType(name)
            mods[name] = m
            sys.modules[name] = m
            return m

        def cls(module: str, name: str, bases: tuple[type, ...] = (object,)) -> Any:
            c = type(name, bases, {"__module__": module, "__qualname__": name})
            setattr(mod(module), name, c)
            return c

        def fn(module: str, name: str) -> Any:
            def f(*a: Any) -> None:
                return None

            f.__module__, f.__qualname__, f.__name__ = module, name, name
            setattr(mod(module), name, f)
            return f

        try:
            learn = cls("fastai.learner", "Learner")()
            learn.model = torch.nn.Sequential(torch.nn.Linear(4, 2))
            learn.dls = cls("fastai.data.core", "DataLoaders")()
            learn.loss_func = cls("fastai.losses", "CrossEntropyLossFlat")()
            learn.opt_func = fn("fastai.optimizer", "Adam")
            learn.splitter = fn("fastai.torch_core", "trainable_params")
            learn.metrics = cls("fastcore.foundation", "L", (list,))([fn("fastai.metrics", "accuracy")])
            learn.path = Path(".")
            torch.save(learn, out / "fastai-export.pkl", pickle_protocol=2)
        finally:
            for name in mods:
                sys.modules.pop(name, None)

    for label, fn in (
        ("transformers", transformers_files),
        ("lightning", lightning_files),
        ("statsmodels", statsmodels_files),
        ("gensim", gensim_files),
        ("scipy/numpy", scipy_numpy_files),
        ("sklearn/pandas", sklearn_pandas_files),
        ("torchscript/keras", torchscript_keras_files),
        ("fastai stand-in", fastai_file),
    ):
        _try(label, fn)


def make_attacks(out: Path) -> None:
    from tests.models import builders as B
    from tests.models import test_code_formats as CF
    from tests.models import test_real_artifacts as RA
    from tests.models import test_reconstruction as RC

    out.mkdir(parents=True, exist_ok=True)
    marker = out / "MARKER"
    object_only = {"unknown_class_build"}  # a class rebuilt with plain data: not an attack by itself
    for name, data in B.TECHNIQUES.items():
        if name not in object_only:
            (out / f"{name}.pkl").write_bytes(data)
    for name, data in RC._attacks(marker).items():
        (out / f"{name}.pkl").write_bytes(data)

    def real_pickler() -> None:
        import torch

        inner = RA._torch_bytes({"x": RA._Evil(marker)})
        for name, wrap in (
            ("attributedict", RA._PlantedAttributeDict),
            ("rebuild_from_type_v2", RA._RebuildFromType),
            ("partial", RA._CalledPartial),
        ):
            torch.save({"state_dict": {}, "hyper_parameters": wrap(inner)}, out / f"ckpt-{name}.ckpt")
        evil = pickle.dumps({"x": RA._Evil(marker)}, protocol=4)
        import lz4.frame
        import zstandard

        (out / "evil.joblib").write_bytes(lz4.frame.compress(evil))
        (out / "evil.pkl.zst").write_bytes(zstandard.ZstdCompressor().compress(evil))
        (out / "evil-torchscript.pt").write_bytes(
            CF._rewrite(CF._scripted(), {"__torch__/evil.py": CF.SETSTATE_SAVE})
        )
        tfsm = {
            "module": "keras.layers",
            "class_name": "TFSMLayer",
            "registered_name": None,
            "config": {"name": "sm", "filepath": "/srv/savedmodel", "call_endpoint": "serve"},
        }
        (out / "tfsm.keras").write_bytes(B.keras_zip(B.keras_config([B.DENSE, tfsm])))

    _try("real-pickler attacks", real_pickler)
    marker.unlink(missing_ok=True)


# ---- tools ---------------------------------------------------------------------------------------------
def _mlwarden() -> Callable[[Path], tuple[bool, bool]]:
    from mlwarden.checks.models import scan_file
    from mlwarden.core.findings import Severity

    def run(p: Path) -> tuple[bool, bool]:
        levels = [f.level for f in scan_file(p, p.name)[1]]
        return any(x >= Severity.HIGH for x in levels), any(x >= Severity.MEDIUM for x in levels)

    return run


def _picklescan() -> Callable[[Path], tuple[bool, bool]] | None:
    try:
        from picklescan.scanner import scan_file_path
    except ImportError:
        return None

    def run(p: Path) -> tuple[bool, bool]:
        r = scan_file_path(str(p))
        return r.infected_files > 0, r.infected_files > 0 or r.suspicious_count > 0 or r.scan_err

    return run


def _modelaudit() -> Callable[[Path], tuple[bool, bool]] | None:
    try:
        import logging

        from modelaudit.core import scan_model_directory_or_file

        logging.getLogger("modelaudit").setLevel(logging.ERROR)
    except ImportError:
        return None

    def run(p: Path) -> tuple[bool, bool]:
        r = scan_model_directory_or_file(str(p))
        sev = {str(getattr(i.severity, "value", i.severity)).lower() for i in r.issues}
        return "critical" in sev, bool(sev & {"critical", "warning"})

    return run


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "MARKER")


def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.1f}%)" if d else "-"


def _table(title: str, benign: list[Path], attacks: list[Path], tools: dict[str, Any]) -> None:
    print(f"\n{title}: {len(benign)} benign files, {len(attacks)} attacks")
    print(
        f"{'tool':<12} {'false alarms (top level)':>26} {'recall (top level)':>20} {'benign flagged at any level':>28} {'time':>7}"
    )
    for name, run in tools.items():
        t0 = time.perf_counter()
        verdicts = [run(p) for p in benign]
        fa = sum(v[0] for v in verdicts)
        weak = sum(v[1] for v in verdicts)
        rec = sum(run(p)[0] for p in attacks) if attacks else 0
        dt = time.perf_counter() - t0
        print(
            f"{name:<12} {pct(fa, len(benign)):>26} {pct(rec, len(attacks)) if attacks else '-':>20} "
            f"{pct(weak, len(benign)):>28} {dt:6.1f}s"
        )


def wheel_pickles() -> list[Path]:
    """Pickle-bearing files shipped inside the installed packages (by their bytes, as mlwarden sniffs)."""
    import site

    from mlwarden.checks.models.scanner import Scanner

    pick = {"pickle", "joblib", "pytorch-legacy", "pytorch-zip", "torchscript"}
    sc = Scanner()
    out = []
    roots = {Path(p) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    roots |= {Path(p) for p in sys.path if p.endswith("site-packages")}
    for root in sorted(roots):
        if not root.is_dir():
            continue
        for p in root.rglob("*"):
            if not p.is_file() or p.suffix in (".py", ".pyc", ".so", ".pyi", ".txt", ".json", ".md", ".html"):
                continue
            fmt = sc.sniff_file(p)
            if fmt in pick or (
                fmt in ("gzip", "bzip2", "xz", "zlib", "lz4", "zstd") and _inner_pickle(sc, p)
            ):
                out.append(p)
    return out


def _inner_pickle(sc: Any, p: Path) -> bool:
    fmt, _ = sc.scan_file(p, p.name)
    return fmt in ("joblib", "pickle")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", type=Path, help="generate the corpus into this folder and keep it")
    ap.add_argument("--wheels", action="store_true", help="also scan the pickles shipped in site-packages")
    ap.add_argument("--no-modelaudit", action="store_true", help="skip modelaudit (slow)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="mlw-acc-"))
    try:
        if not (work / "benign").exists():
            print("generating the corpus...", file=sys.stderr)
            make_benign(work / "benign")
            make_attacks(work / "attacks")
        tools: dict[str, Any] = {"mlwarden": _mlwarden()}
        for name, make in (("picklescan", _picklescan), ("modelaudit", _modelaudit)):
            if name == "modelaudit" and args.no_modelaudit:
                continue
            run = make()
            if run is None:
                print(f"  ({name} is not installed: pip install -e '.[bench]')", file=sys.stderr)
            else:
                tools[name] = run
        benign, attacks = _files(work / "benign"), _files(work / "attacks")
        _table("generated real artifacts", benign, attacks, tools)
        from mlwarden.checks.models import scan_file
        from mlwarden.core.findings import Severity

        for p in benign:
            for f in scan_file(p, p.name)[1]:
                if f.level >= Severity.HIGH:
                    print(f"  mlwarden false alarm: {p.relative_to(work)}: {f.rule.slug}: {f.message[:160]}")
        for p in attacks:
            if not any(f.level >= Severity.HIGH for f in scan_file(p, p.name)[1]):
                print(f"  mlwarden missed: {p.relative_to(work)}")
        if args.wheels:
            shipped = wheel_pickles()
            _table("pickles shipped in installed packages", shipped, [], tools)
            for p in shipped:
                for f in scan_file(p, p.name)[1]:
                    if f.level >= Severity.HIGH:
                        print(f"  mlwarden flags: {p}: {f.rule.slug}: {f.message[:160]}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
