#!/usr/bin/env bash
# Install mlwarden for the GitHub Action into its own virtual environment:
#   1. runtime dependencies from action/requirements.txt, every file checked against its pinned hash;
#   2. mlwarden itself from the action's own checkout (--no-deps, --no-build-isolation: the build backend
#      is the hash-pinned setuptools from step 1, nothing else is fetched).
# Writes the venv's python and mlwarden paths to $GITHUB_OUTPUT. Reuses the venv when the same action
# checkout already installed it in this job.
#
# Environment:
#   MLWARDEN_ACTION_PATH          the action's checkout (required; github.action_path)
#   MLWARDEN_ACTION_REQUIREMENTS  another hash-pinned requirements file (e.g. for an internal mirror)
#   PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX ...  pip's own settings apply as usual
set -euo pipefail

action_path="${MLWARDEN_ACTION_PATH:?MLWARDEN_ACTION_PATH is not set}"
requirements="${MLWARDEN_ACTION_REQUIREMENTS:-$action_path/action/requirements.txt}"
python="python3"
command -v "$python" >/dev/null 2>&1 || python="python"

base="${RUNNER_TEMP:-}"
if [ -z "$base" ]; then
    base="$(mktemp -d)"
fi
venv="$base/mlwarden-venv"
bin="$venv/bin"
stamp="$(cat "$requirements" "$action_path/pyproject.toml" "$action_path/src/mlwarden/__init__.py" \
         | "$python" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"

if [ -f "$venv/.mlwarden-stamp" ] && [ "$(cat "$venv/.mlwarden-stamp")" = "$stamp" ]; then
    echo "mlwarden: reusing $venv"
else
    rm -rf "$venv"
    "$python" -m venv "$venv"
    if [ -d "$venv/Scripts" ]; then
        bin="$venv/Scripts"
    fi
    pip=("$bin/python" -m pip --disable-pip-version-check --no-input)
    "${pip[@]}" install --quiet --require-hashes --only-binary :all: -r "$requirements"
    "${pip[@]}" install --quiet --no-deps --no-build-isolation "$action_path"
    echo "$stamp" > "$venv/.mlwarden-stamp"
fi
if [ -d "$venv/Scripts" ]; then
    bin="$venv/Scripts"
fi
"$bin/mlwarden" --version
{
    echo "python=$bin/python"
    echo "mlwarden=$bin/mlwarden"
} >> "${GITHUB_OUTPUT:-/dev/null}"
