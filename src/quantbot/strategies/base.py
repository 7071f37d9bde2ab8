"""The strategy interface: pure decision code that runs unchanged in backtest, paper and live.

A strategy sees market data, its own positions and orders, and a context through which
it places and cancels orders. It never imports ccxt, the database or the web layer
(an import-linter contract enforces it), never reads the wall clock, and never knows
which mode it runs in.

How the engine calls a strategy (the order of hooks, every mode):

1. ``precompute(history)`` once before the first bar in a backtest (over the whole
   history) and before every decision live (over a rolling window): compute
   indicators vectorised and, optionally, return a wake mask per symbol — the candles
   at whose close ``on_candle`` must run. Without a mask ``on_candle`` runs on every
   candle of the strategy's timeframe (correct, and slower). Every value at candle
   ``k`` must depend on candles ``<= k`` only: the engine's no-lookahead test corrupts
   all data after a time T and checks that no decision up to T changes.
2. ``on_start(ctx)`` before the first bar.
3. Per bar, in this order: the venue's events of that bar, in the order the venue
   produced them — executions (``on_fill``) and orders it ended (``on_order_update``:
   canceled, expired) — all booked before the first callback; then ``on_candle`` for
   every symbol whose candle of the strategy's timeframe closed with a wake, preceded by
   the price watches that bar reached (``on_price_alert``); then due timers
   (``on_timer``). Orders refused by the pre-trade checks come back REJECTED
   from ``ctx.submit`` itself, without an ``on_order_update``.
4. ``on_stop(ctx)`` after the last bar.

An exception in any hook stops that strategy alone (``StrategyError``); the others
keep running.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from quantbot.core import (
    ClientOrderId,
    Fill,
    Instrument,
    Order,
    OrderType,
    Position,
    Side,
    StrategyId,
    TimeInForce,
)
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.strategies.bar import Bar

__all__ = [
    "Bar",
    "MarketHistory",
    "Strategy",
    "StrategyContext",
    "StrategyParams",
    "WakeMasks",
]

WakeMasks = Mapping[str, np.ndarray]
"""Per symbol, a boolean array over the strategy's candles: True = call ``on_candle``."""


class StrategyParams(BaseModel):
    """Base of every strategy's parameters: frozen, unknown keys rejected.

    Not strict, so that ``--param fast=12`` from the command line (a string) becomes an
    integer; each strategy's model states types, bounds and defaults.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def merged(cls, configured: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Configured values with overrides (``--param``) on top, as raw values for the model.

        A model that nests per-market settings overrides this so that an override
        reaches every market, not only the top level.
        """
        return {**configured, **overrides}


class MarketHistory(Protocol):
    """The candles a strategy computes its indicators from (whole history or a window)."""

    def candles(self, symbol: str, timeframe: str) -> OhlcvArrays:
        """Closed candles of ``symbol`` at ``timeframe`` (one the strategy declared)."""
        ...

    def align(self, symbol: str, timeframe: str, to_timeframe: str) -> np.ndarray:
        """Index of the last ``timeframe`` candle closed by each ``to_timeframe`` candle's close.

        -1 where none has closed yet: the causal way to read, e.g., the 4h trend at each
        1h decision.
        """
        ...


class StrategyContext(Protocol):
    """What a strategy may do and read while the engine runs it."""

    @property
    def now_ms(self) -> int:
        """The engine clock: the close time of the bar being processed."""
        ...

    def submit(
        self,
        symbol: str,
        side: Side,
        qty: float,
        *,
        order_type: OrderType = OrderType.MARKET,
        price: float | None = None,
        stop_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str = "",
    ) -> Order | None:
        """Send an order through the pre-trade checks to the venue.

        Returns the order; if a check refused it, it is already REJECTED and the reason
        is the last entry of its history. A quantity that is not a positive number is
        no order at all: it is refused and None returned. ``tag`` is a free label kept
        with the order (e.g. the grid level).
        """
        ...

    def cancel(self, client_order_id: ClientOrderId) -> None:
        """Ask the venue to cancel one of this strategy's open orders."""
        ...

    def position(self, symbol: str) -> Position:
        """This strategy's position in ``symbol`` (flat if it never traded it)."""
        ...

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """This strategy's orders that may still fill, oldest first."""
        ...

    def instrument(self, symbol: str) -> Instrument:
        """Trading rules of ``symbol``: tick size, lot size, minimum notional."""
        ...

    def last_price(self, symbol: str) -> float:
        """Close of the latest closed base bar of ``symbol``."""
        ...

    def take_profit_factor(self) -> float:
        """The share of its usual take-profit distance a strategy should aim at now.

        1.0 normally; less while the risk manager's drawdown brakes are engaged (0.7 from
        level 1 by default), so that a strategy in a drawdown banks smaller gains sooner.
        """
        ...

    def equity(self) -> float:
        """This strategy's capital plus its P&L marked at the latest closes."""
        ...

    def watch_price(
        self, symbol: str, *, above: float | None = None, below: float | None = None
    ) -> None:
        """Wake the strategy when ``symbol`` reaches a price.

        ``on_price_alert`` runs at the close of the first bar whose high reaches
        ``above`` or whose low reaches ``below``. One watch per symbol: a new call replaces it, a call with neither price removes
        it, and it is removed when it fires. Watches are found ahead like resting
        orders, so they cost nothing on the bars between.
        """
        ...

    def set_timer(self, at_ms: int, name: str = "") -> None:
        """Call ``on_timer`` at the first bar close at or after ``at_ms``.

        A time at or before now fires at the next bar's close, never the current one,
        so a timer set from ``on_timer`` cannot loop on one bar.
        """
        ...


