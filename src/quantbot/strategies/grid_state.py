"""The state of one pair's grid: its levels, the orders it wants, its inventory, its results.

- A :class:`Lot` is inventory the grid holds and what it cost: one entry fill (or a
  share of the inventory carried through a rebalance).
- A :class:`Piece` is one order the grid wants on the book: the entry of a slot (a
  buy at its lower level, or a sell at its upper level for a short slot) or the exit
  of a lot (a sell one level above where it was bought, a buy one level below where
  it was sold). Its ``order_id`` is the order resting for it, or None while
  ``max_open_orders`` holds it back or, for an entry, while the pair is paused.
- A :class:`RoundTrip` is a completed entry and exit, linked by their trade ids.
- :class:`PairGrid` holds all of it for one symbol, with the running figures: position
  (signed sum of the fills), cash flow, realised P&L, fees, round trips, rebalances,
  and whether the risk layer holds its entries back (*paused*, :meth:`PairGrid.pause`).

Every class converts to and from plain JSON-ready dicts (``to_dict``/``from_dict``),
which is what :meth:`~quantbot.strategies.grid.Grid.state` returns.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from quantbot.core import ClientOrderId, Side
from quantbot.strategies.grid_levels import GridLevels

__all__ = ["Lot", "PairGrid", "Piece", "RoundTrip"]

LONG, SHORT = 1, -1
"""Direction of a lot: bought (long) or sold short."""


@dataclass(slots=True)
class Lot:
    """Inventory the grid holds, and what it cost.

    Attributes:
        direction: 1 for bought inventory, -1 for inventory sold short.
        qty: quantity held, > 0, in the instrument's unit (contracts for perpetuals).
        value: entry price x quantity, summed (quote currency per contract unit).
        fee: entry fees of ``qty``, quote currency.
        trade_ids: the entry fills; empty for inventory carried through a rebalance.
        carried: the rebalance (1, 2, ...) it was carried through; 0 for a grid entry.
    """

    direction: int
    qty: float
    value: float
    fee: float
    trade_ids: list[str] = field(default_factory=list)
    carried: int = 0

    @property
    def price(self) -> float:
        """Average entry price of the lot."""
        return self.value / self.qty

    def take(self, qty: float) -> Lot:
        """Split ``qty`` off this lot (value and fee pro rata) and return it.

        Taking all of it (or more, by float noise) empties this lot.
        """
        if qty >= self.qty:
            taken = Lot(
                self.direction, self.qty, self.value, self.fee, self.trade_ids, self.carried
            )
            self.qty = self.value = self.fee = 0.0
            return taken
        share = qty / self.qty
        taken = Lot(
            self.direction,
            qty,
            self.value * share,
            self.fee * share,
            list(self.trade_ids),
            self.carried,
        )
        self.qty -= qty
        self.value -= taken.value
        self.fee -= taken.fee
        return taken

    def to_dict(self) -> dict[str, Any]:
        """The lot as JSON-ready values."""
        return {
            "direction": self.direction,
            "qty": self.qty,
            "value": self.value,
            "fee": self.fee,
            "trade_ids": list(self.trade_ids),
            "carried": self.carried,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lot:
        """The lot :meth:`to_dict` wrote."""
        return cls(
            int(data["direction"]),
            float(data["qty"]),
            float(data["value"]),
            float(data["fee"]),
            [str(t) for t in data["trade_ids"]],
            int(data["carried"]),
        )


@dataclass(slots=True)
class Piece:
    """An order the grid wants on the book: a slot's entry or a lot's exit.

    Attributes:
        slot: the slot: it buys at level ``slot`` and sells at level ``slot + 1``.
        side: buy or sell.
        qty: quantity still to execute.
        lot: for an exit, the inventory it closes; None for an entry.
        order_id: the order resting for it; None while held back (by
            ``max_open_orders``, or, for an entry, while the pair is paused).
        ordered: quantity of that order (the checks may have rounded it).
        level: the level it trades at: the slot's lower one for a buy, the upper one for
            a sell (derived; slot and side never change).
    """

    slot: int
    side: Side
    qty: float
    lot: Lot | None = None
    order_id: ClientOrderId | None = None
    ordered: float = 0.0
    level: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Stored, not a property: the book ranks every piece by its level after every fill.
        self.level = self.slot if self.side is Side.BUY else self.slot + 1

    def to_dict(self) -> dict[str, Any]:
        """The piece as JSON-ready values."""
        return {
            "slot": self.slot,
            "side": str(self.side),
            "qty": self.qty,
            "lot": None if self.lot is None else self.lot.to_dict(),
            "order_id": self.order_id,
            "ordered": self.ordered,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Piece:
        """The piece :meth:`to_dict` wrote."""
        lot = data["lot"]
        return cls(
            int(data["slot"]),
            Side(data["side"]),
            float(data["qty"]),
            None if lot is None else Lot.from_dict(lot),
            None if data["order_id"] is None else ClientOrderId(str(data["order_id"])),
            float(data["ordered"]),
        )


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """A completed entry and exit (or a share of inventory closed by the grid).

    ``pnl = sell_value - buy_value - fees``: for a grid round trip on a geometric grid
    bought at ``P`` and sold at ``P x (1 + s)`` with maker fee ``m`` on both fills,
    that is ``qty x P x (s - m x (2 + s))``, the spacing less two fees.

    Attributes:
        symbol: the pair.
        kind: ``grid`` (an entry and its exit one level away), ``carried`` (inventory
            carried through a rebalance, sold on the new grid), ``stop_loss`` or
            ``take_profit`` (closed at market), ``outside`` (closed by a fill of an
            order the grid did not place, e.g. a liquidation).
        direction: 1 bought then sold, -1 sold short then bought back.
        slot: the slot; None for inventory closed at market.
        qty: quantity, in the instrument's unit.
        buy_value: price x quantity x contract size of the buying side, quote currency.
        sell_value: the same for the selling side.
        fees: both sides' fees, quote currency.
        entry_trade_ids: trade ids of the entry fills (empty for carried inventory).
        exit_trade_id: trade id of the exit fill: the storage layer's
            ``linked_fill_id`` pairs it with ``entry_trade_ids[0]``.
        ts_ms: time of the exit fill.
    """

    symbol: str
    kind: str
    direction: int
    slot: int | None
    qty: float
    buy_value: float
    sell_value: float
    fees: float
    entry_trade_ids: tuple[str, ...]
    exit_trade_id: str
    ts_ms: int

    @property
    def pnl(self) -> float:
        """Profit of the round trip after both fees, quote currency."""
        return self.sell_value - self.buy_value - self.fees

    def record(self) -> dict[str, Any]:
        """The round trip as a row of ``round_trips.csv``: the exit fill linked to its entries."""
        return {
            "exit_ms": self.ts_ms,
            "symbol": self.symbol,
            "kind": self.kind,
            "direction": "long" if self.direction == LONG else "short",
            "slot": self.slot,
            "qty": self.qty,
            "buy_value": self.buy_value,
            "sell_value": self.sell_value,
            "fees": self.fees,
            "pnl": self.pnl,
            "trade_id": self.exit_trade_id,
            "linked_trade_id": " ".join(self.entry_trade_ids),
        }


@dataclass(slots=True)
class PairGrid:
    """Everything the grid knows about one pair.

    Attributes:
        symbol: the pair.
        levels: the lattice; None until the grid is laid on its first candle.
        centre: index of the centre level.
        lowest_slot: the lowest slot within the bounds.
        highest_slot: the highest; None when the top is open (infinity).
        pieces: the orders the grid wants, by piece number.
        by_order: piece number of each resting order.
        loose: inventory without an exit (its exit refused by the pre-trade checks,
            being closed at market, or bought by an order the grid did not place).
        closing_order: the market order closing the grid (stop-loss, take-profit).
        next_piece: the number the next piece gets.
        position: signed sum of the grid's fills, the instrument's unit.
        cash: quote currency received minus paid, fees included.
        realised_pnl: sum of the round trips' P&L.
        fees: fees paid, quote currency.
        round_trips: round trips completed.
        rebalances: recentrings so far.
        last_rebalance: what the last one did (time, centres, carried inventory).
        stopped: why the pair's grid stopped (``stop_loss``, ``take_profit``); None
            while it runs.
        paused_ms: since when the risk layer holds the pair's entries back (a circuit
            breaker, a drawdown brake that stops opening, an exchange pause, or orders
            someone else canceled); None while it trades. Its entries are kept without
            orders, its exits still rest.
        retry_ms: while paused, when the grid next tries whether entries pass again.
    """

    symbol: str
    levels: GridLevels | None = None
    centre: int = 0
    lowest_slot: int = 0
    highest_slot: int | None = None
    pieces: dict[int, Piece] = field(default_factory=dict)
    by_order: dict[str, int] = field(default_factory=dict)
    loose: list[Lot] = field(default_factory=list)
    closing_order: str | None = None
    next_piece: int = 0
    position: float = 0.0
    cash: float = 0.0
    realised_pnl: float = 0.0
    fees: float = 0.0
    round_trips: int = 0
    rebalances: int = 0
    last_rebalance: dict[str, Any] | None = None
    stopped: str | None = None
    paused_ms: int | None = None
    retry_ms: int | None = None
    _by_level: tuple[tuple[int, int], list[int], dict[int, list[int]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def lattice(self) -> GridLevels:
        """The lattice of a laid grid."""
        if self.levels is None:
            raise RuntimeError(f"the grid of {self.symbol} has not been laid yet")
        return self.levels

    def add(self, piece: Piece) -> int:
        """Keep a new piece (held back until it is placed); return its number."""
        number = self.next_piece
        self.next_piece += 1
        self.pieces[number] = piece
        return number

    def pause(self, now_ms: int, retry_ms: int) -> None:
        """Hold the pair's entries back from ``now_ms`` (if not already), retrying by ``retry_ms``.

        An earlier retry already planned is kept.
        """
        if self.paused_ms is None:
            self.paused_ms = now_ms
        self.retry_ms = retry_ms if self.retry_ms is None else min(self.retry_ms, retry_ms)

    def unpause(self) -> None:
        """Trade normally again: entries are placed."""
        self.paused_ms = self.retry_ms = None

    def placeable_pieces(self) -> Collection[tuple[int, Piece]]:
        """``(number, piece)`` of every piece that may rest now (:meth:`placeable`)."""
        if self.paused_ms is None:
            return self.pieces.items()
        return [(number, piece) for number, piece in self.pieces.items() if self.placeable(piece)]

    def pieces_by_level(self) -> tuple[list[int], dict[int, list[int]]]:
        """The levels the pieces trade at, ascending, and the piece numbers at each.

        Kept between calls while the pieces stay the same: the book looks up the
        pieces near the price after every fill, and most fills leave the other pairs'
        pieces alone. A piece is only ever added (:meth:`add`, under a new number) or
        removed, so ``next_piece`` and the number of pieces tell when they changed.
        """
        key = (self.next_piece, len(self.pieces))
        if self._by_level is None or self._by_level[0] != key:
            numbers: dict[int, list[int]] = {}
            for number, piece in self.pieces.items():
                numbers.setdefault(piece.level, []).append(number)
            self._by_level = (key, sorted(numbers), numbers)
        return self._by_level[1], self._by_level[2]

    def placeable(self, piece: Piece) -> bool:
        """Whether ``piece`` may rest now: anything while trading, only exits while paused.

        An entry that already rests when the pair pauses keeps resting.
        """
        return self.paused_ms is None or piece.lot is not None or piece.order_id is not None

    def in_bounds(self, slot: int) -> bool:
        """Whether ``slot`` lies within the grid's bounds."""
        return slot >= self.lowest_slot and (self.highest_slot is None or slot <= self.highest_slot)

    def inventory(self) -> tuple[float, float]:
        """Signed quantity held and its average entry price (0 when flat).

        All inventory counts: the lots of the exits and the loose lots.
        """
        exits = [piece.lot for piece in self.pieces.values() if piece.lot is not None]
        qty = value = 0.0
        for lot in exits + self.loose:
            qty += lot.direction * lot.qty
            value += lot.direction * lot.value
        return qty, (value / qty if qty else 0.0)

    def to_dict(self) -> dict[str, Any]:
        """The pair's grid as JSON-ready values, with its inventory for readers."""
        qty, average = self.inventory()
        return {
            "levels": None if self.levels is None else self.levels.to_dict(),
            "centre": self.centre,
            "lowest_slot": self.lowest_slot,
            "highest_slot": self.highest_slot,
            "pieces": {str(number): piece.to_dict() for number, piece in self.pieces.items()},
            "loose": [lot.to_dict() for lot in self.loose],
            "closing_order": self.closing_order,
            "next_piece": self.next_piece,
            "inventory": {"qty": qty, "avg_price": average},
            "position": self.position,
            "cash": self.cash,
            "realised_pnl": self.realised_pnl,
            "fees": self.fees,
            "round_trips": self.round_trips,
            "rebalances": self.rebalances,
            "last_rebalance": self.last_rebalance,
            "stopped": self.stopped,
            "paused_ms": self.paused_ms,
            "retry_ms": self.retry_ms,
        }

    @classmethod
    def from_dict(cls, symbol: str, data: dict[str, Any]) -> PairGrid:
        """The pair's grid as :meth:`to_dict` wrote it (``inventory`` is derived, not read).

        A state saved before pauses existed (no ``paused_ms``, ``retry_ms``) is not paused.
        """
        paused, retry = data.get("paused_ms"), data.get("retry_ms")
        pieces = {int(number): Piece.from_dict(piece) for number, piece in data["pieces"].items()}
        highest = data["highest_slot"]
        return cls(
            symbol=symbol,
            levels=None if data["levels"] is None else GridLevels.from_dict(data["levels"]),
            centre=int(data["centre"]),
            lowest_slot=int(data["lowest_slot"]),
            highest_slot=None if highest is None else int(highest),
            pieces=pieces,
            by_order={
                piece.order_id: number
                for number, piece in pieces.items()
                if piece.order_id is not None
            },
            loose=[Lot.from_dict(lot) for lot in data["loose"]],
            closing_order=data["closing_order"],
            next_piece=int(data["next_piece"]),
            position=float(data["position"]),
            cash=float(data["cash"]),
            realised_pnl=float(data["realised_pnl"]),
            fees=float(data["fees"]),
            round_trips=int(data["round_trips"]),
            rebalances=int(data["rebalances"]),
            last_rebalance=data["last_rebalance"],
            stopped=data["stopped"],
            paused_ms=None if paused is None else int(paused),
            retry_ms=None if retry is None else int(retry),
        )
