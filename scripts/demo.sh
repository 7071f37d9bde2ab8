#!/usr/bin/env bash
# Set-up command 1: install quantbot into .venv and run its main job, the demo, on the
# embedded default configuration and synthetic market data (no API keys, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_python.sh
ensure_venv -e .
exec .venv/bin/quantbot demo "$@"
