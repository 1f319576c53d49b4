"""check-pipeline: positive and negative cases for every rule, on real-shaped generated files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlwarden.checks.base import Context
from mlwarden.checks.pipeline import CheckPipeline
from mlwarden.core.config import Config
from mlwarden.core.findings import Finding

C40 = "3df4d6d6a1c1b5c2a4f7e8d9c0b1a2f3e4d5c6b7"
H64 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def run(tmp_path: Path, files: dict[str, str], **opts: object) -> list[Finding]:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    check = CheckPipeline()
    options = {o.name: o.default for o in check.options}
    options.update({k.replace("_", "-"): v for k, v in opts.items()})
    ctx = Context(paths=[str(tmp_path)], root=tmp_path, config=Config(), options=options, use_git=False)
    return sorted(check.run(ctx), key=Finding.sort_key)


def got(findings: list[Finding]) -> list[tuple[str, int | None, str]]:
    return [(f.rule.slug, f.line, f.level.label) for f in findings]


def slugs(findings: list[Finding]) -> list[str]:
    return sorted(f.rule.slug for f in findings)


# (name, file name, content, expected sorted slugs)
SHELL_CASES: list[tuple[str, str, list[str]]] = [
    ("curl-pipe-sh", "curl -fsSL https://get.example.dev/install.sh | sh\n", ["curl-pipe-shell"]),
    ("curl-pipe-sudo-bash", "curl -sSL https://get.example.dev | sudo -E bash -\n", ["curl-pipe-shell"]),
    ("wget-pipe-bash", "wget -qO- https://get.example.dev/i.sh | bash\n", ["curl-pipe-shell"]),
    ("process-subst", "bash <(curl -s https://get.example.dev/i.sh)\n", ["curl-pipe-shell"]),
    ("sh-c-subst", 'sh -c "$(curl -fsSL https://raw.example.dev/install.sh)"\n', ["curl-pipe-shell"]),
    ("eval-subst", 'eval "$(curl -fsSL https://get.example.dev/env)"\n', ["curl-pipe-shell"]),
    ("curl-continued", "curl -fsSL \\\n  https://get.example.dev/i.sh \\\n  | bash\n", ["curl-pipe-shell"]),
    ("curl-jq-not", "curl -s https://api.github.com/repos/o/r/releases/latest | jq -r .tag_name\n", []),
    ("curl-json-python-not", "curl -s https://api.example.dev/v1 | python3 -m json.tool\n", []),
    (
        "curl-gpg-key-not",
        "curl -fsSL https://download.docker.com/linux/ubuntu/gpg | sudo gpg --dearmor -o "
        "/usr/share/keyrings/docker.gpg\n",
        [],
    ),
    (
        "curl-post-not",
        "curl -X POST -H 'Content-Type: application/json' https://hooks.example.dev/x -d '{}'\n",
        [],
    ),
    ("comment-not", "# curl -fsSL https://get.example.dev | sh\necho done\n", []),
    ("quoted-not", "echo 'curl https://get.example.dev | sh'\n", []),
    ("wget-pt", "wget https://example.org/ckpt/resnet50.pth\n", ["download-unverified"]),
    ("curl-o-ckpt", "curl -L -o weights/model.ckpt https://example.org/m.ckpt\n", ["download-unverified"]),
    (
        "wget-zip-medium",
        "wget https://example.org/data/coco.zip && unzip coco.zip\n",
        ["download-unverified"],
    ),
    ("verified-echo", f'wget https://example.org/m.pt -O m.pt\necho "{H64}  m.pt" | sha256sum -c -\n', []),
    (
        "verified-check-file",
        "wget https://example.org/m.pt\nwget https://example.org/SHA256SUMS\n"
        "sha256sum --check --ignore-missing SHA256SUMS\n",
        [],
    ),
    (
        "verified-compare",
        "curl -o m.bin https://example.org/m.bin\n"
        f'[ "$(sha256sum m.bin | cut -d" " -f1)" = "{H64}" ] || exit 1\n',
        [],
    ),
    (
        "verified-other-file-only",
        f'wget https://example.org/a.pt\nwget https://example.org/b.pt\necho "{H64}  a.pt" | sha256sum -c\n',
        ["download-unverified"],
    ),
    (
        "gpg-verify",
        "wget https://example.org/tool.tar.gz https://example.org/tool.tar.gz.asc\n"
        "gpg --verify tool.tar.gz.asc tool.tar.gz\n",
        [],
    ),
    ("http-download", "wget http://example.org/m.pt\n", ["download-insecure"]),
    ("http-localhost-not", "curl -o out.bin http://localhost:8000/file.bin\n", []),
    ("http-service-not", "curl -f http://minio:9000/minio/health/live\n", []),
    (
        "hf-cli",
        "huggingface-cli download meta-llama/Llama-3.1-8B --local-dir ckpt\n",
        ["hf-download-unpinned"],
    ),
    ("hf-cli-branch", "hf download org/model --revision main\n", ["hf-download-unpinned"]),
    ("hf-cli-commit", f"huggingface-cli download org/model --revision {C40}\n", []),
    ("hf-cli-var", "huggingface-cli download org/model --revision $REV\n", []),
    (
        "hf-resolve-main",
        "wget https://huggingface.co/org/model/resolve/main/pytorch_model.bin\n",
        ["hf-download-unpinned"],
    ),
    ("hf-resolve-commit", f"wget https://huggingface.co/org/model/resolve/{C40}/pytorch_model.bin\n", []),
    (
        "hf-git-clone",
        "git lfs install\ngit clone https://huggingface.co/org/model\n",
        ["hf-download-unpinned"],
    ),
    (
        "hf-git-clone-checkout",
        f"git clone https://huggingface.co/org/model\ncd model && git checkout {C40}\n",
        [],
    ),
    ("git-clone", "git clone --depth 1 --branch v1.2 https://github.com/o/r.git\n", ["vcs-clone-unpinned"]),
    ("git-clone-checkout", f"git clone https://github.com/o/r.git && git -C r checkout {C40}\n", []),
    ("git-clone-insecure", "git clone git://example.org/r.git\n", ["download-insecure"]),
    ("s3-anon", "aws s3 cp --no-sign-request s3://bucket/data.tar . \n", ["bucket-anonymous"]),
    ("s3-public", "aws s3 cp model.pt s3://bucket/model.pt --acl public-read\n", ["bucket-public-acl"]),
    ("gsutil-public", "gsutil iam ch allUsers:objectViewer gs://bucket\n", ["bucket-public-acl"]),
    ("gsutil-download", "gsutil cp gs://bucket/model.pt ./model.pt\n", ["download-unverified"]),
    ("pip-unpinned", "pip install torch transformers\n", ["pip-unpinned"]),
    ("pip-pinned", "pip install torch==2.3.1\n", ["pip-no-hashes"]),
    ("pip-range", "python -m pip install 'numpy>=1.24'\n", ["pip-unpinned"]),
    ("pip-project-not", "pip install -e '.[dev,test]'\npip install .\npip install dist/*.whl\n", []),
    ("pip-requirements-not", "pip install -r requirements.txt\n", []),
    ("pip-constraints-not", "pip install -c constraints.txt torch\n", []),
    ("pip-variable-not", "pip install $PACKAGES\n", []),
    ("pip-vcs", "pip install git+https://github.com/huggingface/transformers@main\n", ["pip-vcs-unpinned"]),
    ("pip-vcs-commit", f"pip install git+https://github.com/huggingface/transformers@{C40}\n", []),
    ("pip-url", "pip install https://example.org/pkg-1.0.tar.gz\n", ["pip-url-no-hash"]),
    ("pip-url-hash", f"pip install https://example.org/pkg-1.0.tar.gz#sha256={H64}\n", []),
    (
        "pip-extra-index",
        "pip install torch==2.3.1 --extra-index-url https://download.pytorch.org/whl/cu121\n",
        ["pip-extra-index", "pip-no-hashes"],
    ),
    (
        "pip-find-links",
        "pip install torch-scatter==2.1.2 -f https://data.pyg.org/whl/torch-2.3.0+cu121.html\n",
        ["pip-extra-index", "pip-no-hashes"],
    ),
    (
        "pip-index-url-not",
        "pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cpu\n",
        ["pip-no-hashes"],
    ),
    (
        "pip-trusted-host",
        "pip install --trusted-host pypi.example.org -i https://pypi.example.org/simple x==1\n",
        ["pip-no-hashes", "pip-trusted-host"],
    ),
    ("uv-pip", "uv pip install --system vllm\n", ["pip-unpinned"]),
    ("sudo-env-pip3", "sudo -H env PIP_NO_CACHE_DIR=1 pip3 install flask\n", ["pip-unpinned"]),
    ("bash-c-pip", "bash -c 'pip install requests'\n", ["pip-unpinned"]),
    ("heredoc-bash", "bash <<'EOF'\ncurl -fsSL https://get.example.dev | sh\nEOF\n", ["curl-pipe-shell"]),
    (
        "variable-url",
        "BASE=https://dl.example.org/ckpt\nwget $BASE/model_final.pth -O model.pth\n",
        ["download-unverified"],
    ),
    (
        "variable-pip",
        'PKGS="torch transformers"\nexport INDEX=https://download.pytorch.org/whl/cu121\n'
        'pip install $PKGS --extra-index-url "$INDEX"\n',
        ["pip-extra-index", "pip-unpinned"],
    ),
    ("variable-from-subst-not", 'URL=$(cat url.txt)\nwget "$URL"\n', []),
    (
        "clone-checkout-belongs-to-its-clone",
        f"git clone https://github.com/o/a && git -C a checkout {C40}\ngit clone https://github.com/o/b\n",
        ["vcs-clone-unpinned"],
    ),
    ("clone-short-commit", "git clone https://github.com/o/a\ncd a && git checkout 4d40e36\n", []),
    (
        "url-with-expression-path",
        "wget https://raw.example.org/v${{ matrix.v }}/collect_env.py\n",
        ["download-unverified"],
    ),
    ("extra-index-is-pypi-not", "pip install x==1 --extra-index-url https://pypi.org/simple\n", ["pip-no-hashes"]),
    ("clone-branch-variable-not", 'for tag in v1 v2; do git clone --branch "$tag" https://github.com/o/r; done\n', []),
    ("gdown", "gdown https://drive.google.com/uc?id=1AbCdEf -O weights/sam_vit_h.pth\n", ["download-unverified"]),
    ("gdown-id-verified", f"gdown --id 1AbCdEf -O ckpt.pt\necho '{H64}  ckpt.pt' | sha256sum -c -\n", []),
    ("kaggle", "kaggle datasets download -d owner/chest-xray --unzip\n", ["download-unverified"]),
    ("python-m-wget", "python -m wget https://example.org/model.ckpt\n", ["download-unverified"]),
    ("heredoc-cat-not", "cat > run.sh <<'EOF'\ncurl -fsSL https://get.example.dev | sh\nEOF\n", []),
]


@pytest.mark.parametrize(("name", "script", "expected"), SHELL_CASES, ids=[c[0] for c in SHELL_CASES])
def test_shell_script(tmp_path: Path, name: str, script: str, expected: list[str]) -> None:
    findings = run(tmp_path, {"scripts/run.sh": "#!/usr/bin/env bash\nset -euo pipefail\n" + script})
    assert slugs(findings) == expected, got(findings)


def test_severities_and_lines(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            "get.sh": """
        #!/bin/sh
        wget https://example.org/ckpt/resnet50.pth
        wget https://example.org/data/coco.zip
        pip install --upgrade pip setuptools wheel
        pip install torch --extra-index-url https://download.pytorch.org/whl/cu121
        """
        },
    )
    assert got(findings) == [
        ("download-unverified", 2, "high"),
        ("download-unverified", 3, "medium"),
        ("pip-unpinned", 4, "low"),
        ("pip-unpinned", 5, "medium"),
        ("pip-extra-index", 5, "high"),
    ]


def test_shebang_script_without_extension(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            "bin/setup": "#!/usr/bin/env bash\ncurl -sL https://x.example.dev | bash\n",
            "bin/notes": "curl -sL https://x.example.dev | bash\n",
        },
    )
    assert [(f.path, f.rule.slug) for f in findings] == [("bin/setup", "curl-pipe-shell")]


WORKFLOW = """
    name: ci
    on:
      pull_request_target:
        types: [opened, synchronize]
    permissions:
      contents: read
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              ref: ${{ github.event.pull_request.head.sha }}
          - run: |
              pip install -e .
              pytest
    """


def test_pr_target_checkout(tmp_path: Path) -> None:
    findings = run(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    assert got(findings) == [
        ("gha-unpinned-action", 11, "medium"),
        ("gha-pr-target-checkout", 13, "critical"),
    ]


def test_pr_target_same_repo_guard(tmp_path: Path) -> None:
    text = WORKFLOW.replace(
        "    runs-on: ubuntu-latest",
        "    if: github.event.pull_request.head.repo.full_name == github.repository\n"
        "        runs-on: ubuntu-latest",
    )
    findings = run(tmp_path, {".github/workflows/ci.yml": text})
    assert slugs(findings) == ["gha-unpinned-action"]


def test_pr_target_without_pr_ref_is_fine(tmp_path: Path) -> None:
    text = "\n".join(ln for ln in WORKFLOW.splitlines() if "with:" not in ln and "ref:" not in ln)
    findings = run(tmp_path, {".github/workflows/ci.yml": text})
    assert slugs(findings) == ["gha-unpinned-action"]


def test_expression_injection(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            ".github/workflows/triage.yml": f"""
        on:
          issues:
            types: [opened]
          pull_request:
        permissions: {{}}
        jobs:
          triage:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/github-script@{C40} # v7
                with:
                  script: |
                    const t = "${{{{ github.event.issue.title }}}}"
              - env:
                  BODY: ${{{{ github.event.issue.body }}}}
                run: |
                  echo "$BODY"
                  echo "${{{{ github.event.issue.number }}}}"
                  if [ "${{{{ contains(github.event.issue.title, 'bug') }}}}" = true ]; then echo bug; fi
                  echo "${{{{ github.event.issue.title }}}}" > title.txt
              - run: echo ${{{{ github.event.pull_request.head.ref }}}}
        """
        },
    )
    assert got(findings) == [
        ("gha-expression-injection", 13, "high"),
        ("gha-expression-injection", 20, "high"),
        ("gha-expression-injection", 21, "high"),
    ]


def test_expression_injection_unprivileged_is_medium(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            ".github/workflows/pr.yml": """
        on: pull_request
        permissions:
          contents: read
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: echo "branch ${{ github.head_ref }}"
              - run: echo "${{ inputs.name }} ${{ github.sha }}"
        """
        },
    )
    assert got(findings) == [("gha-expression-injection", 8, "medium")]


def test_actions_pins_permissions_runners_images(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            ".github/workflows/gpu.yml": f"""
        on: [push, pull_request]
        permissions: write-all
        jobs:
          gpu:
            runs-on: [self-hosted, linux, gpu]
            container:
              image: nvcr.io/nvidia/pytorch:24.05-py3
            services:
              redis:
                image: redis
            steps:
              - uses: actions/checkout@{C40} # v4.1.7
              - uses: docker://alpine:3.20
              - uses: ./.github/actions/local
              - uses: some-org/some-action@main
          lint:
            uses: other-org/workflows/.github/workflows/lint.yml@v1
        """
        },
        trusted_owners=("trusted-org",),
    )
    assert got(findings) == [
        ("gha-excessive-permissions", 2, "high"),
        ("gha-self-hosted-pr", 5, "high"),
        ("image-unpinned", 7, "medium"),
        ("image-latest", 10, "high"),
        ("image-unpinned", 13, "medium"),
        ("gha-unpinned-action", 15, "high"),
        ("gha-unpinned-action", 17, "high"),
    ]


def test_gpu_runner_labels_on_pull_requests(tmp_path: Path) -> None:
    findings = run(tmp_path, {".github/workflows/gpu.yml": """
        on: pull_request
        permissions: {}
        jobs:
          gpu:
            runs-on: linux.g5.4xlarge.nvidia.gpu
            steps: [{run: nvidia-smi}]
          larger:
            runs-on: 4-core-ubuntu-gpu-t4
            steps: [{run: nvidia-smi}]
          cpu:
            runs-on: ubuntu-22.04
            steps: [{run: echo ok}]
          gated:
            if: github.event.pull_request.head.repo.full_name == github.repository
            runs-on: [self-hosted, a100]
            steps: [{run: echo ok}]
        """})
    assert [(f.rule.slug, f.line, f.message) for f in findings] == [
        ("gha-self-hosted-pr", 5, "job 'gpu' runs pull-request code on a self-hosted GPU runner "
                                  "(linux.g5.4xlarge.nvidia.gpu)")]
    assert findings[0].level.label == "medium"


def test_permissions_undeclared_and_workflow_writes(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            ".github/workflows/a.yml": f"""
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@{C40}
        """,
            ".github/workflows/b.yml": f"""
        on: push
        permissions:
          contents: write
        jobs:
          a:
            runs-on: ubuntu-latest
            steps: [{{uses: actions/checkout@{C40}}}]
          b:
            runs-on: ubuntu-latest
            steps: [{{run: echo hi}}]
        """,
        },
    )
    assert [(f.path, f.rule.slug, f.line) for f in findings] == [
        (".github/workflows/a.yml", "gha-permissions-undeclared", 2),
        (".github/workflows/b.yml", "gha-excessive-permissions", 3),
    ]


def test_cache_poisoning_in_release(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            ".github/workflows/release.yml": f"""
        on:
          release:
            types: [published]
        permissions:
          id-token: write
        jobs:
          publish:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@{C40}
                with:
                  python-version: "3.12"
                  cache: pip
              - run: python -m build
              - uses: pypa/gh-action-pypi-publish@{C40}
        """
        },
    )
    assert got(findings) == [("gha-cache-poisoning", 13, "medium")]


def test_composite_action(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            "action.yml": """
        name: setup
        runs:
          using: composite
          steps:
            - uses: astral-sh/setup-uv@v5
            - run: curl -LsSf https://astral.sh/uv/install.sh | sh
              shell: bash
            - run: Invoke-WebRequest https://x.example.dev/a.ps1 | iex
              shell: pwsh
        """
        },
    )
    assert got(findings) == [("gha-unpinned-action", 5, "high"), ("curl-pipe-shell", 6, "high")]


def test_dockerfile(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            "docker/Dockerfile.gpu": f"""
        # syntax=docker/dockerfile:1.7
        ARG CUDA=12.1.1
        ARG BASE=nvidia/cuda:${{CUDA}}-cudnn8-devel-ubuntu22.04
        FROM ${{BASE}} AS builder
        RUN apt-get update && \\
            # comments inside a continuation are dropped
            apt-get install -y git && \\
            pip install --no-cache-dir \\
                torch==2.3.1 \\
                xformers
        ADD https://example.org/assets/vocab.tar.gz /opt/
        ADD --checksum=sha256:{H64} https://example.org/assets/merges.txt /opt/
        RUN <<EOF
        set -e
        curl -L -o /opt/model.ckpt https://example.org/model.ckpt
        echo "{H64}  /opt/model.ckpt" | sha256sum -c -
        EOF
        FROM python:3.11-slim@sha256:{H64}
        COPY --from=builder /opt /opt
        USER 1000
        """
        },
    )
    assert got(findings) == [
        ("image-unpinned", 4, "medium"),
        ("pip-unpinned", 8, "medium"),
        ("docker-add-remote-no-checksum", 11, "medium"),
    ]


def test_dockerfile_args_resolve_in_run_and_add(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            "Dockerfile": """
        FROM base:1@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        ARG LLAMA_VERSION=b4827
        ENV REPO_URL=https://github.com/o/repo MODEL_URL=https://example.org/w
        ADD https://github.com/o/llama/archive/refs/tags/${LLAMA_VERSION}.tar.gz /opt/src/
        RUN git clone ${REPO_URL} && wget -q "${MODEL_URL}/model.pt"
        USER 1000
        """
        },
    )
    assert [(f.rule.slug, f.line, f.message.split(" ")[0]) for f in findings] == [
        ("docker-add-remote-no-checksum", 4, "https://github.com/o/llama/archive/refs/tags/b4827.tar.gz"),
        ("download-unverified", 5, "pickle-capable"),
        ("vcs-clone-unpinned", 5, "git"),
    ]


def test_dockerfile_root_and_latest_and_stages(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            "Dockerfile": """
        FROM python:3.11 AS base
        USER app
        FROM base AS test
        RUN echo ok
        FROM ubuntu:latest AS final
        RUN wget -q http://example.org/tool.tgz
        """,
            "Containerfile": """
        FROM base-image:1.0 AS base
        USER app
        FROM base
        """,
        },
        non_minimal_base=True,
    )
    assert [(f.path, f.rule.slug, f.line) for f in findings] == [
        ("Containerfile", "image-unpinned", 1),
        ("Dockerfile", "image-unpinned", 1),
        ("Dockerfile", "docker-non-minimal-base", 1),
        ("Dockerfile", "image-latest", 5),
        ("Dockerfile", "docker-runs-as-root", 5),
        ("Dockerfile", "docker-non-minimal-base", 5),
        ("Dockerfile", "download-insecure", 6),
    ]


def test_dockerfile_escape_directive(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            "Dockerfile": """
        # escape=`
        FROM mcr.microsoft.com/windows/servercore:ltsc2022
        RUN powershell -Command `
            Invoke-WebRequest https://x.example.dev/a.exe -OutFile a.exe
        USER ContainerUser
        """
        },
    )
    assert got(findings) == [("image-unpinned", 2, "medium")]


def test_gitlab_ci_with_local_include(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            ".gitlab-ci.yml": f"""
        include:
          - local: ci/train.yml
          - remote: https://example.org/ci/templates.yml
          - project: group/ci-templates
            ref: main
            file: /python.yml
          - project: group/pinned
            ref: {C40}
            file: /x.yml
          - component: $CI_SERVER_FQDN/group/components/lint@1.2.0
          - template: Security/SAST.gitlab-ci.yml
        variables:
          PY_IMAGE: python:3.12
        default:
          image: $PY_IMAGE
        test:
          services: [postgres:16]
          script:
            - pip install -r requirements.txt
            - !reference [.setup, script]
        """,
            "ci/train.yml": """
        .setup:
          script:
            - echo setup
        train:
          image: pytorch/pytorch
          script:
            - wget https://example.org/weights/model.pth
            - |
              curl -sSL https://install.example.dev | bash
        """,
        },
    )
    assert [(f.path, f.rule.slug, f.line) for f in findings] == [
        (".gitlab-ci.yml", "gl-include-remote", 3),
        (".gitlab-ci.yml", "gl-include-unpinned", 5),
        (".gitlab-ci.yml", "gl-include-unpinned", 10),
        (".gitlab-ci.yml", "image-unpinned", 15),
        (".gitlab-ci.yml", "image-unpinned", 17),
        ("ci/train.yml", "image-latest", 5),
        ("ci/train.yml", "download-unverified", 7),
        ("ci/train.yml", "curl-pipe-shell", 9),
    ]


def test_makefile(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        {
            "Makefile": """
        PIP := python -m pip
        URL = https://example.org/ckpt/model.pt

        weights:
        \twget $(URL) -O model.pt

        install:
        \t@$(PIP) install black
        \t$(PIP) install -r requirements.txt
        """
        },
    )
    assert got(findings) == [("download-unverified", 5, "high"), ("pip-unpinned", 8, "medium")]


@pytest.mark.parametrize(
    "content",
    [
        "on: [push\njobs: {",
        "- just\n- a list\n",
        "a: &a [*a]\n",
        "jobs:\n  x: " + "[" * 5000 + "]" * 5000 + "\n",
    ],
)
def test_unparseable_workflow_is_one_finding(tmp_path: Path, content: str) -> None:
    p = tmp_path / ".github" / "workflows" / "bad.yml"
    p.parent.mkdir(parents=True)
    p.write_text(content, encoding="utf-8")
    findings = run(tmp_path, {})
    assert len(findings) <= 1
    assert all(f.rule.slug == "unreadable-file" for f in findings)


def test_billion_laughs_is_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    lines += ["on: push", "jobs:", "  j:", "    runs-on: ubuntu-latest", "    steps: *a29"]
    findings = run(tmp_path, {".github/workflows/lol.yml": "\n".join(lines) + "\n"})
    assert all(f.rule.slug in ("gha-permissions-undeclared", "unreadable-file") for f in findings)


def test_files_named_like_dockerfiles_but_not(tmp_path: Path) -> None:
    findings = run(tmp_path, {"src/pkg/dockerfile.py": "FROM = 1\n", "docs/Dockerfile.md": "FROM ubuntu\n",
                              "docker/Dockerfile.j2": "FROM {{ base }}\n",
                              "docker/Dockerfile.cuda12": "FROM ubuntu\nUSER 1000\n"})
    assert [(f.path, f.rule.slug) for f in findings] == [("docker/Dockerfile.cuda12", "image-latest")]


def test_binary_and_non_utf8(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM x\x00\xff\n")
    (tmp_path / "run.sh").write_bytes(b"#!/bin/sh\n# caf\xe9\ncurl https://get.example.dev | sh\n")
    findings = run(tmp_path, {})
    assert [(f.path, f.rule.slug) for f in findings] == [
        ("Dockerfile", "unreadable-file"),
        ("run.sh", "curl-pipe-shell"),
    ]


def test_hook_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlwarden_hooks.check_pipeline import main

    (tmp_path / "ok.sh").write_text("#!/bin/sh\necho hello\n", encoding="utf-8")
    (tmp_path / "bad.sh").write_text("#!/bin/sh\ncurl -s https://x.example.dev | sh\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["ok.sh"]) == 0
    assert main(["bad.sh"]) == 1
    assert "MLW831 curl-pipe-shell" in capsys.readouterr().out
    assert main(["bad.sh", "--fail-on", "critical"]) == 0
    assert main(["missing.sh"]) == 2


def test_requirements_installed_under_other_names_go_to_check_pins_readers(tmp_path: Path) -> None:
    findings = run(tmp_path, {"docker/Dockerfile": f"""
        FROM python:3.12-slim@sha256:{H64}
        COPY ci/deps.lst requirements.txt /app/
        RUN pip install --require-hashes -r /app/requirements.txt && pip install -r ../ci/deps.lst
        USER 1000
        """, "ci/deps.lst": "torch>=2.3\n", "requirements.txt": "numpy>=1\n"})
    # ci/deps.lst is read by check-pins' requirements reader and rules; requirements.txt is check-pins' own
    assert [(f.path, f.rule.id) for f in findings] == [("ci/deps.lst", "MLW301"), ("ci/deps.lst", "MLW302")]
