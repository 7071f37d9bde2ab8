"""Assembling a backtest from user choices: data source, strategies, parameters, fill model.

``quantbot backtest`` and ``quantbot demo`` describe a run with a :class:`BacktestRequest`;
:func:`prepare_backtest` turns it into data, strategy objects and an engine
configuration, with defaults from ``settings.yaml`` (``backtest`` and the exchange's
fees) and every problem reported as a :class:`BacktestRequestError`.

Which strategies run:

- **configured run** (no strategy named): every enabled strategy of the configuration
  (:func:`~quantbot.strategies.configured.configured_strategies`), each on its
  configured pairs that the data holds; one with none of them is left out with a note;
- **named run** (``--strategy``, repeatable): those strategies, each with its
  configured parameters (defaults when unconfigured), on every market of the data.

``--param`` values go on top of either. Without data files the synthetic market holds
``--symbols``, else the pairs of the strategies that run (BTC/USDT when they name none).

Every run applies the same risk manager as the live runtime, built from
``risk_management`` of ``settings.yaml`` (:func:`~quantbot.engine.risk_setup.risk_setup`):
the portfolio rules of the pre-trade chain, the circuit breakers with their recovery,
the drawdown brakes and the operational breakers. ``BacktestRequest(risk=False)``
(``quantbot backtest --no-risk``) leaves only the venue's rules, for research that
compares a strategy with and without the risk manager.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from quantbot.config import QuantbotConfig
from quantbot.config.settings import ExchangeSettings
from quantbot.core.errors import QuantbotError
from quantbot.data.errors import DataError
from quantbot.data.store import CandleStore
from quantbot.engine.backtest import BacktestConfig
from quantbot.engine.loading import (
    DataPath,
    LoadedMarket,
    from_files,
    from_store,
    from_synthetic,
)
from quantbot.engine.risk_setup import risk_setup
from quantbot.strategies import Strategy, UnknownStrategy, UserStrategyError, strategy_classes
from quantbot.strategies.configured import StrategySpec, configured_strategies
from quantbot.venues.simulated import FillModel, MarginMode, MarginModel

__all__ = [
    "DEFAULT_SYNTHETIC_START_MS",
    "BacktestRequest",
    "BacktestRequestError",
    "PreparedBacktest",
    "parse_params",
    "prepare_backtest",
]

DEFAULT_SYNTHETIC_START_MS = 1_735_689_600_000
"""2025-01-01T00:00:00Z: the synthetic market's fixed start, so runs repeat exactly."""


class BacktestRequestError(QuantbotError):
    """The backtest cannot be set up as asked (unknown strategy, bad parameter, no data)."""


@dataclass(frozen=True)
class BacktestRequest:
    """What the user asked for; None means "the configured default".

    Attributes:
        strategies: registered strategy names, one instance each; empty for the
            configuration's enabled strategies.
        params: per strategy name, raw parameter values (``"*"`` applies to every
            strategy that has the parameter).
        data: CSV files in the interchange format (``PATH``, or ``SYMBOL=PATH`` to name
            the market of a file named otherwise), or symbols to read from the candle
            store; empty for the synthetic market.
        funding: funding-rate files of perpetuals among ``data`` (``PATH`` or
            ``SYMBOL=PATH``), beyond those found next to their candles.
        symbols: markets of the synthetic market (when ``data`` is empty); None for the
            strategies' pairs.
        exchange: exchange of the store's series and of the fees.
        timeframe: the strategies' decision timeframe (default: the data's).
        start_ms, end_ms: the period, end exclusive.
        days, seed: length and seed of the synthetic market.
        capital, fee_pct, slippage_pct, leverage, margin_mode: overrides of the settings.
        skip_idle_bars: the event-skipping fast path.
        risk: apply the risk manager of the configuration (``risk_management``), as the
            live runtime does; False leaves the venue's rules only.
        order_books: takers walk the candle store's recorded order books of the store
            symbols in ``data`` (order-book files are given in ``data`` instead).
    """

    strategies: tuple[str, ...] = ()
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    data: tuple[str, ...] = ()
    funding: tuple[str, ...] = ()
    symbols: tuple[str, ...] | None = None
    exchange: str | None = None
    timeframe: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    days: int = 30
    seed: int = 7
    capital: float | None = None
    fee_pct: float | None = None
    slippage_pct: float | None = None
    leverage: float | None = None
    margin_mode: str | None = None
    skip_idle_bars: bool = True
    risk: bool = True
    order_books: bool = False


@dataclass(frozen=True)
class PreparedBacktest:
    """Everything :func:`~quantbot.engine.backtest.run_backtest` needs, plus provenance."""

    market: LoadedMarket
    strategies: list[Strategy]
    config: BacktestConfig
    notes: tuple[str, ...] = ()
    """What the user should know about the set-up (strategies left out and why)."""


