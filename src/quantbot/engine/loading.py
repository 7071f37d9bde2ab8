"""Market data for a backtest: from data files, the candle store or the synthetic market.

Every series passes the data-quality policy (``data_quality`` in settings) on its way
in, so a backtest never runs on data that failed a check without the log saying so.
Several symbols are cut to the period they all cover and must then share one
timeline; a gap left by the ``drop`` policy stops the run with a clear message
(``ffill`` repairs gaps).

Perpetuals (``BTC/USDT:USDT``) also get their funding settlements and, where recorded,
their mark-price candles:

- **files**: a funding file (``<exchange>_<SLUG>_funding.csv.gz``) and mark candles
  (``<exchange>_<SLUG>_mark_<tf>.csv.gz``) given among the paths are used; otherwise
  they are looked for next to the candle file, same exchange and symbol. A file whose
  name does not follow the format is accepted when its symbol is given
  (:class:`DataPath`); its candles' timeframe is read from their timestamps. Of several
  mark timeframes the base timeframe is preferred, then the coarsest finer one that
  divides it, then the finest coarser one (:mod:`quantbot.engine.mark_prices` puts
  any of them on the base timeline);
- **store**: ``funding`` and ``mark_<tf>`` series of the symbol, same preference;
- **synthetic**: the emulator's synthetic market (a perpetual trades at its mark and
  settles the generator's funding), so a backtest and the emulator serve one market.

Recorded order books (``<exchange>_<SLUG>_orderbook.jsonl.gz``) given among the files
make takers at the bar opens they cover walk the book
(:mod:`quantbot.venues.simulated.depth`). They are never picked up unasked, since they
change the fill model; how many bar opens they cover is logged.

Funding settlements pass the funding checks: under ``error`` any error refuses the
series; under ``ffill`` and ``drop`` missing settlements are logged and pay nothing,
other errors still refuse it. A perpetual without funding data runs without funding,
with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataError, DataFormatError, DataQualityError
from quantbot.data.files import (
    DataFile,
    parse_data_file,
    read_funding_csv,
    read_ohlcv_csv,
    read_order_book_jsonl,
)
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.data.quality import QualityCheck, Severity
from quantbot.data.quality_checks import check_funding
from quantbot.data.quality_policy import apply_quality_policy
from quantbot.data.resample import timeframe_ms
from quantbot.data.store import CandleStore
from quantbot.data.symbols import is_perpetual, symbol_to_slug
from quantbot.engine.backtest import BacktestData
from quantbot.engine.instruments import instrument_for
from quantbot.engine.mark_prices import align_marks
from quantbot.logs import LogEvent, log_event
from quantbot.venues.emulator.synthetic_source import SyntheticSource
from quantbot.venues.simulated.depth import BookDepth, latest_snapshots

__all__ = ["DataPath", "LoadedMarket", "from_files", "from_store", "from_synthetic"]

_log = logging.getLogger(__name__)

Marks = tuple[pd.DataFrame, str]
"""Mark-price candles of one symbol and their timeframe."""


_TIMEFRAMES = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "1w")
"""Timeframes a candle file without a format name may have."""


@dataclass(frozen=True)
class DataPath:
    """A data file and what the user said it holds (``--data BTC/USDT=PATH``).

    Attributes:
        path: the file.
        symbol: the market it holds; required when the name does not follow the
            format, and checked against the name when it does.
        funding: the file holds funding settlements rather than candles.
    """

    path: Path
    symbol: str | None = None
    funding: bool = False


@dataclass(frozen=True)
class LoadedMarket:
    """Backtest data and where it came from (for the report and the stored run)."""

    data: BacktestData
    source: str


def from_files(
    paths: Sequence[Path | DataPath],
    *,
    quality: DataQualitySettings,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> LoadedMarket:
    """Candles from interchange-format files, one per symbol, e.g. ``binance_BTC-USDT_1m.csv.gz``.

    Funding and mark-price files may be given too; for perpetuals without them the
    files next to the candles are used (module docstring).

    Raises:
        DataError: on a file that is not an OHLCV, funding or mark file, a symbol that
            contradicts the file name, two candle files of one symbol, different
            timeframes, funding or marks of a symbol without candles, or data the
            quality policy refuses.
    """
    candles: dict[str, pd.DataFrame] = {}
    sources: dict[str, DataFile] = {}
    extras: list[DataFile] = []
    names: list[str] = []
    for item in paths:
        data_file = _identify(item if isinstance(item, DataPath) else DataPath(item))
        path = data_file.path
        names.append(path.name)
        if data_file.kind in ("funding", "mark", "orderbook"):
            extras.append(data_file)
            continue
        if data_file.kind != "ohlcv" or data_file.timeframe is None:
            raise DataError(
                f"{path.name}: a backtest needs OHLCV candles (and funding, mark prices or "
                f"order books), this file holds {data_file.kind}"
            )
        if data_file.symbol in candles:
            raise DataError(f"{path.name}: a second file for {data_file.symbol}")
        sources[data_file.symbol] = data_file
        candles[data_file.symbol] = _window(read_ohlcv_csv(path), start_ms, end_ms)
    if not sources:
        raise DataError("no candle file among the paths: a backtest needs OHLCV candles")
    timeframes = {f.timeframe for f in sources.values()}
    if len(timeframes) != 1:
        raise DataError(f"the files have different timeframes: {sorted(map(str, timeframes))}")
    timeframe = str(timeframes.pop())
    strays = sorted({f.path.name for f in extras if f.symbol not in candles})
    if strays:
        raise DataError(f"{', '.join(strays)}: no candle file of that symbol among the paths")
    funding: dict[str, pd.DataFrame] = {}
    marks: dict[str, Marks] = {}
    for symbol, candle_file in sources.items():
        if not is_perpetual(symbol):
            continue
        given = [f for f in extras if f.symbol == symbol]
        found = given or _siblings(candle_file)
        funding_files = [f.path for f in found if f.kind == "funding"]
        if funding_files:
            funding[symbol] = _concat([read_funding_csv(p) for p in funding_files])
        mark_files = [f for f in found if f.kind == "mark" and f.timeframe is not None]
        chosen = _mark_timeframe({str(f.timeframe) for f in mark_files}, timeframe)
        if chosen is not None:
            frames = [read_ohlcv_csv(f.path) for f in mark_files if f.timeframe == chosen]
            marks[symbol] = (_concat(frames), chosen)
    source = ", ".join(names)
    data = _market(candles, timeframe, quality, source_label=source, funding=funding, marks=marks)
    return LoadedMarket(_with_books(data, _file_books(extras, data)), source)


def _file_books(files: Sequence[DataFile], data: BacktestData) -> dict[str, BookDepth]:
    """The order books among ``files``, per symbol."""
    books = {}
    for symbol in dict.fromkeys(f.symbol for f in files if f.kind == "orderbook"):
        paths = [f.path for f in files if f.symbol == symbol and f.kind == "orderbook"]
        frames = [read_order_book_jsonl(path) for path in paths]
        books[symbol] = _book_depth(frames, ", ".join(path.name for path in paths), data)
    return books


def _book_depth(frames: Sequence[pd.DataFrame], name: str, data: BacktestData) -> BookDepth:
    """The snapshots of one symbol that bar opens of ``data`` fill against, in time order.

    A recorded book changes every 100 ms or so; only the last snapshot at or before
    each bar open, at most a bar old, is ever walked, so only those are kept (a day
    of snapshots would otherwise take hundreds of MB as arrays).

    Raises:
        DataError: naming ``name`` (the files), on kept snapshots that are not well
            formed.
    """
    books = pd.concat(frames, ignore_index=True).sort_values("ts_ms", kind="stable")
    times = books["ts_ms"].to_numpy(dtype=np.int64)
    met = latest_snapshots(times, data.ts_ms, timeframe_ms(data.timeframe))
    used = np.unique(met[met >= 0])
    try:
        return BookDepth(books.iloc[used].reset_index(drop=True), name=name)
    except ValueError as exc:
        raise DataError(str(exc)) from None


def _with_books(data: BacktestData, books: Mapping[str, BookDepth]) -> BacktestData:
    """``data`` with order books; logs how many bar opens each covers.

    A book of another period covers none: that is a warning.
    """
    if not books:
        return data
    data = replace(data, books=books)
    for symbol, coverage in data.book_coverage(timeframe_ms(data.timeframe)).items():
        covered = coverage["bar_opens_covered"]
        log_event(
            _log,
            LogEvent.DATA_QUALITY,
            "order book of %s: takers at %d of %d bar opens walk it, the others slip",
            symbol,
            covered,
            len(data.ts_ms),
            level=logging.INFO if covered else logging.WARNING,
            pair=symbol,
        )
    return data


def from_store(
    store: CandleStore,
    exchange: str,
    symbols: Sequence[str],
    timeframe: str,
    *,
    quality: DataQualitySettings,
    start_ms: int | None = None,
    end_ms: int | None = None,
    order_books: bool = False,
) -> LoadedMarket:
    """Candles of ``symbols`` from the candle store, with funding and marks of perpetuals.

    ``order_books``: also the store's recorded order books of the symbols, which takers
    walk (:mod:`quantbot.venues.simulated.depth`).

    Raises:
        DataError: when a candle series is missing, the quality policy refuses a
            series, or stored order books are not well formed.
    """
    frames = {}
    funding: dict[str, pd.DataFrame] = {}
    marks: dict[str, Marks] = {}
    stored_marks: dict[str, set[str]] = {}
    if any(is_perpetual(s) for s in symbols):
        for info in store.series():
            if info.exchange == exchange and info.kind == "mark" and info.timeframe:
                stored_marks.setdefault(info.symbol, set()).add(info.timeframe)
    for symbol in symbols:
        frame = store.load(exchange, symbol, timeframe, start_ms=start_ms, end_ms=end_ms)
        if frame.empty:
            raise DataError(
                f"no {timeframe} candles of {symbol} on {exchange} in the store for that period; "
                "download or import them first (quantbot download / quantbot data import)"
            )
        frames[symbol] = frame
        if not is_perpetual(symbol):
            continue
        # A settlement at the close of the last candle (end_ms) still belongs to the run.
        last = None if end_ms is None else end_ms + 1
        rates = store.load_funding(exchange, symbol, start_ms=start_ms, end_ms=last)
        if not rates.empty:
            funding[symbol] = rates
        chosen = _mark_timeframe(stored_marks.get(symbol, set()), timeframe)
        if chosen is not None:
            first = None if start_ms is None else start_ms - timeframe_ms(chosen)
            mark_frame = store.load(
                exchange, symbol, chosen, start_ms=first, end_ms=end_ms, kind="mark"
            )
            marks[symbol] = (mark_frame, chosen)
    source = f"candle store, {exchange} {timeframe}" + (", order books" if order_books else "")
    data = _market(frames, timeframe, quality, source_label=exchange, funding=funding, marks=marks)
    books = {}
    if order_books:
        period = timeframe_ms(timeframe)
        first, end = int(data.ts_ms[0]) - period, int(data.ts_ms[-1]) + 1
        for symbol in symbols:
            stored = store.load_order_books(exchange, symbol, start_ms=first, end_ms=end)
            books[symbol] = _book_depth([stored], f"{exchange} {symbol} order books", data)
    return LoadedMarket(_with_books(data, books), source)


def from_synthetic(
    symbols: Sequence[str], *, start_ms: int, days: int, seed: int, quality: DataQualitySettings
) -> LoadedMarket:
    """The seeded synthetic market (the embedded default: no files, no network).

    It is the exchange emulator's market (:class:`SyntheticSource`): a perpetual trades
    at its mark price and settles the generator's 8-hourly funding.
    """
    minutes = days * 1440
    market = SyntheticSource.generate(symbols, start_ms=start_ms, minutes=minutes, seed=seed)
    end_ms = start_ms + minutes * 60_000
    candles = {s: market.candles(s, "1m", start_ms=start_ms, end_ms=end_ms) for s in symbols}
    funding = {
        s: market.funding(s, start_ms=start_ms, end_ms=end_ms + 1)
        for s in symbols
        if is_perpetual(s)
    }
    source = f"synthetic market, seed {seed}, {days} days"
    data = _market(candles, "1m", quality, source_label="synthetic", funding=funding, marks={})
    return LoadedMarket(data, source)


def _identify(item: DataPath) -> DataFile:
    """What a given file holds: from its name, else from the symbol given with it.

    Raises:
        DataError: for a symbol the name contradicts, a funding file that is not one,
            or a file neither named in the format nor given a symbol.
    """
    try:
        named = parse_data_file(item.path)
    except DataFormatError:
        if item.symbol is None:
            raise
        if item.funding:
            return DataFile(item.path, "file", item.symbol, "funding", None)
        return DataFile(item.path, "file", item.symbol, "ohlcv", _timeframe_of(item.path))
    if item.symbol is not None and item.symbol != named.symbol:
        raise DataError(
            f"{item.path.name}: given as {item.symbol} but the file name says {named.symbol}"
        )
    if item.funding and named.kind != "funding":
        raise DataError(f"{item.path.name}: given as funding rates but it holds {named.kind}")
    return named


def _timeframe_of(path: Path) -> str:
    """The timeframe of a candle file, from the most common step between its timestamps.

    Raises:
        DataError: when the file has under two candles or its step is no timeframe.
    """
    steps = np.diff(read_ohlcv_csv(path)["ts_ms"].to_numpy())
    if not len(steps):
        raise DataError(f"{path.name}: too few candles to tell their timeframe")
    values, counts = np.unique(steps, return_counts=True)
    step = int(values[np.argmax(counts)])
    for timeframe in _TIMEFRAMES:
        if timeframe_ms(timeframe) == step:
            return timeframe
    raise DataError(f"{path.name}: candles {step} ms apart are not of a known timeframe")


def _window(frame: pd.DataFrame, start_ms: int | None, end_ms: int | None) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    if start_ms is not None:
        keep &= frame["ts_ms"].to_numpy() >= start_ms
    if end_ms is not None:
        keep &= frame["ts_ms"].to_numpy() < end_ms
    return frame[keep].reset_index(drop=True)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of one series from several files: in time order, one row per timestamp."""
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return frame.sort_values("ts_ms", kind="stable").drop_duplicates("ts_ms", keep="last")


