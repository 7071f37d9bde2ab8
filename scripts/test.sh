#!/usr/bin/env bash
# Set-up command 2: install everything the tests need, including a PostgreSQL server and
# a C compiler from Debian's packages, then run the linters and the whole test suite.
# The suite starts its own throw-away PostgreSQL cluster on 127.0.0.1 and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# The suite runs what users run: the engine core compiled with a C compiler.
command -v cc >/dev/null 2>&1 || missing+=(gcc)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

. scripts/_python.sh
ensure_venv -e '.[dev]'

echo "ruff";  .venv/bin/ruff check src tests bench docs/examples
.venv/bin/ruff format --check src tests bench docs/examples
echo "mypy";  .venv/bin/mypy
echo "import contracts"; .venv/bin/lint-imports
echo "docs";  .venv/bin/quantbot config docs --check

set +e
QUANTBOT_REQUIRE_POSTGRES=1 .venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure, not a pass" >&2
    exit 1
fi
exit "$status"
