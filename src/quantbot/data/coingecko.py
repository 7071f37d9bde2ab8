"""The default market-cap provider: a client of the CoinGecko API v3.

Two documented endpoints answer what the universe filters need:

- ``GET /coins/markets?vs_currency=usd&symbols=btc,eth&include_tokens=all`` gives, for
  up to 50 ticker symbols per request, every coin carrying one of them with its
  ``id``, ``symbol``, ``name`` and ``market_cap`` (paged with ``per_page``/``page``).
- ``GET /coins/{id}/tickers`` gives the coin's trading pairs, 100 per page, most
  trusted first; each names its exchange in ``market.identifier``.

Choices a reviewer should know:

- **Symbol collisions.** Ticker symbols are not unique (many tokens call themselves
  ``PEPE``). ``include_tokens=all`` asks for every coin with the symbol, and the one
  with the highest known market cap wins; the others are listed in
  :attr:`AssetInfo.also_matched` and logged at DEBUG. An exchange listing a symbol
  almost always lists the biggest coin of that name, and a wrong pick is visible.
- **Unknown market cap.** CoinGecko reports ``0`` or ``null`` for a coin whose
  circulating supply it does not know; both become ``None`` (unknown), never zero.
- **Listings** are the distinct exchanges among the tickers of the first
  ``max_ticker_pages`` pages (default 1: the 100 most trusted pairs), skipping
  tickers CoinGecko flags ``is_stale`` or ``is_anomaly``. For a coin with more pairs
  than that the count is a lower bound, which is what a minimum-listings filter needs.
- **Rate limits and failures.** HTTP 429, 5xx, timeouts and dropped connections are
  retried with exponential back-off (a ``Retry-After`` header wins when longer); other
  statuses (401 bad key, 404) fail at once. Requests are spaced by ``min_interval_s``
  (from the documented plan limits when built with :meth:`CoinGeckoClient.from_settings`).
- **The API key** travels only in the ``x-cg-demo-api-key`` header (``x-cg-pro-api-key``
  for ``pro-api.coingecko.com``), never in a URL, and is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from quantbot.config.settings import UniverseSettings
from quantbot.data.errors import MarketCapProviderError
from quantbot.data.market_caps import AssetInfo, Progress
from quantbot.data.retry import RetryPolicy, parse_retry_after

__all__ = ["CoinGeckoClient"]

_log = logging.getLogger(__name__)

MAX_PER_PAGE = 250
"""Largest ``per_page`` ``/coins/markets`` accepts."""
_DEFAULT_RETRY = RetryPolicy(attempts=4, base_delay_s=2.0, max_delay_s=60.0)
"""CoinGecko's free tier answers 429 readily; start backing off at 2 s."""
SYMBOLS_PER_REQUEST = 50
"""Most symbols one ``/coins/markets`` request may carry with ``include_tokens=all``."""
TICKERS_PER_PAGE = 100
"""``/coins/{id}/tickers`` page size (fixed by CoinGecko)."""
_MAX_MARKET_PAGES = 40
"""Guard against a server that never sends a short page: 40 x 250 coins for 50
symbols is far beyond any real collision set."""
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_PRO_HOST = "pro-api.coingecko.com"
_PUBLIC_HOST = "api.coingecko.com"


@dataclass(frozen=True, slots=True)
class _CoinMarket:
    """One row of ``/coins/markets``: a coin and its market cap (None when unknown)."""

    coin_id: str
    symbol: str
    name: str
    market_cap_usd: float | None


