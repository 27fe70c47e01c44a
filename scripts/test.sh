#!/usr/bin/env bash
# Устанавливает всё и прогоняет все проверки / installs everything and runs every check:
# ruff (lint + format), mypy, and pytest against a real PostgreSQL and a real Elasticsearch node.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy

echo "== services"
started=()
cleanup() {
    for service in "${started[@]}"; do bash "scripts/$service.sh" stop || true; done
}
trap cleanup EXIT
# A service that was already running (a developer's, another checkout's test run) is used and left
# running: only what this run started is stopped at its end.
if [ -z "${INFOPOLE_TEST_POSTGRES_URL:-}" ]; then
    bash scripts/postgres.sh status >/dev/null 2>&1 || started+=(postgres)
    INFOPOLE_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start | tail -n 1)
fi
if [ -z "${INFOPOLE_TEST_ES_URL:-}" ]; then
    bash scripts/elasticsearch.sh status >/dev/null 2>&1 || started+=(elasticsearch)
    INFOPOLE_TEST_ES_URL=$(bash scripts/elasticsearch.sh start | tail -n 1)
fi
export INFOPOLE_TEST_POSTGRES_URL INFOPOLE_TEST_ES_URL

echo "== report tools (LibreOffice, poppler, Cyrillic fonts)"
bash scripts/reports-deps.sh

echo "== chromium (browser tests of the dashboard)"
if [ ! -x /usr/bin/chromium ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update && $sudo apt-get install -y chromium
fi

echo "== pytest"
.venv/bin/python -m pytest "$@"