class Strategy(ABC):
    """Base of every strategy.

    Subclasses set :attr:`name` (the registry key), :attr:`Params` (their parameter
    model) and implement :meth:`on_candle`; the other hooks are optional.

    Args:
        params: the strategy's parameters.
        strategy_id: unique id of this instance in a run (default: ``name``).
        symbols: markets it trades.
        timeframe: the timeframe of its ``on_candle`` decisions.
    """

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]]
    breaker_policy: ClassVar[str] = "close"
    """What a daily circuit breaker does with the strategy's positions (the values of
    :class:`quantbot.risk.BreakerPolicy`): ``close`` closes them at market (momentum,
    the templates), ``keep_inventory`` keeps them and only stops opening (a grid's
    inventory). Weekly and monthly breakers close every strategy's positions."""

    def __init__(
        self,
        params: StrategyParams,
        *,
        symbols: Sequence[str],
        timeframe: str = "1m",
        strategy_id: str | None = None,
    ) -> None:
        if not isinstance(params, self.Params):
            raise TypeError(
                f"{type(self).__name__} takes {self.Params.__name__}, got {type(params).__name__}"
            )
        self.params = params
        self.symbols = tuple(symbols)
        self.timeframe = timeframe
        self.strategy_id = StrategyId(strategy_id or self.name)

    @classmethod
    def tradable(cls, wanted: Sequence[str], available: Collection[str]) -> list[str]:
        """The markets of ``wanted`` it can trade on a run whose data holds ``available``.

        A strategy that needs markets together (both legs of a hedge) overrides this,
        so that a market without its partner is left out rather than failing the run.
        """
        return [symbol for symbol in wanted if symbol in available]

    @property
    def extra_timeframes(self) -> tuple[str, ...]:
        """Higher timeframes the strategy reads besides its own (e.g. ``("4h",)``)."""
        return ()

    @property
    def warmup_bars(self) -> int:
        """Candles of its timeframe the strategy needs before its first decision."""
        return 0

    def precompute(self, history: MarketHistory) -> WakeMasks | None:
        """Compute indicators vectorised; return the wake masks, or None for every candle."""
        return None

    def on_start(self, ctx: StrategyContext) -> None:
        """Called once before the first bar."""
        return

    @abstractmethod
    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Decide at the close of a candle of the strategy's timeframe."""

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        """Called for every execution of one of the strategy's orders."""
        return

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        """Called when one of its orders is canceled, rejected or expires."""
        return

    def on_price_alert(self, bar: Bar, ctx: StrategyContext) -> None:
        """Called when a price watched with ``ctx.watch_price`` was reached on ``bar``.

        ``bar`` is the base-timeframe bar that reached it.
        """
        return

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        """Called for a timer set with ``ctx.set_timer``."""
        return

    def on_stop(self, ctx: StrategyContext) -> None:
        """Called once after the last bar."""
        return

    def state(self) -> dict[str, Any] | None:
        """What the strategy needs to resume after a restart, as a JSON-ready dict.

        A strategy that remembers more than its positions and open orders (which the
        venue knows) returns it here — a grid its levels and inventory — and takes it
        back in :meth:`restore`. :mod:`quantbot.engine.strategy_state` saves it to the
        database before orders are sent and restores it into a fresh instance after a
        restart. Plain JSON values only: finite numbers, strings, booleans, None, lists
        and string-keyed dicts.

        Returns:
            The state, or None (the default) when there is nothing to keep.
        """
        return None

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned, before the first hook of a restarted run.

        Raises:
            NotImplementedError: by default: a strategy that keeps no state cannot
                take one back (a saved state under its id belongs to another strategy).
        """
        raise NotImplementedError(f"{type(self).__name__} keeps no state to restore")

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Tables of what the strategy did, by name, for the run's outputs.

        A grid returns its round trips, a momentum strategy its trades with the signals
        that opened them and the reason they closed: what a user reads to understand a
        run beyond its fills. Rows are flat dicts of JSON-ready values; keys ending in
        ``_ms`` are epoch-millisecond times (written as ISO UTC). The backtest writes
        each table as ``<strategy_id>_<name>.csv``.
        """
        return {}

    def describe(self) -> dict[str, Any]:
        """The strategy's identity and parameters, JSON-ready (logged and stored with runs)."""
        return {
            "name": self.name,
            "strategy_id": self.strategy_id,
            "symbols": list(self.symbols),
            "timeframe": self.timeframe,
            "params": self.params.model_dump(mode="json"),
        }
