"""The scaffold of ``quantbot strategy new NAME``: a working strategy file and its tests.

:func:`render_user_strategy` fills the templates in for one name and
:func:`write_user_strategy` writes them into the user's directory. The strategy is a
long-only SMA crossover written the way the built-in templates are (a ``Params``
model with documented defaults, vectorised TA-Lib indicators in ``precompute``
returning wake masks, ``on_candle``), short enough to read in a minute and replace.
Its tests build it by name from its directory with
:func:`~quantbot.strategies.registry.strategy_classes`, the way a run does, backtest
it on the seeded synthetic market through the public engine API and check behaviour
(it trades; every order follows the cross of its side; it enters only when flat and
exits whole), never a profit figure, so they keep passing while the user tunes it
and fail when a change breaks its rules.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from string import Template

from quantbot.strategies.base import Strategy
from quantbot.strategies.errors import InvalidStrategyName, ScaffoldConflict, UserStrategyError
from quantbot.strategies.registry import STRATEGIES
from quantbot.strategies.user_strategies import load_user_strategies, strategy_name_problem

__all__ = [
    "TEMPLATE_PARAMS",
    "TEMPLATE_TIMEFRAME",
    "Scaffold",
    "render_user_strategy",
    "settings_entry",
    "write_user_strategy",
]

TEMPLATE_PARAMS: dict[str, int | float] = {"fast": 10, "slow": 30, "stake_pct": 10.0}
"""Defaults of the scaffold's parameters (SMA periods in candles, stake in % of equity)."""

TEMPLATE_TIMEFRAME = "1h"
"""The timeframe its tests and the suggested configuration entry run it on."""

_TEST_DAYS = 30
"""Days of synthetic 1m market its tests backtest: enough for several crosses at 1h."""

_TEMPLATE_NAMES = frozenset(
    {
        "Bar",
        "Field",
        "MarketHistory",
        "Side",
        "Strategy",
        "StrategyContext",
        "StrategyParams",
        "WakeMasks",
    }
)
"""Class-like names the strategy template imports: its own classes must not take them."""

_STRATEGY = Template('''\
"""``$name``: a long-only moving-average crossover, your starting point.

Scaffolded by ``quantbot strategy new $name``: make it yours. Buy when the fast SMA
crosses above the slow SMA at the close of a candle (``fast[t-1] < slow[t-1]`` and
``fast[t] > slow[t]``); sell the whole position when it crosses back below. Orders are
market orders decided at the close and filled from the next candle's open. Each entry
stakes ``stake_pct`` % of the strategy's equity.

How the engine calls a strategy: ``precompute`` once over the whole history,
vectorised, returning the candles to wake on; ``on_start``; then, candle by candle,
``on_fill`` for the executions of its orders and ``on_candle`` when a wake candle of
its timeframe closes; ``on_stop`` at the end.

Two rules keep backtest, paper and live identical: decision code only (no exchange,
database, network or clock reads), and a value at candle k uses candles up to k only
(no lookahead).

Backtest it with ``quantbot backtest --strategy $name``; test it with
``pytest tests/test_$name.py`` in this directory.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator
from quantbot.core import Side
from quantbot.indicators import crossover, crossunder, sma
from quantbot.strategies import (
    Bar,
    MarketHistory,
    Strategy,
    StrategyContext,
    StrategyParams,
    WakeMasks,
)


class ${cls}Params(StrategyParams):
    """Its parameters: ``params`` in settings.yaml, or ``--param KEY=VALUE``."""

    fast: int = Field($fast, ge=1, description="Fast SMA period, in candles.")
    slow: int = Field($slow, ge=2, description="Slow SMA period, in candles.")
    stake_pct: float = Field(
        $stake_pct, gt=0, le=100, description="Size of each entry, % of equity."
    )

    @model_validator(mode="after")
    def _fast_below_slow(self) -> ${cls}Params:
        if self.fast >= self.slow:
            raise ValueError(f"fast {self.fast} must be shorter than slow {self.slow}")
        return self


class ${cls}(Strategy):
    """Long on a golden cross of two SMAs, flat on the death cross."""

    name = "$name"
    Params = ${cls}Params
    params: ${cls}Params  # what the engine builds it with

    @property
    def warmup_bars(self) -> int:
        """Candles before the slow SMA has a value."""
        return self.params.slow

    def precompute(self, history: MarketHistory) -> WakeMasks:
        """The crosses of every symbol, computed once; wake only on them."""
        self.golden: dict[str, np.ndarray] = {}
        self.death: dict[str, np.ndarray] = {}
        for symbol in self.symbols:
            close = history.candles(symbol, self.timeframe).close
            fast, slow = sma(close, self.params.fast), sma(close, self.params.slow)
            self.golden[symbol] = crossover(fast, slow)
            self.death[symbol] = crossunder(fast, slow)
        return {s: self.golden[s] | self.death[s] for s in self.symbols}

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Enter on a golden cross when flat; close the long on a death cross."""
        symbol, i = bar.symbol, bar.index
        held = ctx.position(symbol).qty
        if self.golden[symbol][i] and held <= 0 and not ctx.open_orders(symbol):
            qty = ctx.equity() * self.params.stake_pct / 100 / bar.close
            ctx.submit(symbol, Side.BUY, qty)
        elif self.death[symbol][i] and held > 0:
            ctx.submit(symbol, Side.SELL, held)
''')

