#!/usr/bin/env bash
# Creates .venv and installs exactly the pinned versions of requirements.lock, then Infopole itself.
# Safe to run again: an up-to-date environment is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
UV_VERSION=0.13.9

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "Нужен Python 3.11 ($PYTHON не найден) / Python 3.11 is required" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
.venv/bin/uv pip sync --quiet --python .venv/bin/python requirements.lock
# compat mode puts the repository on sys.path, so packages added later are found without reinstalling
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -C editable_mode=compat -e .
echo "Окружение готово / environment ready: $(pwd)/.venv"
