"""``quantbot emulator``: a local Binance-speaking exchange for tests and offline runs.

The server answers the public spot (``/api/v3``) and USD-M futures (``/fapi/v1``)
market-data endpoints as Binance does, from the synthetic market or the candle store.
An unmodified ccxt client talks to it once every base URL in ``exchange.urls['api']``
points there, keeping the path (``https://fapi.binance.com/fapi/v1`` →
``http://127.0.0.1:8765/fapi/v1``); :func:`quantbot.venues.emulator.point_ccxt_at` does
exactly that::

    import ccxt
    from quantbot.venues.emulator import point_ccxt_at

    exchange = point_ccxt_at(ccxt.binance(), "http://127.0.0.1:8765")
    exchange.fetch_ohlcv("BTC/USDT", "1m", limit=5)

and ``quantbot download --emulator http://127.0.0.1:8765`` uses it. Faults are injected
at start-up (``--faults rules.json``) or at run time through the control API under
``/_emulator`` (see :mod:`quantbot.venues.emulator.control`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from quantbot.cli.console import error_line, say
from quantbot.cli.options import ConfigDirOption, load_or_exit, start_logging
from quantbot.core.clock import WallClock
from quantbot.venues.emulator.errors import EmulatorError
from quantbot.venues.emulator.faults import FaultRule
from quantbot.venues.emulator.launch import EmulatorOptions, build_state, load_fault_file
from quantbot.venues.emulator.server import serve_forever
from quantbot.venues.emulator.state import EmulatorState
from quantbot.venues.emulator.synthetic_source import DEFAULT_SYMBOLS

__all__ = ["SourceChoice", "emulator"]


class SourceChoice(StrEnum):
    """Where the emulator's candles come from."""

    SYNTHETIC = "synthetic"
    STORE = "store"


def emulator(
    *,
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on (127.0.0.1 keeps it local).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free one).")
    ] = 8765,
    source: Annotated[
        SourceChoice,
        typer.Option(
            "--source", help="synthetic: the seeded synthetic market; store: the candle store."
        ),
    ] = SourceChoice.SYNTHETIC,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the synthetic market and order books.")
    ] = 7,
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, help="Days of synthetic history before today.")
    ] = 30,
    symbols: Annotated[
        str,
        typer.Option(
            "--symbols", "-s", help="Comma-separated synthetic markets (spot and USD-M perpetuals)."
        ),
    ] = ",".join(DEFAULT_SYMBOLS),
    exchange: Annotated[
        str,
        typer.Option(
            "--exchange", "-e", help="Exchange id whose stored series are served (--source store)."
        ),
    ] = "binance",
    faults: Annotated[
        Path | None,
        typer.Option(
            "--faults", metavar="FILE", help="JSON file of fault rules active from the start."
        ),
    ] = None,
    fault_seed: Annotated[
        int, typer.Option("--fault-seed", help="Seed of the fault rules' probabilities.")
    ] = 0,
    config_dir: ConfigDirOption = None,
) -> None:
    """Run a local exchange emulator speaking Binance's REST API until Ctrl-C.

    Serves markets, server time, klines, 24h tickers, order books, trades, premium
    index and funding history for spot and USD-M perpetual markets, never serving a
    candle before it has closed on the wall clock (the one still open is served as
    Binance does). Faults (429/418/5xx, latency, timeouts, malformed JSON, dropped
    connections) are added with --faults or the control API under /_emulator.

    Examples:
      quantbot emulator
      quantbot emulator --port 9000 --days 90 --seed 42 -s BTC/USDT,BTC/USDT:USDT
      quantbot emulator --source store --faults faults.json
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    wanted = [s.strip() for s in symbols.split(",") if s.strip()]
    try:
        rules: list[FaultRule] = load_fault_file(faults) if faults is not None else []
        state = build_state(
            EmulatorOptions(
                source=source.value,
                symbols=wanted,
                days=days,
                seed=seed,
                store_root=config.data_dir / "market",
                exchange=exchange,
                faults=rules,
                fault_seed=fault_seed,
            ),
            clock=WallClock(),
        )
    except EmulatorError as exc:
        error_line(f"emulator: {exc}")
        raise typer.Exit(1) from None
    try:
        serve_forever(state, host=host, port=port, on_started=lambda url: _render(url, state))
    except OSError as exc:
        error_line(f"emulator: cannot listen on {host}:{port}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        say("emulator stopped")


def _render(url: str, state: EmulatorState) -> None:
    markets = [spec.symbol for spec in (*state.catalogue.spot, *state.catalogue.usdm)]
    say(f"exchange emulator (Binance REST) listening on {url}")
    say(f"data: {state.source.description}; markets: {', '.join(markets) or 'none'}")
    say(f"spot API {url}/api/v3, USD-M futures API {url}/fapi/v1, control API {url}/_emulator")
    say("point ccxt at it:")
    say(f"  quantbot download --emulator {url} --symbols BTC/USDT --since 2025-01-01")
    say(f'  point_ccxt_at(ccxt.binance(), "{url}")   # from quantbot.venues.emulator')
    say(
        "inject a fault: curl -X POST "
        f'{url}/_emulator/faults -d \'{{"path": "/api/v3/klines", "kind": "status", '
        '"status": 429, "count": 3}\''
    )
    say("Ctrl-C to stop.")
