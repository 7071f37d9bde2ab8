"""Recorded L2 order books, for taker fills that walk the book instead of a slippage guess.

A market order of 2 BTC does not fill at the best ask: it takes the best ask's
quantity, then the next level's, and so on. With recorded books of a symbol
(snapshots of the top levels, as ``*_orderbook.jsonl.gz`` files and the candle store
hold them) the simulated venue fills takers at the open of a bar this way, against
the last snapshot taken at or before that open, provided it is at most ``max_age_ms``
old (one bar by default: an older book is not the book at that open). Without such a
snapshot the fill model's slippage applies, as it does to the fills inside a bar
(stops touched by the range), for which no time within the bar is known.

The quantity a bar's fills take is taken from its snapshot: a second order filling at
the same open meets the levels the first left. What the visible levels cannot fill
stays working, as a volume cap's remainder does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantbot.core import Side

__all__ = ["BookDepth", "BookTake", "latest_snapshots"]


@dataclass(frozen=True, slots=True)
class BookTake:
    """What taking from one side of a snapshot gives.

    Attributes:
        qty: quantity taken (0 when nothing could be).
        price: its average price, the levels' prices weighted by what each gave (NaN
            for nothing).
        mid: the snapshot's mid price, the undisturbed price the slippage is measured
            against.
    """

    qty: float
    price: float
    mid: float


class BookDepth:
    """L2 snapshots of one symbol as arrays: times, and per side prices and quantities.

    Args:
        books: snapshots in the order-book frame format (``ts_ms``, ``bids``, ``asks``;
            ``[[price, qty], ...]`` lists, bids descending, asks ascending).
        name: what the books are called in error messages (the file or symbol).

    Raises:
        ValueError: naming the snapshot by its time (``ts_ms``), on times out of
            order, a side out of order, a price or quantity that is not positive and
            finite, an empty side, or a crossed book (best bid at or above best ask).
    """

    def __init__(self, books: pd.DataFrame, *, name: str) -> None:
        ts = books["ts_ms"].to_numpy(dtype=np.int64)
        if len(ts) and np.any(np.diff(ts) < 0):
            at = int(np.argmax(np.diff(ts) < 0)) + 1
            raise ValueError(
                f"{name}: book snapshot at ts_ms {ts[at]} is older than the one before it"
            )
        self.ts_ms = ts
        self.bid_price, self.bid_qty = _side(
            books["bids"].tolist(), ts, name, "bids", descending=True
        )
        self.ask_price, self.ask_qty = _side(
            books["asks"].tolist(), ts, name, "asks", descending=False
        )
        crossed = np.flatnonzero(self.bid_price[:, 0] >= self.ask_price[:, 0])
        if len(crossed):
            at = int(crossed[0])
            raise ValueError(
                f"{name}: book snapshot at ts_ms {ts[at]} is crossed: best bid "
                f"{self.bid_price[at, 0]:g} "
                f">= best ask {self.ask_price[at, 0]:g}"
            )

    def __len__(self) -> int:
        return len(self.ts_ms)

    def snapshots_at(self, times_ms: np.ndarray, max_age_ms: int) -> np.ndarray:
        """For each time, the index of the snapshot it meets (:func:`latest_snapshots`)."""
        return latest_snapshots(self.ts_ms, times_ms, max_age_ms)

    def take(
        self, snapshot: int, side: Side, qty: float, *, limit: float | None, skip: float
    ) -> BookTake:
        """Take up to ``qty`` for an order of ``side`` from the opposite side of ``snapshot``.

        Levels are taken best first, none beyond ``limit``; the first ``skip`` of the
        side's quantity is gone already (taken by earlier fills at the same time).
        """
        buy = side is Side.BUY
        prices = self.ask_price[snapshot] if buy else self.bid_price[snapshot]
        sizes = self.ask_qty[snapshot] if buy else self.bid_qty[snapshot]
        mid = (self.ask_price[snapshot, 0] + self.bid_price[snapshot, 0]) / 2.0
        got = cost = 0.0
        levels: list[float] = []
        for price, size in zip(prices.tolist(), sizes.tolist(), strict=True):
            if not size > 0.0 or got >= qty:  # NaN: past the recorded levels
                break
            if limit is not None and (price > limit if buy else price < limit):
                break
            if skip >= size:
                skip -= size
                continue
            part = min(size - skip, qty - got)
            skip = 0.0
            got += part
            cost += part * price
            levels.append(price)
        if not levels:
            return BookTake(0.0, float("nan"), float(mid))
        # The average, kept within the levels it averages (float rounding could put it
        # an ulp beyond the last one, or beyond a limit).
        return BookTake(got, min(max(cost / got, min(levels)), max(levels)), float(mid))


def latest_snapshots(snapshot_ms: np.ndarray, times_ms: np.ndarray, max_age_ms: int) -> np.ndarray:
    """For each time, the index of the last snapshot at or before it.

    -1 where there is none at most ``max_age_ms`` old. ``snapshot_ms`` is in time order.
    """
    index = np.searchsorted(snapshot_ms, times_ms, side="right") - 1
    found = index >= 0
    fresh = np.zeros(len(index), dtype=bool)
    fresh[found] = times_ms[found] - snapshot_ms[index[found]] <= max_age_ms
    return np.where(fresh, index, -1)


def _side(
    levels: Sequence[Sequence[Sequence[float]]],
    times: np.ndarray,
    name: str,
    label: str,
    *,
    descending: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """One side of every snapshot as (prices, quantities), NaN past each one's levels."""
    depth = max((len(side) for side in levels), default=0)
    prices = np.full((len(levels), max(depth, 1)), np.nan)
    sizes = np.full((len(levels), max(depth, 1)), np.nan)
    for at, side in enumerate(levels):
        where = f"{name}: book snapshot at ts_ms {times[at]}"
        if not len(side):
            raise ValueError(f"{where} has no {label}")
        try:
            values = np.asarray(side, dtype=np.float64).reshape(len(side), 2)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {label} are not [price, qty] pairs") from None
        if not (np.all(np.isfinite(values)) and np.all(values > 0)):
            raise ValueError(
                f"{where}: {label} hold a price or quantity that is not a positive number"
            )
        steps = np.diff(values[:, 0])
        if np.any(steps >= 0 if descending else steps <= 0):
            order = "descending" if descending else "ascending"
            raise ValueError(f"{where}: {label} are not in {order} price order")
        prices[at, : len(side)] = values[:, 0]
        sizes[at, : len(side)] = values[:, 1]
    return prices, sizes
