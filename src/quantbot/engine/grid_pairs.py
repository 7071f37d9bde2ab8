"""Which markets suit a grid, measured on recorded data: the job behind ``quantbot grid rank``.

:func:`survey_grid_pairs` turns the candle series of one exchange — candle files in the
interchange format, or the candle store — into one
:class:`~quantbot.strategies.grid_ranking.GridCandidate` per market and ranks them with
:func:`~quantbot.strategies.grid_ranking.rank_grid_pairs`. Per market:

- **series**: of its candle series whose timeframe divides a day (1m to 1d), the one
  reaching furthest in time, the finest of those ending together; only its last
  ``max(hurst_days, volatility_days + 1) + 1`` days are read. It passes the
  data-quality policy (``data_quality`` in settings) first; a series the policy
  refuses is left out, with the reason.
- **daily candles**: the series resampled to UTC days, closed days only (a last day
  the data does not cover to its end is dropped).
- **24h volume**: ``close x volume`` summed over the candles of the last closed day,
  in the quote currency, in USD for a USD-pegged quote or at the last close of a
  ``<quote>/<pegged>`` market among the candidates; unknown for coin-margined
  contracts, whose volume counts contracts.
- **quote**: best bid and ask of the last order-book snapshot recorded during that
  day (the store's order books, or ``*_orderbook.jsonl.gz`` files among the paths);
  none without one, and the ranking then judges on volume and fees alone.

Markets are measured on their own latest day, so series ending at different times are
compared as of different days; :class:`PairSource` says which.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataError
from quantbot.data.files import files_under, parse_data_file, read_ohlcv_csv, read_order_book_jsonl
from quantbot.data.market_stats import DAY_MS, USD_PEGGED, usd_value
from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.quality_policy import apply_quality_policy
from quantbot.data.resample import bucket_start_ms, resample, timeframe_ms
from quantbot.data.store import CandleStore
from quantbot.strategies.grid_ranking import (
    GridCandidate,
    GridRankingRules,
    PairScore,
    rank_grid_pairs,
)

__all__ = ["GridPairSurvey", "PairSource", "RankedPair", "survey_grid_pairs"]

Progress = Callable[[int, int, str], None]
"""Progress callback: (done, in all, the file or series at hand); files are scanned
first, then the chosen series measured."""

_BookLoader = Callable[[str, int, int], pd.DataFrame]
"""Order-book snapshots of a symbol in ``[start_ms, end_ms)``, in time order."""


@dataclass(frozen=True, slots=True)
class PairSource:
    """What a market's figures were measured on.

    Attributes:
        symbol: ccxt symbol.
        series: the file name, or ``store <exchange> <symbol> <timeframe>``.
        timeframe: timeframe of the series.
        daily_closes: closed daily candles measured.
        last_day_ms: open time of the last closed day (its 24h volume and quote).
        quote_ts_ms: time of the order-book snapshot quoted; None without one.
    """

    symbol: str
    series: str
    timeframe: str
    daily_closes: int
    last_day_ms: int
    quote_ts_ms: int | None


@dataclass(frozen=True, slots=True)
class RankedPair:
    """One market's score and what it was measured on."""

    score: PairScore
    source: PairSource


@dataclass(frozen=True, slots=True)
class GridPairSurvey:
    """The ranked markets of one exchange, and the series that could not be measured.

    Attributes:
        exchange: ccxt exchange id.
        rules: the limits and grid the markets were judged for.
        pairs: in rank order, eligible markets first (see ``rank_grid_pairs``).
        left_out: ``(series, reason)`` of candle series of the exchange that were not
            measured (refused by the quality policy, unreadable, no closed day, coarser
            than a day).
        ignored: files (store series) that hold no candles or order books of the
            exchange: other exchanges, funding, mark prices, trades.
    """

    exchange: str
    rules: GridRankingRules
    pairs: list[RankedPair]
    left_out: list[tuple[str, str]]
    ignored: int


@dataclass(frozen=True, slots=True)
class _Series:
    """A candle series found in the source, loaded on demand from ``start_ms`` on."""

    symbol: str
    timeframe: str
    label: str
    last_ts_ms: int
    load: Callable[[int], pd.DataFrame]


@dataclass(frozen=True, slots=True)
class _Measured:
    """A market measured; its 24h volume still in the quote currency (``quote_volume``)."""

    candidate: GridCandidate
    source: PairSource
    quote: str
    quote_volume: float | None
    last_close: float


