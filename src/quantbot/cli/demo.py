"""``quantbot demo``: the main job on the embedded default (no API keys, no network)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from quantbot.cli.backtest import execute
from quantbot.cli.console import error_line, out, progress_bar, say, step_reporter
from quantbot.cli.options import ConfigDirOption, DatabaseOption, load_or_exit, start_logging
from quantbot.core.clock import WallClock
from quantbot.engine import DemoSummary, run_demo
from quantbot.engine.backtest_job import BacktestRequest, BacktestRequestError, prepare_backtest

__all__ = ["demo"]


def demo(
    config_dir: ConfigDirOption = None,
    database: DatabaseOption = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, help="Days of synthetic 1m candles.")
    ] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic market.")] = 7,
) -> None:
    """Run quantbot's main job on the embedded default: no API keys, no network.

    Checks the configuration, migrates the database (SQLite under data/ by default),
    generates a synthetic market for every pair the enabled strategies trade, stores
    it in the candle store, backtests every enabled strategy on it together (grid and
    momentum by default, sharing one portfolio), prints the summary with each
    strategy's figures and writes the HTML report (its path is the last line). The run is
    recorded in the database and the JSON log.

    Examples:
      quantbot demo
      quantbot demo --days 90 --seed 42 --database sqlite:///data/demo.sqlite
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    with progress_bar() as bar:
        summary = run_demo(
            config,
            database_url=config.database_url(database),
            clock=WallClock(),
            days=days,
            seed=seed,
            progress=step_reporter(bar),
        )
    _render(summary)
    try:
        prepared = prepare_backtest(config, BacktestRequest(), market=summary.market)
    except BacktestRequestError as exc:
        error_line(f"demo: {exc}")
        raise typer.Exit(1) from None
    report = execute(config, prepared, database=database, out_dir=None)
    say(f"report: {report}")


def _render(summary: DemoSummary) -> None:
    table = Table(
        title=f"Synthetic market: {summary.days} days of 1m candles (seed {summary.seed})"
    )
    for column in ("pair", "candles", "open", "close", "return", "vol/yr", "max DD"):
        table.add_column(column, justify="left" if column == "pair" else "right")
    for row in summary.symbols:
        table.add_row(
            row.symbol,
            f"{row.candles:,}",
            f"{row.first_open:,.2f}",
            f"{row.last_close:,.2f}",
            f"{row.return_pct:+.2f} %",
            f"{row.annual_volatility_pct:.1f} %",
            f"{row.max_drawdown_pct:.2f} %",
        )
    out.print(table)
    pairs = list(summary.correlation.columns)
    if len(pairs) > 1:
        low = summary.correlation.where(~summary.correlation.eq(1.0)).min().min()
        high = summary.correlation.where(~summary.correlation.eq(1.0)).max().max()
        say(f"1m return correlation between pairs: {low:.2f} to {high:.2f}")
    say(f"candle store: {summary.market_dir} (exchange 'synthetic'); try: quantbot data check")
    say(
        f"database: {summary.database} (revision {summary.revision}); run {summary.run_id} recorded"
    )
    say("next: quantbot config init ./config to customise, quantbot preflight before a start")
