"""The demo job's market part: quantbot's main job on the embedded default (no keys, no network).

It migrates the database, generates the synthetic market for every pair the enabled
strategies trade, writes it to the candle store under the exchange name
``synthetic``, loads it back through the data-quality policy the way every backtest
loads data, and records the run in the database and the logs. ``quantbot demo`` then
backtests the template strategy on that market and writes its report. It grows into a backtest and paper-trading
demo as the engine lands. Its market data is deterministic: the same seed and days
give the same candles on every machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from quantbot.config import QuantbotConfig
from quantbot.core.clock import Clock
from quantbot.data.store import CandleStore
from quantbot.data.synthetic import generate_market
from quantbot.engine.loading import LoadedMarket, from_store
from quantbot.logs import LogEvent, log_event
from quantbot.storage import create_engine_for, display_url, head_revision, session_factory, upgrade
from quantbot.storage.repositories import AppStateRepository, ConfigurationHistoryRepository
from quantbot.strategies.configured import configured_strategies

__all__ = ["DEMO_START_MS", "SYNTHETIC_EXCHANGE", "DemoSummary", "SymbolSummary", "run_demo"]

SYNTHETIC_EXCHANGE = "synthetic"
"""The exchange name the demo files its synthetic candles under in the store."""

DEMO_START_MS = 1_735_689_600_000
"""2025-01-01T00:00:00Z: a fixed start keeps the demo's market identical on every run."""

_MINUTES_PER_YEAR = 525_600
_log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Progress callback: (step description, completed, total)."""


@dataclass(frozen=True, slots=True)
class SymbolSummary:
    """What the synthetic market did for one pair over the demo period."""

    symbol: str
    candles: int
    first_open: float
    last_close: float
    return_pct: float
    annual_volatility_pct: float
    max_drawdown_pct: float


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """The result of a demo run, for the CLI to render."""

    run_id: str
    database: str
    revision: str
    days: int
    seed: int
    symbols: list[SymbolSummary]
    correlation: pd.DataFrame
    market_dir: Path
    market: LoadedMarket
    """The synthetic market as the engine loads it (through the data-quality policy)."""


def run_demo(
    config: QuantbotConfig,
    *,
    database_url: str,
    clock: Clock,
    days: int = 30,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoSummary:
    """Migrate the database, generate and store the synthetic market, record the run.

    Args:
        config: the configuration to run on (usually the embedded default).
        database_url: the database to migrate and record the run in.
        clock: source of the run's timestamps.
        days: length of the synthetic market in days.
        seed: seed of the synthetic market.
        progress: optional progress callback.

    Raises:
        ValueError: if ``days`` is not positive.
        StorageError: if the database cannot be migrated or written.
    """
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    report = progress or (lambda _step, _done, _total: None)
    started_ms = clock.now_ms()
    run_id = f"demo-{started_ms}"
    symbols = traded_symbols(config)

    report("migrating the database", 0, 1)
    upgrade(database_url)
    report("migrating the database", 1, 1)

    minutes = days * 1440
    market = generate_market(
        symbols,
        start_ms=DEMO_START_MS,
        minutes=minutes,
        seed=seed,
        progress=lambda done: report("generating the synthetic market", done, len(symbols)),
    )
    store = CandleStore(config.data_dir / "market")
    for symbol, candles in market.candles.items():
        store.append(SYNTHETIC_EXCHANGE, symbol, "1m", candles)
    loaded = from_store(
        store,
        SYNTHETIC_EXCHANGE,
        symbols,
        "1m",
        quality=config.settings.data_quality,
        start_ms=DEMO_START_MS,
        end_ms=DEMO_START_MS + minutes * 60_000,
    )
    checked = {symbol: arrays.to_frame() for symbol, arrays in loaded.data.arrays.items()}
    summaries = [_summarise(symbol, candles) for symbol, candles in checked.items()]
    returns = pd.DataFrame({s: np.diff(np.log(c["close"].to_numpy())) for s, c in checked.items()})

    engine = create_engine_for(database_url)
    try:
        with session_factory(engine)() as session:
            ConfigurationHistoryRepository(session).record(
                config.redacted_dump(), ts_ms=started_ms, run_id=run_id, notes="demo"
            )
            AppStateRepository(session).set(
                "last_demo",
                {"run_id": run_id, "days": days, "seed": seed, "symbols": symbols},
                ts_ms=clock.now_ms(),
            )
            session.commit()
    finally:
        engine.dispose()
    summary = DemoSummary(
        run_id=run_id,
        database=display_url(database_url),
        revision=head_revision(),
        days=days,
        seed=seed,
        symbols=summaries,
        correlation=returns.corr(),
        market_dir=store.root,
        market=loaded,
    )
    log_event(
        _log,
        LogEvent.STATUS,
        "demo finished: %d pairs, %d days of 1m candles",
        len(symbols),
        days,
        run_id=run_id,
        pairs=symbols,
        database=summary.database,
        market_dir=str(store.root),
    )
    return summary


def traded_symbols(config: QuantbotConfig) -> list[str]:
    """Every market an enabled strategy trades, in run order (the grid pairs when none is enabled)."""
    specs = configured_strategies(config)
    enabled = [spec for spec in specs if spec.enabled] or specs[:1]
    return list(dict.fromkeys(symbol for spec in enabled for symbol in spec.symbols))


def _summarise(symbol: str, candles: pd.DataFrame) -> SymbolSummary:
    close = candles["close"].to_numpy()
    first_open = float(candles["open"].iloc[0])
    log_returns = np.diff(np.log(close))
    drawdown = close / np.maximum.accumulate(close) - 1.0
    return SymbolSummary(
        symbol=symbol,
        candles=len(candles),
        first_open=first_open,
        last_close=float(close[-1]),
        return_pct=(float(close[-1]) / first_open - 1.0) * 100.0,
        annual_volatility_pct=float(log_returns.std() * np.sqrt(_MINUTES_PER_YEAR) * 100.0),
        max_drawdown_pct=float(drawdown.min() * 100.0),
    )
