"""check-unsafe-loads on excerpts of real ML code (shortened; the source repository is noted on each case).

Each case states the exact findings a security reviewer expects: (rule id, line[, severity]). A case with no
expected finding is a false positive the check must not produce. Notebook cases also pin the line and column
in the ``.ipynb`` text.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mlwarden.checks.unsafe_loads import hub_references, scan_file
from mlwarden.checks.unsafe_loads.torchver import TorchPins
from mlwarden.core.findings import Finding

C40 = "0123456789abcdef0123456789abcdef01234567"


def scan(tmp_path: Path, code: str, name: str = "mod.py", torch: str | None = None) -> list[Finding]:
    p = tmp_path / name
    p.write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    return list(scan_file(p, name, tmp_path, TorchPins(tmp_path, torch)))


def got(findings: list[Finding]) -> list[tuple[str, int, str]]:
    return sorted((f.rule.id, f.line or 0, (f.severity if f.severity is not None else f.rule.severity).label) for f in findings)


# (name, code, expected [(rule id, line, severity)])
CASES: list[tuple[str, str, list[tuple[str, int, str]]]] = [
    # huggingface/transformers examples/pytorch/text-classification/run_glue.py: dataclass options, the
    # revision defaults to "main" (a branch), trust_remote_code is a run-time option defaulting to False,
    # "csv"/"json" are packaged builders (local files), "glue" is a Hub dataset.
    ("transformers-run-glue", '''
        from dataclasses import dataclass, field
        from datasets import load_dataset
        from transformers import AutoConfig, AutoModelForSequenceClassification, HfArgumentParser


        @dataclass
        class ModelArguments:
            model_name_or_path: str = field(metadata={"help": "Path to pretrained model or model identifier"})
            model_revision: str = field(default="main", metadata={"help": "branch name, tag name or commit id"})
            trust_remote_code: bool = field(default=False)


        def main():
            model_args, data_args = HfArgumentParser((ModelArguments,)).parse_args_into_dataclasses()
            if data_args.task_name is not None:
                raw_datasets = load_dataset("glue", data_args.task_name, cache_dir=model_args.cache_dir)
            elif data_args.dataset_name is not None:
                raw_datasets = load_dataset(data_args.dataset_name, data_args.dataset_config_name)
            else:
                data_files = {"train": data_args.train_file, "validation": data_args.validation_file}
                raw_datasets = load_dataset("csv", data_files=data_files, cache_dir=model_args.cache_dir)
            config = AutoConfig.from_pretrained(
                model_args.config_name if model_args.config_name else model_args.model_name_or_path,
                revision=model_args.model_revision,
                trust_remote_code=model_args.trust_remote_code,
            )
            model = AutoModelForSequenceClassification.from_pretrained(
                model_args.model_name_or_path,
                from_tf=bool(".ckpt" in model_args.model_name_or_path),
                config=config,
                revision=model_args.model_revision,
                trust_remote_code=model_args.trust_remote_code,
            )
        ''', [("MLW201", 16, "medium"), ("MLW201", 22, "medium"), ("MLW201", 27, "medium")]),
    # the same script when the arguments class is imported: the revision cannot be resolved -> low unknown
    ("transformers-imported-args", '''
        from transformers import AutoModel
        from .args import ModelArguments


        def build(model_args: ModelArguments):
            return AutoModel.from_pretrained(model_args.model_name_or_path, revision=model_args.model_revision)
        ''', [("MLW202", 6, "low")]),
    # huggingface/diffusers examples/dreambooth/train_dreambooth.py: argparse default id, revision None
    ("diffusers-dreambooth-argparse", '''
        import argparse
        from diffusers import AutoencoderKL
        from transformers import CLIPTextModel


        def parse_args(input_args=None):
            parser = argparse.ArgumentParser(description="Simple example of a training script.")
            parser.add_argument("--pretrained_model_name_or_path", type=str, default="runwayml/stable-diffusion-v1-5")
            parser.add_argument("--revision", type=str, default=None, required=False)
            return parser.parse_args(input_args) if input_args is not None else parser.parse_args()


        def main(args):
            text_encoder = CLIPTextModel.from_pretrained(
                args.pretrained_model_name_or_path, subfolder="text_encoder", revision=args.revision
            )
            vae = AutoencoderKL.from_pretrained(args.pretrained_model_name_or_path, subfolder="vae",
                                                revision=args.revision)
        ''', [("MLW201", 14, "medium"), ("MLW201", 17, "medium")]),
    # argparse --revision default "main" is a branch: unpinned (not "unknown")
    ("argparse-revision-main", '''
        import argparse
        from transformers import AutoModelForCausalLM, AutoTokenizer

        parser = argparse.ArgumentParser()
        parser.add_argument("--model_name_or_path", type=str, default="meta-llama/Llama-2-7b-hf")
        parser.add_argument("--revision", type=str, default="main")
        args = parser.parse_args()
        tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path, revision=args.revision)
        model = AutoModelForCausalLM.from_pretrained(args.model_name_or_path, revision=args.revision)
        ''', [("MLW201", 8, "medium"), ("MLW201", 9, "medium")]),
    # openai/whisper whisper/__init__.py: the download is checked with sha256 (no MLW206); torch.load of
    # the checkpoint without weights_only is high on an unknown torch
    ("whisper-load-model", '''
        import hashlib
        import io
        import os
        import urllib.request

        import torch


        def _download(url, root, in_memory):
            expected_sha256 = url.split("/")[-2]
            download_target = os.path.join(root, os.path.basename(url))
            with urllib.request.urlopen(url) as source, open(download_target, "wb") as output:
                output.write(source.read())
            model_bytes = open(download_target, "rb").read()
            if hashlib.sha256(model_bytes).hexdigest() != expected_sha256:
                raise RuntimeError("SHA256 checksum does not match")
            return model_bytes if in_memory else download_target


        def load_model(name, device=None, download_root=None, in_memory=False):
            checkpoint_file = _download(_MODELS[name], download_root, in_memory)
            with (io.BytesIO(checkpoint_file) if in_memory else open(checkpoint_file, "rb")) as fp:
                checkpoint = torch.load(fp, map_location=device)
            return checkpoint
        ''', [("MLW101", 23, "high")]),
    # CompVis/stable-diffusion scripts/txt2img.py: torch.load(ckpt, map_location="cpu"); OmegaConf.load
    # parses YAML safely (not flagged)
    ("stable-diffusion-txt2img", '''
        import torch
        from omegaconf import OmegaConf
        from ldm.util import instantiate_from_config


        def load_model_from_config(config, ckpt, verbose=False):
            print(f"Loading model from {ckpt}")
            pl_sd = torch.load(ckpt, map_location="cpu")
            sd = pl_sd["state_dict"]
            model = instantiate_from_config(config.model)
            model.load_state_dict(sd, strict=False)
            return model


        config = OmegaConf.load("configs/stable-diffusion/v1-inference.yaml")
        model = load_model_from_config(config, "models/ldm/stable-diffusion-v1/model.ckpt")
        ''', [("MLW101", 8, "high")]),
    # ggerganov/llama.cpp convert scripts: torch.load(..., weights_only=True) is fine on a safe torch,
    # pickle.load of the legacy format is not
    ("llama-cpp-convert", '''
        import pickle
        from pathlib import Path

        import torch


        def lazy_load_file(path: Path):
            fp = open(path, "rb")
            first8 = fp.read(8)
            fp.seek(0)
            if first8[:2] == b"PK":
                return torch.load(fp, map_location="cpu", weights_only=True, mmap=True)
            return pickle.load(fp)
        ''', [("MLW103", 13, "high")]),
    # YAML loaders as written in training repos: SafeLoader via the yaml.loader module, via an alias and
    # via getattr(yaml, "CSafeLoader", ...) are safe; FullLoader is medium; CLoader/Loader are high
    ("yaml-config-loaders", '''
        import yaml
        import yaml as y
        from yaml import SafeLoader as SL

        try:
            from yaml import CLoader as Loader
        except ImportError:
            from yaml import Loader

        Safe = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


        def load_train_yaml(data_name, model_name):
            with open(f"configs/{data_name}/train_{model_name}.yaml") as f:
                a = yaml.load(f, Loader=yaml.loader.SafeLoader)
            with open("config.yaml") as f:
                b = yaml.load(f, Loader=yaml.FullLoader)
            with open("c.yaml") as f:
                c = y.load(f, SL)
            with open("d.yaml") as f:
                d = yaml.load(f, Loader=Loader)
            with open("e.yaml") as f:
                e = yaml.load(f, Loader=Safe)
            return a, b, c, d, e
        ''', [("MLW105", 17, "medium"), ("MLW105", 21, "high")]),
    # diffusers / peft / sentence-transformers / timm / transformers pipelines README snippets
    ("hub-libraries-readme", '''
        import timm
        import torch
        from diffusers import DiffusionPipeline, StableDiffusionPipeline
        from peft import PeftModel
        from sentence_transformers import SentenceTransformer
        from transformers import AutoModelForCausalLM, pipeline

        pipe = StableDiffusionPipeline.from_pretrained("runwayml/stable-diffusion-v1-5", torch_dtype=torch.float16)
        pipe.load_lora_weights("sayakpaul/sd-model-finetuned-lora-t4")
        base = AutoModelForCausalLM.from_pretrained("facebook/opt-350m")
        model = PeftModel.from_pretrained(base, "ybelkada/opt-350m-lora")
        emb = SentenceTransformer("all-MiniLM-L6-v2")
        m = timm.create_model("hf-hub:timm/vit_base_patch16_224.augreg_in21k", pretrained=True)
        clf = pipeline("sentiment-analysis", model="distilbert-base-uncased-finetuned-sst-2-english")
        local = AutoModelForCausalLM.from_pretrained("./output/checkpoint-500")
        pipe.save_pretrained("./sd-out")
        again = DiffusionPipeline.from_pretrained("./sd-out")
        ''', [("MLW201", 8, "medium"), ("MLW201", 9, "medium"), ("MLW201", 10, "medium"),
              ("MLW201", 11, "medium"), ("MLW201", 12, "medium"), ("MLW201", 13, "medium"),
              ("MLW201", 14, "medium")]),
    # pinned README snippet: nothing to report
    ("hub-pinned", f'''
        from transformers import AutoModel, AutoTokenizer
        REV = "{C40}"
        tok = AutoTokenizer.from_pretrained("bert-base-uncased", revision=REV)
        model = AutoModel.from_pretrained("bert-base-uncased", revision=REV)
        ''', []),
    # deepseek-ai model cards: trust_remote_code=True on an unpinned id -> one high finding with both facts
    ("deepseek-trust-remote-code", '''
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained("deepseek-ai/deepseek-coder-1.3b-base", trust_remote_code=True)
        model = AutoModelForCausalLM.from_pretrained("deepseek-ai/deepseek-coder-1.3b-base",
                                                     trust_remote_code=True).cuda()
        ''', [("MLW107", 2, "high"), ("MLW107", 3, "high")]),
    # torch.hub usage from ultralytics/yolov5, isl-org/MiDaS and facebookresearch/dinov2 READMEs
    ("torch-hub-readmes", '''
        import torch
        model = torch.hub.load("ultralytics/yolov5", "yolov5s", pretrained=True)
        midas = torch.hub.load("intel-isl/MiDaS", "MiDaS_small", trust_repo=True)
        dino = torch.hub.load("facebookresearch/dinov2:main", "dinov2_vits14")
        local = torch.hub.load("./yolov5", "custom", path="best.pt", source="local")
        sd = torch.hub.load_state_dict_from_url("https://download.pytorch.org/models/resnet18-f37072fd.pth")
        ''', [("MLW101", 6, "high"), ("MLW203", 2, "high"), ("MLW203", 3, "high"), ("MLW203", 4, "high"),
              ("MLW204", 3, "medium")]),
    # BUG (fixed): pytorch/vision-style weight loading from a URL. load_state_dict_from_url (and its alias
    # torch.utils.model_zoo.load_url) unpickle the download with weights_only=False by default on every torch
    # version, and were not reported at all; check_hash=True (hash-named file) lowers it to medium
    ("load-state-dict-from-url", '''
        import torch
        import torch.utils.model_zoo as model_zoo
        from torch.hub import load_state_dict_from_url

        model_urls = {"resnet18": "https://download.pytorch.org/models/resnet18-f37072fd.pth"}


        def resnet18(pretrained=False, progress=True):
            model = ResNet(BasicBlock, [2, 2, 2, 2])
            if pretrained:
                state_dict = load_state_dict_from_url(model_urls["resnet18"], progress=progress)
                model.load_state_dict(state_dict)
            return model


        legacy = model_zoo.load_url(model_urls["resnet18"])
        hashed = torch.hub.load_state_dict_from_url(model_urls["resnet18"], check_hash=True)
        safe = torch.hub.load_state_dict_from_url(model_urls["resnet18"], weights_only=True)
        ''', [("MLW101", 11, "high"), ("MLW101", 16, "high"), ("MLW101", 17, "medium")]),
    # huggingface_hub / datasets / pandas usage in course material
    ("hub-download-datasets", '''
        import datasets
        import pandas as pd
        from huggingface_hub import hf_hub_download, snapshot_download

        ORG = "TheBloke"
        NAME = "Llama-2-7B-GGUF"
        path = hf_hub_download(repo_id=f"{ORG}/{NAME}", filename="llama-2-7b.Q4_K_M.gguf")
        snap = snapshot_download(repo_id="stabilityai/stable-diffusion-xl-base-1.0", revision="v1.0")
        ds = datasets.load_dataset("squad", split="train")
        df = pd.read_csv("http://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data")
        ''', [("MLW201", 7, "medium"), ("MLW201", 8, "medium"), ("MLW201", 9, "medium"),
              ("MLW205", 10, "high")]),
    # local outputs and environment defaults in fine-tuning scripts: only the env default "main" is unpinned
    ("local-outputs-and-env", '''
        import os
        from transformers import AutoModel, AutoTokenizer


        def train(args):
            out = os.path.join(args.output_dir, "final")
            tok = AutoTokenizer.from_pretrained(out)
            mdl = AutoModel.from_pretrained(args.output_dir)
            env = AutoModel.from_pretrained("bert-base-cased", revision=os.environ.get("MODEL_REV", "main"))
            cached = AutoModel.from_pretrained("org/m", local_files_only=True)
            return tok, mdl, env, cached


        class Runner:
            def __init__(self, cfg):
                self.model = AutoModel.from_pretrained(cfg.model_path)
                self.model.load_state_dict(self.ckpt)
        ''', [("MLW201", 9, "medium")]),
    # coati (terray-tx/COATI) models/io: an Unpickler whose find_class returns a torch.load lambda;
    # a dill pickle_module checkpoint
    ("coati-unpickler", '''
        import pickle
        from io import BytesIO

        import dill
        import torch


        class CPU_Unpickler(pickle.Unpickler):
            def find_class(self, module, name):
                if module == "torch.storage" and name == "_load_from_bytes":
                    return lambda b: torch.load(BytesIO(b), map_location="cpu")
                return super().find_class(module, name)


        def load_model(model_path, device):
            return torch.load(model_path, map_location=device, pickle_module=dill)
        ''', [("MLW101", 11, "high"), ("MLW103", 8, "medium"), ("MLW103", 16, "high")]),
    # BUG (fixed): one model id per if/elif branch (a Kaggle code-ranking notebook exported to .py) used to
    # resolve to "unknown" and report nothing; each branch's id is a download
    ("branch-assigned-ids", '''
        import transformers as tx


        def get_model(config):
            if config.base_model == "codebert":
                model_path = "microsoft/codebert-base"
            elif config.base_model == "graphcodebert":
                model_path = "microsoft/graphcodebert-base"
            elif config.base_model == "codet5":
                model_path = "Salesforce/codet5-base"
            model = tx.AutoModel.from_pretrained(model_path)
            return model
        ''', [("MLW201", 11, "medium")] * 3),
    # BUG (fixed): a conditional expression between two Hub ids (whisper demos on CPU vs GPU)
    ("ifexp-model-id", '''
        import torch
        from transformers import AutoModelForSpeechSeq2Seq, pipeline

        model_id = "openai/whisper-large-v3" if torch.cuda.is_available() else "openai/whisper-tiny"
        model = AutoModelForSpeechSeq2Seq.from_pretrained(model_id, use_safetensors=True)
        asr = pipeline("automatic-speech-recognition", model="./whisper-local" if False else "./whisper-out")
        ''', [("MLW201", 5, "medium"), ("MLW201", 5, "medium")]),
    # a conditional revision: pinned only when every branch is a commit
    ("ifexp-revision", f'''
        import os
        from transformers import AutoModel
        DEV = os.environ.get("DEV")
        a = AutoModel.from_pretrained("org/a", revision="main" if DEV else "{C40}")
        b = AutoModel.from_pretrained("org/b", revision="{C40}" if DEV else "{C40[::-1]}")
        ''', [("MLW201", 4, "medium")]),
    # BUG (fixed): Hugging Face course chapter 7 (token classification): "bert-finetuned-ner" is the local
    # output folder of the run (any "bert-*" used to count as a legacy canonical Hub id), and a folder the
    # module saves a model to is local when loaded again; the course's Hub copy and real canonical names stay
    ("hf-course-finetuned-output", '''
        from transformers import AutoModelForTokenClassification, Trainer, TrainingArguments, pipeline

        model_checkpoint = "bert-base-cased"
        model = AutoModelForTokenClassification.from_pretrained(model_checkpoint, num_labels=9)
        args = TrainingArguments("bert-finetuned-ner", evaluation_strategy="epoch", learning_rate=2e-5)
        trainer = Trainer(model=model, args=args)
        trainer.train()
        trainer.save_model("ner-model-v2")
        clf = pipeline("token-classification", model="bert-finetuned-ner", aggregation_strategy="simple")
        again = AutoModelForTokenClassification.from_pretrained("ner-model-v2")
        hub = pipeline("token-classification", model="huggingface-course/bert-finetuned-ner")
        t5 = AutoModelForTokenClassification.from_pretrained("t5-finetuned-xsum")
        for name in ("xlm-mlm-en-2048", "transfo-xl-wt103", "t5-11b", "roberta-large-mnli", "distilgpt2"):
            AutoModelForTokenClassification.from_pretrained(name)
        ''', [("MLW201", 4, "medium"), ("MLW201", 11, "medium")] + [("MLW201", 14, "medium")] * 5),
    # BUG (fixed): huggingface/datasets loading script (squad.py): dl_manager is a parameter, so its
    # download_and_extract of plain-http data files was not seen; https and non-data pages stay quiet
    ("datasets-loading-script-http", '''
        import json
        import datasets

        _URL = "http://rajpurkar.github.io/SQuAD-explorer/dataset/"
        _URLS = {
            "train": _URL + "train-v1.1.json",
            "dev": _URL + "dev-v1.1.json",
        }


        class Squad(datasets.GeneratorBasedBuilder):
            def _split_generators(self, dl_manager):
                downloaded_files = dl_manager.download_and_extract(_URLS)
                secure = dl_manager.download("https://example.org/data/extra.json")
                page = dl_manager.download("http://example.org/about")
                return [datasets.SplitGenerator(name=datasets.Split.TRAIN,
                                                gen_kwargs={"filepath": downloaded_files["train"]})]

            def _generate_examples(self, filepath):
                with open(filepath, encoding="utf-8") as f:
                    squad = json.load(f)
        ''', [("MLW205", 13, "high")]),
    # numpy / joblib / pickle in data preparation scripts (llama.cpp vocab, scikit-learn tutorials)
    ("numpy-joblib", '''
        import joblib
        import numpy as np


        def load_vocab(dir_model):
            tokens = np.load(dir_model / "tokens.npy", allow_pickle=True)
            emb = np.load("emb.npy")
            clf = joblib.load("clf.joblib")
            return tokens, emb, clf
        ''', [("MLW103", 8, "high"), ("MLW104", 6, "high")]),
    # Lightning / ultralytics: a checkpoint loaded with a lambda map_location; Lightning's load_from_checkpoint
    # torch.loads the file too (helpers.py)
    ("lightning-ultralytics", '''
        import lightning as L
        import torch
        from ultralytics import YOLO


        class LitModel(L.LightningModule):
            pass


        model = LitModel.load_from_checkpoint("checkpoints/epoch=9.ckpt")
        checkpoint = torch.load("checkpoints/epoch=9.ckpt", map_location=lambda storage, loc: storage)
        yolo = YOLO("yolov8n.pt")
        ''', [("MLW101", 10, "high"), ("MLW101", 11, "high")]),
    # requests + torch.load from memory in a serving script: no checksum -> MLW206 at the download
    ("requests-torch-load", '''
        import io
        import requests
        import torch


        def fetch(url):
            r = requests.get(url, timeout=10)
            return torch.load(io.BytesIO(r.content), map_location="cpu", weights_only=True)
        ''', [("MLW206", 7, "medium")]),
    # Keras tutorials: a Lambda-layer model reloaded with safe_mode=False
    ("keras-lambda", '''
        import tensorflow as tf
        model = tf.keras.models.load_model("lambda_model.keras", safe_mode=False)
        ok = tf.keras.models.load_model("plain.keras")
        ''', [("MLW106", 2, "high")]),
]


@pytest.mark.parametrize("name,code,expected", CASES, ids=[c[0] for c in CASES])
def test_realworld(tmp_path: Path, name: str, code: str, expected: list[tuple[str, int, str]]) -> None:
    assert got(scan(tmp_path, code)) == sorted(expected)


def test_realworld_safe_torch_is_informational(tmp_path: Path) -> None:
    code = dict((c[0], c[1]) for c in CASES)["stable-diffusion-txt2img"]
    assert got(scan(tmp_path, code, torch="2.6.0")) == [("MLW101", 8, "info")]
    # ... and weights_only=True on a vulnerable torch is CVE-2025-32434
    conv = dict((c[0], c[1]) for c in CASES)["llama-cpp-convert"]
    assert got(scan(tmp_path, conv, torch="2.5.1")) == [("MLW102", 12, "high"), ("MLW103", 13, "high")]
    # load_state_dict_from_url keeps weights_only=False as its default even on torch >= 2.6
    url = dict((c[0], c[1]) for c in CASES)["load-state-dict-from-url"]
    assert got(scan(tmp_path, url, torch="2.7.1")) == [("MLW101", 11, "high"), ("MLW101", 16, "high"),
                                                      ("MLW101", 17, "medium")]
    assert ("MLW102", 18, "high") in got(scan(tmp_path, url, torch="2.4.0"))


def test_branch_ids_are_hub_references(tmp_path: Path) -> None:
    code = dict((c[0], c[1]) for c in CASES)["branch-assigned-ids"]
    p = tmp_path / "m.py"
    p.write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    refs = hub_references(p, "m.py")
    assert sorted(r.repo_id for r in refs) == ["Salesforce/codet5-base", "microsoft/codebert-base",
                                               "microsoft/graphcodebert-base"]
    assert all(r.line == 11 and not r.pinned for r in refs)


# --- notebooks: course notebooks are often saved with each cell's source as ONE JSON string ---------------

def _notebook(tmp_path: Path, cells: list[object]) -> Path:
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c}
                    for c in cells],
          "metadata": {"kernelspec": {"name": "python3", "language": "python"}}, "nbformat": 4,
          "nbformat_minor": 5}
    p = tmp_path / "course.ipynb"
    p.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return p


def _at(p: Path, f: Finding) -> str:
    """The .ipynb text at the finding's line and column."""
    line = p.read_text(encoding="utf-8").split("\n")[(f.line or 1) - 1]
    return line[(f.column or 1) - 1:]


