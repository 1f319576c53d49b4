"""Real-world manifests (faithful excerpts of public ML repositories) shared by the check-pins and
check-typosquats real-world tests. Each text notes its source; nothing is fetched at test time."""

from __future__ import annotations

# openai/whisper requirements.txt (marker without spaces, `or` after `and`)
WHISPER_REQ = """\
numba
numpy
torch
tqdm
more-itertools
tiktoken
triton>=2.0.0;platform_machine=="x86_64" and sys_platform=="linux" or sys_platform=="linux2"
scipy
pytest
"""

# vllm-project/vllm requirements/common.txt (excerpt)
VLLM_COMMON = """\
regex # Replace re for higher-performance regex matching
cachetools
sentencepiece  # Required for LLaMA tokenizer.
requests >= 2.26.0
transformers >= 4.56.0, < 5
fastapi[standard] >= 0.115.0 # Required by FastAPI's form models
prometheus_client >= 0.18.0
lm-format-enforcer == 0.11.3
llguidance >= 1.3.0, < 1.4.0; platform_machine == "x86_64" or platform_machine == "arm64" or platform_machine == "aarch64"
outlines_core == 0.2.11
xgrammar == 0.1.29; platform_machine == "x86_64" or platform_machine == "aarch64"
typing_extensions >= 4.10
partial-json-parser # used for parsing partial JSON outputs
mistral_common[image] >= 1.8.8
opencv-python-headless >= 4.13.0    # required for video IO
six>=1.16.0; python_version > '3.11' # transitive dependency of pandas
setuptools>=77.0.3,<81.0.0; python_version > '3.11' # Setuptools is used by triton
compressed-tensors == 0.13.0 # required for compressed-tensors
python-json-logger # Used by logging
pybase64 # fast base64 implementation
openai-harmony >= 0.0.3  # Required for gpt-oss
model-hosting-container-standards >= 0.1.13, < 1.0.0
grpcio-reflection
"""

# vllm-project/vllm requirements/cuda.txt (excerpt: -r, --extra-index-url mid-file, extras with a marker)
VLLM_CUDA = """\
# Common dependencies
-r common.txt

numba == 0.65.0 # Required for N-gram speculative decoding

# Dependencies for NVIDIA GPUs
torch==2.13.0
torchaudio==2.11.0
torchvision==0.28.0 # Required for phi3v processor. See https://github.com/pytorch/vision?tab=readme-ov-file#installation
torchcodec >= 0.14
PyNvVideoCodec==2.0.4
--extra-index-url https://flashinfer.ai/whl/
flashinfer-python==0.6.18.post1
flashinfer-cubin==0.6.18.post1
apache-tvm-ffi==0.1.11
nvidia-cudnn-frontend>=1.19.1
nvidia-cutlass-dsl[cu13]==4.7.1
quack-kernels==0.6.5  # Required by MSA
tokenspeed-mla==0.1.8; platform_system == "Linux"
humming-kernels[cu13]==0.1.14
"""

# vllm-project/vllm requirements/tpu.txt (--pre, --find-links, extras with a space, URL + marker)
VLLM_TPU = """\
# Common dependencies
-r common.txt

numba==0.60.0; python_version == '3.9' # v0.61 doesn't support Python 3.9.
numba==0.61.2; python_version > '3.9'

# Dependencies for TPU
cmake>=3.26.1
ray[default]
ray[data]
setuptools==78.1.0
tpu_info==0.4.0

# Install torch_xla
--pre
--extra-index-url https://download.pytorch.org/whl/nightly/cpu
--find-links https://storage.googleapis.com/libtpu-wheels/index.html
--find-links https://storage.googleapis.com/jax-releases/jax_nightly_releases.html
torch==2.9.0.dev20250730
torchvision==0.24.0.dev20250730
torch_xla[tpu, pallas] @ https://storage.googleapis.com/pytorch-xla-releases/wheels/tpuvm/torch_xla-2.9.0.dev20250730-cp311-cp311-linux_x86_64.whl ; python_version == "3.11"
torch_xla[tpu, pallas] @ https://storage.googleapis.com/pytorch-xla-releases/wheels/tpuvm/torch_xla-2.9.0.dev20250730-cp312-cp312-linux_x86_64.whl ; python_version == "3.12"
"""

