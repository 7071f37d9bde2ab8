"""Market identity in file names and exchange protocols.

quantbot names markets in ccxt notation everywhere (``BTC/USDT`` spot,
``BTC/USDT:USDT`` USDT-margined perpetual, ``BTC/USD:BTC`` coin-margined perpetual).
Files cannot hold ``/`` or ``:``, and exchanges spell markets their own way, so this
module holds the only translations: to a file-name slug (the convention of the data
files shipped for tests: ``BTC-USDT``, ``BTC-USDT-PERP``, ``BTC-USD-PERP``) and to the
Binance market id (``BTCUSDT``).
"""

from __future__ import annotations

import re

__all__ = ["binance_market_id", "is_perpetual", "slug_to_symbol", "symbol_to_slug"]

_SYMBOL = re.compile(r"^(?P<base>[A-Z0-9]+)/(?P<quote>[A-Z0-9]+)(?::(?P<settle>[A-Z0-9]+))?$")
_SLUG = re.compile(r"^(?P<base>[A-Z0-9]+)-(?P<quote>[A-Z0-9]+)(?P<perp>-PERP)?$")


def _parts(symbol: str) -> re.Match[str]:
    match = _SYMBOL.match(symbol)
    if match is None:
        raise ValueError(f"{symbol!r} is not a ccxt symbol (BASE/QUOTE or BASE/QUOTE:SETTLE)")
    return match


def is_perpetual(symbol: str) -> bool:
    """Whether a ccxt symbol names a perpetual (it has a settle currency)."""
    return _parts(symbol)["settle"] is not None


def symbol_to_slug(symbol: str) -> str:
    """``BTC/USDT`` → ``BTC-USDT``; ``BTC/USDT:USDT`` → ``BTC-USDT-PERP``.

    Raises:
        ValueError: for a malformed symbol, or a perpetual settled in neither its quote
            (linear) nor its base (inverse) currency, which the slug could not express.
    """
    parts = _parts(symbol)
    base, quote, settle = parts["base"], parts["quote"], parts["settle"]
    if settle is None:
        return f"{base}-{quote}"
    if settle not in (base, quote):
        raise ValueError(f"{symbol!r}: settle currency {settle} is neither {base} nor {quote}")
    return f"{base}-{quote}-PERP"


def slug_to_symbol(slug: str) -> str:
    """``BTC-USDT`` → ``BTC/USDT``; ``BTC-USDT-PERP`` → ``BTC/USDT:USDT``.

    A perpetual quoted in USD (coin-margined, e.g. Binance COIN-M) settles in its base
    asset: ``BTC-USD-PERP`` → ``BTC/USD:BTC``.

    Raises:
        ValueError: for a malformed slug.
    """
    match = _SLUG.match(slug)
    if match is None:
        raise ValueError(f"{slug!r} is not a market slug (BASE-QUOTE or BASE-QUOTE-PERP)")
    base, quote = match["base"], match["quote"]
    if not match["perp"]:
        return f"{base}/{quote}"
    settle = base if quote == "USD" else quote
    return f"{base}/{quote}:{settle}"


def binance_market_id(symbol: str) -> str:
    """The Binance id of a spot or USD-M market: ``BTC/USDT`` and ``BTC/USDT:USDT`` → ``BTCUSDT``."""
    parts = _parts(symbol)
    return f"{parts['base']}{parts['quote']}"
