"""Historical market data from an exchange through ccxt, into the candle store.

The downloader pages through ``fetch_ohlcv`` and ``fetch_funding_rate_history`` and
appends every page to the store as soon as it is complete, so that:

- a run resumes where the previous one stopped (the store's last timestamp is the
  cursor), and a run killed half-way then restarted ends with exactly the store a
  clean run gives;
- a candle that has not closed yet is never written (a partial candle would be a lie
  the next run cannot correct), and the store de-duplicates, so nothing is written
  twice;
- transient errors are retried with exponential back-off, honouring a ``Retry-After``
  header: ccxt's ``OperationFailed`` family (rate limits and bans as
  ``DDoSProtection``, 5xx as ``ExchangeNotAvailable`` or ``OperationFailed``, timeouts,
  dropped connections, unparsable responses) and pages ccxt returns but that are not
  candles (a malformed JSON body reaches the caller as rows of ``None``); anything
  else (``ExchangeError``: bad symbol, bad request) stops the run with the exchange's
  message.

Which candles have closed is decided by the earlier of the local clock and the
exchange's server time, so a local clock running ahead cannot make the downloader
store the exchange's still-open candle.

Rate limits: ccxt's own throttle (``enableRateLimit``) spaces requests by the
exchange's ``rateLimit``, which the caller sets from ``rate_limit_ms``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import ccxt
import numpy as np
import pandas as pd

from quantbot.config.base import timeframe_seconds
from quantbot.core.clock import Clock
from quantbot.data.errors import DataError
from quantbot.data.ohlcv import OHLCV_COLUMNS, empty_ohlcv_frame
from quantbot.data.retry import RetryPolicy, parse_retry_after
from quantbot.data.store import CandleStore
from quantbot.logs import LogEvent, log_event

__all__ = ["DownloadError", "DownloadResult", "Downloader"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

Progress = Callable[[str, int, int], None]
"""Progress callback: (task label, cursor ts_ms reached, end ts_ms)."""


class _UnusableResponse(Exception):
    """A response that parsed but holds no usable rows; retried like a network error."""


class DownloadError(DataError):
    """A download stopped: the exchange refused the request or kept failing.

    Whatever was downloaded before the error is in the store, complete and valid; a
    new run resumes from it.
    """


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """What one download task did.

    Attributes:
        symbol: ccxt symbol.
        kind: ``ohlcv`` or ``funding``.
        timeframe: candle timeframe, None for funding.
        rows_added: rows the store did not have before.
        resumed_from_ms: the cursor the task started from (after what was stored).
        last_ts_ms: the newest timestamp stored for the series after the task.
        requests: exchange requests made (retries included).
    """

    symbol: str
    kind: str
    timeframe: str | None
    rows_added: int
    resumed_from_ms: int
    last_ts_ms: int | None
    requests: int


@dataclass(frozen=True, slots=True)
class _Series:
    """One series to page through: how to fetch a page from a cursor and store it."""

    symbol: str
    kind: str
    timeframe: str | None
    fetch_page: Callable[[int], pd.DataFrame]
    append: Callable[[pd.DataFrame], int]
    last_stored_ms: Callable[[], int | None]
    step_ms: int
    """Distance from a stored row to the next cursor: one period for candles, 1 ms for
    funding settlements (which are not on a fixed grid everywhere)."""

    @property
    def label(self) -> str:
        return f"{self.symbol} {self.timeframe or self.kind}"


class Downloader:
    """Pages historical data from one ccxt exchange into a :class:`CandleStore`.

    Args:
        exchange: an unmodified ccxt exchange (sync API), markets loadable; pointed at
            an emulator by the caller when wanted.
        exchange_id: the name the store files the data under (e.g. ``binance``).
        store: where pages are appended.
        clock: decides, with the exchange's server time, which candles have closed.
        retry: back-off policy for transient errors.
        page_limit: rows asked per request (ccxt asks Binance for at most 1000).
        sleep: how to wait between retries (injectable so tests need not wait).
        progress: optional progress callback.
    """

    def __init__(
        self,
        exchange: ccxt.Exchange,
        *,
        exchange_id: str,
        store: CandleStore,
        clock: Clock,
        retry: RetryPolicy | None = None,
        page_limit: int = 1000,
        sleep: Callable[[float], None] = time.sleep,
        progress: Progress | None = None,
    ) -> None:
        self._exchange = exchange
        self._exchange_id = exchange_id
        self._store = store
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._page_limit = page_limit
        self._sleep = sleep
        self._progress = progress or (lambda _label, _done, _total: None)
        self._requests = 0

    def download_ohlcv(
        self, symbol: str, timeframe: str, *, since_ms: int, until_ms: int | None = None
    ) -> DownloadResult:
        """Download closed candles of ``symbol`` in ``[since_ms, until_ms)`` (until now by default).

        Raises:
            DownloadError: when the exchange refuses the request or keeps failing.
        """
        period_ms = timeframe_seconds(timeframe) * 1000
        label = f"{symbol} {timeframe}"

        def fetch_page(cursor: int) -> pd.DataFrame:
            rows = self._exchange.fetch_ohlcv(
                symbol, timeframe, since=cursor, limit=self._page_limit
            )
            return _ohlcv_page(_confirmed(self._exchange, rows), period_ms, label)

        series = _Series(
            symbol=symbol,
            kind="ohlcv",
            timeframe=timeframe,
            fetch_page=fetch_page,
            append=partial(self._store.append, self._exchange_id, symbol, timeframe),
            last_stored_ms=partial(self._store.last_ts_ms, self._exchange_id, symbol, timeframe),
            step_ms=period_ms,
        )
        closed_end = _floor_to(self._now_ms(label), period_ms)
        end_ms = closed_end if until_ms is None else min(_ceil_to(until_ms, period_ms), closed_end)
        return self._download(series, since_ms=_ceil_to(since_ms, period_ms), end_ms=end_ms)

    def download_funding(
        self, symbol: str, *, since_ms: int, until_ms: int | None = None
    ) -> DownloadResult:
        """Download the funding-rate history of perpetual ``symbol`` in ``[since_ms, until_ms)``.

        Raises:
            DownloadError: when the exchange refuses the request or keeps failing.
        """

        def fetch_page(cursor: int) -> pd.DataFrame:
            rows = self._exchange.fetch_funding_rate_history(
                symbol, since=cursor, limit=self._page_limit
            )
            return _funding_page(_confirmed(self._exchange, rows))

        def last_stored_ms() -> int | None:
            stored = self._store.load_funding(self._exchange_id, symbol)
            return int(stored["ts_ms"].iloc[-1]) if len(stored) else None

        series = _Series(
            symbol=symbol,
            kind="funding",
            timeframe=None,
            fetch_page=fetch_page,
            append=partial(self._store.append_funding, self._exchange_id, symbol),
            last_stored_ms=last_stored_ms,
            step_ms=1,
        )
        now_ms = self._now_ms(series.label)
        end_ms = now_ms if until_ms is None else min(until_ms, now_ms)
        return self._download(series, since_ms=since_ms, end_ms=end_ms)

    def _download(self, series: _Series, *, since_ms: int, end_ms: int) -> DownloadResult:
        """Page ``series`` from after what is stored (or ``since_ms``) to ``end_ms``."""
        stored = series.last_stored_ms()
        cursor = since_ms if stored is None else max(since_ms, stored + series.step_ms)
        start, requests_before, added = cursor, self._requests, 0
        while cursor < end_ms:
            page = self._call(partial(series.fetch_page, cursor), series.label)
            page = page[(page["ts_ms"] >= cursor) & (page["ts_ms"] < end_ms)]
            if page.empty:
                break
            added += series.append(page.reset_index(drop=True))
            cursor = int(page["ts_ms"].iloc[-1]) + series.step_ms
            self._progress(series.label, cursor, end_ms)
        self._progress(series.label, end_ms, end_ms)
        result = DownloadResult(
            symbol=series.symbol,
            kind=series.kind,
            timeframe=series.timeframe,
            rows_added=added,
            resumed_from_ms=start,
            last_ts_ms=series.last_stored_ms(),
            requests=self._requests - requests_before,
        )
        log_event(
            _log,
            LogEvent.STATUS,
            "downloaded %s: %d new rows in %d requests",
            series.label,
            added,
            result.requests,
            exchange=self._exchange_id,
            pair=series.symbol,
        )
        return result

    def _now_ms(self, label: str) -> int:
        """The earlier of the local clock and the exchange's server time (when it has one)."""
        now_ms = self._clock.now_ms()
        if not self._exchange.has.get("fetchTime"):
            return now_ms
        return min(now_ms, self._call(partial(_server_time, self._exchange), label))

    def _call(self, request: Callable[[], _T], label: str) -> _T:
        """Run one exchange request, retrying transient failures with back-off."""
        for attempt in range(1, self._retry.attempts + 1):
            self._requests += 1
            try:
                return request()
            except (ccxt.OperationFailed, _UnusableResponse) as exc:
                if attempt == self._retry.attempts:
                    raise DownloadError(
                        f"{self._exchange_id} {label}: gave up after {attempt} attempts: {exc}"
                    ) from exc
                delay = self._retry.delay_s(attempt, _retry_after_s(self._exchange))
                log_event(
                    _log,
                    LogEvent.ERROR,
                    "%s %s: %s; retry %d/%d in %.1f s",
                    self._exchange_id,
                    label,
                    type(exc).__name__,
                    attempt,
                    self._retry.attempts - 1,
                    delay,
                    level=logging.WARNING,
                    exchange=self._exchange_id,
                )
                self._sleep(delay)
            except ccxt.BaseError as exc:
                raise DownloadError(
                    f"{self._exchange_id} {label}: {type(exc).__name__}: {exc}"
                ) from exc
        raise AssertionError("unreachable: the loop returns or raises")