# vllm-project/vllm requirements/cpu.txt (local versions `+cpu`, same name under exclusive markers)
VLLM_CPU = """\
# Common dependencies
-r common.txt

numba == 0.60.0; python_version == '3.9' # v0.61 doesn't support Python 3.9.
numba == 0.61.2; python_version > '3.9'

# Dependencies for CPUs
torch==2.6.0+cpu; platform_machine == "x86_64"
torch==2.6.0; platform_system == "Darwin"
torch==2.6.0; platform_machine == "ppc64le" or platform_machine == "aarch64"
torch==2.7.0.dev20250304; platform_machine == "s390x"

torchaudio; platform_machine != "ppc64le" and platform_machine != "s390x"
torchaudio==2.6.0; platform_machine == "ppc64le"
triton==3.2.0; platform_machine == "x86_64"
"""

# vllm-project/vllm requirements/xpu.txt (`--extra-index-url=` form, `+xpu` local version)
VLLM_XPU = """\
# Common dependencies
-r common.txt
--extra-index-url=https://wheels.vllm.ai/xpu/
triton==3.8.0+xpu

ray>=2.9
setuptools-scm>=8
numba == 0.65.0 # Required for N-gram speculative decoding
--extra-index-url=https://download.pytorch.org/whl/xpu
torch==2.14.0
torchaudio
auto_round_lib==0.15.0
vllm_xpu_kernels==0.1.15.4
"""

# Lightning-AI/pytorch-lightning requirements/pytorch/base.txt (space before the specifier, ranges)
LIGHTNING_BASE = """\
# NOTE: the upper bound for the package version is only set for CI stability
numpy >=1.17.2, <1.24.2
torch >=1.11.0, <=2.0.0
tqdm >=4.57.0, <4.65.0
PyYAML >=5.4, <=6.0
fsspec[http] >2021.06.0, <2023.2.0
torchmetrics >=0.7.0, <0.12.0  # needed for using fixed compare_version
lightning-utilities >=0.7.0, <0.9.0
"""

# oobabooga/text-generation-webui requirements.txt (bare wheel URLs with markers, `==0.21.*`)
OOBABOOGA_REQ = """\
aiofiles==23.1.0
gradio==3.33.1

accelerate==0.21.*
colorama
numpy==1.24
Pillow>=9.5.0
safetensors==0.3.2

bitsandbytes==0.41.1; platform_system != "Windows"
https://github.com/jllllll/bitsandbytes-windows-webui/releases/download/wheels/bitsandbytes-0.41.1-py3-none-win_amd64.whl; platform_system == "Windows"
https://github.com/PanQiWei/AutoGPTQ/releases/download/v0.4.2/auto_gptq-0.4.2+cu117-cp310-cp310-linux_x86_64.whl; platform_system == "Linux" and platform_machine == "x86_64"

# llama-cpp-python without GPU support
llama-cpp-python==0.1.78; platform_system != "Windows"
https://github.com/abetlen/llama-cpp-python/releases/download/v0.1.78/llama_cpp_python-0.1.78-cp310-cp310-win_amd64.whl; platform_system == "Windows"

# ctransformers
https://github.com/jllllll/ctransformers-cuBLAS-wheels/releases/download/AVX2/ctransformers-0.2.23+cu117-py3-none-any.whl
"""