def _siblings(candles: DataFile) -> list[DataFile]:
    """Funding and mark files of the same exchange and symbol in the candle file's directory."""
    found = []
    for path in sorted(candles.path.parent.glob(f"*_{symbol_to_slug(candles.symbol)}_*")):
        try:
            data_file = parse_data_file(path)
        except DataError:
            continue
        if (
            data_file.kind in ("funding", "mark")
            and data_file.exchange == candles.exchange
            and data_file.symbol == candles.symbol
        ):
            found.append(data_file)
    return found


def _mark_timeframe(available: set[str], timeframe: str) -> str | None:
    """The mark timeframe to use, None when there is none.

    The base timeframe, else the coarsest finer one that divides it, else the finest
    coarser one.
    """
    if timeframe in available:
        return timeframe
    base_ms = timeframe_ms(timeframe)
    sized = [(timeframe_ms(tf), tf) for tf in available]
    finer = [(ms, tf) for ms, tf in sized if ms < base_ms and base_ms % ms == 0]
    if finer:
        return max(finer)[1]
    coarser = [(ms, tf) for ms, tf in sized if ms > base_ms]
    return min(coarser)[1] if coarser else None


def _market(
    frames: Mapping[str, pd.DataFrame],
    timeframe: str,
    quality: DataQualitySettings,
    *,
    source_label: str,
    funding: Mapping[str, pd.DataFrame],
    marks: Mapping[str, Marks],
) -> BacktestData:
    """Apply the quality policy, cut to the common period, check one shared timeline."""
    checked = {
        symbol: apply_quality_policy(
            frame, timeframe, quality, series=f"{source_label} {symbol} {timeframe}"
        )
        for symbol, frame in frames.items()
    }
    if any(frame.empty for frame in checked.values()):
        raise DataError("a series has no candles in the chosen period")
    first = max(int(f["ts_ms"].iloc[0]) for f in checked.values())
    last = min(int(f["ts_ms"].iloc[-1]) for f in checked.values())
    if first > last:
        raise DataError("the symbols' data do not overlap in time")
    period_ms = timeframe_ms(timeframe)
    expected = np.arange(first, last + 1, period_ms, dtype=np.int64)
    arrays = {}
    for symbol, frame in checked.items():
        cut = frame[(frame["ts_ms"] >= first) & (frame["ts_ms"] <= last)]
        candles = OhlcvArrays.from_frame(cut)
        if not np.array_equal(candles.ts_ms, expected):
            raise DataError(
                f"{symbol}: {len(expected) - len(candles)} candles missing in the common period; "
                "set data_quality.policy to ffill to fill gaps with flat candles"
            )
        arrays[symbol] = candles
    instruments = {s: instrument_for(s, float(a.close[0])) for s, a in arrays.items()}
    end_ms = last + period_ms
    mark_arrays = {}
    for symbol, (frame, mark_timeframe) in marks.items():
        mark_ms = timeframe_ms(mark_timeframe)
        times = frame["ts_ms"].to_numpy()
        # Mark candles that close inside the run; none closes before its first bar.
        window = frame[(times + mark_ms > first) & (times < end_ms)].reset_index(drop=True)
        if window.empty:
            continue
        series = f"{source_label} {symbol} mark {mark_timeframe}"
        usable = apply_quality_policy(window, mark_timeframe, quality, series=series, kind="mark")
        mark_arrays[symbol] = align_marks(arrays[symbol], timeframe, usable, mark_timeframe)
    rates = {
        symbol: _checked_funding(frame, first, end_ms, quality, f"{source_label} {symbol} funding")
        for symbol, frame in funding.items()
    }
    for symbol in (s for s in arrays if instruments[s].is_perpetual and s not in rates):
        log_event(
            _log,
            LogEvent.DATA_QUALITY,
            "%s: no funding rates for %s; the backtest pays no funding on it",
            source_label,
            symbol,
            level=logging.WARNING,
            pair=symbol,
        )
    return BacktestData(timeframe, arrays, instruments, funding=rates, marks=mark_arrays)


