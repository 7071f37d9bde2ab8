"""``quantbot grid``: tools of the grid strategy — which pairs suit a grid (``grid rank``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from quantbot.cli.console import error_line, out, progress_bar, say
from quantbot.cli.options import ConfigDirOption, load_or_exit, start_logging
from quantbot.data.quality import iso_utc
from quantbot.data.store import CandleStore
from quantbot.data.universe import format_usd
from quantbot.engine.grid_pairs import GridPairSurvey, RankedPair, survey_grid_pairs
from quantbot.strategies.grid_params import GridParams
from quantbot.strategies.grid_ranking import GridRankingRules

__all__ = ["grid_app"]

grid_app = typer.Typer(
    help="Tools of the grid strategy: rank pairs for a grid.", no_args_is_help=True
)


@grid_app.command("rank")
def rank_command(
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            "-d",
            exists=True,
            help="Candle files in the data-file format (e.g. binance_SOL-USDT_1h.csv.gz), or "
            "directories searched for them; *_orderbook.jsonl.gz files among them give the "
            "spread. Repeat for several. Default: the candle store (<data_dir>/market).",
            show_default=False,
        ),
    ] = None,
    exchange: Annotated[
        str | None,
        typer.Option(
            "--exchange",
            "-e",
            help="Exchange whose markets to rank [default: backtest.exchange in settings.yaml].",
            show_default=False,
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option("--top", "-n", min=1, help="Show the N best pairs only."),
    ] = None,
    spacing_pct: Annotated[
        float | None,
        typer.Option(
            "--spacing-pct",
            min=0.01,
            help="Grid spacing to judge the fees against, percent [default: the grid's, 0.5].",
            show_default=False,
        ),
    ] = None,
    config_dir: ConfigDirOption = None,
) -> None:
    """Score pairs for a grid: volatility, liquidity, mean reversion and fee efficiency.

    Each market is measured on its daily candles (from the finest series reaching
    furthest): 30-day realised volatility (> 40 % annualised), Hurst exponent of up to
    90 daily closes (< 0.5: mean-reverting), 24h volume (among the 20 largest) and
    spread (<= 0.1 %, where order books were recorded), and whether the spacing pays
    at least twice a round trip's cost (two fees at grid_strategy.fee_rate, plus the
    spread). Eligible pairs come first, by score: the grid's expected earnings per
    order and day, in percent of the order, were the price a random walk with that
    volatility - a yardstick to shortlist pairs for a backtest, not a forecast.

    Examples:
      quantbot grid rank --data ../shared/data
      quantbot grid rank -d binance_SOL-USDT_1h.csv.gz -d binance_BTC-USDT_1h.csv.gz
      quantbot grid rank --exchange binance --top 10 --spacing-pct 0.8 --config ./config
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    venue = exchange or config.settings.backtest.exchange
    rules = GridRankingRules(
        grid_spacing_pct=spacing_pct or GridParams().grid_spacing_pct,
        fee_rate=config.grid.fee_rate,
    )
    source: list[Path] | CandleStore = data or CandleStore(config.data_dir / "market")
    with progress_bar() as bar:
        task = bar.add_task("reading", total=None)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=escape(name))

        survey = survey_grid_pairs(
            source,
            exchange=venue,
            quality=config.settings.data_quality,
            rules=rules,
            progress=progress,
        )
    where = "the files given" if data else f"the candle store {config.data_dir / 'market'}"
    if not survey.pairs:
        _render_left_out(survey)
        error_line(f"no candles of {venue} markets in {where}; nothing to rank")
        raise typer.Exit(1)
    _render(survey, top=top, where=where)


def _render(survey: GridPairSurvey, *, top: int | None, where: str) -> None:
    rules = survey.rules
    eligible = sum(pair.score.eligible for pair in survey.pairs)
    table = Table(
        title=f"Grid pairs on {survey.exchange}: {eligible} of {len(survey.pairs)} eligible",
        caption=f"grid spacing {rules.grid_spacing_pct:g} %, fee {rules.fee_rate:g} % a fill; "
        "score: expected earnings per order and day, % of the order, on a random walk",
    )
    for column in ("#", "symbol", "last day", "volatility", "hurst", "24h volume", "spread"):
        table.add_column(column, justify="left" if column == "symbol" else "right")
    for column in ("fee cover", "score"):
        table.add_column(column, justify="right")
    table.add_column("verdict", justify="left")
    shown = survey.pairs[:top]
    for rank, pair in enumerate(shown, start=1):
        table.add_row(str(rank), *_cells(pair))
    out.print(table)
    if len(shown) < len(survey.pairs):
        say(f"... and {len(survey.pairs) - len(shown)} more (raise --top)", style="dim")
    say(f"measured on {where}:", style="dim")
    for pair in shown:
        source = pair.source
        say(
            f"  {source.symbol}: {source.series}, {source.daily_closes} daily closes",
            style="dim",
        )
    _render_left_out(survey)


def _cells(pair: RankedPair) -> list[str]:
    score, source = pair.score, pair.source
    volume = score.quote_volume_usd
    return [
        escape(score.symbol),
        iso_utc(source.last_day_ms)[:10],
        "?" if score.volatility_pct is None else f"{score.volatility_pct:.1f}%",
        "?" if score.hurst is None else f"{score.hurst:.2f}",
        "?" if volume is None else format_usd(volume),
        _spread(score.spread_pct),
        f"{score.fee_cover:.2f}x" if math.isfinite(score.fee_cover) else "no cost",
        "?" if score.score is None else f"{score.score:.3f}",
        "eligible" if score.eligible else escape("; ".join(score.failures)),
    ]


def _spread(pct: float | None) -> str:
    """Four decimals; a liquid pair's one-tick spread shows as below them."""
    if pct is None:
        return "?"
    return f"{pct:.4f}%" if pct >= 0.0001 else "<0.0001%"


def _render_left_out(survey: GridPairSurvey) -> None:
    for series, reason in survey.left_out:
        say(f"left out {series}: {reason}", style="yellow")
    if survey.ignored:
        say(
            f"{survey.ignored} file(s) or series ignored: other exchanges, or no candles "
            "(funding, mark prices, trades)",
            style="dim",
        )
