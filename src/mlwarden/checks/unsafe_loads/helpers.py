"""Well-known third-party helpers that unpickle or download what they are given (data table).

Each entry: the qualified name the resolver gives the callee (``from ultralytics.utils.patches import
torch_load`` -> ``ultralytics.utils.patches.torch_load``), then (kind, position and keyword of the argument
that names the file or URL, the keyword that makes it safe or verified, what the helper does).

* ``unpickle``: the helper ``torch.load``s (without ``weights_only=True``) or unpickles the file. Reported as
  MLW101 ``torch-load-unsafe`` (MLW103 ``pickle-load`` for ``pickle``), severity from where the file comes
  from, like ``torch.load`` itself; ``torch_default`` helpers leave ``weights_only`` to torch's default, so
  they are informational on a project pinned to torch >= 2.6. ``safe`` names the keyword that turns it off
  when true (``weights_only``).
* ``download``: the helper downloads the URL and verifies nothing unless ``safe`` is passed (a hash).
  Reported as MLW206 ``download-unverified`` (MLW205 ``insecure-download`` for plain http).

Suffix entries (``*.load_from_checkpoint``) match any class deriving from the named base.
"""

from __future__ import annotations

from typing import NamedTuple


class Helper(NamedTuple):
    kind: str  # "unpickle" | "pickle" | "download"
    pos: int | None
    keyword: str | None
    safe: str | None
    what: str
    torch_default: bool = False  # calls torch.load without weights_only: safe by default on torch >= 2.6


_ULTRA_LOAD = "ultralytics' {name} calls torch.load with weights_only=False"
_MM_CKPT = ("{name} torch.loads the checkpoint (and downloads http(s)://, open-mmlab://, torchvision:// "
            "names first)")
_LOAD_URL = "{name} downloads the URL with no checksum check"