def _confirmed(exchange: ccxt.Exchange, rows: Any) -> Any:
    """``rows``, once an empty answer is known to be a real one.

    ccxt turns a body that is not JSON into an empty list, which would read as "no more
    data" and end the download early; the raw body tells the two apart.

    Raises:
        _UnusableResponse: when the rows are empty because the body did not parse.
    """
    if rows:
        return rows
    body = getattr(exchange, "last_http_response", None)
    if body:
        try:
            json.loads(body)
        except ValueError:
            raise _UnusableResponse("the response is not valid JSON") from None
    return rows


def _server_time(exchange: ccxt.Exchange) -> int:
    value = exchange.fetch_time()
    if not isinstance(value, int | float):
        raise _UnusableResponse(f"server time is {value!r}")
    return int(value)


def _ohlcv_page(rows: Any, period_ms: int, label: str) -> pd.DataFrame:
    """The candles of one response as a sorted, de-duplicated frame.

    Raises:
        _UnusableResponse: when the rows are not candles (a malformed body).
        DownloadError: when the exchange returns candles off the timeframe grid, which
            would corrupt the series.
    """
    if not rows:
        return empty_ohlcv_frame()
    try:
        frame = pd.DataFrame([row[:6] for row in rows], columns=list(OHLCV_COLUMNS))
        frame = frame.astype({"ts_ms": np.int64, **dict.fromkeys(OHLCV_COLUMNS[1:], np.float64)})
    except (TypeError, ValueError, IndexError) as exc:
        raise _UnusableResponse(f"{label}: the response holds no candles: {exc}") from None
    if not np.isfinite(frame.to_numpy(dtype=np.float64)).all():
        raise _UnusableResponse(f"{label}: the response holds empty values")
    if (frame["ts_ms"] % period_ms != 0).any():
        raise DownloadError(f"{label}: the exchange returned candles off the {period_ms} ms grid")
    return frame.drop_duplicates("ts_ms").sort_values("ts_ms").reset_index(drop=True)


def _funding_page(rows: Any) -> pd.DataFrame:
    try:
        frame = pd.DataFrame(
            {
                "ts_ms": np.array([int(row["timestamp"]) for row in rows], dtype=np.int64),
                "funding_rate": np.array(
                    [float(row["fundingRate"]) for row in rows], dtype=np.float64
                ),
            }
        )
    except (TypeError, ValueError, KeyError) as exc:
        raise _UnusableResponse(f"the response holds no funding rates: {exc}") from None
    return frame.drop_duplicates("ts_ms").sort_values("ts_ms").reset_index(drop=True)


def _retry_after_s(exchange: ccxt.Exchange) -> float | None:
    """The ``Retry-After`` of the last response, in seconds, if the exchange sent one."""
    headers = getattr(exchange, "last_response_headers", None) or {}
    return parse_retry_after(
        next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    )


def _ceil_to(ts_ms: int, period_ms: int) -> int:
    return -(-ts_ms // period_ms) * period_ms


def _floor_to(ts_ms: int, period_ms: int) -> int:
    return (ts_ms // period_ms) * period_ms
