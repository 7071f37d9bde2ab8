"""Pointing an unmodified ccxt ``binance`` client at the emulator.

ccxt builds every request URL as ``exchange.urls['api'][<api name>] + '/' + path``,
with one base URL per API family: ``public``/``private`` (``https://api.binance.com/api/v3``),
``v1``, ``sapi``..., ``fapiPublic``/``fapiPrivate`` (``https://fapi.binance.com/fapi/v1``),
``fapiPublicV2``..., ``dapiPublic``..., ``eapiPublic``..., ``papi``... The emulator serves
each family under the same path as Binance's own host, so :func:`point_ccxt_at`
replaces ``https://<host>`` by the emulator's base URL in every entry, keeping the path:
``https://fapi.binance.com/fapi/v1`` becomes ``http://127.0.0.1:8765/fapi/v1``.

One path exists on two Binance hosts: ``/futures/data`` (fapi and dapi statistics);
the coin-M one moves to ``/dapi/futures/data``. The ``test`` (testnet) and ``demo`` URL
sets are rewritten too, so turning on sandbox mode afterwards still talks to the
emulator. Every entry is rewritten, also families the emulator does not serve yet:
they answer 404 there instead of reaching the real exchange.

Options: ``fetchCurrencies`` and ``fetchMargins`` are switched off; with API keys set,
ccxt would otherwise call signed ``sapi`` endpoints during ``load_markets()`` that the
market-data emulator does not serve (without keys ccxt skips them anyway). Everything
else, rate limiting included, stays as ccxt ships it.

Example::

    import ccxt
    from quantbot.venues.emulator import point_ccxt_at

    exchange = point_ccxt_at(ccxt.binance(), "http://127.0.0.1:8765")
    exchange.load_markets()
    exchange.fetch_ohlcv("BTC/USDT", "1m", limit=10)
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

__all__ = ["emulator_url_for", "point_ccxt_at"]


class _CcxtClient(Protocol):
    """What :func:`point_ccxt_at` touches on a ccxt exchange."""

    urls: MutableMapping[str, Any]
    options: MutableMapping[str, Any]


_E = TypeVar("_E", bound=_CcxtClient)
_URL_SETS = ("api", "test", "demo")
_MOVED_PATHS = {("dapi", "/futures/data"): "/dapi/futures/data"}
"""Paths that two Binance hosts share, keyed by (host prefix, path): where they move."""


def emulator_url_for(url: str, base_url: str) -> str:
    """The emulator URL standing for one Binance base URL (see the module docstring).

    Args:
        url: a base URL from ccxt's ``urls``, e.g. ``https://fapi.binance.com/fapi/v1``.
        base_url: the emulator's ``http://host:port``.
    """
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    host_prefix = parts.hostname.split(".")[0] if parts.hostname else ""
    for (prefix, shared), moved in _MOVED_PATHS.items():
        if host_prefix.endswith(prefix) and path.startswith(shared):
            path = moved + path[len(shared) :]
    return base_url.rstrip("/") + path


def point_ccxt_at(exchange: _E, base_url: str) -> _E:
    """Send every REST request of a ccxt ``binance`` client to the emulator.

    Changes only ``exchange.urls`` and two options (see the module docstring); works
    on the sync and the async client alike. Returns the same client for chaining.

    Args:
        exchange: a ccxt ``binance`` instance (``ccxt.binance()`` or
            ``ccxt.async_support.binance()``), before or after ``load_markets``.
        base_url: the emulator's ``http://host:port``.
    """
    for name in _URL_SETS:
        entries = exchange.urls.get(name)
        if not isinstance(entries, MutableMapping):
            continue
        for key, value in list(entries.items()):
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                entries[key] = emulator_url_for(value, base_url)
    exchange.options["fetchCurrencies"] = False
    exchange.options["fetchMargins"] = False
    return exchange
