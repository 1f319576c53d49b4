"""Allowlist pairs for the wider ML ecosystem, harvested from real objects of pinned library versions.

Used by ``tests/models/harvest_allowlist.py`` (which writes ``src/mlwarden/data/pickle_allowlist.txt``):

    python -m pip install transformers==5.25.0 lightning==2.6.6 statsmodels==0.15.0 gensim==4.4.0 \\
        sentence-transformers==6.3.0
    python -m pip install --no-deps timm==1.0.31 ultralytics==8.4.190 fastai==2.8.12 fastcore==2.2.41
    python tests/models/harvest_allowlist.py

Two sources, both read without trusting anything at scan time:

* **real objects** -- tiny transformers models saved whole, ``TrainingArguments``, a Trainer checkpoint's
  optimizer/scheduler/RNG files, a Lightning checkpoint, statsmodels and scipy.optimize results, gensim
  models, numpy bit generators, torch.distributed.checkpoint metadata -- pickled by the libraries' own save
  paths; every global is collected with mlwarden's opcode walker (nothing is unpickled);
* **class definitions** read with ``ast`` from the installed sources (never imported): the configuration
  and modeling classes of every transformers model, timm/ultralytics/sentence-transformers modules,
  fastai/fastcore classes. Only CapWords classes are taken, never functions, from modules that build models
  (not the ones that download, read files or run code).

A library that is not installed is skipped with a message; the pins below are the versions the bundled list
was generated from.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import pickle
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mlwarden.checks.models.pickle_vm import PickleVM

PINS = {
    "transformers": "5.25.0",
    "lightning": "2.6.6",
    "statsmodels": "0.15.0",
    "gensim": "4.4.0",
    "sentence-transformers": "6.3.0",
    "timm": "1.0.31",
    "ultralytics": "8.4.190",
    "fastai": "2.8.12",
    "fastcore": "2.2.41",
    "scipy": "1.17.1",
    "numpy": "2.4.6",
    "torch": "2.13.0",
}

Pairs = set[tuple[str, str]]

# Harmless builtins a pickle may reference as values (a metric function, a key): they compute on values
# already built and reach nothing (map/filter/type/getattr stay out: they call or build what they are given)
HARMLESS_BUILTINS = [
    "hash",
    "len",
    "print",
    "abs",
    "min",
    "max",
    "sum",
    "round",
    "repr",
    "id",
    "isinstance",
    "issubclass",
    "callable",
    "any",
    "all",
    "divmod",
    "pow",
    "chr",
    "ord",
    "bin",
    "oct",
    "hex",
    "format",
    "ascii",
    "sorted",
    "reversed",
    "enumerate",
    "zip",
]

# numpy's pickle helpers under the names older releases wrote
NUMPY_OLD = [
    ("numpy.random", "__RandomState_ctor"),
    ("numpy.random.mtrand", "__RandomState_ctor"),
    ("numpy.random._pickle", "__RandomState_ctor"),
    ("numpy.random.mt19937", "MT19937"),
    ("numpy.random.pcg64", "PCG64"),
    ("numpy.random.philox", "Philox"),
    ("numpy.random.sfc64", "SFC64"),
    ("numpy.random.generator", "Generator"),
    ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
]


def _collect(data: bytes, found: Pairs) -> None:
    pos = 0
    for _ in range(8):  # legacy torch files hold several pickles in a row
        res = PickleVM(data, len(data)).run(pos)
        found.update(res.globals)
        if not res.complete or res.end >= len(data):
            break
        pos = res.end


def _collect_file(path: Path, found: Pairs) -> None:
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                if name.endswith(".pkl") or name.endswith(".metadata"):
                    _collect(zf.read(name), found)
        return
    _collect(data, found)


def _collect_tree(root: Path, found: Pairs) -> None:
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix not in (".json", ".txt", ".safetensors", ".md", ".npy"):
            head = p.read_bytes()[:2]
            if head[:1] == b"\x80" or head == b"PK":
                _collect_file(p, found)


def _run(label: str, fn: Callable[[Pairs], None], found: Pairs) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(found)
    except ImportError as exc:
        print(f"{label}: not installed ({exc}); skipped", file=sys.stderr)


# ---- real objects ------------------------------------------------------------------------------------------
def _numpy(found: Pairs) -> None:
    import numpy as np

    for o in (
        np.random.RandomState(0),
        np.random.default_rng(0),
        np.random.Generator(np.random.Philox(1)),
        np.random.Generator(np.random.SFC64(1)),
        np.random.Generator(np.random.PCG64DXSM(1)),
        np.random.Generator(np.random.MT19937(1)),
        np.random.SeedSequence(3),
    ):
        for proto in (2, 4, 5):
            _collect(pickle.dumps(o, protocol=proto), found)
    found.update(NUMPY_OLD)


def _scipy(found: Pairs) -> None:
    import numpy as np
    from scipy import optimize

    def f(x: Any) -> Any:
        return float(((x - 1.5) ** 2).sum())

    x0 = np.zeros(3)
    results: list[Any] = [
        optimize.minimize(f, x0, method=m)
        for m in ("BFGS", "L-BFGS-B", "Nelder-Mead", "Powell", "CG", "TNC", "SLSQP", "trust-constr")
    ]
    results.append(optimize.least_squares(lambda x: x - 1, x0))
    results.append(optimize.linprog([1, 1], A_ub=[[-1, -1]], b_ub=[-1]))
    results.append(optimize.root(lambda x: x**3 - 1, [0.5]))
    results.append(optimize.minimize_scalar(lambda x: (x - 2) ** 2))
    results.append(optimize.differential_evolution(f, [(-2, 2)] * 2, maxiter=2, seed=0, polish=False))
    results.append(optimize.dual_annealing(f, [(-2, 2)] * 2, maxiter=2, seed=0))
    results.append(optimize.root_scalar(lambda x: x - 1, bracket=[0, 3]))
    for r in results:
        for proto in (2, 4, 5):
            _collect(pickle.dumps(r, protocol=proto), found)


def _torch_dcp(found: Pairs) -> None:
    import torch
    import torch.distributed.checkpoint as dcp

    with tempfile.TemporaryDirectory() as tmp:
        dcp.save({"w": torch.zeros(4), "step": 3, "extra": {"lr": 0.1}}, checkpoint_id=tmp)
        for p in Path(tmp).iterdir():
            if p.name == ".metadata":
                _collect(p.read_bytes(), found)


def _transformers_objects(found: Pairs) -> None:
    import torch
    import transformers as T

    tiny: list[Any] = [
        T.BertConfig(
            vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8
        ),
        T.GPT2Config(vocab_size=32, n_embd=8, n_layer=1, n_head=2, n_positions=16),
        T.LlamaConfig(
            vocab_size=32,
            hidden_size=8,
            intermediate_size=8,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
        ),
        T.T5Config(vocab_size=32, d_model=8, d_kv=4, d_ff=8, num_layers=1, num_heads=2),
        T.DistilBertConfig(vocab_size=32, dim=8, n_layers=1, n_heads=2, hidden_dim=8),
        T.RobertaConfig(
            vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8
        ),
        T.ViTConfig(
            hidden_size=8,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=8,
            image_size=8,
            patch_size=4,
        ),
    ]
    classes = [
        (T.BertConfig, [T.BertModel, T.BertForSequenceClassification]),
        (T.GPT2Config, [T.GPT2LMHeadModel]),
        (T.LlamaConfig, [T.LlamaForCausalLM]),
        (T.T5Config, [T.T5ForConditionalGeneration]),
        (T.DistilBertConfig, [T.DistilBertForSequenceClassification]),
        (T.RobertaConfig, [T.RobertaForMaskedLM]),
        (T.ViTConfig, [T.ViTForImageClassification]),
    ]
    by_cfg = {type(c): c for c in tiny}
    for cfg_cls, model_classes in classes:
        cfg = by_cfg[cfg_cls]
        _collect(pickle.dumps(cfg, protocol=2), found)
        for cls in model_classes:
            model = cls(cfg)
            buf = io.BytesIO()
            torch.save(model, buf)
            with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
                for name in zf.namelist():
                    if name.endswith(".pkl"):
                        _collect(zf.read(name), found)
    with tempfile.TemporaryDirectory() as tmp:
        args = T.TrainingArguments(output_dir=tmp, report_to=[], lr_scheduler_type="cosine")
        for proto in (2, 4):
            _collect(pickle.dumps(args, protocol=proto), found)
        buf = io.BytesIO()
        torch.save(args, buf)
        _collect_zip(buf.getvalue(), found)
        _trainer_checkpoint(Path(tmp), found)


def _collect_zip(data: bytes, found: Pairs) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.endswith(".pkl"):
                _collect(zf.read(name), found)


def trainer_checkpoint(out: Path, steps: int = 2) -> Path:
    """A real transformers Trainer run on a tiny BERT (no download): returns its checkpoint folder."""
    import torch
    import transformers as T

    cfg = T.BertConfig(
        vocab_size=32,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=8,
        max_position_embeddings=16,
    )
    model = T.BertForSequenceClassification(cfg)

    class DS(torch.utils.data.Dataset[dict[str, Any]]):
        def __len__(self) -> int:
            return 8

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"input_ids": torch.tensor([1, 2, 3, i % 5 + 4]), "labels": torch.tensor(i % 2)}

    args = T.TrainingArguments(
        output_dir=str(out),
        max_steps=steps,
        save_steps=steps,
        per_device_train_batch_size=4,
        report_to=[],
        use_cpu=True,
        logging_steps=1,
        lr_scheduler_type="linear",
        warmup_steps=1,
    )
    T.Trainer(model=model, args=args, train_dataset=DS()).train()
    return out / f"checkpoint-{steps}"


def _trainer_checkpoint(tmp: Path, found: Pairs) -> None:
    ckpt = trainer_checkpoint(tmp / "run")
    _collect_tree(ckpt, found)


def lightning_checkpoint(out: Path) -> Path:
    """A real Lightning checkpoint of a tiny module with hyper-parameters (fit for two steps, CPU)."""
    import lightning as L
    import torch

    class Tiny(L.LightningModule):
        def __init__(self, lr: float = 0.01, hidden: int = 4, name: str = "tiny") -> None:
            super().__init__()
            self.save_hyperparameters()
            self.layer = torch.nn.Linear(hidden, 1)

        def training_step(self, batch: Any, _: int) -> Any:
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self) -> Any:
            opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)
            return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.StepLR(opt, 1)}

    data = torch.utils.data.TensorDataset(torch.randn(8, 4), torch.randn(8, 1))
    trainer = L.Trainer(
        max_steps=2,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(out),
        accelerator="cpu",
        enable_checkpointing=True,
    )
    trainer.fit(Tiny(), torch.utils.data.DataLoader(data, batch_size=4))
    path = out / "tiny.ckpt"
    trainer.save_checkpoint(path)
    return path


def _lightning(found: Pairs) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = lightning_checkpoint(Path(tmp))
        _collect_file(path, found)
        for p in Path(tmp).rglob("*.ckpt"):
            _collect_file(p, found)


def statsmodels_results() -> list[Any]:
    import numpy as np
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rng = np.random.RandomState(0)
    X = sm.add_constant(rng.rand(40, 2))
    y = X @ [1.0, 2.0, -1.0] + rng.rand(40) * 0.1
    yb = (y > y.mean()).astype(float)
    out: list[Any] = [
        sm.OLS(y, X).fit(),
        sm.WLS(y, X, weights=np.ones(40)).fit(),
        sm.GLM(yb, X, family=sm.families.Binomial()).fit(),
        sm.GLM(np.round(np.abs(y)), X, family=sm.families.Poisson()).fit(),
        sm.Logit(yb, X).fit(disp=0),
        sm.RLM(y, X).fit(),
        sm.QuantReg(y, X).fit(),
    ]
    import pandas as pd

    df = pd.DataFrame({"y": y, "a": X[:, 1], "b": X[:, 2]})
    out.append(smf.ols("y ~ a + b", data=df).fit())
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    series = np.cumsum(rng.rand(30))
    out.append(ARIMA(series, order=(1, 0, 0)).fit())
    out.append(ExponentialSmoothing(series).fit())
    return out


def _statsmodels(found: Pairs) -> None:
    for r in statsmodels_results():
        for proto in (2, 4, 5):
            _collect(pickle.dumps(r, protocol=proto), found)
        buf = io.BytesIO()
        r.save(buf)  # statsmodels' own save path (pickle)
        _collect(buf.getvalue(), found)


def gensim_models(out: Path) -> list[Path]:
    """gensim models saved with their own save() (pickle, arrays inline)."""
    from gensim.corpora import Dictionary
    from gensim.models import Doc2Vec, FastText, LdaModel, TfidfModel, Word2Vec
    from gensim.models.doc2vec import TaggedDocument

    sents = [["the", "cat", "sat"], ["a", "dog", "ran"], ["cats", "and", "dogs"]] * 4
    paths = []
    w2v = Word2Vec(sents, vector_size=4, min_count=1, epochs=1, workers=1, seed=1)
    items: dict[str, Any] = {
        "w2v.model": w2v,
        "kv.kv": w2v.wv,
        "ft.model": FastText(sents, vector_size=4, min_count=1, epochs=1, workers=1, bucket=64),
        "d2v.model": Doc2Vec(
            [TaggedDocument(s, [i]) for i, s in enumerate(sents)],
            vector_size=4,
            min_count=1,
            epochs=1,
            workers=1,
        ),
    }
    dct = Dictionary(sents)
    corpus = [dct.doc2bow(s) for s in sents]
    items["dict.dict"] = dct
    items["tfidf.model"] = TfidfModel(corpus)
    items["lda.model"] = LdaModel(corpus, num_topics=2, id2word=dct, passes=1, random_state=0)
    for name, obj in items.items():
        p = out / name
        obj.save(str(p))
        paths.append(p)
    return paths


def _gensim(found: Pairs) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for p in gensim_models(Path(tmp)):
            _collect_file(p, found)
        for p in Path(tmp).iterdir():  # companion files (.npy arrays, lda state)
            if p.is_file() and p.read_bytes()[:1] == b"\x80":
                _collect_file(p, found)


def real_objects() -> Pairs:
    found: Pairs = set()
    for label, fn in (
        ("numpy", _numpy),
        ("scipy", _scipy),
        ("torch.distributed.checkpoint", _torch_dcp),
        ("transformers", _transformers_objects),
        ("lightning", _lightning),
        ("statsmodels", _statsmodels),
        ("gensim", _gensim),
    ):
        _run(label, fn, found)
    found.update(("builtins", n) for n in HARMLESS_BUILTINS)
    return found


# ---- class definitions read with ast -----------------------------------------------------------------------
def _package_root(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # a top-level package: located, not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _classes_in(root: Path, pkg: str, globs: Iterable[str], skip: Iterable[str] = ()) -> Pairs:
    out: Pairs = set()
    skip_parts = tuple(skip)
    for pattern in globs:
        for py in sorted(root.glob(pattern)):
            rel = py.relative_to(root.parent).with_suffix("")
            module = ".".join(rel.parts)
            if module.endswith(".__init__"):
                module = module[: -len(".__init__")]
            if any(s in module for s in skip_parts):
                continue
            try:
                tree = ast.parse(py.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError):
                continue
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and node.name[:1].isupper():
                    out.add((module, node.name))
    del pkg
    return out


AST_SOURCES: dict[str, tuple[list[str], list[str]]] = {
    # package: (globs under the package folder, module substrings to skip)
    "transformers": (
        [
            "models/*/configuration_*.py",
            "models/*/modeling_*.py",
            "models/*/image_processing_*.py",
            "models/*/feature_extraction_*.py",
            "activations.py",
            "pytorch_utils.py",
            "modeling_outputs.py",
            "configuration_utils.py",
            "generation/configuration_utils.py",
            "training_args.py",
            "training_args_seq2seq.py",
            "trainer_utils.py",
            "trainer_callback.py",
            "trainer_pt_utils.py",
            "optimization.py",
            "cache_utils.py",
            "utils/quantization_config.py",
            "utils/generic.py",
            "debug_utils.py",
            "integrations/peft.py",
        ],
        ["modeling_tf_", "modeling_flax_", "convert_", "dynamic_module"],
    ),
    "lightning": (
        [
            "pytorch/callbacks/*.py",
            "pytorch/utilities/parsing.py",
            "fabric/utilities/data.py",
            "pytorch/trainer/states.py",
            "pytorch/loops/*.py",
            "pytorch/core/mixins/hparams_mixin.py",
        ],
        [],
    ),
    "pytorch_lightning": (
        ["callbacks/*.py", "utilities/parsing.py", "trainer/states.py"],
        [],
    ),
    "lightning_fabric": (["utilities/data.py", "utilities/enums.py"], []),
    "timm": (
        ["models/*.py", "layers/*.py", "models/layers/*.py"],
        ["_hub", "_builder", "_registry", "_helpers"],
    ),
    "ultralytics": (
        [
            "nn/tasks.py",
            "nn/modules/*.py",
            "utils/__init__.py",
            "engine/results.py",
            "utils/metrics.py",
            "cfg/__init__.py",
        ],
        [],
    ),
    "sentence_transformers": (
        [
            "models/*.py",
            "SentenceTransformer.py",
            "cross_encoder/CrossEncoder.py",
            "*/modules/*.py",
            "*/model.py",
            "*/modules/*/*.py",
            "similarity_functions.py",
        ],
        [],
    ),
    "fastai": (
        [
            "learner.py",
            "optimizer.py",
            "losses.py",
            "metrics.py",
            "layers.py",
            "torch_core.py",
            "data/core.py",
            "data/transforms.py",
            "data/block.py",
            "data/load.py",
            "callback/core.py",
            "callback/progress.py",
            "callback/schedule.py",
            "callback/fp16.py",
            "callback/training.py",
            "callback/tracker.py",
            "vision/learner.py",
            "vision/core.py",
            "vision/augment.py",
            "vision/data.py",
            "vision/models/xresnet.py",
            "text/models/*.py",
            "text/data.py",
            "text/core.py",
            "tabular/core.py",
            "tabular/model.py",
            "tabular/data.py",
            "tabular/learner.py",
            "collab.py",
        ],
        [],
    ),
    "fastcore": (["transform.py", "foundation.py", "basics.py", "dispatch.py"], []),
    "fasttransform": (["transform.py"], []),
    "gensim": (
        # not models/wrappers (they run external binaries), corpora readers or similarities (they read and
        # write shard files when called with a path)
        ["models/*.py", "corpora/dictionary.py", "corpora/hashdictionary.py"],
        ["_cython", "downloader", "_bin"],
    ),
    "statsmodels": (
        [
            "regression/*.py",
            "genmod/*.py",
            "genmod/families/*.py",
            "discrete/*.py",
            "tsa/*.py",
            "tsa/*/*.py",
            "base/*.py",
            "robust/*.py",
            "duration/*.py",
            "miscmodels/*.py",
            "tools/tools.py",
            "tools/decorators.py",
            "imputation/*.py",
            "multivariate/*.py",
            "nonparametric/*.py",
            "gam/*.py",
            "othermod/*.py",
        ],
        ["tests", "api"],
    ),
}


def ast_classes() -> Pairs:
    found: Pairs = set()
    for pkg, (globs, skip) in AST_SOURCES.items():
        root = _package_root(pkg)
        if root is None:
            print(f"{pkg}: not installed; its classes were not read", file=sys.stderr)
            continue
        found |= _classes_in(root, pkg, globs, skip)
    return found


# module paths of older releases that real artifacts still carry (sentence-transformers < 4 layout, the
# torch.distributed.checkpoint metadata data classes DCP's .metadata pickle holds: data, not remote calls)
EXPLICIT = """
sentence_transformers.SentenceTransformer:SentenceTransformer sentence_transformers.models.Transformer:Transformer
sentence_transformers.models.Pooling:Pooling sentence_transformers.models.Normalize:Normalize
sentence_transformers.models.Dense:Dense sentence_transformers.models.Dropout:Dropout
sentence_transformers.models.WordEmbeddings:WordEmbeddings sentence_transformers.models.LayerNorm:LayerNorm
sentence_transformers.models.StaticEmbedding:StaticEmbedding sentence_transformers.models.CNN:CNN
sentence_transformers.models.LSTM:LSTM sentence_transformers.models.WeightedLayerPooling:WeightedLayerPooling
sentence_transformers.models.CLIPModel:CLIPModel sentence_transformers.models.Router:Router
torch.distributed.checkpoint.metadata:Metadata torch.distributed.checkpoint.metadata:BytesStorageMetadata
torch.distributed.checkpoint.metadata:ChunkStorageMetadata torch.distributed.checkpoint.metadata:MetadataIndex
torch.distributed.checkpoint.metadata:StorageMeta torch.distributed.checkpoint.metadata:TensorProperties
torch.distributed.checkpoint.metadata:TensorStorageMetadata torch.distributed.checkpoint.metadata:_MEM_FORMAT_ENCODING
torch.distributed.checkpoint.filesystem:_StorageInfo torch.distributed.checkpoint.planner:WriteItemType
torch.distributed.checkpoint.planner:LoadItemType torch.distributed.checkpoint.metadata:StorageMetadata
fastcore.transform:Pipeline fastcore.transform:Transform fastcore.transform:ItemTransform
fastcore.transform:DisplayedTransform fastcore.foundation:L fasttransform.transform:Pipeline
fasttransform.transform:Transform fasttransform.transform:ItemTransform fasttransform.transform:DisplayedTransform
gensim.models.keyedvectors:Vocab gensim.models.word2vec:Vocab gensim.models.doc2vec:DocvecsArray
gensim.models.keyedvectors:EuclideanKeyedVectors gensim.models.keyedvectors:Word2VecKeyedVectors
gensim.models.keyedvectors:FastTextKeyedVectors gensim.models.keyedvectors:Doc2VecKeyedVectors
gensim.models.keyedvectors:BaseKeyedVectors gensim.models.keyedvectors:WordEmbeddingsKeyedVectors
gensim.models.word2vec:Word2VecVocab gensim.models.word2vec:Word2VecTrainables gensim.models.doc2vec:Doctag
gensim.models.doc2vec:Doc2VecVocab gensim.models.doc2vec:Doc2VecTrainables
gensim.models.wrappers.fasttext:FastTextKeyedVectors gensim.models.wrappers.fasttext:FastText
gensim.models.fasttext:FastTextVocab gensim.models.fasttext:FastTextTrainables
gensim.models.phrases:original_scorer gensim.models.phrases:npmi_scorer
gensim.models.tfidfmodel:smartirs_wlocal gensim.models.tfidfmodel:smartirs_wglobal
gensim.models.tfidfmodel:smartirs_normalize gensim.models.tfidfmodel:df2idf
statsmodels.tools.decorators:ResettableCache gensim.similarities.docsim:MatrixSimilarity
gensim.similarities.docsim:SparseMatrixSimilarity gensim.utils:SaveLoad
networkx.classes.graph:Graph networkx.classes.digraph:DiGraph networkx.classes.multigraph:MultiGraph
networkx.classes.multidigraph:MultiDiGraph
"""


def explicit() -> Pairs:
    out: Pairs = set()
    for tok in EXPLICIT.split():
        mod, _, name = tok.partition(":")
        out.add((mod, name))
    return out


def harvest() -> Pairs:
    return real_objects() | ast_classes()


def check_pins() -> list[str]:
    from importlib import metadata

    out = []
    for dist, want in PINS.items():
        try:
            have = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        if have.split("+")[0] != want:
            out.append(f"{dist} {have} installed, the bundled list was harvested from {want}")
    return out
