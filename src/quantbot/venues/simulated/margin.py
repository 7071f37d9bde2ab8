"""Margin of USDT-margined perpetuals in the simulated venue: leverage, maintenance, liquidation.

The account's quote balance is the futures wallet (``W``). Each perpetual position of
``size`` base units (signed) entered at ``entry`` carries a **position margin** ``M``:
``|size| * price / leverage`` of what opened it, reduced in proportion when the
position shrinks, reset on a flip. The **maintenance margin** at mark price ``p`` is
``mmr * |size| * p``, with ``mmr`` the market's tier-1 rate (:data:`MAINTENANCE_MARGIN_PCT`).

Liquidation, checked on the mark price:

- **isolated**: a position is liquidated when its margin plus its unrealised PnL falls
  to its maintenance margin, ``M + size * (p - entry) <= mmr * |size| * p``, i.e. at

  - long: ``p_liq = (entry - M / size) / (1 - mmr)``
  - short: ``p_liq = (entry + M / |size|) / (1 + mmr)``

  With ``M = |size| * entry / leverage`` this is ``entry * (1 - 1/lev) / (1 - mmr)`` for
  a long, which ``entry * (1 - 1/lev + mmr)`` (REQUIREMENTS.md §7) approximates to
  first order. It is Binance's formula for one position in the first bracket (whose
  maintenance amount is 0). Funding is paid from the wallet, not from ``M``, so it does
  not move ``p_liq``.
- **cross**: the account is liquidated, every perpetual position at once, when the
  wallet plus the unrealised PnL of all positions falls to their total maintenance
  margin, ``W + sum(size * (p - entry)) <= sum(mmr * |size| * p)``.

Both are one linear condition on the mark prices, ``sum(a * p) <= b`` with
``a = size - mmr * |size|`` and ``b = sum(size * entry) - M`` (isolated, one term) or
``b = sum(size * entry) - W`` (cross): between two events it is constant, so the fast
path finds the first bar that meets it with :class:`~quantbot.venues.simulated.scan.LinearScan`,
testing each bar at its adverse extreme (low of longs, high of shorts), as a stop is.

The execution: the position is closed at the price where the condition is met — its
liquidation price, or the mark's open when the bar opens beyond it. With several
positions (cross) the path inside the bar is unknown: every mark is assumed to move in
step from its open towards its adverse extreme, and the first point of that path that
meets the condition is taken (one position: exactly its liquidation price). A gap can
open beyond the **bankruptcy price** (where the margin is exhausted,
``entry - M / size`` isolated, equity 0 cross); the position is then closed at the
bankruptcy price, as the exchange's insurance fund takes it over, so a liquidation
never costs more than the margin (isolated) or the wallet (cross). Several positions
move towards their entry prices in step until equity is 0.

A **liquidation clearance fee** of ``liquidation_fee_pct`` of the notional closed is
charged, never more than the margin left after the close (Binance's clearance fee
takes what is left of the maintenance margin). Binance publishes no single rate; with
any rate above the maintenance rate a liquidated position loses all of its margin,
which is what happens on Binance to a position liquidated in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from quantbot.core import Instrument, Portfolio
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.venues.simulated.scan import LinearScan

__all__ = [
    "DEFAULT_MAINTENANCE_MARGIN_PCT",
    "MAINTENANCE_MARGIN_PCT",
    "Liquidation",
    "MarginAccount",
    "MarginMode",
    "MarginModel",
    "bankruptcy_price",
    "liquidation_price",
]

MAINTENANCE_MARGIN_PCT: Mapping[str, float] = {"BTC": 0.4, "ETH": 0.5}
"""Maintenance margin rate of the first notional bracket by base asset, percent: Binance
USD-M's tier-1 rates of BTCUSDT (0.4 %) and ETHUSDT (0.5 %), as its leverage-bracket
table (``GET /fapi/v1/leverageBracket``, ``maintMarginRatio``) lists them."""

DEFAULT_MAINTENANCE_MARGIN_PCT = 1.0
"""Tier-1 maintenance rate of every other market, percent: most Binance USD-M altcoin
perpetuals start at 1 % or below, so 1 % does not understate the risk."""

_MAX_LEVERAGE = 125.0
"""Binance's highest leverage (BTCUSDT, first bracket)."""


class MarginMode(StrEnum):
    """How perpetual positions share the wallet."""

    ISOLATED = "isolated"
    """Each position risks only its own margin; it is liquidated alone."""
    CROSS = "cross"
    """Every position draws on the whole wallet; the account is liquidated at once."""


