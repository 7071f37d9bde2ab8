"""Construction of ccxt exchange clients: the one place that knows how.

Every component that talks to an exchange (downloader, universe survey, later the live
venue) gets its client from :func:`create_exchange`, so rate limiting, timeouts and
the emulator redirection are set the same way everywhere. The clients built here are
for public market data: they carry no API keys (the live venue adds its own).
"""

from __future__ import annotations

from typing import Any

import ccxt
import ccxt.async_support as ccxt_async

from quantbot.config.settings import ExchangeSettings
from quantbot.venues.emulator import point_ccxt_at
from quantbot.venues.errors import UnknownExchange

__all__ = ["DEFAULT_TIMEOUT_MS", "create_exchange"]

DEFAULT_TIMEOUT_MS = 30_000
"""Per-request timeout; ccxt raises RequestTimeout beyond it."""


def create_exchange(
    exchange_id: str,
    settings: ExchangeSettings | None = None,
    *,
    emulator_url: str | None = None,
    asynchronous: bool = False,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Any:
    """An unmodified ccxt client for ``exchange_id``'s public market data.

    Args:
        exchange_id: ccxt id, e.g. ``binance``.
        settings: the exchange's configuration, if it has one: ``rate_limit_ms`` is a
            floor under ccxt's own spacing of requests, ``emulator_url`` redirects it.
        emulator_url: redirect to a quantbot emulator; wins over the configured one.
        asynchronous: build a ``ccxt.async_support`` client instead of a sync one.
        timeout_ms: per-request timeout.

    The sandbox flag is not applied: a testnet's history and volumes are not the
    market's, so market data always comes from the real venue (or the emulator).

    Raises:
        UnknownExchange: when ccxt has no exchange of that id.
    """
    module = ccxt_async if asynchronous else ccxt
    exchange_class = getattr(module, exchange_id, None) if exchange_id in ccxt.exchanges else None
    if not isinstance(exchange_class, type):
        raise UnknownExchange(
            f"{exchange_id!r} is not a ccxt exchange id (e.g. binance, bybit, okx)"
        )
    client = exchange_class({"enableRateLimit": True, "timeout": timeout_ms})
    if settings is not None:
        client.rateLimit = max(client.rateLimit, settings.rate_limit_ms)
    target = emulator_url or (settings.emulator_url if settings is not None else None)
    return point_ccxt_at(client, target) if target else client
