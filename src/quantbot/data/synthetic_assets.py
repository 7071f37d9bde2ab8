"""Profiles of the synthetic market's assets: price level, volatility, size, precision.

A profile is what makes a synthetic BTC look like BTC rather than like SOL: its price,
how much it moves, how much of it trades, and the exchange's tick and lot sizes, which
the order books and the candle prices are quantised to.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["DEFAULT_ASSETS", "GENERIC_ASSET", "AssetProfile", "asset_profile", "decimals_of"]


@dataclass(frozen=True, slots=True)
class AssetProfile:
    """Level, volatility, size and precision of one synthetic asset.

    Attributes:
        start_price: first open, in quote currency.
        annual_volatility: annualised standard deviation of log returns (0.6 = 60 %).
        volume_per_minute: average base volume traded per minute.
        tick_size: price increment of the market, in quote currency; candles and books
            are quoted on this grid.
        lot_size: quantity increment of the market, in base units; book quantities are
            multiples of it.
    """

    start_price: float
    annual_volatility: float
    volume_per_minute: float
    tick_size: float = 0.01
    lot_size: float = 0.001


DEFAULT_ASSETS: dict[str, AssetProfile] = {
    "BTC/USDT": AssetProfile(60_000.0, 0.55, 12.0, tick_size=0.01, lot_size=0.00001),
    "ETH/USDT": AssetProfile(3_000.0, 0.70, 400.0, tick_size=0.01, lot_size=0.0001),
    "SOL/USDT": AssetProfile(150.0, 0.95, 2_500.0, tick_size=0.01, lot_size=0.001),
    "AVAX/USDT": AssetProfile(35.0, 1.00, 6_000.0, tick_size=0.01, lot_size=0.01),
    "LINK/USDT": AssetProfile(15.0, 0.90, 12_000.0, tick_size=0.01, lot_size=0.01),
}
"""Profiles of the assets the shipped configuration trades (Binance spot precision; the
volumes are of the order of Binance spot 1m volumes in 2025)."""

GENERIC_ASSET = AssetProfile(100.0, 0.90, 3_000.0)
"""The profile of a symbol that has none."""


def asset_profile(symbol: str, overrides: dict[str, AssetProfile] | None = None) -> AssetProfile:
    """The profile of ``symbol``; a perpetual (``BTC/USDT:USDT``) shares its spot asset's.

    Args:
        symbol: market in ccxt notation.
        overrides: profiles that take precedence over :data:`DEFAULT_ASSETS`.
    """
    known = {**DEFAULT_ASSETS, **(overrides or {})}
    return known.get(symbol) or known.get(symbol.split(":", maxsplit=1)[0], GENERIC_ASSET)


def decimals_of(increment: float) -> int:
    """Decimal places of a tick or lot size (0.01 → 2, 0.5 → 1, 10 → 0).

    Prices and quantities are rounded to these places after snapping to the grid, so
    that ``61693.72`` is stored as the nearest double and not as ``61693.72000000001``.
    """
    exponent = Decimal(repr(increment)).normalize().as_tuple().exponent
    return max(0, -int(exponent))