def parse_params(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``["fast=12", "ema_cross.slow=30"]`` → ``{"*": {"fast": 12}, "ema_cross": {"slow": 30}}``.

    Values are read as JSON when they parse (``12``, ``0.5``, ``null``, ``true``), else
    kept as text.

    Raises:
        BacktestRequestError: for a pair without ``=``.
    """
    params: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise BacktestRequestError(f"--param {pair!r}: write KEY=VALUE or STRATEGY.KEY=VALUE")
        owner, _, name = key.rpartition(".")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        params.setdefault(owner or "*", {})[name] = value
    return params


def prepare_backtest(
    config: QuantbotConfig, request: BacktestRequest, *, market: LoadedMarket | None = None
) -> PreparedBacktest:
    """Load the data (unless ``market`` is given) and build the strategies and the engine configuration.

    Raises:
        BacktestRequestError: for an unknown strategy, a parameter no strategy has or a
            value its model refuses, a configured run with nothing to run, or an
            exchange without known fees.
        DataError: when the data cannot be loaded or fails the quality policy.
    """
    settings = config.settings
    defaults = settings.backtest
    exchange = request.exchange or defaults.exchange
    specs = _specs(config, request)
    wanted = list(dict.fromkeys(s for spec in specs for s in spec.symbols)) or ["BTC/USDT"]
    market = market or _load(config, request, exchange, wanted)
    available = list(market.data.arrays)
    timeframe = request.timeframe or market.data.timeframe
    try:
        classes = strategy_classes(config.user_strategies_dir)
    except UserStrategyError as exc:
        raise BacktestRequestError(str(exc)) from None
    strategies: list[Strategy] = []
    notes: list[str] = []
    for spec in specs:
        cls = _class(spec, classes)
        wanted_here = spec.symbols if spec.symbols and not request.strategies else available
        symbols = cls.tradable(wanted_here, market.data.arrays)
        if not symbols:
            notes.append(
                f"{spec.name} ({spec.source}) trades {', '.join(wanted_here)}: "
                "the data holds none it can trade, so it does not run"
            )
            continue
        strategy_id = _id(spec, specs)
        strategies.append(
            _strategy(cls, spec, request.params, symbols, timeframe, strategy_id=strategy_id)
        )
    if not strategies:
        raise BacktestRequestError("no strategy to run: " + "; ".join(notes))
    _check_unused_params(request.params, strategies)
    fees = _fees(settings.exchanges.get(exchange), exchange)
    maker, taker = (request.fee_pct, request.fee_pct) if request.fee_pct is not None else fees
    model = FillModel(
        maker_fee_pct=maker,
        taker_fee_pct=taker,
        slippage_pct=defaults.slippage_pct
        if request.slippage_pct is None
        else request.slippage_pct,
        impact_pct=defaults.impact_pct,
        max_volume_share=defaults.max_volume_share,
        latency_bars=defaults.latency_bars,
        fill_limits_on_touch=defaults.fill_limits_on_touch,
    )
    try:
        margin = MarginModel(
            mode=MarginMode(request.margin_mode or defaults.margin_mode),
            leverage=defaults.leverage if request.leverage is None else request.leverage,
            leverage_by_symbol=dict(defaults.leverage_by_symbol),
            maintenance_margin_pct=dict(defaults.maintenance_margin_pct),
            liquidation_fee_pct=defaults.liquidation_fee_pct,
        )
    except ValueError as exc:
        raise BacktestRequestError(f"margin: {exc}") from None
    engine_config = BacktestConfig(
        initial_capital=defaults.initial_capital if request.capital is None else request.capital,
        quote_currency=defaults.quote_currency,
        fill_model=model,
        margin=margin,
        skip_idle_bars=request.skip_idle_bars,
        risk=risk_setup(settings) if request.risk else None,
    )
    if not request.risk:
        notes.append("risk manager off (--no-risk): only the venue's rules check orders")
    return PreparedBacktest(market, strategies, engine_config, tuple(notes))


def _specs(config: QuantbotConfig, request: BacktestRequest) -> list[StrategySpec]:
    """The strategies of the run: the named ones, else the configuration's enabled ones."""
    configured = configured_strategies(config)
    if not request.strategies:
        enabled = [spec for spec in configured if spec.enabled]
        if not enabled:
            raise BacktestRequestError(
                "the configuration enables no strategy: name one with --strategy, or enable "
                "one in grid_config.yaml, momentum_config.yaml, funding_config.yaml or "
                "settings.yaml strategies"
            )
        return enabled
    by_name = {}
    for spec in reversed(configured):
        by_name[spec.name] = spec
    return [by_name.get(name, StrategySpec(name)) for name in request.strategies]


def _id(spec: StrategySpec, specs: list[StrategySpec]) -> str | None:
    """A strategy's id: its name, numbered when the run has several of that name."""
    same = [s for s in specs if s.name == spec.name]
    return None if len(same) == 1 else f"{spec.name}-{same.index(spec) + 1}"


def _load(
    config: QuantbotConfig, request: BacktestRequest, exchange: str, wanted: list[str]
) -> LoadedMarket:
    quality = config.settings.data_quality
    files = [_data_path(item) for item in request.data]
    if request.funding and not any(files):
        raise BacktestRequestError("--funding goes with candle files given by --data")
    if request.order_books and (not files or any(files)):
        raise BacktestRequestError(
            "--order-books reads the candle store's books of the symbols given by --data; "
            "give order-book files with --data instead"
        )
    funding = [_data_path(item, funding=True) for item in request.funding]
    if not request.data:
        start = request.start_ms if request.start_ms is not None else DEFAULT_SYNTHETIC_START_MS
        return from_synthetic(
            request.symbols or wanted,
            start_ms=start,
            days=request.days,
            seed=request.seed,
            quality=quality,
        )
    given = [f for f in files if f is not None]
    symbols = [item for item, f in zip(request.data, files, strict=True) if f is None]
    if given and symbols:
        raise BacktestRequestError("--data takes files or store symbols, not both in one run")
    if given:
        paths = [*given, *(f for f in funding if f is not None)]
        return from_files(paths, quality=quality, start_ms=request.start_ms, end_ms=request.end_ms)
    if any("/" not in symbol for symbol in symbols):
        raise DataError(f"--data {symbols}: neither an existing file nor a symbol like BTC/USDT")
    store = CandleStore(config.data_dir / "market")
    return from_store(
        store,
        exchange,
        symbols,
        request.timeframe or "1m",
        quality=quality,
        start_ms=request.start_ms,
        end_ms=request.end_ms,
        order_books=request.order_books,
    )


def _data_path(item: str, *, funding: bool = False) -> DataPath | None:
    """``PATH`` or ``SYMBOL=PATH`` of an existing file; None for anything else (a store symbol).

    Raises:
        BacktestRequestError: for a funding file that does not exist.
    """
    if Path(item).is_file():
        return DataPath(Path(item), funding=funding)
    symbol, sep, path = item.partition("=")
    if sep and Path(path).is_file():
        return DataPath(Path(path), symbol.strip(), funding=funding)
    if funding or sep:
        raise BacktestRequestError(f"{item}: no such file")
    return None


def _class(spec: StrategySpec, classes: Mapping[str, type[Strategy]]) -> type[Strategy]:
    cls = classes.get(spec.name)
    if cls is None:
        known = ", ".join(sorted(classes))
        raise BacktestRequestError(
            str(UnknownStrategy(f"no strategy named {spec.name!r}{_where(spec)}; known: {known}"))
        )
    return cls


def _where(spec: StrategySpec) -> str:
    return "" if spec.source == "defaults" else f" ({spec.source})"


def _strategy(
    cls: type[Strategy],
    spec: StrategySpec,
    params: Mapping[str, Mapping[str, Any]],
    symbols: list[str],
    timeframe: str,
    *,
    strategy_id: str | None,
) -> Strategy:
    fields = cls.Params.model_fields
    overrides = {k: v for k, v in params.get("*", {}).items() if k in fields} | dict(
        params.get(spec.name, {})
    )
    values = cls.Params.merged(spec.params, overrides)
    try:
        return cls(
            cls.Params.model_validate(values),
            symbols=symbols,
            timeframe=spec.timeframe or timeframe,
            strategy_id=strategy_id,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or spec.name}: {e['msg']}" for e in exc.errors()
        )
        name = strategy_id or spec.name
        raise BacktestRequestError(f"strategy {name}{_where(spec)}: {problems}") from None


def _check_unused_params(
    params: Mapping[str, Mapping[str, Any]], strategies: list[Strategy]
) -> None:
    """A parameter no strategy of the run has is a typo: say so instead of ignoring it."""
    known = {s.name: set(type(s).Params.model_fields) for s in strategies}
    for owner, values in params.items():
        if owner != "*" and owner not in known:
            raise BacktestRequestError(f"--param {owner}.…: {owner} is not a strategy of this run")
        for key in values:
            holders = known.values() if owner == "*" else [known[owner]]
            if not any(key in fields for fields in holders):
                raise BacktestRequestError(
                    f"--param {key}: no strategy of this run has that parameter"
                )


def _fees(settings: ExchangeSettings | None, exchange: str) -> tuple[float, float]:
    resolved = (settings or ExchangeSettings()).with_defaults(exchange)
    if resolved.maker_fee_pct is None or resolved.taker_fee_pct is None:
        raise BacktestRequestError(
            f"no fees known for exchange {exchange!r}: configure exchanges.{exchange} or pass --fee-pct"
        )
    return resolved.maker_fee_pct, resolved.taker_fee_pct
