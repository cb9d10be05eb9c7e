#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium) and run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
python -m pip install -q -r requirements-dev.txt
python -m ruff check .
python -m pytest "$@"
