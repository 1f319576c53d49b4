"""Where a loaded file comes from, across a repository, and loader wrappers (check-unsafe-loads).

Each test writes a small repository shaped like a real ML project (a training loop that saves checkpoints, a
prepare script that writes ``meta.pkl``, a sampling script that loads both; a repository function that wraps
``torch.load``; third-party helpers) and runs the check over the whole tree, as ``mlwarden scan`` does."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlwarden.checks.unsafe_loads import scan_files
from mlwarden.checks.unsafe_loads.torchver import TorchPins
from mlwarden.core.findings import Finding


def repo(tmp_path: Path, files: dict[str, str], torch: str | None = None) -> list[Finding]:
    pairs = []
    for rel, code in sorted(files.items()):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
        pairs.append((p, rel))
    return list(scan_files(pairs, tmp_path, TorchPins(tmp_path, torch)))


def got(findings: list[Finding]) -> list[tuple[str, str, int, str]]:
    return sorted((f.path, f.rule.slug, f.line or 0, f.level.label) for f in findings)


TRAIN = '''
    import os, pickle, torch
    out_dir = "out"
    data_dir = os.path.join("data", dataset)
    meta_path = os.path.join(data_dir, "meta.pkl")
    with open(meta_path, "rb") as f:
        meta = pickle.load(f)
    if init_from == "resume":
        ckpt_path = os.path.join(out_dir, "ckpt.pt")
        checkpoint = torch.load(ckpt_path, map_location="cpu")
    for it in range(10):
        torch.save({"model": 1}, os.path.join(out_dir, "ckpt.pt"))
'''
PREPARE = '''
    import os, pickle
    meta = {"vocab_size": 65}
    with open(os.path.join(os.path.dirname(__file__), "meta.pkl"), "wb") as f:
        pickle.dump(meta, f)
'''


def test_files_the_project_writes_are_medium_and_say_who_writes_them(tmp_path: Path) -> None:
    found = repo(tmp_path, {"train.py": TRAIN, "data/chars/prepare.py": PREPARE, "sample.py": '''
        import os, pickle, torch
        ckpt_path = os.path.join(args.out_dir, "ckpt.pt")
        checkpoint = torch.load(ckpt_path, map_location="cpu")
        with open(os.path.join("data", checkpoint["config"]["dataset"], "meta.pkl"), "rb") as f:
            meta = pickle.load(f)
        other = torch.load(args.weights)
    '''})
    assert got(found) == sorted([("sample.py", "torch-load-unsafe", 3, "medium"), ("sample.py", "pickle-load", 5, "medium"),
                                 ("sample.py", "torch-load-unsafe", 6, "high"),
                                 ("train.py", "pickle-load", 6, "medium"), ("train.py", "torch-load-unsafe", 9, "medium")])
    by_line = {(f.path, f.line): f for f in found}
    assert "`meta.pkl`, a file this project writes" in by_line[("train.py", 6)].message
    assert "data/chars/prepare.py:3" in by_line[("train.py", 6)].message
    assert "`ckpt.pt`, a file this project writes (`save` at train.py:11)" in by_line[("sample.py", 3)].message
    assert "args.weights" in by_line[("sample.py", 6)].message and by_line[("sample.py", 6)].data["source"] == "user"


def test_same_name_from_a_download_stays_high(tmp_path: Path) -> None:
    found = repo(tmp_path, {"train.py": TRAIN, "serve.py": '''
        import os, io, torch, requests
        from huggingface_hub import hf_hub_download
        path = os.path.join(hf_hub_download("org/model", "ckpt.pt"))
        a = torch.load(path)
        resp = requests.post("https://encoder.example/predict", json={})
        b = torch.load(io.BytesIO(resp.content))
    '''})
    serve = [f for f in found if f.path == "serve.py" and f.rule.slug == "torch-load-unsafe"]
    assert [(f.line, f.level.label, f.data["source"]) for f in serve] == [(4, "high", "download"),
                                                                         (6, "high", "download")]
    assert "hf_hub_download" in serve[0].message and "requests.post" in serve[1].message


def test_glob_patterns_tuples_and_tempfiles(tmp_path: Path) -> None:
    found = repo(tmp_path, {"train.py": '''
        import torch, tempfile, pickle
        from pathlib import Path
        w = Path(save_dir) / "weights"
        last, best = w / "last.pt", w / "best.pt"
        torch.save(ckpt, last)
        torch.save(ckpt, best)
        for f in last, best:
            torch.load(f)
        for p in sorted(Path(run).glob("epoch_*.pth")):
            torch.load(p)
        torch.save(m, f"{run}/epoch_{n}.pth")
        with tempfile.NamedTemporaryFile(suffix=".pkl") as tmp:
            pickle.dump(obj, open(tmp.name, "wb"))
            again = pickle.load(open(tmp.name, "rb"))
        for q in glob.glob("*.pth"):
            torch.load(q)
    '''})
    assert got(found) == sorted([("train.py", "torch-load-unsafe", 8, "medium"), ("train.py", "torch-load-unsafe", 10, "medium"),
                          ("train.py", "pickle-load", 14, "medium"), ("train.py", "torch-load-unsafe", 16, "high")])


def test_objects_exchanged_between_ranks_are_medium(tmp_path: Path) -> None:
    found = repo(tmp_path, {"comm.py": '''
        import pickle
        import torch.distributed as dist
        def all_gather(data):
            buffer = pickle.dumps(data)
            tensor = torch.ByteTensor(torch.ByteStorage.from_buffer(buffer))
            dist.all_gather(tensors, tensor)
            return [pickle.loads(t.cpu().numpy().tobytes()) for t in tensors]
    ''', "server.py": '''
        import pickle
        def handle(conn):
            return pickle.loads(conn.recv(4096))
    '''})
    assert got(found) == sorted([("comm.py", "pickle-load", 7, "medium"), ("server.py", "pickle-load", 3, "high")])


def test_loader_wrapper_reported_at_call_sites_once(tmp_path: Path) -> None:
    found = repo(tmp_path, {
        "models/utils.py": '''
            import torch
            def load_weights(model, path, strict=True):
                state = torch.load(path, map_location="cpu")
                model.load_state_dict(state, strict=strict)
        ''',
        "train.py": '''
            import torch
            from models.utils import load_weights
            torch.save(model.state_dict(), "run/best_model.pth")
            load_weights(model, "run/best_model.pth")
            load_weights(model, opt.pretrained)
        ''',
        "tools/infer.py": '''
            from models import utils
            def run(weights):
                utils.load_weights(net, weights)
            def unrelated(load_weights):
                load_weights(1, 2)
        ''',
    })
    # tools/infer.py only passes its own parameter on (nobody calls `run`): not a call site of its own
    # the call that passes the project's own checkpoint is not one more finding: it is counted at the load
    assert got(found) == sorted([("models/utils.py", "torch-load-unsafe", 3, "low"),
                          ("train.py", "torch-load-unsafe", 5, "high")])
    site = next(f for f in found if f.path == "train.py" and f.line == 5)
    assert site.data["wrapper"] == "load_weights" and site.data["wrapper_at"] == "models/utils.py:3"
    assert "opt.pretrained" in site.message
    inner = next(f for f in found if f.path == "models/utils.py")
    assert "1 call site reported where it passes a downloaded file or a run-time path" in inner.message


def test_wrapper_called_with_untraceable_or_own_values_is_reported_once_inside(tmp_path: Path) -> None:
    found = repo(tmp_path, {"base.py": '''
        import torch
        class Base:
            def load_network(self, net, load_path):
                net.load_state_dict(torch.load(load_path))
    ''', "sr.py": '''
        from base import Base
        class SR(Base):
            def setup(self):
                self.load_network(self.net_g, self.cfg_path)
                self.load_network(self.net_d, self.other_path)
    ''', "own.py": '''
        import torch
        def restore(model, path):
            model.load_state_dict(torch.load(path))
        torch.save(model.state_dict(), "runs/latest_model.pth")
        restore(model, "runs/latest_model.pth")
    '''})
    assert got(found) == [("base.py", "torch-load-unsafe", 4, "high"), ("own.py", "torch-load-unsafe", 3, "medium")]
    msgs = {f.path: f.message for f in found}
    assert "2 call sites pass values the check cannot trace, e.g. sr.py:4" in msgs["base.py"]
    assert "every call site passes a file this project writes, e.g. own.py:5" in msgs["own.py"]


def test_wrapper_chain_and_uncalled_wrapper(tmp_path: Path) -> None:
    found = repo(tmp_path, {"lib.py": '''
        import torch
        def _load(p):
            return torch.load(p)
        def load_model(path):
            return _load(path)
        def never_called(f):
            return torch.load(f)
    ''', "cli.py": '''
        import sys
        from lib import load_model
        load_model(sys.argv[1])
    '''})
    assert got(found) == sorted([("cli.py", "torch-load-unsafe", 3, "high"), ("lib.py", "torch-load-unsafe", 3, "low"),
                          ("lib.py", "torch-load-unsafe", 7, "high")])
    site = next(f for f in found if f.path == "cli.py")
    assert "`load_model` -> `_load`" in site.message and "sys.argv" in site.message
    assert "which no code in this repository calls" in next(f for f in found if f.line == 7).message


def test_pass_through_without_callers_is_reported_once_at_the_load(tmp_path: Path) -> None:
    found = repo(tmp_path, {"lib.py": '''
        import torch
        def _load(p):
            return torch.load(p)
        def load_a(path):
            return _load(path)
        def load_b(path):
            return _load(path)
    '''})
    assert got(found) == [("lib.py", "torch-load-unsafe", 3, "high")]
    assert "passed on by `load_a`, `load_b`" in found[0].message


def test_methods_and_functions_are_not_confused(tmp_path: Path) -> None:
    found = repo(tmp_path, {"convert.py": '''
        import torch
        def unet(model_path):
            return torch.load(model_path)
        unet(args.unet_path)
    ''', "pipeline.py": '''
        class Pipe:
            def __call__(self, latents):
                return self.unet(latents)
        def f(pipe, x):
            return pipe.unet(x)
    '''})
    assert got(found) == [("convert.py", "torch-load-unsafe", 3, "low"), ("convert.py", "torch-load-unsafe", 4, "high")]


def test_wrapper_on_safe_torch_is_not_raised(tmp_path: Path) -> None:
    found = repo(tmp_path, {"lib.py": "import torch\ndef load(p):\n    return torch.load(p)\n",
                            "cli.py": "from lib import load\nload(args.ckpt)\n"}, torch="2.6.0")
    assert got(found) == sorted([("lib.py", "torch-load-unsafe", 3, "info")])


def test_third_party_helpers(tmp_path: Path) -> None:
    found = repo(tmp_path, {"m.py": '''
        from ultralytics.utils.patches import torch_load
        from mmengine.runner import load_checkpoint
        from basicsr.utils.download_util import load_file_from_url
        from fastai.learner import load_learner
        from torch.hub import download_url_to_file
        import lightning.pytorch as pl
        class Lit(pl.LightningModule):
            pass
        def attempt_load(w):
            return torch_load(attempt_download(w), map_location="cpu")
        load_checkpoint(model, args.checkpoint, map_location="cpu")
        path = load_file_from_url("https://github.com/x/y/releases/download/v0.1/net.pth", model_dir="w")
        learn = load_learner("export.pkl")
        download_url_to_file("https://example.com/a.zip", "a.zip")
        download_url_to_file("https://example.com/b.zip", "b.zip", hash_prefix="abcd1234")
        lit = Lit.load_from_checkpoint(args.ckpt)
        ok = Lit.load_from_checkpoint(args.ckpt, weights_only=True)
    '''})
    assert got(found) == sorted([("m.py", "torch-load-unsafe", 10, "high"), ("m.py", "torch-load-unsafe", 11, "high"),
                          ("m.py", "download-unverified", 12, "medium"), ("m.py", "torch-load-unsafe", 13, "high"),
                          ("m.py", "download-unverified", 14, "medium"), ("m.py", "torch-load-unsafe", 16, "high")])
    msgs = {f.line: f.message for f in found}
    assert "weights_only=False" in msgs[10] and "attempt_download" in msgs[10]
    assert "a downloaded" not in msgs[13]


# --- trust_remote_code --------------------------------------------------------------------------------
def test_trust_remote_code_and_unpinned_revision_are_one_finding(tmp_path: Path) -> None:
    found = repo(tmp_path, {"m.py": '''
        from transformers import AutoModel, AutoTokenizer
        m = AutoModel.from_pretrained("org/model", trust_remote_code=True)
        t = AutoTokenizer.from_pretrained("org/model", revision="main", trust_remote_code=True)
        p = AutoModel.from_pretrained("org/model", revision="0123456789abcdef0123456789abcdef01234567",
                                      trust_remote_code=True)
    '''})
    assert got(found) == [("m.py", "trust-remote-code", 2, "high"), ("m.py", "trust-remote-code", 3, "high"),
                          ("m.py", "trust-remote-code", 4, "high")]
    msgs = [f.message for f in sorted(found, key=lambda f: f.line or 0)]
    assert "`org/model`, which is not pinned to a commit (no revision" in msgs[0]
    assert "revision `main` is a branch or tag" in msgs[1]
    assert "not pinned" not in msgs[2]
    assert found[0].data["also"][0]["slug"] == "hub-unpinned"


def test_trust_remote_code_in_bundles(tmp_path: Path) -> None:
    found = repo(tmp_path, {"m.py": '''
        from transformers import AutoModel, AutoConfig
        def model_kwargs(dtype):
            kw = dict(trust_remote_code=True, torch_dtype=dtype)
            kw["low_cpu_mem_usage"] = True
            return kw
        init = {"trust_remote_code": True, "cache_dir": None}
        cfg = AutoConfig.from_pretrained("./local", **init)
        unrelated = {"trust_remote_code": False}
    '''})
    assert got(found) == [("m.py", "trust-remote-code", 3, "high"), ("m.py", "trust-remote-code", 7, "high")]
    assert found[0].data.get("bundle") or found[1].data.get("bundle")


def test_trust_remote_code_in_training_configs(tmp_path: Path) -> None:
    code = '''
        from transformers import AutoModelForCausalLM
        def load(model_args):
            return AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path,
                                                        trust_remote_code=model_args.trust_remote_code)
    '''
    found = repo(tmp_path, {
        "src/loader.py": code,
        "examples/sft.yaml": "model_name_or_path: Qwen/Qwen2-7B\ntrust_remote_code: true\nstage: sft\n",
        "configs/pinned.json": '{"model_name_or_path": "Qwen/Qwen2-7B",\n "revision": '
                               '"0123456789abcdef0123456789abcdef01234567",\n "trust_remote_code": true}\n',
        "configs/off.yaml": "model_name_or_path: Qwen/Qwen2-7B\ntrust_remote_code: false\n",
        "configs/local.toml": "model_name_or_path = \"./ckpt\"\ntrust_remote_code = true\n",
    })
    assert got(found) == [("configs/local.toml", "trust-remote-code", 2, "medium"),
                          ("configs/pinned.json", "trust-remote-code", 3, "medium"),
                          ("examples/sft.yaml", "trust-remote-code", 2, "high")]
    assert "`Qwen/Qwen2-7B`, not pinned to a commit (no revision)" in found[-1].message
    # without code that passes a config value on, a config naming no model is not reported
    alone = repo(tmp_path / "b", {"x.yaml": "trust_remote_code: true\n"})
    assert alone == []


def test_process_pool_gives_the_same_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlwarden.checks.unsafe_loads as ul

    files = {"train.py": TRAIN, "data/chars/prepare.py": PREPARE,
             "lib.py": "import torch\ndef load(p):\n    return torch.load(p)\n",
             "cli.py": "from lib import load\nload(args.ckpt)\n"}
    files.update({f"pkg/m{i}.py": f"import pickle\nx{i} = pickle.loads(data)\n" for i in range(12)})
    files.update({f"pkg/plain{i}.py": f"def f{i}(x):\n    return x + {i}\n" for i in range(12)})
    monkeypatch.setenv("MLWARDEN_JOBS", "1")
    serial = repo(tmp_path / "a", files)
    monkeypatch.setenv("MLWARDEN_JOBS", "2")
    monkeypatch.setattr(ul, "POOL_MIN_FILES", 4)
    pooled = repo(tmp_path / "b", files)
    assert [(f.path, f.line, f.rule.id, f.level, f.message) for f in serial] == \
        [(f.path, f.line, f.rule.id, f.level, f.message) for f in pooled]
    assert len(serial) == 16  # train.py 2, lib.py + cli.py 2, twelve pickle.loads


def test_constructor_wrappers_methods_in_other_files_and_path_managers(tmp_path: Path) -> None:
    found = repo(tmp_path, {
        "archs/spynet.py": '''
            import torch
            class SpyNet:
                def __init__(self, load_path=None):
                    if load_path:
                        self.load_state_dict(torch.load(load_path))
        ''',
        "archs/vsr.py": '''
            from archs.spynet import SpyNet
            class VSR:
                def __init__(self, spynet_path):
                    self.spynet = SpyNet(spynet_path)
            net = VSR(opt["network"]["spynet_path"])
        ''',
        "models/base.py": '''
            import torch
            class BaseModel:
                def load_network(self, net, load_path, strict=True):
                    net.load_state_dict(torch.load(load_path))
        ''',
        "models/sr.py": '''
            from models.base import BaseModel
            class SRModel(BaseModel):
                def __init__(self, opt):
                    self.load_network(self.net_g, opt["path"]["pretrain_network_g"])
        ''',
        "ckpt.py": '''
            import pickle
            from iopath import PathManager
            class Checkpointer:
                def _load_file(self, filename):
                    with PathManager.open(filename, "rb") as f:
                        return pickle.load(f, encoding="latin1")
        ''',
    })
    assert got(found) == sorted([
        ("archs/spynet.py", "torch-load-unsafe", 5, "low"), ("archs/vsr.py", "torch-load-unsafe", 5, "high"),
        ("models/base.py", "torch-load-unsafe", 4, "low"), ("models/sr.py", "torch-load-unsafe", 4, "high"),
        ("ckpt.py", "pickle-load", 6, "high")])
    assert "`VSR` -> `SpyNet`" in next(f for f in found if f.path == "archs/vsr.py").message
    assert next(f for f in found if f.path == "ckpt.py").data["source"] == "param"


def test_hugging_face_resolve_urls_on_a_branch(tmp_path: Path) -> None:
    c40 = "0123456789abcdef0123456789abcdef01234567"
    found = repo(tmp_path, {"dl.py": f'''
        import urllib.request, requests
        from torch.hub import download_url_to_file
        from basicsr.utils.download_util import load_file_from_url
        urllib.request.urlretrieve("https://huggingface.co/org/model/resolve/main/model.safetensors", "m.st")
        download_url_to_file("https://huggingface.co/datasets/org/data/resolve/v1.0/train.parquet", "t.pq")
        load_file_from_url("https://huggingface.co/org/model/resolve/{c40}/net.pth", model_dir="w")
        r = requests.get("https://huggingface.co/org/model/resolve/main/config.json")
    '''})
    assert got(found) == sorted([("dl.py", "hub-unpinned", 4, "medium"), ("dl.py", "hub-unpinned", 5, "medium"),
                                 ("dl.py", "download-unverified", 6, "medium"), ("dl.py", "hub-unpinned", 7, "medium")])
    msg = next(f.message for f in found if f.line == 5)
    assert "`train.parquet` of dataset `org/data` through a `resolve/v1.0` URL" in msg
