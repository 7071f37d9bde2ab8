"""Asset profiles: lookup by spot or perpetual symbol, overrides, and grid decimals."""

from __future__ import annotations

import pytest

from quantbot.data.synthetic_assets import (
    DEFAULT_ASSETS,
    GENERIC_ASSET,
    AssetProfile,
    asset_profile,
    decimals_of,
)


def test_a_perpetual_shares_its_spot_assets_profile() -> None:
    assert asset_profile("ETH/USDT:USDT") is DEFAULT_ASSETS["ETH/USDT"]


def test_overrides_win_and_unknown_symbols_get_the_generic_profile() -> None:
    custom = AssetProfile(1.0, 0.5, 10.0)
    assert asset_profile("BTC/USDT", {"BTC/USDT": custom}) is custom
    assert asset_profile("BTC/USDT:USDT", {"BTC/USDT": custom}) is custom
    assert asset_profile("NOPE/USDT") is GENERIC_ASSET


def test_default_profiles_are_on_binance_spot_grids() -> None:
    """BTC/USDT trades in 0.01 USDT and 0.00001 BTC steps on Binance spot."""
    btc = DEFAULT_ASSETS["BTC/USDT"]
    assert (btc.tick_size, btc.lot_size) == (0.01, 0.00001)
    for profile in DEFAULT_ASSETS.values():
        # The start price lies on the tick grid, so the first open is the profile's price.
        assert round(profile.start_price / profile.tick_size, 6).is_integer()


@pytest.mark.parametrize(
    ("increment", "places"),
    [(0.01, 2), (0.00001, 5), (0.5, 1), (0.25, 2), (1.0, 0), (10.0, 0), (1e-8, 8)],
)
def test_decimals_of_an_increment(increment: float, places: int) -> None:
    assert decimals_of(increment) == places
