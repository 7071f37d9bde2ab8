"""Where market capitalisations and exchange listings come from: a pluggable provider.

The universe filters need two facts an exchange does not publish about the assets it
lists: the asset's market capitalisation and how many exchanges list it. A
:class:`MarketCapProvider` answers both for a set of ticker symbols;
:class:`~quantbot.data.coingecko.CoinGeckoClient` is the default implementation, and
anything with the same method (another data vendor, a file of fixed values for an
offline run) plugs in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["AssetInfo", "MarketCapProvider", "Progress"]

Progress = Callable[[str, int, int], None]
"""Progress callback: (step description, completed, total)."""


@dataclass(frozen=True, slots=True)
class AssetInfo:
    """What a provider knows about one asset, identified by its ticker symbol.

    Attributes:
        symbol: the ticker in upper case, as exchanges spell it (``BTC``).
        market_cap_usd: market capitalisation in USD; None when the provider lists the
            asset but does not know its circulating supply.
        exchange_listings: number of distinct exchanges trading the asset; None when
            the provider was not asked for it (or cannot tell).
        coin_id: the provider's own id of the asset (CoinGecko: ``bitcoin``).
        name: the asset's name (``Bitcoin``).
        also_matched: ids of other assets sharing the ticker that were NOT chosen
            (ticker symbols are not unique; a provider picks one and says which it
            passed over, so a wrong pick can be spotted).
    """

    symbol: str
    market_cap_usd: float | None
    exchange_listings: int | None
    coin_id: str | None = None
    name: str | None = None
    also_matched: tuple[str, ...] = ()


@runtime_checkable
class MarketCapProvider(Protocol):
    """Source of market capitalisations and exchange-listing counts per ticker symbol."""

    async def fetch_assets(
        self,
        symbols: Collection[str],
        *,
        listings: bool = True,
        progress: Progress | None = None,
    ) -> Mapping[str, AssetInfo]:
        """Look up the assets behind ``symbols``.

        Args:
            symbols: ticker symbols, any case (``btc`` and ``BTC`` are the same).
            listings: also count exchange listings (it may cost one request per
                asset); when False, ``exchange_listings`` is None.
            progress: optional callback reporting the requests made so far.

        Returns:
            Upper-case symbol to :class:`AssetInfo`, for the symbols the provider
            knows; a symbol missing from the mapping is unknown to it.

        Raises:
            MarketCapProviderError: when the provider cannot answer.
        """
        ...
