"""Regenerate ``src/mlwarden/data/pickle_allowlist.txt`` from real libraries.

    python tests/models/harvest_allowlist.py            # rewrite the bundled allowlist
    python tests/models/harvest_allowlist.py --check    # exit 1 if harvested globals are missing

It pickles real objects (torch checkpoints and modules, numpy arrays, scikit-learn estimators fitted on
tiny data, joblib dumps, pandas frames, scipy sparse matrices) with several protocols, collects every
global they reference with mlwarden's own opcode walker (nothing is unpickled), adds classes enumerated
from the libraries (every torch.nn module, every scikit-learn estimator, torchvision's model and op classes
read with ``ast`` when torchvision is importable) and a curated base list, drops
anything the denylist calls dangerous, and writes the sorted exact ``module:qualname`` pairs.
The scanner itself only reads the generated file: verdicts never depend on what is installed.
"""

from __future__ import annotations

import argparse
import io
import pickle
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mlwarden.checks.models.classify import dangerous_reason
from mlwarden.checks.models.pickle_vm import PickleVM

OUT = Path(__file__).resolve().parents[2] / "src" / "mlwarden" / "data" / "pickle_allowlist.txt"
OUT_OBJECTS = OUT.with_name("pickle_object_allowlist.txt")

BASE = """
# builtins that only build plain values
builtins:set builtins:frozenset builtins:bytearray builtins:slice builtins:complex builtins:range
builtins:list builtins:dict builtins:tuple builtins:int builtins:float builtins:bool builtins:str
builtins:bytes builtins:NoneType builtins:Ellipsis builtins:NotImplemented builtins:object
collections:OrderedDict collections:defaultdict collections:deque collections:Counter collections:ChainMap
collections:UserDict collections:UserList
copyreg:_reconstructor copyreg:__newobj__ copyreg:__newobj_ex__ copyreg:_reconstructor
_codecs:encode codecs:encode
datetime:datetime datetime:date datetime:time datetime:timedelta datetime:timezone
decimal:Decimal fractions:Fraction uuid:UUID uuid:SafeUUID re:_compile
argparse:Namespace types:SimpleNamespace
pathlib:Path pathlib:PosixPath pathlib:WindowsPath pathlib:PurePath pathlib:PurePosixPath
pathlib:PureWindowsPath pathlib._local:PosixPath pathlib._local:WindowsPath pathlib._local:Path
pathlib._local:PurePosixPath pathlib._local:PureWindowsPath
enum:Enum enum:IntEnum enum:Flag enum:IntFlag
# xgboost / lightgbm / catboost estimators
xgboost.sklearn:XGBClassifier xgboost.sklearn:XGBRegressor xgboost.sklearn:XGBRanker
xgboost.sklearn:XGBRFClassifier xgboost.sklearn:XGBRFRegressor xgboost.sklearn:XGBModel
xgboost.core:Booster xgboost.core:DMatrix
lightgbm.sklearn:LGBMClassifier lightgbm.sklearn:LGBMRegressor lightgbm.sklearn:LGBMRanker
lightgbm.sklearn:LGBMModel lightgbm.basic:Booster
xgboost.compat:XGBoostLabelEncoder lightgbm.compat:_LGBMLabelEncoder lightgbm.sklearn:_LGBMLabelEncoder
catboost.core:CatBoostClassifier catboost.core:CatBoostRegressor catboost.core:CatBoost
# Hugging Face training_args.bin and friends (dataclasses and enums)
transformers.training_args:TrainingArguments transformers.training_args_seq2seq:Seq2SeqTrainingArguments
transformers.training_args:OptimizerNames transformers.trainer_utils:IntervalStrategy
transformers.trainer_utils:SchedulerType transformers.trainer_utils:HubStrategy
transformers.trainer_utils:SaveStrategy transformers.trainer_utils:EvaluationStrategy
transformers.trainer_utils:FSDPOption transformers.debug_utils:DebugOption
transformers.utils.generic:PaddingStrategy transformers.utils.generic:ExplicitEnum
transformers.generation.configuration_utils:GenerationConfig
transformers.trainer_pt_utils:AcceleratorConfig transformers.training_args:ParallelMode
accelerate.utils.dataclasses:DistributedType accelerate.state:PartialState
trl.trainer.sft_config:SFTConfig trl.trainer.dpo_config:DPOConfig peft.utils.peft_types:TaskType
peft.utils.peft_types:PeftType
# Lightning checkpoints and Hydra/OmegaConf hyper-parameters
pytorch_lightning.utilities.parsing:AttributeDict lightning.pytorch.utilities.parsing:AttributeDict
lightning_fabric.utilities.data:AttributeDict lightning.fabric.utilities.data:AttributeDict
omegaconf.dictconfig:DictConfig omegaconf.listconfig:ListConfig omegaconf.base:ContainerMetadata
omegaconf.base:Metadata omegaconf.nodes:AnyNode omegaconf.nodes:StringNode omegaconf.nodes:IntegerNode
omegaconf.nodes:FloatNode omegaconf.nodes:BooleanNode omegaconf.nodes:ValueNode omegaconf.nodes:EnumNode
typing:Any
# pandas reconstruction
pandas.core.frame:DataFrame pandas.core.series:Series pandas.core.indexes.base:_new_Index
pandas.core.indexes.base:Index pandas.core.indexes.range:RangeIndex pandas.core.indexes.multi:MultiIndex
pandas.core.indexes.datetimes:DatetimeIndex pandas.core.indexes.datetimes:_new_DatetimeIndex
pandas.core.indexes.category:CategoricalIndex pandas.core.indexes.period:PeriodIndex
pandas.core.indexes.timedeltas:TimedeltaIndex pandas.core.internals.managers:BlockManager
pandas.core.internals.managers:SingleBlockManager pandas._libs.internals:_unpickle_block
pandas.core.internals.blocks:new_block pandas.core.arrays.categorical:Categorical
pandas._libs.tslibs.timestamps:_unpickle_timestamp pandas._libs.tslibs.timedeltas:_timedelta_unpickle
pandas._libs.tslibs.nattype:__nat_unpickle pandas.core.arrays.datetimes:DatetimeArray
pandas.core.arrays.timedeltas:TimedeltaArray pandas.core.arrays.string_:StringArray
pandas.core.arrays.integer:IntegerArray pandas.core.arrays.floating:FloatingArray
pandas.core.arrays.boolean:BooleanArray pandas.core.dtypes.dtypes:CategoricalDtype
pandas.core.dtypes.dtypes:DatetimeTZDtype pandas.core.arrays.string_:StringDtype
pandas.core.arrays.integer:Int64Dtype pandas.core.arrays.floating:Float64Dtype
pandas._libs.arrays:__pyx_unpickle_NDArrayBacked pandas._libs.tslibs.offsets:Day
pandas._libs.tslibs.offsets:Hour pandas._libs.tslibs.offsets:Minute pandas._libs.tslibs.offsets:Second
pandas._libs.tslibs.offsets:Milli pandas._libs.tslibs.offsets:Micro pandas._libs.tslibs.offsets:Nano
pandas._libs.tslibs.offsets:MonthEnd pandas._libs.tslibs.offsets:MonthBegin pandas._libs.tslibs.offsets:YearEnd
pandas._libs.tslibs.offsets:YearBegin pandas._libs.tslibs.offsets:QuarterEnd pandas._libs.tslibs.offsets:Week
pandas._libs.tslibs.offsets:QuarterBegin pandas._libs.tslibs.offsets:BusinessDay
pytz:_p pytz:_UTC dateutil.tz.tz:tzutc dateutil.tz.tz:tzoffset zoneinfo:ZoneInfo._unpickle
# scipy sparse matrices and arrays
scipy.sparse._csr:csr_matrix scipy.sparse._csc:csc_matrix scipy.sparse._coo:coo_matrix
scipy.sparse._csr:csr_array scipy.sparse._csc:csc_array scipy.sparse._coo:coo_array
scipy.sparse._lil:lil_matrix scipy.sparse._dok:dok_matrix scipy.sparse._bsr:bsr_matrix
scipy.sparse._dia:dia_matrix scipy.sparse.csr:csr_matrix scipy.sparse.csc:csc_matrix
scipy.sparse.coo:coo_matrix
# joblib containers
joblib.numpy_pickle:NumpyArrayWrapper joblib.numpy_pickle_compat:NDArrayWrapper
joblib.numpy_pickle_compat:ZNDArrayWrapper sklearn.externals.joblib.numpy_pickle:NumpyArrayWrapper
joblib.numpy_pickle:NDArrayWrapper joblib.numpy_pickle:ZNDArrayWrapper
sklearn.externals.joblib.numpy_pickle:NDArrayWrapper sklearn.externals.joblib.numpy_pickle:ZNDArrayWrapper
numpy.matrixlib.defmatrix:matrix numpy.matrixlib:matrix
# numpy reconstruction (both numpy 1 and numpy 2 module names)
numpy:ndarray numpy:dtype numpy:matrix numpy:bool_ numpy:float64 numpy:float32 numpy:int64 numpy:int32
numpy:int8 numpy:int16 numpy:uint8 numpy:uint16 numpy:uint32 numpy:uint64 numpy:float16 numpy:complex64
numpy:complex128 numpy:str_ numpy:bytes_ numpy:object_ numpy:longlong numpy:intc numpy:datetime64
numpy:timedelta64 numpy:longdouble numpy:generic numpy:number numpy:floating numpy:integer
numpy.core.multiarray:_reconstruct numpy._core.multiarray:_reconstruct numpy.core.multiarray:scalar
numpy._core.multiarray:scalar numpy.core.numeric:_frombuffer numpy._core.numeric:_frombuffer
numpy.ma.core:_mareconstruct numpy.ma.core:MaskedArray numpy.core.defchararray:chararray
numpy.random._pickle:__randomstate_ctor numpy.random._pickle:__bit_generator_ctor
numpy.random._pickle:__generator_ctor numpy.random.mtrand:RandomState numpy.random._generator:Generator
numpy.random._mt19937:MT19937 numpy.random._pcg64:PCG64 numpy.random._pcg64:PCG64DXSM
numpy.random._philox:Philox numpy.random._sfc64:SFC64 numpy.random.bit_generator:SeedSequence
# torch storages (torch.save's persistent ids) and rebuild helpers
torch._utils:_rebuild_tensor torch._utils:_rebuild_tensor_v2 torch._utils:_rebuild_tensor_v3
torch._utils:_rebuild_parameter torch._utils:_rebuild_parameter_with_state torch._utils:_rebuild_qtensor
torch._utils:_rebuild_sparse_tensor torch._utils:_rebuild_nested_tensor
torch._utils:_rebuild_meta_tensor_no_storage torch._utils:_rebuild_wrapper_subclass
torch._utils:_rebuild_device_tensor_from_numpy torch._utils:_rebuild_device_tensor_from_cpu_tensor
torch._utils:_rebuild_xla_tensor torch._utils:_rebuild_mps_tensor torch._tensor:_rebuild_from_type
torch._tensor:_rebuild_from_type_v2 torch.storage:_load_from_bytes torch:Size torch:device torch:Tensor
torch.nn.parameter:Parameter torch.nn.parameter:Buffer torch.nn.parameter:UninitializedParameter
torch.nn.parameter:UninitializedBuffer torch.serialization:_get_layout torch._tensor:Tensor
torch.storage:TypedStorage torch.storage:UntypedStorage torch:FloatStorage torch:DoubleStorage
torch:HalfStorage torch:BFloat16Storage torch:LongStorage torch:IntStorage torch:ShortStorage
torch:CharStorage torch:ByteStorage torch:BoolStorage torch:ComplexFloatStorage torch:ComplexDoubleStorage
torch:QInt8Storage torch:QUInt8Storage torch:QInt32Storage torch:QUInt4x2Storage torch:QUInt2x4Storage
torch:strided torch:sparse_coo torch:sparse_csr torch:sparse_csc torch:sparse_bsr torch:sparse_bsc
torch:_mkldnn torch:contiguous_format torch:channels_last torch:channels_last_3d torch:preserve_format
torch.nn.modules.module:_IncompatibleKeys torch.utils.hooks:RemovableHandle
torch.utils.checkpoint:CheckpointPolicy torch.amp.grad_scaler:GradScaler torch.cuda.amp.grad_scaler:GradScaler
torch.optim.optimizer:_RequiredParameter torch.torch_version:TorchVersion
pytorch_lightning.callbacks.model_checkpoint:ModelCheckpoint
# TorchScript archives (torch.jit.load's restricted unpickler)
torch.jit._pickle:build_boollist torch.jit._pickle:build_doublelist torch.jit._pickle:build_intlist
torch.jit._pickle:build_tensor_from_id torch.jit._pickle:build_tensorlist torch.jit._pickle:restore_type_tag
# red-team benign pass (tests/models/test_redteam.py): pandas extension arrays and dtypes, tz-aware stamps
pandas.arrays:ArrowExtensionArray pandas.arrays:ArrowStringArray pandas.arrays:BooleanArray
pandas.arrays:Categorical pandas.arrays:DatetimeArray pandas.arrays:FloatingArray pandas.arrays:IntegerArray
pandas.arrays:IntervalArray pandas.arrays:NumpyExtensionArray pandas.arrays:PeriodArray pandas.arrays:SparseArray
pandas.arrays:StringArray pandas.arrays:TimedeltaArray pandas:BooleanDtype pandas:DatetimeTZDtype
pandas:Int8Dtype pandas:Int16Dtype pandas:Int32Dtype pandas:Int64Dtype pandas:UInt8Dtype pandas:UInt16Dtype
pandas:UInt32Dtype pandas:UInt64Dtype pandas:Float32Dtype pandas:Float64Dtype pandas:IntervalDtype
pandas:PeriodDtype pandas:SparseDtype pandas:NA pandas:NaT pandas:Interval pandas:Period pandas:Timestamp
pandas:Timedelta pandas:CategoricalIndex pandas:IntervalIndex pandas:PeriodIndex pandas:TimedeltaIndex
pandas._libs.interval:__pyx_unpickle_IntervalMixin pandas._libs.sparse:IntIndex pandas._libs.sparse:BlockIndex
pandas._libs.tslibs.nattype:_nat_unpickle zoneinfo:ZoneInfo zoneinfo:ZoneInfo._unpickle
# whole-module pickles: weight/spectral norm hooks, packed sequences, SWA wrappers
torch.nn.utils.weight_norm:WeightNorm torch.nn.utils.spectral_norm:SpectralNorm
torch.nn.utils.spectral_norm:SpectralNormLoadStateDictPreHook
torch.nn.utils.spectral_norm:SpectralNormStateDictHook torch.nn.modules.module:_WrappedHook
torch.nn.utils.rnn:PackedSequence torch.optim.swa_utils:AveragedModel torch.optim.swa_utils:SWALR
# static scale functions a pickled CyclicLR reaches as getattr(CyclicLR, name)
torch.optim.lr_scheduler:CyclicLR._triangular_scale_fn torch.optim.lr_scheduler:CyclicLR._triangular2_scale_fn
torch.optim.lr_scheduler:CyclicLR._exp_range_scale_fn
# numpy record arrays, StringDType, ufuncs FunctionTransformer wraps
numpy.rec:recarray numpy:record numpy:recarray numpy._core._internal:_convert_to_stringdtype_kwargs
numpy.core._internal:_convert_to_stringdtype_kwargs numpy:log1p numpy:expm1 numpy:log numpy:exp
numpy:sqrt numpy:square numpy:abs numpy:absolute numpy:sign numpy:tanh numpy:arcsinh numpy:log2 numpy:log10
# scipy trees; scikit-learn calibration, kernels, CV splitters and scorers
scipy.spatial._ckdtree:cKDTree scipy.spatial._kdtree:KDTree scipy.spatial.ckdtree:cKDTree scipy.spatial.kdtree:KDTree
sklearn.calibration:_CalibratedClassifier sklearn.calibration:_SigmoidCalibration
sklearn.gaussian_process.kernels:CompoundKernel sklearn.gaussian_process.kernels:ConstantKernel
sklearn.gaussian_process.kernels:DotProduct sklearn.gaussian_process.kernels:ExpSineSquared
sklearn.gaussian_process.kernels:Exponentiation sklearn.gaussian_process.kernels:Hyperparameter
sklearn.gaussian_process.kernels:Matern sklearn.gaussian_process.kernels:PairwiseKernel
sklearn.gaussian_process.kernels:Product sklearn.gaussian_process.kernels:RBF
sklearn.gaussian_process.kernels:RationalQuadratic sklearn.gaussian_process.kernels:Sum
sklearn.gaussian_process.kernels:WhiteKernel
sklearn.model_selection._split:GroupKFold sklearn.model_selection._split:GroupShuffleSplit
sklearn.model_selection._split:KFold sklearn.model_selection._split:LeaveOneGroupOut
sklearn.model_selection._split:LeaveOneOut sklearn.model_selection._split:LeavePGroupsOut
sklearn.model_selection._split:LeavePOut sklearn.model_selection._split:PredefinedSplit
sklearn.model_selection._split:RepeatedKFold sklearn.model_selection._split:RepeatedStratifiedKFold
sklearn.model_selection._split:ShuffleSplit sklearn.model_selection._split:StratifiedGroupKFold
sklearn.model_selection._split:StratifiedKFold sklearn.model_selection._split:StratifiedShuffleSplit
sklearn.model_selection._split:TimeSeriesSplit sklearn.model_selection._split:_CVIterableWrapper
sklearn.metrics._scorer:_PassthroughScorer sklearn.metrics._scorer:_Scorer
sklearn.metrics._scorer:_MultimetricScorer sklearn.metrics._scorer:_CurveScorer
sklearn.metrics._classification:accuracy_score sklearn.metrics._classification:f1_score
sklearn.metrics._regression:r2_score sklearn.metrics._regression:mean_squared_error
# data containers under module paths whose neighbours are gadgets (sklearn.datasets downloads files);
# numpy's reconstruct helper as the oldest numpy releases named it (numpy's own py2 test pickles)
sklearn.datasets.base:Bunch sklearn.datasets._base:Bunch numpy.core._internal:_reconstruct
sklearn.metrics._ranking:roc_auc_score sklearn.metrics._classification:log_loss
"""