def test_notebook_string_source_positions(tmp_path: Path) -> None:
    # BUG (fixed): every finding of a one-string cell pointed at column 1 of the JSON line
    p = _notebook(tmp_path, [
        "import torch\nfrom transformers import AutoModel\n!pip install x\nm = torch.load('m.pt')\n"
        "name = \"caf\u00e9\"; model = AutoModel.from_pretrained('bert-base-uncased')",
        ["import pickle\n", "if True:\n", "    y = pickle.loads(b)\n"],
    ])
    fs = sorted(scan_file(p, "course.ipynb", tmp_path, TorchPins(tmp_path, None)), key=lambda f: f.line or 0)
    assert [(f.rule.id, f.line, f.data["cell"], f.data["cell_line"]) for f in fs] == [
        ("MLW101", 8, 1, 4), ("MLW201", 8, 1, 5), ("MLW103", 18, 2, 3)]
    assert _at(p, fs[0]).startswith("torch.load('m.pt')")
    # the escaped quotes and the escaped non-ASCII character before the call are counted as JSON text
    assert _at(p, fs[1]).startswith("AutoModel.from_pretrained('bert-base-uncased')")
    assert _at(p, fs[2]).startswith("pickle.loads(b)")
    assert "cell 1, line 5:" in fs[1].message


