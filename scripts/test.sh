#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium) and run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's chromium for the browser tests; dataset-fashion-mnist so the suite covers a full-size
# dataset (its 70,000 images in /usr/share/datasets/fashion-mnist) and the shipped Fashion models;
# haproxy, the balancer of scripts/serve.sh (its config test, the failover test).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# constraints.txt: the exact versions the suite last passed with (scripts/lock.py writes it).
# Every pin has wheels for Python 3.11 to 3.14; 3.10 gets the lower bounds of requirements*.txt.
pins=(-c constraints.txt)
if ! python -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Python < 3.11: installing without constraints.txt (its pins need 3.11+)" >&2
    pins=()
fi
python -m pip install -q -r requirements-dev.txt "${pins[@]}"
python -m ruff check .
python -m ruff format --check .
python -m pytest "$@"
