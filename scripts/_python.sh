# Sourced by the set-up scripts: finds Python 3.11 and creates/refreshes .venv.
# Usage: ensure_venv [pip install arguments...]
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$candidate"
            return 0
        fi
    done
    echo "quantbot needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

ensure_venv() {
    local python
    python=$(find_python)
    if [ ! -x .venv/bin/python ]; then
        "$python" -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -c requirements/constraints.txt "$@"
}