@dataclass(frozen=True, slots=True)
class MarginModel:
    """How the simulated venue margins perpetual positions.

    Attributes:
        mode: cross (Binance's default) or isolated.
        leverage: leverage of every perpetual (1 to 125): initial margin is notional /
            leverage.
        leverage_by_symbol: per-symbol overrides of ``leverage``.
        maintenance_margin_pct: per-symbol overrides of the maintenance rate, percent of
            the notional at mark (default :data:`MAINTENANCE_MARGIN_PCT` by base asset,
            else :data:`DEFAULT_MAINTENANCE_MARGIN_PCT`).
        liquidation_fee_pct: clearance fee of a liquidation, percent of the notional
            closed, capped at the margin left.

    Raises:
        ValueError: for a leverage outside 1..125, a maintenance rate outside (0, 50)
            percent or a fee outside 0..10 percent.
    """

    mode: MarginMode = MarginMode.CROSS
    leverage: float = 1.0
    leverage_by_symbol: Mapping[str, float] = field(default_factory=dict)
    maintenance_margin_pct: Mapping[str, float] = field(default_factory=dict)
    liquidation_fee_pct: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", MarginMode(self.mode))
        for name, value in (("leverage", self.leverage), *self.leverage_by_symbol.items()):
            if not 1.0 <= value <= _MAX_LEVERAGE:
                raise ValueError(f"leverage of {name} {value} must be between 1 and 125")
        for symbol, pct in self.maintenance_margin_pct.items():
            if not 0.0 < pct < 50.0:
                raise ValueError(f"maintenance_margin_pct of {symbol} {pct} must be in (0, 50)")
        if not 0.0 <= self.liquidation_fee_pct <= 10.0:
            raise ValueError(f"liquidation_fee_pct {self.liquidation_fee_pct} must be in 0..10")

    def leverage_for(self, symbol: str) -> float:
        """Leverage of ``symbol``."""
        return self.leverage_by_symbol.get(symbol, self.leverage)

    def maintenance_rate(self, symbol: str) -> float:
        """Maintenance margin rate of ``symbol`` as a fraction (0.004 = 0.4 %)."""
        pct = self.maintenance_margin_pct.get(symbol)
        if pct is None:
            base = symbol.split("/", maxsplit=1)[0]
            pct = MAINTENANCE_MARGIN_PCT.get(base, DEFAULT_MAINTENANCE_MARGIN_PCT)
        return pct / 100.0

    def describe(self) -> dict[str, object]:
        """The model as JSON-ready data (stored with a run)."""
        return {
            "mode": str(self.mode),
            "leverage": self.leverage,
            "leverage_by_symbol": dict(self.leverage_by_symbol),
            "maintenance_margin_pct": dict(self.maintenance_margin_pct),
            "liquidation_fee_pct": self.liquidation_fee_pct,
        }


def liquidation_price(size: float, entry: float, margin: float, maintenance_rate: float) -> float:
    """Mark price at which an isolated position is liquidated (see the module docstring).

    Args:
        size: signed position size in base units (non-zero).
        entry: average entry price.
        margin: the position's margin, quote units.
        maintenance_rate: maintenance margin rate, a fraction.

    Returns:
        The price; for a long it is 0 or below when the margin covers any fall.
    """
    side = 1.0 if size > 0 else -1.0
    return (entry - margin / size) / (1.0 - side * maintenance_rate)


def bankruptcy_price(size: float, entry: float, margin: float) -> float:
    """Mark price at which a position's margin plus its unrealised PnL is zero."""
    return entry - margin / size


@dataclass(frozen=True, slots=True)
class Liquidation:
    """One position the venue closes by liquidation.

    Attributes:
        symbol: the perpetual.
        size: the position closed, signed, in base units.
        price: execution price.
        fee: clearance fee charged, quote units.
        bankrupt: the price is the bankruptcy price (the mark gapped beyond it).
    """

    symbol: str
    size: float
    price: float
    fee: float
    bankrupt: bool


@dataclass(frozen=True, slots=True)
class _Open:
    symbol: str
    row: int
    size: float
    entry: float
    margin: float
    rate: float

    @property
    def coef(self) -> float:
        return self.size - self.rate * abs(self.size)


_Condition = tuple[np.ndarray, np.ndarray, float, list[_Open]]
"""(rows, coefficients, bound, positions) of one liquidation condition."""