def _checked_funding(
    frame: pd.DataFrame, first: int, end_ms: int, quality: DataQualitySettings, series: str
) -> pd.DataFrame:
    """The settlements inside the run (after its first open, up to its last close), checked.

    Raises:
        DataQualityError: for errors the policy does not accept (module docstring).
    """
    frame = frame.sort_values("ts_ms", kind="stable").reset_index(drop=True)
    times = frame["ts_ms"].to_numpy()
    lo, hi = np.searchsorted(times, [first, end_ms], side="right")
    window = frame.iloc[lo:hi]
    # One settlement either side gives the checks the interval at the run's edges.
    report = check_funding(frame.iloc[max(lo - 1, 0) : hi + 1])
    refused = [
        f for f in report.errors if quality.policy == "error" or f.check is not QualityCheck.GAPS
    ]
    if refused:
        raise DataQualityError(
            series, report, f"refused under data_quality.policy {quality.policy}"
        )
    for finding in report.findings:
        log_event(
            _log,
            LogEvent.DATA_QUALITY,
            "%s: %s",
            series,
            finding.describe(),
            level=logging.DEBUG if finding.severity is Severity.INFO else logging.WARNING,
            series=series,
        )
    return window.loc[:, ["ts_ms", "funding_rate"]].reset_index(drop=True)
