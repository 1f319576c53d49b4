"""check-typosquats on real manifests of public ML repositories (texts in tests/pins/realworld_data.py):
hundreds of legitimate ML dependency names must give no finding; the one real typo (`pstuil`, in a fork of
AUTOMATIC1111's requirements_versions.txt) must. Offline: decided from the bundled data only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlwarden_hooks.check_typosquats import main

from mlwarden.sources import read
from tests.pins import realworld_data as rw
from tests.pins.manifest_helpers import line_of, write

FILES: dict[str, str] = {
    "whisper/requirements.txt": rw.WHISPER_REQ,
    "vllm/requirements/common.txt": rw.VLLM_COMMON,
    "vllm/requirements/cuda.txt": rw.VLLM_CUDA,
    "vllm/requirements/cpu.txt": rw.VLLM_CPU,
    "vllm/requirements/tpu.txt": rw.VLLM_TPU,
    "vllm/requirements/xpu.txt": rw.VLLM_XPU,
    "vllm/requirements/test.txt": rw.VLLM_TEST_COMPILED,
    "lightning/requirements/pytorch/base.txt": rw.LIGHTNING_BASE,
    "ooba/requirements.txt": rw.OOBABOOGA_REQ,
    "sd/environment.yaml": rw.SD_ENV,
    "nam/environment_gpu.yml": rw.CONDA_GPU_ENV,
    "intel/environment.yml": rw.CONDA_INTEL_ENV,
    "fw/pyproject.toml": rw.FOREIGN_WHISPERS_PYPROJECT,
    "fw/uv.lock": rw.FOREIGN_WHISPERS_UVLOCK,
    "mlflow/pyproject.toml": rw.POETRY_MLFLOW_PYPROJECT,
    "mlflow/poetry.lock": rw.MLFLOW_POETRY_LOCK,
    "pt/pyproject.toml": rw.POETRY_TORCH_PYPROJECT,
    "lc/Pipfile": rw.LANGCHAIN_PIPFILE,
    "lc/Pipfile.lock": rw.LANGCHAIN_PIPFILE_LOCK,
    "cf/pdm.lock": rw.COORDFILL_PDM_LOCK,
    "a/requirements.txt": rw.TORCH_INDEX_PER_LINE_REQ,
    "b/requirements.txt": rw.NVIDIA_DALI_REQ,
    "c/requirements.txt": rw.SAM_REQ,
    "d/requirements.txt": rw.TORCH_STABLE_REQ,
    "e/requirements.txt": rw.JA_COMMENTS_REQ,
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No pip/uv/mlwarden configuration of this machine leaks into the run."""
    import os

    for k in list(os.environ):
        if k.startswith(("PIP_", "UV_", "MLWARDEN_")):
            monkeypatch.delenv(k)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "no-xdg"))


