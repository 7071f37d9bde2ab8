"""The candle store: market data per exchange and symbol in Parquet, appended and loaded by time.

It keeps four kinds of series, each sorted by time and unique on its key:

- ``ohlcv`` candles per timeframe, and ``mark`` price candles (same columns; a
  perpetual's mark price), both keyed on ``ts_ms`` (the candle's open time);
- ``funding``: ``ts_ms`` of the settlement and ``funding_rate`` (fraction per
  settlement), keyed on ``ts_ms``;
- ``orderbook``: L2 snapshots ``ts_ms``, ``update_id`` (the exchange's book sequence,
  -1 if unknown), ``bids`` and ``asks`` (lists of ``[price, qty]``), keyed on
  ``(ts_ms, update_id)``.

Appending merges with what is stored. **Rows already stored are replaced by the new
ones with the same key** (within one append, the later row wins): a re-download is
the correction, e.g. of a candle fetched while it was still forming. Re-appending
identical rows changes nothing and writes nothing. Rows are checked before anything is
written, for structure only (:mod:`quantbot.data.store_schema`); values are stored as
the source gave them, for the data-quality checks to judge.

File layout, partitioning, atomic writes and the writer lock (one writer per series
at a time, any number of readers) are described in :mod:`quantbot.data.store_layout`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import pandas as pd
import pyarrow as pa

from quantbot.config.base import timeframe_seconds
from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.store_layout import (
    Partitioning,
    append_rows,
    edge_ts_ms,
    partitions,
    read_columns,
    read_rows,
    row_count,
)
from quantbot.data.store_schema import (
    FUNDING_COLUMNS,
    FUNDING_SCHEMA,
    OHLCV_SCHEMA,
    ORDER_BOOK_SCHEMA,
    funding_table,
    ohlcv_table,
    order_book_table,
)
from quantbot.data.symbols import slug_to_symbol, symbol_to_slug

__all__ = ["CandleKind", "CandleStore", "SeriesInfo", "StoreKind"]

CandleKind = Literal["ohlcv", "mark"]
"""Candle series: traded prices, or a perpetual's mark price."""

StoreKind = Literal["ohlcv", "mark", "funding", "orderbook"]
"""Every kind of series the store keeps."""

_EXCHANGE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DATASET = re.compile(
    r"^(?:(?P<kind>ohlcv|mark)_(?P<timeframe>[1-9][0-9]*[mhdwM])|funding|orderbook)$"
)


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """One stored series, as :meth:`CandleStore.series` finds it.

    Attributes:
        exchange: ccxt exchange id.
        symbol: ccxt symbol.
        kind: ohlcv, mark, funding or orderbook.
        timeframe: candle timeframe for ohlcv and mark, else None.
        rows: number of stored rows.
        first_ts_ms: first timestamp, epoch ms.
        last_ts_ms: last timestamp, epoch ms (a candle's open time).
        path: the series' directory.
    """

    exchange: str
    symbol: str
    kind: StoreKind
    timeframe: str | None
    rows: int
    first_ts_ms: int
    last_ts_ms: int
    path: Path


@dataclass(frozen=True, slots=True)
class _Dataset:
    """How one kind of series is stored: its directory name, schema, key and file span."""

    name: str
    schema: pa.Schema
    keys: tuple[str, ...]
    partitioning: Partitioning


def _candle_dataset(kind: str, timeframe: str) -> _Dataset:
    if kind not in get_args(CandleKind):
        raise ValueError(f"kind {kind!r} is not a candle kind {get_args(CandleKind)}")
    seconds = timeframe_seconds(timeframe)
    # Tens of thousands of rows per file at most: a month of 1m, a year of 1h.
    if seconds < 3600:
        partitioning = Partitioning.MONTH
    elif seconds < 86_400:
        partitioning = Partitioning.YEAR
    else:
        partitioning = Partitioning.ALL
    return _Dataset(f"{kind}_{timeframe}", OHLCV_SCHEMA, ("ts_ms",), partitioning)


_FUNDING = _Dataset("funding", FUNDING_SCHEMA, ("ts_ms",), Partitioning.YEAR)
_ORDER_BOOKS = _Dataset("orderbook", ORDER_BOOK_SCHEMA, ("ts_ms", "update_id"), Partitioning.DAY)


