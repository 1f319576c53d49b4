"""Positive and negative snippets for every rule of check-unsafe-loads (generated files, scanned statically)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlwarden.checks.unsafe_loads import scan_file
from mlwarden.core.findings import Finding

C40 = "0123456789abcdef0123456789abcdef01234567"


def scan(tmp_path: Path, code: str, name: str = "snippet.py", torch: str | None = None) -> list[Finding]:
    from mlwarden.checks.unsafe_loads.torchver import TorchPins

    p = tmp_path / name
    p.write_text(textwrap.dedent(code), encoding="utf-8")
    return list(scan_file(p, name, tmp_path, TorchPins(tmp_path, torch)))


def slugs(findings: list[Finding]) -> list[str]:
    return sorted(f.rule.slug for f in findings)


CASES: list[tuple[str, str, list[str]]] = [
    # --- torch.load ---------------------------------------------------------------------------------
    ("torch-bare", "import torch\ntorch.load('m.pt')\n", ["torch-load-unsafe"]),
    ("torch-alias", "import torch as t\nt.load('m.pt')\n", ["torch-load-unsafe"]),
    ("torch-from", "from torch import load\nload('m.pt')\n", ["torch-load-unsafe"]),
    ("torch-from-as", "from torch import load as L\nL('m.pt', map_location='cpu')\n", ["torch-load-unsafe"]),
    ("torch-serialization", "import torch.serialization\ntorch.serialization.load('m.pt')\n",
     ["torch-load-unsafe"]),
    ("torch-serialization-from", "from torch.serialization import load as ld\nld('m.pt')\n",
     ["torch-load-unsafe"]),
    ("torch-false", "import torch\ntorch.load('m.pt', weights_only=False)\n", ["torch-load-unsafe"]),
    ("torch-true", "import torch\ntorch.load('m.pt', weights_only=True)\n", []),
    ("torch-true-const", "import torch\nWO = True\ndef f(p):\n    return torch.load(p, weights_only=WO)\n", []),
    ("torch-false-const-module", "import torch\nSAFE = False\ndef f(p):\n    return torch.load(p, weights_only=SAFE)\n",
     ["torch-load-unsafe"]),
    ("torch-splat-true", "import torch\ntorch.load('m.pt', **{'weights_only': True})\n", []),
    ("torch-splat-const", "import torch\nKW = dict(weights_only=False)\ntorch.load('m.pt', **KW)\n",
     ["torch-load-unsafe"]),
    ("torch-pickle-module-pos", "import torch, dill\ntorch.load('m.pt', 'cpu', dill)\n", ["pickle-load"]),
    ("torch-pickle-module-kw", "import torch, dill\ntorch.load('m.pt', pickle_module=dill)\n", ["pickle-load"]),
    ("torch-nested", "import torch, io\nm.load_state_dict(torch.load(io.BytesIO(b), weights_only=True))\n", []),
    ("torch-param-default", "import torch\ndef f(p, wo=False):\n    return torch.load(p, weights_only=wo)\n",
     ["torch-load-unsafe"]),
    ("torch-reassigned-unknown",
     "import torch\ndef f(p, x):\n    wo = True\n    if x:\n        wo = x\n    return torch.load(p, weights_only=wo)\n",
     ["torch-load-unsafe"]),
    ("load-method-unrelated", "import json\nclass A:\n    def load(self, f): ...\na = A()\na.load('x')\njson.load(f)\n"
     "model.load('x')\nself_loader.load(path)\n", []),
    ("torch-shadowed", "def load(p): ...\nload('m.pt')\n", []),
    ("torch-local-var-named-torch", "def f(torch):\n    torch.load('m.pt')\n", []),
    ("torch-partial", "import functools, torch\nf = functools.partial(torch.load, map_location='cpu')\n"
     "g = functools.partial(torch.load, weights_only=True)\n", ["torch-load-unsafe"]),
    ("torch-reference", "import torch\nfrom torchvision.datasets import DatasetFolder\n"
     "ds = DatasetFolder('root', loader=torch.load, extensions=('.pt',))\n", ["torch-load-unsafe"]),
    ("pickle-reference", "import pickle, json\nfrom pickle import load\nobjs = list(map(pickle.load, files))\n"
     "more = list(map(load, files))\nj = list(map(json.load, files))\nk = sorted(x, key=obj.load)\n",
     ["pickle-load", "pickle-load"]),
    # --- pickle family ------------------------------------------------------------------------------
    ("pickle-load", "import pickle\nwith open('x', 'rb') as f:\n    pickle.load(f)\n", ["pickle-load"]),
    ("pickle-loads", "import pickle\npickle.loads(data)\n", ["pickle-load"]),
    ("pickle-roundtrip-copy", "import pickle\ny = pickle.loads(pickle.dumps(x))\n", []),
    ("cpickle", "import cPickle as cp\ncp.load(f)\n", ["pickle-load"]),
    ("_pickle", "from _pickle import loads\nloads(b)\n", ["pickle-load"]),
    ("try-import", "try:\n    import cPickle as pickle\nexcept ImportError:\n    import pickle\npickle.load(f)\n",
     ["pickle-load"]),
    ("dill", "import dill\ndill.load(f)\ndill.loads(b)\n", ["pickle-load", "pickle-load"]),
    ("cloudpickle", "import cloudpickle as cp\ncp.loads(b)\n", ["pickle-load"]),
    ("joblib", "import joblib\nclf = joblib.load('model.joblib')\n", ["pickle-load"]),
    ("sklearn-joblib", "from sklearn.externals import joblib\njoblib.load('m.pkl')\n", ["pickle-load"]),
    ("shelve", "import shelve\nwith shelve.open('db') as db:\n    x = db['k']\n", ["pickle-load"]),
    ("jsonpickle", "import jsonpickle\nobj = jsonpickle.decode(s)\n", ["pickle-load"]),
    ("pandas", "import pandas as pd\ndf = pd.read_pickle('x.pkl')\n", ["pickle-load"]),
    ("pandas-from", "from pandas import read_pickle\nread_pickle('x.pkl')\n", ["pickle-load"]),
    ("unpickler-direct", "import pickle\npickle.Unpickler(f).load()\n", ["pickle-load"]),
    ("unpickler-subclass", "import pickle\nclass U(pickle.Unpickler):\n    pass\nU(f).load()\n", ["pickle-load"]),
    ("unpickler-restricted",
     "import pickle\nclass R(pickle.Unpickler):\n    def find_class(self, m, n):\n        raise Exception\n",
     ["pickle-load"]),
    ("pickle-dump-only", "import pickle\npickle.dump(obj, f)\npickle.dumps(obj)\n", []),
    ("json-load", "import json\njson.load(f)\njson.loads(s)\n", []),
    # --- numpy --------------------------------------------------------------------------------------
    ("np-allow", "import numpy as np\nnp.load('a.npy', allow_pickle=True)\n", ["numpy-allow-pickle"]),
    ("np-allow-pos", "import numpy\nnumpy.load('a.npy', None, True)\n", ["numpy-allow-pickle"]),
    ("np-default", "import numpy as np\nnp.load('a.npy')\nnp.load('a.npy', allow_pickle=False)\n", []),
    ("np-splat", "import numpy as np\nopts = {'allow_pickle': True}\nnp.load('a.npz', **opts)\n",
     ["numpy-allow-pickle"]),
    # --- yaml ---------------------------------------------------------------------------------------
    ("yaml-no-loader", "import yaml\nyaml.load(f)\n", ["yaml-unsafe-load"]),
    ("yaml-loader", "import yaml\nyaml.load(f, Loader=yaml.Loader)\n", ["yaml-unsafe-load"]),
    ("yaml-unsafe-loader-pos", "import yaml\nyaml.load(f, yaml.UnsafeLoader)\n", ["yaml-unsafe-load"]),
    ("yaml-full-loader", "from yaml import load, FullLoader\nload(f, Loader=FullLoader)\n", ["yaml-unsafe-load"]),
    ("yaml-unsafe-load", "import yaml\nyaml.unsafe_load(s)\nyaml.unsafe_load_all(s)\n",
     ["yaml-unsafe-load", "yaml-unsafe-load"]),
    ("yaml-full-load", "import yaml\nyaml.full_load(s)\nyaml.full_load_all(s)\n",
     ["yaml-unsafe-load", "yaml-unsafe-load"]),
    ("yaml-load-all", "import yaml\nyaml.load_all(s, Loader=yaml.CLoader)\n", ["yaml-unsafe-load"]),
    ("yaml-safe", "import yaml\nyaml.load(f, Loader=yaml.SafeLoader)\nyaml.load(f, yaml.CSafeLoader)\n"
     "yaml.safe_load(f)\nyaml.safe_load_all(f)\nyaml.load(f, Loader=yaml.BaseLoader)\n", []),
    ("yaml-safe-subclass", "import yaml\nclass L(yaml.SafeLoader):\n    pass\nyaml.load(f, Loader=L)\n", []),
    ("yaml-unsafe-subclass", "import yaml\nclass L(yaml.Loader):\n    pass\nyaml.load(f, Loader=L)\n",
     ["yaml-unsafe-load"]),
    ("yaml-try-cloader",
     "import yaml\ntry:\n    from yaml import CSafeLoader as SL\nexcept ImportError:\n    from yaml import SafeLoader as SL\n"
     "yaml.load(f, Loader=SL)\n", []),
    ("yaml-other-lib", "import ruamel.yaml\ny = ruamel.yaml.YAML(typ='safe')\ny.load(f)\n", []),
    ("ruamel-unsafe", "from ruamel.yaml import YAML\nYAML(typ='unsafe').load(f)\n", ["yaml-unsafe-load"]),
    # --- keras --------------------------------------------------------------------------------------
    ("keras-unsafe", "import keras\nkeras.models.load_model('m.keras', safe_mode=False)\n", ["keras-unsafe-mode"]),
    ("tf-keras-unsafe", "import tensorflow as tf\ntf.keras.models.load_model('m.keras', safe_mode=False)\n",
     ["keras-unsafe-mode"]),
    ("keras-from", "from tensorflow.keras.models import load_model\nload_model('m.keras', None, True, False)\n",
     ["keras-unsafe-mode"]),
    ("keras-enable-unsafe", "import keras\nkeras.config.enable_unsafe_deserialization()\n", ["keras-unsafe-mode"]),
    ("keras-safe", "import keras\nkeras.models.load_model('m.keras')\nkeras.saving.load_model('m', safe_mode=True)\n",
     []),
    # --- trust_remote_code --------------------------------------------------------------------------
    ("trc-any-call", f"from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision='{C40}', "
     "trust_remote_code=True)\n", ["trust-remote-code"]),
    ("trc-config", f"from transformers import AutoConfig\nAutoConfig.from_pretrained('org/m', revision='{C40}', "
     "**{'trust_remote_code': True})\n", ["trust-remote-code"]),
    ("trc-dataset", f"from datasets import load_dataset\nload_dataset('org/d', revision='{C40}', "
     "trust_remote_code=True)\n", ["trust-remote-code"]),
    ("trc-other-call", "helper(x, trust_remote_code=True)\n", ["trust-remote-code"]),
    ("trc-dict-call-reported-at-use", f"from transformers import AutoModel\nKW = dict(trust_remote_code=True)\n"
     f"AutoModel.from_pretrained('org/m', revision='{C40}', **KW)\n", ["trust-remote-code"]),
    ("trc-model-kwargs", f"from transformers import pipeline\n"
     f"p = pipeline('x', model='org/m', revision='{C40}', model_kwargs={{'trust_remote_code': True}})\n"
     "emb.encode(x, config_kwargs=dict(trust_remote_code=True))\n", ["trust-remote-code", "trust-remote-code"]),
    ("trc-false", f"from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision='{C40}', "
     "trust_remote_code=False)\n", []),
    ("trc-unpinned-high", "from transformers import AutoModel\nAutoModel.from_pretrained('org/m', "
     "trust_remote_code=True)\n", ["trust-remote-code"]),
    # --- Hub downloads ------------------------------------------------------------------------------
    ("hub-no-rev", "from transformers import AutoModel\nAutoModel.from_pretrained('bert-base-uncased')\n",
     ["hub-unpinned"]),
    ("hub-org-no-rev", "from transformers import AutoTokenizer\nAutoTokenizer.from_pretrained('meta-llama/Llama-2-7b')\n",
     ["hub-unpinned"]),
    ("hub-pinned", f"from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision='{C40}')\n", []),
    ("hub-branch", "from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision='main')\n",
     ["hub-unpinned"]),
    ("hub-tag", "from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision='v1.0')\n",
     ["hub-unpinned"]),
    ("hub-short-hex", "from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision='deadbeef')\n",
     ["hub-unpinned"]),
    ("hub-rev-const-fn", "from transformers import AutoModel\ndef f():\n    rev = 'main'\n"
     "    return AutoModel.from_pretrained('org/m', revision=rev)\n", ["hub-unpinned"]),
    ("hub-rev-module-const", f"from transformers import AutoModel\nREV = '{C40[:20]}' + '{C40[20:]}'\n"
     "def f():\n    return AutoModel.from_pretrained('org/m', revision=REV)\n", []),
    ("hub-rev-fstring", f"from transformers import AutoModel\nA = '{C40[:20]}'\n"
     f"AutoModel.from_pretrained('org/m', revision=f'{{A}}{C40[20:]}')\n", []),
    ("hub-id-concat", "from transformers import AutoModel\nORG = 'acme'\nAutoModel.from_pretrained(ORG + '/bert')\n",
     ["hub-unpinned"]),
    ("hub-rev-unknown", "from transformers import AutoModel\ndef f(args):\n"
     "    return AutoModel.from_pretrained('org/m', revision=args.rev)\n", ["hub-revision-unknown"]),
    ("hub-splat-unknown", "from transformers import AutoModel\ndef f(kw):\n"
     "    return AutoModel.from_pretrained('org/m', **kw)\n", ["hub-revision-unknown"]),
    ("hub-splat-pinned", f"from transformers import AutoModel\nKW = {{'revision': '{C40}'}}\n"
     "AutoModel.from_pretrained('org/m', **KW)\n", []),
    ("hub-local-paths", "from transformers import AutoModel as A\nimport os\nfrom pathlib import Path\n"
     "A.from_pretrained('./model')\nA.from_pretrained('/abs/model')\nA.from_pretrained('~/m')\n"
     "A.from_pretrained('C:\\\\models\\\\m')\nA.from_pretrained(os.path.join('a', 'b'))\n"
     "A.from_pretrained(Path('x') / 'y')\nA.from_pretrained('checkpoints/best')\n"
     "A.from_pretrained('out/a/b')\nA.from_pretrained('model.bin')\nA.from_pretrained('output_dir')\n"
     "A.from_pretrained('my_model_v2')\nA.from_pretrained('finetuned')\nA.from_pretrained('bert')\n", []),
    ("hub-env-default", "import os\nfrom transformers import AutoModel\nNAME = os.getenv('MODEL', 'org/m')\n"
     "AutoModel.from_pretrained(NAME, revision=os.environ.get('REV', 'main'))\n"
     "AutoModel.from_pretrained(os.environ['MODEL'])\n", ["hub-unpinned"]),
    ("hub-unknown-id-no-rev", "from transformers import AutoModel\ndef f(p):\n    return AutoModel.from_pretrained(p)\n",
     []),
    ("hub-local-files-only", "from transformers import AutoModel\nAutoModel.from_pretrained('org/m', "
     "local_files_only=True)\n", []),
    ("hub-any-class", "from diffusers import DiffusionPipeline\nimport peft\n"
     "DiffusionPipeline.from_pretrained('stabilityai/sdxl')\n"
     "peft.PeftModel.from_pretrained(base, 'org/adapter')\n", ["hub-unpinned", "hub-unpinned"]),
    ("hub-pipeline", "from transformers import pipeline\npipeline('text-generation', model='org/m')\n"
     "pipeline('sentiment-analysis')\npipeline(task='x', model=model_obj)\n", ["hub-unpinned"]),
    ("hub-download", "from huggingface_hub import hf_hub_download, snapshot_download\n"
     "hf_hub_download('org/m', 'model.safetensors')\nsnapshot_download(repo_id='org/d', repo_type='dataset')\n"
     f"hf_hub_download(repo_id='org/m', filename='x', revision='{C40}')\n", ["hub-unpinned", "hub-unpinned"]),
    ("hub-dataset", "from datasets import load_dataset\nload_dataset('squad')\nload_dataset('org/d', revision='v2')\n"
     "load_dataset('csv', data_files='x.csv')\nload_dataset('json', data_files={'train': 't.json'})\n"
     "load_dataset('./local_dir')\n", ["hub-unpinned", "hub-unpinned"]),
    ("hub-sentence-transformers", "from sentence_transformers import SentenceTransformer, CrossEncoder\n"
     "SentenceTransformer('all-MiniLM-L6-v2')\nSentenceTransformer('org/name')\n"
     f"CrossEncoder('org/ce', revision='{C40}')\nSentenceTransformer('./local')\n",
     ["hub-unpinned", "hub-unpinned"]),
    ("hub-timm", f"import timm\ntimm.create_model('hf-hub:timm/vit_base')\ntimm.create_model('hf-hub:org/x@{C40}')\n"
     "timm.create_model('resnet50', pretrained=True)\ntimm.create_model('hf_hub:org/y@main')\n",
     ["hub-unpinned", "hub-unpinned"]),
    ("hub-nested-call", "from transformers import AutoModel, AutoTokenizer\n"
     "run(AutoModel.from_pretrained(name_of(AutoTokenizer.from_pretrained('org/t'))))\n", ["hub-unpinned"]),
    ("hub-param-default", "from transformers import AutoModel\ndef load(name='org/m', revision='main'):\n"
     "    return AutoModel.from_pretrained(name, revision=revision)\n", ["hub-unpinned"]),
    ("hub-argparse-default", "import argparse\nfrom transformers import AutoModel\np = argparse.ArgumentParser()\n"
     "p.add_argument('--model-name', default='org/m')\np.add_argument('--revision', default='main')\n"
     "args = p.parse_args()\nAutoModel.from_pretrained(args.model_name, revision=args.revision)\n", ["hub-unpinned"]),
    ("hub-argparse-pinned", f"import argparse\nfrom transformers import AutoModel\np = argparse.ArgumentParser()\n"
     f"p.add_argument('--model', default='org/m')\np.add_argument('--rev', default='{C40}')\n"
     "def main(args):\n    AutoModel.from_pretrained(args.model, revision=args.rev)\n", []),
    ("hub-argparse-required", "import argparse\nfrom transformers import AutoModel\np = argparse.ArgumentParser()\n"
     "p.add_argument('--model', required=True)\nargs = p.parse_args()\nAutoModel.from_pretrained(args.model)\n", []),
    ("hub-dataclass-default", "from dataclasses import dataclass, field\nfrom transformers import AutoModel\n"
     "@dataclass\nclass ModelArguments:\n    model_name_or_path: str = field(default='org/m')\n"
     "    model_revision: str = 'main'\n"
     "def main(margs):\n    AutoModel.from_pretrained(margs.model_name_or_path, revision=margs.model_revision)\n",
     ["hub-unpinned"]),
    ("hub-dataclass-no-default", "from dataclasses import dataclass, field\nfrom transformers import AutoModel\n"
     "@dataclass\nclass A:\n    model_name_or_path: str = field(metadata={'help': 'x'})\n"
     "def main(a):\n    AutoModel.from_pretrained(a.model_name_or_path)\n", []),
    ("hub-hf-script-style", "from dataclasses import dataclass, field\nfrom typing import Optional\n"
     "from transformers import AutoModel, HfArgumentParser\n@dataclass\nclass MA:\n"
     "    model_name_or_path: Optional[str] = field(default=None)\n    model_revision: str = field(default='main')\n"
     "def main():\n    (ma,) = HfArgumentParser((MA,)).parse_args_into_dataclasses()\n"
     "    AutoModel.from_pretrained(ma.model_name_or_path, revision=ma.model_revision)\n"
     "    AutoModel.from_pretrained(ma.model_name_or_path)\n", ["hub-unpinned"]),
    ("hub-loop-constants", "from transformers import AutoModel\nMODELS = ['org/a', 'bert-base-cased', './local']\n"
     "for name in MODELS:\n    AutoModel.from_pretrained(name)\n"
     "ms = [AutoModel.from_pretrained(m) for m in ('org/c',)]\nfor p in paths:\n    AutoModel.from_pretrained(p)\n",
     ["hub-unpinned", "hub-unpinned", "hub-unpinned"]),
    ("hub-self-attrs", "from sentence_transformers import SentenceTransformer\nimport torch\nclass E:\n"
     "    MODEL = 'org/emb'\n    def __init__(self, name=None):\n"
     "        self.rev = 'main'\n        self.m = SentenceTransformer(self.MODEL, revision=self.rev)\n"
     "        self.other = name\n    def again(self):\n        return SentenceTransformer(self.other)\n",
     ["hub-unpinned"]),
    ("hub-self-attr-ambiguous", "from transformers import AutoModel\nclass E:\n    def __init__(self):\n"
     "        self.name = 'org/a'\n    def set(self, n):\n        self.name = n\n"
     "    def load(self):\n        return AutoModel.from_pretrained(self.name)\n", []),
    # --- torch.hub ----------------------------------------------------------------------------------
    ("torch-hub-no-ref", "import torch\ntorch.hub.load('pytorch/vision', 'resnet18')\n", ["torch-hub-unpinned"]),
    ("torch-hub-tag", "import torch\ntorch.hub.load('pytorch/vision:v0.10.0', 'resnet18')\n", ["torch-hub-unpinned"]),
    ("torch-hub-commit", f"import torch\ntorch.hub.load('pytorch/vision:{C40}', 'resnet18')\n", []),
    ("torch-hub-local", "import torch\ntorch.hub.load('./repo', 'm', source='local')\n"
     "torch.hub.load('a/b', 'm', source='local')\n", []),
    ("torch-hub-trust", f"from torch import hub\nhub.load('o/r:{C40}', 'm', trust_repo=True)\n",
     ["torch-hub-trust-repo"]),
    # --- http and unverified downloads --------------------------------------------------------------
    ("http-urlretrieve", "import urllib.request\nurllib.request.urlretrieve('http://example.com/m.pt', 'm.pt')\n",
     ["insecure-download"]),
    ("http-requests-model", "import requests\nr = requests.get('http://example.com/w.bin')\n",
     ["insecure-download"]),
    ("http-requests-api", "import requests\nr = requests.get('http://example.com/api/v1/status')\n", []),
    ("http-localhost", "import urllib.request\nurllib.request.urlretrieve('http://localhost:8000/m.pt', 'm.pt')\n",
     []),
    ("https-ok", "import urllib.request as u\nu.urlretrieve('https://example.com/m.onnx', 'm.onnx')\n", []),
    ("http-fstring", "import urllib.request\nHOST = 'example.com'\n"
     "urllib.request.urlretrieve(f'http://{HOST}/m.pt', 'm.pt')\n", ["insecure-download"]),
    ("http-dataset-files", "from datasets import load_dataset\n"
     "load_dataset('csv', data_files={'train': 'http://example.com/t.csv'})\n", ["insecure-download"]),
    ("unverified-urlretrieve", "import torch, urllib.request\ndef get(url):\n"
     "    urllib.request.urlretrieve(url, 'ckpt.pt')\n    return torch.load('ckpt.pt', weights_only=True)\n",
     ["download-unverified"]),
    ("unverified-requests", "import requests, pickle\ndef get(url, path):\n    r = requests.get(url)\n"
     "    with open(path, 'wb') as f:\n        f.write(r.content)\n    with open(path, 'rb') as f:\n"
     "        return pickle.load(f)\n", ["download-unverified", "pickle-load"]),
    ("unverified-bytes", "import requests, io, torch\ndef get(url):\n"
     "    return torch.load(io.BytesIO(requests.get(url).content), weights_only=True)\n", ["download-unverified"]),
    ("verified-hashlib", "import hashlib, torch, urllib.request\nEXPECTED = 'ab'\ndef get(url):\n"
     "    urllib.request.urlretrieve(url, 'ckpt.pt')\n"
     "    if hashlib.sha256(open('ckpt.pt', 'rb').read()).hexdigest() != EXPECTED:\n        raise ValueError\n"
     "    return torch.load('ckpt.pt', weights_only=True)\n", []),
    ("verified-hash-prefix", "import torch\ndef get(url):\n"
     "    torch.hub.download_url_to_file(url, 'w.pt', hash_prefix='abcd')\n"
     "    return torch.load('w.pt', weights_only=True)\n", []),
    ("download-not-loaded", "import urllib.request\ndef get(url):\n    urllib.request.urlretrieve(url, 'x.csv')\n"
     "    return open('other.txt').read()\n", []),
    ("download-other-function", "import torch, urllib.request\ndef a(url):\n"
     "    urllib.request.urlretrieve(url, 'ckpt.pt')\ndef b():\n    return torch.load('ckpt.pt', weights_only=True)\n",
     []),
]


@pytest.mark.parametrize(("code", "expected"), [(c, e) for _, c, e in CASES], ids=[i for i, _, _ in CASES])
def test_corpus(tmp_path: Path, code: str, expected: list[str]) -> None:
    got = scan(tmp_path, code)
    assert slugs(got) == sorted(expected), [f"{f.line}: {f.rule.slug} {f.message}" for f in got]


def test_every_rule_has_a_positive_case(tmp_path: Path) -> None:
    from mlwarden.checks.unsafe_loads.rules import RULES

    covered = {s for _, _, exp in CASES for s in exp}
    covered.add("torch-load-vulnerable-torch")  # exercised by the version matrix in test_torch_version.py
    covered.add("config-code-exec")  # a YAML plus the module that execs it: test_dataset_configs.py
    assert {r.slug for r in RULES} <= covered


def test_every_finding_names_cwe_and_fix(tmp_path: Path) -> None:
    code = "\n".join(c for _, c, e in CASES if e)
    # run each positive case separately to keep imports valid; check messages and hints
    for ident, c, exp in CASES:
        if not exp:
            continue
        for f in scan(tmp_path, c):
            assert "CWE-" in f.message, (ident, f.message)
            assert f.hint, ident
            assert f.data["cwe"], ident
    assert code


def test_unpinned_with_remote_code_is_one_high_finding(tmp_path: Path) -> None:
    got = scan(tmp_path, "from transformers import AutoModel\nAutoModel.from_pretrained('org/m', "
               "trust_remote_code=True)\n")
    assert [(f.rule.slug, f.level.label) for f in got] == [("trust-remote-code", "high")]
    assert "not pinned to a commit" in got[0].message and got[0].data["repo_id"] == "org/m"


def test_severities(tmp_path: Path) -> None:
    got = scan(tmp_path, "from transformers import AutoModel\nimport yaml, pickle\n"
               "AutoModel.from_pretrained('org/m', revision=x)\nAutoModel.from_pretrained('org/m')\n"
               "yaml.full_load(s)\nclass R(pickle.Unpickler):\n    def find_class(self, m, n):\n        pass\n")
    levels = {(f.line, f.rule.slug): f.level.label for f in got}
    assert levels == {(3, "hub-revision-unknown"): "low", (4, "hub-unpinned"): "medium",
                      (5, "yaml-unsafe-load"): "medium", (6, "pickle-load"): "medium"}


def test_positions_and_messages(tmp_path: Path) -> None:
    got = scan(tmp_path, "import torch\n\ndef f(p):\n    x = 1\n    return torch.load(p, weights_only=False)\n")
    (f,) = got
    assert (f.line, f.column) == (5, 12)
    assert "weights_only=False" in f.message and "weights_only=True" in f.hint
    assert f.path == "snippet.py"


def test_roundtrip_through_variable_is_not_a_load(tmp_path: Path) -> None:
    got = scan(tmp_path, "import pickle\ndef t(x):\n    s = pickle.dumps(x)\n    return pickle.loads(s)\n"
               "def u(x, data):\n    s = pickle.dumps(x)\n    s = data\n    return pickle.loads(s)\n")
    assert [(f.line, f.rule.slug) for f in got] == [(8, "pickle-load")]


def test_numpy_other_functions_with_allow_pickle_keyword(tmp_path: Path) -> None:
    got = scan(tmp_path, "import numpy as np\nfrom numpy.testing import assert_raises\n"
               "assert_raises(ValueError, np.load, f, allow_pickle=True)\nnp.lib.format.read_array(f, allow_pickle=True)\n")
    assert [(f.line, f.rule.slug) for f in got] == [(4, "numpy-allow-pickle")]


def test_unverified_download_points_at_the_right_download(tmp_path: Path) -> None:
    got = scan(tmp_path, "import urllib.request, requests, joblib\ndef get(u1, u2):\n"
               "    urllib.request.urlretrieve(u1, 'notes.txt')\n    r = requests.get(u2)\n"
               "    with open('m.joblib', 'wb') as fh:\n        fh.write(r.content)\n"
               "    return joblib.load('m.joblib')\n")
    unv = [f for f in got if f.rule.slug == "download-unverified"]
    assert [(f.line, dict(f.data)["load_line"]) for f in unv] == [(4, 7)]