def harvest_pickles() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def collect(data: bytes) -> None:
        res = PickleVM(data, len(data)).run(0)
        assert res.complete, res.errors
        for key in res.globals:
            found.add(key)

    objs: list[Any] = []
    import collections
    import datetime

    import numpy as np

    objs += [
        np.arange(10),
        np.zeros((3, 4), dtype=np.float32),
        np.array(["a", "bc"]),
        np.array([1, "x", None], dtype=object),
        np.float64(1.5),
        np.int64(3),
        np.bool_(True),
        np.ma.masked_array([1, 2, 3], mask=[0, 1, 0]),
        np.random.RandomState(0),
        np.random.default_rng(0),
        np.dtype([("a", "f4"), ("b", "i8")]),
        np.array(["2020-01-01"], dtype="datetime64[ns]"),
        np.array([1 + 2j]),
        np.array([1.0], dtype=np.float16),
        np.array([True]),
        np.int32(1),
        np.float32(2),
    ]
    objs += [
        collections.OrderedDict(a=1),
        collections.defaultdict(list),
        collections.Counter("ab"),
        datetime.datetime(2020, 1, 1),
        datetime.date(2020, 1, 1),
        datetime.timedelta(1),
        {1, 2},
        frozenset({3}),
        bytearray(b"x"),
        slice(1, 2),
        complex(1, 2),
        range(3),
    ]
    for o in objs:
        for proto in (0, 2, 4, 5):
            collect(pickle.dumps(o, protocol=proto))

    try:
        import pandas as pd

        frames = [
            pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5], "c": ["x", "y"]}),
            pd.Series([1, 2, 3], index=pd.date_range("2020-01-01", periods=3)),
            pd.DataFrame({"t": pd.to_datetime(["2020-01-01"]), "c": pd.Categorical(["a"])}),
            pd.Index([1, 2]),
            pd.MultiIndex.from_tuples([(1, "a")]),
            pd.Timestamp("2020-01-01"),
            pd.Timedelta(days=1),
        ]
        for o in frames:
            for proto in (2, 4, 5):
                collect(pickle.dumps(o, protocol=proto))
    except ImportError:
        print("pandas not installed: skipped", file=sys.stderr)

    import scipy.sparse as sp

    for o in (
        sp.csr_matrix(np.eye(3)),
        sp.csc_matrix(np.eye(3)),
        sp.coo_matrix(np.eye(3)),
        sp.csr_array(np.eye(2)),
    ):
        collect(pickle.dumps(o, protocol=4))

    for est in sklearn_estimators():
        for proto in (2, 4, 5):
            collect(pickle.dumps(est, protocol=proto))
        import joblib

        for compress in (0,):
            buf = io.BytesIO()
            joblib.dump(est, buf, compress=compress)
            data = buf.getvalue()
            res = PickleVM(data, len(data)).run(0)
            assert res.complete, res.errors
            found.update(res.globals)

    try:
        found |= harvest_torch()
    except ImportError:
        print("torch not installed: skipped", file=sys.stderr)
    return found