def run(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        files: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
    write(root, dict(files))
    monkeypatch.chdir(root)
    capsys.readouterr()
    rc = main([".", "--format", "json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err, out.err
    return rc, json.loads(out.out)["findings"]


def test_real_ml_manifests_have_no_false_positive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "src", dict(FILES))
    names = set()
    for rel in FILES:
        m = read(tmp_path / "src" / rel, rel)
        names |= {d.normalized for d in m.all_dependencies() if d.normalized}
    assert len(names) > 300  # the names really were read (vLLM's compiled test.txt alone has 206)
    rc, found = run(tmp_path / "scan", monkeypatch, capsys, FILES)
    assert rc == 0, found
    assert found == []


def test_the_real_typo_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    files = {**FILES, "a1111/requirements_versions.txt": rw.A1111_FORK_REQ}
    rc, found = run(tmp_path, monkeypatch, capsys, files)
    assert rc == 1
    assert [(f["id"], f["slug"], f["path"], f["line"], f["severity"]) for f in found] == [
        ("MLW402", "typosquat", "a1111/requirements_versions.txt", line_of(rw.A1111_FORK_REQ, "pstuil"),
         "high")]
    assert "'psutil'" in found[0]["message"]


# real Hugging Face Hub model ids as ML code passes them to from_pretrained()/pipelines (LLMs, diffusion, speech,
# embeddings, vision; many organisations are short or look alike: h94, hfl, uer, 01-ai, huggyllama, TheBloke)
_HF_IDS_TEXT = """\
meta-llama/Llama-2-7b-hf openai/whisper-large-v3 stabilityai/stable-diffusion-xl-base-1.0 runwayml/stable-diffusion-v1-5
CompVis/stable-diffusion-v1-4 TheBloke/Llama-2-7B-GGUF mistralai/Mistral-7B-v0.1 google/flan-t5-xl
facebook/opt-1.3b EleutherAI/gpt-j-6b bigscience/bloom tiiuae/falcon-7b
sentence-transformers/all-MiniLM-L6-v2 BAAI/bge-large-en-v1.5 Qwen/Qwen2-7B microsoft/phi-2
lmsys/vicuna-7b-v1.5 h94/IP-Adapter lllyasviel/ControlNet madebyollin/sdxl-vae-fp16-fix
laion/CLIP-ViT-H-14-laion2B-s32B-b79K openai/clip-vit-large-patch14 timbrooks/instruct-pix2pix stabilityai/sd-vae-ft-mse
huggyllama/llama-7b meta-llama/Meta-Llama-3-8B-Instruct NousResearch/Llama-2-7b-hf unsloth/llama-3-8b-bnb-4bit
deepseek-ai/deepseek-coder-6.7b-instruct 01-ai/Yi-6B THUDM/chatglm2-6b baichuan-inc/Baichuan2-7B-Chat
internlm/internlm-7b openbmb/MiniCPM-V-2 Salesforce/blip-image-captioning-large nlpconnect/vit-gpt2-image-captioning
microsoft/deberta-v3-base allenai/longformer-base-4096 google-bert/bert-base-uncased FacebookAI/roberta-base
openai-community/gpt2 hf-internal-testing/tiny-random-gpt2 stabilityai/stablelm-2-1_6b black-forest-labs/FLUX.1-dev
Lykon/dreamshaper-8 SG161222/Realistic_Vision_V5.1_noVAE ByteDance/SDXL-Lightning latent-consistency/lcm-lora-sdxl
ali-vilab/text-to-video-ms-1.7b damo-vilab/text-to-video-ms-1.7b cerspense/zeroscope_v2_576w guoyww/animatediff-motion-adapter-v1-5-2
openai/shap-e facebook/musicgen-small suno/bark microsoft/speecht5_tts
facebook/wav2vec2-base-960h pyannote/speaker-diarization-3.1 Systran/faster-whisper-large-v3 distil-whisper/distil-large-v3
nvidia/parakeet-rnnt-1.1b TencentARC/PhotoMaker InstantX/InstantID briaai/RMBG-1.4
Intel/dpt-large LiheYoung/depth-anything-large-hf facebook/sam-vit-huge IDEA-Research/grounding-dino-base
google/vit-base-patch16-224 microsoft/resnet-50 timm/resnet50.a1_in1k keremberke/yolov8m-table-extraction
jinaai/jina-embeddings-v2-base-en intfloat/e5-large-v2 thenlper/gte-large nomic-ai/nomic-embed-text-v1
mixedbread-ai/mxbai-embed-large-v1 Alibaba-NLP/gte-Qwen2-7B-instruct Snowflake/snowflake-arctic-embed-m WhereIsAI/UAE-Large-V1
hkunlp/instructor-large cross-encoder/ms-marco-MiniLM-L-6-v2 BAAI/bge-reranker-large colbert-ir/colbertv2.0
naver-clova-ix/donut-base microsoft/layoutlmv3-base impira/layoutlm-document-qa HuggingFaceH4/zephyr-7b-beta
HuggingFaceM4/idefics2-8b llava-hf/llava-1.5-7b-hf liuhaotian/llava-v1.5-7b Salesforce/blip2-opt-2.7b
adept/fuyu-8b google/gemma-2b google/paligemma-3b-pt-224 CohereForAI/c4ai-command-r-v01
databricks/dolly-v2-3b mosaicml/mpt-7b togethercomputer/RedPajama-INCITE-7B-Base bigcode/starcoder
codellama/CodeLlama-7b-hf WizardLM/WizardCoder-15B-V1.0 Phind/Phind-CodeLlama-34B-v2 teknium/OpenHermes-2.5-Mistral-7B
openchat/openchat-3.5-0106 upstage/SOLAR-10.7B-v1.0 NousResearch/Hermes-2-Pro-Mistral-7B cognitivecomputations/dolphin-2.6-mistral-7b
Open-Orca/Mistral-7B-OpenOrca lmsys/fastchat-t5-3b-v1.0 stabilityai/stable-video-diffusion-img2vid-xt Qwen/Qwen2.5-7B-Instruct
microsoft/Phi-3-mini-4k-instruct google/t5-v1_1-xxl openai/clip-vit-base-patch32 facebook/bart-large-cnn
facebook/dinov2-base facebook/nllb-200-distilled-600M Helsinki-NLP/opus-mt-en-de cardiffnlp/twitter-roberta-base-sentiment-latest
distilbert/distilbert-base-uncased j-hartmann/emotion-english-distilroberta-base dslim/bert-base-NER deepset/roberta-base-squad2
philschmid/bart-large-cnn-samsum sshleifer/distilbart-cnn-12-6 prajjwal1/bert-tiny emilyalsentzer/Bio_ClinicalBERT
dmis-lab/biobert-v1.1 nvidia/segformer-b0-finetuned-ade-512-512 xinlai/LISA-7B-v1 ai-forever/ruGPT-3.5-13B
sberbank-ai/rugpt3large_based_on_gpt2 rinna/japanese-gpt-neox-3.6b cl-tohoku/bert-base-japanese uer/gpt2-chinese-cluecorpussmall
hfl/chinese-roberta-wwm-ext shibing624/text2vec-base-chinese moka-ai/m3e-base TheBloke/Mistral-7B-Instruct-v0.2-GPTQ
TheBloke/Llama-2-13B-chat-AWQ bartowski/Meta-Llama-3.1-8B-Instruct-GGUF mlx-community/Mistral-7B-Instruct-v0.2-4bit lmstudio-community/Meta-Llama-3-8B-Instruct-GGUF
"""
HF_IDS = _HF_IDS_TEXT.split()


def test_real_hugging_face_ids_have_no_false_positive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = ["from transformers import AutoModel, AutoTokenizer", "", "MODELS = ["]
    code += [f'    "{i}",' for i in HF_IDS] + ["]", ""]
    code += [f'tok{n} = AutoTokenizer.from_pretrained("{i}")' for n, i in enumerate(HF_IDS[:40])]
    config = "model:\n" + "".join(f"  - name_or_path: {i}\n" for i in HF_IDS[40:80])
    assert len(HF_IDS) > 140
    rc, found = run(tmp_path, monkeypatch, capsys, {"train.py": "\n".join(code) + "\n", "conf/model.yaml": config})
    assert (rc, found) == (0, [])
    # the same code with two look-alike organisations is caught, at the right place
    squat = [*code, 'm = AutoModel.from_pretrained("meta-llamma/Llama-2-7b-hf")',
             'n = AutoModel.from_pretrained("stabilityal/stable-diffusion-xl-base-1.0")']
    rc, found = run(tmp_path / "squat", monkeypatch, capsys, {"train.py": "\n".join(squat) + "\n"})
    assert rc == 1
    assert [(f["id"], f["path"], f["line"], f["severity"]) for f in found] == [
        ("MLW408", "train.py", len(squat) - 1, "high"), ("MLW408", "train.py", len(squat), "high")]


# dependency names that ML requirement files use (PyTorch/JAX/TF ecosystems, CUDA wheels, LLM serving and
# tooling, audio, vision, RL, data); many are short, hyphen/underscore variants or near each other
_ML_NAMES_TEXT = """\
opencv-python opencv-contrib-python pillow-simd tensorflow-gpu tf-nightly torch-scatter torch_geometric
pyg-lib jax[cuda12] jaxlib flax optax orbax-checkpoint keras-nlp keras-cv tensorflow-io-gcs-filesystem
nvidia-ml-py pynvml gputil GPUtil py3nvml pycocotools lvis mmcv mmcv-full mmdet mmengine openmim onnx
onnxruntime-gpu onnxsim onnx-simplifier tensorrt pycuda cupy-cuda11x triton xformers bitsandbytes auto-gptq
autoawq optimum peft trl deepspeed fairscale wandb comet-ml neptune clearml mlflow-skinny dvc hydra-core
omegaconf albumentations imgaug kornia timm open_clip_torch clip-anytorch ftfy sentencepiece tokenizers
sacremoses jieba fugashi unidic-lite ipadic spacy gensim faiss-cpu faiss-gpu annoy hnswlib chromadb
pinecone-client weaviate-client qdrant-client langchain llama-index openai anthropic tiktoken gradio
streamlit fastapi uvicorn pydantic ray[tune] optuna scikit-optimize lightgbm xgboost catboost shap lime
captum torchmetrics torchinfo torchsummary thop fvcore iopath einops einx opt_einsum rotary-embedding-torch
flash-attn mamba-ssm causal-conv1d vllm sglang llama-cpp-python ctransformers exllamav2 gguf safetensors
huggingface_hub hf_transfer accelerate datasets evaluate rouge_score sacrebleu nltk bert-score jiwer librosa
soundfile torchaudio pyannote.audio speechbrain nemo_toolkit[asr] openai-whisper faster-whisper ctranslate2
TTS coqui-tts encodec audiocraft diffusers compel controlnet_aux invisible-watermark insightface onnxruntime
facexlib gfpgan basicsr realesrgan lpips clean-fid torch-fidelity pytorch-msssim piq imageio[ffmpeg] moviepy
decord av opencv-python-headless scikit-image SimpleITK nibabel monai pydicom medpy rasterio geopandas
shapely pyproj gym gymnasium stable-baselines3 sb3-contrib mujoco dm-control pybullet pettingzoo tianshou
jsonlines orjson ujson msgpack pyarrow polars duckdb fsspec s3fs gcsfs adlfs boto3 google-cloud-storage
azure-storage-blob tensorboardX tensorboard visdom rich tqdm loguru python-dotenv typer click fire
jsonargparse ml-collections absl-py gin-config sacred submitit hydra-submitit-launcher lightning
pytorch-lightning lightning-bolts torchdata webdataset mosaicml-streaming ffcv sentence-transformers
transformers torchvision torchtext keras tensorflow tensorflow-datasets tensorflow-hub tensorflow-addons
tensorflow-probability scikit-learn scipy numpy pandas matplotlib seaborn plotly bokeh altair jupyter
jupyterlab ipywidgets notebook nbformat papermill flashinfer-python vllm-flash-attn liger-kernel unsloth
axolotl lm-eval lm-format-enforcer outlines guidance instructor dspy-ai litellm llama-stack ollama groq
mistralai cohere together replicate huggingface-hub transformers-stream-generator
"""
ML_NAMES = _ML_NAMES_TEXT.split()


def test_popular_ml_dependency_names_have_no_false_positive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert len(ML_NAMES) > 250
    text = "".join(f"{n}\n" for n in ML_NAMES)
    rc, found = run(tmp_path, monkeypatch, capsys, {"requirements.txt": text})
    assert (rc, found) == (0, [])
    # a one-letter slip of three of them is caught
    rc, found = run(tmp_path / "typo", monkeypatch, capsys,
                    {"requirements.txt": text + "transfomers==4.40.0\ndifusers\nacclerate\n"})
    assert rc == 1
    assert [(f["id"], f["line"]) for f in found] == [
        ("MLW402", len(ML_NAMES) + 1), ("MLW402", len(ML_NAMES) + 2), ("MLW402", len(ML_NAMES) + 3)]