def survey_grid_pairs(
    source: Sequence[Path] | CandleStore,
    *,
    exchange: str,
    quality: DataQualitySettings,
    rules: GridRankingRules | None = None,
    progress: Progress | None = None,
) -> GridPairSurvey:
    """Measure and rank the markets of ``exchange`` in files or the candle store.

    Args:
        source: candle (and order-book) files, or directories searched recursively for
            them; or the candle store.
        exchange: ccxt exchange id; files of Binance's futures families
            (``binance-usdm``) belong to ``binance``.
        quality: the data-quality settings every series passes first.
        rules: limits and the grid to judge for; the blueprint's by default.
        progress: optional progress callback.

    Returns:
        The ranking; empty when the source holds no candles of the exchange.

    Raises:
        FileNotFoundError: for a path that does not exist.
    """
    rules = rules or GridRankingRules()
    left_out: list[tuple[str, str]] = []
    if isinstance(source, CandleStore):
        series, books, ignored = _store_series(source, exchange)
    else:
        series, books, ignored = _file_series(source, exchange, left_out, progress)
    days = max(rules.hurst_days, rules.volatility_days + 1) + 1
    chosen = _latest_series(series, left_out)
    measured: list[_Measured] = []
    for done, item in enumerate(chosen):
        if progress is not None:
            progress(done, len(chosen), item.label)
        start_ms = int(bucket_start_ms(np.array([item.last_ts_ms]), "1d")[0]) - days * DAY_MS
        try:
            result = _measure(item, item.load(start_ms), books, exchange, quality)
        except DataError as exc:
            left_out.append((item.label, str(exc)))
            continue
        if result is None:
            left_out.append((item.label, "no closed day: the series does not cover a whole day"))
        else:
            measured.append(result)
    if progress is not None:
        progress(len(chosen), len(chosen), "")
    candidates = _in_usd(measured)
    scores = rank_grid_pairs(candidates, rules)
    sources = {m.candidate.symbol: m.source for m in measured}
    return GridPairSurvey(
        exchange=exchange,
        rules=rules,
        pairs=[RankedPair(score, sources[score.symbol]) for score in scores],
        left_out=left_out,
        ignored=ignored,
    )


def _file_series(
    paths: Sequence[Path],
    exchange: str,
    left_out: list[tuple[str, str]],
    progress: Progress | None,
) -> tuple[list[_Series], _BookLoader, int]:
    """The exchange's candle series and order books among files; count the rest."""
    series: list[_Series] = []
    book_files: dict[str, list[Path]] = {}
    ignored = 0
    found = [p for given in paths for p in files_under(given)]
    for done, path in enumerate(found):
        if progress is not None:
            progress(done, len(found), path.name)
        try:
            named = parse_data_file(path)
        except DataError:
            ignored += 1
            continue
        if named.exchange != exchange or named.kind not in ("ohlcv", "orderbook"):
            ignored += 1
        elif named.kind == "orderbook":
            book_files.setdefault(named.symbol, []).append(path)
        elif named.timeframe is not None:
            try:
                frame = read_ohlcv_csv(path)
            except DataError as exc:
                left_out.append((path.name, str(exc)))
                continue
            if not frame.empty:
                series.append(
                    _Series(
                        named.symbol,
                        named.timeframe,
                        path.name,
                        int(frame["ts_ms"].max()),
                        _window(frame),
                    )
                )

    def books(symbol: str, start_ms: int, end_ms: int) -> pd.DataFrame:
        frames = [read_order_book_jsonl(path) for path in book_files.get(symbol, [])]
        if not frames:
            return pd.DataFrame(columns=["ts_ms", "update_id", "bids", "asks"])
        frame = pd.concat(frames, ignore_index=True)
        times = frame["ts_ms"].to_numpy()
        return frame[(times >= start_ms) & (times < end_ms)].sort_values("ts_ms", kind="stable")

    return series, books, ignored


def _window(frame: pd.DataFrame) -> Callable[[int], pd.DataFrame]:
    """A loader of the rows of ``frame`` from a time on."""
    return lambda start_ms: frame[frame["ts_ms"].to_numpy() >= start_ms].reset_index(drop=True)