def sklearn_estimators() -> list[Any]:
    import numpy as np
    from sklearn.cluster import DBSCAN, KMeans, MiniBatchKMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA, TruncatedSVD
    from sklearn.ensemble import (
        AdaBoostClassifier,
        ExtraTreesClassifier,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        IsolationForest,
        RandomForestClassifier,
        RandomForestRegressor,
        VotingClassifier,
    )
    from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge, SGDClassifier
    from sklearn.naive_bayes import GaussianNB, MultinomialNB
    from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import (
        LabelEncoder,
        MinMaxScaler,
        OneHotEncoder,
        OrdinalEncoder,
        PolynomialFeatures,
        StandardScaler,
    )
    from sklearn.svm import SVC, SVR, LinearSVC
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    rng = np.random.RandomState(0)
    X = rng.rand(60, 4)
    y = (X[:, 0] > 0.5).astype(int)
    y3 = rng.randint(0, 3, 60)
    yr = X @ np.arange(4)
    texts = ["the cat sat", "a dog ran", "cats and dogs", "the end"] * 5
    yt = [0, 1, 1, 0] * 5
    out: list[Any] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for est in (
            LogisticRegression(),
            RandomForestClassifier(n_estimators=3),
            ExtraTreesClassifier(n_estimators=3),
            GradientBoostingClassifier(n_estimators=3),
            HistGradientBoostingClassifier(max_iter=3),
            AdaBoostClassifier(n_estimators=3),
            DecisionTreeClassifier(),
            SVC(probability=True),
            LinearSVC(),
            SGDClassifier(),
            KNeighborsClassifier(),
            GaussianNB(),
            MLPClassifier(max_iter=5),
            make_pipeline(StandardScaler(), LogisticRegression()),
            VotingClassifier([("a", LogisticRegression()), ("b", GaussianNB())]),
            IsolationForest(n_estimators=3),
        ):
            out.append(est.fit(X, y))
        out.append(LogisticRegression().fit(X, y3))
        out.append(GradientBoostingClassifier(n_estimators=3).fit(X, y3))
        out.append(HistGradientBoostingClassifier(max_iter=3).fit(X, y3))
        for est in (
            LinearRegression(),
            Ridge(),
            Lasso(),
            RandomForestRegressor(n_estimators=3),
            GradientBoostingRegressor(n_estimators=3),
            HistGradientBoostingRegressor(max_iter=3),
            DecisionTreeRegressor(),
            SVR(),
            MLPRegressor(max_iter=5),
        ):
            out.append(est.fit(X, yr))
        for est in (
            KMeans(n_clusters=2, n_init=1),
            MiniBatchKMeans(n_clusters=2, n_init=1),
            DBSCAN(),
            PCA(2),
            TruncatedSVD(2),
            StandardScaler(),
            MinMaxScaler(),
            PolynomialFeatures(),
            SimpleImputer(),
            NearestNeighbors(),
        ):
            out.append(est.fit(X))
        out.append(OneHotEncoder().fit([["a"], ["b"]]))
        out.append(OrdinalEncoder().fit([["a"], ["b"]]))
        out.append(LabelEncoder().fit(["a", "b"]))
        for vec in (TfidfVectorizer(), CountVectorizer(), HashingVectorizer()):
            out.append(vec.fit(texts))
        out.append(Pipeline([("tfidf", TfidfVectorizer()), ("clf", MultinomialNB())]).fit(texts, yt))
        out.append(Pipeline([("tfidf", TfidfVectorizer()), ("clf", LogisticRegression())]).fit(texts, yt))
        ct = ColumnTransformer([("num", StandardScaler(), [0, 1]), ("pass", "passthrough", [2])])
        out.append(ct.fit(X))
    return out


