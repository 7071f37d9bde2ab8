"""``funding_arb``: long spot, short the USDT perpetual, collect funding while it pays the shorts.

The strategy trades pairs of markets: each spot symbol and its linear perpetual
(``BTC/USDT`` and ``BTC/USDT:USDT``). Its ``symbols`` may name the spot pairs, the
perpetuals or both; it trades both legs of every pair named (the run's data must hold
both). At the close of each candle of its timeframe, per pair:

- **flat** — when the estimated funding rate
  (:mod:`~quantbot.strategies.funding_arb_signal`) is above ``min_funding_rate`` and
  the basis within ``max_basis_divergence_pct``, and fewer than ``max_positions``
  positions are open, it buys spot and sells the perpetual short for the same base
  amount, with two market orders sent on the same candle close (both reach the venue
  on the same bar). The amount spends ``position_size_pct`` of the strategy's equity on
  the spot notional plus the perpetual's margin at ``leverage``, rounded down to the
  coarser of the two lots so that both legs are equal. When pairs signal on one
  candle they are served in the order of ``symbols``.
- **in a position** — unwinds both legs with reduce-only market orders when the
  estimate falls below ``exit_funding_rate`` (``funding_below_exit``) or the basis
  leaves ``max_basis_divergence_pct`` (``basis_divergence``). The engine books funding
  at every settlement on the short; nothing else needs doing between signals.

**Failed legs.** The strategy never keeps one leg without the other beyond the bar on
which it learns of the failure:

- an entry order the pre-trade checks refuse is not sent alone: a refused spot buy
  sends no short; a refused short cancels the spot buy before it reaches the venue;
  a short the margin check cut makes the spot buy re-sent at the same amount;
- at every fill and order update of a pair the legs are compared: once an entry
  order has ended (filled, or cut by the venue) the other's remainder is canceled,
  and when the legs' base amounts differ by more than ``rebalance_threshold_pct`` of
  the larger (partial fills, a liquidated short), the larger leg is trimmed to the
  smaller with a reduce-only market order; if the smaller is flat, the position is
  unwound (``leg_failed``). Orders refused on the way out are retried at the next bar.

Every position is kept in :attr:`FundingArb.positions` with its funding, fees and
price P&L (:mod:`~quantbot.strategies.funding_arb_position`;
:func:`~quantbot.strategies.funding_arb_position.attribution` adds the slippage from a
run's fills), every decision in :attr:`FundingArb.decisions`.

Wakes: ``on_candle`` runs only on candles where an entry or an exit condition holds
(the signal is vectorised in ``precompute``); fills, order updates and retry timers
drive everything else.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from quantbot.core import Fill, Instrument, Order, OrderState, Side, quantize_qty
from quantbot.data.symbols import is_perpetual
from quantbot.logs import LogEvent, log_event
from quantbot.strategies.base import Bar, MarketHistory, Strategy, StrategyContext, WakeMasks
from quantbot.strategies.funding_arb_params import FundingArbParams
from quantbot.strategies.funding_arb_position import (
    ArbAction,
    ArbExit,
    ArbPosition,
    ArbState,
    FundingArbDecision,
)
from quantbot.strategies.funding_arb_signal import (
    FundingSignals,
    funding_signals,
    premium_window,
)

__all__ = ["FundingArb", "pairs_of"]

_log = logging.getLogger(__name__)


def _quote(symbol: str) -> str:
    return symbol.partition(":")[0].partition("/")[2]


def pairs_of(symbols: Sequence[str]) -> list[tuple[str, str]]:
    """The (spot, perpetual) pairs ``symbols`` name, in the order first named.

    ``BTC/USDT`` and ``BTC/USDT:USDT`` both name the pair of the two.

    Raises:
        ValueError: for a perpetual not settled in its quote currency (an inverse
            perpetual has no spot twin to hedge with one amount of base).
    """
    pairs: dict[str, str] = {}
    for symbol in symbols:
        spot, _, settle = symbol.partition(":")
        quote = _quote(symbol)
        if is_perpetual(symbol) and settle != quote:
            raise ValueError(f"{symbol}: funding_arb hedges linear perpetuals settled in {quote}")
        pairs.setdefault(spot, f"{spot}:{quote}")
    return list(pairs.items())


class FundingArb(Strategy):
    """Delta-neutral funding collection: long spot, short perpetual, equal base amounts.

    Args:
        params: the strategy's parameters.
        symbols: spot pairs and/or their perpetuals (module docstring).
        timeframe: the timeframe of its decisions; must divide the funding interval.
        strategy_id: unique id of this instance in a run.

    Attributes:
        pairs: the (spot, perpetual) pairs it trades.
        positions: every position it opened, open or closed, in order.
        decisions: every decision, in order (a pair held back over consecutive candles
            once per run of them).

    Raises:
        ValueError: for an inverse perpetual among ``symbols`` or a timeframe that does
            not divide the funding interval.
    """

    name = "funding_arb"
    Params: ClassVar[type[FundingArbParams]] = FundingArbParams
    params: FundingArbParams

    @classmethod
    def tradable(cls, wanted: Sequence[str], available: Collection[str]) -> list[str]:
        """Both legs of every linear pair ``wanted`` names whose two markets are available."""
        linear = [s for s in wanted if not is_perpetual(s) or s.endswith(":" + _quote(s))]
        return [
            leg
            for pair in pairs_of(linear)
            if all(leg in available for leg in pair)
            for leg in pair
        ]

    def __init__(
        self,
        params: FundingArbParams,
        *,
        symbols: Sequence[str],
        timeframe: str = "1m",
        strategy_id: str | None = None,
    ) -> None:
        pairs = pairs_of(symbols)
        legs = [symbol for pair in pairs for symbol in pair]
        super().__init__(params, symbols=legs, timeframe=timeframe, strategy_id=strategy_id)
        self._window = premium_window(params, timeframe)
        self.pairs = tuple(pairs)
        self._perp_of = dict(pairs)
        self._spot_of = {leg: spot for spot, perp in pairs for leg in (spot, perp)}
        self.positions: list[ArbPosition] = []
        self.decisions: list[FundingArbDecision] = []
        self._active: dict[str, ArbPosition] = {}
        self._signals: Mapping[str, FundingSignals] = {}
        self._held: dict[str, tuple[int, str]] = {}

    @property
    def warmup_bars(self) -> int:
        """Candles before the first estimate: it averages one funding interval, this one included."""
        return self._window - 1

    def open_positions(self) -> list[ArbPosition]:
        """Positions not closed yet (opening, open or closing)."""
        return list(self._active.values())

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Its positions with their P&L parts, and every decision it took."""
        return {
            "positions": [
                {
                    "decided_ms": p.decided_ms,
                    "spot": p.spot,
                    "perp": p.perp,
                    "qty": p.qty,
                    "entry_funding_rate_pct": p.entry_funding_rate_pct,
                    "entry_basis_pct": p.entry_basis_pct,
                    "state": p.state,
                    "exit_reason": p.exit_reason,
                    "closed_ms": p.closed_ms,
                    "rebalances": p.rebalances,
                    "funding": p.funding,
                    "fees": p.fees,
                    "price_pnl": p.price_pnl,
                }
                for p in self.positions
            ],
            "decisions": [
                {"ts_ms": d.ts_ms, "pair": d.pair, "action": d.action, "reason": d.reason}
                for d in self.decisions
            ],
        }

    # -- the hooks ------------------------------------------------------------------------

    def precompute(self, history: MarketHistory) -> WakeMasks:
        """Signals of every pair; wake on the spot symbol where a condition holds."""
        signals, masks = {}, {}
        for spot, perp in self.pairs:
            spot_close = history.candles(spot, self.timeframe).close
            perp_close = history.candles(perp, self.timeframe).close
            signals[spot] = funding_signals(spot_close, perp_close, self.params, self.timeframe)
            masks[spot] = signals[spot].wake
            masks[perp] = np.zeros(len(perp_close), dtype=bool)
        self._signals = signals
        return masks

    def on_start(self, ctx: StrategyContext) -> None:
        """Start from a clean slate."""
        self.positions.clear()
        self.decisions.clear()
        self._active.clear()
        self._held.clear()

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Enter a flat pair on an entry signal; unwind an open one on an exit signal."""
        spot, k = bar.symbol, bar.index
        signals = self._signals[spot]
        position = self._active.get(spot)
        if position is None:
            if signals.enter[k]:
                self._enter(spot, signals, k, ctx)
            return
        reason = _exit_reason(signals, k)
        if reason is None or position.state is ArbState.CLOSING:
            return
        if position.state is ArbState.OPENING:
            position.pending_exit = reason
            return
        self._decide(ctx, spot, ArbAction.EXIT, f"{reason}: {_facts(signals, k)}")
        self._unwind(position, reason, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        """Check the pair's legs after every execution (entries, trims, exits, liquidations)."""
        self._sync(self._spot_of[fill.symbol], ctx)

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        """An order the venue ended early changes what the legs will hold: check them."""
        self._sync(self._spot_of[order.symbol], ctx)

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        """Retry what the pre-trade checks refused on the pair ``name`` (its spot symbol)."""
        self._sync(name, ctx)

    def on_stop(self, ctx: StrategyContext) -> None:
        """Mark the positions still open at the last closes."""
        for position in self._active.values():
            position.book(ctx)

    # -- entries ------------------------------------------------------------------------

    def _enter(self, spot: str, signals: FundingSignals, k: int, ctx: StrategyContext) -> None:
        p = self.params
        facts = _facts(signals, k)
        if len(self._active) >= p.max_positions:
            self._hold(ctx, spot, k, f"max_positions {p.max_positions}", facts)
            return
        perp = self._perp_of[spot]
        qty = self._size(spot, perp, ctx)
        if not qty > 0:
            self._hold(ctx, spot, k, "size rounds to nothing", facts)
            return
        orders = self._send_legs(spot, perp, qty, ctx)
        if orders is None:
            return
        position = ArbPosition.start(
            ctx,
            orders,
            funding_rate_pct=float(signals.funding_rate_pct[k]),
            basis_pct=float(signals.basis_pct[k]),
        )
        self._active[spot] = position
        self.positions.append(position)
        self._decide(ctx, spot, ArbAction.ENTER, f"{facts}; {position.qty:g} base per leg")

    def _hold(self, ctx: StrategyContext, spot: str, k: int, cause: str, facts: str) -> None:
        """Record an entry signal not taken, once per unbroken run of candles held for ``cause``.

        A cap can hold a pair back on every candle of a signal lasting days; one record
        per run keeps the audit trail readable and its size independent of the run's length.
        """
        previous = self._held.get(spot)
        self._held[spot] = (k, cause)
        if previous != (k - 1, cause):
            self._decide(ctx, spot, ArbAction.HELD, f"{cause}; {facts}")

    def _size(self, spot: str, perp: str, ctx: StrategyContext) -> float:
        """Base amount per leg: spot notional plus perpetual margin = the position's budget."""
        p = self.params
        budget = ctx.equity() * p.position_size_pct / 100.0
        per_unit = ctx.last_price(spot) + ctx.last_price(perp) / p.leverage
        qty = budget / per_unit
        if not (math.isfinite(qty) and qty > 0):
            return 0.0
        return quantize_qty(qty, _common_lot(ctx.instrument(spot), ctx.instrument(perp)))

    def _send_legs(
        self, spot: str, perp: str, qty: float, ctx: StrategyContext
    ) -> tuple[Order, Order] | None:
        """Send the buy and the short for ``qty`` base each; None, with nothing sent, if refused.

        The checks may cut an order (balance, margin, lot): the spot buy is sent first,
        the short for what the buy kept, and a short cut further makes the buy re-sent
        at the short's amount, so that both legs rest at one amount.
        """
        contract = ctx.instrument(perp).contract_size
        buy = ctx.submit(spot, Side.BUY, qty, tag="entry")
        if _refused(buy):
            self._decide(ctx, spot, ArbAction.REFUSED, f"spot buy: {_refusal(buy, qty)}")
            return None
        assert buy is not None
        short = ctx.submit(perp, Side.SELL, buy.qty / contract, tag="entry")
        if _refused(short):
            ctx.cancel(buy.client_order_id)
            self._decide(ctx, spot, ArbAction.REFUSED, f"perp short: {_refusal(short, qty)}")
            return None
        assert short is not None
        hedged = short.qty * contract
        if hedged < buy.qty and not _same_amount(hedged, buy.qty, ctx.instrument(spot)):
            ctx.cancel(buy.client_order_id)
            buy = ctx.submit(spot, Side.BUY, hedged, tag="entry")
            if _refused(buy):
                ctx.cancel(short.client_order_id)
                self._decide(ctx, spot, ArbAction.REFUSED, f"spot buy: {_refusal(buy, hedged)}")
                return None
            assert buy is not None
        return buy, short

    # -- keeping the legs together --------------------------------------------------------

    def _sync(self, spot: str, ctx: StrategyContext) -> None:
        """Bring the pair's orders in line with what its legs hold.

        The engine books every fill of a bar before the first callback, so this reads
        the bar's final state and may run several times per bar: a second run finds
        nothing to do.
        """
        position = self._active.get(spot)
        if position is None:
            return
        position.book(ctx)
        if position.state is ArbState.OPENING:
            if not self._entry_done(position, ctx):
                return
            position.state = ArbState.OPEN
            if position.pending_exit is not None:
                reason = position.pending_exit
                self._decide(ctx, spot, ArbAction.EXIT, f"{reason}, decided while entering")
                self._unwind(position, reason, ctx)
                return
        if ctx.open_orders(position.spot) or ctx.open_orders(position.perp):
            return  # a trim or an exit is on its way; its fills call back here
        long, short = position.legs(ctx)
        if position.state is ArbState.CLOSING:
            if long == 0 and short == 0:
                self._finish(position, ctx)
            else:
                self._flatten(position, ctx)
            return
        if long <= 0 and short <= 0:
            position.exit_reason = ArbExit.NOT_FILLED
            self._finish(position, ctx)
            return
        self._rebalance(position, long, short, ctx)

    def _entry_done(self, position: ArbPosition, ctx: StrategyContext) -> bool:
        """Whether the entry is over; ends it early when its legs have come apart.

        The entry is over when both orders have ended. Once one has and the other has
        not (the venue filled part of it, or cut it at execution), or the legs differ
        by more than the threshold while both still work, the rest is canceled so that
        both legs are final on this bar and the hedge can be trimmed.
        """
        working = [order for order in position.entry_orders if order.is_open]
        if not working:
            return True
        if len(working) == len(position.entry_orders) and self._within(*position.legs(ctx)):
            return False
        for order in working:
            ctx.cancel(order.client_order_id)
        return not any(order.is_open for order in position.entry_orders)

    def _rebalance(
        self, position: ArbPosition, long: float, short: float, ctx: StrategyContext
    ) -> None:
        """Trim the larger leg to the smaller; unwind both when the smaller is flat."""
        if self._within(long, short):
            return
        if min(long, short) <= 0:
            self._decide(
                ctx, position.spot, ArbAction.EXIT, f"leg_failed: legs {long:g} / {short:g}"
            )
            self._unwind(position, ArbExit.LEG_FAILED, ctx)
            return
        if long > short:
            symbol, side, excess = position.spot, Side.SELL, long - short
        else:
            symbol, side, excess = position.perp, Side.BUY, short - long
        instrument = ctx.instrument(symbol)
        qty = quantize_qty(excess / instrument.contract_size, instrument.lot_size)
        if not qty > 0:
            return  # apart by less than a lot: as close as the lots allow
        order = ctx.submit(symbol, side, qty, reduce_only=True, tag="rebalance")
        reason = f"legs {long:g} / {short:g}: {side} {qty:g} {symbol}"
        if _refused(order):
            self._decide(ctx, position.spot, ArbAction.REFUSED, f"{reason}: {_refusal(order, qty)}")
            ctx.set_timer(ctx.now_ms, position.spot)
            return
        assert order is not None
        position.order_ids.append(order.client_order_id)
        position.rebalances += 1
        self._decide(ctx, position.spot, ArbAction.REBALANCE, reason)

    def _within(self, long: float, short: float) -> bool:
        """Whether the legs' base amounts are within the rebalance threshold of each other."""
        larger = max(long, short)
        return (
            larger <= 0 or abs(long - short) <= larger * self.params.rebalance_threshold_pct / 100.0
        )

    # -- exits ----------------------------------------------------------------------------

    def _unwind(self, position: ArbPosition, reason: ArbExit, ctx: StrategyContext) -> None:
        """Close both legs: cancel what is working on them, then flatten each."""
        position.state = ArbState.CLOSING
        position.exit_reason = reason
        for order in [*ctx.open_orders(position.spot), *ctx.open_orders(position.perp)]:
            ctx.cancel(order.client_order_id)
        self._flatten(position, ctx)

    def _flatten(self, position: ArbPosition, ctx: StrategyContext) -> None:
        """A reduce-only market order per leg still held; a refused one is retried next bar."""
        for symbol in (position.spot, position.perp):
            held = ctx.position(symbol).qty
            if held == 0:
                continue
            side = Side.SELL if held > 0 else Side.BUY
            order = ctx.submit(symbol, side, abs(held), reduce_only=True, tag="exit")
            if _refused(order):
                reason = f"exit of {symbol}: {_refusal(order, abs(held))}"
                self._decide(ctx, position.spot, ArbAction.REFUSED, reason)
                ctx.set_timer(ctx.now_ms, position.spot)
                continue
            assert order is not None
            position.order_ids.append(order.client_order_id)

    def _finish(self, position: ArbPosition, ctx: StrategyContext) -> None:
        position.state = ArbState.CLOSED
        position.closed_ms = ctx.now_ms
        del self._active[position.spot]
        if position.held_qty == 0:
            self.positions.remove(position)  # nothing ever filled: no position to report
            return
        log_event(
            _log,
            LogEvent.TRADE_CLOSED,
            "%s/%s arbitrage closed: %s, funding %.2f, fees %.2f, price pnl %.2f",
            position.spot,
            position.perp,
            position.exit_reason,
            position.funding,
            position.fees,
            position.price_pnl,
            level=logging.DEBUG,
            strategy=self.strategy_id,
            pair=position.spot,
            exit_reason=str(position.exit_reason),
        )

    def _decide(self, ctx: StrategyContext, pair: str, action: ArbAction, reason: str) -> None:
        self.decisions.append(FundingArbDecision(ctx.now_ms, pair, action, reason))