def _store_series(store: CandleStore, exchange: str) -> tuple[list[_Series], _BookLoader, int]:
    """The exchange's candle series in the store, and its order books."""
    series: list[_Series] = []
    ignored = 0
    for info in store.series():
        if info.exchange == exchange and info.kind == "orderbook":
            continue  # read per market, for its last day only
        if info.exchange != exchange or info.kind != "ohlcv" or info.timeframe is None:
            ignored += 1
            continue
        symbol, timeframe = info.symbol, info.timeframe

        def load(start_ms: int, symbol: str = symbol, timeframe: str = timeframe) -> pd.DataFrame:
            return store.load(exchange, symbol, timeframe, start_ms=start_ms)

        label = f"store {exchange} {symbol} {timeframe}"
        series.append(_Series(symbol, timeframe, label, info.last_ts_ms, load))

    def books(symbol: str, start_ms: int, end_ms: int) -> pd.DataFrame:
        return store.load_order_books(exchange, symbol, start_ms=start_ms, end_ms=end_ms)

    return series, books, ignored


def _latest_series(series: list[_Series], left_out: list[tuple[str, str]]) -> list[_Series]:
    """Per symbol, the usable series reaching furthest (finest of equals), by symbol."""
    best: dict[str, _Series] = {}
    coarse: dict[str, list[_Series]] = {}
    for item in series:
        period_ms = timeframe_ms(item.timeframe)
        if period_ms > DAY_MS or DAY_MS % period_ms:
            coarse.setdefault(item.symbol, []).append(item)
            continue
        current = best.get(item.symbol)
        key = (item.last_ts_ms, -period_ms)
        if current is None or key > (current.last_ts_ms, -timeframe_ms(current.timeframe)):
            best[item.symbol] = item
    for symbol, items in coarse.items():
        if symbol not in best:
            left_out += [(i.label, f"{i.timeframe} candles are coarser than a day") for i in items]
    return [best[symbol] for symbol in sorted(best)]


def _measure(
    item: _Series,
    frame: pd.DataFrame,
    books: _BookLoader,
    exchange: str,
    quality: DataQualitySettings,
) -> _Measured | None:
    """Daily candles, last day's volume and quote of one series; None without a closed day.

    Raises:
        DataError: when the quality policy refuses the series.
    """
    checked = apply_quality_policy(
        frame, item.timeframe, quality, series=f"{exchange} {item.symbol} {item.timeframe}"
    )
    daily = resample(checked, item.timeframe, "1d")
    if daily.empty:
        return None
    day_ms = int(daily["ts_ms"].iloc[-1])
    times = checked["ts_ms"].to_numpy()
    last_day = (times >= day_ms) & (times < day_ms + DAY_MS)
    closes = checked["close"].to_numpy()[last_day]
    volume = float(np.dot(closes, checked["volume"].to_numpy()[last_day]))
    base, _, rest = item.symbol.partition("/")
    quote, _, settle = rest.partition(":")
    snapshots = books(item.symbol, day_ms, day_ms + DAY_MS)
    bid = ask = quote_ts = None
    if not snapshots.empty:
        last = snapshots.iloc[-1]
        bids, asks = last["bids"], last["asks"]
        if len(bids) and len(asks):
            bid, ask, quote_ts = float(bids[0][0]), float(asks[0][0]), int(last["ts_ms"])
    candidate = GridCandidate(
        symbol=item.symbol,
        daily=OhlcvArrays.from_frame(daily[list(OHLCV_COLUMNS)]),
        quote_volume_usd=None,
        bid=bid,
        ask=ask,
    )
    source = PairSource(item.symbol, item.label, item.timeframe, len(daily), day_ms, quote_ts)
    inverse = settle == base  # coin-margined: the volume counts contracts
    last_close = float(daily["close"].iloc[-1])
    return _Measured(candidate, source, quote, None if inverse else volume, last_close)


def _in_usd(measured: list[_Measured]) -> list[GridCandidate]:
    """The candidates with their 24h volume in USD, priced by the pegged markets among them."""
    prices: dict[str, float] = {}
    for item in measured:
        base, _, quote = item.candidate.symbol.partition("/")
        if quote in USD_PEGGED:  # spot only: a perpetual's symbol has a settle part
            prices.setdefault(base, item.last_close)
    return [
        replace(
            item.candidate,
            quote_volume_usd=None
            if item.quote_volume is None
            else usd_value(item.quote_volume, item.quote, prices),
        )
        for item in measured
    ]