HELPERS: dict[str, Helper] = {
    # ultralytics / YOLOv5-v8
    "ultralytics.utils.patches.torch_load": Helper("unpickle", 0, "f", None, _ULTRA_LOAD),
    "ultralytics.nn.tasks.torch_safe_load": Helper("unpickle", 0, "weight", None, _ULTRA_LOAD),
    "ultralytics.nn.tasks.attempt_load_weights": Helper("unpickle", 0, "weights", None, _ULTRA_LOAD),
    "ultralytics.nn.tasks.attempt_load_one_weight": Helper("unpickle", 0, "weight", None, _ULTRA_LOAD),
    # OpenMMLab
    "mmcv.runner.load_checkpoint": Helper("unpickle", 1, "filename", None, _MM_CKPT, True),
    "mmcv.runner.checkpoint.load_checkpoint": Helper("unpickle", 1, "filename", None, _MM_CKPT, True),
    "mmcv.runner._load_checkpoint": Helper("unpickle", 0, "filename", None, _MM_CKPT, True),
    "mmcv.runner.checkpoint._load_checkpoint": Helper("unpickle", 0, "filename", None, _MM_CKPT, True),
    "mmcv.runner.CheckpointLoader.load_checkpoint": Helper("unpickle", 0, "filename", None, _MM_CKPT, True),
    "mmengine.runner.load_checkpoint": Helper("unpickle", 1, "filename", None, _MM_CKPT, True),
    "mmengine.runner.checkpoint.load_checkpoint": Helper("unpickle", 1, "filename", None, _MM_CKPT, True),
    "mmengine.runner.checkpoint._load_checkpoint": Helper("unpickle", 0, "filename", None, _MM_CKPT, True),
    "mmengine.runner.CheckpointLoader.load_checkpoint": Helper("unpickle", 0, "filename", None, _MM_CKPT,
                                                               True),
    "mmdet.apis.init_detector": Helper("unpickle", 1, "checkpoint", None, _MM_CKPT, True),
    "mmseg.apis.init_model": Helper("unpickle", 1, "checkpoint", None, _MM_CKPT, True),
    "mmseg.apis.init_segmentor": Helper("unpickle", 1, "checkpoint", None, _MM_CKPT, True),
    "mmpose.apis.init_model": Helper("unpickle", 1, "checkpoint", None, _MM_CKPT, True),
    "mmcv.load": Helper("pickle", 0, "file", None, "{name} unpickles .pkl/.pickle files"),
    "mmcv.fileio.load": Helper("pickle", 0, "file", None, "{name} unpickles .pkl/.pickle files"),
    "mmengine.load": Helper("pickle", 0, "file", None, "{name} unpickles .pkl/.pickle files"),
    "mmengine.fileio.load": Helper("pickle", 0, "file", None, "{name} unpickles .pkl/.pickle files"),
    # timm
    "timm.models.load_checkpoint": Helper("unpickle", 1, "checkpoint_path", None,
                                          "{name} torch.loads the checkpoint file", True),
    "timm.models.helpers.load_checkpoint": Helper("unpickle", 1, "checkpoint_path", None,
                                                  "{name} torch.loads the checkpoint file", True),
    "timm.models._helpers.load_checkpoint": Helper("unpickle", 1, "checkpoint_path", None,
                                                   "{name} torch.loads the checkpoint file", True),
    # fastai
    "fastai.learner.load_learner": Helper("unpickle", 0, "fname", None,
                                          "{name} unpickles a whole Learner (weights_only=False)"),
    "fastai.basics.load_learner": Helper("unpickle", 0, "fname", None,
                                         "{name} unpickles a whole Learner (weights_only=False)"),
    "fastai.vision.all.load_learner": Helper("unpickle", 0, "fname", None,
                                             "{name} unpickles a whole Learner (weights_only=False)"),
    "fastai.text.all.load_learner": Helper("unpickle", 0, "fname", None,
                                           "{name} unpickles a whole Learner (weights_only=False)"),
    "fastai.tabular.all.load_learner": Helper("unpickle", 0, "fname", None,
                                              "{name} unpickles a whole Learner (weights_only=False)"),
    # downloads without a hash
    "basicsr.utils.download_util.load_file_from_url": Helper("download", 0, "url", None, _LOAD_URL),
    "basicsr.utils.load_file_from_url": Helper("download", 0, "url", None, _LOAD_URL),
    "facexlib.utils.load_file_from_url": Helper("download", 0, "url", None, _LOAD_URL),
    "facexlib.utils.misc.load_file_from_url": Helper("download", 0, "url", None, _LOAD_URL),
    "torchvision.datasets.utils.download_file_from_google_drive": Helper(
        "download", 0, "file_id", "md5", "{name} downloads a Google Drive file with no checksum check"),
    "timm.models.load_state_dict_from_url": Helper("download", 0, "url", "check_hash", _LOAD_URL),
    "timm.models._hub.download_cached_file": Helper("download", 0, "url", "check_hash", _LOAD_URL),
    "timm.models.hub.download_cached_file": Helper("download", 0, "url", "check_hash", _LOAD_URL),
    "torch.hub.download_url_to_file": Helper("download", 0, "url", "hash_prefix", _LOAD_URL),
}

# callee suffix -> (root packages of the base class, helper)
SUFFIX_HELPERS: dict[str, tuple[tuple[str, ...], Helper]] = {
    ".load_from_checkpoint": (("pytorch_lightning", "lightning"), Helper(
        "unpickle", 0, "checkpoint_path", "weights_only",
        "Lightning {name} torch.loads the checkpoint", True)),
}

# method and function names worth resolving for these helpers
HELPER_ATTRS = frozenset({q.rsplit(".", 1)[-1] for q in HELPERS} | {s[1:] for s in SUFFIX_HELPERS})


def find(quals: tuple[str, ...]) -> tuple[str, Helper] | None:
    """The helper a callee's qualified names denote, if any."""
    for q in quals:
        h = HELPERS.get(q)
        if h is not None:
            return q, h
        for suffix, (roots, helper) in SUFFIX_HELPERS.items():
            if q.endswith(suffix) and q.split(".", 1)[0] in roots:
                return q, helper
    return None