# a fork of AUTOMATIC1111/stable-diffusion-webui requirements_versions.txt (duplicates, `pstuil`)
A1111_FORK_REQ = """\
GitPython==3.1.32

accelerate==0.21.0
basicsr==1.4.2
blendmodes==2022
clean-fid==0.1.35
einops==0.4.1
gfpgan==1.3.8
httpcore==0.15
inflection==0.5.1
jsonmerge==1.8.0
kornia==0.6.7
numpy==1.23.5
Pillow==9.5.0
realesrgan==0.3.0
torch
open-clip-torch==2.20.0
pytorch_lightning==1.9.4
piexif==1.1.3
einops==0.4.1
psutil==5.9.5
resize-right==0.0.2
torchdiffeq==0.2.3
torchsde==0.2.5
python-redis-lock==4.0.0
oss2
tomesd
esdk-obs-python
pymysql
charset-normalizer==3.1.0
cchardet
xformers==0.0.20
gdown
strenum
rembg
pstuil
"""

# CompVis/stable-diffusion environment.yaml (pip block with -e git+...@branch)
SD_ENV = """\
name: ldm
channels:
  - pytorch
  - defaults
dependencies:
  - python>=3.9
  - pip=20.3
  - cudatoolkit=11.3
  - pytorch=1.11.0
  - torchvision=0.12.0
  - numpy=1.19.2
  - pip:
    - albumentations==0.4.3
    - opencv-python==4.5.5.64
    - pudb==2019.2
    - imageio-ffmpeg==0.4.2
    - pytorch-lightning==1.4.2
    - test-tube>=0.7.5
    - torch-fidelity==0.3.0
    - flask_socketio==5.3.0
    - flask_cors==3.0.10
    - dependency_injector==4.40.0
    - eventlet
    - -e git+https://github.com/openai/CLIP.git@main#egg=clip
    - -e git+https://github.com/CompVis/taming-transformers.git@master#egg=taming-transformers
    - -e .
"""

# sdatkinson/neural-amp-modeler environment_gpu.yml (excerpt; channel::name, pytorch-cuda=12.1, python/pip
# entries) plus `nvidia::cuda-toolkit` as NVIDIA's install docs write it
CONDA_GPU_ENV = """\
name: nam
channels:
  - conda-forge # pytest-mock
  - pytorch
  - nvidia  # GPU
  - defaults
dependencies:
  - python>=3.9
  - black
  - h5py
  - pip
  - pydantic>=2
  - pytest-mock
  - pytorch::pytorch
  - pytorch::pytorch-cuda=12.1  # GPU
  - nvidia::cuda-toolkit
  - pip:
    - auraloss==0.3.0
"""

# aegean-ai/foreign-whispers pyproject.toml (uv: requires-python, dependency-groups, constraint-dependencies,
# find-links, explicit index pinned through tool.uv.sources)
FOREIGN_WHISPERS_PYPROJECT = """\
[project]
name = "foreign-whispers"
version = "0.1.0"
requires-python = ">=3.11,<3.12"
dependencies = [
    "torch>=2.0",
    "torchaudio>=2.0",
    "TTS>=0.22.0",
    "yt-dlp",
    "youtube-transcript-api",
    "openai-whisper",
    "moviepy<2",
    "uvicorn[standard]",
    "python-multipart",
    "pydantic-settings",
    "pyrubberband",
    "setuptools<81",
]

[dependency-groups]
dev = [
    "pytest",
    "nbconvert>=7.17.1",
]
alignment = [
    "silero-vad",
    "pyannote.audio",
]

[tool.uv]
constraint-dependencies = [
    "onnxruntime<1.24",
    "numpy<2",
]
find-links = [
    "https://download.pytorch.org/whl/cu128",
]

[[tool.uv.index]]
name = "pytorch-cu128"
url = "https://download.pytorch.org/whl/cu128"
explicit = true

[tool.uv.sources]
torch = { index = "pytorch-cu128" }
torchaudio = { index = "pytorch-cu128" }

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""

# Poogles/mlflow-mvp pyproject.toml (Poetry: `python = "^3.11"` is not a dependency)
POETRY_MLFLOW_PYPROJECT = """\
[tool.poetry]
name = "model"
version = "0.1.0"
description = ""
authors = []

[tool.poetry.dependencies]
mlflow = "2.16.0"
python = "^3.11"
numpy = "*"

