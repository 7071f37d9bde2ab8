"""``quantbot emulator`` end to end: it serves until Ctrl-C, and fails cleanly on bad input."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from quantbot.cli.emulator import emulator
from quantbot.logs import reset_logging

# The command alone, as the lead mounts it under ``quantbot emulator``. SIGINT is reset
# to Python's handler because a background parent may have started us ignoring it.
_SCRIPT = """
import signal, sys, typer
signal.signal(signal.SIGINT, signal.default_int_handler)
from quantbot.cli.emulator import emulator
app = typer.Typer()
app.command()(emulator)
app(sys.argv[1:])
"""


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.chdir(tmp_path)  # the embedded default configuration, files under tmp_path
    application = typer.Typer()
    application.command()(emulator)
    try:
        yield application
    finally:
        reset_logging()  # the command configured this process's logging


@pytest.fixture
def server(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    # Standard error (the log) goes to a file so that standard output is the only pipe.
    with (tmp_path / "stderr.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, "--port", "0", "--days", "1", "--symbols", "BTC/USDT"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


def test_serves_binance_requests_until_interrupted(server: subprocess.Popen[str]) -> None:
    assert server.stdout is not None
    first_line = server.stdout.readline()
    assert "listening on http://127.0.0.1:" in first_line
    url = first_line.rsplit(" ", 1)[-1].strip()
    with urllib.request.urlopen(f"{url}/api/v3/exchangeInfo", timeout=10) as response:
        symbols = [s["symbol"] for s in json.loads(response.read())["symbols"]]
    assert symbols == ["BTCUSDT"]
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=30) == 0
    # Read through the stream (not communicate(), which bypasses what readline buffered).
    out = first_line + server.stdout.read()
    assert "point_ccxt_at" in out
    assert out.rstrip().endswith("emulator stopped")


def test_a_bad_fault_file_exits_with_status_1(app: typer.Typer, tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text('{"path": "*", "kind": "explode"}')
    result = CliRunner().invoke(app, ["--faults", str(faults), "--days", "1"])
    assert result.exit_code == 1
    assert "unknown fault kind" in result.output


def test_a_port_in_use_exits_with_status_1(app: typer.Typer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["--port", str(port), "--days", "1"])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_an_empty_store_exits_with_status_1(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["--source", "store"])
    assert result.exit_code == 1
    assert "no candle store" in result.output
