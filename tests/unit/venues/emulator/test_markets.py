"""Market metadata: Binance's real filters, derived ones for other markets, API number formats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.markets import MarketCatalogue, market_spec


@pytest.mark.parametrize(
    ("symbol", "tick", "step", "min_notional"),
    [
        ("BTC/USDT", "0.01", "0.00001", "5"),
        ("ETH/USDT", "0.01", "0.0001", "5"),
        ("SOL/USDT", "0.01", "0.001", "5"),
        ("BTC/USDT:USDT", "0.10", "0.001", "100"),
        ("ETH/USDT:USDT", "0.01", "0.001", "20"),
        ("SOL/USDT:USDT", "0.0100", "1", "5"),
    ],
)
def test_known_markets_carry_binance_filters(
    symbol: str, tick: str, step: str, min_notional: str
) -> None:
    spec = market_spec(symbol, reference_price=1.0)  # the price is not used for known markets
    assert (spec.tick_size, spec.step_size, spec.min_notional) == (
        Decimal(tick),
        Decimal(step),
        Decimal(min_notional),
    )
    assert spec.market_id == symbol.split(":", maxsplit=1)[0].replace("/", "")


@pytest.mark.parametrize(
    ("price", "tick", "step"),
    [(60_000.0, "1", "0.00001"), (150.0, "0.01", "0.001"), (0.5, "0.00001", "1")],
)
def test_other_markets_get_filters_from_their_price_level(
    price: float, tick: str, step: str
) -> None:
    spec = market_spec("NEW/USDT", price)
    assert spec.tick_size == Decimal(tick)
    assert spec.step_size == Decimal(step)
    # The smallest order is worth a few quote units at most, as Binance's are.
    assert float(spec.min_qty) * price <= 10 * float(spec.min_notional)


def test_spot_writes_eight_decimals_and_futures_the_market_precision() -> None:
    spot, perp = market_spec("BTC/USDT", 1.0), market_spec("BTC/USDT:USDT", 1.0)
    assert spot.price_text(61837.634) == "61837.63000000"
    assert spot.qty_text(0.1234567) == "0.12346000"
    assert perp.price_text(61800.26) == "61800.30"
    assert perp.qty_text(0.0044) == "0.004"
    assert spot.filter_text(spot.tick_size) == "0.01000000"
    assert perp.filter_text(perp.tick_size) == "0.10"


def test_coin_margined_perpetuals_are_not_listed() -> None:
    with pytest.raises(ValueError, match="USD-M"):
        market_spec("BTC/USD:BTC", 60_000.0)


def test_catalogue_lookup_uses_binance_codes() -> None:
    catalogue = MarketCatalogue([market_spec("BTC/USDT", 1.0), market_spec("ETH/USDT:USDT", 1.0)])
    assert catalogue.lookup("BTCUSDT", perpetual=False).symbol == "BTC/USDT"
    assert catalogue.lookup("ETHUSDT", perpetual=True).symbol == "ETH/USDT:USDT"
    with pytest.raises(ApiError) as raised:
        catalogue.lookup("ETHUSDT", perpetual=False)
    assert raised.value.code == -1121
    with pytest.raises(ApiError) as raised:
        catalogue.lookup(None, perpetual=False)
    assert raised.value.code == -1102