[build-system]
requires = ["poetry-core>=1.3.0"]
build-backend = "poetry.core.masonry.api"
"""

# Poetry project with an explicit PyTorch source and `+cu121` versions (common pattern, e.g. pytorch templates)
POETRY_TORCH_PYPROJECT = """\
[tool.poetry]
name = "pytorch-template"
version = "0.1.1"
description = ""
authors = ["x"]

[tool.poetry.dependencies]
python = "^3.9,<3.12"
numpy = "^1.24.2"
torch = {version = "2.2.1+cu121", source = "torch_cu121"}
torchvision = {version = "^0.18.1+cu121", source = "torch_cu121"}
hydra-core = "^1.3.1"

[tool.poetry.group.dev.dependencies]
pytest = "^7.2.1"

[[tool.poetry.source]]
name = "PyPI"
priority = "primary"

[[tool.poetry.source]]
name = "torch_cu121"
url = "https://download.pytorch.org/whl/cu121"
priority = "explicit"
"""

# chujia2050/LangChain-Documentation-Helper-ChatBot Pipfile
LANGCHAIN_PIPFILE = """\
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
beautifulsoup4 = "*"
tiktoken = "*"
openai = "*"
pinecone-client = "*"
streamlit-chat = "*"
langchain-pinecone = "*"
langchain-openai = "*"
langchain = "*"
langchain-community = "*"

[dev-packages]

[requires]
python_version = "3.12"
python_full_version = "3.12.3"
"""

# chujia2050/LangChain-Documentation-Helper-ChatBot Pipfile.lock (excerpt)
LANGCHAIN_PIPFILE_LOCK = """\
{
    "_meta": {
        "hash": {
            "sha256": "d05228f9956aba01ccc69b4a44acf8b0fc283158acab99c87101c5c193ffd507"
        },
        "pipfile-spec": 6,
        "requires": {
            "python_full_version": "3.12.3",
            "python_version": "3.12"
        },
        "sources": [
            {
                "name": "pypi",
                "url": "https://pypi.org/simple",
                "verify_ssl": true
            }
        ]
    },
    "default": {
        "aiofiles": {
            "hashes": [
                "sha256:22a075c9e5a3810f0c2e48f3008c94d68c65d763b9b03857924c99e57355166c",
                "sha256:b4ec55f4195e3eb5d7abd1bf7e061763e864dd4954231fb8539a0ef8bb8260e5"
            ],
            "markers": "python_version >= '3.8'",
            "version": "==24.1.0"
        },
        "beautifulsoup4": {
            "hashes": [
                "sha256:74e3d1928edc070d21748185c46e3fb33490f22f52a3addee9aee0f4f7781051",
                "sha256:b80878c9f40111313e55da8ba20bdba06d8fa3969fc68304167741bbf9e082ed"
            ],
            "index": "pypi",
            "markers": "python_full_version >= '3.6.0'",
            "version": "==4.12.3"
        }
    },
    "develop": {}
}
"""

# aegean-ai/foreign-whispers uv.lock (excerpt)
FOREIGN_WHISPERS_UVLOCK = """\
version = 1
revision = 3
requires-python = "==3.11.*"

[manifest]
constraints = [
    { name = "numpy", specifier = "<2" },
    { name = "onnxruntime", specifier = "<1.24" },
]

[[package]]
name = "absl-py"
version = "2.4.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/64/c7/8de93764ad66968d19329a7e0c147a2bb3c7054c554d4a119111b8f9440f/absl_py-2.4.0.tar.gz", hash = "sha256:8c6af82722b35cf71e0f4d1d47dcaebfff286e27110a99fc359349b247dfb5d4", size = 116543, upload-time = "2026-01-28T10:17:05.322Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/18/a6/907a406bb7d359e6a63f99c313846d9eec4f7e6f7437809e03aa00fa3074/absl_py-2.4.0-py3-none-any.whl", hash = "sha256:88476fd881ca8aab94ffa78b7b6c632a782ab3ba1cd19c9bd423abc4fb4cd28d", size = 135750, upload-time = "2026-01-28T10:17:04.19Z" },
]

