"""Pointing ccxt at the emulator: every REST base URL moves, paths stay, ccxt stays unmodified."""

from __future__ import annotations

import ccxt
import ccxt.async_support as ccxt_async

from quantbot.venues.emulator.ccxt_urls import emulator_url_for, point_ccxt_at

BASE = "http://127.0.0.1:9999"


def test_paths_are_kept_under_the_emulator_base() -> None:
    assert emulator_url_for("https://api.binance.com/api/v3", BASE) == f"{BASE}/api/v3"
    assert emulator_url_for("https://fapi.binance.com/fapi/v1", BASE + "/") == f"{BASE}/fapi/v1"
    assert emulator_url_for("https://fapi.binance.com/futures/data", BASE) == f"{BASE}/futures/data"
    assert (
        emulator_url_for("https://dapi.binance.com/futures/data", BASE)
        == f"{BASE}/dapi/futures/data"
    )


def test_every_rest_url_of_a_fresh_client_points_at_the_emulator() -> None:
    exchange = ccxt.binance()
    original = dict(exchange.urls["api"])
    try:
        assert point_ccxt_at(exchange, BASE) is exchange
        for url_set in ("api", "test", "demo"):
            for key, url in exchange.urls[url_set].items():
                if isinstance(url, str):
                    assert url.startswith(BASE + "/"), (url_set, key, url)
        assert exchange.urls["api"]["fapiPublic"] == f"{BASE}/fapi/v1"
        assert exchange.urls["api"]["public"] == f"{BASE}/api/v3"
        # Distinct Binance URLs stay distinct, so no two API families are confused.
        assert len(set(exchange.urls["api"].values())) == len(set(original.values()))
        assert exchange.options["fetchCurrencies"] is False
        assert exchange.options["fetchMargins"] is False
    finally:
        exchange.close()


def test_the_async_client_is_pointed_the_same_way() -> None:
    exchange = ccxt_async.binance()  # opens no session until its first request
    point_ccxt_at(exchange, BASE)
    assert exchange.urls["api"]["dapiPublic"] == f"{BASE}/dapi/v1"
