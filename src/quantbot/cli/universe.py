"""``quantbot universe``: the markets worth trading, and why every other one is out."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import ccxt
import typer
from rich.markup import escape
from rich.table import Table

from quantbot.cli.console import error_line, out, progress_bar, say, step_reporter
from quantbot.cli.options import ConfigDirOption, load_or_exit, start_logging
from quantbot.config import QuantbotConfig
from quantbot.config.settings import ExchangeSettings
from quantbot.core.clock import Clock, SimulatedClock, WallClock
from quantbot.data.coingecko import CoinGeckoClient
from quantbot.data.market_caps import Progress as ProgressCallback
from quantbot.data.market_stats import MarketStats
from quantbot.data.market_survey import survey_universe
from quantbot.data.universe import MarketVerdict, UniverseResult, format_usd
from quantbot.venues import UnknownExchange, create_exchange

__all__ = ["universe"]


def universe(
    exchange: Annotated[
        str | None,
        typer.Option(
            "--exchange",
            "-e",
            help="ccxt exchange id [default: the first enabled exchange in settings.yaml].",
            show_default=False,
        ),
    ] = None,
    config_dir: ConfigDirOption = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-n", min=1, help="Show at most N markets per table (largest volume first)."
        ),
    ] = None,
    show_excluded: Annotated[
        bool,
        typer.Option(
            "--show-excluded/--hide-excluded",
            help="List the excluded markets with every filter each one failed.",
        ),
    ] = True,
    check_all: Annotated[
        bool,
        typer.Option(
            "--check-all",
            help="Fetch daily candles and market caps for every market, not only for those "
            "passing the volume, spread and quote-currency filters (one request per market).",
        ),
    ] = False,
) -> None:
    """Filter an exchange's spot markets by the universe settings and show the result.

    Filters (settings.yaml, universe:): market cap and exchange listings of the base
    asset (from CoinGecko, or universe.provider_url), 24h volume in USD, bid-ask
    spread, daily volatility, quote currency and days of history. Public market data
    only: no exchange API keys are used. An exchange with emulator_url set is read
    from its emulator.

    Examples:
      quantbot universe
      quantbot universe --exchange binance --limit 30 --hide-excluded
      quantbot universe --check-all --config ./setups/research/config
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    exchange_id = exchange or _first_enabled_exchange(config)
    provider = CoinGeckoClient.from_settings(config.settings.universe, config.environ)
    settings = config.settings.exchanges.get(exchange_id) or ExchangeSettings()
    with progress_bar() as bar:
        progress = step_reporter(bar)

        try:
            result = asyncio.run(
                _survey(
                    exchange_id,
                    settings=settings,
                    provider=provider,
                    config=config,
                    check_all=check_all,
                    progress=progress,
                )
            )
        except ccxt.BaseError as exc:
            error_line(f"{exchange_id}: {type(exc).__name__}: {exc}")
            raise typer.Exit(1) from None
    _render(exchange_id, result, limit=limit, show_excluded=show_excluded)


def _first_enabled_exchange(config: QuantbotConfig) -> str:
    enabled = [name for name, account in config.settings.exchanges.items() if account.enabled]
    if not enabled:
        error_line("no exchange is enabled in settings.yaml; name one with --exchange")
        raise typer.Exit(1)
    return enabled[0]


def _open_exchange(exchange_id: str, settings: ExchangeSettings) -> Any:
    """An unmodified async ccxt exchange for public spot market data.

    Raises:
        typer.BadParameter: when ccxt has no exchange of that id (exit status 2).
    """
    try:
        client = create_exchange(exchange_id, settings, asynchronous=True)
    except UnknownExchange as exc:
        raise typer.BadParameter(str(exc), param_hint="--exchange") from None
    client.options["defaultType"] = "spot"
    return client


async def _exchange_clock(client: Any) -> Clock:
    """The exchange's time when it tells it, else the machine's.

    Which daily candle is still open is the exchange's call: its clock decides, so a
    skewed local clock (or an emulator running at a simulated time) cannot make the
    survey count a candle in progress as closed.
    """
    if client.has.get("fetchTime"):
        return SimulatedClock(int(await client.fetch_time()))
    return WallClock()


async def _survey(
    exchange_id: str,
    *,
    settings: ExchangeSettings,
    provider: CoinGeckoClient,
    config: QuantbotConfig,
    check_all: bool,
    progress: ProgressCallback,
) -> UniverseResult:
    client = _open_exchange(exchange_id, settings)
    try:
        return await survey_universe(
            client,
            provider,
            config.settings.universe,
            await _exchange_clock(client),
            check_all=check_all,
            progress=progress,
        )
    finally:
        await client.close()


def _render(
    exchange_id: str, result: UniverseResult, *, limit: int | None, show_excluded: bool
) -> None:
    included = result.included[:limit]
    table = Table(
        title=f"Universe on {exchange_id}: {len(result.included)} of "
        f"{len(result.included) + len(result.excluded)} spot markets"
    )
    for column in (
        "symbol",
        "24h volume",
        "spread",
        "volatility/day",
        "market cap",
        "listings",
        "history",
    ):
        table.add_column(column, justify="left" if column == "symbol" else "right")
    for stats in included:
        table.add_row(*_cells(stats))
    out.print(table)
    _more(len(result.included) - len(included), "included")
    if not show_excluded or not result.excluded:
        return
    excluded = result.excluded[:limit]
    rejected = Table(title=f"Excluded: {len(result.excluded)} markets")
    for column in ("symbol", "24h volume", "failed filters"):
        rejected.add_column(column, justify="right" if column == "24h volume" else "left")
    for verdict in excluded:
        volume = verdict.stats.quote_volume_usd
        rejected.add_row(
            escape(verdict.stats.symbol),
            "?" if volume is None else format_usd(volume),
            escape(_why(verdict)),
        )
    out.print(rejected)
    _more(len(result.excluded) - len(excluded), "excluded")
    if any(verdict.unchecked for verdict in result.excluded):
        say(
            "not checked: filters skipped for markets the volume, spread or quote filters "
            "had already excluded (--check-all measures every market)",
            style="dim",
        )


def _cells(stats: MarketStats) -> list[str]:
    asset, daily, spread = stats.asset, stats.daily, stats.spread_pct
    cap = asset.market_cap_usd if asset is not None else None
    listings = asset.exchange_listings if asset is not None else None
    volatility = daily.volatility_pct if daily is not None else None
    return [
        escape(stats.symbol),
        "?" if stats.quote_volume_usd is None else format_usd(stats.quote_volume_usd),
        "?" if spread is None else f"{spread:.3f}%",
        "?" if volatility is None else f"{volatility:.2f}%",
        "-" if cap is None else format_usd(cap),
        "-" if listings is None else str(listings),
        "-" if daily is None else f"{daily.history_days} d",
    ]


def _why(verdict: MarketVerdict) -> str:
    parts = [rejection.reason for rejection in verdict.rejections]
    if verdict.unchecked:
        parts.append("not checked: " + ", ".join(f.value for f in verdict.unchecked))
    return "; ".join(parts)


def _more(hidden: int, what: str) -> None:
    if hidden > 0:
        say(f"... and {hidden} more {what} (raise --limit to see them)", style="dim")
