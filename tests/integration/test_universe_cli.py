"""``quantbot universe`` as a user runs it: against the local Binance emulator and the
CoinGecko stand-in end to end, plus option handling and a failing exchange reported in
one line with exit status 1."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from quantbot.cli.main import app
from quantbot.logs import reset_logging

from fixtures.coingecko import CoinGeckoStandIn
from fixtures.emulator import RunningEmulator


def run(*args: str) -> Result:
    """Run the command in-process, as the console script would with these arguments."""
    try:
        return CliRunner().invoke(app, ["universe", *args], env={"COLUMNS": "200"})
    finally:
        # The command set up process-wide logging on the runner's stream, now closed.
        reset_logging()


def closed_port() -> int:
    """A local port nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, coingecko_server: CoinGeckoStandIn
) -> Path:
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "settings.yaml").write_text(
        "exchanges:\n"
        f"  binance: {{enabled: true, emulator_url: 'http://127.0.0.1:{closed_port()}'}}\n"
        "  bybit: {enabled: false}\n"
        f"universe: {{provider_url: '{coingecko_server.url}'}}\n"
    )
    return directory


def test_help_shows_examples() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "quantbot universe --exchange binance" in result.output


def test_an_unknown_exchange_id_is_a_usage_error(config_dir: Path) -> None:
    result = run("--config", str(config_dir), "--exchange", "nosuchexchange")
    assert result.exit_code == 2
    assert "'nosuchexchange' is not a ccxt exchange id" in result.output


def test_an_unreachable_exchange_fails_in_one_line_naming_the_emulator_url(
    config_dir: Path, coingecko_server: CoinGeckoStandIn
) -> None:
    settings = (config_dir / "settings.yaml").read_text()
    port = settings.split("127.0.0.1:")[1].split("'")[0]
    result = run("--config", str(config_dir))
    assert result.exit_code == 1
    assert result.output.startswith("binance: ")
    assert f"127.0.0.1:{port}/api/v3/" in result.output
    assert coingecko_server.requests == []  # nothing costly before the exchange answered


def test_universe_on_the_emulator_filters_and_explains_every_market(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emulator: RunningEmulator,
    binance: Any,
    coingecko_server: CoinGeckoStandIn,
) -> None:
    # An independent look at the emulator's spot volumes (the sync ccxt client) sets a
    # volume minimum that the quietest market fails and the others pass.
    volumes = {s: t["quoteVolume"] for s, t in binance.fetch_tickers().items() if ":" not in s}
    quietest, *active = sorted(volumes, key=volumes.__getitem__)
    minimum = (volumes[quietest] * volumes[active[0]]) ** 0.5
    emulator.control.reset_requests()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.yaml").write_text(
        "exchanges:\n"
        f"  binance: {{enabled: true, emulator_url: '{emulator.base_url}'}}\n"
        "  bybit: {enabled: false}\n"
        "universe:\n"
        f"  provider_url: '{coingecko_server.url}'\n"
        f"  min_daily_volume_usd: {minimum:.2f}\n"
        "  min_history_days: 5\n"
    )

    result = run("--config", "config")

    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "/USDT" in line]
    listed = [symbol for line in rows for symbol in volumes if f" {symbol} " in line]
    by_volume = sorted(active, key=volumes.__getitem__, reverse=True)
    assert listed == [*by_volume, quietest]
    assert f"Universe on binance: {len(active)} of {len(volumes)} spot markets" in result.output
    # Nine whole days have closed at the emulator's time: its clock, not this machine's.
    assert all(" 9 d " in line for line in rows[: len(active)])
    [excluded] = [line for line in rows if f" {quietest} " in line]
    assert "24h volume $" in excluded
    assert "not checked: market cap, exchange listings, volatility, history" in excluded
    # The quietest market cost no candle request and no provider lookup.
    klines = {r["query"]["symbol"] for r in emulator.control.request_log("/api/v3/klines")}
    assert klines == {symbol.replace("/", "") for symbol in active}
    [lookup] = coingecko_server.seen("/coins/markets")
    assert quietest.split("/")[0].lower() not in lookup.query["symbols"].split(",")