class CoinGeckoClient:
    """Market caps and exchange-listing counts from the CoinGecko API v3.

    Implements :class:`~quantbot.data.market_caps.MarketCapProvider`. Each call of
    :meth:`fetch_assets` opens and closes its own HTTP session, so one client can be
    used from several event loops (each ``asyncio.run``).

    Args:
        base_url: API root, e.g. ``https://api.coingecko.com/api/v3``.
        api_key: CoinGecko API key, or None to call without one.
        key_header: header carrying the key; default ``x-cg-pro-api-key`` for
            ``pro-api.coingecko.com`` and ``x-cg-demo-api-key`` for any other host.
        timeout_s: limit on one request, connection to last byte, in seconds.
        retry: back-off for 429, 5xx and timeouts (a longer ``Retry-After`` wins).
        min_interval_s: pause before every request after the first of a call.
        per_page: coins per ``/coins/markets`` page (1 to 250).
        max_ticker_pages: ``/coins/{id}/tickers`` pages read per coin for listings.

    Raises:
        ValueError: for ``per_page`` outside 1..250 or non-positive counts.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        key_header: str | None = None,
        timeout_s: float = 30.0,
        retry: RetryPolicy = _DEFAULT_RETRY,
        min_interval_s: float = 0.0,
        per_page: int = MAX_PER_PAGE,
        max_ticker_pages: int = 1,
    ) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page {per_page} must be between 1 and {MAX_PER_PAGE}")
        if max_ticker_pages < 1:
            raise ValueError("max_ticker_pages must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._headers = {"accept": "application/json"}
        if api_key:
            self._headers[key_header or _default_key_header(self._base_url)] = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retry = retry
        self._min_interval_s = min_interval_s
        self._per_page = per_page
        self._max_ticker_pages = max_ticker_pages

    def __repr__(self) -> str:
        # The key stays out of reprs (tracebacks, debuggers, logs).
        return f"CoinGeckoClient({self._base_url!r})"

    @classmethod
    def from_settings(
        cls, settings: UniverseSettings, environ: Mapping[str, str]
    ) -> CoinGeckoClient:
        """Build the client the configuration describes.

        The key is read from the variable named by ``provider_api_key_env``; when that
        variable is unset the client calls without a key and logs a warning. Requests
        are spaced by CoinGecko's documented limits: 100 calls/min on the demo plan,
        a conservative 30/min keyless (the keyless limit is per IP and unpublished),
        none for the pro host or any other (a proxy, a test stand-in), where the 429
        handling suffices.
        """
        api_key = None
        if settings.provider_api_key_env:
            api_key = environ.get(settings.provider_api_key_env) or None
            if api_key is None:
                _log.warning(
                    "universe.provider_api_key_env names %s, which is not set; calling "
                    "the market-cap provider without an API key",
                    settings.provider_api_key_env,
                )
        host = urlsplit(settings.provider_url).hostname
        interval_s = 0.0
        if host == _PUBLIC_HOST:
            interval_s = 0.6 if api_key else 2.0
        return cls(settings.provider_url, api_key=api_key, min_interval_s=interval_s)

    async def fetch_assets(
        self,
        symbols: Collection[str],
        *,
        listings: bool = True,
        progress: Progress | None = None,
    ) -> dict[str, AssetInfo]:
        """Market cap and listing count of the coin behind each ticker symbol.

        Returns:
            Upper-case symbol to :class:`AssetInfo` for the symbols CoinGecko knows.

        Raises:
            MarketCapProviderError: when CoinGecko refuses, keeps failing or answers
                in an unexpected shape.
        """
        wanted = sorted({symbol.upper() for symbol in symbols})
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            call = _Call(session)
            matches = await self._markets_by_symbol(call, wanted, progress)
            assets: dict[str, AssetInfo] = {}
            for done, symbol in enumerate(sorted(matches), start=1):
                chosen, *others = _rank_by_market_cap(matches[symbol])
                if others:
                    _log.debug(
                        "%s matches %d CoinGecko coins; chose %s (market cap %s), passed over %s",
                        symbol,
                        len(others) + 1,
                        chosen.coin_id,
                        chosen.market_cap_usd,
                        ", ".join(other.coin_id for other in others),
                    )
                count = await self._listings(call, chosen.coin_id) if listings else None
                assets[symbol] = AssetInfo(
                    symbol=symbol,
                    market_cap_usd=chosen.market_cap_usd,
                    exchange_listings=count,
                    coin_id=chosen.coin_id,
                    name=chosen.name,
                    also_matched=tuple(other.coin_id for other in others),
                )
                if listings and progress is not None:
                    progress("exchange listings (CoinGecko)", done, len(matches))
        return assets

    async def _markets_by_symbol(
        self, call: _Call, symbols: Sequence[str], progress: Progress | None
    ) -> dict[str, list[_CoinMarket]]:
        """Every coin carrying one of ``symbols``, grouped by upper-case symbol."""
        found: dict[str, list[_CoinMarket]] = {}
        batches = [
            symbols[i : i + SYMBOLS_PER_REQUEST]
            for i in range(0, len(symbols), SYMBOLS_PER_REQUEST)
        ]
        for done, batch in enumerate(batches, start=1):
            wanted = set(batch)
            for page in range(1, _MAX_MARKET_PAGES + 1):
                rows = await self._get(
                    call,
                    "/coins/markets",
                    {
                        "vs_currency": "usd",
                        "symbols": ",".join(symbol.lower() for symbol in batch),
                        "include_tokens": "all",
                        "order": "market_cap_desc",
                        "per_page": str(self._per_page),
                        "page": str(page),
                    },
                )
                if not isinstance(rows, list):
                    raise MarketCapProviderError(
                        f"CoinGecko /coins/markets: expected a list of coins, got {type(rows).__name__}"
                    )
                for coin in map(_parse_market_row, rows):
                    if coin.symbol in wanted:
                        found.setdefault(coin.symbol, []).append(coin)
                if len(rows) < self._per_page:
                    break
            else:
                raise MarketCapProviderError(
                    f"CoinGecko /coins/markets: still full pages after {_MAX_MARKET_PAGES} pages"
                )
            if progress is not None:
                progress("market caps (CoinGecko)", done, len(batches))
        return found

    async def _listings(self, call: _Call, coin_id: str) -> int:
        """Distinct exchanges among the coin's live tickers (stale and anomalous skipped)."""
        exchanges: set[str] = set()
        path = f"/coins/{quote(coin_id, safe='')}/tickers"
        for page in range(1, self._max_ticker_pages + 1):
            body = await self._get(call, path, {"page": str(page)})
            tickers = body.get("tickers") if isinstance(body, dict) else None
            if not isinstance(tickers, list):
                raise MarketCapProviderError(f"CoinGecko {path}: no 'tickers' list in the response")
            for ticker in tickers:
                if not isinstance(ticker, dict):
                    raise MarketCapProviderError(f"CoinGecko {path}: a ticker is not an object")
                if ticker.get("is_stale") is True or ticker.get("is_anomaly") is True:
                    continue
                market = ticker.get("market")
                identifier = market.get("identifier") if isinstance(market, dict) else None
                if not isinstance(identifier, str):
                    raise MarketCapProviderError(
                        f"CoinGecko {path}: a ticker has no market.identifier"
                    )
                exchanges.add(identifier)
            if len(tickers) < TICKERS_PER_PAGE:
                break
        return len(exchanges)

    async def _get(self, call: _Call, path: str, params: Mapping[str, str]) -> Any:
        """The decoded JSON body of ``GET path?params``, retried and paced.

        Raises:
            MarketCapProviderError: on a non-retryable status, when every attempt
                failed, or when the body is not JSON.
        """
        url = f"{self._base_url}{path}"
        failure = ""
        for attempt in range(1, self._retry.attempts + 1):
            if call.requests and self._min_interval_s > 0:
                await asyncio.sleep(self._min_interval_s)
            call.requests += 1
            retry_after_s: float | None = None
            try:
                async with call.session.get(url, params=params, headers=self._headers) as response:
                    if response.status == 200:
                        return await _json_body(response, path)
                    failure = f"HTTP {response.status}{_error_message(await response.text())}"
                    if response.status not in _RETRY_STATUSES:
                        raise MarketCapProviderError(f"CoinGecko {path}: {failure}")
                    retry_after_s = parse_retry_after(response.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if attempt < self._retry.attempts:
                delay_s = self._retry.delay_s(attempt, retry_after_s)
                _log.warning(
                    "CoinGecko %s: %s; retry %d of %d in %.1f s",
                    path,
                    failure,
                    attempt,
                    self._retry.attempts - 1,
                    delay_s,
                )
                await asyncio.sleep(delay_s)
        raise MarketCapProviderError(
            f"CoinGecko {path}: gave up after {self._retry.attempts} attempts; last: {failure}"
        )


@dataclass(slots=True)
class _Call:
    """One :meth:`CoinGeckoClient.fetch_assets` call: its HTTP session and request count."""

    session: aiohttp.ClientSession
    requests: int = 0


def _default_key_header(base_url: str) -> str:
    host = urlsplit(base_url).hostname
    return "x-cg-pro-api-key" if host == _PRO_HOST else "x-cg-demo-api-key"


async def _json_body(response: aiohttp.ClientResponse, path: str) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError as exc:
        raise MarketCapProviderError(f"CoinGecko {path}: response is not JSON ({exc})") from None


def _error_message(body: str) -> str:
    """CoinGecko's ``status.error_message`` (or the start of the body), for the error."""
    text = body.strip()
    if not text:
        return ""
    if text.startswith("{"):
        # The documented error shape: {"status": {"error_code": 429, "error_message": ...}}.
        try:
            status = json.loads(text).get("status")
        except (ValueError, AttributeError):
            status = None
        if isinstance(status, dict) and status.get("error_message"):
            return f": {status['error_message']}"
    return f": {text[:200]}"


def _parse_market_row(row: object) -> _CoinMarket:
    if not isinstance(row, dict):
        raise MarketCapProviderError("CoinGecko /coins/markets: a row is not an object")
    coin_id, symbol, name = row.get("id"), row.get("symbol"), row.get("name")
    if not (isinstance(coin_id, str) and isinstance(symbol, str)):
        raise MarketCapProviderError(
            f"CoinGecko /coins/markets: row without a string id and symbol: {str(row)[:200]}"
        )
    cap = row.get("market_cap")
    if cap is not None and not isinstance(cap, int | float):
        raise MarketCapProviderError(
            f"CoinGecko /coins/markets: {coin_id} has a non-numeric market_cap {cap!r}"
        )
    return _CoinMarket(
        coin_id=coin_id,
        symbol=symbol.upper(),
        name=name if isinstance(name, str) else coin_id,
        market_cap_usd=float(cap) if cap else None,
    )


def _rank_by_market_cap(coins: Sequence[_CoinMarket]) -> list[_CoinMarket]:
    """Coins by market cap, highest first, unknown caps last (stable for ties)."""
    return sorted(
        coins,
        key=lambda coin: (coin.market_cap_usd is not None, coin.market_cap_usd or 0.0),
        reverse=True,
    )
