"""The ``exchangeInfo`` documents of the spot and USD-M futures APIs.

Field for field what Binance returns (ccxt's ``load_markets`` reads the symbol list,
status, assets, precision fields and filters), built from :class:`MarketSpec`. Rate
limits are Binance's published ones; the emulator does not enforce them (fault rules
inject 429s instead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quantbot.venues.emulator.markets import MarketSpec

__all__ = ["futures_exchange_info", "spot_exchange_info"]

_SPOT_RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]
_FUTURES_RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
]
_SPOT_ORDER_TYPES = [
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
]
_FUTURES_ORDER_TYPES = [
    "LIMIT",
    "MARKET",
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]
_PERPETUAL_DELIVERY_MS = 4_133_404_800_000
"""Binance's delivery date of a perpetual (2100-12-25), which ccxt recognises."""


def spot_symbol(spec: MarketSpec) -> dict[str, Any]:
    """One entry of the spot ``symbols`` list."""
    text = spec.filter_text
    return {
        "symbol": spec.market_id,
        "status": "TRADING",
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": _SPOT_ORDER_TYPES,
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "amendAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": text(spec.min_price),
                "maxPrice": text(spec.max_price),
                "tickSize": text(spec.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": text(spec.min_qty),
                "maxQty": text(spec.max_qty),
                "stepSize": text(spec.step_size),
            },
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.00000000",
                "maxQty": text(spec.market_max_qty),
                "stepSize": "0.00000000",
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 10,
                "maxTrailingAboveDelta": 2000,
                "minTrailingBelowDelta": 10,
                "maxTrailingBelowDelta": 2000,
            },
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": "5",
                "bidMultiplierDown": "0.2",
                "askMultiplierUp": "5",
                "askMultiplierDown": "0.2",
                "avgPriceMins": 5,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": text(spec.min_notional),
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def futures_symbol(spec: MarketSpec, onboard_ms: int) -> dict[str, Any]:
    """One entry of the USD-M futures ``symbols`` list (a perpetual)."""
    text = spec.filter_text
    return {
        "symbol": spec.market_id,
        "pair": spec.market_id,
        "contractType": "PERPETUAL",
        "deliveryDate": _PERPETUAL_DELIVERY_MS,
        "onboardDate": onboard_ms,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": spec.base,
        "quoteAsset": spec.quote,
        "marginAsset": spec.quote,
        "pricePrecision": spec.price_precision,
        "quantityPrecision": spec.quantity_precision,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "minPrice": text(spec.min_price),
                "maxPrice": text(spec.max_price),
                "filterType": "PRICE_FILTER",
                "tickSize": text(spec.tick_size),
            },
            {
                "stepSize": text(spec.step_size),
                "filterType": "LOT_SIZE",
                "maxQty": text(spec.max_qty),
                "minQty": text(spec.min_qty),
            },
            {
                "stepSize": text(spec.step_size),
                "filterType": "MARKET_LOT_SIZE",
                "maxQty": text(spec.market_max_qty),
                "minQty": text(spec.min_qty),
            },
            {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
            {"limit": 10, "filterType": "MAX_NUM_ALGO_ORDERS"},
            {"notional": text(spec.min_notional), "filterType": "MIN_NOTIONAL"},
            {
                "multiplierDown": "0.9500",
                "multiplierUp": "1.0500",
                "multiplierDecimal": "4",
                "filterType": "PERCENT_PRICE",
            },
        ],
        "orderTypes": _FUTURES_ORDER_TYPES,
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
    }


def spot_exchange_info(specs: Sequence[MarketSpec], *, server_time_ms: int) -> dict[str, Any]:
    """``GET /api/v3/exchangeInfo`` for the given spot markets."""
    return {
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "rateLimits": _SPOT_RATE_LIMITS,
        "exchangeFilters": [],
        "symbols": [spot_symbol(spec) for spec in specs],
    }


def futures_exchange_info(
    specs: Sequence[MarketSpec], *, server_time_ms: int, onboard_ms: Mapping[str, int]
) -> dict[str, Any]:
    """``GET /fapi/v1/exchangeInfo`` for the given perpetuals.

    Args:
        specs: the perpetuals listed.
        server_time_ms: the emulator clock's time.
        onboard_ms: listing time per Binance id (the first candle the source holds).
    """
    settle_assets = sorted({spec.quote for spec in specs})
    return {
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": _FUTURES_RATE_LIMITS,
        "exchangeFilters": [],
        "assets": [
            {"asset": asset, "marginAvailable": True, "autoAssetExchange": "-10000"}
            for asset in settle_assets
        ],
        "symbols": [futures_symbol(spec, onboard_ms.get(spec.market_id, 0)) for spec in specs],
    }
