"""What strategies and the pre-trade checks see of the backtest engine.

A strategy acts through a :class:`BacktestContext` (the engine's
:class:`~quantbot.strategies.base.StrategyContext`); the check chain reads the account
through a :class:`ChainState` (:class:`~quantbot.risk.PortfolioState`, the venue rules'
:class:`~quantbot.risk.PreTradeState` and what the portfolio rules read besides). Both
are thin views of the engine, described by :class:`EngineView`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from quantbot.core import (
    ClientOrderId,
    Instrument,
    Order,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from quantbot.engine.attribution import StrategyBook
from quantbot.engine.backtest_setup import BacktestConfig
from quantbot.engine.ledger import Ledger
from quantbot.risk import OrderIntent, symbol_exposure_usd
from quantbot.strategies.base import Strategy
from quantbot.venues.simulated import SimulatedVenue

__all__ = ["BacktestContext", "ChainState", "EngineView"]


class EngineView(Protocol):
    """The parts of the engine the views read and call."""

    instruments: Mapping[str, Instrument]
    config: BacktestConfig
    ledger: Ledger
    venue: SimulatedVenue
    bar: int
    symbols: list[str]

    @property
    def now_ms(self) -> int:
        """The close of the bar being processed."""
        ...

    def last_price(self, symbol: str) -> float:
        """The latest close of ``symbol``."""
        ...

    def mark_price(self, symbol: str) -> float:
        """The price positions in ``symbol`` are valued at now."""
        ...

    def account_equity(self) -> float:
        """The account's equity at the latest valuation prices."""
        ...

    def correlation_groups(self) -> tuple[frozenset[str], ...]:
        """The rolling correlation's groups of base assets now."""
        ...

    def take_profit_factor(self) -> float:
        """The drawdown brakes' take-profit factor now (1.0 without brakes)."""
        ...

    def submit(self, strategy: Strategy, intent: OrderIntent) -> Order | None:
        """Pass an order through the chain to the venue."""
        ...

    def cancel(self, strategy: Strategy, client_order_id: ClientOrderId) -> None:
        """Cancel one of the strategy's orders."""
        ...

    def set_timer(self, strategy: Strategy, at_ms: int, name: str) -> None:
        """Call the strategy's ``on_timer`` at the first bar close at or after ``at_ms``."""
        ...

    def watch_price(
        self, strategy: Strategy, symbol: str, above: float | None, below: float | None
    ) -> None:
        """Set, replace or remove the strategy's price watch on ``symbol``."""
        ...


class _EngineHolder:
    """Base of the views: holds the engine until the run is over.

    The engine holds its views too; :meth:`close` breaks that cycle when the run ends,
    so that the run's state goes with the last reference to it rather than waiting for
    a full pass of the garbage collector (research runs backtest after backtest in one
    process, and each would otherwise keep the last one's state alive).
    """

    __deletable__ = ("_engine",)
    """mypyc: compiled classes let :meth:`close` delete only the attributes named here."""

    def __init__(self, engine: EngineView) -> None:
        self._engine = engine

    def close(self) -> None:
        """Let go of the engine: any later use fails (AttributeError)."""
        del self._engine