class MarginAccount:
    """The venue's margin engine: position margins, liquidation scans and executions.

    It reads positions and the wallet from the account ledger (``portfolio``), learns
    each perpetual fill through :meth:`on_fill` (to keep position margins), and marks
    positions with ``marks`` (mark-price candles on the run's timeline).

    What it reads is kept until the state changes, and so is the last scan's answer
    (no liquidation before the bar it found): the engine asks at every event, and most
    events change nothing here. Whoever changes the wallet other than by a perpetual
    fill (a spot fill, funding, a transfer) must call :meth:`refresh`.

    Args:
        model: leverage, mode, maintenance rates, fee.
        instruments: the perpetuals, by symbol.
        marks: per perpetual, mark-price candles on the run's timeline.
        portfolio: the account ledger.
        exchange: the account's name in the ledger.
        settle: the wallet currency (every perpetual's settle currency).
    """

    def __init__(
        self,
        model: MarginModel,
        instruments: Mapping[str, Instrument],
        marks: Mapping[str, OhlcvArrays],
        *,
        portfolio: Portfolio,
        exchange: str,
        settle: str,
    ) -> None:
        self.model = model
        self._symbols = list(marks)
        self._instruments = {s: instruments[s] for s in self._symbols}
        self._marks = dict(marks)
        self._rows = {symbol: row for row, symbol in enumerate(self._symbols)}
        self._rates = {s: model.maintenance_rate(s) for s in self._symbols}
        self._scan = LinearScan(
            [marks[s].low for s in self._symbols], [marks[s].high for s in self._symbols]
        )
        self._portfolio = portfolio
        self._exchange = exchange
        self._settle = settle
        self._margins: dict[str, float] = {}
        self._state: list[_Condition] | None = None
        self._found: tuple[int, int] | None = None
        """(start, bar) of the last scan: no liquidation in [start, bar), one at bar."""

    def refresh(self) -> None:
        """Forget what was read from the ledger: positions or the wallet changed."""
        self._state = None
        self._found = None

    # -- margins ----------------------------------------------------------------------

    def on_fill(self, symbol: str, size_before: float, size_after: float, price: float) -> None:
        """Update the margin of ``symbol``'s position after a fill at ``price`` (base units)."""
        self.refresh()
        if size_after == 0.0:
            self._margins.pop(symbol, None)
            return
        leverage = self.model.leverage_for(symbol)
        before, after = abs(size_before), abs(size_after)
        if size_before == 0.0 or (size_before > 0) != (size_after > 0):
            self._margins[symbol] = after * price / leverage
        elif after > before:
            self._margins[symbol] = (
                self._margins.get(symbol, 0.0) + (after - before) * price / leverage
            )
        else:
            self._margins[symbol] = self._margins.get(symbol, 0.0) * after / before

    def on_funding(self, symbol: str, amount: float) -> None:
        """Book a funding payment on ``symbol``'s position (received if positive).

        Isolated, the payment settles against the position's own margin, as against
        Binance's isolated wallet: a position that pays funding moves towards its
        liquidation, and never pays with margin that other positions hold. Cross, it
        only moves the shared wallet.
        """
        self.refresh()
        if self.model.mode is MarginMode.ISOLATED and symbol in self._margins:
            self._margins[symbol] += amount

    def position_margin(self, symbol: str) -> float:
        """Margin held by the position in ``symbol`` (0 when flat)."""
        return self._margins.get(symbol, 0.0)

    def total_margin(self) -> float:
        """Margin held by every position."""
        return sum(self._margins.values())

    def mark_close(self, symbol: str, bar: int) -> float:
        """Mark price at the close of ``bar`` (before the first bar: the first open)."""
        marks = self._marks[symbol]
        return float(marks.open[0] if bar < 0 else marks.close[bar])

    def unrealized_pnl(self, bar: int) -> float:
        """Unrealised PnL of every position at the marks of ``bar``'s close."""
        return sum(
            p.size * (self.mark_close(p.symbol, bar) - p.entry)
            for condition in self._conditions()
            for p in condition[3]
        )

    # -- liquidation --------------------------------------------------------------------

    def next_liquidation_bar(self, start: int) -> int:
        """First bar ``>= start`` on which a position would be liquidated if nothing changed.

        Returns the length of the timeline when none would be.
        """
        found = self._found
        if found is not None and found[0] <= start <= found[1]:
            return found[1]
        best = self._scan.bars
        for rows, coefs, bound, _ in self._conditions():
            best = min(best, self._scan.first(rows, coefs, bound, start, best))
        self._found = (start, best)
        return best

    def due(self, bar: int) -> list[Liquidation]:
        """The liquidations ``bar`` triggers, with their prices and fees (nothing is booked)."""
        if self.next_liquidation_bar(bar) != bar:
            return []
        liquidations: list[Liquidation] = []
        for rows, coefs, bound, positions in self._conditions():
            if self._scan.holds_at(rows, coefs, bound, bar):
                if self.model.mode is MarginMode.ISOLATED:
                    liquidations.append(self._isolated(positions[0], bar))
                else:
                    liquidations.extend(self._cross(positions, bar))
        return liquidations

    def _open(self) -> list[_Open]:
        positions = []
        for symbol in self._symbols:
            position = self._portfolio.position(self._exchange, symbol)
            if position is None or position.is_flat:
                continue
            positions.append(
                _Open(
                    symbol,
                    self._rows[symbol],
                    position.qty * self._instruments[symbol].contract_size,
                    position.avg_entry_price,
                    self._margins.get(symbol, 0.0),
                    self._rates[symbol],
                )
            )
        return positions

    def _conditions(self) -> list[_Condition]:
        """Each liquidation condition ``sum(coefs * adverse[rows]) <= bound`` and its positions."""
        if self._state is None:
            self._state = self._read_conditions()
        return self._state

    def _read_conditions(self) -> list[_Condition]:
        positions = self._open()
        if not positions:
            return []
        if self.model.mode is MarginMode.ISOLATED:
            return [
                (
                    np.array([p.row], dtype=np.int64),
                    np.array([p.coef]),
                    p.size * p.entry - p.margin,
                    [p],
                )
                for p in positions
            ]
        rows = np.array([p.row for p in positions], dtype=np.int64)
        coefs = np.array([p.coef for p in positions])
        bound = sum(p.size * p.entry for p in positions) - self._wallet()
        return [(rows, coefs, bound, positions)]

    def _wallet(self) -> float:
        return self._portfolio.balance(self._exchange, self._settle)

    def _isolated(self, p: _Open, bar: int) -> Liquidation:
        price = liquidation_price(p.size, p.entry, p.margin, p.rate)
        opening = float(self._marks[p.symbol].open[bar])
        if (opening <= price) if p.size > 0 else (opening >= price):
            price = opening  # the mark opened beyond the liquidation price
        floor = bankruptcy_price(p.size, p.entry, p.margin)
        bankrupt = price < floor if p.size > 0 else price > floor
        if bankrupt:
            price = floor
        left = p.margin + p.size * (price - p.entry)
        fee = min(self._fee_rate * abs(p.size) * price, max(left, 0.0))
        return Liquidation(p.symbol, p.size, price, fee, bankrupt)

    def _cross(self, positions: list[_Open], bar: int) -> list[Liquidation]:
        opens = np.array([self._marks[p.symbol].open[bar] for p in positions])
        adverse = np.array(
            [
                self._marks[p.symbol].low[bar] if p.coef > 0 else self._marks[p.symbol].high[bar]
                for p in positions
            ]
        )
        coefs = np.array([p.coef for p in positions])
        sizes = np.array([p.size for p in positions])
        entries = np.array([p.entry for p in positions])
        wallet = self._wallet()
        bound = float(sizes @ entries) - wallet
        at_open = float(coefs @ opens) - bound
        if at_open > 0.0:
            # Every mark moves in step from its open to its adverse extreme; the first
            # point where the condition holds is where the account is liquidated.
            fall = at_open - (float(coefs @ adverse) - bound)
            step = min(at_open / fall, 1.0) if fall > 0.0 else 1.0
            prices = opens + step * (adverse - opens)
        else:
            prices = opens
        pnl = float(sizes @ (prices - entries))
        bankrupt = wallet + pnl < 0.0 < wallet
        if bankrupt:
            # Move every price towards its entry until equity is 0: the bankruptcy prices.
            prices = prices + (1.0 + wallet / pnl) * (entries - prices)
            pnl = float(sizes @ (prices - entries))
        notionals = np.abs(sizes) * prices
        total = float(notionals.sum())
        fee = min(self._fee_rate * total, max(wallet + pnl, 0.0))
        return [
            Liquidation(p.symbol, p.size, float(price), fee * float(n) / total, bankrupt)
            for p, price, n in zip(positions, prices, notionals, strict=True)
        ]

    @property
    def _fee_rate(self) -> float:
        return self.model.liquidation_fee_pct / 100.0

    @property
    def is_cross(self) -> bool:
        """Whether the account is margined cross (a liquidation closes every position)."""
        return self.model.mode is MarginMode.CROSS

    def __repr__(self) -> str:
        return f"MarginAccount({self.model.mode}, margins {self._margins})"