[[package]]
name = "antlr4-python3-runtime"
version = "4.9.3"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/3e/38/7859ff46355f76f8d19459005ca000b6e7012f2f1ca597746cbcd1fbfe5e/antlr4-python3-runtime-4.9.3.tar.gz", hash = "sha256:f224469b4168294902bb1efa80a8bf7855f24c99aef99cbefc1bcd3cce77881b", size = 117034, upload-time = "2021-11-06T17:52:23.524Z" }

[[package]]
name = "annotated-types"
version = "0.7.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/ee/67/531ea369ba64dcff5ec9c3402f9f51bf748cec26dde048a2f973a4eea7f5/annotated_types-0.7.0.tar.gz", hash = "sha256:aff07c09a53a08bc8cfccb9c85b05f1aa9a2a6f23728d790723543408344ce89", size = 16081, upload-time = "2024-05-20T21:33:25.928Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/78/b6/6307fbef88d9b5ee7421e68d78a9f162e0da4900bc5f5793f6d3d0e34fb8/annotated_types-0.7.0-py3-none-any.whl", hash = "sha256:1f02e8b43a8fbbc3f3e0d4f0f4bfc8131bcb4eebe8849b8e5c773f3a1c582a53", size = 13643, upload-time = "2024-05-20T21:33:24.1Z" },
]
"""

# Poogles/mlflow-mvp poetry.lock (excerpt)
MLFLOW_POETRY_LOCK = """\
# This file is automatically @generated by Poetry 1.8.2 and should not be changed by hand.

[[package]]
name = "alembic"
version = "1.13.2"
description = "A database migration tool for SQLAlchemy."
optional = false
python-versions = ">=3.8"
files = [
    {file = "alembic-1.13.2-py3-none-any.whl", hash = "sha256:6b8733129a6224a9a711e17c99b08462dbf7cc9670ba8f2e2ae9af860ceb1953"},
    {file = "alembic-1.13.2.tar.gz", hash = "sha256:1ff0ae32975f4fd96028c39ed9bb3c867fe3af956bd7bb37343b54c9fe7445ef"},
]

[package.dependencies]
Mako = "*"
SQLAlchemy = ">=1.3.0"
typing-extensions = ">=4"

[package.extras]
tz = ["backports.zoneinfo"]

[[package]]
name = "aniso8601"
version = "9.0.1"
description = "A library for parsing ISO 8601 strings."
optional = false
python-versions = "*"
files = [
    {file = "aniso8601-9.0.1-py2.py3-none-any.whl", hash = "sha256:1d2b7ef82963909e93c4f24ce48d4de9e66009a21bf1c1e1c85bdd0812fe412f"},
    {file = "aniso8601-9.0.1.tar.gz", hash = "sha256:72e3117667eedf66951bb2d93f4296a56b94b078a8a95905a052611fb3f1b973"},
]

[package.extras]
dev = ["black", "coverage", "isort", "pre-commit", "pyenchant", "pylint"]
"""

# 00sapo/CoordFill pdm.lock (excerpt)
COORDFILL_PDM_LOCK = """\
# This file is @generated by PDM.
# It is not intended for manual editing.

[metadata]
groups = ["default", "dev"]
strategy = ["cross_platform", "inherit_metadata"]
lock_version = "4.4.1"
content_hash = "sha256:989f300982caa8221139c4f7f8aa5278d3bd959d77f6db09c57864ba689115e7"

[[package]]
name = "asttokens"
version = "2.4.1"
summary = "Annotate AST trees with source code positions"
groups = ["dev"]
marker = "python_version > \\"3.6\\""
dependencies = [
    "six>=1.12.0",
]
files = [
    {file = "asttokens-2.4.1-py2.py3-none-any.whl", hash = "sha256:051ed49c3dcae8913ea7cd08e46a606dba30b79993209636c4875bc1d637bc24"},
    {file = "asttokens-2.4.1.tar.gz", hash = "sha256:b03869718ba9a6eb027e134bfdf69f38a236d681c83c160d510768af11254ba0"},
]