class ChainState(_EngineHolder):
    """The engine as the pre-trade checks see it (:class:`~quantbot.risk.PortfolioState`).

    One account (``BacktestConfig.exchange``) holds every symbol; its quote currency is
    the only stablecoin. Exposures read the venue's net positions and working orders.

    Nothing changes while the chain checks one order, and the portfolio rules read the
    same totals several times, so the equity, the exposed symbols, the pending
    quantities and the exposures are read once per order: the engine calls
    :meth:`begin` before each.
    """

    def __init__(self, engine: EngineView) -> None:
        super().__init__(engine)
        self._equity: float | None = None
        self._exposed: list[str] | None = None
        self._pending: dict[str, tuple[float, float]] = {}
        self._exposures: dict[tuple[str, Side | None, float], float] = {}

    def begin(self) -> None:
        """A new order is checked: forget what was read for the last one."""
        self._equity = None
        self._exposed = None
        self._pending.clear()
        self._exposures.clear()

    def instrument(self, symbol: str) -> Instrument:
        """Trading rules of ``symbol``."""
        return self._engine.instruments[symbol]

    def last_price(self, symbol: str) -> float:
        """Latest close of ``symbol``."""
        return self._engine.last_price(symbol)

    def free_balance(self, asset: str) -> float:
        """Balance of ``asset`` not committed to orders or positions."""
        return self._engine.ledger.free_balance(asset)

    def position_qty(self, symbol: str) -> float:
        """The account's net position in ``symbol``, as the venue holds it."""
        return self._engine.venue.position(symbol)

    def taker_fee_rate(self) -> float:
        """The taker fee as a fraction."""
        return self._engine.config.fill_model.taker_fee_pct / 100.0

    def leverage(self, symbol: str) -> float:
        """Leverage of the perpetual ``symbol``."""
        return self._engine.config.margin.leverage_for(symbol)

    def available_margin(self, asset: str) -> float:
        """Margin free for new perpetual orders."""
        return self._engine.ledger.available_margin(asset, self._engine.bar)

    def equity_usd(self) -> float:
        """The account's equity: the quote balance, spot holdings at the close, perpetuals at the mark."""
        if self._equity is None:
            self._equity = self._engine.account_equity()
        return self._equity

    def stable_cash_usd(self) -> float:
        """The quote currency not committed to orders or to positions' margin."""
        return self._engine.ledger.free_balance(self._engine.config.quote_currency)

    def symbols_with_exposure(self) -> Iterable[str]:
        """Symbols with a position or a working order that is not reduce-only."""
        if self._exposed is None:
            venue = self._engine.venue
            self._exposed = [
                symbol
                for symbol in self._engine.symbols
                if venue.position(symbol) != 0.0
                or any(not order.reduce_only for order in venue.working_orders(symbol))
            ]
        return self._exposed

    def pending_qty(self, symbol: str, side: Side) -> float:
        """Unfilled quantity of the working orders on ``side`` that are not reduce-only."""
        pending = self._pending.get(symbol)
        if pending is None:
            buys = sells = 0.0
            for order in self._engine.venue.working_orders(symbol):
                if not order.reduce_only:
                    if order.side is Side.BUY:
                        buys += order.remaining_qty
                    else:
                        sells += order.remaining_qty
            pending = self._pending[symbol] = (buys, sells)
        return pending[0] if side is Side.BUY else pending[1]

    def exchange_of(self, symbol: str) -> str:
        """The run's one account."""
        return self._engine.config.exchange

    def exposure_usd(self, symbol: str, order: OrderIntent | None = None) -> float:
        """The worst-case exposure of ``symbol`` (after ``order``), once per order and size."""
        key = (symbol, None, 0.0) if order is None else (symbol, order.side, order.qty)
        exposure = self._exposures.get(key)
        if exposure is None:
            exposure = self._exposures[key] = symbol_exposure_usd(self, symbol, order)
        return exposure

    def rolling_correlation_groups(self) -> Iterable[frozenset[str]]:
        """The groups of the rolling correlation of daily closes (closed days only)."""
        return self._engine.correlation_groups()


class BacktestContext(_EngineHolder):
    """What one strategy may do and read (:class:`~quantbot.strategies.base.StrategyContext`)."""

    def __init__(self, engine: EngineView, strategy: Strategy, book: StrategyBook) -> None:
        super().__init__(engine)
        self._strategy = strategy
        self._book = book

    @property
    def now_ms(self) -> int:
        """The close of the bar being processed."""
        return self._engine.now_ms

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
        """Pass an order through the pre-trade checks to the venue; None if not an order."""
        intent = OrderIntent(
            self._strategy.strategy_id,
            symbol,
            side,
            qty,
            order_type,
            price,
            stop_price,
            time_in_force,
            reduce_only,
            tag,
        )
        return self._engine.submit(self._strategy, intent)

    def cancel(self, client_order_id: ClientOrderId) -> None:
        """Cancel one of the strategy's open orders."""
        self._engine.cancel(self._strategy, client_order_id)

    def position(self, symbol: str) -> Position:
        """The strategy's own position in ``symbol``."""
        return self._book.position(self._engine.instruments[symbol])

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """The strategy's orders that may still fill, of ``symbol`` or all."""
        return [o for o in self._book.open_orders.values() if symbol is None or o.symbol == symbol]

    def instrument(self, symbol: str) -> Instrument:
        """Trading rules of ``symbol``."""
        return self._engine.instruments[symbol]

    def last_price(self, symbol: str) -> float:
        """Latest close of ``symbol``."""
        return self._engine.last_price(symbol)

    def take_profit_factor(self) -> float:
        """The drawdown brakes' take-profit factor now (1.0 without brakes)."""
        return self._engine.take_profit_factor()

    def equity(self) -> float:
        """The strategy's capital plus its P&L, perpetuals at the mark."""
        prices = {s: self._engine.mark_price(s) for s in self._book.positions}
        return self._book.equity(prices)

    def set_timer(self, at_ms: int, name: str = "") -> None:
        """Call ``on_timer(name)`` at the first bar close at or after ``at_ms``."""
        self._engine.set_timer(self._strategy, at_ms, name)

    def watch_price(
        self, symbol: str, *, above: float | None = None, below: float | None = None
    ) -> None:
        """Call ``on_price_alert`` when ``symbol`` reaches ``above`` or ``below``."""
        self._engine.watch_price(self._strategy, symbol, above, below)
