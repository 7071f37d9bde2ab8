"""``quantbot download``: historical candles and funding rates from an exchange."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from quantbot.cli.console import error_line, out, progress_bar, step_reporter
from quantbot.cli.options import ConfigDirOption, load_or_exit, start_logging
from quantbot.core.clock import WallClock, ms_to_datetime
from quantbot.data.downloader import Downloader, DownloadError, DownloadResult
from quantbot.data.store import CandleStore
from quantbot.data.symbols import is_perpetual
from quantbot.venues.exchanges import create_exchange

__all__ = ["download", "parse_utc"]


def parse_utc(text: str) -> int:
    """Parse ``2025-01-01`` or ``2025-01-01T12:00[:00][Z]`` (UTC) to epoch ms.

    Raises:
        typer.BadParameter: for anything else (a usage error, exit status 2).
    """
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a UTC date like 2025-01-01 or 2025-01-01T12:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def download(
    *,
    symbols: Annotated[
        str,
        typer.Option(
            "--symbols", "-s", help="Comma-separated ccxt symbols, e.g. BTC/USDT,ETH/USDT:USDT."
        ),
    ],
    since: Annotated[
        str, typer.Option("--since", help="First candle (UTC date or time), e.g. 2025-01-01.")
    ],
    exchange: Annotated[
        str, typer.Option("--exchange", "-e", help="ccxt exchange id.")
    ] = "binance",
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="Candle timeframe.")] = "1m",
    until: Annotated[
        str | None, typer.Option("--until", help="End, exclusive (UTC); default: now.")
    ] = None,
    funding: Annotated[
        bool,
        typer.Option("--funding/--no-funding", help="Also download funding rates of perpetuals."),
    ] = True,
    emulator: Annotated[
        str | None,
        typer.Option(
            "--emulator",
            metavar="URL",
            help="Use a quantbot exchange emulator at URL instead of the exchange.",
        ),
    ] = None,
    config_dir: ConfigDirOption = None,
) -> None:
    """Download closed candles (and funding rates of perpetuals) into the candle store.

    Resumes where the previous run stopped, retries rate limits and server errors with
    back-off, and never stores a candle that has not closed. Public data only: no API
    keys are used.

    Examples:
      quantbot download --symbols BTC/USDT,ETH/USDT --timeframe 1m --since 2025-01-01
      quantbot download -s BTC/USDT:USDT -t 1h --since 2024-01-01 --until 2024-07-01
      quantbot download -s BTC/USDT --since 2025-01-01 --emulator http://127.0.0.1:8765
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    since_ms = parse_utc(since)
    until_ms = parse_utc(until) if until else None
    wanted = [s.strip() for s in symbols.split(",") if s.strip()]
    settings = config.settings.exchanges.get(exchange)
    client = create_exchange(exchange, settings, emulator_url=emulator)
    store = CandleStore(config.data_dir / "market")
    results: list[DownloadResult] = []
    with progress_bar(counts=False, transient=False) as bar:
        report = step_reporter(bar)

        def progress(label: str, done_ms: int, end_ms: int) -> None:
            report(label, min(done_ms, end_ms) - since_ms, max(end_ms - since_ms, 1))

        downloader = Downloader(
            client, exchange_id=exchange, store=store, clock=WallClock(), progress=progress
        )
        try:
            for symbol in wanted:
                results.append(
                    downloader.download_ohlcv(
                        symbol, timeframe, since_ms=since_ms, until_ms=until_ms
                    )
                )
                if funding and is_perpetual(symbol):
                    results.append(
                        downloader.download_funding(symbol, since_ms=since_ms, until_ms=until_ms)
                    )
        except DownloadError as exc:
            error_line(f"download stopped: {exc}")
            error_line("what was downloaded before is stored; run the same command again to resume")
            raise typer.Exit(1) from None
        finally:
            client.close()
    _render(results)


def _render(results: list[DownloadResult]) -> None:
    table = Table(title="Downloaded")
    for column in ("symbol", "data", "new rows", "resumed from", "newest", "requests"):
        table.add_column(column)
    for r in results:
        newest = ms_to_datetime(r.last_ts_ms).isoformat() if r.last_ts_ms is not None else "-"
        table.add_row(
            r.symbol,
            r.timeframe or r.kind,
            f"{r.rows_added:,}",
            ms_to_datetime(r.resumed_from_ms).isoformat(),
            newest,
            str(r.requests),
        )
    out.print(table)
