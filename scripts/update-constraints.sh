#!/usr/bin/env bash
# Re-resolve the dependency ranges of pyproject.toml and write the exact versions to
# requirements/constraints.txt, which every install uses so that installs are
# reproducible. Run after changing dependencies; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_python.sh
python=$(find_python)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check '.[dev]'
{
    echo "# Exact versions for reproducible installs; regenerate with scripts/update-constraints.sh"
    "$tmp/venv/bin/pip" freeze --exclude quantbot | grep -v '^-e '
} > requirements/constraints.txt
echo "wrote requirements/constraints.txt"