def harvest_torch() -> set[tuple[str, str]]:
    import torch
    import torch.nn as nn

    found: set[tuple[str, str]] = set()

    def collect_zip(data: bytes) -> None:
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                if name.endswith(".pkl"):
                    payload = zf.read(name)
                    res = PickleVM(payload, len(payload)).run(0)
                    assert res.complete, res.errors
                    found.update(res.globals)

    model = nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.BatchNorm2d(2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8, 4),
        nn.LayerNorm(4),
        nn.Dropout(),
        nn.Embedding(5, 4),
        nn.LSTM(4, 4),
        nn.GRU(4, 4),
        nn.MultiheadAttention(4, 2),
        nn.TransformerEncoderLayer(4, 2, 8),
    )
    opt = torch.optim.Adam(model.parameters())
    things: list[Any] = [
        model.state_dict(),
        model,
        {
            "model": model.state_dict(),
            "optim": opt.state_dict(),
            "epoch": 3,
            "dtype": torch.float16,
            "device": torch.device("cpu"),
        },
        torch.zeros(3, dtype=torch.bfloat16),
        torch.zeros(2).to_sparse(),
        torch.randn(2, 2).to_sparse_csr(),
        nn.Parameter(torch.ones(2)),
        torch.Size([2, 3]),
        [
            torch.zeros(1, dtype=d)
            for d in (
                torch.float32,
                torch.float64,
                torch.int64,
                torch.int8,
                torch.uint8,
                torch.bool,
                torch.complex64,
                torch.float16,
                torch.int32,
                torch.int16,
            )
        ],
    ]
    for t in things:
        buf = io.BytesIO()
        torch.save(t, buf)
        collect_zip(buf.getvalue())
        buf = io.BytesIO()
        torch.save(t, buf, _use_new_zipfile_serialization=False)
        data = buf.getvalue()
        pos = 0
        for _ in range(4):
            res = PickleVM(data, len(data)).run(pos)
            assert res.complete, res.errors
            found.update(res.globals)
            pos = res.end
    # every module, loss, optimizer and scheduler class a full-model checkpoint can reference
    import inspect

    for mod in (torch.nn.modules, torch.optim, torch.optim.lr_scheduler, torch.distributions):
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if obj.__module__.startswith("torch."):
                found.add((obj.__module__, obj.__qualname__))
    import torch._weights_only_unpickler as wo

    for key, value in wo._get_allowed_globals().items():
        mod, _, name = key.rpartition(".")
        found.add((mod, name))
        del value
    for name in dir(torch):
        if isinstance(
            getattr(torch, name, None), (torch.dtype, torch.layout, torch.memory_format, torch.qscheme)
        ):
            found.add(("torch", name))
    return found


