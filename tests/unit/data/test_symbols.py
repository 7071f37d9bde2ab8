"""ccxt symbols <-> file slugs <-> Binance market ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.data.symbols import binance_market_id, is_perpetual, slug_to_symbol, symbol_to_slug

ASSET = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)


@pytest.mark.parametrize(
    ("symbol", "slug"),
    [
        ("BTC/USDT", "BTC-USDT"),
        ("BTC/USDT:USDT", "BTC-USDT-PERP"),
        ("BTC/USD:BTC", "BTC-USD-PERP"),
        ("1000PEPE/USDT:USDT", "1000PEPE-USDT-PERP"),
    ],
)
def test_symbol_and_slug_translate_both_ways(symbol: str, slug: str) -> None:
    assert symbol_to_slug(symbol) == slug
    assert slug_to_symbol(slug) == symbol


@given(base=ASSET, quote=ASSET.filter(lambda quote: quote != "USD"))
def test_spot_and_linear_perpetual_symbols_survive_the_round_trip(base: str, quote: str) -> None:
    for symbol in (f"{base}/{quote}", f"{base}/{quote}:{quote}"):
        assert slug_to_symbol(symbol_to_slug(symbol)) == symbol


def test_a_usd_settled_linear_perpetual_reads_back_as_the_inverse_one() -> None:
    # The slug has no room for the settle currency; USD-quoted perpetuals are taken to be
    # coin-margined, which is what the shared data's BTC-USD-PERP files are.
    assert symbol_to_slug("BTC/USD:USD") == symbol_to_slug("BTC/USD:BTC")
    assert slug_to_symbol("BTC-USD-PERP") == "BTC/USD:BTC"


@given(base=ASSET)
def test_usd_quoted_perpetuals_settle_in_their_base(base: str) -> None:
    assert slug_to_symbol(f"{base}-USD-PERP") == f"{base}/USD:{base}"


@pytest.mark.parametrize("symbol", ["BTCUSDT", "btc/usdt", "BTC/USDT:", "BTC/", "BTC/USDT/ETH", ""])
def test_malformed_symbols_are_rejected(symbol: str) -> None:
    with pytest.raises(ValueError, match="ccxt symbol"):
        symbol_to_slug(symbol)


def test_a_perpetual_settled_in_a_third_currency_has_no_slug() -> None:
    with pytest.raises(ValueError, match="neither"):
        symbol_to_slug("BTC/USDT:USDC")


@pytest.mark.parametrize("slug", ["BTC_USDT", "BTC-USDT-SWAP", "btc-usdt", "BTC", "BTC-USDT-PERP-"])
def test_malformed_slugs_are_rejected(slug: str) -> None:
    with pytest.raises(ValueError, match="slug"):
        slug_to_symbol(slug)


def test_perpetuals_are_the_symbols_with_a_settle_currency() -> None:
    assert is_perpetual("ETH/USDT:USDT")
    assert is_perpetual("BTC/USD:BTC")
    assert not is_perpetual("ETH/USDT")


def test_binance_market_id_is_base_and_quote_for_spot_and_usdm() -> None:
    assert binance_market_id("BTC/USDT") == "BTCUSDT"
    assert binance_market_id("ETH/USDT:USDT") == "ETHUSDT"
    with pytest.raises(ValueError, match="ccxt symbol"):
        binance_market_id("BTC-USDT")
