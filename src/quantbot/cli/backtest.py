"""``quantbot backtest``: run strategies on historical or synthetic candles and report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from quantbot.analytics import SummaryTable, summary_table, write_outputs
from quantbot.cli.console import error_line, out, progress_bar, say
from quantbot.cli.download import parse_utc
from quantbot.cli.options import ConfigDirOption, DatabaseOption, load_or_exit, start_logging
from quantbot.config import QuantbotConfig
from quantbot.core.clock import WallClock
from quantbot.data.errors import DataError
from quantbot.engine.backtest import run_backtest
from quantbot.engine.backtest_job import (
    BacktestRequest,
    BacktestRequestError,
    PreparedBacktest,
    parse_params,
    prepare_backtest,
)
from quantbot.engine.run_record import record_run_finished, record_run_started

__all__ = ["backtest", "execute", "render_summary"]


def backtest(
    *,
    strategy: Annotated[
        list[str] | None,
        typer.Option(
            "--strategy",
            "-s",
            help="Strategy name; repeat for several (e.g. grid). Default: every strategy the "
            "configuration enables, each on its configured pairs.",
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            help="A CSV file in the data-file format (e.g. binance_BTC-USDT_1m.csv.gz), SYMBOL=PATH for "
            "a file named otherwise, or a symbol of the candle store (e.g. BTC/USDT); repeat for "
            "several. An order-book file (binance_BTC-USDT_orderbook.jsonl.gz) among them makes "
            "market orders walk the recorded book. Default: the synthetic market.",
        ),
    ] = None,
    funding: Annotated[
        list[str] | None,
        typer.Option(
            "--funding",
            help="Funding rates of a perpetual: PATH or SYMBOL=PATH (timestamp,funding_rate); "
            "repeat for several. Default: the funding file next to the candles.",
        ),
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option(
            "--symbols",
            help="Comma-separated markets of the synthetic market [default: the strategies' pairs].",
        ),
    ] = None,
    exchange: Annotated[
        str | None,
        typer.Option("--exchange", "-e", help="Exchange of the store's series and of the fees."),
    ] = None,
    timeframe: Annotated[
        str | None,
        typer.Option(
            "--timeframe", "-t", help="The strategies' candle timeframe (default: the data's)."
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First bar (UTC date or time).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="End, exclusive (UTC date or time).")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="Override a strategy parameter: KEY=VALUE or STRATEGY.KEY=VALUE."
        ),
    ] = None,
    fee_pct: Annotated[
        float | None,
        typer.Option("--fee-pct", help="Maker and taker fee in percent (default: the exchange's)."),
    ] = None,
    slippage_pct: Annotated[
        float | None, typer.Option("--slippage-pct", help="Slippage of taker fills in percent.")
    ] = None,
    capital: Annotated[
        float | None, typer.Option("--capital", help="Initial capital in quote currency.")
    ] = None,
    leverage: Annotated[
        float | None,
        typer.Option("--leverage", min=1, max=125, help="Leverage of perpetual positions."),
    ] = None,
    margin_mode: Annotated[
        str | None, typer.Option("--margin-mode", help="Margin of perpetuals: cross or isolated.")
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, help="Days of synthetic market.")
    ] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic market.")] = 7,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Directory of the report and files [default: data/backtests/<run>].",
        ),
    ] = None,
    bar_by_bar: Annotated[
        bool,
        typer.Option(
            "--bar-by-bar",
            help="Visit every bar instead of jumping between events (slower, same fills).",
        ),
    ] = False,
    no_risk: Annotated[
        bool,
        typer.Option(
            "--no-risk",
            help="Leave out the risk manager (portfolio limits, circuit breakers, drawdown "
            "brakes): only the venue's rules check orders. For research comparisons; by "
            "default a backtest applies the same risk manager as live trading.",
        ),
    ] = False,
    order_books: Annotated[
        bool,
        typer.Option(
            "--order-books",
            help="With store symbols in --data: market orders walk the store's recorded order "
            "books (quantbot data import of *_orderbook.jsonl.gz) at the bar opens they cover. "
            "With files, give the order-book files by --data instead.",
        ),
    ] = False,
    config_dir: ConfigDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Backtest strategies and write an HTML report, trades.csv, fills.csv, equity.csv and summary.json.

    Without --data the run uses the seeded synthetic market (no files, no network).
    Fees come from the exchange's settings, slippage, volume cap and latency from the
    backtest section of settings.yaml; the fill model is described in
    docs/backtesting.md. The run and its configuration are stored in the database.

    Without --strategy every strategy the configuration enables runs (grid and momentum
    by default), sharing one portfolio, each on its configured pairs.

    Every order passes the same risk manager as in live trading (risk_management in
    settings.yaml: limits, circuit breakers, drawdown brakes; docs/risk.md); its events
    and the rejected orders are in the summary, the report and the database. --no-risk
    leaves only the venue's rules.

    Examples:
      quantbot backtest
      quantbot backtest --strategy grid --strategy momentum --days 90
      quantbot backtest --strategy ema_cross
      quantbot backtest -s ema_cross --data ../shared/data/binance_BTC-USDT_1m.csv.gz -p order_size=0.004
      quantbot backtest -s ema_cross --data BTC/USDT --from 2025-01-01 --to 2025-04-01 --fee-pct 0.1
      quantbot backtest -s ema_cross -d BTC/USDT=my_candles.csv -d ETH/USDT=eth.csv
      quantbot backtest -s ema_cross -d binance_BTC-USDT_1m.csv.gz -d binance_BTC-USDT_orderbook.jsonl.gz
      quantbot backtest -s grid --no-risk
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    try:
        request = BacktestRequest(
            strategies=tuple(strategy or ()),
            params=parse_params(param or []),
            data=tuple(data or ()),
            funding=tuple(funding or ()),
            symbols=tuple(s.strip() for s in symbols.split(",") if s.strip()) if symbols else None,
            exchange=exchange,
            timeframe=timeframe,
            start_ms=parse_utc(start) if start else None,
            end_ms=parse_utc(end) if end else None,
            days=days,
            seed=seed,
            capital=capital,
            fee_pct=fee_pct,
            slippage_pct=slippage_pct,
            leverage=leverage,
            margin_mode=margin_mode,
            skip_idle_bars=not bar_by_bar,
            risk=not no_risk,
            order_books=order_books,
        )
        prepared = prepare_backtest(config, request)
    except (BacktestRequestError, DataError) as exc:
        error_line(f"backtest: {exc}")
        raise typer.Exit(1) from None
    for note in prepared.notes:
        say(f"note: {note}")
    report = execute(config, prepared, database=database, out_dir=out_dir)
    say(f"report: {report}")


def execute(
    config: QuantbotConfig,
    prepared_run: PreparedBacktest,
    *,
    database: str | None,
    out_dir: Path | None,
) -> Path:
    """Run a prepared backtest with a progress bar, write its outputs, store it, show the summary.

    Returns the path of the HTML report.
    """
    clock = WallClock()
    run_id = f"bt-{clock.now_ms()}"
    url = config.database_url(database)
    record_run_started(url, run_id, prepared_run, clock=clock, database_option=database is not None)
    with progress_bar() as bar:
        task = bar.add_task("backtest", total=len(prepared_run.market.data.ts_ms))
        result = run_backtest(
            prepared_run.market.data,
            prepared_run.strategies,
            prepared_run.config,
            run_id=run_id,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    title = f"{' + '.join(s.name for s in prepared_run.strategies)} on {prepared_run.market.source}"
    directory = (out_dir or config.data_dir / "backtests" / run_id).resolve()
    outputs = write_outputs(result, directory, title=title)
    render_summary(summary_table(outputs.analysis, title=title))
    record_run_finished(
        url,
        run_id,
        summary=outputs.summary,
        report=outputs.paths.report,
        clock=clock,
        result=result,
    )
    return outputs.paths.report


def render_summary(table: SummaryTable) -> None:
    """Print a run's summary table (rich) and its notes (risk events and rejections among them)."""
    rich_table = Table(title=table.title)
    for index, column in enumerate(table.columns):
        rich_table.add_column(column, justify="left" if index == 0 else "right")
    for row in table.rows:
        rich_table.add_row(*row)
    out.print(rich_table)
    for note in table.notes:
        say(note)