def torchvision_classes() -> set[tuple[str, str]]:
    """Classes defined in torchvision's models and ops (what ``torch.save(model)`` of a torchvision model
    references), read with ``ast`` from its sources: nothing is imported."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        print("torchvision not found: skipped", file=sys.stderr)
        return set()
    root = Path(next(iter(spec.submodule_search_locations)))
    out: set[tuple[str, str]] = set()
    for sub in ("models", "ops"):
        for py in sorted((root / sub).rglob("*.py")):
            rel = py.relative_to(root.parent).with_suffix("")
            module = ".".join(rel.parts)
            if module.endswith(".__init__"):
                module = module[: -len(".__init__")]
            tree = ast.parse(py.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and not node.name.endswith("_Weights"):
                    out.add((module, node.name))
    return out


def sklearn_classes() -> set[tuple[str, str]]:
    from sklearn.utils import all_estimators

    out = set()
    for _, cls in all_estimators():
        out.add((cls.__module__, cls.__qualname__))
    return out


def aliases(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Module paths older releases pickled the same classes under: numpy 1 <-> 2 (``numpy.core`` /
    ``numpy._core``) and scikit-learn < 0.22 (public ``sklearn.ensemble.forest`` for ``_forest``)."""
    out: set[tuple[str, str]] = set()
    for mod, name in pairs:
        if mod.startswith("numpy._core"):
            out.add(("numpy.core" + mod[len("numpy._core") :], name))
        elif mod.startswith("numpy.core"):
            out.add(("numpy._core" + mod[len("numpy.core") :], name))
        if mod.startswith("sklearn.") and "._" in mod and "._loss" not in mod:
            public = ".".join(p.lstrip("_") if i > 0 else p for i, p in enumerate(mod.split(".")))
            if not dangerous_reason(public, name):
                out.add((public, name))
    return out


