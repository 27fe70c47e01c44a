#!/usr/bin/env bash
# Устанавливает всё и запускает демонстрацию без интернета / installs everything and runs the offline demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/infopole demo "$@"