def test_notebook_time_magic_is_checked(tmp_path: Path) -> None:
    # BUG (fixed): "%time x = pickle.load(...)" (common in course notebooks) was blanked as a magic line
    p = _notebook(tmp_path, [["import pickle\n", "%time x = pickle.load(open('a.pkl', 'rb'))\n",
                              "%timeit -n 3 pickle.loads(b)\n", "%time\n"]])
    fs = list(scan_file(p, "course.ipynb", tmp_path, TorchPins(tmp_path, None)))
    assert [(f.rule.id, f.data["cell_line"]) for f in fs] == [("MLW103", 2)]
    assert _at(p, fs[0]).startswith("pickle.load(open(")


def test_notebook_writefile_script_is_checked(tmp_path: Path) -> None:
    # BUG (fixed): Colab/Kaggle courses write their training script with %%writefile and run it with !python;
    # the cell was skipped like %%bash. A .py target is Python; other targets stay skipped.
    p = _notebook(tmp_path, [
        ["%%writefile train.py\n", "import torch\n", "state = torch.load('ckpt.pt', map_location='cpu')\n"],
        ["%%writefile -a notes.txt\n", "import pickle\n", "pickle.load(f)\n"],
        ["%%bash\n", "python -c 'import pickle; pickle.load(f)'\n"],
        "!python train.py",
    ])
    fs = list(scan_file(p, "course.ipynb", tmp_path, TorchPins(tmp_path, None)))
    assert [(f.rule.id, f.data["cell"], f.data["cell_line"]) for f in fs] == [("MLW101", 1, 3)]
    assert _at(p, fs[0]).startswith("torch.load('ckpt.pt'")


def test_notebook_columns_after_escaped_emoji(tmp_path: Path) -> None:
    # json.dumps (ensure_ascii) writes an emoji as a surrogate pair: two \u escapes for one character
    p = _notebook(tmp_path, ["import pickle\nlabel = \"\U0001F600 \u00e9\\t\"; obj = pickle.loads(b)"])
    assert "\\ud83d\\ude00" in p.read_text(encoding="utf-8")
    fs = list(scan_file(p, "course.ipynb", tmp_path, TorchPins(tmp_path, None)))
    assert [(f.rule.id, f.data["cell_line"]) for f in fs] == [("MLW103", 2)]
    assert _at(p, fs[0]).startswith("pickle.loads(b)")