OLD_SKLEARN = """
sklearn.ensemble._gb_losses:BinomialDeviance sklearn.ensemble._gb_losses:MultinomialDeviance
sklearn.ensemble._gb_losses:LeastSquaresError sklearn.ensemble._gb_losses:LeastAbsoluteError
sklearn.ensemble._gb_losses:HuberLossFunction sklearn.ensemble._gb_losses:QuantileLossFunction
sklearn.ensemble._gb_losses:ExponentialLoss sklearn.ensemble.gradient_boosting:BinomialDeviance
sklearn.ensemble.gradient_boosting:MultinomialDeviance sklearn.ensemble.gradient_boosting:LeastSquaresError
sklearn.ensemble.gradient_boosting:PriorProbabilityEstimator sklearn.ensemble.gradient_boosting:LogOddsEstimator
sklearn.ensemble.gradient_boosting:MeanEstimator sklearn.ensemble.gradient_boosting:ScaledLogOddsEstimator
sklearn.utils._bunch:Bunch sklearn.utils:Bunch sklearn.neighbors._ball_tree:BallTree
sklearn.neighbors.ball_tree:BallTree sklearn.neighbors.kd_tree:KDTree sklearn.neighbors._kd_tree:KDTree
sklearn.tree._tree:Tree sklearn.neighbors._ball_tree:newObj sklearn.neighbors._kd_tree:newObj
sklearn.neighbors._dist_metrics:EuclideanDistance sklearn.neighbors._dist_metrics:newObj
sklearn.neighbors._dist_metrics:ManhattanDistance sklearn.neighbors._dist_metrics:MinkowskiDistance
sklearn.metrics._dist_metrics:EuclideanDistance sklearn.metrics._dist_metrics:ManhattanDistance
sklearn.metrics._dist_metrics:MinkowskiDistance sklearn.metrics._dist_metrics:newObj
sklearn.neighbors.dist_metrics:EuclideanDistance sklearn.neighbors.dist_metrics:newObj
sklearn.tree._tree:Tree sklearn.tree.tree:DecisionTreeClassifier sklearn.tree.tree:DecisionTreeRegressor
sklearn.ensemble._hist_gradient_boosting.binning:_BinMapper
sklearn.ensemble._hist_gradient_boosting.predictor:TreePredictor
sklearn.ensemble._hist_gradient_boosting.loss:BinaryCrossEntropy
sklearn.ensemble._hist_gradient_boosting.loss:CategoricalCrossEntropy
sklearn.ensemble._hist_gradient_boosting.loss:LeastSquares
sklearn.ensemble._hist_gradient_boosting.loss:LeastAbsoluteDeviation
sklearn.feature_extraction.text:_VectorizerMixin sklearn.utils.deprecation:deprecated
pandas.core.indexes.numeric:Int64Index pandas.core.indexes.numeric:Float64Index
pandas.core.indexes.numeric:UInt64Index pandas.core.internals:BlockManager
pandas.core.internals.blocks:Block pandas.core.internals.blocks:ObjectBlock
pandas.core.internals.blocks:FloatBlock pandas.core.internals.blocks:IntBlock
pandas.core.internals.blocks:DatetimeTZBlock pandas.core.internals.blocks:CategoricalBlock
pandas.core.internals.blocks:NumpyBlock pandas.core.internals.blocks:DatetimeLikeBlock
pandas.core.internals.blocks:ExtensionBlock pandas._libs.tslibs.timestamps:Timestamp
pandas._libs.tslibs.timedeltas:Timedelta pandas.core.arrays.numpy_:PandasArray
pandas.core.arrays.numpy_:NumpyExtensionArray pandas.core.dtypes.dtypes:PeriodDtype
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    pairs: set[tuple[str, str]] = set()
    for line in BASE.splitlines():
        for tok in line.split("#", 1)[0].split():
            mod, _, name = tok.partition(":")
            pairs.add((mod, name))
    for line in OLD_SKLEARN.splitlines():
        for tok in line.split():
            mod, _, name = tok.partition(":")
            pairs.add((mod, name))
    vision = torchvision_classes()
    if not vision and OUT.exists():  # keep what an earlier run with torchvision available found
        vision = {
            (m, n)
            for m, _, n in (ln.partition(":") for ln in OUT.read_text().splitlines())
            if m.startswith("torchvision.")
        }
    from tests.models import harvest_ecosystem as eco

    for warning in eco.check_pins():
        print(f"warning: {warning}", file=sys.stderr)
    pairs |= eco.explicit()
    real = eco.real_objects()
    declared = eco.ast_classes()  # class definitions: safe as rebuilt objects only, never as calls
    # keep what an earlier run found for ecosystem packages not installed now
    have = {m.split(".", 1)[0] for m, _ in real | declared}
    for path, into in ((OUT, real), (OUT_OBJECTS, declared)):
        if path.exists():
            for m, _, n in (
                ln.partition(":") for ln in path.read_text().splitlines() if not ln.startswith("#")
            ):
                top = m.split(".", 1)[0]
                if top in eco.AST_SOURCES and top not in have:
                    into.add((m, n))
    harvested = harvest_pickles() | sklearn_classes() | vision | real
    rejected = sorted(p for p in harvested | declared if dangerous_reason(*p) and p not in pairs)
    for p in rejected:
        print(f"not allowlisted (dangerous): {p[0]}:{p[1]} ({dangerous_reason(*p)})", file=sys.stderr)
    pairs |= {p for p in harvested if p not in rejected}
    pairs |= aliases(pairs)
    objects = sorted(p for p in declared if p not in pairs and p not in rejected)
    lines = [f"{m}:{n}" for m, n in sorted(pairs)]
    if args.check:
        current = set(OUT.read_text().splitlines()) if OUT.exists() else set()
        missing = [x for x in lines if x not in current]
        print("\n".join(missing))
        return 1 if missing else 0
    header = (
        "# Exact module:qualname pairs real checkpoints and estimators need (scan-models allowlist).\n"
        "# Generated by tests/models/harvest_allowlist.py; edit BASE there, not this file.\n"
    )
    OUT.write_text(header + "\n".join(lines) + "\n")
    print(f"wrote {len(lines)} entries to {OUT}")
    OUT_OBJECTS.write_text(
        "# Classes read with ast from pinned ML libraries (tests/models/harvest_ecosystem.py): safe when a pickle\n"
        "# only rebuilds an object of them or passes them as a value; a call with arguments is still judged.\n"
        "# Generated by tests/models/harvest_allowlist.py; do not edit.\n"
        + "\n".join(f"{m}:{n}" for m, n in objects)
        + "\n"
    )
    print(f"wrote {len(objects)} entries to {OUT_OBJECTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