_TESTS = Template('''\
"""Tests of the ``$name`` strategy: run them with ``pytest tests/test_$name.py``.

They build the strategy the way a run does (by its name, from the directory above),
backtest it on $days days of the seeded synthetic market and check how it behaves,
never a profit figure (that changes whenever the strategy improves). When you change
its rules, change ``allowed`` to match, and add tests for what you add.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from quantbot.config.settings import DataQualitySettings
from quantbot.data.resample import timeframe_ms
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.history import CandleHistory
from quantbot.engine.loading import from_synthetic
from quantbot.indicators import sma
from quantbot.strategies import Strategy
from quantbot.strategies.registry import strategy_classes
from quantbot.venues.simulated import FillModel

NAME = "$name"
STRATEGIES_DIR = Path(__file__).resolve().parent.parent
SYMBOL = "BTC/USDT"
TIMEFRAME = "$timeframe"
START_MS = 1_735_689_600_000  # 2025-01-01 00:00 UTC


def build(**params: Any) -> Strategy:
    """The strategy as a run builds it: found by its name, its parameters checked."""
    cls = strategy_classes(STRATEGIES_DIR)[NAME]
    return cls(cls.Params.model_validate(params), symbols=[SYMBOL], timeframe=TIMEFRAME)


@pytest.fixture(scope="module")
def market() -> BacktestData:
    """$days days of 1m candles of the seeded synthetic market: the same on every run."""
    quality = DataQualitySettings()
    synthetic = from_synthetic(
        [SYMBOL], start_ms=START_MS, days=$days, seed=7, quality=quality
    )
    return synthetic.data


@pytest.fixture(scope="module")
def fills(market: BacktestData) -> pd.DataFrame:
    """The executions of a backtest with the default parameters.

    Usual fees and slippage, no volume cap: each order fills whole at the open right
    after its decision, so its time is the close time of the candle it was decided on.
    """
    config = BacktestConfig(10_000, fill_model=FillModel(max_volume_share=None))
    return run_backtest(market, [build()], config).fills


def allowed(market: BacktestData) -> dict[str, set[int]]:
    """The rules written out: per side, close times (ms) of its candles with a cross."""
    candles = CandleHistory(market.timeframe, market.arrays).candles(SYMBOL, TIMEFRAME)
    params = build().params.model_dump()
    fast, slow = sma(candles.close, params["fast"]), sma(candles.close, params["slow"])
    golden = (fast[:-1] < slow[:-1]) & (fast[1:] > slow[1:])
    death = (fast[:-1] > slow[:-1]) & (fast[1:] < slow[1:])
    close_ms = candles.ts_ms[1:] + timeframe_ms(TIMEFRAME)
    buy, sell = close_ms[golden].tolist(), close_ms[death].tolist()
    return {"buy": set(buy), "sell": set(sell)}


def test_it_buys_and_sells_on_a_month_of_synthetic_market(fills: pd.DataFrame) -> None:
    assert set(fills["side"]) == {"buy", "sell"}


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_every_order_fills_right_after_a_cross_of_its_side(
    market: BacktestData, fills: pd.DataFrame, side: str
) -> None:
    crosses = allowed(market)[side]
    for ts_ms in fills.loc[fills["side"] == side, "ts_ms"]:
        when = pd.Timestamp(ts_ms, unit="ms")
        assert ts_ms in crosses, f"{side} at {when}: no cross at the candle before"


def test_it_enters_only_when_flat_and_exits_whole(fills: pd.DataFrame) -> None:
    sides = fills["side"].tolist()
    assert sides[::2] == ["buy"] * len(sides[::2])
    assert sides[1::2] == ["sell"] * len(sides[1::2])
    held = np.cumsum(np.where(fills["side"] == "buy", fills["qty"], -fills["qty"]))
    assert np.allclose(held[1::2], 0.0, atol=1e-9)


def test_fast_must_be_shorter_than_slow() -> None:
    with pytest.raises(ValidationError, match="fast 30 must be shorter than slow 10"):
        build(fast=30, slow=10)
''')