[[package]]
name = "fire"
version = "0.5.0"
summary = "A library for automatically generating command line interfaces."
groups = ["default"]
dependencies = [
    "six",
    "termcolor",
]
files = [
    {file = "fire-0.5.0.tar.gz", hash = "sha256:a6b0d49e98c8963910021f92bba66f65ab440da2982b78eb1bbf95a0a34aacc6"},
]
"""

# vllm-project/vllm requirements/test.txt (uv pip compile output; the `# via` comment lines are dropped here,
# every pinned entry is kept): 200+ real, legitimate ML dependency names
_VLLM_TEST_PINS = """\
absl-py==2.1.0 accelerate==1.0.1 aiohappyeyeballs==2.4.3 aiohttp==3.10.11 aiosignal==1.3.1
annotated-types==0.7.0 anyio==4.6.2.post1 argcomplete==3.5.1 attrs==24.2.0 audioread==3.0.1 awscli==1.35.23
backoff==2.2.1 bitsandbytes==0.45.3 black==24.10.0 blobfile==3.0.0 boto3==1.35.57 botocore==1.35.57
bounded-pool-executor==0.0.3 buildkite-test-collector==0.1.9 certifi==2024.8.30 cffi==1.17.1 chardet==5.2.0
charset-normalizer==3.4.0 click==8.1.7 colorama==0.4.6 contourpy==1.3.0 cramjam==2.9.0 cupy-cuda12x==13.3.0
cycler==0.12.1 datamodel-code-generator==0.26.3 dataproperty==1.0.1 datasets==3.0.2 decorator==5.1.1
dill==0.3.8 dnspython==2.7.0 docopt==0.6.2 docutils==0.16 einops==0.8.0 einx==0.3.0 email-validator==2.2.0
encodec==0.1.1 evaluate==0.4.3 fastparquet==2024.11.0 fastrlock==0.8.2 fastsafetensors==0.1.10
filelock==3.16.1 fonttools==4.54.1 frozendict==2.4.6 frozenlist==1.5.0 fsspec==2024.9.0 genai-perf==0.0.8
genson==1.3.0 h11==0.14.0 hf-xet==0.1.4 hiredis==3.0.0 httpcore==1.0.6 httpx==0.27.2 huggingface-hub==0.30.1
humanize==4.11.0 idna==3.10 inflect==5.6.2 iniconfig==2.0.0 isort==5.13.2 jinja2==3.1.6 jiwer==3.0.5
jmespath==1.0.1 joblib==1.4.2 jsonlines==4.0.0 jsonschema==4.23.0 jsonschema-specifications==2024.10.1
kaleido==0.2.1 kiwisolver==1.4.7 lazy-loader==0.4 libnacl==2.1.0 librosa==0.10.2.post1 llvmlite==0.44.0
lm-eval==0.4.8 lxml==5.3.0 markdown-it-py==3.0.0 markupsafe==3.0.2 matplotlib==3.9.2 mbstrdecoder==1.1.3
mdurl==0.1.2 mistral-common==1.5.4 more-itertools==10.5.0 mpmath==1.3.0 msgpack==1.1.0 multidict==6.1.0
multiprocess==0.70.16 mypy-extensions==1.0.0 networkx==3.2.1 nltk==3.9.1 num2words==0.5.14 numba==0.61.2
numexpr==2.10.1 numpy==1.26.4 nvidia-cublas-cu12==12.4.5.8 nvidia-cuda-cupti-cu12==12.4.127
nvidia-cuda-nvrtc-cu12==12.4.127 nvidia-cuda-runtime-cu12==12.4.127 nvidia-cudnn-cu12==9.1.0.70
nvidia-cufft-cu12==11.2.1.3 nvidia-curand-cu12==10.3.5.147 nvidia-cusolver-cu12==11.6.1.9
nvidia-cusparse-cu12==12.3.1.170 nvidia-cusparselt-cu12==0.6.2 nvidia-nccl-cu12==2.21.5
nvidia-nvjitlink-cu12==12.4.127 nvidia-nvtx-cu12==12.4.127 opencv-python-headless==4.11.0.86 packaging==24.1
pandas==2.2.3 pathspec==0.12.1 pathvalidate==3.2.1 patsy==1.0.1 peft==0.13.2 pillow==10.4.0
platformdirs==4.3.6 plotly==5.24.1 pluggy==1.5.0 pooch==1.8.2 portalocker==2.10.1 pqdm==0.2.0 propcache==0.2.0
protobuf==5.28.3 psutil==6.1.0 py==1.11.0 pyarrow==18.0.0 pyasn1==0.6.1 pybind11==2.13.6 pycparser==2.22
pycryptodomex==3.22.0 pydantic==2.9.2 pydantic-core==2.23.4 pygments==2.18.0 pyparsing==3.2.0
pytablewriter==1.2.0 pytest==8.3.3 pytest-asyncio==0.24.0 pytest-forked==1.6.0 pytest-mock==3.14.0
pytest-rerunfailures==14.0 pytest-shard==0.1.2 pytest-timeout==2.3.1 python-dateutil==2.9.0.post0
python-rapidjson==1.20 pytz==2024.2 pyyaml==6.0.2 rapidfuzz==3.12.1 ray==2.43.0 redis==5.2.0
referencing==0.35.1 regex==2024.9.11 requests==2.32.3 responses==0.25.3 rich==13.9.4 rouge-score==0.1.2
rpds-py==0.20.1 rsa==4.7.2 runai-model-streamer==0.11.0 runai-model-streamer-s3==0.11.0 s3transfer==0.10.3
sacrebleu==2.4.3 safetensors==0.4.5 scikit-learn==1.5.2 scipy==1.13.1 sentence-transformers==3.2.1
sentencepiece==0.2.0 setuptools==75.8.0 shellingham==1.5.4 six==1.16.0 sniffio==1.3.1 soundfile==0.12.1
soxr==0.5.0.post1 sqlitedict==2.1.0 statsmodels==0.14.4 sympy==1.13.1 tabledata==1.3.3 tabulate==0.9.0
tcolorpy==0.1.6 tenacity==9.0.0 tensorizer==2.9.0 threadpoolctl==3.5.0 tiktoken==0.7.0 timm==1.0.11
tokenizers==0.21.0 torch==2.6.0 torchaudio==2.6.0 torchvision==0.21.0 tqdm==4.66.6 tqdm-multiprocess==0.0.11
transformers==4.51.1 transformers-stream-generator==0.0.5 triton==3.2.0 tritonclient==2.51.0 typepy==1.3.2
typer==0.15.2 typing-extensions==4.12.2 tzdata==2024.2 urllib3==2.2.3 vector-quantize-pytorch==1.21.2
vocos==0.1.0 word2number==1.1 xxhash==3.5.0 yarl==1.17.1 zstandard==0.23.0"""
VLLM_TEST_COMPILED = "\n".join(_VLLM_TEST_PINS.split()) + "\n"

# a public conda environment (search excerpt): nodefaults, channel-prefixed exact pins `==`
CONDA_INTEL_ENV = """\
name: base # Always use the `base` environment.
channels:
  - nodefaults # Do not use the default environment.
  - conda-forge # Always use conda-forge instead.
  - nvidia # CUDA-related packages are available in the NVIDIA channel.
