"""Per-strategy attribution: each strategy's positions, fees, funding and P&L.

All strategies of a run share one account (one :class:`~quantbot.core.Portfolio`);
attribution keeps, beside it, what each strategy did: its own positions (so two
strategies trading one symbol each see their own size), its fees and its P&L, and
the capital it was allotted. A strategy's equity is its capital plus that P&L.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quantbot.core import Fill, FundingPayment, Instrument, Order, Position, StrategyId

__all__ = ["StrategyBook"]


@dataclass
class StrategyBook:
    """One strategy's share of the account.

    Attributes:
        strategy_id: the strategy.
        capital: quote currency allotted to it at the start.
        positions: its positions per symbol.
        open_orders: its orders that may still fill, by client order id.
    """

    strategy_id: StrategyId
    capital: float
    positions: dict[str, Position] = field(default_factory=dict)
    open_orders: dict[str, Order] = field(default_factory=dict)
    _linear: tuple[float, dict[str, float]] | None = field(init=False, repr=False, compare=False)
    """:meth:`linear_value` until the next fill, funding payment or new position."""

    def __post_init__(self) -> None:
        # Set here, not as the field's default: compiled (quantbot.compiled), a default
        # of a field left out of __init__ is never set.
        self._linear = None

    def position(self, instrument: Instrument) -> Position:
        """The strategy's position in ``instrument`` (created flat on first use)."""
        position = self.positions.get(instrument.symbol)
        if position is None:
            position = self.positions[instrument.symbol] = Position(instrument)
            self._linear = None
        return position

    def apply_fill(self, fill: Fill, instrument: Instrument) -> None:
        """Book one of the strategy's executions."""
        self.position(instrument).apply_fill(fill)
        self._linear = None

    def apply_funding(self, payment: FundingPayment, instrument: Instrument) -> None:
        """Book funding paid or received on the strategy's perpetual position."""
        self.position(instrument).apply_funding(payment)
        self._linear = None

    def linear_value(self) -> tuple[float, dict[str, float]]:
        """Equity as ``constant + sum(qty[symbol] * price[symbol])``: the two parts.

        Between two events nothing but prices changes, so the engine stores these
        parts at each event and evaluates the equity of every bar vectorised. They
        change only with the book's fills and funding, so a snapshot of a book nothing
        happened to reuses the parts of the previous one (read them, never change them).
        """
        if self._linear is None:
            self._linear = self._compute_linear_value()
        return self._linear

    def _compute_linear_value(self) -> tuple[float, dict[str, float]]:
        constant = self.capital
        quantities: dict[str, float] = {}
        for symbol, p in self.positions.items():
            size = p.qty * p.instrument.contract_size
            constant += p.realized_pnl - p.fees_paid + p.funding_net - size * p.avg_entry_price
            quantities[symbol] = size
        return constant, quantities

    def equity(self, prices: dict[str, float]) -> float:
        """Capital plus P&L with positions marked at ``prices``."""
        constant, quantities = self.linear_value()
        return constant + sum(q * prices[s] for s, q in quantities.items() if q)