def render_user_strategy(name: str) -> dict[str, str]:
    """The scaffold of strategy ``name``: file path (relative, ``/``-separated) → content.

    The strategy is ``<name>.py`` with class ``CamelCase(name)`` (``my_breakout`` →
    ``MyBreakout``); its tests are ``tests/test_<name>.py``, which the loader skips.

    Raises:
        InvalidStrategyName: for a name a strategy cannot have (see
            :func:`~quantbot.strategies.user_strategies.strategy_name_problem`), a
            built-in strategy's name, a name starting with ``test_`` (its file would be
            taken for a test and not loaded), or one whose class name would shadow a
            name the template imports.
    """
    problem = strategy_name_problem(name)
    if problem is None and name in STRATEGIES:
        problem = f"name {name!r} is taken by a built-in strategy; pick another"
    if problem is None and name.startswith("test_"):
        problem = f"name {name!r} starts with test_: its file would be taken for a test"
    cls = "".join(part.capitalize() for part in name.split("_"))
    if problem is None and {cls, f"{cls}Params"} & _TEMPLATE_NAMES:
        problem = f"name {name!r} would make class {cls}, a name the template imports"
    if problem is not None:
        raise InvalidStrategyName(problem)
    values = {"name": name, "cls": cls, **{k: repr(v) for k, v in TEMPLATE_PARAMS.items()}}
    return {
        f"{name}.py": _STRATEGY.substitute(values),
        f"tests/test_{name}.py": _TESTS.substitute(
            name=name, timeframe=TEMPLATE_TIMEFRAME, days=_TEST_DAYS
        ),
    }


@dataclass(frozen=True)
class Scaffold:
    """What :func:`write_user_strategy` wrote.

    Attributes:
        files: the strategy file, then its tests.
        load_problem: why the directory did not load before the files were written
            (the user's work in progress: the check for a name another file already
            has could not run), or None when it loaded.
    """

    files: tuple[Path, ...]
    load_problem: str | None = None


def write_user_strategy(directory: Path, name: str, *, force: bool = False) -> Scaffold:
    """Write the scaffold of strategy ``name`` into ``directory`` (created if missing).

    Args:
        directory: the user's strategy directory; the tests go to its ``tests/``.
        name: the new strategy's name.
        force: overwrite the scaffold's files when they exist.

    Raises:
        InvalidStrategyName: as :func:`render_user_strategy`.
        ScaffoldConflict: when a file exists and ``force`` is not set, or another file
            of ``directory`` defines a strategy of that name (even with ``force``).
    """
    files = {directory / relative: text for relative, text in render_user_strategy(name).items()}
    existing = [str(path) for path in files if path.exists()]
    if existing and not force:
        raise ScaffoldConflict(f"{', '.join(existing)} already exist; use --force to overwrite")
    taken: type[Strategy] | None = None
    load_problem: str | None = None
    try:
        taken = load_user_strategies(directory, built_ins=STRATEGIES).get(name)
    except UserStrategyError as exc:
        load_problem = str(exc)
    if taken is not None:
        defined_in = Path(inspect.getfile(taken))
        if defined_in != (directory / f"{name}.py").resolve():
            raise ScaffoldConflict(
                f"{directory / defined_in.name} already defines strategy {name!r} "
                f"(class {taken.__name__}); pick another name"
            )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Scaffold(tuple(files), load_problem)


def settings_entry(name: str) -> str:
    """A ``settings.yaml`` snippet that runs strategy ``name`` with the scaffold's defaults."""
    params = ", ".join(f"{key}: {value!r}" for key, value in TEMPLATE_PARAMS.items())
    return (
        "strategies:\n"
        f"  - name: {name}\n"
        "    enabled: true\n"
        '    symbols: ["BTC/USDT"]\n'
        f"    timeframe: {TEMPLATE_TIMEFRAME}\n"
        f"    params: {{{params}}}\n"
    )