dependencies: # Use conda packages if possible.
  - intel::python==3.10
  - pytorch::pytorch # Only install PyTorch-related packages from the PyTorch channel.
  - pytorch::torchvision
  - pytorch::pytorch-cuda==11.8
  - jemalloc
  - intel::mkl
  - intel::numpy  # Use Numpy built with the Intel compiler for best performance with MKL.
  - pytest
  - tqdm
"""

# public requirements files (search excerpts) with PyTorch indexes and ML names
# - per-requirement --index-url (pip ignores it there)
TORCH_INDEX_PER_LINE_REQ = """\
torch >= 2.7.1 --index-url https://download.pytorch.org/whl/cu128 # change cu128 to your CUDA version, or omit it
torchvision >= 0.22.1 --index-url https://download.pytorch.org/whl/cu128
numpy >= 2.3.0
tqdm >= 4.67.1
wandb >= 0.20.1
PyYAML >= 6
"""
# - trailing package names after --extra-index-url (pip ignores them)
NVIDIA_DALI_REQ = """\
--extra-index-url https://download.pytorch.org/whl/cu121
--extra-index-url https://developer.download.nvidia.com/compute/redist nvidia-dali-cuda120
--extra-index-url https://pypi.nvidia.com nvidia-dali-cuda120

torch==2.5.1+cu121
pytorch-lightning==2.4.0
opencv-python
wandb
timm
jsonargparse[signatures]>=4.27.7
loguru
torchvision
pandas
"""
# - PyTorch as the only index, PyPI as the extra one, a git requirement pinned to a full commit
SAM_REQ = """\
--index-url https://download.pytorch.org/whl/cu121
--extra-index-url https://pypi.org/simple