def _exit_reason(signals: FundingSignals, k: int) -> ArbExit | None:
    """The exit condition holding at candle ``k`` (basis first: it is the risk), or None."""
    if signals.exit_basis[k]:
        return ArbExit.BASIS
    if signals.exit_funding[k]:
        return ArbExit.FUNDING
    return None


def _facts(signals: FundingSignals, k: int) -> str:
    return (
        f"funding {float(signals.funding_rate_pct[k]):.6f} %/8h, "
        f"basis {float(signals.basis_pct[k]):.4f} %"
    )


def _common_lot(spot: Instrument, perp: Instrument) -> float | None:
    """The coarser lot of the two legs in base units: an amount both legs can trade."""
    lots = [lot for lot in (spot.lot_size, _base_lot(perp)) if lot is not None]
    return max(lots) if lots else None


def _base_lot(instrument: Instrument) -> float | None:
    lot = instrument.lot_size
    return None if lot is None else lot * instrument.contract_size


def _same_amount(a: float, b: float, instrument: Instrument) -> bool:
    """Equal up to half a lot (float noise), or exactly without a lot."""
    lot = instrument.lot_size
    return abs(a - b) < lot / 2 if lot is not None else a == b


def _refused(order: Order | None) -> bool:
    return order is None or order.state is OrderState.REJECTED


def _refusal(order: Order | None, qty: float) -> str:
    """The pre-trade checks' reason for refusing an order."""
    if order is None:
        return f"quantity {qty:g} is not a positive number"
    return order.history[-1].reason
