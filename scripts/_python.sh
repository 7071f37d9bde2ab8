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

# What an install depends on: its arguments, the packaging files, and the sources of the
# compiled engine core (src/quantbot/compiled.py lists them).
install_stamp() {
    local compiled
    compiled=$("$1" -c 'import runpy; c = runpy.run_path("src/quantbot/compiled.py")
print(*(c["source_path"](m, c["Path"]("src/quantbot")) for m in c["MODULES"]))')
    shift
    # shellcheck disable=SC2086 # the module paths contain no spaces
    { echo "$*" "${QUANTBOT_PURE_PYTHON:-}"; cat pyproject.toml setup.py \
        requirements/constraints.txt src/quantbot/compiled.py $compiled; } | sha256sum
}

# Installing builds the compiled engine core (about a minute), so it runs only when the
# stamp of what it depends on changed since the last install into .venv.
ensure_venv() {
    local python stamp
    python=$(find_python)
    if [ ! -x .venv/bin/python ]; then
        "$python" -m venv .venv
    fi
    stamp=$(install_stamp "$python" "$@")
    if [ "$(cat .venv/quantbot-install.stamp 2>/dev/null)" != "$stamp" ]; then
        echo "installing quantbot into .venv (compiling the engine core takes a minute)"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check \
            -c requirements/constraints.txt "$@"
        echo "$stamp" >.venv/quantbot-install.stamp
    fi
    echo "engine core: $(.venv/bin/python -c 'import quantbot.compiled as c; print(c.status())')"
}