class CandleStore:
    """Market data under one root directory (``<data_dir>/market``), see the module docstring.

    Nothing is created until the first append. Any number of readers may work alongside
    writers; writers of the same series take turns (an exclusive lock per series).
    """

    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        """The store's root directory."""
        return self._root

    # -- candles -------------------------------------------------------------------------

    def append(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        candles: pd.DataFrame,
        *,
        kind: CandleKind = "ohlcv",
    ) -> int:
        """Merge candles into the store; return how many open times were not stored before.

        Args:
            exchange: ccxt exchange id, e.g. ``binance``.
            symbol: ccxt symbol, e.g. ``BTC/USDT`` or ``BTC/USDT:USDT``.
            timeframe: the candles' timeframe, e.g. ``1m``.
            candles: an OHLCV frame (:data:`~quantbot.data.ohlcv.OHLCV_COLUMNS`, any order
                and row order); stored rows with the same ``ts_ms`` are replaced.
            kind: ``ohlcv`` for traded prices, ``mark`` for mark-price candles.

        Raises:
            ValueError: for an unknown exchange id, symbol, timeframe or kind.
            DataFormatError: for missing or extra columns, non-numeric values, timestamps
                that are not epoch milliseconds or not on the timeframe's grid; nothing is
                written then.
        """
        dataset = _candle_dataset(kind, timeframe)
        directory = self._directory(exchange, symbol, dataset)
        return _append(directory, dataset, ohlcv_table(candles, timeframe))

    def load(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        kind: CandleKind = "ohlcv",
    ) -> pd.DataFrame:
        """Stored candles opening in ``[start_ms, end_ms)`` (None: unbounded), as an OHLCV frame.

        An empty frame (with the OHLCV columns) when nothing is stored in the range.

        Raises:
            ValueError: for an unknown exchange id, symbol, timeframe or kind.
        """
        return self.load_arrays(
            exchange, symbol, timeframe, start_ms=start_ms, end_ms=end_ms, kind=kind
        ).to_frame()

    def load_arrays(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        kind: CandleKind = "ohlcv",
    ) -> OhlcvArrays:
        """Stored candles opening in ``[start_ms, end_ms)`` as numpy arrays, for the hot loop.

        Each array is allocated once at its final size and filled partition by partition,
        so memory peaks at the result plus one partition file.

        Raises:
            ValueError: for an unknown exchange id, symbol, timeframe or kind.
        """
        dataset = _candle_dataset(kind, timeframe)
        directory = self._directory(exchange, symbol, dataset)
        return OhlcvArrays(**read_columns(directory, OHLCV_COLUMNS, start_ms, end_ms))

    def first_ts_ms(
        self, exchange: str, symbol: str, timeframe: str, *, kind: CandleKind = "ohlcv"
    ) -> int | None:
        """Open time of the first stored candle, or None when the series is empty.

        Raises:
            ValueError: for an unknown exchange id, symbol, timeframe or kind.
        """
        dataset = _candle_dataset(kind, timeframe)
        return edge_ts_ms(partitions(self._directory(exchange, symbol, dataset)), first=True)

    def last_ts_ms(
        self, exchange: str, symbol: str, timeframe: str, *, kind: CandleKind = "ohlcv"
    ) -> int | None:
        """Open time of the last stored candle, or None when the series is empty.

        A downloader resumes from the candle after this one.

        Raises:
            ValueError: for an unknown exchange id, symbol, timeframe or kind.
        """
        dataset = _candle_dataset(kind, timeframe)
        return edge_ts_ms(partitions(self._directory(exchange, symbol, dataset)), first=False)

    # -- funding and order books ---------------------------------------------------------

    def append_funding(self, exchange: str, symbol: str, rates: pd.DataFrame) -> int:
        """Merge funding settlements (``ts_ms``, ``funding_rate``); return how many are new.

        Raises:
            ValueError: for an unknown exchange id or symbol.
            DataFormatError: for missing or extra columns, non-numeric values or
                timestamps that are not epoch milliseconds; nothing is written then.
        """
        directory = self._directory(exchange, symbol, _FUNDING)
        return _append(directory, _FUNDING, funding_table(rates))

    def load_funding(
        self,
        exchange: str,
        symbol: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> pd.DataFrame:
        """Funding settlements in ``[start_ms, end_ms)``: columns ``ts_ms``, ``funding_rate``.

        Raises:
            ValueError: for an unknown exchange id or symbol.
        """
        directory = self._directory(exchange, symbol, _FUNDING)
        return pd.DataFrame(read_columns(directory, FUNDING_COLUMNS, start_ms, end_ms))

    def append_order_books(self, exchange: str, symbol: str, books: pd.DataFrame) -> int:
        """Merge L2 book snapshots; return how many ``(ts_ms, update_id)`` keys are new.

        Args:
            exchange: ccxt exchange id.
            symbol: ccxt symbol.
            books: columns ``ts_ms``, ``update_id`` (-1 when the source has none), ``bids``
                and ``asks`` (lists of ``[price, qty]`` pairs).

        Raises:
            ValueError: for an unknown exchange id or symbol.
            DataFormatError: for missing or extra columns, non-integer ids, levels that
                are not ``[price, qty]`` number pairs, or timestamps that are not epoch
                milliseconds; nothing is written then.
        """
        directory = self._directory(exchange, symbol, _ORDER_BOOKS)
        return _append(directory, _ORDER_BOOKS, order_book_table(books))

    def load_order_books(
        self,
        exchange: str,
        symbol: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> pd.DataFrame:
        """Book snapshots in ``[start_ms, end_ms)``; ``bids``/``asks`` hold lists of ``[price, qty]``.

        Raises:
            ValueError: for an unknown exchange id or symbol.
        """
        directory = self._directory(exchange, symbol, _ORDER_BOOKS)
        table = read_rows(directory, _ORDER_BOOKS.schema, start_ms, end_ms)
        return pd.DataFrame(
            {
                "ts_ms": table.column("ts_ms").to_numpy(),
                "update_id": table.column("update_id").to_numpy(),
                "bids": pd.Series(table.column("bids").to_pylist(), dtype=object),
                "asks": pd.Series(table.column("asks").to_pylist(), dtype=object),
            }
        )

    # -- catalogue -----------------------------------------------------------------------

    def series(self) -> list[SeriesInfo]:
        """Every stored series, sorted by exchange, symbol, kind and timeframe.

        Reads only Parquet footers and the timestamps of each series' first and last
        partition, so it stays quick on a large store.
        """
        found: list[SeriesInfo] = []
        for directory in sorted(self._root.glob("*/*/*")):
            info = _series_info(directory)
            if info is not None:
                found.append(info)
        return sorted(found, key=lambda s: (s.exchange, s.symbol, s.kind, s.timeframe or ""))

    def _directory(self, exchange: str, symbol: str, dataset: _Dataset) -> Path:
        if not _EXCHANGE.match(exchange):
            raise ValueError(f"{exchange!r} is not a ccxt exchange id (lower case, e.g. binance)")
        slug = symbol_to_slug(symbol)
        if slug_to_symbol(slug) != symbol:
            # Two symbols sharing a directory would mix their data.
            raise ValueError(
                f"{symbol!r} cannot be stored: its directory {slug} reads back as "
                f"{slug_to_symbol(slug)!r}"
            )
        return self._root / exchange / slug / dataset.name


def _series_info(directory: Path) -> SeriesInfo | None:
    """Describe a ``<exchange>/<SLUG>/<dataset>`` directory; None if it holds no series."""
    match = _DATASET.match(directory.name)
    parts = partitions(directory)
    if match is None or not parts:
        return None
    try:
        symbol = slug_to_symbol(directory.parent.name)
    except ValueError:
        return None
    first, last = edge_ts_ms(parts, first=True), edge_ts_ms(parts, first=False)
    # Partition files are never empty, so both edges exist.
    assert first is not None
    assert last is not None
    kind: StoreKind = match["kind"] or directory.name  # type: ignore[assignment]
    return SeriesInfo(
        exchange=directory.parent.parent.name,
        symbol=symbol,
        kind=kind,
        timeframe=match["timeframe"],
        rows=row_count(parts),
        first_ts_ms=first,
        last_ts_ms=last,
        path=directory,
    )


def _append(directory: Path, dataset: _Dataset, table: pa.Table) -> int:
    return append_rows(directory, table, keys=dataset.keys, partitioning=dataset.partitioning)