torch==2.6.0
numpy==2.1.1
opencv-python==4.11.0.86
requests==2.32.3
pillow
segment_anything @ git+https://github.com/facebookresearch/segment-anything.git@dca509fe793f601edb92606367a655c15ac00fdf

torchvision
nvidia-cudnn-cu12
nvidia-cuda-runtime-cu12
"""
# - -f torch_stable.html with `+cu116` local versions, then the same package again without the local version
TORCH_STABLE_REQ = """\
-f https://download.pytorch.org/whl/torch_stable.html

numpy==1.22.4
pandas==1.4.2
torch==1.13.1+cu116
torchaudio==0.13.1+cu116
transformers==4.17.0
jiwer==2.5.1
soundfile==0.12.1
torchaudio==0.13.1
huggingface-hub==0.10.1
"""
# - non-ASCII comments after pins
JA_COMMENTS_REQ = """\
# requirements.txt \u4f8b
--extra-index-url https://download.pytorch.org/whl/cu121
torch==2.7.1+cu121
torchaudio==2.7.1+cu121          # cu121 \u30d3\u30eb\u30c9
asteroid==0.7.0
whisperx==3.3.1             # \u2190 3.3.1 \u306b\u30c0\u30a6\u30f3\u30b0\u30ec\u30fc\u30c9
reazonspeech-nemo-asr==2.1.0
numpy==1.26.4               # \u660e\u793a\u56fa\u5b9a
python-dotenv
Cython>=3.0
"""

# poetry.lock of the POETRY_TORCH_PYPROJECT project, in the shape Poetry 1.8 writes for an explicit PyTorch
# source (`[package.source] type = "legacy"`); constructed for the test, hashes are placeholders
POETRY_TORCH_LOCK = """\
# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.

[[package]]
name = "numpy"
version = "1.26.4"
description = "Fundamental package for array computing in Python"
optional = false
python-versions = ">=3.9"
files = [
    {file = "numpy-1.26.4.tar.gz", hash = "sha256:2a02aba9ed12e4ac4eb3ea9421c420301a0c6460d9830d74a9df87efa4912010"},
]

[[package]]
name = "torch"
version = "2.2.1+cu121"
description = "Tensors and Dynamic neural networks in Python with strong GPU acceleration"
optional = false
python-versions = ">=3.8.0"
files = [
    {file = "torch-2.2.1+cu121-cp310-cp310-linux_x86_64.whl", hash = "sha256:1adf430f01ff649c848ac021785e18007b0714fdde68e4e65bd0c640bf3fb8e1"},
]

[package.dependencies]
numpy = "*"

[package.source]
type = "legacy"
url = "https://download.pytorch.org/whl/cu121"
reference = "torch_cu121"

[metadata]
lock-version = "2.0"
python-versions = "^3.9,<3.12"
content-hash = "5c3b7d0e2f1a"
"""
